/*
 * inbound.c - verification of one inbound message: DKIM (RFC 6376, 8301,
 * 8463) through dkim_verify, ARC (RFC 8617 §5.2) through arc_verify, SPF
 * (RFC 7208) for MAIL FROM and HELO through spf, then DMARC (RFC 7489, RFC
 * 9989) over their results through dmarc, with the ARC set a trusted sealer
 * vouches for (arc_trust.h). With ARCSeal the ARC sealer (arc_seal.h)
 * hashes the body alongside and seals when the decision asks.
 * The body is hashed as it streams and never buffered; when the message
 * carries no signature the body is not needed. Results only: what to do
 * about them is lib/pipeline/decide.c's.
 *
 * DNS off the end-of-message path (issue 16): SPF runs on lib/spf's pool
 * from HELO and MAIL FROM (am_spf_job_*), the DKIM keys and the _dmarc
 * names are looked up from end of headers (dkim_verify.c, dns_prefetch.h),
 * so their round trips pass while the body streams; end of message collects
 * them. Nothing waits for DNS before end of message, and every wait there
 * is bounded by one budget of DNSTimeout that end of message starts
 * (dns_budget.h): the verdict comes within DNSTimeout (plus the CPU time of
 * the checks) of the end of DATA, however long the body took. A lookup
 * started early has its own DNSTimeout from when it starts (SPF: the whole
 * evaluation), which ends no later than that deadline.
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
#include "dns/dns_prefetch.h"
#include "pipeline/inbound.h"

#define RECEIVED_SPF_MAX 4096	/* bytes of the Received-SPF value */

struct am_inbound {
	struct am_runtime *rt;		/* borrowed, pinned by the session */
	struct am_dns_budget *budget;	/* owned: DNSTimeout for every
					 * lookup of the message, from eom */
	struct am_spf_job *spf_helo_job;	/* owned: HELO check started
						 * early, or NULL */
	struct am_spf_job *spf_mfrom_job;	/* owned: MAIL FROM check
						 * started early, or NULL */
	struct am_dns_prefetch *dmarc_pre;	/* owned: _dmarc lookups
						 * started at eoh, or NULL */
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
	in->spf_helo_job = am_spf_job_free(in->spf_helo_job);
	in->spf_mfrom_job = am_spf_job_free(in->spf_mfrom_job);
	in->dmarc_pre = am_dns_prefetch_free(in->dmarc_pre);
	am_dkim_results_release(&in->dkim);
	am_dmarc_results_release(&in->dmarc);
	free(in->received_spf);
	in->budget = am_dns_budget_free(in->budget);
	free(in);
	return NULL;
}

/* am_inbound_helo_start - the HELO check, started now (inbound.h). */
struct am_spf_job *
am_inbound_helo_start(struct am_runtime *rt, const struct am_addr *client,
    const char *helo)
{
	if (rt == NULL || client == NULL)
		AM_PANIC("am_inbound_helo_start: NULL argument");
	return am_spf_job_start(rt->spf, AM_SPF_SCOPE_HELO, client, helo, NULL,
	    (unsigned)rt->cfg->dns_timeout * 1000U);
}

/* am_inbound_mail - start SPF for the transaction (inbound.h). */
void
am_inbound_mail(struct am_inbound *in, const struct am_inbound_env *env,
    struct am_spf_job *helo_job)
{
	unsigned timeout_ms = (unsigned)in->rt->cfg->dns_timeout * 1000U;

	if (env->client == NULL) {
		(void)am_spf_job_free(helo_job);
		return;
	}
	if (helo_job != NULL && !am_spf_job_is(helo_job, AM_SPF_SCOPE_HELO,
	    env->client, env->helo, NULL))
		helo_job = am_spf_job_free(helo_job);
	in->spf_helo_job = helo_job != NULL ? helo_job :
	    am_inbound_helo_start(in->rt, env->client, env->helo);
	in->spf_mfrom_job = am_spf_job_start(in->rt->spf, AM_SPF_SCOPE_MFROM,
	    env->client, env->helo, env->sender, timeout_ms);
}

void
am_inbound_header(struct am_inbound *in, const char *name, const char *value,
    size_t len)
{
	if (!in->eoh_done)
		am_dkim_verify_header(in->dkv, name, value, len);
}

/* arc_eoh - ARC validation starts: the chain parsed, key lookups under
 * the message's DNS budget. Most mail has no ARC header: its result is
 * none without a verifier. */
static void
arc_eoh(struct am_inbound *in, const struct am_msg *msg)
{
	const struct am_config *cfg = in->rt->cfg;
	struct am_arc_verify_opts o;

	if (am_msg_find(msg, "ARC-Seal", 0) == NULL &&
	    am_msg_find(msg, "ARC-Message-Signature", 0) == NULL &&
	    am_msg_find(msg, "ARC-Authentication-Results", 0) == NULL) {
		memset(&in->arc, 0, sizeof(in->arc));	/* status none */
		in->arc_ran = true;
		return;
	}

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

/* am_inbound_prefetch - the _dmarc lookups, from end of headers. */
void
am_inbound_prefetch(struct am_inbound *in, const struct am_inbound_env *env)
{
	const char *ids[AM_INBOUND_PREFETCH_IDS + 1], *at;
	struct am_dmarc_input din;
	size_t n;

	if (in->dmarc_pre != NULL)
		return;
	n = in->dkv != NULL ? am_dkim_verify_domains(in->dkv, ids,
	    AM_INBOUND_PREFETCH_IDS) : 0;
	/* the SPF domain: MAIL FROM's, or the HELO name for the null sender */
	at = strrchr(env->sender, '@');
	ids[n++] = *env->sender != '\0' ? (at != NULL ? at + 1 :
	    env->sender) : env->helo;
	memset(&din, 0, sizeof(din));
	din.from = env->from;
	din.nfrom = env->nfrom;
	in->dmarc_pre = am_dns_prefetch_new(in->rt->dns);
	am_dmarc_prefetch(in->rt->dmarc, &din, ids, n, in->dmarc_pre);
}

/* jobs_match - both checks were started early for these inputs. */
static bool
jobs_match(const struct am_inbound *in, const struct am_inbound_env *env)
{
	return in->spf_helo_job != NULL && in->spf_mfrom_job != NULL &&
	    am_spf_job_is(in->spf_helo_job, AM_SPF_SCOPE_HELO, env->client,
	    env->helo, NULL) && am_spf_job_is(in->spf_mfrom_job,
	    AM_SPF_SCOPE_MFROM, env->client, env->helo, env->sender);
}

/* spf_results - both identities: the checks started early, or (none
 * started: no client at MAIL FROM, or a caller that never told us) run
 * now. */
static void
spf_results(struct am_inbound *in, const struct am_inbound_env *env)
{
	uint64_t deadline = am_dns_budget_deadline(in->budget);

	if (jobs_match(in, env)) {
		am_spf_job_finish(in->spf_helo_job, deadline, &in->spf_helo);
		am_spf_job_finish(in->spf_mfrom_job, deadline,
		    &in->spf_mfrom);
	} else
		am_spf_check(in->rt->spf, env->client, env->helo, env->sender,
		    deadline, &in->spf_mfrom, &in->spf_helo);
	in->spf_helo_job = am_spf_job_free(in->spf_helo_job);
	in->spf_mfrom_job = am_spf_job_free(in->spf_mfrom_job);
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

	spf_results(in, env);
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
	din.prefetch = in->dmarc_pre;
	am_dmarc_evaluate(in->rt->dmarc, &din, &in->dmarc);
	in->dmarc_ran = true;
	in->dmarc_pre = am_dns_prefetch_free(in->dmarc_pre);
}

void
am_inbound_eom(struct am_inbound *in, const struct am_inbound_env *env)
{
	/* The budget starts here, at the end of DATA: everything below waits
	 * against one deadline (see the top of the file). */
	(void)am_dns_budget_deadline(in->budget);
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

/* ---------------------------------------------------- failure reports */

/* release_runtime - the reference a queued failure report held. */
static void
release_runtime(void *rt)
{
	(void)am_runtime_unref(rt);
}

/* report_from - the envelope address reports come from: ReportFrom's
 * address part, else ReportEmail, else postmaster@AuthservID. */
static void
report_from(const struct am_config *cfg, struct am_buf *out)
{
	const char *f = cfg->report_from[0] != '\0' ? cfg->report_from :
	    cfg->report_email, *lt, *gt;

	if (f[0] == '\0') {
		(void)am_buf_printf(out, "postmaster@%s", cfg->authserv_id);
		return;
	}
	if ((lt = strrchr(f, '<')) != NULL && (gt = strchr(lt, '>')) != NULL)
		(void)am_buf_append(out, lt + 1, (size_t)(gt - lt - 1));
	else
		(void)am_buf_puts(out, f);
}

/* delivery - RFC 6650 Delivery-Result of a disposition. */
static const char *
delivery(enum am_disposition d)
{
	switch (d) {
	case AM_DISP_ACCEPT:
		return "delivered";
	case AM_DISP_QUARANTINE:
		return "policy";
	case AM_DISP_REJECT:
		return "reject";
	case AM_DISP_TEMPFAIL:
		break;
	}
	return "other";
}

/* fail_headers - the kept headers of the message, not those we delete;
 * owned array (free()), *n entries. */
static struct am_afrf_header *
fail_headers(const struct am_msg *m, size_t *n)
{
	struct am_afrf_header *h;
	const struct am_header *mh;
	size_t i, kept = am_msg_header_kept(m);

	h = am_xcalloc(kept ? kept : 1, sizeof(*h));
	for (i = 0, *n = 0; i < kept; i++) {
		mh = am_msg_header(m, i);
		if (mh->is_deleted)
			continue;
		h[*n].name = mh->name;
		h[*n].value = mh->value;
		h[(*n)++].len = mh->value_len;
	}
	return h;
}

/* am_inbound_failure_report - see the header. */
void
am_inbound_failure_report(struct am_inbound *in,
    const struct am_inbound_env *env, struct am_report_fail *q,
    const struct am_verdict *v)
{
	const struct am_config *cfg = in->rt->cfg;
	const struct am_dmarc_result *d = v->dmarc;
	struct am_report_fail_input fi;
	const struct am_dkim_sig *sig;
	const char *rufs[AM_DMARC_MAX_RUF], *ar = NULL;
	struct am_buf from;
	size_t i;

	memset(&fi, 0, sizeof(fi));
	if (q == NULL || !cfg->failure_reports || d == NULL ||
	    in->msg == NULL || (fi.afrf.auth_failure = am_report_fail_type(d,
	    &in->dkim, in->spf_ran ? &in->spf_mfrom : NULL, &sig)) == NULL)
		return;
	for (i = 0; i < v->nins && ar == NULL; i++)
		if (strcmp(v->ins[i].name, "Authentication-Results") == 0)
			ar = v->ins[i].value;
	am_buf_init(&from, 1024);
	report_from(cfg, &from);
	fi.afrf.from = am_buf_str(&from);
	fi.afrf.reporting_mta = cfg->authserv_id;
	fi.afrf.domain = d->header_from;
	fi.afrf.source_ip = env->client_ip;
	fi.afrf.mail_from = env->sender;
	fi.afrf.authres = ar != NULL ? ar : "none";
	fi.afrf.delivery = delivery(v->disp);
	fi.afrf.alignment = d->dkim_aligned && d->spf_aligned ? "dkim, spf" :
	    d->dkim_aligned ? "dkim" : d->spf_aligned ? "spf" : "none";
	fi.afrf.dkim_domain = sig != NULL ? sig->domain : NULL;
	fi.afrf.dkim_selector = sig != NULL ? sig->selector : NULL;
	fi.afrf.arrival = (int64_t)time(NULL);
	fi.afrf.is_redacted = cfg->failure_report_redact;
	fi.afrf.headers = fail_headers(in->msg, &fi.afrf.nheaders);
	fi.policy_domain = d->policy_domain;
	for (i = 0; i < d->rec.nruf; i++)
		rufs[i] = d->rec.ruf[i];
	fi.ruf = rufs;
	fi.nruf = d->rec.nruf;
	fi.dns = in->rt->dns;
	fi.release = release_runtime;
	fi.owner = am_runtime_ref(in->rt);
	fi.sendmail = cfg->report_sendmail;
	fi.smtp_server = cfg->report_smtp_server;
	fi.helo = cfg->authserv_id;
	fi.timeout_ms = (unsigned)cfg->dns_timeout * 1000U;
	fi.rate_per_hour = (unsigned)cfg->failure_report_rate;
	fi.now = fi.afrf.arrival;
	(void)am_report_fail_enqueue(q, &fi);
	free((void *)fi.afrf.headers);
	am_buf_release(&from);
}
