/*
 * dkim_mem.c - per-handle allocation lists for libopendkim (see
 * dkim_mem.h). Each block carries a header in front of what the library
 * sees: the owning list (NULL for library-wide blocks) and the links.
 */
#include "autoconf.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/am.h"
#include "dkim/dkim_mem.h"

#define BLK_MAGIC	0x616d646bUL	/* "amdk": catches a foreign pointer */

struct am_dkim_blk {
	struct am_dkim_blk *prev, *next; /* on owner's list */
	struct am_dkim_mem *owner;	/* NULL: not listed */
	unsigned long magic;		/* BLK_MAGIC while allocated */
};

/* The header, padded so the caller's block keeps malloc's alignment. */
union hdr {
	struct am_dkim_blk b;
	max_align_t align;
};

void
am_dkim_mem_init(struct am_dkim_mem *m)
{
	m->head = NULL;
	m->live = 0;
}

/* am_dkim_mem_alloc - dkim_init()'s allocator (see header). */
void *
am_dkim_mem_alloc(void *closure, size_t len)
{
	union hdr *h;

	if (len > SIZE_MAX - sizeof(*h) || (h = malloc(sizeof(*h) + len)) == NULL)
		return NULL;
	h->b.owner = closure;
	h->b.magic = BLK_MAGIC;
	h->b.prev = NULL;
	h->b.next = NULL;
	if (h->b.owner != NULL) {
		h->b.next = h->b.owner->head;
		if (h->b.next != NULL)
			h->b.next->prev = &h->b;
		h->b.owner->head = &h->b;
		h->b.owner->live++;
	}
	return h + 1;
}

/* unlink_free - off its list and back to malloc. */
static void
unlink_free(union hdr *h)
{
	struct am_dkim_mem *m = h->b.owner;

	if (m != NULL) {
		if (h->b.prev != NULL)
			h->b.prev->next = h->b.next;
		else
			m->head = h->b.next;
		if (h->b.next != NULL)
			h->b.next->prev = h->b.prev;
		m->live--;
	}
	h->b.magic = 0;
	free(h);
}

/* am_dkim_mem_release - dkim_init()'s free (see header). The closure
 * argument is not trusted: the block's header names its list. */
void
am_dkim_mem_release(void *closure, void *p)
{
	union hdr *h;

	(void)closure;
	if (p == NULL)
		return;
	h = (union hdr *)p - 1;
	if (h->b.magic != BLK_MAGIC)
		AM_PANIC("am_dkim_mem_release: %p was not allocated here", p);
	unlink_free(h);
}

/* am_dkim_mem_drain - free what is still listed; the count. */
size_t
am_dkim_mem_drain(struct am_dkim_mem *m)
{
	size_t n = 0;

	while (m->head != NULL) {
		unlink_free((union hdr *)(void *)m->head);
		n++;
	}
	return n;
}
