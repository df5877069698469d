/*
 * NAME        am_report_fail - DMARC failure reports (RFC 9991, RFC 6591):
 *             which message gets one (fo=), the per-domain hourly limit,
 *             and one sender thread that mails them to ruf= addresses
 * SYNOPSIS    q = am_report_fail_open(&opts, &why);          (the daemon)
 *             type = am_report_fail_type(dmarc, dkim, spf, &sig);
 *             if (type != NULL) {
 *                     in.afrf.auth_failure = type; ... the rest of in ...
 *                     r = am_report_fail_enqueue(q, &in);  (never waits)
 *             }
 *             am_report_fail_flush(q, 5000);               (tests)
 *             q = am_report_fail_close(q, &final);
 * DESCRIPTION am_report_fail_type() says whether a message gets a failure
 *             report, from the DMARC result d the decision applied (its
 *             record's fo= and ruf=), the DKIM results and the MAIL FROM
 *             SPF result (both may be NULL): NULL when d has no record or
 *             no ruf= URI, else the first that applies of
 *               "dmarc"      d failed and fo= has 0 (the default) or 1;
 *               "bodyhash",  fo= has 1 or d and a DKIM signature failed
 *               "signature"  (result fail; bodyhash for "body hash
 *                            mismatch"); *sig is set to it;
 *               "spf"        fo= has 1 or s and SPF failed (result fail).
 *             (fo=1 asks for a report when any mechanism produced no
 *             aligned pass; one that merely was absent -- no signature --
 *             or passed unaligned is not a failure we can describe with an
 *             Auth-Failure value, so it gets none.) *sig is NULL otherwise.
 *
 *             am_report_fail_open() starts the sender thread and returns an
 *             owned queue (NULL with why when the thread cannot start).
 *             opts may be NULL (defaults: 256 queued reports).
 *             opts->note, when set, is called from the sender thread with
 *             one line per decision (sent, refused, failed), for the daemon
 *             to log (lib/ never logs).
 *
 *             am_report_fail_enqueue() copies in (everything borrowed for
 *             the call, except in->dns: see release) into the queue and
 *             returns at once; it never touches the network. First the
 *             limit: at most in->rate_per_hour reports per Reported-Domain
 *             (in->afrf.domain, any case) in a window of one hour that
 *             starts with the domain's first report (RATE_LIMITED past it;
 *             the windows of 1024 domains are kept: when every one is in
 *             use, a new domain is RATE_LIMITED too). A full queue or a
 *             closing one is DROPPED. in->release(in->owner) is called
 *             once when the report is done (sent or given up) or at once
 *             when it is not queued: in->dns must stay usable until then
 *             (the pipeline passes a reference to its runtime).
 *             The thread, per report and per mailto: URI of in->ruf (at
 *             most AM_DMARC_MAX_RUF, "!size" limits honoured): the RFC 7489
 *             §7.1 external-destination check as for rua (report_send.h
 *             am_report_dest_check, exact names: an address at the policy
 *             domain or below it needs no record, any other needs
 *             <policy domain>._report._dmarc.<its domain>; a DNS error is
 *             not retried), then the message (report_afrf.h, To: the
 *             address, a fresh report id), mailed by SMTP to
 *             in->smtp_server when set, else through in->sendmail -t -i,
 *             from in->afrf.from. Failure reports are not retried.
 *
 *             am_report_fail_counters() copies the counters.
 *             am_report_fail_flush() waits up to timeout_ms until the queue
 *             is empty and the thread idle (AM_TEMPFAIL if not; never from
 *             a milter callback). am_report_fail_close() refuses new
 *             reports, lets the thread finish the queue, joins it, copies
 *             the final counters (may be NULL), frees and returns NULL;
 *             accepts NULL.
 * THREADS     enqueue, counters and flush from any thread; the queue and
 *             the windows are covered by the queue's mutex.
 * DIAGNOSTICS NULL arguments are a panic.
 */
#ifndef AM_REPORT_FAIL_H
#define AM_REPORT_FAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/am.h"
#include "dkim/dkim_verify.h"
#include "dmarc/dmarc.h"
#include "dns/dns.h"
#include "spf/spf.h"
#include "report/report_afrf.h"

enum am_report_fail_queued {
	AM_REPORT_FAIL_QUEUED = 0,	/* the thread will send it */
	AM_REPORT_FAIL_RATE_LIMITED,	/* over the domain's hourly limit */
	AM_REPORT_FAIL_DROPPED,		/* queue full or closing */
};

struct am_report_fail_opts {
	size_t queue_max;		/* reports waiting; 0: 256 */
	void (*note)(void *arg, const char *line);	/* or NULL */
	void *note_arg;
};

/* One report to send: borrowed for the enqueue call. */
struct am_report_fail_input {
	struct am_afrf afrf;		/* to and report_id are the thread's */
	const char *policy_domain;	/* where the record was found */
	const char *const *ruf;		/* the record's ruf= URIs */
	size_t nruf;
	struct am_dns *dns;		/* for the §7.1 check; see release */
	void (*release)(void *owner);	/* called once, any thread */
	void *owner;
	const char *sendmail;		/* ReportSendmail */
	const char *smtp_server;	/* ReportSMTPServer, or "" */
	const char *helo;		/* EHLO name */
	unsigned timeout_ms;		/* DNS and SMTP replies */
	unsigned rate_per_hour;		/* FailureReportRate */
	int64_t now;			/* UTC seconds, for the limit */
};

struct am_report_fail_counters {
	uint64_t queued;	/* accepted into the queue */
	uint64_t rate_limited;	/* over a domain's hourly limit */
	uint64_t dropped;	/* queue full or closing */
	uint64_t sent;		/* messages handed to the MTA */
	uint64_t denied;	/* destinations refused by the §7.1 check,
				 * a DNS error, or a !size limit */
	uint64_t failed;	/* messages the MTA did not take */
};

struct am_report_fail;

const char *am_report_fail_type(const struct am_dmarc_result *d,
    const struct am_dkim_results *dkim, const struct am_spf_result *spf,
    const struct am_dkim_sig **sig);
struct am_report_fail *am_report_fail_open(
    const struct am_report_fail_opts *opts, struct am_why *why);
enum am_report_fail_queued am_report_fail_enqueue(struct am_report_fail *q,
    const struct am_report_fail_input *in);
void am_report_fail_counters(struct am_report_fail *q,
    struct am_report_fail_counters *out);
enum am_status am_report_fail_flush(struct am_report_fail *q,
    unsigned timeout_ms);
struct am_report_fail *am_report_fail_close(struct am_report_fail *q,
    struct am_report_fail_counters *final);

#endif
