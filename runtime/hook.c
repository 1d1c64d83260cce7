/*
 * hook.c - the webhook and operations HTTP server (hook.h): libmicrohttpd
 * with one internal polling thread, the three signature schemes, each
 * service's event body turned into inbox rows, /healthz and /metrics.
 *
 * Request flow of POST /webhooks/{source}: the first call (headers only)
 * finds the route and refuses a Content-Length over max_body with 413
 * before a byte of the body is read; the body is then collected up to
 * max_body (past that it is counted and dropped, and answered 413); the
 * last call verifies the signature over the raw bytes, parses the JSON
 * (jansson), builds the events and stores them in one transaction before
 * answering.  Nothing is parsed before the signature is good.
 *
 * Event ids: Clarity's own "id"; QuickBooks CloudEvents' own "id"; Xero and
 * QuickBooks' legacy notifications carry none, so one is derived from what
 * identifies the change (see xero_events, qbo_legacy): a redelivery of the
 * same notification derives the same ids and stores nothing twice.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <jansson.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "hook.h"
#include "rt.h"
#include "state.h"

/* ---- Clarity's scheme: ONE place (the sandbox's sender must agree) ---- */
#define CLARITY_SIG_HEADER "X-Clarity-Signature" /* "sha256=" + 64 lowercase hex */
#define CLARITY_SIG_PREFIX "sha256="
#define CLARITY_TS_HEADER  "X-Clarity-Timestamp" /* unix seconds, decimal */
#define CLARITY_SIGNED_SEP "."                   /* signed: TIMESTAMP "." raw body */
#define CLARITY_TOLERANCE  300                   /* seconds either side of now */

#define XERO_SIG_HEADER    "x-xero-signature"    /* base64 of the MAC, padded */
#define QBO_SIG_HEADER     "intuit-signature"    /* base64 of the MAC, padded */

#define DEFAULT_BODY   ((size_t)1 << 20)
#define FIELD_MAX      256          /* an id, type or key taken from a body */
#define METRICS_MAX    ((size_t)4 << 20)
#define DRAIN_FACTOR   4            /* a body without Content-Length read (and dropped)
				     * up to this many times max_body before the
				     * connection is closed without an answer */

typedef struct {
	char source[HOOK_SOURCE_MAX + 1];
	hook_scheme scheme;
	char *secret;
	size_t secret_len;
	atomic_uint_least64_t count[HOOK_N_OUTCOMES];
} route;

struct hook {
	struct MHD_Daemon *d;
	state *st;                   /* the server thread's own handle */
	route routes[HOOK_MAX_ROUTES];
	size_t n_routes;
	size_t max_body;
	void (*metrics)(void *arg, hook_append_fn append, void *ctx);
	int (*health)(void *arg, char *why, size_t n);
	void *arg;
	FILE *log;
	unsigned port;
};

/* One webhook request being received. */
typedef struct {
	route *rt;
	char *body;
	size_t len, cap;
	size_t seen;                 /* bytes that came, kept or not */
	int too_large;
} req;

static const char *const outcome_names[HOOK_N_OUTCOMES] = {
	"accepted", "duplicate", "unauthorized", "too_large", "malformed", "ignored", "error",
};

const char *
hook_outcome_name(hook_outcome o)
{
	return (unsigned)o < HOOK_N_OUTCOMES ? outcome_names[o] : "?";
}

int
hook_scheme_parse(const char *name, hook_scheme *out)
{
	if (!name)
		return HOOK_EUSAGE;
	if (!strcmp(name, "xero"))
		*out = HOOK_XERO;
	else if (!strcmp(name, "qbo") || !strcmp(name, "quickbooks"))
		*out = HOOK_QBO;
	else if (!strcmp(name, "clarity"))
		*out = HOOK_CLARITY;
	else
		return HOOK_EUSAGE;
	return 0;
}

/* ------------------------------------------------------------------ */
/* the log: one JSON line per refused request, never a secret          */
/* ------------------------------------------------------------------ */

/* A name from a URL, for a log line: at most HOOK_SOURCE_MAX bytes of
 * [A-Za-z0-9._-], anything else as '?'. */
static void
clean_name(char *dst, const char *src)
{
	size_t i;

	for (i = 0; i < HOOK_SOURCE_MAX && src[i]; i++) {
		unsigned char ch = (unsigned char)src[i];
		dst[i] = isalnum(ch) || ch == '.' || ch == '_' || ch == '-' ? (char)ch : '?';
	}
	dst[i] = 0;
}

static void
log_line(hook *h, const char *event, const char *source, int status, const char *reason)
{
	if (!h->log)
		return;
	json_t *j = json_pack("{s:s,s:I,s:s,s:i,s:s?}", "event", event, "ts",
		(json_int_t)time(NULL), "source", source, "status", status, "reason", reason);
	char *s = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

	if (s) {
		fprintf(h->log, "%s\n", s);
		fflush(h->log);
	}
	free(s);
	json_decref(j);
}

/* ------------------------------------------------------------------ */
/* answers                                                             */
/* ------------------------------------------------------------------ */

/* allow: the Allow header of a 405, else NULL */
static enum MHD_Result
answer(struct MHD_Connection *c, unsigned status, const char *type, const char *body,
	size_t len, const char *allow)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body,
		MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	if (type)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	enum MHD_Result ok = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ok;
}

static enum MHD_Result
answer_text(struct MHD_Connection *c, unsigned status, const char *text)
{
	return answer(c, status, "text/plain; charset=utf-8", text, strlen(text), NULL);
}

/* A webhook's outcome: counted, logged unless accepted, answered. */
static enum MHD_Result
outcome(hook *h, struct MHD_Connection *c, route *rt, hook_outcome o, unsigned status,
	const char *reason)
{
	static const char *const text[HOOK_N_OUTCOMES] = {
		"", "", "unauthorized\n", "payload too large\n", "malformed event\n", "",
		"could not store the event\n",
	};

	atomic_fetch_add_explicit(&rt->count[o], 1, memory_order_relaxed);
	if (o == HOOK_IGNORED)
		log_line(h, "webhook_ignored", rt->source, (int)status, reason);
	else if (o != HOOK_ACCEPTED && o != HOOK_DUPLICATE)
		log_line(h, "webhook_refused", rt->source, (int)status, reason);
	return answer_text(c, status, text[o]);
}

/* ------------------------------------------------------------------ */
/* signatures                                                          */
/* ------------------------------------------------------------------ */

/* HMAC-SHA256 of the concatenated parts; 0, or -1. */
static int
hmac_sha256(const char *key, size_t klen, const void *const *parts, const size_t *lens,
	size_t n, unsigned char mac[32])
{
	EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_HMAC, NULL,
		(const unsigned char *)key, klen);
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	size_t len = 32;
	int ok = k && m && EVP_DigestSignInit(m, NULL, EVP_sha256(), NULL, k) == 1;

	for (size_t i = 0; ok && i < n; i++)
		ok = EVP_DigestSignUpdate(m, parts[i], lens[i]) == 1;
	ok = ok && EVP_DigestSignFinal(m, mac, &len) == 1 && len == 32;
	EVP_MD_CTX_free(m);
	EVP_PKEY_free(k);
	return ok ? 0 : -1;
}

static int
hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Xero and QuickBooks: the header is the padded base64 of the MAC of the
 * raw body.  NULL when good, else why not. */
static const char *
verify_b64(const route *rt, const char *sig, const req *r)
{
	unsigned char mac[32], want[48];
	const void *parts[1] = { r->body ? r->body : "" };
	size_t lens[1] = { r->len };

	if (!sig || !*sig)
		return "missing signature";
	if (hmac_sha256(rt->secret, rt->secret_len, parts, lens, 1, mac))
		return "cannot compute the signature";
	int n = EVP_EncodeBlock(want, mac, (int)sizeof mac);
	int good = strlen(sig) == (size_t)n && CRYPTO_memcmp(sig, want, (size_t)n) == 0;
	OPENSSL_cleanse(want, sizeof want);
	OPENSSL_cleanse(mac, sizeof mac);
	return good ? NULL : "bad signature";
}

/* Clarity: sha256=HEX of the MAC of TIMESTAMP "." body, and the timestamp
 * within CLARITY_TOLERANCE of now. */
static const char *
verify_clarity(const route *rt, const char *sig, const char *ts, const req *r)
{
	const size_t plen = sizeof CLARITY_SIG_PREFIX - 1;
	unsigned char mac[32], got[32];

	if (!sig || !*sig)
		return "missing signature";
	if (!ts || !*ts)
		return "missing timestamp";
	size_t tlen = strlen(ts);
	int64_t t = 0;
	if (tlen > 18)
		return "bad timestamp";
	for (size_t i = 0; i < tlen; i++) {
		if (ts[i] < '0' || ts[i] > '9')
			return "bad timestamp";
		t = t * 10 + (ts[i] - '0');
	}
	if (strlen(sig) != plen + 64 || strncmp(sig, CLARITY_SIG_PREFIX, plen))
		return "bad signature";
	for (size_t i = 0; i < 32; i++) {
		int hi = hexval((unsigned char)sig[plen + 2 * i]);
		int lo = hexval((unsigned char)sig[plen + 2 * i + 1]);
		if (hi < 0 || lo < 0)
			return "bad signature";
		got[i] = (unsigned char)(hi << 4 | lo);
	}
	const void *parts[3] = { ts, CLARITY_SIGNED_SEP, r->body ? r->body : "" };
	size_t lens[3] = { tlen, sizeof CLARITY_SIGNED_SEP - 1, r->len };
	if (hmac_sha256(rt->secret, rt->secret_len, parts, lens, 3, mac))
		return "cannot compute the signature";
	int good = CRYPTO_memcmp(mac, got, sizeof mac) == 0;
	OPENSSL_cleanse(mac, sizeof mac);
	if (!good)
		return "bad signature";
	int64_t now = (int64_t)time(NULL);
	if (t < now - CLARITY_TOLERANCE || t > now + CLARITY_TOLERANCE)
		return "stale timestamp";
	return NULL;
}

static const char *
verify(const route *rt, struct MHD_Connection *c, const req *r)
{
	switch (rt->scheme) {
	case HOOK_XERO:
		return verify_b64(rt, MHD_lookup_connection_value(c, MHD_HEADER_KIND,
			XERO_SIG_HEADER), r);
	case HOOK_QBO:
		return verify_b64(rt, MHD_lookup_connection_value(c, MHD_HEADER_KIND,
			QBO_SIG_HEADER), r);
	case HOOK_CLARITY:
		return verify_clarity(rt, MHD_lookup_connection_value(c, MHD_HEADER_KIND,
			CLARITY_SIG_HEADER), MHD_lookup_connection_value(c, MHD_HEADER_KIND,
			CLARITY_TS_HEADER), r);
	}
	return "unknown scheme";
}

/* ------------------------------------------------------------------ */
/* events                                                              */
/* ------------------------------------------------------------------ */

typedef struct {
	char *id, *type, *collection, *key;
} event;

typedef struct {
	event *v;
	size_t n, cap;
	char why[160];               /* why the body is not an event (400) */
	int ignored;                 /* a type nothing syncs from (200, not stored) */
	int nomem;
} events;

static void
events_free(events *e)
{
	for (size_t i = 0; i < e->n; i++) {
		free(e->v[i].id);
		free(e->v[i].type);
		free(e->v[i].collection);
		free(e->v[i].key);
	}
	free(e->v);
}

/* malloc'd concatenation of n strings joined by ':' */
static char *
join(const char *const *parts, size_t n)
{
	size_t len = 0;
	for (size_t i = 0; i < n; i++)
		len += strlen(parts[i]) + 1;
	char *s = malloc(len ? len : 1), *p = s;
	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		size_t k = strlen(parts[i]);
		memcpy(p, parts[i], k);
		p += k;
		*p++ = i + 1 < n ? ':' : 0;
	}
	if (!n)
		*s = 0;
	return s;
}

static char *
dupz(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);
	return d ? memcpy(d, s, n) : NULL;
}

/* Lowercased copy of s, with suffix appended. */
static char *
lower(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	char *d = malloc(n + k + 1);
	if (!d)
		return NULL;
	for (size_t i = 0; i < n; i++)
		d[i] = (char)tolower((unsigned char)s[i]);
	memcpy(d + n, suffix, k + 1);
	return d;
}

/* Takes ownership of the four strings. */
static void
add_event(events *e, char *id, char *type, char *collection, char *key)
{
	if (!id || !type || !collection || !key || (e->n == e->cap && e->cap > SIZE_MAX / 2))
		goto nomem;
	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 4;
		event *v = realloc(e->v, cap * sizeof *v);
		if (!v)
			goto nomem;
		e->v = v;
		e->cap = cap;
	}
	e->v[e->n++] = (event){ id, type, collection, key };
	return;
nomem:
	e->nomem = 1;
	free(id);
	free(type);
	free(collection);
	free(key);
}

static int
bad(events *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->why, sizeof e->why, fmt, ap);
	va_end(ap);
	return -1;
}

/* A member that must be a non-empty string of at most FIELD_MAX bytes. */
static const char *
field(events *e, const json_t *obj, const char *name, const char *what)
{
	const json_t *v = json_object_get(obj, name);
	const char *s = json_string_value(v);

	if (!s || !*s || json_string_length(v) > FIELD_MAX || strlen(s) != json_string_length(v)) {
		bad(e, "%s: \"%s\" is not a non-empty string", what, name);
		return NULL;
	}
	return s;
}

/* Clarity: {"id","type","createdAt","data":{KEY: value}}; the type's first
 * part names the collection and the data member holding the key. */
static int
clarity_events(events *e, const json_t *root)
{
	static const struct {
		const char *kind, *collection, *key;
	} kinds[] = {
		{ "order", "orders", "orderId" },
		{ "customer", "customers", "customerId" },
		{ "product", "products", "sku" },
		{ "shipment", "shipments", "shipmentId" },
		{ "return", "returns", "returnId" },
	};
	const char *id, *type;
	char key[64];

	if (!json_is_object(root))
		return bad(e, "not a JSON object");
	if (!(id = field(e, root, "id", "event")) || !(type = field(e, root, "type", "event")))
		return -1;
	const json_t *data = json_object_get(root, "data");
	if (!json_is_object(data))
		return bad(e, "event: \"data\" is not an object");
	size_t klen = strcspn(type, ".");
	for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
		if (strlen(kinds[i].kind) != klen || strncmp(type, kinds[i].kind, klen))
			continue;
		const json_t *k = json_object_get(data, kinds[i].key);
		const char *ks;
		if (json_is_integer(k)) {
			snprintf(key, sizeof key, "%" JSON_INTEGER_FORMAT, json_integer_value(k));
			ks = key;
		} else if (!(ks = field(e, data, kinds[i].key, "event data"))) {
			return -1;
		}
		add_event(e, dupz(id), dupz(type), dupz(kinds[i].collection), dupz(ks));
		return 0;
	}
	e->ignored = 1;
	snprintf(e->why, sizeof e->why, "event type \"%.64s\" is not synced", type);
	return 0;
}

/* Xero: {"events":[{resourceUrl, resourceId, eventDateUtc, eventType,
 * eventCategory, tenantId, tenantType}], firstEventSequence,
 * lastEventSequence, entropy}; an empty list is the intent to receive.
 * Id: tenantId:resourceId:eventDateUtc:eventType; collection: the category
 * lowercased, plural (INVOICE -> invoices, CONTACT -> contacts). */
static int
xero_events(events *e, const json_t *root)
{
	const json_t *list = json_object_get(root, "events");
	size_t i;
	const json_t *ev;

	if (!json_is_object(root) || !json_is_array(list))
		return bad(e, "no \"events\" list");
	json_array_foreach(list, i, ev) {
		const char *rid, *date, *type, *cat, *tenant;
		if (!json_is_object(ev))
			return bad(e, "events[%zu] is not an object", i);
		if (!(rid = field(e, ev, "resourceId", "event")) ||
		    !(date = field(e, ev, "eventDateUtc", "event")) ||
		    !(type = field(e, ev, "eventType", "event")) ||
		    !(cat = field(e, ev, "eventCategory", "event")) ||
		    !(tenant = field(e, ev, "tenantId", "event")))
			return -1;
		const char *parts[4] = { tenant, rid, date, type };
		add_event(e, join(parts, 4), dupz(type), lower(cat, "s"), dupz(rid));
	}
	return 0;
}

/* QuickBooks, the legacy notification: {"eventNotifications":[{"realmId",
 * "dataChangeEvent":{"entities":[{name, id, operation, lastUpdated}]}}]}:
 * one event per entity; id realmId:name:id:lastUpdated:operation;
 * collection the entity name lowercased. */
static int
qbo_legacy(events *e, const json_t *root)
{
	const json_t *list = json_object_get(root, "eventNotifications"), *n;
	size_t i, j;

	if (!json_is_array(list))
		return bad(e, "no \"eventNotifications\" list");
	json_array_foreach(list, i, n) {
		const char *realm = field(e, n, "realmId", "notification");
		const json_t *ents = json_object_get(json_object_get(n, "dataChangeEvent"),
			"entities"), *en;
		if (!realm)
			return -1;
		if (!json_is_array(ents))
			return bad(e, "eventNotifications[%zu]: no dataChangeEvent.entities", i);
		json_array_foreach(ents, j, en) {
			const char *name, *id, *op, *when;
			if (!(name = field(e, en, "name", "entity")) ||
			    !(id = field(e, en, "id", "entity")) ||
			    !(op = field(e, en, "operation", "entity")) ||
			    !(when = field(e, en, "lastUpdated", "entity")))
				return -1;
			const char *parts[5] = { realm, name, id, when, op };
			add_event(e, join(parts, 5), dupz(op), lower(name, ""), dupz(id));
		}
	}
	return 0;
}

/* QuickBooks, CloudEvents (Intuit's format from 2026): [{"specversion",
 * "id","source","type":"qbo.invoice.created.v1","time","intuitentityid",
 * "intuitaccountid","data"}]: the event's own id; collection the type's
 * second part. */
static int
qbo_cloudevents(events *e, const json_t *root)
{
	size_t i;
	const json_t *ev;

	json_array_foreach(root, i, ev) {
		const char *id, *type, *ent;
		if (!json_is_object(ev))
			return bad(e, "[%zu] is not an object", i);
		if (!(id = field(e, ev, "id", "event")) || !(type = field(e, ev, "type", "event")) ||
		    !(ent = field(e, ev, "intuitentityid", "event")))
			return -1;
		const char *a = strchr(type, '.'), *b = a ? strchr(a + 1, '.') : NULL;
		if (!a || !b || b == a + 1)
			return bad(e, "event type \"%.64s\" is not qbo.ENTITY.OPERATION", type);
		char name[FIELD_MAX + 1];
		snprintf(name, sizeof name, "%.*s", (int)(b - a - 1), a + 1);
		add_event(e, dupz(id), dupz(type), lower(name, ""), dupz(ent));
	}
	return 0;
}

static int
build_events(const route *rt, const json_t *root, events *e)
{
	switch (rt->scheme) {
	case HOOK_XERO:
		return xero_events(e, root);
	case HOOK_QBO:
		return json_is_array(root) ? qbo_cloudevents(e, root) : json_is_object(root) ?
			qbo_legacy(e, root) : bad(e, "not a JSON object or array");
	case HOOK_CLARITY:
		return clarity_events(e, root);
	}
	return bad(e, "unknown scheme");
}

/* ------------------------------------------------------------------ */
/* POST /webhooks/{source}                                             */
/* ------------------------------------------------------------------ */

/* Stores the events in one transaction: the number stored (duplicates
 * are not), or -1 with the store's reason in why. */
static int
store(hook *h, const route *rt, const req *r, const events *e, char *why, size_t n)
{
	int added = 0;

	if (state_begin(h->st) < 0) {
		snprintf(why, n, "state: %s", state_errmsg(h->st));
		return -1;
	}
	for (size_t i = 0; i < e->n; i++) {
		state_event ev = {
			.event_id = e->v[i].id, .source = rt->source, .type = e->v[i].type,
			.collection = e->v[i].collection, .record_key = e->v[i].key,
			.body = r->body ? r->body : "", .body_len = r->len,
		};
		int rc = state_inbox_add(h->st, &ev);
		if (rc < 0) {
			snprintf(why, n, "state: %s", state_errmsg(h->st));
			state_rollback(h->st);
			return -1;
		}
		added += rc == 0;
	}
	if (state_commit(h->st) < 0) {
		snprintf(why, n, "state: %s", state_errmsg(h->st));
		state_rollback(h->st);
		return -1;
	}
	return added;
}

static enum MHD_Result
finish_webhook(hook *h, struct MHD_Connection *c, req *r)
{
	route *rt = r->rt;
	char why[512];

	if (r->too_large) {
		snprintf(why, sizeof why, "body of %zu bytes or more, over the limit of %zu",
			r->seen, h->max_body);
		return outcome(h, c, rt, HOOK_TOO_LARGE, MHD_HTTP_CONTENT_TOO_LARGE, why);
	}
	const char *no = verify(rt, c, r);
	if (no)
		return outcome(h, c, rt, HOOK_UNAUTHORIZED, MHD_HTTP_UNAUTHORIZED, no);

	json_error_t je;
	json_t *root = json_loadb(r->body ? r->body : "", r->len, 0, &je);
	if (!root) {
		snprintf(why, sizeof why, "not JSON: %s at byte %d", je.text, je.position);
		return outcome(h, c, rt, HOOK_MALFORMED, MHD_HTTP_BAD_REQUEST, why);
	}
	events e;
	memset(&e, 0, sizeof e);
	int rc = build_events(rt, root, &e);
	json_decref(root);
	enum MHD_Result res;
	if (rc < 0) {
		res = outcome(h, c, rt, HOOK_MALFORMED, MHD_HTTP_BAD_REQUEST, e.why);
	} else if (e.nomem) {
		res = outcome(h, c, rt, HOOK_ERROR, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	} else if (e.ignored) {
		res = outcome(h, c, rt, HOOK_IGNORED, MHD_HTTP_OK, e.why);
	} else {
		int added = store(h, rt, r, &e, why, sizeof why);
		if (added < 0)
			res = outcome(h, c, rt, HOOK_ERROR, MHD_HTTP_INTERNAL_SERVER_ERROR, why);
		else
			res = outcome(h, c, rt, added == 0 && e.n > 0 ? HOOK_DUPLICATE :
				HOOK_ACCEPTED, MHD_HTTP_OK, NULL);
	}
	events_free(&e);
	return res;
}

/* Content-Length as a number; -1 when absent or not one (MHD refuses the
 * latter itself). */
static int64_t
content_length(struct MHD_Connection *c)
{
	const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
		MHD_HTTP_HEADER_CONTENT_LENGTH);
	int64_t n = 0;

	if (!v || !*v)
		return -1;
	for (; *v; v++) {
		if (*v < '0' || *v > '9')
			return -1;
		if (n > (INT64_MAX - 9) / 10)
			return INT64_MAX;
		n = n * 10 + (*v - '0');
	}
	return n;
}

static void
take(hook *h, req *r, const char *p, size_t n)
{
	r->seen += n;
	if (r->too_large)
		return;
	if (r->len + n > h->max_body) {
		r->too_large = 1;
		free(r->body);
		r->body = NULL;
		r->len = r->cap = 0;
		return;
	}
	if (r->len + n > r->cap) {
		size_t cap = r->cap ? r->cap : 4096;
		while (cap < r->len + n)
			cap *= 2;
		if (cap > h->max_body)
			cap = h->max_body;
		char *b = realloc(r->body, cap);
		if (!b) {
			/* out of memory: answered like an oversize body, nothing kept */
			r->too_large = 1;
			free(r->body);
			r->body = NULL;
			r->len = r->cap = 0;
			return;
		}
		r->body = b;
		r->cap = cap;
	}
	memcpy(r->body + r->len, p, n);
	r->len += n;
}

/* ------------------------------------------------------------------ */
/* GET /healthz, GET /metrics                                          */
/* ------------------------------------------------------------------ */

static enum MHD_Result
healthz(hook *h, struct MHD_Connection *c)
{
	char why[256] = "";

	if (state_inbox_count(h->st) < 0) {
		snprintf(why, sizeof why, "state: %s\n", state_errmsg(h->st));
		return answer_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, why);
	}
	if (h->health && h->health(h->arg, why, sizeof why - 1) != 0) {
		size_t n = strnlen(why, sizeof why - 1);
		if (!n)
			n = (size_t)snprintf(why, sizeof why, "not healthy");
		why[n] = '\n';
		return answer(c, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain; charset=utf-8", why,
			n + 1, NULL);
	}
	return answer_text(c, MHD_HTTP_OK, "ok\n");
}

static void
append(void *ctx, const char *fmt, ...)
{
	w_buf *b = ctx;
	char small[512];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof small) {
		w_buf_put(b, small, (size_t)n);
		return;
	}
	char *big = malloc((size_t)n + 1);
	if (!big) {
		b->err = WB_E_NOMEM;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	w_buf_put(b, big, (size_t)n);
	free(big);
}

static enum MHD_Result
metrics(hook *h, struct MHD_Connection *c)
{
	w_buf b;

	if (w_buf_init(&b, 4096, METRICS_MAX, NULL))
		return answer_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	if (h->metrics)
		h->metrics(h->arg, append, &b);
	append(&b, "# HELP mapwright_webhooks_total Webhook requests by source and outcome.\n"
		"# TYPE mapwright_webhooks_total counter\n");
	for (size_t i = 0; i < h->n_routes; i++)
		for (int o = 0; o < HOOK_N_OUTCOMES; o++)
			append(&b, "mapwright_webhooks_total{source=\"%s\",outcome=\"%s\"} %llu\n",
				h->routes[i].source, outcome_names[o], (unsigned long long)
				atomic_load_explicit(&h->routes[i].count[o], memory_order_relaxed));
	enum MHD_Result res = b.err ? answer_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
		"metrics too large\n") : answer(c, MHD_HTTP_OK, "text/plain; version=0.0.4",
		b.p, b.len, NULL);
	w_buf_fini(&b);
	return res;
}

/* ------------------------------------------------------------------ */
/* the request handler                                                 */
/* ------------------------------------------------------------------ */

static route *
find_route(hook *h, const char *name)
{
	for (size_t i = 0; i < h->n_routes; i++)
		if (!strcmp(h->routes[i].source, name))
			return &h->routes[i];
	return NULL;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
	const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	hook *h = cls;
	req *r = *con_cls;
	int get = !strcmp(method, "GET") || !strcmp(method, "HEAD");

	(void)version;
	if (r) {
		if (*upload_size) {
			take(h, r, upload, *upload_size);
			*upload_size = 0;
			if (r->seen / DRAIN_FACTOR > h->max_body) {
				/* a chunked body that does not end: no answer, the connection goes */
				atomic_fetch_add_explicit(&r->rt->count[HOOK_TOO_LARGE], 1,
					memory_order_relaxed);
				log_line(h, "webhook_refused", r->rt->source, 0,
					"chunked body without end, connection closed");
				return MHD_NO;
			}
			return MHD_YES;
		}
		return finish_webhook(h, c, r);
	}
	/* the first call: headers only */
	if (!strcmp(url, "/healthz") || !strcmp(url, "/metrics")) {
		if (!get)
			return answer(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain; charset=utf-8",
				"use GET\n", 8, "GET, HEAD");
		return url[1] == 'h' ? healthz(h, c) : metrics(h, c);
	}
	if (strncmp(url, "/webhooks/", 10) != 0)
		return answer_text(c, MHD_HTTP_NOT_FOUND, "not found\n");
	route *rt = find_route(h, url + 10);
	if (!rt) {
		char name[HOOK_SOURCE_MAX + 1];
		clean_name(name, url + 10);
		log_line(h, "webhook_refused", name, MHD_HTTP_NOT_FOUND, "no such source");
		return answer_text(c, MHD_HTTP_NOT_FOUND, "no such source\n");
	}
	if (strcmp(method, "POST")) {
		log_line(h, "webhook_refused", rt->source, MHD_HTTP_METHOD_NOT_ALLOWED,
			"method not allowed");
		return answer(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain; charset=utf-8",
			"use POST\n", 9, "POST");
	}
	int64_t cl = content_length(c);
	if (cl >= 0 && (uint64_t)cl > h->max_body) {
		char why[128];
		snprintf(why, sizeof why, "Content-Length %lld over the limit of %zu",
			(long long)cl, h->max_body);
		return outcome(h, c, rt, HOOK_TOO_LARGE, MHD_HTTP_CONTENT_TOO_LARGE, why);
	}
	r = calloc(1, sizeof *r);
	if (!r)
		return MHD_NO;
	r->rt = rt;
	*con_cls = r;
	return MHD_YES;
}

static void
on_done(void *cls, struct MHD_Connection *c, void **con_cls,
	enum MHD_RequestTerminationCode why)
{
	req *r = *con_cls;

	(void)cls;
	(void)c;
	(void)why;
	if (r) {
		free(r->body);
		free(r);
		*con_cls = NULL;
	}
}

/* ------------------------------------------------------------------ */
/* start, stop                                                         */
/* ------------------------------------------------------------------ */

static int
fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

static int
valid_source(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > HOOK_SOURCE_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '_' ||
		      s[i] == '-'))
			return 0;
	return 1;
}

void
hook_stop(hook *h)
{
	if (!h)
		return;
	if (h->d)
		MHD_stop_daemon(h->d);
	if (h->st)
		state_close(h->st);
	for (size_t i = 0; i < h->n_routes; i++) {
		if (h->routes[i].secret) {
			OPENSSL_cleanse(h->routes[i].secret, h->routes[i].secret_len);
			free(h->routes[i].secret);
		}
	}
	free(h);
}

int
hook_start(const hook_config *cfg, hook **out, char *err, size_t errlen)
{
	union {
		struct sockaddr sa;
		struct sockaddr_in v4;
		struct sockaddr_in6 v6;
	} addr;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO;

	if (out)
		*out = NULL;
	if (!cfg || !out || !cfg->state_path)
		return fail(err, errlen, HOOK_EUSAGE, "hook: no configuration or state path");
	if (cfg->n_routes > HOOK_MAX_ROUTES || (cfg->n_routes && !cfg->routes))
		return fail(err, errlen, HOOK_EUSAGE, "hook: at most %d routes", HOOK_MAX_ROUTES);
	if (cfg->port > 65535)
		return fail(err, errlen, HOOK_EUSAGE, "hook: port %u out of range", cfg->port);

	const char *bind = cfg->bind ? cfg->bind : "127.0.0.1";
	memset(&addr, 0, sizeof addr);
	if (inet_pton(AF_INET, bind, &addr.v4.sin_addr) == 1) {
		addr.v4.sin_family = AF_INET;
		addr.v4.sin_port = htons((uint16_t)cfg->port);
	} else if (inet_pton(AF_INET6, bind, &addr.v6.sin6_addr) == 1) {
		addr.v6.sin6_family = AF_INET6;
		addr.v6.sin6_port = htons((uint16_t)cfg->port);
		flags |= MHD_USE_IPv6;
	} else {
		return fail(err, errlen, HOOK_EUSAGE, "hook: bind address \"%s\" is not an IP address",
			bind);
	}

	hook *h = calloc(1, sizeof *h);
	if (!h)
		return fail(err, errlen, HOOK_EUSAGE, "hook: out of memory");
	h->max_body = cfg->max_body ? cfg->max_body : DEFAULT_BODY;
	h->metrics = cfg->metrics;
	h->health = cfg->health;
	h->arg = cfg->arg;
	h->log = cfg->log;
	for (size_t i = 0; i < cfg->n_routes; i++) {
		const hook_route *in = &cfg->routes[i];
		route *rt = &h->routes[i];
		if (!valid_source(in->source)) {
			hook_stop(h);
			return fail(err, errlen, HOOK_EUSAGE, "hook: route %zu: the source must be "
				"1..%d of [a-z0-9_-]", i, HOOK_SOURCE_MAX);
		}
		if (find_route(h, in->source)) {
			hook_stop(h);
			return fail(err, errlen, HOOK_EUSAGE, "hook: route %s given twice", in->source);
		}
		if (in->scheme != HOOK_XERO && in->scheme != HOOK_QBO && in->scheme != HOOK_CLARITY) {
			hook_stop(h);
			return fail(err, errlen, HOOK_EUSAGE, "hook: route %s: unknown scheme",
				in->source);
		}
		if (!in->secret || !*in->secret) {
			hook_stop(h);
			return fail(err, errlen, HOOK_EUSAGE, "hook: route %s: no secret", in->source);
		}
		snprintf(rt->source, sizeof rt->source, "%s", in->source);
		rt->scheme = in->scheme;
		rt->secret_len = strlen(in->secret);
		rt->secret = malloc(rt->secret_len + 1);
		for (int o = 0; o < HOOK_N_OUTCOMES; o++)
			atomic_init(&rt->count[o], 0);
		h->n_routes = i + 1;
		if (!rt->secret) {
			hook_stop(h);
			return fail(err, errlen, HOOK_EUSAGE, "hook: out of memory");
		}
		memcpy(rt->secret, in->secret, rt->secret_len + 1);
	}

	if (state_open(cfg->state_path, &h->st) != 0) {
		int rc = fail(err, errlen, HOOK_ESTATE, "hook: state %s: %s", cfg->state_path,
			state_errmsg(h->st));
		hook_stop(h);
		return rc;
	}
	h->d = MHD_start_daemon(flags, (uint16_t)cfg->port, NULL, NULL, on_request, h,
		MHD_OPTION_SOCK_ADDR, &addr.sa,
		MHD_OPTION_NOTIFY_COMPLETED, on_done, h,
		MHD_OPTION_CONNECTION_LIMIT, 64u,
		MHD_OPTION_CONNECTION_TIMEOUT, 15u,
		MHD_OPTION_END);
	if (!h->d) {
		hook_stop(h);
		return fail(err, errlen, HOOK_ELISTEN, "hook: cannot listen on %s port %u", bind,
			cfg->port);
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
	h->port = di && di->port ? di->port : cfg->port;
	*out = h;
	return 0;
}

unsigned
hook_port(const hook *h)
{
	return h ? h->port : 0;
}

uint64_t
hook_count(const hook *h, const char *source, hook_outcome o)
{
	if (!h || !source || (unsigned)o >= HOOK_N_OUTCOMES)
		return 0;
	for (size_t i = 0; i < h->n_routes; i++)
		if (!strcmp(h->routes[i].source, source))
			return (uint64_t)atomic_load_explicit(&h->routes[i].count[o],
				memory_order_relaxed);
	return 0;
}
