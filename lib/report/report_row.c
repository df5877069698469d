/*
 * report_row.c - map the checks' result structs onto the report store's row
 * (RFC 7489 Appendix C / RFC 9990 record fields). Pure data mapping.
 */
#include "autoconf.h"

#include <string.h>

#include "report/report_row.h"

#define MAX_SIGS 16	/* DKIM results per row (MaxSignatures is <= 1000) */

static enum am_report_disp
disp_of(enum am_dmarc_policy p)
{
	return p == AM_DMARC_POLICY_REJECT ? AM_REPORT_DISP_REJECT :
	    p == AM_DMARC_POLICY_QUARANTINE ? AM_REPORT_DISP_QUARANTINE :
	    AM_REPORT_DISP_NONE;
}

static enum am_report_result
dkim_result(enum am_dkim_result r)
{
	switch (r) {
	case AM_DKIM_PASS: return AM_REPORT_RES_PASS;
	case AM_DKIM_FAIL: return AM_REPORT_RES_FAIL;
	case AM_DKIM_NEUTRAL: return AM_REPORT_RES_NEUTRAL;
	case AM_DKIM_POLICY: return AM_REPORT_RES_POLICY;
	case AM_DKIM_TEMPERROR: return AM_REPORT_RES_TEMPERROR;
	case AM_DKIM_PERMERROR: return AM_REPORT_RES_PERMERROR;
	case AM_DKIM_NONE: break;
	}
	return AM_REPORT_RES_NONE;
}

static enum am_report_result
spf_result(enum am_spf_res r)
{
	switch (r) {
	case AM_SPF_PASS: return AM_REPORT_RES_PASS;
	case AM_SPF_FAIL: return AM_REPORT_RES_FAIL;
	case AM_SPF_SOFTFAIL: return AM_REPORT_RES_SOFTFAIL;
	case AM_SPF_NEUTRAL: return AM_REPORT_RES_NEUTRAL;
	case AM_SPF_TEMPERROR: return AM_REPORT_RES_TEMPERROR;
	case AM_SPF_PERMERROR: return AM_REPORT_RES_PERMERROR;
	case AM_SPF_NONE: break;
	}
	return AM_REPORT_RES_NONE;
}

static bool
reason_of(enum am_dmarc_override o, enum am_report_reason_type *t)
{
	switch (o) {
	case AM_DMARC_OVERRIDE_SAMPLED_OUT:
		*t = AM_REPORT_REASON_SAMPLED_OUT;
		return true;
	case AM_DMARC_OVERRIDE_LOCAL_POLICY:
		*t = AM_REPORT_REASON_LOCAL_POLICY;
		return true;
	case AM_DMARC_OVERRIDE_TRUSTED_FORWARDER:
		*t = AM_REPORT_REASON_TRUSTED_FORWARDER;
		return true;
	case AM_DMARC_OVERRIDE_MAILING_LIST:
		*t = AM_REPORT_REASON_MAILING_LIST;
		return true;
	case AM_DMARC_OVERRIDE_POLICY_TEST_MODE:
		*t = AM_REPORT_REASON_POLICY_TEST_MODE;
		return true;
	case AM_DMARC_OVERRIDE_NONE:
		break;
	}
	return false;
}

/* domain_of - the part after the last '@', or the whole string. */
static const char *
domain_of(const char *addr)
{
	const char *at = addr ? strrchr(addr, '@') : NULL;

	return at ? at + 1 : addr ? addr : "";
}

/* fill_policy - the record as published. */
static void
fill_policy(struct am_report_policy *p, const struct am_dmarc_record *rec)
{
	p->p = disp_of(rec->p);
	p->sp = rec->sp == AM_DMARC_POLICY_UNSPEC ? p->p : disp_of(rec->sp);
	p->has_np = rec->np != AM_DMARC_POLICY_UNSPEC;
	p->np = p->has_np ? disp_of(rec->np) : p->sp;
	p->pct = rec->pct;
	p->is_adkim_strict = rec->adkim == 's';
	p->is_aspf_strict = rec->aspf == 's';
	p->fo = rec->fo;
	p->is_testing = rec->is_testing;
}

/* fill_spf - both identities that were evaluated. */
static size_t
fill_spf(struct am_report_spf *out, const struct am_report_input *in)
{
	const struct am_spf_result *r[2] = { in->spf_mfrom, in->spf_helo };
	size_t i, n = 0;

	for (i = 0; i < 2; i++) {
		if (r[i] == NULL || !r[i]->is_checked)
			continue;
		out[n].domain = r[i]->domain;
		out[n].scope = r[i]->scope == AM_SPF_SCOPE_HELO ?
		    AM_REPORT_SCOPE_HELO : AM_REPORT_SCOPE_MFROM;
		out[n++].result = spf_result(r[i]->result);
	}
	return n;
}

void
am_report_row_enqueue(struct am_report_store *rs,
    const struct am_report_input *in)
{
	const struct am_dmarc_result *d = in->dmarc;
	struct am_report_dkim dkim[MAX_SIGS];
	struct am_report_spf spf[2];
	struct am_report_reason reason;
	struct am_report_row row;
	char rua[1024];
	size_t i, used = 0;

	if (rs == NULL || d == NULL || !d->has_record)
		return;
	memset(&row, 0, sizeof(row));
	row.time = in->time;
	row.source_ip = in->client_ip;
	row.header_from = d->header_from;
	row.envelope_from = in->envelope_from[0] ?
	    domain_of(in->envelope_from) : in->helo;
	row.envelope_to = in->envelope_to ? domain_of(in->envelope_to) : "";
	row.policy_domain = d->policy_domain;
	row.disposition = disp_of(d->disposition);
	row.is_dkim_pass = d->dkim_aligned;
	row.is_spf_pass = d->spf_aligned;
	if (reason_of(d->override, &reason.type)) {
		/* RFC 7489 App. C PolicyOverrideReason comment: what a local
		 * override relied on ("arc=pass as.d=..."), else none. */
		reason.comment = d->override_comment[0] != '\0' ?
		    d->override_comment : NULL;
		row.reasons = &reason;
		row.n_reasons = 1;
	}
	for (i = 0; in->dkim != NULL && i < in->dkim->count && i < MAX_SIGS;
	    i++) {
		dkim[i].domain = in->dkim->sigs[i].domain;
		dkim[i].selector = in->dkim->sigs[i].selector;
		dkim[i].result = dkim_result(in->dkim->sigs[i].result);
	}
	row.dkim = dkim;
	row.n_dkim = i;
	row.n_spf = fill_spf(spf, in);
	row.spf = spf;
	fill_policy(&row.policy, &d->rec);
	rua[0] = '\0';
	for (i = 0; i < d->rec.nrua && used < sizeof(rua); i++) {
		int n = snprintf(rua + used, sizeof(rua) - used, "%s%s",
		    i ? "," : "", d->rec.rua[i]);

		if (n < 0 || (size_t)n >= sizeof(rua) - used)
			break;
		used += (size_t)n;
	}
	row.rua = rua;
	am_report_store_enqueue(rs, &row);
}
