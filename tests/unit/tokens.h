/*
 * tokens.h - connector tests: a connector's token store backed by a state
 * file, as the engine hands it in (conn_env.tokens).
 */
#ifndef TESTS_TOKENS_H
#define TESTS_TOKENS_H

#include "conn.h"
#include "state.h"

static int
tokens_load(void *arg, const char *service, char *access, size_t alen, char *refresh,
	size_t rlen, int64_t *expires_at)
{
	return state_token_load(arg, service, access, alen, refresh, rlen, expires_at);
}

static int
tokens_save(void *arg, const char *service, const char *access, const char *refresh,
	int64_t expires_at)
{
	return state_token_save(arg, service, access, refresh, expires_at);
}

/* The store over st (NULL: a store that keeps nothing). */
static inline conn_token_store
tokens_of(state *st)
{
	conn_token_store t = { tokens_load, tokens_save, st };
	return t;
}

#endif /* TESTS_TOKENS_H */
