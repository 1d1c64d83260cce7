/*
 * sandbox.h - what the connector tests share: starting bin/sandbox (named
 * by $MW_SANDBOX) on a free loopback port, calling its inspection and fault
 * endpoints without the connector, and building a conn_item.  Test tooling:
 * the connectors never see any of it.
 */
#ifndef TEST_SANDBOX_H
#define TEST_SANDBOX_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "conn.h"

/* Start the sandbox with --port-file DIR/port and the NULL-terminated
 * extra arguments; root gets "http://127.0.0.1:PORT".  The pid, or -1. */
static inline pid_t
sb_start(const char *exe, const char *dir, const char *const *extra, char *root,
	size_t rootlen)
{
	char pf[256];
	const char *argv[16];
	int n = 0;

	snprintf(pf, sizeof pf, "%s/port", dir);
	argv[n++] = exe;
	argv[n++] = "--port-file";
	argv[n++] = pf;
	for (; extra && *extra && n < 15; extra++)
		argv[n++] = *extra;
	argv[n] = NULL;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (!freopen("/dev/null", "w", stdout))
			_exit(127);
		execv(exe, (char *const *)argv);
		_exit(127);
	}
	for (int i = 0; i < 100; i++) {
		FILE *f = fopen(pf, "r");
		unsigned port = 0;
		int ok = f && fscanf(f, "%u", &port) == 1 && port;

		if (f)
			fclose(f);
		if (ok) {
			snprintf(root, rootlen, "http://127.0.0.1:%u", port);
			return pid;
		}
		struct timespec ts = { 0, 50000000L };
		nanosleep(&ts, NULL);
	}
	return -1;
}

/* METHOD root+path with a JSON body (or NULL): the parsed answer, or NULL. */
static inline json_t *
sb_call(http_client *h, const char *root, const char *method, const char *path,
	const char *body)
{
	char url[300], err[256];
	const char *hdrs[] = { "Content-Type: application/json" };
	http_request req = { method, url, hdrs, 1, body, body ? strlen(body) : 0, 10000, 0 };
	http_response r;

	snprintf(url, sizeof url, "%s%s", root, path);
	if (http_do(h, &req, &r, err, sizeof err) != 0)
		return NULL;
	return json_loadb(r.body, r.body_len, 0, NULL);
}

/* A document to write: type, text and idempotency key; the rest empty. */
static inline conn_item
sb_item(const char *type, const char *doc, const char *key)
{
	conn_item it;

	memset(&it, 0, sizeof it);
	it.type = type;
	it.doc = doc;
	it.len = strlen(doc);
	it.key = key;
	return it;
}

#endif /* TEST_SANDBOX_H */
