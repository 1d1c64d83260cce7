/*
 * test_limit.c - the rate limiter (sliding minute, calendar day, batch
 * units, the service's remaining-quota headers) and the circuit breaker
 * (closed, open after failures in a row, half-open with one probe, longer
 * cooldowns after a failed probe, closed again on success), and the
 * limiter sharing its budget with other processes (serve --worker).
 */
#include <stdio.h>
#include <string.h>

#include "eng.h"

static int failures;

/* A shared budget as budget.c's (the state's): `left` calls per window,
 * asked for in asks; refused, wait 5000 ms. */
typedef struct {
	int left_min, left_day, asks, waited;
	int64_t last_window;
} fake_share;

static int64_t
fake_take(void *arg, int64_t window_ms, int limit, int units)
{
	fake_share *f = arg;
	int *left = window_ms == 86400000 ? &f->left_day : &f->left_min;

	(void)limit;
	f->asks++;
	f->last_window = window_ms;
	if (*left < units)
		return 5000;
	*left -= units;
	return 0;
}

static void
fake_waiting(void *arg)
{
	((fake_share *)arg)->waited++;
}

static void
check(int ok, const char *name, long long got)
{
	printf(ok ? "[PASS] limit/%s\n" : "[FAIL] limit/%s: got %lld\n", name, got);
	failures += !ok;
}

int
main(void)
{
	limiter l;
	const int64_t day0 = 20000LL * 86400000; /* midnight UTC of some day, in ms */
	int64_t t = day0 + 1000;

	lim_init(&l, 3, 5);
	check(lim_wait_ms(&l, t, 1) == 0, "first-call-free", lim_wait_ms(&l, t, 1));
	lim_take(&l, t, 1);
	lim_take(&l, t + 10000, 1);
	lim_take(&l, t + 20000, 1);
	/* a slot frees a minute (and a 100 ms margin) after it was spent */
	check(lim_wait_ms(&l, t + 30000, 1) == 30100, "fourth-waits-for-oldest",
		lim_wait_ms(&l, t + 30000, 1));
	check(lim_wait_ms(&l, t + 30000, 2) == 40100, "two-units-wait-for-second",
		lim_wait_ms(&l, t + 30000, 2));
	check(lim_wait_ms(&l, t + 60100, 1) == 0, "a-minute-later-free",
		lim_wait_ms(&l, t + 60100, 1));
	lim_take(&l, t + 60100, 1);
	lim_take(&l, t + 70000, 1);
	/* five a day: the sixth waits for the next day */
	int64_t w = lim_wait_ms(&l, t + 200000, 1);
	check(w == day0 + 86400000 - (t + 200000), "day-limit-waits-for-midnight", w);
	lim_take(&l, day0 + 86400000 + 5, 1);
	check(l.day_calls == 1, "new-day-counts-from-zero", l.day_calls);

	/* Xero says the minute is spent although we count fewer calls */
	limiter x;
	http_response r;
	memset(&r, 0, sizeof r);
	lim_init(&x, 60, 0);
	lim_take(&x, t, 1);
	r.min_remaining = 0;
	r.day_remaining = -1;
	lim_observe(&x, &r);
	check(lim_wait_ms(&x, t + 1000, 1) == 59100, "service-says-minute-spent",
		lim_wait_ms(&x, t + 1000, 1));
	r.min_remaining = 12;
	lim_observe(&x, &r);
	check(lim_wait_ms(&x, t + 1000, 1) == 0, "service-says-room-again",
		lim_wait_ms(&x, t + 1000, 1));
	lim_fini(&x);
	lim_fini(&l);

	limiter none;
	lim_init(&none, 0, 0);
	check(lim_wait_ms(&none, t, 1000) == 0, "no-limit-never-waits", 0);
	lim_fini(&none);

	/* shared (serve --worker): a call needs this process's room and the
	 * shared budgets' grant; a 0 is the grant, spent by lim_take */
	limiter sh;
	fake_share f = { 2, 100, 0, 0, 0 };
	lim_init(&sh, 60, 1000);
	sh.share = (lim_share){ fake_take, fake_waiting, &f, 400 };
	check(lim_wait_ms(&sh, t, 1) == 0 && f.asks == 2 && f.left_min == 1 && f.left_day == 99,
		"shared-grant-of-minute-and-day", f.asks);
	check(f.last_window == 86400000, "shared-day-window", f.last_window);
	lim_take(&sh, t, 1);
	check(lim_wait_ms(&sh, t, 1) == 0 && f.left_min == 0, "shared-second-granted", f.left_min);
	check(lim_wait_ms(&sh, t, 1) == 0 && f.asks == 4, "shared-grant-kept-until-taken", f.asks);
	lim_take(&sh, t, 1);
	/* the others spent the minute: this process's own count has room, the
	 * pair's not; the wait is cut to cap_ms, the process keeps its leases */
	int64_t sw = lim_wait_ms(&sh, t + 1, 1);
	check(sw == 400 && f.waited == 1, "shared-spent-waits-capped", sw);
	check(f.left_day == 98, "shared-refused-minute-takes-no-day", f.left_day);
	f.left_min = 5;
	f.left_day = 0;
	sw = lim_wait_ms(&sh, t + 2, 1);
	check(sw == 400 && f.left_min == 4 && sh.got_min == 0, "shared-refused-day-drops-minute",
		sh.got_min);
	lim_fini(&sh);

	breaker b;
	brk_init(&b, 3, 1000, 4000);
	for (int i = 0; i < 2; i++)
		brk_result(&b, 1, 0);
	check(b.state == BRK_CLOSED && brk_allow(&b, 0), "closed-below-threshold", b.state);
	brk_result(&b, 0, 0);
	brk_result(&b, 1, 0);
	brk_result(&b, 1, 0);
	check(b.state == BRK_CLOSED, "success-resets-the-count", b.failures);
	brk_result(&b, 1, 10);
	check(b.state == BRK_OPEN && !brk_allow(&b, 500), "opens-after-threshold", b.state);
	check(brk_allow(&b, 1010) && b.state == BRK_HALF_OPEN && !brk_allow(&b, 1011),
		"half-open-one-probe", b.state);
	brk_result(&b, 1, 1020);
	check(b.state == BRK_OPEN && b.cooldown_ms == 2000 && !brk_allow(&b, 2000),
		"failed-probe-opens-longer", b.cooldown_ms);
	check(brk_allow(&b, 3020), "probe-after-longer-cooldown", b.state);
	brk_result(&b, 0, 3030);
	check(b.state == BRK_CLOSED && b.cooldown_ms == 1000 && brk_allow(&b, 3031),
		"probe-success-closes", b.state);
	for (int i = 0; i < 3; i++)
		brk_result(&b, 1, 4000);
	brk_allow(&b, 5000);
	brk_result(&b, 1, 5000);
	brk_allow(&b, 7000);
	brk_result(&b, 1, 7000);
	brk_allow(&b, 11000);
	brk_result(&b, 1, 11000);
	check(b.cooldown_ms == 4000, "cooldown-capped", b.cooldown_ms);
	check(!strcmp(brk_state_name(&b), "open"), "state-name", 0);
	return failures ? 1 : 0;
}
