/*
 * test_decimal.c - exact decimals: parsing, canonical printing, arithmetic,
 * rounding half away from zero, overflow, currency minor units.
 */
#include <stdio.h>
#include <string.h>

#include "transform.h"

static int failures;

#define CHECK(name, cond, ...) do { \
	if (cond) { \
		printf("[PASS] decimal/%s\n", name); \
	} else { \
		failures++; \
		printf("[FAIL] decimal/%s: ", name); \
		printf(__VA_ARGS__); \
		printf("\n"); \
	} \
} while (0)

/* The canonical text of a value, or its failure reason. */
static const char *
show(mw_ctx *c, mw_val v)
{
	static char buf[4][RT_REASON_MAX + 16];
	static int k;
	char tmp[64];
	const char *p;
	size_t n;
	char *b = buf[k++ & 3];

	if (mw_failed(c))
		snprintf(b, sizeof buf[0], "FAIL: %s", c->reason);
	else if (rt_val_text(v, tmp, &p, &n) == 0)
		snprintf(b, sizeof buf[0], "%.*s", (int)n, p);
	else
		snprintf(b, sizeof buf[0], "<%s>", rt_kind_name(v.kind));
	return b;
}

static void
parse_cases(void)
{
	static const struct { const char *in, *out; } ok[] = {
		{ "19.99", "19.99" }, { "19.990", "19.99" }, { "20.00", "20" },
		{ "-0.50", "-0.5" }, { "0", "0" }, { "-0", "0" }, { "0.000", "0" },
		{ "1e3", "1000" }, { "1.5e-2", "0.015" }, { "1E+2", "100" },
		{ "+5", "5" }, { "007.50", "7.5" }, { "0e999999999", "0" },
		{ "9223372036854775807", "9223372036854775807" },
		{ "-9223372036854775807", "-9223372036854775807" },
		{ "0.000000000000000001", "0.000000000000000001" },
		{ "1.0000000000000000000000", "1" },
		{ "123456789.123456789", "123456789.123456789" },
		{ "100000000000000000000e-2", "1000000000000000000" },
	};
	static const char *const syntax[] = {
		"", "-", ".5", "5.", "abc", "1e", "1e+", "--1", "1.2.3", " 1", "1 ", "0x10", "1,5",
	};
	static const char *const range[] = {
		"9223372036854775808", "-9223372036854775808", "0.0000000000000000001",
		"1.5e400", "12345678901234567890", "1.0000000000000000001", "12.5e-20",
	};
	size_t i;
	char name[96], buf[DEC_BUF];
	mw_dec d;

	for (i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		int r = dec_parse(ok[i].in, strlen(ok[i].in), &d);

		if (r == 0)
			dec_format(d, buf);
		snprintf(name, sizeof name, "parse %s", ok[i].in);
		CHECK(name, r == 0 && strcmp(buf, ok[i].out) == 0, "r=%d got %s want %s", r,
		      r == 0 ? buf : "-", ok[i].out);
	}
	for (i = 0; i < sizeof syntax / sizeof syntax[0]; i++) {
		snprintf(name, sizeof name, "reject syntax \"%s\"", syntax[i]);
		CHECK(name, dec_parse(syntax[i], strlen(syntax[i]), &d) == DEC_E_SYNTAX,
		      "accepted");
	}
	for (i = 0; i < sizeof range / sizeof range[0]; i++) {
		snprintf(name, sizeof name, "reject range %s", range[i]);
		CHECK(name, dec_parse(range[i], strlen(range[i]), &d) == DEC_E_RANGE, "accepted");
	}
	dec_parse("19.990", 6, &d);
	CHECK("scale kept as written", d.units == 19990 && d.scale == 3, "%lld/%d",
	      (long long)d.units, (int)d.scale);
	dec_parse("19.99", 5, &d);
	CHECK("19.99 is 1999/10^2", d.units == 1999 && d.scale == 2, "%lld/%d",
	      (long long)d.units, (int)d.scale);
}

static void
arith_cases(mw_ctx *c)
{
	mw_val v, sum;
	mw_dec a, b, d;
	char buf[DEC_BUF];
	int i;

	rt_ctx_reset(c);
	v = mw_add(c, MW_D(1, 1), MW_D(2, 1));
	CHECK("0.1 + 0.2 == 0.3", !mw_failed(c) && mw_truthy(c, mw_eq(c, v, MW_D(3, 1))) &&
	      strcmp(show(c, v), "0.3") == 0, "%s", show(c, v));

	/* 100,000 line items of 19.99 * 3 */
	rt_ctx_reset(c);
	sum = MW_I(0);
	for (i = 0; i < 100000; i++)
		sum = mw_add(c, sum, mw_mul(c, MW_D(1999, 2), MW_I(3)));
	CHECK("sum of 100000 x 19.99 * 3 is exactly 5997000",
	      sum.kind == MW_DEC && strcmp(show(c, sum), "5997000") == 0 &&
	      mw_truthy(c, mw_eq(c, sum, MW_I(5997000))), "%s", show(c, sum));

	rt_ctx_reset(c);
	v = mw_add(c, MW_D(-1999, 2), MW_I(5));
	CHECK("negative -19.99 + 5", strcmp(show(c, v), "-14.99") == 0, "%s", show(c, v));
	CHECK("negative 0 - 19.99", strcmp(show(c, mw_sub(c, MW_I(0), MW_D(1999, 2))),
					   "-19.99") == 0, "got");
	CHECK("negative -1.5 * 2", strcmp(show(c, mw_mul(c, MW_D(-15, 1), MW_I(2))), "-3") == 0,
	      "%s", show(c, mw_mul(c, MW_D(-15, 1), MW_I(2))));
	CHECK("neg of -0.5", strcmp(show(c, mw_neg(c, MW_D(-5, 1))), "0.5") == 0, "got");
	CHECK("abs of -2.50", strcmp(show(c, mw_fn_abs(c, MW_D(-250, 2))), "2.5") == 0, "got");
	CHECK("int + int stays int", mw_add(c, MW_I(2), MW_I(3)).kind == MW_INT, "kind");
	CHECK("int + dec is dec", mw_add(c, MW_I(2), MW_D(5, 1)).kind == MW_DEC, "kind");
	CHECK("NULL propagates", mw_add(c, MW_NULLV, MW_I(1)).kind == MW_NULL &&
	      !mw_failed(c), "kind");
	CHECK("19.9 == 19.90", mw_truthy(c, mw_eq(c, MW_D(199, 1), MW_D(1990, 2))), "ne");
	CHECK("3 == 3.00", mw_truthy(c, mw_eq(c, MW_I(3), MW_D(300, 2))), "ne");
	CHECK("-0.01 < 0", mw_truthy(c, mw_lt(c, MW_D(-1, 2), MW_I(0))), "not less");
	CHECK("within 0.01", mw_truthy(c, mw_within(c, MW_D(5997, 2), MW_D(59961, 3),
						    MW_D(1, 2))), "not within");
	CHECK("not within 0.01", !mw_truthy(c, mw_within(c, MW_D(5997, 2), MW_D(5995, 2),
						       MW_D(1, 2))), "within");

	/* division: scale max(sa, sb, 6), half away from zero */
	rt_ctx_reset(c);
	CHECK("10 / 4", strcmp(show(c, mw_div(c, MW_I(10), MW_I(4))), "2.5") == 0, "%s",
	      show(c, mw_div(c, MW_I(10), MW_I(4))));
	CHECK("1 / 3", strcmp(show(c, mw_div(c, MW_I(1), MW_I(3))), "0.333333") == 0, "got");
	CHECK("2 / 3", strcmp(show(c, mw_div(c, MW_I(2), MW_I(3))), "0.666667") == 0, "got");
	CHECK("-2 / 3", strcmp(show(c, mw_div(c, MW_I(-2), MW_I(3))), "-0.666667") == 0, "got");
	CHECK("2 / -3", strcmp(show(c, mw_div(c, MW_I(2), MW_I(-3))), "-0.666667") == 0, "got");
	CHECK("19.99 / 3", strcmp(show(c, mw_div(c, MW_D(1999, 2), MW_I(3))), "6.663333") == 0,
	      "got");
	CHECK("1 / 7.000000000000000000 at scale 18",
	      strcmp(show(c, mw_div(c, MW_I(1), MW_D(7000000000000000000LL, 18))),
		     "0.142857142857142857") == 0, "%s",
	      show(c, mw_div(c, MW_I(1), MW_D(7000000000000000000LL, 18))));
	CHECK("10000000000000 / 1 sheds zeros",
	      strcmp(show(c, mw_div(c, MW_I(10000000000000LL), MW_I(1))), "10000000000000") == 0,
	      "%s", show(c, mw_div(c, MW_I(10000000000000LL), MW_I(1))));
	v = mw_div(c, MW_D(1999, 2), MW_I(0));
	CHECK("division by zero fails", mw_failed(c) && strcmp(c->reason, "division by zero") == 0,
	      "%s", show(c, v));

	/* overflow is an error, never a wrap */
	rt_ctx_reset(c);
	v = mw_add(c, MW_I(INT64_MAX), MW_I(1));
	CHECK("integer overflow", mw_failed(c) && strcmp(c->reason, "integer overflow") == 0,
	      "%s", show(c, v));
	rt_ctx_reset(c);
	v = mw_add(c, MW_D(INT64_MAX, 0), MW_D(1, 0));
	CHECK("decimal overflow on add", mw_failed(c) &&
	      strcmp(c->reason, "decimal overflow") == 0, "%s", show(c, v));
	rt_ctx_reset(c);
	v = mw_mul(c, MW_D(9000000000000000000LL, 0), MW_I(10));
	CHECK("decimal overflow on mul", mw_failed(c), "%s", show(c, v));
	rt_ctx_reset(c);
	v = mw_div(c, MW_D(INT64_MAX, 0), MW_D(1, 3));
	CHECK("decimal overflow on div", mw_failed(c), "%s", show(c, v));
	a.units = 5000000000000000000LL;
	a.scale = 18;
	CHECK("5.0(18) + 5.0(18) = 10 by shedding zeros", dec_add(a, a, &d) == 0 &&
	      dec_format(d, buf) == 2 && strcmp(buf, "10") == 0, "%lld/%d",
	      (long long)d.units, (int)d.scale);
	a.units = INT64_MAX;
	a.scale = 0;
	b.units = 1;
	b.scale = 18;
	CHECK("no room for the sum's fraction", dec_add(a, b, &d) == DEC_E_RANGE, "accepted");

	/* multiplication: exact, rounded to 18 places, then to what fits */
	rt_ctx_reset(c);
	CHECK("1e-9 * 1e-9 exact", strcmp(show(c, mw_mul(c, MW_D(1, 9), MW_D(1, 9))),
					  "0.000000000000000001") == 0, "got");
	CHECK("1e-10 * 1e-9 rounds to 0 at 18 places",
	      strcmp(show(c, mw_mul(c, MW_D(1, 10), MW_D(1, 9))), "0") == 0, "got");
	CHECK("5e-10 * 1e-9 rounds up at 18 places",
	      strcmp(show(c, mw_mul(c, MW_D(5, 10), MW_D(1, 9))), "0.000000000000000001") == 0,
	      "got");
	v = mw_mul(c, MW_D(123456789, 2), MW_D(1123456789012345678LL, 18));
	CHECK("1234567.89 * 1.123456789012345678 to 12 places",
	      strcmp(show(c, v), "1386983.677517146788") == 0, "%s", show(c, v));
	rt_ctx_reset(c);
	v = mw_mul(c, MW_D(9000000000000000001LL, 6), MW_D(20000001, 7));
	CHECK("a product that fits only below 6 places fails", mw_failed(c) &&
	      strcmp(c->reason, "decimal overflow") == 0, "%s", show(c, v));
}

static void
round_cases(mw_ctx *c)
{
	static const struct { int64_t u; int s, places; const char *want; } r[] = {
		{ 2345, 3, 2, "2.35" }, { -2345, 3, 2, "-2.35" }, { 2344, 3, 2, "2.34" },
		{ -2344, 3, 2, "-2.34" }, { 5, 1, 0, "1" }, { -5, 1, 0, "-1" },
		{ 25, 1, 0, "3" }, { -25, 1, 0, "-3" }, { 1005, 3, 2, "1.01" },
		{ 12345, 1, 0, "1235" }, { 1999, 2, 5, "19.99" }, { 4, 1, 0, "0" },
		{ -4, 1, 0, "0" }, { 999999, 6, 2, "1" },
	};
	size_t i;
	char name[64];

	for (i = 0; i < sizeof r / sizeof r[0]; i++) {
		mw_val v;

		rt_ctx_reset(c);
		v = mw_fn_round(c, MW_D(r[i].u, r[i].s), MW_I(r[i].places));
		snprintf(name, sizeof name, "round(%s, %d)", show(c, MW_D(r[i].u, r[i].s)),
			 r[i].places);
		CHECK(name, strcmp(show(c, v), r[i].want) == 0, "got %s want %s", show(c, v),
		      r[i].want);
	}
	rt_ctx_reset(c);
	mw_fn_round(c, MW_D(1, 1), MW_I(19));
	CHECK("round places above 18 fail", mw_failed(c), "accepted");
	rt_ctx_reset(c);
	CHECK("round of an integer", strcmp(show(c, mw_fn_round(c, MW_I(7), MW_I(2))), "7") == 0,
	      "got");
}

static void
currency_cases(mw_ctx *c)
{
	static const struct { const char *code; int places; } cur[] = {
		{ "JPY", 0 }, { "KRW", 0 }, { "KWD", 3 }, { "BHD", 3 }, { "USD", 2 },
		{ "EUR", 2 }, { "usd", 2 }, { "CLF", 4 }, { "AED", 2 }, { "ZWL", 2 },
	};
	size_t i;
	char name[64];
	mw_val v;

	for (i = 0; i < sizeof cur / sizeof cur[0]; i++) {
		rt_ctx_reset(c);
		{
			mw_val code = { .kind = MW_STR };

			code.u.s.p = cur[i].code;
			code.u.s.n = strlen(cur[i].code);
			v = mw_fn_currency_places(c, code);
		}
		snprintf(name, sizeof name, "currency_places(%s)", cur[i].code);
		CHECK(name, !mw_failed(c) && v.kind == MW_INT && v.u.i == cur[i].places, "%s",
		      show(c, v));
	}
	rt_ctx_reset(c);
	v = mw_fn_currency_places(c, MW_S("XYZ"));
	CHECK("unknown currency fails", mw_failed(c) &&
	      strcmp(c->reason, "unknown currency code \"XYZ\"") == 0, "%s", show(c, v));
	rt_ctx_reset(c);
	v = mw_fn_currency_places(c, MW_S("US"));
	CHECK("two-letter code fails", mw_failed(c), "%s", show(c, v));
	rt_ctx_reset(c);
	v = mw_fn_round(c, MW_D(12345, 1), mw_fn_currency_places(c, MW_S("JPY")));
	CHECK("JPY round(1234.5, places) = 1235", strcmp(show(c, v), "1235") == 0, "%s",
	      show(c, v));
	rt_ctx_reset(c);
	v = mw_fn_round(c, MW_D(12345, 4), mw_fn_currency_places(c, MW_S("KWD")));
	CHECK("KWD round(1.2345, places) = 1.235", strcmp(show(c, v), "1.235") == 0, "%s",
	      show(c, v));
}

static void
conversion_cases(mw_ctx *c)
{
	mw_val v;

	rt_ctx_reset(c);
	v = mw_fn_decimal(c, MW_S("19.99"));
	CHECK("decimal(\"19.99\")", v.kind == MW_DEC && v.u.d.units == 1999 && v.u.d.scale == 2,
	      "%s", show(c, v));
	v = mw_fn_decimal(c, MW_S("abc"));
	CHECK("decimal(\"abc\") fails", mw_failed(c) &&
	      strcmp(c->reason, "decimal: not a number: \"abc\"") == 0, "%s", c->reason);
	rt_ctx_reset(c);
	v = mw_fn_integer(c, MW_S("12.00"));
	CHECK("integer(\"12.00\")", v.kind == MW_INT && v.u.i == 12, "%s", show(c, v));
	v = mw_fn_integer(c, MW_D(125, 1));
	CHECK("integer(12.5) fails", mw_failed(c) &&
	      strcmp(c->reason, "integer: 12.5 is not a whole number") == 0, "%s", c->reason);
	rt_ctx_reset(c);
	v = mw_fn_string(c, MW_D(19990, 3));
	CHECK("string(19.990)", v.kind == MW_STR && strcmp(show(c, v), "19.99") == 0, "%s",
	      show(c, v));
}

int
main(void)
{
	mw_ctx *c = rt_ctx_new();

	if (!c) {
		printf("[FAIL] decimal/setup: no context\n");
		return 1;
	}
	parse_cases();
	arith_cases(c);
	round_cases(c);
	currency_cases(c);
	conversion_cases(c);
	rt_ctx_free(c);
	return failures ? 1 : 0;
}
