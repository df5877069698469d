/*
 * NAME        am_buf - growable byte buffer with a hard cap (STYLE.md §6)
 * SYNOPSIS    struct am_buf b; am_buf_init(&b, 4096);
 *             if (am_buf_printf(&b, "%s=%d", k, v) != AM_OK) ...;
 *             use am_buf_str(&b); am_buf_release(&b);
 * DESCRIPTION The buffer owns its storage. It always keeps a NUL after the
 *             data. Appending past max_len fails with AM_PERMFAIL and leaves
 *             the buffer as it was (never truncates silently). The struct is
 *             public so callers can keep one inline; treat the fields as
 *             read-only. am_buf_export() hands the storage to the caller (free
 *             it with free()) and leaves the buffer empty.
 * THREADS     one owner at a time.
 */
#ifndef AM_BUF_H
#define AM_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "core/am.h"

struct am_buf {
	char *data;		/* owned; NULL until the first append */
	size_t len;		/* bytes used, excluding the trailing NUL */
	size_t cap;		/* bytes allocated */
	size_t max_len;		/* hard cap on len */
};

void am_buf_init(struct am_buf *b, size_t max_len);
void am_buf_release(struct am_buf *b);
void am_buf_reset(struct am_buf *b);
enum am_status am_buf_append(struct am_buf *b, const void *p, size_t len);
enum am_status am_buf_puts(struct am_buf *b, const char *s);
enum am_status am_buf_putc(struct am_buf *b, char c);
enum am_status am_buf_printf(struct am_buf *b, const char *fmt, ...)
    AM_FMT(2, 3);
enum am_status am_buf_vprintf(struct am_buf *b, const char *fmt, va_list ap);
/* am_buf_truncate - shorten to len (len <= b->len, else panic). */
void am_buf_truncate(struct am_buf *b, size_t len);
/* am_buf_str - the data as a C string; "" for an empty buffer. Borrowed. */
const char *am_buf_str(const struct am_buf *b);
/* am_buf_export - the data as an owned C string; the buffer becomes empty. */
char *am_buf_export(struct am_buf *b) AM_WUR;
/* am_buf_line - append one formatted line and "\n", whole or not at all
 * (the error and warning lists: "FILE:LINE: message"); b may be NULL. */
void am_buf_line(struct am_buf *b, const char *fmt, ...) AM_FMT(2, 3);
/* am_read_line - read one line (without its "\n") from fp into buf of size
 * bytes, never more: a longer line is cut and *is_long set; a NUL byte sets
 * *has_nul. Returns -1 at end of file with nothing read, else 0. */
int am_read_line(FILE *fp, char *buf, size_t size, bool *is_long,
    bool *has_nul);
/* am_write_all - write all len bytes of p to fd, retrying short writes and
 * EINTR; false (errno set) on any other error. */
bool am_write_all(int fd, const void *p, size_t len);

#endif
