/*
 * NAME        am_results - what the evaluators found for one transaction,
 *             the input of the decision
 * SYNOPSIS    struct am_results r;
 *             am_results_init(&r, AM_RESULTS_EOM);
 *             r.client = &addr; r.tls = &tls; r.spf_mfrom = &mfrom; ...
 *             am_verdict_decide(policy, &r, &v);	(decide.h)
 * DESCRIPTION A plain struct of borrowed pointers, filled by the session
 *             (lib/pipeline/session.c) from the connection, the inbound
 *             checks (am_inbound_results()) and the outbound signer
 *             (am_outbound_results()), and read by the decision
 *             (decide.h), the counters (am_stats_count(), stats.h) and the
 *             log line (logline.h). Nothing here is a decision: no reply
 *             code, no disposition, no configured action; every pointer is
 *             borrowed for as long as the caller keeps the struct.
 *             At AM_RESULTS_MAIL only the transaction fields are read (the
 *             client, its authentication, the receiving daemon, the
 *             RequireTLS match); at AM_RESULTS_EOM everything. A NULL
 *             pointer or a zero count means "not run": SPF without a client
 *             address, the inbound checks of outbound mail, and so on.
 *             am_results_init() zeroes r and sets its stage.
 *             am_results_authres() writes the value of our
 *             Authentication-Results header (RFC 8601) into out: the
 *             authserv-id, SPF for MAIL FROM and HELO, every DKIM result,
 *             the ARC result (RFC 8617 §10.1: arc=R with smtp.remote-ip
 *             the client's address and header.oldest-pass for a pass; none
 *             when the message has no ARC header; nothing when ARC did not
 *             run), the DMARC result dmarc (the one the decision applied,
 *             with its disposition; NULL: none), then the TLS entry. Entries past
 *             out's cap are left out as am_authres_format_fit() does, their
 *             number in *dropped; AM_PERMFAIL when even that cannot fit.
 *             seal: the ARC sealer of an inbound message (ARCSeal yes;
 *             NULL otherwise). The decision calls it at most once, when it
 *             seals, with our Authentication-Results value (the text the
 *             ARC-Authentication-Results records); it fills *set (owned by
 *             the caller: am_arc_seal_set_release()) and returns AM_OK, or
 *             another status with why when no set may be added
 *             (arc_seal.h).
 * THREADS     one owner.
 */
#ifndef AM_RESULTS_H
#define AM_RESULTS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/am.h"
#include "core/buf.h"
#include "core/netaddr.h"
#include "arc/arc_seal.h"
#include "arc/arc_verify.h"
#include "dkim/dkim_verify.h"
#include "dmarc/dmarc.h"
#include "spf/spf.h"
#include "tls/tls_policy.h"
#include "tls/tls_status.h"

enum am_results_stage {
	AM_RESULTS_MAIL = 0,	/* at MAIL FROM: the transaction fields */
	AM_RESULTS_EOM,		/* at end of message: everything */
};

/* What the outbound signer did. */
enum am_sign_status {
	AM_SIGN_NOT_RUN = 0,	/* no signing (inbound mail) */
	AM_SIGN_NOTHING,	/* no usable author or no key: nothing signed */
	AM_SIGN_DONE,		/* nsigs signatures made */
	AM_SIGN_FAILED,		/* the signer failed */
};

/* The ARC sealer (see seal above). */
typedef enum am_status (*am_results_seal_fn)(void *arg, const char *authres,
    struct am_arc_seal_set *set, struct am_why *why);

/* An incoming header that claims our authserv-id. */
struct am_results_forged {
	const char *name;	/* the header name we write (borrowed) */
	size_t n;		/* 1-based occurrence among headers so named */
};

/* One signature the signer made. */
struct am_results_sig {
	const char *value;	/* DKIM-Signature value: folded with "\n\t",
				 * no leading space */
	const char *domain;	/* d= */
	const char *selector;	/* s= */
};

struct am_results {
	enum am_results_stage stage;
	/* the transaction: both stages */
	const char *auth_user;		/* {auth_authen}, or NULL */
	const char *daemon_name;	/* {daemon_name}, or NULL */
	const struct am_addr *client;	/* client address, or NULL */
	enum am_tls_policy_action tls_policy;	/* RequireTLS at MAIL FROM:
						 * the strictest action among
						 * the rules violated, OK if
						 * none */
	const char *tls_policy_why;	/* its text, "" or NULL when OK */
	/* end of message */
	bool has_leadspc;		/* the MTA negotiated
					 * SMFIP_HDR_LEADSPC: header values
					 * carry their leading space */
	const struct am_tls_status *tls;	/* transport record, or NULL */
	const struct am_results_forged *forged;	/* incoming headers claiming
						 * our authserv-id */
	size_t nforged;			/* entries in forged[] */
	bool has_inbound;		/* the inbound checks ran */
	const struct am_spf_result *spf_mfrom;	/* NULL: SPF did not run */
	const struct am_spf_result *spf_helo;	/* set with spf_mfrom */
	const struct am_dkim_results *dkim;	/* NULL: not verified */
	const struct am_arc_result *arc;	/* NULL: ARC not verified */
	bool has_list_headers;		/* List-Id or List-Post present */
	am_results_seal_fn seal;	/* ARC sealer, or NULL */
	void *seal_arg;			/* its argument */
	const struct am_dmarc_result *dmarc;	/* one per author domain
						 * (dmarc.h) */
	size_t ndmarc;			/* 0: DMARC did not run */
	const char *received_spf;	/* Received-SPF value, or NULL */
	enum am_sign_status sign;	/* what the signer did */
	const char *sign_why;		/* NOTHING, FAILED: why ("" unknown) */
	const char *sign_note;		/* DONE: existing signatures of ours
					 * (dkim_sign.h), "" or NULL if none */
	const struct am_results_sig *sigs;	/* DONE: in key order */
	size_t nsigs;			/* entries in sigs[] */
};

void am_results_init(struct am_results *r, enum am_results_stage stage);
enum am_status am_results_authres(const struct am_results *r,
    const char *authserv_id, const struct am_dmarc_result *dmarc,
    struct am_buf *out, size_t *dropped) AM_WUR;

#endif
