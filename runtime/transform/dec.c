/*
 * dec.c - exact decimals: value = units / 10^scale, scale 0..28, units of
 * at most 37 digits.
 *
 * Money must survive the trip exactly: 19.99 is the integer 1999 at scale 2,
 * never a binary double.  Senders spell the same value many ways (.NET
 * writes a decimal with the zeros of its scale, 93.91000000000000000000;
 * others use exponents, 1.25e1), and every spelling of a value that fits
 * reads as that value: zeros at the end of a fraction carry nothing and are
 * dropped whenever they are what stands in the way.  The range holds a .NET
 * decimal (96 bits, 28-29 digits, scale 0..28) whole.
 *
 * The units are 128-bit numbers, kept in mw_dec as hi * 2^63 + units so
 * that a value whose units fit 63 bits is just its units (hi 0), the way
 * generated code writes literals.  Intermediate results are computed in 256
 * bits, which hold any product of two units and any sum at a common scale;
 * a result too wide first sheds trailing zeros of its fraction (which
 * changes nothing), and otherwise fails with DEC_E_RANGE rather than
 * wrapping.
 *
 * Rounding is half away from zero everywhere (2.345 -> 2.35, -2.345 ->
 * -2.35), the rule of most accounting systems.
 */
#include <stdint.h>
#include <string.h>

#include "transform.h"

__extension__ typedef __int128 i128;
__extension__ typedef unsigned __int128 u128;

/* A 256-bit magnitude. */
typedef struct {
	u128 hi, lo;
} u256;

/* Round to nearest, but never below the operands' own scale: see fit(). */
#define EXACT 99

static const uint64_t P10[20] = {
	1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL,
	10000000ULL, 100000000ULL, 1000000000ULL, 10000000000ULL,
	100000000000ULL, 1000000000000ULL, 10000000000000ULL,
	100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL,
	100000000000000000ULL, 1000000000000000000ULL, 10000000000000000000ULL
};

/* The largest units: 10^37 - 1, DEC_MAX_DIGITS nines. */
#define MAXU ((u128)P10[19] * P10[18] - 1)
#define B63 ((i128)1 << 63)

static u128
pow10_128(int k)
{
	u128 r = 1;

	while (k-- > 0)
		r *= 10;
	return r;
}

/* ---- 256-bit magnitudes: only what the operations below need ---- */

static u256
w_of(u128 x)
{
	u256 r = { 0, x };

	return r;
}

static int
w_cmp(u256 a, u256 b)
{
	if (a.hi != b.hi)
		return a.hi < b.hi ? -1 : 1;
	return a.lo < b.lo ? -1 : a.lo > b.lo;
}

static u256
w_add(u256 a, u256 b)
{
	u256 r;

	r.lo = a.lo + b.lo;
	r.hi = a.hi + b.hi + (r.lo < a.lo);
	return r;
}

/* a - b for a >= b */
static u256
w_sub(u256 a, u256 b)
{
	u256 r;

	r.lo = a.lo - b.lo;
	r.hi = a.hi - b.hi - (a.lo < b.lo);
	return r;
}

/* a * b, exact: four 64x64 partial products. */
static u256
w_mul(u128 a, u128 b)
{
	u128 al = (uint64_t)a, ah = a >> 64, bl = (uint64_t)b, bh = b >> 64;
	u128 ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
	u128 mid = (ll >> 64) + (uint64_t)lh + (uint64_t)hl;
	u256 r;

	r.lo = (u128)(uint64_t)ll | mid << 64;
	r.hi = hh + (lh >> 64) + (hl >> 64) + (mid >> 64);
	return r;
}

/* a * m; the callers' bounds keep the product below 2^256. */
static u256
w_mul64(u256 a, uint64_t m)
{
	u256 r = w_mul(a.lo, m);

	r.hi += a.hi * m;
	return r;
}

/* a * 10^k */
static u256
w_scale(u256 a, int k)
{
	while (k > 0) {
		int c = k > 19 ? 19 : k;

		a = w_mul64(a, P10[c]);
		k -= c;
	}
	return a;
}

/* *a /= 10, returning the digit dropped. */
static unsigned
w_div10(u256 *a)
{
	uint64_t l[4] = { (uint64_t)(a->hi >> 64), (uint64_t)a->hi,
			  (uint64_t)(a->lo >> 64), (uint64_t)a->lo };
	u128 r = 0;
	int i;

	for (i = 0; i < 4; i++) {
		u128 cur = r << 64 | l[i];

		l[i] = (uint64_t)(cur / 10);
		r = cur % 10;
	}
	a->hi = (u128)l[0] << 64 | l[1];
	a->lo = (u128)l[2] << 64 | l[3];
	return (unsigned)r;
}

/* ---- mw_dec <-> 128-bit units ---- */

/* Any hi and units give a value below 2^127, so this cannot overflow. */
static i128
get(mw_dec d)
{
	return (i128)d.hi * B63 + d.units;
}

static u128
mag(mw_dec d, int *neg)
{
	i128 v = get(d);

	*neg = v < 0;
	return (u128)(v < 0 ? -v : v);
}

/* v with |v| <= MAXU; truncating division keeps hi and units of v's sign,
 * so units is never INT64_MIN. */
static void
put(i128 v, int scale, mw_dec *out)
{
	if (v < B63 && v > -B63) {
		out->units = (int64_t)v;
		out->hi = 0;
	} else {
		out->units = (int64_t)(v % B63);
		out->hi = (int64_t)(v / B63);
	}
	out->scale = scale;
}

static int
valid(mw_dec d)
{
	i128 v;

	if (d.scale < 0 || d.scale > DEC_MAX_SCALE)
		return 0;
	if (d.hi == 0)
		return 1;
	v = get(d);
	return (v < 0 ? (u128)-v : (u128)v) <= MAXU;
}

/*
 * Store (-1)^neg * m / 10^scale in out.  Scales above 28 are rounded to 28.
 * A value too wide for 37 digits drops trailing zeros of its fraction; with
 * round_to below EXACT it may also round (half away from zero) to fewer
 * places, but not below round_to: mul uses this so that an amount times a
 * rate of 28 places gives the product to the places that fit instead of
 * failing.  Rounding needs only the most significant digit dropped (5 or
 * more rounds away from zero) and whether any dropped digit was not 0.
 */
#define MUL_MIN_SCALE 6
static int
fit(int neg, u256 m, int scale, int round_to, mw_dec *out)
{
	int s = scale > DEC_MAX_SCALE ? DEC_MAX_SCALE : scale;
	unsigned rd = 0, inexact = 0;
	int k;

	for (k = scale; k > s; k--) {
		rd = w_div10(&m);
		inexact |= rd;
	}
	for (;;) {
		u256 q = m;

		if (inexact) {
			if (s < round_to && s < DEC_MAX_SCALE)
				break;
			if (rd >= 5)
				q = w_add(q, w_of(1));
		}
		if (q.hi == 0 && q.lo <= MAXU) {
			put(neg ? -(i128)q.lo : (i128)q.lo, s, out);
			return DEC_OK;
		}
		if (s == 0)
			break;
		rd = w_div10(&m);
		inexact |= rd;
		s--;
	}
	return DEC_E_RANGE;
}

/*
 * Decimal text: [+-]digits[.digits][(e|E)[+-]digits].  The value must be
 * representable exactly: the scale is kept as written while it fits, and
 * trailing zeros are dropped as needed ("1.000...0" with 40 zeros is 1,
 * "93.91000000000000000000" is 93.91 at scale 22); anything else beyond
 * scale 28 or 37 digits is DEC_E_RANGE.  Exponents are applied exactly
 * (1.5e3 = 1500, 1250E-2 = 12.50).
 */
int
dec_parse(const char *p, size_t n, mw_dec *out)
{
	const char *e = p + n, *q;
	int neg = 0;
	size_t nd = 0, tz = 0, nfrac = 0, k, i;
	const char *first = NULL;     /* first significant digit */
	int64_t exp = 0, e10;
	uint64_t u64 = 0;
	u128 u = 0;

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
		out->hi = 0;
		out->scale = nfrac > DEC_MAX_SCALE ? DEC_MAX_SCALE : (int32_t)nfrac;
		return DEC_OK;
	}
	if (nfrac > 100000000)
		return DEC_E_RANGE;
	/* value = D * 10^e10 with D the nd significant digits */
	e10 = exp - (int64_t)nfrac;
	/* Drop k trailing zeros of D: enough for scale <= 28 and <= 37 digits. */
	k = 0;
	if (e10 < -DEC_MAX_SCALE)
		k = (size_t)(-DEC_MAX_SCALE - e10);
	if (nd > DEC_MAX_DIGITS && nd - DEC_MAX_DIGITS > k)
		k = nd - DEC_MAX_DIGITS;
	if (k > tz)
		return DEC_E_RANGE;
	nd -= k;
	e10 += (int64_t)k;
	/* an integer: its digits are D's and e10 zeros */
	if (e10 > 0 && (int64_t)nd + e10 > DEC_MAX_DIGITS)
		return DEC_E_RANGE;
	for (q = first, i = 0; i < nd; q++) {
		if (*q == '.')
			continue;
		if (i < 19)   /* 64-bit arithmetic while it fits: most numbers */
			u64 = u64 * 10 + (uint64_t)(*q - '0');
		else
			u = (i == 19 ? u64 : u) * 10 + (u128)(*q - '0');
		i++;
	}
	if (nd <= 19)
		u = u64;
	if (e10 > 0)
		put((i128)(u * pow10_128((int)e10)) * (neg ? -1 : 1), 0, out);
	else
		put((i128)u * (neg ? -1 : 1), (int)-e10, out);
	return DEC_OK;
}

int
dec_from_int(int64_t i, mw_dec *out)
{
	put(i, 0, out);
	return DEC_OK;
}

int
dec_to_int(mw_dec d, int64_t *out)
{
	i128 v, p;

	if (!valid(d))
		return DEC_E_RANGE;
	v = get(d);
	p = (i128)pow10_128(d.scale);
	if (v % p != 0)
		return DEC_E_INEXACT;
	v /= p;
	if (v > INT64_MAX || v < INT64_MIN)
		return DEC_E_RANGE;
	*out = (int64_t)v;
	return DEC_OK;
}

static int
addsub(mw_dec a, mw_dec b, int sub, mw_dec *out)
{
	int s, an, bn;
	u256 x, y;

	if (!valid(a) || !valid(b))
		return DEC_E_RANGE;
	s = a.scale > b.scale ? a.scale : b.scale;
	/* the common case, amounts below 2^63 within 18 places of each other:
	 * aligned they stay below 2^123, their sum fits 128 bits */
	if (a.hi == 0 && b.hi == 0 && s - a.scale <= 18 && s - b.scale <= 18) {
		i128 x = (i128)a.units * (i128)P10[s - a.scale];
		i128 y = (i128)b.units * (i128)P10[s - b.scale];
		i128 v = sub ? x - y : x + y;

		if (v <= (i128)MAXU && v >= -(i128)MAXU) {
			put(v, s, out);
			return DEC_OK;
		}
	}
	x = w_scale(w_of(mag(a, &an)), s - a.scale);
	y = w_scale(w_of(mag(b, &bn)), s - b.scale);
	if (sub)
		bn = !bn;
	if (an == bn)
		return fit(an, w_add(x, y), s, EXACT, out);
	if (w_cmp(x, y) >= 0)
		return fit(an, w_sub(x, y), s, EXACT, out);
	return fit(bn, w_sub(y, x), s, EXACT, out);
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
 * SQL Server does), so an amount times a rate with 28 places still works
 * while a real overflow fails. */
int
dec_mul(mw_dec a, mw_dec b, mw_dec *out)
{
	int an, bn;
	u128 x, y;

	if (!valid(a) || !valid(b))
		return DEC_E_RANGE;
	/* units below 2^63 each: the product fits 127 bits */
	if (a.hi == 0 && b.hi == 0 && a.scale + b.scale <= DEC_MAX_SCALE) {
		i128 v = (i128)a.units * b.units;

		if (v <= (i128)MAXU && v >= -(i128)MAXU) {
			put(v, a.scale + b.scale, out);
			return DEC_OK;
		}
	}
	x = mag(a, &an);
	y = mag(b, &bn);
	return fit(an != bn, w_mul(x, y), a.scale + b.scale, MUL_MIN_SCALE, out);
}

/*
 * a / b at scale max(sa, sb, 6), half away from zero.  The quotient is
 * |ua| * 10^e / |ub| with e = s - sa + sb in 0..56, too wide for 256 bits
 * when computed directly, so it is produced by long division a digit at a
 * time; anything above MAXU * 10^28 cannot fit however many zeros it
 * sheds, which bounds the loop's values (and the remainder stays below
 * |ub| <= MAXU, so ten times it fits 128 bits).
 */
int
dec_div(mw_dec a, mw_dec b, mw_dec *out)
{
	int s, e, i, an, bn;
	u128 num, den, r;
	u256 q, bound = w_mul(MAXU, pow10_128(DEC_MAX_SCALE));

	if (!valid(a) || !valid(b))
		return DEC_E_RANGE;
	num = mag(a, &an);
	den = mag(b, &bn);
	if (den == 0)
		return DEC_E_DIV0;
	s = a.scale > b.scale ? a.scale : b.scale;
	if (s < 6)
		s = 6;
	e = s - a.scale + b.scale;
	if (num <= UINT64_MAX && e <= 19) {
		/* the common case: |ua| * 10^e fits 128 bits, one division */
		u128 n = num * P10[e];

		q = w_of(n / den);
		r = n % den;
		e = 0;
	} else {
		q = w_of(num / den);
		r = num % den;
	}
	for (i = 0; i < e; i++) {
		r *= 10;
		q = w_add(w_mul64(q, 10), w_of(r / den));
		r %= den;
		if (w_cmp(q, bound) > 0)
			return DEC_E_RANGE;
	}
	if (r * 2 >= den)
		q = w_add(q, w_of(1));
	return fit(an != bn, q, s, EXACT, out);
}

int
dec_neg(mw_dec a, mw_dec *out)
{
	if (!valid(a))
		return DEC_E_RANGE;
	put(-get(a), a.scale, out);
	return DEC_OK;
}

int
dec_abs(mw_dec a, mw_dec *out)
{
	int neg;

	if (!valid(a))
		return DEC_E_RANGE;
	put((i128)mag(a, &neg), a.scale, out);
	return DEC_OK;
}

int
dec_round(mw_dec a, int places, mw_dec *out)
{
	int neg, k;
	unsigned rd = 0;
	u256 m;

	if (!valid(a) || places < 0 || places > DEC_MAX_SCALE)
		return DEC_E_RANGE;
	if (places >= a.scale) {
		put(get(a), a.scale, out);
		return DEC_OK;
	}
	/* half away from zero needs only the first digit dropped; the result
	 * has fewer digits than a, so rounding up cannot overflow */
	m = w_of(mag(a, &neg));
	for (k = a.scale; k > places; k--)
		rd = w_div10(&m);
	if (rd >= 5)
		m = w_add(m, w_of(1));
	put(neg ? -(i128)m.lo : (i128)m.lo, places, out);
	return DEC_OK;
}

/*
 * Half to even (banker's rounding, IEEE 754's roundTiesToEven): a dropped
 * part of exactly one half goes to the even neighbour (2.345 -> 2.34,
 * 2.355 -> 2.36, -0.5 -> 0), anything else to the nearest.  Money written
 * in a currency's minor unit is rounded so (money(), convert()): a run of
 * ties does not drift upwards as half away from zero does.
 */
int
dec_round_even(mw_dec a, int places, mw_dec *out)
{
	int neg, k;
	unsigned rd = 0, sticky = 0;
	u256 m;

	if (!valid(a) || places < 0 || places > DEC_MAX_SCALE)
		return DEC_E_RANGE;
	if (places >= a.scale) {
		put(get(a), a.scale, out);
		return DEC_OK;
	}
	m = w_of(mag(a, &neg));
	for (k = a.scale; k > places; k--) {
		sticky |= rd;
		rd = w_div10(&m);
	}
	/* rd is the first digit dropped, sticky any digit after it */
	if (rd > 5 || (rd == 5 && (sticky || (m.lo & 1))))
		m = w_add(m, w_of(1));
	put(neg ? -(i128)m.lo : (i128)m.lo, places, out);
	return DEC_OK;
}

/* Robust to invalid operands (scales clamped), as comparisons never fail. */
int
dec_cmp(mw_dec a, mw_dec b)
{
	int an, bn, c;
	int sa = a.scale < 0 ? 0 : a.scale > DEC_MAX_SCALE ? DEC_MAX_SCALE : a.scale;
	int sb = b.scale < 0 ? 0 : b.scale > DEC_MAX_SCALE ? DEC_MAX_SCALE : b.scale;
	u256 x = w_of(mag(a, &an)), y = w_of(mag(b, &bn));

	if (x.lo == 0)
		an = 0;
	if (y.lo == 0)
		bn = 0;
	if (an != bn)
		return an ? -1 : 1;
	if (sa < sb)
		x = w_scale(x, sb - sa);
	else if (sb < sa)
		y = w_scale(y, sa - sb);
	c = w_cmp(x, y);
	return an ? -c : c;
}

/* The exact digits, without trailing zeros in the fraction: 19.990 prints
 * as 19.99, 20.00 as 20, -0.50 as -0.5, zero as 0. */
size_t
dec_format(mw_dec d, char *buf)
{
	char dig[40];
	u128 u;
	uint64_t v;
	int scale = d.scale, nd = 0, i, neg;
	size_t n = 0;

	if (!valid(d)) {
		memcpy(buf, "NaN", 4);
		return 3;
	}
	/* in 128 bits only while the units need them, most values never */
	u = mag(d, &neg);
	while (scale > 0 && u > UINT64_MAX && u % 10 == 0) {
		u /= 10;
		scale--;
	}
	for (; u > UINT64_MAX; u /= 10)
		dig[nd++] = (char)('0' + (int)(u % 10));
	v = (uint64_t)u;
	while (nd == 0 && scale > 0 && v % 10 == 0) {
		v /= 10;
		scale--;
	}
	if (nd == 0 && v == 0) {
		memcpy(buf, "0", 2);
		return 1;
	}
	for (; v; v /= 10)
		dig[nd++] = (char)('0' + (int)(v % 10));
	if (neg)
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
