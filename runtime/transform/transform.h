/*
 * transform.h - the transform library: what generated code's calls
 * (mapwright.h) are built on, and what the layers above may use of it:
 * the per-record arena, exact decimals, dates, UTF-8 text, the JSON reader,
 * byte buffers and the JSON/XML document writer, the per-record context,
 * and one record through an entity (map.c).  One section per file.
 *
 * This library does no I/O: no network, no files, no database.  The build
 * enforces it (Makefile: its include path holds only include/, transform/
 * and transform/noio/, whose curl, SQLite, libmicrohttpd, jansson, libxml2
 * and OpenSSL headers are #error stubs).  Every other layer may include
 * this header; it includes nothing of theirs.  Generated C never includes
 * it: it sees only mapwright.h.
 */
#ifndef MW_TRANSFORM_H
#define MW_TRANSFORM_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>          /* snprintf: formatting only; no FILE is used here */

#include "mapwright.h"

/* Hard caps on everything remote input can grow. */
#define RT_LINE_MAX    ((size_t)16 << 20) /* longest NDJSON input line */
#define RT_ARENA_MAX   ((size_t)64 << 20) /* arena bytes per record */
#define RT_DOC_MAX     ((size_t)64 << 20) /* longest target document */
#define RT_JSON_DEPTH  64                 /* nesting of the input */
#define RT_W_DEPTH     64                 /* nesting of the target document */
#define RT_REASON_MAX  512                /* a dead letter's reason, bytes */
#define RT_PATH_MAX    256                /* a dead letter's field path, bytes */

/* ------------------------------------------------------------------ */
/* arena.c: the per-record chunked bump allocator                      */
/* ------------------------------------------------------------------ */

typedef struct arena_chunk arena_chunk;

enum { ARENA_OK, ARENA_E_CAP, ARENA_E_NOMEM };

typedef struct {
	arena_chunk *head;   /* first chunk, never freed before arena_fini */
	arena_chunk *cur;    /* chunk being filled */
	char *ptr, *end;     /* free space in cur */
	size_t used;         /* bytes of the chunks reached by this record */
	size_t max;          /* cap on used */
	int err;             /* why the last failed allocation failed */
} arena;

int   arena_init(arena *a, size_t first, size_t max);
void  arena_fini(arena *a);
void  arena_reset(arena *a);
void  arena_trim(arena *a);                     /* reset, and free all but the first chunk */
void *arena_alloc(arena *a, size_t n);          /* aligned for any object */
char *arena_bytes(arena *a, size_t n);          /* unaligned, for text */

/* ------------------------------------------------------------------ */
/* dec.c: exact decimals                                               */
/* ------------------------------------------------------------------ */

enum {
	DEC_OK = 0,
	DEC_E_SYNTAX = -1,  /* not a decimal number */
	DEC_E_RANGE = -2,   /* overflow: over 37 digits, or more places than 28 */
	DEC_E_DIV0 = -3,
	DEC_E_INEXACT = -4  /* dec_to_int of a value with a fraction */
};
#define DEC_MAX_SCALE 28
#define DEC_MAX_DIGITS 37   /* significant digits of the units */
#define DEC_BUF 48          /* room for any formatted mw_dec */

int    dec_parse(const char *p, size_t n, mw_dec *out);
int    dec_from_int(int64_t i, mw_dec *out);
int    dec_to_int(mw_dec d, int64_t *out);
int    dec_add(mw_dec a, mw_dec b, mw_dec *out);
int    dec_sub(mw_dec a, mw_dec b, mw_dec *out);
int    dec_mul(mw_dec a, mw_dec b, mw_dec *out);
int    dec_div(mw_dec a, mw_dec b, mw_dec *out);
int    dec_neg(mw_dec a, mw_dec *out);
int    dec_abs(mw_dec a, mw_dec *out);
int    dec_round(mw_dec a, int places, mw_dec *out);
int    dec_cmp(mw_dec a, mw_dec b);          /* -1, 0, 1 */
size_t dec_format(mw_dec d, char *buf);      /* buf >= DEC_BUF; canonical */

/* ------------------------------------------------------------------ */
/* time.c: dates and datetimes                                         */
/* ------------------------------------------------------------------ */

#define TM_BUF 48           /* room for any formatted mw_time */

enum { TM_E_SYNTAX = -1, TM_E_FORMAT = -2, TM_E_NO_OFFSET = -3 };

int    tm_parse(const char *p, size_t n, mw_time *out);
int    tm_cmp(const mw_time *a, const mw_time *b);   /* -1, 0, 1 */
size_t tm_format(const mw_time *t, char *buf);       /* date or RFC 3339 */
/* strftime-like with %Y %m %d %H %M %S %z %%; writes at most 3 * fn bytes
 * (no directive grows more than that); returns the length or TM_E_*. */
long   tm_strftime(const mw_time *t, const char *fmt, size_t fn, char *out);
mw_time tm_date_of(const mw_time *t);                /* the date part */
/* Seconds since 1970-01-01T00:00Z (a value without an offset is read as
 * UTC); days since 1970-01-01 of a date, and back (proleptic Gregorian). */
int64_t tm_epoch(const mw_time *t);
int64_t tm_days_from_civil(int64_t y, int m, int d);
void    tm_civil_from_days(int64_t days, int64_t *y, int *m, int *d);

/* ------------------------------------------------------------------ */
/* text.c: UTF-8 and small text helpers                                */
/* ------------------------------------------------------------------ */

size_t tx_u64(char *buf, uint64_t v);       /* buf >= 21; NUL-terminated */
size_t tx_i64(char *buf, int64_t v);        /* buf >= 21 */
/* Length of the valid UTF-8 sequence at p (1..4), 0 if invalid. */
size_t tx_utf8_seq(const unsigned char *p, size_t avail);
size_t tx_utf8_valid_prefix(const char *p, size_t n);   /* n when valid */
size_t tx_utf8_trunc(const char *p, size_t n);  /* keep whole code points */
size_t tx_cp_count(const char *p, size_t n);    /* valid UTF-8 only */
size_t tx_cp_offset(const char *p, size_t n, size_t k); /* clamped to n */
size_t tx_utf8_put(char *dst, uint32_t cp);     /* 1..4 bytes */
/* Case mapping of valid UTF-8 into dst (room for n bytes: never grows). */
size_t tx_case(char *dst, const char *src, size_t n, int upper);
/* A JSON-style quoted excerpt of p for messages (at most max source bytes,
 * "..." when cut); always NUL-terminated in cap >= 8. */
size_t tx_quote(char *buf, size_t cap, const char *p, size_t n, size_t max);
/* strcmp of (p, n) against a NUL-terminated string. */
int    tx_cmp_z(const char *p, size_t n, const char *z);

/* ------------------------------------------------------------------ */
/* json.c: the JSON reader                                             */
/* ------------------------------------------------------------------ */

enum { JN_NULL = 1, JN_FALSE, JN_TRUE, JN_NUM, JN_STR, JN_ARR, JN_OBJ };
enum { JSON_E_SYNTAX = -1, JSON_E_MEM = -2 };

struct mw_node {
	const char *key;     /* member key in an object (decoded), else NULL */
	union {
		const char *p;   /* string bytes (decoded) or number text */
		/* an object of more than JSON_INDEX_MIN members: its members
		 * sorted by key (the parser's duplicate check sorts them
		 * anyway), for json_get; NULL: members searched in order */
		const mw_node *const *index;
	};
	mw_node *next;       /* next element or member */
	mw_node *child;      /* first element or member */
	uint32_t keylen;
	uint32_t n;          /* bytes of p, or elements/members */
	uint32_t off;        /* byte offset in the input, for messages */
	uint8_t type;        /* JSON_* */
};

typedef struct {
	size_t off;          /* byte offset of the error */
	char msg[112];
} json_err;

#define JSON_INDEX_MIN 16
int json_parse(arena *a, const char *p, size_t n, const mw_node **out, json_err *e);
/* The member key of obj, or NULL: O(log n) for an indexed object, so a
 * record with thousands of keys costs no more per lookup than a small one. */
const mw_node *json_get(const mw_node *obj, const char *key);

/* A record too large to parse still names its key: a bounded scan of its
 * bytes, fed in pieces as they pass (nothing kept but the value), for the
 * first member `field` of the top-level object, when that is a string or
 * a number of fewer than 256 bytes (a string with a \u escape, or a key
 * spelt with an escape, is not taken).  Strings and nesting are followed,
 * not validated: the record is dead-lettered anyway.  json_scan_feed
 * returns 1 once the key is in val (NUL-terminated), else 0. */
enum { JS_SEEK, JS_COLON, JS_VALUE_START, JS_VALUE, JS_NUMBER, JS_DONE };
typedef struct {
	const char *field;
	size_t flen, klen, vn;
	int state, depth, in_str, esc, expect_key, match, found;
	char val[256];
} json_scan;
void json_scan_init(json_scan *s, const char *field);
int  json_scan_feed(json_scan *s, const char *p, size_t n);

/* ------------------------------------------------------------------ */
/* write.c: byte buffers and the target document writer                */
/* ------------------------------------------------------------------ */

enum { WB_OK, WB_E_CAP, WB_E_NOMEM, WB_E_IO };

/* Where a buffer with a sink drains: 0, or non-zero when the bytes could
 * not be written (the buffer's error becomes WB_E_IO).  The transform
 * library never writes anywhere itself; its callers pass their sink. */
typedef int (*w_sink_fn)(void *arg, const char *p, size_t n);

/* A growable, capped byte buffer; with a sink it drains into it instead
 * of growing (dead letters), so its cap then does not apply. */
typedef struct {
	char *p;
	size_t len, cap, max;
	w_sink_fn sink;
	void *sink_arg;
	int err;             /* sticky W_E_* */
} w_buf;

/* sink NULL: a buffer in memory only. */
int  w_buf_init(w_buf *b, size_t first, size_t max, w_sink_fn sink, void *sink_arg);
void w_buf_fini(w_buf *b);
void w_buf_reset(w_buf *b);               /* empty, and its error forgotten; no sink */
void w_buf_put(w_buf *b, const char *p, size_t n);
void w_buf_putc(w_buf *b, char ch);
int  w_buf_flush(w_buf *b);              /* to the sink; 0 or WB_E_IO */
/* A JSON string with quotes.  Valid UTF-8 is kept as it is; with lossy set
 * each invalid byte becomes U+FFFD (for raw input that failed to parse). */
void w_json_str(w_buf *b, const char *p, size_t n, int lossy);
/* b's bytes as a C string (a 0 after them, not counted in len); NULL when
 * b has failed. */
const char *w_buf_str(w_buf *b);
/* XML 1.0 text or attribute value: the five specials and line breaks
 * escaped.  0, or -1 with *bad the character XML cannot carry at all,
 * escaped or not (a control, U+FFFE, U+FFFF); what came before it is in b. */
int w_xml_text(w_buf *b, const char *p, size_t n, unsigned *bad);

enum { W_OBJ = 1, W_ARR };

typedef struct {
	const char *name;    /* field name (or element name in an array) */
	const char *elem;    /* W_ARR: the element name (XML) */
	int32_t count;       /* items written so far */
	int32_t idx;         /* index of this item in its parent array */
	uint8_t kind;
} w_frame;

typedef struct {
	w_buf out;
	int xml;
	int depth;
	const char *field;   /* pending field name (mw_field) */
	w_frame st[RT_W_DEPTH];
} w_doc;

int    w_doc_init(w_doc *d);
void   w_doc_fini(w_doc *d);
void   w_doc_reset(w_doc *d);
void   w_doc_trim(w_doc *d);              /* reset, and the buffer back to its first size */
/* Open the root object (JSON) or element <root> (XML); close it. */
void   w_doc_begin(mw_ctx *c, const char *root, int xml);
int    w_doc_end(mw_ctx *c);

/* ------------------------------------------------------------------ */
/* ctx.c: the per-record context: sticky error, field path           */
/* ------------------------------------------------------------------ */

/* Resolves mw_ref(entity, key) through the sync engine's state: 0 with
 * *out set, or -1 after failing the record (mw_fail). */
typedef int (*rt_ref_fn)(mw_ctx *c, void *data, const char *entity, mw_val key,
			 mw_val *out);

/* Tracing (explain, test): the layer that wants to know what produced
 * each field installs these; mw_put / mw_elem call value() for each value
 * written at the current path, mw_lookup calls lookup() for each table
 * consulted (hit NULL: the lookup failed).  NULL: off, one pointer test. */
typedef struct {
	void (*value)(void *arg, mw_ctx *c, mw_val v);
	void (*lookup)(void *arg, mw_ctx *c, const mw_table *t, mw_val key, const mw_val *hit,
		int used_else);
	void *arg;
} rt_tracer;

struct mw_ctx {
	arena a;
	w_doc w;
	int line;            /* .map line being evaluated */
	int failed;
	int fail_line;
	char reason[RT_REASON_MAX];
	char path[RT_PATH_MAX];
	rt_ref_fn ref;
	void *ref_data;
	const rt_tracer *trace;   /* explain / test: what produced each field; NULL: off */
	int creating;             /* mw_creating(): set by the runtime per record */
	const char *map_file;     /* the program's .map (rt_map_one), for "add it to" hints */
	/* the last table whose lookup took its `else` value, and the line of
	 * that lookup: a `ref` on the same line names it as where an alias goes */
	const mw_table *missed;
	int missed_line;
};

void    rt_ctx_set_ref(mw_ctx *c, rt_ref_fn fn, void *data);
/* The endpoint entity e reads from and the one it writes to: the pair's
 * source and target, or the other way for a reverse entity. */
const mw_endpoint *rt_reads(const mw_program *p, const mw_entity *e);
const mw_endpoint *rt_writes(const mw_program *p, const mw_entity *e);
/* Whether the record being mapped creates its document (mw_creating). */
void    rt_ctx_set_creating(mw_ctx *c, int creating);
/* Fail with "record too large" or "out of memory", whichever it was. */
void    rt_fail_mem(mw_ctx *c);
void   *rt_alloc(mw_ctx *c, size_t n);         /* fails the record on NULL */
char   *rt_bytes(mw_ctx *c, size_t n);
/* The field path of the document's current position: LineItems[2].AccountCode. */
size_t  w_path(const w_doc *d, char *buf, size_t cap);

/* ------------------------------------------------------------------ */
/* value.c: conversions, operators, functions, tables                  */
/* ------------------------------------------------------------------ */

/* An input node as the value it is (numbers: MW_INT when written as an
 * integer that fits, else MW_DEC); fails the record if a number does not
 * fit either.  `what` names it in the message. */
mw_val rt_node_val(mw_ctx *c, const mw_node *n, const char *what);
/* Text of a scalar without allocating: strings are borrowed, other kinds
 * are formatted into tmp (>= 64 bytes).  0, 1 for NULL/MISSING, -1 for an
 * object or array. */
int    rt_val_text(mw_val v, char *tmp, const char **p, size_t *n);
/* A string value of p[0..n) (not copied). */
mw_val rt_str(const char *p, size_t n);
/* The built-in fn's string argument v into *p, *n: 0; 1 when it is null or
 * missing; -1 after failing the record ("fn: expected a string, got ..."). */
int    rt_str_arg(mw_ctx *c, const char *fn, mw_val v, const char **p, size_t *n);

/* Suggestions for a key that is not there (a table's, a ref's): the
 * nearest candidates, at most RT_NEAR_MAX, by rt_distance within the
 * limit the compiler's "did you mean" uses. */
#define RT_NEAR_MAX 3
#define RT_NEAR_LEN 64
typedef struct {
	const char *want;
	size_t wn;
	int limit;
	int n;
	int d[RT_NEAR_MAX];
	char key[RT_NEAR_MAX][RT_NEAR_LEN + 1];
} rt_near;
/* The optimal string alignment distance of the compiler's "did you mean",
 * case-insensitive; 1000 when a string is longer than max (<= RT_OSA_MAX).
 * rt_distance: max 64. */
#define RT_OSA_MAX 128
int    rt_osa(const char *a, size_t la, const char *b, size_t lb, size_t max);
int    rt_distance(const char *a, size_t la, const char *b, size_t lb);
void   rt_near_init(rt_near *nr, const char *want, size_t wn);
void   rt_near_add(rt_near *nr, const char *key, size_t n);
/* `; nearest: "bitcoin"?` or `; no key is near;`, appended at buf[strlen(buf)]. */
void   rt_near_text(const rt_near *nr, char *buf, size_t cap);
/* The .map file's name without its directories ("clarity_xero.map"). */
const char *rt_map_name(const mw_ctx *c);
const char *rt_kind_name(mw_kind k);   /* "a string", "an integer", ... */

/* ------------------------------------------------------------------ */
/* map.c: the per-record context, one source record through an entity */
/* ------------------------------------------------------------------ */

mw_ctx *rt_ctx_new(void);           /* NULL: out of memory */
void    rt_ctx_free(mw_ctx *c);
void    rt_ctx_reset(mw_ctx *c);    /* for the next record; memory is kept */
void    rt_ctx_trim(mw_ctx *c);     /* the same, and its memory back to the first chunks */

/* One NDJSON line through entity e: RT_MAP_DOC (the document is in
 * c->w.out), RT_MAP_FILTERED, RT_MAP_FAILED (c->reason, c->path,
 * c->fail_line; *key set), RT_MAP_NOKEY (failed before the key was known),
 * RT_MAP_RAW (not JSON: keep the line as a string). */
enum { RT_MAP_DOC, RT_MAP_FILTERED, RT_MAP_FAILED, RT_MAP_NOKEY, RT_MAP_RAW };
int rt_map_one(const mw_program *p, const mw_entity *e, mw_ctx *c, const char *line, size_t n,
	       mw_val *key);

#endif /* MW_TRANSFORM_H */
