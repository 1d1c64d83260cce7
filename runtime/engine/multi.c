/*
 * multi.c - concurrent requests: up to the target's `concurrent` limit of
 * an entity's write requests in flight at once, in one event loop (the
 * curl multi interface, http.h's tapes), inside the same rate limiter.
 *
 * Each full batch is journaled first (eng_flush: intent durable before
 * the call, as ever), then handed to a free unit here, which runs the
 * connector's write() with a tape on the target's gate: the connector
 * makes its calls as it always does, the first one it has no answer for
 * is queued on the multi handle, and write() is run again from its start
 * when that answer is in (http.h says why that is the same as making the
 * calls one at a time).  What the answers say is recorded as a request
 * sent alone would be (eng_answered: outcomes, dead letters, splits),
 * retries wait on a timer of the loop instead of a sleep, and the circuit
 * breaker counts every answer.
 *
 * What keeps its order: the entities (eng_multi_end before the cursor
 * moves and before the next entity starts, so a document goes after the
 * records it references); the versions of one key (a record whose key a
 * request in flight holds is looked at once that request's answer is
 * recorded, eng_multi_wait_key, and a batch holding such a key waits for
 * it too); the journal (a crash leaves the intents of every request in
 * flight pending, and the next start sends each again byte for byte with
 * its key).
 *
 * Who may run concurrently: a connector whose published cap
 * (conn_ops.concurrent) is above 1 -- that cap also says its write() makes
 * the same requests again when given the same answers; the .map's
 * `limit N concurrent` may lower it.  The writes of a listing, of `dlq
 * retry` and of the journal's re-sends go this way (sync.c begins and
 * ends an entity's requests around each); a dry run goes one at a time.
 *
 * Reads made meanwhile (a batch's find, the rate a record's mapping asks
 * the target for) go out on the same loop (eng_multi_read), one at a
 * time: the run waits for their answer, the requests in flight go on.
 *
 * Memory: a batch of slots per unit (r->cap each), allocated once.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "eng.h"

typedef struct {
	slot *slots;              /* its batch: r->cap slots, swapped with the run's */
	slot **ptrs;              /* &slots[i], for eng_answered */
	conn_item *items;
	size_t n;
	char rkey[64];
	http_tape *tape;
	int busy, sleeping, attempt;
	int64_t due;              /* sleeping: when the next attempt goes (monotonic ms) */
	int rc;
	conn_result res;
} unit;

struct eng_multi {
	const eng_multi_hooks *h; /* sync.c's */
	http_multi *hm;
	http_tape *find;          /* a read's calls (a find, a rate), made while the units'
	                           * are in flight */
	unit *u;
	int n;                    /* units: requests in flight at most */
	size_t cap;               /* slots per unit */
	int on;
};

static int
stopping(const run *r)
{
	return r->stop && *r->stop;
}

int64_t
eng_gate_ready(void *arg, const http_request *req)
{
	svc_ctl *t = arg;
	int units = req->cost > 0 ? req->cost : 1;
	int64_t now = eng_wall_ms(), w = lim_wait_ms(&t->lim, now, units);

	if (w > 0) {
		if (!t->held_since) {
			t->held_since = eng_mono_ms();
			if (t->r->mx)
				t->r->mx->h->say(t->r, "info", "%s: at its rate limit: waiting %lld ms",
					t->name, (long long)w);
		}
		return w;
	}
	if (t->held_since) {
		t->waited_ms += eng_mono_ms() - t->held_since;
		t->held_since = 0;
	}
	t->sent_ms = now;
	lim_take(&t->lim, now, units);
	return 0;
}

/* How many requests of the entity being run may be in flight at once. */
static int
width(const run *r)
{
	int cap = r->to->concurrent, want = r->tep->limit_concurrent;

	if (cap <= 1 || r->o->dry_run)
		return 1;
	return want > 0 && want < cap ? want : cap;
}

static void
units_free(struct eng_multi *m)
{
	for (int i = 0; m->u && i < m->n; i++) {
		unit *u = &m->u[i];

		for (size_t k = 0; u->slots && k < m->cap; k++) {
			free(u->slots[k].doc);
			free(u->slots[k].rec);
			free(u->slots[k].udoc);
		}
		free(u->slots);
		free(u->ptrs);
		free(u->items);
		http_tape_free(u->tape);
	}
	free(m->u);
	m->u = NULL;
	m->n = 0;
}

void
eng_multi_free(run *r)
{
	struct eng_multi *m = r->mx;

	if (!m)
		return;
	http_multi_free(m->hm); /* before the tapes whose calls it sends */
	units_free(m);
	http_tape_free(m->find);
	free(m);
	r->mx = NULL;
}

void
eng_multi_begin(run *r, const eng_multi_hooks *h)
{
	struct eng_multi *m = r->mx;
	int n = width(r);

	if (m)
		m->on = 0;
	if (n <= 1)
		return;
	if (m && (m->n != n || m->cap != r->cap)) {
		eng_multi_free(r); /* another width: made again */
		m = NULL;
	}
	if (!m) {
		if (!(m = calloc(1, sizeof *m)) || http_multi_new(&m->hm, n) != 0 ||
		    !(m->u = calloc((size_t)n, sizeof *m->u)) || http_tape_new(&m->find, m) != 0) {
			if (m) {
				http_multi_free(m->hm);
				free(m->u);
			}
			free(m);
			return; /* one at a time, as before */
		}
		r->mx = m;
		m->cap = r->cap;
		for (int i = 0; i < n; i++) {
			unit *u = &m->u[i];

			m->n = i + 1;
			if (!(u->slots = calloc(r->cap, sizeof *u->slots)) ||
			    !(u->ptrs = calloc(r->cap, sizeof *u->ptrs)) ||
			    !(u->items = calloc(r->cap, sizeof *u->items)) ||
			    http_tape_new(&u->tape, u) != 0) {
				eng_multi_free(r);
				return;
			}
		}
	}
	m->on = 1;
	m->h = h;
}

static void decided(run *r, unit *u);

/* One run of the unit's write(): its outcome, or its next call queued. */
static void
run_write(run *r, struct eng_multi *m, unit *u)
{
	http_tape_rewind(u->tape);
	for (size_t i = 0; i < u->n; i++) {
		memset(&u->items[i].res, 0, sizeof u->items[i].res);
		u->items[i].id[0] = '\0';
	}
	memset(&u->res, 0, sizeof u->res);
	r->tc->gate.tape = u->tape;
	u->rc = r->to->write(r->tgt, u->rkey, u->items, u->n, &u->res);
	r->tc->gate.tape = NULL;
	if (http_tape_deferred(u->tape)) {
		http_multi_add(m->hm, u->tape);
		return;
	}
	decided(r, u);
}

/* Every outcome of the unit's request recorded; the unit is free. */
static void
finish(run *r, unit *u)
{
	u->busy = u->sleeping = 0;
	r->mx->h->answered(r, u->rkey, u->ptrs, u->n, u->items, u->rc, &u->res);
	http_tape_clear(u->tape);
}

/* An attempt: refused by an open breaker, or run. */
static void
attempt(run *r, struct eng_multi *m, unit *u)
{
	u->sleeping = 0;
	http_tape_clear(u->tape); /* a new attempt asks the service again */
	if (m->h->breaker_refuses(r, &u->res)) {
		u->rc = -1;
		finish(r, u);
		return;
	}
	run_write(r, m, u);
}

/* The write() answered (rc, res): again after a while, or done. */
static void
decided(run *r, unit *u)
{
	int64_t d;

	if (r->mx->h->write_again(r, u->attempt, u->rc, &u->res, &d)) {
		u->sleeping = 1;
		u->due = eng_mono_ms() + d;
		u->attempt++;
		return;
	}
	finish(r, u);
}

static int
any_busy(const struct eng_multi *m)
{
	for (int i = 0; i < m->n; i++)
		if (m->u[i].busy)
			return 1;
	return 0;
}

/* One turn of the loop: attempts whose wait is over go, then the transfers
 * run until an answer completes a unit's write() or the next wait ends.
 * 1 when it was the find's tape that has its answers. */
static int
step(run *r, struct eng_multi *m)
{
	int64_t now = eng_mono_ms(), wait = 1000; /* a stop is seen within a second */

	for (int i = 0; i < m->n; i++) {
		unit *u = &m->u[i];

		if (!u->busy || !u->sleeping)
			continue;
		if (stopping(r)) {
			finish(r, u); /* journaled: the next start sends it again */
			continue;
		}
		if (u->due <= now)
			attempt(r, m, u);
		else if (u->due - now < wait)
			wait = u->due - now;
	}
	if (r->fatal)
		return 0;
	for (int i = 0; i < m->n; i++)
		if (m->u[i].busy && m->u[i].sleeping && m->u[i].due <= eng_mono_ms())
			return 0; /* due now: the next turn sends it */
	if (!http_multi_busy(m->hm)) {
		if (any_busy(m))
			m->h->sleep_ms(r, wait); /* only retries wait */
		return 0;
	}
	http_tape *t = http_multi_wait(m->hm, wait);
	if (t == m->find)
		return 1;
	if (t)
		run_write(r, m, http_tape_user(t));
	return 0;
}

int
eng_multi_read(run *r, http_gate *gate, int (*call)(run *r, void *arg, conn_result *res),
	void *arg, conn_result *res)
{
	struct eng_multi *m = r->mx;
	int rc;

	if (!m || !m->on)
		return call(r, arg, res);
	/* made as the writes' calls are: the ones in flight go on meanwhile */
	http_tape_clear(m->find);
	for (;;) {
		http_tape_rewind(m->find);
		gate->tape = m->find;
		rc = call(r, arg, res);
		gate->tape = NULL;
		if (!http_tape_deferred(m->find))
			break;
		http_multi_add(m->hm, m->find);
		while (!r->fatal && !step(r, m))
			;
		if (r->fatal) {
			conn_result_set(res, HTTP_TRANSIENT, 0, "the state store failed");
			rc = -1;
			break;
		}
	}
	http_tape_clear(m->find);
	return rc;
}

typedef struct {
	conn_find_item *items;
	size_t n;
} find_args;

static int
find_call(run *r, void *arg, conn_result *res)
{
	find_args *f = arg;

	return r->to->find(r->tgt, r->e->target, r->e->match_field, f->items, f->n, res);
}

int
eng_multi_find(run *r, conn_find_item *items, size_t n, conn_result *res)
{
	find_args f = { items, n };

	return eng_multi_read(r, &r->tc->gate, find_call, &f, res);
}

/* Whether a request in flight holds the record source_id. */
static int
holds(const struct eng_multi *m, const char *source_id)
{
	for (int i = 0; i < m->n; i++) {
		const unit *u = &m->u[i];

		for (size_t k = 0; u->busy && k < u->n; k++)
			if (!strcmp(u->slots[k].source_id, source_id))
				return 1;
	}
	return 0;
}

/* Whether slots[0..n) holds a key that a request in flight holds. */
static int
in_flight(const struct eng_multi *m, const slot *slots, size_t n)
{
	for (size_t j = 0; j < n; j++)
		if (holds(m, slots[j].source_id))
			return 1;
	return 0;
}

void
eng_multi_wait_key(run *r, const char *source_id)
{
	struct eng_multi *m = r->mx;

	if (!m || !m->on)
		return;
	while (!r->fatal && holds(m, source_id))
		step(r, m);
}

static unit *
free_unit(struct eng_multi *m)
{
	for (int i = 0; i < m->n; i++)
		if (!m->u[i].busy)
			return &m->u[i];
	return NULL;
}

int
eng_multi_send(run *r, const char *request_key)
{
	struct eng_multi *m = r->mx;
	unit *u = NULL;

	if (!m || !m->on)
		return 0;
	while (!r->fatal && (!(u = free_unit(m)) || in_flight(m, r->slots, r->ns)))
		step(r, m);
	if (r->fatal)
		return 1; /* journaled: the next start sends it */
	slot *t = u->slots;

	u->slots = r->slots;
	r->slots = t;
	u->n = r->ns;
	for (size_t i = 0; i < u->n; i++) {
		u->ptrs[i] = &u->slots[i];
		memset(&u->items[i], 0, sizeof u->items[i]);
	}
	m->h->items(r, u->ptrs, u->n, u->items);
	snprintf(u->rkey, sizeof u->rkey, "%s", request_key);
	u->busy = 1;
	u->attempt = 1;
	attempt(r, m, u);
	return 1;
}

void
eng_multi_end(run *r)
{
	struct eng_multi *m = r->mx;

	if (!m || !m->on)
		return;
	while (!r->fatal && any_busy(m))
		step(r, m);
	if (r->fatal) {
		/* the state store failed: what is in flight is left to the
		 * journal, sent again by the next start */
		http_multi_free(m->hm);
		m->hm = NULL;
		for (int i = 0; i < m->n; i++)
			m->u[i].busy = 0;
		eng_multi_free(r);
		return;
	}
	m->on = 0;
}
