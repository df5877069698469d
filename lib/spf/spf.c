/*
 * spf.c - SPF for MAIL FROM and HELO with libspf2 over lib/spf_dns (RFC 7208).
 *
 * libspf2 evaluates records; we choose the identities (§2.3, §2.4, §4.3),
 * keep loopback clients away from its "localhost is always allowed" pass,
 * turn the layer's limit flags into permerror (§4.6.4) and write the
 * result's comment. The exp= text is expanded by spf_exp.c (§6.2, §7:
 * libspf2's compiler mangles spaces); spf_header.c writes the A-R entry
 * (RFC 8601 §2.7.2) and the Received-SPF value (§9.1). libspf2 has no HELO
 * API: the HELO identity is a second request with only the HELO name set
 * (LIBRARY-NOTES §3).
 */
#include "autoconf.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>
#include <spf2/spf.h>

#include "core/am.h"
#include "msg/authres.h"
#include "core/buf.h"
#include "config/config.h"
#include "dns/dns.h"
#include "core/netaddr.h"
#include "spf/spf_dns.h"
#include "core/xalloc.h"

#include "spf/spf.h"
#include "spf/spf_impl.h"

/* Default explanation libspf2 falls back to; never shown (see get_exp). */
#define NO_EXP "authmilter-no-explanation"

static const char *const res_names[] = {
	[AM_SPF_NONE] = "none", [AM_SPF_NEUTRAL] = "neutral",
	[AM_SPF_PASS] = "pass", [AM_SPF_FAIL] = "fail",
	[AM_SPF_SOFTFAIL] = "softfail", [AM_SPF_TEMPERROR] = "temperror",
	[AM_SPF_PERMERROR] = "permerror",
};

/* am_spf_result_name - RFC 7208 §2.6 name of a result. */
const char *
am_spf_result_name(enum am_spf_res r)
{
	if ((unsigned)r < sizeof(res_names) / sizeof(res_names[0]))
		return res_names[r];
	return "invalid";
}

/* quiet - libspf2's warning/info/debug output; lib/ never logs. */
static void
quiet(const char *file, int line, const char *msg)
{
	(void)file;
	(void)line;
	(void)msg;
}

/* am_spf_new - one SPF server over our DNS layer. */
struct am_spf *
am_spf_new(struct am_dns *dns, const struct am_config *cfg, struct am_why *why)
{
	struct am_spf *spf;
	SPF_response_t *resp = NULL;

	if (dns == NULL || cfg == NULL)
		AM_PANIC("am_spf_new: NULL argument");
	/* Global hooks; every am_spf sets the same values. */
	SPF_warning_handler = quiet;
	SPF_info_handler = quiet;
	SPF_debug_handler = quiet;
	spf = am_xcalloc(1, sizeof(*spf));
	am_spf_pool_init(spf);
	spf->layer = am_spf_dns_new(dns);
	spf->server = SPF_server_new_dns(spf->layer, 0);
	if (spf->server == NULL) {
		am_why_set(why, "libspf2: cannot create a server");
		return am_spf_free(spf);
	}
	spf->void_limit = cfg->spf_void_lookup_limit < 0 ? 0 :
	    (unsigned)cfg->spf_void_lookup_limit;
	if (am_snprintf(spf->receiver, sizeof(spf->receiver), "%s",
	    cfg->authserv_id && *cfg->authserv_id ? cfg->authserv_id :
	    "unknown") != AM_OK) {
		am_why_set(why, "AuthservID: longer than %zu bytes",
		    sizeof(spf->receiver) - 1);
		return am_spf_free(spf);
	}
	if (SPF_server_set_rec_dom(spf->server, spf->receiver) != SPF_E_SUCCESS ||
	    SPF_server_set_explanation(spf->server, NO_EXP, &resp) !=
	    SPF_E_SUCCESS) {
		if (resp != NULL)
			SPF_response_free(resp);
		am_why_set(why, "libspf2: cannot configure the server");
		return am_spf_free(spf);
	}
	SPF_response_free(resp);
	return spf;
}

/* am_spf_free - release; accepts NULL, returns NULL. */
struct am_spf *
am_spf_free(struct am_spf *spf)
{
	if (spf == NULL)
		return NULL;
	am_spf_pool_stop(spf);
	if (spf->server != NULL)
		SPF_server_free(spf->server);
	spf->layer = am_spf_dns_free(spf->layer);
	free(spf);
	return NULL;
}

/* ------------------------------------------------------- identities */

/* is_domain_name - RFC 7208 §4.3: a multi-label name, not an address
 * literal; labels are checked by the resolver (malformed = NXDOMAIN). */
static bool
is_domain_name(const char *d)
{
	const char *dot;

	if (d == NULL || *d == '\0' || *d == '[' || *d == '.')
		return false;
	dot = strchr(d, '.');
	return dot != NULL && dot[1] != '\0';
}

/* set_identity - fill r's identity and domain from sender (local@domain);
 * false when the address does not fit (it is never evaluated cut). */
static bool
set_identity(struct am_spf_result *r, const char *local, const char *domain)
{
	if (am_snprintf(r->identity, sizeof(r->identity), "%s@%s",
	    *local ? local : "postmaster", domain) != AM_OK) {
		r->identity[0] = '\0';
		return false;
	}
	AM_SNPRINTF_FIT(r->domain, sizeof(r->domain), "%s", domain);
	return true;
}

/* result_init - an unchecked "none" for scope. */
static void
result_init(struct am_spf_result *r, enum am_spf_scope scope)
{
	memset(r, 0, sizeof(*r));
	r->result = AM_SPF_NONE;
	r->scope = scope;
}

/* ---------------------------------------------------------- evaluation */

/* set_client - the client address into the request. */
static void
set_client(SPF_request_t *req, const struct am_addr *a)
{
	struct in_addr v4;
	struct in6_addr v6;

	if (a->family == AF_INET) {
		memcpy(&v4, a->bytes, 4);
		(void)SPF_request_set_ipv4(req, v4);
	} else if (a->family == AF_INET6) {
		memcpy(&v6, a->bytes, 16);
		(void)SPF_request_set_ipv6(req, v6);
	} else
		AM_PANIC("am_spf_check: address family %d", a->family);
}

/* map_result - libspf2's result code. */
static enum am_spf_res
map_result(SPF_result_t r)
{
	switch (r) {
	case SPF_RESULT_PASS:
		return AM_SPF_PASS;
	case SPF_RESULT_FAIL:
		return AM_SPF_FAIL;
	case SPF_RESULT_SOFTFAIL:
		return AM_SPF_SOFTFAIL;
	case SPF_RESULT_NEUTRAL:
		return AM_SPF_NEUTRAL;
	case SPF_RESULT_NONE:
		return AM_SPF_NONE;
	case SPF_RESULT_TEMPERROR:
		return AM_SPF_TEMPERROR;
	default:
		return AM_SPF_PERMERROR;
	}
}

/* copy_explanation - the domain's expanded exp= text for a fail. */
static void
copy_explanation(struct am_spf_result *r, SPF_response_t *resp)
{
	const char *e = SPF_response_get_explanation(resp);

	if (r->result != AM_SPF_FAIL || e == NULL || strcmp(e, NO_EXP) == 0)
		return;
	/* the reply text: a longer one is cut, and the cut shown */
	(void)am_snprintf_cut(r->explanation, sizeof(r->explanation), "%s", e);
}

/* take_response - libspf2's response and the layer's flags into r. */
static void
take_response(struct am_spf_result *r, const struct check *chk,
    SPF_response_t *resp)
{
	SPF_errcode_t err = SPF_response_errcode(resp);

	r->result = map_result(SPF_response_result(resp));
	if (chk->dns.is_limit_hit) {
		/* RFC 7208 §4.6.4; the layer made libspf2 stop early */
		r->result = AM_SPF_PERMERROR;
		AM_SNPRINTF_FIT(r->reason, sizeof(r->reason), "%s",
		    chk->dns.why);	/* 128 into 192 */
		return;
	}
	if (SPF_response_reason(resp) == SPF_REASON_LOCALHOST)
		AM_PANIC("libspf2 localhost pass for a non-loopback client");
	if (r->result == AM_SPF_TEMPERROR && chk->dns.has_temperror)
		AM_SNPRINTF_FIT(r->reason, sizeof(r->reason), "%s",
		    chk->dns.why);
	else if (r->result == AM_SPF_PERMERROR ||
	    r->result == AM_SPF_TEMPERROR || r->result == AM_SPF_NONE)
		(void)am_snprintf_cut(r->reason, sizeof(r->reason), "%s",
		    err != SPF_E_SUCCESS ? SPF_strerror(err) : "no SPF record");
	copy_explanation(r, resp);
}

/* evaluate - one libspf2 request for sender (local@domain) under helo. */
static void
evaluate(const struct am_spf *spf, const struct am_addr *client,
    const char *helo, const char *sender, uint64_t deadline_ms,
    struct am_spf_result *r)
{
	struct check chk;
	SPF_response_t *resp = NULL;

	memset(&chk, 0, sizeof(chk));
	chk.dns.deadline_ms = deadline_ms;
	chk.dns.void_limit = spf->void_limit;
	chk.dns.expand_exp = am_spf_expand_exp;
	chk.dns.arg = &chk;
	chk.spf = spf;
	chk.client = client;
	chk.sender = sender;
	chk.helo = helo;
	chk.req = SPF_request_new(spf->server);
	if (chk.req == NULL)
		AM_PANIC("libspf2: out of memory for a request");
	set_client(chk.req, client);
	(void)SPF_request_set_helo_dom(chk.req, helo);
	(void)SPF_request_set_env_from(chk.req, sender);
	am_spf_dns_begin(&chk.dns);
	(void)SPF_request_query_mailfrom(chk.req, &resp);
	am_spf_dns_end();
	if (resp == NULL)
		AM_PANIC("libspf2 returned no response");
	r->is_checked = true;
	take_response(r, &chk, resp);
	SPF_response_free(resp);
	SPF_request_free(chk.req);
}

/* set_comment - the human-readable sentence for r (RFC 7208 §9.1 style). */
static void
set_comment(struct am_spf_result *r, const struct am_addr *client)
{
	char ip[AM_ADDR_STRLEN];
	const char *id = r->identity;

	(void)am_addr_format(client, ip, sizeof(ip));
	switch (r->is_checked ? r->result : AM_SPF_NONE) {
	case AM_SPF_PASS:
		AM_SNPRINTF_FIT(r->comment, sizeof(r->comment), "domain of %s "
		    "designates %s as permitted sender", id, ip);
		break;
	case AM_SPF_FAIL:
		AM_SNPRINTF_FIT(r->comment, sizeof(r->comment), "domain of %s "
		    "does not designate %s as permitted sender", id, ip);
		break;
	case AM_SPF_SOFTFAIL:
		AM_SNPRINTF_FIT(r->comment, sizeof(r->comment), "domain of "
		    "transitioning %s does not designate %s as permitted "
		    "sender", id, ip);
		break;
	case AM_SPF_NEUTRAL:
		AM_SNPRINTF_FIT(r->comment, sizeof(r->comment), "%s is neither "
		    "permitted nor denied by domain of %s", ip, id);
		break;
	case AM_SPF_TEMPERROR:
		AM_SNPRINTF_FIT(r->comment, sizeof(r->comment), "temporary "
		    "error checking domain of %s: %s", id, r->reason);
		break;
	case AM_SPF_PERMERROR:
		AM_SNPRINTF_FIT(r->comment, sizeof(r->comment), "permanent "
		    "error checking domain of %s: %s", id, r->reason);
		break;
	default:
		AM_SNPRINTF_FIT(r->comment, sizeof(r->comment), "%s%s: %s",
		    r->is_checked ? "domain of " : "", *id ? id : "no identity",
		    r->reason[0] ? r->reason : "no SPF record");
		break;
	}
}

/* check_helo - the HELO identity (RFC 7208 §2.3). */
static void
check_helo(struct am_spf *spf, const struct am_addr *client,
    const char *helo, uint64_t deadline_ms, struct am_spf_result *r)
{
	char sender[AM_SPF_IDENTITY_MAX];

	if (!is_domain_name(helo) || strlen(helo) > AM_DNS_MAX_NAME + 1) {
		AM_SNPRINTF_FIT(r->reason, sizeof(r->reason),
		    "HELO is not a domain name");
		return;
	}
	AM_SNPRINTF_FIT(r->identity, sizeof(r->identity), "%s", helo);
	AM_SNPRINTF_FIT(r->domain, sizeof(r->domain), "%s", helo);
	AM_SNPRINTF_FIT(sender, sizeof(sender), "postmaster@%s", helo);
	evaluate(spf, client, helo, sender, deadline_ms, r);
}

/* check_mfrom - the MAIL FROM identity (RFC 7208 §2.4, §4.3). */
static void
check_mfrom(struct am_spf *spf, const struct am_addr *client,
    const char *helo, const char *mail_from, uint64_t deadline_ms,
    struct am_spf_result *r)
{
	const char *at = strrchr(mail_from, '@');
	const char *domain = at ? at + 1 : mail_from;
	size_t llen = at ? (size_t)(at - mail_from) : 0;
	char local[AM_SPF_IDENTITY_MAX];

	if (*mail_from == '\0') {
		if (!is_domain_name(helo)) {
			AM_SNPRINTF_FIT(r->reason, sizeof(r->reason), "null "
			    "sender and HELO is not a domain name");
			return;
		}
		domain = helo;
	}
	if (llen >= sizeof(local) - 12 || strlen(domain) > AM_DNS_MAX_NAME + 1) {
		r->is_checked = true;
		AM_SNPRINTF_FIT(r->reason, sizeof(r->reason),
		    "sender address too long");
		return;
	}
	memcpy(local, mail_from, llen);
	local[llen] = '\0';
	if (!set_identity(r, local, domain)) {
		r->is_checked = true;
		AM_SNPRINTF_FIT(r->reason, sizeof(r->reason),
		    "sender address too long");
		return;
	}
	if (!is_domain_name(domain)) {
		r->is_checked = true;
		(void)am_snprintf_cut(r->reason, sizeof(r->reason),
		    "not a domain name: %s", domain);
		return;
	}
	evaluate(spf, client, *helo ? helo : "unknown", r->identity,
	    deadline_ms, r);
}

/* am_spf_eval_one - one identity, result r filled (spf_impl.h). */
void
am_spf_eval_one(struct am_spf *spf, enum am_spf_scope scope,
    const struct am_addr *client, const char *helo, const char *mail_from,
    uint64_t deadline_ms, struct am_spf_result *r)
{
	if (helo == NULL)
		helo = "";
	if (mail_from == NULL)
		mail_from = "";
	result_init(r, scope);
	if (am_addr_is_loopback(client))
		/* libspf2 passes every loopback client: don't ask it */
		AM_SNPRINTF_FIT(r->reason, sizeof(r->reason),
		    "loopback client");
	else if (scope == AM_SPF_SCOPE_HELO)
		check_helo(spf, client, helo, deadline_ms, r);
	else
		check_mfrom(spf, client, helo, mail_from, deadline_ms, r);
	set_comment(r, client);
}

/* am_spf_check - evaluate MAIL FROM and HELO for one message. */
void
am_spf_check(struct am_spf *spf, const struct am_addr *client,
    const char *helo, const char *mail_from, uint64_t deadline_ms,
    struct am_spf_result *mfrom, struct am_spf_result *helo_result)
{
	if (spf == NULL || client == NULL || mfrom == NULL ||
	    helo_result == NULL)
		AM_PANIC("am_spf_check: NULL argument");
	am_spf_eval_one(spf, AM_SPF_SCOPE_HELO, client, helo, mail_from,
	    deadline_ms, helo_result);
	am_spf_eval_one(spf, AM_SPF_SCOPE_MFROM, client, helo, mail_from,
	    deadline_ms, mfrom);
}
