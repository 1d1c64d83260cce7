/*
 * addr.c - postal addresses: country_code(), country_name(),
 * region_code(), tidy(), title(), postal_code().
 *
 * Countries and regions are looked up in the ISO 3166 tables the build
 * writes from Debian's iso-codes (iso3166.h; scripts/gen_iso.py), by a
 * folded spelling: case, blanks, punctuation and the accents of Latin-1
 * letters do not count, so "U.S.A.", "usa" and "United States of America"
 * are one key, and "Deutschland" is one of Germany's (iso-codes'
 * translations).  An unknown country fails the record naming the closest
 * countries by the compiler's edit distance (compiler/diag.c).
 */
#include <string.h>

#include "iso3166.h"
#include "transform.h"

#define KEY_MAX 128 /* a longer spelling is no country's */

/* The string argument (rt_str_arg), null as well once the record failed. */
static int
addr_arg(mw_ctx *c, const char *fn, mw_val v, const char **p, size_t *n)
{
	return mw_failed(c) ? 1 : rt_str_arg(c, fn, v, p, n);
}

/* The folded spelling of p (gen_iso.py's fold(): both must agree) into
 * out, NUL-terminated; 0 when it does not fit. */
static size_t
fold(const char *p, size_t n, char *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)p[i];
		const char *s = NULL;
		char one[2] = { 0, 0 };

		if (ch < 0x80) {
			if (ch >= 'A' && ch <= 'Z')
				one[0] = (char)(ch + 32);
			else if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'))
				one[0] = (char)ch;
			s = one;
		} else if ((ch == 0xC2 || ch == 0xC3) && i + 1 < n &&
			   ((unsigned char)p[i + 1] & 0xC0) == 0x80) {
			unsigned cp = (unsigned)(ch & 0x1F) << 6 | ((unsigned char)p[i + 1] & 0x3F);
			i++;
			s = cp >= 0xC0 ? iso_fold[cp - 0xC0] : "";
		} else {
			one[0] = (char)ch;
			s = one;
		}
		size_t k = strlen(s);
		if (o + k + 1 > cap)
			return 0;
		memcpy(out + o, s, k);
		o += k;
	}
	out[o] = '\0';
	return o;
}

static int
find_key(const iso_key *keys, size_t n, const char *key)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int x = strcmp(key, ISO_S(keys[mid].key));

		if (x == 0)
			return keys[mid].idx;
		if (x < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

#define N_CLOSE 3

/* The N_CLOSE countries with a spelling nearest the folded key, nearest
 * first (the earlier country on a tie), and of those the ones at most two
 * edits further than the nearest. */
static size_t
closest(const char *key, int *best)
{
	int dist[N_CLOSE];
	size_t nb = 0, lk = strlen(key);

	for (size_t i = 0; i < iso_n_country_keys; i++) {
		const iso_key *k = &iso_country_keys[i];
		size_t lc = strlen(ISO_S(k->key));
		size_t diff = lc > lk ? lc - lk : lk - lc;

		if (nb == N_CLOSE && diff >= (size_t)dist[N_CLOSE - 1])
			continue;
		int d = rt_osa(key, lk, ISO_S(k->key), lc, KEY_MAX); /* folded: case is gone */
		size_t at = nb;
		for (size_t j = 0; j < nb; j++) {
			if (best[j] == k->idx) {
				at = j;
				break;
			}
		}
		if (at < nb) {
			if (d >= dist[at])
				continue;
			for (; at + 1 < nb; at++) {
				best[at] = best[at + 1];
				dist[at] = dist[at + 1];
			}
			nb--;
		} else if (nb == N_CLOSE && d >= dist[N_CLOSE - 1]) {
			continue;
		} else if (nb == N_CLOSE) {
			nb--;
		}
		at = nb;
		while (at > 0 && (dist[at - 1] > d || (dist[at - 1] == d && best[at - 1] > k->idx))) {
			best[at] = best[at - 1];
			dist[at] = dist[at - 1];
			at--;
		}
		best[at] = k->idx;
		dist[at] = d;
		nb++;
	}
	while (nb > 1 && dist[nb - 1] > dist[0] + 2)
		nb--;
	return nb;
}

/* The index of the country spelt v; -1 for null or after a failure, which
 * an unknown country is: "unknown country "Untied States" (closest: United
 * States US)". */
static int
country_of(mw_ctx *c, const char *fn, mw_val v)
{
	const char *p;
	size_t n;
	char key[KEY_MAX + 1], q[64], msg[256];
	int best[N_CLOSE], idx = -1;

	if (addr_arg(c, fn, v, &p, &n))
		return -1;
	if (fold(p, n, key, sizeof key) > 0)
		idx = find_key(iso_country_keys, iso_n_country_keys, key);
	else
		key[0] = '\0';
	if (idx >= 0)
		return idx;
	tx_quote(q, sizeof q, p, n, 40);
	size_t nb = key[0] && n < KEY_MAX ? closest(key, best) : 0, o = 0;
	msg[0] = '\0';
	for (size_t i = 0; i < nb; i++)
		o += (size_t)snprintf(msg + o, sizeof msg - o, "%s%s %s", i ? ", " : " (closest: ",
			ISO_S(iso_countries[best[i]].name), ISO_S(iso_countries[best[i]].alpha2));
	mw_fail(c, "%s: unknown country %s%s%s", fn, q, msg, nb ? ")" : "");
	return -1;
}

mw_val
mw_fn_country_code(mw_ctx *c, mw_val v)
{
	int i = country_of(c, "country_code", v);

	if (i < 0)
		return MW_NULLV;
	return rt_str(ISO_S(iso_countries[i].alpha2), 2);
}

mw_val
mw_fn_country_name(mw_ctx *c, mw_val v)
{
	int i = country_of(c, "country_name", v);

	if (i < 0)
		return MW_NULLV;
	return rt_str(ISO_S(iso_countries[i].name), strlen(ISO_S(iso_countries[i].name)));
}

/* ASCII white space and U+00A0, as trim() (value.c) takes them. */
static size_t
blank_at(const char *p, size_t n, size_t i)
{
	unsigned char ch = (unsigned char)p[i];

	if (ch == ' ' || (ch >= '\t' && ch <= '\r'))
		return 1;
	if (ch == 0xC2 && i + 1 < n && (unsigned char)p[i + 1] == 0xA0)
		return 2;
	return 0;
}

/* p without blanks at either end, each run of blanks inside one space, in
 * the arena; NULL when it is out of memory. */
static char *
tidy_to(mw_ctx *c, const char *p, size_t n, size_t *out)
{
	char *buf = rt_bytes(c, n ? n : 1);
	size_t o = 0, k;
	int gap = 0;

	if (!buf)
		return NULL;
	for (size_t i = 0; i < n;) {
		if ((k = blank_at(p, n, i)) > 0) {
			gap = o > 0;
			i += k;
			continue;
		}
		if (gap)
			buf[o++] = ' ';
		gap = 0;
		buf[o++] = p[i++];
	}
	*out = o;
	return buf;
}

mw_val
mw_fn_tidy(mw_ctx *c, mw_val v)
{
	const char *p;
	size_t n, o;
	char *buf;

	if (addr_arg(c, "tidy", v, &p, &n))
		return MW_NULLV;
	buf = tidy_to(c, p, n, &o);
	/* a blank address line is no line */
	return buf && o ? rt_str(buf, o) : MW_NULLV;
}

mw_val
mw_fn_postal_code(mw_ctx *c, mw_val v)
{
	const char *p;
	size_t n, o;
	char *buf, *up;

	if (addr_arg(c, "postal_code", v, &p, &n))
		return MW_NULLV;
	buf = tidy_to(c, p, n, &o);
	up = buf && o ? rt_bytes(c, o) : NULL;
	return up ? rt_str(up, tx_case(up, buf, o, 1)) : MW_NULLV;
}

/* A capital: A-Z or U+00C0..U+00DE but U+00D7. */
static int
is_upper_at(const char *p, size_t n, size_t i)
{
	unsigned char ch = (unsigned char)p[i], nx = i + 1 < n ? (unsigned char)p[i + 1] : 0;

	return (ch >= 'A' && ch <= 'Z') || (ch == 0xC3 && nx >= 0x80 && nx <= 0x9E && nx != 0x97);
}

mw_val
mw_fn_title(mw_ctx *c, mw_val v)
{
	const char *p;
	size_t n, i = 0;
	char *buf;

	if (addr_arg(c, "title", v, &p, &n))
		return MW_NULLV;
	buf = rt_bytes(c, n ? n : 1);
	if (!buf)
		return MW_NULLV;
	memcpy(buf, p, n);
	/* each word written all in small letters gets a capital: "elm st." is
	 * "Elm St.", "winston-salem" "Winston-Salem"; "McKay" and "USA" stay */
	while (i < n) {
		size_t b = i, e;
		int upper = 0;

		while (b < n && (blank_at(p, n, b) || p[b] == '-'))
			b += p[b] == '-' ? 1 : blank_at(p, n, b);
		for (e = b; e < n && !blank_at(p, n, e) && p[e] != '-'; e++)
			upper |= is_upper_at(p, n, e);
		if (!upper && b < n) {
			unsigned char ch = (unsigned char)buf[b];
			unsigned char nx = b + 1 < n ? (unsigned char)buf[b + 1] : 0;

			if (ch >= 'a' && ch <= 'z')
				buf[b] = (char)(ch - 32);
			else if (ch == 0xC3 && nx >= 0xA0 && nx <= 0xBE && nx != 0xB7)
				buf[b + 1] = (char)(nx - 0x20);
		}
		i = e;
	}
	return rt_str(buf, n);
}

mw_val
mw_fn_region_code(mw_ctx *c, mw_val country, mw_val region)
{
	const char *p;
	size_t n, o, lk;
	char key[KEY_MAX + 4], *buf;
	int ci, r;

	if (mw_failed(c) || mw_is_null(region))
		return MW_NULLV;
	if (addr_arg(c, "region_code", region, &p, &n))
		return MW_NULLV;
	ci = country_of(c, "region_code", country);
	if (mw_failed(c))
		return MW_NULLV;
	buf = tidy_to(c, p, n, &o);
	if (!buf)
		return MW_NULLV;
	if (ci >= 0) {
		memcpy(key, ISO_S(iso_countries[ci].alpha2), 2);
		key[2] = ':';
		lk = fold(p, n, key + 3, sizeof key - 3);
		r = lk ? find_key(iso_region_keys, iso_n_region_keys, key) : -1;
		if (r >= 0) {
			const char *code = ISO_S(iso_region_codes[r]) + 3;
			return rt_str(code, strlen(code));
		}
	}
	/* not an ISO 3166-2 subdivision of the country: as written, tidied */
	return o ? rt_str(buf, o) : MW_NULLV;
}
