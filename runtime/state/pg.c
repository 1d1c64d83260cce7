/*
 * pg.c - the PostgreSQL backend of state.h: a pair's state is a schema of
 * a database (postgresql://USER@HOST/DB?schema=NAME; "mapwright" without
 * one), so one database holds many pairs.  The tables are SQLite's, typed
 * for PostgreSQL (BIGINT, BYTEA, text compared byte by byte like SQLite's:
 * COLLATE "C"); the journal and the inbox have a rowid of their own for
 * the order rows were written in.  The statements are db.c's, the same
 * texts as SQLite's.
 *
 * The ways of opening (state.h), on PostgreSQL:
 *   OWN, INIT  a session-level advisory lock on a key from the schema's
 *              name, held by a connection of its own for as long as the
 *              process has a handle on the schema (one per process, like
 *              own.c's file lock; a child after fork holds none of it).
 *              A second process gets STATE_ELOCKED naming the holder's
 *              pid and host (its lock connection's application_name, read
 *              from pg_locks and pg_stat_activity).  The lock goes when
 *              the process ends or its connection drops.  The schema is
 *              made where there is none, or where it has no table; one
 *              with tables and no meta is another program's: STATE_EFILE.
 *   WORKER     OWN with the lock shared: the workers of a pair hold it
 *              together (pg_try_advisory_lock_shared), their work split
 *              by leases (lease.c); a process that would hold it alone
 *              (OWN) is refused while a worker runs, and a worker while
 *              such a process does.
 *   READ       no lock, every transaction read only, nothing created or
 *              migrated: an older schema is refused (STATE_EVERSION).
 *   SHARED     the same, writing.
 *   COPY       the schema read in one snapshot (REPEATABLE READ) into a
 *              SQLite database in memory, which the handle then is: a dry
 *              run writes nowhere and holds no row lock a daemon could
 *              wait on.  No schema: an empty store in memory.
 * The schema version is meta's schema_version, as in a state file; the
 * first PostgreSQL schema was version 5: each later change adds its step
 * to pg_migrate.  A password in the URL is refused: the URL is printed in
 * messages (the password belongs in ~/.pgpass, PGPASSFILE or PGPASSWORD).
 *
 * The queries of this file (the schema, the lock) run on their own
 * connection or before the handle's first statement, through PQexecParams
 * straight: none goes through db.c's statement cache.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "state_int.h"

#define T "TEXT COLLATE \"C\""

/* Version 6's tables (a new schema's, and the step from 5) */
#define LEASE_TABLES \
	"CREATE TABLE lease(unit " T " PRIMARY KEY, holder " T " NOT NULL," \
	"  expires_at BIGINT NOT NULL, token BIGINT NOT NULL);" \
	"CREATE TABLE budget(target " T " NOT NULL, slot_at BIGINT NOT NULL," \
	"  calls BIGINT NOT NULL, PRIMARY KEY(target, slot_at));" \
	"CREATE INDEX inbox_claim ON inbox(claimed_by);"

static const char *const pg_schema =
	"CREATE TABLE meta(key " T " PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE cursors(entity " T " PRIMARY KEY, value " T " NOT NULL,"
	"  updated_at BIGINT NOT NULL);"
	"CREATE TABLE xref(entity " T " NOT NULL, source_id " T " NOT NULL,"
	"  target_id " T " NOT NULL, hash " T " NOT NULL, updated_at BIGINT NOT NULL,"
	"  doc " T " NOT NULL DEFAULT '', PRIMARY KEY(entity, source_id));"
	"CREATE INDEX xref_target ON xref(entity, target_id);"
	"CREATE TABLE journal(key " T " PRIMARY KEY, entity " T " NOT NULL,"
	"  source_id " T " NOT NULL, hash " T " NOT NULL, state " T " NOT NULL,"
	"  target_id " T ", error TEXT, began_at BIGINT NOT NULL, finished_at BIGINT,"
	"  request_key " T ", seq BIGINT, payload BYTEA, update_id " T ", match_value " T ","
	"  record BYTEA, stamp " T ", op " T ", rowid BIGSERIAL NOT NULL);"
	"CREATE INDEX journal_pending ON journal(state, began_at);"
	"CREATE INDEX journal_version ON journal(entity, source_id, hash);"
	"CREATE INDEX journal_request ON journal(request_key, seq);"
	"CREATE TABLE dlq(id BIGSERIAL PRIMARY KEY,"
	"  entity " T " NOT NULL, source_key " T " NOT NULL, record BYTEA NOT NULL,"
	"  reason TEXT NOT NULL, target_error TEXT NOT NULL, line BIGINT NOT NULL,"
	"  field " T " NOT NULL, attempts BIGINT NOT NULL, first_at BIGINT NOT NULL,"
	"  last_at BIGINT NOT NULL, dropped BIGINT NOT NULL DEFAULT 0,"
	"  hash " T " NOT NULL DEFAULT '');"
	"CREATE INDEX dlq_record ON dlq(entity, source_key);"
	"CREATE TABLE dlq_audit(id BIGINT NOT NULL, action " T " NOT NULL,"
	"  why TEXT NOT NULL, at BIGINT NOT NULL);"
	"CREATE TABLE inbox(event_id " T " PRIMARY KEY, source " T " NOT NULL,"
	"  type " T " NOT NULL, collection " T " NOT NULL, record_key " T " NOT NULL,"
	"  body BYTEA, received_at BIGINT NOT NULL, state " T " NOT NULL DEFAULT 'new',"
	"  attempts BIGINT NOT NULL DEFAULT 0, next_at BIGINT NOT NULL DEFAULT 0,"
	"  why TEXT NOT NULL DEFAULT '', rowid BIGSERIAL NOT NULL, claimed_by " T " NOT NULL"
	"  DEFAULT '', claim_expires BIGINT NOT NULL DEFAULT 0);"
	"CREATE INDEX inbox_new ON inbox(state, received_at);"
	"CREATE TABLE held(entity " T " NOT NULL, source_key " T " NOT NULL,"
	"  hash " T " NOT NULL, ref_entity " T " NOT NULL, ref_key " T " NOT NULL,"
	"  why TEXT NOT NULL, first_at BIGINT NOT NULL, last_at BIGINT NOT NULL,"
	"  PRIMARY KEY(entity, source_key));"
	"CREATE TABLE tokens(service " T " PRIMARY KEY, access TEXT NOT NULL,"
	"  refresh TEXT NOT NULL, expires_at BIGINT NOT NULL);"
	LEASE_TABLES;

/* The step from version N to N + 1 at [N]; none below 5 (no PostgreSQL
 * schema is older than the first).  5 -> 6: several workers (lease.c):
 * an inbox event's claim, the leases, the rate-limit budgets. */
static const char *const pg_migrate[STATE_SCHEMA_VERSION] = {
	[5] = "ALTER TABLE inbox ADD COLUMN claimed_by " T " NOT NULL DEFAULT '',"
	"  ADD COLUMN claim_expires BIGINT NOT NULL DEFAULT 0;" LEASE_TABLES,
};

/* The tables a dry run copies, as state.h's schema has them. */
static const char *const tables[] = {
	"meta", "cursors", "xref", "journal", "dlq", "dlq_audit", "inbox", "held", "tokens",
	"lease", "budget",
};

/* What a URL names: the connection (the URL without schema=) and the
 * schema, its lock key. */
typedef struct {
	char conninfo[2048];
	char schema[64];
	int64_t key;
	char hi[16], lo[16];      /* the key as pg_locks shows it: classid, objid */
} target;

static const char no_password[] = "a password in the state URL (it is printed in messages): "
	"put it in ~/.pgpass, PGPASSFILE or PGPASSWORD";

static int
say(char *err, size_t n, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, n, fmt, ap);
	va_end(ap);
	return rc;
}

/* url into t: schema= taken out of its query (letters, digits and _, at
 * most 63), a password refused. */
static int
parse(const char *url, target *t, char *err, size_t n)
{
	const char *auth = strstr(url, "://") + 3, *q = strchr(url, '?');
	size_t hostpart = strcspn(auth, "/?");
	const char *at = memchr(auth, '@', hostpart);

	snprintf(t->schema, sizeof t->schema, "mapwright");
	if (at && memchr(auth, ':', (size_t)(at - auth)))
		return say(err, n, STATE_EUSAGE, "%s", no_password);
	size_t base = q ? (size_t)(q - url) : strlen(url);
	if (base >= sizeof t->conninfo)
		return say(err, n, STATE_EUSAGE, "the state URL is too long");
	memcpy(t->conninfo, url, base);
	t->conninfo[base] = '\0';
	for (const char *p = q; p && *p; ) {
		p++;
		size_t len = strcspn(p, "&");
		if (!strncmp(p, "password=", 9))
			return say(err, n, STATE_EUSAGE, "%s", no_password);
		if (!strncmp(p, "schema=", 7)) {
			size_t sl = len - 7;
			if (sl == 0 || sl >= sizeof t->schema || strspn(p + 7, "abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") < sl)
				return say(err, n, STATE_EUSAGE, "schema= in the state URL takes 1 to 63 "
					"letters, digits and _");
			memcpy(t->schema, p + 7, sl);
			t->schema[sl] = '\0';
		} else {
			size_t at0 = strlen(t->conninfo);
			if (at0 + len + 2 >= sizeof t->conninfo)
				return say(err, n, STATE_EUSAGE, "the state URL is too long");
			snprintf(t->conninfo + at0, sizeof t->conninfo - at0, "%c%.*s",
				strchr(t->conninfo, '?') ? '&' : '?', (int)len, p);
		}
		p += len;
	}
	/* FNV-1a of the schema's name: the advisory lock's key in the database */
	uint64_t h = 14695981039346656037ULL;
	for (const char *p = "mapwright/"; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	for (const char *p = t->schema; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	t->key = (int64_t)h;
	snprintf(t->hi, sizeof t->hi, "%u", (unsigned)(h >> 32));
	snprintf(t->lo, sizeof t->lo, "%u", (unsigned)(h & 0xffffffffu));
	return 0;
}

static void
quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/* A connection to t (use_schema points it at the schema): NULL with err set. */
static PGconn *
connect_to(const target *t, char *err, size_t n)
{
	PGconn *c = PQconnectdb(t->conninfo);

	if (!c || PQstatus(c) != CONNECTION_OK) {
		const char *why = c ? PQerrorMessage(c) : "out of memory";
		say(err, n, 0, "connecting to PostgreSQL: %.*s", (int)strcspn(why, "\n"), why);
		PQfinish(c);
		return NULL;
	}
	PQsetNoticeProcessor(c, quiet, NULL); /* IF EXISTS and the like say so */
	return c;
}

/* sql with up to three text arguments on c: its result if it succeeded,
 * else NULL with err set. */
static PGresult *
q(PGconn *c, char *err, size_t n, const char *sql, const char *a, const char *b,
	const char *d)
{
	const char *args[3] = { a, b, d };
	int k = d ? 3 : b ? 2 : a ? 1 : 0;
	/* without arguments, the simple protocol: sql may be several statements */
	PGresult *r = k ? PQexecParams(c, sql, k, NULL, args, NULL, NULL, 0) : PQexec(c, sql);
	ExecStatusType es = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;

	if (es == PGRES_COMMAND_OK || es == PGRES_TUPLES_OK)
		return r;
	const char *why = r ? PQresultErrorMessage(r) : PQerrorMessage(c);
	say(err, n, 0, "PostgreSQL: %.*s", (int)strcspn(why, "\n"), why);
	PQclear(r);
	return NULL;
}

/* q() for a statement whose result is not read: 0 or STATE_EDB. */
static int
run(PGconn *c, char *err, size_t n, const char *sql, const char *a)
{
	PGresult *r = q(c, err, n, sql, a, NULL, NULL);

	PQclear(r);
	return r ? 0 : STATE_EDB;
}

/* The first column of the first row of sql with a (a value, or "" for no
 * row) into out: 0 or STATE_EDB. */
static int
one(PGconn *c, char *err, size_t n, const char *sql, const char *a, char *out, size_t on)
{
	PGresult *r = q(c, err, n, sql, a, NULL, NULL);

	if (!r)
		return STATE_EDB;
	snprintf(out, on, "%s", PQntuples(r) ? PQgetvalue(r, 0, 0) : "");
	PQclear(r);
	return 0;
}

/* ------------------------------------------------------------------ */
/* The lock: one connection per process and schema                     */
/* ------------------------------------------------------------------ */

#define LOCK_MAX 16

typedef struct {
	char name[sizeof ((target *)0)->conninfo + 72]; /* conninfo, schema, mode */
	PGconn *c;
	int refs;       /* 0: a free slot */
	pid_t pid;      /* the process that took it (not a child of it) */
	int backend;    /* the server process of c: the lock's holder in pg_locks */
	int shared;     /* WORKER's lock */
	char key[32], app[96]; /* the lock's key, c's application_name */
	char hi[16], lo[16];
} lock_slot;

static lock_slot locks[LOCK_MAX];
static pthread_mutex_t locks_mu = PTHREAD_MUTEX_INITIALIZER;

/* Who holds t's lock, from the server: "pid N on HOST" (mapwright's lock
 * connection names itself so), or the server process. */
static void
holder(PGconn *c, const char *hi, const char *lo, char *out, size_t n)
{
	PGresult *r = q(c, out, n, "SELECT CASE WHEN a.application_name LIKE 'mapwright process %'"
		" THEN substr(a.application_name, 11) ELSE 'the server process ' || l.pid END"
		" FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid"
		" WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 AND l.database ="
		" (SELECT oid FROM pg_database WHERE datname = current_database())"
		" AND l.classid = $1::oid AND l.objid = $2::oid", hi, lo, NULL);

	if (r)
		snprintf(out, n, "%s", PQntuples(r) ? PQgetvalue(r, 0, 0) : "");
	PQclear(r);
}

/* The lock of s on its connection: 0 (s->backend its holder now),
 * STATE_ELOCKED (who: the holder) or another error. */
static int
lock_try(lock_slot *s, char *who, size_t wn, char *err, size_t n)
{
	char got[8];
	int rc = run(s->c, err, n, "SELECT set_config('application_name', $1, false)", s->app);

	if (rc == 0)
		rc = one(s->c, err, n, s->shared ? "SELECT pg_try_advisory_lock_shared($1::bigint)" :
			"SELECT pg_try_advisory_lock($1::bigint)", s->key, got, sizeof got);
	if (rc == 0 && strcmp(got, "t")) {
		holder(s->c, s->hi, s->lo, who, wn);
		if (!*who)
			snprintf(who, wn, "another process");
		return STATE_ELOCKED;
	}
	s->backend = PQbackendPID(s->c);
	return rc;
}

/* t's lock for this process: 0 with *ref and the server process that
 * holds it (*backend), STATE_ELOCKED naming the holder, or another error. */
static int
lock_take(const target *t, int shared, int *ref, int *backend, char *err, size_t n)
{
	char name[sizeof locks[0].name], key[32], app[96], host[48] = "";
	pid_t me = getpid();
	int rc = 0, free_slot = -1;

	*ref = -1;
	snprintf(name, sizeof name, "%s\n%s\n%s", t->conninfo, t->schema, shared ? "S" : "X");
	pthread_mutex_lock(&locks_mu);
	for (int i = 0; i < LOCK_MAX; i++) {
		if (locks[i].refs && locks[i].pid != me)
			locks[i].refs = 0; /* a parent's: its connection is not ours to close */
		if (locks[i].refs && !strcmp(locks[i].name, name)) {
			locks[i].refs++;
			*ref = i;
			*backend = locks[i].backend;
			goto out;
		}
		if (!locks[i].refs && free_slot < 0)
			free_slot = i;
	}
	if (free_slot < 0) {
		rc = say(err, n, STATE_EUSAGE, "more than %d PostgreSQL state stores open", LOCK_MAX);
		goto out;
	}
	PGconn *c = connect_to(t, err, n);
	if (!c) {
		rc = STATE_EDB;
		goto out;
	}
	gethostname(host, sizeof host - 1);
	snprintf(app, sizeof app, "mapwright process %ld on %.40s", (long)me, host); /* 63 kept */
	snprintf(key, sizeof key, "%lld", (long long)t->key);
	lock_slot *s = &locks[free_slot];
	snprintf(s->name, sizeof s->name, "%s", name);
	s->c = c;
	s->shared = shared;
	snprintf(s->key, sizeof s->key, "%s", key);
	snprintf(s->app, sizeof s->app, "%s", app);
	snprintf(s->hi, sizeof s->hi, "%s", t->hi);
	snprintf(s->lo, sizeof s->lo, "%s", t->lo);
	char who[128] = "";
	rc = lock_try(s, who, sizeof who, err, n);
	if (rc == STATE_ELOCKED)
		say(err, n, rc, "the state schema %s is in use by %s: one process at a time syncs a "
			"pair, or its workers together (an operator's status or dlq list needs no "
			"lock)", t->schema, who);
	if (rc != 0) {
		PQfinish(c);
		s->c = NULL;
		goto out;
	}
	s->refs = 1;
	s->pid = me;
	*backend = s->backend;
	*ref = free_slot;
out:
	pthread_mutex_unlock(&locks_mu);
	return rc;
}

/* st's lock taken again (db.c's state_begin found it gone): where its
 * connection ended (terminated, the server restarted), that connection
 * made again -- the handle's own has just worked, so the server is there
 * -- and the lock tried for once more (on a connection that holds it
 * already, as when another handle of the process took it again first,
 * the try succeeds and the session holds it twice, both gone with the
 * session).  Whoever took it meanwhile has it still (STATE_ELOCKED, err
 * naming the holder) or had it and let go: a process that held it in
 * between ran under the journal, whose rows this one reads again like any
 * restart's. */
static int
relock(state *st)
{
	int rc = 0;

	pthread_mutex_lock(&locks_mu);
	lock_slot *s = st->pglock >= 0 && st->pglock < LOCK_MAX ? &locks[st->pglock] : NULL;
	if (!s || !s->refs || s->pid != getpid()) {
		rc = say(st->err, sizeof st->err, STATE_EUSAGE, "the lock is not this process's");
		goto out;
	}
	if (db_pg_status(s->c) != CONNECTION_OK || s->backend == (int)strtol(st->lock_pid, NULL, 10))
		PQreset(s->c);
	if (PQstatus(s->c) != CONNECTION_OK) {
		const char *why = PQerrorMessage(s->c);
		rc = say(st->err, sizeof st->err, STATE_EDB, "the lock's connection: %.*s",
			(int)strcspn(why, "\n"), why);
		goto out;
	}
	rc = lock_try(s, st->err, sizeof st->err, st->err, sizeof st->err);
	if (rc == 0)
		snprintf(st->lock_pid, sizeof st->lock_pid, "%d", s->backend);
out:
	pthread_mutex_unlock(&locks_mu);
	return rc;
}

void
pg_lock_drop(int ref)
{
	if (ref < 0 || ref >= LOCK_MAX)
		return;
	pthread_mutex_lock(&locks_mu);
	lock_slot *s = &locks[ref];
	if (s->refs && s->pid == getpid() && --s->refs == 0) {
		PQfinish(s->c); /* the session ends: its lock with it */
		s->c = NULL;
	}
	pthread_mutex_unlock(&locks_mu);
}

/* ------------------------------------------------------------------ */
/* The schema: made, checked, migrated                                 */
/* ------------------------------------------------------------------ */

/* The store in t's schema as c sees it (inside the caller's transaction):
 * 0 (current, or made or migrated now when make), 1 nothing there
 * (neither made nor refused: !make), or STATE_E* with err set. */
static int
check(PGconn *c, const target *t, int make, int older_ok, char *err, size_t n)
{
	char ns[8], ntab[16], v[32] = "", meta[8];

	if (one(c, err, n, "SELECT count(*) FROM pg_namespace WHERE nspname = $1", t->schema, ns,
	    sizeof ns) || one(c, err, n, "SELECT count(*) FROM pg_tables WHERE schemaname = $1",
	    t->schema, ntab, sizeof ntab))
		return STATE_EDB;
	if (!strcmp(ntab, "0")) {
		if (!make)
			return 1;
		char *id = PQescapeIdentifier(c, t->schema, strlen(t->schema));
		char sql[160];
		int rc = id ? 0 : STATE_EDB;
		if (rc == 0 && !strcmp(ns, "0")) {
			snprintf(sql, sizeof sql, "CREATE SCHEMA %s", id);
			rc = run(c, err, n, sql, NULL);
		}
		PQfreemem(id);
		if (rc == 0)
			rc = run(c, err, n, pg_schema, NULL);
		if (rc == 0)
			rc = run(c, err, n, "INSERT INTO meta(key, value) VALUES('schema_version', $1)",
				STATE_SCHEMA_VERSION_TEXT);
		return rc;
	}
	if (one(c, err, n, "SELECT count(*) FROM pg_tables WHERE schemaname = $1 AND tablename ="
	    " 'meta'", t->schema, meta, sizeof meta) ||
	    (!strcmp(meta, "1") && one(c, err, n, "SELECT value FROM meta WHERE key ="
	    " 'schema_version'", NULL, v, sizeof v)))
		return STATE_EDB;
	if (strcmp(meta, "1") || !*v)
		return say(err, n, STATE_EFILE, "the schema %s is not a state store: tables without "
			"mapwright's meta table and its version (another program's); it is left as it "
			"is", t->schema);
	long ver = strtol(v, NULL, 10);
	if (ver > STATE_SCHEMA_VERSION)
		return say(err, n, STATE_EVERSION, "the state schema %s has version %ld; this "
			"program knows %d: use a newer one", t->schema, ver, STATE_SCHEMA_VERSION);
	if (ver == STATE_SCHEMA_VERSION)
		return 0;
	if (!make && !older_ok)
		return say(err, n, STATE_EVERSION, "the state schema %s has version %ld, older than "
			"this program's %d: `run --once` or `serve` migrates it; run one first",
			t->schema, ver, STATE_SCHEMA_VERSION);
	for (long k = ver; k < STATE_SCHEMA_VERSION; k++)
		if (k < 1 || !pg_migrate[k])
			return say(err, n, STATE_EFILE, "the state schema %s has version %ld, which no "
				"PostgreSQL store had", t->schema, ver);
		else if (make && run(c, err, n, pg_migrate[k], NULL))
			return STATE_EDB;
	return make ? run(c, err, n, "UPDATE meta SET value = $1 WHERE key = 'schema_version'",
		STATE_SCHEMA_VERSION_TEXT) : 0;
}

/* The search path of c: t's schema alone. */
static int
use_schema(PGconn *c, const target *t, char *err, size_t n)
{
	char *id = PQescapeIdentifier(c, t->schema, strlen(t->schema));
	int rc = id ? run(c, err, n, "SELECT set_config('search_path', $1, false)", id) : STATE_EDB;

	PQfreemem(id);
	return rc;
}

/* The handle's connection set up: t's schema, read only where asked; what
 * it runs kept for a connection made again (db.c's pg_ready). */
static int
session(state *st, const target *t)
{
	char *id = PQescapeIdentifier(st->pg, t->schema, strlen(t->schema));

	if (!id)
		return say(st->err, sizeof st->err, STATE_EDB, "out of memory");
	snprintf(st->pg_session, sizeof st->pg_session, "SET search_path TO %s;%s", id,
		st->read_only ? " SET default_transaction_read_only = on;" : "");
	PQfreemem(id);
	st->pg_gen = 1;
	return run(st->pg, st->err, sizeof st->err, st->pg_session, NULL);
}

/* OWN and INIT (WORKER: the lock shared): the lock, then the schema made or migrated, in one
 * transaction under a lock of the transaction's (the process's handles
 * open at once, the daemon's two threads). */
static int
open_own(state *st, const target *t, int worker)
{
	char key[32];
	int backend = 0;
	int rc = lock_take(t, worker, &st->pglock, &backend, st->err, sizeof st->err);

	if (rc != 0)
		return rc;
	/* what state_begin looks for in pg_locks: the lock still held */
	snprintf(st->lock_pid, sizeof st->lock_pid, "%d", backend);
	snprintf(st->lock_hi, sizeof st->lock_hi, "%s", t->hi);
	snprintf(st->lock_lo, sizeof st->lock_lo, "%s", t->lo);
	st->pg_relock = relock;
	if (!(st->pg = connect_to(t, st->err, sizeof st->err)))
		return STATE_EDB;
	snprintf(key, sizeof key, "%lld", (long long)(t->key ^ 1));
	rc = session(st, t);
	if (rc == 0)
		rc = run(st->pg, st->err, sizeof st->err, "BEGIN", NULL);
	if (rc == 0)
		rc = run(st->pg, st->err, sizeof st->err, "SELECT pg_advisory_xact_lock($1::bigint)",
			key);
	if (rc == 0)
		rc = check(st->pg, t, 1, 1, st->err, sizeof st->err);
	if (rc == 0)
		rc = run(st->pg, st->err, sizeof st->err, "COMMIT", NULL);
	else
		run(st->pg, NULL, 0, "ROLLBACK", NULL);
	return rc;
}

/* A dry run's copy: each table of the schema, read in one snapshot, into
 * the SQLite store in memory st->db, column by column as the types say. */
static int
copy_tables(state *st, PGconn *c)
{
	for (size_t i = 0; i < sizeof tables / sizeof *tables; i++) {
		char sql[2048];
		snprintf(sql, sizeof sql, "SELECT * FROM %s", tables[i]);
		PGresult *r = PQexecParams(c, sql, 0, NULL, NULL, NULL, NULL, 1);
		if (!r || PQresultStatus(r) != PGRES_TUPLES_OK) {
			say(st->err, sizeof st->err, 0, "reading %s: %s", tables[i],
				r ? PQresultErrorMessage(r) : PQerrorMessage(c));
			PQclear(r);
			return STATE_EDB;
		}
		int nf = PQnfields(r);
		size_t at = (size_t)snprintf(sql, sizeof sql, "INSERT OR REPLACE INTO %s(", tables[i]);
		for (int f = 0; f < nf && at < sizeof sql; f++)
			at += (size_t)snprintf(sql + at, sizeof sql - at, "%s%s", f ? ", " : "",
				PQfname(r, f));
		for (int f = 0; f < nf && at < sizeof sql; f++)
			at += (size_t)snprintf(sql + at, sizeof sql - at, "%s", f ? ", ?" : ") VALUES(?");
		if (at < sizeof sql)
			snprintf(sql + at, sizeof sql - at, ")");
		sqlite3_stmt *s = NULL;
		int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) == SQLITE_OK ? 0 : STATE_EDB;
		for (int row = 0; rc == 0 && row < PQntuples(r); row++) {
			for (int f = 0; rc == 0 && f < nf; f++) {
				const char *v = PQgetvalue(r, row, f);
				int len = PQgetlength(r, row, f);
				Oid ty = PQftype(r, f);
				if (PQgetisnull(r, row, f))
					rc = sqlite3_bind_null(s, f + 1);
				else if (ty == OID_INT8 || ty == OID_INT4 || ty == OID_INT2)
					rc = sqlite3_bind_int64(s, f + 1, db_pg_int(v, len));
				else if (ty == OID_BYTEA)
					rc = sqlite3_bind_blob(s, f + 1, v, len, SQLITE_TRANSIENT);
				else
					rc = sqlite3_bind_text(s, f + 1, v, len, SQLITE_TRANSIENT);
			}
			if (rc == 0)
				rc = sqlite3_step(s) == SQLITE_DONE ? 0 : STATE_EDB;
			sqlite3_reset(s);
		}
		sqlite3_finalize(s);
		PQclear(r);
		if (rc != 0)
			return st_fail(st, "copying the state schema into memory");
	}
	return 0;
}

static int
open_copy(state *st, const target *t)
{
	PGconn *c = connect_to(t, st->err, sizeof st->err);
	int rc = c ? use_schema(c, t, st->err, sizeof st->err) : STATE_EDB;

	if (rc == 0)
		rc = run(c, st->err, sizeof st->err, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
			NULL);
	if (rc == 0)
		rc = check(c, t, 0, 1, st->err, sizeof st->err);
	if (rc == 0 || rc == 1) {
		int have = rc == 0;
		rc = lite_memory(st);
		if (rc == 0 && have)
			rc = copy_tables(st, c);
	}
	PQfinish(c);
	return rc;
}

int
pg_open(state *st, const char *url, int how)
{
	target t;
	int rc = parse(url, &t, st->err, sizeof st->err);

	if (rc != 0)
		return rc;
	if (how == STATE_OPEN_OWN || how == STATE_OPEN_INIT || how == STATE_OPEN_WORKER)
		return open_own(st, &t, how == STATE_OPEN_WORKER);
	if (how == STATE_OPEN_COPY)
		return open_copy(st, &t);
	if (!(st->pg = connect_to(&t, st->err, sizeof st->err)))
		return STATE_EDB;
	st->read_only = how == STATE_OPEN_READ;
	rc = session(st, &t);
	if (rc == 0)
		rc = check(st->pg, &t, 0, 0, st->err, sizeof st->err);
	if (rc == 1)
		rc = say(st->err, sizeof st->err, STATE_EFILE, "the schema %s holds no state store "
			"(a run makes it)", t.schema);
	return rc;
}
