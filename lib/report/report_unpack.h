/*
 * NAME        am_report_unpack - find the XML reports in what arrived: XML,
 *             gzip, zip, or a whole mail message with those attached
 * SYNOPSIS    am_report_unpack("report.eml", data, len, &lim, fn, arg);
 * DESCRIPTION am_report_unpack() looks at data[0..len) (untrusted) by its
 *             content, not its name, and calls fn once per piece found:
 *             - AM_UNPACK_XML with the document (borrowed for the call)
 *               for an XML document (optional BOM and white space, then
 *               '<'), the content of a gzip file (RFC 1952; members
 *               concatenated) or of each regular entry of a zip file;
 *             - AM_UNPACK_REFUSED with the reason for a piece that cannot
 *               be a report or breaks a bound: a gzip or zip entry that
 *               decompresses to more than lim->max_bytes (bombs stop at the
 *               bound: the output is counted as it is produced, never
 *               sized from headers), a zip with more than lim->max_parts
 *               entries or more than lim->max_bytes in all, an encrypted
 *               entry, corrupt data, decompressed data that is not XML, a
 *               message the MIME walker refuses (report_mime.h), data that
 *               is none of the forms above;
 *             - AM_UNPACK_SKIPPED for a mail message without any part that
 *               could hold a report (no XML, gzip or zip type or file name:
 *               the rua mailbox also gets ordinary mail).
 *             A message is recognised by its first line, a header field
 *             ("Name: value"). Its candidate parts (types text/xml,
 *             application/xml, application/gzip, application/zip and their
 *             x- forms, application/octet-stream; or a file name ending in
 *             .xml, .gz or .zip) are unpacked like a file (gzip, zip or
 *             XML: no further nesting). label names each piece for the
 *             messages: the given label, then ": part N (file name)" and
 *             ": entry NAME" as the piece lies deeper (borrowed for the
 *             call). Each piece is independent: one refused piece stops
 *             nothing else.
 * THREADS     reentrant.
 * DIAGNOSTICS AM_PANIC on NULL arguments.
 */
#ifndef AM_REPORT_UNPACK_H
#define AM_REPORT_UNPACK_H

#include <stddef.h>

#include "report/report_ingest.h"

enum am_unpack_kind {
	AM_UNPACK_XML = 0,	/* data is an XML document */
	AM_UNPACK_REFUSED,	/* reason says why */
	AM_UNPACK_SKIPPED,	/* reason says why */
};

typedef void am_unpack_fn(void *arg, enum am_unpack_kind kind,
    const char *label, const char *data, size_t len, const char *reason);

void am_report_unpack(const char *label, const char *data, size_t len,
    const struct am_ingest_limits *lim, am_unpack_fn *fn, void *arg);

#endif
