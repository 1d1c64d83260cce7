/*
 * suggest.c - `mapc suggest SOURCE.Object TARGET.Object [-I DIR]...`:
 * a draft `entity` block from two schemas, for a mapping author to review.
 *
 * The schemas are loaded the way a pair file loads them (ld_program
 * over a pair block written here), so the field types are the
 * checker's own.  Each target field is paired with a source field by name
 * (names split into words at camelCase, snake_case and digits, lowercased,
 * plurals folded, a small synonym table) and by type (a date never goes
 * into money; a datetime goes into a date through date()).  Within one
 * object the pairing is greedy, best score first, each source field used
 * once, ties broken by schema order: the same schemas always give the same
 * text.  Objects and arrays of objects are paired the same way and filled
 * recursively (`LineItems = [ for li in lineItems { ... } ]`).  A required
 * target field with no partner is written `FIELD = TODO` with its type in
 * the comment, so that filling the TODOs gives a block that compiles.
 *
 * Scores are integer hundredths, printed as 0.00 to 1.00: 1.00 the same
 * name, 0.95 the same words, 0.85 synonyms, below that the weighted share
 * of common words, times the type factor of a conversion.
 */
#include <stdlib.h>
#include <string.h>

#include "mapc.h"
#include "parser.h"

#define MAXW 12     /* words of a name */
#define WLEN 48     /* bytes of one word */
#define MIN_SCORE 40
#define MAX_DEPTH 4

/* ------------------------------------------------------------------ */
/* names as words                                                      */
/* ------------------------------------------------------------------ */

typedef struct {
	char w[MAXW][WLEN];
	int n;
	char digits[16];  /* the digit words, concatenated: "1" of PHONE1 */
	char flat[160];   /* the other words, concatenated: "phone" */
} Words;

/* Synonym groups: the first spelling is the canonical word.  Entries are
 * flattened names (words joined, lowercase), matched against runs of one to
 * four words, so "item code", "ItemCode" and "item_code" all read "itemcode". */
static const char *const synonyms[][10] = {
	{ "quantity", "qty", "qtyordered", "quantityordered" },
	{ "sku", "itemcode", "itemid", "productcode", "itemnumber", "partnumber", "productsku" },
	{ "total", "amount", "amt", "totalamount", "totalamt", "ordertotal", "grandtotal" },
	{ "subtotal", "subtotalamount", "ordersubtotal", "netamount" },
	{ "tax", "taxamount", "totaltax", "taxtotal", "ordertax", "vat" },
	{ "discount", "discountamount", "discountamt", "orderdiscount" },
	{ "price", "unitprice", "unitamount", "unitcost" },
	{ "email", "emailaddress", "emailaddr", "mail" },
	{ "phone", "phonenumber", "telephone", "telephonenumber", "tel" },
	{ "date", "orderdate", "txndate", "transactiondate", "docdate", "invoicedate",
	  "datecreated" },
	{ "ref", "reference", "referenceno", "referencenumber" },
	{ "description", "desc", "itemdesc" },
	{ "name", "displayname", "fullname" },
	{ "customer", "contact", "client" },
	{ "firstname", "givenname", "fname" },
	{ "lastname", "familyname", "surname", "lname" },
	{ "company", "companyname", "organisation", "organization" },
	{ "address", "addr", "addressline", "street", "line" },
	{ "billing", "bill", "billto" },
	{ "shipping", "ship", "shipto", "delivery" },
	{ "zip", "zipcode", "postalcode", "postcode", "zippostalcode" },
	{ "state", "region", "province", "stateprovince", "countrysubdivision",
	  "countrysubdivisioncode" },
	{ "currency", "currencycode", "curr" },
	{ "note", "notes", "memo", "comment", "comments", "privatenote" },
	{ "number", "no", "num", "nr" },
	{ "active", "isactive", "enabled" },
	{ "item", "lineitem", "orderitem", "sotransitem", "salesitem" },
};

/* Words that say little on their own: they weigh a quarter in the share. */
static const char *const generic[] = {
	"id", "code", "number", "type", "key", "value", "info", "detail", "details",
};

static int
is_upper(int c)
{
	return c >= 'A' && c <= 'Z';
}

static int
is_lower(int c)
{
	return c >= 'a' && c <= 'z';
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static void
add_word(Words *w, const char *s, size_t n)
{
	if (n == 0 || w->n == MAXW)
		return;
	if (n >= WLEN)
		n = WLEN - 1;
	char *d = w->w[w->n++];
	for (size_t i = 0; i < n; i++)
		d[i] = is_upper(s[i]) ? (char)(s[i] - 'A' + 'a') : s[i];
	d[n] = 0;
	/* plurals: items -> item, addresses -> address; not status or address */
	if (is_digit(d[0]) || n <= 3)
		return;
	if (n > 4 && strcmp(d + n - 4, "sses") == 0)
		d[n - 2] = 0;
	else if (d[n - 1] == 's' && d[n - 2] != 's' && d[n - 2] != 'u' && d[n - 2] != 'i')
		d[n - 1] = 0;
}

/* Split at _ and other separators, lower-to-upper (orderDate), the last
 * capital of a run before a lower-case letter (XMLFile) and digits. */
static void
split(const char *s, Words *w)
{
	memset(w, 0, sizeof *w);
	size_t len = strlen(s), start = 0;
	for (size_t i = 0; i <= len; i++) {
		int c = i < len ? (unsigned char)s[i] : 0;
		int sep = !(is_upper(c) || is_lower(c) || is_digit(c));
		int brk = 0;
		if (!sep && i > start) {
			int p = (unsigned char)s[i - 1];
			int nx = i + 1 < len ? (unsigned char)s[i + 1] : 0;
			brk = (is_upper(c) && is_lower(p)) || (is_digit(c) != is_digit(p)) ||
			      (is_upper(c) && is_upper(p) && is_lower(nx));
		}
		if (sep || brk) {
			add_word(w, s + start, i - start);
			start = sep ? i + 1 : i;
		}
	}
	for (int i = 0; i < w->n; i++) {
		char *dst = is_digit(w->w[i][0]) ? w->digits : w->flat;
		size_t cap = is_digit(w->w[i][0]) ? sizeof w->digits : sizeof w->flat;
		size_t have = strlen(dst);
		snprintf(dst + have, cap - have, "%s", w->w[i]);
	}
}

static const char *
synonym_of(const char *flat)
{
	for (size_t g = 0; g < sizeof synonyms / sizeof *synonyms; g++)
		for (int i = 0; i < 10 && synonyms[g][i]; i++)
			if (strcmp(synonyms[g][i], flat) == 0)
				return synonyms[g][0];
	return NULL;
}

/* The canonical words of w, digits left out: the longest run of words
 * that spells a synonym becomes its group's first word. */
static void
canonical(const Words *w, Words *out)
{
	memset(out, 0, sizeof *out);
	const char *ws[MAXW];
	int n = 0;
	for (int i = 0; i < w->n; i++)
		if (!is_digit(w->w[i][0]))
			ws[n++] = w->w[i];
	for (int i = 0; i < n;) {
		int took = 0;
		for (int len = n - i < 4 ? n - i : 4; len >= 1 && !took; len--) {
			char run[4 * WLEN] = "";
			size_t have = 0;
			for (int k = 0; k < len; k++)
				have += (size_t)snprintf(run + have, sizeof run - have, "%s", ws[i + k]);
			const char *c = synonym_of(run);
			if (c) {
				add_word(out, c, strlen(c));
				i += len;
				took = 1;
			}
		}
		if (!took) {
			add_word(out, ws[i], strlen(ws[i]));
			i++;
		}
	}
}

static int
weight(const char *word)
{
	for (size_t i = 0; i < sizeof generic / sizeof *generic; i++)
		if (strcmp(generic[i], word) == 0)
			return 1;
	return 4;
}

static int
has_word(const Words *w, const char *word)
{
	for (int i = 0; i < w->n; i++)
		if (strcmp(w->w[i], word) == 0)
			return 1;
	return 0;
}

typedef struct {
	int score;     /* hundredths */
	char why[360];
} Sim;

/* How alike two field names are, and why. */
static Sim
name_sim(const char *t, const char *s)
{
	Sim r = { 0, "" };
	if (strcmp(t, s) == 0) {
		r.score = 100;
		snprintf(r.why, sizeof r.why, "same name");
		return r;
	}
	Words tw, sw, tc, sc;
	split(t, &tw);
	split(s, &sw);
	if (tw.digits[0] && sw.digits[0] && strcmp(tw.digits, sw.digits) != 0)
		return r; /* Line1 is not Address2 */
	if (!tw.flat[0] || !sw.flat[0])
		return r;
	if (strcmp(tw.flat, sw.flat) == 0) {
		r.score = 95;
		snprintf(r.why, sizeof r.why, "name match");
		return r;
	}
	canonical(&tw, &tc);
	canonical(&sw, &sc);
	/* the shared weight of the two sets of words (each word once) */
	int wt = 0, ws = 0, shared = 0;
	Buf words = { 0 };
	for (int i = 0; i < tc.n; i++) {
		int dup = 0;
		for (int k = 0; k < i; k++)
			dup |= strcmp(tc.w[k], tc.w[i]) == 0;
		if (dup)
			continue;
		wt += weight(tc.w[i]);
		if (has_word(&sc, tc.w[i])) {
			shared += weight(tc.w[i]);
			buf_printf(&words, "%s%s", words.len ? " " : "", tc.w[i]);
		}
	}
	for (int i = 0; i < sc.n; i++) {
		int dup = 0;
		for (int k = 0; k < i; k++)
			dup |= strcmp(sc.w[k], sc.w[i]) == 0;
		if (!dup)
			ws += weight(sc.w[i]);
	}
	if (shared && shared == wt && shared == ws) {
		r.score = 85;
		snprintf(r.why, sizeof r.why, "synonym %s~%s", tw.flat, sw.flat);
	} else if (shared) {
		r.score = 75 * 2 * shared / (wt + ws);
		snprintf(r.why, sizeof r.why, "words %s", words.p);
	}
	buf_free(&words);
	return r;
}

/* ------------------------------------------------------------------ */
/* types                                                               */
/* ------------------------------------------------------------------ */

/* The factor (percent) for writing a source value of type s into a
 * target field of type t, and the conversion it needs (NULL: none);
 * 0 when it cannot be written.  Plain values only. */
static int
convert(const Type *t, const Type *s, const char **fn)
{
	*fn = NULL;
	int num = s->k == TY_INT || s->k == TY_DEC || s->k == TY_MONEY;
	switch (t->k) {
	case TY_STRING:
		if (s->k == TY_STRING)
			return 100;
		if (num || s->k == TY_BOOL || s->k == TY_DATE || s->k == TY_DATETIME) {
			*fn = "string";
			return 80;
		}
		return 0;
	case TY_INT:
		return s->k == TY_INT ? 100 : 0;
	case TY_DEC:
	case TY_MONEY:
		return num ? 100 : 0;
	case TY_BOOL:
		return s->k == TY_BOOL ? 100 : 0;
	case TY_MAP:
		return s->k == TY_MAP ? 100 : 0;
	case TY_DATE:
		if (s->k == TY_DATE)
			return 100;
		*fn = "date";
		return s->k == TY_DATETIME ? 95 : s->k == TY_STRING ? 70 : 0;
	case TY_DATETIME:
		if (s->k == TY_DATETIME)
			return 100;
		*fn = "datetime";
		return s->k == TY_STRING ? 70 : 0;
	default:
		return 0;
	}
}

static int
plain(const Type *t)
{
	return t->k == TY_STRING || t->k == TY_INT || t->k == TY_DEC || t->k == TY_MONEY ||
	       t->k == TY_BOOL || t->k == TY_DATE || t->k == TY_DATETIME || t->k == TY_MAP;
}

static int
obj_array(const Type *t)
{
	return t->k == TY_ARR && t->elem->k == TY_OBJ;
}

/* The field's type as a schema writes it, with enum and max. */
static void
type_text(Buf *b, const FieldDef *f)
{
	const Type *t = f->ty;
	int arr = t->k == TY_ARR;
	if (arr)
		t = t->elem;
	const char *n = t->k == TY_OBJ && t->obj ? t->obj->name
		      : t->k == TY_STRING ? "string" : t->k == TY_INT ? "integer"
		      : t->k == TY_DEC ? "decimal" : t->k == TY_MONEY ? "money"
		      : t->k == TY_BOOL ? "boolean" : t->k == TY_DATE ? "date"
		      : t->k == TY_DATETIME ? "datetime" : t->k == TY_MAP ? "map" : "?";
	buf_printf(b, arr ? "[%s]" : "%s", n);
	if (f->enums) {
		buf_puts(b, " enum(");
		for (const StrList *e = f->enums; e; e = e->next)
			buf_printf(b, "%s\"%s\"", e == f->enums ? "" : ", ", e->s);
		buf_puts(b, ")");
	}
	if (f->max)
		buf_printf(b, " max %d", f->max);
}

/* ------------------------------------------------------------------ */
/* writing names                                                       */
/* ------------------------------------------------------------------ */

/* Is s an identifier as the lexer reads it (not a keyword)? */
static int
plain_name(const char *s)
{
	SrcFile f = { "(name)", s, strlen(s), 1 };
	Lexer lx;
	lx_init(&lx, &f);
	int errors = diag_errors;
	Token t = lx_next(&lx);
	diag_errors = errors;
	return t.type == TK_ID && (size_t)t.loc.len == strlen(s);
}

static void
put_name(Buf *b, const char *s)
{
	buf_printf(b, plain_name(s) ? "%s" : "`%s`", s);
}

static void
indent(Buf *b, int n)
{
	for (int i = 0; i < n; i++)
		buf_puts(b, "  ");
}

/* ------------------------------------------------------------------ */
/* pairing one object                                                  */
/* ------------------------------------------------------------------ */

typedef enum { K_VALUE, K_WRAP, K_OBJ, K_ARR } Kind;

typedef struct {
	int ti, si, score;
	Kind kind;
	const char *fn;
	char why[360];
} Cand;

typedef struct {
	const char *vars[MAX_DEPTH + 2]; /* the loop variables in scope */
	int nvars;
} Loops;

typedef struct {
	int lines;  /* fields written from a source field */
	int best;   /* their best score */
} Filled;

static int
cand_order(const void *x, const void *y)
{
	const Cand *a = x, *b = y;
	if (a->score != b->score)
		return b->score - a->score;
	if (a->ti != b->ti)
		return a->ti - b->ti;
	return a->si - b->si;
}

static int
count_fields(const ObjDef *o)
{
	int n = 0;
	for (const FieldDef *f = o->fields; f; f = f->next)
		n++;
	return n;
}

static FieldDef *
nth_field(const ObjDef *o, int i)
{
	FieldDef *f = o->fields;
	while (f && i-- > 0)
		f = f->next;
	return f;
}

/* The only field of a wrapper object (qbo's EmailAddress { Address }). */
static FieldDef *
wrapped(const FieldDef *t)
{
	if (t->ty->k != TY_OBJ || !t->ty->obj)
		return NULL;
	FieldDef *f = t->ty->obj->fields;
	return f && !f->next && plain(f->ty) ? f : NULL;
}

/* The loop variable for walking source array a: its words' initials. */
static const char *
loop_var(const FieldDef *a, const ObjDef *scope, const Loops *lp)
{
	Words w;
	split(a->name, &w);
	char base[16] = "";
	size_t n = 0;
	for (int i = 0; i < w.n && n < 6; i++)
		if (!is_digit(w.w[i][0]))
			base[n++] = w.w[i][0];
	if (n == 0)
		base[n++] = 'x';
	base[n] = 0;
	for (int k = 1;; k++) {
		char name[24];
		if (k == 1)
			snprintf(name, sizeof name, "%s", base);
		else
			snprintf(name, sizeof name, "%s%d", base, k);
		int clash = !plain_name(name);
		for (int i = 0; i < lp->nvars; i++)
			clash |= strcmp(lp->vars[i], name) == 0;
		for (const FieldDef *f = scope->fields; f; f = f->next)
			clash |= strcmp(f->name, name) == 0;
		if (!clash)
			return ar_strndup(name, strlen(name));
	}
}

static Filled body(Buf *o, const ObjDef *tgt, const ObjDef *src, const char *prefix, int ind,
		   int depth, Loops *lp);

static void
source_path(Buf *b, const char *prefix, const FieldDef *s, const char *fn)
{
	if (fn)
		buf_printf(b, "%s(", fn);
	buf_puts(b, prefix);
	put_name(b, s->name);
	if (fn)
		buf_puts(b, ")");
}

static void
confidence(Buf *b, int score, const char *why, const char *fn)
{
	buf_printf(b, "  # %d.%02d %s", score / 100, score % 100, why);
	if (fn)
		buf_printf(b, ", %s()", fn);
	buf_puts(b, "\n");
}

/* All the pairs of target and source fields worth considering. */
static int
candidates(const ObjDef *tgt, const ObjDef *src, Cand *out, int max)
{
	int n = 0, ti = 0;
	for (const FieldDef *t = tgt->fields; t; t = t->next, ti++) {
		int si = 0;
		const FieldDef *inner = wrapped(t);
		for (const FieldDef *s = src->fields; s; s = s->next, si++) {
			Cand c = { ti, si, 0, K_VALUE, NULL, "" };
			Sim m = name_sim(t->name, s->name);
			if (plain(t->ty) && plain(s->ty)) {
				int f = convert(t->ty, s->ty, &c.fn);
				c.score = m.score * f / 100;
			} else if (t->ty->k == TY_OBJ && s->ty->k == TY_OBJ) {
				c.kind = K_OBJ;
				c.score = m.score;
			} else if (obj_array(t->ty) && obj_array(s->ty)) {
				c.kind = K_ARR;
				c.score = m.score;
			} else if (inner && plain(s->ty)) {
				/* PrimaryPhone = { FreeFormNumber = phone }: the outer name counts */
				Sim mi = name_sim(inner->name, s->name);
				if (mi.score > m.score)
					m = mi;
				int f = convert(inner->ty, s->ty, &c.fn);
				c.kind = K_WRAP;
				c.score = m.score * f / 100;
			}
			snprintf(c.why, sizeof c.why, "%s", m.why);
			if (c.score >= MIN_SCORE && n < max)
				out[n++] = c;
		}
	}
	return n;
}

static void
unmatched_note(Buf *o, int ind, const char *const *names, int n)
{
	if (n == 0)
		return;
	int col = 0;
	for (int i = 0; i < n; i++) {
		int len = (int)strlen(names[i]);
		if (col == 0 || col + len + 2 > 96) {
			if (col)
				buf_puts(o, "\n");
			indent(o, ind);
			buf_puts(o, i == 0 ? "# not matched: " : "#   ");
			col = ind * 2 + 15;
		} else {
			buf_puts(o, ", ");
			col += 2;
		}
		buf_puts(o, names[i]);
		col += len;
	}
	buf_puts(o, "\n");
}

/* The statements filling target object tgt from source object src, whose
 * fields are read as prefix + name. */
static Filled
body(Buf *o, const ObjDef *tgt, const ObjDef *src, const char *prefix, int ind, int depth,
     Loops *lp)
{
	Filled done = { 0, 0 };
	int nt = count_fields(tgt), ns = count_fields(src);
	int cap = nt * ns + 1;
	Cand *all = ar_alloc(sizeof *all * (size_t)cap);
	int n = candidates(tgt, src, all, cap);
	qsort(all, (size_t)n, sizeof *all, cand_order);
	Cand **pick = ar_alloc(sizeof *pick * (size_t)(nt + 1));
	char *used = ar_alloc((size_t)ns + 1);
	for (int i = 0; i < n; i++) {
		if (pick[all[i].ti] || used[all[i].si])
			continue;
		pick[all[i].ti] = &all[i];
		used[all[i].si] = 1;
	}
	const char **missed = ar_alloc(sizeof *missed * (size_t)(nt + 1));
	int nmissed = 0;

	for (int ti = 0; ti < nt; ti++) {
		const FieldDef *t = nth_field(tgt, ti);
		const Cand *c = pick[ti];
		/* A required array of objects with no partner by name: the
		 * first source array of objects left, on its type alone. */
		if (!c && t->required && obj_array(t->ty)) {
			int si = 0;
			for (const FieldDef *s = src->fields; s; s = s->next, si++) {
				if (!used[si] && obj_array(s->ty)) {
					Cand *f = ar_alloc(sizeof *f);
					*f = (Cand){ ti, si, 30, K_ARR, NULL, "type only" };
					used[si] = 1;
					c = pick[ti] = f;
					break;
				}
			}
		}
		Buf line = { 0 };
		if (c && c->kind == K_VALUE) {
			indent(&line, ind);
			put_name(&line, t->name);
			buf_puts(&line, " = ");
			source_path(&line, prefix, nth_field(src, c->si), c->fn);
			confidence(&line, c->score, c->why, c->fn);
			done.lines++;
		} else if (c && c->kind == K_WRAP) {
			indent(&line, ind);
			put_name(&line, t->name);
			buf_puts(&line, " = { ");
			put_name(&line, wrapped(t)->name);
			buf_puts(&line, " = ");
			source_path(&line, prefix, nth_field(src, c->si), c->fn);
			buf_puts(&line, " }");
			confidence(&line, c->score, c->why, c->fn);
			done.lines++;
		} else if (c && c->kind == K_OBJ && depth < MAX_DEPTH) {
			const FieldDef *s = nth_field(src, c->si);
			Buf inner = { 0 }, pre = { 0 };
			buf_printf(&pre, "%s", prefix);
			put_name(&pre, s->name);
			buf_puts(&pre, ".");
			Filled f = body(&inner, t->ty->obj, s->ty->obj, pre.p, ind + 1, depth + 1, lp);
			if (f.lines || t->required) {
				indent(&line, ind);
				put_name(&line, t->name);
				buf_puts(&line, " = {");
				confidence(&line, c->score, c->why, NULL);
				buf_put(&line, inner.p, inner.len);
				indent(&line, ind);
				buf_puts(&line, "}\n");
				done.lines++;
			}
			buf_free(&inner);
			buf_free(&pre);
		} else if (c && c->kind == K_ARR && depth < MAX_DEPTH) {
			const FieldDef *s = nth_field(src, c->si);
			const char *v = loop_var(s, src, lp);
			Buf inner = { 0 }, pre = { 0 };
			buf_printf(&pre, "%s.", v);
			lp->vars[lp->nvars++] = v;
			Filled f = body(&inner, t->ty->elem->obj, s->ty->elem->obj, pre.p, ind + 2,
				depth + 1, lp);
			lp->nvars--;
			if (f.lines || t->required) {
				indent(&line, ind);
				put_name(&line, t->name);
				buf_puts(&line, " = [");
				confidence(&line, c->score, c->why, NULL);
				indent(&line, ind + 1);
				buf_printf(&line, "for %s in ", v);
				source_path(&line, prefix, s, NULL);
				buf_puts(&line, " {\n");
				buf_put(&line, inner.p, inner.len);
				indent(&line, ind + 1);
				buf_puts(&line, "}\n");
				indent(&line, ind);
				buf_puts(&line, "]\n");
				done.lines++;
			}
			buf_free(&inner);
			buf_free(&pre);
		} else if ((t->ty->k == TY_OBJ || obj_array(t->ty)) && depth < MAX_DEPTH) {
			/* No source object of its own: fill it from the fields in
			 * scope (Invoice.Contact from the order's customerId); an
			 * array so, only when it is required. */
			int arr = t->ty->k == TY_ARR;
			const ObjDef *to = arr ? t->ty->elem->obj : t->ty->obj;
			Buf inner = { 0 };
			Filled f = body(&inner, to, src, prefix, ind + 1 + arr, depth + 1, lp);
			if (t->required || (!arr && f.lines && f.best >= 60)) {
				indent(&line, ind);
				put_name(&line, t->name);
				buf_puts(&line, arr ? " = [\n" : " = {\n");
				if (arr) {
					indent(&line, ind + 1);
					buf_puts(&line, "{\n");
				}
				buf_put(&line, inner.p, inner.len);
				if (arr) {
					indent(&line, ind + 1);
					buf_puts(&line, "}\n");
				}
				indent(&line, ind);
				buf_puts(&line, arr ? "]\n" : "}\n");
				done.lines += f.lines > 0;
			} else {
				missed[nmissed++] = t->name;
			}
			buf_free(&inner);
		} else if (t->required) {
			indent(&line, ind);
			put_name(&line, t->name);
			buf_puts(&line, " = TODO  # required, no match: ");
			type_text(&line, t);
			buf_puts(&line, "\n");
		} else {
			missed[nmissed++] = t->name;
		}
		if (c && c->score > done.best)
			done.best = c->score;
		if (line.len)
			buf_put(o, line.p, line.len);
		buf_free(&line);
	}
	unmatched_note(o, ind, missed, nmissed);
	return done;
}

/* ------------------------------------------------------------------ */
/* the command                                                         */
/* ------------------------------------------------------------------ */

static void
sg_usage(FILE *f)
{
	fputs("usage: mapc suggest SOURCE.Object TARGET.Object [-I DIR]...\n"
	      "\n"
	      "Prints a draft entity block mapping SOURCE's object to TARGET's, from the\n"
	      "schemas in -I DIR, then mappings/schemas/ (e.g. `mapc suggest\n"
	      "clarity_ecommerce.Order xero.Invoice`).  Each line ends with a confidence;\n"
	      "required target fields with no match read `FIELD = TODO`.\n", f);
}

static Service *
service_named(const Program *p, const char *name)
{
	for (Decl *d = p->decls; d; d = d->next)
		if (d->k == D_SERVICE && d->u.svc->name == name)
			return d->u.svc;
	return NULL;
}

/* The object SVC.NAME names: an object type, or a collection's type. */
static ObjDef *
object_named(const Service *s, const char *name, const char *arg)
{
	for (ObjDef *o = s->objs; o; o = o->next)
		if (o->name == name)
			return o;
	for (Coll *c = s->colls; c; c = c->next)
		if (c->name == name && c->obj)
			return c->obj;
	const char *cand[512];
	int n = 0;
	for (ObjDef *o = s->objs; o && n < 512; o = o->next)
		cand[n++] = o->name;
	const char *hint = diag_suggest(name, cand, n);
	fprintf(stderr, "mapc: error: service `%s` has no object `%s` (in %s)", s->name, name, arg);
	if (hint)
		fprintf(stderr, "; did you mean `%s`?", hint);
	fputs("\n", stderr);
	return NULL;
}

static int
split_arg(const char *a, const char **svc, const char **obj)
{
	const char *dot = strchr(a, '.');
	if (!dot || dot == a || !dot[1] || strchr(dot + 1, '.'))
		return -1;
	*svc = ar_intern(a, (size_t)(dot - a));
	*obj = ar_intern(dot + 1, strlen(dot + 1));
	return 0;
}

int
sg_main(int argc, char **argv)
{
	const char *dirs[64], *args[2];
	int ndirs = 0, nargs = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "-I") == 0 && i + 1 < argc) {
			if (ndirs < 63)
				dirs[ndirs++] = argv[++i];
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			sg_usage(stdout);
			return 0;
		} else if (a[0] == '-' || nargs == 2) {
			sg_usage(stderr);
			return 2;
		} else {
			args[nargs++] = a;
		}
	}
	if (nargs != 2) {
		sg_usage(stderr);
		return 2;
	}
	dirs[ndirs++] = "mappings/schemas";
	const char *ssvc, *sobj, *tsvc, *tobj;
	if (split_arg(args[0], &ssvc, &sobj) || split_arg(args[1], &tsvc, &tobj)) {
		fprintf(stderr, "mapc: error: name the objects as SERVICE.Object "
			"(clarity_ecommerce.Order)\n");
		return ld_finish(2);
	}
	const char *salias = ssvc, *talias = tsvc;
	if (ssvc == tsvc)
		talias = ps_concat(tsvc, "_target");

	/* A pair block naming the two services, so that the schemas load
	 * and check exactly as a mapping's would. */
	Buf text = { 0 };
	buf_printf(&text, "pair suggest {\n  source %s: %s { }\n  target %s: %s { }\n}\n", salias,
		ssvc, talias, tsvc);
	SrcFile *f = ar_alloc(sizeof *f);
	f->name = "(mapc suggest)";
	f->text = ar_strndup(text.p, text.len);
	f->len = text.len;
	buf_free(&text);
	Program prog;
	if (ld_program(&prog, f, dirs, ndirs, LD_CHECK) != 0)
		return ld_finish(1);

	Service *ss = service_named(&prog, ssvc), *ts = service_named(&prog, tsvc);
	if (!ss || !ts)
		return ld_finish(1);
	ObjDef *so = object_named(ss, sobj, args[0]), *to = object_named(ts, tobj, args[1]);
	if (!so || !to)
		return ld_finish(1);
	Coll *coll = NULL;
	for (Coll *c = ss->colls; c && !coll; c = c->next)
		if (c->obj == so && c->name == sobj)
			coll = c;
	for (Coll *c = ss->colls; c && !coll; c = c->next)
		if (c->obj == so)
			coll = c;
	if (!coll) {
		fprintf(stderr, "mapc: error: no collection of `%s` holds `%s` records; an entity "
			"reads a collection\n", ss->name, so->name);
		return ld_finish(1);
	}
	const FieldDef *key = NULL;
	for (const FieldDef *k = so->fields; k && !key; k = k->next)
		if (k->is_key)
			key = k;
	for (const FieldDef *k = so->fields; k && !key; k = k->next)
		if (k->required && (k->ty->k == TY_STRING || k->ty->k == TY_INT))
			key = k;

	Buf o = { 0 };
	buf_printf(&o, "# Draft from `mapc suggest %s %s`: review every line.\n", args[0], args[1]);
	buf_puts(&o, "# Confidence 0..1 after each field; TODO marks required fields with no match.\n");
	buf_printf(&o, "# It expects a pair block with `source %s: %s` and `target %s: %s`.\n",
		salias, ssvc, talias, tsvc);
	buf_puts(&o, "entity ");
	put_name(&o, so->name);
	buf_puts(&o, ": ");
	put_name(&o, salias);
	buf_puts(&o, ".");
	put_name(&o, coll->name);
	buf_puts(&o, " -> ");
	put_name(&o, talias);
	buf_puts(&o, ".");
	put_name(&o, to->name);
	buf_puts(&o, " key ");
	if (key)
		put_name(&o, key->name);
	else
		buf_puts(&o, "TODO");
	buf_puts(&o, key ? " {\n" : " {  # no key field in the schema\n");
	Loops lp = { { 0 }, 0 };
	body(&o, to, so, "", 1, 0, &lp);
	buf_puts(&o, "}\n");
	int rc = fwrite(o.p, 1, o.len, stdout) == o.len ? 0 : 1;
	buf_free(&o);
	return ld_finish(rc);
}
