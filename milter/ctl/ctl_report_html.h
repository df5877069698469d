/*
 * NAME        ctl_report_html - authmilterctl report html
 * SYNOPSIS    authmilterctl report html --out DIR [--store FILE|URI]...
 *                 [--days N] [--until YYYY-MM-DD] [--domain D] [--no-dns]
 *                 [--max-lookups N]
 * DESCRIPTION am_ctl_report_html() takes argv from the action ("html") on.
 *             It writes the DMARC dashboard (lib/report/report_html.h) for
 *             the N UTC days (default 30, at most 366) that end with
 *             --until (default today) into DIR, from the stores (default
 *             ReportStore; several are summed): received aggregate reports
 *             (report ingest) per policy domain, and the inbound rows.
 *             Reverse names of the busiest sources are looked up through
 *             the configured resolver (Nameservers, TrustAnchorFile), at
 *             most --max-lookups (default 100) addresses, all within
 *             DNSTimeout; --no-dns leaves them blank. Prints the path of
 *             index.html. Returns 0, 1 on a failure, 2 on a usage error.
 * THREADS     command-line use only.
 */
#ifndef AM_CTL_REPORT_HTML_H
#define AM_CTL_REPORT_HTML_H

#include "config/config.h"

int am_ctl_report_html(const struct am_config *cfg, int argc, char **argv);

#endif
