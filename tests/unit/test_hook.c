/*
 * test_hook.c - the webhook server (hook.h) over real HTTP on a loopback
 * port, with the connectors' handlers (conn_ops.webhook) on its routes and
 * the engine's inbox store (eng_hook_store) behind it: Clarity events
 * signed with a timestamp (stored once, a replay a no-op, bad, missing and
 * stale signatures refused and nothing stored),
 * bodies over the limit by Content-Length and chunked (and one that does
 * not end), malformed JSON,
 * an event type nothing syncs, Xero's intent to receive and an invoice
 * event, QuickBooks' legacy notification with two entities and a
 * CloudEvents one, unknown sources and methods, /healthz (healthy, the
 * daemon's reason, a broken store), /metrics with the counters seen, the
 * store failing (500), and a log that holds no secret or signature.
 * Signatures are computed with libcrypto's HMAC(), checked first against
 * RFC 4231 test case 2 so the test does not check the code with itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sqlite3.h>

#include "conn.h"
#include "eng.h"
#include "hook.h"
#include "http.h"
#include "state.h"

#define CHECK_AREA "hook"
#include "check.h"

#define CLARITY_SECRET "whsec-clarity-7f3a"
#define XERO_KEY "OSd0eLlVIY9ZhViEqlDUh4+6n6M+Lo+eDaEJheJ6OCCgWwIz2D3JIAU6jPMipHRbg=="
#define QBO_TOKEN "qbo-verifier-2b41c0de"
#define MAX_BODY 8192

static void
mac_of(const char *key, const void *data, size_t n, unsigned char mac[32])
{
	unsigned len = 32;
	HMAC(EVP_sha256(), key, (int)strlen(key), data, n, mac, &len);
}

static void
to_hex(const unsigned char *p, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[p[i] >> 4];
		out[2 * i + 1] = d[p[i] & 15];
	}
	out[2 * n] = 0;
}

/* "X-Clarity-Signature: sha256=HEX" over TS "." body, and the timestamp line */
static void
clarity_sign(const char *secret, long long ts, const char *body, char *sig, size_t siglen,
	char *tsh, size_t tslen)
{
	char t[24], hex[65];
	unsigned char mac[32];
	snprintf(t, sizeof t, "%lld", ts);
	size_t n = strlen(t) + 1 + strlen(body);
	char *msg = malloc(n + 1);
	snprintf(msg, n + 1, "%s.%s", t, body);
	mac_of(secret, msg, n, mac);
	free(msg);
	to_hex(mac, 32, hex);
	snprintf(sig, siglen, "X-Clarity-Signature: sha256=%s", hex);
	snprintf(tsh, tslen, "X-Clarity-Timestamp: %s", t);
}

/* "NAME: base64(HMAC(key, body))" */
static void
b64_sign(const char *name, const char *key, const char *body, char *out, size_t n)
{
	unsigned char mac[32], b64[48];
	mac_of(key, body, strlen(body), mac);
	EVP_EncodeBlock(b64, mac, 32);
	snprintf(out, n, "%s: %s", name, (const char *)b64);
}

static http_client *cli;
static char root[64];
static http_response resp;
static char last_err[256];

static long
call(const char *method, const char *path, const char *const *hdrs, size_t nh,
	const char *body, size_t len)
{
	char url[256];
	snprintf(url, sizeof url, "%s%s", root, path);
	http_request rq = { .method = method, .url = url, .headers = hdrs, .n_headers = nh,
		.body = body, .body_len = len, .timeout_ms = 5000 };
	memset(&resp, 0, sizeof resp);
	if (http_do(cli, &rq, &resp, last_err, sizeof last_err) != 0)
		return -1;
	return resp.status;
}

static long
post(const char *path, const char *h1, const char *h2, const char *body)
{
	const char *hs[3] = { "Content-Type: application/json", h1, h2 };
	return call("POST", path, hs, 1 + (h1 != NULL) + (h2 != NULL && h1), body, strlen(body));
}

static long
post_clarity(const char *secret, long long ts, const char *body)
{
	char sig[128], tsh[64];
	clarity_sign(secret, ts, body, sig, sizeof sig, tsh, sizeof tsh);
	return post("/webhooks/clarity", sig, tsh, body);
}

/* ---- reading the inbox through a handle of our own ---- */

typedef struct {
	int n;
	const char *want_id;
	char collection[64], key[128], type[64], source[32];
	size_t body_len;
	int body_ok;
	const char *want_body;
} rows;

static int
on_row(void *arg, const state_event *ev)
{
	rows *r = arg;
	r->n++;
	if (r->want_id && !strcmp(ev->event_id, r->want_id)) {
		snprintf(r->collection, sizeof r->collection, "%s", ev->collection);
		snprintf(r->key, sizeof r->key, "%s", ev->record_key);
		snprintf(r->type, sizeof r->type, "%s", ev->type);
		snprintf(r->source, sizeof r->source, "%s", ev->source);
		r->body_len = ev->body_len;
		r->body_ok = r->want_body && ev->body_len == strlen(r->want_body) &&
			!memcmp(ev->body, r->want_body, ev->body_len);
	}
	return 0;
}

static state *mine;

static rows
inbox(const char *want_id, const char *want_body)
{
	rows r;
	memset(&r, 0, sizeof r);
	r.want_id = want_id;
	r.want_body = want_body;
	if (state_inbox_each(mine, 1000, on_row, &r) != 0)
		r.n = -1;
	return r;
}

/* ---- the daemon's callbacks ---- */

static int unhealthy;
static state *hook_st; /* the server thread's, as serve opens it */

static int
store(void *arg, const char *source, const hook_event *ev, size_t n, const char *body,
	size_t len, char *why, size_t whylen)
{
	return eng_hook_store(arg, source, ev, n, body, len, why, whylen);
}

static int
health(void *arg, char *why, size_t n)
{
	if (state_inbox_count(arg) < 0) {
		snprintf(why, n, "state: %s", state_errmsg(arg));
		return 1;
	}
	if (unhealthy)
		snprintf(why, n, "target xero: circuit open");
	return unhealthy;
}

static int unready;

static int
ready(void *arg, char *why, size_t n)
{
	(void)arg;
	if (unready)
		snprintf(why, n, "stopping");
	return unready;
}

/* n connections from the loopback addresses 127.0.0.FROM.. (in turn over
 * addrs of them) to the hook, each with the start of a request and no
 * end (slowloris); their descriptors into fds, -1 where connect failed. */
static void
slow_clients(unsigned port, int *fds, int n, int from, int addrs)
{
	for (int i = 0; i < n; i++) {
		struct sockaddr_in a = { .sin_family = AF_INET }, to = { .sin_family = AF_INET };
		char ip[32];

		snprintf(ip, sizeof ip, "127.0.0.%d", from + i % addrs);
		inet_pton(AF_INET, ip, &a.sin_addr);
		inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
		to.sin_port = htons((uint16_t)port);
		fds[i] = socket(AF_INET, SOCK_STREAM, 0);
		if (fds[i] < 0 || bind(fds[i], (struct sockaddr *)&a, sizeof a) != 0 ||
		    connect(fds[i], (struct sockaddr *)&to, sizeof to) != 0 ||
		    write(fds[i], "POST /webhooks/clarity HTTP/1.1\r\nHo", 36) != 36) {
			if (fds[i] >= 0)
				close(fds[i]);
			fds[i] = -1;
		}
	}
}

/* How many of fds the server has closed (end of file), after a moment. */
static int
closed_by_server(int *fds, int n)
{
	int closed = 0;

	nanosleep(&(struct timespec){ 0, 300000000L }, NULL);
	for (int i = 0; i < n; i++) {
		struct pollfd p = { fds[i], POLLIN, 0 };
		char c;

		if (fds[i] < 0 || (poll(&p, 1, 0) == 1 && read(fds[i], &c, 1) <= 0))
			closed++;
	}
	return closed;
}

static void
daemon_metrics(void *arg, hook_append_fn append, void *ctx)
{
	(void)arg;
	append(ctx, "# TYPE mapwright_test_up gauge\nmapwright_test_up %d\n", 1);
}

static int
has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = text; (p = strstr(p, line)); p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return 1;
	return 0;
}

int
main(void)
{
	char detail[512];

	/* the HMAC the expectations are computed with: RFC 4231, test case 2 */
	unsigned char mac[32];
	char hex[65];
	mac_of("Jefe", "what do ya want for nothing?", 28, mac);
	to_hex(mac, 32, hex);
	check(!strcmp(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
		"hmac-rfc4231-case2", hex);

	char dir[] = "/tmp/mw-hook-XXXXXX", path[256], logpath[256];
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof path, "%s/state.db", dir);
	snprintf(logpath, sizeof logpath, "%s/hook.log", dir);
	FILE *log = fopen(logpath, "w+");

	if (state_open(path, &hook_st) != 0)
		return 1;
	hook_route routes[] = {
		{ "clarity", conn_clarity.webhook, CLARITY_SECRET },
		{ "xero", conn_xero.webhook, XERO_KEY },
		{ "qbo", conn_qbo.webhook, QBO_TOKEN },
	};
	hook_config cfg = {
		.routes = routes, .n_routes = 3, .port = 0, .max_body = MAX_BODY,
		.store = store, .metrics = daemon_metrics, .health = health, .ready = ready,
		.arg = hook_st, .log = log,
	};
	hook *h = NULL;
	char err[256] = "";
	int rc = hook_start(&cfg, &h, err, sizeof err);
	check(rc == 0 && hook_port(h) > 0, "start-any-port", err);
	if (rc != 0)
		return 1;

	/* configuration refused, with the reason */
	hook_route dup[] = { { "clarity", conn_clarity.webhook, "a" },
		{ "clarity", conn_xero.webhook, "b" } };
	hook_route nokey[] = { { "xero", conn_xero.webhook, "" } };
	hook_route badname[] = { { "../x", conn_xero.webhook, "k" } };
	hook_config bad = cfg;
	hook *h2 = NULL;
	bad.routes = dup;
	bad.n_routes = 2;
	rc = hook_start(&bad, &h2, err, sizeof err);
	check(rc == HOOK_EUSAGE && !h2 && strstr(err, "twice"), "config-duplicate-route", err);
	bad.routes = nokey;
	bad.n_routes = 1;
	rc = hook_start(&bad, &h2, err, sizeof err);
	check(rc == HOOK_EUSAGE && !h2 && strstr(err, "no secret"), "config-no-secret", err);
	bad.routes = badname;
	rc = hook_start(&bad, &h2, err, sizeof err);
	check(rc == HOOK_EUSAGE && !h2, "config-bad-source-name", err);
	bad = cfg;
	bad.port = hook_port(h);
	rc = hook_start(&bad, &h2, err, sizeof err);
	check(rc == HOOK_ELISTEN && !h2, "config-port-in-use", err);
	hook_stop(h2);

	snprintf(root, sizeof root, "http://127.0.0.1:%u", hook_port(h));
	if (http_client_new(&cli, "mapwright-test", 1 << 20) != 0 || state_open(path, &mine) != 0)
		return 1;
	long long now = (long long)time(NULL);
	long st;
	rows r;

	/* Clarity: a valid event, stored before the 200 */
	const char *order = "{\"id\":\"evt_0001\",\"type\":\"order.created\","
		"\"createdAt\":\"2026-12-01T08:00:00Z\",\"data\":{\"orderId\":\"SO-1001\"}}";
	st = post_clarity(CLARITY_SECRET, now, order);
	r = inbox("evt_0001", order);
	snprintf(detail, sizeof detail, "status %ld (%s), rows %d, %s/%s", st, last_err, r.n,
		r.collection, r.key);
	check(st == 200 && resp.body_len == 0 && r.n == 1 && !strcmp(r.collection, "orders") &&
		!strcmp(r.key, "SO-1001") && !strcmp(r.type, "order.created") &&
		!strcmp(r.source, "clarity") && r.body_ok, "clarity-valid-stored", detail);

	/* the same event again, newly signed: 200, still one row */
	st = post_clarity(CLARITY_SECRET, now + 1, order);
	r = inbox(NULL, NULL);
	snprintf(detail, sizeof detail, "status %ld, rows %d", st, r.n);
	check(st == 200 && r.n == 1 && hook_count(h, "clarity", HOOK_DUPLICATE) == 1,
		"clarity-duplicate-noop", detail);

	/* refused: nothing stored */
	const char *order2 = "{\"id\":\"evt_0002\",\"type\":\"order.paid\","
		"\"createdAt\":\"2026-12-01T08:01:00Z\",\"data\":{\"orderId\":\"SO-1002\"}}";
	st = post_clarity("not-the-secret", now, order2);
	r = inbox(NULL, NULL);
	snprintf(detail, sizeof detail, "status %ld, rows %d", st, r.n);
	check(st == 401 && r.n == 1, "clarity-bad-signature-401", detail);

	char tsh[64];
	snprintf(tsh, sizeof tsh, "X-Clarity-Timestamp: %lld", now);
	st = post("/webhooks/clarity", tsh, NULL, order2);
	r = inbox(NULL, NULL);
	snprintf(detail, sizeof detail, "status %ld, rows %d", st, r.n);
	check(st == 401 && r.n == 1, "clarity-no-signature-401", detail);

	st = post_clarity(CLARITY_SECRET, now - 1000, order2);
	r = inbox(NULL, NULL);
	snprintf(detail, sizeof detail, "status %ld, rows %d", st, r.n);
	check(st == 401 && r.n == 1, "clarity-stale-timestamp-401", detail);

	/* a signature over the body alone (no timestamp in it) is not Clarity's */
	char sig[160];
	mac_of(CLARITY_SECRET, order2, strlen(order2), mac);
	to_hex(mac, 32, hex);
	snprintf(sig, sizeof sig, "X-Clarity-Signature: sha256=%s", hex);
	st = post("/webhooks/clarity", sig, tsh, order2);
	check(st == 401 && inbox(NULL, NULL).n == 1, "clarity-body-only-signature-401", "");

	/* over the limit: by Content-Length, and chunked (no Content-Length) */
	size_t big_n = MAX_BODY + 1000;
	char *big = malloc(big_n + 1);
	memset(big, ' ', big_n);
	memcpy(big, "{\"id\":\"evt_big\",\"type\":\"order.created\",\"data\":{\"orderId\":\"X\"}}",
		61);
	big[big_n] = 0;
	st = post_clarity(CLARITY_SECRET, now, big);
	snprintf(detail, sizeof detail, "status %ld (%s)", st, last_err);
	check(st == 413 && inbox(NULL, NULL).n == 1, "too-large-content-length-413", detail);
	{
		char s2[128], t2[64];
		clarity_sign(CLARITY_SECRET, now, big, s2, sizeof s2, t2, sizeof t2);
		const char *hs[4] = { "Content-Type: application/json", "Transfer-Encoding: chunked",
			s2, t2 };
		st = call("POST", "/webhooks/clarity", hs, 4, big, big_n);
		snprintf(detail, sizeof detail, "status %ld (%s)", st, last_err);
		check(st == 413 && inbox(NULL, NULL).n == 1, "too-large-chunked-413", detail);
	}
	free(big);
	{
		/* a chunked body past 4 times the limit is not read to its end */
		size_t huge_n = 5 * MAX_BODY;
		char *huge = malloc(huge_n);
		memset(huge, ' ', huge_n);
		const char *hs[2] = { "Content-Type: application/json",
			"Transfer-Encoding: chunked" };
		/* a new client: curl sends a request again once when a connection it
		 * reused closes without an answer */
		http_client *keep = cli;
		if (http_client_new(&cli, "mapwright-test", 1 << 20) != 0)
			return 1;
		st = call("POST", "/webhooks/clarity", hs, 2, huge, huge_n);
		http_client_free(cli);
		cli = keep;
		free(huge);
		snprintf(detail, sizeof detail, "status %ld (%s)", st, last_err);
		check(st == -1 && hook_count(h, "clarity", HOOK_TOO_LARGE) == 3,
			"too-large-chunked-endless-closed", detail);
	}

	/* malformed JSON, validly signed */
	const char *junk = "{\"id\":\"evt_0003\",\"type\":\"order.created\",";
	st = post_clarity(CLARITY_SECRET, now, junk);
	snprintf(detail, sizeof detail, "status %ld", st);
	check(st == 400 && inbox(NULL, NULL).n == 1, "clarity-malformed-json-400", detail);
	const char *nokeyd = "{\"id\":\"evt_0004\",\"type\":\"order.created\",\"data\":{}}";
	st = post_clarity(CLARITY_SECRET, now, nokeyd);
	check(st == 400 && inbox(NULL, NULL).n == 1, "clarity-event-without-key-400", "");

	/* the other types: collection and key from the type */
	const char *cust = "{\"id\":\"evt_0005\",\"type\":\"customer.created\","
		"\"createdAt\":\"2026-12-01T08:02:00Z\",\"data\":{\"customerId\":\"C-77\"}}";
	const char *prod = "{\"id\":\"evt_0006\",\"type\":\"product.updated\","
		"\"createdAt\":\"2026-12-01T08:03:00Z\",\"data\":{\"sku\":\"SKU-9\"}}";
	st = post_clarity(CLARITY_SECRET, now, cust);
	r = inbox("evt_0005", cust);
	check(st == 200 && r.n == 2 && !strcmp(r.collection, "customers") &&
		!strcmp(r.key, "C-77"), "clarity-customer", r.collection);
	st = post_clarity(CLARITY_SECRET, now, prod);
	r = inbox("evt_0006", prod);
	check(st == 200 && r.n == 3 && !strcmp(r.collection, "products") &&
		!strcmp(r.key, "SKU-9"), "clarity-product", r.collection);
	st = post_clarity(CLARITY_SECRET, now, order2);
	r = inbox("evt_0002", order2);
	check(st == 200 && r.n == 4 && !strcmp(r.collection, "orders") &&
		!strcmp(r.key, "SO-1002") && !strcmp(r.type, "order.paid"), "clarity-order-paid",
		r.collection);
	const char *coupon = "{\"id\":\"evt_0007\",\"type\":\"coupon.created\","
		"\"data\":{\"code\":\"XMAS\"}}";
	st = post_clarity(CLARITY_SECRET, now, coupon);
	check(st == 200 && inbox(NULL, NULL).n == 4 && hook_count(h, "clarity", HOOK_IGNORED) == 1,
		"clarity-unsynced-type-ignored", "");

	/* Xero: intent to receive (no events), correctly and incorrectly signed */
	const char *itr = "{\"events\":[],\"lastEventSequence\":0,\"firstEventSequence\":0,"
		"\"entropy\":\"S0m3r4Nd0mt3xt\"}";
	char xs[160];
	b64_sign("x-xero-signature", XERO_KEY, itr, xs, sizeof xs);
	st = post("/webhooks/xero", xs, NULL, itr);
	check(st == 200 && resp.body_len == 0 && inbox(NULL, NULL).n == 4,
		"xero-intent-to-receive-200", last_err);
	b64_sign("x-xero-signature", "some other key", itr, xs, sizeof xs);
	st = post("/webhooks/xero", xs, NULL, itr);
	check(st == 401, "xero-intent-to-receive-bad-401", "");
	st = post("/webhooks/xero", NULL, NULL, itr);
	check(st == 401, "xero-no-signature-401", "");

	const char *inv = "{\"events\":[{\"resourceUrl\":\"https://api.xero.com/api.xro/2.0/"
		"Invoices/717f2bfc-c6d4-41fd-b238-3f2f0c0cf777\",\"resourceId\":"
		"\"717f2bfc-c6d4-41fd-b238-3f2f0c0cf777\",\"eventDateUtc\":\"2026-12-01T08:15:39.902\","
		"\"eventType\":\"UPDATE\",\"eventCategory\":\"INVOICE\",\"tenantId\":"
		"\"c2cc9b6e-9458-4c7d-93cc-f02b81b0594f\",\"tenantType\":\"ORGANISATION\"}],"
		"\"lastEventSequence\":1,\"firstEventSequence\":1,\"entropy\":\"QWERTYUIOP\"}";
	b64_sign("x-xero-signature", XERO_KEY, inv, xs, sizeof xs);
	st = post("/webhooks/xero", xs, NULL, inv);
	r = inbox("c2cc9b6e-9458-4c7d-93cc-f02b81b0594f:717f2bfc-c6d4-41fd-b238-3f2f0c0cf777:"
		"2026-12-01T08:15:39.902:UPDATE", inv);
	snprintf(detail, sizeof detail, "status %ld, rows %d, %s/%s", st, r.n, r.collection, r.key);
	check(st == 200 && r.n == 5 && !strcmp(r.collection, "invoices") &&
		!strcmp(r.key, "717f2bfc-c6d4-41fd-b238-3f2f0c0cf777") && !strcmp(r.source, "xero") &&
		r.body_ok, "xero-invoice-event", detail);
	st = post("/webhooks/xero", xs, NULL, inv);
	check(st == 200 && inbox(NULL, NULL).n == 5, "xero-redelivery-noop", "");

	/* QuickBooks: a legacy notification with two entities, then CloudEvents */
	const char *qn = "{\"eventNotifications\":[{\"realmId\":\"1185883450\","
		"\"dataChangeEvent\":{\"entities\":[{\"name\":\"Customer\",\"id\":\"1\","
		"\"operation\":\"Create\",\"lastUpdated\":\"2026-12-01T14:42:19-0700\"},"
		"{\"name\":\"Invoice\",\"id\":\"130\",\"operation\":\"Update\","
		"\"lastUpdated\":\"2026-12-01T14:42:20-0700\"}]}}]}";
	char qs[160];
	b64_sign("intuit-signature", QBO_TOKEN, qn, qs, sizeof qs);
	st = post("/webhooks/qbo", qs, NULL, qn);
	r = inbox("1185883450:Invoice:130:2026-12-01T14:42:20-0700:Update", qn);
	snprintf(detail, sizeof detail, "status %ld, rows %d, %s/%s", st, r.n, r.collection, r.key);
	check(st == 200 && r.n == 7 && !strcmp(r.collection, "invoice") && !strcmp(r.key, "130") &&
		!strcmp(r.type, "Update"), "qbo-two-entities-two-rows", detail);
	r = inbox("1185883450:Customer:1:2026-12-01T14:42:19-0700:Create", qn);
	check(!strcmp(r.collection, "customer") && !strcmp(r.key, "1"), "qbo-first-entity",
		r.collection);
	b64_sign("intuit-signature", "wrong", qn, qs, sizeof qs);
	st = post("/webhooks/qbo", qs, NULL, qn);
	check(st == 401 && inbox(NULL, NULL).n == 7, "qbo-bad-signature-401", "");
	const char *ce = "[{\"specversion\":\"1.0\",\"id\":\"88cd52aa-33b6-4351-9aa4-47572edbd068\","
		"\"source\":\"intuit.dsnBgbseACLLRZNxo2dfc4evmEJdxde58xeeYcZliOU=\","
		"\"type\":\"qbo.salesreceipt.created.v1\",\"datacontenttype\":\"application/json\","
		"\"time\":\"2026-12-01T21:31:25.179Z\",\"intuitentityid\":\"95\","
		"\"intuitaccountid\":\"310687\",\"data\":{}}]";
	b64_sign("intuit-signature", QBO_TOKEN, ce, qs, sizeof qs);
	st = post("/webhooks/qbo", qs, NULL, ce);
	r = inbox("88cd52aa-33b6-4351-9aa4-47572edbd068", ce);
	check(st == 200 && r.n == 8 && !strcmp(r.collection, "salesreceipt") &&
		!strcmp(r.key, "95"), "qbo-cloudevents", r.collection);

	/* routing */
	st = post("/webhooks/nopcommerce", NULL, NULL, "{}");
	check(st == 404, "unknown-source-404", "");
	st = call("GET", "/webhooks/clarity", NULL, 0, NULL, 0);
	check(st == 405, "get-on-webhook-405", "");
	st = call("GET", "/nothing", NULL, 0, NULL, 0);
	check(st == 404, "unknown-path-404", "");
	st = post("/healthz", NULL, NULL, "{}");
	check(st == 405, "post-on-healthz-405", "");

	/* /healthz */
	st = call("GET", "/healthz", NULL, 0, NULL, 0);
	check(st == 200 && !strcmp(resp.body, "ok\n"), "healthz-ok", resp.body ? resp.body : "");
	unhealthy = 1;
	st = call("GET", "/healthz", NULL, 0, NULL, 0);
	check(st == 503 && strstr(resp.body, "circuit open"), "healthz-daemon-reason",
		resp.body ? resp.body : "");
	/* /readyz: health first, then ready */
	st = call("GET", "/readyz", NULL, 0, NULL, 0);
	check(st == 503 && strstr(resp.body, "circuit open"), "readyz-not-when-unhealthy",
		resp.body ? resp.body : "");
	unhealthy = 0;
	st = call("GET", "/readyz", NULL, 0, NULL, 0);
	check(st == 200 && !strcmp(resp.body, "ok\n"), "readyz-ok", resp.body ? resp.body : "");
	unready = 1;
	st = call("GET", "/readyz", NULL, 0, NULL, 0);
	check(st == 503 && !strcmp(resp.body, "stopping\n"), "readyz-reason",
		resp.body ? resp.body : "");
	st = call("GET", "/healthz", NULL, 0, NULL, 0);
	check(st == 200, "healthz-not-readiness", resp.body ? resp.body : "");
	unready = 0;

	/* slowloris: 100 connections from four other addresses that never end
	 * their request: /healthz answers; 40 more from one address: those
	 * over its cap are closed at once */
	{
		int slow[100], one[40];

		slow_clients(hook_port(h), slow, 100, 2, 4);
		st = call("GET", "/healthz", NULL, 0, NULL, 0);
		check(st == 200 && closed_by_server(slow, 100) == 0, "slowloris-healthz-answers",
			"");
		slow_clients(hook_port(h), one, 40, 6, 1);
		int closed = closed_by_server(one, 40);
		char d[64];
		snprintf(d, sizeof d, "%d of 40 closed", closed);
		check(closed == 40 - (int)HOOK_PER_IP, "slowloris-per-address-cap", d);
		for (int i = 0; i < 100; i++)
			if (slow[i] >= 0)
				close(slow[i]);
		for (int i = 0; i < 40; i++)
			if (one[i] >= 0)
				close(one[i]);
	}

	/* /metrics: the daemon's lines and every outcome seen, by count */
	st = call("GET", "/metrics", NULL, 0, NULL, 0);
	char *text = st == 200 ? strdup(resp.body) : NULL;
	check(st == 200 && !strcmp(resp.content_type, "text/plain; version=0.0.4"),
		"metrics-content-type", resp.content_type);
	static const struct {
		const char *line;
	} want[] = {
		{ "mapwright_test_up 1" },
		{ "# TYPE mapwright_webhooks_total counter" },
		{ "mapwright_webhooks_total{source=\"clarity\",outcome=\"accepted\"} 4" },
		{ "mapwright_webhooks_total{source=\"clarity\",outcome=\"duplicate\"} 1" },
		{ "mapwright_webhooks_total{source=\"clarity\",outcome=\"unauthorized\"} 4" },
		{ "mapwright_webhooks_total{source=\"clarity\",outcome=\"too_large\"} 3" },
		{ "mapwright_webhooks_total{source=\"clarity\",outcome=\"malformed\"} 2" },
		{ "mapwright_webhooks_total{source=\"clarity\",outcome=\"ignored\"} 1" },
		{ "mapwright_webhooks_total{source=\"clarity\",outcome=\"error\"} 0" },
		{ "mapwright_webhooks_total{source=\"xero\",outcome=\"accepted\"} 2" },
		{ "mapwright_webhooks_total{source=\"xero\",outcome=\"duplicate\"} 1" },
		{ "mapwright_webhooks_total{source=\"xero\",outcome=\"unauthorized\"} 2" },
		{ "mapwright_webhooks_total{source=\"qbo\",outcome=\"accepted\"} 2" },
		{ "mapwright_webhooks_total{source=\"qbo\",outcome=\"unauthorized\"} 1" },
	};
	for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
		snprintf(detail, sizeof detail, "metrics-has %s", want[i].line);
		check(text && has_line(text, want[i].line), detail, text ? text : "no answer");
	}
	free(text);

	/* the store failing: 500 so the sender retries, and /healthz says so */
	sqlite3 *raw;
	sqlite3_open(path, &raw);
	sqlite3_busy_timeout(raw, 5000);
	rc = sqlite3_exec(raw, "DROP TABLE inbox", NULL, NULL, NULL);
	sqlite3_close(raw);
	const char *order3 = "{\"id\":\"evt_0008\",\"type\":\"order.created\","
		"\"data\":{\"orderId\":\"SO-1003\"}}";
	st = post_clarity(CLARITY_SECRET, now, order3);
	snprintf(detail, sizeof detail, "drop %d, status %ld", rc, st);
	check(rc == SQLITE_OK && st == 500 && hook_count(h, "clarity", HOOK_ERROR) == 1,
		"store-failure-500", detail);
	st = call("GET", "/healthz", NULL, 0, NULL, 0);
	check(st == 503 && resp.body && strstr(resp.body, "state"), "healthz-broken-store-503",
		resp.body ? resp.body : "");

	state_close(mine);
	http_client_free(cli);
	hook_stop(h);
	state_close(hook_st);

	/* the log: one JSON line per refusal, the reasons, never a secret */
	fflush(log);
	rewind(log);
	char line[2048];
	int lines = 0, stale = 0, badsig = 0, leak = 0, by_length = 0, by_count = 0;
	while (fgets(line, sizeof line, log)) {
		lines++;
		stale += strstr(line, "\"reason\":\"stale timestamp\"") != NULL;
		badsig += strstr(line, "\"reason\":\"bad signature\"") != NULL;
		by_length += strstr(line, "\"status\":413,\"reason\":\"Content-Length ") != NULL;
		by_count += strstr(line, "\"status\":413,\"reason\":\"body of ") != NULL;
		leak += strstr(line, CLARITY_SECRET) || strstr(line, XERO_KEY) ||
			strstr(line, QBO_TOKEN) || strstr(line, "sha256=") || strstr(line, hex);
	}
	fclose(log);
	snprintf(detail, sizeof detail, "%d lines, %d stale, %d bad, %d leaks", lines, stale,
		badsig, leak);
	check(lines >= 14 && stale == 1 && badsig >= 4 && !leak, "log-reasons-no-secrets", detail);
	snprintf(detail, sizeof detail, "%d by Content-Length, %d counted", by_length, by_count);
	check(by_length == 1 && by_count == 1, "log-too-large-both-ways", detail);

	unlink(path);
	char aux[300];
	snprintf(aux, sizeof aux, "%s-wal", path);
	unlink(aux);
	snprintf(aux, sizeof aux, "%s-shm", path);
	unlink(aux);
	unlink(logpath);
	rmdir(dir);
	return failures ? 1 : 0;
}
