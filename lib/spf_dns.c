/*
 * spf_dns.c - libspf2 SPF_dns_server_t layer over lib/dns (LIBRARY-NOTES §3).
 *
 * Answers are built with SPF_dns_rr_new_init() and SPF_dns_rr_buf_realloc()
 * from am_dns's uncompressed rdata. RFC 7208 §4.6.4 limits that libspf2 lacks
 * (void lookups, MX over 10 names) are counted here per check, in the state
 * the thread-local pointer names (see spf_dns.h for why a thread-local).
 */
#include "autoconf.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include <netinet/in.h>
#include <spf2/spf.h>

#include "am.h"
#include "buf.h"
#include "dns.h"
#include "xalloc.h"

#include "spf_dns.h"

/* RFC 7208 §4.6.4: an mx term with more than 10 names is a permerror. */
#define MAX_MX_NAMES 10

/* The check running on this thread, between begin and end; NULL otherwise. */
static _Thread_local struct am_spf_dns_check *current;

/* settext - format into a fixed field; these texts may be cut short. */
static void AM_FMT(3, 4)
settext(char *dst, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(dst, size, fmt, ap);
	va_end(ap);
}

/* am_spf_dns_begin - make chk the current check of this thread. */
void
am_spf_dns_begin(struct am_spf_dns_check *chk)
{
	if (chk == NULL || current != NULL)
		AM_PANIC("am_spf_dns_begin: NULL check or nested check");
	current = chk;
}

/* am_spf_dns_end - no current check on this thread. */
void
am_spf_dns_end(void)
{
	current = NULL;
}

/* new_rr - an answer with no records; libspf2 must never see NULL. */
static SPF_dns_rr_t *
new_rr(SPF_dns_server_t *srv, const char *domain, ns_type type, int ttl,
    SPF_dns_stat_t herrno)
{
	SPF_dns_rr_t *rr;

	rr = SPF_dns_rr_new_init(srv, domain, type, ttl, herrno);
	if (rr == NULL)
		AM_PANIC("libspf2: out of memory for a DNS answer");
	return rr;
}

/* rr_slot - room for len bytes in record i of rr. */
static void
rr_slot(SPF_dns_rr_t *rr, int i, size_t len)
{
	if (SPF_dns_rr_buf_realloc(rr, i, len) != SPF_E_SUCCESS)
		AM_PANIC("libspf2: out of memory for a DNS record");
}

/* wire_name - uncompressed wire name at p[0..len) as dotted text in out. */
static enum am_status
wire_name(const uint8_t *p, size_t len, struct am_buf *out)
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

/* put_text - store a C string as record i (MX, PTR, TXT). */
static void
put_text(SPF_dns_rr_t *rr, int i, const char *s, size_t len)
{
	rr_slot(rr, i, len + 1);
	memcpy(rr->rr[i]->txt, s, len);
	rr->rr[i]->txt[len] = '\0';
}

/* fix_txt - RFC 7208 §4.5: "v=spf1" alone is a record; libspf2 wants
 * "v=spf1 " (with the space) to recognise it. */
static void
fix_txt(struct am_buf *txt)
{
	if (txt->len == 6 && strncasecmp(am_buf_str(txt), "v=spf1", 6) == 0)
		(void)am_buf_putc(txt, ' ');
}

/* fill_one - convert record i of ans into rr slot *n; skip malformed ones. */
static void
fill_one(SPF_dns_rr_t *rr, const struct am_dns_answer *ans, size_t i,
    ns_type type, struct am_buf *tmp, int *n)
{
	const uint8_t *d = ans->data[i];
	size_t len = ans->len[i];

	switch (type) {
	case ns_t_a:
		if (len != 4)
			return;
		rr_slot(rr, *n, sizeof(struct in_addr));
		memcpy(&rr->rr[*n]->a, d, 4);
		break;
	case ns_t_aaaa:
		if (len != 16)
			return;
		rr_slot(rr, *n, sizeof(struct in6_addr));
		memcpy(&rr->rr[*n]->aaaa, d, 16);
		break;
	case ns_t_mx:
		if (len < 3 || wire_name(d + 2, len - 2, tmp) != AM_OK)
			return;
		put_text(rr, *n, am_buf_str(tmp), tmp->len);
		break;
	case ns_t_ptr:
		if (wire_name(d, len, tmp) != AM_OK)
			return;
		put_text(rr, *n, am_buf_str(tmp), tmp->len);
		break;
	case ns_t_txt:
		if (am_dns_txt(ans, i, tmp) != AM_OK)
			return;
		fix_txt(tmp);
		/* libspf2 reads C strings: a NUL byte becomes 0x01, which the
		 * record syntax check rejects (permerror, not a cut record). */
		for (size_t k = 0; k < tmp->len; k++)
			if (tmp->data[k] == '\0')
				tmp->data[k] = '\001';
		put_text(rr, *n, am_buf_str(tmp), tmp->len);
		break;
	default:
		return;
	}
	(*n)++;
}

/* fill_records - all usable records of ans into rr. */
static void
fill_records(SPF_dns_rr_t *rr, const struct am_dns_answer *ans, ns_type type)
{
	struct am_buf tmp;
	size_t i;
	int n = 0;

	am_buf_init(&tmp, 65536);
	for (i = 0; i < ans->count && i < 1000; i++)
		fill_one(rr, ans, i, type, &tmp, &n);
	am_buf_release(&tmp);
	rr->num_rr = n;
	if (n == 0)
		rr->herrno = NO_DATA;
}

/* hit_limit - record a limit exceeded; later lookups get TRY_AGAIN. */
static void
hit_limit(struct am_spf_dns_check *chk, const char *what)
{
	if (!chk->is_limit_hit)
		settext(chk->why, sizeof(chk->why), "%s", what);
	chk->is_limit_hit = true;
}

/* count_void - RFC 7208 §4.6.4: more than void_limit void answers. */
static bool
count_void(struct am_spf_dns_check *chk)
{
	if (++chk->voids > chk->void_limit) {
		hit_limit(chk, "void lookup limit exceeded");
		return true;
	}
	return false;
}

/* resolve - one query through am_dns, answer in libspf2 form. */
static SPF_dns_rr_t *
resolve(SPF_dns_server_t *srv, struct am_spf_dns_check *chk,
    const char *domain, ns_type type)
{
	struct am_dns *dns = srv->hook;
	struct am_dns_query *q;
	struct am_dns_answer ans;
	SPF_dns_rr_t *rr;

	memset(&ans, 0, sizeof(ans));
	q = am_dns_start(dns, domain, type);
	am_dns_wait(q, chk->deadline_ms, &ans);
	q = am_dns_query_free(q);
	switch (ans.result) {
	case AM_DNS_OK:
		rr = new_rr(srv, domain, type, (int)ans.ttl, NETDB_SUCCESS);
		fill_records(rr, &ans, type);
		break;
	case AM_DNS_NXDOMAIN:
		rr = new_rr(srv, domain, type, 0, HOST_NOT_FOUND);
		break;
	case AM_DNS_NODATA:
		rr = new_rr(srv, domain, type, 0, NO_DATA);
		break;
	default:
		chk->has_temperror = true;
		settext(chk->why, sizeof(chk->why), "DNS %s: %s",
		    domain, ans.why[0] ? ans.why : "temporary failure");
		rr = new_rr(srv, domain, type, 0, TRY_AGAIN);
		break;
	}
	am_dns_answer_release(&ans);
	return rr;
}

/* check_answer - apply the per-check limits to a fresh answer. */
static void
check_answer(struct am_spf_dns_check *chk, SPF_dns_rr_t *rr)
{
	if (rr->herrno == HOST_NOT_FOUND || rr->herrno == NO_DATA) {
		if (count_void(chk))
			rr->herrno = TRY_AGAIN;
	} else if (rr->herrno == NETDB_SUCCESS && rr->rr_type == ns_t_mx &&
	    rr->num_rr > MAX_MX_NAMES) {
		hit_limit(chk, "more than 10 MX names");
		rr->herrno = TRY_AGAIN;
		rr->num_rr = 0;
	}
}

/* layer_lookup - libspf2's lookup hook; never returns NULL. */
static SPF_dns_rr_t *
layer_lookup(SPF_dns_server_t *srv, const char *domain, ns_type type,
    int should_cache)
{
	struct am_spf_dns_check *chk = current;
	SPF_dns_rr_t *rr;

	(void)should_cache;
	if (domain == NULL)
		domain = "";
	if (type != ns_t_a && type != ns_t_aaaa && type != ns_t_mx &&
	    type != ns_t_ptr && type != ns_t_txt)
		return new_rr(srv, domain, type, 0, NO_DATA);
	if (chk == NULL || chk->is_limit_hit)
		return new_rr(srv, domain, type, 0, TRY_AGAIN);
	if (++chk->queries > AM_SPF_DNS_MAX_QUERIES) {
		hit_limit(chk, "too many DNS queries");
		return new_rr(srv, domain, type, 0, TRY_AGAIN);
	}
	rr = resolve(srv, chk, domain, type);
	check_answer(chk, rr);
	return rr;
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

/* get_done - set the response's result for a record that is not used. */
static SPF_errcode_t
get_done(SPF_response_t *resp, SPF_result_t result, SPF_errcode_t err,
    const char *what, const char *domain)
{
	resp->result = result;
	resp->reason = SPF_REASON_FAILURE;
	resp->err = err;
	return SPF_response_add_error(resp, err, "%s '%s'", what, domain);
}

/* layer_get_spf - libspf2's record hook (top level, include, redirect):
 * one TXT query (no type 99), RFC 7208 §4.5 record selection, and the
 * result set explicitly (libspf2 leaves it unset for some failures). */
static SPF_errcode_t
layer_get_spf(SPF_server_t *server, SPF_request_t *req, SPF_response_t *resp,
    SPF_record_t **recordp)
{
	const char *domain = req->cur_dom;
	SPF_dns_rr_t *rr;
	SPF_errcode_t err;
	int i, found = -1, n = 0;

	*recordp = NULL;
	if (domain == NULL)
		return get_done(resp, SPF_RESULT_PERMERROR, SPF_E_NOT_CONFIG,
		    "no domain", "");
	rr = layer_lookup(server->resolver, domain, ns_t_txt, 1);
	if (rr->herrno == TRY_AGAIN) {
		SPF_dns_rr_free(rr);
		return get_done(resp, SPF_RESULT_TEMPERROR, SPF_E_DNS_ERROR,
		    "temporary DNS failure for", domain);
	}
	for (i = 0; rr->herrno == NETDB_SUCCESS && i < rr->num_rr; i++)
		if (is_spf1(rr->rr[i]->txt) && n++ == 0)
			found = i;
	if (n != 1) {
		SPF_dns_rr_free(rr);
		return n == 0 ? get_done(resp, SPF_RESULT_NONE, SPF_E_NOT_SPF,
		    "no SPF record for", domain) : get_done(resp,
		    SPF_RESULT_PERMERROR, SPF_E_MULTIPLE_RECORDS,
		    "multiple SPF records for", domain);
	}
	err = record_valid(rr->rr[found]->txt) ? SPF_E_SUCCESS : SPF_E_SYNTAX;
	if (err == SPF_E_SUCCESS)
		err = SPF_record_compile(server, resp, recordp,
		    rr->rr[found]->txt);
	SPF_dns_rr_free(rr);
	if (err != SPF_E_SUCCESS) {
		if (*recordp != NULL)
			SPF_record_free(*recordp);
		*recordp = NULL;
		return get_done(resp, SPF_RESULT_PERMERROR, err,
		    "syntax error in the SPF record of", domain);
	}
	return SPF_E_SUCCESS;
}

/* exp_text - the one TXT record at domain, joined; AM_OK or not usable. */
static enum am_status
exp_text(struct am_dns *dns, struct am_spf_dns_check *chk,
    const char *domain, struct am_buf *txt)
{
	struct am_dns_query *q;
	struct am_dns_answer ans;
	enum am_status st = AM_PERMFAIL;

	memset(&ans, 0, sizeof(ans));
	q = am_dns_start(dns, domain, ns_t_txt);
	am_dns_wait(q, chk->deadline_ms, &ans);
	q = am_dns_query_free(q);
	/* RFC 7208 §6.2: anything but exactly one TXT record: no explanation */
	if (ans.result == AM_DNS_OK && ans.count == 1)
		st = am_dns_txt(&ans, 0, txt);
	am_dns_answer_release(&ans);
	if (st == AM_OK && strlen(am_buf_str(txt)) != txt->len)
		st = AM_PERMFAIL;
	return st;
}

/* layer_get_exp - libspf2's explanation hook: domain is the expanded exp=
 * target; the result goes into *bufp (malloc'ed, libspf2 frees it). */
static SPF_errcode_t
layer_get_exp(SPF_server_t *server, const char *domain, char **bufp,
    size_t *buflenp)
{
	struct am_spf_dns_check *chk = current;
	struct am_buf txt, out;
	enum am_status st;
	char *p;

	if (chk == NULL || domain == NULL || *domain == '\0')
		return SPF_E_NOT_SPF;
	am_buf_init(&txt, 4096);
	am_buf_init(&out, 4096);
	st = exp_text(server->resolver->hook, chk, domain, &txt);
	if (st == AM_OK && chk->expand_exp != NULL)
		st = chk->expand_exp(chk, am_buf_str(&txt), &out);
	else if (st == AM_OK)
		st = am_buf_puts(&out, am_buf_str(&txt));
	am_buf_release(&txt);
	if (st != AM_OK) {
		am_buf_release(&out);
		return SPF_E_NOT_SPF;
	}
	if (*buflenp < out.len + 1) {
		p = realloc(*bufp, out.len + 1);
		if (p == NULL)
			AM_PANIC("out of memory for an explanation");
		*bufp = p;
		*buflenp = out.len + 1;
	}
	memcpy(*bufp, am_buf_str(&out), out.len + 1);
	am_buf_release(&out);
	return SPF_E_SUCCESS;
}

/* am_spf_dns_free - release the layer; accepts NULL, returns NULL. */
SPF_dns_server_t *
am_spf_dns_free(SPF_dns_server_t *srv)
{
	free(srv);
	return NULL;
}

/* am_spf_dns_new - the layer over dns (borrowed). */
SPF_dns_server_t *
am_spf_dns_new(struct am_dns *dns)
{
	SPF_dns_server_t *srv;

	if (dns == NULL)
		AM_PANIC("am_spf_dns_new: NULL dns");
	srv = am_xcalloc(1, sizeof(*srv));
	srv->destroy = NULL;	/* ours: libspf2 must not free it */
	srv->lookup = layer_lookup;
	srv->get_spf = layer_get_spf;
	srv->get_exp = layer_get_exp;
	srv->add_cache = NULL;
	srv->layer_below = NULL;
	srv->name = "authmilter";
	srv->debug = 0;
	srv->hook = dns;
	return srv;
}
