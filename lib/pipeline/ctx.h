/*
 * NAME        am_ctx, am_runtime - the process and its current configuration
 * DESCRIPTION struct am_runtime is one immutable configuration snapshot plus
 *             the objects built from it (the resolver, the libopendkim
 *             handle, the SPF evaluator, the DMARC evaluator and its Public
 *             Suffix List, the signing keys, the ARC trusted sealers and
 *             sealing key (ARCSeal yes: a configuration without a usable
 *             key is refused, "FILE:LINE: ..." of the ARC key that chose
 *             it), the local policy of the decision; all loaded and
 *             checked here once per
 *             configuration). am_runtime_new() takes the config
 *             reference it is given and builds the rest; on failure it returns
 *             NULL (the config reference is then dropped) with every problem
 *             as one "FILE:LINE: message" (or plain) line in errs; warnings
 *             go to warns (may be NULL).
 *             am_runtime_ref()/am_runtime_unref() count references; the last
 *             unref frees everything (unref accepts NULL, returns NULL).
 *             opts may force local-only DNS (tests, authmilterctl --local-dns).
 *
 *             DNSSEC. With a TrustAnchorFile (and not local-only DNS),
 *             am_runtime_new() probes the anchor through the configured
 *             resolvers (Nameservers, else /etc/resolv.conf; dns_probe.h)
 *             within DNSTimeout, because a resolver that does not return
 *             DNSSEC records makes every answer bogus and every message
 *             temperror:
 *             - validated: rt->dnssec = ON;
 *             - cannot be validated, TrustAnchorFile at its built-in
 *               default (not set in the file, am_config_origin()): one
 *               warning naming the resolvers and the fix, validation off
 *               (the resolver is rebuilt without the anchor), DISABLED;
 *             - cannot be validated, TrustAnchorFile set in the file (even
 *               to the default path): an error "FILE:LINE: TrustAnchorFile
 *               ...: DNSSEC validation fails through ..." naming the
 *               resolvers and the fix, and the runtime is refused (start,
 *               -n, configtest fail; a reload keeps the old runtime);
 *             - no answer (resolver unreachable, timeout): the configured
 *               setting stays (validation on), one warning, UNCHECKED; the
 *               daemon probes again later (am_ctx_recheck_dnssec). Never
 *               an error: a resolver that is down says nothing about
 *               DNSSEC, and a reload must not fail on it.
 *             opts->has_dnssec skips the probe and applies opts->dnssec (the
 *             daemon builds the runtime twice at start and probes once).
 *
 *             am_ctx_recheck_dnssec() (the reload thread, every
 *             StatsInterval) probes again through the current runtime's
 *             resolver when it is UNCHECKED: once validated it stops asking;
 *             once it cannot be validated with the built-in anchor, a new
 *             runtime on the same configuration with validation off is
 *             swapped in (warning in warns, true returned); with an
 *             explicit anchor the error goes to errs once and validation
 *             stays on. Nothing happens while there is still no answer.
 *
 *             struct am_ctx is the process: the current runtime, swapped
 *             atomically on reload (am_ctx_swap() takes the new runtime's
 *             reference and drops the old one), and the counters.
 *             am_ctx_acquire() returns a new reference to the current runtime:
 *             a connection pins the runtime it started with and releases it
 *             with am_runtime_unref() when it closes, so a reload never
 *             changes the rules in the middle of a connection. The report
 *             store is process state (one SQLite writer thread), opened by the
 *             daemon after privileges are dropped; am_ctx_free() closes it,
 *             which flushes the queue. So is the failure report sender
 *             (report_fail.h; am_ctx_free() finishes its queue). The
 *             counters (struct am_stats) are described in stats.h.
 * THREADS     am_ctx_acquire/am_ctx_swap are serialised by ctx->lock; runtimes
 *             are immutable; counters are atomics.
 */
#ifndef AM_CTX_H
#define AM_CTX_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "core/am.h"
#include "arc/arc_trust.h"
#include "config/config.h"
#include "dkim/dkim_lib.h"
#include "core/buf.h"
#include "dkim/dkim_sign.h"
#include "dmarc/dmarc.h"
#include "dns/dns.h"
#include "dkim/keys.h"
#include "report/report_fail.h"
#include "report/report_store.h"
#include "spf/spf.h"
#include "pipeline/policy.h"
#include "pipeline/stats.h"

/* DNSSEC as a runtime applies it: TrustAnchorFile and what the probe of
 * the configured resolvers found (see DNSSEC above). */
enum am_dnssec_state {
	AM_DNSSEC_OFF = 0,	/* TrustAnchorFile empty, or local-only DNS */
	AM_DNSSEC_ON,		/* validating; the probe validated the anchor */
	AM_DNSSEC_UNCHECKED,	/* validating; the probe got no answer */
	AM_DNSSEC_DISABLED,	/* off: the built-in anchor cannot be
				 * validated through the resolvers */
};

struct am_runtime {
	struct am_config *cfg;	/* owned reference */
	struct am_dns *dns;	/* owned resolver */
	enum am_dnssec_state dnssec;	/* what the resolver validates */
	atomic_bool is_dnssec_rechecked;	/* UNCHECKED, and a later
						 * probe settled it (atomic;
						 * the one field set after
						 * construction) */
	struct am_dkim_lib *dkim;	/* owned libopendkim handle */
	struct am_spf *spf;		/* owned SPF evaluator */
	struct am_keys *keys;		/* owned signing keys (maybe empty) */
	struct am_dkim_signer *signer;	/* owned signing set-up */
	struct am_dmarc *dmarc;		/* owned DMARC evaluator (PSL) */
	struct am_arc_trust *arc_trust;	/* owned: ARCTrustedSealers */
	const struct am_key *arc_seal_key;	/* ARCSeal: the sealing key
						 * (borrowed from keys), or
						 * NULL when off */
	const char *arc_seal_domain;	/* its d= (borrowed from cfg or
					 * keys) */
	struct am_policy *policy;	/* owned: what the decision reads */
	atomic_int refs;	/* references; freed at 0 */
};

struct am_runtime_opts {
	bool local_dns;		/* resolver answers from local data only */
	bool has_dnssec;	/* take dnssec, do not probe (the same
				 * configuration was probed just before) */
	enum am_dnssec_state dnssec;	/* with has_dnssec: ON and UNCHECKED
					 * keep the anchor, DISABLED and OFF
					 * drop it */
};

struct am_runtime *am_runtime_new(struct am_config *cfg,
    const struct am_runtime_opts *opts, struct am_buf *errs,
    struct am_buf *warns);
struct am_runtime *am_runtime_ref(struct am_runtime *rt);
struct am_runtime *am_runtime_unref(struct am_runtime *rt);
const char *am_dnssec_state_name(enum am_dnssec_state s);

struct am_ctx {
	pthread_mutex_t lock;		/* covers current */
	struct am_runtime *current;	/* owned reference */
	struct am_report_store *reports;	/* owned, set once before the
						 * first connection; NULL when
						 * ReportStore is empty */
	struct am_report_fail *failures;	/* owned failure report
						 * sender, set once before the
						 * first connection; NULL:
						 * none (FailureReports is
						 * read per message) */
	struct am_stats stats;		/* atomics, no lock; dnssec_disabled
					 * follows the current runtime */
};

struct am_ctx *am_ctx_new(struct am_runtime *rt);
struct am_ctx *am_ctx_free(struct am_ctx *ctx);
struct am_runtime *am_ctx_acquire(struct am_ctx *ctx);
void am_ctx_swap(struct am_ctx *ctx, struct am_runtime *rt);
bool am_ctx_recheck_dnssec(struct am_ctx *ctx, struct am_buf *errs,
    struct am_buf *warns);

#endif
