/*
 * store.h - the store a state test runs against, and SQL on it beside the
 * state layer (to look at what was written, or to alter it as another
 * program would).  Without MW_TEST_PG a SQLite file DIR/NAME.db; with
 * MW_TEST_PG=postgresql://... (a throwaway database: tests/pg/state.sh
 * starts one) the schema NAME of that database, dropped first.
 */
#ifndef TEST_STORE_H
#define TEST_STORE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <sqlite3.h>

static const char *
store_pg(void)
{
	const char *u = getenv("MW_TEST_PG");

	return u && *u ? u : NULL;
}

/* A connection to the database of MW_TEST_PG, its search path schema
 * (NULL: the default one); NULL if it cannot be made. */
static PGconn *
store_pq(const char *schema)
{
	PGconn *c = PQconnectdb(store_pg());
	char sql[160];

	if (PQstatus(c) != CONNECTION_OK) {
		printf("# %s", PQerrorMessage(c));
		PQfinish(c);
		return NULL;
	}
	PQclear(PQexec(c, "SET client_min_messages = warning"));
	if (schema) {
		snprintf(sql, sizeof sql, "SET search_path TO \"%s\"", schema);
		PQclear(PQexec(c, sql));
	}
	return c;
}

/* The schema named in a store's URL ("" for a path). */
static const char *
store_schema(const char *where, char *buf, size_t n)
{
	const char *s = strstr(where, "schema=");

	snprintf(buf, n, "%.*s", s ? (int)strcspn(s + 7, "&") : 0, s ? s + 7 : "");
	return buf;
}

/* The store NAME into out: a path under dir, or MW_TEST_PG's schema NAME
 * (dropped, should an earlier run have left it). */
static void
store_where(char *out, size_t n, const char *dir, const char *name)
{
	const char *u = store_pg();

	if (!u) {
		snprintf(out, n, "%s/%s.db", dir, name);
		return;
	}
	snprintf(out, n, "%s%cschema=%s", u, strchr(u, '?') ? '&' : '?', name);
	PGconn *c = store_pq(NULL);
	char sql[160];
	snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS \"%s\" CASCADE", name);
	if (c)
		PQclear(PQexec(c, sql));
	PQfinish(c);
}

/* sql run on the store where: 0 or -1. */
static int
raw_sql(const char *where, const char *sql)
{
	char schema[80];
	int ok = 0;

	if (!store_pg() || !strstr(where, "://")) {
		sqlite3 *db;
		ok = sqlite3_open(where, &db) == SQLITE_OK &&
			sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK;
		sqlite3_close(db);
		return ok ? 0 : -1;
	}
	PGconn *c = store_pq(store_schema(where, schema, sizeof schema));
	PGresult *r = c ? PQexec(c, sql) : NULL;
	ok = r && (PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK);
	if (r && !ok)
		printf("# %s", PQresultErrorMessage(r));
	PQclear(r);
	PQfinish(c);
	return ok ? 0 : -1;
}

/* The first column of the first row of sql on where into out ("" for none). */
static void
raw_text(const char *where, const char *sql, char *out, size_t n)
{
	char schema[80];

	out[0] = '\0';
	if (!store_pg() || !strstr(where, "://")) {
		sqlite3 *db;
		sqlite3_stmt *q = NULL;
		if (sqlite3_open(where, &db) == SQLITE_OK && sqlite3_prepare_v2(db, sql, -1, &q, NULL) ==
		    SQLITE_OK && sqlite3_step(q) == SQLITE_ROW && sqlite3_column_text(q, 0))
			snprintf(out, n, "%s", (const char *)sqlite3_column_text(q, 0));
		sqlite3_finalize(q);
		sqlite3_close(db);
		return;
	}
	PGconn *c = store_pq(store_schema(where, schema, sizeof schema));
	PGresult *r = c ? PQexec(c, sql) : NULL;
	if (r && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0)
		snprintf(out, n, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	PQfinish(c);
}

#endif /* TEST_STORE_H */
