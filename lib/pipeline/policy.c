/*
 * policy.c - the configuration keys of the decision (decide.c), read once
 * per configuration snapshot. SigningDaemons is split into names here so
 * that deciding a message's mode is a few string compares.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/xalloc.h"
#include "pipeline/policy.h"

/* split_daemons - SigningDaemons ("A, b c") into owned names. */
static void
split_daemons(struct am_policy *p, const char *list)
{
	size_t n;

	while (*list != '\0') {
		list += strspn(list, ", \t");
		if ((n = strcspn(list, ", \t")) == 0)
			continue;
		p->signing_daemons = am_xreallocarray(p->signing_daemons,
		    p->nsigning_daemons + 1, sizeof(*p->signing_daemons));
		p->signing_daemons[p->nsigning_daemons++] = am_xmemdup(list, n);
		list += n;
	}
}

/* am_policy_new - the decision's view of cfg (see the header). */
struct am_policy *
am_policy_new(const struct am_config *cfg, struct am_why *why)
{
	struct am_policy *p;

	if (cfg == NULL)
		AM_PANIC("am_policy_new: NULL configuration");
	if (cfg->quarantine_action == AM_QUARANTINE_HEADER &&
	    strcasecmp(cfg->quarantine_header, "none") == 0) {
		am_why_set(why, "QuarantineAction header needs a "
		    "QuarantineHeader");
		return NULL;
	}
	p = am_xcalloc(1, sizeof(*p));
	p->cfg = cfg;
	p->authserv_id = cfg->authserv_id;
	p->internal_hosts = cfg->internal_hosts;
	split_daemons(p, cfg->signing_daemons);
	p->spf_fail = cfg->spf_fail_action;
	p->spf_temperror = cfg->spf_temperror_action;
	p->multiple_from = cfg->multiple_from_action;
	p->missing_from = cfg->missing_from_action;
	p->dmarc_temperror = cfg->dmarc_temperror_action;
	p->on_internal_error = cfg->on_internal_error;
	p->is_dmarc_enforced = cfg->dmarc_enforce;
	p->mailing_list = cfg->dmarc_mailing_list_action;
	p->has_arc_seal = cfg->arc_seal;
	p->quarantine = cfg->quarantine_action;
	p->quarantine_header = cfg->quarantine_header;
	p->has_received_spf = cfg->add_received_spf;
	p->tls_header = strcasecmp(cfg->tls_header, "none") == 0 ? NULL :
	    cfg->tls_header;
	return p;
}

/* am_policy_free - accepts NULL, returns NULL. */
struct am_policy *
am_policy_free(struct am_policy *p)
{
	size_t i;

	if (p == NULL)
		return NULL;
	for (i = 0; i < p->nsigning_daemons; i++)
		free(p->signing_daemons[i]);
	free(p->signing_daemons);
	free(p);
	return NULL;
}

/* am_policy_is_signing_daemon - name in SigningDaemons (any case)? */
bool
am_policy_is_signing_daemon(const struct am_policy *p, const char *name)
{
	size_t i;

	if (name == NULL || *name == '\0')
		return false;
	for (i = 0; i < p->nsigning_daemons; i++)
		if (strcasecmp(p->signing_daemons[i], name) == 0)
			return true;
	return false;
}
