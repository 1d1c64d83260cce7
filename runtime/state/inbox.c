/*
 * inbox.c - the webhook inbox (state.h): an event stored once per event id
 * before its sender gets 200, listed until the record it names is synced.
 * An event whose record could not be synced yet (held, pending, the source
 * unreadable) is put off: state 'held', tried again from next_at on, with
 * its attempts and why, so it neither spins nor stands in front of new ones.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "state_int.h"

int
state_inbox_add(state *st, const state_event *ev)
{
	db_stmt *s;
	int rc = 0;

	if (!ev->event_id || !*ev->event_id || !ev->source || !ev->type || !ev->collection ||
	    !ev->record_key)
		return STATE_EUSAGE;
	s = stmt_prepare(st, "INSERT INTO inbox(event_id, source, type, collection,"
		" record_key, body, received_at) VALUES(?, ?, ?, ?, ?, ?, ?)"
		" ON CONFLICT(event_id) DO NOTHING");
	if (!s)
		return STATE_EDB;
	rc |= st_bind_text(s, 1, ev->event_id);
	rc |= st_bind_text(s, 2, ev->source);
	rc |= st_bind_text(s, 3, ev->type);
	rc |= st_bind_text(s, 4, ev->collection);
	rc |= st_bind_text(s, 5, ev->record_key);
	rc |= st_bind_blob(s, 6, ev->body, ev->body_len);
	rc |= st_bind_int64(s, 7, (int64_t)time(NULL));
	if (rc != 0)
		return stmt_end(st, s, STATE_EDB);
	rc = stmt_end(st, s, db_step(s));
	if (rc)
		return rc;
	return db_changes(st) == 1 ? 0 : 1;
}

int64_t
state_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One page of a listing, copied out of SQLite: the strings of each event
 * in one allocation. */
typedef struct {
	state_event *v;
	char **mem;
	int n;
} page;

static void
page_free(page *pg)
{
	for (int i = 0; i < pg->n; i++)
		free(pg->mem[i]);
	free(pg->mem);
	free(pg->v);
}

static const char *
put_col(db_stmt *s, int i, char **at)
{
	size_t n = db_col_bytes(s, i);
	const void *p = db_col_blob(s, i);
	char *d = *at;

	if (n)
		memcpy(d, p, n);
	d[n] = '\0';
	*at += n + 1;
	return d;
}

/* The rows of s (event_id, source, type, collection, record_key, body,
 * received_at, attempts, why, next_at) into pg, then s handed back: 0 or
 * an error. */
static int
read_page(state *st, db_stmt *s, int limit, page *pg)
{
	int rc = DB_DONE;

	memset(pg, 0, sizeof *pg);
	pg->v = calloc((size_t)(limit > 0 ? limit : 1), sizeof *pg->v);
	pg->mem = calloc((size_t)(limit > 0 ? limit : 1), sizeof *pg->mem);
	if (!pg->v || !pg->mem) {
		stmt_done(st, s);
		snprintf(st->err, sizeof st->err, "out of memory");
		return STATE_EDB;
	}
	while (pg->n < limit && (rc = db_step(s)) == DB_ROW) {
		static const int text[] = { 0, 1, 2, 3, 4, 5, 8 };
		size_t len = 0;

		for (size_t k = 0; k < sizeof text / sizeof *text; k++)
			len += db_col_bytes(s, text[k]) + 1;
		char *at = pg->mem[pg->n] = malloc(len);
		if (!at) {
			stmt_done(st, s);
			snprintf(st->err, sizeof st->err, "out of memory");
			return STATE_EDB;
		}
		state_event *ev = &pg->v[pg->n++];
		ev->event_id = put_col(s, 0, &at);
		ev->source = put_col(s, 1, &at);
		ev->type = put_col(s, 2, &at);
		ev->collection = put_col(s, 3, &at);
		ev->record_key = put_col(s, 4, &at);
		int no_body = db_col_null(s, 5);
		ev->body_len = db_col_bytes(s, 5);
		ev->body = put_col(s, 5, &at);
		if (no_body)
			ev->body = NULL;
		ev->received_at = db_col_int64(s, 6);
		ev->attempts = (int)db_col_int64(s, 7);
		ev->why = put_col(s, 8, &at);
		ev->next_at = db_col_int64(s, 9);
	}
	if (pg->n == limit)
		rc = DB_DONE;
	return stmt_end(st, s, rc);
}

/* The events of the listing s, bound and limited to limit, through fn,
 * after the statement is done: fn may write (a write inside an open read
 * whose snapshot another connection has since moved past is refused
 * "database is locked", whatever the busy timeout). */
static int
each(state *st, db_stmt *s, int limit, state_event_fn fn, void *arg)
{
	page pg;
	int rc = read_page(st, s, limit, &pg);

	for (int i = 0; !rc && i < pg.n; i++)
		if (fn(arg, &pg.v[i]) != 0)
			break;
	page_free(&pg);
	return rc;
}

#define EVENT_COLS "event_id, source, type, collection, record_key, body, received_at," \
	" attempts, why, next_at"

int
state_inbox_each(state *st, int limit, state_event_fn fn, void *arg)
{
	db_stmt *s = stmt_prepare(st, "SELECT " EVENT_COLS " FROM inbox WHERE state = 'new'"
		" OR (state = 'held' AND next_at <= ?1) ORDER BY state = 'held', received_at, rowid"
		" LIMIT ?2");
	if (!s)
		return STATE_EDB;
	if (st_bind_int64(s, 1, state_now_ms()) != 0 ||
	    st_bind_int64(s, 2, limit) != 0)
		return stmt_end(st, s, STATE_EDB);
	return each(st, s, limit, fn, arg);
}

/* Claimed in one statement (the events chosen and marked at once; on
 * PostgreSQL the rows another worker is claiming now are skipped, not
 * waited on), then read back in order: the events marked with this
 * claim's name (the holder and a count: unique among the live ones). */
int
state_inbox_claim(state *st, int limit, int64_t ttl_ms, state_event_fn fn, void *arg)
{
	int64_t now;
	char until[32], lim[32], due[32], at[32], claim[sizeof st->holder + 32];
	int rc = db_now_ms(st, &now);

	if (rc)
		return rc;
	/* this claim's name, which reads back its events alone */
	snprintf(claim, sizeof claim, "%s claim %lld", st->holder, (long long)++st->claims);
	snprintf(until, sizeof until, "%lld", (long long)(now + ttl_ms));
	snprintf(lim, sizeof lim, "%d", limit);
	snprintf(due, sizeof due, "%lld", (long long)state_now_ms()); /* next_at's clock */
	snprintf(at, sizeof at, "%lld", (long long)now);
	rc = stmt_step(st, NULL, st->db ? "UPDATE inbox SET claimed_by = ?1, claim_expires = ?2"
		" WHERE event_id IN (SELECT event_id FROM inbox WHERE (state = 'new' OR (state = 'held'"
		" AND next_at <= ?3)) AND claim_expires <= ?4 ORDER BY state = 'held', received_at,"
		" rowid LIMIT ?5)" : "UPDATE inbox SET claimed_by = ?1, claim_expires = CAST(?2 AS"
		" BIGINT) WHERE event_id IN (SELECT event_id FROM inbox WHERE (state = 'new' OR"
		" (state = 'held' AND next_at <= CAST(?3 AS BIGINT))) AND claim_expires <="
		" CAST(?4 AS BIGINT) ORDER BY state = 'held', received_at, rowid LIMIT CAST(?5 AS"
		" BIGINT) FOR UPDATE SKIP LOCKED)", 5, claim, until, due, at, lim);
	if (rc < 0)
		return rc;
	db_stmt *s = stmt_prepare(st, "SELECT " EVENT_COLS " FROM inbox WHERE claimed_by = ?1"
		" AND state != 'done' ORDER BY state = 'held', received_at, rowid LIMIT ?2");
	if (!s)
		return STATE_EDB;
	if (st_bind_text(s, 1, claim) != 0 || st_bind_int64(s, 2, limit) != 0)
		return stmt_end(st, s, STATE_EDB);
	return each(st, s, limit, fn, arg);
}

int
state_inbox_held_each(state *st, int limit, state_event_fn fn, void *arg)
{
	db_stmt *s = stmt_prepare(st, "SELECT " EVENT_COLS " FROM inbox WHERE state = 'held'"
		" ORDER BY received_at, rowid LIMIT ?");
	if (!s)
		return STATE_EDB;
	if (st_bind_int64(s, 1, limit) != 0)
		return stmt_end(st, s, STATE_EDB);
	return each(st, s, limit, fn, arg);
}

int
state_inbox_done(state *st, const char *event_id)
{
	int rc = stmt_step(st, NULL, "UPDATE inbox SET state = 'done', why = '' WHERE event_id = ?",
		1, event_id);
	return rc < 0 ? rc : 0;
}

int
state_inbox_hold(state *st, const char *event_id, int64_t next_at, const char *why)
{
	char at[32];

	snprintf(at, sizeof at, "%lld", (long long)next_at);
	int rc = stmt_step(st, NULL, "UPDATE inbox SET state = 'held', attempts = attempts + 1,"
		" next_at = ?1, why = ?2, claim_expires = 0 WHERE event_id = ?3 AND state != 'done'",
		3, at,
		why ? why : "", event_id);
	return rc < 0 ? rc : 0;
}

int64_t
state_inbox_count(state *st)
{
	return stmt_count(st, "SELECT count(*) FROM inbox WHERE state IN ('new', 'held')", NULL);
}

int64_t
state_inbox_held_count(state *st)
{
	return stmt_count(st, "SELECT count(*) FROM inbox WHERE state = 'held'", NULL);
}
