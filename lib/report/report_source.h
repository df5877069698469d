/*
 * NAME        am_report_source - the files that report ingest reads: one
 *             file, a directory, a Maildir, an mbox, standard input
 * SYNOPSIS    st = am_report_source_read(path, &lim, fn, arg, &why);
 * DESCRIPTION am_report_source_read() calls fn once per item under path
 *             (what am_report_unpack() then looks into), in order, with its
 *             bytes (borrowed for the call), or with refused set (data
 *             NULL) when the item breaks lim->max_bytes: such an item is
 *             never read into memory past the bound, and the next items
 *             are read as usual.
 *             - "-" is standard input; a file is one item; either is an
 *               mbox when it starts with "From ": then each message is one
 *               item (label "PATH: message N"), read line by line, a
 *               message starting at a "From " line at the start or after
 *               an empty line; its "From " line is not part of it.
 *             - A Maildir (a directory with cur/ and new/) is every file
 *               of new/ then cur/, in name order; a file of new/ is moved
 *               to cur/ (info ":2,S", seen) once fn has returned, as a
 *               mail reader does. Ingesting is idempotent (reports are
 *               unique by org_name and report_id), so cur/ is read again
 *               on every run.
 *             - Another directory is each regular file in it (not
 *               recursive; names starting with '.' skipped), in name order.
 *             AM_TEMPFAIL with why when path itself cannot be read (an
 *             unreadable file inside a directory is reported through fn).
 * THREADS     command-line use; reentrant.
 */
#ifndef AM_REPORT_SOURCE_H
#define AM_REPORT_SOURCE_H

#include <stddef.h>

#include "core/am.h"
#include "report/report_ingest.h"

typedef void am_source_fn(void *arg, const char *label, const char *data,
    size_t len, const char *refused);

enum am_status am_report_source_read(const char *path,
    const struct am_ingest_limits *lim, am_source_fn *fn, void *arg,
    struct am_why *why);

#endif
