/*
 * tables.c - the small tables of state.h: cursors, cross-references and the
 * counts `status` shows (the OAuth tokens: tokens.c).
 */
#include <stdio.h>
#include <string.h>

#include "state_int.h"

int
state_cursor_get(state *st, const char *entity, char *out, size_t outlen)
{
	return stmt_text(st, "SELECT value FROM cursors WHERE entity = ?", out, outlen, 1, entity,
		NULL);
}

/* A handle that holds leases moves a cursor in a transaction of its own,
 * so that a worker that lost its lease moves none (state_begin checks). */
int
state_cursor_set(state *st, const char *entity, const char *value)
{
	char now[32];
	int own = st->nlease > 0 && !db_in_tx(st);
	int rc = own ? state_begin(st) : 0;

	if (rc != 0)
		return rc;
	rc = stmt_step(st, NULL, "INSERT INTO cursors(entity, value, updated_at) VALUES(?, ?, ?)"
		" ON CONFLICT(entity) DO UPDATE SET value = excluded.value,"
		" updated_at = excluded.updated_at", 3, entity, value, st_now(now, sizeof now));
	if (own && rc < 0)
		state_rollback(st);
	else if (own)
		return state_commit(st);
	return rc < 0 ? rc : 0;
}

int
state_xref_get(state *st, const char *entity, const char *source_id, char *target_id,
	size_t tlen, char *hash, size_t hlen)
{
	db_stmt *s = NULL;
	int rc = stmt_step(st, &s, "SELECT target_id, hash FROM xref WHERE entity = ? AND source_id = ?",
		2, entity, source_id);
	if (rc < 0)
		return rc;
	if (rc == DB_DONE)
		return STATE_ENOTFOUND;
	snprintf(target_id, tlen, "%s", st_col(s, 0));
	if (hash)
		snprintf(hash, hlen, "%s", st_col(s, 1));
	stmt_done(st, s);
	return 0;
}

int
state_xref_keys(state *st, const char *entity, size_t minlen, size_t maxlen, state_key_fn fn,
	void *arg)
{
	db_stmt *s;
	int rc;

	/* the length in bytes: SQLite has no octet_length before 3.43 */
	s = stmt_prepare(st, st->db ? "SELECT source_id FROM xref WHERE entity = ?1"
		" AND length(CAST(source_id AS BLOB)) BETWEEN ?2 AND ?3 ORDER BY source_id"
		: "SELECT source_id FROM xref WHERE entity = ?1"
		" AND octet_length(source_id) BETWEEN ?2 AND ?3 ORDER BY source_id");
	if (!s)
		return STATE_EDB;
	if (st_bind_text(s, 1, entity) != 0 ||
	    st_bind_int64(s, 2, (int64_t)minlen) != 0 ||
	    st_bind_int64(s, 3, (int64_t)maxlen) != 0)
		return stmt_end(st, s, STATE_EDB);
	while ((rc = db_step(s)) == DB_ROW) {
		const char *id = st_col(s, 0);

		if (id && fn(arg, id, db_col_bytes(s, 0)) != 0)
			break;
	}
	return stmt_end(st, s, rc);
}

int
state_xref_put_doc(state *st, const char *entity, const char *source_id, const char *target_id,
	const char *hash, const char *doc)
{
	char now[32];
	int rc = stmt_step(st, NULL, "INSERT INTO xref(entity, source_id, target_id, hash, updated_at,"
		" doc) VALUES(?1, ?2, ?3, ?4, ?5, coalesce(?6, '')) ON CONFLICT(entity, source_id)"
		" DO UPDATE SET target_id = excluded.target_id, hash = excluded.hash,"
		" updated_at = excluded.updated_at, doc = coalesce(?6, xref.doc)", 6, entity,
		source_id, target_id, hash, st_now(now, sizeof now), doc);
	return rc < 0 ? rc : 0;
}

int
state_xref_put(state *st, const char *entity, const char *source_id, const char *target_id,
	const char *hash)
{
	return state_xref_put_doc(st, entity, source_id, target_id, hash, NULL);
}

int
state_xref_doc(state *st, const char *entity, const char *source_id, char *doc, size_t n)
{
	return stmt_text(st, "SELECT doc FROM xref WHERE entity = ? AND source_id = ?", doc, n, 2,
		entity, source_id);
}

int
state_counts(state *st, const char *entity, int64_t *xrefs, int64_t *pending, int64_t *dead)
{
	*xrefs = stmt_count(st, "SELECT count(*) FROM xref WHERE entity = ?", entity);
	*pending = stmt_count(st, "SELECT count(*) FROM journal WHERE entity = ? AND state = 'pending'",
		entity);
	*dead = stmt_count(st, "SELECT count(*) FROM dlq WHERE entity = ? AND dropped = 0", entity);
	return *xrefs < 0 || *pending < 0 || *dead < 0 ? STATE_EDB : 0;
}
