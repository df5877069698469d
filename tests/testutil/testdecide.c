/*
 * testdecide.c - the DMARC part of a decision, for tests (testdecide.h).
 */
#include "autoconf.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

#include "pipeline/decide.h"
#include "testutil/testdecide.h"

/* am_test_dmarc_decide - see the header. */
void
am_test_dmarc_decide(const struct am_config *cfg,
    const struct am_dmarc_results *all, const struct am_addr *client,
    struct am_dmarc_result *res, struct am_test_dmarc_dec *dec)
{
	struct am_why why;
	struct am_policy *p = am_policy_new(cfg, &why);
	struct am_results r;
	struct am_verdict v;

	ck_assert_msg(p != NULL, "am_policy_new: %s", why.text);
	am_results_init(&r, AM_RESULTS_EOM);
	r.client = client;
	r.has_inbound = true;
	r.dmarc = all->author;
	r.ndmarc = all->n;
	am_verdict_init(&v);
	am_verdict_decide(p, &r, &v);
	ck_assert_ptr_nonnull(v.dmarc);
	*res = *v.dmarc;
	memset(dec, 0, sizeof(*dec));
	dec->action = v.dmarc_action;
	dec->quarantine = cfg->quarantine_action;
	if (v.disp == AM_DISP_QUARANTINE)
		memcpy(dec->quarantine_reason, v.quarantine,
		    sizeof(v.quarantine));
	/* a quarantine header goes above our A-R */
	if (dec->action == AM_ACTION_QUARANTINE &&
	    cfg->quarantine_action == AM_QUARANTINE_HEADER) {
		ck_assert_uint_eq(v.nins, 2);
		ck_assert(snprintf(dec->header_name, sizeof(dec->header_name),
		    "%s", v.ins[0].name) < (int)sizeof(dec->header_name));
		ck_assert(snprintf(dec->header_value,
		    sizeof(dec->header_value), "%s", v.ins[0].value) <
		    (int)sizeof(dec->header_value));
	}
	memcpy(dec->rcode, v.rcode, sizeof(v.rcode));
	memcpy(dec->xcode, v.xcode, sizeof(v.xcode));
	memcpy(dec->text, v.reply, sizeof(v.reply));
	am_verdict_release(&v);
	am_policy_free(p);
}
