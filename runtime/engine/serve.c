/*
 * serve.c - the sync daemon: `serve`.
 *
 * One loop on the daemon's thread does all the syncing, through the same
 * engine as `run --once` (engine.h):
 *   - at start, the requests a crash left pending are sent again;
 *   - every entity is polled at the interval its `.map` gives (`poll every
 *     5m`; an entity without one only at start), each from its cursor;
 *   - webhook events (stored in the inbox by hook.c's thread before their
 *     sender got 200) are hints: the record each names is fetched from the
 *     source's API and synced, for every entity of that collection whose
 *     `on webhook` lists the event (or that lists none); the event is done
 *     once that record is done, and stays for the next turn if the source
 *     could not be read;
 *   - SIGTERM or SIGINT: no new work is taken, the batch in flight is sent
 *     (or, if its target does not answer in time, left journaled as
 *     pending for the next start), and the daemon exits 0.
 * The webhook server's thread (hook.c) keeps events through hook_store on
 * a state handle of its own (opened here, used by nothing else), and reads
 * the figures for /metrics from a snapshot the loop publishes under a lock.
 * Which services send webhooks, and how they sign them, is their
 * connectors' (conn_ops.webhook); this file names none.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "eng.h"
#include "hook.h"

static volatile sig_atomic_t stop_flag;

static void
on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

/* What /metrics shows, copied by the loop under the lock; and the server
 * thread's own state handle. */
typedef struct {
	pthread_mutex_t mu;
	const mw_program *p;
	counts *by_entity;       /* cumulative, per entity */
	int64_t dead, inbox;     /* gauges */
	svc_ctl src, tgt;        /* copies: calls by status, waits, retries, breaker */
	int fatal;
	state *hook_st;          /* the webhook server thread's */
} snapshot;

static void
publish(snapshot *s, const run *r, const counts *by_entity)
{
	int64_t dead = state_dlq_count(r->st, NULL), inbox = state_inbox_count(r->st);

	pthread_mutex_lock(&s->mu);
	memcpy(s->by_entity, by_entity, r->p->n_entities * sizeof *by_entity);
	s->dead = dead;
	s->inbox = inbox;
	s->src = r->sctl;
	s->tgt = r->tctl;
	s->src.lim.ring = s->tgt.lim.ring = NULL; /* not for the other thread */
	s->fatal = r->fatal;
	pthread_mutex_unlock(&s->mu);
}

static void
calls(hook_append_fn put, void *ctx, const svc_ctl *t)
{
	static const char *const bucket[8] = { "none", "1xx", "2xx", "3xx", "4xx", "5xx",
		"other", "other" };

	for (int i = 0; i < 7; i++)
		if (t->by_status[i])
			put(ctx, "mapwright_http_calls_total{service=\"%s\",status=\"%s\"} %ld\n",
				t->name, bucket[i], t->by_status[i]);
	put(ctx, "mapwright_rate_limit_wait_seconds_total{service=\"%s\"} %.3f\n", t->name,
		(double)t->waited_ms / 1000);
	put(ctx, "mapwright_retries_total{service=\"%s\"} %ld\n", t->name, t->retries);
}

static void
metrics(void *arg, hook_append_fn put, void *ctx)
{
	snapshot *s = arg;
	static const char *const what[8] = { "read", "created", "updated", "unchanged",
		"filtered", "dead", "held", "pending" };

	pthread_mutex_lock(&s->mu);
	put(ctx, "# HELP mapwright_records_total Source records by entity and outcome.\n"
		"# TYPE mapwright_records_total counter\n");
	for (size_t i = 0; i < s->p->n_entities; i++) {
		const counts *c = &s->by_entity[i];
		const long v[8] = { c->read, c->created, c->updated, c->unchanged, c->filtered,
			c->dead, c->held, c->pending };

		for (int k = 0; k < 8; k++)
			put(ctx, "mapwright_records_total{pair=\"%s\",entity=\"%s\",outcome=\"%s\"} %ld\n",
				s->p->pair, s->p->entities[i].name, what[k], v[k]);
	}
	put(ctx, "# HELP mapwright_dead_letters Live dead letters.\n"
		"# TYPE mapwright_dead_letters gauge\nmapwright_dead_letters{pair=\"%s\"} %lld\n",
		s->p->pair, (long long)s->dead);
	put(ctx, "# HELP mapwright_inbox_events Webhook events not synced yet.\n"
		"# TYPE mapwright_inbox_events gauge\nmapwright_inbox_events{pair=\"%s\"} %lld\n",
		s->p->pair, (long long)s->inbox);
	put(ctx, "# HELP mapwright_http_calls_total Calls by service and status class.\n"
		"# TYPE mapwright_http_calls_total counter\n"
		"# HELP mapwright_rate_limit_wait_seconds_total Time spent waiting on rate limits.\n"
		"# TYPE mapwright_rate_limit_wait_seconds_total counter\n"
		"# HELP mapwright_retries_total Requests sent again after a transient failure.\n"
		"# TYPE mapwright_retries_total counter\n");
	calls(put, ctx, &s->src);
	calls(put, ctx, &s->tgt);
	put(ctx, "# HELP mapwright_circuit_state The target's breaker: 0 closed, 1 open, "
		"2 half-open.\n# TYPE mapwright_circuit_state gauge\n"
		"mapwright_circuit_state{service=\"%s\"} %d\n", s->tgt.name, s->tgt.brk.state);
	pthread_mutex_unlock(&s->mu);
}

static int
health(void *arg, char *why, size_t n)
{
	snapshot *s = arg;
	int bad;

	if (state_inbox_count(s->hook_st) < 0) {
		snprintf(why, n, "state: %s", state_errmsg(s->hook_st));
		return 1;
	}
	pthread_mutex_lock(&s->mu);
	bad = s->fatal;
	pthread_mutex_unlock(&s->mu);
	if (bad)
		snprintf(why, n, "the state file failed");
	return bad;
}

int
eng_hook_store(void *st, const char *source, const hook_event *ev, size_t n, const char *body,
	size_t len, char *why, size_t whylen)
{
	int added = 0;

	if (state_begin(st) < 0) {
		snprintf(why, whylen, "state: %s", state_errmsg(st));
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		state_event se = {
			.event_id = ev[i].id, .source = source, .type = ev[i].type,
			.collection = ev[i].collection, .record_key = ev[i].key,
			.body = body, .body_len = len,
		};
		int rc = state_inbox_add(st, &se);
		if (rc < 0) {
			snprintf(why, whylen, "state: %s", state_errmsg(st));
			state_rollback(st);
			return -1;
		}
		added += rc == 0;
	}
	if (state_commit(st) < 0) {
		snprintf(why, whylen, "state: %s", state_errmsg(st));
		state_rollback(st);
		return -1;
	}
	return added;
}

static int
store(void *arg, const char *source, const hook_event *ev, size_t n, const char *body,
	size_t len, char *why, size_t whylen)
{
	snapshot *s = arg;

	return eng_hook_store(s->hook_st, source, ev, n, body, len, why, whylen);
}

/* ------------------------------------------------------------------ */
/* webhook events                                                      */
/* ------------------------------------------------------------------ */

typedef struct {
	run *r;
	counts *by_entity;
	int progress;            /* events done this turn */
} inbox_turn;

static int
listed_event(const mw_entity *e, const char *type)
{
	if (!e->webhooks || !e->webhooks[0])
		return 1;
	for (const char *const *w = e->webhooks; *w; w++)
		if (!strcmp(*w, type))
			return 1;
	return 0;
}

static int
on_event(void *arg, const state_event *ev)
{
	inbox_turn *t = arg;
	run *r = t->r;
	int ok = 1, any = 0;

	if (stop_flag || r->fatal)
		return 1;
	for (size_t i = 0; i < r->p->n_entities; i++) {
		const mw_entity *e = &r->p->entities[i];
		conn_result res;

		if (strcmp(e->source, ev->collection) != 0 || !listed_event(e, ev->type))
			continue;
		any = 1;
		eng_begin_entity(r, e);
		memset(&res, 0, sizeof res);
		/* a hint: the record comes from the source's API */
		int rc = r->so->get(r->src, e->source, ev->record_key, eng_record, r, &res);
		eng_flush(r);
		if (rc != 0 && res.status != 404) {
			eng_say(r, "warn", "%s: event %s: %s %s could not be fetched (%s): %s", e->name,
				ev->event_id, ev->collection, ev->record_key, http_class_name(res.cls),
				HTTP_LOG_TEXT(res.text));
			ok = 0;
		}
		eng_say(r, "info", "event %s (%s): %s %s: %ld created, %ld updated, %ld unchanged, "
			"%ld filtered, %ld dead, %ld held, %ld pending", ev->event_id, ev->type, e->name,
			ev->record_key, r->n.created, r->n.updated, r->n.unchanged, r->n.filtered,
			r->n.dead, r->n.held, r->n.pending);
		eng_add_counts(&t->by_entity[i], &r->n);
		if (r->n.pending || r->n.held)
			ok = 0; /* the poll will see it again; the event stays until it is done */
	}
	if (!any)
		eng_say(r, "info", "event %s (%s) names no entity of this pair", ev->event_id,
			ev->type);
	if ((ok || !any) && state_inbox_done(r->st, ev->event_id) != 0)
		r->fatal = 1;
	t->progress++;
	return 0;
}

/* ------------------------------------------------------------------ */
/* the loop                                                            */
/* ------------------------------------------------------------------ */

int
sync_serve(const mw_program *p, const sync_opts *o, unsigned port, const char *port_file)
{
	run r;
	snapshot snap;
	hook *h = NULL;
	hook_route routes[2];
	state *hook_st = NULL;
	hook_config hc;
	char err[256];
	counts *by_entity;
	int64_t *next_due, last_redrive;
	struct sigaction sa;
	int status = 0;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL); /* no SA_RESTART: waits end at once */
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	by_entity = calloc(p->n_entities, sizeof *by_entity);
	next_due = calloc(p->n_entities, sizeof *next_due);
	memset(&snap, 0, sizeof snap);
	pthread_mutex_init(&snap.mu, NULL);
	snap.p = p;
	snap.by_entity = calloc(p->n_entities, sizeof *snap.by_entity);
	if (!by_entity || !next_due || !snap.by_entity) {
		status = 2;
		goto out0;
	}
	if ((status = eng_open(&r, p, o, &stop_flag)) != 0)
		goto out0;
	publish(&snap, &r, by_entity);

	if (state_open(o->state_path, &hook_st) != 0) {
		eng_say(&r, "error", "cannot open the state file for webhooks: %s",
			state_errmsg(hook_st));
		status = 2;
		goto out;
	}
	snap.hook_st = hook_st;
	memset(&hc, 0, sizeof hc);
	hc.port = port;
	hc.store = store;
	hc.metrics = metrics;
	hc.health = health;
	hc.arg = &snap;
	hc.log = o->err;
	/* each endpoint whose service sends webhooks (its connector says how
	 * they are signed and read), on /webhooks/ALIAS when its key is set */
	const mw_endpoint *eps[2] = { &p->source, &p->target };
	for (int k = 0; k < 2; k++) {
		const conn_ops *ops = conn_find_ops(eps[k]->service);
		hook_route *rt = &routes[hc.n_routes];

		if (!ops || !ops->webhook)
			continue;
		rt->source = eps[k]->alias;
		rt->handler = ops->webhook;
		rt->secret = eng_setting((void *)eps[k], ops->webhook_setting);
		if (rt->secret && *rt->secret)
			hc.n_routes++;
	}
	hc.routes = routes;
	if (hook_start(&hc, &h, err, sizeof err) != 0) {
		eng_say(&r, "error", "cannot listen: %s", err);
		status = 2;
		goto out;
	}
	eng_say(&r, "info", "serving on 127.0.0.1:%u (webhooks %s%s%s, /healthz, /metrics)",
		hook_port(h), hc.n_routes ? routes[0].source : "off", hc.n_routes > 1 ? ", " : "",
		hc.n_routes > 1 ? routes[1].source : "");
	if (port_file) {
		FILE *f = fopen(port_file, "w");

		if (f) {
			fprintf(f, "%u\n", hook_port(h));
			fclose(f);
		}
	}
	last_redrive = 0;
	while (!stop_flag && !r.fatal) {
		int64_t now = eng_mono_ms(), wake = now + 1000;

		if (now - last_redrive >= 60000) {
			eng_redrive(&r);
			last_redrive = now;
		}
		for (size_t i = 0; i < p->n_entities && !stop_flag && !r.fatal; i++) {
			const mw_entity *e = &p->entities[i];

			if (next_due[i] < 0 || now < next_due[i])
				continue;
			counts none;
			memset(&none, 0, sizeof none);
			eng_entity(&r, e, &none);
			eng_add_counts(&by_entity[i], &r.n);
			next_due[i] = e->poll_ms > 0 ? eng_mono_ms() + e->poll_ms : -1;
			publish(&snap, &r, by_entity);
		}
		inbox_turn t = { &r, by_entity, 0 };
		if (state_inbox_each(r.st, 50, on_event, &t) != 0)
			r.fatal = 1;
		publish(&snap, &r, by_entity);
		if (t.progress)
			continue; /* more events may be waiting */
		for (size_t i = 0; i < p->n_entities; i++)
			if (next_due[i] >= 0 && next_due[i] < wake)
				wake = next_due[i];
		now = eng_mono_ms();
		eng_sleep_ms(&r, wake - now < 200 ? wake - now : 200);
	}
	if (r.fatal)
		status = 2;
	eng_say(&r, "info", "%s; exiting", stop_flag ? "stopped by a signal" : "state failed");
	hook_stop(h);
out:
	state_close(hook_st);
	eng_close(&r);
out0:
	pthread_mutex_destroy(&snap.mu);
	free(snap.by_entity);
	free(by_entity);
	free(next_due);
	return status;
}
