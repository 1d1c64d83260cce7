/*
 * test_caps.c - what each connector says it can do (conn_ops.caps) and what
 * its schema tells mapc (mappings/schemas/SERVICE.map: `collection N: T
 * (list, write)`) are the same, for every service of the registry: a
 * collection is listed by its name, a type written by the collection's
 * object; every collection of a shipped schema says what it can do; every
 * capability a connector has is in its schema.  mapc refuses an entity the
 * schema does not allow, the engine one the connector does not: the two
 * must not drift apart.  docs/connectors.md's capability table has a row
 * for each, "| `xero` | `Items` | list, write |", and no other.  Run from the
 * repository's root.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"

#define CHECK_AREA "caps"
#include "check.h"

/* a schema's `(rates)`: the connector's conn_ops.rate */
#define RATES 0x100

static const char *const services[] = {
	"clarity_ecommerce", "nopcommerce", "xero", "qbo", "sage_intacct",
};

/* The next word of *p (letters, digits, '_'), into w; 0 when there is none. */
static int
word(const char **p, char *w, size_t cap)
{
	size_t n = 0;

	while (**p == ' ' || **p == '\t')
		(*p)++;
	while ((isalnum((unsigned char)**p) || **p == '_') && n + 1 < cap)
		w[n++] = *(*p)++;
	w[n] = '\0';
	return n > 0;
}

static void
service(const char *name)
{
	const conn_ops *ops = conn_find_ops(name);
	char path[256], line[512], msg[600], test[128];
	unsigned seen[64] = { 0 }; /* per caps entry: the flags the schema gave it */
	size_t ncaps = 0;
	FILE *f;
	int bad = 0, colls = 0, rates = 0;

	snprintf(test, sizeof test, "%s-connector", name);
	check(ops && ops->caps, test, "no connector or no capability table");
	if (!ops || !ops->caps)
		return;
	while (ops->caps[ncaps].name)
		ncaps++;
	snprintf(path, sizeof path, "mappings/schemas/%s.map", name);
	f = fopen(path, "r");
	snprintf(test, sizeof test, "%s-schema", name);
	check(f != NULL, test, path);
	if (!f)
		return;
	while (fgets(line, sizeof line, f)) {
		const char *p = line;
		char kw[32], coll[64], type[64], cap[32];
		unsigned can = 0;

		if (!word(&p, kw, sizeof kw) || strcmp(kw, "collection") != 0)
			continue;
		colls++;
		if (!word(&p, coll, sizeof coll) || *p++ != ':' || !word(&p, type, sizeof type))
			continue;
		while (*p == ' ')
			p++;
		if (*p != '(') {
			snprintf(msg, sizeof msg, "%s: collection %s says nothing of what it can do",
				path, coll);
			check(0, test, msg);
			bad++;
			continue;
		}
		for (p++; word(&p, cap, sizeof cap);) {
			can |= !strcmp(cap, "list") ? CONN_CAN_LIST : !strcmp(cap, "write") ?
				CONN_CAN_WRITE : !strcmp(cap, "rates") ? RATES : 0;
			while (*p == ',' || *p == ' ')
				p++;
		}
		rates |= (can & RATES) != 0;
		if ((can & CONN_CAN_LIST) != (conn_can(ops, coll, CONN_CAN_LIST) ? CONN_CAN_LIST : 0)) {
			snprintf(msg, sizeof msg, "%s: collection %s: the schema says %s, the connector "
				"%s", path, coll, can & CONN_CAN_LIST ? "list" : "no list",
				conn_can(ops, coll, CONN_CAN_LIST) ? "lists it" : "does not list it");
			check(0, test, msg);
			bad++;
		}
		if ((can & CONN_CAN_WRITE) &&
		    !conn_can(ops, type, CONN_CAN_WRITE)) {
			snprintf(msg, sizeof msg, "%s: collection %s: the schema says write, the "
				"connector does not write %s", path, coll, type);
			check(0, test, msg);
			bad++;
		}
		for (size_t i = 0; i < ncaps; i++) {
			if (!strcmp(ops->caps[i].name, coll))
				seen[i] |= can & CONN_CAN_LIST;
			if (!strcmp(ops->caps[i].name, type))
				seen[i] |= can & CONN_CAN_WRITE;
		}
	}
	fclose(f);
	if (!rates != !ops->rate) {
		snprintf(msg, sizeof msg, "%s: the schema says %s, the connector %s", path,
			rates ? "it has rates" : "it has no rates", ops->rate ? "reads rates" :
			"reads none");
		check(0, test, msg);
		bad++;
	}
	for (size_t i = 0; i < ncaps && i < sizeof seen / sizeof *seen; i++)
		if ((seen[i] & ops->caps[i].can) != ops->caps[i].can) {
			snprintf(msg, sizeof msg, "%s: the connector can %s%s%s %s, the schema does not "
				"say so", path, ops->caps[i].can & CONN_CAN_LIST ? "list" : "",
				ops->caps[i].can == (CONN_CAN_LIST | CONN_CAN_WRITE) ? " and " : "",
				ops->caps[i].can & CONN_CAN_WRITE ? "write" : "", ops->caps[i].name);
			check(0, test, msg);
			bad++;
		}
	snprintf(msg, sizeof msg, "%s: no collection", path);
	check(bad == 0 && colls > 0, test, colls ? "see above" : msg);
}

/* The rows of docs/connectors.md's table: one per capability, no other. */
static void
docs(void)
{
	FILE *f = fopen("docs/connectors.md", "r");
	char line[512], row[256], msg[400];
	size_t want = 0, rows = 0;
	char *text = NULL;
	size_t len = 0, cap = 0;

	check(f != NULL, "docs", "docs/connectors.md");
	if (!f)
		return;
	while (fgets(line, sizeof line, f)) {
		size_t n = strlen(line);

		if (!strncmp(line, "| `", 3) && (strstr(line, "| list") || strstr(line, "| write")))
			rows++;
		if (len + n + 1 > cap) {
			char *t = realloc(text, cap = (len + n + 1) * 2);
			if (!t)
				break;
			text = t;
		}
		memcpy(text + len, line, n + 1);
		len += n;
	}
	fclose(f);
	for (size_t i = 0; text && i < sizeof services / sizeof *services; i++) {
		const conn_ops *ops = conn_find_ops(services[i]);

		for (const conn_cap *c = ops ? ops->caps : NULL; c && c->name; c++, want++) {
			snprintf(row, sizeof row, "| `%s` | `%s` | %s |\n", services[i], c->name,
				c->can == (CONN_CAN_LIST | CONN_CAN_WRITE) ? "list, write" :
				c->can == CONN_CAN_LIST ? "list" : "write");
			snprintf(msg, sizeof msg, "docs/connectors.md has no row %s", row);
			check(strstr(text, row) != NULL, "docs-row", msg);
		}
	}
	snprintf(msg, sizeof msg, "docs/connectors.md: %zu capability rows, the connectors have %zu",
		rows, want);
	check(rows == want, "docs-rows", msg);
	free(text);
}

int
main(void)
{
	for (size_t i = 0; i < sizeof services / sizeof *services; i++)
		service(services[i]);
	docs();
	return failures ? 1 : 0;
}
