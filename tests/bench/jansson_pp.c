/*
 * jansson_pp.c - the benchmark's floor: parse each NDJSON line with jansson
 * and print it back compact.  A transform that builds a full jansson tree
 * per record can be no faster than this.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
main(void)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	long bad = 0;
	static char out[1 << 16];
	setvbuf(stdout, out, _IOFBF, sizeof out);
	while ((n = getline(&line, &cap, stdin)) > 0) {
		json_error_t err;
		json_t *j = json_loadb(line, (size_t)n, 0, &err);
		if (!j) {
			bad++;
			continue;
		}
		json_dumpf(j, stdout, JSON_COMPACT);
		fputc('\n', stdout);
		json_decref(j);
	}
	free(line);
	if (bad)
		fprintf(stderr, "jansson_pp: %ld lines did not parse\n", bad);
	return 0;
}
