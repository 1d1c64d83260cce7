/*
 * arena.c - the per-record arena: a chunked bump allocator.
 *
 * Everything produced while one record is mapped (parsed nodes, decoded
 * strings, computed values) lives here and goes away in one arena_reset.
 * Reset rewinds to the first chunk and keeps the following chunks up to
 * ARENA_RETAIN bytes, so a stream of similar records does no malloc after
 * the first few; chunks beyond that are freed so one huge record does not
 * pin its memory for the rest of the run; arena_trim keeps the first chunk
 * only (a daemon going idle).  A hard cap per record turns a
 * hostile input into one failed record ("record too large") instead of an
 * exhausted machine.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "transform.h"

#define ARENA_RETAIN ((size_t)4 << 20)
#define ARENA_ALIGN  _Alignof(max_align_t)

struct arena_chunk {
	arena_chunk *next;
	size_t size;            /* usable bytes in data */
	max_align_t data[];     /* aligned for any object */
};

static arena_chunk *
chunk_new(size_t size)
{
	arena_chunk *ch;

	if (size > SIZE_MAX - sizeof *ch)
		return NULL;
	ch = malloc(sizeof *ch + size);
	if (!ch)
		return NULL;
	ch->next = NULL;
	ch->size = size;
	return ch;
}

static void
enter(arena *a, arena_chunk *ch)
{
	a->cur = ch;
	a->ptr = (char *)ch->data;
	a->end = a->ptr + ch->size;
}

int
arena_init(arena *a, size_t first, size_t max)
{
	memset(a, 0, sizeof *a);
	a->max = max;
	a->head = chunk_new(first);
	if (!a->head)
		return -1;
	enter(a, a->head);
	a->used = first;
	return 0;
}

void
arena_fini(arena *a)
{
	arena_chunk *ch = a->head, *nx;

	for (; ch; ch = nx) {
		nx = ch->next;
		free(ch);
	}
	memset(a, 0, sizeof *a);
}

/* Rewind to the first chunk, keeping the chunks after it up to retain
 * bytes in all. */
static void
rewind_to(arena *a, size_t retain)
{
	arena_chunk *ch = a->head;
	size_t kept = ch->size;

	while (ch->next && kept + ch->next->size <= retain) {
		ch = ch->next;
		kept += ch->size;
	}
	{
		arena_chunk *drop = ch->next, *nx;

		ch->next = NULL;
		for (; drop; drop = nx) {
			nx = drop->next;
			free(drop);
		}
	}
	enter(a, a->head);
	a->used = a->head->size;
	a->err = ARENA_OK;
}

void
arena_reset(arena *a)
{
	/* Keep a run of chunks so the next record can reuse them. */
	rewind_to(a, ARENA_RETAIN);
}

void
arena_trim(arena *a)
{
	rewind_to(a, 0);
}

/* The current chunk cannot hold n bytes aligned to align: move on to the
 * next retained chunk if it fits, else insert a new one after cur. */
static void *
slow(arena *a, size_t n, size_t align)
{
	arena_chunk *nx = a->cur->next;
	size_t need = n + align, size;

	if (need < n) {
		a->err = ARENA_E_CAP;
		return NULL;
	}
	if (nx && nx->size >= need && nx->size <= a->max - a->used) {
		enter(a, nx);
		a->used += nx->size;
	} else {
		size = a->cur->size * 2;
		if (size < need)
			size = need;
		if (size > a->max - a->used)
			size = a->max - a->used;
		if (size < need) {
			a->err = ARENA_E_CAP;
			return NULL;
		}
		nx = chunk_new(size);
		if (!nx) {
			a->err = ARENA_E_NOMEM;
			return NULL;
		}
		nx->next = a->cur->next;
		a->cur->next = nx;
		enter(a, nx);
		a->used += size;
	}
	{
		uintptr_t p = ((uintptr_t)a->ptr + (align - 1)) & ~(uintptr_t)(align - 1);
		char *r = (char *)p;

		a->ptr = r + n;
		return r;
	}
}

void *
arena_alloc(arena *a, size_t n)
{
	uintptr_t p = ((uintptr_t)a->ptr + (ARENA_ALIGN - 1)) & ~(uintptr_t)(ARENA_ALIGN - 1);
	char *r = (char *)p;

	if (n == 0)
		n = 1;
	if (r <= a->end && (size_t)(a->end - r) >= n) {
		a->ptr = r + n;
		return r;
	}
	return slow(a, n, ARENA_ALIGN);
}

char *
arena_bytes(arena *a, size_t n)
{
	char *r = a->ptr;

	if (n == 0)
		n = 1;
	if ((size_t)(a->end - r) >= n) {
		a->ptr = r + n;
		return r;
	}
	return slow(a, n, 1);
}
