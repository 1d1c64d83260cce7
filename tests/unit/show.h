/*
 * show.h - the canonical text of a transform value for a test's failure
 * line, or the context's failure reason.  Four buffers in turn, so that a
 * line may show a few values at once.
 */
#ifndef TEST_SHOW_H
#define TEST_SHOW_H

#include <stdio.h>

#include "transform.h"

static const char *
show(mw_ctx *c, mw_val v)
{
	static char buf[4][RT_REASON_MAX + 16];
	static int k;
	char tmp[64];
	const char *p;
	size_t n;
	char *b = buf[k++ & 3];

	if (mw_failed(c))
		snprintf(b, sizeof buf[0], "FAIL: %s", c->reason);
	else if (rt_val_text(v, tmp, &p, &n) == 0)
		snprintf(b, sizeof buf[0], "%.*s", (int)n, p);
	else
		snprintf(b, sizeof buf[0], "<%s>", rt_kind_name(v.kind));
	return b;
}

#endif /* TEST_SHOW_H */
