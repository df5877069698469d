/*
 * spf_dns.c - DNS for one SPF check over lib/dns: RFC 7208 §4.6.4 limits
 * (DNS terms, void lookups, a query safety net), CNAMEs that local data
 * leaves unchased, §4.5 record selection and the §12 syntax check.
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

#include "spf_dns.h"

#define MAX_CNAME_LINKS 8	/* CNAMEs followed per lookup */

/* settext - format into a fixed field; these texts may be cut short. */
static void AM_FMT(3, 4)
settext(char *dst, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(dst, size, fmt, ap);
	va_end(ap);
}

/* am_spf_dns_name - uncompressed wire name p[0..len) as dotted text. */
enum am_status
am_spf_dns_name(const uint8_t *p, size_t len, struct am_buf *out)
{
	size_t off = 0;

	am_buf_reset(out);
	while (off < len && p[off] != 0) {
		size_t l = p[off++];

		if (l > 63 || off + l > len)
			return AM_PERMFAIL;
		if (out->len > 0 && am_buf_putc(out, '.') != AM_OK)
			return AM_PERMFAIL;
		if (am_buf_append(out, p + off, l) != AM_OK)
			return AM_PERMFAIL;
		off += l;
	}
	if (off >= len)
		return AM_PERMFAIL;
	return out->len > 0 ? AM_OK : AM_PERMFAIL;
}

/* hit_limit - record a limit exceeded; later lookups get TEMPERROR. */
static void
hit_limit(struct am_spf_dns_check *chk, const char *what)
{
	if (!chk->is_limit_hit)
		settext(chk->why, sizeof(chk->why), "%s", what);
	chk->is_limit_hit = true;
}

/* am_spf_dns_count_term - one more DNS term; false past the limit. */
bool
am_spf_dns_count_term(struct am_spf_dns_check *chk)
{
	if (++chk->terms > AM_SPF_DNS_MAX_TERMS)
		hit_limit(chk, "more than 10 DNS terms");
	return !chk->is_limit_hit;
}

/* pkt_name - the (possibly compressed) name at *off in the packet as
 * dotted text; *off moves past it. Labels with dots, spaces, backslashes
 * or non-ASCII are refused (they cannot be asked for again as text). */
static bool
pkt_name(const uint8_t *pkt, size_t len, size_t *off, struct am_buf *out)
{
	size_t o = *off, jumps = 0, i;
	bool has_jumped = false;

	am_buf_reset(out);
	while (o < len && pkt[o] != 0) {
		size_t l = pkt[o];

		if ((l & 0xc0) == 0xc0) {
			if (o + 1 >= len || ++jumps > 16)
				return false;
			if (!has_jumped)
				*off = o + 2;
			has_jumped = true;
			o = ((l & 0x3f) << 8) | pkt[o + 1];
			continue;
		}
		if (l > 63 || o + 1 + l > len)
			return false;
		for (i = o + 1; i <= o + l; i++)
			if (pkt[i] <= 0x20 || pkt[i] >= 0x7f || pkt[i] == '.' ||
			    pkt[i] == '\\')
				return false;
		if ((out->len > 0 && am_buf_putc(out, '.') != AM_OK) ||
		    am_buf_append(out, pkt + o + 1, l) != AM_OK)
			return false;
		o += 1 + l;
	}
	if (o >= len)
		return false;
	if (!has_jumped)
		*off = o + 1;
	return true;
}

/* u16 - big-endian 16 bits at p. */
static unsigned
u16(const uint8_t *p)
{
	return ((unsigned)p[0] << 8) | p[1];
}

/* cname_of - the target of name's CNAME in the answer section, if any. */
static bool
cname_of(const struct am_dns_answer *ans, const char *name,
    struct am_buf *target)
{
	const uint8_t *pkt = ans->packet;
	size_t len = ans->packet_len, off = 12, rd;
	unsigned qd, an, type;
	struct am_buf owner;
	bool found = false;

	if (pkt == NULL || len < 12)
		return false;
	qd = u16(pkt + 4);
	an = u16(pkt + 6);
	am_buf_init(&owner, 1024);
	while (qd-- > 0 && pkt_name(pkt, len, &off, &owner))
		off += 4;
	while (!found && an-- > 0 && off <= len &&
	    pkt_name(pkt, len, &off, &owner) && off + 10 <= len) {
		type = u16(pkt + off);
		rd = off + 10;
		off = rd + u16(pkt + off + 8);
		if (type == ns_t_cname && off <= len &&
		    strcasecmp(am_buf_str(&owner), name) == 0)
			found = pkt_name(pkt, len, &rd, target);
	}
	am_buf_release(&owner);
	return found;
}

/* query - one am_dns query within the deadline and the safety net. */
static void
query(struct am_spf_dns_check *chk, const char *name, int rrtype,
    struct am_dns_answer *ans)
{
	struct am_dns_query *q;

	if (chk->is_limit_hit || ++chk->queries > AM_SPF_DNS_MAX_QUERIES) {
		hit_limit(chk, "too many DNS queries");
		memset(ans, 0, sizeof(*ans));
		ans->result = AM_DNS_TEMPERROR;
		ans->rcode = -1;
		settext(ans->why, sizeof(ans->why), "%s", chk->why);
		return;
	}
	q = am_dns_start(chk->dns, name, rrtype);
	am_dns_wait(q, chk->deadline_ms, ans);
	q = am_dns_query_free(q);
}

/* chase - follow CNAMEs the answer holds without the records asked for. */
static void
chase(struct am_spf_dns_check *chk, const char *name, int rrtype,
    struct am_dns_answer *ans)
{
	struct am_buf cur, next;
	int links = 0;

	am_buf_init(&cur, 1024);
	am_buf_init(&next, 1024);
	(void)am_buf_puts(&cur, name);
	if (cur.len > 1 && cur.data[cur.len - 1] == '.')
		am_buf_truncate(&cur, cur.len - 1);
	while (ans->result == AM_DNS_NODATA && rrtype != ns_t_cname &&
	    cname_of(ans, am_buf_str(&cur), &next)) {
		am_dns_answer_release(ans);
		if (++links > MAX_CNAME_LINKS) {
			memset(ans, 0, sizeof(*ans));
			ans->result = AM_DNS_TEMPERROR;
			ans->rcode = -1;
			settext(ans->why, sizeof(ans->why), "CNAME loop");
			break;
		}
		query(chk, am_buf_str(&next), rrtype, ans);
		am_buf_reset(&cur);
		(void)am_buf_puts(&cur, am_buf_str(&next));
	}
	am_buf_release(&cur);
	am_buf_release(&next);
}

/* am_spf_dns_lookup - one lookup with the check's limits applied. */
void
am_spf_dns_lookup(struct am_spf_dns_check *chk, const char *name, int rrtype,
    bool is_void_counted, struct am_dns_answer *ans)
{
	if (chk == NULL || name == NULL || ans == NULL)
		AM_PANIC("am_spf_dns_lookup: NULL argument");
	query(chk, name, rrtype, ans);
	chase(chk, name, rrtype, ans);
	if (ans->result == AM_DNS_TEMPERROR && !chk->is_limit_hit) {
		chk->has_temperror = true;
		settext(chk->why, sizeof(chk->why), "DNS %s: %s", name,
		    ans->why[0] ? ans->why : "temporary failure");
	} else if ((ans->result == AM_DNS_NXDOMAIN ||
	    ans->result == AM_DNS_NODATA) && is_void_counted &&
	    ++chk->voids > chk->void_limit) {
		hit_limit(chk, "void lookup limit exceeded");
		ans->result = AM_DNS_TEMPERROR;
	}
}

/* ----------------------------------------- record syntax (RFC 7208 §12) */

/* macro_string - *( macro-expand / macro-literal ) from p up to end;
 * exp allows the c, r, t letters (only in explanation texts). */
static bool
macro_string(const char *p, const char *end, bool is_exp)
{
	const char *letters = is_exp ? "slodiphcrtv" : "slodiphv";

	while (p < end) {
		unsigned char c = (unsigned char)*p++;

		if (c != '%') {
			if (c < 0x21 || c > 0x7e)
				return false;
			continue;
		}
		if (p < end && strchr("%_-", *p) != NULL && *p != '\0') {
			p++;
			continue;
		}
		if (p >= end || *p++ != '{' || p >= end ||
		    strchr(letters, tolower((unsigned char)*p)) == NULL)
			return false;
		p++;
		while (p < end && isdigit((unsigned char)*p))
			p++;
		if (p < end && (*p == 'r' || *p == 'R'))
			p++;
		while (p < end && strchr(".-+,/_=", *p) != NULL && *p != '\0')
			p++;
		if (p >= end || *p++ != '}')
			return false;
	}
	return true;
}

/* toplabel - RFC 7208 §7.1: alphanumerics with a letter, or with an
 * inner hyphen; not all digits. */
static bool
toplabel(const char *p, const char *end)
{
	bool has_alpha = false;
	const char *q;

	if (p >= end || !isalnum((unsigned char)*p) ||
	    !isalnum((unsigned char)end[-1]))
		return false;
	for (q = p; q < end; q++) {
		if (isalpha((unsigned char)*q) || *q == '-')
			has_alpha = true;
		else if (!isdigit((unsigned char)*q))
			return false;
	}
	return has_alpha;
}

/* domain_spec - macro-string domain-end: ends in a macro or "." toplabel
 * with an optional trailing dot. */
static bool
domain_spec(const char *p, const char *end)
{
	const char *dot;

	if (p >= end || !macro_string(p, end, false))
		return false;
	if (end[-1] == '}')
		return true;
	if (end - p > 1 && end[-1] == '.')
		end--;
	for (dot = end - 1; dot > p && *dot != '.'; dot--)
		;
	if (*dot != '.' || memchr(dot + 1, '%', (size_t)(end - dot - 1)))
		return false;
	return toplabel(dot + 1, end);
}

/* cidr - "/" then 0 or a number without a leading zero, <= max. */
static bool
cidr(const char **pp, const char *end, int max)
{
	const char *p = *pp + 1;
	int v = 0, n = 0;

	while (p < end && isdigit((unsigned char)*p) && n < 4)
		v = v * 10 + (*p++ - '0'), n++;
	if (n == 0 || (n > 1 && (*pp)[1] == '0') || v > max)
		return false;
	*pp = p;
	return true;
}

/* dual_cidr - [ "/" ip4-cidr ] [ "//" ip6-cidr ] at the end of [p, end). */
static const char *
dual_cidr(const char *p, const char *end, bool *ok)
{
	const char *s = p, *q;

	*ok = true;
	/* the cidr part starts at the first '/' followed only by digits/'/' */
	for (q = p; q < end; q++) {
		if (*q == '/' && strspn(q, "0123456789/") >= (size_t)(end - q))
			break;
	}
	s = q;
	if (s < end && s + 1 < end && s[1] != '/' && !cidr(&s, end, 32))
		*ok = false;
	if (*ok && s < end) {
		if (end - s < 3 || s[0] != '/' || s[1] != '/')
			*ok = false;
		else {
			s++;
			*ok = cidr(&s, end, 128) && s == end;
		}
	}
	return q;
}

/* ip_net - ":" address [ "/" cidr ] for ip4 or ip6. */
static bool
ip_net(const char *p, const char *end, int af)
{
	char buf[64];
	unsigned char bin[16];
	const char *slash;
	size_t len;

	if (p >= end || *p++ != ':')
		return false;
	slash = memchr(p, '/', (size_t)(end - p));
	len = (size_t)((slash ? slash : end) - p);
	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, p, len);
	buf[len] = '\0';
	if (inet_pton(af, buf, bin) != 1)
		return false;
	if (slash == NULL)
		return true;
	return cidr(&slash, end, af == AF_INET ? 32 : 128) && slash == end;
}

/* mechanism - one directive without its qualifier, [p, end). */
static bool
mechanism(const char *p, const char *end)
{
	size_t n = strcspn(p, ":/");
	const char *arg, *dend;
	bool ok;

	if (p + n > end)
		n = (size_t)(end - p);
	arg = p + n;
	if (n == 3 && strncasecmp(p, "all", 3) == 0)
		return arg == end;
	if ((n == 7 && strncasecmp(p, "include", 7) == 0) ||
	    (n == 6 && strncasecmp(p, "exists", 6) == 0))
		return arg < end && *arg == ':' && domain_spec(arg + 1, end);
	if (n == 3 && strncasecmp(p, "ptr", 3) == 0)
		return arg == end || (*arg == ':' && domain_spec(arg + 1, end));
	if ((n == 1 && tolower((unsigned char)*p) == 'a') ||
	    (n == 2 && strncasecmp(p, "mx", 2) == 0)) {
		dend = dual_cidr(arg, end, &ok);
		if (!ok)
			return false;
		return arg == dend || (*arg == ':' && domain_spec(arg + 1, dend));
	}
	if (n == 3 && strncasecmp(p, "ip4", 3) == 0)
		return ip_net(arg, end, AF_INET);
	if (n == 3 && strncasecmp(p, "ip6", 3) == 0)
		return ip_net(arg, end, AF_INET6);
	return false;
}

/* term - one directive or modifier; counts redirect= and exp=. */
static bool
term(const char *p, const char *end, int *redirects, int *exps)
{
	size_t n = strcspn(p, "=:/ ");
	size_t i;

	if (p + n < end && p[n] == '=') {
		if (n == 0 || !isalpha((unsigned char)*p))
			return false;
		for (i = 0; i < n; i++)
			if (!isalnum((unsigned char)p[i]) &&
			    strchr("-_.", p[i]) == NULL)
				return false;
		if (n == 8 && strncasecmp(p, "redirect", 8) == 0)
			return ++*redirects == 1 && domain_spec(p + 9, end);
		if (n == 3 && strncasecmp(p, "exp", 3) == 0)
			return ++*exps == 1 && domain_spec(p + 4, end);
		return macro_string(p + n + 1, end, false);
	}
	if (strchr("+-?~", *p) != NULL)
		p++;
	return mechanism(p, end);
}

/* record_valid - the whole record against the RFC 7208 §12 ABNF. */
static bool
record_valid(const char *rec)
{
	const char *p = rec + 6, *end;
	int redirects = 0, exps = 0;

	for (;;) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			return true;
		if (p[-1] != ' ')
			return false;
		end = p + strcspn(p, " ");
		if (!term(p, end, &redirects, &exps))
			return false;
		p = end;
	}
}

/* is_spf1 - RFC 7208 §4.5: "v=spf1" then a space or the end. */
static bool
is_spf1(const char *txt)
{
	return strncasecmp(txt, "v=spf1", 6) == 0 &&
	    (txt[6] == ' ' || txt[6] == '\0');
}

/* am_spf_dns_record - the one SPF record of domain (RFC 7208 §4.5). */
enum am_spf_dns_rec
am_spf_dns_record(struct am_spf_dns_check *chk, const char *domain,
    struct am_buf *rec)
{
	struct am_dns_answer ans;
	struct am_buf txt;
	enum am_spf_dns_rec r = AM_SPF_REC_NONE;
	size_t i, n = 0;

	am_buf_reset(rec);
	am_spf_dns_lookup(chk, domain, ns_t_txt, false, &ans);
	if (ans.result == AM_DNS_TEMPERROR)
		r = AM_SPF_REC_TEMPERROR;
	am_buf_init(&txt, 65536);
	for (i = 0; ans.result == AM_DNS_OK && i < ans.count; i++) {
		if (am_dns_txt(&ans, i, &txt) != AM_OK ||
		    !is_spf1(am_buf_str(&txt)))
			continue;
		if (n++ == 0 && am_buf_append(rec, txt.data, txt.len) != AM_OK)
			r = AM_SPF_REC_SYNTAX;	/* over the cap */
	}
	am_buf_release(&txt);
	am_dns_answer_release(&ans);
	if (n > 1)
		return AM_SPF_REC_MULTIPLE;
	if (n == 0 || r != AM_SPF_REC_NONE)
		return r;
	/* a NUL byte would cut the record short: a syntax error instead */
	if (strlen(am_buf_str(rec)) != rec->len ||
	    !record_valid(am_buf_str(rec)))
		return AM_SPF_REC_SYNTAX;
	return AM_SPF_REC_FOUND;
}

/* am_spf_dns_exp_text - the one TXT record at domain, joined (§6.2). */
enum am_status
am_spf_dns_exp_text(struct am_spf_dns_check *chk, const char *domain,
    struct am_buf *txt)
{
	struct am_dns_answer ans;
	enum am_status st = AM_PERMFAIL;
	struct am_spf_dns_check own = *chk;

	/* not counted: RFC 7208 §6.2 is evaluated after the result */
	own.is_limit_hit = false;
	own.queries = 0;
	am_spf_dns_lookup(&own, domain, ns_t_txt, false, &ans);
	if (ans.result == AM_DNS_OK && ans.count == 1)
		st = am_dns_txt(&ans, 0, txt);
	am_dns_answer_release(&ans);
	if (st == AM_OK && strlen(am_buf_str(txt)) != txt->len)
		st = AM_PERMFAIL;
	return st;
}
