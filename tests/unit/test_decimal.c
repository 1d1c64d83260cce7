/*
 * test_decimal.c - exact decimals: parsing, canonical printing, arithmetic,
 * rounding half away from zero, overflow, currency minor units; every
 * spelling of a number (trailing zeros, exponents) and the whole range of
 * a .NET decimal (28-29 digits, 28 places).
 */
#include <stdio.h>
#include <string.h>

#include "transform.h"

#define CHECK_AREA "decimal"
#include "check.h"
#include "show.h"

/* A decimal from its text, for values wider than MW_D's int64 units. */
static mw_val
dv(const char *s)
{
	mw_val v = { .kind = MW_DEC };

	if (dec_parse(s, strlen(s), &v.u.d) != DEC_OK) {
		failures++;
		printf("[FAIL] decimal/setup: %s does not parse\n", s);
	}
	return v;
}

/* a op b as text, or "FAIL: reason" */
static const char *
op(mw_ctx *c, mw_val (*f)(mw_ctx *, mw_val, mw_val), const char *a, const char *b)
{
	rt_ctx_reset(c);
	return show(c, f(c, dv(a), dv(b)));
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
		/* .NET's trailing zeros, any number of them */
		{ "93.91000000000000000000", "93.91" },
		{ "93.910000000000000000000000000000000000000000000000000000000000", "93.91" },
		{ "0.0000000000000000000000000000000000000000", "0" },
		{ "-1.50000000000000000000000000000000000000000000000000", "-1.5" },
		/* exponents, upper and lower case, explicit + */
		{ "1.25e1", "12.5" }, { "1250E-2", "12.5" }, { "1.2500E+3", "1250" },
		{ "0e5", "0" }, { "-0.0", "0" }, { "0E-7", "0" }, { "-0e+0", "0" },
		{ "12.5E+0", "12.5" }, { "125e-1", "12.5" }, { "0.125e+2", "12.5" },
		{ "0.0000125E6", "12.5" }, { "1.250000000000000000000000000000e1", "12.5" },
		{ "93.9100000000000000000000000000000000000000e0", "93.91" },
		{ "9391000000000000000000000000000000000000e-38", "93.91" },
		/* leading zeros in the fraction */
		{ "0.000123", "0.000123" }, { "-0.000123", "-0.000123" },
		{ "0.000123000e3", "0.123" }, { "00.000123", "0.000123" },
		/* a .NET decimal's extremes, and 37 digits */
		{ "79228162514264337593543950335", "79228162514264337593543950335" },
		{ "-79228162514264337593543950335", "-79228162514264337593543950335" },
		{ "7.9228162514264337593543950335", "7.9228162514264337593543950335" },
		{ "0.0000000000000000000000000001", "0.0000000000000000000000000001" },
		{ "-0.0000000000000000000000000001", "-0.0000000000000000000000000001" },
		{ "1E-28", "0.0000000000000000000000000001" },
		{ "100e-30", "0.0000000000000000000000000001" },
		{ "9999999999999999999999999999999999999", "9999999999999999999999999999999999999" },
		{ "999999999.9999999999999999999999999999", "999999999.9999999999999999999999999999" },
		{ "1e36", "1000000000000000000000000000000000000" },
		{ "1000000000000000000000000000000000000000e-3", "1000000000000000000000000000000000000" },
		/* what 18 places and int64 could not hold */
		{ "9223372036854775808", "9223372036854775808" },
		{ "-9223372036854775808", "-9223372036854775808" },
		{ "12345678901234567890", "12345678901234567890" },
		{ "0.0000000000000000001", "0.0000000000000000001" },
		{ "1.0000000000000000001", "1.0000000000000000001" },
		{ "12.5e-20", "0.000000000000000000125" },
	};
	static const char *const syntax[] = {
		"", "-", ".5", "5.", "abc", "1e", "1e+", "--1", "1.2.3", " 1", "1 ", "0x10", "1,5",
	};
	static const char *const range[] = {
		"10000000000000000000000000000000000000", "-99999999999999999999999999999999999999",
		"1e37", "-1E+37", "1.5e400", "0.00000000000000000000000000001", "1e-29",
		"12.5e-28", "1.00000000000000000000000000001", "1e-999999999",
		"123456789012345678901234567890123456789", "1.2345678901234567890123456789012345678",
		"79228162514264337593543950335.0000000000000000000000000001",
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
	CHECK("19.99 is 1999/10^2", d.units == 1999 && d.scale == 2 && d.hi == 0, "%lld/%d",
	      (long long)d.units, (int)d.scale);
	dec_parse("93.91000000000000000000", 23, &d);
	CHECK("93.91000000000000000000 keeps its scale 20", d.scale == 20, "%d", (int)d.scale);
	dec_parse("1.0000000000000000000000000000000", 33, &d);
	CHECK("31 zeros after the point shed to scale 28", d.scale == 28, "%d", (int)d.scale);
	/* units of 2^63 and more are hi * 2^63 + units, never units INT64_MIN */
	dec_parse("9223372036854775808", 19, &d);
	CHECK("2^63 is hi 1", d.hi == 1 && d.units == 0, "%lld %lld", (long long)d.hi,
	      (long long)d.units);
	dec_parse("-9223372036854775809", 20, &d);
	CHECK("-2^63-1 is hi -1, units -1", d.hi == -1 && d.units == -1, "%lld %lld",
	      (long long)d.hi, (long long)d.units);
	CHECK("INT64_MIN from an integer", dec_from_int(INT64_MIN, &d) == DEC_OK &&
	      dec_format(d, buf) == 20 && strcmp(buf, "-9223372036854775808") == 0 &&
	      d.units != INT64_MIN, "%s", buf);
	{
		int64_t i = 0;

		dec_parse("-9223372036854775808.000", 24, &d);
		CHECK("-9223372036854775808.000 to int", dec_to_int(d, &i) == DEC_OK &&
		      i == INT64_MIN, "%lld", (long long)i);
		dec_parse("9223372036854775808", 19, &d);
		CHECK("2^63 to int is out of range", dec_to_int(d, &i) == DEC_E_RANGE, "%lld",
		      (long long)i);
		dec_parse("1250E-2", 7, &d);
		CHECK("12.50 to int is inexact", dec_to_int(d, &i) == DEC_E_INEXACT, "%lld",
		      (long long)i);
		dec_parse("1.2500E+3", 9, &d);
		CHECK("1.2500E+3 to int", dec_to_int(d, &i) == DEC_OK && i == 1250, "%lld",
		      (long long)i);
	}
	/* every formatted value fits DEC_BUF */
	dec_parse("-999999999.9999999999999999999999999999", 39, &d);
	CHECK("the widest text", dec_format(d, buf) == 39 && buf[39] == '\0', "%s", buf);
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
	CHECK("1e-28 > 0", mw_truthy(c, mw_gt(c, dv("1e-28"), MW_I(0))), "not greater");
	CHECK("-1e-28 < 0", mw_truthy(c, mw_lt(c, dv("-1e-28"), dv("-0.0"))), "not less");
	CHECK("max > max - 1e-7", mw_truthy(c, mw_gt(c, dv("79228162514264337593543950335"),
		dv("79228162514264337593543950334.9999999"))), "not greater");
	CHECK("-max < -max + 1e-7", mw_truthy(c, mw_lt(c, dv("-79228162514264337593543950335"),
		dv("-79228162514264337593543950334.9999999"))), "not less");
	CHECK("1e36 == 1e36 at 1 place", mw_truthy(c, mw_eq(c, dv("1e36"),
		dv("1000000000000000000000000000000000000.0"))), "ne");
	CHECK("93.91000000000000000000 == 93.91", mw_truthy(c, mw_eq(c,
		dv("93.91000000000000000000"), MW_D(9391, 2))), "ne");
	CHECK("1e36 > 1e-28", mw_truthy(c, mw_gt(c, dv("1e36"), dv("1e-28"))), "not greater");
	CHECK("-1e36 < -1e-28", mw_truthy(c, mw_lt(c, dv("-1e36"), dv("-1e-28"))), "not less");
	CHECK("2^63 > INT64_MAX", mw_truthy(c, mw_gt(c, dv("9223372036854775808"),
		MW_I(INT64_MAX))), "not greater");
	CHECK("INT64_MIN - 0.5", strcmp(show(c, mw_sub(c, MW_I(INT64_MIN), MW_D(5, 1))),
					"-9223372036854775808.5") == 0, "got");
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
	CHECK("INT64_MAX + 1 as decimals", strcmp(show(c, v), "9223372036854775808") == 0,
	      "%s", show(c, v));
	rt_ctx_reset(c);
	v = mw_add(c, dv("9999999999999999999999999999999999999"), MW_D(1, 0));
	CHECK("decimal overflow on add", mw_failed(c) &&
	      strcmp(c->reason, "decimal overflow") == 0, "%s", show(c, v));
	rt_ctx_reset(c);
	v = mw_sub(c, dv("-9999999999999999999999999999999999999"), MW_D(1, 28));
	CHECK("decimal overflow on sub", mw_failed(c), "%s", show(c, v));
	rt_ctx_reset(c);
	v = mw_mul(c, dv("1e36"), MW_I(10));
	CHECK("decimal overflow on mul", mw_failed(c), "%s", show(c, v));
	rt_ctx_reset(c);
	v = mw_mul(c, dv("79228162514264337593543950335"), dv("79228162514264337593543950335"));
	CHECK("decimal overflow on max * max", mw_failed(c), "%s", show(c, v));
	rt_ctx_reset(c);
	v = mw_div(c, dv("9999999999999999999999999999999999999"), MW_D(1, 3));
	CHECK("decimal overflow on div", mw_failed(c), "%s", show(c, v));
	rt_ctx_reset(c);
	v = mw_div(c, dv("79228162514264337593543950335"), dv("0.0000000000000000000000000001"));
	CHECK("decimal overflow on max / 1e-28", mw_failed(c), "%s", show(c, v));
	a = dv("5.000000000000000000000000000").u.d;
	CHECK("5.0(27) + 5.0(27) = 10 by shedding zeros", dec_add(a, a, &d) == 0 &&
	      dec_format(d, buf) == 2 && strcmp(buf, "10") == 0, "%lld/%d",
	      (long long)d.units, (int)d.scale);
	a = dv("5000000000.000000000000000000000000000").u.d;
	CHECK("5e9(27) + 5e9(27) sheds a zero", dec_add(a, a, &d) == 0 &&
	      dec_format(d, buf) == 11 && strcmp(buf, "10000000000") == 0 && d.scale == 26,
	      "%s/%d", buf, (int)d.scale);
	a = dv("9999999999999999999999999999999999999").u.d;
	b = dv("0.1").u.d;
	CHECK("no room for the sum's fraction", dec_add(a, b, &d) == DEC_E_RANGE, "accepted");
	CHECK("nor for the difference's", dec_sub(b, a, &d) == DEC_E_RANGE, "accepted");
	a.scale = 29;
	CHECK("scale 29 is invalid", dec_add(b, a, &d) == DEC_E_RANGE &&
	      dec_format(a, buf) == 3 && strcmp(buf, "NaN") == 0, "%s", buf);
	a.scale = 0;
	a.hi = INT64_MAX;
	CHECK("units beyond 37 digits are invalid", dec_neg(a, &d) == DEC_E_RANGE, "accepted");

	/* the range of a .NET decimal, exactly */
	CHECK("max + max", strcmp(op(c, mw_add, "79228162514264337593543950335",
				     "79228162514264337593543950335"),
				  "158456325028528675187087900670") == 0, "got");
	CHECK("max - max", strcmp(op(c, mw_sub, "79228162514264337593543950335",
				     "79228162514264337593543950335"), "0") == 0, "got");
	CHECK("1e-28 - max", strcmp(op(c, mw_sub, "0.0000000000000000000000000001",
				       "79228162514264337593543950335"),
				    "FAIL: decimal overflow") == 0, "got");
	CHECK("1e30 - 0.5", strcmp(op(c, mw_sub, "1e30", "0.5"),
				   "999999999999999999999999999999.5") == 0, "got");
	CHECK("-2^63 - 1", strcmp(op(c, mw_sub, "-9223372036854775808", "1"),
				  "-9223372036854775809") == 0, "got");
	CHECK("2^64 - 2^63", strcmp(op(c, mw_sub, "18446744073709551616", "9223372036854775808"),
				    "9223372036854775808") == 0, "got");
	CHECK("1e-28 + 1e-28", strcmp(op(c, mw_add, "1e-28", "1E-28"),
				      "0.0000000000000000000000000002") == 0, "got");
	CHECK("-max + 0.5", strcmp(op(c, mw_add, "-79228162514264337593543950335", "0.5"),
				   "-79228162514264337593543950334.5") == 0, "got");
	CHECK("max * -1", strcmp(op(c, mw_mul, "79228162514264337593543950335", "-1"),
				 "-79228162514264337593543950335") == 0, "got");
	CHECK("2^63 * 2^59 / 2^63", strcmp(show(c, mw_div(c, mw_mul(c, dv("9223372036854775808"),
			dv("576460752303423488")), dv("9223372036854775808"))),
		"576460752303423488") == 0, "got");
	CHECK("2^63 * 2^63 is 38 digits", strcmp(op(c, mw_mul, "9223372036854775808",
				"9223372036854775808"), "FAIL: decimal overflow") == 0, "got");
	CHECK("max / 2", strcmp(op(c, mw_div, "79228162514264337593543950335", "2"),
				"39614081257132168796771975167.5") == 0, "got");
	CHECK("-max / 10^28 at 6 places", strcmp(op(c, mw_div, "-79228162514264337593543950335",
						"1e28"), "-7.922816") == 0, "got");
	CHECK("-max(28) / 1", strcmp(op(c, mw_div, "-7.9228162514264337593543950335", "1"),
				     "-7.9228162514264337593543950335") == 0, "got");
	CHECK("1 / 3 at 28 places", strcmp(op(c, mw_div, "1.0000000000000000000000000000", "3"),
					   "0.3333333333333333333333333333") == 0, "got");
	CHECK("2 / -3 at 28 places", strcmp(op(c, mw_div, "2", "-3.0000000000000000000000000000"),
					    "-0.6666666666666666666666666667") == 0, "got");
	CHECK("1e-28 / 2 rounds away from zero", strcmp(op(c, mw_div, "1e-28", "2"),
							"0.0000000000000000000000000001") == 0, "got");
	CHECK("1e-28 / 3 rounds to 0", strcmp(op(c, mw_div, "1e-28", "3"), "0") == 0, "got");
	CHECK("max / 1e-8", strcmp(op(c, mw_div, "79228162514264337593543950335", "1e-8"),
				   "7922816251426433759354395033500000000") == 0, "got");
	CHECK("spellings of one value are equal",
	      strcmp(op(c, mw_sub, "93.91000000000000000000", "9.391e1"), "0") == 0, "got");

	/* multiplication: exact, rounded to 28 places, then to what fits */
	rt_ctx_reset(c);
	CHECK("1e-9 * 1e-9 exact", strcmp(show(c, mw_mul(c, MW_D(1, 9), MW_D(1, 9))),
					  "0.000000000000000001") == 0, "got");
	CHECK("1e-14 * 1e-14 exact", strcmp(show(c, mw_mul(c, MW_D(1, 14), MW_D(1, 14))),
					    "0.0000000000000000000000000001") == 0, "got");
	CHECK("1e-15 * 1e-14 rounds to 0 at 28 places",
	      strcmp(show(c, mw_mul(c, MW_D(1, 15), MW_D(1, 14))), "0") == 0, "got");
	CHECK("5e-15 * 1e-14 rounds up at 28 places",
	      strcmp(show(c, mw_mul(c, MW_D(5, 15), MW_D(1, 14))),
		     "0.0000000000000000000000000001") == 0, "got");
	CHECK("-5e-15 * 1e-14 rounds away from zero",
	      strcmp(show(c, mw_mul(c, MW_D(-5, 15), MW_D(1, 14))),
		     "-0.0000000000000000000000000001") == 0, "got");
	v = mw_mul(c, MW_D(123456789, 2), MW_D(1123456789012345678LL, 18));
	CHECK("1234567.89 * 1.123456789012345678 exact",
	      strcmp(show(c, v), "1386983.67751714678763907942") == 0, "%s", show(c, v));
	CHECK("1234567.89 * a rate of 28 places, to 28 places",
	      strcmp(op(c, mw_mul, "1234567.89", "1.1234567890123456789012345678"),
		     "1386983.6775171467887517146787639079") == 0, "got");
	CHECK("a product rounded to the 22 places that fit",
	      strcmp(op(c, mw_mul, "-123456789012345.67", "1.1234567890123456789012345678"),
		     "-138698367765584.5056515775135540313988") == 0, "got");
	rt_ctx_reset(c);
	v = mw_mul(c, dv("9000000000000000000000000000000.000001"), dv("2.0000001"));
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
		{ -4, 1, 0, "0" }, { 999999, 6, 2, "1" }, { 1999, 2, 28, "19.99" },
	};
	static const struct { const char *in; int places; const char *want; } wide[] = {
		{ "0.1234567890123456789012345678", 27, "0.123456789012345678901234568" },
		{ "-0.1234567890123456789012345678", 27, "-0.123456789012345678901234568" },
		{ "12345678901234567890123456789.5", 0, "12345678901234567890123456790" },
		{ "-12345678901234567890123456789.5", 0, "-12345678901234567890123456790" },
		{ "-12345678901234567890123456789.4999", 0, "-12345678901234567890123456789" },
		{ "999999999.9999999999999999999999999999", 27, "1000000000" },
		{ "0.0000000000000000000000000005", 27, "0.000000000000000000000000001" },
		{ "0.0000000000000000000000000004", 27, "0" },
		{ "79228162514264337593543950335", 28, "79228162514264337593543950335" },
	};
	size_t i;
	char name[96];

	for (i = 0; i < sizeof r / sizeof r[0]; i++) {
		mw_val v;

		rt_ctx_reset(c);
		v = mw_fn_round(c, MW_D(r[i].u, r[i].s), MW_I(r[i].places));
		snprintf(name, sizeof name, "round(%s, %d)", show(c, MW_D(r[i].u, r[i].s)),
			 r[i].places);
		CHECK(name, strcmp(show(c, v), r[i].want) == 0, "got %s want %s", show(c, v),
		      r[i].want);
	}
	for (i = 0; i < sizeof wide / sizeof wide[0]; i++) {
		mw_val v;

		rt_ctx_reset(c);
		v = mw_fn_round(c, dv(wide[i].in), MW_I(wide[i].places));
		snprintf(name, sizeof name, "round(%s, %d)", wide[i].in, wide[i].places);
		CHECK(name, strcmp(show(c, v), wide[i].want) == 0, "got %s want %s", show(c, v),
		      wide[i].want);
	}
	rt_ctx_reset(c);
	mw_fn_round(c, MW_D(1, 1), MW_I(29));
	CHECK("round places above 28 fail", mw_failed(c), "accepted");
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
	v = mw_fn_decimal(c, MW_S("93.91000000000000000000"));
	CHECK("decimal(\"93.91000000000000000000\")", strcmp(show(c, v), "93.91") == 0, "%s",
	      show(c, v));
	v = mw_fn_decimal(c, MW_S("-1.2500E+3"));
	CHECK("decimal(\"-1.2500E+3\")", strcmp(show(c, v), "-1250") == 0, "%s", show(c, v));
	v = mw_fn_decimal(c, MW_S("1e40"));
	CHECK("decimal(\"1e40\") fails", mw_failed(c) && strcmp(c->reason,
	      "decimal: \"1e40\" does not fit a decimal (37 digits, 28 places)") == 0, "%s",
	      c->reason);
	rt_ctx_reset(c);
	v = mw_fn_decimal(c, MW_S("0.00000000000000000000000000001"));
	CHECK("decimal of 29 places fails", mw_failed(c) && strcmp(c->reason,
	      "decimal: \"0.00000000000000000000000000001\" does not fit a decimal "
	      "(37 digits, 28 places)") == 0, "%s", c->reason);
	rt_ctx_reset(c);
	v = mw_fn_integer(c, MW_S("12.000000000000000000000000000000"));
	CHECK("integer(\"12.000000000000000000000000000000\")", v.kind == MW_INT && v.u.i == 12,
	      "%s", show(c, v));
	v = mw_fn_integer(c, MW_S("1.2E+1"));
	CHECK("integer(\"1.2E+1\")", v.kind == MW_INT && v.u.i == 12, "%s", show(c, v));
	v = mw_fn_integer(c, dv("1e20"));
	CHECK("integer(1e20) fails", mw_failed(c) && strcmp(c->reason,
	      "integer: 100000000000000000000 is not within the 64-bit range") == 0, "%s",
	      c->reason);
	rt_ctx_reset(c);
	v = mw_fn_string(c, dv("-79228162514264337593543950335"));
	CHECK("string(-max)", strcmp(show(c, v), "-79228162514264337593543950335") == 0, "%s",
	      show(c, v));
	rt_ctx_reset(c);
	v = mw_fn_string(c, MW_D(19990, 3));
	CHECK("string(19.990)", v.kind == MW_STR && strcmp(show(c, v), "19.99") == 0, "%s",
	      show(c, v));
}

/* A rate source for convert(): EUR 1.0512 USD on 2026-12-04 and after
 * (and, asked the other way round, USD 0.9513 EUR), none before; any other
 * currency none. */
static int
fake_rate(mw_ctx *c, void *data, const char *from, const char *to, const mw_time *day,
	  mw_dec *rate, mw_time *asof)
{
	int back = !strcmp(from, "USD") && !strcmp(to, "EUR");

	(void)data;
	if ((!back && (strcmp(from, "EUR") || strcmp(to, "USD"))) || day->year < 2026 ||
	    (day->year == 2026 && (day->month < 12 || day->day < 4))) {
		mw_fail(c, "no %s rate into %s", from, to);
		return -1;
	}
	*rate = back ? (mw_dec){ .units = 9513, .scale = 4 } : (mw_dec){ .units = 10512, .scale = 4 };
	*asof = *day;
	asof->day = 4;
	return 0;
}

static void
money_cases(mw_ctx *c)
{
	/* half to even at the minor unit: ties to the even neighbour, the rest
	 * to the nearest, negatives the mirror image */
	static const struct { const char *in, *code, *want; } cases[] = {
		{ "2.345", "USD", "2.34" }, { "2.355", "USD", "2.36" }, { "2.3450001", "USD", "2.35" },
		{ "-2.345", "USD", "-2.34" }, { "-2.355", "USD", "-2.36" }, { "0.005", "USD", "0" },
		{ "0.015", "usd", "0.02" }, { "2.344999", "EUR", "2.34" }, { "19.99", "USD", "19.99" },
		{ "1234.5", "JPY", "1234" }, { "1235.5", "JPY", "1236" }, { "-0.5", "JPY", "0" },
		{ "1.2345", "KWD", "1.234" }, { "1.2355", "KWD", "1.236" }, { "1.23451", "KWD", "1.235" },
		{ "0.00005", "CLF", "0" }, { "0.00015", "CLF", "0.0002" },
		{ "12345678901234567890123456789.5", "JPY", "12345678901234567890123456790" },
	};
	char name[96];
	mw_dec d;
	mw_val v;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		rt_ctx_reset(c);
		if (dec_parse(cases[i].in, strlen(cases[i].in), &d) != DEC_OK) {
			CHECK(cases[i].in, 0, "does not parse");
			continue;
		}
		v = mw_fn_money(c, (mw_val){ .kind = MW_DEC, .u.d = d },
			(mw_val){ .kind = MW_STR, .u.s = { cases[i].code, strlen(cases[i].code) } });
		snprintf(name, sizeof name, "money(%s, %s) = %s", cases[i].in, cases[i].code,
			cases[i].want);
		CHECK(name, strcmp(show(c, v), cases[i].want) == 0, "%s", show(c, v));
	}
	rt_ctx_reset(c);
	v = mw_fn_money(c, MW_I(7), MW_S("KWD"));
	CHECK("money(7, KWD) stays the integer 7", v.kind == MW_INT && v.u.i == 7, "%s", show(c, v));
	rt_ctx_reset(c);
	v = mw_fn_money(c, MW_NULLV, MW_S("USD"));
	CHECK("money(null, USD) is null", !mw_failed(c) && v.kind == MW_NULL, "%s", show(c, v));
	rt_ctx_reset(c);
	v = mw_fn_money(c, MW_D(1, 0), MW_S("XYZ"));
	CHECK("money in an unknown currency fails", mw_failed(c) &&
	      strcmp(c->reason, "unknown currency code \"XYZ\"") == 0, "%s", show(c, v));
	/* a thousand ties of 0.005 sum to 5.00 half to even (half of them
	 * round down), 10.00 half away from zero */
	mw_val even = MW_I(0), away = MW_I(0);
	for (int i = 0; i < 1000; i++) {
		rt_ctx_reset(c);
		mw_dec t = { .units = 5 + 10 * (i % 10), .scale = 3 };
		even = mw_add(c, even, mw_fn_money(c, (mw_val){ .kind = MW_DEC, .u.d = t },
			MW_S("USD")));
		away = mw_add(c, away, mw_fn_round(c, (mw_val){ .kind = MW_DEC, .u.d = t }, MW_I(2)));
	}
	CHECK("1000 ties: half to even does not drift", strcmp(show(c, even), "50") == 0 &&
	      strcmp(show(c, away), "55") == 0, "%s %s", show(c, even), show(c, away));

	/* rates into the base currency */
	mw_time day;
	tm_parse("2026-12-05T10:00:00+01:00", 25, &day);
	mw_val dv = { .kind = MW_DATETIME, .u.t = day };
	rt_ctx_reset(c);
	rt_ctx_set_rate(c, NULL, NULL, "USD");
	v = mw_fn_convert(c, MW_D(32935, 2), MW_S("usd"), dv);
	CHECK("convert in the base currency asks no one", strcmp(show(c, v), "329.35") == 0, "%s",
	      show(c, v));
	rt_ctx_reset(c);
	v = mw_fn_rate(c, MW_S("EUR"), dv);
	CHECK("no rate source: fails", mw_failed(c) && strstr(c->reason, "no EUR rate into USD"),
	      "%s", show(c, v));
	rt_ctx_set_rate(c, fake_rate, NULL, "USD");
	rt_ctx_reset(c);
	v = mw_fn_convert(c, MW_D(32935, 2), MW_S("EUR"), dv);
	CHECK("convert(329.35 EUR) at 1.0512 = 346.21 USD (346.212720)",
	      strcmp(show(c, v), "346.21") == 0, "%s", show(c, v));
	rt_ctx_reset(c);
	v = mw_fn_rate_date(c, MW_S("EUR"), dv);
	CHECK("rate_date is the rate's own day", strcmp(show(c, v), "2026-12-04") == 0, "%s",
	      show(c, v));
	rt_ctx_reset(c);
	/* 0.25 EUR x 1.0512 = 0.2628; 5 x 0.2628... a tie: 62.5 x 1.0512 = 65.7 exactly;
	 * 0.125 x 1.0512 = 0.1314 -> 0.13 */
	v = mw_fn_convert(c, MW_D(125, 3), MW_S("EUR"), dv);
	CHECK("convert(0.125 EUR) = 0.13 USD", strcmp(show(c, v), "0.13") == 0, "%s", show(c, v));
	/* rate_per_base: the source asked the other way round, not 1 / rate() */
	rt_ctx_reset(c);
	v = mw_fn_rate_per_base(c, MW_S("EUR"), dv);
	CHECK("rate_per_base asks for the base into the currency", strcmp(show(c, v), "0.9513") == 0,
	      "%s", show(c, v));
	rt_ctx_reset(c);
	v = mw_fn_rate_per_base(c, MW_S("usd"), dv);
	CHECK("rate_per_base of the base is 1", strcmp(show(c, v), "1") == 0, "%s", show(c, v));
	rt_ctx_set_rate(c, fake_rate, NULL, "JPY");
	rt_ctx_reset(c);
	v = mw_fn_convert(c, MW_I(100), MW_S("EUR"), dv);
	CHECK("convert into JPY: no rate EUR->JPY fails", mw_failed(c), "%s", show(c, v));
	rt_ctx_set_rate(c, NULL, NULL, NULL);
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
	money_cases(c);
	rt_ctx_free(c);
	return failures ? 1 : 0;
}
