/*
 * test_idem.c - the idempotency keys: state_idem_key() is SHA-256 (known
 * vectors, computed outside mapwright), deterministic, unambiguous, short
 * enough for every target; and the upgrade: a state file left by 0.1.0
 * (FNV keys "mw1-...") with a request pending is re-sent by the engine with
 * the very keys 0.1.0 stored, and the record version it holds is not
 * written again under a new key while it waits.
 *
 * The engine runs here by hand (a `run` with a fake target that records
 * what it is asked to write), so the keys on the wire are seen directly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "eng.h"

#define CHECK_AREA "idem"
#include "check.h"

/* ---- a target that records what it is asked to write ---------------- */

static int fake_up;              /* 0: no answer (transient); 1: writes */
static int fake_calls;
static char fake_rkey[64], fake_keys[4][64];
static size_t fake_n;

static int
fake_write(conn *c, const char *request_key, conn_item *items, size_t n, conn_result *res)
{
	(void)c;
	fake_calls++;
	snprintf(fake_rkey, sizeof fake_rkey, "%s", request_key);
	fake_n = n;
	for (size_t i = 0; i < n && i < 4; i++)
		snprintf(fake_keys[i], sizeof fake_keys[i], "%s", items[i].key);
	if (!fake_up) {
		conn_result_set(res, HTTP_TRANSIENT, 0, "timeout");
		return -1;
	}
	conn_result_set(res, HTTP_OK, 200, "OK");
	for (size_t i = 0; i < n; i++) {
		items[i].res = *res;
		snprintf(items[i].id, sizeof items[i].id, "T-%zu", i);
	}
	return 0;
}

static const conn_ops fake = { .service = "fake", .max_batch = 2, .write = fake_write };

/* ---- a one-entity mapping ------------------------------------------- */

static int
map_invoice(mw_ctx *c, mw_val r)
{
	mw_field(c, "Name", 1);
	mw_put(c, mw_get(c, r, "name", MW_STR, 0), 0);
	return mw_failed(c) ? -1 : 0;
}

static mw_val
key_invoice(mw_ctx *c, mw_val r)
{
	return mw_get(c, r, "id", MW_STR, 1);
}

static const mw_entity entities[] = {
	{ .name = "Invoice", .source = "invoices", .target = "Invoice", .key_field = "id",
	  .line = 1, .map = map_invoice, .key = key_invoice },
};

static const mw_program prog = {
	MW_ABI_VERSION, "0.1.0", "idem.map", "shop_fake",
	{ "shop", "shop", 0, NULL, 0, 0, 0, 0 },
	{ "fake", "fake", 0, NULL, 0, 0, 0, 0 },
	entities, 1, .currency = { .from = MW_RATES_NONE }
};

static void
run_open(run *r, const sync_opts *o)
{
	memset(r, 0, sizeof *r);
	r->p = &prog;
	r->o = o;
	if (state_open(o->state_path, &r->st) != 0) {
		printf("[FAIL] idem/open: %s\n", state_errmsg(r->st));
		exit(1);
	}
	r->c = rt_ctx_new();
	r->books_ops = r->store_ops = &fake; /* eng_begin_entity points r->to at it */
	r->cap = 2;
	r->slots = calloc(r->cap, sizeof *r->slots);
	r->tctl.r = r;
	r->tctl.o = o;
	brk_init(&r->tctl.brk, 5, 30000, 300000);
	if (!r->c || !r->slots)
		exit(1);
}

static int
journal_state(run *r, const char *key, const char *want)
{
	char js[16] = "";

	return state_journal_state(r->st, key, js, sizeof js) == 0 && !strcmp(js, want);
}

/* What 0.1.0 stored for these two records (hash128 of the record, its
 * state_journal_key and the request key "mw1-" + hash128("k1,k2,"), printed
 * by the 0.1.0 library); the record fingerprint did not change since. */
static const char *const rec[2] = {
	"{\"id\":\"INV-1\",\"name\":\"Ada\"}", "{\"id\":\"INV-2\",\"name\":\"Bob\"}"
};
static const char *const sid[2] = { "INV-1", "INV-2" };
static const char *const old_hash[2] = {
	"141ad57ff0a57f706805232ef86d6dfc", "595ad7b046922f60ed5a9a2276c1dbdd"
};
static const char *const old_key[2] = {
	"mw1-80ea8c907d7bd5bd0e4fbaad4edbef5b", "mw1-0a2c38df1c1e2d2da6914645654516fc"
};
static const char *const old_rkey = "mw1-6ad57f42f8423a8945ab521fd313c4fe";

int
main(void)
{
	char k[64], k2[64];

	/* SHA-256, FIPS 180-2's "abc" vector: one part is hashed as it is */
	const char *abc[1] = { "abc" };
	check(state_idem_key(abc, 1, k, sizeof k) == 0 &&
		!strcmp(k, "mw2-ba7816bf8f01cfea414140de5dae2223"), "sha256-vector-abc", k);
	/* the journal key: SHA-256 of "Order\0SO-1\0h" (coreutils sha256sum) */
	state_journal_key("Order", "SO-1", "h", k, sizeof k);
	check(!strcmp(k, "mw2-7aa77d43fc02e9894053d2d5aba81e51"), "sha256-vector-journal-key", k);
	state_journal_key("Order", "SO-1", "h", k2, sizeof k2);
	check(!strcmp(k, k2), "deterministic", k2);
	const char *ab_c[2] = { "ab", "c" }, *a_bc[2] = { "a", "bc" };
	state_idem_key(ab_c, 2, k, sizeof k);
	state_idem_key(a_bc, 2, k2, sizeof k2);
	check(strcmp(k, k2) != 0, "parts-unambiguous", k2);
	/* QuickBooks' batch requestid: 36; Intacct adds "-r1", QuickBooks "-sN" */
	check(strlen(k) == 36, "fits-every-target", k);
	check(state_idem_key(abc, 1, k, 36) == -1 && k[0] == '\0', "too-short-refused", k);

	/* ---- a state file as 0.1.0 left it: one request of two, pending ---- */
	char dir[] = "/tmp/mw-idem-XXXXXX", path[300];
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof path, "%s/state.db", dir);
	state *st;
	int rc = state_open(path, &st) != 0 || state_begin(st) != 0;
	for (int i = 0; i < 2 && !rc; i++) {
		const char *doc = i ? "{\"Name\":\"Bob\"}" : "{\"Name\":\"Ada\"}";
		state_write w = { old_key[i], "Invoice", sid[i], old_hash[i], old_rkey, i, doc,
			strlen(doc), NULL, NULL, rec[i], strlen(rec[i]), "2026-01-01T00:00:00Z", NULL, NULL };

		rc = state_journal_intent(st, &w);
	}
	check(!rc && state_commit(st) == 0, "old-state-written", state_errmsg(st));
	state_close(st);

	/* ---- upgraded, restarted; the target is still down ---- */
	FILE *err = tmpfile();
	sync_opts o = { .state_path = path, .once = 1, .max_wait_ms = 1, .log_level = 3,
		.out = stdout, .err = err ? err : stderr };
	run r;

	run_open(&r, &o);
	eng_begin_entity(&r, &entities[0]);
	/* the source lists INV-1 again, unchanged: it waits in the journal under
	 * 0.1.0's key, and must not go out again under a new one */
	eng_record(&r, rec[0], strlen(rec[0]), "2026-01-01T00:00:00Z");
	check(r.ns == 0 && r.n.pending == 1 && fake_calls == 0 && !r.fatal,
		"old-pending-version-found", "the record would be written again under a new key");
	check(state_journal_find(r.st, "Invoice", sid[0], old_hash[0], k, sizeof k, NULL, 0) == 0
		&& !strcmp(k, old_key[0]), "find-returns-stored-key", k);
	/* a re-drive while it is down: sent with 0.1.0's keys, still pending */
	check(eng_redrive(&r) == 0 && fake_calls >= 1 && !strcmp(fake_rkey, old_rkey) &&
		journal_state(&r, old_key[0], "pending"), "redrive-down-stays-pending", fake_rkey);

	/* ---- the target is back: the request goes out byte for byte ---- */
	fake_up = 1;
	fake_calls = 0;
	brk_init(&r.tctl.brk, 5, 30000, 300000);
	check(eng_redrive(&r) == 0 && fake_calls == 1, "redrive-sends-once", "");
	check(!strcmp(fake_rkey, old_rkey), "redrive-request-key-kept", fake_rkey);
	check(fake_n == 2 && !strcmp(fake_keys[0], old_key[0]) && !strcmp(fake_keys[1], old_key[1]),
		"redrive-item-keys-kept", fake_keys[0]);
	char tid[64], h[40];
	check(journal_state(&r, old_key[0], "done") && journal_state(&r, old_key[1], "done") &&
		state_xref_get(r.st, "Invoice", sid[1], tid, sizeof tid, h, sizeof h) == 0 &&
		!strcmp(tid, "T-1") && !strcmp(h, old_hash[1]), "redrive-recorded", tid);

	/* the same record listed again: unchanged (same fingerprint as 0.1.0) */
	eng_begin_entity(&r, &entities[0]);
	fake_calls = 0;
	eng_record(&r, rec[1], strlen(rec[1]), "2026-01-01T00:00:00Z");
	eng_flush(&r);
	check(r.n.unchanged == 1 && fake_calls == 0, "fingerprint-unchanged-by-upgrade", "");

	/* ---- new writes get SHA-256 keys ---- */
	const char *r3 = "{\"id\":\"INV-3\",\"name\":\"Cy\"}", *r4 = "{\"id\":\"INV-4\",\"name\":\"Di\"}";
	eng_record(&r, r3, strlen(r3), "2026-01-02T00:00:00Z");
	eng_record(&r, r4, strlen(r4), "2026-01-02T00:00:00Z");
	check(fake_calls == 1 && fake_n == 2, "new-batch-sent", "");
	char h3[40] = "", h4[40] = "", want3[64], want4[64], wantr[64];
	state_xref_get(r.st, "Invoice", "INV-3", tid, sizeof tid, h3, sizeof h3);
	state_xref_get(r.st, "Invoice", "INV-4", tid, sizeof tid, h4, sizeof h4);
	state_journal_key("Invoice", "INV-3", h3, want3, sizeof want3);
	state_journal_key("Invoice", "INV-4", h4, want4, sizeof want4);
	const char *pair[2] = { want3, want4 };
	state_idem_key(pair, 2, wantr, sizeof wantr);
	check(!strncmp(fake_keys[0], "mw2-", 4) && !strcmp(fake_keys[0], want3) &&
		!strcmp(fake_keys[1], want4), "new-item-keys-sha256", fake_keys[0]);
	check(!strcmp(fake_rkey, wantr), "new-request-key-sha256", fake_rkey);
	eng_close(&r);
	if (err)
		fclose(err);

	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	return failures ? 1 : 0;
}
