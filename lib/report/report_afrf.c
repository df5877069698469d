/*
 * report_afrf.c - DMARC failure report messages: RFC 5965 §2 (the
 * multipart/report; report-type=feedback-report layout, the required
 * Feedback-Type, User-Agent and Version fields), RFC 6591 §3 (auth-failure:
 * Auth-Failure and Authentication-Results required, DKIM-* fields), RFC
 * 6650 (Delivery-Result), RFC 7489 §7.3 (Identity-Alignment, Auth-Failure:
 * dmarc) and RFC 6590 redaction of local parts. Contract in report_afrf.h.
 */
#include "autoconf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "report/report_afrf.h"

#define MSG_MAX (1024 * 1024)	/* bytes of one report message */

/* w - the message being written; ok turns false at the first append past
 * the cap, so a message is whole or refused, never cut. */
struct w {
	struct am_buf *b;
	bool ok;
};

static void
w_put(struct w *w, const char *p, size_t len)
{
	if (w->ok && am_buf_append(w->b, p, len) != AM_OK)
		w->ok = false;
}

static void AM_FMT(2, 3)
w_printf(struct w *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (w->ok && am_buf_vprintf(w->b, fmt, ap) != AM_OK)
		w->ok = false;
	va_end(ap);
}

/* is_local - a local-part character (RFC 5322 atext and '.', minus the
 * '=' that separates "smtp.mailfrom=" from an address). */
static bool
is_local(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' &&
	    strchr("!#$%&'*+-/?^_`{|}~.", c) != NULL);
}

/* is_domain - can this byte start a domain after '@'? */
static bool
is_domain(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '[' || c >= 0x80;
}

/* local_start - where the local part before value[at] begins (at: none). */
static size_t
local_start(const char *v, size_t at)
{
	size_t i = at;

	if (at > 0 && v[at - 1] == '"') {	/* a quoted string */
		for (i = at - 1; i > 0; i--)
			if (v[i - 1] == '"' && (i < 2 || v[i - 2] != '\\'))
				return i - 1;
		return at;
	}
	while (i > 0 && is_local((unsigned char)v[i - 1]))
		i--;
	return i;
}

/* am_report_redact - value with each local part made "redacted". */
void
am_report_redact(const char *value, size_t len, struct am_buf *out)
{
	size_t i, done = 0, start;

	if (value == NULL || out == NULL)
		AM_PANIC("am_report_redact: NULL argument");
	for (i = 0; i < len; i++) {
		if (value[i] != '@' || i + 1 >= len ||
		    !is_domain((unsigned char)value[i + 1]))
			continue;
		start = local_start(value, i);
		if (start >= i || start < done)
			continue;
		(void)am_buf_append(out, value + done, start - done);
		(void)am_buf_puts(out, "redacted");
		done = i;
	}
	(void)am_buf_append(out, value + done, len - done);
}

/* put7 - text as 7-bit header text: printable ASCII and HTAB kept, an LF
 * kept as a fold (a tab added when no white space follows it), CR
 * dropped, anything else '?'. */
static void
put7(struct w *w, const char *p, size_t len)
{
	size_t i;
	char c;

	for (i = 0; i < len && w->ok; i++) {
		c = p[i];
		if (c == '\r')
			continue;
		if (c == '\n') {
			w_put(w, "\n\t", i + 1 < len && p[i + 1] != ' ' &&
			    p[i + 1] != '\t' ? 2 : 1);
			continue;
		}
		if (c != '\t' && ((unsigned char)c < 0x20 ||
		    (unsigned char)c >= 0x7f))
			c = '?';
		w_put(w, &c, 1);
	}
}

/* put_value - one value, redacted when asked, as 7-bit text. */
static void
put_value(struct w *w, const char *v, size_t len, bool is_redacted)
{
	struct am_buf r;

	if (!is_redacted) {
		put7(w, v, len);
		return;
	}
	am_buf_init(&r, 2 * len + 64);	/* "redacted" per '@' at most */
	am_report_redact(v, len, &r);
	put7(w, am_buf_str(&r), r.len);
	am_buf_release(&r);
}

/* put_headers - the text/rfc822-headers part's content. */
static void
put_headers(const struct am_afrf *a, struct w *w)
{
	size_t i;

	for (i = 0; i < a->nheaders; i++) {
		const struct am_afrf_header *h = &a->headers[i];

		put7(w, h->name, strlen(h->name));
		w_put(w, ": ", h->len > 0 && (h->value[0] == ' ' ||
		    h->value[0] == '\t') ? 1 : 2);
		put_value(w, h->value, h->len, a->is_redacted);
		w_put(w, "\n", 1);
	}
}

/* date - RFC 5322 date-time in UTC. */
static void
date(int64_t t, char *out, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	if (strftime(out, len, "%a, %d %b %Y %H:%M:%S +0000", &tm) == 0)
		AM_PANIC("report_afrf: date does not fit");
}

/* put_report - the message/feedback-report part's content. */
static void
put_report(const struct am_afrf *a, struct w *w)
{
	char when[64];

	date(a->arrival, when, sizeof(when));
	w_printf(w, "Feedback-Type: auth-failure\nUser-Agent: %s/%s\n"
	    "Version: 1\nOriginal-Mail-From: <", PACKAGE_NAME,
	    PACKAGE_VERSION);
	put_value(w, a->mail_from, strlen(a->mail_from), a->is_redacted);
	w_printf(w, ">\nArrival-Date: %s\nReporting-MTA: dns; ", when);
	put7(w, a->reporting_mta, strlen(a->reporting_mta));
	w_printf(w, "\nSource-IP: %s\nReported-Domain: %s\n"
	    "Authentication-Results: ", a->source_ip, a->domain);
	put7(w, a->authres, strlen(a->authres));
	w_printf(w, "\nAuth-Failure: %s\n", a->auth_failure);
	if (a->dkim_domain != NULL && a->dkim_selector != NULL)
		w_printf(w, "DKIM-Domain: %s\nDKIM-Selector: %s\n",
		    a->dkim_domain, a->dkim_selector);
	w_printf(w, "Delivery-Result: %s\nIdentity-Alignment: %s\n",
	    a->delivery, a->alignment);
}

/* put_intro - the message header and the text/plain part. */
static void
put_intro(const struct am_afrf *a, struct w *w)
{
	char now[64], when[64];

	date((int64_t)time(NULL), now, sizeof(now));
	date(a->arrival, when, sizeof(when));
	w_printf(w, "From: %s\nTo: %s\nSubject: DMARC failure report for %s "
	    "from %s\nDate: %s\nMessage-ID: <%s@%s>\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/report; report-type=feedback-report;\n"
	    " boundary=\"=_am_%s\"\n\n"
	    "This is a multi-part message in MIME format.\n\n",
	    a->from, a->to, a->domain, a->source_ip, now, a->report_id,
	    a->reporting_mta, a->report_id);
	w_printf(w, "--=_am_%s\nContent-Type: text/plain; charset=us-ascii\n"
	    "Content-Transfer-Encoding: 7bit\n\n"
	    "This is an authentication failure report (RFC 6591) for a "
	    "message\nfrom %s received from %s on %s: Auth-Failure %s.\n"
	    "Only its header is included%s.\n\n",
	    a->report_id, a->domain, a->source_ip, when, a->auth_failure,
	    a->is_redacted ? ", with the local part of every address "
	    "redacted" : "");
}

/* am_report_afrf_message - the whole report (see the header). */
enum am_status
am_report_afrf_message(const struct am_afrf *a, struct am_buf *out,
    struct am_why *why)
{
	struct w w = { out, true };

	if (a == NULL || out == NULL || a->from == NULL || a->to == NULL ||
	    a->reporting_mta == NULL || a->domain == NULL ||
	    a->auth_failure == NULL || a->source_ip == NULL ||
	    a->mail_from == NULL || a->authres == NULL ||
	    a->delivery == NULL || a->alignment == NULL ||
	    a->report_id == NULL || (a->nheaders > 0 && a->headers == NULL))
		AM_PANIC("am_report_afrf_message: NULL argument");
	am_buf_init(out, MSG_MAX);
	put_intro(a, &w);
	w_printf(&w, "--=_am_%s\nContent-Type: message/feedback-report\n\n",
	    a->report_id);
	put_report(a, &w);
	w_printf(&w, "\n--=_am_%s\nContent-Type: text/rfc822-headers\n"
	    "Content-Transfer-Encoding: 7bit\n\n", a->report_id);
	put_headers(a, &w);
	w_printf(&w, "\n--=_am_%s--\n", a->report_id);
	if (!w.ok) {
		am_buf_reset(out);
		am_why_set(why, "failure report for %s over %d bytes",
		    a->domain, MSG_MAX);
		return AM_PERMFAIL;
	}
	return AM_OK;
}
