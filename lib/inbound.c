/*
 * inbound.c - verification of one inbound message: DKIM (RFC 6376, 8301,
 * 8463) through dkim_verify. The body is hashed as it streams and never
 * buffered; when the message carries no signature the body is not needed.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"
#include "inbound.h"

struct am_inbound {
	struct am_runtime *rt;		/* borrowed, pinned by the session */
	struct am_dkim_verify *dkv;	/* owned; NULL once finished */
	bool dkim_needs_body;		/* set at eoh */
	bool eoh_done;			/* am_inbound_eoh ran */
	struct am_dkim_results dkim;	/* owned results, after eom */
};

struct am_inbound *
am_inbound_new(struct am_runtime *rt, const char *jobid)
{
	struct am_inbound *in = am_xcalloc(1, sizeof(*in));

	in->rt = rt;
	in->dkv = am_dkim_verify_new(rt->dkim, jobid);
	return in;
}

struct am_inbound *
am_inbound_free(struct am_inbound *in)
{
	if (in == NULL)
		return NULL;
	in->dkv = am_dkim_verify_free(in->dkv);
	am_dkim_results_release(&in->dkim);
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

/* summarise_dkim - "dkim=pass:example.com,fail:other.example " */
static void
summarise_dkim(const struct am_dkim_results *r, struct am_buf *summary)
{
	size_t i;

	if (r->count == 0) {
		(void)am_buf_puts(summary, "dkim=none ");
		return;
	}
	(void)am_buf_puts(summary, "dkim=");
	for (i = 0; i < r->count; i++)
		(void)am_buf_printf(summary, "%s%s:%s", i ? "," : "",
		    am_dkim_result_name(r->sigs[i].result),
		    r->sigs[i].domain[0] ? r->sigs[i].domain : "?");
	(void)am_buf_putc(summary, ' ');
}

void
am_inbound_eom(struct am_inbound *in, struct am_authres *ar,
    struct am_buf *summary)
{
	am_inbound_eoh(in);
	if (in->dkv != NULL) {
		am_dkim_verify_eom(in->dkv, &in->dkim);
		in->dkv = am_dkim_verify_free(in->dkv);
	}
	am_dkim_results_add_authres(&in->dkim, ar);
	summarise_dkim(&in->dkim, summary);
}

const struct am_dkim_results *
am_inbound_dkim(const struct am_inbound *in)
{
	return &in->dkim;
}
