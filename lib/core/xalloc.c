/*
 * xalloc.c - allocation wrappers; out of memory is a panic, never silent.
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/am.h"
#include "core/xalloc.h"

/* am_xmalloc - malloc or abort; a zero size still returns a unique block. */
void *
am_xmalloc(size_t len)
{
	void *p = malloc(len ? len : 1);

	if (p == NULL)
		AM_PANIC("out of memory allocating %zu bytes", len);
	return p;
}

/* am_xcalloc - zeroed array or abort. */
void *
am_xcalloc(size_t n, size_t len)
{
	void *p = calloc(n ? n : 1, len ? len : 1);

	if (p == NULL)
		AM_PANIC("out of memory allocating %zu x %zu bytes", n, len);
	return p;
}

/* am_xreallocarray - resize an array with an overflow check, or abort. */
void *
am_xreallocarray(void *p, size_t n, size_t len)
{
	void *q;

	if (len != 0 && n > SIZE_MAX / len)
		AM_PANIC("array size overflow: %zu x %zu", n, len);
	q = realloc(p, n * len != 0 ? n * len : 1);
	if (q == NULL)
		AM_PANIC("out of memory resizing to %zu x %zu bytes", n, len);
	return q;
}

/* am_xstrdup - copy a C string or abort. */
char *
am_xstrdup(const char *s)
{
	return am_xmemdup(s, strlen(s));
}

/* am_xmemdup - copy len bytes plus a terminating NUL, or abort. */
char *
am_xmemdup(const void *p, size_t len)
{
	char *q;

	if (len == SIZE_MAX)
		AM_PANIC("memdup size overflow");
	q = am_xmalloc(len + 1);
	if (len)
		memcpy(q, p, len);
	q[len] = '\0';
	return q;
}
