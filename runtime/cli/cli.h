/*
 * cli.h - the pair binary's commands: the top of the runtime.  The command
 * line calls the engine (run, status, serve, dlq) and the transform
 * library (transform, explain, test); nothing calls up into it.
 */
#ifndef MW_CLI_H
#define MW_CLI_H

#include <stdio.h>

#include "mapwright.h"

/* ------------------------------------------------------------------ */
/* explain.c: why each field has its value (explain, test)             */
/* ------------------------------------------------------------------ */

/* `explain ENTITY` (one record on in) and `test FILE...` (fixtures). */
int  rt_explain(const mw_program *p, const mw_entity *e, FILE *in, FILE *out, FILE *err);
int  rt_test(const mw_program *p, int argc, char **argv, FILE *out, FILE *err);

/* ------------------------------------------------------------------ */
/* cli.c: the pair binary's command line                               */
/* ------------------------------------------------------------------ */

int mw_cli_main(int argc, char **argv, const mw_program *p);
/* The same with explicit streams (unit tests). */
int mw_cli_run(const mw_program *p, int argc, char **argv,
	       FILE *in, FILE *out, FILE *err);

#endif /* MW_CLI_H */
