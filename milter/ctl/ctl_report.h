/*
 * NAME        ctl_report - authmilterctl report export / expire
 * SYNOPSIS    authmilterctl report export [--store FILE]...
 *                 [--period YYYY-MM-DD | --from T --to T] [--domain D]
 *                 [--format rfc7489|rfc9990] --out DIR
 *             authmilterctl report expire [--store FILE]...
 *             authmilterctl report send ...	(ctl_report_send.h)
 * DESCRIPTION am_ctl_report() takes the subcommand's argv (argv[0] is
 *             "report", argv[1] the action, options follow).
 *
 *             export reads the stores (default ReportStore; several
 *             --store merge hosts) and writes one gzip XML report per
 *             policy domain and period into DIR (lib/report/report_xml.h), one
 *             path per line on stdout. Periods are ReportInterval long
 *             from 00:00 UTC: --period D exports the periods of that UTC
 *             day that have ended; without --period or --from/--to, the
 *             last ended period. --from/--to (ISO 8601 UTC,
 *             2026-11-22T10:00:00Z) is exported as given, even if open.
 *             org_name is ReportOrgName (default AuthservID), email
 *             ReportEmail (default postmaster@AuthservID), the receiver
 *             in file names the domain of that address.
 *
 *             expire deletes rows older than ReportRetention days.
 *             Returns 0, 1 on a failure (message on stderr), 2 on a usage
 *             error.
 * THREADS     command-line use only.
 */
#ifndef AM_CTL_REPORT_H
#define AM_CTL_REPORT_H

#include "config/config.h"

int am_ctl_report(const struct am_config *cfg, int argc, char **argv);

#endif
