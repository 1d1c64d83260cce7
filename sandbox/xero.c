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
 * Payments go to a bank account against an AUTHORISED invoice, never over
 * what is due, and mark it PAID when it is settled.
 *
 * Reads: GET Contacts and Invoices (all, ?page=N, If-Modified-Since, and
 * ?where= with Xero's filter expressions: Field=="text", Field==guid("..."),
 * Field==number, !=, Path.Contains/StartsWith/EndsWith("text"), joined by
 * AND / && and OR / ||, dotted paths such as Contact.ContactNumber),
 * GET Contacts/{ContactID or ContactNumber} and Invoices/{InvoiceID or
 * InvoiceNumber}, and the seeded Accounts, TaxRates, TrackingCategories and
 * Items (the demo catalogue's codes) the validation uses.
 *
 * Tokens live 1800 s (or --token-ttl) and die early on the expire_tokens
 * fault; the limits scale with --limit-scale.  Not enforced: the limit of
 * 5 concurrent calls (the server handles one request at a time, so no two
 * are ever in flight together).
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

static const char *const accounts[] = { "090", "091", "092", "093", "200", "210", "220", "260" };
/* the bank accounts among them: the only ones a payment can go to */
static const char *const bank_accounts[] = { "090", "091", "092", "093" };
static const char *const tax_types[] = {
	"OUTPUT", "OUTPUT2", "ZERORATEDOUTPUT", "EXEMPTOUTPUT", "NONE", "INPUT",
};
static const char *const channel_options[] = { "Online", "App", "Marketplace", "Retail", "Other" };
static const char *const campaign_options[] = { "Black Friday", "Newsletter", "Social", "None" };

static json_t *contacts, *invoices, *payments, *idempotent, *tokens;
static json_t *ref_accounts, *ref_tax_rates, *ref_tracking, *ref_items;
static char refresh_token[64];
static unsigned counter;
static time_t min_start, day_start;
static int min_calls, day_calls;

static int
in(const char *v, const char *const *set, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		if (strcmp(v, set[i]) == 0)
			return 1;
	return 0;
}

#define IN(v, set) in((v), (set), sizeof(set) / sizeof *(set))

/* The organisation's chart of accounts, tax rates, tracking categories and
 * items: the lists the validation below checks against, served as Xero
 * serves them (fixed ids, so they are the same on every run). */
static void
seed_reference(void)
{
	static const char *const acct_names[] = { "Business Bank Account", "Savings Account",
		"PayPal", "Gift cards clearing", "Sales", "Sales - marketplace", "Sales - retail",
		"Shipping income" };
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
		snprintf(id, sizeof id, "a0000000-0000-4000-8000-%012zu", i + 1);
		json_t *a = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "AccountID", id, "Code",
			accounts[i], "Name", acct_names[i], "Type", bank ? "BANK" : "REVENUE",
			"Status", "ACTIVE", "TaxType", bank ? "NONE" : "OUTPUT", "Class",
			bank ? "ASSET" : "REVENUE");
		if (bank) {
			json_object_set_new(a, "BankAccountType", json_string("BANK"));
			json_object_set_new(a, "CurrencyCode", json_string("USD"));
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
	for (size_t i = 0; i < sizeof items / sizeof *items; i++) {
		snprintf(id, sizeof id, "b0000000-0000-4000-8000-%012zu", i + 1);
		json_array_append_new(ref_items, json_pack("{s:s,s:s,s:s,s:s,s:b,s:b,s:b,"
			"s:{s:f,s:s,s:s}}", "ItemID", id, "Code", items[i].code, "Name", items[i].name,
			"Description", items[i].name, "IsSold", 1, "IsPurchased", 0,
			"IsTrackedAsInventory", 0, "SalesDetails", "UnitPrice",
			(double)items[i].cents / 100, "AccountCode", "200", "TaxType", "OUTPUT"));
	}
}

static void
seed(unsigned s)
{
	contacts = json_array();
	invoices = json_array();
	payments = json_array();
	idempotent = json_object();
	tokens = json_object();
	counter = s * 1000;
	snprintf(refresh_token, sizeof refresh_token, "rt-%u", counter++);
	seed_reference();
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

/* *cents gets the total; sub[0] the lines, sub[1] the tax. */
static void
validate_invoice(json_t *inv, json_t *errs, long long *cents)
{
	long long sub[2] = { 0, 0 };
	const char *type = json_string_value(json_object_get(inv, "Type"));
	if (!type || (strcmp(type, "ACCREC") && strcmp(type, "ACCPAY")))
		error(errs, "Invoice Type must be specified and be ACCREC or ACCPAY.%s", NULL);
	json_t *c = resolve_contact(json_object_get(inv, "Contact"), errs);
	if (c) { /* the invoice carries a snapshot of its contact */
		json_t *snap = json_deep_copy(c);
		json_object_del(snap, "_updated");
		json_object_set_new(inv, "Contact", snap);
	}
	const char *st = json_string_value(json_object_get(inv, "Status"));
	static const char *const statuses[] = { "DRAFT", "SUBMITTED", "AUTHORISED" };
	if (st && !IN(st, statuses))
		error(errs, "Invoice not of valid status for creation (%s).", st);
	json_t *lines = json_object_get(inv, "LineItems");
	size_t i;
	json_t *li;
	*cents = 0;
	json_object_set_new(inv, "_tax", json_integer(0));
	if (!json_array_size(lines))
		error(errs, "At least one line item is required.%s", NULL);
	json_array_foreach(lines, i, li) {
		const char *ac = json_string_value(json_object_get(li, "AccountCode"));
		if (ac && !IN(ac, accounts))
			error(errs, "Account code '%s' is not a valid code for this document.", ac);
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
	json_object_set_new(inv, "_tax", json_integer(sub[1]));
}

static long long
cents_of(json_t *x, const char *field)
{
	return llround(json_number_value(json_object_get(x, field)) * 100);
}

static void
validate_payment(json_t *p, json_t *errs, long long *cents)
{
	json_t *ref = json_object_get(p, "Invoice");
	json_t *inv = find(invoices, "InvoiceID", json_string_value(json_object_get(ref, "InvoiceID")));
	if (!inv)
		inv = find(invoices, "InvoiceNumber",
			json_string_value(json_object_get(ref, "InvoiceNumber")));
	*cents = cents_of(p, "Amount");
	if (!inv) {
		error(errs, "Invoice could not be found%s", "");
	} else {
		const char *st = json_string_value(json_object_get(inv, "Status"));
		if (!st || strcmp(st, "AUTHORISED") != 0)
			error(errs, "Invoice not of valid status for payment (%s)", st);
		long long due = cents_of(inv, "Total") - cents_of(inv, "AmountPaid");
		if (*cents > due)
			error(errs, "Payment amount exceeds the amount outstanding on this "
				"document%s", "");
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

/* A payment is stored and its invoice's AmountPaid, AmountDue and Status
 * follow it (PAID once nothing is due). */
static void
store_payment(json_t *p, long long cents)
{
	char id[64];
	json_t *ref = json_object_get(p, "Invoice");
	json_t *inv = find(invoices, "InvoiceID", json_string_value(json_object_get(ref, "InvoiceID")));
	if (!inv)
		inv = find(invoices, "InvoiceNumber",
			json_string_value(json_object_get(ref, "InvoiceNumber")));
	uuid(id, sizeof id);
	json_object_set_new(p, "PaymentID", json_string(id));
	json_object_set_new(p, "Status", json_string("AUTHORISED"));
	json_object_set_new(p, "_updated", json_integer((json_int_t)time(NULL)));
	json_array_append(payments, p);
	long long paid = cents_of(inv, "AmountPaid") + cents;
	long long due = cents_of(inv, "Total") - paid;
	json_object_set_new(inv, "AmountPaid", json_real((double)paid / 100));
	json_object_set_new(inv, "AmountDue", json_real((double)due / 100));
	if (due == 0)
		json_object_set_new(inv, "Status", json_string("PAID"));
}

/* A copy fit to send: the internal _updated stamp removed. */
static json_t *
public_copy(json_t *x)
{
	json_t *c = json_deep_copy(x);
	json_object_del(c, "_updated");
	return c;
}

static void
store(const char *kind, json_t *item, long long cents)
{
	char id[64], date[64];
	time_t now = time(NULL);
	xero_date(date, sizeof date, now);
	if (strcmp(kind, "Contacts") == 0) {
		if (!json_object_get(item, "ContactID")) {
			uuid(id, sizeof id);
			json_object_set_new(item, "ContactID", json_string(id));
			json_object_set_new(item, "ContactStatus", json_string("ACTIVE"));
			json_array_append(contacts, item);
		}
	} else {
		if (!json_object_get(item, "InvoiceID")) {
			uuid(id, sizeof id);
			json_object_set_new(item, "InvoiceID", json_string(id));
			if (!json_object_get(item, "InvoiceNumber")) {
				char num[32];
				snprintf(num, sizeof num, "INV-%04zu", json_array_size(invoices) + 1);
				json_object_set_new(item, "InvoiceNumber", json_string(num));
			}
			json_array_append(invoices, item);
		}
		if (!json_object_get(item, "Status"))
			json_object_set_new(item, "Status", json_string("DRAFT"));
		long long tax = json_integer_value(json_object_get(item, "_tax"));
		json_object_del(item, "_tax");
		json_object_set_new(item, "SubTotal", json_real((double)(cents - tax) / 100));
		json_object_set_new(item, "TotalTax", json_real((double)tax / 100));
		json_object_set_new(item, "Total", json_real((double)cents / 100));
		json_object_set_new(item, "AmountDue", json_real((double)cents / 100));
		json_object_set_new(item, "AmountPaid", json_real(0));
	}
	json_object_set_new(item, "UpdatedDateUTC", json_string(date));
	json_object_set_new(item, "_updated", json_integer((json_int_t)now));
}

static void
write_batch(const sb_request *q, sb_response *r, const char *kind, int update)
{
	json_error_t je;
	json_t *body = json_loadb(q->body, q->body_len, 0, &je);
	json_t *items = body ? json_object_get(body, kind) : NULL;
	if (!json_is_array(items)) {
		sb_json(r, 400, json_pack("{s:i,s:s,s:s}", "ErrorNumber", 14, "Type",
			"PostDataInvalidException", "Message", body ? "Invalid request body" :
			je.text));
		json_decref(body);
		return;
	}
	if (json_array_size(items) > MAX_BATCH) {
		sb_json(r, 400, json_pack("{s:i,s:s,s:s}", "ErrorNumber", 10, "Type",
			"ValidationException", "Message", "A maximum of 50 items can be sent per call"));
		json_decref(body);
		return;
	}
	const char *summ = q->query(q->conn, "summarizeErrors");
	int per_item = summ && strcmp(summ, "false") == 0;
	int contacts_kind = strcmp(kind, "Contacts") == 0;
	int payments_kind = strcmp(kind, "Payments") == 0;
	const char *idf = contacts_kind ? "ContactID" : payments_kind ? "PaymentID" : "InvoiceID";
	json_t *list_of = contacts_kind ? contacts : payments_kind ? payments : invoices;
	size_t n = json_array_size(items);
	/* First validate every item on a copy (an update merged over what is
	 * stored), then store: a batch that fails without summarizeErrors=false
	 * stores nothing, as Xero validates the whole request. */
	json_t **merged = calloc(n + 1, sizeof *merged), **errs = calloc(n + 1, sizeof *errs);
	long long *cents = calloc(n + 1, sizeof *cents);
	int any_error = 0;
	for (size_t i = 0; i < n; i++) {
		json_t *item = json_array_get(items, i);
		json_t *existing = find(list_of, idf, json_string_value(json_object_get(item, idf)));
		errs[i] = json_array();
		merged[i] = existing ? json_deep_copy(existing) : json_deep_copy(item);
		if (existing && !update)
			error(errs[i], "%s already exists: use POST to update it.", idf);
		if (existing)
			json_object_update(merged[i], item);
		if (contacts_kind)
			validate_contact(merged[i], errs[i]);
		else if (payments_kind)
			validate_payment(merged[i], errs[i], &cents[i]);
		else
			validate_invoice(merged[i], errs[i], &cents[i]);
		any_error |= json_array_size(errs[i]) > 0;
	}
	json_t *out = json_array();
	for (size_t i = 0; i < n; i++) {
		if (json_array_size(errs[i])) {
			json_t *e = public_copy(json_array_get(items, i));
			json_object_set_new(e, "HasErrors", json_true());
			json_object_set_new(e, "StatusAttributeString", json_string("ERROR"));
			json_object_set(e, "ValidationErrors", errs[i]);
			json_array_append_new(out, e);
		} else if (per_item || !any_error) {
			json_t *existing = find(list_of, idf,
				json_string_value(json_object_get(merged[i], idf)));
			json_t *target = merged[i];
			if (existing) {
				json_object_update(existing, merged[i]);
				target = existing;
			}
			if (payments_kind)
				store_payment(target, cents[i]);
			else
				store(kind, target, cents[i]);
			json_t *ok = public_copy(target);
			json_object_set_new(ok, "StatusAttributeString", json_string("OK"));
			json_array_append_new(out, ok);
		}
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
		json_decref(body);
		return;
	}
	char id[64], date[64];
	uuid(id, sizeof id);
	xero_date(date, sizeof date, time(NULL));
	sb_json(r, 200, json_pack("{s:s,s:s,s:s,s:s,s:o}", "Id", id, "Status", "OK",
		"ProviderName", "mapwright sandbox", "DateTimeUTC", date, kind, out));
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
	{ "Payments", &payments, "PaymentID", NULL, 1 },
	{ "Accounts", &ref_accounts, "AccountID", "Code", 0 },
	{ "TaxRates", &ref_tax_rates, "TaxType", NULL, 0 },
	{ "TrackingCategories", &ref_tracking, "TrackingCategoryID", NULL, 0 },
	{ "Items", &ref_items, "ItemID", "Code", 0 },
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
	const char *id = NULL, *base = "/api.xro/2.0/";
	if (strncmp(q->path, base, strlen(base)) == 0) {
		const char *rest = q->path + strlen(base);
		for (size_t i = 0; !k && i < sizeof kinds / sizeof *kinds; i++) {
			size_t n = strlen(kinds[i].name);
			if (strncmp(rest, kinds[i].name, n) == 0 && (!rest[n] ||
			    (rest[n] == '/' && rest[n + 1] && !strchr(rest + n + 1, '/')))) {
				k = &kinds[i];
				id = rest[n] ? rest + n + 1 : NULL;
			}
		}
	}
	if (!k) {
		sb_json(r, 404, json_pack("{s:s,s:i}", "Title", "Not Found", "Status", 404));
		return;
	}
	const char *kind = k->name;
	if (strcmp(q->method, "GET") == 0) {
		if (id)
			get_one(r, k, id);
		else
			list(q, r, k);
		return;
	}
	if (!k->writable || id || (strcmp(q->method, "PUT") != 0 &&
				   strcmp(q->method, "POST") != 0)) {
		sb_json(r, 405, json_pack("{s:s,s:i}", "Title", "Method Not Allowed", "Status", 405));
		return;
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
	write_batch(q, r, kind, strcmp(q->method, "POST") == 0);
	if (key && r->body)
		json_object_set_new(idempotent, key, json_pack("{s:i,s:s}", "status", r->status,
			"body", r->body));
}

static json_t *
dump(void)
{
	json_t *c = json_array(), *i = json_array(), *p = json_array();
	size_t k;
	json_t *x;
	json_array_foreach(contacts, k, x)
		json_array_append_new(c, public_copy(x));
	json_array_foreach(invoices, k, x)
		json_array_append_new(i, public_copy(x));
	json_array_foreach(payments, k, x)
		json_array_append_new(p, public_copy(x));
	return json_pack("{s:o,s:o,s:o,s:s,s:s,s:s}", "Contacts", c, "Invoices", i, "Payments", p,
		"tenant", TENANT, "client_id", CLIENT_ID, "refresh_token", refresh_token);
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
