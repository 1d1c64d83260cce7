/*
 * oauth.c - OAuth 2.0 token grants over http.c (see oauth.h).
 * Token responses carry no money, so jansson reads them.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "oauth.h"

/* POST the form to the token endpoint and read a token out of the reply. */
static int
grant(http_client *h, const char *url, const char *id, const char *secret, const char *form,
	oauth_token *out, char *err, size_t errlen)
{
	char cred[1024], auth[1500];
	int n = snprintf(cred, sizeof cred, "%s:%s", id, secret);
	if (n < 0 || (size_t)n >= sizeof cred) {
		snprintf(err, errlen, "client id and secret too long");
		return OAUTH_EUSAGE;
	}
	unsigned char b64[1400]; /* 4 * ceil(1023 / 3) + 1 */
	EVP_EncodeBlock(b64, (const unsigned char *)cred, n);
	snprintf(auth, sizeof auth, "Authorization: Basic %s", b64);
	const char *hdrs[] = { auth, "Content-Type: application/x-www-form-urlencoded",
		"Accept: application/json" };
	http_request req = { "POST", url, hdrs, 3, form, strlen(form), 30000, 0 };
	http_response r;
	int rc = http_do(h, &req, &r, err, errlen);
	memset(cred, 0, sizeof cred);
	memset(b64, 0, sizeof b64);
	if (rc != 0)
		return http_classify(rc, &r) == HTTP_TRANSIENT ? OAUTH_EHTTP : OAUTH_EREPLY;

	json_error_t jerr;
	json_t *j = json_loadb(r.body, r.body_len, 0, &jerr);
	if (r.status != 200) {
		/* RFC 6749 5.2: {"error": "...", "error_description": "..."} */
		const char *e = j ? json_string_value(json_object_get(j, "error")) : NULL;
		const char *d = j ? json_string_value(json_object_get(j, "error_description")) : NULL;
		snprintf(err, errlen, "token endpoint answered %ld%s%s%s%s", r.status,
			e ? ": " : "", e ? e : "", d ? ": " : "", d ? d : "");
		json_decref(j);
		http_class k = http_classify(0, &r);
		return k == HTTP_TRANSIENT || k == HTTP_RATE_LIMITED ? OAUTH_EHTTP : OAUTH_EDENIED;
	}
	const char *at = j ? json_string_value(json_object_get(j, "access_token")) : NULL;
	const char *rt = j ? json_string_value(json_object_get(j, "refresh_token")) : NULL;
	json_t *ei = j ? json_object_get(j, "expires_in") : NULL;
	if (!at || !json_is_integer(ei) || strlen(at) >= sizeof out->access ||
	    (rt && strlen(rt) >= sizeof out->refresh)) {
		snprintf(err, errlen, "token endpoint answered 200 without a usable token");
		json_decref(j);
		return OAUTH_EREPLY;
	}
	snprintf(out->access, sizeof out->access, "%s", at);
	if (rt)
		snprintf(out->refresh, sizeof out->refresh, "%s", rt);
	out->expires_at = (int64_t)time(NULL) + (int64_t)json_integer_value(ei);
	json_decref(j);
	return 0;
}

int
oauth_client_credentials(http_client *h, const char *token_url, const char *client_id,
	const char *client_secret, const char *scope, oauth_token *out, char *err, size_t errlen)
{
	char form[2048], esc[1500];
	memset(out, 0, sizeof *out);
	if (scope && *scope) {
		if (!http_url_escape(scope, esc, sizeof esc))
			return OAUTH_EUSAGE;
		snprintf(form, sizeof form, "grant_type=client_credentials&scope=%s", esc);
	} else {
		snprintf(form, sizeof form, "grant_type=client_credentials");
	}
	return grant(h, token_url, client_id, client_secret, form, out, err, errlen);
}

int
oauth_refresh(http_client *h, const char *token_url, const char *client_id,
	const char *client_secret, oauth_token *tok, oauth_save_fn save, void *arg, char *err,
	size_t errlen)
{
	char form[13000], esc[12500];
	if (!tok->refresh[0]) {
		snprintf(err, errlen, "no refresh token");
		return OAUTH_EUSAGE;
	}
	if (!http_url_escape(tok->refresh, esc, sizeof esc))
		return OAUTH_EUSAGE;
	snprintf(form, sizeof form, "grant_type=refresh_token&refresh_token=%s", esc);
	oauth_token fresh;
	memset(&fresh, 0, sizeof fresh);
	int rc = grant(h, token_url, client_id, client_secret, form, &fresh, err, errlen);
	if (rc != 0)
		return rc;
	/* Without rotation the old refresh token stays valid and is kept. */
	if (!fresh.refresh[0])
		memcpy(fresh.refresh, tok->refresh, sizeof fresh.refresh);
	if (save && save(arg, &fresh) != 0) {
		snprintf(err, errlen, "the rotated refresh token could not be stored");
		return OAUTH_ESAVE;
	}
	*tok = fresh;
	return 0;
}

int
oauth_needs_refresh(const oauth_token *tok, int64_t now, int64_t margin_s)
{
	return !tok->access[0] || tok->expires_at - now < margin_s;
}
