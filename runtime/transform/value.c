/*
 * value.c - what expressions compute: reading the input record (mw_get,
 * iteration), operators, functions and table lookups.
 *
 * NULL and MISSING propagate through arithmetic like SQL's NULL; `++`
 * reads them as "".  Numbers are exact: integers stay int64 until mixed
 * with a decimal, then everything is an mw_dec (dec.c).  Values the
 * functions build (concatenations, case changes, numbers as text) live in
 * the record's arena; strings read from the input are borrowed from it.
 * Every operation on a failed context returns MW_NULL and does nothing.
 */
#include <string.h>

#include "transform.h"

static const mw_val NULLV = { .kind = MW_NULL };
static const mw_val MISSINGV = { .kind = MW_MISSING };

static int
is_null(mw_val v)
{
	return v.kind == MW_MISSING || v.kind == MW_NULL;
}

int
mw_is_null(mw_val v)
{
	return is_null(v);
}

static int
is_num(mw_val v)
{
	return v.kind == MW_INT || v.kind == MW_DEC;
}

mw_val
rt_str(const char *p, size_t n)
{
	mw_val v = { .kind = MW_STR };

	v.u.s.p = p;
	v.u.s.n = n;
	return v;
}

static mw_val
int_val(int64_t i)
{
	mw_val v = { .kind = MW_INT };

	v.u.i = i;
	return v;
}

static mw_val
dec_val(mw_dec d)
{
	mw_val v = { .kind = MW_DEC };

	v.u.d = d;
	return v;
}

static mw_val
time_val(mw_time t)
{
	mw_val v = { .kind = t.has_time ? MW_DATETIME : MW_DATE };

	v.u.t = t;
	return v;
}

const char *
rt_kind_name(mw_kind k)
{
	switch (k) {
	case MW_MISSING: return "nothing";
	case MW_NULL: return "null";
	case MW_BOOL: return "a boolean";
	case MW_INT: return "an integer";
	case MW_DEC: return "a decimal";
	case MW_STR: return "a string";
	case MW_DATE: return "a date";
	case MW_DATETIME: return "a datetime";
	case MW_OBJ: return "an object";
	case MW_ARR: return "an array";
	}
	return "a value";
}

/* How an input node appears in a message: "yesterday" quoted, numbers as
 * written, an object as "an object". */
static void
describe(const mw_node *n, char *buf, size_t cap)
{
	switch (n->type) {
	case JN_NULL: snprintf(buf, cap, "null"); break;
	case JN_TRUE: snprintf(buf, cap, "true"); break;
	case JN_FALSE: snprintf(buf, cap, "false"); break;
	case JN_STR: tx_quote(buf, cap, n->p, n->n, 60); break;
	case JN_NUM: snprintf(buf, cap, "%.*s", n->n > 60 ? 60 : (int)n->n, n->p); break;
	case JN_ARR: snprintf(buf, cap, "an array"); break;
	default: snprintf(buf, cap, "an object"); break;
	}
}

/* The same for a value. */
static void
describe_val(mw_val v, char *buf, size_t cap)
{
	char tmp[64];
	const char *p;
	size_t n;

	if (v.kind == MW_STR)
		tx_quote(buf, cap, v.u.s.p, v.u.s.n, 60);
	else if (rt_val_text(v, tmp, &p, &n) == 0)
		snprintf(buf, cap, "%.*s", (int)n, p);
	else
		snprintf(buf, cap, "%s", rt_kind_name(v.kind));
}

int
rt_val_text(mw_val v, char *tmp, const char **p, size_t *n)
{
	switch (v.kind) {
	case MW_STR:
		*p = v.u.s.p;
		*n = v.u.s.n;
		return 0;
	case MW_INT:
		*n = tx_i64(tmp, v.u.i);
		*p = tmp;
		return 0;
	case MW_DEC:
		*n = dec_format(v.u.d, tmp);
		*p = tmp;
		return 0;
	case MW_BOOL:
		*p = v.u.b ? "true" : "false";
		*n = v.u.b ? 4 : 5;
		return 0;
	case MW_DATE:
	case MW_DATETIME:
		*n = tm_format(&v.u.t, tmp);
		*p = tmp;
		return 0;
	case MW_MISSING:
	case MW_NULL:
		*p = "";
		*n = 0;
		return 1;
	default:
		return -1;
	}
}

/* Integer text: [+-]digits fitting int64.  0, -1 not that, -2 too large. */
static int
parse_int(const char *p, size_t n, int64_t *out)
{
	uint64_t u = 0, lim = INT64_MAX;
	size_t i = 0;
	int neg = 0;

	if (n && (p[0] == '-' || p[0] == '+')) {
		neg = p[0] == '-';
		i = 1;
	}
	if (i == n)
		return -1;
	if (neg)
		lim = (uint64_t)INT64_MAX + 1;
	for (; i < n; i++) {
		unsigned d = (unsigned char)p[i] - '0';

		if (d > 9)
			return -1;
		if (u > (lim - d) / 10)
			return -2;
		u = u * 10 + d;
	}
	if (neg)
		*out = u == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)u;
	else
		*out = (int64_t)u;
	return 0;
}

/* Number text as an integer: "42", also "42.0" and "4.2e1"; 0, -1 when it
 * has a fraction or is not a number, -2 out of range. */
static int
text_int(const char *p, size_t n, int64_t *out)
{
	mw_dec d;
	int r = parse_int(p, n, out);

	if (r != -1)
		return r;
	r = dec_parse(p, n, &d);
	if (r == DEC_E_RANGE)
		return -2;
	if (r != DEC_OK)
		return -1;
	r = dec_to_int(d, out);
	return r == DEC_OK ? 0 : r == DEC_E_INEXACT ? -1 : -2;
}

/* A number as written: MW_INT when written as an integer that fits, else
 * an exact MW_DEC. */
static int
num_val(const char *p, size_t n, mw_val *out)
{
	int64_t i;
	mw_dec d;
	int r = parse_int(p, n, &i);

	if (r == 0) {
		*out = int_val(i);
		return 0;
	}
	if (dec_parse(p, n, &d) != DEC_OK)
		return -1;
	*out = dec_val(d);
	return 0;
}

mw_val
rt_node_val(mw_ctx *c, const mw_node *n, const char *what)
{
	mw_val v = NULLV;

	switch (n->type) {
	case JN_NULL: return NULLV;
	case JN_TRUE: v.kind = MW_BOOL; v.u.b = 1; return v;
	case JN_FALSE: v.kind = MW_BOOL; v.u.b = 0; return v;
	case JN_STR: return rt_str(n->p, n->n);
	case JN_ARR: v.kind = MW_ARR; v.u.node = n; return v;
	case JN_OBJ: v.kind = MW_OBJ; v.u.node = n; return v;
	case JN_NUM:
		if (num_val(n->p, n->n, &v) == 0)
			return v;
		mw_fail(c, "%s: number %.*s is out of range", what ? what : "value",
			n->n > 60 ? 60 : (int)n->n, n->p);
		return NULLV;
	}
	return NULLV;
}

/* ------------------------------------------------------------------ */
/* reading the input                                                   */
/* ------------------------------------------------------------------ */

static mw_val
wrong(mw_ctx *c, const char *key, mw_kind want, const mw_node *n)
{
	char got[96];

	describe(n, got, sizeof got);
	mw_fail(c, "field %s: expected %s, got %s", key, rt_kind_name(want), got);
	return NULLV;
}

static mw_val
convert(mw_ctx *c, const mw_node *n, const char *key, mw_kind want)
{
	mw_val v = NULLV;
	int64_t i;
	mw_dec d;
	mw_time t;
	int r;

	switch (want) {
	case MW_STR:
		if (n->type == JN_STR || n->type == JN_NUM)
			return rt_str(n->p, n->n);   /* a number as its exact text */
		return wrong(c, key, want, n);
	case MW_INT:
		if (n->type != JN_NUM && n->type != JN_STR)
			return wrong(c, key, want, n);
		r = text_int(n->p, n->n, &i);
		if (r == 0)
			return int_val(i);
		if (r == -2) {
			mw_fail(c, "field %s: number %.*s is out of range for an integer", key,
				n->n > 60 ? 60 : (int)n->n, n->p);
			return NULLV;
		}
		return wrong(c, key, want, n);
	case MW_DEC:
		if (n->type != JN_NUM && n->type != JN_STR)
			return wrong(c, key, want, n);
		r = dec_parse(n->p, n->n, &d);
		if (r == DEC_OK)
			return dec_val(d);
		if (r == DEC_E_RANGE) {
			mw_fail(c, "field %s: number %.*s does not fit a decimal "
				"(%d digits, %d places)", key, n->n > 60 ? 60 : (int)n->n, n->p,
				DEC_MAX_DIGITS, DEC_MAX_SCALE);
			return NULLV;
		}
		return wrong(c, key, want, n);
	case MW_BOOL:
		if (n->type == JN_TRUE || n->type == JN_FALSE)
			return rt_node_val(c, n, key);
		return wrong(c, key, want, n);
	case MW_DATE:
	case MW_DATETIME:
		if (n->type != JN_STR || tm_parse(n->p, n->n, &t) != 0)
			return wrong(c, key, want, n);
		if (want == MW_DATE)
			return time_val(tm_date_of(&t));   /* the date in its own offset */
		if (!t.has_time)
			return wrong(c, key, want, n);
		return time_val(t);
	case MW_OBJ:
		if (n->type != JN_OBJ)
			return wrong(c, key, want, n);
		v.kind = MW_OBJ;
		v.u.node = n;
		return v;
	case MW_ARR:
		if (n->type != JN_ARR)
			return wrong(c, key, want, n);
		v.kind = MW_ARR;
		v.u.node = n;
		return v;
	default:
		return rt_node_val(c, n, key);
	}
}

mw_val
mw_get(mw_ctx *c, mw_val obj, const char *key, mw_kind want, int required)
{
	const mw_node *n;

	if (c->failed)
		return NULLV;
	if (is_null(obj))
		return MISSINGV;
	if (obj.kind != MW_OBJ) {
		mw_fail(c, "field %s: cannot be read from %s", key, rt_kind_name(obj.kind));
		return NULLV;
	}
	n = json_get(obj.u.node, key);
	if (!n) {
		if (required)
			mw_fail(c, "missing required field %s", key);
		return required ? NULLV : MISSINGV;
	}
	if (n->type == JN_NULL) {
		if (required)
			mw_fail(c, "required field %s is null", key);
		return NULLV;
	}
	return convert(c, n, key, want);
}

void
mw_iter_init(mw_ctx *c, mw_iter *it, mw_val arr)
{
	it->arr = NULL;
	it->cur = NULL;
	it->index = -1;
	if (c->failed || is_null(arr))
		return;
	if (arr.kind != MW_ARR) {
		mw_fail(c, "cannot iterate over %s", rt_kind_name(arr.kind));
		return;
	}
	it->arr = arr.u.node;
	it->cur = arr.u.node->child;
}

int
mw_iter_next(mw_ctx *c, mw_iter *it, mw_val *elem)
{
	const mw_node *n = it->cur;

	if (c->failed || !n)
		return 0;
	it->index++;
	it->cur = n->next;
	if (n->type == JN_NUM) {
		char what[32];

		snprintf(what, sizeof what, "element %d", (int)it->index);
		*elem = rt_node_val(c, n, what);
	} else {
		*elem = rt_node_val(c, n, NULL);
	}
	return !c->failed;
}

/* ------------------------------------------------------------------ */
/* arithmetic                                                          */
/* ------------------------------------------------------------------ */

enum { OP_ADD, OP_SUB, OP_MUL, OP_DIV };
static const char *const OP_VERB[] = { "add", "subtract", "multiply", "divide" };

static mw_dec
as_dec(mw_val v)
{
	mw_dec d;

	if (v.kind == MW_DEC)
		return v.u.d;
	dec_from_int(v.u.i, &d);   /* every integer is a decimal */
	return d;
}

static mw_val
dec_result(mw_ctx *c, int r, mw_dec d)
{
	if (r == DEC_OK)
		return dec_val(d);
	mw_fail(c, "%s", r == DEC_E_DIV0 ? "division by zero" : "decimal overflow");
	return NULLV;
}

static mw_val
arith(mw_ctx *c, int op, mw_val a, mw_val b)
{
	mw_dec x, y, d;
	int r;

	if (c->failed)
		return NULLV;
	if (is_null(a) || is_null(b))
		return NULLV;
	if (!is_num(a) || !is_num(b)) {
		mw_fail(c, "cannot %s %s and %s", OP_VERB[op], rt_kind_name(a.kind),
			rt_kind_name(b.kind));
		return NULLV;
	}
	if (a.kind == MW_INT && b.kind == MW_INT && op != OP_DIV) {
		int64_t i;
		int o = op == OP_ADD ? __builtin_add_overflow(a.u.i, b.u.i, &i)
		      : op == OP_SUB ? __builtin_sub_overflow(a.u.i, b.u.i, &i)
		      : __builtin_mul_overflow(a.u.i, b.u.i, &i);

		if (o) {
			mw_fail(c, "integer overflow");
			return NULLV;
		}
		return int_val(i);
	}
	x = as_dec(a);
	y = as_dec(b);
	switch (op) {
	case OP_ADD: r = dec_add(x, y, &d); break;
	case OP_SUB: r = dec_sub(x, y, &d); break;
	case OP_MUL: r = dec_mul(x, y, &d); break;
	default: r = dec_div(x, y, &d); break;
	}
	return dec_result(c, r, d);
}

mw_val
mw_add(mw_ctx *c, mw_val a, mw_val b)
{
	return arith(c, OP_ADD, a, b);
}

mw_val
mw_sub(mw_ctx *c, mw_val a, mw_val b)
{
	return arith(c, OP_SUB, a, b);
}

mw_val
mw_mul(mw_ctx *c, mw_val a, mw_val b)
{
	return arith(c, OP_MUL, a, b);
}

mw_val
mw_div(mw_ctx *c, mw_val a, mw_val b)
{
	return arith(c, OP_DIV, a, b);
}

mw_val
mw_neg(mw_ctx *c, mw_val a)
{
	mw_dec d;

	if (c->failed || is_null(a))
		return NULLV;
	if (a.kind == MW_INT) {
		if (a.u.i == INT64_MIN) {
			mw_fail(c, "integer overflow");
			return NULLV;
		}
		return int_val(-a.u.i);
	}
	if (a.kind == MW_DEC)
		return dec_result(c, dec_neg(a.u.d, &d), d);
	mw_fail(c, "cannot negate %s", rt_kind_name(a.kind));
	return NULLV;
}

mw_val
mw_concat(mw_ctx *c, mw_val a, mw_val b)
{
	char ta[64], tb[64];
	const char *pa, *pb;
	size_t na, nb;
	char *buf;

	if (c->failed)
		return NULLV;
	if (rt_val_text(a, ta, &pa, &na) < 0 || rt_val_text(b, tb, &pb, &nb) < 0) {
		mw_fail(c, "cannot concatenate %s and %s", rt_kind_name(a.kind),
			rt_kind_name(b.kind));
		return NULLV;
	}
	if (nb == 0 && a.kind == MW_STR)
		return a;
	if (na == 0 && b.kind == MW_STR)
		return b;
	buf = rt_bytes(c, na + nb);
	if (!buf)
		return NULLV;
	memcpy(buf, pa, na);
	memcpy(buf + na, pb, nb);
	return rt_str(buf, na + nb);
}

/* ------------------------------------------------------------------ */
/* comparison and truth                                                */
/* ------------------------------------------------------------------ */

/* 0 with *r set, or -1 when the kinds cannot be compared. */
static int
compare(mw_val a, mw_val b, int *r)
{
	if (is_num(a) && is_num(b)) {
		if (a.kind == MW_INT && b.kind == MW_INT)
			*r = a.u.i < b.u.i ? -1 : a.u.i > b.u.i;
		else
			*r = dec_cmp(as_dec(a), as_dec(b));
		return 0;
	}
	if (a.kind == MW_STR && b.kind == MW_STR) {
		size_t m = a.u.s.n < b.u.s.n ? a.u.s.n : b.u.s.n;
		int x = m ? memcmp(a.u.s.p, b.u.s.p, m) : 0;

		if (x == 0)
			x = a.u.s.n < b.u.s.n ? -1 : a.u.s.n > b.u.s.n;
		*r = x < 0 ? -1 : x > 0;
		return 0;
	}
	if (a.kind == MW_BOOL && b.kind == MW_BOOL) {
		*r = !!a.u.b - !!b.u.b;
		return 0;
	}
	if ((a.kind == MW_DATE || a.kind == MW_DATETIME) &&
	    (b.kind == MW_DATE || b.kind == MW_DATETIME)) {
		*r = tm_cmp(&a.u.t, &b.u.t);
		return 0;
	}
	return -1;
}

static mw_val
equality(mw_ctx *c, mw_val a, mw_val b, int want_eq)
{
	int r;

	if (c->failed)
		return NULLV;
	if (is_null(a) || is_null(b))
		return MW_B((is_null(a) && is_null(b)) == want_eq);
	if (compare(a, b, &r) == 0)
		return MW_B((r == 0) == want_eq);
	if (a.kind == MW_OBJ || a.kind == MW_ARR || b.kind == MW_OBJ || b.kind == MW_ARR) {
		mw_fail(c, "cannot compare %s with %s", rt_kind_name(a.kind),
			rt_kind_name(b.kind));
		return NULLV;
	}
	return MW_B(!want_eq);   /* different kinds of scalar are not equal */
}

mw_val
mw_eq(mw_ctx *c, mw_val a, mw_val b)
{
	return equality(c, a, b, 1);
}

mw_val
mw_ne(mw_ctx *c, mw_val a, mw_val b)
{
	return equality(c, a, b, 0);
}

enum { ORD_LT, ORD_LE, ORD_GT, ORD_GE };

static mw_val
order(mw_ctx *c, mw_val a, mw_val b, int op)
{
	int r;

	if (c->failed)
		return NULLV;
	if (is_null(a) || is_null(b))
		return MW_B(0);
	if (compare(a, b, &r)) {
		mw_fail(c, "cannot compare %s with %s", rt_kind_name(a.kind),
			rt_kind_name(b.kind));
		return NULLV;
	}
	switch (op) {
	case ORD_LT: return MW_B(r < 0);
	case ORD_LE: return MW_B(r <= 0);
	case ORD_GT: return MW_B(r > 0);
	default: return MW_B(r >= 0);
	}
}

mw_val
mw_lt(mw_ctx *c, mw_val a, mw_val b)
{
	return order(c, a, b, ORD_LT);
}

mw_val
mw_le(mw_ctx *c, mw_val a, mw_val b)
{
	return order(c, a, b, ORD_LE);
}

mw_val
mw_gt(mw_ctx *c, mw_val a, mw_val b)
{
	return order(c, a, b, ORD_GT);
}

mw_val
mw_ge(mw_ctx *c, mw_val a, mw_val b)
{
	return order(c, a, b, ORD_GE);
}

mw_val
mw_within(mw_ctx *c, mw_val a, mw_val b, mw_val tol)
{
	mw_dec d;
	int r;

	if (c->failed)
		return NULLV;
	if (is_null(a) || is_null(b) || is_null(tol))
		return MW_B(0);
	if (!is_num(a) || !is_num(b) || !is_num(tol)) {
		mw_fail(c, "within compares numbers, not %s",
			rt_kind_name(!is_num(a) ? a.kind : !is_num(b) ? b.kind : tol.kind));
		return NULLV;
	}
	r = dec_sub(as_dec(a), as_dec(b), &d);
	if (r == DEC_OK)
		r = dec_abs(d, &d);
	if (r != DEC_OK) {
		mw_fail(c, "decimal overflow");
		return NULLV;
	}
	return MW_B(dec_cmp(d, as_dec(tol)) <= 0);
}

int
mw_truthy(mw_ctx *c, mw_val v)
{
	return !c->failed && v.kind == MW_BOOL && v.u.b;
}

mw_val
mw_not(mw_ctx *c, mw_val a)
{
	if (c->failed)
		return NULLV;
	return MW_B(!mw_truthy(c, a));
}

/* ------------------------------------------------------------------ */
/* functions                                                           */
/* ------------------------------------------------------------------ */

int
rt_str_arg(mw_ctx *c, const char *fn, mw_val v, const char **p, size_t *n)
{
	if (is_null(v))
		return 1;
	if (v.kind != MW_STR) {
		mw_fail(c, "%s: expected a string, got %s", fn, rt_kind_name(v.kind));
		return -1;
	}
	*p = v.u.s.p;
	*n = v.u.s.n;
	return 0;
}

/* A whole-number argument (an integer or an integral decimal). */
static int
int_arg(mw_ctx *c, const char *fn, mw_val v, int64_t *out)
{
	if (is_null(v))
		return 1;
	if (v.kind == MW_INT) {
		*out = v.u.i;
		return 0;
	}
	if (v.kind == MW_DEC && dec_to_int(v.u.d, out) == DEC_OK)
		return 0;
	mw_fail(c, "%s: expected a whole number, got %s", fn, rt_kind_name(v.kind));
	return -1;
}

static mw_val
change_case(mw_ctx *c, mw_val s, int upper)
{
	const char *p;
	size_t n;
	char *buf;
	int r = rt_str_arg(c, upper ? "upper" : "lower", s, &p, &n);

	if (c->failed || r)
		return NULLV;
	buf = rt_bytes(c, n);
	if (!buf)
		return NULLV;
	return rt_str(buf, tx_case(buf, p, n, upper));
}

mw_val
mw_fn_lower(mw_ctx *c, mw_val s)
{
	return change_case(c, s, 0);
}

mw_val
mw_fn_upper(mw_ctx *c, mw_val s)
{
	return change_case(c, s, 1);
}

/* ASCII white space and U+00A0 (no-break space, common in pasted data). */
static size_t
space_at(const char *p, size_t n, size_t i)
{
	unsigned char ch = (unsigned char)p[i];

	if (ch == ' ' || (ch >= '\t' && ch <= '\r'))
		return 1;
	if (ch == 0xC2 && i + 1 < n && (unsigned char)p[i + 1] == 0xA0)
		return 2;
	return 0;
}

mw_val
mw_fn_trim(mw_ctx *c, mw_val s)
{
	const char *p;
	size_t n, b = 0, k;
	int r;

	if (c->failed)
		return NULLV;
	r = rt_str_arg(c, "trim", s, &p, &n);
	if (r)
		return NULLV;
	while (b < n && (k = space_at(p, n, b)) > 0)
		b += k;
	while (n > b) {
		if (space_at(p, n, n - 1) == 1)
			n--;
		else if (n - b >= 2 && space_at(p, n, n - 2) == 2)
			n -= 2;
		else
			break;
	}
	return rt_str(p + b, n - b);
}

/* sku(s): a product code as catalogues agree on it: trimmed, upper case,
 * its separators (white space, '_', '.', '/', '-') one '-' each run, none
 * at either end: "mug-01 ", "MUG 01", "mug_01" and "Mug--01" are MUG-01. */
mw_val
mw_fn_sku(mw_ctx *c, mw_val s)
{
	const char *p;
	size_t n, k, o = 0;
	char *up, *out;
	int r, sep = 0;

	if (c->failed)
		return NULLV;
	r = rt_str_arg(c, "sku", s, &p, &n);
	if (r)
		return NULLV;
	up = rt_bytes(c, n);
	out = up ? rt_bytes(c, n) : NULL;
	if (!out)
		return NULLV;
	n = tx_case(up, p, n, 1);
	for (size_t i = 0; i < n; i += k) {
		k = space_at(up, n, i);
		if (k == 0 && (up[i] == '_' || up[i] == '.' || up[i] == '/' || up[i] == '-'))
			k = 1;
		if (k > 0) {
			sep = 1;
			continue;
		}
		k = 1;
		if (sep && o > 0)
			out[o++] = '-';
		sep = 0;
		out[o++] = up[i];
	}
	return rt_str(out, o);
}

mw_val
mw_fn_substr(mw_ctx *c, mw_val s, mw_val start, mw_val len)
{
	const char *p;
	size_t n, b, e;
	int64_t st, ln = -1;
	int r;

	if (c->failed)
		return NULLV;
	r = rt_str_arg(c, "substr", s, &p, &n);
	if (r)
		return NULLV;
	r = int_arg(c, "substr", start, &st);
	if (r < 0)
		return NULLV;
	if (r == 1)
		st = 0;
	r = int_arg(c, "substr", len, &ln);
	if (r < 0)
		return NULLV;
	if (r == 1)
		ln = -1;   /* to the end */
	else if (ln < 0) {
		mw_fail(c, "substr: negative length %lld", (long long)ln);
		return NULLV;
	}
	if (st < 0) {
		mw_fail(c, "substr: negative start %lld", (long long)st);
		return NULLV;
	}
	b = tx_cp_offset(p, n, (size_t)st);
	e = ln < 0 ? n : b + tx_cp_offset(p + b, n - b, (size_t)ln);
	return rt_str(p + b, e - b);
}

mw_val
mw_fn_replace(mw_ctx *c, mw_val s, mw_val from, mw_val to)
{
	const char *p, *f, *t = "";
	size_t n, fn, tn = 0, i, k = 0, len;
	char *buf, *o;
	int r;

	if (c->failed)
		return NULLV;
	r = rt_str_arg(c, "replace", s, &p, &n);
	if (r)
		return NULLV;
	r = rt_str_arg(c, "replace", from, &f, &fn);
	if (r < 0)
		return NULLV;
	if (r == 1 || fn == 0)
		return s;  /* nothing to replace */
	if (rt_str_arg(c, "replace", to, &t, &tn) < 0)
		return NULLV;
	for (i = 0; i + fn <= n;) {
		if (memcmp(p + i, f, fn) == 0) {
			k++;
			i += fn;
		} else {
			i++;
		}
	}
	if (k == 0)
		return s;
	if (tn > fn && k > (RT_ARENA_MAX - n) / (tn - fn)) {
		mw_fail(c, "record too large");
		return NULLV;
	}
	len = n - k * fn + k * tn;
	buf = rt_bytes(c, len);
	if (!buf)
		return NULLV;
	for (i = 0, o = buf; i < n;) {
		if (i + fn <= n && memcmp(p + i, f, fn) == 0) {
			memcpy(o, t, tn);
			o += tn;
			i += fn;
		} else {
			*o++ = p[i++];
		}
	}
	return rt_str(buf, len);
}

mw_val
mw_fn_len(mw_ctx *c, mw_val v)
{
	if (c->failed || is_null(v))
		return NULLV;
	if (v.kind == MW_STR)
		return int_val((int64_t)tx_cp_count(v.u.s.p, v.u.s.n));
	if (v.kind == MW_ARR)
		return int_val(v.u.node->n);
	mw_fail(c, "len: expected a string or an array, got %s", rt_kind_name(v.kind));
	return NULLV;
}

/* A string, date or datetime argument as an mw_time: 0, 1 null, -1. */
static int
time_arg(mw_ctx *c, const char *fn, mw_val v, mw_time *t)
{
	char q[96];

	if (is_null(v))
		return 1;
	if (v.kind == MW_DATE || v.kind == MW_DATETIME) {
		*t = v.u.t;
		return 0;
	}
	if (v.kind == MW_STR) {
		if (tm_parse(v.u.s.p, v.u.s.n, t) == 0)
			return 0;
		tx_quote(q, sizeof q, v.u.s.p, v.u.s.n, 60);
		mw_fail(c, "%s: not a date or datetime: %s", fn, q);
		return -1;
	}
	mw_fail(c, "%s: expected a date or datetime, got %s", fn, rt_kind_name(v.kind));
	return -1;
}

mw_val
mw_fn_date(mw_ctx *c, mw_val v)
{
	mw_time t;

	if (c->failed || time_arg(c, "date", v, &t))
		return NULLV;
	return time_val(tm_date_of(&t));
}

mw_val
mw_fn_datetime(mw_ctx *c, mw_val v)
{
	mw_time t;

	if (c->failed || time_arg(c, "datetime", v, &t))
		return NULLV;
	t.has_time = 1;   /* a date is its midnight, without an offset */
	return time_val(t);
}

mw_val
mw_fn_format_date(mw_ctx *c, mw_val v, mw_val fmt)
{
	mw_time t;
	const char *f;
	size_t fn;
	char *buf;
	long n;

	if (c->failed || time_arg(c, "format_date", v, &t))
		return NULLV;
	if (rt_str_arg(c, "format_date", fmt, &f, &fn)) {
		if (!c->failed)
			mw_fail(c, "format_date: no format");
		return NULLV;
	}
	buf = rt_bytes(c, 3 * fn + 1);
	if (!buf)
		return NULLV;
	n = tm_strftime(&t, f, fn, buf);
	if (n == TM_E_NO_OFFSET) {
		mw_fail(c, "format_date: %%z needs a datetime with an offset");
		return NULLV;
	}
	if (n < 0) {
		char q[96];

		tx_quote(q, sizeof q, f, fn, 60);
		mw_fail(c, "format_date: unsupported format %s "
			"(only %%Y %%m %%d %%H %%M %%S %%z %%%%)", q);
		return NULLV;
	}
	return rt_str(buf, (size_t)n);
}

mw_val
mw_fn_round(mw_ctx *c, mw_val v, mw_val places)
{
	int64_t pl;
	mw_dec d;
	int r;

	if (c->failed || is_null(v))
		return NULLV;
	r = int_arg(c, "round", places, &pl);
	if (r)
		return NULLV;
	if (pl < 0 || pl > DEC_MAX_SCALE) {
		mw_fail(c, "round: places must be 0 to %d, not %lld", DEC_MAX_SCALE,
			(long long)pl);
		return NULLV;
	}
	if (v.kind == MW_INT)
		return v;
	if (v.kind != MW_DEC) {
		mw_fail(c, "round: expected a number, got %s", rt_kind_name(v.kind));
		return NULLV;
	}
	return dec_result(c, dec_round(v.u.d, (int)pl, &d), d);
}

mw_val
mw_fn_abs(mw_ctx *c, mw_val v)
{
	mw_dec d;

	if (c->failed || is_null(v))
		return NULLV;
	if (v.kind == MW_INT) {
		if (v.u.i == INT64_MIN) {
			mw_fail(c, "integer overflow");
			return NULLV;
		}
		return int_val(v.u.i < 0 ? -v.u.i : v.u.i);
	}
	if (v.kind == MW_DEC)
		return dec_result(c, dec_abs(v.u.d, &d), d);
	mw_fail(c, "abs: expected a number, got %s", rt_kind_name(v.kind));
	return NULLV;
}

mw_val
mw_fn_string(mw_ctx *c, mw_val v)
{
	char tmp[64];
	const char *p;
	size_t n;
	char *buf;
	int r;

	if (c->failed)
		return NULLV;
	if (v.kind == MW_STR)
		return v;
	r = rt_val_text(v, tmp, &p, &n);
	if (r == 1)
		return NULLV;
	if (r < 0) {
		mw_fail(c, "string: cannot convert %s", rt_kind_name(v.kind));
		return NULLV;
	}
	if (v.kind == MW_BOOL)
		return rt_str(p, n);   /* static text */
	buf = rt_bytes(c, n);
	if (!buf)
		return NULLV;
	memcpy(buf, p, n);
	return rt_str(buf, n);
}

mw_val
mw_fn_decimal(mw_ctx *c, mw_val v)
{
	mw_dec d;
	char q[96];
	int r;

	if (c->failed || is_null(v))
		return NULLV;
	if (v.kind == MW_DEC)
		return v;
	if (v.kind == MW_INT)
		return dec_result(c, dec_from_int(v.u.i, &d), d);
	if (v.kind != MW_STR) {
		mw_fail(c, "decimal: expected a string or number, got %s", rt_kind_name(v.kind));
		return NULLV;
	}
	r = dec_parse(v.u.s.p, v.u.s.n, &d);
	if (r == DEC_OK)
		return dec_val(d);
	tx_quote(q, sizeof q, v.u.s.p, v.u.s.n, 60);
	if (r == DEC_E_RANGE)
		mw_fail(c, "decimal: %s does not fit a decimal (%d digits, %d places)", q,
			DEC_MAX_DIGITS, DEC_MAX_SCALE);
	else
		mw_fail(c, "decimal: not a number: %s", q);
	return NULLV;
}

mw_val
mw_fn_integer(mw_ctx *c, mw_val v)
{
	int64_t i;
	char q[96];
	int r;

	if (c->failed || is_null(v))
		return NULLV;
	if (v.kind == MW_INT)
		return v;
	if (v.kind == MW_DEC) {
		r = dec_to_int(v.u.d, &i);
		if (r == DEC_OK)
			return int_val(i);
		describe_val(v, q, sizeof q);
		mw_fail(c, "integer: %s is not %s", q,
			r == DEC_E_RANGE ? "within the 64-bit range" : "a whole number");
		return NULLV;
	}
	if (v.kind != MW_STR) {
		mw_fail(c, "integer: expected a string or number, got %s", rt_kind_name(v.kind));
		return NULLV;
	}
	r = text_int(v.u.s.p, v.u.s.n, &i);
	if (r == 0)
		return int_val(i);
	tx_quote(q, sizeof q, v.u.s.p, v.u.s.n, 60);
	mw_fail(c, "integer: %s is not %s", q,
		r == -2 ? "within the 64-bit range" : "a whole number");
	return NULLV;
}

/* ------------------------------------------------------------------ */
/* suggestions: the nearest keys of a lookup or a ref that missed      */
/* ------------------------------------------------------------------ */

/* Optimal string alignment distance, case-insensitive (one edit: a byte
 * deleted, inserted, changed, or two next to each other swapped): the same
 * metric as compiler/diag.c's distance() (the compiler's "did you mean"),
 * which the runtime cannot include.  Either string longer than max (at most
 * RT_OSA_MAX): 1000, never near.  Three rows of the table are enough: a
 * swap looks two back. */
int
rt_osa(const char *a, size_t la, const char *b, size_t lb, size_t max)
{
	int rows[3][RT_OSA_MAX + 1], *p2 = rows[0], *p1 = rows[1], *cur = rows[2];

	if (max > RT_OSA_MAX || la > max || lb > max)
		return 1000;
	for (size_t j = 0; j <= lb; j++)
		p1[j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = (int)i;
		for (size_t j = 1; j <= lb; j++) {
			int ca = a[i - 1] | 0x20, cb = b[j - 1] | 0x20;
			int v = p1[j] + 1;

			if (cur[j - 1] + 1 < v)
				v = cur[j - 1] + 1;
			if (p1[j - 1] + (ca != cb) < v)
				v = p1[j - 1] + (ca != cb);
			if (i > 1 && j > 1 && ca == (b[j - 2] | 0x20) && (a[i - 2] | 0x20) == cb &&
			    p2[j - 2] + 1 < v)
				v = p2[j - 2] + 1;
			cur[j] = v;
		}
		int *t = p2;
		p2 = p1;
		p1 = cur;
		cur = t;
	}
	return p1[lb];
}

/* Keys and names of a table or a ref: 64 bytes at most. */
int
rt_distance(const char *a, size_t la, const char *b, size_t lb)
{
	return rt_osa(a, la, b, lb, 64);
}

/* The limit is diag_suggest's: a third of the name, plus one, at most 3. */
void
rt_near_init(rt_near *nr, const char *want, size_t wn)
{
	memset(nr, 0, sizeof *nr);
	nr->want = want;
	nr->wn = wn;
	nr->limit = (int)(wn / 3 + 1);
	if (nr->limit > 3)
		nr->limit = 3;
}

/* Whether kept candidate i comes before key at distance d. */
static int
near_before(const rt_near *nr, int i, int d, const char *key, size_t n)
{
	size_t kn = strlen(nr->key[i]);
	int x;

	if (nr->d[i] != d)
		return nr->d[i] < d;
	x = memcmp(nr->key[i], key, kn < n ? kn : n);
	return x < 0 || (x == 0 && kn <= n);
}

/* Keep key if it is among the nearest: by distance, then bytewise, so the
 * same candidates give the same words in any order. */
void
rt_near_add(rt_near *nr, const char *key, size_t n)
{
	int d, i;

	/* a length further than the limit is further in distance: no table
	 * of 100,000 keys costs 100,000 alignments */
	if (n > RT_NEAR_LEN || n + (size_t)nr->limit < nr->wn || n > nr->wn + (size_t)nr->limit)
		return;
	d = rt_distance(nr->want, nr->wn, key, n);
	if (d > nr->limit)
		return;
	for (i = nr->n; i > 0 && !near_before(nr, i - 1, d, key, n); i--)
		;
	if (i >= RT_NEAR_MAX)
		return;
	if (nr->n < RT_NEAR_MAX)
		nr->n++;
	memmove(&nr->key[i + 1], &nr->key[i], (size_t)(nr->n - 1 - i) * sizeof nr->key[0]);
	memmove(&nr->d[i + 1], &nr->d[i], (size_t)(nr->n - 1 - i) * sizeof nr->d[0]);
	memcpy(nr->key[i], key, n);
	nr->key[i][n] = '\0';
	nr->d[i] = d;
}

void
rt_near_text(const rt_near *nr, char *buf, size_t cap)
{
	size_t at = strlen(buf);
	char q[RT_NEAR_LEN * 2 + 8];

	if (at >= cap)
		return;
	if (nr->n == 0) {
		snprintf(buf + at, cap - at, "; no key is near;");
		return;
	}
	for (int i = 0; i < nr->n && at < cap; i++) {
		tx_quote(q, sizeof q, nr->key[i], strlen(nr->key[i]), RT_NEAR_LEN);
		at += (size_t)snprintf(buf + at, cap - at, "%s%s", i ? ", " : "; nearest: ", q);
	}
	if (at < cap)
		snprintf(buf + at, cap - at, "?");
}

const char *
rt_map_name(const mw_ctx *c)
{
	const char *s = c->map_file, *slash;

	if (!s || !*s)
		return "the .map";
	slash = strrchr(s, '/');
	return slash ? slash + 1 : s;
}

/* What a failed lookup of p adds to its reason: the nearest keys of t and
 * where to add the key (in the context's arena; "" without memory). */
static const char *
lookup_hint(mw_ctx *c, const mw_table *t, const char *p, size_t n)
{
	rt_near nr;
	char buf[RT_REASON_MAX];

	rt_near_init(&nr, p, n);
	for (size_t i = 0; i < t->n; i++)
		rt_near_add(&nr, t->entries[i].key, strlen(t->entries[i].key));
	buf[0] = '\0';
	rt_near_text(&nr, buf, sizeof buf);
	size_t at = strlen(buf);
	snprintf(buf + at, sizeof buf - at, " add it to table %s (%s:%d)", t->name, rt_map_name(c),
		t->line);
	at = strlen(buf);
	char *out = rt_bytes(c, at + 1);
	if (!out)
		return "";
	memcpy(out, buf, at + 1);
	return out;
}

/* ------------------------------------------------------------------ */
/* tables and references                                               */
/* ------------------------------------------------------------------ */

mw_val
mw_lookup(mw_ctx *c, const mw_table *t, mw_val key)
{
	char tmp[64], q[96];
	const char *p;
	size_t n, lo = 0, hi = t->n;
	int r;

	if (c->failed)
		return NULLV;
	r = rt_val_text(key, tmp, &p, &n);
	if (r < 0) {
		mw_fail(c, "%s: cannot look up %s", t->name, rt_kind_name(key.kind));
		return NULLV;
	}
	/* Numbers are looked up by their canonical text: 42, 19.9 */
	while (r == 0 && lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int x = tx_cmp_z(p, n, t->entries[mid].key);

		if (x == 0) {
			if (c->trace)
				c->trace->lookup(c->trace->arg, c, t, key, &t->entries[mid].value, 0);
			return t->entries[mid].value;
		}
		if (x < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (c->trace)
		c->trace->lookup(c->trace->arg, c, t, key,
			t->else_kind == MW_ELSE_VALUE ? &t->else_value : NULL, 1);
	if (t->else_kind == MW_ELSE_VALUE) {
		c->missed = t;
		c->missed_line = c->line;
		return t->else_value;
	}
	if (r == 1)
		snprintf(q, sizeof q, "null");
	else
		tx_quote(q, sizeof q, p, n, 60);
	if (t->else_kind == MW_ELSE_FAIL)
		mw_fail(c, "%s (%s[%s])%s", t->else_reason ? t->else_reason : "no entry",
			t->name, q, r == 1 ? "" : lookup_hint(c, t, p, n));
	else
		mw_fail(c, "no entry (%s[%s])%s", t->name, q, r == 1 ? "" : lookup_hint(c, t, p, n));
	return NULLV;
}

mw_val
mw_ref(mw_ctx *c, const char *entity, mw_val key)
{
	char tmp[64];
	const char *p;
	size_t n;
	char *buf;
	int r;

	if (c->failed)
		return NULLV;
	if (c->ref) {
		mw_val out = NULLV;

		if (c->ref(c, c->ref_data, entity, key, &out) != 0) {
			if (!c->failed)
				mw_fail(c, "unresolved reference to %s", entity);
			return NULLV;
		}
		return out;
	}
	/* transform has no state: the reference is the source key itself */
	if (key.kind == MW_STR || is_null(key))
		return is_null(key) ? NULLV : key;
	r = rt_val_text(key, tmp, &p, &n);
	if (r < 0) {
		mw_fail(c, "ref %s: a key cannot be %s", entity, rt_kind_name(key.kind));
		return NULLV;
	}
	buf = rt_bytes(c, n);
	if (!buf)
		return NULLV;
	memcpy(buf, p, n);
	return rt_str(buf, n);
}
