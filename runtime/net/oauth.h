/*
 * oauth.h - OAuth 2.0 tokens for the connectors (Xero, QuickBooks Online,
 * Clarity): the client_credentials grant, the refresh_token grant with
 * rotated refresh tokens, and when to refresh.
 *
 * Rotation is where money integrations lose access: Xero and QuickBooks
 * answer a refresh with a NEW refresh token and invalidate the old one, so
 * the new one must be stored durably before anything else happens.
 * oauth_refresh() calls the caller's save function (the state store, in one
 * transaction) and fails if saving fails; the token it returns is then the
 * only valid one.
 *
 * Client credentials go in an HTTP Basic Authorization header, as both
 * Xero and Intuit document for their token endpoints.  Errors are values:
 * 0, or a negative OAUTH_E* code with the service's own text in err.
 */
#ifndef MW_OAUTH_H
#define MW_OAUTH_H

#include <stdint.h>

#include "http.h"

typedef struct {
	char access[4096];
	char refresh[4096];  /* empty for client_credentials */
	int64_t expires_at;  /* seconds since the epoch */
} oauth_token;

enum {
	OAUTH_EHTTP = -1,     /* no answer (timeout, network): retry later */
	OAUTH_EDENIED = -2,   /* invalid_grant / invalid_client / 401: needs a person */
	OAUTH_EREPLY = -3,    /* an answer that is not a token */
	OAUTH_ESAVE = -4,     /* the rotated token could not be stored */
	OAUTH_EUSAGE = -5,
};

typedef int (*oauth_save_fn)(void *arg, const oauth_token *tok);

int oauth_client_credentials(http_client *h, const char *token_url, const char *client_id,
	const char *client_secret, const char *scope, oauth_token *out, char *err,
	size_t errlen);
int oauth_refresh(http_client *h, const char *token_url, const char *client_id,
	const char *client_secret, oauth_token *tok, oauth_save_fn save, void *arg, char *err,
	size_t errlen);
/* Refresh when less than margin_s seconds are left. */
int oauth_needs_refresh(const oauth_token *tok, int64_t now, int64_t margin_s);

#endif /* MW_OAUTH_H */
