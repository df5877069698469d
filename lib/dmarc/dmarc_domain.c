/*
 * dmarc_domain.c - DMARC for one author domain (contract in dmarc.h).
 *
 * Policy discovery: the author domain's record, else the Organizational
 * Domain's or the PSD's record from the RFC 9989 §4.10 tree walk, or with
 * DMARCOrgDomain psl the PSL organizational domain's record (RFC 7489
 * §6.6.3); records are fetched and validated by orgdomain.c and
 * dmarc_record.c. Alignment is ours, never the library's (RFC 7489 §3.1):
 * strict = identical names, relaxed = the same Organizational Domain; a
 * failed tree walk makes an alignment unknown only when the names it could
 * not read might still join the two (dmarc.h "Tree walk failures"). A
 * failing message takes p=, sp= or np= (np= when the author domain does not
 * exist, RFC 9989 §3.2.9, RFC 8020), and its disposition then goes through
 * the overrides: t=y, pct= sampling (RFC 7489 §6.6.4), trusted forwarders
 * and DMARCExemptDomains (DMARCEnforce is a local reaction: the decision's,
 * lib/pipeline/decide.c). dmarc.c calls am_dmarc_eval_domain() once per
 * distinct author domain.
 */
#include "autoconf.h"

#include <arpa/nameser.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "core/am.h"
#include "msg/authres.h"
#include "config/config.h"
#include "dns/dns.h"
#include "dns/dns_prefetch.h"
#include "msg/from.h"
#include "core/netaddr.h"
#include "dmarc/orgdomain.h"

#include "dmarc/dmarc.h"
#include "dmarc/dmarc_impl.h"

/* ------------------------------------------------ one author domain */

/* State of one author domain's evaluation. */
struct eval {
	const struct am_dmarc *dm;		/* borrowed */
	const struct am_dmarc_input *in;	/* borrowed */
	struct am_dmarc_result *res;		/* being filled */
	const char *author;			/* res->header_from */
	bool has_org;				/* PSL: res->orgdomain is set */
	bool has_awalk;				/* awalk was run */
	struct am_treewalk awalk;		/* owned: the tree walk from
						 * the author domain */
	bool is_temperror;			/* an alignment is unknown */
	char why[256];				/* its reason */
	struct am_dmarc_memo memo;		/* _dmarc answers so far */
};

/* Relaxed alignment of one identifier (dmarc.h, "Tree walk failures"). */
enum align {
	ALIGN_NO = 0,
	ALIGN_YES,
	ALIGN_UNKNOWN,		/* a failed _dmarc query decides */
};

/* psl_org - the PSL Organizational Domain of domain (itself if none). */
static void
psl_org(struct eval *ev, const char *domain, char *out, size_t len)
{
	if (am_psl_orgdomain(ev->dm->psl, domain, out, len) != AM_OK)
		AM_SNPRINTF_FIT(out, len, "%s", domain);	/* normalised */
}

/* author_walk - the tree walk from the author domain, run once. */
static void
author_walk(struct eval *ev)
{
	struct am_why why;

	if (ev->has_awalk)
		return;
	ev->has_awalk = true;
	if (am_treewalk_run_memo(ev->dm->dns, &ev->memo, ev->author, NULL,
	    ev->in->deadline_ms, &ev->awalk, &why) == AM_OK)
		AM_SNPRINTF_FIT(ev->res->orgdomain,
		    sizeof(ev->res->orgdomain), "%s", ev->awalk.orgdomain);
}

/* walk_failure - the reason of the first of two walks that failed. */
static const char *
walk_failure(const struct am_treewalk *a, const struct am_treewalk *b)
{
	if (a->failed_step != SIZE_MAX)
		return a->step[a->failed_step].f.why;
	if (b->failed_step != SIZE_MAX)
		return b->step[b->failed_step].f.why;
	return "DNS failure";
}

/* same_tld - do two valid names end in the same label? An Organizational
 * Domain is a suffix of its name, so names under different top-level
 * domains never share one: no walk is needed to tell. */
static bool
same_tld(const char *a, const char *b)
{
	const char *ta = strrchr(a, '.'), *tb = strrchr(b, '.');

	return strcmp(ta != NULL ? ta + 1 : a, tb != NULL ? tb + 1 : b) == 0;
}

/* walk_aligned - relaxed alignment of d through the tree walks. */
static enum align
walk_aligned(struct eval *ev, const char *d)
{
	struct am_treewalk tw;
	struct am_why why;
	enum am_treewalk_cmp cmp = AM_TREEWALK_DIFFERENT;

	if (!same_tld(d, ev->author))
		return ALIGN_NO;
	author_walk(ev);
	if (ev->awalk.n == 0)		/* cannot happen: author is valid */
		return ALIGN_NO;
	if (am_treewalk_run_memo(ev->dm->dns, &ev->memo, d, NULL,
	    ev->in->deadline_ms, &tw, &why) != AM_PERMFAIL)
		cmp = am_treewalk_compare(&ev->awalk, &tw);
	if (cmp == AM_TREEWALK_UNKNOWN && !ev->is_temperror) {
		ev->is_temperror = true;
		AM_SNPRINTF_FIT(ev->why, sizeof(ev->why), "%s",
		    walk_failure(&ev->awalk, &tw));	/* 160 into 256 */
	}
	am_treewalk_release(&tw);
	return cmp == AM_TREEWALK_SAME ? ALIGN_YES :
	    cmp == AM_TREEWALK_UNKNOWN ? ALIGN_UNKNOWN : ALIGN_NO;
}

/* aligned - does identifier id align with the author domain (mode r/s)? */
static enum align
aligned(struct eval *ev, char mode, const char *id)
{
	char d[AM_DOMAIN_MAX_LEN + 1], org[AM_DOMAIN_MAX_LEN + 1];

	if (id == NULL || am_domain_normalise(id, d, sizeof(d), NULL) != AM_OK)
		return ALIGN_NO;
	if (strcmp(d, ev->author) == 0)
		return ALIGN_YES;
	if (mode == 's')	/* strict: identical names only */
		return ALIGN_NO;
	if (ev->dm->psl == NULL)
		return walk_aligned(ev, d);
	if (!ev->has_org) {
		psl_org(ev, ev->author, ev->res->orgdomain,
		    sizeof(ev->res->orgdomain));
		ev->has_org = true;
	}
	psl_org(ev, d, org, sizeof(org));
	return strcmp(org, ev->res->orgdomain) == 0 ? ALIGN_YES : ALIGN_NO;
}

/* take - move the record of fetch f found at domain into the result. */
static char *
take(struct eval *ev, struct am_dmarc_fetch *f, const char *domain)
{
	char *rec = f->record;

	f->record = NULL;
	AM_SNPRINTF_FIT(ev->res->policy_domain,
	    sizeof(ev->res->policy_domain), "%s", domain);
	return rec;
}

/* discover_walk - RFC 9989 §4.10.1 through the tree walk. */
static char *
discover_walk(struct eval *ev, struct am_dmarc_fetch *f)
{
	struct am_treewalk tw;
	struct am_why why;
	char *rec = NULL;
	size_t i;

	if (am_treewalk_run_memo(ev->dm->dns, &ev->memo, ev->author, f,
	    ev->in->deadline_ms, &tw, &why) != AM_OK) {
		set_result(ev->res, AM_DMARC_TEMPERROR, why.text);
		am_treewalk_release(&tw);
		return NULL;
	}
	AM_SNPRINTF_FIT(ev->res->orgdomain, sizeof(ev->res->orgdomain), "%s",
	    tw.orgdomain);
	/* The Organizational Domain's record, else the PSD's (psd=y). */
	for (i = 0; i < tw.n && tw.org_step != SIZE_MAX; i++)
		if (tw.step[i].f.record != NULL &&
		    strcmp(tw.step[i].domain, tw.orgdomain) == 0)
			rec = take(ev, &tw.step[i].f, tw.step[i].domain);
	if (rec == NULL && tw.org_step != SIZE_MAX)
		rec = take(ev, &tw.step[tw.org_step].f,
		    tw.step[tw.org_step].domain);
	/* Kept: the same walk from the author serves relaxed alignment. */
	ev->awalk = tw;
	ev->has_awalk = true;
	return rec;
}

/* discover_psl - RFC 7489 §6.6.3 with the Public Suffix List. */
static char *
discover_psl(struct eval *ev)
{
	struct am_dmarc_fetch f;
	char *rec = NULL;

	psl_org(ev, ev->author, ev->res->orgdomain,
	    sizeof(ev->res->orgdomain));
	ev->has_org = true;
	if (strcmp(ev->res->orgdomain, ev->author) == 0)
		return NULL;
	am_dmarc_fetch_memo(ev->dm->dns, &ev->memo, ev->res->orgdomain,
	    ev->in->deadline_ms, &f);
	if (f.dns == AM_DNS_TEMPERROR)
		set_result(ev->res, AM_DMARC_TEMPERROR, f.why);
	else if (f.record != NULL)
		rec = take(ev, &f, ev->res->orgdomain);
	am_dmarc_fetch_release(&f);
	return rec;
}

/* discover - the policy record text (owned), or NULL (none/temperror). */
static char *
discover(struct eval *ev)
{
	struct am_dmarc_fetch f;
	char *rec = NULL;

	am_dmarc_fetch_memo(ev->dm->dns, &ev->memo, ev->author,
	    ev->in->deadline_ms, &f);
	if (f.dns == AM_DNS_TEMPERROR)
		set_result(ev->res, AM_DMARC_TEMPERROR, f.why);
	else if (f.record != NULL)
		rec = take(ev, &f, ev->author);
	else if (ev->dm->psl != NULL)
		rec = discover_psl(ev);
	else
		rec = discover_walk(ev, &f);
	am_dmarc_fetch_release(&f);
	return rec;
}

/* author_exists - false only for NXDOMAIN (RFC 9989 §3.2.9, RFC 8020). */
static bool
author_exists(struct eval *ev)
{
	struct am_dns_answer ans;
	struct am_dns_query *q;
	bool exists;

	/* XXX: a DNS failure here counts as existing (sp= rather than np=);
	 * a temperror would be stricter but fails mail on an extra query. */
	memset(&ans, 0, sizeof(ans));
	q = am_dns_prefetch_start_by(ev->in->prefetch, ev->dm->dns, ev->author,
	    ns_t_a, ev->in->deadline_ms);
	am_dns_wait(q, ev->in->deadline_ms, &ans);
	q = am_dns_query_free(q);
	exists = ans.result != AM_DNS_NXDOMAIN;
	am_dns_answer_release(&ans);
	return exists;
}

/* select_policy - p=, or sp=/np= for a subdomain of the policy domain. */
static void
select_policy(struct eval *ev)
{
	struct am_dmarc_result *res = ev->res;

	res->policy = res->rec.p;
	res->policy_tag = "p";
	if (strcmp(res->policy_domain, ev->author) == 0)
		return;
	if (res->rec.np != AM_DMARC_POLICY_UNSPEC &&
	    res->result == AM_DMARC_FAIL && !author_exists(ev)) {
		res->policy = res->rec.np;
		res->policy_tag = "np";
	} else if (res->rec.sp != AM_DMARC_POLICY_UNSPEC) {
		res->policy = res->rec.sp;
		res->policy_tag = "sp";
	}
}

/* random_draw - 0..99 from getrandom(); a clock fallback if it fails. */
static int
random_draw(void)
{
	struct timespec ts;
	uint32_t u;

	if (getrandom(&u, sizeof(u), GRND_NONBLOCK) != (ssize_t)sizeof(u)) {
		(void)clock_gettime(CLOCK_MONOTONIC, &ts);
		u = (uint32_t)ts.tv_nsec ^ (uint32_t)(uintptr_t)&ts;
	}
	return (int)(u % 100);
}

/* is_exempt - is the author domain (or a parent) in DMARCExemptDomains? */
static bool
is_exempt(const struct am_dmarc *dm, const char *author)
{
	size_t i, al = strlen(author), el;

	for (i = 0; i < dm->nexempt; i++) {
		el = strlen(dm->exempt[i]);
		if (strcmp(author, dm->exempt[i]) == 0 || (al > el &&
		    author[al - el - 1] == '.' &&
		    strcmp(author + al - el, dm->exempt[i]) == 0))
			return true;
	}
	return false;
}

/* demote - one level down: reject -> quarantine -> none. */
static void
demote(struct am_dmarc_result *res, enum am_dmarc_override why)
{
	if (res->disposition > AM_DMARC_POLICY_NONE)
		res->disposition--;
	res->override = why;
}

/* apply_overrides - our disposition for a failing message. */
static void
apply_overrides(struct eval *ev)
{
	struct am_dmarc_result *res = ev->res;
	const struct am_config *cfg = ev->dm->cfg;

	res->disposition = res->policy;
	if (res->disposition <= AM_DMARC_POLICY_NONE) {
		res->disposition = AM_DMARC_POLICY_NONE;
		return;
	}
	if (res->rec.is_testing)
		demote(res, AM_DMARC_OVERRIDE_POLICY_TEST_MODE);
	else if (res->rec.pct < 100) {
		res->sample_draw = ev->in->sample_draw >= 0 ?
		    ev->in->sample_draw % 100 : random_draw();
		if (res->sample_draw >= res->rec.pct)
			demote(res, AM_DMARC_OVERRIDE_SAMPLED_OUT);
	}
	if (res->disposition == AM_DMARC_POLICY_NONE)
		return;
	if (ev->in->client != NULL && cfg->dmarc_trusted_forwarders != NULL &&
	    am_netset_contains(cfg->dmarc_trusted_forwarders, ev->in->client)) {
		res->disposition = AM_DMARC_POLICY_NONE;
		res->override = AM_DMARC_OVERRIDE_TRUSTED_FORWARDER;
	} else if (is_exempt(ev->dm, ev->author)) {
		res->disposition = AM_DMARC_POLICY_NONE;
		res->override = AM_DMARC_OVERRIDE_LOCAL_POLICY;
	}
}

/* check_alignment - dkim_aligned, spf_aligned and pass/fail/temperror. */
static void
check_alignment(struct eval *ev)
{
	const struct am_dkim_results *dkim = ev->in->dkim;
	const struct am_spf_result *spf = ev->in->spf;
	struct am_dmarc_result *res = ev->res;
	size_t i;

	for (i = 0; dkim != NULL && i < dkim->count; i++)
		if (dkim->sigs[i].result == AM_DKIM_PASS &&
		    aligned(ev, res->rec.adkim, dkim->sigs[i].domain) ==
		    ALIGN_YES) {
			res->dkim_aligned = true;
			/* A passing d= was looked up as s._domainkey.d:
			 * at most 253 characters in all. */
			AM_SNPRINTF_FIT(res->dkim_domain,
			    sizeof(res->dkim_domain), "%s",
			    dkim->sigs[i].domain);
			break;
		}
	/* Only pass counts: softfail, neutral, permerror are not pass. */
	if (spf != NULL && spf->is_checked && spf->result == AM_SPF_PASS &&
	    aligned(ev, res->rec.aspf, spf->domain) == ALIGN_YES)
		res->spf_aligned = true;
	/* The record is known: a failed walk above the author makes the
	 * result temperror only when it could have made one align. */
	if (res->dkim_aligned || res->spf_aligned)
		res->result = AM_DMARC_PASS;
	else if (ev->is_temperror)
		set_result(res, AM_DMARC_TEMPERROR, ev->why);
	else
		res->result = AM_DMARC_FAIL;
}

/* ------------------------------------ what local policy may use */

/* prop - the value of ptype.property of method m, or NULL. */
static const char *
prop(const struct am_authres_method *m, const char *ptype,
    const char *property)
{
	size_t i;

	for (i = 0; i < m->nprops; i++)
		if (strcmp(m->props[i].ptype, ptype) == 0 &&
		    strcmp(m->props[i].property, property) == 0)
			return m->props[i].value;
	return NULL;
}

/* after_at - the domain of an address ("a@b" -> "b"), or s itself. */
static const char *
after_at(const char *s)
{
	const char *at = s != NULL ? strrchr(s, '@') : NULL;

	return at != NULL ? at + 1 : s;
}

/* recorded_pass - the identifier of m that shows an aligned pass for the
 * author ("header.d=D"), written to out; false if none. */
static bool
recorded_pass(struct eval *ev, const struct am_authres_method *m, char *out,
    size_t len)
{
	const char *d;

	if (strcmp(m->result, "pass") != 0)
		return false;
	if (strcmp(m->method, "dkim") == 0) {
		const char *hd = prop(m, "header", "d");

		d = hd != NULL ? hd : after_at(prop(m, "header", "i"));
		if (aligned(ev, ev->res->rec.adkim, d) != ALIGN_YES)
			return false;
		return am_snprintf(out, len, "dkim=pass header.%s=%s",
		    hd != NULL ? "d" : "i", hd != NULL ? hd :
		    prop(m, "header", "i")) == AM_OK;
	}
	if (strcmp(m->method, "spf") == 0) {
		d = after_at(prop(m, "smtp", "mailfrom"));
		if (aligned(ev, ev->res->rec.aspf, d) != ALIGN_YES)
			return false;
		return am_snprintf(out, len, "spf=pass smtp.mailfrom=%s",
		    prop(m, "smtp", "mailfrom")) == AM_OK;
	}
	if (strcmp(m->method, "dmarc") == 0) {
		d = prop(m, "header", "from");
		if (d == NULL || aligned(ev, 's', d) != ALIGN_YES)
			return false;
		return am_snprintf(out, len, "dmarc=pass header.from=%s", d) ==
		    AM_OK;
	}
	return false;
}

/* check_arc - has_arc_pass and arc_note from the vouching ARC set. */
static void
check_arc(struct eval *ev)
{
	const struct am_arc_sealer *s = ev->in->arc;
	struct am_dmarc_result *res = ev->res;
	char what[300];
	size_t i;

	if (s == NULL || s->aar == NULL)
		return;
	for (i = 0; i < s->aar->nmethods; i++) {
		if (!recorded_pass(ev, &s->aar->methods[i], what,
		    sizeof(what)))
			continue;
		res->has_arc_pass = true;
		(void)am_snprintf_cut(res->arc_note, sizeof(res->arc_note),
		    "arc=pass as.d=%s as.s=%s i=%u %s", s->as_domain,
		    s->as_selector, s->instance, what);
		return;
	}
}

/* check_broken_dkim - has_broken_dkim: an aligned signature that failed. */
static void
check_broken_dkim(struct eval *ev)
{
	const struct am_dkim_results *dkim = ev->in->dkim;
	struct am_dmarc_result *res = ev->res;
	size_t i;

	for (i = 0; dkim != NULL && i < dkim->count; i++) {
		const struct am_dkim_sig *sig = &dkim->sigs[i];

		if (sig->result != AM_DKIM_FAIL ||
		    aligned(ev, res->rec.adkim, sig->domain) != ALIGN_YES)
			continue;
		res->has_broken_dkim = true;
		(void)am_snprintf_cut(res->broken_dkim,
		    sizeof(res->broken_dkim), "d=%s: %s", sig->domain,
		    sig->reason != NULL ? sig->reason : "");
		return;
	}
}

/* eval_record - discover, parse and apply the author domain's policy. */
static void
eval_record(struct eval *ev, const char *author)
{
	struct am_dmarc_result *res = ev->res;
	struct am_why why;
	char *txt;

	if ((txt = discover(ev)) == NULL) {
		if (res->result != AM_DMARC_TEMPERROR)
			set_result(res, AM_DMARC_NONE, "no DMARC record");
		return;
	}
	if (am_dmarc_record_parse(txt, author, res->policy_domain, &res->rec,
	    &why) != AM_OK) {
		free(txt);
		res->result = AM_DMARC_NONE;
		AM_SNPRINTF_FIT(res->reason, sizeof(res->reason),
		    "invalid DMARC record at _dmarc.%.100s: %.60s",
		    res->policy_domain, why.text);
		memset(&res->rec, 0, sizeof(res->rec));
		return;
	}
	free(txt);
	res->has_record = true;
	check_alignment(ev);
	select_policy(ev);
	if (res->result != AM_DMARC_FAIL)
		return;
	apply_overrides(ev);
	check_arc(ev);
	check_broken_dkim(ev);
}

/* am_dmarc_eval_domain - evaluate one author domain into res. */
void
am_dmarc_eval_domain(const struct am_dmarc *dm,
    const struct am_dmarc_input *in, const char *author,
    struct am_dmarc_result *res)
{
	struct eval ev = { .dm = dm, .in = in, .res = res };

	AM_SNPRINTF_FIT(res->header_from, sizeof(res->header_from), "%s",
	    author);	/* normalised by lib/msg/from */
	ev.author = res->header_from;
	am_dmarc_memo_init(&ev.memo);
	ev.memo.pre = in->prefetch;
	eval_record(&ev, author);
	if (ev.has_awalk)
		am_treewalk_release(&ev.awalk);
	am_dmarc_memo_release(&ev.memo);
}
