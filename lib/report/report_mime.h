/*
 * NAME        am_report_mime - a bounded MIME walker for report mail
 *             (RFC 2045, RFC 2046, RFC 5322): the leaf parts of one message,
 *             decoded
 * SYNOPSIS    st = am_report_mime_walk(msg, len, &lim, fn, arg, &why);
 *             am_report_mime_header(msg, len, "Message-ID", &buf);
 * DESCRIPTION am_report_mime_walk() reads the message msg[0..len) (LF or
 *             CRLF line ends) and calls fn once per leaf part, in order,
 *             with its content decoded (base64, quoted-printable; other
 *             encodings as they are). multipart parts are split at their
 *             boundary and walked, message/rfc822 parts are walked as
 *             messages; each of those is one nesting level. Nothing is
 *             handed to fn unless the whole message is acceptable: more
 *             than lim->max_depth levels, more than lim->max_parts parts,
 *             or a multipart without a boundary parameter refuse the
 *             message (AM_PERMFAIL, why). Header fields are unfolded; of a
 *             part's header only Content-Type (type, boundary, name),
 *             Content-Disposition (filename) and Content-Transfer-Encoding
 *             are read, each cut at 4 KiB. The part passed to fn and
 *             everything in it are borrowed for the call.
 *
 *             am_report_mime_header() appends the unfolded value of the
 *             first header field name (case-insensitive) of the message's
 *             top-level header to out; false when there is none.
 * THREADS     reentrant.
 * DIAGNOSTICS AM_PANIC on NULL arguments.
 */
#ifndef AM_REPORT_MIME_H
#define AM_REPORT_MIME_H

#include <stdbool.h>
#include <stddef.h>

#include "core/am.h"
#include "core/buf.h"
#include "report/report_ingest.h"

struct am_mime_part {
	const char *type;	/* lower-case "type/subtype"; default
				 * "text/plain" */
	const char *filename;	/* Content-Disposition filename, or the
				 * Content-Type name; "" when neither */
	const char *data;	/* decoded content */
	size_t len;		/* bytes of data */
	unsigned index;		/* 1-based number among the leaves */
};

typedef void am_mime_fn(void *arg, const struct am_mime_part *p);

enum am_status am_report_mime_walk(const char *msg, size_t len,
    const struct am_ingest_limits *lim, am_mime_fn *fn, void *arg,
    struct am_why *why);
bool am_report_mime_header(const char *msg, size_t len, const char *name,
    struct am_buf *out);

#endif
