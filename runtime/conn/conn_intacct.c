/*
 * conn_intacct.c - the Sage Intacct XML API 3.0 gateway, a target.
 *
 *   every     POST {endpoint} (https://api.intacct.com/ia/xml/xmlgw.phtml),
 *             Content-Type: application/xml, one <request>: <control> with
 *             the sender credentials, a controlid, uniqueid, dtdversion 3.0;
 *             <operation> with <authentication> (a session id, or a login
 *             for getAPISession) and <content> of functions
 *   open      getAPISession with the login; the session id is kept in
 *             memory; an authentication failure logs in again once
 *   write     one request of up to 50 functions: CUSTOMER, CONTACT, ARPYMT,
 *             ITEM and GLBATCH in <create> (an item with a target id:
 *             <update> of a CUSTOMER by CUSTOMERID, a CONTACT by CONTACTNAME,
 *             an ITEM by ITEMID without its ITEMTYPE, a GLBATCH by RECORDNO),
 *             create_sotransaction as its own function; the control
 *             controlid is the request key, each function's controlid the
 *             item's key, uniqueid true
 *   find      readByQuery of the object with FIELD = 'value'
 *   list      (Intacct as a source) readByQuery of ITEM or SODOCUMENT with
 *             WHENMODIFIED >= 'mm/dd/yyyy HH:MM:SS' (UTC), an ITEM's
 *             WHENLASTRECEIVED and WHENLASTSOLD dates too (stock moved by a
 *             receipt or a shipper: IONHAND), 100 a page, readMore with the
 *             resultId; each record as a JSON object of the strings Intacct
 *             sent, its stamp the newest of those, RFC 3339 UTC
 *   get       the same by ITEMID / DOCID
 *
 * Exactly once: with uniqueid true Intacct refuses a function whose
 * controlid was already executed and completed.  A batch sent again after a
 * crash gets that refusal for the items that were written; each is then
 * found by its natural key (match_field / match_value, else CUSTOMERID,
 * the sales transaction's DOCID, the payment's DOCNUMBER) and returned as
 * done with the id found.  One refused and not found is sent again under
 * new controlids (request key and item key + "-r1"), never blind.
 *
 * Ids: a CUSTOMER's CUSTOMERID, a CONTACT's CONTACTNAME (what a sales
 * transaction's shipto and billto name), an ITEM's ITEMID; a sales
 * transaction's AR invoice RECORDNO
 * (SODOCUMENT.PRRECORDKEY: a "Sales Invoice" posts one, and that is what an
 * ARPYMTDETAIL RECORDKEY applies a payment to), or its DOCID when the
 * transaction definition posts none; an ARPYMT's or other object's RECORDNO.
 *
 * Classes: HTTP outcomes by http_classify; a failed control block
 * (credentials: AUTH, else TRANSIENT), a failed authentication (AUTH); a
 * function's errors (errorno, description, description2, correction, kept
 * word for word as the item's text) PERMANENT.
 *
 *   rate      (`currency ... from target`) readByQuery of EXCHANGERATE of the
 *             exchange rate type (setting rate_type, else the company's
 *             default: EXCHANGERATETYPES ISDEFAULT = 'true'), from the
 *             currency to the base, then of its EXCHANGERATEENTRY records
 *             with EFFECTIVESTARTDATE <= the day: the latest one's VALUE
 *
 * Settings: endpoint, sender_id, sender_password, company_id, user_id,
 * user_password; rate_type (optional).  Ownership: answers are parsed with libxml2 into a document
 * freed before the call returns.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "conn.h"

#define MAX_BATCH 50
#define DUP_TEXT "already been recorded with the control id"
#define DUP_ERRNO "XL03000004"
#define NOT_BUILT "out of memory, or a value with a character XML cannot carry"

struct conn {
	const conn_env *env;
	http_client *http;
	char endpoint[512], sender[128], sender_pw[256], company[128], user[128], user_pw[256];
	char session[256];          /* "" until getAPISession answered */
	unsigned nreq;              /* for the controlids of reads */
	int control_dup;            /* the last control block refused a repeated controlid */
	char rate_type[128];        /* the exchange rate type rates are read of ("": the default) */
};

/* ---- text: the runtime's w_buf and XML escaping -------------------------- */

/* An empty request: a batch of documents, each at most RT_DOC_MAX.  Out of
 * memory, it stays failed (w_buf_str() NULL). */
static void
req_init(w_buf *b)
{
	w_buf_init(b, 4096, (size_t)(MAX_BATCH + 1) * RT_DOC_MAX, NULL, NULL);
}

static void
puts_(w_buf *b, const char *s)
{
	w_buf_put(b, s, strlen(s));
}

/* s as XML character data (and attribute values: quotes escaped too); a
 * character XML cannot carry fails the request (b's error). */
static void
put_esc(w_buf *b, const char *s)
{
	unsigned bad;

	if (s && w_xml_text(b, s, strlen(s), &bad) != 0)
		b->err = WB_E_CAP;
}

/* ---- XML answers ---------------------------------------------------------- */

static xmlNode *
elem(xmlNode *n, const char *name)
{
	for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && (!name || !strcasecmp((const char *)c->name, name)))
			return c;
	return NULL;
}

/* The text of n/name into out ("" when absent). */
static const char *
val(xmlNode *n, const char *name, char *out, size_t len)
{
	xmlNode *c = elem(n, name);
	xmlChar *t = c ? xmlNodeGetContent(c) : NULL;
	snprintf(out, len, "%s", t ? (const char *)t : "");
	xmlFree(t);
	return out;
}

/* An <errormessage>'s errors, word for word: "errorno description
 * description2 correction" (empty parts left out), joined by " | ".
 * *dup is set when one refuses a repeated controlid. */
static void
errors(xmlNode *em, char *out, size_t len, int *dup)
{
	size_t at = 0;
	out[0] = 0;
	for (xmlNode *e = em ? em->children : NULL; e; e = e->next) {
		if (e->type != XML_ELEMENT_NODE || strcmp((const char *)e->name, "error"))
			continue;
		static const char *const parts[] = { "errorno", "description", "description2",
			"correction" };
		if (at && at + 3 < len)
			at += (size_t)snprintf(out + at, len - at, " | ");
		int first = 1;
		for (size_t i = 0; i < 4; i++) {
			char t[CONN_TEXT_MAX];
			if (!*val(e, parts[i], t, sizeof t))
				continue;
			if (dup && ((i == 0 && !strcmp(t, DUP_ERRNO)) || strstr(t, DUP_TEXT)))
				*dup = 1;
			if (at + 2 < len)
				at += (size_t)snprintf(out + at, len - at, "%s%s", first ? "" : " ", t);
			first = 0;
			if (at >= len)
				at = len - 1;
		}
	}
	if (!out[0])
		snprintf(out, len, "intacct: failure without an error message");
}

/* ---- requests ----------------------------------------------------------------- */

static void
envelope(conn *c, w_buf *b, const char *ctlid, int unique, const char *content, int mask)
{
	puts_(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<request><control><senderid>");
	put_esc(b, c->sender);
	puts_(b, "</senderid><password>");
	put_esc(b, mask ? "***" : c->sender_pw);
	puts_(b, "</password><controlid>");
	put_esc(b, ctlid);
	puts_(b, unique ? "</controlid><uniqueid>true</uniqueid>" :
		"</controlid><uniqueid>false</uniqueid>");
	puts_(b, "<dtdversion>3.0</dtdversion><includewhitespace>false</includewhitespace>"
		"</control><operation><authentication>");
	if (c->session[0]) {
		puts_(b, "<sessionid>");
		put_esc(b, c->session);
		puts_(b, "</sessionid>");
	} else {
		puts_(b, "<login><userid>");
		put_esc(b, c->user);
		puts_(b, "</userid><companyid>");
		put_esc(b, c->company);
		puts_(b, "</companyid><password>");
		put_esc(b, mask ? "***" : c->user_pw);
		puts_(b, "</password></login>");
	}
	puts_(b, "</authentication><content>");
	puts_(b, content);
	puts_(b, "</content></operation></request>\n");
}

static int login(conn *c, conn_result *res);

/* A dry run prints the request it would send, passwords masked. */
static void
dry_run(conn *c, const char *ctlid, int unique, const char *content)
{
	w_buf e;
	const char *text;

	req_init(&e);
	envelope(c, &e, ctlid, unique, content, 1);
	text = w_buf_str(&e);
	fprintf(c->env->dry_run, "POST %s\n%s\n", c->endpoint, text ? text : "");
	w_buf_fini(&e);
}

/* One request.  0: the control block and the authentication succeeded and
 * *out holds the answer (the caller frees it); -1: res says why.  A failed
 * session authentication logs in again once and repeats the request (no
 * function ran). */
static int
call(conn *c, const char *ctlid, int unique, const char *content, xmlDoc **out,
	conn_result *res)
{
	*out = NULL;
	c->control_dup = 0;
	for (int attempt = 0;; attempt++) {
		int by_session = c->session[0] != 0;
		w_buf b;
		req_init(&b);
		envelope(c, &b, ctlid, unique, content, 0);
		if (!w_buf_str(&b)) {
			w_buf_fini(&b);
			conn_result_set(res, HTTP_PERMANENT, 0, "intacct: %s", NOT_BUILT);
			return -1;
		}
		const char *hdr[] = { "Content-Type: application/xml; charset=utf-8",
			"Accept: application/xml" };
		http_request rq = { "POST", c->endpoint, hdr, 2, b.p, b.len, c->env->timeout_ms, 0 };
		http_response resp;
		char err[256] = "";
		int rc = http_do(c->http, &rq, &resp, err, sizeof err);
		w_buf_fini(&b);
		conn_result_from(res, rc, rc == 0 ? &resp : NULL, err);
		if (rc != 0 || res->cls != HTTP_OK)
			return -1;
		xmlDoc *doc = xmlReadMemory(resp.body, (int)resp.body_len, "response.xml", NULL,
			XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
		xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
		char st[32], text[CONN_TEXT_MAX];
		if (!root || strcmp((const char *)root->name, "response") != 0) {
			xmlFreeDoc(doc);
			res->cls = HTTP_TRANSIENT;
			return -1;
		}
		if (strcmp(val(elem(root, "control"), "status", st, sizeof st), "success") != 0) {
			int dup = 0;
			errors(elem(root, "errormessage"), text, sizeof text, &dup);
			c->control_dup = dup;
			conn_result_set(res, strstr(text, "XL03000006") ? HTTP_AUTH : HTTP_TRANSIENT,
				resp.status, "%s", text);
			xmlFreeDoc(doc);
			return -1;
		}
		xmlNode *op = elem(root, "operation");
		if (strcmp(val(elem(op, "authentication"), "status", st, sizeof st), "success")) {
			errors(elem(op, "errormessage"), text, sizeof text, NULL);
			xmlFreeDoc(doc);
			if (by_session && attempt == 0) {
				if (c->env->log)
					fprintf(c->env->log, "intacct: session refused (%s); logging in\n",
						text);
				c->session[0] = 0;
				if (login(c, res) != 0)
					return -1;
				continue;
			}
			conn_result_set(res, HTTP_AUTH, resp.status, "%s", text);
			return -1;
		}
		*out = doc;
		return 0;
	}
}

static int
login(conn *c, conn_result *res)
{
	xmlDoc *doc;
	char ctl[64];
	c->session[0] = 0;
	snprintf(ctl, sizeof ctl, "mapwright-session-%u", ++c->nreq);
	if (call(c, ctl, 0, "<function controlid=\"session\"><getAPISession/></function>", &doc,
		res) != 0)
		return -1;
	xmlNode *r = elem(elem(xmlDocGetRootElement(doc), "operation"), "result");
	char st[32], text[CONN_TEXT_MAX];
	if (strcmp(val(r, "status", st, sizeof st), "success") != 0) {
		errors(elem(r, "errormessage"), text, sizeof text, NULL);
		conn_result_set(res, HTTP_AUTH, 200, "%s", text);
		xmlFreeDoc(doc);
		return -1;
	}
	val(elem(elem(r, "data"), "api"), "sessionid", c->session, sizeof c->session);
	xmlFreeDoc(doc);
	if (!c->session[0]) {
		conn_result_set(res, HTTP_TRANSIENT, 200, "intacct: getAPISession gave no session");
		return -1;
	}
	if (c->env->log)
		fprintf(c->env->log, "intacct: new API session\n");
	return 0;
}

/* The <result> whose controlid is cid. */
static xmlNode *
result_for(xmlDoc *doc, const char *cid)
{
	xmlNode *op = elem(xmlDocGetRootElement(doc), "operation");
	char t[CONN_ID_MAX * 2];
	for (xmlNode *r = op ? op->children : NULL; r; r = r->next)
		if (r->type == XML_ELEMENT_NODE && !strcmp((const char *)r->name, "result") &&
		    !strcmp(val(r, "controlid", t, sizeof t), cid))
			return r;
	return NULL;
}

/* ---- objects ------------------------------------------------------------------ */

/* The object readByQuery reads for a target type, and the field of its
 * records that is the id this connector returns. */
static const char *
object_of(const char *type)
{
	if (!strcmp(type, "create_sotransaction"))
		return "SODOCUMENT";
	if (!strcmp(type, "create_aradjustment"))
		return "ARADJUSTMENT";
	return type;
}

static void
record_id(const char *object, xmlNode *rec, char *id, size_t len)
{
	if (!strcasecmp(object, "CUSTOMER")) {
		val(rec, "CUSTOMERID", id, len);
	} else if (!strcasecmp(object, "CONTACT")) {
		val(rec, "CONTACTNAME", id, len);
	} else if (!strcasecmp(object, "ITEM")) {
		val(rec, "ITEMID", id, len);
	} else if (!strcasecmp(object, "SODOCUMENT")) {
		if (!*val(rec, "PRRECORDKEY", id, len))
			val(rec, "DOCID", id, len);
	} else {
		val(rec, "RECORDNO", id, len);
	}
}

static void
put_query_value(w_buf *b, const char *v)
{
	for (; *v; v++) { /* a quote inside the value is doubled */
		if (*v == '\'')
			puts_(b, "''");
		else
			put_esc(b, (char[]){ *v, 0 });
	}
}

/* readByQuery of object where field = values[i], for each i, in one
 * request.  ids[i] gets the id of the first match, found[i] 1 or 0.  With
 * fi (find's items, values[i] its value): each one's found gets every
 * match of its value, and a function refused says so in its rc and res
 * alone.  0, or -1 when the request failed. */
static int
lookup(conn *c, const char *object, const char *field, const char *const *values, size_t n,
	char (*ids)[CONN_ID_MAX], int *found, conn_find_item *fi, conn_result *res)
{
	w_buf b;
	char fid[32], ctl[64];

	req_init(&b);
	for (size_t i = 0; i < n; i++) {
		snprintf(fid, sizeof fid, "q%zu", i);
		puts_(&b, "<function controlid=\"");
		puts_(&b, fid);
		puts_(&b, "\"><readByQuery><object>");
		put_esc(&b, object);
		puts_(&b, "</object><fields>*</fields><query>");
		put_esc(&b, field);
		puts_(&b, " = '");
		put_query_value(&b, values[i]);
		puts_(&b, "'</query><pagesize>10</pagesize></readByQuery></function>");
		found[i] = 0;
		ids[i][0] = 0;
	}
	const char *content = w_buf_str(&b);
	if (!content) {
		w_buf_fini(&b);
		conn_result_set(res, HTTP_PERMANENT, 0, "intacct: %s", NOT_BUILT);
		return -1;
	}
	if (c->env->dry_run) {
		dry_run(c, "mapwright-find", 0, content);
		w_buf_fini(&b);
		return 0;
	}
	xmlDoc *doc;
	snprintf(ctl, sizeof ctl, "mapwright-find-%u", ++c->nreq);
	int rc = call(c, ctl, 0, content, &doc, res);
	w_buf_fini(&b);
	if (rc != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char st[32], text[CONN_TEXT_MAX];
		snprintf(fid, sizeof fid, "q%zu", i);
		xmlNode *r = result_for(doc, fid);
		if (!r || strcmp(val(r, "status", st, sizeof st), "success") != 0) {
			errors(r ? elem(r, "errormessage") : NULL, text, sizeof text, NULL);
			if (fi) { /* this value's own answer */
				conn_result_set(&fi[i].res, r ? HTTP_PERMANENT : HTTP_TRANSIENT, 200,
					"%s", text);
				fi[i].rc = -1;
				continue;
			}
			conn_result_set(res, r ? HTTP_PERMANENT : HTTP_TRANSIENT, 200, "%s", text);
			xmlFreeDoc(doc);
			return -1;
		}
		xmlNode *rec = elem(elem(r, "data"), NULL);
		if (rec) {
			record_id(object, rec, ids[i], CONN_ID_MAX);
			found[i] = ids[i][0] != 0;
		}
		for (; fi && rec; rec = rec->next) {
			char one[CONN_ID_MAX];
			if (rec->type != XML_ELEMENT_NODE)
				continue;
			record_id(object, rec, one, sizeof one);
			conn_found_add(&fi[i].found, one);
		}
	}
	xmlFreeDoc(doc);
	conn_result_set(res, HTTP_OK, 200, "%s", "");
	return 0;
}

/* The natural key an item is found by: the engine's match, else the one
 * its document carries. */
static int
natural_key(const conn_item *it, char *field, size_t fl, char *value, size_t vl)
{
	if (it->match_field && it->match_value && *it->match_value) {
		snprintf(field, fl, "%s", it->match_field);
		snprintf(value, vl, "%s", it->match_value);
		return 0;
	}
	xmlDoc *d = xmlReadMemory(it->doc, (int)it->len, "doc.xml", NULL, XML_PARSE_NONET |
		XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	xmlNode *root = d ? xmlDocGetRootElement(d) : NULL;
	char a[CONN_ID_MAX], b2[CONN_ID_MAX];
	*value = 0;
	if (root && !strcmp(it->type, "CUSTOMER")) {
		snprintf(field, fl, "CUSTOMERID");
		val(root, "CUSTOMERID", value, vl);
	} else if (root && !strcmp(it->type, "CONTACT")) {
		snprintf(field, fl, "CONTACTNAME");
		val(root, "CONTACTNAME", value, vl);
	} else if (root && !strcmp(it->type, "ITEM")) {
		snprintf(field, fl, "ITEMID");
		val(root, "ITEMID", value, vl);
	} else if (root && !strcmp(it->type, "create_sotransaction")) {
		snprintf(field, fl, "DOCID");
		if (*val(root, "documentno", b2, sizeof b2) &&
		    snprintf(value, vl, "%s-%s", val(root, "transactiontype", a, sizeof a), b2) >=
		    (int)vl)
			*value = 0; /* too long to be a DOCID */
	} else if (root && !strcmp(it->type, "create_aradjustment")) {
		snprintf(field, fl, "RECORDID");
		val(root, "adjustmentno", value, vl);
	} else if (root && !strcmp(it->type, "ARPYMT")) {
		snprintf(field, fl, "DOCNUMBER");
		if (!*val(root, "DOCNUMBER", value, vl)) {
			snprintf(field, fl, "DESCRIPTION");
			val(root, "DESCRIPTION", value, vl);
		}
	}
	xmlFreeDoc(d);
	return *value ? 0 : -1;
}

/* ---- the operations ------------------------------------------------------------- */

static int
i_open(const conn_env *env, conn **out, conn_result *res)
{
	conn *c = calloc(1, sizeof *c);
	*out = c;
	if (!c) {
		conn_result_set(res, HTTP_PERMANENT, 0, "out of memory");
		return -1;
	}
	c->env = env;
	snprintf(c->endpoint, sizeof c->endpoint, "%s", conn_setting(env, "endpoint"));
	snprintf(c->sender, sizeof c->sender, "%s", conn_setting(env, "sender_id"));
	snprintf(c->sender_pw, sizeof c->sender_pw, "%s", conn_setting(env, "sender_password"));
	snprintf(c->company, sizeof c->company, "%s", conn_setting(env, "company_id"));
	snprintf(c->user, sizeof c->user, "%s", conn_setting(env, "user_id"));
	snprintf(c->user_pw, sizeof c->user_pw, "%s", conn_setting(env, "user_password"));
	snprintf(c->rate_type, sizeof c->rate_type, "%s", conn_setting(env, "rate_type"));
	if (!c->endpoint[0] || !c->sender[0] || !c->company[0] || !c->user[0]) {
		conn_result_set(res, HTTP_PERMANENT, 0,
			"intacct: endpoint, sender_id, company_id and user_id must be set");
		return -1;
	}
	if (conn_http_new(env, &c->http, 16u << 20) != 0) {
		conn_result_set(res, HTTP_PERMANENT, 0, "intacct: no HTTP client");
		return -1;
	}
	conn_result_set(res, HTTP_OK, 0, "%s", "");
	if (env->dry_run)
		return 0; /* nothing is sent: no session needed */
	return login(c, res);
}

static void
i_close(conn *c)
{
	if (!c)
		return;
	http_client_free(c->http);
	free(c);
}

static int
i_auth(conn *c, conn_result *res)
{
	conn_result_set(res, HTTP_OK, 0, "%s", "");
	if (c->env->dry_run || c->session[0])
		return 0;
	return login(c, res);
}

/* readByQuery: CUSTOMER by CUSTOMERID (or NAME, EMAIL1 ...), a sales
 * transaction by DOCID, a payment by DOCNUMBER; every match on the first
 * page (pagesize 10). */
/* For each value, the documents whose field is it: one readByQuery
 * function per value, MAX_BATCH of them to a request (a batch's in one). */
static int
i_find(conn *c, const char *type, const char *field, conn_find_item *items, size_t n,
	conn_result *res)
{
	char (*ids)[CONN_ID_MAX] = NULL;
	int *found = NULL;
	const char **v = NULL;

	conn_find_begin(items, n);
	conn_result_set(res, HTTP_OK, 0, "%s", "");
	if (c->env->dry_run || !n)
		return 0; /* nothing is asked in a dry run */
	ids = calloc(n, sizeof *ids);
	found = calloc(n, sizeof *found);
	v = calloc(n, sizeof *v);
	if (!ids || !found || !v) {
		free(ids), free(found), free(v);
		conn_result_set(res, HTTP_TRANSIENT, 0, "intacct: out of memory");
		return conn_find_fail(items, n, res);
	}
	for (size_t i = 0; i < n; i++)
		v[i] = items[i].value ? items[i].value : "";
	if (i_auth(c, res) != 0) {
		free(ids), free(found), free(v);
		return conn_find_fail(items, n, res);
	}
	for (size_t at = 0; at < n; at += MAX_BATCH) {
		size_t m = n - at < MAX_BATCH ? n - at : MAX_BATCH;

		if (lookup(c, object_of(type), field, v + at, m, ids + at, found + at, items + at,
			res) == 0)
			continue;
		if (at == 0) {
			free(ids), free(found), free(v);
			return conn_find_fail(items, n, res);
		}
		conn_find_unanswered(items, at, n, res); /* asked in part: the rest say why */
		break;
	}
	free(ids), free(found), free(v);
	conn_find_end(items, n);
	conn_result_set(res, HTTP_OK, 200, "%s", "");
	return 0;
}

/* ---- listing: Intacct's records as a source ------------------------------------ */

/* What list() and get() read: the collection is the object readByQuery
 * reads; an item's change stamps are its own WHENMODIFIED and the dates of
 * its last receipt and sale (a receipt or a shipper moves IONHAND without
 * touching the item record); a sales document's is WHENMODIFIED. */
#define LIST_PAGE 100
static const struct {
	const char *object, *key;
	const char *const *dates; /* date-only stamps (mm/dd/yyyy) queried as well */
} listed[] = {
	{ "ITEM", "ITEMID", (const char *const[]){ "WHENLASTRECEIVED", "WHENLASTSOLD", NULL } },
	{ "SODOCUMENT", "DOCID", (const char *const[]){ NULL } },
};

static int
listed_of(const char *collection)
{
	for (size_t i = 0; collection && i < sizeof listed / sizeof *listed; i++)
		if (!strcmp(collection, listed[i].object))
			return (int)i;
	return -1;
}

/* Intacct's "mm/dd/yyyy HH:MM:SS" (or a date, "mm/dd/yyyy": its midnight) as
 * RFC 3339 UTC, "yyyy-mm-ddTHH:MM:SSZ"; "" when it is neither. */
static void
stamp_of(const char *s, char *out, size_t len)
{
	unsigned mo, d, y, h = 0, mi = 0, se = 0;
	int n = 0;
	*out = 0;
	if (sscanf(s, "%2u/%2u/%4u%n", &mo, &d, &y, &n) != 3 || n != 10)
		return;
	if (s[n] && (sscanf(s + n, " %2u:%2u:%2u%n", &h, &mi, &se, &n) != 3 || s[10 + n]))
		return;
	snprintf(out, len, "%04u-%02u-%02uT%02u:%02u:%02uZ", y, mo, d, h, mi, se);
}

/* An RFC 3339 cursor as Intacct's query value "mm/dd/yyyy HH:MM:SS" in UTC
 * (date: "mm/dd/yyyy" alone); -1 when it is not one. */
static int
cursor_of(const char *c, int date, char *out, size_t len)
{
	struct tm tm = { 0 };
	int n = 0, oh = 0, om = 0;
	char sign = 'Z';
	if (sscanf(c, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
		&tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6)
		return -1;
	c += n;
	if (*c == '.')
		for (c++; *c >= '0' && *c <= '9'; c++)
			;
	if ((*c == '+' || *c == '-') && sscanf(c + 1, "%2d:%2d", &oh, &om) == 2)
		sign = *c;
	else if (*c != 'Z' && *c != 'z')
		return -1;
	time_t t = (time_t)(tm_days_from_civil(tm.tm_year, tm.tm_mon, tm.tm_mday) * 86400 +
		tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec) -
		(sign == '+' ? 1 : sign == '-' ? -1 : 0) * (oh * 3600 + om * 60);
	gmtime_r(&t, &tm);
	snprintf(out, len, date ? "%02d/%02d/%04d" : "%02d/%02d/%04d %02d:%02d:%02d",
		tm.tm_mon + 1, tm.tm_mday, tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	return 0;
}

/* A record element as a JSON object: each child's text, a child with
 * children an object of its own; every value the string Intacct sent. */
static json_t *
record_json(xmlNode *rec)
{
	json_t *o = json_object();
	for (xmlNode *c = rec->children; c && o; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		int nested = 0;
		for (xmlNode *g = c->children; g && !nested; g = g->next)
			nested = g->type == XML_ELEMENT_NODE;
		json_t *v;
		if (nested) {
			v = record_json(c);
		} else {
			xmlChar *t = xmlNodeGetContent(c);
			v = json_string(t ? (const char *)t : "");
			xmlFree(t);
		}
		if (!v || json_object_set_new(o, (const char *)c->name, v) != 0) {
			json_decref(o);
			o = NULL;
		}
	}
	return o;
}

/* Hands each record of a readByQuery / readMore answer's data to fn,
 * with its newest stamp.  0, fn's non-zero return, or -1 with res set. */
static int
hand_out(int li, xmlNode *data, conn_record_fn fn, void *arg, conn_result *res)
{
	for (xmlNode *rec = data ? data->children : NULL; rec; rec = rec->next) {
		if (rec->type != XML_ELEMENT_NODE)
			continue;
		char stamp[32], t[64], s2[32];
		stamp_of(val(rec, "WHENMODIFIED", t, sizeof t), stamp, sizeof stamp);
		for (const char *const *d = listed[li].dates; *d; d++) {
			stamp_of(val(rec, *d, t, sizeof t), s2, sizeof s2);
			if (strcmp(s2, stamp) > 0)
				memcpy(stamp, s2, sizeof stamp);
		}
		json_t *j = record_json(rec);
		char *text = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
		json_decref(j);
		if (!text) {
			conn_result_set(res, HTTP_PERMANENT, 0, "intacct: out of memory");
			return -1;
		}
		int rc = fn(arg, text, strlen(text), stamp);
		free(text);
		if (rc)
			return rc;
	}
	return 0;
}

/* One read function: readByQuery of object with query, pagesize records
 * a page, or (*rid set) readMore of rid; tag names the function and its
 * control id.  0: *doc the answer (the caller frees it), *data its data
 * element (NULL when none), *rid the resultId when more remain ("" when
 * none); -1 with res set. */
static int
read_query(conn *c, const char *tag, const char *object, const char *query, int pagesize,
	char *rid, size_t ridlen, xmlDoc **doc, xmlNode **data, conn_result *res)
{
	w_buf b;
	char ctl[64], size[16];
	req_init(&b);
	puts_(&b, "<function controlid=\"");
	puts_(&b, tag);
	if (*rid) {
		puts_(&b, "\"><readMore><resultId>");
		put_esc(&b, rid);
		puts_(&b, "</resultId></readMore></function>");
	} else {
		puts_(&b, "\"><readByQuery><object>");
		put_esc(&b, object);
		puts_(&b, "</object><fields>*</fields><query>");
		put_esc(&b, query);
		snprintf(size, sizeof size, "%d", pagesize);
		puts_(&b, "</query><pagesize>");
		puts_(&b, size);
		puts_(&b, "</pagesize></readByQuery></function>");
	}
	const char *content = w_buf_str(&b);
	*doc = NULL;
	snprintf(ctl, sizeof ctl, "mapwright-%s-%u", tag, ++c->nreq);
	int rc = content ? call(c, ctl, 0, content, doc, res) : -1;
	if (!content)
		conn_result_set(res, HTTP_PERMANENT, 0, "intacct: %s", NOT_BUILT);
	w_buf_fini(&b);
	if (rc != 0)
		return -1;
	xmlNode *r = result_for(*doc, tag);
	char st[32], text[CONN_TEXT_MAX];
	if (!r || strcmp(val(r, "status", st, sizeof st), "success") != 0) {
		errors(r ? elem(r, "errormessage") : NULL, text, sizeof text, NULL);
		conn_result_set(res, r ? HTTP_PERMANENT : HTTP_TRANSIENT, 200, "%s", text);
		xmlFreeDoc(*doc);
		*doc = NULL;
		return -1;
	}
	*data = elem(r, "data");
	xmlChar *more = *data ? xmlGetProp(*data, BAD_CAST "numremaining") : NULL;
	xmlChar *id = *data ? xmlGetProp(*data, BAD_CAST "resultId") : NULL;
	snprintf(rid, ridlen, "%s", more && strtol((const char *)more, NULL, 10) > 0 && id ?
		(const char *)id : "");
	xmlFree(more), xmlFree(id);
	return 0;
}

/* One page of a listing (read_query of the collection's object), its
 * records handed out.  0, fn's return, or -1. */
static int
read_page(conn *c, int li, const char *query, char *rid, size_t ridlen, conn_record_fn fn,
	void *arg, conn_result *res)
{
	xmlDoc *doc;
	xmlNode *data;
	if (read_query(c, "page", listed[li].object, query, LIST_PAGE, rid, ridlen, &doc, &data,
	    res) != 0)
		return -1;
	int rc = hand_out(li, data, fn, arg, res);
	xmlFreeDoc(doc);
	return rc;
}

/* readByQuery of the collection's object changed at or after the cursor:
 * `WHENMODIFIED >= 'mm/dd/yyyy HH:MM:SS'` (an item's receipt and sale
 * dates too, `OR WHENLASTRECEIVED >= 'mm/dd/yyyy'`), LIST_PAGE records a
 * page, the rest by readMore with the answer's resultId. */
static int
i_list(conn *c, const char *collection, const char *cursor, conn_record_fn fn, void *arg,
	conn_result *res)
{
	int li = listed_of(collection);
	char q[512] = "", at[32], day[16], rid[128] = "";
	if (li < 0) {
		conn_result_set(res, HTTP_PERMANENT, 0, "intacct: %s is not listed by this "
			"connector", collection ? collection : "(none)");
		return -1;
	}
	if (cursor && *cursor) {
		if (cursor_of(cursor, 0, at, sizeof at) != 0 || cursor_of(cursor, 1, day,
			sizeof day) != 0) {
			conn_result_set(res, HTTP_PERMANENT, 0, "intacct: the cursor %s is not an "
				"RFC 3339 time", cursor);
			return -1;
		}
		size_t n = (size_t)snprintf(q, sizeof q, "WHENMODIFIED >= '%s'", at);
		for (const char *const *d = listed[li].dates; *d && n < sizeof q; d++)
			n += (size_t)snprintf(q + n, sizeof q - n, " OR %s >= '%s'", *d, day);
	}
	/* a dry run reads too (without a session, each request logs in) */
	if (i_auth(c, res) != 0)
		return -1;
	do {
		int rc = read_page(c, li, q, rid, sizeof rid, fn, arg, res);
		if (rc)
			return rc;
	} while (*rid);
	conn_result_set(res, HTTP_OK, 200, "%s", "");
	return 0;
}

/* get()'s one record: the first of the answer. */
struct one_rec {
	conn_record_fn fn;
	void *arg;
	int n;
};

static int
first_one(void *arg, const char *json, size_t len, const char *stamp)
{
	struct one_rec *o = arg;
	return o->n++ ? 0 : o->fn(o->arg, json, len, stamp);
}

/* The one record of the collection whose key (ITEMID, DOCID) is id. */
static int
i_get(conn *c, const char *collection, const char *id, conn_record_fn fn, void *arg,
	conn_result *res)
{
	int li = listed_of(collection);
	if (li < 0) {
		conn_result_set(res, HTTP_PERMANENT, 0, "intacct: %s is not listed by this "
			"connector", collection ? collection : "(none)");
		return -1;
	}
	if (i_auth(c, res) != 0)
		return -1;
	w_buf q;
	req_init(&q);
	puts_(&q, listed[li].key);
	puts_(&q, " = '");
	for (const char *v = id; *v; v++) /* the query is escaped when sent */
		w_buf_put(&q, *v == '\'' ? "''" : v, *v == '\'' ? 2 : 1);
	puts_(&q, "'");
	struct one_rec one = { fn, arg, 0 };
	char rid[128] = "";
	const char *query = w_buf_str(&q);
	int rc = query ? read_page(c, li, query, rid, sizeof rid, first_one, &one, res) : -1;
	w_buf_fini(&q);
	if (rc)
		return rc;
	if (!one.n) {
		conn_result_set(res, HTTP_PERMANENT, 404, "intacct: no %s with %s = '%s'",
			listed[li].object, listed[li].key, id);
		return -1;
	}
	return 0;
}

/* The children of root named in keep (in the document's order), dumped
 * into b; with lines, the sotransitems as updatesotransitems, each
 * sotransitem an updatesotransitem line_num="N" (line N replaced). */
static void
put_children(w_buf *b, xmlDoc *d, xmlNode *root, const char *const *keep, int lines)
{
	for (xmlNode *c = root->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		int k = 0;
		for (size_t i = 0; keep[i] && !k; i++)
			k = !strcmp((const char *)c->name, keep[i]);
		if (lines && !strcmp((const char *)c->name, "sotransitems")) {
			int n = 0;
			puts_(b, "<updatesotransitems>");
			for (xmlNode *l = c->children; l; l = l->next) {
				if (l->type != XML_ELEMENT_NODE)
					continue;
				char num[32];
				snprintf(num, sizeof num, "%d", ++n);
				xmlNodeSetName(l, BAD_CAST "updatesotransitem");
				xmlSetProp(l, BAD_CAST "line_num", BAD_CAST num);
			}
			for (xmlNode *l = c->children; l; l = l->next) {
				if (l->type != XML_ELEMENT_NODE)
					continue;
				xmlBuffer *xb = xmlBufferCreate();
				xmlNodeDump(xb, d, l, 0, 0);
				puts_(b, (const char *)xmlBufferContent(xb));
				xmlBufferFree(xb);
			}
			puts_(b, "</updatesotransitems>");
			continue;
		}
		if (!k)
			continue;
		xmlBuffer *xb = xmlBufferCreate();
		xmlNodeDump(xb, d, c, 0, 0);
		puts_(b, (const char *)xmlBufferContent(xb));
		xmlBufferFree(xb);
	}
}

/* A sales transaction's DOCID: "transactiontype-documentno". */
static int
docid_of(xmlNode *root, char *out, size_t len)
{
	char t[CONN_ID_MAX], no[CONN_ID_MAX];
	val(root, "transactiontype", t, sizeof t);
	val(root, "documentno", no, sizeof no);
	return *t && *no && snprintf(out, len, "%s-%s", t, no) < (int)len ? 0 : -1;
}

/* The header fields update_sotransaction takes, in the order Intacct's SDK
 * (OrderEntryTransactionUpdate) writes them; customerid, transactiontype
 * and documentno name the transaction and are not changed. */
static const char *const so_update[] = { "datecreated", "dateposted", "referenceno",
	"termname", "datedue", "origdocdate", "message", "shippingmethod", "shipto", "billto",
	"supdocid", "externalid", "basecurr", "currency", "exchratedate", "exchratetype",
	"exchrate", "customfields", "state", "projectid", NULL };
/* update_aradjustment: the header and the lines, not the customer */
static const char *const adj_update[] = { "datecreated", "dateposted", "description",
	"externalid", "basecurr", "currency", "exchratedate", "exchratetype", "exchrate", "nogl",
	"customfields", "aradjustmentitems", NULL };

/* What the item does, as Intacct's functions say it:
 *   create   <create>DOC</create>, or DOC itself for the legacy functions
 *            (create_sotransaction, create_aradjustment)
 *   update   <update><CUSTOMER|ARPYMT|GLBATCH> with its id; update_sotransaction
 *            key=DOCID (header, lines as updatesotransitems: Intacct then
 *            posts a new AR invoice, its new RECORDNO read back);
 *            update_aradjustment key=RECORDNO
 *   void     delete_sotransaction key=DOCID (Order Entry has no void: the
 *            transaction and its AR invoice go, refused while payments are
 *            applied); reverse_arpayment key=RECORDNO dated today (the
 *            invoice is owed again); delete_aradjustment key=RECORDNO
 * Intacct's own refusals (a paid invoice edited, a posted payment edited)
 * come back per function.  -1 with it->res set when it cannot be sent. */
static int
function(w_buf *b, conn_item *it, const char *suffix)
{
	xmlDoc *d = xmlReadMemory(it->doc, (int)it->len, "doc.xml", NULL, XML_PARSE_NONET |
		XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	xmlNode *root = d ? xmlDocGetRootElement(d) : NULL;
	const char *t = it->type;
	int so = !strcmp(t, "create_sotransaction"), adj = !strcmp(t, "create_aradjustment");
	int pay = !strcmp(t, "ARPYMT"), cust = !strcmp(t, "CUSTOMER");
	int item = !strcmp(t, "ITEM"), contact = !strcmp(t, "CONTACT");
	int gl = !strcmp(t, "GLBATCH");
	char docid[CONN_ID_MAX];
	if (!root || strcmp((const char *)root->name, t) != 0) {
		xmlFreeDoc(d);
		conn_result_set(&it->res, HTTP_PERMANENT, 0,
			"intacct: the document is not a well-formed <%s> element", t);
		return -1;
	}
	if ((it->op == CONN_OP_VOID || it->target_id) && !so && !adj && !pay && !cust && !item &&
	    !contact && !gl) {
		xmlFreeDoc(d);
		conn_result_set(&it->res, HTTP_PERMANENT, 0, "intacct: a %s is neither updated nor "
			"voided by this connector (it is %s in Intacct)", t,
			it->target_id ? it->target_id : "not written");
		return -1;
	}
	if (it->op == CONN_OP_VOID && (cust || item || contact || gl || !it->target_id)) {
		xmlFreeDoc(d);
		conn_result_set(&it->res, HTTP_PERMANENT, 0, cust || item || contact ? "intacct: a %s is not "
			"voided (Intacct deletes it, or makes it STATUS inactive)" : gl && it->target_id ?
			"intacct: a %s is not voided by this connector (it is updated whole)" :
			"intacct: nothing written to void (a %s)", t);
		return -1;
	}
	if (so && (it->op == CONN_OP_VOID || it->target_id) &&
	    docid_of(root, docid, sizeof docid) != 0) {
		xmlFreeDoc(d);
		conn_result_set(&it->res, HTTP_PERMANENT, 0, "intacct: the transaction's DOCID "
			"(transactiontype-documentno) is not in the document");
		return -1;
	}
	puts_(b, "<function controlid=\"");
	put_esc(b, it->key);
	put_esc(b, suffix);
	puts_(b, "\">");
	if (it->op == CONN_OP_VOID) {
		puts_(b, so ? "<delete_sotransaction key=\"" : pay ? "<reverse_arpayment key=\"" :
			"<delete_aradjustment key=\"");
		put_esc(b, so ? docid : it->target_id);
		if (pay) {
			char date[160];
			time_t now = time(NULL);
			struct tm tm;
			gmtime_r(&now, &tm);
			snprintf(date, sizeof date, "\"><datereversed><year>%04d</year><month>%02d"
				"</month><day>%02d</day></datereversed><description>", tm.tm_year + 1900,
				tm.tm_mon + 1, tm.tm_mday);
			puts_(b, date);
			char desc[CONN_ID_MAX];
			put_esc(b, *val(root, "DESCRIPTION", desc, sizeof desc) ? desc : "Reversed");
			puts_(b, "</description></reverse_arpayment>");
		} else {
			puts_(b, "\"/>");
		}
	} else if (it->target_id && (so || adj)) {
		puts_(b, so ? "<update_sotransaction key=\"" : "<update_aradjustment key=\"");
		put_esc(b, so ? docid : it->target_id);
		puts_(b, "\">");
		put_children(b, d, root, so ? so_update : adj_update, so);
		puts_(b, so ? "</update_sotransaction>" : "</update_aradjustment>");
	} else if (it->target_id) {
		/* CUSTOMER: its CUSTOMERID; CONTACT: its CONTACTNAME; ITEM: its
		 * ITEMID, and not its ITEMTYPE (the SDK's ItemUpdate sends none: an
		 * item keeps its type); ARPYMT, GLBATCH: its RECORDNO (a journal
		 * entry sent whole: its ENTRIES replace the old) */
		const char *idf = cust ? "CUSTOMERID" : contact ? "CONTACTNAME" : item ? "ITEMID" :
			"RECORDNO";
		xmlNode *ty = item ? elem(root, "ITEMTYPE") : NULL;
		if (ty) {
			xmlUnlinkNode(ty);
			xmlFreeNode(ty);
		}
		xmlNode *idn = elem(root, idf);
		if (idn)
			xmlNodeSetContent(idn, NULL);
		else if (root->children)
			idn = xmlAddPrevSibling(root->children, xmlNewNode(NULL, BAD_CAST idf));
		else
			idn = xmlAddChild(root, xmlNewNode(NULL, BAD_CAST idf));
		xmlNodeAddContent(idn, BAD_CAST it->target_id);
		xmlBuffer *xb = xmlBufferCreate();
		xmlNodeDump(xb, d, root, 0, 0);
		puts_(b, "<update>");
		puts_(b, (const char *)xmlBufferContent(xb));
		puts_(b, "</update>");
		xmlBufferFree(xb);
	} else if (so || adj) {
		w_buf_put(b, it->doc, it->len);
	} else {
		puts_(b, "<create>");
		w_buf_put(b, it->doc, it->len);
		puts_(b, "</create>");
	}
	puts_(b, "</function>");
	xmlFreeDoc(d);
	return 0;
}

enum { PENDING, DONE, DUPLICATE, SOLD }; /* SOLD: created, its AR key to look up */

/* Sends items whose state[i] is PENDING as one request; sets their res and
 * state.  0, or -1 when no answer says what happened (res). */
static int
send_batch(conn *c, const char *ctlid, const char *suffix, conn_item *items, size_t n,
	int *state, conn_result *res)
{
	w_buf b;
	size_t sent = 0;

	req_init(&b);
	for (size_t i = 0; i < n; i++)
		if (state[i] == PENDING) {
			if (function(&b, &items[i], suffix) == 0)
				sent++;
			else
				state[i] = DONE; /* refused here, with its res */
		}
	const char *content = w_buf_str(&b);
	if (!content) {
		w_buf_fini(&b);
		conn_result_set(res, HTTP_PERMANENT, 0, "intacct: %s", NOT_BUILT);
		return -1;
	}
	if (!sent) {
		w_buf_fini(&b);
		return 0;
	}
	xmlDoc *doc;
	int rc = call(c, ctlid, 1, content, &doc, res);
	w_buf_fini(&b);
	if (rc != 0) {
		if (!c->control_dup)
			return -1;
		for (size_t i = 0; i < n; i++) /* the whole request was refused as a repeat */
			if (state[i] == PENDING)
				state[i] = DUPLICATE;
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (state[i] != PENDING)
			continue;
		conn_item *it = &items[i];
		char cid[CONN_ID_MAX * 2], st[32];
		snprintf(cid, sizeof cid, "%s%s", it->key, suffix);
		xmlNode *r = result_for(doc, cid);
		if (!r) {
			conn_result_set(&it->res, HTTP_TRANSIENT, 200,
				"intacct: no result for function %s", cid);
			state[i] = DONE;
			continue;
		}
		if (strcmp(val(r, "status", st, sizeof st), "success") != 0) {
			int dup = 0;
			errors(elem(r, "errormessage"), it->res.text, sizeof it->res.text, &dup);
			it->res.cls = HTTP_PERMANENT;
			it->res.status = 200;
			it->res.retry_after_ms = -1;
			state[i] = dup ? DUPLICATE : DONE;
			continue;
		}
		conn_result_set(&it->res, HTTP_OK, 200, "%s", "");
		state[i] = DONE;
		if (it->op == CONN_OP_VOID) {
			snprintf(it->id, sizeof it->id, "%s", it->target_id);
		} else if (!strcmp(it->type, "create_sotransaction")) {
			val(r, "key", it->id, sizeof it->id); /* the DOCID, until its AR key is read */
			state[i] = SOLD;
		} else if (!strcmp(it->type, "create_aradjustment")) {
			val(r, "key", it->id, sizeof it->id); /* the ARADJUSTMENT's RECORDNO */
		} else {
			record_id(it->type, elem(elem(r, "data"), NULL), it->id, sizeof it->id);
		}
		if (!it->id[0] && it->target_id)
			snprintf(it->id, sizeof it->id, "%s", it->target_id);
	}
	xmlFreeDoc(doc);
	return 0;
}

/* The AR invoice keys of the sales transactions just created (state SOLD,
 * it->id their DOCID). */
static void
ar_keys(conn *c, conn_item *items, size_t n, int *state)
{
	const char *docids[MAX_BATCH];
	char ids[MAX_BATCH][CONN_ID_MAX];
	int found[MAX_BATCH];
	size_t idx[MAX_BATCH], m = 0;
	conn_result r;
	for (size_t i = 0; i < n && m < MAX_BATCH; i++)
		if (state[i] == SOLD) {
			idx[m] = i;
			docids[m++] = items[i].id;
		}
	if (!m)
		return;
	if (lookup(c, "SODOCUMENT", "DOCID", docids, m, ids, found, NULL, &r) != 0) {
		/* written, but its key unknown: the engine retries, and the repeat
		 * is recognised and found */
		for (size_t j = 0; j < m; j++)
			items[idx[j]].res = r, items[idx[j]].res.cls = HTTP_TRANSIENT;
		return;
	}
	for (size_t j = 0; j < m; j++)
		if (found[j])
			snprintf(items[idx[j]].id, CONN_ID_MAX, "%s", ids[j]);
}

static int
i_write(conn *c, const char *request_key, conn_item *items, size_t n, conn_result *res)
{
	int state[MAX_BATCH];
	if (n > MAX_BATCH) {
		conn_result_set(res, HTTP_PERMANENT, 0, "intacct: at most %d items a request",
			MAX_BATCH);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		state[i] = PENDING;
		items[i].id[0] = 0;
		conn_result_set(&items[i].res, HTTP_OK, 0, "%s", "");
	}
	if (c->env->dry_run) {
		w_buf b;
		req_init(&b);
		for (size_t i = 0; i < n; i++)
			if (function(&b, &items[i], "") == 0)
				snprintf(items[i].id, sizeof items[i].id, "dry-run");
		const char *content = w_buf_str(&b);
		dry_run(c, request_key, 1, content ? content : "");
		w_buf_fini(&b);
		conn_result_set(res, HTTP_OK, 0, "%s", "");
		return 0;
	}
	if (i_auth(c, res) != 0 || send_batch(c, request_key, "", items, n, state, res) != 0) {
		for (size_t i = 0; i < n; i++)
			if (state[i] == PENDING)
				items[i].res = *res;
		return -1;
	}
	/* Repeats: written before; found by natural key, or sent again. */
	int again = 0;
	for (size_t i = 0; i < n; i++) {
		if (state[i] != DUPLICATE)
			continue;
		conn_item *it = &items[i];
		if (it->op == CONN_OP_VOID) { /* executed and completed: it is voided */
			snprintf(it->id, sizeof it->id, "%s", it->target_id);
			conn_result_set(&it->res, HTTP_OK, 200, "%s", "");
			state[i] = DONE;
			continue;
		}
		char field[64], value[CONN_ID_MAX];
		int f;
		if (natural_key(it, field, sizeof field, value, sizeof value) != 0) {
			conn_result_set(&it->res, HTTP_PERMANENT, 200, "intacct: written before "
				"(controlid %s) and no natural key to find it by: %s", it->key,
				it->res.text);
			state[i] = DONE;
			continue;
		}
		conn_found fd;
		f = conn_find_one(&conn_intacct, c, it->type, field, value, &fd, &it->res);
		if (f == 0 || f == 2) { /* several: the first, as before */
			snprintf(it->id, sizeof it->id, "%s", fd.ids[0]);
			conn_result_set(&it->res, HTTP_OK, 200, "%s", "");
			state[i] = DONE;
		} else if (f == 1) {
			if (c->env->log)
				fprintf(c->env->log, "intacct: %s written before but no %s %s = '%s'; "
					"sending it again\n", it->key, it->type, field, value);
			state[i] = PENDING;
			again = 1;
		} else {
			state[i] = DONE; /* could not ask: its res says why */
		}
	}
	if (again) {
		char ctl[CONN_ID_MAX + 8];
		snprintf(ctl, sizeof ctl, "%s-r1", request_key);
		conn_result r;
		if (send_batch(c, ctl, "-r1", items, n, state, &r) != 0) {
			for (size_t i = 0; i < n; i++)
				if (state[i] == PENDING)
					items[i].res = r, state[i] = DONE;
		}
		for (size_t i = 0; i < n; i++)
			if (state[i] == DUPLICATE) { /* refused twice: leave it to the retry policy */
				items[i].res.cls = HTTP_TRANSIENT;
				state[i] = DONE;
			}
	}
	ar_keys(c, items, n, state);
	conn_result_set(res, HTTP_OK, 200, "%s", "");
	return 0;
}

/* ---- exchange rates: the company's, of an exchange rate type --------------------- */

/* One readByQuery of object with query (and its readMore pages), each
 * record handed to fn.  0, or -1 with res set. */
typedef void (*rec_fn)(void *arg, xmlNode *rec);

static int
query_all(conn *c, const char *object, const char *query, rec_fn fn, void *arg,
	  conn_result *res)
{
	char rid[128] = "";
	do {
		xmlDoc *doc;
		xmlNode *data;
		if (read_query(c, "rates", object, query, 1000, rid, sizeof rid, &doc, &data, res) != 0)
			return -1;
		for (xmlNode *rec = data ? data->children : NULL; rec; rec = rec->next)
			if (rec->type == XML_ELEMENT_NODE)
				fn(arg, rec);
		xmlFreeDoc(doc);
	} while (*rid);
	return 0;
}

/* the first record's field */
struct first_field {
	const char *field;
	char out[CONN_ID_MAX];
};

static void
first_field(void *arg, xmlNode *rec)
{
	struct first_field *f = arg;
	if (!f->out[0])
		val(rec, f->field, f->out, sizeof f->out);
}

/* the entry of the latest EFFECTIVESTARTDATE (mm/dd/yyyy): its day as
 * yyyymmdd and its VALUE */
struct latest {
	char day[9], value[64];
};

static void
latest_entry(void *arg, xmlNode *rec)
{
	struct latest *l = arg;
	char d[32], v[64], key[9];
	unsigned mo, dd, y;
	int n = 0;
	val(rec, "EFFECTIVESTARTDATE", d, sizeof d);
	if (sscanf(d, "%2u/%2u/%4u%n", &mo, &dd, &y, &n) != 3 || n != 10 || !*val(rec, "VALUE", v,
		sizeof v))
		return;
	snprintf(key, sizeof key, "%04u%02u%02u", y % 10000, mo % 100, dd % 100);
	if (strcmp(key, l->day) > 0) {
		memcpy(l->day, key, sizeof key);
		memcpy(l->value, v, sizeof v);
	}
}

static int
quoted(char *q, size_t n, const char *fmt, const char *a, const char *b, const char *c2)
{
	/* the values here are a type's name (quotes doubled) and codes */
	char esc[2 * CONN_ID_MAX + 1];
	size_t k = 0;
	for (const char *s = a; *s && k + 2 < sizeof esc; s++) {
		if (*s == '\'')
			esc[k++] = '\'';
		esc[k++] = *s;
	}
	esc[k] = 0;
	return snprintf(q, n, fmt, esc, b, c2) < (int)n ? 0 : -1;
}

/* The company's rate of one `from` in `to` on day (YYYY-MM-DD), of the
 * exchange rate type the setting rate_type names (else the company's
 * default type: EXCHANGERATETYPES ISDEFAULT): the EXCHANGERATE of that
 * type from `from` to `to`, and of its EXCHANGERATEENTRY records the one
 * of the latest EFFECTIVESTARTDATE on or before day (a rate holds until
 * the next).  The Intacct Daily Rate is not read: the API hides it. */
static int
i_rate(conn *c, const char *from, const char *to, const char *day, mw_dec *rate, char asof[11],
       conn_result *res)
{
	char q[512], us[16];
	struct first_field er = { "RECORDNO", "" };
	struct latest best = { "", "" };
	if (strlen(from) != 3 || strlen(to) != 3 || strlen(day) != 10 ||
	    strspn(from, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 3 || strspn(day, "0123456789-") != 10) {
		conn_result_set(res, HTTP_PERMANENT, 0, "intacct: no rate of %.8s on %.12s to ask for",
			from, day);
		return -1;
	}
	if (i_auth(c, res) != 0)
		return -1;
	if (!c->rate_type[0]) {
		struct first_field ty = { "NAME", "" };
		if (query_all(c, "EXCHANGERATETYPES", "ISDEFAULT = 'true'", first_field, &ty,
			res) != 0)
			return -1;
		if (!ty.out[0]) {
			conn_result_set(res, HTTP_PERMANENT, 200, "intacct: the company's default "
				"exchange rate type is the Intacct Daily Rate, which the API does not "
				"read; set rate_type to an exchange rate type of its own");
			return -1;
		}
		snprintf(c->rate_type, sizeof c->rate_type, "%s", ty.out);
	}
	snprintf(us, sizeof us, "%.2s/%.2s/%.4s", day + 5, day + 8, day);
	if (quoted(q, sizeof q, "TYPENAME = '%s' AND FROM_CURRENCY = '%s' AND TO_CURRENCY = '%s'",
		c->rate_type, from, to) != 0 ||
	    query_all(c, "EXCHANGERATE", q, first_field, &er, res) != 0)
		return -1;
	if (!er.out[0])
		return 1; /* no rates of that currency (yet) */
	if (quoted(q, sizeof q, "EXCHANGERATEID = '%s' AND EFFECTIVESTARTDATE <= '%s'%s", er.out,
		us, "") != 0 || query_all(c, "EXCHANGERATEENTRY", q, latest_entry, &best, res) != 0)
		return -1;
	if (!best.day[0])
		return 1;
	snprintf(asof, 11, "%.4s-%.2s-%.2s", best.day, best.day + 4, best.day + 6);
	if (dec_parse(best.value, strlen(best.value), rate) != DEC_OK ||
	    (rate->units <= 0 && rate->hi <= 0)) {
		conn_result_set(res, HTTP_PERMANENT, 200, "intacct: the %s rate of %s (%s) is not a "
			"positive number", from, asof, best.value);
		return -1;
	}
	return 0;
}

/* An answer's class: HTTP's, then the control block's and the
 * authentication's status inside a 200. */
static http_class
i_classify(conn *c, int rc, const http_response *resp, conn_result *res)
{
	(void)c;
	conn_result_from(res, rc, resp, NULL);
	if (res->cls != HTTP_OK || !resp->body)
		return res->cls;
	xmlDoc *doc = xmlReadMemory(resp->body, (int)resp->body_len, "response.xml", NULL,
		XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
	xmlNode *op = elem(root, "operation");
	char st[32], text[CONN_TEXT_MAX];
	if (!root) {
		res->cls = HTTP_TRANSIENT;
	} else if (strcmp(val(elem(root, "control"), "status", st, sizeof st), "success")) {
		errors(elem(root, "errormessage"), text, sizeof text, NULL);
		conn_result_set(res, strstr(text, "XL03000006") ? HTTP_AUTH : HTTP_TRANSIENT,
			resp->status, "%s", text);
	} else if (op && strcmp(val(elem(op, "authentication"), "status", st, sizeof st),
		"success")) {
		errors(elem(op, "errormessage"), text, sizeof text, NULL);
		conn_result_set(res, HTTP_AUTH, resp->status, "%s", text);
	}
	xmlFreeDoc(doc);
	return res->cls;
}

/* What this connector reads and writes (conn.h; its schema declares the same). */
static const conn_cap caps[] = {
	{ "CUSTOMER", CONN_CAN_WRITE },
	{ "CONTACT", CONN_CAN_WRITE },
	{ "create_sotransaction", CONN_CAN_WRITE },
	{ "ARPYMT", CONN_CAN_WRITE },
	{ "create_aradjustment", CONN_CAN_WRITE },
	{ "GLBATCH", CONN_CAN_WRITE }, /* in <create>, as any generic object */
	{ "ITEM", CONN_CAN_LIST | CONN_CAN_WRITE },
	{ "SODOCUMENT", CONN_CAN_LIST },
	{ NULL, 0 },
};

const conn_ops conn_intacct = {
	.service = "sage_intacct",
	.caps = caps,
	.max_batch = MAX_BATCH,
	/* Intacct publishes performance tiers, not a per-minute limit */
	.per_min = 0,
	.per_day = 0,
	.concurrent = 0,
	.open = i_open,
	.close = i_close,
	.auth = i_auth,
	.list = i_list,
	.get = i_get,
	.write = i_write,
	.find = i_find,
	.classify = i_classify,
	.rate = i_rate,
};
