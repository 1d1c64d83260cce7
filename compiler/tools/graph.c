/*
 * graph.c - `mapc graph`: the mapping as a Graphviz (dot) picture.
 *
 *   mapc graph [--svg] [-I DIR]... FILE.map
 *
 * One cluster per entity: the source fields it reads on the left, the
 * target fields it writes on the right, and between them the tables,
 * tracking categories and dimensions the values are looked up in (drawn
 * once, outside the clusters, as several entities share them) and the
 * `ref`s to other entities, with a dashed edge to the entity referenced:
 * the dependencies that order the sync.  Nodes and edges come in
 * declaration order and have names made of the mapping's own, so the same
 * input gives the same bytes.  --svg pipes the text through Graphviz's
 * `dot -Tsvg` found on PATH (Debian's graphviz package).
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mapc.h"

#define MAX_DEPTH 256 /* scopes: the record, then one per `for` and sum() */

typedef struct {
	Buf out;            /* header, table nodes, clusters */
	Buf edges;          /* every edge, after the clusters */
	Buf *cl;            /* the cluster being written */
	const Entity *ent;
	char **seen;        /* node ids and edge keys already written */
	int nseen, capseen;
	const char *var[MAX_DEPTH];  /* a scope's loop variable, NULL: fields bare */
	const char *prefix[MAX_DEPTH]; /* the source path a scope's value is at */
	int depth;
	int nrefs;
} Graph;

/* A dot string: quotes and backslashes escaped, newlines as \n, and `&`
 * as &amp; (Graphviz reads HTML entities in every string). */
static void
q(Buf *b, const char *s)
{
	buf_puts(b, "\"");
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			buf_printf(b, "\\%c", *s);
		else if (*s == '&')
			buf_puts(b, "&amp;");
		else if (*s == '\n')
			buf_puts(b, "\\n");
		else if (*s != '\r')
			buf_put(b, s, 1);
	}
	buf_puts(b, "\"");
}

/* 1 the first time key is offered, 0 after. */
static int
first_time(Graph *g, const char *key)
{
	for (int i = 0; i < g->nseen; i++)
		if (strcmp(g->seen[i], key) == 0)
			return 0;
	if (g->nseen == g->capseen) {
		int cap = g->capseen ? g->capseen * 2 : 64;
		char **n = ar_alloc(sizeof *n * (size_t)cap);
		if (g->nseen)
			memcpy(n, g->seen, sizeof *n * (size_t)g->nseen);
		g->seen = n;
		g->capseen = cap;
	}
	g->seen[g->nseen++] = ar_strndup(key, strlen(key));
	return 1;
}

static void
node(Graph *g, Buf *where, const char *id, const char *label, const char *attrs)
{
	if (!first_time(g, id))
		return;
	buf_puts(where, "\t\t");
	q(where, id);
	buf_puts(where, " [label=");
	q(where, label);
	if (attrs)
		buf_printf(where, ", %s", attrs);
	buf_puts(where, "];\n");
}

static void
edge(Graph *g, const char *from, const char *to, const char *attrs)
{
	Buf key = { 0 };
	buf_printf(&key, "%s\n->\n%s", from, to);
	if (first_time(g, key.p)) {
		buf_puts(&g->edges, "\t");
		q(&g->edges, from);
		buf_puts(&g->edges, " -> ");
		q(&g->edges, to);
		if (attrs)
			buf_printf(&g->edges, " [%s]", attrs);
		buf_puts(&g->edges, ";\n");
	}
	buf_free(&key);
}

/* ---- node ids: the entity's name, a kind, the path ---- */

static const char *
id_of(Graph *g, const char *kind, const char *path)
{
	Buf b = { 0 };
	buf_printf(&b, "%s/%s/%s", g->ent->name, kind, path);
	const char *s = ar_strndup(b.p, b.len);
	buf_free(&b);
	return s;
}

static const char *
table_node(Graph *g, const Table *t)
{
	Buf b = { 0 };
	buf_printf(&b, "table/%s", t->name);
	const char *s = ar_strndup(b.p, b.len);
	buf_free(&b);
	(void)g;
	return s;
}

static const char *
entity_node(const Entity *en)
{
	Buf b = { 0 };
	buf_printf(&b, "entity/%s", en->name);
	const char *s = ar_strndup(b.p, b.len);
	buf_free(&b);
	return s;
}

/* The source path a path expression reads, from its scope: `li.sku` in
 * `for li in lineItems` is lineItems[].sku. */
static void
src_path(Graph *g, const Expr *e, Buf *out)
{
	int d = e->bind >= 0 && e->bind <= g->depth ? e->bind : 0;
	const StrList *s = e->path;
	if (g->var[d] && s)
		s = s->next;
	buf_puts(out, g->prefix[d]);
	for (; s; s = s->next) {
		if (out->len)
			buf_puts(out, ".");
		buf_puts(out, s->s);
	}
}

static const char *
src_node(Graph *g, const Expr *e)
{
	Buf p = { 0 };
	src_path(g, e, &p);
	const char *id = id_of(g, "src", p.len ? p.p : "(record)");
	node(g, g->cl, id, p.len ? p.p : "(record)", "fillcolor=\"#dbeafe\"");
	buf_free(&p);
	return id;
}

static const char *
tgt_node(Graph *g, const char *path)
{
	const char *id = id_of(g, "tgt", path);
	node(g, g->cl, id, path, "fillcolor=\"#dcfce7\"");
	return id;
}

static void
push(Graph *g, const char *var, const Expr *arr)
{
	Buf p = { 0 };
	src_path(g, arr, &p);
	buf_puts(&p, "[]");
	if (g->depth + 1 < MAX_DEPTH) {
		g->depth++;
		g->var[g->depth] = var;
		g->prefix[g->depth] = ar_strndup(p.p, p.len);
	}
	buf_free(&p);
}

static int
is_literal(const Expr *e)
{
	return e->k == E_STR || e->k == E_INT || e->k == E_DEC || e->k == E_BOOL ||
		e->k == E_NULL;
}

/* Edges from every source field e reads, through its lookups, to sink. */
static void
flow(Graph *g, const Expr *e, const char *sink)
{
	if (!e)
		return;
	switch (e->k) {
	case E_PATH:
		if (e->table) {
			const char *t = table_node(g, e->table);
			if (e->a) {
				int saved = g->depth;
				g->depth = 0; /* the table's source is read from the record */
				edge(g, src_node(g, e->a), t, NULL);
				g->depth = saved;
			}
			edge(g, t, sink, NULL);
		} else {
			edge(g, src_node(g, e), sink, NULL);
		}
		return;
	case E_LOOKUP:
		if (e->table) {
			const char *t = table_node(g, e->table);
			flow(g, e->a, t);
			edge(g, t, sink, NULL);
		} else {
			flow(g, e->a, sink);
		}
		return;
	case E_REF: {
		Buf b = { 0 };
		buf_printf(&b, "%s/%d", e->s, ++g->nrefs);
		const char *id = id_of(g, "ref", b.p);
		buf_free(&b);
		Buf label = { 0 };
		buf_printf(&label, "ref %s", e->s);
		node(g, g->cl, id, label.p, "shape=hexagon, fillcolor=\"#fde2e2\"");
		buf_free(&label);
		flow(g, e->a, id);
		edge(g, id, sink, NULL);
		if (e->ref) {
			Buf a = { 0 };
			buf_printf(&a, "style=dashed, color=\"#b91c1c\", fontcolor=\"#b91c1c\", "
				"label=\"depends on\", lhead=\"cluster_%s\"", e->ref->name);
			edge(g, id, entity_node(e->ref), a.p);
			buf_free(&a);
		}
		return;
	}
	case E_CALL:
		if (strcmp(e->s, "sum") == 0 && e->args && e->args->next && e->args->k == E_PATH) {
			flow(g, e->args, sink);
			int saved = g->depth;
			push(g, NULL, e->args);
			flow(g, e->args->next, sink);
			g->depth = saved;
			return;
		}
		for (const Expr *a = e->args; a; a = a->next)
			flow(g, a, sink);
		return;
	case E_OBJ: case E_ARR: case E_FOR:
		return; /* only as a field's value: see fields() */
	default:
		flow(g, e->a, sink);
		flow(g, e->b, sink);
		flow(g, e->c, sink);
		return;
	}
}

/* A field's value, written to the target node at path. */
static void
value(Graph *g, const Expr *e, const char *path)
{
	const char *t = tgt_node(g, path);
	if (is_literal(e)) {
		Buf lit = { 0 };
		if (e->k == E_STR)
			doc_string_lit(&lit, e->s, e->n);
		else
			buf_puts(&lit, e->k == E_NULL ? "null" : e->s);
		const char *id = id_of(g, "const", lit.p);
		node(g, g->cl, id, lit.p, "shape=plaintext, style=\"\", fontcolor=\"#555555\"");
		edge(g, id, t, NULL);
		buf_free(&lit);
		return;
	}
	flow(g, e, t);
}

static void fields(Graph *g, const Stmt *b, const char *prefix);

/* One element of an array field at path. */
static void
element(Graph *g, const Expr *x, const char *path)
{
	Buf sub = { 0 };
	buf_printf(&sub, "%s[]", path);
	if (x->k == E_FOR) {
		int saved = g->depth;
		const char *from = src_node(g, x->a);
		Buf lab = { 0 };
		buf_printf(&lab, "label=\"for each %s\", style=bold", x->s);
		edge(g, from, tgt_node(g, sub.p), lab.p);
		buf_free(&lab);
		push(g, x->s, x->a);
		buf_puts(&sub, ".");
		fields(g, x->body, sub.p);
		g->depth = saved;
	} else if (x->k == E_OBJ) {
		buf_puts(&sub, ".");
		fields(g, x->body, sub.p);
	} else {
		value(g, x, sub.p);
	}
	buf_free(&sub);
}

static void
fields(Graph *g, const Stmt *b, const char *prefix)
{
	for (const Stmt *s = b; s; s = s->next) {
		if (s->k != S_ASSIGN)
			continue;
		Buf path = { 0 };
		buf_printf(&path, "%s%s", prefix, s->name);
		const Expr *e = s->e;
		if (e->k == E_OBJ) {
			buf_puts(&path, ".");
			fields(g, e->body, path.p);
		} else if (e->k == E_FOR) {
			element(g, e, path.p);
		} else if (e->k == E_ARR) {
			for (const Expr *x = e->args; x; x = x->next)
				element(g, x, path.p);
		} else {
			value(g, e, path.p);
		}
		buf_free(&path);
	}
}

static void
entity(Graph *g, const Entity *en)
{
	Buf cl = { 0 };
	g->cl = &cl;
	g->ent = en;
	g->depth = 0;
	g->var[0] = NULL;
	g->prefix[0] = "";
	g->nrefs = 0;
	buf_puts(&g->out, "\tsubgraph ");
	Buf name = { 0 };
	buf_printf(&name, "cluster_%s", en->name);
	q(&g->out, name.p);
	buf_free(&name);
	buf_puts(&g->out, " {\n\t\tlabel=");
	Buf label = { 0 };
	buf_printf(&label, "entity %s", en->name);
	q(&g->out, label.p);
	buf_free(&label);
	buf_puts(&g->out, ";\n\t\tstyle=\"rounded\"; color=\"#94a3b8\";\n");

	Buf head = { 0 }, key = { 0 };
	doc_expr(&key, en->key);
	buf_printf(&head, "%s\n%s.%s \xe2\x86\x92 %s.%s\nkey %s", en->name, en->src_alias,
		en->src_coll, en->tgt_alias, en->tgt_type, key.p);
	node(g, &cl, entity_node(en), head.p,
		"shape=box, style=\"filled,bold\", fillcolor=\"#f1f5f9\"");
	buf_free(&head);
	buf_free(&key);
	fields(g, en->body, "");
	buf_put(&g->out, cl.p ? cl.p : "", cl.len);
	buf_puts(&g->out, "\t}\n");
	buf_free(&cl);
	g->cl = NULL;
}

static void
write_graph(Graph *g, const Program *p)
{
	Buf *o = &g->out;
	const Pair *pr = p->pair;
	buf_puts(o, "digraph ");
	q(o, pr->name);
	buf_puts(o, " {\n");
	Buf title = { 0 };
	buf_printf(&title, "%s: %s (%s) \xe2\x86\x92 %s (%s)", pr->name, pr->src->alias,
		pr->src->service, pr->tgt->alias, pr->tgt->service);
	buf_puts(o, "\tgraph [rankdir=LR, compound=true, labelloc=t, fontname=\"Helvetica\", "
		"fontsize=14, nodesep=0.12, ranksep=0.5, label=");
	q(o, title.p);
	buf_puts(o, "];\n");
	buf_free(&title);
	buf_puts(o, "\tnode [shape=box, style=\"rounded,filled\", fillcolor=\"#ffffff\", "
		"fontname=\"Helvetica\", fontsize=10, height=0.3];\n");
	buf_puts(o, "\tedge [fontname=\"Helvetica\", fontsize=9, color=\"#64748b\", "
		"arrowsize=0.6];\n");

	/* every table, used or not, in declaration order */
	for (const Decl *d = p->decls; d; d = d->next) {
		if (d->k != D_TABLE)
			continue;
		const Table *t = d->u.table;
		Buf lab = { 0 };
		const char *attrs;
		if (t->kind == T_TRACKING) {
			buf_printf(&lab, "%s\ntracking ", t->name);
			doc_string_lit(&lab, t->category, strlen(t->category));
			attrs = "shape=cylinder, style=filled, fillcolor=\"#e0f2fe\"";
		} else if (t->kind == T_DIMENSION) {
			buf_printf(&lab, "%s\ndimension", t->name);
			attrs = "shape=cylinder, style=filled, fillcolor=\"#ede9fe\"";
		} else {
			buf_printf(&lab, "%s\ntable", t->name);
			attrs = "shape=cylinder, style=filled, fillcolor=\"#fef3c7\"";
		}
		Buf id = { 0 };
		buf_printf(&id, "table/%s", t->name);
		buf_puts(o, "\t");
		q(o, id.p);
		buf_puts(o, " [label=");
		q(o, lab.p);
		buf_printf(o, ", %s];\n", attrs);
		first_time(g, id.p);
		buf_free(&id);
		buf_free(&lab);
	}
	for (const Decl *d = p->decls; d; d = d->next)
		if (d->k == D_ENTITY)
			entity(g, d->u.ent);
	buf_put(o, g->edges.p ? g->edges.p : "", g->edges.len);
	buf_puts(o, "}\n");
}

/* ---- --svg: through Graphviz ---- */

static int
find_program(const char *name, Buf *out)
{
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/bin:/bin";
	while (1) {
		const char *colon = strchr(path, ':');
		size_t n = colon ? (size_t)(colon - path) : strlen(path);
		out->len = 0;
		if (n)
			buf_put(out, path, n);
		else
			buf_puts(out, ".");
		buf_printf(out, "/%s", name);
		if (access(out->p, X_OK) == 0)
			return 0;
		if (!colon)
			return -1;
		path = colon + 1;
	}
}

static int
render_svg(const Buf *dot_text)
{
	Buf dot = { 0 };
	if (find_program("dot", &dot) != 0) {
		fputs("mapc: error: --svg needs Graphviz's `dot` on PATH "
			"(Debian: apt-get install graphviz)\n", stderr);
		buf_free(&dot);
		return 1;
	}
	int fd[2];
	if (pipe(fd) != 0) {
		fprintf(stderr, "mapc: error: pipe: %s\n", strerror(errno));
		buf_free(&dot);
		return 1;
	}
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "mapc: error: fork: %s\n", strerror(errno));
		close(fd[0]);
		close(fd[1]);
		buf_free(&dot);
		return 1;
	}
	if (pid == 0) {
		dup2(fd[0], 0);
		close(fd[0]);
		close(fd[1]);
		execl(dot.p, "dot", "-Tsvg", (char *)NULL);
		_exit(127);
	}
	close(fd[0]);
	void (*old)(int) = signal(SIGPIPE, SIG_IGN);
	size_t off = 0;
	int rc = 0;
	while (off < dot_text->len) {
		ssize_t w = write(fd[1], dot_text->p + off, dot_text->len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			rc = 1;
			break;
		}
		off += (size_t)w;
	}
	close(fd[1]);
	signal(SIGPIPE, old);
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR) {
			st = -1;
			break;
		}
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "mapc: error: %s -Tsvg failed\n", dot.p);
		rc = 1;
	}
	buf_free(&dot);
	return rc;
}

int
graph_main(int argc, char **argv)
{
	const char *in = NULL;
	const char *dirs[64];
	int ndirs = 0, svg = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--svg") == 0) {
			svg = 1;
		} else if (strcmp(a, "-I") == 0 && i + 1 < argc) {
			if (ndirs < 64)
				dirs[ndirs++] = argv[++i];
		} else if (a[0] == '-' || in) {
			fputs("usage: mapc graph [--svg] [-I DIR]... FILE.map\n", stderr);
			return 2;
		} else {
			in = a;
		}
	}
	if (!in) {
		fputs("usage: mapc graph [--svg] [-I DIR]... FILE.map\n", stderr);
		return 2;
	}
	Program prog;
	if (ld_file(&prog, in, dirs, ndirs, LD_CHECK) != 0)
		return ld_finish(1);
	if (!prog.pair || !prog.pair->src || !prog.pair->tgt) {
		fprintf(stderr, "mapc: error: %s has no pair to draw\n", in);
		return ld_finish(1);
	}
	Graph g = { 0 };
	write_graph(&g, &prog);
	int rc;
	if (svg) {
		rc = render_svg(&g.out);
	} else {
		rc = fwrite(g.out.p, 1, g.out.len, stdout) == g.out.len && fflush(stdout) == 0 ? 0 : 1;
		if (rc)
			fputs("mapc: error: cannot write the graph\n", stderr);
	}
	buf_free(&g.out);
	buf_free(&g.edges);
	return ld_finish(rc);
}
