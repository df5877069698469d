/*
 * NAME        am_verdict_decide - the one place for local policy: results in,
 *             verdict out
 * SYNOPSIS    am_verdict_init(&v);
 *             am_verdict_decide(rt->policy, &results, &v);
 *             ... v.mode, v.disp, v.rcode/xcode/reply, v.del, v.ins, v.ops ...
 * DESCRIPTION am_verdict_decide() reads what the evaluators found (r,
 *             results.h; borrowed for the call) and the configured reactions
 *             (p, policy.h) and fills v (initialised by the caller; what it
 *             held is released first, the summary too, so one verdict may
 *             serve MAIL FROM and then end of message). Nothing else in lib/
 *             or milter/ chooses an SMTP reply code, a disposition or a
 *             header edit.
 *
 *             Mode (both stages): outbound when the client authenticated
 *             (r->auth_user), arrived through a daemon listed in
 *             SigningDaemons (r->daemon_name, any case) or has an address in
 *             InternalHosts; otherwise inbound. am_verdict_mode() is that
 *             rule alone (also before MAIL FROM, with what r knows then).
 *
 *             At AM_RESULTS_MAIL: RequireTLS. A violated rule with action
 *             reject is 530 5.7.0, tempfail 450 4.7.0, with the rule's text
 *             (RFC 3207 §4: "Must issue a STARTTLS command first"); tag
 *             accepts (the TLS header of the message then says policy=fail).
 *
 *             At AM_RESULTS_EOM, in this order, each disposition only while
 *             the message is still accepted:
 *             - inbound, SPF (RFC 7372 codes): a fail of MAIL FROM, else of
 *               HELO, applies SPFFailAction: reject 550 5.7.23, tempfail
 *               451 4.7.23, with the domain's explanation, else "SPF: this
 *               host is not allowed to send mail for DOMAIN"; else a MAIL
 *               FROM temperror with SPFTempErrorAction tempfail is 451
 *               4.7.24 "SPF: temporary DNS error, try again later";
 *             - inbound, DMARC: with several author domains the strictest
 *               outcome applies (action reject > tempfail > quarantine >
 *               accept, then result permerror > fail > temperror > none >
 *               pass; the first on a tie). Local policy may lower what a
 *               failing message's result asks for (RFC 7489 §6.7), when no
 *               override of the evaluator (trusted forwarder, exemption,
 *               t=, pct=) already made it none, in this order: a trusted
 *               ARC sealer vouches (has_arc_pass, dmarc.h and arc_trust.h)
 *               -> none, override local_policy, its arc_note as the
 *               override comment ("arc=pass as.d=..."); DMARCEnforce no ->
 *               none, local_policy; a disposition reject with
 *               DMARCMailingListAction quarantine, List-Id or List-Post
 *               present (r->has_list_headers) and an aligned DKIM
 *               signature that failed (has_broken_dkim) -> quarantine,
 *               override mailing_list, comment "mailing list: d=D:
 *               REASON".
 *               Several From headers apply MultipleFromAction ("multiple
 *               From headers"), no usable From MissingFromAction ("no valid
 *               From header"), temperror DMARCTempErrorAction ("DMARC policy
 *               of D could not be retrieved, try again later"), a fail with
 *               disposition reject rejects ("Message rejected by the DMARC
 *               policy of D"), with disposition quarantine quarantines
 *               ("DMARC policy of D"). Reject is 550 5.7.1 and tempfail 451
 *               4.7.1 with that text; quarantine is QuarantineAction: hold
 *               (the text as the smfi_quarantine reason) or header
 *               (QuarantineHeader: text, inserted above everything);
 *             - inbound: our Authentication-Results (results.h, with the
 *               DMARC result applied); past its cap -> internal error;
 *               with ARCSeal and a sealer (r->seal), a message still
 *               accepted or quarantined is sealed: r->seal records that
 *               A-R value, and ARC-Seal, ARC-Message-Signature and
 *               ARC-Authentication-Results go right above our A-R
 *               (v->arc_sealed = the new instance); a sealer's refusal, or
 *               a chain whose validation failed on a DNS temperror (cv=fail
 *               would end it for good), leaves the reason in
 *               v->arc_seal_note and the message unsealed, never an error;
 *               then Received-SPF when AddReceivedSPF;
 *             - outbound: the DKIM-Signature headers in key order; a failed
 *               signer -> internal error;
 *             - every message: the TLS trace header (TLSHeader, unless none);
 *               too long -> internal error;
 *             - deletions: every incoming header claiming our authserv-id
 *               (r->forged), sorted by name and descending occurrence.
 *             An internal error (v->errors) with OnInternalError tempfail is
 *             451 4.3.0 "authmilter: temporary local problem, try again
 *             later", whatever was decided before it.
 *             Insertions are top-to-bottom in v->ins: quarantine header,
 *             ARC-Seal, ARC-Message-Signature, ARC-Authentication-Results,
 *             A-R, Received-SPF, DKIM-Signature..., TLS header. Finally
 *             am_verdict_plan(v, r->has_leadspc) (verdict.h).
 * THREADS     reentrant; p is shared read-only.
 * DIAGNOSTICS NULL arguments, or an unknown stage, are a panic.
 */
#ifndef AM_DECIDE_H
#define AM_DECIDE_H

#include "pipeline/policy.h"
#include "pipeline/results.h"
#include "pipeline/verdict.h"

void am_verdict_decide(const struct am_policy *p, const struct am_results *r,
    struct am_verdict *v);
enum am_mode am_verdict_mode(const struct am_policy *p,
    const struct am_results *r);

#endif
