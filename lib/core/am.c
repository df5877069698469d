/*
 * am.c - the failure primitives declared in am.h.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "am.h"

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

/* am_panic - log "panic: file:line: ..." and abort. */
void
am_panic(const char *file, int line, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	am_log_err("panic: %s:%d: %s", file, line, text);
	abort();
}

/* am_fatal - log "fatal: ..." and exit(1); start-up code only. */
void
am_fatal(const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	am_log_err("fatal: %s", text);
	exit(1);
}
