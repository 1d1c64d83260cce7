/*
 * test_conn_intacct.c - the Sage Intacct connector against the sandbox
 * binary named by MW_SANDBOX (started here on a free port): a customer, a
 * sales invoice and a payment applied to it created with their ids (the
 * invoice's id is its AR invoice RECORDNO); the same request key sent again
 * creates nothing and returns the same ids (Intacct refuses the repeated
 * function controlids, the connector finds the documents); a bad item fails
 * alone with Intacct's words; an update; a paid invoice and a posted payment
 * not edited (Intacct's refusals), a credit memo, a payment reversed (void),
 * an unpaid invoice updated (a new AR invoice) and voided (deleted), the
 * books after it all; find(); the company's exchange rates (rate: the
 * default type's rate of a day, the latest before it, none yet, one
 * entered); a 503 classified
 * HTTP_TRANSIENT; a dry run that sends nothing and shows no password.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "conn.h"
#include "sandbox.h"

#define CHECK_AREA "conn_intacct"
#include "check.h"

#define sandbox(m, p, b) sb_call(plain, root, (m), (p), (b))
#define item sb_item
static char root[128];
static http_client *plain;

static char endpoint[200];

static const char *
setting(void *arg, const char *key)
{
	static const char *const kv[][2] = {
		{ "sender_id", "sandbox-sender" }, { "sender_password", "sandbox-sender-pw" },
		{ "company_id", "sandbox-co" }, { "user_id", "sandbox-user" },
		{ "user_password", "sandbox-user-pw" },
	};
	if (!strcmp(key, "endpoint"))
		return arg ? arg : endpoint;
	for (size_t i = 0; i < sizeof kv / sizeof *kv; i++)
		if (!strcmp(key, kv[i][0]))
			return kv[i][1];
	return NULL;
}

/* How many records of object the sandbox holds, and the one whose field is
 * value (a new reference, or NULL). */
static size_t
count(const char *object)
{
	json_t *d = sandbox("GET", "/_sandbox/dump?service=intacct", NULL);
	size_t n = json_array_size(json_object_get(d, object));
	json_decref(d);
	return n;
}

static json_t *
stored(const char *object, const char *field, const char *value)
{
	json_t *d = sandbox("GET", "/_sandbox/dump?service=intacct", NULL), *x, *out = NULL;
	size_t i;
	json_array_foreach(json_object_get(d, object), i, x) {
		const char *v = json_string_value(json_object_get(x, field));
		if (!out && v && value && !strcmp(v, value))
			out = json_incref(x);
	}
	json_decref(d);
	return out;
}

static const char *
field(json_t *x, const char *f)
{
	const char *v = json_string_value(json_object_get(x, f));
	return v ? v : "";
}

#define CUST1 "<CUSTOMER><CUSTOMERID>C-T1</CUSTOMERID><NAME>Ada Lovelace</NAME>" \
	"<STATUS>active</STATUS></CUSTOMER>"
#define CUST2 "<CUSTOMER><CUSTOMERID>C-T2</CUSTOMERID><NAME>Alan Turing</NAME></CUSTOMER>"
#define NONAME "<CUSTOMER><CUSTOMERID>C-T3</CUSTOMERID></CUSTOMER>"
#define SALE "<create_sotransaction><transactiontype>Sales Invoice</transactiontype>" \
	"<datecreated><year>2026</year><month>11</month><day>28</day></datecreated>" \
	"<customerid>C-T1</customerid><documentno>SO-T1</documentno>" \
	"<referenceno>SO-T1</referenceno><sotransitems><sotransitem><itemid>MUG-01</itemid>" \
	"<quantity>2</quantity><unit>Each</unit><price>19.99</price>" \
	"<locationid>L-NYC</locationid></sotransitem><sotransitem><itemid>TAX</itemid>" \
	"<quantity>1</quantity><price>3.20</price></sotransitem></sotransitems>" \
	"</create_sotransaction>"

/* a second sale, its mug at PRICE: 2 x PRICE + 3.20 */
#define SALE2(price) "<create_sotransaction><transactiontype>Sales Invoice</transactiontype>" \
	"<datecreated><year>2026</year><month>11</month><day>29</day></datecreated>" \
	"<customerid>C-T1</customerid><documentno>SO-T2</documentno>" \
	"<referenceno>SO-T2</referenceno><sotransitems><sotransitem><itemid>MUG-01</itemid>" \
	"<quantity>2</quantity><price>" price "</price></sotransitem><sotransitem>" \
	"<itemid>TAX</itemid><quantity>1</quantity><price>3.20</price></sotransitem>" \
	"</sotransitems></create_sotransaction>"

/* Records list() and get() handed out: the parsed records and their stamps. */
typedef struct {
	json_t *recs;
	char newest[32], oldest[32];
} listed_t;

static int
collect(void *arg, const char *json, size_t len, const char *stamp)
{
	listed_t *l = arg;
	json_t *j = json_loadb(json, len, 0, NULL);
	if (!j)
		return -1;
	json_object_set_new(j, "_stamp", json_string(stamp));
	json_array_append_new(l->recs, j);
	if (strcmp(stamp, l->newest) > 0)
		snprintf(l->newest, sizeof l->newest, "%s", stamp);
	if (!*l->oldest || strcmp(stamp, l->oldest) < 0)
		snprintf(l->oldest, sizeof l->oldest, "%s", stamp);
	return 0;
}

static json_t *
listed_one(listed_t *l, const char *field, const char *value)
{
	size_t i;
	json_t *x;
	json_array_foreach(l->recs, i, x)
		if (!strcmp(json_string_value(json_object_get(x, field)) ?
			json_string_value(json_object_get(x, field)) : "", value))
			return x;
	return NULL;
}

/* One function sent to the gateway as the sandbox's login (an Intacct call
 * the connector does not make: a receipt, a shipper made in the books). */
static void
gateway(const char *function)
{
	char body[4096];
	snprintf(body, sizeof body, "<request><control><senderid>sandbox-sender</senderid>"
		"<password>sandbox-sender-pw</password><controlid>t</controlid><uniqueid>false"
		"</uniqueid><dtdversion>3.0</dtdversion></control><operation><authentication>"
		"<login><userid>sandbox-user</userid><companyid>sandbox-co</companyid><password>"
		"sandbox-user-pw</password></login></authentication><content>%s</content>"
		"</operation></request>", function);
	json_decref(sandbox("POST", "/intacct/ia/xml/xmlgw.phtml", body));
}

int
main(void)
{
	const char *exe = getenv("MW_SANDBOX");
	if (!exe || !*exe) {
		printf("[FAIL] unit/conn_intacct: MW_SANDBOX not set\n");
		return 1;
	}
	char dir[] = "/tmp/mw-intacct-XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	pid_t pid = sb_start(exe, dir, NULL, root, sizeof root);
	if (pid < 0 || http_client_new(&plain, "test", 16u << 20) != 0) {
		printf("[FAIL] unit/conn_intacct: the sandbox did not start (%s)\n", exe);
		return 1;
	}
	snprintf(endpoint, sizeof endpoint, "%s/intacct/ia/xml/xmlgw.phtml", root);
	conn_env env = { "sage_intacct", setting, NULL, NULL, NULL, NULL, 10000, NULL };
	const conn_ops *ops = conn_find_ops("sage_intacct");
	check(ops == &conn_intacct && ops->max_batch >= 1, "registry", "");
	conn *c;
	conn_result res;
	check(conn_intacct.open(&env, &c, &res) == 0, "open-session", res.text);

	/* a customer, a sales invoice, a payment applied to its AR invoice */
	conn_item cu[2] = { item("CUSTOMER", CUST1, "k-cust-1"), item("CUSTOMER", CUST2, "k-cust-2") };
	cu[0].match_field = "CUSTOMERID", cu[0].match_value = "C-T1";
	cu[1].match_field = "CUSTOMERID", cu[1].match_value = "C-T2";
	int rc = conn_intacct.write(c, "req-cust", cu, 2, &res);
	check(rc == 0 && cu[0].res.cls == HTTP_OK && !strcmp(cu[0].id, "C-T1") &&
		!strcmp(cu[1].id, "C-T2") && count("CUSTOMER") == 2, "create-customers", cu[0].res.text);

	conn_item so = item("create_sotransaction", SALE, "k-order-1");
	rc = conn_intacct.write(c, "req-order", &so, 1, &res);
	json_t *inv = stored("ARINVOICE", "RECORDID", "SO-T1");
	check(rc == 0 && so.res.cls == HTTP_OK && inv && !strcmp(so.id, field(inv, "RECORDNO")) &&
		!strcmp(field(inv, "TOTALENTERED"), "43.18"), "create-sales-invoice-ar-key",
		so.res.text[0] ? so.res.text : so.id);
	json_decref(inv);
	char order_id[CONN_ID_MAX];
	snprintf(order_id, sizeof order_id, "%s", so.id);

	char pay_doc[1024];
	snprintf(pay_doc, sizeof pay_doc, "<ARPYMT><CUSTOMERID>C-T1</CUSTOMERID>"
		"<PAYMENTMETHOD>Credit Card</PAYMENTMETHOD><RECEIPTDATE>11/28/2026</RECEIPTDATE>"
		"<UNDEPOSITEDACCOUNTNO>1010</UNDEPOSITEDACCOUNTNO><DOCNUMBER>ch_T1</DOCNUMBER>"
		"<DESCRIPTION>Clarity order SO-T1</DESCRIPTION><TRX_AMOUNTTOPAY>43.18"
		"</TRX_AMOUNTTOPAY><ARPYMTDETAILS><ARPYMTDETAIL><RECORDKEY>%s</RECORDKEY>"
		"<TRX_PAYMENTAMOUNT>43.18</TRX_PAYMENTAMOUNT></ARPYMTDETAIL></ARPYMTDETAILS></ARPYMT>",
		order_id);
	conn_item pay = item("ARPYMT", pay_doc, "k-pay-1");
	rc = conn_intacct.write(c, "req-pay", &pay, 1, &res);
	json_t *p = stored("ARPYMT", "DOCNUMBER", "ch_T1");
	inv = stored("ARINVOICE", "RECORDID", "SO-T1");
	check(rc == 0 && pay.res.cls == HTTP_OK && p && !strcmp(pay.id, field(p, "RECORDNO")) &&
		!strcmp(field(inv, "STATE"), "Paid"), "create-payment-settles", pay.res.text);
	json_decref(p);
	json_decref(inv);
	char pay_id[CONN_ID_MAX];
	snprintf(pay_id, sizeof pay_id, "%s", pay.id);

	/* after a crash: exactly the same items under the same request keys */
	conn_item cu2[2] = { item("CUSTOMER", CUST1, "k-cust-1"), item("CUSTOMER", CUST2, "k-cust-2") };
	cu2[0].match_field = "CUSTOMERID", cu2[0].match_value = "C-T1";
	cu2[1].match_field = "CUSTOMERID", cu2[1].match_value = "C-T2";
	rc = conn_intacct.write(c, "req-cust", cu2, 2, &res);
	check(rc == 0 && cu2[0].res.cls == HTTP_OK && cu2[1].res.cls == HTTP_OK &&
		!strcmp(cu2[0].id, "C-T1") && !strcmp(cu2[1].id, "C-T2") && count("CUSTOMER") == 2,
		"resend-customers-found", cu2[0].res.text);
	conn_item so2 = item("create_sotransaction", SALE, "k-order-1");
	rc = conn_intacct.write(c, "req-order", &so2, 1, &res);
	check(rc == 0 && so2.res.cls == HTTP_OK && !strcmp(so2.id, order_id) &&
		count("SODOCUMENT") == 1 && count("ARINVOICE") == 1, "resend-order-found",
		so2.res.text[0] ? so2.res.text : so2.id);
	conn_item pay2 = item("ARPYMT", pay_doc, "k-pay-1");
	rc = conn_intacct.write(c, "req-pay", &pay2, 1, &res);
	check(rc == 0 && pay2.res.cls == HTTP_OK && !strcmp(pay2.id, pay_id) &&
		count("ARPYMT") == 1, "resend-payment-found", pay2.res.text);

	/* a bad item fails alone, in Intacct's words */
	conn_item mix[2] = { item("CUSTOMER", NONAME, "k-cust-3"),
		item("CUSTOMER", "<CUSTOMER><CUSTOMERID>C-T4</CUSTOMERID><NAME>Grace Hopper</NAME>"
			"</CUSTOMER>", "k-cust-4") };
	rc = conn_intacct.write(c, "req-mix", mix, 2, &res);
	check(rc == 0 && mix[0].res.cls == HTTP_PERMANENT &&
		strstr(mix[0].res.text, "Required field Name is missing") && !mix[0].id[0] &&
		mix[1].res.cls == HTTP_OK && !strcmp(mix[1].id, "C-T4") && count("CUSTOMER") == 3,
		"bad-item-alone", mix[0].res.text);
	conn_item broken = item("CUSTOMER", "<CUSTOMER><NAME>x</CUSTOMER>", "k-cust-5");
	rc = conn_intacct.write(c, "req-broken", &broken, 1, &res);
	check(rc == 0 && broken.res.cls == HTTP_PERMANENT && count("CUSTOMER") == 3,
		"malformed-document-refused", broken.res.text);

	/* an update by the id returned */
	conn_item up = item("CUSTOMER", "<CUSTOMER><NAME>Ada King</NAME></CUSTOMER>", "k-cust-1u");
	up.target_id = "C-T1";
	rc = conn_intacct.write(c, "req-update", &up, 1, &res);
	json_t *x = stored("CUSTOMER", "CUSTOMERID", "C-T1");
	check(rc == 0 && up.res.cls == HTTP_OK && !strcmp(up.id, "C-T1") &&
		!strcmp(field(x, "NAME"), "Ada King") && count("CUSTOMER") == 3, "update-customer",
		up.res.text);
	json_decref(x);
	/* the life of an order, as Intacct allows it: a paid invoice and a
	 * posted payment are not edited (Intacct's refusal, per item) */
	conn_item upso = item("create_sotransaction", SALE, "k-order-1u");
	upso.target_id = order_id;
	rc = conn_intacct.write(c, "req-update-so", &upso, 1, &res);
	check(rc == 0 && upso.res.cls == HTTP_PERMANENT &&
		strstr(upso.res.text, "has payments applied") && count("ARINVOICE") == 1,
		"update-paid-invoice-refused", upso.res.text);
	conn_item uppay = item("ARPYMT", pay_doc, "k-pay-1u");
	uppay.target_id = pay_id;
	rc = conn_intacct.write(c, "req-update-pay", &uppay, 1, &res);
	check(rc == 0 && uppay.res.cls == HTTP_PERMANENT &&
		strstr(uppay.res.text, "only a draft payment can be edited"),
		"update-posted-payment-refused", uppay.res.text);
	/* full refund: a credit memo, and the payment reversed */
	conn_item cm = item("create_aradjustment", "<create_aradjustment><customerid>C-T1"
		"</customerid><datecreated><year>2026</year><month>11</month><day>29</day>"
		"</datecreated><adjustmentno>CM-T1</adjustmentno><invoiceno>SO-T1</invoiceno>"
		"<aradjustmentitems><lineitem><glaccountno>4000</glaccountno><amount>-43.18</amount>"
		"</lineitem></aradjustmentitems></create_aradjustment>", "k-cm-1");
	rc = conn_intacct.write(c, "req-cm", &cm, 1, &res);
	x = stored("ARADJUSTMENT", "RECORDID", "CM-T1");
	check(rc == 0 && cm.res.cls == HTTP_OK && x && !strcmp(cm.id, field(x, "RECORDNO")) &&
		!strcmp(field(x, "TOTALDUE"), "-43.18"), "credit-memo", cm.res.text);
	json_decref(x);
	conn_item rev = item("ARPYMT", pay_doc, "k-pay-1v");
	rev.op = CONN_OP_VOID, rev.target_id = pay_id;
	rc = conn_intacct.write(c, "req-void-pay", &rev, 1, &res);
	x = stored("ARPYMT", "RECORDNO", pay_id);
	inv = stored("ARINVOICE", "RECORDID", "SO-T1");
	check(rc == 0 && rev.res.cls == HTTP_OK && !strcmp(rev.id, pay_id) &&
		!strcmp(field(x, "STATE"), "Reversed") && !strcmp(field(inv, "TOTALDUE"), "43.18"),
		"void-payment-reversed", rev.res.text);
	json_decref(x);
	json_decref(inv);
	conn_item rev2 = item("ARPYMT", pay_doc, "k-pay-1v2");
	rev2.op = CONN_OP_VOID, rev2.target_id = pay_id;
	rc = conn_intacct.write(c, "req-void-pay2", &rev2, 1, &res);
	check(rc == 0 && rev2.res.cls == HTTP_PERMANENT &&
		strstr(rev2.res.text, "already been reversed"), "reverse-twice-refused",
		rev2.res.text);
	/* an unpaid invoice is updated (Intacct posts a new AR invoice), then
	 * voided: deleted with its AR invoice */
	conn_item s2 = item("create_sotransaction", SALE2("19.99"), "k-order-2");
	rc = conn_intacct.write(c, "req-order-2", &s2, 1, &res);
	char s2_id[CONN_ID_MAX];
	snprintf(s2_id, sizeof s2_id, "%s", s2.id);
	conn_item s2u = item("create_sotransaction", SALE2("25.00"), "k-order-2u");
	s2u.target_id = s2_id;
	rc = conn_intacct.write(c, "req-order-2u", &s2u, 1, &res);
	inv = stored("ARINVOICE", "RECORDID", "SO-T2");
	check(rc == 0 && s2u.res.cls == HTTP_OK && inv && strcmp(s2u.id, s2_id) != 0 &&
		!strcmp(s2u.id, field(inv, "RECORDNO")) && !strcmp(field(inv, "TOTALDUE"), "53.20") &&
		count("ARINVOICE") == 2, "update-unpaid-invoice", s2u.res.text);
	json_decref(inv);
	conn_item s2v = item("create_sotransaction", SALE2("25.00"), "k-order-2v");
	s2v.op = CONN_OP_VOID, s2v.target_id = s2u.id;
	rc = conn_intacct.write(c, "req-order-2v", &s2v, 1, &res);
	check(rc == 0 && s2v.res.cls == HTTP_OK && count("ARINVOICE") == 1 &&
		count("SODOCUMENT") == 1, "void-unpaid-invoice-deleted", s2v.res.text);
	conn_item cv = item("CUSTOMER", CUST2, "k-cust-2v");
	cv.op = CONN_OP_VOID, cv.target_id = "C-T2";
	rc = conn_intacct.write(c, "req-void-cust", &cv, 1, &res);
	check(rc == 0 && cv.res.cls == HTTP_PERMANENT && count("CUSTOMER") == 3,
		"void-customer-refused", cv.res.text);
	/* the books: sold, refunded and credited, nothing owed */
	json_t *bk = sandbox("GET", "/_sandbox/books?service=intacct", NULL);
	json_t *usd = json_object_get(bk, "USD");
	check(!strcmp(field(usd, "sales"), "0.00") && !strcmp(field(usd, "cash"), "0.00") &&
		!strcmp(field(usd, "receivable"), "0.00"), "books-after-refund", "");
	json_decref(bk);

	/* a settlement day's journal entry: created, then updated whole by its
	 * RECORDNO (a late payment of that day); the GL follows */
#define GLB(bank, visa, amex) "<GLBATCH><JOURNAL>CRJ</JOURNAL><BATCH_DATE>12/04/2026</BATCH_DATE>" \
	"<BATCH_TITLE>Settlement 2026-12-04 USD</BATCH_TITLE><REFERENCENO>2026-12-04/USD" \
	"</REFERENCENO><ENTRIES><GLENTRY><ACCOUNTNO>1200</ACCOUNTNO><TR_TYPE>1</TR_TYPE>" \
	"<TRX_AMOUNT>" bank "</TRX_AMOUNT><CURRENCY>USD</CURRENCY></GLENTRY><GLENTRY>" \
	"<ACCOUNTNO>1010</ACCOUNTNO><TR_TYPE>-1</TR_TYPE><TRX_AMOUNT>" visa "</TRX_AMOUNT>" \
	"<CURRENCY>USD</CURRENCY></GLENTRY><GLENTRY><ACCOUNTNO>1011</ACCOUNTNO><TR_TYPE>-1" \
	"</TR_TYPE><TRX_AMOUNT>" amex "</TRX_AMOUNT><CURRENCY>USD</CURRENCY></GLENTRY>" \
	"</ENTRIES></GLBATCH>"
	conn_item gb = item("GLBATCH", GLB("30.00", "20.00", "10.00"), "k-gl-1");
	rc = conn_intacct.write(c, "req-gl-1", &gb, 1, &res);
	char gb_id[CONN_ID_MAX];
	snprintf(gb_id, sizeof gb_id, "%s", gb.id);
	conn_item gu = item("GLBATCH", GLB("45.50", "35.50", "10.00"), "k-gl-1u");
	gu.target_id = gb_id;
	int rc2 = conn_intacct.write(c, "req-gl-1u", &gu, 1, &res);
	bk = sandbox("GET", "/_sandbox/books?service=intacct", NULL);
	json_t *gusd = json_object_get(json_object_get(bk, "gl"), "USD");
	check(rc == 0 && rc2 == 0 && gb.res.cls == HTTP_OK && gu.res.cls == HTTP_OK && *gb_id &&
		!strcmp(gu.id, gb_id) && count("GLBATCH") == 1 && !strcmp(field(gusd, "1200"), "45.50")
		&& !strcmp(field(gusd, "1010"), "-35.50") && !strcmp(field(gusd, "1011"), "-10.00"),
		"glbatch-create-then-update", gu.res.text);
	json_decref(bk);
	conn_item gv = item("GLBATCH", GLB("45.50", "35.50", "10.00"), "k-gl-1v");
	gv.op = CONN_OP_VOID, gv.target_id = gb_id;
	rc = conn_intacct.write(c, "req-gl-1v", &gv, 1, &res);
	check(rc == 0 && gv.res.cls == HTTP_PERMANENT && count("GLBATCH") == 1, "glbatch-no-void",
		gv.res.text);
#undef GLB

	/* find */
	conn_found fd;
	rc = conn_find_one(&conn_intacct, c, "CUSTOMER", "CUSTOMERID", "C-T2", &fd, &res);
	check(rc == 0 && fd.n == 1 && !strcmp(fd.ids[0], "C-T2"), "find-customer", res.text);
	rc = conn_find_one(&conn_intacct, c, "CUSTOMER", "CUSTOMERID", "O'Brien", &fd, &res);
	check(rc == 1 && fd.n == 0, "find-none-quoted", res.text);
	rc = conn_find_one(&conn_intacct, c, "create_sotransaction", "DOCID", "Sales Invoice-SO-T1", &fd,
		&res);
	check(rc == 0 && !strcmp(fd.ids[0], order_id), "find-sales-invoice-ar-key", fd.ids[0]);
	/* two customers already in the company under one name: several, both named */
	json_decref(sandbox("POST", "/_sandbox/documents?service=intacct&collection=CUSTOMER",
		"{\"CUSTOMERID\":\"TW-1\",\"NAME\":\"Twin's Co\"}\n"
		"{\"CUSTOMERID\":\"TW-2\",\"NAME\":\"Twin's Co\"}\n"));
	rc = conn_find_one(&conn_intacct, c, "CUSTOMER", "NAME", "Twin's Co", &fd, &res);
	check(rc == 2 && fd.n == 2 && !strcmp(fd.ids[0], "TW-1") && !strcmp(fd.ids[1], "TW-2"),
		"find-several", res.text);
	/* the batch form: one request, each value its own answer */
	conn_find_item fb[3] = { { .value = "Twin's Co" }, { .value = "Nobody" },
		{ .value = "Six Ltd" } };
	rc = conn_intacct.find(c, "CUSTOMER", "NAME", fb, 3, &res);
	check(rc == 0 && fb[0].rc == 2 && fb[0].found.n == 2 && fb[1].rc == 1 && fb[2].rc == 1,
		"find-batch", res.text);

	/* ITEM: created, refused twice, updated by ITEMID (its type kept) */
	conn_item ni = item("ITEM", "<ITEM><ITEMID>T-ITEM</ITEMID><NAME>Test</NAME>"
		"<ITEMTYPE>Inventory</ITEMTYPE><BASEPRICE>5.00</BASEPRICE></ITEM>", "k-item-1");
	rc = conn_intacct.write(c, "req-item", &ni, 1, &res);
	check(rc == 0 && ni.res.cls == HTTP_OK && !strcmp(ni.id, "T-ITEM"), "item-create",
		ni.res.text);
	conn_item di = item("ITEM", "<ITEM><ITEMID>T-ITEM</ITEMID><NAME>Again</NAME>"
		"<ITEMTYPE>Inventory</ITEMTYPE></ITEM>", "k-item-2");
	rc = conn_intacct.write(c, "req-item-dup", &di, 1, &res);
	check(rc == 0 && di.res.cls == HTTP_PERMANENT && strstr(di.res.text, "already exists"),
		"item-duplicate-refused", di.res.text);
	conn_item ui = item("ITEM", "<ITEM><ITEMID>T-ITEM</ITEMID><NAME>Test</NAME>"
		"<ITEMTYPE>Inventory</ITEMTYPE><BASEPRICE>6.50</BASEPRICE></ITEM>", "k-item-3");
	ui.target_id = "T-ITEM";
	rc = conn_intacct.write(c, "req-item-up", &ui, 1, &res);
	json_t *st = stored("ITEM", "ITEMID", "T-ITEM");
	check(rc == 0 && ui.res.cls == HTTP_OK && !strcmp(field(st, "BASEPRICE"), "6.50") &&
		!strcmp(field(st, "ITEMTYPE"), "Inventory"), "item-update", ui.res.text);
	json_decref(st);
	conn_item uu = item("ITEM", "<ITEM><ITEMID>X</ITEMID><NAME>X</NAME></ITEM>", "k-item-4");
	uu.target_id = "NO-SUCH";
	rc = conn_intacct.write(c, "req-item-unknown", &uu, 1, &res);
	check(rc == 0 && uu.res.cls == HTTP_PERMANENT && strstr(uu.res.text, "NO-SUCH"),
		"item-update-unknown-refused", uu.res.text);
	/* 110 more, so that a listing takes readMore pages */
	static char docs[110][160], keys[110][32];
	conn_item many[50];
	for (int at = 0; at < 110; at += 50) {
		int n = 110 - at < 50 ? 110 - at : 50;
		for (int i = 0; i < n; i++) {
			snprintf(docs[at + i], sizeof docs[0], "<ITEM><ITEMID>P-%03d</ITEMID><NAME>P</NAME>"
				"<ITEMTYPE>Non-Inventory</ITEMTYPE></ITEM>", at + i);
			snprintf(keys[at + i], sizeof keys[0], "k-p-%d", at + i);
			many[i] = item("ITEM", docs[at + i], keys[at + i]);
		}
		char rk[32];
		snprintf(rk, sizeof rk, "req-p-%d", at);
		rc = conn_intacct.write(c, rk, many, (size_t)n, &res);
		check(rc == 0 && many[n - 1].res.cls == HTTP_OK, "items-batch", many[n - 1].res.text);
	}
	listed_t all = { json_array(), "", "" };
	rc = conn_intacct.list(c, "ITEM", NULL, collect, &all, &res);
	json_t *ti = listed_one(&all, "ITEMID", "T-ITEM");
	check(rc == 0 && json_array_size(all.recs) == count("ITEM") && count("ITEM") > 120 && ti &&
		!strcmp(field(ti, "IONHAND"), "0") && !strcmp(field(ti, "BASEPRICE"), "6.50") &&
		strlen(field(ti, "_stamp")) == 20 && field(ti, "_stamp")[19] == 'Z',
		"list-items-every-page", res.text);
	/* a receipt raises IONHAND without touching the item record: listed from
	 * the newest stamp on by its receipt date */
	gateway("<function controlid=\"r\"><create_ictransaction><transactiontype>Inventory "
		"Receipt</transactiontype><datecreated><year>2026</year><month>12</month><day>05"
		"</day></datecreated><ictransitems><ictransitem><itemid>T-ITEM</itemid><warehouseid>"
		"WH1</warehouseid><quantity>7</quantity></ictransitem></ictransitems>"
		"</create_ictransaction></function>");
	listed_t since = { json_array(), "", "" };
	rc = conn_intacct.list(c, "ITEM", all.newest, collect, &since, &res);
	ti = listed_one(&since, "ITEMID", "T-ITEM");
	check(rc == 0 && ti && !strcmp(field(ti, "IONHAND"), "7") &&
		strcmp(field(ti, "_stamp"), "2026-01-01T00:00:00Z") > 0 &&
		!listed_one(&since, "ITEMID", "MUG-01"), "list-items-since-receipt", res.text);
	json_t *bk2 = sandbox("GET", "/_sandbox/books?service=intacct", NULL);
	check(!strcmp(field(json_object_get(bk2, "onhand"), "T-ITEM"), "7"), "books-onhand", "");
	json_decref(bk2);
	listed_t one = { json_array(), "", "" };
	rc = conn_intacct.get(c, "ITEM", "T-ITEM", collect, &one, &res);
	check(rc == 0 && json_array_size(one.recs) == 1, "get-item", res.text);
	rc = conn_intacct.get(c, "ITEM", "O'Nope", collect, &one, &res);
	check(rc == -1 && res.cls == HTTP_PERMANENT && res.status == 404, "get-item-unknown",
		res.text);
	/* exchange rates: the company's default type's, read as rate() asks */
	json_t *dr = sandbox("GET", "/_sandbox/dump?service=intacct", NULL);
	const char *want = json_string_value(json_object_get(json_object_get(json_object_get(dr,
		"ExchangeRates"), "EUR"), "2026-11-05"));
	mw_dec rv, wv;
	char asof[11] = "", rtext[DEC_BUF] = "";
	rc = conn_intacct.rate(c, "EUR", "USD", "2026-11-05", &rv, asof, &res);
	if (rc == 0)
		dec_format(rv, rtext);
	check(rc == 0 && want && dec_parse(want, strlen(want), &wv) == DEC_OK &&
		dec_cmp(rv, wv) == 0 && !strcmp(asof, "2026-11-05"), "rate-of-the-day", rtext);
	json_decref(dr);
	rc = conn_intacct.rate(c, "EUR", "USD", "2027-01-03", &rv, asof, &res);
	check(rc == 0 && !strcmp(asof, "2026-12-31"), "rate-latest-before", asof);
	rc = conn_intacct.rate(c, "CHF", "USD", "2026-11-05", &rv, asof, &res);
	check(rc == 1, "rate-none-yet", res.text);
	json_decref(sandbox("POST", "/_sandbox/documents?service=intacct&collection=EXCHANGERATEENTRY",
		"{\"FROM_CURRENCY\":\"CHF\",\"EFFECTIVESTARTDATE\":\"11/02/2026\",\"VALUE\":\"1.13725\"}"));
	rc = conn_intacct.rate(c, "CHF", "USD", "2026-11-05", &rv, asof, &res);
	if (rc == 0)
		dec_format(rv, rtext);
	check(rc == 0 && !strcmp(rtext, "1.13725") && !strcmp(asof, "2026-11-02"), "rate-entered", rtext);
	rc = conn_intacct.rate(c, "EUR", "GBP", "2026-11-05", &rv, asof, &res);
	check(rc == 1, "rate-into-another-currency-none", res.text);
	rc = conn_intacct.rate(c, "EU'", "USD", "2026-11-05", &rv, asof, &res);
	check(rc == -1 && res.cls == HTTP_PERMANENT, "rate-bad-code", res.text);
	rc = conn_intacct.list(c, "ARPYMT", NULL, collect, &one, &res);
	check(rc == -1 && res.cls == HTTP_PERMANENT, "list-unlisted-refused", res.text);
	/* a shipper with its tracking number: listed since the cursor, the stock down */
	gateway("<function controlid=\"s\"><create_sotransaction><transactiontype>Shipper"
		"</transactiontype><datecreated><year>2026</year><month>12</month><day>05</day>"
		"</datecreated><customerid>C-T1</customerid><documentno>SH-T1</documentno>"
		"<referenceno>SO-T1</referenceno><shippingmethod>UPS</shippingmethod><customfields>"
		"<customfield><customfieldname>TRACKINGNUMBER</customfieldname><customfieldvalue>"
		"1Z999</customfieldvalue></customfield></customfields><sotransitems><sotransitem>"
		"<itemid>T-ITEM</itemid><quantity>3</quantity></sotransitem></sotransitems>"
		"</create_sotransaction></function>");
	listed_t sos = { json_array(), "", "" };
	rc = conn_intacct.list(c, "SODOCUMENT", all.newest, collect, &sos, &res);
	json_t *sh = listed_one(&sos, "DOCID", "Shipper-SH-T1");
	st = stored("ITEM", "ITEMID", "T-ITEM");
	check(rc == 0 && sh && !strcmp(field(sh, "TRACKINGNUMBER"), "1Z999") &&
		!strcmp(field(sh, "PONUMBER"), "SO-T1") && !strcmp(field(sh, "SHIPVIA"), "UPS") &&
		!strcmp(field(st, "IONHAND"), "4"), "list-shipper-tracking", res.text);
	json_decref(st);
	json_decref(all.recs), json_decref(since.recs), json_decref(one.recs);
	json_decref(sos.recs);

	/* a 503 from the gateway */
	json_decref(sandbox("POST", "/_sandbox/faults", "{\"service\":\"intacct\",\"fail_5xx\":1}"));
	conn_item f5 = item("CUSTOMER", "<CUSTOMER><CUSTOMERID>C-T6</CUSTOMERID><NAME>Six</NAME>"
		"</CUSTOMER>", "k-cust-6");
	size_t ncust = count("CUSTOMER");
	rc = conn_intacct.write(c, "req-503", &f5, 1, &res);
	check(rc == -1 && res.cls == HTTP_TRANSIENT && res.status == 503 &&
		f5.res.cls == HTTP_TRANSIENT && count("CUSTOMER") == ncust, "http-503-transient",
		res.text);
	rc = conn_intacct.write(c, "req-503", &f5, 1, &res);
	check(rc == 0 && f5.res.cls == HTTP_OK && !strcmp(f5.id, "C-T6"), "after-503-retried",
		f5.res.text);
	conn_intacct.close(c);

	/* a dry run: nothing sent (the endpoint does not even answer), no password shown */
	char out[300];
	snprintf(out, sizeof out, "%s/dry", dir);
	FILE *dry = fopen(out, "w+");
	conn_env denv = { "sage_intacct", setting, "http://127.0.0.1:1/ia/xml/xmlgw.phtml", NULL,
		dry, NULL, 2000, NULL };
	size_t before = count("CUSTOMER");
	rc = conn_intacct.open(&denv, &c, &res);
	check(rc == 0, "dry-run-open-offline", res.text);
	conn_item d = item("CUSTOMER", CUST2, "k-dry");
	rc = conn_intacct.write(c, "req-dry", &d, 1, &res);
	conn_intacct.close(c);
	char text[8192] = "";
	rewind(dry);
	size_t got = fread(text, 1, sizeof text - 1, dry);
	text[got] = 0;
	fclose(dry);
	check(rc == 0 && !strcmp(d.id, "dry-run") && strstr(text, "<request>") &&
		strstr(text, "<function controlid=\"k-dry\"><create>" CUST2) &&
		strstr(text, "<password>***</password>") && !strstr(text, "sandbox-sender-pw") &&
		!strstr(text, "sandbox-user-pw") && count("CUSTOMER") == before,
		"dry-run-envelope", text);

	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	http_client_free(plain);
	char buf[300];
	snprintf(buf, sizeof buf, "rm -rf %s", dir);
	if (system(buf) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	printf("conn_intacct: %d failed\n", failures);
	return failures != 0;
}
