/*
 * NAME        am_policy - the local policy: every configured reaction to
 *             what the evaluators found, read once per configuration
 * SYNOPSIS    struct am_policy *p = am_policy_new(cfg, &why);
 *             ... am_verdict_decide(p, &results, &v); (decide.h) ...
 *             p = am_policy_free(p);
 * DESCRIPTION am_policy_new() reads the keys the decision needs out of the
 *             configuration snapshot cfg (borrowed: it must outlive the
 *             policy; the runtime holds both) and returns an owned policy,
 *             or NULL with the reason in why for a combination no decision
 *             can honour (QuarantineAction header with QuarantineHeader
 *             none). The runtime builds one per configuration
 *             (lib/pipeline/ctx.h), so a message costs no parsing.
 *             am_policy_free() accepts NULL and returns NULL. The fields
 *             are public so the decision can read them; treat them as
 *             read-only.
 * THREADS     immutable after am_policy_new(); shared by every thread.
 */
#ifndef AM_POLICY_H
#define AM_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "core/am.h"
#include "core/netaddr.h"
#include "config/config.h"

struct am_policy {
	const struct am_config *cfg;	/* borrowed snapshot it reads */
	const char *authserv_id;	/* AuthservID (borrowed from cfg) */
	const struct am_netset *internal_hosts;	/* InternalHosts (borrowed):
						 * clients whose mail is
						 * outbound */
	char **signing_daemons;		/* owned: SigningDaemons, one name
					 * each (matched ignoring case) */
	size_t nsigning_daemons;	/* entries in signing_daemons */
	enum am_action spf_fail;	/* SPFFailAction */
	enum am_action spf_temperror;	/* SPFTempErrorAction */
	enum am_action multiple_from;	/* MultipleFromAction */
	enum am_action missing_from;	/* MissingFromAction */
	enum am_action dmarc_temperror;	/* DMARCTempErrorAction */
	enum am_action on_internal_error;	/* OnInternalError */
	bool is_dmarc_enforced;		/* DMARCEnforce */
	enum am_action mailing_list;	/* DMARCMailingListAction: REJECT
					 * (no change) or QUARANTINE */
	bool has_arc_seal;		/* ARCSeal */
	enum am_quarantine_mode quarantine;	/* QuarantineAction */
	const char *quarantine_header;	/* QuarantineHeader (borrowed) */
	bool has_received_spf;		/* AddReceivedSPF */
	const char *tls_header;		/* TLSHeader (borrowed), NULL for
					 * none */
};

struct am_policy *am_policy_new(const struct am_config *cfg,
    struct am_why *why);
struct am_policy *am_policy_free(struct am_policy *p);
/* am_policy_is_signing_daemon - is name listed in SigningDaemons? */
bool am_policy_is_signing_daemon(const struct am_policy *p, const char *name);

#endif
