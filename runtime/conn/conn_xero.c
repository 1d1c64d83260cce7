/*
 * conn_xero.c - the Xero Accounting API, a target.
 *
 *   token     POST {token_url}, grant_type=client_credentials, HTTP Basic
 *             (a Xero custom connection; the token names one tenant)
 *   every     Authorization: Bearer, xero-tenant-id: {tenant}
 *   write     PUT {base_url}/{Contacts|Invoices|CreditNotes|Payments}
 *             ?summarizeErrors=false {"Invoices": [doc, ...]} (at most 50),
 *             Idempotency-Key: the request key; POST when the batch updates
 *             a document (its ContactID / InvoiceID is put into the
 *             document)
 *   void      (conn_item.op CONN_OP_VOID) in the POST:
 *             {"InvoiceID": id, "Status": "VOIDED"} for an invoice or a
 *             credit note, {"PaymentID": id, "Status": "DELETED"} for a
 *             payment (Xero reverses a payment by deleting it); Xero refuses
 *             to void a document with payments or allocations applied, and
 *             that refusal is the item's own answer
 *   find      GET {base_url}/{Contacts|Invoices|Items}?where=Field=="value"
 *             (every match: one, none or several; \" and \\ inside the value)
 *   list      GET {base_url}/Items, GET {base_url}/Invoices?page=N with
 *             If-Modified-Since: the cursor (Xero answers every record changed
 *             at or after it: the items in one answer, the Items endpoint has
 *             no pages; the invoices 100 a page, page after page until one
 *             holds fewer); each record handed out as Xero wrote it, its stamp
 *             UpdatedDateUTC ("/Date(1764909600000+0000)/", milliseconds since
 *             the epoch) as RFC 3339 UTC seconds ("2025-12-05T04:40:00Z")
 *   get       GET {base_url}/Items/{ItemID or Code} -> {"Items": [one]},
 *             GET {base_url}/Invoices/{InvoiceID} -> {"Invoices": [one]}
 *
 * With summarizeErrors=false Xero answers 200 with one element per document,
 * in request order, each with StatusAttributeString OK or ERROR and its
 * ValidationErrors; those messages are kept word for word.  A repeated
 * Idempotency-Key is answered with the first write's answer, which is what
 * makes a re-driven batch exactly-once.  Xero cannot update a payment: a
 * changed payment is refused (dead-lettered) rather than silently skipped.
 * A payment applied to a credit note (its "CreditNote": {"CreditNoteID"})
 * is a cash refund; it is written like any payment.
 *
 * Settings: base_url (https://api.xero.com/api.xro/2.0), token_url,
 * client_id, client_secret, tenant; webhook_key (serve).
 *
 * Webhooks (x_webhook): x-xero-signature is the padded base64 of
 * HMAC-SHA256(webhook key, raw body); the body {"events":[{resourceUrl,
 * resourceId, eventDateUtc, eventType, eventCategory, tenantId,
 * tenantType}], firstEventSequence, lastEventSequence, entropy}; an empty
 * list is the intent to receive (200, nothing kept).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "conn.h"
#include "transform.h"

#define MAX_BATCH 50

struct conn {
	const conn_env *env;
	http_client *http;
	char base[400], tenant[128];
	conn_token token;
	w_buf body;                 /* the request being built */
};

/* Xero's collection and id member for a target type. */
static const struct { const char *type, *coll, *id; } kinds[] = {
	{ "Contact", "Contacts", "ContactID" },
	{ "Invoice", "Invoices", "InvoiceID" },
	{ "Payment", "Payments", "PaymentID" },
	{ "CreditNote", "CreditNotes", "CreditNoteID" },
	{ "Item", "Items", "ItemID" },
};

/* What voiding a document of kind k is in Xero: the Status a POST of its id
 * sets (invoices and credit notes are VOIDED; a payment is DELETED, which
 * reverses it), or NULL when Xero has no such thing. */
static const char *
void_status(int k)
{
	const char *t = kinds[k].type;

	if (!strcmp(t, "Invoice") || !strcmp(t, "CreditNote"))
		return "VOIDED";
	return !strcmp(t, "Payment") ? "DELETED" : NULL;
}

static int
kind_of(const char *type)
{
	for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
		if (!strcmp(kinds[i].type, type))
			return (int)i;
	return -1;
}

static int
x_open(const conn_env *env, conn **out, conn_result *res)
{
	conn *c = calloc(1, sizeof *c);

	*out = c;
	if (!c) {
		conn_result_set(res, HTTP_PERMANENT, 0, "out of memory");
		return -1;
	}
	c->env = env;
	/* a batch of documents, each at most RT_DOC_MAX */
	if (w_buf_init(&c->body, 64 << 10, (size_t)MAX_BATCH * RT_DOC_MAX, NULL, NULL) != 0) {
		conn_result_set(res, HTTP_PERMANENT, 0, "out of memory");
		return -1;
	}
	snprintf(c->base, sizeof c->base, "%s", conn_setting(env, "base_url"));
	snprintf(c->tenant, sizeof c->tenant, "%s", conn_setting(env, "tenant"));
	if (!c->base[0] || !c->tenant[0]) {
		conn_result_set(res, HTTP_PERMANENT, 0, "xero: base_url and tenant must be set");
		return -1;
	}
	if (conn_http_new(env, &c->http, 16u << 20) != 0) {
		conn_result_set(res, HTTP_PERMANENT, 0, "xero: no HTTP client");
		return -1;
	}
	conn_token_init(&c->token, env, c->http, "xero", conn_setting(env, "token_url"), 1);
	return conn_token_ensure(&c->token, 0, res);
}

static void
x_close(conn *c)
{
	if (!c)
		return;
	http_client_free(c->http);
	w_buf_fini(&c->body);
	free(c);
}

static int
x_auth(conn *c, conn_result *res)
{
	return conn_token_ensure(&c->token, 0, res);
}

/* Xero's error body: {"Type": "...", "Message": "...", "Detail": "..."} or
 * the ValidationException's Elements; the text keeps its words. */
static http_class
x_classify(conn *c, int rc, const http_response *resp, conn_result *res)
{
	(void)c;
	conn_result_from(res, rc, resp, NULL);
	return res->cls;
}

/* One call with the token (and one more header line, or NULL); a 401
 * refreshes it once and tries again. */
static int
call(conn *c, const char *method, const char *url, const char *idem, const char *extra,
	const char *body, size_t len, http_response *resp, conn_result *res)
{
	char auth[4200], tenant[200], key[200], err[256] = "";
	const char *hdrs[6] = { auth, tenant, "Accept: application/json",
		"Content-Type: application/json" };
	size_t nh = 4;
	http_request req = { method, url, hdrs, 0, body, len, c->env->timeout_ms, 0 };

	snprintf(tenant, sizeof tenant, "xero-tenant-id: %s", c->tenant);
	if (idem) {
		snprintf(key, sizeof key, "Idempotency-Key: %s", idem);
		hdrs[nh++] = key;
	}
	if (extra)
		hdrs[nh++] = extra;
	req.n_headers = nh;
	for (int attempt = 0; attempt < 2; attempt++) {
		int rc;

		if (conn_token_ensure(&c->token, attempt > 0, res) != 0)
			return -1;
		snprintf(auth, sizeof auth, "Authorization: Bearer %s", c->token.tok.access);
		rc = http_do(c->http, &req, resp, err, sizeof err);
		if (x_classify(c, rc, resp, res) == HTTP_AUTH && attempt == 0) {
			if (c->env->log)
				fprintf(c->env->log, "xero: 401, refreshing the token\n");
			continue;
		}
		return res->cls == HTTP_OK ? 0 : -1;
	}
	return -1;
}

static int
put(conn *c, const char *p, size_t n)
{
	w_buf_put(&c->body, p, n);
	return c->body.err ? -1 : 0;
}

#define PUTS(c, lit) put((c), (lit), sizeof(lit) - 1)

/* {"Invoices":[doc,...]} of items[idx[0..m)]; an update carries its id as
 * the first member; a void is its id and the Status alone
 * ({"InvoiceID":"...","Status":"VOIDED"}: the document stays as written). */
static int
build(conn *c, int k, const conn_item *items, const size_t *idx, size_t m)
{
	int rc = 0;

	w_buf_reset(&c->body);
	rc |= PUTS(c, "{\"");
	rc |= put(c, kinds[k].coll, strlen(kinds[k].coll));
	rc |= PUTS(c, "\":[");
	for (size_t j = 0; j < m; j++) {
		const conn_item *it = &items[idx[j]];
		const char *d = it->doc;
		size_t len = it->len;

		if (j)
			rc |= PUTS(c, ",");
		if (it->target_id && it->op == CONN_OP_VOID) {
			char v[300];
			int vn = snprintf(v, sizeof v, "{\"%s\":\"%s\",\"Status\":\"%s\"}",
				kinds[k].id, it->target_id, void_status(k));

			if (vn < 0 || (size_t)vn >= sizeof v)
				return -1;
			rc |= put(c, v, (size_t)vn);
		} else if (it->target_id && len >= 2 && d[0] == '{') {
			char head[200];
			int hn = snprintf(head, sizeof head, "{\"%s\":\"%s\"%s", kinds[k].id,
				it->target_id, d[1] == '}' ? "" : ",");

			if (hn < 0 || (size_t)hn >= sizeof head)
				return -1;
			rc |= put(c, head, (size_t)hn);
			rc |= put(c, d + 1, len - 1);
		} else {
			rc |= put(c, d, len);
		}
	}
	rc |= PUTS(c, "]}");
	return rc;
}

static void
item_errors(json_t *el, conn_item *it)
{
	json_t *errs = json_object_get(el, "ValidationErrors"), *e;
	size_t i, off = 0;

	it->res.text[0] = '\0';
	json_array_foreach(errs, i, e) {
		const char *m = json_string_value(json_object_get(e, "Message"));
		int w = snprintf(it->res.text + off, sizeof it->res.text - off, "%s%s",
			off ? "; " : "", m ? m : "?");

		if (w < 0 || (size_t)w >= sizeof it->res.text - off)
			break;
		off += (size_t)w;
	}
	if (!off)
		snprintf(it->res.text, sizeof it->res.text, "Xero refused the document");
}

/* One request: items[idx[0..m)], all created (PUT) or all updated (POST),
 * with Idempotency-Key key.  0: answered, each item's res and id set; -1:
 * nothing known written, res says why. */
static int
x_send(conn *c, int k, int update, const char *key, conn_item *items, const size_t *idx,
	size_t m, conn_result *res)
{
	char url[600];
	http_response r;
	json_t *j, *arr;

	if (build(c, k, items, idx, m) != 0) {
		conn_result_set(res, HTTP_PERMANENT, 0, "out of memory");
		return -1;
	}
	snprintf(url, sizeof url, "%s/%s?summarizeErrors=false", c->base, kinds[k].coll);
	if (c->env->dry_run) {
		fprintf(c->env->dry_run, "%s %s\nIdempotency-Key: %s\n%.*s\n\n",
			update ? "POST" : "PUT", url, key, (int)c->body.len, c->body.p);
		for (size_t i = 0; i < m; i++) {
			conn_result_set(&items[idx[i]].res, HTTP_OK, 0, "dry run");
			snprintf(items[idx[i]].id, sizeof items[idx[i]].id, "dry-run");
		}
		return 0;
	}
	if (call(c, update ? "POST" : "PUT", url, key, NULL, c->body.p, c->body.len, &r, res) != 0)
		return -1;
	j = json_loadb(r.body, r.body_len, 0, NULL);
	arr = json_object_get(j, kinds[k].coll);
	if (!json_is_array(arr) || json_array_size(arr) != m) {
		json_decref(j);
		/* answered, but not as Xero answers: nothing is known written */
		conn_result_set(res, HTTP_TRANSIENT, r.status,
			"xero: answer without one %s element per document", kinds[k].coll);
		return -1;
	}
	for (size_t i = 0; i < m; i++) {
		conn_item *it = &items[idx[i]];
		json_t *el = json_array_get(arr, i);
		const char *st = json_string_value(json_object_get(el, "StatusAttributeString"));
		const char *id = json_string_value(json_object_get(el, kinds[k].id));

		it->id[0] = '\0';
		if (st && !strcmp(st, "ERROR")) {
			it->res.cls = HTTP_PERMANENT;
			it->res.status = 400; /* what Xero says of the same item alone */
			it->res.retry_after_ms = -1;
			it->res.whole = 0;
			item_errors(el, it);
		} else if (id) {
			conn_result_set(&it->res, HTTP_OK, r.status, "OK");
			snprintf(it->id, sizeof it->id, "%s", id);
		} else {
			conn_result_set(&it->res, HTTP_TRANSIENT, r.status,
				"xero: no %s in the answer", kinds[k].id);
		}
	}
	json_decref(j);
	return 0;
}

/* Creates go by PUT and updates by POST: a batch holding both is two
 * requests, keyed KEY-c and KEY-u (the same on every re-send of KEY, so
 * each is answered from its first write); a batch of one kind is one
 * request keyed KEY; a void travels with the updates (a POST).  An item
 * Xero cannot do at all (updating a payment, voiding a contact) is refused
 * on its own, unsent.  When one of two requests is refused as
 * a whole, its items say so (res.whole) and the other's stand. */
static int
x_write(conn *c, const char *request_key, conn_item *items, size_t n, conn_result *res)
{
	size_t idx[2][MAX_BATCH], m[2] = { 0, 0 }, refused = 0;
	int k = n ? kind_of(items[0].type) : -1, groups;

	if (k < 0 || n > MAX_BATCH) {
		conn_result_set(res, HTTP_PERMANENT, 0, "xero: cannot write %zu %s documents", n,
			n ? items[0].type : "?");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		int update = items[i].target_id != NULL;
		const char *why = NULL;

		items[i].id[0] = '\0';
		if (items[i].op == CONN_OP_VOID && !void_status(k))
			why = "Xero voids no such document";
		else if (items[i].op == CONN_OP_VOID && !update)
			why = "nothing to void: the document was never written";
		else if (update && items[i].op != CONN_OP_VOID && !strcmp(kinds[k].type, "Payment"))
			why = "Xero does not update payments: the payment changed in the source "
				"after it was written; delete it in Xero to write it again";
		if (why) {
			conn_result_set(&items[i].res, HTTP_PERMANENT, 0, "%s%s%s", why,
				items[i].op == CONN_OP_VOID ? ": " : "",
				items[i].op == CONN_OP_VOID ? items[i].type : "");
			refused++;
			continue;
		}
		idx[update][m[update]++] = i;
	}
	groups = (m[0] > 0) + (m[1] > 0);
	conn_result_set(res, HTTP_OK, 200, "OK");
	for (int update = 0; update < 2; update++) {
		char key[CONN_ID_MAX + 8];
		conn_result gr;

		if (!m[update])
			continue;
		if (groups > 1)
			snprintf(key, sizeof key, "%s-%s", request_key, update ? "u" : "c");
		else
			snprintf(key, sizeof key, "%s", request_key);
		if (x_send(c, k, update, key, items, idx[update], m[update], &gr) == 0)
			continue;
		if (gr.cls != HTTP_PERMANENT || (groups == 1 && !refused)) {
			/* no answer (sent again whole, same keys: what was written
			 * is answered from its first write), or the one request
			 * refused as a whole */
			*res = gr;
			for (size_t i = 0; i < n; i++)
				items[i].res = gr;
			return -1;
		}
		for (size_t i = 0; i < m[update]; i++) {
			items[idx[update][i]].res = gr;
			items[idx[update][i]].res.whole = 1;
		}
	}
	return 0;
}

/* A document's value at a dotted path (Contact.ContactNumber), or NULL. */
static const char *
path_str(json_t *doc, const char *path)
{
	char part[128];

	while (doc && *path) {
		size_t l = strcspn(path, ".");

		if (l >= sizeof part)
			return NULL;
		memcpy(part, path, l);
		part[l] = '\0';
		doc = json_object_get(doc, part);
		path += l + (path[l] == '.');
	}
	return json_string_value(doc);
}

/* Contacts by ContactNumber, Name or EmailAddress (the .map's `match`),
 * Invoices by InvoiceNumber: one GET ?where=F=="a" OR F=="b" ... for as many
 * values as fit a URL of a few kilobytes (a batch's, usually), each value
 * a C# string literal as Xero's filter expressions take it (a backslash
 * before a quote and before a backslash), the whole expression
 * URL-escaped; each document answered counts for the values its field
 * equals. */
static int
x_find(conn *c, const char *type, const char *field, conn_find_item *items, size_t n,
	conn_result *res)
{
	char where[2000], esc[6100], url[6600];
	int k = kind_of(type), asked = 0;
	size_t i = 0;

	field = conn_find_field(field);
	if (k < 0 || !field) {
		conn_result_set(res, HTTP_PERMANENT, 0, "xero: cannot look up %s by %s",
			type ? type : "?", field ? field : "that field");
		return conn_find_fail(items, n, res);
	}
	conn_find_begin(items, n);
	conn_result_set(res, HTTP_OK, 0, "%s", "");
	if (c->env->dry_run)
		return 0; /* nothing is asked in a dry run */
	while (i < n) {
		size_t len = 0, first = i, j;
		http_response r;
		json_t *doc, *arr, *el;

		for (; i < n; i++) {
			char lit[700];
			long lm = conn_find_literal(&items[i], '"', lit, sizeof lit, "xero", field);
			size_t m = lm < 0 ? 0 : (size_t)lm, need;

			if (lm < 0)
				continue;
			need = strlen(field) + m + 4 + (len ? 4 : 0);
			if (len && len + need >= sizeof where)
				break; /* the next request asks for the rest */
			len += (size_t)snprintf(where + len, sizeof where - len, "%s%s==\"%s\"",
				len ? " OR " : "", field, lit);
		}
		if (!len)
			continue;
		http_url_escape(where, esc, sizeof esc);
		snprintf(url, sizeof url, "%s/%s?where=%s", c->base, kinds[k].coll, esc);
		if (call(c, "GET", url, NULL, NULL, NULL, 0, &r, res) != 0) {
			if (!asked)
				return conn_find_fail(items, n, res);
			conn_find_unanswered(items, first, n, res); /* asked in part: the rest say why */
			break;
		}
		asked = 1;
		doc = json_loadb(r.body, r.body_len, 0, NULL);
		arr = json_object_get(doc, kinds[k].coll);
		if (!json_is_array(arr)) {
			json_decref(doc);
			conn_result_set(res, HTTP_TRANSIENT, r.status, "xero: answer without %s",
				kinds[k].coll);
			conn_find_unanswered(items, first, i, res);
			continue;
		}
		json_array_foreach(arr, j, el)
			conn_find_doc(items + first, i - first,
				json_string_value(json_object_get(el, kinds[k].id)),
				path_str(el, field), strcmp);
		json_decref(doc);
	}
	conn_find_end(items, n);
	conn_result_set(res, HTTP_OK, 200, "%s", "");
	return 0;
}

/* ------------------------------------------------------------------ */
/* reading: Items and Invoices changed since a cursor                 */
/* ------------------------------------------------------------------ */

/* The collections a pair may read, the id member of their records, and
 * whether Xero pages them (?page=N, 100 a page; the Items endpoint has no
 * pages). */
#define XERO_PAGE 100
static const struct { const char *coll, *id; int paged; } lists[] = {
	{ "Items", "ItemID", 0 },
	{ "Invoices", "InvoiceID", 1 },
};

static int
list_of(const char *coll)
{
	for (size_t i = 0; coll && i < sizeof lists / sizeof *lists; i++)
		if (!strcmp(lists[i].coll, coll))
			return (int)i;
	return -1;
}

/* Xero's "/Date(1764909600000+0000)/" (milliseconds since the epoch, UTC;
 * the offset says the organisation's zone and does not move the instant)
 * as "2025-12-05T04:40:00Z" into out; "" when it is not that. */
static void
xero_stamp(const char *v, char *out, size_t cap)
{
	long long ms = 0;
	int digits = 0;
	const char *p = v && !strncmp(v, "/Date(", 6) ? v + 6 : NULL;
	time_t t;
	struct tm tm;

	out[0] = '\0';
	if (p && *p == '-')
		return; /* before 1970: not a stamp of a change */
	for (; p && *p >= '0' && *p <= '9' && digits < 18; p++, digits++)
		ms = ms * 10 + (*p - '0');
	if (!p || !digits || (*p != '+' && *p != '-' && *p != ')'))
		return;
	t = (time_t)(ms / 1000);
	if (gmtime_r(&t, &tm))
		strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

typedef struct {
	conn_record_fn fn;
	void *arg;
	int rc;
	size_t n;                 /* records handed out */
} lwalk;

static int
one_record(void *arg, const char *p, size_t n)
{
	lwalk *w = arg;
	char stamp[40];
	json_t *j = json_loadb(p, n, 0, NULL);

	xero_stamp(json_string_value(json_object_get(j, "UpdatedDateUTC")), stamp, sizeof stamp);
	json_decref(j);
	w->n++;
	return w->rc = w->fn(w->arg, p, n, stamp);
}

/* GET url (with the extra header line or NULL); each element of the
 * answer's member coll handed to fn, counted in *count (may be NULL). */
static int
read_records(conn *c, const char *coll, const char *url, const char *extra,
	conn_record_fn fn, void *arg, conn_result *res, size_t *count)
{
	http_response r;
	lwalk w = { fn, arg, 0, 0 };
	int rc;

	if (call(c, "GET", url, NULL, extra, NULL, 0, &r, res) != 0)
		return -1;
	rc = conn_json_elements(r.body, r.body_len, coll, one_record, &w);
	if (count)
		*count = w.n;
	if (w.rc)
		return w.rc;
	if (rc < 0) {
		conn_result_set(res, HTTP_TRANSIENT, r.status, "xero: an answer without %s", coll);
		return -1;
	}
	return 0;
}

/* Every record of coll changed at or after cursor (NULL or "": all):
 * Xero's If-Modified-Since, the cursor's own RFC 3339 UTC text. */
static int
x_list(conn *c, const char *coll, const char *cursor, conn_record_fn fn, void *arg,
	conn_result *res)
{
	char url[600], ims[100];
	int k = list_of(coll);

	if (k < 0) {
		conn_result_set(res, HTTP_PERMANENT, 0, "xero: cannot list %s", coll ? coll : "?");
		return -1;
	}
	if (cursor && *cursor)
		snprintf(ims, sizeof ims, "If-Modified-Since: %.60s", cursor);
	/* a paged collection: page after page until one holds less than a page */
	for (int page = 1;; page++) {
		size_t got = 0;
		int rc;

		if (lists[k].paged)
			snprintf(url, sizeof url, "%s/%s?page=%d", c->base, lists[k].coll, page);
		else
			snprintf(url, sizeof url, "%s/%s", c->base, lists[k].coll);
		rc = read_records(c, lists[k].coll, url, cursor && *cursor ? ims : NULL, fn, arg, res,
			&got);
		if (rc != 0 || !lists[k].paged || got < XERO_PAGE)
			return rc;
	}
}

/* One record by its id (an item: its ItemID or Code); not found: 404,
 * permanent. */
static int
x_get(conn *c, const char *coll, const char *id, conn_record_fn fn, void *arg,
	conn_result *res)
{
	char url[1000], esc[400];
	int k = list_of(coll);

	if (k < 0) {
		conn_result_set(res, HTTP_PERMANENT, 0, "xero: cannot read %s", coll ? coll : "?");
		return -1;
	}
	http_url_escape(id, esc, sizeof esc);
	snprintf(url, sizeof url, "%s/%s/%s", c->base, lists[k].coll, esc);
	return read_records(c, lists[k].coll, url, NULL, fn, arg, res, NULL);
}

/* ------------------------------------------------------------------ */
/* webhooks                                                            */
/* ------------------------------------------------------------------ */

/* One event per element; its id tenantId:resourceId:eventDateUtc:eventType
 * (Xero sends none: a redelivery derives the same one); its collection the
 * category lowercased, plural (INVOICE -> invoices, CONTACT -> contacts). */
static hook_outcome
events(const json_t *root, hook_emit_fn emit, void *arg, char *why, size_t n)
{
	const json_t *list = json_object_get(root, "events"), *ev;
	size_t i;

	if (!json_is_object(root) || !json_is_array(list)) {
		snprintf(why, n, "no \"events\" list");
		return HOOK_MALFORMED;
	}
	json_array_foreach(list, i, ev) {
		const char *rid, *date, *type, *cat, *tenant;
		char id[5 * (HOOK_FIELD_MAX + 1)], coll[HOOK_FIELD_MAX + 2];

		if (!json_is_object(ev)) {
			snprintf(why, n, "events[%zu] is not an object", i);
			return HOOK_MALFORMED;
		}
		if (!(rid = conn_event_str(ev, "resourceId", "event", why, n)) ||
		    !(date = conn_event_str(ev, "eventDateUtc", "event", why, n)) ||
		    !(type = conn_event_str(ev, "eventType", "event", why, n)) ||
		    !(cat = conn_event_str(ev, "eventCategory", "event", why, n)) ||
		    !(tenant = conn_event_str(ev, "tenantId", "event", why, n)))
			return HOOK_MALFORMED;
		snprintf(id, sizeof id, "%s:%s:%s:%s", tenant, rid, date, type);
		conn_lower(coll, sizeof coll, cat, "s");
		hook_event e = { id, type, coll, rid };
		if (conn_emit(emit, arg, &e, why, n) != HOOK_ACCEPTED)
			return HOOK_ERROR;
	}
	return HOOK_ACCEPTED;
}

static hook_outcome
x_webhook(const char *secret, size_t secret_len, const hook_request *rq, hook_emit_fn emit,
	void *arg, char *why, size_t n)
{
	return conn_webhook(hook_verify_b64(rq, "x-xero-signature", secret, secret_len), rq,
		events, emit, arg, why, n);
}

/* What this connector reads and writes (conn.h; its schema declares the same). */
static const conn_cap caps[] = {
	{ "Contact", CONN_CAN_WRITE },
	{ "Invoice", CONN_CAN_WRITE },
	{ "Payment", CONN_CAN_WRITE },
	{ "CreditNote", CONN_CAN_WRITE },
	{ "Item", CONN_CAN_WRITE },
	{ "Invoices", CONN_CAN_LIST },
	{ "Items", CONN_CAN_LIST },
	{ NULL, 0 },
};

const conn_ops conn_xero = {
	.service = "xero",
	.caps = caps,
	.max_batch = MAX_BATCH,
	/* developer.xero.com/documentation/guides/oauth2/limits */
	.per_min = 60,
	.per_day = 5000,
	.concurrent = 5,
	.open = x_open,
	.close = x_close,
	.auth = x_auth,
	.list = x_list,
	.get = x_get,
	.write = x_write,
	.find = x_find,
	.classify = x_classify,
	.webhook_setting = "webhook_key",
	.webhook = x_webhook,
};
