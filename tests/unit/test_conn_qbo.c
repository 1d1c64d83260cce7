/*
 * test_conn_qbo.c - the QuickBooks Online connector against the sandbox
 * binary named by MW_SANDBOX (started here on a free port): creates return
 * QuickBooks' Ids, a request key sent again writes nothing, max_batch is 30
 * (31 refused, split by the caller into 30 + 1), a batch answers item by
 * item, updates read the SyncToken, a duplicate DisplayName is adopted by
 * find() (also inside a batch), quotes in find(), a Fault kept word for word
 * as PERMANENT, a 503 classified HTTP_TRANSIENT, a 429 HTTP_RATE_LIMITED
 * with its Retry-After, a 401 after expire_tokens refreshed once and
 * retried, the rotated refresh token persisted in a state file and used by
 * the next process, voids (an invoice's, a payment's, invoices in a batch;
 * a paid invoice's and a credit memo's refused), a refund receipt, dry
 * runs that send nothing.  Inventory: an Inventory item without its
 * InvStartDate refused, a bill raising its QtyOnHand and an invoice
 * lowering it (its void giving it back), the item's change listed by
 * change data capture from a recent cursor and by the query from an old
 * one, none, or when more changed than one CDC answer holds (its pages),
 * stamps in UTC, get by Id and a 404 for none.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "conn.h"
#include "eng.h"
#include "sandbox.h"

#define CHECK_AREA "conn_qbo"
#include "check.h"

#define sandbox(m, p, b) sb_call(plain, root, (m), (p), (b))
#define item sb_item
static char root[128];
static http_client *plain;

/* The endpoint's settings, as the engine would hand them over. */
typedef struct {
	char base[200], token[200], refresh[200];
} settings;

static const char *
setting(void *arg, const char *key)
{
	settings *s = arg;
	if (!strcmp(key, "base_url"))
		return s->base;
	if (!strcmp(key, "token_url"))
		return s->token;
	if (!strcmp(key, "client_id"))
		return "sandbox-client";
	if (!strcmp(key, "client_secret"))
		return "sandbox-secret";
	if (!strcmp(key, "realm_id"))
		return "9130350000000001";
	if (!strcmp(key, "refresh_token"))
		return s->refresh[0] ? s->refresh : NULL;
	return NULL;
}

static size_t
count(const char *entity)
{
	json_t *d = sandbox("GET", "/_sandbox/dump?service=qbo", NULL);
	size_t n = json_array_size(json_object_get(d, entity));
	json_decref(d);
	return n;
}

static json_t *
stored(const char *entity, const char *id)
{
	json_t *d = sandbox("GET", "/_sandbox/dump?service=qbo", NULL), *x, *out = NULL;
	size_t i;
	json_array_foreach(json_object_get(d, entity), i, x)
		if (id && !strcmp(json_string_value(json_object_get(x, "Id")), id))
			out = json_incref(x);
	json_decref(d);
	return out;
}

/* Write one document; the TotalAmt QuickBooks stored for it, or -1 when it
 * was not written. */
static double
written_total(conn *c, conn_item *it)
{
	conn_result res;
	if (conn_qbo.write(c, it->key, it, 1, &res) != 0 || it->res.cls != HTTP_OK)
		return -1;
	json_t *x = stored(it->type, it->id);
	double t = x ? json_number_value(json_object_get(x, "TotalAmt")) : -1;
	json_decref(x);
	return t;
}

/* What list() and get() hand out: the texts and stamps, up to 64. */
typedef struct {
	char text[64][2048], stamp[64][32];
	size_t n;
} listed;

static int
collect(void *arg, const char *json, size_t len, const char *stamp)
{
	listed *l = arg;
	if (l->n < 64) {
		snprintf(l->text[l->n], sizeof l->text[0], "%.*s", (int)len, json);
		snprintf(l->stamp[l->n], sizeof l->stamp[0], "%s", stamp);
	}
	l->n++;
	return 0;
}

/* The listed text holding needle (NULL: none), and its stamp. */
static const char *
listed_with(const listed *l, const char *needle, const char **stamp)
{
	for (size_t i = 0; i < l->n && i < 64; i++)
		if (strstr(l->text[i], needle)) {
			*stamp = l->stamp[i];
			return l->text[i];
		}
	return NULL;
}

static double
qty_of(const char *id)
{
	json_t *x = stored("Item", id);
	double q = x ? json_number_value(json_object_get(x, "QtyOnHand")) : -1;
	json_decref(x);
	return q;
}

static void
utc_text(time_t t, char *out, size_t n)
{
	struct tm tm;
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
}

static void
check_inventory(conn *c, const char *cust_id)
{
	conn_result res;
	static listed l;
	const char *stamp = NULL;
	char doc[1024], since[32], old[32];
	conn_item bad = item("Item", "{\"Name\":\"INV-1\",\"Sku\":\"INV-1\",\"Type\":"
		"\"Inventory\",\"TrackQtyOnHand\":true,\"QtyOnHand\":10,\"IncomeAccountRef\":"
		"{\"value\":\"79\"},\"AssetAccountRef\":{\"value\":\"81\"},\"ExpenseAccountRef\":"
		"{\"value\":\"80\"}}", "aaaaaaaa-0000-4000-8000-000000000001");
	int rc = conn_qbo.write(c, bad.key, &bad, 1, &res);
	check(rc == 0 && bad.res.cls == HTTP_PERMANENT && strstr(bad.res.text, "InvStartDate"),
		"inventory-item-needs-start-date", bad.res.text);
	conn_item inv = item("Item", "{\"Name\":\"INV-1\",\"Sku\":\"INV-1\",\"Type\":"
		"\"Inventory\",\"TrackQtyOnHand\":true,\"QtyOnHand\":10,\"InvStartDate\":"
		"\"2026-01-01\",\"IncomeAccountRef\":{\"value\":\"79\"},\"AssetAccountRef\":"
		"{\"value\":\"81\"},\"ExpenseAccountRef\":{\"value\":\"80\"},\"UnitPrice\":4}",
		"aaaaaaaa-0000-4000-8000-000000000002");
	rc = conn_qbo.write(c, inv.key, &inv, 1, &res);
	check(rc == 0 && inv.res.cls == HTTP_OK && qty_of(inv.id) == 10, "inventory-item",
		inv.res.text);
	utc_text(time(NULL) - 2, since, sizeof since);
	utc_text(time(NULL) - 40 * 86400, old, sizeof old);

	/* a bill entered in QuickBooks: 5 more on hand */
	json_t *v = sandbox("POST", "/_sandbox/documents?service=qbo&collection=Vendor",
		"{\"DisplayName\":\"Acme Supply\"}\n");
	snprintf(doc, sizeof doc, "{\"VendorRef\":{\"value\":\"%s\"},\"Line\":[{\"Amount\":20,"
		"\"DetailType\":\"ItemBasedExpenseLineDetail\",\"ItemBasedExpenseLineDetail\":"
		"{\"ItemRef\":{\"value\":\"%s\"},\"Qty\":5,\"UnitPrice\":4}}]}\n",
		json_string_value(json_array_get(json_object_get(v, "ids"), 0)), inv.id);
	json_decref(v);
	json_decref(sandbox("POST", "/_sandbox/documents?service=qbo&collection=Bill", doc));
	check(qty_of(inv.id) == 15, "bill-raises-qty-on-hand", inv.id);

	/* an invoice sells 3, its void gives them back */
	snprintf(doc, sizeof doc, "{\"CustomerRef\":{\"value\":\"%s\"},\"Line\":[{\"DetailType\":"
		"\"SalesItemLineDetail\",\"Amount\":12,\"SalesItemLineDetail\":{\"ItemRef\":"
		"{\"value\":\"%s\"},\"Qty\":3,\"UnitPrice\":4}}]}", cust_id, inv.id);
	conn_item sale = item("Invoice", doc, "aaaaaaaa-0000-4000-8000-000000000003");
	rc = conn_qbo.write(c, sale.key, &sale, 1, &res);
	check(rc == 0 && sale.res.cls == HTTP_OK && qty_of(inv.id) == 12, "invoice-lowers-qty",
		sale.res.text);
	conn_item vo = item("Invoice", "{}", "aaaaaaaa-0000-4000-8000-000000000004");
	vo.op = CONN_OP_VOID;
	vo.target_id = sale.id;
	rc = conn_qbo.write(c, vo.key, &vo, 1, &res);
	check(rc == 0 && vo.res.cls == HTTP_OK && qty_of(inv.id) == 15, "void-gives-qty-back",
		vo.res.text);
	/* the item changed under the bill and the invoice: an update reads the
	 * SyncToken it has now */
	conn_item up = item("Item", "{\"UnitPrice\":4.5}", "aaaaaaaa-0000-4000-8000-000000000005");
	up.target_id = inv.id;
	rc = conn_qbo.write(c, up.key, &up, 1, &res);
	check(rc == 0 && up.res.cls == HTTP_OK && qty_of(inv.id) == 15, "item-update-current-sync",
		up.res.text);

	/* change data capture from a recent cursor: the item, stamped in UTC */
	l.n = 0;
	rc = conn_qbo.list(c, "Item", since, collect, &l, &res);
	const char *t = listed_with(&l, "\"Name\":\"INV-1\"", &stamp);
	check(rc == 0 && strstr(res.text, "cdc") && t && strstr(t, "\"QtyOnHand\":15") && stamp &&
		strlen(stamp) == 20 && stamp[19] == 'Z' && strcmp(stamp, since) >= 0,
		"list-item-cdc", res.text);
	l.n = 0;
	rc = conn_qbo.list(c, "Invoice", since, collect, &l, &res);
	check(rc == 0 && listed_with(&l, sale.id, &stamp), "list-invoice-cdc", res.text);
	/* older than CDC reaches, or no cursor: the query, every item */
	l.n = 0;
	rc = conn_qbo.list(c, "Item", old, collect, &l, &res);
	check(rc == 0 && strstr(res.text, "query") && l.n == count("Item") && l.n >= 2,
		"list-item-old-cursor-query", res.text);
	l.n = 0;
	rc = conn_qbo.list(c, "Item", NULL, collect, &l, &res);
	check(rc == 0 && strstr(res.text, "query") && l.n == count("Item"), "list-item-all",
		res.text);
	rc = conn_qbo.list(c, "Customer", NULL, collect, &l, &res);
	check(rc == -1 && res.cls == HTTP_PERMANENT, "list-customer-refused", res.text);

	/* more changes than one CDC answer holds (1000): the query, page by page */
	size_t cap = 1000 * 40 + 1, at = 0;
	char *many = malloc(cap);
	for (int i = 0; many && i < 1000; i++)
		at += (size_t)snprintf(many + at, cap - at, "{\"Name\":\"BULK-%04d\"}\n", i);
	if (many)
		json_decref(sandbox("POST", "/_sandbox/documents?service=qbo&collection=Item", many));
	free(many);
	l.n = 0;
	rc = conn_qbo.list(c, "Item", since, collect, &l, &res);
	snprintf(doc, sizeof doc, "rc %d, %zu of %zu: %.200s", rc, l.n, count("Item"), res.text);
	check(rc == 0 && strstr(res.text, "query") && l.n == count("Item") && l.n > 1000,
		"list-item-full-cdc-query-pages", doc);

	l.n = 0;
	rc = conn_qbo.get(c, "Item", inv.id, collect, &l, &res);
	check(rc == 0 && l.n == 1 && strstr(l.text[0], "\"QtyOnHand\":15") &&
		l.text[0][0] == '{' && l.stamp[0][19] == 'Z', "get-item", res.text);
	rc = conn_qbo.get(c, "Item", "999999", collect, &l, &res);
	check(rc == -1 && res.cls == HTTP_PERMANENT && res.status == 404, "get-item-not-found",
		res.text);
}

/* exchangerate: the company's rate of a day, the latest on or before it;
 * none is 1 (the record waits); a rate entered is read exactly */
static void
check_rates(conn *c)
{
	mw_dec rate;
	char asof[11], txt[DEC_BUF];
	conn_result res;
	int rc;

	rc = conn_qbo.rate(c, "EUR", "USD", "2026-11-05", &rate, asof, &res);
	check(rc == 0 && !strcmp(asof, "2026-11-05") && rate.units > 0, "rate-seeded", res.text);
	json_decref(sandbox("POST", "/_sandbox/documents?service=qbo&collection=ExchangeRate",
		"{\"SourceCurrencyCode\":\"CHF\",\"AsOfDate\":\"2026-11-02\",\"Rate\":1.13725}"));
	rc = conn_qbo.rate(c, "CHF", "USD", "2026-11-05", &rate, asof, &res);
	dec_format(rate, txt);
	check(rc == 0 && !strcmp(asof, "2026-11-02") && !strcmp(txt, "1.13725"),
		"rate-latest-before-exact", rc == 0 ? txt : res.text);
	rc = conn_qbo.rate(c, "CHF", "USD", "2026-11-01", &rate, asof, &res);
	check(rc == 1, "rate-none-before", res.text);
	rc = conn_qbo.rate(c, "SEK", "USD", "2026-11-05", &rate, asof, &res);
	check(rc == 1, "rate-currency-without-rates", res.text);
	rc = conn_qbo.rate(c, "EUR", "GBP", "2026-11-05", &rate, asof, &res);
	check(rc == -1 && res.cls == HTTP_PERMANENT && strstr(res.text, "base currency is GBP"),
		"rate-other-home-refused", res.text);
}

static void
dump_refresh(char *out, size_t n)
{
	json_t *d = sandbox("GET", "/_sandbox/dump?service=qbo", NULL);
	snprintf(out, n, "%s", json_string_value(json_object_get(d, "refresh_token")));
	json_decref(d);
}

int
main(void)
{
	const char *exe = getenv("MW_SANDBOX");
	if (!exe || !*exe) {
		printf("[FAIL] unit/conn_qbo: MW_SANDBOX not set\n");
		return 1;
	}
	char dir[] = "/tmp/mw-qbo-XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	pid_t pid = sb_start(exe, dir, NULL, root, sizeof root);
	if (pid < 0 || http_client_new(&plain, "test", 16u << 20) != 0) {
		printf("[FAIL] unit/conn_qbo: the sandbox did not start (%s)\n", exe);
		return 1;
	}
	char path[300], buf[512], first_rt[200], now_rt[200];
	snprintf(path, sizeof path, "%s/state.db", dir);
	state *st;
	check(state_open(path, &st) == 0, "state-open", st ? state_errmsg(st) : "no handle");

	settings s;
	memset(&s, 0, sizeof s);
	snprintf(s.base, sizeof s.base, "%s/qbo", root);
	snprintf(s.token, sizeof s.token, "%s/qbo/oauth2/v1/tokens/bearer", root);
	dump_refresh(first_rt, sizeof first_rt);
	snprintf(s.refresh, sizeof s.refresh, "%s", first_rt);
	conn_token_store ts = eng_tokens(st);
	conn_env env = { "qbo", setting, &s, &ts, NULL, NULL, 10000, NULL };
	const conn_ops *ops = conn_find_ops("qbo");
	check(ops && ops == &conn_qbo && ops->max_batch == 30, "registry-max-batch-30", "");
	conn *c;
	conn_result res;
	int rc = conn_qbo.open(&env, &c, &res);
	check(rc == 0, "open-refreshes", res.text);

	/* rotation: the state holds the new refresh token, the sandbox's current one */
	char a[4096], r[4096];
	int64_t exp = 0;
	dump_refresh(now_rt, sizeof now_rt);
	rc = state_token_load(st, "qbo", a, sizeof a, r, sizeof r, &exp);
	check(rc == 0 && !strcmp(r, now_rt) && strcmp(r, first_rt) != 0 && exp > time(NULL),
		"rotated-refresh-saved", r);

	/* creates, one document a request */
	conn_item it = item("Item", "{\"Name\":\"SKU-1\",\"Type\":\"NonInventory\","
		"\"IncomeAccountRef\":{\"value\":\"79\"},\"UnitPrice\":19.99}",
		"11111111-1111-4111-8111-111111111111");
	rc = conn_qbo.write(c, it.key, &it, 1, &res);
	check(rc == 0 && it.res.cls == HTTP_OK && it.id[0], "create-item", it.res.text);
	char item_id[CONN_ID_MAX];
	snprintf(item_id, sizeof item_id, "%s", it.id);
	json_t *x = stored("Item", item_id);
	check(x && !strcmp(json_string_value(json_object_get(x, "Name")), "SKU-1"),
		"create-item-stored", item_id);
	json_decref(x);

	conn_item cu = item("Customer", "{\"DisplayName\":\"Ada Lovelace (1)\"}",
		"22222222-2222-4222-8222-222222222222");
	cu.match_field = "DisplayName";
	cu.match_value = "Ada Lovelace (1)";
	rc = conn_qbo.write(c, cu.key, &cu, 1, &res);
	check(rc == 0 && cu.res.cls == HTTP_OK && cu.id[0] && strcmp(cu.id, item_id),
		"create-customer", cu.res.text);
	char cust_id[CONN_ID_MAX];
	snprintf(cust_id, sizeof cust_id, "%s", cu.id);

	char doc[1024];
	snprintf(doc, sizeof doc, "{\"CustomerRef\":{\"value\":\"%s\"},\"DocNumber\":\"1001\","
		"\"Line\":[{\"DetailType\":\"SalesItemLineDetail\",\"Amount\":39.98,"
		"\"SalesItemLineDetail\":{\"ItemRef\":{\"value\":\"%s\"},\"Qty\":2,"
		"\"UnitPrice\":19.99}}]}", cust_id, item_id);
	conn_item sr = item("SalesReceipt", doc, "33333333-3333-4333-8333-333333333333");
	double total = written_total(c, &sr);
	check(total > 39.97 && total < 39.99, "create-salesreceipt", sr.res.text);

	check_inventory(c, cust_id);
	check_rates(c);

	/* the same request key again: answered from the first write */
	size_t before = count("SalesReceipt");
	conn_item again = item("SalesReceipt", doc, sr.key);
	rc = conn_qbo.write(c, again.key, &again, 1, &res);
	check(rc == 0 && !strcmp(again.id, sr.id) && count("SalesReceipt") == before,
		"request-key-replayed", again.id);

	/* a Fault is the item's, word for word, PERMANENT */
	conn_item bad = item("SalesReceipt", "{\"CustomerRef\":{\"value\":\"99999\"},\"Line\":[]}",
		"44444444-4444-4444-8444-444444444444");
	rc = conn_qbo.write(c, bad.key, &bad, 1, &res);
	check(rc == 0 && bad.res.cls == HTTP_PERMANENT && bad.res.status == 400 &&
		strstr(bad.res.text, "2500") && strstr(bad.res.text, "Invalid Reference Id"),
		"fault-permanent-kept", bad.res.text);

	/* a batch: three customers, one of them a duplicate name (adopted) */
	conn_item b[31];
	char docs[31][128], keys[31][48], names[31][64];
	for (int i = 0; i < 31; i++) {
		snprintf(names[i], sizeof names[i], "Batch Customer %d", i);
		snprintf(docs[i], sizeof docs[i], "{\"DisplayName\":\"%s\"}", names[i]);
		snprintf(keys[i], sizeof keys[i], "55555555-5555-4555-8555-5555555555%02d", i);
		b[i] = item("Customer", docs[i], keys[i]);
		b[i].match_field = "DisplayName";
		b[i].match_value = names[i];
	}
	conn_item trio[3] = { b[0], b[1], item("Customer", "{\"DisplayName\":\"Ada Lovelace (1)\"}",
		"-") };
	trio[2].match_field = "DisplayName";
	trio[2].match_value = "Ada Lovelace (1)";
	before = count("Customer");
	rc = conn_qbo.write(c, "66666666-6666-4666-8666-666666666666", trio, 3, &res);
	check(rc == 0 && trio[0].res.cls == HTTP_OK && trio[1].res.cls == HTTP_OK && trio[0].id[0] &&
		strcmp(trio[0].id, trio[1].id) && count("Customer") == before + 2, "batch-create",
		trio[0].res.text);
	check(trio[2].res.cls == HTTP_OK && !strcmp(trio[2].id, cust_id), "batch-duplicate-adopted",
		trio[2].res.text);
	conn_item trio2[3] = { b[0], b[1], trio[2] };
	trio2[2].id[0] = '\0';
	rc = conn_qbo.write(c, "66666666-6666-4666-8666-666666666666", trio2, 3, &res);
	check(rc == 0 && !strcmp(trio2[0].id, trio[0].id) && !strcmp(trio2[1].id, trio[1].id) &&
		count("Customer") == before + 2, "batch-request-key-replayed", trio2[0].id);

	/* 31 is more than one request may carry; the caller splits 30 + 1 */
	before = count("Customer");
	rc = conn_qbo.write(c, "77777777-7777-4777-8777-777777777777", b, 31, &res);
	check(rc == -1 && res.cls == HTTP_PERMANENT && count("Customer") == before,
		"batch-31-refused", res.text);
	/* b[0], b[1] exist: 29 new in the 30, and b[30] alone */
	rc = conn_qbo.write(c, "88888888-8888-4888-8888-888888888888", b, 30, &res);
	int all = rc == 0;
	for (int i = 0; i < 30; i++)
		all &= b[i].res.cls == HTTP_OK && b[i].id[0];
	rc = conn_qbo.write(c, "99999999-9999-4999-8999-999999999999", b + 30, 1, &res);
	check(all && rc == 0 && b[30].res.cls == HTTP_OK && count("Customer") == before + 29,
		"batch-split-30-1", b[29].res.text);
	check(!strcmp(b[0].id, trio[0].id), "batch-existing-adopted", b[0].id);

	/* updates: the SyncToken is read, a sparse update sent (twice: 0, then 1) */
	const char *upd_docs[] = { "{\"Notes\":\"first update\"}", "{\"Notes\":\"second update\"}" };
	const char *notes[] = { "first update", "second update" };
	const char *upd_keys[] = { "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaa1",
		"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaa2" };
	for (int i = 0; i < 2; i++) {
		conn_item u = item("Customer", upd_docs[i], upd_keys[i]);
		u.target_id = cust_id;
		rc = conn_qbo.write(c, u.key, &u, 1, &res);
		x = stored("Customer", cust_id);
		snprintf(buf, sizeof buf, "%d", i + 1);
		check(rc == 0 && u.res.cls == HTTP_OK && !strcmp(u.id, cust_id) && x &&
			!strcmp(json_string_value(json_object_get(x, "SyncToken")), buf) &&
			!strcmp(json_string_value(json_object_get(x, "Notes")), notes[i]) &&
			!strcmp(json_string_value(json_object_get(x, "DisplayName")),
			"Ada Lovelace (1)"), i ? "update-synctoken-1" : "update-synctoken-0",
			u.res.text);
		json_decref(x);
	}
	/* an update in a batch, next to a create */
	conn_item mix[2] = { item("Customer", "{\"Notes\":\"batch update\"}",
		"bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbb1"), item("Customer",
		"{\"DisplayName\":\"Mixed Batch New\"}", "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbb2") };
	mix[0].target_id = cust_id;
	rc = conn_qbo.write(c, "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb", mix, 2, &res);
	x = stored("Customer", cust_id);
	check(rc == 0 && mix[0].res.cls == HTTP_OK && mix[1].res.cls == HTTP_OK && x &&
		!strcmp(json_string_value(json_object_get(x, "SyncToken")), "3"), "batch-update",
		mix[0].res.text);
	json_decref(x);

	/* voids: an invoice by ?operation=void with the SyncToken read first; one
	 * with a payment applied refused in QuickBooks' words; a payment by
	 * ?operation=update&include=void, which reopens its invoice; invoices
	 * in a batch (update + optionsData void); a credit memo has no void */
	char inv[2][CONN_ID_MAX], pay_doc[512];
	for (int i = 0; i < 2; i++) {
		char k[48];
		snprintf(doc, sizeof doc, "{\"CustomerRef\":{\"value\":\"%s\"},\"PrivateNote\":"
			"\"order %d\",\"Line\":[{\"DetailType\":\"SalesItemLineDetail\",\"Amount\":"
			"19.99,\"SalesItemLineDetail\":{\"ItemRef\":{\"value\":\"%s\"},\"Qty\":1,"
			"\"UnitPrice\":19.99}}]}", cust_id, i, item_id);
		snprintf(k, sizeof k, "16161616-1616-4161-8161-16161616161%d", i);
		conn_item iv = item("Invoice", doc, k);
		conn_qbo.write(c, iv.key, &iv, 1, &res);
		snprintf(inv[i], sizeof inv[i], "%s", iv.id);
	}
	snprintf(pay_doc, sizeof pay_doc, "{\"CustomerRef\":{\"value\":\"%s\"},\"TotalAmt\":"
		"19.99,\"Line\":[{\"Amount\":19.99,\"LinkedTxn\":[{\"TxnId\":\"%s\",\"TxnType\":"
		"\"Invoice\"}]}]}", cust_id, inv[0]);
	conn_item pay = item("Payment", pay_doc, "17171717-1717-4171-8171-171717171717");
	rc = conn_qbo.write(c, pay.key, &pay, 1, &res);
	x = stored("Invoice", inv[0]);
	check(rc == 0 && pay.res.cls == HTTP_OK && x &&
		json_number_value(json_object_get(x, "Balance")) == 0, "payment-linked", pay.res.text);
	json_decref(x);
	conn_item v0 = item("Invoice", doc, "18181818-1818-4181-8181-181818181818");
	v0.op = CONN_OP_VOID;
	v0.target_id = inv[0];
	rc = conn_qbo.write(c, v0.key, &v0, 1, &res);
	check(rc == 0 && v0.res.cls == HTTP_PERMANENT && strstr(v0.res.text, "Fault 6000") &&
		strstr(v0.res.text, "payments or credits applied"), "void-paid-invoice-refused",
		v0.res.text);
	conn_item vp = item("Payment", pay_doc, "19191919-1919-4191-8191-191919191919");
	vp.op = CONN_OP_VOID;
	vp.target_id = pay.id;
	rc = conn_qbo.write(c, vp.key, &vp, 1, &res);
	x = stored("Invoice", inv[0]);
	json_t *xp = stored("Payment", pay.id);
	check(rc == 0 && vp.res.cls == HTTP_OK && !strcmp(vp.id, pay.id) && xp &&
		json_number_value(json_object_get(xp, "TotalAmt")) == 0 &&
		!strcmp(json_string_value(json_object_get(xp, "PrivateNote")), "Voided") && x &&
		json_number_value(json_object_get(x, "Balance")) > 19.98, "void-payment", vp.res.text);
	json_decref(x);
	json_decref(xp);
	/* inv[0] was updated by the payment and its void: SyncToken 0 is stale now */
	conn_item vb[3] = { item("Invoice", doc, "-"), item("Invoice", doc, "-"),
		item("CreditMemo", doc, "-") };
	for (int i = 0; i < 2; i++) {
		vb[i].op = CONN_OP_VOID;
		vb[i].target_id = inv[i];
	}
	rc = conn_qbo.write(c, "20202020-2020-4202-8202-202020202020", vb, 2, &res);
	int voided = rc == 0;
	for (int i = 0; i < 2; i++) {
		x = stored("Invoice", inv[i]);
		snprintf(buf, sizeof buf, "Voided - order %d", i);
		voided &= vb[i].res.cls == HTTP_OK && !strcmp(vb[i].id, inv[i]) && x &&
			json_number_value(json_object_get(x, "TotalAmt")) == 0 &&
			!strcmp(json_string_value(json_object_get(x, "PrivateNote")), buf);
		json_decref(x);
	}
	check(voided, "void-invoices-batch", vb[0].res.text);
	vb[2].op = CONN_OP_VOID;
	vb[2].target_id = inv[0];
	rc = conn_qbo.write(c, "21212121-2121-4212-8212-212121212121", vb + 2, 1, &res);
	check(rc == 0 && vb[2].res.cls == HTTP_PERMANENT && strstr(vb[2].res.text, "no void") &&
		!vb[2].id[0], "void-credit-memo-refused", vb[2].res.text);
	/* a refund receipt: written as any document */
	snprintf(doc, sizeof doc, "{\"CustomerRef\":{\"value\":\"%s\"},\"DepositToAccountRef\":"
		"{\"value\":\"35\"},\"Line\":[{\"DetailType\":\"SalesItemLineDetail\",\"Amount\":"
		"5.00,\"SalesItemLineDetail\":{\"ItemRef\":{\"value\":\"%s\"}}}]}", cust_id, item_id);
	conn_item rr = item("RefundReceipt", doc, "22222222-2222-4222-8222-222222222223");
	check(written_total(c, &rr) == 5, "refund-receipt", rr.res.text);

	/* a duplicate name created alone is adopted, and nothing is added */
	before = count("Customer");
	conn_item dup = item("Customer", "{\"DisplayName\":\"Ada Lovelace (1)\"}",
		"cccccccc-cccc-4ccc-8ccc-cccccccccccc");
	dup.match_field = "DisplayName";
	dup.match_value = "Ada Lovelace (1)";
	rc = conn_qbo.write(c, dup.key, &dup, 1, &res);
	check(rc == 0 && dup.res.cls == HTTP_OK && !strcmp(dup.id, cust_id) &&
		count("Customer") == before, "duplicate-adopted", dup.res.text);

	/* find: quotes and backslashes escaped; none found */
	conn_item q = item("Customer", "{\"DisplayName\":\"O'Hara \\\\ Sons\"}",
		"dddddddd-dddd-4ddd-8ddd-dddddddddddd");
	conn_qbo.write(c, q.key, &q, 1, &res);
	conn_found fd;
	rc = conn_find_one(&conn_qbo, c, "Customer", "DisplayName", "O'Hara \\ Sons", &fd, &res);
	check(rc == 0 && q.id[0] && fd.n == 1 && !strcmp(fd.ids[0], q.id), "find-escaped",
		fd.ids[0]);
	rc = conn_find_one(&conn_qbo, c, "Customer", "DisplayName", "Nobody's Here", &fd, &res);
	check(rc == 1 && fd.n == 0, "find-none", res.text);
	rc = conn_find_one(&conn_qbo, c, "Customer", "DisplayName' or 1=1", "x", &fd, &res);
	check(rc == -1 && res.cls == HTTP_PERMANENT, "find-field-checked", res.text);
	/* two customers already in the company with one e-mail address: several */
	json_t *placed = sandbox("POST", "/_sandbox/documents?service=qbo&collection=Customer",
		"{\"DisplayName\":\"Twin A\",\"PrimaryEmailAddr\":{\"Address\":\"t@x.test\"}}\n"
		"{\"DisplayName\":\"Twin B\",\"PrimaryEmailAddr\":{\"Address\":\"t@x.test\"}}\n");
	rc = conn_find_one(&conn_qbo, c, "Customer", "PrimaryEmailAddr", "t@x.test", &fd, &res);
	check(rc == 2 && fd.n == 2 && !strcmp(fd.ids[0], json_string_value(json_array_get(
		json_object_get(placed, "ids"), 0))) && !strcmp(fd.ids[1], json_string_value(
		json_array_get(json_object_get(placed, "ids"), 1))), "find-several", res.text);
	/* the batch form: three values in one query (IN), each its own answer */
	conn_find_item fb[3] = { { .value = "O'Hara \\ Sons" }, { .value = "Nobody's Here" },
		{ .value = "Ada Lovelace (1)" } };
	rc = conn_qbo.find(c, "Customer", "DisplayName", fb, 3, &res);
	check(rc == 0 && fb[0].rc == 0 && !strcmp(fb[0].found.ids[0], q.id) && fb[1].rc == 1 &&
		fb[2].rc == 0 && !strcmp(fb[2].found.ids[0], cust_id), "find-batch", res.text);
	conn_find_item fe[2] = { { .value = "t@x.test" }, { .value = "none@x.test" } };
	rc = conn_qbo.find(c, "Customer", "PrimaryEmailAddr", fe, 2, &res);
	check(rc == 0 && fe[0].rc == 2 && fe[0].found.n == 2 && fe[1].rc == 1,
		"find-batch-several", res.text);
	json_decref(placed);

	/* a 503: HTTP_TRANSIENT, nothing known written; the same key then writes once */
	json_decref(sandbox("POST", "/_sandbox/faults", "{\"service\":\"qbo\",\"fail_5xx\":1}"));
	before = count("Customer");
	conn_item t5 = item("Customer", "{\"DisplayName\":\"After 503\"}",
		"eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee");
	rc = conn_qbo.write(c, t5.key, &t5, 1, &res);
	check(rc == -1 && res.cls == HTTP_TRANSIENT && res.status == 503 &&
		t5.res.cls == HTTP_TRANSIENT && count("Customer") == before, "503-transient",
		http_class_name(res.cls));
	rc = conn_qbo.write(c, t5.key, &t5, 1, &res);
	check(rc == 0 && t5.res.cls == HTTP_OK && count("Customer") == before + 1,
		"503-then-written", t5.res.text);

	/* a 429 on a batch: RATE_LIMITED with Retry-After, every item told so */
	json_decref(sandbox("POST", "/_sandbox/faults", "{\"service\":\"qbo\",\"rate_429\":1}"));
	conn_item rl[2] = { item("Customer", "{\"DisplayName\":\"Throttled 1\"}", "r1"),
		item("Customer", "{\"DisplayName\":\"Throttled 2\"}", "r2") };
	rc = conn_qbo.write(c, "15151515-1515-4151-8151-151515151515", rl, 2, &res);
	check(rc == -1 && res.cls == HTTP_RATE_LIMITED && res.retry_after_ms == 1000 &&
		rl[1].res.cls == HTTP_RATE_LIMITED, "429-rate-limited", res.text);

	/* classify: a Fault 5010 is transient, 3200 auth, a validation Fault permanent */
	http_response fr = { 400, "{\"Fault\":{\"Error\":[{\"Message\":\"Stale Object Error\","
		"\"Detail\":\"Stale\",\"code\":\"5010\"}],\"type\":\"ValidationFault\"}}", 0, -1, -1,
		-1, "" };
	fr.body_len = strlen(fr.body);
	check(conn_qbo.classify(c, 0, &fr, &res) == HTTP_TRANSIENT && strstr(res.text, "5010"),
		"classify-5010", res.text);
	fr.body = "{\"Fault\":{\"Error\":[{\"Message\":\"message=AuthenticationFailed\","
		"\"code\":\"3200\"}],\"type\":\"AUTHENTICATION\"}}";
	fr.body_len = strlen(fr.body);
	fr.status = 401;
	check(conn_qbo.classify(c, 0, &fr, &res) == HTTP_AUTH, "classify-3200", res.text);
	fr.body = "{\"Fault\":{\"Error\":[{\"Message\":\"Duplicate Name Exists Error\","
		"\"code\":\"6240\"}],\"type\":\"ValidationFault\"}}";
	fr.body_len = strlen(fr.body);
	fr.status = 400;
	check(conn_qbo.classify(c, 0, &fr, &res) == HTTP_PERMANENT &&
		strstr(res.text, "Duplicate Name Exists Error"), "classify-validation", res.text);

	/* tokens revoked: the 401 refreshes once, retries, and the new refresh
	 * token is in the state file */
	char before_rt[4096];
	state_token_load(st, "qbo", a, sizeof a, before_rt, sizeof before_rt, &exp);
	json_decref(sandbox("POST", "/_sandbox/faults", "{\"service\":\"qbo\",\"expire_tokens\":1}"));
	conn_item ex = item("Customer", "{\"DisplayName\":\"After Expiry\"}",
		"ffffffff-ffff-4fff-8fff-ffffffffffff");
	rc = conn_qbo.write(c, ex.key, &ex, 1, &res);
	dump_refresh(now_rt, sizeof now_rt);
	state_token_load(st, "qbo", a, sizeof a, r, sizeof r, &exp);
	check(rc == 0 && ex.res.cls == HTTP_OK && strcmp(r, before_rt) && !strcmp(r, now_rt),
		"401-refresh-retry-persisted", ex.res.text);
	conn_qbo.close(c);
	state_close(st);

	/* the next process: a stale refresh token in the settings, the state's is used */
	state_open(path, &st);
	ts = eng_tokens(st);
	snprintf(s.refresh, sizeof s.refresh, "%s", first_rt);
	json_decref(sandbox("POST", "/_sandbox/faults", "{\"service\":\"qbo\",\"expire_tokens\":1}"));
	rc = conn_qbo.open(&env, &c, &res);
	conn_item nx = item("Customer", "{\"DisplayName\":\"Next Process\"}",
		"12121212-1212-4121-8121-121212121212");
	if (rc == 0)
		rc = conn_qbo.write(c, nx.key, &nx, 1, &res);
	check(rc == 0 && nx.res.cls == HTTP_OK, "state-token-used-next-run", res.text);
	conn_qbo.close(c);
	state_close(st);

	/* no state store: the token lives in memory */
	env.tokens = NULL;
	dump_refresh(s.refresh, sizeof s.refresh);
	rc = conn_qbo.open(&env, &c, &res);
	check(rc == 0 && conn_qbo.auth(c, &res) == 0, "no-state-in-memory", res.text);
	conn_qbo.close(c);

	/* dry run: open touches nothing, write prints and sends nothing */
	char out[8192] = "";
	FILE *dr = fmemopen(out, sizeof out - 1, "w");
	settings off = s;
	snprintf(off.base, sizeof off.base, "http://127.0.0.1:1/qbo");
	snprintf(off.token, sizeof off.token, "http://127.0.0.1:1/token");
	conn_env denv = { "qbo", setting, &off, NULL, dr, NULL, 2000, NULL };
	rc = conn_qbo.open(&denv, &c, &res);
	before = count("Customer");
	conn_item d1 = item("Customer", "{\"DisplayName\":\"Dry\"}",
		"13131313-1313-4131-8131-131313131313");
	conn_item d2[2] = { item("Customer", "{\"DisplayName\":\"Dry 2\"}", "k"),
		item("Customer", "{\"Notes\":\"n\"}", "k2") };
	d2[1].target_id = "7";
	int rc1 = rc == 0 ? conn_qbo.write(c, d1.key, &d1, 1, &res) : -1;
	int rc2 = rc == 0 ? conn_qbo.write(c, "14141414-1414-4141-8141-141414141414", d2, 2, &res)
		: -1;
	conn_item d3 = item("Invoice", "{}", "23232323-2323-4232-8232-232323232323");
	d3.op = CONN_OP_VOID;
	d3.target_id = "8";
	int rc3 = rc == 0 ? conn_qbo.write(c, d3.key, &d3, 1, &res) : -1;
	fclose(dr);
	check(rc3 == 0 && !strcmp(d3.id, "dry-run") && strstr(out, "/invoice?operation=void&"
		"requestid=23232323") && strstr(out, "{\"Id\":\"8\",\"SyncToken\":\"(current)\"}"),
		"dry-run-void", out);
	check(rc == 0 && rc1 == 0 && rc2 == 0 && !strcmp(d1.id, "dry-run") &&
		!strcmp(d2[1].id, "dry-run") && count("Customer") == before &&
		strstr(out, "POST http://127.0.0.1:1/qbo/v3/company/9130350000000001/customer?"
		"requestid=13131313-1313-4131-8131-131313131313") &&
		strstr(out, "/batch?requestid=14141414") && strstr(out, "\"operation\":\"update\"") &&
		strstr(out, "{\"DisplayName\":\"Dry\"}"), "dry-run", out);
	conn_qbo.close(c);

	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	http_client_free(plain);
	snprintf(buf, sizeof buf, "rm -rf %s", dir);
	if (system(buf) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	return failures ? 1 : 0;
}
