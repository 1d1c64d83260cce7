/*
 * test_addr.c - postal addresses: country_code() and country_name() from
 * any spelling iso-codes knows (codes, English names, translations) and
 * the few it lacks, region_code() from an ISO 3166-2 code or name, an
 * unknown country's failure naming the closest, tidy(), title() and
 * postal_code().
 */
#include <stdio.h>
#include <string.h>

#include "transform.h"

#define CHECK_AREA "addr"
#include "check.h"
#include "show.h"

static mw_val
s(const char *p)
{
	mw_val v = { .kind = MW_STR };

	v.u.s.p = p;
	v.u.s.n = strlen(p);
	return v;
}

#define SAME(name, expr, want) do { \
	mw_val v_; \
	rt_ctx_reset(c); \
	v_ = (expr); \
	CHECK(name, strcmp(show(c, v_), (want)) == 0, "got %s want %s", show(c, v_), (want)); \
} while (0)

static void
country_cases(mw_ctx *c)
{
	static const struct { const char *in, *code; } cases[] = {
		{ "US", "US" }, { "us", "US" }, { "USA", "US" }, { "U.S.A.", "US" },
		{ " u. s. a ", "US" }, { "United States", "US" },
		{ "united states of america", "US" }, { "UNITED  STATES", "US" },
		{ "Deutschland", "DE" }, { "DEU", "DE" }, { "germany", "DE" },
		{ "Allemagne", "DE" }, { "UK", "GB" }, { "united kingdom", "GB" },
		{ "Great Britain", "GB" }, { "GBR", "GB" }, { "Österreich", "AT" },
		{ "osterreich", "AT" }, { "Côte d'Ivoire", "CI" }, { "cote divoire", "CI" },
		{ "España", "ES" }, { "South Korea", "KR" }, { "Viet Nam", "VN" },
		{ "Vietnam", "VN" }, { "Nederland", "NL" }, { "Holland", "NL" },
		{ "Schweiz", "CH" }, { "Russia", "RU" }, { "Czechia", "CZ" },
		{ "Czech Republic", "CZ" },
	};
	char name[96];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(name, sizeof name, "country_code %s", cases[i].in);
		SAME(name, mw_fn_country_code(c, s(cases[i].in)), cases[i].code);
	}
	SAME("country_name deu", mw_fn_country_name(c, s("deu")), "Germany");
	SAME("country_name u.s.", mw_fn_country_name(c, s("U.S.")), "United States");
	SAME("country_name common name", mw_fn_country_name(c, s("BO")), "Bolivia");
	SAME("country_code null", mw_fn_country_code(c, MW_NULLV), "<null>");
	SAME("country_code missing", mw_fn_country_code(c, (mw_val){ .kind = MW_MISSING }),
		"<null>");
	SAME("country_code a number", mw_fn_country_code(c, MW_I(840)),
		"FAIL: country_code: expected a string, got an integer");
	SAME("unknown country: the closest", mw_fn_country_code(c, s("Germny")),
		"FAIL: country_code: unknown country \"Germny\" (closest: Germany DE, "
		"Bermuda BM, Greece GR)");
	SAME("unknown country: a typo of a translation", mw_fn_country_code(c, s("Deutchland")),
		"FAIL: country_code: unknown country \"Deutchland\" (closest: Germany DE)");
	SAME("unknown country: only the near ones", mw_fn_country_code(c, s("Untied States")),
		"FAIL: country_code: unknown country \"Untied States\" (closest: United States US)");
	SAME("unknown country: only punctuation", mw_fn_country_code(c, s(" .- ")),
		"FAIL: country_code: unknown country \" .- \"");
	SAME("unknown country: empty", mw_fn_country_code(c, s("")),
		"FAIL: country_code: unknown country \"\"");
	rt_ctx_reset(c);
	mw_fn_country_code(c, s("Atlantis"));
	CHECK("unknown country fails the record", mw_failed(c) &&
		strstr(c->reason, "unknown country \"Atlantis\" (closest: ") != NULL, "%s", c->reason);
	rt_ctx_reset(c);
	mw_fail(c, "earlier");
	CHECK("a failed record stays failed", mw_fn_country_code(c, s("US")).kind == MW_NULL &&
		strcmp(c->reason, "earlier") == 0, "%s", c->reason);
}

static void
region_cases(mw_ctx *c)
{
	SAME("region code", mw_fn_region_code(c, s("US"), s("CA")), "CA");
	SAME("region lower-case code", mw_fn_region_code(c, s("usa"), s("ca")), "CA");
	SAME("region name", mw_fn_region_code(c, s("U.S.A."), s("California")), "CA");
	SAME("region name blanks and case", mw_fn_region_code(c, s("US"), s(" new  york ")), "NY");
	SAME("region district", mw_fn_region_code(c, s("US"), s("District of Columbia")), "DC");
	SAME("region of Canada", mw_fn_region_code(c, s("Canada"), s("ontario")), "ON");
	SAME("region translated country", mw_fn_region_code(c, s("Deutschland"), s("bayern")), "BY");
	SAME("region with an accent", mw_fn_region_code(c, s("DE"), s("Baden-Wurttemberg")), "BW");
	SAME("region of another country", mw_fn_region_code(c, s("CA"), s("California")),
		"California");
	SAME("region not in ISO 3166-2: tidied", mw_fn_region_code(c, s("US"), s("  Outer  Banks ")),
		"Outer Banks");
	SAME("region null", mw_fn_region_code(c, s("US"), MW_NULLV), "<null>");
	SAME("region of a null country: tidied", mw_fn_region_code(c, MW_NULLV, s(" tx ")), "tx");
	SAME("region of an unknown country", mw_fn_region_code(c, s("Atlantys"), s("TX")),
		"FAIL: region_code: unknown country \"Atlantys\" (closest: \xc3\x85land Islands AX, "
		"Argentina AR, Ireland IE)");
}

static void
text_cases(mw_ctx *c)
{
	SAME("tidy", mw_fn_tidy(c, s("  5  elm\tst.\n ")), "5 elm st.");
	SAME("tidy no-break space", mw_fn_tidy(c, s("\xc2\xa0" "a\xc2\xa0\xc2\xa0" "b ")), "a b");
	SAME("tidy blank is null", mw_fn_tidy(c, s(" \t ")), "<null>");
	SAME("tidy empty is null", mw_fn_tidy(c, s("")), "<null>");
	SAME("postal code blank is null", mw_fn_postal_code(c, s("  ")), "<null>");
	SAME("region blank is null", mw_fn_region_code(c, s("US"), s(" ")), "<null>");
	SAME("tidy null", mw_fn_tidy(c, MW_NULLV), "<null>");
	SAME("title", mw_fn_title(c, s("5 elm st.")), "5 Elm St.");
	SAME("title keeps capitals", mw_fn_title(c, s("springfield USA McKay")),
		"Springfield USA McKay");
	SAME("title Latin-1", mw_fn_title(c, s("\xc3\xa9vry m\xc3\xbcnchen")),
		"\xc3\x89vry M\xc3\xbcnchen");
	SAME("title blanks kept", mw_fn_title(c, s(" a  b ")), " A  B ");
	SAME("title hyphenated", mw_fn_title(c, s("winston-salem rue sainte-Catherine -x")),
		"Winston-Salem Rue Sainte-Catherine -X");
	SAME("postal code", mw_fn_postal_code(c, s(" sw1a   1aa ")), "SW1A 1AA");
	SAME("postal code digits", mw_fn_postal_code(c, s("78701")), "78701");
	SAME("postal code null", mw_fn_postal_code(c, MW_NULLV), "<null>");
	SAME("postal code a number", mw_fn_postal_code(c, MW_I(78701)),
		"FAIL: postal_code: expected a string, got an integer");
}

int
main(void)
{
	mw_ctx *c = rt_ctx_new();

	if (!c) {
		printf("[FAIL] addr/setup: no context\n");
		return 1;
	}
	country_cases(c);
	region_cases(c);
	text_cases(c);
	rt_ctx_free(c);
	return failures ? 1 : 0;
}
