/*
 * rules.c - what a target field accepts beyond its type (`max`, `enum`),
 * checked on values computed at run time.  Built on the public API only:
 * a value that breaks its field's rule fails the record, which then goes to
 * the dead-letter queue naming the field, instead of reaching the target
 * API and failing there with a 400.
 */
#include <string.h>

#include "mapwright.h"

mw_val
mw_valid(mw_ctx *c, mw_val v, const mw_rule *rule)
{
	if (mw_failed(c) || v.kind != MW_STR)
		return v;
	if (rule->max > 0) {
		mw_val n = mw_fn_len(c, v);
		if (n.kind == MW_INT && n.u.i > rule->max) {
			mw_fail(c, "%s is %lld characters, at most %d are allowed", rule->field,
				(long long)n.u.i, rule->max);
			return v;
		}
	}
	if (rule->enums) {
		for (size_t i = 0; i < rule->n_enums; i++) {
			const char *e = rule->enums[i];
			if (strlen(e) == v.u.s.n && memcmp(e, v.u.s.p, v.u.s.n) == 0)
				return v;
		}
		mw_fail(c, "\"%.*s\" is not one of the values %s takes",
			v.u.s.n > 80 ? 80 : (int)v.u.s.n, v.u.s.p, rule->field);
	}
	return v;
}
