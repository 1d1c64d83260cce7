/*
 * held.c - the held records (state.h): a row per record the engine holds
 * because a record it references is not written (dead-lettered, or not
 * written yet), naming what it waits for; gone once the record is
 * written, dead-lettered or filtered.
 */
#include <stdio.h>
#include <string.h>

#include "state_int.h"

int
state_held_put(state *st, const char *entity, const char *source_key, const char *hash,
	const char *ref_entity, const char *ref_key, const char *why)
{
	char now[32];
	int rc = stmt_step(st, NULL, "INSERT INTO held(entity, source_key, hash, ref_entity, ref_key,"
		" why, first_at, last_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)"
		" ON CONFLICT(entity, source_key) DO UPDATE SET hash = excluded.hash,"
		" ref_entity = excluded.ref_entity, ref_key = excluded.ref_key, why = excluded.why,"
		" last_at = excluded.last_at", 7, entity, source_key ? source_key : "",
		hash ? hash : "", ref_entity ? ref_entity : "", ref_key ? ref_key : "", why ? why : "",
		st_now(now, sizeof now));
	return rc < 0 ? rc : 0;
}

int
state_held_clear(state *st, const char *entity, const char *source_key)
{
	int rc = stmt_step(st, NULL, "DELETE FROM held WHERE entity = ? AND source_key = ?", 2,
		entity, source_key ? source_key : "");
	return rc < 0 ? rc : 0;
}

int64_t
state_held_count(state *st, const char *entity)
{
	return entity ? stmt_count(st, "SELECT count(*) FROM held WHERE entity = ?", entity)
		: stmt_count(st, "SELECT count(*) FROM held", NULL);
}

static void
held_row(db_stmt *s, state_held *h)
{
	memset(h, 0, sizeof *h);
	snprintf(h->entity, sizeof h->entity, "%s", st_col(s, 0));
	snprintf(h->source_key, sizeof h->source_key, "%s", st_col(s, 1));
	snprintf(h->hash, sizeof h->hash, "%s", st_col(s, 2));
	snprintf(h->ref_entity, sizeof h->ref_entity, "%s", st_col(s, 3));
	snprintf(h->ref_key, sizeof h->ref_key, "%s", st_col(s, 4));
	snprintf(h->why, sizeof h->why, "%s", st_col(s, 5));
	h->first_at = db_col_int64(s, 6);
	h->last_at = db_col_int64(s, 7);
}

int
state_held_get(state *st, const char *entity, const char *source_key, state_held *out)
{
	db_stmt *s = NULL;
	int rc = stmt_step(st, &s, "SELECT entity, source_key, hash, ref_entity, ref_key, why,"
		" first_at, last_at FROM held WHERE entity = ? AND source_key = ?", 2, entity,
		source_key);
	if (rc < 0)
		return rc;
	if (rc == DB_DONE)
		return STATE_ENOTFOUND;
	held_row(s, out);
	stmt_done(st, s);
	return 0;
}

int
state_held_each(state *st, const char *entity, int limit, state_held_fn fn, void *arg)
{
	db_stmt *s;
	int rc;

	s = stmt_prepare(st, "SELECT entity, source_key, hash, ref_entity, ref_key, why, first_at,"
		" last_at FROM held WHERE CAST(?1 AS TEXT) IS NULL OR entity = ?1 ORDER BY entity, source_key"
		" LIMIT ?2");
	if (!s)
		return STATE_EDB;
	if (st_bind_text(s, 1, entity) != 0 || st_bind_int64(s, 2, limit) != 0)
		return stmt_end(st, s, STATE_EDB);
	while ((rc = db_step(s)) == DB_ROW) {
		state_held h;

		held_row(s, &h);
		if (fn(arg, &h) != 0)
			break;
	}
	return stmt_end(st, s, rc);
}
