/*
 * NAME        am_report_afrf - one DMARC failure report message (RFC 6591
 *             authentication failure report in the RFC 5965 Abuse Reporting
 *             Format; RFC 7489 §7.3 and RFC 9991 for DMARC), and redaction
 *             (RFC 6590)
 * SYNOPSIS    struct am_afrf a = { .from = ..., .to = ..., ... };
 *             st = am_report_afrf_message(&a, &msg, &why);
 *             am_report_redact(value, len, &out);
 * DESCRIPTION am_report_afrf_message() initialises out (the caller releases
 *             it, also after a failure) and writes into it (LF line ends, as
 *             am_report_message() writes) a
 *             multipart/report; report-type=feedback-report message from
 *             a->from to a->to: a text/plain part saying what failed, a
 *             message/feedback-report part with
 *               Feedback-Type: auth-failure, User-Agent, Version: 1,
 *               Original-Mail-From, Arrival-Date, Reporting-MTA: dns; MTA,
 *               Source-IP, Reported-Domain, Authentication-Results (our
 *               value, folded), Auth-Failure (a->auth_failure: dmarc,
 *               bodyhash, signature or spf), DKIM-Domain and DKIM-Selector
 *               when given, Delivery-Result (RFC 6650) and
 *               Identity-Alignment (RFC 7489 §7.3: none, dkim, spf or
 *               "dkim, spf"),
 *             and a text/rfc822-headers part with the message's headers
 *             (never its body), each "Name: value" with its folds kept.
 *             With a->is_redacted every address local part in the headers
 *             and in Original-Mail-From becomes "redacted"
 *             (am_report_redact()). Every byte outside printable ASCII,
 *             HTAB and the folds' LF is written as '?', so every part is
 *             7bit. AM_PERMFAIL (why) when the message would pass 1 MiB.
 *
 *             am_report_redact() appends value[0..len) to out with each local
 *             part replaced by "redacted": before every '@' that a domain
 *             character follows, the run of local-part characters (letters,
 *             digits and !#$%&'*+-/?^_`{|}~.), or a quoted string ending
 *             right before it. A separator ends the run (white space,
 *             < > ( ) , ; : [ ] \ = and '"'): so "smtp.mailfrom=a@b"
 *             keeps its "smtp.mailfrom=", and an SRS address keeps its
 *             forwarder fields but loses the user. "@b" alone (DKIM i=) is
 *             kept.
 * THREADS     reentrant.
 * DIAGNOSTICS NULL strings are a panic (optional ones may be NULL where
 *             the field comments say so).
 */
#ifndef AM_REPORT_AFRF_H
#define AM_REPORT_AFRF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/am.h"
#include "core/buf.h"

/* One header of the reported message, as received. */
struct am_afrf_header {
	const char *name;
	const char *value;	/* folds as "\n", maybe a leading space */
	size_t len;		/* bytes of value */
};

struct am_afrf {
	const char *from;		/* From: (ReportFrom) */
	const char *to;			/* the ruf address */
	const char *reporting_mta;	/* AuthservID */
	const char *domain;		/* Reported-Domain: the author domain */
	const char *auth_failure;	/* dmarc, bodyhash, signature, spf */
	const char *source_ip;		/* the client's address */
	const char *mail_from;		/* MAIL FROM ("" for <>) */
	const char *authres;		/* our A-R value, "\n\t" folds */
	const char *delivery;		/* delivered, policy, reject, other */
	const char *alignment;		/* Identity-Alignment value */
	const char *dkim_domain;	/* or NULL */
	const char *dkim_selector;	/* or NULL */
	int64_t arrival;		/* UTC seconds */
	const char *report_id;		/* unique: Message-ID, boundary */
	bool is_redacted;		/* FailureReportRedact */
	const struct am_afrf_header *headers;	/* in order */
	size_t nheaders;
};

enum am_status am_report_afrf_message(const struct am_afrf *a,
    struct am_buf *out, struct am_why *why);
void am_report_redact(const char *value, size_t len, struct am_buf *out);

#endif
