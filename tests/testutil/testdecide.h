/*
 * NAME        am_test_dmarc_decide - what the decision (lib/pipeline/decide.h)
 *             makes of one message's DMARC results, for the DMARC suite
 * SYNOPSIS    struct am_dmarc_results all; struct am_dmarc_result res;
 *             struct am_test_dmarc_dec dec;
 *             am_dmarc_evaluate(dm, &in, &all);
 *             am_test_dmarc_decide(cfg, &all, in.client, &res, &dec);
 * DESCRIPTION Builds the policy of cfg (borrowed), decides an inbound
 *             message whose only results are all (client: the client
 *             address, may be NULL) and returns the DMARC result the
 *             decision applied (the strictest author domain, DMARCEnforce
 *             applied) in res and the reaction in dec: the action, the
 *             QuarantineAction, the quarantine header (name and value) or the
 *             hold reason, and the reply of a reject or tempfail.
 * DIAGNOSTICS Check assertions: call it inside a test.
 */
#ifndef AM_TESTDECIDE_H
#define AM_TESTDECIDE_H

#include "config/config.h"
#include "core/netaddr.h"
#include "dmarc/dmarc.h"

struct am_test_dmarc_dec {
	enum am_action action;		/* the local reaction */
	enum am_quarantine_mode quarantine;	/* QuarantineAction */
	char header_name[80];		/* quarantine header: name */
	char header_value[256];		/* and value */
	char quarantine_reason[256];	/* hold: smfi_quarantine reason */
	char rcode[4];			/* reject, tempfail: the reply */
	char xcode[12];
	char text[512];
};

void am_test_dmarc_decide(const struct am_config *cfg,
    const struct am_dmarc_results *all, const struct am_addr *client,
    struct am_dmarc_result *res, struct am_test_dmarc_dec *dec);

#endif
