/*
 * main.c - the sandbox server: libmicrohttpd on 127.0.0.1, routing by
 * path prefix to the service modules, the inspection endpoints
 * GET /_sandbox/dump?service=NAME, GET /_sandbox/books?service=NAME (the
 * target's books, answered by its module at the path /_sandbox/books),
 * GET /_sandbox/records, GET /_sandbox/ecb (ecb.c), GET /_sandbox/calls?service=NAME
 * (every request to NAME: [ms since the epoch at its arrival, method, path]), and the seed.
 *
 *   sandbox [--port N] [--port-file FILE] [--seed N] [--orders N]
 *           [--token-ttl S] [--limit-scale X]
 *           [--clarity-orders FILE] [--clarity-customers FILE] [--clarity-products FILE]
 *           [--clarity-shipments FILE] [--clarity-returns FILE]
 *           [--clarity-webhook-url URL] [--clarity-webhook-secret S]
 *           [--nop-orders FILE] [--nop-customers FILE] [--nop-products FILE]
 *           [--nop-shipments FILE] [--nop-returnrequests FILE]
 *   sandbox --hmac-selftest < LINES   "sha256 HEX" / "hmac KEYHEX HEX" ("-":
 *                                     empty) -> the digest in hex, a line each
 *
 * With --port 0 (the default) the kernel picks a free port; it is printed
 * ("sandbox listening on http://127.0.0.1:PORT") and written to FILE.
 *
 * With --orders N (N >= 1), Clarity's and NopCommerce's orders, customers
 * and products are generated from --seed (seed.c): N orders per store;
 * a collection also given as a file (--clarity-orders FILE ...) is the
 * file's.  GET /_sandbox/records?service=clarity|nop&collection=NAME
 * answers a collection as NDJSON, each record's text as the service serves
 * it, in the order it serves them; POST there adds or replaces records.
 *
 * Faults on request, for the reliability tests: POST /_sandbox/faults with
 * {"service": NAME, "fail_5xx": N, "rate_429": N, "drop": N,
 *  "lose_response": N, "latency_ms": MS}: the next N requests to NAME answer
 * 503, answer 429 with Retry-After: 1, lose their connection before being
 * handled, or are handled (the write commits) and then lose their
 * connection; every request waits latency_ms first.  GET shows them.
 * "chaos_pct": P (with "seed": S) gives each request a P% chance of one
 * fault of those four kinds, drawn from a sequence fixed by S.
 * "refuse_request": TEXT refuses every write whose body holds TEXT as a
 * whole, 400 in the service's shape, until faults are set again.
 *
 * Webhooks: events the modules queue (sb_webhook_emit, from the request
 * thread) are POSTed by the main thread, which only waits in its loop
 * otherwise: libmicrohttpd serves requests on its own single thread, so a
 * webhook URL that is the sandbox itself is answered, not deadlocked.  The
 * queue is the one thing both threads touch, under wh_lock.  Each delivery
 * is signed (docs/sandbox.md, "Webhooks"), tried up to WH_ATTEMPTS times
 * with backoff 0.25 s, 0.5 s, 1 s, ... until a 2xx answer, and listed by
 * GET /_sandbox/webhooks.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <curl/curl.h>
#include <microhttpd.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "sandbox.h"

#define MAX_BODY (10u << 20)

static const sb_service *const services[] = {
	&sb_xero, &sb_qbo, &sb_intacct, &sb_clarity, &sb_nop,
};
#define NSERVICES (sizeof services / sizeof *services)

typedef struct {
	char *data;
	size_t len;
	int too_big;
} Upload;

static volatile sig_atomic_t stop;

long sb_token_ttl;
double sb_limit_scale = 1.0;

long
sb_ttl(long own)
{
	return sb_token_ttl > 0 ? sb_token_ttl : own;
}

long
sb_limit(long published)
{
	double v = (double)published * sb_limit_scale;
	return v < 1 ? 1 : (long)v;
}

/* Pending faults per service, in the order they apply. */
typedef struct {
	int fail_5xx, rate_429, drop, lose_response;
	int expire_after;  /* > 0: revoke the tokens once this many more are handled */
	long latency_ms;
	int chaos_pct;     /* each request: this % chance of one fault of the four kinds */
	unsigned chaos_seed;
	char refuse[128];  /* a write whose body holds this is refused as a whole (400) */
} Faults;

/* Whether p[0..n) holds text. */
static int
holds(const char *p, size_t n, const char *text)
{
	size_t m = strlen(text);

	for (size_t i = 0; m && i + m <= n; i++)
		if (memcmp(p + i, text, m) == 0)
			return 1;
	return 0;
}

/* The refuse_request fault: the whole request refused with 400 in the
 * service's own shape for a body it cannot take (Xero's
 * PostDataInvalidException, QuickBooks' ValidationFault), nothing of it
 * handled; the message names the text that spoiled it. */
static void
refuse_request(const char *service, const char *text, sb_response *r)
{
	char msg[256];

	snprintf(msg, sizeof msg, "The request could not be read: the document holding \"%s\" "
		"is not valid", text);
	if (strcmp(service, "xero") == 0)
		sb_json(r, 400, json_pack("{s:i,s:s,s:s}", "ErrorNumber", 14, "Type",
			"PostDataInvalidException", "Message", msg));
	else if (strcmp(service, "qbo") == 0)
		sb_json(r, 400, json_pack("{s:{s:[{s:s,s:s,s:s}],s:s},s:s}", "Fault", "Error",
			"Message", "Request has invalid or unsupported property", "Detail", msg,
			"code", "2010", "type", "ValidationFault", "time", "2030-01-01T00:00:00.000-08:00"));
	else
		sb_json(r, 400, json_pack("{s:s}", "Message", msg));
}

static Faults faults[sizeof services / sizeof *services];
static unsigned token_generation[sizeof services / sizeof *services];

unsigned
sb_token_generation(const char *service)
{
	for (size_t i = 0; i < NSERVICES; i++)
		if (strcmp(service, services[i]->name) == 0)
			return token_generation[i];
	return 0;
}

#define NO_COLLECTION "service is clarity or nop, collection orders, customers, products, " \
	"shipments, returns (clarity) or returnrequests (nop)"

/* GET /_sandbox/records: the collection's records, one a line, as held. */
static void
records_get(const char *svc, const char *coll, sb_response *r)
{
	const sb_records *c = !svc || !coll ? NULL : !strcmp(svc, "clarity") ?
		sb_clarity_records(coll) : !strcmp(svc, "nop") ? sb_nop_records(coll) : NULL;
	if (!c) {
		sb_json(r, 404, json_pack("{s:s}", "Message", NO_COLLECTION));
		return;
	}
	size_t cap = 1, n = 0;
	for (size_t i = 0; i < c->n; i++)
		cap += strlen(c->v[i].text) + 1;
	char *body = malloc(cap);
	if (!body) {
		sb_json(r, 500, json_pack("{s:s}", "Message", "out of memory"));
		return;
	}
	for (size_t i = 0; i < c->n; i++) {
		size_t len = strlen(c->v[i].text);
		memcpy(body + n, c->v[i].text, len);
		n += len;
		body[n++] = '\n';
	}
	body[n] = 0;
	r->status = 200;
	r->body = body;
	r->content_type = "application/x-ndjson; charset=utf-8";
}

/* /_sandbox/records?service=clarity|nop&collection=NAME: GET the records,
 * POST an NDJSON body of records to add or replace. */
static void
records(struct MHD_Connection *conn, const char *method, const Upload *u, sb_response *r)
{
	const char *svc = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "service");
	const char *coll = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND,
		"collection");
	size_t added = 0, replaced = 0, bad = 0;
	int rc = -1;
	if (strcmp(method, "GET") == 0) {
		records_get(svc, coll, r);
		return;
	}
	if (strcmp(method, "POST") != 0) {
		sb_json(r, 405, json_pack("{s:s}", "Message",
			"GET the records, or POST an NDJSON body"));
		sb_header(r, "Allow", "GET, POST");
		return;
	}
	if (svc && coll && strcmp(svc, "clarity") == 0)
		rc = sb_clarity_upsert(coll, u->data ? u->data : "", u->len, &added, &replaced,
			&bad);
	else if (svc && coll && strcmp(svc, "nop") == 0)
		rc = sb_nop_upsert(coll, u->data ? u->data : "", u->len, &added, &replaced, &bad);
	if (rc != 0) {
		sb_json(r, 404, json_pack("{s:s}", "Message", NO_COLLECTION));
		return;
	}
	sb_json(r, bad ? 400 : 200, json_pack("{s:I,s:I,s:I}", "added", (json_int_t)added,
		"replaced", (json_int_t)replaced, "bad", (json_int_t)bad));
}

/* POST /_sandbox/documents?service=xero|qbo|intacct&collection=NAME: each
 * NDJSON line of the body a document already in the target (Xero
 * Contacts, QuickBooks Customer, Intacct CUSTOMER; rates: QuickBooks
 * ExchangeRate, Intacct EXCHANGERATEENTRY), stored without the
 * API's checks; the answer lists the ids the service gave them. */
static void
documents(struct MHD_Connection *conn, const char *method, const Upload *u, sb_response *r)
{
	const char *svc = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "service");
	const char *coll = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND,
		"collection");
	const sb_service *s = NULL;
	for (size_t i = 0; svc && i < NSERVICES; i++)
		if (strcmp(svc, services[i]->name) == 0 && services[i]->place)
			s = services[i];
	if (strcmp(method, "POST") != 0) {
		sb_json(r, 405, json_pack("{s:s}", "Message", "POST an NDJSON body of documents"));
		sb_header(r, "Allow", "POST");
		return;
	}
	if (!s || !coll) {
		sb_json(r, 404, json_pack("{s:s}", "Message", "service is xero, qbo or intacct"));
		return;
	}
	json_t *ids = json_array();
	const char *p = u->data ? u->data : "", *end = p + u->len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const char *line = p;
		p += n + (nl != NULL);
		while (n && (line[n - 1] == '\r' || line[n - 1] == ' '))
			n--;
		if (n == 0)
			continue;
		json_t *doc = json_loadb(line, n, 0, NULL);
		int obj = json_is_object(doc);
		const char *id = obj ? s->place(coll, doc) : NULL;
		if (!obj)
			json_decref(doc);
		if (!id) {
			json_decref(ids);
			sb_json(r, obj ? 404 : 400, json_pack("{s:s}", "Message",
				"each line a JSON object, for a collection the service takes (xero "
				"Contacts, qbo Customer, intacct CUSTOMER)"));
			return;
		}
		json_array_append_new(ids, json_string(id));
	}
	sb_json(r, 200, json_pack("{s:o}", "ids", ids));
}

/* ---- webhooks ---------------------------------------------------------- */

#define WH_ATTEMPTS 5 /* the first try and four retries */
#define WH_BACKOFF 0.25 /* seconds before the first retry; doubled for each next */

typedef struct {
	char id[40];
	char type[32];
	char key[128];
	char *body;               /* the exact bytes signed and sent */
	int attempts;
	long status[WH_ATTEMPTS]; /* each attempt's HTTP status; 0: no answer */
	char error[96];           /* the last attempt's transport error */
	double due;               /* monotonic seconds of the next attempt */
	int state;                /* 0 pending, 1 delivered, 2 failed */
} Delivery;

static pthread_mutex_t wh_lock = PTHREAD_MUTEX_INITIALIZER;
static Delivery *wh;
static size_t wh_n, wh_cap;
static const char *wh_url, *wh_secret;
static unsigned wh_counter;

static double
now_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
sb_webhook_emit(const char *type, json_t *data)
{
	if (!wh_url) {
		json_decref(data);
		return;
	}
	time_t t = time(NULL);
	struct tm tm;
	char stamp[32], id[40], key[128] = "";
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	const char *k;
	json_t *v;
	json_object_foreach(data, k, v) {
		if (json_is_string(v))
			snprintf(key, sizeof key, "%s", json_string_value(v));
		break;
	}
	pthread_mutex_lock(&wh_lock);
	snprintf(id, sizeof id, "evt_%010lld%06u", (long long)t, ++wh_counter);
	json_t *ev = json_pack("{s:s,s:s,s:s,s:o}", "id", id, "type", type, "createdAt", stamp,
		"data", data);
	char *body = ev ? json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(ev);
	if (body && wh_n == wh_cap) {
		size_t ncap = wh_cap ? wh_cap * 2 : 64;
		Delivery *nw = realloc(wh, sizeof *nw * ncap);
		if (nw) {
			wh = nw;
			wh_cap = ncap;
		}
	}
	if (body && wh_n < wh_cap) {
		Delivery *d = &wh[wh_n++];
		memset(d, 0, sizeof *d);
		snprintf(d->id, sizeof d->id, "%s", id);
		snprintf(d->type, sizeof d->type, "%s", type);
		snprintf(d->key, sizeof d->key, "%s", key);
		d->body = body;
		d->due = now_mono();
	} else {
		free(body);
	}
	pthread_mutex_unlock(&wh_lock);
}

static size_t
discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

/* One attempt: the HTTP status, or 0 with *err when nothing came back.
 * Signed string: "<X-Clarity-Timestamp>.<raw body>", stamped anew for each
 * attempt (so a receiver may refuse old stamps without refusing retries). */
static long
wh_post(const char *id, const char *body, char *err, size_t errlen)
{
	char ts[24], hex[65], h[4][160];
	snprintf(ts, sizeof ts, "%lld", (long long)time(NULL));
	struct curl_slist *hdr = NULL;
	snprintf(h[0], sizeof h[0], "X-Clarity-Event-Id: %s", id);
	snprintf(h[1], sizeof h[1], "X-Clarity-Timestamp: %s", ts);
	hdr = curl_slist_append(hdr, "Content-Type: application/json");
	hdr = curl_slist_append(hdr, "Expect:");
	hdr = curl_slist_append(hdr, h[0]);
	hdr = curl_slist_append(hdr, h[1]);
	if (wh_secret) {
		unsigned char mac[32];
		const void *parts[] = { ts, ".", body };
		size_t lens[] = { strlen(ts), 1, strlen(body) };
		sb_hmac_sha256(wh_secret, strlen(wh_secret), parts, lens, 3, mac);
		sb_hex(mac, sizeof mac, hex);
		snprintf(h[2], sizeof h[2], "X-Clarity-Signature: sha256=%s", hex);
		hdr = curl_slist_append(hdr, h[2]);
	}
	CURL *c = curl_easy_init();
	long status = 0;
	char ebuf[CURL_ERROR_SIZE] = "";
	if (!c) {
		snprintf(err, errlen, "curl_easy_init failed");
		curl_slist_free_all(hdr);
		return 0;
	}
	curl_easy_setopt(c, CURLOPT_URL, wh_url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "Clarity-Webhooks (mapwright sandbox)");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	CURLcode rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	else
		snprintf(err, errlen, "%.90s", ebuf[0] ? ebuf : curl_easy_strerror(rc));
	curl_easy_cleanup(c);
	curl_slist_free_all(hdr);
	return status;
}

/* The main loop's part: every delivery that is due, one attempt each. */
static void
wh_drain(void)
{
	for (;;) {
		double now = now_mono();
		size_t i;
		char id[40], *body = NULL;
		pthread_mutex_lock(&wh_lock);
		for (i = 0; i < wh_n; i++)
			if (wh[i].state == 0 && wh[i].due <= now)
				break;
		if (i < wh_n) {
			snprintf(id, sizeof id, "%s", wh[i].id);
			body = strdup(wh[i].body);
		}
		pthread_mutex_unlock(&wh_lock);
		if (!body)
			return;
		char err[96] = "";
		long st = wh_post(id, body, err, sizeof err);
		free(body);
		pthread_mutex_lock(&wh_lock);
		Delivery *d = &wh[i];
		d->status[d->attempts++] = st;
		snprintf(d->error, sizeof d->error, "%s", err);
		if (st >= 200 && st < 300)
			d->state = 1;
		else if (d->attempts >= WH_ATTEMPTS)
			d->state = 2;
		else
			d->due = now_mono() + WH_BACKOFF * (double)(1u << (d->attempts - 1));
		pthread_mutex_unlock(&wh_lock);
	}
}

/* GET /_sandbox/webhooks: every delivery, oldest first. */
static json_t *
wh_list(void)
{
	static const char *const states[] = { "pending", "delivered", "failed" };
	json_t *all = json_array();
	pthread_mutex_lock(&wh_lock);
	for (size_t i = 0; i < wh_n; i++) {
		const Delivery *d = &wh[i];
		json_t *st = json_array();
		for (int a = 0; a < d->attempts; a++)
			json_array_append_new(st, json_integer(d->status[a]));
		json_array_append_new(all, json_pack("{s:s,s:s,s:s,s:s,s:i,s:o,s:I,s:s,s:s}",
			"id", d->id, "type", d->type, "key", d->key, "state", states[d->state],
			"attempts", d->attempts, "statuses", st, "status",
			(json_int_t)(d->attempts ? d->status[d->attempts - 1] : 0),
			"error", d->error, "body", d->body));
	}
	pthread_mutex_unlock(&wh_lock);
	return json_pack("{s:s?,s:b,s:o}", "url", wh_url, "signed", wh_secret != NULL,
		"deliveries", all);
}

/* ---- SHA-256 and HMAC-SHA256: libcrypto -------------------------------- */

void
sb_sha256(const void *data, size_t n, unsigned char out[32])
{
	if (EVP_Digest(data, n, out, NULL, EVP_sha256(), NULL) != 1)
		memset(out, 0, 32); /* a signature nobody accepts; never seen */
}

void
sb_hmac_sha256(const void *key, size_t klen, const void *const *parts, const size_t *lens,
	size_t nparts, unsigned char out[32])
{
	static const unsigned char none[1];
	char digest[] = "SHA256";
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
		OSSL_PARAM_construct_end()
	};
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	size_t len = 0;
	/* a key of 0 bytes is still a key: not NULL, which would mean "none set" */
	int ok = ctx && EVP_MAC_init(ctx, klen ? key : none, klen, params) == 1;

	for (size_t i = 0; ok && i < nparts; i++)
		ok = EVP_MAC_update(ctx, parts[i], lens[i]) == 1;
	ok = ok && EVP_MAC_final(ctx, out, &len, 32) == 1 && len == 32;
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	if (!ok)
		memset(out, 0, 32);
}

void
sb_hex(const unsigned char *v, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[v[i] >> 4];
		out[2 * i + 1] = digits[v[i] & 15];
	}
	out[2 * n] = 0;
}

/* --hmac-selftest: digests of the lines on standard input, for the tests. */
static int
unhex(const char *h, unsigned char **out, size_t *n)
{
	size_t len = strcmp(h, "-") ? strlen(h) : 0;
	*n = len / 2;
	*out = malloc(*n + 1);
	if (!*out || len % 2)
		return -1;
	for (size_t i = 0; i < 2 * *n; i++) {
		char c = h[i];
		int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
			c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (v < 0)
			return -1;
		(*out)[i / 2] = (unsigned char)(i % 2 ? (*out)[i / 2] << 4 | v : v);
	}
	return 0;
}

static int
hmac_selftest(void)
{
	char *line = NULL, *save = NULL, hex[65];
	size_t cap = 0;
	int rc = 0;
	while (getline(&line, &cap, stdin) > 0) {
		line[strcspn(line, "\r\n")] = 0;
		char *op = strtok_r(line, " ", &save), *a = strtok_r(NULL, " ", &save);
		char *b = strtok_r(NULL, " ", &save);
		unsigned char *k = NULL, *m = NULL, mac[32];
		size_t kn = 0, mn = 0;
		if (op && a && !b && !strcmp(op, "sha256") && unhex(a, &m, &mn) == 0) {
			sb_sha256(m, mn, mac);
		} else if (op && a && b && !strcmp(op, "hmac") && unhex(a, &k, &kn) == 0 &&
			   unhex(b, &m, &mn) == 0) {
			const void *parts[] = { m };
			sb_hmac_sha256(k, kn, parts, &mn, 1, mac);
		} else {
			fprintf(stderr, "sandbox: --hmac-selftest: bad line\n");
			rc = 2;
			free(k);
			free(m);
			continue;
		}
		sb_hex(mac, sizeof mac, hex);
		printf("%s\n", hex);
		free(k);
		free(m);
	}
	free(line);
	return rc;
}

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

void
sb_json(sb_response *r, unsigned status, json_t *body)
{
	r->status = status;
	/* 15 significant digits: a stored 8.99 is answered 8.99, as the real
	 * services (which keep decimals) answer it, not 8.9900000000000002 */
	r->body = body ? json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER |
		JSON_REAL_PRECISION(15)) : NULL;
	r->content_type = "application/json; charset=utf-8";
	json_decref(body);
}

void
sb_header(sb_response *r, const char *name, const char *value)
{
	if (r->n_headers >= 4)
		return;
	snprintf(r->headers[r->n_headers][0], sizeof r->headers[0][0], "%s", name);
	snprintf(r->headers[r->n_headers][1], sizeof r->headers[0][1], "%s", value);
	r->n_headers++;
}

static const char *
get_header(void *conn, const char *name)
{
	return MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
}

static const char *
get_query(void *conn, const char *name)
{
	return MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, name);
}

/* GET /_sandbox/books?service=NAME: the target's books (sandbox.h). */
static void
books(struct MHD_Connection *conn, sb_response *r)
{
	static const struct { const char *name; json_t *(*fn)(void); } by[] = {
		{ "xero", sb_xero_books },
		{ "qbo", sb_qbo_books },
		{ "intacct", sb_intacct_books },
	};
	const char *name = get_query(conn, "service");
	for (size_t i = 0; name && i < sizeof by / sizeof *by; i++)
		if (strcmp(name, by[i].name) == 0) {
			sb_json(r, 200, by[i].fn());
			return;
		}
	sb_json(r, 404, json_pack("{s:s}", "Message", "no books for that service"));
}

static enum MHD_Result
respond(struct MHD_Connection *conn, sb_response *r)
{
	const char *b = r->body ? r->body : "";
	struct MHD_Response *resp = MHD_create_response_from_buffer(strlen(b), (void *)b,
		MHD_RESPMEM_MUST_COPY);
	free(r->body);
	if (!resp)
		return MHD_NO;
	if (r->content_type)
		MHD_add_response_header(resp, "Content-Type", r->content_type);
	for (int i = 0; i < r->n_headers; i++)
		MHD_add_response_header(resp, r->headers[i][0], r->headers[i][1]);
	enum MHD_Result ok = MHD_queue_response(conn, r->status, resp);
	MHD_destroy_response(resp);
	return ok;
}

/* Requests are served on a thread each (libmicrohttpd's thread per
 * connection), so that calls made at once are in flight at once, as at the
 * real services; the services' in-memory state is touched under sb_lock
 * alone, which a request lets go of only while it waits its latency_ms.
 * Each service counts its requests in flight (from the request's arrival
 * to its answer) and the most there were at once since its faults were
 * last set (GET /_sandbox/faults: "in_flight_peak"); past the cap the
 * service publishes (Xero 5, QuickBooks Online 10 calls at once) a
 * request is answered 429, as theirs are. */
static pthread_mutex_t sb_lock = PTHREAD_MUTEX_INITIALIZER;
static int in_flight[sizeof services / sizeof *services];
static int in_flight_peak[sizeof services / sizeof *services];

static int
concurrent_cap(const char *service)
{
	if (strcmp(service, "xero") == 0)
		return 5;   /* developer.xero.com, OAuth 2.0 API limits: 5 concurrent calls */
	if (strcmp(service, "qbo") == 0)
		return 10;  /* Intuit, API call limits: 10 concurrent requests per realm */
	return 0;
}

/* Every request to a service, when it arrived (ms since the epoch), its
 * method and path, kept for GET /_sandbox/calls?service=NAME: the rate-limit
 * tests count the calls of any 60 s from what the service saw. */
typedef struct {
	long long at;
	char method[8], path[120];
} call_seen;
static call_seen *calls_seen[sizeof services / sizeof *services];
static size_t ncalls_seen[sizeof services / sizeof *services];

static void
call_note(size_t i, const char *method, const char *path)
{
	struct timespec ts;

	if (ncalls_seen[i] % 1024 == 0) { /* grown 1024 at a time */
		call_seen *n = realloc(calls_seen[i], (ncalls_seen[i] + 1024) * sizeof *n);
		if (!n)
			return;
		calls_seen[i] = n;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	call_seen *c = &calls_seen[i][ncalls_seen[i]++];
	c->at = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	snprintf(c->method, sizeof c->method, "%s", method);
	snprintf(c->path, sizeof c->path, "%s", path);
}

static enum MHD_Result answer(struct MHD_Connection *conn, const char *url,
	const char *method, Upload *u);
static enum MHD_Result too_many(struct MHD_Connection *conn, sb_response *r);
static enum MHD_Result service(size_t i, struct MHD_Connection *conn, const char *path,
	const char *method, Upload *u, sb_response *rp);

static enum MHD_Result
handler(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
	const char *version, const char *upload, size_t *upload_size, void **state)
{
	(void)cls;
	(void)version;
	Upload *u = *state;
	if (!u) {
		*state = u = calloc(1, sizeof *u);
		return u ? MHD_YES : MHD_NO;
	}
	if (*upload_size) {
		if (u->len + *upload_size > MAX_BODY) {
			u->too_big = 1;
		} else {
			char *nd = realloc(u->data, u->len + *upload_size + 1);
			if (!nd)
				return MHD_NO;
			memcpy(nd + u->len, upload, *upload_size);
			u->data = nd;
			u->len += *upload_size;
			u->data[u->len] = 0;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	pthread_mutex_lock(&sb_lock);
	enum MHD_Result ok = answer(conn, url, method, u);
	pthread_mutex_unlock(&sb_lock);
	return ok;
}

/* A whole request (under sb_lock). */
static enum MHD_Result
answer(struct MHD_Connection *conn, const char *url, const char *method, Upload *u)
{
	sb_response r = { 0 };
	if (u->too_big) {
		sb_json(&r, 413, json_pack("{s:s}", "Message", "request body too large"));
		return respond(conn, &r);
	}
	if (strcmp(url, "/_sandbox/faults") == 0) {
		json_error_t je;
		json_t *j = strcmp(method, "POST") == 0 ? json_loadb(u->data ? u->data : "", u->len,
			0, &je) : NULL;
		const char *name = j ? json_string_value(json_object_get(j, "service")) : NULL;
		for (size_t i = 0; name && i < NSERVICES; i++) {
			if (strcmp(name, services[i]->name) != 0)
				continue;
			Faults *f = &faults[i];
			f->fail_5xx = (int)json_integer_value(json_object_get(j, "fail_5xx"));
			f->rate_429 = (int)json_integer_value(json_object_get(j, "rate_429"));
			f->drop = (int)json_integer_value(json_object_get(j, "drop"));
			f->lose_response = (int)json_integer_value(json_object_get(j,
				"lose_response"));
			f->latency_ms = (long)json_integer_value(json_object_get(j, "latency_ms"));
			if (json_integer_value(json_object_get(j, "expire_tokens")) > 0)
				token_generation[i]++;
			f->expire_after = (int)json_integer_value(json_object_get(j,
				"expire_tokens_after"));
			f->chaos_pct = (int)json_integer_value(json_object_get(j, "chaos_pct"));
			f->chaos_seed = (unsigned)json_integer_value(json_object_get(j, "seed")) + 1;
			const char *rf = json_string_value(json_object_get(j, "refuse_request"));
			snprintf(f->refuse, sizeof f->refuse, "%s", rf ? rf : "");
			in_flight_peak[i] = in_flight[i];
		}
		json_decref(j);
		json_t *all = json_object();
		for (size_t i = 0; i < NSERVICES; i++)
			json_object_set_new(all, services[i]->name,
				json_pack("{s:i,s:i,s:i,s:i,s:i,s:I,s:I,s:i,s:s,s:i,s:i}", "fail_5xx",
				faults[i].fail_5xx, "rate_429", faults[i].rate_429, "drop",
				faults[i].drop, "lose_response", faults[i].lose_response,
				"expire_tokens_after", faults[i].expire_after, "latency_ms",
				(json_int_t)faults[i].latency_ms, "token_generation",
				(json_int_t)token_generation[i], "chaos_pct", faults[i].chaos_pct,
				"refuse_request", faults[i].refuse, "in_flight", in_flight[i],
				"in_flight_peak", in_flight_peak[i]));
		sb_json(&r, 200, all);
		return respond(conn, &r);
	}
	if (strcmp(url, "/_sandbox/calls") == 0) {
		const char *name = get_query(conn, "service");
		json_t *a = json_array();

		for (size_t i = 0; name && i < NSERVICES; i++)
			for (size_t k = 0; !strcmp(name, services[i]->name) && k < ncalls_seen[i]; k++)
				json_array_append_new(a, json_pack("[I,s,s]",
					(json_int_t)calls_seen[i][k].at, calls_seen[i][k].method,
					calls_seen[i][k].path));
		sb_json(&r, 200, a);
		return respond(conn, &r);
	}
	if (strcmp(url, "/_sandbox/webhooks") == 0) {
		sb_json(&r, 200, wh_list());
		return respond(conn, &r);
	}
	if (strcmp(url, "/_sandbox/records") == 0) {
		records(conn, method, u, &r);
		return respond(conn, &r);
	}
	if (strcmp(url, "/_sandbox/documents") == 0) {
		documents(conn, method, u, &r);
		return respond(conn, &r);
	}
	if (strcmp(url, "/_sandbox/books") == 0) {
		books(conn, &r);
		return respond(conn, &r);
	}
	if (strcmp(url, "/_sandbox/ecb") == 0) {
		size_t n;
		r.body = sb_ecb_xml(&n);
		r.status = r.body ? 200 : 500;
		r.content_type = "text/xml";
		return respond(conn, &r);
	}
	if (strcmp(url, "/_sandbox/dump") == 0) {
		const char *name = get_query(conn, "service");
		for (size_t i = 0; i < NSERVICES; i++)
			if (name && strcmp(name, services[i]->name) == 0) {
				sb_json(&r, 200, services[i]->dump());
				return respond(conn, &r);
			}
		sb_json(&r, 404, json_pack("{s:s}", "Message", "unknown service"));
		return respond(conn, &r);
	}
	for (size_t i = 0; i < NSERVICES; i++) {
		size_t n = strlen(services[i]->prefix);
		if (strncmp(url, services[i]->prefix, n) == 0 && (url[n] == '/' || !url[n])) {
			int cap = concurrent_cap(services[i]->name);

			call_note(i, method, url);
			if (++in_flight[i] > in_flight_peak[i])
				in_flight_peak[i] = in_flight[i];
			enum MHD_Result ok = cap && in_flight[i] > cap ? too_many(conn, &r) :
				service(i, conn, url + n, method, u, &r);
			in_flight[i]--;
			return ok;
		}
	}
	sb_json(&r, 404, json_pack("{s:s}", "Message", "no such service"));
	return respond(conn, &r);
}

/* More calls at once than the service takes: 429, nothing handled. */
static enum MHD_Result
too_many(struct MHD_Connection *conn, sb_response *r)
{
	sb_json(r, 429, json_pack("{s:s,s:s}", "Title", "Too Many Requests", "Detail",
		"too many concurrent requests"));
	sb_header(r, "Retry-After", "1");
	sb_header(r, "X-Rate-Limit-Problem", "concurrent");
	return respond(conn, r);
}

/* A request to services[i] at path (after its prefix): faults, then the
 * service's module. */
static enum MHD_Result
service(size_t i, struct MHD_Connection *conn, const char *path, const char *method, Upload *u,
	sb_response *rp)
{
	sb_response r = *rp;
	Faults *f = &faults[i];
	if (f->chaos_pct > 0 && (int)(rand_r(&f->chaos_seed) % 100) < f->chaos_pct) {
		/* a random fault of a random kind, from a seeded sequence */
		switch (rand_r(&f->chaos_seed) % 4) {
		case 0: f->drop++; break;
		case 1: f->fail_5xx++; break;
		case 2: f->rate_429++; break;
		default: f->lose_response++; break;
		}
	}
	if (f->latency_ms > 0) {
		struct timespec ts = { f->latency_ms / 1000,
			(f->latency_ms % 1000) * 1000000L };
		pthread_mutex_unlock(&sb_lock); /* others are served meanwhile */
		nanosleep(&ts, NULL);
		pthread_mutex_lock(&sb_lock);
	}
	if (f->drop > 0) { /* the connection goes before any answer */
		f->drop--;
		return MHD_NO;
	}
	if (f->fail_5xx > 0) {
		f->fail_5xx--;
		sb_json(&r, 503, json_pack("{s:s}", "Message", "Service Unavailable"));
		return respond(conn, &r);
	}
	if (f->rate_429 > 0) {
		f->rate_429--;
		sb_json(&r, 429, json_pack("{s:s}", "Message", "Too Many Requests"));
		sb_header(&r, "Retry-After", "1");
		return respond(conn, &r);
	}
	if (f->refuse[0] && strcmp(method, "GET") != 0 && u->data &&
	    holds(u->data, u->len, f->refuse)) {
		refuse_request(services[i]->name, f->refuse, &r);
		return respond(conn, &r);
	}
	sb_request q = { method, path, u->data ? u->data : "", u->len,
		get_header, get_query, conn };
	r.status = 500;
	services[i]->handle(&q, &r);
	if (f->expire_after > 0 && --f->expire_after == 0)
		token_generation[i]++; /* mid-run: the next call needs a new token */
	if (f->lose_response > 0 && strcmp(method, "GET") != 0) {
		/* committed, and the answer never arrives */
		f->lose_response--;
		free(r.body);
		return MHD_NO;
	}
	return respond(conn, &r);
}

static void
done(void *cls, struct MHD_Connection *conn, void **state, enum MHD_RequestTerminationCode t)
{
	(void)cls;
	(void)conn;
	(void)t;
	Upload *u = *state;
	if (u) {
		free(u->data);
		free(u);
	}
	*state = NULL;
}

/* Whether the command line names a file for this collection. */
static int
given(int argc, char **argv, const char *service, const char *collection)
{
	char flag[64];
	snprintf(flag, sizeof flag, "--%s-%s", service, collection);
	for (int i = 1; i + 1 < argc; i++)
		if (strcmp(argv[i], flag) == 0)
			return 1;
	return 0;
}

/* --orders N: the storefronts' collections that no file gives, from the seed. */
static int
generate(int argc, char **argv, unsigned seed, long orders)
{
	static const char *const gen[][2] = {
		{ "clarity", "orders" }, { "clarity", "customers" }, { "clarity", "products" },
		{ "clarity", "returns" },
		{ "nop", "orders" }, { "nop", "customers" }, { "nop", "products" },
	};
	for (size_t i = 0; i < sizeof gen / sizeof *gen; i++) {
		if (given(argc, argv, gen[i][0], gen[i][1]))
			continue;
		size_t len;
		char *buf = sb_seed_ndjson(gen[i][0], gen[i][1], seed, orders, &len);
		int rc = !buf ? -1 : strcmp(gen[i][0], "clarity") == 0 ?
			sb_clarity_load_buf(gen[i][1], buf, len) : sb_nop_load_buf(gen[i][1], buf, len);
		free(buf);
		if (rc != 0) {
			fprintf(stderr, "sandbox: cannot generate %s %s\n", gen[i][0], gen[i][1]);
			return -1;
		}
	}
	return 0;
}

int
main(int argc, char **argv)
{
	unsigned port = 0, seed = 1;
	long orders = 0;
	const char *port_file = NULL;
	for (int i = 1; i < argc; i++) {
		char *end = NULL;
		if (strcmp(argv[i], "--port") == 0 && i + 1 < argc)
			port = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--orders") == 0 && i + 1 < argc &&
			 (orders = strtol(argv[i + 1], &end, 10)) >= 0 && orders <= 10000000 &&
			 end != argv[i + 1] && !*end)
			i++;
		else if (strcmp(argv[i], "--port-file") == 0 && i + 1 < argc)
			port_file = argv[++i];
		else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
			seed = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--token-ttl") == 0 && i + 1 < argc)
			sb_token_ttl = strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--limit-scale") == 0 && i + 1 < argc)
			sb_limit_scale = strtod(argv[++i], NULL);
		else if (strcmp(argv[i], "--clarity-webhook-url") == 0 && i + 1 < argc)
			wh_url = argv[++i];
		else if (strcmp(argv[i], "--clarity-webhook-secret") == 0 && i + 1 < argc)
			wh_secret = argv[++i];
		else if (strcmp(argv[i], "--hmac-selftest") == 0)
			return hmac_selftest();
		else if ((strncmp(argv[i], "--clarity-", 10) == 0 ||
			  strncmp(argv[i], "--nop-", 6) == 0) && i + 1 < argc)
			i++; /* loaded below, after the seed */
		else {
			fprintf(stderr, "usage: sandbox [--port N] [--port-file FILE] [--seed N] "
				"[--orders N] [--token-ttl S] [--limit-scale X] "
				"[--clarity-orders|customers|products|shipments|returns FILE] "
				"[--clarity-webhook-url URL] [--clarity-webhook-secret S] "
				"[--nop-...]\n");
			return 2;
		}
	}
	for (size_t i = 0; i < NSERVICES; i++)
		services[i]->seed(seed);
	for (int i = 1; i + 1 < argc; i++) {
		int rc;
		if (strncmp(argv[i], "--clarity-webhook-", 18) == 0) {
			i++;
			continue;
		}
		if (strncmp(argv[i], "--clarity-", 10) == 0)
			rc = sb_clarity_load(argv[i] + 10, argv[i + 1]);
		else if (strncmp(argv[i], "--nop-", 6) == 0)
			rc = sb_nop_load(argv[i] + 6, argv[i + 1]);
		else
			continue;
		if (rc != 0) {
			fprintf(stderr, "sandbox: cannot load %s from %s\n", argv[i], argv[i + 1]);
			return 2;
		}
		i++;
	}
	if (orders > 0 && generate(argc, argv, seed, orders) != 0)
		return 2;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	struct sockaddr_in addr = { 0 };
	addr.sin_family = AF_INET;
	addr.sin_port = htons((unsigned short)port);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	/* A thread per connection, the services' state under sb_lock (answer) */
	struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
		MHD_USE_THREAD_PER_CONNECTION, 0, NULL, NULL,
		handler, NULL, MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_NOTIFY_COMPLETED, done, NULL,
		MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "sandbox: cannot listen on 127.0.0.1:%u\n", port);
		return 1;
	}
	port = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port;
	printf("sandbox listening on http://127.0.0.1:%u\n", port);
	fflush(stdout);
	if (port_file) {
		FILE *f = fopen(port_file, "w");
		if (f) {
			fprintf(f, "%u\n", port);
			fclose(f);
		}
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	/* a receiver that hangs up mid-delivery must not end the sandbox (with
	 * CURLOPT_NOSIGNAL, curl leaves SIGPIPE to the program) */
	signal(SIGPIPE, SIG_IGN);
	while (!stop) {
		struct timespec ts = { 0, 20000000L };
		nanosleep(&ts, NULL);
		wh_drain();
	}
	MHD_stop_daemon(d);
	curl_global_cleanup();
	return 0;
}
