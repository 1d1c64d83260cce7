/*
 * conn_clarity.c - Clarity eCommerce, a source: OAuth 2.0 client
 * credentials at {base_url}/oauth/token, then
 *
 *   GET {base_url}/api/v1/{orders|customers|products}
 *       ?updatedSince=STAMP&page=N&pageSize=500
 *       -> {"data": [...], "page", "pageSize", "totalCount", "hasMore"}
 *   GET {base_url}/api/v1/{collection}/{id}
 *
 * ordered by updatedAt, then key.  Records are cut out of the page as the
 * service wrote them (conn_json_elements), so amounts keep their text.
 *
 * The walk is keyset-style: after a page, the next request asks from the
 * last stamp seen (inclusive) instead of the next page number, so a record
 * updated during the walk (it moves to the end) cannot shift another out
 * of sight between pages.  Records at the boundary come again; the engine
 * sees their hash unchanged.  Only when a whole page shares one stamp does
 * the walk step by page number.
 *
 * Settings: base_url, client_id, client_secret.
 */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "conn.h"

#define PAGE_SIZE 500

struct conn {
	const conn_env *env;
	http_client *http;
	char base[400];
	conn_token token;
};

static int
c_open(const conn_env *env, conn **out, conn_result *res)
{
	conn *c = calloc(1, sizeof *c);

	*out = c;
	if (!c) {
		conn_result_set(res, HTTP_PERMANENT, 0, "out of memory");
		return -1;
	}
	c->env = env;
	snprintf(c->base, sizeof c->base, "%s", conn_setting(env, "base_url"));
	if (!c->base[0]) {
		conn_result_set(res, HTTP_PERMANENT, 0, "clarity: base_url is not set");
		return -1;
	}
	if (conn_http_new(env, &c->http, 64u << 20) != 0) {
		conn_result_set(res, HTTP_PERMANENT, 0, "clarity: no HTTP client");
		return -1;
	}
	char url[420];

	snprintf(url, sizeof url, "%s/oauth/token", c->base);
	conn_token_init(&c->token, env, c->http, "clarity", url, 1);
	return conn_token_ensure(&c->token, 0, res);
}

static void
c_close(conn *c)
{
	if (!c)
		return;
	http_client_free(c->http);
	free(c);
}

static int
c_auth(conn *c, conn_result *res)
{
	return conn_token_ensure(&c->token, 0, res);
}

static http_class
c_classify(conn *c, int rc, const http_response *resp, conn_result *res)
{
	(void)c;
	conn_result_from(res, rc, resp, NULL);
	return res->cls;
}

/* GET url with the token; one refresh and retry on 401. */
static int
get_json(conn *c, const char *url, http_response *resp, conn_result *res)
{
	char auth[4200], err[256] = "";
	const char *hdrs[] = { auth, "Accept: application/json" };
	http_request req = { "GET", url, hdrs, 2, NULL, 0, c->env->timeout_ms, 0 };

	for (int attempt = 0; attempt < 2; attempt++) {
		int rc;

		if (conn_token_ensure(&c->token, attempt > 0, res) != 0)
			return -1;
		snprintf(auth, sizeof auth, "Authorization: Bearer %s", c->token.tok.access);
		rc = http_do(c->http, &req, resp, err, sizeof err);
		if (c_classify(c, rc, resp, res) == HTTP_AUTH && attempt == 0)
			continue;
		return res->cls == HTTP_OK ? 0 : -1;
	}
	return -1;
}

/* The records of the previous page that carry its last stamp, by hash:
 * the next page starts at that stamp and must not hand them out twice. */
typedef struct {
	conn_record_fn fn;
	void *arg;
	char since[64], last[64];
	uint64_t seen[PAGE_SIZE], next[PAGE_SIZE];
	size_t n_seen, n_next, n;
	int rc;
} walk;

static uint64_t
fnv(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603u;

	while (n--)
		h = (h ^ (unsigned char)*p++) * 1099511628211u;
	return h;
}

static void
stamp_of(const char *p, size_t n, char *out, size_t cap)
{
	json_t *j = json_loadb(p, n, 0, NULL);
	const char *s = j ? json_string_value(json_object_get(j, "updatedAt")) : NULL;

	snprintf(out, cap, "%s", s ? s : "");
	json_decref(j);
}

static int
one(void *arg, const char *p, size_t n)
{
	walk *w = arg;
	char stamp[64];

	uint64_t h = fnv(p, n);

	stamp_of(p, n, stamp, sizeof stamp);
	w->n++;
	if (strcmp(stamp, w->last) > 0) {
		memcpy(w->last, stamp, sizeof stamp);
		w->n_next = 0;
	}
	if (!strcmp(stamp, w->last) && w->n_next < PAGE_SIZE)
		w->next[w->n_next++] = h;
	if (!strcmp(stamp, w->since))
		for (size_t i = 0; i < w->n_seen; i++)
			if (w->seen[i] == h)
				return 0; /* handed out with the previous page */
	return w->rc = w->fn(w->arg, p, n, stamp);
}

static int walk_pages(conn *c, const char *coll, walk *w, char *url, size_t ulen, char *esc,
	size_t elen, long page, conn_result *res);

static int
c_list(conn *c, const char *coll, const char *cursor, conn_record_fn fn, void *arg,
	conn_result *res)
{
	char url[1024], esc[200];
	long page = 1;
	walk *w = calloc(1, sizeof *w);
	int rc = -1;

	if (!w) {
		conn_result_set(res, HTTP_PERMANENT, 0, "out of memory");
		return -1;
	}
	w->fn = fn;
	w->arg = arg;
	snprintf(w->since, sizeof w->since, "%s", cursor ? cursor : "");
	rc = walk_pages(c, coll, w, url, sizeof url, esc, sizeof esc, page, res);
	free(w);
	return rc;
}

static int
walk_pages(conn *c, const char *coll, walk *w, char *url, size_t ulen, char *esc, size_t elen,
	long page, conn_result *res)
{
	for (;;) {
		http_response r;
		json_t *j;
		int more, rc;

		w->n = 0;
		http_url_escape(w->since, esc, elen);
		snprintf(url, ulen, "%s/api/v1/%s?page=%ld&pageSize=%d%s%s", c->base, coll,
			page, PAGE_SIZE, esc[0] ? "&updatedSince=" : "", esc);
		if (get_json(c, url, &r, res) != 0)
			return -1;
		rc = conn_json_elements(r.body, r.body_len, "data", one, w);
		if (rc < 0 && !w->rc) {
			conn_result_set(res, HTTP_TRANSIENT, r.status,
				"clarity: a page of %s that is not {\"data\": [...]}", coll);
			return -1;
		}
		if (w->rc)
			return w->rc;
		/* hasMore is after the records: read it from the whole body */
		j = json_loadb(r.body, r.body_len, 0, NULL);
		more = j && json_is_true(json_object_get(j, "hasMore"));
		json_decref(j);
		if (!more || w->n == 0)
			return 0;
		if (strcmp(w->last, w->since) > 0) {
			memcpy(w->since, w->last, sizeof w->since);
			memcpy(w->seen, w->next, w->n_next * sizeof *w->next);
			w->n_seen = w->n_next;
			page = 1;
		} else {
			page++; /* a whole page at one stamp: step by number */
		}
	}
}

static int
c_get(conn *c, const char *coll, const char *id, conn_record_fn fn, void *arg,
	conn_result *res)
{
	char url[1024], stamp[64], esc[300];
	http_response r;

	http_url_escape(id, esc, sizeof esc);
	snprintf(url, sizeof url, "%s/api/v1/%s/%s", c->base, coll, esc);
	if (get_json(c, url, &r, res) != 0)
		return -1;
	stamp_of(r.body, r.body_len, stamp, sizeof stamp);
	return fn(arg, r.body, r.body_len, stamp);
}

const conn_ops conn_clarity = {
	.service = "clarity_ecommerce",
	.max_batch = 1,
	/* none published */
	.per_min = 0,
	.per_day = 0,
	.concurrent = 0,
	.open = c_open,
	.close = c_close,
	.auth = c_auth,
	.list = c_list,
	.get = c_get,
	.classify = c_classify,
};
