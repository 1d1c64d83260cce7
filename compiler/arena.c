/*
 * arena.c - the compilation arena, interned names and growable buffers.
 *
 * Everything a compilation allocates comes from one bump arena and is
 * freed by ar_free_all().  Names are interned so that the checker compares
 * them by pointer.  Out of memory aborts: see mapc.h.
 */
#include <stdlib.h>
#include <string.h>

#include "mapc.h"

typedef struct Chunk {
	struct Chunk *next;
	size_t used, cap;
	_Alignas(16) unsigned char data[];
} Chunk;

static Chunk *chunks;

static void *
oom(void)
{
	fputs("mapc: out of memory\n", stderr);
	abort();
}

void *
ar_alloc(size_t n)
{
	n = (n + 15) & ~(size_t)15;
	if (!chunks || chunks->cap - chunks->used < n) {
		size_t cap = n > 65536 ? n : 65536;
		Chunk *c = malloc(sizeof *c + cap);
		if (!c)
			return oom();
		c->next = chunks;
		c->used = 0;
		c->cap = cap;
		chunks = c;
	}
	void *p = chunks->data + chunks->used;
	chunks->used += n;
	memset(p, 0, n);
	return p;
}

char *
ar_strndup(const char *s, size_t n)
{
	char *p = ar_alloc(n + 1);
	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

/* ---- interned names: open addressing, FNV-1a ---- */

static const char **itab;
static size_t icap, icount;

static uint64_t
hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211u;
	return h;
}

static void
grow(void)
{
	size_t ncap = icap ? icap * 2 : 1024;
	const char **nt = calloc(ncap, sizeof *nt);
	if (!nt) {
		oom();
		return;
	}
	for (size_t i = 0; i < icap; i++) {
		if (!itab[i])
			continue;
		size_t j = hash(itab[i], strlen(itab[i])) & (ncap - 1);
		while (nt[j])
			j = (j + 1) & (ncap - 1);
		nt[j] = itab[i];
	}
	free(itab);
	itab = nt;
	icap = ncap;
}

const char *
ar_intern(const char *s, size_t n)
{
	if (2 * (icount + 1) > icap)
		grow();
	size_t j = hash(s, n) & (icap - 1);
	while (itab[j]) {
		if (strncmp(itab[j], s, n) == 0 && itab[j][n] == 0)
			return itab[j];
		j = (j + 1) & (icap - 1);
	}
	icount++;
	return itab[j] = ar_strndup(s, n);
}

void
ar_free_all(void)
{
	while (chunks) {
		Chunk *next = chunks->next;
		free(chunks);
		chunks = next;
	}
	free(itab);
	itab = NULL;
	icap = icount = 0;
}

/* ---- growable buffers (the generated C is built in one) ---- */

void
buf_put(Buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t ncap = b->cap ? b->cap : 4096;
		while (ncap < b->len + n + 1)
			ncap *= 2;
		char *np = realloc(b->p, ncap);
		if (!np) {
			oom();
			return;
		}
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

void
buf_puts(Buf *b, const char *s)
{
	buf_put(b, s, strlen(s));
}

void
buf_printf(Buf *b, const char *fmt, ...)
{
	char small[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0)
		unreachable();
	if ((size_t)n < sizeof small) {
		buf_put(b, small, (size_t)n);
		return;
	}
	char *big = malloc((size_t)n + 1);
	if (!big) {
		oom();
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	buf_put(b, big, (size_t)n);
	free(big);
}

void
buf_free(Buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}
