/*
 * conn.h - the connector interface: one module per service behind one
 * table of operations.  A connector lists and gets the records of the
 * collections it can read, and writes documents of the types it can write
 * (in batches, with the service's idempotency mechanism) and finds them by
 * natural key; its caps table says which (the stores are read for the
 * entities that sync into the books and written for those that bring stock,
 * shipments and status back; the books the other way).  Adding a service means adding one module
 * (conn_NAME.c exporting conn_NAME: its HTTP calls, auth, paging, error
 * classification, webhook signature scheme and event shape), one line in
 * registry.c and a schema file in mappings/schemas/; the engine, the
 * webhook server and the command line know no service by name.
 *
 * Every operation reports what happened in a conn_result: the class the
 * retry policy acts on (http.h's classification, refined by the connector
 * where a service says more than its status code: an Intacct error inside
 * a 200 answer, a QuickBooks Fault), the HTTP status, Retry-After, and the
 * service's own error text, kept word for word for the dead-letter queue.
 *
 * Authentication is the connector's: open() fetches or loads a token
 * (kept through the env's two token callbacks, which the engine points at
 * its state store; a rotated refresh token is saved before it is used),
 * every call refreshes it before expiry, and a 401 refreshes once and
 * retries once.  Credentials and base URLs come from the endpoint's
 * settings (the .map's `key = env("NAME")`), never from the code.
 *
 * Ownership: record text handed to a conn_record_fn belongs to the
 * connector and is valid only during the call; conn_item's inputs belong
 * to the caller; its outputs are copied into the item.
 * Errors are values: 0, or -1 with res filled in.
 */
#ifndef MW_CONN_H
#define MW_CONN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hook.h"
#include "http.h"
#include "oauth.h"
#include "transform.h"

struct json_t;

typedef struct conn conn;

#define CONN_TEXT_MAX 1024
#define CONN_ID_MAX   128

typedef struct {
	http_class cls;           /* HTTP_OK when it worked */
	long status;              /* HTTP status of the answer; 0: none arrived */
	int64_t retry_after_ms;   /* -1: the service said nothing */
	char text[CONN_TEXT_MAX]; /* the service's own words, or ours when no answer came */
	/* an item's res only: 1 when this is not the item's own answer but the
	 * refusal of a whole request it travelled in (a connector that sends
	 * one write() as several requests); the engine then sends the items
	 * again in smaller requests until each has its own answer */
	int whole;
} conn_result;

/* Where tokens are kept between runs: the engine hands in its state
 * store's.  load: 0 found (all three set), non-zero none kept or an error;
 * save: 0, or non-zero when it could not be kept. */
typedef struct {
	int (*load)(void *arg, const char *service, char *access, size_t alen, char *refresh,
		size_t rlen, int64_t *expires_at);
	int (*save)(void *arg, const char *service, const char *access, const char *refresh,
		int64_t expires_at);
	void *arg;
} conn_token_store;

/* What a connector is given. */
typedef struct {
	const char *service;      /* "xero": the schema / connector name */
	/* The endpoint's setting `key` ("base_url", "client_id"), from the
	 * environment or the .map's literal; NULL when it is not set. */
	const char *(*setting)(void *arg, const char *key);
	void *setting_arg;
	const conn_token_store *tokens; /* NULL: tokens are not kept between runs */
	FILE *dry_run;            /* non-NULL: writes print their request here instead */
	FILE *log;                /* one line per notable event (refresh, retry); may be NULL */
	long timeout_ms;          /* per request; 0: 30 s */
	const http_gate *gate;    /* the engine's rate limiter and metrics; may be NULL */
} conn_env;

/* One listed record: its JSON exactly as the service sent it, and its
 * change stamp (RFC 3339, comparable as text) for the cursor.  A non-zero
 * return stops the listing and is returned by list(). */
typedef int (*conn_record_fn)(void *arg, const char *json, size_t len, const char *stamp);

/* What find() found: how many documents have the natural key, and the
 * ids of the first CONN_FIND_MAX of them, in the service's order. */
#define CONN_FIND_MAX 8
typedef struct {
	size_t n;
	char ids[CONN_FIND_MAX][CONN_ID_MAX];
} conn_found;

/* One natural key to find (conn_ops.find), and what was found for it. */
typedef struct {
	const char *value;        /* in */
	int rc;                   /* out: 0 one, 1 none, 2 several, -1 not asked */
	conn_found found;
	conn_result res;
} conn_find_item;

/* What a write does to its document (the entity's lifecycle decides). */
typedef enum {
	CONN_OP_WRITE = 0,        /* create it, or update target_id */
	CONN_OP_VOID              /* void target_id, as the service voids: the
	                           * document stays, its money goes to zero;
	                           * doc is the document as it would be written
	                           * now (its type and what the service may need) */
} conn_op;

/* One document to write. */
typedef struct {
	/* in */
	conn_op op;
	const char *type;         /* target type: "Invoice", "CUSTOMER", "create_sotransaction" */
	const char *doc;          /* the document as the transform wrote it (JSON or XML) */
	size_t len;
	const char *key;          /* the journal's idempotency key for this document */
	const char *target_id;    /* non-NULL: update this document instead of creating one */
	const char *match_field;  /* the target's natural key (`match F = e`), or NULL */
	const char *match_value;
	/* out */
	conn_result res;
	char id[CONN_ID_MAX];     /* the target's id of the document written */
} conn_item;

/* What a connector can do with one name of its schema
 * (mappings/schemas/SERVICE.map declares the same, `collection N: T (list,
 * write)`, and tests/unit/test_caps.c holds the two to each other):
 * CONN_CAN_LIST: list the collection's changes since a cursor and get one
 * record by id, so an entity may read it (name: the collection);
 * CONN_CAN_WRITE: write documents of the type, so an entity may write it
 * (name: the type, the collection's object).  The engine refuses to run an
 * entity its two connectors cannot: before anything is read. */
enum { CONN_CAN_LIST = 1, CONN_CAN_WRITE = 2 };
typedef struct {
	const char *name;
	unsigned can;
} conn_cap;

typedef struct {
	const char *service;      /* "xero" */
	/* what it can read and write, ended by a { NULL, 0 } */
	const conn_cap *caps;
	int max_batch;            /* documents per write() call, >= 1 */
	/* The service's published limits: per_min and per_day are used when
	 * the .map gives none (`limit 60/min, 5000/day`); 0: none published.
	 * concurrent: the most requests in flight at once (the .map's `N
	 * concurrent` may lower it); above 1 it also promises that write(),
	 * find() and rate() make the same requests again when given the same
	 * answers (no counters or clocks in what they send), because the
	 * engine runs them again from the start as their answers come in
	 * (http.h, "Concurrent calls"; engine/multi.c).  0 or 1: one request
	 * at a time. */
	int per_min, per_day, concurrent;
	/* Connect: read the settings, authenticate.  *out is set even on
	 * failure (close it). */
	int (*open)(const conn_env *env, conn **out, conn_result *res);
	void (*close)(conn *c);
	/* Make sure a valid token is held (refreshing it when it is near its
	 * end); every other operation calls this first. */
	int (*auth)(conn *c, conn_result *res);
	/* Reading (CONN_CAN_LIST): each record of `collection` changed at or after `cursor`
	 * (NULL or "": all), every page, in the service's order (the engine's
	 * cursor does not depend on it), holding no more than a page. */
	int (*list)(conn *c, const char *collection, const char *cursor, conn_record_fn fn,
		void *arg, conn_result *res);
	/* Reading: the one record of `collection` with key `id` (a webhook is
	 * a hint: the record is fetched).  Not found: -1 with res PERMANENT, 404. */
	int (*get)(conn *c, const char *collection, const char *id, conn_record_fn fn, void *arg,
		conn_result *res);
	/* Writing (CONN_CAN_WRITE): write items[0..n) (n <= max_batch, all of one type) in one
	 * request whose idempotency key is request_key (an item's op says
	 * what: a connector that cannot void a type refuses that item alone,
	 * permanent, in the service's terms): the same key and body
	 * sent again are answered from the first write, never written twice.
	 * 0: the request was answered, and each item's res (and id when it
	 * worked) is set; -1: no item is known to be written (all items' res
	 * copy *res). */
	int (*write)(conn *c, const char *request_key, conn_item *items, size_t n,
		conn_result *res);
	/* Writing: for each items[i].value, the documents of `type` whose
	 * natural key `field` is that value (the .map's `match`), asked in as
	 * few requests as the service's own query language allows (one for
	 * a batch: `F == "a" OR F == "b"`, `F IN ('a','b')`, one function per
	 * value), each value escaped as it says.  0: answered, and each
	 * item's rc says what was found for its value: 0 exactly one, its id
	 * in found.ids[0]; 1 none; 2 several, found.n of them and the ids of
	 * the first CONN_FIND_MAX; -1 that value could not be asked (its res
	 * says why).  -1: nothing could be asked (res says why: transient, or
	 * permanent when the service refused the question; every item's rc
	 * is -1 and its res a copy).  In a dry run nothing is asked: every
	 * rc is 1. */
	int (*find)(conn *c, const char *type, const char *field, conn_find_item *items,
		size_t n, conn_result *res);
	/* The class of an answer, as this service means it. */
	http_class (*classify)(conn *c, int rc, const http_response *resp, conn_result *res);
	/* The webhooks this service sends: the endpoint setting holding the
	 * key it signs them with, and the handler that verifies a request and
	 * reads its events (hook.h; the signature scheme and the body's shape
	 * are this module's).  NULL: the service sends none. */
	const char *webhook_setting;
	hook_handler_fn webhook;
	/* Exchange rates (the schema's `(rates)` collection; `currency ... from
	 * target`): the rate of one unit of `from` in `to`, the company's base
	 * currency, on `day` (YYYY-MM-DD), as the service keeps it: 0 with
	 * *rate (exact, as the service wrote it) and asof (YYYY-MM-DD, the
	 * day of the rate it gave); 1 it has no such rate (yet); -1 it could
	 * not be asked, or refused (res).  NULL: the service keeps no rates. */
	int (*rate)(conn *c, const char *from, const char *to, const char *day, mw_dec *rate,
		char asof[11], conn_result *res);
} conn_ops;

/* registry.c: the connector of a service ("xero"), NULL when there is none. */
const conn_ops *conn_find_ops(const char *service);
/* conn.c: 1 when ops can do `can` (CONN_CAN_LIST / CONN_CAN_WRITE) with name. */
int conn_can(const conn_ops *ops, const char *name, unsigned can);

/* conn.c: helpers the modules share. */
/* The endpoint's setting key, "" when it is not set. */
const char *conn_setting(const conn_env *env, const char *key);
/* A connector's HTTP client: every request passes env->gate. */
int conn_http_new(const conn_env *env, http_client **out, size_t max_body);
/* Fill res from http_do()'s rc and the response: class, status, Retry-After,
 * and the body's first CONN_TEXT_MAX - 1 bytes as the text. */
void conn_result_from(conn_result *res, int rc, const http_response *resp, const char *err);
void conn_result_set(conn_result *res, http_class cls, long status, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 4, 5)))
#endif
	;

/* For webhook handlers: member `name` of obj (a jansson object) when it
 * is a non-empty string of at most HOOK_FIELD_MAX bytes without NUL; else
 * NULL with "WHAT: "NAME" is not a non-empty string" in why. */
const char *conn_event_str(const struct json_t *obj, const char *name, const char *what,
	char *why, size_t n);
/* What a handler does once the signature is checked: no, the reason the
 * signature failed (HOOK_UNAUTHORIZED), or NULL; then the body parsed as
 * JSON (HOOK_MALFORMED when it is not) and its events read by fn. */
typedef hook_outcome (*conn_events_fn)(const struct json_t *root, hook_emit_fn emit, void *arg,
	char *why, size_t n);
hook_outcome conn_webhook(const char *no, const hook_request *rq, conn_events_fn fn,
	hook_emit_fn emit, void *arg, char *why, size_t n);
/* find()'s answer: add one more id found (counted always, kept while
 * there is room; an empty id is not added), and the return that says how
 * many there are (0 one, 1 none, 2 several). */
void conn_found_add(conn_found *f, const char *id);
int conn_found_rc(const conn_found *f);
/* A find's answer for each item from the ids and values of the documents
 * the service sent: start with conn_find_begin, add each document with
 * conn_find_doc (its id, and the value of the field it was found by;
 * cmp compares it with each item's value, 0 when equal), end with
 * conn_find_end (each item's rc).  conn_find_fail: nothing was asked,
 * every item says res. */
void conn_find_begin(conn_find_item *items, size_t n);
void conn_find_doc(conn_find_item *items, size_t n, const char *id, const char *value,
	int (*cmp)(const char *, const char *));
void conn_find_end(conn_find_item *items, size_t n);
int conn_find_fail(conn_find_item *items, size_t n, const conn_result *res);
/* items[from..to) not already refused say res (a request for them got no
 * usable answer). */
void conn_find_unanswered(conn_find_item *items, size_t from, size_t to,
	const conn_result *res);
/* field when it is a name a query may hold (letters, digits, dots; at most
 * 100 bytes), else NULL. */
const char *conn_find_field(const char *field);
/* it->value as a query literal's inside: a backslash before `quote` and
 * before a backslash, into lit (cap bytes); its length, or -1 when it does
 * not fit (then it->rc is -1, its res says "WHO: the FIELD to look up is
 * too long"). */
long conn_find_literal(conn_find_item *it, char quote, char *lit, size_t cap, const char *who,
	const char *field);
/* The single form, for the connectors' own use and the tests: find one
 * value with ops->find; its rc, *out and *res. */
int conn_find_one(const conn_ops *ops, conn *c, const char *type, const char *field,
	const char *value, conn_found *out, conn_result *res);
/* emit(arg, e): HOOK_ACCEPTED, or HOOK_ERROR with "out of memory" in why. */
hook_outcome conn_emit(hook_emit_fn emit, void *arg, const hook_event *e, char *why, size_t n);
/* dst = lowercase src + suffix, cut to fit cap. */
void conn_lower(char *dst, size_t cap, const char *src, const char *suffix);

/* Seconds since the epoch as the engine's stamp, "YYYY-MM-DDTHH:MM:SSZ"
 * ("" outside the years 0 to 9999). */
void conn_time_format(int64_t t, char *out, size_t cap);

/* Raw JSON: the length of the value starting at p (after white space is
 * skipped by the caller), or 0 when it is not well formed.  Strings and
 * nesting only are followed: enough to cut records out of a page without
 * re-serialising them, so amounts keep their text. */
size_t conn_json_skip(const char *p, size_t n);
/* Call fn(arg, text, len) for each element of the array that is the value
 * of top-level member `member` of the object in body (member NULL: body is
 * the array).  Returns fn's first non-zero return, 0, or -1 when the body
 * is not of that shape. */
int conn_json_elements(const char *body, size_t n, const char *member,
	int (*fn)(void *arg, const char *p, size_t len), void *arg);
/* The raw value of top-level member `key` of the object p[0..n): its text
 * in *v, *vlen (a string with its quotes); 0 when absent or not an object. */
int conn_json_member(const char *p, size_t n, const char *key, const char **v, size_t *vlen);

/* An OAuth 2.0 token kept for one service: loaded from the state store,
 * fetched with client credentials or refreshed with the stored (rotating)
 * refresh token, saved before use. */
typedef struct {
	const conn_env *env;
	http_client *http;
	const char *name;         /* the tokens row: "xero" */
	char token_url[512], client_id[256], client_secret[256];
	char initial_refresh[4096]; /* a refresh token from the settings, if any */
	int client_credentials;   /* 1: grant_type=client_credentials; 0: refresh_token */
	oauth_token tok;
} conn_token;
/* Ready t for the service `name` (its row in the state's tokens): the
 * token URL, and client_id / client_secret from the settings; grant
 * client_credentials, or refresh_token starting from the setting
 * `refresh_token` when the state holds none. */
void conn_token_init(conn_token *t, const conn_env *env, http_client *h, const char *name,
	const char *token_url, int client_credentials);
/* The env's token store, or nothing kept when it has none: load 0 found,
 * non-zero not; save 0 or non-zero. */
int conn_token_load(const conn_env *env, const char *service, char *access, size_t alen,
	char *refresh, size_t rlen, int64_t *expires_at);
int conn_token_save(const conn_env *env, const char *service, const char *access,
	const char *refresh, int64_t expires_at);
/* Make tok.access valid for at least a minute more; force: get a new one
 * even if it looks valid (after a 401).  In a dry run (env->dry_run) there
 * is nothing to send and nothing is asked for. */
int conn_token_ensure(conn_token *t, int force, conn_result *res);

extern const conn_ops conn_xero, conn_qbo, conn_intacct, conn_clarity, conn_nop;

#endif /* MW_CONN_H */
