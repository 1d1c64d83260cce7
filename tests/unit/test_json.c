/*
 * test_json.c - the JSON reader (exact number text, escapes, surrogate
 * pairs, UTF-8 validation, depth limit, duplicate keys, error offsets) and
 * the document writer (JSON escaping checked with jansson, XML output
 * checked well-formed with libxml2, field paths in failures).
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "transform.h"

#define CHECK_AREA "json"
#include "check.h"

static int
parse(mw_ctx *c, const char *s, size_t n, const mw_node **out, json_err *e)
{
	rt_ctx_reset(c);
	return json_parse(&c->a, s, n, out, e);
}

/* Every legal JSON spelling of a number reads as its value, exactly. */
static void
spelling_cases(mw_ctx *c)
{
	static const struct { const char *json, *want; } sp[] = {
		{ "93.91000000000000000000", "93.91" }, { "9.391e1", "93.91" },
		{ "9391E-2", "93.91" }, { "0.9391e+2", "93.91" }, { "93.910E0", "93.91" },
		{ "1.25e1", "12.5" }, { "1250E-2", "12.5" }, { "1.2500E+3", "1250" },
		{ "0e5", "0" }, { "-0.0", "0" }, { "-0", "0" }, { "0.000123", "0.000123" },
		{ "1.23e-4", "0.000123" }, { "-19.990000000000000000000000000000000000000", "-19.99" },
		{ "79228162514264337593543950335", "79228162514264337593543950335" },
		{ "7.9228162514264337593543950335E+28", "79228162514264337593543950335" },
		{ "0.0000000000000000000000000001", "0.0000000000000000000000000001" },
		{ "1e-28", "0.0000000000000000000000000001" },
	};
	static const char *const illegal[] = {
		"+1", ".5", "-.5", "1.e5", "1e", "1E+", "0x10", "NaN", "Infinity", "-Infinity",
		"00.5", "1.5e3.0", "1,5",
	};
	char doc[160], name[128];
	const mw_node *root;
	json_err e;
	size_t i;
	mw_val v;

	for (i = 0; i < sizeof sp / sizeof sp[0]; i++) {
		int len = snprintf(doc, sizeof doc, "{\"x\": %s}", sp[i].json);
		char buf[DEC_BUF];

		rt_ctx_reset(c);
		buf[0] = '\0';
		v = MW_NULLV;
		if (parse(c, doc, (size_t)len, &root, &e) == 0)
			v = mw_get(c, rt_node_val(c, root, NULL), "x", MW_DEC, 1);
		if (v.kind == MW_DEC)
			dec_format(v.u.d, buf);
		snprintf(name, sizeof name, "spelling %s", sp[i].json);
		CHECK(name, !mw_failed(c) && strcmp(buf, sp[i].want) == 0, "got %s want %s", buf,
		      sp[i].want);
	}
	/* what JSON does not allow stays refused, however a sender means it */
	for (i = 0; i < sizeof illegal / sizeof illegal[0]; i++) {
		int len = snprintf(doc, sizeof doc, "{\"x\": %s}", illegal[i]);

		rt_ctx_reset(c);
		snprintf(name, sizeof name, "not JSON: %s", illegal[i]);
		CHECK(name, parse(c, doc, (size_t)len, &root, &e) != 0, "accepted");
	}
	rt_ctx_reset(c);
	parse(c, "{\"x\": 1.00000000000000000000000000001}", 38, &root, &e);
	v = mw_get(c, rt_node_val(c, root, NULL), "x", MW_DEC, 1);
	CHECK("29 places that are not zeros fail", mw_failed(c) && strcmp(c->reason,
	      "field x: number 1.00000000000000000000000000001 does not fit a decimal "
	      "(37 digits, 28 places)") == 0, "%s", c->reason);
}

static void
number_cases(mw_ctx *c)
{
	static const char *const nums[] = {
		"19.99", "0", "-0.0", "1e400", "123456789012345678901234567890", "2.50",
		"-1.5E-3", "0.1",
	};
	char doc[128], name[96];
	const mw_node *root, *n;
	json_err e;
	size_t i;
	mw_val v;

	for (i = 0; i < sizeof nums / sizeof nums[0]; i++) {
		int len = snprintf(doc, sizeof doc, "{\"x\": %s}", nums[i]);
		int r = parse(c, doc, (size_t)len, &root, &e);

		n = r == 0 ? json_get(root, "x") : NULL;
		snprintf(name, sizeof name, "number text kept: %s", nums[i]);
		CHECK(name, n && n->type == JN_NUM && n->n == strlen(nums[i]) &&
		      memcmp(n->p, nums[i], n->n) == 0, "r=%d %s", r, e.msg);
	}
	parse(c, "{\"price\":19.99,\"qty\":3,\"big\":1e400}", 35, &root, &e);
	v = mw_get(c, rt_node_val(c, root, NULL), "price", MW_DEC, 1);
	CHECK("19.99 read as 1999/10^2", v.kind == MW_DEC && v.u.d.units == 1999 &&
	      v.u.d.scale == 2, "kind %d", v.kind);
	v = mw_get(c, rt_node_val(c, root, NULL), "price", MW_STR, 1);
	CHECK("a number read as a string keeps its text", v.kind == MW_STR && v.u.s.n == 5 &&
	      memcmp(v.u.s.p, "19.99", 5) == 0, "kind %d", v.kind);
	v = mw_get(c, rt_node_val(c, root, NULL), "qty", MW_MISSING, 1);
	CHECK("an integer as it is is MW_INT", v.kind == MW_INT && v.u.i == 3, "kind %d", v.kind);
	v = mw_get(c, rt_node_val(c, root, NULL), "big", MW_DEC, 1);
	CHECK("1e400 does not fit a decimal", mw_failed(c) && strcmp(c->reason,
	      "field big: number 1e400 does not fit a decimal (37 digits, 28 places)") == 0,
	      "%s", c->reason);
	spelling_cases(c);
}

static void
string_cases(mw_ctx *c)
{
	static const struct { const char *in; const char *want; size_t wn; } ok[] = {
		{ "\"plain\"", "plain", 5 },
		{ "\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"", "a\"b\\c/d\b\f\n\r\t", 12 },
		{ "\"\\u00e9\"", "\xC3\xA9", 2 },
		{ "\"\\u20AC\"", "\xE2\x82\xAC", 3 },
		{ "\"\\ud83d\\ude00\"", "\xF0\x9F\x98\x80", 4 },
		{ "\"x\\u0000y\"", "x\0y", 3 },
		{ "\"caf\xC3\xA9 \xF0\x9F\x98\x80\"", "caf\xC3\xA9 \xF0\x9F\x98\x80", 10 },
		{ "\"\xC3\xA9\\n\"", "\xC3\xA9\n", 3 },
	};
	static const struct { const char *in, *msg; size_t off; } bad[] = {
		{ "\"\\ud83d\"", "unpaired high surrogate in \\u escape", 1 },
		{ "\"\\ud83dx\"", "unpaired high surrogate in \\u escape", 1 },
		{ "\"\\ud83d\\u0041\"", "unpaired high surrogate in \\u escape", 1 },
		{ "\"\\ude00\"", "lone low surrogate in \\u escape", 1 },
		{ "\"\\u12G4\"", "invalid \\u escape", 1 },
		{ "\"\\x\"", "invalid escape", 1 },
		{ "\"\xC0\xAF\"", "invalid UTF-8", 1 },          /* overlong '/' */
		{ "\"\xE0\x80\xAF\"", "invalid UTF-8", 1 },      /* overlong, 3 bytes */
		{ "\"\xED\xA0\x80\"", "invalid UTF-8", 1 },      /* a surrogate */
		{ "\"\xF4\x90\x80\x80\"", "invalid UTF-8", 1 },  /* above U+10FFFF */
		{ "\"\xF5\x80\x80\x80\"", "invalid UTF-8", 1 },
		{ "\"a\x80\"", "invalid UTF-8", 2 },             /* stray continuation */
		{ "\"\xE2\x82\"", "invalid UTF-8", 1 },          /* truncated */
		{ "\"\xFF\"", "invalid UTF-8", 1 },
		{ "\"\\n\xC3\"", "invalid UTF-8", 3 },           /* after an escape */
		{ "\"tab\there\"", "control character in string", 4 },
		{ "\"open", "unterminated string", 0 },
	};
	char name[96];
	const mw_node *root;
	json_err e;
	size_t i;

	for (i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		int r = parse(c, ok[i].in, strlen(ok[i].in), &root, &e);

		snprintf(name, sizeof name, "string %zu decodes", i);
		CHECK(name, r == 0 && root->type == JN_STR && root->n == ok[i].wn &&
		      memcmp(root->p, ok[i].want, ok[i].wn) == 0, "r=%d %s", r, e.msg);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int r = parse(c, bad[i].in, strlen(bad[i].in), &root, &e);

		snprintf(name, sizeof name, "string %zu rejected: %s", i, bad[i].msg);
		CHECK(name, r == JSON_E_SYNTAX && strcmp(e.msg, bad[i].msg) == 0 &&
		      e.off == bad[i].off, "r=%d at %zu: %s", r, e.off, e.msg);
	}
}

static void
structure_cases(mw_ctx *c)
{
	static const struct { const char *in, *msg; size_t off; } bad[] = {
		{ "", "unexpected end of input", 0 },
		{ "   ", "unexpected end of input", 3 },
		{ "{} x", "trailing characters after the value", 3 },
		{ "{}{}", "trailing characters after the value", 2 },
		{ "[1,]", "unexpected character", 3 },
		{ "{\"a\":1,}", "expected a string key", 7 },
		{ "{\"a\" 1}", "expected ':'", 5 },
		{ "{\"a\":1 \"b\":2}", "expected ',' or '}'", 7 },
		{ "[1 2]", "expected ',' or ']'", 3 },
		{ "01", "trailing characters after the value", 1 },
		{ "1.", "invalid number", 0 },
		{ "-", "invalid number", 0 },
		{ "1e+", "invalid number", 0 },
		{ "tru", "invalid literal", 0 },
		{ "{\"a\":tru}", "invalid literal", 5 },
		{ "nul", "invalid literal", 0 },
		{ "'a'", "unexpected character", 0 },
		{ "{\"a\":1,\"b\":2,\"a\":3}", "duplicate key \"a\"", 13 },
		{ "\xEF\xBB\xBF{}", "unexpected character", 0 },
	};
	char name[96], big[4096];
	const mw_node *root;
	json_err e;
	size_t i, n;
	int r, k;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		r = parse(c, bad[i].in, strlen(bad[i].in), &root, &e);
		snprintf(name, sizeof name, "rejects %zu: %s", i, bad[i].msg);
		CHECK(name, r == JSON_E_SYNTAX && strcmp(e.msg, bad[i].msg) == 0 &&
		      e.off == bad[i].off, "r=%d at %zu: %s", r, e.off, e.msg);
	}
	r = parse(c, " {\"a\" : [ 1 , { } , [ ] , null , true , false ] } \r\n", 50, &root, &e);
	CHECK("whitespace everywhere", r == 0 && root->type == JN_OBJ, "%s", e.msg);

	/* depth: 64 levels are fine, 65 are not */
	for (k = 0; k < 64; k++)
		big[k] = '[';
	for (k = 0; k < 64; k++)
		big[64 + k] = ']';
	r = parse(c, big, 128, &root, &e);
	CHECK("64 levels of nesting", r == 0, "%s", e.msg);
	for (k = 0; k < 65; k++)
		big[k] = '[';
	for (k = 0; k < 65; k++)
		big[65 + k] = ']';
	r = parse(c, big, 130, &root, &e);
	CHECK("65 levels rejected", r == JSON_E_SYNTAX &&
	      strcmp(e.msg, "nesting deeper than 64") == 0 && e.off == 64, "%s at %zu",
	      e.msg, e.off);

	/* a large object: distinct keys pass, a repeated one is named */
	n = 0;
	big[n++] = '{';
	for (k = 0; k < 200; k++)
		n += (size_t)snprintf(big + n, sizeof big - n, "%s\"k%d\":%d", k ? "," : "", k, k);
	big[n++] = '}';
	r = parse(c, big, n, &root, &e);
	CHECK("200 distinct keys", r == 0 && root->n == 200 && json_get(root, "k199") &&
	      !json_get(root, "k200"), "%s", e.msg);
	n--;
	n += (size_t)snprintf(big + n, sizeof big - n, ",\"k77\":0,\"k5\":1}");
	r = parse(c, big, n, &root, &e);
	CHECK("a duplicate among 202 keys", r == JSON_E_SYNTAX &&
	      strcmp(e.msg, "duplicate key \"k77\"") == 0 && big[e.off] == '"' &&
	      memcmp(big + e.off, "\"k77\":0", 7) == 0, "%s at %zu", e.msg, e.off);

	r = parse(c, "{\"a\":1,\"\":2,\"b\\u0000\":3}", 24, &root, &e);
	CHECK("lookup of odd keys", r == 0 && json_get(root, "") && json_get(root, "a") &&
	      !json_get(root, "b") && !json_get(root, "ab"), "%s", e.msg);
}

/* json_get on a member of the walk, the reference the index must agree with. */
static const mw_node *
walk_get(const mw_node *obj, const char *key, size_t kn)
{
	for (const mw_node *m = obj->child; m; m = m->next)
		if (m->keylen == kn && memcmp(m->key, key, kn) == 0)
			return m;
	return NULL;
}

/* Objects of more than JSON_INDEX_MIN members are looked up through their
 * sorted index: every key found, in any order, absent ones not, the same
 * member as a walk of the object finds; a key twice is still refused (the
 * reader takes neither the first nor the last: it rejects the record). */
static void
index_cases(mw_ctx *c)
{
	static char big[200000];
	const mw_node *root, *m;
	json_err e;
	size_t n = 0;
	int r, k, bad = 0, nkeys = 5000;

	/* keys in a scrambled order, some prefixes of others ("k1", "k10") */
	big[n++] = '{';
	for (k = 0; k < nkeys; k++) {
		int x = (k * 7919) % nkeys;
		n += (size_t)snprintf(big + n, sizeof big - n, "%s\"k%d\":%d", k ? "," : "", x, x);
	}
	n += (size_t)snprintf(big + n, sizeof big - n, ",\"\":-1,\"k1\\u0000\":-2,\"sub\":{");
	for (k = 0; k < 20; k++)
		n += (size_t)snprintf(big + n, sizeof big - n, "%s\"s%02d\":%d", k ? "," : "", 19 - k, k);
	n += (size_t)snprintf(big + n, sizeof big - n, "},\"small\":{\"b\":1,\"a\":2}}");
	r = parse(c, big, n, &root, &e);
	CHECK("5,000 keys parsed, indexed", r == 0 && root->n == (uint32_t)nkeys + 4 && root->index,
	      "%s", e.msg);
	if (r != 0)
		return;
	for (k = 0; k < nkeys; k++) {
		char key[16], want[16];
		int kl = snprintf(key, sizeof key, "k%d", k);

		m = json_get(root, key);
		snprintf(want, sizeof want, "%d", k);
		if (!m || m != walk_get(root, key, (size_t)kl) || m->n != strlen(want) ||
		    memcmp(m->p, want, m->n) != 0)
			bad++;
	}
	CHECK("every key found, the walk's member", bad == 0, "%d keys wrong", bad);
	CHECK("absent keys not found", !json_get(root, "k5000") && !json_get(root, "k") &&
	      !json_get(root, "k00") && !json_get(root, "j1") && !json_get(root, "k49999") &&
	      !json_get(root, "zzz"), "a key that is not there was found");
	m = json_get(root, "");
	CHECK("the empty key", m && m == walk_get(root, "", 0), "not found");
	CHECK("a key with a NUL is no C string's", !json_get(root, "k1\n") &&
	      json_get(root, "k1") == walk_get(root, "k1", 2) && walk_get(root, "k1\0", 3),
	      "wrong member");
	m = json_get(root, "sub");
	CHECK("a nested object has its own index", m && m->type == JN_OBJ && m->index &&
	      json_get(m, "s00") && json_get(m, "s19") && !json_get(m, "s20"), "no");
	m = json_get(root, "small");
	CHECK("a small object is walked", m && !m->index && json_get(m, "a") &&
	      json_get(m, "b") && !json_get(m, "c"), "no");

	/* a key twice among 40: refused whether it comes first or last */
	n = 0;
	big[n++] = '{';
	for (k = 0; k < 40; k++)
		n += (size_t)snprintf(big + n, sizeof big - n, "%s\"k%d\":%d", k ? "," : "", k, k);
	n += (size_t)snprintf(big + n, sizeof big - n, ",\"k0\":40}");
	r = parse(c, big, n, &root, &e);
	CHECK("a repeated key in a large object refused", r == JSON_E_SYNTAX &&
	      strcmp(e.msg, "duplicate key \"k0\"") == 0, "%s", e.msg);
}

/* json_scan: the key of a record too large to parse, from its bytes fed
 * in pieces (every split of each case into two pieces gives the same). */
static void
scan_cases(void)
{
	static const struct { const char *json, *field, *want; } sc[] = {
		{ "{\"orderId\":\"SO-1\",\"x\":1}", "orderId", "SO-1" },
		{ "{\"a\":{\"orderId\":\"in\"},\"b\":[{\"orderId\":2}],\"orderId\":\"top\"}",
		  "orderId", "top" },
		{ " { \"n\" : \"a\\\"orderId\\\":x\" , \"orderId\" : 12345 , \"z\":0}", "orderId",
		  "12345" },
		{ "{\"orderIdx\":\"no\",\"orderI\":\"no\",\"orderId\":\"yes\"}", "orderId", "yes" },
		{ "{\"orderId\":\"a\\\"b\\\\c\"}", "orderId", "a\"b\\c" },
		{ "{\"orderId\":-1.5e3}", "orderId", "-1.5e3" },
		/* not taken: an object, a literal, a \\u escape, no such key, not an object, a path */
		{ "{\"orderId\":{\"v\":1}}", "orderId", NULL },
		{ "{\"orderId\":null}", "orderId", NULL },
		{ "{\"orderId\":\"\\u0041\"}", "orderId", NULL },
		{ "{\"other\":\"orderId\"}", "orderId", NULL },
		{ "[{\"orderId\":\"x\"}]", "orderId", NULL },
		{ "{\"data\":{\"id\":\"x\"}}", "data.id", NULL },
	};
	char name[96];

	for (size_t i = 0; i < sizeof sc / sizeof *sc; i++) {
		size_t n = strlen(sc[i].json);
		int bad = 0;

		for (size_t cut = 0; cut <= n; cut++) {
			json_scan js;

			json_scan_init(&js, sc[i].field);
			json_scan_feed(&js, sc[i].json, cut);
			int found = json_scan_feed(&js, sc[i].json + cut, n - cut);
			if (sc[i].want ? !found || strcmp(js.val, sc[i].want) != 0 : found)
				bad++;
		}
		snprintf(name, sizeof name, "scan %zu: %s", i, sc[i].want ? sc[i].want : "no key");
		CHECK(name, bad == 0, "%d splits wrong", bad);
	}
}

/* ------------------------------------------------------------------ */
/* the writer                                                          */
/* ------------------------------------------------------------------ */

static mw_val
strn(const char *p, size_t n)
{
	mw_val v = { .kind = MW_STR };

	v.u.s.p = p;
	v.u.s.n = n;
	return v;
}

static const char ODD[] = "q\"b\\s/\n\t\x01\x1f\x7f caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 <&>'";

/* One document through every writer call, as generated code would. */
static void
write_doc(mw_ctx *c, int xml, mw_val input_obj, const char *odd, size_t oddn)
{
	mw_time t;

	w_doc_begin(c, "Invoice", xml);
	mw_field(c, "Type", 10);
	mw_put(c, MW_S("ACCREC"), 1);
	mw_field(c, "Missing", 11);
	mw_put(c, MW_NULLV, 0);
	mw_field(c, "Odd", 12);
	mw_put(c, strn(odd, oddn), 0);
	mw_field(c, "Total", 13);
	mw_put(c, MW_D(19990, 3), 0);
	mw_field(c, "Neg", 14);
	mw_put(c, MW_D(-50, 2), 0);
	mw_field(c, "Count", 15);
	mw_put(c, MW_I(-42), 0);
	mw_field(c, "Paid", 16);
	mw_put(c, MW_B(0), 0);
	tm_parse("2026-11-22T23:30:00-05:00", 25, &t);
	mw_field(c, "Date", 17);
	mw_put(c, mw_fn_date(c, (mw_val){ .kind = MW_DATETIME, .u.t = t }), 0);
	mw_field(c, "When", 18);
	mw_put(c, (mw_val){ .kind = MW_DATETIME, .u.t = t }, 0);
	mw_field(c, "Contact", 19);
	mw_obj_begin(c);
	mw_field(c, "ContactNumber", 19);
	mw_put(c, MW_S("C-1"), 0);
	mw_obj_end(c);
	mw_field(c, "LineItems", 20);
	mw_arr_begin(c, "LineItem");
	mw_obj_begin(c);
	mw_field(c, "Qty", 21);
	mw_put(c, MW_I(3), 0);
	mw_obj_end(c);
	mw_obj_begin(c);
	mw_field(c, "Qty", 21);
	mw_put(c, MW_D(15, 1), 0);
	mw_field(c, "Tags", 22);
	mw_arr_begin(c, "Tag");
	mw_elem(c, MW_S("a"));
	mw_elem(c, MW_NULLV);
	mw_elem(c, MW_I(2));
	mw_arr_end(c);
	mw_obj_end(c);
	mw_arr_end(c);
	mw_field(c, "Empty", 23);
	mw_arr_begin(c, "X");
	mw_arr_end(c);
	mw_field(c, "Raw", 24);
	mw_put(c, input_obj, 0);
}

static const char WANT_JSON[] =
	"{\"Type\":\"ACCREC\","
	"\"Odd\":\"q\\\"b\\\\s/\\u000a\\u0009\\u0001\\u001f\x7f caf\xC3\xA9 \xE2\x82\xAC "
	"\xF0\x9F\x98\x80 <&>'\","
	"\"Total\":19.99,\"Neg\":-0.5,\"Count\":-42,\"Paid\":false,\"Date\":\"2026-11-22\","
	"\"When\":\"2026-11-22T23:30:00-05:00\",\"Contact\":{\"ContactNumber\":\"C-1\"},"
	"\"LineItems\":[{\"Qty\":3},{\"Qty\":1.5,\"Tags\":[\"a\",2]}],\"Empty\":[],"
	"\"Raw\":{\"n\":2.50,\"s\":\"\\u000a\",\"a\":[1,null,{}],\"b\":true}}";

static void
writer_json_cases(mw_ctx *c)
{
	static const char raw[] = "{\"n\":2.50,\"s\":\"\\n\",\"a\":[1,null,{}],\"b\":true}";
	const mw_node *root;
	json_err e;
	json_t *j, *odd;
	json_error_t je;
	int r;

	rt_ctx_reset(c);
	r = json_parse(&c->a, raw, sizeof raw - 1, &root, &e);
	write_doc(c, 0, rt_node_val(c, root, NULL), ODD, sizeof ODD - 1);
	r = r || w_doc_end(c);
	CHECK("writer JSON exact", r == 0 && c->w.out.len == sizeof WANT_JSON - 1 &&
	      memcmp(c->w.out.p, WANT_JSON, c->w.out.len) == 0, "r=%d %s\n got %.*s\nwant %s",
	      r, c->reason, (int)c->w.out.len, c->w.out.p, WANT_JSON);

	j = json_loadb(c->w.out.p, c->w.out.len, 0, &je);
	CHECK("writer JSON parses with jansson", j != NULL, "%s at %d", je.text, je.position);
	odd = j ? json_object_get(j, "Odd") : NULL;
	CHECK("escaped string round-trips through jansson", odd && json_is_string(odd) &&
	      json_string_length(odd) == sizeof ODD - 1 &&
	      memcmp(json_string_value(odd), ODD, sizeof ODD - 1) == 0, "differs");
	CHECK("fields in the order written", j && json_object_size(j) == 12, "size");
	json_decref(j);

	/* required and path */
	rt_ctx_reset(c);
	w_doc_begin(c, "Invoice", 0);
	mw_field(c, "LineItems", 30);
	mw_arr_begin(c, "LineItem");
	mw_obj_begin(c);
	mw_obj_end(c);
	mw_obj_begin(c);
	mw_field(c, "AccountCode", 31);
	mw_put(c, MW_NULLV, 1);
	CHECK("required field fails with its path", mw_failed(c) &&
	      strcmp(c->reason, "required field AccountCode has no value") == 0 &&
	      strcmp(c->path, "LineItems[1].AccountCode") == 0 && c->fail_line == 31,
	      "%s at %s line %d", c->reason, c->path, c->fail_line);

	rt_ctx_reset(c);
	w_doc_begin(c, "Invoice", 0);
	mw_field(c, "LineItems", 30);
	mw_arr_begin(c, "LineItem");
	mw_obj_begin(c);
	mw_obj_end(c);
	mw_obj_begin(c);
	mw_obj_end(c);
	mw_obj_begin(c);
	mw_field(c, "Tracking", 32);
	mw_arr_begin(c, "T");
	mw_fail(c, "boom");
	CHECK("path inside nested arrays", strcmp(c->path, "LineItems[2].Tracking[0]") == 0 &&
	      c->fail_line == 32, "%s", c->path);
	mw_field(c, "Other", 33);
	mw_put(c, MW_I(1), 1);
	CHECK("the first failure is kept", strcmp(c->reason, "boom") == 0 &&
	      strcmp(c->path, "LineItems[2].Tracking[0]") == 0, "%s %s", c->reason, c->path);

	rt_ctx_reset(c);
	w_doc_begin(c, "Invoice", 0);
	mw_field(c, "A", 1);
	mw_put(c, MW_I(1), 0);
	mw_line(c, 40);
	mw_fail(c, "check failed");
	CHECK("a failure outside any field has an empty path", c->path[0] == '\0' &&
	      c->fail_line == 40, "%s", c->path);

	rt_ctx_reset(c);
	w_doc_begin(c, "Invoice", 0);
	mw_field(c, "A", 1);
	mw_obj_begin(c);
	CHECK("unbalanced document fails", w_doc_end(c) != 0 && mw_failed(c), "ended");
}

static void
writer_xml_cases(mw_ctx *c)
{
	static const char raw[] = "{\"n\":2.50,\"s\":\"a&b\",\"a\":[1,null,{}],\"b\":true}";
	static const char want[] =
		"<Invoice><Type>ACCREC</Type><Odd>x &lt;&amp;&gt; &quot;&apos; "
		"caf\xC3\xA9&#10;&#13;\ty</Odd><Total>19.99</Total><Neg>-0.5</Neg>"
		"<Count>-42</Count><Paid>false</Paid><Date>2026-11-22</Date>"
		"<When>2026-11-22T23:30:00-05:00</When><Contact><ContactNumber>C-1"
		"</ContactNumber></Contact><LineItems><LineItem><Qty>3</Qty></LineItem>"
		"<LineItem><Qty>1.5</Qty><Tags><Tag>a</Tag><Tag>2</Tag></Tags></LineItem>"
		"</LineItems><Empty></Empty><Raw><n>2.50</n><s>a&amp;b</s><a><item>1</item>"
		"<item></item></a><b>true</b></Raw></Invoice>";
	static const char text[] = "x <&> \"' caf\xC3\xA9\n\r\ty";
	const mw_node *root;
	json_err e;
	xmlDocPtr doc;
	xmlNodePtr top, n;
	int r;

	rt_ctx_reset(c);
	r = json_parse(&c->a, raw, sizeof raw - 1, &root, &e);
	write_doc(c, 1, rt_node_val(c, root, NULL), text, sizeof text - 1);
	r = r || w_doc_end(c);
	CHECK("writer XML exact", r == 0 && c->w.out.len == sizeof want - 1 &&
	      memcmp(c->w.out.p, want, c->w.out.len) == 0, "r=%d %s\n got %.*s\nwant %s",
	      r, c->reason, (int)c->w.out.len, c->w.out.p, want);
	CHECK("XML document on one line", memchr(c->w.out.p, '\n', c->w.out.len) == NULL,
	      "newline");

	doc = xmlReadMemory(c->w.out.p, (int)c->w.out.len, "doc.xml", "UTF-8",
			    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	CHECK("writer XML is well-formed (libxml2)", doc != NULL, "parse error");
	if (doc) {
		top = xmlDocGetRootElement(doc);
		CHECK("root element is the target name", top &&
		      strcmp((const char *)top->name, "Invoice") == 0, "root");
		for (n = top ? top->children : NULL; n; n = n->next)
			if (n->type == XML_ELEMENT_NODE &&
			    strcmp((const char *)n->name, "Odd") == 0)
				break;
		{
			xmlChar *s = n ? xmlNodeGetContent(n) : NULL;

			CHECK("escaped text round-trips through libxml2",
			      s && strcmp((const char *)s, text) == 0, "got %s",
			      s ? (char *)s : "-");
			xmlFree(s);
		}
		xmlFreeDoc(doc);
	}

	/* characters XML cannot carry */
	rt_ctx_reset(c);
	w_doc_begin(c, "Invoice", 1);
	mw_field(c, "Odd", 12);
	mw_put(c, strn(ODD, sizeof ODD - 1), 0);
	CHECK("a control character fails in XML", mw_failed(c) &&
	      strcmp(c->reason, "character U+0001 cannot be written in XML") == 0 &&
	      strcmp(c->path, "Odd") == 0, "%s at %s", c->reason, c->path);
	rt_ctx_reset(c);
	w_doc_begin(c, "Invoice", 1);
	mw_field(c, "Odd", 12);
	mw_put(c, MW_S("a\xEF\xBF\xBF"), 0);
	CHECK("U+FFFF fails in XML", mw_failed(c), "accepted");
	rt_ctx_reset(c);
	r = json_parse(&c->a, "{\"1x\":1}", 8, &root, &e);
	w_doc_begin(c, "Invoice", 1);
	mw_field(c, "Raw", 12);
	mw_put(c, rt_node_val(c, root, NULL), 0);
	CHECK("an input key that is no XML name fails", mw_failed(c) &&
	      strcmp(c->reason, "key \"1x\" is not a valid XML element name") == 0, "%s",
	      c->reason);
}

int
main(void)
{
	mw_ctx *c = rt_ctx_new();

	if (!c) {
		printf("[FAIL] json/setup: no context\n");
		return 1;
	}
	number_cases(c);
	string_cases(c);
	structure_cases(c);
	index_cases(c);
	scan_cases();
	writer_json_cases(c);
	writer_xml_cases(c);
	rt_ctx_free(c);
	xmlCleanupParser();
	return failures ? 1 : 0;
}
