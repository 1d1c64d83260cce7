/*
 * test_conn_nop.c - the NopCommerce connector (runtime/conn_nop.c) against
 * the sandbox (the binary in $MW_SANDBOX, started on a free loopback port
 * with orders from tests/bench/gen_nop.py): a listing returns exactly the
 * file's records, byte for byte, over several pages and oldest change
 * first; the cursor filters; one record by id; a token revoked between two
 * pages is replaced and the listing goes on; a 503 burst is transient; bad
 * credentials and a store page instead of JSON are not retried.  With the
 * lookback setting, a listing past every stamp still re-reads the orders
 * still open (whatever their age) and those created within the window,
 * each once, and no other; without it, none; a lookback that is not a
 * duration is refused when the connector opens.  The store's writes: a
 * product's stock over the product found by Sku, an order's status over
 * the order found by Id, a note added to an order; what has no record to
 * write to, a note on an unknown order and a blank note are refused, each
 * alone, permanent.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"
#include "eng.h"
#include "sandbox.h"

#define CHECK_AREA "conn_nop"
#include "check.h"

/* ---- the sandbox ------------------------------------------------------ */

static pid_t sandbox_pid;
static char root[128];
static http_client *plain;
static char base_url[160], password[64] = "sandbox-api-pw", lookback[16] = "";

static const char *
setting(void *arg, const char *key)
{
	(void)arg;
	if (!strcmp(key, "base_url"))
		return base_url;
	if (!strcmp(key, "username"))
		return "sandbox-api";
	if (!strcmp(key, "password"))
		return password;
	if (!strcmp(key, "lookback") && lookback[0])
		return lookback;
	return NULL;
}

/* POST /_sandbox/faults (test tooling: the connector never sees it). */
static void
fault(const char *json)
{
	json_decref(sb_call(plain, root, "POST", "/_sandbox/faults", json));
}

/* ---- what the connector hands out ------------------------------------- */

typedef struct {
	char **text;
	size_t *len;
	char (*stamp)[32];
	size_t n, cap;
	int stop_after;  /* > 0: return 7 after this many */
} got;

static int
collect(void *arg, const char *json, size_t len, const char *stamp)
{
	got *g = arg;
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 64;
		char **t = realloc(g->text, cap * sizeof *t);
		if (t)
			g->text = t;
		size_t *l = realloc(g->len, cap * sizeof *l);
		if (l)
			g->len = l;
		char (*s)[32] = realloc(g->stamp, cap * sizeof *s);
		if (s)
			g->stamp = s;
		if (!t || !l || !s)
			return 1;
		g->cap = cap;
	}
	g->text[g->n] = malloc(len + 1);
	if (!g->text[g->n])
		return 1;
	memcpy(g->text[g->n], json, len);
	g->text[g->n][len] = '\0';
	g->len[g->n] = len;
	snprintf(g->stamp[g->n], sizeof g->stamp[0], "%s", stamp);
	g->n++;
	return g->stop_after > 0 && g->n == (size_t)g->stop_after ? 7 : 0;
}

static void
got_free(got *g)
{
	for (size_t i = 0; i < g->n; i++)
		free(g->text[i]);
	free(g->text);
	free(g->len);
	free(g->stamp);
	memset(g, 0, sizeof *g);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The file's lines (newline cut). */
static char **
read_lines(const char *path, size_t *n)
{
	FILE *f = fopen(path, "r");
	char **v = NULL, *line = NULL;
	size_t cap = 0, vcap = 0;
	ssize_t len;
	*n = 0;
	if (!f)
		return NULL;
	while ((len = getline(&line, &cap, f)) > 0) {
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (*n == vcap) {
			vcap = vcap ? vcap * 2 : 256;
			char **nv = realloc(v, vcap * sizeof *nv);
			if (!nv)
				break;
			v = nv;
		}
		v[(*n)++] = strdup(line);
	}
	free(line);
	fclose(f);
	return v;
}

/* Every record text in g equals one line of the file, and all are there. */
static int
same_records(got *g, char **lines, size_t nlines)
{
	if (g->n != nlines)
		return 0;
	char **a = malloc(g->n * sizeof *a), **b = malloc(nlines * sizeof *b);
	int same = a && b;
	for (size_t i = 0; same && i < g->n; i++) {
		a[i] = g->text[i];
		b[i] = lines[i];
		same = strlen(g->text[i]) == g->len[i];
	}
	if (same) {
		qsort(a, g->n, sizeof *a, cmp_str);
		qsort(b, nlines, sizeof *b, cmp_str);
		for (size_t i = 0; same && i < nlines; i++)
			same = !strcmp(a[i], b[i]);
	}
	free(a);
	free(b);
	return same;
}

/* In the plugin's order, ids ascending, each stamp normalised to UTC
 * seconds ("2026-11-27T17:30:00Z"). */
static int
ordered(const got *g)
{
	long long last = -1;

	for (size_t i = 0; i < g->n; i++) {
		const char *id = strstr(g->text[i], "\"Id\":");
		long long v = id ? strtoll(id + 5, NULL, 10) : -1;

		if (v <= last || strlen(g->stamp[i]) != 20 || g->stamp[i][19] != 'Z')
			return 0;
		last = v;
	}
	return 1;
}

static void
utc(time_t t, char *out, size_t n)
{
	struct tm tm;
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
}

/* The ids a listing handed out: each once, and exactly those of want[]
 * (n_want of them, ascending). */
static int
same_ids(const got *g, const long long *want, size_t n_want)
{
	if (g->n != n_want)
		return 0;
	for (size_t i = 0; i < g->n; i++) {
		const char *id = strstr(g->text[i], "\"Id\":");
		long long v = id ? strtoll(id + 5, NULL, 10) : -1;
		size_t k = 0;
		while (k < n_want && want[k] != v)
			k++;
		if (k == n_want)
			return 0;
		for (size_t j = 0; j < i; j++)
			if (strstr(g->text[j], "\"Id\":") && strtoll(strstr(g->text[j], "\"Id\":") + 5,
				NULL, 10) == v)
				return 0;
	}
	return 1;
}

/* lookback: four orders added (open and old, closed and recent, closed and
 * old, cancelled and old), then a listing with a cursor after every stamp. */
static void
check_lookback(const conn_env *env, const conn_ops *ops, char **lines, size_t nlines)
{
	time_t now = time(NULL);
	char old[32], recent[32], cursor[32], from[32], body[1200];
	utc(now - 60 * 86400, old, sizeof old);
	utc(now - 2 * 86400, recent, sizeof recent);
	utc(now + 86400, cursor, sizeof cursor);
	utc(now - 14 * 86400, from, sizeof from);
	const char *fmt = "{\"Id\":%d,\"CustomOrderNumber\":\"%d\",\"CustomerId\":1,"
		"\"OrderStatusId\":%d,\"PaymentStatusId\":%d,\"CustomerCurrencyCode\":\"USD\","
		"\"OrderTotal\":1.00,\"RefundedAmount\":0.00,\"CreatedOnUtc\":\"%s\"}\n";
	int n = 0;
	n += snprintf(body + n, sizeof body - (size_t)n, fmt, 90001, 90001, 20, 10, old);
	n += snprintf(body + n, sizeof body - (size_t)n, fmt, 90002, 90002, 30, 30, recent);
	n += snprintf(body + n, sizeof body - (size_t)n, fmt, 90003, 90003, 30, 30, old);
	snprintf(body + n, sizeof body - (size_t)n, fmt, 90004, 90004, 40, 10, old);
	json_decref(sb_call(plain, root, "POST", "/_sandbox/records?service=nop&collection=orders",
		body));

	/* what must come again: the file's open orders and its recent ones */
	long long *want = malloc((nlines + 4) * sizeof *want);
	size_t n_want = 0;
	for (size_t i = 0; want && i < nlines; i++) {
		json_t *j = json_loads(lines[i], 0, NULL);
		json_int_t st = json_integer_value(json_object_get(j, "OrderStatusId"));
		const char *created = json_string_value(json_object_get(j, "CreatedOnUtc"));
		if (st == 10 || st == 20 || (created && strcmp(created, from) >= 0))
			want[n_want++] = json_integer_value(json_object_get(j, "Id"));
		json_decref(j);
	}
	if (want) {
		want[n_want++] = 90001;
		want[n_want++] = 90002;
	}

	conn *c = NULL;
	conn_result res;
	got g = { 0 }, none = { 0 };
	snprintf(lookback, sizeof lookback, "14d");
	int rc = ops->open(env, &c, &res);
	if (rc == 0)
		rc = ops->list(c, "orders", cursor, collect, &g, &res);
	char detail[200];
	snprintf(detail, sizeof detail, "rc %d, %zu records, want %zu (of %zu): %.100s", rc, g.n,
		n_want, nlines + 4, res.text);
	check(rc == 0 && want && n_want > 2 && n_want < nlines && same_ids(&g, want, n_want),
		"lookback-open-and-recent-once", detail);
	ops->close(c);

	lookback[0] = '\0';
	c = NULL;
	rc = ops->open(env, &c, &res);
	if (rc == 0)
		rc = ops->list(c, "orders", cursor, collect, &none, &res);
	check(rc == 0 && none.n == 0, "no-lookback-cursor-only", res.text);
	ops->close(c);

	snprintf(lookback, sizeof lookback, "14x");
	c = NULL;
	rc = ops->open(env, &c, &res);
	check(rc == -1 && res.cls == HTTP_PERMANENT && strstr(res.text, "lookback"),
		"lookback-not-a-duration", res.text);
	ops->close(c);
	lookback[0] = '\0';
	got_free(&g);
	got_free(&none);
	free(want);
}

/* 1 when the record of collection with id, as the connector gets it,
 * holds text. */
static int
record_has(conn *c, const conn_ops *ops, const char *collection, const char *id,
	const char *text)
{
	got g = { 0 };
	conn_result res;
	int ok = ops->get(c, collection, id, collect, &g, &res) == 0 && g.n == 1 &&
		strstr(g.text[0], text) != NULL;
	got_free(&g);
	return ok;
}

static void
check_writes(conn *c, const conn_ops *ops)
{
	conn_result res;
	char detail[300];
	json_decref(sb_call(plain, root, "POST", "/_sandbox/records?service=nop&collection=products",
		"{\"Id\":1,\"Name\":\"A\",\"Sku\":\"SKU-A\",\"StockQuantity\":5}\n"
		"{\"Id\":2,\"Name\":\"B\",\"Sku\":\"SKU-B\",\"StockQuantity\":1}\n"
		"{\"Id\":3,\"Name\":\"B2\",\"Sku\":\"SKU-B \",\"StockQuantity\":1}\n"));
	check(conn_can(ops, "ProductStock", CONN_CAN_WRITE) && conn_can(ops, "OrderNote",
		CONN_CAN_WRITE) && conn_can(ops, "Order", CONN_CAN_WRITE) &&
		conn_can(ops, "products", CONN_CAN_LIST) && !conn_can(ops, "products",
		CONN_CAN_WRITE), "caps", "the caps table");

	conn_find_item f[3] = { { .value = "SKU-A" }, { .value = "SKU-B" }, { .value = "SKU-X" } };
	int rc = ops->find(c, "ProductStock", "Sku", f, 3, &res);
	snprintf(detail, sizeof detail, "rc %d: %d %s, %d %zu, %d: %.100s", rc, f[0].rc,
		f[0].found.ids[0], f[1].rc, f[1].found.n, f[2].rc, res.text);
	check(rc == 0 && f[0].rc == 0 && !strcmp(f[0].found.ids[0], "1") && f[1].rc == 2 &&
		f[1].found.n == 2 && f[2].rc == 1, "find-product-by-sku", detail);
	conn_find_item o[3] = { { .value = "10007" }, { .value = "999999" }, { .value = "x" } };
	rc = ops->find(c, "Order", "Id", o, 3, &res);
	snprintf(detail, sizeof detail, "rc %d: %d %s, %d, %d: %.100s", rc, o[0].rc,
		o[0].found.ids[0], o[1].rc, o[2].rc, res.text);
	check(rc == 0 && o[0].rc == 0 && !strcmp(o[0].found.ids[0], "10007") && o[1].rc == 1 &&
		o[2].rc == 1, "find-order-by-id", detail);
	conn_find_item nf[1] = { { .value = "1" } };
	rc = ops->find(c, "OrderNote", "Id", nf, 1, &res);
	check(rc == -1 && nf[0].rc == -1 && res.cls == HTTP_PERMANENT, "find-note-refused",
		res.text);

	const char *stock = "{\"StockQuantity\":17}";
	conn_item w[1] = { { .type = "ProductStock", .doc = stock, .len = strlen(stock),
		.key = "k1", .target_id = "1" } };
	rc = ops->write(c, "r1", w, 1, &res);
	check(rc == 0 && w[0].res.cls == HTTP_OK && !strcmp(w[0].id, "1") &&
		record_has(c, ops, "products", "1", "\"StockQuantity\":17"), "write-stock",
		w[0].res.text);
	w[0].target_id = NULL;
	rc = ops->write(c, "r2", w, 1, &res);
	check(rc == 0 && w[0].res.cls == HTTP_PERMANENT && !w[0].id[0], "write-stock-needs-product",
		w[0].res.text);
	w[0].target_id = "4040";
	rc = ops->write(c, "r3", w, 1, &res);
	check(rc == 0 && w[0].res.cls == HTTP_PERMANENT && w[0].res.status == 404,
		"write-stock-unknown-product", w[0].res.text);

	const char *status = "{\"OrderStatusId\":30}";
	conn_item s[1] = { { .type = "Order", .doc = status, .len = strlen(status), .key = "k2",
		.target_id = "10007" } };
	rc = ops->write(c, "r4", s, 1, &res);
	check(rc == 0 && s[0].res.cls == HTTP_OK && record_has(c, ops, "orders", "10007",
		"\"OrderStatusId\":30"), "write-order-status", s[0].res.text);

	const char *note = "{\"OrderId\":10007,\"Note\":\"QuickBooks invoice 1001\","
		"\"DisplayToCustomer\":false}";
	conn_item n[1] = { { .type = "OrderNote", .doc = note, .len = strlen(note), .key = "k3" } };
	rc = ops->write(c, "r5", n, 1, &res);
	json_t *rec = sb_call(plain, root, "GET", "/_sandbox/records?service=nop&"
		"collection=ordernotes", NULL);
	snprintf(detail, sizeof detail, "rc %d, id %.20s: %.200s", rc, n[0].id, n[0].res.text);
	check(rc == 0 && n[0].res.cls == HTTP_OK && !strcmp(n[0].id, "1") &&
		json_integer_value(json_object_get(rec, "OrderId")) == 10007 &&
		!strcmp(json_string_value(json_object_get(rec, "Note")) ? json_string_value(
		json_object_get(rec, "Note")) : "", "QuickBooks invoice 1001"), "write-order-note",
		detail);
	json_decref(rec);
	const char *lost = "{\"OrderId\":999999,\"Note\":\"x\"}", *blank =
		"{\"OrderId\":10007,\"Note\":\"\"}";
	conn_item bad[1] = { { .type = "OrderNote", .doc = lost, .len = strlen(lost), .key = "k4" } };
	rc = ops->write(c, "r6", bad, 1, &res);
	check(rc == 0 && bad[0].res.cls == HTTP_PERMANENT && bad[0].res.status == 404,
		"write-note-unknown-order", bad[0].res.text);
	bad[0].doc = blank;
	bad[0].len = strlen(blank);
	rc = ops->write(c, "r7", bad, 1, &res);
	check(rc == 0 && bad[0].res.cls == HTTP_PERMANENT && bad[0].res.status == 400 &&
		strstr(bad[0].res.text, "blank"), "write-note-blank", bad[0].res.text);
	bad[0].op = CONN_OP_VOID;
	bad[0].target_id = "1";
	rc = ops->write(c, "r8", bad, 1, &res);
	check(rc == 0 && bad[0].res.cls == HTTP_PERMANENT, "write-void-refused", bad[0].res.text);
}

static int
count_in_log(FILE *log, const char *what)
{
	char line[512];
	int n = 0;
	rewind(log);
	while (fgets(line, sizeof line, log))
		n += strstr(line, what) != NULL;
	fseek(log, 0, SEEK_END);
	return n;
}

int
main(void)
{
	const char *bin = getenv("MW_SANDBOX");
	if (!bin || !*bin) {
		printf("[FAIL] unit/conn_nop: MW_SANDBOX not set\n");
		return 1;
	}
	char dir[] = "/tmp/mw-conn-nop-XXXXXX", cmd[600], path[600], detail[256];
	if (!mkdtemp(dir)) {
		printf("[FAIL] unit/conn_nop: no temporary directory\n");
		return 1;
	}
	snprintf(cmd, sizeof cmd, "python3 tests/bench/gen_nop.py --seed 3 --orders 300 > %s/orders",
		dir);
	snprintf(path, sizeof path, "%s/orders", dir);
	size_t nlines = 0;
	char **lines = system(cmd) == 0 ? read_lines(path, &nlines) : NULL;
	const char *const extra[] = { "--nop-orders", path, NULL };
	if (!lines || nlines != 300 ||
	    (sandbox_pid = sb_start(bin, dir, extra, root, sizeof root)) < 0 ||
	    http_client_new(&plain, "test", 16u << 20) != 0) {
		printf("[FAIL] unit/conn_nop: cannot start %s with sample data\n", bin);
		return 1;
	}
	snprintf(base_url, sizeof base_url, "%s/nop/", root);

	state *st = NULL;
	snprintf(path, sizeof path, "%s/state.db", dir);
	int src = state_open(path, &st);
	check(src == 0, "state-open", st ? state_errmsg(st) : "no handle");
	FILE *log = tmpfile();
	conn_token_store ts = eng_tokens(st);
	conn_env env = { "nopcommerce", setting, NULL, src == 0 ? &ts : NULL, NULL, log, 10000,
		NULL };
	const conn_ops *ops = &conn_nop;
	conn *c = NULL;
	conn_result res;
	memset(&res, 0, sizeof res);
	int rc = ops->open(&env, &c, &res);
	check(rc == 0, "open", res.text);
	char access[4096] = "", refresh[64];
	int64_t exp = 0;
	check(src == 0 && state_token_load(st, "nopcommerce", access, sizeof access, refresh,
		sizeof refresh, &exp) == 0 && access[0] && exp > (int64_t)time(NULL) + 3600,
		"token-saved-in-state", "no token row for nopcommerce");
	check(!strcmp(ops->service, "nopcommerce") && ops->list && ops->write && ops->find &&
	      conn_find_ops("nopcommerce") == ops, "registered", "registry");

	/* everything: exactly the file, over two pages of 250, by id */
	got g = { 0 };
	rc = ops->list(c, "orders", NULL, collect, &g, &res);
	snprintf(detail, sizeof detail, "rc %d, %zu records of %zu: %.120s", rc, g.n, nlines,
		res.text);
	check(rc == 0 && same_records(&g, lines, nlines), "list-all-exact", detail);
	check(g.n > 250, "list-pages", "fewer records than one page holds");
	check(ordered(&g) && g.n && strlen(g.stamp[0]) == 20 && g.stamp[0][19] == 'Z',
		"list-by-id-stamps-normalised", g.n ? g.stamp[0] : "none");

	/* the cursor: the records stamped at or after the 200th's stamp */
	char cursor[32] = "";
	size_t want = 0;
	if (g.n >= 200) {
		snprintf(cursor, sizeof cursor, "%s", g.stamp[199]);
		for (size_t i = 0; i < g.n; i++)
			want += strcmp(g.stamp[i], cursor) >= 0;
	}
	got h = { 0 };
	rc = ops->list(c, "orders", cursor, collect, &h, &res);
	int all_after = 1;
	for (size_t i = 0; i < h.n; i++)
		all_after &= strcmp(h.stamp[i], cursor) >= 0;
	snprintf(detail, sizeof detail, "rc %d, %zu records, want %zu at or after %s", rc, h.n,
		want, cursor);
	check(rc == 0 && want > 0 && want < g.n && h.n == want && all_after, "list-cursor", detail);
	got_free(&h);

	/* a cursor with an offset and a fraction means the same instant */
	got o = { 0 };
	char offset_cursor[40] = "";
	if (cursor[0]) {
		/* cursor - 1 h, written in +01:00 */
		int hh = (cursor[11] - '0') * 10 + (cursor[12] - '0');
		if (hh < 23) {
			snprintf(offset_cursor, sizeof offset_cursor, "%.11s%02d%.6s.0000000+01:00",
				cursor, hh + 1, cursor + 13);
			ops->list(c, "orders", offset_cursor, collect, &o, &res);
		}
	}
	check(!offset_cursor[0] || o.n == want, "list-cursor-offset", offset_cursor);
	got_free(&o);

	/* a non-zero return stops the listing and is returned */
	got s = { 0 };
	s.stop_after = 5;
	rc = ops->list(c, "orders", NULL, collect, &s, &res);
	check(rc == 7 && s.n == 5, "list-stops", "callback's return not passed on");
	got_free(&s);

	/* one by id, byte for byte as in the file */
	got one = { 0 };
	rc = ops->get(c, "orders", "10007", collect, &one, &res);
	const char *line7 = NULL;
	for (size_t i = 0; i < nlines; i++)
		if (strstr(lines[i], "{\"Id\":10007,") == lines[i])
			line7 = lines[i];
	check(rc == 0 && one.n == 1 && line7 && !strcmp(one.text[0], line7), "get-by-id",
		one.n ? one.text[0] : res.text);
	got_free(&one);
	rc = ops->get(c, "orders", "999999", collect, &one, &res);
	check(rc == -1 && one.n == 0 && res.cls == HTTP_PERMANENT && res.status == 404,
		"get-not-found", res.text);
	rc = ops->list(c, "vendors", NULL, collect, &one, &res);
	check(rc == -1 && res.cls == HTTP_PERMANENT, "unknown-collection", res.text);

	/* the token dies between the two pages: one new token, the listing
	 * goes on and is still exact */
	int before = count_in_log(log, "401");
	fault("{\"service\":\"nop\",\"expire_tokens_after\":1}");
	got t = { 0 };
	rc = ops->list(c, "orders", NULL, collect, &t, &res);
	snprintf(detail, sizeof detail, "rc %d, %zu records: %.120s", rc, t.n, res.text);
	check(rc == 0 && same_records(&t, lines, nlines), "token-expiry-mid-listing", detail);
	check(count_in_log(log, "401") == before + 1, "token-refetched-once",
		"no 401 retry in the log");
	got_free(&t);
	fault("{\"service\":\"nop\",\"expire_tokens\":1}");
	rc = ops->get(c, "orders", "10007", collect, &t, &res);
	check(rc == 0 && t.n == 1, "token-expiry-on-get", res.text);
	got_free(&t);

	/* a burst of 503s: transient, with the status kept */
	fault("{\"service\":\"nop\",\"fail_5xx\":3}");
	rc = ops->list(c, "orders", NULL, collect, &t, &res);
	check(rc == -1 && t.n == 0 && res.cls == HTTP_TRANSIENT && res.status == 503,
		"burst-503-transient", res.text);
	got_free(&t);
	fault("{\"service\":\"nop\"}");
	http_response fake;
	memset(&fake, 0, sizeof fake);
	fake.status = 503;
	fake.body = "{\"Message\":\"Service Unavailable\"}";
	fake.body_len = strlen(fake.body);
	fake.retry_after_ms = -1;
	check(ops->classify(c, 0, &fake, &res) == HTTP_TRANSIENT, "classify-503", res.text);
	fake.status = 200;
	fake.body = "<!DOCTYPE html><html>store front page</html>";
	fake.body_len = strlen(fake.body);
	snprintf(fake.content_type, sizeof fake.content_type, "text/html");
	check(ops->classify(c, 0, &fake, &res) == HTTP_PERMANENT, "classify-html-200",
		res.text);
	check(ops->classify(c, HTTP_ETIMEOUT, &fake, &res) == HTTP_TRANSIENT, "classify-timeout",
		res.text);
	ops->close(c);
	check_lookback(&env, ops, lines, nlines);

	/* a second open takes the saved token: no new one is fetched */
	int fetched = count_in_log(log, "token fetched");
	c = NULL;
	rc = ops->open(&env, &c, &res);
	check(rc == 0 && count_in_log(log, "token fetched") == fetched, "token-loaded-from-state",
		res.text);
	if (rc == 0)
		check_writes(c, ops);
	ops->close(c);

	/* a dry run: nothing looked up, the write printed with the record its
	 * match would find */
	char printed[2048] = "";
	FILE *dr = fmemopen(printed, sizeof printed - 1, "w");
	conn_env denv = env;
	denv.dry_run = dr;
	c = NULL;
	rc = dr ? ops->open(&denv, &c, &res) : -1;
	conn_find_item df[1] = { { .value = "SKU-A" } };
	const char *dstock = "{\"StockQuantity\":3}";
	conn_item dw[1] = { { .type = "ProductStock", .doc = dstock, .len = strlen(dstock),
		.key = "k9" } };
	int frc = rc == 0 ? ops->find(c, "ProductStock", "Sku", df, 1, &res) : -1;
	int wrc = rc == 0 ? ops->write(c, "r9", dw, 1, &res) : -1;
	if (dr)
		fclose(dr);
	check(frc == 0 && df[0].rc == 1 && wrc == 0 && dw[0].res.cls == HTTP_OK &&
		strstr(printed, "PUT ") && strstr(printed, "/api/products/(the one its match finds)") &&
		strstr(printed, "{\"product\":{\"StockQuantity\":3}}") &&
		record_has(c, ops, "products", "1", "\"StockQuantity\":17"), "dry-run-write", printed);
	ops->close(c);

	/* wrong credentials: an auth failure, not something to retry */
	snprintf(password, sizeof password, "wrong");
	env.tokens = NULL;
	c = NULL;
	rc = ops->open(&env, &c, &res);
	check(rc == -1 && res.cls == HTTP_AUTH && res.status == 403, "bad-credentials", res.text);
	ops->close(c);

	got_free(&g);
	for (size_t i = 0; i < nlines; i++)
		free(lines[i]);
	free(lines);
	if (log)
		fclose(log);
	if (st)
		state_close(st);
	kill(sandbox_pid, SIGTERM);
	waitpid(sandbox_pid, NULL, 0);
	http_client_free(plain);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	return failures ? 1 : 0;
}
