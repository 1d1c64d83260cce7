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

int64_t
lim_wait_ms(const limiter *l, int64_t now_ms, int units)
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
}

void
lim_observe(limiter *l, const http_response *r)
{
	if (r->min_remaining >= 0)
		l->min_remaining = r->min_remaining;
	if (r->day_remaining >= 0)
		l->day_remaining = r->day_remaining;
}
