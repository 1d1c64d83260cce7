/*
 * sync.c - the sync engine: `run --once` and `status`.
 *
 * For every entity, in the program's dependency order (customers before
 * the orders that reference them): list what changed in the source since
 * the entity's cursor, transform each record with the generated function,
 * write the documents to the target in batches, record each outcome, and
 * move the cursor only past records that are done.
 *
 * One record, as the journal sees it (docs/state.md):
 *   unchanged   its (entity, key) has a cross-reference with the same hash
 *   filtered    the entity's `when` is false: nothing to write
 *   dead        the transform failed (`invalid`), or the target refused the
 *               document for good: one dead letter per record version
 *   held        a `ref` names a record not written yet (`on unresolved ->
 *               hold`): it waits, and so does the cursor
 *   written     intent (journal, durable) -> request with the idempotency
 *               key -> outcome, cross-reference and dead letters in one
 *               transaction
 *   pending     no answer, or only transient ones after the retries: the
 *               journal keeps the request, and the next run sends it again
 *               byte for byte with the same key before anything else, so
 *               a write whose answer was lost is never made twice
 *
 * The cursor becomes the oldest stamp of a record that is not done, or the
 * newest stamp seen when all are; listings are inclusive, and the hash
 * check makes the records at the boundary cost nothing.
 *
 * Memory: one context (arena reset per record) and one batch of at most
 * max_batch documents, whatever the number of records.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "eng.h"

/* ------------------------------------------------------------------ */
/* settings and small helpers                                          */
/* ------------------------------------------------------------------ */

const char *
eng_setting(void *arg, const char *key)
{
	const mw_endpoint *ep = arg;

	for (size_t i = 0; i < ep->n_settings; i++) {
		const mw_setting *s = &ep->settings[i];

		if (strcmp(s->key, key) != 0)
			continue;
		if (s->env) {
			const char *v = getenv(s->env);
			return v && *v ? v : NULL;
		}
		return s->literal;
	}
	return NULL;
}

int
sync_file_sink(void *arg, const char *p, size_t n)
{
	return fwrite(p, 1, n, arg) == n ? 0 : -1;
}

/* 128 bits of the record's bytes, the record version's fingerprint: a
 * changed record gets a new hash, an unchanged one the same on every
 * machine.  Not a key a target sees (those are state_idem_key's SHA-256);
 * it is compared with the fingerprints the state file already holds
 * (cross-references, journal, dead letters), so it stays as it was: a new
 * function would make every record listed after an upgrade look changed. */
static void
hash128(const char *p, size_t n, char out[40])
{
	uint64_t h1 = 1469598103934665603u, h2 = 7809847782465536322u;

	for (size_t i = 0; i < n; i++) {
		h1 = (h1 ^ (unsigned char)p[i]) * 1099511628211u;
		h2 = (h2 ^ (unsigned char)p[i]) * 1099511628211u;
		h2 ^= h2 >> 29;
	}
	snprintf(out, 40, "%016llx%016llx", (unsigned long long)h1, (unsigned long long)h2);
}

static int
grow(char **p, size_t *cap, size_t need)
{
	if (need <= *cap)
		return 0;
	size_t c = *cap ? *cap : 4096;
	while (c < need)
		c *= 2;
	char *q = realloc(*p, c);
	if (!q)
		return -1;
	*p = q;
	*cap = c;
	return 0;
}

static int
level_of(const char *level)
{
	static const char *const names[] = { "debug", "info", "warn", "error" };

	for (int i = 0; i < 4; i++)
		if (!strcmp(level, names[i]))
			return i;
	return 2;
}

/* One line on err: text for a person at a terminal (`run --once`), or a
 * JSON line (`serve --log-json`) with the time, level, pair and message.
 * Messages name records by key and never hold a secret or a token. */
void
eng_vsay(run *r, const char *level, const char *fmt, va_list ap)
{
	char msg[2048];
	size_t n;

	if (!r->o->err || level_of(level) < r->o->log_level)
		return;
	vsnprintf(msg, sizeof msg, fmt, ap);
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	if (!r->o->log_json) {
		fprintf(r->o->err, "%s: %s\n", r->p->pair, msg);
		return;
	}
	char ts[32];
	time_t now = time(NULL);
	struct tm tm;
	w_buf b;

	gmtime_r(&now, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (w_buf_init(&b, 4096, 1 << 20, NULL, NULL) != 0)
		return;
	w_buf_put(&b, "{\"ts\":\"", 7);
	w_buf_put(&b, ts, strlen(ts));
	w_buf_put(&b, "\",\"level\":", 10);
	w_json_str(&b, level, strlen(level), 1);
	w_buf_put(&b, ",\"pair\":", 8);
	w_json_str(&b, r->p->pair, strlen(r->p->pair), 1);
	w_buf_put(&b, ",\"msg\":", 7);
	w_json_str(&b, msg, n, 1);
	w_buf_put(&b, "}\n", 2);
	if (!b.err)
		fwrite(b.p, 1, b.len, r->o->err);
	w_buf_fini(&b);
}

void
eng_say(run *r, const char *level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	eng_vsay(r, level, fmt, ap);
	va_end(ap);
}

/* the engine's own warnings */
static void
say(run *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	eng_vsay(r, "warn", fmt, ap);
	va_end(ap);
}

static void
db_fail(run *r, const char *what)
{
	say(r, "state file: %s: %s\n", what, state_errmsg(r->st));
	r->fatal = 1;
}

static void
open_record(run *r, const char *stamp)
{
	if (!r->any_open || strcmp(stamp, r->oldest_open) < 0)
		snprintf(r->oldest_open, sizeof r->oldest_open, "%s", stamp);
	r->any_open = 1;
}

static void
progress(run *r)
{
	if (!r->o->progress || r->n.read - r->shown < 100)
		return;
	r->shown = r->n.read;
	fprintf(r->o->err, "\r%s: %ld read, %ld created, %ld updated, %ld unchanged, %ld dead",
		r->e->name, r->n.read, r->n.created, r->n.updated, r->n.unchanged, r->n.dead);
	fflush(r->o->err);
}

/* ------------------------------------------------------------------ */
/* rate limits and calls, per service (the HTTP gate)                  */
/* ------------------------------------------------------------------ */


static void
gate_before(void *arg, const http_request *req)
{
	svc_ctl *t = arg;
	int units = req->cost > 0 ? req->cost : 1;
	int64_t w;

	/* asked again after a wait: a shared budget (serve --worker) may be
	 * spent meanwhile by another process */
	while ((w = lim_wait_ms(&t->lim, eng_wall_ms(), units)) > 0 && !eng_stopping(t->r)) {
		eng_say(t->r, "info", "%s: at its rate limit: waiting %lld ms", t->name, (long long)w);
		eng_sleep_ms(t->r, w); /* the limiter: never over the published limit */
		t->waited_ms += w;
	}
	t->sent_ms = eng_wall_ms();
	lim_take(&t->lim, t->sent_ms, units);
}

static void
gate_after(void *arg, const http_request *req, int rc, const http_response *resp, int64_t ms)
{
	svc_ctl *t = arg;

	if (t->o->call_log)
		fprintf(t->o->call_log, "%lld %s %ld %lld %d %s\n", (long long)(eng_wall_ms() - ms),
			t->name, rc == 0 ? resp->status : 0L, (long long)ms, req->cost > 0 ? req->cost : 1,
			req->method);
	if (rc == 0) {
		lim_observe(&t->lim, resp);
		t->by_status[resp->status >= 100 && resp->status < 600 ? resp->status / 100 : 6]++;
		t->rate_limited += resp->status == 429;
	} else {
		t->by_status[0]++;
	}
	/* a token request (RFC 6749: every grant's form starts grant_type=) */
	if (req->body && req->body_len > 11 && !memcmp(req->body, "grant_type=", 11)) {
		if (rc == 0 && resp->status / 100 == 2)
			t->token_ok++;
		else
			t->token_failed++;
	}
}

static int
ctl_init(svc_ctl *t, const mw_endpoint *ep, const conn_ops *ops, run *r)
{
	const sync_opts *o = r->o;

	int per_min = ep->limit_per_min ? ep->limit_per_min : ops ? ops->per_min : 0;
	int per_day = ep->limit_per_day ? ep->limit_per_day : ops ? ops->per_day : 0;

	memset(t, 0, sizeof *t);
	t->name = ep->service;
	t->o = o;
	t->r = r;
	brk_init(&t->brk, 5, 30000, 300000);
	t->gate.before = gate_before;
	t->gate.after = gate_after;
	t->gate.ready = eng_gate_ready;
	t->gate.arg = t;
	return lim_init(&t->lim, per_min, per_day);
}

/* ------------------------------------------------------------------ */
/* error policies (the .map's `on ... -> ...`)                         */
/* ------------------------------------------------------------------ */

static const mw_policy default_transient = {
	0, MW_ON_HTTP, 0, 0, MW_DO_RETRY, 4, 1000, 30000, 1, 1, MW_DO_DEAD_LETTER, NULL
};
static const mw_policy rate_limited = {
	0, MW_ON_HTTP, 429, 429, MW_DO_RETRY, 8, 1000, 60000, 1, 1, MW_DO_DEAD_LETTER, NULL
};
static const mw_policy default_final = {
	0, MW_ON_HTTP, 0, 0, MW_DO_DEAD_LETTER, 0, 0, 0, 0, 0, MW_DO_DEAD_LETTER, NULL
};

/* The first policy of the entity that matches the outcome. */
static const mw_policy *
policy_for(const mw_entity *e, const conn_result *res)
{
	for (size_t i = 0; i < e->n_policies; i++) {
		const mw_policy *p = &e->policies[i];

		if (p->cond == MW_ON_HTTP && res->status >= p->lo && res->status <= p->hi) {
			/* a 429 says "later", never "no": a range such as 4xx that
			 * would dead-letter it waits instead, unless the .map names
			 * 429 itself */
			if (res->status == 429 && p->lo != p->hi && p->action != MW_DO_RETRY)
				return &rate_limited;
			return p;
		}
		if (res->status == 0 && res->cls == HTTP_TRANSIENT &&
		    (p->cond == MW_ON_TIMEOUT || p->cond == MW_ON_NETWORK))
			return p;
	}
	return res->cls == HTTP_PERMANENT ? &default_final : &default_transient;
}

static const mw_policy *
policy_of(const mw_entity *e, mw_cond_kind cond)
{
	for (size_t i = 0; i < e->n_policies; i++)
		if (e->policies[i].cond == cond)
			return &e->policies[i];
	return NULL;
}

/* The policy for a ref to `entity` that found nothing: the first
 * `on unresolved` naming that entity or none. */
static const mw_policy *
ref_policy(const mw_entity *e, const char *entity)
{
	for (size_t i = 0; i < e->n_policies; i++)
		if (e->policies[i].cond == MW_ON_REF &&
		    (!e->policies[i].entity || !strcmp(e->policies[i].entity, entity)))
			return &e->policies[i];
	return NULL;
}

/* Exponential backoff with full jitter, or what Retry-After says. */
static int64_t
backoff_ms(const mw_policy *p, int attempt, const conn_result *res)
{
	int64_t lo = p->backoff_min_ms > 0 ? p->backoff_min_ms : 1000;
	int64_t hi = p->backoff_max_ms > 0 ? p->backoff_max_ms : 60000, d = lo;

	if (res->retry_after_ms >= 0 && (p->after_header || res->cls == HTTP_RATE_LIMITED))
		return res->retry_after_ms;
	for (int i = 1; i < attempt && d < hi; i++)
		d *= 2;
	if (d > hi)
		d = hi;
	if (p->jitter)
		d = lo + (int64_t)((double)rand() / RAND_MAX * (double)(d - lo));
	return d;
}

/* Waits ms, or less when a signal asked the daemon to stop. */
void
eng_sleep_ms(run *r, int64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

	while (!eng_stopping(r) && nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

int
eng_stopping(const run *r)
{
	return r->stop && *r->stop;
}

/* ------------------------------------------------------------------ */
/* outcomes                                                            */
/* ------------------------------------------------------------------ */

static void
dead_letter(run *r, const char *source_id, const char *hash, const char *rec, size_t rec_len,
	const char *reason, const char *target_error, int line, const char *field)
{
	char *copy = malloc(rec_len + 1);

	if (!copy) {
		r->fatal = 1;
		return;
	}
	memcpy(copy, rec, rec_len);
	copy[rec_len] = '\0';
	if (state_dlq_add(r->st, r->e->name, source_id, hash, copy, reason, target_error, line,
	    field, &r->last_dead) != 0 || state_held_clear(r->st, r->e->name, source_id) != 0)
		db_fail(r, "adding a dead letter");
	free(copy);
	r->n.dead++;
}

/* The answer for one slot of a request that was answered. */
static void
outcome(run *r, slot *s, const conn_item *it)
{
	if (s->state_done)
		return;
	if (it->res.cls == HTTP_OK && it->id[0]) {
		if (state_journal_finish(r->st, s->key, STATE_DONE, it->id, NULL) != 0 ||
		    state_xref_put_doc(r->st, r->e->name, s->source_id, it->id, s->hash,
			s->op == CONN_OP_VOID ? "voided" : s->doc_hash) != 0 ||
		    state_held_clear(r->st, r->e->name, s->source_id) != 0) {
			db_fail(r, "recording a write");
			return;
		}
		if (s->op == CONN_OP_VOID)
			say(r, "%s %s: %s %s voided", r->e->name, s->source_id, r->e->target, it->id);
		if (s->has_update)
			r->n.updated++;
		else
			r->n.created++;
		return;
	}
	const mw_policy *p = policy_for(r->e, &it->res);
	if (it->res.cls == HTTP_PERMANENT || p->action == MW_DO_DEAD_LETTER) {
		char reason[1400];

		snprintf(reason, sizeof reason, "%s refused the %s: %s", r->tep->service,
			r->e->target, it->res.text);
		if (state_journal_finish(r->st, s->key, STATE_FAILED, NULL, it->res.text) != 0) {
			db_fail(r, "recording a refusal");
			return;
		}
		if (p->action == MW_DO_SKIP) {
			if (state_held_clear(r->st, r->e->name, s->source_id) != 0)
				db_fail(r, "recording a refusal");
			r->n.filtered++;
			return;
		}
		dead_letter(r, s->source_id, s->hash, s->rec, s->rec_len, reason, it->res.text,
			p->line, NULL);
		return;
	}
	/* answered, but this item was not written (transient): a new request
	 * next time; the record stays open */
	if (state_journal_finish(r->st, s->key, STATE_FAILED, NULL, it->res.text) != 0)
		db_fail(r, "recording a failure");
	r->n.pending++;
	open_record(r, s->stamp);
}

/* Whether a refusal of a whole request may be no document's own: a 4xx for
 * the request (a body the service could not read, one document that spoils
 * its batch).  Not an answer that would be the same for every document
 * (401/403 the credentials, 404/405 the endpoint), not one that came from
 * no answer at all (status 0: the connector refused it before sending). */
static int
splittable(const conn_result *res)
{
	long st = res->status;

	return res->cls == HTTP_PERMANENT && st >= 400 && st < 500 && st != 401 && st != 403 &&
		st != 404 && st != 405 && st != 407 && st != 429;
}

static void send_request(run *r, const char *request_key, slot **slots, size_t n);

/* A call to the target into its circuit breaker (down: it did not serve
 * the call); 1, and a line saying why, when that leaves the breaker open
 * (a call is made only while it is not).  lookup: the field a find asked
 * by, or NULL for a write (the answer's words say why). */
static int
target_result(run *r, int down, const conn_result *res, const char *lookup)
{
	brk_result(&r->tc->brk, down, eng_mono_ms());
	if (r->tc->brk.state != BRK_OPEN)
		return 0;
	if (lookup)
		say(r, "%s: %s looks down (looking up by %s); its circuit breaker is open for %lld s",
			r->e->name, r->tep->service, lookup,
			(long long)(r->tc->brk.cooldown_ms / 1000));
	else
		say(r, "%s: %s looks down (%s); its circuit breaker is open for %lld s", r->e->name,
			r->tep->service, HTTP_LOG_TEXT(res->text),
			(long long)(r->tc->brk.cooldown_ms / 1000));
	return 1;
}

/* The journal's intent for the document in s, at position seq of the
 * request request_key (inside the caller's transaction). */
static int
intend(run *r, const slot *s, const char *request_key, int seq)
{
	state_write w = { s->key, r->e->name, s->source_id, s->hash, request_key, seq, s->doc,
		s->doc_len, s->has_update ? s->update_id : NULL, s->has_match ? s->match : NULL,
		s->rec, s->rec_len, s->stamp, NULL, s->op == CONN_OP_VOID ? "void" : NULL };

	return state_journal_intent(r->st, &w);
}

/* A request refused as a whole, not for any one document's reason: its
 * documents go again in two halves, each a request of its own keyed
 * state_idem_key(KEY, "s1") and (KEY, "s2") -- 36 characters, whatever the
 * depth -- journaled, both halves in one transaction, before the first is
 * sent; a half refused as a whole is split in turn, down to one document,
 * whose refusal is then its own.  A crash in between leaves the halves in
 * the journal as requests of their own, re-sent byte for byte. */
static void
split_request(run *r, const char *request_key, slot **slots, size_t n)
{
	char keys[2][64];
	size_t half = (n + 1) / 2, at[2] = { 0, half }, len[2] = { half, n - half };
	int rc;

	for (int h = 0; h < 2; h++) {
		const char *parts[2] = { request_key, h ? "s2" : "s1" };

		if (state_idem_key(parts, 2, keys[h], sizeof keys[h]) != 0) {
			say(r, "%s: no idempotency key for a part of request %s\n", r->e->name,
				request_key);
			r->fatal = 1;
			return;
		}
	}
	say(r, "%s: request %s refused as a whole; its %zu documents go again as %s and %s",
		r->e->name, request_key, n, keys[0], keys[1]);
	rc = state_begin(r->st);
	for (int h = 0; h < 2 && rc == 0; h++)
		for (size_t i = 0; i < len[h] && rc == 0; i++)
			rc = intend(r, slots[at[h] + i], keys[h], (int)i);
	if (rc != 0 || state_commit(r->st) != 0) {
		state_rollback(r->st);
		db_fail(r, "recording the intent to write");
		return;
	}
	for (int h = 0; h < 2 && !r->fatal && !eng_stopping(r); h++)
		send_request(r, keys[h], slots + at[h], len[h]);
}

/* The conn_items of slots[0..n): inputs only. */
static void
items_of(run *r, slot **slots, size_t n, conn_item *items)
{
	for (size_t i = 0; i < n; i++) {
		items[i].op = slots[i]->op;
		items[i].type = r->e->target;
		items[i].doc = slots[i]->doc;
		items[i].len = slots[i]->doc_len;
		items[i].key = slots[i]->key;
		items[i].target_id = slots[i]->has_update ? slots[i]->update_id : NULL;
		items[i].match_field = slots[i]->has_match ? r->e->match_field : NULL;
		items[i].match_value = slots[i]->has_match ? slots[i]->match : NULL;
	}
}

/* 1 (res said why) when the target's circuit breaker refuses a call now. */
static int
breaker_refuses(run *r, conn_result *res)
{
	memset(res, 0, sizeof *res);
	if (r->o->dry_run || brk_allow(&r->tc->brk, eng_mono_ms()))
		return 0;
	conn_result_set(res, HTTP_TRANSIENT, 0, "%s is down: its circuit breaker is open",
		r->tep->service);
	return 1;
}

/* Whether a write that ended with rc and res (its attempt-th) goes again,
 * as the policies say, and after how long (*delay). */
static int
write_again(run *r, int attempt, int rc, const conn_result *res, int64_t *delay)
{
	const mw_policy *p;

	if (!r->o->dry_run && target_result(r, rc != 0 && res->cls == HTTP_TRANSIENT, res, NULL))
		return 0;
	if (rc == 0 || res->cls == HTTP_PERMANENT)
		return 0;
	p = policy_for(r->e, res);
	if (p->action != MW_DO_RETRY || (p->attempts > 0 && attempt >= p->attempts) ||
	    (r->o->once && attempt >= (p->attempts > 0 ? p->attempts : 8)))
		return 0;
	int64_t d = backoff_ms(p, attempt, res);
	if (r->o->max_wait_ms > 0 && d > r->o->max_wait_ms)
		d = r->o->max_wait_ms;
	say(r, "%s: %s (%s), attempt %d: again in %lld ms\n", r->e->name,
		http_class_name(res->cls), res->status ? "answered" : "no answer", attempt,
		(long long)d);
	r->tc->retries++;
	*delay = d;
	return 1;
}

static void answered(run *r, const char *request_key, slot **slots, size_t n,
	conn_item *items, int rc, const conn_result *answer);

/* Send slots[0..n) as one request with request_key, retrying as the
 * policies say, and record every outcome. */
static void
send_request(run *r, const char *request_key, slot **slots, size_t n)
{
	conn_item *items = calloc(n, sizeof *items);
	conn_result res;
	int rc = -1;

	if (!items) {
		r->fatal = 1;
		return;
	}
	items_of(r, slots, n, items);
	for (int attempt = 1;; attempt++) {
		int64_t d;

		if (breaker_refuses(r, &res))
			break;
		rc = r->to->write(r->tgt, request_key, items, n, &res);
		if (!write_again(r, attempt, rc, &res, &d))
			break;
		eng_sleep_ms(r, d);
		if (eng_stopping(r))
			break; /* journaled: the next start sends it again */
	}
	answered(r, request_key, slots, n, items, rc, &res);
	free(items);
}

/* What a request's answer (or its want of one) does to each of its
 * documents: outcomes, cross-references and dead letters in one
 * transaction; documents refused together go again in smaller requests. */
static void
answered(run *r, const char *request_key, slot **slots, size_t n, conn_item *items, int rc,
	const conn_result *answer)
{
	slot **again = calloc(n, sizeof *again);
	size_t nagain = 0;
	conn_result res = *answer;

	if (!again) {
		r->fatal = 1;
		return;
	}
	if (r->o->dry_run) {
		r->n.created += (long)n;
		free(again);
		return;
	}
	if (state_begin(r->st) != 0) {
		db_fail(r, "begin");
		free(again);
		return;
	}
	if (rc == 0) {
		/* items a connector's own part-request refused as a whole go
		 * again on their own when there are several */
		size_t whole = 0;

		for (size_t i = 0; i < n; i++)
			whole += items[i].res.whole && splittable(&items[i].res) &&
				!slots[i]->state_done;
		for (size_t i = 0; i < n; i++)
			if (whole > 1 && items[i].res.whole && splittable(&items[i].res) &&
			    !slots[i]->state_done)
				again[nagain++] = slots[i];
			else
				outcome(r, slots[i], &items[i]);
	} else if (res.cls == HTTP_PERMANENT) {
		/* refused as a whole: nothing was written.  With one document
		 * the refusal is its own; with several it may be one
		 * document's, so they go again in smaller requests */
		size_t live = 0;

		for (size_t i = 0; i < n; i++)
			live += !slots[i]->state_done;
		for (size_t i = 0; i < n; i++) {
			if (live > 1 && splittable(&res) && !slots[i]->state_done) {
				again[nagain++] = slots[i];
				continue;
			}
			items[i].res = res;
			outcome(r, slots[i], &items[i]);
		}
	} else {
		/* no answer that says what happened: the journal keeps the
		 * request, the next run sends it again with the same key */
		say(r, "%s: %zu documents pending (%s: %s); the next run sends them again",
			r->e->name, n, http_class_name(res.cls), HTTP_LOG_TEXT(res.text));
		for (size_t i = 0; i < n; i++)
			if (!slots[i]->state_done) {
				r->n.pending++;
				open_record(r, slots[i]->stamp);
			}
	}
	if (!r->fatal && state_commit(r->st) != 0)
		db_fail(r, "commit");
	if (r->fatal)
		state_rollback(r->st);
	if (nagain && !r->fatal)
		split_request(r, request_key, again, nagain);
	free(again);
}

static void retry_answered(run *r, slot **slots, size_t n, const counts *before,
	int64_t dead_before);

/* answered(), for a request multi.c had in flight: what it did also goes
 * to the dead letter `dlq retry` sent it for, whose retry it may settle. */
static void
answered_mx(run *r, const char *request_key, slot **slots, size_t n, conn_item *items, int rc,
	const conn_result *answer)
{
	counts before = r->n;
	int64_t dead = r->last_dead;

	answered(r, request_key, slots, n, items, rc, answer);
	if (r->retries)
		retry_answered(r, slots, n, &before, dead);
}

/* What multi.c does a request's attempts and answers with: this file's. */
static const eng_multi_hooks multi_hooks = {
	items_of, breaker_refuses, write_again, answered_mx, eng_sleep_ms, eng_say,
};

/* r->slots[0..ns) as one request. */
static void
send_slots(run *r, const char *request_key)
{
	slot **p = calloc(r->ns ? r->ns : 1, sizeof *p);

	if (!p) {
		r->fatal = 1;
		return;
	}
	for (size_t i = 0; i < r->ns; i++)
		p[i] = &r->slots[i];
	send_request(r, request_key, p, r->ns);
	free(p);
}

/* The request key of a batch: the key itself for one document, else the
 * idempotency key of the documents' keys in order.  -1: none could be made. */
static int
request_key(slot *slots, size_t n, char out[64])
{
	if (n == 1) {
		snprintf(out, 64, "%s", slots[0].key);
		return 0;
	}
	const char **keys = malloc(n * sizeof *keys);
	if (!keys)
		return -1;
	for (size_t i = 0; i < n; i++)
		keys[i] = slots[i].key;
	int rc = state_idem_key(keys, n, out, 64);
	free(keys);
	return rc;
}

static void find_slots(run *r);
static void retry_sent(run *r, int n);

/* Write the batch: the lookups its matches need, then intents (durable),
 * then the request. */
void
eng_flush(run *r)
{
	char rkey[64];

	if (r->ns == 0 || r->fatal)
		return;
	if (!r->o->dry_run && r->tc->brk.state == BRK_OPEN && eng_mono_ms() < r->tc->brk.open_until) {
		/* the target is down: the records wait for the next run, unsent */
		for (size_t i = 0; i < r->ns; i++) {
			r->n.pending++;
			open_record(r, r->slots[i].stamp);
		}
		r->ns = 0;
		return;
	}
	find_slots(r);
	if (r->ns == 0 || r->fatal) {
		r->ns = 0;
		return;
	}
	if (request_key(r->slots, r->ns, rkey) != 0) {
		say(r, "%s: no idempotency key for the request (out of memory, or libcrypto "
			"failed); nothing is sent\n", r->e->name);
		r->fatal = 1;
		return;
	}
	if (!r->o->dry_run) {
		int rc = state_begin(r->st);

		for (size_t i = 0; i < r->ns && rc == 0; i++)
			rc = intend(r, &r->slots[i], rkey, (int)i);
		if (rc != 0 || state_commit(r->st) != 0) {
			state_rollback(r->st);
			db_fail(r, "recording the intent to write");
			return;
		}
	}
	for (size_t i = 0; i < r->ns; i++)
		r->slots[i].dlq_id = r->retry_id;
	retry_sent(r, 1); /* before: multi.c may record its answer at once */
	if (!eng_multi_send(r, rkey)) {
		retry_sent(r, -1);
		send_slots(r, rkey);
	}
	r->ns = 0;
}

/* ------------------------------------------------------------------ */
/* one record                                                          */
/* ------------------------------------------------------------------ */

static int unhold(run *r, const char *source_id);

/* A record whose document needs no request: the lifecycle keeps it (or
 * would void one that is not there, or is voided already), or its
 * document is the one written (life -1).  The cross-reference, if any,
 * takes the record's new hash, so the next run finds it unchanged. */
static int
settled(run *r, const char *source_id, const char *tid, const char *hash, int life)
{
	if (life < 0)
		r->n.unchanged++;
	else
		r->n.filtered++;
	if (!r->o->dry_run && tid &&
	    state_xref_put(r->st, r->e->name, source_id, tid, hash) != 0) {
		db_fail(r, "recording an unchanged document");
		return -1;
	}
	return unhold(r, source_id);
}

static int
near_key(void *arg, const char *key, size_t n)
{
	rt_near_add(arg, key, n);
	return 0;
}

/* A ref that found nothing and dead-letters its record: the reason names
 * the keys of the entity's cross-references nearest to it, and where a
 * key can be mapped to one of them: the table the key went through on the
 * ref's line and missed (an alias table, `else => null`), or the ref's
 * line.  A held record waits for the key itself and costs no search. */
static void
unresolved_hint(run *r, mw_ctx *c, const char *entity, const char *src, char *buf, size_t cap)
{
	const mw_policy *p = ref_policy(r->e, entity);
	size_t n = strlen(src), at;
	rt_near nr;

	buf[0] = '\0';
	if (!p || p->action != MW_DO_DEAD_LETTER)
		return;
	rt_near_init(&nr, src, n);
	if (state_xref_keys(r->st, entity, n > (size_t)nr.limit ? n - (size_t)nr.limit : 0,
	    n + (size_t)nr.limit, near_key, &nr) != 0)
		return;
	rt_near_text(&nr, buf, cap);
	at = strlen(buf);
	if (c->missed && c->missed_line == c->line)
		snprintf(buf + at, cap - at, " add an alias to table %s (%s:%d)", c->missed->name,
			rt_map_name(c), c->missed->line);
	else
		snprintf(buf + at, cap - at, " (ref %s at %s:%d)", entity, rt_map_name(c), c->line);
}

/* What group.c needs of this file (eng.h, group_env). */
static void
group_dead_letter(run *r, const char *source_id, const char *hash, const char *rec, size_t len)
{
	dead_letter(r, source_id, hash, rec, len, r->c->reason, "", r->c->fail_line,
		r->c->path[0] ? r->c->path : NULL);
}

static int group_held(run *r, const char *source_id, const char *hash);

static const group_env genv = { group_dead_letter, hash128, eng_flush, eng_stopping, eng_say,
	group_held };

/* mw_ref through the cross-references: the target id of entity(key). */
static int
resolve(mw_ctx *c, void *data, const char *entity, mw_val key, mw_val *out)
{
	run *r = data;
	char tmp[64], src[KEY_MAX], tid[CONN_ID_MAX];
	const char *p;
	size_t n;

	if (mw_is_null(key)) {
		*out = MW_NULLV;
		return 0;
	}
	if (rt_val_text(key, tmp, &p, &n) != 0 || n >= sizeof src || memchr(p, '\0', n)) {
		mw_fail(c, "ref %s: the key cannot be used as an id", entity);
		return -1;
	}
	memcpy(src, p, n);
	src[n] = '\0';
	if (state_xref_get(r->st, entity, src, tid, sizeof tid, NULL, 0) != 0) {
		if (r->o->dry_run) {
			snprintf(tid, sizeof tid, "(%.40s %.80s)", entity, src);
		} else {
			if (!r->unresolved) {
				snprintf(r->wait_entity, sizeof r->wait_entity, "%s", entity);
				snprintf(r->wait_key, sizeof r->wait_key, "%s", src);
			}
			char hint[RT_REASON_MAX];

			r->unresolved = 1;
			unresolved_hint(r, c, entity, src, hint, sizeof hint);
			mw_fail(c, "unresolved reference to %s %s: it is not written yet%s", entity, src,
				hint);
			return -1;
		}
	}
	n = strlen(tid);
	char *b = rt_bytes(c, n);
	if (!b)
		return -1;
	memcpy(b, tid, n);
	out->kind = MW_STR;
	out->u.s.p = b;
	out->u.s.n = n;
	return 0;
}

static int
text_of(mw_val v, char *buf, size_t cap)
{
	char tmp[64];
	const char *p;
	size_t n;

	if (rt_val_text(v, tmp, &p, &n) != 0 || n == 0 || n >= cap)
		return -1;
	if (memchr(p, '\0', n))
		return -2; /* "SO-1\u0000x" is not "SO-1": never cut */
	memcpy(buf, p, n);
	buf[n] = '\0';
	return 0;
}

/* A held record, named with what it waits for (state_held_put): the
 * record its first unresolved ref names, dead-lettered or not written yet;
 * or, held by `on invalid -> retry`, the reason. */
static int
hold(run *r, const char *source_id, const char *hash)
{
	char why[1024];

	if (r->o->dry_run)
		return 0;
	if (!r->unresolved) {
		snprintf(why, sizeof why, "%s", r->c->reason);
	} else {
		int64_t dead = state_dlq_find(r->st, r->wait_entity, r->wait_key, NULL);

		if (dead > 0)
			snprintf(why, sizeof why, "%s %s is dead-lettered (dlq #%lld)", r->wait_entity,
				r->wait_key, (long long)dead);
		else
			snprintf(why, sizeof why, "%s %s not written yet", r->wait_entity, r->wait_key);
	}
	if (state_held_put(r->st, r->e->name, source_id, hash, r->unresolved ? r->wait_entity : "",
	    r->unresolved ? r->wait_key : "", why) != 0) {
		db_fail(r, "recording a held record");
		return -1;
	}
	return 0;
}

/* A record that is done without a write (filtered) waits no more. */
static int
unhold(run *r, const char *source_id)
{
	if (r->o->dry_run || state_held_clear(r->st, r->e->name, source_id) == 0)
		return 0;
	db_fail(r, "clearing a held record");
	return -1;
}

/* group.c: a member whose rate is not there yet is held, as any record
 * (rates.c); 1 when it was.  A group whose member's rate is not there when
 * it is made (source_id NULL, hash its key) is not written: the cursor
 * stays, so that the next run lists its members again and makes it. */
static int
group_held(run *r, const char *source_id, const char *hash)
{
	if (!eng_rates_held(r))
		return 0;
	r->n.held++;
	if (!source_id) {
		say(r, "%s %s waits: %s\n", r->e->name, hash, r->c->reason);
		open_record(r, "");
		return 1;
	}
	hold(r, source_id, hash);
	return 1;
}

/* Ask the target, in as few requests as it allows, for the documents
 * whose natural key (the entity's `match`) is each item's value, retrying
 * a transient failure of the whole as a write's policy says.  The find's
 * return (0 answered: each item's rc; -1 could not ask, res). */
static int read_again(run *r, int attempt, const conn_result *res, const char *what);

static int
find_batch(run *r, conn_find_item *items, size_t n, conn_result *res)
{
	int rc = -1;
	char what[200];

	for (int attempt = 1;; attempt++) {
		memset(res, 0, sizeof *res);
		if (!brk_allow(&r->tc->brk, eng_mono_ms())) {
			conn_result_set(res, HTTP_TRANSIENT, 0, "%s is down: its circuit breaker is open",
				r->tep->service);
			return -1;
		}
		rc = eng_multi_find(r, items, n, res);
		/* a service that answers each value's question with an outage
		 * (one function a value, each refused 503) is down as surely as
		 * one that answers none: the breaker counts both */
		size_t down = 0;
		for (size_t i = 0; rc >= 0 && i < n; i++)
			down += items[i].rc == -1 && (items[i].res.cls == HTTP_TRANSIENT ||
				items[i].res.cls == HTTP_RATE_LIMITED);
		if (target_result(r, (rc < 0 && res->cls != HTTP_PERMANENT) || (n && down == n), res,
		    r->e->match_field) || rc >= 0 || res->cls == HTTP_PERMANENT)
			return rc;
		snprintf(what, sizeof what, "looking up %zu by %s", n, r->e->match_field);
		if (!read_again(r, attempt, res, what))
			return rc;
	}
}

/* A read of the target that failed for now (res: not refused for good,
 * the breaker told of it and still closed): whether to ask again, as the
 * entity's policy for the outcome says -- then after its backoff, the line
 * saying so naming the read (what).  `run --once` asks 8 times at most
 * where the policy says no number. */
static int
read_again(run *r, int attempt, const conn_result *res, const char *what)
{
	const mw_policy *p = policy_for(r->e, res);

	if (p->action != MW_DO_RETRY || (p->attempts > 0 && attempt >= p->attempts) ||
	    (r->o->once && attempt >= (p->attempts > 0 ? p->attempts : 8)))
		return 0;
	int64_t d = backoff_ms(p, attempt, res);
	if (r->o->max_wait_ms > 0 && d > r->o->max_wait_ms)
		d = r->o->max_wait_ms;
	say(r, "%s: %s: %s (%s), attempt %d: again in %lld ms\n", r->e->name, what,
		http_class_name(res->cls), res->status ? "answered" : "no answer", attempt, (long long)d);
	r->tc->retries++;
	eng_sleep_ms(r, d);
	return !eng_stopping(r);
}

/* A read of the target's other than a find (an exchange rate: rates.c,
 * as r->target_read): asked again while it fails for now, as read_again
 * says, each failure told to the breaker (an open breaker asks no more).
 * call's return: 0 or 1 answered, -1 not (res). */
static int
target_read(run *r, int (*call)(run *, void *, conn_result *), void *arg, conn_result *res,
		const char *what)
{
	int rc;

	for (int attempt = 1;; attempt++) {
		memset(res, 0, sizeof *res);
		if (!brk_allow(&r->tc->brk, eng_mono_ms())) {
			conn_result_set(res, HTTP_TRANSIENT, 0, "%s is down: its circuit breaker is open",
				r->tep->service);
			return -1;
		}
		rc = call(r, arg, res);
		if (target_result(r, rc < 0 && res->cls != HTTP_PERMANENT, res, NULL) || rc >= 0 ||
		    res->cls == HTTP_PERMANENT || !read_again(r, attempt, res, what))
			return rc;
	}
}

/* A record of an entity with a `match` and no cross-reference yet, before
 * it is created, with what the batch's find said for its natural key
 * (it): one document is adopted (the cross-reference points at it, and
 * the slot becomes an update of it, so the target ends up as the source
 * says); none: it is created (0); several: a dead letter naming them; the
 * target could not be asked: the record waits for the next run (pending,
 * nothing journaled), unless the target refused the question for good.
 * 0: the slot stays in the batch; 1: it does not. */
static int
adopt(run *r, slot *s, const conn_find_item *it)
{
	const conn_found *f = &it->found;
	const conn_result *res = &it->res;
	char reason[1400];
	size_t off;
	int rc = it->rc;

	if (rc == 1)
		return 0;
	if (rc == 0) {
		/* the hash is not this version's: were the update to fail, the
		 * next run would still see the record as changed and update it */
		if (state_xref_put(r->st, r->e->name, s->source_id, f->ids[0], "adopted") != 0) {
			db_fail(r, "adopting a document");
			return 1;
		}
		eng_say(r, "info", "%s %s: adopted the %s %s whose %s is \"%s\"", r->e->name,
			s->source_id, r->e->target, f->ids[0], r->e->match_field, s->match);
		s->has_update = 1;
		snprintf(s->update_id, sizeof s->update_id, "%s", f->ids[0]);
		s->has_match = 0;
		if (s->has_udoc) {
			/* an update of the one found: the fields that lose (`wins`)
			 * leave its values as they are */
			char *d = s->doc;
			size_t dl = s->doc_len, dc = s->doc_cap;

			s->doc = s->udoc, s->doc_len = s->udoc_len, s->doc_cap = s->udoc_cap;
			s->udoc = d, s->udoc_len = dl, s->udoc_cap = dc;
			s->has_udoc = 0;
		}
		return 0;
	}
	if (rc == 2) {
		off = (size_t)snprintf(reason, sizeof reason, "%s holds %zu %s documents whose %s is "
			"\"%.200s\", so none is adopted and none created: ", r->tep->service, f->n,
			r->e->target, r->e->match_field, s->match);
		for (size_t i = 0; i < f->n && i < CONN_FIND_MAX && off < sizeof reason; i++)
			off += (size_t)snprintf(reason + off, sizeof reason - off, "%s%s", i ? ", " : "",
				f->ids[i]);
		if (f->n > CONN_FIND_MAX && off < sizeof reason)
			snprintf(reason + off, sizeof reason - off, " and %zu more",
				f->n - CONN_FIND_MAX);
		dead_letter(r, s->source_id, s->hash, s->rec, s->rec_len, reason, "", r->e->line,
			r->e->match_field);
		return 1;
	}
	const mw_policy *p = policy_for(r->e, res);
	if (res->cls == HTTP_PERMANENT || p->action == MW_DO_DEAD_LETTER) {
		if (p->action == MW_DO_SKIP) {
			r->n.filtered++;
			return 1;
		}
		snprintf(reason, sizeof reason, "%s refused to look up the %s by %s \"%.200s\": %.900s",
			r->tep->service, r->e->target, r->e->match_field, s->match, res->text);
		dead_letter(r, s->source_id, s->hash, s->rec, s->rec_len, reason, res->text, p->line,
			r->e->match_field);
		return 1;
	}
	say(r, "%s %s: could not look up %s \"%s\" (%s: %s); the next run asks again",
		r->e->name, s->source_id, r->e->match_field, s->match, http_class_name(res->cls),
		HTTP_LOG_TEXT(res->text));
	r->n.pending++;
	open_record(r, s->stamp);
	return 1;
}

/* Before a batch is journaled: one find for all its slots that are to be
 * looked up (an entity's `match`, no cross-reference), each then adopted,
 * created, dead-lettered or left for the next run as its own answer says;
 * the slots that stay are moved to the front, in order.  Records without
 * a lookup cost nothing here. */
static void
find_slots(run *r)
{
	size_t n = 0, k = 0, keep = 0;
	conn_find_item *items;
	conn_result res;

	for (size_t i = 0; i < r->ns; i++)
		n += r->slots[i].finding;
	if (!n)
		return;
	items = calloc(n, sizeof *items);
	if (!items) {
		r->fatal = 1;
		return;
	}
	for (size_t i = 0; i < r->ns; i++)
		if (r->slots[i].finding)
			items[k++].value = r->slots[i].match;
	if (find_batch(r, items, n, &res) != 0)
		for (size_t i = 0; i < n; i++) { /* the items say why */
			items[i].res = res;
			items[i].rc = -1;
		}
	k = 0;
	for (size_t i = 0; i < r->ns; i++) {
		slot *s = &r->slots[i];
		int out = 0;

		if (s->finding) {
			s->finding = 0;
			out = r->fatal || adopt(r, s, &items[k++]) != 0;
		}
		if (out)
			continue;
		if (keep != i) { /* swap: each slot keeps its own buffers */
			slot t = r->slots[keep];

			r->slots[keep] = *s;
			*s = t;
		}
		keep++;
	}
	r->ns = keep;
	free(items);
}

int
eng_record(void *arg, const char *json, size_t len, const char *stamp)
{
	run *r = arg;
	mw_ctx *c = r->c;
	const mw_entity *e = r->e;
	const mw_node *root;
	json_err je;
	mw_val rec, key;
	char source_id[KEY_MAX], hash[40], tid[CONN_ID_MAX], oldhash[40], jkey[64], js[16];
	char updhash[40];
	char olddoc[48] = "", dochash[40] = "";
	int has_xref, rc, life = MW_LIFE_WRITE;

	if (r->fatal || eng_stopping(r))
		return -1; /* stop taking work: the batch so far is still sent */
	r->n.read++;
	progress(r);
	if (strcmp(stamp, r->newest) > 0)
		snprintf(r->newest, sizeof r->newest, "%s", stamp);
	hash128(json, len, hash);
	rt_ctx_reset(c);
	r->unresolved = 0;
	rc = json_parse(&c->a, json, len, &root, &je);
	if (rc != 0 || root->type != JN_OBJ) {
		/* the service sent something that is not a record: keep it */
		json_scan ks; /* too large to parse, it still names its key */

		json_scan_init(&ks, rc == JSON_E_MEM ? e->key_field : "");
		const char *key = json_scan_feed(&ks, json, len) ? ks.val : "";
		if (rc == 0)
			mw_fail(c, "the record is not a JSON object");
		else
			mw_fail(c, "invalid JSON at byte %zu: %s", je.off, je.msg);
		if (!r->o->dry_run && state_dlq_find(r->st, e->name, key, hash) == 0)
			dead_letter(r, key, hash, json, len, c->reason, "", 0, NULL);
		return r->fatal ? -1 : 0;
	}
	rec.kind = MW_OBJ;
	rec.u.node = root;
	key = e->key ? e->key(c, rec) : MW_NULLV;
	if (c->failed || (rc = text_of(key, source_id, sizeof source_id)) != 0) {
		if (!c->failed && rc == -2)
			mw_fail(c, "the key %s holds a NUL byte", e->key_field);
		else if (!c->failed)
			mw_fail(c, "the record has no usable key %s", e->key_field);
		if (!r->o->dry_run && state_dlq_find(r->st, e->name, "", hash) == 0)
			dead_letter(r, "", hash, json, len, c->reason, "", c->fail_line, c->path);
		return r->fatal ? -1 : 0;
	}
	if (e->group) { /* a member of a group: group.c */
		long held = r->n.held, dead = r->n.dead;
		eng_rates_begin(r);
		rc = group_record(r, &genv, rec, source_id, hash, json, len);
		if (r->n.held > held)
			open_record(r, stamp); /* its cursor waits with it */
		else if (r->rates && rc == 0 && r->n.dead == dead && unhold(r, source_id) != 0)
			rc = -1; /* held for a rate before: no longer */
		return rc;
	}
	/* another version of this key in the batch, or in a request in flight
	 * (a record changed while it was being listed, two of its dead
	 * letters retried): that one's answer is recorded first, and this one
	 * is looked at as it left things -- an update of what it created, in
	 * this run, rather than a second create or a wait for the next run */
	for (size_t i = 0; i < r->ns; i++)
		if (!strcmp(r->slots[i].source_id, source_id)) {
			eng_flush(r);
			break;
		}
	eng_multi_wait_key(r, source_id);
	if (r->fatal)
		return -1;
	has_xref = state_xref_get(r->st, e->name, source_id, tid, sizeof tid, oldhash,
		sizeof oldhash) == 0;
	if (has_xref && !strcmp(oldhash, hash)) {
		r->n.unchanged++;
		return 0;
	}
	if (has_xref && state_xref_doc(r->st, e->name, source_id, olddoc, sizeof olddoc) != 0)
		olddoc[0] = '\0';
	/* written in this version already, or waiting in the journal: the key
	 * it was journaled under, whichever version of mapwright derived it */
	rc = state_journal_find(r->st, e->name, source_id, hash, jkey, sizeof jkey, js, sizeof js);
	if (rc != 0 && rc != STATE_ENOTFOUND) {
		db_fail(r, "reading the journal");
		return -1;
	}
	if (rc == 0 && !strcmp(js, "pending")) {
		r->n.pending++;
		open_record(r, stamp);
		return 0;
	}
	/* an earlier version's write still pending (its answer lost, its
	 * re-send not answered yet): it is resolved first, by the re-send of
	 * its own request, or this version and it could both create */
	int64_t older = r->o->dry_run ? 0 : state_journal_pending_other(r->st, e->name, source_id,
		hash);
	if (older < 0) {
		db_fail(r, "reading the journal");
		return -1;
	}
	if (older > 0) {
		say(r, "%s %s: an earlier version's write is still pending; this one waits for it",
			e->name, source_id);
		r->n.pending++;
		open_record(r, stamp);
		return 0;
	}
	if (!r->retrying && state_dlq_find(r->st, e->name, source_id, hash) > 0) {
		r->n.dead++; /* this version was dead-lettered by an earlier run */
		return 0;
	}
	rt_ctx_set_ref(c, resolve, r);
	eng_rates_begin(r);
	/* A field that loses to the other side (`wins`) is written when the
	 * document is created only: what the cross-reference keeps then is the
	 * hash of the document as an update would write it, so the same record
	 * read again is unchanged and sends nothing. */
	int upd_hashed = 0;
	if (!has_xref && e->create_only) {
		rt_ctx_set_creating(c, 0);
		w_doc_begin(c, e->target, r->tep->format_xml);
		if (!c->failed && e->map(c, rec) == 0 && !c->failed && w_doc_end(c) == 0) {
			hash128(c->w.out.p, c->w.out.len, updhash);
			upd_hashed = 1;
			slot *u = &r->slots[r->ns]; /* the slot this record will take */
			u->has_udoc = 0;
			if (e->match && !r->o->dry_run) {
				if (grow(&u->udoc, &u->udoc_cap, c->w.out.len + 1)) {
					r->fatal = 1;
					return -1;
				}
				memcpy(u->udoc, c->w.out.p, c->w.out.len);
				u->udoc_len = c->w.out.len;
				u->has_udoc = 1;
			}
		}
	}
	rt_ctx_set_creating(c, !has_xref);
	w_doc_begin(c, e->target, r->tep->format_xml);
	rc = c->failed ? -1 : e->map(c, rec);
	if (!c->failed && rc == 1) {
		r->n.filtered++;
		return unhold(r, source_id);
	}
	if (!c->failed && rc == 0 && w_doc_end(c) != 0)
		rt_fail_mem(c);
	if (!c->failed && rc != 0)
		mw_fail(c, "the map function failed without a reason (it returned %d)", rc);
	/* the lifecycle of a record the entity takes (its `when` holds): what
	 * this change does to the document written */
	if (!c->failed && e->life) {
		life = e->life(c, rec);
		if (!c->failed && life < 0)
			mw_fail(c, "the lifecycle gave no action (it returned %d)", life);
	}
	if (!c->failed && (life == MW_LIFE_KEEP ||
	    (life == MW_LIFE_VOID && (!has_xref || !strcmp(olddoc, "voided")))))
		return settled(r, source_id, has_xref ? tid : NULL, hash, life);
	if (!c->failed)
		hash128(c->w.out.p, c->w.out.len, dochash);
	if (!c->failed && upd_hashed)
		memcpy(dochash, updhash, sizeof dochash);
	if (!c->failed && has_xref && life == MW_LIFE_WRITE) {
		/* the same document as the one written: nothing to send */
		if (!strcmp(olddoc, dochash))
			return settled(r, source_id, tid, hash, -1);
		if (!strcmp(olddoc, "voided"))
			mw_fail(c, "the %s %s was voided: a voided document is not written again",
				e->target, tid);
		else if (e->locked && e->locked(c, rec) && !c->failed)
			mw_fail(c, "%s: the %s %s is written and may not change now",
				e->locked_reason ? e->locked_reason : "locked", e->target, tid);
	}
	if (c->failed) {
		const mw_policy *p = r->unresolved ? ref_policy(e, r->wait_entity) :
			policy_of(e, MW_ON_INVALID);
		mw_action a = p ? p->action : r->unresolved ? MW_DO_HOLD : MW_DO_DEAD_LETTER;

		if (eng_rates_held(r))
			a = MW_DO_HOLD; /* a rate not there yet: never a guess */
		if (a == MW_DO_HOLD || a == MW_DO_RETRY) {
			r->n.held++;
			open_record(r, stamp);
			return hold(r, source_id, hash);
		}
		if (a == MW_DO_SKIP) {
			r->n.filtered++;
			return unhold(r, source_id);
		}
		if (!r->o->dry_run)
			dead_letter(r, source_id, hash, json, len, c->reason, "", c->fail_line,
				c->path[0] ? c->path : NULL);
		else
			r->n.dead++;
		return r->fatal ? -1 : 0;
	}

	/* a document: into the batch */
	slot *s = &r->slots[r->ns];
	if (grow(&s->doc, &s->doc_cap, c->w.out.len + 1) || grow(&s->rec, &s->rec_cap, len + 1)) {
		r->fatal = 1;
		return -1;
	}
	memcpy(s->doc, c->w.out.p, c->w.out.len);
	s->doc_len = c->w.out.len;
	memcpy(s->rec, json, len);
	s->rec_len = len;
	memcpy(s->key, jkey, sizeof s->key);
	snprintf(s->source_id, sizeof s->source_id, "%s", source_id);
	memcpy(s->hash, hash, sizeof s->hash);
	snprintf(s->stamp, sizeof s->stamp, "%s", stamp);
	s->has_update = has_xref;
	if (has_xref)
		snprintf(s->update_id, sizeof s->update_id, "%s", tid);
	s->op = life == MW_LIFE_VOID ? CONN_OP_VOID : CONN_OP_WRITE;
	memcpy(s->doc_hash, dochash, sizeof s->doc_hash);
	s->has_match = 0;
	s->state_done = 0;
	if (!upd_hashed)
		s->has_udoc = 0; /* (else set above, with its document) */
	if (e->match && !has_xref) {
		mw_val m = e->match(c, rec);

		s->has_match = !c->failed && text_of(m, s->match, sizeof s->match) == 0;
	}
	/* look before creating (adopt the one there is, refuse to guess
	 * between several, create when there is none): for the whole batch
	 * at once, when it is flushed */
	s->finding = s->has_match && !r->o->dry_run && r->to->find;
	if (++r->ns == r->max)
		eng_flush(r);
	return r->fatal ? -1 : 0;
}

/* ------------------------------------------------------------------ */
/* re-driving the requests a crash or an outage left pending           */
/* ------------------------------------------------------------------ */

typedef struct {
	run *r;
	char rkey[64];
	char entity[64];
	int bad;
	const mw_entity *cur;     /* the entity whose requests multi.c sends */
} redrive;

const mw_entity *
eng_entity_named(const mw_program *p, const char *name)
{
	for (size_t i = 0; i < p->n_entities; i++)
		if (!strcmp(p->entities[i].name, name))
			return &p->entities[i];
	return NULL;
}

static void
redrive_flush(redrive *d)
{
	run *r = d->r;

	if (r->ns == 0)
		return;
	const mw_entity *e = eng_entity_named(r->p, d->entity);
	if (!e) {
		say(r, "the journal holds a request for entity %s, which this mapping does not "
			"have; left as it is\n", d->entity);
		r->ns = 0;
		return;
	}
	if (e != d->cur) {
		/* up to the target's cap of one entity's requests at once, as a
		 * listing's: the one before's all answered first */
		eng_multi_end(r);
		eng_direction(r, e);
		eng_multi_begin(r, &multi_hooks);
		d->cur = e;
	}
	say(r, "%s: sending again %zu documents of request %s\n", r->e->name,
		r->ns, d->rkey);
	if (!eng_multi_send(r, d->rkey))
		send_slots(r, d->rkey);
	r->ns = 0;
}

static int
on_write(void *arg, const state_write *w)
{
	redrive *d = arg;
	run *r = d->r;

	if (strcmp(w->request_key, d->rkey) != 0 || r->ns == r->cap) {
		redrive_flush(d);
		snprintf(d->rkey, sizeof d->rkey, "%s", w->request_key);
		snprintf(d->entity, sizeof d->entity, "%s", w->entity);
	}
	slot *s = &r->slots[r->ns];
	if (grow(&s->doc, &s->doc_cap, w->payload_len + 1) ||
	    grow(&s->rec, &s->rec_cap, w->record_len + 1)) {
		r->fatal = 1;
		return -1;
	}
	memcpy(s->doc, w->payload ? w->payload : "", w->payload_len);
	s->doc_len = w->payload_len;
	memcpy(s->rec, w->record ? w->record : "", w->record_len);
	s->rec_len = w->record_len;
	snprintf(s->key, sizeof s->key, "%s", w->key);
	snprintf(s->source_id, sizeof s->source_id, "%s", w->source_id);
	snprintf(s->hash, sizeof s->hash, "%s", w->hash);
	snprintf(s->stamp, sizeof s->stamp, "%s", w->stamp ? w->stamp : "");
	s->has_update = w->update_id != NULL;
	snprintf(s->update_id, sizeof s->update_id, "%s", w->update_id ? w->update_id : "");
	s->has_match = w->match_value != NULL;
	snprintf(s->match, sizeof s->match, "%s", w->match_value ? w->match_value : "");
	s->state_done = strcmp(w->state, "pending") != 0;
	s->has_udoc = 0; /* journaled as it is to be sent */
	s->op = w->op && !strcmp(w->op, "void") ? CONN_OP_VOID : CONN_OP_WRITE;
	hash128(s->doc, s->doc_len, s->doc_hash);
	r->ns++;
	return 0;
}

/* The pending requests' rows, copied out of the journal's listing, so that
 * re-sending them (which writes the journal) happens with no read open: a
 * read held open while another connection commits (the daemon's webhook
 * thread) would make those writes "database is locked". */
typedef struct {
	state_write *v;
	char **mem;
	size_t n, cap;
} saved_writes;

static char *
dup_bytes(char **at, const char *p, size_t n)
{
	char *d = *at;

	if (!p)
		return NULL;
	memcpy(d, p, n);
	d[n] = '\0';
	*at += n + 1;
	return d;
}

static int
save_write(void *arg, const state_write *w)
{
	saved_writes *sw = arg;
	const char *t[] = { w->key, w->entity, w->source_id, w->hash, w->request_key,
		w->update_id, w->match_value, w->stamp, w->state, w->op };
	size_t need = w->payload_len + w->record_len + 2;

	for (size_t i = 0; i < sizeof t / sizeof *t; i++)
		need += t[i] ? strlen(t[i]) + 1 : 0;
	if (sw->n == sw->cap) {
		size_t cap = sw->cap ? sw->cap * 2 : 16;
		state_write *v = realloc(sw->v, cap * sizeof *v);
		char **m = v ? realloc(sw->mem, cap * sizeof *m) : NULL;

		if (v)
			sw->v = v;
		if (!m)
			return -1;
		sw->mem = m;
		sw->cap = cap;
	}
	char *at = malloc(need);
	if (!at)
		return -1;
	state_write *c = &sw->v[sw->n];
	sw->mem[sw->n++] = at;
	*c = *w;
	c->key = dup_bytes(&at, w->key, strlen(w->key));
	c->entity = dup_bytes(&at, w->entity, strlen(w->entity));
	c->source_id = dup_bytes(&at, w->source_id, strlen(w->source_id));
	c->hash = dup_bytes(&at, w->hash, strlen(w->hash));
	c->request_key = dup_bytes(&at, w->request_key, strlen(w->request_key));
	c->update_id = w->update_id ? dup_bytes(&at, w->update_id, strlen(w->update_id)) : NULL;
	c->match_value = w->match_value ? dup_bytes(&at, w->match_value, strlen(w->match_value))
		: NULL;
	c->stamp = w->stamp ? dup_bytes(&at, w->stamp, strlen(w->stamp)) : NULL;
	c->state = dup_bytes(&at, w->state, strlen(w->state));
	c->op = w->op ? dup_bytes(&at, w->op, strlen(w->op)) : NULL;
	c->payload = dup_bytes(&at, w->payload ? w->payload : "", w->payload_len);
	c->record = dup_bytes(&at, w->record ? w->record : "", w->record_len);
	return 0;
}

int
eng_redrive(run *r)
{
	saved_writes sw = { 0 };
	redrive d;
	int rc;

	memset(&d, 0, sizeof d);
	d.r = r;
	r->ns = 0;
	rc = state_journal_requests(r->st, save_write, &sw);
	for (size_t i = 0; rc == 0 && i < sw.n && !r->fatal; i++)
		on_write(&d, &sw.v[i]);
	if (rc == 0 && !r->fatal)
		redrive_flush(&d);
	eng_multi_end(r); /* every re-sent request answered and recorded */
	for (size_t i = 0; i < sw.n; i++)
		free(sw.mem[i]);
	free(sw.mem);
	free(sw.v);
	if (rc != 0) {
		db_fail(r, "reading the journal");
		return -1;
	}
	return r->fatal ? -1 : 0;
}

/* ------------------------------------------------------------------ */
/* run --once                                                          */
/* ------------------------------------------------------------------ */

static void
summary_line(run *r, const char *name, const counts *n)
{
	fprintf(r->o->out, "%-14s %7ld %8ld %8ld %10ld %9ld %6ld %5ld %8ld\n", name, n->read,
		n->created, n->updated, n->unchanged, n->filtered, n->dead, n->held, n->pending);
}

int
eng_entity(run *r, const mw_entity *e, counts *total)
{
	char cursor[STAMP_MAX] = "";
	conn_result res;
	int rc;

	eng_begin_entity(r, e);
	state_cursor_get(r->st, e->name, cursor, sizeof cursor);
	memset(&res, 0, sizeof res);
	eng_multi_begin(r, &multi_hooks);
	rc = r->so->list(r->src, e->source, cursor[0] ? cursor : NULL, eng_record, r, &res);
	if (!r->fatal && e->group && rc == 0)
		group_flush(r, &genv);
	if (!r->fatal)
		eng_flush(r);
	eng_multi_end(r); /* every write answered before the cursor moves */
	if (r->o->progress && r->shown)
		fputc('\n', r->o->err);
	if (rc != 0 && !r->fatal) {
		say(r, "%s: listing %s.%s failed (%s): %s\n", e->name,
			r->sep->alias, e->source, http_class_name(res.cls), HTTP_LOG_TEXT(res.text));
	}
	/* the cursor moves only when the listing went to its end */
	if (rc == 0 && !r->fatal && !r->o->dry_run) {
		const char *next = r->any_open ? r->oldest_open : r->newest;

		if (next[0] && strcmp(next, cursor) != 0 && state_cursor_set(r->st, e->name, next))
			db_fail(r, "moving the cursor");
	}
	if (r->o->once)
		summary_line(r, e->name, &r->n);
	else if (r->n.created || r->n.updated || r->n.dead || r->n.held || r->n.pending)
		eng_say(r, "info", "%s: %ld read, %ld created, %ld updated, %ld unchanged, "
			"%ld filtered, %ld dead, %ld held, %ld pending", e->name, r->n.read,
			r->n.created, r->n.updated, r->n.unchanged, r->n.filtered, r->n.dead, r->n.held,
			r->n.pending);
	eng_add_counts(total, &r->n);
	return rc != 0 || r->fatal ? -1 : 0;
}

void
eng_direction(run *r, const mw_entity *e)
{
	int rev = e->reverse;

	r->e = e;
	r->so = rev ? r->books_ops : r->store_ops;
	r->src = rev ? r->books_rd : r->store_rd;
	r->sep = rev ? &r->p->target : &r->p->source;
	r->to = rev ? r->store_ops : r->books_ops;
	r->tgt = rev ? r->store_wr : r->books_wr;
	r->tep = rev ? &r->p->source : &r->p->target;
	r->tc = rev ? &r->sctl : &r->tctl;
	r->max = (size_t)(r->to->max_batch > 0 ? r->to->max_batch : 1);
	if (r->o->batch > 0 && (size_t)r->o->batch < r->max)
		r->max = (size_t)r->o->batch;
	if (r->max > r->cap)
		r->max = r->cap;
}

void
eng_begin_entity(run *r, const mw_entity *e)
{
	eng_direction(r, e);
	memset(&r->n, 0, sizeof r->n);
	r->ns = 0;
	r->any_open = 0;
	r->shown = 0;
	r->newest[0] = r->oldest_open[0] = '\0';
}

void
eng_add_counts(counts *into, const counts *add)
{
	into->read += add->read;
	into->created += add->created;
	into->updated += add->updated;
	into->unchanged += add->unchanged;
	into->filtered += add->filtered;
	into->dead += add->dead;
	into->held += add->held;
	into->pending += add->pending;
}

/* The connectors' token store: the state file's tokens table. */
static int
token_load(void *arg, const char *service, char *access, size_t alen, char *refresh,
	size_t rlen, int64_t *expires_at)
{
	return state_token_load(arg, service, access, alen, refresh, rlen, expires_at);
}

static int
token_save(void *arg, const char *service, const char *access, const char *refresh,
	int64_t expires_at)
{
	return state_token_save(arg, service, access, refresh, expires_at);
}

conn_token_store
eng_tokens(state *st)
{
	conn_token_store t = { token_load, token_save, st };

	return t;
}

static int
open_conn(run *r, const mw_endpoint *ep, svc_ctl *ctl, conn_env *env, const conn_ops **ops,
	conn **c, int dry)
{
	conn_result res;

	memset(env, 0, sizeof *env);
	env->gate = &ctl->gate;
	env->service = ep->service;
	env->setting = eng_setting;
	env->setting_arg = (void *)ep;
	r->tokens = eng_tokens(r->st);
	env->tokens = &r->tokens;
	env->dry_run = dry ? r->o->out : NULL;
	env->log = r->o->log_json ? NULL : r->o->err; /* connectors write text lines */
	*ops = conn_find_ops(ep->service);
	if (!*ops) {
		say(r, "no connector for the service %s\n", ep->service);
		return -1;
	}
	/* a service that does not answer now may in a moment: connect again,
	 * with backoff, before giving up on the run */
	for (int attempt = 1;; attempt++) {
		memset(&res, 0, sizeof res);
		if ((*ops)->open(env, c, &res) == 0)
			return 0;
		if ((res.cls != HTTP_TRANSIENT && res.cls != HTTP_RATE_LIMITED) || attempt == 4)
			break;
		int64_t d = backoff_ms(&default_transient, attempt, &res);
		if (r->o->max_wait_ms > 0 && d > r->o->max_wait_ms)
			d = r->o->max_wait_ms;
		say(r, "connecting to %s: %s (%s); again in %lld ms\n", ep->alias,
			http_class_name(res.cls), HTTP_LOG_TEXT(res.text), (long long)d);
		(*ops)->close(*c);
		*c = NULL;
		eng_sleep_ms(r, d);
	}
	snprintf(r->why, sizeof r->why, "cannot connect to %.40s (%s): %.160s", ep->alias,
		http_class_name(res.cls), HTTP_LOG_TEXT(res.text));
	say(r, "%s\n", r->why);
	/* 1: down for now (nothing is lost: the records wait); -1: needs a person */
	return res.cls == HTTP_TRANSIENT || res.cls == HTTP_RATE_LIMITED ? 1 : -1;
}

/* Can the two connectors run every entity, each in its direction?  Said
 * before anything is read (mapc refuses such a mapping too; this holds a
 * binary to the connectors it was linked with). */
static int
runnable(run *r)
{
	const mw_program *p = r->p;
	int ok = 1;

	for (size_t i = 0; i < p->n_entities; i++) {
		const mw_entity *e = &p->entities[i];
		const mw_endpoint *from = e->reverse ? &p->target : &p->source;
		const mw_endpoint *to = e->reverse ? &p->source : &p->target;
		const conn_ops *fo = e->reverse ? r->books_ops : r->store_ops;
		const conn_ops *wo = e->reverse ? r->store_ops : r->books_ops;

		if (!fo->list || !fo->get || !conn_can(fo, e->source, CONN_CAN_LIST)) {
			say(r, "%s: the %s connector cannot list %s.%s\n", e->name, from->service,
				from->alias, e->source);
			ok = 0;
		}
		if (!wo->write || !conn_can(wo, e->target, CONN_CAN_WRITE)) {
			say(r, "%s: the %s connector cannot write %s.%s\n", e->name, to->service,
				to->alias, e->target);
			ok = 0;
		}
	}
	return ok;
}

int
eng_open(run *r, const mw_program *p, const sync_opts *o, volatile sig_atomic_t *stop)
{
	int rc;

	memset(r, 0, sizeof *r);
	r->p = p;
	r->o = o;
	r->stop = stop;
	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	if (state_open_as(o->state_path, o->dry_run ? STATE_OPEN_COPY : o->init ? STATE_OPEN_INIT :
	    o->worker ? STATE_OPEN_WORKER : STATE_OPEN_OWN, &r->st) != 0) {
		say(r, "cannot open the state file %s: %s", o->state_path, state_errmsg(r->st));
		return 2;
	}
	if (*state_note(r->st))
		say(r, "%s", state_note(r->st));
	char why[600]; /* the token key: refused, or a warning (state.h) */
	if ((rc = state_token_check(r->st, why, sizeof why)) != 0 || why[0])
		say(r, "%s: %s", o->state_path, why);
	if (rc != 0)
		return 2;
	r->c = rt_ctx_new();
	if (!r->c)
		return 2;
	r->c->map_file = r->p->map_file; /* for the "add it to" of a reason */
	r->target_read = target_read;
	if (eng_rates_open(r, why, sizeof why) != 0) { /* before a token is spent */
		say(r, "%s\n", why);
		return 2;
	}
	eng_rates_begin(r); /* a group made again by `dlq retry` maps no record first */
	int reverse = 0;
	for (size_t i = 0; i < p->n_entities; i++)
		reverse |= p->entities[i].reverse;
	if (ctl_init(&r->sctl, &p->source, conn_find_ops(p->source.service), r) != 0 ||
	    ctl_init(&r->tctl, &p->target, conn_find_ops(p->target.service), r) != 0) {
		say(r, "out of memory\n");
		return 2;
	}
	const sync_opts *d = o->dry_run && reverse ? o : NULL; /* a second connection each */
	if ((rc = open_conn(r, &p->source, &r->sctl, &r->senv, &r->store_ops, &r->store_rd, 0)) ||
	    (rc = open_conn(r, &p->target, &r->tctl, &r->tenv, &r->books_ops, &r->books_wr,
		    o->dry_run)) ||
	    (d && (rc = open_conn(r, &p->source, &r->sctl, &r->store_wenv, &r->store_ops,
		    &r->store_wr, 1))) ||
	    (d && (rc = open_conn(r, &p->target, &r->tctl, &r->books_renv, &r->books_ops,
		    &r->books_rd, 0))))
		return rc == 1 ? 3 : 2; /* a service that is down: an outage, try later */
	if (!o->dry_run || !reverse) {
		r->store_wr = r->store_rd;
		r->books_rd = r->books_wr;
	}
	if (!runnable(r))
		return 2;
	for (int k = 0; k < 2; k++) {
		const conn_ops *w = k ? r->books_ops : r->store_ops;
		size_t m = (size_t)(w->max_batch > 0 ? w->max_batch : 1);

		if (o->batch > 0 && (size_t)o->batch < m)
			m = (size_t)o->batch;
		if (m > r->cap)
			r->cap = m;
	}
	r->slots = calloc(r->cap, sizeof *r->slots);
	return r->slots ? 0 : 2;
}

void
eng_close(run *r)
{
	if (r->slots)
		for (size_t i = 0; i < r->cap; i++) {
			free(r->slots[i].doc);
			free(r->slots[i].rec);
			free(r->slots[i].udoc);
		}
	free(r->slots);
	eng_multi_free(r);
	if (r->store_wr && r->store_wr != r->store_rd)
		r->store_ops->close(r->store_wr);
	if (r->books_rd && r->books_rd != r->books_wr)
		r->books_ops->close(r->books_rd);
	if (r->store_rd)
		r->store_ops->close(r->store_rd);
	if (r->books_wr)
		r->books_ops->close(r->books_wr);
	lim_fini(&r->sctl.lim);
	lim_fini(&r->tctl.lim);
	eng_rates_close(r);
	rt_ctx_free(r->c);
	state_close(r->st);
	memset(r, 0, sizeof *r);
}

int
sync_once(const mw_program *p, const sync_opts *o)
{
	run r;
	counts total;
	int status;

	memset(&total, 0, sizeof total);
	if ((status = eng_open(&r, p, o, NULL)) != 0)
		goto out;
	fprintf(o->out, "%s%s: %s -> %s\n", p->pair, o->dry_run ? " (dry run)" : "",
		p->source.service, p->target.service);
	if (!o->dry_run && eng_redrive(&r) != 0) {
		status = 2;
		goto out;
	}
	/* what the re-sent requests did counts: one still pending makes the
	 * run's status 3, not 0 */
	counts resent = r.n;
	fprintf(o->out, "%-14s %7s %8s %8s %10s %9s %6s %5s %8s\n", "entity", "read", "created",
		"updated", "unchanged", "filtered", "dead", "held", "pending");
	for (size_t i = 0; i < p->n_entities && !r.fatal; i++)
		if (eng_entity(&r, &p->entities[i], &total) != 0)
			status = 3;
	if (resent.created || resent.updated || resent.pending || resent.dead) {
		summary_line(&r, "(re-sent)", &resent);
		eng_add_counts(&total, &resent);
	}
	summary_line(&r, "total", &total);
	if (!o->dry_run)
		for (int k = 0; k < 2; k++) {
			const svc_ctl *t = k ? &r.tctl : &r.sctl;
			long n = 0;

			for (int i = 0; i < 8; i++)
				n += t->by_status[i];
			fprintf(o->out, "%s: %ld calls (%ld answered 429, %ld without an answer), "
				"%.1f s waiting on its rate limits, %ld retries\n", t->name, n,
				t->rate_limited, t->by_status[0],
				(double)t->waited_ms / 1000, t->retries);
		}
	if (r.fatal)
		status = 2;
	else if (status == 0 && (total.held || total.pending))
		status = 3;
	else if (status == 0 && total.dead)
		status = 1;
out:
	eng_close(&r);
	if (fflush(o->out) != 0)
		status = 2;
	return status;
}

/* ------------------------------------------------------------------ */
/* dlq retry                                                           */
/* ------------------------------------------------------------------ */

/* The dead letters to retry: ids, each with its entity's index in the
 * program (-1: not in this mapping). */
typedef struct {
	int64_t *ids;
	int *ent;
	size_t n, cap;
	const mw_program *p;
} id_list;

static int
collect_id(void *arg, const state_dead *d)
{
	id_list *l = arg;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		int64_t *v = realloc(l->ids, cap * sizeof *v);
		int *w = v ? realloc(l->ent, cap * sizeof *w) : NULL;

		if (v)
			l->ids = v;
		if (!w)
			return 1;
		l->ent = w;
		l->cap = cap;
	}
	const mw_entity *e = d->entity[0] ? eng_entity_named(l->p, d->entity) : NULL;
	l->ent[l->n] = e ? (int)(e - l->p->entities) : -1;
	l->ids[l->n++] = d->id;
	return 0;
}

/* A dead letter being retried whose outcome is not known yet: what its
 * record came to so far, and its requests still in flight (multi.c sends
 * up to the target's cap of them at once). */
typedef struct {
	int64_t id, dead;         /* dead: the dead letter it became, if any */
	int out, open;            /* requests in flight; open: still being mapped */
	counts n;
	char entity[64], key[KEY_MAX];
} retry_rec;

struct eng_retries {
	retry_rec *v;
	size_t n, cap;
	counts async;             /* what the answers of requests in flight added to r->n */
	long fixed, again, waiting;
};

static void
counts_sub(counts *into, const counts *a, const counts *b)
{
	into->read += a->read - b->read;
	into->created += a->created - b->created;
	into->updated += a->updated - b->updated;
	into->unchanged += a->unchanged - b->unchanged;
	into->filtered += a->filtered - b->filtered;
	into->dead += a->dead - b->dead;
	into->held += a->held - b->held;
	into->pending += a->pending - b->pending;
}

static retry_rec *
retry_find(struct eng_retries *rs, int64_t id)
{
	for (size_t i = 0; rs && id > 0 && i < rs->n; i++)
		if (rs->v[i].id == id)
			return &rs->v[i];
	return NULL;
}

/* A request of the dead letter being retried goes into flight (n 1), or
 * did not after all (-1). */
static void
retry_sent(run *r, int n)
{
	retry_rec *x = retry_find(r->retries, r->retry_id);

	if (x)
		x->out += n;
}

/* What became of a retried dead letter, once it is all known: it leaves
 * the queue (written, filtered, dead-lettered again as a new one), or it
 * stays (still waiting for a dependency or the target). */
static void
retry_settle(run *r, retry_rec *x)
{
	struct eng_retries *rs = r->retries;
	char why[160];

	if (x->n.dead > 0) {
		snprintf(why, sizeof why, "dead-lettered again as #%lld", (long long)x->dead);
		rs->again++;
	} else if (x->n.held > 0 || x->n.pending > 0) {
		rs->waiting++;
		why[0] = '\0';
	} else {
		snprintf(why, sizeof why, "%s on retry", x->n.filtered > 0 ? "filtered"
			: x->n.unchanged > 0 ? "already written" : "written");
		rs->fixed++;
	}
	if (why[0] && state_dlq_retried(r->st, x->id, why, x->n.dead > 0 ? x->dead : 0) != 0)
		db_fail(r, "recording the retry");
	if (why[0])
		fprintf(r->o->out, "#%lld %s %s: %s\n", (long long)x->id, x->entity, x->key, why);
	*x = rs->v[--rs->n];
}

/* multi.c recorded the answer of a request of a retried dead letter (one
 * record a request: slots[0] is its); before: r->n before, dead_before:
 * r->last_dead before (given back: a dead letter of an answer is not the
 * one being mapped meanwhile). */
static void
retry_answered(run *r, slot **slots, size_t n, const counts *before, int64_t dead_before)
{
	struct eng_retries *rs = r->retries;
	retry_rec *x = n ? retry_find(rs, slots[0]->dlq_id) : NULL;

	counts_sub(&rs->async, &r->n, before);
	if (x) {
		counts_sub(&x->n, &r->n, before);
		if (r->last_dead != dead_before)
			x->dead = r->last_dead;
		if (--x->out <= 0 && !x->open)
			retry_settle(r, x);
	}
	r->last_dead = dead_before;
}

/* One dead letter through the engine again, with the mapping as it is
 * now; the same record version gets the same idempotency key.  Its
 * request may still be in flight when this returns: its answer settles
 * it (retry_answered). */
static void
retry_one(run *r, int64_t id)
{
	struct eng_retries *rs = r->retries;
	state_dead d;

	if (state_dlq_get(r->st, id, &d) != 0) {
		say(r, "dead letter #%lld: %s\n", (long long)id,
			state_errmsg(r->st));
		return;
	}
	const mw_entity *e = eng_entity_named(r->p, d.entity);
	if (!e || d.dropped) {
		say(r, "dead letter #%lld: %s\n", (long long)id,
			d.dropped ? "already out of the queue" : "its entity is not in this mapping");
		free(d.record);
		return;
	}
	if (e != r->e) {
		/* an entity's dead letters' requests up to the target's cap at
		 * once, all answered before the next entity's are mapped */
		eng_multi_end(r);
		eng_direction(r, e);
		eng_multi_begin(r, &multi_hooks);
	}
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 16;
		retry_rec *v = realloc(rs->v, cap * sizeof *v);

		if (!v) {
			r->fatal = 1;
			free(d.record);
			return;
		}
		rs->v = v;
		rs->cap = cap;
	}
	retry_rec *x = &rs->v[rs->n++];
	memset(x, 0, sizeof *x);
	x->id = id;
	x->open = 1;
	snprintf(x->entity, sizeof x->entity, "%s", d.entity);
	snprintf(x->key, sizeof x->key, "%s", d.source_key);
	counts before = r->n, async = rs->async;
	r->last_dead = 0;
	r->ns = 0;
	r->retry_id = id;
	eng_record(r, d.record, strlen(d.record), "");
	eng_flush(r);
	r->retry_id = 0;
	free(d.record);
	/* what it came to here: what r->n gained less what answers of requests
	 * in flight added meanwhile (x may have moved: found again) */
	x = retry_find(rs, id);
	if (!x || r->fatal)
		return;
	counts mine = { 0 }, theirs = { 0 };
	counts_sub(&mine, &r->n, &before);
	counts_sub(&theirs, &rs->async, &async);
	counts_sub(&x->n, &mine, &theirs);
	if (r->last_dead)
		x->dead = r->last_dead;
	x->open = 0;
	if (x->out <= 0)
		retry_settle(r, x);
}

int
sync_dlq_retry(const mw_program *p, const sync_opts *o, int64_t id)
{
	run r;
	id_list l = { NULL, NULL, 0, 0, p };
	struct eng_retries rs = { 0 };
	sync_opts one = *o;
	int status;

	one.batch = 1; /* one record a request: each outcome is the dead letter's */
	if ((status = eng_open(&r, p, &one, NULL)) != 0)
		goto out;
	r.retrying = 1;
	r.retries = &rs;
	if (id > 0)
		collect_id(&l, &(state_dead){ .id = id });
	else if (state_dlq_each(r.st, NULL, 0, 1 << 30, collect_id, &l) != 0)
		status = 2;
	/* entity by entity in the program's order (a customer's dead letter
	 * before the orders that reference it), each entity's oldest first */
	for (int k = -1; k < (int)p->n_entities && !r.fatal; k++)
		for (size_t i = l.n; i-- > 0 && !r.fatal;)
			if (l.ent[i] == k)
				retry_one(&r, l.ids[i]);
	eng_multi_end(&r); /* every request answered: every dead letter settled */
	fprintf(o->out, "retried %zu: %ld written, %ld dead-lettered again, %ld still waiting\n",
		l.n, rs.fixed, rs.again, rs.waiting);
	if (r.fatal)
		status = 2;
	else if (status == 0 && (rs.again || rs.waiting))
		status = rs.again ? 1 : 3;
out:
	free(l.ids);
	free(l.ent);
	free(rs.v);
	r.retries = NULL;
	eng_close(&r);
	return fflush(o->out) ? 2 : status;
}

/* ------------------------------------------------------------------ */
/* status                                                              */
/* ------------------------------------------------------------------ */

static int
show_dead(void *arg, const state_dead *d)
{
	FILE *f = arg;

	fprintf(f, "  #%lld %s %s (%s:%d%s%s): %s\n", (long long)d->id, d->entity,
		d->source_key[0] ? d->source_key : "(no key)", "line", d->line,
		d->field[0] ? ", " : "", d->field, d->reason);
	return 0;
}

static int
show_held(void *arg, const state_held *h)
{
	fprintf(arg, "  %s %s waits: %s\n", h->entity, h->source_key[0] ? h->source_key : "(no key)",
		h->why);
	return 0;
}

static int
show_event(void *arg, const state_event *ev)
{
	fprintf(arg, "  %s (%s) %s %s: held %d time%s, again at %lld: %s\n", ev->event_id, ev->type,
		ev->collection, ev->record_key, ev->attempts, ev->attempts == 1 ? "" : "s",
		(long long)(ev->next_at / 1000), ev->why);
	return 0;
}

int
sync_status(const mw_program *p, const char *state_path, FILE *out, FILE *err)
{
	state *st;
	int rc = state_open_as(state_path, STATE_OPEN_READ, &st);

	if (rc != 0) {
		fprintf(err, "%s: cannot open the state file %s: %s\n", p->pair, state_path,
			state_errmsg(st));
		state_close(st);
		return 2;
	}
	fprintf(out, "%s: state %s\n%-14s %-32s %8s %8s %6s %6s\n", p->pair, state_path, "entity",
		"cursor", "synced", "pending", "dead", "held");
	for (size_t i = 0; i < p->n_entities; i++) {
		char cur[STAMP_MAX] = "";
		int64_t x, pend, dead, held;

		state_cursor_get(st, p->entities[i].name, cur, sizeof cur);
		if (state_counts(st, p->entities[i].name, &x, &pend, &dead) != 0 ||
		    (held = state_held_count(st, p->entities[i].name)) < 0) {
			fprintf(err, "%s: %s\n", p->pair, state_errmsg(st));
			state_close(st);
			return 2;
		}
		fprintf(out, "%-14s %-32s %8lld %8lld %6lld %6lld\n", p->entities[i].name,
			cur[0] ? cur : "(none)", (long long)x, (long long)pend, (long long)dead,
			(long long)held);
	}
	int64_t n = state_dlq_count(st, NULL);
	fprintf(out, "dead letters: %lld%s\n", (long long)n, n > 20 ? " (the newest 20)" : "");
	state_dlq_each(st, NULL, 0, 20, show_dead, out);
	n = state_held_count(st, NULL);
	if (n > 0) {
		fprintf(out, "held: %lld%s\n", (long long)n, n > 20 ? " (the first 20)" : "");
		state_held_each(st, NULL, 20, show_held, out);
	}
	n = state_inbox_held_count(st);
	if (n > 0) {
		fprintf(out, "webhook events held: %lld%s\n", (long long)n, n > 20 ? " (the first 20)" : "");
		state_inbox_held_each(st, 20, show_event, out);
	}
	state_close(st);
	return fflush(out) ? 2 : 0;
}
