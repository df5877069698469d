/*
 * NAME        am_dmarc - DMARC evaluation and alignment for one inbound
 *             message (RFC 9989, RFC 7489)
 * SYNOPSIS    struct am_dmarc *dm = am_dmarc_new(dns, cfg, &why);
 *             struct am_dmarc_input in = { .from = froms, .nfrom = n,
 *                 .spf = &mfrom, .dkim = &dkim_results, .client = &addr,
 *                 .deadline_ms = am_dns_deadline(timeout_ms),
 *                 .sample_draw = -1 };
 *             struct am_dmarc_results res;
 *             am_dmarc_evaluate(dm, &in, &res);
 *             ... res.author[0 .. res.n - 1] ...
 *             am_dmarc_results_release(&res);
 *             dm = am_dmarc_free(dm);
 * DESCRIPTION am_dmarc_new() builds the per-configuration evaluator on dns
 *             and cfg (both borrowed: they must outlive it): the Public
 *             Suffix List when DMARCOrgDomain is psl (read once, immutable),
 *             DMARCExemptDomains parsed, and libopendmarc initialised once
 *             per process (pthread_once: opendmarc_policy_library_init()
 *             copies into a process global; it is given no PSL, since the
 *             library is asked only to parse records, never for alignment or
 *             organizational domains). NULL with a reason in why for a bad
 *             configuration (PSL missing or unreadable, a bad exempt domain).
 *             am_dmarc_free() accepts NULL and returns NULL.
 *
 *             am_dmarc_evaluate() always fills *res (overwritten; owned:
 *             release it with am_dmarc_results_release()) with at least one
 *             result. It returns results only: what the author domains
 *             publish and what RFC 7489 makes of it; what we do about them
 *             (reject, quarantine, tempfail, DMARCEnforce, the SMTP reply)
 *             is the decision's (lib/pipeline/decide.h).
 *             Inputs (all borrowed for the call): every From header value
 *             exactly as received (in->from, in->nfrom; nothing else from
 *             the header is ever read -- no Authentication-Results, no
 *             Received-SPF: results come only from in->spf and in->dkim),
 *             the SPF result of the MAIL FROM identity (for the null sender
 *             the one lib/spf computed for postmaster@HELO; NULL or not
 *             checked = no SPF pass), the DKIM results (NULL = unsigned),
 *             the client address (NULL = unknown), an absolute deadline for
 *             every DNS query, and sample_draw: -1 draws a random number
 *             0..99 for pct= (getrandom()), tests pass a fixed draw.
 *             - no From, an unparseable From, no mailbox or a
 *               domain-literal author: one result, permerror,
 *               is_missing_from;
 *             - more than one From header: one result, permerror,
 *               is_multiple_from; header_from is then the first header's
 *               first domain when it parses (for the report row only);
 *             - otherwise one result per distinct author domain of the
 *               From header, in header order (res->n, and nauthors in each).
 *             Per author domain: the DMARC record of the author domain, else
 *             (DMARCOrgDomain treewalk) the RFC 9989 §4.10 tree walk's
 *             Organizational Domain record or the PSD record (psd=y), or
 *             (psl) the PSL organizational domain's record (RFC 7489
 *             §6.6.3). Only TXT records starting with v=DMARC1; two or more
 *             at one name are no record. The record is validated here (see
 *             dmarc_record.c: p/sp/np exactly none, quarantine or
 *             reject, else the record counts only when rua= holds a valid
 *             URI, as p=none; pct= numeric 0..100 else 100; rf= ignored;
 *             a duplicated tag makes the record invalid), then parsed by
 *             libopendmarc (opendmarc_policy_store_dmarc) in the canonical
 *             form we rebuilt. No (valid) record -> none; a DNS failure ->
 *             temperror.
 *             Alignment (ours, never the library's): strict = the same
 *             domain; relaxed = the same Organizational Domain (tree walk or
 *             PSL, per DMARCOrgDomain). dkim_aligned: a DKIM signature with
 *             result pass whose d= aligns (adkim). spf_aligned: in->spf
 *             result pass (not softfail, neutral, ...) whose domain aligns
 *             (aspf). pass = either. A failing message takes p= when the
 *             record is the author domain's, else np= when the author
 *             domain does not exist (NXDOMAIN for its A query, RFC 9989
 *             §3.2.9 / RFC 8020), else sp=, else p=.
 *             Tree walk failures (DMARCOrgDomain treewalk; a PSL cannot
 *             fail): a DNS failure for the author domain's own _dmarc name,
 *             or, when the author domain has no record, anywhere in the
 *             walk that looks for the policy, is temperror (the policy is
 *             unknown). When the author domain's record answered, that
 *             record is the policy and a failure above it only affects what
 *             needs an Organizational Domain: relaxed alignment. Strict
 *             alignment and identifiers equal to the author domain never
 *             walk. An identifier under another top-level domain cannot
 *             align (an Organizational Domain is a suffix of its name) and
 *             is not walked. Otherwise both walks are compared
 *             (orgdomain.h am_treewalk_compare): aligned when they select
 *             the same domain and every failed name lies above it;
 *             unaligned when no domain the failed names could select (of
 *             two labels or more: a TLD is never taken as one) is shared;
 *             unknown otherwise. pass if one identifier aligns; else
 *             temperror, naming the failed _dmarc name, if one is unknown;
 *             else fail and the author's policy applies. So a failure at
 *             _dmarc.example cannot save a forged From of bank.example with
 *             p=reject whose SPF or DKIM domain is evil.example (fail,
 *             reject), d=mail.bank.example still aligns, and only a name
 *             the failure hides from both (a.corp.example and d=corp.example
 *             while _dmarc.corp.example fails) is temperror.
 *             Overrides (RFC 7489 §6.6.4, §6.7; RFC 9989), in order: t=y
 *             applies one level below (reject -> quarantine -> none),
 *             policy_test_mode; else pct < 100: a draw >= pct is
 *             sampled_out and also goes one level down; then a client in
 *             DMARCTrustedForwarders -> none, trusted_forwarder; then an
 *             author domain in DMARCExemptDomains -> none, local_policy.
 *             disposition is what the policy asks for after them.
 *             What the local policy may still make of a failing message
 *             (lib/pipeline/decide.c) is recorded, never applied here:
 *             - has_arc_pass: in->arc (the ARC set a trusted sealer vouches
 *               for, arc_trust.h; NULL: none) recorded an aligned pass for
 *               the author domain in its ARC-Authentication-Results: a
 *               dkim=pass whose header.d (else the domain of header.i)
 *               aligns (adkim), an spf=pass whose smtp.mailfrom domain
 *               aligns (aspf), or a dmarc=pass whose header.from is the
 *               author domain; the first found, in the order recorded, is
 *               written to arc_note ("arc=pass as.d=SEALER as.s=SEL i=N
 *               dkim=pass header.d=D");
 *             - has_broken_dkim: a DKIM signature whose d= aligns (adkim)
 *               failed (result fail: a body hash mismatch, or a signature
 *               that no longer verifies), as a mailing list that adds a
 *               footer or a subject tag leaves it; broken_dkim names the
 *               first ("d=D: body hash mismatch").
 *             override_comment is the decision's (RFC 7489 §6.6.4 reason
 *             comment, "" here).
 *             Never call this for outbound mail.
 *
 *             am_dmarc_prefetch() starts, into p (dns_prefetch.h), the
 *             lookups the evaluation of in's From headers will make for
 *             certain or very likely, so they run while the body streams:
 *             _dmarc.<author> for each author domain, and, with the tree
 *             walk, every _dmarc name of the walks from the author domain
 *             and from each identifier in ids[0 .. nids - 1] (the DKIM d=
 *             domains and the SPF domain, as the headers and the envelope
 *             name them, before anything is verified) that differs from the
 *             author domain under the same top-level domain: relaxed
 *             alignment walks them. Only in->from and in->nfrom are read.
 *             Not started early: the walk that looks for the policy of an
 *             author domain without a record, the PSL organizational
 *             domain's record, and the np= existence query (they depend on
 *             answers). The evaluation takes them through in->prefetch.
 *
 *             am_dmarc_add_authres() appends one resinfo, RFC 8601 / RFC
 *             7489 §11.2: "dmarc=fail (p=reject sp=none dis=reject)
 *             header.from=example.com policy.dmarc=reject" (comment and
 *             policy.dmarc only when a record applied; sp shows the
 *             effective subdomain policy; dis= our disposition;
 *             policy.dmarc the published policy selected), with reason=
 *             for temperror and permerror. A failing result whose
 *             disposition an override with a comment lowered adds
 *             "override=REASON COMMENT" to the comment: "(p=reject
 *             sp=reject dis=none override=local_policy arc=pass
 *             as.d=lists.example as.s=arc i=1 dkim=pass
 *             header.d=example.com)".
 * THREADS     one am_dmarc shared read-only by all threads; evaluations run
 *             on the calling thread. new/free while no evaluation runs.
 * DIAGNOSTICS every failure a message or DNS can cause is a result; NULL
 *             arguments are a panic.
 * SEE ALSO    lib/dmarc/orgdomain.h, RFC 9989 §4.7-§4.10, §5.3; RFC 7489 §6.6;
 *             PITFALLS.md "From header and DMARC".
 */
#ifndef AM_DMARC_H
#define AM_DMARC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/am.h"
#include "msg/authres.h"
#include "config/config.h"
#include "dkim/dkim_verify.h"
#include "dns/dns.h"
#include "arc/arc_verify.h"
#include "dns/dns_prefetch.h"
#include "msg/from.h"
#include "core/netaddr.h"
#include "dmarc/orgdomain.h"
#include "spf/spf.h"

enum am_dmarc_res {
	AM_DMARC_NONE = 0,	/* no (valid) record: DMARC does not apply */
	AM_DMARC_PASS,		/* an aligned SPF or DKIM pass */
	AM_DMARC_FAIL,		/* a record, and nothing aligned passed */
	AM_DMARC_TEMPERROR,	/* DNS failure or timeout */
	AM_DMARC_PERMERROR,	/* no usable From: missing, several, bad */
};

/* RFC 7489 / RFC 9990 PolicyOverrideType, plus policy_test_mode (t=y). */
enum am_dmarc_override {
	AM_DMARC_OVERRIDE_NONE = 0,
	AM_DMARC_OVERRIDE_SAMPLED_OUT,		/* pct= draw */
	AM_DMARC_OVERRIDE_LOCAL_POLICY,		/* exemptions; DMARCEnforce
						 * no and a trusted ARC
						 * sealer (the decision's) */
	AM_DMARC_OVERRIDE_TRUSTED_FORWARDER,	/* DMARCTrustedForwarders */
	AM_DMARC_OVERRIDE_MAILING_LIST,		/* DMARCMailingListAction (the
						 * decision's) */
	AM_DMARC_OVERRIDE_POLICY_TEST_MODE,	/* t=y */
};

#define AM_DMARC_DOMAIN_LEN (AM_DOMAIN_MAX_LEN + 1)

/* Everything the A-R header and the aggregate report row need. */
struct am_dmarc_result {
	enum am_dmarc_res result;
	char reason[256];		/* why, for none/temperror/permerror */
	char header_from[AM_DMARC_DOMAIN_LEN];	/* author domain, "" if none */
	size_t nauthors;		/* distinct author domains evaluated
					 * in the message */
	bool is_multiple_from;		/* more than one From header */
	bool is_missing_from;		/* no usable From */
	bool has_record;		/* rec and policy_domain are valid */
	char policy_domain[AM_DMARC_DOMAIN_LEN];	/* where rec was found */
	char orgdomain[AM_DMARC_DOMAIN_LEN];	/* of header_from, when it
						 * was needed, else "" */
	struct am_dmarc_record rec;	/* the published policy */
	enum am_dmarc_policy policy;	/* p/sp/np selected, before overrides */
	const char *policy_tag;		/* static "p", "sp", "np", or "" */
	enum am_dmarc_policy disposition;	/* after the overrides: NONE,
						 * QUARANTINE or REJECT (the
						 * decision may lower it:
						 * DMARCEnforce) */
	enum am_dmarc_override override;	/* why disposition < policy */
	bool dkim_aligned;		/* an aligned DKIM pass */
	bool spf_aligned;		/* an aligned SPF pass */
	char dkim_domain[AM_DMARC_DOMAIN_LEN];	/* d= that aligned, or "" */
	int sample_draw;		/* the pct draw 0..99, -1 if none */
	bool has_arc_pass;		/* fail only: the vouching ARC set
					 * recorded an aligned pass */
	char arc_note[256];		/* what it recorded, "" if none */
	bool has_broken_dkim;		/* fail only: an aligned DKIM
					 * signature failed */
	char broken_dkim[160];		/* the first: "d=D: reason" */
	char override_comment[256];	/* RFC 7489 reason comment of the
					 * override, "" (the decision's) */
};

/* The results of one message: one per author domain. */
struct am_dmarc_results {
	size_t n;			/* entries in author[], >= 1 */
	struct am_dmarc_result *author;	/* owned array */
};

struct am_dmarc_input {
	const struct am_str *from;	/* every From header value, as
					 * received (leading space, folds) */
	size_t nfrom;			/* entries in from[] */
	const struct am_spf_result *spf;	/* MAIL FROM (or null-sender
						 * HELO) result, or NULL */
	const struct am_dkim_results *dkim;	/* or NULL: unsigned */
	const struct am_addr *client;	/* or NULL: unknown */
	uint64_t deadline_ms;		/* absolute, am_dns_deadline() */
	int sample_draw;		/* -1: random; 0..99: tests */
	const struct am_arc_sealer *arc;	/* the ARC set a trusted
						 * sealer vouches for, or
						 * NULL */
	struct am_dns_prefetch *prefetch;	/* queries started early
						 * (am_dmarc_prefetch), taken
						 * by the evaluation; or NULL */
};

struct am_dmarc;

struct am_dmarc *am_dmarc_new(struct am_dns *dns, const struct am_config *cfg,
    struct am_why *why);
struct am_dmarc *am_dmarc_free(struct am_dmarc *dm);
void am_dmarc_evaluate(const struct am_dmarc *dm,
    const struct am_dmarc_input *in, struct am_dmarc_results *res);
void am_dmarc_prefetch(const struct am_dmarc *dm,
    const struct am_dmarc_input *in, const char *const *ids, size_t nids,
    struct am_dns_prefetch *p);
void am_dmarc_results_release(struct am_dmarc_results *res);
void am_dmarc_add_authres(const struct am_dmarc_result *res,
    struct am_authres *ar);
const char *am_dmarc_result_name(enum am_dmarc_res r);
const char *am_dmarc_override_name(enum am_dmarc_override o);

#endif
