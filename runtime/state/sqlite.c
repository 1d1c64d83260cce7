/*
 * sqlite.c - the SQLite backend of state.h: one file per deployment, WAL
 * mode, synchronous=FULL (money: a committed outcome survives a power cut,
 * not only a crash of the process), a busy timeout for the daemon and an
 * operator's `dlq` command sharing the file, and a versioned schema.  This
 * file opens the file in each of state.h's ways, makes it, checks it and
 * migrates it; the statements are db.c's, the file as a file own.c's.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state_int.h"

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
	"  why TEXT NOT NULL DEFAULT '', claimed_by TEXT NOT NULL DEFAULT '',"
	"  claim_expires INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX IF NOT EXISTS inbox_new ON inbox(state, received_at);"
	"CREATE TABLE IF NOT EXISTS held(entity TEXT NOT NULL, source_key TEXT NOT NULL,"
	"  hash TEXT NOT NULL, ref_entity TEXT NOT NULL, ref_key TEXT NOT NULL,"
	"  why TEXT NOT NULL, first_at INTEGER NOT NULL, last_at INTEGER NOT NULL,"
	"  PRIMARY KEY(entity, source_key));"
	"CREATE TABLE IF NOT EXISTS tokens(service TEXT PRIMARY KEY, access TEXT NOT NULL,"
	"  refresh TEXT NOT NULL, expires_at INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS lease(unit TEXT PRIMARY KEY, holder TEXT NOT NULL,"
	"  expires_at INTEGER NOT NULL, token INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS budget(target TEXT NOT NULL, slot_at INTEGER NOT NULL,"
	"  calls INTEGER NOT NULL, PRIMARY KEY(target, slot_at));";

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

/* Version 5 -> 6: several workers (lease.c): an inbox event claimed by
 * one (claimed_by, until claim_expires); the leases and the rate-limit
 * budgets are new tables the schema creates.  One process on a file
 * claims what it does all the same: no row of the older tables changes. */
static const char *const migrate_5_6[][3] = {
	{ "inbox", "claimed_by", "ALTER TABLE inbox ADD COLUMN claimed_by TEXT NOT NULL DEFAULT ''" },
	{ "inbox", "claim_expires",
	  "ALTER TABLE inbox ADD COLUMN claim_expires INTEGER NOT NULL DEFAULT 0" },
};

/* Version 2 -> 3: the held records, a new table the schema creates; no
 * row of the older tables changes.  A file of version 2 has no held rows:
 * the records it holds are named by the next run that holds them. */

/* Each {table, column, ALTER} whose table lacks the column (a table the
 * schema has just created has it already): non-zero on failure. */
static int
add_columns(state *st, const char *const (*cols)[3], size_t n)
{
	for (size_t i = 0; i < n; i++) {
		db_stmt *s = NULL;
		int rc = stmt_step(st, &s, "SELECT count(*) FROM pragma_table_info(?) WHERE name = ?",
			2, cols[i][0], cols[i][1]);
		if (rc != DB_ROW)
			return 1;
		int have = db_col_int64(s, 0);
		stmt_done(st, s);
		if (!have && db_exec(st, cols[i][2]))
			return 1;
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
	if (db_exec(st, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;")
	    || db_exec(st, "BEGIN IMMEDIATE"))
		return STATE_EDB;
	if (db_exec(st, schema)) {
		db_exec(st, "ROLLBACK");
		return STATE_EDB;
	}
	db_stmt *s = NULL;
	int rc = stmt_step(st, &s, "SELECT value FROM meta WHERE key = 'schema_version'", 0);
	if (rc == DB_ROW) {
		long v = strtol(st_col(s, 0), NULL, 10);
		stmt_done(st, s);
		if (v > STATE_SCHEMA_VERSION) {
			snprintf(st->err, sizeof st->err, "the state file has schema version %ld; this "
				"program knows %d: use a newer one", v, STATE_SCHEMA_VERSION);
			db_exec(st, "ROLLBACK");
			return STATE_EVERSION;
		}
		if ((v < 2 && db_exec(st, migrate_1_2)) ||
		    (v < 5 && add_columns(st, migrate_3_4, sizeof migrate_3_4 / sizeof *migrate_3_4)) ||
		    (v < 6 && add_columns(st, migrate_5_6, sizeof migrate_5_6 / sizeof *migrate_5_6)) ||
		    (v < STATE_SCHEMA_VERSION && stmt_step(st, NULL, "UPDATE meta SET value = ? WHERE key ="
		    " 'schema_version'", 1, STATE_SCHEMA_VERSION_TEXT) < 0)) {
			db_exec(st, "ROLLBACK");
			return STATE_EDB;
		}
	} else if (rc != DB_DONE || !fresh || stmt_step(st, NULL, "INSERT INTO meta(key, value) "
	    "VALUES('schema_version', ?)", 1, STATE_SCHEMA_VERSION_TEXT) < 0) {
		if (rc == DB_DONE && !fresh)
			snprintf(st->err, sizeof st->err, "the state file has no schema version");
		db_exec(st, "ROLLBACK");
		return rc == DB_DONE && !fresh ? STATE_EFILE : STATE_EDB;
	}
	if (db_exec(st, "CREATE INDEX IF NOT EXISTS journal_request ON journal(request_key, seq)") ||
	    db_exec(st, "CREATE INDEX IF NOT EXISTS inbox_claim ON inbox(claimed_by)") ||
	    db_exec(st, "COMMIT")) {
		db_exec(st, "ROLLBACK");
		return STATE_EDB;
	}
	return 0;
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
	db_close(st);
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
		db_close(st);
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
	if (rc != DB_DONE) {
		snprintf(st->err, sizeof st->err, "reading %.400s into memory: %s", path,
			sqlite3_errmsg(mem));
		sqlite3_close(mem);
		return STATE_EDB;
	}
	db_close(st);
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
		db_close(st);
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

	if (kind == OWN_NONE && how == STATE_OPEN_COPY)
		return lite_memory(st);
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
	    db_exec(st, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"))
		rc = STATE_EDB;
	return rc == 1 ? STATE_EFILE : rc;
}

int
lite_open(state *st, const char *path, int how)
{
	if (how == STATE_OPEN_OWN || how == STATE_OPEN_INIT || how == STATE_OPEN_WORKER)
		return open_own(st, path, how == STATE_OPEN_INIT);
	return open_other(st, path, how);
}

int
lite_memory(state *st)
{
	if (sqlite3_open_v2(":memory:", &st->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		return st_fail(st, "memory");
	return setup(st, 1);
}
