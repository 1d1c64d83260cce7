/*
 * xero.c - the sandbox's Xero: the identity server's token endpoint and the
 * Accounting API 2.0 Contacts and Invoices, as Xero documents them
 * (developer.xero.com/documentation/api/accounting and the Xero-OpenAPI
 * xero_accounting.yaml): Bearer tokens, the xero-tenant-id header, PUT to
 * create and POST to create or update, batches with per-item results when
 * summarizeErrors=false, ValidationException bodies with
 * Elements[].ValidationErrors[], Idempotency-Key replay, paging by 100 with
 * If-Modified-Since, and the 60-calls-a-minute / 5000-a-day limits with
 * X-MinLimit-Remaining, X-DayLimit-Remaining and 429 + Retry-After.
 *
 * Payments go to a bank account against an AUTHORISED invoice (money
 * received) or credit note (a cash refund), never over what is outstanding,
 * and mark it PAID when it is settled; POST /Payments/{id} {"Status":
 * "DELETED"} reverses one.  CreditNotes (ACCRECCREDIT) are written as
 * invoices are and applied to invoices by PUT CreditNotes/{id}/Allocations.
 * A document with a payment or allocation cannot be edited or voided (Xero's
 * ValidationException words); VOIDED is reached by POST from SUBMITTED or
 * AUTHORISED.  Reads give back Payments, CreditNotes, AmountPaid,
 * AmountCredited, AmountDue, RemainingCredit (xero-node's Invoice,
 * CreditNote, Allocation and Payment models).  sb_xero_books() sums what is
 * held into the books (GET /_sandbox/books?service=xero).
 *
 * Items (xero-node's Item model) are written like the documents: PUT
 * creates (a Code another item has is refused: "Price List Item with Code
 * 'X' already exists"), POST updates by ItemID or Code.  Xero tracks an
 * item itself once InventoryAssetAccountCode (630, the INVENTORY account)
 * and PurchaseDetails.COGSAccountCode (310) are both named (one alone is
 * refused; an item with stock stays tracked); its count moves as Xero
 * moves it: an AUTHORISED or PAID bill (ACCPAY) line with the ItemCode of a
 * tracked item raises it, a sales invoice (ACCREC) line lowers it, credit
 * notes the other way, and a void gives it back; each move gives the item
 * a new UpdatedDateUTC.  Sold below zero, QuantityOnHand stays 0 and
 * QuantityOnBackOrder says what is missing (xero-node's Item).  The books
 * answer "onhand": {Code: QuantityOnHand}.
 *
 * Reads: GET Contacts, Invoices and Items (all, ?page=N, If-Modified-Since, and
 * ?where= with Xero's filter expressions: Field=="text", Field==guid("..."),
 * Field==number, !=, Path.Contains/StartsWith/EndsWith("text"), joined by
 * AND / && and OR / ||, dotted paths such as Contact.ContactNumber),
 * GET Contacts/{ContactID or ContactNumber} and Invoices/{InvoiceID or
 * InvoiceNumber}, and the seeded Accounts, TaxRates, TrackingCategories and
 * Items (the demo catalogue's codes) the validation uses.
 *
 * Tokens live 1800 s (or --token-ttl) and die early on the expire_tokens
 * fault; the limits scale with --limit-scale.  The limit of 5 calls at once
 * is main.c's (a 429 past it; /_sandbox/faults shows the peak in flight).
 *
 * Test tooling: amounts are checked to the cent via llround on jansson's
 * doubles; the documents themselves are stored as sent.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "sandbox.h"

#define CLIENT_ID "sandbox-client"
#define CLIENT_SECRET "sandbox-secret"
#define TENANT "00000000-0000-4000-8000-00000000000a"
#define PER_MIN 60
#define PER_DAY 5000
#define MAX_BATCH 50

static const char *const accounts[] = { "090", "091", "092", "093", "200", "210", "220", "260",
	"310", "630" };
/* the bank accounts among them: the only ones a payment can go to */
static const char *const bank_accounts[] = { "090", "091", "092", "093" };
/* the inventory asset account (Type INVENTORY) and cost of goods sold
 * (DIRECTCOSTS) a tracked item names, as in Xero's demo company */
#define INVENTORY_ACCOUNT "630"
#define COGS_ACCOUNT "310"
static const char *const tax_types[] = {
	"OUTPUT", "OUTPUT2", "ZERORATEDOUTPUT", "EXEMPTOUTPUT", "NONE", "INPUT",
};
static const char *const channel_options[] = { "Online", "App", "Marketplace", "Retail", "Other" };
static const char *const campaign_options[] = { "Black Friday", "Newsletter", "Social", "None" };

static json_t *contacts, *invoices, *credit_notes, *allocations, *payments, *idempotent, *tokens;
static json_t *currencies; /* the organisation's: [{Code, Description}], the base first */
static json_t *ref_accounts, *ref_tax_rates, *ref_tracking, *ref_items;
static char refresh_token[64];
static unsigned counter;
static time_t min_start, day_start;
static int min_calls, day_calls;

/* ---- currencies ----------------------------------------------------------
 * The organisation's base currency is USD (GET Organisation: BaseCurrency,
 * xero-node's Organisation); the currencies it has added are USD, EUR, GBP
 * and JPY, the demo store's (GET Currencies; PUT Currencies adds one of
 * those Xero has rates for; none is ever removed, as in Xero).  A document
 * in a currency not added is refused in Xero's words.  Xero keeps a rate
 * for every day (XE's): here every day of 2026 (a day outside it takes the
 * nearest), six places, the same whatever the seed, in Xero's direction:
 * units of the currency one USD buys.  A foreign document or payment
 * without CurrencyRate takes the rate of its Date; one with CurrencyRate
 * keeps it (to six places); a base-currency one has 1. */
#define BASE_CURRENCY "USD"
static const struct { const char *code, *name; long micro, step; } xe_rates[] = {
	{ "EUR", "Euro", 920000, 113 }, { "GBP", "British Pound", 790000, 97 },
	{ "JPY", "Japanese Yen", 150000000, 10007 }, { "CAD", "Canadian Dollar", 1360000, 131 },
	{ "AUD", "Australian Dollar", 1520000, 149 }, { "CHF", "Swiss Franc", 880000, 89 },
	{ "NZD", "New Zealand Dollar", 1660000, 163 },
};
static const char *const added[] = { "EUR", "GBP", "JPY" };

/* Xero's rate of code on day (YYYY-MM-DD...) in millionths; -1 when Xero
 * has none (not a currency of the table). */
static long
xe_rate(const char *code, const char *day)
{
	struct tm tm = { 0 };
	long doy = 0;
	if (day && sscanf(day, "%d-%d-%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday) == 3) {
		tm.tm_year -= 1900;
		tm.tm_mon -= 1;
		doy = (long)((timegm(&tm) - 1767225600) / 86400); /* from 2026-01-01 */
	}
	doy = doy < 0 ? 0 : doy > 364 ? 364 : doy;
	for (size_t k = 0; code && k < sizeof xe_rates / sizeof *xe_rates; k++)
		if (!strcmp(code, xe_rates[k].code))
			return xe_rates[k].micro + doy * 37 % 97 * xe_rates[k].step;
	return -1;
}

static const char *
xe_name(const char *code)
{
	for (size_t k = 0; code && k < sizeof xe_rates / sizeof *xe_rates; k++)
		if (!strcmp(code, xe_rates[k].code))
			return xe_rates[k].name;
	return code && !strcmp(code, BASE_CURRENCY) ? "United States Dollar" : NULL;
}

static int
currency_added(const char *code)
{
	size_t i;
	json_t *c;
	json_array_foreach(currencies, i, c)
		if (code && !strcmp(code, json_string_value(json_object_get(c, "Code"))))
			return 1;
	return 0;
}

static void
seed_currencies(void)
{
	currencies = json_array();
	json_array_append_new(currencies, json_pack("{s:s,s:s}", "Code", BASE_CURRENCY,
		"Description", xe_name(BASE_CURRENCY)));
	for (size_t k = 0; k < sizeof added / sizeof *added; k++)
		json_array_append_new(currencies, json_pack("{s:s,s:s}", "Code", added[k],
			"Description", xe_name(added[k])));
}

static int
in(const char *v, const char *const *set, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		if (strcmp(v, set[i]) == 0)
			return 1;
	return 0;
}

#define IN(v, set) in((v), (set), sizeof(set) / sizeof *(set))

static void xero_date(char *out, size_t n, time_t t);

/* The organisation's chart of accounts, tax rates, tracking categories and
 * items: the lists the validation below checks against, served as Xero
 * serves them (fixed ids, so they are the same on every run). */
static void
seed_reference(void)
{
	static const char *const acct_names[] = { "Business Bank Account", "Savings Account",
		"PayPal", "Gift cards clearing", "Sales", "Sales - marketplace", "Sales - retail",
		"Shipping income", "Cost of Goods Sold", "Inventory" };
	static const struct { const char *type, *name; double rate; } rates[] = {
		{ "OUTPUT", "Sales Tax on Sales", 8.0 }, { "OUTPUT2", "Reduced Rate Sales", 5.0 },
		{ "ZERORATEDOUTPUT", "Zero Rated Sales", 0.0 },
		{ "EXEMPTOUTPUT", "Exempt Sales", 0.0 }, { "NONE", "Tax Exempt", 0.0 },
		{ "INPUT", "Sales Tax on Purchases", 8.0 },
	};
	static const struct { const char *code, *name; long cents; } items[] = {
		{ "MUG-01", "Mug", 1999 }, { "TEE-02", "T-shirt \u00e9", 2450 },
		{ "CAP-03", "Cap", 1500 }, { "BAG-04", "Tote bag", 3500 }, { "PEN-05", "Pen", 350 },
		{ "TEA-06", "\u62b9\u8336 tea", 1200 }, { "SOCK-07", "Socks", 899 },
		{ "BOOK-08", "Notebook", 1299 }, { "LAMP-09", "Lamp", 14900 },
	};
	char id[64];
	ref_accounts = json_array();
	for (size_t i = 0; i < sizeof accounts / sizeof *accounts; i++) {
		int bank = IN(accounts[i], bank_accounts);
		int inv = !strcmp(accounts[i], INVENTORY_ACCOUNT), cogs = !strcmp(accounts[i], COGS_ACCOUNT);
		snprintf(id, sizeof id, "a0000000-0000-4000-8000-%012zu", i + 1);
		json_t *a = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "AccountID", id, "Code",
			accounts[i], "Name", acct_names[i], "Type", bank ? "BANK" : inv ? "INVENTORY" :
			cogs ? "DIRECTCOSTS" : "REVENUE", "Status", "ACTIVE", "TaxType", bank || inv ?
			"NONE" : cogs ? "INPUT" : "OUTPUT", "Class", bank || inv ? "ASSET" : cogs ?
			"EXPENSE" : "REVENUE");
		if (bank) {
			json_object_set_new(a, "BankAccountType", json_string("BANK"));
			json_object_set_new(a, "CurrencyCode", json_string(BASE_CURRENCY));
		}
		json_array_append_new(ref_accounts, a);
	}
	ref_tax_rates = json_array();
	for (size_t i = 0; i < sizeof rates / sizeof *rates; i++)
		json_array_append_new(ref_tax_rates, json_pack("{s:s,s:s,s:s,s:s,s:b,s:f,s:f,"
			"s:[{s:s,s:f,s:b}]}", "Name", rates[i].name, "TaxType", rates[i].type,
			"Status", "ACTIVE", "ReportTaxType", strcmp(rates[i].type, "INPUT") ? "OUTPUT"
			: "INPUT", "CanApplyToRevenue", strcmp(rates[i].type, "INPUT") != 0,
			"DisplayTaxRate", rates[i].rate, "EffectiveRate", rates[i].rate,
			"TaxComponents", "Name", "Sales Tax", "Rate", rates[i].rate, "IsCompound", 0));
	ref_tracking = json_array();
	const char *const *opts[] = { channel_options, campaign_options };
	size_t nopts[] = { sizeof channel_options / sizeof *channel_options,
		sizeof campaign_options / sizeof *campaign_options };
	const char *cat_names[] = { "Sales Channel", "Campaign" };
	for (size_t c = 0; c < 2; c++) {
		json_t *o = json_array();
		for (size_t i = 0; i < nopts[c]; i++) {
			snprintf(id, sizeof id, "c%07zu-0000-4000-8000-%012zu", c + 1, i + 1);
			json_array_append_new(o, json_pack("{s:s,s:s,s:s}", "TrackingOptionID", id,
				"Name", opts[c][i], "Status", "ACTIVE"));
		}
		snprintf(id, sizeof id, "c%07zu-0000-4000-8000-000000000000", c + 1);
		json_array_append_new(ref_tracking, json_pack("{s:s,s:s,s:s,s:o}",
			"TrackingCategoryID", id, "Name", cat_names[c], "Status", "ACTIVE", "Options",
			o));
	}
	ref_items = json_array();
	char date[64];
	xero_date(date, sizeof date, time(NULL));
	for (size_t i = 0; i < sizeof items / sizeof *items; i++) {
		snprintf(id, sizeof id, "b0000000-0000-4000-8000-%012zu", i + 1);
		json_array_append_new(ref_items, json_pack("{s:s,s:s,s:s,s:s,s:b,s:b,s:b,"
			"s:{s:f,s:s,s:s},s:s,s:I}", "ItemID", id, "Code", items[i].code, "Name",
			items[i].name, "Description", items[i].name, "IsSold", 1, "IsPurchased", 0,
			"IsTrackedAsInventory", 0, "SalesDetails", "UnitPrice",
			(double)items[i].cents / 100, "AccountCode", "200", "TaxType", "OUTPUT",
			"UpdatedDateUTC", date, "_updated", (json_int_t)time(NULL)));
	}
}

static void
seed(unsigned s)
{
	contacts = json_array();
	invoices = json_array();
	credit_notes = json_array();
	allocations = json_array();
	payments = json_array();
	idempotent = json_object();
	tokens = json_object();
	counter = s * 1000;
	snprintf(refresh_token, sizeof refresh_token, "rt-%u", counter++);
	seed_reference();
	seed_currencies();
}


static void
uuid(char *out, size_t n)
{
	unsigned k = counter++;
	snprintf(out, n, "%08x-0000-4000-8000-%012x", k, k * 2654435761u);
}

static void
xero_date(char *out, size_t n, time_t t)
{
	snprintf(out, n, "/Date(%lld000+0000)/", (long long)t);
}

/* ---- the token endpoint ---------------------------------------------- */

static const char *
form_value(const char *body, const char *key, char *out, size_t n)
{
	size_t k = strlen(key);
	for (const char *p = body; p && *p; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL) {
		if (strncmp(p, key, k) == 0 && p[k] == '=') {
			const char *v = p + k + 1, *e = strchr(v, '&');
			size_t len = e ? (size_t)(e - v) : strlen(v);
			if (len >= n)
				len = n - 1;
			memcpy(out, v, len);
			out[len] = 0;
			return out;
		}
	}
	return NULL;
}

static void
token(const sb_request *q, sb_response *r)
{
	/* Basic base64("sandbox-client:sandbox-secret") */
	const char *auth = q->header(q->conn, "Authorization");
	if (!auth || strcmp(auth, "Basic c2FuZGJveC1jbGllbnQ6c2FuZGJveC1zZWNyZXQ=") != 0) {
		sb_json(r, 400, json_pack("{s:s}", "error", "invalid_client"));
		return;
	}
	char grant[64], rt[128];
	if (!form_value(q->body, "grant_type", grant, sizeof grant)) {
		sb_json(r, 400, json_pack("{s:s}", "error", "unsupported_grant_type"));
		return;
	}
	int refresh = strcmp(grant, "refresh_token") == 0;
	if (refresh) {
		/* rotation: the old refresh token stops working */
		if (!form_value(q->body, "refresh_token", rt, sizeof rt) ||
		    strcmp(rt, refresh_token) != 0) {
			sb_json(r, 400, json_pack("{s:s}", "error", "invalid_grant"));
			return;
		}
		snprintf(refresh_token, sizeof refresh_token, "rt-%u", counter++);
	} else if (strcmp(grant, "client_credentials") != 0) {
		sb_json(r, 400, json_pack("{s:s}", "error", "unsupported_grant_type"));
		return;
	}
	char at[64];
	snprintf(at, sizeof at, "at-%u", counter++);
	long ttl = sb_ttl(1800);
	json_object_set_new(tokens, at, json_pack("[I,I]", (json_int_t)(time(NULL) + ttl),
		(json_int_t)sb_token_generation("xero")));
	json_t *t = json_pack("{s:s,s:I,s:s,s:s}", "access_token", at, "expires_in", (json_int_t)ttl,
		"token_type", "Bearer", "scope", "accounting.transactions accounting.contacts");
	if (refresh)
		json_object_set_new(t, "refresh_token", json_string(refresh_token));
	sb_json(r, 200, t);
}

/* ---- the API --------------------------------------------------------- */

static int
authorised(const sb_request *q, sb_response *r)
{
	const char *a = q->header(q->conn, "Authorization");
	json_t *tk = a && strncmp(a, "Bearer ", 7) == 0 ? json_object_get(tokens, a + 7) : NULL;
	if (!tk || json_integer_value(json_array_get(tk, 0)) < (json_int_t)time(NULL) ||
	    json_integer_value(json_array_get(tk, 1)) != (json_int_t)sb_token_generation("xero")) {
		sb_json(r, 401, json_pack("{s:s,s:i,s:s}", "Title", "Unauthorized", "Status", 401,
			"Detail", "AuthenticationUnsuccessful"));
		return 0;
	}
	const char *t = q->header(q->conn, "xero-tenant-id");
	if (!t || strcmp(t, TENANT) != 0) {
		sb_json(r, 403, json_pack("{s:s,s:i,s:s}", "Title", "Forbidden", "Status", 403,
			"Detail", "AuthorizationUnsuccessful"));
		return 0;
	}
	return 1;
}

/* The published limits, with the headers Xero sends on every answer. */
static int
within_limits(sb_response *r)
{
	time_t now = time(NULL);
	if (now - min_start >= 60) {
		min_start = now;
		min_calls = 0;
	}
	if (now - day_start >= 86400) {
		day_start = now;
		day_calls = 0;
	}
	char v[32];
	long per_min = sb_limit(PER_MIN), per_day = sb_limit(PER_DAY);
	if (min_calls >= per_min || day_calls >= per_day) {
		int day = day_calls >= per_day;
		long wait = day ? (long)(86400 - (now - day_start)) : (long)(60 - (now - min_start));
		sb_json(r, 429, json_pack("{s:s,s:i,s:s}", "Title", "Too Many Requests", "Status", 429,
			"Detail", "Rate limit exceeded"));
		snprintf(v, sizeof v, "%ld", wait > 0 ? wait : 1);
		sb_header(r, "Retry-After", v);
		sb_header(r, "X-Rate-Limit-Problem", day ? "day" : "minute");
		return 0;
	}
	min_calls++;
	day_calls++;
	snprintf(v, sizeof v, "%ld", per_min - min_calls);
	sb_header(r, "X-MinLimit-Remaining", v);
	snprintf(v, sizeof v, "%ld", per_day - day_calls);
	sb_header(r, "X-DayLimit-Remaining", v);
	return 1;
}

static json_t *
find(json_t *list, const char *field, const char *value)
{
	size_t i;
	json_t *x;
	if (!value)
		return NULL;
	json_array_foreach(list, i, x) {
		const char *v = json_string_value(json_object_get(x, field));
		if (v && strcmp(v, value) == 0)
			return x;
	}
	return NULL;
}

static void
error(json_t *errs, const char *fmt, const char *arg)
{
	char m[256];
	snprintf(m, sizeof m, fmt, arg ? arg : "");
	json_array_append_new(errs, json_pack("{s:s}", "Message", m));
}

static void
validate_contact(json_t *c, json_t *errs)
{
	const char *name = json_string_value(json_object_get(c, "Name"));
	if (!name || !*name)
		error(errs, "The contact name must be specified.%s", NULL);
	else if (strlen(name) > 255)
		error(errs, "The Contact Name exceeds the 255 character limit.%s", NULL);
	const char *num = json_string_value(json_object_get(c, "ContactNumber"));
	json_t *other = find(contacts, "ContactNumber", num);
	if (other && other != c && !json_object_get(c, "ContactID"))
		error(errs, "The contact number '%s' is already assigned to another contact.", num);
	/* Addresses: kept as sent, each of a type Xero has and each line as
	 * long as Xero takes it */
	static const struct { const char *field; size_t max; } lim[] = {
		{ "AddressLine1", 500 }, { "AddressLine2", 500 }, { "AddressLine3", 500 },
		{ "AddressLine4", 500 }, { "City", 255 }, { "Region", 255 }, { "PostalCode", 50 },
		{ "Country", 50 }, { "AttentionTo", 255 },
	};
	size_t i;
	json_t *a;
	json_array_foreach(json_object_get(c, "Addresses"), i, a) {
		const char *type = json_string_value(json_object_get(a, "AddressType"));
		if (!type || (strcmp(type, "POBOX") && strcmp(type, "STREET") &&
			      strcmp(type, "DELIVERY")))
			error(errs, "The AddressType '%s' is not valid: POBOX, STREET or DELIVERY.",
				type ? type : "");
		for (size_t k = 0; k < sizeof lim / sizeof lim[0]; k++) {
			const char *v = json_string_value(json_object_get(a, lim[k].field));
			char m[96];
			if (!v || strlen(v) <= lim[k].max)
				continue;
			snprintf(m, sizeof m, "The Address %s exceeds the %zu character limit.%%s",
				lim[k].field, lim[k].max);
			error(errs, m, NULL);
		}
	}
}

static json_t *
resolve_contact(json_t *ref, json_t *errs)
{
	json_t *c = find(contacts, "ContactID", json_string_value(json_object_get(ref, "ContactID")));
	if (!c)
		c = find(contacts, "ContactNumber",
			json_string_value(json_object_get(ref, "ContactNumber")));
	if (!c)
		c = find(contacts, "Name", json_string_value(json_object_get(ref, "Name")));
	if (!c && !json_object_get(ref, "ContactID") && !json_object_get(ref, "ContactNumber") &&
	    !json_object_get(ref, "Name"))
		error(errs, "The Contact must contain at least 1 of the following elements to "
			"identify the contact: Name, ContactID, ContactNumber%s", NULL);
	else if (!c)
		error(errs, "Contact %s could not be found.",
			json_string_value(json_object_get(ref, "ContactNumber")) ?
			json_string_value(json_object_get(ref, "ContactNumber")) :
			json_string_value(json_object_get(ref, "ContactID")));
	return c;
}

/* The seeded TaxRates, in percent. */
static double
tax_rate(const char *type)
{
	if (!type)
		return 8.0;
	if (!strcmp(type, "OUTPUT"))
		return 8.0;
	if (!strcmp(type, "OUTPUT2"))
		return 5.0;
	return 0.0;
}

/* A document's Status ("" when it has none). */
static const char *
status_of(json_t *x)
{
	const char *s = json_string_value(json_object_get(x, "Status"));
	return s ? s : "";
}

static long long
cents_of(json_t *x, const char *field)
{
	return llround(json_number_value(json_object_get(x, field)) * 100);
}

/* The invoice or credit note a reference names, by id or number. */
static json_t *
doc_of(json_t *ref, int credit)
{
	json_t *list = credit ? credit_notes : invoices;
	json_t *x = find(list, credit ? "CreditNoteID" : "InvoiceID",
		json_string_value(json_object_get(ref, credit ? "CreditNoteID" : "InvoiceID")));
	if (!x)
		x = find(list, credit ? "CreditNoteNumber" : "InvoiceNumber", json_string_value(
			json_object_get(ref, credit ? "CreditNoteNumber" : "InvoiceNumber")));
	return x;
}

/* 1 when x's reference member `member` names the document with id `id`. */
static int
names(json_t *x, const char *member, const char *idf, const char *id)
{
	const char *v = json_string_value(json_object_get(json_object_get(x, member), idf));
	return v && id && strcmp(v, id) == 0;
}

/* What Xero reads back on an invoice or credit note from the payments and
 * allocations applied to it: Payments, AmountPaid, AmountCredited and
 * AmountDue (invoices), Payments, Allocations and RemainingCredit (credit
 * notes); PAID once nothing is left, AUTHORISED again when a payment is
 * deleted.  A voided or deleted document owes nothing.  _applied keeps
 * what is applied, in cents: a document with any cannot be edited. */
static void
settle(json_t *doc, int credit)
{
	const char *idf = credit ? "CreditNoteID" : "InvoiceID";
	const char *id = json_string_value(json_object_get(doc, idf));
	const char *member = credit ? "CreditNote" : "Invoice";
	long long paid = 0, alloc = 0;
	json_t *plist = json_array(), *alist = json_array(), *x;
	size_t i;
	json_array_foreach(payments, i, x) {
		if (!names(x, member, idf, id) || !strcmp(status_of(x), "DELETED"))
			continue;
		paid += cents_of(x, "Amount");
		json_array_append_new(plist, json_pack("{s:O,s:O,s:O,s:O*,s:f}", "PaymentID",
			json_object_get(x, "PaymentID"), "Date", json_object_get(x, "Date"),
			"Amount", json_object_get(x, "Amount"), "Reference",
			json_object_get(x, "Reference"), "CurrencyRate", json_object_get(x,
			"CurrencyRate") ? json_number_value(json_object_get(x, "CurrencyRate")) : 1.0));
	}
	json_array_foreach(allocations, i, x) {
		if (!names(x, member, idf, id))
			continue;
		alloc += cents_of(x, "Amount");
		if (credit)
			json_array_append_new(alist, json_pack("{s:O,s:O,s:O,s:O}", "AllocationID",
				json_object_get(x, "AllocationID"), "Amount",
				json_object_get(x, "Amount"), "Date", json_object_get(x, "Date"),
				"Invoice", json_object_get(x, "Invoice")));
		else
			json_array_append_new(alist, json_pack("{s:O,s:O,s:O,s:O}", "CreditNoteID",
				json_object_get(json_object_get(x, "CreditNote"), "CreditNoteID"),
				"CreditNoteNumber", json_object_get(json_object_get(x, "CreditNote"),
				"CreditNoteNumber"), "AppliedAmount", json_object_get(x, "Amount"),
				"Date", json_object_get(x, "Date")));
	}
	long long due = cents_of(doc, "Total") - paid - alloc;
	char st[32]; /* a copy: setting Status frees the string status_of() points at */
	snprintf(st, sizeof st, "%s", status_of(doc));
	if (!strcmp(st, "AUTHORISED") && due == 0 && paid + alloc > 0)
		json_object_set_new(doc, "Status", json_string("PAID"));
	else if (!strcmp(st, "PAID") && due > 0)
		json_object_set_new(doc, "Status", json_string("AUTHORISED"));
	if (!strcmp(st, "VOIDED") || !strcmp(st, "DELETED"))
		due = 0;
	json_object_set_new(doc, "Payments", plist);
	json_object_set_new(doc, "_applied", json_integer(paid + alloc));
	if (credit) {
		json_object_set_new(doc, "Allocations", alist);
		json_object_set_new(doc, "AppliedAmount", json_real((double)alloc / 100));
		json_object_set_new(doc, "RemainingCredit", json_real((double)due / 100));
	} else {
		json_object_set_new(doc, "CreditNotes", alist);
		json_object_set_new(doc, "AmountPaid", json_real((double)paid / 100));
		json_object_set_new(doc, "AmountCredited", json_real((double)alloc / 100));
		json_object_set_new(doc, "AmountDue", json_real((double)due / 100));
	}
}

/* The status rules of an invoice or credit note (`what` names it as Xero
 * does): created DRAFT, SUBMITTED or AUTHORISED; a draft may be approved or
 * deleted (not voided), a submitted or approved one voided; one with a payment or an allocation
 * applied cannot be edited or voided until they are deleted; a voided or
 * deleted one is final. */
static void
doc_status(json_t *doc, json_t *existing, json_t *errs, const char *what)
{
	static const char *const created[] = { "DRAFT", "SUBMITTED", "AUTHORISED" };
	static const char *const from_draft[] = { "DRAFT", "SUBMITTED", "AUTHORISED", "DELETED" };
	static const char *const from_approved[] = { "AUTHORISED", "VOIDED" };
	const char *st = json_string_value(json_object_get(doc, "Status"));
	char m[128];
	if (!existing) {
		if (st && !IN(st, created))
			error(errs, "%s not of valid status for creation", what);
		return;
	}
	const char *old = status_of(existing);
	snprintf(m, sizeof m, "%s not of valid status for modification", what);
	if (json_integer_value(json_object_get(existing, "_applied")) > 0) {
		error(errs, "%s", m);
		error(errs, "This document cannot be edited as it has a payment or credit note "
			"allocated to it.%s", NULL);
	} else if (!strcmp(old, "VOIDED") || !strcmp(old, "DELETED") || !strcmp(old, "PAID") ||
		   (!strcmp(old, "AUTHORISED") && !IN(st, from_approved)) ||
		   (!strcmp(old, "DRAFT") && !IN(st, from_draft)) ||
		   (!strcmp(old, "SUBMITTED") && !IN(st, from_draft) && (!st || strcmp(st, "VOIDED")))) {
		error(errs, "%s", m);
	}
}

static json_t *item_of(const char *code);

/* The lines of an invoice or credit note: *cents gets the total, and the
 * document's _tax its tax. */
static void
validate_lines(json_t *doc, json_t *errs, long long *cents)
{
	long long sub[2] = { 0, 0 };
	json_t *lines = json_object_get(doc, "LineItems");
	size_t i;
	json_t *li;
	if (!json_array_size(lines))
		error(errs, "At least one line item is required.%s", NULL);
	json_array_foreach(lines, i, li) {
		const char *ac = json_string_value(json_object_get(li, "AccountCode"));
		if (ac && !IN(ac, accounts))
			error(errs, "Account code '%s' is not a valid code for this document.", ac);
		/* a line names an item by its Code; Xero refuses one it has not
		 * ("A validation exception occurred Item code 'X' is not valid") */
		const char *ic = json_string_value(json_object_get(li, "ItemCode"));
		if (ic && !item_of(ic))
			error(errs, "Item code '%s' is not valid", ic);
		const char *tt = json_string_value(json_object_get(li, "TaxType"));
		if (tt && !IN(tt, tax_types))
			error(errs, "The TaxType code '%s' does not exist or cannot be used for this "
				"type of transaction.", tt);
		const char *d = json_string_value(json_object_get(li, "Description"));
		if (d && strlen(d) > 4000)
			error(errs, "Description exceeds 4000 characters.%s", NULL);
		size_t j;
		json_t *tr;
		json_array_foreach(json_object_get(li, "Tracking"), j, tr) {
			const char *n = json_string_value(json_object_get(tr, "Name"));
			const char *o = json_string_value(json_object_get(tr, "Option"));
			int ok = (n && !strcmp(n, "Sales Channel") && IN(o, channel_options)) ||
				 (n && !strcmp(n, "Campaign") && IN(o, campaign_options));
			if (!ok)
				error(errs, "The TrackingOption '%s' does not exist for this "
					"TrackingCategory.", o);
		}
		double q = json_number_value(json_object_get(li, "Quantity"));
		double u = json_number_value(json_object_get(li, "UnitAmount"));
		if (!json_object_get(li, "Quantity"))
			q = 1;
		long long line = llround(q * u * 100);
		/* Exclusive amounts: tax on top, as sent in TaxAmount or computed
		 * from the seeded rate of the TaxType. */
		long long tax = json_object_get(li, "TaxAmount")
			? llround(json_number_value(json_object_get(li, "TaxAmount")) * 100)
			: llround((double)line * tax_rate(tt) / 100.0);
		sub[0] += line;
		sub[1] += tax;
	}
	*cents = sub[0] + sub[1];
	json_object_set_new(doc, "_tax", json_integer(sub[1]));
}

/* The day of a document's or payment's Date ("YYYY-MM-DD", or today). */
static void
day_of(json_t *x, char *day, size_t n)
{
	const char *d = json_string_value(json_object_get(x, "Date"));
	time_t now = time(NULL);
	struct tm tm;
	if (d && strlen(d) >= 10 && d[4] == '-') {
		snprintf(day, n, "%.10s", d);
		return;
	}
	gmtime_r(&now, &tm);
	strftime(day, n, "%Y-%m-%d", &tm);
}

/* The rate of a document (doc, merged; item, what was sent) or of a payment
 * (of a document in code): a currency the organisation has not added is
 * refused; the base currency's is 1 whatever was sent (Xero: "only used for
 * non base currency" documents); a foreign one's CurrencyRate is the one
 * sent, a positive number kept to six places, else the one it had (an
 * update of neither its currency nor its date), else Xero's of its Date. */
static void
set_rate(json_t *doc, json_t *item, json_t *existing, const char *code, json_t *errs)
{
	char day[16], m[96];
	json_t *given = json_object_get(item, "CurrencyRate");
	if (!currency_added(code)) {
		snprintf(m, sizeof m, "Organisation is not subscribed to currency %.8s", code);
		error(errs, "%s", m);
		return;
	}
	if (!strcmp(code, BASE_CURRENCY)) {
		json_object_set_new(doc, "CurrencyRate", json_real(1.0));
		return;
	}
	if (given && (!json_is_number(given) || json_number_value(given) <= 0 ||
		      json_number_value(given) >= 1e12)) {
		error(errs, "The currency rate must be a number greater than zero%s", NULL);
		return;
	}
	if (given) {
		json_object_set_new(doc, "CurrencyRate", json_real((double)llround(
			json_number_value(given) * 1e6) / 1e6));
		return;
	}
	if (existing && json_object_get(existing, "CurrencyRate") &&
	    json_equal(json_object_get(existing, "Date"), json_object_get(doc, "Date")) &&
	    !strcmp(code, json_string_value(json_object_get(existing, "CurrencyCode")) ?
		    json_string_value(json_object_get(existing, "CurrencyCode")) : BASE_CURRENCY))
		return;
	day_of(doc, day, sizeof day);
	json_object_set_new(doc, "CurrencyRate", json_real((double)xe_rate(code, day) / 1e6));
}

/* An invoice or credit note's currency (none: the base's) and its rate. */
static void
doc_currency(json_t *doc, json_t *item, json_t *existing, json_t *errs)
{
	const char *code = json_string_value(json_object_get(doc, "CurrencyCode"));
	if (!code || !*code) {
		json_object_set_new(doc, "CurrencyCode", json_string(BASE_CURRENCY));
		code = BASE_CURRENCY;
	}
	set_rate(doc, item, existing, code, errs);
}

/* An invoice (credit 0) or a credit note (credit 1), merged over the one
 * stored when it is an update. */
static void
validate_doc(json_t *doc, json_t *existing, json_t *errs, long long *cents, int credit)
{
	const char *type = json_string_value(json_object_get(doc, "Type"));
	if (!credit && (!type || (strcmp(type, "ACCREC") && strcmp(type, "ACCPAY"))))
		error(errs, "Invoice Type must be specified and be ACCREC or ACCPAY.%s", NULL);
	if (credit && (!type || (strcmp(type, "ACCRECCREDIT") && strcmp(type, "ACCPAYCREDIT"))))
		error(errs, "Credit Note Type must be specified and be ACCRECCREDIT or "
			"ACCPAYCREDIT.%s", NULL);
	json_t *c = resolve_contact(json_object_get(doc, "Contact"), errs);
	if (c) { /* the document carries a snapshot of its contact */
		json_t *snap = json_deep_copy(c);
		json_object_del(snap, "_updated");
		json_object_set_new(doc, "Contact", snap);
	}
	doc_status(doc, existing, errs, credit ? "Credit Note" : "Invoice");
	validate_lines(doc, errs, cents);
}

/* A payment: to an AUTHORISED invoice (money received) or credit note (a
 * cash refund), from a bank account, never over what is outstanding.  Once
 * made only its Status can change, to DELETED (which reverses it). */
static void
validate_payment(json_t *p, json_t *item, json_t *existing, json_t *errs, long long *cents)
{
	*cents = cents_of(p, "Amount");
	if (existing) {
		const char *k;
		json_t *v;
		json_object_foreach(item, k, v)
			if (strcmp(k, "PaymentID") && strcmp(k, "Status")) {
				error(errs, "Only Status accepted for updates.%s", NULL);
				return;
			}
		if (strcmp(status_of(existing), "AUTHORISED") || strcmp(status_of(item), "DELETED"))
			error(errs, "Payment not of valid status for modification%s", NULL);
		return;
	}
	int credit = json_object_get(p, "CreditNote") != NULL;
	json_t *doc = doc_of(json_object_get(p, credit ? "CreditNote" : "Invoice"), credit);
	if (!doc) {
		error(errs, "%s could not be found", credit ? "Credit Note" : "Invoice");
	} else {
		if (strcmp(status_of(doc), "AUTHORISED") != 0)
			error(errs, "Payments can only be made against Authorised documents%s", NULL);
		long long due = cents_of(doc, credit ? "RemainingCredit" : "AmountDue");
		if (*cents > due)
			error(errs, "Payment amount exceeds the amount outstanding on this "
				"document%s", "");
		/* a payment is in its document's currency, at a rate of its own
		 * (the day it was received: the difference is Xero's realised
		 * currency gain or loss) */
		const char *code = json_string_value(json_object_get(doc, "CurrencyCode"));
		set_rate(p, item, NULL, code ? code : BASE_CURRENCY, errs);
	}
	const char *code = json_string_value(json_object_get(json_object_get(p, "Account"),
		"Code"));
	if (!IN(code, bank_accounts))
		error(errs, "Account type is invalid for making a payment to/from (%s)", code);
	if (*cents <= 0)
		error(errs, "Payment amount must be greater than zero%s", "");
	if (!json_object_get(p, "Date"))
		error(errs, "Payment date must be specified%s", "");
}

/* A payment stored (or deleted) and the document it pays settled again. */
static void
store_payment(json_t *p, int existed)
{
	char id[64];
	int credit = json_object_get(p, "CreditNote") != NULL;
	json_t *doc = doc_of(json_object_get(p, credit ? "CreditNote" : "Invoice"), credit);
	if (!existed) {
		uuid(id, sizeof id);
		json_object_set_new(p, "PaymentID", json_string(id));
		json_object_set_new(p, "Status", json_string("AUTHORISED"));
		json_object_set_new(p, "PaymentType", json_string(credit ? "ARCREDITPAYMENT" :
			"ACCRECPAYMENT"));
		json_array_append(payments, p);
	}
	json_object_set_new(p, "_updated", json_integer((json_int_t)time(NULL)));
	if (doc)
		settle(doc, credit);
}

/* An allocation of credit note cn to an invoice of its kind: both
 * AUTHORISED, the amount no more than the credit left or what the invoice
 * still owes (Xero's words). */
static void
validate_allocation(json_t *a, json_t *cn, json_t *errs, long long *cents)
{
	json_t *inv = doc_of(json_object_get(a, "Invoice"), 0);
	*cents = cents_of(a, "Amount");
	if (!inv) {
		error(errs, "Invoice could not be found%s", NULL);
		return;
	}
	const char *ct = json_string_value(json_object_get(cn, "Type"));
	const char *it = json_string_value(json_object_get(inv, "Type"));
	if (!ct || !it || strncmp(ct, it, strlen(it)) != 0)
		error(errs, "Credit Note cannot be allocated to an incorrect invoice type%s", NULL);
	if (strcmp(status_of(cn), "AUTHORISED") != 0)
		error(errs, "Credit Note not of valid status for allocation%s", NULL);
	if (!strcmp(status_of(inv), "PAID"))
		error(errs, "The invoice you are trying to allocate to has already been paid off%s",
			NULL);
	else if (strcmp(status_of(inv), "AUTHORISED") != 0)
		error(errs, "Invoice not of valid status for allocation%s", NULL);
	if (*cents > cents_of(inv, "AmountDue") || *cents > cents_of(cn, "RemainingCredit"))
		error(errs, "Credit Note cannot be allocated as amount is greater than amount "
			"outstanding%s", NULL);
	if (*cents <= 0)
		error(errs, "Allocation amount must be greater than zero%s", NULL);
}

static void
store_allocation(json_t *a, json_t *cn)
{
	char id[64], date[64];
	json_t *inv = doc_of(json_object_get(a, "Invoice"), 0);
	uuid(id, sizeof id);
	xero_date(date, sizeof date, time(NULL));
	json_object_set_new(a, "AllocationID", json_string(id));
	if (!json_object_get(a, "Date"))
		json_object_set_new(a, "Date", json_string(date));
	json_object_set_new(a, "Invoice", json_pack("{s:O,s:O}", "InvoiceID",
		json_object_get(inv, "InvoiceID"), "InvoiceNumber",
		json_object_get(inv, "InvoiceNumber")));
	json_object_set_new(a, "CreditNote", json_pack("{s:O,s:O}", "CreditNoteID",
		json_object_get(cn, "CreditNoteID"), "CreditNoteNumber",
		json_object_get(cn, "CreditNoteNumber")));
	json_object_set_new(a, "IsDeleted", json_false());
	json_array_append(allocations, a);
	settle(inv, 0);
	settle(cn, 1);
}

/* ---- items and the stock they keep ------------------------------------ */

/* An item with this Code, or NULL. */
static json_t *
item_of(const char *code)
{
	return find(ref_items, "Code", code);
}

static int
tracked(json_t *item)
{
	return json_is_true(json_object_get(item, "IsTrackedAsInventory"));
}

/* An item (xero-node's Item: Code required, at most 30; Name at most 50),
 * merged over the one stored when it is an update.  A Code is one item's:
 * creating a second is refused in Xero's words.  Xero tracks an item
 * itself (IsTrackedAsInventory is read only) once InventoryAssetAccountCode,
 * an INVENTORY account, and PurchaseDetails.COGSAccountCode are both given;
 * one without the other is refused.  An item with stock on hand stays
 * tracked. */
static void
validate_item_doc(json_t *it, json_t *existing, json_t *errs)
{
	const char *code = json_string_value(json_object_get(it, "Code"));
	const char *name = json_string_value(json_object_get(it, "Name"));
	const char *inv = json_string_value(json_object_get(it, "InventoryAssetAccountCode"));
	const char *cogs = json_string_value(json_object_get(json_object_get(it,
		"PurchaseDetails"), "COGSAccountCode"));
	json_t *other = item_of(code);
	if (!code || !*code)
		error(errs, "Item Code must be specified.%s", NULL);
	else if (strlen(code) > 30)
		error(errs, "Item Code must not exceed 30 characters.%s", NULL);
	else if (other && (!existing || other != existing))
		error(errs, "Price List Item with Code '%s' already exists", code);
	if (name && strlen(name) > 50)
		error(errs, "Item Name must not exceed 50 characters.%s", NULL);
	if (cogs && !inv)
		error(errs, "Cost Of Goods Sold Account must be used with an Inventory Asset "
			"Account%s", NULL);
	else if (inv && !cogs)
		error(errs, "Inventory Asset Account must be used with a Cost Of Goods Sold "
			"Account%s", NULL);
	else if (inv && strcmp(inv, INVENTORY_ACCOUNT))
		error(errs, "Inventory Asset Account '%s' is not an account of type Inventory", inv);
	else if (cogs && !IN(cogs, accounts))
		error(errs, "Account code '%s' is not a valid code for this document.", cogs);
	if (existing && tracked(existing) && !(inv && cogs) &&
	    json_integer_value(json_object_get(existing, "_qty")) != 0)
		error(errs, "Item '%s' has a quantity on hand and cannot stop being tracked",
			code);
}

/* A tracked item's count, q ten-thousandths (it may go below zero: sold
 * before it was bought), as xero-node's Item says Xero shows it:
 * QuantityAvailable q, QuantityOnHand q but 0 while something is on back
 * order, QuantityOnBackOrder what is missing (0 while there is stock). */
static void
set_quantity(json_t *item, long long q)
{
	json_object_set_new(item, "_qty", json_integer(q));
	json_object_set_new(item, "QuantityOnHand", json_real(q > 0 ? (double)q / 10000 : 0));
	json_object_set_new(item, "QuantityAvailable", json_real((double)q / 10000));
	json_object_set_new(item, "QuantityOnBackOrder", json_real(q < 0 ? (double)-q / 10000 : 0));
}

/* An item kept: a new one gets its ItemID; tracked when it names both
 * accounts (QuantityOnHand and TotalCostPool from 0), else those removed. */
static void
store_item_doc(json_t *item)
{
	char id[64];
	const char *inv = json_string_value(json_object_get(item, "InventoryAssetAccountCode"));
	const char *cogs = json_string_value(json_object_get(json_object_get(item,
		"PurchaseDetails"), "COGSAccountCode"));
	if (!json_object_get(item, "ItemID")) {
		uuid(id, sizeof id);
		json_object_set_new(item, "ItemID", json_string(id));
		json_array_append(ref_items, item);
	}
	json_object_set_new(item, "IsTrackedAsInventory", json_boolean(inv && cogs));
	if (inv && cogs) {
		set_quantity(item, json_integer_value(json_object_get(item, "_qty")));
		if (!json_object_get(item, "TotalCostPool"))
			json_object_set_new(item, "TotalCostPool", json_real(0));
	} else {
		static const char *const own[] = { "QuantityOnHand", "QuantityAvailable",
			"QuantityOnBackOrder", "TotalCostPool", "_qty" };
		for (size_t k = 0; k < sizeof own / sizeof *own; k++)
			json_object_del(item, own[k]);
	}
}

static void
touch(json_t *x)
{
	char date[64];
	time_t now = time(NULL);
	xero_date(date, sizeof date, now);
	json_object_set_new(x, "UpdatedDateUTC", json_string(date));
	json_object_set_new(x, "_updated", json_integer((json_int_t)now));
}

/* What an approved document does to its tracked items' QuantityOnHand: a
 * bill (ACCPAY) or a sales credit note (ACCRECCREDIT) brings stock in, a
 * sales invoice (ACCREC) or a supplier credit note (ACCPAYCREDIT) takes it
 * out, while it is AUTHORISED or PAID; voided or deleted, it is given back.
 * The document keeps what it applied per ItemCode (_stock), so an edit or
 * a void applies the difference; each item whose quantity moves has a new
 * UpdatedDateUTC (so If-Modified-Since sees it).  Untracked items keep no
 * quantity. */
static void
stock_moves(json_t *doc)
{
	const char *type = json_string_value(json_object_get(doc, "Type"));
	const char *st = status_of(doc);
	int in = type && (!strcmp(type, "ACCPAY") || !strcmp(type, "ACCRECCREDIT"));
	int live = !strcmp(st, "AUTHORISED") || !strcmp(st, "PAID");
	json_t *now = json_object(), *old = json_object_get(doc, "_stock"), *li, *v;
	const char *code;
	size_t i;
	json_array_foreach(live ? json_object_get(doc, "LineItems") : NULL, i, li) {
		json_t *item = item_of(json_string_value(json_object_get(li, "ItemCode")));
		json_t *q = json_object_get(li, "Quantity");
		if (!item || !tracked(item))
			continue;
		code = json_string_value(json_object_get(item, "Code"));
		long long n = llround((q ? json_number_value(q) : 1.0) * 10000) * (in ? 1 : -1);
		json_object_set_new(now, code, json_integer(json_integer_value(json_object_get(now,
			code)) + n));
	}
	json_t *codes = json_deep_copy(now);
	json_object_update_missing(codes, old);
	json_object_foreach(codes, code, v) {
		long long d = json_integer_value(json_object_get(now, code)) -
			json_integer_value(json_object_get(old, code));
		json_t *item = item_of(code);
		if (!d || !item || !tracked(item))
			continue;
		set_quantity(item, json_integer_value(json_object_get(item, "_qty")) + d);
		touch(item);
	}
	json_decref(codes);
	json_object_set_new(doc, "_stock", now);
}

/* A copy fit to send: the internal _fields removed. */
static json_t *
public_copy(json_t *x)
{
	json_t *c = json_deep_copy(x);
	const char *k;
	json_t *v;
	void *tmp;
	json_object_foreach_safe(c, tmp, k, v)
		if (k[0] == '_')
			json_object_del(c, k);
	return c;
}

static void
store(const char *kind, json_t *item, long long cents)
{
	char id[64], date[64];
	time_t now = time(NULL);
	xero_date(date, sizeof date, now);
	if (strcmp(kind, "Items") == 0) {
		store_item_doc(item);
	} else if (strcmp(kind, "Contacts") == 0) {
		if (!json_object_get(item, "ContactID")) {
			uuid(id, sizeof id);
			json_object_set_new(item, "ContactID", json_string(id));
			json_object_set_new(item, "ContactStatus", json_string("ACTIVE"));
			json_array_append(contacts, item);
		}
	} else {
		int credit = strcmp(kind, "CreditNotes") == 0;
		json_t *list = credit ? credit_notes : invoices;
		const char *idf = credit ? "CreditNoteID" : "InvoiceID";
		const char *numf = credit ? "CreditNoteNumber" : "InvoiceNumber";
		if (!json_object_get(item, idf)) {
			uuid(id, sizeof id);
			json_object_set_new(item, idf, json_string(id));
			if (!json_object_get(item, numf)) {
				char num[32];
				snprintf(num, sizeof num, "%s-%04zu", credit ? "CN" : "INV",
					json_array_size(list) + 1);
				json_object_set_new(item, numf, json_string(num));
			}
			json_array_append(list, item);
		}
		if (!json_object_get(item, "Status"))
			json_object_set_new(item, "Status", json_string("DRAFT"));
		long long tax = json_integer_value(json_object_get(item, "_tax"));
		json_object_del(item, "_tax");
		json_object_set_new(item, "SubTotal", json_real((double)(cents - tax) / 100));
		json_object_set_new(item, "TotalTax", json_real((double)tax / 100));
		json_object_set_new(item, "Total", json_real((double)cents / 100));
		settle(item, credit);
		stock_moves(item);
	}
	json_object_set_new(item, "UpdatedDateUTC", json_string(date));
	json_object_set_new(item, "_updated", json_integer((json_int_t)now));
}

typedef struct {
	const char *kind;     /* "Invoices": the body's and the answer's member */
	const char *idf;      /* its id field */
	json_t *list;         /* where its documents are kept */
	json_t *parent;       /* Allocations: the credit note of the path */
} Batch;

static void
validate_item(const Batch *b, json_t *merged, json_t *item, json_t *existing, json_t *errs,
	long long *cents)
{
	if (!strcmp(b->kind, "Contacts"))
		validate_contact(merged, errs);
	else if (!strcmp(b->kind, "Items"))
		validate_item_doc(merged, existing, errs);
	else if (!strcmp(b->kind, "Payments"))
		validate_payment(merged, item, existing, errs, cents);
	else if (!strcmp(b->kind, "Allocations"))
		validate_allocation(merged, b->parent, errs, cents);
	else {
		validate_doc(merged, existing, errs, cents, !strcmp(b->kind, "CreditNotes"));
		doc_currency(merged, item, existing, errs);
	}
}

/* A contact keeps one address of each type it has, POBOX then STREET, as
 * Xero holds them: of two of one type the last sent is kept (our rule: Xero
 * documents no answer to duplicates), and a DELIVERY one is dropped, as
 * Xero swallows it on a contact (Xero-OpenAPI issue 329). */
static void
contact_addresses(json_t *c)
{
	static const char *const types[] = { "POBOX", "STREET" };
	json_t *all = json_object_get(c, "Addresses");
	if (!json_is_array(all))
		return;
	json_t *kept = json_array();
	for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
		json_t *last = NULL, *a;
		size_t i;
		json_array_foreach(all, i, a) {
			const char *ty = json_string_value(json_object_get(a, "AddressType"));
			if (ty && !strcmp(ty, types[t]))
				last = a;
		}
		if (last)
			json_array_append(kept, last);
	}
	json_object_set_new(c, "Addresses", kept);
}

/* The item validated (merged over the one stored) and kept in b->list;
 * the stored document, or NULL. */
static json_t *
store_item(const Batch *b, json_t *merged, long long cents)
{
	json_t *existing = find(b->list, b->idf, json_string_value(json_object_get(merged,
		b->idf)));
	json_t *target = merged;
	if (existing) {
		json_object_update(existing, merged);
		target = existing;
	}
	if (!strcmp(b->kind, "Payments"))
		store_payment(target, existing != NULL);
	else if (!strcmp(b->kind, "Allocations"))
		store_allocation(target, b->parent);
	else
		store(b->kind, target, cents);
	if (!strcmp(b->kind, "Contacts"))
		contact_addresses(target);
	return target;
}

/* Write the documents of items: each validated (an update merged over the
 * one stored) and stored.  With summarizeErrors=false each is stored in
 * turn and answered on its own (so a second payment sees the first);
 * without, the batch is all validated first and stored only when every
 * item passes, as Xero validates the whole request. */
static void
write_items(const sb_request *q, sb_response *r, const Batch *b, json_t *items, int update)
{
	if (json_array_size(items) > MAX_BATCH) {
		sb_json(r, 400, json_pack("{s:i,s:s,s:s}", "ErrorNumber", 10, "Type",
			"ValidationException", "Message", "A maximum of 50 items can be sent per call"));
		return;
	}
	const char *summ = q->query(q->conn, "summarizeErrors");
	int per_item = summ && strcmp(summ, "false") == 0;
	size_t n = json_array_size(items);
	json_t **merged = calloc(n + 1, sizeof *merged), **errs = calloc(n + 1, sizeof *errs);
	long long *cents = calloc(n + 1, sizeof *cents);
	json_t *out = json_array();
	int any_error = 0;
	for (size_t i = 0; i < n; i++) {
		json_t *item = json_array_get(items, i);
		json_t *existing = find(b->list, b->idf, json_string_value(json_object_get(item,
			b->idf)));
		if (!strcmp(b->kind, "Items")) {
			/* Xero's own: what is sent is ignored */
			static const char *const own[] = { "IsTrackedAsInventory", "QuantityOnHand",
				"QuantityAvailable", "QuantityOnBackOrder", "TotalCostPool",
				"UpdatedDateUTC" };
			for (size_t k = 0; k < sizeof own / sizeof *own; k++)
				json_object_del(item, own[k]);
			/* POST updates the item with this Code when no ItemID names one */
			if (!existing && update && !json_object_get(item, b->idf))
				existing = item_of(json_string_value(json_object_get(item, "Code")));
		}
		errs[i] = json_array();
		merged[i] = existing ? json_deep_copy(existing) : json_deep_copy(item);
		if (existing && !update)
			error(errs[i], "%s already exists: use POST to update it.", b->idf);
		if (existing)
			json_object_update(merged[i], item);
		validate_item(b, merged[i], item, existing, errs[i], &cents[i]);
		any_error |= json_array_size(errs[i]) > 0;
		if (per_item && !json_array_size(errs[i]))
			json_array_append_new(out, public_copy(store_item(b, merged[i], cents[i])));
		else if (per_item)
			json_array_append_new(out, json_null());
	}
	for (size_t i = 0; i < n; i++) {
		json_t *el = per_item ? json_array_get(out, i) : NULL;
		if (json_array_size(errs[i])) {
			json_t *e = public_copy(json_array_get(items, i));
			json_object_set_new(e, "HasErrors", json_true());
			json_object_set_new(e, "StatusAttributeString", json_string("ERROR"));
			json_object_set(e, "ValidationErrors", errs[i]);
			if (per_item)
				json_array_set_new(out, i, e);
			else
				json_array_append_new(out, e);
		} else if (!per_item && !any_error) {
			el = public_copy(store_item(b, merged[i], cents[i]));
			json_array_append_new(out, el);
		}
		if (el && !json_array_size(errs[i]))
			json_object_set_new(el, "StatusAttributeString", json_string("OK"));
		json_decref(errs[i]);
		json_decref(merged[i]);
	}
	free(merged);
	free(errs);
	free(cents);
	if (any_error && !per_item) {
		sb_json(r, 400, json_pack("{s:i,s:s,s:s,s:o}", "ErrorNumber", 10, "Type",
			"ValidationException", "Message", "A validation exception occurred",
			"Elements", out));
		return;
	}
	char id[64], date[64];
	uuid(id, sizeof id);
	xero_date(date, sizeof date, time(NULL));
	sb_json(r, 200, json_pack("{s:s,s:s,s:s,s:s,s:o}", "Id", id, "Status", "OK",
		"ProviderName", "mapwright sandbox", "DateTimeUTC", date, b->kind, out));
}

static void
write_batch(const sb_request *q, sb_response *r, const Batch *b, int update)
{
	json_error_t je;
	json_t *body = json_loadb(q->body, q->body_len, 0, &je);
	json_t *items = body ? json_object_get(body, b->kind) : NULL;
	if (!json_is_array(items))
		sb_json(r, 400, json_pack("{s:i,s:s,s:s}", "ErrorNumber", 14, "Type",
			"PostDataInvalidException", "Message", body ? "Invalid request body" :
			je.text));
	else
		write_items(q, r, b, items, update);
	json_decref(body);
}

/* POST /Payments/{PaymentID} {"Status": "DELETED"} (or {"Payments": [{...}]}):
 * the payment reversed, as one item naming it. */
static void
delete_payment(const sb_request *q, sb_response *r, const Batch *b, const char *id)
{
	json_t *body = json_loadb(q->body, q->body_len, 0, NULL);
	json_t *one = json_object_get(body, "Payments") ? json_array_get(json_object_get(body,
		"Payments"), 0) : body;
	if (!json_is_object(one) || !find(payments, "PaymentID", id)) {
		json_decref(body);
		sb_json(r, 404, json_pack("{s:s,s:i,s:s}", "Title", "Not Found", "Status", 404,
			"Detail", "The resource you're looking for cannot be found"));
		return;
	}
	json_t *items = json_pack("[O]", one);
	json_object_set_new(json_array_get(items, 0), "PaymentID", json_string(id));
	write_items(q, r, b, items, 1);
	json_decref(items);
	json_decref(body);
}

/* ---- where= filters ---------------------------------------------------- */

typedef struct {
	const char *p;
	const char *err;   /* set on a parse error */
} Where;

static void
skip_ws(Where *w)
{
	while (*w->p == ' ' || *w->p == '\t')
		w->p++;
}

static int
word(Where *w, const char *kw)
{
	size_t n = strlen(kw);
	skip_ws(w);
	if (strncmp(w->p, kw, n) != 0)
		return 0;
	int alpha = (kw[0] | 32) >= 'a' && (kw[0] | 32) <= 'z';
	if (alpha && ((w->p[n] | 32) >= 'a' && (w->p[n] | 32) <= 'z'))
		return 0;
	w->p += n;
	return 1;
}

/* The value at a dotted path of x as text; 0 when it is absent or null. */
static int
path_text(json_t *x, const char *path, size_t len, char *out, size_t n)
{
	char seg[128];
	const char *p = path, *end = path + len;
	while (x && p < end) {
		const char *dot = memchr(p, '.', (size_t)(end - p));
		size_t k = dot ? (size_t)(dot - p) : (size_t)(end - p);
		if (k >= sizeof seg)
			return 0;
		memcpy(seg, p, k);
		seg[k] = 0;
		x = json_object_get(x, seg);
		p += k + 1;
	}
	if (json_is_string(x))
		snprintf(out, n, "%s", json_string_value(x));
	else if (json_is_integer(x))
		snprintf(out, n, "%lld", (long long)json_integer_value(x));
	else if (json_is_real(x))
		snprintf(out, n, "%.15g", json_real_value(x));
	else if (json_is_boolean(x))
		snprintf(out, n, "%s", json_is_true(x) ? "true" : "false");
	else
		return 0;
	return 1;
}

/* A "quoted" string into out (\" and \\ escapes); 0 on a parse error. */
static int
quoted(Where *w, char *out, size_t n)
{
	size_t k = 0;
	skip_ws(w);
	if (*w->p != '"')
		return 0;
	for (w->p++; *w->p && *w->p != '"'; w->p++) {
		if (*w->p == '\\' && w->p[1])
			w->p++;
		if (k + 1 < n)
			out[k++] = *w->p;
	}
	out[k] = 0;
	if (*w->p != '"')
		return 0;
	w->p++;
	return 1;
}

static int where_or(Where *w, json_t *x);

/* One condition: Path == value, Path != value, Path.Method("text"). */
static int
where_cond(Where *w, json_t *x)
{
	skip_ws(w);
	if (*w->p == '(') {
		w->p++;
		int v = where_or(w, x);
		skip_ws(w);
		if (*w->p != ')')
			w->err = "expected )";
		else
			w->p++;
		return v;
	}
	const char *path = w->p;
	while ((*w->p >= 'A' && *w->p <= 'Z') || (*w->p >= 'a' && *w->p <= 'z') ||
	       (*w->p >= '0' && *w->p <= '9') || *w->p == '_' || *w->p == '.')
		w->p++;
	size_t plen = (size_t)(w->p - path);
	char have[1024], want[1024];
	if (!plen) {
		w->err = "expected a field name";
		return 0;
	}
	if (*w->p == '(') { /* Path.Contains("x") */
		const char *dot = path + plen;
		while (dot > path && dot[-1] != '.')
			dot--;
		if (dot == path) {
			w->err = "unknown function";
			return 0;
		}
		size_t mlen = (size_t)(path + plen - dot);
		w->p++;
		if (!quoted(w, want, sizeof want)) {
			w->err = "expected a quoted string";
			return 0;
		}
		skip_ws(w);
		if (*w->p != ')') {
			w->err = "expected )";
			return 0;
		}
		w->p++;
		int found = path_text(x, path, (size_t)(dot - 1 - path), have, sizeof have);
		size_t hl = found ? strlen(have) : 0, wl = strlen(want);
		if (mlen == 8 && !strncmp(dot, "Contains", 8))
			return found && strstr(have, want) != NULL;
		if (mlen == 10 && !strncmp(dot, "StartsWith", 10))
			return found && !strncmp(have, want, wl);
		if (mlen == 8 && !strncmp(dot, "EndsWith", 8))
			return found && hl >= wl && !strcmp(have + hl - wl, want);
		w->err = "unknown function";
		return 0;
	}
	skip_ws(w);
	int neg = 0;
	if (!strncmp(w->p, "==", 2) || !strncmp(w->p, "!=", 2)) {
		neg = *w->p == '!';
		w->p += 2;
	} else if (*w->p == '=') {
		w->p++;
	} else {
		w->err = "expected == or !=";
		return 0;
	}
	skip_ws(w);
	int ci = 0;
	if (!strncmp(w->p, "guid(", 5) || !strncmp(w->p, "Guid(", 5)) {
		w->p += 5;
		ci = 1;
		if (!quoted(w, want, sizeof want) || (skip_ws(w), *w->p != ')')) {
			w->err = "expected guid(\"...\")";
			return 0;
		}
		w->p++;
	} else if (*w->p == '"') {
		if (!quoted(w, want, sizeof want)) {
			w->err = "unterminated string";
			return 0;
		}
	} else { /* a number, true or false */
		size_t k = 0;
		while (*w->p && *w->p != ' ' && *w->p != ')' && *w->p != '&' && *w->p != '|' &&
		       k + 1 < sizeof want)
			want[k++] = *w->p++;
		want[k] = 0;
		if (!k) {
			w->err = "expected a value";
			return 0;
		}
	}
	int found = path_text(x, path, plen, have, sizeof have);
	int eq = found && (ci ? !strcasecmp(have, want) : !strcmp(have, want));
	return neg ? !eq : eq;
}

static int
where_and(Where *w, json_t *x)
{
	int v = where_cond(w, x);
	while (!w->err && (word(w, "AND") || word(w, "&&") || word(w, "and")))
		v &= where_cond(w, x);
	return v;
}

static int
where_or(Where *w, json_t *x)
{
	int v = where_and(w, x);
	while (!w->err && (word(w, "OR") || word(w, "||") || word(w, "or")))
		v |= where_and(w, x);
	return v;
}

/* 1 when x passes the where expression, 0 when not, -1 (with *err) when the
 * expression does not parse. */
static int
where_match(const char *expr, json_t *x, const char **err)
{
	Where w = { expr, NULL };
	int v = where_or(&w, x);
	skip_ws(&w);
	if (!w.err && *w.p)
		w.err = "unexpected text after the expression";
	*err = w.err;
	return w.err ? -1 : v;
}

/* ---- reads ------------------------------------------------------------ */

typedef struct {
	const char *name;     /* "Invoices": the path and the answer's key */
	json_t **list;
	const char *id_field, *alt_field; /* GET name/{id or alt} */
	int writable;
} Kind;

static const Kind kinds[] = {
	{ "Contacts", &contacts, "ContactID", "ContactNumber", 1 },
	{ "Invoices", &invoices, "InvoiceID", "InvoiceNumber", 1 },
	{ "CreditNotes", &credit_notes, "CreditNoteID", "CreditNoteNumber", 1 },
	{ "Payments", &payments, "PaymentID", NULL, 1 },
	{ "Accounts", &ref_accounts, "AccountID", "Code", 0 },
	{ "TaxRates", &ref_tax_rates, "TaxType", NULL, 0 },
	{ "TrackingCategories", &ref_tracking, "TrackingCategoryID", NULL, 0 },
	{ "Items", &ref_items, "ItemID", "Code", 1 },
};

static void
answer_list(sb_response *r, const char *kind, json_t *out)
{
	char id[64], date[64];
	uuid(id, sizeof id);
	xero_date(date, sizeof date, time(NULL));
	sb_json(r, 200, json_pack("{s:s,s:s,s:s,s:s,s:o}", "Id", id, "Status", "OK",
		"ProviderName", "mapwright sandbox", "DateTimeUTC", date, kind, out));
}

static void
get_one(sb_response *r, const Kind *k, const char *id)
{
	json_t *x = find(*k->list, k->id_field, id);
	if (!x && k->alt_field)
		x = find(*k->list, k->alt_field, id);
	if (!x) {
		sb_json(r, 404, json_pack("{s:s,s:i,s:s}", "Title", "Not Found", "Status", 404,
			"Detail", "The resource you're looking for cannot be found"));
		return;
	}
	answer_list(r, k->name, json_pack("[o]", public_copy(x)));
}

static void
list(const sb_request *q, sb_response *r, const Kind *k)
{
	json_t *src = *k->list;
	const char *p = q->query(q->conn, "page"), *where = q->query(q->conn, "where");
	long page = p ? strtol(p, NULL, 10) : 0;
	const char *ims = q->header(q->conn, "If-Modified-Since");
	time_t since = 0;
	if (ims) {
		struct tm tm = { 0 };
		if (sscanf(ims, "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
			   &tm.tm_hour, &tm.tm_min, &tm.tm_sec) >= 3) {
			tm.tm_year -= 1900;
			tm.tm_mon -= 1;
			since = timegm(&tm);
		}
	}
	json_t *out = json_array();
	size_t i, skipped = 0, from = page > 0 ? (size_t)(page - 1) * 100 : 0;
	json_t *x;
	json_array_foreach(src, i, x) {
		if (since && (time_t)json_integer_value(json_object_get(x, "_updated")) < since)
			continue;
		if (where && *where) {
			const char *err;
			int m = where_match(where, x, &err);
			if (m < 0) {
				json_decref(out);
				char msg[256];
				snprintf(msg, sizeof msg, "where: %s", err);
				sb_json(r, 400, json_pack("{s:i,s:s,s:s}", "ErrorNumber", 16, "Type",
					"QueryParseException", "Message", msg));
				return;
			}
			if (!m)
				continue;
		}
		if (page > 0 && skipped++ < from)
			continue;
		if (page > 0 && json_array_size(out) == 100)
			break;
		json_array_append_new(out, public_copy(x));
	}
	answer_list(r, k->name, out);
}

/* GET Organisation (xero-node's Organisation: BaseCurrency), GET
 * Currencies, and PUT Currencies {Code, Description} (xero-node's
 * createCurrency: one Currency), which adds a currency Xero has rates for
 * (adding one already there changes nothing); 1 when the request was one
 * of those. */
static int
organisation(const sb_request *q, sb_response *r)
{
	char m[96];
	if (!strcmp(q->path, "/api.xro/2.0/Organisation") && !strcmp(q->method, "GET")) {
		answer_list(r, "Organisations", json_pack("[{s:s,s:s,s:s,s:s,s:s,s:s,s:b}]",
			"OrganisationID", TENANT, "Name", "Sandbox Trading Co", "LegalName",
			"Sandbox Trading Co", "BaseCurrency", BASE_CURRENCY, "CountryCode", "US",
			"OrganisationType", "COMPANY", "IsDemoCompany", 0));
		return 1;
	}
	if (strcmp(q->path, "/api.xro/2.0/Currencies") != 0)
		return 0;
	if (!strcmp(q->method, "GET")) {
		answer_list(r, "Currencies", json_deep_copy(currencies));
		return 1;
	}
	if (strcmp(q->method, "PUT") != 0) {
		sb_json(r, 405, json_pack("{s:s,s:i}", "Title", "Method Not Allowed", "Status", 405));
		return 1;
	}
	json_t *body = json_loadb(q->body, q->body_len, 0, NULL);
	json_t *one = json_object_get(body, "Currencies") ? json_array_get(json_object_get(body,
		"Currencies"), 0) : body;
	const char *code = json_string_value(json_object_get(one, "Code"));
	if (!json_is_object(one) || !xe_name(code)) {
		json_t *e = json_is_object(one) ? json_deep_copy(one) : json_object();
		snprintf(m, sizeof m, "'%.8s' is not a valid currency code", code ? code : "");
		json_object_set_new(e, "ValidationErrors", json_pack("[{s:s}]", "Message", m));
		sb_json(r, 400, json_pack("{s:i,s:s,s:s,s:[o]}", "ErrorNumber", 10, "Type",
			"ValidationException", "Message", "A validation exception occurred",
			"Elements", e));
	} else {
		if (!currency_added(code))
			json_array_append_new(currencies, json_pack("{s:s,s:s}", "Code", code,
				"Description", xe_name(code)));
		answer_list(r, "Currencies", json_pack("[{s:s,s:s}]", "Code", code, "Description",
			xe_name(code)));
	}
	json_decref(body);
	return 1;
}

static void
handle(const sb_request *q, sb_response *r)
{
	if (strcmp(q->path, "/connect/token") == 0 && strcmp(q->method, "POST") == 0) {
		token(q, r);
		return;
	}
	if (!authorised(q, r) || !within_limits(r))
		return;
	const Kind *k = NULL;
	const char *id = NULL, *sub = NULL, *base = "/api.xro/2.0/";
	char idbuf[128];
	if (organisation(q, r))
		return;
	if (strncmp(q->path, base, strlen(base)) == 0) {
		const char *rest = q->path + strlen(base);
		for (size_t i = 0; !k && i < sizeof kinds / sizeof *kinds; i++) {
			size_t n = strlen(kinds[i].name);
			if (strncmp(rest, kinds[i].name, n) != 0 || (rest[n] && rest[n] != '/'))
				continue;
			k = &kinds[i];
			if (!rest[n])
				break;
			/* name/{id} or name/{id}/Sub */
			const char *s = strchr(rest + n + 1, '/');
			size_t len = s ? (size_t)(s - rest - n - 1) : strlen(rest + n + 1);
			if (!len || len >= sizeof idbuf || (s && (!s[1] || strchr(s + 1, '/')))) {
				k = NULL;
				break;
			}
			memcpy(idbuf, rest + n + 1, len);
			idbuf[len] = 0;
			id = idbuf;
			sub = s ? s + 1 : NULL;
		}
	}
	/* the one sub-resource: a credit note's Allocations */
	if (!k || (sub && (strcmp(k->name, "CreditNotes") || strcmp(sub, "Allocations")))) {
		sb_json(r, 404, json_pack("{s:s,s:i}", "Title", "Not Found", "Status", 404));
		return;
	}
	if (strcmp(q->method, "GET") == 0 && !sub) {
		if (id)
			get_one(r, k, id);
		else
			list(q, r, k);
		return;
	}
	int put = strcmp(q->method, "PUT") == 0, post = strcmp(q->method, "POST") == 0;
	/* writes: PUT or POST a collection, POST /Payments/{id} (a deletion),
	 * PUT /CreditNotes/{id}/Allocations */
	if (!k->writable || (id && !sub && !(post && !strcmp(k->name, "Payments"))) ||
	    (sub && !put) || (!put && !post)) {
		sb_json(r, 405, json_pack("{s:s,s:i}", "Title", "Method Not Allowed", "Status", 405));
		return;
	}
	Batch b = { k->name, k->id_field, *k->list, NULL };
	if (sub) {
		b = (Batch){ "Allocations", "AllocationID", allocations,
			find(credit_notes, "CreditNoteID", id) };
		if (!b.parent)
			b.parent = find(credit_notes, "CreditNoteNumber", id);
		if (!b.parent) {
			get_one(r, k, id); /* the 404 */
			return;
		}
	}
	/* Idempotency-Key: the same key gets the first answer again, and the
	 * write happens once. */
	const char *key = q->header(q->conn, "Idempotency-Key");
	json_t *seen = key ? json_object_get(idempotent, key) : NULL;
	if (seen) {
		r->status = (unsigned)json_integer_value(json_object_get(seen, "status"));
		r->body = strdup(json_string_value(json_object_get(seen, "body")));
		r->content_type = "application/json; charset=utf-8";
		return;
	}
	if (id && !sub)
		delete_payment(q, r, &b, id);
	else
		write_batch(q, r, &b, post);
	if (key && r->body)
		json_object_set_new(idempotent, key, json_pack("{s:i,s:s}", "status", r->status,
			"body", r->body));
}

static json_t *
public_list(json_t *list)
{
	json_t *out = json_array(), *x;
	size_t k;
	json_array_foreach(list, k, x)
		json_array_append_new(out, public_copy(x));
	return out;
}

static json_t *
dump(void)
{
	return json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:O,s:s,s:s,s:s,s:s}", "Contacts",
		public_list(contacts), "Invoices", public_list(invoices), "CreditNotes",
		public_list(credit_notes), "Allocations", public_list(allocations), "Payments",
		public_list(payments), "Items", public_list(ref_items), "Currencies", currencies,
		"BaseCurrency", BASE_CURRENCY, "tenant", TENANT, "client_id", CLIENT_ID,
		"refresh_token", refresh_token);
}

/* ---- books (GET /_sandbox/books?service=xero) --------------------------- */

/* cents of a document's currency in the base currency, at the CurrencyRate
 * of x (the document, or the payment): cents / rate, half to even to the
 * cent, exactly (the rate has six places). */
static long long
base_cents(long long cents, json_t *x)
{
	json_t *rv = json_object_get(x, "CurrencyRate");
	long long micro = rv ? llround(json_number_value(rv) * 1e6) : 1000000;
	__extension__ __int128 n = (__int128)cents * 1000000;
	__extension__ __int128 q, rem;
	int neg = n < 0;
	if (micro <= 0)
		return 0;
	if (neg)
		n = -n;
	q = n / micro;
	rem = n % micro;
	if (rem * 2 > micro || (rem * 2 == micro && (q & 1)))
		q++;
	return (long long)(neg ? -q : q);
}

static void
book_add(json_t *sums, json_t *doc, int which, long long cents)
{
	const char *cur = json_string_value(json_object_get(doc, "CurrencyCode"));
	if (!cur || !*cur)
		cur = BASE_CURRENCY;
	json_t *b = json_object_get(sums, cur);
	if (!b) {
		b = json_pack("[III]", (json_int_t)0, (json_int_t)0, (json_int_t)0);
		json_object_set_new(sums, cur, b);
	}
	json_t *v = json_array_get(b, (size_t)which);
	json_integer_set(v, json_integer_value(v) + (json_int_t)cents);
}

static json_t *
money(json_int_t cents)
{
	char s[40];
	json_int_t a = cents < 0 ? -cents : cents;
	snprintf(s, sizeof s, "%s%lld.%02lld", cents < 0 ? "-" : "", (long long)(a / 100),
		(long long)(a % 100));
	return json_string(s);
}

/* The books from what this Xero holds, per currency (docs/sandbox.md):
 * sales, the Totals of live sales invoices (ACCREC: AUTHORISED, SUBMITTED
 * or PAID; not DRAFT, VOIDED or DELETED) less those of live sales credit
 * notes (ACCRECCREDIT); cash, the payments not deleted on those invoices
 * less those on those credit notes (cash refunds); receivable, the
 * invoices' own AmountDue less the credit notes' RemainingCredit. */
json_t *
sb_xero_books(void)
{
	static const char *const live[] = { "AUTHORISED", "SUBMITTED", "PAID" };
	json_t *sums = json_object(), *x;
	size_t i;
	long long home[3] = { 0, 0, 0 };
	json_array_foreach(invoices, i, x) {
		const char *t = json_string_value(json_object_get(x, "Type"));
		if (!t || strcmp(t, "ACCREC") || !IN(status_of(x), live))
			continue;
		book_add(sums, x, 0, cents_of(x, "Total"));
		book_add(sums, x, 2, cents_of(x, "AmountDue"));
		home[0] += base_cents(cents_of(x, "Total"), x);
		home[2] += base_cents(cents_of(x, "AmountDue"), x);
	}
	json_array_foreach(credit_notes, i, x) {
		const char *t = json_string_value(json_object_get(x, "Type"));
		if (!t || strcmp(t, "ACCRECCREDIT") || !IN(status_of(x), live))
			continue;
		book_add(sums, x, 0, -cents_of(x, "Total"));
		book_add(sums, x, 2, -cents_of(x, "RemainingCredit"));
		home[0] -= base_cents(cents_of(x, "Total"), x);
		home[2] -= base_cents(cents_of(x, "RemainingCredit"), x);
	}
	json_array_foreach(payments, i, x) {
		int credit = json_object_get(x, "CreditNote") != NULL;
		json_t *doc = doc_of(json_object_get(x, credit ? "CreditNote" : "Invoice"), credit);
		const char *t = json_string_value(json_object_get(doc, "Type"));
		if (!doc || !strcmp(status_of(x), "DELETED") || !t ||
		    strcmp(t, credit ? "ACCRECCREDIT" : "ACCREC"))
			continue;
		book_add(sums, doc, 1, credit ? -cents_of(x, "Amount") : cents_of(x, "Amount"));
		home[1] += (credit ? -1 : 1) * base_cents(cents_of(x, "Amount"), x);
	}
	json_t *out = json_object(), *b, *onhand = json_object();
	const char *cur;
	json_object_foreach(sums, cur, b)
		json_object_set_new(out, cur, json_pack("{s:o,s:o,s:o}", "sales",
			money(json_integer_value(json_array_get(b, 0))), "cash",
			money(json_integer_value(json_array_get(b, 1))), "receivable",
			money(json_integer_value(json_array_get(b, 2)))));
	json_decref(sums);
	/* everything in the base currency, each document and payment at its own
	 * CurrencyRate (a paid invoice owes nothing: the difference between its
	 * rate and its payment's is Xero's realised gain or loss) */
	json_object_set_new(out, "home", json_pack("{s:s,s:o,s:o,s:o}", "currency",
		BASE_CURRENCY, "sales", money(home[0]), "cash", money(home[1]), "receivable",
		money(home[2])));
	/* each tracked item's QuantityOnHand as decimal text, no trailing zeros */
	json_array_foreach(ref_items, i, x) {
		char q[48];
		if (!tracked(x))
			continue;
		snprintf(q, sizeof q, "%.4f", json_number_value(json_object_get(x, "QuantityOnHand")));
		size_t n = strlen(q);
		while (n && q[n - 1] == '0')
			q[--n] = 0;
		if (n && q[n - 1] == '.')
			q[--n] = 0;
		json_object_set_new(onhand, json_string_value(json_object_get(x, "Code")),
			json_string(strcmp(q, "-0") ? q : "0"));
	}
	json_object_set_new(out, "onhand", onhand);
	return out;
}

static const char *
place(const char *collection, json_t *doc)
{
	if (strcmp(collection, "Contacts") != 0) {
		json_decref(doc);
		return NULL;
	}
	json_object_del(doc, "ContactID");
	store("Contacts", doc, 0);
	json_decref(doc); /* contacts holds it */
	return json_string_value(json_object_get(doc, "ContactID"));
}

const sb_service sb_xero = { "xero", "/xero", seed, handle, dump, place };
