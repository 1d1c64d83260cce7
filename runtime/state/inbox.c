/*
 * inbox.c - the webhook inbox (state.h): an event stored once per event id
 * before its sender gets 200, listed until the record it names is synced.
 */
#include <string.h>
#include <time.h>

#include "sqlite_int.h"

int
state_inbox_add(state *st, const state_event *ev)
{
	sqlite3_stmt *s;
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
	rc |= sqlite3_bind_int64(s, 7, (sqlite3_int64)time(NULL));
	if (rc != SQLITE_OK)
		return stmt_end(st, s, STATE_EDB);
	rc = stmt_end(st, s, sqlite3_step(s));
	if (rc)
		return rc;
	return sqlite3_changes(st->db) == 1 ? 0 : 1;
}

int
state_inbox_each(state *st, int limit, state_event_fn fn, void *arg)
{
	sqlite3_stmt *s;
	int rc;

	s = stmt_prepare(st, "SELECT event_id, source, type, collection, record_key,"
		" body, received_at FROM inbox WHERE state = 'new' ORDER BY received_at, rowid"
		" LIMIT ?");
	if (!s)
		return STATE_EDB;
	if (sqlite3_bind_int(s, 1, limit) != SQLITE_OK)
		return stmt_end(st, s, STATE_EDB);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		state_event ev;

		memset(&ev, 0, sizeof ev);
		ev.event_id = st_col(s, 0);
		ev.source = st_col(s, 1);
		ev.type = st_col(s, 2);
		ev.collection = st_col(s, 3);
		ev.record_key = st_col(s, 4);
		ev.body = sqlite3_column_blob(s, 5);
		ev.body_len = (size_t)sqlite3_column_bytes(s, 5);
		ev.received_at = sqlite3_column_int64(s, 6);
		if (fn(arg, &ev) != 0)
			break;
	}
	return stmt_end(st, s, rc);
}

int
state_inbox_done(state *st, const char *event_id)
{
	int rc = stmt_step(st, NULL, "UPDATE inbox SET state = 'done' WHERE event_id = ?", 1, event_id);
	return rc < 0 ? rc : 0;
}

int64_t
state_inbox_count(state *st)
{
	return stmt_count(st, "SELECT count(*) FROM inbox WHERE state = 'new'", NULL);
}
