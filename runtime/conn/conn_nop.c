/*
 * conn_nop.c - NopCommerce, through the API plugin for nopCommerce
 * (Nop.Plugin.Api): a JWT from the plugin's token call, then
 *
 *   GET {base_url}/token   JSON body {"username","password"}
 *       -> {"access_token","token_type":"Bearer","expires_at_utc",...}
 *   GET {base_url}/api/{orders|customers|products|shipments|returnrequests}
 *       ?limit=250&since_id=N&updated_at_min=STAMP -> {"orders": [...]}
 *   GET {base_url}/api/{collection}/{id}             -> {"orders": [one]}
 *
 * and, for the entities that write the store (the books' answers coming
 * back), the plugin's update and create routes:
 *
 *   ProductStock  PUT {base_url}/api/products/{id} {"product": doc}
 *                 (ProductsController.UpdateProduct: a Delta of the DTO,
 *                 what doc leaves out stays as it is; doc is
 *                 {"StockQuantity": N} and whatever else the map writes)
 *   Order         PUT {base_url}/api/orders/{id} {"order": doc}
 *                 (OrdersController.UpdateOrder; doc {"OrderStatusId": 30})
 *   OrderNote     POST {base_url}/api/orders/order-note {"ordernote": doc}
 *                 (OrdersController.CreateOrderNote; doc {"OrderId",
 *                 "Note", "DisplayToCustomer"}) -> {"ordernote": {"Id",...}}
 *
 * A product's stock and an order's status are updates of a record the
 * store has: the item needs its target id, which the entity's `match`
 * finds (find: ProductStock by Sku, Order by Id); there is nothing to
 * create.  A note is only ever added: nopCommerce has no route that edits
 * one (the plugin creates, the admin deletes), so a changed document adds
 * a new note, and its id is the item's.  The plugin takes no idempotency
 * key: a PUT sets the same values again, harmlessly; a note whose answer
 * was lost and is sent again is there twice (a person sees two equal
 * notes).  One document a request (max_batch 1): the plugin has no batch
 * route.
 *
 * find: the plugin's GET /api/orders takes ids=1,2,3 (OrdersParametersModel
 * .Ids), one request for a batch's values; GET /api/products has no SKU
 * filter (ProductsParametersModel: ids, dates, category, vendor, published),
 * so a product is found by walking the products, a page of 250 at a time,
 * each SKU compared as text (nopCommerce's GetProductBySkuAsync compares
 * the trimmed SKU).
 *
 * The plugin pages by id, ascending (since_id), not by update time: each
 * record is handed out as its page arrives, its text cut out of the page as
 * the service sent it (so amounts keep their exact text), in id order.  The
 * engine's cursor does not depend on the order (it is the oldest stamp not
 * done, or the newest seen), so nothing is held beyond one page.
 *
 * The stamp is the record's UpdatedOnUtc, else CreatedOnUtc (orders carry
 * no update time), normalised to "YYYY-MM-DDTHH:MM:SSZ" in UTC (nopCommerce
 * writes seven fractional digits and often no offset), so that text order
 * is time order.  The fraction is dropped: the cursor is inclusive, so a
 * record in the cursor's second comes again and the engine sees its hash
 * unchanged.  Records older than the cursor are skipped here too, in case
 * a plugin version ignores updated_at_min for a collection.
 *
 * The token lives the plugin's TokenExpiryInDays; it is saved in the state
 * store and fetched again a few minutes before its end, and once after a
 * 401 (the call is then retried once).
 *
 * Orders have no update stamp in nopCommerce (Nop.Core.Domain.Orders.Order:
 * CreatedOnUtc and PaidDateUtc only), so a cursor never sees an order paid,
 * refunded or cancelled after it was created.  With the setting lookback
 * (a duration: "14d", "36h", "90m", "600s"), a listing of orders after the
 * first also re-reads, every poll and whatever the cursor, the orders still
 * open (the plugin's status=pending and status=processing: nopCommerce
 * closes an order as Complete only once it is paid and delivered, or as
 * Cancelled) and those created within the window (created_at_min = now -
 * lookback), each once per listing; the engine skips the unchanged ones by
 * their hash.  A closed order refunded after the window is not seen: make
 * the window as long as the store takes refunds.
 *
 * Settings: base_url (the store's root; the plugin's routes are under it),
 * username, password (a store user in the plugin's "Api Users" role,
 * with ManageProducts and ManageOrders for the writes), lookback
 * (optional, orders only).
 */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "conn.h"
#include "transform.h"

#define PAGE_LIMIT 250
#define TOKEN_MARGIN_S 300
#define SERVICE "nopcommerce"

struct conn {
	const conn_env *env;
	http_client *http;
	char base[512], user[256], pass[256];
	char access[4096];
	int64_t expires_at;
	int64_t lookback;   /* seconds; 0: the cursor alone */
};

static const char *const collections[] = { "orders", "customers", "products", "shipments",
	"returnrequests" };

static void
note(const conn *c, const char *what)
{
	if (c->env->log)
		fprintf(c->env->log, "nopcommerce: %s\n", what);
}

/* ------------------------------------------------------------------ */
/* time stamps                                                         */
/* ------------------------------------------------------------------ */

static int
digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 1;
}

/* An RFC 3339 / .NET date-time ("2026-11-20T10:11:12.1234567", "...Z",
 * "...+01:00") as seconds since the epoch; -1 when it cannot be read.  No
 * offset means UTC (the *Utc fields). */
static int64_t
parse_time(const char *s, size_t n)
{
	int y, mo, d, h = 0, mi = 0, sec = 0;
	size_t i = 10;
	if (n < 10 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) ||
	    s[7] != '-' || !digits(s + 8, 2, &d) || mo < 1 || mo > 12 || d < 1 || d > 31)
		return -1;
	if (i < n && (s[i] == 'T' || s[i] == 't' || s[i] == ' ')) {
		if (n < 19 || !digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &mi) ||
		    s[16] != ':' || !digits(s + 17, 2, &sec) || h > 23 || mi > 59 || sec > 60)
			return -1;
		i = 19;
		if (i < n && s[i] == '.')
			for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
				;
	}
	int64_t off = 0;
	if (i < n && (s[i] == '+' || s[i] == '-')) {
		int oh, om;
		if (n - i < 6 || !digits(s + i + 1, 2, &oh) || s[i + 3] != ':' ||
		    !digits(s + i + 4, 2, &om))
			return -1;
		off = (s[i] == '-' ? -1 : 1) * (oh * 3600 + om * 60);
		i += 6;
	} else if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
		i++;
	}
	if (i != n)
		return -1;
	return tm_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off;
}

/* A duration: a whole number and a unit, d h m or s ("14d"); "" is 0
 * (none); -1 when it is not one. */
static int64_t
parse_duration(const char *s)
{
	static const struct {
		char unit;
		int64_t seconds;
	} units[] = { { 'd', 86400 }, { 'h', 3600 }, { 'm', 60 }, { 's', 1 } };
	int64_t n = 0;
	size_t i = 0;

	if (!*s)
		return 0;
	for (; s[i] >= '0' && s[i] <= '9' && i < 9; i++)
		n = n * 10 + (s[i] - '0');
	if (i == 0 || !s[i] || s[i + 1])
		return -1;
	for (size_t u = 0; u < sizeof units / sizeof *units; u++)
		if (s[i] == units[u].unit)
			return n * units[u].seconds;
	return -1;
}

/* ------------------------------------------------------------------ */
/* a record's own members, read from its raw text                      */
/* ------------------------------------------------------------------ */

static size_t
skip_ws(const char *p, size_t i, size_t n)
{
	while (i < n && (p[i] == ' ' || p[i] == '\n' || p[i] == '\t' || p[i] == '\r'))
		i++;
	return i;
}

/* The record's stamp (normalised) and integer id. */
static void
stamp_and_id(const char *p, size_t n, char *stamp, size_t cap, long long *id)
{
	const char *v;
	size_t l;
	stamp[0] = '\0';
	*id = 0;
	if (conn_json_member(p, n, "Id", &v, &l) && l < 24) {
		char num[24];
		memcpy(num, v, l);
		num[l] = '\0';
		*id = strtoll(num, NULL, 10);
	}
	if ((conn_json_member(p, n, "UpdatedOnUtc", &v, &l) ||
	     conn_json_member(p, n, "CreatedOnUtc", &v, &l)) && l >= 2 && v[0] == '"') {
		int64_t t = parse_time(v + 1, l - 2);
		if (t >= 0)
			conn_time_format(t, stamp, cap);
	}
}

/* ------------------------------------------------------------------ */
/* the token                                                           */
/* ------------------------------------------------------------------ */

static int
fetch_token(conn *c, conn_result *res)
{
	char url[600], err[256] = "";
	json_t *login = json_pack("{s:s,s:s}", "username", c->user, "password", c->pass);
	char *body = login ? json_dumps(login, JSON_COMPACT) : NULL;
	json_decref(login);
	if (!body) {
		conn_result_set(res, HTTP_PERMANENT, 0, "nopcommerce: out of memory");
		return -1;
	}
	snprintf(url, sizeof url, "%s/token", c->base);
	/* the plugin's route takes GET with the credentials as a JSON body */
	const char *hdrs[] = { "Content-Type: application/json", "Accept: application/json" };
	http_request req = { "GET", url, hdrs, 2, body, strlen(body), c->env->timeout_ms, 0 };
	http_response r;
	int rc = http_do(c->http, &req, &r, err, sizeof err);
	memset(body, 0, strlen(body));
	free(body);
	if (rc != 0 || r.status != 200) {
		conn_result_from(res, rc, &r, err);
		if (rc == 0 && (r.status == 400 || r.status == 403))
			res->cls = HTTP_AUTH; /* "Wrong username or password": needs a person */
		char text[CONN_TEXT_MAX];
		snprintf(text, sizeof text, "nopcommerce token: %.1000s", res->text);
		memcpy(res->text, text, sizeof res->text);
		return -1;
	}
	json_t *j = json_loadb(r.body, r.body_len, 0, NULL);
	const char *at = json_string_value(json_object_get(j, "access_token"));
	const char *exp = json_string_value(json_object_get(j, "expires_at_utc"));
	json_t *ei = json_object_get(j, "expires_in");
	if (!at || strlen(at) >= sizeof c->access) {
		json_decref(j);
		conn_result_set(res, HTTP_PERMANENT, 200,
			"nopcommerce token: answered 200 without an access_token");
		return -1;
	}
	snprintf(c->access, sizeof c->access, "%s", at);
	int64_t t = exp ? parse_time(exp, strlen(exp)) : -1;
	if (t < 0 && json_is_integer(ei))
		t = (int64_t)time(NULL) + (int64_t)json_integer_value(ei);
	if (t < 0) /* the plugin's default TokenExpiryInDays; a 401 corrects it */
		t = (int64_t)time(NULL) + 7 * 86400;
	c->expires_at = t;
	json_decref(j);
	note(c, "token fetched");
	if (conn_token_save(c->env, SERVICE, c->access, "", c->expires_at) != 0)
		note(c, "the token could not be saved in the state store");
	return 0;
}

static int
n_auth(conn *c, conn_result *res)
{
	int64_t now = (int64_t)time(NULL);
	if (c->access[0] && c->expires_at - now > TOKEN_MARGIN_S)
		return 0;
	return fetch_token(c, res);
}

/* ------------------------------------------------------------------ */
/* open, close, classify                                               */
/* ------------------------------------------------------------------ */

static int
n_open(const conn_env *env, conn **out, conn_result *res)
{
	conn *c = calloc(1, sizeof *c);
	char refresh[64];
	*out = c;
	if (!c) {
		conn_result_set(res, HTTP_PERMANENT, 0, "out of memory");
		return -1;
	}
	c->env = env;
	snprintf(c->base, sizeof c->base, "%s", conn_setting(env, "base_url"));
	snprintf(c->user, sizeof c->user, "%s", conn_setting(env, "username"));
	snprintf(c->pass, sizeof c->pass, "%s", conn_setting(env, "password"));
	size_t bl = strlen(c->base);
	while (bl > 0 && c->base[bl - 1] == '/')
		c->base[--bl] = '\0';
	const char *missing = !c->base[0] ? "base_url" : !c->user[0] ? "username"
		: !c->pass[0] ? "password" : NULL;
	if (missing) {
		conn_result_set(res, HTTP_PERMANENT, 0, "nopcommerce: %s is not set", missing);
		return -1;
	}
	const char *lb = conn_setting(env, "lookback");
	if ((c->lookback = parse_duration(lb)) < 0) {
		conn_result_set(res, HTTP_PERMANENT, 0,
			"nopcommerce: lookback \"%.40s\" is not a duration (14d, 36h, 90m, 600s)", lb);
		return -1;
	}
	if (conn_http_new(env, &c->http, 64u << 20) != 0) {
		conn_result_set(res, HTTP_PERMANENT, 0, "nopcommerce: cannot start HTTP");
		return -1;
	}
	if (conn_token_load(env, SERVICE, c->access, sizeof c->access, refresh, sizeof refresh,
		&c->expires_at) != 0) {
		c->access[0] = '\0';
		c->expires_at = 0;
	}
	return n_auth(c, res);
}

static void
n_close(conn *c)
{
	if (!c)
		return;
	http_client_free(c->http);
	memset(c->pass, 0, sizeof c->pass);
	memset(c->access, 0, sizeof c->access);
	free(c);
}

static http_class
n_classify(conn *c, int rc, const http_response *resp, conn_result *res)
{
	(void)c;
	conn_result_from(res, rc, resp, NULL);
	/* A 200 that is not JSON (a store's HTML page: the plugin is not
	 * installed, or base_url points elsewhere) is no answer to retry. */
	if (res->cls == HTTP_OK && rc == 0) {
		size_t i = skip_ws(resp->body, 0, resp->body_len);
		if (i >= resp->body_len || resp->body[i] != '{') {
			res->cls = HTTP_PERMANENT;
			char text[CONN_TEXT_MAX];
			snprintf(text, sizeof text, "nopcommerce: answer is not JSON (%s): %.200s",
				resp->content_type[0] ? resp->content_type : "no content type",
				res->text);
			memcpy(res->text, text, sizeof res->text);
		}
	}
	return res->cls;
}

/* METHOD url (with a JSON body when body is not NULL) with the token: a
 * 401 fetches a new token once and retries once.  0 with *r a 2xx answer;
 * -1 with res filled in (a 4xx or 5xx answer in *r too). */
static int
request(conn *c, const char *method, const char *url, const char *body, size_t len,
	http_response *r, conn_result *res)
{
	char err[256] = "", auth[4200];
	if (n_auth(c, res) != 0)
		return -1;
	for (int attempt = 0;; attempt++) {
		snprintf(auth, sizeof auth, "Authorization: Bearer %s", c->access);
		const char *hdrs[] = { auth, "Accept: application/json",
			"Content-Type: application/json" };
		http_request req = { method, url, hdrs, body ? 3 : 2, body, body ? len : 0,
			c->env->timeout_ms, 0 };
		int rc = http_do(c->http, &req, r, err, sizeof err);
		if (rc == 0 && r->status == 401 && attempt == 0) {
			note(c, "401: fetching a new token and retrying once");
			if (fetch_token(c, res) != 0)
				return -1;
			continue;
		}
		if (rc != 0) {
			conn_result_from(res, rc, r, err);
			return -1;
		}
		return n_classify(c, rc, r, res) == HTTP_OK ? 0 : -1;
	}
}

static int
get(conn *c, const char *url, http_response *r, conn_result *res)
{
	return request(c, "GET", url, NULL, 0, r, res);
}

static int
known_collection(const char *name, conn_result *res)
{
	for (size_t i = 0; i < sizeof collections / sizeof *collections; i++)
		if (!strcmp(name, collections[i]))
			return 1;
	conn_result_set(res, HTTP_PERMANENT, 0, "nopcommerce: no collection %s (orders, "
		"customers, products, shipments, returnrequests)", name);
	return 0;
}

/* ------------------------------------------------------------------ */
/* list and get                                                        */
/* ------------------------------------------------------------------ */

typedef struct {
	conn_record_fn fn;
	void *arg;
	size_t n, on_page;
	long long max_id;
	const char *since;  /* normalised cursor, or "" */
	int rc;             /* fn's first non-zero return */
	/* the ids handed out, when a listing makes several passes: an open
	 * addressing set (0 is no id: nopCommerce's ids start at 1) */
	int dedupe;
	long long *ids;
	size_t n_ids, cap_ids;
	int oom;
} walk;

/* 1 when id was handed out already in this listing, else it is noted. */
static int
seen_before(walk *w, long long id)
{
	if (w->n_ids * 2 >= w->cap_ids) {
		size_t cap = w->cap_ids ? w->cap_ids * 2 : 1024;
		long long *v = calloc(cap, sizeof *v);
		if (!v) {
			w->oom = 1;
			return 0;
		}
		for (size_t i = 0; i < w->cap_ids; i++)
			if (w->ids[i])
				for (size_t j = (size_t)w->ids[i] % cap;; j = (j + 1) % cap)
					if (!v[j]) {
						v[j] = w->ids[i];
						break;
					}
		free(w->ids);
		w->ids = v;
		w->cap_ids = cap;
	}
	for (size_t j = (size_t)id % w->cap_ids;; j = (j + 1) % w->cap_ids) {
		if (w->ids[j] == id)
			return 1;
		if (!w->ids[j]) {
			w->ids[j] = id;
			w->n_ids++;
			return 0;
		}
	}
}

static int
keep(void *arg, const char *p, size_t n)
{
	walk *w = arg;
	char stamp[24];
	long long id;

	stamp_and_id(p, n, stamp, sizeof stamp, &id);
	w->on_page++;
	if (id > w->max_id)
		w->max_id = id;
	if (w->since[0] && strcmp(stamp, w->since) < 0)
		return 0;
	if (w->dedupe && id > 0 && seen_before(w, id))
		return 0;
	w->n++;
	return w->rc = w->fn(w->arg, p, n, stamp);
}

/* One walk of a collection by since_id with the filter `query` ("&k=v..."):
 * 0, or fn's return, or -1 with res filled in. */
static int
pass(conn *c, const char *collection, const char *query, walk *w, conn_result *res)
{
	char url[1024];
	http_response r;

	w->max_id = 0;
	for (;;) {
		long long before = w->max_id;
		snprintf(url, sizeof url, "%s/api/%s?limit=%d&since_id=%lld%s", c->base, collection,
			PAGE_LIMIT, w->max_id, query);
		if (get(c, url, &r, res) != 0)
			return -1;
		w->on_page = 0;
		int k = conn_json_elements(r.body, r.body_len, collection, keep, w);
		if (w->rc)
			return w->rc;
		if (w->oom) {
			conn_result_set(res, HTTP_PERMANENT, 0, "nopcommerce: out of memory");
			return -1;
		}
		if (k < 0) {
			conn_result_set(res, HTTP_PERMANENT, r.status,
				"nopcommerce: the answer has no \"%s\" array: %.300s", collection,
				r.body);
			return -1;
		}
		if (w->on_page < PAGE_LIMIT || w->max_id <= before)
			return 0;
	}
}

static int
n_list(conn *c, const char *collection, const char *cursor, conn_record_fn fn, void *arg,
	conn_result *res)
{
	char since[24] = "", esc[80] = "", query[200] = "", from[24];
	walk w = { fn, arg, 0, 0, 0, since, 0, 0, NULL, 0, 0, 0 };
	int rc;

	if (!known_collection(collection, res))
		return -1;
	if (cursor && *cursor) {
		int64_t t = parse_time(cursor, strlen(cursor));
		if (t < 0) {
			conn_result_set(res, HTTP_PERMANENT, 0, "nopcommerce: bad cursor %s", cursor);
			return -1;
		}
		conn_time_format(t, since, sizeof since);
		http_url_escape(since, esc, sizeof esc);
		snprintf(query, sizeof query, "&updated_at_min=%s", esc);
	}
	/* several passes when orders are re-read: each id handed out once */
	int again = since[0] && c->lookback > 0 && !strcmp(collection, "orders");
	w.dedupe = again;
	rc = pass(c, collection, query, &w, res);
	if (again && rc == 0) {
		/* the orders still open, and those created within the window */
		conn_time_format((int64_t)time(NULL) - c->lookback, from, sizeof from);
		http_url_escape(from, esc, sizeof esc);
		snprintf(query, sizeof query, "&created_at_min=%s", esc);
		const char *const again_q[] = { "&status=pending", "&status=processing", query };
		since[0] = '\0';
		for (size_t i = 0; rc == 0 && i < sizeof again_q / sizeof *again_q; i++)
			rc = pass(c, collection, again_q[i], &w, res);
	}
	free(w.ids);
	if (rc == 0)
		conn_result_set(res, HTTP_OK, 200, "%zu records", w.n);
	return rc;
}

typedef struct {
	conn_record_fn fn;
	void *arg;
	int n, rc;
} one_rec;

static int
hand_one(void *arg, const char *p, size_t n)
{
	one_rec *o = arg;
	char stamp[24];
	long long id;
	stamp_and_id(p, n, stamp, sizeof stamp, &id);
	o->n++;
	o->rc = o->fn(o->arg, p, n, stamp);
	return o->rc ? o->rc : 1; /* the first record only */
}

static int
n_get(conn *c, const char *collection, const char *id, conn_record_fn fn, void *arg,
	conn_result *res)
{
	char url[1024];
	http_response r;
	one_rec o = { fn, arg, 0, 0 };

	if (!known_collection(collection, res))
		return -1;
	if (!id || !*id || strspn(id, "0123456789") != strlen(id) || strlen(id) > 18) {
		conn_result_set(res, HTTP_PERMANENT, 404, "nopcommerce: no %s with id %s",
			collection, id ? id : "");
		return -1;
	}
	snprintf(url, sizeof url, "%s/api/%s/%s", c->base, collection, id);
	if (get(c, url, &r, res) != 0)
		return -1;
	int k = conn_json_elements(r.body, r.body_len, collection, hand_one, &o);
	if (o.n)
		return o.rc;
	if (k < 0) {
		conn_result_set(res, HTTP_PERMANENT, r.status,
			"nopcommerce: the answer has no \"%s\" array: %.300s", collection, r.body);
		return -1;
	}
	conn_result_set(res, HTTP_PERMANENT, 404, "nopcommerce: no %s with id %s", collection, id);
	return -1;
}

/* ------------------------------------------------------------------ */
/* write                                                               */
/* ------------------------------------------------------------------ */

/* The types this connector writes: the route, the member the document is
 * wrapped in (the plugin's JsonModelBinder reads the DTO from the root
 * object's one member), and whether it updates a record by id (PUT
 * route/{id}) or adds one (POST route). */
static const struct {
	const char *type, *route, *root, *what;
	int update;
} writes[] = {
	{ "ProductStock", "products", "product", "product", 1 },
	{ "Order", "orders", "order", "order", 1 },
	{ "OrderNote", "orders/order-note", "ordernote", "order note", 0 },
};

static int
write_kind(const char *type)
{
	for (size_t i = 0; type && i < sizeof writes / sizeof *writes; i++)
		if (!strcmp(writes[i].type, type))
			return (int)i;
	return -1;
}

/* 1 when s is a record id the plugin's routes take: 1 to 18 digits. */
static int
is_id(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	return n > 0 && n <= 18 && strspn(s, "0123456789") == n;
}

/* The new record's Id from the answer {"ROOT": {"Id": N, ...}}, as text. */
static int
answer_id(const http_response *r, const char *root, char *out, size_t cap)
{
	json_t *j = json_loadb(r->body, r->body_len, 0, NULL);
	json_t *id = json_object_get(json_object_get(j, root), "Id");
	int ok = json_is_integer(id) && json_integer_value(id) > 0;
	if (ok)
		snprintf(out, cap, "%" JSON_INTEGER_FORMAT, json_integer_value(id));
	json_decref(j);
	return ok ? 0 : -1;
}

/* One document: 0 when answered (it->res says how, it->id when written),
 * -1 when no answer says it was written (res). */
static int
write_one(conn *c, conn_item *it, conn_result *res)
{
	int k = write_kind(it->type);
	const char *d = it->doc;
	size_t len = it->len;
	char url[1024];
	http_response r;

	memset(&r, 0, sizeof r);
	it->id[0] = '\0';
	if (k < 0) {
		conn_result_set(&it->res, HTTP_PERMANENT, 0, "nopcommerce: cannot write a %s "
			"(ProductStock, Order, OrderNote)", it->type ? it->type : "?");
		return 0;
	}
	if (it->op == CONN_OP_VOID) {
		conn_result_set(&it->res, HTTP_PERMANENT, 0, "nopcommerce: a %s cannot be voided",
			writes[k].what);
		return 0;
	}
	/* in a dry run nothing is looked up: the record its match would find */
	int unfound = c->env->dry_run && writes[k].update && !it->target_id;
	if (writes[k].update && !unfound && !is_id(it->target_id)) {
		conn_result_set(&it->res, HTTP_PERMANENT, 0, "nopcommerce: no %s to write to: a %s "
			"updates the store's %s its match finds, and none was found", writes[k].what,
			writes[k].type, writes[k].what);
		return 0;
	}
	while (len && (d[len - 1] == ' ' || d[len - 1] == '\n' || d[len - 1] == '\t' ||
		d[len - 1] == '\r'))
		len--;
	size_t i = skip_ws(d, 0, len);
	if (i >= len || d[i] != '{' || d[len - 1] != '}') {
		conn_result_set(&it->res, HTTP_PERMANENT, 0, "nopcommerce: the %s document is not a "
			"JSON object", writes[k].type);
		return 0;
	}
	size_t cap = len - i + strlen(writes[k].root) + 8;
	char *body = malloc(cap);
	if (!body) {
		conn_result_set(res, HTTP_PERMANENT, 0, "nopcommerce: out of memory");
		return -1;
	}
	int bl = snprintf(body, cap, "{\"%s\":%.*s}", writes[k].root, (int)(len - i), d + i);
	if (writes[k].update)
		snprintf(url, sizeof url, "%s/api/%s/%s", c->base, writes[k].route, unfound ?
			"(the one its match finds)" : it->target_id);
	else
		snprintf(url, sizeof url, "%s/api/%s", c->base, writes[k].route);
	const char *method = writes[k].update ? "PUT" : "POST";
	if (c->env->dry_run) {
		fprintf(c->env->dry_run, "%s %s\n%s\n\n", method, url, body);
		free(body);
		conn_result_set(&it->res, HTTP_OK, 0, "dry run");
		snprintf(it->id, sizeof it->id, "%s", writes[k].update && !unfound ? it->target_id :
			"dry-run");
		return 0;
	}
	int rc = request(c, method, url, body, (size_t)bl, &r, res);
	free(body);
	if (rc != 0) {
		/* a 4xx is the document's own answer (400 refused, 404 no such
		 * record); no answer, a 5xx or a 429 says nothing was written */
		if (r.status >= 400 && r.status < 500 && r.status != 401 && r.status != 429 &&
		    res->cls == HTTP_PERMANENT) {
			it->res = *res;
			return 0;
		}
		return -1;
	}
	if (writes[k].update) {
		snprintf(it->id, sizeof it->id, "%s", it->target_id);
	} else if (answer_id(&r, writes[k].root, it->id, sizeof it->id) != 0) {
		conn_result_set(&it->res, HTTP_PERMANENT, r.status, "nopcommerce: the %s was "
			"answered without its Id: %.300s", writes[k].what, r.body);
		return 0;
	}
	conn_result_set(&it->res, HTTP_OK, r.status, "OK");
	return 0;
}

static int
n_write(conn *c, const char *request_key, conn_item *items, size_t n, conn_result *res)
{
	(void)request_key; /* the plugin takes no idempotency key (see the top) */
	conn_result_set(res, HTTP_OK, 200, "OK");
	for (size_t i = 0; i < n; i++) {
		if (write_one(c, &items[i], res) != 0) {
			/* nothing known written from here on */
			for (size_t j = i; j < n; j++) {
				items[j].res = *res;
				items[j].id[0] = '\0';
			}
			return i == 0 ? -1 : 0;
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* find                                                                */
/* ------------------------------------------------------------------ */

typedef struct {
	conn_find_item *items;
	size_t n;
	const char *field;   /* "Sku" or "Id" */
	size_t on_page;
	long long max_id;
} finding;

/* a and b equal once the white space around each is trimmed */
static int
trimmed_cmp(const char *a, const char *b)
{
	size_t al, bl;
	while (*a == ' ' || *a == '\t')
		a++;
	while (*b == ' ' || *b == '\t')
		b++;
	for (al = strlen(a); al && (a[al - 1] == ' ' || a[al - 1] == '\t'); al--)
		;
	for (bl = strlen(b); bl && (b[bl - 1] == ' ' || b[bl - 1] == '\t'); bl--)
		;
	return al != bl || memcmp(a, b, al) != 0;
}

/* One record of a page: its Id, and the field's value as text (a string
 * unescaped, a number as written), counted for the items it equals. */
static int
found_one(void *arg, const char *p, size_t n)
{
	finding *f = arg;
	char stamp[24], id[24], *text = NULL;
	long long nid;
	const char *v;
	size_t l;

	f->on_page++;
	stamp_and_id(p, n, stamp, sizeof stamp, &nid);
	if (nid > f->max_id)
		f->max_id = nid;
	if (nid <= 0 || !conn_json_member(p, n, f->field, &v, &l))
		return 0;
	snprintf(id, sizeof id, "%lld", nid);
	json_t *j = json_loadb(v, l, JSON_DECODE_ANY, NULL);
	if (json_is_string(j))
		text = strdup(json_string_value(j));
	else if (json_is_integer(j))
		text = strdup(id);
	json_decref(j);
	if (text)
		conn_find_doc(f->items, f->n, id, text, trimmed_cmp);
	free(text);
	return 0;
}

/* ProductStock by Sku: every product, a page at a time by since_id. */
static int
find_products(conn *c, finding *f, conn_result *res)
{
	char url[1024];
	http_response r;

	for (;;) {
		long long before = f->max_id;
		snprintf(url, sizeof url, "%s/api/products?limit=%d&since_id=%lld", c->base,
			PAGE_LIMIT, f->max_id);
		if (get(c, url, &r, res) != 0)
			return -1;
		f->on_page = 0;
		if (conn_json_elements(r.body, r.body_len, "products", found_one, f) < 0) {
			conn_result_set(res, HTTP_PERMANENT, r.status,
				"nopcommerce: the answer has no \"products\" array: %.300s", r.body);
			return -1;
		}
		if (f->on_page < PAGE_LIMIT || f->max_id <= before)
			return 0;
	}
}

/* Order by Id: GET /api/orders?ids=1,2,3, as many ids a request as fit a
 * URL of a few kilobytes; a value that is no id is no order. */
static int
find_orders(conn *c, finding *f, conn_result *res)
{
	char url[4096];
	http_response r;
	size_t i = 0;

	while (i < f->n) {
		int at = snprintf(url, sizeof url, "%s/api/orders?limit=%d&ids=", c->base,
			PAGE_LIMIT), nv = 0;
		for (; i < f->n && nv < PAGE_LIMIT; i++) {
			const char *v = f->items[i].value;
			if (!is_id(v))
				continue;
			if ((size_t)at + strlen(v) + 2 >= sizeof url)
				break;
			at += snprintf(url + at, sizeof url - (size_t)at, "%s%s", nv ? "," : "", v);
			nv++;
		}
		if (!nv)
			continue;
		if (get(c, url, &r, res) != 0)
			return -1;
		if (conn_json_elements(r.body, r.body_len, "orders", found_one, f) < 0) {
			conn_result_set(res, HTTP_PERMANENT, r.status,
				"nopcommerce: the answer has no \"orders\" array: %.300s", r.body);
			return -1;
		}
	}
	return 0;
}

static int
n_find(conn *c, const char *type, const char *field, conn_find_item *items, size_t n,
	conn_result *res)
{
	finding f = { items, n, field, 0, 0 };
	int products = type && field && !strcmp(type, "ProductStock") && !strcmp(field, "Sku");
	int orders = type && field && !strcmp(type, "Order") && !strcmp(field, "Id");

	if (!products && !orders) {
		conn_result_set(res, HTTP_PERMANENT, 0, "nopcommerce: cannot look up %s by %s "
			"(ProductStock by Sku, Order by Id)", type ? type : "?", field ? field : "?");
		return conn_find_fail(items, n, res);
	}
	conn_find_begin(items, n);
	conn_result_set(res, HTTP_OK, 200, "%s", "");
	if (c->env->dry_run)
		return 0; /* nothing is asked in a dry run: every rc is 1 */
	if ((products ? find_products(c, &f, res) : find_orders(c, &f, res)) != 0)
		return conn_find_fail(items, n, res);
	conn_find_end(items, n);
	conn_result_set(res, HTTP_OK, 200, "%s", "");
	return 0;
}

/* What this connector reads and writes (conn.h; its schema declares the same). */
static const conn_cap caps[] = {
	{ "orders", CONN_CAN_LIST },
	{ "customers", CONN_CAN_LIST },
	{ "products", CONN_CAN_LIST },
	{ "shipments", CONN_CAN_LIST },
	{ "returnrequests", CONN_CAN_LIST },
	{ "ProductStock", CONN_CAN_WRITE },
	{ "Order", CONN_CAN_WRITE },
	{ "OrderNote", CONN_CAN_WRITE },
	{ NULL, 0 },
};

const conn_ops conn_nop = {
	.service = "nopcommerce",
	.caps = caps,
	.max_batch = 1,
	/* none published */
	.per_min = 0,
	.per_day = 0,
	.concurrent = 0,
	.open = n_open,
	.close = n_close,
	.auth = n_auth,
	.list = n_list,
	.get = n_get,
	.write = n_write,
	.find = n_find,
	.classify = n_classify,
};
