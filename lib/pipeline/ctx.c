/*
 * ctx.c - runtime snapshots and the process context. A reload builds a whole
 * new runtime off to the side and swaps one pointer under a mutex; readers
 * take a reference under the same mutex, so a snapshot is never freed while
 * a connection still uses it (STYLE.md §11, §17). The resolver is built
 * with DNSSEC as the probe of the trust anchor decides (ctx.h "DNSSEC";
 * RFC 4035 §4.3: answers that cannot be validated are bogus, which for a
 * resolver that strips DNSSEC records is every answer).
 */
#include "autoconf.h"

#include <stdlib.h>

#include "core/xalloc.h"
#include "arc/arc_seal.h"
#include "dns/dns_probe.h"
#include "pipeline/ctx.h"
#include "pipeline/metrics.h"

#define DNSSEC_FIX "use a resolver that validates DNSSEC or returns " \
	"DNSSEC records (Nameservers), or set TrustAnchorFile empty"

/* ---------------------------------------------------------- DNSSEC */

/* dns_new - the resolver for cfg, with the trust anchor or without. */
static struct am_dns *
dns_new(const struct am_config *cfg, bool local_only, bool has_anchor,
    struct am_why *why)
{
	struct am_dns_opts dopts = { 0 };

	dopts.nameservers = cfg->nameservers;
	dopts.trust_anchor_file = has_anchor ? cfg->trust_anchor_file : NULL;
	dopts.local_only = local_only;
	return am_dns_new(&dopts, why);
}

/* probe - the anchor through rt->dns; the result, texts in why and who. */
static enum am_dns_probe
probe(const struct am_runtime *rt, struct am_why *why, struct am_buf *who)
{
	const struct am_config *cfg = rt->cfg;
	char name[AM_DNS_MAX_NAME + 2];

	am_dns_resolvers_text(cfg->nameservers, NULL, who);
	if (!am_dns_anchor_name(cfg->trust_anchor_file, name, sizeof(name))) {
		am_why_set(why, "no record with an absolute owner name in it");
		return AM_DNS_PROBE_NO_ANSWER;
	}
	return am_dns_probe_anchor(rt->dns, name,
	    (unsigned)cfg->dns_timeout * 1000U, why);
}

/* note_disabled - the one warning for validation turned off. */
static void
note_disabled(const struct am_runtime *rt, const struct am_why *why,
    const struct am_buf *who, struct am_buf *warns)
{
	am_buf_line(warns, "DNSSEC validation turned off: TrustAnchorFile %s "
	    "(built-in default) cannot be validated through the resolvers %s "
	    "(%s); they do not return DNSSEC records, so every lookup would "
	    "be DNSSEC-bogus and every message temperror. Fix: " DNSSEC_FIX,
	    rt->cfg->trust_anchor_file, am_buf_str(who), why->text);
}

/* note_refused - the error for an explicit anchor that fails. */
static void
note_refused(const struct am_runtime *rt, const char *origin,
    const struct am_why *why, const struct am_buf *who, struct am_buf *errs)
{
	am_buf_line(errs, "%s: TrustAnchorFile %s: DNSSEC validation fails "
	    "through the resolvers %s (%s): every lookup would be DNSSEC-bogus "
	    "and every message temperror. Fix: " DNSSEC_FIX, origin,
	    rt->cfg->trust_anchor_file, am_buf_str(who), why->text);
}

/* note_unchecked - the warning for a probe without an answer. */
static void
note_unchecked(const struct am_runtime *rt, const struct am_why *why,
    const struct am_buf *who, struct am_buf *warns)
{
	am_buf_line(warns, "TrustAnchorFile %s: could not check DNSSEC "
	    "through the resolvers %s (%s); validation stays on and is "
	    "checked again later. If they do not return DNSSEC records, "
	    "every message will be temperror: " DNSSEC_FIX,
	    rt->cfg->trust_anchor_file, am_buf_str(who), why->text);
}

/* dnssec_setup - probe rt->dns and apply the verdict (ctx.h "DNSSEC");
 * false when the runtime must be refused (error in errs). */
static bool
dnssec_setup(struct am_runtime *rt, struct am_buf *errs, struct am_buf *warns)
{
	const char *origin = am_config_origin(rt->cfg, "TrustAnchorFile");
	struct am_why why = { "" };
	struct am_buf who;
	bool ok = true;

	am_buf_init(&who, 1024);
	switch (probe(rt, &why, &who)) {
	case AM_DNS_PROBE_SECURE:
		rt->dnssec = AM_DNSSEC_ON;
		break;
	case AM_DNS_PROBE_NO_ANSWER:
		rt->dnssec = AM_DNSSEC_UNCHECKED;
		note_unchecked(rt, &why, &who, warns);
		break;
	case AM_DNS_PROBE_BOGUS:
		if (origin != NULL) {
			note_refused(rt, origin, &why, &who, errs);
			ok = false;
			break;
		}
		rt->dnssec = AM_DNSSEC_DISABLED;
		note_disabled(rt, &why, &who, warns);
		break;
	}
	am_buf_release(&who);
	return ok;
}

/* runtime_dns - rt->dns for rt->cfg, DNSSEC as opts or the probe say. */
static bool
runtime_dns(struct am_runtime *rt, const struct am_runtime_opts *opts,
    struct am_buf *errs, struct am_buf *warns)
{
	bool local = opts != NULL && opts->local_dns;
	bool is_given = opts != NULL && opts->has_dnssec;
	struct am_why why;

	if (local || rt->cfg->trust_anchor_file[0] == '\0')
		rt->dnssec = AM_DNSSEC_OFF;
	else if (is_given)
		rt->dnssec = opts->dnssec;
	else
		rt->dnssec = AM_DNSSEC_UNCHECKED;	/* until the probe */
	rt->dns = dns_new(rt->cfg, local, rt->dnssec == AM_DNSSEC_ON ||
	    rt->dnssec == AM_DNSSEC_UNCHECKED, &why);
	if (rt->dns == NULL) {
		am_buf_line(errs, "%s", why.text);
		return false;
	}
	if (rt->dnssec == AM_DNSSEC_OFF || is_given)
		return true;
	if (!dnssec_setup(rt, errs, warns))
		return false;
	if (rt->dnssec != AM_DNSSEC_DISABLED)
		return true;
	/* libunbound cannot drop an anchor: a new context without it. */
	rt->dns = am_dns_free(rt->dns);
	if ((rt->dns = dns_new(rt->cfg, false, false, &why)) == NULL) {
		am_buf_line(errs, "%s", why.text);
		return false;
	}
	return true;
}

/* am_dnssec_state_name - "off", "on", "unchecked", "disabled". */
const char *
am_dnssec_state_name(enum am_dnssec_state s)
{
	switch (s) {
	case AM_DNSSEC_OFF:
		return "off";
	case AM_DNSSEC_ON:
		return "on";
	case AM_DNSSEC_UNCHECKED:
		return "unchecked";
	case AM_DNSSEC_DISABLED:
		return "disabled";
	}
	return "invalid";
}

/* ---------------------------------------------------------- runtimes */

/* fail - one reason line into errs; the half-built runtime goes away. */
static struct am_runtime *
fail(struct am_runtime *rt, struct am_buf *errs, const struct am_why *why)
{
	(void)am_buf_printf(errs, "%s\n", why->text);
	return am_runtime_unref(rt);
}

/* arc_setup - the trusted sealers and, with ARCSeal, the sealing key; a
 * problem names the key that caused it. */
static bool
arc_setup(struct am_runtime *rt, struct am_buf *errs)
{
	const struct am_config *cfg = rt->cfg;
	const char *origin;
	struct am_why why;

	if ((rt->arc_trust = am_arc_trust_new(cfg->arc_trusted_sealers,
	    &why)) == NULL) {
		origin = am_config_origin(cfg, "ARCTrustedSealers");
		am_buf_line(errs, "%s: %s", origin ? origin : cfg->source,
		    why.text);
		return false;
	}
	if (!cfg->arc_seal)
		return true;
	rt->arc_seal_key = am_arc_seal_key(rt->keys, cfg, &rt->arc_seal_domain,
	    &why);
	if (rt->arc_seal_key != NULL)
		return true;
	origin = am_config_origin(cfg, cfg->arc_seal_key[0] != '\0' ?
	    "ARCSealKey" : "ARCSeal");
	am_buf_line(errs, "%s: %s", origin ? origin : cfg->source, why.text);
	return false;
}

/* metrics_check - MetricsListen (the endpoint starts in the daemon, after
 * privileges are dropped; checked here so -n, configtest and a reload
 * report a bad value like any other). */
static bool
metrics_check(const struct am_config *cfg, struct am_buf *errs)
{
	const char *origin = am_config_origin(cfg, "MetricsListen");
	struct am_metrics_addr a;
	struct am_why why;

	if (cfg->metrics_listen[0] == '\0' ||
	    am_metrics_addr_parse(cfg->metrics_listen,
	    cfg->metrics_allow_remote, &a, &why) == AM_OK)
		return true;
	am_buf_line(errs, "%s: MetricsListen %s", origin != NULL ? origin :
	    "built-in default", why.text);
	return false;
}

/* am_runtime_new - build everything cfg needs; takes cfg's reference. */
struct am_runtime *
am_runtime_new(struct am_config *cfg, const struct am_runtime_opts *opts,
    struct am_buf *errs, struct am_buf *warns)
{
	struct am_runtime *rt;
	struct am_why why;
	bool ok;

	rt = am_xcalloc(1, sizeof(*rt));
	rt->cfg = cfg;
	atomic_init(&rt->refs, 1);
	atomic_init(&rt->is_dnssec_rechecked, false);
	ok = metrics_check(cfg, errs);
	if ((rt->keys = am_keys_load(cfg, errs, warns)) == NULL || !ok)
		return am_runtime_unref(rt);
	if (!runtime_dns(rt, opts, errs, warns))
		return am_runtime_unref(rt);
	if ((rt->dkim = am_dkim_lib_new(rt->dns, cfg, &why)) == NULL)
		return fail(rt, errs, &why);
	rt->signer = am_dkim_signer_new(cfg, rt->keys, errs);
	if (rt->signer == NULL)
		return am_runtime_unref(rt);
	if ((rt->spf = am_spf_new(rt->dns, cfg, &why)) == NULL)
		return fail(rt, errs, &why);
	if ((rt->dmarc = am_dmarc_new(rt->dns, cfg, &why)) == NULL)
		return fail(rt, errs, &why);
	if (!arc_setup(rt, errs))
		return am_runtime_unref(rt);
	if ((rt->policy = am_policy_new(cfg, &why)) == NULL)
		return fail(rt, errs, &why);
	return rt;
}

struct am_runtime *
am_runtime_ref(struct am_runtime *rt)
{
	atomic_fetch_add(&rt->refs, 1);
	return rt;
}

/* am_runtime_unref - drop one reference; free at zero. */
struct am_runtime *
am_runtime_unref(struct am_runtime *rt)
{
	if (rt == NULL || atomic_fetch_sub(&rt->refs, 1) != 1)
		return NULL;
	rt->policy = am_policy_free(rt->policy);
	rt->arc_trust = am_arc_trust_free(rt->arc_trust);
	rt->dmarc = am_dmarc_free(rt->dmarc);
	rt->spf = am_spf_free(rt->spf);
	rt->signer = am_dkim_signer_free(rt->signer);
	rt->keys = am_keys_free(rt->keys);
	rt->dkim = am_dkim_lib_free(rt->dkim);
	rt->dns = am_dns_free(rt->dns);
	rt->cfg = am_config_unref(rt->cfg);
	free(rt);
	return NULL;
}

/* am_ctx_new - the process context; takes rt's reference. */
struct am_ctx *
am_ctx_new(struct am_runtime *rt)
{
	struct am_ctx *ctx = am_xcalloc(1, sizeof(*ctx));

	if (pthread_mutex_init(&ctx->lock, NULL) != 0)
		AM_PANIC("pthread_mutex_init failed");
	ctx->current = rt;
	am_dns_set_counters(rt->dns, &ctx->stats.dns);
	atomic_store(&ctx->stats.dnssec_disabled,
	    rt->dnssec == AM_DNSSEC_DISABLED);
	return ctx;
}

struct am_ctx *
am_ctx_free(struct am_ctx *ctx)
{
	if (ctx == NULL)
		return NULL;
	ctx->reports = am_report_store_close(ctx->reports, NULL);
	ctx->failures = am_report_fail_close(ctx->failures, NULL);
	am_dns_set_counters(ctx->current->dns, NULL);
	ctx->current = am_runtime_unref(ctx->current);
	(void)pthread_mutex_destroy(&ctx->lock);
	free(ctx);
	return NULL;
}

/* am_ctx_acquire - a new reference to the current runtime. */
struct am_runtime *
am_ctx_acquire(struct am_ctx *ctx)
{
	struct am_runtime *rt;

	(void)pthread_mutex_lock(&ctx->lock);
	rt = am_runtime_ref(ctx->current);
	(void)pthread_mutex_unlock(&ctx->lock);
	return rt;
}

/* am_ctx_swap - install rt (reference taken); drop the old one. */
void
am_ctx_swap(struct am_ctx *ctx, struct am_runtime *rt)
{
	struct am_runtime *old;

	(void)pthread_mutex_lock(&ctx->lock);
	old = ctx->current;
	/* The old resolver keeps counting its last queries here too. */
	am_dns_set_counters(rt->dns, &ctx->stats.dns);
	ctx->current = rt;
	atomic_store(&ctx->stats.dnssec_disabled,
	    rt->dnssec == AM_DNSSEC_DISABLED);
	(void)pthread_mutex_unlock(&ctx->lock);
	(void)am_runtime_unref(old);
}

/* recheck_bogus - the anchor of an UNCHECKED runtime cannot be validated
 * after all: validation off in a new runtime (built-in anchor), or the
 * error once (explicit anchor). True when a runtime was swapped in. */
static bool
recheck_bogus(struct am_ctx *ctx, struct am_runtime *rt,
    const struct am_why *why, const struct am_buf *who, struct am_buf *errs,
    struct am_buf *warns)
{
	const char *origin = am_config_origin(rt->cfg, "TrustAnchorFile");
	struct am_runtime_opts opts = { .has_dnssec = true,
		.dnssec = AM_DNSSEC_DISABLED };
	struct am_runtime *next;

	atomic_store(&rt->is_dnssec_rechecked, true);
	if (origin != NULL) {
		note_refused(rt, origin, why, who, errs);
		am_buf_line(errs, "DNSSEC validation stays on as configured");
		return false;
	}
	next = am_runtime_new(am_config_ref(rt->cfg), &opts, errs, warns);
	if (next == NULL)
		return false;
	note_disabled(next, why, who, warns);
	am_ctx_swap(ctx, next);
	return true;
}

/* am_ctx_recheck_dnssec - probe an UNCHECKED runtime again (ctx.h). */
bool
am_ctx_recheck_dnssec(struct am_ctx *ctx, struct am_buf *errs,
    struct am_buf *warns)
{
	struct am_runtime *rt = am_ctx_acquire(ctx);
	struct am_why why = { "" };
	struct am_buf who;
	bool swapped = false;

	if (rt->dnssec != AM_DNSSEC_UNCHECKED ||
	    atomic_load(&rt->is_dnssec_rechecked)) {
		(void)am_runtime_unref(rt);
		return false;
	}
	am_buf_init(&who, 1024);
	switch (probe(rt, &why, &who)) {
	case AM_DNS_PROBE_SECURE:
		atomic_store(&rt->is_dnssec_rechecked, true);
		break;
	case AM_DNS_PROBE_BOGUS:
		swapped = recheck_bogus(ctx, rt, &why, &who, errs, warns);
		break;
	case AM_DNS_PROBE_NO_ANSWER:
		break;
	}
	am_buf_release(&who);
	(void)am_runtime_unref(rt);
	return swapped;
}
