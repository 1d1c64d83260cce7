/*
 * records.c - a source service's records, loaded from NDJSON and kept as
 * their own text (so amounts are served exactly as written), ordered by
 * update time then key, as an updated-since cursor needs.  Used by the
 * storefronts (clarity.c, nop.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int
sb_records_load(sb_records *c, const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	while ((len = getline(&line, &cap, f)) > 0) {
		json_error_t je;
		json_t *j = json_loadb(line, (size_t)len, 0, &je);
		json_t *k = j ? json_object_get(j, c->key_field) : NULL;
		if (json_is_string(k) || json_is_integer(k)) {
			if (c->n == c->cap) {
				size_t ncap = c->cap ? c->cap * 2 : 256;
				sb_record *nv = realloc(c->v, sizeof *nv * ncap);
				if (!nv) {
					json_decref(j);
					break;
				}
				c->v = nv;
				c->cap = ncap;
			}
			sb_record *r = &c->v[c->n++];
			while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
				line[--len] = 0;
			r->text = strdup(line);
			r->id = json_is_integer(k) ? (long long)json_integer_value(k) : 0;
			if (json_is_string(k))
				snprintf(r->key, sizeof r->key, "%s", json_string_value(k));
			else
				snprintf(r->key, sizeof r->key, "%lld", r->id);
			const char *u = NULL;
			for (size_t i = 0; !u && c->updated_fields[i]; i++)
				u = json_string_value(json_object_get(j, c->updated_fields[i]));
			snprintf(r->updated, sizeof r->updated, "%s", u ? u : "");
		}
		json_decref(j);
	}
	free(line);
	fclose(f);
	qsort(c->v, c->n, sizeof *c->v, by_update);
	return 0;
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
