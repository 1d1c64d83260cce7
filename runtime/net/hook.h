/*
 * hook.h - the sync daemon's webhook and operations HTTP server: signed
 * webhooks in, handed to the engine to keep, /healthz and Prometheus
 * /metrics (docs/webhooks.md).  It knows no service: each route carries
 * the handler of the service that sends to it (the connector's), which
 * verifies the signature over the raw bytes and reads the body's events.
 *
 *   POST /webhooks/{source}  one route per configured source; the route's
 *                            handler verifies the body the way that service
 *                            signs it, then turns it into events, which the
 *                            config's store() keeps durably BEFORE the 200
 *   GET  /healthz            200 "ok\n", or 503 and the reason: the process is
 *                            up and serving (the config's health)
 *   GET  /readyz             the same, and then ready to sync (its ready)
 *   GET  /metrics            text exposition format 0.0.4: the daemon's
 *                            metrics, then mapwright_webhooks_total
 *
 * Answers: 200 stored (or a duplicate event id: nothing changes; or an
 * event type nothing syncs: "ignored"), 401 missing or bad signature (or a
 * stale timestamp, where the scheme has one; nothing stored), 413 a body
 * over max_body (Content-Length refused before the body is read; a body
 * without one is counted as it comes and dropped), 400 not JSON or not the
 * service's event shape, 500 the store failed (the sender retries), 404 no
 * such source, 405 another method.  A 200 has no body (Xero requires none).
 *
 * Limits: at most max_connections connections at once, per_ip of them from
 * one address (a slow client cannot take every slot: /healthz still
 * answers), each closed after timeout_s seconds without a byte.
 *
 * Threads: libmicrohttpd runs a thread per connection (and one that
 * accepts them), so /healthz answers while webhooks are being stored or a
 * slow client sends: the handler, store, health, ready and metrics
 * callbacks run on those threads, and may run at the same time, except
 * store, which the hook calls one request at a time.  The callbacks must
 * be safe to call from a thread other than the daemon's.  The counters are
 * C11 atomics: hook_count() may be called from any thread.
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
	HOOK_ELISTEN = -3, /* the address would not bind (in use, not local) */
};

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

#define HOOK_MAX_ROUTES 16
#define HOOK_SOURCE_MAX 32  /* a source name: 1..32 of [a-z0-9_-] */
#define HOOK_FIELD_MAX  256 /* a field a handler takes from a body, bytes at most */
#define HOOK_MAX_CONNECTIONS 512u /* the defaults of hook_config's limits */
#define HOOK_PER_IP          32u
#define HOOK_TIMEOUT_S       15u

/* One webhook request, as a route's handler sees it. */
typedef struct hook_request hook_request;
/* The request's body exactly as it came (what was signed), and a header's
 * value (NULL when absent). */
const char *hook_body(const hook_request *rq, size_t *len);
const char *hook_header(const hook_request *rq, const char *name);

/* One event the body tells of: a hint that the record `key` of the
 * source's `collection` changed.  A redelivery carries the same id. */
typedef struct {
	const char *id, *type, *collection, *key;
} hook_event;
/* Takes a copy of *ev; 0, or -1 when it cannot (out of memory). */
typedef int (*hook_emit_fn)(void *emit_arg, const hook_event *ev);

/* A service's webhooks (its connector's): verify rq with the key the
 * service signs with, over the raw body, in constant time, and only then
 * parse the body and emit its events.  Returns HOOK_ACCEPTED (the events
 * emitted; none: nothing to keep), HOOK_UNAUTHORIZED, HOOK_MALFORMED or
 * HOOK_IGNORED, with the reason in why (never the secret or signature). */
typedef hook_outcome (*hook_handler_fn)(const char *secret, size_t secret_len,
	const hook_request *rq, hook_emit_fn emit, void *emit_arg, char *why, size_t n);

typedef struct {
	const char *source;       /* the URL's {source}, the events' source, the metrics label */
	hook_handler_fn handler;
	const char *secret;       /* the key the service signs with; copied */
} hook_route;

/* For the handlers: HMAC-SHA256 of the concatenated parts (libcrypto); 0,
 * or -1.  The scheme Xero and QuickBooks share: header `name` is the padded
 * base64 of HMAC-SHA256(key, raw body); NULL when it matches (constant
 * time), else why not.  hook_equal: constant-time equality of n bytes;
 * hook_wipe: clear a secret or a MAC. */
int hook_hmac_sha256(const char *key, size_t klen, const void *const *parts, const size_t *lens,
	size_t n, unsigned char mac[32]);
const char *hook_verify_b64(const hook_request *rq, const char *name, const char *key,
	size_t klen);
int  hook_equal(const void *a, const void *b, size_t n);
void hook_wipe(void *p, size_t n);

/* printf-style: appends to the /metrics answer being built. */
typedef void (*hook_append_fn)(void *ctx, const char *fmt, ...);

typedef struct {
	const hook_route *routes;
	size_t n_routes;          /* 0..HOOK_MAX_ROUTES */
	const char *bind;         /* NULL: "127.0.0.1"; an IPv4 or IPv6 literal */
	unsigned port;            /* 0: any free port (hook_port tells which) */
	size_t max_body;          /* 0: 1 MiB */
	unsigned max_connections; /* 0: HOOK_MAX_CONNECTIONS */
	unsigned per_ip;          /* connections from one address; 0: HOOK_PER_IP */
	unsigned timeout_s;       /* idle seconds before a connection is closed; 0: 15 */
	/* All on the server thread; NULL: none.  store keeps the n events of
	 * one request (body: the request as received, for the audit) durably
	 * before the 200: the number newly kept (a duplicate id is not), or -1
	 * with the reason in why (answered 500).  metrics appends whole
	 * exposition lines (# HELP, # TYPE, samples); health returns 0 when
	 * healthy, else non-zero with the reason in why; ready, asked by
	 * /readyz once health says healthy, the same for "ready to sync". */
	int (*store)(void *arg, const char *source, const hook_event *ev, size_t n,
		const char *body, size_t len, char *why, size_t whylen);
	void (*metrics)(void *arg, hook_append_fn append, void *ctx);
	int (*health)(void *arg, char *why, size_t n);
	int (*ready)(void *arg, char *why, size_t n);
	void *arg;
	FILE *log;                /* one JSON line per refused request; NULL: none */
} hook_config;


/* Starts the server (listening when it returns 0); the configuration's
 * strings are copied. */
int hook_start(const hook_config *cfg, hook **out, char *err, size_t errlen);
unsigned hook_port(const hook *h);
/* Requests of one source with that outcome; 0 for an unknown source. */
uint64_t hook_count(const hook *h, const char *source, hook_outcome o);
const char *hook_outcome_name(hook_outcome o); /* "accepted", ... as in the metrics */
/* Stops listening, waits for the request in progress, wipes the secrets;
 * NULL is a no-op. */
void hook_stop(hook *h);

#endif /* MW_HOOK_H */
