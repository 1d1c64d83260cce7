/*
 * budget.c - serve --worker: the rate limits of a pair's services are the
 * pair's, shared by its workers through the state (state_budget_take on a
 * handle of its own, docs/state.md "Many workers"), not each worker's.
 * The limiter (limit.c) asks for each call's units once its own count has
 * room; refused, the call waits until the window frees, asked again at
 * least every third of the lease time, and the worker renews its leases
 * meanwhile: a worker waiting on a budget the others spend keeps the
 * entities it polls.  A budget per service and window: "NAME/60100" (the
 * minute and its margin) and "NAME/86400000" (the day).
 */
#include <stdio.h>

#include "eng.h"

static int64_t
take(void *arg, int64_t window_ms, int limit, int units)
{
	svc_ctl *t = arg;
	char target[96];
	int64_t wait = 0;

	snprintf(target, sizeof target, "%s/%lld", t->name, (long long)window_ms);
	int rc = state_budget_take(t->budget_st, target, window_ms, limit, units, &wait);
	if (rc == 0)
		return 0;
	if (rc == 1) {
		eng_say(t->r, "debug", "%s", state_errmsg(t->budget_st));
		return wait > 0 ? wait : 1;
	}
	/* never a call without its grant: asked again a second later */
	eng_say(t->r, "warn", "%s: the shared rate-limit budget: %s; again in 1 s", t->name,
		state_errmsg(t->budget_st));
	return 1000;
}

static void
waiting(void *arg)
{
	svc_ctl *t = arg;
	int64_t now = eng_mono_ms();

	if (now < t->renew_at)
		return;
	t->renew_at = now + t->lease_ms / 3;
	if (state_lease_renew_all(t->r->st) < 0)
		eng_say(t->r, "warn", "cannot renew the leases while waiting on %s's rate limit: %s",
			t->name, state_errmsg(t->r->st));
}

void
eng_budget_share(run *r, state *st, int64_t lease_ms)
{
	svc_ctl *ts[2] = { &r->sctl, &r->tctl };

	for (int i = 0; i < 2; i++) {
		svc_ctl *t = ts[i];

		t->budget_st = st;
		t->lease_ms = lease_ms;
		t->lim.share.take = take;
		t->lim.share.waiting = waiting;
		t->lim.share.arg = t;
		t->lim.share.cap_ms = lease_ms / 3;
	}
}
