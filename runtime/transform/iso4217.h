/*
 * iso4217.h - the ISO 4217 minor units behind currency_places() and
 * money() (value.c), generated at build time from CLDR's
 * supplementalData.xml (Debian's unicode-cldr-core) by scripts/gen_cldr.py
 * into the build directory: nothing reads CLDR at run time.  Sorted by
 * code for bisection.
 */
#ifndef MW_ISO4217_H
#define MW_ISO4217_H

#include <stddef.h>

typedef struct {
	char code[4];          /* "JPY" */
	signed char places;    /* minor units: JPY 0, USD 2, KWD 3 */
} iso_currency;

extern const iso_currency iso_currencies[];
extern const size_t iso_n_currencies;

#endif /* MW_ISO4217_H */
