/*
 * group.c - aggregate entities: `group by KEY total FIELD` (docs/sync.md,
 * "Aggregate entities").  The records of one group key make one document,
 * the group's: a settlement day's GL batch of the day's payments.
 *
 * Each record read is a member: mapped as any record (its `when`, its
 * group key), the record is kept in the state file's cross-references,
 * under the entity "NAME/member" (source id: the record's key; target id:
 * its group key; hash: the record's; document: the record's JSON), and its
 * group is marked to be written again (so is the group it left, when its
 * key changed).  The members of a group are therefore all there when it is
 * written, whichever run listed them: a payment listed a day later joins
 * its day's group.
 *
 * At the end of the entity's listing (group_flush), each group marked is
 * made from all its members, each mapped again by this mapping (a group
 * retried after the .map was fixed is the fixed one's): the first member's
 * fields (by key order), and its array field `group_array`, the members' elements
 * merged: elements alike but for `group_total` are one, the totals summed
 * exactly (without `total`, group_array NULL: the first member's document
 * as it is: a customer per shopper and currency).  That document is
 * written as any other, with the group key as its source id (its
 * cross-reference, and the journal's idempotency key from the key and the
 * document's hash): one the same as the one written
 * is not sent again; a changed one updates it.
 *
 * Memory: the members of the groups being made are read into the run's
 * context arena, reset per group.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eng.h"

#define DOC_MAX (256 * 1024) /* one member's document */

/* The groups to write this run, in the order they were marked. */
typedef struct {
	char **keys;
	size_t n, cap;
} marks;

static marks dirty;

/* Keys are "ENTITY\n" + the group key: a grouped entity's own only are
 * flushed at the end of its listing. */
static int
mark(const char *entity, const char *group)
{
	char key[KEY_MAX + 100];
	snprintf(key, sizeof key, "%s\n%s", entity, group);
	for (size_t i = 0; i < dirty.n; i++)
		if (!strcmp(dirty.keys[i], key))
			return 0;
	if (dirty.n == dirty.cap) {
		size_t cap = dirty.cap ? dirty.cap * 2 : 16;
		char **k = realloc(dirty.keys, cap * sizeof *k);
		if (!k)
			return -1;
		dirty.keys = k;
		dirty.cap = cap;
	}
	size_t n = strlen(key);
	if (!(dirty.keys[dirty.n] = malloc(n + 1)))
		return -1;
	memcpy(dirty.keys[dirty.n++], key, n + 1);
	return 0;
}

static void
member_entity(const mw_entity *e, char *out, size_t n)
{
	snprintf(out, n, "%s/member", e->name);
}

/* One record of a grouped entity: its contribution kept, its group marked.
 * 0, or -1 when the run must stop. */
int
group_record(run *r, const group_env *g, mw_val rec, const char *source_id, const char *hash,
	const char *json, size_t len)
{
	const mw_entity *e = r->e;
	mw_ctx *c = r->c;
	char ment[96], old_group[KEY_MAX] = "", oldhash[40] = "", gkey[KEY_MAX];
	char tmp[64];
	const char *p;
	size_t n;

	/* a group's own dead letter (the target refused it), retried: the group
	 * made again from its members, as they are now */
	const mw_node *gm = r->retrying && rec.kind == MW_OBJ ? json_get(rec.u.node, "members") :
		NULL;
	eng_rates_begin(r); /* base_currency() and rate() in its `when`, key and fields */
	if (gm && gm->type == JN_ARR) {
		if (mark(e->name, source_id) != 0)
			return -1;
		group_flush(r, g);
		return r->fatal ? -1 : 0;
	}
	member_entity(e, ment, sizeof ment);
	int had = state_xref_get(r->st, ment, source_id, old_group, sizeof old_group, oldhash,
		sizeof oldhash) == 0;
	if (had && !strcmp(oldhash, hash)) {
		/* listed again (the cursor did not move past it: a run that stopped
		 * before its groups were written): its group is made again, and is
		 * unchanged when it was written */
		r->n.unchanged++;
		return *old_group && !r->o->dry_run && mark(e->name, old_group) != 0 ? -1 : 0;
	}
	if (!r->retrying && state_dlq_find(r->st, e->name, source_id, hash) > 0) {
		r->n.dead++; /* this version was dead-lettered by an earlier run */
		return 0;
	}
	/* the member's document (JSON: merged, then written as the target
	 * takes it), then, a member, its group key */
	w_doc_begin(c, e->target, 0);
	int rc = e->map(c, rec);
	if (!c->failed && rc == 0 && w_doc_end(c) != 0)
		rt_fail_mem(c);
	if (!c->failed && rc == 0) {
		mw_val k = e->group(c, rec);
		if (!c->failed && (rt_val_text(k, tmp, &p, &n) != 0 || n == 0 ||
		    n >= sizeof gkey || memchr(p, '\0', n)))
			mw_fail(c, "the group key is empty or cannot be used as an id");
		if (!c->failed) {
			memcpy(gkey, p, n);
			gkey[n] = '\0';
		}
	}
	if (c->failed) {
		if (g->held(r, source_id, hash)) /* a rate not there yet: never a guess */
			return r->fatal ? -1 : 0;
		if (!r->o->dry_run)
			g->dead_letter(r, source_id, hash, json, len);
		else
			r->n.dead++;
		return r->fatal ? -1 : 0;
	}
	if (rc == 1) {
		/* not (or no longer) a member: what it gave its group goes */
		r->n.filtered++;
		if (had && !r->o->dry_run && (state_xref_put_doc(r->st, ment, source_id, old_group,
		    hash, "") != 0 || mark(e->name, old_group) != 0))
			r->fatal = 1;
		return r->fatal ? -1 : 0;
	}
	if (r->o->dry_run)
		return mark(e->name, gkey) == 0 ? 0 : -1;
	char *kept = malloc(len + 1);
	if (!kept)
		return -1;
	memcpy(kept, json, len);
	kept[len] = '\0';
	rc = state_xref_put_doc(r->st, ment, source_id, gkey, hash, kept);
	free(kept);
	if (rc != 0 ||
	    mark(e->name, gkey) != 0 ||
	    (had && *old_group && strcmp(old_group, gkey) && mark(e->name, old_group)))
		r->fatal = 1;
	if (!r->fatal && r->retrying)
		group_flush(r, g); /* dlq retry: its group into the batch the retry sends */
	return r->fatal ? -1 : 0;
}

/* ---- making a group's document ------------------------------------- */

typedef struct line {
	const mw_node *node;  /* the first member's element */
	mw_dec total;
	char *sig;            /* its fields but the total, as text */
	struct line *next;
} line;

typedef struct {
	run *r;
	const char *group;
	const mw_node *head;  /* the first member's document */
	line *lines, *last;
	int nmembers, bad;
	char *doc;            /* a buffer of DOC_MAX */
	char members[4096];   /* their keys, for a dead letter's record */
	size_t mlen;
} building;

/* A parsed member's keys are counted, not terminated. */
static int
keyis(const mw_node *f, const char *name)
{
	return f->key && strlen(name) == f->keylen && !memcmp(f->key, name, f->keylen);
}

/* The name the writer takes, terminated, in the context's arena. */
static const char *
key_of(mw_ctx *c, const mw_node *f)
{
	char *k = rt_bytes(c, (size_t)f->keylen + 1);
	if (!k)
		return NULL;
	memcpy(k, f->key, f->keylen);
	k[f->keylen] = '\0';
	return k;
}

/* An element's fields but its total, as text: the elements alike. */
static char *
signature(const mw_node *el, const char *total)
{
	size_t cap = 256, len = 0;
	char *s = malloc(cap);
	if (!s)
		return NULL;
	s[0] = '\0';
	for (const mw_node *f = el->type == JN_OBJ ? el->child : NULL; f; f = f->next) {
		if (keyis(f, total))
			continue;
		size_t need = len + f->keylen + f->n + 32;
		if (need > cap) {
			char *t = realloc(s, cap = need * 2);
			if (!t) {
				free(s);
				return NULL;
			}
			s = t;
		}
		/* an element with an object or array in it is alike no other */
		if (f->type == JN_OBJ || f->type == JN_ARR)
			len += (size_t)snprintf(s + len, cap - len, "%p\x1e", (const void *)f);
		else
			len += (size_t)snprintf(s + len, cap - len, "%.*s\x1f%d\x1f%.*s\x1e",
				(int)f->keylen, f->key, f->type, (int)f->n, f->p ? f->p : "");
	}
	return s;
}

static int
add_line(building *b, const mw_node *el)
{
	const mw_entity *e = b->r->e;
	const mw_node *t = json_get(el, e->group_total);
	mw_dec v;
	dec_from_int(0, &v);
	if (t && (t->type != JN_NUM || dec_parse(t->p, t->n, &v) != 0))
		return -1;
	char *sig = signature(el, e->group_total);
	if (!sig)
		return -1;
	for (line *l = b->lines; l; l = l->next) {
		if (!strcmp(l->sig, sig)) {
			free(sig);
			return dec_add(l->total, v, &l->total);
		}
	}
	line *l = calloc(1, sizeof *l);
	if (!l) {
		free(sig);
		return -1;
	}
	l->node = el;
	l->total = v;
	l->sig = sig;
	if (b->last)
		b->last->next = l;
	else
		b->lines = l;
	b->last = l;
	return 0;
}

/* s as a JSON string at o, which has room for 2 n + 3 bytes: the bytes
 * written (the NUL after them not counted).  A control character is no part
 * of a key shown. */
static size_t
json_text(char *o, const char *s, size_t n)
{
	char *at = o;
	*at++ = '"';
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch < 0x20)
			continue;
		if (ch == '"' || ch == '\\')
			*at++ = '\\';
		*at++ = (char)ch;
	}
	*at++ = '"';
	*at = '\0';
	return (size_t)(at - o);
}

static int
member(void *arg, const char *source_id, size_t n)
{
	building *b = arg;
	run *r = b->r;
	char ment[96], group[KEY_MAX];
	const mw_node *root;
	json_err je;

	member_entity(r->e, ment, sizeof ment);
	if (state_xref_get(r->st, ment, source_id, group, sizeof group, NULL, 0) != 0 ||
	    strcmp(group, b->group) != 0)
		return 0;
	if (state_xref_doc(r->st, ment, source_id, b->doc, DOC_MAX) != 0 || !b->doc[0])
		return 0; /* no contribution (left the group) */
	/* the member's record, mapped by this mapping: a group is what the
	 * .map says now, whichever version kept its members */
	mw_ctx *c = r->c;
	const mw_entity *e = r->e;
	size_t len = strlen(b->doc);
	char *copy = rt_bytes(c, len);
	const mw_node *recn;
	if (!copy || (memcpy(copy, b->doc, len), json_parse(&c->a, copy, len, &recn, &je)) != 0 ||
	    recn->type != JN_OBJ) {
		b->bad = 1;
		return 1;
	}
	mw_val rec = { .kind = MW_OBJ, .u.node = recn };
	w_doc_begin(c, e->target, 0);
	int rc = e->map(c, rec);
	if (!c->failed && rc == 0 && w_doc_end(c) != 0)
		rt_fail_mem(c);
	if (c->failed) {
		b->bad = 1;
		return 1;
	}
	if (rc == 1)
		return 0; /* no longer a member (its `when`) */
	char *doc = rt_bytes(c, c->w.out.len);
	if (!doc || (memcpy(doc, c->w.out.p, c->w.out.len), json_parse(&c->a, doc, c->w.out.len,
	    &root, &je)) != 0 || root->type != JN_OBJ) {
		b->bad = 1;
		return 1;
	}
	if (!b->head)
		b->head = root;
	b->nmembers++;
	/* the first members' keys as JSON strings, as many as fit, then "..." */
	if (b->mlen + 2 * n + 16 < sizeof b->members) {
		if (b->mlen)
			b->members[b->mlen++] = ',';
		b->mlen += json_text(b->members + b->mlen, source_id, n);
	} else if (!strstr(b->members, "\"...\"")) {
		b->mlen += (size_t)snprintf(b->members + b->mlen, sizeof b->members - b->mlen,
			",\"...\"");
	}
	/* without `total` no lines are merged: the document is the first member's */
	const mw_node *arr = r->e->group_array ? json_get(root, r->e->group_array) : NULL;
	for (const mw_node *el = arr && arr->type == JN_ARR ? arr->child : NULL; el; el = el->next)
		if (add_line(b, el) != 0) {
			b->bad = 1;
			return 1;
		}
	return 0;
}

static void
put_node(mw_ctx *c, const mw_node *v)
{
	mw_val x = MW_NULLV;
	switch (v->type) {
	case JN_STR:
		x.kind = MW_STR, x.u.s.p = v->p, x.u.s.n = v->n;
		break;
	case JN_NUM:
		if (dec_parse(v->p, v->n, &x.u.d) == 0)
			x.kind = MW_DEC;
		break;
	case JN_TRUE: case JN_FALSE:
		x.kind = MW_BOOL, x.u.b = v->type == JN_TRUE;
		break;
	case JN_OBJ:
		mw_obj_begin(c);
		for (const mw_node *f = v->child; f; f = f->next) {
			mw_field(c, key_of(c, f), c->line);
			put_node(c, f);
		}
		mw_obj_end(c);
		return;
	case JN_ARR:
		mw_arr_begin(c, NULL);
		for (const mw_node *f = v->child; f; f = f->next)
			put_node(c, f);
		mw_arr_end(c);
		return;
	}
	mw_put(c, x, 0);
}

/* The group's document in the target's format: the first member's fields,
 * its array the merged lines. */
static void
write_group(building *b)
{
	run *r = b->r;
	const mw_entity *e = r->e;
	mw_ctx *c = r->c;

	w_doc_begin(c, e->target, r->tep->format_xml);
	for (const mw_node *f = b->head->child; f; f = f->next) {
		mw_field(c, key_of(c, f), e->line);
		if (!e->group_array || !keyis(f, e->group_array)) {
			put_node(c, f);
			continue;
		}
		mw_arr_begin(c, e->group_elem);
		for (line *l = b->lines; l; l = l->next) {
			mw_obj_begin(c);
			for (const mw_node *g = l->node->child; g; g = g->next) {
				mw_field(c, key_of(c, g), e->line);
				if (!keyis(g, e->group_total)) {
					put_node(c, g);
				} else {
					mw_val t = { .kind = MW_DEC, .u.d = l->total };
					mw_put(c, t, 0);
				}
			}
			mw_obj_end(c);
		}
		mw_arr_end(c);
	}
	if (!c->failed && w_doc_end(c) != 0)
		rt_fail_mem(c);
}

/* The group's document (in the context's writer) into the batch, as
 * eng_record puts a record's: not sent when it is the one written, nor
 * while a write of it is pending; its journal key from the group key and
 * the document's hash, so a document sent again is the same request. */
static void
enqueue(run *r, const group_env *g, const char *gkey, const char *rec, size_t rec_len)
{
	const mw_entity *e = r->e;
	mw_ctx *c = r->c;
	char dochash[40], tid[CONN_ID_MAX], olddoc[48] = "", jkey[64], js[16];

	g->hash(c->w.out.p, c->w.out.len, dochash);
	int has = state_xref_get(r->st, e->name, gkey, tid, sizeof tid, NULL, 0) == 0;
	if (has && state_xref_doc(r->st, e->name, gkey, olddoc, sizeof olddoc) == 0 &&
	    !strcmp(olddoc, dochash)) {
		r->n.unchanged++;
		return;
	}
	int rc = state_journal_find(r->st, e->name, gkey, dochash, jkey, sizeof jkey, js,
		sizeof js);
	int64_t older = rc == 0 || rc == STATE_ENOTFOUND ?
		state_journal_pending_other(r->st, e->name, gkey, dochash) : -1;
	if (older < 0) {
		r->fatal = 1;
		return;
	}
	if ((rc == 0 && !strcmp(js, "pending")) || older > 0) {
		r->n.pending++;
		return;
	}
	if (!r->retrying && state_dlq_find(r->st, e->name, gkey, dochash) > 0) {
		r->n.dead++;
		return;
	}
	slot *s = &r->slots[r->ns];
	size_t need = c->w.out.len > rec_len ? c->w.out.len : rec_len;
	if (need + 1 > s->doc_cap) {
		char *d = realloc(s->doc, need + 1);
		if (!d) {
			r->fatal = 1;
			return;
		}
		s->doc = d, s->doc_cap = need + 1;
	}
	if (need + 1 > s->rec_cap) {
		char *d = realloc(s->rec, need + 1);
		if (!d) {
			r->fatal = 1;
			return;
		}
		s->rec = d, s->rec_cap = need + 1;
	}
	memcpy(s->doc, c->w.out.p, c->w.out.len);
	s->doc_len = c->w.out.len;
	memcpy(s->rec, rec, rec_len);
	s->rec_len = rec_len;
	memcpy(s->key, jkey, sizeof s->key);
	snprintf(s->source_id, sizeof s->source_id, "%s", gkey);
	memcpy(s->hash, dochash, sizeof s->hash);
	snprintf(s->stamp, sizeof s->stamp, "%s", r->newest);
	s->has_update = has;
	if (has)
		snprintf(s->update_id, sizeof s->update_id, "%s", tid);
	s->op = CONN_OP_WRITE;
	memcpy(s->doc_hash, dochash, sizeof s->doc_hash);
	s->has_match = s->state_done = s->finding = s->has_udoc = 0;
	if (++r->ns == r->max)
		g->flush(r);
}

static void
free_lines(building *b)
{
	while (b->lines) {
		line *l = b->lines;
		b->lines = l->next;
		free(l->sig);
		free(l);
	}
	b->last = NULL;
}

/* Each group marked: made from all its members and written (or found the
 * same as the one written).  Called at the end of a grouped entity's
 * listing, before its batch is flushed. */
void
group_flush(run *r, const group_env *g)
{
	const mw_entity *e = r->e;
	char ment[96];
	building b;

	member_entity(e, ment, sizeof ment);
	eng_rates_begin(r); /* members are mapped again */
	memset(&b, 0, sizeof b);
	b.r = r;
	if (!(b.doc = malloc(DOC_MAX))) {
		r->fatal = 1;
		return;
	}
	size_t elen = strlen(e->name), kept = 0, i;
	for (i = 0; i < dirty.n && !r->fatal && !g->stopping(r); i++) {
		if (strncmp(dirty.keys[i], e->name, elen) || dirty.keys[i][elen] != '\n') {
			dirty.keys[kept++] = dirty.keys[i]; /* another entity's */
			continue;
		}
		rt_ctx_reset(r->c);
		eng_rates_begin(r); /* a member's rate not there yet: the group waits (below) */
		b.group = dirty.keys[i] + elen + 1;
		b.head = NULL;
		b.nmembers = b.bad = 0;
		b.mlen = 0;
		b.members[0] = '\0';
		if (r->o->dry_run) {
			g->say(r, "info", "%s: group %s changed (a dry run reads no members)", e->name,
				b.group);
			continue;
		}
		if (state_xref_keys(r->st, ment, 0, KEY_MAX, member, &b) != 0 && !b.bad) {
			r->fatal = 1;
			break;
		}
		if (!b.bad && b.head)
			write_group(&b);
		/* the group's record for a dead letter: its key under the entity's
		 * key field (dlq retry finds it by that), its members' keys */
		char rec[sizeof b.members + 4 * KEY_MAX + 64], gq[2 * KEY_MAX + 3];
		json_text(gq, b.group, strlen(b.group));
		snprintf(rec, sizeof rec, "{\"%s\":%s,\"group\":%s,\"members\":[%s]}",
			strchr(e->key_field, '.') ? "group" : e->key_field, gq, gq, b.members);
		if ((b.bad || r->c->failed) && eng_rates_held(r)) {
			g->held(r, NULL, b.group);
		} else if (b.bad || r->c->failed) {
			if (!r->c->failed)
				mw_fail(r->c, "a member's document could not be read back");
			g->dead_letter(r, b.group, "", rec, strlen(rec));
		} else if (b.head) {
			enqueue(r, g, b.group, rec, strlen(rec));
		}
		free_lines(&b);
		free(dirty.keys[i]);
	}
	free_lines(&b);
	free(b.doc);
	/* a run stopped half way: the rest are made again on the next listing
	 * (the cursor did not move: their members are listed again) */
	for (; i < dirty.n; i++)
		if (!strncmp(dirty.keys[i], e->name, elen) && dirty.keys[i][elen] == '\n')
			free(dirty.keys[i]);
		else
			dirty.keys[kept++] = dirty.keys[i];
	dirty.n = kept;
	if (!kept) {
		free(dirty.keys);
		memset(&dirty, 0, sizeof dirty);
	}
}
