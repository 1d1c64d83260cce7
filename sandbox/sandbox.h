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
	/* POST /_sandbox/documents (targets): store doc (stolen) in collection
	 * as a document already in the company (made in the product or
	 * imported: the API's checks are not made), the service's ids given
	 * to it; its id, or NULL when the collection is not one it takes. */
	const char *(*place)(const char *collection, json_t *doc);
} sb_service;

extern const sb_service sb_xero, sb_qbo, sb_intacct, sb_clarity, sb_nop;

/* GET /_sandbox/books?service=NAME: a target's books from the documents it
 * holds, {"USD": {"sales": "1.00", "cash": "...", "receivable": "..."}}. */
json_t *sb_xero_books(void);
json_t *sb_qbo_books(void);
json_t *sb_intacct_books(void);
/* GET /_sandbox/ecb: the ECB's reference rates of 2026 as its eurofxref-hist.xml
 * (ecb.c), malloc'd, its length in *len; NULL when out of memory. */
char *sb_ecb_xml(size_t *len);

/* Clarity's records come from NDJSON files; 0, or -1 if unreadable. */
int sb_clarity_load(const char *collection, const char *path);
int sb_nop_load(const char *collection, const char *path);
/* The same from NDJSON text in memory (seed.c's); 0, or -1 when the
 * collection is unknown. */
int sb_clarity_load_buf(const char *collection, const char *buf, size_t len);
int sb_nop_load_buf(const char *collection, const char *buf, size_t len);
/* Seeded storefront data (seed.c, sandbox --seed S --orders N): the NDJSON
 * of one generated collection (clarity or nop; orders, customers or
 * products), malloc'd, its length in *len; the same S and N always give the
 * same bytes.  NULL when the collection is not generated, or out of memory. */
char *sb_seed_ndjson(const char *service, const char *collection, unsigned long long seed,
	long orders, size_t *len);
/* POST /_sandbox/records: each NDJSON line of body replaces the record
 * with the same key or is added.  0, or -1 when the collection is unknown;
 * *bad counts lines that are not a record with a key. */
int sb_clarity_upsert(const char *collection, const char *body, size_t len, size_t *added,
	size_t *replaced, size_t *bad);
int sb_nop_upsert(const char *collection, const char *body, size_t len, size_t *added,
	size_t *replaced, size_t *bad);

/* A storefront's records, as loaded from NDJSON (records.c). */
typedef struct {
	char *text;         /* the record as written */
	char key[128];      /* its key as text */
	long long id;       /* an integer key, else 0 */
	char updated[40];   /* its update stamp, sb_stamp_norm()ed: text order is time order */
} sb_record;

typedef struct {
	const char *name;
	const char *key_field;
	const char *const *updated_fields; /* the first one present; NULL-terminated */
	sb_record *v;
	size_t n, cap;
} sb_records;

/* A collection as held and served (GET /_sandbox/records), or NULL. */
const sb_records *sb_clarity_records(const char *collection);
const sb_records *sb_nop_records(const char *collection);

int sb_records_load(sb_records *c, const char *path);
/* The NDJSON lines of buf into c, then sorted as after a load (no check for
 * keys already there: a loader's, not an upsert's). */
void sb_records_load_buf(sb_records *c, const char *buf, size_t len);
/* The NDJSON lines of body into c (same key: replaced), then sorted by
 * update time and key as after a load. */
void sb_records_upsert(sb_records *c, const char *body, size_t len, size_t *added,
	size_t *replaced, size_t *bad);
/* The same, calling changed() for each record stored, in body order, with
 * the text it replaced (NULL: added) and its new text. */
typedef void sb_changed_fn(const sb_records *c, const char *key, const char *old_text,
	const char *new_text, void *arg);
void sb_records_upsert_cb(sb_records *c, const char *body, size_t len, size_t *added,
	size_t *replaced, size_t *bad, sb_changed_fn *changed, void *arg);
/* Rewrite the value of the record's top-level `field` in its own text to
 * `value` (JSON text), or add the field at the end when it is absent; the
 * rest stays byte for byte.  0, or -1 (out of memory, not an object). */
int sb_record_set(sb_record *r, const char *field, const char *value);
/* An RFC 3339 time ("2026-11-20T10:11:12.5+01:00", "...Z", or no offset:
 * UTC) as "YYYY-MM-DDTHH:MM:SSZ" in UTC, the fraction dropped, so that
 * text order is time order; "" when it cannot be read. */
void sb_stamp_norm(const char *in, char *out, size_t n);
sb_record *sb_records_find(sb_records *c, const char *key);
/* "OPEN[rec,rec,...]" of the records keep() accepts, after skipping `skip`
 * of them and taking at most `take`; malloc'd with 200 bytes to spare for
 * the caller's closing text at body + *len.  *total counts all accepted. */
char *sb_records_page(const sb_records *c, int (*keep)(const sb_record *, const void *),
	const void *arg, size_t skip, size_t take, const char *open, size_t *total,
	size_t *taken, size_t *len);

/* Knobs for tests, set on the command line (main.c):
 *   --token-ttl S     access tokens live S seconds (0: each service's own
 *                     lifetime: Xero 1800, QuickBooks 3600, ...)
 *   --limit-scale X   every published rate limit is multiplied by X (1: the
 *                     real limits; 10: a test may call ten times as often) */
extern long sb_token_ttl;
extern double sb_limit_scale;
/* A service's token lifetime: its own, unless --token-ttl says otherwise. */
long sb_ttl(long own);
/* A published limit scaled by --limit-scale, at least 1. */
long sb_limit(long published);

/* Tokens revoked on request: POST /_sandbox/faults {"service": NAME,
 * "expire_tokens": 1} bumps NAME's generation, and every access token the
 * service issued before is refused (401) from then on.  A module records
 * the generation with each token it issues and accepts a token only while
 * sb_token_generation(its name) is still that number. */
unsigned sb_token_generation(const char *service);

/* Webhooks (main.c): with --clarity-webhook-url URL, sb_webhook_emit()
 * queues an event {"id","type","createdAt","data"} (data is stolen) that
 * the main loop POSTs to URL, signed with --clarity-webhook-secret, and
 * retries with backoff; GET /_sandbox/webhooks lists the deliveries.  Safe
 * to call from a request handler: it only queues. */
void sb_webhook_emit(const char *type, json_t *data);

/* SHA-256 and HMAC-SHA256 (main.c, libcrypto); the HMAC's message is the
 * parts concatenated.  sb_hex writes 2n digits and a NUL. */
void sb_sha256(const void *data, size_t n, unsigned char out[32]);
void sb_hmac_sha256(const void *key, size_t klen, const void *const *parts, const size_t *lens,
	size_t nparts, unsigned char out[32]);
void sb_hex(const unsigned char *v, size_t n, char *out);

/* helpers for modules */
void sb_json(sb_response *r, unsigned status, json_t *body); /* steals body */
void sb_header(sb_response *r, const char *name, const char *value);

#endif /* SANDBOX_H */
