/*
 * write.c - byte buffers and the streaming writer of target documents.
 *
 * Generated code names a field (mw_field), then writes a value (mw_put),
 * an object (mw_obj_begin/end) or an array (mw_arr_begin/end, mw_elem).
 * The runtime opens the root itself (w_doc_begin) before calling the
 * entity's map function and closes it after, so a document is written in
 * one pass into one per-record buffer that is reused record after record.
 *
 * JSON: compact, fields in the order written, strings escaped (controls as
 * \u00XX, other UTF-8 kept as it is), decimals as exact JSON numbers, dates
 * and datetimes as strings.  XML (Sage Intacct): <ROOT> with one element
 * per field, arrays as <Field><elem>..</elem></Field>; the text is escaped
 * and line breaks become character references so that every document stays
 * on one output line.  Characters XML 1.0 cannot carry fail the record.
 *
 * A stack of frames names the current position, LineItems[2].AccountCode,
 * for the dead letter of a record that fails while it is being written.
 */
#include <stdlib.h>
#include <string.h>

#include "transform.h"

static const char HEX[] = "0123456789abcdef";

/* ------------------------------------------------------------------ */
/* w_buf                                                               */
/* ------------------------------------------------------------------ */

int
w_buf_init(w_buf *b, size_t first, size_t max, w_sink_fn sink, void *sink_arg)
{
	memset(b, 0, sizeof *b);
	b->p = malloc(first);
	if (!b->p)
		return -1;
	b->cap = first;
	b->max = max;
	b->sink = sink;
	b->sink_arg = sink_arg;
	return 0;
}

void
w_buf_fini(w_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof *b);
}

void
w_buf_reset(w_buf *b)
{
	b->len = 0;
	b->err = 0;
}

int
w_buf_flush(w_buf *b)
{
	if (b->sink && b->len) {
		if (b->sink(b->sink_arg, b->p, b->len) != 0)
			b->err = WB_E_IO;
		b->len = 0;
	}
	return b->err == WB_E_IO ? WB_E_IO : 0;
}

/* Make room for n more bytes; 0, or -1 with b->err set. */
static int
grow(w_buf *b, size_t n)
{
	size_t cap;
	char *p;

	if (b->err)
		return -1;
	if (b->sink) {
		if (w_buf_flush(b))
			return -1;
		if (b->cap >= n)
			return 0;
	}
	if (n > b->max - b->len) {
		b->err = WB_E_CAP;
		return -1;
	}
	cap = b->cap;
	while (cap - b->len < n)
		cap = cap > b->max / 2 ? b->max : cap * 2;
	p = realloc(b->p, cap);
	if (!p) {
		b->err = WB_E_NOMEM;
		return -1;
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

static inline int
room(w_buf *b, size_t n)
{
	return b->cap - b->len >= n && !b->err ? 0 : grow(b, n);
}

void
w_buf_put(w_buf *b, const char *p, size_t n)
{
	if (b->cap - b->len >= n && !b->err) {
		memcpy(b->p + b->len, p, n);
		b->len += n;
		return;
	}
	if (b->sink && !b->err && n > b->cap) {
		/* larger than the whole buffer: straight through */
		if (w_buf_flush(b) == 0 && b->sink(b->sink_arg, p, n) != 0)
			b->err = WB_E_IO;
		return;
	}
	if (grow(b, n))
		return;
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

void
w_buf_putc(w_buf *b, char ch)
{
	if (room(b, 1))
		return;
	b->p[b->len++] = ch;
}

const char *
w_buf_str(w_buf *b)
{
	if (room(b, 1))
		return NULL;
	b->p[b->len] = '\0';
	return b->p;
}

#define PUTS(b, lit) w_buf_put((b), (lit), sizeof(lit) - 1)

void
w_json_str(w_buf *b, const char *p, size_t n, int lossy)
{
	const unsigned char *s = (const unsigned char *)p, *e = s + n, *run = s;

	w_buf_putc(b, '"');
	while (s < e) {
		unsigned c = *s;

		if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
			s++;
			continue;
		}
		if (c >= 0x80) {
			size_t k;

			if (!lossy) {
				s++;
				continue;
			}
			k = tx_utf8_seq(s, (size_t)(e - s));
			if (k) {
				s += k;
				continue;
			}
			w_buf_put(b, (const char *)run, (size_t)(s - run));
			PUTS(b, "\xEF\xBF\xBD");   /* U+FFFD for a stray byte */
			run = ++s;
			continue;
		}
		w_buf_put(b, (const char *)run, (size_t)(s - run));
		if (c == '"') {
			PUTS(b, "\\\"");
		} else if (c == '\\') {
			PUTS(b, "\\\\");
		} else {
			char u[6] = { '\\', 'u', '0', '0', HEX[c >> 4], HEX[c & 15] };

			w_buf_put(b, u, 6);
		}
		run = ++s;
	}
	w_buf_put(b, (const char *)run, (size_t)(s - run));
	w_buf_putc(b, '"');
}

/* A NUL-terminated name as a JSON string, without a strlen pass. */
static void
json_name(w_buf *b, const char *s)
{
	w_buf_putc(b, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };

			w_buf_put(b, e, 2);
		} else if (c < 0x20) {
			char u[6] = { '\\', 'u', '0', '0', HEX[c >> 4], HEX[c & 15] };

			w_buf_put(b, u, 6);
		} else if (b->len < b->cap)
			b->p[b->len++] = (char)c;
		else
			w_buf_putc(b, (char)c);
	}
	w_buf_putc(b, '"');
}

static void
raw_name(w_buf *b, const char *s)
{
	for (; *s; s++) {
		if (b->len < b->cap)
			b->p[b->len++] = *s;
		else
			w_buf_putc(b, *s);
	}
}

/* ------------------------------------------------------------------ */
/* values                                                              */
/* ------------------------------------------------------------------ */

int
w_xml_text(w_buf *b, const char *p, size_t n, unsigned *bad)
{
	const unsigned char *s = (const unsigned char *)p, *e = s + n, *run = s;

	while (s < e) {
		unsigned ch = *s;
		const char *rep;
		size_t rn;

		switch (ch) {
		case '&': rep = "&amp;"; rn = 5; break;
		case '<': rep = "&lt;"; rn = 4; break;
		case '>': rep = "&gt;"; rn = 4; break;
		case '"': rep = "&quot;"; rn = 6; break;
		case '\'': rep = "&apos;"; rn = 6; break;
		case '\n': rep = "&#10;"; rn = 5; break;
		case '\r': rep = "&#13;"; rn = 5; break;
		default:
			if (ch < 0x20 && ch != '\t') {
				*bad = ch;
				return -1;
			}
			if (ch == 0xEF && e - s >= 3 && s[1] == 0xBF &&
			    (s[2] == 0xBE || s[2] == 0xBF)) {
				*bad = s[2] == 0xBE ? 0xFFFE : 0xFFFF;
				return -1;
			}
			s++;
			continue;
		}
		w_buf_put(b, (const char *)run, (size_t)(s - run));
		w_buf_put(b, rep, rn);
		run = ++s;
	}
	w_buf_put(b, (const char *)run, (size_t)(s - run));
	return 0;
}

/* XML text into the document (one document per line: line breaks are
 * escaped); a character XML cannot carry fails the record. */
static int
xml_text(mw_ctx *c, const char *p, size_t n)
{
	unsigned bad;

	if (w_xml_text(&c->w.out, p, n, &bad) == 0)
		return 0;
	mw_fail(c, "character U+%04X cannot be written in XML", bad);
	return -1;
}

static int
xml_name_ok(const char *p, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)p[i];

		if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch == '_' || ch >= 0x80)
			continue;
		if (i > 0 && ((ch >= '0' && ch <= '9') || ch == '-' || ch == '.'))
			continue;
		return 0;
	}
	/* names starting with "xml" are reserved */
	return !(n >= 3 && (p[0] | 32) == 'x' && (p[1] | 32) == 'm' && (p[2] | 32) == 'l');
}

static void
node_json(w_buf *b, const mw_node *n)
{
	const mw_node *m;

	switch (n->type) {
	case JN_NULL: PUTS(b, "null"); break;
	case JN_TRUE: PUTS(b, "true"); break;
	case JN_FALSE: PUTS(b, "false"); break;
	case JN_NUM: w_buf_put(b, n->p, n->n); break;
	case JN_STR: w_json_str(b, n->p, n->n, 0); break;
	case JN_ARR:
		w_buf_putc(b, '[');
		for (m = n->child; m; m = m->next) {
			if (m != n->child)
				w_buf_putc(b, ',');
			node_json(b, m);
		}
		w_buf_putc(b, ']');
		break;
	case JN_OBJ:
		w_buf_putc(b, '{');
		for (m = n->child; m; m = m->next) {
			if (m != n->child)
				w_buf_putc(b, ',');
			w_json_str(b, m->key, m->keylen, 0);
			w_buf_putc(b, ':');
			node_json(b, m);
		}
		w_buf_putc(b, '}');
		break;
	}
}

/* An input object or array in XML: members become elements named by
 * their keys, array elements become <item> elements; nulls are omitted. */
static int
node_xml(mw_ctx *c, const mw_node *n)
{
	w_buf *b = &c->w.out;
	const mw_node *m;

	switch (n->type) {
	case JN_NULL: return 0;
	case JN_TRUE: PUTS(b, "true"); return 0;
	case JN_FALSE: PUTS(b, "false"); return 0;
	case JN_NUM: w_buf_put(b, n->p, n->n); return 0;
	case JN_STR: return xml_text(c, n->p, n->n);
	case JN_ARR:
		for (m = n->child; m; m = m->next) {
			if (m->type == JN_NULL)
				continue;
			PUTS(b, "<item>");
			if (node_xml(c, m))
				return -1;
			PUTS(b, "</item>");
		}
		return 0;
	case JN_OBJ:
		for (m = n->child; m; m = m->next) {
			if (m->type == JN_NULL)
				continue;
			if (!xml_name_ok(m->key, m->keylen)) {
				char q[64];

				tx_quote(q, sizeof q, m->key, m->keylen, 40);
				mw_fail(c, "key %s is not a valid XML element name", q);
				return -1;
			}
			w_buf_putc(b, '<');
			w_buf_put(b, m->key, m->keylen);
			w_buf_putc(b, '>');
			if (node_xml(c, m))
				return -1;
			PUTS(b, "</");
			w_buf_put(b, m->key, m->keylen);
			w_buf_putc(b, '>');
		}
		return 0;
	}
	return 0;
}

/* The value's text between the separators: JSON value or XML content. */
static int
put_value(mw_ctx *c, mw_val v)
{
	w_buf *b = &c->w.out;
	char tmp[64];
	size_t n;
	int xml = c->w.xml;

	switch (v.kind) {
	case MW_BOOL:
		if (v.u.b)
			PUTS(b, "true");
		else
			PUTS(b, "false");
		return 0;
	case MW_INT:
		n = tx_i64(tmp, v.u.i);
		w_buf_put(b, tmp, n);
		return 0;
	case MW_DEC:
		if (v.u.d.scale < 0 || v.u.d.scale > DEC_MAX_SCALE || v.u.d.units == INT64_MIN) {
			mw_fail(c, "invalid decimal (scale %d)", (int)v.u.d.scale);
			return -1;
		}
		n = dec_format(v.u.d, tmp);
		w_buf_put(b, tmp, n);
		return 0;
	case MW_STR:
		if (xml)
			return xml_text(c, v.u.s.p, v.u.s.n);
		w_json_str(b, v.u.s.p, v.u.s.n, 0);
		return 0;
	case MW_DATE:
	case MW_DATETIME:
		n = tm_format(&v.u.t, tmp);
		if (xml) {
			w_buf_put(b, tmp, n);
		} else {
			w_buf_putc(b, '"');
			w_buf_put(b, tmp, n);
			w_buf_putc(b, '"');
		}
		return 0;
	case MW_OBJ:
	case MW_ARR:
		if (xml)
			return node_xml(c, v.u.node);
		node_json(b, v.u.node);
		return 0;
	default:
		return 0;
	}
}

/* ------------------------------------------------------------------ */
/* the document                                                        */
/* ------------------------------------------------------------------ */

int
w_doc_init(w_doc *d)
{
	memset(d, 0, sizeof *d);
	return w_buf_init(&d->out, 64 << 10, RT_DOC_MAX, NULL, NULL);
}

void
w_doc_fini(w_doc *d)
{
	w_buf_fini(&d->out);
}

/* The buffer back to its first size when it grew past keep bytes. */
static void
shrink(w_doc *d, size_t keep)
{
	if (d->out.cap > keep) {
		char *p = realloc(d->out.p, 64 << 10);

		if (p) {
			d->out.p = p;
			d->out.cap = 64 << 10;
		}
	}
}

void
w_doc_trim(w_doc *d)
{
	shrink(d, 64 << 10);
	w_doc_reset(d);
}

void
w_doc_reset(w_doc *d)
{
	/* A huge document grew the buffer: give the memory back rather than
	 * hold it for the rest of the run. */
	shrink(d, (size_t)4 << 20);
	d->out.len = 0;
	d->out.err = WB_OK;
	d->depth = 0;
	d->field = NULL;
}

static int
check_buf(mw_ctx *c)
{
	if (c->w.out.err) {
		rt_fail_mem(c);
		return -1;
	}
	return 0;
}

static int
push(mw_ctx *c, uint8_t kind, const char *name, const char *elem, int32_t idx)
{
	w_doc *d = &c->w;
	w_frame *f;

	if (d->depth >= RT_W_DEPTH) {
		mw_fail(c, "target document nested deeper than %d", RT_W_DEPTH);
		return -1;
	}
	f = &d->st[d->depth++];
	f->kind = kind;
	f->name = name;
	f->elem = elem;
	f->count = 0;
	f->idx = idx;
	return 0;
}

void
w_doc_begin(mw_ctx *c, const char *root, int xml)
{
	w_doc *d = &c->w;

	w_doc_reset(d);
	d->xml = xml;
	push(c, W_OBJ, root, NULL, 0);
	if (xml) {
		w_buf_putc(&d->out, '<');
		raw_name(&d->out, root);
		w_buf_putc(&d->out, '>');
	} else {
		w_buf_putc(&d->out, '{');
	}
	check_buf(c);
}

int
w_doc_end(mw_ctx *c)
{
	w_doc *d = &c->w;

	if (c->failed)
		return -1;
	if (d->depth != 1) {
		mw_fail(c, "internal error: %d objects or arrays left open", d->depth - 1);
		return -1;
	}
	if (d->xml) {
		PUTS(&d->out, "</");
		raw_name(&d->out, d->st[0].name);
		w_buf_putc(&d->out, '>');
	} else {
		w_buf_putc(&d->out, '}');
	}
	d->depth = 0;
	return check_buf(c);
}

/*
 * Start the next item of the innermost container: in JSON the comma and,
 * in an object, the key; in XML the start tag.  Returns the tag name (for
 * the end tag) or NULL after failing.  `bump` counts the item now; mw_elem
 * counts it once written so that a failure names its index.
 */
static const char *
open_item(mw_ctx *c, int bump)
{
	w_doc *d = &c->w;
	w_frame *f;
	const char *name;

	if (d->depth == 0) {
		mw_fail(c, "internal error: no document is being written");
		return NULL;
	}
	f = &d->st[d->depth - 1];
	if (f->kind == W_OBJ) {
		name = d->field;
		if (!name) {
			mw_fail(c, "internal error: a value without a field name");
			return NULL;
		}
	} else {
		name = f->elem;
	}
	if (d->xml) {
		w_buf_putc(&d->out, '<');
		raw_name(&d->out, name);
		w_buf_putc(&d->out, '>');
	} else {
		if (f->count)
			w_buf_putc(&d->out, ',');
		if (f->kind == W_OBJ) {
			json_name(&d->out, name);
			w_buf_putc(&d->out, ':');
		}
	}
	if (bump)
		f->count++;
	return name;
}

static void
close_tag(w_buf *b, const char *name)
{
	PUTS(b, "</");
	raw_name(b, name);
	w_buf_putc(b, '>');
}

void
mw_field(mw_ctx *c, const char *name, int line)
{
	if (c->failed)
		return;
	c->w.field = name;
	c->line = line;
}

static void elem(mw_ctx *c, mw_val v);

void
mw_put(mw_ctx *c, mw_val v, int required)
{
	w_doc *d = &c->w;
	const char *tag;

	if (c->failed)
		return;
	if (v.kind == MW_MISSING || v.kind == MW_NULL) {
		if (required)
			mw_fail(c, "required field %s has no value", d->field ? d->field : "?");
		d->field = NULL;
		return;
	}
	if (c->trace)
		c->trace->value(c->trace->arg, c, v);
	if (d->depth > 0 && d->st[d->depth - 1].kind == W_ARR) {
		elem(c, v);
		return;
	}
	tag = open_item(c, 1);
	if (!tag || put_value(c, v))
		return;
	if (d->xml)
		close_tag(&d->out, tag);
	if (check_buf(c) == 0)
		d->field = NULL;
}

void
mw_obj_begin(mw_ctx *c)
{
	w_doc *d = &c->w;
	const char *tag;
	int32_t idx;

	if (c->failed)
		return;
	tag = open_item(c, 1);
	if (!tag)
		return;
	idx = d->st[d->depth - 1].count - 1;
	if (push(c, W_OBJ, tag, NULL, idx))
		return;
	if (!d->xml)
		w_buf_putc(&d->out, '{');
	d->field = NULL;
	check_buf(c);
}

void
mw_arr_begin(mw_ctx *c, const char *elem_name)
{
	w_doc *d = &c->w;
	const char *tag;
	int32_t idx;

	if (c->failed)
		return;
	tag = open_item(c, 1);
	if (!tag)
		return;
	idx = d->st[d->depth - 1].count - 1;
	if (push(c, W_ARR, tag, elem_name ? elem_name : "item", idx))
		return;
	if (!d->xml)
		w_buf_putc(&d->out, '[');
	d->field = NULL;
	check_buf(c);
}

static void
end(mw_ctx *c, uint8_t kind)
{
	w_doc *d = &c->w;
	w_frame *f;

	if (c->failed)
		return;
	if (d->depth < 2 || d->st[d->depth - 1].kind != kind) {
		mw_fail(c, "internal error: %s_end without its %s_begin",
			kind == W_OBJ ? "mw_obj" : "mw_arr", kind == W_OBJ ? "mw_obj" : "mw_arr");
		return;
	}
	f = &d->st[--d->depth];
	if (d->xml)
		close_tag(&d->out, f->name);
	else
		w_buf_putc(&d->out, kind == W_OBJ ? '}' : ']');
	d->field = NULL;
	check_buf(c);
}

void
mw_obj_end(mw_ctx *c)
{
	end(c, W_OBJ);
}

void
mw_arr_end(mw_ctx *c)
{
	end(c, W_ARR);
}

/* Like mw_put, NULL and MISSING elements are left out. */
static void
elem(mw_ctx *c, mw_val v)
{
	w_doc *d = &c->w;
	const char *tag;

	if (v.kind == MW_MISSING || v.kind == MW_NULL)
		return;
	if (d->depth == 0 || d->st[d->depth - 1].kind != W_ARR) {
		mw_fail(c, "internal error: mw_elem outside an array");
		return;
	}
	tag = open_item(c, 0);
	if (!tag || put_value(c, v))
		return;
	if (d->xml)
		close_tag(&d->out, tag);
	d->st[d->depth - 1].count++;
	d->field = NULL;
	check_buf(c);
}

void
mw_elem(mw_ctx *c, mw_val v)
{
	if (c->failed)
		return;
	if (c->trace)
		c->trace->value(c->trace->arg, c, v);
	elem(c, v);
}
