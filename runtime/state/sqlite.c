/*
 * sqlite.c - state.h over SQLite: one file per deployment, WAL mode,
 * synchronous=FULL (money: a committed outcome survives a power cut, not
 * only a crash of the process), a busy timeout for the daemon and an
 * operator's `dlq` command sharing the file, and a versioned schema.  This
 * file holds the handle, the schema and its migrations, transactions and
 * the statement helpers the table files share (sqlite_int.h).  Every
 * statement is prepared with bound parameters, once per handle (the cache
 * in sqlite_int.h), and reset after use; every return code is checked.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sqlite_int.h"

static const char *const schema =
	"CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS cursors(entity TEXT PRIMARY KEY, value TEXT NOT NULL,"
	"  updated_at INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS xref(entity TEXT NOT NULL, source_id TEXT NOT NULL,"
	"  target_id TEXT NOT NULL, hash TEXT NOT NULL, updated_at INTEGER NOT NULL,"
	"  doc TEXT NOT NULL DEFAULT '', PRIMARY KEY(entity, source_id));"
	"CREATE INDEX IF NOT EXISTS xref_target ON xref(entity, target_id);"
	"CREATE TABLE IF NOT EXISTS journal(key TEXT PRIMARY KEY, entity TEXT NOT NULL,"
	"  source_id TEXT NOT NULL, hash TEXT NOT NULL, state TEXT NOT NULL,"
	"  target_id TEXT, error TEXT, began_at INTEGER NOT NULL, finished_at INTEGER,"
	"  request_key TEXT, seq INTEGER, payload BLOB, update_id TEXT, match_value TEXT,"
	"  record BLOB, stamp TEXT, op TEXT);"
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
	"  body BLOB, received_at INTEGER NOT NULL, state TEXT NOT NULL DEFAULT 'new',"
	"  attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL DEFAULT 0,"
	"  why TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX IF NOT EXISTS inbox_new ON inbox(state, received_at);"
	"CREATE TABLE IF NOT EXISTS held(entity TEXT NOT NULL, source_key TEXT NOT NULL,"
	"  hash TEXT NOT NULL, ref_entity TEXT NOT NULL, ref_key TEXT NOT NULL,"
	"  why TEXT NOT NULL, first_at INTEGER NOT NULL, last_at INTEGER NOT NULL,"
	"  PRIMARY KEY(entity, source_key));"
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

/* Version 3 -> 4: the lifecycle.  A cross-reference keeps the hash of the
 * document last written (or "voided"), so a changed record whose document
 * is the same needs no write; a journal row says what its write did ("void",
 * or NULL: create or update).  Older rows: no document hash (the next change
 * is written once, as before), every write a create or update. */
static const char *const migrate_3_4[][3] = {
	{ "xref", "doc", "ALTER TABLE xref ADD COLUMN doc TEXT NOT NULL DEFAULT ''" },
	{ "journal", "op", "ALTER TABLE journal ADD COLUMN op TEXT" },
	/* 4 -> 5: an inbox event put off ('held') waits until next_at (ms) */
	{ "inbox", "attempts", "ALTER TABLE inbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0" },
	{ "inbox", "next_at", "ALTER TABLE inbox ADD COLUMN next_at INTEGER NOT NULL DEFAULT 0" },
	{ "inbox", "why", "ALTER TABLE inbox ADD COLUMN why TEXT NOT NULL DEFAULT ''" },
};

/* Version 2 -> 3: the held records, a new table the schema creates; no
 * row of the older tables changes.  A file of version 2 has no held rows:
 * the records it holds are named by the next run that holds them. */

static int exec_sql(state *st, const char *sql);

/* Each {table, column, ALTER} whose table lacks the column (a table the
 * schema has just created has it already): non-zero on failure. */
static int
add_columns(state *st, const char *const (*cols)[3], size_t n)
{
	for (size_t i = 0; i < n; i++) {
		sqlite3_stmt *s = NULL;
		int rc = stmt_step(st, &s, "SELECT count(*) FROM pragma_table_info(?) WHERE name = ?",
			2, cols[i][0], cols[i][1]);
		if (rc != SQLITE_ROW)
			return 1;
		int have = sqlite3_column_int(s, 0);
		stmt_done(st, s);
		if (!have && exec_sql(st, cols[i][2]))
			return 1;
	}
	return 0;
}

int
st_fail(state *st, const char *what)
{
	snprintf(st->err, sizeof st->err, "%s: %s", what, st->db ? sqlite3_errmsg(st->db) : "no db");
	return STATE_EDB;
}

const char *
state_errmsg(const state *st)
{
	return st ? st->err : "no state";
}

/* A statement outside the cache: finalized when handed back. */
static sqlite3_stmt *
stmt_fresh(state *st, const char *sql)
{
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		st_fail(st, "prepare");
		sqlite3_finalize(s);
		return NULL;
	}
	return s;
}

sqlite3_stmt *
stmt_prepare(state *st, const char *sql)
{
	for (int i = 0; i < st->ncache; i++) {
		stmt_slot *c = &st->cache[i];

		if (c->sql != sql)
			continue;
		if (c->busy) /* a listing up the stack holds it */
			return stmt_fresh(st, sql);
		c->busy = 1;
		return c->s;
	}
	if (st->ncache == STMT_CACHE)
		return stmt_fresh(st, sql);
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK) {
		st_fail(st, "prepare");
		sqlite3_finalize(s);
		return NULL;
	}
	st->cache[st->ncache++] = (stmt_slot){ sql, s, 1 };
	return s;
}

void
stmt_done(state *st, sqlite3_stmt *s)
{
	if (!s)
		return;
	for (int i = 0; i < st->ncache; i++) {
		stmt_slot *c = &st->cache[i];

		if (c->s != s)
			continue;
		/* sqlite3_reset() returns the code of the last step again, which
		 * the caller has checked already; clearing bindings cannot fail */
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
		c->busy = 0;
		return;
	}
	sqlite3_finalize(s);
}

int
stmt_end(state *st, sqlite3_stmt *s, int rc)
{
	if (rc == STATE_EDB)
		st_fail(st, "bind");
	else if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		rc = 0;
	else
		rc = st_fail(st, "step");
	stmt_done(st, s);
	return rc;
}

int
stmt_step(state *st, sqlite3_stmt **out, const char *sql, int nargs, ...)
{
	sqlite3_stmt *s = stmt_prepare(st, sql);
	if (!s)
		return STATE_EDB;
	va_list ap;
	va_start(ap, nargs);
	for (int i = 1; i <= nargs; i++) {
		if (st_bind_text(s, i, va_arg(ap, const char *)) != SQLITE_OK) {
			va_end(ap);
			return stmt_end(st, s, STATE_EDB);
		}
	}
	va_end(ap);
	int rc = sqlite3_step(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return stmt_end(st, s, rc);
	if (out && rc == SQLITE_ROW)
		*out = s;
	else
		stmt_done(st, s);
	return rc;
}

int
stmt_text(state *st, const char *sql, char *buf, size_t n, int nargs, const char *a,
	const char *b)
{
	sqlite3_stmt *s = NULL;
	int rc = stmt_step(st, &s, sql, nargs, a, b);
	if (rc < 0)
		return rc;
	if (rc == SQLITE_DONE)
		return STATE_ENOTFOUND;
	const unsigned char *v = sqlite3_column_text(s, 0);
	snprintf(buf, n, "%s", v ? (const char *)v : "");
	stmt_done(st, s);
	return 0;
}

int64_t
stmt_count(state *st, const char *sql, const char *arg)
{
	sqlite3_stmt *s = NULL;
	int rc = stmt_step(st, &s, sql, arg ? 1 : 0, arg);
	if (rc != SQLITE_ROW)
		return rc < 0 ? rc : STATE_EDB;
	int64_t n = sqlite3_column_int64(s, 0);
	stmt_done(st, s);
	return n;
}

int
st_bind_text(sqlite3_stmt *s, int i, const char *p)
{
	return p ? sqlite3_bind_text(s, i, p, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(s, i);
}

int
st_bind_blob(sqlite3_stmt *s, int i, const char *p, size_t n)
{
	return p ? sqlite3_bind_blob64(s, i, p, n, SQLITE_TRANSIENT) : sqlite3_bind_null(s, i);
}

const char *
st_col(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

char *
st_now(char *buf, size_t n)
{
	snprintf(buf, n, "%lld", (long long)time(NULL));
	return buf;
}

/* sql may hold several statements (the schema, a migration); the error
 * text is SQLite's. */
static int
exec_sql(state *st, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(st->err, sizeof st->err, "%s", msg ? msg : "exec failed");
		sqlite3_free(msg);
		return STATE_EDB;
	}
	return 0;
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
		st_fail(st, path);
		*out = st;
		return STATE_EDB;
	}
	sqlite3_busy_timeout(st->db, 5000);
	if (exec_sql(st, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;")
	    || exec_sql(st, "BEGIN IMMEDIATE") || exec_sql(st, schema)) {
		*out = st; /* the caller reads state_errmsg, then closes */
		return STATE_EDB;
	}
	sqlite3_stmt *s = NULL;
	int rc = stmt_step(st, &s, "SELECT value FROM meta WHERE key = 'schema_version'", 0);
	if (rc == SQLITE_ROW) {
		long v = strtol((const char *)sqlite3_column_text(s, 0), NULL, 10);
		stmt_done(st, s);
		if (v > STATE_SCHEMA_VERSION) {
			snprintf(st->err, sizeof st->err, "the state file has schema version %ld; this "
				"program knows %d: use a newer one", v, STATE_SCHEMA_VERSION);
			exec_sql(st, "ROLLBACK");
			*out = st;
			return STATE_EVERSION;
		}
		if (v < 2 && exec_sql(st, migrate_1_2)) {
			exec_sql(st, "ROLLBACK");
			*out = st;
			return STATE_EDB;
		}
		if (v < 5 && add_columns(st, migrate_3_4, sizeof migrate_3_4 / sizeof *migrate_3_4)) {
			exec_sql(st, "ROLLBACK");
			*out = st;
			return STATE_EDB;
		}
		if (v < STATE_SCHEMA_VERSION && stmt_step(st, NULL, "UPDATE meta SET value = ? WHERE key ="
		    " 'schema_version'", 1, STATE_SCHEMA_VERSION_TEXT) < 0) {
			exec_sql(st, "ROLLBACK");
			*out = st;
			return STATE_EDB;
		}
	} else if (rc == SQLITE_DONE) {
		char v[16];
		snprintf(v, sizeof v, "%d", STATE_SCHEMA_VERSION);
		if (stmt_step(st, NULL, "INSERT INTO meta(key, value) VALUES('schema_version', ?)",
		    1, v) < 0) {
			exec_sql(st, "ROLLBACK");
			*out = st;
			return STATE_EDB;
		}
	} else {
		exec_sql(st, "ROLLBACK");
		*out = st;
		return STATE_EDB;
	}
	if (exec_sql(st, "CREATE INDEX IF NOT EXISTS journal_request ON journal(request_key, seq)") ||
	    exec_sql(st, "COMMIT")) {
		exec_sql(st, "ROLLBACK");
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
	for (int i = 0; i < st->ncache; i++)
		sqlite3_finalize(st->cache[i].s);
	st->ncache = 0;
	sqlite3_close(st->db);
	free(st);
}

/* A transaction's statement, from the cache like the others. */
static int
tx(state *st, const char *sql)
{
	int rc = stmt_step(st, NULL, sql, 0);
	return rc < 0 ? rc : 0;
}

int state_begin(state *st) { return tx(st, "BEGIN IMMEDIATE"); }
int state_commit(state *st) { return tx(st, "COMMIT"); }
int state_rollback(state *st) { return tx(st, "ROLLBACK"); }
