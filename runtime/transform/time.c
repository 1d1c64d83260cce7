/*
 * time.c - dates and datetimes.
 *
 * A datetime keeps the offset it was written with: an order placed at
 * 23:30 in New York belongs to the 22nd in the books, although it is the
 * 23rd in UTC, so nothing here normalises to UTC.  Comparison is by instant
 * when both sides carry an offset; a datetime without one is compared as if
 * it were UTC, and a date as midnight at the other side's offset.
 *
 * Accepted: YYYY-MM-DD; YYYY-MM-DD(T| )HH:MM:SS[.f{1,9}][Z|+hh:mm|-hh:mm];
 * and Microsoft JSON dates /Date(ms[+-hhmm])/ as Xero sends them.  Calendars
 * are validated (leap years, 2026-02-30, 24:00:00 are rejected).  Offset 0
 * prints as Z.
 */
#include <string.h>

#include "transform.h"

static int
is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
month_days(int64_t y, int m)
{
	static const int d[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && is_leap(y) ? 29 : d[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
int64_t
tm_days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void
tm_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* Exactly k digits at p. */
static int
digits(const char *p, int k, int *v)
{
	int r = 0, i;

	for (i = 0; i < k; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		r = r * 10 + (p[i] - '0');
	}
	*v = r;
	return 0;
}

static int
floor_div(int64_t a, int64_t b, int64_t *q, int64_t *r)
{
	*q = a / b;
	*r = a % b;
	if (*r < 0) {
		*r += b;
		(*q)--;
	}
	return 0;
}

/* /Date(1573755038314+0000)/: milliseconds since the epoch (an instant)
 * and the offset the sender's clock had, shown as local time there. */
static int
parse_msdate(const char *p, size_t n, mw_time *t)
{
	const char *e = p + n, *q = p + 6;
	int neg = 0, nd = 0, oh = 0, om = 0, osign = 0, mon, day;
	int64_t ms = 0, secs, frac, days, sod, y;

	if (n < 9 || memcmp(e - 2, ")/", 2) != 0)
		return TM_E_SYNTAX;
	e -= 2;
	if (q < e && *q == '-') {
		neg = 1;
		q++;
	}
	for (; q < e && *q >= '0' && *q <= '9'; q++, nd++) {
		if (nd >= 15)
			return TM_E_SYNTAX; /* beyond year 9999 anyway */
		ms = ms * 10 + (*q - '0');
	}
	if (nd == 0)
		return TM_E_SYNTAX;
	if (neg)
		ms = -ms;
	if (q < e) {
		if (e - q != 5 || (*q != '+' && *q != '-'))
			return TM_E_SYNTAX;
		osign = *q == '-' ? -1 : 1;
		if (digits(q + 1, 2, &oh) || digits(q + 3, 2, &om) || oh > 23 || om > 59)
			return TM_E_SYNTAX;
	}
	memset(t, 0, sizeof *t);
	floor_div(ms, 1000, &secs, &frac);
	secs += (int64_t)(osign * (oh * 60 + om)) * 60;
	floor_div(secs, 86400, &days, &sod);
	tm_civil_from_days(days, &y, &mon, &day);
	if (y < 0 || y > 9999)
		return TM_E_SYNTAX;
	t->year = (int32_t)y;
	t->month = (int8_t)mon;
	t->day = (int8_t)day;
	t->hour = (int8_t)(sod / 3600);
	t->minute = (int8_t)(sod / 60 % 60);
	t->second = (int8_t)(sod % 60);
	t->has_time = 1;
	t->has_offset = 1;
	t->offset_min = (int16_t)(osign * (oh * 60 + om));
	t->nanos = (int32_t)(frac * 1000000);
	t->frac_digits = frac ? 3 : 0;
	return 0;
}

int
tm_parse(const char *p, size_t n, mw_time *out)
{
	mw_time t;
	int y, mo, d, h, mi, s;
	size_t i;

	if (n >= 6 && memcmp(p, "/Date(", 6) == 0)
		return parse_msdate(p, n, out);
	memset(&t, 0, sizeof t);
	if (n < 10 || digits(p, 4, &y) || p[4] != '-' || digits(p + 5, 2, &mo) ||
	    p[7] != '-' || digits(p + 8, 2, &d))
		return TM_E_SYNTAX;
	if (mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo))
		return TM_E_SYNTAX;
	t.year = y;
	t.month = (int8_t)mo;
	t.day = (int8_t)d;
	if (n == 10) {
		*out = t;
		return 0;
	}
	if (n < 19 || (p[10] != 'T' && p[10] != 't' && p[10] != ' ') ||
	    digits(p + 11, 2, &h) || p[13] != ':' || digits(p + 14, 2, &mi) ||
	    p[16] != ':' || digits(p + 17, 2, &s))
		return TM_E_SYNTAX;
	if (h > 23 || mi > 59 || s > 59)
		return TM_E_SYNTAX;
	t.hour = (int8_t)h;
	t.minute = (int8_t)mi;
	t.second = (int8_t)s;
	t.has_time = 1;
	i = 19;
	if (i < n && p[i] == '.') {
		int nd = 0;

		for (i++; i < n && p[i] >= '0' && p[i] <= '9'; i++, nd++) {
			if (nd == 9)
				return TM_E_SYNTAX;
			t.nanos = t.nanos * 10 + (p[i] - '0');
		}
		if (nd == 0)
			return TM_E_SYNTAX;
		t.frac_digits = (int8_t)nd;
		for (; nd < 9; nd++)
			t.nanos *= 10;
	}
	if (i < n && (p[i] == 'Z' || p[i] == 'z')) {
		t.has_offset = 1;
		i++;
	} else if (i < n && (p[i] == '+' || p[i] == '-')) {
		int oh, om;

		if (n - i < 6 || digits(p + i + 1, 2, &oh) || p[i + 3] != ':' ||
		    digits(p + i + 4, 2, &om) || oh > 23 || om > 59)
			return TM_E_SYNTAX;
		t.has_offset = 1;
		t.offset_min = (int16_t)((p[i] == '-' ? -1 : 1) * (oh * 60 + om));
		i += 6;
	}
	if (i != n)
		return TM_E_SYNTAX;
	*out = t;
	return 0;
}

/* Seconds since the epoch of the wall clock, minus the offset when used. */
static int64_t
instant(const mw_time *t, int16_t offset_min)
{
	return tm_days_from_civil(t->year, t->month, t->day) * 86400 +
	       t->hour * 3600 + t->minute * 60 + t->second - (int64_t)offset_min * 60;
}

int64_t
tm_epoch(const mw_time *t)
{
	return instant(t, t->has_offset ? t->offset_min : 0);
}

int
tm_cmp(const mw_time *a, const mw_time *b)
{
	mw_time x = *a, y = *b;
	int64_t sx, sy;

	if (!x.has_time && !y.has_time) {
		sx = tm_days_from_civil(x.year, x.month, x.day);
		sy = tm_days_from_civil(y.year, y.month, y.day);
		return sx < sy ? -1 : sx > sy;
	}
	/* A date against a datetime: midnight in the datetime's offset. */
	if (!x.has_time) {
		x.has_offset = y.has_offset;
		x.offset_min = y.offset_min;
	}
	if (!y.has_time) {
		y.has_offset = x.has_offset;
		y.offset_min = x.offset_min;
	}
	sx = instant(&x, x.has_offset ? x.offset_min : 0);
	sy = instant(&y, y.has_offset ? y.offset_min : 0);
	if (sx != sy)
		return sx < sy ? -1 : 1;
	return x.nanos < y.nanos ? -1 : x.nanos > y.nanos;
}

static char *
put2(char *p, int v)
{
	p[0] = (char)('0' + v / 10 % 10);
	p[1] = (char)('0' + v % 10);
	return p + 2;
}

static char *
put4(char *p, int v)
{
	p = put2(p, v / 100);
	return put2(p, v % 100);
}

static char *
put_offset(char *p, int off)
{
	*p++ = off < 0 ? '-' : '+';
	if (off < 0)
		off = -off;
	p = put2(p, off / 60);
	*p++ = ':';
	return put2(p, off % 60);
}

size_t
tm_format(const mw_time *t, char *buf)
{
	char *p = buf;

	p = put4(p, t->year);
	*p++ = '-';
	p = put2(p, t->month);
	*p++ = '-';
	p = put2(p, t->day);
	if (t->has_time) {
		*p++ = 'T';
		p = put2(p, t->hour);
		*p++ = ':';
		p = put2(p, t->minute);
		*p++ = ':';
		p = put2(p, t->second);
		if (t->frac_digits > 0 && t->frac_digits <= 9) {
			int32_t v = t->nanos;
			int i;

			for (i = t->frac_digits; i < 9; i++)
				v /= 10;
			*p++ = '.';
			for (i = t->frac_digits - 1; i >= 0; i--) {
				p[i] = (char)('0' + v % 10);
				v /= 10;
			}
			p += t->frac_digits;
		}
		if (t->has_offset) {
			if (t->offset_min == 0)
				*p++ = 'Z';
			else
				p = put_offset(p, t->offset_min);
		}
	}
	*p = '\0';
	return (size_t)(p - buf);
}

long
tm_strftime(const mw_time *t, const char *fmt, size_t fn, char *out)
{
	char *p = out;
	size_t i;

	for (i = 0; i < fn; i++) {
		if (fmt[i] != '%') {
			*p++ = fmt[i];
			continue;
		}
		if (++i == fn)
			return TM_E_FORMAT;
		switch (fmt[i]) {
		case 'Y': p = put4(p, t->year); break;
		case 'm': p = put2(p, t->month); break;
		case 'd': p = put2(p, t->day); break;
		case 'H': p = put2(p, t->hour); break;
		case 'M': p = put2(p, t->minute); break;
		case 'S': p = put2(p, t->second); break;
		case '%': *p++ = '%'; break;
		case 'z':
			if (!t->has_time || !t->has_offset)
				return TM_E_NO_OFFSET;
			p = put_offset(p, t->offset_min);
			break;
		default:
			return TM_E_FORMAT;
		}
	}
	return (long)(p - out);
}

mw_time
tm_date_of(const mw_time *t)
{
	mw_time d;

	memset(&d, 0, sizeof d);
	d.year = t->year;
	d.month = t->month;
	d.day = t->day;
	return d;
}
