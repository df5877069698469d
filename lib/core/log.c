/*
 * log.c - stderr / syslog / file sink. The sink is process state, set once
 * at start-up before any thread exists (STYLE.md §11 allows the log sink as
 * the one global); each line is written with one write(2) so lines from
 * different threads never interleave.
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"

#define LINE_MAX_BYTES 8190	/* a log line without its newline (a summary
				 * is at most 4096 bytes plus the queue id) */

static enum am_log_sink log_sink = AM_LOG_STDERR;	/* set once at start */
static int log_fd = 2;					/* stderr or LogFile */
static bool log_debug;					/* set once at start */
static char log_ident[32] = "authmilter";		/* set once at start */

/* am_log_open - choose the sink. */
enum am_status
am_log_open(enum am_log_sink sink, const char *ident, const char *path,
    struct am_why *why)
{
	int fd;

	if (ident != NULL)
		(void)am_snprintf_cut(log_ident, sizeof(log_ident), "%s",
		    ident);
	if (sink == AM_LOG_FILE) {
		fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
		if (fd < 0) {
			am_why_set(why, "%s: %s", path, strerror(errno));
			return AM_PERMFAIL;
		}
		if (log_fd > 2)
			(void)close(log_fd);
		log_fd = fd;
	} else if (sink == AM_LOG_SYSLOG) {
		openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
	}
	log_sink = sink;
	return AM_OK;
}

/* am_log_close - close a log file or syslog; later lines go to stderr. */
void
am_log_close(void)
{
	if (log_sink == AM_LOG_SYSLOG)
		closelog();
	if (log_fd > 2)
		(void)close(log_fd);
	log_fd = 2;
	log_sink = AM_LOG_STDERR;
}

void
am_log_set_debug(bool on)
{
	log_debug = on;
}

bool
am_log_is_debug(void)
{
	return log_debug;
}

/* vlog - format one line and write it to the sink, preserving errno. A
 * line longer than LINE_MAX_BYTES is cut, and ends in "..." (syslog cuts
 * on its own). */
static void
vlog(int prio, const char *tag, const char *fmt, va_list ap)
{
	char line[LINE_MAX_BYTES + 2];	/* with the newline and a NUL */
	int saved = errno, n = 0;
	struct tm tm;
	time_t now;

	if (log_sink == AM_LOG_SYSLOG) {
		vsyslog(prio, fmt, ap);
		errno = saved;
		return;
	}
	if (log_sink == AM_LOG_FILE) {
		now = time(NULL);
		(void)gmtime_r(&now, &tm);
		n = (int)strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%SZ ", &tm);
	}
	n += snprintf(line + n, sizeof(line) - (size_t)n, "%s[%ld]: %s",
	    log_ident, (long)getpid(), tag);
	if (n < (int)sizeof(line) - 1)
		n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	if (n > (int)sizeof(line) - 2) {
		n = (int)sizeof(line) - 2;
		memcpy(line + n - 3, "...", 3);
	}
	line[n++] = '\n';
	(void)!write(log_fd, line, (size_t)n);
	errno = saved;
}

#define AM_LOG_FN(name, prio, tag, gate)				\
void									\
name(const char *fmt, ...)						\
{									\
	va_list ap;							\
									\
	if (gate)							\
		return;							\
	va_start(ap, fmt);						\
	vlog(prio, tag, fmt, ap);					\
	va_end(ap);							\
}

AM_LOG_FN(am_log_debug, LOG_DEBUG, "debug: ", !log_debug)
AM_LOG_FN(am_log_info, LOG_INFO, "", false)
AM_LOG_FN(am_log_warn, LOG_WARNING, "warning: ", false)
AM_LOG_FN(am_log_err, LOG_ERR, "error: ", false)

/* am_panic - log "panic: file:line: ..." and abort. */
void
am_panic(const char *file, int line, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	(void)am_vsnprintf_cut(text, sizeof(text), fmt, ap);
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
	(void)am_vsnprintf_cut(text, sizeof(text), fmt, ap);
	va_end(ap);
	am_log_err("fatal: %s", text);
	exit(1);
}
