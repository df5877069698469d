/*
 * NAME        am_eml - read a message file the way an MTA hands it to a milter
 * DESCRIPTION am_eml_parse() reads an RFC 5322 message from fp (CRLF or bare
 *             LF line ends; a leading mbox "From " line is skipped) and calls
 *             on_header(arg, name, value, len) for each header field, with the
 *             value exactly as libmilter delivers it under SMFIP_HDR_LEADSPC:
 *             everything after the colon, leading white space kept, folded
 *             lines joined by "\n" without CR. Then on_eoh(arg) once at the end
 *             of the header block (also when there is no body), then
 *             on_body(arg, p, len) for the body in chunks, with CRLF line ends
 *             (what milters receive).
 *             A header longer than AM_EML_MAX_HEADER bytes or a line that is
 *             neither a header, a continuation nor the blank separator is an
 *             error (AM_PERMFAIL, reason with the line number in why); a read
 *             error is AM_TEMPFAIL.
 * THREADS     reentrant.
 */
#ifndef AM_EML_H
#define AM_EML_H

#include <stddef.h>
#include <stdio.h>

#include "core/am.h"

#define AM_EML_MAX_HEADER (1024 * 1024)

struct am_eml_sink {
	void (*on_header)(void *arg, const char *name, const char *value,
	    size_t len);
	void (*on_eoh)(void *arg);
	void (*on_body)(void *arg, const void *p, size_t len);
	void *arg;
};

enum am_status am_eml_parse(FILE *fp, const struct am_eml_sink *sink,
    struct am_why *why);

#endif
