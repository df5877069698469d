/*
 * NAME        am_inbound - the checks run on one inbound message
 * DESCRIPTION am_inbound_new() starts the per-message verification state on
 *             a pinned runtime (borrowed; it must outlive the object) and
 *             returns it owned; am_inbound_free() accepts NULL, returns NULL.
 *             The session feeds it the kept headers in arrival order
 *             (am_inbound_header(), values as libmilter gives them),
 *             am_inbound_eoh() (DKIM key lookups start here), the body as it
 *             streams (am_inbound_body(); it returns false once no check needs
 *             more body, so the milter may skip the rest) and, at end of
 *             message, am_inbound_eom(), which finishes every check (DKIM,
 *             then SPF for MAIL FROM and HELO with env's client, HELO and
 *             sender, then DMARC over env's From headers), appends the
 *             results to the Authentication-Results builder and a compact
 *             form to v's summary, and applies SPFFailAction /
 *             SPFTempErrorAction, then the DMARC decision, to v (each only
 *             while v still accepts). am_inbound_add_headers() then queues the other
 *             headers the checks produced (Received-SPF, if AddReceivedSPF).
 *             Results stay readable (for DMARC and reports) until the object
 *             is freed. Every DNS lookup of the message (DKIM keys, SPF and
 *             its includes, DMARC records and tree walk) waits against one
 *             budget of DNSTimeout that the first of them starts
 *             (dns_budget.h): a dead resolver costs the message one
 *             DNSTimeout, and a lookup after the budget is spent fails at
 *             once as temperror ("timeout") without a query.
 * THREADS     one message, one callback at a time; the runtime is shared.
 */
#ifndef AM_INBOUND_H
#define AM_INBOUND_H

#include <stdbool.h>
#include <stddef.h>

#include "msg/authres.h"
#include "core/buf.h"
#include "pipeline/ctx.h"
#include "dkim/dkim_verify.h"
#include "dmarc/dmarc.h"
#include "core/netaddr.h"
#include "report/report_store.h"
#include "spf/spf.h"
#include "pipeline/verdict.h"

struct am_inbound;

/* What the connection knows about the sender at end of message. */
struct am_inbound_env {
	const struct am_addr *client;	/* client address, or NULL */
	const char *client_ip;		/* the same as text */
	const char *helo;		/* HELO/EHLO argument, "" if none */
	const char *sender;		/* MAIL FROM without <>, "" = null */
	const struct am_str *from;	/* every From header value */
	size_t nfrom;			/* entries in from[] */
};

struct am_inbound *am_inbound_new(struct am_runtime *rt, const char *jobid);
struct am_inbound *am_inbound_free(struct am_inbound *in);
void am_inbound_header(struct am_inbound *in, const char *name,
    const char *value, size_t len);
void am_inbound_eoh(struct am_inbound *in);
bool am_inbound_body(struct am_inbound *in, const void *p, size_t len);
void am_inbound_eom(struct am_inbound *in, const struct am_inbound_env *env,
    struct am_authres *ar, struct am_verdict *v);
void am_inbound_add_headers(struct am_inbound *in, struct am_verdict *v);
const struct am_dkim_results *am_inbound_dkim(const struct am_inbound *in);
/* am_inbound_spf - the MAIL FROM result (the HELO one when MAIL FROM was not
 * evaluated); NULL when SPF did not run. */
const struct am_spf_result *am_inbound_spf(const struct am_inbound *in);
/* am_inbound_report - after eom: enqueue this message's aggregate-report
 * row (report_row.h) to rs (NULL: no store); rcpt is the first recipient. */
void am_inbound_report(const struct am_inbound *in,
    const struct am_inbound_env *env, const char *rcpt,
    struct am_report_store *rs);
/* am_inbound_dmarc - the DMARC result; NULL before eom. */
const struct am_dmarc_result *am_inbound_dmarc(const struct am_inbound *in);

#endif
