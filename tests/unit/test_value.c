/*
 * test_value.c - what expressions compute: mw_get conversions, iteration,
 * comparison and truth, string functions (code points, case mapping),
 * table lookups with their else branches, references, and the arena cap.
 */
#include <stdio.h>
#include <string.h>

#include "transform.h"

#define CHECK_AREA "value"
#include "check.h"
#include "show.h"

#define SAME(name, expr, want) do { \
	mw_val v_; \
	rt_ctx_reset(c); \
	v_ = (expr); \
	CHECK(name, strcmp(show(c, v_), (want)) == 0, "got %s want %s", show(c, v_), (want)); \
} while (0)

static mw_val
record(mw_ctx *c, const char *json)
{
	const mw_node *root;
	json_err e;

	rt_ctx_reset(c);
	if (json_parse(&c->a, json, strlen(json), &root, &e)) {
		printf("[FAIL] value/parse %s: %s\n", json, e.msg);
		failures++;
		return MW_NULLV;
	}
	return rt_node_val(c, root, NULL);
}

static void
get_cases(mw_ctx *c)
{
	static const char rec[] =
		"{\"s\":\"abc\",\"n\":19.99,\"i\":42,\"f\":3.0,\"h\":3.5,\"si\":\"17\","
		"\"sd\":\"-0.25\",\"b\":true,\"z\":null,\"o\":{\"k\":\"v\"},\"a\":[1,\"x\",null],"
		"\"wide\":123456789012345678901,\"big\":12345678901234567890123456789012345678,"
		"\"net\":93.91000000000000000000,\"e\":1.2500E+3,\"q\":3.000000000000000000000000000000,"
		"\"qe\":30E-1,\"tiny\":1e-29}";
	mw_val r, v;
	mw_iter it;
	int k;

	r = record(c, rec);
	v = mw_get(c, r, "s", MW_STR, 1);
	CHECK("get string", v.kind == MW_STR && strcmp(show(c, v), "abc") == 0, "%s", show(c, v));
	v = mw_get(c, r, "n", MW_STR, 1);
	CHECK("get number as string", strcmp(show(c, v), "19.99") == 0, "%s", show(c, v));
	v = mw_get(c, r, "i", MW_INT, 1);
	CHECK("get int", v.kind == MW_INT && v.u.i == 42, "%s", show(c, v));
	v = mw_get(c, r, "f", MW_INT, 1);
	CHECK("get 3.0 as int", v.kind == MW_INT && v.u.i == 3, "%s", show(c, v));
	v = mw_get(c, r, "si", MW_INT, 1);
	CHECK("get \"17\" as int", v.kind == MW_INT && v.u.i == 17, "%s", show(c, v));
	v = mw_get(c, r, "sd", MW_DEC, 1);
	CHECK("get \"-0.25\" as decimal", v.kind == MW_DEC && v.u.d.units == -25 &&
	      v.u.d.scale == 2, "%s", show(c, v));
	v = mw_get(c, r, "i", MW_DEC, 1);
	CHECK("get int as decimal", v.kind == MW_DEC && strcmp(show(c, v), "42") == 0, "%s",
	      show(c, v));
	v = mw_get(c, r, "b", MW_BOOL, 1);
	CHECK("get bool", v.kind == MW_BOOL && v.u.b == 1, "%s", show(c, v));
	v = mw_get(c, r, "absent", MW_STR, 0);
	CHECK("absent is MISSING", v.kind == MW_MISSING && !mw_failed(c), "%d", v.kind);
	v = mw_get(c, r, "z", MW_STR, 0);
	CHECK("null is NULL", v.kind == MW_NULL && !mw_failed(c), "%d", v.kind);
	v = mw_get(c, mw_get(c, r, "absent", MW_OBJ, 0), "k", MW_STR, 1);
	CHECK("a field of a missing object is MISSING", v.kind == MW_MISSING && !mw_failed(c),
	      "%s", show(c, v));
	v = mw_get(c, mw_get(c, r, "o", MW_OBJ, 1), "k", MW_STR, 1);
	CHECK("nested get", strcmp(show(c, v), "v") == 0, "%s", show(c, v));
	v = mw_get(c, r, "o", MW_MISSING, 1);
	CHECK("object as it is", v.kind == MW_OBJ, "%d", v.kind);
	v = mw_get(c, r, "wide", MW_MISSING, 1);
	CHECK("a 21-digit integer as it is is a decimal", v.kind == MW_DEC &&
	      strcmp(show(c, v), "123456789012345678901") == 0, "%s", show(c, v));
	v = mw_get(c, r, "net", MW_MISSING, 1);
	CHECK(".NET's trailing zeros as it is", v.kind == MW_DEC &&
	      strcmp(show(c, v), "93.91") == 0, "%s", show(c, v));
	v = mw_get(c, r, "net", MW_DEC, 1);
	CHECK(".NET's trailing zeros as a decimal", strcmp(show(c, v), "93.91") == 0, "%s",
	      show(c, v));
	v = mw_get(c, r, "e", MW_DEC, 1);
	CHECK("1.2500E+3 as a decimal", strcmp(show(c, v), "1250") == 0, "%s", show(c, v));
	v = mw_get(c, r, "e", MW_INT, 1);
	CHECK("1.2500E+3 as an integer", v.kind == MW_INT && v.u.i == 1250, "%s", show(c, v));
	v = mw_get(c, r, "q", MW_INT, 1);
	CHECK("3.000000000000000000000000000000 as an integer", v.kind == MW_INT && v.u.i == 3,
	      "%s", show(c, v));
	v = mw_get(c, r, "qe", MW_INT, 1);
	CHECK("30E-1 as an integer", v.kind == MW_INT && v.u.i == 3, "%s", show(c, v));
	v = mw_get(c, r, "wide", MW_INT, 1);
	CHECK("a 21-digit integer as an integer fails", mw_failed(c) && strcmp(c->reason,
	      "field wide: number 123456789012345678901 is out of range for an integer") == 0,
	      "%s", c->reason);
	rt_ctx_reset(c);
	r = record(c, rec);
	v = mw_get(c, r, "tiny", MW_DEC, 1);
	CHECK("1e-29 as a decimal fails", mw_failed(c) && strcmp(c->reason,
	      "field tiny: number 1e-29 does not fit a decimal (37 digits, 28 places)") == 0,
	      "%s", c->reason);
	rt_ctx_reset(c);
	r = record(c, rec);
	v = mw_get(c, r, "big", MW_MISSING, 1);
	CHECK("a 38-digit integer as it is fails", mw_failed(c) && strcmp(c->reason,
	      "big: number 12345678901234567890123456789012345678 is out of range") == 0,
	      "%s", c->reason);

	r = record(c, rec);
	v = mw_get(c, r, "h", MW_INT, 1);
	CHECK("3.5 is not an integer", mw_failed(c) &&
	      strcmp(c->reason, "field h: expected an integer, got 3.5") == 0, "%s", c->reason);
	r = record(c, rec);
	v = mw_get(c, r, "s", MW_DEC, 1);
	CHECK("text is not a decimal", mw_failed(c) &&
	      strcmp(c->reason, "field s: expected a decimal, got \"abc\"") == 0, "%s",
	      c->reason);
	r = record(c, rec);
	v = mw_get(c, r, "o", MW_STR, 1);
	CHECK("an object is not a string", mw_failed(c) &&
	      strcmp(c->reason, "field o: expected a string, got an object") == 0, "%s",
	      c->reason);
	r = record(c, rec);
	v = mw_get(c, r, "absent", MW_STR, 1);
	CHECK("missing required field", mw_failed(c) &&
	      strcmp(c->reason, "missing required field absent") == 0, "%s", c->reason);
	r = record(c, rec);
	v = mw_get(c, r, "z", MW_STR, 1);
	CHECK("required field null", mw_failed(c) &&
	      strcmp(c->reason, "required field z is null") == 0, "%s", c->reason);
	r = record(c, rec);
	v = mw_get(c, mw_get(c, r, "s", MW_STR, 1), "k", MW_STR, 0);
	CHECK("a field of a string fails", mw_failed(c), "accepted");
	v = mw_get(c, r, "s", MW_STR, 1);
	CHECK("a failed context returns NULL", v.kind == MW_NULL, "%d", v.kind);

	/* iteration */
	r = record(c, rec);
	mw_iter_init(c, &it, mw_get(c, r, "a", MW_ARR, 1));
	k = 0;
	while (mw_iter_next(c, &it, &v)) {
		static const mw_kind kinds[] = { MW_INT, MW_STR, MW_NULL };

		CHECK("iteration element kind", k < 3 && v.kind == kinds[k] && it.index == k,
		      "%d: %d", k, v.kind);
		k++;
	}
	CHECK("iteration count", k == 3 && !mw_failed(c), "%d", k);
	mw_iter_init(c, &it, mw_get(c, r, "absent", MW_ARR, 0));
	CHECK("MISSING iterates zero times", !mw_iter_next(c, &it, &v) && !mw_failed(c), "ran");
	SAME("len of an array", mw_fn_len(c, mw_get(c, record(c, rec), "a", MW_ARR, 1)), "3");
	r = record(c, rec);
	mw_iter_init(c, &it, mw_get(c, r, "s", MW_STR, 1));
	CHECK("iterating a string fails", mw_failed(c) &&
	      strcmp(c->reason, "cannot iterate over a string") == 0, "%s", c->reason);
}

static void
compare_cases(mw_ctx *c)
{
	SAME("NULL == MISSING", mw_eq(c, MW_NULLV, (mw_val){ .kind = MW_MISSING }), "true");
	SAME("NULL != 1", mw_ne(c, MW_NULLV, MW_I(1)), "true");
	SAME("NULL < 1 is false", mw_lt(c, MW_NULLV, MW_I(1)), "false");
	SAME("NULL >= NULL is false", mw_ge(c, MW_NULLV, MW_NULLV), "false");
	SAME("\"a\" < \"b\"", mw_lt(c, MW_S("a"), MW_S("b")), "true");
	SAME("\"ab\" > \"a\"", mw_gt(c, MW_S("ab"), MW_S("a")), "true");
	SAME("\"\xC3\xA9\" > \"z\" bytewise", mw_gt(c, MW_S("\xC3\xA9"), MW_S("z")), "true");
	SAME("\"1\" == 1 is false", mw_eq(c, MW_S("1"), MW_I(1)), "false");
	SAME("\"1\" < 1 fails", mw_lt(c, MW_S("1"), MW_I(1)),
	     "FAIL: cannot compare a string with an integer");
	SAME("true == true", mw_eq(c, MW_B(1), MW_B(1)), "true");
	SAME("le equal", mw_le(c, MW_D(10, 1), MW_I(1)), "true");
	SAME("ge", mw_ge(c, MW_I(2), MW_D(19, 1)), "true");
	SAME("within NULL is false", mw_within(c, MW_NULLV, MW_I(1), MW_D(1, 2)), "false");

	rt_ctx_reset(c);
	CHECK("only true is truthy", mw_truthy(c, MW_B(1)) && !mw_truthy(c, MW_B(0)) &&
	      !mw_truthy(c, MW_NULLV) && !mw_truthy(c, MW_S("true")) && !mw_truthy(c, MW_I(1)),
	      "truth");
	SAME("not MISSING is true", mw_not(c, (mw_val){ .kind = MW_MISSING }), "true");
	SAME("not true", mw_not(c, MW_B(1)), "false");
	rt_ctx_reset(c);
	CHECK("is_null", mw_is_null(MW_NULLV) && mw_is_null((mw_val){ .kind = MW_MISSING }) &&
	      !mw_is_null(MW_S("")) && !mw_is_null(MW_I(0)), "is_null");
	SAME("coalesce", mw_coalesce(MW_NULLV, MW_S("b")), "b");
	SAME("coalesce keeps a value", mw_coalesce(MW_S(""), MW_S("b")), "");
	SAME("add a string fails", mw_add(c, MW_S("1"), MW_I(1)),
	     "FAIL: cannot add a string and an integer");
}

static void
string_cases(mw_ctx *c)
{
	SAME("concat", mw_concat(c, MW_S("Discount "), MW_S("SAVE10")), "Discount SAVE10");
	SAME("concat NULL is empty", mw_concat(c, mw_concat(c, MW_NULLV, MW_S(" ")), MW_NULLV),
	     " ");
	SAME("concat numbers and dates", mw_concat(c, mw_concat(c, MW_D(1990, 2), MW_S("/")),
						   MW_I(-3)), "19.9/-3");
	SAME("lower ASCII", mw_fn_lower(c, MW_S("Jane.DOE@Example.COM")), "jane.doe@example.com");
	SAME("upper ASCII", mw_fn_upper(c, MW_S("abc-xyz 09")), "ABC-XYZ 09");
	SAME("lower Latin-1",
	     mw_fn_lower(c, MW_S("\xC3\x89\x43OLE \xC3\x80\xC3\x96\xC3\x98\xC3\x9E \xC3\x97")),
	     "\xC3\xA9\x63ole \xC3\xA0\xC3\xB6\xC3\xB8\xC3\xBE \xC3\x97");
	SAME("upper Latin-1",
	     mw_fn_upper(c, MW_S("\xC3\xA9t\xC3\xA9 \xC3\xBF stra\xC3\x9F\x65 \xC3\xB7")),
	     "\xC3\x89T\xC3\x89 \xC5\xB8 STRA\xC3\x9F\x45 \xC3\xB7");
	SAME("upper Latin Extended-A", mw_fn_upper(c, MW_S("\xC5\x82\xC3\xB3\x64\xC5\xBA")),
	     "\xC5\x81\xC3\x93\x44\xC5\xB9");
	SAME("lower Cyrillic and Greek",
	     mw_fn_lower(c, MW_S("\xD0\x9C\xD0\x98\xD0\xA0 \xCE\xA3\xCE\x91")),
	     "\xD0\xBC\xD0\xB8\xD1\x80 \xCF\x83\xCE\xB1");
	SAME("lower keeps other scripts", mw_fn_lower(c, MW_S("\xE6\x9D\xB1\xE4\xBA\xAC A")),
	     "\xE6\x9D\xB1\xE4\xBA\xAC a");
	SAME("lower NULL", mw_fn_lower(c, MW_NULLV), "<null>");
	SAME("trim", mw_fn_trim(c, MW_S(" \t a b \r\n")), "a b");
	SAME("trim no-break spaces", mw_fn_trim(c, MW_S("\xC2\xA0x\xC2\xA0")), "x");
	SAME("sku trims and upper-cases", mw_fn_sku(c, MW_S("mug-01 ")), "MUG-01");
	SAME("sku: a space is a dash", mw_fn_sku(c, MW_S("MUG 01")), "MUG-01");
	SAME("sku: an underscore is a dash", mw_fn_sku(c, MW_S("mug_01")), "MUG-01");
	SAME("sku: dots, slashes, runs, ends", mw_fn_sku(c, MW_S("\t-a./b__c  - d\xC2\xA0\n")),
	     "A-B-C-D");
	SAME("sku without separators", mw_fn_sku(c, MW_S("mug01")), "MUG01");
	SAME("sku upper-cases Latin-1", mw_fn_sku(c, MW_S("th\xC3\xA9 1")), "TH\xC3\x89-1");
	SAME("sku of separators only", mw_fn_sku(c, MW_S(" _./ ")), "");
	SAME("sku of the empty string", mw_fn_sku(c, MW_S("")), "");
	SAME("sku NULL", mw_fn_sku(c, MW_NULLV), "<null>");
	SAME("sku of an integer fails", mw_fn_sku(c, MW_I(7)),
	     "FAIL: sku: expected a string, got an integer");
	SAME("trim all", mw_fn_trim(c, MW_S("   ")), "");
	SAME("len counts code points",
	     mw_fn_len(c, MW_S("h\xC3\xA9llo\xE2\x82\xAC\xF0\x9F\x98\x80")), "7");
	SAME("substr code points",
	     mw_fn_substr(c, MW_S("h\xC3\xA9llo\xE2\x82\xAC"), MW_I(1), MW_I(5)),
	     "\xC3\xA9llo\xE2\x82\xAC");
	SAME("substr to the end", mw_fn_substr(c, MW_S("abcdef"), MW_I(2), MW_NULLV), "cdef");
	SAME("substr past the end", mw_fn_substr(c, MW_S("abc"), MW_I(5), MW_I(2)), "");
	SAME("substr long length", mw_fn_substr(c, MW_S("abc"), MW_I(1), MW_I(99)), "bc");
	SAME("substr negative start", mw_fn_substr(c, MW_S("abc"), MW_I(-1), MW_I(1)),
	     "FAIL: substr: negative start -1");
	SAME("replace every occurrence", mw_fn_replace(c, MW_S("a-b--c"), MW_S("-"), MW_S("+=")),
	     "a+=b+=+=c");
	SAME("replace shrinking", mw_fn_replace(c, MW_S("aaaa"), MW_S("aa"), MW_S("b")), "bb");
	SAME("replace with nothing", mw_fn_replace(c, MW_S("x, y"), MW_S(", "), MW_NULLV), "xy");
	SAME("replace empty pattern", mw_fn_replace(c, MW_S("abc"), MW_S(""), MW_S("x")), "abc");
	SAME("string of true", mw_fn_string(c, MW_B(1)), "true");
	SAME("string of an integer", mw_fn_string(c, MW_I(-7)), "-7");
	SAME("len of a number fails", mw_fn_len(c, MW_I(5)),
	     "FAIL: len: expected a string or an array, got an integer");
}

static const mw_entry gl_entries[] = {
	{ "42", MW_V_S("forty-two") },
	{ "paypal", MW_V_S("1210") },
	{ "visa", MW_V_S("1200") },
	{ "\xC3\xA9", MW_V_S("e-acute") },
};
static const mw_table gl = {
	"payment_gl", gl_entries, 4, MW_ELSE_FAIL, MW_V_NULL,
	"no GL account for payment method", 61
};
static const mw_entry ch_entries[] = {
	{ "19.9", MW_V_S("dec") },
	{ "mobile", MW_V_S("App") },
	{ "web", MW_V_S("Online") },
};
static const mw_table ch = {
	"channel", ch_entries, 3, MW_ELSE_VALUE, MW_V_S("Other"), NULL, 62
};
static const mw_table st = {
	"order_status", ch_entries, 3, MW_ELSE_NONE, MW_V_NULL, NULL, 55
};

static int
resolve(mw_ctx *c, void *data, const char *entity, mw_val key, mw_val *out)
{
	(void)c;
	if (strcmp(entity, "Customer") == 0 && key.kind == MW_STR) {
		*out = *(const mw_val *)data;
		return 0;
	}
	mw_fail(c, "record of %s not synced yet", entity);
	return -1;
}

/* The nearest keys: the compiler's metric (compiler/diag.c) and limit. */
static void
near_cases(void)
{
	rt_near nr;
	char buf[256];
	static const char *const keys[] = { "MUG-01", "MUG-10", "TEE-02", "MUG-011", "mug-02",
		"CAP-03", "MUG-1" };

	CHECK("distance equal", rt_distance("abc", 3, "abc", 3) == 0, "not 0");
	CHECK("distance ignores case", rt_distance("Visa", 4, "vISA", 4) == 0, "not 0");
	CHECK("distance substitution", rt_distance("bitcon", 6, "bitcoin", 7) == 1, "not 1");
	CHECK("distance transposition is one", rt_distance("MUG-10", 6, "MUG-01", 6) == 1,
	      "got %d", rt_distance("MUG-10", 6, "MUG-01", 6));
	CHECK("distance from empty", rt_distance("", 0, "abcd", 4) == 4, "not 4");
	CHECK("distance of a long key is far", rt_distance("a", 1,
	      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 65) == 1000,
	      "not 1000");
	rt_near_init(&nr, "MUG-O1", 6);
	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
		rt_near_add(&nr, keys[i], strlen(keys[i]));
	buf[0] = '\0';
	rt_near_text(&nr, buf, sizeof buf);
	CHECK("nearest three, by distance then bytes",
	      strcmp(buf, "; nearest: \"MUG-01\", \"MUG-1\", \"MUG-011\"?") == 0, "got %s", buf);
	rt_near_init(&nr, "LANTERN-99", 10);
	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
		rt_near_add(&nr, keys[i], strlen(keys[i]));
	snprintf(buf, sizeof buf, "x");
	rt_near_text(&nr, buf, sizeof buf);
	CHECK("nothing near", strcmp(buf, "x; no key is near;") == 0, "got %s", buf);
	rt_near_init(&nr, "ab", 2);
	rt_near_add(&nr, "abcd", 4);
	rt_near_add(&nr, "xy", 2);
	rt_near_add(&nr, "AB", 2);
	buf[0] = '\0';
	rt_near_text(&nr, buf, sizeof buf);
	CHECK("a short key's limit is one", strcmp(buf, "; nearest: \"AB\"?") == 0, "got %s", buf);
}

static void
table_cases(mw_ctx *c)
{
	mw_val target = MW_S("CONTACT-9");

	SAME("lookup hit", mw_lookup(c, &gl, MW_S("visa")), "1200");
	SAME("lookup hit first", mw_lookup(c, &gl, MW_S("42")), "forty-two");
	SAME("lookup hit last", mw_lookup(c, &gl, MW_S("\xC3\xA9")), "e-acute");
	SAME("lookup an integer by its text", mw_lookup(c, &gl, MW_I(42)), "forty-two");
	SAME("lookup a decimal by canonical text", mw_lookup(c, &ch, MW_D(1990, 2)), "dec");
	SAME("lookup miss, else fail", mw_lookup(c, &gl, MW_S("bitcoin")),
	     "FAIL: no GL account for payment method (payment_gl[\"bitcoin\"]); no key is near;"
	     " add it to table payment_gl (the .map:61)");
	SAME("lookup NULL key takes else", mw_lookup(c, &gl, MW_NULLV),
	     "FAIL: no GL account for payment method (payment_gl[null])");
	SAME("lookup prefix is a miss", mw_lookup(c, &gl, MW_S("vis")),
	     "FAIL: no GL account for payment method (payment_gl[\"vis\"]); nearest: \"visa\"?"
	     " add it to table payment_gl (the .map:61)");
	SAME("lookup longer is a miss", mw_lookup(c, &gl, MW_S("visas")),
	     "FAIL: no GL account for payment method (payment_gl[\"visas\"]); nearest: \"visa\"?"
	     " add it to table payment_gl (the .map:61)");
	SAME("lookup key quoted in the reason", mw_lookup(c, &gl, MW_S("a\"b")),
	     "FAIL: no GL account for payment method (payment_gl[\"a\\\"b\"]); no key is near;"
	     " add it to table payment_gl (the .map:61)");
	SAME("lookup miss, else value", mw_lookup(c, &ch, MW_S("fax")), "Other");
	SAME("lookup MISSING, else value", mw_lookup(c, &ch, (mw_val){ .kind = MW_MISSING }),
	     "Other");
	SAME("lookup miss, no else", mw_lookup(c, &st, MW_S("lost")),
	     "FAIL: no entry (order_status[\"lost\"]); no key is near; add it to table order_status"
	     " (the .map:55)");
	SAME("lookup an object fails", mw_lookup(c, &st, mw_get(c, record(c, "{\"o\":{}}"), "o",
							     MW_OBJ, 1)),
	     "FAIL: order_status: cannot look up an object");

	SAME("ref in transform is the key", mw_ref(c, "Customer", MW_S("C-1")), "C-1");
	SAME("ref of an integer key", mw_ref(c, "Customer", MW_I(7)), "7");
	SAME("ref of NULL", mw_ref(c, "Customer", MW_NULLV), "<null>");
	rt_ctx_set_ref(c, resolve, &target);
	SAME("ref through the hook", mw_ref(c, "Customer", MW_S("C-1")), "CONTACT-9");
	SAME("ref hook failure", mw_ref(c, "Order", MW_S("C-1")),
	     "FAIL: record of Order not synced yet");
	rt_ctx_set_ref(c, NULL, NULL);
}

static void
arena_cases(void)
{
	arena a;
	void *p, *q;
	size_t i;
	int ok = 1;

	if (arena_init(&a, 1024, 1 << 20)) {
		CHECK("arena init", 0, "failed");
		return;
	}
	p = arena_alloc(&a, 10);
	q = arena_alloc(&a, 10);
	CHECK("arena aligned", ((uintptr_t)p % _Alignof(max_align_t)) == 0 &&
	      ((uintptr_t)q % _Alignof(max_align_t)) == 0, "%p %p", p, q);
	for (i = 0; i < 100 && ok; i++)
		ok = arena_alloc(&a, 5000) != NULL;
	CHECK("arena grows past its first chunk", ok, "failed at %zu", i);
	for (i = 0; i < 1000 && arena_alloc(&a, 5000); i++)
		;
	CHECK("arena cap fails the allocation", i < 1000 && a.err == ARENA_E_CAP, "%zu", i);
	arena_reset(&a);
	CHECK("arena reset clears the error", a.err == ARENA_OK && arena_alloc(&a, 5000), "err");
	CHECK("a huge request fails cleanly", arena_alloc(&a, SIZE_MAX - 8) == NULL &&
	      a.err == ARENA_E_CAP, "err %d", a.err);
	arena_fini(&a);
}

static void
too_large_cases(mw_ctx *c)
{
	mw_val s = MW_S("0123456789abcdef");
	int i;

	/* each concatenation doubles: the arena cap turns into a failed record */
	rt_ctx_reset(c);
	for (i = 0; i < 40 && !mw_failed(c); i++)
		s = mw_concat(c, s, s);
	CHECK("record too large", mw_failed(c) && strcmp(c->reason, "record too large") == 0,
	      "%s after %d", c->reason, i);
	rt_ctx_reset(c);
	s = mw_concat(c, MW_S("a"), MW_S("b"));
	CHECK("the next record works again", strcmp(show(c, s), "ab") == 0, "%s", show(c, s));
}

int
main(void)
{
	mw_ctx *c = rt_ctx_new();

	if (!c) {
		printf("[FAIL] value/setup: no context\n");
		return 1;
	}
	get_cases(c);
	compare_cases(c);
	string_cases(c);
	table_cases(c);
	near_cases();
	arena_cases();
	too_large_cases(c);
	rt_ctx_free(c);
	return failures ? 1 : 0;
}
