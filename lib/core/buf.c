/*
 * buf.c - the capped growable buffer of buf.h.
 */
#include "autoconf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/xalloc.h"
#include "core/buf.h"

/* am_buf_init - empty buffer that may grow to max_len bytes. */
void
am_buf_init(struct am_buf *b, size_t max_len)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max_len = max_len;
}

/* am_buf_release - free the storage; the buffer is empty and reusable. */
void
am_buf_release(struct am_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

/* am_buf_reset - empty the buffer, keeping its storage. */
void
am_buf_reset(struct am_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

/* reserve - make room for need more bytes plus the NUL, within the cap. */
static enum am_status
reserve(struct am_buf *b, size_t need)
{
	size_t want, ncap;

	if (need > b->max_len || b->len > b->max_len - need)
		return AM_PERMFAIL;
	want = b->len + need + 1;
	if (want <= b->cap)
		return AM_OK;
	ncap = b->cap ? b->cap : 64;
	while (ncap < want)
		ncap = ncap > SIZE_MAX / 2 ? want : ncap * 2;
	b->data = am_xreallocarray(b->data, ncap, 1);
	b->cap = ncap;
	return AM_OK;
}

/* am_buf_append - append len bytes, or fail at the cap leaving b unchanged. */
enum am_status
am_buf_append(struct am_buf *b, const void *p, size_t len)
{
	if (reserve(b, len) != AM_OK)
		return AM_PERMFAIL;
	if (len)
		memcpy(b->data + b->len, p, len);
	b->len += len;
	b->data[b->len] = '\0';
	return AM_OK;
}

/* am_buf_puts - append a C string. */
enum am_status
am_buf_puts(struct am_buf *b, const char *s)
{
	return am_buf_append(b, s, strlen(s));
}

/* am_buf_putc - append one byte. */
enum am_status
am_buf_putc(struct am_buf *b, char c)
{
	return am_buf_append(b, &c, 1);
}

/* am_buf_vprintf - append formatted text, or fail at the cap unchanged. */
enum am_status
am_buf_vprintf(struct am_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0 || reserve(b, (size_t)n) != AM_OK)
		return AM_PERMFAIL;
	/* The space was measured with the same arguments; a different
	 * length (a locale changed meanwhile) leaves the buffer as it was. */
	if (vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap) != n) {
		b->data[b->len] = '\0';
		return AM_PERMFAIL;
	}
	b->len += (size_t)n;
	return AM_OK;
}

/* am_buf_printf - append formatted text. */
enum am_status
am_buf_printf(struct am_buf *b, const char *fmt, ...)
{
	enum am_status st;
	va_list ap;

	va_start(ap, fmt);
	st = am_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return st;
}

/* am_buf_truncate - drop bytes after len. */
void
am_buf_truncate(struct am_buf *b, size_t len)
{
	if (len > b->len)
		AM_PANIC("am_buf_truncate: %zu > %zu", len, b->len);
	b->len = len;
	if (b->data)
		b->data[len] = '\0';
}

/* am_buf_str - borrowed C string view of the contents. */
const char *
am_buf_str(const struct am_buf *b)
{
	return b->data ? b->data : "";
}

/* am_buf_export - give the caller the storage as a C string. */
char *
am_buf_export(struct am_buf *b)
{
	char *s = b->data ? b->data : am_xstrdup("");

	b->data = NULL;
	b->len = b->cap = 0;
	return s;
}

/* am_buf_line - one formatted line plus newline, or nothing at the cap. */
void
am_buf_line(struct am_buf *b, const char *fmt, ...)
{
	va_list ap;
	size_t mark;

	if (b == NULL)
		return;
	mark = b->len;
	va_start(ap, fmt);
	if (am_buf_vprintf(b, fmt, ap) != AM_OK || am_buf_putc(b, '\n') != AM_OK)
		am_buf_truncate(b, mark);
	va_end(ap);
}

/* am_read_line - a bounded line reader for configuration-like files. */
int
am_read_line(FILE *fp, char *buf, size_t size, bool *is_long, bool *has_nul)
{
	size_t n = 0;
	int ch;

	*is_long = *has_nul = false;
	while ((ch = getc(fp)) != EOF && ch != '\n') {
		if (ch == '\0')
			*has_nul = true;
		if (n + 1 < size)
			buf[n++] = (char)ch;
		else
			*is_long = true;
	}
	buf[n] = '\0';
	return ch == EOF && n == 0 && !*is_long && !*has_nul ? -1 : 0;
}

/* am_write_all - all of p to fd (see buf.h). */
bool
am_write_all(int fd, const void *p, size_t len)
{
	const char *q = p;
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, q, len)) < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		q += n;
		len -= (size_t)n;
	}
	return true;
}
