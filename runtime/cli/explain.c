/*
 * explain.c - why each field of a target document has its value.
 *
 *   PAIR explain ENTITY [--map FILE] < record.json
 *       the document, then per field: its value, the .map line and rule
 *       that produced it, and the table entries it used; for a record that
 *       fails, the fields it got to, the lookups on the way and the reason
 *   PAIR test FILE.test...
 *       fixture tests next to a mapping (mappings/tests/PAIR/NAME.test, the
 *       format of tests/transform/): each expected document is compared
 *       field by field with the one made now; a difference prints its
 *       path, the expected and the actual value, and the .map line that
 *       produced the field; dead letters are compared line by line
 *
 * Tracing is the generated code's own calls: mw_put and mw_elem report the
 * value written at the current path, mw_lookup the table entry (or else)
 * it used; both are a single test of c->trace when explain is not running.
 * No state: a `ref` is the referenced record's source key, as in transform.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "engine.h"
#include "transform.h"

#define TR_MAX     4096  /* fields traced per record */
#define TR_LOOKUPS 512

typedef struct {
	char path[RT_PATH_MAX];
	char value[200];
	char lookups[TR_LOOKUPS];
	int line;
} tr_field;

struct rt_trace {
	tr_field *f;
	size_t n;
	char pending[TR_LOOKUPS]; /* lookups not yet followed by a write */
};

static void
val_text(mw_val v, char *out, size_t cap)
{
	char tmp[64];
	const char *p;
	size_t n;

	switch (rt_val_text(v, tmp, &p, &n)) {
	case 1:
		snprintf(out, cap, "null");
		return;
	case -1:
		snprintf(out, cap, "(%s)", rt_kind_name(v.kind));
		return;
	}
	if (v.kind == MW_STR || v.kind == MW_DATE || v.kind == MW_DATETIME)
		tx_quote(out, cap, p, n, cap / 2);
	else
		snprintf(out, cap, "%.*s", (int)n, p);
}

/* The tracer's lookup(): kept until the next value written. */
static void
trace_lookup(void *arg, mw_ctx *c, const mw_table *t, mw_val key, const mw_val *hit,
	int used_else)
{
	struct rt_trace *tr = arg;
	char k[96], v[96];
	size_t len = strlen(tr->pending);

	(void)c;
	val_text(key, k, sizeof k);
	if (hit)
		val_text(*hit, v, sizeof v);
	snprintf(tr->pending + len, sizeof tr->pending - len, "%s%s[%s] => %s%s", len ? "; " : "",
		t->name, k, used_else ? "else " : "", hit ? v : "fail");
}

/* The tracer's value(): one traced field, with the lookups before it. */
static void
trace_value(void *arg, mw_ctx *c, mw_val v)
{
	struct rt_trace *tr = arg;
	tr_field *f;

	if (tr->n == TR_MAX)
		return;
	f = &tr->f[tr->n++];
	w_path(&c->w, f->path, sizeof f->path);
	val_text(v, f->value, sizeof f->value);
	f->line = c->line;
	memcpy(f->lookups, tr->pending, sizeof f->lookups);
	tr->pending[0] = '\0';
}

/* ------------------------------------------------------------------ */
/* the .map source, for the rule text of a line                        */
/* ------------------------------------------------------------------ */

typedef struct {
	char *text;
	size_t n;
	const char **line; /* line[i]: the start of line i + 1 */
	size_t lines;
} src;

static void
src_load(src *s, const mw_program *p, const char *path)
{
	const char *tries[3] = { path, p->map_file, NULL };
	char alt[512];
	FILE *f = NULL;

	memset(s, 0, sizeof *s);
	snprintf(alt, sizeof alt, "mappings/%s", p->map_file);
	tries[2] = alt;
	for (int i = 0; i < 3 && !f; i++)
		if (tries[i])
			f = fopen(tries[i], "rb");
	if (!f)
		return;
	size_t cap = 1 << 16;
	s->text = malloc(cap + 1);
	while (s->text) {
		size_t got = fread(s->text + s->n, 1, cap - s->n, f);

		s->n += got;
		if (got == 0)
			break;
		if (s->n == cap) {
			char *t = realloc(s->text, cap * 2 + 1);

			if (!t)
				break;
			s->text = t;
			cap *= 2;
		}
	}
	fclose(f);
	if (!s->text)
		return;
	s->text[s->n] = '\0';
	for (size_t i = 0; i <= s->n; i++)
		if (i == 0 || s->text[i - 1] == '\n')
			s->lines++;
	s->line = malloc(s->lines * sizeof *s->line);
	if (!s->line)
		return;
	s->lines = 0;
	for (size_t i = 0; i <= s->n; i++)
		if (i == 0 || s->text[i - 1] == '\n')
			s->line[s->lines++] = s->text + i;
}

static void
src_rule(const src *s, int line, char *out, size_t cap)
{
	out[0] = '\0';
	if (!s->line || line < 1 || (size_t)line > s->lines)
		return;
	const char *b = s->line[line - 1], *e = b;

	while (*b == ' ' || *b == '\t')
		b++;
	e = b;
	while (*e && *e != '\n' && *e != '\r')
		e++;
	snprintf(out, cap, "%.*s", (int)(e - b), b);
}

static void
src_free(src *s)
{
	free(s->text);
	free(s->line);
}

/* ------------------------------------------------------------------ */
/* explain                                                             */
/* ------------------------------------------------------------------ */

static char *
slurp(FILE *in, size_t *n)
{
	size_t cap = 1 << 16, len = 0, got;
	char *b = malloc(cap);

	while (b && (got = fread(b + len, 1, cap - len, in)) > 0) {
		len += got;
		if (len == cap) {
			char *t = cap >= RT_LINE_MAX ? NULL : realloc(b, cap * 2);

			if (!t) {
				free(b);
				return NULL;
			}
			b = t;
			cap *= 2;
		}
	}
	while (b && len && (b[len - 1] == '\n' || b[len - 1] == '\r'))
		len--;
	*n = len;
	return b;
}

static void
print_fields(const struct rt_trace *tr, const src *s, const mw_program *p, FILE *out)
{
	char rule[300];

	for (size_t i = 0; i < tr->n; i++) {
		const tr_field *f = &tr->f[i];

		src_rule(s, f->line, rule, sizeof rule);
		fprintf(out, "  %-34s %-24s %s:%d  %s\n", f->path, f->value, p->map_file, f->line, rule);
		if (f->lookups[0])
			fprintf(out, "  %-34s   uses %s\n", "", f->lookups);
	}
}

/* What the entity's lifecycle does with this record once a document is
 * written for it, and whether `locked when` holds (a context of its own:
 * the map's is the one traced). */
static void
print_life(const mw_program *p, const mw_entity *e, const char *rec, size_t n, src *s, FILE *out)
{
	static const char *const names[] = { "write (create it, or update it when the document "
		"changed)", "void the document written", "keep the document as it is" };
	char rule[300];
	const mw_node *root;
	json_err je;
	mw_ctx *c;

	if (!e->life && !e->locked)
		return;
	if (!(c = rt_ctx_new()))
		return;
	c->map_file = p->map_file;
	if (json_parse(&c->a, rec, n, &root, &je) == 0 && root->type == JN_OBJ) {
		mw_val v = { .kind = MW_OBJ, .u.node = root };
		if (e->life) {
			int a = e->life(c, v);

			src_rule(s, c->line, rule, sizeof rule);
			if (c->failed || a < 0 || a > MW_LIFE_KEEP)
				fprintf(out, "lifecycle: no action: %s (%s:%d  %s)\n",
					c->failed ? c->reason : "none", p->map_file, c->line, rule);
			else
				fprintf(out, "lifecycle: %s (%s:%d  %s)\n", names[a], p->map_file,
					c->line, rule);
		}
		if (e->locked && !c->failed) {
			int l = e->locked(c, v);

			src_rule(s, c->line, rule, sizeof rule);
			fprintf(out, "locked: %s (%s:%d  %s)\n", c->failed ? c->reason : l ?
				"yes: a changed document is a dead letter, nothing is sent" : "no",
				p->map_file, c->line, rule);
		}
	}
	rt_ctx_free(c);
}

int
rt_explain(const mw_program *p, const mw_entity *e, FILE *in, FILE *out, FILE *err)
{
	struct rt_trace tr;
	mw_ctx *c = rt_ctx_new();
	size_t n = 0;
	char *rec = slurp(in, &n), rule[300], ktext[64];
	const char *kp;
	size_t kn;
	mw_val key;
	src s;
	int rc = 0, r;

	memset(&tr, 0, sizeof tr);
	tr.f = calloc(TR_MAX, sizeof *tr.f);
	if (!c || !rec || !tr.f) {
		fprintf(err, "%s: out of memory or unreadable input\n", p->pair);
		free(tr.f);
		free(rec);
		rt_ctx_free(c);
		return 2;
	}
	src_load(&s, p, getenv("MW_MAP"));
	const rt_tracer hooks = { trace_value, trace_lookup, &tr };
	c->trace = &hooks;
	r = rt_map_one(p, e, c, rec, n, &key);
	if (rt_val_text(key, ktext, &kp, &kn) != 0) {
		kp = "(no key)";
		kn = strlen(kp);
	}
	fprintf(out, "%s %.*s: %s.%s -> %s.%s (%s)\n", e->name, (int)kn, kp,
		rt_reads(p, e)->alias, e->source, rt_writes(p, e)->alias, e->target, p->map_file);
	switch (r) {
	case RT_MAP_DOC:
		fprintf(out, "%.*s\n\nfield by field (refs are the source keys here; `run` writes the "
			"target's ids):\n", (int)c->w.out.len, c->w.out.p);
		print_fields(&tr, &s, p, out);
		print_life(p, e, rec, n, &s, out);
		break;
	case RT_MAP_FILTERED:
		src_rule(&s, e->line, rule, sizeof rule);
		fprintf(out, "filtered out by the entity's `when` (%s:%d  %s): nothing is written\n",
			p->map_file, e->line, rule);
		break;
	default:
		src_rule(&s, c->fail_line, rule, sizeof rule);
		fprintf(out, "dead letter: %s\n  field  %s\n  at     %s:%d  %s\n", c->reason,
			c->path[0] ? c->path : "(none)", p->map_file, c->fail_line, rule);
		if (tr.pending[0])
			fprintf(out, "  after  %s\n", tr.pending);
		if (tr.n) {
			fprintf(out, "the fields written before it:\n");
			print_fields(&tr, &s, p, out);
		}
		rc = 1;
	}
	src_free(&s);
	free(tr.f);
	free(rec);
	rt_ctx_free(c);
	return fflush(out) ? 2 : rc;
}

/* ------------------------------------------------------------------ */
/* test                                                                */
/* ------------------------------------------------------------------ */

typedef struct {
	char *entity;
	char *rates;         /* `--- rates FILE`: the ECB's XML, beside the fixture */
	char **in, **outp, **dead;
	size_t nin, nout, ndead;
	int exit_code;
} fixture;

static int
push(char ***v, size_t *n, const char *line, size_t len)
{
	char **nv = realloc(*v, (*n + 1) * sizeof **v);

	if (!nv)
		return -1;
	*v = nv;
	if (!(nv[*n] = malloc(len + 1)))
		return -1;
	memcpy(nv[*n], line, len);
	nv[*n][len] = '\0';
	(*n)++;
	return 0;
}

static void
fx_free(fixture *x)
{
	for (size_t i = 0; i < x->nin; i++)
		free(x->in[i]);
	for (size_t i = 0; i < x->nout; i++)
		free(x->outp[i]);
	for (size_t i = 0; i < x->ndead; i++)
		free(x->dead[i]);
	free(x->in);
	free(x->outp);
	free(x->dead);
	free(x->entity);
	free(x->rates);
}

static int
fx_load(const char *path, fixture *x)
{
	FILE *f = fopen(path, "rb");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int sec = 0, rc = 0; /* 1 input, 2 output, 3 dead */

	memset(x, 0, sizeof *x);
	if (!f)
		return -1;
	while ((len = getline(&line, &cap, f)) >= 0 && rc == 0) {
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (!strncmp(line, "--- entity ", 11)) {
			free(x->entity);
			x->entity = strdup(line + 11);
			sec = 0;
		} else if (!strncmp(line, "--- rates ", 10)) {
			free(x->rates);
			x->rates = strdup(line + 10);
			sec = 0;
		} else if (!strncmp(line, "--- exit ", 9)) {
			x->exit_code = (int)strtol(line + 9, NULL, 10);
			sec = 0;
		} else if (!strcmp(line, "--- input")) {
			sec = 1;
		} else if (!strcmp(line, "--- output")) {
			sec = 2;
		} else if (!strcmp(line, "--- dead")) {
			sec = 3;
		} else if (sec == 1) {
			rc = push(&x->in, &x->nin, line, (size_t)len);
		} else if (sec == 2) {
			rc = push(&x->outp, &x->nout, line, (size_t)len);
		} else if (sec == 3) {
			rc = push(&x->dead, &x->ndead, line, (size_t)len);
		}
	}
	free(line);
	fclose(f);
	return rc || !x->entity ? -1 : 0;
}

/* A scalar node as a reader would write it: "text", 19.99, true, null. */
static void
node_text(const mw_node *x, char *out, size_t cap)
{
	switch (x->type) {
	case JN_TRUE: snprintf(out, cap, "true"); break;
	case JN_FALSE: snprintf(out, cap, "false"); break;
	case JN_NULL: snprintf(out, cap, "null"); break;
	case JN_OBJ: snprintf(out, cap, "an object"); break;
	case JN_ARR: snprintf(out, cap, "an array"); break;
	default: tx_quote(out, cap, x->p ? x->p : "", x->p ? x->n : 0, 50);
	}
}

/* Field by field: expected node a against actual b at path; differences
 * print with the .map line that wrote the actual field. */
static void
diff_nodes(const mw_node *a, const mw_node *b, char *path, size_t plen,
	   const struct rt_trace *tr, const mw_program *p, FILE *out, int *ndiff)
{
	char ea[120], eb[120];

	if (a && b && a->type == b->type && (a->type == JN_OBJ || a->type == JN_ARR)) {
		size_t base = strlen(path);
		int i = 0;

		for (const mw_node *x = a->child; x; x = x->next, i++) {
			const mw_node *y = NULL;

			if (a->type == JN_OBJ) {
				for (y = b->child; y && (y->keylen != x->keylen ||
				     memcmp(y->key, x->key, x->keylen)); y = y->next)
					;
				snprintf(path + base, plen - base, "%s%.*s", base ? "." : "",
					(int)x->keylen, x->key);
			} else {
				int j = 0;

				for (y = b->child; y && j < i; y = y->next)
					j++;
				snprintf(path + base, plen - base, "[%d]", i);
			}
			diff_nodes(x, y, path, plen, tr, p, out, ndiff);
		}
		if (a->type == JN_OBJ)
			for (const mw_node *y = b->child; y; y = y->next) {
				const mw_node *x;

				for (x = a->child; x && (x->keylen != y->keylen ||
				     memcmp(x->key, y->key, y->keylen)); x = x->next)
					;
				if (!x) {
					snprintf(path + base, plen - base, "%s%.*s", base ? "." : "",
						(int)y->keylen, y->key);
					diff_nodes(NULL, y, path, plen, tr, p, out, ndiff);
				}
			}
		else if (b->n > a->n) {
			snprintf(path + base, plen - base, "[%u..]", a->n);
			fprintf(out, "    %s: %u more elements than expected\n", path, b->n - a->n);
			(*ndiff)++;
		}
		path[base] = '\0';
		return;
	}
	int same = a && b && a->type == b->type && a->n == b->n &&
		(a->type == JN_OBJ || a->type == JN_ARR || a->n == 0 || !memcmp(a->p, b->p, a->n));
	if (a && b && a->type == JN_NUM && b->type == JN_NUM) {
		mw_dec x, y;

		same = dec_parse(a->p, a->n, &x) == 0 && dec_parse(b->p, b->n, &y) == 0 &&
			dec_cmp(x, y) == 0;
	}
	if (same)
		return;
	if (a)
		node_text(a, ea, sizeof ea);
	if (b)
		node_text(b, eb, sizeof eb);
	int line = 0;
	for (size_t i = 0; i < tr->n; i++)
		if (!strcmp(tr->f[i].path, path))
			line = tr->f[i].line;
	fprintf(out, "    %s: expected %s, got %s", path, a ? ea : "nothing", b ? eb : "nothing");
	if (line)
		fprintf(out, "  (%s:%d)", p->map_file, line);
	fputc('\n', out);
	(*ndiff)++;
}

/* The dead-letter line the transform command writes, rebuilt for
 * comparison: entity, key, line, field and reason must match. */
static int
dead_matches(const char *want, const mw_entity *e, mw_ctx *c, mw_val key, arena *a)
{
	const mw_node *root, *k;
	json_err je;
	char tmp[64];
	const char *kp = NULL;
	size_t kn = 0;

	if (json_parse(a, want, strlen(want), &root, &je) != 0 || root->type != JN_OBJ)
		return 0;
	if (rt_val_text(key, tmp, &kp, &kn) != 0)
		kp = NULL;
	k = json_get(root, "entity");
	if (!k || k->type != JN_STR || tx_cmp_z(k->p, k->n, e->name))
		return 0;
	k = json_get(root, "key");
	if (k && k->type == JN_STR && (!kp || k->n != kn || (kn && memcmp(k->p, kp, kn))))
		return 0;
	k = json_get(root, "reason");
	if (!k || k->type != JN_STR || tx_cmp_z(k->p, k->n, c->reason))
		return 0;
	k = json_get(root, "field");
	if (k && k->type == JN_STR && tx_cmp_z(k->p, k->n, c->path))
		return 0;
	return 1;
}

static int
test_one(const mw_program *p, const char *path, FILE *out, FILE *err)
{
	fixture x;
	struct rt_trace tr;
	mw_ctx *c = NULL;
	arena a;
	size_t nout = 0, ndead = 0;
	int ndiff = 0, code = 0;
	const mw_entity *e = NULL;

	if (fx_load(path, &x) != 0) {
		fprintf(err, "%s: cannot read the fixture %s\n", p->pair, path);
		fx_free(&x);
		return 2;
	}
	for (size_t i = 0; i < p->n_entities; i++)
		if (!strcmp(p->entities[i].name, x.entity))
			e = &p->entities[i];
	memset(&tr, 0, sizeof tr);
	tr.f = calloc(TR_MAX, sizeof *tr.f);
	c = rt_ctx_new();
	if (!e || !tr.f || !c || arena_init(&a, 1 << 16, RT_ARENA_MAX) != 0) {
		fprintf(err, "%s: %s: %s\n", p->pair, path, e ? "out of memory" : "unknown entity");
		free(tr.f);
		rt_ctx_free(c);
		fx_free(&x);
		return 2;
	}
	eng_rates *rates = NULL;
	if (x.rates) {
		char rp[1024], why[1200];
		const char *slash = strrchr(path, '/');

		snprintf(rp, sizeof rp, "%.*s%s", slash ? (int)(slash - path + 1) : 0, path, x.rates);
		if (!(rates = eng_rates_file(p, rp, why, sizeof why))) {
			fprintf(err, "%s: %s: --- rates %s: %s\n", p->pair, path, x.rates, why);
			free(tr.f);
			rt_ctx_free(c);
			fx_free(&x);
			arena_fini(&a);
			return 2;
		}
		eng_rates_install(rates, c);
	}
	const rt_tracer hooks = { trace_value, trace_lookup, &tr };
	c->trace = &hooks;
	for (size_t i = 0; i < x.nin; i++) {
		mw_val key;
		const char *l = x.in[i];
		size_t n = strlen(l), k;

		for (k = 0; k < n && (l[k] == ' ' || l[k] == '\t'); k++)
			;
		if (k == n)
			continue;
		tr.n = 0;
		tr.pending[0] = '\0';
		int r = rt_map_one(p, e, c, l, n, &key);

		arena_reset(&a);
		if (r == RT_MAP_FILTERED)
			continue;
		if (r == RT_MAP_DOC) {
			const mw_node *want, *got;
			json_err je;
			char fpath[RT_PATH_MAX] = "";

			if (nout >= x.nout) {
				fprintf(out, "  input %zu: a document the fixture does not expect: %.*s\n",
					i + 1, (int)c->w.out.len, c->w.out.p);
				ndiff++;
			} else if (rt_writes(p, e)->format_xml) {
				if (strlen(x.outp[nout]) != c->w.out.len ||
				    memcmp(x.outp[nout], c->w.out.p, c->w.out.len)) {
					fprintf(out, "  input %zu: document %zu differs\n    expected %s\n"
						"    got      %.*s\n", i + 1, nout + 1, x.outp[nout],
						(int)c->w.out.len, c->w.out.p);
					ndiff++;
				}
			} else if (json_parse(&a, x.outp[nout], strlen(x.outp[nout]), &want, &je) ||
				   json_parse(&a, c->w.out.p, c->w.out.len, &got, &je)) {
				fprintf(out, "  output %zu: not JSON: %s\n", nout + 1, x.outp[nout]);
				ndiff++;
			} else {
				int before = ndiff;

				diff_nodes(want, got, fpath, sizeof fpath, &tr, p, out, &ndiff);
				if (ndiff > before)
					fprintf(out, "  ^ input %zu, document %zu\n", i + 1, nout + 1);
			}
			nout++;
			continue;
		}
		code = 1;
		if (ndead >= x.ndead || !dead_matches(x.dead[ndead], e, c, key, &a)) {
			fprintf(out, "  input %zu: dead letter \"%s\" (field %s, %s:%d)%s%s\n", i + 1,
				c->reason, c->path[0] ? c->path : "-", p->map_file, c->fail_line,
				ndead < x.ndead ? "; expected " : " not expected",
				ndead < x.ndead ? x.dead[ndead] : "");
			ndiff++;
		}
		ndead++;
	}
	if (nout < x.nout) {
		fprintf(out, "  %zu expected documents were not made\n", x.nout - nout);
		ndiff++;
	}
	if (ndead < x.ndead) {
		fprintf(out, "  %zu expected dead letters did not happen\n", x.ndead - ndead);
		ndiff++;
	}
	if (code != x.exit_code) {
		fprintf(out, "  exit %d, expected %d\n", code, x.exit_code);
		ndiff++;
	}
	fprintf(out, "[%s] test/%s/%s\n", ndiff ? "FAIL" : "PASS", p->pair, path);
	arena_fini(&a);
	free(tr.f);
	rt_ctx_free(c);
	eng_rates_free(rates);
	fx_free(&x);
	return ndiff ? 1 : 0;
}

int
rt_test(const mw_program *p, int argc, char **argv, FILE *out, FILE *err)
{
	int failed = 0, n = 0;

	for (int i = 0; i < argc; i++, n++) {
		int r = test_one(p, argv[i], out, err);

		if (r == 2)
			return 2;
		failed += r;
	}
	if (n == 0) {
		fprintf(err, "%s: test needs fixture files (mappings/tests/%s/NAME.test)\n", p->pair,
			p->pair);
		return 2;
	}
	fprintf(out, "%d passed, %d failed\n", n - failed, failed);
	return failed ? 1 : 0;
}
