/*
 * fmt.c - mapc fmt [--check] [FILE...]: the one canonical layout of a .map
 * file, as gofmt does it for Go.  Without FILE (or for `-`) it filters
 * standard input to standard output, as editors call it on save.
 *
 * The formatter works from the token stream: the lexer's tokens plus the
 * comments it hands over through Lexer.on_comment.  It keeps the author's
 * line breaks (where a long expression is broken is a reading decision)
 * and decides everything else: indentation (2 spaces a block, 4 more for a
 * statement's continuation lines), the spaces between tokens, at most one
 * blank line and one always between top-level declarations, an entity
 * header's `when` and `on` each on its own line, single-entry table lines
 * aligned on `=>`, trailing comments of consecutive lines aligned, LF line
 * ends and no byte-order mark.  Only white space changes: before a file is
 * written its output is lexed again and must give the same tokens and the
 * same comments, so the compiled C cannot change (line numbers aside).  A
 * file with a syntax error is reported and left alone.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mapc.h"
#include "parser.h"

#define FT_COMMENT (-1)

/* A token or comment, with its text as written. */
typedef struct {
	int type; /* TK_ code, or FT_COMMENT */
	int line;
	const char *p;
	size_t n;
	int unary; /* a `-` that negates */
} FTok;

typedef struct {
	FTok *v;
	int n, cap;
} FToks;

static void
push_tok(FToks *ts, FTok t)
{
	if (ts->n == ts->cap) {
		int cap = ts->cap ? ts->cap * 2 : 256;
		FTok *v = ar_alloc((size_t)cap * sizeof *v);
		if (ts->n)
			memcpy(v, ts->v, (size_t)ts->n * sizeof *v);
		ts->v = v;
		ts->cap = cap;
	}
	ts->v[ts->n++] = t;
}

static void
on_comment(void *ctx, Loc at, const char *text, size_t n)
{
	/* a CRLF file leaves the CR in the comment; trailing blanks go too */
	while (n > 1 && (text[n - 1] == '\r' || text[n - 1] == ' ' || text[n - 1] == '\t'))
		n--;
	FTok t = { FT_COMMENT, at.line, text, n, 0 };
	push_tok(ctx, t);
}

/* The tokens and comments of f; its text as written comes from the line
 * offsets (the lexer's columns count from after a byte-order mark). */
static void
lex_all(const SrcFile *f, FToks *ts)
{
	int nlines = 1;
	for (size_t i = 0; i < f->len; i++)
		nlines += f->text[i] == '\n';
	size_t *off = ar_alloc((size_t)(nlines + 2) * sizeof *off);
	int l = 1;
	off[1] = f->len >= 3 && memcmp(f->text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
	for (size_t i = 0; i < f->len; i++)
		if (f->text[i] == '\n')
			off[++l] = i + 1;

	Lexer lx;
	lx_init(&lx, f);
	lx.on_comment = on_comment;
	lx.comment_ctx = ts;
	for (;;) {
		Token t = lx_next(&lx);
		if (t.type == 0)
			break;
		FTok ft = { t.type, t.loc.line, f->text + off[t.loc.line] + t.loc.col - 1,
			(size_t)t.loc.len, 0 };
		push_tok(ts, ft);
	}
}

/* ---- what a token is ---- */

static int
wordlike(const FTok *t)
{
	char c = t->p[0];
	return t->type != FT_COMMENT && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		c == '_' || c == '`');
}

/* Keywords that are never a name in front of `(` or `[`. */
static int
operator_word(int type)
{
	switch (type) {
	case TK_IF: case TK_THEN: case TK_ELSE: case TK_AND: case TK_OR: case TK_NOT:
	case TK_WHEN: case TK_IN: case TK_ON: case TK_CHECK: case TK_WITHIN: case TK_KEY:
	case TK_FROM: case TK_FOR: case TK_REF: case TK_MATCH:
		return 1;
	default:
		return 0;
	}
}

/* A token after which `-` is binary. */
static int
ends_operand(int type)
{
	switch (type) {
	case TK_ID: case TK_STRING: case TK_INT: case TK_DECIMAL: case TK_DURATION:
	case TK_RPAREN: case TK_RBRACKET: case TK_RBRACE: case TK_TRUE: case TK_FALSE:
	case TK_NULL:
		return 1;
	default:
		return 0;
	}
}

static int
is_opener(int type)
{
	return type == TK_LBRACE || type == TK_LBRACKET || type == TK_LPAREN;
}

static int
is_closer(int type)
{
	return type == TK_RBRACE || type == TK_RBRACKET || type == TK_RPAREN;
}

static int
is_decl_kw(int type)
{
	return type == TK_SERVICE || type == TK_PAIR || type == TK_TABLE || type == TK_TRACKING ||
		type == TK_DIMENSION || type == TK_ENTITY;
}

/* ---- the nesting the layout follows ---- */

enum {
	FR_TOP, FR_SERVICE, FR_FIELDS, FR_PAIR, FR_SETTINGS, FR_TABLE, FR_STMTS, FR_ARRAY,
	FR_ARMS, /* a lifecycle's { "a", "b" => ACTION ... } */
	FR_PAREN /* ( ) and a lookup's [ ]: no items, lines inside continue the item */
};

typedef struct {
	int kind;
	int base;     /* indent of the items inside */
	int close;    /* indent of a closer that starts a line */
	int id;       /* instance, for alignment runs */
	int at_start; /* FR_ARRAY: the next token starts an element */
	int item;     /* type of the current item's first token */
	int decl;     /* FR_TOP: the current declaration's keyword */
	int when;     /* FR_TOP: an entity header's `when` has been seen */
} Frame;

#define MAXDEPTH 1100 /* the parser allows 1000 levels */

/* One output line. */
typedef struct {
	int indent;
	Buf text;              /* the code, without indent */
	const FTok *cmt;       /* trailing comment, or the whole line's */
	int blank, comment_only, decl_start;
	int first, last;       /* types of the first and last code token */
	int tbl;               /* > 0: one table entry, starting the line; the frame's id */
	size_t key_end;        /* bytes of text that are the key */
	int tbl_items;         /* table entries started on the line */
} OLine;

typedef struct {
	OLine *v;
	int n, cap;
} OLines;

static OLine *
new_line(OLines *ls)
{
	if (ls->n == ls->cap) {
		int cap = ls->cap ? ls->cap * 2 : 256;
		OLine *v = ar_alloc((size_t)cap * sizeof *v);
		if (ls->n)
			memcpy(v, ls->v, (size_t)ls->n * sizeof *v);
		ls->v = v;
		ls->cap = cap;
	}
	OLine *l = &ls->v[ls->n++];
	memset(l, 0, sizeof *l);
	return l;
}

static int
prev_code(const FToks *ts, int i)
{
	for (i--; i >= 0; i--)
		if (ts->v[i].type != FT_COMMENT)
			return ts->v[i].type;
	return 0;
}

static int
next_code(const FToks *ts, int i)
{
	for (i++; i < ts->n; i++)
		if (ts->v[i].type != FT_COMMENT)
			return ts->v[i].type;
	return 0;
}

/* Does token i start an item (declaration, statement, entry, field,
 * setting, element) of frame f? */
static int
item_start(const Frame *f, const FToks *ts, int i)
{
	const FTok *t = &ts->v[i];
	int prev = prev_code(ts, i), next = next_code(ts, i);
	switch (f->kind) {
	case FR_TOP:
		return is_decl_kw(t->type);
	case FR_SERVICE:
		return (t->type == TK_FORMAT || t->type == TK_COLLECTION || t->type == TK_OBJECT) &&
			prev != TK_FORMAT && prev != TK_COLLECTION && prev != TK_COLON &&
			prev != TK_OBJECT;
	case FR_FIELDS:
		return wordlike(t) && next == TK_COLON;
	case FR_PAIR:
		/* `currency "USD" from target`: that `target` ends the statement */
		if (t->type == TK_CURRENCY)
			return prev != TK_CURRENCY;
		return (t->type == TK_SOURCE || t->type == TK_TARGET) && prev != TK_SOURCE &&
			prev != TK_TARGET && prev != TK_COLON && prev != TK_FROM;
	case FR_SETTINGS:
		return (wordlike(t) && next == TK_ASSIGN) || (t->type == TK_LIMIT && next == TK_INT);
	case FR_TABLE:
		return (t->type == TK_STRING || t->type == TK_INT || t->type == TK_ELSE) &&
			next == TK_FATARROW;
	case FR_STMTS:
		if (wordlike(t) && next == TK_ASSIGN)
			return prev != TK_MATCH;
		return t->type == TK_ON || t->type == TK_CHECK || t->type == TK_MATCH ||
			t->type == TK_LIFECYCLE || t->type == TK_LOCKED;
	case FR_ARMS:
		/* an arm's first key: not a key after a comma, not a value
		 * compared in a condition (after an operator) */
		if (t->type == TK_ELSE)
			return next == TK_FATARROW;
		if (t->type != TK_STRING && t->type != TK_INT)
			return 0;
		if (prev == TK_COMMA) {
			int j = i - 1;
			while (j > 0 && ts->v[j].type != TK_COMMA)
				j--;
			int before = prev_code(ts, j);
			return before != TK_STRING && before != TK_INT;
		}
		return prev == TK_LBRACE || prev == TK_SEMI ||
			(wordlike(&ts->v[i - 1]) && !operator_word(prev));
	case FR_ARRAY:
		return f->at_start;
	default:
		return 0;
	}
}

/* The kind of the frame token i opens inside f. */
static int
frame_kind(const Frame *f, const FToks *ts, int i)
{
	int type = ts->v[i].type;
	if (type == TK_LPAREN)
		return FR_PAREN;
	if (type == TK_LBRACKET) {
		const FTok *p = i > 0 ? &ts->v[i - 1] : NULL;
		return p && wordlike(p) && !operator_word(p->type) ? FR_PAREN : FR_ARRAY;
	}
	switch (f->kind) {
	case FR_TOP:
		switch (f->decl) {
		case TK_SERVICE: return FR_SERVICE;
		case TK_PAIR: return FR_PAIR;
		case TK_ENTITY: return FR_STMTS;
		default: return FR_TABLE;
		}
	case FR_SERVICE: return FR_FIELDS;
	case FR_PAIR: return FR_SETTINGS;
	case FR_STMTS:
		/* `lifecycle a.b {`: its arms */
		for (int j = i - 1; j >= 0 && (ts->v[j].type == TK_DOT || wordlike(&ts->v[j]));
		     j--)
			if (ts->v[j].type == TK_LIFECYCLE)
				return FR_ARMS;
		return FR_STMTS;
	default: return FR_STMTS;
	}
}

/* The spaces between a and b on one line. */
static int
gap(const FTok *a, const FTok *b, int new_item, const Frame *f)
{
	int x = a->type, y = b->type;
	if (new_item && f->kind != FR_ARRAY && !is_opener(x) && x != TK_COMMA && x != TK_SEMI)
		return 2; /* items on one line: `"web" => "Online"  "pos" => "Retail"` */
	if (x == TK_LPAREN || x == TK_LBRACKET || x == TK_DOT || x == TK_DOTDOT)
		return 0;
	if (y == TK_RPAREN || y == TK_RBRACKET || y == TK_COMMA || y == TK_SEMI || y == TK_COLON ||
	    y == TK_DOT || y == TK_DOTDOT)
		return 0;
	if (x == TK_LBRACE && y == TK_RBRACE)
		return 0;
	if (y == TK_LPAREN && f->kind == FR_SERVICE && f->item == TK_COLLECTION)
		return 1; /* collection orders: Order (list) */
	if ((y == TK_LPAREN || y == TK_LBRACKET) && wordlike(a) && !operator_word(x))
		return 0;
	if (x == TK_MINUS && a->unary)
		return 0;
	if ((x == TK_SLASH || y == TK_SLASH) && f->kind == FR_SETTINGS && f->item == TK_LIMIT)
		return 0; /* limit 60/min */
	return 1;
}

/* Display width: code points. */
static int
width(const char *s, size_t n)
{
	int w = 0;
	for (size_t i = 0; i < n; i++)
		w += ((unsigned char)s[i] & 0xC0) != 0x80;
	return w;
}

static void
put_spaces(Buf *b, int n)
{
	static const char sp[] = "                                ";
	while (n > 0) {
		int k = n < 32 ? n : 32;
		buf_put(b, sp, (size_t)k);
		n -= k;
	}
}

/* How much further an item's continuation lines go in: 4 for statements
 * and headers, 2 for a schema field (its enum list). */
static int
cont(const Frame *f)
{
	return f->kind == FR_FIELDS ? 2 : 4;
}

/* Lay out the tokens as lines. */
static void
layout(FToks *ts, OLines *ls)
{
	static Frame st[MAXDEPTH];
	int depth = 0, ids = 0, ndecls = 0;
	memset(&st[0], 0, sizeof st[0]);
	OLine *cur = NULL;
	int pending = -1; /* first comment-only line waiting for its indent */
	const FTok *prev = NULL;

	for (int i = 0; i < ts->n; i++) {
		FTok *t = &ts->v[i];
		int blank = prev && t->line - prev->line >= 2;
		if (t->type == FT_COMMENT) {
			if (cur && prev && prev->line == t->line && !cur->cmt) {
				cur->cmt = t;
			} else {
				if (blank)
					new_line(ls)->blank = 1;
				cur = new_line(ls);
				cur->comment_only = 1;
				cur->cmt = t;
				if (pending < 0)
					pending = ls->n - 1;
			}
			prev = t;
			continue;
		}

		Frame *f = &st[depth];
		if (t->type == TK_MINUS)
			t->unary = !prev || !ends_operand(prev_code(ts, i));
		int closer = is_closer(t->type) && depth > 0;
		int start = !closer && item_start(f, ts, i);
		int brk = !cur || cur->comment_only || prev->line != t->line;
		if (f->kind == FR_TOP && start && cur && !cur->comment_only && cur->text.len)
			brk = 1; /* a declaration starts a line */
		if (f->kind == FR_TOP && f->decl == TK_ENTITY &&
		    ((t->type == TK_WHEN && !f->when) || t->type == TK_ON))
			brk = 1; /* the header's filter and triggers */

		if (brk && t->type == TK_LBRACE && cur && !cur->comment_only && !cur->cmt &&
		    (f->kind == FR_TOP || f->kind == FR_SERVICE || f->kind == FR_PAIR))
			brk = blank = 0; /* a body's `{` ends its header line */

		/* the innermost frame with items */
		int ib = depth;
		while (ib > 0 && st[ib].kind == FR_PAREN)
			ib--;
		if (brk) {
			int indent;
			if (closer)
				indent = f->close;
			else if (start)
				indent = f->base;
			else
				indent = st[ib].base + cont(&st[ib]);
			if (blank)
				new_line(ls)->blank = 1;
			cur = new_line(ls);
			cur->indent = indent;
			cur->first = t->type;
			if (pending >= 0) {
				/* comments take the indent of the code they precede; before a
				 * closer, the indent of the block's contents */
				int ci = closer ? f->base : indent;
				for (int k = pending; k < ls->n - 1; k++)
					ls->v[k].indent = ci;
				pending = -1;
			}
		} else {
			put_spaces(&cur->text, gap(prev, t, start, f));
		}
		if (start && f->kind == FR_TOP) {
			cur->decl_start = ndecls++ > 0;
			f->decl = t->type;
			f->when = 0;
		}
		if (start && f->kind == FR_TABLE) {
			if (cur->text.len == 0)
				cur->tbl = f->id;
			cur->tbl_items++;
		}
		if (f->kind == FR_TOP && t->type == TK_WHEN)
			f->when = 1;
		buf_put(&cur->text, t->p, t->n);
		if (cur->tbl && cur->tbl_items == 1 && start && f->kind == FR_TABLE)
			cur->key_end = cur->text.len;
		cur->last = t->type;

		/* the nesting after this token */
		if (start) {
			f->item = t->type;
			f->at_start = 0;
		}
		if (f->kind == FR_ARRAY && !closer) {
			if (t->type == TK_COMMA)
				f->at_start = 1;
			else if (!start)
				f->at_start = 0;
		}
		if (is_opener(t->type) && depth + 1 < MAXDEPTH) {
			Frame *n = &st[depth + 1];
			memset(n, 0, sizeof *n);
			n->kind = frame_kind(f, ts, i);
			n->base = st[ib].base + 2;
			n->close = st[ib].base;
			n->id = ++ids;
			n->at_start = 1;
			if (n->kind == FR_PAREN) {
				n->base = st[ib].base + cont(&st[ib]);
				n->close = n->base;
			}
			depth++;
		} else if (closer) {
			depth--;
			if (st[depth].kind == FR_ARRAY)
				st[depth].at_start = 0;
		}
		prev = t;
	}
	for (int k = pending; k >= 0 && k < ls->n; k++)
		ls->v[k].indent = 0;
}

/* Blank lines: one before each declaration but the first (and before the
 * comments right above it), none at the ends of the file or of a block. */
static void
blank_lines(OLines *ls)
{
	OLines out = { 0 };
	for (int i = 0; i < ls->n; i++) {
		OLine *l = &ls->v[i];
		if (l->decl_start) {
			int j = out.n;
			while (j > 0 && out.v[j - 1].comment_only && out.v[j - 1].indent == 0)
				j--;
			if (j > 0 && !out.v[j - 1].blank) {
				new_line(&out);
				memmove(&out.v[j + 1], &out.v[j], (size_t)(out.n - 1 - j) * sizeof *out.v);
				memset(&out.v[j], 0, sizeof out.v[j]);
				out.v[j].blank = 1;
			}
		}
		if (l->blank) {
			if (out.n == 0 || out.v[out.n - 1].blank)
				continue;
			const OLine *p = &out.v[out.n - 1];
			if (!p->comment_only && is_opener(p->last))
				continue;
			int j = i + 1;
			while (j < ls->n && ls->v[j].blank)
				j++;
			if (j == ls->n || (!ls->v[j].comment_only && is_closer(ls->v[j].first)))
				continue;
		}
		*new_line(&out) = *l;
	}
	*ls = out;
}

/* Single-entry table lines in a row align `=>`; trailing comments of
 * consecutive lines align two columns after the longest of them. */
static void
align(OLines *ls)
{
	for (int i = 0; i < ls->n;) {
		int j = i;
		int w = 0;
		while (j < ls->n && ls->v[j].tbl && ls->v[j].tbl == ls->v[i].tbl &&
		       ls->v[j].tbl_items == 1) {
			int k = width(ls->v[j].text.p, ls->v[j].key_end);
			w = k > w ? k : w;
			j++;
		}
		if (j == i) {
			i++;
			continue;
		}
		for (int k = i; k < j && j - i > 1; k++) {
			OLine *l = &ls->v[k];
			int pad = w - width(l->text.p, l->key_end);
			if (pad <= 0)
				continue;
			Buf b = { 0 };
			buf_put(&b, l->text.p, l->key_end);
			put_spaces(&b, pad);
			buf_put(&b, l->text.p + l->key_end, l->text.len - l->key_end);
			buf_free(&l->text);
			l->text = b;
		}
		i = j;
	}
}

static void
emit(const OLines *ls, Buf *out)
{
	for (int i = 0; i < ls->n;) {
		const OLine *l = &ls->v[i];
		if (l->blank || l->comment_only || !l->cmt) {
			if (l->comment_only) {
				put_spaces(out, l->indent);
				buf_put(out, l->cmt->p, l->cmt->n);
			} else if (!l->blank) {
				put_spaces(out, l->indent);
				buf_put(out, l->text.p ? l->text.p : "", l->text.len);
			}
			buf_puts(out, "\n");
			i++;
			continue;
		}
		int j = i, col = 0;
		while (j < ls->n && !ls->v[j].blank && !ls->v[j].comment_only && ls->v[j].cmt) {
			int w = ls->v[j].indent + width(ls->v[j].text.p, ls->v[j].text.len);
			col = w > col ? w : col;
			j++;
		}
		for (; i < j; i++) {
			l = &ls->v[i];
			put_spaces(out, l->indent);
			buf_put(out, l->text.p, l->text.len);
			put_spaces(out, col + 2 - l->indent - width(l->text.p, l->text.len));
			buf_put(out, l->cmt->p, l->cmt->n);
			buf_puts(out, "\n");
		}
	}
}

/* The canonical text of f in out. */
static void
format_file(const SrcFile *f, FToks *ts, Buf *out)
{
	lex_all(f, ts);
	OLines ls = { 0 };
	layout(ts, &ls);
	blank_lines(&ls);
	align(&ls);
	emit(&ls, out);
	for (int i = 0; i < ls.n; i++)
		buf_free(&ls.v[i].text);
}

/* The formatted text must hold the same tokens and comments. */
static int
same_tokens(const FToks *a, const SrcFile *f)
{
	FToks b = { 0 };
	lex_all(f, &b);
	if (a->n != b.n)
		return 0;
	for (int i = 0; i < a->n; i++)
		if (a->v[i].type != b.v[i].type || a->v[i].n != b.v[i].n ||
		    memcmp(a->v[i].p, b.v[i].p, a->v[i].n) != 0)
			return 0;
	return 1;
}

/* Write through a temporary file in the same folder and rename it over the
 * original, keeping its permissions. */
static int
replace_file(const char *path, const Buf *b)
{
	struct stat sb;
	Buf tmp = { 0 };
	buf_printf(&tmp, "%s.fmt-XXXXXX", path);
	int fd = mkstemp(tmp.p);
	int rc = -1;
	if (fd >= 0) {
		FILE *f = fdopen(fd, "wb");
		if (f) {
			rc = fwrite(b->p ? b->p : "", 1, b->len, f) == b->len ? 0 : -1;
			if (stat(path, &sb) == 0 && fchmod(fd, sb.st_mode & 07777) != 0)
				rc = -1;
			if (fclose(f) != 0)
				rc = -1;
		} else {
			close(fd);
		}
		if (rc == 0 && rename(tmp.p, path) != 0)
			rc = -1;
		if (rc != 0)
			remove(tmp.p);
	}
	if (rc != 0)
		fprintf(stderr, "mapc: error: cannot write %s: %s\n", path, strerror(errno));
	buf_free(&tmp);
	return rc;
}

static void
fmt_usage(FILE *f)
{
	fputs("usage: mapc fmt [--check] [FILE...]\n"
	      "\n"
	      "Lays each .map file out the one canonical way, in place.  A file with a\n"
	      "syntax error is reported and left alone.  Without FILE, or for `-`, it\n"
	      "reads standard input and writes the canonical text to standard output\n"
	      "(as editors call a formatter on save); messages name it <stdin>.\n"
	      "  --check   write nothing; list the files that would change, exit 1 if any\n", f);
}

/* Formats one file: rewritten in place, or written to standard output when
 * it is standard input; with check, only listed when it would change.
 * Returns -1 when it cannot be formatted (reported), else 0; *changed is
 * set when the canonical text differs. */
static int
fmt_one(const SrcFile *f, int check, int is_stdin, int *changed)
{
	int before = diag_errors;
	Program prog;
	if (ld_program(&prog, f, NULL, 0, LD_PARSE) != 0)
		return -1;
	FToks ts = { 0 };
	Buf out = { 0 };
	format_file(f, &ts, &out);
	SrcFile *g = ar_alloc(sizeof *g);
	g->name = f->name;
	g->text = ar_strndup(out.p ? out.p : "", out.len);
	g->len = out.len;
	int rc = 0;
	if (!same_tokens(&ts, g) || diag_errors > before) {
		fprintf(stderr, "mapc: internal error: formatting %s would change its tokens; "
			"the file is left as it is\n", f->name);
		rc = -1;
	} else {
		int differs = out.len != f->len || memcmp(out.p ? out.p : "", f->text, f->len) != 0;
		*changed |= differs;
		if (check) {
			if (differs)
				printf("%s\n", f->name);
		} else if (is_stdin) {
			if (fwrite(out.p ? out.p : "", 1, out.len, stdout) != out.len) {
				fputs("mapc: error: cannot write the standard output\n", stderr);
				rc = -1;
			}
		} else if (differs && replace_file(f->name, &out) != 0) {
			rc = -1;
		}
	}
	buf_free(&out);
	return rc;
}

int
fmt_main(int argc, char **argv)
{
	int check = 0, nfiles = 0, bad = 0, changed = 0, nstdin = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--check") == 0) {
			check = 1;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fmt_usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "-") == 0) {
			nfiles++;
			nstdin++;
		} else if (argv[i][0] == '-') {
			fmt_usage(stderr);
			return 2;
		} else {
			nfiles++;
		}
	}
	if (nstdin > 1) {
		fmt_usage(stderr);
		return 2;
	}
	for (int i = 1; i <= argc; i++) {
		const SrcFile *f;
		int is_stdin;
		if (i == argc) {
			if (nfiles > 0)
				break;
			is_stdin = 1; /* no FILE: standard input */
		} else if (strcmp(argv[i], "-") == 0) {
			is_stdin = 1;
		} else if (argv[i][0] == '-') {
			continue;
		} else {
			is_stdin = 0;
		}
		f = is_stdin ? ps_read_stream(stdin, "<stdin>", 0) : ps_read_file(argv[i], 0);
		if (!f || fmt_one(f, check, is_stdin, &changed) != 0)
			bad = 1;
	}
	if (fflush(stdout) != 0)
		bad = 1;
	return ld_finish(bad || (check && changed) ? 1 : 0);
}
