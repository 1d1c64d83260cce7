/*
 * dec.c - exact decimals: value = units / 10^scale, scale 0..18.
 *
 * Money must survive the trip exactly: 19.99 is the integer 1999 at scale 2,
 * never a binary double.  Intermediate results are computed in 128 bits;
 * a result that does not fit int64 first sheds trailing zeros of its
 * fraction (which changes nothing), and otherwise fails with DEC_E_RANGE
 * rather than wrapping.  Units are kept in [-INT64_MAX, INT64_MAX] so that
 * negation can never overflow.
 *
 * Rounding is half away from zero everywhere (2.345 -> 2.35, -2.345 ->
 * -2.35), the rule of most accounting systems.
 */
#include <stdint.h>
#include <string.h>

#include "transform.h"

__extension__ typedef __int128 i128;
__extension__ typedef unsigned __int128 u128;

/* Round to nearest, but never below the operands' own scale: see fit(). */
#define EXACT 99

static const uint64_t P10[20] = {
	1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL,
	10000000ULL, 100000000ULL, 1000000000ULL, 10000000000ULL,
	100000000000ULL, 1000000000000ULL, 10000000000000ULL,
	100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL,
	100000000000000000ULL, 1000000000000000000ULL, 10000000000000000000ULL
};

static i128
pow10_128(int k)
{
	i128 r = 1;

	while (k-- > 0)
		r *= 10;
	return r;
}

static int
fits(i128 v)
{
	return v <= INT64_MAX && v >= -(i128)INT64_MAX;
}

/* v / p rounded half away from zero (p > 0). */
static i128
div_round(i128 v, i128 p)
{
	i128 q = v / p, r = v % p;

	if (r < 0)
		r = -r;
	if (r * 2 >= p)
		q += v < 0 ? -1 : 1;
	return q;
}

/*
 * Store v / 10^scale in out.  Scales above 18 are rounded to 18.  A value
 * too wide for int64 drops trailing zeros of its fraction; with round_to
 * below EXACT it may also round (half away from zero) to fewer places, but
 * not below round_to: mul uses this so that 1234567.89 * 1.123456789012345678
 * gives the product to 12 places instead of failing.
 */
#define MUL_MIN_SCALE 6
static int
fit(i128 v, int scale, int round_to, mw_dec *out)
{
	int s = scale > DEC_MAX_SCALE ? DEC_MAX_SCALE : scale;

	for (; s >= 0; s--) {
		i128 p = pow10_128(scale - s), q = v / p;

		if (v % p != 0) {
			if (s < round_to && s < DEC_MAX_SCALE)
				break;
			q = div_round(v, p);
		}
		if (fits(q)) {
			out->units = (int64_t)q;
			out->scale = s;
			return DEC_OK;
		}
	}
	return DEC_E_RANGE;
}

static int
valid(mw_dec d)
{
	return d.scale >= 0 && d.scale <= DEC_MAX_SCALE && d.units != INT64_MIN;
}

/*
 * Decimal text: [+-]digits[.digits][(e|E)[+-]digits].  The value must be
 * representable exactly: trailing zeros are dropped as needed ("1.000...0"
 * with 25 zeros is 1), anything else beyond scale 18 or int64 is
 * DEC_E_RANGE.  Exponents are applied exactly (1.5e3 = 1500).
 */
int
dec_parse(const char *p, size_t n, mw_dec *out)
{
	const char *e = p + n, *q;
	int neg = 0;
	size_t nd = 0, tz = 0, nfrac = 0, k, i;
	const char *first = NULL;     /* first significant digit */
	int64_t exp = 0, e10;
	uint64_t u = 0;

	if (p < e && (*p == '-' || *p == '+'))
		neg = *p++ == '-';
	if (p == e || *p < '0' || *p > '9')
		return DEC_E_SYNTAX;
	for (q = p; q < e && *q >= '0' && *q <= '9'; q++) {
		if (!first && *q != '0')
			first = q;
		if (first) {
			nd++;
			tz = *q == '0' ? tz + 1 : 0;
		}
	}
	if (q < e && *q == '.') {
		const char *f = ++q;

		for (; q < e && *q >= '0' && *q <= '9'; q++) {
			if (!first && *q != '0')
				first = q;
			if (first) {
				nd++;
				tz = *q == '0' ? tz + 1 : 0;
			}
		}
		nfrac = (size_t)(q - f);
		if (nfrac == 0)
			return DEC_E_SYNTAX;
	}
	if (q < e && (*q == 'e' || *q == 'E')) {
		int eneg = 0;

		q++;
		if (q < e && (*q == '-' || *q == '+'))
			eneg = *q++ == '-';
		if (q == e || *q < '0' || *q > '9')
			return DEC_E_SYNTAX;
		for (; q < e && *q >= '0' && *q <= '9'; q++)
			if (exp < 1000000)
				exp = exp * 10 + (*q - '0');
		if (eneg)
			exp = -exp;
	}
	if (q != e)
		return DEC_E_SYNTAX;
	if (nd == 0) {
		out->units = 0;
		out->scale = nfrac > DEC_MAX_SCALE ? DEC_MAX_SCALE : (int32_t)nfrac;
		return DEC_OK;
	}
	if (nfrac > 100000000)
		return DEC_E_RANGE;
	/* value = D * 10^e10 with D the nd significant digits */
	e10 = exp - (int64_t)nfrac;
	/* Drop k trailing zeros of D: enough for scale <= 18 and <= 19 digits. */
	k = 0;
	if (e10 < -DEC_MAX_SCALE)
		k = (size_t)(-DEC_MAX_SCALE - e10);
	if (nd > 19 && nd - 19 > k)
		k = nd - 19;
	if (k > tz)
		return DEC_E_RANGE;
	for (q = first, i = 0; i < nd - k; q++) {
		if (*q == '.')
			continue;
		u = u * 10 + (uint64_t)(*q - '0');
		i++;
	}
	e10 += (int64_t)k;
	if (u > INT64_MAX)
		return DEC_E_RANGE;
	if (e10 >= 0) {
		if (e10 > 18 || u > INT64_MAX / P10[e10])
			return DEC_E_RANGE;
		out->units = (int64_t)(u * P10[e10]);
		out->scale = 0;
	} else {
		out->units = (int64_t)u;
		out->scale = (int32_t)-e10;
	}
	if (neg)
		out->units = -out->units;
	return DEC_OK;
}

int
dec_from_int(int64_t i, mw_dec *out)
{
	if (i == INT64_MIN)
		return DEC_E_RANGE;
	out->units = i;
	out->scale = 0;
	return DEC_OK;
}

int
dec_to_int(mw_dec d, int64_t *out)
{
	if (!valid(d))
		return DEC_E_RANGE;
	if (d.units % (int64_t)P10[d.scale] != 0)
		return DEC_E_INEXACT;
	*out = d.units / (int64_t)P10[d.scale];
	return DEC_OK;
}

static int
addsub(mw_dec a, mw_dec b, int sub, mw_dec *out)
{
	int s;
	i128 x, y;

	if (!valid(a) || !valid(b))
		return DEC_E_RANGE;
	if (a.scale == b.scale) {
		int64_t r;

		if (!(sub ? __builtin_sub_overflow(a.units, b.units, &r)
			  : __builtin_add_overflow(a.units, b.units, &r)) && r != INT64_MIN) {
			out->units = r;
			out->scale = a.scale;
			return DEC_OK;
		}
	}
	s = a.scale > b.scale ? a.scale : b.scale;
	x = (i128)a.units * (i128)P10[s - a.scale];
	y = (i128)b.units * (i128)P10[s - b.scale];
	return fit(sub ? x - y : x + y, s, EXACT, out);
}

int
dec_add(mw_dec a, mw_dec b, mw_dec *out)
{
	return addsub(a, b, 0, out);
}

int
dec_sub(mw_dec a, mw_dec b, mw_dec *out)
{
	return addsub(a, b, 1, out);
}

/* The exact product when it fits; a product too wide for its scale is
 * rounded to the most places that fit, but never below MUL_MIN_SCALE (as
 * SQL Server does), so an amount times a rate with 18 places still works
 * while a real overflow fails. */
int
dec_mul(mw_dec a, mw_dec b, mw_dec *out)
{
	if (!valid(a) || !valid(b))
		return DEC_E_RANGE;
	/* |units| < 2^63 each, so the product fits 127 bits. */
	return fit((i128)a.units * (i128)b.units, a.scale + b.scale, MUL_MIN_SCALE, out);
}

/*
 * a / b at scale max(sa, sb, 6), half away from zero.  The quotient is
 * |ua| * 10^e / |ub| with e = s - sa + sb in 0..36, too wide for 128 bits
 * when computed directly, so it is produced by long division a digit at a
 * time; anything above INT64_MAX * 10^18 cannot fit however many zeros it
 * sheds, which bounds the loop's values.
 */
int
dec_div(mw_dec a, mw_dec b, mw_dec *out)
{
	int s, e, i;
	u128 num, den, q, r, bound = (u128)INT64_MAX * P10[18];
	i128 v;

	if (!valid(a) || !valid(b))
		return DEC_E_RANGE;
	if (b.units == 0)
		return DEC_E_DIV0;
	s = a.scale > b.scale ? a.scale : b.scale;
	if (s < 6)
		s = 6;
	e = s - a.scale + b.scale;
	num = (u128)(a.units < 0 ? -a.units : a.units);
	den = (u128)(b.units < 0 ? -b.units : b.units);
	q = num / den;
	r = num % den;
	for (i = 0; i < e; i++) {
		r *= 10;
		q = q * 10 + r / den;
		r %= den;
		if (q > bound)
			return DEC_E_RANGE;
	}
	if (r * 2 >= den)
		q++;
	v = (i128)q;
	if ((a.units < 0) != (b.units < 0))
		v = -v;
	return fit(v, s, EXACT, out);
}

int
dec_neg(mw_dec a, mw_dec *out)
{
	if (!valid(a))
		return DEC_E_RANGE;
	out->units = -a.units;
	out->scale = a.scale;
	return DEC_OK;
}

int
dec_abs(mw_dec a, mw_dec *out)
{
	if (!valid(a))
		return DEC_E_RANGE;
	out->units = a.units < 0 ? -a.units : a.units;
	out->scale = a.scale;
	return DEC_OK;
}

int
dec_round(mw_dec a, int places, mw_dec *out)
{
	if (!valid(a) || places < 0 || places > DEC_MAX_SCALE)
		return DEC_E_RANGE;
	if (places >= a.scale) {
		*out = a;
		return DEC_OK;
	}
	out->units = (int64_t)div_round(a.units, (i128)P10[a.scale - places]);
	out->scale = places;
	return DEC_OK;
}

int
dec_cmp(mw_dec a, mw_dec b)
{
	i128 x = a.units, y = b.units;
	int sa = a.scale < 0 ? 0 : a.scale > 18 ? 18 : a.scale;
	int sb = b.scale < 0 ? 0 : b.scale > 18 ? 18 : b.scale;

	if (sa < sb)
		x *= (i128)P10[sb - sa];
	else if (sb < sa)
		y *= (i128)P10[sa - sb];
	return x < y ? -1 : x > y;
}

/* The exact digits, without trailing zeros in the fraction: 19.990 prints
 * as 19.99, 20.00 as 20, -0.50 as -0.5, zero as 0. */
size_t
dec_format(mw_dec d, char *buf)
{
	char dig[24];
	uint64_t u;
	int scale = d.scale, nd = 0, i;
	size_t n = 0;

	if (!valid(d)) {
		memcpy(buf, "NaN", 4);
		return 3;
	}
	u = d.units < 0 ? (uint64_t)-d.units : (uint64_t)d.units;
	while (scale > 0 && u % 10 == 0) {
		u /= 10;
		scale--;
	}
	if (u == 0) {
		memcpy(buf, "0", 2);
		return 1;
	}
	while (u) {
		dig[nd++] = (char)('0' + u % 10);
		u /= 10;
	}
	if (d.units < 0)
		buf[n++] = '-';
	if (nd <= scale) {
		buf[n++] = '0';
		buf[n++] = '.';
		for (i = nd; i < scale; i++)
			buf[n++] = '0';
		for (i = nd - 1; i >= 0; i--)
			buf[n++] = dig[i];
	} else {
		for (i = nd - 1; i >= 0; i--) {
			buf[n++] = dig[i];
			if (i == scale && scale > 0)
				buf[n++] = '.';
		}
	}
	buf[n] = '\0';
	return n;
}
