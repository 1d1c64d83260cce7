/*
 * test_http.c - the connectors' HTTP client against an in-process
 * libmicrohttpd server on a loopback port: statuses and their classes,
 * Retry-After in seconds and as an HTTP date, Xero's limit headers, a POST
 * body echoed, a timeout, an oversize body, a refused connection; over
 * HTTPS with a self-signed certificate (made by `openssl req`): refused as
 * HTTP_ETLS, not transient, with a message that names the certificate and
 * SSL_CERT_FILE, and trusted once SSL_CERT_FILE or CURL_CA_BUNDLE names
 * it; a server that offers only TLS 1.1 refused; a service's text made fit
 * for a log line (field names, no values); the client as before after
 * http_release_memory (an idle daemon's).
 */
#include <curl/curl.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "http.h"

#define CHECK_AREA "http"
#include "check.h"

typedef struct {
	char *data;
	size_t len;
} Upload;

static enum MHD_Result
reply(struct MHD_Connection *conn, unsigned status, const char *body, size_t len,
	const char *h1, const char *v1, const char *h2, const char *v2)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body,
		MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	if (h1)
		MHD_add_response_header(r, h1, v1);
	if (h2)
		MHD_add_response_header(r, h2, v2);
	enum MHD_Result ok = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ok;
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
	const char *version, const char *upload, size_t *upload_size, void **state)
{
	(void)cls;
	(void)version;
	(void)method;
	Upload *u = *state;
	if (!u) {
		u = calloc(1, sizeof *u);
		*state = u;
		return u ? MHD_YES : MHD_NO;
	}
	if (*upload_size) {
		char *nd = realloc(u->data, u->len + *upload_size + 1);
		if (!nd)
			return MHD_NO;
		memcpy(nd + u->len, upload, *upload_size);
		u->data = nd;
		u->len += *upload_size;
		*upload_size = 0;
		return MHD_YES;
	}
	if (strcmp(url, "/ok") == 0)
		return reply(conn, 200, "{\"Status\":\"OK\"}", 15, "X-MinLimit-Remaining", "59",
			"X-DayLimit-Remaining", "4999");
	if (strcmp(url, "/agent") == 0) { /* the User-Agent the client sent */
		const char *a = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "User-Agent");
		return reply(conn, 200, a ? a : "", a ? strlen(a) : 0, NULL, NULL, NULL, NULL);
	}
	if (strcmp(url, "/echo") == 0)
		return reply(conn, 200, u->data ? u->data : "", u->len, "Content-Type",
			"application/json", NULL, NULL);
	if (strcmp(url, "/429") == 0)
		return reply(conn, 429, "slow down", 9, "Retry-After", "7", NULL, NULL);
	if (strcmp(url, "/429date") == 0) {
		char date[64];
		time_t t = time(NULL) + 120;
		strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", gmtime(&t));
		return reply(conn, 429, "", 0, "Retry-After", date, NULL, NULL);
	}
	if (strcmp(url, "/400") == 0) {
		const char *b = "{\"Type\":\"ValidationException\",\"Message\":\"A validation "
			"exception occurred\"}";
		return reply(conn, 400, b, strlen(b), NULL, NULL, NULL, NULL);
	}
	if (strcmp(url, "/big") == 0) {
		size_t n = 2u << 20;
		char *b = malloc(n);
		if (!b)
			return MHD_NO;
		memset(b, 'x', n);
		enum MHD_Result r = reply(conn, 200, b, n, NULL, NULL, NULL, NULL);
		free(b);
		return r;
	}
	if (strcmp(url, "/slow") == 0) {
		struct timespec ts = { 1, 500000000L };
		nanosleep(&ts, NULL);
		return reply(conn, 200, "late", 4, NULL, NULL, NULL, NULL);
	}
	unsigned status = (unsigned)strtoul(url + 1, NULL, 10);
	return reply(conn, status ? status : 404, "", 0, NULL, NULL, NULL, NULL);
}

static void
done(void *cls, struct MHD_Connection *conn, void **state, enum MHD_RequestTerminationCode t)
{
	(void)cls;
	(void)conn;
	(void)t;
	Upload *u = *state;
	if (u) {
		free(u->data);
		free(u);
	}
	*state = NULL;
}

/* A file's bytes, malloc'd and NUL-terminated, or NULL. */
static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *b = f ? calloc(1, 1 << 16) : NULL;

	if (b && fread(b, 1, (1 << 16) - 1, f) == 0) {
		free(b);
		b = NULL;
	}
	if (f)
		fclose(f);
	return b;
}

/* An HTTPS server with cert and key (PEM text); priorities NULL: gnutls's. */
static struct MHD_Daemon *
tls_server(const char *cert, const char *key, const char *priorities, unsigned *port)
{
	struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_TLS, 0,
		NULL, NULL, handler, NULL, MHD_OPTION_NOTIFY_COMPLETED, done, NULL,
		MHD_OPTION_HTTPS_MEM_KEY, key, MHD_OPTION_HTTPS_MEM_CERT, cert,
		priorities ? MHD_OPTION_HTTPS_PRIORITIES : MHD_OPTION_END, priorities, MHD_OPTION_END);
	const union MHD_DaemonInfo *info = d ? MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT) : NULL;

	*port = info ? info->port : 0;
	return d;
}

/* GET /ok over https with a new client (it reads the CA variables). */
static int
tls_get(unsigned port, http_response *r, char *err, size_t n)
{
	char url[96];
	http_client *c;
	http_request q = { "GET", url, NULL, 0, NULL, 0, 5000, 0 };

	snprintf(url, sizeof url, "https://127.0.0.1:%u/ok", port);
	if (http_client_new(&c, "mapwright-test", 1u << 20) != 0)
		return HTTP_EUSAGE;
	int rc = http_do(c, &q, r, err, n);
	int status = rc == 0 ? (int)r->status : rc;

	http_client_free(c);
	return status;
}

static void
tls_checks(void)
{
	char dir[] = "/tmp/mw-tls-XXXXXX", cmd[1024], certf[300], keyf[300], err[512];
	http_response r;

	if (!mkdtemp(dir)) {
		check(0, "tls-setup", "mkdtemp");
		return;
	}
	snprintf(certf, sizeof certf, "%s/cert.pem", dir);
	snprintf(keyf, sizeof keyf, "%s/key.pem", dir);
	snprintf(cmd, sizeof cmd, "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
		"-nodes -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout %s "
		"-out %s 2>/dev/null", keyf, certf);
	char *cert = system(cmd) == 0 ? slurp(certf) : NULL, *key = slurp(keyf);
	unsigned port;
	struct MHD_Daemon *d = cert && key ? tls_server(cert, key, NULL, &port) : NULL;

	check(d != NULL, "tls-setup", cert ? "libmicrohttpd without TLS" : "openssl req failed");
	if (d) {
		unsetenv("CURL_CA_BUNDLE");
		unsetenv("SSL_CERT_DIR");
		unsetenv("SSL_CERT_FILE");
		int rc = tls_get(port, &r, err, sizeof err);

		check(rc == HTTP_ETLS && http_classify(rc, &r) != HTTP_TRANSIENT,
			"self-signed-fatal", err);
		check(strstr(err, "certificate of 127.0.0.1") && strstr(err, "SSL_CERT_FILE"),
			"self-signed-message", err);
		setenv("SSL_CERT_FILE", certf, 1);
		rc = tls_get(port, &r, err, sizeof err);
		check(rc == 200, "ssl-cert-file-trusted", err);
		unsetenv("SSL_CERT_FILE");
		setenv("CURL_CA_BUNDLE", certf, 1);
		rc = tls_get(port, &r, err, sizeof err);
		check(rc == 200, "curl-ca-bundle-trusted", err);
		setenv("CURL_CA_BUNDLE", "/nonexistent/ca.pem", 1);
		rc = tls_get(port, &r, err, sizeof err);
		check(rc == HTTP_ETLS && strstr(err, "/nonexistent/ca.pem"), "missing-ca-bundle-fatal",
			err);
		MHD_stop_daemon(d);
		/* trusted, but only TLS 1.1 on offer: no connection */
		setenv("CURL_CA_BUNDLE", certf, 1);
		d = tls_server(cert, key, "NORMAL:-VERS-ALL:+VERS-TLS1.1", &port);
		if (d) {
			rc = tls_get(port, &r, err, sizeof err);
			check(rc < 0, "tls-1.1-refused", err);
			MHD_stop_daemon(d);
		}
		unsetenv("CURL_CA_BUNDLE");
	}
	free(cert);
	free(key);
	unlink(certf);
	unlink(keyf);
	rmdir(dir);
}

/* A page of records as a service's error text: in a log line, its field
 * names only. */
static void
log_text_checks(void)
{
	char out[640];
	const char *page = "{\"data\":[{\"orderId\":\"SO-1\",\"shippingAddress\":{\"line1\":"
		"\"1 Main St\"},\"paymentInfo\":{\"last4\":\"4242\"}},{\"orderId\":\"SO-2\",\"ship";

	http_log_text(page, out, sizeof out);
	check(strstr(out, "orderId, shippingAddress, line1, paymentInfo, last4") &&
		!strstr(out, "Main") && !strstr(out, "4242") && !strstr(out, "SO-1"), "log-text-json", out);
	http_log_text("nopcommerce: the answer has no \"orders\" array: {\"orders\":[{\"email\":"
		"\"a@b.c\"", out, sizeof out);
	check(!strncmp(out, "nopcommerce: the answer has no \"orders\" array: (JSON", 50) &&
		!strstr(out, "a@b.c"), "log-text-words-kept", out);
	http_log_text("<response><errormessage><error><description2>Customer Ana Lopez at 1 Main St"
		"</description2></error></errormessage></response>", out, sizeof out);
	check(strstr(out, "response, errormessage, error, description2") && !strstr(out, "Ana"),
		"log-text-xml", out);
	http_log_text("Couldn't connect to server", out, sizeof out);
	check(!strcmp(out, "Couldn't connect to server"), "log-text-plain", out);
}

int
main(void)
{
	struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
		handler, NULL,
		MHD_OPTION_NOTIFY_COMPLETED, done, NULL,
		MHD_OPTION_LISTENING_ADDRESS_REUSE, 1, MHD_OPTION_END);
	if (!d) {
		printf("[FAIL] http/server: cannot start libmicrohttpd\n");
		return 1;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	unsigned port = info ? info->port : 0;
	char base[64], url[128], err[256];
	snprintf(base, sizeof base, "http://127.0.0.1:%u", port);

	http_client *c;
	check(http_client_new(&c, "mapwright-test", 1u << 20) == 0, "new", "no client");
	http_response r;
	http_request q = { "GET", url, NULL, 0, NULL, 0, 5000, 0 };

	snprintf(url, sizeof url, "%s/ok", base);
	int rc = http_do(c, &q, &r, err, sizeof err);
	check(rc == 0 && r.status == 200 && strcmp(r.body, "{\"Status\":\"OK\"}") == 0, "get-200",
		err);
	check(r.min_remaining == 59 && r.day_remaining == 4999, "xero-limit-headers",
		"X-MinLimit-Remaining/X-DayLimit-Remaining not read");
	check(http_classify(rc, &r) == HTTP_OK, "class-ok", http_class_name(http_classify(rc, &r)));

	const char *hdrs[] = { "Content-Type: application/json", "Idempotency-Key: k-1" };
	const char *body = "{\"Invoices\":[{\"Type\":\"ACCREC\",\"Total\":19.99}]}";
	http_request post = { "PUT", url, hdrs, 2, body, strlen(body), 5000, 0 };
	snprintf(url, sizeof url, "%s/echo", base);
	rc = http_do(c, &post, &r, err, sizeof err);
	check(rc == 0 && r.body_len == strlen(body) && memcmp(r.body, body, r.body_len) == 0,
		"put-body-echoed", err);
	check(strcmp(r.content_type, "application/json") == 0, "content-type", r.content_type);

	snprintf(url, sizeof url, "%s/429", base);
	rc = http_do(c, &q, &r, err, sizeof err);
	check(rc == 0 && r.status == 429 && r.retry_after_ms == 7000, "retry-after-seconds",
		"Retry-After: 7 not read as 7000 ms");
	check(http_classify(rc, &r) == HTTP_RATE_LIMITED, "class-429", "not rate-limited");

	snprintf(url, sizeof url, "%s/429date", base);
	rc = http_do(c, &q, &r, err, sizeof err);
	check(rc == 0 && r.retry_after_ms > 100000 && r.retry_after_ms <= 121000,
		"retry-after-date", "an HTTP date two minutes ahead not read");

	static const struct { const char *path; http_class k; } cls[] = {
		{ "/500", HTTP_TRANSIENT }, { "/502", HTTP_TRANSIENT }, { "/503", HTTP_TRANSIENT },
		{ "/408", HTTP_TRANSIENT }, { "/501", HTTP_PERMANENT }, { "/401", HTTP_AUTH },
		{ "/403", HTTP_AUTH }, { "/404", HTTP_PERMANENT }, { "/400", HTTP_PERMANENT },
		{ "/409", HTTP_PERMANENT },
	};
	for (size_t i = 0; i < sizeof cls / sizeof *cls; i++) {
		char name[64];
		snprintf(url, sizeof url, "%s%s", base, cls[i].path);
		rc = http_do(c, &q, &r, err, sizeof err);
		snprintf(name, sizeof name, "class-%s", cls[i].path + 1);
		check(rc == 0 && http_classify(rc, &r) == cls[i].k, name,
			http_class_name(http_classify(rc, &r)));
	}
	snprintf(url, sizeof url, "%s/400", base);
	rc = http_do(c, &q, &r, err, sizeof err);
	check(rc == 0 && strstr(r.body, "ValidationException") != NULL, "error-text-kept",
		"the service's error body is lost");

	snprintf(url, sizeof url, "%s/big", base);
	rc = http_do(c, &q, &r, err, sizeof err);
	check(rc == HTTP_ETOOBIG && http_classify(rc, &r) == HTTP_PERMANENT, "body-cap", err);

	snprintf(url, sizeof url, "%s/slow", base);
	http_request slow = { "GET", url, NULL, 0, NULL, 0, 300, 0 };
	rc = http_do(c, &slow, &r, err, sizeof err);
	check(rc == HTTP_ETIMEOUT && http_classify(rc, &r) == HTTP_TRANSIENT, "timeout", err);

	/* the client is reusable after failures */
	snprintf(url, sizeof url, "%s/ok", base);
	rc = http_do(c, &q, &r, err, sizeof err);
	check(rc == 0 && r.status == 200, "reuse-after-errors", err);

	/* an idle daemon's release: the client sends as before, its agent,
	 * body, cap and time limits kept */
	http_release_memory();
	snprintf(url, sizeof url, "%s/agent", base);
	rc = http_do(c, &q, &r, err, sizeof err);
	int agent = rc == 0 && r.status == 200 && !strcmp(r.body, "mapwright-test");
	snprintf(url, sizeof url, "%s/echo", base);
	rc = http_do(c, &post, &r, err, sizeof err);
	int echoed = rc == 0 && r.body_len == strlen(body) && !memcmp(r.body, body, r.body_len);
	http_release_memory();
	snprintf(url, sizeof url, "%s/big", base);
	int capped = http_do(c, &q, &r, err, sizeof err) == HTTP_ETOOBIG;
	snprintf(url, sizeof url, "%s/slow", base);
	check(agent && echoed && capped && http_do(c, &slow, &r, err, sizeof err) == HTTP_ETIMEOUT,
		"released-memory-sends-as-before", err);
	snprintf(url, sizeof url, "%s/ok", base);
	http_do(c, &q, &r, err, sizeof err);

	MHD_stop_daemon(d);
	snprintf(url, sizeof url, "%s/ok", base);
	rc = http_do(c, &q, &r, err, sizeof err);
	check(rc == HTTP_ENETWORK && http_classify(rc, &r) == HTTP_TRANSIENT, "refused", err);

	check(http_retry_after_ms("not a date", 0) == -1, "retry-after-garbage", "accepted");
	check(http_retry_after_ms("-5", 0) == -1, "retry-after-negative", "accepted");

	http_client_free(c);
	tls_checks();
	log_text_checks();
	curl_global_cleanup();
	return failures ? 1 : 0;
}
