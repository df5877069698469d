/*
 * am.c - the failure primitives declared in am.h. am_panic and am_fatal log
 * before they stop, so they live in log.c (log.h needs am.h, not the other
 * way round).
 */
#include "autoconf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/am.h"

#define CUT_MARK "..."

/* am_vsnprintf - vsnprintf that reports a cut (see the header). */
enum am_status
am_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	int n;

	if (buf == NULL || size == 0)
		AM_PANIC("am_vsnprintf: no buffer");
	n = vsnprintf(buf, size, fmt, ap);
	if (n < 0) {
		buf[0] = '\0';
		return AM_PERMFAIL;
	}
	return (size_t)n < size ? AM_OK : AM_PERMFAIL;
}

/* am_snprintf - snprintf that reports a cut (see the header). */
enum am_status
am_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	enum am_status st;
	va_list ap;

	va_start(ap, fmt);
	st = am_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return st;
}

/* am_vsnprintf_cut - a text that does not fit ends in "..." (header). */
enum am_status
am_vsnprintf_cut(char *buf, size_t size, const char *fmt, va_list ap)
{
	enum am_status st;

	if (size < sizeof(CUT_MARK))
		AM_PANIC("am_vsnprintf_cut: %zu-byte buffer", size);
	st = am_vsnprintf(buf, size, fmt, ap);
	if (st != AM_OK && strlen(buf) == size - 1)
		memcpy(buf + size - sizeof(CUT_MARK), CUT_MARK,
		    sizeof(CUT_MARK));
	return st;
}

/* am_snprintf_cut - see am_vsnprintf_cut. */
enum am_status
am_snprintf_cut(char *buf, size_t size, const char *fmt, ...)
{
	enum am_status st;
	va_list ap;

	va_start(ap, fmt);
	st = am_vsnprintf_cut(buf, size, fmt, ap);
	va_end(ap);
	return st;
}

/* am_why_set - format a reason; NULL why is allowed and ignored. A reason
 * that does not fit ends in "...", so the cut shows. */
void
am_why_set(struct am_why *why, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL)
		return;
	va_start(ap, fmt);
	(void)am_vsnprintf_cut(why->text, sizeof(why->text), fmt, ap);
	va_end(ap);
}

/* am_status_name - short name of a status for logs. */
const char *
am_status_name(enum am_status st)
{
	switch (st) {
	case AM_OK:
		return "ok";
	case AM_TEMPFAIL:
		return "tempfail";
	case AM_PERMFAIL:
		return "permfail";
	}
	return "invalid";
}
