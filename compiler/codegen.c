/*
 * codegen.c - writes the checked program as readable, deterministic C.
 *
 * Layout of a generated file, in this order, each behind a banner:
 *   the places: an enum naming, by entity and target field path, every
 *     statement that reports a .map line (AT_Order_LineItems_0_ItemCode),
 *   the tables' entries (sorted static const arrays, searched by bisection),
 *   the source accessors (every read of an input field goes through one,
 *     so a later compiler can swap in a scanner without touching the rest),
 *   per entity: its helper functions (sum) then its map function,
 *   the program's settings, dependencies and webhooks,
 *   then, last, everything that holds a .map line: the line of each place,
 *     the mw_table structs, the error policies, the entities, the program
 *     descriptor and line_at().
 * The body names places, never line numbers, so an edit to the .map that
 * moves lines changes the end of the file only (tests/tools/churn.sh).
 * Output follows the .map's declaration order; accessors are sorted by
 * name.  No dates, no absolute paths: the same .map gives the same bytes.
 * No emitted line is wider than 100 columns (tabs of 8) unless one token is.
 */
#include <stdlib.h>
#include <string.h>

#include "mapc.h"
#include "parser.h"

static const Program *prog;
static const char *map_name; /* the .map file's base name */

/* ---- accessors used, collected while emitting ---- */

/* Generated names are never cut: a cut made two long paths one name. */
typedef struct {
	const ObjDef *obj;
	const FieldDef *f;
	const char *name; /* in the arena */
} Acc;

static Acc *accs;
static int naccs, capaccs;

static const char *
base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

/* ---- places: what reports a .map line, named by its path ---- */

typedef struct {
	char *name;  /* malloc'd: stable while more places are added */
	int line;
} Place;

static Place *places;
static int nplaces, capplaces;

/* The names taken, each with the next suffix to try when its name comes
 * again (open addressing; a table kept at most half full), so naming n
 * places is linear even when one path is written n times. */
typedef struct {
	const char *key;
	int next;
} Taken;
static Taken *taken;
static size_t ntaken, captaken;

static size_t
hash_name(const char *s)
{
	size_t h = 5381;
	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

static Taken *
taken_slot(const char *name)
{
	size_t i = hash_name(name) & (captaken - 1);
	while (taken[i].key && strcmp(taken[i].key, name) != 0)
		i = (i + 1) & (captaken - 1);
	return &taken[i];
}

static void
take_name(const char *name)
{
	if (2 * (ntaken + 1) > captaken) {
		Taken *old = taken;
		size_t oldcap = captaken;
		captaken = captaken ? captaken * 2 : 256;
		taken = calloc(captaken, sizeof *taken);
		if (!taken)
			abort();
		for (size_t i = 0; i < oldcap; i++)
			if (old[i].key)
				*taken_slot(old[i].key) = old[i];
		free(old);
	}
	Taken *s = taken_slot(name);
	s->key = name;
	s->next = 2;
	ntaken++;
}

static Buf where; /* the path being written: "Order_LineItems_0", any length */

/* Appends "_part" (as an identifier) to the path; returns the old length
 * for where_pop. */
static size_t
where_push(const char *part)
{
	size_t old = where.len;
	if (where.len)
		buf_put(&where, "_", 1);
	for (const char *s = part; *s; s++) {
		char ch = *s;
		int ok = ch == '_' || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			 (ch >= '0' && ch <= '9');
		buf_put(&where, ok ? &ch : "_", 1);
	}
	return old;
}

static void
where_pop(size_t old)
{
	where.len = old;
	if (where.p)
		where.p[old] = 0;
}

static size_t
where_index(int i)
{
	char n[16];
	snprintf(n, sizeof n, "%d", i);
	return where_push(n);
}

/* The place of the path being written, at .map line `line`: AT_<path>,
 * or AT_<path>_2, _3 for a path written again (in declaration order). */
static const char *
place(int line)
{
	Buf base = { 0 }, name = { 0 };
	buf_printf(&base, "AT_%s", where.p ? where.p : "");
	buf_puts(&name, base.p);
	if (captaken && taken_slot(base.p)->key) {
		Taken *b = taken_slot(base.p);
		int k = b->next;
		for (;; k++) {
			name.len = 0;
			buf_printf(&name, "%s_%d", base.p, k);
			if (!taken_slot(name.p)->key)
				break;
		}
		b->next = k + 1;
	}
	if (nplaces == capplaces) {
		capplaces = capplaces ? capplaces * 2 : 64;
		places = realloc(places, sizeof *places * (size_t)capplaces);
		if (!places)
			abort();
	}
	Place *pl = &places[nplaces++];
	pl->name = strdup(name.p);
	if (!pl->name)
		abort();
	buf_free(&base);
	buf_free(&name);
	pl->line = line;
	take_name(pl->name);
	return pl->name;
}

/* A check's place: the path, "check", and the first words of its message
 * (AT_Order_check_order_has_no_line_items), so that adding a check renames
 * no other. */
static const char *
check_place(const char *msg, int line)
{
	char words[40];
	size_t n = 0;
	for (const char *s = msg; *s && n + 1 < sizeof words; s++) {
		char ch = *s;
		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'))
			words[n++] = ch;
		else if (n && words[n - 1] != '_')
			words[n++] = '_';
	}
	while (n && words[n - 1] == '_')
		n--;
	words[n] = 0;
	/* cut at a word boundary */
	if (n >= 32) {
		char *cut = words + 32;
		while (cut > words && *cut != '_')
			cut--;
		if (cut == words)
			cut = words + 32;
		*cut = 0;
	}
	size_t old = where_push("check");
	if (words[0])
		where_push(words);
	const char *at = place(line);
	where_pop(old);
	return at;
}

/* A C string literal: escapes quotes, backslashes, controls and `?` (so
 * that no trigraph can form); UTF-8 passes through. */
static void
cstr(Buf *b, const char *s, size_t n)
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
		else if (c < 0x20 || c == 0x7F)
			buf_printf(b, "\\%03o", c);
		else if (c == '?')
			buf_puts(b, "\\?");
		else
			buf_put(b, (const char *)&c, 1);
	}
	buf_put(b, "\"", 1);
}

static void
cstrz(Buf *b, const char *s)
{
	cstr(b, s, strlen(s));
}

/* A comment-safe copy of text: a space parts every `*` `/`, `/` `*` and `?` `?`
 * it would hold (so no comment ends or opens inside, -Wcomment, and no
 * trigraph forms), line breaks and other controls become spaces. */
static void
ctext(Buf *b, const char *s)
{
	char prev = 0;
	for (; *s; s++) {
		char ch = (unsigned char)*s < 0x20 || *s == 0x7F ? ' ' : *s;
		if ((prev == '*' && ch == '/') || (prev == '/' && ch == '*') || (prev == '?' && ch == '?'))
			buf_put(b, " ", 1);
		buf_put(b, &ch, 1);
		prev = ch;
	}
}

static size_t lit_len(const char *s, size_t n);

/* Whether the C text s[0..n) names identifier `id` (outside literals and
 * comments). */
static int
uses_name(const char *s, size_t n, const char *id)
{
	size_t l = strlen(id);
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (ch == '"' || ch == '\'') {
			size_t j = i + 1;
			while (j < n && s[j] != ch)
				j += s[j] == '\\' ? 2 : 1;
			i = j;
		} else if (ch == '/' && i + 1 < n && s[i + 1] == '*') {
			const char *end = strstr(s + i + 2, "*/");
			i = end ? (size_t)(end - s) + 1 : n;
		} else if (ch == '_' || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')) {
			size_t j = i;
			while (j < n && (s[j] == '_' || (s[j] >= 'a' && s[j] <= 'z') ||
			       (s[j] >= 'A' && s[j] <= 'Z') || (s[j] >= '0' && s[j] <= '9')))
				j++;
			if (j - i == l && memcmp(s + i, id, l) == 0)
				return 1;
			i = j - 1;
		}
	}
	return 0;
}

/* A function whose body (b from `body`) never reads its parameter `id`
 * says so: `(void)id;` first, so that every valid mapping compiles under
 * -Wextra -Werror (an entity that only sets constants left `r` unused). */
static void
void_unused(Buf *b, size_t body, const char *id)
{
	if (uses_name(b->p + body, b->len - body, id))
		return;
	Buf v = { 0 };
	buf_printf(&v, "\t(void)%s;\n", id);
	buf_put(b, v.p, v.len); /* room, then moved into place */
	memmove(b->p + body + v.len, b->p + body, b->len - v.len - body);
	memcpy(b->p + body, v.p, v.len);
	buf_free(&v);
}

static const char *
kind_of(const Type *t)
{
	switch (t->k) {
	case TY_STRING: return "MW_STR";
	case TY_INT: return "MW_INT";
	case TY_DEC: case TY_MONEY: return "MW_DEC";
	case TY_BOOL: return "MW_BOOL";
	case TY_DATE: return "MW_DATE";
	case TY_DATETIME: return "MW_DATETIME";
	case TY_OBJ: case TY_MAP: return "MW_OBJ";
	case TY_ARR: return "MW_ARR";
	default: return "MW_MISSING";
	}
}

/* Whether `b` is `a` + "_values" (a rule's list of values). */
static int
values_of(const char *a, const char *b)
{
	size_t l = strlen(a);
	return strncmp(a, b, l) == 0 && strcmp(b + l, "_values") == 0;
}

/* Whether `name` is one of list[0..n) or its `_values` array (rules). */
static int
name_taken(const Acc *list, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(list[i].name, name) == 0 || values_of(list[i].name, name) ||
		    values_of(name, list[i].name))
			return 1;
	return 0;
}

/* PREFIX_Object_field; the same object name in two services: PREFIX_svc_Object_field;
 * underscores that still make two equal: a number after. */
static const char *
unique_name(const Acc *list, int n, const char *prefix, const ObjDef *o, const FieldDef *f)
{
	Buf b = { 0 };
	buf_printf(&b, "%s_%s_%s", prefix, o->name, f->name);
	if (name_taken(list, n, b.p)) {
		b.len = 0;
		buf_printf(&b, "%s_%s_%s_%s", prefix, o->svc->name, o->name, f->name);
	}
	size_t len = b.len;
	for (int k = 2; name_taken(list, n, b.p); k++) {
		b.len = len;
		buf_printf(&b, "_%d", k);
	}
	const char *name = ar_strndup(b.p, b.len);
	buf_free(&b);
	return name;
}

static const char *
accessor(const ObjDef *o, const FieldDef *f)
{
	for (int i = 0; i < naccs; i++)
		if (accs[i].obj == o && accs[i].f == f)
			return accs[i].name;
	if (naccs == capaccs) {
		capaccs = capaccs ? capaccs * 2 : 32;
		accs = realloc(accs, sizeof *accs * (size_t)capaccs);
		if (!accs)
			abort();
	}
	Acc *a = &accs[naccs++];
	a->obj = o;
	a->f = f;
	a->name = unique_name(accs, naccs - 1, "in", o, f);
	return a->name;
}

static int
acc_cmp(const void *x, const void *y)
{
	const Acc *a = x, *b = y;
	return strcmp(a->name, b->name);
}

/* ---- field rules (max, enum) checked at run time, collected likewise ---- */

static Acc *rules;
static int nrules, caprules;

static const ObjDef *
owner_of(const FieldDef *f)
{
	for (const Decl *d = prog->decls; d; d = d->next) {
		if (d->k != D_SERVICE)
			continue;
		for (const ObjDef *o = d->u.svc->objs; o; o = o->next)
			for (const FieldDef *g = o->fields; g; g = g->next)
				if (g == f)
					return o;
	}
	unreachable();
	return NULL;
}

static const char *
rule(const FieldDef *f)
{
	for (int i = 0; i < nrules; i++)
		if (rules[i].f == f)
			return rules[i].name;
	if (nrules == caprules) {
		caprules = caprules ? caprules * 2 : 16;
		rules = realloc(rules, sizeof *rules * (size_t)caprules);
		if (!rules)
			abort();
	}
	Acc *r = &rules[nrules++];
	r->obj = owner_of(f);
	r->f = f;
	r->name = unique_name(rules, nrules - 1, "rule", r->obj, f);
	return r->name;
}

/* Literals and table values were checked against the rule by the compiler;
 * anything computed is checked when the record is transformed. */
static int
needs_rule(const FieldDef *f, const Expr *e)
{
	if (!f->max && !f->enums)
		return 0;
	if (f->ty->k != TY_STRING)
		return 0;
	return e->k != E_STR && e->k != E_NULL && e->k != E_LOOKUP &&
	       !(e->k == E_PATH && e->table);
}

static void
emit_rules(Buf *b)
{
	if (nrules > 1)
		qsort(rules, (size_t)nrules, sizeof *rules, acc_cmp);
	for (int i = 0; i < nrules; i++) {
		const FieldDef *f = rules[i].f;
		int n = 0;
		if (f->enums) {
			buf_printf(b, "static const char *const %s_values[] = {", rules[i].name);
			for (const StrList *v = f->enums; v; v = v->next, n++) {
				buf_puts(b, n % 4 == 0 ? "\n\t" : " ");
				cstrz(b, v->s);
				buf_puts(b, ",");
			}
			buf_puts(b, "\n};\n");
		}
		buf_printf(b, "/* %s.%s.%s */\n", rules[i].obj->svc->name, rules[i].obj->name,
			f->name);
		Buf init = { 0 };
		buf_printf(&init, "\"%s\", %d, ", f->name, f->max);
		if (f->enums)
			buf_printf(&init, "%s_values, %d", rules[i].name, n);
		else
			buf_puts(&init, "NULL, 0");
		/* the initialiser on a line of its own when one line would pass 100 columns */
		int wide = strlen(rules[i].name) + strlen(init.p) + 29 > 100;
		buf_printf(b, "static const mw_rule %s = {%s%s%s};\n\n", rules[i].name,
			wide ? "\n\t" : " ", init.p, wide ? "\n" : " ");
		buf_free(&init);
	}
}

/* ------------------------------------------------------------------ */
/* expressions                                                         */
/* ------------------------------------------------------------------ */

typedef struct Env {
	const char *cname;
	const struct Env *up;
	int depth;
} Env;

static Buf helpers; /* sum() helpers of the entity being written */
static const Entity *cur_ent;

static void expr(Buf *b, const Expr *e, const Env *env);
static void pp_stmt(Buf *b, int in, const char *before, const char *s, const char *after);

static const char *
env_at(const Env *env, int depth)
{
	for (; env; env = env->up)
		if (env->depth == depth)
			return env->cname;
	unreachable();
	return "r";
}

static void
params(Buf *b, const Env *env, int with_types)
{
	/* outermost first */
	if (!env)
		return;
	params(b, env->up, with_types);
	buf_printf(b, ", %s%s", with_types ? "mw_val " : "", env->cname);
}

static void
path(Buf *b, const Expr *e, const Env *env)
{
	if (e->counter) { /* a `for`'s position: its iterator's index, 0 first */
		buf_printf(b, "MW_I(it_%s.index)", e->counter);
		return;
	}
	if (e->table) { /* a tracking category or dimension */
		buf_printf(b, "mw_lookup(c, &tbl_%s, ", e->table->name);
		path(b, e->a, env);
		buf_puts(b, ")");
		return;
	}
	/* Innermost call first: in_B(c, in_A(c, r)) for a.b */
	for (int i = e->nfields - 1; i >= 0; i--) {
		if (e->fields[i])
			buf_printf(b, "%s(c, ", accessor(e->owners[i], e->fields[i]));
		else
			buf_puts(b, "mw_get(c, ");
	}
	buf_puts(b, env_at(env, e->bind));
	const StrList *s = e->path;
	/* skip the loop variable's own name */
	if (e->nfields > 0) {
		int n = 0;
		for (const StrList *q = s; q; q = q->next)
			n++;
		for (int skip = n - e->nfields; skip > 0; skip--)
			s = s->next;
	}
	for (int i = 0; i < e->nfields; i++, s = s->next) {
		if (e->fields[i]) {
			buf_puts(b, ")");
		} else {
			buf_puts(b, ", ");
			cstrz(b, s->s);
			buf_puts(b, ", MW_STR, 0)");
		}
	}
}

static void
decimal_literal(Buf *b, const char *s)
{
	char digits[40];
	int n = 0, scale = 0, seen_dot = 0, neg = 0;
	for (const char *p = s; *p && n < 38; p++) {
		if (*p == '-')
			neg = 1;
		else if (*p == '.')
			seen_dot = 1;
		else {
			digits[n++] = *p;
			scale += seen_dot;
		}
	}
	digits[n] = 0;
	/* strip leading zeros of the unit count, keep at least one digit */
	const char *d = digits;
	while (d[0] == '0' && d[1])
		d++;
	buf_printf(b, "MW_D(%s%s, %d)", neg ? "-" : "", d, scale);
}

static const char *
binop_fn(int op)
{
	switch (op) {
	case TK_EQ: return "mw_eq";
	case TK_NE: return "mw_ne";
	case TK_LT: return "mw_lt";
	case TK_LE: return "mw_le";
	case TK_GT: return "mw_gt";
	case TK_GE: return "mw_ge";
	case TK_CONCAT: return "mw_concat";
	case TK_PLUS: return "mw_add";
	case TK_MINUS: return "mw_sub";
	case TK_STAR: return "mw_mul";
	case TK_SLASH: return "mw_div";
	}
	unreachable();
	return NULL;
}

/* sum(arr, e): a helper that walks the array. */
static void
sum_helper(Buf *b, const Expr *e, const Env *env)
{
	Buf nb = { 0 };
	buf_printf(&nb, "%s_sum%d", cur_ent->name, e->helper);
	const char *name = ar_strndup(nb.p, nb.len);
	buf_free(&nb);
	Env inner = { e->var, env, env->depth + 1 };
	Buf body = { 0 };
	expr(&body, e->args->next, &inner);
	Buf arr = { 0 };
	expr(&arr, e->args, env);
	Buf h = { 0 };
	buf_printf(&h, "/* sum(...) for entity %s */\nstatic mw_val\n%s(mw_ctx *c", cur_ent->name, name);
	params(&h, env, 1);
	buf_puts(&h, ")\n{\n");
	size_t from = h.len;
	buf_printf(&h, "\tmw_val acc = MW_I(0), %s;\n\tmw_iter it;\n\n", e->var);
	pp_stmt(&h, 1, "mw_iter_init(c, &it, ", arr.p, ");\n");
	buf_printf(&h, "\twhile (mw_iter_next(c, &it, &%s))\n", e->var);
	Buf add = { 0 };
	buf_printf(&add, "mw_add(c, acc, %s)", body.p);
	pp_stmt(&h, 2, "acc = ", add.p, ";\n");
	buf_free(&add);
	buf_puts(&h, "\treturn acc;\n}\n\n");
	for (const Env *x = env; x; x = x->up)
		void_unused(&h, from, x->cname);
	buf_put(&helpers, h.p, h.len);
	buf_free(&h);
	buf_free(&body);
	buf_free(&arr);
	buf_printf(b, "%s(c", name);
	params(b, env, 0);
	buf_puts(b, ")");
}

/* KEEP IN STEP: builtins (compiler/lang.c functions[], runtime mw_fn_NAME) */
static void
call(Buf *b, const Expr *e, const Env *env)
{
	const char *fn = e->s;
	if (strcmp(fn, "sum") == 0) {
		sum_helper(b, e, env);
		return;
	}
	if (strcmp(fn, "default") == 0 || strcmp(fn, "coalesce") == 0) {
		/* coalesce(a, b, c) = mw_coalesce(a, mw_coalesce(b, c)) */
		int n = 0;
		for (const Expr *a = e->args; a; a = a->next, n++) {
			if (a->next) {
				buf_puts(b, "mw_coalesce(");
				expr(b, a, env);
				buf_puts(b, ", ");
			} else {
				expr(b, a, env);
			}
		}
		for (int i = 1; i < n; i++)
			buf_puts(b, ")");
		return;
	}
	buf_printf(b, "mw_fn_%s(c", fn);
	int n = 0;
	for (const Expr *a = e->args; a; a = a->next, n++) {
		buf_puts(b, ", ");
		expr(b, a, env);
	}
	if (strcmp(fn, "substr") == 0 && n == 2)
		buf_puts(b, ", MW_NULLV");
	buf_puts(b, ")");
}

static void
expr(Buf *b, const Expr *e, const Env *env)
{
	switch (e->k) {
	case E_STR:
		buf_puts(b, "MW_S(");
		cstr(b, e->s, e->n);
		buf_puts(b, ")");
		break;
	case E_INT:
		buf_printf(b, "MW_I(%s)", e->s);
		break;
	case E_DEC:
		decimal_literal(b, e->s);
		break;
	case E_BOOL:
		buf_printf(b, "MW_B(%d)", strcmp(e->s, "true") == 0);
		break;
	case E_NULL:
		buf_puts(b, "MW_NULLV");
		break;
	case E_PATH:
		path(b, e, env);
		break;
	case E_NEG:
		buf_puts(b, "mw_neg(c, ");
		expr(b, e->a, env);
		buf_puts(b, ")");
		break;
	case E_NOT:
		buf_puts(b, "mw_not(c, ");
		expr(b, e->a, env);
		buf_puts(b, ")");
		break;
	case E_BIN:
		if (e->op == TK_AND || e->op == TK_OR) {
			/* short-circuit, as the language promises */
			buf_puts(b, "(mw_truthy(c, ");
			expr(b, e->a, env);
			if (e->op == TK_AND) {
				buf_puts(b, ") ? ");
				expr(b, e->b, env);
				buf_puts(b, " : MW_B(0))");
			} else {
				buf_puts(b, ") ? MW_B(1) : ");
				expr(b, e->b, env);
				buf_puts(b, ")");
			}
			break;
		}
		buf_printf(b, "%s(c, ", binop_fn(e->op));
		expr(b, e->a, env);
		buf_puts(b, ", ");
		expr(b, e->b, env);
		buf_puts(b, ")");
		break;
	case E_IF:
		buf_puts(b, "(mw_truthy(c, ");
		expr(b, e->a, env);
		buf_puts(b, ") ? ");
		expr(b, e->b, env);
		buf_puts(b, " : ");
		expr(b, e->c, env);
		buf_puts(b, ")");
		break;
	case E_CALL:
		call(b, e, env);
		break;
	case E_LOOKUP:
		buf_printf(b, "mw_lookup(c, &tbl_%s, ", e->table->name);
		expr(b, e->a, env);
		buf_puts(b, ")");
		break;
	case E_REF:
		buf_puts(b, "mw_ref(c, ");
		cstrz(b, e->ref->name);
		buf_puts(b, ", ");
		expr(b, e->a, env);
		buf_puts(b, ")");
		break;
	case E_OBJ:
	case E_ARR:
	case E_FOR:
		unreachable();
	}
}

/* ------------------------------------------------------------------ */
/* line breaking                                                       */
/* ------------------------------------------------------------------ */

/* Length of the C string literal at s (s[0] == '"'). */
static size_t
lit_len(const char *s, size_t n)
{
	size_t i = 1;
	while (i < n && s[i] != '"')
		i += s[i] == '\\' ? 2 : 1;
	return i < n ? i + 1 : n;
}

/* The end of the parenthesised group that opens at s[0] == '('. */
static size_t
group_end(const char *s, size_t n)
{
	int depth = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"') {
			i += lit_len(s + i, n - i) - 1;
		} else if (s[i] == '(') {
			depth++;
		} else if (s[i] == ')' && --depth == 0) {
			return i + 1;
		}
	}
	return n;
}

/* Continuation lines go one tab deeper per level of nesting, but no deeper
 * than this: a deeply nested expression keeps room for its arguments. */
#define PP_MAX_TABS 8

static void
pp_indent(Buf *b, int tabs)
{
	for (int t = 0; t < tabs; t++)
		buf_put(b, "\t", 1);
}

/*
 * Writes the C expression s[0..n) starting at column col (tabs of 8), where
 * `tail` more characters follow it on its last line.  A call that does not
 * fit in 100 columns is written with one argument per line, one tab deeper,
 * recursively; a (cond ? a : b) one branch a line; everything else stays
 * on one line.
 */
static void
pp(Buf *b, const char *s, size_t n, int tabs, int col, int tail)
{
	if (col + (int)n + tail <= 100) {
		buf_put(b, s, n);
		return;
	}
	int deeper = tabs + 1 < PP_MAX_TABS ? tabs + 1 : PP_MAX_TABS;
	/* (cond ? a : b) covering the whole of s: one branch a line */
	if (s[0] == '(' && group_end(s, n) == n) {
		size_t q = 0, k = 0;
		int depth = 0;
		for (size_t i = 1; i + 1 < n; i++) {
			if (s[i] == '"') {
				i += lit_len(s + i, n - i) - 1;
			} else if (s[i] == '(') {
				depth++;
			} else if (s[i] == ')') {
				depth--;
			} else if (depth == 0 && s[i] == '?' && s[i - 1] == ' ' && !q) {
				q = i;
			} else if (depth == 0 && s[i] == ':' && s[i - 1] == ' ' && q && !k) {
				k = i;
			}
		}
		if (q && k) {
			buf_put(b, "(", 1);
			pp(b, s + 1, q - 2, tabs, col + 1, 0);
			buf_put(b, "\n", 1);
			pp_indent(b, deeper);
			buf_put(b, "? ", 2);
			pp(b, s + q + 2, k - q - 3, deeper, deeper * 8 + 2, 0);
			buf_put(b, "\n", 1);
			pp_indent(b, deeper);
			buf_put(b, ": ", 2);
			pp(b, s + k + 2, n - k - 3, deeper, deeper * 8 + 2, tail + 1);
			buf_put(b, ")", 1);
			return;
		}
	}
	/* name(args) covering the whole of s? */
	size_t open = 0;
	while (open < n && (s[open] == '_' || (s[open] >= 'a' && s[open] <= 'z') ||
			    (s[open] >= 'A' && s[open] <= 'Z') || (s[open] >= '0' && s[open] <= '9')))
		open++;
	if (open == 0 || open >= n || s[open] != '(' || open + group_end(s + open, n - open) != n) {
		buf_put(b, s, n);
		return;
	}
	buf_put(b, s, open + 1);
	size_t i = open + 1, start = i;
	/* the context argument stays on the opening line */
	if (n - i > 3 && s[i] == 'c' && s[i + 1] == ',') {
		buf_put(b, "c,", 2);
		i += 2;
		start = i;
	}
	int depth = 0;
	for (; i < n; i++) {
		char ch = s[i];
		if (ch == '"') {
			i += lit_len(s + i, n - i) - 1;
			continue;
		}
		if (ch == '(')
			depth++;
		else if (ch == ')' && depth > 0)
			depth--;
		else if ((ch == ',' && depth == 0) || (ch == ')' && depth == 0 && i == n - 1)) {
			while (s[start] == ' ')
				start++;
			buf_put(b, "\n", 1);
			pp_indent(b, deeper);
			pp(b, s + start, i - start, deeper, deeper * 8, ch == ',' ? 1 : tail + 1);
			buf_put(b, ch == ',' ? "," : ")", 1);
			start = i + 1;
		}
	}
}

/* Appends a whole statement: `in` tabs, then the expression s (a
 * NUL-terminated flat rendering) broken to fit, then `after` (whose first
 * line counts against the width). */
static void
pp_stmt(Buf *b, int in, const char *before, const char *s, const char *after)
{
	for (int t = 0; t < in; t++)
		buf_put(b, "\t", 1);
	buf_puts(b, before);
	pp(b, s, strlen(s), in, in * 8 + (int)strlen(before), (int)strcspn(after, "\n"));
	buf_puts(b, after);
}

/* Appends text then a C expression rendered from e, broken to fit. */
static void
put_expr(Buf *b, int tabs, const char *before, const Expr *e, const Env *env, const char *after)
{
	Buf flat = { 0 };
	expr(&flat, e, env);
	buf_puts(b, before);
	pp(b, flat.p, flat.len, tabs, tabs * 8 + (int)strlen(before), (int)strcspn(after, "\n"));
	buf_puts(b, after);
	buf_free(&flat);
}

/* ------------------------------------------------------------------ */
/* statements                                                          */
/* ------------------------------------------------------------------ */

static void
ind(Buf *b, int n)
{
	for (int i = 0; i < n; i++)
		buf_put(b, "\t", 1);
}

static void body(Buf *b, const Stmt *st, const Env *env, int in);

/* mw_field(c, "Name", line_at(AT_...)); */
static void
field_line(Buf *b, const char *name, const char *at, int in)
{
	Buf flat = { 0 };
	buf_puts(&flat, "mw_field(c, ");
	cstrz(&flat, name);
	buf_printf(&flat, ", line_at(%s))", at);
	pp_stmt(b, in, "", flat.p, ";\n");
	buf_free(&flat);
}

/* mw_line(c, line_at(AT_...)); */
static void
line_stmt(Buf *b, const char *at, int in)
{
	Buf flat = { 0 };
	buf_printf(&flat, "mw_line(c, line_at(%s))", at);
	pp_stmt(b, in, "", flat.p, ";\n");
	buf_free(&flat);
}

static void
tracking_elem(Buf *b, const Expr *e, const Env *env, const ObjDef *elem, int in)
{
	const char *at = place(e->loc.line);
	Buf flat = { 0 };
	path(&flat, e, env);
	ind(b, in);
	buf_puts(b, "{\n");
	pp_stmt(b, in + 1, "mw_val opt = ", flat.p, ";\n\n");
	buf_free(&flat);
	ind(b, in + 1);
	buf_puts(b, "if (!mw_is_null(opt)) {\n");
	ind(b, in + 2);
	buf_puts(b, "mw_obj_begin(c);\n");
	field_line(b, elem->trk_name, at, in + 2);
	ind(b, in + 2);
	buf_puts(b, "mw_put(c, MW_S(");
	cstrz(b, e->table->category);
	buf_puts(b, "), 0);\n");
	field_line(b, elem->trk_opt, at, in + 2);
	ind(b, in + 2);
	buf_puts(b, "mw_put(c, opt, 0);\n");
	ind(b, in + 2);
	buf_puts(b, "mw_obj_end(c);\n");
	ind(b, in + 1);
	buf_puts(b, "}\n");
	ind(b, in);
	buf_puts(b, "}\n");
}

/* One element of an array; `where` names its index. */
static void
element(Buf *b, const Expr *e, const Type *et, const Env *env, int in)
{
	if (e->k == E_FOR) {
		Env inner = { e->var, env, env->depth + 1 };
		Buf flat = { 0 };
		Buf before = { 0 };
		ind(b, in);
		buf_puts(b, "{\n");
		ind(b, in + 1);
		buf_printf(b, "mw_iter it_%s;\n", e->var);
		ind(b, in + 1);
		buf_printf(b, "mw_val %s;\n\n", e->var);
		expr(&flat, e->a, env);
		buf_printf(&before, "mw_iter_init(c, &it_%s, ", e->var);
		pp_stmt(b, in + 1, before.p, flat.p, ");\n");
		buf_free(&before);
		buf_free(&flat);
		ind(b, in + 1);
		buf_printf(b, "while (mw_iter_next(c, &it_%s, &%s)) {\n", e->var, e->var);
		if (e->when) {
			size_t old = where_push("when");
			line_stmt(b, place(e->when->loc.line), in + 2);
			where_pop(old);
			ind(b, in + 2);
			put_expr(b, in + 2, "if (!mw_truthy(c, ", e->when, &inner, "))\n");
			ind(b, in + 3);
			buf_puts(b, "continue;\n");
		}
		ind(b, in + 2);
		buf_puts(b, "mw_obj_begin(c);\n");
		body(b, e->body, &inner, in + 2);
		ind(b, in + 2);
		buf_puts(b, "mw_obj_end(c);\n");
		ind(b, in + 2);
		buf_puts(b, "if (mw_failed(c))\n");
		ind(b, in + 3);
		buf_puts(b, "return -1;\n");
		ind(b, in + 1);
		buf_puts(b, "}\n");
		ind(b, in);
		buf_puts(b, "}\n");
		return;
	}
	if (e->when) {
		ind(b, in);
		put_expr(b, in, "if (mw_truthy(c, ", e->when, env, ")) {\n");
		in++;
	}
	if (e->k == E_OBJ) {
		ind(b, in);
		buf_puts(b, "mw_obj_begin(c);\n");
		body(b, e->body, env, in);
		ind(b, in);
		buf_puts(b, "mw_obj_end(c);\n");
	} else if (e->ty && e->ty->k == TY_TRACKING) {
		tracking_elem(b, e, env, et->obj, in);
	} else {
		ind(b, in);
		put_expr(b, in, "mw_elem(c, ", e, env, ");\n");
	}
	if (e->when) {
		in--;
		ind(b, in);
		buf_puts(b, "}\n");
	}
}

static void
assign(Buf *b, const Stmt *st, const Env *env, int in)
{
	const FieldDef *f = st->field;
	const Expr *e = st->e;
	size_t old = where_push(f->name);
	const char *at = place(st->loc.line);
	int closes = 0;
	if (st->create_only) {
		/* `wins`: the other side's value stands once the document exists */
		line_stmt(b, at, in);
		ind(b, in);
		buf_puts(b, "if (mw_creating(c)) {\n");
		in++;
		closes++;
	}
	if (st->when) {
		line_stmt(b, at, in);
		ind(b, in);
		put_expr(b, in, "if (mw_truthy(c, ", st->when, env, ")) {\n");
		in++;
	}
	field_line(b, f->name, at, in);
	if (f->ty->k == TY_OBJ && e->k == E_OBJ) {
		ind(b, in);
		buf_puts(b, "mw_obj_begin(c);\n");
		body(b, e->body, env, in);
		ind(b, in);
		buf_puts(b, "mw_obj_end(c);\n");
	} else if (f->ty->k == TY_ARR && (e->k == E_ARR || e->k == E_FOR)) {
		const Type *et = f->ty->elem;
		ind(b, in);
		buf_puts(b, "mw_arr_begin(c, ");
		if (et->k == TY_OBJ)
			cstrz(b, et->obj->name);
		else
			buf_puts(b, "\"item\"");
		buf_puts(b, ");\n");
		if (e->k == E_FOR) {
			size_t o = where_index(0);
			element(b, e, et, env, in);
			where_pop(o);
		} else {
			int i = 0;
			for (const Expr *x = e->args; x; x = x->next, i++) {
				size_t o = where_index(i);
				element(b, x, et, env, in);
				where_pop(o);
			}
		}
		ind(b, in);
		buf_puts(b, "mw_arr_end(c);\n");
	} else if (needs_rule(f, e)) {
		/* mw_put(c, mw_valid(c, EXPR, &rule), required) */
		Buf call = { 0 };
		char after[16];
		buf_puts(&call, "mw_valid(c, ");
		expr(&call, e, env);
		buf_printf(&call, ", &%s)", rule(f));
		snprintf(after, sizeof after, ", %d);\n", f->required);
		pp_stmt(b, in, "mw_put(c, ", call.p, after);
		buf_free(&call);
	} else {
		char after[16];
		snprintf(after, sizeof after, ", %d);\n", f->required);
		ind(b, in);
		put_expr(b, in, "mw_put(c, ", e, env, after);
	}
	for (closes += st->when != NULL; closes > 0; closes--) {
		in--;
		ind(b, in);
		buf_puts(b, "}\n");
	}
	where_pop(old);
}

static void
body(Buf *b, const Stmt *st, const Env *env, int in)
{
	for (; st; st = st->next) {
		switch (st->k) {
		case S_ASSIGN:
			assign(b, st, env, in);
			break;
		case S_CHECK:
			line_stmt(b, check_place(st->msg, st->loc.line), in);
			if (st->tol) {
				/* check a == b within t */
				Buf flat = { 0 };
				buf_puts(&flat, "mw_within(c, ");
				expr(&flat, st->e->a, env);
				buf_puts(&flat, ", ");
				expr(&flat, st->e->b, env);
				buf_puts(&flat, ", ");
				expr(&flat, st->tol, env);
				buf_puts(&flat, ")");
				pp_stmt(b, in, "if (!mw_truthy(c, ", flat.p, ")) {\n");
				buf_free(&flat);
			} else {
				ind(b, in);
				put_expr(b, in, "if (!mw_truthy(c, ", st->e, env, ")) {\n");
			}
			ind(b, in + 1);
			buf_puts(b, "mw_fail(c, \"%s\", ");
			cstrz(b, st->msg);
			buf_puts(b, ");\n");
			ind(b, in + 1);
			buf_puts(b, "return -1;\n");
			ind(b, in);
			buf_puts(b, "}\n");
			break;
		case S_MATCH:
		case S_ON:
		case S_LIFECYCLE:
		case S_LOCKED:
			continue; /* functions and data of their own (lifecycle()) */
		}
		if (st->k == S_ASSIGN && in == 1) {
			ind(b, in);
			buf_puts(b, "if (mw_failed(c))\n");
			ind(b, in + 1);
			buf_puts(b, "return -1;\n");
		}
	}
}

/* ------------------------------------------------------------------ */
/* tables                                                              */
/* ------------------------------------------------------------------ */

static void
value_init(Buf *b, const Expr *v)
{
	switch (v->k) {
	case E_STR:
		buf_puts(b, "MW_V_S(");
		cstr(b, v->s, v->n);
		buf_puts(b, ")");
		break;
	case E_INT:
		buf_printf(b, "MW_V_I(%s)", v->s);
		break;
	case E_DEC: {
		Buf t = { 0 };
		decimal_literal(&t, v->s);
		/* MW_D(u, s) -> MW_V_D(u, s) */
		buf_printf(b, "MW_V_D(%s", t.p + 5);
		buf_free(&t);
		break;
	}
	case E_BOOL:
		buf_printf(b, "MW_V_B(%d)", strcmp(v->s, "true") == 0);
		break;
	default:
		buf_puts(b, "MW_V_NULL");
		break;
	}
}

static int
entry_cmp(const void *x, const void *y)
{
	const Entry *a = *(const Entry *const *)x, *b = *(const Entry *const *)y;
	return strcmp(a->key, b->key);
}

static int
entry_count(const Table *t)
{
	int n = 0;
	for (const Entry *e = t->entries; e; e = e->next)
		n++;
	return n;
}

/* A table's entries, sorted, and a declaration of its mw_table, which is
 * defined at the end of the file (table_def) because it holds a .map line. */
static void
table(Buf *b, const Table *t)
{
	static const char *const kinds[] = { "table", "tracking", "dimension" };
	int n = entry_count(t);
	const Entry **sorted = ar_alloc(sizeof *sorted * (size_t)(n + 1));
	n = 0;
	for (const Entry *e = t->entries; e; e = e->next)
		sorted[n++] = e;
	if (n > 1)
		qsort(sorted, (size_t)n, sizeof *sorted, entry_cmp);

	buf_printf(b, "/* %s %s", kinds[t->kind], t->name);
	if (t->category) {
		buf_puts(b, " \"");
		ctext(b, t->category);
		buf_puts(b, "\"");
	}
	buf_puts(b, " */\n");
	if (n > 0) {
		buf_printf(b, "static const mw_entry tbl_%s_entries[] = {\n", t->name);
		for (int i = 0; i < n; i++) {
			buf_puts(b, "\t{ ");
			cstrz(b, sorted[i]->key);
			buf_puts(b, ", ");
			value_init(b, sorted[i]->val);
			buf_puts(b, " },\n");
		}
		buf_puts(b, "};\n");
	}
	buf_printf(b, "static const mw_table tbl_%s;\n\n", t->name);
}

static void
table_def(Buf *b, const Table *t)
{
	int n = entry_count(t);
	buf_printf(b, "static const mw_table tbl_%s = {\n\t", t->name);
	cstrz(b, t->name);
	if (n > 0)
		buf_printf(b, ", tbl_%s_entries, %d,\n\t", t->name, n);
	else
		buf_puts(b, ", NULL, 0,\n\t");
	if (t->else_fail) {
		buf_puts(b, "MW_ELSE_FAIL, MW_V_NULL, ");
		cstrz(b, t->else_fail);
	} else if (t->has_else) {
		buf_puts(b, "MW_ELSE_VALUE, ");
		value_init(b, t->else_val);
		buf_puts(b, ", NULL");
	} else {
		buf_puts(b, "MW_ELSE_NONE, MW_V_NULL, NULL");
	}
	buf_printf(b, ",\n\t.line = %d\n};\n", t->loc.line);
}

/* ------------------------------------------------------------------ */
/* entities and the program                                            */
/* ------------------------------------------------------------------ */

static void lifecycle(Buf *b, const Entity *en, const Env *root);

static void
entity(Buf *b, const Entity *en)
{
	cur_ent = en;
	Env root = { "r", NULL, 0 };
	Buf fn = { 0 };
	buf_printf(&fn, "/* entity %s: %s.%s -> %s.%s */\nstatic int\nmap_%s(mw_ctx *c, mw_val r)\n{\n",
		en->name, en->src_alias, en->src_coll, en->tgt_alias, en->tgt_type, en->name);
	size_t from = fn.len;
	where_pop(0);
	where_push(en->name);
	if (en->filter) {
		size_t old = where_push("when");
		line_stmt(&fn, place(en->filter->loc.line), 1);
		where_pop(old);
		buf_puts(&fn, "\t");
		put_expr(&fn, 1, "if (!mw_truthy(c, ", en->filter, &root,
			"))\n\t\treturn mw_failed(c) ? -1 : 1;\n");
	}
	body(&fn, en->body, &root, 1);
	buf_puts(&fn, "\treturn mw_failed(c) ? -1 : 0;\n}\n\n");
	void_unused(&fn, from, "r");

	/* the key and the match key */
	Buf flat = { 0 };
	expr(&flat, en->key, &root);
	buf_printf(&fn, "static mw_val\nkey_%s(mw_ctx *c, mw_val r)\n{\n", en->name);
	pp_stmt(&fn, 1, "return ", flat.p, ";\n}\n\n");
	buf_free(&flat);
	for (const Stmt *st = en->body; st; st = st->next) {
		if (st->k != S_MATCH)
			continue;
		expr(&flat, st->e, &root);
		buf_printf(&fn, "/* match %s */\nstatic mw_val\nmatch_%s(mw_ctx *c, mw_val r)\n{\n",
			st->name, en->name);
		from = fn.len;
		pp_stmt(&fn, 1, "return ", flat.p, ";\n}\n\n");
		void_unused(&fn, from, "r");
		void_unused(&fn, from, "c");
		buf_free(&flat);
	}
	if (en->group) {
		expr(&flat, en->group->key, &root);
		buf_printf(&fn, "/* group by */\nstatic mw_val\ngroup_%s(mw_ctx *c, mw_val r)\n{\n",
			en->name);
		from = fn.len;
		pp_stmt(&fn, 1, "return ", flat.p, ";\n}\n\n");
		void_unused(&fn, from, "r");
		void_unused(&fn, from, "c");
		buf_free(&flat);
	}

	lifecycle(&fn, en, &root);

	buf_printf(b, "/* ================================================================ */\n"
		"/* entity %-57s */\n"
		"/* ================================================================ */\n\n",
		en->name);
	buf_put(b, helpers.p ? helpers.p : "", helpers.len);
	buf_put(b, fn.p, fn.len);
	buf_free(&fn);
	buf_free(&helpers);
}

/* One lifecycle action as C: a return, or an if that chooses. */
static void
life_action(Buf *b, const LifeAct *a, const Env *env, int in)
{
	static const char *const ret[] = { "MW_LIFE_WRITE", "MW_LIFE_VOID", "MW_LIFE_KEEP",
		"MW_LIFE_KEEP" };
	ind(b, in);
	if (a->k != L_IF) {
		buf_printf(b, "return %s;", ret[a->k]);
		if (a->k == L_CREDIT)
			buf_printf(b, " /* credit by %s */", a->entity);
		buf_puts(b, "\n");
		return;
	}
	put_expr(b, in, "if (mw_truthy(c, ", a->cond, env, a->a->k == L_IF ? ")) {\n" : "))\n");
	life_action(b, a->a, env, in + 1);
	if (a->a->k == L_IF) {
		ind(b, in);
		buf_puts(b, "}\n");
	}
	life_action(b, a->b, env, in);
}

/* Whether an entity called `name` has a lifecycle (a function life_NAME). */
static int
life_fn_named(const char *name)
{
	for (const Decl *d = prog->decls; d; d = d->next)
		if (d->k == D_ENTITY && strcmp(d->u.ent->name, name) == 0)
			for (const Stmt *st = d->u.ent->body; st; st = st->next)
				if (st->k == S_LIFECYCLE)
					return 1;
	return 0;
}

/* life_ENTITY_WHAT (arms, table), with a number after when an entity called
 * ENTITY_WHAT has a lifecycle of its own (its function is life_ENTITY_WHAT). */
static const char *
life_data_name(const Entity *en, const char *what)
{
	Buf b = { 0 };
	buf_printf(&b, "%s_%s", en->name, what);
	size_t len = b.len;
	for (int k = 2; life_fn_named(b.p); k++) {
		b.len = len;
		buf_printf(&b, "_%d", k);
	}
	char *name = ar_alloc(b.len + 6);
	snprintf(name, b.len + 6, "life_%s", b.p);
	buf_free(&b);
	return name;
}

/* An entity's lifecycle: its keys as a table of arm numbers (sorted, looked
 * up like any table: a status no arm names fails the record), a function
 * that returns the arm's action; and its `locked when` test. */
static void
lifecycle(Buf *b, const Entity *en, const Env *root)
{
	for (const Stmt *st = en->body; st; st = st->next) {
		if (st->k == S_LOCKED) {
			size_t old = where_push("locked");
			const char *at = place(st->loc.line);
			where_pop(old);
			buf_printf(b, "/* locked when ... */\nstatic int\nlocked_%s(mw_ctx *c, mw_val r)\n"
				"{\n", en->name);
			size_t from = b->len;
			line_stmt(b, at, 1);
			buf_puts(b, "\t");
			put_expr(b, 1, "return mw_truthy(c, ", st->e, root, ");\n}\n\n");
			void_unused(b, from, "r");
			continue;
		}
		if (st->k != S_LIFECYCLE)
			continue;
		size_t old = where_push("lifecycle");
		const char *at = place(st->loc.line);
		where_pop(old);
		int n = 0, arm_no = 0, else_arm = 0;
		for (const LifeArm *a = st->arms; a; a = a->next)
			for (const Entry *k = a->keys; k; k = k->next)
				n++;
		const Entry **sorted = ar_alloc(sizeof *sorted * (size_t)(n + 1));
		int *arm_of = ar_alloc(sizeof *arm_of * (size_t)(n + 1));
		n = 0;
		for (const LifeArm *a = st->arms; a; a = a->next)
			for (const Entry *k = a->keys; k; k = k->next)
				sorted[n++] = k;
		qsort(sorted, (size_t)n, sizeof *sorted, entry_cmp);
		for (int i = 0; i < n; i++) {
			int no = 0;
			for (const LifeArm *a = st->arms; a && !arm_of[i]; a = a->next) {
				no++;
				for (const Entry *k = a->keys; k; k = k->next)
					if (k == sorted[i])
						arm_of[i] = no;
			}
		}
		const char *keypath = ps_path_text(st->e->path);
		buf_printf(b, "/* lifecycle %s: the arm for each value */\n", keypath);
		const char *arms = life_data_name(en, "arms"), *tbl = life_data_name(en, "table");
		buf_printf(b, "static const mw_entry %s[] = {\n", arms);
		for (int i = 0; i < n; i++) {
			buf_puts(b, "\t{ ");
			cstrz(b, sorted[i]->key);
			buf_printf(b, ", MW_V_I(%d) },\n", arm_of[i]);
		}
		buf_puts(b, "};\n");
		for (const LifeArm *a = st->arms; a; a = a->next) {
			arm_no++;
			if (a->is_else)
				else_arm = arm_no;
		}
		buf_printf(b, "static const mw_table %s = {\n\t\"%s lifecycle\", %s, %d,\n\t", tbl,
			en->name, arms, n);
		if (else_arm)
			buf_printf(b, "MW_ELSE_VALUE, MW_V_I(%d), NULL", else_arm);
		else
			buf_printf(b, "MW_ELSE_FAIL, MW_V_NULL, \"no lifecycle action for this %s\"",
				keypath);
		/* its .map line is the one life_ENTITY sets */
		buf_puts(b, ",\n\t.line = 0\n};\n\n");
		buf_printf(b, "static int\nlife_%s(mw_ctx *c, mw_val r)\n{\n", en->name);
		size_t from = b->len;
		line_stmt(b, at, 1);
		Buf flat = { 0 };
		buf_printf(&flat, "mw_lookup(c, &%s, ", tbl);
		expr(&flat, st->e, root);
		buf_puts(&flat, ")");
		pp_stmt(b, 1, "mw_val arm = ", flat.p, ";\n");
		buf_free(&flat);
		buf_puts(b, "\tif (mw_failed(c))\n\t\treturn -1;\n\tswitch (arm.u.i) {\n");
		arm_no = 0;
		for (const LifeArm *a = st->arms; a; a = a->next) {
			arm_no++;
			buf_printf(b, "\tcase %d: /* ", arm_no);
			if (a->is_else)
				buf_puts(b, "else");
			for (const Entry *k = a->keys; k; k = k->next) {
				if (k->is_int)
					buf_puts(b, k->key);
				else {
					buf_puts(b, "\"");
					ctext(b, k->key);
					buf_puts(b, "\"");
				}
				if (k->next)
					buf_puts(b, ", ");
			}
			buf_puts(b, " */\n");
			life_action(b, a->act, root, 2);
		}
		buf_puts(b, "\t}\n\treturn -1;\n}\n\n");
		void_unused(b, from, "r");
	}
}

static const char *const actions[] = {
	"MW_DO_RETRY", "MW_DO_DEAD_LETTER", "MW_DO_SKIP", "MW_DO_HOLD",
};
static const char *const conds[] = {
	"MW_ON_HTTP", "MW_ON_TIMEOUT", "MW_ON_NETWORK", "MW_ON_INVALID", "MW_ON_REF",
};

/* static const char *const NAME[] = { "a", "b", NULL }; on one line when it
 * fits, otherwise one item a line.  `items` holds the C literals, each
 * followed by ", ". */
static void
str_list(Buf *b, const char *name, const Buf *items)
{
	Buf one = { 0 };
	buf_printf(&one, "static const char *const %s[] = { %sNULL };\n", name, items->p);
	if (one.len - 1 <= 100) {
		buf_put(b, one.p, one.len);
	} else {
		buf_printf(b, "static const char *const %s[] = {\n\t", name);
		for (const char *s = items->p; *s; s++) {
			if (s[0] == ',' && s[1] == ' ') {
				buf_puts(b, ",\n\t");
				s++;
			} else if (s[0] == '"') {
				size_t n = lit_len(s, strlen(s));
				buf_put(b, s, n);
				s += n - 1;
			} else {
				buf_put(b, s, 1);
			}
		}
		buf_puts(b, "NULL\n};\n");
	}
	buf_free(&one);
}

static void
entity_data(Buf *b, const Entity *en)
{
	Buf name = { 0 };
	if (en->ndeps) {
		Buf items = { 0 };
		for (int i = 0; i < en->ndeps; i++) {
			cstrz(&items, en->deps[i]->name);
			buf_puts(&items, ", ");
		}
		buf_printf(&name, "%s_deps", en->name);
		str_list(b, name.p, &items);
		buf_free(&items);
	}
	Buf hooks = { 0 };
	for (const Trigger *t = en->triggers; t; t = t->next) {
		if (t->is_poll)
			continue;
		cstrz(&hooks, t->event);
		buf_puts(&hooks, ", ");
	}
	if (hooks.len) {
		name.len = 0;
		buf_printf(&name, "%s_webhooks", en->name);
		str_list(b, name.p, &hooks);
	}
	buf_free(&hooks);
	buf_free(&name);
}

/* The error policies: each holds its .map line. */
static void
entity_policies(Buf *b, const Entity *en)
{
	int npol = 0;
	for (const Stmt *st = en->body; st; st = st->next)
		if (st->k == S_ON)
			for (const Cond *c = st->conds; c; c = c->next)
				npol++;
	if (npol) {
		buf_printf(b, "static const mw_policy %s_policies[] = {\n", en->name);
		for (const Stmt *st = en->body; st; st = st->next) {
			if (st->k != S_ON)
				continue;
			for (const Cond *c = st->conds; c; c = c->next) {
				const Action *a = &st->act;
				buf_printf(b, "\t{ .line = %d, .cond = %s, .lo = %d, .hi = %d, .action = %s",
					st->loc.line, conds[c->k], c->lo, c->hi, actions[a->k]);
				if (c->entity) {
					buf_puts(b, ",\n\t  .entity = ");
					cstrz(b, c->entity);
				}
				if (a->k == A_RETRY) {
					buf_printf(b, ",\n\t  .attempts = %d, .backoff_min_ms = %lld, "
						".backoff_max_ms = %lld,\n\t  .jitter = %d, "
						".after_header = %d, .then = %s", a->attempts,
						(long long)a->bmin, (long long)a->bmax,
						a->jitter, a->after_header,
						actions[a->has_then ? a->then : A_DEAD_LETTER]);
				}
				buf_puts(b, " },\n"); /* .line names the .map line */
			}
		}
		buf_puts(b, "};\n");
	}
}

static void
endpoint(Buf *b, const Endpoint *e)
{
	int n = 0;
	for (const Setting *s = e->settings; s; s = s->next)
		n++;
	if (n) {
		buf_printf(b, "static const mw_setting %s_settings[] = {\n", e->alias);
		for (const Setting *s = e->settings; s; s = s->next) {
			buf_puts(b, "\t{ ");
			cstrz(b, s->key);
			buf_puts(b, ", ");
			if (s->env)
				cstrz(b, s->env);
			else
				buf_puts(b, "NULL");
			buf_puts(b, ", ");
			if (s->literal)
				cstrz(b, s->literal);
			else
				buf_puts(b, "NULL");
			buf_puts(b, " },\n");
		}
		buf_puts(b, "};\n");
	}
}

static void
endpoint_init(Buf *b, const Endpoint *e)
{
	int n = 0;
	for (const Setting *s = e->settings; s; s = s->next)
		n++;
	buf_printf(b, "\t{ \"%s\", \"%s\", %d, ", e->alias, e->service, e->svc && e->svc->xml);
	if (n)
		buf_printf(b, "%s_settings, %d, ", e->alias, n);
	else
		buf_puts(b, "NULL, 0, ");
	buf_printf(b, "%d, %d, %d },\n", e->per_min, e->per_day, e->concurrent);
}

static void
setting_init(Buf *b, const char *key, const Setting *s)
{
	buf_printf(b, "{ \"%s\", ", key);
	if (s && s->env)
		cstrz(b, s->env);
	else
		buf_puts(b, "NULL");
	buf_puts(b, ", ");
	if (s && s->literal)
		cstrz(b, s->literal);
	else
		buf_puts(b, "NULL");
	buf_puts(b, " }");
}

/* The pair's `currency`, named (a program without one: MW_RATES_NONE). */
static void
currency_init(Buf *b, const Endpoint *cur)
{
	buf_puts(b, ",\n\t.currency = { .base = ");
	setting_init(b, "currency", cur->cur_base);
	buf_printf(b, ",\n\t  .from = %s", cur->rates_from == 1 ? "MW_RATES_TARGET" : "MW_RATES_FILE");
	if (cur->cur_file) {
		buf_puts(b, ", .file = ");
		setting_init(b, "rates_file", cur->cur_file);
	}
	/* no .map line here: a line inserted above would change the descriptor
	 * (tests/tools/churn.sh) */
	buf_puts(b, " }");
}

/* The settings, dependencies and webhooks: no .map lines. */
static void
program_lists(Buf *b)
{
	const Pair *p = prog->pair;
	buf_puts(b, "/* ================================================================ */\n"
		    "/* the program                                                      */\n"
		    "/* ================================================================ */\n\n");
	endpoint(b, p->src);
	endpoint(b, p->tgt);
	for (int i = 0; i < prog->nent; i++)
		entity_data(b, prog->order[i]);
	buf_puts(b, "\n");
}

/* The policies, the entities and the program descriptor. */
static void
program(Buf *b)
{
	const Pair *p = prog->pair;
	for (int i = 0; i < prog->nent; i++)
		entity_policies(b, prog->order[i]);
	buf_puts(b, "/* in dependency order: referenced entities first */\n");
	buf_puts(b, "static const mw_entity entities[] = {\n");
	for (int i = 0; i < prog->nent; i++) {
		const Entity *en = prog->order[i];
		int64_t poll = 0;
		int hooks = 0, npol = 0;
		const Stmt *match = NULL;
		for (const Trigger *t = en->triggers; t; t = t->next) {
			if (t->is_poll)
				poll = t->every_ms;
			else
				hooks++;
		}
		for (const Stmt *st = en->body; st; st = st->next) {
			if (st->k == S_ON)
				for (const Cond *c = st->conds; c; c = c->next)
					npol++;
			if (st->k == S_MATCH)
				match = st;
		}
		/* the direction and `wins` on the first line: an entity's entry keeps
		 * its length, so the lines below move as one hunk (tests/tools/churn.sh) */
		buf_printf(b, "\t{ .line = %d, .name = \"%s\",%s%s\n", en->loc.line, en->name,
			en->reverse ? " .reverse = 1," : "", en->create_only ? " .create_only = 1," : "");
		buf_printf(b, "\t  .source = \"%s\", .target = \"%s\", .key_field = ", en->src_coll,
			en->tgt_type);
		cstrz(b, ps_path_text(en->key->path));
		buf_printf(b, ",\n\t  .map = map_%s, .key = key_%s,\n", en->name, en->name);
		buf_printf(b, "\t  .deps = %s%s, .webhooks = %s%s, .poll_ms = %lld",
			en->ndeps ? en->name : "NULL", en->ndeps ? "_deps" : "",
			hooks ? en->name : "NULL", hooks ? "_webhooks" : "", (long long)poll);
		if (npol)
			buf_printf(b, ",\n\t  .policies = %s_policies, .n_policies = %d", en->name, npol);
		if (match)
			buf_printf(b, ",\n\t  .match_field = \"%s\", .match = match_%s", match->name,
				en->name);
		if (en->group && !en->group->total) /* no lines summed: the first member's */
			buf_printf(b, ",\n\t  .group = group_%s", en->name);
		else if (en->group)
			buf_printf(b, ",\n\t  .group = group_%s, .group_total = \"%s\",\n\t  "
				".group_array = \"%s\", .group_elem = \"%s\"", en->name, en->group->total,
				en->group->array ? en->group->array : "", en->group->elem ?
				en->group->elem : "");
		for (const Stmt *st = en->body; st; st = st->next) {
			if (st->k == S_LIFECYCLE)
				buf_printf(b, ",\n\t  .life = life_%s", en->name);
			if (st->k == S_LOCKED) {
				/* the reason on a line of its own, the test with the one before */
				buf_printf(b, ", .locked = locked_%s,\n\t  .locked_reason = ", en->name);
				cstrz(b, st->msg);
			}
		}
		buf_puts(b, " },\n");
	}
	buf_puts(b, "};\n\n");
	buf_puts(b, "const mw_program mw_the_program = {\n\tMW_ABI_VERSION, MAPC_VERSION_STRING, ");
	cstrz(b, map_name);
	buf_puts(b, ", ");
	cstrz(b, p->name);
	buf_puts(b, ",\n");
	endpoint_init(b, p->src);
	endpoint_init(b, p->tgt);
	buf_printf(b, "\tentities, %d", prog->nent);
	if (p->cur)
		currency_init(b, p->cur);
	else
		buf_puts(b, ",\n\t.currency = { .from = MW_RATES_NONE }");
	buf_puts(b, "\n};\n");
}

void
cg_emit(const Program *p, Buf *out)
{
	prog = p;
	map_name = base_name(p->main->name);
	naccs = 0;
	nplaces = 0;
	where_pop(0);

	Buf tables = { 0 }, ents = { 0 };
	for (const Decl *d = p->decls; d; d = d->next)
		if (d->k == D_TABLE && d->u.table->used)
			table(&tables, d->u.table);
	for (const Decl *d = p->decls; d; d = d->next)
		if (d->k == D_ENTITY)
			entity(&ents, d->u.ent);

	buf_printf(out, "/*\n * Generated by mapc %s from ", MAPC_VERSION);
	ctext(out, map_name);
	if (p->nschemas) {
		buf_puts(out, "\n * (schemas:");
		for (int i = 0; i < p->nschemas; i++)
			buf_printf(out, " %s", base_name(p->schemas[i]->name));
		buf_puts(out, ")");
	}
	buf_puts(out, ".\n * Do not edit: change the .map and run mapc.\n */\n");
	buf_puts(out, "#include <stddef.h>\n\n#include \"mapwright.h\"\n\n");
	buf_printf(out, "#define MAPC_VERSION_STRING \"%s\"\n\n", MAPC_VERSION);

	if (nplaces) {
		buf_puts(out, "/* ================================================================ */\n"
			      "/* places                                                           */\n"
			      "/* ================================================================ */\n\n");
		buf_puts(out, "/*\n"
			" * What reports a .map line in dead letters, explain and test, named by\n"
			" * entity and target field path.  line_at() gives a place's line from\n"
			" * the table at the end of the file, where every .map line is kept.\n"
			" */\nenum {\n");
		for (int i = 0; i < nplaces; i++)
			buf_printf(out, "\t%s,\n", places[i].name);
		buf_puts(out, "\tN_AT\n};\n\nstatic int line_at(int at);\n\n");
	}

	buf_puts(out, "/* ================================================================ */\n"
		      "/* tables                                                           */\n"
		      "/* ================================================================ */\n\n");
	if (tables.len)
		buf_puts(out, "/*\n * Each table's entries, sorted by key for bisection.  Its mw_table is\n"
			" * declared here and defined at the end of the file, with its .map line.\n"
			" */\n\n");
	buf_put(out, tables.p ? tables.p : "", tables.len);

	if (naccs > 1)
		qsort(accs, (size_t)naccs, sizeof *accs, acc_cmp);
	buf_puts(out, "/* ================================================================ */\n"
		      "/* source accessors: every read of the input goes through one       */\n"
		      "/* ================================================================ */\n\n");
	for (int i = 0; i < naccs; i++) {
		const Acc *a = &accs[i];
		buf_printf(out, "/* %s.%s.%s */\nstatic mw_val\n%s(mw_ctx *c, mw_val o)\n{\n"
			"\treturn mw_get(c, o, ", a->obj->svc->name, a->obj->name, a->f->name, a->name);
		cstrz(out, a->f->name);
		buf_printf(out, ", %s, %d);\n}\n\n", kind_of(a->f->ty), a->f->required);
	}
	if (nrules) {
		buf_puts(out, "/* ================================================================ */\n"
			      "/* field rules (max, enum) for values computed at run time          */\n"
			      "/* ================================================================ */\n\n");
		emit_rules(out);
	}
	buf_put(out, ents.p ? ents.p : "", ents.len);
	if (p->pair)
		program_lists(out);

	/* Everything that holds a .map line, together, last. */
	buf_puts(out, "/* ================================================================ */\n"
		      "/* .map lines                                                       */\n"
		      "/* ================================================================ */\n\n");
	buf_puts(out, "/*\n * Everything below holds lines of ");
	ctext(out, map_name);
	buf_puts(out, ", in about the order of\n"
		" * the .map: the tables, the line of each place, the error policies and\n"
		" * the entities.  An edit that moves lines of the .map changes only this\n"
		" * part.\n */\n");
	int ntables = 0;
	for (const Decl *d = p->decls; d; d = d->next)
		if (d->k == D_TABLE && d->u.table->used) {
			table_def(out, d->u.table);
			ntables++;
		}
	if (nplaces) {
		buf_printf(out, "%sstatic const int at_line[N_AT] = {\n", ntables ? "\n" : "");
		for (int i = 0; i < nplaces; i++)
			buf_printf(out, "\t[%s] = %d,\n", places[i].name, places[i].line);
		buf_puts(out, "};\n\n");
	}
	if (p->pair)
		program(out);
	if (nplaces)
		buf_puts(out, "\nstatic int\nline_at(int at)\n{\n\treturn at_line[at];\n}\n");
	buf_free(&tables);
	buf_free(&ents);
	free(accs);
	accs = NULL;
	capaccs = naccs = 0;
	free(rules);
	rules = NULL;
	caprules = nrules = 0;
	for (int i = 0; i < nplaces; i++)
		free(places[i].name);
	free(places);
	places = NULL;
	capplaces = nplaces = 0;
	free(taken);
	taken = NULL;
	captaken = ntaken = 0;
	buf_free(&where);
}
