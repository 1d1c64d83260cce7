/*
 * doc.c - `mapc doc`: the mapping sheet a customer's finance team signs
 * off, in Markdown (the default) or as one self-contained HTML page.
 *
 *   mapc doc [--html] [-I DIR]... FILE.map
 *
 * It reads a checked program and says, in the mapping's declaration order,
 * what each entity does (source collection, target type, key, filter and
 * triggers in words), each target field with its source expression and
 * its rule (lookups named), the checks in words, every table in full and
 * the error policies in plain words.  The comments the author wrote next to
 * a declaration or a statement are carried over as notes.  The same input
 * gives the same bytes: no dates, no hashes, no paths but the file's name.
 *
 * Also the piece `mapc graph` shares: an expression printed back as .map
 * source.
 */
#include <stdlib.h>
#include <string.h>

#include "mapc.h"
#include "parser.h"

/* ------------------------------------------------------------------ */
/* shared with graph.c                                                 */
/* ------------------------------------------------------------------ */

/* Names a field can have that the lexer reads as hard keywords are written
 * in backquotes.  (Soft keywords such as `key` are names where they stand.) */
static void
put_name(Buf *b, const char *s)
{
	const LangKeyword *k = lang_keyword(s, strlen(s));
	buf_printf(b, k && k->hard ? "`%s`" : "%s", s);
}

void
doc_string_lit(Buf *b, const char *s, size_t n)
{
	buf_put(b, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			buf_printf(b, "\\%c", c);
		else if (c == '\n')
			buf_puts(b, "\\n");
		else if (c == '\t')
			buf_puts(b, "\\t");
		else if (c < 0x20 || c == 0x7f)
			buf_printf(b, "\\u%04x", c);
		else
			buf_put(b, (const char *)&c, 1);
	}
	buf_put(b, "\"", 1);
}

/* Precedence, loosest first, as in grammar/parser.y. */
enum { P_IF = 1, P_OR, P_AND, P_NOT, P_CMP, P_CAT, P_ADD, P_MUL, P_NEG, P_ATOM };

static int
bin_prec(int op)
{
	switch (op) {
	case TK_OR: return P_OR;
	case TK_AND: return P_AND;
	case TK_EQ: case TK_NE: case TK_LT: case TK_LE: case TK_GT: case TK_GE: return P_CMP;
	case TK_CONCAT: return P_CAT;
	case TK_PLUS: case TK_MINUS: return P_ADD;
	default: return P_MUL;
	}
}

static const char *
bin_text(int op)
{
	switch (op) {
	case TK_OR: return "or";
	case TK_AND: return "and";
	case TK_EQ: return "==";
	case TK_NE: return "!=";
	case TK_LT: return "<";
	case TK_LE: return "<=";
	case TK_GT: return ">";
	case TK_GE: return ">=";
	case TK_CONCAT: return "++";
	case TK_PLUS: return "+";
	case TK_MINUS: return "-";
	case TK_STAR: return "*";
	default: return "/";
	}
}

static int
prec(const Expr *e)
{
	switch (e->k) {
	case E_IF: return P_IF;
	case E_BIN: return bin_prec(e->op);
	case E_NOT: return P_NOT;
	case E_NEG: return P_NEG;
	case E_INT: case E_DEC: return e->s[0] == '-' ? P_NEG : P_ATOM;
	default: return P_ATOM;
	}
}

static void
expr_at(Buf *b, const Expr *e, int min)
{
	int p = prec(e);
	if (p < min)
		buf_puts(b, "(");
	switch (e->k) {
	case E_STR: doc_string_lit(b, e->s, e->n); break;
	case E_INT: case E_DEC: case E_BOOL: buf_puts(b, e->s); break;
	case E_NULL: buf_puts(b, "null"); break;
	case E_PATH:
		for (const StrList *s = e->path; s; s = s->next) {
			put_name(b, s->s);
			if (s->next)
				buf_puts(b, ".");
		}
		break;
	case E_BIN: {
		int l = p == P_CMP ? p + 1 : p;
		expr_at(b, e->a, l);
		buf_printf(b, " %s ", bin_text(e->op));
		expr_at(b, e->b, p + 1);
		break;
	}
	case E_NEG:
		buf_puts(b, "-");
		expr_at(b, e->a, (e->a->k == E_NEG || prec(e->a) == P_NEG) ? P_ATOM : P_NEG);
		break;
	case E_NOT:
		buf_puts(b, "not ");
		expr_at(b, e->a, P_NOT);
		break;
	case E_IF:
		buf_puts(b, "if ");
		expr_at(b, e->a, P_OR);
		buf_puts(b, " then ");
		expr_at(b, e->b, P_OR);
		buf_puts(b, " else ");
		expr_at(b, e->c, P_IF);
		break;
	case E_CALL:
		put_name(b, e->s);
		buf_puts(b, "(");
		for (const Expr *a = e->args; a; a = a->next) {
			expr_at(b, a, P_IF);
			if (a->next)
				buf_puts(b, ", ");
		}
		buf_puts(b, ")");
		break;
	case E_LOOKUP:
		put_name(b, e->s);
		buf_puts(b, "[");
		expr_at(b, e->a, P_IF);
		buf_puts(b, "]");
		break;
	case E_REF:
		buf_puts(b, "ref ");
		put_name(b, e->s);
		buf_puts(b, "(");
		expr_at(b, e->a, P_IF);
		buf_puts(b, ")");
		break;
	case E_OBJ: buf_puts(b, "{ ... }"); break;
	case E_ARR: buf_puts(b, "[ ... ]"); break;
	case E_FOR:
		buf_puts(b, "for ");
		put_name(b, e->s);
		if (e->idx) {
			buf_puts(b, ", ");
			put_name(b, e->idx);
		}
		buf_puts(b, " in ");
		expr_at(b, e->a, P_ATOM);
		if (e->when) {
			buf_puts(b, " when ");
			expr_at(b, e->when, P_IF);
		}
		break;
	}
	if (p < min)
		buf_puts(b, ")");
}

void
doc_expr(Buf *b, const Expr *e)
{
	expr_at(b, e, P_IF);
}

/* ------------------------------------------------------------------ */
/* output: one writer for Markdown and HTML                            */
/* ------------------------------------------------------------------ */

typedef struct {
	const Table *t;
	const char *where; /* "Order: LineItems[].AccountCode" */
} Use;

typedef struct {
	Buf *b;
	int html;
	int cell;             /* in a Markdown table cell: pipes are escaped */
	const Program *prog;
	Use *uses;
	int nuses, capuses;
	const Entity *ent;    /* the entity being written, for uses */
	size_t *starts;       /* the main file's line starts */
	int nlines;
	unsigned char *used;  /* lines whose comments are already carried over */
} Doc;

static void
text_n(Doc *d, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (d->html) {
			switch (c) {
			case '&': buf_puts(d->b, "&amp;"); break;
			case '<': buf_puts(d->b, "&lt;"); break;
			case '>': buf_puts(d->b, "&gt;"); break;
			case '"': buf_puts(d->b, "&quot;"); break;
			case '\'': buf_puts(d->b, "&#39;"); break;
			default: buf_put(d->b, &c, 1);
			}
			continue;
		}
		if (c == '\n' || c == '\r') {
			buf_puts(d->b, " ");
			continue;
		}
		if (strchr("\\`*_[]<>|~&#", c))
			buf_put(d->b, "\\", 1);
		buf_put(d->b, &c, 1);
	}
}

static void
text(Doc *d, const char *s)
{
	text_n(d, s, strlen(s));
}

static void textf(Doc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void
textf(Doc *d, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	text(d, tmp);
}

/* Markup written as is, one form per output. */
static void
raw(Doc *d, const char *md, const char *html)
{
	buf_puts(d->b, d->html ? html : md);
}

static void
code_n(Doc *d, const char *s, size_t n)
{
	if (d->html) {
		buf_puts(d->b, "<code>");
		text_n(d, s, n);
		buf_puts(d->b, "</code>");
		return;
	}
	if (n == 0) {
		buf_puts(d->b, "*(empty)*");
		return;
	}
	/* a fence one backtick longer than the longest run inside */
	int run = 0, most = 0;
	for (size_t i = 0; i < n; i++) {
		run = s[i] == '`' ? run + 1 : 0;
		if (run > most)
			most = run;
	}
	int pad = s[0] == '`' || s[n - 1] == '`' || s[0] == ' ' || s[n - 1] == ' ';
	for (int i = 0; i <= most; i++)
		buf_puts(d->b, "`");
	if (pad)
		buf_puts(d->b, " ");
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '|' && d->cell)
			buf_puts(d->b, "\\|");
		else if (s[i] == '\n' || s[i] == '\r')
			buf_puts(d->b, " ");
		else
			buf_put(d->b, &s[i], 1);
	}
	if (pad)
		buf_puts(d->b, " ");
	for (int i = 0; i <= most; i++)
		buf_puts(d->b, "`");
}

static void
code(Doc *d, const char *s)
{
	code_n(d, s, strlen(s));
}

static void
code_expr(Doc *d, const Expr *e)
{
	Buf t = { 0 };
	doc_expr(&t, e);
	code_n(d, t.p, t.len);
	buf_free(&t);
}

static void
strong(Doc *d, const char *s)
{
	raw(d, "**", "<strong>");
	text(d, s);
	raw(d, "**", "</strong>");
}

/* A table's name, linked to its section in HTML. */
static void
table_ref(Doc *d, const Table *t)
{
	if (d->html) {
		buf_printf(d->b, "<a href=\"#table-%s\">", t->name);
		strong(d, t->name);
		buf_puts(d->b, "</a>");
	} else {
		strong(d, t->name);
	}
}

static void
heading(Doc *d, int level, const char *id, const char *s)
{
	if (d->html) {
		buf_printf(d->b, "<h%d", level);
		if (id)
			buf_printf(d->b, " id=\"%s\"", id);
		buf_puts(d->b, ">");
		text(d, s);
		buf_printf(d->b, "</h%d>\n", level);
	} else {
		for (int i = 0; i < level; i++)
			buf_puts(d->b, "#");
		buf_puts(d->b, " ");
		text(d, s);
		buf_puts(d->b, "\n\n");
	}
}

static void p_begin(Doc *d) { raw(d, "", "<p>"); }
static void p_end(Doc *d) { raw(d, "\n\n", "</p>\n"); }
static void ul_begin(Doc *d) { raw(d, "", "<ul>\n"); }
static void ul_end(Doc *d) { raw(d, "\n", "</ul>\n"); }
static void li_begin(Doc *d) { raw(d, "- ", "<li>"); }
static void li_end(Doc *d) { raw(d, "\n", "</li>\n"); }

static void
table_begin(Doc *d, const char *cls, const char *const *heads, int n)
{
	if (d->html) {
		buf_printf(d->b, "<table class=\"%s\">\n<thead><tr>", cls);
		for (int i = 0; i < n; i++) {
			buf_puts(d->b, "<th>");
			text(d, heads[i]);
			buf_puts(d->b, "</th>");
		}
		buf_puts(d->b, "</tr></thead>\n<tbody>\n");
		return;
	}
	buf_puts(d->b, "|");
	for (int i = 0; i < n; i++) {
		buf_puts(d->b, " ");
		text(d, heads[i]);
		buf_puts(d->b, " |");
	}
	buf_puts(d->b, "\n|");
	for (int i = 0; i < n; i++)
		buf_puts(d->b, "---|");
	buf_puts(d->b, "\n");
}

static void
row_begin(Doc *d, const char *cls)
{
	if (d->html)
		buf_printf(d->b, cls ? "<tr class=\"%s\">" : "<tr>", cls);
	else
		buf_puts(d->b, "|");
}

static void
cell_begin(Doc *d)
{
	raw(d, " ", "<td>");
	d->cell = 1;
}

static void
cell_end(Doc *d)
{
	raw(d, " |", "</td>");
	d->cell = 0;
}

static void row_end(Doc *d) { raw(d, "\n", "</tr>\n"); }
static void table_end(Doc *d) { raw(d, "\n", "</tbody>\n</table>\n"); }

/* ------------------------------------------------------------------ */
/* the author's comments                                               */
/* ------------------------------------------------------------------ */

static void
index_lines(Doc *d)
{
	const SrcFile *f = d->prog->main;
	int n = 1;
	for (size_t i = 0; i < f->len; i++)
		if (f->text[i] == '\n')
			n++;
	d->starts = ar_alloc(sizeof *d->starts * (size_t)(n + 1));
	d->used = ar_alloc((size_t)n + 2);
	d->nlines = n;
	int k = 0;
	d->starts[k++] = 0;
	for (size_t i = 0; i < f->len; i++)
		if (f->text[i] == '\n')
			d->starts[k++] = i + 1;
	d->starts[k] = f->len + 1;
}

/* Line n (1-based) of the main file, without its newline. */
static const char *
line_at(const Doc *d, int n, size_t *len)
{
	if (n < 1 || n > d->nlines) {
		*len = 0;
		return "";
	}
	size_t a = d->starts[n - 1], z = d->starts[n] - 1;
	if (z > d->prog->main->len)
		z = d->prog->main->len;
	*len = z - a;
	return d->prog->main->text + a;
}

/* A line that holds only a comment: its text after `#` and one blank. */
static int
comment_line(const char *s, size_t n, const char **t, size_t *tn)
{
	size_t i = 0;
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i == n || s[i] != '#')
		return 0;
	i++;
	if (i < n && s[i] == ' ')
		i++;
	*t = s + i;
	*tn = n - i;
	while (*tn && ((*t)[*tn - 1] == ' ' || (*t)[*tn - 1] == '\r'))
		(*tn)--;
	return 1;
}

/* The comment at the end of a line of code, outside strings and names in
 * backquotes. */
static int
trailing_comment(const char *s, size_t n, const char **t, size_t *tn)
{
	int in_str = 0, in_bq = 0;
	size_t i = 0;
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i < n && s[i] == '#')
		return 0; /* a comment line, not a trailing comment */
	for (; i < n; i++) {
		if (in_str) {
			if (s[i] == '\\')
				i++;
			else if (s[i] == '"')
				in_str = 0;
		} else if (in_bq) {
			if (s[i] == '`')
				in_bq = 0;
		} else if (s[i] == '"') {
			in_str = 1;
		} else if (s[i] == '`') {
			in_bq = 1;
		} else if (s[i] == '#') {
			return comment_line(s + i, n - i, t, tn);
		}
	}
	return 0;
}

/* Strip section rules: "---- GL accounts ----" is "GL accounts". */
static void
undecorate(const char **t, size_t *n)
{
	while (*n && ((*t)[0] == '-' || (*t)[0] == '=' || (*t)[0] == ' ')) {
		(*t)++;
		(*n)--;
	}
	while (*n && ((*t)[*n - 1] == '-' || (*t)[*n - 1] == '=' || (*t)[*n - 1] == ' '))
		(*n)--;
}

/* The comment lines right above line n and the comment at its end, as
 * paragraphs separated by "\n"; each line is carried over once. */
static void
comments_of(Doc *d, Loc at, Buf *out)
{
	const char *s, *t;
	size_t len, tn;
	int n = at.line, top = n;
	if (at.file != d->prog->main)
		return;
	while (top > 1) {
		s = line_at(d, top - 1, &len);
		if (!comment_line(s, len, &t, &tn))
			break;
		top--;
	}
	for (int i = top; i <= n; i++) {
		if (d->used[i])
			continue;
		s = line_at(d, i, &len);
		int ok = i < n ? comment_line(s, len, &t, &tn) : trailing_comment(s, len, &t, &tn);
		if (!ok)
			continue;
		d->used[i] = 1;
		undecorate(&t, &tn);
		if (tn == 0) {
			if (out->len && out->p[out->len - 1] != '\n')
				buf_puts(out, "\n");
			continue;
		}
		if (out->len && out->p[out->len - 1] != '\n')
			buf_puts(out, " ");
		buf_put(out, t, tn);
	}
	while (out->len && out->p[out->len - 1] == '\n')
		out->p[--out->len] = 0;
}

/* Comment text: `...` spans become code, the rest is text. */
static void
comment_text(Doc *d, const char *s, size_t n)
{
	size_t ticks = 0;
	for (size_t i = 0; i < n; i++)
		ticks += s[i] == '`';
	if (ticks % 2) {
		text_n(d, s, n);
		return;
	}
	size_t a = 0;
	int in = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '`')
			continue;
		if (in)
			code_n(d, s + a, i - a);
		else
			text_n(d, s + a, i - a);
		in = !in;
		a = i + 1;
	}
}

/* Paragraphs (a "\n" between them) as notes. */
static void
notes_block(Doc *d, const Buf *c, const char *cls)
{
	if (!c->len)
		return;
	const char *s = c->p, *end = c->p + c->len;
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *z = nl ? nl : end;
		if (d->html)
			buf_printf(d->b, "<p class=\"%s\">", cls);
		comment_text(d, s, (size_t)(z - s));
		raw(d, "\n\n", "</p>\n");
		s = z + 1;
	}
}

/* Notes inside a table cell: one run of text. */
static void
notes_inline(Doc *d, const Buf *c)
{
	if (!c->len)
		return;
	raw(d, " *Note:* ", " <span class=\"note\">Note: ");
	const char *s = c->p, *end = c->p + c->len;
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *z = nl ? nl : end;
		comment_text(d, s, (size_t)(z - s));
		if (nl)
			buf_puts(d->b, " ");
		s = z + 1;
	}
	raw(d, "", "</span>");
}

/* ------------------------------------------------------------------ */
/* expressions in words                                                */
/* ------------------------------------------------------------------ */

static int
is_call(const Expr *e, const char *fn, int nargs)
{
	if (e->k != E_CALL || strcmp(e->s, fn) != 0)
		return 0;
	int n = 0;
	for (const Expr *a = e->args; a; a = a->next)
		n++;
	return n == nargs;
}

static int
is_bool(const Expr *e, const char *v)
{
	return e->k == E_BOOL && strcmp(e->s, v) == 0;
}

static int
is_empty_str(const Expr *e)
{
	return e->k == E_STR && e->n == 0;
}

static int
is_zero(const Expr *e)
{
	return e->k == E_INT && strcmp(e->s, "0") == 0;
}

/* A value in a sentence: default(x, d) reads "x (d when missing)". */
static void
operand(Doc *d, const Expr *e)
{
	if (is_call(e, "default", 2) && e->args->next->k != E_OBJ) {
		code_expr(d, e->args);
		text(d, " (");
		code_expr(d, e->args->next);
		text(d, " when missing)");
		return;
	}
	code_expr(d, e);
}

static void
words(Doc *d, const Expr *e)
{
	if (e->k == E_BIN && (e->op == TK_AND || e->op == TK_OR)) {
		for (int side = 0; side < 2; side++) {
			const Expr *x = side ? e->b : e->a;
			int wrap = x->k == E_BIN && (x->op == TK_AND || x->op == TK_OR) &&
				x->op != e->op;
			if (side)
				text(d, e->op == TK_AND ? " and " : " or ");
			if (wrap)
				text(d, "(");
			words(d, x);
			if (wrap)
				text(d, ")");
		}
		return;
	}
	if (e->k == E_BIN && bin_prec(e->op) == P_CMP) {
		const Expr *a = e->a, *b = e->b;
		int op = e->op;
		if (a->k == E_NULL || (a->k == E_STR && b->k != E_STR && is_empty_str(a))) {
			const Expr *t = a;
			a = b;
			b = t;
		}
		if (b->k == E_NULL && (op == TK_EQ || op == TK_NE)) {
			operand(d, a);
			text(d, op == TK_EQ ? " is missing" : " is present");
			return;
		}
		if (is_empty_str(b) && (op == TK_EQ || op == TK_NE)) {
			operand(d, a);
			text(d, op == TK_EQ ? " is empty" : " is not empty");
			return;
		}
		if (is_call(a, "len", 1) && is_zero(b) && (op == TK_GT || op == TK_NE)) {
			operand(d, a->args);
			text(d, " is not empty");
			return;
		}
		operand(d, a);
		switch (op) {
		case TK_EQ: text(d, " is "); break;
		case TK_NE: text(d, " is not "); break;
		case TK_LT: text(d, " is less than "); break;
		case TK_LE: text(d, " is at most "); break;
		case TK_GT: text(d, " is more than "); break;
		default: text(d, " is at least "); break;
		}
		operand(d, b);
		return;
	}
	if (e->k == E_NOT) {
		const Expr *a = e->a;
		if (is_call(a, "default", 2) && is_bool(a->args->next, "false")) {
			code_expr(d, a->args);
			text(d, " is false or missing");
			return;
		}
		if (a->k == E_PATH) {
			code_expr(d, a);
			text(d, " is not true");
			return;
		}
		text(d, "not (");
		words(d, a);
		text(d, ")");
		return;
	}
	if (is_call(e, "default", 2) && e->args->next->k == E_BOOL) {
		code_expr(d, e->args);
		text(d, is_bool(e->args->next, "true") ? " is true or missing" : " is true");
		return;
	}
	if (e->k == E_BOOL) {
		text(d, is_bool(e, "true") ? "always" : "never");
		return;
	}
	code_expr(d, e);
	text(d, " is true");
}

static void
duration(Doc *d, int64_t ms)
{
	if (ms >= 86400000 && ms % 86400000 == 0)
		textf(d, "%lld day%s", (long long)(ms / 86400000), ms == 86400000 ? "" : "s");
	else if (ms >= 3600000 && ms % 3600000 == 0)
		textf(d, "%lld h", (long long)(ms / 3600000));
	else if (ms >= 60000 && ms % 60000 == 0)
		textf(d, "%lld min", (long long)(ms / 60000));
	else if (ms >= 1000 && ms % 1000 == 0)
		textf(d, "%lld s", (long long)(ms / 1000));
	else
		textf(d, "%lld ms", (long long)ms);
}

/* ------------------------------------------------------------------ */
/* field rules                                                         */
/* ------------------------------------------------------------------ */

static void
add_use(Doc *d, const Table *t, const char *where)
{
	for (int i = 0; i < d->nuses; i++)
		if (d->uses[i].t == t && strcmp(d->uses[i].where, where) == 0)
			return;
	if (d->nuses == d->capuses) {
		int cap = d->capuses ? d->capuses * 2 : 32;
		Use *u = ar_alloc(sizeof *u * (size_t)cap);
		if (d->nuses)
			memcpy(u, d->uses, sizeof *u * (size_t)d->nuses);
		d->uses = u;
		d->capuses = cap;
	}
	d->uses[d->nuses].t = t;
	d->uses[d->nuses].where = ar_strndup(where, strlen(where));
	d->nuses++;
}

/* The tables and entities an expression looks up, in reading order. */
typedef struct {
	const Table *tables[32];
	const Entity *refs[16];
	int nt, nr;
} Lookups;

static void
lookups(const Expr *e, Lookups *l)
{
	if (!e)
		return;
	const Table *t = e->table;
	if (t) {
		int seen = 0;
		for (int i = 0; i < l->nt; i++)
			seen |= l->tables[i] == t;
		if (!seen && l->nt < 32)
			l->tables[l->nt++] = t;
	}
	if (e->k == E_REF && e->ref) {
		int seen = 0;
		for (int i = 0; i < l->nr; i++)
			seen |= l->refs[i] == e->ref;
		if (!seen && l->nr < 16)
			l->refs[l->nr++] = e->ref;
	}
	if (e->k == E_PATH)
		return; /* e->a of a tracking/dimension path is its source */
	lookups(e->a, l);
	lookups(e->b, l);
	lookups(e->c, l);
	for (const Expr *a = e->args; a; a = a->next)
		lookups(a, l);
}

static void
record_uses(Doc *d, const Expr *e, const char *where)
{
	Lookups l = { 0 };
	lookups(e, &l);
	char w[600];
	snprintf(w, sizeof w, "%s: %s", d->ent->name, where);
	for (int i = 0; i < l.nt; i++)
		add_use(d, l.tables[i], w);
}

static const char *
table_kind(const Table *t)
{
	return t->kind == T_TRACKING ? "tracking table" : t->kind == T_DIMENSION ? "dimension"
		: "table";
}

/* What a value is, in one sentence. */
static void
rule_main(Doc *d, const Expr *e, const Table **said)
{
	switch (e->k) {
	case E_STR: case E_INT: case E_DEC: case E_BOOL:
		text(d, "Fixed value.");
		return;
	case E_NULL:
		text(d, "Left out.");
		return;
	case E_PATH:
		if (e->table && e->table->kind == T_TRACKING) {
			text(d, "Tracking category ");
			code_n(d, e->table->category, strlen(e->table->category));
			text(d, ": ");
			code_expr(d, e->a ? e->a : e->table->from);
			text(d, " looked up in ");
			table_ref(d, e->table);
			text(d, "; left out when the table gives no value.");
			*said = e->table;
		} else if (e->table) {
			text(d, "Dimension ");
			table_ref(d, e->table);
			text(d, ": ");
			code_expr(d, e->a ? e->a : e->table->from);
			text(d, " looked up in its table.");
			*said = e->table;
		} else {
			text(d, "Copied from the source record.");
		}
		return;
	case E_LOOKUP:
		if (e->table) {
			text(d, "Looked up in table ");
			table_ref(d, e->table);
			text(d, " by ");
			code_expr(d, e->a);
			text(d, ".");
			*said = e->table;
		}
		return;
	case E_REF:
		if (e->ref) {
			text(d, "The id ");
			strong(d, e->ref->name);
			textf(d, " got in %s (its %s) for ", e->ref->tgt_alias, e->ref->tgt_type);
			code_expr(d, e->a);
			textf(d, "; %s is synced first, and this record waits until it is.",
				e->ref->name);
		}
		return;
	case E_IF:
		text(d, "If ");
		words(d, e->a);
		text(d, " then ");
		code_expr(d, e->b);
		text(d, ", otherwise ");
		code_expr(d, e->c);
		text(d, ".");
		return;
	case E_CALL:
		if (is_call(e, "default", 2)) {
			code_expr(d, e->args);
			text(d, ", or ");
			code_expr(d, e->args->next);
			text(d, " when it is missing.");
		} else if (strcmp(e->s, "coalesce") == 0) {
			text(d, "The first of ");
			for (const Expr *a = e->args; a; a = a->next) {
				code_expr(d, a);
				text(d, a->next ? (a->next->next ? ", " : " and ") : "");
			}
			text(d, " that is present.");
		} else if (is_call(e, "date", 1)) {
			text(d, "The calendar date of ");
			code_expr(d, e->args);
			text(d, ", in its own time zone.");
		} else if (is_call(e, "format_date", 2)) {
			code_expr(d, e->args);
			text(d, " written as ");
			code_expr(d, e->args->next);
			text(d, ".");
		} else if (is_call(e, "round", 2)) {
			code_expr(d, e->args);
			text(d, " rounded to ");
			code_expr(d, e->args->next);
			text(d, " decimal places (half away from zero, exact decimals).");
		} else if (is_call(e, "upper", 1) || is_call(e, "lower", 1)) {
			code_expr(d, e->args);
			textf(d, " in %s case.", e->s);
		} else if (is_call(e, "trim", 1)) {
			code_expr(d, e->args);
			text(d, " without leading and trailing blanks.");
		} else if (is_call(e, "substr", 3) && is_zero(e->args->next)) {
			text(d, "At most the first ");
			code_expr(d, e->args->next->next);
			text(d, " characters of ");
			code_expr(d, e->args);
			text(d, ".");
		} else {
			textf(d, "Computed with %s().", e->s);
		}
		return;
	case E_BIN:
		if (e->op == TK_CONCAT)
			text(d, "Text joined from the parts (a missing part counts as empty).");
		else if (bin_prec(e->op) == P_ADD || bin_prec(e->op) == P_MUL)
			text(d, "Computed in exact decimal arithmetic.");
		else
			text(d, "True when the condition holds.");
		return;
	case E_NEG:
		text(d, "Negated (exact decimal).");
		return;
	case E_NOT:
		text(d, "True when the condition does not hold.");
		return;
	default:
		return;
	}
}

static void
field_rules(Doc *d, const FieldDef *f)
{
	if (!f)
		return;
	if (f->required)
		text(d, " Required.");
	if (f->max)
		textf(d, " At most %d characters.", f->max);
	if (f->enums) {
		text(d, " One of ");
		for (const StrList *s = f->enums; s; s = s->next) {
			Buf t = { 0 };
			doc_string_lit(&t, s->s, strlen(s->s));
			code_n(d, t.p, t.len);
			buf_free(&t);
			text(d, s->next ? ", " : ".");
		}
	}
}

static void
rule(Doc *d, const Expr *e, const FieldDef *f, const Expr *when, const Expr *when2)
{
	const Table *said = NULL;
	rule_main(d, e, &said);
	Lookups l = { 0 };
	lookups(e, &l);
	int first = 1;
	for (int i = 0; i < l.nt; i++) {
		if (l.tables[i] == said)
			continue;
		text(d, first ? " Uses " : ", ");
		textf(d, "%s ", table_kind(l.tables[i]));
		table_ref(d, l.tables[i]);
		first = 0;
	}
	if (!first)
		text(d, ".");
	if (e->k != E_REF)
		for (int i = 0; i < l.nr; i++) {
			text(d, " Uses the id of ");
			strong(d, l.refs[i]->name);
			text(d, " (synced first).");
		}
	if (when) {
		text(d, " Only when ");
		words(d, when);
		text(d, ".");
	}
	if (when2) {
		text(d, " Only when ");
		words(d, when2);
		text(d, ".");
	}
	field_rules(d, f);
}

/* ------------------------------------------------------------------ */
/* entities                                                            */
/* ------------------------------------------------------------------ */

typedef struct {
	const Stmt *checks[64];
	int nchecks;
} Collect;

static void
path_cell(Doc *d, const char *path, int group)
{
	raw(d, " ", "<td class=\"path\">");
	d->cell = 1;
	if (group)
		raw(d, "**", "<strong>");
	if (d->html) {
		/* a long path breaks after a dot, never inside a name */
		buf_puts(d->b, "<code>");
		for (const char *s = path; *s; s++) {
			text_n(d, s, 1);
			if (*s == '.')
				buf_puts(d->b, "<wbr>");
		}
		buf_puts(d->b, "</code>");
	} else {
		code(d, path);
	}
	if (group)
		raw(d, "**", "</strong>");
	cell_end(d);
}

static void
line_cell(Doc *d, int line)
{
	cell_begin(d);
	textf(d, "%d", line);
	cell_end(d);
}

static void body_rows(Doc *d, const Stmt *b, const char *prefix, Collect *c);

/* A row that opens a nested object or an array element. */
static void
group_row(Doc *d, const char *path, const Expr *src, const Expr *e, const FieldDef *f,
	const Expr *when, int nth, int of, int line)
{
	Buf notes = { 0 };
	comments_of(d, (Loc){ d->prog->main, line, 0, 0 }, &notes);
	row_begin(d, "group");
	path_cell(d, path, 1);
	cell_begin(d);
	if (src)
		code_expr(d, src);
	cell_end(d);
	cell_begin(d);
	if (of > 1)
		textf(d, "Element %d of %d: ", nth, of);
	if (e->k == E_FOR) {
		text(d, of > 1 ? "one" : "One");
		text(d, " for each element ");
		code(d, e->s);
		text(d, " of ");
		code_expr(d, e->a);
		if (e->idx) {
			text(d, ", ");
			code(d, e->idx);
			text(d, " its position (0 for the first)");
		}
		text(d, ".");
		if (e->when) {
			text(d, " Only elements where ");
			words(d, e->when);
			text(d, ".");
		}
	} else if (e->k == E_ARR) {
		text(d, "A list of the elements below, in this order.");
	} else if (of) {
		text(d, of > 1 ? "one element; its fields follow." : "One element; its fields follow.");
	} else {
		text(d, "An object; its fields follow.");
	}
	if (when) {
		text(d, " Only when ");
		words(d, when);
		text(d, ".");
	}
	field_rules(d, f);
	notes_inline(d, &notes);
	cell_end(d);
	line_cell(d, line);
	row_end(d);
	buf_free(&notes);
}

static void
value_row(Doc *d, const char *path, const Expr *e, const FieldDef *f, const Expr *when,
	const Expr *when2, int line)
{
	Buf notes = { 0 };
	comments_of(d, (Loc){ d->prog->main, line, 0, 0 }, &notes);
	record_uses(d, e, path);
	row_begin(d, NULL);
	path_cell(d, path, 0);
	cell_begin(d);
	code_expr(d, e);
	cell_end(d);
	cell_begin(d);
	rule(d, e, f, when, when2);
	notes_inline(d, &notes);
	cell_end(d);
	line_cell(d, line);
	row_end(d);
	buf_free(&notes);
}

static void
element_rows(Doc *d, const char *path, const Expr *x, const FieldDef *f, int nth, int of,
	Collect *c)
{
	char sub[512];
	snprintf(sub, sizeof sub, "%s[]", path);
	if (x->when)
		record_uses(d, x->when, sub);
	if (x->k == E_FOR) {
		record_uses(d, x->a, sub);
		if (x->when)
			record_uses(d, x->when, sub);
		Expr hdr = *x;
		hdr.when = NULL;
		/* an array element's `when` is x->when of the element; a for's own
		 * filter is also x->when: told apart by where it was written */
		group_row(d, sub, &hdr, x, f, NULL, nth, of, x->loc.line);
		snprintf(sub, sizeof sub, "%s[].", path);
		body_rows(d, x->body, sub, c);
	} else if (x->k == E_OBJ) {
		group_row(d, sub, NULL, x, f, x->when, nth, of, x->loc.line);
		snprintf(sub, sizeof sub, "%s[].", path);
		body_rows(d, x->body, sub, c);
	} else {
		value_row(d, sub, x, NULL, x->when, NULL, x->loc.line);
	}
}

static void
body_rows(Doc *d, const Stmt *b, const char *prefix, Collect *c)
{
	for (const Stmt *s = b; s; s = s->next) {
		if (s->k == S_CHECK) {
			if (c->nchecks < 64)
				c->checks[c->nchecks++] = s;
			continue;
		}
		if (s->k != S_ASSIGN)
			continue;
		char path[512];
		snprintf(path, sizeof path, "%s%s", prefix, s->name);
		const Expr *e = s->e;
		if (s->when)
			record_uses(d, s->when, path);
		if (e->k == E_OBJ) {
			group_row(d, path, NULL, e, s->field, s->when, 0, 0, s->loc.line);
			char sub[520];
			snprintf(sub, sizeof sub, "%s.", path);
			body_rows(d, e->body, sub, c);
		} else if (e->k == E_FOR) {
			if (s->when) {
				group_row(d, path, NULL, &(Expr){ .k = E_ARR }, s->field, s->when, 0, 0,
					s->loc.line);
			}
			element_rows(d, path, e, s->when ? NULL : s->field, 1, 1, c);
		} else if (e->k == E_ARR) {
			int of = 0, nth = 0;
			for (const Expr *x = e->args; x; x = x->next)
				of++;
			group_row(d, path, NULL, &(Expr){ .k = E_ARR }, s->field, s->when, 0, 0,
				s->loc.line);
			for (const Expr *x = e->args; x; x = x->next)
				element_rows(d, path, x, NULL, ++nth, of, c);
		} else {
			value_row(d, path, e, s->field, s->when, NULL, s->loc.line);
		}
	}
}

static void
triggers(Doc *d, const Entity *en)
{
	int n = 0;
	for (const Trigger *t = en->triggers; t; t = t->next) {
		text(d, n++ ? "; " : "");
		if (t->is_poll) {
			text(d, "polled every ");
			duration(d, t->every_ms);
		} else {
			text(d, "webhook ");
			code(d, t->event);
		}
	}
	if (!n)
		text(d, "none (synced when the pair binary runs)");
	text(d, ".");
}

static void
cond_words(Doc *d, const Cond *c, int first)
{
	switch (c->k) {
	case C_HTTP:
		if (c->lo == c->hi)
			textf(d, "HTTP %d", c->lo);
		else
			textf(d, "HTTP %dxx", c->lo / 100);
		break;
	case C_TIMEOUT: text(d, first ? "Timeouts" : "timeouts"); break;
	case C_NETWORK: text(d, first ? "Network errors" : "network errors"); break;
	case C_INVALID:
		text(d, first ? "Records" : "records");
		text(d, " that cannot be transformed (a failed check, lookup or required field)");
		break;
	case C_REF:
		text(d, first ? "A" : "a");
		text(d, " referenced record that is not synced yet");
		break;
	}
}

static void
final_words(Doc *d, ActKind k, int has_ref)
{
	switch (k) {
	case A_DEAD_LETTER: text(d, "put in the dead-letter queue"); break;
	case A_SKIP: text(d, "skip the record"); break;
	case A_HOLD:
		text(d, has_ref ? "hold the record until the record it references is synced"
			: "hold the record and try it again on the next run");
		break;
	case A_RETRY: text(d, "retry"); break;
	}
}

static void
policy(Doc *d, const Stmt *s)
{
	int has_ref = 0;
	for (const Cond *c = s->conds; c; c = c->next) {
		cond_words(d, c, c == s->conds);
		has_ref |= c->k == C_REF;
		if (c->next)
			text(d, c->next->next ? ", " : " and ");
	}
	text(d, ": ");
	const Action *a = &s->act;
	if (a->k != A_RETRY) {
		final_words(d, a->k, has_ref);
		text(d, ".");
		return;
	}
	text(d, "retry");
	if (a->attempts)
		textf(d, " up to %d time%s", a->attempts, a->attempts == 1 ? "" : "s");
	if (a->after_header)
		text(d, " after the time the service asks");
	if (a->bmin >= 0 && a->bmax >= 0) {
		text(d, a->after_header ? " (else waiting " : ", waiting ");
		duration(d, a->bmin);
		text(d, " to ");
		duration(d, a->bmax);
		if (a->jitter)
			text(d, " with jitter");
		if (a->after_header)
			text(d, ")");
	} else if (a->jitter) {
		text(d, " with jitter");
	}
	if (a->attempts) {
		text(d, ", then ");
		final_words(d, a->has_then ? a->then : A_DEAD_LETTER, has_ref);
	} else if (!a->after_header) {
		text(d, ", with no limit on attempts");
	}
	text(d, ".");
}

static void
check_words(Doc *d, const Stmt *s)
{
	text(d, "The record goes to the dead-letter queue as ");
	code_n(d, s->msg, strlen(s->msg));
	text(d, " unless ");
	if (s->tol && s->e->k == E_BIN && s->e->op == TK_EQ) {
		operand(d, s->e->a);
		text(d, " equals ");
		code_expr(d, s->e->b);
		text(d, " to within ");
		code_expr(d, s->tol);
	} else {
		words(d, s->e);
		if (s->tol) {
			text(d, " (within ");
			code_expr(d, s->tol);
			text(d, ")");
		}
	}
	textf(d, ". (line %d)", s->loc.line);
}

static int
count_decls(const Program *p, DeclKind k)
{
	int n = 0;
	for (const Decl *x = p->decls; x; x = x->next)
		n += x->k == k;
	return n;
}

static void
entity(Doc *d, const Entity *en)
{
	char id[300];
	snprintf(id, sizeof id, "entity-%s", en->name);
	char title[300];
	snprintf(title, sizeof title, "%s: %s \u2192 %s", en->name, en->src_coll, en->tgt_type);
	raw(d, "", "<section class=\"entity\">\n");
	heading(d, 3, id, title);
	d->ent = en;
	Buf notes = { 0 };
	comments_of(d, en->loc, &notes);
	notes_block(d, &notes, "note");
	buf_free(&notes);

	ul_begin(d);
	li_begin(d);
	text(d, "Reads: ");
	code(d, en->src_coll);
	textf(d, " from %s (", en->src_ep ? en->src_ep->service : en->src_alias);
	code(d, en->src ? en->src->name : "?");
	text(d, " records).");
	li_end(d);
	li_begin(d);
	if (!en->group) {
		textf(d, "Writes: one %s in %s for each record.", en->tgt_type,
			en->tgt_ep ? en->tgt_ep->service : en->tgt_alias);
	} else {
		/* `group by`: the records of one key make one document */
		textf(d, "Writes: one %s in %s for each group of records with the same ",
			en->tgt_type, en->tgt_ep ? en->tgt_ep->service : en->tgt_alias);
		code_expr(d, en->group->key);
		if (en->group->total) {
			text(d, ", their ");
			code(d, en->group->array ? en->group->array : "?");
			text(d, " merged (");
			code(d, en->group->total);
			text(d, " summed).");
		} else {
			text(d, ", made from the first of them.");
		}
	}
	li_end(d);
	li_begin(d);
	text(d, "Record key: ");
	code_expr(d, en->key);
	text(d, " (it names the record in dead letters and in the state file).");
	li_end(d);
	li_begin(d);
	if (en->filter) {
		text(d, "Records synced: only those where ");
		words(d, en->filter);
		text(d, "; the others are skipped, not dead-lettered.");
		record_uses(d, en->filter, "which records");
	} else {
		text(d, "Records synced: all of them.");
	}
	li_end(d);
	li_begin(d);
	text(d, "Triggers: ");
	triggers(d, en);
	li_end(d);
	for (const Stmt *s = en->body; s; s = s->next) {
		if (s->k != S_MATCH)
			continue;
		Buf mn = { 0 };
		comments_of(d, s->loc, &mn);
		li_begin(d);
		textf(d, "Existing %s: before creating a new one, the sync looks up the %s whose ",
			en->tgt_type, en->tgt_type);
		code(d, s->name);
		text(d, " is ");
		code_expr(d, s->e);
		text(d, ", and updates it instead.");
		notes_inline(d, &mn);
		li_end(d);
		buf_free(&mn);
		record_uses(d, s->e, "match");
	}
	li_begin(d);
	if (en->ndeps) {
		text(d, "Depends on: ");
		for (int i = 0; i < en->ndeps; i++) {
			text(d, i ? ", " : "");
			strong(d, en->deps[i]->name);
		}
		text(d, " (synced before this entity).");
	} else {
		text(d, "Depends on: no other entity.");
	}
	li_end(d);
	ul_end(d);

	heading(d, 4, NULL, "Target fields");
	static const char *const heads[] = { "Target field", "Source", "Rule", "Line" };
	table_begin(d, "fields", heads, 4);
	Collect c = { 0 };
	body_rows(d, en->body, "", &c);
	table_end(d);

	heading(d, 4, NULL, "Checks");
	if (!c.nchecks) {
		p_begin(d);
		text(d, "None beyond the rules of the fields above.");
		p_end(d);
	} else {
		ul_begin(d);
		for (int i = 0; i < c.nchecks; i++) {
			li_begin(d);
			check_words(d, c.checks[i]);
			record_uses(d, c.checks[i]->e, "check");
			li_end(d);
		}
		ul_end(d);
	}

	heading(d, 4, NULL, "When writing fails");
	ul_begin(d);
	for (const Stmt *s = en->body; s; s = s->next) {
		if (s->k != S_ON)
			continue;
		li_begin(d);
		policy(d, s);
		li_end(d);
	}
	li_begin(d);
	text(d, "Any other failure: the sync engine's default (a temporary failure is retried a "
		"few times, a refusal goes to the dead-letter queue).");
	li_end(d);
	ul_end(d);
	raw(d, "", "</section>\n");
}

/* ------------------------------------------------------------------ */
/* tables                                                              */
/* ------------------------------------------------------------------ */

static void
value(Doc *d, const Expr *v)
{
	if (v->k == E_NULL) {
		raw(d, "*", "<em>");
		text(d, "no value (left out)");
		raw(d, "*", "</em>");
	} else {
		code_expr(d, v);
	}
}

static void
key(Doc *d, const Entry *e)
{
	if (e->is_int) {
		code(d, e->key);
		return;
	}
	Buf t = { 0 };
	doc_string_lit(&t, e->key, strlen(e->key));
	code_n(d, t.p, t.len);
	buf_free(&t);
}

static void
table(Doc *d, const Table *t)
{
	char id[300];
	snprintf(id, sizeof id, "table-%s", t->name);
	char title[300];
	snprintf(title, sizeof title, "%s %s", t->kind == T_TRACKING ? "Tracking" :
		t->kind == T_DIMENSION ? "Dimension" : "Table", t->name);
	raw(d, "", "<section class=\"table\">\n");
	heading(d, 3, id, title);
	Buf notes = { 0 };
	comments_of(d, t->loc, &notes);
	notes_block(d, &notes, "note");
	buf_free(&notes);
	p_begin(d);
	if (t->kind == T_TRACKING) {
		text(d, "Fills the tracking category ");
		code(d, t->category);
		text(d, " from ");
		code_expr(d, t->from);
		text(d, ". ");
	} else if (t->kind == T_DIMENSION) {
		text(d, "Gives the dimension's value from ");
		code_expr(d, t->from);
		text(d, ". ");
	}
	int n = 0;
	for (int i = 0; i < d->nuses; i++)
		if (d->uses[i].t == t) {
			text(d, n++ ? ", " : "Used by ");
			text(d, d->uses[i].where);
		}
	text(d, n ? "." : "Not used by any entity.");
	textf(d, " (line %d)", t->loc.line);
	p_end(d);

	/* a Note column only when an entry has a comment */
	int cols = 2;
	for (const Entry *e = t->entries; e; e = e->next) {
		size_t len, tn;
		const char *s = line_at(d, e->loc.line, &len), *c;
		if (trailing_comment(s, len, &c, &tn) && !d->used[e->loc.line])
			cols = 3;
	}
	static const char *const heads[] = { "Key", "Value", "Note" };
	table_begin(d, "entries", heads, cols);
	for (const Entry *e = t->entries; e; e = e->next) {
		row_begin(d, NULL);
		cell_begin(d);
		key(d, e);
		cell_end(d);
		cell_begin(d);
		value(d, e->val);
		cell_end(d);
		if (cols == 3) {
			cell_begin(d);
			/* a line's comment belongs to the last entry on it */
			if (!e->next || e->next->loc.line != e->loc.line) {
				size_t len, tn;
				const char *s = line_at(d, e->loc.line, &len), *c;
				if (!d->used[e->loc.line] && trailing_comment(s, len, &c, &tn)) {
					comment_text(d, c, tn);
					d->used[e->loc.line] = 1;
				}
			}
			cell_end(d);
		}
		row_end(d);
	}
	row_begin(d, "else");
	cell_begin(d);
	raw(d, "*", "<em>");
	text(d, t->has_else ? "anything else" : "no else");
	raw(d, "*", "</em>");
	cell_end(d);
	cell_begin(d);
	if (!t->has_else) {
		text(d, "every key it is looked up with is listed above");
	} else if (t->else_fail) {
		raw(d, "**", "<strong>");
		text(d, "the record fails");
		raw(d, "**", "</strong>");
		text(d, " and goes to the dead-letter queue as ");
		code(d, t->else_fail);
	} else {
		value(d, t->else_val);
	}
	cell_end(d);
	if (cols == 3) {
		cell_begin(d);
		cell_end(d);
	}
	row_end(d);
	table_end(d);
	raw(d, "", "</section>\n");
}

/* ------------------------------------------------------------------ */
/* the sheet                                                           */
/* ------------------------------------------------------------------ */

static const char css[] =
	"body{font-family:\"DejaVu Sans\",Helvetica,Arial,sans-serif;font-size:14px;"
	"line-height:1.45;color:#1a1a1a;max-width:1100px;margin:2em auto;padding:0 1.5em}\n"
	"h1{font-size:1.7em;margin:0 0 .3em}\n"
	"h2{font-size:1.35em;border-bottom:2px solid #334;padding-bottom:.2em;margin-top:2em}\n"
	"h3{font-size:1.15em;margin:1.6em 0 .4em;color:#223}\n"
	"h4{font-size:1em;margin:1.2em 0 .4em;color:#445}\n"
	"code{font-family:\"DejaVu Sans Mono\",Menlo,Consolas,monospace;font-size:.92em;"
	"background:#f3f4f6;padding:0 .2em;border-radius:3px;white-space:pre-wrap;"
	"overflow-wrap:anywhere}\n"
	"table{border-collapse:collapse;width:100%;margin:.4em 0 1em}\n"
	"table.entries{width:auto;min-width:50%}\n"
	"th,td{border:1px solid #c8ccd2;padding:.3em .55em;text-align:left;vertical-align:top}\n"
	"th{background:#e8ebf0}\n"
	"td.path code{white-space:normal;overflow-wrap:normal;word-break:normal}\n"
	"table.fields td.path{width:24%}\n"
	"table.fields td:last-child{text-align:right;color:#667}\n"
	"tr.group td{background:#f5f7fa}\n"
	"tr.else td{background:#fbf7ec}\n"
	".note{color:#555;font-style:italic}\n"
	".meta td:first-child{font-weight:bold;width:10em}\n"
	"table.signoff td{height:2.2em}\n"
	"ul{padding-left:1.4em}\n"
	"@media print{body{margin:0;max-width:none;font-size:11px}"
	"a{color:inherit;text-decoration:none}"
	"section,tr{break-inside:avoid}h2,h3,h4{break-after:avoid}"
	"thead{display:table-header-group}.toc{display:none}}\n";

static void
service_blurb(Doc *d, const Endpoint *ep)
{
	/* the schema's first sentence: "Xero Accounting API 2.0 (JSON), as a target." */
	if (!ep->svc || !ep->svc->loc.file)
		return;
	const char *s = ep->svc->loc.file->text, *end = s + ep->svc->loc.file->len;
	Buf out = { 0 };
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *z = nl ? nl : end, *t;
		size_t tn;
		if (!comment_line(s, (size_t)(z - s), &t, &tn) || tn == 0)
			break;
		if (out.len)
			buf_puts(&out, " ");
		buf_put(&out, t, tn);
		const char *dot = NULL;
		for (size_t i = 0; i + 1 < out.len; i++)
			if (out.p[i] == '.' && out.p[i + 1] == ' ') {
				dot = out.p + i;
				break;
			}
		if (dot) {
			out.len = (size_t)(dot - out.p) + 1;
			break;
		}
		if (out.len && out.p[out.len - 1] == '.')
			break;
		s = z + 1;
	}
	if (out.len) {
		text(d, " ");
		text_n(d, out.p, out.len);
	}
	buf_free(&out);
}

static void
endpoint_line(Doc *d, const char *what, const Endpoint *ep)
{
	li_begin(d);
	textf(d, "%s: ", what);
	strong(d, ep->service);
	text(d, " (alias ");
	code(d, ep->alias);
	text(d, ").");
	service_blurb(d, ep);
	if (ep->per_min || ep->per_day || ep->concurrent) {
		text(d, " Rate limits:");
		int n = 0;
		if (ep->per_min)
			textf(d, "%s %d requests a minute", n++ ? "," : "", ep->per_min);
		if (ep->per_day)
			textf(d, "%s %d a day", n++ ? "," : "", ep->per_day);
		if (ep->concurrent)
			textf(d, "%s %d at a time", n++ ? "," : "", ep->concurrent);
		text(d, ".");
	}
	li_end(d);
}

static const char *
base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

static void
sheet(Doc *d)
{
	const Program *p = d->prog;
	const Pair *pr = p->pair;
	char title[400];
	snprintf(title, sizeof title, "Mapping sheet: %s", pr->name);
	if (d->html) {
		buf_puts(d->b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
			"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
			"<title>");
		text(d, title);
		buf_puts(d->b, "</title>\n<style>\n");
		buf_puts(d->b, css);
		buf_puts(d->b, "</style>\n</head>\n<body>\n");
	}
	heading(d, 1, NULL, title);
	p_begin(d);
	text(d, pr->src->service);
	text(d, " to ");
	text(d, pr->tgt->service);
	textf(d, ", from ");
	code(d, base_name(p->main->name));
	textf(d, " (mapc %s).", MAPC_VERSION);
	p_end(d);
	/* the file's opening comment says what the pair does */
	Buf intro = { 0 };
	for (int i = 1; i <= d->nlines; i++) {
		size_t len, tn;
		const char *s = line_at(d, i, &len), *t;
		if (!comment_line(s, len, &t, &tn))
			break;
		d->used[i] = 1;
		undecorate(&t, &tn);
		if (tn == 0) {
			if (intro.len && intro.p[intro.len - 1] != '\n')
				buf_puts(&intro, "\n");
			continue;
		}
		if (intro.len && intro.p[intro.len - 1] != '\n')
			buf_puts(&intro, " ");
		buf_put(&intro, t, tn);
	}
	while (intro.len && intro.p[intro.len - 1] == '\n')
		intro.p[--intro.len] = 0;
	notes_block(d, &intro, "intro");
	buf_free(&intro);
	ul_begin(d);
	endpoint_line(d, "Source", pr->src);
	endpoint_line(d, "Target", pr->tgt);
	if (pr->cur) {
		/* the sign-off should see which rates move the customer's money */
		li_begin(d);
		text(d, "Base currency: ");
		if (pr->cur->cur_base->literal)
			strong(d, pr->cur->cur_base->literal);
		else
			textf(d, "from the environment variable %s", pr->cur->cur_base->env);
		text(d, pr->cur->rates_from == 1 ? "; exchange rates from the target's own "
			"(the rate of each document's day)." : "; exchange rates from a file of the "
			"ECB's reference rates");
		if (pr->cur->rates_from == 2)
			textf(d, " (%s%s).", pr->cur->cur_file->env ? "environment variable " : "",
				pr->cur->cur_file->env ? pr->cur->cur_file->env :
				pr->cur->cur_file->literal);
		li_end(d);
	}
	li_begin(d);
	textf(d, "Entities, in the order they are synced: ");
	for (int i = 0; i < p->nent; i++) {
		text(d, i ? ", " : "");
		if (d->html)
			buf_printf(d->b, "<a href=\"#entity-%s\">", p->order[i]->name);
		strong(d, p->order[i]->name);
		raw(d, "", "</a>");
	}
	text(d, ".");
	li_end(d);
	li_begin(d);
	int nt = 0;
	text(d, "Tables: ");
	for (const Decl *x = p->decls; x; x = x->next) {
		if (x->k != D_TABLE)
			continue;
		text(d, nt++ ? ", " : "");
		table_ref(d, x->u.table);
	}
	text(d, nt ? "." : "none.");
	li_end(d);
	ul_end(d);

	heading(d, 2, "entities", "Entities");
	for (const Decl *x = p->decls; x; x = x->next)
		if (x->k == D_ENTITY)
			entity(d, x->u.ent);

	heading(d, 2, "tables", "Tables");
	p_begin(d);
	text(d, "Every table in full: each key, its value, and what happens to any other key.");
	p_end(d);
	for (const Decl *x = p->decls; x; x = x->next)
		if (x->k == D_TABLE)
			table(d, x->u.table);

	heading(d, 2, "signoff", "Sign-off");
	p_begin(d);
	textf(d, "Reviewed and approved: the %d entities and %d tables above.",
		count_decls(p, D_ENTITY), count_decls(p, D_TABLE));
	p_end(d);
	static const char *const heads[] = { "Name", "Role", "Signature", "Date" };
	table_begin(d, "signoff", heads, 4);
	for (int r = 0; r < 2; r++) {
		row_begin(d, NULL);
		for (int i = 0; i < 4; i++) {
			cell_begin(d);
			raw(d, "", "&nbsp;");
			cell_end(d);
		}
		row_end(d);
	}
	table_end(d);
	if (d->html)
		buf_puts(d->b, "</body>\n</html>\n");
}

int
doc_main(int argc, char **argv)
{
	const char *in = NULL;
	const char *dirs[64];
	int ndirs = 0, html = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--html") == 0) {
			html = 1;
		} else if (strcmp(a, "-I") == 0 && i + 1 < argc) {
			if (ndirs < 64)
				dirs[ndirs++] = argv[++i];
		} else if (a[0] == '-' || in) {
			fputs("usage: mapc doc [--html] [-I DIR]... FILE.map\n", stderr);
			return 2;
		} else {
			in = a;
		}
	}
	if (!in) {
		fputs("usage: mapc doc [--html] [-I DIR]... FILE.map\n", stderr);
		return 2;
	}
	Program prog;
	if (ld_file(&prog, in, dirs, ndirs, LD_CHECK) != 0)
		return ld_finish(1);
	if (!prog.pair || !prog.pair->src || !prog.pair->tgt) {
		fprintf(stderr, "mapc: error: %s has no pair to document\n", in);
		return ld_finish(1);
	}
	Buf out = { 0 };
	Doc d = { 0 };
	d.b = &out;
	d.html = html;
	d.prog = &prog;
	index_lines(&d);
	sheet(&d);
	int rc = fwrite(out.p, 1, out.len, stdout) == out.len && fflush(stdout) == 0 ? 0 : 1;
	if (rc)
		fputs("mapc: error: cannot write the sheet\n", stderr);
	buf_free(&out);
	return ld_finish(rc);
}
