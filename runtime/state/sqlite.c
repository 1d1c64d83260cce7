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
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* The pragmas, the schema, the version and its migrations, in the opening
 * transaction.  fresh: a file made just now (or memory): the schema and
 * its version go in; otherwise the file holds mapwright's meta table
 * (check_file has seen it). */
static int
setup(state *st, int fresh)
{
	if (exec_sql(st, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;")
	    || exec_sql(st, "BEGIN IMMEDIATE"))
		return STATE_EDB;
	if (exec_sql(st, schema)) {
		exec_sql(st, "ROLLBACK");
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
			return STATE_EVERSION;
		}
		if ((v < 2 && exec_sql(st, migrate_1_2)) ||
		    (v < 5 && add_columns(st, migrate_3_4, sizeof migrate_3_4 / sizeof *migrate_3_4)) ||
		    (v < STATE_SCHEMA_VERSION && stmt_step(st, NULL, "UPDATE meta SET value = ? WHERE key ="
		    " 'schema_version'", 1, STATE_SCHEMA_VERSION_TEXT) < 0)) {
			exec_sql(st, "ROLLBACK");
			return STATE_EDB;
		}
	} else if (rc != SQLITE_DONE || !fresh || stmt_step(st, NULL, "INSERT INTO meta(key, value) "
	    "VALUES('schema_version', ?)", 1, STATE_SCHEMA_VERSION_TEXT) < 0) {
		if (rc == SQLITE_DONE && !fresh)
			snprintf(st->err, sizeof st->err, "the state file has no schema version");
		exec_sql(st, "ROLLBACK");
		return rc == SQLITE_DONE && !fresh ? STATE_EFILE : STATE_EDB;
	}
	if (exec_sql(st, "CREATE INDEX IF NOT EXISTS journal_request ON journal(request_key, seq)") ||
	    exec_sql(st, "COMMIT")) {
		exec_sql(st, "ROLLBACK");
		return STATE_EDB;
	}
	return 0;
}

/* The handle's database closed, its statements first (st stays usable). */
static void
drop_db(state *st)
{
	for (int i = 0; i < st->ncache; i++)
		sqlite3_finalize(st->cache[i].s);
	st->ncache = 0;
	sqlite3_close(st->db);
	st->db = NULL;
}

/* An existing SQLite file, before anything is written to it: its pages
 * sound (PRAGMA quick_check, when check), mapwright's meta table with a
 * schema version in it, and that version (older: refused when !migrate).
 * 0; STATE_EFILE, STATE_EVERSION or STATE_EDB with the reason; 1 for a
 * database without a single table (INIT may make it a state file). */
static int
check_file(state *st, const char *path, int check, int migrate)
{
	char v[64];
	int rc;

	if (check) {
		/* every page read, every record well formed; indexes are not
		 * compared with their tables (integrity_check's extra, several
		 * times the time) */
		rc = stmt_text(st, "PRAGMA quick_check(1)", v, sizeof v, 0, NULL, NULL);
		if (rc != 0 || strcmp(v, "ok")) {
			snprintf(st->err, sizeof st->err, "%s is damaged (PRAGMA quick_check: %s): "
				"restore it from a backup", path, rc ? sqlite3_errmsg(st->db) : v);
			return STATE_EFILE;
		}
	}
	int64_t tables = stmt_count(st, "SELECT count(*) FROM sqlite_master WHERE type = 'table'",
		NULL);
	if (tables < 0) {
		snprintf(st->err, sizeof st->err, "%s cannot be read: %s", path,
			sqlite3_errmsg(st->db));
		return STATE_EFILE;
	}
	if (tables == 0)
		return 1;
	if (stmt_count(st, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = "
	    "'meta'", NULL) != 1 || stmt_text(st, "SELECT value FROM meta WHERE key = "
	    "'schema_version'", v, sizeof v, 0, NULL, NULL) != 0) {
		snprintf(st->err, sizeof st->err, "%s is not a state file: a SQLite database without "
			"mapwright's meta table (another program's); it is left as it is", path);
		return STATE_EFILE;
	}
	long ver = strtol(v, NULL, 10);
	if (ver > STATE_SCHEMA_VERSION) {
		snprintf(st->err, sizeof st->err, "the state file has schema version %ld; this "
			"program knows %d: use a newer one", ver, STATE_SCHEMA_VERSION);
		return STATE_EVERSION;
	}
	if (ver < STATE_SCHEMA_VERSION && !migrate) {
		snprintf(st->err, sizeof st->err, "the state file has schema version %ld, older than "
			"this program's %d: `run --once` or `serve` migrates it; run one first", ver,
			STATE_SCHEMA_VERSION);
		return STATE_EVERSION;
	}
	return 0;
}

/* A new state file at path, complete or not there at all: made as
 * PATH.new (0600), its schema committed and the database closed (the
 * -wal checkpointed away), then linked in where nothing is, or renamed
 * over a file of 0 bytes (replace: --init).  The caller holds the lock. */
static int
create(state *st, const char *path, int replace)
{
	static const char *const sfx[] = { "", "-wal", "-shm", "-journal" };
	char tmp[4096], p[4200];
	int rc;

	if ((size_t)snprintf(tmp, sizeof tmp, "%s.new", path) >= sizeof tmp)
		return STATE_EUSAGE;
	for (size_t i = 0; i < sizeof sfx / sizeof *sfx; i++) { /* an interrupted one's */
		snprintf(p, sizeof p, "%s%s", tmp, sfx[i]);
		remove(p);
	}
	if ((rc = own_create(tmp, st->err, sizeof st->err)) != 0)
		return rc;
	if (sqlite3_open_v2(tmp, &st->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		return st_fail(st, "a new state file");
	rc = setup(st, 1);
	drop_db(st);
	snprintf(p, sizeof p, "%s-wal", tmp);
	if (rc == 0 && access(p, F_OK) == 0) {
		snprintf(st->err, sizeof st->err, "%.400s: its -wal was not checkpointed", tmp);
		rc = STATE_EDB;
	}
	if (rc == 0 && replace) { /* the empty file's own -wal and -shm (empty too) */
		snprintf(p, sizeof p, "%s-wal", path);
		remove(p);
		snprintf(p, sizeof p, "%s-shm", path);
		remove(p);
	}
	if (rc == 0)
		rc = own_publish(tmp, path, replace, st->err, sizeof st->err);
	if (rc != 0)
		remove(tmp);
	return rc;
}

static const char *
refuse_empty(state *st, const char *path)
{
	snprintf(st->err, sizeof st->err, "%s is empty: not a state file.  A state file lost or "
		"truncated is never taken for a new one (every record would be written again): "
		"restore it from a backup, or, for a new deployment, give --init to make it one",
		path);
	return st->err;
}

/* The database at name opened (a path, or a URI with SQLITE_OPEN_URI in
 * flags; never created), and its first 16 bytes SQLite's header, read
 * through SQLite's own descriptor of the file: one of ours, closed, would
 * drop the fcntl locks SQLite holds on it for the process's other handle.
 * Nothing is written: SQLite reads no page before the first statement. */
static int
open_db(state *st, const char *name, int flags, const char *path)
{
	static const char magic[16] = "SQLite format 3";
	sqlite3_file *f = NULL;
	sqlite3_int64 size = 0;
	char head[16];

	if (sqlite3_open_v2(name, &st->db, flags, NULL) != SQLITE_OK)
		return st_fail(st, "opening the state file");
	sqlite3_busy_timeout(st->db, 5000);
	if (sqlite3_file_control(st->db, "main", SQLITE_FCNTL_FILE_POINTER, &f) != SQLITE_OK || !f ||
	    !f->pMethods || f->pMethods->xFileSize(f, &size) != SQLITE_OK)
		return st_fail(st, "reading the state file");
	if (size < 100 || f->pMethods->xRead(f, head, sizeof head, 0) != SQLITE_OK ||
	    memcmp(head, magic, sizeof magic)) {
		snprintf(st->err, sizeof st->err, "%s is not a state file: %lld bytes that are not a "
			"SQLite database (another program's file, or a damaged one); it is left as it "
			"is", path, (long long)size);
		return STATE_EFILE;
	}
	return 0;
}

/* OWN and INIT: the lock, then the file. */
static int
open_own(state *st, const char *path, int init)
{
	int rc = own_lock_take(path, &st->lock, st->err, sizeof st->err);

	if (rc != 0)
		return rc;
	int kind = own_kind(path, st->err, sizeof st->err);
	if (kind < 0 || kind == OWN_OTHER)
		return kind < 0 ? kind : STATE_EFILE;
	if (kind == OWN_EMPTY && !init) {
		refuse_empty(st, path);
		return STATE_EFILE;
	}
	if (kind != OWN_FILE && (rc = create(st, path, kind == OWN_EMPTY)) != 0)
		return rc;
	own_modes(path, st->note, sizeof st->note);
	if ((rc = open_db(st, path, SQLITE_OPEN_READWRITE, path)) != 0)
		return rc;
	rc = check_file(st, path, 1, 1);
	if (rc == 1 && init) { /* a SQLite database with no table: --init makes it ours */
		drop_db(st);
		if ((rc = create(st, path, 1)) != 0 ||
		    (rc = open_db(st, path, SQLITE_OPEN_READWRITE, path)) != 0)
			return rc;
		rc = check_file(st, path, 0, 1);
	}
	if (rc == 1)
		refuse_empty(st, path);
	return rc ? (rc == 1 ? STATE_EFILE : rc) : setup(st, 0);
}

/* The database at name (a path, or a URI with SQLITE_OPEN_URI in flags),
 * read only, checked (PRAGMA quick_check) and read into memory in one read
 * transaction, whatever a daemon writes meanwhile: st->db is the copy. */
static int
read_into_memory(state *st, const char *name, int flags, const char *path)
{
	sqlite3 *mem = NULL;
	int rc = open_db(st, name, SQLITE_OPEN_READONLY | flags, path);

	if (rc != 0)
		return rc;
	rc = check_file(st, path, 1, 1);
	if (rc == 1)
		refuse_empty(st, path);
	if (rc)
		return rc == 1 ? STATE_EFILE : rc;
	if (sqlite3_open_v2(":memory:", &mem, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		sqlite3_close(mem);
		return st_fail(st, "memory");
	}
	sqlite3_backup *b = sqlite3_backup_init(mem, "main", st->db, "main");
	rc = b ? sqlite3_backup_step(b, -1) : SQLITE_ERROR;
	if (b)
		sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		snprintf(st->err, sizeof st->err, "reading %.400s into memory: %s", path,
			sqlite3_errmsg(mem));
		sqlite3_close(mem);
		return STATE_EDB;
	}
	drop_db(st);
	st->db = mem;
	return 0;
}

static int
same_file(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_size == b->st_size &&
		a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
		a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* A dry run's copy of the file, made without writing a byte to disk.  A
 * file in use has its -wal and -shm: a reader joins them.  One without a
 * -wal is open nowhere and wholly in the file: read as immutable (no -wal
 * or -shm made, which a reader would leave behind), and taken only if it
 * did not change meanwhile (a daemon starting): else read again. */
static int
copy_file(state *st, const char *path)
{
	char wal[4200], uri[3 * 4096 + 32];
	size_t u = (size_t)snprintf(uri, sizeof uri, "file:");
	struct stat before, after;

	snprintf(wal, sizeof wal, "%s-wal", path);
	for (const unsigned char *c = (const unsigned char *)path; *c && u + 4 < sizeof uri; c++)
		u += (size_t)snprintf(uri + u, sizeof uri - u, isalnum(*c) || strchr("/._-", *c) ?
			"%c" : "%%%02X", *c);
	snprintf(uri + u, sizeof uri - u, "?immutable=1");
	for (int attempt = 0; attempt < 3; attempt++) {
		if (access(wal, F_OK) == 0 || stat(path, &before) != 0)
			break;
		int rc = read_into_memory(st, uri, SQLITE_OPEN_URI, path);
		if (rc == 0 && access(wal, F_OK) != 0 && stat(path, &after) == 0 &&
		    same_file(&before, &after))
			return 0;
		drop_db(st);
		if (rc != 0 && rc != STATE_EDB)
			return rc;
	}
	return read_into_memory(st, path, 0, path);
}

/* READ, SHARED and COPY: an existing state file, no lock; COPY reads it
 * into memory (nothing there: an empty store in memory). */
static int
open_other(state *st, const char *path, int how)
{
	int kind = own_kind(path, st->err, sizeof st->err);

	if (kind == OWN_NONE && how == STATE_OPEN_COPY) {
		if (sqlite3_open_v2(":memory:", &st->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
			return st_fail(st, "memory");
		return setup(st, 1);
	}
	if (kind == OWN_NONE)
		snprintf(st->err, sizeof st->err, "%s: no such state file (a run makes it)", path);
	else if (kind == OWN_EMPTY)
		refuse_empty(st, path);
	if (kind != OWN_FILE)
		return kind < 0 ? kind : STATE_EFILE;
	if (how == STATE_OPEN_COPY) {
		int rc = copy_file(st, path);
		return rc ? rc : setup(st, 0); /* an older file is migrated, in memory */
	}
	int rc = open_db(st, path, how == STATE_OPEN_SHARED ? SQLITE_OPEN_READWRITE :
		SQLITE_OPEN_READONLY, path);

	if (rc != 0)
		return rc;
	rc = check_file(st, path, 0, 0);
	if (rc == 1)
		refuse_empty(st, path);
	if (rc == 0 && how == STATE_OPEN_SHARED &&
	    exec_sql(st, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"))
		rc = STATE_EDB;
	return rc == 1 ? STATE_EFILE : rc;
}

int
state_open_as(const char *path, int how, state **out)
{
	state *st = calloc(1, sizeof *st);

	*out = st; /* on failure too: the caller reads state_errmsg, then closes */
	if (!st)
		return STATE_EUSAGE;
	st->lock = -1;
	if (!path || !*path) {
		snprintf(st->err, sizeof st->err, "no state file named");
		return STATE_EUSAGE;
	}
	if (how == STATE_OPEN_OWN || how == STATE_OPEN_INIT)
		return open_own(st, path, how == STATE_OPEN_INIT);
	return open_other(st, path, how);
}

int
state_open(const char *path, state **out)
{
	return state_open_as(path, STATE_OPEN_OWN, out);
}

const char *
state_note(const state *st)
{
	return st ? st->note : "";
}

void
state_close(state *st)
{
	if (!st)
		return;
	drop_db(st);
	own_lock_drop(st->lock);
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
