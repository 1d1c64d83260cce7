/*
 * seed.c - seeded storefront data generated inside the sandbox
 * (sandbox --seed S --orders N): Clarity's orders, customers and products
 * and NopCommerce's orders, customers and products, with the shapes, field
 * names and variety of tests/bench/gen_orders.py and tests/bench/gen_nop.py,
 * of which this is a port, so a test or the demo needs no data files.
 *
 * Deterministic: each collection draws from its own splitmix64 sequence,
 * started from S and the collection's name, so the same S always gives
 * byte-identical records (and a collection loaded from a file instead does
 * not shift the others).  Not byte-identical to the Python generators,
 * whose PRNG is Python's.
 *
 * Money is integer minor units (cents; JPY in whole yen) printed as exact
 * decimal text, never through a double: Clarity's totalAmount is lines +
 * shipping - discount + tax exactly, NopCommerce's OrderTotal subtotal +
 * shipping - discount + tax, its discount (10%) and tax (8%) rounded half
 * to even to the cent as Python's Decimal.quantize does.
 *
 * About 1% of the orders are realistically bad, the kinds and shares of the
 * Python generators (per 1000 orders): Clarity 2 "bitcoin" payments
 * (completed, captured), 2 status "on-hold", 2 without customerId, 2 whose
 * totalAmount is one unit (1.00, or 100 yen) off, 1 without line items, 1
 * whose first line has tax class "luxury"; NopCommerce 2
 * "Payments.Bitcoin" (Complete, Paid), 2 OrderStatusId 25, 2 without
 * CustomerId, 2 whose OrderTotal is 1.00 off (Complete, Paid), 2 without
 * items.  Customers and products are all good.
 *
 * The NopCommerce catalogue (max(10, N/20) products) is drawn from a fixed
 * sequence whatever S, as gen_nop.py's Random(1000) is; Clarity's products
 * are gen_orders.py's nine catalogue entries (the skus its lines use, the
 * codes of the Xero sandbox's items), with a quantityOnHand drawn from S.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox.h"

/* ---- the sequence ------------------------------------------------------ */

typedef struct {
	uint64_t s;
} Rng;

/* splitmix64 (Steele, Lea, Flood 2014; the constants of Vigna's version) */
static uint64_t
next(Rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

/* Uniform in [0, n), n >= 1: draws below the largest multiple of n are
 * kept, so no value is favoured. */
static uint64_t
below(Rng *r, uint64_t n)
{
	uint64_t limit = UINT64_MAX - UINT64_MAX % n, x;
	do
		x = next(r);
	while (x >= limit);
	return x % n;
}

/* Uniform in [lo, hi], both included (Python's randint). */
static long
between(Rng *r, long lo, long hi)
{
	return lo + (long)below(r, (uint64_t)(hi - lo + 1));
}

#define PICK(r, table) (table[below(r, sizeof table / sizeof *table)])

/* A sequence of its own for a collection: S and the name (FNV-1a) mixed. */
static void
start(Rng *r, unsigned long long seed, const char *stream)
{
	uint64_t h = 0xcbf29ce484222325u;
	for (const char *p = stream; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3u;
	r->s = (uint64_t)seed ^ h;
	next(r);
}

/* ---- output ------------------------------------------------------------ */

typedef struct {
	char *p;
	size_t n, cap;
	int oom;
} Buf;

static void
put(Buf *b, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		if (b->oom)
			return;
		size_t room = b->cap - b->n;
		va_start(ap, fmt);
		int w = vsnprintf(b->p ? b->p + b->n : NULL, room, fmt, ap);
		va_end(ap);
		if (w < 0) {
			b->oom = 1;
			return;
		}
		if ((size_t)w < room) {
			b->n += (size_t)w;
			return;
		}
		size_t ncap = b->cap ? b->cap * 2 : 1u << 16;
		while (ncap - b->n <= (size_t)w)
			ncap *= 2;
		char *np = realloc(b->p, ncap);
		if (!np) {
			b->oom = 1;
			return;
		}
		b->p = np;
		b->cap = ncap;
	}
}

/* A JSON string: the tables hold UTF-8 as is (json.dumps ensure_ascii=False). */
static void
str(Buf *b, const char *s)
{
	put(b, "\"");
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '"' || c == '\\')
			put(b, "\\%c", c);
		else if (c < 0x20)
			put(b, "\\u%04x", c);
		else
			put(b, "%c", c);
	}
	put(b, "\"");
}

/* An amount in minor units as exact decimal text: places 2 (cents) or 0. */
static void
amount(Buf *b, long long units, int places)
{
	if (places == 0) {
		put(b, "%lld", units);
		return;
	}
	unsigned long long u = units < 0 ? 0ull - (unsigned long long)units :
		(unsigned long long)units;
	put(b, "%s%llu.%02llu", units < 0 ? "-" : "", u / 100, u % 100);
}

/* x / d rounded half to even, x >= 0, d > 0 (Decimal.quantize's rounding). */
static long long
half_even(long long x, long long d)
{
	long long q = x / d, rem = x % d;
	if (2 * rem > d || (2 * rem == d && q % 2))
		q++;
	return q;
}

/* ---- Clarity eCommerce (gen_orders.py) --------------------------------- */

static const char *const c_first[] = { "Ana", "Liam", "Am\u00e9lie", "Jonas", "Priya",
	"\u5065\u4e8c", "Olivia", "Mateo", "S\u00f8ren", "Zo\u00eb" };
static const char *const c_last[] = { "L\u00f3pez", "Smith", "Dubois", "M\u00fcller", "Patel",
	"\u4f50\u85e4", "Johnson", "Garc\u00eda", "Nielsen" };
static const struct {
	const char *sku, *name;
	long long cents;
} c_products[] = {
	{ "MUG-01", "Mug", 1999 }, { "TEE-02", "T-shirt \u00e9", 2450 },
	{ "CAP-03", "Cap", 1500 }, { "BAG-04", "Tote bag", 3500 }, { "PEN-05", "Pen", 350 },
	{ "TEA-06", "\u62b9\u8336 tea", 1200 }, { "SOCK-07", "Socks", 899 },
	{ "BOOK-08", "Notebook", 1299 }, { "LAMP-09", "Lamp", 14900 },
};
static const char *const c_methods[] = { "visa", "visa", "visa", "visa", "visa", "mastercard",
	"mastercard", "mastercard", "amex", "paypal", "paypal", "applepay", "giftcard" };
static const char *const c_statuses[] = { "processing", "processing", "processing",
	"processing", "completed", "completed", "completed", "completed", "fulfilled", "pending",
	"cancelled", "draft" };
static const char *const c_channels[] = { "web", "web", "web", "mobile", "mobile",
	"marketplace", "pos" };
static const char *const c_campaigns[] = { NULL, NULL, "black-friday", "newsletter", "social" };
static const char *const c_stores[] = { "web", "web", "store-1", "store-2" };
static const char *const c_depts[] = { "online", "online", "retail", "wholesale" };
static const struct {
	const char *code;
	int places;
} c_currencies[] = {
	{ "USD", 2 }, { "USD", 2 }, { "USD", 2 }, { "USD", 2 }, { "USD", 2 }, { "USD", 2 },
	{ "EUR", 2 }, { "GBP", 2 }, { "JPY", 0 },
};
static const char *const c_offsets[] = { "-05:00", "-08:00", "Z", "+01:00", "+05:30",
	"+09:00" };
static const struct {
	const char *cls;
	int rate;
} c_taxes[] = {
	{ "standard", 8 }, { "standard", 8 }, { "reduced", 5 }, { "zero", 0 }, { "exempt", 0 },
};
static const long long c_ship_cents[] = { 0, 0, 499, 995 }, c_ship_yen[] = { 0, 500 };
static const char *const c_coupons[] = { "BF10", "WELCOME10", "VIP" };
static const char *const c_pay_other[] = { "authorized", "voided" };

static long
customers_of(long orders)
{
	return orders / 4 > 1 ? orders / 4 : 1;
}

static void
clarity_customer(Buf *b, Rng *r, long cid)
{
	const char *f = PICK(r, c_first), *l = PICK(r, c_last);
	put(b, "{\"customerId\":\"C-%ld\",\"email\":\"customer%ld@example.com\",\"firstName\":",
		cid, cid);
	str(b, f);
	put(b, ",\"lastName\":");
	str(b, l);
	put(b, ",\"phone\":\"+1 512 555 %04ld\",\"createdAt\":\"2025-06-01T12:00:00Z\","
		"\"updatedAt\":\"2026-11-20T08:00:00Z\"", cid % 10000);
	if (below(r, 100) < 15)
		put(b, ",\"companyName\":\"%s Trading\"", l); /* the names need no escaping */
	put(b, "}\n");
}

static void
clarity_product(Buf *b, Rng *r, size_t i)
{
	put(b, "{\"sku\":\"%s\",\"name\":", c_products[i].sku);
	str(b, c_products[i].name);
	put(b, ",\"description\":");
	str(b, c_products[i].name);
	put(b, ",\"price\":");
	amount(b, c_products[i].cents, 2);
	put(b, ",\"quantityOnHand\":%ld,\"active\":true,\"updatedAt\":\"2026-11-01T00:00:00Z\"}\n",
		between(r, 0, 500));
}

static void
clarity_order(Buf *b, Rng *r, long n, long ncust)
{
	int places = 0;
	const char *cur = NULL;
	{
		size_t k = (size_t)below(r, sizeof c_currencies / sizeof *c_currencies);
		cur = c_currencies[k].code;
		places = c_currencies[k].places;
	}
	struct {
		size_t p;
		long q;
		size_t t;
		long long tax;
	} li[8];
	long nlines = between(r, 1, 8);
	long long subtotal = 0, tax_total = 0;
	for (long i = 0; i < nlines; i++) {
		li[i].p = (size_t)below(r, sizeof c_products / sizeof *c_products);
		li[i].q = between(r, 1, 5);
		li[i].t = (size_t)below(r, sizeof c_taxes / sizeof *c_taxes);
		/* yen: the same digits, whole units */
		long long line_total = li[i].q * c_products[li[i].p].cents;
		li[i].tax = line_total * c_taxes[li[i].t].rate / 100;
		subtotal += line_total;
		tax_total += li[i].tax;
	}
	long long shipping = places ? PICK(r, c_ship_cents) : PICK(r, c_ship_yen);
	long long discount = below(r, 100) < 20 ? subtotal / 10 : 0;
	long long total = subtotal + shipping - discount + tax_total;
	long day = between(r, 1, 28), hh = between(r, 0, 23), mm = between(r, 0, 59);
	const char *status = PICK(r, c_statuses), *method = PICK(r, c_methods);
	int paid = !strcmp(status, "processing") || !strcmp(status, "completed") ||
		!strcmp(status, "fulfilled");
	const char *pay_status = paid ? "captured" : PICK(r, c_pay_other);
	const char *card = !strcmp(method, "visa") || !strcmp(method, "mastercard") ||
		!strcmp(method, "amex") ? method : NULL;
	long cust = between(r, 1, ncust), last4 = between(r, 0, 9999);
	const char *offset = PICK(r, c_offsets), *channel = PICK(r, c_channels);
	const char *store = PICK(r, c_stores), *dept = PICK(r, c_depts);
	const char *coupon = discount ? PICK(r, c_coupons) : NULL;
	const char *campaign = PICK(r, c_campaigns);
	/* about 1% realistically bad */
	long long shown_total = total;
	int no_customer = 0, luxury = 0;
	switch (below(r, 1000)) {
	case 0: case 1:
		method = "bitcoin";
		status = "completed";
		pay_status = "captured";
		break;
	case 2: case 3:
		status = "on-hold";
		break;
	case 4: case 5:
		no_customer = 1;
		break;
	case 6: case 7:
		shown_total = total + 100;
		break;
	case 8:
		nlines = 0;
		break;
	case 9:
		luxury = 1;
		break;
	default:
		break;
	}
	put(b, "{\"orderId\":\"SO-%ld\"", 100000 + n);
	if (!no_customer)
		put(b, ",\"customerId\":\"C-%ld\"", cust);
	put(b, ",\"orderDate\":\"2026-11-%02ldT%02ld:%02ld:00%s\",\"status\":\"%s\","
		"\"currency\":\"%s\",\"totalAmount\":", day, hh, mm, offset, status, cur);
	amount(b, shown_total, places);
	put(b, ",\"subtotalAmount\":");
	amount(b, subtotal, places);
	put(b, ",\"taxAmount\":");
	amount(b, tax_total, places);
	put(b, ",\"shippingAmount\":");
	amount(b, shipping, places);
	put(b, ",\"discountAmount\":");
	amount(b, discount, places);
	put(b, ",\"shippingAddress\":{\"line1\":\"1 Main St\",\"city\":\"Austin\",\"state\":\"TX\","
		"\"postalCode\":\"78701\",\"country\":\"US\"},\"lineItems\":[");
	for (long i = 0; i < nlines; i++) {
		put(b, "%s{\"lineId\":\"%ld\",\"sku\":\"%s\",\"name\":", i ? "," : "", i + 1,
			c_products[li[i].p].sku);
		str(b, c_products[li[i].p].name);
		put(b, ",\"quantity\":%ld,\"unitPrice\":", li[i].q);
		amount(b, c_products[li[i].p].cents, places);
		put(b, ",\"tax\":");
		amount(b, li[i].tax, places);
		put(b, ",\"taxClass\":\"%s\"}", luxury && i == 0 ? "luxury" : c_taxes[li[i].t].cls);
	}
	put(b, "],\"paymentInfo\":{\"method\":\"%s\",\"status\":\"%s\","
		"\"transactionId\":\"ch_%08ld\",\"amount\":", method, pay_status, n);
	amount(b, total, places);
	if (card)
		put(b, ",\"cardBrand\":\"%s\"", card);
	put(b, ",\"last4\":\"%04ld\"},\"attributes\":{\"channel\":\"%s\",\"storeId\":\"%s\","
		"\"department\":\"%s\"", last4, channel, store, dept);
	if (campaign)
		put(b, ",\"campaign\":\"%s\"", campaign);
	put(b, "},\"updatedAt\":\"2026-11-%02ldT%02ld:%02ld:30Z\"", day, hh, mm);
	if (coupon)
		put(b, ",\"couponCode\":\"%s\"", coupon);
	put(b, "}\n");
}

/* ---- NopCommerce (gen_nop.py) ------------------------------------------ */

/* first and last names with their lower case, for the email address */
static const char *const n_first[][2] = { { "Zo\u00eb", "zo\u00eb" }, { "Liam", "liam" },
	{ "Am\u00e9lie", "am\u00e9lie" }, { "Jonas", "jonas" }, { "Priya", "priya" },
	{ "Kenji", "kenji" }, { "Olivia", "olivia" }, { "Mateo", "mateo" },
	{ "S\u00f8ren", "s\u00f8ren" }, { "Ana", "ana" } };
static const char *const n_last[][2] = { { "Brandt", "brandt" }, { "Smith", "smith" },
	{ "Dubois", "dubois" }, { "M\u00fcller", "m\u00fcller" }, { "Patel", "patel" },
	{ "Sato", "sato" }, { "Johnson", "johnson" }, { "Garc\u00eda", "garc\u00eda" },
	{ "Nielsen", "nielsen" } };
static const char *const n_methods[] = { "Payments.Manual", "Payments.PayPalCommerce",
	"Payments.CheckMoneyOrder", "Payments.Square" };
static const char *const n_currencies[] = { "USD", "USD", "USD", "USD", "USD", "USD", "USD",
	"EUR", "GBP", "CAD" };
static const int n_countries[] = { 1, 1, 1, 2, 80, 81, 75 };
static const long long n_prices[] = { 199, 350, 999, 1250, 1999, 2495, 4900, 14900 };
static const long long n_ship[] = { 0, 0, 499, 995 };
static const int n_status_paid[] = { 10, 20, 30, 30, 30 }, n_status_unpaid[] = { 10, 20, 40 };
static const int n_pay_unpaid[] = { 10, 20 }, n_shipping[] = { 20, 30, 40 };

typedef struct {
	long long cents;
	long stock;
} NopProduct;

static long
nop_products_of(long orders)
{
	return orders / 20 > 10 ? orders / 20 : 10;
}

/* The catalogue, the same whatever the seed (gen_nop.py: Random(1000)). */
static NopProduct *
nop_catalogue(long n)
{
	NopProduct *v = malloc(sizeof *v * (size_t)n);
	Rng r;
	start(&r, 1000, "nop/products");
	for (long i = 0; v && i < n; i++) {
		v[i].cents = PICK(&r, n_prices);
		v[i].stock = between(&r, 0, 500);
	}
	return v;
}

static void
nop_product(Buf *b, const NopProduct *p, long pid)
{
	put(b, "{\"Id\":%ld,\"Name\":\"Product %ld\",\"Sku\":\"SKU-%05ld\",\"Price\":", pid, pid,
		pid);
	amount(b, p->cents, 2);
	put(b, ",\"Published\":true,\"StockQuantity\":%ld}\n", p->stock);
}

static void
nop_customer(Buf *b, Rng *r, long cid)
{
	size_t f = (size_t)below(r, sizeof n_first / sizeof *n_first);
	size_t l = (size_t)below(r, sizeof n_last / sizeof *n_last);
	long num = between(r, 1, 999), zip = between(r, 10000, 99999);
	int country = PICK(r, n_countries);
	put(b, "{\"Id\":%ld,\"FirstName\":", cid);
	str(b, n_first[f][0]);
	put(b, ",\"LastName\":");
	str(b, n_last[l][0]);
	put(b, ",\"Email\":\"%s.%s%ld@example.com\",\"BillingAddress\":{\"Address1\":"
		"\"%ld Main St\",\"City\":\"Springfield\",\"ZipPostalCode\":\"%ld\","
		"\"CountryId\":%d}", n_first[f][1], n_last[l][1], cid, num, zip, country);
	if (below(r, 100) < 10)
		put(b, ",\"Company\":\"%s & Co\"", n_last[l][0]);
	put(b, "}\n");
}

static void
nop_order(Buf *b, Rng *r, long oid, long ncust, const NopProduct *prods, long nprods)
{
	struct {
		long p, q;
	} it[6];
	long nitems = between(r, 1, 6);
	long long subtotal = 0;
	for (long i = 0; i < nitems; i++) {
		it[i].p = (long)below(r, (uint64_t)nprods);
		it[i].q = between(r, 1, 4);
		subtotal += it[i].q * prods[it[i].p].cents;
	}
	long long shipping = PICK(r, n_ship);
	long long discount = below(r, 100) < 20 ? half_even(subtotal * 10, 100) : 0;
	long long tax = half_even((subtotal - discount) * 8, 100);
	long long total = subtotal + shipping - discount + tax;
	int paid = below(r, 100) < 70;
	long cust = between(r, 1, ncust);
	int status = paid ? PICK(r, n_status_paid) : PICK(r, n_status_unpaid);
	int pay = paid ? 30 : PICK(r, n_pay_unpaid);
	int ship = PICK(r, n_shipping);
	const char *method = PICK(r, n_methods), *cur = PICK(r, n_currencies);
	long day = between(r, 1, 28), hh = between(r, 0, 23), mm = between(r, 0, 59);
	/* about 1% realistically bad */
	long long shown_total = total;
	int no_customer = 0;
	switch (below(r, 1000)) {
	case 0: case 1:
		method = "Payments.Bitcoin";
		status = pay = 30;
		break;
	case 2: case 3:
		status = 25;
		break;
	case 4: case 5:
		no_customer = 1;
		break;
	case 6: case 7:
		shown_total = total + 100;
		status = pay = 30;
		break;
	case 8: case 9:
		nitems = 0;
		break;
	default:
		break;
	}
	put(b, "{\"Id\":%ld,\"OrderGuid\":\"00000000-0000-4000-8000-%012ld\","
		"\"CustomOrderNumber\":\"%ld\",\"StoreId\":1", oid, oid, oid);
	if (!no_customer)
		put(b, ",\"CustomerId\":%ld", cust);
	put(b, ",\"OrderStatusId\":%d,\"PaymentStatusId\":%d,\"ShippingStatusId\":%d,"
		"\"PaymentMethodSystemName\":\"%s\",\"CustomerCurrencyCode\":\"%s\","
		"\"CurrencyRate\":1,\"OrderSubtotalExclTax\":", status, pay, ship, method, cur);
	amount(b, subtotal, 2);
	put(b, ",\"OrderShippingExclTax\":");
	amount(b, shipping, 2);
	put(b, ",\"OrderTax\":");
	amount(b, tax, 2);
	put(b, ",\"OrderDiscount\":");
	amount(b, discount, 2);
	put(b, ",\"OrderTotal\":");
	amount(b, shown_total, 2);
	put(b, ",\"RefundedAmount\":");
	amount(b, 0, 2);
	if (paid)
		put(b, ",\"CaptureTransactionId\":\"txn_%08ld\"", oid);
	put(b, ",\"CreatedOnUtc\":\"2026-11-%02ldT%02ld:%02ld:00Z\",\"OrderItems\":[", day, hh,
		mm);
	for (long i = 0; i < nitems; i++) {
		long pid = it[i].p + 1;
		put(b, "%s{\"Id\":%ld,\"ProductId\":%ld,\"ProductName\":\"Product %ld\","
			"\"Sku\":\"SKU-%05ld\",\"Quantity\":%ld,\"UnitPriceExclTax\":", i ? "," : "",
			oid * 10 + i, pid, pid, pid, it[i].q);
		amount(b, prods[it[i].p].cents, 2);
		put(b, ",\"PriceExclTax\":");
		amount(b, it[i].q * prods[it[i].p].cents, 2);
		put(b, "}");
	}
	put(b, "]}\n");
}

/* ---- entry ------------------------------------------------------------- */

char *
sb_seed_ndjson(const char *service, const char *collection, unsigned long long seed,
	long orders, size_t *len)
{
	Buf b = { 0 };
	Rng r;
	char stream[64];
	snprintf(stream, sizeof stream, "%s/%s", service, collection);
	start(&r, seed, stream);
	long ncust = customers_of(orders);
	*len = 0;
	if (orders < 0)
		return NULL;
	if (!strcmp(service, "clarity") && !strcmp(collection, "orders")) {
		for (long n = 0; n < orders && !b.oom; n++)
			clarity_order(&b, &r, n, ncust);
	} else if (!strcmp(service, "clarity") && !strcmp(collection, "customers")) {
		for (long cid = 1; cid <= ncust && !b.oom; cid++)
			clarity_customer(&b, &r, cid);
	} else if (!strcmp(service, "clarity") && !strcmp(collection, "products")) {
		for (size_t i = 0; i < sizeof c_products / sizeof *c_products; i++)
			clarity_product(&b, &r, i);
	} else if (!strcmp(service, "nop") && !strcmp(collection, "customers")) {
		for (long cid = 1; cid <= ncust && !b.oom; cid++)
			nop_customer(&b, &r, cid);
	} else if (!strcmp(service, "nop") && (!strcmp(collection, "orders") ||
					       !strcmp(collection, "products"))) {
		long np = nop_products_of(orders);
		NopProduct *prods = nop_catalogue(np);
		if (!prods)
			return NULL;
		if (!strcmp(collection, "products"))
			for (long pid = 1; pid <= np && !b.oom; pid++)
				nop_product(&b, &prods[pid - 1], pid);
		else
			for (long i = 0; i < orders && !b.oom; i++)
				nop_order(&b, &r, 10000 + i, ncust, prods, np);
		free(prods);
	} else {
		return NULL;
	}
	if (b.oom || !b.p) {
		free(b.p);
		return b.oom ? NULL : strdup("");
	}
	*len = b.n;
	return b.p;
}
