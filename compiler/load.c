/*
 * load.c - the front end every command shares: parse a file, load the
 * schemas its pair names, check it, stopping after any phase that reported
 * errors.  main.c (the compiler) and the tools in tools/ (fmt, doc, graph,
 * suggest) all load a program through here, so they see it the same way.
 */
#include <string.h>

#include "mapc.h"

int
ld_program(Program *prog, const SrcFile *f, const char *const *dirs, int ndirs, LoadUpto upto)
{
	int before = diag_errors;
	memset(prog, 0, sizeof *prog);
	prog->main = f;
	ps_parse(prog, f);
	if (diag_errors > before)
		return -1;
	if (upto == LD_PARSE)
		return 0;
	ck_load_schemas(prog, dirs, ndirs);
	if (diag_errors > before)
		return -1;
	if (upto == LD_SCHEMAS)
		return 0;
	ck_check(prog);
	return diag_errors > before ? -1 : 0;
}

int
ld_file(Program *prog, const char *path, const char *const *dirs, int ndirs, LoadUpto upto)
{
	const SrcFile *f = ps_read_file(path, 0);
	if (!f)
		return -1;
	return ld_program(prog, f, dirs, ndirs, upto);
}

int
ld_finish(int rc)
{
	if (diag_errors || diag_warnings)
		fprintf(stderr, "%d error%s, %d warning%s\n", diag_errors, diag_errors == 1 ? "" : "s",
			diag_warnings, diag_warnings == 1 ? "" : "s");
	fflush(stdout);
	ar_free_all();
	return rc;
}
