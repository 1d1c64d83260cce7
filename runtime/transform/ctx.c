/*
 * ctx.c - the per-record context's sticky error, and the field path it
 * names (w_path).  The context is made and reset in map.c.
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

#include "transform.h"

void
rt_ctx_set_ref(mw_ctx *c, rt_ref_fn fn, void *data)
{
	c->ref = fn;
	c->ref_data = data;
}

void
rt_ctx_set_creating(mw_ctx *c, int creating)
{
	c->creating = creating;
}

int
mw_creating(const mw_ctx *c)
{
	return c->creating;
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

/* ------------------------------------------------------------------ */
/* the field path of the document position, for a failure and a trace */
/* ------------------------------------------------------------------ */

static size_t
app(char *buf, size_t cap, size_t n, const char *s, size_t len)
{
	if (n + len >= cap)
		len = n + 1 < cap ? cap - n - 1 : 0;
	memcpy(buf + n, s, len);
	n += len;
	buf[n] = '\0';
	return n;
}

static size_t
app_name(char *buf, size_t cap, size_t n, const char *name)
{
	if (n > 0)
		n = app(buf, cap, n, ".", 1);
	return app(buf, cap, n, name, strlen(name));
}

static size_t
app_idx(char *buf, size_t cap, size_t n, int32_t i)
{
	char tmp[32];
	size_t k;

	tmp[0] = '[';
	k = 1 + tx_i64(tmp + 1, i);
	tmp[k++] = ']';
	return app(buf, cap, n, tmp, k);
}

size_t
w_path(const w_doc *d, char *buf, size_t cap)
{
	size_t n = 0;
	int i;

	buf[0] = '\0';
	for (i = 1; i < d->depth; i++) {
		if (d->st[i - 1].kind == W_ARR)
			n = app_idx(buf, cap, n, d->st[i].idx);
		else
			n = app_name(buf, cap, n, d->st[i].name);
	}
	if (d->depth > 0) {
		const w_frame *top = &d->st[d->depth - 1];

		if (top->kind == W_OBJ && d->field)
			n = app_name(buf, cap, n, d->field);
		else if (top->kind == W_ARR)
			n = app_idx(buf, cap, n, top->count);
	}
	return n;
}
