/*
 * test_cli.c - the pair binary's command line driven through mw_cli_run
 * with a hand-written program (map functions written the way mapc writes
 * them): exact output and dead-letter lines, exit status 0/1/2, filtered
 * records, a 2 MB line, a line over the 16 MiB cap, invalid JSON in the
 * middle of a stream, output order, XML targets, usage and I/O errors.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "transform.h"

#define CHECK_AREA "cli"
#include "check.h"

/* ------------------------------------------------------------------ */
/* the program                                                         */
/* ------------------------------------------------------------------ */

static const mw_entry gl_entries[] = {
	{ "paypal", MW_V_S("1210") },
	{ "visa", MW_V_S("1200") },
};
static const mw_table tbl_gl = {
	"payment_gl", gl_entries, 2, MW_ELSE_FAIL, MW_V_NULL,
	"no GL account for payment method", 61
};

static int
map_order(mw_ctx *c, mw_val r)
{
	mw_iter it;
	mw_val li;

	mw_line(c, 72); /* when status != "pending" */
	if (!mw_truthy(c, mw_ne(c, mw_get(c, r, "status", MW_STR, 0), MW_S("pending"))))
		return mw_failed(c) ? -1 : 1;
	mw_field(c, "Type", 74);
	mw_put(c, MW_S("ACCREC"), 1);
	if (mw_failed(c))
		return -1;
	mw_field(c, "Contact", 75);
	mw_obj_begin(c);
	mw_field(c, "ContactNumber", 75);
	mw_put(c, mw_ref(c, "Customer", mw_get(c, r, "customerId", MW_STR, 1)), 0);
	mw_obj_end(c);
	if (mw_failed(c))
		return -1;
	mw_field(c, "Date", 76);
	mw_put(c, mw_fn_date(c, mw_get(c, r, "orderDate", MW_DATETIME, 1)), 0);
	if (mw_failed(c))
		return -1;
	mw_field(c, "Reference", 77);
	mw_put(c, mw_get(c, r, "orderId", MW_STR, 1), 0);
	if (mw_failed(c))
		return -1;
	mw_field(c, "Description", 78);
	mw_put(c, mw_get(c, r, "note", MW_STR, 0), 0);
	if (mw_failed(c))
		return -1;
	mw_field(c, "LineItems", 80);
	mw_arr_begin(c, "LineItem");
	mw_iter_init(c, &it, mw_get(c, r, "lineItems", MW_ARR, 0));
	while (mw_iter_next(c, &it, &li)) {
		mw_obj_begin(c);
		mw_field(c, "ItemCode", 82);
		mw_put(c, mw_get(c, li, "sku", MW_STR, 1), 0);
		mw_field(c, "Quantity", 83);
		mw_put(c, mw_get(c, li, "quantity", MW_DEC, 0), 0);
		mw_field(c, "UnitAmount", 84);
		mw_put(c, mw_get(c, li, "unitPrice", MW_DEC, 0), 0);
		mw_field(c, "LineAmount", 85);
		mw_put(c, mw_mul(c, mw_get(c, li, "quantity", MW_DEC, 0),
				 mw_get(c, li, "unitPrice", MW_DEC, 0)), 0);
		mw_field(c, "AccountCode", 86);
		mw_put(c, mw_lookup(c, &tbl_gl, mw_coalesce(mw_get(c, li, "method", MW_STR, 0),
			mw_get(c, mw_get(c, r, "paymentInfo", MW_OBJ, 0), "method", MW_STR, 0))),
		       0);
		mw_obj_end(c);
		if (mw_failed(c))
			return -1;
	}
	mw_arr_end(c);
	if (mw_failed(c))
		return -1;
	mw_field(c, "Total", 91);
	mw_put(c, mw_get(c, r, "totalAmount", MW_DEC, 0), 0);
	if (mw_failed(c))
		return -1;
	return mw_failed(c) ? -1 : 0;
}

static mw_val
key_order(mw_ctx *c, mw_val r)
{
	return mw_get(c, r, "orderId", MW_STR, 1);
}

static int
map_customer(mw_ctx *c, mw_val r)
{
	mw_line(c, 64); /* when active */
	if (!mw_truthy(c, mw_get(c, r, "active", MW_BOOL, 0)))
		return mw_failed(c) ? -1 : 1;
	mw_field(c, "ContactNumber", 66);
	mw_put(c, mw_get(c, r, "customerId", MW_INT, 0), 0);
	if (mw_failed(c))
		return -1;
	mw_field(c, "Name", 67);
	mw_put(c, mw_coalesce(mw_get(c, r, "companyName", MW_STR, 0),
			      mw_concat(c, mw_concat(c, mw_get(c, r, "firstName", MW_STR, 0),
						     MW_S(" ")),
					mw_get(c, r, "lastName", MW_STR, 0))), 1);
	if (mw_failed(c))
		return -1;
	mw_field(c, "EmailAddress", 68);
	mw_put(c, mw_fn_lower(c, mw_get(c, r, "email", MW_STR, 0)), 0);
	if (mw_failed(c))
		return -1;
	return mw_failed(c) ? -1 : 0;
}

static mw_val
key_customer(mw_ctx *c, mw_val r)
{
	return mw_get(c, r, "customerId", MW_INT, 1);
}

static const char *const order_deps[] = { "Customer", NULL };

static const mw_entity entities[] = {
	{
		.name = "Customer", .source = "customers", .target = "Contact",
		.key_field = "customerId", .line = 63,
		.map = map_customer, .key = key_customer,
	},
	{
		.name = "Order", .source = "orders", .target = "Invoice",
		.key_field = "orderId", .line = 71,
		.map = map_order, .key = key_order, .deps = order_deps,
	},
};

static const mw_program prog = {
	MW_ABI_VERSION, "0.1.0", "test.map", "shop_books",
	{ "shop", "shop", 0, NULL, 0, 0, 0, 0 },
	{ "books", "books", 0, NULL, 0, 0, 0, 0 },
	entities, 2, .currency = { .from = MW_RATES_NONE }
};

static const mw_program prog_xml = {
	MW_ABI_VERSION, "0.1.0", "test_xml.map", "shop_intacct",
	{ "shop", "shop", 0, NULL, 0, 0, 0, 0 },
	{ "intacct", "intacct", 1, NULL, 0, 0, 0, 0 },
	entities, 2, .currency = { .from = MW_RATES_NONE }
};

static const mw_program prog_abi = {
	MW_ABI_VERSION + 1, "9.9.9", "test.map", "shop_books",
	{ "shop", "shop", 0, NULL, 0, 0, 0, 0 },
	{ "books", "books", 0, NULL, 0, 0, 0, 0 },
	entities, 2, .currency = { .from = MW_RATES_NONE }
};

/* ------------------------------------------------------------------ */
/* running it                                                          */
/* ------------------------------------------------------------------ */

typedef struct {
	int rc;
	char *out, *err;
	size_t out_n, err_n;
} result;

static char *
slurp(FILE *f, size_t *n)
{
	long len;
	char *p;

	fflush(f);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	p = malloc((size_t)len + 1);
	if (!p)
		return NULL;
	*n = fread(p, 1, (size_t)len, f);
	p[*n] = '\0';
	return p;
}

static result
run(const mw_program *p, const char *input, size_t n, int argc, ...)
{
	result r;
	char *argv[16];
	FILE *in = tmpfile(), *out = tmpfile(), *err = tmpfile();
	va_list ap;
	int i;

	memset(&r, 0, sizeof r);
	argv[0] = (char *)"pair";
	va_start(ap, argc);
	for (i = 1; i <= argc && i < 15; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	argv[i] = NULL;
	if (!in || !out || !err) {
		r.rc = -1;
		return r;
	}
	if (n)
		fwrite(input, 1, n, in);
	fflush(in);
	rewind(in);
	r.rc = mw_cli_run(p, argc + 1, argv, in, out, err);
	r.out = slurp(out, &r.out_n);
	r.err = slurp(err, &r.err_n);
	fclose(in);
	fclose(out);
	fclose(err);
	return r;
}

static void
done(result *r)
{
	free(r->out);
	free(r->err);
}

#define S(lit) lit, sizeof(lit) - 1

/* ------------------------------------------------------------------ */
/* cases                                                               */
/* ------------------------------------------------------------------ */

static void
usage_cases(void)
{
	result r;

	r = run(&prog, "", 0, 1, "--help");
	CHECK("--help exits 0", r.rc == 0 && r.err_n == 0, "rc=%d", r.rc);
	CHECK("--help lists entities with source and target",
	      strstr(r.out, "  Customer  shop.customers -> books.Contact\n") &&
	      strstr(r.out, "  Order     shop.orders -> books.Invoice\n") &&
	      strstr(r.out, "transform ENTITY"), "%s", r.out);
	done(&r);
	r = run(&prog, "", 0, 1, "--version");
	CHECK("--version", r.rc == 0 && strcmp(r.out, "shop_books (mapwright) mapc 0.1.0, "
					   "map test.map, pair shop_books, ABI 7\n") == 0,
	      "rc=%d %s", r.rc, r.out);
	done(&r);
	r = run(&prog, "", 0, 0);
	CHECK("no command exits 2", r.rc == 2 && strstr(r.err, "usage:"), "rc=%d", r.rc);
	done(&r);
	r = run(&prog, "", 0, 1, "frobnicate");
	CHECK("unknown command exits 2", r.rc == 2 &&
	      strstr(r.err, "unknown command \"frobnicate\""), "rc=%d %s", r.rc, r.err);
	done(&r);
	r = run(&prog, "", 0, 2, "transform", "Nope");
	CHECK("unknown entity exits 2 listing the entities", r.rc == 2 && r.out_n == 0 &&
	      strcmp(r.err, "shop_books: unknown entity \"Nope\"; known entities: "
		     "Customer, Order\n") == 0, "rc=%d %s", r.rc, r.err);
	done(&r);
	r = run(&prog, "", 0, 1, "transform");
	CHECK("transform without entity exits 2", r.rc == 2 &&
	      strstr(r.err, "known entities: Customer, Order"), "rc=%d %s", r.rc, r.err);
	done(&r);
	r = run(&prog, "", 0, 3, "transform", "Order", "--bogus");
	CHECK("unknown option exits 2", r.rc == 2 && strstr(r.err, "unknown option --bogus"),
	      "rc=%d %s", r.rc, r.err);
	done(&r);
	r = run(&prog, "", 0, 3, "transform", "Order", "Customer");
	CHECK("extra argument exits 2", r.rc == 2, "rc=%d", r.rc);
	done(&r);
	r = run(&prog, "", 0, 3, "transform", "Order", "--dead-letter");
	CHECK("--dead-letter without a file exits 2", r.rc == 2, "rc=%d", r.rc);
	done(&r);
	r = run(&prog, "", 0, 4, "transform", "Order", "--dead-letter", "/nonexistent/dir/x");
	CHECK("unopenable dead-letter file exits 2", r.rc == 2 &&
	      strstr(r.err, "cannot open /nonexistent/dir/x"), "rc=%d %s", r.rc, r.err);
	done(&r);
	r = run(&prog_abi, "", 0, 1, "--version");
	CHECK("ABI mismatch exits 2", r.rc == 2 && strstr(r.err, "ABI 8, this runtime is ABI 7"),
	      "rc=%d %s", r.rc, r.err);
	done(&r);
	r = run(&prog, "", 0, 2, "transform", "Order");
	CHECK("empty input exits 0", r.rc == 0 && r.out_n == 0 && r.err_n == 0, "rc=%d", r.rc);
	done(&r);
}

static const char ORDERS_IN[] =
	"{\"orderId\":\"SO-1001\",\"customerId\":\"C1\","
	"\"orderDate\":\"2026-11-22T23:30:00-05:00\",\"status\":\"completed\","
	"\"totalAmount\":59.97,\"lineItems\":[{\"sku\":\"A\",\"quantity\":3,"
	"\"unitPrice\":19.99}],\"paymentInfo\":{\"method\":\"visa\"}}\n"
	"\n"
	"   \n"
	"{\"orderId\":\"SO-1002\",\n"
	"{\"orderId\":\"SO-1003\",\"customerId\":\"C2\",\"orderDate\":\"2026-11-23T10:00:00Z\","
	"\"status\":\"completed\",\"lineItems\":[{\"sku\":\"A\",\"quantity\":1,\"unitPrice\":5},"
	"{\"sku\":\"B\",\"quantity\":2,\"unitPrice\":0.5,\"method\":\"bitcoin\"}],"
	"\"paymentInfo\":{\"method\":\"visa\"}}\n"
	"{\"orderId\":\"SO-1004\",\"customerId\":\"C1\","
	"\"orderDate\":\"2026-11-24T08:00:00+01:00\",\"status\":\"pending\"}\n"
	"{\"orderId\":\"SO-1005\",\"customerId\":\"C3\",\"orderDate\":\"2026-11-25 09:00:00\","
	"\"status\":\"processing\",\"note\":\"caf\xC3\xA9 \\\"x\\\"\",\"lineItems\":[],"
	"\"totalAmount\":\"0.10\"}\r\n"
	"{\"orderId\":\"SO-1006\",\"customerId\":\"C1\",\"orderDate\":\"2026-11-26T00:00:00Z\","
	"\"lineItems\":[{\"quantity\":1}]}\n"
	"[1,2]\n"
	"{\"orderId\":\"SO-1007\",\"bad\":\"\xFF\"}\n"
	"{\"customerId\":\"C1\"}\n"
	"{\"orderId\":\"SO-1008\",\"customerId\":\"C1\",\"orderDate\":\"2026-11-27\","
	"\"status\":\"completed\"}\n"
	"{\"orderId\":\"SO-1009\",\"customerId\":\"C4\","
	"\"orderDate\":\"2026-11-28T12:00:00-08:00\",\"status\":\"completed\","
	"\"totalAmount\":1e2}";

static const char ORDERS_OUT[] =
	"{\"Type\":\"ACCREC\",\"Contact\":{\"ContactNumber\":\"C1\"},\"Date\":\"2026-11-22\","
	"\"Reference\":\"SO-1001\",\"LineItems\":[{\"ItemCode\":\"A\",\"Quantity\":3,"
	"\"UnitAmount\":19.99,\"LineAmount\":59.97,\"AccountCode\":\"1200\"}],\"Total\":59.97}\n"
	"{\"Type\":\"ACCREC\",\"Contact\":{\"ContactNumber\":\"C3\"},\"Date\":\"2026-11-25\","
	"\"Reference\":\"SO-1005\",\"Description\":\"caf\xC3\xA9 \\\"x\\\"\",\"LineItems\":[],"
	"\"Total\":0.1}\n"
	"{\"Type\":\"ACCREC\",\"Contact\":{\"ContactNumber\":\"C4\"},\"Date\":\"2026-11-28\","
	"\"Reference\":\"SO-1009\",\"LineItems\":[],\"Total\":100}\n";

static const char ORDERS_DEAD[] =
	"{\"entity\":\"Order\",\"key\":null,\"map\":\"test.map\",\"line\":null,\"field\":null,"
	"\"reason\":\"invalid JSON at byte 21: expected a string key\","
	"\"record\":\"{\\\"orderId\\\":\\\"SO-1002\\\",\"}\n"
	"{\"entity\":\"Order\",\"key\":\"SO-1003\",\"map\":\"test.map\",\"line\":86,"
	"\"field\":\"LineItems[1].AccountCode\","
	"\"reason\":\"no GL account for payment method (payment_gl[\\\"bitcoin\\\"]); no key is near;"
	" add it to table payment_gl (test.map:61)\","
	"\"record\":{\"orderId\":\"SO-1003\",\"customerId\":\"C2\",\"orderDate\":"
	"\"2026-11-23T10:00:00Z\",\"status\":\"completed\",\"lineItems\":[{\"sku\":\"A\","
	"\"quantity\":1,\"unitPrice\":5},{\"sku\":\"B\",\"quantity\":2,\"unitPrice\":0.5,"
	"\"method\":\"bitcoin\"}],\"paymentInfo\":{\"method\":\"visa\"}}}\n"
	"{\"entity\":\"Order\",\"key\":\"SO-1006\",\"map\":\"test.map\",\"line\":82,"
	"\"field\":\"LineItems[0].ItemCode\",\"reason\":\"missing required field sku\","
	"\"record\":{\"orderId\":\"SO-1006\",\"customerId\":\"C1\",\"orderDate\":"
	"\"2026-11-26T00:00:00Z\",\"lineItems\":[{\"quantity\":1}]}}\n"
	"{\"entity\":\"Order\",\"key\":null,\"map\":\"test.map\",\"line\":null,\"field\":null,"
	"\"reason\":\"the record is not a JSON object\",\"record\":[1,2]}\n"
	"{\"entity\":\"Order\",\"key\":null,\"map\":\"test.map\",\"line\":null,\"field\":null,"
	"\"reason\":\"invalid JSON at byte 28: invalid UTF-8\","
	"\"record\":\"{\\\"orderId\\\":\\\"SO-1007\\\",\\\"bad\\\":\\\"\xEF\xBF\xBD\\\"}\"}\n"
	"{\"entity\":\"Order\",\"key\":null,\"map\":\"test.map\",\"line\":null,\"field\":null,"
	"\"reason\":\"missing required field orderId\",\"record\":{\"customerId\":\"C1\"}}\n"
	"{\"entity\":\"Order\",\"key\":\"SO-1008\",\"map\":\"test.map\",\"line\":76,"
	"\"field\":\"Date\",\"reason\":\"field orderDate: expected a datetime, got "
	"\\\"2026-11-27\\\"\",\"record\":{\"orderId\":\"SO-1008\",\"customerId\":\"C1\","
	"\"orderDate\":\"2026-11-27\",\"status\":\"completed\"}}\n";

static void
transform_cases(void)
{
	result r;
	char path[] = "/tmp/mw-test-dead-XXXXXX";
	int fd;

	r = run(&prog, S(ORDERS_IN), 2, "transform", "Order");
	CHECK("transform exits 1 when a record is dead-lettered", r.rc == 1, "rc=%d", r.rc);
	CHECK("transform output: exact lines in input order",
	      r.out && strcmp(r.out, ORDERS_OUT) == 0, "\n got %s\nwant %s", r.out, ORDERS_OUT);
	CHECK("dead letters on stderr: exact lines", r.err && strcmp(r.err, ORDERS_DEAD) == 0,
	      "\n got %s\nwant %s", r.err, ORDERS_DEAD);
	done(&r);

	fd = mkstemp(path);
	if (fd >= 0) {
		FILE *f;
		size_t n = 0;
		char *dl;

		close(fd);
		r = run(&prog, S(ORDERS_IN), 4, "transform", "Order", "--dead-letter", path);
		f = fopen(path, "r");
		dl = f ? slurp(f, &n) : NULL;
		CHECK("--dead-letter FILE gets the dead letters", r.rc == 1 && r.err_n == 0 &&
		      dl && strcmp(dl, ORDERS_DEAD) == 0 && strcmp(r.out, ORDERS_OUT) == 0,
		      "rc=%d err=%s", r.rc, r.err);
		if (f)
			fclose(f);
		free(dl);
		done(&r);
		/* the file is truncated, not appended to; =FILE form */
		{
			char opt[64];

			snprintf(opt, sizeof opt, "--dead-letter=%s", path);
			r = run(&prog, S("{\"orderId\":\"X\"}\n"), 3, "transform", "Order", opt);
		}
		f = fopen(path, "r");
		dl = f ? slurp(f, &n) : NULL;
		CHECK("--dead-letter=FILE truncates", r.rc == 1 && dl &&
		      strcmp(dl, "{\"entity\":\"Order\",\"key\":\"X\",\"map\":\"test.map\","
			     "\"line\":75,\"field\":\"Contact.ContactNumber\",\"reason\":"
			     "\"missing required field customerId\",\"record\":"
			     "{\"orderId\":\"X\"}}\n") == 0, "rc=%d %s", r.rc, dl ? dl : "-");
		if (f)
			fclose(f);
		free(dl);
		done(&r);
		r = run(&prog, S("{\"orderId\":\"X\",\"status\":\"pending\"}\n"), 4, "transform",
			"Order", "--dead-letter", path);
		f = fopen(path, "r");
		dl = f ? slurp(f, &n) : NULL;
		CHECK("an empty dead-letter file when nothing fails", r.rc == 0 && dl && n == 0,
		      "rc=%d", r.rc);
		if (f)
			fclose(f);
		free(dl);
		done(&r);
		remove(path);
	}

	r = run(&prog, S("{\"customerId\":7,\"active\":true,\"firstName\":\"Jos\xC3\xA9\","
			 "\"lastName\":\"\xC3\x81LVAREZ\",\"email\":\"JOSE@EXAMPLE.COM\"}\n"
			 "{\"customerId\":8,\"active\":false}\n"
			 "{\"customerId\":9}\n"
			 "{\"customerId\":10,\"active\":true,\"companyName\":\"ACME \\u00c9\"}\n"),
		2, "transform", "Customer");
	CHECK("filtered records exit 0", r.rc == 0 && r.err_n == 0, "rc=%d %s", r.rc, r.err);
	CHECK("filtered records write nothing", strcmp(r.out,
		"{\"ContactNumber\":7,\"Name\":\"Jos\xC3\xA9 \xC3\x81LVAREZ\","
		"\"EmailAddress\":\"jose@example.com\"}\n"
		"{\"ContactNumber\":10,\"Name\":\"ACME \xC3\x89\"}\n") == 0, "%s", r.out);
	done(&r);

	r = run(&prog, S("{\"customerId\":\"x7\",\"active\":true}\n"), 2, "transform", "Customer");
	CHECK("a failing key gives a null key", r.rc == 1 && strcmp(r.err,
		"{\"entity\":\"Customer\",\"key\":null,\"map\":\"test.map\",\"line\":null,"
		"\"field\":null,\"reason\":"
		"\"field customerId: expected an integer, got \\\"x7\\\"\","
		"\"record\":{\"customerId\":\"x7\",\"active\":true}}\n") == 0, "%s", r.err);
	done(&r);

	r = run(&prog, S("{\"customerId\":3,\"active\":true}\n"), 2, "transform", "Customer");
	CHECK("an integer key", r.rc == 0 && strcmp(r.out,
		"{\"ContactNumber\":3,\"Name\":\" \"}\n") == 0, "rc=%d %s %s", r.rc, r.out, r.err);
	done(&r);
}

static void
xml_cases(void)
{
	result r = run(&prog_xml, S(
		"{\"orderId\":\"SO-1&2\",\"customerId\":\"C<1>\",\"orderDate\":"
		"\"2026-11-22T23:30:00-05:00\",\"status\":\"completed\",\"totalAmount\":59.970,"
		"\"note\":\"line1\\nline2\",\"lineItems\":[{\"sku\":\"A\",\"quantity\":3,"
		"\"unitPrice\":19.99},{\"sku\":\"B\",\"quantity\":1,\"unitPrice\":0}],"
		"\"paymentInfo\":{\"method\":\"paypal\"}}\n"
		"{\"orderId\":\"SO-2\",\"customerId\":\"C1\","
		"\"orderDate\":\"2026-11-22T00:00:00Z\",\"note\":\"bell\\u0007\"}\n"),
		2, "transform", "Order");

	CHECK("XML target: documents", strcmp(r.out,
		"<Invoice><Type>ACCREC</Type><Contact><ContactNumber>C&lt;1&gt;</ContactNumber>"
		"</Contact><Date>2026-11-22</Date><Reference>SO-1&amp;2</Reference>"
		"<Description>line1&#10;line2</Description><LineItems><LineItem><ItemCode>A"
		"</ItemCode><Quantity>3</Quantity><UnitAmount>19.99</UnitAmount><LineAmount>59.97"
		"</LineAmount><AccountCode>1210</AccountCode></LineItem><LineItem><ItemCode>B"
		"</ItemCode><Quantity>1</Quantity><UnitAmount>0</UnitAmount><LineAmount>0"
		"</LineAmount><AccountCode>1210</AccountCode></LineItem></LineItems>"
		"<Total>59.97</Total></Invoice>\n") == 0, "%s", r.out);
	CHECK("XML target: a character XML cannot carry is dead-lettered", r.rc == 1 &&
	      strstr(r.err, "\"field\":\"Description\",\"reason\":\"character U+0007 cannot be "
		     "written in XML\""), "rc=%d %s", r.rc, r.err);
	done(&r);
}

/* Many records, with invalid JSON and a 2 MB line in the middle. */
static void
stream_cases(void)
{
	enum { N = 20000, BIG = 2 << 20 };
	size_t cap = (size_t)N * 260 + 2 * BIG + 4096, in_n = 0, want_n = 0, i;
	char *in = malloc(cap), *want = malloc(cap);
	result r;

	if (!in || !want) {
		CHECK("stream: memory", 0, "malloc");
		free(in);
		free(want);
		return;
	}
	for (i = 0; i < N; i++) {
		if (i == 777) {
			in_n += (size_t)snprintf(in + in_n, cap - in_n,
						 "{\"orderId\":\"SO-%zu\",,}\n", i);
			continue;
		}
		if (i == 4242) {
			size_t k;

			in_n += (size_t)snprintf(in + in_n, cap - in_n, "{\"orderId\":\"SO-%zu\","
				"\"customerId\":\"C\",\"orderDate\":\"2026-01-01T00:00:00Z\","
				"\"note\":\"", i);
			want_n += (size_t)snprintf(want + want_n, cap - want_n,
				"{\"Type\":\"ACCREC\",\"Contact\":{\"ContactNumber\":\"C\"},"
				"\"Date\":\"2026-01-01\",\"Reference\":\"SO-%zu\","
				"\"Description\":\"", i);
			for (k = 0; k < BIG; k++) {
				in[in_n++] = (char)('a' + k % 26);
				want[want_n++] = (char)('a' + k % 26);
			}
			in_n += (size_t)snprintf(in + in_n, cap - in_n, "\"}\n");
			want_n += (size_t)snprintf(want + want_n, cap - want_n,
						   "\",\"LineItems\":[]}\n");
			continue;
		}
		in_n += (size_t)snprintf(in + in_n, cap - in_n, "{\"orderId\":\"SO-%zu\","
			"\"customerId\":\"C%zu\",\"orderDate\":\"2026-01-01T00:00:00Z\","
			"\"lineItems\":[{\"sku\":\"S\",\"quantity\":%zu,\"unitPrice\":19.99}],"
			"\"paymentInfo\":{\"method\":\"visa\"},\"totalAmount\":%zu.%02zu}\n",
			i, i % 97, i % 5 + 1, i / 100, i % 100);
		{
			char amount[32];
			mw_dec d = { .units = (int64_t)(i % 5 + 1) * 1999, .scale = 2 },
			       t = { .units = (int64_t)i, .scale = 2 };
			char total[32];

			dec_format(d, amount);
			dec_format(t, total);
			want_n += (size_t)snprintf(want + want_n, cap - want_n,
				"{\"Type\":\"ACCREC\",\"Contact\":{\"ContactNumber\":\"C%zu\"},"
				"\"Date\":\"2026-01-01\",\"Reference\":\"SO-%zu\","
				"\"LineItems\":[{\"ItemCode\":\"S\","
				"\"Quantity\":%zu,\"UnitAmount\":19.99,\"LineAmount\":%s,"
				"\"AccountCode\":\"1200\"}],\"Total\":%s}\n",
				i % 97, i, i % 5 + 1, amount, total);
		}
	}
	r = run(&prog, in, in_n, 2, "transform", "Order");
	CHECK("stream of 20000: exit 1 for the one invalid line", r.rc == 1, "rc=%d", r.rc);
	CHECK("stream of 20000: every other document, in order, with the 2 MB line",
	      r.out_n == want_n && memcmp(r.out, want, want_n) == 0, "got %zu bytes want %zu",
	      r.out_n, want_n);
	CHECK("stream of 20000: one dead letter", r.err && strcmp(r.err,
		"{\"entity\":\"Order\",\"key\":null,\"map\":\"test.map\",\"line\":null,"
		"\"field\":null,\"reason\":\"invalid JSON at byte 20: expected a string key\","
		"\"record\":\"{\\\"orderId\\\":\\\"SO-777\\\",,}\"}\n") == 0, "%s", r.err);
	done(&r);
	free(in);
	free(want);
}

/* A line over the 16 MiB cap is a dead letter named by its key (found in
 * its bytes: first, or last behind a nested decoy), and the stream goes on. */
static const char LONG_DEAD[] =
	"{\"entity\":\"Order\",\"key\":\"A\",\"map\":\"test.map\",\"line\":null,"
	"\"field\":null,\"reason\":\"record too large: a line of 16778215 bytes (the limit "
	"is 16777216); the record shows its first 256 bytes\",\"record\":\"{\\\"orderId"
	"\\\":\\\"A\\\",\\\"note\\\":\\\"xxxxxxxxxx";

static void
overlong_cases(void)
{
	size_t big = RT_LINE_MAX + 1000, n = 0, k;
	char *in = malloc(2 * big + 512);
	result r;

	if (!in) {
		CHECK("overlong: memory", 0, "malloc");
		return;
	}
	n += (size_t)snprintf(in, 64, "{\"orderId\":\"A\",\"note\":\"");
	for (k = n; k < big - 3; k++)
		in[k] = 'x';
	n = k;
	memcpy(in + n, "\"}\n", 3);
	n += 3;
	n += (size_t)snprintf(in + n, 200, "{\"orderId\":\"B\",\"customerId\":\"C\","
			      "\"orderDate\":\"2026-01-01T00:00:00Z\"}\n");
	k = n;
	n += (size_t)snprintf(in + n, 200, "{\"lines\":[{\"orderId\":\"inner\"}],\"note\":\"");
	memset(in + n, 'y', big - (n - k));
	n += big - (n - k);
	n += (size_t)snprintf(in + n, 200, "\",\"orderId\":\"LAST-1\"}");
	r = run(&prog, in, n, 2, "transform", "Order");
	CHECK("overlong line: exit 1", r.rc == 1, "rc=%d", r.rc);
	CHECK("overlong line: the next record is written", strcmp(r.out,
		"{\"Type\":\"ACCREC\",\"Contact\":{\"ContactNumber\":\"C\"},"
		"\"Date\":\"2026-01-01\",\"Reference\":\"B\",\"LineItems\":[]}\n") == 0,
	      "%s", r.out);
	CHECK("overlong line: dead letter with its size and head", r.err &&
	      strncmp(r.err, LONG_DEAD, sizeof LONG_DEAD - 1) == 0 &&
	      r.err_n < 1200 && r.err[r.err_n - 1] == '\n', "%.300s", r.err ? r.err : "-");
	static const char last[] = "{\"entity\":\"Order\",\"key\":\"LAST-1\",";
	const char *second = r.err ? strchr(r.err, '\n') : NULL;
	CHECK("overlong line: the key after 16 MiB, not a nested one", second &&
	      strncmp(second + 1, last, sizeof last - 1) == 0,
	      "%.100s", second ? second + 1 : "-");
	done(&r);
	free(in);
}

static void
io_error_cases(void)
{
	FILE *in = tmpfile(), *ro;
	char path[] = "/tmp/mw-test-ro-XXXXXX";
	char *argv[] = { (char *)"pair", (char *)"transform", (char *)"Order", NULL };
	int fd = mkstemp(path), rc;
	FILE *err = tmpfile();

	if (!in || fd < 0 || !err) {
		CHECK("io: setup", 0, "tmpfile");
		return;
	}
	close(fd);
	ro = fopen(path, "r");
	fputs("{\"orderId\":\"B\",\"customerId\":\"C\",\"orderDate\":\"2026-01-01T00:00:00Z\"}\n",
	      in);
	fflush(in);
	rewind(in);
	rc = ro ? mw_cli_run(&prog, 3, argv, in, ro, err) : -1;
	CHECK("an output error exits 2", rc == 2, "rc=%d", rc);
	if (ro)
		fclose(ro);
	fclose(in);
	fclose(err);
	remove(path);
}

int
main(void)
{
	usage_cases();
	transform_cases();
	xml_cases();
	stream_cases();
	overlong_cases();
	io_error_cases();
	return failures ? 1 : 0;
}
