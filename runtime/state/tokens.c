/*
 * tokens.c - OAuth tokens at rest (state.h): a row per service whose access
 * and refresh tokens are sealed together with AES-256-GCM (libcrypto EVP)
 * under the deployment's key, from MW_STATE_KEY or the file named by
 * MW_STATE_KEY_FILE: 32 bytes, as 64 hex digits or in base64.
 *
 * A sealed row keeps in `access` the text "mw1:" and the base64 of a fresh
 * random 12-byte nonce, the ciphertext of "access NUL refresh" and the
 * 16-byte tag; `refresh` is empty; the authenticated data is "mw1:" and
 * the service's name, so a row moved to another service does not open.
 * expires_at stays in clear (it says when to refresh, nothing more).
 * One statement writes the row: a rotated refresh token is never half saved.
 *
 * Without a key, tokens are kept in clear as before and state_token_check()
 * says so; a file that holds sealed tokens is refused without the key that
 * sealed them (docs/operations.md, "The token key").
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "state_int.h"

#define SEAL_TAG "mw1:"  /* the version of a sealed row */
#define NONCE_LEN 12
#define GCM_TAG_LEN 16
#define KEY_LEN 32

/* The process's key: read from the environment by state_token_check() (at
 * start) or by the first token call, then used by every handle. */
static pthread_mutex_t key_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
	int loaded, have;
	unsigned char k[KEY_LEN];
	char err[400];   /* why the key set cannot be used */
	char warn[400];  /* a key file others can read */
} key;

static int
hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
		c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* 32 bytes from 64 hex digits or base64 (44 characters, one '='): 0, or -1. */
static int
parse_key(const char *s, size_t n, unsigned char *out)
{
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	while (n && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	if (n == 2 * KEY_LEN) {
		size_t i;

		for (i = 0; i < KEY_LEN; i++) {
			int hi = hexval((unsigned char)s[2 * i]), lo = hexval((unsigned char)s[2 * i + 1]);

			if (hi < 0 || lo < 0)
				break;
			out[i] = (unsigned char)(hi << 4 | lo);
		}
		if (i == KEY_LEN)
			return 0;
	}
	if (n == 44 && s[43] == '=' && s[42] != '=') {
		unsigned char b[36];

		if (EVP_DecodeBlock(b, (const unsigned char *)s, 44) == 33) {
			memcpy(out, b, KEY_LEN);
			OPENSSL_cleanse(b, sizeof b);
			return 0;
		}
	}
	return -1;
}

static const char key_form[] = "32 bytes as 64 hex digits or in base64 "
	"(openssl rand -hex 32)";

/* The key file's text into out; its mode checked.  0, or -1 with key.err. */
static int
read_key_file(const char *path, unsigned char *out)
{
	char buf[256];
	struct stat sb;
	FILE *f = fopen(path, "r");

	if (!f) {
		snprintf(key.err, sizeof key.err, "MW_STATE_KEY_FILE %s: cannot read it: %s", path,
			strerror(errno));
		return -1;
	}
	size_t n = fread(buf, 1, sizeof buf, f);
	int bad = ferror(f) || n == sizeof buf;

	if (fstat(fileno(f), &sb) == 0 && (sb.st_mode & 077))
		snprintf(key.warn, sizeof key.warn, "MW_STATE_KEY_FILE %s can be read by others "
			"(mode %03o): chmod 600 it", path, (unsigned)(sb.st_mode & 0777));
	fclose(f);
	if (bad || parse_key(buf, n, out) != 0) {
		snprintf(key.err, sizeof key.err, "MW_STATE_KEY_FILE %s does not hold a key: %s",
			path, key_form);
		OPENSSL_cleanse(buf, sizeof buf);
		return -1;
	}
	OPENSSL_cleanse(buf, sizeof buf);
	return 0;
}

/* Read the key from the environment again (key_mu held). */
static void
load_key(void)
{
	const char *v = getenv("MW_STATE_KEY"), *file = getenv("MW_STATE_KEY_FILE");

	OPENSSL_cleanse(&key, sizeof key);
	key.loaded = 1;
	if (v && *v && file && *file) {
		snprintf(key.err, sizeof key.err, "MW_STATE_KEY and MW_STATE_KEY_FILE are both set: "
			"set one");
		return;
	}
	if (v && *v) {
		if (parse_key(v, strlen(v), key.k) != 0) {
			snprintf(key.err, sizeof key.err, "MW_STATE_KEY is not a key: %s", key_form);
			return;
		}
		key.have = 1;
	} else if (file && *file) {
		if (read_key_file(file, key.k) != 0)
			return;
		key.have = 1;
	}
}

/* A copy of the key into k: 1 there is one, 0 none, -1 the one set is bad
 * (the reason into st->err). */
static int
get_key(state *st, unsigned char *k)
{
	int rc;

	pthread_mutex_lock(&key_mu);
	if (!key.loaded)
		load_key();
	if (key.err[0]) {
		snprintf(st->err, sizeof st->err, "%s", key.err);
		rc = -1;
	} else {
		rc = key.have;
		if (rc)
			memcpy(k, key.k, KEY_LEN);
	}
	pthread_mutex_unlock(&key_mu);
	return rc;
}

/* 1 when the stored access text is sealed, whatever its version. */
static int
is_sealed(const char *a)
{
	if (a[0] != 'm' || a[1] != 'w' || a[2] < '0' || a[2] > '9')
		return 0;
	for (a += 2; *a >= '0' && *a <= '9'; a++)
		;
	return *a == ':';
}

/* The authenticated data: the version tag and the service. */
static int
aad_of(const char *service, char *buf, size_t n)
{
	int len = snprintf(buf, n, "%s%s", SEAL_TAG, service);

	return len < 0 || (size_t)len >= n ? -1 : len;
}

/* Seal access NUL refresh for service: malloc'd "mw1:<base64>", or NULL. */
static char *
seal(const unsigned char *k, const char *service, const char *access, const char *refresh)
{
	size_t al = strlen(access), rl = strlen(refresh), pl = al + 1 + rl;
	size_t bl = NONCE_LEN + pl + GCM_TAG_LEN;
	unsigned char *pt = malloc(pl), *raw = malloc(bl);
	char *out = malloc(sizeof SEAL_TAG + 4 * ((bl + 2) / 3) + 1), aad[300];
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int len, aadl = aad_of(service, aad, sizeof aad), ok = 0;

	if (pt && raw && out && c && aadl > 0) {
		memcpy(pt, access, al);
		pt[al] = 0;
		memcpy(pt + al + 1, refresh, rl);
		ok = RAND_bytes(raw, NONCE_LEN) == 1 &&
			EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
			EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, NONCE_LEN, NULL) == 1 &&
			EVP_EncryptInit_ex(c, NULL, NULL, k, raw) == 1 &&
			EVP_EncryptUpdate(c, NULL, &len, (unsigned char *)aad, aadl) == 1 &&
			EVP_EncryptUpdate(c, raw + NONCE_LEN, &len, pt, (int)pl) == 1 &&
			(size_t)len == pl &&
			EVP_EncryptFinal_ex(c, raw + NONCE_LEN + pl, &len) == 1 && len == 0 &&
			EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, GCM_TAG_LEN,
				raw + NONCE_LEN + pl) == 1;
	}
	if (ok) {
		memcpy(out, SEAL_TAG, sizeof SEAL_TAG - 1);
		EVP_EncodeBlock((unsigned char *)out + sizeof SEAL_TAG - 1, raw, (int)bl);
	}
	EVP_CIPHER_CTX_free(c);
	if (pt)
		OPENSSL_cleanse(pt, pl);
	free(pt);
	free(raw);
	if (!ok) {
		free(out);
		return NULL;
	}
	return out;
}

/* Open a sealed text of service into access and refresh: 0, or -1 (the
 * key is not the one it was sealed with, or the row was altered). */
static int
unseal(const unsigned char *k, const char *service, const char *text, char *access,
	size_t alen, char *refresh, size_t rlen)
{
	const char *b64 = text + sizeof SEAL_TAG - 1;
	size_t n = strlen(b64), pad = n >= 1 && b64[n - 1] == '=' ? 1 + (n >= 2 && b64[n - 2] == '=')
		: 0;
	unsigned char *raw = malloc(n / 4 * 3 + 3), *pt = NULL;
	char aad[300];
	int len, rl, aadl = aad_of(service, aad, sizeof aad), ok = 0;
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();

	if (!raw || !c || aadl < 0 || n % 4 || (rl = EVP_DecodeBlock(raw, (const unsigned char *)b64,
	    (int)n)) < 0 || (size_t)rl - pad < NONCE_LEN + GCM_TAG_LEN + 1)
		goto out;
	size_t pl = (size_t)rl - pad - NONCE_LEN - GCM_TAG_LEN;

	pt = malloc(pl + 1);
	ok = pt && EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
		EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, NONCE_LEN, NULL) == 1 &&
		EVP_DecryptInit_ex(c, NULL, NULL, k, raw) == 1 &&
		EVP_DecryptUpdate(c, NULL, &len, (unsigned char *)aad, aadl) == 1 &&
		EVP_DecryptUpdate(c, pt, &len, raw + NONCE_LEN, (int)pl) == 1 && (size_t)len == pl &&
		EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, GCM_TAG_LEN, raw + NONCE_LEN + pl) == 1 &&
		EVP_DecryptFinal_ex(c, pt + pl, &len) == 1;
	if (ok) {
		pt[pl] = 0;
		size_t al = strlen((char *)pt);

		ok = al < pl && al < alen && pl - al - 1 < rlen;
		if (ok) {
			memcpy(access, pt, al + 1);
			memcpy(refresh, pt + al + 1, pl - al);
		}
	}
	if (pt)
		OPENSSL_cleanse(pt, pl);
out:
	EVP_CIPHER_CTX_free(c);
	free(pt);
	free(raw);
	return ok ? 0 : -1;
}

static int
key_missing(state *st, const char *service)
{
	snprintf(st->err, sizeof st->err, "the tokens of %s in the state file are encrypted and "
		"no key is set: set MW_STATE_KEY or MW_STATE_KEY_FILE to the key they were written "
		"with", service);
	return STATE_EKEY;
}

static int
key_wrong(state *st, const char *service, const char *text)
{
	if (strncmp(text, SEAL_TAG, sizeof SEAL_TAG - 1) != 0)
		snprintf(st->err, sizeof st->err, "the tokens of %s were encrypted by a newer "
			"version of this program: use that one", service);
	else
		snprintf(st->err, sizeof st->err, "the key set does not open the tokens of %s in "
			"the state file: it is not the key they were written with (or the row was "
			"altered)", service);
	return STATE_EKEY;
}

int
state_token_save(state *st, const char *service, const char *access, const char *refresh,
	int64_t expires_at)
{
	unsigned char k[KEY_LEN];
	char exp[32], *sealed = NULL, old[16] = "";
	int have = get_key(st, k);

	if (have < 0)
		return STATE_EKEY;
	if (!refresh)
		refresh = "";
	if (have) {
		sealed = seal(k, service, access, refresh);
		OPENSSL_cleanse(k, sizeof k);
		if (!sealed) {
			snprintf(st->err, sizeof st->err, "cannot encrypt the tokens of %s (libcrypto)",
				service);
			return STATE_EUSAGE;
		}
	} else {
		/* no key: never over a sealed row (it would be lost) */
		int rc = stmt_text(st, "SELECT substr(access, 1, 8) FROM tokens WHERE service = ?",
			old, sizeof old, 1, service, NULL);

		if (rc < 0 && rc != STATE_ENOTFOUND)
			return rc;
		if (rc == 0 && is_sealed(old))
			return key_missing(st, service);
	}
	snprintf(exp, sizeof exp, "%lld", (long long)expires_at);
	int rc = stmt_step(st, NULL, "INSERT INTO tokens(service, access, refresh, expires_at)"
		" VALUES(?, ?, ?, ?) ON CONFLICT(service) DO UPDATE SET access = excluded.access,"
		" refresh = excluded.refresh, expires_at = excluded.expires_at", 4, service,
		sealed ? sealed : access, sealed ? "" : refresh, exp);
	if (sealed) {
		OPENSSL_cleanse(sealed, strlen(sealed));
		free(sealed);
	}
	return rc < 0 ? rc : 0;
}

int
state_token_load(state *st, const char *service, char *access, size_t alen, char *refresh,
	size_t rlen, int64_t *expires_at)
{
	db_stmt *s = NULL;
	unsigned char k[KEY_LEN];
	int rc = stmt_step(st, &s, "SELECT access, refresh, expires_at FROM tokens WHERE service = ?", 1,
		service);

	if (rc < 0)
		return rc;
	if (rc == DB_DONE)
		return STATE_ENOTFOUND;
	const char *a = st_col(s, 0);

	*expires_at = db_col_int64(s, 2);
	if (!a || !is_sealed(a)) {
		snprintf(access, alen, "%s", a ? a : "");
		snprintf(refresh, rlen, "%s", st_col(s, 1) ? st_col(s, 1) : "");
		stmt_done(st, s);
		return 0;
	}
	int have = get_key(st, k);

	if (have <= 0)
		rc = have < 0 ? STATE_EKEY : key_missing(st, service);
	else if (unseal(k, service, a, access, alen, refresh, rlen) != 0)
		rc = key_wrong(st, service, a);
	else
		rc = 0;
	OPENSSL_cleanse(k, sizeof k);
	stmt_done(st, s);
	if (rc != 0)
		access[0] = refresh[0] = '\0';
	return rc;
}

/* The services whose rows are in clear (with any token) or sealed, by name. */
typedef struct {
	char clear[8][64], sealed[8][64];
	int nclear, nsealed;
} rows;

static int
list_rows(state *st, rows *out)
{
	db_stmt *s = stmt_prepare(st, "SELECT service, substr(access, 1, 8), access != ''"
		" OR refresh != '' FROM tokens ORDER BY service");
	int rc;

	memset(out, 0, sizeof *out);
	if (!s)
		return STATE_EDB;
	while ((rc = db_step(s)) == DB_ROW) {
		const char *svc = st_col(s, 0), *a = st_col(s, 1);

		if (a && is_sealed(a) && out->nsealed < 8)
			snprintf(out->sealed[out->nsealed++], 64, "%s", svc);
		else if ((int)db_col_int64(s, 2) && out->nclear < 8)
			snprintf(out->clear[out->nclear++], 64, "%s", svc);
	}
	return stmt_end(st, s, rc);
}

/* A pragma (it may answer a row). */
static int
exec_pragma(state *st, const char *sql)
{
	int rc = stmt_step(st, NULL, sql, 0);

	return rc < 0 ? rc : 0;
}

/* Seal the rows kept in clear, in one transaction, leaving no clear copy
 * in the file's free space (secure_delete) nor in its log (checkpoint);
 * on PostgreSQL, none in the table's pages (VACUUM FULL rewrites them
 * without the old row versions; the server's own WAL keeps them until it
 * is recycled). */
static int
seal_clear_rows(state *st, const rows *r)
{
	char a[4096], rf[4096];
	int64_t exp;
	int rc = st->db ? exec_pragma(st, "PRAGMA secure_delete = ON") : 0;

	if (rc == 0)
		rc = state_begin(st);
	for (int i = 0; rc == 0 && i < r->nclear; i++) {
		rc = state_token_load(st, r->clear[i], a, sizeof a, rf, sizeof rf, &exp);
		if (rc == 0)
			rc = state_token_save(st, r->clear[i], a, rf, exp);
	}
	OPENSSL_cleanse(a, sizeof a);
	OPENSSL_cleanse(rf, sizeof rf);
	if (rc == 0)
		rc = state_commit(st);
	else
		state_rollback(st);
	/* the log's frames with the clear rows go; another reader may hold
	 * them for now, and then the next checkpoint does it */
	exec_pragma(st, st->db ? "PRAGMA wal_checkpoint(TRUNCATE)" : "VACUUM FULL tokens");
	return rc;
}

static void
names(char *buf, size_t n, const char (*v)[64], int k)
{
	size_t at = 0;

	buf[0] = '\0';
	for (int i = 0; i < k && at < n; i++)
		at += (size_t)snprintf(buf + at, n - at, "%s%s", i ? ", " : "", v[i]);
}

int
state_token_check(state *st, char *msg, size_t n)
{
	unsigned char k[KEY_LEN];
	char a[4096], rf[4096], list[200], warn[400];
	rows r;
	int64_t exp;
	int rc;

	msg[0] = '\0';
	pthread_mutex_lock(&key_mu);
	load_key();
	snprintf(warn, sizeof warn, "%s", key.warn);
	pthread_mutex_unlock(&key_mu);
	int have = get_key(st, k);

	OPENSSL_cleanse(k, sizeof k);
	if (have < 0) {
		snprintf(msg, n, "%s", st->err);
		return STATE_EKEY;
	}
	if ((rc = list_rows(st, &r)) != 0) {
		snprintf(msg, n, "the state file's tokens: %s", st->err);
		return rc;
	}
	if (!have && r.nsealed) {
		names(list, sizeof list, r.sealed, r.nsealed);
		snprintf(msg, n, "the state file holds encrypted tokens (%s) and no key is set: "
			"set MW_STATE_KEY or MW_STATE_KEY_FILE to the key they were written with "
			"(docs/operations.md, \"The token key\")", list);
		return STATE_EKEY;
	}
	for (int i = 0; i < r.nsealed; i++) {
		rc = state_token_load(st, r.sealed[i], a, sizeof a, rf, sizeof rf, &exp);
		OPENSSL_cleanse(a, sizeof a);
		OPENSSL_cleanse(rf, sizeof rf);
		if (rc != 0) {
			snprintf(msg, n, "%s", st->err);
			return rc;
		}
	}
	if (!have) {
		snprintf(msg, n, "no token key (MW_STATE_KEY or MW_STATE_KEY_FILE): OAuth tokens are "
			"kept in clear in the state file (docs/operations.md, \"The token key\")");
		return 0;
	}
	if (r.nclear && !db_readonly(st)) {
		names(list, sizeof list, r.clear, r.nclear);
		if ((rc = seal_clear_rows(st, &r)) != 0) {
			snprintf(msg, n, "encrypting the tokens kept in clear (%s): %s", list, st->err);
			return rc;
		}
		snprintf(msg, n, "the tokens of %s, kept in clear, are now encrypted", list);
	}
	if (warn[0])
		snprintf(msg + strlen(msg), n - strlen(msg), "%s%s", msg[0] ? "; " : "", warn);
	return 0;
}
