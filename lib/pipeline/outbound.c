/*
 * outbound.c - DKIM signing of one outbound message (RFC 6376 §5, RFC 8463
 * dual RSA + Ed25519 signatures). Keys come from the runtime's key store,
 * loaded once per configuration; nothing is read from disk per message.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dkim/dkim_sign.h"
#include "msg/from.h"
#include "core/xalloc.h"
#include "pipeline/outbound.h"

struct am_outbound {
	struct am_runtime *rt;		/* borrowed, pinned by the session */
	char *jobid;			/* owned */
	struct am_dkim_sign *sign;	/* owned; NULL until eoh */
	bool has_keys;			/* sign has at least one key */
	enum am_sign_status status;	/* after eom */
	struct am_results_sig *sigs;	/* owned array (values borrowed from
					 * sign), DONE */
	size_t nsigs;			/* entries in sigs */
	char why[256];			/* why nothing was signed, or why
					 * signing failed; "" */
};

struct am_outbound *
am_outbound_new(struct am_runtime *rt, const char *jobid)
{
	struct am_outbound *out = am_xcalloc(1, sizeof(*out));

	out->rt = rt;
	out->jobid = am_xstrdup(jobid);
	return out;
}

struct am_outbound *
am_outbound_free(struct am_outbound *out)
{
	if (out == NULL)
		return NULL;
	free(out->sigs);
	out->sign = am_dkim_sign_free(out->sign);
	free(out->jobid);
	free(out);
	return NULL;
}

/* author - local part and domain of the first From mailbox. */
static struct am_from *
author(struct am_outbound *out, const struct am_msg *msg)
{
	const struct am_header *h = am_msg_find(msg, "From", 0);
	struct am_from *from = NULL;
	struct am_why why;

	if (h == NULL) {
		AM_SNPRINTF_FIT(out->why, sizeof(out->why), "no From header");
		return NULL;
	}
	if (am_from_parse(h->value, h->value_len, &from, &why) != AM_OK ||
	    from->n == 0) {
		AM_SNPRINTF_FIT(out->why, sizeof(out->why), "unusable From: %.100s",
		    from == NULL ? why.text : "no mailbox");
		return am_from_free(from);
	}
	return from;
}

void
am_outbound_eoh(struct am_outbound *out, const struct am_msg *msg)
{
	const struct am_header *h;
	struct am_from *from;
	size_t i;

	if (out->sign != NULL || (from = author(out, msg)) == NULL)
		return;
	out->sign = am_dkim_sign_new(out->rt->signer, out->jobid,
	    from->mbox[0].local, from->mbox[0].domain);
	out->has_keys = am_dkim_sign_keys(out->sign) > 0;
	if (!out->has_keys)
		AM_SNPRINTF_FIT(out->why, sizeof(out->why), "no key for %.100s",
		    from->mbox[0].domain);
	from = am_from_free(from);
	if (!out->has_keys)
		return;
	for (i = 0; (h = am_msg_header(msg, i)) != NULL; i++)
		if (!h->is_deleted)
			am_dkim_sign_header(out->sign, h->name, h->value,
			    h->value_len);
	am_dkim_sign_eoh(out->sign);
}

bool
am_outbound_body(struct am_outbound *out, const void *p, size_t len)
{
	if (!out->has_keys)
		return false;
	am_dkim_sign_body(out->sign, p, len);
	return true;
}

/* am_outbound_eom - finish the signatures. */
void
am_outbound_eom(struct am_outbound *out)
{
	struct am_why why;
	size_t i;

	if (!out->has_keys) {
		out->status = AM_SIGN_NOTHING;
		return;
	}
	if (am_dkim_sign_eom(out->sign, &why) != AM_OK) {
		out->status = AM_SIGN_FAILED;
		AM_SNPRINTF_FIT(out->why, sizeof(out->why), "%s", why.text);
		return;
	}
	out->status = AM_SIGN_DONE;
	out->nsigs = am_dkim_sign_count(out->sign);
	out->sigs = am_xcalloc(out->nsigs ? out->nsigs : 1,
	    sizeof(*out->sigs));
	for (i = 0; i < out->nsigs; i++) {
		out->sigs[i].value = am_dkim_sign_value(out->sign, i);
		out->sigs[i].domain = am_dkim_sign_domain(out->sign, i);
		out->sigs[i].selector = am_dkim_sign_selector(out->sign, i);
	}
}

/* am_outbound_results - the outbound fields of r (see the header). */
void
am_outbound_results(const struct am_outbound *out, struct am_results *r)
{
	r->sign = out->status;
	r->sign_why = out->why;
	r->sign_note = out->sign != NULL && out->status == AM_SIGN_DONE ?
	    am_dkim_sign_note(out->sign) : "";
	r->sigs = out->sigs;
	r->nsigs = out->nsigs;
}
