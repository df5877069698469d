/*
 * NAME        ctl_report_send - authmilterctl report send
 * SYNOPSIS    authmilterctl report send [--dry-run] [--store FILE]...
 *                 [--period YYYY-MM-DD | --from T --to T]
 * DESCRIPTION am_ctl_report_send() takes argv from the action ("send").
 *             Without --period/--from/--to it sends every ended period of
 *             ReportInterval seconds of the last ReportRetention days that
 *             was not sent yet (missed periods are caught up), at most
 *             ReportMaxPerRun messages (lib/report/report_send.h). --period D
 *             sends the ended periods of that UTC day; --from/--to (ISO
 *             8601 UTC) sends that range as one period, even if it has not
 *             ended (tests). The first store (ReportStore or --store) keeps
 *             what was sent. DNS (external destination check) uses
 *             Nameservers/TrustAnchorFile, organizational domains the
 *             PublicSuffixList. --dry-run prints what would be sent.
 *             One line per decision on stdout; returns 0, 1 when a store
 *             failed or a send failed, 2 on a usage error.
 * THREADS     command-line use only.
 */
#ifndef AM_CTL_REPORT_SEND_H
#define AM_CTL_REPORT_SEND_H

#include "config/config.h"

int am_ctl_report_send(const struct am_config *cfg, int argc, char **argv);

#endif
