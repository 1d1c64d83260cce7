/*
 * qbo.c - the sandbox's QuickBooks Online Accounting API v3 (minor version
 * 65 shapes), as Intuit documents it (developer.intuit.com/app/developer/
 * qbo/docs: OAuth 2.0 token endpoint, all-entities/customer, item,
 * salesreceipt, invoice, payment, creditmemo, refundreceipt, batch, the
 * query operation, fault codes) and its SDKs send it:
 *
 *   POST /qbo/oauth2/v1/tokens/bearer       refresh_token grant only (QBO has
 *        no client_credentials); rotates the refresh token
 *   POST /qbo/v3/company/{realm}/{entity}   create, or update with Id + the
 *        current SyncToken (a stale one is Fault 5010); what an update leaves
 *        out stays as stored
 *   POST .../invoice?operation=void                    {Id, SyncToken}
 *   POST .../payment|salesreceipt?operation=update&include=void
 *        {Id, SyncToken, sparse}: void (the two forms of Intuit's PHP SDK,
 *        CoreConstants VOID_QUERYPARAMETER_*; node-quickbooks voidInvoice,
 *        voidPayment); any other entity: Fault 500 Unsupported Operation
 *        (Intuit: "The Operation Void for CreditMemo is not supported")
 *   GET  /qbo/v3/company/{realm}/{entity}/{id}
 *   GET  /qbo/v3/company/{realm}/query?query=select * from Customer
 *        [where DisplayName = 'x' | IN ('x', 'y') | Metadata.LastUpdatedTime >= 'T']
 *        [startposition N] [maxresults N]
 *   GET  /qbo/v3/company/{realm}/cdc?entities=Item,Invoice&changedSince=T
 *        change data capture: {"CDCResponse":[{"QueryResponse":[{"Item":[...],
 *        "startPosition","maxResults","totalCount"},...]}],"time"}, each entity's
 *        objects with MetaData.LastUpdatedTime at or after T, at most 1000; T
 *        more than 30 days back: 400 "Operation cdc with changedSince date T
 *        which is older than fixed days is not supported."
 *
 *   POST /qbo/v3/company/{realm}/batch     {"BatchItemRequest":[{"bId","operation":
 *        "create"|"update", ENTITY:{...}} or {"bId","Query":"select ..."}]}, at
 *        most 30 items; a void is operation "update" with "optionsData":"void"
 *        -> {"BatchItemResponse":[{"bId", ENTITY | "QueryResponse" |
 *        "Fault"}],"time"}: each item succeeds or fails on its own
 *
 * Entities: customer, item, salesreceipt, invoice, payment, creditmemo,
 * refundreceipt, vendor, bill, purchase.  Faults have Intuit's body: {"Fault":{"Error":[{"Message",
 * "Detail","code","element"}],"type":"ValidationFault"},"time":...}.
 * Checked: DisplayName unique across customers (6240 Duplicate Name Exists
 * Error), a customer's CurrencyRef (the home currency when none is given)
 * never changed and each of its documents in it (6000), CustomerRef
 * (required on invoices and credit memos) and ItemRef exist
 * (SHIPPING_ITEM_ID is QuickBooks' own), a sales document has lines
 * (2020), a line's Amount equals UnitPrice x Qty (6070), DocNumber at most
 * 21 (6000), a refund receipt names DepositToAccountRef (2020); a payment
 * needs CustomerRef and TotalAmt (2020), its lines' LinkedTxn (Invoice or
 * CreditMemo) must exist and be the customer's (2500), a line may not
 * exceed the invoice's Balance or the memo's RemainingCredit, nor the
 * lines (invoices less credits) TotalAmt (6000); the invoice's Balance
 * falls by what is applied, the rest is the payment's UnappliedAmt, and an
 * update or void of the payment takes its applications back first.  An
 * invoice's total may not fall below what is applied to it (6000).  A void
 * keeps the document with every amount and quantity 0, Balance 0, and
 * "Voided" before its PrivateNote; an invoice with a payment or credit
 * applied is not voided (6000), and a voided document is not changed
 * again (6000).  A repeated `requestid` (plain or batch) is answered as
 * the first time and writes nothing.  Limits (scaled by --limit-scale):
 * 500 calls a minute per realm, each batch item metered as one call, and
 * 40 batch requests a minute; past either, 429 with Fault 003001 and
 * Retry-After.  Access tokens live 3600 s (--token-ttl), and none issued
 * before an "expire_tokens" fault is accepted after it.  Where clauses take
 * `Field = 'value'` or `Field IN ('a', 'b')` with backslash escapes (\' for
 * an apostrophe), as Intuit's query syntax documents.  The books
 * (sb_qbo_books) are read from the documents' own totals and balances,
 * and "onhand" from each tracked item's QtyOnHand, by Sku.
 *
 * Inventory (Intuit's Item reference): Name is unique among items (6240);
 * a Type "Inventory" item needs IncomeAccountRef, AssetAccountRef,
 * ExpenseAccountRef, TrackQtyOnHand true, QtyOnHand and InvStartDate
 * (2020 names the one missing), stays Inventory and stays tracked (6000).
 * Its QtyOnHand moves as QuickBooks books stock: an Invoice or SalesReceipt
 * line (SalesItemLineDetail ItemRef, Qty) sells Qty, a Bill or Purchase
 * line (ItemBasedExpenseLineDetail) buys it; an update takes the earlier
 * version back first, a void gives back what it sold.  Each move changes
 * the item (SyncToken + 1, MetaData.LastUpdatedTime now), so a CDC of
 * Item since before it lists the item.  A Bill needs an existing
 * VendorRef, a Purchase an AccountRef and PaymentType.  POST
 * /_sandbox/documents takes Vendor, Item, Bill and Purchase as a person
 * enters them in QuickBooks: with these checks and moves.
 *
 * The 10 calls at once are main.c's (a 429 past them).  Not yet: deletes.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "sandbox.h"

#define REALM "9130350000000001"
#define PER_MIN 500       /* calls a minute per realm, batch items included */
#define BATCH_PER_MIN 40  /* batch requests a minute per realm */
#define BATCH_MAX 30      /* BatchItemRequest items per batch */
#define TOKEN_TTL 3600
#define NENT 10
#define CDC_DAYS 30       /* how far back change data capture reaches */
#define CDC_MAX 1000      /* objects of an entity in one CDC answer */
#define HOME_CURRENCY "USD" /* the company's, for documents without a CurrencyRef */

static json_t *store_, *requests, *tokens, *voided, *rates_;
static char refresh_token[64];
static unsigned next_id, counter;
static time_t min_start;
static long min_calls, batch_calls;

static const char *const entities[NENT] = { "customer", "item", "salesreceipt", "invoice",
	"payment", "creditmemo", "refundreceipt", "vendor", "bill", "purchase" };
static const char *const names[NENT] = { "Customer", "Item", "SalesReceipt", "Invoice",
	"Payment", "CreditMemo", "RefundReceipt", "Vendor", "Bill", "Purchase" };

/* ---- currencies ------------------------------------------------------------
 * The company is multicurrency (Preferences.CurrencyPrefs: MultiCurrencyEnabled,
 * HomeCurrency USD) with the currencies EUR, GBP, CAD and AUD turned on: QuickBooks
 * keeps their rates for every day (it downloads them daily), here every day of
 * 2026, four places, the same whatever the seed.  A currency not turned on has
 * no rate until one is entered (POST exchangerate). */
static const struct { const char *code; long base; } seeded_rates[] = {
	{ "EUR", 10400 }, { "GBP", 12600 }, { "CAD", 7100 }, { "AUD", 6500 },
};

static void
seed_rates(void)
{
	rates_ = json_object();
	for (size_t k = 0; k < sizeof seeded_rates / sizeof *seeded_rates; k++) {
		static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
		json_t *days = json_object();
		int doy = 0;
		for (int m = 0; m < 12; m++)
			for (int d = 1; d <= mdays[m]; d++, doy++) {
				char day[24];
				long r4 = seeded_rates[k].base + (doy * 37) % 97;
				snprintf(day, sizeof day, "2026-%02d-%02d", m + 1, d);
				json_object_set_new(days, day, json_real((double)r4 / 10000));
			}
		json_object_set_new(rates_, seeded_rates[k].code, days);
	}
}

/* The rate of code on the latest day <= day (YYYY-MM-DD): its value, and
 * that day in asof; NULL when there is none. */
static json_t *
rate_on(const char *code, const char *day, const char **asof)
{
	json_t *days = json_object_get(rates_, code), *v, *best = NULL;
	const char *k;
	*asof = NULL;
	json_object_foreach(days, k, v)
		if (strcmp(k, day) <= 0 && (!*asof || strcmp(k, *asof) > 0)) {
			*asof = k;
			best = v;
		}
	return best;
}

/* x (in cents) times rate, half to even to the cent, exactly for a rate of
 * at most 8 places (QuickBooks' HomeTotalAmt and home balances). */
static long long
home_cents(long long x, double rate)
{
	__extension__ __int128 p = (__int128)x * llround(rate * 1e8);
	__extension__ __int128 q = p / 100000000, rem = p % 100000000;
	if (rem < 0) {
		rem = -rem;
		if (rem > 50000000 || (rem == 50000000 && (q & 1)))
			q--;
	} else if (rem > 50000000 || (rem == 50000000 && (q & 1))) {
		q++;
	}
	return (long long)q;
}

static void
seed(unsigned s)
{
	store_ = json_object();
	for (size_t i = 0; i < NENT; i++)
		json_object_set_new(store_, names[i], json_array());
	requests = json_object();
	tokens = json_object();
	voided = json_object();
	seed_rates();
	next_id = 1;
	counter = s * 1000;
	snprintf(refresh_token, sizeof refresh_token, "AB11-sandbox-%u", counter++);
}

static void
now_text(char *t, size_t n, const char *fmt)
{
	time_t now = time(NULL);
	strftime(t, n, fmt, gmtime(&now));
}

static json_t *
fault_body(const char *code, const char *msg, const char *detail, const char *element)
{
	return json_pack("{s:[{s:s,s:s,s:s,s:s}],s:s}", "Error", "Message", msg, "Detail",
		detail, "code", code, "element", element ? element : "", "type", "ValidationFault");
}

static void
fault(sb_response *r, unsigned status, const char *code, const char *msg, const char *detail,
	const char *element)
{
	char t[64];
	now_text(t, sizeof t, "%Y-%m-%dT%H:%M:%S.000-07:00");
	sb_json(r, status, json_pack("{s:o,s:s}", "Fault", fault_body(code, msg, detail, element),
		"time", t));
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
	long ttl = sb_ttl(TOKEN_TTL);
	snprintf(at, sizeof at, "eyJsandbox.%u", counter++);
	snprintf(refresh_token, sizeof refresh_token, "AB11-sandbox-%u", counter++);
	json_object_set_new(tokens, at, json_pack("{s:I,s:I}", "exp",
		(json_int_t)time(NULL) + ttl, "gen", (json_int_t)sb_token_generation("qbo")));
	sb_json(r, 200, json_pack("{s:s,s:s,s:s,s:I,s:i}", "token_type", "bearer",
		"access_token", at, "refresh_token", refresh_token, "expires_in", (json_int_t)ttl,
		"x_refresh_token_expires_in", 8726400));
}

static void
throttled(sb_response *r, long wait)
{
	char v[32];
	fault(r, 429, "003001", "message=ThrottleExceeded; errorCode=003001; statusCode=429",
		"The request limit was reached.  Try again later", NULL);
	snprintf(v, sizeof v, "%ld", wait > 0 ? wait : 1);
	sb_header(r, "Retry-After", v);
}

/* A valid bearer token, and room in this minute for `calls` calls (and a
 * batch request when batch is set). */
static int
admitted(const sb_request *q, sb_response *r, long calls, int batch)
{
	const char *a = q->header(q->conn, "Authorization");
	json_t *tk = a && strncasecmp(a, "Bearer ", 7) == 0 ? json_object_get(tokens, a + 7) : NULL;
	if (!tk || json_integer_value(json_object_get(tk, "exp")) < (json_int_t)time(NULL) ||
	    json_integer_value(json_object_get(tk, "gen")) != (json_int_t)sb_token_generation("qbo")) {
		fault(r, 401, "3200", "message=AuthenticationFailed; errorCode=003200; "
			"statusCode=401", "Authentication failed", NULL);
		return 0;
	}
	time_t now = time(NULL);
	if (now - min_start >= 60) {
		min_start = now;
		min_calls = 0;
		batch_calls = 0;
	}
	if (min_calls + calls > sb_limit(PER_MIN) ||
	    (batch && batch_calls + 1 > sb_limit(BATCH_PER_MIN))) {
		throttled(r, (long)(60 - (now - min_start)));
		return 0;
	}
	min_calls += calls;
	batch_calls += batch;
	return 1;
}

static long long
cents(json_t *x)
{
	return llround(json_number_value(x) * 100);
}

static json_t *
money(long long c)
{
	return json_real((double)c / 100);
}

static const char *
ref_of(json_t *e, const char *ref)
{
	return json_string_value(json_object_get(json_object_get(e, ref), "value"));
}

static const char *const MSG_BUSINESS = "A business validation error has occurred while "
	"processing your request";
static const char *const MSG_MISSING = "Required param missing, need to supply the required "
	"value for the API";

static void
business(sb_response *r, const char *detail, const char *element)
{
	fault(r, 400, "6000", MSG_BUSINESS, detail, element);
}

/* The key of a voided document in `voided`. */
static const char *
void_key(const char *entity, json_t *e, char *buf, size_t n)
{
	snprintf(buf, n, "%s:%s", entity, json_string_value(json_object_get(e, "Id")) ?
		json_string_value(json_object_get(e, "Id")) : "");
	return buf;
}

static int
is_voided(const char *entity, json_t *e)
{
	char k[96];
	return e && json_object_get(voided, void_key(entity, e, k, sizeof k)) != NULL;
}

/* Each LinkedTxn of payment p applied (sign 1: an invoice's Balance and a
 * credit memo's RemainingCredit fall by its line's Amount) or taken back
 * (sign -1). */
static void
apply_links(json_t *p, int sign)
{
	size_t i, j;
	json_t *l, *lt;
	json_array_foreach(json_object_get(p, "Line"), i, l) {
		long long amt = cents(json_object_get(l, "Amount")) * sign;
		json_array_foreach(json_object_get(l, "LinkedTxn"), j, lt) {
			const char *type = json_string_value(json_object_get(lt, "TxnType"));
			const char *tid = json_string_value(json_object_get(lt, "TxnId"));
			json_t *d;
			if (type && !strcmp(type, "Invoice") && (d = by_id("Invoice", tid)) != NULL) {
				json_object_set_new(d, "Balance", money(cents(json_object_get(d,
					"Balance")) - amt));
			} else if (type && !strcmp(type, "CreditMemo") &&
			    (d = by_id("CreditMemo", tid)) != NULL) {
				long long left = cents(json_object_get(d, "RemainingCredit")) - amt;
				json_object_set_new(d, "RemainingCredit", money(left));
				json_object_set_new(d, "Balance", money(left));
			}
		}
	}
}

/* A payment as it would be stored (its earlier version, if any, already
 * taken back): its customer, the invoices and credit memos its lines link
 * (the customer's, each line at most what is open on its document), and
 * what they apply against TotalAmt; the rest is UnappliedAmt. */
static int
payment(json_t *e, sb_response *r)
{
	const char *cust = ref_of(e, "CustomerRef");
	json_t *total = json_object_get(e, "TotalAmt");
	if (!cust || !json_is_number(total)) {
		fault(r, 400, "2020", MSG_MISSING, cust ? "Required parameter TotalAmt is missing "
			"in the request" : "Required parameter CustomerRef is missing in the request",
			cust ? "TotalAmt" : "CustomerRef");
		return -1;
	}
	if (!by_id("Customer", cust)) {
		fault(r, 400, "2500", "Invalid Reference Id", "Invalid Reference Id : Customer "
			"assigned to this transaction has been deleted or does not exist", "CustomerRef");
		return -1;
	}
	size_t i, j;
	json_t *l, *lt;
	long long applied = 0;
	json_array_foreach(json_object_get(e, "Line"), i, l) {
		long long amt = cents(json_object_get(l, "Amount"));
		json_array_foreach(json_object_get(l, "LinkedTxn"), j, lt) {
			const char *type = json_string_value(json_object_get(lt, "TxnType"));
			const char *tid = json_string_value(json_object_get(lt, "TxnId"));
			int memo = type && !strcmp(type, "CreditMemo");
			json_t *d = type && !strcmp(type, "Invoice") ? by_id("Invoice", tid) :
				memo ? by_id("CreditMemo", tid) : NULL;
			const char *owner = d ? ref_of(d, "CustomerRef") : NULL;
			if (!d || !owner || strcmp(owner, cust) != 0) {
				fault(r, 400, "2500", "Invalid Reference Id", "Invalid Reference Id : "
					"the linked transaction does not exist or is not this customer's",
					"Line.LinkedTxn");
				return -1;
			}
			if (amt > cents(json_object_get(d, memo ? "RemainingCredit" : "Balance"))) {
				business(r, memo ? "Business Validation Error: the amount applied "
					"exceeds the credit left on the credit memo" : "Business Validation "
					"Error: the amount applied exceeds the open balance of the invoice",
					"Line.Amount");
				return -1;
			}
			applied += memo ? -amt : amt;
		}
	}
	if (applied > cents(total)) {
		business(r, "Business Validation Error: the lines apply more than the payment's "
			"TotalAmt", "TotalAmt");
		return -1;
	}
	json_object_set_new(e, "UnappliedAmt", money(cents(total) - applied));
	return 0;
}

/* A currency code as a CurrencyRef names one: three capital letters. */
static int
currency_code(const char *code)
{
	return code && strlen(code) == 3 && strspn(code, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == 3;
}

/* A customer's currency (Intuit's Customer reference, CurrencyRef: "Once
 * set, it cannot be changed ... If not specified, currency for this
 * customer is the home currency of the company"): given on its creation,
 * the home currency when not; an update naming another is refused. */
static int
customer_currency(json_t *e, json_t *old, sb_response *r)
{
	const char *cur = ref_of(e, "CurrencyRef");
	const char *was = old ? ref_of(old, "CurrencyRef") : NULL;
	if (!cur) {
		json_object_set_new(e, "CurrencyRef", json_pack("{s:s}", "value", was ? was :
			HOME_CURRENCY));
		return 0;
	}
	if (!currency_code(cur)) {
		fault(r, 400, "2500", "Invalid Reference Id", "Invalid Reference Id : Currency "
			"assigned to this customer does not exist", "CurrencyRef");
		return -1;
	}
	if (old && strcmp(cur, was ? was : HOME_CURRENCY) != 0) {
		char d[200];
		snprintf(d, sizeof d, "Business Validation Error: the currency of a customer cannot "
			"be changed once it is set (%s, not %s)", was ? was : HOME_CURRENCY, cur);
		business(r, d, "CurrencyRef");
		return -1;
	}
	return 0;
}

/* A Customer or a Vendor: DisplayName is unique across both. */
static int
customer(json_t *e, sb_response *r)
{
	const char *dn = json_string_value(json_object_get(e, "DisplayName"));
	size_t i;
	json_t *x;
	for (int k = 0; k < 2; k++) {
		json_array_foreach(json_object_get(store_, k ? "Vendor" : "Customer"), i, x) {
			const char *o = json_string_value(json_object_get(x, "DisplayName"));
			if (dn && o && !strcmp(dn, o) && x != e &&
			    !json_equal(json_object_get(x, "Id"), json_object_get(e, "Id"))) {
				fault(r, 400, "6240", "Duplicate Name Exists Error", "The name supplied "
					"already exists. : Another customer, vendor or employee is already "
					"using this name.", NULL);
				return -1;
			}
		}
	}
	if (dn && strlen(dn) > 500) {
		business(r, "DisplayName is too long", "DisplayName");
		return -1;
	}
	return 0;
}

/* A sales document's lines (each item known, Amount = UnitPrice x Qty);
 * its total with tax into *total, or -1. */
static int
lines(json_t *e, long long *total, sb_response *r)
{
	size_t i;
	json_t *l;
	*total = 0;
	if (!json_array_size(json_object_get(e, "Line"))) {
		fault(r, 400, "2020", MSG_MISSING, "Required parameter Line is missing in the "
			"request", "Line");
		return -1;
	}
	json_array_foreach(json_object_get(e, "Line"), i, l) {
		const char *dt = json_string_value(json_object_get(l, "DetailType"));
		long long amt = cents(json_object_get(l, "Amount"));
		if (dt && !strcmp(dt, "DiscountLineDetail")) {
			*total -= amt;
			continue;
		}
		json_t *d = json_object_get(l, "SalesItemLineDetail");
		const char *item = ref_of(d, "ItemRef");
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
		*total += amt;
	}
	*total += cents(json_object_get(json_object_get(e, "TxnTaxDetail"), "TotalTax"));
	return 0;
}

/* SalesReceipt, Invoice, CreditMemo, RefundReceipt as they would be
 * stored (old: the version stored now, or NULL).  An invoice keeps what
 * payments and credits applied to it: its new total may not fall below
 * that, and its Balance is the rest; a credit memo likewise keeps what it
 * credited (RemainingCredit). */
static int
sales_doc(const char *entity, json_t *e, json_t *old, sb_response *r)
{
	int inv = !strcmp(entity, "Invoice"), memo = !strcmp(entity, "CreditMemo");
	const char *cust = ref_of(e, "CustomerRef");
	if (!by_id("Customer", cust) && (inv || memo || cust)) {
		fault(r, 400, "2500", "Invalid Reference Id", "Invalid Reference Id : Customer "
			"assigned to this transaction has been deleted or does not exist", "CustomerRef");
		return -1;
	}
	if (!strcmp(entity, "RefundReceipt") && !ref_of(e, "DepositToAccountRef")) {
		fault(r, 400, "2020", MSG_MISSING, "Required parameter DepositToAccountRef is "
			"missing in the request", "DepositToAccountRef");
		return -1;
	}
	const char *doc = json_string_value(json_object_get(e, "DocNumber"));
	if (doc && strlen(doc) > 21) {
		business(r, "Business Validation Error: DocNumber is longer than 21", "DocNumber");
		return -1;
	}
	long long total;
	if (lines(e, &total, r) != 0)
		return -1;
	const char *open = inv ? "Balance" : memo ? "RemainingCredit" : NULL;
	long long used = old && open ? cents(json_object_get(old, "TotalAmt")) -
		cents(json_object_get(old, open)) : 0;
	if (total < used) {
		business(r, inv ? "Business Validation Error: the invoice total would be less than "
			"the payments and credits applied to it" : "Business Validation Error: the "
			"credit memo total would be less than the credit already applied", "Line");
		return -1;
	}
	json_object_set_new(e, "TotalAmt", money(total));
	if (open)
		json_object_set_new(e, open, money(total - used));
	if (memo)
		json_object_set_new(e, "Balance", money(total - used));
	return 0;
}

static void
missing(sb_response *r, const char *what)
{
	char d[160];
	snprintf(d, sizeof d, "Required parameter %s is missing in the request", what);
	fault(r, 400, "2020", MSG_MISSING, d, what);
}

/* An item as it would be stored (old: as it is now, or NULL).  Name is
 * unique among items (6240).  An Inventory item needs the three accounts
 * (income, inventory asset, cost of goods sold), TrackQtyOnHand true, the
 * quantity on hand and the date it counts from (InvStartDate); it stays
 * an Inventory item, and a tracked quantity stays tracked (Intuit's Item
 * reference: "Once this value is true, it cannot be updated to false"). */
static int
item(json_t *e, json_t *old, sb_response *r)
{
	const char *name = json_string_value(json_object_get(e, "Name"));
	size_t i;
	json_t *x;
	if (!name) {
		missing(r, "Name");
		return -1;
	}
	json_array_foreach(json_object_get(store_, "Item"), i, x) {
		const char *o = json_string_value(json_object_get(x, "Name"));
		if (o && !strcmp(o, name) && x != e && x != old) {
			fault(r, 400, "6240", "Duplicate Name Exists Error", "The name supplied already "
				"exists. : Another product or service is already using this name. Please "
				"use a different name.", "Name");
			return -1;
		}
	}
	const char *type = json_string_value(json_object_get(e, "Type"));
	const char *was = old ? json_string_value(json_object_get(old, "Type")) : NULL;
	int inv = type && !strcmp(type, "Inventory");
	if (was && !strcmp(was, "Inventory") && !inv) {
		business(r, "Business Validation Error: an Inventory item cannot be changed to "
			"another type", "Type");
		return -1;
	}
	if (old && json_is_true(json_object_get(old, "TrackQtyOnHand")) &&
	    !json_is_true(json_object_get(e, "TrackQtyOnHand"))) {
		business(r, "Business Validation Error: TrackQtyOnHand cannot be changed to false "
			"once it is true", "TrackQtyOnHand");
		return -1;
	}
	if (!inv)
		return 0;
	static const char *const need[] = { "IncomeAccountRef", "AssetAccountRef",
		"ExpenseAccountRef" };
	for (size_t k = 0; k < sizeof need / sizeof *need; k++)
		if (!ref_of(e, need[k])) {
			missing(r, need[k]);
			return -1;
		}
	if (!json_is_true(json_object_get(e, "TrackQtyOnHand"))) {
		missing(r, "TrackQtyOnHand");
		return -1;
	}
	if (!json_string_value(json_object_get(e, "InvStartDate"))) {
		missing(r, "InvStartDate");
		return -1;
	}
	if (!json_is_number(json_object_get(e, "QtyOnHand"))) {
		missing(r, "QtyOnHand");
		return -1;
	}
	return 0;
}

/* A Bill (VendorRef, an existing vendor) or a Purchase (AccountRef it is
 * paid from, PaymentType): lines that buy items
 * (ItemBasedExpenseLineDetail: ItemRef, Qty, UnitPrice; Amount = Qty x
 * UnitPrice) or post to an account (AccountBasedExpenseLineDetail); its
 * TotalAmt the lines' sum, a bill's Balance all of it. */
static int
expense(const char *entity, json_t *e, sb_response *r)
{
	int bill = !strcmp(entity, "Bill");
	if (bill) {
		const char *v = ref_of(e, "VendorRef");
		if (!v) {
			missing(r, "VendorRef");
			return -1;
		}
		if (!by_id("Vendor", v)) {
			fault(r, 400, "2500", "Invalid Reference Id", "Invalid Reference Id : Vendor "
				"assigned to this transaction has been deleted or does not exist",
				"VendorRef");
			return -1;
		}
	} else if (!ref_of(e, "AccountRef") || !json_string_value(json_object_get(e,
		"PaymentType"))) {
		missing(r, ref_of(e, "AccountRef") ? "PaymentType" : "AccountRef");
		return -1;
	}
	if (!json_array_size(json_object_get(e, "Line"))) {
		missing(r, "Line");
		return -1;
	}
	size_t i;
	json_t *l;
	long long total = 0;
	json_array_foreach(json_object_get(e, "Line"), i, l) {
		long long amt = cents(json_object_get(l, "Amount"));
		json_t *d = json_object_get(l, "ItemBasedExpenseLineDetail");
		if (d) {
			const char *it = ref_of(d, "ItemRef");
			json_t *qty = json_object_get(d, "Qty"), *up = json_object_get(d, "UnitPrice");
			if (!it || !by_id("Item", it)) {
				fault(r, 400, "2500", "Invalid Reference Id", "Invalid Reference Id : Item "
					"assigned to this transaction has been deleted or does not exist",
					"Line.ItemBasedExpenseLineDetail.ItemRef");
				return -1;
			}
			if (qty && up && llround(json_number_value(qty) * json_number_value(up) * 100) !=
			    amt) {
				fault(r, 400, "6070", "Amount is not equal to UnitPrice * Qty",
					"Amount is not equal to UnitPrice * Qty. Supplied value:",
					"Line.Amount");
				return -1;
			}
		} else if (!ref_of(json_object_get(l, "AccountBasedExpenseLineDetail"),
			"AccountRef")) {
			missing(r, "Line.AccountBasedExpenseLineDetail.AccountRef");
			return -1;
		}
		total += amt;
	}
	json_object_set_new(e, "TotalAmt", money(total));
	if (bill)
		json_object_set_new(e, "Balance", money(total));
	return 0;
}

/* BillAddr and ShipAddr (PhysicalAddress): each line as long as QuickBooks
 * takes it, else ValidationFault 2050 naming the element; kept as sent. */
static int
addresses(json_t *e, sb_response *r)
{
	static const struct { const char *field; size_t max; } lim[] = {
		{ "Line1", 500 }, { "Line2", 500 }, { "Line3", 500 }, { "Line4", 500 },
		{ "Line5", 500 }, { "City", 255 }, { "CountrySubDivisionCode", 255 },
		{ "PostalCode", 30 }, { "Country", 255 },
	};
	for (int k = 0; k < 2; k++) {
		const char *which = k ? "ShipAddr" : "BillAddr";
		json_t *a = json_object_get(e, which);
		for (size_t i = 0; a && i < sizeof lim / sizeof lim[0]; i++) {
			const char *v = json_string_value(json_object_get(a, lim[i].field));
			if (!v || strlen(v) <= lim[i].max)
				continue;
			char d[200], el[64];
			snprintf(d, sizeof d, "String length specified does not match the supported "
				"length. Min:0 Max:%zu supported. Supplied length:%zu", lim[i].max,
				strlen(v));
			snprintf(el, sizeof el, "%s.%s", which, lim[i].field);
			fault(r, 400, "2050", "String length is either shorter or longer than "
				"supported by specification", d, el);
			return -1;
		}
	}
	return 0;
}

/* The entity-specific checks on e as it would be stored; 0 when it may be. */
/* Multicurrency (Intuit's "Manage multiple currencies"): a transaction's
 * amounts are in its CurrencyRef (none: the home currency); ExchangeRate is
 * home units per unit of it, 1 for the home currency.  A foreign one
 * without ExchangeRate takes the company's rate of its TxnDate (the latest
 * on or before it), and with none is refused; a payment is in the currency
 * of the documents it links.  HomeTotalAmt is TotalAmt at the rate, half
 * to even to the cent. */
static int
currency_rules(const char *entity, json_t *e, sb_response *r)
{
	const char *cur = ref_of(e, "CurrencyRef"), *asof;
	char code[8], day[16];
	json_t *x = json_object_get(e, "ExchangeRate");
	snprintf(code, sizeof code, "%s", cur ? cur : HOME_CURRENCY);
	if (!currency_code(code)) {
		fault(r, 400, "2500", "Invalid Reference Id", "Invalid Reference Id : Currency "
			"assigned to this transaction does not exist", "CurrencyRef");
		return -1;
	}
	if (x && (!json_is_number(x) || json_number_value(x) <= 0)) {
		fault(r, 400, "2010", "Request has invalid or unsupported property",
			"ExchangeRate must be a positive number", "ExchangeRate");
		return -1;
	}
	/* a customer's documents are in its currency (CurrencyRef, above) */
	json_t *cust = by_id("Customer", ref_of(e, "CustomerRef"));
	const char *cc = cust ? ref_of(cust, "CurrencyRef") : NULL;
	if (cust && strcmp(cc ? cc : HOME_CURRENCY, code) != 0) {
		char d[200];
		snprintf(d, sizeof d, "Business Validation Error: the transaction is in %s, its "
			"customer %s in %s: a customer's transactions are in its currency", code,
			ref_of(e, "CustomerRef"), cc ? cc : HOME_CURRENCY);
		business(r, d, "CurrencyRef");
		return -1;
	}
	if (!strcmp(code, HOME_CURRENCY)) {
		if (x && fabs(json_number_value(x) - 1) > 1e-12) {
			business(r, "Business Validation Error: a transaction in the home currency "
				"has the exchange rate 1", "ExchangeRate");
			return -1;
		}
		json_object_set_new(e, "ExchangeRate", json_integer(1));
	} else if (!x) {
		const char *txn = json_string_value(json_object_get(e, "TxnDate"));
		if (txn && strlen(txn) == 10)
			snprintf(day, sizeof day, "%s", txn);
		else
			now_text(day, sizeof day, "%Y-%m-%d");
		json_t *v = rate_on(code, day, &asof);
		if (!v) {
			char d[160];
			snprintf(d, sizeof d, "Business Validation Error: there is no exchange rate "
				"for %s on %s: supply ExchangeRate", code, day);
			business(r, d, "ExchangeRate");
			return -1;
		}
		json_object_set(e, "ExchangeRate", v);
	}
	if (!strcmp(entity, "Payment")) {
		size_t i, j;
		json_t *l, *lt;
		json_array_foreach(json_object_get(e, "Line"), i, l)
			json_array_foreach(json_object_get(l, "LinkedTxn"), j, lt) {
				const char *type = json_string_value(json_object_get(lt, "TxnType"));
				json_t *d = by_id(type && !strcmp(type, "CreditMemo") ? "CreditMemo" :
					"Invoice", json_string_value(json_object_get(lt, "TxnId")));
				const char *dc = d ? ref_of(d, "CurrencyRef") : NULL;
				if (d && strcmp(dc ? dc : HOME_CURRENCY, code) != 0) {
					business(r, "Business Validation Error: the payment's "
						"currency is not the currency of the transactions it "
						"pays", "CurrencyRef");
					return -1;
				}
			}
	}
	json_object_set_new(e, "HomeTotalAmt", money(home_cents(cents(json_object_get(e,
		"TotalAmt")), json_number_value(json_object_get(e, "ExchangeRate")))));
	return 0;
}

static int
validate(const char *entity, json_t *e, json_t *old, sb_response *r)
{
	if (addresses(e, r) != 0)
		return -1;
	if (!strcmp(entity, "Customer"))
		return customer(e, r) || customer_currency(e, old, r);
	if (!strcmp(entity, "Vendor"))
		return customer(e, r);
	if (!strcmp(entity, "Item"))
		return item(e, old, r);
	if (!strcmp(entity, "Bill") || !strcmp(entity, "Purchase"))
		return expense(entity, e, r);
	if (!strcmp(entity, "Payment"))
		return payment(e, r) || currency_rules(entity, e, r);
	return sales_doc(entity, e, old, r) || currency_rules(entity, e, r);
}

static void
meta_now(json_t *e, int create)
{
	char t[64];
	now_text(t, sizeof t, "%Y-%m-%dT%H:%M:%S-00:00");
	if (create)
		json_object_set_new(e, "MetaData", json_pack("{s:s,s:s}", "CreateTime", t,
			"LastUpdatedTime", t));
	else
		json_object_set_new(json_object_get(e, "MetaData"), "LastUpdatedTime",
			json_string(t));
}

static void
bump_sync(json_t *e)
{
	char buf[32];
	snprintf(buf, sizeof buf, "%ld",
		strtol(json_string_value(json_object_get(e, "SyncToken")), NULL, 10) + 1);
	json_object_set_new(e, "SyncToken", json_string(buf));
}

static int
tracked(json_t *item)
{
	const char *type = json_string_value(json_object_get(item, "Type"));
	return type && !strcmp(type, "Inventory") &&
		json_is_true(json_object_get(item, "TrackQtyOnHand"));
}

static void
set_qty(json_t *item, double q)
{
	double r = round(q);
	json_object_set_new(item, "QtyOnHand", fabs(q - r) < 1e-9 ? json_integer((json_int_t)r) :
		json_real(round(q * 1e4) / 1e4));
}

/* What a document does to stock, as QuickBooks books it: an invoice or a
 * sales receipt sells (each SalesItemLineDetail's Qty of its item goes
 * out), a bill or a purchase buys (each ItemBasedExpenseLineDetail's Qty
 * comes in).  sign 1: the document takes effect; -1: it is taken back (an
 * update's earlier version, a void).  Only tracked Inventory items move;
 * each one moved is a change of the item (SyncToken, LastUpdatedTime). */
static void
stock_moves(const char *entity, json_t *doc, int sign)
{
	const char *detail;
	int dir;
	if (!strcmp(entity, "Invoice") || !strcmp(entity, "SalesReceipt")) {
		detail = "SalesItemLineDetail";
		dir = -1;
	} else if (!strcmp(entity, "Bill") || !strcmp(entity, "Purchase")) {
		detail = "ItemBasedExpenseLineDetail";
		dir = 1;
	} else {
		return;
	}
	size_t i;
	json_t *l;
	json_array_foreach(json_object_get(doc, "Line"), i, l) {
		json_t *d = json_object_get(l, detail), *q = json_object_get(d, "Qty");
		const char *id = ref_of(d, "ItemRef");
		json_t *it = id ? by_id("Item", id) : NULL;
		if (!it || !json_is_number(q) || !json_number_value(q) || !tracked(it))
			continue;
		set_qty(it, json_number_value(json_object_get(it, "QtyOnHand")) +
			dir * sign * json_number_value(q));
		bump_sync(it);
		meta_now(it, 0);
	}
}

static void
answer(sb_response *r, const char *entity, json_t *e)
{
	char t[64];
	now_text(t, sizeof t, "%Y-%m-%dT%H:%M:%S.000-07:00");
	sb_json(r, 200, json_pack("{s:O,s:s}", entity, e, "time", t));
}

/* The stored document e names by Id, with e's SyncToken the current one;
 * NULL with the Fault answered when not. */
static json_t *
current(const char *entity, json_t *e, sb_response *r)
{
	const char *id = json_string_value(json_object_get(e, "Id"));
	json_t *old = id ? by_id(entity, id) : NULL;
	if (!old) {
		fault(r, 400, "610", "Object Not Found", "Object Not Found : Something you're "
			"trying to use has been made inactive. Check the fields with accounts, "
			"customers, items, vendors or employees.", NULL);
		return NULL;
	}
	const char *st = json_string_value(json_object_get(e, "SyncToken"));
	const char *cur = json_string_value(json_object_get(old, "SyncToken"));
	if (!st || !cur || strcmp(st, cur) != 0) {
		fault(r, 400, "5010", "Stale Object Error", "Stale Object Error : You and sandbox "
			"were working on this at the same time. sandbox finished before you did, so "
			"your work was not saved.", NULL);
		return NULL;
	}
	return old;
}

/* Create, or update the stored entity e names by Id (its SyncToken must be
 * the current one; what e leaves out stays as stored, a sparse update).
 * Steals e. */
static void
write_entity(const char *entity, json_t *e, sb_response *r)
{
	json_t *old = NULL, *cand = e;
	int pay = !strcmp(entity, "Payment");
	if (json_object_get(e, "Id") && !(old = current(entity, e, r))) {
		json_decref(e);
		return;
	}
	if (old && is_voided(entity, old)) {
		business(r, "Business Validation Error: a voided transaction cannot be changed",
			NULL);
		json_decref(e);
		return;
	}
	if (old) {
		cand = json_deep_copy(old);
		json_object_update(cand, e);
		json_object_del(cand, "sparse");
		json_decref(e);
		if (pay)
			apply_links(old, -1);  /* the new version is checked against the rest */
	}
	if (validate(entity, cand, old, r) != 0) {
		if (old && pay)
			apply_links(old, 1);
		json_decref(cand);
		return;
	}
	if (pay)
		apply_links(cand, 1);
	if (old) {
		stock_moves(entity, old, -1);
		json_object_update(old, cand);
		json_decref(cand);
		stock_moves(entity, old, 1);
		bump_sync(old);
		meta_now(old, 0);
		answer(r, entity, old);
		return;
	}
	char buf[32];
	snprintf(buf, sizeof buf, "%u", next_id++);
	json_object_set_new(e, "Id", json_string(buf));
	json_object_set_new(e, "SyncToken", json_string("0"));
	json_object_set_new(e, "domain", json_string("QBO"));
	meta_now(e, 1);
	json_array_append_new(json_object_get(store_, entity), e);
	stock_moves(entity, e, 1);
	answer(r, entity, e);
}

static void
unsupported(sb_response *r, const char *what)
{
	char d[96];
	snprintf(d, sizeof d, "Operation %s is not supported.", what);
	fault(r, 400, "500", "Unsupported Operation", d, NULL);
}

/* Void the document e names (Id and the current SyncToken): it stays, its
 * amounts and quantities become 0 and "Voided" goes before its
 * PrivateNote; a payment's applications are taken back first.  Invoices,
 * sales receipts and payments only; an invoice with a payment or credit
 * applied is refused.  Steals e. */
static void
void_entity(const char *entity, json_t *e, sb_response *r)
{
	int inv = !strcmp(entity, "Invoice"), pay = !strcmp(entity, "Payment");
	json_t *old;
	if (!inv && !pay && strcmp(entity, "SalesReceipt") != 0) {
		unsupported(r, "Void");
		json_decref(e);
		return;
	}
	if (!json_object_get(e, "Id")) {
		fault(r, 400, "2020", MSG_MISSING, "Required parameter Id is missing in the request",
			"Id");
		json_decref(e);
		return;
	}
	old = current(entity, e, r);
	json_decref(e);
	if (!old)
		return;
	if (is_voided(entity, old)) {
		answer(r, entity, old);  /* voided already: nothing changes */
		return;
	}
	if (inv && cents(json_object_get(old, "TotalAmt")) != cents(json_object_get(old,
	    "Balance"))) {
		business(r, "Business Validation Error: this invoice has payments or credits "
			"applied to it; void or delete them before voiding the invoice", NULL);
		return;
	}
	if (pay)
		apply_links(old, -1);
	stock_moves(entity, old, -1);  /* what it sold comes back */
	size_t i;
	json_t *l;
	json_array_foreach(json_object_get(old, "Line"), i, l) {
		json_t *d = json_object_get(l, "SalesItemLineDetail");
		json_object_set_new(l, "Amount", money(0));
		if (json_object_get(d, "Qty"))
			json_object_set_new(d, "Qty", json_integer(0));
	}
	if (json_object_get(old, "TxnTaxDetail"))
		json_object_set_new(json_object_get(old, "TxnTaxDetail"), "TotalTax", money(0));
	json_object_set_new(old, "TotalAmt", money(0));
	json_object_set_new(old, pay ? "UnappliedAmt" : "Balance", money(0));
	const char *note = json_string_value(json_object_get(old, "PrivateNote"));
	size_t nlen = strlen(note ? note : "") + 16;
	char *nn = malloc(nlen);
	if (nn) {
		snprintf(nn, nlen, "Voided%s%s", note && *note ? " - " : "", note ? note : "");
		json_object_set_new(old, "PrivateNote", json_string(nn));
		free(nn);
	}
	char k[96];
	json_object_set_new(voided, void_key(entity, old, k, sizeof k), json_true());
	bump_sync(old);
	meta_now(old, 0);
	answer(r, entity, old);
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

/* A quoted 'value' with backslash escapes at *pw; 0 (past it), or -1. */
static int
quoted(const char **pw, char *value, size_t vlen)
{
	const char *w = *pw;
	size_t n;
	if (*w++ != '\'')
		return -1;
	for (n = 0; *w && *w != '\''; w++) {
		if (*w == '\\' && w[1])
			w++;
		if (n + 1 >= vlen)
			return -1;
		value[n++] = *w;
	}
	value[n] = 0;
	if (*w != '\'')
		return -1;
	*pw = w + 1;
	return 0;
}

#define WHERE_MAX 100
/* FIELD = 'value' or FIELD IN ('a', 'b', ...) with backslash escapes; 0
 * with the values in values[0..*nv), or -1 when it is not that. */
static int
where_clause(const char *w, char *field, size_t flen, char (*values)[256], size_t *nv)
{
	size_t n = 0;
	*nv = 0;
	while (*w == ' ')
		w++;
	while (*w && *w != ' ' && *w != '=' && n + 1 < flen)
		field[n++] = *w++;
	field[n] = 0;
	while (*w == ' ')
		w++;
	if (!n)
		return -1;
	if (*w == '=') {
		w++;
		while (*w == ' ')
			w++;
		*nv = 1;
		return quoted(&w, values[0], 256);
	}
	if (strncasecmp(w, "IN", 2) != 0)
		return -1;
	w += 2;
	while (*w == ' ')
		w++;
	if (*w++ != '(')
		return -1;
	for (;;) {
		while (*w == ' ')
			w++;
		if (*nv >= WHERE_MAX || quoted(&w, values[*nv], 256) != 0)
			return -1;
		++*nv;
		while (*w == ' ')
			w++;
		if (*w == ')')
			return 0;
		if (*w++ != ',')
			return -1;
	}
}

/* select * | FIELDS from ENTITY [where FIELD = 'v' | FIELD IN ('a', ...)] [startposition N] [maxresults N];
 * the answer is the whole QueryResponse object. */
static void
query_sql(const char *sql, sb_response *r)
{
	char ent[32] = "", field[64] = "";
	static char values[WHERE_MAX][256];
	size_t nv = 0;
	long start = 1, max = 100;
	const char *from = sql ? find_ci(sql, " from ") : NULL;
	if (!sql || strncasecmp(sql, "select ", 7) != 0 || !from ||
	    sscanf(from + 6, "%31s", ent) != 1) {
		fault(r, 400, "4000", "Error parsing query", "QueryParserError: Encountered an "
			"error while parsing the query", NULL);
		return;
	}
	const char *w = find_ci(sql, " where ");
	/* Metadata.LastUpdatedTime >= 'T' (or >): the changes since T */
	static const char meta[] = "Metadata.LastUpdatedTime";
	char after[40] = "";
	int strict = 0;
	if (w) {
		const char *m = w + 7;
		while (*m == ' ')
			m++;
		if (!strncasecmp(m, meta, sizeof meta - 1)) {
			char v[64];
			m += sizeof meta - 1;
			while (*m == ' ')
				m++;
			strict = m[0] == '>' && m[1] != '=';
			m += m[0] == '>' ? (strict ? 1 : 2) : 0;
			while (*m == ' ')
				m++;
			if (quoted(&m, v, sizeof v) == 0)
				sb_stamp_norm(v, after, sizeof after);
			if (!after[0]) {
				fault(r, 400, "4000", "Error parsing query", "QueryParserError: Encountered "
					"an error while parsing the where clause", NULL);
				return;
			}
			w = NULL;
		}
	}
	if (w && where_clause(w + 7, field, sizeof field, values, &nv) != 0) {
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
	for (size_t i = 0; i < NENT; i++)
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
		if (after[0]) {
			char t[40];
			sb_stamp_norm(json_string_value(json_object_get(json_object_get(x, "MetaData"),
				"LastUpdatedTime")), t, sizeof t);
			int c = strcmp(t, after);
			if (c < 0 || (strict && c == 0))
				continue;
		}
		if (*field) {
			json_t *fv = json_object_get(x, field);
			if (json_is_object(fv)) /* PrimaryEmailAddr: its Address */
				fv = json_object_get(fv, "Address");
			const char *v = json_string_value(fv);
			size_t vi = 0;
			while (v && vi < nv && strcmp(v, values[vi]) != 0)
				vi++;
			if (!v || vi == nv)
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
	char t[64];
	now_text(t, sizeof t, "%Y-%m-%dT%H:%M:%S.000-07:00");
	sb_json(r, 200, json_pack("{s:o,s:s}", "QueryResponse", resp, "time", t));
}

/* GET /cdc?entities=Item,Invoice&changedSince=T (change data capture):
 * for each entity named, its objects changed at or after T (their
 * MetaData.LastUpdatedTime), at most CDC_MAX of each ->
 * {"CDCResponse":[{"QueryResponse":[{"Item":[...],"startPosition":1,
 * "maxResults":N,"totalCount":N}, {"Invoice":[...],...}]}],"time"}.  T
 * more than CDC_DAYS ago is refused with Intuit's words. */
static void
cdc(const sb_request *q, sb_response *r)
{
	const char *ents = q->query(q->conn, "entities"), *since = q->query(q->conn,
		"changedSince");
	char s[40], oldest[40], d[200];
	if (!ents || !*ents || !since || !*since) {
		missing(r, !ents || !*ents ? "entities" : "changedSince");
		return;
	}
	sb_stamp_norm(since, s, sizeof s);
	if (!s[0]) {
		fault(r, 400, "2010", "Request has invalid or unsupported property", "changedSince "
			"is not a date-time", "changedSince");
		return;
	}
	time_t limit = time(NULL) - CDC_DAYS * 86400L;
	strftime(oldest, sizeof oldest, "%Y-%m-%dT%H:%M:%SZ", gmtime(&limit));
	if (strcmp(s, oldest) < 0) {
		snprintf(d, sizeof d, "Operation cdc with changedSince date %.40s which is older "
			"than fixed days is not supported.", since);
		fault(r, 400, "4001", "Invalid query", d, "changedSince");
		return;
	}
	json_t *list = json_array();
	for (const char *p = ents; *p;) {
		size_t n = strcspn(p, ",");
		const char *canon = NULL;
		for (size_t i = 0; i < NENT; i++)
			if (strlen(names[i]) == n && !strncasecmp(p, names[i], n))
				canon = names[i];
		if (!canon) {
			snprintf(d, sizeof d, "QueryValidationError: Unknown entity %.*s", (int)(n < 40 ?
				n : 40), p);
			fault(r, 400, "4001", "Invalid query", d, "entities");
			json_decref(list);
			return;
		}
		json_t *out = json_array(), *x;
		size_t i;
		json_array_foreach(json_object_get(store_, canon), i, x) {
			char t[40];
			sb_stamp_norm(json_string_value(json_object_get(json_object_get(x, "MetaData"),
				"LastUpdatedTime")), t, sizeof t);
			if (strcmp(t, s) >= 0 && json_array_size(out) < CDC_MAX)
				json_array_append(out, x);
		}
		json_t *qr = json_object();
		if (json_array_size(out))
			json_object_set(qr, canon, out);
		json_object_set_new(qr, "startPosition", json_integer(1));
		json_object_set_new(qr, "maxResults", json_integer((json_int_t)json_array_size(out)));
		json_object_set_new(qr, "totalCount", json_integer((json_int_t)json_array_size(out)));
		json_decref(out);
		json_array_append_new(list, qr);
		p += n;
		p += *p == ',';
	}
	char t[64];
	now_text(t, sizeof t, "%Y-%m-%dT%H:%M:%S.000-07:00");
	sb_json(r, 200, json_pack("{s:[{s:o}],s:s}", "CDCResponse", "QueryResponse", list, "time",
		t));
}

/* One BatchItemRequest, answered as the plain endpoint would, into its
 * BatchItemResponse. */
static json_t *
batch_item(json_t *it)
{
	sb_response ir = { 0 };
	const char *bid = json_string_value(json_object_get(it, "bId"));
	const char *op = json_string_value(json_object_get(it, "operation"));
	const char *sql = json_string_value(json_object_get(it, "Query"));
	/* a void in a batch: operation update with optionsData void (Intuit's
	 * batch reference) */
	const char *opts = json_string_value(json_object_get(it, "optionsData"));
	const char *entity = NULL;
	json_t *e = NULL;
	for (size_t i = 0; i < NENT && !entity; i++)
		if ((e = json_object_get(it, names[i])) != NULL)
			entity = names[i];
	if (!bid) {
		fault(&ir, 400, "2020", "Required param missing, need to supply the required value "
			"for the API", "Required parameter bId is missing in the request", "bId");
	} else if (sql && !entity) {
		query_sql(sql, &ir);
	} else if (!entity || !json_is_object(e)) {
		fault(&ir, 400, "2010", "Request has invalid or unsupported property",
			"the batch item names no supported entity", NULL);
	} else if (!op || (strcmp(op, "create") && strcmp(op, "update"))) {
		fault(&ir, 400, "2010", "Request has invalid or unsupported property",
			"operation is create or update (optionsData void) here", "operation");
	} else if (opts && strcmp(opts, "void") != 0) {
		fault(&ir, 400, "2010", "Request has invalid or unsupported property",
			"optionsData is void here", "optionsData");
	} else if (opts && strcmp(op, "update") != 0) {
		fault(&ir, 400, "2010", "Request has invalid or unsupported property",
			"optionsData void goes with operation update", "optionsData");
	} else if (opts) {
		void_entity(entity, json_deep_copy(e), &ir);
	} else if (!strcmp(op, "update") && !json_object_get(e, "Id")) {
		fault(&ir, 400, "2020", "Required param missing, need to supply the required value "
			"for the API", "Required parameter Id is missing in the request", "Id");
	} else if (!strcmp(op, "create") && json_object_get(e, "Id")) {
		fault(&ir, 400, "2010", "Request has invalid or unsupported property",
			"Property Name:Id is not allowed on create", "Id");
	} else {
		write_entity(entity, json_deep_copy(e), &ir);
	}
	json_error_t je;
	json_t *ans = ir.body ? json_loads(ir.body, 0, &je) : NULL;
	free(ir.body);
	json_t *out = json_pack("{s:s}", "bId", bid ? bid : "");
	const char *key = ir.status != 200 ? "Fault" : sql && !entity ? "QueryResponse" : entity;
	json_object_set(out, key, json_object_get(ans, key));
	json_decref(ans);
	return out;
}

static void
batch(const sb_request *q, sb_response *r)
{
	json_error_t je;
	json_t *b = json_loadb(q->body, q->body_len, 0, &je);
	json_t *items = json_object_get(b, "BatchItemRequest");
	size_t n = json_array_size(items);
	if (!json_is_array(items) || n == 0) {
		fault(r, 400, "2010", "Request has invalid or unsupported property", b ?
			"BatchItemRequest is missing or empty" : je.text, "BatchItemRequest");
		json_decref(b);
		return;
	}
	if (n > BATCH_MAX) {
		char d[128];
		snprintf(d, sizeof d, "Batch size exceeds the maximum: %zu BatchItemRequest "
			"objects, at most %d are allowed", n, BATCH_MAX);
		fault(r, 400, "6000", "A business validation error has occurred while processing "
			"your request", d, "BatchItemRequest");
		json_decref(b);
		return;
	}
	if (!admitted(q, r, (long)n, 1)) {
		json_decref(b);
		return;
	}
	json_t *out = json_array();
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it)
		json_array_append_new(out, batch_item(it));
	json_decref(b);
	char t[64];
	now_text(t, sizeof t, "%Y-%m-%dT%H:%M:%S.000-07:00");
	sb_json(r, 200, json_pack("{s:o,s:s}", "BatchItemResponse", out, "time", t));
}

/* requestid: the same id gets the first answer again, and writes nothing */
static int
replayed(const sb_request *q, sb_response *r)
{
	const char *rid = q->query(q->conn, "requestid");
	json_t *seen = rid ? json_object_get(requests, rid) : NULL;
	if (!seen)
		return 0;
	r->status = (unsigned)json_integer_value(json_object_get(seen, "status"));
	r->body = strdup(json_string_value(json_object_get(seen, "body")));
	r->content_type = "application/json; charset=utf-8";
	return 1;
}

static void
remember(const sb_request *q, const sb_response *r)
{
	const char *rid = q->query(q->conn, "requestid");
	/* a throttled or refused request wrote nothing: it may be sent again */
	if (rid && r->body && r->status != 429 && r->status != 401)
		json_object_set_new(requests, rid, json_pack("{s:i,s:s}", "status", r->status,
			"body", r->body));
}

/* POST /{entity}: a create, or an update with Id and SyncToken; a void in
 * the form Intuit's SDKs send it (CoreConstants VOID_QUERYPARAMETER_*):
 * ?operation=void for an invoice, ?operation=update&include=void for a
 * payment or a sales receipt.  Steals e. */
static void
post_entity(const sb_request *q, const char *entity, json_t *e, sb_response *r)
{
	const char *op = q->query(q->conn, "operation"), *inc = q->query(q->conn, "include");
	int update_form = !strcmp(entity, "Payment") || !strcmp(entity, "SalesReceipt");
	if (inc && !strcmp(inc, "void") && (!update_form || !op || strcmp(op, "update") != 0)) {
		unsupported(r, "Void");
		json_decref(e);
	} else if (inc && !strcmp(inc, "void")) {
		void_entity(entity, e, r);
	} else if (op && !strcmp(op, "void") && update_form) {
		unsupported(r, "Void");
		json_decref(e);
	} else if (op && !strcmp(op, "void")) {
		void_entity(entity, e, r);  /* refused for what has no void */
	} else if (op && strcmp(op, "update") != 0 && strcmp(op, "create") != 0) {
		unsupported(r, op);
		json_decref(e);
	} else {
		write_entity(entity, e, r);
	}
}

static json_t *
rate_entity(const char *code, const char *asof, json_t *rate)
{
	return json_pack("{s:s,s:s,s:O,s:s,s:s,s:b}", "SourceCurrencyCode", code,
		"TargetCurrencyCode", HOME_CURRENCY, "Rate", rate, "AsOfDate", asof, "domain", "QBO",
		"sparse", 0);
}

/* GET exchangerate?sourcecurrencycode=EUR[&asofdate=YYYY-MM-DD] (default
 * today): the ExchangeRate entity of the latest rate on or before that day;
 * a currency without one is Fault 610.  POST exchangerate {SourceCurrencyCode,
 * AsOfDate, Rate}: the rate of that day, as a person enters it (an exchange
 * rate has no Id or SyncToken). */
static void
exchangerate(const sb_request *q, sb_response *r)
{
	char t[64], day[16];
	now_text(t, sizeof t, "%Y-%m-%dT%H:%M:%S.000-00:00");
	if (!strcmp(q->method, "POST")) {
		json_t *e = json_loadb(q->body, q->body_len, 0, NULL);
		const char *code = json_string_value(json_object_get(e, "SourceCurrencyCode"));
		const char *asof = json_string_value(json_object_get(e, "AsOfDate"));
		json_t *rate = json_object_get(e, "Rate");
		if (!code || strlen(code) != 3 || !asof || strlen(asof) != 10 ||
		    !json_is_number(rate) || json_number_value(rate) <= 0 ||
		    !strcmp(code, HOME_CURRENCY)) {
			fault(r, 400, "2020", MSG_MISSING, "Required parameter SourceCurrencyCode, "
				"AsOfDate or a positive Rate is missing in the request", "ExchangeRate");
			json_decref(e);
			return;
		}
		if (!json_object_get(rates_, code))
			json_object_set_new(rates_, code, json_object());
		json_object_set(json_object_get(rates_, code), asof, rate);
		sb_json(r, 200, json_pack("{s:o,s:s}", "ExchangeRate", rate_entity(code, asof, rate),
			"time", t));
		json_decref(e);
		return;
	}
	const char *code = q->query(q->conn, "sourcecurrencycode");
	const char *at = q->query(q->conn, "asofdate"), *asof;
	if (!code || !*code) {
		fault(r, 400, "2020", MSG_MISSING, "Required parameter sourcecurrencycode is missing "
			"in the request", "sourcecurrencycode");
		return;
	}
	if (at && *at)
		snprintf(day, sizeof day, "%s", at);
	else
		now_text(day, sizeof day, "%Y-%m-%d");
	json_t *v = rate_on(code, day, &asof);
	if (!v) {
		char d[128];
		snprintf(d, sizeof d, "Object Not Found: no exchange rate for %.8s as of %.12s", code,
			day);
		fault(r, 400, "610", "Object Not Found", d, NULL);
		return;
	}
	sb_json(r, 200, json_pack("{s:o,s:s}", "ExchangeRate", rate_entity(code, asof, v), "time",
		t));
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
	const char *rest = q->path + strlen(prefix);
	if (!strcmp(rest, "batch") && !strcmp(q->method, "POST")) {
		/* authenticated and metered per item inside */
		if (!admitted(q, r, 0, 0) || replayed(q, r))
			return;
		batch(q, r);
		remember(q, r);
		return;
	}
	if (!admitted(q, r, 1, 0))
		return;
	if (!strcmp(rest, "query")) {
		query_sql(q->query(q->conn, "query"), r);
		return;
	}
	if (!strcmp(rest, "cdc") && !strcmp(q->method, "GET")) {
		cdc(q, r);
		return;
	}
	if (!strcmp(rest, "exchangerate")) {
		exchangerate(q, r);
		return;
	}
	if (!strcmp(rest, "preferences") && !strcmp(q->method, "GET")) {
		char t[64];
		now_text(t, sizeof t, "%Y-%m-%dT%H:%M:%S.000-00:00");
		sb_json(r, 200, json_pack("{s:{s:{s:b,s:{s:s}}},s:s}", "Preferences",
			"CurrencyPrefs", "MultiCurrencyEnabled", 1, "HomeCurrency", "value",
			HOME_CURRENCY, "time", t));
		return;
	}
	for (size_t i = 0; i < NENT; i++) {
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
		if (replayed(q, r))
			return;
		json_error_t je;
		json_t *e = json_loadb(q->body, q->body_len, 0, &je);
		if (!json_is_object(e)) {
			fault(r, 400, "2010", "Request has invalid or unsupported property",
				e ? "the body is not an object" : je.text, NULL);
			json_decref(e);
		} else {
			post_entity(q, names[i], e, r);
		}
		remember(q, r);
		return;
	}
	fault(r, 400, "610", "Object Not Found", "unsupported entity", NULL);
}

static json_t *
dump(void)
{
	json_t *d = json_deep_copy(store_);
	json_object_set_new(d, "realm", json_string(REALM));
	/* the company's rate table (Settings > Currencies): {"EUR": {"2026-11-05": 1.0512}} */
	json_object_set(d, "ExchangeRates", rates_);
	json_object_set_new(d, "refresh_token", json_string(refresh_token));
	return d;
}

/* POST /_sandbox/documents: an ExchangeRate {SourceCurrencyCode,
 * AsOfDate, Rate} as a person enters it; a Customer as it is imported (no checks); a
 * Vendor, Item, Bill or Purchase as a person enters it in QuickBooks,
 * with the checks and effects of the API (a bill raises the stock of
 * its items). */
static const char *
place(const char *collection, json_t *doc)
{
	char buf[32], t[64];
	if (!strcmp(collection, "ExchangeRate")) {
		/* a rate as a person enters it (Settings > Currencies): the
		 * company's rate of that day, which exchangerate then answers */
		const char *code = json_string_value(json_object_get(doc, "SourceCurrencyCode"));
		const char *asof = json_string_value(json_object_get(doc, "AsOfDate"));
		json_t *rate = json_object_get(doc, "Rate");
		if (!code || strlen(code) != 3 || !asof || strlen(asof) != 10 ||
		    !json_is_number(rate) || json_number_value(rate) <= 0) {
			json_decref(doc);
			return NULL;
		}
		if (!json_object_get(rates_, code))
			json_object_set_new(rates_, code, json_object());
		json_object_set(json_object_get(rates_, code), asof, rate);
		json_decref(doc);
		return "ExchangeRate";
	}
	if (!strcmp(collection, "Vendor") || !strcmp(collection, "Item") ||
	    !strcmp(collection, "Bill") || !strcmp(collection, "Purchase")) {
		sb_response ir = { 0 };
		json_object_del(doc, "Id");
		write_entity(collection, doc, &ir);
		json_t *a = ir.status == 200 && ir.body ? json_loads(ir.body, 0, NULL) : NULL;
		json_t *e = by_id(collection, json_string_value(json_object_get(json_object_get(a,
			collection), "Id")));
		json_decref(a);
		free(ir.body);
		return e ? json_string_value(json_object_get(e, "Id")) : NULL;
	}
	if (strcmp(collection, "Customer") != 0) {
		json_decref(doc);
		return NULL;
	}
	now_text(t, sizeof t, "%Y-%m-%dT%H:%M:%S-00:00");
	snprintf(buf, sizeof buf, "%u", next_id++);
	json_object_set_new(doc, "Id", json_string(buf));
	json_object_set_new(doc, "SyncToken", json_string("0"));
	json_object_set_new(doc, "domain", json_string("QBO"));
	json_object_set_new(doc, "MetaData", json_pack("{s:s,s:s}", "CreateTime", t,
		"LastUpdatedTime", t));
	json_array_append_new(json_object_get(store_, "Customer"), doc);
	return json_string_value(json_object_get(doc, "Id"));
}

/* The books (sandbox.h): per currency, sales = invoices + sales receipts -
 * credit memos - refund receipts (TotalAmt: voided ones are 0); cash =
 * payments + sales receipts - refund receipts; receivable = invoices'
 * Balance - credit memos' RemainingCredit - payments' UnappliedAmt. */
#define NCUR 16
typedef struct {
	char code[8];
	long long sales, cash, receivable;
} Book;

static Book *
book_of(Book *b, size_t *n, json_t *doc)
{
	const char *c = ref_of(doc, "CurrencyRef");
	char code[8];
	snprintf(code, sizeof code, "%s", c && *c ? c : HOME_CURRENCY);
	for (size_t i = 0; i < *n; i++)
		if (!strcmp(b[i].code, code))
			return &b[i];
	if (*n == NCUR)
		return NULL;
	memset(&b[*n], 0, sizeof *b);
	memcpy(b[*n].code, code, sizeof code);
	return &b[(*n)++];
}

static json_t *
cents_text(long long c)
{
	char t[40];
	unsigned long long a = c < 0 ? 0ULL - (unsigned long long)c : (unsigned long long)c;
	snprintf(t, sizeof t, "%s%llu.%02llu", c < 0 ? "-" : "", a / 100, a % 100);
	return json_string(t);
}

json_t *
sb_qbo_books(void)
{
	/* per kind: its sign in sales, in cash, and the field it owes by */
	static const struct { const char *name; int sales, cash; const char *open; int osign; }
	kinds[] = {
		{ "Invoice", 1, 0, "Balance", 1 },
		{ "SalesReceipt", 1, 1, NULL, 0 },
		{ "CreditMemo", -1, 0, "RemainingCredit", -1 },
		{ "RefundReceipt", -1, -1, NULL, 0 },
		{ "Payment", 0, 1, "UnappliedAmt", -1 },
	};
	Book b[NCUR], home = { HOME_CURRENCY, 0, 0, 0 };
	size_t nb = 0, i;
	json_t *d;
	for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++)
		json_array_foreach(json_object_get(store_, kinds[k].name), i, d) {
			Book *bk = book_of(b, &nb, d);
			long long t = cents(json_object_get(d, "TotalAmt"));
			json_t *x = json_object_get(d, "ExchangeRate");
			double rate = json_is_number(x) ? json_number_value(x) : 1;
			if (!bk)
				continue;
			bk->sales += kinds[k].sales * t;
			bk->cash += kinds[k].cash * t;
			home.sales += kinds[k].sales * home_cents(t, rate);
			home.cash += kinds[k].cash * home_cents(t, rate);
			if (kinds[k].open) {
				long long o = cents(json_object_get(d, kinds[k].open));
				bk->receivable += kinds[k].osign * o;
				home.receivable += kinds[k].osign * home_cents(o, rate);
			}
		}
	json_t *out = json_object();
	for (i = 0; i < nb; i++)
		json_object_set_new(out, b[i].code, json_pack("{s:o,s:o,s:o}", "sales",
			cents_text(b[i].sales), "cash", cents_text(b[i].cash), "receivable",
			cents_text(b[i].receivable)));
	/* each tracked item's quantity on hand by its Sku (else its Name) */
	json_t *onhand = json_object();
	json_array_foreach(json_object_get(store_, "Item"), i, d) {
		const char *sku = json_string_value(json_object_get(d, "Sku"));
		char q[48];
		if (!tracked(d))
			continue;
		snprintf(q, sizeof q, "%.4f", json_number_value(json_object_get(d, "QtyOnHand")));
		for (size_t n = strlen(q); n && (q[n - 1] == '0' || q[n - 1] == '.'); n--) {
			int dot = q[n - 1] == '.';
			q[n - 1] = '\0';
			if (dot)
				break;
		}
		json_object_set_new(onhand, sku && *sku ? sku : json_string_value(json_object_get(d,
			"Name")) ? json_string_value(json_object_get(d, "Name")) : "", json_string(q[0] &&
			strcmp(q, "-0") ? q : "0"));
	}
	json_object_set_new(out, "onhand", onhand);
	/* everything in the home currency, each document at its own rate */
	json_object_set_new(out, "home", json_pack("{s:s,s:o,s:o,s:o}", "currency", home.code,
		"sales", cents_text(home.sales), "cash", cents_text(home.cash), "receivable",
		cents_text(home.receivable)));
	return out;
}

const sb_service sb_qbo = { "qbo", "/qbo", seed, handle, dump, place };
