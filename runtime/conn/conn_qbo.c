/*
 * conn_qbo.c - the QuickBooks Online Accounting API v3, a target, and the
 * source of what the books send back to the store (items, invoices).
 *
 *   token     POST {token_url}, grant_type=refresh_token, HTTP Basic; Intuit
 *             rotates the refresh token, so the new one is saved before use
 *             (conn_token_ensure); the first one is the `refresh_token`
 *             setting when the state store holds none
 *   every     Authorization: Bearer, Accept: application/json
 *   write     n == 1: POST {base}/v3/company/{realm}/{entity}?requestid=KEY
 *             n > 1:  POST {base}/v3/company/{realm}/batch?requestid=KEY with
 *             {"BatchItemRequest":[{"bId","operation":"create"|"update",Type:doc}]}
 *             (at most 30); each BatchItemResponse has the entity or a Fault
 *   update    GET .../{entity}/{id} for the current SyncToken, then a sparse
 *             update {"Id","SyncToken","sparse":true,...doc}; a stale token
 *             (Fault 5010) is re-read once and the write retried once
 *   void      (conn_item.op CONN_OP_VOID, target_id the document) the
 *             SyncToken read as for an update, then as Intuit's reference
 *             and PHP SDK send it: an Invoice POST .../invoice?operation=void
 *             {"Id","SyncToken"}; a Payment or SalesReceipt POST
 *             .../{entity}?operation=update&include=void {"Id","SyncToken",
 *             "sparse":true}; in a batch operation "update" with
 *             "optionsData":"void".  QuickBooks voids no other type (a
 *             CreditMemo, RefundReceipt, ...): that item is refused here,
 *             PERMANENT, nothing sent
 *   find      GET .../query?query=select Id from Type where Field = 'v' maxresults 9
 *             (a quote or backslash in v escaped with a backslash)
 *   list      (Item, Invoice: the books' side of the entities that write the
 *             store) change data capture, GET .../cdc?entities=Item&
 *             changedSince=CURSOR -> {"CDCResponse":[{"QueryResponse":[{"Item":
 *             [...],"startPosition","maxResults","totalCount"}]}],"time"}; an
 *             object with "status":"Deleted" is skipped (nothing is deleted
 *             in the store).  CDC reaches 30 days back and answers at most
 *             1000 objects of an entity: with no cursor, a cursor older than
 *             29 days (a day's margin for the clocks) or a full answer, the
 *             query instead, select * from Item where
 *             Metadata.LastUpdatedTime >= 'CURSOR' startposition N maxresults
 *             1000, page by page.  Each object's stamp is its
 *             MetaData.LastUpdatedTime in UTC, "YYYY-MM-DDTHH:MM:SSZ"
 *             (QuickBooks writes the company's offset, -07:00)
 *   get       GET .../{entity}/{id} -> {"Item":{...}}; Fault 610 (Object
 *             Not Found) is a 404
 *
 * A repeated requestid is answered from the first request, which makes a
 * re-driven write exactly-once; Intuit takes at most 50 characters (36 on
 * the batch endpoint, where bIds are then at most 10).  The retry after a
 * stale SyncToken is a new request, so it gets its own key, derived from
 * the item's (KEY-sN): a re-drive after a crash derives the same one.  A
 * create refused as a duplicate (Fault 6240) adopts the document found by
 * the item's natural key: a re-run against a company that already has the
 * customer is not an error.  Documents are sent as the transform wrote them
 * (amounts keep their text); only answers are parsed, for Ids, SyncTokens
 * and Faults, whose Message, Detail and code are kept word for word.
 *
 * Settings: base_url (https://quickbooks.api.intuit.com), token_url,
 * client_id, client_secret, realm_id, refresh_token; webhook_key (serve:
 * the app's verifier token).
 *
 * Webhooks (q_webhook): intuit-signature is the padded base64 of
 * HMAC-SHA256(verifier token, raw body); the body is either the legacy
 * notification {"eventNotifications":[{"realmId","dataChangeEvent":
 * {"entities":[{name, id, operation, lastUpdated}]}}]} or CloudEvents
 * (Intuit's format from 2026): [{"specversion","id","source",
 * "type":"qbo.invoice.created.v1","time","intuitentityid",
 * "intuitaccountid","data"}].
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "conn.h"
#include "transform.h"

#define MAX_BATCH 30
#define CDC_MAX 1000      /* objects of an entity in one CDC answer */
#define CDC_DAYS 29       /* CDC reaches 30 days back: a day's margin */
#define QUERY_PAGE 1000   /* maxresults of a query */
#define RID_MAX 50        /* requestid on the entity endpoints */
#define RID_BATCH_MAX 36  /* requestid on the batch endpoint */
#define MINOR "minorversion=65"

struct conn {
	const conn_env *env;
	http_client *http;
	char base[400], realm[64];
	conn_token token;
	w_buf body;                 /* the request being built */
	int cost;                   /* calls the next request is metered as (batch) */
};

/* How a type is voided (Intuit's API reference, and its PHP SDK's
 * CoreConstants VOID_QUERYPARAMETER_GENERAL / _PAYMENT): not at all, by
 * ?operation=void with Id + SyncToken, or by a sparse update with
 * ?operation=update&include=void.  In a batch every void is operation
 * "update" with "optionsData":"void". */
enum { NO_VOID, VOID_OP, VOID_UPDATE };

/* The target types, their endpoint names and voids. */
static const struct { const char *type, *path; int voids; } kinds[] = {
	{ "Item", "item", NO_VOID },
	{ "Customer", "customer", NO_VOID },
	{ "SalesReceipt", "salesreceipt", VOID_UPDATE },
	{ "Invoice", "invoice", VOID_OP },
	{ "Payment", "payment", VOID_UPDATE },
	{ "CreditMemo", "creditmemo", NO_VOID },
	{ "RefundReceipt", "refundreceipt", NO_VOID },
};

static int
kind_of(const char *type)
{
	for (size_t i = 0; type && i < sizeof kinds / sizeof *kinds; i++)
		if (!strcmp(kinds[i].type, type))
			return (int)i;
	return -1;
}

static void
note(conn *c, const char *what, const char *detail)
{
	if (c->env->log)
		fprintf(c->env->log, "qbo: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
}

static int
q_open(const conn_env *env, conn **out, conn_result *res)
{
	conn *c = calloc(1, sizeof *c);
	size_t n;

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
	n = strlen(c->base);
	while (n && c->base[n - 1] == '/')
		c->base[--n] = '\0';
	snprintf(c->realm, sizeof c->realm, "%s", conn_setting(env, "realm_id"));
	if (!c->base[0] || !c->realm[0]) {
		conn_result_set(res, HTTP_PERMANENT, 0, "qbo: base_url and realm_id must be set");
		return -1;
	}
	if (conn_http_new(env, &c->http, 16u << 20) != 0) {
		conn_result_set(res, HTTP_PERMANENT, 0, "qbo: no HTTP client");
		return -1;
	}
	conn_token_init(&c->token, env, c->http, "qbo", conn_setting(env, "token_url"), 0);
	return conn_token_ensure(&c->token, 0, res);
}

static void
q_close(conn *c)
{
	if (!c)
		return;
	http_client_free(c->http);
	w_buf_fini(&c->body);
	free(c);
}

static int
q_auth(conn *c, conn_result *res)
{
	return conn_token_ensure(&c->token, 0, res);
}

/* ------------------------------------------------------------------ */
/* Faults                                                              */
/* ------------------------------------------------------------------ */

/* What a Fault code means for the retry policy, given the HTTP class. */
static http_class
fault_class(long code, const char *type, http_class http)
{
	switch (code) {
	case 5010:   /* Stale Object Error: transient once re-read */
	case 10000:  /* An application error has occurred */
		return HTTP_TRANSIENT;
	case 3001:   /* ThrottleExceeded */
		return HTTP_RATE_LIMITED;
	case 100:    /* General authentication error */
	case 3100:   /* ApplicationAuthorizationFailed */
	case 3200:   /* AuthenticationFailed */
		return HTTP_AUTH;
	default:
		break;
	}
	if (http == HTTP_TRANSIENT || http == HTTP_RATE_LIMITED || http == HTTP_AUTH)
		return http;
	if (type && (!strcmp(type, "SystemFault") || !strcmp(type, "SERVICE")))
		return HTTP_TRANSIENT;
	return HTTP_PERMANENT;  /* ValidationFault and the like: the document is wrong */
}

/* Intuit's {"Error":[{"Message","Detail","code","element"}],"type"} into
 * res: the class and the words.  Returns the first error's code, 0 if none. */
static long
fault_read(json_t *fault, http_class http, conn_result *res)
{
	json_t *errs = json_object_get(fault, "Error"), *e;
	const char *type = json_string_value(json_object_get(fault, "type"));
	size_t i, off = 0;
	long first = 0;

	json_array_foreach(errs, i, e) {
		const char *code = json_string_value(json_object_get(e, "code"));
		const char *msg = json_string_value(json_object_get(e, "Message"));
		const char *det = json_string_value(json_object_get(e, "Detail"));
		const char *el = json_string_value(json_object_get(e, "element"));
		int w;

		if (i == 0)
			first = code ? strtol(code, NULL, 10) : 0;
		w = snprintf(res->text + off, sizeof res->text - off, "%sFault %s: %s%s%s%s%s%s",
			off ? "; " : "", code ? code : "?", msg ? msg : "", det && *det ? ": " : "",
			det ? det : "", el && *el ? " [" : "", el && *el ? el : "", el && *el ? "]" : "");
		if (w < 0 || (size_t)w >= sizeof res->text - off)
			break;
		off += (size_t)w;
	}
	if (!off)
		snprintf(res->text, sizeof res->text, "QuickBooks answered a Fault without errors");
	res->cls = fault_class(first, type, http);
	return first;
}

/* http_classify, refined by the Fault in the body when there is one. */
static http_class
q_classify(conn *c, int rc, const http_response *resp, conn_result *res)
{
	json_t *j, *fault;

	(void)c;
	conn_result_from(res, rc, resp, NULL);
	if (rc != 0 || res->cls == HTTP_OK || !resp->body_len)
		return res->cls;
	j = json_loadb(resp->body, resp->body_len, 0, NULL);
	fault = json_object_get(j, "Fault");
	if (json_is_object(fault))
		fault_read(fault, res->cls, res);
	json_decref(j);
	return res->cls;
}

/* ------------------------------------------------------------------ */
/* Requests                                                            */
/* ------------------------------------------------------------------ */

/* One call with the token; a 401 refreshes it once and tries again.  0 when
 * an answer arrived (res says which), -1 when none did or no token. */
static int
call(conn *c, const char *method, const char *url, const char *body, size_t len,
	http_response *resp, conn_result *res)
{
	char auth[4200], err[256] = "";
	const char *hdrs[] = { auth, "Accept: application/json", "Content-Type: application/json" };
	http_request req = { method, url, hdrs, body ? 3 : 2, body, len, c->env->timeout_ms,
		c->cost };

	for (int attempt = 0; attempt < 2; attempt++) {
		int rc;

		if (conn_token_ensure(&c->token, attempt > 0, res) != 0)
			return -1;
		if (attempt)
			note(c, "401: the token was refreshed", NULL);
		snprintf(auth, sizeof auth, "Authorization: Bearer %s", c->token.tok.access);
		rc = http_do(c->http, &req, resp, err, sizeof err);
		if (q_classify(c, rc, resp, res) == HTTP_AUTH && rc == 0 && resp->status == 401 &&
		    attempt == 0)
			continue;
		return rc == 0 ? 0 : -1;
	}
	return 0;
}

static int
put(conn *c, const char *p, size_t n)
{
	w_buf_put(&c->body, p, n);
	return c->body.err ? -1 : 0;
}

#define PUTS(c, lit) put((c), (lit), sizeof(lit) - 1)

static int
ws(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* Append the item's document: as written for a create; for an update with
 * Id, SyncToken and sparse first, then the document's own members; for a
 * void Id and SyncToken alone (sparse with them for the update form and
 * in a batch). */
static int
put_doc(conn *c, const conn_item *it, const char *sync, int sparse)
{
	const char *d = it->doc;
	size_t len = it->len, i = 0;
	char head[300];
	int hn, rc = 0;

	while (len && ws(d[len - 1]))
		len--;
	while (i < len && ws(d[i]))
		i++;
	if (!it->target_id)
		return put(c, d + i, len - i);
	if (strpbrk(it->target_id, "\"\\") || strpbrk(sync, "\"\\"))
		return -1;
	if (it->op == CONN_OP_VOID) {
		hn = snprintf(head, sizeof head, "{\"Id\":\"%s\",\"SyncToken\":\"%s\"%s}",
			it->target_id, sync, sparse ? ",\"sparse\":true" : "");
		return hn < 0 || (size_t)hn >= sizeof head ? -1 : put(c, head, (size_t)hn);
	}
	if (i >= len || d[i] != '{' || d[len - 1] != '}')
		return -1;
	for (i++; i < len && ws(d[i]); i++)
		;
	hn = snprintf(head, sizeof head, "{\"Id\":\"%s\",\"SyncToken\":\"%s\",\"sparse\":true%s",
		it->target_id, sync, d[i] == '}' ? "" : ",");
	if (hn < 0 || (size_t)hn >= sizeof head)
		return -1;
	rc |= put(c, head, (size_t)hn);
	rc |= put(c, d + i, len - i);
	return rc;
}

static void
url_for(conn *c, char *url, size_t cap, const char *what, const char *rid)
{
	snprintf(url, cap, "%s/v3/company/%s/%s%s%s%s%s", c->base, c->realm, what,
		strchr(what, '?') ? "&" : "?", rid ? "requestid=" : "", rid ? rid : "",
		rid ? "&" MINOR : MINOR);
}

/* The path an item of kind k is posted to by the entity endpoint: a void
 * names its operation. */
static const char *
item_path(int k, const conn_item *it, char *buf, size_t cap)
{
	if (it->op != CONN_OP_VOID)
		return kinds[k].path;
	snprintf(buf, cap, "%s?%s", kinds[k].path, kinds[k].voids == VOID_OP ?
		"operation=void" : "operation=update&include=void");
	return buf;
}

/* A void QuickBooks has no form for, or one without the document's id:
 * refused here, nothing sent.  1 when it was refused. */
static int
void_refused(int k, conn_item *it)
{
	if (it->op != CONN_OP_VOID)
		return 0;
	if (kinds[k].voids == NO_VOID)
		conn_result_set(&it->res, HTTP_PERMANENT, 0, "qbo: QuickBooks Online has no void "
			"for a %s (Operation Void is not supported)", kinds[k].type);
	else if (!it->target_id)
		conn_result_set(&it->res, HTTP_PERMANENT, 0, "qbo: a void needs the %s's Id",
			kinds[k].type);
	else
		return 0;
	it->id[0] = '\0';
	return 1;
}

/* The current SyncToken of the document of kind k with id: 0, or -1 with
 * res (a Fault 610 when it is gone: PERMANENT). */
static int
sync_token(conn *c, int k, const char *id, char *out, size_t outlen, conn_result *res)
{
	char path[420], esc[CONN_ID_MAX * 3 + 4], url[1200];
	http_response r;
	json_t *j;
	const char *st;

	http_url_escape(id, esc, sizeof esc);
	snprintf(path, sizeof path, "%s/%s", kinds[k].path, esc);
	url_for(c, url, sizeof url, path, NULL);
	if (call(c, "GET", url, NULL, 0, &r, res) != 0 || res->cls != HTTP_OK)
		return -1;
	j = json_loadb(r.body, r.body_len, 0, NULL);
	st = json_string_value(json_object_get(json_object_get(j, kinds[k].type), "SyncToken"));
	if (st)
		snprintf(out, outlen, "%s", st);
	else
		conn_result_set(res, HTTP_TRANSIENT, r.status, "qbo: no SyncToken for %s %s",
			kinds[k].type, id);
	json_decref(j);
	return st ? 0 : -1;
}

static void
item_ok(conn_item *it, long status, const char *id)
{
	conn_result_set(&it->res, HTTP_OK, status, "OK");
	snprintf(it->id, sizeof it->id, "%s", id);
}

/* An item's answer, the entity or a Fault, into its res and id.  Returns
 * the Fault's code, 0 when it worked. */
static long
item_answer(int k, json_t *el, long status, conn_item *it)
{
	json_t *fault = json_object_get(el, "Fault");
	const char *id = json_string_value(json_object_get(json_object_get(el, kinds[k].type),
		"Id"));

	it->id[0] = '\0';
	if (json_is_object(fault)) {
		it->res.status = status == 200 ? 400 : status; /* as the item alone would get */
		it->res.retry_after_ms = -1;
		return fault_read(fault, HTTP_PERMANENT, &it->res);
	}
	if (id) {
		item_ok(it, status, id);
		return 0;
	}
	conn_result_set(&it->res, HTTP_TRANSIENT, status, "qbo: no %s Id in the answer",
		kinds[k].type);
	return -1;
}

static int q_find(conn *c, const char *type, const char *field, conn_find_item *items,
	size_t n, conn_result *res);

/* A create refused as Duplicate Name Exists: the document already there,
 * found by the item's natural key, is the one written. */
static void
adopt(conn *c, int k, conn_item *it)
{
	conn_found f;
	conn_result fr;

	if (it->target_id || !it->match_field || !it->match_value)
		return;
	if (conn_find_one(&conn_qbo, c, kinds[k].type, it->match_field, it->match_value, &f,
	    &fr) == 0) {
		note(c, "duplicate name: adopted the existing document", f.ids[0]);
		item_ok(it, 200, f.ids[0]);
	}
}

/* One document by the entity endpoint, with requestid rid.  A stale
 * SyncToken is re-read once and the update sent again under rid-s.  0 when
 * answered (it->res says how), -1 when not (res). */
static int
write_one(conn *c, int k, const char *rid, conn_item *it, conn_result *res)
{
	char url[1200], sync[32] = "", rid2[RID_MAX + 8], path[64];
	http_response r;
	long code = 0;

	if (void_refused(k, it))
		return 0;
	for (int attempt = 0; attempt < 2; attempt++) {
		const char *use = rid;
		json_t *j;

		if (attempt) {
			snprintf(rid2, sizeof rid2, "%.*s-s", RID_MAX - 2, rid);
			use = rid2;
			note(c, "stale SyncToken: re-read, written again", it->target_id);
		}
		if (it->target_id && sync_token(c, k, it->target_id, sync, sizeof sync, res) != 0) {
			if (res->status == 400) {  /* answered: the document is not there */
				it->res = *res;
				return 0;
			}
			return -1;
		}
		w_buf_reset(&c->body);
		if (put_doc(c, it, sync, kinds[k].voids == VOID_UPDATE) != 0) {
			conn_result_set(&it->res, HTTP_PERMANENT, 0, "qbo: the %s document is not a "
				"JSON object", kinds[k].type);
			return 0;
		}
		url_for(c, url, sizeof url, item_path(k, it, path, sizeof path), use);
		if (call(c, "POST", url, c->body.p, c->body.len, &r, res) != 0)
			return -1;
		if (res->cls != HTTP_OK && r.status != 400)
			return -1;  /* 5xx, 429, auth: nothing is known written */
		j = json_loadb(r.body, r.body_len, 0, NULL);
		code = item_answer(k, j, r.status, it);
		json_decref(j);
		if (code != 5010 || !it->target_id)
			break;
	}
	if (code == 6240)
		adopt(c, k, it);
	return 0;
}

/* Print the request; each item not answered already (codes[i] != -2) is
 * "written". */
static void
dry_run(conn *c, int k, const char *rid, conn_item *items, size_t n, const long *codes)
{
	char url[1200], path[64];

	url_for(c, url, sizeof url, n == 1 ? item_path(k, &items[0], path, sizeof path) : "batch",
		rid);
	fprintf(c->env->dry_run, "POST %s\n%.*s\n\n", url, (int)c->body.len, c->body.p);
	for (size_t i = 0; i < n; i++) {
		if (codes && codes[i] != -2)
			continue;
		conn_result_set(&items[i].res, HTTP_OK, 0, "dry run");
		snprintf(items[i].id, sizeof items[i].id, "dry-run");
	}
}

/* {"BatchItemRequest":[{"bId":"0","operation":...,"Type":doc},...]} */
static int
build_batch(conn *c, int k, conn_item *items, size_t n, char (*sync)[32], const long *codes)
{
	int rc = 0, first = 1;

	w_buf_reset(&c->body);
	rc |= PUTS(c, "{\"BatchItemRequest\":[");
	for (size_t i = 0; i < n; i++) {
		char head[160];
		int hn;

		if (codes[i] != -2)
			continue;  /* already answered: its document is gone */
		hn = snprintf(head, sizeof head, "%s{\"bId\":\"%zu\",\"operation\":\"%s\",%s\"%s\":",
			first ? "" : ",", i, items[i].target_id ? "update" : "create",
			items[i].op == CONN_OP_VOID ? "\"optionsData\":\"void\"," : "", kinds[k].type);
		first = 0;

		if (hn < 0 || (size_t)hn >= sizeof head)
			return -1;
		rc |= put(c, head, (size_t)hn);
		if (put_doc(c, &items[i], sync[i], 1) != 0)
			return -1;
		rc |= PUTS(c, "}");
	}
	rc |= PUTS(c, "]}");
	return rc;
}

static void
all_failed(conn_item *items, size_t n, const conn_result *res)
{
	for (size_t i = 0; i < n; i++) {
		items[i].res = *res;
		items[i].id[0] = '\0';
	}
}

static int
write_batch(conn *c, int k, const char *rid, conn_item *items, size_t n, conn_result *res)
{
	char url[1200], sync[MAX_BATCH][32];
	long codes[MAX_BATCH];
	http_response r;
	json_t *j, *arr, *el;
	size_t i;

	size_t left = n;

	memset(sync, 0, sizeof sync);
	for (i = 0; i < n; i++) {
		codes[i] = -2;  /* no answer yet */
		if (void_refused(k, &items[i])) {
			codes[i] = 500;  /* answered here: never sent */
			left--;
			continue;
		}
		if (!items[i].target_id)
			continue;
		if (c->env->dry_run) {
			snprintf(sync[i], sizeof sync[i], "(current)");
		} else if (sync_token(c, k, items[i].target_id, sync[i], sizeof sync[i], res) != 0) {
			if (res->status != 400)
				return -1;
			/* answered: that document is not there; the others go on */
			items[i].res = *res;
			items[i].id[0] = '\0';
			codes[i] = 610;
			left--;
		}
	}
	if (!left)
		return 0;
	if (build_batch(c, k, items, n, sync, codes) != 0) {
		conn_result_set(res, HTTP_PERMANENT, 0, "qbo: a %s document is not a JSON object",
			kinds[k].type);
		return -1;
	}
	if (c->env->dry_run) {
		dry_run(c, k, rid, items, n, codes);
		return 0;
	}
	url_for(c, url, sizeof url, "batch", rid);
	c->cost = (int)n; /* Intuit meters each batch item as a call */
	int crc = call(c, "POST", url, c->body.p, c->body.len, &r, res);
	c->cost = 0;
	if (crc != 0 || res->cls != HTTP_OK)
		return -1;
	j = json_loadb(r.body, r.body_len, 0, NULL);
	arr = json_object_get(j, "BatchItemResponse");
	if (!json_is_array(arr)) {
		json_decref(j);
		conn_result_set(res, HTTP_TRANSIENT, r.status, "qbo: batch answer without "
			"BatchItemResponse");
		return -1;
	}
	json_array_foreach(arr, i, el) {
		const char *bid = json_string_value(json_object_get(el, "bId"));
		char *end;
		unsigned long b = bid ? strtoul(bid, &end, 10) : 0;

		if (bid && *bid && !*end && b < n && codes[b] == -2)
			codes[b] = item_answer(k, el, r.status, &items[b]);
	}
	json_decref(j);
	/* after the answer is read: re-reads, retries and look-ups are calls */
	for (i = 0; i < n; i++) {
		char rid2[RID_MAX + 8];

		if (codes[i] == -2) {
			conn_result_set(&items[i].res, HTTP_TRANSIENT, r.status, "qbo: the batch "
				"answer has no BatchItemResponse for bId %zu", i);
			items[i].id[0] = '\0';
		} else if (codes[i] == 5010 && items[i].target_id) {
			conn_result one;

			snprintf(rid2, sizeof rid2, "%s-s%zu", rid, i);
			note(c, "stale SyncToken in a batch: re-read, written alone", items[i].target_id);
			if (write_one(c, k, rid2, &items[i], &one) != 0)
				items[i].res = one;
		} else if (codes[i] == 6240) {
			adopt(c, k, &items[i]);
		}
	}
	return 0;
}

static int
q_write(conn *c, const char *request_key, conn_item *items, size_t n, conn_result *res)
{
	int k = n ? kind_of(items[0].type) : -1;
	size_t klen = request_key ? strlen(request_key) : 0;

	if (n == 0)
		return 0;
	for (size_t i = 1; k >= 0 && i < n; i++)
		if (kind_of(items[i].type) != k)
			k = -1;
	if (k < 0 || n > MAX_BATCH) {
		conn_result_set(res, HTTP_PERMANENT, 0, "qbo: cannot write %zu %s documents in one "
			"request", n, items[0].type ? items[0].type : "?");
		all_failed(items, n, res);
		return -1;
	}
	if (!klen || klen > (n > 1 ? RID_BATCH_MAX : RID_MAX)) {
		conn_result_set(res, HTTP_PERMANENT, 0, "qbo: the request key must be 1 to %d "
			"characters (QuickBooks' requestid)", n > 1 ? RID_BATCH_MAX : RID_MAX);
		all_failed(items, n, res);
		return -1;
	}
	conn_result_set(res, HTTP_OK, 200, "OK");
	if (n > 1) {
		if (write_batch(c, k, request_key, items, n, res) != 0) {
			all_failed(items, n, res);
			return -1;
		}
		return 0;
	}
	if (c->env->dry_run) {
		w_buf_reset(&c->body);
		if (void_refused(k, &items[0]))
			return 0;
		if (put_doc(c, &items[0], "(current)", kinds[k].voids == VOID_UPDATE) != 0) {
			conn_result_set(res, HTTP_PERMANENT, 0, "qbo: the %s document is not a JSON "
				"object", kinds[k].type);
			all_failed(items, n, res);
			return -1;
		}
		dry_run(c, k, request_key, items, 1, NULL);
		return 0;
	}
	if (write_one(c, k, request_key, &items[0], res) != 0) {
		all_failed(items, n, res);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* find                                                                */
/* ------------------------------------------------------------------ */

/* For each value, the documents whose field is that value: one query for
 * as many values as fit a URL of a few kilobytes (a batch's, usually),
 * select Id, F from T where F IN ('a', 'b') (F = 'a' for one), each value
 * escaped as Intuit's query syntax says (a backslash before an apostrophe
 * and before a backslash); each document answered counts for the values
 * its field equals (PrimaryEmailAddr: its Address). */
static int
q_find(conn *c, const char *type, const char *field, conn_find_item *items, size_t n,
	conn_result *res)
{
	char sql[2400], esc[7300], url[8000];
	int k = kind_of(type), asked = 0;
	size_t i = 0, j;

	field = conn_find_field(field);
	if (k < 0 || !field) {
		conn_result_set(res, HTTP_PERMANENT, 0, "qbo: cannot look up %s by %s", type ? type :
			"?", field ? field : "that field");
		return conn_find_fail(items, n, res);
	}
	conn_find_begin(items, n);
	conn_result_set(res, HTTP_OK, 0, "%s", "");
	if (c->env->dry_run)
		return 0; /* nothing is asked in a dry run */
	while (i < n) {
		char list[2000];
		size_t len = 0, first = i, nv = 0, at;
		http_response r;
		json_t *j_, *arr, *el;

		for (; i < n; i++) {
			char lit[1030];
			long lm = conn_find_literal(&items[i], '\'', lit, sizeof lit, "qbo", field);
			size_t m = lm < 0 ? 0 : (size_t)lm;

			if (lm < 0)
				continue;
			if (len && len + m + 4 >= sizeof list)
				break; /* the next query asks for the rest */
			len += (size_t)snprintf(list + len, sizeof list - len, "%s'%s'", len ? ", " : "",
				lit);
			nv++;
		}
		if (!nv)
			continue;
		/* every match, up to a few more than are named for each value */
		if (nv == 1)
			at = (size_t)snprintf(sql, sizeof sql, "select Id, %s from %s where %s = %s",
				field, kinds[k].type, field, list);
		else
			at = (size_t)snprintf(sql, sizeof sql, "select Id, %s from %s where %s IN (%s)",
				field, kinds[k].type, field, list);
		snprintf(sql + at, sizeof sql - at, " maxresults %zu", nv * (CONN_FIND_MAX + 1));
		http_url_escape(sql, esc, sizeof esc);
		snprintf(url, sizeof url, "%s/v3/company/%s/query?query=%s&" MINOR, c->base,
			c->realm, esc);
		if (call(c, "GET", url, NULL, 0, &r, res) != 0 || res->cls != HTTP_OK) {
			if (!asked)
				return conn_find_fail(items, n, res);
			conn_find_unanswered(items, first, n, res); /* asked in part: the rest say why */
			break;
		}
		asked = 1;
		j_ = json_loadb(r.body, r.body_len, 0, NULL);
		if (!json_is_object(json_object_get(j_, "QueryResponse"))) {
			json_decref(j_);
			conn_result_set(res, HTTP_TRANSIENT, r.status,
				"qbo: answer without a QueryResponse");
			conn_find_unanswered(items, first, i, res);
			continue;
		}
		arr = json_object_get(json_object_get(j_, "QueryResponse"), kinds[k].type);
		json_array_foreach(arr, j, el) {
			json_t *fv = json_object_get(el, field);

			if (json_is_object(fv)) /* PrimaryEmailAddr: its Address */
				fv = json_object_get(fv, "Address");
			conn_find_doc(items + first, i - first,
				json_string_value(json_object_get(el, "Id")), json_string_value(fv),
				strcmp);
		}
		json_decref(j_);
	}
	conn_find_end(items, n);
	conn_result_set(res, HTTP_OK, 200, "%s", "");
	return 0;
}

/* ------------------------------------------------------------------ */
/* list and get                                                        */
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

/* An ISO 8601 date-time as QuickBooks writes it ("2026-12-05T04:40:00-07:00",
 * "...Z", a fraction or none, no offset: UTC) as seconds since the epoch;
 * -1 when it is not one. */
static int64_t
parse_time(const char *s, size_t n)
{
	int y, mo, d, h, mi, sec, oh, om;
	size_t i = 19;
	int64_t off = 0;

	if (n < 19 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
	    !digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != ' ') || !digits(s + 11, 2, &h) ||
	    s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' || !digits(s + 17, 2, &sec) ||
	    mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -1;
	if (i < n && s[i] == '.')
		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
	if (i < n && (s[i] == '+' || s[i] == '-')) {
		if (n - i < 6 || !digits(s + i + 1, 2, &oh) || s[i + 3] != ':' ||
		    !digits(s + i + 4, 2, &om))
			return -1;
		off = (s[i] == '-' ? -1 : 1) * (oh * 3600 + om * 60);
		i += 6;
	} else if (i < n && s[i] == 'Z') {
		i++;
	}
	if (i != n)
		return -1;
	return tm_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off;
}

/* An object's MetaData.LastUpdatedTime as the engine's stamp ("" when it
 * has none). */
static void
stamp_of(const char *p, size_t n, char *out, size_t cap)
{
	const char *m, *v;
	size_t ml, vl;
	out[0] = '\0';
	if (conn_json_member(p, n, "MetaData", &m, &ml) &&
	    conn_json_member(m, ml, "LastUpdatedTime", &v, &vl) && vl >= 2 && v[0] == '"') {
		int64_t t = parse_time(v + 1, vl - 2);
		if (t >= 0)
			conn_time_format(t, out, cap);
	}
}

/* A listing: the records of one entity handed to fn, or counted. */
typedef struct {
	const char *type;   /* the entity, the member its objects are in */
	conn_record_fn fn;
	void *arg;
	int count_only;     /* 1: count the objects, hand out none */
	size_t n, deleted;
	int rc;             /* fn's first non-zero return */
} listing;

static int
hand_out(void *arg, const char *p, size_t n)
{
	listing *l = arg;
	const char *v;
	size_t vl;
	char stamp[24];

	if (l->count_only) {
		l->n++;
		return 0;
	}
	if (conn_json_member(p, n, "status", &v, &vl) && vl == 9 && !memcmp(v, "\"Deleted\"", 9)) {
		l->deleted++;
		return 0;
	}
	stamp_of(p, n, stamp, sizeof stamp);
	l->n++;
	return l->rc = l->fn(l->arg, p, n, stamp);
}

/* each QueryResponse of a CDCResponse: the entity's objects, if any */
static int
cdc_entity(void *arg, const char *p, size_t n)
{
	listing *l = arg;
	int rc = conn_json_elements(p, n, l->type, hand_out, l);
	return rc < 0 ? 0 : rc; /* none of this entity changed */
}

static int
cdc_response(void *arg, const char *p, size_t n)
{
	int rc = conn_json_elements(p, n, "QueryResponse", cdc_entity, arg);
	return rc < 0 ? 0 : rc;
}

/* GET url, the answer parsed for a Fault: 0 with *r, or -1 with res. */
static int
read_call(conn *c, const char *url, http_response *r, conn_result *res)
{
	if (call(c, "GET", url, NULL, 0, r, res) != 0 || res->cls != HTTP_OK)
		return -1;
	return 0;
}

/* The query's pages: select * from T [where Metadata.LastUpdatedTime >=
 * 'since'] startposition N maxresults 1000, until a page is not full. */
static int
list_query(conn *c, int k, const char *since, listing *l, conn_result *res)
{
	char sql[300], esc[900], url[1800];
	http_response r;
	const char *qr;
	size_t qn;

	for (long start = 1;; start += QUERY_PAGE) {
		if (since[0])
			snprintf(sql, sizeof sql, "select * from %s where Metadata.LastUpdatedTime >= "
				"'%s' startposition %ld maxresults %d", kinds[k].type, since, start,
				QUERY_PAGE);
		else
			snprintf(sql, sizeof sql, "select * from %s startposition %ld maxresults %d",
				kinds[k].type, start, QUERY_PAGE);
		http_url_escape(sql, esc, sizeof esc);
		snprintf(url, sizeof url, "%s/v3/company/%s/query?query=%s&" MINOR, c->base, c->realm,
			esc);
		if (read_call(c, url, &r, res) != 0)
			return -1;
		if (!conn_json_member(r.body, r.body_len, "QueryResponse", &qr, &qn)) {
			conn_result_set(res, HTTP_TRANSIENT, r.status, "qbo: answer without a "
				"QueryResponse");
			return -1;
		}
		size_t before = l->n + l->deleted;
		int rc = conn_json_elements(qr, qn, kinds[k].type, hand_out, l);
		if (l->rc)
			return l->rc;
		if (rc < 0 || l->n + l->deleted - before < QUERY_PAGE)
			return 0; /* no member: nothing (more) of this entity */
	}
}

static int
q_list(conn *c, const char *collection, const char *cursor, conn_record_fn fn, void *arg,
	conn_result *res)
{
	int k = kind_of(collection);
	char since[24] = "", esc[80], url[1200];
	listing l = { collection, fn, arg, 0, 0, 0, 0 };
	http_response r;
	int rc;

	if (k < 0 || !conn_can(&conn_qbo, collection, CONN_CAN_LIST)) {
		conn_result_set(res, HTTP_PERMANENT, 0, "qbo: no listing of %s (Item, Invoice)",
			collection ? collection : "?");
		return -1;
	}
	if (cursor && *cursor) {
		int64_t t = parse_time(cursor, strlen(cursor));
		if (t < 0) {
			conn_result_set(res, HTTP_PERMANENT, 0, "qbo: bad cursor %s", cursor);
			return -1;
		}
		conn_time_format(t, since, sizeof since);
	}
	int cdc = since[0] && parse_time(since, strlen(since)) >= (int64_t)time(NULL) -
		(int64_t)CDC_DAYS * 86400;
	if (cdc) {
		http_url_escape(since, esc, sizeof esc);
		snprintf(url, sizeof url, "%s/v3/company/%s/cdc?entities=%s&changedSince=%s&" MINOR,
			c->base, c->realm, kinds[k].type, esc);
		if (read_call(c, url, &r, res) != 0)
			return -1;
		l.count_only = 1;
		if (conn_json_elements(r.body, r.body_len, "CDCResponse", cdc_response, &l) < 0) {
			conn_result_set(res, HTTP_TRANSIENT, r.status, "qbo: answer without a "
				"CDCResponse: %.300s", r.body);
			return -1;
		}
		cdc = l.n < CDC_MAX; /* a full answer may leave some out: the query */
		if (!cdc)
			note(c, "a full CDC answer: the query instead", kinds[k].type);
		l.count_only = 0;
		l.n = 0;
	}
	if (cdc)
		rc = conn_json_elements(r.body, r.body_len, "CDCResponse", cdc_response, &l);
	else
		rc = list_query(c, k, since, &l, res);
	if (l.rc)
		return l.rc;
	if (rc < 0)
		return -1;
	conn_result_set(res, HTTP_OK, 200, "%zu records (%s)%s", l.n, cdc ? "cdc" : "query",
		l.deleted ? ", deleted ones skipped" : "");
	return 0;
}

static int
q_get(conn *c, const char *collection, const char *id, conn_record_fn fn, void *arg,
	conn_result *res)
{
	int k = kind_of(collection);
	char path[420], esc[CONN_ID_MAX * 3 + 4], url[1200], stamp[24];
	http_response r;
	const char *v;
	size_t vl;

	if (k < 0 || !conn_can(&conn_qbo, collection, CONN_CAN_LIST)) {
		conn_result_set(res, HTTP_PERMANENT, 0, "qbo: no %s to get (Item, Invoice)",
			collection ? collection : "?");
		return -1;
	}
	if (!id || !*id || strlen(id) >= CONN_ID_MAX) {
		conn_result_set(res, HTTP_PERMANENT, 404, "qbo: no %s with Id %s", collection,
			id ? id : "");
		return -1;
	}
	http_url_escape(id, esc, sizeof esc);
	snprintf(path, sizeof path, "%s/%s", kinds[k].path, esc);
	url_for(c, url, sizeof url, path, NULL);
	if (read_call(c, url, &r, res) != 0) {
		if (res->cls == HTTP_PERMANENT && strstr(res->text, "Fault 610"))
			res->status = 404; /* Object Not Found */
		return -1;
	}
	if (!conn_json_member(r.body, r.body_len, kinds[k].type, &v, &vl) || v[0] != '{') {
		conn_result_set(res, HTTP_PERMANENT, 404, "qbo: no %s with Id %s", collection, id);
		return -1;
	}
	stamp_of(v, vl, stamp, sizeof stamp);
	return fn(arg, v, vl, stamp);
}

/* ------------------------------------------------------------------ */
/* exchange rates                                                      */
/* ------------------------------------------------------------------ */

/* The text of string member key of the object p[0..n), into out. */
static int
str_member(const char *p, size_t n, const char *key, char *out, size_t cap)
{
	const char *v;
	size_t vl;

	if (!conn_json_member(p, n, key, &v, &vl) || vl < 2 || v[0] != '"' || vl - 2 >= cap ||
	    memchr(v + 1, '\\', vl - 2))
		return -1;
	memcpy(out, v + 1, vl - 2);
	out[vl - 2] = '\0';
	return 0;
}

/* GET exchangerate?sourcecurrencycode=EUR&asofdate=2026-11-05: the
 * ExchangeRate entity (SourceCurrencyCode, TargetCurrencyCode, Rate: home
 * currency units per unit of the source, AsOfDate).  A currency the
 * company has no rate of is Fault 610 (Object Not Found). */
static int
q_rate(conn *c, const char *from, const char *to, const char *day, mw_dec *rate, char asof[11],
	conn_result *res)
{
	char what[96], url[1200], tgt[8], src[8];
	http_response r;
	const char *v, *x;
	size_t vl, xl;

	if (strlen(from) != 3 || strlen(day) != 10 || strspn(from, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 3
	    || strspn(day, "0123456789-") != 10) {
		conn_result_set(res, HTTP_PERMANENT, 0, "qbo: no rate of %.8s on %.12s to ask for",
			from, day);
		return -1;
	}
	snprintf(what, sizeof what, "exchangerate?sourcecurrencycode=%s&asofdate=%s", from, day);
	url_for(c, url, sizeof url, what, NULL);
	if (read_call(c, url, &r, res) != 0) {
		if (res->cls == HTTP_PERMANENT && strstr(res->text, "Fault 610"))
			return 1;
		return -1;
	}
	if (!conn_json_member(r.body, r.body_len, "ExchangeRate", &v, &vl) || v[0] != '{' ||
	    str_member(v, vl, "SourceCurrencyCode", src, sizeof src) != 0 ||
	    str_member(v, vl, "TargetCurrencyCode", tgt, sizeof tgt) != 0 ||
	    str_member(v, vl, "AsOfDate", asof, 11) != 0 || strlen(asof) != 10 ||
	    !conn_json_member(v, vl, "Rate", &x, &xl) || dec_parse(x, xl, rate) != DEC_OK) {
		conn_result_set(res, HTTP_PERMANENT, r.status, "qbo: exchangerate of %s: the answer "
			"is not an ExchangeRate", from);
		return -1;
	}
	if (strcmp(src, from) != 0 || strcmp(tgt, to) != 0) {
		/* the company's home currency is not the .map's base: every
		 * amount converted would be wrong */
		conn_result_set(res, HTTP_PERMANENT, r.status, "qbo: the company's rates are %s into "
			"%s, the mapping's base currency is %s", src, tgt, to);
		return -1;
	}
	if (rate->units <= 0 && rate->hi <= 0) {
		conn_result_set(res, HTTP_PERMANENT, r.status, "qbo: exchangerate of %s on %s is not "
			"positive", from, asof);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* webhooks                                                            */
/* ------------------------------------------------------------------ */

/* The legacy notification: one event per entity; its id
 * realmId:name:id:lastUpdated:operation (Intuit sends none: a redelivery
 * derives the same one); its collection the entity name lowercased. */
static hook_outcome
legacy(const json_t *root, hook_emit_fn emit, void *arg, char *why, size_t n)
{
	const json_t *list = json_object_get(root, "eventNotifications"), *nt, *en;
	size_t i, j;

	if (!json_is_array(list)) {
		snprintf(why, n, "no \"eventNotifications\" list");
		return HOOK_MALFORMED;
	}
	json_array_foreach(list, i, nt) {
		const char *realm = conn_event_str(nt, "realmId", "notification", why, n);
		const json_t *ents = json_object_get(json_object_get(nt, "dataChangeEvent"),
			"entities");
		if (!realm)
			return HOOK_MALFORMED;
		if (!json_is_array(ents)) {
			snprintf(why, n, "eventNotifications[%zu]: no dataChangeEvent.entities", i);
			return HOOK_MALFORMED;
		}
		json_array_foreach(ents, j, en) {
			const char *name, *id, *op, *when;
			char eid[5 * (HOOK_FIELD_MAX + 1)], coll[HOOK_FIELD_MAX + 1];
			if (!(name = conn_event_str(en, "name", "entity", why, n)) ||
			    !(id = conn_event_str(en, "id", "entity", why, n)) ||
			    !(op = conn_event_str(en, "operation", "entity", why, n)) ||
			    !(when = conn_event_str(en, "lastUpdated", "entity", why, n)))
				return HOOK_MALFORMED;
			snprintf(eid, sizeof eid, "%s:%s:%s:%s:%s", realm, name, id, when, op);
			conn_lower(coll, sizeof coll, name, "");
			hook_event e = { eid, op, coll, id };
			if (conn_emit(emit, arg, &e, why, n) != HOOK_ACCEPTED)
				return HOOK_ERROR;
		}
	}
	return HOOK_ACCEPTED;
}

/* CloudEvents: the event's own id; its collection the type's second part. */
static hook_outcome
cloudevents(const json_t *root, hook_emit_fn emit, void *arg, char *why, size_t n)
{
	size_t i;
	const json_t *ev;

	json_array_foreach(root, i, ev) {
		const char *id, *type, *ent;
		if (!json_is_object(ev)) {
			snprintf(why, n, "[%zu] is not an object", i);
			return HOOK_MALFORMED;
		}
		if (!(id = conn_event_str(ev, "id", "event", why, n)) ||
		    !(type = conn_event_str(ev, "type", "event", why, n)) ||
		    !(ent = conn_event_str(ev, "intuitentityid", "event", why, n)))
			return HOOK_MALFORMED;
		const char *a = strchr(type, '.'), *b = a ? strchr(a + 1, '.') : NULL;
		if (!a || !b || b == a + 1) {
			snprintf(why, n, "event type \"%.64s\" is not qbo.ENTITY.OPERATION", type);
			return HOOK_MALFORMED;
		}
		char name[HOOK_FIELD_MAX + 1], coll[HOOK_FIELD_MAX + 1];
		snprintf(name, sizeof name, "%.*s", (int)(b - a - 1), a + 1);
		conn_lower(coll, sizeof coll, name, "");
		hook_event e = { id, type, coll, ent };
		if (conn_emit(emit, arg, &e, why, n) != HOOK_ACCEPTED)
			return HOOK_ERROR;
	}
	return HOOK_ACCEPTED;
}

/* An array is CloudEvents, an object the legacy notification. */
static hook_outcome
events(const json_t *root, hook_emit_fn emit, void *arg, char *why, size_t n)
{
	if (json_is_array(root))
		return cloudevents(root, emit, arg, why, n);
	if (json_is_object(root))
		return legacy(root, emit, arg, why, n);
	snprintf(why, n, "not a JSON object or array");
	return HOOK_MALFORMED;
}

static hook_outcome
q_webhook(const char *secret, size_t secret_len, const hook_request *rq, hook_emit_fn emit,
	void *arg, char *why, size_t n)
{
	return conn_webhook(hook_verify_b64(rq, "intuit-signature", secret, secret_len), rq,
		events, emit, arg, why, n);
}

/* What this connector reads and writes (conn.h; its schema declares the same). */
static const conn_cap caps[] = {
	{ "Item", CONN_CAN_LIST | CONN_CAN_WRITE },
	{ "Customer", CONN_CAN_WRITE },
	{ "SalesReceipt", CONN_CAN_WRITE },
	{ "Invoice", CONN_CAN_LIST | CONN_CAN_WRITE },
	{ "Payment", CONN_CAN_WRITE },
	{ "CreditMemo", CONN_CAN_WRITE },
	{ "RefundReceipt", CONN_CAN_WRITE },
	{ NULL, 0 },
};

const conn_ops conn_qbo = {
	.service = "qbo",
	.caps = caps,
	.max_batch = MAX_BATCH,
	/* Intuit: 500 requests a minute and 10 concurrent per realm */
	.per_min = 500,
	.per_day = 0,
	.concurrent = 10,
	.open = q_open,
	.close = q_close,
	.auth = q_auth,
	.list = q_list,
	.get = q_get,
	.write = q_write,
	.find = q_find,
	.classify = q_classify,
	.webhook_setting = "webhook_key",
	.webhook = q_webhook,
	.rate = q_rate,
};
