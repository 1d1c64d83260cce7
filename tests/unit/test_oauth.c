/*
 * test_oauth.c - OAuth 2.0 grants against a fake token endpoint on a
 * loopback port that checks HTTP Basic client credentials and rotates
 * refresh tokens as Xero and QuickBooks do (the old one stops working).
 */
#include <curl/curl.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "oauth.h"

#define CHECK_AREA "oauth"
#include "check.h"

static char current_refresh[64] = "r1";
static int generation = 1;

typedef struct {
	char data[16384];
	size_t len;
} Upload;

static enum MHD_Result
reply(struct MHD_Connection *conn, unsigned status, const char *body)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)body,
		MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "application/json");
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
		*state = u = calloc(1, sizeof *u);
		return u ? MHD_YES : MHD_NO;
	}
	if (*upload_size) {
		size_t n = *upload_size < sizeof u->data - u->len - 1 ? *upload_size
			: sizeof u->data - u->len - 1;
		memcpy(u->data + u->len, upload, n);
		u->len += n;
		*upload_size = 0;
		return MHD_YES;
	}
	if (strcmp(url, "/down") == 0)
		return reply(conn, 503, "{}");
	if (strcmp(url, "/garbage") == 0)
		return reply(conn, 200, "{\"token_type\":\"Bearer\"}");
	/* Basic base64("app:s3cret") */
	const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
		"Authorization");
	if (!auth || strcmp(auth, "Basic YXBwOnMzY3JldA==") != 0)
		return reply(conn, 401, "{\"error\":\"invalid_client\"}");
	char body[512];
	if (strstr(u->data, "grant_type=client_credentials")) {
		snprintf(body, sizeof body, "{\"access_token\":\"cc-%d\",\"expires_in\":1800,"
			"\"token_type\":\"Bearer\"}", generation++);
		return reply(conn, 200, body);
	}
	char want[128];
	snprintf(want, sizeof want, "grant_type=refresh_token&refresh_token=%s", current_refresh);
	if (strcmp(u->data, want) != 0)
		return reply(conn, 400, "{\"error\":\"invalid_grant\"}");
	generation++;
	snprintf(current_refresh, sizeof current_refresh, "r%d", generation);
	snprintf(body, sizeof body, "{\"access_token\":\"a%d\",\"refresh_token\":\"%s\","
		"\"expires_in\":1800,\"token_type\":\"Bearer\"}", generation, current_refresh);
	return reply(conn, 200, body);
}

static void
done(void *cls, struct MHD_Connection *conn, void **state, enum MHD_RequestTerminationCode t)
{
	(void)cls;
	(void)conn;
	(void)t;
	free(*state);
	*state = NULL;
}

static oauth_token saved;
static int save_calls, save_fails;

static int
save(void *arg, const oauth_token *t)
{
	(void)arg;
	save_calls++;
	if (save_fails)
		return -1;
	saved = *t;
	return 0;
}

int
main(void)
{
	struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
		handler, NULL, MHD_OPTION_NOTIFY_COMPLETED, done, NULL, MHD_OPTION_END);
	if (!d) {
		printf("[FAIL] oauth/server: cannot start libmicrohttpd\n");
		return 1;
	}
	unsigned port = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port;
	char url[128], err[512];
	snprintf(url, sizeof url, "http://127.0.0.1:%u/token", port);
	http_client *h;
	if (http_client_new(&h, "mapwright-test", 1u << 20) != 0)
		return 1;

	oauth_token t;
	int rc = oauth_client_credentials(h, url, "app", "s3cret", "accounting.transactions", &t,
		err, sizeof err);
	int64_t now = (int64_t)time(NULL);
	check(rc == 0 && strcmp(t.access, "cc-1") == 0 && !t.refresh[0] &&
		t.expires_at >= now + 1790 && t.expires_at <= now + 1800, "client-credentials", err);
	check(!oauth_needs_refresh(&t, now, 300), "fresh-token-kept", "refreshes too early");
	check(oauth_needs_refresh(&t, now + 1600, 300), "refresh-before-expiry",
		"not refreshed 200 s before expiry");

	rc = oauth_client_credentials(h, url, "app", "wrong", NULL, &t, err, sizeof err);
	check(rc == OAUTH_EDENIED && strstr(err, "invalid_client") != NULL, "bad-client", err);

	oauth_token r = { "old", "r1", 0 };
	rc = oauth_refresh(h, url, "app", "s3cret", &r, save, NULL, err, sizeof err);
	check(rc == 0 && strcmp(r.refresh, current_refresh) == 0 && strcmp(r.refresh, "r1") != 0,
		"refresh-rotates", err);
	check(save_calls == 1 && strcmp(saved.refresh, r.refresh) == 0 &&
		strcmp(saved.access, r.access) == 0, "rotated-token-saved", "save not called with it");

	oauth_token stale = { "old", "r1", 0 };
	rc = oauth_refresh(h, url, "app", "s3cret", &stale, save, NULL, err, sizeof err);
	check(rc == OAUTH_EDENIED && strstr(err, "invalid_grant") != NULL &&
		strcmp(stale.refresh, "r1") == 0, "old-refresh-token-refused", err);

	save_fails = 1;
	oauth_token before = r;
	rc = oauth_refresh(h, url, "app", "s3cret", &r, save, NULL, err, sizeof err);
	check(rc == OAUTH_ESAVE && memcmp(&before, &r, sizeof r) == 0, "save-failure-reported",
		err);
	save_fails = 0;

	snprintf(url, sizeof url, "http://127.0.0.1:%u/down", port);
	rc = oauth_refresh(h, url, "app", "s3cret", &r, save, NULL, err, sizeof err);
	check(rc == OAUTH_EHTTP, "endpoint-down-is-transient", err);
	snprintf(url, sizeof url, "http://127.0.0.1:%u/garbage", port);
	rc = oauth_client_credentials(h, url, "app", "s3cret", NULL, &t, err, sizeof err);
	check(rc == OAUTH_EREPLY, "no-token-in-reply", err);

	MHD_stop_daemon(d);
	snprintf(url, sizeof url, "http://127.0.0.1:%u/token", port);
	rc = oauth_client_credentials(h, url, "app", "s3cret", NULL, &t, err, sizeof err);
	check(rc == OAUTH_EHTTP, "no-server-is-transient", err);

	http_client_free(h);
	curl_global_cleanup();
	return failures ? 1 : 0;
}
