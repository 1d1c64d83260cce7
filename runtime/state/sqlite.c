/*
 * sqlite.c - state.h over SQLite: one file per deployment, WAL mode,
 * synchronous=FULL (money: a committed outcome survives a power cut, not
 * only a crash of the process), a busy timeout for the daemon and an
 * operator's `dlq` command sharing the file, and a versioned schema.
 * Every statement is prepared with bound parameters; every return code is
 * checked.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <sqlite3.h>

#include "state.h"

struct state {
	sqlite3 *db;
	char err[512];
};

static const char *const schema =
	"CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS cursors(entity TEXT PRIMARY KEY, value TEXT NOT NULL,"
	"  updated_at INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS xref(entity TEXT NOT NULL, source_id TEXT NOT NULL,"
	"  target_id TEXT NOT NULL, hash TEXT NOT NULL, updated_at INTEGER NOT NULL,"
	"  PRIMARY KEY(entity, source_id));"
	"CREATE INDEX IF NOT EXISTS xref_target ON xref(entity, target_id);"
	"CREATE TABLE IF NOT EXISTS journal(key TEXT PRIMARY KEY, entity TEXT NOT NULL,"
	"  source_id TEXT NOT NULL, hash TEXT NOT NULL, state TEXT NOT NULL,"
	"  target_id TEXT, error TEXT, began_at INTEGER NOT NULL, finished_at INTEGER,"
	"  request_key TEXT, seq INTEGER, payload BLOB, update_id TEXT, match_value TEXT,"
	"  record BLOB, stamp TEXT);"
	"CREATE INDEX IF NOT EXISTS journal_pending ON journal(state, began_at);"
	"CREATE INDEX IF NOT EXISTS journal_version ON journal(entity, source_id, hash);"
	"CREATE TABLE IF NOT EXISTS dlq(id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  entity TEXT NOT NULL, source_key TEXT NOT NULL, record TEXT NOT NULL,"
	"  reason TEXT NOT NULL, target_error TEXT NOT NULL, line INTEGER NOT NULL,"
	"  field TEXT NOT NULL, attempts INTEGER NOT NULL, first_at INTEGER NOT NULL,"
	"  last_at INTEGER NOT NULL, dropped INTEGER NOT NULL DEFAULT 0,"
	"  hash TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX IF NOT EXISTS dlq_record ON dlq(entity, source_key);"
	"CREATE TABLE IF NOT EXISTS dlq_audit(id INTEGER NOT NULL, action TEXT NOT NULL,"
	"  why TEXT NOT NULL, at INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS inbox(event_id TEXT PRIMARY KEY, source TEXT NOT NULL,"
	"  type TEXT NOT NULL, collection TEXT NOT NULL, record_key TEXT NOT NULL,"
	"  body BLOB, received_at INTEGER NOT NULL, state TEXT NOT NULL DEFAULT 'new');"
	"CREATE INDEX IF NOT EXISTS inbox_new ON inbox(state, received_at);"
	"CREATE TABLE IF NOT EXISTS tokens(service TEXT PRIMARY KEY, access TEXT NOT NULL,"
	"  refresh TEXT NOT NULL, expires_at INTEGER NOT NULL);";

/* Version 1 -> 2: the journal keeps each write's request (key, position,
 * payload, update id, natural key, the source record and its stamp) so a
 * batch interrupted by a crash is re-sent byte for byte; a dead letter
 * keeps the hash of the record version it was made from.  (The webhook
 * inbox is a new table: the schema creates it.) */
static const char *const migrate_1_2 =
	"ALTER TABLE journal ADD COLUMN request_key TEXT;"
	"ALTER TABLE journal ADD COLUMN seq INTEGER;"
	"ALTER TABLE journal ADD COLUMN payload BLOB;"
	"ALTER TABLE journal ADD COLUMN update_id TEXT;"
	"ALTER TABLE journal ADD COLUMN match_value TEXT;"
	"ALTER TABLE journal ADD COLUMN record BLOB;"
	"ALTER TABLE journal ADD COLUMN stamp TEXT;"
	"ALTER TABLE dlq ADD COLUMN hash TEXT NOT NULL DEFAULT '';"
	"CREATE INDEX IF NOT EXISTS dlq_record ON dlq(entity, source_key);";

static int
fail(state *st, const char *what)
{
	snprintf(st->err, sizeof st->err, "%s: %s", what, st->db ? sqlite3_errmsg(st->db) : "no db");
	return STATE_EDB;
}

const char *
state_errmsg(const state *st)
{
	return st ? st->err : "no state";
}

/* Prepare, bind the text arguments (NULL binds NULL), step once.  Returns
 * the step code (SQLITE_ROW / SQLITE_DONE) with *out holding the statement
 * when a row is wanted, or a negative code. */
static int
run(state *st, sqlite3_stmt **out, const char *sql, int nargs, ...)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return fail(st, "prepare");
	va_list ap;
	va_start(ap, nargs);
	for (int i = 1; i <= nargs; i++) {
		const char *v = va_arg(ap, const char *);
		int rc = v ? sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(s, i);
		if (rc != SQLITE_OK) {
			va_end(ap);
			sqlite3_finalize(s);
			return fail(st, "bind");
		}
	}
	va_end(ap);
	int rc = sqlite3_step(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		sqlite3_finalize(s);
		return fail(st, "step");
	}
	if (out && rc == SQLITE_ROW)
		*out = s;
	else
		sqlite3_finalize(s);
	return rc;
}

static int
exec(state *st, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(st->err, sizeof st->err, "%s", msg ? msg : "exec failed");
		sqlite3_free(msg);
		return STATE_EDB;
	}
	return 0;
}

static char *
now_text(char *buf, size_t n)
{
	snprintf(buf, n, "%lld", (long long)time(NULL));
	return buf;
}

int
state_open(const char *path, state **out)
{
	*out = NULL;
	state *st = calloc(1, sizeof *st);
	if (!st)
		return STATE_EUSAGE;
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		fail(st, path);
		*out = st;
		return STATE_EDB;
	}
	sqlite3_busy_timeout(st->db, 5000);
	if (exec(st, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;")
	    || exec(st, "BEGIN IMMEDIATE") || exec(st, schema)) {
		*out = st; /* the caller reads state_errmsg, then closes */
		return STATE_EDB;
	}
	sqlite3_stmt *s = NULL;
	int rc = run(st, &s, "SELECT value FROM meta WHERE key = 'schema_version'", 0);
	if (rc == SQLITE_ROW) {
		long v = strtol((const char *)sqlite3_column_text(s, 0), NULL, 10);
		sqlite3_finalize(s);
		if (v > STATE_SCHEMA_VERSION) {
			snprintf(st->err, sizeof st->err, "the state file has schema version %ld; this "
				"program knows %d: use a newer one", v, STATE_SCHEMA_VERSION);
			exec(st, "ROLLBACK");
			*out = st;
			return STATE_EVERSION;
		}
		if (v < 2 && exec(st, migrate_1_2)) {
			exec(st, "ROLLBACK");
			*out = st;
			return STATE_EDB;
		}
		if (v < STATE_SCHEMA_VERSION && run(st, NULL, "UPDATE meta SET value = ? WHERE key ="
		    " 'schema_version'", 1, STATE_SCHEMA_VERSION_TEXT) < 0) {
			exec(st, "ROLLBACK");
			*out = st;
			return STATE_EDB;
		}
	} else if (rc == SQLITE_DONE) {
		char v[16];
		snprintf(v, sizeof v, "%d", STATE_SCHEMA_VERSION);
		if (run(st, NULL, "INSERT INTO meta(key, value) VALUES('schema_version', ?)", 1, v) < 0) {
			exec(st, "ROLLBACK");
			*out = st;
			return STATE_EDB;
		}
	} else {
		exec(st, "ROLLBACK");
		*out = st;
		return STATE_EDB;
	}
	if (exec(st, "CREATE INDEX IF NOT EXISTS journal_request ON journal(request_key, seq)") ||
	    exec(st, "COMMIT")) {
		exec(st, "ROLLBACK");
		*out = st;
		return STATE_EDB;
	}
	*out = st;
	return 0;
}

void
state_close(state *st)
{
	if (!st)
		return;
	sqlite3_close(st->db);
	free(st);
}

int state_begin(state *st) { return exec(st, "BEGIN IMMEDIATE"); }
int state_commit(state *st) { return exec(st, "COMMIT"); }
int state_rollback(state *st) { return exec(st, "ROLLBACK"); }

/* One text column of a one-row query into buf. */
static int
get_text(state *st, const char *sql, char *buf, size_t n, int nargs, const char *a,
	const char *b)
{
	sqlite3_stmt *s = NULL;
	int rc = run(st, &s, sql, nargs, a, b);
	if (rc < 0)
		return rc;
	if (rc == SQLITE_DONE)
		return STATE_ENOTFOUND;
	const unsigned char *v = sqlite3_column_text(s, 0);
	snprintf(buf, n, "%s", v ? (const char *)v : "");
	sqlite3_finalize(s);
	return 0;
}

int
state_cursor_get(state *st, const char *entity, char *out, size_t outlen)
{
	return get_text(st, "SELECT value FROM cursors WHERE entity = ?", out, outlen, 1, entity,
		NULL);
}

int
state_cursor_set(state *st, const char *entity, const char *value)
{
	char now[32];
	int rc = run(st, NULL, "INSERT INTO cursors(entity, value, updated_at) VALUES(?, ?, ?)"
		" ON CONFLICT(entity) DO UPDATE SET value = excluded.value,"
		" updated_at = excluded.updated_at", 3, entity, value, now_text(now, sizeof now));
	return rc < 0 ? rc : 0;
}

int
state_xref_get(state *st, const char *entity, const char *source_id, char *target_id,
	size_t tlen, char *hash, size_t hlen)
{
	sqlite3_stmt *s = NULL;
	int rc = run(st, &s, "SELECT target_id, hash FROM xref WHERE entity = ? AND source_id = ?",
		2, entity, source_id);
	if (rc < 0)
		return rc;
	if (rc == SQLITE_DONE)
		return STATE_ENOTFOUND;
	snprintf(target_id, tlen, "%s", (const char *)sqlite3_column_text(s, 0));
	if (hash)
		snprintf(hash, hlen, "%s", (const char *)sqlite3_column_text(s, 1));
	sqlite3_finalize(s);
	return 0;
}

int
state_xref_put(state *st, const char *entity, const char *source_id, const char *target_id,
	const char *hash)
{
	char now[32];
	int rc = run(st, NULL, "INSERT INTO xref(entity, source_id, target_id, hash, updated_at)"
		" VALUES(?, ?, ?, ?, ?) ON CONFLICT(entity, source_id) DO UPDATE SET"
		" target_id = excluded.target_id, hash = excluded.hash,"
		" updated_at = excluded.updated_at", 5, entity, source_id, target_id, hash,
		now_text(now, sizeof now));
	return rc < 0 ? rc : 0;
}

int
state_xref_by_target(state *st, const char *entity, const char *target_id, char *source_id,
	size_t slen)
{
	return get_text(st, "SELECT source_id FROM xref WHERE entity = ? AND target_id = ?",
		source_id, slen, 2, entity, target_id);
}

int
state_idem_key(const char *const *parts, size_t n, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *x = EVP_MD_CTX_new();
	int ok = x && outlen >= 37 && EVP_DigestInit_ex(x, EVP_sha256(), NULL) == 1;

	for (size_t i = 0; ok && i < n; i++)
		ok = (i == 0 || EVP_DigestUpdate(x, "", 1) == 1) &&
			EVP_DigestUpdate(x, parts[i], strlen(parts[i])) == 1;
	ok = ok && EVP_DigestFinal_ex(x, md, &mdlen) == 1 && mdlen >= 16;
	EVP_MD_CTX_free(x);
	if (outlen)
		out[0] = '\0';
	if (!ok)
		return -1;
	memcpy(out, "mw2-", 4);
	for (int i = 0; i < 16; i++) {
		out[4 + 2 * i] = hex[md[i] >> 4];
		out[5 + 2 * i] = hex[md[i] & 15];
	}
	out[36] = '\0';
	return 0;
}

void
state_journal_key(const char *entity, const char *source_id, const char *hash, char *out,
	size_t n)
{
	const char *const parts[3] = { entity, source_id, hash };

	state_idem_key(parts, 3, out, n);
}

int
state_journal_find(state *st, const char *entity, const char *source_id, const char *hash,
	char *key, size_t keylen, char *js, size_t jslen)
{
	sqlite3_stmt *s = NULL;
	/* one row per version; a pending one first should there ever be two */
	int rc = run(st, &s, "SELECT key, state FROM journal WHERE entity = ? AND source_id = ?"
		" AND hash = ? ORDER BY state = 'pending' DESC, rowid DESC LIMIT 1", 3, entity,
		source_id, hash);
	if (rc < 0)
		return rc;
	if (rc == SQLITE_ROW) {
		snprintf(key, keylen, "%s", (const char *)sqlite3_column_text(s, 0));
		if (js)
			snprintf(js, jslen, "%s", (const char *)sqlite3_column_text(s, 1));
		sqlite3_finalize(s);
		return 0;
	}
	state_journal_key(entity, source_id, hash, key, keylen);
	if (!key[0]) {
		snprintf(st->err, sizeof st->err, "no idempotency key: SHA-256 failed");
		return STATE_EUSAGE;
	}
	return STATE_ENOTFOUND;
}

int
state_journal_begin(state *st, const char *entity, const char *source_id, const char *hash,
	char *key, size_t keylen)
{
	char now[32];
	if (!entity || !source_id || !hash || keylen < 40)
		return STATE_EUSAGE;
	int found = state_journal_find(st, entity, source_id, hash, key, keylen, NULL, 0);
	if (found != 0 && found != STATE_ENOTFOUND)
		return found;
	/* a key that failed before is begun again; one that is done stays done */
	int rc = run(st, NULL, "INSERT INTO journal(key, entity, source_id, hash, state, began_at)"
		" VALUES(?, ?, ?, ?, 'pending', ?) ON CONFLICT(key) DO UPDATE SET state = 'pending',"
		" began_at = excluded.began_at WHERE journal.state = 'failed'", 5, key, entity,
		source_id, hash, now_text(now, sizeof now));
	return rc < 0 ? rc : 0;
}

int
state_journal_finish(state *st, const char *key, state_outcome outcome, const char *target_id,
	const char *error_text)
{
	char now[32];
	int rc = run(st, NULL, "UPDATE journal SET state = ?, target_id = ?, error = ?,"
		" finished_at = ? WHERE key = ?", 5, outcome == STATE_DONE ? "done" : "failed",
		target_id, error_text, now_text(now, sizeof now), key);
	if (rc < 0)
		return rc;
	return sqlite3_changes(st->db) == 1 ? 0 : STATE_ENOTFOUND;
}

int
state_journal_pending(state *st, state_pending_fn fn, void *arg)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(st->db, "SELECT key, entity, source_id, hash FROM journal"
		" WHERE state = 'pending' ORDER BY began_at, rowid", -1, &s, NULL) != SQLITE_OK)
		return fail(st, "prepare");
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (fn(arg, (const char *)sqlite3_column_text(s, 0),
		       (const char *)sqlite3_column_text(s, 1), (const char *)sqlite3_column_text(s, 2),
		       (const char *)sqlite3_column_text(s, 3)) != 0)
			break;
	}
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : fail(st, "step");
}

int
state_dlq_add(state *st, const char *entity, const char *source_key, const char *hash,
	const char *record, const char *reason, const char *target_error, int line,
	const char *field, int64_t *id)
{
	char now[32], ln[16];
	snprintf(ln, sizeof ln, "%d", line);
	now_text(now, sizeof now);
	int rc = run(st, NULL, "INSERT INTO dlq(entity, source_key, record, reason, target_error,"
		" line, field, attempts, first_at, last_at, hash)"
		" VALUES(?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)", 10,
		entity, source_key ? source_key : "", record ? record : "", reason ? reason : "",
		target_error ? target_error : "", ln, field ? field : "", now, now,
		hash ? hash : "");
	if (rc < 0)
		return rc;
	if (id)
		*id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int
state_dlq_get(state *st, int64_t id, state_dead *out)
{
	char ids[32];
	snprintf(ids, sizeof ids, "%lld", (long long)id);
	sqlite3_stmt *s = NULL;
	int rc = run(st, &s, "SELECT id, entity, source_key, record, reason, target_error, line,"
		" field, attempts, first_at, last_at, dropped, hash FROM dlq WHERE id = ?", 1, ids);
	if (rc < 0)
		return rc;
	if (rc == SQLITE_DONE)
		return STATE_ENOTFOUND;
	memset(out, 0, sizeof *out);
	out->id = sqlite3_column_int64(s, 0);
	snprintf(out->entity, sizeof out->entity, "%s", (const char *)sqlite3_column_text(s, 1));
	snprintf(out->source_key, sizeof out->source_key, "%s",
		(const char *)sqlite3_column_text(s, 2));
	out->record = strdup((const char *)sqlite3_column_text(s, 3));
	snprintf(out->reason, sizeof out->reason, "%s", (const char *)sqlite3_column_text(s, 4));
	snprintf(out->target_error, sizeof out->target_error, "%s",
		(const char *)sqlite3_column_text(s, 5));
	out->line = sqlite3_column_int(s, 6);
	snprintf(out->field, sizeof out->field, "%s", (const char *)sqlite3_column_text(s, 7));
	out->attempts = sqlite3_column_int(s, 8);
	out->first_at = sqlite3_column_int64(s, 9);
	out->last_at = sqlite3_column_int64(s, 10);
	out->dropped = sqlite3_column_int(s, 11);
	snprintf(out->hash, sizeof out->hash, "%s", (const char *)sqlite3_column_text(s, 12));
	sqlite3_finalize(s);
	return out->record ? 0 : STATE_EUSAGE;
}

/* The count(*) of sql, with arg bound to its one ? (NULL: sql has none). */
static int64_t
count_rows(state *st, const char *sql, const char *arg)
{
	sqlite3_stmt *s = NULL;
	int rc = run(st, &s, sql, arg ? 1 : 0, arg);
	if (rc != SQLITE_ROW)
		return rc < 0 ? rc : STATE_EDB;
	int64_t n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return n;
}

int64_t
state_dlq_count(state *st, const char *entity)
{
	return entity
		? count_rows(st, "SELECT count(*) FROM dlq WHERE dropped = 0 AND entity = ?", entity)
		: count_rows(st, "SELECT count(*) FROM dlq WHERE dropped = 0", NULL);
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
	rc = run(st, NULL, "UPDATE dlq SET dropped = 1 WHERE id = ? AND dropped = 0", 1, ids);
	if (rc >= 0 && sqlite3_changes(st->db) != 1)
		rc = STATE_ENOTFOUND;
	if (rc >= 0)
		rc = run(st, NULL, "INSERT INTO dlq_audit(id, action, why, at) VALUES(?, 'drop', ?, ?)",
			3, ids, why, now_text(now, sizeof now));
	if (rc < 0) {
		state_rollback(st);
		return rc;
	}
	return state_commit(st);
}

int
state_token_save(state *st, const char *service, const char *access, const char *refresh,
	int64_t expires_at)
{
	char exp[32];
	snprintf(exp, sizeof exp, "%lld", (long long)expires_at);
	int rc = run(st, NULL, "INSERT INTO tokens(service, access, refresh, expires_at)"
		" VALUES(?, ?, ?, ?) ON CONFLICT(service) DO UPDATE SET access = excluded.access,"
		" refresh = excluded.refresh, expires_at = excluded.expires_at", 4, service, access,
		refresh ? refresh : "", exp);
	return rc < 0 ? rc : 0;
}

int
state_token_load(state *st, const char *service, char *access, size_t alen, char *refresh,
	size_t rlen, int64_t *expires_at)
{
	sqlite3_stmt *s = NULL;
	int rc = run(st, &s, "SELECT access, refresh, expires_at FROM tokens WHERE service = ?", 1,
		service);
	if (rc < 0)
		return rc;
	if (rc == SQLITE_DONE)
		return STATE_ENOTFOUND;
	snprintf(access, alen, "%s", (const char *)sqlite3_column_text(s, 0));
	snprintf(refresh, rlen, "%s", (const char *)sqlite3_column_text(s, 1));
	*expires_at = sqlite3_column_int64(s, 2);
	sqlite3_finalize(s);
	return 0;
}

/* ------------------------------------------------------------------ */
/* requests: re-sending a batch byte for byte                          */
/* ------------------------------------------------------------------ */

static int
bind_blob(sqlite3_stmt *s, int i, const char *p, size_t n)
{
	return p ? sqlite3_bind_blob64(s, i, p, n, SQLITE_TRANSIENT) : sqlite3_bind_null(s, i);
}

static int
bind_txt(sqlite3_stmt *s, int i, const char *p)
{
	return p ? sqlite3_bind_text(s, i, p, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(s, i);
}

int
state_journal_intent(state *st, const state_write *w)
{
	sqlite3_stmt *s;
	int rc = 0;

	if (!w->key || !w->entity || !w->source_id || !w->hash || !w->request_key)
		return STATE_EUSAGE;
	if (sqlite3_prepare_v2(st->db, "INSERT INTO journal(key, entity, source_id, hash, state,"
	    " began_at, request_key, seq, payload, update_id, match_value, record, stamp)"
	    " VALUES(?1, ?2, ?3, ?4, 'pending', ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
	    " ON CONFLICT(key) DO UPDATE SET state = 'pending', began_at = ?5, request_key = ?6,"
	    " seq = ?7, payload = ?8, update_id = ?9, match_value = ?10, record = ?11, stamp = ?12,"
	    " error = NULL WHERE journal.state != 'done'", -1, &s, NULL) != SQLITE_OK)
		return fail(st, "prepare");
	rc |= bind_txt(s, 1, w->key);
	rc |= bind_txt(s, 2, w->entity);
	rc |= bind_txt(s, 3, w->source_id);
	rc |= bind_txt(s, 4, w->hash);
	rc |= sqlite3_bind_int64(s, 5, (sqlite3_int64)time(NULL));
	rc |= bind_txt(s, 6, w->request_key);
	rc |= sqlite3_bind_int(s, 7, w->seq);
	rc |= bind_blob(s, 8, w->payload, w->payload_len);
	rc |= bind_txt(s, 9, w->update_id);
	rc |= bind_txt(s, 10, w->match_value);
	rc |= bind_blob(s, 11, w->record, w->record_len);
	rc |= bind_txt(s, 12, w->stamp);
	if (rc != SQLITE_OK) {
		sqlite3_finalize(s);
		return fail(st, "bind");
	}
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : fail(st, "step");
}

static const char *
col_text(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

int
state_journal_requests(state *st, state_write_fn fn, void *arg)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, "SELECT key, entity, source_id, hash, request_key, seq,"
	    " payload, update_id, match_value, record, stamp, state FROM journal"
	    " WHERE request_key IN (SELECT request_key FROM journal WHERE state = 'pending'"
	    " AND request_key IS NOT NULL) ORDER BY request_key, seq", -1, &s, NULL) != SQLITE_OK)
		return fail(st, "prepare");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		state_write w;

		memset(&w, 0, sizeof w);
		w.key = col_text(s, 0);
		w.entity = col_text(s, 1);
		w.source_id = col_text(s, 2);
		w.hash = col_text(s, 3);
		w.request_key = col_text(s, 4);
		w.seq = sqlite3_column_int(s, 5);
		w.payload = sqlite3_column_blob(s, 6);
		w.payload_len = (size_t)sqlite3_column_bytes(s, 6);
		w.update_id = col_text(s, 7);
		w.match_value = col_text(s, 8);
		w.record = sqlite3_column_blob(s, 9);
		w.record_len = (size_t)sqlite3_column_bytes(s, 9);
		w.stamp = col_text(s, 10);
		w.state = col_text(s, 11);
		if (fn(arg, &w) != 0)
			break;
	}
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : fail(st, "step");
}

int
state_journal_state(state *st, const char *key, char *buf, size_t n)
{
	return get_text(st, "SELECT state FROM journal WHERE key = ?", buf, n, 1, key, NULL);
}

int64_t
state_dlq_find(state *st, const char *entity, const char *source_key, const char *hash)
{
	sqlite3_stmt *s = NULL;
	int rc = run(st, &s, "SELECT id FROM dlq WHERE entity = ? AND source_key = ? AND hash = ?"
		" AND dropped = 0 ORDER BY id DESC LIMIT 1", 3, entity, source_key, hash);
	if (rc < 0)
		return rc;
	if (rc == SQLITE_DONE)
		return 0;
	int64_t id = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return id;
}

int
state_dlq_each(state *st, const char *entity, int64_t since, int limit, state_dead_fn fn,
	void *arg)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, "SELECT id, entity, source_key, reason, target_error, line,"
	    " field, attempts, first_at, last_at, hash FROM dlq WHERE dropped = 0 AND (?1 IS NULL"
	    " OR entity = ?1) AND first_at >= ?3 ORDER BY id DESC LIMIT ?2", -1, &s, NULL)
	    != SQLITE_OK)
		return fail(st, "prepare");
	if (bind_txt(s, 1, entity) != SQLITE_OK || sqlite3_bind_int(s, 2, limit) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 3, since) != SQLITE_OK) {
		sqlite3_finalize(s);
		return fail(st, "bind");
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		state_dead d;

		memset(&d, 0, sizeof d);
		d.id = sqlite3_column_int64(s, 0);
		snprintf(d.entity, sizeof d.entity, "%s", col_text(s, 1));
		snprintf(d.source_key, sizeof d.source_key, "%s", col_text(s, 2));
		snprintf(d.reason, sizeof d.reason, "%s", col_text(s, 3));
		snprintf(d.target_error, sizeof d.target_error, "%s", col_text(s, 4));
		d.line = sqlite3_column_int(s, 5);
		snprintf(d.field, sizeof d.field, "%s", col_text(s, 6));
		d.attempts = sqlite3_column_int(s, 7);
		d.first_at = sqlite3_column_int64(s, 8);
		d.last_at = sqlite3_column_int64(s, 9);
		snprintf(d.hash, sizeof d.hash, "%s", col_text(s, 10));
		if (fn(arg, &d) != 0)
			break;
	}
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : fail(st, "step");
}

int
state_counts(state *st, const char *entity, int64_t *xrefs, int64_t *pending, int64_t *dead)
{
	*xrefs = count_rows(st, "SELECT count(*) FROM xref WHERE entity = ?", entity);
	*pending = count_rows(st, "SELECT count(*) FROM journal WHERE entity = ? AND state = 'pending'",
		entity);
	*dead = count_rows(st, "SELECT count(*) FROM dlq WHERE entity = ? AND dropped = 0", entity);
	return *xrefs < 0 || *pending < 0 || *dead < 0 ? STATE_EDB : 0;
}

/* ------------------------------------------------------------------ */
/* the webhook inbox                                                   */
/* ------------------------------------------------------------------ */

int
state_inbox_add(state *st, const state_event *ev)
{
	sqlite3_stmt *s;
	int rc = 0;

	if (!ev->event_id || !*ev->event_id || !ev->source || !ev->type || !ev->collection ||
	    !ev->record_key)
		return STATE_EUSAGE;
	if (sqlite3_prepare_v2(st->db, "INSERT INTO inbox(event_id, source, type, collection,"
	    " record_key, body, received_at) VALUES(?, ?, ?, ?, ?, ?, ?)"
	    " ON CONFLICT(event_id) DO NOTHING", -1, &s, NULL) != SQLITE_OK)
		return fail(st, "prepare");
	rc |= bind_txt(s, 1, ev->event_id);
	rc |= bind_txt(s, 2, ev->source);
	rc |= bind_txt(s, 3, ev->type);
	rc |= bind_txt(s, 4, ev->collection);
	rc |= bind_txt(s, 5, ev->record_key);
	rc |= bind_blob(s, 6, ev->body, ev->body_len);
	rc |= sqlite3_bind_int64(s, 7, (sqlite3_int64)time(NULL));
	if (rc != SQLITE_OK) {
		sqlite3_finalize(s);
		return fail(st, "bind");
	}
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return fail(st, "step");
	return sqlite3_changes(st->db) == 1 ? 0 : 1;
}

int
state_inbox_each(state *st, int limit, state_event_fn fn, void *arg)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, "SELECT event_id, source, type, collection, record_key,"
	    " body, received_at FROM inbox WHERE state = 'new' ORDER BY received_at, rowid"
	    " LIMIT ?", -1, &s, NULL) != SQLITE_OK)
		return fail(st, "prepare");
	if (sqlite3_bind_int(s, 1, limit) != SQLITE_OK) {
		sqlite3_finalize(s);
		return fail(st, "bind");
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		state_event ev;

		memset(&ev, 0, sizeof ev);
		ev.event_id = col_text(s, 0);
		ev.source = col_text(s, 1);
		ev.type = col_text(s, 2);
		ev.collection = col_text(s, 3);
		ev.record_key = col_text(s, 4);
		ev.body = sqlite3_column_blob(s, 5);
		ev.body_len = (size_t)sqlite3_column_bytes(s, 5);
		ev.received_at = sqlite3_column_int64(s, 6);
		if (fn(arg, &ev) != 0)
			break;
	}
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : fail(st, "step");
}

int
state_inbox_done(state *st, const char *event_id)
{
	int rc = run(st, NULL, "UPDATE inbox SET state = 'done' WHERE event_id = ?", 1, event_id);
	return rc < 0 ? rc : 0;
}

int64_t
state_inbox_count(state *st)
{
	return count_rows(st, "SELECT count(*) FROM inbox WHERE state = 'new'", NULL);
}

int
state_dlq_retried(state *st, int64_t id, const char *why, int64_t again_id)
{
	char ids[32], again[32], now[32];
	int rc;

	snprintf(ids, sizeof ids, "%lld", (long long)id);
	snprintf(again, sizeof again, "%lld", (long long)again_id);
	rc = run(st, NULL, "UPDATE dlq SET dropped = 1 WHERE id = ? AND dropped = 0", 1, ids);
	if (rc >= 0 && sqlite3_changes(st->db) != 1)
		return STATE_ENOTFOUND;
	if (rc >= 0)
		rc = run(st, NULL, "INSERT INTO dlq_audit(id, action, why, at) VALUES(?, 'retry', ?, ?)",
			3, ids, why ? why : "", now_text(now, sizeof now));
	if (rc >= 0 && again_id > 0)
		rc = run(st, NULL, "UPDATE dlq SET attempts = (SELECT attempts FROM dlq WHERE id = ?1)"
			" + 1, first_at = (SELECT first_at FROM dlq WHERE id = ?1) WHERE id = ?2", 2, ids,
			again);
	return rc < 0 ? rc : 0;
}

int
state_journal_payload(state *st, const char *entity, const char *source_id, const char *hash,
	char **out, size_t *len)
{
	sqlite3_stmt *s = NULL;

	*out = NULL;
	*len = 0;
	/* by version, not by key: a key derived by an older version is found too */
	int rc = run(st, &s, "SELECT payload FROM journal WHERE entity = ? AND source_id = ?"
		" AND hash = ? AND payload IS NOT NULL ORDER BY rowid DESC LIMIT 1", 3, entity,
		source_id, hash);
	if (rc < 0)
		return rc;
	if (rc == SQLITE_DONE)
		return STATE_ENOTFOUND;
	size_t n = (size_t)sqlite3_column_bytes(s, 0);
	*out = malloc(n + 1);
	if (!*out) {
		sqlite3_finalize(s);
		return STATE_EUSAGE;
	}
	memcpy(*out, sqlite3_column_blob(s, 0), n);
	(*out)[n] = '\0';
	*len = n;
	sqlite3_finalize(s);
	return 0;
}
