/*
 * open.c - what names a state store picks its backend: a postgresql:// or
 * postgres:// URL a schema in a PostgreSQL database (pg.c), anything else
 * the path of a SQLite state file (sqlite.c).  The rest of state.h is the
 * same over both (db.c and the table files).
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "state_int.h"

static int
is_url(const char *s)
{
	return !strncmp(s, "postgresql://", 13) || !strncmp(s, "postgres://", 11);
}

/* The handle's name in the lease table: unique among the live ones (a
 * process, its host, a count of its handles). */
static void
name_holder(state *st)
{
	static atomic_int handles;
	char host[64] = "";

	gethostname(host, sizeof host - 1);
	snprintf(st->holder, sizeof st->holder, "pid %ld on %s #%d", (long)getpid(), host,
		atomic_fetch_add(&handles, 1) + 1);
}

int
state_open_as(const char *path, int how, state **out)
{
	state *st = calloc(1, sizeof *st);

	*out = st; /* on failure too: the caller reads state_errmsg, then closes */
	if (!st)
		return STATE_EUSAGE;
	st->lock = st->pglock = -1;
	name_holder(st);
	if (!path || !*path) {
		snprintf(st->err, sizeof st->err, "no state file named");
		return STATE_EUSAGE;
	}
	return is_url(path) ? pg_open(st, path, how) : lite_open(st, path, how);
}

int
state_open(const char *path, state **out)
{
	return state_open_as(path, STATE_OPEN_OWN, out);
}

const char *
state_holder(const state *st)
{
	return st ? st->holder : "";
}

void
state_release_memory(state *st)
{
	if (st && st->db)
		sqlite3_db_release_memory(st->db);
}

void
state_close(state *st)
{
	if (!st)
		return;
	db_close(st);
	own_lock_drop(st->lock);
	pg_lock_drop(st->pglock);
	free(st);
}
