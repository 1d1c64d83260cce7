/*
 * breaker.c - a circuit breaker per target.  Closed: calls go.  After
 * `threshold` failures in a row that say the target is down (transient:
 * 5xx, timeouts, refused connections), open: no call goes for `cooldown`;
 * the records wait (they are not dead-lettered) and the engine moves on.
 * Then half-open: one probe goes; its success closes the breaker, its
 * failure opens it again for twice as long (up to max_cooldown).  A target
 * that answers, even with a refusal, is up: only transient failures count.
 */
#include <string.h>

#include "eng.h"

void
brk_init(breaker *b, int threshold, int64_t cooldown_ms, int64_t max_cooldown_ms)
{
	memset(b, 0, sizeof *b);
	b->threshold = threshold > 0 ? threshold : 5;
	b->base_ms = b->cooldown_ms = cooldown_ms > 0 ? cooldown_ms : 30000;
	b->max_ms = max_cooldown_ms > b->base_ms ? max_cooldown_ms : b->base_ms;
}

int
brk_allow(breaker *b, int64_t now_ms)
{
	if (b->state == BRK_OPEN && now_ms >= b->open_until) {
		b->state = BRK_HALF_OPEN;
		b->probing = 0;
	}
	if (b->state == BRK_CLOSED)
		return 1;
	if (b->state == BRK_HALF_OPEN && !b->probing) {
		b->probing = 1; /* one probe at a time */
		return 1;
	}
	return 0;
}

void
brk_result(breaker *b, int down, int64_t now_ms)
{
	if (!down) {
		b->state = BRK_CLOSED;
		b->failures = 0;
		b->cooldown_ms = b->base_ms;
		b->probing = 0;
		return;
	}
	if (b->state == BRK_HALF_OPEN) {
		b->cooldown_ms = b->cooldown_ms * 2 > b->max_ms ? b->max_ms : b->cooldown_ms * 2;
	} else if (++b->failures < b->threshold) {
		return;
	}
	b->state = BRK_OPEN;
	b->open_until = now_ms + b->cooldown_ms;
	b->probing = 0;
	b->opened++;
}

const char *
brk_state_name(const breaker *b)
{
	return b->state == BRK_CLOSED ? "closed" : b->state == BRK_OPEN ? "open" : "half-open";
}
