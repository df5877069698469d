/*
 * spf_record.c - check_host() (RFC 7208 §4-§6) over lib/spf_dns.
 *
 * We evaluate records ourselves instead of handing them to libspf2: its
 * compiled form cannot say "/0" (a CIDR length of 0 means "none given"),
 * it counts DNS terms per record rather than per check, evaluates
 * redirect= where it is written, rejects valid unknown modifiers and
 * expands macros with the parser of CVE-2023-42118. The record text has
 * passed lib/spf_dns's §12 syntax check, so parsing here is lenient.
 */
#include "autoconf.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <arpa/nameser.h>
#include <netinet/in.h>

#include "am.h"
#include "buf.h"
#include "dns.h"
#include "netaddr.h"
#include "spf.h"
#include "spf_dns.h"
#include "spf_macro.h"

#include "spf_record.h"

#define MAX_DEPTH 12		/* include/redirect nesting; the 10-term
				 * limit stops a loop well before */
#define MAX_NAMES 10		/* §4.6.4: MX and PTR names looked at */
#define DOMAIN_BUF 1024		/* bytes: an expansion before the cut */

enum match {
	M_NO = 0,	/* the mechanism does not match */
	M_YES,		/* it matches */
	M_TEMP,		/* temperror */
	M_PERM,		/* permerror */
};

/* One record being evaluated (one level of include/redirect). */
struct level {
	struct am_spf_eval *ev;		/* borrowed: the whole check */
	const char *domain;		/* borrowed: current domain, %{d} */
	int depth;			/* 0 at the top */
	bool is_include;		/* inside an include: no exp= */
	struct am_spf_macro_env env;	/* macro values for this record */
};

static enum am_spf_res check_host(struct am_spf_eval *ev, const char *domain,
    int depth, bool is_include);

/* set_reason - the first reason given sticks. */
static void AM_FMT(2, 3)
set_reason(struct am_spf_eval *ev, const char *fmt, ...)
{
	va_list ap;

	if (ev->reason[0] != '\0')
		return;
	va_start(ap, fmt);
	(void)vsnprintf(ev->reason, sizeof(ev->reason), fmt, ap);
	va_end(ap);
}

/* is_fqdn - RFC 7208 §4.3: labels of 1..63, at most 253, two or more. */
static bool
is_fqdn(const char *d)
{
	size_t len = strlen(d), l, labels = 0;

	if (len > 0 && d[len - 1] == '.')
		len--;
	if (len == 0 || len > AM_DNS_MAX_NAME)
		return false;
	while (len > 0) {
		l = strcspn(d, ".");
		if (l > len)
			l = len;
		if (l == 0 || l > 63)
			return false;
		labels++;
		d += l;
		len -= l;
		if (len > 0) {
			d++;
			len--;
		}
	}
	return labels >= 2;
}

/* in_prefix - do the first bits of a and b agree? */
static bool
in_prefix(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned full = bits / 8, rest = bits % 8;
	uint8_t mask;

	if (memcmp(a, b, full) != 0)
		return false;
	if (rest == 0)
		return true;
	mask = (uint8_t)(0xff << (8 - rest));
	return (a[full] & mask) == (b[full] & mask);
}

/* client_type - the address record type for the client (§5.3). */
static int
client_type(const struct am_spf_eval *ev)
{
	return ev->client->family == AF_INET ? ns_t_a : ns_t_aaaa;
}

/* has_client - does an A/AAAA answer hold the client within bits? */
static bool
has_client(const struct am_spf_eval *ev, const struct am_dns_answer *ans,
    unsigned bits)
{
	size_t want = ev->client->family == AF_INET ? 4 : 16, i;

	for (i = 0; ans->result == AM_DNS_OK && i < ans->count; i++)
		if (ans->len[i] == want &&
		    in_prefix(ans->data[i], ev->client->bytes, bits))
			return true;
	return false;
}

/* addr_match - look name up with the client's type; match within bits. */
static enum match
addr_match(struct level *lv, const char *name, unsigned bits)
{
	struct am_dns_answer ans;
	enum match m;

	am_spf_dns_lookup(&lv->ev->dns, name, client_type(lv->ev), true, &ans);
	if (ans.result == AM_DNS_TEMPERROR)
		m = M_TEMP;
	else
		m = has_client(lv->ev, &ans, bits) ? M_YES : M_NO;
	am_dns_answer_release(&ans);
	return m;
}

/* target - the expanded domain-spec, or the current domain if empty. */
static enum match
target(struct level *lv, const char *spec, size_t len, struct am_buf *out)
{
	am_buf_reset(out);
	if (len == 0)
		return am_buf_puts(out, lv->domain) == AM_OK ? M_YES : M_PERM;
	if (am_spf_macro_domain(&lv->env, spec, len, out) != AM_OK) {
		set_reason(lv->ev, "cannot expand a domain-spec of %s",
		    lv->domain);
		return M_PERM;
	}
	return M_YES;
}

/* ------------------------------------------------------ mechanisms (§5) */

/* mx_match - §5.4: the addresses of up to 10 MX names. */
static enum match
mx_match(struct level *lv, const char *domain, unsigned bits)
{
	struct am_dns_answer ans;
	struct am_buf name;
	enum match m = M_NO;
	size_t i;

	am_spf_dns_lookup(&lv->ev->dns, domain, ns_t_mx, true, &ans);
	if (ans.result == AM_DNS_TEMPERROR)
		m = M_TEMP;
	else if (ans.result == AM_DNS_OK && ans.count > MAX_NAMES) {
		set_reason(lv->ev, "more than 10 MX names for %s", domain);
		m = M_PERM;
	}
	am_buf_init(&name, 1024);
	for (i = 0; m == M_NO && ans.result == AM_DNS_OK && i < ans.count;
	    i++) {
		if (ans.len[i] < 3 || am_spf_dns_name(ans.data[i] + 2,
		    ans.len[i] - 2, &name) != AM_OK)
			continue;	/* a null MX (RFC 7505) has no name */
		m = addr_match(lv, am_buf_str(&name), bits);
	}
	am_buf_release(&name);
	am_dns_answer_release(&ans);
	return m;
}

/* reverse_name - the in-addr.arpa / ip6.arpa name of the client. */
static void
reverse_name(const struct am_addr *a, struct am_buf *out)
{
	static const char hex[] = "0123456789abcdef";
	int i;

	am_buf_reset(out);
	if (a->family == AF_INET) {
		(void)am_buf_printf(out, "%u.%u.%u.%u.in-addr.arpa",
		    a->bytes[3], a->bytes[2], a->bytes[1], a->bytes[0]);
		return;
	}
	for (i = 15; i >= 0; i--)
		(void)am_buf_printf(out, "%c.%c.", hex[a->bytes[i] & 15],
		    hex[a->bytes[i] >> 4]);
	(void)am_buf_puts(out, "ip6.arpa");
}

/* is_within - name equals domain or is a subdomain of it (no case). */
static bool
is_within(const char *name, const char *domain)
{
	size_t nl = strlen(name), dl = strlen(domain);

	if (dl > 0 && domain[dl - 1] == '.')
		dl--;
	if (nl > 0 && name[nl - 1] == '.')
		nl--;
	if (nl < dl || strncasecmp(name + nl - dl, domain, dl) != 0)
		return false;
	return nl == dl || name[nl - dl - 1] == '.';
}

/* validated - is name's forward lookup the client (§5.5)? Errors: no. */
static bool
validated(struct am_spf_eval *ev, const char *name, bool is_counted)
{
	struct am_dns_answer ans;
	bool ok;

	am_spf_dns_lookup(&ev->dns, name, client_type(ev), is_counted, &ans);
	ok = has_client(ev, &ans, ev->client->family == AF_INET ? 32 : 128);
	am_dns_answer_release(&ans);
	return ok;
}

/* ptr_walk - the first 10 PTR names of the client that validate; pick
 * the best for domain: equal (rank 3), a subdomain (2), any (1). With
 * is_any false only names within domain are looked up. */
static int
ptr_walk(struct am_spf_eval *ev, const char *domain, bool is_any,
    bool is_counted, struct am_buf *best)
{
	struct am_dns_answer ans;
	struct am_buf name;
	int rank = 0, r;
	size_t i;

	am_buf_init(&name, 1024);
	reverse_name(ev->client, &name);
	am_spf_dns_lookup(&ev->dns, am_buf_str(&name), ns_t_ptr, is_counted,
	    &ans);
	for (i = 0; ans.result == AM_DNS_OK && i < ans.count && i < MAX_NAMES &&
	    rank < 3 && !ev->dns.is_limit_hit; i++) {
		if (am_spf_dns_name(ans.data[i], ans.len[i], &name) != AM_OK)
			continue;
		r = !is_within(am_buf_str(&name), domain) ? 1 :
		    strlen(am_buf_str(&name)) == strlen(domain) ? 3 : 2;
		if (r <= rank || (r == 1 && !is_any) ||
		    !validated(ev, am_buf_str(&name), is_counted))
			continue;
		rank = r;
		am_buf_reset(best);
		(void)am_buf_puts(best, am_buf_str(&name));
	}
	am_dns_answer_release(&ans);
	am_buf_release(&name);
	return rank;
}

/* ptr_match - §5.5: a validated name within the target; DNS errors are
 * no match. */
static enum match
ptr_match(struct level *lv, const char *domain)
{
	struct am_buf best;
	int rank;

	am_buf_init(&best, 1024);
	rank = ptr_walk(lv->ev, domain, false, true, &best);
	am_buf_release(&best);
	return rank >= 2 ? M_YES : M_NO;
}

/* ptr_name - %{p} (§7.3): the validated name, uncounted lookups. */
static enum am_status
ptr_name(void *arg, const char *domain, struct am_buf *out)
{
	struct am_spf_eval *ev = arg;
	struct am_spf_dns_check saved = ev->dns;
	struct am_buf best;
	enum am_status st = AM_PERMFAIL;

	am_buf_init(&best, 1024);
	ev->dns.void_limit = (unsigned)-1;
	if (ptr_walk(ev, domain, true, false, &best) > 0)
		st = am_buf_puts(out, am_buf_str(&best));
	am_buf_release(&best);
	/* not counted towards the limits, and no error to report */
	ev->dns = saved;
	return st;
}

/* exists_match - §5.7: any A record (whatever the client's family). */
static enum match
exists_match(struct level *lv, const char *domain)
{
	struct am_dns_answer ans;
	enum match m;

	am_spf_dns_lookup(&lv->ev->dns, domain, ns_t_a, true, &ans);
	m = ans.result == AM_DNS_TEMPERROR ? M_TEMP :
	    ans.result == AM_DNS_OK ? M_YES : M_NO;
	am_dns_answer_release(&ans);
	return m;
}

/* include_match - §5.2: pass matches; none and permerror are permerror. */
static enum match
include_match(struct level *lv, const char *domain)
{
	switch (check_host(lv->ev, domain, lv->depth + 1, true)) {
	case AM_SPF_PASS:
		return M_YES;
	case AM_SPF_TEMPERROR:
		return M_TEMP;
	case AM_SPF_NONE:
		lv->ev->reason[0] = '\0';
		set_reason(lv->ev, "include:%s has no SPF record", domain);
		return M_PERM;
	case AM_SPF_PERMERROR:
		return M_PERM;
	default:
		return M_NO;
	}
}

/* ip_match - ip4:/ip6: network [/bits] against the client. */
static enum match
ip_match(struct level *lv, const char *arg, size_t len, int af)
{
	char buf[64];
	uint8_t net[16];
	size_t alen = strcspn(arg, "/");
	unsigned long bits = af == AF_INET ? 32 : 128;

	if (alen > len)
		alen = len;
	if (alen >= sizeof(buf))
		return M_PERM;
	memcpy(buf, arg, alen);
	buf[alen] = '\0';
	if (inet_pton(af, buf, net) != 1)
		return M_PERM;
	if (alen < len)
		bits = strtoul(arg + alen + 1, NULL, 10);
	if (lv->ev->client->family != af)
		return M_NO;
	return in_prefix(net, lv->ev->client->bytes, (unsigned)bits) ?
	    M_YES : M_NO;
}

/* cidr_split - a/mx argument: where the "/n" "//n" part starts in
 * [p, end) and the two lengths (defaults 32 and 128). */
static const char *
cidr_split(const char *p, const char *end, unsigned *c4, unsigned *c6)
{
	const char *q;

	*c4 = 32;
	*c6 = 128;
	for (q = p; q < end; q++)
		if (*q == '/' && strspn(q, "0123456789/") >= (size_t)(end - q))
			break;
	if (q < end && q[1] != '/')
		*c4 = (unsigned)strtoul(q + 1, NULL, 10);
	if (q < end && (p = strstr(q, "//")) != NULL && p < end)
		*c6 = (unsigned)strtoul(p + 2, NULL, 10);
	return q;
}

/* dns_mechanism - a, mx, ptr, exists, include: one DNS term. */
static enum match
dns_mechanism(struct level *lv, const char *name, size_t n, const char *arg,
    const char *end)
{
	struct am_buf dom;
	unsigned c4 = 32, c6 = 128;
	const char *dend = end;
	enum match m;

	if (!am_spf_dns_count_term(&lv->ev->dns))
		return M_PERM;
	if (n <= 2)	/* a, mx */
		dend = cidr_split(arg, end, &c4, &c6);
	if (arg < dend && *arg == ':')
		arg++;
	am_buf_init(&dom, DOMAIN_BUF);
	m = target(lv, arg, (size_t)(dend - arg), &dom);
	if (m == M_YES && n == 1)
		m = addr_match(lv, am_buf_str(&dom),
		    lv->ev->client->family == AF_INET ? c4 : c6);
	else if (m == M_YES && n == 2)
		m = mx_match(lv, am_buf_str(&dom),
		    lv->ev->client->family == AF_INET ? c4 : c6);
	else if (m == M_YES && strncasecmp(name, "ptr", n) == 0)
		m = ptr_match(lv, am_buf_str(&dom));
	else if (m == M_YES && strncasecmp(name, "exists", n) == 0)
		m = exists_match(lv, am_buf_str(&dom));
	else if (m == M_YES)
		m = include_match(lv, am_buf_str(&dom));
	am_buf_release(&dom);
	return m;
}

/* mechanism - one directive without its qualifier, [p, end). */
static enum match
mechanism(struct level *lv, const char *p, const char *end)
{
	size_t n = strcspn(p, ":/");

	if (p + n > end)
		n = (size_t)(end - p);
	if (n == 3 && strncasecmp(p, "all", 3) == 0)
		return M_YES;
	if (n == 3 && strncasecmp(p, "ip4", 3) == 0)
		return ip_match(lv, p + 4, (size_t)(end - p - 4), AF_INET);
	if (n == 3 && strncasecmp(p, "ip6", 3) == 0)
		return ip_match(lv, p + 4, (size_t)(end - p - 4), AF_INET6);
	if ((n == 1 && tolower((unsigned char)*p) == 'a') ||
	    (n == 2 && strncasecmp(p, "mx", 2) == 0) ||
	    (n == 3 && strncasecmp(p, "ptr", 3) == 0) ||
	    (n == 6 && strncasecmp(p, "exists", 6) == 0) ||
	    (n == 7 && strncasecmp(p, "include", 7) == 0))
		return dns_mechanism(lv, p, n, p + n, end);
	return M_PERM;	/* the syntax check lets nothing else through */
}

/* ------------------------------------------------------------ record */

/* next_term - the next space-separated term at *pp into t; false at end. */
static bool
next_term(const char **pp, struct am_str *t)
{
	const char *p = *pp;

	while (*p == ' ')
		p++;
	if (*p == '\0')
		return false;
	t->p = p;
	t->len = strcspn(p, " ");
	*pp = p + t->len;
	return true;
}

/* modifier - if t is name=value, the value's start and true. */
static bool
modifier(const struct am_str *t, const char *name, struct am_str *value)
{
	size_t n = strcspn(t->p, "=:/ ");

	if (n >= t->len || t->p[n] != '=')
		return false;
	if (name != NULL && (strlen(name) != n ||
	    strncasecmp(t->p, name, n) != 0))
		return false;
	value->p = t->p + n + 1;
	value->len = t->len - n - 1;
	return true;
}

/* qualified - the result a qualifier gives (§4.6.2). */
static enum am_spf_res
qualified(char q)
{
	switch (q) {
	case '-':
		return AM_SPF_FAIL;
	case '~':
		return AM_SPF_SOFTFAIL;
	case '?':
		return AM_SPF_NEUTRAL;
	default:
		return AM_SPF_PASS;
	}
}

/* explain - §6.2: the exp= target's TXT, expanded; failures leave "". */
static void
explain(struct level *lv, const struct am_str *spec)
{
	struct am_spf_eval *ev = lv->ev;
	struct am_buf dom, txt, out;
	size_t i;
	enum am_status st;

	am_buf_init(&dom, DOMAIN_BUF);
	am_buf_init(&txt, 65536);
	am_buf_init(&out, 4096);
	st = am_spf_macro_domain(&lv->env, spec->p, spec->len, &dom);
	if (st == AM_OK)
		st = am_spf_dns_exp_text(&ev->dns, am_buf_str(&dom), &txt);
	if (st == AM_OK)
		st = am_spf_macro_expand(&lv->env, txt.data, txt.len, true,
		    &out);
	for (i = 0; st == AM_OK && i < out.len; i++)
		if ((unsigned char)out.data[i] < 0x20 ||
		    (unsigned char)out.data[i] > 0x7e)
			st = AM_PERMFAIL;
	if (st == AM_OK)	/* a long text is cut, not lost */
		(void)snprintf(ev->explanation, sizeof(ev->explanation), "%s",
		    am_buf_str(&out));
	am_buf_release(&dom);
	am_buf_release(&txt);
	am_buf_release(&out);
}

/* redirect - §6.1: the target's result; none there is permerror. */
static enum am_spf_res
redirect(struct level *lv, const struct am_str *spec)
{
	struct am_buf dom;
	enum am_spf_res r = AM_SPF_PERMERROR;

	if (!am_spf_dns_count_term(&lv->ev->dns))
		return AM_SPF_PERMERROR;
	am_buf_init(&dom, DOMAIN_BUF);
	if (target(lv, spec->p, spec->len, &dom) == M_YES)
		r = check_host(lv->ev, am_buf_str(&dom), lv->depth + 1,
		    lv->is_include);
	if (r == AM_SPF_NONE) {
		lv->ev->reason[0] = '\0';
		set_reason(lv->ev, "redirect=%s has no SPF record",
		    am_buf_str(&dom));
		r = AM_SPF_PERMERROR;
	}
	am_buf_release(&dom);
	return r;
}

/* match_error - the result for a mechanism that did not simply match. */
static enum am_spf_res
match_error(struct level *lv, enum match m)
{
	struct am_spf_eval *ev = lv->ev;

	if (ev->dns.is_limit_hit) {
		set_reason(ev, "%s", ev->dns.why);
		return AM_SPF_PERMERROR;
	}
	if (m == M_TEMP) {
		set_reason(ev, "%s", ev->dns.why);
		return AM_SPF_TEMPERROR;
	}
	set_reason(ev, "error in the SPF record of %s", lv->domain);
	return AM_SPF_PERMERROR;
}

/* evaluate - the directives in order, then redirect= (§4.6.2, §6.1). */
static enum am_spf_res
evaluate(struct level *lv, const char *rec)
{
	const char *p = rec + 6;
	struct am_str t, v, redir = { NULL, 0 }, exp = { NULL, 0 };
	enum am_spf_res r;
	enum match m;
	char q;

	while (next_term(&p, &t)) {
		if (modifier(&t, "redirect", &v))
			redir = v;
		else if (modifier(&t, "exp", &v))
			exp = v;
	}
	for (p = rec + 6; next_term(&p, &t);) {
		if (modifier(&t, NULL, &v))
			continue;	/* §6: unknown modifiers are ignored */
		q = strchr("+-~?", *t.p) != NULL ? *t.p : '+';
		m = mechanism(lv, t.p + (q == *t.p), t.p + t.len);
		if (m == M_NO && !lv->ev->dns.is_limit_hit)
			continue;
		if (m != M_YES || lv->ev->dns.is_limit_hit)
			return match_error(lv, m);
		r = qualified(q);
		if (r == AM_SPF_FAIL && !lv->is_include && exp.p != NULL)
			explain(lv, &exp);
		return r;
	}
	return redir.p != NULL ? redirect(lv, &redir) : AM_SPF_NEUTRAL;
}

/* record_error - the result for a record that cannot be used. */
static enum am_spf_res
record_error(struct am_spf_eval *ev, enum am_spf_dns_rec rc,
    const char *domain)
{
	switch (rc) {
	case AM_SPF_REC_TEMPERROR:
		set_reason(ev, "%s", ev->dns.why);
		return ev->dns.is_limit_hit ? AM_SPF_PERMERROR :
		    AM_SPF_TEMPERROR;
	case AM_SPF_REC_NONE:
		set_reason(ev, "no SPF record for %s", domain);
		return AM_SPF_NONE;
	case AM_SPF_REC_MULTIPLE:
		set_reason(ev, "multiple SPF records for %s", domain);
		return AM_SPF_PERMERROR;
	default:
		set_reason(ev, "syntax error in the SPF record of %s", domain);
		return AM_SPF_PERMERROR;
	}
}

/* check_host - RFC 7208 §4 for one domain. */
static enum am_spf_res
check_host(struct am_spf_eval *ev, const char *domain, int depth,
    bool is_include)
{
	struct level lv;
	struct am_buf rec;
	enum am_spf_dns_rec rc;
	enum am_spf_res r;

	if (depth > MAX_DEPTH) {
		set_reason(ev, "include/redirect nested too deeply");
		return AM_SPF_PERMERROR;
	}
	if (!is_fqdn(domain)) {
		set_reason(ev, "not a domain name: %s", domain);
		return AM_SPF_NONE;
	}
	am_buf_init(&rec, 65536);
	rc = am_spf_dns_record(&ev->dns, domain, &rec);
	if (rc != AM_SPF_REC_FOUND) {
		am_buf_release(&rec);
		return record_error(ev, rc, domain);
	}
	memset(&lv, 0, sizeof(lv));
	lv.ev = ev;
	lv.domain = domain;
	lv.depth = depth;
	lv.is_include = is_include;
	lv.env.sender = ev->sender;
	lv.env.domain = domain;
	lv.env.helo = ev->helo;
	lv.env.receiver = ev->receiver;
	lv.env.client = ev->client;
	lv.env.ptr_name = ptr_name;
	lv.env.arg = ev;
	r = evaluate(&lv, am_buf_str(&rec));
	am_buf_release(&rec);
	return r;
}

/* am_spf_record_check - check_host() for domain. */
enum am_spf_res
am_spf_record_check(struct am_spf_eval *ev, const char *domain)
{
	enum am_spf_res r;

	if (ev == NULL || domain == NULL || ev->client == NULL ||
	    ev->sender == NULL || ev->helo == NULL || ev->receiver == NULL ||
	    ev->dns.dns == NULL)
		AM_PANIC("am_spf_record_check: NULL argument");
	ev->reason[0] = '\0';
	ev->explanation[0] = '\0';
	r = check_host(ev, domain, 0, false);
	if (r == AM_SPF_PASS || r == AM_SPF_FAIL || r == AM_SPF_SOFTFAIL ||
	    r == AM_SPF_NEUTRAL)
		ev->reason[0] = '\0';	/* from an include that did not match */
	return r;
}
