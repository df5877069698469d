/*
 * logline.c - the per-message summary line (contract in logline.h). Three
 * parts: the head (what the message was, bounded by the clipped fields),
 * the results (any length, cut to the room left), the outcome (always
 * whole), so a hostile message can neither hide the outcome nor make the
 * line unbounded. Appends past a buffer's cap fail whole and are dropped:
 * the results buffer is as long as the line, so a dropped piece is always
 * after the cut, which is marked.
 */
#include "autoconf.h"

#include <string.h>

#include "msg/msg.h"
#include "pipeline/logline.h"

#define SUMMARY_SIGS 10		/* DKIM results named in the line */

/* put_clipped - s as a field: at most AM_LOGLINE_FIELD_MAX - 1 bytes, a
 * cut marked "..." (client names, HELO, user and sender come from the
 * client). */
static void
put_clipped(struct am_buf *b, const char *s)
{
	if (strlen(s) < AM_LOGLINE_FIELD_MAX)
		(void)am_buf_puts(b, s);
	else
		(void)am_buf_printf(b, "%.*s...", AM_LOGLINE_FIELD_MAX - 4, s);
}

/* put_head - client, envelope, sizes, TLS, anomalies. */
static void
put_head(const struct am_logline *l, struct am_buf *b)
{
	const struct am_verdict *v = l->verdict;
	char anoms[128];

	(void)am_buf_puts(b, "client=");
	put_clipped(b, l->client_name);
	(void)am_buf_printf(b, "[%s] helo=", l->client_ip);
	put_clipped(b, l->helo);
	(void)am_buf_printf(b, " mode=%s", v->mode == AM_MODE_INBOUND ?
	    "inbound" : "outbound");
	if (l->auth_user != NULL) {
		(void)am_buf_puts(b, " auth=");
		put_clipped(b, l->auth_user);
	}
	(void)am_buf_puts(b, " from=<");
	put_clipped(b, l->sender);
	(void)am_buf_printf(b, "> rcpts=%zu headers=%zu body=%llu "
	    "removed=%zu tls=%s%s%s ", l->rcpts, l->headers, l->body_bytes,
	    v->ndel, am_tls_mode_name(l->tls->mode),
	    l->tls->version[0] ? "/" : "", l->tls->version);
	if (l->anomalies || v->ar_dropped)
		(void)am_buf_printf(b, "anomalies=%s%s%s ", l->anomalies ?
		    am_msg_anomaly_names(l->anomalies, anoms, sizeof(anoms)) :
		    "", l->anomalies && v->ar_dropped ? "," : "",
		    v->ar_dropped ? "authres-truncated" : "");
}

/* put_spf - "spf=softfail spf-helo=none " */
static void
put_spf(const struct am_results *r, struct am_buf *b)
{
	if (r->spf_mfrom == NULL || r->spf_helo == NULL) {
		(void)am_buf_puts(b, "spf=skipped ");
		return;
	}
	(void)am_buf_printf(b, "spf=%s spf-helo=%s ", r->spf_mfrom->is_checked ?
	    am_spf_result_name(r->spf_mfrom->result) : "-",
	    r->spf_helo->is_checked ?
	    am_spf_result_name(r->spf_helo->result) : "-");
}

/* put_dkim - "dkim=pass:example.com,fail:other.example "; past
 * SUMMARY_SIGS signatures only their number ("...,+490"). */
static void
put_dkim(const struct am_dkim_results *d, struct am_buf *b)
{
	size_t i;

	if (d == NULL || d->count == 0) {
		(void)am_buf_puts(b, "dkim=none ");
		return;
	}
	(void)am_buf_puts(b, "dkim=");
	for (i = 0; i < d->count && i < SUMMARY_SIGS; i++)
		(void)am_buf_printf(b, "%s%s:%.64s", i ? "," : "",
		    am_dkim_result_name(d->sigs[i].result),
		    d->sigs[i].domain[0] ? d->sigs[i].domain : "?");
	if (d->count > SUMMARY_SIGS)
		(void)am_buf_printf(b, ",+%zu", d->count - SUMMARY_SIGS);
	(void)am_buf_putc(b, ' ');
}

/* put_arc - "arc=pass(i=2) " for a message with ARC headers. */
static void
put_arc(const struct am_arc_result *a, struct am_buf *b)
{
	if (a == NULL || a->status == AM_ARC_NONE)
		return;
	(void)am_buf_printf(b, "arc=%s", am_arc_status_name(a->status));
	if (a->count > 0)
		(void)am_buf_printf(b, "(i=%u)", a->count);
	(void)am_buf_putc(b, ' ');
}

/* put_dmarc - "dmarc=fail(example.com p=reject dis=reject) ", with
 * " override=R" inside when one lowered the disposition. */
static void
put_dmarc(const struct am_dmarc_result *d, struct am_buf *b)
{
	bool ov = d != NULL && d->override != AM_DMARC_OVERRIDE_NONE;

	if (d == NULL)
		return;
	(void)am_buf_printf(b, "dmarc=%s(%s%s%s%s%s%s%s) ",
	    am_dmarc_result_name(d->result),
	    d->header_from[0] ? d->header_from : "-",
	    d->has_record ? " p=" : "",
	    d->has_record ? am_dmarc_policy_name(d->policy) : "",
	    d->has_record ? " dis=" : "",
	    d->has_record ? am_dmarc_policy_name(d->disposition) : "",
	    ov ? " override=" : "", ov ? am_dmarc_override_name(d->override) :
	    "");
}

/* put_arc_seal - "arc-seal=i=N " or "arc-seal=no(WHY) " with ARCSeal. */
static void
put_arc_seal(const struct am_verdict *v, struct am_buf *b)
{
	if (v->arc_sealed > 0)
		(void)am_buf_printf(b, "arc-seal=i=%u ", v->arc_sealed);
	else if (v->arc_seal_note[0] != '\0')
		(void)am_buf_printf(b, "arc-seal=no(%s) ", v->arc_seal_note);
}

/* put_sign - what the signer did. */
static void
put_sign(const struct am_results *r, const struct am_verdict *v,
    struct am_buf *b)
{
	const char *why = r->sign_why != NULL ? r->sign_why : "";
	size_t i;

	switch (r->sign) {
	case AM_SIGN_NOT_RUN:
		return;
	case AM_SIGN_NOTHING:
		(void)am_buf_printf(b, "dkim-sign=none(%s) ", why[0] ? why :
		    "no author");
		return;
	case AM_SIGN_FAILED:
		(void)am_buf_printf(b, "dkim-sign=error(%s) ", why);
		if (v->errors & AM_VERDICT_ERR_SIGN)
			(void)am_buf_puts(b, "internal-error=\"DKIM signing "
			    "failed\" ");
		return;
	case AM_SIGN_DONE:
		break;
	}
	if (r->sign_note != NULL && r->sign_note[0] != '\0')
		(void)am_buf_printf(b, "dkim-sign-existing=%s ", r->sign_note);
	(void)am_buf_puts(b, "dkim-sign=");
	for (i = 0; i < r->nsigs; i++)
		(void)am_buf_printf(b, "%s%s/%s", i ? "," : "",
		    r->sigs[i].domain, r->sigs[i].selector);
	(void)am_buf_putc(b, ' ');
}

/* put_results - the results and the decision's notes, in message order. */
static void
put_results(const struct am_logline *l, struct am_buf *b)
{
	const struct am_results *r = l->results;
	const struct am_verdict *v = l->verdict;

	if (r == NULL) {
		(void)am_buf_printf(b, "stage=%s reason=\"%s\" ", l->stage,
		    l->why);
		return;
	}
	if (r->tls_policy != AM_TLS_POLICY_OK)
		(void)am_buf_printf(b, "tls-policy=%s reason=\"%s\" ",
		    am_tls_policy_action_name(r->tls_policy),
		    r->tls_policy_why != NULL ? r->tls_policy_why : "");
	if (r->has_inbound) {
		put_spf(r, b);
		put_dkim(r->dkim, b);
		put_arc(r->arc, b);
		put_dmarc(v->dmarc, b);
		put_arc_seal(v, b);
	}
	if (v->errors & AM_VERDICT_ERR_AUTHRES)
		(void)am_buf_puts(b, "internal-error=\"Authentication-Results "
		    "too long\" ");
	if (v->ar_dropped > 0)
		(void)am_buf_printf(b, "authres-dropped=%zu ", v->ar_dropped);
	put_sign(r, v, b);
	if (v->errors & AM_VERDICT_ERR_TLS_HEADER)
		(void)am_buf_puts(b, "internal-error=\"TLS header too long\" ");
}

/* am_logline_format - the line into out (see the header). */
void
am_logline_format(const struct am_logline *l, struct am_buf *out)
{
	const struct am_verdict *v = l->verdict;
	size_t max = out->max_len, room, i;
	struct am_buf head, mid, tail;

	am_buf_init(&head, max / 2);
	am_buf_init(&mid, max);
	am_buf_init(&tail, max / 2);
	if (v->disp == AM_DISP_REJECT || v->disp == AM_DISP_TEMPFAIL)
		(void)am_buf_printf(&tail, "reply=\"%s %s %s\" ", v->rcode,
		    v->xcode, v->reply);
	(void)am_buf_printf(&tail, "action=%s elapsed=%ldms",
	    l->results == NULL ? "aborted" : am_disposition_name(v->disp),
	    l->elapsed_ms);
	put_head(l, &head);
	put_results(l, &mid);
	am_buf_reset(out);
	(void)am_buf_append(out, head.data, head.len);
	room = max - tail.len - head.len;	/* head, tail <= max / 2 */
	if (mid.len <= room)
		(void)am_buf_append(out, mid.data, mid.len);
	else if (room > 4)
		(void)am_buf_printf(out, "%.*s... ", (int)(room - 4), mid.data);
	(void)am_buf_append(out, tail.data, tail.len);
	/* One line: a CR or LF from the client (HELO, host name, sender,
	 * d=) must not start a forged one in LogFile (fuzz_session). */
	for (i = 0; i < out->len; i++)
		if ((unsigned char)out->data[i] < 0x20 || out->data[i] == 0x7f)
			out->data[i] = '?';
	am_buf_release(&head);
	am_buf_release(&mid);
	am_buf_release(&tail);
}
