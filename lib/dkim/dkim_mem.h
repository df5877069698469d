/*
 * NAME        dkim_mem - libopendkim's allocations tracked per handle, so
 *             what the library forgets to free goes with the handle
 * SYNOPSIS    lib = dkim_init(am_dkim_mem_alloc, am_dkim_mem_release);
 *             struct am_dkim_mem m;
 *             am_dkim_mem_init(&m);
 *             dk = dkim_sign(lib, id, &m, ...);    // m is the memclosure
 *             ... dkim_free(dk);
 *             leaked = am_dkim_mem_drain(&m);      // frees what is left
 * DESCRIPTION libopendkim 2.11 allocates through the functions given to
 *             dkim_init(), passing the closure given to dkim_sign() for
 *             everything that belongs to that handle (NULL for the
 *             library's own). dkim_free() does not free the output buffer
 *             dkim_privkey_load() allocates for an Ed25519 signature, one
 *             block per signed message. am_dkim_mem_alloc() puts every
 *             block of a handle on its closure's list, and
 *             am_dkim_mem_release() takes it off; after dkim_free(),
 *             am_dkim_mem_drain() frees the blocks still listed and
 *             returns how many there were. Blocks with a NULL closure are
 *             not listed. am_dkim_mem_alloc() returns NULL when malloc
 *             fails (libopendkim reports DKIM_STAT_NORESOURCE).
 * THREADS     one am_dkim_mem per handle; a handle is used by one thread
 *             at a time, so no locking.
 */
#ifndef AM_DKIM_MEM_H
#define AM_DKIM_MEM_H

#include <stddef.h>

struct am_dkim_blk;

struct am_dkim_mem {
	struct am_dkim_blk *head;	/* blocks still allocated */
	size_t live;			/* blocks on the list */
};

void am_dkim_mem_init(struct am_dkim_mem *m);
void *am_dkim_mem_alloc(void *closure, size_t len);
void am_dkim_mem_release(void *closure, void *p);
size_t am_dkim_mem_drain(struct am_dkim_mem *m);

#endif
