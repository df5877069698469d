/*
 * NAME        am_logline - the one summary log line of a message (STYLE.md
 *             §14)
 * SYNOPSIS    struct am_logline l = { .client_name = "mx.example", ...,
 *                 .results = &r, .verdict = &v };
 *             am_logline_format(&l, &v.summary);
 * DESCRIPTION am_logline_format() replaces the contents of out (its cap is
 *             the longest line: 4096 bytes for a verdict's summary) with
 *             the line, without the queue-id prefix the caller logs it
 *             under:
 *               client=NAME[IP] helo=H mode=inbound|outbound[ auth=U]
 *               from=<S> rcpts=N headers=N body=N removed=N tls=MODE[/VER]
 *               [anomalies=a,b]
 *             what the message was (removed: the verdict's deletions;
 *             anomalies: the am_msg flags, and authres-truncated when A-R
 *             entries were left out); then the results and the decision's
 *             notes:
 *               [tls-policy=ACTION reason="..."]
 *               inbound: spf=R spf-helo=R (or spf=skipped)
 *                        dkim=none | dkim=R:d,R:d[,+N] (10 named at most)
 *                        [arc=R[(i=N)]] (a message with ARC headers)
 *                        dmarc=R(DOMAIN[ p=P dis=D][ override=O])
 *                        [arc-seal=i=N | arc-seal=no(WHY)] (ARCSeal)
 *               [internal-error="Authentication-Results too long"]
 *               [authres-dropped=N]
 *               outbound: dkim-sign=none(WHY) | dkim-sign=error(WHY)
 *                         [internal-error="DKIM signing failed"] |
 *                         [dkim-sign-existing=NOTE] dkim-sign=d/s,d/s
 *               [internal-error="TLS header too long"]
 *             or, for a transaction that ended without end of message
 *             (results NULL), stage=STAGE reason="WHY"; then the outcome:
 *               [reply="CODE XCODE TEXT"] action=A elapsed=Nms
 *             with the reply for a reject or tempfail, A the disposition
 *             ("aborted" for an abandoned transaction). Client name, HELO,
 *             user and sender are cut at AM_LOGLINE_FIELD_MAX bytes, a cut
 *             marked "..."; the outcome always fits: results that would
 *             push it out are cut, the cut marked "...". Control bytes
 *             (a CR or LF from the client) become '?': one line, always.
 * THREADS     reentrant.
 */
#ifndef AM_LOGLINE_H
#define AM_LOGLINE_H

#include <stddef.h>

#include "core/buf.h"
#include "pipeline/results.h"
#include "pipeline/verdict.h"
#include "tls/tls_status.h"

#define AM_LOGLINE_FIELD_MAX 256	/* client, helo, user, sender */

struct am_logline {
	const char *client_name;	/* from the MTA, "unknown" if none */
	const char *client_ip;		/* address as text, or "unknown" */
	const char *helo;		/* HELO/EHLO argument, "" if none */
	const char *auth_user;		/* {auth_authen}, or NULL */
	const char *sender;		/* MAIL FROM, "" for the null sender */
	size_t rcpts;			/* RCPT TO seen */
	size_t headers;			/* headers seen, kept or not */
	unsigned long long body_bytes;	/* body bytes seen */
	unsigned anomalies;		/* am_msg anomaly flags (msg.h) */
	const struct am_tls_status *tls;	/* the connection's TLS */
	long elapsed_ms;		/* since MAIL FROM */
	const struct am_results *results;	/* NULL: abandoned */
	const struct am_verdict *verdict;	/* the decision */
	const char *stage;		/* abandoned: the last stage */
	const char *why;		/* abandoned: why it ended */
};

void am_logline_format(const struct am_logline *l, struct am_buf *out);

#endif
