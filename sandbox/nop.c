/*
 * nop.c - the sandbox's NopCommerce Web API, the storefront the
 * NopCommerce -> QuickBooks pair reads from (records with nopCommerce's
 * PascalCase domain names and status ids, see mappings/schemas/
 * nopcommerce.map), with the resource routes and the token call of the
 * community API plugin (Nop.Plugin.Api: TokenController, TokenRequest,
 * TokenResponse):
 *
 *   GET  /nop/token            JSON body {"username","password"} (POST too)
 *        -> {"access_token","token_type":"Bearer","created_at_utc",
 *            "expires_at_utc","username","customer_id","customer_guid"};
 *        400 "Missing username" / "Missing password", 403 "Wrong username
 *        or password".  The user is sandbox-api / sandbox-api-pw (a store
 *        customer in the "Api Users" role).  Tokens are JWTs the plugin
 *        signs for TokenExpiryInDays (here 7 days, or --token-ttl); any
 *        call with a missing, expired or revoked (expire_tokens) one: 401.
 *   GET  /nop/api/{orders|customers|products|shipments|returnrequests}
 *        ?limit=50&page=1&since_id=N&updated_at_min=2026-11-20T00:00:00Z
 *        -> {"orders": [...]} (limit at most 250, ids ascending)
 *        orders also by the plugin's BaseOrdersParametersModel filters:
 *        created_at_min / created_at_max (CreatedOnUtc, compared as
 *        times), status (OrderStatus: pending, processing, complete,
 *        cancelled, or its number), payment_status (pending, authorized,
 *        paid, partiallyRefunded, refunded, voided, or the number),
 *        shipping_status (shippingNotRequired, notYetShipped,
 *        partiallyShipped, shipped, delivered, or the number),
 *        customer_id; an unknown value is 400
 *   GET  /nop/api/orders/{id}  -> {"orders": [one]}
 *   PUT  /nop/api/orders/{id}  {"order": {"OrderStatusId": 30}}: the
 *        write-back of an order's status (10, 20, 30 or 40)
 *   PUT  /nop/api/products/{id}  {"product": {"StockQuantity": 12}}: the
 *        inventory write-back (a whole number; negative is allowed, as
 *        nopCommerce allows backorders), UpdatedOnUtc now as the plugin's
 *        UpdateProduct sets it -> {"products": [one]}
 *   POST /nop/api/orders/order-note  {"ordernote": {"OrderId": 10007,
 *        "Note": "...", "DisplayToCustomer": false}} (the plugin's
 *        CreateOrderNote, Nop.Core.Domain.Orders.OrderNote's fields): a
 *        note added to the order, CreatedOnUtc now -> {"ordernote": {"Id",
 *        "OrderId", "Note", "DownloadId", "DisplayToCustomer",
 *        "CreatedOnUtc"}}; 400 for no OrderId or a blank Note, 404 for an
 *        order the store does not have.  The notes are the collection
 *        "ordernotes" of GET /_sandbox/records (the plugin lists none)
 *   ids=1,2,3 on every list (the plugin's ParametersModel.Ids): those only
 *
 * Shipments and return requests have the domain's fields (Nop.Core.Domain
 * .Shipping.Shipment: Id, OrderId, TrackingNumber, TotalWeight,
 * ShippedDateUtc, DeliveryDateUtc, ReadyForPickupDateUtc, AdminComment,
 * CreatedOnUtc; Orders.ReturnRequest: Id, CustomNumber, StoreId,
 * OrderItemId, CustomerId, Quantity, ReasonForReturn, RequestedAction,
 * CustomerComments, StaffNotes, ReturnRequestStatusId, CreatedOnUtc,
 * UpdatedOnUtc); a shipment has no update stamp, so CreatedOnUtc is its.
 *
 * Orders carry the entity's RefundedAmount (Nop.Core.Domain.Orders.Order:
 * 0 until a refund; PaymentStatusId 35 partially refunded / 40 refunded
 * carry what went back) and, as in nopCommerce, no update stamp: a change
 * of status or payment leaves CreatedOnUtc, the only stamp, as it was.
 *
 * Records come from NDJSON files (sandbox --nop-orders FILE ...) or are
 * generated (--seed S --orders N, seed.c), and are served as written, byte
 * for byte; a status update rewrites that one field in place.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "sandbox.h"

static const char *const updated[] = { "UpdatedOnUtc", "CreatedOnUtc", NULL };

static sb_records colls[] = {
	{ "orders", "Id", updated, NULL, 0, 0 },
	{ "customers", "Id", updated, NULL, 0, 0 },
	{ "products", "Id", updated, NULL, 0, 0 },
	{ "shipments", "Id", updated, NULL, 0, 0 },
	{ "returnrequests", "Id", updated, NULL, 0, 0 },
	/* not a route of the plugin's: the notes written, for GET /_sandbox/records */
	{ "ordernotes", "Id", updated, NULL, 0, 0 },
};
#define NCOLLS (sizeof colls / sizeof *colls)
#define NOTES (&colls[NCOLLS - 1])

static json_t *tokens;
static unsigned counter;

#define TOKEN_DAYS 7

static int
by_id(const void *x, const void *y)
{
	const sb_record *a = x, *b = y;
	return a->id < b->id ? -1 : a->id > b->id;
}

int
sb_nop_load(const char *collection, const char *path)
{
	for (size_t i = 0; i < NCOLLS; i++) {
		if (strcmp(colls[i].name, collection) != 0)
			continue;
		int rc = sb_records_load(&colls[i], path);
		/* the API pages by id, ascending (since_id) */
		qsort(colls[i].v, colls[i].n, sizeof *colls[i].v, by_id);
		return rc;
	}
	return -1;
}

int
sb_nop_load_buf(const char *collection, const char *buf, size_t len)
{
	for (size_t i = 0; i < NCOLLS; i++) {
		if (strcmp(colls[i].name, collection) != 0)
			continue;
		sb_records_load_buf(&colls[i], buf, len);
		qsort(colls[i].v, colls[i].n, sizeof *colls[i].v, by_id);
		return 0;
	}
	return -1;
}

const sb_records *
sb_nop_records(const char *collection)
{
	for (size_t i = 0; i < NCOLLS; i++)
		if (!strcmp(colls[i].name, collection))
			return &colls[i];
	return NULL;
}

int
sb_nop_upsert(const char *collection, const char *body, size_t len, size_t *added,
	size_t *replaced, size_t *bad)
{
	for (size_t i = 0; i < NCOLLS; i++) {
		if (strcmp(colls[i].name, collection) != 0)
			continue;
		sb_records_upsert(&colls[i], body, len, added, replaced, bad);
		qsort(colls[i].v, colls[i].n, sizeof *colls[i].v, by_id);
		return 0;
	}
	return -1;
}

static void
seed(unsigned s)
{
	tokens = json_object();
	counter = s * 104729;
}

/* The orders' filters: an enum's value by name (the plugin's enum binding
 * ignores case) or number, -1 when neither; a missing filter is 0. */
static const struct {
	const char *param, *field;
	const char *const names[7];
	const int ids[7];
} enums[] = {
	{ "status", "OrderStatusId", { "pending", "processing", "complete", "cancelled" },
	  { 10, 20, 30, 40 } },
	{ "payment_status", "PaymentStatusId", { "pending", "authorized", "paid",
	  "partiallyRefunded", "refunded", "voided" }, { 10, 20, 30, 35, 40, 50 } },
	{ "shipping_status", "ShippingStatusId", { "shippingNotRequired", "notYetShipped",
	  "partiallyShipped", "shipped", "delivered" }, { 10, 20, 25, 30, 40 } },
};
#define NENUMS (sizeof enums / sizeof *enums)

static long
enum_value(size_t e, const char *v)
{
	char *end;
	long n = strtol(v, &end, 10);
	for (size_t i = 0; i < 7 && enums[e].names[i]; i++)
		if (!strcasecmp(v, enums[e].names[i]) || (!*end && *v && n == enums[e].ids[i]))
			return enums[e].ids[i];
	return -1;
}

struct filter {
	const char *only;     /* one id, or NULL */
	const char *ids;      /* ids=1,2,3, or NULL */
	long long since_id;
	const char *updated_min;
	long want[NENUMS];    /* each enum filter's value, 0 when not given */
	long long customer;   /* customer_id, 0 when not given */
	char created_min[40], created_max[40]; /* normalised, "" when not given */
};

/* A top-level integer member of an order's text ("OrderStatusId":20); -1
 * when absent.  The orders' ids and statuses are not nested elsewhere. */
static long long
int_member(const char *text, const char *field)
{
	char pat[48];
	snprintf(pat, sizeof pat, "\"%s\":", field);
	const char *at = strstr(text, pat);
	return at ? strtoll(at + strlen(pat), NULL, 10) : -1;
}

static int
wanted(const sb_record *x, const void *arg)
{
	const struct filter *f = arg;
	if ((f->only && strcmp(x->key, f->only)) || x->id <= f->since_id ||
	    (f->updated_min && strcmp(x->updated, f->updated_min) < 0))
		return 0;
	if (f->ids) {
		const char *p = f->ids;
		int in = 0;
		while (*p && !in) {
			char *end;
			long long v = strtoll(p, &end, 10);
			in = end != p && v == x->id;
			p = *end == ',' ? end + 1 : end + (*end != '\0');
		}
		if (!in)
			return 0;
	}
	for (size_t e = 0; e < NENUMS; e++)
		if (f->want[e] && int_member(x->text, enums[e].field) != f->want[e])
			return 0;
	if (f->customer && int_member(x->text, "CustomerId") != f->customer)
		return 0;
	if (f->created_min[0] || f->created_max[0]) {
		const char *at = strstr(x->text, "\"CreatedOnUtc\":\"");
		char raw[40] = "", created[40];
		if (at)
			sscanf(at + strlen("\"CreatedOnUtc\":\""), "%39[^\"]", raw);
		sb_stamp_norm(raw, created, sizeof created);
		if ((f->created_min[0] && strcmp(created, f->created_min) < 0) ||
		    (f->created_max[0] && strcmp(created, f->created_max) > 0))
			return 0;
	}
	return 1;
}

/* The orders' filters from the query into f; 0, or -1 with a 400 in r. */
static int
order_filters(const sb_request *q, sb_response *r, struct filter *f)
{
	for (size_t e = 0; e < NENUMS; e++) {
		const char *v = q->query(q->conn, enums[e].param);
		if (v && (f->want[e] = enum_value(e, v)) < 0) {
			sb_json(r, 400, json_pack("{s:{s:[s]}}", "errors", enums[e].param,
				"invalid value"));
			return -1;
		}
	}
	const char *cid = q->query(q->conn, "customer_id");
	f->customer = cid ? strtoll(cid, NULL, 10) : 0;
	const char *names[2] = { "created_at_min", "created_at_max" };
	char *out[2] = { f->created_min, f->created_max };
	for (int i = 0; i < 2; i++) {
		const char *v = q->query(q->conn, names[i]);
		sb_stamp_norm(v, out[i], sizeof f->created_min);
		if (v && !out[i][0]) {
			sb_json(r, 400, json_pack("{s:{s:[s]}}", "errors", names[i], "invalid date"));
			return -1;
		}
	}
	return 0;
}

static void
list(const sb_request *q, sb_response *r, sb_records *c, const char *only)
{
	const char *l = q->query(q->conn, "limit"), *p = q->query(q->conn, "page");
	const char *sid = q->query(q->conn, "since_id"), *umq = q->query(q->conn, "updated_at_min");
	char um_n[40];
	sb_stamp_norm(umq, um_n, sizeof um_n);
	const char *um = umq ? um_n : NULL;
	if (umq && !um_n[0]) {
		sb_json(r, 400, json_pack("{s:{s:[s]}}", "errors", "updated_at_min",
			"invalid date"));
		return;
	}
	long limit = l ? strtol(l, NULL, 10) : 50, page = p ? strtol(p, NULL, 10) : 1;
	long long since = sid ? strtoll(sid, NULL, 10) : 0;
	if (limit < 1 || limit > 250 || page < 1) {
		sb_json(r, 400, json_pack("{s:{s:[s]}}", "errors", "limit",
			"limit is between 1 and 250, page at least 1"));
		return;
	}
	char open[48];
	snprintf(open, sizeof open, "{\"%s\":", c->name);
	struct filter f = { only, q->query(q->conn, "ids"), since, um, { 0 }, 0, "", "" };
	if (c == &colls[0] && order_filters(q, r, &f) != 0)
		return;
	size_t total, taken, len;
	char *body = sb_records_page(c, wanted, &f, (size_t)((page - 1) * limit), (size_t)limit,
		open, &total, &taken, &len);
	if (!body) {
		sb_json(r, 500, NULL);
		return;
	}
	snprintf(body + len, 200, "}");
	r->status = only && !taken ? 404 : 200;
	r->body = body;
	r->content_type = "application/json; charset=utf-8";
}

/* PUT /api/orders/{id} {"order":{"OrderStatusId":N}}: rewrite the value in
 * the record's own text, so everything else stays byte for byte. */
static void
update_status(const sb_request *q, sb_response *r, const char *id)
{
	sb_record *x = sb_records_find(&colls[0], id);
	json_error_t je;
	json_t *j = json_loadb(q->body, q->body_len, 0, &je);
	json_t *st = json_object_get(json_object_get(j, "order"), "OrderStatusId");
	long v = json_is_integer(st) ? (long)json_integer_value(st) : 0;
	json_decref(j);
	if (!x) {
		sb_json(r, 404, json_pack("{s:{s:[s]}}", "errors", "id", "not found"));
		return;
	}
	if (v != 10 && v != 20 && v != 30 && v != 40) {
		sb_json(r, 400, json_pack("{s:{s:[s]}}", "errors", "OrderStatusId",
			"must be 10 (Pending), 20 (Processing), 30 (Complete) or 40 (Cancelled)"));
		return;
	}
	char *at = strstr(x->text, "\"OrderStatusId\":");
	if (at) {
		char *num = at + strlen("\"OrderStatusId\":"), *end = num;
		while (*end >= '0' && *end <= '9')
			end++;
		char digits[8];
		snprintf(digits, sizeof digits, "%ld", v);
		/* the ids all have two digits: the text keeps its length */
		if (end - num == (long)strlen(digits))
			memcpy(num, digits, strlen(digits));
	}
	r->status = 200;
	size_t n = strlen(x->text) + 16;
	r->body = malloc(n);
	if (r->body)
		snprintf(r->body, n, "{\"orders\":[%s]}", x->text);
	r->content_type = "application/json; charset=utf-8";
}

/* PUT /api/products/{id} {"product":{"StockQuantity":N}}: N in the
 * record's own text and UpdatedOnUtc now (added when it has none), as the
 * plugin's UpdateProduct does; everything else byte for byte. */
static void
update_stock(const sb_request *q, sb_response *r, const char *id)
{
	sb_record *x = sb_records_find(&colls[2], id);
	json_error_t je;
	json_t *j = json_loadb(q->body, q->body_len, 0, &je);
	json_t *v = json_object_get(json_object_get(j, "product"), "StockQuantity");
	int ok = json_is_integer(v);
	json_int_t n = ok ? json_integer_value(v) : 0;
	json_decref(j);
	if (!x) {
		sb_json(r, 404, json_pack("{s:{s:[s]}}", "errors", "id", "not found"));
		return;
	}
	if (!ok || n < -2147483647 - 1 || n > 2147483647) {
		sb_json(r, 400, json_pack("{s:{s:[s]}}", "errors", "StockQuantity",
			"must be a whole number"));
		return;
	}
	char text[32];
	snprintf(text, sizeof text, "%" JSON_INTEGER_FORMAT, n);
	/* the plugin's UpdateProduct: product.UpdatedOnUtc = DateTime.UtcNow */
	char now[40], stamp[48];
	time_t t = time(NULL);
	struct tm tm;
	strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	snprintf(stamp, sizeof stamp, "\"%s\"", now);
	if (sb_record_set(x, "StockQuantity", text) != 0 ||
	    sb_record_set(x, "UpdatedOnUtc", stamp) != 0) {
		sb_json(r, 500, NULL);
		return;
	}
	snprintf(x->updated, sizeof x->updated, "%s", now);
	r->status = 200;
	size_t len = strlen(x->text) + 20;
	r->body = malloc(len);
	if (r->body)
		snprintf(r->body, len, "{\"products\":[%s]}", x->text);
	r->content_type = "application/json; charset=utf-8";
}

/* POST /api/orders/order-note {"ordernote": {"OrderId", "Note",
 * "DisplayToCustomer", "DownloadId"}}: the note added, as the plugin's
 * CreateOrderNote does (CreatedOnUtc now); an order the store does not
 * have is refused (404) rather than left to the database. */
static void
order_note(const sb_request *q, sb_response *r)
{
	json_error_t je;
	json_t *j = json_loadb(q->body, q->body_len, 0, &je);
	json_t *dto = json_object_get(j, "ordernote");
	json_t *oid = json_object_get(dto, "OrderId"), *dtc = json_object_get(dto,
		"DisplayToCustomer"), *dl = json_object_get(dto, "DownloadId");
	const char *text = json_string_value(json_object_get(dto, "Note"));
	json_int_t order = json_is_integer(oid) ? json_integer_value(oid) : 0;
	char key[32];

	if (!json_is_object(dto) || order <= 0) {
		sb_json(r, 400, json_pack("{s:{s:[s]}}", "errors", "OrderId", "invalid order id"));
		json_decref(j);
		return;
	}
	if (!text || !*text) {
		sb_json(r, 400, json_pack("{s:{s:[s]}}", "errors", "Note", "Note cannot be blank"));
		json_decref(j);
		return;
	}
	snprintf(key, sizeof key, "%" JSON_INTEGER_FORMAT, order);
	if (!sb_records_find(&colls[0], key)) {
		sb_json(r, 404, json_pack("{s:{s:[s]}}", "errors", "order", "not found"));
		json_decref(j);
		return;
	}
	char now[32];
	time_t t = time(NULL);
	struct tm tm;
	strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	long long id = 1;
	for (size_t i = 0; i < NOTES->n; i++)
		if (NOTES->v[i].id >= id)
			id = NOTES->v[i].id + 1;
	json_t *note = json_pack("{s:I,s:I,s:s,s:I,s:b,s:s}", "Id", (json_int_t)id, "OrderId",
		order, "Note", text, "DownloadId", json_is_integer(dl) ? json_integer_value(dl) : 0,
		"DisplayToCustomer", json_is_true(dtc), "CreatedOnUtc", now);
	json_decref(j);
	char *line = note ? json_dumps(note, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	size_t added = 0, replaced = 0, bad = 0;
	if (!line) {
		json_decref(note);
		sb_json(r, 500, NULL);
		return;
	}
	sb_records_upsert(NOTES, line, strlen(line), &added, &replaced, &bad);
	qsort(NOTES->v, NOTES->n, sizeof *NOTES->v, by_id);
	free(line);
	sb_json(r, 200, json_pack("{s:o}", "ordernote", note));
}

static void
text_answer(sb_response *r, unsigned status, const char *text)
{
	r->status = status;
	r->body = strdup(text);
	r->content_type = "text/plain; charset=utf-8";
}

/* The plugin's token call: a JWT for a store user in the "Api Users" role. */
static void
token(const sb_request *q, sb_response *r)
{
	json_error_t je;
	json_t *j = json_loadb(q->body, q->body_len, 0, &je);
	const char *u = json_string_value(json_object_get(j, "username"));
	const char *p = json_string_value(json_object_get(j, "password"));
	if (!u || !*u || !p || !*p) {
		text_answer(r, 400, !u || !*u ? "Missing username" : "Missing password");
		json_decref(j);
		return;
	}
	int ok = !strcmp(u, "sandbox-api") && !strcmp(p, "sandbox-api-pw");
	json_decref(j);
	if (!ok) {
		text_answer(r, 403, "Wrong username or password");
		return;
	}
	char at[96], created[32], expires[32];
	time_t now = time(NULL), exp = now + sb_ttl(TOKEN_DAYS * 86400L);
	struct tm tm;
	/* a JWT's three dot-separated parts, not a real signature */
	snprintf(at, sizeof at, "eyJhbGciOiJIUzI1NiJ9.nop-%u.sandbox", counter++);
	strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	strftime(expires, sizeof expires, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&exp, &tm));
	json_object_set_new(tokens, at, json_pack("[I,I]", (json_int_t)exp,
		(json_int_t)sb_token_generation("nop")));
	sb_json(r, 200, json_pack("{s:s,s:s,s:s,s:s,s:s,s:i,s:s}", "access_token", at,
		"token_type", "Bearer", "created_at_utc", created, "expires_at_utc", expires,
		"username", "sandbox-api", "customer_id", 1,
		"customer_guid", "00000000-0000-4000-8000-0000000a0001"));
}

static void
handle(const sb_request *q, sb_response *r)
{
	if (!strcmp(q->path, "/token") && (!strcmp(q->method, "GET") ||
					    !strcmp(q->method, "POST"))) {
		token(q, r);
		return;
	}
	const char *a = q->header(q->conn, "Authorization");
	json_t *t = a && !strncmp(a, "Bearer ", 7) ? json_object_get(tokens, a + 7) : NULL;
	if (!t || json_integer_value(json_array_get(t, 0)) < (json_int_t)time(NULL) ||
	    json_integer_value(json_array_get(t, 1)) != (json_int_t)sb_token_generation("nop")) {
		sb_json(r, 401, json_pack("{s:s}", "error", "Unauthorized"));
		sb_header(r, "WWW-Authenticate", "Bearer");
		return;
	}
	if (!strcmp(q->path, "/api/orders/order-note")) {
		if (!strcmp(q->method, "POST"))
			order_note(q, r);
		else
			sb_json(r, 405, json_pack("{s:s}", "error", "method not allowed"));
		return;
	}
	for (size_t i = 0; i < NCOLLS; i++) {
		char base[32];
		if (&colls[i] == NOTES)
			continue; /* the plugin has no route that lists them */
		snprintf(base, sizeof base, "/api/%s", colls[i].name);
		size_t n = strlen(base);
		if (strncmp(q->path, base, n) != 0 || (q->path[n] && q->path[n] != '/'))
			continue;
		const char *id = q->path[n] == '/' ? q->path + n + 1 : NULL;
		if (!strcmp(q->method, "GET")) {
			list(q, r, &colls[i], id);
			return;
		}
		if (!strcmp(q->method, "PUT") && i == 0 && id) {
			update_status(q, r, id);
			return;
		}
		if (!strcmp(q->method, "PUT") && i == 2 && id) {
			update_stock(q, r, id);
			return;
		}
		sb_json(r, 405, json_pack("{s:s}", "error", "method not allowed"));
		return;
	}
	sb_json(r, 404, json_pack("{s:s}", "error", "not found"));
}

static json_t *
dump(void)
{
	json_t *d = json_object();
	for (size_t i = 0; i < NCOLLS; i++)
		json_object_set_new(d, colls[i].name, json_integer((json_int_t)colls[i].n));
	return d;
}

const sb_service sb_nop = { "nop", "/nop", seed, handle, dump, NULL };
