/*
 * NAME        am_inbound - the checks run on one inbound message
 * DESCRIPTION am_inbound_new() starts the per-message verification state on
 *             a pinned runtime (borrowed; it must outlive the object) and
 *             returns it owned; am_inbound_free() accepts NULL, returns NULL.
 *             The session feeds it the kept headers in arrival order
 *             (am_inbound_header(), values as libmilter gives them),
 *             am_inbound_eoh() with the message msg (borrowed until the
 *             object is freed: its headers must not change; DKIM and ARC
 *             key lookups start here), the body as it streams
 *             (am_inbound_body(); it returns false once no check needs
 *             more body, so the milter may skip the rest; the ARC sealer
 *             needs all of it) and, at end of message, am_inbound_eom(),
 *             which finishes every check (DKIM, ARC -- RFC 8617 §5.2, with
 *             ARCMaxSets, MinimumKeyBits and the message's DNS budget --,
 *             then SPF for MAIL FROM and HELO with env's client, HELO and
 *             sender -- none without a client address --, then DMARC over
 *             env's From headers, given the ARC set a trusted sealer
 *             vouches for, arc_trust.h) and writes the Received-SPF value
 *             of the MAIL FROM check (the HELO one when MAIL FROM was not
 *             checked). It decides nothing: am_inbound_results() then
 *             points the inbound fields of r (results.h: SPF, DKIM, ARC,
 *             whether List-Id or List-Post is present, every DMARC author
 *             result, Received-SPF, and the ARC sealer with ARCSeal) at the
 *             results, which stay readable until the object is freed, and
 *             the decision (lib/pipeline/decide.h) reads them. The sealer
 *             seals msg as it is at end of message, once (a second call is
 *             refused).
 *             am_inbound_report() enqueues the message's aggregate-report
 *             row with dmarc, the DMARC result the decision applied (NULL:
 *             no row), to rs (NULL: no store); rcpt is the first
 *             recipient. Every DNS lookup of the message (DKIM keys, SPF and
 *             its includes, DMARC records and tree walk) waits against one
 *             budget of DNSTimeout that the first of them starts
 *             (dns_budget.h): a dead resolver costs the message one
 *             DNSTimeout, and a lookup after the budget is spent fails at
 *             once as temperror ("timeout") without a query.
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

struct am_inbound *am_inbound_new(struct am_runtime *rt, const char *jobid);
struct am_inbound *am_inbound_free(struct am_inbound *in);
void am_inbound_header(struct am_inbound *in, const char *name,
    const char *value, size_t len);
void am_inbound_eoh(struct am_inbound *in, const struct am_msg *msg);
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
