/*
 * spf.c - SPF for MAIL FROM and HELO (RFC 7208).
 *
 * We choose the identities (§2.3, §2.4, §4.3), keep loopback clients out,
 * run check_host() (lib/spf_record.c, over lib/spf_dns and lib/spf_macro)
 * and write the A-R entry (RFC 8601 §2.7.2) and the Received-SPF value
 * (§9.1). libspf2 is no longer used: see spf_record.c for why.
 */
#include "autoconf.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "am.h"
#include "authres.h"
#include "buf.h"
#include "config.h"
#include "dns.h"
#include "netaddr.h"
#include "spf_record.h"
#include "xalloc.h"

#include "spf.h"

struct am_spf {
	struct am_dns *dns;	/* borrowed: the resolver */
	unsigned void_limit;	/* SPFVoidLookupLimit */
	char receiver[256];	/* %{r} in explanations: AuthservID */
};

/* settext - format into a fixed field; these texts may be cut short. */
static void AM_FMT(3, 4)
settext(char *dst, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(dst, size, fmt, ap);
	va_end(ap);
}

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

/* am_spf_new - the SPF evaluator over dns. */
struct am_spf *
am_spf_new(struct am_dns *dns, const struct am_config *cfg, struct am_why *why)
{
	struct am_spf *spf;

	(void)why;	/* nothing can fail any more */
	if (dns == NULL || cfg == NULL)
		AM_PANIC("am_spf_new: NULL argument");
	spf = am_xcalloc(1, sizeof(*spf));
	spf->dns = dns;
	spf->void_limit = cfg->spf_void_lookup_limit < 0 ? 0 :
	    (unsigned)cfg->spf_void_lookup_limit;
	settext(spf->receiver, sizeof(spf->receiver), "%s",
	    cfg->authserv_id && *cfg->authserv_id ? cfg->authserv_id : "unknown");
	return spf;
}

/* am_spf_free - release; accepts NULL, returns NULL. */
struct am_spf *
am_spf_free(struct am_spf *spf)
{
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

/* set_identity - fill r's identity and domain from sender (local@domain). */
static void
set_identity(struct am_spf_result *r, const char *local, const char *domain)
{
	settext(r->identity, sizeof(r->identity), "%s@%s",
	    *local ? local : "postmaster", domain);
	settext(r->domain, sizeof(r->domain), "%s", domain);
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

/* evaluate - check_host() for sender (local@domain) under helo. */
static void
evaluate(const struct am_spf *spf, const struct am_addr *client,
    const char *helo, const char *sender, uint64_t deadline_ms,
    struct am_spf_result *r)
{
	struct am_spf_eval ev;

	memset(&ev, 0, sizeof(ev));
	ev.dns.dns = spf->dns;
	ev.dns.deadline_ms = deadline_ms;
	ev.dns.void_limit = spf->void_limit;
	ev.client = client;
	ev.sender = sender;
	ev.helo = helo;
	ev.receiver = spf->receiver;
	r->is_checked = true;
	r->result = am_spf_record_check(&ev, r->domain);
	settext(r->reason, sizeof(r->reason), "%s", ev.reason);
	if (r->result == AM_SPF_FAIL)
		settext(r->explanation, sizeof(r->explanation), "%s",
		    ev.explanation);
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
		settext(r->comment, sizeof(r->comment), "domain of %s "
		    "designates %s as permitted sender", id, ip);
		break;
	case AM_SPF_FAIL:
		settext(r->comment, sizeof(r->comment), "domain of %s "
		    "does not designate %s as permitted sender", id, ip);
		break;
	case AM_SPF_SOFTFAIL:
		settext(r->comment, sizeof(r->comment), "domain of "
		    "transitioning %s does not designate %s as permitted "
		    "sender", id, ip);
		break;
	case AM_SPF_NEUTRAL:
		settext(r->comment, sizeof(r->comment), "%s is neither "
		    "permitted nor denied by domain of %s", ip, id);
		break;
	case AM_SPF_TEMPERROR:
		settext(r->comment, sizeof(r->comment), "temporary "
		    "error checking domain of %s: %s", id, r->reason);
		break;
	case AM_SPF_PERMERROR:
		settext(r->comment, sizeof(r->comment), "permanent "
		    "error checking domain of %s: %s", id, r->reason);
		break;
	default:
		settext(r->comment, sizeof(r->comment), "%s%s: %s",
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
		settext(r->reason, sizeof(r->reason),
		    "HELO is not a domain name");
		return;
	}
	settext(r->identity, sizeof(r->identity), "%s", helo);
	settext(r->domain, sizeof(r->domain), "%s", helo);
	settext(sender, sizeof(sender), "postmaster@%s", helo);
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
			settext(r->reason, sizeof(r->reason), "null "
			    "sender and HELO is not a domain name");
			return;
		}
		domain = helo;
	}
	if (llen >= sizeof(local) - 12 || strlen(domain) > AM_DNS_MAX_NAME + 1) {
		r->is_checked = true;
		settext(r->reason, sizeof(r->reason),
		    "sender address too long");
		return;
	}
	memcpy(local, mail_from, llen);
	local[llen] = '\0';
	set_identity(r, local, domain);
	if (!is_domain_name(domain)) {
		r->is_checked = true;
		settext(r->reason, sizeof(r->reason),
		    "not a domain name: %s", domain);
		return;
	}
	evaluate(spf, client, *helo ? helo : "unknown", r->identity,
	    deadline_ms, r);
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
	if (helo == NULL)
		helo = "";
	if (mail_from == NULL)
		mail_from = "";
	result_init(mfrom, AM_SPF_SCOPE_MFROM);
	result_init(helo_result, AM_SPF_SCOPE_HELO);
	if (am_addr_is_loopback(client)) {
		/* internal by definition; callers skip them anyway */
		settext(mfrom->reason, sizeof(mfrom->reason),
		    "loopback client");
		settext(helo_result->reason,
		    sizeof(helo_result->reason), "loopback client");
	} else {
		check_helo(spf, client, helo, deadline_ms, helo_result);
		check_mfrom(spf, client, helo, mail_from, deadline_ms, mfrom);
	}
	set_comment(mfrom, client);
	set_comment(helo_result, client);
}

/* ------------------------------------------------------------ output */

/* am_spf_add_authres - "spf=RESULT (comment) smtp.mailfrom|helo=..." */
void
am_spf_add_authres(const struct am_spf_result *r, struct am_authres *ar)
{
	bool is_error;

	if (r == NULL || ar == NULL)
		AM_PANIC("am_spf_add_authres: NULL argument");
	if (!r->is_checked)
		return;
	is_error = r->result == AM_SPF_TEMPERROR ||
	    r->result == AM_SPF_PERMERROR;
	am_authres_add_method(ar, "spf", am_spf_result_name(r->result),
	    is_error && r->reason[0] ? r->reason : NULL, r->comment);
	if (r->scope == AM_SPF_SCOPE_HELO)
		am_authres_add_prop(ar, "smtp", "helo", r->identity);
	else
		am_authres_add_prop(ar, "smtp", "mailfrom", r->identity);
}

/* is_dot_atom - RFC 5322 dot-atom-text, without "=" (PITFALLS: VERP). */
static bool
is_dot_atom(const char *s)
{
	static const char atext[] = "!#$%&'*+-/?^_`{|}~";
	bool is_dot_ok = false;

	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '.' && is_dot_ok) {
			is_dot_ok = false;
			continue;
		}
		if (c >= 0x80 || !(isalnum(c) || strchr(atext, c) != NULL))
			return false;
		is_dot_ok = true;
	}
	return is_dot_ok;
}

/* put_value - key=value as a dot-atom or a quoted-string. */
static enum am_status
put_value(struct am_buf *out, const char *key, const char *v)
{
	enum am_status st;

	st = am_buf_printf(out, " %s=", key);
	if (st != AM_OK || is_dot_atom(v))
		return st == AM_OK ? am_buf_printf(out, "%s;", v) : st;
	st = am_buf_putc(out, '"');
	for (; *v != '\0' && st == AM_OK; v++) {
		unsigned char c = (unsigned char)*v;

		if (c < 0x20 || c == 0x7f)
			c = ' ';	/* no control characters in a header */
		if (c == '"' || c == '\\')
			st = am_buf_putc(out, '\\');
		if (st == AM_OK)
			st = am_buf_putc(out, (char)c);
	}
	return st == AM_OK ? am_buf_puts(out, "\";") : st;
}

/* put_comment - "(text)" with (, ) and \ escaped as quoted-pairs. */
static enum am_status
put_comment(struct am_buf *out, const char *receiver, const char *text)
{
	enum am_status st = am_buf_puts(out, " (");
	const char *parts[3] = { receiver, ": ", text };
	size_t i;
	const char *p;

	for (i = 0; i < 3 && st == AM_OK; i++) {
		for (p = parts[i]; *p != '\0' && st == AM_OK; p++) {
			unsigned char c = (unsigned char)*p;

			if (c < 0x20 || c == 0x7f)
				c = ' ';
			if (c == '(' || c == ')' || c == '\\')
				st = am_buf_putc(out, '\\');
			if (st == AM_OK)
				st = am_buf_putc(out, (char)c);
		}
	}
	return st == AM_OK ? am_buf_putc(out, ')') : st;
}

/* am_spf_received_spf - a Received-SPF value (RFC 7208 §9.1) into out. */
enum am_status
am_spf_received_spf(const struct am_spf_result *r, const char *receiver,
    const char *client_ip, const char *helo, const char *envelope_from,
    struct am_buf *out)
{
	enum am_status st;

	if (r == NULL || receiver == NULL || client_ip == NULL ||
	    helo == NULL || envelope_from == NULL || out == NULL)
		AM_PANIC("am_spf_received_spf: NULL argument");
	am_buf_reset(out);
	st = am_buf_puts(out, am_spf_result_name(r->result));
	if (st == AM_OK)
		st = put_comment(out, receiver, r->comment);
	if (st == AM_OK)
		st = put_value(out, "client-ip", client_ip);
	if (st == AM_OK)
		st = put_value(out, "envelope-from", envelope_from);
	if (st == AM_OK && *helo != '\0')
		st = put_value(out, "helo", helo);
	if (st == AM_OK)
		st = put_value(out, "receiver", receiver);
	if (st == AM_OK)
		st = put_value(out, "identity", r->scope == AM_SPF_SCOPE_HELO ?
		    "helo" : "mailfrom");
	if (st == AM_OK)
		am_buf_truncate(out, out->len - 1);	/* last ';' */
	else
		am_buf_reset(out);
	return st;
}
