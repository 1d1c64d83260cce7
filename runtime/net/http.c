/*
 * http.c - the connectors' HTTP client over libcurl, and the outcome
 * classification (see http.h).
 *
 * One curl easy handle per client, reused so connections stay alive; the
 * body is collected into a buffer capped at max_body; the headers the rate
 * limiter needs (Retry-After, Xero's X-MinLimit-Remaining and
 * X-DayLimit-Remaining) are picked out as they arrive.
 *
 * Concurrent calls: a unit of work's calls are taped (http.h) and sent by
 * an http_multi, one curl multi handle whose transfers are easy handles
 * duplicated from the asking client's (its TLS settings and agent), each
 * call's context in CURLOPT_PRIVATE, as curl's 10-at-a-time example does.
 *
 * TLS: peer and host verified, TLS 1.2 at least, the CA bundle of
 * CURL_CA_BUNDLE or SSL_CERT_FILE (a directory: SSL_CERT_DIR) when set, the
 * system's otherwise; a certificate that cannot be verified is HTTP_ETLS,
 * which needs a person, never an outage to wait out.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "http.h"

/* Where an answer is collected: its body (capped at max) and the headers
 * read into resp. */
typedef struct {
	char *buf;
	size_t len, cap, max;
	int too_big;
	http_response *resp; /* the response being filled */
} sink;

struct http_client {
	CURL *curl;
	sink in;
	const http_gate *gate;
	char curl_err[CURL_ERROR_SIZE];
	const char *ca;      /* the CA bundle named by the environment, or NULL */
	http_client *next;   /* the clients alive (http_release_memory) */
};

static http_client *clients;
static pthread_mutex_t clients_mu = PTHREAD_MUTEX_INITIALIZER;

void
http_client_set_gate(http_client *c, const http_gate *g)
{
	c->gate = g;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int do_request(http_client *c, const http_request *req, http_response *resp, char *err,
	size_t errlen);

static int tape_do(http_client *c, http_tape *t, const http_request *req, http_response *resp,
	char *err, size_t errlen);

int
http_do(http_client *c, const http_request *req, http_response *resp, char *err, size_t errlen)
{
	if (c && c->gate && c->gate->tape)
		return tape_do(c, c->gate->tape, req, resp, err, errlen);
	if (!c || !c->gate)
		return do_request(c, req, resp, err, errlen);
	if (c->gate->before)
		c->gate->before(c->gate->arg, req);
	int64_t t0 = now_ms();
	int rc = do_request(c, req, resp, err, errlen);
	if (c->gate->after)
		c->gate->after(c->gate->arg, req, rc, resp, now_ms() - t0);
	return rc;
}

static int curl_ready;

int
http_client_new(http_client **out, const char *user_agent, size_t max_body)
{
	*out = NULL;
	if (!curl_ready) {
		/* once, before any thread exists: curl_global_init is not thread-safe */
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return HTTP_EUSAGE;
		curl_ready = 1;
	}
	http_client *c = calloc(1, sizeof *c);
	if (!c)
		return HTTP_EUSAGE;
	c->curl = curl_easy_init();
	c->in.max = max_body ? max_body : 16u << 20;
	if (!c->curl) {
		free(c);
		return HTTP_EUSAGE;
	}
	curl_easy_setopt(c->curl, CURLOPT_USERAGENT, user_agent ? user_agent : "mapwright");
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c->curl, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, c->curl_err);
	/* the variables curl's and OpenSSL's own tools read, curl's first */
	const char *ca = getenv("CURL_CA_BUNDLE"), *dir = getenv("SSL_CERT_DIR");
	if (!ca || !*ca)
		ca = getenv("SSL_CERT_FILE");
	if (ca && *ca) {
		c->ca = ca;
		curl_easy_setopt(c->curl, CURLOPT_CAINFO, ca);
	}
	if (dir && *dir)
		curl_easy_setopt(c->curl, CURLOPT_CAPATH, dir);
	pthread_mutex_lock(&clients_mu);
	c->next = clients;
	clients = c;
	pthread_mutex_unlock(&clients_mu);
	*out = c;
	return 0;
}

void
http_release_memory(void)
{
	pthread_mutex_lock(&clients_mu);
	for (http_client *c = clients; c; c = c->next) {
		/* a new handle with the options (agent, TLS, error buffer), and
		 * none of the old one's connections, buffers, TLS contexts and
		 * sessions, DNS cache: a server closes an idle connection within
		 * minutes anyway */
		CURL *fresh = curl_easy_duphandle(c->curl);

		if (fresh) {
			curl_easy_cleanup(c->curl);
			c->curl = fresh;
		}
		free(c->in.buf);
		c->in.buf = NULL;
		c->in.len = c->in.cap = 0;
	}
	pthread_mutex_unlock(&clients_mu);
}

void
http_client_free(http_client *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&clients_mu);
	for (http_client **p = &clients; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	pthread_mutex_unlock(&clients_mu);
	curl_easy_cleanup(c->curl);
	free(c->in.buf);
	free(c);
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	sink *c = arg;
	size_t add = size * n;
	if (c->len + add + 1 > c->max + 1) {
		c->too_big = 1;
		return 0; /* curl stops with CURLE_WRITE_ERROR */
	}
	if (c->len + add + 1 > c->cap) {
		size_t cap = c->cap ? c->cap : 16384;
		while (cap < c->len + add + 1)
			cap *= 2;
		char *nb = realloc(c->buf, cap);
		if (!nb)
			return 0;
		c->buf = nb;
		c->cap = cap;
	}
	memcpy(c->buf + c->len, p, add);
	c->len += add;
	c->buf[c->len] = 0;
	return add;
}

/* The value of header line h if its name is name, trimmed, into out. */
static int
header_value(const char *h, size_t n, const char *name, char *out, size_t outlen)
{
	size_t k = strlen(name);
	if (n <= k || h[k] != ':' || strncasecmp(h, name, k) != 0)
		return 0;
	const char *v = h + k + 1, *e = h + n;
	while (v < e && (*v == ' ' || *v == '\t'))
		v++;
	while (e > v && (e[-1] == '\r' || e[-1] == '\n' || e[-1] == ' '))
		e--;
	size_t len = (size_t)(e - v) < outlen - 1 ? (size_t)(e - v) : outlen - 1;
	memcpy(out, v, len);
	out[len] = 0;
	return 1;
}

static long
number_or(const char *s, long dflt)
{
	char *end;
	long v = strtol(s, &end, 10);
	return end != s && *end == 0 && v >= 0 ? v : dflt;
}

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	sink *c = arg;
	size_t len = size * n;
	char v[128];
	if (header_value(p, len, "Retry-After", v, sizeof v))
		c->resp->retry_after_ms = http_retry_after_ms(v, (int64_t)time(NULL));
	else if (header_value(p, len, "X-MinLimit-Remaining", v, sizeof v))
		c->resp->min_remaining = number_or(v, -1);
	else if (header_value(p, len, "X-DayLimit-Remaining", v, sizeof v))
		c->resp->day_remaining = number_or(v, -1);
	else if (header_value(p, len, "Content-Type", v, sizeof v))
		snprintf(c->resp->content_type, sizeof c->resp->content_type, "%s", v);
	return len;
}

int64_t
http_retry_after_ms(const char *value, int64_t now)
{
	char *end;
	long long secs = strtoll(value, &end, 10);
	if (end != value && *end == 0)
		return secs >= 0 && secs < 86400LL * 365 ? secs * 1000 : -1;
	time_t t = curl_getdate(value, NULL);
	if (t == (time_t)-1)
		return -1;
	return t > now ? ((int64_t)t - now) * 1000 : 0;
}

/* The server's certificate (or the CA bundle to check it with) refused:
 * waiting does not change that.  A handshake that fails otherwise
 * (CURLE_SSL_CONNECT_ERROR: a reset, an old protocol) stays an outage. */
static int
tls_refused(CURLcode rc)
{
	return rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE ||
		rc == CURLE_SSL_ISSUER_ERROR || rc == CURLE_SSL_PINNEDPUBKEYNOTMATCH ||
		rc == CURLE_SSL_INVALIDCERTSTATUS || rc == CURLE_SSL_CRL_BADFILE ||
		rc == CURLE_SSL_CERTPROBLEM;
}

static void
tls_message(const char *ca, const char *curl_err, const char *url, CURLcode rc, char *err,
	size_t errlen)
{
	const char *host = strstr(url, "://");
	int hl;

	host = host ? host + 3 : url;
	hl = (int)strcspn(host, "/?#");
	snprintf(err, errlen, "TLS: the certificate of %.*s cannot be verified (%s); not retried: "
		"a private CA's certificate goes in SSL_CERT_FILE or CURL_CA_BUNDLE (now %s)", hl, host,
		curl_err[0] ? curl_err : curl_easy_strerror(rc), ca ? ca : "the system's");
}

static void
reset_response(http_response *resp)
{
	memset(resp, 0, sizeof *resp);
	resp->retry_after_ms = resp->min_remaining = resp->day_remaining = -1;
	resp->body = "";
}

/* The request's lines as curl takes them; NULL with err when out of memory. */
static int
header_list(const http_request *req, struct curl_slist **out, char *err, size_t errlen)
{
	struct curl_slist *hs = NULL;

	for (size_t i = 0; i < req->n_headers; i++) {
		struct curl_slist *n = curl_slist_append(hs, req->headers[i]);
		if (!n) {
			curl_slist_free_all(hs);
			snprintf(err, errlen, "out of memory");
			return HTTP_EUSAGE;
		}
		hs = n;
	}
	*out = hs;
	return 0;
}

/* The options of one request on h, its answer into in. */
static void
set_request(CURL *h, const http_request *req, struct curl_slist *hs, sink *in)
{
	curl_easy_setopt(h, CURLOPT_URL, req->url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hs);
	curl_easy_setopt(h, CURLOPT_NOBODY, strcmp(req->method, "HEAD") == 0 ? 1L : 0L);
	if (req->body) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
	} else {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
	}
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, req->timeout_ms > 0 ? req->timeout_ms : 30000L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, in);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, in);
	in->len = 0;
	in->too_big = 0;
	if (in->buf)
		in->buf[0] = 0;
}

/* The outcome of a transfer that ended with rc (see http_do). */
static int
transfer_end(CURL *h, CURLcode rc, sink *in, const char *ca, const char *curl_err,
	const char *url, http_response *resp, char *err, size_t errlen)
{
	if (rc != CURLE_OK) {
		if (in->too_big) {
			snprintf(err, errlen, "response body larger than %zu bytes", in->max);
			return HTTP_ETOOBIG;
		}
		if (tls_refused(rc)) {
			tls_message(ca, curl_err, url, rc, err, errlen);
			return HTTP_ETLS;
		}
		snprintf(err, errlen, "%s", curl_easy_strerror(rc));
		return rc == CURLE_OPERATION_TIMEDOUT ? HTTP_ETIMEOUT : HTTP_ENETWORK;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
	resp->body = in->buf ? in->buf : "";
	resp->body_len = in->len;
	if (err && errlen)
		err[0] = 0;
	return 0;
}

static int
do_request(http_client *c, const http_request *req, http_response *resp, char *err,
	size_t errlen)
{
	struct curl_slist *hs = NULL;

	reset_response(resp);
	if (!c || !req || !req->url || !req->method) {
		snprintf(err, errlen, "bad request arguments");
		return HTTP_EUSAGE;
	}
	if (header_list(req, &hs, err, errlen) != 0)
		return HTTP_EUSAGE;
	CURL *h = c->curl;
	c->in.resp = resp;
	set_request(h, req, hs, &c->in);
	c->curl_err[0] = '\0';
	CURLcode rc = curl_easy_perform(h);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, NULL);
	curl_slist_free_all(hs);
	c->in.resp = NULL;
	return transfer_end(h, rc, &c->in, c->ca, c->curl_err, req->url, resp, err, errlen);
}

http_class
http_classify(int rc, const http_response *r)
{
	if (rc == HTTP_ETIMEOUT || rc == HTTP_ENETWORK)
		return HTTP_TRANSIENT;
	if (rc == HTTP_ETLS)
		return HTTP_AUTH; /* the service is not proven to be itself: needs a person */
	if (rc != 0)
		return HTTP_PERMANENT; /* HTTP_EDEFER too: nothing retries it */
	long s = r->status;
	if (s >= 200 && s < 300)
		return HTTP_OK;
	if (s == 429)
		return HTTP_RATE_LIMITED;
	if (s == 401 || s == 403)
		return HTTP_AUTH;
	if (s == 408 || (s >= 500 && s != 501 && s < 600))
		return HTTP_TRANSIENT;
	return HTTP_PERMANENT;
}

const char *
http_class_name(http_class k)
{
	static const char *const names[] = {
		"ok", "transient", "rate-limited", "auth", "permanent",
	};
	return (unsigned)k < sizeof names / sizeof *names ? names[k] : "?";
}

size_t
http_url_escape(const char *s, char *out, size_t cap)
{
	char *e = curl_easy_escape(NULL, s, 0); /* the handle is unused since 7.82 */
	size_t n = e ? strlen(e) : 0;

	if (!e || n >= cap) {
		if (cap)
			out[0] = '\0';
		curl_free(e);
		return 0;
	}
	memcpy(out, e, n + 1);
	curl_free(e);
	return n;
}

/* The name that starts at p (a JSON key's text, an XML element's name):
 * its length, 0 when it is not a plain name of up to 64 bytes. */
static size_t
name_len(const char *p, const char *end, int json)
{
	size_t k = 0;

	while (p + k < end && k <= 64 && (p[k] == '_' || p[k] == '-' || p[k] == '.' ||
	    (p[k] == ':' && !json) || (p[k] >= '0' && p[k] <= '9') || (p[k] >= 'a' && p[k] <= 'z') ||
	    (p[k] >= 'A' && p[k] <= 'Z')))
		k++;
	return k > 64 ? 0 : k;
}

/* Append the name [p, p+k) to the list at names (" a, b,") unless it is
 * there already. */
static void
add_name(char *out, size_t n, size_t *at, size_t names, const char *p, size_t k)
{
	char one[80];

	if (!k || *at + k + 3 >= n)
		return;
	snprintf(one, sizeof one, " %.*s,", (int)k, p);
	if (!strstr(out + names, one))
		*at += (size_t)snprintf(out + *at, n - *at, "%s", one);
}

const char *
http_log_text(const char *text, char *out, size_t n)
{
	size_t len = strlen(text), pre = strcspn(text, "{[<"), at;
	const char *p = text + pre, *end = text + len;
	int json = *p != '<';

	if (!n)
		return out;
	if (pre > 400)
		pre = 400;
	snprintf(out, n, "%.*s", (int)pre, text);
	if (p == end)
		return out;
	at = strlen(out);
	at += (size_t)snprintf(out + at, at < n ? n - at : 0, "(%s of %zu bytes, fields:",
		json ? "JSON" : "XML", (size_t)(end - p));
	if (at >= n)
		return out;
	size_t names_at = at;
	while (p < end) {
		if (json && *p == '"') {
			/* a string: a key when a ':' follows */
			const char *s = ++p;

			while (p < end && *p != '"')
				p += *p == '\\' && p + 1 < end ? 2 : 1;
			const char *e = p < end ? p++ : p, *q = p;

			while (q < end && (*q == ' ' || *q == '\n' || *q == '\r' || *q == '\t'))
				q++;
			if (q < end && *q == ':' && name_len(s, e, 1) == (size_t)(e - s))
				add_name(out, n, &at, names_at, s, (size_t)(e - s));
		} else if (!json && *p == '<') {
			p += p + 1 < end && p[1] == '/' ? 2 : 1;
			add_name(out, n, &at, names_at, p, name_len(p, end, 0));
		} else {
			p++;
		}
	}
	if (at > names_at && out[at - 1] == ',')
		out[--at] = '\0';
	snprintf(out + at, n - at, "%s)", at > names_at ? "" : " none");
	return out;
}

/* ------------------------------------------------------------------ */
/* taped calls and the multi interface (http.h)                        */
/* ------------------------------------------------------------------ */

enum { CALL_QUEUED, CALL_SENT, CALL_DONE };

/* One call a unit made: the request as it was asked (copied: the asker's
 * buffers are gone when it is sent), and its answer once it came. */
typedef struct tape_call {
	http_tape *tape;
	http_client *c;           /* whose options and gate it goes with */
	char *method, *url, *body, **headers;
	size_t body_len, n_headers;
	long timeout_ms;
	int cost;
	int state, used;          /* used: handed out in the current run */
	/* the answer */
	int rc;
	http_response resp;
	sink in;
	char err[512], curl_err[CURL_ERROR_SIZE];
	/* in flight */
	CURL *easy;
	struct curl_slist *hs;
	int64_t t0;
	struct tape_call *next;   /* the multi's queue */
} tape_call;

struct http_tape {
	tape_call **calls;
	size_t n, cap;
	int deferred;             /* the current run asked for an answer not held */
	size_t waiting;           /* calls queued or in flight */
	void *user;
	int queued;               /* handed to a multi and not answered yet */
	http_tape *next_ready;
};

struct http_multi {
	CURLM *multi;
	int in_flight, running;
	tape_call *head, *tail;   /* queued, oldest first */
	tape_call *sent;          /* in flight */
	http_tape *ready;         /* tapes whose every call is answered */
};

static char *
dup_n(const char *p, size_t n)
{
	char *d = malloc(n + 1);

	if (d) {
		if (n)
			memcpy(d, p, n);
		d[n] = '\0';
	}
	return d;
}

static void
call_free(tape_call *k)
{
	if (!k)
		return;
	free(k->method);
	free(k->url);
	free(k->body);
	for (size_t i = 0; k->headers && i < k->n_headers; i++)
		free(k->headers[i]);
	free(k->headers);
	free(k->in.buf);
	curl_slist_free_all(k->hs);
	free(k);
}

/* Whether k is the request req (the same bytes a service would see). */
static int
same_call(const tape_call *k, const http_request *req)
{
	if (strcmp(k->method, req->method) != 0 || strcmp(k->url, req->url) != 0 ||
	    k->n_headers != req->n_headers || (k->body != NULL) != (req->body != NULL) ||
	    (req->body && (k->body_len != req->body_len ||
		memcmp(k->body, req->body, req->body_len) != 0)))
		return 0;
	for (size_t i = 0; i < req->n_headers; i++)
		if (strcmp(k->headers[i], req->headers[i]) != 0)
			return 0;
	return 1;
}

static tape_call *
call_new(http_tape *t, http_client *c, const http_request *req)
{
	tape_call *k = calloc(1, sizeof *k);
	int bad;

	if (!k)
		return NULL;
	k->tape = t;
	k->c = c;
	k->method = dup_n(req->method, strlen(req->method));
	k->url = dup_n(req->url, strlen(req->url));
	k->body = req->body ? dup_n(req->body, req->body_len) : NULL;
	k->body_len = req->body_len;
	k->headers = calloc(req->n_headers ? req->n_headers : 1, sizeof *k->headers);
	k->n_headers = req->n_headers;
	bad = !k->method || !k->url || (req->body && !k->body) || !k->headers;
	for (size_t i = 0; !bad && i < req->n_headers; i++)
		bad = !(k->headers[i] = dup_n(req->headers[i], strlen(req->headers[i])));
	k->timeout_ms = req->timeout_ms;
	k->cost = req->cost;
	k->in.max = c->in.max;
	if (bad) {
		call_free(k);
		return NULL;
	}
	return k;
}

static int
tape_do(http_client *c, http_tape *t, const http_request *req, http_response *resp, char *err,
	size_t errlen)
{
	reset_response(resp);
	if (!req || !req->url || !req->method) {
		snprintf(err, errlen, "bad request arguments");
		return HTTP_EUSAGE;
	}
	if (t->deferred) {
		/* made from a pretend answer: never sent */
		snprintf(err, errlen, "deferred");
		return HTTP_EDEFER;
	}
	for (size_t i = 0; i < t->n; i++) {
		tape_call *k = t->calls[i];

		if (k->used || !same_call(k, req))
			continue;
		k->used = 1;
		if (k->state != CALL_DONE) {
			/* asked in an earlier run, not answered yet */
			t->deferred = 1;
			snprintf(err, errlen, "deferred");
			return HTTP_EDEFER;
		}
		*resp = k->resp;
		resp->body = k->in.buf ? k->in.buf : "";
		resp->body_len = k->in.len;
		snprintf(err, errlen, "%s", k->err);
		return k->rc;
	}
	/* a call not asked before: the tape's next */
	tape_call *k = NULL;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 4;
		tape_call **v = realloc(t->calls, cap * sizeof *v);

		if (v) {
			t->calls = v;
			t->cap = cap;
		}
	}
	if (t->n == t->cap || !(k = call_new(t, c, req))) {
		snprintf(err, errlen, "out of memory");
		return HTTP_EUSAGE;
	}
	k->used = 1;
	t->calls[t->n++] = k;
	t->waiting++;
	t->deferred = 1;
	snprintf(err, errlen, "deferred");
	return HTTP_EDEFER;
}

int
http_tape_new(http_tape **out, void *user)
{
	*out = calloc(1, sizeof **out);
	if (!*out)
		return HTTP_EUSAGE;
	(*out)->user = user;
	return 0;
}

void *
http_tape_user(const http_tape *t)
{
	return t->user;
}

void
http_tape_rewind(http_tape *t)
{
	t->deferred = 0;
	for (size_t i = 0; i < t->n; i++)
		t->calls[i]->used = 0;
}

void
http_tape_clear(http_tape *t)
{
	for (size_t i = 0; i < t->n; i++)
		call_free(t->calls[i]);
	t->n = 0;
	t->waiting = 0;
	t->deferred = 0;
	t->queued = 0;
}

void
http_tape_free(http_tape *t)
{
	if (!t)
		return;
	http_tape_clear(t);
	free(t->calls);
	free(t);
}

int
http_tape_deferred(const http_tape *t)
{
	return t->deferred;
}

int
http_multi_new(http_multi **out, int in_flight)
{
	http_multi *m = calloc(1, sizeof *m);

	*out = NULL;
	if (!m)
		return HTTP_EUSAGE;
	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			free(m);
			return HTTP_EUSAGE;
		}
		curl_ready = 1;
	}
	m->multi = curl_multi_init();
	if (!m->multi) {
		free(m);
		return HTTP_EUSAGE;
	}
	m->in_flight = in_flight > 0 ? in_flight : 1;
	/* connections are kept for the next transfer: at most one per call in flight */
	curl_multi_setopt(m->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)m->in_flight);
	*out = m;
	return 0;
}

static void
end_transfer(http_multi *m, tape_call *k)
{
	for (tape_call **p = &m->sent; *p; p = &(*p)->next)
		if (*p == k) {
			*p = k->next;
			break;
		}
	k->next = NULL;
	curl_multi_remove_handle(m->multi, k->easy);
	curl_easy_cleanup(k->easy);
	k->easy = NULL;
	curl_slist_free_all(k->hs);
	k->hs = NULL;
	m->running--;
}

void
http_multi_free(http_multi *m)
{
	if (!m)
		return;
	while (m->sent) { /* ended unanswered: the tape is freed after this */
		tape_call *k = m->sent;

		end_transfer(m, k);
		k->state = CALL_QUEUED;
	}
	for (tape_call *k = m->head, *n; k; k = n) {
		n = k->next;
		k->next = NULL;
	}
	curl_multi_cleanup(m->multi);
	free(m);
}

void
http_multi_add(http_multi *m, http_tape *t)
{
	for (size_t i = 0; i < t->n; i++) {
		tape_call *k = t->calls[i];

		if (k->state != CALL_QUEUED || k->next || m->tail == k)
			continue;
		if (m->tail)
			m->tail->next = k;
		else
			m->head = k;
		m->tail = k;
	}
	t->queued = 1;
}

int
http_multi_busy(const http_multi *m)
{
	int n = m->running;

	for (const tape_call *k = m->head; k; k = k->next)
		n++;
	for (const http_tape *t = m->ready; t; t = t->next_ready)
		n++;
	return n;
}

static http_request
request_of(const tape_call *k)
{
	http_request r = { k->method, k->url, (const char *const *)k->headers, k->n_headers,
		k->body, k->body_len, k->timeout_ms, k->cost };

	return r;
}

/* Start k's transfer: 0, or -1 when it could not be (its answer says why). */
static int
start(http_multi *m, tape_call *k)
{
	http_request req = request_of(k);

	reset_response(&k->resp);
	k->in.resp = &k->resp;
	k->curl_err[0] = '\0';
	k->easy = curl_easy_duphandle(k->c->curl); /* the client's options: TLS, agent */
	if (!k->easy || header_list(&req, &k->hs, k->err, sizeof k->err) != 0) {
		if (k->easy)
			curl_easy_cleanup(k->easy);
		k->easy = NULL;
		snprintf(k->err, sizeof k->err, "out of memory");
		k->rc = HTTP_EUSAGE;
		return -1;
	}
	set_request(k->easy, &req, k->hs, &k->in);
	curl_easy_setopt(k->easy, CURLOPT_ERRORBUFFER, k->curl_err);
	curl_easy_setopt(k->easy, CURLOPT_PRIVATE, (char *)k);
	k->t0 = now_ms();
	if (curl_multi_add_handle(m->multi, k->easy) != CURLM_OK) {
		curl_easy_cleanup(k->easy);
		k->easy = NULL;
		curl_slist_free_all(k->hs);
		k->hs = NULL;
		snprintf(k->err, sizeof k->err, "curl refused the transfer");
		k->rc = HTTP_EUSAGE;
		return -1;
	}
	k->state = CALL_SENT;
	k->next = m->sent;
	m->sent = k;
	m->running++;
	return 0;
}

/* k has its answer: its gate sees it, and its tape is ready when it was
 * the last one waited for. */
static void
answered(http_multi *m, tape_call *k, int64_t ms)
{
	const http_gate *g = k->c->gate;
	http_request req = request_of(k);
	http_tape *t = k->tape;

	k->state = CALL_DONE;
	k->in.resp = NULL;
	if (k->rc == 0) {
		k->resp.body = k->in.buf ? k->in.buf : "";
		k->resp.body_len = k->in.len;
	}
	if (g && g->after)
		g->after(g->arg, &req, k->rc, &k->resp, ms);
	if (t->waiting && --t->waiting == 0 && t->queued) {
		t->queued = 0;
		t->next_ready = m->ready;
		m->ready = t;
	}
}

http_tape *
http_multi_wait(http_multi *m, int64_t ms)
{
	int64_t end = now_ms() + (ms > 0 ? ms : 0);

	for (;;) {
		int64_t hold = -1, now;

		if (m->ready) {
			http_tape *t = m->ready;

			m->ready = t->next_ready;
			t->next_ready = NULL;
			return t;
		}
		/* start what the limit of calls in flight and the gates allow */
		while (m->head && m->running < m->in_flight) {
			tape_call *k = m->head;
			const http_gate *g = k->c->gate;
			http_request req = request_of(k);

			if (g && g->ready) {
				int64_t w = g->ready(g->arg, &req);

				if (w > 0) {
					hold = w;
					break;
				}
			} else if (g && g->before) {
				g->before(g->arg, &req);
			}
			m->head = k->next;
			if (!m->head)
				m->tail = NULL;
			k->next = NULL;
			if (start(m, k) != 0)
				answered(m, k, 0);
		}
		if (m->ready)
			continue;
		int still = 0;
		CURLMsg *msg;
		int left;

		curl_multi_perform(m->multi, &still);
		while ((msg = curl_multi_info_read(m->multi, &left)) != NULL) {
			tape_call *k = NULL;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&k);
			k->rc = transfer_end(k->easy, msg->data.result, &k->in, k->c->ca, k->curl_err,
				k->url, &k->resp, k->err, sizeof k->err);
			end_transfer(m, k);
			answered(m, k, now_ms() - k->t0);
		}
		if (m->ready)
			continue;
		now = now_ms();
		if (now >= end || (!m->running && !m->head))
			return NULL;
		int64_t to = end - now;
		if (hold >= 0 && hold < to)
			to = hold;
		if (!m->running) {
			/* only the gates hold the queue: wait for them */
			struct timespec ts = { (time_t)(to / 1000), (long)(to % 1000) * 1000000L };

			nanosleep(&ts, NULL);
			continue;
		}
		curl_multi_poll(m->multi, NULL, 0, (int)(to > 1000 ? 1000 : to), NULL);
	}
}
