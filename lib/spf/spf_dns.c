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
#include <sys/random.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <spf2/spf.h>

#include "core/am.h"
#include "core/buf.h"
#include "dns/dns.h"
#include "core/xalloc.h"

#include "spf/spf_dns.h"
#include "spf/spf_rewrite.h"

/* RFC 7208 §4.6.4: an mx term with more than 10 names is a permerror. */
#define MAX_MX_NAMES 10
/* RFC 7208 §4.6.4: at most 10 DNS terms per check, include/redirect too. */
#define MAX_DNS_TERMS 10
#define MAX_CNAME_LINKS 8	/* CNAMEs followed per lookup */
#define TAG_LEN 17		/* "._amX" and 12 hex digits */

/* The layer: libspf2's server first (srv == (SPF_dns_server_t *)layer). */
struct layer {
	SPF_dns_server_t srv;
	struct am_dns *dns;		/* borrowed */
	char tag[3][TAG_LEN + 1];	/* term, zero, sub (spf_rewrite.h) */
};

enum tag_kind { TAG_NONE = -1, TAG_TERM = 0, TAG_ZERO = 1, TAG_SUB = 2 };

/* The check running on this thread, between begin and end; NULL otherwise. */
static _Thread_local struct am_spf_dns_check *current;


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
		AM_SNPRINTF_FIT(chk->why, sizeof(chk->why), "%s", what);
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

/* query_chased - one am_dns query; a NODATA answer that holds only a
 * CNAME for the name (libunbound local data does not chase it) is
 * followed, at most MAX_CNAME_LINKS links (more: a loop, TEMPERROR). */
static void
query_chased(struct am_dns *dns, struct am_spf_dns_check *chk,
    const char *name, ns_type type, struct am_dns_answer *ans)
{
	struct am_dns_query *q;
	struct am_buf cur, next;
	int links = 0;

	am_buf_init(&cur, 1024);
	am_buf_init(&next, 1024);
	(void)am_buf_puts(&cur, name);
	for (;;) {
		q = am_dns_start_by(dns, am_buf_str(&cur), type,
		    chk->deadline_ms);
		am_dns_wait(q, chk->deadline_ms, ans);
		q = am_dns_query_free(q);
		if (cur.len > 1 && cur.data[cur.len - 1] == '.')
			am_buf_truncate(&cur, cur.len - 1);
		if (ans->result != AM_DNS_NODATA ||
		    !cname_of(ans, am_buf_str(&cur), &next))
			break;
		am_dns_answer_release(ans);
		if (++links > MAX_CNAME_LINKS) {
			ans->rcode = -1;
			(void)am_snprintf_cut(ans->why, sizeof(ans->why),
			    "CNAME loop at %s", name);
			break;	/* released: an empty TEMPERROR answer */
		}
		am_buf_reset(&cur);
		(void)am_buf_puts(&cur, am_buf_str(&next));
	}
	am_buf_release(&cur);
	am_buf_release(&next);
}

/* resolve - one lookup of name (CNAMEs chased), answer in libspf2 form
 * for domain (the name libspf2 asked for). */
static SPF_dns_rr_t *
resolve(SPF_dns_server_t *srv, struct am_spf_dns_check *chk,
    const char *domain, const char *name, ns_type type)
{
	struct am_dns_answer ans;
	SPF_dns_rr_t *rr;

	memset(&ans, 0, sizeof(ans));
	query_chased(((struct layer *)srv)->dns, chk, name, type, &ans);
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
		(void)am_snprintf_cut(chk->why, sizeof(chk->why), "DNS %s: %s",
		    name, ans.why[0] ? ans.why : "temporary failure");
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

/* count_term - one more DNS term (RFC 7208 §4.6.4); false over the limit. */
static bool
count_term(struct am_spf_dns_check *chk)
{
	if (++chk->terms > MAX_DNS_TERMS)
		hit_limit(chk, "more than 10 DNS terms");
	return !chk->is_limit_hit;
}

/* cut253 - RFC 7208 §7.3: an expanded domain name over 253 characters
 * loses left-hand labels until it fits (libspf2 does not cut). */
static const char *
cut253(const char *name)
{
	const char *dot;

	while (strlen(name) > 253 && (dot = strchr(name, '.')) != NULL)
		name = dot + 1;
	return name;
}

/* untag - which tag of ours ends domain (spf_rewrite.h); *qname is the
 * name to look up: domain without the tag (copied into name), or domain
 * itself when untagged or too long for name (never a cut copy). */
static enum tag_kind
untag(const struct layer *ly, const char *domain, char *name, size_t size,
    const char **qname)
{
	size_t len = strlen(domain);
	int k;

	*qname = domain;
	if (len <= TAG_LEN || len >= size)
		return TAG_NONE;
	for (k = TAG_TERM; k <= TAG_SUB; k++)
		if (strcasecmp(domain + len - TAG_LEN, ly->tag[k]) == 0) {
			AM_SNPRINTF_FIT(name, size, "%.*s",
			    (int)(len - TAG_LEN), domain);
			*qname = name;
			return (enum tag_kind)k;
		}
	return TAG_NONE;
}

/* collapse - prefix length 0: a non-empty address answer becomes the
 * client's own address (any address matches); MX names get the sub tag so
 * that their address answers collapse too. */
static void
collapse(const struct layer *ly, const struct am_spf_dns_check *chk,
    SPF_dns_rr_t *rr)
{
	char name[1100];
	int i;

	if (rr->herrno != NETDB_SUCCESS || rr->num_rr <= 0)
		return;
	if (rr->rr_type == ns_t_a && chk->client_af == AF_INET) {
		rr->rr[0]->a = chk->client4;
		rr->num_rr = 1;
	} else if (rr->rr_type == ns_t_aaaa && chk->client_af == AF_INET6) {
		rr->rr[0]->aaaa = chk->client6;
		rr->num_rr = 1;
	} else if (rr->rr_type == ns_t_mx) {
		for (i = 0; i < rr->num_rr; i++) {
			/* An MX name too long to tag stays as it is: too
			 * long for a DNS name too, its lookup fails. */
			if (am_snprintf(name, sizeof(name), "%s%s",
			    rr->rr[i]->mx, ly->tag[TAG_SUB]) == AM_OK)
				put_text(rr, i, name, strlen(name));
		}
	}
}

/* layer_lookup - libspf2's lookup hook; never returns NULL. Names tagged
 * by spf_rewrite are a, mx and exists terms (counted; zero/sub: collapsed);
 * an untagged PTR query is a ptr term (libspf2's %{p} does one too). */
static SPF_dns_rr_t *
layer_lookup(SPF_dns_server_t *srv, const char *domain, ns_type type,
    int should_cache)
{
	struct layer *ly = (struct layer *)srv;
	struct am_spf_dns_check *chk = current;
	SPF_dns_rr_t *rr;
	enum tag_kind kind;
	const char *qname;
	char name[1100];

	(void)should_cache;
	if (domain == NULL)
		domain = "";
	if (type != ns_t_a && type != ns_t_aaaa && type != ns_t_mx &&
	    type != ns_t_ptr && type != ns_t_txt)
		return new_rr(srv, domain, type, 0, NO_DATA);
	if (chk == NULL || chk->is_limit_hit)
		return new_rr(srv, domain, type, 0, TRY_AGAIN);
	kind = untag(ly, domain, name, sizeof(name), &qname);
	if ((kind == TAG_TERM || kind == TAG_ZERO ||
	    (kind == TAG_NONE && type == ns_t_ptr)) && !count_term(chk))
		return new_rr(srv, domain, type, 0, TRY_AGAIN);
	if (++chk->queries > AM_SPF_DNS_MAX_QUERIES) {
		hit_limit(chk, "too many DNS queries");
		return new_rr(srv, domain, type, 0, TRY_AGAIN);
	}
	rr = resolve(srv, chk, domain, cut253(qname), type);
	check_answer(chk, rr);
	if (kind == TAG_ZERO || kind == TAG_SUB)
		collapse(ly, chk, rr);
	return rr;
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

/* compile - check txt's syntax, rewrite it for libspf2 (spf_rewrite.h)
 * and compile the result. */
static SPF_errcode_t
compile(SPF_server_t *server, SPF_response_t *resp, SPF_record_t **recordp,
    const char *txt)
{
	const struct layer *ly = (const struct layer *)server->resolver;
	struct am_spf_rewrite rw = {
		.is_ipv6 = current->client_af == AF_INET6,
		.tag_term = ly->tag[TAG_TERM],
		.tag_zero = ly->tag[TAG_ZERO],
	};
	struct am_buf out;
	SPF_errcode_t err = SPF_E_SYNTAX;

	if (!am_spf_record_valid(txt))
		return SPF_E_SYNTAX;
	am_buf_init(&out, 65536);
	if (am_spf_rewrite(txt, &rw, &out) == AM_OK)
		err = SPF_record_compile(server, resp, recordp, am_buf_str(&out));
	am_buf_release(&out);
	return err;
}

/* layer_get_spf - libspf2's record hook (top level, include, redirect):
 * one TXT query (no type 99), RFC 7208 §4.5 record selection, and the
 * result set explicitly (libspf2 leaves it unset for some failures). */
static SPF_errcode_t
layer_get_spf(SPF_server_t *server, SPF_request_t *req, SPF_response_t *resp,
    SPF_record_t **recordp)
{
	const char *domain = req->cur_dom;
	struct am_spf_dns_check *chk = current;
	SPF_dns_rr_t *rr;
	SPF_errcode_t err;
	int i, found = -1, n = 0;

	*recordp = NULL;
	if (domain == NULL)
		return get_done(resp, SPF_RESULT_PERMERROR, SPF_E_NOT_CONFIG,
		    "no domain", "");
	if (chk == NULL)
		return get_done(resp, SPF_RESULT_TEMPERROR, SPF_E_DNS_ERROR,
		    "no check for", domain);
	/* every record after the first is an include or a redirect term */
	if (chk->records++ == 0) {
		chk->client_af = req->client_ver;
		chk->client4 = req->ipv4;
		chk->client6 = req->ipv6;
	} else if (!count_term(chk))
		return get_done(resp, SPF_RESULT_PERMERROR, SPF_E_BIG_DNS,
		    chk->why, domain);
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
	err = compile(server, resp, recordp, rr->rr[found]->txt);
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
	q = am_dns_start_by(dns, domain, ns_t_txt, chk->deadline_ms);
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
	st = exp_text(((struct layer *)server->resolver)->dns, chk,
	    cut253(domain), &txt);
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
	struct layer *ly;
	SPF_dns_server_t *srv;
	uint8_t rnd[6];
	int k;

	if (dns == NULL)
		AM_PANIC("am_spf_dns_new: NULL dns");
	ly = am_xcalloc(1, sizeof(*ly));
	ly->dns = dns;
	/* unguessable, so no published record can name our tags itself */
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		AM_PANIC("getrandom failed");
	for (k = TAG_TERM; k <= TAG_SUB; k++)
		AM_SNPRINTF_FIT(ly->tag[k], sizeof(ly->tag[k]),
		    "._am%c%02x%02x%02x%02x%02x%02x", "tzs"[k], rnd[0], rnd[1],
		    rnd[2], rnd[3], rnd[4], rnd[5]);
	srv = &ly->srv;
	srv->destroy = NULL;	/* ours: libspf2 must not free it */
	srv->lookup = layer_lookup;
	srv->get_spf = layer_get_spf;
	srv->get_exp = layer_get_exp;
	srv->add_cache = NULL;
	srv->layer_below = NULL;
	srv->name = "authmilter";
	srv->debug = 0;
	srv->hook = NULL;
	return srv;
}
