/*
 * clarity.c - the sandbox's Clarity eCommerce, the storefront the Clarity
 * pairs read from: OAuth 2.0 client credentials, then orders, customers and
 * products as JSON with the fields of the vendor's product pages (see
 * mappings/schemas/clarity_ecommerce.map), paged and filtered by update time:
 *
 *   POST /clarity/oauth/token            grant_type=client_credentials, HTTP
 *                                        Basic sandbox-client:sandbox-secret
 *   GET  /clarity/api/v1/{orders|customers|products|shipments|returns}
 *        ?page=1&pageSize=100&updatedSince=2026-11-20T00:00:00Z
 *        -> {"data":[...],"page":1,"pageSize":100,"totalCount":N,"hasMore":b}
 *   GET  /clarity/api/v1/{collection}/{key}     (orderId, customerId, sku,
 *                                               shipmentId, returnId)
 *   PUT  /clarity/api/v1/inventory/{sku}  {"quantityOnHand": N}: the
 *        inventory write-back; answers the product, 404 for an unknown sku,
 *        400 unless N is a whole number >= 0
 *
 * Records come from NDJSON files (sandbox --clarity-orders FILE
 * --clarity-customers FILE ... --clarity-returns FILE, e.g. from
 * tests/bench/gen_orders.py), or are generated (sandbox --seed S --orders N,
 * seed.c), and are served as they were written, byte for byte, so amounts
 * keep their exact text.  Order is by updatedAt, then key,
 * as a cursor needs.  Tokens live an hour (--token-ttl), and die early on
 * the expire_tokens fault.
 *
 * Webhooks: each record added or replaced through POST /_sandbox/records is
 * one event (sb_webhook_emit, delivered by main.c): orders order.created,
 * then order.paid when paymentInfo.status turns "captured", else
 * order.updated; customer.created / customer.updated; product.created /
 * product.updated; shipment.created / .updated; return.created / .updated.
 * Its data is the key only ({"orderId": "SO-1"}): the receiver fetches the
 * record.  Records loaded from files at start and inventory writes send
 * none.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sandbox.h"

static const char *const updated_at[] = { "updatedAt", NULL };

static sb_records colls[] = {
	{ "orders", "orderId", updated_at, NULL, 0, 0 },
	{ "customers", "customerId", updated_at, NULL, 0, 0 },
	{ "products", "sku", updated_at, NULL, 0, 0 },
	{ "shipments", "shipmentId", updated_at, NULL, 0, 0 },
	{ "returns", "returnId", updated_at, NULL, 0, 0 },
};
/* the events of a collection's records: added, replaced */
static const char *const events[][2] = {
	{ "order.created", "order.updated" },
	{ "customer.created", "customer.updated" },
	{ "product.created", "product.updated" },
	{ "shipment.created", "shipment.updated" },
	{ "return.created", "return.updated" },
};
#define NCOLLS (sizeof colls / sizeof *colls)

static json_t *tokens;
static unsigned counter;

int
sb_clarity_load(const char *collection, const char *path)
{
	for (size_t i = 0; i < NCOLLS; i++)
		if (!strcmp(colls[i].name, collection))
			return sb_records_load(&colls[i], path);
	return -1;
}

int
sb_clarity_load_buf(const char *collection, const char *buf, size_t len)
{
	for (size_t i = 0; i < NCOLLS; i++)
		if (!strcmp(colls[i].name, collection)) {
			sb_records_load_buf(&colls[i], buf, len);
			return 0;
		}
	return -1;
}

const sb_records *
sb_clarity_records(const char *collection)
{
	for (size_t i = 0; i < NCOLLS; i++)
		if (!strcmp(colls[i].name, collection))
			return &colls[i];
	return NULL;
}

/* "captured" payment in the record's text: what makes an order paid */
static int
captured(const char *text)
{
	json_error_t je;
	json_t *j = text ? json_loads(text, 0, &je) : NULL;
	const char *st = json_string_value(json_object_get(json_object_get(j, "paymentInfo"),
		"status"));
	int yes = st && !strcmp(st, "captured");
	json_decref(j);
	return yes;
}

static void
changed(const sb_records *c, const char *key, const char *old_text, const char *new_text,
	void *arg)
{
	(void)arg;
	size_t i = (size_t)(c - colls);
	const char *type = events[i][old_text != NULL];
	if (i == 0 && old_text && captured(new_text) && !captured(old_text))
		type = "order.paid";
	sb_webhook_emit(type, json_pack("{s:s}", c->key_field, key));
}

int
sb_clarity_upsert(const char *collection, const char *body, size_t len, size_t *added,
	size_t *replaced, size_t *bad)
{
	for (size_t i = 0; i < NCOLLS; i++)
		if (!strcmp(colls[i].name, collection)) {
			sb_records_upsert_cb(&colls[i], body, len, added, replaced, bad, changed,
				NULL);
			return 0;
		}
	return -1;
}

static void
seed(unsigned s)
{
	tokens = json_object();
	counter = s * 7919;
}

/* A token is [expiry, generation]: valid until it expires or tests revoke
 * the generation (sb_token_generation). */
static int
authorised(const sb_request *q)
{
	const char *a = q->header(q->conn, "Authorization");
	json_t *t = a && !strncmp(a, "Bearer ", 7) ? json_object_get(tokens, a + 7) : NULL;
	return t && json_integer_value(json_array_get(t, 0)) >= (json_int_t)time(NULL) &&
	       json_integer_value(json_array_get(t, 1)) ==
	       (json_int_t)sb_token_generation("clarity");
}

static int
updated_since(const sb_record *x, const void *since)
{
	return !since || strcmp(x->updated, since) >= 0;
}

static void
list(const sb_request *q, sb_response *r, sb_records *c)
{
	const char *p = q->query(q->conn, "page"), *ps = q->query(q->conn, "pageSize");
	const char *since_q = q->query(q->conn, "updatedSince");
	char since_n[40];
	sb_stamp_norm(since_q, since_n, sizeof since_n);
	const char *since = since_q ? since_n : NULL;
	long page = p ? strtol(p, NULL, 10) : 1, size = ps ? strtol(ps, NULL, 10) : 100;
	if (since_q && !since_n[0]) {
		sb_json(r, 400, json_pack("{s:s}", "message", "updatedSince is not a date-time"));
		return;
	}
	if (page < 1 || size < 1 || size > 500) {
		sb_json(r, 400, json_pack("{s:s}", "message", "page >= 1 and 1 <= pageSize <= 500"));
		return;
	}
	size_t skip = (size_t)(page - 1) * (size_t)size, total, taken, len;
	char *body = sb_records_page(c, updated_since, since, skip, (size_t)size, "{\"data\":",
		&total, &taken, &len);
	if (!body) {
		sb_json(r, 500, NULL);
		return;
	}
	snprintf(body + len, 200, ",\"page\":%ld,\"pageSize\":%ld,\"totalCount\":%zu,"
		"\"hasMore\":%s}", page, size, total, skip + taken < total ? "true" : "false");
	r->status = 200;
	r->body = body;
	r->content_type = "application/json; charset=utf-8";
}

/* PUT /api/v1/inventory/{sku} {"quantityOnHand": N}: the product's
 * quantityOnHand becomes N in its own text, the rest byte for byte. */
static void
inventory(const sb_request *q, sb_response *r, const char *sku)
{
	sb_record *x = sb_records_find(&colls[2], sku);
	json_error_t je;
	json_t *j = json_loadb(q->body, q->body_len, 0, &je);
	json_t *v = json_object_get(j, "quantityOnHand");
	json_int_t n = json_is_integer(v) ? json_integer_value(v) : -1;
	json_decref(j);
	if (!x) {
		sb_json(r, 404, json_pack("{s:s}", "message", "Not Found"));
		return;
	}
	if (n < 0) {
		sb_json(r, 400, json_pack("{s:s}", "message",
			"quantityOnHand is a whole number, at least 0"));
		return;
	}
	char text[32];
	snprintf(text, sizeof text, "%" JSON_INTEGER_FORMAT, n);
	if (sb_record_set(x, "quantityOnHand", text) != 0) {
		sb_json(r, 500, json_pack("{s:s}", "message", "cannot update the product"));
		return;
	}
	r->status = 200;
	r->body = strdup(x->text);
	r->content_type = "application/json; charset=utf-8";
}

static void
handle(const sb_request *q, sb_response *r)
{
	if (!strcmp(q->path, "/oauth/token") && !strcmp(q->method, "POST")) {
		const char *a = q->header(q->conn, "Authorization");
		if (!a || strcmp(a, "Basic c2FuZGJveC1jbGllbnQ6c2FuZGJveC1zZWNyZXQ=") != 0 ||
		    !strstr(q->body, "grant_type=client_credentials")) {
			sb_json(r, 401, json_pack("{s:s}", "error", "invalid_client"));
			return;
		}
		char at[64];
		snprintf(at, sizeof at, "clarity-%u", counter++);
		long ttl = sb_ttl(3600);
		json_object_set_new(tokens, at, json_pack("[I,I]", (json_int_t)(time(NULL) + ttl),
			(json_int_t)sb_token_generation("clarity")));
		sb_json(r, 200, json_pack("{s:s,s:s,s:I}", "access_token", at, "token_type", "Bearer",
			"expires_in", (json_int_t)ttl));
		return;
	}
	if (!authorised(q)) {
		sb_json(r, 401, json_pack("{s:s}", "message", "Unauthorized"));
		return;
	}
	const char *prefix = "/api/v1/";
	if (!strncmp(q->path, "/api/v1/inventory/", 18) && !strcmp(q->method, "PUT")) {
		inventory(q, r, q->path + 18);
		return;
	}
	if (strncmp(q->path, prefix, strlen(prefix)) != 0 || strcmp(q->method, "GET") != 0) {
		sb_json(r, 404, json_pack("{s:s}", "message", "Not Found"));
		return;
	}
	const char *rest = q->path + strlen(prefix);
	for (size_t i = 0; i < NCOLLS; i++) {
		size_t n = strlen(colls[i].name);
		if (strncmp(rest, colls[i].name, n) != 0)
			continue;
		if (!rest[n]) {
			list(q, r, &colls[i]);
			return;
		}
		sb_record *one = rest[n] == '/' ? sb_records_find(&colls[i], rest + n + 1) : NULL;
		if (one) {
			r->status = 200;
			r->body = strdup(one->text);
			r->content_type = "application/json; charset=utf-8";
			return;
		}
	}
	sb_json(r, 404, json_pack("{s:s}", "message", "Not Found"));
}

static json_t *
dump(void)
{
	json_t *d = json_object();
	for (size_t i = 0; i < NCOLLS; i++)
		json_object_set_new(d, colls[i].name, json_integer((json_int_t)colls[i].n));
	return d;
}

const sb_service sb_clarity = { "clarity", "/clarity", seed, handle, dump, NULL };
