/*
 * ctx.c - the per-record context: arena, document writer, sticky error.
 *
 * Errors are sticky like ferror(3): the first failure of a record is kept
 * with its reason, the .map line and the target field path, and every later
 * operation is a no-op, so generated code only tests mw_failed() once per
 * statement.  One context serves a whole stream: rt_ctx_reset between
 * records keeps its memory for the next one.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "rt.h"

mw_ctx *
rt_ctx_new(void)
{
	mw_ctx *c = calloc(1, sizeof *c);

	if (!c)
		return NULL;
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
}

void
rt_ctx_set_ref(mw_ctx *c, rt_ref_fn fn, void *data)
{
	c->ref = fn;
	c->ref_data = data;
}

int
mw_failed(const mw_ctx *c)
{
	return c->failed;
}

void
mw_line(mw_ctx *c, int line)
{
	if (!c->failed)
		c->line = line;
}

void
mw_fail(mw_ctx *c, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (c->failed)
		return;
	c->failed = 1;
	c->fail_line = c->line;
	va_start(ap, fmt);
	n = vsnprintf(c->reason, sizeof c->reason, fmt, ap);
	va_end(ap);
	if (n < 0) {
		snprintf(c->reason, sizeof c->reason, "%s", fmt);
	} else if ((size_t)n >= sizeof c->reason) {
		/* cut: do not leave half a UTF-8 sequence in the dead letter */
		size_t k = tx_utf8_trunc(c->reason, sizeof c->reason - 1);

		c->reason[k] = '\0';
	}
	w_path(&c->w, c->path, sizeof c->path);
}

void
rt_fail_mem(mw_ctx *c)
{
	if (c->a.err == ARENA_E_CAP || c->w.out.err == WB_E_CAP)
		mw_fail(c, "record too large");
	else
		mw_fail(c, "out of memory");
}

void *
rt_alloc(mw_ctx *c, size_t n)
{
	void *p = arena_alloc(&c->a, n);

	if (!p)
		rt_fail_mem(c);
	return p;
}

char *
rt_bytes(mw_ctx *c, size_t n)
{
	char *p = arena_bytes(&c->a, n);

	if (!p)
		rt_fail_mem(c);
	return p;
}
