/*
 * check.c - the semantic pass: names, types and the rules of the language.
 *
 * It runs over the whole program and reports every problem it finds; code
 * generation runs only when it reported none.  After it, every expression
 * has a type, every path knows the source fields it reads, every lookup its
 * table, every ref its entity, and the entities are in dependency order.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "mapc.h"
#include "parser.h"

static Program *prog;

/* ------------------------------------------------------------------ */
/* types                                                               */
/* ------------------------------------------------------------------ */

static Type t_error = { .k = TY_ERROR }, t_null = { .k = TY_NULL }, t_string = { .k = TY_STRING },
	    t_int = { .k = TY_INT }, t_dec = { .k = TY_DEC }, t_bool = { .k = TY_BOOL },
	    t_date = { .k = TY_DATE }, t_datetime = { .k = TY_DATETIME }, t_tracking = { .k = TY_TRACKING };

static const struct {
	const char *name;
	TypeKind k;
} builtin_types[] = {
	{ "string", TY_STRING }, { "integer", TY_INT }, { "decimal", TY_DEC },
	{ "money", TY_MONEY }, { "boolean", TY_BOOL }, { "date", TY_DATE },
	{ "datetime", TY_DATETIME }, { "map", TY_MAP },
};

const char *
ck_type_name(const Type *t)
{
	static char buf[4][160];
	static int slot;
	switch (t->k) {
	case TY_ERROR: return "an invalid type";
	case TY_NULL: return "null";
	case TY_STRING: return "a string";
	case TY_INT: return "an integer";
	case TY_DEC: return "a decimal";
	case TY_MONEY: return "money";
	case TY_BOOL: return "a boolean";
	case TY_DATE: return "a date";
	case TY_DATETIME: return "a datetime";
	case TY_MAP: return "a map";
	case TY_TRACKING: return "a tracking category";
	case TY_OBJ:
		slot = (slot + 1) % 4;
		snprintf(buf[slot], sizeof buf[slot], "an object %s", t->obj ? t->obj->name : "?");
		return buf[slot];
	case TY_ARR:
		slot = (slot + 1) % 4;
		snprintf(buf[slot], sizeof buf[slot], "an array of %s",
			t->elem->k == TY_OBJ && t->elem->obj ? t->elem->obj->name : ck_type_name(t->elem));
		return buf[slot];
	}
	return "?";
}

static int
numeric(const Type *t)
{
	return t->k == TY_INT || t->k == TY_DEC || t->k == TY_MONEY;
}

static int
scalar(const Type *t)
{
	return t->k == TY_STRING || numeric(t) || t->k == TY_BOOL || t->k == TY_DATE ||
	       t->k == TY_DATETIME;
}

/* May a value of type e be written to a field of type t? */
static int
assignable(const Type *t, const Type *e)
{
	if (e->k == TY_ERROR || e->k == TY_NULL || t->k == TY_ERROR)
		return 1;
	switch (t->k) {
	case TY_DEC:
	case TY_MONEY:
		return numeric(e);
	case TY_ARR:
		return e->k == TY_ARR && assignable(t->elem, e->elem);
	case TY_OBJ:
		return e->k == TY_OBJ && e->obj == t->obj;
	default:
		return t->k == e->k;
	}
}

/* The common type of two branches, or NULL. */
static Type *
unify(Type *a, Type *b)
{
	if (a->k == TY_ERROR || b->k == TY_NULL)
		return a;
	if (b->k == TY_ERROR || a->k == TY_NULL)
		return b;
	if (numeric(a) && numeric(b))
		return a->k == b->k ? a : &t_dec;
	if (a->k == b->k && (a->k != TY_OBJ || a->obj == b->obj))
		return a;
	return NULL;
}

/* ------------------------------------------------------------------ */
/* symbols                                                             */
/* ------------------------------------------------------------------ */

#define MAXCAND 512

static Service *
find_service(const char *name)
{
	for (Decl *d = prog->decls; d; d = d->next)
		if (d->k == D_SERVICE && d->u.svc->name == name)
			return d->u.svc;
	return NULL;
}

static ObjDef *
find_obj(const Service *s, const char *name)
{
	for (ObjDef *o = s->objs; o; o = o->next)
		if (o->name == name)
			return o;
	return NULL;
}

static FieldDef *
find_field(const ObjDef *o, const char *name)
{
	for (FieldDef *f = o->fields; f; f = f->next)
		if (f->name == name)
			return f;
	return NULL;
}

static Table *
find_table(const char *name)
{
	for (Decl *d = prog->decls; d; d = d->next)
		if (d->k == D_TABLE && d->u.table->name == name)
			return d->u.table;
	return NULL;
}

static Entity *
find_entity(const char *name)
{
	for (Decl *d = prog->decls; d; d = d->next)
		if (d->k == D_ENTITY && d->u.ent->name == name)
			return d->u.ent;
	return NULL;
}

/* "did you mean" over the fields of an object */
static const char *
suggest_field(const ObjDef *o, const char *name)
{
	const char *cand[MAXCAND];
	int n = 0;
	for (FieldDef *f = o->fields; f && n < MAXCAND; f = f->next)
		cand[n++] = f->name;
	return diag_suggest(name, cand, n);
}

static const char *
suggest_decl(DeclKind k, const char *name, int tables_of_kind)
{
	const char *cand[MAXCAND];
	int n = 0;
	for (Decl *d = prog->decls; d && n < MAXCAND; d = d->next) {
		if (d->k != k)
			continue;
		if (k == D_TABLE && tables_of_kind >= 0 && (int)d->u.table->kind != tables_of_kind)
			continue;
		cand[n++] = k == D_TABLE ? d->u.table->name : k == D_ENTITY ? d->u.ent->name
		          : k == D_SERVICE ? d->u.svc->name : d->u.pair->name;
	}
	return diag_suggest(name, cand, n);
}

static void
unknown(Loc at, const char *what, const char *name, const char *hint)
{
	DiagCode c = strcmp(what, "field") == 0 ? ER_UNKNOWN_FIELD : ER_UNKNOWN_NAME;
	if (hint)
		diag_err(at, c, "unknown %s `%s`; did you mean `%s`?", what, name, hint);
	else
		diag_err(at, c, "unknown %s `%s`", what, name);
}

/* ------------------------------------------------------------------ */
/* services                                                            */
/* ------------------------------------------------------------------ */

static void
resolve_type(Service *s, Type *t)
{
	if (t->k == TY_ARR) {
		resolve_type(s, t->elem);
		if (t->elem->k == TY_ARR) {
			diag_err(t->loc, ER_ARRAY_OF_ARRAYS, "arrays of arrays are not supported");
			t->elem = &t_error;
		}
		return;
	}
	for (size_t i = 0; i < sizeof builtin_types / sizeof *builtin_types; i++) {
		if (strcmp(t->name, builtin_types[i].name) == 0) {
			t->k = builtin_types[i].k;
			return;
		}
	}
	ObjDef *o = find_obj(s, t->name);
	if (o) {
		t->k = TY_OBJ;
		t->obj = o;
		return;
	}
	const char *cand[MAXCAND];
	int n = 0;
	for (size_t i = 0; i < sizeof builtin_types / sizeof *builtin_types; i++)
		cand[n++] = builtin_types[i].name;
	for (ObjDef *x = s->objs; x && n < MAXCAND; x = x->next)
		cand[n++] = x->name;
	unknown(t->loc, "type", t->name, diag_suggest(t->name, cand, n));
	t->k = TY_ERROR;
}

static void
check_service(Service *s)
{
	for (ObjDef *o = s->objs; o; o = o->next) {
		for (ObjDef *p = s->objs; p != o; p = p->next) {
			if (p->name == o->name) {
				diag_err(o->loc, ER_DUPLICATE,
					"object `%s` is declared twice in service `%s`",
					o->name, s->name);
				diag_note(p->loc, "first declared here");
				break;
			}
		}
		for (FieldDef *f = o->fields; f; f = f->next) {
			for (FieldDef *g = o->fields; g != f; g = g->next) {
				if (g->name == f->name) {
					diag_err(f->loc, ER_DUPLICATE, "field `%s` is declared twice in `%s`",
						f->name, o->name);
					diag_note(g->loc, "first declared here");
					break;
				}
			}
			resolve_type(s, f->ty);
			if (f->enums && f->ty->k != TY_STRING && f->ty->k != TY_ERROR)
				diag_err(f->enums->loc, ER_STRING_MODIFIER,
					"`enum` applies to strings, and `%s` is %s",
					f->name, ck_type_name(f->ty));
			if (f->max && f->ty->k != TY_STRING && f->ty->k != TY_ERROR)
				diag_err(f->loc, ER_STRING_MODIFIER,
					"`max` applies to strings, and `%s` is %s",
					f->name, ck_type_name(f->ty));
			for (StrList *a = f->enums; a; a = a->next) {
				for (StrList *b = f->enums; b != a; b = b->next) {
					if (strcmp(a->s, b->s) == 0) {
						diag_err(a->loc, ER_DUPLICATE,
							"\"%s\" is listed twice in the enum",
							a->s);
						break;
					}
				}
			}
		}
		if (o->trk_name) {
			const char *nm[2] = { o->trk_name, o->trk_opt };
			for (int i = 0; i < 2; i++) {
				FieldDef *f = find_field(o, nm[i]);
				if (!f)
					unknown(o->trk_loc, "field", nm[i], suggest_field(o, nm[i]));
				else if (f->ty->k != TY_STRING)
					diag_err(o->trk_loc, ER_TRACKING_FIELD,
						"tracking field `%s` must be a string", nm[i]);
			}
		}
	}
	for (Coll *c = s->colls; c; c = c->next) {
		c->can = c->caps_given ? 0 : CAN_LIST | CAN_WRITE;
		for (StrList *w = c->caps; w; w = w->next) {
			if (strcmp(w->s, "list") == 0) {
				c->can |= CAN_LIST;
			} else if (strcmp(w->s, "write") == 0) {
				c->can |= CAN_WRITE;
			} else if (strcmp(w->s, "rates") == 0) {
				c->can |= CAN_RATES;
			} else {
				const char *cand[3] = { "list", "write", "rates" };
				const char *hint = diag_suggest(w->s, cand, 3);
				diag_err(w->loc, ER_CAP_WORD, "`%s` is not a capability (list, "
					"write or rates)%s%s%s", w->s, hint ? "; did you mean `" : "",
					hint ? hint : "", hint ? "`?" : "");
			}
		}
		c->obj = find_obj(s, c->type_name);
		if (!c->obj) {
			const char *cand[MAXCAND];
			int n = 0;
			for (ObjDef *x = s->objs; x && n < MAXCAND; x = x->next)
				cand[n++] = x->name;
			unknown(c->type_loc, "object", c->type_name, diag_suggest(c->type_name, cand, n));
		}
		for (Coll *d = s->colls; d != c; d = d->next) {
			if (d->name == c->name) {
				diag_err(c->loc, ER_DUPLICATE, "collection `%s` is declared twice", c->name);
				break;
			}
		}
	}
}

/* ------------------------------------------------------------------ */
/* loading schemas                                                     */
/* ------------------------------------------------------------------ */

static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return ar_strndup(".", 1);
	return ar_strndup(path, (size_t)(slash - path));
}

static const SrcFile *
find_schema(const char *svc, const char *const *dirs, int ndirs, Buf *looked)
{
	for (int i = 0; i < ndirs; i++) {
		Buf p = { 0 };
		buf_printf(&p, "%s/%s.map", dirs[i], svc);
		FILE *f = fopen(p.p, "rb");
		if (f) {
			fclose(f);
			const SrcFile *sf = ps_read_file(p.p, 1);
			buf_free(&p);
			return sf;
		}
		buf_printf(looked, "%s%s", looked->len ? ", " : "", p.p);
		buf_free(&p);
	}
	return NULL;
}

/* The service names with a schema file in the search dirs (suggestions). */
static int
list_schemas(const char *const *dirs, int ndirs, const char **out, int max)
{
	int n = 0;
	for (int i = 0; i < ndirs; i++) {
		DIR *d = opendir(dirs[i]);
		if (!d)
			continue;
		struct dirent *e;
		while ((e = readdir(d)) && n < max) {
			size_t l = strlen(e->d_name);
			if (l > 4 && strcmp(e->d_name + l - 4, ".map") == 0)
				out[n++] = ar_intern(e->d_name, l - 4);
		}
		closedir(d);
	}
	return n;
}

static Loc
decl_loc(const Decl *d)
{
	return d->k == D_SERVICE ? d->u.svc->loc : d->k == D_PAIR ? d->u.pair->loc
	     : d->k == D_TABLE ? d->u.table->loc : d->u.ent->loc;
}

static const char *
decl_what(DeclKind k)
{
	return k == D_PAIR ? "a `pair`" : k == D_TABLE ? "a table" : k == D_ENTITY ? "an entity"
	     : "a service";
}

/* Whether the schema file of `svc` was read already (one that does not
 * declare its service is read once, reported once). */
static int
schema_loaded(const Program *p, const char *svc)
{
	size_t l = strlen(svc);
	for (int i = 0; i < p->nschemas; i++) {
		const char *n = p->schemas[i]->name, *slash = strrchr(n, '/');
		const char *base = slash ? slash + 1 : n;
		if (strncmp(base, svc, l) == 0 && strcmp(base + l, ".map") == 0)
			return 1;
	}
	return 0;
}

void
ck_load_schemas(Program *p, const char *const *extra, int nextra)
{
	prog = p;
	const char *dirs[64];
	int ndirs = 0;
	Buf b = { 0 };
	buf_printf(&b, "%s/schemas", dir_of(p->main->name));
	dirs[ndirs++] = ar_strndup(b.p, b.len);
	buf_free(&b);
	for (int i = 0; i < nextra && ndirs < 64; i++)
		dirs[ndirs++] = extra[i];

	/* Only the main file's pairs pull schemas in: a schema file holds services
	 * alone (anything else is refused below), so loading always ends, whatever
	 * the files name (a schema naming its own service in a pair looped). */
	Decl *main_last = p->decls_tail;
	for (Decl *d = p->decls; d; d = d == main_last ? NULL : d->next) {
		if (d->k != D_PAIR)
			continue;
		for (Endpoint *e = d->u.pair->eps; e; e = e->next) {
			if (e->is_currency || find_service(e->service) || schema_loaded(p, e->service))
				continue;
			Buf looked = { 0 };
			const SrcFile *sf = find_schema(e->service, dirs, ndirs, &looked);
			if (!sf) {
				const char *cand[256];
				int n = list_schemas(dirs, ndirs, cand, 256);
				const char *hint = diag_suggest(e->service, cand, n);
				if (hint)
					diag_err(e->service_loc, ER_NO_SCHEMA,
						"no schema for service `%s`; did you "
						"mean `%s`? (looked for %s)", e->service, hint, looked.p);
				else
					diag_err(e->service_loc, ER_NO_SCHEMA,
						"no schema for service `%s` (looked "
						"for %s)", e->service, looked.p);
				buf_free(&looked);
				continue;
			}
			buf_free(&looked);
			Decl *last = p->decls_tail;
			ps_parse(p, sf);
			/* a handful of schemas: grow by copying, all in the arena */
			SrcFile **ns = ar_alloc(sizeof *ns * (size_t)(p->nschemas + 1));
			if (p->nschemas)
				memcpy(ns, p->schemas, sizeof *ns * (size_t)p->nschemas);
			ns[p->nschemas++] = (SrcFile *)sf;
			p->schemas = ns;
			int found = 0;
			Decl **link = last ? &last->next : &p->decls;
			p->decls_tail = last;
			while (*link) {
				Decl *n = *link;
				if (n->k != D_SERVICE) {
					diag_err(decl_loc(n), ER_BAD_SCHEMA, "a schema file holds only "
						"`service` declarations, not %s", decl_what(n->k));
					*link = n->next; /* dropped: never loaded, never checked */
					continue;
				}
				if (n->u.svc->name == e->service)
					found = 1;
				p->decls_tail = n;
				link = &n->next;
			}
			if (!found) {
				Loc at = { sf, 1, 1, 1 };
				diag_err(at, ER_BAD_SCHEMA,
					"schema file does not declare `service %s`", e->service);
			}
		}
	}
}

/* ------------------------------------------------------------------ */
/* the pair                                                            */
/* ------------------------------------------------------------------ */

/* Settings whose value is a credential: never a literal in a .map file. */
static int
secret_name(const char *k)
{
	static const char *const words[] = {
		"secret", "password", "passwd", "token", "api_key", "apikey", "credential",
		"private_key", "client_id", "user_id", "sender_id",
	};
	for (size_t i = 0; i < sizeof words / sizeof *words; i++)
		if (strstr(k, words[i]))
			return 1;
	return 0;
}


/* `currency BASE from target|file PATH`: one per pair; BASE literal three
 * capital letters (the compiler has no currency list: the runtime's, from
 * CLDR, refuses an unknown code from the environment at start). */
static void
currency_decl(Pair *pair, Endpoint *e)
{
	if (pair->cur) {
		diag_err(e->loc, ER_CURRENCY_TWICE, "the pair has two `currency` statements");
		diag_note(pair->cur->loc, "the first is here");
		return;
	}
	pair->cur = e;
	const char *b = e->cur_base->literal;
	if (b && (strlen(b) != 3 || strspn(b, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 3))
		diag_err(e->cur_base->loc, ER_CURRENCY_CODE, "base currency \"%s\" is not an "
			"ISO 4217 code (three capital letters: \"USD\", \"EUR\")", b);
	if (e->rates_from == 2 && strcmp(e->from_word, "file") != 0)
		diag_err(e->from_loc, ER_RATES_FROM, "rates come `from target` or `from file PATH`, "
			"not from `%s`", e->from_word);
	for (Setting *s = e->cur_base; s; s = s == e->cur_base ? e->cur_file : NULL)
		if (s->env && (!*s->env || strspn(s->env, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			"abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(s->env)))
			diag_err(s->loc, ER_ENV_NAME,
				"environment variable names are letters, digits and _");
}

static void
check_pair(void)
{
	Pair *pair = NULL;
	for (Decl *d = prog->decls; d; d = d->next) {
		if (d->k != D_PAIR)
			continue;
		if (pair) {
			diag_err(d->u.pair->loc, ER_PAIR_COUNT, "a file declares one `pair`");
			diag_note(pair->loc, "the first `pair` is here");
			continue;
		}
		pair = d->u.pair;
	}
	prog->pair = pair;
	if (!pair) {
		int has_entity = 0;
		for (Decl *d = prog->decls; d; d = d->next)
			has_entity |= d->k == D_ENTITY;
		if (has_entity) {
			Loc at = { prog->main, 1, 1, 1 };
			diag_err(at, ER_PAIR_COUNT,
				"no `pair` block: entities need a source and a target service");
		}
		return;
	}
	for (Endpoint *e = pair->eps; e; e = e->next) {
		if (e->is_currency) {
			currency_decl(pair, e);
			continue;
		}
		Endpoint **slot = e->is_source ? &pair->src : &pair->tgt;
		if (*slot) {
			diag_err(e->loc, ER_PAIR_ENDPOINTS, "the pair has two %s services",
				e->is_source ? "source" : "target");
			diag_note((*slot)->loc, "the first is here");
			continue;
		}
		*slot = e;
		e->svc = find_service(e->service);
		for (Setting *s = e->settings; s; s = s->next) {
			for (Setting *t = e->settings; t != s; t = t->next) {
				if (t->key == s->key) {
					diag_err(s->loc, ER_DUPLICATE, "setting `%s` is given twice", s->key);
					break;
				}
			}
			if (s->literal && secret_name(s->key))
				diag_err(s->loc, ER_LITERAL_SECRET,
					"`%s` is a credential: take it from the environment "
					"with env(\"...\"), never a literal", s->key);
			if (s->env && (!*s->env || strspn(s->env, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				"abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(s->env)))
				diag_err(s->loc, ER_ENV_NAME,
					"environment variable names are letters, digits and _");
		}
	}
	if (!pair->src)
		diag_err(pair->loc, ER_PAIR_ENDPOINTS, "the pair has no `source` service");
	if (!pair->tgt)
		diag_err(pair->loc, ER_PAIR_ENDPOINTS, "the pair has no `target` service");
	if (pair->src && pair->tgt && pair->src->alias == pair->tgt->alias)
		diag_err(pair->tgt->loc, ER_PAIR_SAME_NAME, "source and target need different names");
	if (pair->cur && pair->cur->rates_from == 1 && pair->tgt && pair->tgt->svc) {
		unsigned can = 0;
		for (Coll *c = pair->tgt->svc->colls; c; c = c->next)
			can |= c->can;
		if (!(can & CAN_RATES))
			diag_err(pair->cur->loc, ER_RATES_TARGET, "rates `from target`: %s has no "
				"exchange rates (no collection of it is `rates`); take them `from "
				"file` (the ECB's reference-rate XML)", pair->tgt->service);
	}
}

/* ------------------------------------------------------------------ */
/* expressions                                                         */
/* ------------------------------------------------------------------ */

struct Scope {
	const char *var;   /* the name a `for` binds, or NULL: fields are in scope bare */
	ObjDef *obj;       /* the source object the scope's value is */
	const char *cname; /* its C variable */
	int depth;
	Scope *up;
};

typedef struct {
	Entity *ent;
	int nhelper, nvar;
} Ctx;

static Ctx cx;

static Type *expr(Expr *e, Scope *s);
static void check_miss(Table *t, Expr *key, Loc at);
static void group_ref(const Entity *en, const Expr *ref);

static Type *
field_type(FieldDef *f)
{
	return f->ty;
}

/* Resolve a.b.c: a loop variable, then the fields in scope (innermost
 * first), then a tracking or dimension table. */
static Type *
path(Expr *e, Scope *s)
{
	StrList *p = e->path;
	int n = 0;
	for (StrList *q = p; q; q = q->next)
		n++;
	e->fields = ar_alloc(sizeof *e->fields * (size_t)n);
	e->owners = ar_alloc(sizeof *e->owners * (size_t)n);
	e->nfields = 0;
	Scope *start = NULL;
	for (Scope *x = s; x; x = x->up) {
		if (x->var && x->var == p->s) {
			start = x;
			p = p->next;
			break;
		}
	}
	if (start && !start->obj) { /* a `for`'s position: a number, no fields */
		if (p) {
			diag_err(p->loc, ER_NO_FIELDS, "`%s` is the position of an element; it has "
				"no fields", start->var);
			return &t_error;
		}
		e->counter = start->cname;
		e->bind = start->depth; /* its element's: the tools name it by its array */
		return &t_int;
	}
	if (!start) {
		for (Scope *x = s; x; x = x->up) {
			if (!x->var && x->obj && find_field(x->obj, p->s)) {
				start = x;
				break;
			}
		}
	}
	if (!start) {
		Table *t = find_table(p->s);
		if (t && t->kind != T_TABLE && !p->next) {
			t->used = 1;
			e->table = t;
			/* Resolve the table's source path here, against this entity's record. */
			Scope *root = s;
			while (root->up)
				root = root->up;
			Expr *from = ps_expr(E_PATH, t->from->loc);
			from->path = t->from->path;
			e->a = from;
			Type *ft = path(from, root);
			if (ft->k != TY_ERROR && ft->k != TY_STRING && ft->k != TY_INT)
				diag_err(t->from->loc, ER_TABLE_FROM,
					"`%s` reads %s; a table key is a string or an "
					"integer", t->name, ck_type_name(ft));
			from->ty = ft;
			check_miss(t, from, e->loc);
			return t->kind == T_TRACKING ? &t_tracking : t->vty;
		}
		if (t) {
			diag_err(e->loc, ER_TABLE_AS_VALUE,
				"`%s` is a table: look a key up with `%s[key]`", p->s, p->s);
			return &t_error;
		}
		/* Suggest among the fields in scope and the loop variables. */
		const char *cand[MAXCAND];
		int nc = 0;
		for (Scope *x = s; x; x = x->up) {
			if (x->var && nc < MAXCAND)
				cand[nc++] = x->var;
			else if (x->obj)
				for (FieldDef *f = x->obj->fields; f && nc < MAXCAND; f = f->next)
					cand[nc++] = f->name;
		}
		Scope *root = s;
		while (root->up)
			root = root->up;
		const char *hint = diag_suggest(p->s, cand, nc);
		if (hint)
			diag_err(p->loc, ER_UNKNOWN_FIELD,
				"unknown field `%s` in %s; did you mean `%s`?", p->s,
				root->obj ? root->obj->name : "the record", hint);
		else
			diag_err(p->loc, ER_UNKNOWN_FIELD, "unknown field `%s` in %s", p->s,
				root->obj ? root->obj->name : "the record");
		return &t_error;
	}
	e->bind = start->depth;
	Type *cur = NULL;
	ObjDef *obj = start->obj;
	if (!obj)
		return &t_error;
	if (!p) { /* just the loop variable: the element object itself */
		cur = ar_alloc(sizeof *cur);
		cur->k = TY_OBJ;
		cur->obj = obj;
		return cur;
	}
	Type objt = { TY_OBJ, obj, NULL, NULL, { 0 } };
	Type *curt = &objt;
	for (; p; p = p->next) {
		if (curt->k == TY_MAP) {
			e->owners[e->nfields] = NULL;
			e->fields[e->nfields++] = NULL;
			cur = &t_string;
			curt = cur;
			/* a map's values are strings: nothing below them */
			if (p->next) {
				diag_err(p->next->loc, ER_NO_FIELDS,
					"`%s` is a string in a map; it has no fields", p->s);
				return &t_error;
			}
			continue;
		}
		if (curt->k == TY_ARR) {
			diag_err(p->loc, ER_PATH_THROUGH_ARRAY,
				"`%s` comes after an array: use `for x in ...` or sum(...) "
				"to reach the elements", p->s);
			return &t_error;
		}
		if (curt->k != TY_OBJ) {
			diag_err(p->loc, ER_NO_FIELDS, "`%s` is %s, which has no field `%s`",
				e->nfields ? e->fields[e->nfields - 1]->name : "it", ck_type_name(curt),
				p->s);
			return &t_error;
		}
		FieldDef *f = find_field(curt->obj, p->s);
		if (!f) {
			unknown(p->loc, "field", p->s, suggest_field(curt->obj, p->s));
			return &t_error;
		}
		e->owners[e->nfields] = curt->obj;
		e->fields[e->nfields++] = f;
		cur = field_type(f);
		curt = cur;
	}
	return cur;
}

static int
want(Expr *a, Type *t, int ok, const char *fn, const char *what)
{
	if (t->k == TY_ERROR || t->k == TY_NULL || ok)
		return 1;
	diag_err(a->loc, ER_ARG_TYPE, "%s() takes %s here, not %s", fn, what, ck_type_name(t));
	return 0;
}

/* convert()'s second and third arguments: lang.c's table has one rule
 * for all but the first */
#define A_CODE (1u << TY_STRING)
#define A_DAY (1u << TY_STRING | 1u << TY_DATE | 1u << TY_DATETIME)

static int
valid_format(const char *f)
{
	for (; *f; f++) {
		if (*f != '%')
			continue;
		f++;
		if (!*f || !strchr("YmdHMSz%", *f))
			return 0;
	}
	return 1;
}

/* name(args): arity and argument types from the one table of built-in
 * functions (lang.c), then the rule of the function, if it has one. */
static Type *
call(Expr *e, Scope *s)
{
	int nargs = 0;
	Expr *args[16];
	for (Expr *a = e->args; a; a = a->next) {
		if (nargs < 16)
			args[nargs] = a;
		nargs++;
	}
	const LangFunc *fd = lang_function(e->s);
	if (!fd) {
		const char *cand[32];
		int n = 0;
		for (const LangFunc *f = lang_functions(); f->name && n < 32; f++)
			cand[n++] = f->name;
		Table *t = find_table(e->s);
		if (t)
			diag_err(e->loc, ER_TABLE_AS_VALUE,
				"`%s` is a table: look a key up with `%s[key]`", e->s, e->s);
		else if (find_entity(e->s))
			diag_err(e->loc, ER_ENTITY_AS_VALUE,
				"`%s` is an entity: write `ref %s(key)`", e->s, e->s);
		else
			unknown(e->loc, "function", e->s, diag_suggest(e->s, cand, n));
		for (Expr *a = e->args; a; a = a->next)
			expr(a, s);
		return &t_error;
	}
	if (nargs < fd->min || nargs > fd->max) {
		if (fd->min == fd->max)
			diag_err(e->loc, ER_ARG_COUNT,
				"%s() takes %d argument%s, not %d", e->s, fd->min,
				fd->min == 1 ? "" : "s", nargs);
		else
			diag_err(e->loc, ER_ARG_COUNT, "%s() takes %d to %d arguments, not %d", e->s,
				fd->min, fd->max, nargs);
		return &t_error;
	}
	const char *fn = e->s;
	if (fd->rule == F_SUM) {
		Type *at = expr(args[0], s);
		if (at->k == TY_ERROR)
			return &t_error;
		if (at->k != TY_ARR || args[0]->k != E_PATH) {
			diag_err(args[0]->loc, ER_ARG_TYPE, "sum() adds up over an array field, not %s",
				ck_type_name(at));
			return &t_error;
		}
		Scope inner = { NULL, NULL, NULL, s->depth + 1, s };
		char *cname = ar_alloc(16);
		snprintf(cname, 16, "e%d", ++cx.nvar);
		inner.cname = cname;
		e->var = cname;
		e->helper = ++cx.nhelper;
		Type *vt;
		if (at->elem->k == TY_OBJ) {
			inner.obj = at->elem->obj;
			e->elem_obj = at->elem->obj;
			vt = expr(args[1], &inner);
		} else {
			diag_err(args[0]->loc, ER_ARG_TYPE, "sum() needs an array of objects");
			return &t_error;
		}
		if (!want(args[1], vt, numeric(vt), "sum", "a number"))
			return &t_error;
		return vt->k == TY_INT ? &t_int : &t_dec;
	}
	Type *t[16];
	for (int i = 0; i < nargs && i < 16; i++)
		t[i] = expr(args[i], s);
	for (int i = 0; i < nargs && i < 16; i++) {
		int j = i < 1 ? 0 : 1;
		if (fd->args[j])
			want(args[i], t[i], (fd->args[j] >> t[i]->k) & 1u, fn, fd->what[j]);
	}
	switch (fd->rule) {
	case F_REPLACE:
		if (args[1]->k == E_STR && args[1]->n == 0)
			diag_err(args[1]->loc, ER_ARG_VALUE, "replace() of the empty string");
		break;
	case F_FORMAT:
		if (args[1]->k != E_STR)
			diag_err(args[1]->loc, ER_ARG_VALUE,
				"format_date() takes its format as a string literal");
		else if (!valid_format(args[1]->s))
			diag_err(args[1]->loc, ER_ARG_VALUE,
				"format \"%s\": only %%Y %%m %%d %%H %%M %%S %%z "
				"and %%%% are known", args[1]->s);
		break;
	case F_ROUND:
		if (args[1]->k == E_INT) {
			long v = strtol(args[1]->s, NULL, 10);
			if (v < 0 || v > 18)
				diag_err(args[1]->loc, ER_ARG_VALUE,
					"round() to %ld places: 0 to 18 are possible", v);
		}
		break;
	case F_RATE:
		if (!prog->pair || !prog->pair->cur)
			diag_err(e->loc, ER_NO_CURRENCY, "%s() needs the pair's base currency and "
				"rates: add `currency \"USD\" from target` (or `from file PATH`) to "
				"the pair", fn);
		if (nargs == 3) {
			want(args[1], t[1], (A_CODE >> t[1]->k) & 1u, fn, "a currency code");
			want(args[2], t[2], (A_DAY >> t[2]->k) & 1u, fn, "a date");
		}
		break;
	case F_PLAIN:
	case F_SUM:
		break;
	}
	switch (fd->result) {
	case R_STRING: return &t_string;
	case R_INT: return &t_int;
	case R_DEC: return &t_dec;
	case R_DATE: return &t_date;
	case R_DATETIME: return &t_datetime;
	case R_NUMBER_ARG: return numeric(t[0]) ? t[0] : &t_dec;
	case R_UNIFY: {
		Type *r = t[0];
		for (int i = 1; i < nargs && i < 16; i++) {
			Type *u = unify(r, t[i]);
			if (!u) {
				diag_err(args[i]->loc, ER_ARG_MIX,
					"%s() mixes %s and %s", fn, ck_type_name(r),
					ck_type_name(t[i]));
				return &t_error;
			}
			r = u;
		}
		if (r->k == TY_OBJ || r->k == TY_ARR || r->k == TY_TRACKING) {
			diag_err(e->loc, ER_ARG_TYPE,
				"%s() works on plain values, not %s", fn, ck_type_name(r));
			return &t_error;
		}
		return r;
	}
	case R_SUM:
		break;
	}
	unreachable();
	return &t_error;
}

/* The enum a key expression ranges over, if it is a field with one. */
static StrList *
domain_of(Expr *k)
{
	if (k->k == E_PATH && k->nfields > 0 && k->fields[k->nfields - 1])
		return k->fields[k->nfields - 1]->enums;
	return NULL;
}

static int
table_has(Table *t, const char *key)
{
	for (Entry *e = t->entries; e; e = e->next)
		if (strcmp(e->key, key) == 0)
			return 1;
	return 0;
}

/* A lookup whose miss is not handled: no `else`, and the key is not an
 * enum the table covers. */
static void
check_miss(Table *t, Expr *key, Loc at)
{
	if (t->has_else || (key->ty && key->ty->k == TY_ERROR))
		return;
	StrList *dom = domain_of(key);
	if (!dom) {
		diag_err(at, ER_TABLE_NOT_EXHAUSTIVE,
			"table `%s` has no `else`, and the key can hold values it does not "
			"list: add `else => fail \"...\"` or a default", t->name);
		diag_note(t->loc, "`%s` is declared here", t->name);
		return;
	}
	for (; dom; dom = dom->next) {
		if (!table_has(t, dom->s)) {
			diag_err(at, ER_TABLE_NOT_EXHAUSTIVE,
				"table `%s` has no `else` and no entry for \"%s\", which the key "
				"can hold", t->name, dom->s);
			diag_note(t->loc, "`%s` is declared here", t->name);
			return;
		}
	}
}

static void
check_decimal_literal(Expr *e)
{
	const char *s = e->s;
	int digits = 0;
	for (const char *p = s; *p; p++)
		digits += *p >= '0' && *p <= '9';
	const char *dot = strchr(s, '.');
	if (digits > 18 || (dot && strlen(dot + 1) > 18))
		diag_err(e->loc, ER_DECIMAL_DIGITS, "decimal `%s` has more than 18 digits", s);
}

static void
check_int_literal(Expr *e)
{
	const char *s = e->s;
	size_t n = strlen(s) - (s[0] == '-');
	if (n > 19 || (n == 19 && strcmp(s + (s[0] == '-'), "9223372036854775807") > 0))
		diag_err(e->loc, ER_INT_RANGE, "integer `%s` is out of range", s);
}

static Type *
expr(Expr *e, Scope *s)
{
	Type *t = &t_error;
	switch (e->k) {
	case E_STR: t = &t_string; break;
	case E_INT: check_int_literal(e); t = &t_int; break;
	case E_DEC: check_decimal_literal(e); t = &t_dec; break;
	case E_BOOL: t = &t_bool; break;
	case E_NULL: t = &t_null; break;
	case E_PATH: t = path(e, s); break;
	case E_NEG: {
		Type *a = expr(e->a, s);
		if (a->k != TY_ERROR && a->k != TY_NULL && !numeric(a))
			diag_err(e->loc, ER_OPERAND_TYPE, "`-` needs a number, not %s", ck_type_name(a));
		t = numeric(a) ? a : &t_dec;
		break;
	}
	case E_NOT: {
		Type *a = expr(e->a, s);
		if (a->k != TY_ERROR && a->k != TY_BOOL)
			diag_err(e->loc, ER_OPERAND_TYPE, "`not` needs a boolean, not %s", ck_type_name(a));
		t = &t_bool;
		break;
	}
	case E_BIN: {
		Type *a = expr(e->a, s), *b = expr(e->b, s);
		int err = a->k == TY_ERROR || b->k == TY_ERROR;
		switch (e->op) {
		case TK_AND: case TK_OR:
			if (!err && (a->k != TY_BOOL || b->k != TY_BOOL))
				diag_err(e->loc, ER_OPERAND_TYPE, "`%s` needs booleans, not %s and %s",
					e->op == TK_AND ? "and" : "or", ck_type_name(a), ck_type_name(b));
			t = &t_bool;
			break;
		case TK_EQ: case TK_NE: case TK_LT: case TK_LE: case TK_GT: case TK_GE:
			if (!err && a->k != TY_NULL && b->k != TY_NULL) {
				int ok = (numeric(a) && numeric(b)) || (a->k == b->k && scalar(a)) ||
					 ((a->k == TY_DATE || a->k == TY_DATETIME) &&
					  (b->k == TY_DATE || b->k == TY_DATETIME) && a->k == b->k);
				if (!ok)
					diag_err(e->loc, ER_COMPARE_TYPES,
						"cannot compare %s with %s", ck_type_name(a),
						ck_type_name(b));
				else if (a->k == TY_BOOL && e->op != TK_EQ && e->op != TK_NE)
					diag_err(e->loc, ER_COMPARE_TYPES, "booleans have no order");
			}
			t = &t_bool;
			break;
		case TK_CONCAT:
			if (!err && ((!scalar(a) && a->k != TY_NULL) || (!scalar(b) && b->k != TY_NULL)))
				diag_err(e->loc, ER_OPERAND_TYPE, "`++` joins plain values, not %s and %s",
					ck_type_name(a), ck_type_name(b));
			t = &t_string;
			break;
		default: /* + - * / */
			if (!err && ((!numeric(a) && a->k != TY_NULL) || (!numeric(b) && b->k != TY_NULL))) {
				if (e->op == TK_PLUS && (a->k == TY_STRING || b->k == TY_STRING))
					diag_err(e->loc, ER_PLUS_STRINGS,
						"`+` adds numbers; join strings with `++`");
				else
					diag_err(e->loc, ER_OPERAND_TYPE,
						"arithmetic needs numbers, not %s and %s",
						ck_type_name(a), ck_type_name(b));
				t = &t_error;
				break;
			}
			t = a->k == TY_INT && b->k == TY_INT && e->op != TK_SLASH ? &t_int : &t_dec;
			break;
		}
		break;
	}
	case E_IF: {
		Type *c = expr(e->a, s);
		if (c->k != TY_ERROR && c->k != TY_BOOL)
			diag_err(e->a->loc, ER_NOT_BOOLEAN,
				"`if` needs a boolean condition, not %s", ck_type_name(c));
		Type *x = expr(e->b, s), *y = expr(e->c, s);
		if (x->k == TY_TRACKING || y->k == TY_TRACKING) {
			diag_err(e->loc, ER_TRACKING_PLACE,
				"a tracking category is named directly in a tracking array, "
				"not chosen by `if` (give its table an `else` instead)");
			t = &t_error;
			break;
		}
		t = unify(x, y);
		if (!t) {
			diag_err(e->loc, ER_IF_BRANCHES,
				"the branches of `if` differ: %s and %s", ck_type_name(x),
				ck_type_name(y));
			t = &t_error;
		}
		break;
	}
	case E_CALL: t = call(e, s); break;
	case E_LOOKUP: {
		Table *tb = find_table(e->s);
		Type *k = expr(e->a, s);
		if (!tb) {
			unknown(e->loc, "table", e->s, suggest_decl(D_TABLE, e->s, -1));
			break;
		}
		tb->used = 1;
		e->table = tb;
		if (k->k != TY_ERROR && k->k != TY_NULL && k->k != TY_STRING && k->k != TY_INT)
			diag_err(e->a->loc, ER_KEY_TYPE, "a table key is a string or an integer, not %s",
				ck_type_name(k));
		e->a->ty = k;
		if (tb->entries && ((k->k == TY_STRING && tb->int_keys) ||
				    (k->k == TY_INT && !tb->int_keys)))
			diag_err(e->a->loc, ER_KEY_TYPE, "table `%s` has %s keys and this is %s", tb->name,
				tb->int_keys ? "integer" : "string", ck_type_name(k));
		check_miss(tb, e->a, e->loc);
		t = tb->vty ? tb->vty : &t_error;
		break;
	}
	case E_REF: {
		Entity *r = find_entity(e->s);
		Type *k = expr(e->a, s);
		if (!r) {
			unknown(e->loc, "entity", e->s, suggest_decl(D_ENTITY, e->s, -1));
			break;
		}
		e->ref = r;
		group_ref(cx.ent, e);
		if (k->k != TY_ERROR && k->k != TY_NULL && k->k != TY_STRING && k->k != TY_INT)
			diag_err(e->a->loc, ER_KEY_TYPE,
				"a ref takes the source key of `%s`, not %s", r->name,
				ck_type_name(k));
		Entity *me = cx.ent;
		int seen = 0;
		for (int i = 0; i < me->ndeps; i++)
			seen |= me->deps[i] == r;
		if (!seen) {
			if (me->ndeps == me->cap_deps) {
				int cap = me->cap_deps ? me->cap_deps * 2 : 4;
				Entity **nd = ar_alloc(sizeof *nd * (size_t)cap);
				Expr **na = ar_alloc(sizeof *na * (size_t)cap);
				if (me->ndeps) {
					memcpy(nd, me->deps, sizeof *nd * (size_t)me->ndeps);
					memcpy(na, me->dep_at, sizeof *na * (size_t)me->ndeps);
				}
				me->deps = nd;
				me->dep_at = na;
				me->cap_deps = cap;
			}
			me->dep_at[me->ndeps] = e;
			me->deps[me->ndeps++] = r;
		}
		t = &t_string;
		break;
	}
	case E_OBJ:
		diag_err(e->loc, ER_SHAPE, "an object `{ ... }` is written to an object field of the target");
		break;
	case E_ARR:
	case E_FOR:
		diag_err(e->loc, ER_SHAPE, "an array is written to an array field of the target");
		break;
	}
	e->ty = t;
	return t;
}

/* ------------------------------------------------------------------ */
/* writing to target fields                                            */
/* ------------------------------------------------------------------ */

static int
in_enum(StrList *l, const char *s)
{
	for (; l; l = l->next)
		if (strcmp(l->s, s) == 0)
			return 1;
	return 0;
}

static void
enum_error(FieldDef *f, Loc at, const char *v)
{
	const char *cand[MAXCAND];
	int n = 0;
	for (StrList *l = f->enums; l && n < MAXCAND; l = l->next)
		cand[n++] = l->s;
	const char *hint = diag_suggest(v, cand, n);
	if (hint)
		diag_err(at, ER_ENUM_VALUE,
			"\"%s\" is not a valid `%s`; did you mean \"%s\"?", v, f->name, hint);
	else
		diag_err(at, ER_ENUM_VALUE, "\"%s\" is not a valid `%s`", v, f->name);
	diag_note(f->enums->loc, "`%s` takes these values", f->name);
}

/* Literal values that reach field f must be in its enum and fit its max. */
static void
check_values(FieldDef *f, Expr *e)
{
	if (!e || (!f->enums && !f->max))
		return;
	switch (e->k) {
	case E_STR:
		if (f->enums && !in_enum(f->enums, e->s))
			enum_error(f, e->loc, e->s);
		if (f->max && e->n > (size_t)f->max)
			diag_err(e->loc, ER_TOO_LONG, "`%s` holds at most %d characters", f->name, f->max);
		break;
	case E_IF:
		check_values(f, e->b);
		check_values(f, e->c);
		break;
	case E_CALL:
		if (strcmp(e->s, "default") == 0 || strcmp(e->s, "coalesce") == 0)
			for (Expr *a = e->args; a; a = a->next)
				check_values(f, a);
		break;
	case E_LOOKUP:
	case E_PATH:
		if (e->table) {
			for (Entry *x = e->table->entries; x; x = x->next)
				check_values(f, x->val);
			check_values(f, e->table->else_val);
		}
		break;
	default:
		break;
	}
}

static void body(ObjDef *tgt, Stmt *b, Scope *s, Loc at, int top);

static const char *
target_name(ObjDef *o)
{
	static char buf[200];
	snprintf(buf, sizeof buf, "%s.%s", o->svc ? o->svc->name : "?", o->name);
	return buf;
}

/* One element of an array literal written to an array of `et`. */
static void
element(Type *et, Expr *e, Scope *s)
{
	if (e->k == E_FOR) {
		Type *at = expr(e->a, s);
		e->ty = at;
		if (at->k == TY_ERROR)
			return;
		if (at->k != TY_ARR || at->elem->k != TY_OBJ) {
			diag_err(e->a->loc, ER_FOR_NOT_ARRAY,
				"`for` walks an array of objects, and this is %s",
				ck_type_name(at));
			return;
		}
		if (et->k != TY_OBJ) {
			diag_err(e->loc, ER_SHAPE, "`for ... { }` builds objects, and the target wants %s",
				ck_type_name(et));
			return;
		}
		for (Scope *x = s; x; x = x->up)
			if (x->var == e->s || (e->idx && x->var == e->idx))
				diag_warn(e->loc, WR_SHADOW,
					"`%s` shadows the loop variable of an outer `for`",
					x->var);
		if (e->idx == e->s)
			diag_warn(e->loc, WR_SHADOW, "`%s` names both the element and its position",
				e->s);
		/* v_NAME1, whole (a cut made two names one); v_NAME2_3 after a digit, so
		 * that the number at the end is always the variable's own */
		size_t l = strlen(e->s), cap = l + 16;
		char *cname = ar_alloc(cap);
		snprintf(cname, cap, "v_%s%s%d", e->s, e->s[l - 1] >= '0' && e->s[l - 1] <= '9' ? "_" : "",
			++cx.nvar);
		e->var = cname;
		e->elem_obj = at->elem->obj;
		/* its position, when it has one, is in scope beside it */
		Scope pos = { e->idx, NULL, cname, s->depth + 1, s };
		Scope inner = { e->s, at->elem->obj, cname, s->depth + 1, e->idx ? &pos : s };
		if (e->when) {
			Type *w = expr(e->when, &inner);
			if (w->k != TY_ERROR && w->k != TY_BOOL)
				diag_err(e->when->loc, ER_NOT_BOOLEAN,
					"`when` needs a boolean, not %s", ck_type_name(w));
		}
		body(et->obj, e->body, &inner, e->loc, 0);
		return;
	}
	if (e->when) {
		Type *w = expr(e->when, s);
		if (w->k != TY_ERROR && w->k != TY_BOOL)
			diag_err(e->when->loc, ER_NOT_BOOLEAN,
				"`when` needs a boolean, not %s", ck_type_name(w));
	}
	if (e->k == E_OBJ) {
		if (et->k != TY_OBJ) {
			diag_err(e->loc, ER_SHAPE,
				"the target wants %s here, not an object", ck_type_name(et));
			return;
		}
		body(et->obj, e->body, s, e->loc, 0);
		return;
	}
	Type *t = expr(e, s);
	if (t->k == TY_TRACKING && e->k == E_PATH && e->table) {
		if (et->k != TY_OBJ || !et->obj->trk_name)
			diag_err(e->loc, ER_TRACKING_PLACE,
				"tracking category `%s` goes into an array of objects "
				"marked `tracking(Name, Option)` in the schema", e->table->name);
		return;
	}
	if (t->k == TY_ERROR)
		return;
	if (et->k == TY_OBJ) {
		diag_err(e->loc, ER_SHAPE, "the target wants objects here, not %s", ck_type_name(t));
		return;
	}
	if (!assignable(et, t))
		diag_err(e->loc, ER_MISMATCH,
			"cannot put %s in an array of %s", ck_type_name(t), ck_type_name(et));
}

static void
assign(FieldDef *f, Expr *e, Scope *s)
{
	Type *ft = f->ty;
	if (ft->k == TY_ERROR)
		return;
	if (ft->k == TY_OBJ) {
		if (e->k == E_OBJ) {
			body(ft->obj, e->body, s, e->loc, 0);
			return;
		}
		Type *t = expr(e, s);
		if (t->k != TY_ERROR && t->k != TY_NULL)
			diag_err(e->loc, ER_SHAPE, "`%s` is an object %s: write `%s = { ... }`", f->name,
				ft->obj->name, f->name);
		return;
	}
	if (ft->k == TY_ARR) {
		if (e->k == E_FOR) {
			element(ft->elem, e, s);
			return;
		}
		if (e->k == E_ARR) {
			for (Expr *x = e->args; x; x = x->next)
				element(ft->elem, x, s);
			return;
		}
		Type *t = expr(e, s);
		if (t->k != TY_ERROR && t->k != TY_NULL)
			diag_err(e->loc, ER_SHAPE,
				"`%s` is %s: write `[ ... ]` or `for x in ... { }`", f->name,
				ck_type_name(ft));
		return;
	}
	if (e->k == E_OBJ || e->k == E_ARR || e->k == E_FOR) {
		diag_err(e->loc, ER_SHAPE, "`%s` is %s, not %s", f->name, ck_type_name(ft),
			e->k == E_OBJ ? "an object" : "an array");
		return;
	}
	Type *t = expr(e, s);
	if (t->k == TY_TRACKING) {
		diag_err(e->loc, ER_TRACKING_PLACE,
			"a tracking category goes into an array of tracking objects");
		return;
	}
	if (!assignable(ft, t)) {
		if (ft->k == TY_DATE && t->k == TY_DATETIME)
			diag_err(e->loc, ER_MISMATCH,
				"`%s` is a date and this is a datetime: use date(...)", f->name);
		else if (ft->k == TY_STRING && scalar(t))
			diag_err(e->loc, ER_MISMATCH,
				"`%s` is a string and this is %s: use string(...)", f->name,
				ck_type_name(t));
		else
			diag_err(e->loc, ER_MISMATCH,
				"cannot assign %s to `%s`, which is %s", ck_type_name(t),
				f->name, ck_type_name(ft));
		return;
	}
	check_values(f, e);
}

/* ------------------------------------------------------------------ */
/* statements and policies                                             */
/* ------------------------------------------------------------------ */

static const char *
cond_text(const Cond *c, char *buf, size_t n)
{
	switch (c->k) {
	case C_HTTP:
		if (c->lo == c->hi)
			snprintf(buf, n, "http %d", c->lo);
		else
			snprintf(buf, n, "http %dxx", c->lo / 100);
		break;
	case C_TIMEOUT: snprintf(buf, n, "timeout"); break;
	case C_NETWORK: snprintf(buf, n, "network"); break;
	case C_INVALID: snprintf(buf, n, "invalid"); break;
	case C_REF:
		snprintf(buf, n, c->entity ? "unresolved %s" : "unresolved", c->entity);
		break;
	}
	return buf;
}

/* Does d handle everything c does?  `unresolved` covers `unresolved E`. */
static int
covers(const Cond *d, const Cond *c)
{
	if (d->k != c->k)
		return 0;
	if (c->k == C_HTTP)
		return d->lo <= c->lo && c->hi <= d->hi;
	if (c->k == C_REF && d->entity)
		return c->entity && strcmp(c->entity, d->entity) == 0;
	return 1;
}

static const Cond *
covering(Stmt *upto, Stmt *b, const Cond *c)
{
	for (Stmt *x = b; x && x != upto; x = x->next) {
		if (x->k != S_ON)
			continue;
		for (const Cond *d = x->conds; d; d = d->next)
			if (covers(d, c))
				return d;
	}
	return NULL;
}

static void
policy(Stmt *st, Stmt *all)
{
	for (Cond *c = st->conds; c; c = c->next) {
		for (Cond *d = st->conds; d != c; d = d->next)
			if (covers(d, c)) {
				diag_err(c->loc, ER_POLICY_UNREACHABLE,
					"this condition is already in the list");
				goto next;
			}
		const Cond *prev = covering(st, all, c);
		if (prev) {
			char b1[160], b2[160];
			diag_err(c->loc, ER_POLICY_UNREACHABLE,
				"policy can never fire: `%s` is already handled by `%s`",
				cond_text(c, b1, sizeof b1), cond_text(prev, b2, sizeof b2));
			diag_note(prev->loc, "handled here first");
		}
		if (st->act.k == A_RETRY && c->k == C_INVALID)
			diag_err(c->loc, ER_RETRY_INVALID, "an invalid record fails the same way every time: "
				"retrying cannot help (use dead_letter or skip)");
		if (st->act.k == A_RETRY && st->act.after_header && c->k != C_HTTP)
			diag_err(c->loc, ER_AFTER_HEADER, "only HTTP responses carry a Retry-After header");
		if (c->k == C_HTTP && c->hi < 400)
			diag_err(c->loc, ER_NOT_FAILURE, "HTTP %d is not a failure", c->lo);
	next:;
	}
	if (st->act.k == A_RETRY && st->act.has_then && st->act.then == A_RETRY)
		unreachable();
}

static void
body(ObjDef *tgt, Stmt *b, Scope *s, Loc at, int top)
{
	/* Each body gets its own number, so that "mapped twice" is one pass. */
	static int bodies;
	int me = ++bodies;

	for (Stmt *st = b; st; st = st->next) {
		switch (st->k) {
		case S_ASSIGN: {
			if (st->when) {
				Type *w = expr(st->when, s);
				if (w->k != TY_ERROR && w->k != TY_BOOL)
					diag_err(st->when->loc, ER_NOT_BOOLEAN,
						"`when` needs a boolean, not %s",
						ck_type_name(w));
			}
			FieldDef *f = find_field(tgt, st->name);
			if (!f) {
				const char *hint = suggest_field(tgt, st->name);
				if (hint)
					diag_err(st->name_loc, ER_UNKNOWN_FIELD,
						"`%s` has no field `%s`; did you mean `%s`?",
						target_name(tgt), st->name, hint);
				else
					diag_err(st->name_loc, ER_UNKNOWN_FIELD,
						"`%s` has no field `%s`", target_name(tgt),
						st->name);
				/* Still check the expression, for its own errors. */
				if (st->e->k != E_OBJ && st->e->k != E_ARR && st->e->k != E_FOR)
					expr(st->e, s);
				break;
			}
			st->field = f;
			if (!st->when) {
				if (f->seen_in == me && f->seen_at) {
					diag_warn(st->name_loc, WR_MAPPED_TWICE,
						"`%s` is mapped twice; the last one wins",
						f->name);
					diag_note(f->seen_at->name_loc, "first mapped here");
				}
				f->seen_in = me;
				f->seen_at = st;
			}
			assign(f, st->e, s);
			break;
		}
		case S_CHECK: {
			Type *t = expr(st->e, s);
			if (st->tol) {
				Type *tt = expr(st->tol, s);
				if (st->e->k != E_BIN || st->e->op != TK_EQ)
					diag_err(st->e->loc, ER_WITHIN,
						"`within` goes with an `==` comparison");
				else if (t->k != TY_ERROR &&
					 (!numeric(st->e->a->ty) || !numeric(st->e->b->ty)))
					diag_err(st->e->loc, ER_WITHIN, "`within` compares numbers");
				if (tt->k != TY_ERROR && !numeric(tt))
					diag_err(st->tol->loc, ER_WITHIN, "a tolerance is a number, not %s",
						ck_type_name(tt));
			} else if (t->k != TY_ERROR && t->k != TY_BOOL) {
				diag_err(st->e->loc, ER_NOT_BOOLEAN,
					"`check` needs a boolean, not %s", ck_type_name(t));
			}
			break;
		}
		case S_MATCH: {
			if (!top) {
				diag_err(st->loc, ER_PLACEMENT, "`match` belongs at the top of an entity");
				break;
			}
			FieldDef *f = find_field(tgt, st->name);
			if (!f) {
				unknown(st->name_loc, "field", st->name, suggest_field(tgt, st->name));
				break;
			}
			st->field = f;
			for (Stmt *p = b; p != st; p = p->next) {
				if (p->k == S_MATCH) {
					diag_err(st->loc, ER_TWO_MATCH, "an entity has one `match`");
					break;
				}
			}
			Type *t = expr(st->e, s);
			if (!scalar(f->ty))
				diag_err(st->name_loc, ER_MATCH_FIELD,
					"`match` compares a plain field, and `%s` is %s",
					f->name, ck_type_name(f->ty));
			else if (!assignable(f->ty, t))
				diag_err(st->e->loc, ER_MATCH_FIELD,
					"cannot match %s against `%s`, which is %s",
					ck_type_name(t), f->name, ck_type_name(f->ty));
			break;
		}
		case S_ON:
			if (!top) {
				diag_err(st->loc, ER_PLACEMENT,
					"`on` policies belong at the top of an entity");
				break;
			}
			policy(st, b);
			break;
		case S_LIFECYCLE:
		case S_LOCKED:
			/* checked with the whole entity: life_check() */
			if (!top)
				diag_err(st->loc, ER_PLACEMENT, "`%s` belongs at the top of an entity",
					st->k == S_LOCKED ? "locked" : "lifecycle");
			break;
		}
	}
	for (FieldDef *f = tgt->fields; f; f = f->next) {
		if (!f->required)
			continue;
		int mapped = 0;
		for (Stmt *st = b; st; st = st->next)
			mapped |= st->k == S_ASSIGN && st->field == f;
		if (!mapped) {
			diag_err(at, ER_REQUIRED_MISSING,
				"required field `%s` of `%s` is not mapped", f->name,
				target_name(tgt));
			diag_note(f->loc, "`%s` is declared required here", f->name);
		}
	}
}

/* ------------------------------------------------------------------ */
/* tables                                                              */
/* ------------------------------------------------------------------ */

/* By key, then by position in the file. */
static int
entry_order(const void *x, const void *y)
{
	const Entry *a = *(const Entry *const *)x, *b = *(const Entry *const *)y;
	int c = strcmp(a->key, b->key);
	if (c)
		return c;
	if (a->loc.line != b->loc.line)
		return a->loc.line < b->loc.line ? -1 : 1;
	return a->loc.col < b->loc.col ? -1 : a->loc.col > b->loc.col;
}

static void
check_table(Table *t)
{
	Type *vt = NULL;
	/* Duplicate keys: sort a copy (stable by position) and compare
	 * neighbours, so that a 100,000-entry SKU table stays fast. */
	int n = 0;
	for (Entry *e = t->entries; e; e = e->next)
		n++;
	Entry **v = ar_alloc(sizeof *v * (size_t)(n + 1));
	n = 0;
	for (Entry *e = t->entries; e; e = e->next)
		v[n++] = e;
	qsort(v, (size_t)n, sizeof *v, entry_order);
	t->int_keys = n > 0 && t->entries->is_int;
	for (Entry *e = t->entries; e; e = e->next) {
		if (e->is_int != t->int_keys) {
			diag_err(e->loc, ER_TABLE_KEY_MIX,
				"table `%s` mixes string and integer keys", t->name);
			diag_note(t->entries->loc, "the first key is %s", t->int_keys ? "an integer"
				: "a string");
			break;
		}
	}
	for (int i = 1; i < n; i++) {
		if (strcmp(v[i - 1]->key, v[i]->key) == 0) {
			diag_err(v[i]->loc, ER_TABLE_DUP_KEY,
				"duplicate key \"%s\" in table `%s`", v[i]->key, t->name);
			diag_note(v[i - 1]->loc, "\"%s\" first appears here", v[i]->key);
		}
	}
	Expr *vals[2] = { NULL, t->else_val };
	for (Entry *e = t->entries;; e = e->next) {
		Expr *v = e ? e->val : vals[1];
		if (v) {
			Type *x = expr(v, NULL);
			if (!vt) {
				vt = x;
			} else {
				Type *u = unify(vt, x);
				if (!u) {
					diag_err(v->loc, ER_TABLE_VALUE_MIX,
						"table `%s` has values of two types: %s and %s",
						t->name, ck_type_name(vt), ck_type_name(x));
					vt = &t_error;
				} else {
					vt = u;
				}
			}
		}
		if (!e)
			break;
	}
	if (!t->entries && !t->has_else)
		diag_err(t->loc, ER_TABLE_EMPTY, "table `%s` is empty", t->name);
	t->vty = vt ? vt : &t_null;
	if (t->kind != T_TABLE && vt && vt->k != TY_STRING && vt->k != TY_NULL &&
	    vt->k != TY_ERROR) {
		diag_err(t->loc, ER_TABLE_NOT_STRINGS, "a %s maps to strings, not %s",
			t->kind == T_TRACKING ? "tracking category" : "dimension", ck_type_name(vt));
		t->vty = &t_error; /* reported once, here, not again where it is used */
	}
}

/* ------------------------------------------------------------------ */
/* entities                                                            */
/* ------------------------------------------------------------------ */

static Coll *
find_coll(Service *s, const char *name)
{
	for (Coll *c = s->colls; c; c = c->next)
		if (c->name == name)
			return c;
	return NULL;
}

static Endpoint *
endpoint_named(const char *alias, Loc at)
{
	Pair *p = prog->pair;
	if (!p)
		return NULL;
	for (Endpoint *e = p->eps; e; e = e->next)
		if (!e->is_currency && e->alias == alias)
			return e;
	const char *cand[2];
	int n = 0;
	for (Endpoint *e = p->eps; e && n < 2; e = e->next)
		if (!e->is_currency)
			cand[n++] = e->alias;
	unknown(at, "service", alias, diag_suggest(alias, cand, n));
	return NULL;
}

static void life_check(Entity *en, Scope *root);
static void wins_words(Stmt *st, Entity *en);
static void two_way(void);

/* May documents of type `type` be written to s?  When s says what its
 * connector can do (some collection with a capability list), one of the
 * collections of that object must be (write); a schema that says nothing
 * (written by hand for a test) is taken to allow it. */
static int
writable(const Service *s, const char *type)
{
	int said = 0;
	for (const Coll *c = s->colls; c; c = c->next) {
		said |= c->caps_given;
		if (c->type_name == type && (c->can & CAN_WRITE))
			return 1;
	}
	return !said;
}

/* `on unresolved E`: E is an entity this one refs (its deps are known once
 * its body is checked). */
static void
unresolved_of(Entity *en)
{
	for (const Stmt *st = en->body; st; st = st->next) {
		if (st->k != S_ON)
			continue;
		for (const Cond *c = st->conds; c; c = c->next) {
			if (c->k != C_REF || !c->entity)
				continue;
			Entity *r = find_entity(c->entity);
			int seen = 0;
			for (int i = 0; r && i < en->ndeps; i++)
				seen |= en->deps[i] == r;
			if (!r)
				unknown(c->eloc, "entity", c->entity,
					suggest_decl(D_ENTITY, c->entity, -1));
			else if (!seen)
				diag_err(c->eloc, ER_UNRESOLVED_OF,
					"`%s` never refs `%s`: no reference to it can be unresolved",
					en->name, r->name);
		}
	}
}

static void group_check(Entity *en, Scope *root);

static void
check_entity(Entity *en)
{
	cx.ent = en;
	cx.nhelper = 0;
	cx.nvar = 0;
	for (Decl *d = prog->decls; d; d = d->next) {
		if (d->k == D_ENTITY && d->u.ent == en)
			break;
		if (d->k == D_ENTITY && d->u.ent->name == en->name) {
			diag_err(en->loc, ER_DUPLICATE, "entity `%s` is declared twice", en->name);
			diag_note(d->u.ent->loc, "first declared here");
			break;
		}
	}
	en->src_ep = endpoint_named(en->src_alias, en->src_loc);
	en->tgt_ep = endpoint_named(en->tgt_alias, en->tgt_loc);
	if (en->src_ep && en->tgt_ep && en->src_ep == en->tgt_ep)
		diag_err(en->tgt_loc, ER_ENTITY_DIRECTION,
			"an entity maps from one service of the pair to the other");
	else if (en->src_ep && en->tgt_ep && en->src_ep == prog->pair->tgt)
		en->reverse = 1; /* the books into the store: the same engine, the other way */
	if (en->src_ep && en->src_ep->svc) {
		Coll *c = find_coll(en->src_ep->svc, en->src_coll);
		if (c && !(c->can & CAN_LIST))
			diag_err(en->coll_loc, ER_CANNOT, "the %s connector cannot list `%s`: %s declares "
				"it (write) only, so `%s` could never read a record", en->src_ep->svc->name,
				en->src_coll, c->loc.file->name, en->name);
		if (!c) {
			const char *cand[MAXCAND];
			int n = 0;
			for (Coll *x = en->src_ep->svc->colls; x && n < MAXCAND; x = x->next)
				cand[n++] = x->name;
			unknown(en->coll_loc, "collection", en->src_coll,
				diag_suggest(en->src_coll, cand, n));
		} else {
			en->src = c->obj;
		}
	}
	if (en->tgt_ep && en->tgt_ep->svc) {
		en->tgt = find_obj(en->tgt_ep->svc, en->tgt_type);
		if (en->tgt && !writable(en->tgt_ep->svc, en->tgt_type))
			diag_err(en->type_loc, ER_CANNOT, "the %s connector cannot write `%s`: no "
				"collection of it in %s is declared (write)", en->tgt_ep->svc->name,
				en->tgt_type, en->tgt->loc.file->name);
		if (!en->tgt) {
			const char *cand[MAXCAND];
			int n = 0;
			for (ObjDef *x = en->tgt_ep->svc->objs; x && n < MAXCAND; x = x->next)
				cand[n++] = x->name;
			unknown(en->type_loc, "object", en->tgt_type, diag_suggest(en->tgt_type, cand, n));
		}
	}
	for (Trigger *t = en->triggers; t; t = t->next)
		if (t->is_poll && t->every_ms >= 0 && t->every_ms < 1000)
			diag_err(t->loc, ER_POLL_TOO_OFTEN,
				"polling more often than every second would exhaust the "
				"service's rate limits");
	if (!en->src)
		return;
	Scope root = { NULL, en->src, "r", 0, NULL };
	Type *kt = expr(en->key, &root);
	if (kt->k != TY_ERROR && kt->k != TY_STRING && kt->k != TY_INT)
		diag_err(en->key->loc, ER_KEY_TYPE,
			"a key is a string or an integer, not %s", ck_type_name(kt));
	if (en->filter) {
		Type *w = expr(en->filter, &root);
		if (w->k != TY_ERROR && w->k != TY_BOOL)
			diag_err(en->filter->loc, ER_NOT_BOOLEAN,
				"`when` needs a boolean, not %s", ck_type_name(w));
	}
	if (en->tgt)
		body(en->tgt, en->body, &root, en->loc, 1);
	life_check(en, &root);
	unresolved_of(en);
	group_check(en, &root);
}

/* ------------------------------------------------------------------ */
/* aggregate entities: `group by KEY total FIELD`                      */
/* ------------------------------------------------------------------ */

static int
has_ref(const Expr *e)
{
	if (!e)
		return 0;
	if (e->k == E_REF || has_ref(e->a) || has_ref(e->b) || has_ref(e->c) || has_ref(e->when))
		return 1;
	for (const Expr *x = e->args; x; x = x->next)
		if (has_ref(x))
			return 1;
	for (const Stmt *st = e->body; st; st = st->next)
		if (has_ref(st->e) || has_ref(st->when))
			return 1;
	return 0;
}

/* The records of one group key make one document: the key is a plain
 * value of the record (no ref: the engine groups before it maps), the
 * `total` a number field of the elements of one of the target's arrays
 * (the lines the members' amounts are summed on), and the document has
 * no per-record lifecycle, lock or natural key to adopt by. */
static void
group_check(Entity *en, Scope *root)
{
	GroupBy *g = en->group;
	if (!g)
		return;
	Type *kt = expr(g->key, root);
	if (kt->k != TY_ERROR && kt->k != TY_STRING && kt->k != TY_INT && kt->k != TY_DEC &&
	    kt->k != TY_DATE && kt->k != TY_DATETIME)
		diag_err(g->key->loc, ER_GROUP_KEY, "a group key is text, a number or a date, "
			"not %s", ck_type_name(kt));
	if (has_ref(g->key))
		diag_err(g->key->loc, ER_GROUP_KEY_REF, "a group key may not read a `ref`: the "
			"records are grouped before they are mapped");
	for (const Stmt *st = en->body; st; st = st->next) {
		if (st->k == S_MATCH || st->k == S_LIFECYCLE || st->k == S_LOCKED)
			diag_err(st->loc, ER_GROUP_STMT, "`%s` in the grouped entity `%s`: its "
				"document is its group's, not one record's", st->k == S_MATCH ? "match" :
				st->k == S_LIFECYCLE ? "lifecycle" : "locked", en->name);
		else if ((st->k == S_ASSIGN || st->k == S_CHECK) &&
		    (has_ref(st->e) || has_ref(st->when)))
			diag_err(st->loc, ER_GROUP_KEY_REF, "a `ref` in the grouped entity `%s`: its "
				"members are kept as mapped, before what they ref is written", en->name);
	}
	for (const Trigger *t = en->triggers; t; t = t->next)
		if (!t->is_poll)
			diag_err(t->loc, ER_GROUP_STMT, "`on webhook` of the grouped entity `%s`: a "
				"group is made when the entity is polled, from all its members", en->name);
	if (!en->tgt || !g->total)
		return; /* no `total`: the group's document is its first member's */
	const char *cand[MAXCAND];
	int n = 0;
	for (FieldDef *f = en->tgt->fields; f; f = f->next) {
		if (!f->ty || f->ty->k != TY_ARR || !f->ty->elem || f->ty->elem->k != TY_OBJ ||
		    !f->ty->elem->obj)
			continue;
		FieldDef *t = find_field(f->ty->elem->obj, g->total);
		if (t && t->ty && (t->ty->k == TY_MONEY || t->ty->k == TY_DEC || t->ty->k == TY_INT)) {
			g->array = f->name;
			g->elem = f->ty->elem->obj->name;
			return;
		}
		for (FieldDef *x = f->ty->elem->obj->fields; x && n < MAXCAND; x = x->next)
			if (x->ty && (x->ty->k == TY_MONEY || x->ty->k == TY_DEC || x->ty->k == TY_INT))
				cand[n++] = x->name;
	}
	const char *near = diag_suggest(g->total, cand, n);
	diag_err(g->total_loc, ER_GROUP_TOTAL, "`total %s`: no array of %s has elements with a "
		"number field `%s`%s%s%s", g->total, en->tgt_type, g->total, near ? "; did you mean `" :
		"", near ? near : "", near ? "`?" : "");
}

/* Two expressions written alike: the same operators, names and literals. */
static int
same_expr(const Expr *a, const Expr *b)
{
	if (!a || !b)
		return a == b;
	if (a->k != b->k || a->op != b->op || a->n != b->n || !a->s != !b->s ||
	    (a->s && strcmp(a->s, b->s) != 0) || a->body || b->body)
		return 0;
	const StrList *x = a->path, *y = b->path;
	for (; x && y; x = x->next, y = y->next)
		if (strcmp(x->s, y->s) != 0)
			return 0;
	if (x || y || !same_expr(a->a, b->a) || !same_expr(a->b, b->b) || !same_expr(a->c, b->c))
		return 0;
	const Expr *p = a->args, *q = b->args;
	for (; p && q; p = p->next, q = q->next)
		if (!same_expr(p, q))
			return 0;
	return !p && !q;
}

/* A document of a grouped entity stands for a group: a `ref` names it by
 * its group key, made of the record by the same expression, in an entity
 * of the same collection, so that the record is one of the group's
 * members and the group is written (its entity first) before the ref is
 * resolved.  ref is the E_REF, en its entity. */
static void
group_ref(const Entity *en, const Expr *ref)
{
	const Entity *g = ref->ref;
	if (!g || !g->group)
		return;
	if (!strcmp(en->src_alias, g->src_alias) && !strcmp(en->src_coll, g->src_coll) &&
	    same_expr(ref->a, g->group->key))
		return;
	diag_err(ref->loc, ER_GROUP_REF, "`ref %s`: %s is grouped (`group by`): a ref names one "
		"of its groups by the group key, in an entity of %s.%s", g->name, g->name,
		g->src_alias, g->src_coll);
	diag_note(g->group->loc, "`%s` is grouped here: a ref names its group with this key",
		g->name);
}

/* ------------------------------------------------------------------ */
/* fields written in both directions                                   */
/* ------------------------------------------------------------------ */

static int reads_root_stmts(const Stmt *st, const char *name);
static int same_path(const Expr *a, const Expr *b);

/* Does e read the field `name` of the record itself (not of an element)? */
static int
reads_root(const Expr *e, const char *name)
{
	if (!e)
		return 0;
	if (e->k == E_PATH && e->bind == 0 && e->path && e->path->s == name)
		return 1;
	if (reads_root(e->a, name) || reads_root(e->b, name) || reads_root(e->c, name) ||
	    reads_root(e->when, name) || reads_root_stmts(e->body, name))
		return 1;
	for (const Expr *x = e->args; x; x = x->next) /* arguments, elements */
		if (reads_root(x, name))
			return 1;
	return 0;
}

static int
reads_root_stmts(const Stmt *st, const char *name)
{
	for (; st; st = st->next)
		if ((st->k == S_ASSIGN && (reads_root(st->e, name) || reads_root(st->when, name))))
			return 1;
	return 0;
}

/* `wins W` on every assignment of en: W is a side of the pair; the
 * direction that writes into the winning side loses, and sends the field
 * only when it creates the document. */
static void
wins_words(Stmt *st, Entity *en)
{
	for (; st; st = st->next) {
		if (st->k != S_ASSIGN)
			continue;
		if (st->e && st->e->body)
			wins_words(st->e->body, en);
		if (!st->wins)
			continue;
		if (strcmp(st->wins, "source") != 0 && strcmp(st->wins, "target") != 0) {
			diag_err(st->wins_loc, ER_WINS, "`wins %s`: the side whose value stands is "
				"`source` or `target` (the pair's)", st->wins);
			continue;
		}
		if (strcmp(st->wins, en->reverse ? "source" : "target") == 0)
			st->create_only = en->create_only = 1;
	}
}

/* Assignment a of the forward entity f and b of the reverse entity r: when
 * each writes the field the other reads (stock kept in the store and in the
 * books), a rule on either says whose value stands; the loser sends the
 * field only when it creates its document. */
static void
two_way_field(Entity *f, Stmt *a, Entity *r, Stmt *b)
{
	if (!reads_root(a->e, b->name) || !reads_root(b->e, a->name))
		return;
	/* the key each side is found by is one identity, not a value */
	if (same_path(a->e, f->key) || same_path(b->e, r->key))
		return;
	if (!a->wins && !b->wins) {
		diag_err(a->name_loc, ER_TWO_WAY, "`%s` is written in both directions: `%s` writes "
			"it from `%s`, `%s` (line %d) writes `%s` from it; say whose value stands "
			"with `wins source` or `wins target`", a->name, f->name, b->name, r->name,
			b->loc.line, b->name);
		return;
	}
	if (a->wins && b->wins && strcmp(a->wins, b->wins) != 0) {
		diag_err(b->wins_loc, ER_WINS, "`wins %s` disagrees with `wins %s` on `%s` (line "
			"%d), the same value the other way", b->wins, a->wins, a->name, a->loc.line);
		return;
	}
	/* the rule given on one side holds for the other */
	const char *w = a->wins ? a->wins : b->wins;
	if (!strcmp(w, "target"))
		a->create_only = f->create_only = 1;
	else if (!strcmp(w, "source"))
		b->create_only = r->create_only = 1;
}

static void
two_way(void)
{
	for (Decl *d = prog->decls; d; d = d->next) {
		Entity *f = d->k == D_ENTITY ? d->u.ent : NULL;
		if (!f || f->reverse || !f->tgt)
			continue;
		for (Decl *e = prog->decls; e; e = e->next) {
			Entity *r = e->k == D_ENTITY ? e->u.ent : NULL;
			if (!r || !r->reverse || r->src != f->tgt)
				continue;
			for (Stmt *a = f->body; a; a = a->next)
				for (Stmt *b = r->body; b && a->k == S_ASSIGN; b = b->next)
					if (b->k == S_ASSIGN)
						two_way_field(f, a, r, b);
		}
	}
}

/* ------------------------------------------------------------------ */
/* lifecycle                                                           */
/* ------------------------------------------------------------------ */

static int
same_path(const Expr *a, const Expr *b)
{
	if (a->k != E_PATH || b->k != E_PATH || a->bind != b->bind)
		return 0;
	const StrList *x = a->path, *y = b->path;
	for (; x && y; x = x->next, y = y->next)
		if (strcmp(x->s, y->s) != 0)
			return 0;
	return !x && !y;
}

static Table *life_stmts(const Stmt *st, const Expr *path);

/* The table looked up with `path` as its key somewhere in e: the status
 * table whose keys a lifecycle on that field must cover. */
static Table *
life_table(const Expr *e, const Expr *path)
{
	Table *t = NULL;
	for (; e && !t; e = e->next) {
		if (e->k == E_LOOKUP && e->table && e->table->kind == T_TABLE && e->a &&
		    same_path(e->a, path))
			return e->table;
		if (e->a && !t)
			t = life_table(e->a, path);
		if (e->b && !t)
			t = life_table(e->b, path);
		if (e->c && !t)
			t = life_table(e->c, path);
		if (e->args && !t)
			t = life_table(e->args, path);
		if (e->when && !t)
			t = life_table(e->when, path);
		if (e->body && !t)
			t = life_stmts(e->body, path);
		if (e->k != E_ARR && e->k != E_CALL)
			break; /* only lists continue with next */
	}
	return t;
}

static Table *
life_stmts(const Stmt *st, const Expr *path)
{
	Table *t = NULL;
	for (; st && !t; st = st->next) {
		if (st->k != S_ASSIGN && st->k != S_CHECK)
			continue;
		t = life_table(st->e, path);
		if (!t && st->when)
			t = life_table(st->when, path);
	}
	return t;
}

/* A key of the lifecycle st given before k (in an earlier arm, or earlier
 * in k's own arm) with the same value, or NULL. */
static Entry *
life_key_before(const Stmt *st, const LifeArm *arm, const Entry *k)
{
	for (const LifeArm *o = st->arms; o; o = o->next)
		for (Entry *ok = o->keys; ok; ok = ok->next) {
			if (o == arm && ok == k)
				return NULL;
			if (strcmp(ok->key, k->key) == 0)
				return ok;
		}
	return NULL;
}

static void
life_act(LifeAct *a, Scope *s)
{
	if (!a)
		return;
	if (a->k == L_IF) {
		Type *t = expr(a->cond, s);
		if (t->k != TY_ERROR && t->k != TY_BOOL)
			diag_err(a->cond->loc, ER_NOT_BOOLEAN, "`if` needs a boolean, not %s",
				ck_type_name(t));
		life_act(a->a, s);
		life_act(a->b, s);
	}
}

/* The lifecycle of en: every status of the table that maps the same field
 * has exactly one action (or there is an `else`), every key is one of its
 * statuses; the conditions are booleans.  `credit by` is checked once all
 * entities are (life_credits), since it reads another entity's refs. */
static void
life_check(Entity *en, Scope *root)
{
	Stmt *life = NULL, *locked = NULL;
	for (Stmt *st = en->body; st; st = st->next) {
		if (st->k != S_LIFECYCLE && st->k != S_LOCKED)
			continue;
		Stmt **first = st->k == S_LIFECYCLE ? &life : &locked;
		if (*first) {
			diag_err(st->loc, ER_LIFE_TWICE, "an entity has one `%s`",
				st->k == S_LIFECYCLE ? "lifecycle" : "locked");
			diag_note((*first)->loc, "the first one is here");
			continue;
		}
		*first = st;
		Type *t = expr(st->e, root);
		if (st->k == S_LOCKED) {
			if (t->k != TY_ERROR && t->k != TY_BOOL)
				diag_err(st->e->loc, ER_NOT_BOOLEAN,
					"`locked when` needs a boolean, not %s", ck_type_name(t));
			continue;
		}
		if (t->k != TY_ERROR && t->k != TY_STRING && t->k != TY_INT) {
			diag_err(st->e->loc, ER_KEY_TYPE,
				"a lifecycle is keyed by a string or an integer field, not %s",
				ck_type_name(t));
			t = &t_error;
		}
		Table *tb = life_stmts(en->body, st->e);
		st->life_table = tb;
		LifeArm *els = NULL;
		for (LifeArm *arm = st->arms; arm; arm = arm->next) {
			life_act(arm->act, root);
			if (arm->is_else) {
				if (els) {
					diag_err(arm->loc, ER_LIFE_TWICE, "a lifecycle has one `else`");
					diag_note(els->loc, "the first `else` is here");
				}
				els = arm;
				continue;
			}
			for (Entry *k = arm->keys; k; k = k->next) {
				if (t->k != TY_ERROR && k->is_int != (t->k == TY_INT))
					diag_err(k->loc, ER_LIFE_KEY, "`%s` is %s, and this key is not",
						ps_path_text(st->e->path), ck_type_name(t));
				else if (tb && !table_has(tb, k->key))
					diag_err(k->loc, ER_LIFE_KEY,
						"%s%s%s is not a status of table `%s`, which maps `%s`",
						k->is_int ? "" : "\"", k->key, k->is_int ? "" : "\"",
						tb->name, ps_path_text(st->e->path));
				Entry *dup = life_key_before(st, arm, k);
				if (dup) {
					diag_err(k->loc, ER_LIFE_KEY, "%s%s%s has two actions",
						k->is_int ? "" : "\"", k->key, k->is_int ? "" : "\"");
					diag_note(dup->loc, "the first is here");
				}
			}
		}
		if (els || t->k == TY_ERROR)
			continue;
		if (!tb) {
			diag_err(st->e->loc, ER_LIFE_NOT_EXHAUSTIVE,
				"no status table maps `%s` in `%s`, so it can hold values the "
				"lifecycle does not list: add `else => ACTION`", ps_path_text(st->e->path),
				en->name);
			continue;
		}
		for (Entry *k = tb->entries; k; k = k->next) {
			int found = 0;
			for (LifeArm *arm = st->arms; arm && !found; arm = arm->next)
				for (Entry *lk = arm->keys; lk && !found; lk = lk->next)
					found = strcmp(lk->key, k->key) == 0;
			if (!found) {
				diag_err(st->loc, ER_LIFE_NOT_EXHAUSTIVE,
					"the lifecycle has no action for %s%s%s, a status of table `%s`",
					k->is_int ? "" : "\"", k->key, k->is_int ? "" : "\"", tb->name);
				diag_note(k->loc, "the status is here");
				break;
			}
		}
		if (tb->has_else && !tb->else_fail)
			diag_err(st->loc, ER_LIFE_NOT_EXHAUSTIVE,
				"table `%s` maps statuses it does not list (`else =>` a value): "
				"the lifecycle needs `else => ACTION` too", tb->name);
	}
}

static void
life_credit(Entity *en, LifeAct *a)
{
	if (!a)
		return;
	if (a->k == L_IF) {
		life_credit(en, a->a);
		life_credit(en, a->b);
		return;
	}
	if (a->k != L_CREDIT)
		return;
	Entity *c = find_entity(a->entity);
	if (!c) {
		unknown(a->ent_loc, "entity", a->entity, suggest_decl(D_ENTITY, a->entity, -1));
		return;
	}
	a->credit = c;
	for (int i = 0; i < c->ndeps; i++)
		if (c->deps[i] == en)
			return;
	diag_err(a->ent_loc, ER_LIFE_CREDIT,
		"`%s` does not `ref %s(...)`, so its documents cannot be allocated to the one "
		"this lifecycle keeps", c->name, en->name);
	diag_note(c->loc, "`%s` is declared here", c->name);
}

static void
life_credits(Entity *en)
{
	for (Stmt *st = en->body; st; st = st->next)
		if (st->k == S_LIFECYCLE)
			for (LifeArm *arm = st->arms; arm; arm = arm->next)
				life_credit(en, arm->act);
}

/* Depth-first search for cycles between entities; on the way out, the
 * entities land in dependency order (referenced ones first). */
static int
visit(Entity *e, Entity **stack, int depth)
{
	if (e->mark == 2)
		return 1;
	if (e->mark == 1) {
		int i = depth - 1;
		while (i > 0 && stack[i] != e)
			i--;
		Buf b = { 0 };
		for (int j = i; j < depth; j++)
			buf_printf(&b, "%s -> ", stack[j]->name);
		buf_printf(&b, "%s", e->name);
		Entity *from = stack[depth - 1];
		Loc at = from->loc;
		for (int k = 0; k < from->ndeps; k++)
			if (from->deps[k] == e)
				at = from->dep_at[k]->loc;
		diag_err(at, ER_CYCLE, "entities reference each other in a cycle: %s", b.p);
		buf_free(&b);
		return 0;
	}
	e->mark = 1;
	stack[depth] = e;
	for (int i = 0; i < e->ndeps; i++)
		if (!visit(e->deps[i], stack, depth + 1))
			return 0;
	e->mark = 2;
	prog->order[prog->nent++] = e;
	return 1;
}

void
ck_check(Program *p)
{
	prog = p;
	for (Decl *d = p->decls; d; d = d->next) {
		if (d->k == D_SERVICE) {
			for (Decl *e = p->decls; e != d; e = e->next) {
				if (e->k == D_SERVICE && e->u.svc->name == d->u.svc->name) {
					diag_err(d->u.svc->loc, ER_DUPLICATE,
						"service `%s` is declared twice",
						d->u.svc->name);
					diag_note(e->u.svc->loc, "first declared here");
					break;
				}
			}
			check_service(d->u.svc);
		}
	}
	check_pair();
	for (Decl *d = p->decls; d; d = d->next) {
		if (d->k != D_TABLE)
			continue;
		for (Decl *e = p->decls; e != d; e = e->next) {
			if (e->k == D_TABLE && e->u.table->name == d->u.table->name) {
				diag_err(d->u.table->loc, ER_DUPLICATE,
					"table `%s` is declared twice", d->u.table->name);
				diag_note(e->u.table->loc, "first declared here");
				d->u.table->used = 1; /* one error for it is enough */
				break;
			}
		}
		check_table(d->u.table);
	}
	int n = 0;
	for (Decl *d = p->decls; d; d = d->next)
		if (d->k == D_ENTITY) {
			check_entity(d->u.ent);
			n++;
		}
	for (Decl *d = p->decls; d; d = d->next)
		if (d->k == D_ENTITY)
			life_credits(d->u.ent);
	for (Decl *d = p->decls; d; d = d->next)
		if (d->k == D_ENTITY)
			wins_words(d->u.ent->body, d->u.ent);
	two_way();
	p->order = ar_alloc(sizeof *p->order * (size_t)(n + 1));
	Entity **stack = ar_alloc(sizeof *stack * (size_t)(n + 1));
	for (Decl *d = p->decls; d; d = d->next)
		if (d->k == D_ENTITY && !visit(d->u.ent, stack, 0))
			break;
	for (Decl *d = p->decls; d; d = d->next)
		if (d->k == D_TABLE && !d->u.table->used && !d->u.table->loc.file->is_schema &&
		    diag_errors == 0)
			diag_warn(d->u.table->loc, WR_UNUSED_TABLE,
				"table `%s` is never used", d->u.table->name);
}

/* ------------------------------------------------------------------ */
/* --dump=ast                                                          */
/* ------------------------------------------------------------------ */

static void
dump_expr(const Expr *e, FILE *out)
{
	static const char *const kinds[] = {
		"str", "int", "dec", "bool", "null", "path", "bin", "neg", "not", "if", "call",
		"lookup", "ref", "obj", "arr", "for",
	};
	fprintf(out, "(%s", kinds[e->k]);
	if (e->k == E_PATH)
		for (StrList *s = e->path; s; s = s->next)
			fprintf(out, " %s", s->s);
	else if (e->k == E_BIN)
		fprintf(out, " %s", lx_token_name(e->op));
	else if (e->s)
		fprintf(out, " \"%s\"", e->s);
	if (e->a) { fputc(' ', out); dump_expr(e->a, out); }
	if (e->b) { fputc(' ', out); dump_expr(e->b, out); }
	if (e->c) { fputc(' ', out); dump_expr(e->c, out); }
	for (const Expr *a = e->args; a; a = a->next) {
		fputc(' ', out);
		dump_expr(a, out);
	}
	if (e->body)
		fputs(" {...}", out);
	fputc(')', out);
}

void
ck_dump_ast(const Program *p, FILE *out)
{
	for (const Decl *d = p->decls; d; d = d->next) {
		switch (d->k) {
		case D_SERVICE:
			fprintf(out, "service %s\n", d->u.svc->name);
			for (ObjDef *o = d->u.svc->objs; o; o = o->next) {
				fprintf(out, "  object %s\n", o->name);
				for (FieldDef *f = o->fields; f; f = f->next)
					fprintf(out, "    %s: %s%s\n", f->name,
						f->ty->name ? f->ty->name : "[..]",
						f->required ? " required" : "");
			}
			break;
		case D_PAIR:
			fprintf(out, "pair %s\n", d->u.pair->name);
			break;
		case D_TABLE:
			fprintf(out, "table %s\n", d->u.table->name);
			for (Entry *e = d->u.table->entries; e; e = e->next) {
				fprintf(out, "  \"%s\" => ", e->key);
				dump_expr(e->val, out);
				fputc('\n', out);
			}
			break;
		case D_ENTITY:
			fprintf(out, "entity %s: %s.%s -> %s.%s\n", d->u.ent->name, d->u.ent->src_alias,
				d->u.ent->src_coll, d->u.ent->tgt_alias, d->u.ent->tgt_type);
			for (Stmt *s = d->u.ent->body; s; s = s->next) {
				fprintf(out, "  %d:%s ", s->loc.line, s->name ? s->name : "-");
				if (s->e)
					dump_expr(s->e, out);
				fputc('\n', out);
			}
			break;
		}
	}
}
