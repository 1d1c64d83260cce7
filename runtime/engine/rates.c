/*
 * rates.c - the exchange rates behind rate(), rate_date() and convert():
 * the pair's `currency BASE from target` (the target connector's `rate`:
 * the books' own rates) or `from file PATH` (the ECB's reference-rate XML,
 * eurofxref-daily.xml or eurofxref-hist.xml, read with libxml2).
 *
 * The transform library does no I/O: the engine installs eng_rate in the
 * record's context (rt_ctx_set_rate), and generated code asks it for the
 * rate of a currency into the base on a day.  A rate the source does not
 * have (yet), or could not be asked for, fails the record and marks it to
 * be held (eng_rates_held): the engine keeps it and reads it again on the
 * next run, never writing a guess.  What was used is written on the
 * document itself (the .map puts rate() and rate_date() in its fields), so
 * the journal's payload keeps it.
 *
 * Answers are kept for the run: a rate found for an hour (a day's rate is
 * seldom corrected), a rate not there for a minute (so that 500 orders of
 * one day ask once, and a daemon sees the rate once it is entered).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "eng.h"

#define CACHE_MAX 256
#define FOUND_MS (60 * 60 * 1000)
#define MISSING_MS (60 * 1000)
#define CROSS_SCALE 10 /* places of a cross rate through EUR */

typedef struct {
	char from[4], to[4], day[11], asof[11];
	int found;                /* 1 a rate, 0 none */
	mw_dec rate;
	int64_t until_ms;
	char why[200];            /* found 0: what the source said */
} cached;

/* One rate of the ECB's file: 1 EUR = rate units of code on day. */
typedef struct {
	char code[4], day[11];
	mw_dec rate;
} ecb_rate;

struct eng_rates {
	char base[4];
	mw_rates_from from;
	char file[1024];
	/* the file's rates, sorted by code then day; reloaded when it changes */
	ecb_rate *v;
	size_t n;
	struct timespec mtime;
	off_t size;
	cached cache[CACHE_MAX];
	size_t ncache, next;
	int held;                 /* the record being mapped waits for a rate */
	run *r;                   /* the sync's (its target connector, its log); NULL: a file alone */
};

/* ------------------------------------------------------------------ */
/* the ECB's file                                                      */
/* ------------------------------------------------------------------ */

static int
by_code_day(const void *a, const void *b)
{
	const ecb_rate *x = a, *y = b;
	int c = strcmp(x->code, y->code);

	return c ? c : strcmp(x->day, y->day);
}

static int
prop(xmlNode *n, const char *name, char *out, size_t cap)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
	size_t l;

	if (!v)
		return -1;
	l = strlen((const char *)v);
	if (l >= cap) {
		xmlFree(v);
		return -1;
	}
	memcpy(out, v, l + 1);
	xmlFree(v);
	return 0;
}

/* <Cube time="2026-12-04"><Cube currency="USD" rate="1.0512"/>...</Cube>,
 * at any depth (the envelope's namespaces are not needed to find them). */
static int
walk(xmlNode *n, const char *day, ecb_rate **v, size_t *len, size_t *cap)
{
	for (; n; n = n->next) {
		char d[16], code[8], rate[48];

		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (strcmp((const char *)n->name, "Cube") != 0) {
			if (walk(n->children, day, v, len, cap) != 0)
				return -1;
			continue;
		}
		if (prop(n, "time", d, sizeof d) == 0) {
			if (strlen(d) != 10 || walk(n->children, d, v, len, cap) != 0)
				return -1;
			continue;
		}
		if (prop(n, "currency", code, sizeof code) == 0) {
			ecb_rate e;

			if (!day || strlen(code) != 3 || prop(n, "rate", rate, sizeof rate) != 0 ||
			    dec_parse(rate, strlen(rate), &e.rate) != DEC_OK ||
			    (e.rate.units <= 0 && e.rate.hi <= 0))
				return -1;
			memcpy(e.code, code, 4);
			memcpy(e.day, day, 11);
			if (*len == *cap) {
				size_t nc = *cap ? *cap * 2 : 1024;
				ecb_rate *g = realloc(*v, nc * sizeof *g);

				if (!g)
					return -1;
				*v = g;
				*cap = nc;
			}
			(*v)[(*len)++] = e;
			continue;
		}
		if (walk(n->children, day, v, len, cap) != 0)
			return -1;
	}
	return 0;
}

/* (Re)read the file when it changed: 0, or -1 with why. */
static int
load_file(eng_rates *x, char *why, size_t wn)
{
	struct stat st;
	ecb_rate *v = NULL;
	size_t n = 0, cap = 0;
	xmlDoc *doc;

	if (stat(x->file, &st) != 0) {
		snprintf(why, wn, "the rates file %s cannot be read", x->file);
		return -1;
	}
	if (x->v && st.st_size == x->size && st.st_mtim.tv_sec == x->mtime.tv_sec &&
	    st.st_mtim.tv_nsec == x->mtime.tv_nsec)
		return 0;
	doc = xmlReadFile(x->file, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR |
		XML_PARSE_NOWARNING);
	if (!doc || walk(xmlDocGetRootElement(doc), NULL, &v, &n, &cap) != 0 || n == 0) {
		snprintf(why, wn, "the rates file %s is not the ECB's reference-rate XML "
			"(<Cube time=\"YYYY-MM-DD\"><Cube currency=\"USD\" rate=\"1.0512\"/>)", x->file);
		xmlFreeDoc(doc);
		free(v);
		return -1;
	}
	xmlFreeDoc(doc);
	qsort(v, n, sizeof *v, by_code_day);
	free(x->v);
	x->v = v;
	x->n = n;
	x->size = st.st_size;
	x->mtime = st.st_mtim;
	x->ncache = x->next = 0; /* what the old file said no longer holds */
	return 0;
}

/* 1 EUR in code on the latest day <= day: 0 with *rate and asof, 1 none. */
static int
eur_rate(const eng_rates *x, const char *code, const char *day, mw_dec *rate, char *asof)
{
	size_t lo = 0, hi = x->n;

	if (!strcmp(code, "EUR")) {
		*rate = (mw_dec){ .units = 1, .scale = 0 };
		memcpy(asof, day, 11);
		return 0;
	}
	while (lo < hi) { /* the first entry after (code, day) */
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(x->v[mid].code, code);

		if (c < 0 || (c == 0 && strcmp(x->v[mid].day, day) <= 0))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || strcmp(x->v[lo - 1].code, code) != 0)
		return 1;
	*rate = x->v[lo - 1].rate;
	memcpy(asof, x->v[lo - 1].day, 11);
	return 0;
}

/* from -> to through EUR: to's rate over from's, to CROSS_SCALE places;
 * the day is the older of the two rates' (the ECB publishes them together). */
static int
file_rate(eng_rates *x, const char *from, const char *to, const char *day, mw_dec *rate,
	  char *asof, char *why, size_t wn)
{
	mw_dec f, t, num;
	char af[11], at[11];

	if (load_file(x, why, wn) != 0)
		return -1;
	if (eur_rate(x, from, day, &f, af) || eur_rate(x, to, day, &t, at)) {
		snprintf(why, wn, "the rates file has no %s rate on or before %s",
			eur_rate(x, from, day, &f, af) ? from : to, day);
		return 1;
	}
	if (!strcmp(from, "EUR") || !strcmp(to, "EUR")) {
		/* the EUR side's "day" is the one asked for: the other's is the rate's */
		memcpy(asof, !strcmp(from, "EUR") ? at : af, 11);
		if (!strcmp(from, "EUR")) {
			*rate = t;
			return 0;
		}
	} else {
		memcpy(asof, strcmp(af, at) < 0 ? af : at, 11);
	}
	/* t / f to CROSS_SCALE places: t times 1.0000000000 has CROSS_SCALE
	 * more places, which dec_div keeps (its scale is the larger one's) */
	if (dec_mul(t, (mw_dec){ .units = 10000000000, .scale = CROSS_SCALE }, &num) != DEC_OK ||
	    dec_div(num, f, &num) != DEC_OK || dec_round(num, CROSS_SCALE, rate) != DEC_OK) {
		snprintf(why, wn, "the %s/%s cross rate does not fit a decimal", from, to);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* the rate callback                                                   */
/* ------------------------------------------------------------------ */

static cached *
cache_find(eng_rates *x, const char *from, const char *to, const char *day, int64_t now)
{
	for (size_t i = 0; i < x->ncache; i++) {
		cached *e = &x->cache[i];

		if (!strcmp(e->from, from) && !strcmp(e->to, to) && !strcmp(e->day, day) &&
		    now < e->until_ms)
			return e;
	}
	return NULL;
}

static cached *
cache_slot(eng_rates *x)
{
	cached *e;

	if (x->ncache < CACHE_MAX)
		return &x->cache[x->ncache++];
	e = &x->cache[x->next];
	x->next = (x->next + 1) % CACHE_MAX;
	return e;
}

typedef struct {
	const char *from, *to, *day;
	mw_dec *rate;
	char *asof;
} rate_args;

/* The target's rate (conn_ops.rate), for eng_multi_read. */
static int
rate_call(run *r, void *arg, conn_result *res)
{
	rate_args *a = arg;

	return r->books_ops->rate(r->books_rd, a->from, a->to, a->day, a->rate, a->asof, res);
}

/* The books' rate when they are the entity's target: on the loop of its
 * writes in flight, which go on meanwhile. */
static int
rate_read(run *r, void *arg, conn_result *res)
{
	return eng_multi_read(r, &r->tctl.gate, rate_call, arg, res);
}

static int
eng_rate(mw_ctx *c, void *data, const char *from, const char *to, const mw_time *day,
	 mw_dec *rate, mw_time *asof)
{
	eng_rates *x = data;
	run *r = x->r;
	char d[TM_BUF];
	int64_t now = eng_mono_ms();
	cached *e;
	/* rate_per_base() asks from the base into a currency: the messages name
	 * that currency all the same */
	int inv = !strcmp(from, x->base);
	const char *fx = inv ? to : from;

	tm_format(day, d);
	e = cache_find(x, from, to, d, now);
	if (!e) {
		char why[200] = "";
		conn_result res;
		int rc;

		memset(&res, 0, sizeof res);
		e = cache_slot(x);
		memset(e, 0, sizeof *e);
		memcpy(e->from, from, 4);
		memcpy(e->to, to, 4);
		memcpy(e->day, d, 11);
		if (x->from == MW_RATES_FILE) {
			rc = file_rate(x, from, to, d, &e->rate, e->asof, why, sizeof why);
		} else if (!r || !r->books_ops->rate) {
			rc = -1;
			snprintf(why, sizeof why, "the target keeps no exchange rates");
		} else {
			rate_args a = { fx, x->base, d, &e->rate, e->asof };
			char what[96];

			/* a failure for now (a 503, a 429, a dropped connection) is
			 * asked again as the entity's policy says: a record is held
			 * for a rate the books do not have, not for a hiccup */
			snprintf(what, sizeof what, "reading the %.3s rate of %.11s", fx, d);
			rc = r->tc == &r->tctl && r->e && r->target_read ?
				r->target_read(r, rate_read, &a, &res, what) :
				rate_call(r, &a, &res);
			/* a service keeps rates into its home currency: the other way
			 * round is its inverse, to CROSS_SCALE places */
			if (rc == 0 && inv && (dec_div((mw_dec){ .units = 10000000000,
			    .scale = CROSS_SCALE }, e->rate, &e->rate) != DEC_OK ||
			    dec_round(e->rate, CROSS_SCALE, &e->rate) != DEC_OK)) {
				rc = -1;
				snprintf(res.text, sizeof res.text, "its inverse does not fit a decimal");
			}
			if (rc == 1)
				snprintf(why, sizeof why, "the target has no %s rate on %s yet", fx, d);
			else if (rc < 0)
				snprintf(why, sizeof why, "the target's rate could not be read: %.150s",
					res.text);
		}
		e->found = rc == 0;
		/* a rate that could not be read is not kept: the next record asks */
		e->until_ms = now + (rc == 0 ? FOUND_MS : rc == 1 || x->from == MW_RATES_FILE ?
			MISSING_MS : 0);
		snprintf(e->why, sizeof e->why, "%s", why);
	}
	if (!e->found) {
		x->held = 1;
		mw_fail(c, "no %s rate into %s for %s: %s; the record waits for it", fx, x->base, d,
			e->why);
		return -1;
	}
	*rate = e->rate;
	if (tm_parse(e->asof, 10, asof) != 0) {
		x->held = 1;
		mw_fail(c, "the %s rate's day %s is not a date", fx, e->asof);
		return -1;
	}
	return 0;
}

int
eng_rates_open(run *r, char *why, size_t wn)
{
	const mw_currency *cur = &r->p->currency;
	const char *base, *file = NULL;
	eng_rates *x;

	if (cur->from == MW_RATES_NONE)
		return 0;
	base = cur->base.env ? getenv(cur->base.env) : cur->base.literal;
	if (!base || rt_currency_places(base) < 0 || strlen(base) != 3 ||
	    strspn(base, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 3) {
		snprintf(why, wn, "the base currency (%s's `currency`, %s) is %s%.16s%s: an ISO 4217 "
			"code is needed", r->p->map_file, cur->base.env ? cur->base.env : "literal",
			base ? "\"" : "not set", base ? base : "", base ? "\"" : "");
		return -1;
	}
	if (cur->from == MW_RATES_TARGET) {
		/* mapc refuses `from target` of a schema with no rates (E097); a
		 * schema that has them for a connector that reads none (Xero's API
		 * publishes none) is refused here, before a record is read, not
		 * found out record by record as held "no rate" */
		const conn_ops *ops = conn_find_ops(r->p->target.service);

		if (!ops || !ops->rate) {
			snprintf(why, wn, "%s's `currency` takes its rates `from target`, but the %s "
				"connector reads no exchange rates (the service publishes none to ask "
				"for): take them `from file` (the ECB's reference-rate XML)",
				r->p->map_file, r->p->target.service);
			return -1;
		}
	}
	if (cur->from == MW_RATES_FILE) {
		file = cur->file.env ? getenv(cur->file.env) : cur->file.literal;
		if (!file || !*file || strlen(file) >= sizeof x->file) {
			snprintf(why, wn, "the rates file (%s's `currency`, %s) is not set",
				r->p->map_file, cur->file.env ? cur->file.env : "literal");
			return -1;
		}
	}
	x = calloc(1, sizeof *x);
	if (!x) {
		snprintf(why, wn, "out of memory");
		return -1;
	}
	memcpy(x->base, base, 4);
	x->from = cur->from;
	x->r = r;
	if (file) {
		snprintf(x->file, sizeof x->file, "%s", file);
		if (load_file(x, why, wn) != 0) {
			free(x);
			return -1;
		}
	}
	r->rates = x;
	return 0;
}

void
eng_rates_close(run *r)
{
	eng_rates_free(r->rates);
	r->rates = NULL;
}

void
eng_rates_begin(run *r)
{
	if (!r->rates)
		return;
	r->rates->held = 0;
	rt_ctx_set_rate(r->c, eng_rate, r->rates, r->rates->base);
}

eng_rates *
eng_rates_file(const mw_program *p, const char *path, char *why, size_t wn)
{
	const mw_currency *cur = &p->currency;
	const char *base = cur->base.env ? getenv(cur->base.env) : cur->base.literal;
	eng_rates *x;

	if (cur->from == MW_RATES_NONE || !base || rt_currency_places(base) < 0 ||
	    strlen(base) != 3) {
		snprintf(why, wn, "%s", cur->from == MW_RATES_NONE ? "the mapping declares no "
			"`currency`" : "the mapping's base currency is not set to an ISO 4217 code");
		return NULL;
	}
	if (strlen(path) >= sizeof x->file || !(x = calloc(1, sizeof *x))) {
		snprintf(why, wn, "out of memory");
		return NULL;
	}
	memcpy(x->base, base, 4);
	x->from = MW_RATES_FILE;
	memcpy(x->file, path, strlen(path) + 1);
	if (load_file(x, why, wn) != 0) {
		free(x);
		return NULL;
	}
	return x;
}

void
eng_rates_free(eng_rates *x)
{
	if (!x)
		return;
	free(x->v);
	free(x);
}

void
eng_rates_install(eng_rates *x, mw_ctx *c)
{
	rt_ctx_set_rate(c, eng_rate, x, x->base);
}

int
eng_rates_held(const run *r)
{
	return r->rates && r->rates->held;
}
