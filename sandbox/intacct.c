/*
 * intacct.c - the sandbox's Sage Intacct XML API 3.0 gateway, as Sage
 * documents it (developer.intacct.com/web-services/: requests, responses,
 * error handling, sessions; api/ for the objects): one endpoint,
 * POST /intacct/ia/xml/xmlgw.phtml, taking
 *
 *   <request><control>senderid, password, controlid, uniqueid, dtdversion
 *   </control><operation><authentication><login>userid, companyid,
 *   password</login> | <sessionid/></authentication><content><function
 *   controlid="...">...</function>...</content></operation></request>
 *
 * and answering with the response envelope: control/status, the
 * authentication result, one <result> per function with status, function,
 * controlid and either <data listtype count totalcount numremaining
 * resultId> or <errormessage><error><errorno/><description/>
 * <description2/><correction/></error></errormessage>.  A bad sender fails
 * the control block (no operation runs); a bad login or an expired session
 * fails the authentication (no function runs); each function succeeds or
 * fails on its own.
 *
 * Functions: getAPISession (a new session that lives sb_ttl(3600) s);
 * create CUSTOMER / update CUSTOMER (by RECORDNO or CUSTOMERID; every field
 * sent is kept and read back, DISPLAYCONTACT's nested); create CONTACT /
 * update CONTACT (by RECORDNO or CONTACTNAME, unique; PRINTAS required; its
 * MAILADDRESS's lines as long as Intacct takes them);
 * create_sotransaction ("Sales Order", or "Sales Invoice", which also posts
 * an ARINVOICE whose RECORDNO is the SODOCUMENT's PRRECORDKEY; its shipto
 * and billto name existing contacts by contactname, kept as SHIPTO.* and
 * BILLTO.*);
 * update_sotransaction (header fields, updatesotransitem line_num=N; the AR
 * invoice is posted again under a new RECORDNO, as Intacct's "About related
 * OE and AR record numbers" says) and delete_sotransaction (with its AR
 * invoice), both refused while payments are applied; create ARPYMT
 * (applied to ARINVOICE RECORDNOs of its currency), update ARPYMT (refused:
 * a posted payment is reversed, not edited), reverse_arpayment (what it
 * paid is owed again); create_aradjustment (credit memos negative, debit
 * memos positive; TOTALDUE is what is left to apply), update_aradjustment
 * and delete_aradjustment while unapplied; create and update GLBATCH
 * (balanced, its accounts, locations and departments the company's); readByQuery of
 * CUSTOMER, SODOCUMENT, ARINVOICE, ARPYMT, ARADJUSTMENT, GLBATCH and the
 * exchange rate objects (EXCHANGERATETYPES, EXCHANGERATE, EXCHANGERATEENTRY)
 * with an empty query or FIELD = / >= / <= 'value' terms, paged by pagesize
 * with a resultId for readMore.  A foreign document takes a rate into the
 * base currency, USD (doc_rate: the one sent, else its exchange rate type's
 * of its day).  The element lists are those of Intacct's SDK function classes
 * (@intacct/intacct-sdk: OrderEntryTransactionUpdate / Delete,
 * ArPaymentReverse, ArAdjustmentCreate / Delete); the refusals' texts are
 * this sandbox's (Sage does not publish them), in Intacct's error block.
 *
 * GET /_sandbox/books?service=intacct (main.c's books() calls
 * sb_intacct_books()): per currency, sales, cash and receivable from these
 * documents alone (sb_intacct_books() says how); "home", the same in USD,
 * each document at its rate; "gl", each account's balance per currency from
 * the journal entries (GLBATCH).
 *
 * Idempotency, as the requests page says: the control's controlid is not
 * checked for uniqueness; with uniqueid true (the default) the controlid
 * attribute of each write function is checked, and a function whose
 * controlid was already executed and completed fails on its own (the
 * others run).  Sage's pages do not show that answer's errorno and text;
 * the ones here (XL03000004, "A successful transaction has already been
 * recorded with the control id ...") are this sandbox's, see
 * docs/sandbox.md.
 *
 * Money is kept as text and summed in integer cents, never as double.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "sandbox.h"

#define SENDER "sandbox-sender"
#define SENDER_PW "sandbox-sender-pw"
#define COMPANY "sandbox-co"
#define USER "sandbox-user"
#define USER_PW "sandbox-user-pw"
#define SESSION_TTL 3600
#define DUP_ERRNO "XL03000004"
#define WAREHOUSE "WH1" /* the company's one warehouse */

/* the items the company starts with (their ITEM records: seed()) */
#define ITEM_SEEDED "01/01/2026 00:00:00"
static const char *const items[] = {
	"MUG-01", "TEE-02", "CAP-03", "BAG-04", "PEN-05", "TEA-06", "SOCK-07", "BOOK-08",
	"LAMP-09", "DISCOUNT", "SHIPPING", "TAX",
};
static const char *const locations[] = { "L-NYC", "L-SFO", "L-WH1" };
static const char *const departments[] = { "D100", "D200", "D300" };
static const char *const projects[] = { "P-BF", "P-NEWS", "P-SOCIAL" };
/* GL: the bank accounts (USD, EUR, GBP, JPY), cash and undeposited funds, AR,
 * gift-card liability, sales, shipping */
static const char *const accounts[] = { "1000", "1001", "1002", "1003", "1010", "1011", "1020",
	"1200", "2300", "4000", "4100" };
static const char *const journals[] = { "GJ", "SJ", "CRJ" };
static const char *const methods[] = {
	"Printed Check", "Cash", "EFT", "Credit Card", "Online Charge Card", "Online ACH Debit",
	"Record Transfer",
};

/* The records of each object, in creation order: arrays of objects whose
 * values are all strings (as Intacct answers them). */
static json_t *customers, *sodocs, *arinvoices, *arpymts, *glbatches, *aradjs, *contacts;
/* Inventory Control: the ITEM records (IONHAND, the quantity on hand over
 * all warehouses, kept by the transactions that move stock) and the
 * inventory transactions (create_ictransaction) */
static json_t *itemrecs, *ictrans;
/* What Intacct keeps but these records do not show: each sales transaction's
 * line amounts in cents (DOCID -> [cents...]), each payment's applications
 * (RECORDNO -> [[invoice RECORDNO, cents]...]), each adjustment's lines
 * (RECORDNO -> [[GL account, cents]...]), each journal entry's lines
 * (RECORDNO -> [[GL account, currency, cents, debit 1 / credit -1]...]). */
static json_t *solines, *pyapps, *adjlines, *glentries;
/* each sales transaction's lines' ITEMIDs, in line order (DOCID -> [...]):
 * the dump's SOTRANSITEMS, so a test reads which item each line sold */
static json_t *soitems;
static json_t *functions;   /* write function controlids executed and completed */
static json_t *sessions;    /* sessionid -> expiry (seconds since the epoch) */
static json_t *resultsets;  /* resultId -> {"rows": [...], "at": N, "size": N, "type": s} */
static unsigned seed_no, nsession, nresult;
static unsigned recordno;

static void seed_rates(void);

static void
seed(unsigned s)
{
	customers = json_array();
	contacts = json_array();
	sodocs = json_array();
	arinvoices = json_array();
	arpymts = json_array();
	glbatches = json_array();
	aradjs = json_array();
	itemrecs = json_array();
	ictrans = json_array();
	for (size_t i = 0; i < sizeof items / sizeof *items; i++) {
		int charge = i >= sizeof items / sizeof *items - 3; /* DISCOUNT, SHIPPING, TAX */
		char rec[16];
		snprintf(rec, sizeof rec, "%zu", 10 + i);
		json_array_append_new(itemrecs, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,"
			"s:s,s:s,s:s}", "RECORDNO", rec, "ITEMID", items[i], "NAME", items[i],
			"STATUS", "active", "ITEMTYPE", charge ? "Non-Inventory (Sales only)" :
			"Inventory", "BASEPRICE", "", "STANDARD_COST", "", "IONHAND", charge ? "" : "0",
			"WHENCREATED", ITEM_SEEDED, "WHENMODIFIED", ITEM_SEEDED, "WHENLASTRECEIVED", "",
			"WHENLASTSOLD", ""));
	}
	solines = json_object();
	soitems = json_object();
	pyapps = json_object();
	adjlines = json_object();
	glentries = json_object();
	functions = json_object();
	sessions = json_object();
	resultsets = json_object();
	recordno = 100 + s;
	seed_no = s;
	seed_rates();
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

/* The text of n/name, in one of 32 rotating buffers: valid until 32 more
 * calls (a check holds at most 6 values at once). */
static const char *
text(xmlNode *n, const char *name)
{
	static char buf[32][512];
	static int slot;
	xmlNode *c = child(n, name);
	if (!c)
		return NULL;
	xmlChar *t = xmlNodeGetContent(c);
	slot = (slot + 1) % 32;
	snprintf(buf[slot], sizeof buf[slot], "%s", t ? (const char *)t : "");
	xmlFree(t);
	return buf[slot];
}

/* text() copied into buf: for values held across more text() calls */
static const char *
keep(xmlNode *n, const char *name, char *buf, size_t len)
{
	const char *t = text(n, name);
	if (!t)
		return NULL;
	snprintf(buf, len, "%s", t);
	return buf;
}

static int
empty(const char *s)
{
	return !s || !*s;
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

static void
fail(xmlNode *op, const char *function, const char *cid, const char *no, const char *d1,
	const char *d2, const char *corr)
{
	error(result(op, "failure", function, cid), no, d1, d2, corr);
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

static const char *
get(json_t *rec, const char *field)
{
	return json_string_value(json_object_get(rec, field));
}

static const char *
next_recordno(void)
{
	static char buf[32];
	snprintf(buf, sizeof buf, "%u", recordno++);
	return buf;
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

/* mm/dd/yyyy, as the generic object API takes dates. */
static int
real_us_date(const char *s)
{
	char m[3], d[3], y[5];
	if (!s || strlen(s) != 10 || s[2] != '/' || s[5] != '/')
		return 0;
	memcpy(m, s, 2), m[2] = 0;
	memcpy(d, s + 3, 2), d[2] = 0;
	memcpy(y, s + 6, 4), y[4] = 0;
	return real_date(y, m, d);
}

/* A decimal's text as an integer scaled by 10^places: "24.5" with 4 places
 * is 245000.  -1 when it is not a number, has more decimals, or is beyond
 * 10^9 scaled units (the sandbox's bound, so products fit in 64 bits). */
static int
fixed(const char *s, int places, long long *out)
{
	long long v = 0;
	int neg = 0, frac = -1;
	if (!s || !*s)
		return -1;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s == '.' && frac < 0) {
			frac = 0;
			continue;
		}
		if (*s < '0' || *s > '9' || (frac >= 0 && ++frac > places))
			return -1;
		v = v * 10 + (*s - '0');
		if (v > 1000000000000000LL)
			return -1;
	}
	for (int i = frac < 0 ? 0 : frac; i < places; i++)
		v *= 10;
	if (v > 1000000000LL)
		return -1;
	*out = neg ? -v : v;
	return 0;
}

static void
cents_text(long long c, char *buf, size_t n)
{
	long long a = c < 0 ? -c : c;
	snprintf(buf, n, "%s%lld.%02lld", c < 0 ? "-" : "", a / 100, a % 100);
}

/* A quantity scaled by 10^4 as Intacct shows it: "12", "2.5". */
static void
qty_text(long long q, char *buf, size_t n)
{
	long long a = q < 0 ? -q : q;
	int len = snprintf(buf, n, "%s%lld.%04lld", q < 0 ? "-" : "", a / 10000, a % 10000);
	while (len > 0 && buf[len - 1] == '0')
		buf[--len] = 0;
	if (len > 0 && buf[len - 1] == '.')
		buf[--len] = 0;
}

/* Now as Intacct stamps a record (WHENMODIFIED "mm/dd/yyyy HH:MM:SS", GMT)
 * and as a date ("mm/dd/yyyy": WHENLASTRECEIVED, WHENLASTSOLD). */
static const char *
now_text(int date)
{
	static char buf[2][32];
	time_t t = time(NULL);
	strftime(buf[date], sizeof buf[date], date ? "%m/%d/%Y" : "%m/%d/%Y %H:%M:%S", gmtime(&t));
	return buf[date];
}

static void
touch(json_t *rec)
{
	json_object_set_new(rec, "WHENMODIFIED", json_string(now_text(0)));
}

/* The active ITEM named id, or NULL. */
static json_t *
item_of(const char *id)
{
	json_t *it = id ? find(itemrecs, "ITEMID", id) : NULL;
	return it && !strcmp(get(it, "STATUS"), "active") ? it : NULL;
}

static int
stocked(json_t *it)
{
	return it && !strcmp(get(it, "ITEMTYPE"), "Inventory");
}

/* ---- sessions ------------------------------------------------------------ */

static const char *
new_session(void)
{
	static char sid[64];
	snprintf(sid, sizeof sid, "sandbox-session-%u-%u", seed_no, ++nsession);
	json_object_set_new(sessions, sid, json_integer((json_int_t)(time(NULL) +
		sb_ttl(SESSION_TTL))));
	return sid;
}

static int
session_ok(const char *sid)
{
	json_t *e = sid ? json_object_get(sessions, sid) : NULL;
	return e && (time_t)json_integer_value(e) > time(NULL);
}

/* ---- CUSTOMER ------------------------------------------------------------ */

static void
customer_data(xmlNode *r, json_t *c)
{
	xmlNode *data = xmlNewChild(r, NULL, BAD_CAST "data", NULL);
	xmlNewProp(data, BAD_CAST "listtype", BAD_CAST "objects");
	xmlNewProp(data, BAD_CAST "count", BAD_CAST "1");
	xmlNode *x = xmlNewChild(data, NULL, BAD_CAST "customer", NULL);
	add(x, "RECORDNO", get(c, "RECORDNO"));
	add(x, "CUSTOMERID", get(c, "CUSTOMERID"));
}

/* The fields of n (a CUSTOMER) into rec, as Intacct keeps and reads them
 * back: a nested element's fields under "PARENT.FIELD" (DISPLAYCONTACT.EMAIL1,
 * DISPLAYCONTACT.MAILADDRESS.CITY); the record's ids are not taken from it. */
static void
flatten(xmlNode *n, const char *prefix, json_t *rec)
{
	for (xmlNode *c = n ? n->children : NULL; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		char key[256];
		snprintf(key, sizeof key, "%s%s", prefix, (const char *)c->name);
		if (!*prefix && !strcmp(key, "RECORDNO"))
			continue;
		int nested = 0;
		for (xmlNode *g = c->children; g && !nested; g = g->next)
			nested = g->type == XML_ELEMENT_NODE;
		if (nested) {
			char sub[260];
			snprintf(sub, sizeof sub, "%s.", key);
			flatten(c, sub, rec);
			continue;
		}
		xmlChar *t = xmlNodeGetContent(c);
		json_object_set_new(rec, key, json_string(t ? (const char *)t : ""));
		xmlFree(t);
	}
}

static void
create_customer(xmlNode *op, xmlNode *obj, const char *cid)
{
	const char *id = text(obj, "CUSTOMERID");
	const char *name = text(obj, "NAME");
	if (empty(name)) {
		fail(op, "create", cid, "BL34000061", "", "Required field Name is missing", "");
		return;
	}
	if (id && find(customers, "CUSTOMERID", id)) {
		char d[300];
		snprintf(d, sizeof d, "Another Customer with the given value(s) %s already exists", id);
		fail(op, "create", cid, "BL01001973", "", d, "Use a unique value instead.");
		return;
	}
	const char *rec = next_recordno();
	json_t *c = json_object();
	json_object_set_new(c, "RECORDNO", json_string(rec));
	flatten(obj, "", c);
	if (empty(get(c, "CUSTOMERID")))
		json_object_set_new(c, "CUSTOMERID", json_string(rec));
	if (empty(get(c, "STATUS")))
		json_object_set_new(c, "STATUS", json_string("active"));
	json_array_append_new(customers, c);
	customer_data(result(op, "success", "create", cid), c);
}

static void
update_customer(xmlNode *op, xmlNode *obj, const char *cid)
{
	const char *rec = text(obj, "RECORDNO"), *id = text(obj, "CUSTOMERID");
	json_t *c = !empty(rec) ? find(customers, "RECORDNO", rec) :
		!empty(id) ? find(customers, "CUSTOMERID", id) : NULL;
	if (!c) {
		char d[300];
		snprintf(d, sizeof d, "Could not find Customer with %s %s", !empty(rec) ?
			"RECORDNO" : "CUSTOMERID", !empty(rec) ? rec : id ? id : "(none)");
		fail(op, "update", cid, "BL34000062", "", d, "Name an existing customer.");
		return;
	}
	const char *name = text(obj, "NAME");
	if (name && !*name) {
		fail(op, "update", cid, "BL34000061", "", "Required field Name is missing", "");
		return;
	}
	/* the fields sent replace theirs; the others stay (CUSTOMERID too: it
	 * names the record) */
	json_t *upd = json_object();
	flatten(obj, "", upd);
	json_object_del(upd, "CUSTOMERID");
	if (empty(get(upd, "STATUS")))
		json_object_del(upd, "STATUS");
	json_object_update(c, upd);
	json_decref(upd);
	customer_data(result(op, "success", "update", cid), c);
}

/* ---- CONTACT ---------------------------------------------------------------- */

/* A contact's fields as long as Intacct takes them (its MAILADDRESS too);
 * the first too long into d2. */
static int
contact_fields_ok(json_t *c, char *d2, size_t n)
{
	static const struct { const char *field; size_t max; } lim[] = {
		{ "CONTACTNAME", 200 }, { "PRINTAS", 200 }, { "COMPANYNAME", 100 },
		{ "FIRSTNAME", 40 }, { "LASTNAME", 40 }, { "PHONE1", 30 }, { "EMAIL1", 200 },
		{ "MAILADDRESS.ADDRESS1", 80 }, { "MAILADDRESS.ADDRESS2", 80 },
		{ "MAILADDRESS.CITY", 80 }, { "MAILADDRESS.STATE", 40 }, { "MAILADDRESS.ZIP", 30 },
		{ "MAILADDRESS.COUNTRY", 60 },
	};
	for (size_t i = 0; i < sizeof lim / sizeof lim[0]; i++) {
		const char *v = get(c, lim[i].field);
		if (v && strlen(v) > lim[i].max) {
			snprintf(d2, n, "%s is longer than %zu characters", lim[i].field, lim[i].max);
			return -1;
		}
	}
	return 0;
}

static void
contact_data(xmlNode *r, json_t *c)
{
	xmlNode *data = xmlNewChild(r, NULL, BAD_CAST "data", NULL);
	xmlNewProp(data, BAD_CAST "listtype", BAD_CAST "objects");
	xmlNewProp(data, BAD_CAST "count", BAD_CAST "1");
	xmlNode *x = xmlNewChild(data, NULL, BAD_CAST "contact", NULL);
	add(x, "RECORDNO", get(c, "RECORDNO"));
	add(x, "CONTACTNAME", get(c, "CONTACTNAME"));
}

/* create CONTACT: CONTACTNAME (unique) and PRINTAS required; kept as sent,
 * MAILADDRESS's fields under "MAILADDRESS.FIELD" */
static void
create_contact(xmlNode *op, xmlNode *obj, const char *cid)
{
	json_t *c = json_object();
	char d2[300] = "";
	flatten(obj, "", c);
	if (empty(get(c, "CONTACTNAME")))
		snprintf(d2, sizeof d2, "Required field Contact Name is missing");
	else if (empty(get(c, "PRINTAS")))
		snprintf(d2, sizeof d2, "Required field Print As is missing");
	else if (find(contacts, "CONTACTNAME", get(c, "CONTACTNAME")))
		snprintf(d2, sizeof d2, "Another Contact with the given value(s) %s already exists",
			get(c, "CONTACTNAME"));
	else
		contact_fields_ok(c, d2, sizeof d2);
	if (*d2) {
		json_decref(c);
		fail(op, "create", cid, "BL01001973", "", d2, "");
		return;
	}
	json_object_set_new(c, "RECORDNO", json_string(next_recordno()));
	json_array_append_new(contacts, c);
	contact_data(result(op, "success", "create", cid), c);
}

/* update CONTACT by RECORDNO or CONTACTNAME: the fields sent replace theirs */
static void
update_contact(xmlNode *op, xmlNode *obj, const char *cid)
{
	const char *rec = text(obj, "RECORDNO"), *name = text(obj, "CONTACTNAME");
	json_t *c = !empty(rec) ? find(contacts, "RECORDNO", rec) :
		!empty(name) ? find(contacts, "CONTACTNAME", name) : NULL;
	char d2[300] = "";
	if (!c) {
		snprintf(d2, sizeof d2, "Could not find Contact with %s %s", !empty(rec) ?
			"RECORDNO" : "CONTACTNAME", !empty(rec) ? rec : name ? name : "(none)");
		fail(op, "update", cid, "BL34000062", "", d2, "Name an existing contact.");
		return;
	}
	json_t *upd = json_deep_copy(c);
	flatten(obj, "", upd);
	json_object_set(upd, "CONTACTNAME", json_object_get(c, "CONTACTNAME"));
	if (empty(get(upd, "PRINTAS")))
		snprintf(d2, sizeof d2, "Required field Print As is missing");
	else
		contact_fields_ok(upd, d2, sizeof d2);
	if (*d2) {
		json_decref(upd);
		fail(op, "update", cid, "BL01001973", "", d2, "");
		return;
	}
	json_object_update(c, upd);
	json_decref(upd);
	contact_data(result(op, "success", "update", cid), c);
}

/* A sales transaction's shipto or billto: <contactname> of an existing
 * contact, whose name and address the SODOCUMENT keeps as SHIPTO.FIELD
 * (SHIPTO.MAILADDRESS.CITY); 0, or -1 with the refusal in d2. */
static int
so_contact(xmlNode *t, const char *which, json_t *so, char *d2, size_t n)
{
	xmlNode *x = child(t, which);
	if (!x)
		return 0;
	const char *name = text(x, "contactname");
	json_t *c = !empty(name) ? find(contacts, "CONTACTNAME", name) : NULL;
	if (!c) {
		snprintf(d2, n, "Invalid %s contact %s specified.", which, name ? name : "(none)");
		return -1;
	}
	if (!so)
		return 0;
	const char *k;
	json_t *v;
	json_object_foreach(c, k, v) {
		char key[300];
		if (!strcmp(k, "RECORDNO"))
			continue;
		snprintf(key, sizeof key, "%s.%s", !strcmp(which, "shipto") ? "SHIPTO" : "BILLTO", k);
		json_object_set(so, key, v);
	}
	return 0;
}

/* ---- ITEM ------------------------------------------------------------------ */

static const char *const item_types[] = { "Inventory", "Non-Inventory",
	"Non-Inventory (Purchase only)", "Non-Inventory (Sales only)", "Kit", "Stockable Kit" };
/* what the stock transactions keep: never taken from a create or update */
static const char *const item_kept[] = { "RECORDNO", "IONHAND", "WHENCREATED", "WHENMODIFIED",
	"WHENLASTRECEIVED", "WHENLASTSOLD" };

static void
item_data(xmlNode *r, json_t *it)
{
	xmlNode *data = xmlNewChild(r, NULL, BAD_CAST "data", NULL);
	xmlNewProp(data, BAD_CAST "listtype", BAD_CAST "objects");
	xmlNewProp(data, BAD_CAST "count", BAD_CAST "1");
	xmlNode *x = xmlNewChild(data, NULL, BAD_CAST "item", NULL);
	add(x, "RECORDNO", get(it, "RECORDNO"));
	add(x, "ITEMID", get(it, "ITEMID"));
}

/* The fields of n, but not those the item's transactions keep. */
static json_t *
item_fields(xmlNode *n)
{
	json_t *f = json_object();
	flatten(n, "", f);
	for (size_t i = 0; i < sizeof item_kept / sizeof *item_kept; i++)
		json_object_del(f, item_kept[i]);
	return f;
}

/* create ITEM: ITEMID, NAME and ITEMTYPE required, the ITEMID unused. */
static void
create_item(xmlNode *op, xmlNode *obj, const char *cid)
{
	static const char what[] = "Could not create Item record!";
	char d2[300] = "";
	const char *id = text(obj, "ITEMID"), *name = text(obj, "NAME");
	const char *type = text(obj, "ITEMTYPE");
	if (empty(id))
		snprintf(d2, sizeof d2, "Required field Item ID is missing");
	else if (empty(name))
		snprintf(d2, sizeof d2, "Required field Name is missing");
	else if (!IN(type, item_types))
		snprintf(d2, sizeof d2, "Invalid Item Type %s", type ? type : "(none)");
	else if (find(itemrecs, "ITEMID", id))
		snprintf(d2, sizeof d2, "Another Item with the given value(s) %s already exists", id);
	if (*d2) {
		fail(op, "create", cid, "BL01001973", what, d2, strstr(d2, "exists") ?
			"Use a unique value instead." : "");
		return;
	}
	json_t *it = item_fields(obj);
	json_object_set_new(it, "RECORDNO", json_string(next_recordno()));
	if (empty(get(it, "STATUS")))
		json_object_set_new(it, "STATUS", json_string("active"));
	json_object_set_new(it, "IONHAND", json_string(!strcmp(type, "Inventory") ? "0" : ""));
	json_object_set_new(it, "WHENCREATED", json_string(now_text(0)));
	json_object_set_new(it, "WHENLASTRECEIVED", json_string(""));
	json_object_set_new(it, "WHENLASTSOLD", json_string(""));
	touch(it);
	json_array_append_new(itemrecs, it);
	item_data(result(op, "success", "create", cid), it);
}

/* update ITEM by ITEMID (or RECORDNO): the fields sent replace theirs; an
 * item's type stays what it was created as. */
static void
update_item(xmlNode *op, xmlNode *obj, const char *cid)
{
	static const char what[] = "Could not update Item record!";
	const char *rec = text(obj, "RECORDNO"), *id = text(obj, "ITEMID");
	json_t *it = !empty(rec) ? find(itemrecs, "RECORDNO", rec) :
		!empty(id) ? find(itemrecs, "ITEMID", id) : NULL;
	char d2[300];
	const char *type = text(obj, "ITEMTYPE"), *name = text(obj, "NAME");
	if (!it) {
		snprintf(d2, sizeof d2, "Could not find Item with %s %s", !empty(rec) ? "RECORDNO" :
			"ITEMID", !empty(rec) ? rec : id ? id : "(none)");
		fail(op, "update", cid, "BL34000062", what, d2, "Name an existing item.");
		return;
	}
	if (type && strcmp(type, get(it, "ITEMTYPE")) != 0) {
		snprintf(d2, sizeof d2, "The item type of %s cannot be changed from %s",
			get(it, "ITEMID"), get(it, "ITEMTYPE"));
		fail(op, "update", cid, "BL01001973", what, d2, "");
		return;
	}
	if (name && !*name) {
		fail(op, "update", cid, "BL34000061", what, "Required field Name is missing", "");
		return;
	}
	json_t *upd = item_fields(obj);
	json_object_del(upd, "ITEMID");
	json_object_update(it, upd);
	json_decref(upd);
	touch(it);
	item_data(result(op, "success", "update", cid), it);
}

/* Stock moved by a transaction: each [ITEMID, quantity * 10^4] of moves
 * (sign: in or out) checked first, then applied: IONHAND, and the date of
 * the last receipt or sale.  0, or -1 with the reason in d2 and nothing
 * changed. */
static int
move_stock(json_t *moves, int sign, char *d2, size_t n)
{
	size_t i;
	json_t *m;
	json_t *after = json_object();
	json_array_foreach(moves, i, m) {
		const char *id = json_string_value(json_array_get(m, 0));
		json_t *it = item_of(id);
		long long have = 0, q = json_integer_value(json_array_get(m, 1));
		if (!stocked(it))
			continue; /* a non-inventory line moves no stock */
		json_t *seen = json_object_get(after, id);
		if (seen)
			have = json_integer_value(seen);
		else
			fixed(get(it, "IONHAND"), 4, &have);
		have += sign * q;
		if (have < 0) {
			char t[40];
			qty_text(have - sign * q, t, sizeof t);
			snprintf(d2, n, "Not enough quantity on hand for item %s: %s on hand", id, t);
			json_decref(after);
			return -1;
		}
		json_object_set_new(after, id, json_integer(have));
	}
	const char *id;
	json_object_foreach(after, id, m) {
		json_t *it = item_of(id);
		char t[40];
		qty_text(json_integer_value(m), t, sizeof t);
		json_object_set_new(it, "IONHAND", json_string(t));
		json_object_set_new(it, sign > 0 ? "WHENLASTRECEIVED" : "WHENLASTSOLD",
			json_string(now_text(1)));
	}
	json_decref(after);
	return 0;
}

/* ---- currencies and exchange rates ------------------------------------------ */

/* The company's base currency is USD.  Its exchange rates, as the company
 * console keeps them (developer.intacct.com/api/company-console/
 * exchange-rates): an exchange rate type (EXCHANGERATETYPES: NAME,
 * ISDEFAULT) holds exchange rates from one currency to another
 * (EXCHANGERATE: TYPENAME, FROM_CURRENCY, TO_CURRENCY), each a list of
 * entries (EXCHANGERATEENTRY: EXCHANGERATEID, EFFECTIVESTARTDATE
 * mm/dd/yyyy, VALUE, RECIPROCALVALUE), a rate holding from its start date
 * until the next.  The Intacct Daily Rate is hidden from the API, as in
 * Intacct; this company's default type is its own, RATE_TYPE, with a rate
 * into USD for EUR, GBP and JPY every day of 2026, the same whatever the
 * seed.  A currency without rates gets them as a person enters them
 * (POST /_sandbox/documents, collection EXCHANGERATEENTRY). */
#define BASE_CURRENCY "USD"
#define RATE_TYPE "Clarity Daily"
#define RATE_PLACES 10     /* a rate's places at most: held in units of 10^-10 */
#define RATE_ONE 10000000000LL
static json_t *ratetypes, *exrates, *exentries;
static unsigned rate_recordno;

/* A rate's text as units of 10^-10 ("1.0437" is 10437000000); 0, or -1
 * when it is not a positive number of at most RATE_PLACES places below
 * 10^8. */
static int
rate_units(const char *s, long long *out)
{
	long long v = 0;
	int frac = -1;
	if (!s || !*s)
		return -1;
	for (; *s; s++) {
		if (*s == '.' && frac < 0) {
			frac = 0;
			continue;
		}
		if (*s < '0' || *s > '9' || (frac >= 0 && ++frac > RATE_PLACES) ||
		    v > 100000000000000000LL)
			return -1;
		v = v * 10 + (*s - '0');
	}
	for (int i = frac < 0 ? 0 : frac; i < RATE_PLACES; i++) {
		if (v > 100000000000000000LL)
			return -1;
		v *= 10;
	}
	*out = v;
	return v > 0 ? 0 : -1;
}

/* A rate in units of 10^-10 as Intacct shows it: "1.0437", "0.006612" */
static void
rate_text(long long units, char *buf, size_t n)
{
	int len = snprintf(buf, n, "%lld.%010lld", units / RATE_ONE, units % RATE_ONE);
	while (len > 0 && buf[len - 1] == '0')
		buf[--len] = 0;
	if (len > 0 && buf[len - 1] == '.')
		buf[--len] = 0;
}

/* A rate entry of type's code -> base rate from day (mm/dd/yyyy); the
 * EXCHANGERATE is made on first use. */
static void
add_rate(const char *type, const char *code, const char *day, long long units)
{
	json_t *er = NULL, *x;
	size_t i;
	char rec[16], v[32], rv[32];
	json_array_foreach(exrates, i, x)
		if (!strcmp(get(x, "TYPENAME"), type) && !strcmp(get(x, "FROM_CURRENCY"), code))
			er = x;
	if (!er) {
		snprintf(rec, sizeof rec, "%u", rate_recordno++);
		er = json_pack("{s:s,s:s,s:s,s:s}", "RECORDNO", rec, "TYPENAME", type,
			"FROM_CURRENCY", code, "TO_CURRENCY", BASE_CURRENCY);
		json_array_append_new(exrates, er);
	}
	snprintf(rec, sizeof rec, "%u", rate_recordno++);
	rate_text(units, v, sizeof v);
	__extension__ __int128 one2 = (__int128)RATE_ONE * RATE_ONE;
	rate_text((long long)((one2 + units / 2) / units), rv, sizeof rv);
	json_t *old = NULL;
	json_array_foreach(exentries, i, x)
		if (!strcmp(get(x, "EXCHANGERATEID"), get(er, "RECORDNO")) &&
		    !strcmp(get(x, "EFFECTIVESTARTDATE"), day))
			old = x;
	if (old) { /* the day's rate entered again replaces it */
		json_object_set_new(old, "VALUE", json_string(v));
		json_object_set_new(old, "RECIPROCALVALUE", json_string(rv));
		return;
	}
	json_array_append_new(exentries, json_pack("{s:s,s:s,s:s,s:s,s:s}", "RECORDNO", rec,
		"EXCHANGERATEID", get(er, "RECORDNO"), "EFFECTIVESTARTDATE", day, "VALUE", v,
		"RECIPROCALVALUE", rv));
}

static void
seed_rates(void)
{
	static const struct { const char *code; long long base, step; } seeded[] = {
		{ "EUR", 10400000000, 1000000 }, { "GBP", 12600000000, 1000000 },
		{ "JPY", 64000000, 10000 },
	};
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	ratetypes = json_array();
	exrates = json_array();
	exentries = json_array();
	rate_recordno = 9000;
	json_array_append_new(ratetypes, json_pack("{s:s,s:s,s:s,s:s}", "RECORDNO", "1", "ID",
		"1", "NAME", RATE_TYPE, "ISDEFAULT", "true"));
	for (size_t k = 0; k < sizeof seeded / sizeof *seeded; k++) {
		int doy = 0;
		for (int m = 0; m < 12; m++)
			for (int d = 1; d <= mdays[m]; d++, doy++) {
				char day[16];
				snprintf(day, sizeof day, "%02d/%02d/2026", (m + 1) % 100, d % 100);
				add_rate(RATE_TYPE, seeded[k].code, day, seeded[k].base +
					seeded[k].step * ((doy * 37) % 97));
			}
	}
}

static int sortable(const char *s, char *buf, size_t n);

/* type's rate of code into the base currency on day (mm/dd/yyyy): the
 * entry of the latest start date on or before it, in units of 10^-10; -1 when
 * there is none. */
static long long
rate_on(const char *type, const char *code, const char *day, char *asof, size_t an)
{
	json_t *er = NULL, *x, *best = NULL;
	size_t i;
	char want[32], have[32], top[32] = "";
	long long units = -1;
	json_array_foreach(exrates, i, x)
		if (!strcmp(get(x, "TYPENAME"), type) && !strcmp(get(x, "FROM_CURRENCY"), code) &&
		    !strcmp(get(x, "TO_CURRENCY"), BASE_CURRENCY))
			er = x;
	if (!er || sortable(day, want, sizeof want) != 0)
		return -1;
	json_array_foreach(exentries, i, x)
		if (!strcmp(get(x, "EXCHANGERATEID"), get(er, "RECORDNO")) &&
		    sortable(get(x, "EFFECTIVESTARTDATE"), have, sizeof have) == 0 &&
		    strcmp(have, want) <= 0 && strcmp(have, top) > 0) {
			memcpy(top, have, sizeof top);
			best = x;
		}
	if (best && rate_units(get(best, "VALUE"), &units) == 0 && asof)
		snprintf(asof, an, "%s", get(best, "EFFECTIVESTARTDATE"));
	return best ? units : -1;
}

/* The company's default exchange rate type. */
static const char *
default_type(void)
{
	json_t *t = find(ratetypes, "ISDEFAULT", "true");
	return t ? get(t, "NAME") : RATE_TYPE;
}

/* cents at a rate (units of 10^-10), half to even to the cent: a
 * document's amount in the base currency. */
static long long
base_cents(long long cents, long long units)
{
	__extension__ __int128 p = (__int128)cents * units;
	__extension__ __int128 q = p / RATE_ONE, rem = p % RATE_ONE;
	if (rem < 0) {
		rem = -rem;
		if (rem > RATE_ONE / 2 || (rem == RATE_ONE / 2 && (q & 1)))
			q--;
	} else if (rem > RATE_ONE / 2 || (rem == RATE_ONE / 2 && (q & 1))) {
		q++;
	}
	return (long long)q;
}

/* A document's rate into the base currency, as Intacct sets it: 1 for the
 * base currency; for another, the rate sent (exchrate, EXCHANGE_RATE), or
 * else the rate of the type named (exchratetype, EXCH_RATE_TYPE_ID; the
 * company's default type when none) on the exchange rate date (the
 * document's own date when none).  The SDK writes either a rate or a type,
 * never both (AbstractOrderEntryTransaction, ArPaymentCreate,
 * AbstractArAdjustment, JournalEntryLineCreate): both is refused, and so is
 * a currency the type has no rate for on that day.  0 with *units and the
 * rate's text in rtext, or -1 with the reason in d2. */
static int
doc_rate(const char *cur, const char *rate, const char *type, const char *day,
	 long long *units, char *rtext, size_t rn, char *d2, size_t n)
{
	if (empty(cur) || !strcmp(cur, BASE_CURRENCY)) {
		*units = RATE_ONE;
		snprintf(rtext, rn, "1");
		return 0;
	}
	if (!empty(rate) && !empty(type)) {
		snprintf(d2, n, "Provide either an exchange rate or an exchange rate type, not both");
		return -1;
	}
	if (!empty(rate)) {
		if (rate_units(rate, units) != 0) {
			snprintf(d2, n, "Invalid exchange rate %s", rate);
			return -1;
		}
	} else if ((*units = rate_on(empty(type) ? default_type() : type, cur, day, NULL, 0)) < 0) {
		snprintf(d2, n, "No exchange rate from %s to %s of type %s on %s", cur, BASE_CURRENCY,
			empty(type) ? default_type() : type, day ? day : "(no date)");
		return -1;
	}
	rate_text(*units, rtext, rn);
	return 0;
}

/* A legacy function's <exchratedate><year/><month/><day/> (else its
 * datecreated) as mm/dd/yyyy. */
static void
legacy_day(xmlNode *t, char *out, size_t n)
{
	xmlNode *d = child(t, "exchratedate");
	if (!d || !text(d, "year"))
		d = child(t, "datecreated");
	snprintf(out, n, "%s/%s/%s", text(d, "month") ? text(d, "month") : "",
		text(d, "day") ? text(d, "day") : "", text(d, "year") ? text(d, "year") : "");
}

/* ---- Order Entry --------------------------------------------------------- */

/* One sotransitem (or updatesotransitem): its amount in cents, rounded half
 * away from zero; 0, or -1 with the reason in d2. */
static int
so_line(xmlNode *it, long long *cents, char *d2, size_t n)
{
	const char *item = text(it, "itemid");
	const char *q = text(it, "quantity"), *p = text(it, "price");
	const char *loc = text(it, "locationid"), *dep = text(it, "departmentid");
	const char *prj = text(it, "projectid");
	long long qv, pv;
	if (!item_of(item))
		snprintf(d2, n, "Invalid Item %s", item ? item : "(none)");
	else if (fixed(q, 4, &qv) != 0 || qv <= 0)
		snprintf(d2, n, "Quantity must be greater than 0 for item %s", item);
	else if (fixed(p ? p : "0", 4, &pv) != 0)
		snprintf(d2, n, "Invalid price %s for item %s", p, item);
	else if (loc && !IN(loc, locations))
		snprintf(d2, n, "Invalid Location %s", loc);
	else if (dep && !IN(dep, departments))
		snprintf(d2, n, "Invalid Department %s", dep);
	else if (prj && !IN(prj, projects))
		snprintf(d2, n, "Invalid Project %s", prj);
	else {
		long long x = qv * pv, a = x < 0 ? -x : x;
		a = (a + 500000) / 1000000;
		*cents = x < 0 ? -a : a;
		return 0;
	}
	return -1;
}

static long long
sum_cents(json_t *lines)
{
	long long t = 0;
	size_t i;
	json_t *x;
	json_array_foreach(lines, i, x)
		t += json_integer_value(x);
	return t;
}

static void
drop(json_t *list, json_t *rec)
{
	for (size_t i = 0; i < json_array_size(list); i++)
		if (json_array_get(list, i) == rec) {
			json_array_remove(list, i);
			return;
		}
}

/* The transaction definitions of the sandbox company's Order Entry. */
static const char *const so_types[] = { "Sales Order", "Sales Invoice", "Shipper" };

/* A "Sales Invoice" posts its AR invoice: a new one, with a new RECORDNO,
 * each time the transaction is saved (Intacct's "About related OE and AR
 * record numbers"); the SODOCUMENT's PRRECORDKEY names it. */
static void
post_arinvoice(json_t *so, long long total)
{
	char tot[40];
	const char *prkey = next_recordno();
	cents_text(total, tot, sizeof tot);
	json_array_append_new(arinvoices, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}",
		"RECORDNO", prkey, "RECORDID", get(so, "DOCNO"), "CUSTOMERID", get(so, "CUSTVENDID"),
		"CURRENCY", get(so, "CURRENCY"), "TOTALENTERED", tot, "TOTALPAID", "0.00",
		"TOTALDUE", tot, "STATE", total > 0 ? "Posted" : "Paid", "DOCPARID", "Sales Invoice"));
	json_object_set_new(json_array_get(arinvoices, json_array_size(arinvoices) - 1),
		"EXCHANGE_RATE", json_string(get(so, "EXCHRATE") ? get(so, "EXCHRATE") : "1"));
	json_object_set_new(so, "PRRECORDKEY", json_string(prkey));
	json_object_set_new(so, "TOTAL", json_string(tot));
}

static void
create_sotransaction(xmlNode *op, xmlNode *t, const char *cid)
{
	char d2[400] = "";
	char cb[128], db[128], tb[64], sb[32], pb[128], cu[16];
	const char *cust = keep(t, "customerid", cb, sizeof cb);
	const char *docno = keep(t, "documentno", db, sizeof db);
	xmlNode *dc = child(t, "datecreated");
	const char *type = keep(t, "transactiontype", tb, sizeof tb);
	const char *state = keep(t, "state", sb, sizeof sb);
	const char *po = keep(t, "referenceno", pb, sizeof pb);
	const char *cur = keep(t, "currency", cu, sizeof cu);
	char fb[256], vb[128];
	const char *from = keep(t, "createdfrom", fb, sizeof fb);
	const char *via = keep(t, "shippingmethod", vb, sizeof vb);
	json_t *source = !empty(from) ? find(sodocs, "DOCID", from) : NULL;
	char docid[256];
	snprintf(docid, sizeof docid, "%s-%s", type ? type : "", docno ? docno : "");
	if (!IN(type, so_types))
		snprintf(d2, sizeof d2, "Invalid transaction type %s", type ? type : "(none)");
	else if (!empty(from) && !source)
		snprintf(d2, sizeof d2, "Invalid created from transaction %s", from);
	else if (source && (!strcmp(get(source, "STATE"), "Converted") ||
		strcmp(get(source, "CUSTVENDID"), cust ? cust : "") != 0))
		snprintf(d2, sizeof d2, "Transaction %s cannot be converted: it is %s", from,
			strcmp(get(source, "STATE"), "Converted") ? "another customer's" :
			"converted already");
	else if (!cust || !find(customers, "CUSTOMERID", cust))
		snprintf(d2, sizeof d2, "Invalid Customer %s specified.", cust ? cust : "(none)");
	else if (!real_date(text(dc, "year"), text(dc, "month"), text(dc, "day")))
		snprintf(d2, sizeof d2, "Invalid date created");
	else if (!empty(docno) && find(sodocs, "DOCID", docid))
		snprintf(d2, sizeof d2, "Transaction with the number '%s' already exists.", docno);
	else if (so_contact(t, "shipto", NULL, d2, sizeof d2) == 0)
		so_contact(t, "billto", NULL, d2, sizeof d2);
	char rday[32], rt[32], eb[64], tyb[64];
	long long units = 0;
	legacy_day(t, rday, sizeof rday);
	if (!*d2)
		doc_rate(cur, keep(t, "exchrate", eb, sizeof eb), keep(t, "exchratetype", tyb,
			sizeof tyb), rday, &units, rt, sizeof rt, d2, sizeof d2);
	xmlNode *items_n = child(t, "sotransitems");
	json_t *lines = json_array(), *moves = json_array(), *itemids = json_array();
	for (xmlNode *it = items_n ? items_n->children : NULL; it && !*d2; it = it->next) {
		long long c, q = 0;
		if (it->type != XML_ELEMENT_NODE || so_line(it, &c, d2, sizeof d2) != 0)
			continue;
		json_array_append_new(lines, json_integer(c));
		json_array_append_new(itemids, json_string(text(it, "itemid")));
		fixed(text(it, "quantity"), 4, &q);
		json_array_append_new(moves, json_pack("[s,I]", text(it, "itemid"), (json_int_t)q));
	}
	if (!*d2 && json_array_size(lines) == 0)
		snprintf(d2, sizeof d2, "A transaction needs at least one line item");
	/* the company's Shipper definition decreases the stock on hand; its
	 * sales orders and invoices have no inventory effect */
	if (!*d2 && !strcmp(type, "Shipper"))
		move_stock(moves, -1, d2, sizeof d2);
	json_decref(moves);
	if (*d2) {
		json_decref(lines);
		json_decref(itemids);
		fail(op, "create_sotransaction", cid, "BL03000018", "Could not create Document record!",
			d2, "");
		return;
	}
	if (empty(docno)) {
		snprintf(docid, sizeof docid, "%s-%u", type, recordno);
		docno = strchr(docid, '-') + 1;
	}
	json_t *so = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}",
		"RECORDNO", next_recordno(), "DOCID", docid, "DOCNO", docno, "DOCPARID", type,
		"PONUMBER", po ? po : "", "CUSTVENDID", cust, "STATE", state ? state : "Pending",
		"CURRENCY", empty(cur) ? "USD" : cur, "TOTAL", "0.00", "PRRECORDKEY", "");
	json_object_set_new(so, "EXCHRATE", json_string(rt));
	json_object_set_new(so, "EXCHRATEDATE", json_string(empty(cur) ||
		!strcmp(cur, BASE_CURRENCY) ? "" : rday));
	json_object_set_new(so, "CREATEDFROM", json_string(source ? from : ""));
	json_object_set_new(so, "SHIPVIA", json_string(via ? via : ""));
	json_object_set_new(so, "WHENCREATED", json_string(now_text(0)));
	so_contact(t, "shipto", so, d2, sizeof d2);
	so_contact(t, "billto", so, d2, sizeof d2);
	touch(so);
	/* custom fields (a company's own, such as a shipper's TRACKINGNUMBER) are
	 * read back as fields of the document */
	xmlNode *cfs = child(t, "customfields");
	for (xmlNode *cf = cfs ? cfs->children : NULL; cf; cf = cf->next) {
		const char *cn = cf->type == XML_ELEMENT_NODE ? text(cf, "customfieldname") : NULL;
		if (!empty(cn) && !json_object_get(so, cn))
			json_object_set_new(so, cn, json_string(text(cf, "customfieldvalue") ?
				text(cf, "customfieldvalue") : ""));
	}
	if (source) { /* the whole source is converted (the sandbox converts no part) */
		json_object_set_new(source, "STATE", json_string("Converted"));
		touch(source);
	}
	json_array_append_new(sodocs, so);
	long long total = sum_cents(lines);
	if (!strcmp(type, "Sales Invoice"))
		post_arinvoice(so, total);
	else {
		char tot[40];
		cents_text(total, tot, sizeof tot);
		json_object_set_new(so, "TOTAL", json_string(tot));
	}
	json_object_set_new(solines, docid, lines);
	json_object_set_new(soitems, docid, itemids);
	xmlNode *r = result(op, "success", "create_sotransaction", cid);
	add(r, "key", docid);
}

/* The SODOCUMENT a legacy function's key attribute names (its DOCID), or
 * NULL with the refusal written. */
static json_t *
so_by_key(xmlNode *op, xmlNode *f, const char *fname, const char *cid, const char *what)
{
	xmlChar *k = xmlGetProp(f, BAD_CAST "key");
	json_t *so = k ? find(sodocs, "DOCID", (const char *)k) : NULL;
	if (!so) {
		char d2[400];
		snprintf(d2, sizeof d2, "The transaction %s does not exist.", k ? (const char *)k :
			"(no key)");
		fail(op, fname, cid, "BL03000018", what, d2, "Name an existing transaction by its "
			"document ID (transaction type-document number).");
	}
	xmlFree(k);
	return so;
}

/* Payments applied to a sales transaction's AR invoice: it can then be
 * neither edited nor deleted until they are reversed. */
static int
so_paid(json_t *so, xmlNode *op, const char *fname, const char *cid, const char *what)
{
	json_t *inv = find(arinvoices, "RECORDNO", get(so, "PRRECORDKEY"));
	long long paid = 0;
	if (!inv || fixed(get(inv, "TOTALPAID"), 2, &paid) != 0 || paid == 0)
		return 0;
	char d2[400];
	snprintf(d2, sizeof d2, "%s has payments applied to its AR invoice %s (%s paid); it "
		"cannot be changed or deleted.", get(so, "DOCID"), get(inv, "RECORDNO"),
		get(inv, "TOTALPAID"));
	fail(op, fname, cid, "BL03000018", what, d2, "Reverse the payments first, or record a "
		"credit memo.");
	return 1;
}

/* update_sotransaction key="DOCID": header fields sent replace theirs;
 * updatesotransitems holds updatesotransitem line_num="N" (line N
 * replaced) and sotransitem (a line added); lines not named stay. */
static void
update_sotransaction(xmlNode *op, xmlNode *t, const char *cid)
{
	static const char what[] = "Could not update Document record!";
	json_t *so = so_by_key(op, t, "update_sotransaction", cid, what);
	if (!so || so_paid(so, op, "update_sotransaction", cid, what))
		return;
	if (!strcmp(get(so, "STATE"), "Closed")) {
		fail(op, "update_sotransaction", cid, "BL03000018", what, "A closed transaction "
			"cannot be edited.", "");
		return;
	}
	char d2[400] = "";
	json_t *lines = json_deep_copy(json_object_get(solines, get(so, "DOCID")));
	json_t *itemids = json_deep_copy(json_object_get(soitems, get(so, "DOCID")));
	if (!itemids)
		itemids = json_array();
	xmlNode *ui = child(t, "updatesotransitems");
	for (xmlNode *it = ui ? ui->children : NULL; it && !*d2; it = it->next) {
		long long c;
		if (it->type != XML_ELEMENT_NODE || so_line(it, &c, d2, sizeof d2) != 0)
			continue;
		if (!strcmp((const char *)it->name, "sotransitem")) {
			json_array_append_new(lines, json_integer(c));
			json_array_append_new(itemids, json_string(text(it, "itemid")));
			continue;
		}
		xmlChar *ln = xmlGetProp(it, BAD_CAST "line_num");
		long k = ln ? strtol((const char *)ln, NULL, 10) : 0;
		if (k < 1 || (size_t)k > json_array_size(lines))
			snprintf(d2, sizeof d2, "Invalid line_num %s: the transaction has %zu lines",
				ln ? (const char *)ln : "(none)", json_array_size(lines));
		else {
			json_array_set_new(lines, (size_t)k - 1, json_integer(c));
			json_array_set_new(itemids, (size_t)k - 1, json_string(text(it, "itemid")));
		}
		xmlFree(ln);
	}
	/* a new rate, date or currency sent sets the rate again */
	char rday[32], rt[32] = "", eb[64], tyb[64], cub[16];
	long long units;
	const char *ucur = keep(t, "currency", cub, sizeof cub);
	int rerate = !empty(ucur) || child(t, "exchrate") || child(t, "exchratetype") ||
		child(t, "exchratedate");
	if (empty(ucur))
		ucur = get(so, "CURRENCY");
	legacy_day(t, rday, sizeof rday);
	if (!*d2 && rerate)
		doc_rate(ucur, keep(t, "exchrate", eb, sizeof eb), keep(t, "exchratetype", tyb,
			sizeof tyb), rday, &units, rt, sizeof rt, d2, sizeof d2);
	if (*d2) {
		json_decref(lines);
		json_decref(itemids);
		fail(op, "update_sotransaction", cid, "BL03000018", what, d2, "");
		return;
	}
	if (rerate) {
		json_object_set_new(so, "CURRENCY", json_string(ucur));
		json_object_set_new(so, "EXCHRATE", json_string(rt));
		json_object_set_new(so, "EXCHRATEDATE", json_string(strcmp(ucur, BASE_CURRENCY) ?
			rday : ""));
	}
	static const char *const header[][2] = { { "referenceno", "PONUMBER" },
		{ "state", "STATE" }, { "message", "MESSAGE" } };
	for (size_t i = 0; i < sizeof header / sizeof *header; i++) {
		const char *v = text(t, header[i][0]);
		if (v)
			json_object_set_new(so, header[i][1], json_string(v));
	}
	json_object_set(solines, get(so, "DOCID"), lines);
	json_object_set_new(soitems, get(so, "DOCID"), itemids);
	touch(so);
	long long total = sum_cents(lines);
	json_decref(lines);
	if (!strcmp(get(so, "DOCPARID"), "Sales Invoice")) {
		drop(arinvoices, find(arinvoices, "RECORDNO", get(so, "PRRECORDKEY")));
		post_arinvoice(so, total);
	}
	add(result(op, "success", "update_sotransaction", cid), "key", get(so, "DOCID"));
}

/* delete_sotransaction key="DOCID": the transaction and the AR invoice it
 * posted are gone, unless payments are applied to it. */
static void
delete_sotransaction(xmlNode *op, xmlNode *t, const char *cid)
{
	static const char what[] = "Could not delete Document record!";
	json_t *so = so_by_key(op, t, "delete_sotransaction", cid, what);
	if (!so || so_paid(so, op, "delete_sotransaction", cid, what))
		return;
	char docid[256];
	snprintf(docid, sizeof docid, "%s", get(so, "DOCID"));
	drop(arinvoices, find(arinvoices, "RECORDNO", get(so, "PRRECORDKEY")));
	json_object_del(solines, docid);
	json_object_del(soitems, docid);
	drop(sodocs, so);
	add(result(op, "success", "delete_sotransaction", cid), "key", docid);
}

/* ---- ARPYMT --------------------------------------------------------------- */

static void
create_arpymt(xmlNode *op, xmlNode *p, const char *cid)
{
	char d2[400] = "";
	long long amount = 0, applied = 0;
	char cb[128], mb[64], ab[64], rb[64], nb[128], eb[512];
	const char *cust = keep(p, "CUSTOMERID", cb, sizeof cb);
	const char *method = keep(p, "PAYMENTMETHOD", mb, sizeof mb);
	const char *acct = text(p, "UNDEPOSITEDACCOUNTNO"), *fe = text(p, "FINANCIALENTITY");
	const char *amt = keep(p, "TRX_AMOUNTTOPAY", ab, sizeof ab);
	if (empty(amt))
		amt = keep(p, "AMOUNTOPAY", ab, sizeof ab);
	const char *date = keep(p, "RECEIPTDATE", rb, sizeof rb);
	const char *docnumber = keep(p, "DOCNUMBER", nb, sizeof nb);
	const char *desc = keep(p, "DESCRIPTION", eb, sizeof eb);
	char cu[16];
	const char *cur = keep(p, "CURRENCY", cu, sizeof cu);
	if (!cust || !find(customers, "CUSTOMERID", cust))
		snprintf(d2, sizeof d2, "Invalid Customer %s specified.", cust ? cust : "(none)");
	else if (!IN(method, methods))
		snprintf(d2, sizeof d2, "Invalid payment method %s", method ? method : "(none)");
	else if (!real_us_date(date))
		snprintf(d2, sizeof d2, "Invalid Receipt Date %s; use mm/dd/yyyy",
			date ? date : "(none)");
	else if (empty(acct) && empty(fe))
		snprintf(d2, sizeof d2, "Either FINANCIALENTITY or UNDEPOSITEDACCOUNTNO is required");
	else if (!empty(acct) && !IN(acct, accounts))
		snprintf(d2, sizeof d2, "Invalid GL account %s", acct);
	else if (fixed(amt, 2, &amount) != 0 || amount <= 0)
		snprintf(d2, sizeof d2, "The payment amount must be greater than 0");
	char rt[32], xb[64], tyb[64], xd[32] = "";
	long long units = 0;
	keep(p, "EXCH_RATE_DATE", xd, sizeof xd);
	if (!*d2 && !empty(xd) && !real_us_date(xd))
		snprintf(d2, sizeof d2, "Invalid Exchange Rate Date %s; use mm/dd/yyyy", xd);
	if (!*d2)
		doc_rate(cur, keep(p, "EXCHANGE_RATE", xb, sizeof xb), keep(p, "EXCH_RATE_TYPE_ID",
			tyb, sizeof tyb), empty(xd) ? date : xd, &units, rt, sizeof rt, d2, sizeof d2);
	xmlNode *details = child(p, "ARPYMTDETAILS");
	json_t *apply = json_array(); /* [invoice, cents] pairs checked before any change */
	for (xmlNode *d = details ? details->children : NULL; d && !*d2; d = d->next) {
		if (d->type != XML_ELEMENT_NODE)
			continue;
		const char *key = text(d, "RECORDKEY"), *pa = text(d, "TRX_PAYMENTAMOUNT");
		json_t *inv = key ? find(arinvoices, "RECORDNO", key) : NULL;
		long long c, due;
		if (!inv)
			snprintf(d2, sizeof d2, "Invalid invoice record number %s", key ? key : "(none)");
		else if (strcmp(get(inv, "CUSTOMERID"), cust) != 0)
			snprintf(d2, sizeof d2, "Invoice %s does not belong to customer %s", key, cust);
		else if (!empty(cur) && strcmp(cur, get(inv, "CURRENCY")) != 0)
			snprintf(d2, sizeof d2, "The payment currency %s is not invoice %s's currency %s",
				cur, key, get(inv, "CURRENCY"));
		else if (fixed(pa, 2, &c) != 0 || c <= 0)
			snprintf(d2, sizeof d2, "The payment amount for invoice %s must be greater than 0",
				key);
		else {
			fixed(get(inv, "TOTALDUE"), 2, &due);
			size_t i;
			json_t *x;
			json_array_foreach(apply, i, x) /* the same invoice twice in one payment */
				if (json_array_get(x, 0) == inv)
					due -= json_integer_value(json_array_get(x, 1));
			if (c > due) {
				char dt[40];
				cents_text(due, dt, sizeof dt);
				snprintf(d2, sizeof d2, "The payment amount %s exceeds the amount due %s "
					"on invoice %s", pa, dt, key);
			} else {
				applied += c;
				json_array_append_new(apply, json_pack("[O,I]", inv, (json_int_t)c));
			}
		}
	}
	if (!*d2 && json_array_size(apply) == 0)
		snprintf(d2, sizeof d2, "A payment must be applied to at least one invoice");
	else if (!*d2 && applied != amount)
		snprintf(d2, sizeof d2, "The amount to pay %s does not equal the amounts applied", amt);
	if (*d2) {
		json_decref(apply);
		fail(op, "create", cid, "BL03000018", "Could not create ARPymt record!", d2, "");
		return;
	}
	size_t i;
	json_t *x, *apps = json_array();
	json_array_foreach(apply, i, x) {
		json_t *inv = json_array_get(x, 0);
		json_array_append_new(apps, json_pack("[s,I]", get(inv, "RECORDNO"),
			json_array_get(x, 1) ? json_integer_value(json_array_get(x, 1)) : 0));
		long long paid, due, c = json_integer_value(json_array_get(x, 1));
		char b[40];
		fixed(get(inv, "TOTALPAID"), 2, &paid);
		fixed(get(inv, "TOTALDUE"), 2, &due);
		cents_text(paid + c, b, sizeof b);
		json_object_set_new(inv, "TOTALPAID", json_string(b));
		cents_text(due - c, b, sizeof b);
		json_object_set_new(inv, "TOTALDUE", json_string(b));
		json_object_set_new(inv, "STATE", json_string(due - c == 0 ? "Paid" :
			"Partially Paid"));
	}
	json_decref(apply);
	char am[40];
	cents_text(amount, am, sizeof am);
	const char *rec = next_recordno();
	json_array_append_new(arpymts, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "RECORDNO",
		rec, "CUSTOMERID", cust, "PAYMENTMETHOD", method, "RECEIPTDATE",
		date, "DOCNUMBER", docnumber ? docnumber : "", "DESCRIPTION",
		desc ? desc : "", "TOTALENTERED", am, "STATE", "Complete", "CURRENCY",
		empty(cur) ? "USD" : cur));
	json_object_set_new(json_array_get(arpymts, json_array_size(arpymts) - 1), "EXCHANGE_RATE",
		json_string(rt));
	json_object_set_new(pyapps, rec, apps);
	xmlNode *r = result(op, "success", "create", cid);
	xmlNode *data = xmlNewChild(r, NULL, BAD_CAST "data", NULL);
	xmlNewProp(data, BAD_CAST "listtype", BAD_CAST "objects");
	xmlNewProp(data, BAD_CAST "count", BAD_CAST "1");
	add(xmlNewChild(data, NULL, BAD_CAST "arpymt", NULL), "RECORDNO", rec);
}

/* update ARPYMT: Intacct edits a payment only while it is a draft; a
 * posted (Complete) one is reversed and entered again. */
static void
update_arpymt(xmlNode *op, xmlNode *p, const char *cid)
{
	static const char what[] = "Could not update ARPymt record!";
	const char *rec = text(p, "RECORDNO");
	json_t *py = rec ? find(arpymts, "RECORDNO", rec) : NULL;
	char d2[400];
	if (!py) {
		snprintf(d2, sizeof d2, "Invalid payment record number %s", rec ? rec : "(none)");
		fail(op, "update", cid, "BL03000018", what, d2, "");
		return;
	}
	snprintf(d2, sizeof d2, "Payment %s is %s: only a draft payment can be edited.", rec,
		get(py, "STATE"));
	fail(op, "update", cid, "BL03000018", what, d2, "Reverse the payment and enter it again.");
}

/* reverse_arpayment key="RECORDNO": what it paid is owed again, the
 * payment is Reversed (once). */
static void
reverse_arpayment(xmlNode *op, xmlNode *f, const char *cid)
{
	static const char what[] = "Could not reverse ARPymt record!";
	xmlChar *k = xmlGetProp(f, BAD_CAST "key");
	json_t *py = k ? find(arpymts, "RECORDNO", (const char *)k) : NULL;
	xmlNode *dr = child(f, "datereversed");
	char d2[400] = "";
	if (!py)
		snprintf(d2, sizeof d2, "Invalid payment record number %s", k ? (const char *)k :
			"(no key)");
	else if (!strcmp(get(py, "STATE"), "Reversed"))
		snprintf(d2, sizeof d2, "Payment %s has already been reversed.", (const char *)k);
	else if (!real_date(text(dr, "year"), text(dr, "month"), text(dr, "day")))
		snprintf(d2, sizeof d2, "Invalid reversal date");
	xmlFree(k);
	if (*d2) {
		fail(op, "reverse_arpayment", cid, "BL03000018", what, d2, "");
		return;
	}
	size_t i;
	json_t *x;
	json_array_foreach(json_object_get(pyapps, get(py, "RECORDNO")), i, x) {
		json_t *inv = find(arinvoices, "RECORDNO", json_string_value(json_array_get(x, 0)));
		long long paid, due, c = json_integer_value(json_array_get(x, 1));
		char b[40];
		if (!inv)
			continue;
		fixed(get(inv, "TOTALPAID"), 2, &paid);
		fixed(get(inv, "TOTALDUE"), 2, &due);
		cents_text(paid - c, b, sizeof b);
		json_object_set_new(inv, "TOTALPAID", json_string(b));
		cents_text(due + c, b, sizeof b);
		json_object_set_new(inv, "TOTALDUE", json_string(b));
		json_object_set_new(inv, "STATE", json_string(paid - c == 0 ? "Posted" :
			"Partially Paid"));
	}
	json_object_set_new(py, "STATE", json_string("Reversed"));
	char date[16];
	snprintf(date, sizeof date, "%s/%s/%s", text(dr, "month"), text(dr, "day"),
		text(dr, "year"));
	json_object_set_new(py, "REVERSALDATE", json_string(date));
	add(result(op, "success", "reverse_arpayment", cid), "key", get(py, "RECORDNO"));
}

/* ---- ARADJUSTMENT ------------------------------------------------------------ */

/* Where a payment's money is kept (payment_gl's accounts): an adjustment
 * line to one of them is money paid out to the customer, a refund. */
static const char *const money_accounts[] = { "1010", "1011", "1020", "2300" };

/* The lineitems of an aradjustmentitems into [[account, cents]...]; 0, or
 * -1 with the reason in d2. */
static int
adj_lines(xmlNode *items_n, json_t *lines, char *d2, size_t n)
{
	int k = 0;
	for (xmlNode *it = items_n ? items_n->children : NULL; it; it = it->next) {
		if (it->type != XML_ELEMENT_NODE)
			continue;
		k++;
		const char *acct = text(it, "glaccountno"), *label = text(it, "accountlabel");
		const char *loc = text(it, "locationid"), *dep = text(it, "departmentid");
		long long c;
		if (!empty(label))
			snprintf(d2, n, "Invalid account label %s on line %d", label, k);
		else if (!IN(acct, accounts))
			snprintf(d2, n, "Invalid GL account %s on line %d", acct ? acct : "(none)", k);
		else if (fixed(text(it, "amount"), 2, &c) != 0 || c == 0)
			snprintf(d2, n, "Amount is required and cannot be 0 on line %d", k);
		else if (loc && !IN(loc, locations))
			snprintf(d2, n, "Invalid Location %s", loc);
		else if (dep && !IN(dep, departments))
			snprintf(d2, n, "Invalid Department %s", dep);
		else {
			json_array_append_new(lines, json_pack("[s,I]", acct, (json_int_t)c));
			continue;
		}
		return -1;
	}
	if (k == 0) {
		snprintf(d2, n, "An adjustment needs at least one line item");
		return -1;
	}
	return 0;
}

static long long
adj_total(json_t *lines)
{
	long long t = 0;
	size_t i;
	json_t *x;
	json_array_foreach(lines, i, x)
		t += json_integer_value(json_array_get(x, 1));
	return t;
}

/* create_aradjustment: a credit memo (its lines negative: the customer owes
 * less) or a debit memo (positive), posted unless action is Draft.  Its
 * TOTALDUE is what is left of it to apply: negative for a credit memo. */
static void
create_aradjustment(xmlNode *op, xmlNode *a, const char *cid)
{
	static const char what[] = "Could not create ARAdjustment record!";
	char d2[400] = "";
	char cb[128], nb[128], ib[128], db[512], ab[16], cu[16];
	const char *cust = keep(a, "customerid", cb, sizeof cb);
	const char *no = keep(a, "adjustmentno", nb, sizeof nb);
	const char *inv = keep(a, "invoiceno", ib, sizeof ib);
	const char *desc = keep(a, "description", db, sizeof db);
	const char *action = keep(a, "action", ab, sizeof ab);
	const char *cur = keep(a, "currency", cu, sizeof cu);
	xmlNode *dc = child(a, "datecreated");
	if (!cust || !find(customers, "CUSTOMERID", cust))
		snprintf(d2, sizeof d2, "Invalid Customer %s specified.", cust ? cust : "(none)");
	else if (!real_date(text(dc, "year"), text(dc, "month"), text(dc, "day")))
		snprintf(d2, sizeof d2, "Invalid date created");
	else if (action && strcmp(action, "Draft") != 0 && strcmp(action, "Submit") != 0)
		snprintf(d2, sizeof d2, "Invalid action %s: use Draft or Submit", action);
	else if (!empty(no) && find(aradjs, "RECORDID", no))
		snprintf(d2, sizeof d2, "An adjustment with the number %s already exists.", no);
	char rday[32], rt[32], eb[64], tyb[64];
	long long units = 0;
	legacy_day(a, rday, sizeof rday);
	if (!*d2)
		doc_rate(cur, keep(a, "exchrate", eb, sizeof eb), keep(a, "exchratetype", tyb,
			sizeof tyb), rday, &units, rt, sizeof rt, d2, sizeof d2);
	json_t *lines = json_array();
	if (!*d2)
		adj_lines(child(a, "aradjustmentitems"), lines, d2, sizeof d2);
	if (*d2) {
		json_decref(lines);
		fail(op, "create_aradjustment", cid, "BL03000018", what, d2, "");
		return;
	}
	char tot[40];
	cents_text(adj_total(lines), tot, sizeof tot);
	const char *rec = next_recordno();
	json_array_append_new(aradjs, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}",
		"RECORDNO", rec, "RECORDID", empty(no) ? rec : no, "CUSTOMERID", cust, "DOCNUMBER",
		inv ? inv : "", "DESCRIPTION", desc ? desc : "", "CURRENCY", empty(cur) ? "USD" : cur,
		"TOTALENTERED", tot, "TOTALPAID", "0.00", "TOTALDUE", tot, "STATE",
		action && !strcmp(action, "Draft") ? "Draft" : "Posted"));
	json_object_set_new(json_array_get(aradjs, json_array_size(aradjs) - 1), "EXCHANGE_RATE",
		json_string(rt));
	json_object_set_new(adjlines, rec, lines);
	add(result(op, "success", "create_aradjustment", cid), "key", rec);
}

/* The ARADJUSTMENT a function's key attribute names, not yet applied to
 * anything; NULL with the refusal written. */
static json_t *
adj_by_key(xmlNode *op, xmlNode *f, const char *fname, const char *cid, const char *what)
{
	xmlChar *k = xmlGetProp(f, BAD_CAST "key");
	json_t *adj = k ? find(aradjs, "RECORDNO", (const char *)k) : NULL;
	char d2[400] = "";
	if (!adj)
		snprintf(d2, sizeof d2, "Invalid adjustment record number %s", k ? (const char *)k :
			"(no key)");
	else if (strcmp(get(adj, "TOTALPAID"), "0.00") != 0)
		snprintf(d2, sizeof d2, "Adjustment %s has been applied (%s); it cannot be changed "
			"or deleted.", (const char *)k, get(adj, "TOTALPAID"));
	xmlFree(k);
	if (*d2) {
		fail(op, fname, cid, "BL03000018", what, d2, "");
		return NULL;
	}
	return adj;
}

/* update_aradjustment key="RECORDNO": the header fields sent, and the lines
 * when aradjustmentitems is sent (they replace the old ones). */
static void
update_aradjustment(xmlNode *op, xmlNode *a, const char *cid)
{
	static const char what[] = "Could not update ARAdjustment record!";
	json_t *adj = adj_by_key(op, a, "update_aradjustment", cid, what);
	if (!adj)
		return;
	char d2[400] = "";
	json_t *lines = json_array();
	xmlNode *items_n = child(a, "aradjustmentitems");
	/* a new rate, date or currency sent sets the rate again */
	char rday[32], rt[32] = "", eb[64], tyb[64], cub[16];
	long long units;
	const char *ucur = keep(a, "currency", cub, sizeof cub);
	int rerate = !empty(ucur) || child(a, "exchrate") || child(a, "exchratetype") ||
		child(a, "exchratedate");
	if (empty(ucur))
		ucur = get(adj, "CURRENCY");
	legacy_day(a, rday, sizeof rday);
	if (rerate)
		doc_rate(ucur, keep(a, "exchrate", eb, sizeof eb), keep(a, "exchratetype", tyb,
			sizeof tyb), rday, &units, rt, sizeof rt, d2, sizeof d2);
	if (*d2 || (items_n && adj_lines(items_n, lines, d2, sizeof d2) != 0)) {
		json_decref(lines);
		fail(op, "update_aradjustment", cid, "BL03000018", what, d2, "");
		return;
	}
	if (rerate) {
		json_object_set_new(adj, "CURRENCY", json_string(ucur));
		json_object_set_new(adj, "EXCHANGE_RATE", json_string(rt));
	}
	const char *desc = text(a, "description");
	if (desc)
		json_object_set_new(adj, "DESCRIPTION", json_string(desc));
	if (items_n) {
		char tot[40];
		cents_text(adj_total(lines), tot, sizeof tot);
		json_object_set_new(adj, "TOTALENTERED", json_string(tot));
		json_object_set_new(adj, "TOTALDUE", json_string(tot));
		json_object_set(adjlines, get(adj, "RECORDNO"), lines);
	}
	json_decref(lines);
	add(result(op, "success", "update_aradjustment", cid), "key", get(adj, "RECORDNO"));
}

static void
delete_aradjustment(xmlNode *op, xmlNode *a, const char *cid)
{
	json_t *adj = adj_by_key(op, a, "delete_aradjustment", cid,
		"Could not delete ARAdjustment record!");
	if (!adj)
		return;
	char rec[32];
	snprintf(rec, sizeof rec, "%s", get(adj, "RECORDNO"));
	json_object_del(adjlines, rec);
	drop(aradjs, adj);
	add(result(op, "success", "delete_aradjustment", cid), "key", rec);
}

/* ---- Inventory Control transactions ------------------------------------------ */

/* The sandbox company's inventory transaction definitions and their effect
 * on the stock on hand. */
static const struct { const char *name; int sign; } ic_types[] = {
	{ "Inventory Receipt", 1 }, { "Adjustment Increase", 1 }, { "Adjustment Decrease", -1 },
};

/* create_ictransaction (the SDK's InventoryTransactionCreate): a receipt
 * or an adjustment, each ictransitem's quantity into or out of stock. */
static void
create_ictransaction(xmlNode *op, xmlNode *t, const char *cid)
{
	static const char what[] = "Could not create Document record!";
	char d2[400] = "", tb[64], db[128], rb[128];
	const char *type = keep(t, "transactiontype", tb, sizeof tb);
	const char *docno = keep(t, "documentno", db, sizeof db);
	const char *ref = keep(t, "referenceno", rb, sizeof rb);
	xmlNode *dc = child(t, "datecreated");
	int sign = 0;
	for (size_t i = 0; type && i < sizeof ic_types / sizeof *ic_types; i++)
		if (!strcmp(type, ic_types[i].name))
			sign = ic_types[i].sign;
	char docid[256];
	snprintf(docid, sizeof docid, "%s-%s", type ? type : "", docno ? docno : "");
	if (!sign)
		snprintf(d2, sizeof d2, "Invalid transaction type %s", type ? type : "(none)");
	else if (!real_date(text(dc, "year"), text(dc, "month"), text(dc, "day")))
		snprintf(d2, sizeof d2, "Invalid date created");
	else if (!empty(docno) && find(ictrans, "DOCID", docid))
		snprintf(d2, sizeof d2, "Transaction with the number '%s' already exists.", docno);
	json_t *moves = json_array();
	xmlNode *lines = child(t, "ictransitems");
	for (xmlNode *l = lines ? lines->children : NULL; l && !*d2; l = l->next) {
		if (l->type != XML_ELEMENT_NODE)
			continue;
		const char *item = text(l, "itemid"), *wh = text(l, "warehouseid");
		long long q;
		if (!stocked(item_of(item)))
			snprintf(d2, sizeof d2, "Invalid Item %s: not an inventory item", item ?
				item : "(none)");
		else if (wh && strcmp(wh, WAREHOUSE) != 0)
			snprintf(d2, sizeof d2, "Invalid Warehouse %s", wh);
		else if (fixed(text(l, "quantity"), 4, &q) != 0 || q <= 0)
			snprintf(d2, sizeof d2, "Quantity must be greater than 0 for item %s", item);
		else
			json_array_append_new(moves, json_pack("[s,I]", item, (json_int_t)q));
	}
	if (!*d2 && json_array_size(moves) == 0)
		snprintf(d2, sizeof d2, "A transaction needs at least one line item");
	if (!*d2)
		move_stock(moves, sign, d2, sizeof d2);
	json_decref(moves);
	if (*d2) {
		fail(op, "create_ictransaction", cid, "BL03000018", what, d2, "");
		return;
	}
	if (empty(docno)) {
		snprintf(docid, sizeof docid, "%s-%u", type, recordno);
		docno = strchr(docid, '-') + 1;
	}
	json_t *ic = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "RECORDNO", next_recordno(), "DOCID",
		docid, "DOCNO", docno, "DOCPARID", type, "PONUMBER", ref ? ref : "", "STATE",
		"Closed");
	touch(ic);
	json_array_append_new(ictrans, ic);
	add(result(op, "success", "create_ictransaction", cid), "key", docid);
}

/* ---- GLBATCH ---------------------------------------------------------------- */

/* create GLBATCH, as @intacct/intacct-sdk's JournalEntryCreate writes it
 * (JOURNAL, BATCH_DATE mm/dd/yyyy and BATCH_TITLE required; REFERENCENO;
 * ENTRIES of GLENTRY, JournalEntryLineCreate's: ACCOUNTNO and TRX_AMOUNT
 * required, TR_TYPE 1 debit / -1 credit, CURRENCY, LOCATION, DEPARTMENT,
 * DESCRIPTION).  The journal and each line's account, location and
 * department must exist; amounts are positive, at least two lines, and
 * the debits equal the credits, or the batch is refused whole.  The lines
 * balance in their one currency (a line without CURRENCY is in the base
 * currency, USD); a foreign line needs a rate (doc_rate: EXCHANGE_RATE, or
 * the rate of EXCH_RATE_TYPE_ID on EXCH_RATE_DATE, else the batch's date).
 * update GLBATCH names the batch by RECORDNO and sends it whole: its
 * header and ENTRIES replace the batch's, under the same rules (the
 * general-ledger/journal-entries reference's "Update Journal Entry"). */
/* A line's rate (JournalEntryLineCreate: EXCH_RATE_DATE, else the batch's
 * date; EXCH_RATE_TYPE_ID or EXCHANGE_RATE): 0, or -1 with d2. */
static int
gl_rate(xmlNode *e, const char *cur, const char *date, char *d2, size_t n)
{
	char xd[32] = "", xb[64], tyb[64], rt[32];
	long long units;
	keep(e, "EXCH_RATE_DATE", xd, sizeof xd);
	if (!empty(xd) && !real_us_date(xd)) {
		snprintf(d2, n, "Invalid Exchange Rate Date %s; use mm/dd/yyyy", xd);
		return -1;
	}
	return doc_rate(cur, keep(e, "EXCHANGE_RATE", xb, sizeof xb), keep(e, "EXCH_RATE_TYPE_ID",
		tyb, sizeof tyb), empty(xd) ? date : xd, &units, rt, sizeof rt, d2, n);
}

static void
write_glbatch(xmlNode *op, xmlNode *b, const char *cid, int update)
{
	char d2[400] = "";
	const char *fn = update ? "update" : "create";
	long long debit = 0, credit = 0;
	int n = 0;
	char jb[32], tb[256], bd[32], rf[128], cur[8] = "";
	const char *journal = keep(b, "JOURNAL", jb, sizeof jb);
	const char *title = keep(b, "BATCH_TITLE", tb, sizeof tb);
	const char *date = keep(b, "BATCH_DATE", bd, sizeof bd);
	const char *ref = keep(b, "REFERENCENO", rf, sizeof rf);
	json_t *lines = json_array();
	char rb[32];
	const char *upd = update ? keep(b, "RECORDNO", rb, sizeof rb) : NULL;
	json_t *old = upd ? find(glbatches, "RECORDNO", upd) : NULL;
	if (update && !old)
		snprintf(d2, sizeof d2, "Invalid RECORDNO %s: no such journal entry",
			upd ? upd : "(none)");
	else if (!IN(journal, journals))
		snprintf(d2, sizeof d2, "Invalid Journal %s", journal ? journal : "(none)");
	else if (!real_us_date(date))
		snprintf(d2, sizeof d2, "Invalid Batch Date; use mm/dd/yyyy");
	else if (empty(title))
		snprintf(d2, sizeof d2, "Required field Description is missing");
	xmlNode *entries = child(b, "ENTRIES");
	for (xmlNode *e = entries ? entries->children : NULL; e && !*d2; e = e->next) {
		if (e->type != XML_ELEMENT_NODE)
			continue;
		n++;
		const char *acct = text(e, "ACCOUNTNO"), *tr = text(e, "TR_TYPE");
		const char *lc = text(e, "CURRENCY"), *loc = text(e, "LOCATION");
		const char *dept = text(e, "DEPARTMENT");
		long long c;
		if (empty(lc))
			lc = "USD";
		if (!IN(acct, accounts))
			snprintf(d2, sizeof d2, "Invalid Account %s", acct ? acct : "(none)");
		else if (!empty(loc) && !IN(loc, locations))
			snprintf(d2, sizeof d2, "Invalid Location %s on line %d", loc, n);
		else if (!empty(dept) && !IN(dept, departments))
			snprintf(d2, sizeof d2, "Invalid Department %s on line %d", dept, n);
		else if (*cur && strcmp(cur, lc))
			snprintf(d2, sizeof d2, "Currency %s on line %d is not the entry's %s", lc, n,
				cur);
		else if (fixed(text(e, "TRX_AMOUNT"), 2, &c) != 0 || c <= 0)
			snprintf(d2, sizeof d2, "Amount must be greater than 0 on line %d", n);
		else if (!tr || (strcmp(tr, "1") && strcmp(tr, "-1")))
			snprintf(d2, sizeof d2, "TR_TYPE must be 1 (debit) or -1 (credit) on line %d", n);
		else if (gl_rate(e, lc, date, d2, sizeof d2) != 0)
			;
		else {
			snprintf(cur, sizeof cur, "%s", lc);
			*(!strcmp(tr, "1") ? &debit : &credit) += c;
			json_array_append_new(lines, json_pack("[s,s,I,i]", acct, lc, (json_int_t)c,
				!strcmp(tr, "1") ? 1 : -1));
		}
	}
	if (!*d2 && n < 2)
		snprintf(d2, sizeof d2, "A journal entry needs at least two lines");
	else if (!*d2 && debit != credit)
		snprintf(d2, sizeof d2, "Debits and credits are not equal");
	if (*d2) {
		json_decref(lines);
		fail(op, fn, cid, "BL03000018", update ? "Could not update GLBatch record!" :
			"Could not create GLBatch record!", d2, "");
		return;
	}
	char tot[40];
	cents_text(debit, tot, sizeof tot);
	const char *rec = update ? upd : next_recordno();
	json_t *batch = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "RECORDNO", rec,
		"JOURNAL", journal, "BATCH_DATE", date, "BATCH_TITLE", title,
		"REFERENCENO", ref ? ref : "", "CURRENCY", cur, "TOTAL", tot);
	if (old) {
		json_object_update(old, batch);
		json_decref(batch);
	} else {
		json_array_append_new(glbatches, batch);
	}
	json_object_set_new(glentries, rec, lines);
	xmlNode *r = result(op, "success", fn, cid);
	xmlNode *data = xmlNewChild(r, NULL, BAD_CAST "data", NULL);
	xmlNewProp(data, BAD_CAST "listtype", BAD_CAST "objects");
	xmlNewProp(data, BAD_CAST "count", BAD_CAST "1");
	add(xmlNewChild(data, NULL, BAD_CAST "glbatch", NULL), "RECORDNO", rec);
}

/* ---- readByQuery / readMore ------------------------------------------------ */

static json_t *
object_list(const char *object)
{
	static const struct { const char *name; json_t **list; } objs[] = {
		{ "CUSTOMER", &customers }, { "CONTACT", &contacts }, { "SODOCUMENT", &sodocs },
		{ "ARINVOICE", &arinvoices },
		{ "ARPYMT", &arpymts }, { "GLBATCH", &glbatches }, { "ARADJUSTMENT", &aradjs },
		{ "ITEM", &itemrecs }, { "ICDOCUMENT", &ictrans },
		{ "EXCHANGERATETYPES", &ratetypes }, { "EXCHANGERATE", &exrates },
		{ "EXCHANGERATEENTRY", &exentries },
	};
	for (size_t i = 0; object && i < sizeof objs / sizeof *objs; i++)
		if (!strcasecmp(object, objs[i].name))
			return *objs[i].list;
	return NULL;
}

/* A readByQuery query: "" (everything), or terms FIELD = 'value',
 * FIELD >= 'value' and FIELD <= 'value' joined by OR, or by AND (not both); a quote inside a
 * value doubled.  Dates and times compare as times (WHENMODIFIED >=
 * '12/05/2026 04:40:00'), other values as text. */
#define QUERY_TERMS 8
typedef struct {
	struct {
		char field[64], value[256];
		int ge;          /* 1 >=, -1 <=, 0 = */
	} t[QUERY_TERMS];
	int n, any;
} query_t;

/* 0, or -1 when the query is not of that form. */
static int
parse_query(const char *q, query_t *out)
{
	int joined = -1; /* -1 none yet, 0 AND, 1 OR */
	out->n = 0;
	out->any = 0;
	while (q && *q == ' ')
		q++;
	if (!q || !*q)
		return 0;
	for (;;) {
		if (out->n == QUERY_TERMS)
			return -1;
		char *field = out->t[out->n].field, *value = out->t[out->n].value;
		size_t n = 0, fl = sizeof out->t[0].field, vl = sizeof out->t[0].value;
		while (*q && *q != ' ' && *q != '=' && *q != '>' && *q != '<' && n + 1 < fl)
			field[n++] = *q++;
		field[n] = 0;
		while (*q == ' ')
			q++;
		out->t[out->n].ge = *q == '>' ? 1 : *q == '<' ? -1 : 0;
		if (*q == '>' || *q == '<')
			q++;
		if (!n || *q++ != '=')
			return -1;
		while (*q == ' ')
			q++;
		if (*q++ != '\'')
			return -1;
		n = 0;
		for (; *q && n + 1 < vl; q++) {
			if (*q == '\'' && q[1] == '\'') /* a doubled quote is one quote */
				q++;
			else if (*q == '\'')
				break;
			value[n++] = *q;
		}
		value[n] = 0;
		if (*q++ != '\'')
			return -1;
		out->n++;
		while (*q == ' ')
			q++;
		if (!*q)
			return 0;
		int or = !strncasecmp(q, "OR ", 3);
		if (!or && strncasecmp(q, "AND ", 4) != 0)
			return -1;
		if (joined >= 0 && joined != or)
			return -1;
		joined = or;
		out->any = or;
		q += or ? 3 : 4;
		while (*q == ' ')
			q++;
	}
}

/* "mm/dd/yyyy[ HH:MM:SS]" as "yyyymmddHHMMSS" in buf; 0, or -1 when s is
 * not one. */
static int
sortable(const char *s, char *buf, size_t n)
{
	unsigned mo, d, y, h = 0, mi = 0, se = 0;
	int k = 0, k2 = 0;
	if (sscanf(s, "%2u/%2u/%4u%n", &mo, &d, &y, &k) != 3 || k != 10)
		return -1;
	if (s[10] && (sscanf(s + 10, " %2u:%2u:%2u%n", &h, &mi, &se, &k2) != 3 || s[10 + k2]))
		return -1;
	snprintf(buf, n, "%04u%02u%02u%02u%02u%02u", y, mo, d, h, mi, se);
	return 0;
}

static int
matches(json_t *rec, const query_t *q)
{
	for (int i = 0; i < q->n; i++) {
		const char *v = json_string_value(json_object_get(rec, q->t[i].field));
		char a[32], b[32];
		int hit;
		if (!v)
			hit = 0;
		else if (!q->t[i].ge)
			hit = !strcmp(v, q->t[i].value);
		else if (sortable(v, a, sizeof a) == 0 && sortable(q->t[i].value, b, sizeof b) == 0)
			hit = strcmp(a, b) * q->t[i].ge >= 0;
		else
			hit = *v && strcmp(v, q->t[i].value) * q->t[i].ge >= 0;
		if (hit && q->any)
			return 1;
		if (!hit && !q->any)
			return 0;
	}
	return !q->any || q->n == 0;
}

/* key's value under x, "A.B" as <A><B>value</B></A> (one <A> for all its
 * fields), as Intacct answers a record's nested objects. */
static void
add_path(xmlNode *x, const char *key, const char *value)
{
	char seg[128];
	const char *dot;
	while ((dot = strchr(key, '.')) != NULL) {
		snprintf(seg, sizeof seg, "%.*s", (int)(dot - key), key);
		xmlNode *c = child(x, seg);
		x = c ? c : xmlNewChild(x, NULL, BAD_CAST seg, NULL);
		key = dot + 1;
	}
	add(x, key, value);
}

/* One page of set (a result set object) as the function's data. */
static void
page(xmlNode *op, const char *fname, const char *cid, const char *rid, json_t *set)
{
	json_t *rows = json_object_get(set, "rows");
	size_t at = (size_t)json_integer_value(json_object_get(set, "at"));
	size_t size = (size_t)json_integer_value(json_object_get(set, "size"));
	size_t total = json_array_size(rows), count = total - at < size ? total - at : size;
	const char *type = json_string_value(json_object_get(set, "type"));
	xmlNode *r = result(op, "success", fname, cid);
	xmlNode *data = xmlNewChild(r, NULL, BAD_CAST "data", NULL);
	char b[32], lower[32];
	size_t k;
	for (k = 0; type[k] && k + 1 < sizeof lower; k++)
		lower[k] = (char)(type[k] >= 'A' && type[k] <= 'Z' ? type[k] - 'A' + 'a' : type[k]);
	lower[k] = 0;
	xmlNewProp(data, BAD_CAST "listtype", BAD_CAST lower);
	snprintf(b, sizeof b, "%zu", count);
	xmlNewProp(data, BAD_CAST "count", BAD_CAST b);
	snprintf(b, sizeof b, "%zu", total);
	xmlNewProp(data, BAD_CAST "totalcount", BAD_CAST b);
	snprintf(b, sizeof b, "%zu", total - at - count);
	xmlNewProp(data, BAD_CAST "numremaining", BAD_CAST b);
	if (total - at - count > 0)
		xmlNewProp(data, BAD_CAST "resultId", BAD_CAST rid);
	json_t *fields = json_object_get(set, "fields");
	for (size_t i = at; i < at + count; i++) {
		json_t *row = json_array_get(rows, i);
		xmlNode *x = xmlNewChild(data, NULL, BAD_CAST lower, NULL);
		const char *f;
		json_t *v;
		json_object_foreach(row, f, v) {
			size_t j;
			json_t *want;
			int keep = json_array_size(fields) == 0;
			json_array_foreach(fields, j, want)
				keep |= !strcasecmp(json_string_value(want), f);
			if (keep)
				add_path(x, f, json_string_value(v));
		}
	}
	json_object_set_new(set, "at", json_integer((json_int_t)(at + count)));
	if (at + count >= total)
		json_object_del(resultsets, rid);
}

static void
read_by_query(xmlNode *op, xmlNode *f, const char *cid)
{
	const char *object = text(f, "object");
	json_t *src = object_list(object);
	query_t qy;
	if (!src) {
		fail(op, "readByQuery", cid, "DL02000001", "", "Invalid object", "");
		return;
	}
	if (parse_query(text(f, "query"), &qy) != 0) {
		fail(op, "readByQuery", cid, "DL02000001", "", "Invalid query",
			"Use FIELD = 'value', FIELD >= 'value' or FIELD <= 'value' terms joined by OR "
			"or AND, or an "
			"empty query");
		return;
	}
	const char *ps = text(f, "pagesize");
	long size = ps ? strtol(ps, NULL, 10) : 100;
	if (size <= 0 || size > 1000)
		size = size <= 0 ? 100 : 1000;
	json_t *rows = json_array(), *fields = json_array();
	size_t i;
	json_t *x;
	json_array_foreach(src, i, x)
		if (matches(x, &qy))
			json_array_append_new(rows, json_deep_copy(x));
	const char *fl = text(f, "fields");
	if (fl && strcmp(fl, "*") != 0) {
		char buf[512];
		snprintf(buf, sizeof buf, "%s", fl);
		for (char *save, *t = strtok_r(buf, ", ", &save); t; t = strtok_r(NULL, ", ", &save))
			json_array_append_new(fields, json_string(t));
	}
	char rid[64], upper[32];
	snprintf(rid, sizeof rid, "%u-%u-sandbox", seed_no, ++nresult);
	snprintf(upper, sizeof upper, "%s", object);
	for (char *c = upper; *c; c++)
		*c = (char)(*c >= 'a' && *c <= 'z' ? *c - 'a' + 'A' : *c);
	json_t *set = json_pack("{s:o,s:o,s:i,s:i,s:s}", "rows", rows, "fields", fields, "at", 0,
		"size", (int)size, "type", upper);
	json_object_set_new(resultsets, rid, set);
	page(op, "readByQuery", cid, rid, set);
}

static void
read_more(xmlNode *op, xmlNode *f, const char *cid)
{
	const char *rid = text(f, "resultId");
	json_t *set = rid ? json_object_get(resultsets, rid) : NULL;
	if (!set) {
		char d[300];
		snprintf(d, sizeof d, "Attempt to readMore with an invalid or finished resultId %s",
			rid ? rid : "(none)");
		fail(op, "readMore", cid, "DL02000001", "", d, "Run readByQuery again");
		return;
	}
	char id[64];
	snprintf(id, sizeof id, "%s", rid);
	page(op, "readMore", cid, id, set);
}

/* ---- the gateway ---------------------------------------------------------------- */

/* Write functions are checked against the controlids already completed. */
static int
is_write(const char *verb)
{
	static const char *const writes[] = { "create", "update", "create_sotransaction",
		"update_sotransaction", "delete_sotransaction", "reverse_arpayment",
		"create_aradjustment", "update_aradjustment", "delete_aradjustment",
		"create_ictransaction" };
	return IN(verb, writes);
}

static void
function(xmlNode *op, xmlNode *f, int unique)
{
	xmlChar *fid = xmlGetProp(f, BAD_CAST "controlid");
	const char *fc = fid ? (const char *)fid : "";
	xmlNode *verb = NULL;
	for (xmlNode *v = f->children; v && !verb; v = v->next)
		if (v->type == XML_ELEMENT_NODE)
			verb = v;
	const char *vn = verb ? (const char *)verb->name : "";
	xmlNode *obj = NULL;
	for (xmlNode *v = verb ? verb->children : NULL; v && !obj; v = v->next)
		if (v->type == XML_ELEMENT_NODE)
			obj = v;
	const char *on = obj ? (const char *)obj->name : "";
	xmlNode *last = op->last;
	if (is_write(vn) && unique && *fc && json_object_get(functions, fc)) {
		char d[400];
		snprintf(d, sizeof d, "A successful transaction has already been recorded with the "
			"control id %s.", fc);
		fail(op, vn, fc, DUP_ERRNO, "", d,
			"Use a new function controlid, or set uniqueid to false.");
	} else if (!strcmp(vn, "create") && !strcmp(on, "CUSTOMER")) {
		create_customer(op, obj, fc);
	} else if (!strcmp(vn, "update") && !strcmp(on, "CUSTOMER")) {
		update_customer(op, obj, fc);
	} else if (!strcmp(vn, "create") && !strcmp(on, "CONTACT")) {
		create_contact(op, obj, fc);
	} else if (!strcmp(vn, "update") && !strcmp(on, "CONTACT")) {
		update_contact(op, obj, fc);
	} else if (!strcmp(vn, "create") && !strcmp(on, "ARPYMT")) {
		create_arpymt(op, obj, fc);
	} else if ((!strcmp(vn, "create") || !strcmp(vn, "update")) && !strcmp(on, "GLBATCH")) {
		write_glbatch(op, obj, fc, !strcmp(vn, "update"));
	} else if (!strcmp(vn, "create") && !strcmp(on, "ITEM")) {
		create_item(op, obj, fc);
	} else if (!strcmp(vn, "update") && !strcmp(on, "ITEM")) {
		update_item(op, obj, fc);
	} else if (!strcmp(vn, "create_ictransaction")) {
		create_ictransaction(op, verb, fc);
	} else if (!strcmp(vn, "update") && !strcmp(on, "ARPYMT")) {
		update_arpymt(op, obj, fc);
	} else if (!strcmp(vn, "create_sotransaction")) {
		create_sotransaction(op, verb, fc);
	} else if (!strcmp(vn, "update_sotransaction")) {
		update_sotransaction(op, verb, fc);
	} else if (!strcmp(vn, "delete_sotransaction")) {
		delete_sotransaction(op, verb, fc);
	} else if (!strcmp(vn, "reverse_arpayment")) {
		reverse_arpayment(op, verb, fc);
	} else if (!strcmp(vn, "create_aradjustment")) {
		create_aradjustment(op, verb, fc);
	} else if (!strcmp(vn, "update_aradjustment")) {
		update_aradjustment(op, verb, fc);
	} else if (!strcmp(vn, "delete_aradjustment")) {
		delete_aradjustment(op, verb, fc);
	} else if (!strcmp(vn, "readByQuery")) {
		read_by_query(op, verb, fc);
	} else if (!strcmp(vn, "readMore")) {
		read_more(op, verb, fc);
	} else if (!strcmp(vn, "getAPISession")) {
		xmlNode *res = result(op, "success", "getAPISession", fc);
		xmlNode *api = xmlNewChild(xmlNewChild(res, NULL, BAD_CAST "data", NULL), NULL,
			BAD_CAST "api", NULL);
		add(api, "sessionid", new_session());
		add(api, "endpoint", "/intacct/ia/xml/xmlgw.phtml");
		add(api, "locationid", "");
	} else {
		char d[200];
		snprintf(d, sizeof d, "Unknown function %s %s", vn, on);
		fail(op, vn, fc, "XL03000003", "", d, "");
	}
	/* a write that worked is recorded as executed and completed */
	xmlNode *r = op->last;
	if (is_write(vn) && *fc && r != last && text(r, "status") &&
	    !strcmp(text(r, "status"), "success"))
		json_object_set_new(functions, fc, json_true());
	xmlFree(fid);
}

static void
iso_time(time_t t, char *buf, size_t n)
{
	strftime(buf, n, "%Y-%m-%dT%H:%M:%S+00:00", gmtime(&t));
}

static void
operation(xmlNode *resp, xmlNode *opn, int unique)
{
	xmlNode *op = xmlNewChild(resp, NULL, BAD_CAST "operation", NULL);
	xmlNode *auth = child(opn, "authentication");
	xmlNode *login = child(auth, "login");
	const char *sid = text(auth, "sessionid");
	int by_login = login && text(login, "userid") && !strcmp(text(login, "userid"), USER) &&
		text(login, "companyid") && !strcmp(text(login, "companyid"), COMPANY) &&
		text(login, "password") && !strcmp(text(login, "password"), USER_PW);
	int ok = by_login || session_ok(sid);
	xmlNode *a = xmlNewChild(op, NULL, BAD_CAST "authentication", NULL);
	add(a, "status", ok ? "success" : "failure");
	add(a, "userid", USER);
	add(a, "companyid", COMPANY);
	if (!ok) {
		error(op, "XL03000006", "", "Sign-in information is incorrect", "");
		return;
	}
	char ts[40];
	iso_time(time(NULL), ts, sizeof ts);
	add(a, "sessiontimestamp", ts);
	if (!by_login) {
		iso_time((time_t)json_integer_value(json_object_get(sessions, sid)), ts, sizeof ts);
		add(a, "sessiontimeout", ts);
	}
	xmlNode *content = child(opn, "content");
	for (xmlNode *f = content ? content->children : NULL; f; f = f->next)
		if (f->type == XML_ELEMENT_NODE && !strcmp((const char *)f->name, "function"))
			function(op, f, unique);
}

/* ---- books (GET /_sandbox/books?service=intacct) ------------------------------ */

/* cur's {sales, cash, receivable} in cents, in books (made on first use). */
static json_t *
ledger(json_t *books, const char *cur)
{
	json_t *b = json_object_get(books, empty(cur) ? "USD" : cur);
	if (!b) {
		b = json_pack("{s:I,s:I,s:I}", "sales", (json_int_t)0, "cash", (json_int_t)0,
			"receivable", (json_int_t)0);
		json_object_set_new(books, empty(cur) ? "USD" : cur, b);
	}
	return b;
}

static void
book(json_t *b, const char *what, long long cents)
{
	json_object_set_new(b, what, json_integer(json_integer_value(json_object_get(b, what)) +
		cents));
}

static long long
cents_of(json_t *rec, const char *field)
{
	long long c = 0;
	fixed(get(rec, field), 2, &c);
	return c;
}

/* A document's rate into the base currency, in units of 10^-10 (1 when it
 * has none: a document in the base currency). */
static long long
units_of(json_t *rec)
{
	long long m = RATE_ONE;
	if (!empty(get(rec, "EXCHANGE_RATE")))
		rate_units(get(rec, "EXCHANGE_RATE"), &m);
	return m;
}

/* Per currency, from the documents alone: sales = the AR invoices the
 * sales transactions posted (a deleted one is gone) plus the posted
 * adjustments' lines to sales accounts (a credit memo's are negative);
 * cash = the payments not reversed minus adjustment lines to the accounts
 * money is kept in (a refund paid out); receivable = the invoices' and the
 * posted adjustments' own TOTALDUE (a credit memo's unapplied credit is
 * negative).  "home": the same in the base currency, each document's
 * amounts at its own rate, half to even to the cent (as Intacct keeps a
 * foreign transaction's base amounts). */
json_t *
sb_intacct_books(void)
{
	json_t *bk = json_object(), *x, *home = json_pack("{s:I,s:I,s:I}", "sales",
		(json_int_t)0, "cash", (json_int_t)0, "receivable", (json_int_t)0);
	size_t i;
	json_array_foreach(arinvoices, i, x) {
		json_t *b = ledger(bk, get(x, "CURRENCY"));
		book(b, "sales", cents_of(x, "TOTALENTERED"));
		book(b, "receivable", cents_of(x, "TOTALDUE"));
		book(home, "sales", base_cents(cents_of(x, "TOTALENTERED"), units_of(x)));
		book(home, "receivable", base_cents(cents_of(x, "TOTALDUE"), units_of(x)));
	}
	json_array_foreach(arpymts, i, x)
		if (strcmp(get(x, "STATE"), "Reversed") != 0) {
			book(ledger(bk, get(x, "CURRENCY")), "cash", cents_of(x, "TOTALENTERED"));
			book(home, "cash", base_cents(cents_of(x, "TOTALENTERED"), units_of(x)));
		}
	json_array_foreach(aradjs, i, x) {
		if (!strcmp(get(x, "STATE"), "Draft"))
			continue;
		json_t *b = ledger(bk, get(x, "CURRENCY")), *l;
		size_t j;
		json_array_foreach(json_object_get(adjlines, get(x, "RECORDNO")), j, l) {
			long long c = json_integer_value(json_array_get(l, 1));
			int money = IN(json_string_value(json_array_get(l, 0)), money_accounts);
			book(b, money ? "cash" : "sales", money ? -c : c);
			book(home, money ? "cash" : "sales", base_cents(money ? -c : c, units_of(x)));
		}
		book(b, "receivable", cents_of(x, "TOTALDUE"));
		book(home, "receivable", base_cents(cents_of(x, "TOTALDUE"), units_of(x)));
	}
	const char *cur;
	json_t *b, *out = json_object();
	json_object_foreach(bk, cur, b) {
		char s[40], c[40], r[40];
		cents_text(json_integer_value(json_object_get(b, "sales")), s, sizeof s);
		cents_text(json_integer_value(json_object_get(b, "cash")), c, sizeof c);
		cents_text(json_integer_value(json_object_get(b, "receivable")), r, sizeof r);
		json_object_set_new(out, cur, json_pack("{s:s,s:s,s:s}", "sales", s, "cash", c,
			"receivable", r));
	}
	json_decref(bk);
	/* each inventory item's quantity on hand, as the books hold it */
	json_t *oh = json_object();
	json_array_foreach(itemrecs, i, x)
		if (stocked(x))
			json_object_set_new(oh, get(x, "ITEMID"), json_string(get(x, "IONHAND")));
	json_object_set_new(out, "onhand", oh);
	/* each account's balance per currency from the journal entries (GL
	 * batches), debits positive: "gl": {"USD": {"1010": "12.34", ...}} */
	json_t *gl = json_object(), *lines;
	const char *rec;
	json_object_foreach(glentries, rec, lines) {
		json_t *l;
		json_array_foreach(lines, i, l) {
			const char *c = json_string_value(json_array_get(l, 1));
			const char *a = json_string_value(json_array_get(l, 0));
			json_t *per = json_object_get(gl, c);
			if (!per)
				json_object_set_new(gl, c, per = json_object());
			json_object_set_new(per, a, json_integer(json_integer_value(json_object_get(per,
				a)) + json_integer_value(json_array_get(l, 2)) *
				json_integer_value(json_array_get(l, 3))));
		}
	}
	json_object_foreach(gl, cur, b) {
		const char *a;
		json_t *v;
		json_object_foreach(b, a, v) {
			char t[40];
			cents_text(json_integer_value(v), t, sizeof t);
			json_object_set_new(b, a, json_string(t));
		}
	}
	json_object_set_new(out, "gl", gl);
	char hs[40], hc[40], hr[40];
	cents_text(json_integer_value(json_object_get(home, "sales")), hs, sizeof hs);
	cents_text(json_integer_value(json_object_get(home, "cash")), hc, sizeof hc);
	cents_text(json_integer_value(json_object_get(home, "receivable")), hr, sizeof hr);
	json_object_set_new(out, "home", json_pack("{s:s,s:s,s:s,s:s}", "currency", BASE_CURRENCY,
		"sales", hs, "cash", hc, "receivable", hr));
	json_decref(home);
	return out;
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
	int unique = !uniq || strcmp(uniq, "false") != 0; /* true is the default */
	int ok_sender = ctl && text(ctl, "senderid") && !strcmp(text(ctl, "senderid"), SENDER) &&
		text(ctl, "password") && !strcmp(text(ctl, "password"), SENDER_PW);
	add(control, "status", ok_sender ? "success" : "failure");
	add(control, "senderid", ctl ? text(ctl, "senderid") : "");
	add(control, "controlid", ctlid);
	add(control, "uniqueid", unique ? "true" : "false");
	add(control, "dtdversion", "3.0");
	if (!req)
		error(resp, "XL03000003", "", "XML Parse schema error: the request is not "
			"well-formed XML", "");
	else if (!ok_sender)
		error(resp, "XL03000006", "", "Incorrect Intacct XML Partner ID or password.", "");
	else
		operation(resp, child(req, "operation"), unique);
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

/* The default type's rates into the base currency, {"EUR": {"2026-11-05":
 * "1.0437"}}, for a reconciliation in the base currency. */
static json_t *
dump_rates(void)
{
	json_t *out = json_object(), *er, *en;
	size_t i, j;
	json_array_foreach(exrates, i, er) {
		if (strcmp(get(er, "TYPENAME"), default_type()) != 0)
			continue;
		json_t *days = json_object();
		json_array_foreach(exentries, j, en) {
			const char *d = get(en, "EFFECTIVESTARTDATE");
			char iso[16];
			if (strcmp(get(en, "EXCHANGERATEID"), get(er, "RECORDNO")) != 0 || strlen(d) != 10)
				continue;
			snprintf(iso, sizeof iso, "%.4s-%.2s-%.2s", d + 6, d, d + 3);
			json_object_set_new(days, iso, json_string(get(en, "VALUE")));
		}
		json_object_set_new(out, get(er, "FROM_CURRENCY"), days);
	}
	return out;
}

static json_t *
dump(void)
{
	json_t *d = json_pack("{s:O,s:O,s:O,s:O,s:O,s:O,s:O,s:O,s:O,s:O,s:i,s:s,s:s,s:s,s:s,s:s}",
		"CUSTOMER", customers, "CONTACT", contacts, "SODOCUMENT", sodocs, "SOTRANSITEMS",
		soitems, "ARINVOICE", arinvoices, "ARPYMT", arpymts, "ARADJUSTMENT", aradjs, "GLBATCH",
		glbatches, "ITEM", itemrecs, "ICDOCUMENT", ictrans, "functions_completed",
		(int)json_object_size(functions), "senderid",
		SENDER, "sender_password", SENDER_PW, "companyid", COMPANY, "userid", USER,
		"user_password", USER_PW);
	json_object_set_new(d, "ExchangeRates", dump_rates());
	json_object_set_new(d, "basecurrency", json_string(BASE_CURRENCY));
	return d;
}

/* POST /_sandbox/documents: a CUSTOMER as it is imported; an
 * EXCHANGERATEENTRY {TYPENAME (the default type when none), FROM_CURRENCY,
 * EFFECTIVESTARTDATE mm/dd/yyyy, VALUE} as a person enters a rate into the
 * base currency. */
static const char *
place(const char *collection, json_t *doc)
{
	if (!strcmp(collection, "EXCHANGERATEENTRY")) {
		const char *ty = get(doc, "TYPENAME"), *code = get(doc, "FROM_CURRENCY");
		const char *day = get(doc, "EFFECTIVESTARTDATE");
		long long units;
		int ok = code && strlen(code) == 3 && strcmp(code, BASE_CURRENCY) && real_us_date(day) &&
			rate_units(get(doc, "VALUE"), &units) == 0;
		if (ok)
			add_rate(empty(ty) ? default_type() : ty, code, day, units);
		json_decref(doc);
		return ok ? "EXCHANGERATEENTRY" : NULL;
	}
	if (strcmp(collection, "CUSTOMER") != 0) {
		json_decref(doc);
		return NULL;
	}
	const char *rec = next_recordno();
	json_object_set_new(doc, "RECORDNO", json_string(rec));
	if (empty(get(doc, "CUSTOMERID")))
		json_object_set_new(doc, "CUSTOMERID", json_string(rec));
	if (empty(get(doc, "STATUS")))
		json_object_set_new(doc, "STATUS", json_string("active"));
	json_array_append_new(customers, doc);
	return get(doc, "CUSTOMERID");
}

const sb_service sb_intacct = { "intacct", "/intacct", seed, handle, dump, place };
