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
 *     once that record is done; one whose record is held or pending, or
 *     whose source could not be read, is held in the inbox and tried again
 *     after a backoff (1 s doubling to 5 min), behind every new event;
 *   - the webhook server listens first: a service that cannot be reached at
 *     start is tried again with a backoff while /healthz says why (503);
 *     /readyz says whether the loop can sync now;
 *   - the state file busy (the server's thread writing): SQLite's busy
 *     timeout, then the turn is tried again after a backoff; only a state
 *     file failing for a minute on end, or the engine's own, stops the
 *     daemon, and every such exit logs its cause;
 *   - SIGTERM or SIGINT: no new work is taken, the batch in flight is sent
 *     (or, if its target does not answer in time, left journaled as
 *     pending for the next start), and the daemon exits 0;
 *   - idle, it sleeps: the loop waits in poll() on a pipe until the next
 *     thing it knows is due (an entity's poll, the first held event's
 *     retry, a redrive while writes are pending) or until the pipe is
 *     written: by the webhook server once an event's insert has committed,
 *     or by the signal handler.  Between those it makes no call at all, to
 *     the state file or anything else (tests/bench/bench.sh measures it).
 *   - one of several workers (`serve --worker`, a PostgreSQL schema shared
 *     by several processes, docs/state.md "Many workers"): an entity is
 *     polled only under the lease on its cursor ("cursor:ENTITY"), kept
 *     while its poll comes round again; one held by another worker is
 *     tried again a third of the lease time later, so a dead holder's
 *     entity is taken over within about 4/3 of it; the journal is
 *     redriven under the lease "redrive"; webhook events are claimed
 *     (state_inbox_claim), not listed.  A worker wakes every third of the
 *     lease time, idle or not: it renews its leases and claims the events
 *     another worker's death left.  A lease lost meanwhile fails the
 *     worker's next transaction (STATE_ELOCKED): fatal, it exits (its
 *     supervisor starts it again).  An entity taken over from another
 *     holder is polled at once, with a redrive of the journal and a turn
 *     of the inbox; a poll that held records polls again after a backoff
 *     (the record it waits for may be another worker's to write).  The
 *     services' rate limits are the pair's: taken per call from budgets
 *     in the state, on a handle of their own (budget.c).
 * The webhook server's threads (hook.c) keep events through hook_store on
 * a state handle of their own (opened here, used by nothing else, under a
 * lock), and read the figures for /metrics from a snapshot the loop
 * publishes under another.
 * Which services send webhooks, and how they sign them, is their
 * connectors' (conn_ops.webhook); this file names none.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "eng.h"
#include "hook.h"

static volatile sig_atomic_t stop_flag;
/* The loop's wake-up: a byte written to wake_fd[1] ends its wait.  The
 * signal may be delivered to any thread (the webhook server's too), so the
 * handler writes it rather than count on interrupting the loop's poll(). */
static int wake_fd[2] = { -1, -1 };

static void
wake_loop(void)
{
	int e = errno;

	if (wake_fd[1] >= 0 && write(wake_fd[1], "", 1) < 0) {
		/* full: a wake-up is pending already */
	}
	errno = e;
}

static void
on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
	wake_loop();
}

/* Waits until the pipe is written, a signal, or ms (< 0: no limit); 1 when
 * woken by the pipe (what was written is read: one turn serves them all). */
static int
wait_wake(int64_t ms)
{
	struct pollfd pf = { wake_fd[0], POLLIN, 0 };
	char buf[64];
	int woken = 0;

	if (stop_flag)
		return 0;
	if (poll(&pf, 1, ms < 0 ? -1 : ms > INT_MAX ? INT_MAX : (int)ms) > 0) {
		while (read(wake_fd[0], buf, sizeof buf) > 0)
			woken = 1;
	}
	return woken;
}

static int
wake_open(void)
{
	if (pipe(wake_fd) != 0)
		return -1;
	for (int i = 0; i < 2; i++) {
		int fl = fcntl(wake_fd[i], F_GETFL);
		if (fl < 0 || fcntl(wake_fd[i], F_SETFL, fl | O_NONBLOCK) < 0 ||
		    fcntl(wake_fd[i], F_SETFD, FD_CLOEXEC) < 0)
			return -1;
	}
	return 0;
}

static void
wake_close(void)
{
	for (int i = 0; i < 2; i++) {
		int fd = wake_fd[i];

		wake_fd[i] = -1; /* first: the signal handler no longer writes it */
		if (fd >= 0)
			close(fd);
	}
}

/* What /metrics shows, copied by the loop under the lock; and the server
 * thread's own state handle. */
typedef struct {
	pthread_mutex_t mu;
	const mw_program *p;
	counts *by_entity;       /* cumulative, per entity */
	int64_t *listed_at;      /* per entity: when a listing last went to its end (s; 0 never) */
	int64_t started;         /* when the daemon started (s) */
	int64_t dead, inbox;     /* gauges */
	svc_ctl src, tgt;        /* copies: calls by status, waits, retries, breaker */
	int64_t held;            /* webhook events held (gauge) */
	int fatal;
	int connected;           /* both services opened */
	int stopping;
	char down[256];          /* why not connected, or why the state file failed */
	char busy[256];          /* why the inbox could not be read last ("": it could) */
	state *hook_st;          /* the webhook server's, under st_mu */
	pthread_mutex_t st_mu;
} snapshot;

static void
publish(snapshot *s, const run *r, const counts *by_entity, const int64_t *listed_at)
{
	int64_t dead = state_dlq_count(r->st, NULL), inbox = state_inbox_count(r->st),
		held = state_inbox_held_count(r->st);

	pthread_mutex_lock(&s->mu);
	memcpy(s->by_entity, by_entity, r->p->n_entities * sizeof *by_entity);
	memcpy(s->listed_at, listed_at, r->p->n_entities * sizeof *listed_at);
	if (dead >= 0)
		s->dead = dead;
	if (inbox >= 0)
		s->inbox = inbox;
	if (held >= 0)
		s->held = held;
	s->src = r->sctl;
	s->tgt = r->tctl;
	s->src.lim.ring = s->tgt.lim.ring = NULL; /* not for the other thread */
	s->fatal = r->fatal;
	pthread_mutex_unlock(&s->mu);
}

/* A printf-style reason into one of the snapshot's strings, under its lock. */
static void
set_why(snapshot *s, char *field, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&s->mu);
	va_start(ap, fmt);
	vsnprintf(field, sizeof s->down, fmt, ap);
	va_end(ap);
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
	put(ctx, "mapwright_token_requests_total{service=\"%s\",outcome=\"ok\"} %ld\n"
		"mapwright_token_requests_total{service=\"%s\",outcome=\"failed\"} %ld\n", t->name,
		t->token_ok, t->name, t->token_failed);
}

/* The day's budget of a service with a daily limit: what the limiter has
 * spent today (a count from another day is none), or less when the
 * service said so (X-DayLimit-Remaining). */
static void
day_budget(hook_append_fn put, void *ctx, const svc_ctl *t, int64_t today)
{
	const limiter *l = &t->lim;
	long left;

	if (!l->per_day)
		return;
	left = l->per_day - (l->day == today ? l->day_calls : 0);
	if (l->day == today && l->day_remaining >= 0 && l->day_remaining < left)
		left = l->day_remaining;
	put(ctx, "mapwright_rate_limit_day_limit{service=\"%s\"} %d\n"
		"mapwright_rate_limit_day_remaining{service=\"%s\"} %ld\n", t->name, l->per_day,
		t->name, left < 0 ? 0 : left);
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
	put(ctx, "# HELP mapwright_inbox_held_events Webhook events held: their record is held"
		" or pending, or could not be read; tried again after a backoff.\n"
		"# TYPE mapwright_inbox_held_events gauge\n"
		"mapwright_inbox_held_events{pair=\"%s\"} %lld\n", s->p->pair, (long long)s->held);
	put(ctx, "# HELP mapwright_start_time_seconds When the daemon started.\n"
		"# TYPE mapwright_start_time_seconds gauge\n"
		"mapwright_start_time_seconds{pair=\"%s\"} %lld\n", s->p->pair, (long long)s->started);
	put(ctx, "# HELP mapwright_poll_interval_seconds The entity's `poll every`.\n"
		"# TYPE mapwright_poll_interval_seconds gauge\n");
	for (size_t i = 0; i < s->p->n_entities; i++)
		if (s->p->entities[i].poll_ms > 0)
			put(ctx, "mapwright_poll_interval_seconds{pair=\"%s\",entity=\"%s\"} %.3f\n",
				s->p->pair, s->p->entities[i].name,
				(double)s->p->entities[i].poll_ms / 1000);
	put(ctx, "# HELP mapwright_poll_success_timestamp_seconds When the entity's listing from"
		" its cursor last went to its end (0: not yet).\n"
		"# TYPE mapwright_poll_success_timestamp_seconds gauge\n");
	for (size_t i = 0; i < s->p->n_entities; i++)
		put(ctx, "mapwright_poll_success_timestamp_seconds{pair=\"%s\",entity=\"%s\"} %lld\n",
			s->p->pair, s->p->entities[i].name, (long long)s->listed_at[i]);
	if (!s->connected) { /* no service figures yet */
		pthread_mutex_unlock(&s->mu);
		return;
	}
	put(ctx, "# HELP mapwright_http_calls_total Calls by service and status class.\n"
		"# TYPE mapwright_http_calls_total counter\n"
		"# HELP mapwright_rate_limit_wait_seconds_total Time spent waiting on rate limits.\n"
		"# TYPE mapwright_rate_limit_wait_seconds_total counter\n"
		"# HELP mapwright_retries_total Requests sent again after a transient failure.\n"
		"# TYPE mapwright_retries_total counter\n"
		"# HELP mapwright_token_requests_total OAuth token requests (fetch or refresh) by"
		" outcome.\n# TYPE mapwright_token_requests_total counter\n");
	calls(put, ctx, &s->src);
	calls(put, ctx, &s->tgt);
	put(ctx, "# HELP mapwright_rate_limit_day_limit Calls a day the service allows.\n"
		"# TYPE mapwright_rate_limit_day_limit gauge\n"
		"# HELP mapwright_rate_limit_day_remaining Calls left of today's (UTC) budget.\n"
		"# TYPE mapwright_rate_limit_day_remaining gauge\n");
	int64_t today = (int64_t)time(NULL) / 86400;
	day_budget(put, ctx, &s->src, today);
	day_budget(put, ctx, &s->tgt, today);
	put(ctx, "# HELP mapwright_circuit_state The target's breaker: 0 closed, 1 open, "
		"2 half-open.\n# TYPE mapwright_circuit_state gauge\n"
		"mapwright_circuit_state{service=\"%s\"} %d\n", s->tgt.name, s->tgt.brk.state);
	pthread_mutex_unlock(&s->mu);
}

/* /healthz: the process is up and serving: the hook's state handle
 * answers, the state file has not failed, both services have been reached. */
static int
health(void *arg, char *why, size_t n)
{
	snapshot *s = arg;
	int bad;

	/* the state file answers (unless a webhook is being stored: then it
	 * does, or that webhook is answered 500) */
	if (pthread_mutex_trylock(&s->st_mu) == 0) {
		bad = state_inbox_count(s->hook_st) < 0;
		if (bad)
			snprintf(why, n, "state: %s", state_errmsg(s->hook_st));
		pthread_mutex_unlock(&s->st_mu);
		if (bad)
			return 1;
	}
	pthread_mutex_lock(&s->mu);
	bad = s->fatal || !s->connected;
	if (bad)
		snprintf(why, n, "%s", s->down[0] ? s->down : "starting");
	pthread_mutex_unlock(&s->mu);
	return bad;
}

/* /readyz: healthy, and the loop can sync now: the inbox is readable, the
 * target's breaker not open, no stop asked for. */
static int
ready(void *arg, char *why, size_t n)
{
	snapshot *s = arg;
	int bad = 1;

	pthread_mutex_lock(&s->mu);
	if (s->stopping)
		snprintf(why, n, "stopping");
	else if (s->busy[0])
		snprintf(why, n, "%s", s->busy);
	else if (s->tgt.brk.state == BRK_OPEN)
		snprintf(why, n, "%s does not answer: its circuit is open", s->tgt.name);
	else
		bad = 0;
	pthread_mutex_unlock(&s->mu);
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

	pthread_mutex_lock(&s->st_mu);
	int rc = eng_hook_store(s->hook_st, source, ev, n, body, len, why, whylen);
	pthread_mutex_unlock(&s->st_mu);
	if (rc > 0)
		wake_loop(); /* committed: the loop reads it now */
	return rc;
}

/* ------------------------------------------------------------------ */
/* webhook events                                                      */
/* ------------------------------------------------------------------ */

typedef struct {
	run *r;
	counts *by_entity;
	int progress;            /* events done or held this turn */
	int failed;              /* events whose outcome could not be recorded */
	int pending;             /* a write left pending (the redrive sends it) */
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

/* 1 s after the first try, doubling to 5 min, with a tenth of jitter: how
 * long an event held n times waits (as a record's `backoff 1s..5m`). */
static int64_t
held_backoff_ms(int n)
{
	int64_t d = 1000;

	for (int i = 0; i < n && d < 300000; i++)
		d *= 2;
	if (d > 300000)
		d = 300000;
	return d + rand() % (d / 10 + 1);
}

/* Why the record of e keyed key is not done after a turn (why: empty). */
static void
not_done(run *r, const mw_entity *e, const char *key, char *why, size_t n)
{
	state_held h;

	if (why[0])
		return;
	if (r->n.held && state_held_get(r->st, e->name, key, &h) == 0)
		snprintf(why, n, "%.60s %.120s held: %.300s", e->name, key, h.why);
	else if (r->n.held)
		snprintf(why, n, "%s %s held", e->name, key);
	else
		snprintf(why, n, "%s %s: a write is pending", e->name, key);
}

/* The record an event names, fetched once for all the entities that take
 * its collection (Order, Payment, Refund... of one order). */
typedef struct {
	char *json;
	size_t len;
	char stamp[STAMP_MAX];
	int got;
} fetched;

static int
keep_record(void *arg, const char *json, size_t len, const char *stamp)
{
	fetched *f = arg;
	char *p = malloc(len + 1);

	if (!p)
		return -1;
	memcpy(p, json, len);
	p[len] = '\0';
	free(f->json);
	f->json = p;
	f->len = len;
	snprintf(f->stamp, sizeof f->stamp, "%s", stamp ? stamp : "");
	f->got = 1;
	return 0;
}

static int
on_event(void *arg, const state_event *ev)
{
	inbox_turn *t = arg;
	run *r = t->r;
	int ok = 1, any = 0, rc = 0;
	char why[512] = "";
	fetched f = { 0 };
	conn_result res;

	if (stop_flag || r->fatal)
		return 1;
	memset(&res, 0, sizeof res);
	for (size_t i = 0; i < r->p->n_entities; i++) {
		const mw_entity *e = &r->p->entities[i];

		/* the entities that read the collection from the service that sent it */
		if (strcmp(e->source, ev->collection) != 0 || !listed_event(e, ev->type) ||
		    (ev->source && strcmp(ev->source, rt_reads(r->p, e)->alias) != 0))
			continue;
		eng_begin_entity(r, e);
		/* a hint: the record comes from the source's API, once */
		if (!any)
			rc = r->so->get(r->src, e->source, ev->record_key, keep_record, &f, &res);
		any = 1;
		if (rc == 0 && f.got)
			eng_record(r, f.json, f.len, f.stamp);
		eng_flush(r);
		if (rc != 0 && res.status != 404) {
			eng_say(r, "warn", "%s: event %s: %s %s could not be fetched (%s): %s", e->name,
				ev->event_id, ev->collection, ev->record_key, http_class_name(res.cls),
				HTTP_LOG_TEXT(res.text));
			if (!why[0])
				snprintf(why, sizeof why, "%s %s could not be fetched (%s)",
					ev->collection, ev->record_key, http_class_name(res.cls));
			ok = 0;
		}
		eng_say(r, "info", "event %s (%s): %s %s: %ld created, %ld updated, %ld unchanged, "
			"%ld filtered, %ld dead, %ld held, %ld pending", ev->event_id, ev->type, e->name,
			ev->record_key, r->n.created, r->n.updated, r->n.unchanged, r->n.filtered,
			r->n.dead, r->n.held, r->n.pending);
		eng_add_counts(&t->by_entity[i], &r->n);
		t->pending |= r->n.pending > 0;
		if (r->n.pending || r->n.held) {
			ok = 0; /* the event stays until its record is done */
			not_done(r, e, ev->record_key, why, sizeof why);
		}
	}
	free(f.json);
	if (r->fatal)
		return 1; /* the engine's own failure: the loop stops, the event stays */
	if (!any)
		eng_say(r, "info", "event %s (%s) names no entity of this pair", ev->event_id,
			ev->type);
	t->progress++;
	if (ok || !any) {
		if (state_inbox_done(r->st, ev->event_id) != 0) {
			eng_say(r, "warn", "event %s: cannot mark it done (%s); it comes again",
				ev->event_id, state_errmsg(r->st));
			t->failed++;
		}
		return 0;
	}
	/* held: tried again after a backoff, behind every new event */
	int64_t d = held_backoff_ms(ev->attempts);
	if (state_inbox_hold(r->st, ev->event_id, state_now_ms() + d, why) != 0) {
		eng_say(r, "warn", "event %s: cannot hold it (%s); it comes again", ev->event_id,
			state_errmsg(r->st));
		t->failed++;
	} else {
		eng_say(r, "info", "event %s held (%d time%s): %s; again in %lld ms", ev->event_id,
			ev->attempts + 1, ev->attempts ? "s" : "", why, (long long)d);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* several workers                                                     */
/* ------------------------------------------------------------------ */

#define LEASE_MS 10000 /* serve --worker's lease time without --lease-ms */

static void
cursor_unit(char *buf, size_t n, const mw_entity *e)
{
	snprintf(buf, n, "cursor:%.100s", e->name);
}

/* Whether this worker may poll e now: the lease on its cursor taken, or
 * held already.  0 yes; 1 another worker holds it; -1 the state failed
 * (a warning: tried again later).  *over: taken over from another holder
 * (one that died, or stopped), whose work the taker redoes at once. */
static int
take_cursor(run *r, const mw_entity *e, int64_t lease, int held, int *over)
{
	char unit[128];
	int64_t token = 0;
	int rc;

	cursor_unit(unit, sizeof unit, e);
	rc = state_lease_take(r->st, unit, lease, &token);
	*over = rc == 0 && !held && token > 1;
	if (rc < 0)
		eng_say(r, "warn", "cannot take the lease on %s: %s; again later", unit,
			state_errmsg(r->st));
	else if (rc == 0 && !held)
		eng_say(r, "info", "%s: this worker (%s) polls it%s", unit, state_holder(r->st),
			*over ? " (taken over: polled now, the journal redriven, held events tried)" : "");
	else if (rc == 1)
		eng_say(r, "debug", "%s: %s", unit, state_errmsg(r->st));
	return rc;
}

/* The leases on the cursors this worker holds, renewed; one taken over
 * meanwhile is given up (so that the handle commits again) and tried for
 * again later. */
static void
renew_cursors(run *r, char *owns, int64_t *next_due, int64_t lease)
{
	for (size_t i = 0; i < r->p->n_entities; i++) {
		char unit[128];
		int rc;

		if (!owns[i])
			continue;
		cursor_unit(unit, sizeof unit, &r->p->entities[i]);
		if ((rc = state_lease_renew(r->st, unit, lease)) == 0)
			continue;
		if (rc < 0) { /* it may still be ours: the next renewal says */
			eng_say(r, "warn", "cannot renew the lease on %s: %s", unit,
				state_errmsg(r->st));
			continue;
		}
		eng_say(r, "warn", "the lease on %s is lost (another worker took it over)", unit);
		state_lease_release(r->st, unit);
		owns[i] = 0;
		next_due[i] = eng_mono_ms() + lease / 3;
	}
}

/* A worker's poll that held records (a payment whose invoice is not
 * written yet): what it waits for is written by whichever worker polls
 * that entity, maybe another, and maybe just after this poll; the entity
 * is polled again after the held events' backoff (1 s doubling), not at
 * its next interval (5 min), while its polls hold records. */
static void
worker_held(run *r, int64_t *next_due, int *polls)
{
	if (!r->n.held || r->fatal) {
		*polls = 0;
		return;
	}
	int64_t at = eng_mono_ms() + held_backoff_ms((*polls)++);

	if (*next_due < 0 || at < *next_due)
		*next_due = at;
}

/* Every lease this worker holds, given up (a stop: the others take over
 * at once, not when the leases expire). */
static void
release_all(run *r, char *owns)
{
	for (size_t i = 0; owns && i < r->p->n_entities; i++) {
		char unit[128];

		if (!owns[i])
			continue;
		cursor_unit(unit, sizeof unit, &r->p->entities[i]);
		state_lease_release(r->st, unit);
		owns[i] = 0;
	}
}

/* ------------------------------------------------------------------ */
/* the loop                                                            */
/* ------------------------------------------------------------------ */

/* Sleep ms, until a stop is asked for (a webhook stored meanwhile waits
 * for the loop: the first inbox turn reads everything). */
static void
nap(int64_t ms)
{
	int64_t end = eng_mono_ms() + ms;

	while (!stop_flag && (ms = end - eng_mono_ms()) > 0)
		wait_wake(ms);
}

/* The earliest retry of a held event, on eng_mono_ms()'s clock; -1 none.
 * Read once at start and after an inbox turn that did something (only
 * the loop holds events, so nothing else moves it).  More than a page
 * held: the page's first, and at most a minute (the rest are older). */
#define HELD_PAGE 256

typedef struct {
	int64_t first;           /* next_at, ms since the epoch; INT64_MAX: none */
	int n;
} held_scan;

static int
on_held(void *arg, const state_event *ev)
{
	held_scan *h = arg;

	if (ev->next_at < h->first)
		h->first = ev->next_at;
	h->n++;
	return 0;
}

static int64_t
held_due(run *r)
{
	held_scan h = { INT64_MAX, 0 };

	if (state_inbox_held_each(r->st, HELD_PAGE, on_held, &h) != 0)
		return eng_mono_ms() + 1000; /* the inbox turn reports it */
	if (h.n == HELD_PAGE && h.first > state_now_ms() + 60000)
		h.first = state_now_ms() + 60000;
	if (h.first == INT64_MAX)
		return -1;
	int64_t in = h.first - state_now_ms();
	return eng_mono_ms() + (in > 0 ? in : 0);
}

/* Whether a write is still pending in the journal after a redrive. */
static int
any_pending(run *r)
{
	for (size_t i = 0; i < r->p->n_entities; i++) {
		int64_t x, pend = 0, dead;
		if (state_counts(r->st, r->p->entities[i].name, &x, &pend, &dead) != 0 || pend)
			return 1;
	}
	return 0;
}

static void
earliest(int64_t *wake, int64_t at)
{
	if (at >= 0 && (*wake < 0 || at < *wake))
		*wake = at;
}

/* Back to the system what the turn freed: the arenas and batches of a
 * burst of work, the last answers and curl's connections (idle.c), and
 * the webhook server's handle's page cache too, are not kept through
 * hours of idling. */
static void
give_back(run *r, snapshot *snap)
{
	eng_release_memory(r);
	pthread_mutex_lock(&snap->st_mu);
	state_release_memory(snap->hook_st);
	pthread_mutex_unlock(&snap->st_mu);
#ifdef __GLIBC__
	malloc_trim(0);
#endif
}

/* The webhook server, with a route for each endpoint whose service sends
 * webhooks (its connector says how they are signed and read), on
 * /webhooks/ALIAS when its key is set.  0, or -1 with the reason in err. */
static int
listen_hooks(const mw_program *p, const char *bind, unsigned port, snapshot *snap, hook_route routes[2],
	FILE *log, hook **h, char *err, size_t errlen)
{
	hook_config hc;
	const mw_endpoint *eps[2] = { &p->source, &p->target };

	memset(&hc, 0, sizeof hc);
	hc.port = port;
	hc.bind = bind;
	hc.store = store;
	hc.metrics = metrics;
	hc.health = health;
	hc.ready = ready;
	hc.arg = snap;
	hc.log = log;
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
	return hook_start(&hc, h, err, errlen) != 0 ? -1 : 0;
}

/* eng_open until it works: a service down (3) is tried again, 1 s
 * doubling to 1 min, while /healthz says why.  0; 2 fatal (the cause
 * logged); -1 a stop was asked for first. */
static int
connect_all(run *r, const mw_program *p, const sync_opts *o, snapshot *snap)
{
	for (int64_t d = 1000;; d = d < 30000 ? d * 2 : 60000) {
		int rc = eng_open(r, p, o, &stop_flag);

		if (rc == 0) {
			pthread_mutex_lock(&snap->mu);
			snap->connected = 1;
			snap->down[0] = '\0';
			pthread_mutex_unlock(&snap->mu);
			return 0;
		}
		char why[256];
		snprintf(why, sizeof why, "%s", r->why[0] ? r->why : "a service is down");
		if (rc != 3) {
			eng_say(r, "error", "cannot start: %s; exiting", r->why[0] ? r->why :
				r->st ? state_errmsg(r->st) : "out of memory");
			eng_close(r);
			return 2;
		}
		eng_close(r);
		if (stop_flag)
			return -1;
		set_why(snap, snap->down, "%s; trying again", why);
		run quiet = { .p = p, .o = o };
		eng_say(&quiet, "warn", "%s; again in %lld s (the webhook server is up, /healthz says "
			"why)", why, (long long)(d / 1000));
		nap(d);
		if (stop_flag)
			return -1;
	}
}

int
sync_serve(const mw_program *p, const sync_opts *o, unsigned port, const char *port_file)
{
	run r;
	snapshot snap;
	hook *h = NULL;
	hook_route routes[2];
	state *hook_st = NULL, *budget_st = NULL; /* budget_st: --worker's shared rate limits */
	char err[256], cause[512] = "";
	counts *by_entity;
	int64_t *next_due, *listed_at, redrive_at, held_at, busy_since = -1, busy_ms = 0;
	int64_t lease = o->lease_ms > 0 ? o->lease_ms : LEASE_MS, tick_at = -1;
	char *owns; /* --worker: the cursors whose lease this worker holds */
	int *held_polls; /* --worker: the polls in a row that held records, per entity */
	struct sigaction sa;
	int status = 0, connected = 0, inbox_now;

	memset(&r, 0, sizeof r);
	r.p = p;
	r.o = o; /* for eng_say until eng_open */
	if (wake_open() != 0) {
		eng_say(&r, "error", "cannot make the loop's pipe: %s; exiting", strerror(errno));
		wake_close();
		return 2;
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL); /* no SA_RESTART: waits end at once */
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	by_entity = calloc(p->n_entities, sizeof *by_entity);
	next_due = calloc(p->n_entities, sizeof *next_due);
	listed_at = calloc(p->n_entities, sizeof *listed_at);
	owns = calloc(p->n_entities, 1);
	held_polls = calloc(p->n_entities, sizeof *held_polls);
	memset(&snap, 0, sizeof snap);
	pthread_mutex_init(&snap.mu, NULL);
	pthread_mutex_init(&snap.st_mu, NULL);
	snap.p = p;
	snap.started = (int64_t)time(NULL);
	snap.by_entity = calloc(p->n_entities, sizeof *snap.by_entity);
	snap.listed_at = calloc(p->n_entities, sizeof *snap.listed_at);
	snprintf(snap.down, sizeof snap.down, "starting: connecting to %s and %s",
		p->source.alias, p->target.alias);
	if (!by_entity || !next_due || !listed_at || !owns || !held_polls || !snap.by_entity ||
	    !snap.listed_at) {
		eng_say(&r, "error", "out of memory; exiting");
		status = 2;
		goto out0;
	}
	/* the server first: it answers /healthz while the services are reached */
	if (state_open_as(o->state_path, o->worker ? STATE_OPEN_WORKER : STATE_OPEN_OWN,
	    &hook_st) != 0) {
		eng_say(&r, "error", "cannot open the state file %s for webhooks: %s; exiting",
			o->state_path, state_errmsg(hook_st));
		status = 2;
		goto out;
	}
	snap.hook_st = hook_st;
	if (listen_hooks(p, o->bind, port, &snap, routes, o->err, &h, err, sizeof err) != 0) {
		eng_say(&r, "error", "cannot listen: %s; exiting", err);
		status = 2;
		goto out;
	}
	eng_say(&r, "info", "serving on %s port %u (webhooks %s, /healthz, /readyz, /metrics)",
		o->bind ? o->bind : "127.0.0.1", hook_port(h),
		routes[0].source && *routes[0].source ? routes[0].source : "off");
	if (port_file) {
		FILE *f = fopen(port_file, "w");

		if (f) {
			fprintf(f, "%u\n", hook_port(h));
			fclose(f);
		}
	}
	if ((status = connect_all(&r, p, o, &snap)) != 0) {
		status = status < 0 ? 0 : status;
		memset(&r, 0, sizeof r);
		r.p = p;
		r.o = o;
		goto stop;
	}
	connected = 1;
	if (o->worker) {
		if (state_open_as(o->state_path, STATE_OPEN_WORKER, &budget_st) != 0) {
			snprintf(cause, sizeof cause, "cannot open the state for the shared rate "
				"limits: %s", state_errmsg(budget_st));
			goto stop;
		}
		eng_budget_share(&r, budget_st, lease);
	}
	publish(&snap, &r, by_entity, listed_at);
	/* What is due, on eng_mono_ms()'s clock (-1: nothing): every entity
	 * now (next_due 0), the journal's pending requests now, the inbox
	 * now (what came before the start), then what each turn leaves. */
	redrive_at = 0;
	inbox_now = 1;
	held_at = 0; /* read after the first turn */
	if (o->worker)
		tick_at = eng_mono_ms() + lease / 3;
	while (!stop_flag && !r.fatal) {
		int64_t now = eng_mono_ms(), wake = -1;
		int worked = 0, pending = 0;

		if (tick_at >= 0 && now >= tick_at) {
			/* a worker's leases renewed, and the events a dead worker
			 * had claimed claimed again once their claims expire */
			renew_cursors(&r, owns, next_due, lease);
			tick_at = eng_mono_ms() + lease / 3;
			inbox_now = 1;
		}
		if (redrive_at >= 0 && now >= redrive_at) {
			/* a worker redrives under the lease "redrive": one at a time */
			int mine = !o->worker || state_lease_take(r.st, "redrive", lease, NULL) == 0;

			if (mine)
				eng_redrive(&r);
			if (mine && o->worker)
				state_lease_release(r.st, "redrive");
			/* again in a minute while the target leaves writes pending */
			redrive_at = !r.fatal && (!mine || any_pending(&r)) ? eng_mono_ms() + 60000 : -1;
			worked = 1;
		}
		for (size_t i = 0; i < p->n_entities && !stop_flag && !r.fatal; i++) {
			const mw_entity *e = &p->entities[i];

			if (next_due[i] < 0 || now < next_due[i])
				continue;
			if (o->worker) {
				int over;

				if (take_cursor(&r, e, lease, owns[i], &over) != 0) {
					owns[i] = 0;
					next_due[i] = eng_mono_ms() + lease / 3;
					continue;
				}
				owns[i] = 1;
				/* what a dead holder left: its pending writes and the
				 * events it held, now rather than at their next turn */
				if (over) {
					redrive_at = now;
					inbox_now = 1;
				}
				eng_say(&r, "debug", "%s: listing at %lld ms", e->name,
					(long long)eng_wall_ms());
			}
			counts none;
			memset(&none, 0, sizeof none);
			if (eng_entity(&r, e, &none) == 0)
				listed_at[i] = (int64_t)time(NULL);
			if (o->worker)
				eng_say(&r, "debug", "%s: listed at %lld ms", e->name,
					(long long)eng_wall_ms());
			eng_add_counts(&by_entity[i], &r.n);
			pending |= r.n.pending > 0;
			next_due[i] = e->poll_ms > 0 ? eng_mono_ms() + e->poll_ms : -1;
			if (o->worker)
				worker_held(&r, &next_due[i], &held_polls[i]);
			if (o->worker && e->poll_ms <= 0 && !r.fatal) { /* polled once: for another */
				char unit[128];

				cursor_unit(unit, sizeof unit, e);
				state_lease_release(r.st, unit);
				owns[i] = 0;
			}
			publish(&snap, &r, by_entity, listed_at);
			worked = 1;
		}
		if (stop_flag || r.fatal)
			break;
		if (held_at >= 0 && eng_mono_ms() >= held_at)
			inbox_now = 1;
		if (inbox_now) {
			inbox_turn t = { &r, by_entity, 0, 0, 0 };
			if ((o->worker ? state_inbox_claim(r.st, 50, 6 * lease, on_event, &t) :
			    state_inbox_each(r.st, 50, on_event, &t)) != 0 || t.failed) {
				/* the state file busy or failing: a bounded wait, then fatal */
				now = eng_mono_ms();
				if (busy_since < 0)
					busy_since = now;
				busy_ms = busy_ms ? (busy_ms < 2500 ? busy_ms * 2 : 5000) : 200;
				set_why(&snap, snap.busy, "the webhook inbox: %s", state_errmsg(r.st));
				if (now - busy_since >= 60000) {
					snprintf(cause, sizeof cause, "the webhook inbox failed for "
						"%lld s: %s", (long long)(now - busy_since) / 1000,
						state_errmsg(r.st));
					break;
				}
				eng_say(&r, "warn", "the webhook inbox: %s; again in %lld ms",
					state_errmsg(r.st), (long long)busy_ms);
				publish(&snap, &r, by_entity, listed_at);
				nap(busy_ms);
				continue;
			}
			if (busy_since >= 0)
				set_why(&snap, snap.busy, "%s", "");
			busy_since = -1;
			busy_ms = 0;
			publish(&snap, &r, by_entity, listed_at);
			pending |= t.pending;
			/* more events may be waiting: another turn, until one finds none */
			inbox_now = t.progress > 0;
			if (t.progress || held_at >= 0)
				held_at = held_due(&r);
			worked = 1;
		}
		if (pending && redrive_at < 0)
			redrive_at = eng_mono_ms() + 60000;
		if (inbox_now)
			continue;
		for (size_t i = 0; i < p->n_entities; i++)
			earliest(&wake, next_due[i]);
		earliest(&wake, held_at);
		earliest(&wake, redrive_at);
		earliest(&wake, tick_at);
		if (worked)
			give_back(&r, &snap);
		now = eng_mono_ms();
		if (wait_wake(wake < 0 ? -1 : wake > now ? wake - now : 0))
			inbox_now = 1;
	}
	if (r.fatal && !cause[0])
		snprintf(cause, sizeof cause, "the state file failed: %s", state_errmsg(r.st));
stop:
	pthread_mutex_lock(&snap.mu);
	snap.stopping = 1;
	if (cause[0]) {
		snap.fatal = 1;
		snprintf(snap.down, sizeof snap.down, "%.250s", cause);
	}
	pthread_mutex_unlock(&snap.mu);
	if (cause[0]) {
		status = 2;
		eng_say(&r, "error", "%s; exiting", cause);
	} else if (!status) {
		eng_say(&r, "info", "stopped by a signal; exiting");
	}
	hook_stop(h);
out:
	state_close(hook_st);
	if (connected) {
		release_all(&r, owns);
		eng_close(&r);
	}
	state_close(budget_st);
out0:
	pthread_mutex_destroy(&snap.mu);
	pthread_mutex_destroy(&snap.st_mu);
	free(snap.by_entity);
	free(snap.listed_at);
	free(by_entity);
	free(next_due);
	free(listed_at);
	free(owns);
	free(held_polls);
	wake_close();
	return status;
}
