/*
 * mtest.c - `mapc test FILE.map` and `mapc explain FILE.map ENTITY`.
 *
 * Both run the mapping's compiled transform, which is the pair binary the
 * build made next to mapc (bin/clarity_xero for mappings/clarity_xero.map):
 * mapc checks and writes C, the binary runs it, so what is tested is what
 * will run.  `test` hands the binary every fixture of the mapping
 * (mappings/tests/PAIR/NAME.test: input records, expected documents and
 * dead letters; no network); `explain` one record on standard input, with
 * the .map file so each field's rule can be shown.  The compiler still
 * includes no runtime header: it only executes the binary.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mapc.h"

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* dir of path, or "." */
static void
dir_of(const char *path, char *out, size_t cap)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(out, cap, ".");
	else
		snprintf(out, cap, "%.*s", (int)(slash - path), path);
}

/* clarity_xero from .../clarity_xero.map */
static int
pair_of(const char *map, char *out, size_t cap)
{
	const char *b = strrchr(map, '/'), *dot;

	b = b ? b + 1 : map;
	dot = strrchr(b, '.');
	if (!dot || strcmp(dot, ".map") != 0 || dot == b)
		return -1;
	snprintf(out, cap, "%.*s", (int)(dot - b), b);
	return 0;
}

int
mtest_main(int argc, char **argv, const char *argv0)
{
	char bindir[1024], mapdir[1024], pair[256], exe[1400], fxdir[1400];
	int explain = !strcmp(argv[1], "explain");

	if (argc < 3 || (explain && argc != 4) || pair_of(argv[2], pair, sizeof pair) != 0) {
		fprintf(stderr, "usage: mapc test FILE.map\n"
			"       mapc explain FILE.map ENTITY < record.json\n");
		return 2;
	}
	dir_of(argv0, bindir, sizeof bindir);
	dir_of(argv[2], mapdir, sizeof mapdir);
	snprintf(exe, sizeof exe, "%s/%s", bindir, pair);
	if (access(exe, X_OK) != 0) {
		fprintf(stderr, "mapc: %s is not built: run make (it builds the pair binary "
			"from %s)\n", exe, argv[2]);
		return 2;
	}
	if (explain) {
		char *args[] = { exe, "explain", argv[3], "--map", argv[2], NULL };

		execv(exe, args);
		fprintf(stderr, "mapc: cannot run %s: %s\n", exe, strerror(errno));
		return 2;
	}
	snprintf(fxdir, sizeof fxdir, "%s/tests/%s", mapdir, pair);
	DIR *d = opendir(fxdir);
	if (!d) {
		fprintf(stderr, "mapc: no fixtures for %s: %s is missing\n", argv[2], fxdir);
		return 2;
	}
	char **args = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);

		if (len < 6 || strcmp(de->d_name + len - 5, ".test") != 0)
			continue;
		if (n + 4 > cap) {
			cap = cap ? cap * 2 : 16;
			args = realloc(args, cap * sizeof *args);
			if (!args)
				unreachable();
		}
		size_t sz = strlen(fxdir) + len + 2;
		args[2 + n] = malloc(sz);
		if (!args[2 + n])
			unreachable();
		snprintf(args[2 + n], sz, "%s/%s", fxdir, de->d_name);
		n++;
	}
	closedir(d);
	if (n == 0) {
		fprintf(stderr, "mapc: no NAME.test files in %s\n", fxdir);
		return 2;
	}
	qsort(args + 2, n, sizeof *args, cmp_str);
	args[0] = exe;
	args[1] = "test";
	args[2 + n] = NULL;
	execv(exe, args);
	fprintf(stderr, "mapc: cannot run %s: %s\n", exe, strerror(errno));
	return 2;
}
