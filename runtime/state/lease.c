/*
 * lease.c - several workers on one pair (state.h, docs/state.md "Many
 * workers"): the leases on its units of work (`lease`: unit, holder,
 * expires_at, token) and the rate-limit budgets they share (`budget`: the
 * calls per target and slot of time).  Times are the database's clock in
 * ms (db_now_ms): the workers of a PostgreSQL schema may run on several
 * machines, whose clocks differ.
 *
 * A take is one statement, an upsert whose update happens only where the
 * lease is free or expired or the taker's own: two workers taking at once
 * get one row lock after the other, and the second finds the lease taken.
 * The token counts the takes, so a holder that lost its lease and a new
 * one never hold the same (unit, holder, token); state_begin (db.c) checks,
 * renews and so locks the handle's rows, which a take then waits on.
 */
#include <stdio.h>
#include <string.h>

#include "state_int.h"

/* The handle's slot for unit, or -1. */
static int
slot(state *st, const char *unit)
{
	for (int i = 0; i < st->nlease; i++)
		if (!strcmp(st->lease[i].unit, unit))
			return i;
	return -1;
}

/* Who holds unit and for how long more, into st->err. */
static void
say_holder(state *st, const char *unit, int64_t now)
{
	db_stmt *s = NULL;
	int rc = stmt_step(st, &s, "SELECT holder, expires_at FROM lease WHERE unit = ?", 1, unit);

	if (rc != DB_ROW) {
		snprintf(st->err, sizeof st->err, "the lease on %s is held by another worker", unit);
		return;
	}
	snprintf(st->err, sizeof st->err, "the lease on %s is held by %s for %lld ms more", unit,
		st_col(s, 0), (long long)(db_col_int64(s, 1) - now));
	stmt_done(st, s);
}

int
state_lease_take(state *st, const char *unit, int64_t ttl_ms, int64_t *token)
{
	int64_t now;
	int at = unit ? slot(st, unit) : -1;

	if (!unit || strlen(unit) >= sizeof st->lease[0].unit || ttl_ms <= 0 ||
	    (at < 0 && st->nlease == LEASE_MAX)) {
		snprintf(st->err, sizeof st->err, "lease: a unit of 1 to 127 bytes, a time > 0, at "
			"most %d a handle", LEASE_MAX);
		return STATE_EUSAGE;
	}
	int rc = db_now_ms(st, &now);
	if (rc)
		return rc;
	db_stmt *s = stmt_prepare(st, "INSERT INTO lease(unit, holder, expires_at, token)"
		" VALUES(?1, ?2, ?3, 1) ON CONFLICT(unit) DO UPDATE SET holder = excluded.holder,"
		" expires_at = excluded.expires_at, token = lease.token + 1"
		" WHERE lease.expires_at < ?4 OR lease.holder = excluded.holder RETURNING token");
	if (!s)
		return STATE_EDB;
	if (st_bind_text(s, 1, unit) || st_bind_text(s, 2, st->holder) ||
	    st_bind_int64(s, 3, now + ttl_ms) || st_bind_int64(s, 4, now))
		return stmt_end(st, s, STATE_EDB);
	rc = db_step(s);
	if (rc != DB_ROW) {
		rc = stmt_end(st, s, rc);
		if (rc == 0)
			say_holder(st, unit, now);
		return rc ? rc : 1;
	}
	int64_t tok = db_col_int64(s, 0);
	stmt_done(st, s);
	if (at < 0)
		at = st->nlease++;
	snprintf(st->lease[at].unit, sizeof st->lease[at].unit, "%s", unit);
	st->lease[at].token = tok;
	st->lease[at].ttl_ms = ttl_ms;
	if (token)
		*token = tok;
	return 0;
}

int
state_lease_renew(state *st, const char *unit, int64_t ttl_ms)
{
	int64_t now;
	int at = unit ? slot(st, unit) : -1;

	if (at < 0) {
		snprintf(st->err, sizeof st->err, "lease: %s is not held by this handle", unit);
		return STATE_EUSAGE;
	}
	int rc = db_now_ms(st, &now);
	if (rc)
		return rc;
	db_stmt *s = stmt_prepare(st, "UPDATE lease SET expires_at = ?1 WHERE unit = ?2 AND"
		" holder = ?3 AND token = ?4");
	if (!s)
		return STATE_EDB;
	if (st_bind_int64(s, 1, now + ttl_ms) || st_bind_text(s, 2, unit) ||
	    st_bind_text(s, 3, st->holder) || st_bind_int64(s, 4, st->lease[at].token))
		return stmt_end(st, s, STATE_EDB);
	rc = stmt_end(st, s, db_step(s));
	if (rc)
		return rc;
	if (db_changes(st) == 1) {
		st->lease[at].ttl_ms = ttl_ms;
		return 0;
	}
	say_holder(st, unit, now);
	return 1;
}

int
state_lease_renew_all(state *st)
{
	int lost = 0;

	/* a lost one stays the handle's: its commits fail until released */
	for (int i = 0; i < st->nlease; i++) {
		char unit[sizeof st->lease[0].unit];

		memcpy(unit, st->lease[i].unit, sizeof unit);
		int rc = state_lease_renew(st, unit, st->lease[i].ttl_ms);
		if (rc < 0)
			return rc;
		lost |= rc;
	}
	return lost;
}

int
state_lease_release(state *st, const char *unit)
{
	int at = unit ? slot(st, unit) : -1;

	if (at < 0)
		return 0;
	char tok[32];
	snprintf(tok, sizeof tok, "%lld", (long long)st->lease[at].token);
	int rc = stmt_step(st, NULL, "UPDATE lease SET holder = '', expires_at = 0 WHERE unit = ?1"
		" AND holder = ?2 AND token = CAST(?3 AS BIGINT)", 3, unit, st->holder, tok);
	if (rc < 0)
		return rc;
	st->lease[at] = st->lease[--st->nlease];
	return 0;
}

/* budget: the calls of a target per slot of time (window / 60), slot_at
 * its start; the row of slot -1 is the target's lock (an upsert of it
 * holds its row until the transaction ends). */
int
state_budget_take(state *st, const char *target, int64_t window_ms, int64_t limit, int64_t n,
	int64_t *wait_ms)
{
	int64_t now, used = 0, oldest = 0;
	int64_t slot_ms = window_ms >= 60 ? window_ms / 60 : 1;

	if (wait_ms)
		*wait_ms = 0;
	if (!target || window_ms <= 0 || n <= 0 || n > limit) {
		snprintf(st->err, sizeof st->err, "budget: a target, a window > 0, 0 < calls <= limit");
		return STATE_EUSAGE;
	}
	int rc = db_begin_own(st);
	if (rc)
		return rc;
	rc = stmt_step(st, NULL, "INSERT INTO budget(target, slot_at, calls) VALUES(?, -1, 0)"
		" ON CONFLICT(target, slot_at) DO UPDATE SET calls = budget.calls", 1, target);
	if (rc >= 0)
		rc = db_now_ms(st, &now); /* after the lock: no later take is counted before */
	/* a slot counts while any part of it is in the window (now - window, now] */
	db_stmt *s = rc >= 0 ? stmt_prepare(st, "SELECT CAST(coalesce(sum(calls), 0) AS BIGINT),"
		" CAST(coalesce(min(slot_at), 0) AS BIGINT) FROM budget WHERE target = ?1"
		" AND slot_at > ?2") : NULL;
	if (s) {
		if (st_bind_text(s, 1, target) || st_bind_int64(s, 2, now - window_ms - slot_ms))
			rc = stmt_end(st, s, STATE_EDB);
		else if ((rc = db_step(s)) == DB_ROW) {
			used = db_col_int64(s, 0);
			oldest = db_col_int64(s, 1);
			rc = stmt_end(st, s, DB_DONE);
		} else
			rc = stmt_end(st, s, rc);
	} else if (rc >= 0)
		rc = STATE_EDB;
	if (rc >= 0 && used + n > limit) {
		state_rollback(st);
		if (wait_ms)
			*wait_ms = oldest + slot_ms + window_ms - now;
		snprintf(st->err, sizeof st->err, "budget of %s: %lld of %lld calls in the window",
			target, (long long)used, (long long)limit);
		return 1;
	}
	char at[32], calls[32], gone[32];
	snprintf(at, sizeof at, "%lld", (long long)(now / slot_ms * slot_ms));
	snprintf(calls, sizeof calls, "%lld", (long long)n);
	snprintf(gone, sizeof gone, "%lld", (long long)(now - window_ms - slot_ms));
	if (rc >= 0)
		rc = stmt_step(st, NULL, "INSERT INTO budget(target, slot_at, calls) VALUES(?1,"
			" CAST(?2 AS BIGINT), CAST(?3 AS BIGINT)) ON CONFLICT(target, slot_at)"
			" DO UPDATE SET calls = budget.calls + excluded.calls", 3, target, at, calls);
	if (rc >= 0)
		rc = stmt_step(st, NULL, "DELETE FROM budget WHERE target = ?1 AND slot_at >= 0"
			" AND slot_at <= CAST(?2 AS BIGINT)", 2, target, gone);
	if (rc < 0) {
		char why[sizeof st->err];
		snprintf(why, sizeof why, "%s", st->err);
		state_rollback(st);
		snprintf(st->err, sizeof st->err, "%s", why);
		return rc;
	}
	return state_commit(st);
}
