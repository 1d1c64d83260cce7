/*
 * qbo.c - the sandbox's QuickBooks Online Accounting API v3 (minor version
 * 65 shapes), as Intuit documents it (developer.intuit.com/app/developer/
 * qbo/docs: OAuth 2.0 token endpoint, all-entities/customer, item,
 * salesreceipt, invoice, the query operation, fault codes):
 *
 *   POST /qbo/oauth2/v1/tokens/bearer       refresh_token grant only (QBO has
 *        no client_credentials); rotates the refresh token
 *   POST /qbo/v3/company/{realm}/{entity}   create, or update with Id + the
 *        current SyncToken (a stale one is Fault 5010)
 *   GET  /qbo/v3/company/{realm}/{entity}/{id}
 *   GET  /qbo/v3/company/{realm}/query?query=select * from Customer
 *        [where DisplayName = 'x'] [startposition N] [maxresults N]
 *
 * Faults have Intuit's body: {"Fault":{"Error":[{"Message","Detail","code",
 * "element"}],"type":"ValidationFault"},"time":...}.  Checked: DisplayName
 * unique across customers (6240 Duplicate Name Exists Error), CustomerRef and
 * ItemRef exist (SHIPPING_ITEM_ID is QuickBooks' own), a sales line's Amount
 * equals UnitPrice x Qty (6070), DocNumber at most 21 (6000), a repeated
 * `requestid` is answered as the first time and writes nothing.  500
 * requests a minute per realm, then 429.
 *
 * Not yet: the batch endpoint, payment, and the 10-concurrent limit.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "sandbox.h"

#define REALM "9130350000000001"
#define PER_MIN 500

static json_t *store_, *requests, *tokens;
static char refresh_token[64];
static unsigned next_id, counter;
static time_t min_start;
static int min_calls;

static const char *const entities[] = { "customer", "item", "salesreceipt", "invoice" };
static const char *const names[] = { "Customer", "Item", "SalesReceipt", "Invoice" };

static void
seed(unsigned s)
{
	store_ = json_object();
	for (size_t i = 0; i < 4; i++)
		json_object_set_new(store_, names[i], json_array());
	requests = json_object();
	tokens = json_object();
	next_id = 1;
	counter = s * 1000;
	snprintf(refresh_token, sizeof refresh_token, "AB11-sandbox-%u", counter++);
}

static void
fault(sb_response *r, unsigned status, const char *code, const char *msg, const char *detail,
	const char *element)
{
	char t[64];
	time_t now = time(NULL);
	strftime(t, sizeof t, "%Y-%m-%dT%H:%M:%S.000-07:00", gmtime(&now));
	sb_json(r, status, json_pack("{s:{s:[{s:s,s:s,s:s,s:s}],s:s},s:s}", "Fault", "Error",
		"Message", msg, "Detail", detail, "code", code, "element", element ? element : "",
		"type", "ValidationFault", "time", t));
}

static json_t *
by_id(const char *entity, const char *id)
{
	size_t i;
	json_t *x;
	json_array_foreach(json_object_get(store_, entity), i, x) {
		const char *v = json_string_value(json_object_get(x, "Id"));
		if (v && id && strcmp(v, id) == 0)
			return x;
	}
	return NULL;
}

static void
token(const sb_request *q, sb_response *r)
{
	const char *auth = q->header(q->conn, "Authorization");
	/* Basic base64("sandbox-client:sandbox-secret") */
	if (!auth || strcmp(auth, "Basic c2FuZGJveC1jbGllbnQ6c2FuZGJveC1zZWNyZXQ=") != 0) {
		sb_json(r, 401, json_pack("{s:s}", "error", "invalid_client"));
		return;
	}
	char want[160];
	snprintf(want, sizeof want, "grant_type=refresh_token&refresh_token=%s", refresh_token);
	if (strcmp(q->body, want) != 0) {
		sb_json(r, 400, json_pack("{s:s}", "error", "invalid_grant"));
		return;
	}
	char at[64];
	snprintf(at, sizeof at, "eyJsandbox.%u", counter++);
	snprintf(refresh_token, sizeof refresh_token, "AB11-sandbox-%u", counter++);
	json_object_set_new(tokens, at, json_integer((json_int_t)time(NULL) + 3600));
	sb_json(r, 200, json_pack("{s:s,s:s,s:s,s:i,s:i}", "token_type", "bearer",
		"access_token", at, "refresh_token", refresh_token, "expires_in", 3600,
		"x_refresh_token_expires_in", 8726400));
}

static int
admitted(const sb_request *q, sb_response *r)
{
	const char *a = q->header(q->conn, "Authorization");
	json_t *exp = a && strncasecmp(a, "Bearer ", 7) == 0 ? json_object_get(tokens, a + 7) : NULL;
	if (!exp || json_integer_value(exp) < (json_int_t)time(NULL)) {
		fault(r, 401, "3200", "message=AuthenticationFailed; errorCode=003200; "
			"statusCode=401", "Authentication failed", NULL);
		return 0;
	}
	time_t now = time(NULL);
	if (now - min_start >= 60) {
		min_start = now;
		min_calls = 0;
	}
	if (++min_calls > PER_MIN) {
		fault(r, 429, "003001", "message=ThrottleExceeded; errorCode=003001; "
			"statusCode=429", "Throttle exceeded", NULL);
		sb_header(r, "Retry-After", "60");
		return 0;
	}
	return 1;
}

static long long
cents(json_t *x)
{
	return llround(json_number_value(x) * 100);
}

/* The entity-specific checks; 0 when it may be stored. */
static int
validate(const char *entity, json_t *e, sb_response *r)
{
	if (!strcmp(entity, "Customer")) {
		const char *dn = json_string_value(json_object_get(e, "DisplayName"));
		size_t i;
		json_t *x;
		json_array_foreach(json_object_get(store_, "Customer"), i, x) {
			const char *o = json_string_value(json_object_get(x, "DisplayName"));
			if (dn && o && !strcmp(dn, o) && x != e &&
			    !json_equal(json_object_get(x, "Id"), json_object_get(e, "Id"))) {
				fault(r, 400, "6240", "Duplicate Name Exists Error",
					"The name supplied already exists. : Another customer, vendor or "
					"employee is already using this name.", NULL);
				return -1;
			}
		}
		if (dn && strlen(dn) > 500) {
			fault(r, 400, "6000", "A business validation error has occurred while "
				"processing your request", "DisplayName is too long", "DisplayName");
			return -1;
		}
		return 0;
	}
	if (!strcmp(entity, "Item")) {
		if (!json_string_value(json_object_get(e, "Name"))) {
			fault(r, 400, "2020", "Required param missing, need to supply the required "
				"value for the API", "Required parameter Name is missing", "Name");
			return -1;
		}
		return 0;
	}
	/* SalesReceipt, Invoice */
	const char *cust = json_string_value(json_object_get(json_object_get(e, "CustomerRef"),
		"value"));
	if (!by_id("Customer", cust) && (!strcmp(entity, "Invoice") || cust)) {
		fault(r, 400, "2500", "Invalid Reference Id", "Invalid Reference Id : Customer "
			"assigned to this transaction has been deleted or does not exist", "CustomerRef");
		return -1;
	}
	const char *doc = json_string_value(json_object_get(e, "DocNumber"));
	if (doc && strlen(doc) > 21) {
		fault(r, 400, "6000", "A business validation error has occurred while processing "
			"your request", "Business Validation Error: DocNumber is longer than 21",
			"DocNumber");
		return -1;
	}
	size_t i;
	json_t *l;
	long long total = 0;
	json_array_foreach(json_object_get(e, "Line"), i, l) {
		const char *dt = json_string_value(json_object_get(l, "DetailType"));
		long long amt = cents(json_object_get(l, "Amount"));
		if (dt && !strcmp(dt, "DiscountLineDetail")) {
			total -= amt;
			continue;
		}
		json_t *d = json_object_get(l, "SalesItemLineDetail");
		const char *item = json_string_value(json_object_get(json_object_get(d, "ItemRef"),
			"value"));
		if (!item || (strcmp(item, "SHIPPING_ITEM_ID") && !by_id("Item", item))) {
			fault(r, 400, "2500", "Invalid Reference Id", "Invalid Reference Id : Item "
				"assigned to this transaction has been deleted or does not exist",
				"Line.SalesItemLineDetail.ItemRef");
			return -1;
		}
		json_t *qty = json_object_get(d, "Qty"), *up = json_object_get(d, "UnitPrice");
		if (qty && up && llround(json_number_value(qty) * json_number_value(up) * 100) != amt) {
			fault(r, 400, "6070", "Amount is not equal to UnitPrice * Qty",
				"Amount is not equal to UnitPrice * Qty. Supplied value:", "Line.Amount");
			return -1;
		}
		total += amt;
	}
	total += cents(json_object_get(json_object_get(e, "TxnTaxDetail"), "TotalTax"));
	json_object_set_new(e, "TotalAmt", json_real((double)total / 100));
	if (!strcmp(entity, "Invoice"))
		json_object_set_new(e, "Balance", json_real((double)total / 100));
	return 0;
}

static void
write_entity(const char *entity, const sb_request *q, sb_response *r)
{
	json_error_t je;
	json_t *e = json_loadb(q->body, q->body_len, 0, &je);
	if (!json_is_object(e)) {
		fault(r, 400, "2010", "Request has invalid or unsupported property",
			e ? "the body is not an object" : je.text, NULL);
		json_decref(e);
		return;
	}
	const char *id = json_string_value(json_object_get(e, "Id"));
	json_t *old = id ? by_id(entity, id) : NULL;
	if (id && !old) {
		fault(r, 400, "610", "Object Not Found", "Object Not Found : Something you're "
			"trying to use has been made inactive. Check the fields with accounts, "
			"customers, items, vendors or employees.", NULL);
		json_decref(e);
		return;
	}
	if (old) {
		const char *st = json_string_value(json_object_get(e, "SyncToken"));
		const char *cur = json_string_value(json_object_get(old, "SyncToken"));
		if (!st || !cur || strcmp(st, cur) != 0) {
			char d[160];
			snprintf(d, sizeof d, "Stale Object Error : You and %s were working on this "
				"at the same time. %s finished before you did, so your work was not "
				"saved.", "sandbox", "sandbox");
			fault(r, 400, "5010", "Stale Object Error", d, NULL);
			json_decref(e);
			return;
		}
	}
	if (validate(entity, e, r) != 0) {
		json_decref(e);
		return;
	}
	char buf[32], t[64];
	time_t now = time(NULL);
	strftime(t, sizeof t, "%Y-%m-%dT%H:%M:%S-00:00", gmtime(&now));
	if (old) {
		snprintf(buf, sizeof buf, "%ld",
			strtol(json_string_value(json_object_get(old, "SyncToken")), NULL, 10) + 1);
		json_object_update(old, e);
		json_object_set_new(old, "SyncToken", json_string(buf));
		json_object_set_new(json_object_get(old, "MetaData"), "LastUpdatedTime",
			json_string(t));
		json_decref(e);
		e = json_incref(old);
	} else {
		snprintf(buf, sizeof buf, "%u", next_id++);
		json_object_set_new(e, "Id", json_string(buf));
		json_object_set_new(e, "SyncToken", json_string("0"));
		json_object_set_new(e, "domain", json_string("QBO"));
		json_object_set_new(e, "MetaData", json_pack("{s:s,s:s}", "CreateTime", t,
			"LastUpdatedTime", t));
		json_array_append(json_object_get(store_, entity), e);
	}
	sb_json(r, 200, json_pack("{s:o,s:s}", entity, e, "time", t));
}

/* strcasestr, which is GNU's, not POSIX */
static const char *
find_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (; *hay; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return hay;
	return NULL;
}

/* select * from ENTITY [where FIELD = 'v'] [startposition N] [maxresults N] */
static void
query(const sb_request *q, sb_response *r)
{
	const char *sql = q->query(q->conn, "query");
	char ent[32] = "", field[64] = "", value[256] = "";
	long start = 1, max = 100;
	if (!sql || sscanf(sql, "%*[sS]%*[eE]%*[lL]%*[eE]%*[cC]%*[tT] * %*[fF]%*[rR]%*[oO]%*[mM] "
			     "%31s", ent) != 1) {
		fault(r, 400, "4000", "Error parsing query", "QueryParserError: Encountered an "
			"error while parsing the query", NULL);
		return;
	}
	const char *w = find_ci(sql, " where ");
	if (w && sscanf(w + 7, "%63s = '%255[^']'", field, value) < 2) {
		fault(r, 400, "4000", "Error parsing query", "QueryParserError: Encountered an "
			"error while parsing the where clause", NULL);
		return;
	}
	const char *p;
	if ((p = find_ci(sql, "startposition ")))
		start = strtol(p + 14, NULL, 10);
	if ((p = find_ci(sql, "maxresults ")))
		max = strtol(p + 11, NULL, 10);
	if (max < 1 || max > 1000)
		max = 1000;
	const char *canon = NULL;
	for (size_t i = 0; i < 4; i++)
		if (!strcasecmp(ent, names[i]))
			canon = names[i];
	if (!canon) {
		fault(r, 400, "4001", "Invalid query", "QueryValidationError: Unknown entity", NULL);
		return;
	}
	json_t *out = json_array();
	long seen = 0;
	size_t i;
	json_t *x;
	json_array_foreach(json_object_get(store_, canon), i, x) {
		if (*field) {
			const char *v = json_string_value(json_object_get(x, field));
			if (!v || strcmp(v, value) != 0)
				continue;
		}
		if (++seen < start || (long)json_array_size(out) >= max)
			continue;
		json_array_append(out, x);
	}
	json_t *resp = json_object();
	if (json_array_size(out))
		json_object_set(resp, canon, out);
	json_object_set_new(resp, "startPosition", json_integer(start));
	json_object_set_new(resp, "maxResults", json_integer((json_int_t)json_array_size(out)));
	json_decref(out);
	sb_json(r, 200, json_pack("{s:o}", "QueryResponse", resp));
}

static void
handle(const sb_request *q, sb_response *r)
{
	if (!strcmp(q->path, "/oauth2/v1/tokens/bearer") && !strcmp(q->method, "POST")) {
		token(q, r);
		return;
	}
	char prefix[64];
	snprintf(prefix, sizeof prefix, "/v3/company/%s/", REALM);
	if (strncmp(q->path, prefix, strlen(prefix)) != 0) {
		fault(r, 404, "610", "Object Not Found", "unknown company or path", NULL);
		return;
	}
	if (!admitted(q, r))
		return;
	const char *rest = q->path + strlen(prefix);
	if (!strcmp(rest, "query")) {
		query(q, r);
		return;
	}
	for (size_t i = 0; i < 4; i++) {
		size_t n = strlen(entities[i]);
		if (strncmp(rest, entities[i], n) != 0 || (rest[n] && rest[n] != '/'))
			continue;
		if (!strcmp(q->method, "GET") && rest[n] == '/') {
			json_t *e = by_id(names[i], rest + n + 1);
			if (!e)
				fault(r, 400, "610", "Object Not Found", "Object Not Found", NULL);
			else
				sb_json(r, 200, json_pack("{s:O}", names[i], e));
			return;
		}
		if (strcmp(q->method, "POST") != 0 || rest[n]) {
			fault(r, 405, "405", "Unsupported Operation", "method not allowed", NULL);
			return;
		}
		/* requestid: the same id gets the first answer, and one write */
		const char *rid = q->query(q->conn, "requestid");
		json_t *seen = rid ? json_object_get(requests, rid) : NULL;
		if (seen) {
			r->status = (unsigned)json_integer_value(json_object_get(seen, "status"));
			r->body = strdup(json_string_value(json_object_get(seen, "body")));
			r->content_type = "application/json; charset=utf-8";
			return;
		}
		write_entity(names[i], q, r);
		if (rid && r->body)
			json_object_set_new(requests, rid, json_pack("{s:i,s:s}", "status", r->status,
				"body", r->body));
		return;
	}
	fault(r, 400, "610", "Object Not Found", "unsupported entity", NULL);
}

static json_t *
dump(void)
{
	json_t *d = json_deep_copy(store_);
	json_object_set_new(d, "realm", json_string(REALM));
	json_object_set_new(d, "refresh_token", json_string(refresh_token));
	return d;
}

const sb_service sb_qbo = { "qbo", "/qbo", seed, handle, dump };
