/*
 * db.c - the statements of the state store over either database: SQLite
 * (a file) or PostgreSQL (a schema), whichever the handle holds, so that
 * each table file is written once (state_int.h).  Every statement is
 * prepared with bound parameters, once per handle (the cache in
 * state_int.h), and reset after use; every return code is checked.
 *
 * PostgreSQL's statements are the same texts, their ?N and ? made $N when
 * prepared.  Arguments go as text (the server gives each the type its
 * place in the statement wants) or, for a blob, as bytes; results come in
 * binary: a text or bytea column is its bytes as stored (no escaping to
 * undo), an integer or boolean its value in network order.  A statement's
 * whole result is read when it runs (the first step), so a listing holds
 * nothing on the server across its callback.
 */
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "state_int.h"


int
st_fail(state *st, const char *what)
{
	const char *why = st->db ? sqlite3_errmsg(st->db) : st->pg ? PQerrorMessage(st->pg) : "no db";
	size_t n = strlen(why);

	while (n && (why[n - 1] == '\n' || why[n - 1] == ' '))
		n--;
	snprintf(st->err, sizeof st->err, "%s: %.*s", what, (int)n, why);
	return STATE_EDB;
}

/* A PostgreSQL result's error into st->err: STATE_EDB. */
static int
pg_fail(state *st, const char *what, const PGresult *r)
{
	const char *why = r ? PQresultErrorMessage(r) : "";

	if (!*why)
		return st_fail(st, what);
	size_t n = strlen(why);
	while (n && (why[n - 1] == '\n' || why[n - 1] == ' '))
		n--;
	snprintf(st->err, sizeof st->err, "%s: %.*s", what, (int)n, why);
	return STATE_EDB;
}

const char *
state_errmsg(const state *st)
{
	return st ? st->err : "no state";
}

const char *
state_note(const state *st)
{
	return st ? st->note : "";
}

/* sql with each ?N made $N and each bare ? the next $N (outside quoted
 * literals); *nargs the highest N.  malloc'd, or NULL. */
static char *
dollars(const char *sql, int *nargs)
{
	size_t n = strlen(sql);
	char *out = malloc(4 * n + 1), *o = out;
	int next = 0, quoted = 0;

	*nargs = 0;
	if (!out)
		return NULL;
	for (const char *p = sql; *p; p++) {
		if (*p == '\'')
			quoted = !quoted;
		if (*p != '?' || quoted) {
			*o++ = *p;
			continue;
		}
		int k = ++next;
		if (p[1] >= '0' && p[1] <= '9')
			k = (int)strtol(p + 1, (char **)&p, 10), p--;
		o += snprintf(o, (size_t)(out + 4 * n + 1 - o), "$%d", k);
		if (k > *nargs)
			*nargs = k;
	}
	*o = '\0';
	return out;
}

/* A new statement for sql; name: PostgreSQL's prepared name ("": none,
 * the text is sent with each execution). */
static db_stmt *
stmt_new(state *st, const char *sql, const char *name)
{
	db_stmt *s = calloc(1, sizeof *s);

	if (!s) {
		snprintf(st->err, sizeof st->err, "out of memory");
		return NULL;
	}
	s->st = st;
	if (st->db) {
		int rc = *name ? sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->lite,
			NULL) : sqlite3_prepare_v2(st->db, sql, -1, &s->lite, NULL);
		if (rc != SQLITE_OK) {
			st_fail(st, "prepare");
			sqlite3_finalize(s->lite);
			free(s);
			return NULL;
		}
		return s;
	}
	snprintf(s->name, sizeof s->name, "%s", name);
	s->sql = dollars(sql, &s->nargs);
	if (!s->sql || s->nargs > DB_MAXARGS) {
		snprintf(st->err, sizeof st->err, "prepare: %s", s->sql ? "too many arguments" :
			"out of memory");
		free(s->sql);
		free(s);
		return NULL;
	}
	return s; /* prepared on the server by its first step (db_step) */
}

/* Its result and arguments gone: ready to bind and run again. */
static void
stmt_reset(db_stmt *s)
{
	if (s->lite) {
		/* sqlite3_reset() returns the code of the last step again, which
		 * the caller has checked already; clearing bindings cannot fail */
		sqlite3_reset(s->lite);
		sqlite3_clear_bindings(s->lite);
		return;
	}
	PQclear(s->res);
	s->res = NULL;
	s->row = s->nrows = 0;
	for (int i = 0; i < DB_MAXARGS; i++) {
		free(s->val[i]);
		s->val[i] = NULL;
		s->len[i] = s->fmt[i] = 0;
	}
}

static void
stmt_free(db_stmt *s)
{
	stmt_reset(s);
	sqlite3_finalize(s->lite);
	free(s->sql);
	free(s);
}

db_stmt *
stmt_prepare(state *st, const char *sql)
{
	for (int i = 0; i < st->ncache; i++) {
		stmt_slot *c = &st->cache[i];

		if (c->sql != sql)
			continue;
		if (c->busy) /* a listing up the stack holds it */
			return stmt_new(st, sql, "");
		c->busy = 1;
		return c->s;
	}
	if (st->ncache == STMT_CACHE)
		return stmt_new(st, sql, "");
	char name[16];
	snprintf(name, sizeof name, "mw%d", st->ncache);
	db_stmt *s = stmt_new(st, sql, name);
	if (s)
		st->cache[st->ncache++] = (stmt_slot){ sql, s, 1 };
	return s;
}

void
stmt_done(state *st, db_stmt *s)
{
	if (!s)
		return;
	for (int i = 0; i < st->ncache; i++) {
		stmt_slot *c = &st->cache[i];

		if (c->s != s)
			continue;
		stmt_reset(s);
		c->busy = 0;
		return;
	}
	stmt_free(s);
}

int
stmt_end(state *st, db_stmt *s, int rc)
{
	if (rc == STATE_EDB)
		snprintf(st->err, sizeof st->err, "bind: out of memory or a bad argument");
	else if (rc == DB_ROW || rc == DB_DONE)
		rc = 0;
	else if (st->db)
		rc = st_fail(st, "step");
	else
		rc = STATE_EDB; /* db_step said why */
	stmt_done(st, s);
	return rc;
}

int
stmt_step(state *st, db_stmt **out, const char *sql, int nargs, ...)
{
	db_stmt *s = stmt_prepare(st, sql);
	if (!s)
		return STATE_EDB;
	va_list ap;
	va_start(ap, nargs);
	for (int i = 1; i <= nargs; i++) {
		if (st_bind_text(s, i, va_arg(ap, const char *)) != 0) {
			va_end(ap);
			return stmt_end(st, s, STATE_EDB);
		}
	}
	va_end(ap);
	int rc = db_step(s);
	if (rc != DB_ROW && rc != DB_DONE)
		return stmt_end(st, s, rc);
	if (out && rc == DB_ROW)
		*out = s;
	else
		stmt_done(st, s);
	return rc;
}

int
stmt_text(state *st, const char *sql, char *buf, size_t n, int nargs, const char *a,
	const char *b)
{
	db_stmt *s = NULL;
	int rc = stmt_step(st, &s, sql, nargs, a, b);
	if (rc < 0)
		return rc;
	if (rc == DB_DONE)
		return STATE_ENOTFOUND;
	const char *v = st_col(s, 0);
	snprintf(buf, n, "%s", v ? v : "");
	stmt_done(st, s);
	return 0;
}

int64_t
stmt_count(state *st, const char *sql, const char *arg)
{
	db_stmt *s = NULL;
	int rc = stmt_step(st, &s, sql, arg ? 1 : 0, arg);
	if (rc != DB_ROW)
		return rc < 0 ? rc : STATE_EDB;
	int64_t n = db_col_int64(s, 0);
	stmt_done(st, s);
	return n;
}

int
db_exec(state *st, const char *sql)
{
	if (st->db) {
		char *msg = NULL;
		if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
			snprintf(st->err, sizeof st->err, "%s", msg ? msg : "exec failed");
			sqlite3_free(msg);
			return STATE_EDB;
		}
		return 0;
	}
	PGresult *r = PQexec(st->pg, sql);
	int rc = r && (PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) ==
		PGRES_TUPLES_OK) ? 0 : pg_fail(st, "exec", r);
	PQclear(r);
	return rc;
}

/* PostgreSQL's argument i (1-based): n bytes of p, as text or bytes. */
static int
pg_arg(db_stmt *s, int i, const char *p, size_t n, int bytes)
{
	if (i < 1 || i > DB_MAXARGS || n > INT32_MAX)
		return 1;
	free(s->val[i - 1]);
	s->val[i - 1] = NULL;
	if (!p)
		return 0;
	if (!(s->val[i - 1] = malloc(n + 1)))
		return 1;
	if (n)
		memcpy(s->val[i - 1], p, n);
	s->val[i - 1][n] = '\0';
	s->len[i - 1] = (int)n;
	s->fmt[i - 1] = bytes;
	return 0;
}

int
st_bind_text(db_stmt *s, int i, const char *p)
{
	if (s->lite)
		return p ? sqlite3_bind_text(s->lite, i, p, -1, SQLITE_TRANSIENT) :
			sqlite3_bind_null(s->lite, i);
	return pg_arg(s, i, p, p ? strlen(p) : 0, 0);
}

int
st_bind_blob(db_stmt *s, int i, const char *p, size_t n)
{
	if (s->lite)
		return p ? sqlite3_bind_blob64(s->lite, i, p, n, SQLITE_TRANSIENT) :
			sqlite3_bind_null(s->lite, i);
	return pg_arg(s, i, p ? p : "", n, 1) || (!p && pg_arg(s, i, NULL, 0, 0));
}

int
st_bind_raw(db_stmt *s, int i, const char *p)
{
	if (s->lite)
		return st_bind_text(s, i, p);
	return p ? pg_arg(s, i, p, strlen(p), 1) : pg_arg(s, i, NULL, 0, 0);
}

int
st_bind_int64(db_stmt *s, int i, int64_t v)
{
	char num[32];

	if (s->lite)
		return sqlite3_bind_int64(s->lite, i, (sqlite3_int64)v);
	snprintf(num, sizeof num, "%lld", (long long)v);
	return pg_arg(s, i, num, strlen(num), 0);
}

ConnStatusType
db_pg_status(PGconn *c)
{
	struct pollfd p = { PQsocket(c), POLLIN, 0 };

	/* an idle session is sent nothing but what it asked for, save a
	 * parameter's new value, a notice, or the server's FATAL message when
	 * it ends the session (terminated, shut down), after which the socket
	 * reads its end: the connection goes bad, which is what is looked for */
	for (int i = 0; i < 4 && PQstatus(c) == CONNECTION_OK && poll(&p, 1, 0) == 1; i++)
		PQconsumeInput(c);
	return PQstatus(c);
}

/* PostgreSQL, outside any transaction: the handle's connection as it was,
 * or, lost (its session terminated, the server restarted, the network
 * down), made again -- 100 ms doubling to 3.2 s between tries, for about
 * 30 s -- and its session set up again (pg_session; its statements are
 * prepared again as each is used: pg_gen).  Nothing is lost by it: no
 * transaction was open.  0, or STATE_EDB. */
static int
pg_ready(state *st)
{
	PGconn *c = st->pg;
	int64_t waited = 0;

	if (db_pg_status(c) == CONNECTION_OK)
		return 0;
	for (int64_t d = 100; ; d = d < 3200 ? d * 2 : d) {
		PQreset(c);
		if (PQstatus(c) == CONNECTION_OK)
			break;
		if (waited >= 30000)
			return st_fail(st, "the connection to PostgreSQL was lost and could not be made "
				"again in 30 s");
		struct timespec ts = { (time_t)(d / 1000), (long)(d % 1000) * 1000000 };
		nanosleep(&ts, NULL);
		waited += d;
	}
	PGresult *r = PQexec(c, st->pg_session);
	int rc = r && PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : pg_fail(st, "reconnecting", r);
	PQclear(r);
	st->pg_gen++;
	return rc;
}

int
db_step(db_stmt *s)
{
	state *st = s->st;

	if (s->lite)
		return sqlite3_step(s->lite);
	if (!s->res) {
		const char *const *vals = (const char *const *)s->val;
		PGTransactionStatusType ts = PQtransactionStatus(st->pg);

		/* inside a transaction a lost connection fails it (state_commit
		 * too): it is not made again under the transaction's statements */
		if (!st->in_tx && ts != PQTRANS_INTRANS && ts != PQTRANS_INERROR && pg_ready(st))
			return DB_ERROR;
		if (*s->name && s->gen != st->pg_gen) {
			PGresult *r = PQprepare(st->pg, s->name, s->sql, 0, NULL);
			int ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;

			if (!ok)
				pg_fail(st, "prepare", r);
			PQclear(r);
			if (!ok)
				return DB_ERROR;
			s->gen = st->pg_gen;
		}

		s->res = *s->name ? PQexecPrepared(st->pg, s->name, s->nargs, vals, s->len, s->fmt, 1)
			: PQexecParams(st->pg, s->sql, s->nargs, NULL, vals, s->len, s->fmt, 1);
		ExecStatusType es = s->res ? PQresultStatus(s->res) : PGRES_FATAL_ERROR;
		if (es != PGRES_TUPLES_OK && es != PGRES_COMMAND_OK) {
			pg_fail(st, "step", s->res);
			return DB_ERROR;
		}
		const char *ct = PQcmdTuples(s->res);
		st->changes = *ct ? strtoll(ct, NULL, 10) : 0;
		s->nrows = es == PGRES_TUPLES_OK ? PQntuples(s->res) : 0;
		s->row = -1;
	}
	return ++s->row < s->nrows ? DB_ROW : DB_DONE;
}

const char *
st_col(db_stmt *s, int i)
{
	if (s->lite)
		return (const char *)sqlite3_column_text(s->lite, i);
	return PQgetisnull(s->res, s->row, i) ? NULL : PQgetvalue(s->res, s->row, i);
}

const void *
db_col_blob(db_stmt *s, int i)
{
	if (s->lite)
		return sqlite3_column_blob(s->lite, i);
	return st_col(s, i);
}

size_t
db_col_bytes(db_stmt *s, int i)
{
	if (s->lite)
		return (size_t)sqlite3_column_bytes(s->lite, i);
	return (size_t)PQgetlength(s->res, s->row, i);
}

int
db_col_null(db_stmt *s, int i)
{
	if (s->lite)
		return sqlite3_column_type(s->lite, i) == SQLITE_NULL;
	return PQgetisnull(s->res, s->row, i);
}

int64_t
db_pg_int(const void *v, int n)
{
	const unsigned char *p = v;
	uint64_t x = 0;

	for (int k = 0; k < n; k++)
		x = x << 8 | p[k];
	if (n < 8 && n > 0 && (p[0] & 0x80)) /* sign-extended */
		x |= ~(uint64_t)0 << (8 * n);
	return (int64_t)x;
}

int64_t
db_col_int64(db_stmt *s, int i)
{
	if (s->lite)
		return sqlite3_column_int64(s->lite, i);
	if (PQgetisnull(s->res, s->row, i))
		return 0;
	const unsigned char *p = (const unsigned char *)PQgetvalue(s->res, s->row, i);
	int n = PQgetlength(s->res, s->row, i);
	switch (PQftype(s->res, i)) {
	case OID_BOOL:
		return n == 1 && p[0];
	case OID_INT2:
	case OID_INT4:
	case OID_INT8:
		return db_pg_int(p, n);
	default: /* a number kept as text */
		return strtoll((const char *)p, NULL, 10);
	}
}

int64_t
db_changes(state *st)
{
	return st->db ? sqlite3_changes(st->db) : st->changes;
}

int
db_readonly(state *st)
{
	return st->db ? sqlite3_db_readonly(st->db, "main") == 1 : st->read_only;
}

void
db_close(state *st)
{
	for (int i = 0; i < st->ncache; i++)
		stmt_free(st->cache[i].s);
	st->ncache = 0;
	sqlite3_close(st->db);
	st->db = NULL;
	PQfinish(st->pg);
	st->pg = NULL;
}

char *
st_now(char *buf, size_t n)
{
	snprintf(buf, n, "%lld", (long long)time(NULL));
	return buf;
}

int
db_now_ms(state *st, int64_t *ms)
{
	if (st->db) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		*ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
		return 0;
	}
	db_stmt *s = NULL;
	int rc = stmt_step(st, &s, "SELECT CAST(floor(extract(epoch FROM clock_timestamp()) * 1000)"
		" AS BIGINT)", 0);
	if (rc != DB_ROW)
		return rc < 0 ? rc : STATE_EDB;
	*ms = db_col_int64(s, 0);
	stmt_done(st, s);
	return 0;
}

/* A transaction's statement, from the cache like the others. */
static int
tx(state *st, const char *sql)
{
	int rc = stmt_step(st, NULL, sql, 0);
	return rc < 0 ? rc : 0;
}

/* SQLite: the write lock at once (a reader that became a writer could
 * find the snapshot it read gone); PostgreSQL: READ COMMITTED, every row
 * a statement writes locked until the end. */
int
db_in_tx(state *st)
{
	return st->db ? !sqlite3_get_autocommit(st->db) : st->in_tx;
}

int
db_begin_own(state *st)
{
	if (db_in_tx(st)) {
		snprintf(st->err, sizeof st->err, "inside a transaction");
		return STATE_EUSAGE;
	}
	int rc = tx(st, st->db ? "BEGIN IMMEDIATE" : "BEGIN");
	st->in_tx = st->pg && rc == 0;
	return rc;
}

/* Each lease the handle holds still its own (the same holder and token),
 * renewed for its time -- a holder at work keeps its leases -- and its row
 * locked by that until the transaction ends, so that nobody takes it over
 * before this transaction commits (lease.c); else rolled back:
 * STATE_ELOCKED. */
static int
leases_held(state *st)
{
	int64_t now = 0;

	if (st->nlease && st->db)
		db_now_ms(st, &now); /* PostgreSQL: the server's, in the statement */
	for (int i = 0; i < st->nlease; i++) {
		char tok[32], until[32];
		snprintf(tok, sizeof tok, "%lld", (long long)st->lease[i].token);
		snprintf(until, sizeof until, "%lld", (long long)(now + st->lease[i].ttl_ms));
		int rc = stmt_step(st, NULL, st->db ? "UPDATE lease SET expires_at = max(expires_at,"
			" ?4) WHERE unit = ?1 AND holder = ?2 AND token = ?3 RETURNING token" :
			"UPDATE lease SET expires_at = GREATEST(expires_at, CAST(floor(extract(epoch FROM"
			" clock_timestamp()) * 1000) AS BIGINT) + CAST(?4 AS BIGINT)) WHERE unit = ?1 AND"
			" holder = ?2 AND token = CAST(?3 AS BIGINT) RETURNING token", 4,
			st->lease[i].unit, st->holder, tok, until);
		if (rc == DB_ROW)
			continue;
		char why[sizeof st->err];
		snprintf(why, sizeof why, "%s", st->err);
		state_rollback(st);
		if (rc < 0) {
			snprintf(st->err, sizeof st->err, "%s", why);
			return rc;
		}
		snprintf(st->err, sizeof st->err, "the lease on %s is lost (another worker took it "
			"over): this handle commits nothing until it releases it", st->lease[i].unit);
		return STATE_ELOCKED;
	}
	return 0;
}

/* Whether the process's lock is held by its server process (lock_pid):
 * 1 or 0, -1 when that cannot be read. */
static int64_t
lock_held(state *st)
{
	db_stmt *s = NULL;
	int64_t held = -1;

	if (stmt_step(st, &s, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
	    " AND granted AND objsubid = 1 AND pid = CAST(?1 AS integer)"
	    " AND classid = CAST(?2 AS oid) AND objid = CAST(?3 AS oid)", 3, st->lock_pid,
	    st->lock_hi, st->lock_lo) == DB_ROW) {
		held = db_col_int64(s, 0);
		stmt_done(st, s);
	}
	return held;
}

int
state_begin(state *st)
{
	if (st->db) {
		int rc = tx(st, "BEGIN IMMEDIATE");
		return rc ? rc : leases_held(st);
	}
	if (st->in_tx) { /* PostgreSQL only warns */
		snprintf(st->err, sizeof st->err, "begin: a transaction is open already");
		return STATE_EDB;
	}
	int rc = tx(st, "BEGIN");
	st->in_tx = rc == 0;
	if (rc == 0)
		rc = leases_held(st);
	if (rc != 0 || !st->lock_pid[0])
		return rc;
	/* the process's lock is its own connection's, which may have ended
	 * alone (terminated, the server restarted, its TCP connection lost):
	 * taken again where no other process took it meanwhile (pg.c); where
	 * one did, it may sync the schema now, and nothing more is written
	 * from here */
	int64_t held = lock_held(st);
	if (held == 0 && st->pg_relock) {
		rc = st->pg_relock(st);
		held = rc == 0 ? lock_held(st) : rc == STATE_ELOCKED ? 0 : -1;
	}
	if (held == 1)
		return 0;
	char why[sizeof st->err];
	snprintf(why, sizeof why, "%s", st->err);
	state_rollback(st);
	if (held == 0)
		snprintf(st->err, sizeof st->err, "the state schema's lock is lost (the connection "
			"that held it ended) and %.200s holds it now: this process stops writing",
			*why ? why : "another process");
	else
		snprintf(st->err, sizeof st->err, "%s", why);
	return held == 0 ? STATE_ELOCKED : STATE_EDB;
}

int
state_commit(state *st)
{
	st->in_tx = 0;
	/* the connection lost under the transaction: the server rolled it
	 * back; a COMMIT on the connection made again would commit nothing and
	 * say nothing */
	if (st->pg && db_pg_status(st->pg) != CONNECTION_OK) {
		snprintf(st->err, sizeof st->err, "commit: the connection to PostgreSQL was lost: "
			"the transaction is rolled back");
		return STATE_EDB;
	}
	/* PostgreSQL answers COMMIT of a transaction a statement failed in
	 * with ROLLBACK, and no error: one is made here */
	if (st->pg && PQtransactionStatus(st->pg) == PQTRANS_INERROR) {
		tx(st, "ROLLBACK");
		snprintf(st->err, sizeof st->err, "commit: a statement of the transaction failed: "
			"rolled back");
		return STATE_EDB;
	}
	int rc = tx(st, "COMMIT");
	if (rc && st->pg && PQstatus(st->pg) != CONNECTION_OK)
		snprintf(st->err, sizeof st->err, "commit: the connection to PostgreSQL was lost "
			"while committing: the transaction is written or not, as the server had it "
			"(the journal tells which: a write in doubt is pending)");
	return rc;
}

int
state_rollback(state *st)
{
	st->in_tx = 0;
	return tx(st, "ROLLBACK");
}
