/*
 * mapc.h - the compiler's private header.
 *
 * One section per file, in pipeline order: the arena and interned names
 * (arena.c), diagnostics (diag.c), tokens and the lexer (grammar/lexer.re),
 * the AST, the parser glue (parse.c, grammar/parser.y), the checker
 * (check.c) and the C code generator (codegen.c).  main.c is the driver.
 *
 * Memory: everything a compilation allocates (file texts, tokens, AST,
 * symbols, interned names) comes from one arena freed in one call.  Out of
 * memory aborts the compiler: it is a short-lived tool with its input on
 * disk, and there is nothing useful to recover.
 */
#ifndef MAPC_H
#define MAPC_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ------------------------------------------------------------------ */
/* arena.c: the compilation arena, interned names, growable buffers    */
/* ------------------------------------------------------------------ */

void *ar_alloc(size_t n);                 /* zeroed; aborts on OOM */
char *ar_strndup(const char *s, size_t n);
const char *ar_intern(const char *s, size_t n); /* equal names, equal pointers */
void ar_free_all(void);

typedef struct {
	char *p;
	size_t len, cap;
} Buf;
void buf_put(Buf *b, const char *s, size_t n);
void buf_puts(Buf *b, const char *s);
void buf_printf(Buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_free(Buf *b);

#define unreachable() \
	(fprintf(stderr, "mapc: internal error at %s:%d\n", __FILE__, __LINE__), abort())

/* ------------------------------------------------------------------ */
/* diag.c: diagnostics as gcc prints them                              */
/* ------------------------------------------------------------------ */

typedef struct SrcFile {
	const char *name; /* as given on the command line or found on the path */
	const char *text; /* NUL-terminated copy of the file */
	size_t len;
	int is_schema;
} SrcFile;

typedef struct {
	const SrcFile *file;
	int line, col, len; /* 1-based line and column (in bytes); len in bytes */
} Loc;

extern int diag_errors, diag_warnings;
extern int diag_werror; /* --Werror: warnings count as errors */
void diag_error(Loc at, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void diag_warning(Loc at, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void diag_note(Loc at, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The closest of n candidate names to `name`, or NULL if none is close. */
const char *diag_suggest(const char *name, const char *const *cand, int n);

/* ------------------------------------------------------------------ */
/* lexer (grammar/lexer.re)                                            */
/* ------------------------------------------------------------------ */

typedef struct {
	int type;         /* a TK_ code from parser.h, 0 at the end */
	Loc loc;
	const char *s;    /* identifiers: interned; strings: decoded; numbers: text */
	size_t n;
} Token;

typedef struct {
	const SrcFile *file;
	const char *cur, *lim, *line_start;
	int line;
} Lexer;

void lx_init(Lexer *lx, const SrcFile *f);
/* The next token; reports lexical errors itself and skips what it cannot
 * read, so the parser only sees real tokens. */
Token lx_next(Lexer *lx);
const char *lx_token_name(int type);

/* ------------------------------------------------------------------ */
/* The AST                                                             */
/* ------------------------------------------------------------------ */

typedef enum {
	TY_ERROR,   /* already reported: silences follow-on errors */
	TY_NULL,    /* the literal null: assignable to anything */
	TY_STRING, TY_INT, TY_DEC, TY_MONEY, TY_BOOL, TY_DATE, TY_DATETIME,
	TY_MAP,     /* string keys, string values */
	TY_OBJ, TY_ARR,
	TY_TRACKING /* a tracking table's value: fills an object tracking(A, B) */
} TypeKind;

typedef struct ObjDef ObjDef;
typedef struct Type {
	TypeKind k;
	ObjDef *obj;       /* TY_OBJ */
	struct Type *elem; /* TY_ARR */
	const char *name;  /* as written in a schema, until resolved */
	Loc loc;
} Type;

typedef struct StrList {
	const char *s;
	Loc loc;
	struct StrList *next;
	void *last; /* parser: the list's last node, kept on its head */
} StrList;

typedef struct FieldDef {
	const char *name;
	Loc loc;
	Type *ty;
	int required, is_key, max;
	StrList *enums;
	int seen_in;        /* checker: the body that last mapped it */
	struct Stmt *seen_at;
	struct FieldDef *next;
	void *last; /* parser: the list's last node, kept on its head */
} FieldDef;

struct ObjDef {
	const char *name;
	Loc loc;
	FieldDef *fields;
	const char *trk_name, *trk_opt; /* tracking(Name, Option) */
	Loc trk_loc;
	struct Service *svc;
	ObjDef *next;
	void *last; /* parser: the list's last node, kept on its head */
};

typedef struct Coll {
	const char *name, *type_name;
	Loc loc, type_loc;
	ObjDef *obj;
	struct Coll *next;
	void *last; /* parser: the list's last node, kept on its head */
} Coll;

typedef struct Service {
	const char *name;
	Loc loc;
	int xml, has_format;
	ObjDef *objs;
	Coll *colls;
} Service;

typedef struct Setting {
	const char *key;
	Loc loc;
	const char *env, *literal;
	struct Setting *next;
	void *last; /* parser: the list's last node, kept on its head */
} Setting;

typedef struct Endpoint {
	int is_source;
	const char *alias, *service;
	Loc loc, service_loc;
	Setting *settings;
	int per_min, per_day, concurrent;
	Service *svc;
	struct Endpoint *next;
	void *last; /* parser: the list's last node, kept on its head */
} Endpoint;

typedef struct Pair {
	const char *name;
	Loc loc;
	Endpoint *eps;
	Endpoint *src, *tgt;
} Pair;

typedef enum {
	E_STR, E_INT, E_DEC, E_BOOL, E_NULL,
	E_PATH,   /* a.b.c */
	E_BIN,    /* op: a token code */
	E_NEG, E_NOT,
	E_IF,     /* a ? b : c */
	E_CALL,   /* name(args) */
	E_LOOKUP, /* name[a] */
	E_REF,    /* ref name(a) */
	E_OBJ,    /* { stmts } */
	E_ARR,    /* [ elems ] */
	E_FOR     /* for var in a [when c] { stmts } */
} ExprKind;

typedef struct Stmt Stmt;
typedef struct Table Table;
typedef struct Entity Entity;
typedef struct Scope Scope;

typedef struct Expr {
	ExprKind k;
	Loc loc;
	int op;
	const char *s;      /* literal text or decoded string; E_CALL/E_LOOKUP/E_REF/E_FOR name */
	size_t n;
	struct Expr *a, *b, *c;
	struct Expr *args;  /* E_CALL, E_ARR elements (linked by next) */
	struct Expr *when;  /* E_FOR filter; an array element's filter */
	struct Expr *next;
	void *last;         /* parser: the list's last node, kept on its head */
	int depth;          /* nesting of binary operators below it */
	StrList *path;      /* E_PATH */
	Stmt *body;         /* E_OBJ, E_FOR */
	/* filled by the checker */
	Type *ty;
	Table *table;       /* E_LOOKUP; E_PATH naming a tracking/dimension */
	Entity *ref;        /* E_REF */
	ObjDef *elem_obj;   /* E_FOR and sum(): the source element type */
	const char *var;    /* C name of the loop variable bound by E_FOR / sum() */
	int bind;           /* E_PATH: the scope depth whose value it starts from */
	FieldDef **fields;  /* E_PATH: the source field for each step (NULL: map key) */
	ObjDef **owners;    /* E_PATH: the object each step reads from */
	int nfields;
	int helper;         /* sum(): helper function number */
} Expr;

typedef enum { S_ASSIGN, S_CHECK, S_MATCH, S_ON } StmtKind;

typedef enum { C_HTTP, C_TIMEOUT, C_NETWORK, C_INVALID, C_REF } CondKind;
typedef enum { A_RETRY, A_DEAD_LETTER, A_SKIP, A_HOLD } ActKind;

typedef struct Cond {
	CondKind k;
	int lo, hi;
	Loc loc;
	struct Cond *next;
	void *last; /* parser: the list's last node, kept on its head */
} Cond;

typedef struct Action {
	ActKind k;
	Loc loc;
	int attempts;
	int64_t bmin, bmax; /* ms; -1 when not given */
	int jitter, after_header;
	ActKind then;
	int has_then;
} Action;

struct Stmt {
	StmtKind k;
	Loc loc;
	const char *name;   /* S_ASSIGN, S_MATCH: target field */
	Loc name_loc;
	Expr *e, *when, *tol;
	const char *msg;    /* S_CHECK */
	Cond *conds;        /* S_ON */
	Action act;
	FieldDef *field;    /* checker: the target field */
	Stmt *next;
	void *last;         /* parser: the list's last node, kept on its head */
};

typedef struct Entry {
	const char *key;   /* integer keys in canonical form: 7, not 07 */
	int is_int;
	Loc loc;
	Expr *val;
	struct Entry *next;
} Entry;

typedef enum { T_TABLE, T_TRACKING, T_DIMENSION } TableKind;

struct Table {
	TableKind kind;
	const char *name;
	Loc loc;
	const char *category; /* T_TRACKING */
	Expr *from;           /* T_TRACKING, T_DIMENSION */
	Entry *entries;
	Entry **entries_tail; /* parser: where the next entry goes */
	int has_else;
	Expr *else_val;
	const char *else_fail;
	Loc else_loc;
	Type *vty;            /* checker: the values' type */
	int int_keys;         /* checker: the keys are integers */
	int used;
	Table *next;
};

typedef struct Trigger {
	int is_poll;
	const char *event;
	int64_t every_ms;
	Loc loc;
	struct Trigger *next;
	void *last; /* parser: the list's last node, kept on its head */
} Trigger;

struct Entity {
	const char *name;
	Loc loc;
	const char *src_alias, *src_coll, *tgt_alias, *tgt_type;
	Loc src_loc, coll_loc, tgt_loc, type_loc;
	Expr *key;
	Expr *filter;
	Trigger *triggers;
	Stmt *body;
	/* checker */
	Endpoint *src_ep, *tgt_ep;
	ObjDef *src, *tgt;
	Entity **deps;
	Expr **dep_at;      /* the ref that made each dependency */
	int ndeps, cap_deps;
	int order, mark;
	Entity *next;
};

typedef enum { D_SERVICE, D_PAIR, D_TABLE, D_ENTITY } DeclKind;

typedef struct Decl {
	DeclKind k;
	union {
		Service *svc;
		Pair *pair;
		Table *table;
		Entity *ent;
	} u;
	struct Decl *next;
} Decl;

/* A whole compilation: the main file and the schemas it pulled in. */
typedef struct Program {
	const SrcFile *main;
	Decl *decls, *decls_tail;
	SrcFile **schemas;
	int nschemas;
	/* checker */
	Entity **order; /* entities in dependency order */
	int nent;
	Pair *pair;
} Program;

/* ------------------------------------------------------------------ */
/* parse.c: reading files and driving lexer and parser                 */
/* ------------------------------------------------------------------ */

const SrcFile *ps_read_file(const char *path, int is_schema); /* NULL: reported */
/* Parse f, appending its declarations to prog. */
void ps_parse(Program *prog, const SrcFile *f);
/* Print the tokens of f (--dump=tokens). */
void ps_dump_tokens(const SrcFile *f, FILE *out);

/* Called by the grammar's actions. */
typedef struct Parse {
	Program *prog;
	const SrcFile *file;
	int errors_before;
	Loc at; /* the token being parsed, for messages without one */
	int overflow; /* nesting too deep: the rest of the file is not parsed */
} Parse;
void *ps_new(size_t n);
void ps_add_decl(Parse *p, DeclKind k, void *node);
Expr *ps_expr(ExprKind k, Loc loc);
Loc ps_span(Loc a, Loc b);
const char *ps_concat(const char *a, const char *b);
void ps_syntax_error(Parse *p, int major, Token t);

/* ------------------------------------------------------------------ */
/* check.c: names, types and the rules                                 */
/* ------------------------------------------------------------------ */

/* Load the schemas the pair block names; search dirs: the main file's
 * schemas/ folder then each -I dir. */
void ck_load_schemas(Program *prog, const char *const *dirs, int ndirs);
void ck_check(Program *prog);
void ck_dump_ast(const Program *prog, FILE *out);
const char *ck_type_name(const Type *t);

/* ------------------------------------------------------------------ */
/* codegen.c: readable, deterministic C                                */
/* ------------------------------------------------------------------ */

void cg_emit(const Program *prog, Buf *out);

#endif /* MAPC_H */
