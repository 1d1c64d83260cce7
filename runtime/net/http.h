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
};

typedef enum {
	HTTP_OK,           /* 2xx */
	HTTP_TRANSIENT,    /* 5xx (but 501), 408, timeouts, network: retry with backoff */
	HTTP_RATE_LIMITED, /* 429: wait for Retry-After, then retry */
	HTTP_AUTH,         /* 401, 403: refresh the token once, then stop the target;
	                    * a certificate that cannot be verified: stop */
	HTTP_PERMANENT     /* other 4xx, 501, oversize: dead-letter with the service's text */
} http_class;

/* What every request of a client passes through (the engine's rate
 * limiter and metrics): before() may wait; after() sees the outcome and
 * how long it took.  Either may be NULL. */
typedef struct {
	void (*before)(void *arg, const http_request *req);
	void (*after)(void *arg, const http_request *req, int rc, const http_response *resp,
		int64_t ms);
	void *arg;
} http_gate;

int http_client_new(http_client **out, const char *user_agent, size_t max_body);
/* g is borrowed: it must outlive the client (NULL: none). */
void http_client_set_gate(http_client *c, const http_gate *g);
void http_client_free(http_client *c);
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
