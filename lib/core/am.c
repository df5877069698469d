/*
 * am.c - the failure primitives declared in am.h. am_panic and am_fatal log
 * before they stop, so they live in log.c (log.h needs am.h, not the other
 * way round).
 */
#include "autoconf.h"

#include <stdarg.h>
#include <stdio.h>

#include "core/am.h"

/* am_why_set - format a reason; NULL why is allowed and ignored. */
void
am_why_set(struct am_why *why, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(why->text, sizeof(why->text), fmt, ap);
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
