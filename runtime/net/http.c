/*
 * http.c - the connectors' HTTP client over libcurl, and the outcome
 * classification (see http.h).
 *
 * One curl easy handle per client, reused so connections stay alive; the
 * body is collected into a buffer capped at max_body; the headers the rate
 * limiter needs (Retry-After, Xero's X-MinLimit-Remaining and
 * X-DayLimit-Remaining) are picked out as they arrive.
 *
 * TLS: peer and host verified, TLS 1.2 at least, the CA bundle of
 * CURL_CA_BUNDLE or SSL_CERT_FILE (a directory: SSL_CERT_DIR) when set, the
 * system's otherwise; a certificate that cannot be verified is HTTP_ETLS,
 * which needs a person, never an outage to wait out.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "http.h"

struct http_client {
	CURL *curl;
	char *buf;
	size_t len, cap, max_body;
	int too_big;
	http_response *resp; /* the response being filled */
	const http_gate *gate;
	char curl_err[CURL_ERROR_SIZE];
	const char *ca;      /* the CA bundle named by the environment, or NULL */
};

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

int
http_do(http_client *c, const http_request *req, http_response *resp, char *err, size_t errlen)
{
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
	c->max_body = max_body ? max_body : 16u << 20;
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
	*out = c;
	return 0;
}

void
http_client_free(http_client *c)
{
	if (!c)
		return;
	curl_easy_cleanup(c->curl);
	free(c->buf);
	free(c);
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	http_client *c = arg;
	size_t add = size * n;
	if (c->len + add + 1 > c->max_body + 1) {
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
	http_client *c = arg;
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
tls_message(const http_client *c, const char *url, CURLcode rc, char *err, size_t errlen)
{
	const char *host = strstr(url, "://");
	int hl;

	host = host ? host + 3 : url;
	hl = (int)strcspn(host, "/?#");
	snprintf(err, errlen, "TLS: the certificate of %.*s cannot be verified (%s); not retried: "
		"a private CA's certificate goes in SSL_CERT_FILE or CURL_CA_BUNDLE (now %s)", hl, host,
		c->curl_err[0] ? c->curl_err : curl_easy_strerror(rc), c->ca ? c->ca : "the system's");
}

static int
do_request(http_client *c, const http_request *req, http_response *resp, char *err,
	size_t errlen)
{
	memset(resp, 0, sizeof *resp);
	resp->retry_after_ms = resp->min_remaining = resp->day_remaining = -1;
	resp->body = "";
	if (!c || !req || !req->url || !req->method) {
		snprintf(err, errlen, "bad request arguments");
		return HTTP_EUSAGE;
	}
	c->len = 0;
	c->too_big = 0;
	c->resp = resp;
	if (c->buf)
		c->buf[0] = 0;

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
	CURL *h = c->curl;
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
	curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, c);

	c->curl_err[0] = '\0';
	CURLcode rc = curl_easy_perform(h);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, NULL);
	curl_slist_free_all(hs);
	c->resp = NULL;

	if (rc != CURLE_OK) {
		if (c->too_big) {
			snprintf(err, errlen, "response body larger than %zu bytes", c->max_body);
			return HTTP_ETOOBIG;
		}
		if (tls_refused(rc)) {
			tls_message(c, req->url, rc, err, errlen);
			return HTTP_ETLS;
		}
		snprintf(err, errlen, "%s", curl_easy_strerror(rc));
		return rc == CURLE_OPERATION_TIMEDOUT ? HTTP_ETIMEOUT : HTTP_ENETWORK;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
	resp->body = c->buf ? c->buf : "";
	resp->body_len = c->len;
	if (err && errlen)
		err[0] = 0;
	return 0;
}

http_class
http_classify(int rc, const http_response *r)
{
	if (rc == HTTP_ETIMEOUT || rc == HTTP_ENETWORK)
		return HTTP_TRANSIENT;
	if (rc == HTTP_ETLS)
		return HTTP_AUTH; /* the service is not proven to be itself: needs a person */
	if (rc != 0)
		return HTTP_PERMANENT;
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
