/*
 * dlq.c - the dead-letter queue (state.h): a dead letter per record
 * version, listed, read, dropped with a reason or re-driven, each leaving a
 * row in dlq_audit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state_int.h"

int
state_dlq_add(state *st, const char *entity, const char *source_key, const char *hash,
	const char *record, const char *reason, const char *target_error, int line,
	const char *field, int64_t *id)
{
	char now[32];
	/* the record as received: its bytes need not be UTF-8 (st_bind_raw) */
	db_stmt *s = stmt_prepare(st, "INSERT INTO dlq(entity, source_key, record, reason,"
		" target_error, line, field, attempts, first_at, last_at, hash)"
		" VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, ?8, ?8, ?9) RETURNING id");
	if (!s)
		return STATE_EDB;
	int rc = st_bind_text(s, 1, entity) | st_bind_text(s, 2, source_key ? source_key : "") |
		st_bind_raw(s, 3, record ? record : "") | st_bind_text(s, 4, reason ? reason : "") |
		st_bind_text(s, 5, target_error ? target_error : "") | st_bind_int64(s, 6, line) |
		st_bind_text(s, 7, field ? field : "") | st_bind_text(s, 8, st_now(now, sizeof now)) |
		st_bind_text(s, 9, hash ? hash : "");
	if (rc != 0)
		return stmt_end(st, s, STATE_EDB);
	if ((rc = db_step(s)) != DB_ROW) {
		rc = stmt_end(st, s, rc);
		return rc ? rc : st_fail(st, "dead letter: no id");
	}
	if (id)
		*id = db_col_int64(s, 0);
	stmt_done(st, s);
	return 0;
}

int
state_dlq_get(state *st, int64_t id, state_dead *out)
{
	char ids[32];
	snprintf(ids, sizeof ids, "%lld", (long long)id);
	db_stmt *s = NULL;
	int rc = stmt_step(st, &s, "SELECT id, entity, source_key, record, reason, target_error, line,"
		" field, attempts, first_at, last_at, dropped, hash FROM dlq WHERE id = ?", 1, ids);
	if (rc < 0)
		return rc;
	if (rc == DB_DONE)
		return STATE_ENOTFOUND;
	memset(out, 0, sizeof *out);
	out->id = db_col_int64(s, 0);
	snprintf(out->entity, sizeof out->entity, "%s", st_col(s, 1));
	snprintf(out->source_key, sizeof out->source_key, "%s",
		st_col(s, 2));
	out->record = strdup(st_col(s, 3));
	snprintf(out->reason, sizeof out->reason, "%s", st_col(s, 4));
	snprintf(out->target_error, sizeof out->target_error, "%s",
		st_col(s, 5));
	out->line = (int)db_col_int64(s, 6);
	snprintf(out->field, sizeof out->field, "%s", st_col(s, 7));
	out->attempts = (int)db_col_int64(s, 8);
	out->first_at = db_col_int64(s, 9);
	out->last_at = db_col_int64(s, 10);
	out->dropped = (int)db_col_int64(s, 11);
	snprintf(out->hash, sizeof out->hash, "%s", st_col(s, 12));
	stmt_done(st, s);
	return out->record ? 0 : STATE_EUSAGE;
}

int64_t
state_dlq_count(state *st, const char *entity)
{
	return entity
		? stmt_count(st, "SELECT count(*) FROM dlq WHERE dropped = 0 AND entity = ?", entity)
		: stmt_count(st, "SELECT count(*) FROM dlq WHERE dropped = 0", NULL);
}

int
state_dlq_drop(state *st, int64_t id, const char *why)
{
	char ids[32], now[32];
	snprintf(ids, sizeof ids, "%lld", (long long)id);
	if (!why || !*why) {
		snprintf(st->err, sizeof st->err, "dropping a dead letter needs a reason");
		return STATE_EUSAGE;
	}
	/* the drop and its audit row, together */
	int rc = state_begin(st);
	if (rc)
		return rc;
	rc = stmt_step(st, NULL, "UPDATE dlq SET dropped = 1 WHERE id = ? AND dropped = 0", 1, ids);
	if (rc >= 0 && db_changes(st) != 1)
		rc = STATE_ENOTFOUND;
	if (rc >= 0)
		rc = stmt_step(st, NULL, "INSERT INTO dlq_audit(id, action, why, at) VALUES(?, 'drop', ?, ?)",
			3, ids, why, st_now(now, sizeof now));
	if (rc < 0) {
		state_rollback(st);
		return rc;
	}
	return state_commit(st);
}

int64_t
state_dlq_find(state *st, const char *entity, const char *source_key, const char *hash)
{
	db_stmt *s = NULL;
	int rc = stmt_step(st, &s, "SELECT id FROM dlq WHERE entity = ?1 AND source_key = ?2"
		" AND (CAST(?3 AS TEXT) IS NULL OR hash = ?3) AND dropped = 0 ORDER BY id DESC LIMIT 1",
		3, entity, source_key, hash);
	if (rc < 0)
		return rc;
	if (rc == DB_DONE)
		return 0;
	int64_t id = db_col_int64(s, 0);
	stmt_done(st, s);
	return id;
}

int
state_dlq_each(state *st, const char *entity, int64_t since, int limit, state_dead_fn fn,
	void *arg)
{
	db_stmt *s;
	int rc;

	s = stmt_prepare(st, "SELECT id, entity, source_key, reason, target_error, line,"
		" field, attempts, first_at, last_at, hash FROM dlq WHERE dropped = 0"
		" AND (CAST(?1 AS TEXT) IS NULL"
		" OR entity = ?1) AND first_at >= ?3 ORDER BY id DESC LIMIT ?2");
	if (!s)
		return STATE_EDB;
	if (st_bind_text(s, 1, entity) != 0 || st_bind_int64(s, 2, limit) != 0 ||
	    st_bind_int64(s, 3, since) != 0)
		return stmt_end(st, s, STATE_EDB);
	while ((rc = db_step(s)) == DB_ROW) {
		state_dead d;

		memset(&d, 0, sizeof d);
		d.id = db_col_int64(s, 0);
		snprintf(d.entity, sizeof d.entity, "%s", st_col(s, 1));
		snprintf(d.source_key, sizeof d.source_key, "%s", st_col(s, 2));
		snprintf(d.reason, sizeof d.reason, "%s", st_col(s, 3));
		snprintf(d.target_error, sizeof d.target_error, "%s", st_col(s, 4));
		d.line = (int)db_col_int64(s, 5);
		snprintf(d.field, sizeof d.field, "%s", st_col(s, 6));
		d.attempts = (int)db_col_int64(s, 7);
		d.first_at = db_col_int64(s, 8);
		d.last_at = db_col_int64(s, 9);
		snprintf(d.hash, sizeof d.hash, "%s", st_col(s, 10));
		if (fn(arg, &d) != 0)
			break;
	}
	return stmt_end(st, s, rc);
}

int
state_dlq_retried(state *st, int64_t id, const char *why, int64_t again_id)
{
	char ids[32], again[32], now[32];
	int rc;

	snprintf(ids, sizeof ids, "%lld", (long long)id);
	snprintf(again, sizeof again, "%lld", (long long)again_id);
	rc = stmt_step(st, NULL, "UPDATE dlq SET dropped = 1 WHERE id = ? AND dropped = 0", 1, ids);
	if (rc >= 0 && db_changes(st) != 1)
		return STATE_ENOTFOUND;
	if (rc >= 0)
		rc = stmt_step(st, NULL, "INSERT INTO dlq_audit(id, action, why, at)"
			" VALUES(?, 'retry', ?, ?)", 3, ids, why ? why : "", st_now(now, sizeof now));
	if (rc >= 0 && again_id > 0)
		rc = stmt_step(st, NULL, "UPDATE dlq SET attempts = (SELECT attempts FROM dlq WHERE id = ?1)"
			" + 1, first_at = (SELECT first_at FROM dlq WHERE id = ?1) WHERE id = ?2", 2, ids,
			again);
	return rc < 0 ? rc : 0;
}
