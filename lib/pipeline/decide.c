/*
 * decide.c - every local decision about a message (contract in decide.h):
 * the mode, the configured actions and their SMTP replies, and the header
 * plan. Reply codes: RFC 3463 enhanced codes; RFC 7372 §3.2 for SPF
 * (X.7.23 validation failed, X.7.24 validation error); 5.7.1 for a DMARC
 * reject (RFC 7489 §6.7 leaves it to the receiver; 5.7.1 is what receivers
 * use); 530 5.7.0 for RequireTLS as Postfix words it (RFC 3207 §4); 4.3.0
 * for our own failure (RFC 3463: other or undefined mail system status).
 */
#include "autoconf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "pipeline/decide.h"

#define AR_MAX_BYTES 16384	/* our Authentication-Results value: entries
				 * past it are dropped (am_results_authres) */
#define TLS_HDR_MAX_BYTES 4096	/* our TLS trace header value */
#define TEXT_MAX 512		/* = sizeof(struct am_verdict.reply) */

/* What one DMARC result asks of us. */
struct dmarc_act {
	enum am_action action;	/* ACCEPT, QUARANTINE, REJECT or TEMPFAIL */
	char text[256];		/* reply text, quarantine reason, or the
				 * quarantine header's value */
};

/* am_verdict_mode - outbound: authenticated, a signing daemon, or
 * internal. */
enum am_mode
am_verdict_mode(const struct am_policy *p, const struct am_results *r)
{
	if (r->auth_user != NULL)
		return AM_MODE_OUTBOUND;
	if (r->daemon_name != NULL &&
	    am_policy_is_signing_daemon(p, r->daemon_name))
		return AM_MODE_OUTBOUND;
	if (r->client != NULL && p->internal_hosts != NULL &&
	    am_netset_contains(p->internal_hosts, r->client))
		return AM_MODE_OUTBOUND;
	return AM_MODE_INBOUND;
}

/* format - a reply text that must fit (every argument is bounded). */
static void
format(char *buf, size_t size, const char *fmt, ...) AM_FMT(3, 4);

static void
format(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size)
		AM_PANIC("decide: reply text over %zu bytes", size);
}

/* decide_mail - RequireTLS at MAIL FROM. */
static void
decide_mail(const struct am_results *r, struct am_verdict *v)
{
	const char *why = r->tls_policy_why ? r->tls_policy_why : "";

	switch (r->tls_policy) {
	case AM_TLS_POLICY_REJECT:
		am_verdict_set(v, AM_DISP_REJECT, "530", "5.7.0", why);
		break;
	case AM_TLS_POLICY_TEMPFAIL:
		am_verdict_set(v, AM_DISP_TEMPFAIL, "450", "4.7.0", why);
		break;
	case AM_TLS_POLICY_OK:
	case AM_TLS_POLICY_TAG:
		break;
	}
}

/* spf_action - SPFFailAction, then SPFTempErrorAction. */
static void
spf_action(const struct am_policy *p, const struct am_results *r,
    struct am_verdict *v)
{
	const struct am_spf_result *m = r->spf_mfrom, *h = r->spf_helo;
	const struct am_spf_result *fail = NULL;
	char text[TEXT_MAX];

	if (m == NULL || v->disp != AM_DISP_ACCEPT)
		return;
	if (m->result == AM_SPF_FAIL && m->is_checked)
		fail = m;
	else if (h != NULL && h->result == AM_SPF_FAIL && h->is_checked)
		fail = h;
	if (fail != NULL && p->spf_fail != AM_ACTION_ACCEPT) {
		if (fail->explanation[0] != '\0')
			format(text, sizeof(text), "%s", fail->explanation);
		else
			format(text, sizeof(text), "SPF: this host is not "
			    "allowed to send mail for %s", fail->domain);
		if (p->spf_fail == AM_ACTION_TEMPFAIL)
			am_verdict_set(v, AM_DISP_TEMPFAIL, "451", "4.7.23",
			    text);
		else
			am_verdict_set(v, AM_DISP_REJECT, "550", "5.7.23",
			    text);
		return;
	}
	if (m->result == AM_SPF_TEMPERROR &&
	    p->spf_temperror == AM_ACTION_TEMPFAIL)
		am_verdict_set(v, AM_DISP_TEMPFAIL, "451", "4.7.24",
		    "SPF: temporary DNS error, try again later");
}

/* dmarc_apply - our disposition for a failing message (RFC 7489 §6.7
 * local policy): a trusted ARC sealer vouches (RFC 8617 §7.2), else
 * DMARCEnforce no, else DMARCMailingListAction. An override already made
 * by the evaluator (trusted forwarder, exemption, t=, pct=) left nothing
 * to lower. */
static void
dmarc_apply(const struct am_policy *p, const struct am_results *r,
    struct am_dmarc_result *res)
{
	if (res->result != AM_DMARC_FAIL ||
	    res->disposition <= AM_DMARC_POLICY_NONE)
		return;
	if (res->has_arc_pass) {
		res->disposition = AM_DMARC_POLICY_NONE;
		res->override = AM_DMARC_OVERRIDE_LOCAL_POLICY;
		format(res->override_comment, sizeof(res->override_comment),
		    "%s", res->arc_note);
	} else if (!p->is_dmarc_enforced) {
		res->disposition = AM_DMARC_POLICY_NONE;
		res->override = AM_DMARC_OVERRIDE_LOCAL_POLICY;
	} else if (res->disposition == AM_DMARC_POLICY_REJECT &&
	    p->mailing_list == AM_ACTION_QUARANTINE && r->has_list_headers &&
	    res->has_broken_dkim) {
		res->disposition = AM_DMARC_POLICY_QUARANTINE;
		res->override = AM_DMARC_OVERRIDE_MAILING_LIST;
		format(res->override_comment, sizeof(res->override_comment),
		    "mailing list: %s", res->broken_dkim);
	}
}

/* dmarc_act - what one (applied) result asks of us. */
static void
dmarc_act(const struct am_policy *p, const struct am_dmarc_result *res,
    struct dmarc_act *a)
{
	a->action = AM_ACTION_ACCEPT;
	a->text[0] = '\0';
	if (res->is_multiple_from) {
		a->action = p->multiple_from;
		format(a->text, sizeof(a->text), "multiple From headers");
	} else if (res->is_missing_from) {
		a->action = p->missing_from;
		format(a->text, sizeof(a->text), "no valid From header");
	} else if (res->result == AM_DMARC_TEMPERROR) {
		a->action = p->dmarc_temperror;
		format(a->text, sizeof(a->text), "DMARC policy of %.180s could "
		    "not be retrieved, try again later", res->header_from);
	} else if (res->result == AM_DMARC_FAIL &&
	    res->disposition == AM_DMARC_POLICY_REJECT) {
		a->action = AM_ACTION_REJECT;
		format(a->text, sizeof(a->text), "Message rejected by the "
		    "DMARC policy of %.200s", res->header_from);
	} else if (res->result == AM_DMARC_FAIL &&
	    res->disposition == AM_DMARC_POLICY_QUARANTINE) {
		a->action = AM_ACTION_QUARANTINE;
		format(a->text, sizeof(a->text), "DMARC policy of %.200s",
		    res->header_from);
	}
}

/* dmarc_rank - how strict an outcome is (higher wins). */
static int
dmarc_rank(const struct am_dmarc_result *res, enum am_action a)
{
	static const int action_rank[] = {
		[AM_ACTION_ACCEPT] = 0, [AM_ACTION_QUARANTINE] = 1,
		[AM_ACTION_TEMPFAIL] = 2, [AM_ACTION_REJECT] = 3,
	};
	static const int res_rank[] = {
		[AM_DMARC_PASS] = 0, [AM_DMARC_NONE] = 1,
		[AM_DMARC_TEMPERROR] = 2, [AM_DMARC_FAIL] = 3,
		[AM_DMARC_PERMERROR] = 4,
	};

	return action_rank[a] * 10 + res_rank[res->result];
}

/* dmarc_pick - the strictest author domain, applied, into v->dmarc, and
 * what it asks of us into a. */
static void
dmarc_pick(const struct am_policy *p, const struct am_results *r,
    struct am_verdict *v, struct dmarc_act *a)
{
	struct am_dmarc_result *res;
	struct dmarc_act cur;
	size_t i;

	a->action = AM_ACTION_ACCEPT;
	a->text[0] = '\0';
	if (r->ndmarc == 0)
		return;
	res = am_xmalloc(sizeof(*res));
	v->dmarc = am_xmalloc(sizeof(*v->dmarc));
	for (i = 0; i < r->ndmarc; i++) {
		*res = r->dmarc[i];
		dmarc_apply(p, r, res);
		dmarc_act(p, res, &cur);
		/* The strictest outcome wins; the first on a tie. */
		if (i == 0 || dmarc_rank(res, cur.action) >
		    dmarc_rank(v->dmarc, a->action)) {
			*v->dmarc = *res;
			*a = cur;
		}
	}
	free(res);
	v->dmarc_action = a->action;
}

/* dmarc_action - the reaction into v, while v still accepts. */
static void
dmarc_action(const struct am_policy *p, const struct dmarc_act *a,
    struct am_verdict *v)
{
	if (v->disp != AM_DISP_ACCEPT)
		return;
	switch (a->action) {
	case AM_ACTION_REJECT:
		am_verdict_set(v, AM_DISP_REJECT, "550", "5.7.1", a->text);
		break;
	case AM_ACTION_TEMPFAIL:
		am_verdict_set(v, AM_DISP_TEMPFAIL, "451", "4.7.1", a->text);
		break;
	case AM_ACTION_QUARANTINE:
		if (p->quarantine == AM_QUARANTINE_HEADER) {
			am_verdict_insert(v, p->quarantine_header, a->text);
			break;
		}
		am_verdict_set(v, AM_DISP_QUARANTINE, "", "", "");
		format(v->quarantine, sizeof(v->quarantine), "%s", a->text);
		break;
	case AM_ACTION_ACCEPT:
		break;
	}
}

/* internal_error - OnInternalError for one of our own failures. */
static void
internal_error(const struct am_policy *p, struct am_verdict *v,
    enum am_verdict_error e)
{
	v->errors |= (unsigned)e;
	if (p->on_internal_error == AM_ACTION_TEMPFAIL)
		am_verdict_set(v, AM_DISP_TEMPFAIL, "451", "4.3.0",
		    "authmilter: temporary local problem, try again later");
}

/* add_arc_set - ARCSeal: the ARC set of an accepted inbound message,
 * recording authres, inserted above it (RFC 8617 §5.1). */
static void
add_arc_set(const struct am_policy *p, const struct am_results *r,
    struct am_verdict *v, const char *authres)
{
	struct am_arc_seal_set set;
	struct am_why why;

	if (!p->has_arc_seal || r->seal == NULL ||
	    (v->disp != AM_DISP_ACCEPT && v->disp != AM_DISP_QUARANTINE))
		return;
	if (r->arc != NULL && r->arc->is_temperror) {
		/* cv=fail would end the chain for good over a DNS failure */
		(void)am_snprintf_cut(v->arc_seal_note,
		    sizeof(v->arc_seal_note), "ARC validation temperror: %s",
		    r->arc->reason);
		return;
	}
	memset(&set, 0, sizeof(set));
	if (r->seal(r->seal_arg, authres, &set, &why) != AM_OK) {
		(void)am_snprintf_cut(v->arc_seal_note,
		    sizeof(v->arc_seal_note), "%s", why.text);
		return;
	}
	am_verdict_insert(v, "ARC-Seal", set.as);
	am_verdict_insert(v, "ARC-Message-Signature", set.ams);
	am_verdict_insert(v, "ARC-Authentication-Results", set.aar);
	v->arc_sealed = set.instance;
	am_arc_seal_set_release(&set);
}

/* add_authres - our Authentication-Results (inbound), below our ARC set. */
static void
add_authres(const struct am_policy *p, const struct am_results *r,
    struct am_verdict *v)
{
	struct am_buf out;

	am_buf_init(&out, AR_MAX_BYTES);
	if (am_results_authres(r, p->authserv_id, v->dmarc, &out,
	    &v->ar_dropped) == AM_OK) {
		add_arc_set(p, r, v, am_buf_str(&out));
		am_verdict_insert(v, "Authentication-Results",
		    am_buf_str(&out));
	} else
		internal_error(p, v, AM_VERDICT_ERR_AUTHRES);
	am_buf_release(&out);
}

/* add_signatures - the signer's DKIM-Signature headers (outbound). */
static void
add_signatures(const struct am_policy *p, const struct am_results *r,
    struct am_verdict *v)
{
	size_t i;

	if (r->sign == AM_SIGN_FAILED) {
		internal_error(p, v, AM_VERDICT_ERR_SIGN);
		return;
	}
	if (r->sign != AM_SIGN_DONE)
		return;
	for (i = 0; i < r->nsigs; i++)
		am_verdict_insert(v, "DKIM-Signature", r->sigs[i].value);
}

/* add_tls_header - the TLS trace header (TLSHeader, unless none). */
static void
add_tls_header(const struct am_policy *p, const struct am_results *r,
    struct am_verdict *v)
{
	struct am_buf out;

	if (p->tls_header == NULL || r->tls == NULL)
		return;
	am_buf_init(&out, TLS_HDR_MAX_BYTES);
	if (am_tls_format_header(r->tls, p->authserv_id,
	    r->tls_policy == AM_TLS_POLICY_TAG, &out) == AM_OK)
		am_verdict_insert(v, p->tls_header, am_buf_str(&out));
	else
		internal_error(p, v, AM_VERDICT_ERR_TLS_HEADER);
	am_buf_release(&out);
}

/* decide_eom - everything for a whole message (see the header). */
static void
decide_eom(const struct am_policy *p, const struct am_results *r,
    struct am_verdict *v)
{
	struct dmarc_act dmarc;
	size_t i;

	for (i = 0; i < r->nforged; i++)
		am_verdict_delete(v, r->forged[i].name, r->forged[i].n);
	if (v->mode == AM_MODE_INBOUND) {
		dmarc_pick(p, r, v, &dmarc);
		spf_action(p, r, v);
		dmarc_action(p, &dmarc, v);
		add_authres(p, r, v);
		if (r->received_spf != NULL && p->has_received_spf)
			am_verdict_insert(v, "Received-SPF", r->received_spf);
	}
	add_signatures(p, r, v);
	add_tls_header(p, r, v);
	am_verdict_finish(v);
}

/* am_verdict_decide - the verdict for r under p (see the header). */
void
am_verdict_decide(const struct am_policy *p, const struct am_results *r,
    struct am_verdict *v)
{
	if (p == NULL || r == NULL || v == NULL)
		AM_PANIC("am_verdict_decide: NULL argument");
	am_verdict_release(v);	/* a verdict of MAIL FROM is replaced */
	v->mode = am_verdict_mode(p, r);
	v->dmarc_action = AM_ACTION_ACCEPT;
	am_verdict_set(v, AM_DISP_ACCEPT, "", "", "");
	switch (r->stage) {
	case AM_RESULTS_MAIL:
		decide_mail(r, v);
		break;
	case AM_RESULTS_EOM:
		decide_eom(p, r, v);
		break;
	default:
		AM_PANIC("am_verdict_decide: bad stage %d", (int)r->stage);
	}
	am_verdict_plan(v, r->has_leadspc);
}
