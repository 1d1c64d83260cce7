/*
 * main.c - the sandbox server: libmicrohttpd on 127.0.0.1, routing by
 * path prefix to the service modules, the inspection endpoint
 * GET /_sandbox/dump?service=NAME, and the seed.
 *
 *   sandbox [--port N] [--port-file FILE] [--seed N] [--token-ttl S] [--limit-scale X]
 *           [--clarity-orders FILE] [--clarity-customers FILE] [--clarity-products FILE]
 *           [--nop-orders FILE] [--nop-customers FILE] [--nop-products FILE]
 *
 * With --port 0 (the default) the kernel picks a free port; it is printed
 * ("sandbox listening on http://127.0.0.1:PORT") and written to FILE.
 *
 * Faults on request, for the reliability tests: POST /_sandbox/faults with
 * {"service": NAME, "fail_5xx": N, "rate_429": N, "drop": N,
 *  "lose_response": N, "latency_ms": MS}: the next N requests to NAME answer
 * 503, answer 429 with Retry-After: 1, lose their connection before being
 * handled, or are handled (the write commits) and then lose their
 * connection; every request waits latency_ms first.  GET shows them.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <microhttpd.h>

#include "sandbox.h"

#define MAX_BODY (10u << 20)

static const sb_service *const services[] = {
	&sb_xero, &sb_qbo, &sb_intacct, &sb_clarity, &sb_nop,
};
#define NSERVICES (sizeof services / sizeof *services)

typedef struct {
	char *data;
	size_t len;
	int too_big;
} Upload;

static volatile sig_atomic_t stop;

long sb_token_ttl;
double sb_limit_scale = 1.0;

long
sb_ttl(long own)
{
	return sb_token_ttl > 0 ? sb_token_ttl : own;
}

long
sb_limit(long published)
{
	double v = (double)published * sb_limit_scale;
	return v < 1 ? 1 : (long)v;
}

/* Pending faults per service, in the order they apply. */
typedef struct {
	int fail_5xx, rate_429, drop, lose_response;
	int expire_after;  /* > 0: revoke the tokens once this many more are handled */
	long latency_ms;
} Faults;

static Faults faults[sizeof services / sizeof *services];
static unsigned token_generation[sizeof services / sizeof *services];

unsigned
sb_token_generation(const char *service)
{
	for (size_t i = 0; i < NSERVICES; i++)
		if (strcmp(service, services[i]->name) == 0)
			return token_generation[i];
	return 0;
}

/* POST /_sandbox/records?service=clarity|nop&collection=NAME, NDJSON body. */
static void
records(struct MHD_Connection *conn, const char *method, const Upload *u, sb_response *r)
{
	const char *svc = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "service");
	const char *coll = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND,
		"collection");
	size_t added = 0, replaced = 0, bad = 0;
	int rc = -1;
	if (strcmp(method, "POST") != 0) {
		sb_json(r, 405, json_pack("{s:s}", "Message", "POST an NDJSON body"));
		return;
	}
	if (svc && coll && strcmp(svc, "clarity") == 0)
		rc = sb_clarity_upsert(coll, u->data ? u->data : "", u->len, &added, &replaced,
			&bad);
	else if (svc && coll && strcmp(svc, "nop") == 0)
		rc = sb_nop_upsert(coll, u->data ? u->data : "", u->len, &added, &replaced, &bad);
	if (rc != 0) {
		sb_json(r, 404, json_pack("{s:s}", "Message",
			"service is clarity or nop, collection orders, customers or products"));
		return;
	}
	sb_json(r, bad ? 400 : 200, json_pack("{s:I,s:I,s:I}", "added", (json_int_t)added,
		"replaced", (json_int_t)replaced, "bad", (json_int_t)bad));
}

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

void
sb_json(sb_response *r, unsigned status, json_t *body)
{
	r->status = status;
	/* 15 significant digits: a stored 8.99 is answered 8.99, as the real
	 * services (which keep decimals) answer it, not 8.9900000000000002 */
	r->body = body ? json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER |
		JSON_REAL_PRECISION(15)) : NULL;
	r->content_type = "application/json; charset=utf-8";
	json_decref(body);
}

void
sb_header(sb_response *r, const char *name, const char *value)
{
	if (r->n_headers >= 4)
		return;
	snprintf(r->headers[r->n_headers][0], sizeof r->headers[0][0], "%s", name);
	snprintf(r->headers[r->n_headers][1], sizeof r->headers[0][1], "%s", value);
	r->n_headers++;
}

static const char *
get_header(void *conn, const char *name)
{
	return MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
}

static const char *
get_query(void *conn, const char *name)
{
	return MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, name);
}

static enum MHD_Result
respond(struct MHD_Connection *conn, sb_response *r)
{
	const char *b = r->body ? r->body : "";
	struct MHD_Response *resp = MHD_create_response_from_buffer(strlen(b), (void *)b,
		MHD_RESPMEM_MUST_COPY);
	free(r->body);
	if (!resp)
		return MHD_NO;
	if (r->content_type)
		MHD_add_response_header(resp, "Content-Type", r->content_type);
	for (int i = 0; i < r->n_headers; i++)
		MHD_add_response_header(resp, r->headers[i][0], r->headers[i][1]);
	enum MHD_Result ok = MHD_queue_response(conn, r->status, resp);
	MHD_destroy_response(resp);
	return ok;
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
	const char *version, const char *upload, size_t *upload_size, void **state)
{
	(void)cls;
	(void)version;
	Upload *u = *state;
	if (!u) {
		*state = u = calloc(1, sizeof *u);
		return u ? MHD_YES : MHD_NO;
	}
	if (*upload_size) {
		if (u->len + *upload_size > MAX_BODY) {
			u->too_big = 1;
		} else {
			char *nd = realloc(u->data, u->len + *upload_size + 1);
			if (!nd)
				return MHD_NO;
			memcpy(nd + u->len, upload, *upload_size);
			u->data = nd;
			u->len += *upload_size;
			u->data[u->len] = 0;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	sb_response r = { 0 };
	if (u->too_big) {
		sb_json(&r, 413, json_pack("{s:s}", "Message", "request body too large"));
		return respond(conn, &r);
	}
	if (strcmp(url, "/_sandbox/faults") == 0) {
		json_error_t je;
		json_t *j = strcmp(method, "POST") == 0 ? json_loadb(u->data ? u->data : "", u->len,
			0, &je) : NULL;
		const char *name = j ? json_string_value(json_object_get(j, "service")) : NULL;
		for (size_t i = 0; name && i < NSERVICES; i++) {
			if (strcmp(name, services[i]->name) != 0)
				continue;
			Faults *f = &faults[i];
			f->fail_5xx = (int)json_integer_value(json_object_get(j, "fail_5xx"));
			f->rate_429 = (int)json_integer_value(json_object_get(j, "rate_429"));
			f->drop = (int)json_integer_value(json_object_get(j, "drop"));
			f->lose_response = (int)json_integer_value(json_object_get(j,
				"lose_response"));
			f->latency_ms = (long)json_integer_value(json_object_get(j, "latency_ms"));
			if (json_integer_value(json_object_get(j, "expire_tokens")) > 0)
				token_generation[i]++;
			f->expire_after = (int)json_integer_value(json_object_get(j,
				"expire_tokens_after"));
		}
		json_decref(j);
		json_t *all = json_object();
		for (size_t i = 0; i < NSERVICES; i++)
			json_object_set_new(all, services[i]->name,
				json_pack("{s:i,s:i,s:i,s:i,s:i,s:I,s:I}", "fail_5xx",
				faults[i].fail_5xx, "rate_429", faults[i].rate_429, "drop",
				faults[i].drop, "lose_response", faults[i].lose_response,
				"expire_tokens_after", faults[i].expire_after, "latency_ms",
				(json_int_t)faults[i].latency_ms, "token_generation",
				(json_int_t)token_generation[i]));
		sb_json(&r, 200, all);
		return respond(conn, &r);
	}
	if (strcmp(url, "/_sandbox/records") == 0) {
		records(conn, method, u, &r);
		return respond(conn, &r);
	}
	if (strcmp(url, "/_sandbox/dump") == 0) {
		const char *name = get_query(conn, "service");
		for (size_t i = 0; i < NSERVICES; i++)
			if (name && strcmp(name, services[i]->name) == 0) {
				sb_json(&r, 200, services[i]->dump());
				return respond(conn, &r);
			}
		sb_json(&r, 404, json_pack("{s:s}", "Message", "unknown service"));
		return respond(conn, &r);
	}
	for (size_t i = 0; i < NSERVICES; i++) {
		size_t n = strlen(services[i]->prefix);
		if (strncmp(url, services[i]->prefix, n) == 0 && (url[n] == '/' || !url[n])) {
			Faults *f = &faults[i];
			if (f->latency_ms > 0) {
				struct timespec ts = { f->latency_ms / 1000,
					(f->latency_ms % 1000) * 1000000L };
				nanosleep(&ts, NULL);
			}
			if (f->drop > 0) { /* the connection goes before any answer */
				f->drop--;
				return MHD_NO;
			}
			if (f->fail_5xx > 0) {
				f->fail_5xx--;
				sb_json(&r, 503, json_pack("{s:s}", "Message", "Service Unavailable"));
				return respond(conn, &r);
			}
			if (f->rate_429 > 0) {
				f->rate_429--;
				sb_json(&r, 429, json_pack("{s:s}", "Message", "Too Many Requests"));
				sb_header(&r, "Retry-After", "1");
				return respond(conn, &r);
			}
			sb_request q = { method, url + n, u->data ? u->data : "", u->len,
				get_header, get_query, conn };
			r.status = 500;
			services[i]->handle(&q, &r);
			if (f->expire_after > 0 && --f->expire_after == 0)
				token_generation[i]++; /* mid-run: the next call needs a new token */
			if (f->lose_response > 0 && strcmp(method, "GET") != 0) {
				/* committed, and the answer never arrives */
				f->lose_response--;
				free(r.body);
				return MHD_NO;
			}
			return respond(conn, &r);
		}
	}
	sb_json(&r, 404, json_pack("{s:s}", "Message", "no such service"));
	return respond(conn, &r);
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

int
main(int argc, char **argv)
{
	unsigned port = 0, seed = 1;
	const char *port_file = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--port") == 0 && i + 1 < argc)
			port = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--port-file") == 0 && i + 1 < argc)
			port_file = argv[++i];
		else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
			seed = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--token-ttl") == 0 && i + 1 < argc)
			sb_token_ttl = strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--limit-scale") == 0 && i + 1 < argc)
			sb_limit_scale = strtod(argv[++i], NULL);
		else if ((strncmp(argv[i], "--clarity-", 10) == 0 ||
			  strncmp(argv[i], "--nop-", 6) == 0) && i + 1 < argc)
			i++; /* loaded below, after the seed */
		else {
			fprintf(stderr, "usage: sandbox [--port N] [--port-file FILE] [--seed N] "
				"[--token-ttl S] [--limit-scale X] "
				"[--clarity-orders|customers|products FILE] [--nop-...]\n");
			return 2;
		}
	}
	for (size_t i = 0; i < NSERVICES; i++)
		services[i]->seed(seed);
	for (int i = 1; i + 1 < argc; i++) {
		int rc;
		if (strncmp(argv[i], "--clarity-", 10) == 0)
			rc = sb_clarity_load(argv[i] + 10, argv[i + 1]);
		else if (strncmp(argv[i], "--nop-", 6) == 0)
			rc = sb_nop_load(argv[i] + 6, argv[i + 1]);
		else
			continue;
		if (rc != 0) {
			fprintf(stderr, "sandbox: cannot load %s from %s\n", argv[i], argv[i + 1]);
			return 2;
		}
		i++;
	}

	struct sockaddr_in addr = { 0 };
	addr.sin_family = AF_INET;
	addr.sin_port = htons((unsigned short)port);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	/* One thread: the services' in-memory state needs no locks. */
	struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
		handler, NULL, MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_NOTIFY_COMPLETED, done, NULL,
		MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "sandbox: cannot listen on 127.0.0.1:%u\n", port);
		return 1;
	}
	port = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port;
	printf("sandbox listening on http://127.0.0.1:%u\n", port);
	fflush(stdout);
	if (port_file) {
		FILE *f = fopen(port_file, "w");
		if (f) {
			fprintf(f, "%u\n", port);
			fclose(f);
		}
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	while (!stop) {
		struct timespec ts = { 0, 100000000L };
		nanosleep(&ts, NULL);
	}
	MHD_stop_daemon(d);
	return 0;
}
