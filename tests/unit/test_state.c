/*
 * test_state.c - the SQLite state store: schema and version, WAL, cursors,
 * cross-references, the journal's stable idempotency keys and pending
 * writes after a process is killed mid-write (kill -9 of a child), the
 * dead-letter queue with an audited drop, the held records, tokens,
 * rollback, listings that call back into the handle (its statements are
 * cached), the migrations from versions 1 and 2; the file owned: one
 * process at a time (a child refused with the holder's pid, the lock gone
 * with a kill -9), an empty, random, truncated or foreign file refused and
 * left as it was, --init, modes 0600, a dry run's copy in memory.
 * With MW_TEST_PG (store.h) the same store in a PostgreSQL schema, but for
 * what is SQLite's alone (WAL, the migrations from the versions before
 * PostgreSQL's first, the file as a file), and what is PostgreSQL's: the
 * schemas of one database, a foreign or absent one, READ and COPY there,
 * a lock lost with its connection.  On both: several workers of one pair
 * (workers()): leases contended and taken over (on PostgreSQL also from a
 * worker killed with SIGKILL, and only after its holder's commit), a lost
 * lease stopping its holder's transactions and cursor moves, the inbox claimed by threads without an event
 * twice, a shared rate-limit budget never exceeded, migration 5 -> 6.
 */
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "state.h"

#define CHECK_AREA "state"
#include "check.h"
#include "store.h"

static int req_seen, req_ok;

/* The rows of request req-1 as intended: positions 0..2, payloads kept. */
static int
on_req(void *arg, const state_write *w)
{
	static const char *const want[3] = { "{\"a\":1}", "{\"b\":2}", "{\"c\":3}" };
	(void)arg;
	if (strcmp(w->request_key, "req-1") || w->seq != req_seen || w->payload_len !=
	    strlen(want[req_seen]) || memcmp(w->payload, want[req_seen], w->payload_len) ||
	    (req_seen == 1) != (w->update_id != NULL) ||
	    strcmp(w->state, req_seen == 0 ? "done" : "pending"))
		req_ok = 0;
	req_seen++;
	return 0;
}

/* The schema version a state file says it has, read with SQLite itself. */
static void
file_version(const char *path, char *ver, size_t n)
{
	sqlite3 *db;
	sqlite3_stmt *q = NULL;

	ver[0] = '\0';
	if (sqlite3_open(path, &db) == SQLITE_OK && sqlite3_prepare_v2(db, "SELECT value FROM meta"
	    " WHERE key = 'schema_version'", -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
		snprintf(ver, n, "%s", (const char *)sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	sqlite3_close(db);
}

/* Cross-reference keys listed, in order, into a buffer: each and a space. */
struct keys {
	char s[256];
};

static int
on_key(void *arg, const char *key, size_t n)
{
	struct keys *k = arg;
	size_t at = strlen(k->s);

	snprintf(k->s + at, sizeof k->s - at, "%.*s ", (int)n, key);
	return 0;
}

/* The held records listed: their keys in order into a buffer. */
static char held_seen[512];

static int
on_held(void *arg, const state_held *h)
{
	(void)arg;
	size_t n = strlen(held_seen);
	snprintf(held_seen + n, sizeof held_seen - n, "%s%.20s/%.20s<-%.20s/%.20s", n ? " " : "", h->entity,
		h->source_key, h->ref_entity, h->ref_key);
	return 0;
}

/* A listing whose callback comes back into the handle: the same listing
 * again (its statement is busy: a fresh one), a count, and the event done. */
static state *ev_st;
static int ev_outer, ev_inner, ev_inner_first, ev_bad;

static int
count_event(void *arg, const state_event *ev)
{
	(void)arg;
	(void)ev;
	ev_inner++;
	return 0;
}

static int
on_event(void *arg, const state_event *ev)
{
	char want[16];

	(void)arg;
	snprintf(want, sizeof want, "ev-%d", ev_outer);
	ev_inner = 0;
	if (strcmp(ev->event_id, want) || state_inbox_each(ev_st, 10, count_event, NULL) != 0 ||
	    state_inbox_count(ev_st) != 3 - ev_outer || state_inbox_done(ev_st, ev->event_id) != 0)
		ev_bad++;
	if (ev_outer == 0)
		ev_inner_first = ev_inner;
	ev_outer++;
	return 0;
}

/* The pending writes state_journal_requests() lists after a crash. */
static int npending;
static char pending_key[64];

static int
count_pending(void *arg, const state_write *w)
{
	(void)arg;
	if (!strcmp(w->state, "pending")) {
		if (!strcmp(w->source_id, "SO-crash"))
			snprintf(pending_key, sizeof pending_key, "%s", w->key);
		npending++;
	}
	return 0;
}

/* Intend (entity, source id, hash) alone in request rkey, as the engine
 * does, with the key the journal gives it (state_journal_find). */
static int
intend(state *st, const char *source_id, const char *hash, const char *rkey, char *key,
	size_t keylen)
{
	int rc = state_journal_find(st, "Order", source_id, hash, key, keylen, NULL, 0);
	if (rc != 0 && rc != STATE_ENOTFOUND)
		return rc;
	state_write w = { key, "Order", source_id, hash, rkey, 0, "{}", 2, NULL, NULL, "{}", 2, "",
		NULL, NULL };
	if (state_begin(st) != 0)
		return STATE_EDB;
	if (state_journal_intent(st, &w) != 0) {
		state_rollback(st);
		return STATE_EDB;
	}
	return state_commit(st);
}

/* state_open_as(path, how) in a child process: 1 when it returns want and,
 * when holder is not 0, its message names that process. */
static int
in_child(const char *path, int how, int want, long holder)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		state *c;
		char name[48];
		int rc = state_open_as(path, how, &c);

		snprintf(name, sizeof name, "process %ld ", holder);
		if (rc != want || (holder && !strstr(state_errmsg(c), name))) {
			fprintf(stderr, "child: %d %s\n", rc, state_errmsg(c));
			_exit(1);
		}
		_exit(0);
	}
	int status;
	return waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* A file's bytes (malloc'd; NULL when it cannot be read) and its size. */
static char *
slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *b = NULL;

	*n = 0;
	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0) {
		long len = ftell(f);
		rewind(f);
		if (len >= 0 && (b = malloc((size_t)len + 1)) && fread(b, 1, (size_t)len, f) != (size_t)len) {
			free(b);
			b = NULL;
		}
		*n = len > 0 ? (size_t)len : 0;
	}
	fclose(f);
	return b;
}

static int
spill(const char *path, const char *b, size_t n)
{
	FILE *f = fopen(path, "wb");
	int ok = f && fwrite(b, 1, n, f) == n;

	return (f && fclose(f) == 0) && ok;
}

/* The names in a folder, joined by spaces (unsorted: compared by count and
 * by the first 2 KB). */
static int
names(const char *dir, char *out, size_t n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int k = 0;

	out[0] = '\0';
	while (d && (e = readdir(d))) {
		size_t used = strlen(out);
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && ++k)
			snprintf(out + used, n - used, "%s ", e->d_name);
	}
	if (d)
		closedir(d);
	return k;
}

static int
mode_of(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? (int)(sb.st_mode & 0777) : -1;
}

/* state_open_as(path, how) refuses with STATE_EFILE, saying why, and the
 * file is left byte for byte as it was, and nothing is made beside it. */
static int
refused_untouched(const char *dir, const char *path, int how, const char *why)
{
	size_t n0, n1;
	char before[2048], after[2048];
	char *b0 = slurp(path, &n0);
	int k0 = names(dir, before, sizeof before), k1;
	state *st;
	int rc = state_open_as(path, how, &st);
	int said = strstr(state_errmsg(st), why) != NULL;

	if (rc != STATE_EFILE || !said)
		fprintf(stderr, "%s: %d %s\n", path, rc, state_errmsg(st));
	state_close(st);
	char *b1 = slurp(path, &n1);
	char lock[300];
	snprintf(lock, sizeof lock, "%s.lock", path);
	remove(lock); /* the lock file is made before the file is read */
	k1 = names(dir, after, sizeof after);
	int same = b0 && b1 && n0 == n1 && !memcmp(b0, b1, n0) && k0 == k1 && !strcmp(before, after);
	free(b0);
	free(b1);
	return rc == STATE_EFILE && said && same;
}

/* The state file as a file: what is refused, --init, the modes, the copy. */
static void
files(const char *top)
{
	char dir[300], path[400], other[500], cmd[900], list[2048];
	state *st;
	int rc;

	snprintf(dir, sizeof dir, "%s/files", top);
	mkdir(dir, 0700);
	snprintf(path, sizeof path, "%s/state", dir);

	/* 0 bytes: refused (a run would write everything again), and by --init
	 * made a new state file */
	check(spill(path, "", 0) && refused_untouched(dir, path, STATE_OPEN_OWN, "--init"),
		"empty-refused", "");
	check(refused_untouched(dir, path, STATE_OPEN_READ, "empty") &&
		refused_untouched(dir, path, STATE_OPEN_COPY, "empty"), "empty-refused-read-and-copy",
		"");
	rc = state_open_as(path, STATE_OPEN_INIT, &st);
	char buf[64] = "";
	check(rc == 0 && state_cursor_set(st, "Order", "c-1") == 0 && state_cursor_get(st, "Order",
		buf, sizeof buf) == 0 && !strcmp(buf, "c-1"), "empty-with-init-made-new",
		state_errmsg(st));
	state_close(st);
	snprintf(other, sizeof other, "%s.new", path);
	check(access(other, F_OK) != 0, "init-leaves-no-temporary", other);

	/* a real file, then damaged: truncated to half, its header kept */
	rc = state_open(path, &st) || state_begin(st);
	for (int i = 0; i < 300 && rc == 0; i++) {
		char k[128];
		snprintf(k, sizeof k, "SO-%04d-%0100d", i, i);
		rc = state_xref_put(st, "Order", k, "INV-123456789012345678901234567890", "hash");
	}
	rc = rc || state_commit(st);
	state_close(st);
	size_t n;
	char *good = slurp(path, &n);
	check(rc == 0 && good && n >= 8 * 4096, "several-pages", "");
	snprintf(other, sizeof other, "%s/truncated", dir);
	check(good && spill(other, good, n / 2 / 4096 * 4096) &&
		refused_untouched(dir, other, STATE_OPEN_OWN, "damaged"), "truncated-refused", "");
	check(refused_untouched(dir, other, STATE_OPEN_INIT, "damaged"), "truncated-refused-init", "");
	remove(other);

	/* random bytes; random bytes behind SQLite's header */
	char *junk = malloc(16384);
	srand(7);
	for (int i = 0; junk && i < 16384; i++)
		junk[i] = (char)(rand() & 0xff);
	snprintf(other, sizeof other, "%s/random", dir);
	check(junk && spill(other, junk, 16384) && refused_untouched(dir, other, STATE_OPEN_OWN,
		"not a SQLite database") && refused_untouched(dir, other, STATE_OPEN_INIT,
		"not a SQLite database"), "random-bytes-refused", "");
	if (junk)
		memcpy(junk, "SQLite format 3", 16);
	check(junk && spill(other, junk, 16384) && refused_untouched(dir, other, STATE_OPEN_OWN,
		"damaged") && refused_untouched(dir, other, STATE_OPEN_COPY, "damaged"),
		"random-behind-header-refused", "");
	remove(other);
	free(junk);

	/* another program's SQLite database: refused, not made WAL, no table
	 * added; one without a single table: --init makes it a state file */
	sqlite3 *db;
	snprintf(other, sizeof other, "%s/foreign", dir);
	sqlite3_open(other, &db);
	sqlite3_exec(db, "CREATE TABLE notes(x); INSERT INTO notes VALUES('mine')", NULL, NULL, NULL);
	sqlite3_close(db);
	check(refused_untouched(dir, other, STATE_OPEN_OWN, "meta table") &&
		refused_untouched(dir, other, STATE_OPEN_INIT, "meta table") &&
		refused_untouched(dir, other, STATE_OPEN_READ, "meta table"), "foreign-sqlite-refused",
		"");
	remove(other);
	sqlite3_open(other, &db);
	sqlite3_exec(db, "PRAGMA user_version = 1", NULL, NULL, NULL);
	sqlite3_close(db);
	check(refused_untouched(dir, other, STATE_OPEN_OWN, "--init"), "no-table-refused", "");
	rc = state_open_as(other, STATE_OPEN_INIT, &st);
	check(rc == 0 && state_cursor_set(st, "Order", "c") == 0, "no-table-with-init",
		state_errmsg(st));
	state_close(st);
	remove(other);

	/* a second handle of the process (the daemon's) leaves the first's
	 * SQLite locks alone: another process's reader, closing, must not take
	 * the file for unused and delete the -wal that holds the commits */
	snprintf(other, sizeof other, "%s/two", dir);
	state *first, *two;
	rc = state_open(other, &first) || state_cursor_set(first, "Order", "c-7") ||
		state_open(other, &two) || state_open_as(other, STATE_OPEN_READ, &st);
	state_close(st);
	char wal0[520];
	snprintf(wal0, sizeof wal0, "%s-wal", other);
	/* (a process of its own: a child of this one would share SQLite's
	 * table of the locks this process holds) */
	snprintf(cmd, sizeof cmd, "python3 -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
		"c.execute(\"SELECT * FROM cursors\").fetchall(); c.close()' %s", other);
	fflush(stdout);
	int py = system(cmd);
	check(rc == 0 && py == 0 && access(wal0, F_OK) == 0 && state_cursor_set(two, "Order", "c-8") == 0,
		"second-handle-keeps-locks", "the -wal was taken away");
	state_close(two);
	state_close(first);

	/* modes: 0600 made, and tightened where they were wider */
	snprintf(other, sizeof other, "%s/modes", dir);
	mode_t old = umask(022);
	rc = state_open(other, &st);
	state_cursor_set(st, "Order", "c-1");
	char wal[520], shm[520], lock[520];
	snprintf(wal, sizeof wal, "%s-wal", other);
	snprintf(shm, sizeof shm, "%s-shm", other);
	snprintf(lock, sizeof lock, "%s.lock", other);
	snprintf(cmd, sizeof cmd, "%o %o %o %o", mode_of(other), mode_of(wal), mode_of(shm),
		mode_of(lock));
	check(rc == 0 && !strcmp(cmd, "600 600 600 600") && !*state_note(st), "modes-0600", cmd);
	sqlite3_open(other, &db); /* a reader keeps the -wal and -shm */
	sqlite3_exec(db, "SELECT * FROM cursors", NULL, NULL, NULL);
	state_close(st);
	chmod(other, 0644);
	chmod(wal, 0644);
	chmod(shm, 0644);
	rc = state_open(other, &st);
	snprintf(cmd, sizeof cmd, "%o %o %o", mode_of(other), mode_of(wal), mode_of(shm));
	check(rc == 0 && !strcmp(cmd, "600 600 600") && strstr(state_note(st), "0644"),
		"modes-tightened", state_note(st));
	state_close(st);
	sqlite3_close(db);
	umask(old);

	/* a dry run's copy: what it writes stays in memory; no file, no lock,
	 * no -wal where there was nothing, nor where there was a state file */
	snprintf(other, sizeof other, "%s/dry", dir);
	mkdir(other, 0700);
	snprintf(cmd, sizeof cmd, "%s/state", other);
	rc = state_open_as(cmd, STATE_OPEN_COPY, &st);
	int w = rc == 0 && state_cursor_set(st, "Order", "c-9") == 0 &&
		state_token_save(st, "xero", "at", "rt", 1) == 0;
	state_close(st);
	check(w && names(other, list, sizeof list) == 0, "copy-of-nothing-makes-nothing", list);
	free(good);
	good = slurp(path, &n);
	int k0 = names(dir, list, sizeof list);
	rc = state_open_as(path, STATE_OPEN_COPY, &st);
	w = rc == 0 && state_cursor_get(st, "Order", buf, sizeof buf) == 0 && !strcmp(buf, "c-1") &&
		state_cursor_set(st, "Order", "c-9") == 0 && state_token_save(st, "xero", "at", "rt",
		1) == 0 && state_cursor_get(st, "Order", buf, sizeof buf) == 0 && !strcmp(buf, "c-9");
	state_close(st);
	size_t n2;
	char *now = slurp(path, &n2);
	check(w && good && now && n == n2 && !memcmp(good, now, n) && names(dir, cmd, sizeof cmd) ==
		k0, "copy-writes-nothing", cmd);
	free(good);
	free(now);
	rc = state_open_as(path, STATE_OPEN_READ, &st);
	check(rc == 0 && state_cursor_get(st, "Order", buf, sizeof buf) == 0 && !strcmp(buf, "c-1") &&
		state_cursor_set(st, "Order", "c-2") != 0, "read-only", buf);
	state_close(st);
	snprintf(other, sizeof other, "%s/none", dir);
	check(in_child(other, STATE_OPEN_READ, STATE_EFILE, 0) && access(other, F_OK) != 0,
		"read-of-nothing-makes-nothing", "");
}

/* The lifecycle's document hash: kept by put_doc, left by put, "" before. */
static void
doc_hash(state *mig)
{
	char doc[48] = "x";
	int d0 = state_xref_put(mig, "Order", "SO-40", "INV-40", "h1") == 0 &&
		state_xref_doc(mig, "Order", "SO-40", doc, sizeof doc) == 0 && !strcmp(doc, "");
	int d1 = state_xref_put_doc(mig, "Order", "SO-40", "INV-40", "h2", "d2") == 0 &&
		state_xref_put(mig, "Order", "SO-40", "INV-40", "h3") == 0 &&
		state_xref_doc(mig, "Order", "SO-40", doc, sizeof doc) == 0 && !strcmp(doc, "d2");
	int d2 = state_xref_put_doc(mig, "Order", "SO-40", "INV-40", "h4", "voided") == 0 &&
		state_xref_doc(mig, "Order", "SO-40", doc, sizeof doc) == 0 &&
		!strcmp(doc, "voided") &&
		state_xref_doc(mig, "Order", "SO-41", doc, sizeof doc) == STATE_ENOTFOUND;
	check(d0 && d1 && d2, "xref-document-hash", doc);
}

/* The migrations of a state file from versions 1 and 2 (older than
 * PostgreSQL's first): rows kept, the new tables and columns usable. */
static void
migrations(const char *dir)
{
	char js[16];
	int rc;

	/* a version 1 file is migrated when opened */
	char v1[300];
	snprintf(v1, sizeof v1, "%s/v1.db", dir);
	sqlite3 *old;
	sqlite3_open(v1, &old);
	sqlite3_exec(old, "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
		"INSERT INTO meta VALUES('schema_version', '1');"
		"CREATE TABLE journal(key TEXT PRIMARY KEY, entity TEXT NOT NULL,"
		" source_id TEXT NOT NULL, hash TEXT NOT NULL, state TEXT NOT NULL,"
		" target_id TEXT, error TEXT, began_at INTEGER NOT NULL, finished_at INTEGER);"
		"INSERT INTO journal VALUES('k1', 'Order', 'SO-1', 'h', 'done', 'T', NULL, 1, 2);"
		"CREATE TABLE dlq(id INTEGER PRIMARY KEY AUTOINCREMENT, entity TEXT NOT NULL,"
		" source_key TEXT NOT NULL, record TEXT NOT NULL, reason TEXT NOT NULL,"
		" target_error TEXT NOT NULL, line INTEGER NOT NULL, field TEXT NOT NULL,"
		" attempts INTEGER NOT NULL, first_at INTEGER NOT NULL, last_at INTEGER NOT NULL,"
		" dropped INTEGER NOT NULL DEFAULT 0);", NULL, NULL, NULL);
	sqlite3_close(old);
	state *mig;
	rc = state_open(v1, &mig);
	check(rc == 0 && state_journal_state(mig, "k1", js, sizeof js) == 0 && !strcmp(js, "done")
		&& state_journal_requests(mig, on_req, NULL) == 0, "migrates-version-1",
		state_errmsg(mig));
	char ver[16];
	file_version(v1, ver, sizeof ver);
	check(!strcmp(ver, STATE_SCHEMA_VERSION_TEXT) && state_held_count(mig, NULL) == 0,
		"version-1-to-current", ver);
	state_close(mig);

	/* a version 2 file (the tables of version 2, a held table missing) is
	 * migrated to 3 when opened: its rows kept, the held records usable */
	char v2[300];
	snprintf(v2, sizeof v2, "%s/v2.db", dir);
	sqlite3_open(v2, &old);
	rc = sqlite3_exec(old, "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
		"INSERT INTO meta VALUES('schema_version', '2');"
		"CREATE TABLE cursors(entity TEXT PRIMARY KEY, value TEXT NOT NULL,"
		" updated_at INTEGER NOT NULL);"
		"INSERT INTO cursors VALUES('Order', '2026-01-01T00:00:00Z', 1);"
		"CREATE TABLE xref(entity TEXT NOT NULL, source_id TEXT NOT NULL,"
		" target_id TEXT NOT NULL, hash TEXT NOT NULL, updated_at INTEGER NOT NULL,"
		" PRIMARY KEY(entity, source_id));"
		"INSERT INTO xref VALUES('Customer', 'C-1', 'T-1', 'hc', 1);"
		"CREATE TABLE journal(key TEXT PRIMARY KEY, entity TEXT NOT NULL,"
		" source_id TEXT NOT NULL, hash TEXT NOT NULL, state TEXT NOT NULL,"
		" target_id TEXT, error TEXT, began_at INTEGER NOT NULL, finished_at INTEGER,"
		" request_key TEXT, seq INTEGER, payload BLOB, update_id TEXT, match_value TEXT,"
		" record BLOB, stamp TEXT);"
		"INSERT INTO journal(key, entity, source_id, hash, state, began_at) VALUES('k2', 'Order',"
		" 'SO-5', 'h', 'done', 1);"
		"CREATE TABLE dlq(id INTEGER PRIMARY KEY AUTOINCREMENT, entity TEXT NOT NULL,"
		" source_key TEXT NOT NULL, record TEXT NOT NULL, reason TEXT NOT NULL,"
		" target_error TEXT NOT NULL, line INTEGER NOT NULL, field TEXT NOT NULL,"
		" attempts INTEGER NOT NULL, first_at INTEGER NOT NULL, last_at INTEGER NOT NULL,"
		" dropped INTEGER NOT NULL DEFAULT 0, hash TEXT NOT NULL DEFAULT '');"
		"INSERT INTO dlq(entity, source_key, record, reason, target_error, line, field, attempts,"
		" first_at, last_at, hash) VALUES('Customer', 'C-17', '{}', 'bad', '', 1, '', 1, 1, 1, 'hx');"
		"CREATE TABLE dlq_audit(id INTEGER NOT NULL, action TEXT NOT NULL,"
		" why TEXT NOT NULL, at INTEGER NOT NULL);"
		"CREATE TABLE inbox(event_id TEXT PRIMARY KEY, source TEXT NOT NULL,"
		" type TEXT NOT NULL, collection TEXT NOT NULL, record_key TEXT NOT NULL,"
		" body BLOB, received_at INTEGER NOT NULL, state TEXT NOT NULL DEFAULT 'new');"
		"CREATE TABLE tokens(service TEXT PRIMARY KEY, access TEXT NOT NULL,"
		" refresh TEXT NOT NULL, expires_at INTEGER NOT NULL);", NULL, NULL, NULL);
	sqlite3_close(old);
	char cur[64] = "", tid[64] = "";
	int orc = state_open(v2, &mig);
	check(rc == SQLITE_OK && orc == 0 && state_cursor_get(mig, "Order", cur, sizeof cur) == 0 &&
		!strcmp(cur, "2026-01-01T00:00:00Z") && state_xref_get(mig, "Customer", "C-1", tid,
		sizeof tid, NULL, 0) == 0 && !strcmp(tid, "T-1") && state_journal_state(mig, "k2", js,
		sizeof js) == 0 && !strcmp(js, "done") && state_dlq_find(mig, "Customer", "C-17", NULL) > 0
		&& state_held_count(mig, NULL) == 0 && state_held_put(mig, "Order", "SO-6", "h",
		"Customer", "C-17", "Customer C-17 is dead-lettered (dlq #1)") == 0 &&
		state_held_count(mig, "Order") == 1, "migrates-version-2", state_errmsg(mig));
	state_close(mig);
	file_version(v2, ver, sizeof ver);
	check(!strcmp(ver, STATE_SCHEMA_VERSION_TEXT), "version-2-to-current", ver);
	rc = state_open(v2, &mig); /* opened again: already current, nothing to do */
	check(rc == 0 && state_held_count(mig, "Order") == 1, "version-current-reopened",
		state_errmsg(mig));
	doc_hash(mig);
	state_close(mig);
}

/* PostgreSQL's own: one database, a schema a pair (each its lock), a
 * password kept out of the URL, a foreign schema refused and left as it
 * was, an absent one neither read nor made by READ or COPY, a DBA's empty
 * schema made a store, COPY's writes in memory, a lock whose connection
 * ended stopping the writes (*stp opened again), READ read only. */
static void
pg_schemas(const char *path, state **stp)
{
	state *st = *stp;
	char a[600], b[600], other[600], buf[64] = "", n[16];
	state *sa, *sb, *h;
	int rc;

	doc_hash(st);
	store_where(a, sizeof a, "", "t_a");
	store_where(b, sizeof b, "", "t_b");
	rc = state_open(a, &sa) || state_open(b, &sb) || state_cursor_set(sa, "Order", "c-a");
	check(rc == 0 && state_cursor_get(sb, "Order", buf, sizeof buf) == STATE_ENOTFOUND &&
		state_cursor_get(sa, "Order", buf, sizeof buf) == 0 && !strcmp(buf, "c-a") &&
		in_child(b, STATE_OPEN_OWN, STATE_ELOCKED, (long)getpid()), "pg-schema-a-pair",
		state_errmsg(sb));
	state_close(sa);
	state_close(sb);

	rc = state_open("postgresql://mw:s3cret@localhost/mw", &h);
	check(rc == STATE_EUSAGE && strstr(state_errmsg(h), "pgpass") &&
		!strstr(state_errmsg(h), "s3cret"), "pg-password-refused", state_errmsg(h));
	state_close(h);
	snprintf(other, sizeof other, "%s&schema=a-b", store_pg());
	rc = state_open(other, &h);
	check(rc == STATE_EUSAGE, "pg-schema-name-checked", state_errmsg(h));
	state_close(h);

	store_where(other, sizeof other, "", "t_foreign");
	raw_sql(other, "CREATE SCHEMA t_foreign; CREATE TABLE t_foreign.notes(x TEXT);"
		" INSERT INTO t_foreign.notes VALUES('mine')");
	int refused = 1;
	for (int how = STATE_OPEN_OWN; how <= STATE_OPEN_SHARED; how++) {
		rc = state_open_as(other, how, &h);
		refused &= rc == STATE_EFILE && strstr(state_errmsg(h), "not a state store") != NULL;
		state_close(h);
	}
	raw_text(other, "SELECT count(*) FROM pg_tables WHERE schemaname = 't_foreign'", n, sizeof n);
	raw_text(other, "SELECT x FROM notes", buf, sizeof buf);
	check(refused && !strcmp(n, "1") && !strcmp(buf, "mine"), "pg-foreign-schema-refused", n);

	store_where(other, sizeof other, "", "t_none");
	rc = state_open_as(other, STATE_OPEN_READ, &h);
	int r1 = rc == STATE_EFILE && strstr(state_errmsg(h), "no state store");
	state_close(h);
	rc = state_open_as(other, STATE_OPEN_COPY, &h);
	int r2 = rc == 0 && state_cursor_set(h, "Order", "c-9") == 0 &&
		state_token_save(h, "xero", "at", "rt", 1) == 0;
	state_close(h);
	raw_text(other, "SELECT count(*) FROM pg_namespace WHERE nspname = 't_none'", n, sizeof n);
	check(r1 && r2 && !strcmp(n, "0"), "pg-absent-schema-not-made", n);

	store_where(other, sizeof other, "", "t_empty");
	raw_sql(other, "CREATE SCHEMA t_empty");
	rc = state_open(other, &h);
	check(rc == 0 && state_cursor_set(h, "Order", "c-1") == 0, "pg-empty-schema-made-a-store",
		state_errmsg(h));
	state_close(h);

	rc = state_open_as(path, STATE_OPEN_COPY, &h);
	int c1 = rc == 0 && state_cursor_get(h, "Order", buf, sizeof buf) == 0 &&
		!strcmp(buf, "2026-11-23T10:00:00Z") && state_cursor_set(h, "Order", "c-9") == 0 &&
		state_cursor_get(h, "Order", buf, sizeof buf) == 0 && !strcmp(buf, "c-9") &&
		state_dlq_count(h, NULL) == state_dlq_count(st, NULL);
	state_close(h);
	check(c1 && state_cursor_get(st, "Order", buf, sizeof buf) == 0 &&
		!strcmp(buf, "2026-11-23T10:00:00Z"), "pg-copy-writes-nothing", buf);
	/* the lock's own connection ended alone: the next transaction takes
	 * the lock again, nobody having taken it meanwhile */
	rc = state_open(b, &sb);
	/* (waiting until the server process has ended: its lock with it) */
	raw_sql(b, "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity"
		" WHERE application_name LIKE 'mapwright process %'");
	rc = rc || state_begin(sb) != 0 || state_commit(sb) != 0;
	check(!rc && in_child(b, STATE_OPEN_OWN, STATE_ELOCKED, (long)getpid()),
		"pg-lock-lost-taken-again", state_errmsg(sb));
	/* another process's meanwhile (here the workers' shared lock): the
	 * handles write no more */
	raw_sql(b, "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity"
		" WHERE application_name LIKE 'mapwright process %'");
	state *w = NULL;
	rc = state_open_as(b, STATE_OPEN_WORKER, &w);
	rc = rc || state_begin(sb) != STATE_ELOCKED || !strstr(state_errmsg(sb), "lock is lost");
	check(!rc && state_begin(st) == 0 && state_commit(st) == 0, "pg-lock-lost-stops-writes",
		state_errmsg(sb));
	state_close(w);
	state_close(sb);
	state_close(st);
	rc = state_open(path, &st);
	*stp = st;
	check(rc == 0 && state_begin(st) == 0 && state_commit(st) == 0, "pg-lock-taken-again",
		state_errmsg(st));

	rc = state_open_as(path, STATE_OPEN_READ, &h);
	check(rc == 0 && state_cursor_get(h, "Order", buf, sizeof buf) == 0 &&
		state_cursor_set(h, "Order", "c-2") == STATE_EDB && strstr(state_errmsg(h), "read-only"),
		"pg-read-only", state_errmsg(h));
	state_close(h);
}

/* ------------------------------------------------------------------ */
/* Several workers of one pair                                         */
/* ------------------------------------------------------------------ */

static char workers_at[600];

/* A worker thread's handle on workers_at, or NULL (said on stdout). */
static state *
worker_open(void)
{
	state *w = NULL;

	if (state_open_as(workers_at, STATE_OPEN_WORKER, &w) != 0) {
		printf("# worker: %s\n", state_errmsg(w));
		state_close(w);
		return NULL;
	}
	return w;
}

/* Budget contention: each thread takes one call at a time until refused. */
static int budget_granted[4], budget_errors;

static void *
budget_worker(void *arg)
{
	int *granted = arg;
	state *w = worker_open();
	int64_t wait = 0;
	int rc;

	if (!w) {
		__atomic_add_fetch(&budget_errors, 1, __ATOMIC_SEQ_CST);
		return NULL;
	}
	while ((rc = state_budget_take(w, "limiter:Xero", 60000, 50, 1, &wait)) == 0)
		(*granted)++;
	if (rc != 1 || wait <= 0 || wait > 61000) {
		printf("# budget worker: %d %s (wait %lld)\n", rc, state_errmsg(w), (long long)wait);
		__atomic_add_fetch(&budget_errors, 1, __ATOMIC_SEQ_CST);
	}
	state_close(w);
	return NULL;
}

/* Inbox contention: each thread claims 3 at a time and marks them done. */
static int claim_seen[40], claim_errors;

static int
on_claimed(void *arg, const state_event *ev)
{
	state *w = arg;
	int i = (int)strtol(ev->event_id + 3, NULL, 10);

	if (i < 0 || i >= 40 || state_inbox_done(w, ev->event_id) != 0)
		__atomic_add_fetch(&claim_errors, 1, __ATOMIC_SEQ_CST);
	else
		__atomic_add_fetch(&claim_seen[i], 1, __ATOMIC_SEQ_CST);
	return 0;
}

static void *
claim_worker(void *arg)
{
	(void)arg;
	state *w = worker_open();
	int before;

	if (!w) {
		__atomic_add_fetch(&claim_errors, 1, __ATOMIC_SEQ_CST);
		return NULL;
	}
	do {
		before = 0;
		for (int i = 0; i < 40; i++)
			before += __atomic_load_n(&claim_seen[i], __ATOMIC_SEQ_CST) > 0;
		if (state_inbox_claim(w, 3, 60000, on_claimed, w) != 0) {
			printf("# claim worker: %s\n", state_errmsg(w));
			__atomic_add_fetch(&claim_errors, 1, __ATOMIC_SEQ_CST);
			break;
		}
	} while (before < 40);
	state_close(w);
	return NULL;
}

/* The events of a claim, their ids joined by spaces. */
static int
on_claim_ids(void *arg, const state_event *ev)
{
	char *s = arg;
	size_t at = strlen(s);

	snprintf(s + at, 256 - at, "%s%s", at ? " " : "", ev->event_id);
	return 0;
}

/* ms of sleep (a poll's step, not a wait for a condition) */
static void
nap(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* Takes unit through w, polling until its lease held elsewhere expires
 * (at most 5 s): 0 or what the last take said. */
static int
take_when_free(state *w, const char *unit, int64_t *token)
{
	int rc = 1;

	for (int i = 0; i < 500 && (rc = state_lease_take(w, unit, 60000, token)) == 1; i++)
		nap(10);
	return rc;
}

/* PostgreSQL: a takeover waits for the holder's transaction to end. */
static void
takeover_waits(state *a)
{
	int64_t tok = 0;
	int fd[2];

	if (state_lease_take(a, "cursor:Fenced", 1, &tok) != 0 || pipe(fd) != 0) {
		check(0, "worker-takeover-waits-for-commit", state_errmsg(a));
		return;
	}
	nap(5); /* the lease has expired: anyone may take it, but not while a commits */
	int rc = state_begin(a);
	rc |= state_cursor_set(a, "Fenced", "written-by-a");
	nap(5); /* and has expired again since this transaction renewed it */
	pid_t pid = fork();
	if (pid == 0) {
		state *b = worker_open();
		int64_t t = 0;
		char c = b && state_lease_take(b, "cursor:Fenced", 60000, &t) == 0 ? 'y' : 'n';
		if (write(fd[1], &c, 1) != 1)
			_exit(2);
		state_close(b);
		_exit(0);
	}
	/* the child's take waits on the lease's row, which a's transaction holds */
	char waiting[32] = "";
	for (int i = 0; i < 500 && strcmp(waiting, "1"); i++) {
		raw_text(workers_at, "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type ="
			" 'Lock' AND query LIKE '%INTO lease%'", waiting, sizeof waiting);
		nap(10);
	}
	rc |= state_commit(a);
	char c = 0;
	int got = (int)read(fd[0], &c, 1);
	waitpid(pid, NULL, 0);
	close(fd[0]);
	close(fd[1]);
	char cur[64] = "";
	state_cursor_get(a, "Fenced", cur, sizeof cur);
	check(rc == 0 && !strcmp(waiting, "1") && got == 1 && c == 'y' &&
		!strcmp(cur, "written-by-a") && state_begin(a) == STATE_ELOCKED,
		"worker-takeover-waits-for-commit", state_errmsg(a));
	state_lease_release(a, "cursor:Fenced");
}

/* PostgreSQL: a worker killed with SIGKILL holding a lease of 400 ms: it
 * is taken over once expired (the killed one's shared lock gone with it). */
static void
killed_worker(state *a)
{
	int fd[2];
	char c = 0;

	if (pipe(fd) != 0)
		return;
	pid_t pid = fork();
	if (pid == 0) {
		state *w = worker_open();
		c = w && state_lease_take(w, "cursor:Killed", 400, NULL) == 0 ? 'y' : 'n';
		if (write(fd[1], &c, 1) != 1)
			_exit(2);
		for (;;)
			pause();
	}
	int got = (int)read(fd[0], &c, 1);
	int64_t t0 = state_now_ms(), tok = 0;
	int held = state_lease_take(a, "cursor:Killed", 60000, &tok);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	int rc = take_when_free(a, "cursor:Killed", &tok);
	char why[160];
	snprintf(why, sizeof why, "child %c, held %d, taken %d after %lld ms, token %lld", c, held,
		rc, (long long)(state_now_ms() - t0), (long long)tok);
	check(got == 1 && c == 'y' && held == 1 && rc == 0 && tok == 2 &&
		state_now_ms() - t0 < 1400, "worker-killed-lease-taken-over", why);
	state_lease_release(a, "cursor:Killed");
	close(fd[0]);
	close(fd[1]);
}

static void
workers(const char *dir)
{
	store_where(workers_at, sizeof workers_at, dir, "workers");
	state *a = worker_open(), *b = a ? worker_open() : NULL;
	check(a && b && strcmp(state_holder(a), state_holder(b)) && strstr(state_holder(a), "pid "),
		"worker-two-handles", a ? state_holder(a) : "no handle");
	if (!a || !b) {
		state_close(a);
		return;
	}
	if (store_pg()) {
		state *own = NULL;
		int rc = state_open(workers_at, &own);
		check(rc == STATE_ELOCKED && strstr(state_errmsg(own), "its workers together"),
			"pg-worker-refuses-own", state_errmsg(own));
		state_close(own);
	}

	/* two workers contend for one lease: one holds it, the other is told who */
	int64_t ta = 0, tb = 0;
	int rc = state_lease_take(a, "cursor:Order", 60000, &ta);
	int rb = state_lease_take(b, "cursor:Order", 60000, &tb);
	check(rc == 0 && ta == 1 && rb == 1 && strstr(state_errmsg(b), state_holder(a)),
		"lease-one-holder", state_errmsg(b));
	rc = state_lease_renew(a, "cursor:Order", 60000);
	rc |= state_lease_take(a, "cursor:Order", 60000, &ta);
	check(rc == 0 && ta == 2 && state_lease_renew(b, "cursor:Order", 60000) == STATE_EUSAGE,
		"lease-renewed-and-taken-again", state_errmsg(a));
	rc = state_begin(a);
	rc |= state_cursor_set(a, "Order", "by-a");
	rc |= state_commit(a);
	check(rc == 0, "lease-holder-commits", state_errmsg(a));

	/* expiry: another takes it over; the one that lost it commits nothing */
	rc = state_lease_take(a, "cursor:Item", 1, &ta);
	rc |= take_when_free(b, "cursor:Item", &tb);
	check(rc == 0 && tb == ta + 1, "lease-expired-taken-over", state_errmsg(b));
	rc = state_lease_renew(a, "cursor:Item", 60000);
	int rbeg = state_begin(a);
	int rcur = state_cursor_set(a, "Item", "by-a-after-losing-it");
	char cur[64] = "";
	state_cursor_get(b, "Item", cur, sizeof cur);
	check(rc == 1 && rbeg == STATE_ELOCKED && strstr(state_errmsg(a), "cursor:Item") &&
		rcur == STATE_ELOCKED && !cur[0], "lease-lost-stops-commits", state_errmsg(a));
	rc = state_lease_release(a, "cursor:Item");
	rc |= state_begin(a);
	rc |= state_commit(a);
	check(rc == 0, "lease-lost-released-commits-again", state_errmsg(a));
	/* a holder at work keeps its lease: each transaction renews it */
	int kept = state_lease_take(a, "cursor:Busy", 300, &ta) == 0;
	int64_t until = state_now_ms() + 900;
	while (kept && state_now_ms() < until) {
		kept = state_begin(a) == 0 && state_commit(a) == 0 &&
			state_lease_take(b, "cursor:Busy", 60000, &tb) == 1;
		nap(50);
	}
	check(kept && take_when_free(b, "cursor:Busy", &tb) == 0 && tb == ta + 1,
		"lease-renewed-by-each-transaction", state_errmsg(b));
	state_lease_release(a, "cursor:Busy");
	/* ... and one waiting (on a shared budget) renews all it holds at once */
	kept = state_lease_take(a, "cursor:Waits", 300, &ta) == 0;
	until = state_now_ms() + 900;
	while (kept && state_now_ms() < until) {
		kept = state_lease_renew_all(a) == 0 &&
			state_lease_take(b, "cursor:Waits", 60000, &tb) == 1;
		nap(50);
	}
	rc = state_lease_take(a, "cursor:Gone", 1, &ta);
	rc |= take_when_free(b, "cursor:Gone", &tb);
	check(kept && rc == 0 && state_lease_renew_all(a) == 1, "lease-renew-all-kept-and-lost",
		state_errmsg(a));
	state_lease_release(a, "cursor:Gone");
	state_lease_release(a, "cursor:Waits");
	state_lease_release(b, "cursor:Busy");
	rc = state_lease_release(b, "cursor:Item");
	rc |= state_lease_take(a, "cursor:Item", 60000, &ta);
	check(rc == 0 && ta == tb + 1, "lease-released-free-at-once", state_errmsg(a));
	state_lease_release(a, "cursor:Item");
	if (store_pg()) {
		takeover_waits(a);
		killed_worker(a);
	}

	/* the inbox claimed: in order, not twice, a hold claimable when due,
	 * an expired claim listed again */
	char ids[256] = "";
	for (int i = 1; i <= 5; i++) {
		char id[16];
		snprintf(id, sizeof id, "ev-%d", i);
		state_event ev = { .event_id = id, .source = "clarity", .type = "order.updated",
			.collection = "orders", .record_key = id, .body = "{}", .body_len = 2 };
		rc |= state_inbox_add(a, &ev) != 0;
	}
	rc |= state_inbox_claim(a, 3, 60000, on_claim_ids, ids);
	check(rc == 0 && !strcmp(ids, "ev-1 ev-2 ev-3"), "inbox-claimed-in-order", ids);
	ids[0] = '\0';
	rc = state_inbox_claim(b, 10, 60000, on_claim_ids, ids);
	check(rc == 0 && !strcmp(ids, "ev-4 ev-5"), "inbox-claimed-not-twice", ids);
	ids[0] = '\0';
	rc = state_inbox_done(a, "ev-1");
	rc |= state_inbox_hold(a, "ev-2", state_now_ms() - 1, "held");
	rc |= state_inbox_claim(b, 10, 60000, on_claim_ids, ids);
	check(rc == 0 && !strcmp(ids, "ev-2"), "inbox-held-claimed-when-due", ids);
	state_event ev6 = { .event_id = "ev-6", .source = "clarity", .type = "order.updated",
		.collection = "orders", .record_key = "SO-6" };
	ids[0] = '\0';
	rc = state_inbox_add(a, &ev6);
	rc |= state_inbox_claim(a, 10, 1, on_claim_ids, ids);
	int first = !strcmp(ids, "ev-6");
	for (int i = 0; i < 500 && rc == 0 && strcmp(ids, "ev-6"); i++) {
		ids[0] = '\0';
		nap(10);
		rc = state_inbox_claim(b, 10, 60000, on_claim_ids, ids);
	}
	ids[0] = '\0';
	for (int i = 0; i < 500 && rc == 0 && !ids[0]; i++) {
		nap(10);
		rc = state_inbox_claim(b, 10, 60000, on_claim_ids, ids);
	}
	check(rc == 0 && first && !strcmp(ids, "ev-6"), "inbox-expired-claim-again", ids);
	for (int i = 2; i <= 6; i++) {
		char id[16];
		snprintf(id, sizeof id, "ev-%d", i);
		state_inbox_done(a, id);
	}

	/* 40 events, 4 threads claiming at once: each event done exactly once */
	for (int i = 0; i < 40; i++) {
		char id[16];
		snprintf(id, sizeof id, "ct-%d", i);
		state_event ev = { .event_id = id, .source = "clarity", .type = "order.updated",
			.collection = "orders", .record_key = id };
		rc |= state_inbox_add(a, &ev) != 0;
	}
	pthread_t th[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, claim_worker, NULL);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	int once = 0;
	for (int i = 0; i < 40; i++)
		once += claim_seen[i] == 1;
	snprintf(ids, sizeof ids, "%d of 40 once, %d errors", once, claim_errors);
	check(rc == 0 && once == 40 && claim_errors == 0 && state_inbox_count(a) == 0,
		"inbox-claimed-by-4-threads-once", ids);

	/* a budget of 50 calls a minute, 4 threads taking at once: 50 granted */
	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, budget_worker, &budget_granted[i]);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	int granted = budget_granted[0] + budget_granted[1] + budget_granted[2] + budget_granted[3];
	snprintf(ids, sizeof ids, "%d granted (%d %d %d %d), %d errors", granted,
		budget_granted[0], budget_granted[1], budget_granted[2], budget_granted[3],
		budget_errors);
	check(granted == 50 && budget_errors == 0, "budget-shared-never-exceeded", ids);
	int64_t wait = 0;
	check(state_budget_take(a, "limiter:Xero", 60000, 50, 1, &wait) == 1 &&
		state_budget_take(a, "limiter:QBO", 60000, 50, 50, &wait) == 0 &&
		state_budget_take(a, "limiter:QBO", 60000, 50, 51, &wait) == STATE_EUSAGE,
		"budget-per-target", state_errmsg(a));
	/* a short window: refused until its oldest slot has left it */
	rc = state_budget_take(a, "limiter:short", 300, 3, 3, NULL);
	rc |= state_budget_take(a, "limiter:short", 300, 3, 1, &wait) != 1;
	int64_t t0 = state_now_ms(), w0 = wait;
	int again = 1;
	for (int i = 0; i < 200 && again == 1; i++) {
		nap(10);
		again = state_budget_take(a, "limiter:short", 300, 3, 1, &wait);
	}
	int64_t waited = state_now_ms() - t0;
	snprintf(ids, sizeof ids, "rc %d, told %lld ms, granted after %lld ms", rc, (long long)w0,
		(long long)waited);
	check(rc == 0 && again == 0 && w0 > 0 && w0 <= 305 && waited >= 250, "budget-window-slides",
		ids);
	rc = state_begin(a);
	int in = state_budget_take(a, "limiter:Xero", 60000, 50, 1, NULL);
	state_rollback(a);
	check(rc == 0 && in == STATE_EUSAGE, "budget-not-in-a-transaction", state_errmsg(a));
	state_close(a);
	state_close(b);
	if (store_pg()) {
		state *own = NULL, *w = NULL;
		rc = state_open(workers_at, &own);
		int rw = state_open_as(workers_at, STATE_OPEN_WORKER, &w);
		check(rc == 0 && rw == STATE_ELOCKED, "pg-own-refuses-worker", state_errmsg(w));
		state_close(w);
		state_close(own);
	}
}

/* A version 5 store (no lease, budget or inbox claim) migrated to 6. */
static void
migrates_5(const char *dir)
{
	char at[600], ver[32] = "";
	store_where(at, sizeof at, dir, "v5");
	state *st = NULL;
	int rc = state_open(at, &st);
	state_event ev = { .event_id = "old-1", .source = "clarity", .type = "order.updated",
		.collection = "orders", .record_key = "SO-1" };
	rc |= state_inbox_add(st, &ev);
	state_close(st);
	rc |= raw_sql(at, "DROP INDEX inbox_claim; DROP TABLE lease; DROP TABLE budget;"
		" ALTER TABLE inbox DROP COLUMN claimed_by; ALTER TABLE inbox DROP COLUMN claim_expires;"
		" UPDATE meta SET value = '5' WHERE key = 'schema_version'");
	rc |= state_open(at, &st);
	raw_text(at, "SELECT value FROM meta WHERE key = 'schema_version'", ver, sizeof ver);
	char ids[256] = "";
	int64_t tok = 0;
	rc |= state_inbox_claim(st, 10, 60000, on_claim_ids, ids);
	rc |= state_lease_take(st, "inbox", 60000, &tok);
	rc |= state_budget_take(st, "limiter:Xero", 60000, 5, 1, NULL);
	check(rc == 0 && !strcmp(ver, "6") && !strcmp(ids, "old-1") && tok == 1, "migrates-version-5",
		state_errmsg(st));
	state_close(st);
}

/* PostgreSQL: a handle's connection lost (its server process terminated,
 * the server restarted: MW_TEST_PG_RESTART, a command tests/pg/state.sh
 * gives) is made again by its next statement outside a transaction, its
 * statements prepared again; a transaction it cuts is rolled back and its
 * commit fails; a worker's leases are its own still after it, or lost to
 * another worker if they lapsed meanwhile (its transactions then fail). */
static const char kill_handles[] = "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity"
	" WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type ="
	" 'client backend' AND application_name NOT LIKE 'mapwright process %'";

static void
pg_reconnect(const char *dir)
{
	char at[600], buf[64] = "";
	state *st = NULL, *a = NULL, *b = NULL;
	int64_t ta = 0, tb = 0;

	store_where(at, sizeof at, dir, "reconnect");
	int rc = state_open(at, &st) || state_cursor_set(st, "Order", "c-1");
	raw_sql(at, kill_handles);
	rc = rc || state_cursor_get(st, "Order", buf, sizeof buf) || state_cursor_set(st, "Order", "c-2")
		|| state_cursor_get(st, "Order", buf, sizeof buf);
	check(rc == 0 && !strcmp(buf, "c-2"), "pg-reconnect-after-terminate", state_errmsg(st));

	rc = state_begin(st) || state_cursor_set(st, "Order", "c-3");
	raw_sql(at, kill_handles);
	int rcommit = state_commit(st);
	check(rc == 0 && rcommit == STATE_EDB && strstr(state_errmsg(st), "rolled back") &&
		state_cursor_get(st, "Order", buf, sizeof buf) == 0 && !strcmp(buf, "c-2") &&
		state_begin(st) == 0 && state_cursor_set(st, "Order", "c-4") == 0 &&
		state_commit(st) == 0, "pg-reconnect-cut-transaction-rolled-back", state_errmsg(st));

	const char *restart = getenv("MW_TEST_PG_RESTART");
	if (restart && *restart) {
		fflush(stdout);
		rc = system(restart) != 0 || state_begin(st) || state_cursor_set(st, "Order", "c-5") ||
			state_commit(st) || state_cursor_get(st, "Order", buf, sizeof buf);
		check(rc == 0 && !strcmp(buf, "c-5") && in_child(at, STATE_OPEN_OWN, STATE_ELOCKED,
			(long)getpid()), "pg-reconnect-after-server-restart", state_errmsg(st));
	}
	state_close(st);

	/* workers: a lease kept through a lost connection, or lost with it */
	snprintf(workers_at, sizeof workers_at, "%s", at);
	raw_sql(at, "DELETE FROM lease");
	a = worker_open();
	b = a ? worker_open() : NULL;
	rc = !a || !b || state_lease_take(a, "cursor:Order", 60000, &ta);
	raw_sql(at, kill_handles);
	rc = rc || state_begin(a) || state_cursor_set(a, "Order", "by-a") || state_commit(a) ||
		state_lease_take(b, "cursor:Order", 60000, &tb) != 1;
	check(rc == 0, "pg-reconnect-lease-kept", a ? state_errmsg(a) : "no worker");
	raw_sql(at, kill_handles);
	raw_sql(at, "UPDATE lease SET expires_at = 0"); /* it lapsed while a was away */
	rc = !b || state_lease_take(b, "cursor:Order", 60000, &tb);
	int rbeg = a ? state_begin(a) : 0;
	check(rc == 0 && tb == ta + 1 && rbeg == STATE_ELOCKED && strstr(state_errmsg(a),
		"cursor:Order"), "pg-reconnect-lease-lapsed-stops-commits", a ? state_errmsg(a) : "");
	state_close(a);
	state_close(b);
}

/* An idle daemon gives its page cache back (state_release_memory): on
 * SQLite the heap shrinks and the handle reads on as before; on PostgreSQL,
 * whose cache is the server's, it changes nothing. */
static void
releases_memory(const char *dir)
{
	char at[600], buf[64];
	store_where(at, sizeof at, dir, "mem");
	state *st = NULL;
	int rc = state_open(at, &st);
	char big[2048];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	rc |= state_begin(st);
	for (int i = 0; i < 2000 && rc == 0; i++) {
		char id[32];
		snprintf(id, sizeof id, "SO-%d", i);
		rc |= state_xref_put_doc(st, "Order", id, "INV", "h", big);
	}
	rc |= state_commit(st);
	for (int i = 0; i < 2000 && rc == 0; i++) {
		char id[32], doc[sizeof big];
		snprintf(id, sizeof id, "SO-%d", i);
		rc |= state_xref_doc(st, "Order", id, doc, sizeof doc);
	}
	sqlite3_int64 before = sqlite3_memory_used();
	state_release_memory(st);
	sqlite3_int64 after = sqlite3_memory_used();
	char h[8];
	rc |= state_xref_get(st, "Order", "SO-1999", buf, sizeof buf, h, sizeof h);
	char why[128];
	snprintf(why, sizeof why, "%lld -> %lld bytes, rc %d", (long long)before, (long long)after, rc);
	check(rc == 0 && !strcmp(buf, "INV") && (store_pg() || after < before - 1000000),
		"release-memory", why);
	state_close(st);
}

int
main(void)
{
	char dir[] = "/tmp/mw-state-XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	char path[600];
	store_where(path, sizeof path, dir, "state");
	state *st;
	int rc = state_open(path, &st);
	check(rc == 0, "open-creates", st ? state_errmsg(st) : "no handle");

	char buf[256], h[64];
	if (!store_pg()) {
		raw_text(path, "PRAGMA journal_mode", buf, sizeof buf);
		check(!strcmp(buf, "wal"), "wal-mode", buf);
	}

	check(state_cursor_get(st, "Order", buf, sizeof buf) == STATE_ENOTFOUND, "cursor-empty", "");
	state_cursor_set(st, "Order", "2026-11-22T10:00:00Z");
	state_cursor_set(st, "Order", "2026-11-23T10:00:00Z");
	check(state_cursor_get(st, "Order", buf, sizeof buf) == 0 &&
		!strcmp(buf, "2026-11-23T10:00:00Z"), "cursor-set", buf);

	state_xref_put(st, "Order", "SO-1", "INV-9", "h1");
	state_xref_put(st, "Order", "SO-1", "INV-9", "h2");
	check(state_xref_get(st, "Order", "SO-1", buf, sizeof buf, h, sizeof h) == 0 &&
		!strcmp(buf, "INV-9") && !strcmp(h, "h2"), "xref-upsert", buf);

	/* the keys near one a ref missed: by length, of that entity only */
	state_xref_put(st, "Product", "MUG-01", "MUG-01", "h");
	state_xref_put(st, "Product", "TEE-02", "TEE-02", "h");
	state_xref_put(st, "Product", "LAMP-09", "LAMP-09", "h");
	state_xref_put(st, "Product", "\xC3\xA9T\xC3\xA9-1", "ETE", "h"); /* 8 bytes, 6 chars */
	state_xref_put(st, "Order", "SO-100", "INV-1", "h");
	struct keys ks = { "" };
	check(state_xref_keys(st, "Product", 5, 6, on_key, &ks) == 0 &&
		!strcmp(ks.s, "MUG-01 TEE-02 "), "xref-keys-by-length", ks.s);
	ks.s[0] = '\0';
	check(state_xref_keys(st, "Product", 7, 8, on_key, &ks) == 0 &&
		!strcmp(ks.s, "LAMP-09 \xC3\xA9T\xC3\xA9-1 "), "xref-keys-bytes", ks.s);
	ks.s[0] = '\0';
	check(state_xref_keys(st, "Customer", 0, 64, on_key, &ks) == 0 && !ks.s[0],
		"xref-keys-none", ks.s);

	char k1[64], k2[64], k3[64], k4[64], js[16];
	rc = intend(st, "SO-1", "h2", "rq-1", k1, sizeof k1);
	check(rc == 0 && state_journal_find(st, "Order", "SO-1", "h2", k2, sizeof k2, js,
		sizeof js) == 0 && !strcmp(js, "pending"), "journal-find-intended", state_errmsg(st));
	intend(st, "SO-1", "h3", "rq-3", k3, sizeof k3);
	intend(st, "SO-1h", "2", "rq-4", k4, sizeof k4);
	check(!strcmp(k1, k2), "journal-key-stable", k2);
	check(strcmp(k1, k3) && strcmp(k1, k4), "journal-key-changes", k3);
	check(strlen(k1) <= 50, "journal-key-fits-requestid", k1);
	check(state_journal_finish(st, k1, STATE_DONE, "INV-9", NULL) == 0 &&
		state_journal_finish(st, k3, STATE_FAILED, NULL, "400 ValidationException") == 0,
		"journal-finish", state_errmsg(st));
	check(state_journal_finish(st, "mw1-nope", STATE_DONE, "x", NULL) == STATE_ENOTFOUND,
		"journal-finish-unknown", "");

	/* one process at a time: another is refused and told the holder's pid,
	 * while this one has a handle open; a second handle of this process
	 * shares the lock, which lasts until the last closes; an operator's
	 * look (read only) needs no lock */
	check(in_child(path, STATE_OPEN_OWN, STATE_ELOCKED, (long)getpid()),
		"lock-refuses-another-process", "the second process was not refused with the pid");
	state *second;
	rc = state_open(path, &second);
	state_close(second);
	check(rc == 0 && in_child(path, STATE_OPEN_OWN, STATE_ELOCKED, (long)getpid()),
		"lock-shared-in-process", "a second handle in the process, or its close, failed");
	check(in_child(path, STATE_OPEN_READ, 0, 0), "read-beside-the-lock", "refused");
	state_close(st);

	/* a write intended in a process killed before its outcome: the lock
	 * goes with it */
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		state *c;
		char k[64];
		if (state_open(path, &c) == 0 && intend(c, "SO-crash", "h9", "rq-crash", k, sizeof k)
		    == 0)
			kill(getpid(), SIGKILL);
		_exit(3);
	}
	int status;
	waitpid(pid, &status, 0);
	check(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "child-killed", "child did not die");
	rc = state_open(path, &st);
	/* PostgreSQL: the lock goes when the server has seen the connection
	 * close, which may be a moment after the kill */
	for (int i = 0; rc == STATE_ELOCKED && i < 100; i++) {
		struct timespec ms20 = { 0, 20000000 };
		state_close(st);
		nanosleep(&ms20, NULL);
		rc = state_open(path, &st);
	}
	check(rc == 0, "lock-released-by-kill-9", state_errmsg(st));
	npending = 0;
	pending_key[0] = 0;
	state_journal_requests(st, count_pending, NULL);
	char want[64], derived[64];
	state_journal_key("Order", "SO-crash", "h9", derived, sizeof derived);
	check(rc == 0 && npending == 2 && state_journal_find(st, "Order", "SO-crash", "h9", want,
		sizeof want, js, sizeof js) == 0 && !strcmp(pending_key, want) &&
		!strcmp(want, derived) && !strcmp(js, "pending"), "pending-after-kill-9",
		"the killed write is not pending with its key");
	state_journal_finish(st, k4, STATE_DONE, "T-4", NULL);
	state_journal_finish(st, want, STATE_DONE, "T-9", NULL);

	int64_t id;
	rc = state_dlq_add(st, "Payment", "SO-7", "h1", "{\"orderId\":\"SO-7\"}",
		"no GL account for payment method", "", 144, "Account.Code", &id);
	check(rc == 0 && state_dlq_count(st, "Payment") == 1 && state_dlq_count(st, NULL) == 1,
		"dlq-add", state_errmsg(st));
	state_dead d;
	rc = state_dlq_get(st, id, &d);
	check(rc == 0 && !strcmp(d.field, "Account.Code") && d.line == 144 &&
		!strcmp(d.record, "{\"orderId\":\"SO-7\"}"), "dlq-get", d.reason);
	free(d.record);
	check(state_dlq_drop(st, id, "") == STATE_EUSAGE, "dlq-drop-needs-reason", "");
	check(state_dlq_drop(st, id, "fixed by hand in Xero") == 0 &&
		state_dlq_count(st, NULL) == 0, "dlq-drop", state_errmsg(st));
	raw_text(path, "SELECT why FROM dlq_audit", buf, sizeof buf);
	check(!strcmp(buf, "fixed by hand in Xero"), "dlq-audit", buf);
	/* a record as received, not UTF-8: kept byte for byte */
	const char *bad = "{\"orderId\":\"SO-\xff\xfe\"}";
	rc = state_dlq_add(st, "Payment", "SO-bad", "hb", bad, "not UTF-8", "", 1, "", &id);
	rc = rc || state_dlq_get(st, id, &d);
	check(rc == 0 && !strcmp(d.record, bad) && state_dlq_drop(st, id, "a test") == 0,
		"dlq-record-any-bytes", state_errmsg(st));
	if (rc == 0)
		free(d.record);

	state_token_save(st, "xero", "at-1", "rt-1", 100);
	state_token_save(st, "xero", "at-2", "rt-2", 200);
	char a[64], r[64];
	int64_t exp;
	state_close(st);
	state_open(path, &st);
	check(state_token_load(st, "xero", a, sizeof a, r, sizeof r, &exp) == 0 &&
		!strcmp(a, "at-2") && !strcmp(r, "rt-2") && exp == 200, "token-rotation-kept", r);

	state_begin(st);
	state_cursor_set(st, "Customer", "c-1");
	state_rollback(st);
	check(state_cursor_get(st, "Customer", buf, sizeof buf) == STATE_ENOTFOUND, "rollback",
		buf);

	/* requests: intents of a batch, listed whole after a crash, in order */
	const char *docs[3] = { "{\"a\":1}", "{\"b\":2}", "{\"c\":3}" };
	char keys[3][64];
	state_begin(st);
	for (int i = 0; i < 3; i++) {
		char sid[16];
		snprintf(sid, sizeof sid, "SO-%d", i);
		state_journal_key("Order", sid, "h", keys[i], sizeof keys[i]);
		state_write w = { keys[i], "Order", sid, "h", "req-1", i, docs[i], strlen(docs[i]),
			i == 1 ? "INV-9" : NULL, NULL, "{}", 2, "2026-11-01T00:00:00Z", NULL, NULL };
		rc |= state_journal_intent(st, &w);
	}
	state_commit(st);
	check(rc == 0, "intent", state_errmsg(st));
	state_journal_finish(st, keys[0], STATE_DONE, "T-0", NULL);
	req_seen = 0;
	req_ok = 1;
	state_journal_requests(st, on_req, NULL);
	check(req_seen == 3 && req_ok, "requests-whole-in-order", "rows or payloads differ");
	state_journal_finish(st, keys[1], STATE_DONE, "T-1", NULL);
	state_journal_finish(st, keys[2], STATE_FAILED, NULL, "refused");
	req_seen = 0;
	state_journal_requests(st, on_req, NULL);
	check(req_seen == 0, "requests-none-when-finished", "a finished request is listed");
	state_write again = { keys[2], "Order", "SO-2", "h", "req-2", 0, docs[2], strlen(docs[2]),
		NULL, NULL, "{}", 2, "", NULL, NULL };
	check(state_journal_intent(st, &again) == 0 && state_journal_state(st, keys[2], js,
		sizeof js) == 0 && !strcmp(js, "pending"), "failed-write-begun-again", js);
	state_write done = again;
	done.key = keys[0];
	check(state_journal_intent(st, &done) == 0 && state_journal_state(st, keys[0], js,
		sizeof js) == 0 && !strcmp(js, "done"), "done-write-stays-done", js);
	check(state_dlq_find(st, "Payment", "SO-7", "h1") == 0, "dlq-find-ignores-dropped", "");
	int64_t id2;
	state_dlq_add(st, "Order", "SO-8", "h8", "{}", "r", "", 1, "", &id2);
	check(state_dlq_find(st, "Order", "SO-8", "h8") == id2 &&
		state_dlq_find(st, "Order", "SO-8", "other") == 0, "dlq-find-by-version", "");
	int64_t nx, np, nd;
	check(state_counts(st, "Order", &nx, &np, &nd) == 0 && np >= 1 && nd == 1, "counts",
		state_errmsg(st));

	/* listings call back into the handle; the statements are cached */
	ev_st = st;
	rc = 0;
	for (int i = 0; i < 3; i++) {
		char eid[16];
		snprintf(eid, sizeof eid, "ev-%d", i);
		state_event ev = { .event_id = eid, .source = "clarity", .type = "order.updated",
			.collection = "orders", .record_key = "SO-1", .body = "{}", .body_len = 2 };
		rc |= state_inbox_add(st, &ev);
	}
	check(rc == 0 && state_inbox_each(st, 10, on_event, NULL) == 0 && ev_outer == 3 &&
		ev_inner_first == 3 && !ev_bad && state_inbox_count(st) == 0, "listing-reentrant",
		state_errmsg(st));
	ev_outer = 0;
	check(state_inbox_each(st, 10, on_event, NULL) == 0 && ev_outer == 0, "listing-again",
		state_errmsg(st));
	state_begin(st);
	rc = state_begin(st); /* fails: a transaction is open; its statement is reset */
	check(rc == STATE_EDB && state_commit(st) == 0 && state_begin(st) == 0 &&
		state_rollback(st) == 0, "statement-reused-after-failure", state_errmsg(st));

	/* held records: put (again), read, listed, counted, cleared */
	state_held hr;
	rc = state_held_put(st, "Order", "SO-2", "h2", "Customer", "C-17",
		"Customer C-17 is dead-lettered (dlq #12)");
	rc |= state_held_put(st, "Order", "SO-1", "h1", "Customer", "C-9", "Customer C-9 not written yet");
	rc |= state_held_put(st, "Payment", "SO-1", "h1", "Order", "SO-1", "Order SO-1 not written yet");
	check(rc == 0 && state_held_get(st, "Order", "SO-2", &hr) == 0 && !strcmp(hr.hash, "h2") &&
		!strcmp(hr.ref_entity, "Customer") && !strcmp(hr.ref_key, "C-17") &&
		!strcmp(hr.why, "Customer C-17 is dead-lettered (dlq #12)") && hr.first_at > 0 &&
		hr.last_at >= hr.first_at, "held-put-get", state_errmsg(st));
	int64_t first = hr.first_at;
	rc = state_held_put(st, "Order", "SO-2", "h3", "Customer", "C-18", "Customer C-18 not written yet");
	check(rc == 0 && state_held_get(st, "Order", "SO-2", &hr) == 0 && !strcmp(hr.hash, "h3") &&
		!strcmp(hr.ref_key, "C-18") && hr.first_at == first && state_held_count(st, "Order") == 2 &&
		state_held_count(st, NULL) == 3, "held-put-again-one-row", state_errmsg(st));
	held_seen[0] = '\0';
	check(state_held_each(st, NULL, 10, on_held, NULL) == 0 && !strcmp(held_seen,
		"Order/SO-1<-Customer/C-9 Order/SO-2<-Customer/C-18 Payment/SO-1<-Order/SO-1"),
		"held-listed-in-order", held_seen);
	held_seen[0] = '\0';
	check(state_held_each(st, "Payment", 10, on_held, NULL) == 0 && !strcmp(held_seen,
		"Payment/SO-1<-Order/SO-1"), "held-listed-per-entity", held_seen);
	rc = state_held_clear(st, "Order", "SO-2");
	rc |= state_held_clear(st, "Order", "SO-404"); /* not held: nothing to do */
	check(rc == 0 && state_held_get(st, "Order", "SO-2", &hr) == STATE_ENOTFOUND &&
		state_held_count(st, "Order") == 1 && state_held_count(st, "Payment") == 1,
		"held-cleared", state_errmsg(st));
	state_begin(st);
	state_held_put(st, "Order", "SO-3", "h", "Customer", "C-1", "x");
	state_rollback(st);
	check(state_held_get(st, "Order", "SO-3", &hr) == STATE_ENOTFOUND, "held-rolled-back", "");

	/* a dead letter found by key, whatever the version (hash NULL) */
	int64_t did = 0;
	rc = state_dlq_add(st, "Customer", "C-17", "hv1", "{}", "bad", "", 3, "", &did);
	check(rc == 0 && state_dlq_find(st, "Customer", "C-17", NULL) == did &&
		state_dlq_find(st, "Customer", "C-17", "other") == 0 &&
		state_dlq_find(st, "Customer", "C-99", NULL) == 0, "dlq-find-any-version",
		state_errmsg(st));

	if (!store_pg())
		migrations(dir);
	else
		pg_schemas(path, &st);

	/* a file from a newer version is refused */
	raw_sql(path, "UPDATE meta SET value = '99' WHERE key = 'schema_version'");
	state_close(st);
	rc = state_open(path, &st);
	check(rc == STATE_EVERSION && strstr(state_errmsg(st), "99"), "newer-version-refused",
		state_errmsg(st));
	state_close(st);

	if (!store_pg())
		files(dir);
	workers(dir);
	migrates_5(dir);
	releases_memory(dir);
	if (store_pg())
		pg_reconnect(dir);

	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	return failures ? 1 : 0;
}
