/*
 * cli.c - the pair binary's command line: --help, --version, and
 * `transform ENTITY`, the stateless filter from source records (NDJSON on
 * stdin) to target documents (one per line on stdout, in input order).
 *
 * A record that cannot be mapped becomes one dead-letter JSON line naming
 * the entity, key, .map line, target field and reason, with the record as
 * it came; the stream goes on.  Memory stays flat however long the stream:
 * one input buffer (lines up to RT_LINE_MAX), one context whose arena and
 * document buffer are reused for every record, and large stdio writes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "engine.h"
#include "transform.h"

#define RD_FIRST  ((size_t)1 << 20)
#define RD_HEAD   256            /* bytes of an overlong line kept for its dead letter */

/* ------------------------------------------------------------------ */
/* the line reader                                                     */
/* ------------------------------------------------------------------ */

typedef struct {
	int fd;
	char *buf;
	size_t cap, beg, end;    /* unconsumed input is buf[beg, end) */
	size_t scanned;          /* of it, bytes already searched for '\n' */
	int eof, err;
	int short_read;          /* the last read returned less than asked */
	FILE *out;               /* flushed before waiting on a trickling input */
	char head[RD_HEAD];
	const char *key_field;   /* an overlong line's key is looked for in its bytes */
	json_scan ks;            /* ... by this scan: ks.found, ks.val */
} rd;

enum { RD_LINE, RD_EOF, RD_LONG, RD_ERR };

/* Read more into buf[end, cap). */
static void
fill(rd *r)
{
	ssize_t n;
	size_t want = r->cap - r->end;

	/* Input arrives slowly (a pipe from a live source): let what is
	 * already done reach the consumer before blocking. */
	if (r->short_read && r->out)
		fflush(r->out);
	do
		n = read(r->fd, r->buf + r->end, want);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		r->err = errno;
		r->eof = 1;
		return;
	}
	if (n == 0)
		r->eof = 1;
	r->short_read = (size_t)n < want;
	r->end += (size_t)n;
}

/* An overlong line: keep its head for the dead letter, discard the rest
 * up to the next newline without buffering it. */
static int
skip_long(rd *r, const char **line, size_t *len, size_t *total)
{
	size_t t = r->end - r->beg;

	memcpy(r->head, r->buf + r->beg, RD_HEAD);
	json_scan_init(&r->ks, r->key_field);
	json_scan_feed(&r->ks, r->buf + r->beg, t);
	r->beg = r->end = r->scanned = 0;
	while (!r->eof) {
		char *nl;

		fill(r);
		nl = memchr(r->buf, '\n', r->end);
		json_scan_feed(&r->ks, r->buf, nl ? (size_t)(nl - r->buf) : r->end);
		if (nl) {
			t += (size_t)(nl - r->buf);
			r->beg = (size_t)(nl - r->buf) + 1;
			break;
		}
		t += r->end;
		r->end = 0;
	}
	*line = r->head;
	*len = RD_HEAD;
	*total = t;
	return RD_LONG;
}

static int
rd_line(rd *r, const char **line, size_t *len, size_t *total)
{
	for (;;) {
		size_t have = r->end - r->beg;
		char *s = r->buf + r->beg, *nl = NULL;

		if (have > r->scanned)
			nl = memchr(s + r->scanned, '\n', have - r->scanned);
		if (nl || (r->eof && have > 0 && have <= RT_LINE_MAX)) {
			size_t n = nl ? (size_t)(nl - s) : have;

			r->beg += nl ? n + 1 : n;
			r->scanned = 0;
			if (n > RT_LINE_MAX) {
				*total = n;
				memcpy(r->head, s, RD_HEAD);
				json_scan_init(&r->ks, r->key_field);
				json_scan_feed(&r->ks, s, n);
				*line = r->head;
				*len = RD_HEAD;
				return RD_LONG;
			}
			if (n > 0 && s[n - 1] == '\r')
				n--;
			*line = s;
			*len = n;
			return RD_LINE;
		}
		r->scanned = have;
		if (have > RT_LINE_MAX)
			return skip_long(r, line, len, total);
		if (r->eof)
			return r->err ? RD_ERR : RD_EOF;
		if (r->end == r->cap && r->beg > 0) {
			memmove(r->buf, s, have);
			r->beg = 0;
			r->end = have;
		}
		if (r->end == r->cap) {
			size_t cap = r->cap * 2 > RT_LINE_MAX + 1 ? RT_LINE_MAX + 1 : r->cap * 2;
			char *p = realloc(r->buf, cap);

			if (!p) {
				r->err = ENOMEM;
				return RD_ERR;
			}
			r->buf = p;
			r->cap = cap;
		}
		fill(r);
	}
}

/* ------------------------------------------------------------------ */
/* transform                                                           */
/* ------------------------------------------------------------------ */

typedef struct {
	const mw_program *p;
	const mw_entity *e;
	mw_ctx *c;
	FILE *out;
	w_buf dl;                /* dead letters, draining into their file */
	long dead;
} tx;

#define PUTS(b, lit) w_buf_put((b), (lit), sizeof(lit) - 1)

static void
json_z(w_buf *b, const char *s)
{
	if (s)
		w_json_str(b, s, strlen(s), 1);
	else
		PUTS(b, "null");
}

/* One dead-letter line for the context's failure.  `key` NULL: unknown;
 * `is_json`: the line parsed, so it goes in as it is, else as a string. */
static int
dead(tx *t, const mw_val *key, const char *line, size_t n, int is_json)
{
	w_buf *b = &t->dl;
	mw_ctx *c = t->c;
	char tmp[64];
	const char *kp;
	size_t kn;

	t->dead++;
	PUTS(b, "{\"entity\":");
	json_z(b, t->e->name);
	PUTS(b, ",\"key\":");
	if (key && rt_val_text(*key, tmp, &kp, &kn) == 0)
		w_json_str(b, kp, kn, 1);
	else
		PUTS(b, "null");
	PUTS(b, ",\"map\":");
	json_z(b, t->p->map_file);
	PUTS(b, ",\"line\":");
	if (c->fail_line > 0) {
		kn = tx_i64(tmp, c->fail_line);
		w_buf_put(b, tmp, kn);
	} else {
		PUTS(b, "null");
	}
	PUTS(b, ",\"field\":");
	json_z(b, c->path[0] ? c->path : NULL);
	PUTS(b, ",\"reason\":");
	json_z(b, c->reason);
	PUTS(b, ",\"record\":");
	if (is_json)
		w_buf_put(b, line, n);
	else
		w_json_str(b, line, n, 1);
	PUTS(b, "}\n");
	return w_buf_flush(b) ? -1 : 0;
}

/* Map one record: 0 done (written, filtered or dead-lettered), -1 on an
 * output error. */
static int
record(tx *t, const char *line, size_t n)
{
	mw_ctx *c = t->c;
	mw_val key;

	switch (rt_map_one(t->p, t->e, c, line, n, &key)) {
	case RT_MAP_FILTERED:
		return 0;
	case RT_MAP_RAW:
		return dead(t, NULL, line, n, 0);
	case RT_MAP_NOKEY:
		return dead(t, NULL, line, n, 1);
	case RT_MAP_DOC:
		w_buf_putc(&c->w.out, '\n');
		if (c->w.out.err) {
			rt_fail_mem(c);
			return dead(t, &key, line, n, 1);
		}
		if (fwrite(c->w.out.p, 1, c->w.out.len, t->out) != c->w.out.len)
			return -1;
		return 0;
	default:
		return dead(t, &key, line, n, 1);
	}
}

static int
blank(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return 0;
	return 1;
}

static int
transform(const mw_program *p, const mw_entity *e, FILE *in, FILE *out, FILE *dl,
	  eng_rates *rates, FILE *err)
{
	tx t;
	rd r;
	int st, rc = 0;

	memset(&t, 0, sizeof t);
	memset(&r, 0, sizeof r);
	t.p = p;
	t.e = e;
	t.out = out;
	r.fd = fileno(in);
	r.out = out;
	r.key_field = e->key_field ? e->key_field : "";
	r.cap = RD_FIRST;
	r.buf = malloc(r.cap);
	t.c = rt_ctx_new();
	if (!r.buf || !t.c || w_buf_init(&t.dl, 64 << 10, RT_DOC_MAX, sync_file_sink, dl)) {
		fprintf(err, "%s: out of memory\n", p->pair);
		free(r.buf);
		rt_ctx_free(t.c);
		w_buf_fini(&t.dl);
		return 2;
	}
	if (rates)
		eng_rates_install(rates, t.c);
	for (;;) {
		const char *line;
		size_t n, total = 0;

		st = rd_line(&r, &line, &n, &total);
		if (st == RD_EOF)
			break;
		if (st == RD_ERR) {
			fprintf(err, "%s: reading the input: %s\n", p->pair, strerror(r.err));
			rc = 2;
			break;
		}
		if (st == RD_LONG) {
			/* its key, if the scan of its bytes found it */
			mw_val key = { .kind = MW_STR };

			key.u.s.p = r.ks.val;
			key.u.s.n = strlen(r.ks.val);
			rt_ctx_reset(t.c);
			mw_fail(t.c, "record too large: a line of %zu bytes (the limit is %zu);"
				" the record shows its first %d bytes", total, RT_LINE_MAX,
				RD_HEAD);
			if (dead(&t, r.ks.found ? &key : NULL, line, n, 0))
				goto io;
			continue;
		}
		if (blank(line, n))
			continue;
		if (record(&t, line, n))
			goto io;
	}
	if (0) {
io:
		rc = 2;
	}
	if (w_buf_flush(&t.dl) || fflush(dl) || ferror(dl)) {
		fprintf(err, "%s: writing dead letters: %s\n", p->pair, strerror(errno));
		rc = 2;
	}
	if (fflush(out) || ferror(out)) {
		fprintf(err, "%s: writing the output: %s\n", p->pair, strerror(errno));
		rc = 2;
	}
	if (rc == 0 && t.dead > 0)
		rc = 1;
	free(r.buf);
	rt_ctx_free(t.c);
	w_buf_fini(&t.dl);
	return rc;
}

/* ------------------------------------------------------------------ */
/* the command line                                                    */
/* ------------------------------------------------------------------ */

static void
usage(const mw_program *p, FILE *f)
{
	fprintf(f, "usage: %s transform ENTITY [--dead-letter FILE] [--rates ECB_XML]\n"
		"       %s run --once [--dry-run] [--init] [--state FILE] [--config FILE] [--batch N]\n"
		"       %s status [--state FILE] [--config FILE]\n"
		"       %s serve [--init] [--state FILE] [--config FILE] [--port N] [--port-file FILE]\n"
		"            [--bind ADDR] [--log-level debug|info|warn|error] [--log-json]\n"
		"            [--worker [--lease-ms N]]\n"
		"       %s dlq list|show ID|retry ID|--all|drop ID --reason TEXT|export\n"
		"       %s explain ENTITY [--map FILE] < record.json\n"
		"       %s test FILE.test...\n"
		"       %s --help | --version\n", p->pair, p->pair, p->pair, p->pair, p->pair,
		p->pair, p->pair, p->pair);
}

static void
entities(const mw_program *p, FILE *f, const char *sep)
{
	size_t i;

	for (i = 0; i < p->n_entities; i++)
		fprintf(f, "%s%s", i ? sep : "", p->entities[i].name);
}

static void
help(const mw_program *p, FILE *f)
{
	size_t i, w = 0;

	fprintf(f, "%s: %s -> %s, compiled from %s by mapc %s\n\n", p->pair,
		p->source.service, p->target.service, p->map_file, p->mapc_version);
	usage(p, f);
	fprintf(f, "\n"
		"  transform ENTITY  read source records (NDJSON) on stdin and write the\n"
		"                    target documents on stdout, one per line, in input\n"
		"                    order; records that fail become dead-letter JSON lines\n"
		"                    on stderr or in FILE (truncated first)\n"
		"  run --once        sync every entity once, in dependency order: list what\n"
		"                    changed in the source since the entity's cursor,\n"
		"                    transform, write to the target with idempotency keys,\n"
		"                    record outcomes in the state file; prints a summary\n"
		"    --dry-run       print the write requests instead of sending them;\n"
		"                    records nothing: the state file is read, never written\n"
		"                    or made (what the run records stays in memory)\n"
		"    --init          the state file may be a file of 0 bytes: made a new one\n"
		"                    (without it, only a path where nothing is gets one)\n"
		"    --state FILE    the state file (default: $MW_STATE, else PAIR.state);\n"
		"                    one process at a time syncs it (FILE.lock), and a file\n"
		"                    that is not a state file is refused, never replaced;\n"
		"                    or postgresql://USER@HOST/DB?schema=NAME: PostgreSQL\n"
		"    --config FILE   NAME=value lines for the settings' environment\n"
		"                    variables (the environment wins)\n"
		"    --batch N       at most N documents a request\n"
		"    --call-log FILE one line per HTTP call: time (ms), service, status,\n"
		"                    duration (ms), calls metered, method\n"
		"  serve             the daemon: polls each entity at its .map interval,\n"
		"                    takes signed webhooks on /webhooks/SOURCE (a hint:\n"
		"                    the record is fetched), /healthz, /metrics; SIGTERM\n"
		"                    finishes or journals what is in flight and exits 0\n"
		"    --worker        one of several daemons of the pair on one PostgreSQL\n"
		"                    schema: each entity polled by one at a time (a lease),\n"
		"                    webhook events claimed; on a state file, the same as\n"
		"                    without it (one process at a time)\n"
		"    --lease-ms N    a worker's leases last N ms (default 10000): a dead\n"
		"                    worker's entities are taken over within 4/3 of it\n"
		"  status            cursors, synced, pending and dead-letter counts, and\n"
		"                    the newest dead letters\n"
		"  dlq list [--entity E] [--since T]   the live dead letters\n"
		"  dlq list --held [--entity E]        the held records and what each waits for\n"
		"  dlq show ID       record, reason, target error, attempts, payload sent\n"
		"  dlq retry ID|--all  through the mapping as built now, same idempotency key;\n"
		"                    --all: up to the target's concurrent requests at once\n"
		"                    (--call-log FILE: as run's)\n"
		"  dlq drop ID --reason TEXT           out of the queue, kept in the audit log\n"
		"  dlq export [--entity E] [--since T] JSON lines (--held: of the held records)\n"
		"  explain ENTITY    one record (stdin): the document, and per field its value,\n"
		"                    .map line and rule and the table entries it used; for a\n"
		"                    dead letter, what led to it (--map: the .map file)\n"
		"  test FILE.test... fixture tests (mappings/tests/PAIR/): documents compared\n"
		"                    field by field, with the .map line of each difference\n"
		"  --help            this text\n"
		"  --version         mapc version, map file, pair, runtime ABI\n"
		"\nexit status: 0 every record written or filtered, 1 some dead-lettered,\n"
		"2 usage or I/O error, 3 (run) some records held or pending\n"
		"\nentities (source collection -> target type):\n");
	for (i = 0; i < p->n_entities; i++)
		if (strlen(p->entities[i].name) > w)
			w = strlen(p->entities[i].name);
	for (i = 0; i < p->n_entities; i++) {
		const mw_entity *e = &p->entities[i];

		fprintf(f, "  %-*s  %s.%s -> %s.%s%s\n", (int)w, e->name, rt_reads(p, e)->alias,
			e->source, rt_writes(p, e)->alias, e->target,
			rt_writes(p, e)->format_xml ? " (XML)" : "");
	}
}

/* --config FILE: NAME=value lines (# comments, blank lines) set the
 * environment variables the .map's settings name, unless already set. */
static int
load_config(const mw_program *p, const char *path, FILE *err)
{
	char line[8192];
	int n = 0;
	FILE *f = fopen(path, "r");

	if (!f) {
		fprintf(err, "%s: cannot open %s: %s\n", p->pair, path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof line, f)) {
		char *eq, *end = line + strlen(line);

		n++;
		while (end > line && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
			*--end = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		eq = strchr(line, '=');
		if (!eq || eq == line) {
			fprintf(err, "%s:%d: error: expected NAME=value\n", path, n);
			fclose(f);
			return -1;
		}
		*eq = '\0';
		if (setenv(line, eq + 1, 0) != 0) {
			fprintf(err, "%s:%d: error: cannot set %s\n", path, n, line);
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	return 0;
}

static int
sync_cmd(const mw_program *p, int argc, char **argv, FILE *out, FILE *err)
{
	static char def[300];
	sync_opts o;
	int status = strcmp(argv[1], "status") == 0, serve = strcmp(argv[1], "serve") == 0;
	unsigned port = 8080;
	const char *port_file = NULL;

	memset(&o, 0, sizeof o);
	o.out = out;
	o.err = err;
	o.log_level = serve ? 1 : 0;
	o.state_path = getenv("MW_STATE");
	for (int a = 2; a < argc; a++) {
		const char *s = argv[a];

		if (serve && !strcmp(s, "--log-json")) {
			o.log_json = 1;
			continue;
		}
		if (serve && !strcmp(s, "--worker")) {
			o.worker = 1;
			continue;
		}
		if (serve && !strcmp(s, "--lease-ms") && a + 1 < argc) {
			char *end;
			long long n = strtoll(argv[++a], &end, 10);

			if (*end || n < 300 || n > 3600000) {
				fprintf(err, "%s: --lease-ms takes 300 to 3600000\n", p->pair);
				return 2;
			}
			o.lease_ms = n;
			continue;
		}
		if (serve && (!strcmp(s, "--port") || !strcmp(s, "--port-file") ||
		    !strcmp(s, "--log-level") || !strcmp(s, "--bind")) && a + 1 < argc) {
			const char *v = argv[++a];
			static const char *const levels[] = { "debug", "info", "warn", "error" };
			char *end;

			if (!strcmp(s, "--port-file")) {
				port_file = v;
			} else if (!strcmp(s, "--bind")) {
				o.bind = v;
			} else if (!strcmp(s, "--port")) {
				long n = strtol(v, &end, 10);

				if (*end || n < 0 || n > 65535) {
					fprintf(err, "%s: --port takes 0 to 65535\n", p->pair);
					return 2;
				}
				port = (unsigned)n;
			} else {
				o.log_level = -1;
				for (int i = 0; i < 4; i++)
					if (!strcmp(v, levels[i]))
						o.log_level = i;
				if (o.log_level < 0) {
					fprintf(err, "%s: --log-level is debug, info, warn or error\n",
						p->pair);
					return 2;
				}
			}
			continue;
		}
		if (!strcmp(s, "--init") && !status) {
			o.init = 1;
			continue;
		}
		if (serve && (!strcmp(s, "--once") || !strcmp(s, "--dry-run"))) {
			fprintf(err, "%s: serve runs until stopped; use run --once\n", p->pair);
			return 2;
		}
		if (!strcmp(s, "--once") && !status) {
			o.once = 1;
		} else if (!strcmp(s, "--dry-run") && !status) {
			o.dry_run = 1;
		} else if ((!strcmp(s, "--state") || !strcmp(s, "--config") ||
			    ((!strcmp(s, "--batch") || !strcmp(s, "--call-log")) && !status)) &&
			   a + 1 < argc) {
			const char *v = argv[++a];

			if (!strcmp(s, "--call-log")) {
				if (!(o.call_log = fopen(v, "a"))) {
					fprintf(err, "%s: cannot open %s: %s\n", p->pair, v, strerror(errno));
					return 2;
				}
				setvbuf(o.call_log, NULL, _IOLBF, 0);
			} else if (!strcmp(s, "--state")) {
				o.state_path = v;
			} else if (!strcmp(s, "--config")) {
				if (load_config(p, v, err) != 0)
					return 2;
			} else {
				char *end;
				long b = strtol(v, &end, 10);

				if (*end || b < 1 || b > 1000) {
					fprintf(err, "%s: --batch takes 1 to 1000\n", p->pair);
					return 2;
				}
				o.batch = (int)b;
			}
		} else {
			fprintf(err, "%s: %s: unknown or incomplete option %s\n", p->pair, argv[1], s);
			usage(p, err);
			return 2;
		}
	}
	if (!o.state_path || !*o.state_path) /* MW_STATE=... in a --config file */
		o.state_path = getenv("MW_STATE");
	if (!o.state_path || !*o.state_path) {
		snprintf(def, sizeof def, "%s.state", p->pair);
		o.state_path = def;
	}
	if (status)
		return sync_status(p, o.state_path, out, err);
	if (o.init && o.dry_run) {
		fprintf(err, "%s: --init and --dry-run: a dry run makes no state file\n", p->pair);
		return 2;
	}
	if (o.worker && o.init) {
		fprintf(err, "%s: --init and --worker: --init is for a state file of 0 bytes; "
			"a worker shares a schema (made where there is none)\n", p->pair);
		return 2;
	}
	if (o.lease_ms && !o.worker) {
		fprintf(err, "%s: --lease-ms is a worker's (--worker)\n", p->pair);
		return 2;
	}
	if (serve) {
		int rc = sync_serve(p, &o, port, port_file);
		if (o.call_log)
			fclose(o.call_log);
		return rc;
	}
	if (!o.once) {
		fprintf(err, "%s: run needs --once (the daemon is `serve`)\n",
			p->pair);
		return 2;
	}
	o.progress = isatty(fileno(err));
	int rc = sync_once(p, &o);
	if (o.call_log)
		fclose(o.call_log);
	return rc;
}

/* `dlq ...` with --state FILE and --config FILE taken out wherever they are. */
static int
dlq_entry(const mw_program *p, int argc, char **argv, FILE *out, FILE *err)
{
	static char def[300];
	char *rest[64];
	int n = 0;
	sync_opts o;

	memset(&o, 0, sizeof o);
	o.out = out;
	o.err = err;
	o.once = 1;
	o.state_path = getenv("MW_STATE");
	for (int a = 1; a < argc && n < 63; a++) {
		if ((!strcmp(argv[a], "--state") || !strcmp(argv[a], "--config")) && a + 1 < argc) {
			if (!strcmp(argv[a], "--state"))
				o.state_path = argv[a + 1];
			else if (load_config(p, argv[a + 1], err) != 0)
				return 2;
			a++;
		} else if (!strcmp(argv[a], "--call-log") && a + 1 < argc && !o.call_log) {
			/* dlq retry's calls, as run's (make bench-rate) */
			if (!(o.call_log = fopen(argv[++a], "a"))) {
				fprintf(err, "%s: cannot open %s: %s\n", p->pair, argv[a], strerror(errno));
				return 2;
			}
			setvbuf(o.call_log, NULL, _IOLBF, 0);
		} else {
			rest[n++] = argv[a];
		}
	}
	rest[n] = NULL;
	if (!o.state_path || !*o.state_path) /* MW_STATE=... in a --config file */
		o.state_path = getenv("MW_STATE");
	if (!o.state_path || !*o.state_path) {
		snprintf(def, sizeof def, "%s.state", p->pair);
		o.state_path = def;
	}
	int rc = dlq_cmd(p, o.state_path, &o, n, rest);
	if (o.call_log && fclose(o.call_log) != 0)
		rc = 2;
	return rc;
}

int
mw_cli_run(const mw_program *p, int argc, char **argv, FILE *in, FILE *out, FILE *err)
{
	const char *cmd, *ent = NULL, *dlpath = NULL, *ratespath = NULL;
	eng_rates *rates = NULL;
	char why[1200];
	const mw_entity *e = NULL;
	FILE *dl;
	size_t i;
	int a, rc;

	if (p->abi != MW_ABI_VERSION) {
		fprintf(err, "%s: generated for runtime ABI %d, this runtime is ABI %d\n",
			p->pair, p->abi, MW_ABI_VERSION);
		return 2;
	}
	if (argc < 2) {
		usage(p, err);
		return 2;
	}
	cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		help(p, out);
		return fflush(out) || ferror(out) ? 2 : 0;
	}
	if (strcmp(cmd, "--version") == 0) {
		fprintf(out, "%s (mapwright) mapc %s, map %s, pair %s, ABI %d\n", p->pair,
			p->mapc_version, p->map_file, p->pair, MW_ABI_VERSION);
		return fflush(out) || ferror(out) ? 2 : 0;
	}
	if (strcmp(cmd, "run") == 0 || strcmp(cmd, "status") == 0 || strcmp(cmd, "serve") == 0)
		return sync_cmd(p, argc, argv, out, err);
	if (strcmp(cmd, "dlq") == 0)
		return dlq_entry(p, argc, argv, out, err);
	if (strcmp(cmd, "test") == 0)
		return rt_test(p, argc - 2, argv + 2, out, err);
	if (strcmp(cmd, "explain") == 0) {
		const mw_entity *x = NULL;

		for (int a = 3; a + 1 < argc; a++)
			if (!strcmp(argv[a], "--map") && setenv("MW_MAP", argv[a + 1], 1) != 0)
				return 2;
		for (size_t i = 0; argc > 2 && i < p->n_entities && !x; i++)
			if (!strcmp(p->entities[i].name, argv[2]))
				x = &p->entities[i];
		if (!x) {
			fprintf(err, "%s: explain needs an entity; known entities: ", p->pair);
			entities(p, err, ", ");
			fputc('\n', err);
			return 2;
		}
		return rt_explain(p, x, in, out, err);
	}
	if (strcmp(cmd, "transform") != 0) {
		fprintf(err, "%s: unknown command \"%s\"\n", p->pair, cmd);
		usage(p, err);
		return 2;
	}
	for (a = 2; a < argc; a++) {
		const char *s = argv[a];

		if (strcmp(s, "--dead-letter") == 0) {
			if (++a == argc) {
				fprintf(err, "%s: --dead-letter needs a file\n", p->pair);
				return 2;
			}
			dlpath = argv[a];
		} else if (strncmp(s, "--dead-letter=", 14) == 0) {
			dlpath = s + 14;
		} else if (strcmp(s, "--rates") == 0 && a + 1 < argc) {
			ratespath = argv[++a];
		} else if (s[0] == '-' && s[1]) {
			fprintf(err, "%s: unknown option %s\n", p->pair, s);
			usage(p, err);
			return 2;
		} else if (!ent) {
			ent = s;
		} else {
			fprintf(err, "%s: unexpected argument \"%s\"\n", p->pair, s);
			usage(p, err);
			return 2;
		}
	}
	if (ent)
		for (i = 0; i < p->n_entities && !e; i++)
			if (strcmp(p->entities[i].name, ent) == 0)
				e = &p->entities[i];
	if (!e) {
		if (ent)
			fprintf(err, "%s: unknown entity \"%s\"; known entities: ", p->pair, ent);
		else
			fprintf(err, "%s: transform needs an entity; known entities: ", p->pair);
		entities(p, err, ", ");
		fputc('\n', err);
		return 2;
	}
	dl = err;
	if (dlpath && !(dl = fopen(dlpath, "w"))) {
		fprintf(err, "%s: cannot open %s: %s\n", p->pair, dlpath, strerror(errno));
		return 2;
	}
	if (ratespath && !(rates = eng_rates_file(p, ratespath, why, sizeof why))) {
		fprintf(err, "%s: --rates %s: %s\n", p->pair, ratespath, why);
		if (dlpath)
			fclose(dl);
		return 2;
	}
	rc = transform(p, e, in, out, dl, rates, err);
	eng_rates_free(rates);
	if (dlpath && fclose(dl) != 0) {
		fprintf(err, "%s: closing %s: %s\n", p->pair, dlpath, strerror(errno));
		rc = 2;
	}
	return rc;
}

int
mw_cli_main(int argc, char **argv, const mw_program *p)
{
	static char obuf[1 << 20];

	/* one large buffer: documents leave in big writes */
	setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
	return mw_cli_run(p, argc, argv, stdin, stdout, stderr);
}
