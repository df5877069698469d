/*
 * NAME        xalloc - allocation that succeeds or aborts (STYLE.md §5)
 * DESCRIPTION am_xmalloc/am_xcalloc/am_xstrdup/am_xstrndup/am_xreallocarray
 *             return owned memory freed with free(); on exhaustion they log
 *             the byte count and abort(). Acceptable only because every size an
 *             attacker controls is capped before it reaches an allocation.
 *             am_xmemdup copies len bytes and adds a NUL.
 * THREADS     reentrant.
 */
#ifndef AM_XALLOC_H
#define AM_XALLOC_H

#include <stddef.h>

void *am_xmalloc(size_t len) __attribute__((malloc, warn_unused_result));
void *am_xcalloc(size_t n, size_t len) __attribute__((malloc, warn_unused_result));
void *am_xreallocarray(void *p, size_t n, size_t len) __attribute__((warn_unused_result));
char *am_xstrdup(const char *s) __attribute__((malloc, warn_unused_result));
char *am_xmemdup(const void *p, size_t len) __attribute__((malloc, warn_unused_result));

#endif
