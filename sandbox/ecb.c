/*
 * ecb.c - GET /_sandbox/ecb: a file of the ECB's euro foreign exchange
 * reference rates in the form of its eurofxref-hist.xml
 * (https://www.ecb.europa.eu/stats/eurofxref/eurofxref-hist.xml): one
 * <Cube time="YYYY-MM-DD"> per working day, newest first, each with a
 * <Cube currency="USD" rate="1.0512"/> per currency (1 EUR in it).  It
 * stands for the daily download a pair that takes its rates `from file`
 * reads (the demo's and the tests' clarity_xero): every weekday of 2026
 * (the ECB publishes none on Saturdays and Sundays), the same numbers
 * whatever the seed, four places (JPY two) as the ECB writes them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sandbox.h"

/* 1 EUR in each, in units of its last place: a base and a daily wobble */
static const struct { const char *code; long base, step; int places; } ecb[] = {
	{ "USD", 10400, 1, 4 }, { "JPY", 16000, 3, 2 }, { "GBP", 8300, 1, 4 },
	{ "CAD", 14500, 2, 4 }, { "AUD", 16100, 2, 4 }, { "CHF", 9300, 1, 4 },
};

char *
sb_ecb_xml(size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	char *b = malloc(cap);
	time_t jan1 = 1767225600; /* 2026-01-01T00:00:00Z */

	if (!b)
		return NULL;
	n += (size_t)snprintf(b, cap, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<gesmes:Envelope xmlns:gesmes=\"http://www.gesmes.org/xml/2002-08-01\" "
		"xmlns=\"http://www.ecb.int/vocabulary/2002-08-01/eurofxref\">\n"
		"\t<gesmes:subject>Reference rates</gesmes:subject>\n"
		"\t<gesmes:Sender><gesmes:name>European Central Bank</gesmes:name></gesmes:Sender>\n"
		"\t<Cube>\n");
	for (int doy = 364; doy >= 0; doy--) {
		time_t t = jan1 + (time_t)doy * 86400;
		struct tm tm;
		char day[16];

		gmtime_r(&t, &tm);
		if (tm.tm_wday == 0 || tm.tm_wday == 6)
			continue;
		strftime(day, sizeof day, "%Y-%m-%d", &tm);
		if (cap - n < 1024) {
			char *g = realloc(b, cap * 2);

			if (!g) {
				free(b);
				return NULL;
			}
			b = g;
			cap *= 2;
		}
		n += (size_t)snprintf(b + n, cap - n, "\t\t<Cube time=\"%s\">\n", day);
		for (size_t k = 0; k < sizeof ecb / sizeof *ecb; k++) {
			long v = ecb[k].base + ((long)doy * 37 % 97) * ecb[k].step, unit = 1;

			for (int p = 0; p < ecb[k].places; p++)
				unit *= 10;
			n += (size_t)snprintf(b + n, cap - n, "\t\t\t<Cube currency=\"%s\" "
				"rate=\"%ld.%0*ld\"/>\n", ecb[k].code, v / unit, ecb[k].places,
				v % unit);
		}
		n += (size_t)snprintf(b + n, cap - n, "\t\t</Cube>\n");
	}
	n += (size_t)snprintf(b + n, cap - n, "\t</Cube>\n</gesmes:Envelope>\n");
	*len = n;
	return b;
}
