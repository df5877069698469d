/*
 * results.c - the evaluators' results of one transaction, and our
 * Authentication-Results value built from them (RFC 8601 §2.2: one header,
 * one resinfo per method result; RFC 7489 §11.2 for the DMARC entry). When
 * the value would pass its cap, DKIM entries go first (am_authres_format_fit):
 * a message can carry any number of signatures, the other methods one each.
 */
#include "autoconf.h"

#include <string.h>

#include "msg/authres.h"
#include "pipeline/results.h"

/* am_results_init - an empty set of results for stage. */
void
am_results_init(struct am_results *r, enum am_results_stage stage)
{
	memset(r, 0, sizeof(*r));
	r->stage = stage;
	r->tls_policy = AM_TLS_POLICY_OK;
}

/* am_results_authres - our A-R value (see the header). */
enum am_status
am_results_authres(const struct am_results *r, const char *authserv_id,
    const struct am_dmarc_result *dmarc, struct am_buf *out, size_t *dropped)
{
	struct am_authres *ar = am_authres_new(authserv_id);
	char ip[AM_ADDR_STRLEN];
	enum am_status st;

	if (r->spf_mfrom != NULL)
		am_spf_add_authres(r->spf_mfrom, ar);
	if (r->spf_helo != NULL)
		am_spf_add_authres(r->spf_helo, ar);
	if (r->dkim != NULL)
		am_dkim_results_add_authres(r->dkim, ar);
	if (r->arc != NULL)
		am_arc_result_add_authres(r->arc, r->client != NULL ?
		    am_addr_format(r->client, ip, sizeof(ip)) : NULL, ar);
	if (dmarc != NULL)
		am_dmarc_add_authres(dmarc, ar);
	if (r->tls != NULL)
		am_tls_add_authres(r->tls, ar);
	st = am_authres_format_fit(ar, "dkim", out, dropped);
	ar = am_authres_free(ar);
	return st;
}
