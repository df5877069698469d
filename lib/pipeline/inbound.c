/*
 * inbound.c - verification of one inbound message: DKIM (RFC 6376, 8301,
 * 8463) through dkim_verify, ARC (RFC 8617 §5.2) through arc_verify, SPF
 * (RFC 7208) for MAIL FROM and HELO through spf, then DMARC (RFC 7489, RFC
 * 9989) over their results through dmarc, with the ARC set a trusted sealer
 * vouches for (arc_trust.h). With ARCSeal the ARC sealer (arc_seal.h)
 * hashes the body alongside and seals when the decision asks.
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
#include "arc/arc_seal.h"
#include "arc/arc_trust.h"
#include "arc/arc_verify.h"
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
	const struct am_msg *msg;	/* borrowed from eoh: the headers */
	bool has_list_headers;		/* List-Id or List-Post, at eoh */
	struct am_arc_verify *arcv;	/* owned; NULL once finished */
	bool arc_needs_body;		/* set at eoh */
	bool arc_ran;			/* arc is set */
	struct am_arc_result arc;	/* owned result, after eom */
	struct am_arc_seal *seal;	/* owned: ARCSeal, else NULL */
	bool is_sealed;			/* seal's eom ran (single use) */
};

/* seal_new - the ARC sealer of the message (ARCSeal yes). */
static struct am_arc_seal *
seal_new(const struct am_runtime *rt)
{
	struct am_arc_seal_opts o;

	memset(&o, 0, sizeof(o));
	o.key = rt->arc_seal_key;
	o.domain = rt->arc_seal_domain;
	o.selector = rt->cfg->arc_seal_selector[0] != '\0' ?
	    rt->cfg->arc_seal_selector : NULL;
	o.max_sets = (unsigned)rt->cfg->arc_max_sets;
	return am_arc_seal_new(&o);
}

struct am_inbound *
am_inbound_new(struct am_runtime *rt, const char *jobid)
{
	struct am_inbound *in = am_xcalloc(1, sizeof(*in));

	in->rt = rt;
	in->budget = am_dns_budget_new((unsigned)rt->cfg->dns_timeout * 1000U);
	in->dkv = am_dkim_verify_new(rt->dkim, jobid);
	am_dkim_verify_set_budget(in->dkv, in->budget);
	if (rt->arc_seal_key != NULL)
		in->seal = seal_new(rt);
	return in;
}

struct am_inbound *
am_inbound_free(struct am_inbound *in)
{
	if (in == NULL)
		return NULL;
	in->dkv = am_dkim_verify_free(in->dkv);
	in->arcv = am_arc_verify_free(in->arcv);
	in->seal = am_arc_seal_free(in->seal);
	am_arc_result_release(&in->arc);
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

/* arc_eoh - ARC validation starts: the chain parsed, key lookups under
 * the message's DNS budget. */
static void
arc_eoh(struct am_inbound *in, const struct am_msg *msg)
{
	const struct am_config *cfg = in->rt->cfg;
	struct am_arc_verify_opts o;

	o.max_sets = (unsigned)cfg->arc_max_sets;
	o.timeout_ms = (unsigned)cfg->dns_timeout * 1000U;
	o.min_key_bits = (unsigned)cfg->dkim_min_key_bits;
	in->arcv = am_arc_verify_new(in->rt->dns, &o);
	am_arc_verify_set_budget(in->arcv, in->budget);
	in->arc_needs_body = am_arc_verify_eoh(in->arcv, msg);
}

void
am_inbound_eoh(struct am_inbound *in, const struct am_msg *msg)
{
	if (in->eoh_done)
		return;
	in->eoh_done = true;
	in->msg = msg;
	in->has_list_headers = am_msg_find(msg, "List-Id", 0) != NULL ||
	    am_msg_find(msg, "List-Post", 0) != NULL;
	in->dkim_needs_body = am_dkim_verify_eoh(in->dkv);
	arc_eoh(in, msg);
}

bool
am_inbound_body(struct am_inbound *in, const void *p, size_t len)
{
	if (in->dkim_needs_body)
		am_dkim_verify_body(in->dkv, p, len);
	if (in->arc_needs_body)
		am_arc_verify_body(in->arcv, p, len);
	if (in->seal != NULL)
		am_arc_seal_body(in->seal, p, len);
	return in->dkim_needs_body || in->arc_needs_body || in->seal != NULL;
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
	din.arc = in->arc_ran ? am_arc_trust_vouching(&in->arc,
	    in->rt->arc_trust) : NULL;
	am_dmarc_evaluate(in->rt->dmarc, &din, &in->dmarc);
	in->dmarc_ran = true;
}

void
am_inbound_eom(struct am_inbound *in, const struct am_inbound_env *env)
{
	am_inbound_eoh(in, env->msg);
	if (in->dkv != NULL) {
		am_dkim_verify_eom(in->dkv, &in->dkim);
		in->dkv = am_dkim_verify_free(in->dkv);
	}
	if (in->arcv != NULL) {
		am_arc_verify_eom(in->arcv, &in->arc);
		in->arcv = am_arc_verify_free(in->arcv);
		in->arc_ran = true;
	}
	if (env->client != NULL)
		run_spf(in, env);
	run_dmarc(in, env);
}

/* seal - the sealer the decision calls (results.h), once. */
static enum am_status
seal(void *arg, const char *authres, struct am_arc_seal_set *set,
    struct am_why *why)
{
	struct am_inbound *in = arg;

	if (in->is_sealed || in->msg == NULL) {
		am_why_set(why, "no message to seal");
		return AM_PERMFAIL;
	}
	in->is_sealed = true;
	return am_arc_seal_eom(in->seal, in->msg, in->arc.status, authres, set,
	    why);
}

/* am_inbound_results - the inbound fields of r (see the header). */
void
am_inbound_results(struct am_inbound *in, struct am_results *r)
{
	r->has_inbound = true;
	if (in->arc_ran)
		r->arc = &in->arc;
	r->has_list_headers = in->has_list_headers;
	if (in->seal != NULL) {
		r->seal = seal;
		r->seal_arg = in;
	}
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
