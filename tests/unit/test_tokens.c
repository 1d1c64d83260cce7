/*
 * test_tokens.c - OAuth tokens at rest: with a key (MW_STATE_KEY as hex or
 * base64, MW_STATE_KEY_FILE) the state file's bytes (and its -wal and
 * -shm) hold neither the access nor the refresh token; a wrong key, a
 * missing key over sealed rows, a row moved to another service or altered
 * are refused with a message; a malformed key is refused; a rotated refresh
 * token is saved whole or not at all; rows kept in clear are sealed when a
 * key is set, leaving no clear copy in the file; without a key, tokens stay
 * in clear and state_token_check() warns.  The same on PostgreSQL with
 * MW_TEST_PG (store.h): the bytes of the tokens table's file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state.h"

#define CHECK_AREA "tokens"
#include "check.h"
#include "store.h"

#define KEY_HEX "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define KEY2_HEX "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"
/* base64 of the 32 bytes of KEY_HEX */
#define KEY_B64 "ABEiM0RVZneImaq7zN3u/wARIjNEVWZ3iJmqu8zd7v8="

#define AT1 "ACCESS-one-7f3a9c1e5b2d4f60"
#define RT1 "REFRESH-one-0c9e8b7a6d5f4e3d"
#define AT2 "ACCESS-two-19a8b7c6d5e4f302"
#define RT2 "REFRESH-two-5e4d3c2b1a098f7e"

static char dir[] = "/tmp/mw-tokens-XXXXXX";

/* 1 when the file (absent: no) holds the bytes of s anywhere. */
static int
file_has(const char *path, const char *s)
{
	FILE *f = fopen(path, "rb");
	size_t n = strlen(s), len = 0, cap = 1 << 16;
	char *buf = malloc(cap);
	int hit = 0;

	if (!f || !buf) {
		if (f)
			fclose(f);
		free(buf);
		return 0;
	}
	for (size_t k; (k = fread(buf + len, 1, cap - len, f)) > 0;) {
		len += k;
		if (len == cap) {
			char *nb = realloc(buf, cap *= 2);

			if (!nb)
				break;
			buf = nb;
		}
	}
	fclose(f);
	for (size_t i = 0; !hit && i + n <= len; i++)
		hit = memcmp(buf + i, s, n) == 0;
	free(buf);
	return hit;
}

/* 1 when the store's bytes at rest hold s: the state file, its -wal or
 * its -shm; on PostgreSQL the tokens table's file in the cluster's data
 * directory, after a checkpoint has written the server's buffers to it
 * (the server's WAL is not looked at: it keeps the old rows until it is
 * recycled, docs/state.md). */
static int
files_have(const char *path, const char *s)
{
	char p[600], dd[300], rel[200];

	if (strstr(path, "://")) {
		raw_sql(path, "CHECKPOINT");
		raw_text(path, "SELECT current_setting('data_directory')", dd, sizeof dd);
		raw_text(path, "SELECT pg_relation_filepath('tokens')", rel, sizeof rel);
		snprintf(p, sizeof p, "%s/%s", dd, rel);
		return file_has(p, s);
	}
	snprintf(p, sizeof p, "%s-wal", path);
	if (file_has(p, s))
		return 1;
	snprintf(p, sizeof p, "%s-shm", path);
	return file_has(p, s) || file_has(path, s);
}

static void
set_key(const char *hex, const char *file)
{
	unsetenv("MW_STATE_KEY");
	unsetenv("MW_STATE_KEY_FILE");
	if (hex)
		setenv("MW_STATE_KEY", hex, 1);
	if (file)
		setenv("MW_STATE_KEY_FILE", file, 1);
}

static state *
open_at(const char *path)
{
	state *st = NULL;

	if (state_open(path, &st) != 0) {
		printf("# state_open %s: %s\n", path, state_errmsg(st));
		state_close(st);
		exit(1);
	}
	return st;
}

static int
load_is(state *st, const char *svc, const char *at, const char *rt)
{
	char a[4096], r[4096];
	int64_t exp;

	return state_token_load(st, svc, a, sizeof a, r, sizeof r, &exp) == 0 && !strcmp(a, at) &&
		!strcmp(r, rt);
}

/* Sealed at rest: nothing of either token in the file's bytes, a fresh
 * nonce a write, and a rotation saved whole or not at all. */
static void
sealed_at_rest(void)
{
	char path[600], msg[600], row1[300], row2[300];
	state *st;

	store_where(path, sizeof path, dir, "sealed");
	set_key(KEY_HEX, NULL);
	st = open_at(path);
	check(state_token_check(st, msg, sizeof msg) == 0 && !msg[0], "check-with-key-no-rows", msg);
	check(state_token_save(st, "xero", AT1, RT1, 100) == 0 && load_is(st, "xero", AT1, RT1),
		"saved-and-loaded", state_errmsg(st));
	raw_text(path, "SELECT access FROM tokens WHERE service = 'xero'", row1, sizeof row1);
	check(!strncmp(row1, "mw1:", 4) && !files_have(path, AT1) && !files_have(path, RT1),
		"file-bytes-hold-no-token", row1);
	/* the same tokens again: another nonce, another ciphertext */
	state_token_save(st, "xero", AT1, RT1, 100);
	raw_text(path, "SELECT access FROM tokens WHERE service = 'xero'", row2, sizeof row2);
	check(row2[0] && strcmp(row1, row2) != 0, "fresh-nonce-each-write", row2);

	/* a rotation interrupted before its commit leaves the old pair whole */
	state_begin(st);
	state_token_save(st, "xero", AT2, RT2, 200);
	state_rollback(st);
	check(load_is(st, "xero", AT1, RT1), "rotation-rolled-back-whole", state_errmsg(st));
	check(state_token_save(st, "xero", AT2, RT2, 200) == 0 && load_is(st, "xero", AT2, RT2),
		"rotation-saved-whole", state_errmsg(st));
	/* client credentials: no refresh token */
	check(state_token_save(st, "clarity", AT1, NULL, 300) == 0 && load_is(st, "clarity", AT1, ""),
		"no-refresh-token", state_errmsg(st));
	state_close(st);
	check(!files_have(path, AT1) && !files_have(path, RT1) && !files_have(path, AT2) &&
		!files_have(path, RT2), "file-bytes-hold-no-token-after-rotation", path);

	/* a row moved to another service, or altered, does not open */
	raw_sql(path, "INSERT INTO tokens(service, access, refresh, expires_at) SELECT 'qbo', access,"
		" refresh, expires_at FROM tokens WHERE service = 'xero'");
	st = open_at(path);
	check(!load_is(st, "qbo", AT2, RT2) && strstr(state_errmsg(st), "qbo"),
		"row-of-another-service-refused", state_errmsg(st));
	state_close(st);
	raw_sql(path, "UPDATE tokens SET access = substr(access, 1, 10) || "
		"CASE substr(access, 11, 1) WHEN 'A' THEN 'B' ELSE 'A' END || substr(access, 12)"
		" WHERE service = 'qbo'");
	st = open_at(path);
	check(state_token_check(st, msg, sizeof msg) == STATE_EKEY && strstr(msg, "qbo"),
		"altered-row-refused", msg);
	state_close(st);
	raw_sql(path, "DELETE FROM tokens WHERE service = 'qbo'");

	/* the wrong key: refused at start, and by a load */
	set_key(KEY2_HEX, NULL);
	st = open_at(path);
	check(state_token_check(st, msg, sizeof msg) == STATE_EKEY && strstr(msg, "not the key"),
		"wrong-key-refused", msg);
	check(!load_is(st, "xero", AT2, RT2), "wrong-key-load-refused", state_errmsg(st));
	state_close(st);

	/* no key over sealed tokens: refused, and no clear token written over them */
	set_key(NULL, NULL);
	st = open_at(path);
	check(state_token_check(st, msg, sizeof msg) == STATE_EKEY && strstr(msg, "xero") &&
		strstr(msg, "MW_STATE_KEY"), "missing-key-refused", msg);
	check(state_token_save(st, "xero", AT1, RT1, 1) == STATE_EKEY, "no-clear-save-over-sealed",
		state_errmsg(st));
	state_close(st);
	check(!files_have(path, AT1), "sealed-row-kept", path);

	/* the same key in base64, and from a file */
	set_key(KEY_B64, NULL);
	st = open_at(path);
	check(state_token_check(st, msg, sizeof msg) == 0 && load_is(st, "xero", AT2, RT2),
		"base64-key", msg);
	state_close(st);
	char kf[300];
	FILE *f;

	snprintf(kf, sizeof kf, "%s/key", dir);
	f = fopen(kf, "w");
	fputs(KEY_HEX "\n", f);
	fclose(f);
	chmod(kf, 0600);
	set_key(NULL, kf);
	st = open_at(path);
	check(state_token_check(st, msg, sizeof msg) == 0 && !msg[0] && load_is(st, "xero", AT2, RT2),
		"key-file", msg);
	chmod(kf, 0644);
	check(state_token_check(st, msg, sizeof msg) == 0 && strstr(msg, "chmod 600"),
		"key-file-others-can-read-warned", msg);
	state_close(st);
}

/* Keys that are not keys, and tokens kept in clear without one. */
static void
keys_and_clear(void)
{
	char path[600], msg[600], kf[300];
	state *st;

	store_where(path, sizeof path, dir, "clear");
	st = open_at(path);
	set_key("0011", NULL);
	check(state_token_check(st, msg, sizeof msg) == STATE_EKEY && strstr(msg, "64 hex"),
		"short-key-refused", msg);
	check(state_token_save(st, "xero", AT1, RT1, 1) == STATE_EKEY, "short-key-save-refused",
		state_errmsg(st));
	set_key(KEY_HEX "00", NULL);
	check(state_token_check(st, msg, sizeof msg) == STATE_EKEY, "long-key-refused", msg);
	set_key(KEY_HEX, "/nonexistent");
	check(state_token_check(st, msg, sizeof msg) == STATE_EKEY && strstr(msg, "both"),
		"two-keys-refused", msg);
	snprintf(kf, sizeof kf, "%s/nokey", dir);
	set_key(NULL, kf);
	check(state_token_check(st, msg, sizeof msg) == STATE_EKEY && strstr(msg, kf),
		"missing-key-file-refused", msg);

	/* no key: kept in clear, and said so */
	set_key(NULL, NULL);
	check(state_token_check(st, msg, sizeof msg) == 0 && strstr(msg, "in clear"),
		"no-key-warns", msg);
	check(state_token_save(st, "xero", AT1, RT1, 1) == 0 && load_is(st, "xero", AT1, RT1),
		"no-key-clear-tokens", state_errmsg(st));
	state_close(st);
	check(files_have(path, RT1), "no-key-clear-in-file", path);

	/* then a key: the clear rows are sealed, and no clear copy stays */
	set_key(KEY_HEX, NULL);
	st = open_at(path);
	check(state_token_check(st, msg, sizeof msg) == 0 && strstr(msg, "xero") &&
		strstr(msg, "now encrypted") && load_is(st, "xero", AT1, RT1), "clear-rows-sealed", msg);
	check(!files_have(path, AT1) && !files_have(path, RT1), "clear-copies-gone", path);
	state_close(st);
	check(!files_have(path, AT1) && !files_have(path, RT1), "clear-copies-gone-closed", path);
}

int
main(void)
{
	if (!mkdtemp(dir))
		return 1;
	sealed_at_rest();
	keys_and_clear();
	char cmd[400];

	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return failures ? 1 : 0;
}
