/*
 * json.c - our JSON reader, into nodes allocated in the record's arena.
 *
 * Not jansson, for input: jansson turns every non-integer number into a C
 * double, and 19.99 would not survive the trip.  Here a number keeps its
 * exact text and becomes a decimal only when a mapping reads it.
 *
 * Strict RFC 8259: UTF-8 is validated (no overlong forms, surrogates or
 * stray bytes), \uXXXX escapes pair their surrogates, nesting is capped at
 * RT_JSON_DEPTH, trailing text is an error, and so is a duplicate key in an
 * object (which value a remote system meant is unknowable).  Errors carry
 * the byte offset.  Strings without escapes are borrowed from the input,
 * which outlives the record's processing.
 */
#include <stdlib.h>
#include <string.h>

#include "transform.h"

typedef struct {
	arena *a;
	const unsigned char *s, *p, *end;
	json_err *e;
	int depth;
	int mem;             /* the error is an allocation failure */
} jp;

/* Bytes that end the fast scan of a string: quote, backslash, controls,
 * and non-ASCII (validated separately). */
static const unsigned char STOP[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

#define UNPAIRED "unpaired high surrogate in \\u escape"

static int
fail_at(jp *j, const unsigned char *at, const char *msg)
{
	j->e->off = (size_t)(at - j->s);
	snprintf(j->e->msg, sizeof j->e->msg, "%s", msg);
	return -1;
}

static int
fail_mem(jp *j)
{
	j->mem = 1;
	j->e->off = (size_t)(j->p - j->s);
	snprintf(j->e->msg, sizeof j->e->msg, "%s",
		 j->a->err == ARENA_E_CAP ? "record too large" : "out of memory");
	return -1;
}

static void
ws(jp *j)
{
	const unsigned char *p = j->p;

	while (p < j->end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
		p++;
	j->p = p;
}

static mw_node *
node_new(jp *j, uint8_t type)
{
	mw_node *n = arena_alloc(j->a, sizeof *n);

	if (!n)
		return NULL;
	memset(n, 0, sizeof *n);
	n->type = type;
	n->off = (uint32_t)(j->p - j->s);
	return n;
}

static int
hex4(const unsigned char *p, uint32_t *v)
{
	uint32_t r = 0;
	int i;

	for (i = 0; i < 4; i++) {
		unsigned c = p[i];

		r <<= 4;
		if (c >= '0' && c <= '9')
			r |= c - '0';
		else if (c >= 'a' && c <= 'f')
			r |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			r |= c - 'A' + 10;
		else
			return -1;
	}
	*v = r;
	return 0;
}

/* The string whose opening quote is at j->p: borrowed from the input when
 * it has no escapes, else decoded into the arena. */
static int
string(jp *j, const char **out, uint32_t *outn)
{
	const unsigned char *start = j->p + 1, *p = start, *end = j->end, *q;
	char *buf, *o;
	size_t k;

	for (;;) {
		while (p < end && !STOP[*p])
			p++;
		if (p == end)
			return fail_at(j, j->p, "unterminated string");
		if (*p == '"') {
			if ((size_t)(p - start) > UINT32_MAX)
				return fail_at(j, j->p, "string too long");
			*out = (const char *)start;
			*outn = (uint32_t)(p - start);
			j->p = p + 1;
			return 0;
		}
		if (*p == '\\')
			break;
		if (*p < 0x20)
			return fail_at(j, p, "control character in string");
		k = tx_utf8_seq(p, (size_t)(end - p));
		if (!k)
			return fail_at(j, p, "invalid UTF-8");
		p += k;
	}
	/* Escapes: find the closing quote, then decode; the decoded text is
	 * never longer than its source. */
	for (q = p; q < end && *q != '"'; q++)
		if (*q == '\\' && ++q == end)
			break;
	if (q >= end)
		return fail_at(j, j->p, "unterminated string");
	if ((size_t)(q - start) > UINT32_MAX)
		return fail_at(j, j->p, "string too long");
	buf = arena_bytes(j->a, (size_t)(q - start));
	if (!buf)
		return fail_mem(j);
	memcpy(buf, start, (size_t)(p - start));
	o = buf + (p - start);
	while (p < q) {
		if (*p == '\\') {
			uint32_t cp, lo;

			switch (p[1]) {
			case '"': *o++ = '"'; break;
			case '\\': *o++ = '\\'; break;
			case '/': *o++ = '/'; break;
			case 'b': *o++ = '\b'; break;
			case 'f': *o++ = '\f'; break;
			case 'n': *o++ = '\n'; break;
			case 'r': *o++ = '\r'; break;
			case 't': *o++ = '\t'; break;
			case 'u':
				if (q - p < 6 || hex4(p + 2, &cp))
					return fail_at(j, p, "invalid \\u escape");
				if (cp >= 0xDC00 && cp <= 0xDFFF)
					return fail_at(j, p, "lone low surrogate in \\u escape");
				if (cp >= 0xD800 && cp <= 0xDBFF) {
					if (q - p < 12 || p[6] != '\\' || p[7] != 'u' ||
					    hex4(p + 8, &lo) || lo < 0xDC00 || lo > 0xDFFF)
						return fail_at(j, p, UNPAIRED);
					cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
					p += 6;
				}
				o += tx_utf8_put(o, cp);
				p += 4;
				break;
			default:
				return fail_at(j, p, "invalid escape");
			}
			p += 2;
		} else if (*p < 0x20) {
			return fail_at(j, p, "control character in string");
		} else if (*p < 0x80) {
			*o++ = (char)*p++;
		} else {
			k = tx_utf8_seq(p, (size_t)(q - p));
			if (!k)
				return fail_at(j, p, "invalid UTF-8");
			memcpy(o, p, k);
			o += k;
			p += k;
		}
	}
	*out = buf;
	*outn = (uint32_t)(o - buf);
	j->p = q + 1;
	return 0;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? kept as text. */
static int
number(jp *j, mw_node *n)
{
	const unsigned char *p = j->p, *end = j->end, *s = p;

	if (p < end && *p == '-')
		p++;
	if (p < end && *p == '0')
		p++;
	else if (p < end && *p >= '1' && *p <= '9')
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	else
		return fail_at(j, s, "invalid number");
	if (p < end && *p == '.') {
		const unsigned char *f = ++p;

		while (p < end && *p >= '0' && *p <= '9')
			p++;
		if (p == f)
			return fail_at(j, s, "invalid number");
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		const unsigned char *f;

		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		f = p;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
		if (p == f)
			return fail_at(j, s, "invalid number");
	}
	n->p = (const char *)s;
	n->n = (uint32_t)(p - s);
	j->p = p;
	return 0;
}

static int value(jp *j, mw_node *n);

static int
keycmp(const void *x, const void *y)
{
	const mw_node *a = *(const mw_node *const *)x, *b = *(const mw_node *const *)y;
	size_t m = a->keylen < b->keylen ? a->keylen : b->keylen;
	int r = memcmp(a->key, b->key, m);

	if (r)
		return r;
	if (a->keylen != b->keylen)
		return a->keylen < b->keylen ? -1 : 1;
	return a->off < b->off ? -1 : a->off > b->off;
}

static int
same_key(const mw_node *a, const mw_node *b)
{
	return a->keylen == b->keylen && memcmp(a->key, b->key, a->keylen) == 0;
}

/* Reject an object with a key twice, naming the earliest repetition.
 * Small objects are checked pairwise; large ones by sorting, so a hostile
 * object with many keys costs n log n, not n^2, and the sorted members
 * stay with the object as its index (json_get). */
static int
check_dups(jp *j, mw_node *obj)
{
	const mw_node *dup = NULL, *a, *b;
	char msg[96], q[64];

	if (obj->n <= JSON_INDEX_MIN) {
		for (b = obj->child; b && !dup; b = b->next)
			for (a = obj->child; a != b; a = a->next)
				if (same_key(a, b)) {
					dup = b;
					break;
				}
	} else {
		const mw_node **v = arena_alloc(j->a, obj->n * sizeof *v);
		size_t i = 0;

		if (!v)
			return fail_mem(j);
		for (a = obj->child; a; a = a->next)
			v[i++] = a;
		qsort(v, obj->n, sizeof *v, keycmp);
		for (i = 1; i < obj->n; i++)
			if (same_key(v[i - 1], v[i]) && (!dup || v[i]->off < dup->off))
				dup = v[i];
		obj->index = v;
	}
	if (!dup)
		return 0;
	tx_quote(q, sizeof q, dup->key, dup->keylen, 40);
	snprintf(msg, sizeof msg, "duplicate key %s", q);
	return fail_at(j, j->s + dup->off, msg);
}

static int
object(jp *j, mw_node *n)
{
	mw_node **tail = &n->child;

	if (++j->depth > RT_JSON_DEPTH)
		return fail_at(j, j->p, "nesting deeper than 64");
	j->p++;
	ws(j);
	if (j->p < j->end && *j->p == '}') {
		j->p++;
		j->depth--;
		return 0;
	}
	for (;;) {
		mw_node *m;
		const unsigned char *kp = j->p;

		if (j->p == j->end || *j->p != '"')
			return fail_at(j, j->p, "expected a string key");
		m = node_new(j, 0);
		if (!m)
			return fail_mem(j);
		if (string(j, &m->key, &m->keylen))
			return -1;
		ws(j);
		if (j->p == j->end || *j->p != ':')
			return fail_at(j, j->p, "expected ':'");
		j->p++;
		ws(j);
		if (value(j, m))
			return -1;
		m->off = (uint32_t)(kp - j->s);
		*tail = m;
		tail = &m->next;
		n->n++;
		ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			ws(j);
			continue;
		}
		if (j->p < j->end && *j->p == '}') {
			j->p++;
			break;
		}
		return fail_at(j, j->p, "expected ',' or '}'");
	}
	j->depth--;
	return check_dups(j, n);
}

static int
array(jp *j, mw_node *n)
{
	mw_node **tail = &n->child;

	if (++j->depth > RT_JSON_DEPTH)
		return fail_at(j, j->p, "nesting deeper than 64");
	j->p++;
	ws(j);
	if (j->p < j->end && *j->p == ']') {
		j->p++;
		j->depth--;
		return 0;
	}
	for (;;) {
		mw_node *m = node_new(j, 0);

		if (!m)
			return fail_mem(j);
		if (value(j, m))
			return -1;
		*tail = m;
		tail = &m->next;
		n->n++;
		ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			ws(j);
			continue;
		}
		if (j->p < j->end && *j->p == ']') {
			j->p++;
			break;
		}
		return fail_at(j, j->p, "expected ',' or ']'");
	}
	j->depth--;
	return 0;
}

static int
literal(jp *j, const char *word, size_t len, uint8_t type, mw_node *n)
{
	if ((size_t)(j->end - j->p) < len || memcmp(j->p, word, len) != 0)
		return fail_at(j, j->p, "invalid literal");
	n->type = type;
	j->p += len;
	return 0;
}

/* The value at j->p into n (allocated by the caller, so that members can
 * carry their key). */
static int
value(jp *j, mw_node *n)
{
	if (j->p == j->end)
		return fail_at(j, j->p, "unexpected end of input");
	n->off = (uint32_t)(j->p - j->s);
	switch (*j->p) {
	case '{':
		n->type = JN_OBJ;
		return object(j, n);
	case '[':
		n->type = JN_ARR;
		return array(j, n);
	case '"':
		n->type = JN_STR;
		return string(j, &n->p, &n->n);
	case 't':
		return literal(j, "true", 4, JN_TRUE, n);
	case 'f':
		return literal(j, "false", 5, JN_FALSE, n);
	case 'n':
		return literal(j, "null", 4, JN_NULL, n);
	default:
		if (*j->p == '-' || (*j->p >= '0' && *j->p <= '9')) {
			n->type = JN_NUM;
			return number(j, n);
		}
		return fail_at(j, j->p, "unexpected character");
	}
}

int
json_parse(arena *a, const char *p, size_t n, const mw_node **out, json_err *e)
{
	jp j;
	mw_node *root;

	memset(&j, 0, sizeof j);
	j.a = a;
	j.s = j.p = (const unsigned char *)p;
	j.end = j.s + n;
	j.e = e;
	e->off = 0;
	e->msg[0] = '\0';
	if (n > UINT32_MAX) {
		fail_at(&j, j.s, "input too large");
		return JSON_E_SYNTAX;
	}
	root = node_new(&j, 0);
	if (!root) {
		fail_mem(&j);
		return JSON_E_MEM;
	}
	ws(&j);
	if (value(&j, root))
		return j.mem ? JSON_E_MEM : JSON_E_SYNTAX;
	ws(&j);
	if (j.p != j.end) {
		fail_at(&j, j.p, "trailing characters after the value");
		return JSON_E_SYNTAX;
	}
	*out = root;
	return 0;
}

/* key (kn bytes) against a member's key, in keycmp's order. */
static int
key_order(const char *key, size_t kn, const mw_node *m)
{
	size_t k = kn < m->keylen ? kn : m->keylen;
	int r = memcmp(key, m->key, k);

	if (r)
		return r;
	return kn < m->keylen ? -1 : kn > m->keylen;
}

const mw_node *
json_get(const mw_node *obj, const char *key)
{
	const mw_node *m;

	if (obj->type == JN_OBJ && obj->index) {
		size_t lo = 0, hi = obj->n, kn = strlen(key);

		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			int r = key_order(key, kn, obj->index[mid]);

			if (r == 0)
				return obj->index[mid];
			if (r < 0)
				hi = mid;
			else
				lo = mid + 1;
		}
		return NULL;
	}
	for (m = obj->child; m; m = m->next) {
		const char *k = m->key;
		uint32_t i = 0, n = m->keylen;

		if (n && k[0] != key[0])
			continue;
		while (i < n && key[i] && key[i] == k[i])
			i++;
		if (i == n && key[i] == '\0')
			return m;
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* a record too large to parse: its key from the bytes                 */
/* ------------------------------------------------------------------ */

void
json_scan_init(json_scan *s, const char *field)
{
	memset(s, 0, sizeof *s);
	s->field = field;
	s->flen = strlen(field);
	/* a path ("data.id") is no top-level member: nothing to find */
	if (!s->flen || memchr(field, '.', s->flen))
		s->state = JS_DONE;
}

/* A string's byte c (after the opening quote, escapes not decoded): the
 * key being compared, or the value being kept. */
static void
scan_str(json_scan *s, unsigned char ch)
{
	if (s->esc) {
		s->esc = 0;
		if (s->state == JS_VALUE) {
			static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
			const char *e = ch ? strchr(from, ch) : NULL;

			/* \uXXXX is not decoded here: such a key stays unknown */
			if (!e || s->vn == sizeof s->val - 1)
				s->state = JS_DONE;
			else
				s->val[s->vn++] = to[e - from];
		} else {
			s->match = 0; /* an escaped key is not compared */
			s->klen++;
		}
		return;
	}
	if (ch == '\\') {
		s->esc = 1;
		return;
	}
	if (ch == '"') {
		s->in_str = 0;
		if (s->state == JS_VALUE) {
			s->val[s->vn] = '\0';
			s->found = 1;
			s->state = JS_DONE;
		} else if (s->depth == 1 && s->expect_key) {
			s->expect_key = 0;
			if (s->match && s->klen == s->flen)
				s->state = JS_COLON;
		}
		return;
	}
	if (s->state == JS_VALUE) {
		if (s->vn == sizeof s->val - 1)
			s->state = JS_DONE; /* longer than any key */
		else
			s->val[s->vn++] = (char)ch;
	} else if (s->depth == 1 && s->expect_key) {
		if (s->klen >= s->flen || s->field[s->klen] != (char)ch)
			s->match = 0;
		s->klen++;
	}
}

int
json_scan_feed(json_scan *s, const char *p, size_t n)
{
	for (size_t i = 0; i < n && s->state != JS_DONE; i++) {
		unsigned char ch = (unsigned char)p[i];

		if (s->in_str) {
			scan_str(s, ch);
			continue;
		}
		if (s->state == JS_NUMBER) {
			if ((ch >= '0' && ch <= '9') || ch == '-' || ch == '+' || ch == '.' || ch == 'e' ||
			    ch == 'E') {
				if (s->vn == sizeof s->val - 1)
					s->state = JS_DONE;
				else
					s->val[s->vn++] = (char)ch;
				continue;
			}
			s->val[s->vn] = '\0';
			s->found = 1;
			s->state = JS_DONE;
			break;
		}
		if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r')
			continue;
		if (s->state == JS_COLON) {
			s->state = ch == ':' ? JS_VALUE_START : JS_DONE;
			continue;
		}
		if (s->state == JS_VALUE_START) {
			if (ch == '"') {
				s->state = JS_VALUE;
				s->in_str = 1;
			} else if (ch == '-' || (ch >= '0' && ch <= '9')) {
				s->state = JS_NUMBER;
				s->val[s->vn++] = (char)ch;
			} else {
				s->state = JS_DONE; /* an object, array or literal: no key */
			}
			continue;
		}
		switch (ch) {
		case '"':
			s->in_str = 1;
			s->match = 1;
			s->klen = 0;
			break;
		case '{':
		case '[':
			if (s->depth == 0 && ch == '[')
				s->state = JS_DONE; /* not an object */
			s->depth++;
			s->expect_key = s->depth == 1;
			break;
		case '}':
		case ']':
			if (--s->depth <= 0)
				s->state = JS_DONE;
			break;
		case ',':
			s->expect_key = s->depth == 1;
			break;
		default:
			if (s->depth == 0)
				s->state = JS_DONE; /* not an object */
			break;
		}
	}
	return s->found;
}
