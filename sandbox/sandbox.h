/*
 * sandbox.h - the loopback stand-in for the services the pair binaries
 * talk to.  Test tooling: nothing in runtime/ or compiler/ knows it exists;
 * a binary pointed at it cannot tell it from the real service.
 *
 * One server (sandbox/main.c) routes each request by path prefix to a
 * service module (sandbox/xero.c, ...).  A module sees the whole request
 * and fills a response; the server owns the HTTP plumbing, the inspection
 * endpoint and the seed.  Each module keeps its records in memory.
 */
#ifndef SANDBOX_H
#define SANDBOX_H

#include <stddef.h>

#include <jansson.h>

typedef struct {
	const char *method;
	const char *path;      /* below the service's prefix: "/api.xro/2.0/Invoices" */
	const char *body;
	size_t body_len;
	/* header and query lookups (NULL when absent) */
	const char *(*header)(void *conn, const char *name);
	const char *(*query)(void *conn, const char *name);
	void *conn;
} sb_request;

typedef struct {
	unsigned status;
	char *body;            /* malloc'd; freed by the server */
	const char *content_type;
	char headers[4][2][96];/* extra headers: name, value */
	int n_headers;
} sb_response;

typedef struct {
	const char *name;      /* "xero" */
	const char *prefix;    /* "/xero" */
	void (*seed)(unsigned seed);
	void (*handle)(const sb_request *req, sb_response *resp);
	json_t *(*dump)(void); /* what the service holds, for tests */
} sb_service;

extern const sb_service sb_xero, sb_qbo, sb_intacct, sb_clarity, sb_nop;

/* Clarity's records come from NDJSON files; 0, or -1 if unreadable. */
int sb_clarity_load(const char *collection, const char *path);
int sb_nop_load(const char *collection, const char *path);

/* A storefront's records, as loaded from NDJSON (records.c). */
typedef struct {
	char *text;         /* the record as written */
	char key[128];      /* its key as text */
	long long id;       /* an integer key, else 0 */
	char updated[40];   /* RFC 3339 as written, compared as text (UTC) */
} sb_record;

typedef struct {
	const char *name;
	const char *key_field;
	const char *const *updated_fields; /* the first one present; NULL-terminated */
	sb_record *v;
	size_t n, cap;
} sb_records;

int sb_records_load(sb_records *c, const char *path);
sb_record *sb_records_find(sb_records *c, const char *key);
/* "OPEN[rec,rec,...]" of the records keep() accepts, after skipping `skip`
 * of them and taking at most `take`; malloc'd with 200 bytes to spare for
 * the caller's closing text at body + *len.  *total counts all accepted. */
char *sb_records_page(const sb_records *c, int (*keep)(const sb_record *, const void *),
	const void *arg, size_t skip, size_t take, const char *open, size_t *total,
	size_t *taken, size_t *len);

/* helpers for modules */
void sb_json(sb_response *r, unsigned status, json_t *body); /* steals body */
void sb_header(sb_response *r, const char *name, const char *value);

#endif /* SANDBOX_H */
