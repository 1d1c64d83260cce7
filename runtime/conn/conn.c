/*
 * conn.c - the connector registry (service name -> its operations) and
 * the result helpers every connector module shares.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "conn.h"

int
conn_can(const conn_ops *ops, const char *name, unsigned can)
{
	for (const conn_cap *c = ops ? ops->caps : NULL; c && c->name; c++)
		if (strcmp(c->name, name) == 0)
			return (c->can & can) == can;
	return 0;
}

const char *
conn_setting(const conn_env *env, const char *key)
{
	const char *v = env->setting(env->setting_arg, key);

	return v ? v : "";
}

int
conn_http_new(const conn_env *env, http_client **out, size_t max_body)
{
	int rc = http_client_new(out, "mapwright", max_body);

	if (rc == 0)
		http_client_set_gate(*out, env->gate);
	return rc;
}

void
conn_result_set(conn_result *res, http_class cls, long status, const char *fmt, ...)
{
	va_list ap;

	res->cls = cls;
	res->status = status;
	res->retry_after_ms = -1;
	res->whole = 0;
	va_start(ap, fmt);
	vsnprintf(res->text, sizeof res->text, fmt, ap);
	va_end(ap);
}

void
conn_result_from(conn_result *res, int rc, const http_response *resp, const char *err)
{
	size_t n;

	res->cls = http_classify(rc, resp);
	res->status = rc == 0 ? resp->status : 0;
	res->retry_after_ms = rc == 0 ? resp->retry_after_ms : -1;
	res->whole = 0;
	if (rc != 0) {
		snprintf(res->text, sizeof res->text, "%s", err && *err ? err : "no answer");
		return;
	}
	n = resp->body_len < sizeof res->text - 1 ? resp->body_len : sizeof res->text - 1;
	memcpy(res->text, resp->body ? resp->body : "", resp->body ? n : 0);
	res->text[resp->body ? n : 0] = '\0';
}

void
conn_time_format(int64_t t, char *out, size_t cap)
{
	int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400, s = t - days * 86400, y;
	int m, d;

	tm_civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999) {
		snprintf(out, cap, "%s", "");
		return;
	}
	snprintf(out, cap, "%04u-%02u-%02uT%02u:%02u:%02uZ", (unsigned)y % 10000u,
		(unsigned)m % 100u, (unsigned)d % 100u, (unsigned)(s / 3600) % 100u,
		(unsigned)(s / 60 % 60) % 100u, (unsigned)(s % 60) % 100u);
}

/* ------------------------------------------------------------------ */
/* raw JSON pages                                                      */
/* ------------------------------------------------------------------ */

size_t
conn_json_skip(const char *p, size_t n)
{
	size_t i = 0;
	int depth = 0;

	if (n == 0)
		return 0;
	do {
		char ch = p[i];

		if (ch == '"') {
			for (i++; i < n && p[i] != '"'; i++)
				if (p[i] == '\\')
					i++;
			if (i >= n)
				return 0;
			i++;
		} else if (ch == '{' || ch == '[') {
			depth++;
			i++;
		} else if (ch == '}' || ch == ']') {
			if (--depth < 0)
				return 0;
			i++;
		} else if (depth == 0 && (ch == ',' || ch == ' ' || ch == '\n' || ch == '\t' ||
			   ch == '\r')) {
			break; /* the end of a scalar */
		} else {
			i++;
		}
	} while (i < n && depth > 0);
	if (depth != 0)
		return 0;
	/* a scalar at depth 0 runs to a delimiter */
	if (p[0] != '{' && p[0] != '[' && p[0] != '"')
		while (i < n && p[i] != ',' && p[i] != '}' && p[i] != ']' && p[i] != ' ' &&
		       p[i] != '\n' && p[i] != '\t' && p[i] != '\r')
			i++;
	return i;
}

static size_t
ws(const char *p, size_t i, size_t n)
{
	while (i < n && (p[i] == ' ' || p[i] == '\n' || p[i] == '\t' || p[i] == '\r'))
		i++;
	return i;
}

int
conn_json_elements(const char *body, size_t n, const char *member,
	int (*fn)(void *arg, const char *p, size_t len), void *arg)
{
	size_t i = ws(body, 0, n), k;

	if (member) {
		size_t ml = strlen(member);

		if (i >= n || body[i] != '{')
			return -1;
		for (i = ws(body, i + 1, n);;) {
			int hit;

			if (i >= n || body[i] != '"')
				return -1;
			k = conn_json_skip(body + i, n - i);
			if (!k)
				return -1;
			hit = k == ml + 2 && memcmp(body + i + 1, member, ml) == 0;
			i = ws(body, i + k, n);
			if (i >= n || body[i] != ':')
				return -1;
			i = ws(body, i + 1, n);
			if (hit)
				break;
			k = conn_json_skip(body + i, n - i);
			if (!k)
				return -1;
			i = ws(body, i + k, n);
			if (i < n && body[i] == ',') {
				i = ws(body, i + 1, n);
				continue;
			}
			return -1; /* the member is not there */
		}
	}
	if (i >= n || body[i] != '[')
		return -1;
	i = ws(body, i + 1, n);
	if (i < n && body[i] == ']')
		return 0;
	for (;;) {
		int rc;

		k = conn_json_skip(body + i, n - i);
		if (!k)
			return -1;
		if ((rc = fn(arg, body + i, k)) != 0)
			return rc;
		i = ws(body, i + k, n);
		if (i < n && body[i] == ',') {
			i = ws(body, i + 1, n);
			continue;
		}
		return i < n && body[i] == ']' ? 0 : -1;
	}
}

int
conn_json_member(const char *p, size_t n, const char *key, const char **v, size_t *vlen)
{
	size_t kl = strlen(key), i = ws(p, 0, n);

	if (i >= n || p[i] != '{')
		return 0;
	for (i = ws(p, i + 1, n); i < n && p[i] == '"';) {
		size_t k = conn_json_skip(p + i, n - i), l;
		int hit;

		if (!k)
			return 0;
		hit = k == kl + 2 && !memcmp(p + i + 1, key, kl);
		i = ws(p, i + k, n);
		if (i >= n || p[i] != ':')
			return 0;
		i = ws(p, i + 1, n);
		if (!(l = conn_json_skip(p + i, n - i)))
			return 0;
		if (hit) {
			*v = p + i;
			*vlen = l;
			return 1;
		}
		i = ws(p, i + l, n);
		if (i < n && p[i] == ',')
			i = ws(p, i + 1, n);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* OAuth tokens                                                        */
/* ------------------------------------------------------------------ */

int
conn_token_load(const conn_env *env, const char *service, char *access, size_t alen,
	char *refresh, size_t rlen, int64_t *expires_at)
{
	if (!env->tokens || !env->tokens->load)
		return 1;
	return env->tokens->load(env->tokens->arg, service, access, alen, refresh, rlen,
		expires_at);
}

int
conn_token_save(const conn_env *env, const char *service, const char *access,
	const char *refresh, int64_t expires_at)
{
	if (!env->tokens || !env->tokens->save)
		return 0;
	return env->tokens->save(env->tokens->arg, service, access, refresh, expires_at);
}

static int
save_token(void *arg, const oauth_token *tok)
{
	conn_token *t = arg;

	return conn_token_save(t->env, t->name, tok->access, tok->refresh, tok->expires_at);
}

void
conn_token_init(conn_token *t, const conn_env *env, http_client *h, const char *name,
	const char *token_url, int client_credentials)
{
	t->env = env;
	t->http = h;
	t->name = name;
	t->client_credentials = client_credentials;
	snprintf(t->token_url, sizeof t->token_url, "%s", token_url);
	snprintf(t->client_id, sizeof t->client_id, "%s", conn_setting(env, "client_id"));
	snprintf(t->client_secret, sizeof t->client_secret, "%s",
		conn_setting(env, "client_secret"));
	if (!client_credentials)
		snprintf(t->initial_refresh, sizeof t->initial_refresh, "%s",
			conn_setting(env, "refresh_token"));
}

int
conn_token_ensure(conn_token *t, int force, conn_result *res)
{
	char err[512] = "";
	int64_t now = (int64_t)time(NULL);
	int rc;

	if (t->env->dry_run)
		return 0; /* a dry run sends nothing: no token is needed */
	if (!t->tok.access[0] && !t->tok.refresh[0] &&
	    conn_token_load(t->env, t->name, t->tok.access, sizeof t->tok.access, t->tok.refresh,
		    sizeof t->tok.refresh, &t->tok.expires_at) != 0)
		t->tok.access[0] = t->tok.refresh[0] = '\0';
	if (!force && !oauth_needs_refresh(&t->tok, now, 60))
		return 0;
	if (t->client_credentials) {
		rc = oauth_client_credentials(t->http, t->token_url, t->client_id, t->client_secret,
			NULL, &t->tok, err, sizeof err);
		if (rc == 0)
			save_token(t, &t->tok);
	} else {
		if (!t->tok.refresh[0])
			snprintf(t->tok.refresh, sizeof t->tok.refresh, "%s", t->initial_refresh);
		rc = oauth_refresh(t->http, t->token_url, t->client_id, t->client_secret, &t->tok,
			save_token, t, err, sizeof err);
	}
	if (rc == 0)
		return 0;
	conn_result_set(res, rc == OAUTH_EHTTP ? HTTP_TRANSIENT : HTTP_AUTH, 0,
		"%s token: %s", t->name, err);
	return -1;
}

/* ------------------------------------------------------------------ */
/* webhook bodies                                                      */
/* ------------------------------------------------------------------ */

const char *
conn_event_str(const json_t *obj, const char *name, const char *what, char *why, size_t n)
{
	const json_t *v = json_object_get(obj, name);
	const char *s = json_string_value(v);

	if (!s || !*s || json_string_length(v) > HOOK_FIELD_MAX ||
	    strlen(s) != json_string_length(v)) {
		snprintf(why, n, "%s: \"%s\" is not a non-empty string", what, name);
		return NULL;
	}
	return s;
}

hook_outcome
conn_webhook(const char *no, const hook_request *rq, conn_events_fn fn, hook_emit_fn emit,
	void *arg, char *why, size_t n)
{
	size_t len;
	const char *body = hook_body(rq, &len);
	json_error_t je;

	if (no) {
		snprintf(why, n, "%s", no);
		return HOOK_UNAUTHORIZED;
	}
	json_t *root = json_loadb(body, len, 0, &je);
	if (!root) {
		snprintf(why, n, "not JSON: %s at byte %d", je.text, je.position);
		return HOOK_MALFORMED;
	}
	hook_outcome o = fn(root, emit, arg, why, n);
	json_decref(root);
	return o;
}

void
conn_found_add(conn_found *f, const char *id)
{
	if (!id || !*id)
		return;
	if (f->n < CONN_FIND_MAX)
		snprintf(f->ids[f->n], sizeof f->ids[f->n], "%s", id);
	f->n++;
}

int
conn_found_rc(const conn_found *f)
{
	return f->n == 0 ? 1 : f->n == 1 ? 0 : 2;
}

void
conn_find_begin(conn_find_item *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		memset(&items[i].found, 0, sizeof items[i].found);
		memset(&items[i].res, 0, sizeof items[i].res);
		conn_result_set(&items[i].res, HTTP_OK, 200, "%s", "");
		items[i].rc = 1;
	}
}

void
conn_find_doc(conn_find_item *items, size_t n, const char *id, const char *value,
	int (*cmp)(const char *, const char *))
{
	for (size_t i = 0; value && i < n; i++)
		if (items[i].rc != -1 && items[i].value && !cmp(items[i].value, value))
			conn_found_add(&items[i].found, id);
}

void
conn_find_end(conn_find_item *items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (items[i].rc != -1)
			items[i].rc = conn_found_rc(&items[i].found);
}

int
conn_find_fail(conn_find_item *items, size_t n, const conn_result *res)
{
	for (size_t i = 0; i < n; i++) {
		memset(&items[i].found, 0, sizeof items[i].found);
		items[i].res = *res;
		items[i].rc = -1;
	}
	return -1;
}

void
conn_find_unanswered(conn_find_item *items, size_t from, size_t to, const conn_result *res)
{
	for (size_t i = from; i < to; i++)
		if (items[i].rc != -1) {
			items[i].res = *res;
			items[i].rc = -1;
		}
}

const char *
conn_find_field(const char *field)
{
	for (const char *f = field; f && *f; f++)
		if (!((*f >= 'A' && *f <= 'Z') || (*f >= 'a' && *f <= 'z') ||
		      (*f >= '0' && *f <= '9') || *f == '.'))
			return NULL;
	return field && *field && strlen(field) <= 100 ? field : NULL;
}

long
conn_find_literal(conn_find_item *it, char quote, char *lit, size_t cap, const char *who,
	const char *field)
{
	size_t m = 0;
	const char *v = it->value;

	for (; v && *v && m + 3 < cap; v++) {
		if (*v == quote || *v == '\\')
			lit[m++] = '\\';
		lit[m++] = *v;
	}
	lit[m] = '\0';
	if (!it->value || *v) {
		conn_result_set(&it->res, HTTP_PERMANENT, 0, "%s: the %s to look up is too long", who,
			field);
		it->rc = -1;
		return -1;
	}
	return (long)m;
}

int
conn_find_one(const conn_ops *ops, conn *c, const char *type, const char *field,
	const char *value, conn_found *out, conn_result *res)
{
	conn_find_item it;

	memset(&it, 0, sizeof it);
	it.value = value;
	if (ops->find(c, type, field, &it, 1, res) != 0) {
		memset(out, 0, sizeof *out);
		return -1;
	}
	*out = it.found;
	if (it.rc < 0)
		*res = it.res;
	return it.rc;
}

hook_outcome
conn_emit(hook_emit_fn emit, void *arg, const hook_event *e, char *why, size_t n)
{
	if (emit(arg, e) == 0)
		return HOOK_ACCEPTED;
	snprintf(why, n, "out of memory");
	return HOOK_ERROR;
}

void
conn_lower(char *dst, size_t cap, const char *src, const char *suffix)
{
	snprintf(dst, cap, "%s%s", src, suffix);
	for (char *p = dst; *p; p++)
		*p = (char)tolower((unsigned char)*p);
}
