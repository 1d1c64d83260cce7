/*
 * conn_clarity.c - Clarity eCommerce, a source and a target: OAuth 2.0 client
 * credentials at {base_url}/oauth/token, then
 *
 *   GET {base_url}/api/v1/{orders|customers|products|shipments|returns}
 *       ?updatedSince=STAMP&page=N&pageSize=500
 *       -> {"data": [...], "page", "pageSize", "totalCount", "hasMore"}
 *   GET {base_url}/api/v1/{collection}/{id}
 *
 * ordered by updatedAt, then key.  Records are cut out of the page as the
 * service wrote them (conn_json_elements), so amounts keep their text.
 *
 * Writes back to the store (one document a request, Idempotency-Key: the
 * request key; the member that names the record is in the path, not the
 * body):
 *
 *   InventoryLevel {"sku", "quantityOnHand"}
 *       PUT {base_url}/api/v1/inventory/{sku} {"quantityOnHand": N}
 *   OrderStatus {"orderId", "status"}
 *       PUT {base_url}/api/v1/orders/{orderId}/status {"status": S}
 *   Shipment {"orderId", "status", "carrier", "trackingNumber", "shippedAt",
 *       "lineItems"}: POST {base_url}/api/v1/shipments (201, the new
 *       shipmentId), or PUT .../shipments/{shipmentId} with a target id
 *
 * The id of an inventory level is its sku, of an order status the
 * orderId.  An unknown sku or order is a 404: permanent, the document's
 * own answer.  Nothing can be voided.  find: InventoryLevel by sku
 * (GET products/{sku}), OrderStatus by orderId (GET orders/{id}), Shipment
 * by shipmentId, or by orderId or trackingNumber (GET shipments?orderId=),
 * one request a value: the store has no query language.
 *
 * The walk is keyset-style: after a page, the next request asks from the
 * last stamp seen (inclusive) instead of the next page number, so a record
 * updated during the walk (it moves to the end) cannot shift another out
 * of sight between pages.  Records at the boundary come again; the engine
 * sees their hash unchanged.  Only when a whole page shares one stamp does
 * the walk step by page number.
 *
 * Settings: base_url, client_id, client_secret; webhook_secret (serve).
 *
 * Webhooks (c_webhook): POST {"id","type","createdAt","data":{KEY: value}}
 * signed X-Clarity-Signature: "sha256=" + lowercase hex of
 * HMAC-SHA256(webhook_secret, TIMESTAMP "." raw body), with
 * X-Clarity-Timestamp: unix seconds, within 300 s of now.  The sandbox's
 * sender (sandbox/clarity.c) must agree with this one place.
 */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "conn.h"

#define PAGE_SIZE 500

/* ---- Clarity's webhook scheme: ONE place (the sandbox's sender must agree) ---- */
#define SIG_HEADER "X-Clarity-Signature" /* "sha256=" + 64 lowercase hex */
#define SIG_PREFIX "sha256="
#define TS_HEADER  "X-Clarity-Timestamp" /* unix seconds, decimal */
#define SIGNED_SEP "."                   /* signed: TIMESTAMP "." raw body */
#define TOLERANCE  300                   /* seconds either side of now */

struct conn {
	const conn_env *env;
	http_client *http;
	char base[400];
	conn_token token;
};

static int
c_open(const conn_env *env, conn **out, conn_result *res)
{
	conn *c = calloc(1, sizeof *c);

	*out = c;
	if (!c) {
		conn_result_set(res, HTTP_PERMANENT, 0, "out of memory");
		return -1;
	}
	c->env = env;
	snprintf(c->base, sizeof c->base, "%s", conn_setting(env, "base_url"));
	if (!c->base[0]) {
		conn_result_set(res, HTTP_PERMANENT, 0, "clarity: base_url is not set");
		return -1;
	}
	if (conn_http_new(env, &c->http, 64u << 20) != 0) {
		conn_result_set(res, HTTP_PERMANENT, 0, "clarity: no HTTP client");
		return -1;
	}
	char url[420];

	snprintf(url, sizeof url, "%s/oauth/token", c->base);
	conn_token_init(&c->token, env, c->http, "clarity", url, 1);
	return conn_token_ensure(&c->token, 0, res);
}

static void
c_close(conn *c)
{
	if (!c)
		return;
	http_client_free(c->http);
	free(c);
}

static int
c_auth(conn *c, conn_result *res)
{
	return conn_token_ensure(&c->token, 0, res);
}

static http_class
c_classify(conn *c, int rc, const http_response *resp, conn_result *res)
{
	(void)c;
	conn_result_from(res, rc, resp, NULL);
	return res->cls;
}

/* One call with the token (a write: its body and Idempotency-Key); one
 * refresh and retry on 401. */
static int
call(conn *c, const char *method, const char *url, const char *idem, const char *body,
	size_t len, http_response *resp, conn_result *res)
{
	char auth[4200], key[200], err[256] = "";
	const char *hdrs[4] = { auth, "Accept: application/json",
		"Content-Type: application/json" };
	http_request req = { method, url, hdrs, body ? 3 : 2, body, len, c->env->timeout_ms, 0 };

	if (idem) {
		snprintf(key, sizeof key, "Idempotency-Key: %s", idem);
		hdrs[req.n_headers++] = key;
	}

	for (int attempt = 0; attempt < 2; attempt++) {
		int rc;

		if (conn_token_ensure(&c->token, attempt > 0, res) != 0)
			return -1;
		snprintf(auth, sizeof auth, "Authorization: Bearer %s", c->token.tok.access);
		rc = http_do(c->http, &req, resp, err, sizeof err);
		if (c_classify(c, rc, resp, res) == HTTP_AUTH && attempt == 0)
			continue;
		return res->cls == HTTP_OK ? 0 : -1;
	}
	return -1;
}

static int
get_json(conn *c, const char *url, http_response *resp, conn_result *res)
{
	return call(c, "GET", url, NULL, NULL, 0, resp, res);
}

/* The records of the previous page that carry its last stamp, by hash:
 * the next page starts at that stamp and must not hand them out twice. */
typedef struct {
	conn_record_fn fn;
	void *arg;
	char since[64], last[64];
	uint64_t seen[PAGE_SIZE], next[PAGE_SIZE];
	size_t n_seen, n_next, n;
	int rc;
} walk;

static uint64_t
fnv(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603u;

	while (n--)
		h = (h ^ (unsigned char)*p++) * 1099511628211u;
	return h;
}

static void
stamp_of(const char *p, size_t n, char *out, size_t cap)
{
	json_t *j = json_loadb(p, n, 0, NULL);
	const char *s = j ? json_string_value(json_object_get(j, "updatedAt")) : NULL;

	snprintf(out, cap, "%s", s ? s : "");
	json_decref(j);
}

static int
one(void *arg, const char *p, size_t n)
{
	walk *w = arg;
	char stamp[64];

	uint64_t h = fnv(p, n);

	stamp_of(p, n, stamp, sizeof stamp);
	w->n++;
	if (strcmp(stamp, w->last) > 0) {
		memcpy(w->last, stamp, sizeof stamp);
		w->n_next = 0;
	}
	if (!strcmp(stamp, w->last) && w->n_next < PAGE_SIZE)
		w->next[w->n_next++] = h;
	if (!strcmp(stamp, w->since))
		for (size_t i = 0; i < w->n_seen; i++)
			if (w->seen[i] == h)
				return 0; /* handed out with the previous page */
	return w->rc = w->fn(w->arg, p, n, stamp);
}

static int walk_pages(conn *c, const char *coll, walk *w, char *url, size_t ulen, char *esc,
	size_t elen, long page, conn_result *res);

static int
c_list(conn *c, const char *coll, const char *cursor, conn_record_fn fn, void *arg,
	conn_result *res)
{
	char url[1024], esc[200];
	long page = 1;
	walk *w = calloc(1, sizeof *w);
	int rc = -1;

	if (!w) {
		conn_result_set(res, HTTP_PERMANENT, 0, "out of memory");
		return -1;
	}
	w->fn = fn;
	w->arg = arg;
	snprintf(w->since, sizeof w->since, "%s", cursor ? cursor : "");
	rc = walk_pages(c, coll, w, url, sizeof url, esc, sizeof esc, page, res);
	free(w);
	return rc;
}

static int
walk_pages(conn *c, const char *coll, walk *w, char *url, size_t ulen, char *esc, size_t elen,
	long page, conn_result *res)
{
	for (;;) {
		http_response r;
		json_t *j;
		int more, rc;

		w->n = 0;
		http_url_escape(w->since, esc, elen);
		snprintf(url, ulen, "%s/api/v1/%s?page=%ld&pageSize=%d%s%s", c->base, coll,
			page, PAGE_SIZE, esc[0] ? "&updatedSince=" : "", esc);
		if (get_json(c, url, &r, res) != 0)
			return -1;
		rc = conn_json_elements(r.body, r.body_len, "data", one, w);
		if (rc < 0 && !w->rc) {
			conn_result_set(res, HTTP_TRANSIENT, r.status,
				"clarity: a page of %s that is not {\"data\": [...]}", coll);
			return -1;
		}
		if (w->rc)
			return w->rc;
		/* hasMore is after the records: read it from the whole body */
		j = json_loadb(r.body, r.body_len, 0, NULL);
		more = j && json_is_true(json_object_get(j, "hasMore"));
		json_decref(j);
		if (!more || w->n == 0)
			return 0;
		if (strcmp(w->last, w->since) > 0) {
			memcpy(w->since, w->last, sizeof w->since);
			memcpy(w->seen, w->next, w->n_next * sizeof *w->next);
			w->n_seen = w->n_next;
			page = 1;
		} else {
			page++; /* a whole page at one stamp: step by number */
		}
	}
}

static int
c_get(conn *c, const char *coll, const char *id, conn_record_fn fn, void *arg,
	conn_result *res)
{
	char url[1024], stamp[64], esc[300];
	http_response r;

	http_url_escape(id, esc, sizeof esc);
	snprintf(url, sizeof url, "%s/api/v1/%s/%s", c->base, coll, esc);
	if (get_json(c, url, &r, res) != 0)
		return -1;
	stamp_of(r.body, r.body_len, stamp, sizeof stamp);
	return fn(arg, r.body, r.body_len, stamp);
}

/* ------------------------------------------------------------------ */
/* writes back to the store                                            */
/* ------------------------------------------------------------------ */

/* The types the store takes: where a document goes (api/v1/COLL/{id}SUFFIX),
 * the member naming it (in the path, not the body), whether one without a
 * target id is created by a POST to the collection (the store gives the
 * id), and the collection find() reads for it. */
static const struct {
	const char *type, *coll, *key, *suffix;
	int create;
	const char *read;
} stores[] = {
	{ "InventoryLevel", "inventory", "sku", "", 0, "products" },
	{ "OrderStatus", "orders", "orderId", "/status", 0, "orders" },
	{ "Shipment", "shipments", "shipmentId", "", 1, "shipments" },
};

static int
store_of(const char *type)
{
	for (size_t i = 0; type && i < sizeof stores / sizeof *stores; i++)
		if (!strcmp(stores[i].type, type))
			return (int)i;
	return -1;
}

/* The JSON object doc[0..len) without its top-level member `name`, into
 * out (cap >= len + 3), the other members' text as they are; that
 * member's string value into val ("" when absent or not a string).  0, or
 * -1 when doc is not an object. */
static int
cut_member(const char *doc, size_t len, const char *name, char *out, size_t cap, char *val,
	size_t vcap)
{
	size_t i = 0, o = 0, nl = strlen(name);
	int first = 1;

	val[0] = '\0';
	while (i < len && strchr(" \t\r\n", doc[i]))
		i++;
	if (i >= len || doc[i] != '{' || cap < len + 3)
		return -1;
	out[o++] = '{';
	for (i++;;) {
		while (i < len && strchr(" \t\r\n,", doc[i]))
			i++;
		if (i < len && doc[i] == '}')
			break;
		size_t ks = i, kl = i < len && doc[i] == '"' ? conn_json_skip(doc + i, len - i) : 0;
		if (!kl)
			return -1;
		i += kl;
		while (i < len && strchr(" \t\r\n", doc[i]))
			i++;
		if (i >= len || doc[i++] != ':')
			return -1;
		while (i < len && strchr(" \t\r\n", doc[i]))
			i++;
		size_t vs = i, vl = i < len ? conn_json_skip(doc + i, len - i) : 0;
		if (!vl)
			return -1;
		i += vl;
		if (kl == nl + 2 && !strncmp(doc + ks + 1, name, nl)) {
			json_t *v = json_loadb(doc + vs, vl, JSON_DECODE_ANY, NULL);
			snprintf(val, vcap, "%s", json_is_string(v) ? json_string_value(v) : "");
			json_decref(v);
			continue;
		}
		if (!first)
			out[o++] = ',';
		memcpy(out + o, doc + ks, i - ks);
		o += i - ks;
		first = 0;
	}
	out[o++] = '}';
	out[o] = '\0';
	return 0;
}

/* One document: PUT (or POST, a new shipment) with the request key.  An
 * answer that refuses the document (4xx) is its own: 0 with its res; -1
 * when nothing is known written (no answer, 5xx, 429). */
static int
c_write(conn *c, const char *request_key, conn_item *items, size_t n, conn_result *res)
{
	int k = n == 1 ? store_of(items[0].type) : -1;
	conn_item *it = items;
	char url[1200], esc[400], id[CONN_ID_MAX], *body;
	http_response r;
	const char *method;

	if (k < 0) {
		conn_result_set(res, HTTP_PERMANENT, 0, "clarity: cannot write %zu %s documents", n,
			n ? items[0].type : "?");
		for (size_t i = 0; i < n; i++)
			items[i].res = *res;
		return -1;
	}
	it->id[0] = '\0';
	if (it->op == CONN_OP_VOID) {
		conn_result_set(&it->res, HTTP_PERMANENT, 0, "Clarity voids no such document: %s",
			it->type);
		conn_result_set(res, HTTP_OK, 0, "OK");
		return 0;
	}
	if (!(body = malloc(it->len + 3))) {
		conn_result_set(res, HTTP_PERMANENT, 0, "out of memory");
		it->res = *res;
		return -1;
	}
	if (cut_member(it->doc, it->len, stores[k].key, body, it->len + 3, id, sizeof id) != 0) {
		conn_result_set(&it->res, HTTP_PERMANENT, 0, "clarity: the %s is not a JSON object",
			it->type);
		free(body);
		conn_result_set(res, HTTP_OK, 0, "OK");
		return 0;
	}
	if (it->target_id)
		snprintf(id, sizeof id, "%s", it->target_id);
	if (!id[0] && !stores[k].create) {
		conn_result_set(&it->res, HTTP_PERMANENT, 0, "clarity: the %s has no %s", it->type,
			stores[k].key);
		free(body);
		conn_result_set(res, HTTP_OK, 0, "OK");
		return 0;
	}
	http_url_escape(id, esc, sizeof esc);
	method = id[0] ? "PUT" : "POST";
	snprintf(url, sizeof url, "%s/api/v1/%s%s%s%s", c->base, stores[k].coll, id[0] ? "/" : "",
		esc, id[0] ? stores[k].suffix : "");
	if (c->env->dry_run) {
		fprintf(c->env->dry_run, "%s %s\nIdempotency-Key: %s\n%s\n\n", method, url,
			request_key, body);
		free(body);
		conn_result_set(&it->res, HTTP_OK, 0, "dry run");
		snprintf(it->id, sizeof it->id, "%s", id[0] ? id : "dry-run");
		*res = it->res;
		return 0;
	}
	int rc = call(c, method, url, request_key, body, strlen(body), &r, res);
	free(body);
	if (rc != 0) {
		it->res = *res;
		if (res->cls != HTTP_PERMANENT)
			return -1;
		conn_result_set(res, HTTP_OK, 0, "OK"); /* the document's own refusal */
		return 0;
	}
	if (!id[0]) { /* a new record: the store named it */
		json_t *j = json_loadb(r.body, r.body_len, 0, NULL);
		const char *got = json_string_value(json_object_get(j, stores[k].key));
		snprintf(id, sizeof id, "%s", got ? got : "");
		json_decref(j);
		if (!id[0]) {
			conn_result_set(res, HTTP_TRANSIENT, r.status,
				"clarity: no %s in the answer", stores[k].key);
			it->res = *res;
			return -1;
		}
	}
	snprintf(it->id, sizeof it->id, "%s", id);
	conn_result_set(&it->res, HTTP_OK, r.status, "OK");
	*res = it->res;
	return 0;
}

/* One value's records: GET url, each record of the answer (one, or a
 * page's "data") counted by its member `field`, its id the member `key`.
 * 0 answered (a 404: none), 1 answered and more pages follow, -1 no usable
 * answer (res). */
static int
find_at(conn *c, const char *url, int page, const char *field, const char *key,
	conn_find_item *it, conn_result *res)
{
	http_response r;
	json_t *j, *list;
	size_t i;
	int more = 0;

	if (get_json(c, url, &r, res) != 0)
		return res->status == 404 && !page ? 0 : -1;
	j = json_loadb(r.body, r.body_len, 0, NULL);
	list = page ? json_object_get(j, "data") : NULL;
	if (!j || (page && !json_is_array(list))) {
		json_decref(j);
		conn_result_set(res, HTTP_TRANSIENT, r.status, "clarity: an answer that is not %s",
			page ? "a page" : "a record");
		return -1;
	}
	if (!page) {
		conn_find_doc(it, 1, json_string_value(json_object_get(j, key)),
			json_string_value(json_object_get(j, field)), strcmp);
	} else {
		json_t *x;
		json_array_foreach(list, i, x)
			conn_find_doc(it, 1, json_string_value(json_object_get(x, key)),
				json_string_value(json_object_get(x, field)), strcmp);
		more = json_is_true(json_object_get(j, "hasMore"));
	}
	json_decref(j);
	return more ? 1 : 0;
}

/* Each value by its own request: a record by its key (GET COLL/{v}), or
 * shipments by orderId or trackingNumber (GET shipments?F=v, every page).
 * The store has no query language to ask for several at once. */
static int
c_find(conn *c, const char *type, const char *field, conn_find_item *items, size_t n,
	conn_result *res)
{
	int k = store_of(type), asked = 0;

	field = conn_find_field(field);
	int by_key = k >= 0 && field && !strcmp(field, stores[k].key);
	int by_query = k >= 0 && field && !strcmp(stores[k].type, "Shipment") &&
		(!strcmp(field, "orderId") || !strcmp(field, "trackingNumber"));
	if (!by_key && !by_query) {
		conn_result_set(res, HTTP_PERMANENT, 0, "clarity: cannot look up %s by %s",
			type ? type : "?", field ? field : "that field");
		return conn_find_fail(items, n, res);
	}
	conn_find_begin(items, n);
	conn_result_set(res, HTTP_OK, 0, "%s", "");
	if (c->env->dry_run)
		return 0; /* nothing is asked in a dry run */
	for (size_t i = 0; i < n; i++) {
		char url[1200], esc[400];
		int rc = 0;

		if (!items[i].value || strlen(items[i].value) >= 300) {
			conn_result_set(&items[i].res, HTTP_PERMANENT, 0,
				"clarity: the %s to look up is too long", field);
			items[i].rc = -1;
			continue;
		}
		http_url_escape(items[i].value, esc, sizeof esc);
		for (long page = 1; by_query; page++) {
			snprintf(url, sizeof url, "%s/api/v1/%s?%s=%s&page=%ld&pageSize=%d", c->base,
				stores[k].read, field, esc, page, PAGE_SIZE);
			if ((rc = find_at(c, url, 1, field, stores[k].key, &items[i], res)) != 1)
				break;
		}
		if (by_key) {
			snprintf(url, sizeof url, "%s/api/v1/%s/%s", c->base, stores[k].read, esc);
			rc = find_at(c, url, 0, field, field, &items[i], res);
		}
		if (rc < 0) {
			if (!asked)
				return conn_find_fail(items, n, res);
			conn_find_unanswered(items, i, n, res);
			break;
		}
		asked = 1;
	}
	conn_find_end(items, n);
	conn_result_set(res, HTTP_OK, 200, "%s", "");
	return 0;
}

/* ------------------------------------------------------------------ */
/* webhooks                                                            */
/* ------------------------------------------------------------------ */

static int
hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* sha256=HEX of the MAC of TIMESTAMP "." body, and the timestamp within
 * TOLERANCE of now.  NULL when good, else why not. */
static const char *
verify(const char *key, size_t klen, const hook_request *rq)
{
	const size_t plen = sizeof SIG_PREFIX - 1;
	const char *sig = hook_header(rq, SIG_HEADER), *ts = hook_header(rq, TS_HEADER);
	unsigned char mac[32], got[32];
	size_t blen;
	const char *body = hook_body(rq, &blen);

	if (!sig || !*sig)
		return "missing signature";
	if (!ts || !*ts)
		return "missing timestamp";
	size_t tlen = strlen(ts);
	int64_t t = 0;
	if (tlen > 18)
		return "bad timestamp";
	for (size_t i = 0; i < tlen; i++) {
		if (ts[i] < '0' || ts[i] > '9')
			return "bad timestamp";
		t = t * 10 + (ts[i] - '0');
	}
	if (strlen(sig) != plen + 64 || strncmp(sig, SIG_PREFIX, plen))
		return "bad signature";
	for (size_t i = 0; i < 32; i++) {
		int hi = hexval((unsigned char)sig[plen + 2 * i]);
		int lo = hexval((unsigned char)sig[plen + 2 * i + 1]);
		if (hi < 0 || lo < 0)
			return "bad signature";
		got[i] = (unsigned char)(hi << 4 | lo);
	}
	const void *parts[3] = { ts, SIGNED_SEP, body };
	size_t lens[3] = { tlen, sizeof SIGNED_SEP - 1, blen };
	if (hook_hmac_sha256(key, klen, parts, lens, 3, mac))
		return "cannot compute the signature";
	int good = hook_equal(mac, got, sizeof mac);
	hook_wipe(mac, sizeof mac);
	if (!good)
		return "bad signature";
	int64_t now = (int64_t)time(NULL);
	if (t < now - TOLERANCE || t > now + TOLERANCE)
		return "stale timestamp";
	return NULL;
}

/* {"id","type","createdAt","data":{KEY: value}}: the type's first part
 * names the collection and the data member holding the key. */
static hook_outcome
events(const json_t *root, hook_emit_fn emit, void *arg, char *why, size_t n)
{
	static const struct {
		const char *kind, *collection, *key;
	} kinds[] = {
		{ "order", "orders", "orderId" },
		{ "customer", "customers", "customerId" },
		{ "product", "products", "sku" },
		{ "shipment", "shipments", "shipmentId" },
		{ "return", "returns", "returnId" },
	};
	const char *id, *type;
	char key[64];

	if (!json_is_object(root)) {
		snprintf(why, n, "not a JSON object");
		return HOOK_MALFORMED;
	}
	if (!(id = conn_event_str(root, "id", "event", why, n)) ||
	    !(type = conn_event_str(root, "type", "event", why, n)))
		return HOOK_MALFORMED;
	const json_t *data = json_object_get(root, "data");
	if (!json_is_object(data)) {
		snprintf(why, n, "event: \"data\" is not an object");
		return HOOK_MALFORMED;
	}
	size_t klen = strcspn(type, ".");
	for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
		if (strlen(kinds[i].kind) != klen || strncmp(type, kinds[i].kind, klen))
			continue;
		const json_t *k = json_object_get(data, kinds[i].key);
		const char *ks;
		if (json_is_integer(k)) {
			snprintf(key, sizeof key, "%" JSON_INTEGER_FORMAT, json_integer_value(k));
			ks = key;
		} else if (!(ks = conn_event_str(data, kinds[i].key, "event data", why, n))) {
			return HOOK_MALFORMED;
		}
		hook_event ev = { id, type, kinds[i].collection, ks };
		return conn_emit(emit, arg, &ev, why, n);
	}
	snprintf(why, n, "event type \"%.64s\" is not synced", type);
	return HOOK_IGNORED;
}

static hook_outcome
c_webhook(const char *secret, size_t secret_len, const hook_request *rq, hook_emit_fn emit,
	void *arg, char *why, size_t n)
{
	return conn_webhook(verify(secret, secret_len, rq), rq, events, emit, arg, why, n);
}

/* What this connector reads and writes (conn.h; its schema declares the same). */
static const conn_cap caps[] = {
	{ "orders", CONN_CAN_LIST },
	{ "customers", CONN_CAN_LIST },
	{ "products", CONN_CAN_LIST },
	{ "shipments", CONN_CAN_LIST },
	{ "returns", CONN_CAN_LIST },
	{ "InventoryLevel", CONN_CAN_WRITE },
	{ "OrderStatus", CONN_CAN_WRITE },
	{ "Shipment", CONN_CAN_WRITE },
	{ NULL, 0 },
};

const conn_ops conn_clarity = {
	.service = "clarity_ecommerce",
	.caps = caps,
	.max_batch = 1,
	/* none published */
	.per_min = 0,
	.per_day = 0,
	.concurrent = 0,
	.open = c_open,
	.close = c_close,
	.auth = c_auth,
	.list = c_list,
	.get = c_get,
	.write = c_write,
	.find = c_find,
	.classify = c_classify,
	.webhook_setting = "webhook_secret",
	.webhook = c_webhook,
};
