/*
 * NAME        am_log - the log sink (STYLE.md §14)
 * DESCRIPTION am_log_open() chooses the sink once at start-up: stderr (the
 *             daemon's -f, and the tools), syslog facility mail, or a file
 *             (LogFile). Until it is called, messages go to stderr.
 *             am_log_{debug,info,warn,err} preserve errno. Debug lines are
 *             dropped unless am_log_set_debug(true).
 * THREADS     the sink is set once before threads start; logging itself is
 *             thread-safe (one write per line).
 */
#ifndef AM_LOG_H
#define AM_LOG_H

#include <stdbool.h>

#include "core/am.h"

enum am_log_sink {
	AM_LOG_STDERR,		/* one line per message on fd 2 */
	AM_LOG_SYSLOG,		/* syslog(3), facility LOG_MAIL */
	AM_LOG_FILE,		/* append to a file */
};

/* am_log_open - set the sink; path is used for AM_LOG_FILE. Returns AM_OK or
 * AM_PERMFAIL (file cannot be opened) with the reason in why. */
enum am_status am_log_open(enum am_log_sink sink, const char *ident,
    const char *path, struct am_why *why);
void am_log_close(void);
void am_log_set_debug(bool on);
bool am_log_is_debug(void);

void am_log_debug(const char *fmt, ...) AM_FMT(1, 2);
void am_log_info(const char *fmt, ...) AM_FMT(1, 2);
void am_log_warn(const char *fmt, ...) AM_FMT(1, 2);
void am_log_err(const char *fmt, ...) AM_FMT(1, 2);

#endif
