/*
 * journal.c - the write journal (state.h): the idempotency keys, a write's
 * intent with the request it travels in, its outcome, and the requests a
 * crash left pending, to be sent again byte for byte (docs/state.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "state_int.h"

int
state_idem_key(const char *const *parts, size_t n, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *x = EVP_MD_CTX_new();
	int ok = x && outlen >= 37 && EVP_DigestInit_ex(x, EVP_sha256(), NULL) == 1;

	for (size_t i = 0; ok && i < n; i++)
		ok = (i == 0 || EVP_DigestUpdate(x, "", 1) == 1) &&
			EVP_DigestUpdate(x, parts[i], strlen(parts[i])) == 1;
	ok = ok && EVP_DigestFinal_ex(x, md, &mdlen) == 1 && mdlen >= 16;
	EVP_MD_CTX_free(x);
	if (outlen)
		out[0] = '\0';
	if (!ok)
		return -1;
	memcpy(out, "mw2-", 4);
	for (int i = 0; i < 16; i++) {
		out[4 + 2 * i] = hex[md[i] >> 4];
		out[5 + 2 * i] = hex[md[i] & 15];
	}
	out[36] = '\0';
	return 0;
}

void
state_journal_key(const char *entity, const char *source_id, const char *hash, char *out,
	size_t n)
{
	const char *const parts[3] = { entity, source_id, hash };

	state_idem_key(parts, 3, out, n);
}

int
state_journal_find(state *st, const char *entity, const char *source_id, const char *hash,
	char *key, size_t keylen, char *js, size_t jslen)
{
	db_stmt *s = NULL;
	/* one row per version; a pending one first should there ever be two */
	int rc = stmt_step(st, &s, "SELECT key, state FROM journal WHERE entity = ? AND source_id = ?"
		" AND hash = ? ORDER BY state = 'pending' DESC, rowid DESC LIMIT 1", 3, entity,
		source_id, hash);
	if (rc < 0)
		return rc;
	if (rc == DB_ROW) {
		snprintf(key, keylen, "%s", st_col(s, 0));
		if (js)
			snprintf(js, jslen, "%s", st_col(s, 1));
		stmt_done(st, s);
		return 0;
	}
	state_journal_key(entity, source_id, hash, key, keylen);
	if (!key[0]) {
		snprintf(st->err, sizeof st->err, "no idempotency key: SHA-256 failed");
		return STATE_EUSAGE;
	}
	return STATE_ENOTFOUND;
}

int
state_journal_finish(state *st, const char *key, state_outcome outcome, const char *target_id,
	const char *error_text)
{
	char now[32];
	int rc = stmt_step(st, NULL, "UPDATE journal SET state = ?, target_id = ?, error = ?,"
		" finished_at = ? WHERE key = ?", 5, outcome == STATE_DONE ? "done" : "failed",
		target_id, error_text, st_now(now, sizeof now), key);
	if (rc < 0)
		return rc;
	return db_changes(st) == 1 ? 0 : STATE_ENOTFOUND;
}

int
state_journal_intent(state *st, const state_write *w)
{
	db_stmt *s;
	int rc = 0;

	if (!w->key || !w->entity || !w->source_id || !w->hash || !w->request_key)
		return STATE_EUSAGE;
	s = stmt_prepare(st, "INSERT INTO journal(key, entity, source_id, hash, state,"
		" began_at, request_key, seq, payload, update_id, match_value, record, stamp, op)"
		" VALUES(?1, ?2, ?3, ?4, 'pending', ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
		" ON CONFLICT(key) DO UPDATE SET state = 'pending', began_at = ?5, request_key = ?6,"
		" seq = ?7, payload = ?8, update_id = ?9, match_value = ?10, record = ?11, stamp = ?12,"
		" op = ?13, error = NULL WHERE journal.state != 'done'");
	if (!s)
		return STATE_EDB;
	rc |= st_bind_text(s, 1, w->key);
	rc |= st_bind_text(s, 2, w->entity);
	rc |= st_bind_text(s, 3, w->source_id);
	rc |= st_bind_text(s, 4, w->hash);
	rc |= st_bind_int64(s, 5, (int64_t)time(NULL));
	rc |= st_bind_text(s, 6, w->request_key);
	rc |= st_bind_int64(s, 7, w->seq);
	rc |= st_bind_blob(s, 8, w->payload, w->payload_len);
	rc |= st_bind_text(s, 9, w->update_id);
	rc |= st_bind_text(s, 10, w->match_value);
	rc |= st_bind_blob(s, 11, w->record, w->record_len);
	rc |= st_bind_text(s, 12, w->stamp);
	rc |= st_bind_text(s, 13, w->op);
	if (rc != 0)
		return stmt_end(st, s, STATE_EDB);
	return stmt_end(st, s, db_step(s));
}

int
state_journal_requests(state *st, state_write_fn fn, void *arg)
{
	db_stmt *s;
	int rc;

	s = stmt_prepare(st, "SELECT key, entity, source_id, hash, request_key, seq,"
		" payload, update_id, match_value, record, stamp, state, op FROM journal"
		" WHERE request_key IN (SELECT request_key FROM journal WHERE state = 'pending'"
		" AND request_key IS NOT NULL) ORDER BY request_key, seq");
	if (!s)
		return STATE_EDB;
	while ((rc = db_step(s)) == DB_ROW) {
		state_write w;

		memset(&w, 0, sizeof w);
		w.key = st_col(s, 0);
		w.entity = st_col(s, 1);
		w.source_id = st_col(s, 2);
		w.hash = st_col(s, 3);
		w.request_key = st_col(s, 4);
		w.seq = (int)db_col_int64(s, 5);
		w.payload = db_col_blob(s, 6);
		w.payload_len = db_col_bytes(s, 6);
		w.update_id = st_col(s, 7);
		w.match_value = st_col(s, 8);
		w.record = db_col_blob(s, 9);
		w.record_len = db_col_bytes(s, 9);
		w.stamp = st_col(s, 10);
		w.state = st_col(s, 11);
		w.op = st_col(s, 12);
		if (fn(arg, &w) != 0)
			break;
	}
	return stmt_end(st, s, rc);
}

int64_t
state_journal_pending_other(state *st, const char *entity, const char *source_id,
	const char *hash)
{
	db_stmt *s = NULL;
	int rc = stmt_step(st, &s, "SELECT count(*) FROM journal WHERE entity = ? AND source_id = ?"
		" AND hash != ? AND state = 'pending'", 3, entity, source_id, hash);
	if (rc != DB_ROW)
		return rc < 0 ? rc : STATE_EDB;
	int64_t n = db_col_int64(s, 0);
	stmt_done(st, s);
	return n;
}

int
state_journal_state(state *st, const char *key, char *buf, size_t n)
{
	return stmt_text(st, "SELECT state FROM journal WHERE key = ?", buf, n, 1, key, NULL);
}

int
state_journal_payload(state *st, const char *entity, const char *source_id, const char *hash,
	char **out, size_t *len)
{
	db_stmt *s = NULL;

	*out = NULL;
	*len = 0;
	/* by version, not by key: a key derived by an older version is found too */
	int rc = stmt_step(st, &s, "SELECT payload FROM journal WHERE entity = ? AND source_id = ?"
		" AND hash = ? AND payload IS NOT NULL ORDER BY rowid DESC LIMIT 1", 3, entity,
		source_id, hash);
	if (rc < 0)
		return rc;
	if (rc == DB_DONE)
		return STATE_ENOTFOUND;
	size_t n = db_col_bytes(s, 0);
	*out = malloc(n + 1);
	if (!*out) {
		stmt_done(st, s);
		return STATE_EUSAGE;
	}
	memcpy(*out, db_col_blob(s, 0), n);
	(*out)[n] = '\0';
	*len = n;
	stmt_done(st, s);
	return 0;
}
