/*
 * NAME        am_ctl_args - command-line values shared by authmilterctl's
 *             subcommands
 * DESCRIPTION am_ctl_time_parse() reads "YYYY-MM-DD" (is_day) or
 *             "YYYY-MM-DDTHH:MM:SSZ", both UTC (RFC 7489 §7.2: reports cover
 *             UTC days), into *t and returns true; false when s is neither.
 *             Used by report export/expire and report send.
 * THREADS     command-line use only.
 */
#ifndef AM_CTL_ARGS_H
#define AM_CTL_ARGS_H

#include <stdbool.h>
#include <stdint.h>

bool am_ctl_time_parse(const char *s, bool is_day, int64_t *t);

#endif
