/*
 * http.h - HTTP for the connectors: one client per target service, over
 * libcurl, and the classification of every outcome that the retry policy,
 * the rate limiter and the circuit breaker act on.
 *
 * Ownership: a response's body and headers belong to the client and stay
 * valid until the next http_do() on it or http_client_free().  Every
 * buffer fed by the remote side is capped (the client's max_body).
 * Errors are values: http_do() returns 0 when a response arrived (whatever
 * its status) and a negative HTTP_E* code when none did, with the reason in
 * err.  TLS verification stays on for https; nothing here turns it off:
 * TLS 1.2 at least, the CA bundle of CURL_CA_BUNDLE or SSL_CERT_FILE (and
 * SSL_CERT_DIR) when set, and a certificate that cannot be verified is
 * HTTP_ETLS, classed HTTP_AUTH (a person must look), never retried as an
 * outage.
 */
#ifndef MW_HTTP_H
#define MW_HTTP_H

#include <stddef.h>
#include <stdint.h>

typedef struct http_client http_client;

typedef struct {
	const char *method;          /* "GET", "PUT", "POST", ... */
	const char *url;
	const char *const *headers;  /* "Name: value" lines */
	size_t n_headers;
	const char *body;            /* NULL: none */
	size_t body_len;
	long timeout_ms;             /* whole request; 0: 30 s */
	int cost;                    /* calls the service meters it as; 0: 1 */
} http_request;

typedef struct {
	long status;
	const char *body;            /* NUL-terminated; owned by the client */
	size_t body_len;
	int64_t retry_after_ms;      /* from Retry-After (seconds or HTTP date); -1: none */
	long min_remaining;          /* X-MinLimit-Remaining (Xero); -1: none */
	long day_remaining;          /* X-DayLimit-Remaining (Xero); -1: none */
	char content_type[128];
} http_response;

enum {
	HTTP_ETIMEOUT = -1,          /* no answer in time */
	HTTP_ENETWORK = -2,          /* refused, reset, DNS, a TLS handshake */
	HTTP_ETOOBIG = -3,           /* body larger than max_body */
	HTTP_EUSAGE = -4,            /* bad arguments, out of memory */
	HTTP_ETLS = -5,              /* the server's certificate cannot be verified */
	HTTP_EDEFER = -6,            /* taped: asked for, its answer comes later (below) */
};

typedef enum {
	HTTP_OK,           /* 2xx */
	HTTP_TRANSIENT,    /* 5xx (but 501), 408, timeouts, network: retry with backoff */
	HTTP_RATE_LIMITED, /* 429: wait for Retry-After, then retry */
	HTTP_AUTH,         /* 401, 403: refresh the token once, then stop the target;
	                    * a certificate that cannot be verified: stop */
	HTTP_PERMANENT     /* other 4xx, 501, oversize: dead-letter with the service's text */
} http_class;

typedef struct http_tape http_tape;

/* What every request of a client passes through (the engine's rate
 * limiter and metrics): before() may wait; after() sees the outcome and
 * how long it took.  Either may be NULL.  ready() is http_multi's
 * before(), which may not sleep: 0 when req may go now (it is counted
 * then), else the milliseconds to wait; NULL: before() is called.
 * tape: while it is set, the clients of this gate send nothing
 * themselves: http_do() answers from the tape (see below). */
typedef struct {
	void (*before)(void *arg, const http_request *req);
	void (*after)(void *arg, const http_request *req, int rc, const http_response *resp,
		int64_t ms);
	int64_t (*ready)(void *arg, const http_request *req);
	void *arg;
	http_tape *tape;
} http_gate;

int http_client_new(http_client **out, const char *user_agent, size_t max_body);
/* g is borrowed: it must outlive the client (NULL: none). */
void http_client_set_gate(http_client *c, const http_gate *g);
void http_client_free(http_client *c);
/* What every client holds between calls given back (an idle daemon's):
 * its last answer's buffer; curl's connections, buffers and TLS state.
 * No call may be in flight on any (a body read is gone with it). */
void http_release_memory(void);
int http_do(http_client *c, const http_request *req, http_response *resp, char *err,
	size_t errlen);
/* rc is http_do()'s return; resp is read only when rc == 0. */
http_class http_classify(int rc, const http_response *resp);
const char *http_class_name(http_class k);
/* Retry-After: delta seconds or an HTTP date, relative to now (seconds
 * since the epoch); -1 when it cannot be read. */
int64_t http_retry_after_ms(const char *value, int64_t now);
/* Percent-encoding of s (curl_easy_escape: RFC 3986 unreserved characters
 * pass) for a URL path segment, a query value or a form value; its length,
 * or 0 with out "" when it does not fit in cap bytes. */
size_t http_url_escape(const char *s, char *out, size_t cap);

/* Concurrent calls without threads, and without a caller that is written
 * for them.  A unit of work that makes its calls one after another (a
 * connector's write(), which may refresh a token, read a SyncToken, then
 * post) is run with a tape on its gate: its first call that the tape has
 * no answer for is queued and answered HTTP_EDEFER (classed permanent, so
 * no caller retries it), and every later call of that run is answered
 * HTTP_EDEFER too and queued nothing (it would have been made from a
 * pretend failure).  The run's outcome is thrown away.  When the queued
 * call's answer has come (http_multi_wait), the unit is run again from
 * its start, rewound: each call it makes again -- the same method, URL,
 * headers and body, matched in the order they were made -- gets the
 * answer recorded, and its next call is queued in turn.  A run that
 * deferred nothing is the unit's outcome, made exactly as if its calls
 * had been made then, one at a time.  So a unit must make the same
 * request again when given the same answers (no counters or clocks in
 * what it sends); one that does not is only slower: a request that
 * changed is a new one.  Many units' queued calls are in flight at once
 * in one http_multi (curl's multi interface, one event loop), at most
 * its in_flight, each through its client's gate when it leaves
 * (ready(), then after() with its answer).  A taped answer's body stays
 * valid until the tape is cleared or freed. */
int  http_tape_new(http_tape **out, void *user);
/* Free the tape (after the http_multi that sends its calls is freed or
 * has answered them). */
void http_tape_free(http_tape *t);
void *http_tape_user(const http_tape *t);
/* Before a run again: the answers are handed out again from the first. */
void http_tape_rewind(http_tape *t);
/* Forget every call and answer: a new attempt asks the service again. */
void http_tape_clear(http_tape *t);
/* 1 when the last run asked for an answer the tape does not hold yet. */
int  http_tape_deferred(const http_tape *t);

typedef struct http_multi http_multi;
int  http_multi_new(http_multi **out, int in_flight);
/* Ends the transfers in flight unanswered. */
void http_multi_free(http_multi *m);
/* Queue the calls of t that are waiting for an answer and not sent. */
void http_multi_add(http_multi *m, http_tape *t);
/* Run transfers until a tape has every answer its last run asked for
 * (that tape), ms have passed, or nothing is queued or in flight (NULL). */
http_tape *http_multi_wait(http_multi *m, int64_t ms);
/* Calls queued or in flight, and tapes answered that wait wants to hand out. */
int  http_multi_busy(const http_multi *m);

/* A service's text (conn_result's: its words, or a body that may be a
 * page of records) made fit for a log line: the words before the first
 * '{', '[' or '<' are kept (up to 400 bytes), what follows is reduced to
 * the names in it -- JSON keys, XML element names, each once, in order --
 * and its size, never a value.  The text itself stays whole where it is
 * kept (a dead letter).  Returns out. */
const char *http_log_text(const char *text, char *out, size_t n);
/* The same into a buffer of the enclosing block: an argument of a log call. */
#define HTTP_LOG_TEXT(text) http_log_text((text), (char[640]){ 0 }, 640)

#endif /* MW_HTTP_H */
