/*
 * dmarc_impl.h - private to dmarc.c and dmarc_domain.c: the evaluator, the
 * result setter both use, and the one call from the message (dmarc.c) into
 * one author domain (dmarc_domain.c). Nothing else includes this file.
 */
#ifndef AM_DMARC_IMPL_H
#define AM_DMARC_IMPL_H

#include <stddef.h>
#include <stdio.h>

#include "dmarc/dmarc.h"

struct am_dmarc {
	struct am_dns *dns;		/* borrowed */
	const struct am_config *cfg;	/* borrowed */
	struct am_psl *psl;		/* owned; NULL with the tree walk */
	char **exempt;			/* owned: DMARCExemptDomains */
	size_t nexempt;
};

/* set_result - a temperror/permerror/none result with a reason (every
 * reason passed is an am_why text or shorter: it fits). */
static inline void
set_result(struct am_dmarc_result *res, enum am_dmarc_res r,
    const char *reason)
{
	res->result = r;
	AM_SNPRINTF_FIT(res->reason, sizeof(res->reason), "%s", reason);
}

/* am_dmarc_eval_domain - evaluate one author domain into res: policy
 * discovery, alignment, p=/sp=/np= and the overrides (dmarc_domain.c). */
void am_dmarc_eval_domain(const struct am_dmarc *dm,
    const struct am_dmarc_input *in, const char *author,
    struct am_dmarc_result *res);

#endif
