/*
 * NAME        ctl_report_ingest - authmilterctl report ingest
 * SYNOPSIS    authmilterctl report ingest [--store FILE|URI] [--schema XSD]...
 *                 [--strict] [--max-size BYTES] FILE|DIR|-...
 * DESCRIPTION am_ctl_report_ingest() takes argv from the action ("ingest")
 *             on. It reads received DMARC aggregate reports (XML, gzip,
 *             zip, or mail with those attached; a file, a directory, a
 *             Maildir, an mbox, "-" for standard input: report_source.h,
 *             report_unpack.h), parses them (report_ingest.h) and stores
 *             them in the store (default ReportStore), once per (org_name,
 *             report_id). One line per report on stdout ("stored ...",
 *             "duplicate ...", "skipped ..."), a refusal on stderr with
 *             the reason; then "N stored, N duplicate, N refused, N
 *             skipped". --schema validates each report against the XSD of
 *             its namespace as a diagnostic (a warning line); with
 *             --strict a report that does not validate is refused.
 *             --max-size bounds every input file, message and
 *             decompressed document (default 32 MiB). Returns 0, 1 when
 *             something was refused or the store failed, 2 on a usage
 *             error. Terminal control bytes in what is printed are
 *             replaced by '?'.
 * THREADS     command-line use only.
 */
#ifndef AM_CTL_REPORT_INGEST_H
#define AM_CTL_REPORT_INGEST_H

#include "config/config.h"

int am_ctl_report_ingest(const struct am_config *cfg, int argc, char **argv);

#endif
