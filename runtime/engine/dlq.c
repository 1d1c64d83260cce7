/*
 * dlq.c - the dead-letter queue for operators:
 *
 *   dlq list [--entity E] [--since T]   live dead letters, newest first
 *   dlq list --held [--entity E]        held records and what each waits
 *                                       for (the record a ref names)
 *   dlq show ID                         record, reason, target error,
 *                                       attempts, times, the payload sent
 *   dlq retry ID | --all                through the engine again (sync.c),
 *                                       same idempotency key
 *   dlq drop ID --reason "..."          out of the queue, with an audit row
 *   dlq export [--entity E] [--since T] JSON lines, one per dead letter
 *   dlq export --held [--entity E]      JSON lines, one per held record
 *
 * T is seconds since the epoch or an RFC 3339 date or datetime (UTC when
 * it has no offset).  After an operator fixes a mapping (adds the missing
 * GL account, say) and rebuilds, `dlq retry --all` drains the queue.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "eng.h"

#define PUTS(b, lit) w_buf_put((b), (lit), sizeof(lit) - 1)

/* T as seconds since the epoch, or -1. */
static int64_t
parse_since(const char *s)
{
	char *end;
	long long v = strtoll(s, &end, 10);
	mw_time t;

	if (end != s && *end == '\0')
		return v;
	if (tm_parse(s, strlen(s), &t) != 0)
		return -1;
	return tm_epoch(&t);
}

static void
utc(int64_t t, char *buf, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm))
		strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
	else
		snprintf(buf, n, "%lld", (long long)t);
}

typedef struct {
	FILE *out;
	state *st;
	w_buf b;
	long n;
} lister;

static int
list_one(void *arg, const state_dead *d)
{
	lister *l = arg;
	char first[32];

	utc(d->first_at, first, sizeof first);
	fprintf(l->out, "#%-5lld %-12s %-16s %s  attempts %d  line %d%s%s: %s%s%s\n",
		(long long)d->id, d->entity, d->source_key[0] ? d->source_key : "(no key)", first,
		d->attempts, d->line, d->field[0] ? ", " : "", d->field, d->reason,
		d->target_error[0] ? " | target said: " : "", d->target_error);
	l->n++;
	return 0;
}

static void
json_field(w_buf *b, const char *name, const char *v, int first)
{
	if (!first)
		w_buf_putc(b, ',');
	w_json_str(b, name, strlen(name), 1);
	w_buf_putc(b, ':');
	w_json_str(b, v, strlen(v), 1);
}

static void
json_int(w_buf *b, const char *name, int64_t v)
{
	char tmp[24];

	w_buf_putc(b, ',');
	w_json_str(b, name, strlen(name), 1);
	w_buf_putc(b, ':');
	w_buf_put(b, tmp, tx_i64(tmp, v));
}

/* One JSON line: the dead letter and its record, as operators export it. */
static int
export_one(void *arg, const state_dead *brief)
{
	lister *l = arg;
	state_dead d;
	char t[32];

	if (state_dlq_get(l->st, brief->id, &d) != 0)
		return 1;
	PUTS(&l->b, "{\"id\":");
	char tmp[24];
	w_buf_put(&l->b, tmp, tx_i64(tmp, d.id));
	PUTS(&l->b, ",");
	json_field(&l->b, "entity", d.entity, 1);
	json_field(&l->b, "key", d.source_key, 0);
	json_field(&l->b, "reason", d.reason, 0);
	json_field(&l->b, "target_error", d.target_error, 0);
	json_field(&l->b, "field", d.field, 0);
	json_int(&l->b, "line", d.line);
	json_int(&l->b, "attempts", d.attempts);
	utc(d.first_at, t, sizeof t);
	json_field(&l->b, "first_at", t, 0);
	utc(d.last_at, t, sizeof t);
	json_field(&l->b, "last_at", t, 0);
	/* the record as it came: raw JSON when it is JSON, else a string */
	size_t rn = strlen(d.record);
	if (rn && conn_json_skip(d.record, rn) == rn && (d.record[0] == '{' || d.record[0] == '[')) {
		PUTS(&l->b, ",\"record\":");
		w_buf_put(&l->b, d.record, rn);
	} else {
		json_field(&l->b, "record", d.record, 0);
	}
	PUTS(&l->b, "}\n");
	free(d.record);
	l->n++;
	return w_buf_flush(&l->b) ? 1 : 0;
}

static int
list_held(void *arg, const state_held *h)
{
	lister *l = arg;
	char first[32];

	utc(h->first_at, first, sizeof first);
	fprintf(l->out, "held  %-12s %-16s since %s  waits for %s%s%s: %s\n", h->entity,
		h->source_key[0] ? h->source_key : "(no key)", first,
		h->ref_entity[0] ? h->ref_entity : "(no ref)", h->ref_entity[0] ? " " : "",
		h->ref_key, h->why);
	l->n++;
	return 0;
}

static int
export_held(void *arg, const state_held *h)
{
	lister *l = arg;
	char t[32];

	PUTS(&l->b, "{");
	json_field(&l->b, "entity", h->entity, 1);
	json_field(&l->b, "key", h->source_key, 0);
	json_field(&l->b, "hash", h->hash, 0);
	json_field(&l->b, "waits_for_entity", h->ref_entity, 0);
	json_field(&l->b, "waits_for_key", h->ref_key, 0);
	json_field(&l->b, "why", h->why, 0);
	utc(h->first_at, t, sizeof t);
	json_field(&l->b, "first_at", t, 0);
	utc(h->last_at, t, sizeof t);
	json_field(&l->b, "last_at", t, 0);
	PUTS(&l->b, "}\n");
	l->n++;
	return w_buf_flush(&l->b) ? 1 : 0;
}

static int
show(const mw_program *p, state *st, int64_t id, FILE *out, FILE *err)
{
	state_dead d;
	char first[32], last[32], *payload = NULL;
	size_t plen = 0;

	if (state_dlq_get(st, id, &d) != 0) {
		fprintf(err, "%s: no dead letter #%lld\n", p->pair, (long long)id);
		return 2;
	}
	utc(d.first_at, first, sizeof first);
	utc(d.last_at, last, sizeof last);
	fprintf(out, "dead letter #%lld%s\n  entity    %s\n  key       %s\n  reason    %s\n"
		"  map       %s:%d%s%s\n  attempts  %d, first %s, last %s\n",
		(long long)d.id, d.dropped ? " (out of the queue)" : "", d.entity, d.source_key,
		d.reason, p->map_file, d.line, d.field[0] ? ", field " : "", d.field, d.attempts,
		first, last);
	if (d.target_error[0])
		fprintf(out, "  target    %s\n", d.target_error);
	if (state_journal_payload(st, d.entity, d.source_key, d.hash, &payload, &plen) == 0)
		fprintf(out, "  sent      %.*s\n", (int)plen, payload);
	else
		fprintf(out, "  sent      nothing (the record failed before a request)\n");
	fprintf(out, "  record    %s\n", d.record);
	free(payload);
	free(d.record);
	return 0;
}

static int
usage(const mw_program *p, FILE *err)
{
	fprintf(err, "usage: %s dlq list [--entity E] [--since T] | --held [--entity E]\n"
		"       %s dlq show ID\n"
		"       %s dlq retry ID | --all\n"
		"       %s dlq drop ID --reason TEXT\n"
		"       %s dlq export [--entity E] [--since T] | --held [--entity E]\n", p->pair,
		p->pair, p->pair, p->pair, p->pair);
	return 2;
}

static int64_t
parse_id(const char *s)
{
	char *end;
	long long v = strtoll(s ? s : "", &end, 10);

	return s && end != s && *end == '\0' && v > 0 ? v : -1;
}

int
dlq_cmd(const mw_program *p, const char *state_path, const sync_opts *o, int argc, char **argv)
{
	const char *verb = argc > 1 ? argv[1] : "", *entity = NULL, *reason = NULL;
	int64_t since = 0, id = 0;
	int all = 0, held = 0, rc = 0;
	FILE *out = o->out, *err = o->err;
	state *st;

	for (int a = 2; a < argc; a++) {
		if (!strcmp(argv[a], "--entity") && a + 1 < argc) {
			entity = argv[++a];
		} else if (!strcmp(argv[a], "--since") && a + 1 < argc) {
			if ((since = parse_since(argv[++a])) < 0) {
				fprintf(err, "%s: --since takes seconds or an RFC 3339 time, not %s\n",
					p->pair, argv[a]);
				return 2;
			}
		} else if (!strcmp(argv[a], "--reason") && a + 1 < argc) {
			reason = argv[++a];
		} else if (!strcmp(argv[a], "--all")) {
			all = 1;
		} else if (!strcmp(argv[a], "--held")) {
			held = 1;
		} else if (!id && (id = parse_id(argv[a])) < 0) {
			fprintf(err, "%s: dlq: %s is not a dead letter id\n", p->pair, argv[a]);
			return 2;
		} else if (id <= 0) {
			return usage(p, err);
		}
	}
	if (!strcmp(verb, "retry")) {
		if ((id > 0) == all)
			return usage(p, err);
		return sync_dlq_retry(p, o, all ? 0 : id);
	}
	if (strcmp(verb, "list") && strcmp(verb, "export") && ((strcmp(verb, "show") &&
	    strcmp(verb, "drop")) || id <= 0))
		return usage(p, err);
	if (held && (since || (strcmp(verb, "list") && strcmp(verb, "export"))))
		return usage(p, err);
	if (state_open_as(state_path, strcmp(verb, "drop") ? STATE_OPEN_READ : STATE_OPEN_SHARED,
	    &st) != 0) {
		fprintf(err, "%s: cannot open the state file %s: %s\n", p->pair, state_path,
			state_errmsg(st));
		state_close(st);
		return 2;
	}
	if (!strcmp(verb, "show")) {
		rc = show(p, st, id, out, err);
	} else if (!strcmp(verb, "drop")) {
		if (!reason || !*reason) {
			fprintf(err, "%s: dlq drop needs --reason: the audit log keeps why\n", p->pair);
			rc = 2;
		} else if (state_dlq_drop(st, id, reason) != 0) {
			fprintf(err, "%s: dlq drop #%lld: %s\n", p->pair, (long long)id,
				state_errmsg(st)[0] ? state_errmsg(st) : "no such live dead letter");
			rc = 2;
		} else {
			fprintf(out, "#%lld dropped: %s\n", (long long)id, reason);
		}
	} else {
		lister l = { out, st, { 0 }, 0 };
		int exp = !strcmp(verb, "export");

		if (exp && w_buf_init(&l.b, 64 << 10, RT_DOC_MAX, sync_file_sink, out) != 0) {
			state_close(st);
			return 2;
		}
		if ((held ? state_held_each(st, entity, 1 << 30, exp ? export_held : list_held, &l)
		    : state_dlq_each(st, entity, since, 1 << 30, exp ? export_one : list_one, &l))
		    != 0) {
			fprintf(err, "%s: %s\n", p->pair, state_errmsg(st));
			rc = 2;
		}
		if (exp) {
			if (w_buf_flush(&l.b))
				rc = 2;
			w_buf_fini(&l.b);
		} else if (held) {
			fprintf(out, "%ld held record%s\n", l.n, l.n == 1 ? "" : "s");
		} else {
			fprintf(out, "%ld dead letter%s\n", l.n, l.n == 1 ? "" : "s");
		}
	}
	state_close(st);
	return fflush(out) ? 2 : rc;
}
