/*
 * test_multi.c - concurrent calls (http.h: tapes and http_multi) against an
 * in-process libmicrohttpd server, a thread per connection, that counts the
 * requests it is serving and answers /wait after 200 ms: a unit of two
 * calls in a row, run again as each answer comes, gets both answers in
 * order and the server sees each request once; calls made after a deferred
 * one in the same run are not sent; eight units at once with at most four
 * in flight are never more than four at the server and take about two
 * rounds, not eight; one unit whose call fails (a 503, a refused
 * connection) fails alone while the others succeed; the gate's ready()
 * holds calls back and after() sees each answer once.
 */
#include <curl/curl.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http.h"

#define CHECK_AREA "multi"
#include "check.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int in_flight, peak, served;

static enum MHD_Result
handler(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
	const char *version, const char *upload, size_t *upload_size, void **state)
{
	(void)cls;
	(void)version;
	(void)method;
	(void)upload;
	if (!*state) {
		*state = (void *)1;
		return MHD_YES;
	}
	if (*upload_size) {
		*upload_size = 0;
		return MHD_YES;
	}
	pthread_mutex_lock(&lock);
	served++;
	if (++in_flight > peak)
		peak = in_flight;
	pthread_mutex_unlock(&lock);
	unsigned status = 200;
	if (strcmp(url, "/wait") == 0) {
		struct timespec ts = { 0, 200000000L };
		nanosleep(&ts, NULL);
	} else if (strcmp(url, "/503") == 0) {
		status = 503;
	}
	char body[160];
	snprintf(body, sizeof body, "{\"url\":\"%s\"}", url);
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), body,
		MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ok = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	pthread_mutex_lock(&lock);
	in_flight--;
	pthread_mutex_unlock(&lock);
	return ok;
}

static void
reset_counts(void)
{
	pthread_mutex_lock(&lock);
	peak = in_flight;
	served = 0;
	pthread_mutex_unlock(&lock);
}

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A unit of work as a connector's write() is: calls in a row, the second
 * made from the first's answer. */
typedef struct {
	http_client *c;
	const char *base, *first;  /* first: the path of its first call */
	int runs, rc;
	long status[2];
	char body[2][64];
} unit;

static void
run_unit(unit *u)
{
	char url[160], err[256];
	http_response r;
	http_request q = { "GET", url, NULL, 0, NULL, 0, 5000, 0 };

	u->runs++;
	u->status[0] = u->status[1] = 0;
	snprintf(url, sizeof url, "%s%s", u->base, u->first);
	u->rc = http_do(u->c, &q, &r, err, sizeof err);
	if (u->rc != 0)
		return;
	u->status[0] = r.status;
	snprintf(u->body[0], sizeof u->body[0], "%.*s", (int)r.body_len, r.body);
	if (r.status != 200)
		return;
	/* the second call depends on the first answer */
	snprintf(url, sizeof url, "%s/second", u->base);
	u->rc = http_do(u->c, &q, &r, err, sizeof err);
	if (u->rc == 0) {
		u->status[1] = r.status;
		snprintf(u->body[1], sizeof u->body[1], "%.*s", (int)r.body_len, r.body);
	}
}

typedef struct {
	int ready_calls, held, after_calls;
	int64_t hold_until;
} gate_log;

static int64_t
ready(void *arg, const http_request *req)
{
	gate_log *g = arg;
	int64_t now = mono_ms();

	(void)req;
	g->ready_calls++;
	if (now < g->hold_until) {
		g->held++;
		return g->hold_until - now;
	}
	return 0;
}

static void
after(void *arg, const http_request *req, int rc, const http_response *resp, int64_t ms)
{
	gate_log *g = arg;

	(void)req;
	(void)rc;
	(void)resp;
	(void)ms;
	g->after_calls++;
}

/* Run units[0..n) on one multi with in_flight, their clients on gate g,
 * to their ends: 0, or -1 when one never ended. */
static int
run_all(unit *units, size_t n, int width, http_gate *g)
{
	http_multi *m;
	http_tape **tapes = calloc(n, sizeof *tapes);
	int rc = 0;
	size_t open = 0;

	if (!tapes || http_multi_new(&m, width) != 0) {
		free(tapes);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		http_tape_new(&tapes[i], &units[i]);
		g->tape = tapes[i];
		run_unit(&units[i]);
		g->tape = NULL;
		if (http_tape_deferred(tapes[i])) {
			http_multi_add(m, tapes[i]);
			open++;
		}
	}
	while (open) {
		http_tape *t = http_multi_wait(m, 5000);

		if (!t) {
			rc = -1;
			break;
		}
		unit *u = http_tape_user(t);
		http_tape_rewind(t);
		g->tape = t;
		run_unit(u);
		g->tape = NULL;
		if (http_tape_deferred(t))
			http_multi_add(m, t);
		else
			open--;
	}
	http_multi_free(m);
	for (size_t i = 0; i < n; i++)
		http_tape_free(tapes[i]);
	free(tapes);
	return rc;
}

int
main(void)
{
	struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
		MHD_USE_THREAD_PER_CONNECTION, 0, NULL, NULL, handler, NULL, MHD_OPTION_END);
	if (!d) {
		printf("[FAIL] multi/server: cannot start libmicrohttpd\n");
		return 1;
	}
	unsigned port = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port;
	char base[64], detail[200];
	snprintf(base, sizeof base, "http://127.0.0.1:%u", port);
	gate_log gl = { 0 };
	http_gate g = { NULL, after, ready, &gl, NULL };
	http_client *c;

	check(http_client_new(&c, "mapwright-test", 1u << 20) == 0, "new", "no client");
	http_client_set_gate(c, &g);

	/* one unit, two calls in a row: three runs, each request sent once */
	unit one = { c, base, "/wait", 0, 0, { 0, 0 }, { "", "" } };
	reset_counts();
	int rc = run_all(&one, 1, 4, &g);
	snprintf(detail, sizeof detail, "rc %d runs %d status %ld/%ld served %d", rc, one.runs,
		one.status[0], one.status[1], served);
	check(rc == 0 && one.runs == 3 && one.status[0] == 200 && one.status[1] == 200 &&
		!strcmp(one.body[0], "{\"url\":\"/wait\"}") && !strcmp(one.body[1],
		"{\"url\":\"/second\"}"), "two-calls-in-order", detail);
	check(served == 2 && gl.after_calls == 2, "each-request-once", detail);

	/* a call after a deferred one in the same run: deferred, never sent */
	{
		http_tape *t;
		http_response r;
		char url[96], err[64];
		http_request q = { "GET", url, NULL, 0, NULL, 0, 5000, 0 };

		http_tape_new(&t, NULL);
		g.tape = t;
		snprintf(url, sizeof url, "%s/ok", base);
		int a = http_do(c, &q, &r, err, sizeof err);
		snprintf(url, sizeof url, "%s/other", base);
		int b = http_do(c, &q, &r, err, sizeof err);
		g.tape = NULL;
		check(a == HTTP_EDEFER && b == HTTP_EDEFER && http_tape_deferred(t) &&
			http_classify(a, &r) == HTTP_PERMANENT, "deferred-then-nothing", err);
		http_multi *m;
		http_multi_new(&m, 2);
		http_multi_add(m, t);
		check(http_multi_busy(m) == 1, "one-call-queued", "a call made from a pretend "
			"answer was queued");
		http_multi_free(m);
		http_tape_free(t);
	}

	/* eight at once, four in flight at most: about two rounds of 200 ms */
	unit many[8];
	for (int i = 0; i < 8; i++)
		many[i] = (unit){ c, base, "/wait", 0, 0, { 0, 0 }, { "", "" } };
	reset_counts();
	int64_t t0 = mono_ms();
	rc = run_all(many, 8, 4, &g);
	int64_t ms = mono_ms() - t0;
	int all = 1;
	for (int i = 0; i < 8; i++)
		all &= many[i].status[0] == 200 && many[i].status[1] == 200;
	snprintf(detail, sizeof detail, "rc %d peak %d in %lld ms, all %d", rc, peak,
		(long long)ms, all);
	check(rc == 0 && all, "eight-done", detail);
	check(peak >= 2 && peak <= 4, "at-most-four-in-flight", detail);
	check(ms < 8 * 200, "faster-than-one-at-a-time", detail);

	/* one fails (503, and a refused connection) while the others succeed */
	unit mixed[4] = {
		{ c, base, "/wait", 0, 0, { 0, 0 }, { "", "" } },
		{ c, base, "/503", 0, 0, { 0, 0 }, { "", "" } },
		{ c, "http://127.0.0.1:1", "/wait", 0, 0, { 0, 0 }, { "", "" } },
		{ c, base, "/wait", 0, 0, { 0, 0 }, { "", "" } },
	};
	rc = run_all(mixed, 4, 4, &g);
	snprintf(detail, sizeof detail, "rc %d: %ld %ld, 503: %ld, refused: rc %d, %ld %ld", rc,
		mixed[0].status[1], mixed[3].status[1], mixed[1].status[0], mixed[2].rc,
		mixed[0].status[0], mixed[3].status[0]);
	check(rc == 0 && mixed[0].status[1] == 200 && mixed[3].status[1] == 200,
		"others-succeed", detail);
	check(mixed[1].rc == 0 && mixed[1].status[0] == 503 && mixed[1].status[1] == 0,
		"one-answered-503", detail);
	check(mixed[2].rc == HTTP_ENETWORK, "one-refused", detail);

	/* the gate holds every call 300 ms */
	unit held = { c, base, "/ok", 0, 0, { 0, 0 }, { "", "" } };
	gl.held = 0;
	gl.hold_until = mono_ms() + 300;
	t0 = mono_ms();
	rc = run_all(&held, 1, 4, &g);
	ms = mono_ms() - t0;
	snprintf(detail, sizeof detail, "rc %d, %lld ms, held %d", rc, (long long)ms, gl.held);
	check(rc == 0 && held.status[1] == 200 && ms >= 290 && gl.held > 0, "gate-holds", detail);

	http_client_free(c);
	MHD_stop_daemon(d);
	curl_global_cleanup();
	return failures ? 1 : 0;
}
