/*
 * test_time.c - dates and datetimes: parsing, offsets kept as written,
 * comparison by instant, calendar validation, format_date, Xero's
 * /Date(...)/, and reading them from JSON with mw_get.
 */
#include <stdio.h>
#include <string.h>

#include "transform.h"

#define CHECK_AREA "time"
#include "check.h"
#include "show.h"

static mw_val
str(const char *s)
{
	mw_val v = { .kind = MW_STR };

	v.u.s.p = s;
	v.u.s.n = strlen(s);
	return v;
}

static void
parse_cases(void)
{
	/* input, RFC 3339 as printed back */
	static const struct { const char *in, *out; } ok[] = {
		{ "2026-11-22", "2026-11-22" },
		{ "2026-11-22T23:30:00-05:00", "2026-11-22T23:30:00-05:00" },
		{ "2026-11-22T23:30:00+05:30", "2026-11-22T23:30:00+05:30" },
		{ "2026-11-22T23:30:00Z", "2026-11-22T23:30:00Z" },
		{ "2026-11-22t23:30:00z", "2026-11-22T23:30:00Z" },
		{ "2026-11-22T23:30:00+00:00", "2026-11-22T23:30:00Z" },
		{ "2026-11-22 23:30:00", "2026-11-22T23:30:00" },
		{ "2026-11-22T23:30:00.5Z", "2026-11-22T23:30:00.5Z" },
		{ "2026-11-22T23:30:00.120+01:00", "2026-11-22T23:30:00.120+01:00" },
		{ "2026-11-22T23:30:00.123456789Z", "2026-11-22T23:30:00.123456789Z" },
		{ "2026-11-22T23:30:00.000001", "2026-11-22T23:30:00.000001" },
		{ "2024-02-29", "2024-02-29" }, { "2000-02-29", "2000-02-29" },
		{ "0001-01-01", "0001-01-01" }, { "9999-12-31T23:59:59Z", "9999-12-31T23:59:59Z" },
		{ "/Date(1573755038314+0000)/", "2019-11-14T18:10:38.314Z" },
		{ "/Date(1573755038000+1300)/", "2019-11-15T07:10:38+13:00" },
		{ "/Date(1573755038000)/", "2019-11-14T18:10:38Z" },
		{ "/Date(-1000)/", "1969-12-31T23:59:59Z" },
		{ "/Date(0-0500)/", "1969-12-31T19:00:00-05:00" },
	};
	static const char *const bad[] = {
		"2026-02-30", "2026-13-01", "2026-00-10", "2026-01-32", "2100-02-29",
		"2023-02-29", "2026-11-22T24:00:00", "2026-11-22T12:60:00",
		"2026-11-22T12:00:60", "2026-1-01", "2026-11-22T10:00", "2026-11-22T10:00:00+24:00",
		"2026-11-22T10:00:00+05", "2026-11-22T10:00:00+0500", "2026-11-22T10:00:00.Z",
		"2026-11-22T10:00:00.1234567890Z", "2026-11-22X10:00:00", "2026-11-22T10:00:00ZZ",
		"yesterday", "", "/Date()/", "/Date(abc)/", "/Date(1573755038314+00)/",
		"/Date(1573755038314", "2026-11-22 ",
	};
	size_t i;
	char name[96], buf[TM_BUF];
	mw_time t;

	for (i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		int r = tm_parse(ok[i].in, strlen(ok[i].in), &t);

		if (r == 0)
			tm_format(&t, buf);
		snprintf(name, sizeof name, "parse %s", ok[i].in);
		CHECK(name, r == 0 && strcmp(buf, ok[i].out) == 0, "r=%d got %s", r,
		      r == 0 ? buf : "-");
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(name, sizeof name, "reject \"%s\"", bad[i]);
		CHECK(name, tm_parse(bad[i], strlen(bad[i]), &t) != 0, "accepted");
	}
	tm_parse("2026-11-22T23:30:00-05:00", 25, &t);
	CHECK("offset kept, not normalised", t.hour == 23 && t.day == 22 && t.has_offset &&
	      t.offset_min == -300, "%d %d %d", t.day, t.hour, t.offset_min);
}

static void
value_cases(mw_ctx *c)
{
	mw_val v;

	rt_ctx_reset(c);
	v = mw_fn_date(c, str("2026-11-22T23:30:00-05:00"));
	CHECK("date(2026-11-22T23:30:00-05:00) = 2026-11-22",
	      v.kind == MW_DATE && strcmp(show(c, v), "2026-11-22") == 0, "%s", show(c, v));
	v = mw_fn_date(c, str("2026-11-23T01:30:00+09:00"));
	CHECK("date in its own offset", strcmp(show(c, v), "2026-11-23") == 0, "%s", show(c, v));
	v = mw_fn_datetime(c, str("2026-11-22"));
	CHECK("datetime of a date is its midnight", v.kind == MW_DATETIME &&
	      strcmp(show(c, v), "2026-11-22T00:00:00") == 0, "%s", show(c, v));
	v = mw_fn_date(c, str("tomorrow"));
	CHECK("date(\"tomorrow\") fails", mw_failed(c) &&
	      strcmp(c->reason, "date: not a date or datetime: \"tomorrow\"") == 0, "%s",
	      c->reason);

	rt_ctx_reset(c);
	CHECK("10:00+02:00 == 08:00Z", mw_truthy(c, mw_eq(c,
		mw_fn_datetime(c, str("2026-11-22T10:00:00+02:00")),
		mw_fn_datetime(c, str("2026-11-22T08:00:00Z")))), "not equal");
	CHECK("23:30-05:00 > 02:00Z next day", mw_truthy(c, mw_gt(c,
		mw_fn_datetime(c, str("2026-11-22T23:30:00-05:00")),
		mw_fn_datetime(c, str("2026-11-23T04:00:00Z")))), "not greater");
	CHECK("fractions compare", mw_truthy(c, mw_lt(c,
		mw_fn_datetime(c, str("2026-11-22T08:00:00.1Z")),
		mw_fn_datetime(c, str("2026-11-22T08:00:00.10001Z")))), "not less");
	CHECK("dates compare", mw_truthy(c, mw_lt(c, mw_fn_date(c, str("2024-02-29")),
						 mw_fn_date(c, str("2024-03-01")))), "not less");
	CHECK("date == its midnight", mw_truthy(c, mw_eq(c, mw_fn_date(c, str("2026-11-22")),
		mw_fn_datetime(c, str("2026-11-22T00:00:00-05:00")))), "not equal");
	CHECK("date < a later time that day", mw_truthy(c, mw_lt(c,
		mw_fn_date(c, str("2026-11-22")),
		mw_fn_datetime(c, str("2026-11-22T00:00:01-05:00")))), "not less");
	CHECK("NULL date ordering is false", !mw_truthy(c, mw_lt(c, MW_NULLV,
		mw_fn_date(c, str("2026-11-22")))) && !mw_failed(c), "true");
}

static void
format_cases(mw_ctx *c)
{
	static const struct { const char *in, *fmt, *want; } f[] = {
		{ "2026-11-22T23:30:05-05:00", "%Y-%m-%d", "2026-11-22" },
		{ "2026-11-22T23:30:05-05:00", "%d/%m/%Y %H:%M:%S %z",
		  "22/11/2026 23:30:05 -05:00" },
		{ "2026-11-22T23:30:05Z", "%H%M%S%z", "233005+00:00" },
		{ "2026-11-22T08:00:00+05:30", "%z", "+05:30" },
		{ "2026-01-02", "%Y%m%d %H:%M", "20260102 00:00" },
		{ "2026-01-02", "100%% on %d", "100% on 02" },
		{ "2026-01-02", "", "" },
	};
	static const struct { const char *in, *fmt, *reason; } bad[] = {
		{ "2026-01-02", "%Q", "format_date: unsupported format \"%Q\" "
		  "(only %Y %m %d %H %M %S %z %%)" },
		{ "2026-01-02", "%Y%", "format_date: unsupported format \"%Y%\" "
		  "(only %Y %m %d %H %M %S %z %%)" },
		{ "2026-01-02", "%z", "format_date: %z needs a datetime with an offset" },
		{ "2026-01-02T10:00:00", "%z", "format_date: %z needs a datetime with an offset" },
	};
	size_t i;
	char name[96];
	mw_val v;

	for (i = 0; i < sizeof f / sizeof f[0]; i++) {
		rt_ctx_reset(c);
		v = mw_fn_format_date(c, str(f[i].in), str(f[i].fmt));
		snprintf(name, sizeof name, "format_date(%s, \"%s\")", f[i].in, f[i].fmt);
		CHECK(name, strcmp(show(c, v), f[i].want) == 0, "got %s", show(c, v));
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		rt_ctx_reset(c);
		v = mw_fn_format_date(c, str(bad[i].in), str(bad[i].fmt));
		snprintf(name, sizeof name, "format_date(%s, \"%s\") fails", bad[i].in, bad[i].fmt);
		CHECK(name, mw_failed(c) && strcmp(c->reason, bad[i].reason) == 0, "%s",
		      show(c, v));
	}
}

static void
get_cases(mw_ctx *c)
{
	static const char rec[] =
		"{\"orderDate\":\"2026-11-22T23:30:00-05:00\",\"bad\":\"yesterday\","
		"\"day\":\"2026-11-22\",\"xero\":\"/Date(1573755038314+0000)/\",\"n\":42}";
	const mw_node *root;
	json_err e;
	mw_val r, v;

	rt_ctx_reset(c);
	if (json_parse(&c->a, rec, sizeof rec - 1, &root, &e)) {
		CHECK("get: parse", 0, "%s", e.msg);
		return;
	}
	r = rt_node_val(c, root, NULL);
	v = mw_get(c, r, "orderDate", MW_DATETIME, 1);
	CHECK("get datetime", v.kind == MW_DATETIME &&
	      strcmp(show(c, v), "2026-11-22T23:30:00-05:00") == 0, "%s", show(c, v));
	v = mw_get(c, r, "orderDate", MW_DATE, 1);
	CHECK("get a datetime as a date", v.kind == MW_DATE &&
	      strcmp(show(c, v), "2026-11-22") == 0, "%s", show(c, v));
	v = mw_get(c, r, "xero", MW_DATETIME, 1);
	CHECK("get Xero /Date()/", strcmp(show(c, v), "2019-11-14T18:10:38.314Z") == 0, "%s",
	      show(c, v));
	v = mw_get(c, r, "day", MW_DATETIME, 1);
	CHECK("a date is not a datetime", mw_failed(c) &&
	      strcmp(c->reason, "field day: expected a datetime, got \"2026-11-22\"") == 0,
	      "%s", c->reason);
	rt_ctx_reset(c);
	json_parse(&c->a, rec, sizeof rec - 1, &root, &e);
	r = rt_node_val(c, root, NULL);
	v = mw_get(c, r, "bad", MW_DATETIME, 1);
	CHECK("field orderDate: expected a datetime, got \"yesterday\"", mw_failed(c) &&
	      strcmp(c->reason, "field bad: expected a datetime, got \"yesterday\"") == 0,
	      "%s", c->reason);
	rt_ctx_reset(c);
	json_parse(&c->a, rec, sizeof rec - 1, &root, &e);
	r = rt_node_val(c, root, NULL);
	v = mw_get(c, r, "n", MW_DATE, 0);
	CHECK("a number is not a date", mw_failed(c) &&
	      strcmp(c->reason, "field n: expected a date, got 42") == 0, "%s", c->reason);
}

int
main(void)
{
	mw_ctx *c = rt_ctx_new();

	if (!c) {
		printf("[FAIL] time/setup: no context\n");
		return 1;
	}
	parse_cases();
	value_cases(c);
	format_cases(c);
	get_cases(c);
	rt_ctx_free(c);
	return failures ? 1 : 0;
}
