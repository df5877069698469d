/*
 * spf_header.c - an SPF result as header text (contract in spf.h): the
 * Authentication-Results resinfo (RFC 8601 §2.7.2: "spf=RESULT (comment)
 * smtp.mailfrom=..." or "smtp.helo=...") and the Received-SPF value
 * (RFC 7208 §9.1: the result, a comment, then key=value pairs, each value a
 * dot-atom or a quoted-string). Both read only the finished struct
 * am_spf_result that spf.c fills.
 */
#include "autoconf.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#include "core/am.h"
#include "msg/authres.h"
#include "core/buf.h"

#include "spf/spf.h"

/* ------------------------------------------------------------ output */

/* am_spf_add_authres - "spf=RESULT (comment) smtp.mailfrom|helo=..." */
void
am_spf_add_authres(const struct am_spf_result *r, struct am_authres *ar)
{
	bool is_error;

	if (r == NULL || ar == NULL)
		AM_PANIC("am_spf_add_authres: NULL argument");
	if (!r->is_checked)
		return;
	is_error = r->result == AM_SPF_TEMPERROR ||
	    r->result == AM_SPF_PERMERROR;
	am_authres_add_method(ar, "spf", am_spf_result_name(r->result),
	    is_error && r->reason[0] ? r->reason : NULL, r->comment);
	if (r->scope == AM_SPF_SCOPE_HELO)
		am_authres_add_prop(ar, "smtp", "helo", r->identity);
	else
		am_authres_add_prop(ar, "smtp", "mailfrom", r->identity);
}

/* is_dot_atom - RFC 5322 dot-atom-text, without "=" (PITFALLS: VERP). */
static bool
is_dot_atom(const char *s)
{
	static const char atext[] = "!#$%&'*+-/?^_`{|}~";
	bool is_dot_ok = false;

	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '.' && is_dot_ok) {
			is_dot_ok = false;
			continue;
		}
		if (c >= 0x80 || !(isalnum(c) || strchr(atext, c) != NULL))
			return false;
		is_dot_ok = true;
	}
	return is_dot_ok;
}

/* put_value - key=value as a dot-atom or a quoted-string. */
static enum am_status
put_value(struct am_buf *out, const char *key, const char *v)
{
	enum am_status st;

	st = am_buf_printf(out, " %s=", key);
	if (st != AM_OK || is_dot_atom(v))
		return st == AM_OK ? am_buf_printf(out, "%s;", v) : st;
	st = am_buf_putc(out, '"');
	for (; *v != '\0' && st == AM_OK; v++) {
		unsigned char c = (unsigned char)*v;

		if (c < 0x20 || c == 0x7f)
			c = ' ';	/* no control characters in a header */
		if (c == '"' || c == '\\')
			st = am_buf_putc(out, '\\');
		if (st == AM_OK)
			st = am_buf_putc(out, (char)c);
	}
	return st == AM_OK ? am_buf_puts(out, "\";") : st;
}

/* put_comment - "(text)" with (, ) and \ escaped as quoted-pairs. */
static enum am_status
put_comment(struct am_buf *out, const char *receiver, const char *text)
{
	enum am_status st = am_buf_puts(out, " (");
	const char *parts[3] = { receiver, ": ", text };
	size_t i;
	const char *p;

	for (i = 0; i < 3 && st == AM_OK; i++) {
		for (p = parts[i]; *p != '\0' && st == AM_OK; p++) {
			unsigned char c = (unsigned char)*p;

			if (c < 0x20 || c == 0x7f)
				c = ' ';
			if (c == '(' || c == ')' || c == '\\')
				st = am_buf_putc(out, '\\');
			if (st == AM_OK)
				st = am_buf_putc(out, (char)c);
		}
	}
	return st == AM_OK ? am_buf_putc(out, ')') : st;
}

/* am_spf_received_spf - a Received-SPF value (RFC 7208 §9.1) into out. */
enum am_status
am_spf_received_spf(const struct am_spf_result *r, const char *receiver,
    const char *client_ip, const char *helo, const char *envelope_from,
    struct am_buf *out)
{
	enum am_status st;

	if (r == NULL || receiver == NULL || client_ip == NULL ||
	    helo == NULL || envelope_from == NULL || out == NULL)
		AM_PANIC("am_spf_received_spf: NULL argument");
	am_buf_reset(out);
	st = am_buf_puts(out, am_spf_result_name(r->result));
	if (st == AM_OK)
		st = put_comment(out, receiver, r->comment);
	if (st == AM_OK)
		st = put_value(out, "client-ip", client_ip);
	if (st == AM_OK)
		st = put_value(out, "envelope-from", envelope_from);
	if (st == AM_OK && *helo != '\0')
		st = put_value(out, "helo", helo);
	if (st == AM_OK)
		st = put_value(out, "receiver", receiver);
	if (st == AM_OK)
		st = put_value(out, "identity", r->scope == AM_SPF_SCOPE_HELO ?
		    "helo" : "mailfrom");
	if (st == AM_OK)
		am_buf_truncate(out, out->len - 1);	/* last ';' */
	else
		am_buf_reset(out);
	return st;
}
