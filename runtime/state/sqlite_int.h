/*
 * sqlite_int.h - the SQLite state store's private header, shared by its
 * files, one a table (or a few small ones): sqlite.c (the handle, the
 * schema and its migrations, transactions, the statement helpers),
 * journal.c (the write journal and the idempotency keys), dlq.c (the
 * dead-letter queue and its audit), held.c (the held records), inbox.c
 * (the webhook inbox), tokens.c (the OAuth tokens, encrypted), tables.c
 * (cursors, cross-references, the counts of `status`), and own.c (the
 * state file as a file: its lock, what a path holds, the modes of the files).
 * Nothing else includes it; callers see state.h.
 *
 * The table files call into sqlite.c and into nothing else; sqlite.c calls
 * none of them but own.c, which calls nothing (tests/tools/calls.py: no two files reference each other).
 */
#ifndef MW_STATE_SQLITE_INT_H
#define MW_STATE_SQLITE_INT_H

#include <sqlite3.h>

#include "state.h"

/* ------------------------------------------------------------------ */
/* sqlite.c: the handle, statements, helpers                           */
/* ------------------------------------------------------------------ */

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
	sqlite3_stmt *s;
	int busy;                 /* handed out, not back yet */
} stmt_slot;

struct state {
	sqlite3 *db;
	char err[512];
	char note[1024];          /* state_note(): what the opening changed (modes) */
	int lock;                 /* own.c's reference to the file's lock; -1: none */
	stmt_slot cache[STMT_CACHE];
	int ncache;
};

/* The database's error for what into st->err; STATE_EDB. */
int st_fail(state *st, const char *what);

/* The statement for sql (a string literal: see the cache above), to bind
 * and step, then to hand back with stmt_done() whatever happened; NULL
 * (the error in st->err) if it cannot be prepared. */
sqlite3_stmt *stmt_prepare(state *st, const char *sql);
void stmt_done(state *st, sqlite3_stmt *s);
/* Hand s back after its last step, whose code is rc: SQLITE_DONE, or
 * SQLITE_ROW where a listing stopped early, is 0; another SQLite code is
 * the step's error, STATE_EDB the binding's (both into st->err). */
int stmt_end(state *st, sqlite3_stmt *s, int rc);

/* Prepare sql, bind the nargs text arguments (NULL binds NULL), step once.
 * Returns SQLITE_ROW with the statement in *out (read it, then stmt_done),
 * SQLITE_DONE (the statement already handed back; so is a row when out is
 * NULL), or a negative STATE_E* code. */
int stmt_step(state *st, sqlite3_stmt **out, const char *sql, int nargs, ...);

/* One text column of a one-row query with up to two arguments into buf;
 * STATE_ENOTFOUND without a row. */
int stmt_text(state *st, const char *sql, char *buf, size_t n, int nargs, const char *a,
	const char *b);
/* The count(*) of sql, with arg bound to its one ? (NULL: sql has none);
 * < 0 on error. */
int64_t stmt_count(state *st, const char *sql, const char *arg);

/* Binding NULL binds NULL; the bytes are copied. */
int st_bind_text(sqlite3_stmt *s, int i, const char *p);
int st_bind_blob(sqlite3_stmt *s, int i, const char *p, size_t n);
const char *st_col(sqlite3_stmt *s, int i);
/* The time now in seconds, as text for a bound argument. */
char *st_now(char *buf, size_t n);

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

#endif /* MW_STATE_SQLITE_INT_H */
