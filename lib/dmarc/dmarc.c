/*
 * dmarc.c - DMARC evaluation of one message (contract in dmarc.h): the
 * evaluator, the From header (RFC 7489 §6.6.1), one evaluation per distinct
 * author domain (dmarc_domain.c; which of them applies, and what we do
 * about it, is lib/pipeline/decide.c's) and the A-R entry (RFC 7489 §11.2,
 * RFC 8601).
 *
 * What libopendmarc 1.4.2 gets wrong is done by us instead (LIBRARY-NOTES
 * §4, PITFALLS "From header and DMARC"): the From header is parsed by
 * lib/from (several headers or mailboxes are never collapsed to one),
 * records are found through our resolver (v=DMARC1 first, one record per
 * name: orgdomain.c), the record is validated by our own tag parser
 * (dmarc_record.c: no v= is no record; p= must be a whole word; a
 * non-numeric pct is 100, not 0; rf= is ignored so it cannot turn aspf
 * strict), alignment is ours (dmarc_domain.c: strict = identical, which the
 * library gets wrong for adkim=s), pct= sampling is applied and reported.
 * The library parses the canonical record we rebuild from validated values
 * (opendmarc_policy_store_dmarc, getters), so its parser bugs cannot reach
 * a result. Record rules: RFC 9989 §4.7 (tags), §4.8 (ABNF), §4.10.1
 * (discovery, invalid p with rua = p=none), RFC 6376 §3.2 (duplicate tags
 * invalidate a tag-list).
 */
#include "autoconf.h"

#include <arpa/nameser.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <opendmarc/dmarc.h>

#include "core/am.h"
#include "msg/authres.h"
#include "config/config.h"
#include "dns/dns.h"
#include "dns/dns_prefetch.h"
#include "msg/from.h"
#include "core/netaddr.h"
#include "dmarc/orgdomain.h"
#include "core/xalloc.h"

#include "dmarc/dmarc.h"
#include "dmarc/dmarc_impl.h"

/* ------------------------------------------------------------ names */

static const char *const res_names[] = {
	[AM_DMARC_NONE] = "none", [AM_DMARC_PASS] = "pass",
	[AM_DMARC_FAIL] = "fail", [AM_DMARC_TEMPERROR] = "temperror",
	[AM_DMARC_PERMERROR] = "permerror",
};

static const char *const override_names[] = {
	[AM_DMARC_OVERRIDE_NONE] = "",
	[AM_DMARC_OVERRIDE_SAMPLED_OUT] = "sampled_out",
	[AM_DMARC_OVERRIDE_LOCAL_POLICY] = "local_policy",
	[AM_DMARC_OVERRIDE_TRUSTED_FORWARDER] = "trusted_forwarder",
	[AM_DMARC_OVERRIDE_MAILING_LIST] = "mailing_list",
	[AM_DMARC_OVERRIDE_POLICY_TEST_MODE] = "policy_test_mode",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* am_dmarc_result_name - RFC 8601 result word. */
const char *
am_dmarc_result_name(enum am_dmarc_res r)
{
	return (unsigned)r < NELEM(res_names) ? res_names[r] : "invalid";
}

/* am_dmarc_override_name - RFC 7489 PolicyOverrideType, "" for none. */
const char *
am_dmarc_override_name(enum am_dmarc_override o)
{
	return (unsigned)o < NELEM(override_names) ? override_names[o] :
	    "invalid";
}

/* ----------------------------------------------------- new and free */

/* exempt_parse - DMARCExemptDomains into normalised names. */
static enum am_status
exempt_parse(struct am_dmarc *dm, const char *list, struct am_why *why)
{
	char tok[AM_DOMAIN_MAX_LEN + 2], norm[AM_DOMAIN_MAX_LEN + 1];
	struct am_why lwhy;
	size_t len;

	while (*list != '\0') {
		len = strcspn(list, ", \t");
		if (len == 0) {
			list++;
			continue;
		}
		if (len >= sizeof(tok) - 1) {
			am_why_set(why, "DMARCExemptDomains: \"%.*s\": too long",
			    64, list);
			return AM_PERMFAIL;
		}
		AM_SNPRINTF_FIT(tok, sizeof(tok), "%.*s", (int)len, list);
		list += len;
		if (am_domain_normalise(tok, norm, sizeof(norm), &lwhy) !=
		    AM_OK) {
			am_why_set(why, "DMARCExemptDomains: \"%.64s\": %s", tok,
			    lwhy.text);
			return AM_PERMFAIL;
		}
		dm->exempt = am_xreallocarray(dm->exempt, dm->nexempt + 1,
		    sizeof(*dm->exempt));
		dm->exempt[dm->nexempt++] = am_xstrdup(norm);
	}
	return AM_OK;
}

/* am_dmarc_new - the per-configuration evaluator. */
struct am_dmarc *
am_dmarc_new(struct am_dns *dns, const struct am_config *cfg,
    struct am_why *why)
{
	struct am_dmarc *dm;

	if (dns == NULL || cfg == NULL)
		AM_PANIC("am_dmarc_new: NULL argument");
	dm = am_xcalloc(1, sizeof(*dm));
	dm->dns = dns;
	dm->cfg = cfg;
	if (exempt_parse(dm, cfg->dmarc_exempt_domains, why) != AM_OK)
		return am_dmarc_free(dm);
	if (cfg->dmarc_orgdomain == AM_ORGDOMAIN_PSL) {
		if (*cfg->public_suffix_list == '\0') {
			am_why_set(why, "DMARCOrgDomain psl needs a "
			    "PublicSuffixList file");
			return am_dmarc_free(dm);
		}
		if ((dm->psl = am_psl_load(cfg->public_suffix_list, why)) ==
		    NULL)
			return am_dmarc_free(dm);
	}
	if (am_dmarc_lib_init(why) != AM_OK)
		return am_dmarc_free(dm);
	return dm;
}

/* am_dmarc_free - accepts NULL, returns NULL. */
struct am_dmarc *
am_dmarc_free(struct am_dmarc *dm)
{
	size_t i;

	if (dm == NULL)
		return NULL;
	for (i = 0; i < dm->nexempt; i++)
		free(dm->exempt[i]);
	free(dm->exempt);
	dm->psl = am_psl_free(dm->psl);
	free(dm);
	return NULL;
}

/* ------------------------------------------------------------ entry */

/* bad_from - a permerror result for an unusable From. */
static void
bad_from(struct am_dmarc_result *res, bool is_multiple, const char *reason)
{
	set_result(res, AM_DMARC_PERMERROR, reason);
	res->is_multiple_from = is_multiple;
	res->is_missing_from = !is_multiple;
}

/* parse_from - the one From header; NULL (res filled) when unusable. */
static struct am_from *
parse_from(const struct am_dmarc_input *in, struct am_dmarc_result *res)
{
	struct am_from *f = NULL;
	struct am_why why;
	char reason[192];
	size_t i;

	if (in->nfrom == 0) {
		bad_from(res, false, "no From header");
		return NULL;
	}
	if (am_from_parse(in->from[0].p, in->from[0].len, &f, &why) != AM_OK) {
		AM_SNPRINTF_FIT(reason, sizeof(reason), "From: %.180s",
		    why.text);
		bad_from(res, in->nfrom > 1, in->nfrom > 1 ?
		    "multiple From headers" : reason);
		return NULL;
	}
	if (in->nfrom > 1) {
		/* RFC 7489 §6.6.1: never pick one of several. */
		if (f->n > 0 && !f->mbox[0].is_literal)
			AM_SNPRINTF_FIT(res->header_from,
			    sizeof(res->header_from), "%s", f->mbox[0].domain);
		bad_from(res, true, "multiple From headers");
		return am_from_free(f);
	}
	for (i = 0; i < f->n; i++)
		if (f->mbox[i].is_literal) {
			bad_from(res, false, "From domain is an address literal");
			return am_from_free(f);
		}
	if (f->n == 0) {
		bad_from(res, false, "From has no mailbox");
		return am_from_free(f);
	}
	return f;
}

/* fresh - an empty result. */
static void
fresh(struct am_dmarc_result *res)
{
	memset(res, 0, sizeof(*res));
	res->sample_draw = -1;
	res->policy_tag = "";
	res->disposition = AM_DMARC_POLICY_NONE;
}

/* am_dmarc_evaluate - DMARC for one message: one result per author. */
void
am_dmarc_evaluate(const struct am_dmarc *dm, const struct am_dmarc_input *in,
    struct am_dmarc_results *res)
{
	struct am_from *f;
	size_t i, j;

	if (dm == NULL || in == NULL || res == NULL ||
	    (in->nfrom > 0 && in->from == NULL))
		AM_PANIC("am_dmarc_evaluate: NULL argument");
	res->n = 1;
	res->author = am_xcalloc(1, sizeof(*res->author));
	fresh(&res->author[0]);
	if ((f = parse_from(in, &res->author[0])) == NULL)
		return;
	res->author = am_xreallocarray(res->author, f->n,
	    sizeof(*res->author));
	for (i = 0, res->n = 0; i < f->n; i++) {
		for (j = 0; j < i; j++)		/* each domain once */
			if (strcmp(f->mbox[j].domain, f->mbox[i].domain) == 0)
				break;
		if (j < i)
			continue;
		fresh(&res->author[res->n]);
		am_dmarc_eval_domain(dm, in, f->mbox[i].domain,
		    &res->author[res->n++]);
	}
	for (i = 0; i < res->n; i++)
		res->author[i].nauthors = res->n;
	am_from_free(f);
}

/* same_tld - do two valid names end in the same label? */
static bool
same_tld(const char *a, const char *b)
{
	const char *ta = strrchr(a, '.'), *tb = strrchr(b, '.');

	return strcmp(ta != NULL ? ta + 1 : a, tb != NULL ? tb + 1 : b) == 0;
}

/* prefetch_author - the lookups of one author domain (dmarc.h). */
static void
prefetch_author(const struct am_dmarc *dm, const char *author,
    const char *const *ids, size_t nids, struct am_dns_prefetch *p)
{
	char name[AM_DOMAIN_MAX_LEN + 16], id[AM_DOMAIN_MAX_LEN + 1];
	size_t i;

	if (am_snprintf(name, sizeof(name), "_dmarc.%s", author) == AM_OK)
		(void)am_dns_prefetch_add(p, name, ns_t_txt);
	if (dm->psl != NULL)
		return;
	for (i = 0; i < nids; i++) {
		if (ids[i] == NULL || am_domain_normalise(ids[i], id,
		    sizeof(id), NULL) != AM_OK || strcmp(id, author) == 0 ||
		    !same_tld(id, author))
			continue;
		am_treewalk_prefetch(author, p);
		am_treewalk_prefetch(id, p);
	}
}

/* am_dmarc_prefetch - start what evaluating in will look up (dmarc.h). */
void
am_dmarc_prefetch(const struct am_dmarc *dm, const struct am_dmarc_input *in,
    const char *const *ids, size_t nids, struct am_dns_prefetch *p)
{
	struct am_dmarc_result scratch;
	struct am_from *f;
	size_t i, j;

	if (dm == NULL || in == NULL || p == NULL ||
	    (in->nfrom > 0 && in->from == NULL) || (nids > 0 && ids == NULL))
		AM_PANIC("am_dmarc_prefetch: NULL argument");
	fresh(&scratch);
	if ((f = parse_from(in, &scratch)) == NULL)
		return;
	for (i = 0; i < f->n; i++) {
		for (j = 0; j < i; j++)		/* each domain once */
			if (strcmp(f->mbox[j].domain, f->mbox[i].domain) == 0)
				break;
		if (j == i)
			prefetch_author(dm, f->mbox[i].domain, ids, nids, p);
	}
	am_from_free(f);
}

/* am_dmarc_results_release - free the array; res is empty after. */
void
am_dmarc_results_release(struct am_dmarc_results *res)
{
	if (res == NULL)
		return;
	free(res->author);
	res->author = NULL;
	res->n = 0;
}

/* am_dmarc_add_authres - "dmarc=..." (RFC 7489 §11.2, RFC 8601). */
void
am_dmarc_add_authres(const struct am_dmarc_result *res, struct am_authres *ar)
{
	char comment[96 + sizeof(res->override_comment)] = "";
	const char *reason = NULL;
	bool shows_policy, has_comment;
	enum am_dmarc_policy sp;

	if (res == NULL || ar == NULL)
		AM_PANIC("am_dmarc_add_authres: NULL argument");
	shows_policy = res->has_record && (res->result == AM_DMARC_PASS ||
	    res->result == AM_DMARC_FAIL);
	has_comment = res->result == AM_DMARC_FAIL &&
	    res->override != AM_DMARC_OVERRIDE_NONE &&
	    res->override_comment[0] != '\0';
	if (shows_policy) {
		sp = res->rec.sp != AM_DMARC_POLICY_UNSPEC ? res->rec.sp :
		    res->rec.p;
		AM_SNPRINTF_FIT(comment, sizeof(comment),
		    "p=%s sp=%s dis=%s%s%s%s%s",
		    am_dmarc_policy_name(res->rec.p), am_dmarc_policy_name(sp),
		    am_dmarc_policy_name(res->result == AM_DMARC_FAIL ?
		    res->disposition : AM_DMARC_POLICY_NONE), has_comment ?
		    " override=" : "", has_comment ?
		    am_dmarc_override_name(res->override) : "",
		    has_comment ? " " : "", has_comment ?
		    res->override_comment : "");
	}
	if (res->result == AM_DMARC_TEMPERROR ||
	    res->result == AM_DMARC_PERMERROR)
		reason = res->reason;
	am_authres_add_method(ar, "dmarc", am_dmarc_result_name(res->result),
	    reason, *comment ? comment : NULL);
	if (res->header_from[0] != '\0')
		am_authres_add_prop(ar, "header", "from", res->header_from);
	if (shows_policy)
		am_authres_add_prop(ar, "policy", "dmarc",
		    am_dmarc_policy_name(res->policy));
}
