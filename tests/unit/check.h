/*
 * check.h - how the unit tests report, one line per case:
 *   [PASS] AREA/name        or        [FAIL] AREA/name: detail
 * (the suite counts the lines).  Define CHECK_AREA ("state") first; main()
 * returns failures ? 1 : 0.  check() takes a fixed detail; CHECK() a
 * printf format and its arguments, formatted only on failure.
 */
#ifndef TEST_CHECK_H
#define TEST_CHECK_H

#include <stdio.h>

static int failures;

static inline void
check(int ok, const char *name, const char *detail)
{
	if (ok)
		printf("[PASS] " CHECK_AREA "/%s\n", name);
	else
		printf("[FAIL] " CHECK_AREA "/%s: %s\n", name, detail ? detail : "");
	failures += !ok;
}

#define CHECK(name, cond, ...) do { \
	if (cond) { \
		printf("[PASS] " CHECK_AREA "/%s\n", name); \
	} else { \
		failures++; \
		printf("[FAIL] " CHECK_AREA "/%s: ", name); \
		printf(__VA_ARGS__); \
		printf("\n"); \
	} \
} while (0)

#endif /* TEST_CHECK_H */
