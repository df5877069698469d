/*
 * NAME        am_inbound - the checks run on one inbound message
 * DESCRIPTION am_inbound_new() starts the per-message verification state on
 *             a pinned runtime (borrowed; it must outlive the object) and
 *             returns it owned; am_inbound_free() accepts NULL, returns NULL,
 *             and may be called at any stage (an aborted transaction): what
 *             was started early is cancelled or left to finish on its own,
 *             never answered into freed memory.
 *             The checks start as soon as their inputs are known, so their
 *             DNS round trips pass while the message streams (issue 16):
 *             am_inbound_helo_start() starts the SPF check of the HELO
 *             identity (at HELO; NULL client is a panic) and returns it
 *             owned (am_spf_job_free()); am_inbound_mail() (at MAIL FROM:
 *             env's client, HELO and sender; from is not read) takes such a
 *             job (NULL: none; one started for another client or HELO is
 *             dropped) and starts what is missing and the MAIL FROM check.
 *             The session feeds the kept headers in arrival order
 *             (am_inbound_header(), values as libmilter gives them),
 *             am_inbound_eoh() with the message msg (borrowed until the
 *             object is freed: its headers must not change; the DKIM and
 *             ARC key lookups start here), then am_inbound_prefetch() with
 *             env complete but for the results (the _dmarc lookups start:
 *             am_dmarc_prefetch(), for the From headers, the DKIM d=
 *             domains of the headers and the SPF domain), the body as it
 *             streams (am_inbound_body(); it returns false once no check
 *             needs more body, so the milter may skip the rest; the ARC
 *             sealer needs all of it) and, at end of message,
 *             am_inbound_eom(), which finishes every check (DKIM, ARC --
 *             RFC 8617 §5.2, with ARCMaxSets and MinimumKeyBits --, then
 *             SPF for MAIL FROM and HELO with env's client, HELO and sender
 *             -- none without a client address; the checks started early
 *             when they were started for these inputs, else run now --,
 *             then DMARC over env's From headers, given the ARC set a
 *             trusted sealer vouches for, arc_trust.h) and writes the
 *             Received-SPF value of the MAIL FROM check (the HELO one when
 *             MAIL FROM was not checked). A caller that skips the early
 *             calls gets the same results, with the lookups made at end of
 *             message.
 *             It decides nothing: am_inbound_results() then points the
 *             inbound fields of r (results.h: SPF, DKIM, ARC, whether
 *             List-Id or List-Post is present, every DMARC author result,
 *             Received-SPF, and the ARC sealer with ARCSeal) at the
 *             results, which stay readable until the object is freed, and
 *             the decision (lib/pipeline/decide.h) reads them. The sealer
 *             seals msg as it is at end of message, once (a second call is
 *             refused).
 *             am_inbound_report() enqueues the message's aggregate-report
 *             row with dmarc, the DMARC result the decision applied (NULL:
 *             no row), to rs (NULL: no store); rcpt is the first
 *             recipient.
 *             DNS budget: nothing before end of message waits for DNS.
 *             am_inbound_eom() starts the message's budget of DNSTimeout
 *             (dns_budget.h), and every wait there -- for the DKIM and ARC
 *             keys, the SPF checks, the DMARC records and tree walk, early
 *             or not -- ends by its deadline: a dead resolver costs the
 *             message one DNSTimeout counted from the end of DATA, however
 *             long the body took, and a lookup after the budget is spent
 *             fails at once as temperror ("timeout") without a query. A
 *             check started early has its own DNSTimeout from when it
 *             started (SPF: the whole evaluation), so it ends before that
 *             deadline too.
 *             am_inbound_failure_report() queues the DMARC failure report
 *             of the message on q (report_fail.h; NULL: none) when
 *             FailureReports is on and the DMARC result the decision
 *             applied (v->dmarc) asks for one (fo=, ruf=:
 *             am_report_fail_type()): our A-R as v inserts it, the
 *             disposition as Delivery-Result, the message's headers (those
 *             we remove left out), redacted as FailureReportRedact says,
 *             sent through ReportSMTPServer or ReportSendmail from
 *             ReportFrom (else ReportEmail, else postmaster@AuthservID),
 *             FailureReportRate a domain and hour. It only copies and
 *             queues (the report holds a reference to the runtime, for its
 *             resolver, until it is sent): never any network or disk.
 * THREADS     one message, one callback at a time; the runtime is shared.
 */
#ifndef AM_INBOUND_H
#define AM_INBOUND_H

#include <stdbool.h>
#include <stddef.h>

#include "core/netaddr.h"
#include "dmarc/dmarc.h"
#include "msg/msg.h"
#include "pipeline/ctx.h"
#include "pipeline/results.h"
#include "pipeline/verdict.h"
#include "report/report_fail.h"
#include "report/report_store.h"

struct am_inbound;

/* What the connection knows about the sender at end of message. */
struct am_inbound_env {
	const struct am_addr *client;	/* client address, or NULL */
	const char *client_ip;		/* the same as text */
	const char *helo;		/* HELO/EHLO argument, "" if none */
	const char *sender;		/* MAIL FROM without <>, "" = null */
	const struct am_str *from;	/* every From header value */
	size_t nfrom;			/* entries in from[] */
	const struct am_msg *msg;	/* the message (for eoh, if not yet) */
};

/* DKIM d= domains passed to am_dmarc_prefetch() at most. */
#define AM_INBOUND_PREFETCH_IDS 8

struct am_inbound *am_inbound_new(struct am_runtime *rt, const char *jobid);
struct am_inbound *am_inbound_free(struct am_inbound *in);
struct am_spf_job *am_inbound_helo_start(struct am_runtime *rt,
    const struct am_addr *client, const char *helo);
void am_inbound_mail(struct am_inbound *in, const struct am_inbound_env *env,
    struct am_spf_job *helo_job);
void am_inbound_header(struct am_inbound *in, const char *name,
    const char *value, size_t len);
void am_inbound_eoh(struct am_inbound *in, const struct am_msg *msg);
void am_inbound_prefetch(struct am_inbound *in,
    const struct am_inbound_env *env);
bool am_inbound_body(struct am_inbound *in, const void *p, size_t len);
void am_inbound_eom(struct am_inbound *in, const struct am_inbound_env *env);
void am_inbound_results(struct am_inbound *in, struct am_results *r);
void am_inbound_report(const struct am_inbound *in,
    const struct am_inbound_env *env, const char *rcpt,
    struct am_report_store *rs, const struct am_dmarc_result *dmarc);
void am_inbound_failure_report(struct am_inbound *in,
    const struct am_inbound_env *env, struct am_report_fail *q,
    const struct am_verdict *v);

#endif
