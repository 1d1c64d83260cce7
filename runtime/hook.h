/*
 * hook.h - the sync daemon's webhook and operations HTTP server: signed
 * webhooks from the services into the state store's inbox, /healthz and
 * Prometheus /metrics (docs/webhooks.md).
 *
 *   POST /webhooks/{source}  one route per configured source; the body is
 *                            verified the way that service signs it, over
 *                            the raw bytes, with a constant-time compare,
 *                            then turned into inbox events (state_inbox_add)
 *                            that are durable BEFORE the 200 goes out
 *   GET  /healthz            200 "ok\n", or 503 and the reason
 *   GET  /metrics            text exposition format 0.0.4: the daemon's
 *                            metrics, then mapwright_webhooks_total
 *
 * Answers: 200 stored (or a duplicate event id: nothing changes; or an
 * event type nothing syncs: "ignored"), 401 missing or bad signature or a
 * stale Clarity timestamp (nothing stored), 413 a body over max_body
 * (Content-Length refused before the body is read; a body without one is
 * counted as it comes and dropped), 400 not JSON or not the service's event
 * shape, 500 the store failed (the sender retries), 404 no such source, 405
 * another method.  A 200 has no body (Xero requires none).
 *
 * Threads: libmicrohttpd runs with one internal polling thread
 * (MHD_USE_INTERNAL_POLLING_THREAD, no thread per connection, no pool), so
 * every request, the health and metrics callbacks and the hook's own state
 * handle (state_open(cfg->state_path), opened by hook_start for that thread
 * and used by nothing else) run on that one thread, one request at a time.
 * The callbacks must therefore be safe to call from a thread other than
 * the daemon's.  The counters are C11 atomics: hook_count() may be called
 * from any thread.
 *
 * A secret or a signature is never logged, answered or kept after
 * hook_stop() (the hook's copies are wiped).  Errors are values: 0, or a
 * negative HOOK_E* code with the reason in err.
 */
#ifndef MW_HOOK_H
#define MW_HOOK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct hook hook;

enum {
	HOOK_EUSAGE = -1,  /* a bad configuration */
	HOOK_ESTATE = -2,  /* the state file would not open */
	HOOK_ELISTEN = -3, /* the address would not bind (in use, not local) */
};

/* How a source signs its webhooks. */
typedef enum {
	HOOK_XERO,    /* x-xero-signature: base64(HMAC-SHA256(webhook key, body)) */
	HOOK_QBO,     /* intuit-signature: base64(HMAC-SHA256(verifier token, body)) */
	HOOK_CLARITY, /* X-Clarity-Signature: sha256=hex(HMAC-SHA256(secret, ts "." body)),
		       * X-Clarity-Timestamp: unix seconds, within 300 s of now */
} hook_scheme;

#define HOOK_MAX_ROUTES 16
#define HOOK_SOURCE_MAX 32  /* a source name: 1..32 of [a-z0-9_-] */

typedef struct {
	const char *source;  /* the URL's {source}, the events' source, the metrics label */
	hook_scheme scheme;
	const char *secret;  /* the key the service signs with; copied */
} hook_route;

/* printf-style: appends to the /metrics answer being built. */
typedef void (*hook_append_fn)(void *ctx, const char *fmt, ...);

typedef struct {
	const hook_route *routes;
	size_t n_routes;          /* 0..HOOK_MAX_ROUTES */
	const char *bind;         /* NULL: "127.0.0.1"; an IPv4 or IPv6 literal */
	unsigned port;            /* 0: any free port (hook_port tells which) */
	size_t max_body;          /* 0: 1 MiB */
	const char *state_path;   /* the deployment's state file (its own handle) */
	/* Both on the server thread; NULL: none.  metrics appends whole
	 * exposition lines (# HELP, # TYPE, samples); health returns 0 when
	 * healthy, else non-zero with the reason in why. */
	void (*metrics)(void *arg, hook_append_fn append, void *ctx);
	int (*health)(void *arg, char *why, size_t n);
	void *arg;
	FILE *log;                /* one JSON line per refused request; NULL: none */
} hook_config;

typedef enum {
	HOOK_ACCEPTED,     /* stored (or nothing to store: Xero's intent to receive) */
	HOOK_DUPLICATE,    /* every event id was already stored */
	HOOK_UNAUTHORIZED, /* 401 */
	HOOK_TOO_LARGE,    /* 413 */
	HOOK_MALFORMED,    /* 400 */
	HOOK_IGNORED,      /* 200, an event type no collection syncs from; not stored */
	HOOK_ERROR,        /* 500: the store failed */
	HOOK_N_OUTCOMES
} hook_outcome;

/* Starts the server (listening when it returns 0); the configuration's
 * strings are copied. */
int hook_start(const hook_config *cfg, hook **out, char *err, size_t errlen);
unsigned hook_port(const hook *h);
/* Requests of one source with that outcome; 0 for an unknown source. */
uint64_t hook_count(const hook *h, const char *source, hook_outcome o);
const char *hook_outcome_name(hook_outcome o); /* "accepted", ... as in the metrics */
/* "xero", "qbo" (or "quickbooks"), "clarity"; 0, or HOOK_EUSAGE. */
int hook_scheme_parse(const char *name, hook_scheme *out);
/* Stops listening, waits for the request in progress, closes the state
 * handle; NULL is a no-op. */
void hook_stop(hook *h);

#endif /* MW_HOOK_H */
