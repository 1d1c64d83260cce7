/*
 * limit.c - a target's published rate limits, kept from our side: a
 * sliding one-minute window and a calendar-day count (Xero: 60 a minute,
 * 5000 a day; QuickBooks Online: 500 a minute, each batch item counted),
 * tightened by what the service says is left (Xero's X-MinLimit-Remaining
 * and X-DayLimit-Remaining: other clients may share the quota).  A call is
 * counted when it leaves, so requests in flight at once (engine/multi.c)
 * are counted as surely as one at a time.
 *
 * lim_wait_ms() says how long to wait before a call costing `units`; the
 * caller sleeps (or, in the event loop, holds the call that long), then
 * lim_take() counts it.  A slot frees MARGIN_MS after
 * the minute: the service counts calls as they arrive, a little later than
 * they leave.  Memory: one timestamp per call
 * of the per-minute limit, allocated once.
 *
 * Shared (l->share set: serve --worker, budget.c): the limits are the
 * pair's, not the process's.  Once this process's own count has room, a
 * call's units are also taken from the shared budgets -- the minute's (its
 * window 60 s and the margin), then the day's (a sliding 24 h) -- and a 0
 * from lim_wait_ms is then a grant: the caller takes the call (lim_take) at
 * once.  A grant is asked for per call, the call's own units: one granted
 * but never sent (the process killed between) is counted and never made,
 * so the others get fewer, never more.  A refused day drops the minute's
 * grant (counted, unused) rather than keep it for a call hours later.
 */
#include <stdlib.h>
#include <string.h>

#include "eng.h"

#define MARGIN_MS 100

int
lim_init(limiter *l, int per_min, int per_day)
{
	memset(l, 0, sizeof *l);
	l->per_min = per_min > 0 ? per_min : 0;
	l->per_day = per_day > 0 ? per_day : 0;
	l->min_remaining = l->day_remaining = -1;
	if (l->per_min && !(l->ring = calloc((size_t)l->per_min, sizeof *l->ring)))
		return -1;
	return 0;
}

void
lim_fini(limiter *l)
{
	free(l->ring);
	l->ring = NULL;
}

/* The time the oldest of the last per_min units was spent, or -1 when
 * fewer than per_min were spent in the ring. */
static int64_t
oldest(const limiter *l)
{
	return l->used < l->per_min ? -1 : l->ring[l->head];
}

/* A wait while sharing: the process keeps what it holds meanwhile, and
 * asks again after at most cap_ms. */
static int64_t
share_wait(limiter *l, int64_t wait)
{
	if (l->share.waiting)
		l->share.waiting(l->share.arg);
	return l->share.cap_ms > 0 && wait > l->share.cap_ms ? l->share.cap_ms : wait;
}

/* The shared budgets' grant of units: 0, or how long to wait. */
static int64_t
share_take(limiter *l, int units)
{
	int64_t w;

	if (l->per_min && l->got_min < units) {
		int k = units > l->per_min ? l->per_min : units;

		if ((w = l->share.take(l->share.arg, 60000 + MARGIN_MS, l->per_min, k)) > 0)
			return share_wait(l, w);
		l->got_min = units;
	}
	if (l->per_day && l->got_day < units) {
		int k = units > l->per_day ? l->per_day : units;

		if ((w = l->share.take(l->share.arg, 86400000, l->per_day, k)) > 0) {
			l->got_min = 0;
			return share_wait(l, w);
		}
		l->got_day = units;
	}
	return 0;
}

static int64_t
local_wait_ms(const limiter *l, int64_t now_ms, int units)
{
	int64_t wait = 0;

	if (l->per_min && units > 0) {
		/* the call needs `units` slots: the units-th oldest must be a minute old */
		int k = units > l->per_min ? l->per_min : units;

		if (l->used + k > l->per_min) {
			int idx = (l->head + (l->used + k - l->per_min) - 1) % l->per_min;
			int64_t t = l->ring[idx] + 60000 + MARGIN_MS - now_ms;

			if (t > wait)
				wait = t;
		}
	}
	/* the service says the minute is spent (its window, not ours) */
	if (l->min_remaining == 0 && l->last_ms > 0) {
		int64_t t = (oldest(l) >= 0 ? oldest(l) : l->last_ms) + 60000 + MARGIN_MS - now_ms;

		if (t > wait)
			wait = t;
	}
	if (l->per_day && (l->day_calls + units > l->per_day || l->day_remaining == 0)) {
		int64_t next_day = (now_ms / 86400000 + 1) * 86400000;

		if (next_day - now_ms > wait)
			wait = next_day - now_ms;
	}
	return wait > 0 ? wait : 0;
}

int64_t
lim_wait_ms(limiter *l, int64_t now_ms, int units)
{
	int64_t wait = local_wait_ms(l, now_ms, units);

	if (!l->share.take || units <= 0)
		return wait;
	return wait > 0 ? share_wait(l, wait) : share_take(l, units);
}

void
lim_take(limiter *l, int64_t now_ms, int units)
{
	if (now_ms / 86400000 != l->day) {
		l->day = now_ms / 86400000;
		l->day_calls = 0;
		l->day_remaining = -1;
	}
	l->day_calls += units;
	l->last_ms = now_ms;
	for (int i = 0; i < units && l->per_min; i++) {
		if (l->used < l->per_min) {
			l->ring[(l->head + l->used) % l->per_min] = now_ms;
			l->used++;
		} else {
			l->ring[l->head] = now_ms;
			l->head = (l->head + 1) % l->per_min;
		}
	}
	l->calls += units;
	l->got_min = l->got_day = 0; /* the grants, spent */
}

void
lim_observe(limiter *l, const http_response *r)
{
	if (r->min_remaining >= 0)
		l->min_remaining = r->min_remaining;
	if (r->day_remaining >= 0)
		l->day_remaining = r->day_remaining;
}
