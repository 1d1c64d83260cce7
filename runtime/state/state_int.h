/*
 * state_int.h - the state store's private header, shared by its files, one
 * a table (or a few small ones) written once for both databases: journal.c
 * (the write journal and the idempotency keys), dlq.c (the dead-letter
 * queue and its audit), held.c (the held records), inbox.c (the webhook
 * inbox), tokens.c (the OAuth tokens, encrypted), tables.c (cursors,
 * cross-references, the counts of `status`).  Under them, db.c: the
 * statements over SQLite or PostgreSQL, whichever the handle holds (one
 * SQL text for both: see stmt_prepare).  The backends: sqlite.c (a file,
 * its schema and migrations) with own.c (the state file as a file: its
 * lock, what a path holds, the modes of the files), and pg.c (a schema in
 * a PostgreSQL database, its advisory lock, a dry run's copy).  open.c
 * picks one from what names the store (a path or a postgresql:// URL).
 * lease.c: the leases and the shared rate-limit budgets of several
 * workers (inbox.c claims the inbox's events for them).
 * Nothing else includes this; callers see state.h.
 *
 * Calls run one way (tests/tools/calls.py: no two files reference each
 * other): the table files call db.c; sqlite.c calls db.c and own.c; pg.c
 * calls db.c and sqlite.c (a dry run's copy is a SQLite database in
 * memory); open.c calls the two backends; db.c and own.c call nothing.
 */
#ifndef MW_STATE_INT_H
#define MW_STATE_INT_H

#include <sqlite3.h>
#include <libpq-fe.h>

#include "state.h"

/* ------------------------------------------------------------------ */
/* db.c: the handle's database, statements, helpers                    */
/* ------------------------------------------------------------------ */

/* A step's outcome (SQLite's own codes); anything else is an error. */
enum { DB_ROW = SQLITE_ROW, DB_DONE = SQLITE_DONE, DB_ERROR = SQLITE_ERROR };

#define DB_MAXARGS 16

/* A statement of either database.  PostgreSQL: its text with $N for ?N
 * and ? (prepared once per connection under name, or sent whole when
 * name is ""), the arguments bound (text, or bytes for a blob), and the
 * whole result of its execution, which the first step runs, read a row a
 * step (results in binary: a column is its bytes, an integer its value). */
typedef struct db_stmt {
	state *st;
	sqlite3_stmt *lite;
	char name[16];
	char *sql;
	int nargs;
	char *val[DB_MAXARGS];
	int len[DB_MAXARGS], fmt[DB_MAXARGS];
	PGresult *res;
	int row, nrows;
	int64_t gen;              /* PostgreSQL: the connection it was prepared on (db_step) */
} db_stmt;

/* The statement cache: each SQL text is prepared once per handle and kept,
 * keyed by its address (every one is a string literal of these files, so
 * the address names the text); handed back, it is reset and its bindings
 * cleared.  A statement handed out and not back yet is busy: a listing
 * holds its statement across its callback, and should the callback ask for
 * the same text, it gets a fresh statement, finalized when handed back.  A
 * text beyond the cache's size is prepared afresh each time as well. */
#define STMT_CACHE 64

typedef struct {
	const char *sql;          /* the key */
	db_stmt *s;
	int busy;                 /* handed out, not back yet */
} stmt_slot;

#define LEASE_MAX 32

struct state {
	sqlite3 *db;              /* SQLite (a dry run's copy of either too) */
	PGconn *pg;               /* or PostgreSQL */
	int read_only;            /* PostgreSQL: opened READ */
	int in_tx;                /* PostgreSQL: a transaction begun */
	int64_t changes;          /* PostgreSQL: rows the last statement changed */
	char err[512];
	char note[1024];          /* state_note(): what the opening changed (modes) */
	int lock;                 /* own.c's reference to the file's lock; -1: none */
	int pglock;               /* pg.c's reference to the schema's lock; -1: none */
	char lock_pid[16];        /* PostgreSQL, OWN: the lock's server process ("": none) */
	char lock_hi[16], lock_lo[16]; /* and its key in pg_locks */
	stmt_slot cache[STMT_CACHE];
	int ncache;
	char holder[128];         /* who the handle is in the lease table */
	struct {                  /* the leases it holds: state_begin checks them */
		char unit[128];
		int64_t token, ttl_ms;   /* ttl_ms: what state_begin renews it for */
	} lease[LEASE_MAX];
	int nlease;
	int64_t claims;           /* inbox.c: the handle's claims, counted */
	/* PostgreSQL, a connection lost (db.c's pg_ready makes it again): */
	char pg_session[256];     /* what pg.c set up on it (search path, read only) */
	int64_t pg_gen;           /* the handle's connections made: 1 the first */
	int (*pg_relock)(state *st); /* pg.c's: the process's lock taken again, lock_pid
	                           * its new holder; 0, STATE_ELOCKED, or another error */
};

/* The database's error for what into st->err; STATE_EDB. */
int st_fail(state *st, const char *what);

/* The statement for sql (a string literal: see the cache above), to bind
 * and step, then to hand back with stmt_done() whatever happened; NULL
 * (the error in st->err) if it cannot be prepared.  One text serves both
 * databases: ?N or ? for arguments, ON CONFLICT for an upsert, RETURNING
 * for a new id, CAST(?N AS TEXT) IS NULL where an argument may be NULL
 * and nothing else gives it a type, rowid (a column of its own in
 * PostgreSQL's journal and inbox) for the order rows were written in. */
db_stmt *stmt_prepare(state *st, const char *sql);
void stmt_done(state *st, db_stmt *s);
/* Hand s back after its last step, whose code is rc: DB_DONE, or DB_ROW
 * where a listing stopped early, is 0; another code is the step's error,
 * STATE_EDB the binding's (both into st->err). */
int stmt_end(state *st, db_stmt *s, int rc);

/* Prepare sql, bind the nargs text arguments (NULL binds NULL), step once.
 * Returns DB_ROW with the statement in *out (read it, then stmt_done),
 * DB_DONE (the statement already handed back; so is a row when out is
 * NULL), or a negative STATE_E* code. */
int stmt_step(state *st, db_stmt **out, const char *sql, int nargs, ...);

/* One text column of a one-row query with up to two arguments into buf;
 * STATE_ENOTFOUND without a row. */
int stmt_text(state *st, const char *sql, char *buf, size_t n, int nargs, const char *a,
	const char *b);
/* The count(*) of sql, with arg bound to its one ? (NULL: sql has none);
 * < 0 on error. */
int64_t stmt_count(state *st, const char *sql, const char *arg);
/* sql, which may hold several statements (a schema), without arguments. */
int db_exec(state *st, const char *sql);

/* Binding NULL binds NULL; the bytes are copied.  0 or non-zero. */
int st_bind_text(db_stmt *s, int i, const char *p);
int st_bind_blob(db_stmt *s, int i, const char *p, size_t n);
int st_bind_int64(db_stmt *s, int i, int64_t v);
/* Text whose bytes need not be UTF-8 (a source record as received): a
 * TEXT column in SQLite, BYTEA in PostgreSQL (whose TEXT takes UTF-8 only). */
int st_bind_raw(db_stmt *s, int i, const char *p);
/* A step: DB_ROW, DB_DONE, or an error (st_fail says it). */
int db_step(db_stmt *s);
/* The row's columns: text NULL for NULL, bytes counted, integers. */
const char *st_col(db_stmt *s, int i);
const void *db_col_blob(db_stmt *s, int i);
size_t db_col_bytes(db_stmt *s, int i);
int64_t db_col_int64(db_stmt *s, int i);
int db_col_null(db_stmt *s, int i);
/* PostgreSQL's type oids of the columns read (pg_type.h) */
enum { OID_BOOL = 16, OID_BYTEA = 17, OID_INT8 = 20, OID_INT2 = 21, OID_INT4 = 23 };
/* A PostgreSQL integer in binary: n bytes, network order, signed. */
int64_t db_pg_int(const void *p, int n);
/* The rows the last statement inserted, updated or deleted. */
int64_t db_changes(state *st);
/* Opened read only (a look: status, dlq list). */
int db_readonly(state *st);
/* The handle's database closed, its statements first (st stays usable). */
void db_close(state *st);
/* PostgreSQL: whatever the server sent c unasked read (its goodbye when it
 * ended the session, then the socket's end): c's status then. */
ConnStatusType db_pg_status(PGconn *c);
/* The time now in seconds, as text for a bound argument. */
char *st_now(char *buf, size_t n);
/* The database's time in ms since the epoch (PostgreSQL's clock, which
 * every worker of a pair shares; SQLite's is this machine's): 0 or < 0. */
int db_now_ms(state *st, int64_t *ms);
/* Begun outside any transaction of the caller: BEGIN (IMMEDIATE on
 * SQLite), none of state_begin's checks; 0 or < 0 (STATE_EUSAGE: the
 * handle is in a transaction). */
int db_begin_own(state *st);
/* Inside a transaction (state_begin's or db_begin_own's). */
int db_in_tx(state *st);

/* ------------------------------------------------------------------ */
/* sqlite.c and pg.c: the backends                                     */
/* ------------------------------------------------------------------ */

/* The SQLite state file at path, opened as how (state.h). */
int lite_open(state *st, const char *path, int how);
/* An empty SQLite store in memory, its schema in: a dry run's. */
int lite_memory(state *st);
/* The PostgreSQL store at url (postgresql:// or postgres://), as how. */
int pg_open(state *st, const char *url, int how);
/* The handle's reference to pg.c's lock dropped (ref -1: nothing). */
void pg_lock_drop(int ref);

/* ------------------------------------------------------------------ */
/* own.c: the state file as a file                                     */
/* ------------------------------------------------------------------ */

/* The process's lock on PATH.lock (created 0600, holding the pid): 0 with
 * *ref set (taken now, or one more reference to the one this process
 * holds), STATE_ELOCKED with the holder's pid in err, or another STATE_E*. */
int own_lock_take(const char *path, int *ref, char *err, size_t n);
/* One reference less; the lock goes with the last (ref -1: nothing). */
void own_lock_drop(int ref);

/* What path is, by stat() alone: */
enum {
	OWN_NONE,       /* nothing: a new state file may be made */
	OWN_EMPTY,      /* 0 bytes: refused, but with --init */
	OWN_FILE,       /* a file with bytes: what it holds, SQLite says */
	OWN_OTHER,      /* not a regular file (err says so): refused */
};
/* OWN_*, or STATE_EDB (err: the path cannot be read). */
int own_kind(const char *path, char *err, size_t n);

/* path, path-wal and path-shm (those that exist) made 0600 when they are
 * wider: what was done (or could not be) appended to note. */
void own_modes(const char *path, char *note, size_t n);
/* A new empty file at path, 0600 whatever the umask: 0 or STATE_EDB. */
int own_create(const char *path, char *err, size_t n);
/* tmp becomes path: renamed over it (replace), or linked where nothing is
 * (and tmp removed); the directory synced.  0 or STATE_EDB. */
int own_publish(const char *tmp, const char *path, int replace, char *err, size_t n);

#endif /* MW_STATE_INT_H */
