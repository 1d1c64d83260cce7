/*
 * parser.y - the lemon grammar of the mapwright language.
 *
 * Used as SQLite uses lemon: the lexer pushes tokens (parse.c) and feeds 0
 * at the end; %extra_context carries the parse state, so there are no
 * globals; labels are symbolic.  The build fails on any conflict (lemon
 * exits non-zero).  Actions only build the AST; every rule about names and
 * types lives in the checker.
 */

%include {
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "mapc.h"

#define NEW(T) ((T *)ps_new(sizeof(T)))

/* Append to a singly linked list in O(1): the head keeps the last node
 * (long tables, paths and statement lists stay linear). */
#define APPEND(T, h, x) do {                                  \
		T *x_ = (x);                                     \
		if (!(h))                                        \
			(h) = x_;                                \
		else /* a head made on its own is its last */    \
			((T *)((h)->last ? (h)->last : (h)))->next = x_; \
		(h)->last = x_;                                  \
	} while (0)

/* Left-associative chains (a ++ b ++ c ...) do not deepen the parser's
 * stack, so their depth is bounded here: the checker and the code
 * generator recurse over expressions. */
#define MAX_EXPR_DEPTH 256

static int64_t
duration_ms(Parse *p, Token t)
{
	char *end;
	long long v = strtoll(t.s, &end, 10);
	int64_t mul = 1;
	if (strcmp(end, "ms") == 0) mul = 1;
	else if (strcmp(end, "s") == 0) mul = 1000;
	else if (strcmp(end, "m") == 0) mul = 60000;
	else if (strcmp(end, "h") == 0) mul = 3600000;
	else if (strcmp(end, "d") == 0) mul = 86400000;
	else return -1; /* the lexer reported the unit */
	if (v < 0 || v > INT64_MAX / mul / 1000) {
		diag_err(t.loc, ER_DURATION_RANGE, "duration `%s` is too long", t.s);
		return -1;
	}
	(void)p;
	return (int64_t)v * mul;
}

static int
small_int(Token t, int lo, int hi, const char *what)
{
	char *end;
	long long v = strtoll(t.s, &end, 10);
	if (*end || v < lo || v > hi) {
		diag_err(t.loc, ER_NUMBER_RANGE, "%s must be from %d to %d", what, lo, hi);
		return lo;
	}
	return (int)v;
}

static Expr *
bin(Parse *p, int op, Expr *a, Expr *b, Loc at)
{
	Expr *e = ps_expr(E_BIN, at);
	e->op = op;
	e->a = a;
	e->b = b;
	e->depth = (a->depth > b->depth ? a->depth : b->depth) + 1;
	if (e->depth > MAX_EXPR_DEPTH && !p->overflow) {
		diag_err(at, ER_TOO_DEEP, "expression too long (more than %d operators in a chain)",
			MAX_EXPR_DEPTH);
		p->overflow = 1;
	}
	return e;
}
}

%name mwParse
%token_prefix TK_
%token_type { Token }
%default_type { Token }
%extra_context { Parse *p }

%syntax_error {
	ps_syntax_error(p, yymajor, TOKEN);
}
%parse_failure {
	(void)p;
}
%stack_overflow {
	diag_err(p->at, ER_TOO_DEEP, "nesting too deep (more than 1000 levels)");
	p->overflow = 1;
}
%stack_size 1000

/* Soft keywords: where a keyword cannot stand, it is a name (as SQLite
 * does it), so fields such as `key`, `format` or `limit` need no quoting.
 * KEEP IN STEP: keywords (compiler/lang.c, grammar/parser.y): the soft ones
 * are the keywords whose `hard` is 0 in lang.c's table. */
%fallback ID OBJECT COLLECTION FORMAT SOURCE TARGET KEY FAIL CHECK WITHIN MATCH
	REQUIRED ENUM MAX LIMIT ENV FROM WEBHOOK POLL EVERY HTTP RETRY BACKOFF JITTER
	AFTER HEADER SKIP HOLD CONCURRENT DEAD_LETTER LIFECYCLE LOCKED WINS CURRENCY
	GROUP BY TOTAL.

/* Precedence, lowest first.  `if c then a else b` binds loosest, so the
 * else branch extends as far as it can (`if c then a else b + 1` adds 1 to
 * b).  Comparisons do not chain. */
%right IF.
%left OR.
%left AND.
%right NOT.
%nonassoc EQ NE LT LE GT GE.
%left CONCAT.
%left PLUS MINUS.
%left STAR SLASH.
%right UMINUS.

/* ================= the file ================= */

file ::= decls.
decls ::= .
decls ::= decls decl.

decl ::= service(S). { ps_add_decl(p, D_SERVICE, S); }
decl ::= pair(P). { ps_add_decl(p, D_PAIR, P); }
decl ::= table(T). { ps_add_decl(p, D_TABLE, T); }
decl ::= entity(E). { ps_add_decl(p, D_ENTITY, E); }
/* Recovery: a broken declaration is skipped up to the next one. */
decl ::= error.

%type name { Token }
name(A) ::= ID(B). { A = B; }

/* ================= services (schemas) ================= */

%type service { Service * }
service(A) ::= SERVICE name(N) LBRACE svc_items(I) RBRACE. {
	A = I;
	A->name = N.s;
	A->loc = N.loc;
}
%type svc_items { Service * }
svc_items(A) ::= . { A = NEW(Service); }
svc_items(A) ::= svc_items(B) FORMAT name(F). {
	A = B;
	if (A->has_format)
		diag_err(F.loc, ER_FORMAT_TWICE, "`format` given twice");
	A->has_format = 1;
	if (strcmp(F.s, "xml") == 0)
		A->xml = 1;
	else if (strcmp(F.s, "json") != 0)
		diag_err(F.loc, ER_UNKNOWN_FORMAT, "unknown format `%s` (json or xml)", F.s);
}
svc_items(A) ::= svc_items(B) COLLECTION name(N) COLON name(T). {
	A = B;
	Coll *c = NEW(Coll);
	c->name = N.s; c->loc = N.loc;
	c->type_name = T.s; c->type_loc = T.loc;
	APPEND(Coll, A->colls, c);
}
/* What the service's connector can do with it: `(list, write)`. */
svc_items(A) ::= svc_items(B) COLLECTION name(N) COLON name(T) LPAREN(P) caps(K) RPAREN. {
	A = B;
	Coll *c = NEW(Coll);
	c->name = N.s; c->loc = N.loc;
	c->type_name = T.s; c->type_loc = T.loc;
	c->caps = K; c->caps_given = 1; c->caps_loc = P.loc;
	APPEND(Coll, A->colls, c);
}
svc_items(A) ::= svc_items(B) objdef(O). {
	A = B;
	O->svc = A;
	APPEND(ObjDef, A->objs, O);
}

%type caps { StrList * }
caps(A) ::= name(N). { A = NEW(StrList); A->s = N.s; A->loc = N.loc; }
caps(A) ::= caps(B) COMMA name(N). {
	A = B;
	StrList *l = NEW(StrList); l->s = N.s; l->loc = N.loc;
	StrList *t = A; while (t->next) t = t->next; t->next = l;
}

%type objdef { ObjDef * }
objdef(A) ::= OBJECT name(N) trk(T) LBRACE fdecls(F) RBRACE. {
	A = T;
	A->name = N.s;
	A->loc = N.loc;
	A->fields = F;
}
%type trk { ObjDef * }
trk(A) ::= . { A = NEW(ObjDef); }
trk(A) ::= TRACKING(K) LPAREN name(X) COMMA name(Y) RPAREN. {
	A = NEW(ObjDef);
	A->trk_name = X.s;
	A->trk_opt = Y.s;
	A->trk_loc = K.loc;
}

%type fdecls { FieldDef * }
fdecls(A) ::= . { A = NULL; }
fdecls(A) ::= fdecls(B) fdecl(F). { A = B; APPEND(FieldDef, A, F); }
fdecls(A) ::= fdecls(B) COMMA. { A = B; }
fdecls(A) ::= fdecls(B) SEMI. { A = B; }

%type fdecl { FieldDef * }
fdecl(A) ::= name(N) COLON type(T) mods(M). {
	A = M;
	A->name = N.s;
	A->loc = N.loc;
	A->ty = T;
}

%type type { Type * }
type(A) ::= name(N). { A = NEW(Type); A->name = N.s; A->loc = N.loc; }
type(A) ::= LBRACKET(L) type(E) RBRACKET. { A = NEW(Type); A->k = TY_ARR; A->elem = E; A->loc = L.loc; }

%type mods { FieldDef * }
mods(A) ::= . { A = NEW(FieldDef); }
mods(A) ::= mods(B) REQUIRED(R). {
	A = B;
	if (A->required) diag_warn(R.loc, WR_REQUIRED_TWICE, "`required` given twice");
	A->required = 1;
}
mods(A) ::= mods(B) KEY. { A = B; A->is_key = 1; }
mods(A) ::= mods(B) MAX INT(N). { A = B; A->max = small_int(N, 1, 1000000, "max"); }
mods(A) ::= mods(B) ENUM LPAREN strs(S) RPAREN. { A = B; A->enums = S; }

%type strs { StrList * }
strs(A) ::= STRING(S). { A = NEW(StrList); A->s = S.s; A->loc = S.loc; }
strs(A) ::= strs(B) COMMA STRING(S). {
	A = B;
	StrList *l = NEW(StrList);
	l->s = S.s; l->loc = S.loc;
	APPEND(StrList, A, l);
}

/* ================= the pair ================= */

%type pair { Pair * }
pair(A) ::= PAIR name(N) LBRACE endpoints(E) RBRACE. {
	A = NEW(Pair);
	A->name = N.s;
	A->loc = N.loc;
	A->eps = E;
}
%type endpoints { Endpoint * }
endpoints(A) ::= . { A = NULL; }
endpoints(A) ::= endpoints(B) endpoint(E). { A = B; APPEND(Endpoint, A, E); }

%type endpoint { Endpoint * }
endpoint(A) ::= SOURCE name(N) COLON name(S) LBRACE settings(T) RBRACE. {
	A = T; A->is_source = 1;
	A->alias = N.s; A->loc = N.loc; A->service = S.s; A->service_loc = S.loc;
}
endpoint(A) ::= TARGET name(N) COLON name(S) LBRACE settings(T) RBRACE. {
	A = T;
	A->alias = N.s; A->loc = N.loc; A->service = S.s; A->service_loc = S.loc;
}

/* `currency BASE from target` or `currency BASE from file PATH`: the base
 * currency of the target's books and where rates into it come from.  It
 * sits among the endpoints (is_currency); the checker takes it out. */
endpoint(A) ::= CURRENCY(K) cval(B) FROM TARGET. {
	A = NEW(Endpoint); A->is_currency = 1; A->loc = K.loc;
	A->cur_base = B; A->rates_from = 1;
}
endpoint(A) ::= CURRENCY(K) cval(B) FROM name(F) cval(P). {
	A = NEW(Endpoint); A->is_currency = 1; A->loc = K.loc;
	A->cur_base = B; A->cur_file = P; A->from_word = F.s; A->from_loc = F.loc;
	A->rates_from = 2;
}
%type cval { Setting * }
cval(A) ::= STRING(V). { A = NEW(Setting); A->loc = V.loc; A->literal = V.s; }
cval(A) ::= ENV(E) LPAREN STRING(V) RPAREN. { A = NEW(Setting); A->loc = E.loc; A->env = V.s; }

%type settings { Endpoint * }
settings(A) ::= . { A = NEW(Endpoint); }
settings(A) ::= settings(B) SEMI. { A = B; }
settings(A) ::= settings(B) name(K) ASSIGN STRING(V). {
	A = B;
	Setting *s = NEW(Setting);
	s->key = K.s; s->loc = K.loc; s->literal = V.s;
	APPEND(Setting, A->settings, s);
}
settings(A) ::= settings(B) name(K) ASSIGN ENV LPAREN STRING(V) RPAREN. {
	A = B;
	Setting *s = NEW(Setting);
	s->key = K.s; s->loc = K.loc; s->env = V.s;
	APPEND(Setting, A->settings, s);
}
settings(A) ::= settings(B) LIMIT rates(R). {
	A = B;
	if (R->per_min) A->per_min = R->per_min;
	if (R->per_day) A->per_day = R->per_day;
	if (R->concurrent) A->concurrent = R->concurrent, A->concurrent_loc = R->concurrent_loc;
}
%type rates { Endpoint * }
rates(A) ::= rate(R). { A = R; }
rates(A) ::= rates(B) COMMA rate(R). {
	A = B;
	if (R->per_min) A->per_min = R->per_min;
	if (R->per_day) A->per_day = R->per_day;
	if (R->concurrent) A->concurrent = R->concurrent, A->concurrent_loc = R->concurrent_loc;
}
%type rate { Endpoint * }
rate(A) ::= INT(N) SLASH name(U). {
	A = NEW(Endpoint);
	int v = small_int(N, 1, 100000000, "a rate limit");
	if (strcmp(U.s, "min") == 0) A->per_min = v;
	else if (strcmp(U.s, "day") == 0) A->per_day = v;
	else diag_err(U.loc, ER_RATE_UNIT, "a rate limit is per `min` or per `day`, not per `%s`", U.s);
}
rate(A) ::= INT(N) CONCURRENT(C). {
	A = NEW(Endpoint);
	A->concurrent = small_int(N, 1, 10000, "a concurrency limit");
	A->concurrent_loc = ps_span(N.loc, C.loc);
}

/* ================= tables, tracking categories, dimensions ================= */

%type table { Table * }
table(A) ::= TABLE name(N) LBRACE entries(E) RBRACE. {
	A = E; A->kind = T_TABLE; A->name = N.s; A->loc = N.loc;
}
table(A) ::= TRACKING name(N) STRING(C) FROM path(F) LBRACE entries(E) RBRACE. {
	A = E; A->kind = T_TRACKING; A->name = N.s; A->loc = N.loc;
	A->category = C.s; A->from = F;
}
table(A) ::= DIMENSION name(N) FROM path(F) LBRACE entries(E) RBRACE. {
	A = E; A->kind = T_DIMENSION; A->name = N.s; A->loc = N.loc; A->from = F;
}

%type entries { Table * }
entries(A) ::= . { A = NEW(Table); }
entries(A) ::= entries(B) COMMA. { A = B; }
entries(A) ::= entries(B) SEMI. { A = B; }
entries(A) ::= entries(B) tkey(K) FATARROW tvalue(V). {
	A = B;
	Entry *e = NEW(Entry);
	e->key = K.s; e->loc = K.loc; e->val = V;
	if (K.type == TK_INT) {
		/* the runtime looks numbers up by their canonical text */
		const char *d = K.s;
		while (d[0] == '0' && d[1])
			d++;
		e->key = d;
		e->is_int = 1;
		if (strlen(d) > 18)
			diag_err(K.loc, ER_NUMBER_RANGE, "integer key `%s` is out of range", K.s);
	}
	/* Tables can be long (SKU maps): append at the tail, not by walking. */
	if (!A->entries_tail)
		A->entries_tail = &A->entries;
	*A->entries_tail = e;
	A->entries_tail = &e->next;
}
entries(A) ::= entries(B) ELSE(K) FATARROW tvalue(V). {
	A = B;
	if (A->has_else) {
		diag_err(K.loc, ER_TWO_ELSE, "table has two `else` entries");
		diag_note(A->else_loc, "the first `else` is here");
	}
	A->has_else = 1; A->else_loc = K.loc; A->else_val = V;
}
entries(A) ::= entries(B) ELSE(K) FATARROW FAIL STRING(R). {
	A = B;
	if (A->has_else) {
		diag_err(K.loc, ER_TWO_ELSE, "table has two `else` entries");
		diag_note(A->else_loc, "the first `else` is here");
	}
	A->has_else = 1; A->else_loc = K.loc; A->else_fail = R.s;
}
%type tkey { Token }
tkey(A) ::= STRING(S). { A = S; A.type = TK_STRING; }
tkey(A) ::= INT(S). { A = S; A.type = TK_INT; }

%type literal { Expr * }
literal(A) ::= STRING(S). { A = ps_expr(E_STR, S.loc); A->s = S.s; A->n = S.n; }
literal(A) ::= INT(S). { A = ps_expr(E_INT, S.loc); A->s = S.s; }
literal(A) ::= DECIMAL(S). { A = ps_expr(E_DEC, S.loc); A->s = S.s; }
literal(A) ::= TRUE(S). { A = ps_expr(E_BOOL, S.loc); A->s = "true"; }
literal(A) ::= FALSE(S). { A = ps_expr(E_BOOL, S.loc); A->s = "false"; }
literal(A) ::= NULL(S). { A = ps_expr(E_NULL, S.loc); }
/* Table values may be negative numbers; in expressions `-` is an operator. */
%type tvalue { Expr * }
tvalue(A) ::= literal(L). { A = L; }
tvalue(A) ::= MINUS(M) INT(S). { A = ps_expr(E_INT, ps_span(M.loc, S.loc)); A->s = ps_concat("-", S.s); }
tvalue(A) ::= MINUS(M) DECIMAL(S). { A = ps_expr(E_DEC, ps_span(M.loc, S.loc)); A->s = ps_concat("-", S.s); }

/* ================= entities ================= */

%type entity { Entity * }
entity(A) ::= ENTITY name(N) COLON name(SA) DOT name(SC) ARROW name(TA) DOT name(TT)
		KEY path(K) group(GB) filter(F) triggers(G) LBRACE stmts(B) RBRACE. {
	A = NEW(Entity);
	A->group = GB;
	A->name = N.s; A->loc = N.loc;
	A->src_alias = SA.s; A->src_loc = SA.loc; A->src_coll = SC.s; A->coll_loc = SC.loc;
	A->tgt_alias = TA.s; A->tgt_loc = TA.loc; A->tgt_type = TT.s; A->type_loc = TT.loc;
	A->key = K; A->filter = F; A->triggers = G; A->body = B;
}
/* An aggregate: the records of one group key make one document, their
 * documents' array elements alike but for the `total` field summed into
 * one: `group by date(paidAt) ++ "/" ++ currency total TRX_AMOUNT`.  The
 * key expression cannot swallow `total`: no expression continues with a
 * name. */
%type group { GroupBy * }
group(A) ::= . { A = NULL; }
group(A) ::= GROUP(W) BY expr(E) TOTAL name(N). {
	A = NEW(GroupBy); A->key = E; A->loc = W.loc; A->total = N.s; A->total_loc = N.loc;
}
/* Without `total`: the group's document is its first member's (a customer
 * per shopper and currency, made from their orders). */
group(A) ::= GROUP(W) BY expr(E). { A = NEW(GroupBy); A->key = E; A->loc = W.loc; }
%type filter { Expr * }
filter(A) ::= . { A = NULL; }
filter(A) ::= WHEN expr(E). { A = E; }

%type triggers { Trigger * }
triggers(A) ::= . { A = NULL; }
triggers(A) ::= ON trigger(T). { A = T; }
triggers(A) ::= triggers(B) COMMA trigger(T). { A = B; APPEND(Trigger, A, T); }
%type trigger { Trigger * }
trigger(A) ::= WEBHOOK(W) STRING(S). { A = NEW(Trigger); A->event = S.s; A->loc = ps_span(W.loc, S.loc); }
trigger(A) ::= POLL(W) EVERY DURATION(D). {
	A = NEW(Trigger); A->is_poll = 1; A->every_ms = duration_ms(p, D); A->loc = ps_span(W.loc, D.loc);
}

/* Statements need no separator: no expression can continue with a name,
 * so the next `name =` always starts a new statement. */
%type stmts { Stmt * }
stmts(A) ::= . { A = NULL; }
stmts(A) ::= stmts(B) stmt(S). { A = B; if (S) APPEND(Stmt, A, S); }
stmts(A) ::= stmts(B) SEMI. { A = B; }
stmts(A) ::= stmts(B) COMMA. { A = B; }

%type stmt { Stmt * }
/* An assignment's `when` binds to it: `X = e when c` sets X only if c. */
stmt(A) ::= name(N) ASSIGN expr(E). {
	A = NEW(Stmt); A->k = S_ASSIGN; A->loc = N.loc; A->name = N.s; A->name_loc = N.loc; A->e = E;
}
stmt(A) ::= name(N) ASSIGN expr(E) WHEN expr(C). {
	A = NEW(Stmt); A->k = S_ASSIGN; A->loc = N.loc; A->name = N.s; A->name_loc = N.loc;
	A->e = E; A->when = C;
}
/* A field written in both directions says whose value stands: `wins source`. */
stmt(A) ::= name(N) ASSIGN expr(E) WINS name(W). {
	A = NEW(Stmt); A->k = S_ASSIGN; A->loc = N.loc; A->name = N.s; A->name_loc = N.loc; A->e = E;
	A->wins = W.s; A->wins_loc = W.loc;
}
stmt(A) ::= name(N) ASSIGN expr(E) WHEN expr(C) WINS name(W). {
	A = NEW(Stmt); A->k = S_ASSIGN; A->loc = N.loc; A->name = N.s; A->name_loc = N.loc;
	A->e = E; A->when = C; A->wins = W.s; A->wins_loc = W.loc;
}
stmt(A) ::= CHECK(K) expr(E) ELSE DEAD_LETTER STRING(M). {
	A = NEW(Stmt); A->k = S_CHECK; A->loc = K.loc; A->e = E; A->msg = M.s;
}
stmt(A) ::= CHECK(K) expr(E) WITHIN expr(T) ELSE DEAD_LETTER STRING(M). {
	A = NEW(Stmt); A->k = S_CHECK; A->loc = K.loc; A->e = E; A->tol = T; A->msg = M.s;
}
stmt(A) ::= MATCH(K) name(N) ASSIGN expr(E). {
	A = NEW(Stmt); A->k = S_MATCH; A->loc = K.loc; A->name = N.s; A->name_loc = N.loc; A->e = E;
}
stmt(A) ::= ON(K) conds(C) ARROW action(X). {
	A = NEW(Stmt); A->k = S_ON; A->loc = K.loc; A->conds = C; A->act = *X;
}
/* What each change of the source record does to the document written:
 * `lifecycle status { "a", "b" => write  "c" => if e then void else keep }` */
stmt(A) ::= LIFECYCLE(K) path(P) LBRACE arms(R) RBRACE. {
	A = NEW(Stmt); A->k = S_LIFECYCLE; A->loc = K.loc; A->e = P; A->arms = R;
}
stmt(A) ::= LOCKED(K) WHEN expr(E) STRING(M). {
	A = NEW(Stmt); A->k = S_LOCKED; A->loc = K.loc; A->e = E; A->msg = M.s;
}
/* Recovery: a broken statement is skipped up to the start of the next. */
stmt(A) ::= error. { A = NULL; }

%type arms { LifeArm * }
arms(A) ::= . { A = NULL; }
arms(A) ::= arms(B) COMMA. { A = B; }
arms(A) ::= arms(B) SEMI. { A = B; }
arms(A) ::= arms(B) arm(R). { A = B; APPEND(LifeArm, A, R); }
%type arm { LifeArm * }
arm(A) ::= lkeys(K) FATARROW lact(X). { A = NEW(LifeArm); A->keys = K; A->loc = K->loc; A->act = X; }
arm(A) ::= ELSE(E) FATARROW lact(X). { A = NEW(LifeArm); A->is_else = 1; A->loc = E.loc; A->act = X; }
%type lkeys { Entry * }
lkeys(A) ::= lkey(K). { A = K; }
lkeys(A) ::= lkeys(B) COMMA lkey(K). { A = B; Entry *e = A; while (e->next) e = e->next; e->next = K; }
%type lkey { Entry * }
lkey(A) ::= tkey(K). {
	A = NEW(Entry); A->key = K.s; A->loc = K.loc;
	if (K.type == TK_INT) {
		const char *d = K.s;
		while (d[0] == '0' && d[1])
			d++;
		A->key = d;
		A->is_int = 1;
	}
}
/* An action is a name (`write`, `void`, `keep`), `credit by ENTITY`, or a
 * choice: `if e then ACTION else ACTION`. */
%type lact { LifeAct * }
lact(A) ::= name(N). { A = ps_life_act(p, N, NULL, NULL); }
lact(A) ::= name(N) name(B) name(E). { A = ps_life_act(p, N, &B, &E); }
lact(A) ::= IF(I) expr(C) THEN lact(X) ELSE lact(Y). {
	A = NEW(LifeAct); A->k = L_IF; A->loc = I.loc; A->cond = C; A->a = X; A->b = Y;
}

%type conds { Cond * }
conds(A) ::= cond(C). { A = C; }
conds(A) ::= conds(B) COMMA cond(C). { A = B; APPEND(Cond, A, C); }
%type cond { Cond * }
cond(A) ::= HTTP(H) INT(N). {
	A = NEW(Cond); A->k = C_HTTP; A->loc = ps_span(H.loc, N.loc);
	A->lo = A->hi = small_int(N, 100, 599, "an HTTP status");
}
cond(A) ::= HTTP(H) HTTPCLASS(N). {
	A = NEW(Cond); A->k = C_HTTP; A->loc = ps_span(H.loc, N.loc);
	A->lo = (N.s[0] - '0') * 100; A->hi = A->lo + 99;
}
cond(A) ::= name(N). {
	A = NEW(Cond); A->loc = N.loc;
	if (strcmp(N.s, "timeout") == 0) A->k = C_TIMEOUT;
	else if (strcmp(N.s, "network") == 0) A->k = C_NETWORK;
	else if (strcmp(N.s, "invalid") == 0) A->k = C_INVALID;
	else if (strcmp(N.s, "unresolved") == 0) A->k = C_REF;
	else diag_err(N.loc, ER_UNKNOWN_CONDITION,
		"unknown condition `%s` (http STATUS, http 5xx, timeout, network, "
		"invalid or unresolved)", N.s);
}

cond(A) ::= name(N) name(E). {
	A = NEW(Cond); A->k = C_REF; A->loc = ps_span(N.loc, E.loc);
	A->entity = E.s; A->eloc = E.loc;
	if (strcmp(N.s, "unresolved") != 0)
		diag_err(N.loc, ER_UNKNOWN_CONDITION,
			"unknown condition `%s %s` (only `unresolved` names an entity: "
			"`unresolved Product`)", N.s, E.s);
}

%type action { Action * }
action(A) ::= final(F). { A = F; }
action(A) ::= RETRY(R) retry_opts(O) then(T). {
	A = O; A->k = A_RETRY; A->loc = R.loc;
	if (T) { A->has_then = 1; A->then = T->k; }
}
%type final { Action * }
final(A) ::= DEAD_LETTER(K). { A = NEW(Action); A->k = A_DEAD_LETTER; A->loc = K.loc; }
final(A) ::= SKIP(K). { A = NEW(Action); A->k = A_SKIP; A->loc = K.loc; }
final(A) ::= HOLD(K). { A = NEW(Action); A->k = A_HOLD; A->loc = K.loc; }
%type then { Action * }
then(A) ::= . { A = NULL; }
then(A) ::= THEN final(F). { A = F; }
%type retry_opts { Action * }
retry_opts(A) ::= . { A = NEW(Action); A->bmin = A->bmax = -1; }
retry_opts(A) ::= retry_opts(B) INT(N). { A = B; A->attempts = small_int(N, 1, 1000, "retry attempts"); }
retry_opts(A) ::= retry_opts(B) BACKOFF DURATION(X) DOTDOT DURATION(Y). {
	A = B; A->bmin = duration_ms(p, X); A->bmax = duration_ms(p, Y);
	if (A->bmin >= 0 && A->bmax >= 0 && A->bmin > A->bmax)
		diag_err(ps_span(X.loc, Y.loc), ER_BACKOFF_ORDER,
			"backoff goes from the shorter delay to the longer");
}
retry_opts(A) ::= retry_opts(B) JITTER. { A = B; A->jitter = 1; }
retry_opts(A) ::= retry_opts(B) AFTER HEADER. { A = B; A->after_header = 1; }

/* ================= expressions ================= */

%type expr { Expr * }
%type path { Expr * }
%type args { Expr * }
%type elems { Expr * }
%type elem { Expr * }

path(A) ::= name(N). {
	A = ps_expr(E_PATH, N.loc);
	StrList *s = NEW(StrList); s->s = N.s; s->loc = N.loc;
	A->path = s;
}
path(A) ::= path(B) DOT name(N). {
	A = B;
	StrList *s = NEW(StrList); s->s = N.s; s->loc = N.loc;
	APPEND(StrList, A->path, s);
	A->loc = ps_span(A->loc, N.loc);
}

expr(A) ::= literal(L). { A = L; }
expr(A) ::= path(P). { A = P; }
expr(A) ::= LPAREN expr(E) RPAREN. { A = E; }
expr(A) ::= expr(X) OR(O) expr(Y). { A = bin(p, TK_OR, X, Y, O.loc); }
expr(A) ::= expr(X) AND(O) expr(Y). { A = bin(p, TK_AND, X, Y, O.loc); }
expr(A) ::= NOT(O) expr(X). { A = ps_expr(E_NOT, O.loc); A->a = X; }
expr(A) ::= expr(X) EQ(O) expr(Y). { A = bin(p, TK_EQ, X, Y, O.loc); }
expr(A) ::= expr(X) NE(O) expr(Y). { A = bin(p, TK_NE, X, Y, O.loc); }
expr(A) ::= expr(X) LT(O) expr(Y). { A = bin(p, TK_LT, X, Y, O.loc); }
expr(A) ::= expr(X) LE(O) expr(Y). { A = bin(p, TK_LE, X, Y, O.loc); }
expr(A) ::= expr(X) GT(O) expr(Y). { A = bin(p, TK_GT, X, Y, O.loc); }
expr(A) ::= expr(X) GE(O) expr(Y). { A = bin(p, TK_GE, X, Y, O.loc); }
expr(A) ::= expr(X) CONCAT(O) expr(Y). { A = bin(p, TK_CONCAT, X, Y, O.loc); }
expr(A) ::= expr(X) PLUS(O) expr(Y). { A = bin(p, TK_PLUS, X, Y, O.loc); }
expr(A) ::= expr(X) MINUS(O) expr(Y). { A = bin(p, TK_MINUS, X, Y, O.loc); }
expr(A) ::= expr(X) STAR(O) expr(Y). { A = bin(p, TK_STAR, X, Y, O.loc); }
expr(A) ::= expr(X) SLASH(O) expr(Y). { A = bin(p, TK_SLASH, X, Y, O.loc); }
expr(A) ::= MINUS(O) expr(X). [UMINUS] { A = ps_expr(E_NEG, O.loc); A->a = X; }
expr(A) ::= IF(K) expr(C) THEN expr(X) ELSE expr(Y). [IF] {
	A = ps_expr(E_IF, K.loc); A->a = C; A->b = X; A->c = Y;
}
expr(A) ::= name(N) LPAREN args(G) RPAREN. {
	A = ps_expr(E_CALL, N.loc); A->s = N.s; A->args = G;
}
expr(A) ::= name(N) LBRACKET expr(K) RBRACKET. {
	A = ps_expr(E_LOOKUP, N.loc); A->s = N.s; A->a = K;
}
expr(A) ::= REF(R) name(N) LPAREN expr(K) RPAREN. {
	A = ps_expr(E_REF, ps_span(R.loc, N.loc)); A->s = N.s; A->a = K;
}
expr(A) ::= LBRACE(L) stmts(B) RBRACE. { A = ps_expr(E_OBJ, L.loc); A->body = B; }
expr(A) ::= LBRACKET(L) elems(E) RBRACKET. { A = ps_expr(E_ARR, L.loc); A->args = E; }
expr(A) ::= FOR(F) name(V) IN path(P) filter(W) LBRACE stmts(B) RBRACE. {
	A = ps_expr(E_FOR, F.loc); A->s = V.s; A->a = P; A->when = W; A->body = B;
}
/* `for a, i in`: i is the element's position, 0 for the first */
expr(A) ::= FOR(F) name(V) COMMA name(I) IN path(P) filter(W) LBRACE stmts(B) RBRACE. {
	A = ps_expr(E_FOR, F.loc); A->s = V.s; A->idx = I.s; A->a = P; A->when = W; A->body = B;
}

args(A) ::= . { A = NULL; }
args(A) ::= alist(L). { A = L; }
%type alist { Expr * }
alist(A) ::= expr(E). { A = E; }
alist(A) ::= alist(B) COMMA expr(E). { A = B; APPEND(Expr, A, E); }

elems(A) ::= . { A = NULL; }
elems(A) ::= elist(L). { A = L; }
elems(A) ::= elist(L) COMMA. { A = L; }
%type elist { Expr * }
elist(A) ::= elem(E). { A = E; }
elist(A) ::= elist(B) COMMA elem(E). { A = B; APPEND(Expr, A, E); }
/* An element's `when` keeps it only if the condition holds. */
elem(A) ::= expr(E). { A = E; }
elem(A) ::= expr(E) WHEN expr(C). { A = E; A->when = C; }
