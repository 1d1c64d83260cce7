/*
 * records.c - a source service's records, loaded from NDJSON and kept as
 * their own text (so amounts are served exactly as written), ordered by
 * update time then key, as an updated-since cursor needs.  Used by the
 * storefronts (clarity.c, nop.c).  Update stamps are compared in one
 * normal form (UTC, whole seconds: sb_stamp_norm), as the services compare
 * times rather than text; tests add or replace records while it runs
 * (POST /_sandbox/records, sb_records_upsert).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sandbox.h"

static int
by_update(const void *x, const void *y)
{
	const sb_record *a = x, *b = y;
	int c = strcmp(a->updated, b->updated);
	if (c)
		return c;
	if (a->id != b->id)
		return a->id < b->id ? -1 : 1;
	return strcmp(a->key, b->key);
}

void
sb_stamp_norm(const char *in, char *out, size_t n)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, used = 0;
	if (n)
		out[0] = 0;
	if (!in || sscanf(in, "%4d-%2d-%2d%n", &y, &mo, &d, &used) != 3)
		return;
	const char *p = in + used;
	if ((*p == 'T' || *p == 't' || *p == ' ') &&
	    sscanf(p + 1, "%2d:%2d:%2d%n", &h, &mi, &sec, &used) == 3)
		p += 1 + used;
	while (*p == '.' || (*p >= '0' && *p <= '9'))
		p++;
	long off = 0;
	if ((*p == '+' || *p == '-') && p[1] >= '0' && p[1] <= '9') {
		int oh = 0, om = 0;
		if (sscanf(p + 1, "%2d:%2d", &oh, &om) < 1)
			return;
		off = (*p == '-' ? -1 : 1) * (oh * 3600L + om * 60L);
	}
	struct tm tm = { 0 };
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	time_t t = timegm(&tm) - off;
	struct tm u;
	if (!gmtime_r(&t, &u))
		return;
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &u);
}

/* One record from its line: 1 stored (added or replaced), 0 not a record.
 * With `old`, the text a replaced record had is handed over (else freed). */
static int
put(sb_records *c, const char *line, size_t len, int *was_replaced, char **old, sb_record **at)
{
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r' ||
			   line[len - 1] == ' '))
		len--;
	json_error_t je;
	/* a store may hold "\u0000" in a string (a key too): kept as sent, so
	 * the sync's handling of it can be tested (tests/e2e/versions.sh) */
	json_t *j = len ? json_loadb(line, len, JSON_ALLOW_NUL, &je) : NULL;
	json_t *k = j ? json_object_get(j, c->key_field) : NULL;
	if (!json_is_string(k) && !json_is_integer(k)) {
		json_decref(j);
		return 0;
	}
	char key[128];
	long long id = json_is_integer(k) ? (long long)json_integer_value(k) : 0;
	if (json_is_string(k))
		snprintf(key, sizeof key, "%s", json_string_value(k));
	else
		snprintf(key, sizeof key, "%lld", id);
	char *text = malloc(len + 1);
	sb_record *r = was_replaced ? sb_records_find(c, key) : NULL;
	if (!text) {
		json_decref(j);
		return 0;
	}
	memcpy(text, line, len);
	text[len] = 0;
	if (r) {
		if (old)
			*old = r->text;
		else
			free(r->text);
		*was_replaced = 1;
	} else {
		if (c->n == c->cap) {
			size_t ncap = c->cap ? c->cap * 2 : 256;
			sb_record *nv = realloc(c->v, sizeof *nv * ncap);
			if (!nv) {
				free(text);
				json_decref(j);
				return 0;
			}
			c->v = nv;
			c->cap = ncap;
		}
		r = &c->v[c->n++];
		if (was_replaced)
			*was_replaced = 0;
	}
	r->text = text;
	r->id = id;
	snprintf(r->key, sizeof r->key, "%s", key);
	const char *u = NULL;
	for (size_t i = 0; !u && c->updated_fields[i]; i++)
		u = json_string_value(json_object_get(j, c->updated_fields[i]));
	sb_stamp_norm(u, r->updated, sizeof r->updated);
	json_decref(j);
	if (at)
		*at = r;
	return 1;
}

int
sb_records_load(sb_records *c, const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	while ((len = getline(&line, &cap, f)) > 0)
		put(c, line, (size_t)len, NULL, NULL, NULL);
	free(line);
	fclose(f);
	qsort(c->v, c->n, sizeof *c->v, by_update);
	return 0;
}

void
sb_records_load_buf(sb_records *c, const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (n)
			put(c, p, n, NULL, NULL, NULL);
		p += n + 1;
	}
	qsort(c->v, c->n, sizeof *c->v, by_update);
}

void
sb_records_upsert(sb_records *c, const char *body, size_t len, size_t *added,
	size_t *replaced, size_t *bad)
{
	sb_records_upsert_cb(c, body, len, added, replaced, bad, NULL, NULL);
}

void
sb_records_upsert_cb(sb_records *c, const char *body, size_t len, size_t *added,
	size_t *replaced, size_t *bad, sb_changed_fn *changed, void *arg)
{
	const char *p = body, *end = body + len;
	*added = *replaced = *bad = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		int was = 0;
		size_t blank = 0;
		while (blank < n && (p[blank] == ' ' || p[blank] == '\r' || p[blank] == '\t'))
			blank++;
		char *old = NULL;
		sb_record *at = NULL;
		if (blank < n) {
			if (!put(c, p, n, &was, &old, &at))
				(*bad)++;
			else if (was)
				(*replaced)++;
			else
				(*added)++;
			if (at && changed)
				changed(c, at->key, old, at->text, arg);
			free(old);
		}
		p += n + 1;
	}
	qsort(c->v, c->n, sizeof *c->v, by_update);
}

sb_record *
sb_records_find(sb_records *c, const char *key)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->v[i].key, key))
			return &c->v[i];
	return NULL;
}

char *
sb_records_page(const sb_records *c, int (*keep)(const sb_record *, const void *),
	const void *arg, size_t skip, size_t take, const char *open, size_t *total,
	size_t *taken, size_t *len)
{
	/* The body is the records' own text joined: amounts stay exact. Room is
	 * left after the array for the caller's closing fields. */
	size_t cap = strlen(open) + 256;
	for (size_t i = 0; i < c->n; i++)
		cap += strlen(c->v[i].text) + 1;
	char *body = malloc(cap);
	if (!body)
		return NULL;
	size_t n = (size_t)snprintf(body, cap, "%s[", open), seen = 0;
	*total = *taken = 0;
	for (size_t i = 0; i < c->n; i++) {
		if (!keep(&c->v[i], arg))
			continue;
		(*total)++;
		if (seen++ < skip || *taken >= take)
			continue;
		n += (size_t)snprintf(body + n, cap - n, "%s%s", *taken ? "," : "", c->v[i].text);
		(*taken)++;
	}
	n += (size_t)snprintf(body + n, cap - n, "]");
	*len = n;
	return body;
}

/* The end of the JSON value at p (a scalar, string, object or array), or
 * NULL when the text ends first. */
static const char *
value_end(const char *p)
{
	int depth = 0, in_str = 0;
	for (; *p; p++) {
		if (in_str) {
			if (*p == '\\' && p[1])
				p++;
			else if (*p == '"')
				in_str = 0;
			if (!in_str && !depth)
				return p + 1;
			continue;
		}
		if (*p == '"')
			in_str = 1;
		else if (*p == '{' || *p == '[')
			depth++;
		else if (*p == '}' || *p == ']') {
			if (!depth)
				return p;
			if (--depth == 0)
				return p + 1;
		} else if (!depth && (*p == ',' || *p == ' ' || *p == '\t' || *p == '\n' ||
				      *p == '\r'))
			return p;
	}
	return depth || in_str ? NULL : p;
}

int
sb_record_set(sb_record *r, const char *field, const char *value)
{
	const char *t = r->text, *p = t;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != '{')
		return -1;
	p++;
	const char *vs = NULL, *ve = NULL, *close = NULL;
	size_t flen = strlen(field);
	/* walk the top-level members: "key" : value , ... */
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == ',')
			p++;
		if (*p == '}') {
			close = p;
			break;
		}
		if (*p != '"')
			return -1;
		const char *ks = p + 1, *ke = value_end(p);
		if (!ke)
			return -1;
		p = ke;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p++ != ':')
			return -1;
		while (*p == ' ' || *p == '\t')
			p++;
		const char *e = value_end(p);
		if (!e)
			return -1;
		if ((size_t)(ke - 1 - ks) == flen && !strncmp(ks, field, flen)) {
			vs = p;
			ve = e;
			break;
		}
		p = e;
	}
	size_t n = strlen(t) + strlen(field) + strlen(value) + 8;
	char *nt = malloc(n);
	if (!nt)
		return -1;
	if (vs)
		snprintf(nt, n, "%.*s%s%s", (int)(vs - t), t, value, ve);
	else
		snprintf(nt, n, "%.*s%s\"%s\":%s%s", (int)(close - t), t,
			close[-1] == '{' ? "" : ",", field, value, close);
	free(r->text);
	r->text = nt;
	return 0;
}
