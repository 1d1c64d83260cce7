/*
 * test_conn_xero.c - the Xero connector's Items (runtime/conn/conn_xero.c)
 * against the sandbox (the binary in $MW_SANDBOX): an item written, created
 * tracked (both inventory accounts), a second of the same Code refused in
 * Xero's words; found by Code; listed whole, and by If-Modified-Since from
 * a cursor (only what changed since), each item's UpdatedDateUTC handed out
 * as an RFC 3339 UTC stamp; a bill raising QuantityOnHand moves the item
 * past the cursor; one item by id and by Code; an unknown one is a 404.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"
#include "sandbox.h"

#define CHECK_AREA "conn_xero"
#include "check.h"

static char root[128], base_url[160], token_url[160];

static const char *
setting(void *arg, const char *key)
{
	(void)arg;
	if (!strcmp(key, "base_url"))
		return base_url;
	if (!strcmp(key, "token_url"))
		return token_url;
	if (!strcmp(key, "client_id"))
		return "sandbox-client";
	if (!strcmp(key, "client_secret"))
		return "sandbox-secret";
	if (!strcmp(key, "tenant"))
		return "00000000-0000-4000-8000-00000000000a";
	return NULL;
}

/* What a listing handed out: the codes (joined by ",") and their stamps. */
typedef struct {
	char codes[1000], stamps[40][32], qty[40][32];
	size_t n;
} got;

static int
collect(void *arg, const char *json, size_t len, const char *stamp)
{
	got *g = arg;
	json_t *j = json_loadb(json, len, 0, NULL);
	const char *code = json_string_value(json_object_get(j, "Code"));
	size_t off = strlen(g->codes);
	snprintf(g->codes + off, sizeof g->codes - off, "%s%s", off ? "," : "", code ? code : "?");
	if (g->n < 40) {
		snprintf(g->stamps[g->n], sizeof g->stamps[0], "%s", stamp);
		snprintf(g->qty[g->n], sizeof g->qty[0], "%g",
			json_number_value(json_object_get(j, "QuantityOnHand")));
	}
	g->n++;
	json_decref(j);
	return 0;
}

/* Wait for the next second (stamps are whole seconds: a change after this
 * is stamped later than anything before); its RFC 3339 UTC stamp. */
static void
next_second(char *out, size_t cap)
{
	time_t t0 = time(NULL), t;
	struct tm tm;
	while ((t = time(NULL)) == t0) {
		struct timespec ts = { 0, 20000000L };
		nanosleep(&ts, NULL);
	}
	strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
}

int
main(void)
{
	const char *bin = getenv("MW_SANDBOX");
	if (!bin || !*bin) {
		printf("[FAIL] unit/conn_xero: MW_SANDBOX not set\n");
		return 1;
	}
	char dir[] = "/tmp/mw-conn-xero-XXXXXX", detail[4400];
	const char *const extra[] = { "--limit-scale", "100", NULL };
	pid_t pid;
	if (!mkdtemp(dir) || (pid = sb_start(bin, dir, extra, root, sizeof root)) < 0) {
		printf("[FAIL] unit/conn_xero: cannot start %s\n", bin);
		return 1;
	}
	snprintf(base_url, sizeof base_url, "%s/xero/api.xro/2.0", root);
	snprintf(token_url, sizeof token_url, "%s/xero/connect/token", root);
	conn_env env = { "xero", setting, NULL, NULL, NULL, NULL, 10000, NULL };
	const conn_ops *ops = &conn_xero;
	conn *c = NULL;
	conn_result res;
	int rc = ops->open(&env, &c, &res);
	check(rc == 0, "open", res.text);
	check(conn_can(ops, "Items", CONN_CAN_LIST) && conn_can(ops, "Item", CONN_CAN_WRITE) &&
	      conn_can(ops, "Invoices", CONN_CAN_LIST) && !conn_can(ops, "Contacts", CONN_CAN_LIST),
	      "caps", "conn_xero.caps");

	/* everything: the seeded catalogue, stamped */
	got all = { 0 };
	rc = ops->list(c, "Items", NULL, collect, &all, &res);
	snprintf(detail, sizeof detail, "rc %d: %s; %s", rc, all.codes, all.n ? all.stamps[0] : "");
	check(rc == 0 && all.n == 9 && strstr(all.codes, "MUG-01") && strlen(all.stamps[0]) == 20 &&
	      all.stamps[0][10] == 'T' && all.stamps[0][19] == 'Z', "list-all-stamped", detail);
	char cursor[32], later[32];
	next_second(cursor, sizeof cursor);

	/* a tracked item and a duplicate Code, in one request */
	conn_item its[2] = {
		sb_item("Item", "{\"Code\":\"STK-9\",\"Name\":\"Stocked\",\"InventoryAssetAccountCode\":"
			"\"630\",\"PurchaseDetails\":{\"COGSAccountCode\":\"310\"},\"SalesDetails\":"
			"{\"UnitPrice\":4.5,\"AccountCode\":\"200\"}}", "k-1"),
		sb_item("Item", "{\"Code\":\"MUG-01\",\"Name\":\"Mug again\"}", "k-1"),
	};
	rc = ops->write(c, "k-1", its, 2, &res);
	snprintf(detail, sizeof detail, "rc %d: %s %s / %s", rc, its[0].id, its[0].res.text,
		its[1].res.text);
	check(rc == 0 && its[0].res.cls == HTTP_OK && its[0].id[0], "item-created", detail);
	check(its[1].res.cls == HTTP_PERMANENT &&
	      !strcmp(its[1].res.text, "Price List Item with Code 'MUG-01' already exists"),
	      "item-code-once", detail);
	conn_found f;
	rc = conn_find_one(ops, c, "Item", "Code", "STK-9", &f, &res);
	check(rc == 0 && !strcmp(f.ids[0], its[0].id), "find-by-code", res.text);

	/* from a cursor after the seed: only the new item; a bill, a second
	 * later, moves it past a later cursor */
	got since = { 0 };
	rc = ops->list(c, "Items", cursor, collect, &since, &res);
	snprintf(detail, sizeof detail, "rc %d from %s: %s", rc, cursor, since.codes);
	check(rc == 0 && !strcmp(since.codes, "STK-9") && !strcmp(since.qty[0], "0"),
		"list-modified-since", detail);
	next_second(later, sizeof later);
	conn_item sup = sb_item("Contact", "{\"Name\":\"Supplier Ltd\"}", "k-2");
	ops->write(c, "k-2", &sup, 1, &res);
	conn_item bill = sb_item("Invoice", "{\"Type\":\"ACCPAY\",\"Status\":\"AUTHORISED\","
		"\"Contact\":{\"Name\":\"Supplier Ltd\"},\"LineItems\":[{\"ItemCode\":\"STK-9\","
		"\"Description\":\"in\",\"Quantity\":7,\"UnitAmount\":2,\"AccountCode\":\"630\"}]}",
		"k-3");
	ops->write(c, "k-3", &bill, 1, &res);
	got moved = { 0 };
	rc = ops->list(c, "Items", later, collect, &moved, &res);
	snprintf(detail, sizeof detail, "rc %d from %s: %s qty %s at %s (%s)", rc, later,
		moved.codes, moved.n ? moved.qty[0] : "-", moved.n ? moved.stamps[0] : "-",
		bill.res.text);
	check(rc == 0 && moved.n == 1 && !strcmp(moved.codes, "STK-9") &&
	      !strcmp(moved.qty[0], "7") && strcmp(moved.stamps[0], later) >= 0,
	      "bill-moves-item-past-cursor", detail);

	/* one item: by id, by Code; an unknown one is a 404 */
	got one = { 0 }, code = { 0 }, none = { 0 };
	rc = ops->get(c, "Items", its[0].id, collect, &one, &res);
	check(rc == 0 && !strcmp(one.codes, "STK-9"), "get-by-id", res.text);
	rc = ops->get(c, "Items", "STK-9", collect, &code, &res);
	check(rc == 0 && !strcmp(code.codes, "STK-9"), "get-by-code", res.text);
	rc = ops->get(c, "Items", "NOPE-9", collect, &none, &res);
	check(rc == -1 && res.cls == HTTP_PERMANENT && res.status == 404 && !none.n, "get-unknown",
		res.text);
	rc = ops->list(c, "Contacts", NULL, collect, &none, &res);
	check(rc == -1 && res.cls == HTTP_PERMANENT, "list-other-refused", res.text);

	/* invoices since a cursor, over pages of 100: 150 bills written after
	 * it (drafts: no stock moves), each handed out once, the bill above not */
	char inv_cursor[32];
	next_second(inv_cursor, sizeof inv_cursor);
	int written = 0;
	for (int b = 0; b < 3; b++) {
		conn_item bills[50];
		char docs[50][200], key[16];
		snprintf(key, sizeof key, "k-b%d", b);
		for (int i = 0; i < 50; i++) {
			snprintf(docs[i], sizeof docs[i], "{\"Type\":\"ACCPAY\",\"Status\":\"DRAFT\","
				"\"Contact\":{\"Name\":\"Supplier Ltd\"},\"InvoiceNumber\":\"B-%03d\","
				"\"LineItems\":[{\"Description\":\"x\",\"Quantity\":1,"
				"\"UnitAmount\":1,\"AccountCode\":\"630\"}]}", b * 50 + i);
			bills[i] = sb_item("Invoice", docs[i], key);
		}
		if (ops->write(c, key, bills, 50, &res) == 0)
			for (int i = 0; i < 50; i++)
				written += bills[i].res.cls == HTTP_OK;
	}
	got invs = { 0 };
	rc = ops->list(c, "Invoices", inv_cursor, collect, &invs, &res);
	snprintf(detail, sizeof detail, "rc %d: %zu invoices of %d written (%s)", rc, invs.n, written,
		res.text);
	check(rc == 0 && written == 150 && invs.n == 150, "invoices-paged-since-cursor", detail);
	got inv = { 0 };
	rc = ops->get(c, "Invoices", bill.id, collect, &inv, &res);
	check(rc == 0 && inv.n == 1, "get-invoice", res.text);

	ops->close(c);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	char cmd[200];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return failures ? 1 : 0;
}
