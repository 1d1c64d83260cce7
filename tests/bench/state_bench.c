/*
 * state_bench.c - the state store's cost per record, as the engine pays it:
 * per record the reads of eng_record (state_dlq_find, state_xref_get,
 * state_journal_find), then per batch of B records one transaction of
 * state_journal_intent() and one of state_journal_finish() and
 * state_xref_put().  Prints records/s (and statements/s), then what a
 * worker of several adds: a shared budget taken per call, an (empty)
 * transaction that checks and renews a lease; checks nothing.
 *   state_bench [N [B [DIR]]]     N records (20000), batches of B (50)
 * The file is created in DIR (default /tmp) and removed; DIR a
 * postgresql:// URL: a schema mw_bench_PID of that database, left there.  A benchmark, not
 * a test (make bench prints it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "state.h"

static double
now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int
die(state *st, const char *what)
{
	fprintf(stderr, "state_bench: %s: %s\n", what, state_errmsg(st));
	return 1;
}

int
main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 20000;
	long b = argc > 2 ? strtol(argv[2], NULL, 10) : 50;
	const char *dir = argc > 3 ? argv[3] : "/tmp";
	char path[1024], wal[1100], shm[1100];
	state *st;

	if (n <= 0 || b <= 0 || b > 1000) {
		fprintf(stderr, "usage: state_bench [N [B [DIR]]]\n");
		return 2;
	}
	if (strstr(dir, "://")) /* a PostgreSQL database: a schema of its own */
		snprintf(path, sizeof path, "%s%cschema=mw_bench_%ld", dir, strchr(dir, '?') ? '&' :
			'?', (long)getpid());
	else
		snprintf(path, sizeof path, "%s/mw-state-bench-%ld.db", dir, (long)getpid());
	snprintf(wal, sizeof wal, "%s-wal", path);
	snprintf(shm, sizeof shm, "%s-shm", path);
	if (state_open(path, &st) != 0)
		return die(st, "open");

	static char keys[1000][64], sids[1000][32];
	char rkey[64], tid[64], h[64], js[16];
	const char *doc = "{\"Type\":\"ACCREC\",\"Contact\":{\"Name\":\"Ada\"},\"LineItems\":[]}";
	long stmts = 0;
	double t0 = now_s();

	for (long i = 0; i < n; i += b) {
		long m = n - i < b ? n - i : b;

		for (long j = 0; j < m; j++) {
			snprintf(sids[j], sizeof sids[j], "SO-%ld", i + j);
			if (state_dlq_find(st, "Order", sids[j], "h1") < 0 ||
			    state_xref_get(st, "Order", sids[j], tid, sizeof tid, h, sizeof h)
			    == STATE_EDB ||
			    state_journal_find(st, "Order", sids[j], "h1", keys[j], sizeof keys[j],
			    js, sizeof js) == STATE_EDB)
				return die(st, "read");
		}
		snprintf(rkey, sizeof rkey, "req-%ld", i);
		if (state_begin(st) != 0)
			return die(st, "begin");
		for (long j = 0; j < m; j++) {
			state_write w = { keys[j], "Order", sids[j], "h1", rkey, (int)j, doc,
				strlen(doc), NULL, NULL, "{}", 2, "2026-11-01T00:00:00Z", NULL, NULL };
			if (state_journal_intent(st, &w) != 0)
				return die(st, "intent");
		}
		if (state_commit(st) != 0 || state_begin(st) != 0)
			return die(st, "commit");
		for (long j = 0; j < m; j++) {
			snprintf(tid, sizeof tid, "INV-%ld", i + j);
			if (state_journal_finish(st, keys[j], STATE_DONE, tid, NULL) != 0 ||
			    state_xref_put(st, "Order", sids[j], tid, "h1") != 0)
				return die(st, "finish");
		}
		if (state_commit(st) != 0)
			return die(st, "commit");
		stmts += 6 * m + 4;
	}
	double secs = now_s() - t0;

	/* what a worker of several adds (docs/state.md, "Many workers"): a
	 * shared budget taken per call, a transaction that renews a lease */
	long k = n / 10 > 0 ? n / 10 : 1;
	double t1 = now_s();
	for (long i = 0; i < k; i++)
		if (state_budget_take(st, "limiter:bench", 60000, 1000000000, 1, NULL) != 0)
			return die(st, "budget");
	double budget_s = now_s() - t1;
	if (state_lease_take(st, "cursor:Order", 60000, NULL) != 0)
		return die(st, "lease");
	t1 = now_s();
	for (long i = 0; i < k; i++)
		if (state_begin(st) != 0 || state_commit(st) != 0)
			return die(st, "lease renewed");
	double lease_s = now_s() - t1;
	state_close(st);
	unlink(path);
	unlink(wal);
	unlink(shm);
	if (secs <= 0)
		secs = 1e-6;
	printf("%-34s %9.2f %12.0f records/s %10.0f statements/s\n", "state store (batches of B)",
		secs, (double)n / secs, (double)stmts / secs);
	printf("  N=%ld B=%ld: per record 3 reads, an intent, a finish and an xref_put\n", n, b);
	printf("%-34s %9.2f %12.0f calls/s\n", "shared budget (a take a call)", budget_s,
		(double)k / (budget_s > 0 ? budget_s : 1e-6));
	printf("%-34s %9.2f %12.0f transactions/s\n", "empty transaction holding a lease",
		lease_s, (double)k / (lease_s > 0 ? lease_s : 1e-6));
	return 0;
}
