/*
 * inbound.c - verification of one inbound message: DKIM (RFC 6376, 8301,
 * 8463) through dkim_verify, SPF (RFC 7208) for MAIL FROM and HELO through
 * spf, then DMARC (RFC 7489, RFC 9989) over their results through dmarc.
 * The body is hashed as it streams and never buffered; when the message
 * carries no signature the body is not needed. Results only: what to do
 * about them is lib/pipeline/decide.c's. All DNS lookups of the message
 * share one budget of DNSTimeout (dns_budget.h), started by the first of
 * them (the DKIM keys at end of headers, else SPF).
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report/report_row.h"
#include "core/xalloc.h"
#include "dns/dns_budget.h"
#include "pipeline/inbound.h"

#define RECEIVED_SPF_MAX 4096	/* bytes of the Received-SPF value */

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
	struct am_dmarc_results dmarc;	/* owned: one per author domain */
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
	am_dmarc_results_release(&in->dmarc);
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

/* run_spf - both identities; the Received-SPF text for the MAIL FROM one
 * (the HELO one when MAIL FROM was not checked). A value that would not
 * fit is left out whole. */
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
	if (!r->is_checked)
		return;
	am_buf_init(&out, RECEIVED_SPF_MAX);
	if (am_spf_received_spf(r, cfg->authserv_id, env->client_ip,
	    env->helo, env->sender, &out) == AM_OK)
		in->received_spf = am_buf_export(&out);
	am_buf_release(&out);
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
	am_dmarc_evaluate(in->rt->dmarc, &din, &in->dmarc);
	in->dmarc_ran = true;
}

void
am_inbound_eom(struct am_inbound *in, const struct am_inbound_env *env)
{
	am_inbound_eoh(in);
	if (in->dkv != NULL) {
		am_dkim_verify_eom(in->dkv, &in->dkim);
		in->dkv = am_dkim_verify_free(in->dkv);
	}
	if (env->client != NULL)
		run_spf(in, env);
	run_dmarc(in, env);
}

/* am_inbound_results - the inbound fields of r (see the header). */
void
am_inbound_results(const struct am_inbound *in, struct am_results *r)
{
	r->has_inbound = true;
	if (in->spf_ran) {
		r->spf_mfrom = &in->spf_mfrom;
		r->spf_helo = &in->spf_helo;
	}
	r->dkim = &in->dkim;
	if (in->dmarc_ran) {
		r->dmarc = in->dmarc.author;
		r->ndmarc = in->dmarc.n;
	}
	r->received_spf = in->received_spf;
}

void
am_inbound_report(const struct am_inbound *in,
    const struct am_inbound_env *env, const char *rcpt,
    struct am_report_store *rs, const struct am_dmarc_result *dmarc)
{
	struct am_report_input ri;

	if (rs == NULL || dmarc == NULL)
		return;
	ri.time = (int64_t)time(NULL);
	ri.client_ip = env->client_ip;
	ri.envelope_from = env->sender;
	ri.helo = env->helo;
	ri.envelope_to = rcpt;
	ri.dmarc = dmarc;
	ri.spf_mfrom = in->spf_ran ? &in->spf_mfrom : NULL;
	ri.spf_helo = in->spf_ran ? &in->spf_helo : NULL;
	ri.dkim = &in->dkim;
	am_report_row_enqueue(rs, &ri);
}
