/*
 * idle.c - what an idle daemon gives back before a long sleep (serve.c's
 * give_back): the memory a burst of work grew that the next burst makes
 * again when it comes.  Measured by `make bench` (tests/bench/idle.sh:
 * RssAnon); docs/operations.md "Sizing" has the figures.
 */
#include <stdlib.h>

#include "eng.h"

void
eng_release_memory(run *r)
{
	/* the batch's buffers, grown to the largest document and record of
	 * the burst (grow() makes them again from nothing) */
	for (size_t i = 0; r->slots && r->ns == 0 && i < r->cap; i++) {
		slot *s = &r->slots[i];

		free(s->doc);
		free(s->rec);
		free(s->udoc);
		s->doc = s->rec = s->udoc = NULL;
		s->doc_cap = s->rec_cap = s->udoc_cap = 0;
		s->doc_len = s->rec_len = s->udoc_len = 0;
	}
	/* the concurrent writers' units and curl multi handle
	 * (eng_multi_begin makes them again) */
	eng_multi_free(r);
	/* the clients' last answers, curl's connections and TLS state */
	http_release_memory();
	rt_ctx_trim(r->c);
	state_release_memory(r->st);
}
