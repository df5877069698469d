/*
 * NAME        ctl_stats - authmilterctl stats
 * SYNOPSIS    authmilterctl [-c FILE] stats [--file F]
 * DESCRIPTION am_ctl_stats() takes the subcommand's argv (argv[0] is
 *             "stats"). It reads the counters file the daemon writes every
 *             StatsInterval seconds (StatsFile, or --file F; format in
 *             lib/pipeline/stats.h) and prints a "# F: written N s ago" line, then the
 *             "name value" lines as the file has them.
 *             Returns 0; 1 when the file is missing, unreadable, malformed
 *             (the reason on stderr, nothing printed) or stale: older than
 *             three StatsInterval (the counters are printed, then the age
 *             and "is authmilter running?" on stderr); 2 on a usage error.
 * THREADS     command-line use only.
 */
#ifndef AM_CTL_STATS_H
#define AM_CTL_STATS_H

#include "config/config.h"

int am_ctl_stats(const struct am_config *cfg, int argc, char **argv);

#endif
