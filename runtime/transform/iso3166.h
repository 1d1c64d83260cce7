/*
 * iso3166.h - the ISO 3166 tables behind country_code() and region_code()
 * (addr.c), generated at build time from Debian's iso-codes by
 * scripts/gen_iso.py into the build directory: nothing reads iso-codes at
 * run time.  Keys are folded spellings (gen_iso.py's fold(), addr.c's
 * fold()), sorted by strcmp for bisection.
 */
#ifndef MW_ISO3166_H
#define MW_ISO3166_H

#include <stddef.h>
#include <stdint.h>

/* The tables hold offsets into iso_text, where each string ends with a 0
 * (ISO_S gives it): no pointer to relocate when the program loads, so they
 * stay in the file's pages, shared by every process running it. */
extern const char iso_text[];
#define ISO_S(off) (iso_text + (off))

typedef struct {
	uint32_t alpha2;       /* "DE" */
	uint32_t name;         /* "Germany": the English common name */
} iso_country;

typedef struct {
	uint32_t key;          /* "deutschland"; a region's "DE:by", "DE:bayern" */
	int idx;               /* into iso_countries or iso_region_codes */
} iso_key;

/* U+00C0..U+00FF in ASCII: "a" for U+00E4, "ss" for U+00DF, "" for U+00D7 */
extern const char *const iso_fold[64];
extern const iso_country iso_countries[];   /* by alpha2 */
extern const size_t iso_n_countries;
extern const iso_key iso_country_keys[];    /* codes, English names, translations */
extern const size_t iso_n_country_keys;
extern const uint32_t iso_region_codes[];   /* "US-CA" */
extern const iso_key iso_region_keys[];     /* "US:ca", "US:california" */
extern const size_t iso_n_region_keys;

#endif /* MW_ISO3166_H */
