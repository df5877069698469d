/*
 * NAME        am_tls_policy - RequireTLS rules
 * DESCRIPTION A policy is a list of rules separated by ';'. A rule is
 *             white-space separated key=value items:
 *               port=N          receiving port ({daemon_port})
 *               daemon=NAME     {daemon_name} (e.g. ORIGINATING)
 *               from=DOMAIN     envelope sender domain; ".DOMAIN" also
 *                               matches its subdomains
 *               client=CIDR     client address (IPv4 or IPv6 block)
 *               min=VERSION     lowest protocol accepted (TLSv1, TLSv1.1,
 *                               TLSv1.2, TLSv1.3); default: the input's
 *                               min_default (MinTLSVersion), else any TLS
 *               action=WORD     reject (the default), tempfail or tag
 *                               (accept, mark the trace header
 *                               policy=fail); what each means on the
 *                               wire is the decision's (decide.h)
 *             A rule needs at least one of port, daemon, from, client; all
 *             the matchers it has must match. Example:
 *               RequireTLS port=587; from=.partner.example min=TLSv1.2
 *             am_tls_policy_parse() returns an owned policy (free with
 *             am_tls_policy_free(), accepts NULL, returns NULL) or NULL with
 *             the reason in why. An empty value is a valid empty policy.
 *             am_tls_policy_check() evaluates every rule at MAIL FROM and
 *             returns the policy match: the strictest action among the rules
 *             that match and are not met (AM_TLS_POLICY_OK if none), with
 *             the reason in why, worded as an SMTP reply text ("Must issue a
 *             STARTTLS command first", as Postfix says it).
 * THREADS     a parsed policy is immutable and shared read-only.
 */
#ifndef AM_TLS_POLICY_H
#define AM_TLS_POLICY_H

#include "core/am.h"
#include "core/netaddr.h"
#include "tls/tls_status.h"

enum am_tls_policy_action {
	AM_TLS_POLICY_OK = 0,		/* no rule violated */
	AM_TLS_POLICY_TAG,		/* a tag rule is violated */
	AM_TLS_POLICY_TEMPFAIL,		/* a tempfail rule is violated */
	AM_TLS_POLICY_REJECT,		/* a reject rule is violated */
};

struct am_tls_policy_input {
	const struct am_tls_status *status;	/* the connection's TLS */
	const char *sender;		/* envelope sender address, or NULL */
	const struct am_addr *client;	/* client address, or NULL */
	const char *min_default;	/* MinTLSVersion, or NULL/"" */
};

struct am_tls_policy;

struct am_tls_policy *am_tls_policy_parse(const char *value,
    struct am_why *why);
struct am_tls_policy *am_tls_policy_free(struct am_tls_policy *p);
size_t am_tls_policy_count(const struct am_tls_policy *p);
enum am_tls_policy_action am_tls_policy_check(const struct am_tls_policy *p,
    const struct am_tls_policy_input *in, struct am_why *why);
const char *am_tls_policy_action_name(enum am_tls_policy_action a);

#endif
