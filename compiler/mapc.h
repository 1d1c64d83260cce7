/*
 * mapc.h - the compiler's private header.
 *
 * One section per file, in pipeline order: the arena and interned names
 * (arena.c), diagnostics (diag.c), tokens and the lexer (grammar/lexer.re),
 * the AST, the parser glue (parse.c, grammar/parser.y), the checker
 * (check.c), the C code generator (codegen.c) and the front end they
 * share with the tools (load.c).  main.c is the driver; tools/ holds the
 * authors' tools (fmt, doc, graph, suggest, test/explain), one a file.
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
/* diag.c: diagnostics as rustc prints them                            */
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

/*
 * DIAG CODES: the one table of diagnostic codes.  Each row is
 * X(CODE, NAME, PHASE, TITLE); NAME is what the compiler passes to
 * diag_err() / diag_warn(), CODE is what users see (`error[E012]`) and
 * look up in docs/errors.md and with `mapc --explain E012`.  A code never
 * changes meaning and is never reused: a new diagnostic takes a new row
 * (the next free number of its phase: lexer E001-E009, parser E010-E029,
 * checker E030-E199, warnings W001-); a retired one keeps its row, its phase
 * "retired", and is reported by nothing.
 * tests/tools/errors.sh checks this table against docs/errors.md.
 */
#define DIAG_CODES(X) \
	X(E001, ER_UNTERMINATED_STRING, "lexer", "unterminated string") \
	X(E002, ER_BAD_ESCAPE, "lexer", "invalid escape sequence in a string") \
	X(E003, ER_BAD_UTF8, "lexer", "invalid UTF-8") \
	X(E004, ER_CONTROL_CHAR, "lexer", "control character in a string") \
	X(E005, ER_NUL_BYTE, "lexer", "NUL byte in the source") \
	X(E006, ER_BAD_NUMBER, "lexer", "invalid number") \
	X(E007, ER_BACKQUOTE, "lexer", "backquoted name") \
	X(E008, ER_BAD_CHAR, "lexer", "unexpected character") \
	X(E010, ER_READ_FILE, "parser", "cannot read a file") \
	X(E011, ER_UNEXPECTED_EOF, "parser", "unexpected end of file") \
	X(E012, ER_UNEXPECTED_TOKEN, "parser", "unexpected token") \
	X(E013, ER_EXPECTED_EXPR, "parser", "expected an expression") \
	X(E014, ER_MISSING_OPERAND, "parser", "operator without a right operand") \
	X(E015, ER_TOO_DEEP, "parser", "nesting or expression too deep") \
	X(E016, ER_DURATION_RANGE, "parser", "duration too long") \
	X(E017, ER_NUMBER_RANGE, "parser", "number out of range") \
	X(E018, ER_FORMAT_TWICE, "parser", "`format` given twice") \
	X(E019, ER_UNKNOWN_FORMAT, "parser", "unknown service format") \
	X(E020, ER_RATE_UNIT, "parser", "unknown rate-limit unit") \
	X(E021, ER_TWO_ELSE, "parser", "table with two `else` entries") \
	X(E022, ER_UNKNOWN_CONDITION, "parser", "unknown error-policy condition") \
	X(E023, ER_BACKOFF_ORDER, "parser", "backoff range reversed") \
	X(E024, ER_LIFE_ACTION, "parser", "unknown lifecycle action") \
	X(E030, ER_UNKNOWN_NAME, "checker", "unknown name") \
	X(E031, ER_UNKNOWN_FIELD, "checker", "unknown field") \
	X(E032, ER_DUPLICATE, "checker", "declared twice") \
	X(E033, ER_ARRAY_OF_ARRAYS, "checker", "array of arrays") \
	X(E034, ER_STRING_MODIFIER, "checker", "`enum` or `max` on a field that is not a string") \
	X(E035, ER_TRACKING_FIELD, "checker", "tracking field that is not a string") \
	X(E036, ER_NO_SCHEMA, "checker", "no schema for a service") \
	X(E037, ER_BAD_SCHEMA, "checker", "schema file without its service") \
	X(E038, ER_PAIR_COUNT, "checker", "not exactly one `pair` block") \
	X(E039, ER_PAIR_ENDPOINTS, "checker", "not exactly one source and one target") \
	X(E040, ER_PAIR_SAME_NAME, "checker", "source and target with the same name") \
	X(E041, ER_LITERAL_SECRET, "checker", "credential written as a literal") \
	X(E042, ER_ENV_NAME, "checker", "invalid environment variable name") \
	X(E043, ER_TABLE_FROM, "checker", "tracking or dimension reads a value that is not a key") \
	X(E044, ER_TABLE_AS_VALUE, "checker", "table used without a key") \
	X(E045, ER_NO_FIELDS, "checker", "field of a value that has no fields") \
	X(E046, ER_PATH_THROUGH_ARRAY, "checker", "field path through an array") \
	X(E047, ER_ARG_TYPE, "checker", "function argument of the wrong type") \
	X(E048, ER_ARG_MIX, "checker", "function arguments of different types") \
	X(E049, ER_ENTITY_AS_VALUE, "checker", "entity used as a value") \
	X(E050, ER_ARG_COUNT, "checker", "wrong number of arguments") \
	X(E051, ER_ARG_VALUE, "checker", "argument value not allowed") \
	X(E052, ER_TABLE_NOT_EXHAUSTIVE, "checker", "table lookup can miss") \
	X(E053, ER_DECIMAL_DIGITS, "checker", "decimal with more than 18 digits") \
	X(E054, ER_INT_RANGE, "checker", "integer out of range") \
	X(E055, ER_OPERAND_TYPE, "checker", "operator on values of the wrong type") \
	X(E056, ER_PLUS_STRINGS, "checker", "`+` on strings") \
	X(E057, ER_COMPARE_TYPES, "checker", "comparison of values that have no order") \
	X(E058, ER_NOT_BOOLEAN, "checker", "condition that is not a boolean") \
	X(E059, ER_TRACKING_PLACE, "checker", "tracking category outside a tracking array") \
	X(E060, ER_IF_BRANCHES, "checker", "`if` branches of different types") \
	X(E061, ER_KEY_TYPE, "checker", "key of the wrong type") \
	X(E062, ER_SHAPE, "checker", "object or array where the target wants another shape") \
	X(E063, ER_ENUM_VALUE, "checker", "value not in the field's enum") \
	X(E064, ER_TOO_LONG, "checker", "string longer than the field's `max`") \
	X(E065, ER_FOR_NOT_ARRAY, "checker", "`for` over a value that is not an array of objects") \
	X(E066, ER_MISMATCH, "checker", "mismatched types") \
	X(E067, ER_POLICY_UNREACHABLE, "checker", "error policy that can never fire") \
	X(E068, ER_RETRY_INVALID, "checker", "retrying an invalid record") \
	X(E069, ER_AFTER_HEADER, "checker", "`after header` without an HTTP condition") \
	X(E070, ER_NOT_FAILURE, "checker", "HTTP status that is not a failure") \
	X(E071, ER_WITHIN, "checker", "misused `within` tolerance") \
	X(E072, ER_PLACEMENT, "checker", "`match` or `on` inside a nested block") \
	X(E073, ER_TWO_MATCH, "checker", "entity with two `match` statements") \
	X(E074, ER_MATCH_FIELD, "checker", "`match` on a field it cannot compare") \
	X(E075, ER_REQUIRED_MISSING, "checker", "required target field not mapped") \
	X(E076, ER_TABLE_KEY_MIX, "checker", "table with string and integer keys") \
	X(E077, ER_TABLE_DUP_KEY, "checker", "duplicate table key") \
	X(E078, ER_TABLE_VALUE_MIX, "checker", "table values of different types") \
	X(E079, ER_TABLE_EMPTY, "checker", "empty table") \
	X(E080, ER_TABLE_NOT_STRINGS, "checker", "tracking or dimension values that are not strings") \
	X(E081, ER_ENTITY_DIRECTION, "checker", "entity that does not map source to target") \
	X(E082, ER_POLL_TOO_OFTEN, "checker", "polling more often than every second") \
	X(E083, ER_CYCLE, "checker", "entities referencing each other in a cycle") \
	X(E084, ER_REVERSE_ENTITY, "retired", "entity that maps the pair's target into its source") \
	X(E085, ER_CONCURRENT, "retired", "`concurrent` limit, not supported yet") \
	X(E086, ER_LIFE_NOT_EXHAUSTIVE, "checker", "lifecycle without an action for a status") \
	X(E087, ER_LIFE_KEY, "checker", "lifecycle key that is not a status") \
	X(E088, ER_LIFE_CREDIT, "checker", "`credit by` an entity that does not credit this one") \
	X(E089, ER_LIFE_TWICE, "checker", "entity with two `lifecycle` or `locked` statements") \
	X(E090, ER_CANNOT, "checker", "entity its connectors cannot run") \
	X(E091, ER_CAP_WORD, "checker", "unknown capability of a collection") \
	X(E092, ER_TWO_WAY, "checker", "field written in both directions without a `wins` rule") \
	X(E093, ER_WINS, "checker", "`wins` rule that is not `source` or `target`, or disagrees") \
	X(E094, ER_UNRESOLVED_OF, "checker", "`unresolved ENTITY` of an entity this one does not ref") \
	X(E095, ER_NO_CURRENCY, "checker", "rate, convert or base_currency without a pair `currency`") \
	X(E096, ER_RATES_FROM, "checker", "rates from something that is not `target` or `file`") \
	X(E097, ER_RATES_TARGET, "checker", "rates `from target` of a service that has none") \
	X(E098, ER_CURRENCY_CODE, "checker", "base currency that is not an ISO 4217 code") \
	X(E099, ER_CURRENCY_TWICE, "checker", "pair with two `currency` statements") \
	X(E100, ER_GROUP_TOTAL, "checker", "`total` field that is no number of the target's lines") \
	X(E101, ER_GROUP_KEY, "checker", "group key that is not text, a number or a date") \
	X(E102, ER_GROUP_STMT, "checker", "`match`, `lifecycle`, `locked` or a webhook in a grouped entity") \
	X(E103, ER_GROUP_REF, "checker", "`ref` to a grouped entity other than by its group key") \
	X(E104, ER_GROUP_KEY_REF, "checker", "`ref` in a grouped entity or its group key") \
	X(W001, WR_UNUSED_TABLE, "checker", "table never used") \
	X(W002, WR_SHADOW, "checker", "loop variable shadows an outer one") \
	X(W003, WR_MAPPED_TWICE, "checker", "target field mapped twice") \
	X(W004, WR_REQUIRED_TWICE, "parser", "`required` given twice")

typedef enum {
#define X(code, name, phase, title) name,
	DIAG_CODES(X)
#undef X
	DIAG_NCODES
} DiagCode;

extern int diag_errors, diag_warnings;
extern int diag_werror; /* --Werror: warnings count as errors */
/* file:line:col: error[E012]: message, then the line with a caret. */
void diag_err(Loc at, DiagCode code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void diag_warn(Loc at, DiagCode code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void diag_note(Loc at, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Without a code (tools other than the compiler's phases): prefer the two above. */
void diag_error(Loc at, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void diag_warning(Loc at, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* `mapc --explain CODE`: print the code's section of docs/errors.md; -1 if unknown. */
int diag_explain(const char *code, FILE *out);
/* Each code's section of docs/errors.md, ended by { NULL, NULL }: generated
 * by the build into $(O)/compiler/errdocs.c (compiler/errdocs.awk). */
typedef struct {
	const char *code, *text;
} DiagDoc;
extern const DiagDoc diag_docs[];
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

typedef struct Lexer {
	const SrcFile *file;
	const char *cur, *lim, *line_start;
	int line;
	/* NULL (lx_init) but while fmt.c lexes a file: then the lexer hands it
	 * each comment it skips (from `#` to the end of the line, as written),
	 * in source order, with comment_ctx.  The parser never sees comments. */
	void (*on_comment)(void *ctx, Loc at, const char *text, size_t n);
	void *comment_ctx;
} Lexer;

void lx_init(Lexer *lx, const SrcFile *f);
/* The next token; reports lexical errors itself and skips what it cannot
 * read, so the parser only sees real tokens. */
Token lx_next(Lexer *lx);
const char *lx_token_name(int type);

/* ------------------------------------------------------------------ */
/* lang.c: the keywords and the built-in functions, one table each     */
/* ------------------------------------------------------------------ */

typedef struct {
	const char *name;
	int type; /* its TK_ code */
	int hard; /* never a name (not in parser.y's %fallback) */
} LangKeyword;
/* The keyword spelt s[0..n), or NULL; lang_keywords(): all, NULL-ended. */
const LangKeyword *lang_keyword(const char *s, size_t n);
const LangKeyword *lang_keywords(void);

typedef enum {
	R_STRING, R_INT, R_DEC, R_DATE, R_DATETIME,
	R_NUMBER_ARG, /* the argument's numeric type (abs) */
	R_UNIFY,      /* the arguments' common plain type (default, coalesce) */
	R_SUM         /* int or decimal, as the summed expression (sum) */
} LangResult;
typedef enum {
	F_PLAIN,   /* types only */
	F_REPLACE, /* the string replaced is not the empty literal */
	F_FORMAT,  /* the format is a string literal of known conversions */
	F_ROUND,   /* a literal number of places is 0 to 18 */
	F_RATE,    /* the pair declares a `currency`; convert(): a code, then a date */
	F_SUM      /* an array field, then an expression over its elements */
} LangRule;
typedef struct {
	const char *name;
	int min, max;        /* arity */
	unsigned args[2];    /* 1 << TypeKind of what argument 0, and 1 and after, may be */
	const char *what[2]; /* those in words, for messages */
	LangResult result;
	LangRule rule;
} LangFunc;
/* The built-in function called name, or NULL; lang_functions(): all, NULL-ended. */
const LangFunc *lang_function(const char *name);
const LangFunc *lang_functions(void);

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

/* a collection's capabilities; CAN_RATES: its service's exchange rates,
 * for `currency ... from target` */
enum { CAN_LIST = 1, CAN_WRITE = 2, CAN_RATES = 4 };

typedef struct Coll {
	const char *name, *type_name;
	Loc loc, type_loc;
	StrList *caps;      /* `(list, write)`: what its connector can do */
	int caps_given;     /* 0: none given (a hand-written schema): both */
	Loc caps_loc;
	unsigned can;       /* checker: CAN_LIST | CAN_WRITE */
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
	Loc concurrent_loc; /* `N concurrent`, when given */
	Service *svc;
	/* `currency BASE from target|NAME PATH` (is_currency): rates_from 1
	 * target, 2 a file (from_word "file", else ER_RATES_FROM) */
	int is_currency, rates_from;
	Setting *cur_base, *cur_file;
	const char *from_word;
	Loc from_loc;
	struct Endpoint *next;
	void *last; /* parser: the list's last node, kept on its head */
} Endpoint;

typedef struct Pair {
	const char *name;
	Loc loc;
	Endpoint *eps;
	Endpoint *src, *tgt;
	Endpoint *cur;  /* the `currency` statement, or NULL */
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
	const char *idx;    /* E_FOR: the name of its element's position (`for a, i in`), or NULL */
	const char *counter; /* E_PATH naming a `for`'s position: that for's C variable */
	int bind;           /* E_PATH: the scope depth whose value it starts from */
	FieldDef **fields;  /* E_PATH: the source field for each step (NULL: map key) */
	ObjDef **owners;    /* E_PATH: the object each step reads from */
	int nfields;
	int helper;         /* sum(): helper function number */
} Expr;

typedef enum { S_ASSIGN, S_CHECK, S_MATCH, S_ON, S_LIFECYCLE, S_LOCKED } StmtKind;

/* A lifecycle action: what a change of the source record does to the
 * document already written. */
typedef enum { L_WRITE, L_VOID, L_KEEP, L_CREDIT, L_IF } LifeKind;
typedef struct LifeAct {
	LifeKind k;
	Loc loc;
	const char *entity;  /* L_CREDIT: `credit by ENTITY` */
	Loc ent_loc;
	struct Entity *credit; /* checker */
	struct Expr *cond;   /* L_IF */
	struct LifeAct *a, *b;
} LifeAct;
typedef struct Entry Entry;
typedef struct LifeArm {
	Entry *keys;         /* NULL: the `else` arm */
	int is_else;
	Loc loc;
	LifeAct *act;
	struct LifeArm *next;
	void *last; /* parser: the list's last node, kept on its head */
} LifeArm;

typedef enum { C_HTTP, C_TIMEOUT, C_NETWORK, C_INVALID, C_REF } CondKind;
typedef enum { A_RETRY, A_DEAD_LETTER, A_SKIP, A_HOLD } ActKind;

typedef struct Cond {
	CondKind k;
	int lo, hi;
	const char *entity; /* C_REF: `unresolved Product`, a ref to it only; NULL: any */
	Loc eloc;
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
	LifeArm *arms;      /* S_LIFECYCLE (e: the source field; S_LOCKED: e, msg) */
	struct Table *life_table; /* checker: the status table the keys must cover */
	FieldDef *field;    /* checker: the target field */
	const char *wins;   /* S_ASSIGN: `wins source|target`, or NULL */
	Loc wins_loc;
	int create_only;    /* checker: this direction loses: sent when the document is created */
	Stmt *next;
	void *last;         /* parser: the list's last node, kept on its head */
};

struct Entry {
	const char *key;   /* integer keys in canonical form: 7, not 07 */
	int is_int;
	Loc loc;
	Expr *val;
	struct Entry *next;
};

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

/* `group by KEY total FIELD` of an aggregate entity */
typedef struct GroupBy {
	Expr *key;
	const char *total;  /* the element field summed */
	Loc loc, total_loc;
	const char *array;  /* checker: the target's array field whose elements hold it */
	const char *elem;   /* checker: those elements' type (their XML name) */
} GroupBy;

struct Entity {
	const char *name;
	Loc loc;
	const char *src_alias, *src_coll, *tgt_alias, *tgt_type;
	Loc src_loc, coll_loc, tgt_loc, type_loc;
	Expr *key;
	Expr *filter;
	GroupBy *group;     /* NULL: one document per record */
	Trigger *triggers;
	Stmt *body;
	/* checker */
	Endpoint *src_ep, *tgt_ep;
	ObjDef *src, *tgt;
	int reverse;        /* reads the pair's target, writes its source */
	int create_only;    /* some field is sent only when the document is created */
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
/* The whole of an open stream (standard input), named `name` in messages. */
const SrcFile *ps_read_stream(FILE *f, const char *name, int is_schema);
/* Parse f, appending its declarations to prog. */
void ps_parse(Program *prog, const SrcFile *f);
/* Print the tokens of f (--dump=tokens). */
void ps_dump_tokens(const SrcFile *f, FILE *out);

/* The parse state: lemon's %extra_context, one per ps_parse() call (no
 * globals), seen by the grammar's actions and by ps_syntax_error(). */
#define PS_MAXOPEN 256
typedef struct Parse {
	Program *prog;
	const SrcFile *file;
	int errors_before;
	Loc at; /* the token being parsed, for messages without one */
	int overflow; /* nesting too deep: the rest of the file is not parsed */
	/* the open brackets, so that the end of the file can name what is unclosed */
	Token open[PS_MAXOPEN];
	int nopen;
	Token prev1, prev2; /* the token before the one being parsed, and the one before that */
} Parse;
void *ps_new(size_t n);
void ps_add_decl(Parse *p, DeclKind k, void *node);
Expr *ps_expr(ExprKind k, Loc loc);
Loc ps_span(Loc a, Loc b);
/* A lifecycle action from its words: `write`, `void`, `keep`, or
 * `credit by ENTITY` (by and entity non-NULL); NULL after an error. */
struct LifeAct *ps_life_act(Parse *p, Token word, const Token *by, const Token *entity);
const char *ps_concat(const char *a, const char *b);
/* A path's names joined by dots ("paymentInfo.status"), in the arena. */
const char *ps_path_text(const StrList *path);
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

/* ------------------------------------------------------------------ */
/* load.c: the front end the compiler and the tools share              */
/* ------------------------------------------------------------------ */

/* How far ld_program goes: parsed, schemas loaded, or checked. */
typedef enum { LD_PARSE, LD_SCHEMAS, LD_CHECK } LoadUpto;
/* Parse f into prog (zeroed first), load the schemas (search dirs: the
 * main file's schemas/ folder then each of dirs), check; stops after
 * `upto` or after the first phase that reported errors, returning -1. */
int ld_program(Program *prog, const SrcFile *f, const char *const *dirs, int ndirs, LoadUpto upto);
/* ps_read_file(path) then ld_program. */
int ld_file(Program *prog, const char *path, const char *const *dirs, int ndirs, LoadUpto upto);
/* Print the error count (when any), free the arena, return rc: a command's
 * last call. */
int ld_finish(int rc);

/* ------------------------------------------------------------------ */
/* tools/suggest.c: `mapc suggest`, a draft entity from two schemas    */
/* ------------------------------------------------------------------ */

/* argv[0] is "suggest"; returns the exit status. */
int sg_main(int argc, char **argv);

/* ------------------------------------------------------------------ */
/* tools/graph.c: `mapc graph`, the mapping as a Graphviz picture      */
/* ------------------------------------------------------------------ */

/* argv[0] is "graph"; returns the exit status. */
int graph_main(int argc, char **argv);

/* ------------------------------------------------------------------ */
/* tools/doc.c: `mapc doc`, the mapping sheet (Markdown or HTML)       */
/* ------------------------------------------------------------------ */

/* argv[0] is "doc"; returns the exit status. */
int doc_main(int argc, char **argv);
/* An expression as .map source, with the fewest parentheses; a string
 * literal with the language's escapes. */
void doc_expr(Buf *b, const Expr *e);
void doc_string_lit(Buf *b, const char *s, size_t n);

/* ------------------------------------------------------------------ */
/* tools/fmt.c: mapc fmt, the one canonical layout of a .map file      */
/* ------------------------------------------------------------------ */

/* mapc fmt [--check] [FILE...|-]: argv[0] is "fmt"; returns the exit status. */
int fmt_main(int argc, char **argv);

/* ------------------------------------------------------------------ */
/* tools/mtest.c: mapc test / explain (runs the pair binary)          */
/* ------------------------------------------------------------------ */

int mtest_main(int argc, char **argv, const char *argv0);

#endif /* MAPC_H */
