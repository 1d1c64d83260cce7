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
 *        400 unless N is a whole number >= 0; each level written is also
 *        kept as a record {"sku","quantityOnHand","updatedAt"} of the
 *        collection `inventory` (GET /_sandbox/records only)
 *   PUT  /clarity/api/v1/orders/{orderId}/status  {"status": S}: S one of
 *        the store's own statuses (pending, processing, fulfilled,
 *        completed, cancelled; else 400); the order's status and updatedAt
 *        change (order.updated); 404 for an unknown order
 *   POST /clarity/api/v1/shipments  {"orderId", "status", "carrier",
 *        "trackingNumber", "shippedAt", "lineItems": [{"sku","quantity"}]}:
 *        201 with the shipment, its shipmentId SH-NNNNNN the next free one
 *        (shipment.created); 422 when orderId names no order
 *   PUT  /clarity/api/v1/shipments/{shipmentId}  the members given replace
 *        the shipment's (shipment.updated); 404 for an unknown one
 *   GET  /clarity/api/v1/shipments?orderId=SO-1&trackingNumber=1Z...
 *        (either or both): the shipments of an order, or with a tracking
 *        number
 *
 * Writes honour Idempotency-Key: the same key is answered with the first
 * answer again, and the write happens once.
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
 * record.  Order status and shipment writes are changes like those
 * (order.updated, shipment.created / .updated); records loaded from files
 * at start and inventory writes send none (a sync that writes stock back
 * would otherwise wake itself).
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
#define ORDERS (&colls[0])
#define PRODUCTS (&colls[2])
#define SHIPMENTS (&colls[3])

/* the levels PUT /inventory wrote, by sku (GET /_sandbox/records only) */
static sb_records inventory_levels = { "inventory", "sku", updated_at, NULL, 0, 0 };
/* the statuses an order can be set to: the store's own */
static const char *const order_statuses[] = {
	"pending", "processing", "fulfilled", "completed", "cancelled",
};

static json_t *tokens, *idempotent;
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
	if (!strcmp(collection, inventory_levels.name))
		return &inventory_levels;
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
	idempotent = json_object();
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

/* What a listing keeps: changed since (NULL: all), and for shipments the
 * order's (orderId) or the tracking number's (NULL: any). */
typedef struct {
	const char *since, *order_id, *tracking;
} filter;

static int
field_is(const char *text, const char *field, const char *want)
{
	json_t *j = json_loads(text, JSON_ALLOW_NUL, NULL);
	const char *v = json_string_value(json_object_get(j, field));
	int yes = v && !strcmp(v, want);
	json_decref(j);
	return yes;
}

static int
keep(const sb_record *x, const void *arg)
{
	const filter *f = arg;
	return (!f->since || strcmp(x->updated, f->since) >= 0) &&
	       (!f->order_id || field_is(x->text, "orderId", f->order_id)) &&
	       (!f->tracking || field_is(x->text, "trackingNumber", f->tracking));
}

static void
now_stamp(char *out, size_t n)
{
	time_t t = time(NULL);
	struct tm tm;
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
}

static void
message(sb_response *r, unsigned status, const char *text)
{
	sb_json(r, status, json_pack("{s:s}", "message", text));
}

static void
answer_record(sb_response *r, unsigned status, const sb_record *x)
{
	r->status = status;
	r->body = strdup(x->text);
	r->content_type = "application/json; charset=utf-8";
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
	filter f = { since, NULL, NULL };
	if (c == SHIPMENTS) {
		f.order_id = q->query(q->conn, "orderId");
		f.tracking = q->query(q->conn, "trackingNumber");
	}
	size_t skip = (size_t)(page - 1) * (size_t)size, total, taken, len;
	char *body = sb_records_page(c, keep, &f, skip, (size_t)size, "{\"data\":",
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
	sb_record *x = sb_records_find(PRODUCTS, sku);
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
	char at[32], *level;
	size_t added, replaced, bad;
	now_stamp(at, sizeof at);
	level = json_dumps(json_pack("{s:s,s:I,s:s}", "sku", x->key, "quantityOnHand", n,
		"updatedAt", at), JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
	if (level)
		sb_records_upsert(&inventory_levels, level, strlen(level), &added, &replaced, &bad);
	free(level);
	answer_record(r, 200, x);
}

/* The record of c with key `key` as `text` (a change: its webhook is
 * sent); the record as stored now, or NULL. */
static sb_record *
replace(sb_records *c, const char *key, const char *text)
{
	size_t added, replaced, bad;
	sb_records_upsert_cb(c, text, strlen(text), &added, &replaced, &bad, changed, NULL);
	return bad ? NULL : sb_records_find(c, key);
}

/* PUT /api/v1/orders/{id}/status {"status": S}: S one of the store's
 * statuses; the order's status and updatedAt change in its own text. */
static void
order_status(const sb_request *q, sb_response *r, const char *id)
{
	sb_record *x = sb_records_find(ORDERS, id);
	json_t *j = json_loadb(q->body, q->body_len, 0, NULL);
	const char *st = json_string_value(json_object_get(j, "status"));
	int ok = 0;
	for (size_t i = 0; st && i < sizeof order_statuses / sizeof *order_statuses; i++)
		ok |= !strcmp(st, order_statuses[i]);
	if (!x) {
		message(r, 404, "Not Found");
	} else if (!ok) {
		message(r, 400, "status is one of pending, processing, fulfilled, completed, "
			"cancelled");
	} else {
		char v[64], at[32];
		sb_record t = *x;
		snprintf(v, sizeof v, "\"%s\"", st);
		now_stamp(at, sizeof at);
		if (!(t.text = strdup(x->text)) || sb_record_set(&t, "status", v) != 0) {
			message(r, 500, "cannot update the order");
		} else {
			snprintf(v, sizeof v, "\"%s\"", at);
			sb_record *n = sb_record_set(&t, "updatedAt", v) ? NULL :
				replace(ORDERS, id, t.text);
			if (n)
				answer_record(r, 200, n);
			else
				message(r, 500, "cannot update the order");
		}
		free(t.text);
	}
	json_decref(j);
}

/* A shipment's members as the store takes them: orderId naming an order,
 * status of its enum, lineItems of sku and quantity; NULL, or why not. */
static const char *
shipment_invalid(json_t *s, unsigned *status)
{
	static const char *const st[] = { "pending", "shipped", "delivered", "cancelled" };
	const char *o = json_string_value(json_object_get(s, "orderId"));
	const char *v = json_string_value(json_object_get(s, "status"));
	json_t *lines = json_object_get(s, "lineItems"), *li;
	size_t i;
	int ok = 0;
	*status = 400;
	for (i = 0; v && i < sizeof st / sizeof *st; i++)
		ok |= !strcmp(v, st[i]);
	if (!o)
		return "orderId is required";
	if (!ok)
		return "status is one of pending, shipped, delivered, cancelled";
	if (lines && !json_is_array(lines))
		return "lineItems is a list";
	json_array_foreach(lines, i, li)
		if (!json_is_string(json_object_get(li, "sku")) ||
		    !json_is_number(json_object_get(li, "quantity")))
			return "each of lineItems has a sku and a quantity";
	*status = 422;
	if (!sb_records_find(ORDERS, o))
		return "orderId does not name an order";
	return NULL;
}

/* POST /api/v1/shipments (id NULL): a new shipment, SH-NNNNNN the next
 * free number; PUT /api/v1/shipments/{id}: the members given replace its
 * own.  status defaults to "shipped"; updatedAt is now. */
static void
shipment(const sb_request *q, sb_response *r, const char *id)
{
	json_error_t je;
	json_t *body = json_loadb(q->body, q->body_len, 0, &je), *s = NULL;
	sb_record *x = id ? sb_records_find(SHIPMENTS, id) : NULL;
	char key[sizeof x->key], at[32];
	unsigned status;
	const char *why;

	if (id && !x) {
		message(r, 404, "Not Found");
		json_decref(body);
		return;
	}
	if (!json_is_object(body)) {
		message(r, 400, body ? "the body is not an object" : je.text);
		json_decref(body);
		return;
	}
	if (id) {
		snprintf(key, sizeof key, "%s", x->key);
		s = json_loads(x->text, 0, NULL);
	} else {
		long next = 100001;
		for (size_t i = 0; i < SHIPMENTS->n; i++)
			if (!strncmp(SHIPMENTS->v[i].key, "SH-", 3) &&
			    strtol(SHIPMENTS->v[i].key + 3, NULL, 10) >= next)
				next = strtol(SHIPMENTS->v[i].key + 3, NULL, 10) + 1;
		snprintf(key, sizeof key, "SH-%06ld", next);
		s = json_pack("{s:s,s:s}", "shipmentId", key, "status", "shipped");
	}
	json_object_del(body, "shipmentId");
	json_object_del(body, "updatedAt");
	json_object_update(s, body);
	now_stamp(at, sizeof at);
	json_object_set_new(s, "updatedAt", json_string(at));
	if ((why = shipment_invalid(s, &status))) {
		message(r, status, why);
	} else {
		char *text = json_dumps(s, JSON_COMPACT | JSON_PRESERVE_ORDER);
		sb_record *n = text ? replace(SHIPMENTS, key, text) : NULL;
		if (n)
			answer_record(r, id ? 200 : 201, n);
		else
			message(r, 500, "cannot store the shipment");
		free(text);
	}
	json_decref(s);
	json_decref(body);
}

/* The writes: PUT inventory/{sku}, PUT orders/{id}/status, POST shipments,
 * PUT shipments/{id} (rest: the path after /api/v1/); 0 when it is none. */
static int
store_write(const sb_request *q, sb_response *r, const char *rest)
{
	int put = !strcmp(q->method, "PUT"), post = !strcmp(q->method, "POST");
	const char *slash = strchr(rest, '/');
	char id[128];

	if (!slash || !slash[1]) {
		if (!post || strcmp(rest, "shipments"))
			return 0;
		shipment(q, r, NULL);
		return 1;
	}
	size_t n = strcspn(slash + 1, "/");
	if (!put || n >= sizeof id)
		return 0;
	memcpy(id, slash + 1, n);
	id[n] = 0;
	if (!strncmp(rest, "inventory/", 10) && !slash[1 + n])
		inventory(q, r, id);
	else if (!strncmp(rest, "shipments/", 10) && !slash[1 + n])
		shipment(q, r, id);
	else if (!strncmp(rest, "orders/", 7) && !strcmp(slash + 1 + n, "/status"))
		order_status(q, r, id);
	else
		return 0;
	return 1;
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
	if (!strncmp(q->path, prefix, strlen(prefix)) && strcmp(q->method, "GET")) {
		/* Idempotency-Key: the same key gets the first answer again, and
		 * the write happens once */
		const char *key = q->header(q->conn, "Idempotency-Key");
		json_t *seen = key ? json_object_get(idempotent, key) : NULL;
		if (seen) {
			r->status = (unsigned)json_integer_value(json_object_get(seen, "status"));
			r->body = strdup(json_string_value(json_object_get(seen, "body")));
			r->content_type = "application/json; charset=utf-8";
			return;
		}
		if (store_write(q, r, q->path + strlen(prefix))) {
			if (key && r->body && r->status < 500)
				json_object_set_new(idempotent, key, json_pack("{s:i,s:s}",
					"status", r->status, "body", r->body));
			return;
		}
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
	json_object_set_new(d, inventory_levels.name, json_integer((json_int_t)inventory_levels.n));
	return d;
}

const sb_service sb_clarity = { "clarity", "/clarity", seed, handle, dump, NULL };
