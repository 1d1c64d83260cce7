/*
 * state.h - the durable state of one deployment, behind one interface:
 * cursors, the cross-reference map (source id -> target id), the write
 * journal that makes writes exactly-once across crashes, the dead-letter
 * queue, the held records, the webhook inbox and OAuth tokens (encrypted at
 * rest with the deployment's key).  Two backends, picked by what names the
 * store: a path is a SQLite file (sqlite.c), a postgresql:// URL a schema
 * of a PostgreSQL database (pg.c); the table files serve both (db.c).  No
 * caller sees SQL or knows the backend.  This layer calls no other.
 *
 * The exactly-once protocol, as the engine runs it (docs/state.md):
 *   state_journal_find() gives each record version its key (the one it is
 *     journaled under, or the one derived now)
 *   state_begin; state_journal_intent() for each document of a request,
 *     with the request's idempotency key and the payload; state_commit:
 *     durable before the call
 *   call the target with the request key
 *   state_begin; per document state_journal_finish() (done with the
 *     target id, or failed) and state_xref_put(); state_commit
 * After a crash, state_journal_requests() lists every request that still
 * has a pending write, whole and in order; the engine sends it again byte
 * for byte with the same key, which the target answers from its first
 * write instead of writing twice.  The cursor is not part of that
 * transaction: after an entity's listing the engine moves it on its own
 * (state_cursor_set) to the oldest change stamp not yet done, so what a
 * crash interrupts is listed again and an unchanged record needs no write.
 *
 * Errors are values: 0, or a negative STATE_E* code with the text in
 * state_errmsg().  Strings returned through out-parameters are copied into
 * the caller's buffers.  One handle per thread.
 */
#ifndef MW_STATE_H
#define MW_STATE_H

#include <stddef.h>
#include <stdint.h>

typedef struct state state;

enum {
	STATE_ENOTFOUND = -1,
	STATE_EDB = -2,       /* the database failed (disk, lock, corruption) */
	STATE_EVERSION = -3,  /* the file was written by a newer version */
	STATE_EUSAGE = -4,
	STATE_EKEY = -5,      /* the token key: missing, malformed, or not the one used */
	STATE_ELOCKED = -6,   /* another process holds the file (its pid in the message) */
	STATE_EFILE = -7,     /* not a state file: empty, damaged, another program's */
};

#define STATE_SCHEMA_VERSION 6
#define STATE_SCHEMA_VERSION_TEXT "6"

/* How a process opens its state file (docs/state.md, "The file is owned";
 * what each way means for a PostgreSQL schema: pg.c, docs/state.md).
 * Whatever the way, a path that holds something other than a state file
 * (0 bytes, another program's file or database, a damaged one) is refused
 * with STATE_EFILE and left as it is, and a file written by a newer
 * version with STATE_EVERSION. */
enum {
	/* A process that syncs (run, serve, dlq retry): the file's lock
	 * (PATH.lock), held until the process's last handle on the file closes;
	 * a second process gets STATE_ELOCKED.  Where nothing is, a new state
	 * file is made (atomically: complete, or not there); an existing one
	 * passes PRAGMA quick_check and is migrated to the current schema.  The
	 * file, its -wal and -shm are made 0600 (state_note says so). */
	STATE_OPEN_OWN,
	/* OWN, and a file of 0 bytes (or a SQLite database without a single
	 * table) is made a new state file: `--init` */
	STATE_OPEN_INIT,
	/* An operator's look (status, dlq list/show/export): read only, no lock
	 * (a daemon may be running), nothing created or migrated: a file of an
	 * older schema is refused (STATE_EVERSION: a run migrates it). */
	STATE_OPEN_READ,
	/* The same, writing (dlq drop): one transaction at a time beside the
	 * process that holds the lock. */
	STATE_OPEN_SHARED,
	/* A dry run: the file's contents read into memory (an empty store where
	 * there is no file); what is written goes nowhere, nothing is made on
	 * disk. */
	STATE_OPEN_COPY,
	/* One of several workers of a pair (docs/state.md, "Many workers"):
	 * on PostgreSQL, OWN without the schema's lock -- the workers share
	 * the schema and split its work with leases (state_lease_take); on
	 * SQLite (one process), OWN. */
	STATE_OPEN_WORKER,
};

/* On failure *out is still set, for state_errmsg(), and must be closed. */
int state_open_as(const char *path, int how, state **out);
/* state_open_as(path, STATE_OPEN_OWN, out) */
int state_open(const char *path, state **out);
void state_close(state *st);
/* Give back the memory the handle caches and can read again (SQLite's page
 * cache): an idle daemon calls it before a long sleep.  Nothing on
 * PostgreSQL, whose cache is the server's. */
void state_release_memory(state *st);
const char *state_errmsg(const state *st);
/* What opening the file changed or found that an operator should know
 * (a file readable by others made 0600); "" for nothing. */
const char *state_note(const state *st);

/* Transactions: the intents of one request commit together, and so do
 * the outcomes of its documents. */
int state_begin(state *st);
int state_commit(state *st);
int state_rollback(state *st);

/* Cursors per entity: an opaque string (a timestamp, a page token). */
int state_cursor_get(state *st, const char *entity, char *out, size_t outlen);
/* Outside a transaction, a handle that holds leases moves it in one of its
 * own: a worker that lost a lease gets STATE_ELOCKED (state_begin). */
int state_cursor_set(state *st, const char *entity, const char *value);

/* Cross-references: (entity, source id) -> target id and the source hash
 * it was written from (an unchanged hash needs no write). */
int state_xref_get(state *st, const char *entity, const char *source_id, char *target_id,
	size_t tlen, char *hash, size_t hlen);
int state_xref_put(state *st, const char *entity, const char *source_id, const char *target_id,
	const char *hash);
/* The same, and what the document written now is: the hash of its bytes,
 * or "voided" (doc NULL: it stays what it was). */
int state_xref_put_doc(state *st, const char *entity, const char *source_id,
	const char *target_id, const char *hash, const char *doc);
/* Each source id of entity's cross-references whose length in bytes is
 * within [minlen, maxlen] (the keys near one a ref missed: no entity of
 * 100,000 records is read whole), in order, to fn until it returns non-zero. */
typedef int (*state_key_fn)(void *arg, const char *source_id, size_t n);
int state_xref_keys(state *st, const char *entity, size_t minlen, size_t maxlen, state_key_fn fn,
	void *arg);
/* The document last written for the record: its hash, "voided", or "" when
 * no hash was kept (written before version 4). */
int state_xref_doc(state *st, const char *entity, const char *source_id, char *doc, size_t n);

/* The journal.  The key is stable for (entity, source id, hash): a re-drive
 * gets the same one, a changed record a new one.  state_journal_key() is
 * the key derived now, without touching the store (out >= 40 bytes; "" if
 * it cannot be derived): state_idem_key() of the three. */
void state_journal_key(const char *entity, const char *source_id, const char *hash, char *out,
	size_t n);
/* Every idempotency key (a document's, a batch's): "mw2-" and the first 128
 * bits of the SHA-256 of parts[0..n) joined by 0 bytes, in lowercase hex.
 * 36 characters: QuickBooks' batch requestid takes 36 (50 elsewhere, where
 * "-sN" is added), Xero's Idempotency-Key 128, Intacct's controlid gets
 * "-r1" added.  0, or -1 (outlen < 37, libcrypto failed) with out "". */
int state_idem_key(const char *const *parts, size_t n, char *out, size_t outlen);
/* The key (entity, source id, hash) is journaled under, as it was stored --
 * whichever version of the program derived it, so that a write begun
 * before an upgrade keeps its key -- and its state into js (may be NULL).
 * STATE_ENOTFOUND: not journaled, and key is state_journal_key()'s. */
int state_journal_find(state *st, const char *entity, const char *source_id, const char *hash,
	char *key, size_t keylen, char *js, size_t jslen);
/* How many writes of another version of the record (not hash) are still
 * pending: the newer version waits until they are resolved, or both could
 * create a document.  < 0 on error. */
int64_t state_journal_pending_other(state *st, const char *entity, const char *source_id,
	const char *hash);
typedef enum { STATE_DONE, STATE_FAILED } state_outcome;
int state_journal_finish(state *st, const char *key, state_outcome outcome,
	const char *target_id, const char *error_text);

/* A write and the request it travels in: what is needed to send that
 * request again byte for byte after a crash (docs/state.md). */
typedef struct {
	const char *key, *entity, *source_id, *hash;
	const char *request_key;  /* the request's idempotency key */
	int seq;                  /* position in the request */
	const char *payload;      /* the document sent */
	size_t payload_len;
	const char *update_id;    /* the target id updated, or NULL: created */
	const char *match_value;  /* the natural key, or NULL */
	const char *record;       /* the source record, for a dead letter */
	size_t record_len;
	const char *stamp;        /* the record's change stamp */
	const char *state;        /* listing only: "pending", "done", "failed" */
	const char *op;           /* "void", or NULL: a create or an update */
} state_write;
/* Begin (or begin again) w->key with everything above; one call per
 * document, inside the caller's transaction for the whole request. */
int state_journal_intent(state *st, const state_write *w);
/* Every write of every request that still has a pending write, by request
 * key then position, finished ones included (the request is re-sent whole). */
typedef int (*state_write_fn)(void *arg, const state_write *w);
int state_journal_requests(state *st, state_write_fn fn, void *arg);
/* The journal state of a key ("pending", "done", "failed") into buf. */
int state_journal_state(state *st, const char *key, char *buf, size_t n);

/* Counts for `status`: cross-references, pending writes, live dead letters. */
int state_counts(state *st, const char *entity, int64_t *xrefs, int64_t *pending,
	int64_t *dead);

/* The dead-letter queue. */
typedef struct {
	int64_t id;
	char entity[64], source_key[256], reason[1024], target_error[2048], field[256];
	char hash[40];            /* of the record version */
	int line, attempts, dropped;
	int64_t first_at, last_at;
	char *record;  /* malloc'd by state_dlq_get; free it */
} state_dead;
/* hash: of the record version dead-lettered (a later run that lists the
 * same version finds it with state_dlq_find and adds nothing); may be "". */
int state_dlq_add(state *st, const char *entity, const char *source_key, const char *hash,
	const char *record, const char *reason, const char *target_error, int line,
	const char *field, int64_t *id);
/* The live dead letter of this record version: its id (> 0), 0 if none;
 * hash NULL: of any version of the record (the newest). */
int64_t state_dlq_find(state *st, const char *entity, const char *source_key, const char *hash);
/* The live dead letters of entity (NULL: all) first seen at or after since
 * (seconds; 0: all), newest first, at most `limit`; a non-zero return of fn
 * stops.  d->record is NULL here. */
typedef int (*state_dead_fn)(void *arg, const state_dead *d);
int state_dlq_each(state *st, const char *entity, int64_t since, int limit, state_dead_fn fn,
	void *arg);
/* A dead letter re-driven by `dlq retry` leaves the queue with an audit row
 * (action "retry", why: what became of it); attempts and first time carry
 * over to the dead letter it became again, if it did (again_id > 0). */
int state_dlq_retried(state *st, int64_t id, const char *why, int64_t again_id);
/* The payload last sent for (entity, source id, hash), malloc'd into *out
 * (free it); STATE_ENOTFOUND when it was never sent. */
int state_journal_payload(state *st, const char *entity, const char *source_id,
	const char *hash, char **out, size_t *len);
int state_dlq_get(state *st, int64_t id, state_dead *out);
int64_t state_dlq_count(state *st, const char *entity); /* live ones; <0 on error */
int state_dlq_drop(state *st, int64_t id, const char *why);

/* Held records: one row per (entity, source key) the engine holds because
 * a record it references (ref_entity, ref_key) is not written -- why says
 * whether that one is dead-lettered or not written yet.  Put again on
 * every run that holds it (first_at stays); cleared when the record is
 * written, dead-lettered or filtered.  A record held for another reason
 * (`on invalid -> retry`) has ref_entity "" and the reason in why. */
typedef struct {
	char entity[64], source_key[256], hash[40], ref_entity[64], ref_key[256], why[1024];
	int64_t first_at, last_at;
} state_held;
int state_held_put(state *st, const char *entity, const char *source_key, const char *hash,
	const char *ref_entity, const char *ref_key, const char *why);
int state_held_clear(state *st, const char *entity, const char *source_key);
int state_held_get(state *st, const char *entity, const char *source_key, state_held *out);
int64_t state_held_count(state *st, const char *entity); /* NULL: all; < 0 on error */
/* The held records of entity (NULL: all) by entity then key, at most limit;
 * a non-zero return of fn stops. */
typedef int (*state_held_fn)(void *arg, const state_held *h);
int state_held_each(state *st, const char *entity, int limit, state_held_fn fn, void *arg);

/* The webhook inbox: an event is stored before its sender gets 200, once
 * per event id (a replay is a no-op), and done when the record it names has
 * been fetched and synced.  A webhook is a hint: the record comes from the
 * source's API, not from the event.  An event whose record could not be
 * synced yet (held, pending, the source unreadable) is held: put off until
 * next_at, with its attempts counted and why. */
typedef struct {
	const char *event_id, *source, *type, *collection, *record_key;
	const char *body;        /* the event as received, for the audit */
	size_t body_len;
	int64_t received_at;     /* listing only, from here on */
	int attempts;            /* times it was held */
	const char *why;         /* why it was held last ("" when it was not) */
	int64_t next_at;         /* held until then (ms since the epoch) */
} state_event;
/* 0 stored, 1 a duplicate (already stored), < 0 an error. */
int state_inbox_add(state *st, const state_event *ev);
typedef int (*state_event_fn)(void *arg, const state_event *ev);
/* The events to do now, at most limit: the new ones oldest first, then
 * the held ones whose next_at has come.  The page is read and its
 * statement finished before fn is called, so fn may write through st
 * (mark the event done, sync its record); a non-zero return of fn stops. */
int state_inbox_each(state *st, int limit, state_event_fn fn, void *arg);
/* The held events, oldest first, at most limit (for `status`). */
int state_inbox_held_each(state *st, int limit, state_event_fn fn, void *arg);
int state_inbox_done(state *st, const char *event_id);
/* Put an event off until next_at (ms since the epoch): held, attempts + 1. */
int state_inbox_hold(state *st, const char *event_id, int64_t next_at, const char *why);
int64_t state_inbox_count(state *st);      /* not done (new or held); < 0 on error */
int64_t state_inbox_held_count(state *st); /* held; < 0 on error */
int64_t state_now_ms(void);                /* the clock next_at is on */
/* The events to do now (state_inbox_each's) that no worker has claimed,
 * or whose claim has expired, at most limit, claimed by this handle for
 * ttl_ms (on the database's clock), then through fn like
 * state_inbox_each: on PostgreSQL with FOR UPDATE SKIP LOCKED, so that
 * workers claiming at once get different events.  An event done or held
 * (state_inbox_hold: its claim cleared, back at next_at) is not listed
 * again; one whose worker died is, once its claim has expired.  Not
 * inside a transaction. */
int state_inbox_claim(state *st, int limit, int64_t ttl_ms, state_event_fn fn, void *arg);

/* Leases: several workers of one pair (STATE_OPEN_WORKER) split its work
 * into units -- "cursor:ENTITY", "inbox", "limiter:TARGET", any string of
 * at most 127 bytes -- each held by one handle at a time until its expiry
 * (on the database's clock, so that workers on several machines agree).
 * A lease is taken by a handle (its holder: state_holder) with a token,
 * one more at each take.  Every transaction begun on a handle
 * (state_begin) checks each lease the handle holds -- the same holder,
 * the same token -- and renews it for the time it was taken for, which
 * locks its row until the transaction ends: a holder at work keeps its
 * leases (one idle renews them: state_lease_renew, every ttl/3 say), and
 * no worker takes a lease over while its holder commits; a holder that
 * lost a lease (it expired and another took it) gets STATE_ELOCKED from
 * state_begin until it releases that lease, and commits nothing
 * meanwhile.  None of these inside a transaction; at most 32 leases a
 * handle. */
/* Take unit for ttl_ms: 0 taken (free, expired, or held by this handle
 * already: taken again), with its token in *token (may be NULL); 1 held
 * by another (who and for how long in state_errmsg); < 0 an error. */
int state_lease_take(state *st, const char *unit, int64_t ttl_ms, int64_t *token);
/* The lease this handle took, for ttl_ms from now: 0, or 1 lost (another
 * took it over; the handle's transactions fail until it is released);
 * a lease that expired and nobody took is renewed. */
int state_lease_renew(state *st, const char *unit, int64_t ttl_ms);
/* Every lease the handle holds, renewed for the time it was taken for (a
 * worker waiting on a shared budget keeps its leases): 0, 1 one was lost,
 * < 0 an error. */
int state_lease_renew_all(state *st);
/* The lease given up (free to take at once) and forgotten by the handle;
 * 0 also when it was lost or never taken. */
int state_lease_release(state *st, const char *unit);
/* Who this handle is in the lease table: "pid N on HOST #K". */
const char *state_holder(const state *st);

/* A rate limit shared by the workers of a pair: n calls to target taken
 * from a budget of limit calls in any window of window_ms (a sliding
 * window of 60 slots, counted whole while any part of a slot is in it, so
 * that no window of window_ms ever holds more than limit), on the
 * database's clock.  0 granted; 1 not now, *wait_ms until the oldest
 * slot leaves the window (may be NULL); < 0 an error (n > limit: usage).
 * One transaction of its own, serialised per target: not inside one. */
int state_budget_take(state *st, const char *target, int64_t window_ms, int64_t limit, int64_t n,
	int64_t *wait_ms);

/* OAuth tokens per service (tokens.c), saved in one statement (a rotated
 * refresh token is never half-written).  With a key -- MW_STATE_KEY, or the
 * file MW_STATE_KEY_FILE: 32 bytes as 64 hex digits or in base64 -- a row
 * is sealed with AES-256-GCM (a random nonce a write, the service's name
 * authenticated with it); without one it is kept in clear, but never over
 * a sealed row.  STATE_EKEY: the key is missing for a sealed row, is not
 * the one it was sealed with, or is malformed (state_errmsg says which). */
int state_token_save(state *st, const char *service, const char *access, const char *refresh,
	int64_t expires_at);
int state_token_load(state *st, const char *service, char *access, size_t alen, char *refresh,
	size_t rlen, int64_t *expires_at);
/* At start, before any thread: read the key from the environment again,
 * then refuse (STATE_EKEY, or STATE_EDB, the reason in msg) when sealed
 * tokens cannot be opened with it or there is none; with a key, seal the
 * rows kept in clear (not in a read-only file).  0 with msg "" or a
 * warning to log: no key (tokens kept in clear), a key file others can
 * read, tokens sealed now. */
int state_token_check(state *st, char *msg, size_t n);

#endif /* MW_STATE_H */
