/*
 * inbound.c - verification of one inbound message: DKIM (RFC 6376, 8301,
 * 8463) through dkim_verify, SPF (RFC 7208) for MAIL FROM and HELO through
 * spf, then DMARC (RFC 7489, RFC 9989) over their results through dmarc.
 * The body is hashed as it streams and never buffered; when the message
 * carries no signature the body is not needed. Reply codes for SPF follow
 * RFC 7372 (5.7.23 validation failed, 4.7.24 validation error). All DNS
 * lookups of the message share one budget of DNSTimeout (dns_budget.h),
 * started by the first of them (the DKIM keys at end of headers, else SPF).
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report/report_row.h"
#include "core/xalloc.h"
#include "dns/dns_budget.h"
#include "pipeline/inbound.h"

#define SUMMARY_SIGS 10	/* DKIM results named in the log line */

struct am_inbound {
	struct am_runtime *rt;		/* borrowed, pinned by the session */
	struct am_dns_budget *budget;	/* owned: DNSTimeout for every
					 * lookup of the message */
	struct am_dkim_verify *dkv;	/* owned; NULL once finished */
	bool dkim_needs_body;		/* set at eoh */
	bool eoh_done;			/* am_inbound_eoh ran */
	struct am_dkim_results dkim;	/* owned results, after eom */
	bool spf_ran;			/* SPF evaluated at eom */
	struct am_spf_result spf_mfrom;	/* MAIL FROM result */
	struct am_spf_result spf_helo;	/* HELO result */
	char *received_spf;		/* owned header value, or NULL */
	bool dmarc_ran;			/* DMARC evaluated at eom */
	struct am_dmarc_result dmarc;	/* its result */
	struct am_dmarc_decision dmarc_dec;	/* what it asks for */
};

struct am_inbound *
am_inbound_new(struct am_runtime *rt, const char *jobid)
{
	struct am_inbound *in = am_xcalloc(1, sizeof(*in));

	in->rt = rt;
	in->budget = am_dns_budget_new((unsigned)rt->cfg->dns_timeout * 1000U);
	in->dkv = am_dkim_verify_new(rt->dkim, jobid);
	am_dkim_verify_set_budget(in->dkv, in->budget);
	return in;
}

struct am_inbound *
am_inbound_free(struct am_inbound *in)
{
	if (in == NULL)
		return NULL;
	in->dkv = am_dkim_verify_free(in->dkv);
	am_dkim_results_release(&in->dkim);
	free(in->received_spf);
	in->budget = am_dns_budget_free(in->budget);
	free(in);
	return NULL;
}

void
am_inbound_header(struct am_inbound *in, const char *name, const char *value,
    size_t len)
{
	if (!in->eoh_done)
		am_dkim_verify_header(in->dkv, name, value, len);
}

void
am_inbound_eoh(struct am_inbound *in)
{
	if (in->eoh_done)
		return;
	in->eoh_done = true;
	in->dkim_needs_body = am_dkim_verify_eoh(in->dkv);
}

bool
am_inbound_body(struct am_inbound *in, const void *p, size_t len)
{
	if (in->dkim_needs_body)
		am_dkim_verify_body(in->dkv, p, len);
	return in->dkim_needs_body;
}

/* summarise_dkim - "dkim=pass:example.com,fail:other.example "; past
 * SUMMARY_SIGS signatures only their number ("...,+490"), so one message
 * cannot fill the log line. */
static void
summarise_dkim(const struct am_dkim_results *r, struct am_buf *summary)
{
	size_t i;

	if (r->count == 0) {
		(void)am_buf_puts(summary, "dkim=none ");
		return;
	}
	(void)am_buf_puts(summary, "dkim=");
	for (i = 0; i < r->count && i < SUMMARY_SIGS; i++)
		(void)am_buf_printf(summary, "%s%s:%.64s", i ? "," : "",
		    am_dkim_result_name(r->sigs[i].result),
		    r->sigs[i].domain[0] ? r->sigs[i].domain : "?");
	if (r->count > SUMMARY_SIGS)
		(void)am_buf_printf(summary, ",+%zu", r->count - SUMMARY_SIGS);
	(void)am_buf_putc(summary, ' ');
}

/* run_spf - both identities; the Received-SPF text for the MAIL FROM one
 * (the HELO one when MAIL FROM was not checked). */
static void
run_spf(struct am_inbound *in, const struct am_inbound_env *env)
{
	const struct am_config *cfg = in->rt->cfg;
	const struct am_spf_result *r;
	struct am_buf out;

	am_spf_check(in->rt->spf, env->client, env->helo, env->sender,
	    am_dns_budget_deadline(in->budget), &in->spf_mfrom, &in->spf_helo);
	in->spf_ran = true;
	r = in->spf_mfrom.is_checked ? &in->spf_mfrom : &in->spf_helo;
	if (!cfg->add_received_spf || !r->is_checked)
		return;
	am_buf_init(&out, 4096);
	if (am_spf_received_spf(r, cfg->authserv_id, env->client_ip,
	    env->helo, env->sender, &out) == AM_OK)
		in->received_spf = am_buf_export(&out);
	am_buf_release(&out);
}

/* spf_action - SPFFailAction and SPFTempErrorAction, while v accepts. */
static void
spf_action(const struct am_inbound *in, struct am_verdict *v)
{
	const struct am_config *cfg = in->rt->cfg;
	const struct am_spf_result *fail = NULL;
	char text[640];

	if (v->disp != AM_DISP_ACCEPT)
		return;
	if (in->spf_mfrom.result == AM_SPF_FAIL && in->spf_mfrom.is_checked)
		fail = &in->spf_mfrom;
	else if (in->spf_helo.result == AM_SPF_FAIL && in->spf_helo.is_checked)
		fail = &in->spf_helo;
	if (fail != NULL && cfg->spf_fail_action != AM_ACTION_ACCEPT) {
		if (fail->explanation[0] != '\0')
			(void)snprintf(text, sizeof(text), "%s", fail->explanation);
		else
			(void)snprintf(text, sizeof(text), "SPF: %s is not "
			    "allowed to send mail for %s", "this host",
			    fail->domain);
		if (cfg->spf_fail_action == AM_ACTION_TEMPFAIL)
			am_verdict_set(v, AM_DISP_TEMPFAIL, "451", "4.7.23", text);
		else
			am_verdict_set(v, AM_DISP_REJECT, "550", "5.7.23", text);
		return;
	}
	if (in->spf_mfrom.result == AM_SPF_TEMPERROR &&
	    cfg->spf_temperror_action == AM_ACTION_TEMPFAIL)
		am_verdict_set(v, AM_DISP_TEMPFAIL, "451", "4.7.24",
		    "SPF: temporary DNS error, try again later");
}

/* summarise_spf - "spf=softfail spf-helo=none " */
static void
summarise_spf(const struct am_inbound *in, struct am_buf *summary)
{
	if (!in->spf_ran) {
		(void)am_buf_puts(summary, "spf=skipped ");
		return;
	}
	(void)am_buf_printf(summary, "spf=%s spf-helo=%s ",
	    in->spf_mfrom.is_checked ?
	    am_spf_result_name(in->spf_mfrom.result) : "-",
	    in->spf_helo.is_checked ?
	    am_spf_result_name(in->spf_helo.result) : "-");
}

/* run_dmarc - evaluate over the From headers and the SPF/DKIM results. */
static void
run_dmarc(struct am_inbound *in, const struct am_inbound_env *env)
{
	struct am_dmarc_input din;

	memset(&din, 0, sizeof(din));
	din.from = env->from;
	din.nfrom = env->nfrom;
	din.spf = in->spf_ran ? &in->spf_mfrom : NULL;
	din.dkim = &in->dkim;
	din.client = env->client;
	din.deadline_ms = am_dns_budget_deadline(in->budget);
	din.sample_draw = -1;
	am_dmarc_evaluate(in->rt->dmarc, &din, &in->dmarc, &in->dmarc_dec);
	in->dmarc_ran = true;
}

/* dmarc_action - the decision into v, while v still accepts. */
static void
dmarc_action(const struct am_inbound *in, struct am_verdict *v)
{
	const struct am_dmarc_decision *d = &in->dmarc_dec;

	if (v->disp != AM_DISP_ACCEPT)
		return;
	switch (d->action) {
	case AM_ACTION_REJECT:
		am_verdict_set(v, AM_DISP_REJECT, d->rcode, d->xcode, d->text);
		break;
	case AM_ACTION_TEMPFAIL:
		am_verdict_set(v, AM_DISP_TEMPFAIL, d->rcode, d->xcode,
		    d->text);
		break;
	case AM_ACTION_QUARANTINE:
		if (d->quarantine == AM_QUARANTINE_HEADER) {
			am_verdict_insert(v, d->header_name, d->header_value);
			break;
		}
		am_verdict_set(v, AM_DISP_QUARANTINE, "", "", "");
		(void)snprintf(v->quarantine, sizeof(v->quarantine), "%s",
		    d->quarantine_reason);
		break;
	case AM_ACTION_ACCEPT:
		break;
	}
}

/* summarise_dmarc - "dmarc=fail(example.com p=reject dis=reject) " */
static void
summarise_dmarc(const struct am_inbound *in, struct am_buf *summary)
{
	const struct am_dmarc_result *r = &in->dmarc;

	(void)am_buf_printf(summary, "dmarc=%s(%s%s%s%s%s) ",
	    am_dmarc_result_name(r->result),
	    r->header_from[0] ? r->header_from : "-",
	    r->has_record ? " p=" : "",
	    r->has_record ? am_dmarc_policy_name(r->policy) : "",
	    r->has_record ? " dis=" : "",
	    r->has_record ? am_dmarc_policy_name(r->disposition) : "");
}

void
am_inbound_eom(struct am_inbound *in, const struct am_inbound_env *env,
    struct am_authres *ar, struct am_verdict *v)
{
	am_inbound_eoh(in);
	if (in->dkv != NULL) {
		am_dkim_verify_eom(in->dkv, &in->dkim);
		in->dkv = am_dkim_verify_free(in->dkv);
	}
	if (env->client != NULL)
		run_spf(in, env);
	if (in->spf_ran) {
		am_spf_add_authres(&in->spf_mfrom, ar);
		am_spf_add_authres(&in->spf_helo, ar);
	}
	am_dkim_results_add_authres(&in->dkim, ar);
	run_dmarc(in, env);
	am_dmarc_add_authres(&in->dmarc, ar);
	summarise_spf(in, &v->summary);
	summarise_dkim(&in->dkim, &v->summary);
	summarise_dmarc(in, &v->summary);
	spf_action(in, v);
	dmarc_action(in, v);
}

void
am_inbound_add_headers(struct am_inbound *in, struct am_verdict *v)
{
	if (in->received_spf != NULL)
		am_verdict_insert(v, "Received-SPF", in->received_spf);
}

void
am_inbound_report(const struct am_inbound *in,
    const struct am_inbound_env *env, const char *rcpt,
    struct am_report_store *rs)
{
	struct am_report_input ri;

	if (rs == NULL || !in->dmarc_ran)
		return;
	ri.time = (int64_t)time(NULL);
	ri.client_ip = env->client_ip;
	ri.envelope_from = env->sender;
	ri.helo = env->helo;
	ri.envelope_to = rcpt;
	ri.dmarc = &in->dmarc;
	ri.spf_mfrom = in->spf_ran ? &in->spf_mfrom : NULL;
	ri.spf_helo = in->spf_ran ? &in->spf_helo : NULL;
	ri.dkim = &in->dkim;
	am_report_row_enqueue(rs, &ri);
}

const struct am_dmarc_result *
am_inbound_dmarc(const struct am_inbound *in)
{
	return in->dmarc_ran ? &in->dmarc : NULL;
}

const struct am_spf_result *
am_inbound_spf(const struct am_inbound *in)
{
	if (!in->spf_ran)
		return NULL;
	return in->spf_mfrom.is_checked ? &in->spf_mfrom : &in->spf_helo;
}

const struct am_dkim_results *
am_inbound_dkim(const struct am_inbound *in)
{
	return &in->dkim;
}
