/*
 * NAME        am_authres - Authentication-Results builder and parser (RFC 8601)
 * DESCRIPTION Builder: am_authres_new(authserv_id) returns an owned builder
 *             (am_authres_free()). am_authres_add_method() appends one
 *             resinfo: method, result, optional reason (reason=) and optional
 *             comment (put in parentheses after the result, with (, ) and \
 *             escaped). am_authres_add_prop() appends "ptype.property=value"
 *             to the last method added (panic if none). A builder with no
 *             method formats as "id; none" (RFC 8601 §2.2).
 *             am_authres_format() writes the header *value* (no name, no
 *             leading space, no trailing newline) into out: authserv-id quoted
 *             when it is not a valid RFC 2045 token (e.g. "host/job"), each
 *             value written as a token or a quoted-string as §2.2 requires,
 *             resinfos separated by ";", folded with "\n\t" so no line
 *             exceeds 78 characters where a break point exists (the first
 *             line counts the field name "Authentication-Results: ").
 *             AM_PERMFAIL if out's cap is hit.
 *             am_authres_format_fit() does the same, but when the whole
 *             header does not fit out's cap it leaves out the trailing
 *             resinfos of method (e.g. "dkim"), as few as it can, and ends
 *             the last one kept (else the nearest other resinfo) with the
 *             comment "(N more dkim results not shown)"; *dropped gets N (0
 *             when everything fit). AM_PERMFAIL only when the header does not
 *             fit even with none of them.
 *             Layout: "id;" then each resinfo on its own "\n\t" line; its
 *             pieces (method=result, comment, reason=, each prop) joined by
 *             " ", or by "\n\t" where the line would pass 78; a piece is
 *             never split. Example: "mx.example.org;\n\tspf=pass
 *             smtp.mailfrom=example.net;\n\tdkim=pass header.d=example.net".
 *             out's old contents are replaced; on AM_PERMFAIL it is empty.
 *             Strings are copied (the caller keeps its own): reason, comment,
 *             value and authserv_id have each run of control characters
 *             (bytes below 0x20, and 0x7f) turned into one space; a pvalue
 *             "local@domain" is written with the local-part quoted when it is
 *             not a dot-atom ("john doe"@example.com), and parses back to
 *             the same unquoted string. method, result, ptype and property
 *             must be keywords ([A-Za-z0-9_-]+): they are code constants, so
 *             anything else, like NULL arguments, is a panic.
 *
 *             Parser: am_authres_parse() parses a header value (as received:
 *             folded lines with \n or \r\n, comments, quoted strings) into an
 *             owned struct am_authres_parsed (am_authres_parsed_free()). It
 *             never reads outside value[0..len) and rejects anything it cannot
 *             fully parse with AM_PERMFAIL and a reason (why may be NULL;
 *             *out is NULL then). Limits, each a PERMFAIL: len > 1 MiB,
 *             comments nested deeper than 64, more than 256 resinfos, more
 *             than 64 props in one. Any control character other than HTAB,
 *             CR and LF (NUL included) is rejected. method, result, ptype and
 *             property come back lower-cased; values keep their case, lose
 *             their quoting, and have folds removed and HTAB made a space.
 *             Comments and method versions ("dkim/1") are dropped. Lenient
 *             where real headers need it: a bare pvalue may hold "/", "=",
 *             "?" and 8-bit bytes (DKIM header.b=), and keywords may hold "_".
 *             am_authres_is_ours() answers the one question the milter asks of
 *             incoming headers: does this header claim our authserv-id? True
 *             when it parses with an authserv-id equal to ours (ASCII
 *             case-insensitive), and also when it does not parse but our id
 *             appears in it case-insensitively (an unparseable header that
 *             names us is treated as forged: PITFALLS "Trust boundary").
 *             "Appears" also covers the value with comments, whitespace,
 *             quotes and backslashes removed (mx(x).example.org). A header
 *             that parses with another id is never ours, even when our id is
 *             in a value or comment; "our.id.evil.com" is not "our.id", but
 *             "OUR.ID." is (am_authres_id_eq(): ASCII case-insensitive, one
 *             final dot ignored on either side).
 *             our_id must be non-empty (panic otherwise).
 * THREADS     builder: one owner; parser: reentrant.
 */
#ifndef AM_AUTHRES_H
#define AM_AUTHRES_H

#include <stdbool.h>
#include <stddef.h>

#include "core/am.h"
#include "core/buf.h"

struct am_authres;

struct am_authres *am_authres_new(const char *authserv_id);
struct am_authres *am_authres_free(struct am_authres *ar);
void am_authres_add_method(struct am_authres *ar, const char *method,
    const char *result, const char *reason, const char *comment);
void am_authres_add_prop(struct am_authres *ar, const char *ptype,
    const char *property, const char *value);
enum am_status am_authres_format(const struct am_authres *ar,
    struct am_buf *out) AM_WUR;
enum am_status am_authres_format_fit(const struct am_authres *ar,
    const char *method, struct am_buf *out, size_t *dropped) AM_WUR;

struct am_authres_prop {
	char *ptype;		/* owned: "smtp", "header", "policy", ... */
	char *property;		/* owned: "mailfrom", "d", ... */
	char *value;		/* owned: unquoted value */
};

struct am_authres_method {
	char *method;		/* owned: "spf", "dkim", ... (lower-cased) */
	char *result;		/* owned: "pass", ... (lower-cased) */
	char *reason;		/* owned or NULL */
	size_t nprops;
	struct am_authres_prop *props;	/* owned array of nprops */
};

struct am_authres_parsed {
	char *authserv_id;	/* owned, unquoted */
	int version;		/* 1 when absent */
	bool is_none;		/* "id; none" */
	size_t nmethods;
	struct am_authres_method *methods;	/* owned array of nmethods */
};

enum am_status am_authres_parse(const char *value, size_t len,
    struct am_authres_parsed **out, struct am_why *why);
struct am_authres_parsed *am_authres_parsed_free(struct am_authres_parsed *p);
bool am_authres_is_ours(const char *value, size_t len, const char *our_id);
bool am_authres_id_eq(const char *a, const char *b);

#endif
