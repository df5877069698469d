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

/* am_why_set - format a reason; NULL why is allowed and ignored. A reason
 * that does not fit ends in "...", so the cut shows. */
void
am_why_set(struct am_why *why, const char *fmt, ...)
{
	size_t len = sizeof(why->text);
	va_list ap;

	if (why == NULL)
		return;
	va_start(ap, fmt);
	if (am_vsnprintf(why->text, len, fmt, ap) != AM_OK &&
	    strlen(why->text) == len - 1)
		memcpy(why->text + len - sizeof(CUT_MARK), CUT_MARK,
		    sizeof(CUT_MARK));
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
