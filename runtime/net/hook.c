/*
 * hook.c - the webhook and operations HTTP server (hook.h): libmicrohttpd
 * with a thread per connection, the route's handler (the service's
 * own: signature and event shape live in its connector), the events handed
 * to the engine's store, /healthz and /metrics.
 *
 * Request flow of POST /webhooks/{source}: the first call (headers only)
 * finds the route and refuses a Content-Length over max_body with 413
 * before a byte of the body is read; the body is then collected up to
 * max_body (past that it is counted and dropped, and answered 413); the
 * last call hands the raw bytes to the route's handler, which verifies
 * the signature and only then reads the events; they are kept by the
 * config's store() before answering.
 */
#include <ctype.h>
#include <pthread.h>
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
#include "transform.h"

#define DEFAULT_BODY   ((size_t)1 << 20)
#define METRICS_MAX    ((size_t)4 << 20)
#define DRAIN_FACTOR   4            /* a body without Content-Length read (and dropped)
				     * up to this many times max_body before the
				     * connection is closed without an answer */

typedef struct {
	char source[HOOK_SOURCE_MAX + 1];
	hook_handler_fn handler;
	char *secret;
	size_t secret_len;
	atomic_uint_least64_t count[HOOK_N_OUTCOMES];
} route;

struct hook {
	struct MHD_Daemon *d;
	pthread_mutex_t store_mu;    /* store() is called one request at a time */
	route routes[HOOK_MAX_ROUTES];
	size_t n_routes;
	size_t max_body;
	int (*store)(void *arg, const char *source, const hook_event *ev, size_t n,
		const char *body, size_t len, char *why, size_t whylen);
	void (*metrics)(void *arg, hook_append_fn append, void *ctx);
	int (*health)(void *arg, char *why, size_t n);
	int (*ready)(void *arg, char *why, size_t n);
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
/* signatures: the primitives the services' handlers share            */
/* ------------------------------------------------------------------ */

int
hook_hmac_sha256(const char *key, size_t klen, const void *const *parts, const size_t *lens,
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

int
hook_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

void
hook_wipe(void *p, size_t n)
{
	OPENSSL_cleanse(p, n);
}

const char *
hook_verify_b64(const hook_request *rq, const char *name, const char *key, size_t klen)
{
	unsigned char mac[32], want[48];
	size_t len;
	const char *body = hook_body(rq, &len), *sig = hook_header(rq, name);
	const void *parts[1] = { body };

	if (!sig || !*sig)
		return "missing signature";
	if (hook_hmac_sha256(key, klen, parts, &len, 1, mac))
		return "cannot compute the signature";
	int n = EVP_EncodeBlock(want, mac, (int)sizeof mac);
	int good = strlen(sig) == (size_t)n && hook_equal(sig, want, (size_t)n);
	hook_wipe(want, sizeof want);
	hook_wipe(mac, sizeof mac);
	return good ? NULL : "bad signature";
}

/* ------------------------------------------------------------------ */
/* the request as the handler sees it, and the events it emits         */
/* ------------------------------------------------------------------ */

struct hook_request {
	struct MHD_Connection *c;
	const req *r;
};

const char *
hook_body(const hook_request *rq, size_t *len)
{
	*len = rq->r->len;
	return rq->r->body ? rq->r->body : "";
}

const char *
hook_header(const hook_request *rq, const char *name)
{
	return MHD_lookup_connection_value(rq->c, MHD_HEADER_KIND, name);
}

typedef struct {
	hook_event *v;
	size_t n, cap;
} events;

static char *
dupz(const char *s)
{
	size_t n = strlen(s ? s : "") + 1;
	char *d = malloc(n);
	return d ? memcpy(d, s ? s : "", n) : NULL;
}

static void
events_free(events *e)
{
	for (size_t i = 0; i < e->n; i++) {
		free((char *)e->v[i].id);
		free((char *)e->v[i].type);
		free((char *)e->v[i].collection);
		free((char *)e->v[i].key);
	}
	free(e->v);
}

/* A hook_emit_fn: a copy of ev at the end of the events. */
static int
emit(void *arg, const hook_event *ev)
{
	events *e = arg;

	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 4;
		hook_event *v = cap > SIZE_MAX / sizeof *v ? NULL : realloc(e->v, cap * sizeof *v);
		if (!v)
			return -1;
		e->v = v;
		e->cap = cap;
	}
	hook_event *d = &e->v[e->n];
	d->id = dupz(ev->id);
	d->type = dupz(ev->type);
	d->collection = dupz(ev->collection);
	d->key = dupz(ev->key);
	e->n++;
	return d->id && d->type && d->collection && d->key ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* POST /webhooks/{source}                                             */
/* ------------------------------------------------------------------ */

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
	hook_request rq = { c, r };
	events e;
	memset(&e, 0, sizeof e);
	why[0] = '\0';
	hook_outcome o = rt->handler(rt->secret, rt->secret_len, &rq, emit, &e, why, sizeof why);
	enum MHD_Result res;
	switch (o) {
	case HOOK_ACCEPTED:
		break;
	case HOOK_UNAUTHORIZED:
		res = outcome(h, c, rt, o, MHD_HTTP_UNAUTHORIZED, why);
		goto done;
	case HOOK_IGNORED:
		res = outcome(h, c, rt, o, MHD_HTTP_OK, why);
		goto done;
	case HOOK_ERROR:
		res = outcome(h, c, rt, o, MHD_HTTP_INTERNAL_SERVER_ERROR, why);
		goto done;
	default:
		res = outcome(h, c, rt, HOOK_MALFORMED, MHD_HTTP_BAD_REQUEST, why);
		goto done;
	}
	int added = e.n == 0 ? 0 : -1;
	if (e.n && h->store) {
		pthread_mutex_lock(&h->store_mu);
		added = h->store(h->arg, rt->source, e.v, e.n, r->body ? r->body : "", r->len, why,
			sizeof why);
		pthread_mutex_unlock(&h->store_mu);
	}
	if (added < 0) {
		if (!h->store)
			snprintf(why, sizeof why, "no store for events");
		res = outcome(h, c, rt, HOOK_ERROR, MHD_HTTP_INTERNAL_SERVER_ERROR, why);
	} else {
		res = outcome(h, c, rt, added == 0 && e.n > 0 ? HOOK_DUPLICATE : HOOK_ACCEPTED,
			MHD_HTTP_OK, NULL);
	}
done:
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
/* GET /healthz, /readyz, /metrics                                       */
/* ------------------------------------------------------------------ */

/* /healthz: the health callback; /readyz: health, then ready.  200 "ok",
 * or 503 and the reason. */
static enum MHD_Result
healthz(hook *h, struct MHD_Connection *c, int ready)
{
	char why[256] = "";
	int bad = h->health && h->health(h->arg, why, sizeof why - 1) != 0;

	if (!bad && ready && h->ready)
		bad = h->ready(h->arg, why, sizeof why - 1) != 0;
	if (bad) {
		size_t n = strnlen(why, sizeof why - 1);
		if (!n)
			n = (size_t)snprintf(why, sizeof why, ready ? "not ready" : "not healthy");
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

	if (w_buf_init(&b, 4096, METRICS_MAX, NULL, NULL))
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
	if (!strcmp(url, "/healthz") || !strcmp(url, "/readyz") || !strcmp(url, "/metrics")) {
		if (!get)
			return answer(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain; charset=utf-8",
				"use GET\n", 8, "GET, HEAD");
		return url[1] == 'm' ? metrics(h, c) : healthz(h, c, url[1] == 'r');
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
	pthread_mutex_destroy(&h->store_mu);
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
	/* a thread per connection: /healthz never waits behind a webhook's
	 * store (a disk write), nor behind a slow client */
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
		MHD_USE_AUTO;

	if (out)
		*out = NULL;
	if (!cfg || !out)
		return fail(err, errlen, HOOK_EUSAGE, "hook: no configuration");
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
	pthread_mutex_init(&h->store_mu, NULL);
	h->max_body = cfg->max_body ? cfg->max_body : DEFAULT_BODY;
	h->store = cfg->store;
	h->metrics = cfg->metrics;
	h->health = cfg->health;
	h->ready = cfg->ready;
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
		if (!in->handler) {
			hook_stop(h);
			return fail(err, errlen, HOOK_EUSAGE, "hook: route %s: no handler",
				in->source);
		}
		if (!in->secret || !*in->secret) {
			hook_stop(h);
			return fail(err, errlen, HOOK_EUSAGE, "hook: route %s: no secret", in->source);
		}
		snprintf(rt->source, sizeof rt->source, "%s", in->source);
		rt->handler = in->handler;
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

	h->d = MHD_start_daemon(flags, (uint16_t)cfg->port, NULL, NULL, on_request, h,
		MHD_OPTION_SOCK_ADDR, &addr.sa,
		MHD_OPTION_NOTIFY_COMPLETED, on_done, h,
		MHD_OPTION_CONNECTION_LIMIT, cfg->max_connections ? cfg->max_connections :
			HOOK_MAX_CONNECTIONS,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, cfg->per_ip ? cfg->per_ip : HOOK_PER_IP,
		MHD_OPTION_CONNECTION_TIMEOUT, cfg->timeout_s ? cfg->timeout_s : HOOK_TIMEOUT_S,
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
