/*
 * intacct.c - the sandbox's Sage Intacct XML API 3.0 gateway, as Sage
 * documents it (developer.intacct.com/web-services/: request and response
 * envelopes, sessions; api/ for the objects): one endpoint,
 * POST /intacct/ia/xml/xmlgw.phtml, taking
 *
 *   <request><control>senderid, password, controlid, uniqueid, dtdversion
 *   </control><operation><authentication><login>userid, companyid,
 *   password</login> | <sessionid/></authentication><content><function
 *   controlid="...">create CUSTOMER | create_sotransaction | getAPISession |
 *   readByQuery</function>...</content></operation></request>
 *
 * and answering with the response envelope: control/status, the
 * authentication result, one <result> per function with status, function,
 * controlid and either <data listtype count totalcount numremaining> or
 * <errormessage><error><errorno/><description/><description2/>
 * <correction/></error></errormessage>.  A bad sender fails the control
 * block; a bad login fails the operation; each function succeeds or fails
 * on its own.  uniqueid=true with a controlid seen before is refused.
 *
 * Checked: CUSTOMERID unique, NAME required; a sales transaction's customer,
 * items and dimensions (locationid, departmentid, projectid) exist, dates
 * are real, quantities positive.  Not yet: ARPYMT, GLBATCH, update, and
 * readMore.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "sandbox.h"

#define SENDER "sandbox-sender"
#define SENDER_PW "sandbox-sender-pw"
#define COMPANY "sandbox-co"
#define USER "sandbox-user"
#define USER_PW "sandbox-user-pw"

static const char *const items[] = {
	"MUG-01", "TEE-02", "CAP-03", "BAG-04", "PEN-05", "TEA-06", "SOCK-07", "BOOK-08",
	"LAMP-09", "DISCOUNT", "SHIPPING",
};
static const char *const locations[] = { "L-NYC", "L-SFO", "L-WH1" };
static const char *const departments[] = { "D100", "D200", "D300" };
static const char *const projects[] = { "P-BF", "P-NEWS", "P-SOCIAL" };

static json_t *customers, *orders, *controlids;
static char session[64];
static unsigned recordno;

static void
seed(unsigned s)
{
	customers = json_array();
	orders = json_array();
	controlids = json_object();
	recordno = 100 + s;
	snprintf(session, sizeof session, "sandbox-session-%u", s);
}

static int
in(const char *v, const char *const *set, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		if (!strcmp(v, set[i]))
			return 1;
	return 0;
}
#define IN(v, set) in((v), (set), sizeof(set) / sizeof *(set))

static xmlNode *
child(xmlNode *n, const char *name)
{
	for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && !strcmp((const char *)c->name, name))
			return c;
	return NULL;
}

/* The text of n/name, in one of 16 rotating buffers: valid until 16 more
 * calls (a check holds at most 5 values at once). */
static const char *
text(xmlNode *n, const char *name)
{
	static char buf[16][512];
	static int slot;
	xmlNode *c = child(n, name);
	if (!c)
		return NULL;
	xmlChar *t = xmlNodeGetContent(c);
	slot = (slot + 1) % 16;
	snprintf(buf[slot], sizeof buf[slot], "%s", t ? (const char *)t : "");
	xmlFree(t);
	return buf[slot];
}

static xmlNode *
add(xmlNode *parent, const char *name, const char *value)
{
	return xmlNewTextChild(parent, NULL, BAD_CAST name, BAD_CAST(value ? value : ""));
}

static void
error(xmlNode *parent, const char *no, const char *d1, const char *d2, const char *corr)
{
	xmlNode *em = xmlNewChild(parent, NULL, BAD_CAST "errormessage", NULL);
	xmlNode *e = xmlNewChild(em, NULL, BAD_CAST "error", NULL);
	add(e, "errorno", no);
	add(e, "description", d1);
	add(e, "description2", d2);
	add(e, "correction", corr);
}

static xmlNode *
result(xmlNode *op, const char *status, const char *function, const char *controlid)
{
	xmlNode *r = xmlNewChild(op, NULL, BAD_CAST "result", NULL);
	add(r, "status", status);
	add(r, "function", function);
	add(r, "controlid", controlid);
	return r;
}

static json_t *
find(json_t *list, const char *field, const char *value)
{
	size_t i;
	json_t *x;
	json_array_foreach(list, i, x) {
		const char *v = json_string_value(json_object_get(x, field));
		if (v && value && !strcmp(v, value))
			return x;
	}
	return NULL;
}

static int
real_date(const char *y, const char *m, const char *d)
{
	if (!y || !m || !d)
		return 0;
	struct tm tm = { 0 };
	tm.tm_year = (int)strtol(y, NULL, 10) - 1900;
	tm.tm_mon = (int)strtol(m, NULL, 10) - 1;
	tm.tm_mday = (int)strtol(d, NULL, 10);
	tm.tm_hour = 12;
	time_t t = timegm(&tm);
	struct tm *back = gmtime(&t);
	return back && back->tm_year == tm.tm_year && back->tm_mon == tm.tm_mon &&
	       back->tm_mday == tm.tm_mday && tm.tm_year > 0;
}

static void
create_customer(xmlNode *op, xmlNode *obj, const char *cid)
{
	const char *id = text(obj, "CUSTOMERID");
	const char *name = text(obj, "NAME");
	if (!name || !*name) {
		xmlNode *r = result(op, "failure", "create", cid);
		error(r, "BL34000061", "", "Required field Name is missing", "");
		return;
	}
	if (id && find(customers, "CUSTOMERID", id)) {
		char d[300];
		snprintf(d, sizeof d, "Another Customer with the given value(s) %s already exists", id);
		xmlNode *r = result(op, "failure", "create", cid);
		error(r, "BL01001973", "", d, "Use a unique value instead.");
		return;
	}
	char rec[32];
	snprintf(rec, sizeof rec, "%u", recordno++);
	json_array_append_new(customers, json_pack("{s:s,s:s,s:s}", "RECORDNO", rec,
		"CUSTOMERID", id ? id : rec, "NAME", name));
	xmlNode *r = result(op, "success", "create", cid);
	xmlNode *data = xmlNewChild(r, NULL, BAD_CAST "data", NULL);
	xmlNewProp(data, BAD_CAST "listtype", BAD_CAST "objects");
	xmlNewProp(data, BAD_CAST "count", BAD_CAST "1");
	xmlNode *c = xmlNewChild(data, NULL, BAD_CAST "customer", NULL);
	add(c, "RECORDNO", rec);
	add(c, "CUSTOMERID", id ? id : rec);
}

static void
create_sotransaction(xmlNode *op, xmlNode *t, const char *cid)
{
	char d2[400] = "";
	const char *cust = text(t, "customerid");
	xmlNode *dc = child(t, "datecreated");
	const char *type = text(t, "transactiontype");
	if (!type || strcmp(type, "Sales Order") != 0)
		snprintf(d2, sizeof d2, "Invalid transaction type %s", type ? type : "(none)");
	else if (!cust || !find(customers, "CUSTOMERID", cust))
		snprintf(d2, sizeof d2, "Invalid Customer %s specified.", cust ? cust : "(none)");
	else if (!real_date(text(dc, "year"), text(dc, "month"), text(dc, "day")))
		snprintf(d2, sizeof d2, "Invalid date created");
	xmlNode *items_n = child(t, "sotransitems");
	int n = 0;
	for (xmlNode *it = items_n ? items_n->children : NULL; it && !*d2; it = it->next) {
		if (it->type != XML_ELEMENT_NODE)
			continue;
		n++;
		const char *item = text(it, "itemid");
		const char *q = text(it, "quantity");
		const char *loc = text(it, "locationid"), *dep = text(it, "departmentid");
		const char *prj = text(it, "projectid");
		if (!IN(item, items))
			snprintf(d2, sizeof d2, "Invalid Item %s", item ? item : "(none)");
		else if (!q || strtod(q, NULL) <= 0)
			snprintf(d2, sizeof d2, "Quantity must be greater than 0 for item %s", item);
		else if (loc && !IN(loc, locations))
			snprintf(d2, sizeof d2, "Invalid Location %s", loc);
		else if (dep && !IN(dep, departments))
			snprintf(d2, sizeof d2, "Invalid Department %s", dep);
		else if (prj && !IN(prj, projects))
			snprintf(d2, sizeof d2, "Invalid Project %s", prj);
	}
	if (!*d2 && n == 0)
		snprintf(d2, sizeof d2, "A transaction needs at least one line item");
	if (*d2) {
		xmlNode *r = result(op, "failure", "create_sotransaction", cid);
		error(r, "BL03000018", "Could not create Document record!", d2, "");
		return;
	}
	char key[64];
	snprintf(key, sizeof key, "Sales Order-%s", text(t, "documentno") ? text(t, "documentno")
		: "auto");
	json_array_append_new(orders, json_pack("{s:s,s:s,s:i}", "key", key, "customerid", cust,
		"lines", n));
	xmlNode *r = result(op, "success", "create_sotransaction", cid);
	add(r, "key", key);
}

static void
read_by_query(xmlNode *op, xmlNode *f, const char *cid)
{
	const char *object = text(f, "object");
	json_t *src = object && !strcmp(object, "CUSTOMER") ? customers : NULL;
	if (!src) {
		error(result(op, "failure", "readByQuery", cid), "DL02000001", "", "Invalid object",
			"");
		return;
	}
	xmlNode *r = result(op, "success", "readByQuery", cid);
	xmlNode *data = xmlNewChild(r, NULL, BAD_CAST "data", NULL);
	char n[32];
	snprintf(n, sizeof n, "%zu", json_array_size(src));
	xmlNewProp(data, BAD_CAST "listtype", BAD_CAST "customer");
	xmlNewProp(data, BAD_CAST "count", BAD_CAST n);
	xmlNewProp(data, BAD_CAST "totalcount", BAD_CAST n);
	xmlNewProp(data, BAD_CAST "numremaining", BAD_CAST "0");
	size_t i;
	json_t *x;
	json_array_foreach(src, i, x) {
		xmlNode *c = xmlNewChild(data, NULL, BAD_CAST "customer", NULL);
		add(c, "RECORDNO", json_string_value(json_object_get(x, "RECORDNO")));
		add(c, "CUSTOMERID", json_string_value(json_object_get(x, "CUSTOMERID")));
		add(c, "NAME", json_string_value(json_object_get(x, "NAME")));
	}
}

static void
handle(const sb_request *q, sb_response *r)
{
	if (strcmp(q->path, "/ia/xml/xmlgw.phtml") != 0 || strcmp(q->method, "POST") != 0) {
		r->status = 404;
		r->body = strdup("<html><body>Not Found</body></html>");
		r->content_type = "text/html";
		return;
	}
	xmlDoc *in = xmlReadMemory(q->body, (int)q->body_len, "request.xml", NULL,
		XML_PARSE_NONET | XML_PARSE_NOBLANKS);
	xmlNode *req = in ? xmlDocGetRootElement(in) : NULL;
	xmlDoc *out = xmlNewDoc(BAD_CAST "1.0");
	xmlNode *resp = xmlNewNode(NULL, BAD_CAST "response");
	xmlDocSetRootElement(out, resp);
	xmlNode *control = xmlNewChild(resp, NULL, BAD_CAST "control", NULL);
	xmlNode *ctl = req && !strcmp((const char *)req->name, "request") ? child(req, "control")
		: NULL;
	const char *controlid = ctl ? text(ctl, "controlid") : NULL;
	char ctlid[256];
	snprintf(ctlid, sizeof ctlid, "%s", controlid ? controlid : "");
	const char *uniq = ctl ? text(ctl, "uniqueid") : NULL;
	int unique = uniq && !strcmp(uniq, "true");
	int ok_sender = ctl && text(ctl, "senderid") && !strcmp(text(ctl, "senderid"), SENDER) &&
		text(ctl, "password") && !strcmp(text(ctl, "password"), SENDER_PW);
	int dup = unique && json_object_get(controlids, ctlid);
	if (!ok_sender || dup) {
		add(control, "status", "failure");
		add(control, "senderid", ctl ? text(ctl, "senderid") : "");
		add(control, "controlid", ctlid);
		add(control, "uniqueid", unique ? "true" : "false");
		add(control, "dtdversion", "3.0");
		if (!req)
			error(resp, "XL03000009", "The request is not well-formed XML", "", "");
		else if (dup)
			error(resp, "XL03000006", "This request has already been processed",
				"The controlid was used before with uniqueid true", "Use a new controlid");
		else
			error(resp, "XL03000006", "Sender ID or password is incorrect", "", "");
	} else {
		json_object_set_new(controlids, ctlid, json_true());
		add(control, "status", "success");
		add(control, "senderid", SENDER);
		add(control, "controlid", ctlid);
		add(control, "uniqueid", unique ? "true" : "false");
		add(control, "dtdversion", "3.0");
		xmlNode *opn = child(req, "operation");
		xmlNode *op = xmlNewChild(resp, NULL, BAD_CAST "operation", NULL);
		xmlNode *auth = child(opn, "authentication");
		xmlNode *login = child(auth, "login");
		const char *sid = text(auth, "sessionid");
		int ok_login = (login && text(login, "userid") && !strcmp(text(login, "userid"), USER)
			&& text(login, "companyid") && !strcmp(text(login, "companyid"), COMPANY) &&
			text(login, "password") && !strcmp(text(login, "password"), USER_PW)) ||
			(sid && !strcmp(sid, session));
		xmlNode *a = xmlNewChild(op, NULL, BAD_CAST "authentication", NULL);
		add(a, "status", ok_login ? "success" : "failure");
		add(a, "userid", USER);
		add(a, "companyid", COMPANY);
		if (!ok_login) {
			error(op, "XL03000006", "Sign-in information is incorrect", "", "");
		} else {
			xmlNode *content = child(opn, "content");
			for (xmlNode *f = content ? content->children : NULL; f; f = f->next) {
				if (f->type != XML_ELEMENT_NODE || strcmp((const char *)f->name, "function"))
					continue;
				xmlChar *fid = xmlGetProp(f, BAD_CAST "controlid");
				const char *fc = fid ? (const char *)fid : "";
				xmlNode *verb = NULL;
				for (xmlNode *v = f->children; v; v = v->next)
					if (v->type == XML_ELEMENT_NODE)
						verb = v;
				const char *vn = verb ? (const char *)verb->name : "";
				if (!strcmp(vn, "create") && child(verb, "CUSTOMER")) {
					create_customer(op, child(verb, "CUSTOMER"), fc);
				} else if (!strcmp(vn, "create_sotransaction")) {
					create_sotransaction(op, verb, fc);
				} else if (!strcmp(vn, "readByQuery")) {
					read_by_query(op, verb, fc);
				} else if (!strcmp(vn, "getAPISession")) {
					xmlNode *res = result(op, "success", "getAPISession", fc);
					xmlNode *data = xmlNewChild(res, NULL, BAD_CAST "data", NULL);
					xmlNode *api = xmlNewChild(data, NULL, BAD_CAST "api", NULL);
					add(api, "sessionid", session);
					add(api, "endpoint", "/intacct/ia/xml/xmlgw.phtml");
				} else {
					xmlNode *res = result(op, "failure", vn, fc);
					error(res, "XL03000003", "Unknown function", vn, "");
				}
				xmlFree(fid);
			}
		}
	}
	xmlChar *buf = NULL;
	int len = 0;
	xmlDocDumpMemoryEnc(out, &buf, &len, "UTF-8");
	r->status = 200;
	r->body = strndup((const char *)buf, (size_t)len);
	r->content_type = "application/xml; charset=utf-8";
	xmlFree(buf);
	xmlFreeDoc(out);
	xmlFreeDoc(in);
}

static json_t *
dump(void)
{
	return json_pack("{s:O,s:O,s:s,s:s,s:s,s:s,s:s}", "CUSTOMER", customers, "SODOCUMENT",
		orders, "senderid", SENDER, "sender_password", SENDER_PW, "companyid", COMPANY,
		"userid", USER, "user_password", USER_PW);
}

const sb_service sb_intacct = { "intacct", "/intacct", seed, handle, dump };
