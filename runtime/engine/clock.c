/*
 * clock.c - the engine's two clocks, in a file of their own so that sync.c,
 * multi.c and rates.c share them without calling each other
 * (tests/tools/calls.py): monotonic milliseconds for waits, deadlines and
 * caches, wall-clock milliseconds where a calendar day counts (a daily
 * limit).
 */
#include <time.h>

#include "eng.h"

int64_t
eng_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
eng_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
