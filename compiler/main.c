/*
 * main.c - the mapc driver.  It reads as the pipeline: read, then parse,
 * load the schemas and check (ld_program, shared with the tools), emit; it
 * stops after any phase that reported errors.
 *
 *   mapc [-o OUT.c] [-I DIR]... [--Werror] [--dump=tokens|ast] FILE.map
 */
#include <stdlib.h>
#include <string.h>

#include "mapc.h"

static void
usage(FILE *f)
{
	fputs("usage: mapc [-o OUT.c] [-I DIR]... [--Werror] [--dump=tokens|ast] FILE.map\n"
	      "       mapc fmt [--check] [FILE...]        (no FILE or -: stdin to stdout)\n"
	      "       mapc test FILE.map                (its fixtures, mappings/tests/PAIR/)\n"
	      "       mapc explain FILE.map ENTITY < record.json\n"
	      "       mapc suggest SOURCE.Object TARGET.Object [-I DIR]...\n"
	      "       mapc graph [--svg] [-I DIR]... FILE.map   (Graphviz picture)\n"
	      "       mapc doc [--html] [-I DIR]... FILE.map    (mapping sheet)\n"
	      "\n"
	      "Checks a mapping and writes its C (to standard output without -o).\n"
	      "Schemas of the services a pair names are read from schemas/ next to\n"
	      "FILE.map, then from each -I DIR.\n"
	      "  --check          check only, write nothing\n"
	      "  --dump=tokens    print the tokens of FILE.map and stop\n"
	      "  --dump=ast       print the parsed declarations and stop\n"
	      "  --Werror         treat warnings as errors\n"
	      "  --explain CODE   print the documentation of a diagnostic code (E012)\n"
	      "  --version        print the version\n", f);
}

/* Write through a temporary file and rename, so that a failed run never
 * leaves a half-written generated file behind. */
static int
write_out(const char *path, const Buf *b)
{
	if (!path)
		return fwrite(b->p, 1, b->len, stdout) == b->len ? 0 : -1;
	Buf tmp = { 0 };
	buf_printf(&tmp, "%s.tmp", path);
	FILE *f = fopen(tmp.p, "wb");
	int rc = -1;
	if (f) {
		rc = fwrite(b->p, 1, b->len, f) == b->len ? 0 : -1;
		if (fclose(f) != 0)
			rc = -1;
		if (rc == 0 && rename(tmp.p, path) != 0)
			rc = -1;
		if (rc != 0)
			remove(tmp.p);
	}
	if (rc != 0)
		fprintf(stderr, "mapc: error: cannot write %s\n", path);
	buf_free(&tmp);
	return rc;
}

int
main(int argc, char **argv)
{
	const char *in = NULL, *out = NULL, *dump = NULL;
	const char *dirs[64];
	int ndirs = 0, check_only = 0;

	if (argc > 1 && strcmp(argv[1], "suggest") == 0)
		return sg_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "graph") == 0)
		return graph_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "doc") == 0)
		return doc_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "fmt") == 0)
		return fmt_main(argc - 1, argv + 1);
	if (argc > 1 && (strcmp(argv[1], "test") == 0 || strcmp(argv[1], "explain") == 0))
		return mtest_main(argc, argv, argv[0]);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "-o") == 0 && i + 1 < argc) {
			out = argv[++i];
		} else if (strcmp(a, "-I") == 0 && i + 1 < argc) {
			if (ndirs < 64)
				dirs[ndirs++] = argv[++i];
		} else if (strncmp(a, "--dump=", 7) == 0) {
			dump = a + 7;
			if (strcmp(dump, "tokens") != 0 && strcmp(dump, "ast") != 0) {
				fprintf(stderr, "mapc: unknown --dump=%s (tokens or ast)\n", dump);
				return 2;
			}
		} else if (strcmp(a, "--Werror") == 0) {
			diag_werror = 1;
		} else if (strcmp(a, "--check") == 0) {
			check_only = 1;
		} else if (strcmp(a, "--explain") == 0 && i + 1 < argc) {
			if (diag_explain(argv[i + 1], stdout) == 0)
				return 0;
			fprintf(stderr, "mapc: no diagnostic code %s (see docs/errors.md)\n", argv[i + 1]);
			return 2;
		} else if (strcmp(a, "--version") == 0) {
			printf("mapc %s\n", MAPC_VERSION);
			return 0;
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (a[0] == '-' || in) {
			usage(stderr);
			return 2;
		} else {
			in = a;
		}
	}
	if (!in) {
		usage(stderr);
		return 2;
	}

	const SrcFile *f = ps_read_file(in, 0);
	if (!f)
		return ld_finish(1);
	if (dump && strcmp(dump, "tokens") == 0) {
		ps_dump_tokens(f, stdout);
		return ld_finish(diag_errors ? 1 : 0);
	}

	Program prog;
	if (ld_program(&prog, f, dirs, ndirs, dump ? LD_SCHEMAS : LD_CHECK) != 0)
		return ld_finish(1);
	if (dump) {
		ck_dump_ast(&prog, stdout);
		return ld_finish(0);
	}
	if (check_only)
		return ld_finish(0);

	Buf c = { 0 };
	cg_emit(&prog, &c);
	int rc = write_out(out, &c);
	buf_free(&c);
	return ld_finish(rc ? 1 : 0);
}
