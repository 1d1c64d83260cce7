/*
 * map.c - the per-record context (its arena and document writer, reused
 * for every record of a stream: rt_ctx_reset between records keeps its
 * memory), and one source record through an entity: parse the line, take
 * its key, run the generated map function into the context's document.
 * The `transform` command, explain/test and the sync engine all come here.
 */
#include <stdlib.h>
#include <string.h>

#include "transform.h"

const mw_endpoint *
rt_reads(const mw_program *p, const mw_entity *e)
{
	return e->reverse ? &p->target : &p->source;
}

const mw_endpoint *
rt_writes(const mw_program *p, const mw_entity *e)
{
	return e->reverse ? &p->source : &p->target;
}

mw_ctx *
rt_ctx_new(void)
{
	mw_ctx *c = calloc(1, sizeof *c);

	if (!c)
		return NULL;
	c->creating = 1; /* the transform, explain, test: a document's first write */
	if (arena_init(&c->a, 64 << 10, RT_ARENA_MAX)) {
		free(c);
		return NULL;
	}
	if (w_doc_init(&c->w)) {
		arena_fini(&c->a);
		free(c);
		return NULL;
	}
	return c;
}

void
rt_ctx_free(mw_ctx *c)
{
	if (!c)
		return;
	arena_fini(&c->a);
	w_doc_fini(&c->w);
	free(c);
}

void
rt_ctx_reset(mw_ctx *c)
{
	arena_reset(&c->a);
	w_doc_reset(&c->w);
	c->line = 0;
	c->failed = 0;
	c->fail_line = 0;
	c->reason[0] = '\0';
	c->path[0] = '\0';
	c->missed = NULL;
	c->missed_line = 0;
}

/* For a daemon going idle: what the records of a burst grew goes back. */
void
rt_ctx_trim(mw_ctx *c)
{
	rt_ctx_reset(c);
	arena_trim(&c->a);
	w_doc_trim(&c->w);
}

int
rt_map_one(const mw_program *p, const mw_entity *e, mw_ctx *c, const char *line, size_t n,
	   mw_val *key)
{
	const mw_node *root;
	json_err je;
	mw_val rec;
	int r;

	rt_ctx_reset(c);
	c->map_file = p->map_file;
	key->kind = MW_MISSING;
	r = json_parse(&c->a, line, n, &root, &je);
	if (r == JSON_E_MEM) {
		rt_fail_mem(c);
		return RT_MAP_RAW;
	}
	if (r != 0) {
		mw_fail(c, "invalid JSON at byte %zu: %s", je.off, je.msg);
		return RT_MAP_RAW;
	}
	if (root->type != JN_OBJ) {
		mw_fail(c, "the record is not a JSON object");
		return RT_MAP_NOKEY;
	}
	rec.kind = MW_OBJ;
	rec.u.node = root;
	if (e->key)
		*key = e->key(c, rec);
	if (c->failed)
		return RT_MAP_NOKEY;
	w_doc_begin(c, e->target, rt_writes(p, e)->format_xml);
	r = c->failed ? -1 : e->map(c, rec);
	if (!c->failed && r == 1)
		return RT_MAP_FILTERED;
	if (!c->failed && r == 0 && w_doc_end(c) == 0)
		return RT_MAP_DOC;
	if (!c->failed)
		mw_fail(c, "the map function failed without a reason (it returned %d)", r);
	return RT_MAP_FAILED;
}
