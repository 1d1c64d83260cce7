/*
 * money.c - currencies: ISO 4217 minor units (currency_places), amounts
 * rounded half to even to a currency's minor unit (money), and exchange
 * rates into the pair's base currency (rate, rate_date, convert,
 * base_currency).
 *
 * The minor units come from CLDR (iso4217.h, written at build time by
 * scripts/gen_cldr.py).  A rate is never looked up here: the transform
 * library does no I/O.  The layer that runs the transform installs a
 * rt_rate_fn in the context (the sync engine: runtime/engine/rates.c, from
 * the target's own rates or a rates file); without one, a rate other than
 * the base currency's own fails the record.
 */
#include <string.h>

#include "transform.h"
#include "iso4217.h"

static const mw_val NULLV = { .kind = MW_NULL };

/* The places of the currency spelt (p, n), any case, or -1. */
static int
places_of(const char *p, size_t n, char code[4])
{
	size_t lo = 0, hi = iso_n_currencies;

	if (n != 3)
		return -1;
	for (int i = 0; i < 3; i++)
		code[i] = (char)(p[i] >= 'a' && p[i] <= 'z' ? p[i] - 32 : p[i]);
	code[3] = '\0';
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int x = memcmp(code, iso_currencies[mid].code, 3);

		if (x == 0)
			return iso_currencies[mid].places;
		if (x < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

/* fn's currency argument: its places with code[] its upper-case spelling;
 * -2 when it is null or missing; -1 after failing the record. */
static int
currency_arg(mw_ctx *c, const char *fn, mw_val v, char code[4])
{
	const char *p;
	size_t n;
	char q[32];
	int r = rt_str_arg(c, fn, v, &p, &n), pl;

	if (r)
		return r > 0 ? -2 : -1;
	pl = places_of(p, n, code);
	if (pl >= 0)
		return pl;
	tx_quote(q, sizeof q, p, n, 16);
	mw_fail(c, "unknown currency code %s", q);
	return -1;
}

int
rt_currency_places(const char *code)
{
	char k[4];

	return code ? places_of(code, strlen(code), k) : -1;
}

mw_val
mw_fn_currency_places(mw_ctx *c, mw_val code)
{
	char k[4];
	int pl;

	if (c->failed)
		return NULLV;
	pl = currency_arg(c, "currency_places", code, k);
	return pl < 0 ? NULLV : (mw_val){ .kind = MW_INT, .u.i = pl };
}

static mw_val
round_even(mw_ctx *c, mw_val v, int places)
{
	mw_dec d;

	if (v.kind == MW_INT)
		return v;
	if (dec_round_even(v.u.d, places, &d) != DEC_OK) {
		mw_fail(c, "decimal overflow");
		return NULLV;
	}
	return (mw_val){ .kind = MW_DEC, .u.d = d };
}

mw_val
mw_fn_money(mw_ctx *c, mw_val v, mw_val code)
{
	char k[4];
	int pl;

	if (c->failed || mw_is_null(v))
		return NULLV;
	if (v.kind != MW_INT && v.kind != MW_DEC) {
		mw_fail(c, "money: expected a number, got %s", rt_kind_name(v.kind));
		return NULLV;
	}
	pl = currency_arg(c, "money", code, k);
	return pl < 0 ? NULLV : round_even(c, v, pl);
}

void
rt_ctx_set_rate(mw_ctx *c, rt_rate_fn fn, void *data, const char *base)
{
	c->rate = fn;
	c->rate_data = data;
	c->base[0] = '\0';
	if (base && strlen(base) < sizeof c->base)
		memcpy(c->base, base, strlen(base) + 1);
}

mw_val
mw_fn_base_currency(mw_ctx *c)
{
	if (c->failed)
		return NULLV;
	if (!c->base[0]) {
		mw_fail(c, "no base currency: the pair's `currency` names none");
		return NULLV;
	}
	return rt_str(c->base, strlen(c->base));
}

/* The day a rate is wanted for: a date, the date of a datetime (in its own
 * offset), or a string of either; 0, 1 for null, -1 after failing. */
static int
day_arg(mw_ctx *c, const char *fn, mw_val v, mw_time *out)
{
	if (mw_is_null(v))
		return 1;
	if (v.kind == MW_STR) {
		mw_time t;

		if (tm_parse(v.u.s.p, v.u.s.n, &t) != 0) {
			mw_fail(c, "%s: not a date: %.*s", fn, (int)(v.u.s.n > 40 ? 40 : v.u.s.n),
				v.u.s.p);
			return -1;
		}
		*out = tm_date_of(&t);
		return 0;
	}
	if (v.kind == MW_DATE || v.kind == MW_DATETIME) {
		*out = tm_date_of(&v.u.t);
		return 0;
	}
	mw_fail(c, "%s: expected a date, got %s", fn, rt_kind_name(v.kind));
	return -1;
}

/* The rate of code into the base currency on day (per_base: of the base
 * into code): 0, 1 when an argument is null, -1 after failing the record.
 * The base currency's own rate is 1 on any day, and asks nobody. */
static int
rate_dir(mw_ctx *c, const char *fn, mw_val code, mw_val day, int per_base, mw_dec *rate,
	 mw_time *asof)
{
	char k[4], d[TM_BUF];
	int r;

	if (c->failed)
		return -1;
	r = currency_arg(c, fn, code, k);
	if (r == -2)
		return 1;
	if (r < 0)
		return -1;
	r = day_arg(c, fn, day, asof);
	if (r)
		return r;
	if (!c->base[0]) {
		mw_fail(c, "%s: no base currency: the pair's `currency` names none", fn);
		return -1;
	}
	if (!strcmp(k, c->base)) {
		*rate = (mw_dec){ .units = 1, .scale = 0 };
		return 0;
	}
	if (!c->rate) {
		tm_format(asof, d);
		mw_fail(c, "no %s rate into %s for %s: no rate source here (the sync engine asks "
			"the pair's; transform reads one with --rates FILE)", k, c->base, d);
		return -1;
	}
	mw_time day0 = *asof;
	return c->rate(c, c->rate_data, per_base ? c->base : k, per_base ? k : c->base, &day0, rate,
		asof) == 0 ? 0 : -1;
}

static int
rate_of(mw_ctx *c, const char *fn, mw_val code, mw_val day, mw_dec *rate, mw_time *asof)
{
	return rate_dir(c, fn, code, day, 0, rate, asof);
}

mw_val
mw_fn_rate(mw_ctx *c, mw_val code, mw_val day)
{
	mw_dec rate;
	mw_time asof;

	if (rate_of(c, "rate", code, day, &rate, &asof))
		return NULLV;
	return (mw_val){ .kind = MW_DEC, .u.d = rate };
}

mw_val
mw_fn_rate_per_base(mw_ctx *c, mw_val code, mw_val day)
{
	mw_dec rate;
	mw_time asof;

	if (rate_dir(c, "rate_per_base", code, day, 1, &rate, &asof))
		return NULLV;
	return (mw_val){ .kind = MW_DEC, .u.d = rate };
}

mw_val
mw_fn_rate_date(mw_ctx *c, mw_val code, mw_val day)
{
	mw_dec rate;
	mw_time asof;

	if (rate_of(c, "rate_date", code, day, &rate, &asof))
		return NULLV;
	return (mw_val){ .kind = MW_DATE, .u.t = asof };
}

mw_val
mw_fn_convert(mw_ctx *c, mw_val v, mw_val code, mw_val day)
{
	mw_dec rate, d;
	mw_time asof;
	mw_val r;

	if (c->failed || mw_is_null(v))
		return NULLV;
	if (v.kind != MW_INT && v.kind != MW_DEC) {
		mw_fail(c, "convert: expected a number, got %s", rt_kind_name(v.kind));
		return NULLV;
	}
	if (rate_of(c, "convert", code, day, &rate, &asof))
		return NULLV;
	if (v.kind == MW_INT && dec_from_int(v.u.i, &d) == DEC_OK)
		v = (mw_val){ .kind = MW_DEC, .u.d = d };
	if (dec_mul(v.u.d, rate, &d) != DEC_OK) {
		mw_fail(c, "decimal overflow");
		return NULLV;
	}
	int places = rt_currency_places(c->base);
	if (places < 0) {
		mw_fail(c, "convert: the base currency %s is not an ISO 4217 code", c->base);
		return NULLV;
	}
	r = round_even(c, (mw_val){ .kind = MW_DEC, .u.d = d }, places);
	return r;
}
