/*
 * eng.h - the sync engine's private header, shared by its two drivers:
 * sync.c (the engine itself, `run --once`, `dlq retry`, `status`) and
 * serve.c (the daemon: scheduler, webhook events, metrics).  Nothing else
 * includes it; generated C sees only mapwright.h.
 *
 * One `run` is one connection to a pair's services and its state file; the
 * engine handles one record at a time (eng_record) into a batch of at most
 * the target's max_batch documents (eng_flush).  Memory: the run's context
 * (an arena reset per record) and its batch, whatever the number of records.
 */
#ifndef MW_ENG_H
#define MW_ENG_H

#include <signal.h>
#include <stdarg.h>

#include "conn.h"
#include "engine.h"
#include "http.h"
#include "state.h"
#include "transform.h"

/* ------------------------------------------------------------------ */
/* limit.c: a target's rate limits                                     */
/* ------------------------------------------------------------------ */

/* A budget the limiter shares with other processes (serve --worker:
 * budget.c).  take: 0 the units granted in the window (ms) of that limit,
 * else how long to wait before asking again; waiting: called while a call
 * waits (the worker keeps its leases); a wait is cut to cap_ms. */
typedef struct {
	int64_t (*take)(void *arg, int64_t window_ms, int limit, int units);
	void (*waiting)(void *arg);
	void *arg;
	int64_t cap_ms;
} lim_share;

typedef struct {
	int per_min, per_day;     /* 0: none */
	int64_t *ring;            /* when each of the last per_min units was spent (ms) */
	int head, used;
	int64_t day, last_ms;
	int day_calls;
	long min_remaining, day_remaining; /* what the service said; -1: nothing */
	int64_t calls;            /* units spent in all */
	lim_share share;          /* take NULL: this process's calls alone */
	int got_min, got_day;     /* units the shared budgets granted, not yet taken */
} limiter;

int     lim_init(limiter *l, int per_min, int per_day);
void    lim_fini(limiter *l);
int64_t lim_wait_ms(limiter *l, int64_t now_ms, int units);
void    lim_take(limiter *l, int64_t now_ms, int units);
void    lim_observe(limiter *l, const http_response *r);

/* ------------------------------------------------------------------ */
/* breaker.c: a circuit breaker per target                             */
/* ------------------------------------------------------------------ */

enum { BRK_CLOSED, BRK_OPEN, BRK_HALF_OPEN };

typedef struct {
	int state, failures, threshold, probing;
	int64_t open_until, cooldown_ms, base_ms, max_ms;
	long opened;              /* times it opened */
} breaker;

void brk_init(breaker *b, int threshold, int64_t cooldown_ms, int64_t max_cooldown_ms);
int  brk_allow(breaker *b, int64_t now_ms);       /* may a call go now? */
void brk_result(breaker *b, int down, int64_t now_ms);
const char *brk_state_name(const breaker *b);

typedef struct run run;

#define KEY_MAX   256
#define STAMP_MAX 64

typedef struct {
	char *doc, *rec;
	size_t doc_len, rec_len, doc_cap, rec_cap;
	char key[64], source_id[KEY_MAX], hash[40], stamp[STAMP_MAX];
	char update_id[CONN_ID_MAX], match[512];
	int has_update, has_match, state_done; /* state_done: finished in an earlier run */
	int finding;               /* to look up by its match when the batch is flushed */
	conn_op op;                /* a write, or the void of update_id */
	char doc_hash[40];         /* of doc: what the cross-reference keeps once written */
	/* a create of an entity with `wins` fields and a `match`: the document
	 * as an update writes it, sent instead when the match adopts one (the
	 * winning side's values stand in the document found) */
	char *udoc;
	size_t udoc_len, udoc_cap;
	int has_udoc;
	int64_t dlq_id;            /* dlq retry: the dead letter the document is of */
} slot;

typedef struct {
	long read, created, updated, unchanged, filtered, dead, held, pending;
} counts;

/* What the engine keeps per service it calls: the rate limiter, the
 * circuit breaker (targets), and the figures /metrics shows. */
typedef struct {
	const char *name;         /* "xero" */
	limiter lim;
	breaker brk;
	http_gate gate;
	int64_t waited_ms;        /* waiting on rate limits, in all */
	long by_status[8];        /* calls: none, 1xx..5xx, other (see status_bucket) */
	long retries;
	long rate_limited;        /* answers 429 */
	int64_t sent_ms;          /* when the call in progress was let through */
	long token_ok, token_failed; /* OAuth token requests (grant_type=...) by outcome */
	int64_t held_since;       /* multi.c: since when calls wait on the limits; 0: none */
	const sync_opts *o;
	struct run *r;            /* for its stop flag and its log */
	state *budget_st;         /* serve --worker: the shared budgets' handle (budget.c) */
	int64_t lease_ms, renew_at; /* ... and the leases kept while a call waits on them */
} svc_ctl;

struct run {
	const mw_program *p;
	const sync_opts *o;
	volatile sig_atomic_t *stop; /* serve: set by SIGTERM / SIGINT; NULL: never */
	state *st;
	svc_ctl sctl, tctl;       /* the pair's source (the store) and target (the books) */
	conn_env senv, tenv;
	/* Each service's connection as read and as written: the same one,
	 * except in a dry run, where a written one prints what it would send
	 * and a read one (the books', for reverse entities) is opened apart. */
	conn *store_rd, *store_wr, *books_rd, *books_wr;
	conn_env store_wenv, books_renv; /* the dry run's second connections' */
	const conn_ops *store_ops, *books_ops;
	/* The entity being run, in its direction (eng_direction): what it reads
	 * (src, so, sep) and writes (tgt, to, tep, tc: its rate limiter,
	 * breaker and figures), and its batch size max (<= cap, the slots). */
	conn *src, *tgt;
	const conn_ops *so, *to;
	const mw_endpoint *sep, *tep;
	svc_ctl *tc;
	conn_token_store tokens;  /* the state file's, for both connectors */
	mw_ctx *c;
	/* the entity being run */
	const mw_entity *e;
	counts n;
	slot *slots;
	size_t ns, max, cap;
	char oldest_open[STAMP_MAX], newest[STAMP_MAX];
	int any_open, unresolved;
	/* the first ref the record being mapped could not resolve */
	char wait_entity[64], wait_key[KEY_MAX];
	int retrying;             /* dlq retry: a dead letter is processed again */
	int64_t retry_id;         /* dlq retry: the one being processed (slot.dlq_id) */
	struct eng_retries *retries; /* sync.c: dlq retry's dead letters not settled yet */
	int64_t last_dead;        /* id of the dead letter added last */
	int fatal;                /* the state store failed: stop */
	char why[256];            /* why eng_open failed (serve's /healthz) */
	long shown;               /* progress line */
	struct eng_rates *rates;  /* rates.c: the pair's `currency`; NULL: none */
	/* sync.c's read of the target asked again while it fails for now (its
	 * policy, backoff and breaker), for rates.c: installed, not called by
	 * name, so that rates.c calls no file that calls it */
	int (*target_read)(run *r, int (*call)(run *, void *, conn_result *), void *arg,
			   conn_result *res, const char *what);
	struct eng_multi *mx;     /* multi.c: the requests in flight at once */
};


/* sync.c */
/* Open the state file, both connectors (the target in dry-run mode when
 * asked) and the batch; stop may be NULL.  0, 2 fatal, 3 a service down
 * (why says which and how). */
int  eng_open(run *r, const mw_program *p, const sync_opts *o, volatile sig_atomic_t *stop);
void eng_close(run *r);
/* Make e the entity being run, with zero counts and an empty batch. */
void eng_begin_entity(run *r, const mw_entity *e);
/* Point the run's reading and writing sides at e's direction. */
void eng_direction(run *r, const mw_entity *e);
/* A conn_record_fn: one source record through the entity being run. */
int  eng_record(void *arg, const char *json, size_t len, const char *stamp);
void eng_flush(run *r);          /* write the batch */
int  eng_entity(run *r, const mw_entity *e, counts *total); /* list from the cursor */
int  eng_redrive(run *r);        /* send again what the journal holds pending */
/* The setting `key` of the mw_endpoint arg, from the environment or the
 * .map's literal; NULL when it is not set (a conn_env setting function). */
const char *eng_setting(void *arg, const char *key);
/* The connectors' token store over the state file st (its tokens table). */
conn_token_store eng_tokens(state *st);
/* multi.c: up to the target's `concurrent` requests of an entity in
 * flight at once.  begin: from now the entity's full batches go through
 * eng_multi_send, which takes the journaled batch r->slots[0..ns) (the
 * run gets a free batch in its place) and returns 1, or 0 when requests
 * go one at a time (the caller sends it); end: every request answered and
 * recorded, one at a time again.  eng_gate_ready: the http_gate's ready()
 * over the service's rate limiter. */
/* What multi.c is handed to act with (sync.c's own; the lower file is
 * handed them, it does not call up): the conn_items of slots (inputs);
 * 1 when the circuit breaker refuses a call now (res says so); whether an
 * attempt that ended with rc and res goes again and after how long (the
 * policies; says why, counts the retry); each document's outcome of an
 * answer, in one transaction (splits too); a wait that a stop cuts short;
 * a log line. */
typedef struct {
	void (*items)(run *r, slot **slots, size_t n, conn_item *items);
	int  (*breaker_refuses)(run *r, conn_result *res);
	int  (*write_again)(run *r, int attempt, int rc, const conn_result *res, int64_t *delay);
	void (*answered)(run *r, const char *request_key, slot **slots, size_t n,
		conn_item *items, int rc, const conn_result *answer);
	void (*sleep_ms)(run *r, int64_t ms);
	void (*say)(run *r, const char *level, const char *fmt, ...);
} eng_multi_hooks;
void eng_multi_begin(run *r, const eng_multi_hooks *h);
int  eng_multi_send(run *r, const char *request_key);
void eng_multi_end(run *r);
/* The target's find() for the entity being run (conn_ops.find), its
 * calls in flight with the writes' when they are. */
int  eng_multi_find(run *r, conn_find_item *items, size_t n, conn_result *res);
/* A read made while the entity's requests may be in flight (a find, the
 * rate a record's mapping asks for): call(r, arg, res) with the tape on
 * gate (the service the read goes to), run again as its answers come,
 * the requests in flight going on meanwhile; call's return.  Only for a
 * service whose connector replays (a cap above 1): while requests are in
 * flight they go to the entity's target, the one of the two that does. */
int  eng_multi_read(run *r, http_gate *gate, int (*call)(run *r, void *arg, conn_result *res),
	void *arg, conn_result *res);
/* Return once no request in flight holds the record source_id (its answer
 * recorded): a second version of a key, come while its first is in flight,
 * is then looked at as the first left things (in the same run). */
void eng_multi_wait_key(run *r, const char *source_id);
void eng_multi_free(run *r);
/* idle.c: what a burst of work grew given back (no pass under way) */
void eng_release_memory(run *r);
int64_t eng_gate_ready(void *arg, const http_request *req);

/* serve.c: keep the events of one webhook request in the inbox of st, in
 * one transaction (a hook_config store): the number new, or -1 with why. */
int eng_hook_store(void *st, const char *source, const hook_event *ev, size_t n,
	const char *body, size_t len, char *why, size_t whylen);
const mw_entity *eng_entity_named(const mw_program *p, const char *name);
void eng_add_counts(counts *into, const counts *add);
/* clock.c: monotonic and wall-clock milliseconds */
int64_t eng_mono_ms(void);
int64_t eng_wall_ms(void);
void eng_sleep_ms(run *r, int64_t ms);
/* budget.c: serve --worker: the services' rate limits taken from the
 * shared budgets on st (a handle of its own), waits cut to lease_ms / 3 */
void eng_budget_share(run *r, state *st, int64_t lease_ms);
int  eng_stopping(const run *r);
/* rates.c: rate() and convert() from the pair's `currency` source.  open:
 * 0, or -1 with why when the base or the rates file is unusable; begin: in
 * the context of each record; held: its transform failed for a rate not
 * there (yet), so it is held, not dead-lettered. */
int  eng_rates_open(run *r, char *why, size_t wn);
void eng_rates_close(run *r);
void eng_rates_begin(run *r);
int  eng_rates_held(const run *r);
/* A log line at level "debug", "info", "warn" or "error" (sync_opts says
 * which are shown, and whether as text or JSON lines). */
void eng_say(run *r, const char *level, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 3, 4)))
#endif
	;
void eng_vsay(run *r, const char *level, const char *fmt, va_list ap);
/* group.c: aggregate entities (`group by`; mw_entity.group).  What it
 * needs of sync.c is handed down (sync.c calls it: no two files call each
 * other, tests/tools/calls.py). */
typedef struct {
	/* the record's dead letter, its reason, line and field the context's */
	void (*dead_letter)(run *r, const char *source_id, const char *hash, const char *rec,
		size_t len);
	void (*hash)(const char *p, size_t n, char out[40]); /* a version's fingerprint */
	void (*flush)(run *r);
	int  (*stopping)(const run *r);
	void (*say)(run *r, const char *level, const char *fmt, ...);
	/* a member whose rate is not there yet held as any record: 1 when it
	 * was; source_id NULL: a group being made (hash its key) waits, its
	 * members listed again by the next run */
	int  (*held)(run *r, const char *source_id, const char *hash);
} group_env;
/* One record of a grouped entity: its document kept as its group's
 * member's, its group to be written; 0, or -1 when the run must stop. */
int  group_record(run *r, const group_env *g, mw_val rec, const char *source_id,
	const char *hash, const char *json, size_t len);
/* The groups of this listing, each from all its members, into the batch. */
void group_flush(run *r, const group_env *g);

#endif /* MW_ENG_H */
