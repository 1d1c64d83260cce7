/*
 * text.c - UTF-8 and small text helpers: validation, code point counting,
 * case mapping, integer formatting, quoted excerpts for messages.
 *
 * Strings inside the runtime are valid UTF-8 by construction (the JSON
 * reader validates its input, the compiler its literals), so the counting
 * and mapping helpers trust their input; only tx_utf8_seq validates.
 */
#include <string.h>

#include "transform.h"

size_t
tx_u64(char *buf, uint64_t v)
{
	char tmp[24];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	buf[n] = '\0';
	return n;
}

size_t
tx_i64(char *buf, int64_t v)
{
	if (v < 0) {
		buf[0] = '-';
		return 1 + tx_u64(buf + 1, (uint64_t)0 - (uint64_t)v);
	}
	return tx_u64(buf, (uint64_t)v);
}

/* RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF. */
size_t
tx_utf8_seq(const unsigned char *p, size_t avail)
{
	unsigned c = p[0];

	if (c < 0x80)
		return 1;
	if (c < 0xC2)
		return 0;
	if (c < 0xE0)
		return avail >= 2 && (p[1] & 0xC0) == 0x80 ? 2 : 0;
	if (c < 0xF0) {
		if (avail < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
			return 0;
		if (c == 0xE0 && p[1] < 0xA0)
			return 0;
		if (c == 0xED && p[1] >= 0xA0)
			return 0;
		return 3;
	}
	if (c < 0xF5) {
		if (avail < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 ||
		    (p[3] & 0xC0) != 0x80)
			return 0;
		if (c == 0xF0 && p[1] < 0x90)
			return 0;
		if (c == 0xF4 && p[1] >= 0x90)
			return 0;
		return 4;
	}
	return 0;
}

size_t
tx_utf8_valid_prefix(const char *p, size_t n)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t i = 0, k;

	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		k = tx_utf8_seq(s + i, n - i);
		if (!k)
			break;
		i += k;
	}
	return i;
}

size_t
tx_utf8_trunc(const char *p, size_t n)
{
	size_t i = n;

	/* Back off continuation bytes, then check that the lead byte's
	 * sequence is complete within n. */
	while (i > 0 && ((unsigned char)p[i - 1] & 0xC0) == 0x80 && n - i < 3)
		i--;
	if (i > 0 && (unsigned char)p[i - 1] >= 0xC0) {
		unsigned c = (unsigned char)p[i - 1];
		size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;

		if (n - (i - 1) >= len)
			return n;
		return i - 1;
	}
	return n;
}

size_t
tx_cp_count(const char *p, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		k += ((unsigned char)p[i] & 0xC0) != 0x80;
	return k;
}

size_t
tx_cp_offset(const char *p, size_t n, size_t k)
{
	size_t i = 0;

	while (i < n && k > 0) {
		i++;
		while (i < n && ((unsigned char)p[i] & 0xC0) == 0x80)
			i++;
		k--;
	}
	return i;
}

size_t
tx_utf8_put(char *dst, uint32_t cp)
{
	if (cp < 0x80) {
		dst[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		dst[0] = (char)(0xC0 | cp >> 6);
		dst[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		dst[0] = (char)(0xE0 | cp >> 12);
		dst[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		dst[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	dst[0] = (char)(0xF0 | cp >> 18);
	dst[1] = (char)(0x80 | (cp >> 12 & 0x3F));
	dst[2] = (char)(0x80 | (cp >> 6 & 0x3F));
	dst[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* Simple (one to one) case mappings of ASCII, Latin-1 Supplement, Latin
 * Extended-A, basic Greek and Cyrillic: the letters of the names and
 * addresses an accounting system sees in Europe.  Each maps a 1- or 2-byte
 * sequence to one no longer, so the result never grows. */
static uint32_t
to_upper(uint32_t c)
{
	if (c < 0x80)
		return c >= 'a' && c <= 'z' ? c - 32 : c;
	if (c >= 0xE0 && c <= 0xFE && c != 0xF7)
		return c - 32;
	if (c == 0xFF)
		return 0x178;
	if (c >= 0x100 && c <= 0x17F) {
		if (c == 0x131)
			return 'I';
		if ((c <= 0x12F || (c >= 0x132 && c <= 0x137) || (c >= 0x14A && c <= 0x177)))
			return c & 1 ? c - 1 : c;
		if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E))
			return c & 1 ? c : c - 1;
		return c;
	}
	if (c == 0x3C2)
		return 0x3A3;
	if (c >= 0x3B1 && c <= 0x3C9)
		return c - 32;
	if (c >= 0x430 && c <= 0x44F)
		return c - 32;
	if (c >= 0x450 && c <= 0x45F)
		return c - 80;
	return c;
}

static uint32_t
to_lower(uint32_t c)
{
	if (c < 0x80)
		return c >= 'A' && c <= 'Z' ? c + 32 : c;
	if (c >= 0xC0 && c <= 0xDE && c != 0xD7)
		return c + 32;
	if (c == 0x178)
		return 0xFF;
	if (c >= 0x100 && c <= 0x17F) {
		if (c == 0x130)
			return 'i';
		if ((c <= 0x12F || (c >= 0x132 && c <= 0x137) || (c >= 0x14A && c <= 0x177)))
			return c & 1 ? c : c + 1;
		if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E))
			return c & 1 ? c + 1 : c;
		return c;
	}
	if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2)
		return c + 32;
	if (c >= 0x410 && c <= 0x42F)
		return c + 32;
	if (c >= 0x400 && c <= 0x40F)
		return c + 80;
	return c;
}

size_t
tx_case(char *dst, const char *src, size_t n, int upper)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t i = 0, o = 0;

	while (i < n) {
		unsigned c = s[i];

		if (c < 0x80) {
			if (upper)
				dst[o++] = (char)(c >= 'a' && c <= 'z' ? c - 32 : c);
			else
				dst[o++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
			i++;
		} else if (c >= 0xC0 && c < 0xE0 && i + 1 < n) {
			uint32_t cp = (uint32_t)(c & 0x1F) << 6 | (s[i + 1] & 0x3F);

			o += tx_utf8_put(dst + o, upper ? to_upper(cp) : to_lower(cp));
			i += 2;
		} else {
			dst[o++] = (char)c;   /* other letters are left as they are */
			i++;
		}
	}
	return o;
}

size_t
tx_quote(char *buf, size_t cap, const char *p, size_t n, size_t max)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, i, lim = n > max ? tx_utf8_trunc(p, max) : n;

	buf[o++] = '"';
	for (i = 0; i < lim && o + 8 < cap; i++) {
		unsigned char ch = (unsigned char)p[i];

		if (ch == '"' || ch == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)ch;
		} else if (ch < 0x20) {
			memcpy(buf + o, "\\u00", 4);
			buf[o + 4] = hex[ch >> 4];
			buf[o + 5] = hex[ch & 15];
			o += 6;
		} else {
			buf[o++] = (char)ch;
		}
	}
	if (i < n) {
		/* cut by cap in the middle of a sequence: back to a boundary */
		o = 1 + tx_utf8_trunc(buf + 1, o - 1);
		if (o + 4 < cap) {
			memcpy(buf + o, "...", 3);
			o += 3;
		}
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return o;
}

int
tx_cmp_z(const char *p, size_t n, const char *z)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char a = (unsigned char)p[i], b = (unsigned char)z[i];

		if (b == 0)
			return 1;
		if (a != b)
			return a < b ? -1 : 1;
	}
	return z[n] ? -1 : 0;
}
