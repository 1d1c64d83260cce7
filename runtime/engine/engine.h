/*
 * engine.h - the sync engine as the command line sees it: `run --once`,
 * `status`, `serve`, `dlq`.  The engine drives the connectors, the state
 * store, the network layer and the transform library; nothing below it
 * calls back up.  Its own files share eng.h.
 */
#ifndef MW_ENGINE_H
#define MW_ENGINE_H

#include <stdint.h>
#include <stdio.h>

#include "mapwright.h"

/* ------------------------------------------------------------------ */
/* sync.c: the sync engine                                             */
/* ------------------------------------------------------------------ */

typedef struct {
	const char *state_path;
	int once;                /* run --once: every entity once, then stop */
	int dry_run;             /* print the write requests; write nothing, keep no state */
	int init;                /* --init: a state file of 0 bytes is made a new one */
	int progress;            /* a progress line on err (a terminal) */
	int batch;               /* at most this many documents a request; 0: the target's */
	int64_t max_wait_ms;     /* cap on one backoff wait; 0: none */
	int log_level;           /* 0 debug, 1 info, 2 warn, 3 error: the least shown */
	int log_json;            /* log lines as JSON (serve) */
	const char *bind;        /* serve: the address listened on; NULL: 127.0.0.1 */
	int worker;              /* serve --worker: one of several on a PostgreSQL schema */
	int64_t lease_ms;        /* serve --worker: the leases' time; 0: 10 s */
	FILE *call_log;          /* one line per HTTP call: ms service status; NULL: none */
	FILE *out, *err;
} sync_opts;

/* 0 all done, 1 some dead-lettered, 3 some held or pending, 2 fatal. */
int sync_once(const mw_program *p, const sync_opts *o);
int sync_status(const mw_program *p, const char *state_path, FILE *out, FILE *err);
/* serve: the daemon (serve.c), until SIGTERM or SIGINT; 0 stopped, 2 fatal. */
int sync_serve(const mw_program *p, const sync_opts *o, unsigned port, const char *port_file);
/* dlq retry: dead letter id (0: every one, oldest first) through the engine
 * again with the same idempotency key; 0 all written, 1 some dead again, 3
 * some still waiting, 2 fatal. */
int sync_dlq_retry(const mw_program *p, const sync_opts *o, int64_t id);

/* ------------------------------------------------------------------ */
/* dlq.c: the dead-letter queue for operators                          */
/* ------------------------------------------------------------------ */

/* `dlq list|show|retry|drop|export ...`: argv[0] is "dlq". */
int dlq_cmd(const mw_program *p, const char *state_path, const sync_opts *o, int argc,
	char **argv);

/* ------------------------------------------------------------------ */
/* rates.c: exchange rates for rate() and convert()                    */
/* ------------------------------------------------------------------ */

/* A file of the ECB's reference rates alone, into the program's base
 * currency: what `transform --rates FILE` and `test` give a transform,
 * which reaches no service.  NULL, with why, when the program declares no
 * `currency` or the file is not that XML.  Install it in a context:
 * rt_ctx_set_rate with it, kept until eng_rates_free. */
typedef struct eng_rates eng_rates;
eng_rates *eng_rates_file(const mw_program *p, const char *path, char *why, size_t wn);
void eng_rates_install(eng_rates *x, mw_ctx *c);
void eng_rates_free(eng_rates *x);

/* A w_sink_fn (transform.h) that writes to the FILE *arg: 0, or -1. */
int sync_file_sink(void *arg, const char *p, size_t n);

#endif /* MW_ENGINE_H */
