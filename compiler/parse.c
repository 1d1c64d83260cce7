/*
 * parse.c - the parser glue: reads a file, pushes the lexer's tokens into
 * the lemon parser (as SQLite's tokenize.c does) and gives the grammar's
 * actions their helpers.  Also the token-name table for messages.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mapc.h"
#include "parser.h"

void *mwParseAlloc(void *(*)(size_t), Parse *);
void mwParse(void *, int, Token);
void mwParseFree(void *, void (*)(void *));

/* ORDER TOKENS: one name per TK_ code of parser.h. */
static const char *const tok_names[] = {
	[0] = "end of file",
	[TK_ID] = "a name", [TK_STRING] = "a string", [TK_INT] = "an integer",
	[TK_DECIMAL] = "a decimal", [TK_DURATION] = "a duration", [TK_HTTPCLASS] = "a status class",
	[TK_LBRACE] = "`{`", [TK_RBRACE] = "`}`", [TK_LPAREN] = "`(`", [TK_RPAREN] = "`)`",
	[TK_LBRACKET] = "`[`", [TK_RBRACKET] = "`]`", [TK_COLON] = "`:`", [TK_COMMA] = "`,`",
	[TK_SEMI] = "`;`", [TK_DOT] = "`.`", [TK_DOTDOT] = "`..`", [TK_ARROW] = "`->`",
	[TK_FATARROW] = "`=>`", [TK_ASSIGN] = "`=`", [TK_EQ] = "`==`", [TK_NE] = "`!=`",
	[TK_LT] = "`<`", [TK_LE] = "`<=`", [TK_GT] = "`>`", [TK_GE] = "`>=`", [TK_PLUS] = "`+`",
	[TK_MINUS] = "`-`", [TK_STAR] = "`*`", [TK_SLASH] = "`/`", [TK_CONCAT] = "`++`",
};

const char *
lx_token_name(int type)
{
	if (type >= 0 && type < (int)(sizeof tok_names / sizeof *tok_names) && tok_names[type])
		return tok_names[type];
	return "a keyword";
}

const SrcFile *
ps_read_stream(FILE *f, const char *name, int is_schema)
{
	const Loc nowhere = { 0 };
	Buf b = { 0 };
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
		buf_put(&b, chunk, n);
		if (b.len > 16u << 20) {
			diag_err(nowhere, ER_READ_FILE, "%s is larger than 16 MiB", name);
			buf_free(&b);
			return NULL;
		}
	}
	if (ferror(f)) {
		diag_err(nowhere, ER_READ_FILE, "cannot read %s", name);
		buf_free(&b);
		return NULL;
	}
	SrcFile *sf = ar_alloc(sizeof *sf);
	sf->name = ar_strndup(name, strlen(name));
	sf->text = b.p ? ar_strndup(b.p, b.len) : ar_strndup("", 0);
	sf->len = b.len;
	sf->is_schema = is_schema;
	buf_free(&b);
	return sf;
}

const SrcFile *
ps_read_file(const char *path, int is_schema)
{
	const Loc nowhere = { 0 };
	FILE *f = fopen(path, "rb");
	if (!f) {
		diag_err(nowhere, ER_READ_FILE, "cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	const SrcFile *sf = ps_read_stream(f, path, is_schema);
	fclose(f);
	return sf;
}

/* ---- helpers for the grammar's actions ---- */

void *
ps_new(size_t n)
{
	return ar_alloc(n);
}

Expr *
ps_expr(ExprKind k, Loc loc)
{
	Expr *e = ar_alloc(sizeof *e);
	e->k = k;
	e->loc = loc;
	return e;
}

Loc
ps_span(Loc a, Loc b)
{
	if (a.file == b.file && a.line == b.line && b.col >= a.col)
		a.len = b.col + b.len - a.col;
	return a;
}

const char *
ps_path_text(const StrList *path)
{
	size_t n = 0;
	for (const StrList *s = path; s; s = s->next)
		n += strlen(s->s) + 1;
	char *t = ar_alloc(n + 1), *at = t;
	for (const StrList *s = path; s; s = s->next) {
		size_t k = strlen(s->s);
		memcpy(at, s->s, k);
		at += k;
		if (s->next)
			*at++ = '.';
	}
	*at = '\0';
	return t;
}

const char *
ps_concat(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s = ar_alloc(la + lb + 1);
	memcpy(s, a, la);
	memcpy(s + la, b, lb);
	return s;
}

LifeAct *
ps_life_act(Parse *p, Token word, const Token *by, const Token *entity)
{
	(void)p;
	LifeAct *a = ar_alloc(sizeof *a);
	a->loc = word.loc;
	if (by) {
		if (strcmp(word.s, "credit") != 0 || strcmp(by->s, "by") != 0) {
			diag_err(ps_span(word.loc, entity->loc), ER_LIFE_ACTION,
				"unknown lifecycle action `%s %s %s` (write, void, keep, "
				"credit by ENTITY, or if ... then ... else ...)", word.s, by->s,
				entity->s);
			return NULL;
		}
		a->k = L_CREDIT;
		a->entity = entity->s;
		a->ent_loc = entity->loc;
		a->loc = ps_span(word.loc, entity->loc);
		return a;
	}
	if (strcmp(word.s, "write") == 0)
		a->k = L_WRITE;
	else if (strcmp(word.s, "void") == 0)
		a->k = L_VOID;
	else if (strcmp(word.s, "keep") == 0)
		a->k = L_KEEP;
	else {
		diag_err(word.loc, ER_LIFE_ACTION,
			"unknown lifecycle action `%s` (write, void, keep, credit by ENTITY, or "
			"if ... then ... else ...)", word.s);
		return NULL;
	}
	return a;
}

void
ps_add_decl(Parse *p, DeclKind k, void *node)
{
	Decl *d = ar_alloc(sizeof *d);
	d->k = k;
	switch (k) {
	case D_SERVICE: d->u.svc = node; break;
	case D_PAIR: d->u.pair = node; break;
	case D_TABLE: d->u.table = node; break;
	case D_ENTITY: d->u.ent = node; break;
	}
	if (p->prog->decls_tail)
		p->prog->decls_tail->next = d;
	else
		p->prog->decls = d;
	p->prog->decls_tail = d;
}

/* ---- driving the parser ---- */

/* Tokens after which only an expression can come. */
static int
wants_expr(int t)
{
	switch (t) {
	case TK_ASSIGN: case TK_EQ: case TK_NE: case TK_LT: case TK_LE: case TK_GT: case TK_GE:
	case TK_PLUS: case TK_MINUS: case TK_STAR: case TK_SLASH: case TK_CONCAT: case TK_AND:
	case TK_OR: case TK_NOT: case TK_IF: case TK_THEN: case TK_ELSE: case TK_WHEN:
	case TK_WITHIN: case TK_CHECK:
		return 1;
	default:
		return 0;
	}
}

void
ps_syntax_error(Parse *p, int major, Token t)
{
	if (major == 0) {
		if (p->nopen > 0) {
			Token o = p->open[p->nopen - 1];
			diag_err(t.loc, ER_UNEXPECTED_EOF,
				"unexpected end of file: %s opened at line %d is not closed",
				lx_token_name(o.type), o.loc.line);
			diag_note(o.loc, "%s opened here", lx_token_name(o.type));
		} else {
			diag_err(t.loc, ER_UNEXPECTED_EOF, "unexpected end of file");
		}
		return;
	}
	char what[96];
	if (major == TK_STRING)
		snprintf(what, sizeof what, "string \"%.60s\"", t.s);
	else if (major == TK_INT || major == TK_DECIMAL)
		snprintf(what, sizeof what, "number `%.60s`", t.s);
	else if (major == TK_DURATION)
		snprintf(what, sizeof what, "duration `%.60s`", t.s);
	else if (t.s && *t.s)
		snprintf(what, sizeof what, "`%.60s`", t.s);
	else
		snprintf(what, sizeof what, "%s", lx_token_name(major));
	if (wants_expr(p->prev1.type) && major != TK_ID && major != TK_STRING && major != TK_INT &&
	    major != TK_DECIMAL && major != TK_LPAREN && major != TK_LBRACKET && major != TK_LBRACE) {
		diag_err(t.loc, ER_EXPECTED_EXPR, "expected an expression, found %s", what);
		return;
	}
	if (major == TK_ASSIGN && p->prev1.type == TK_ID && wants_expr(p->prev2.type) &&
	    p->prev2.loc.line < p->prev1.loc.line) {
		diag_err(p->prev2.loc, ER_MISSING_OPERAND,
			"%s at the end of the line has no right operand", lx_token_name(p->prev2.type));
		return;
	}
	diag_err(t.loc, ER_UNEXPECTED_TOKEN, "unexpected %s", what);
}

static void
track_brackets(Parse *p, Token t)
{
	switch (t.type) {
	case TK_LBRACE: case TK_LBRACKET: case TK_LPAREN:
		if (p->nopen < PS_MAXOPEN)
			p->open[p->nopen] = t;
		p->nopen++;
		break;
	case TK_RBRACE: case TK_RBRACKET: case TK_RPAREN:
		if (p->nopen > 0)
			p->nopen--;
		break;
	default:
		break;
	}
	if (p->nopen > PS_MAXOPEN)
		p->nopen = PS_MAXOPEN;
}

void
ps_parse(Program *prog, const SrcFile *f)
{
	Parse ctx = { .prog = prog, .file = f, .errors_before = diag_errors, .at = { f, 1, 1, 1 } };
	void *parser = mwParseAlloc(malloc, &ctx);
	if (!parser) {
		fputs("mapc: out of memory\n", stderr);
		abort();
	}
	Lexer lx;
	lx_init(&lx, f);
	for (;;) {
		Token t = lx_next(&lx);
		if (t.type == 0) {
			t.loc.len = 1;
			mwParse(parser, 0, t);
			break;
		}
		track_brackets(&ctx, t);
		ctx.at = t.loc;
		mwParse(parser, t.type, t);
		if (ctx.overflow)
			break;
		ctx.prev2 = ctx.prev1;
		ctx.prev1 = t;
	}
	mwParseFree(parser, free);
}

void
ps_dump_tokens(const SrcFile *f, FILE *out)
{
	Lexer lx;
	lx_init(&lx, f);
	for (;;) {
		Token t = lx_next(&lx);
		fprintf(out, "%s:%d:%d: %s", f->name, t.loc.line, t.loc.col, lx_token_name(t.type));
		if (t.type == TK_STRING)
			fprintf(out, " \"%s\"", t.s);
		else if (t.type != 0)
			fprintf(out, " %s", t.s);
		fputc('\n', out);
		if (t.type == 0)
			break;
	}
}
