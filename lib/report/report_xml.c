/*
 * report_xml.c - escaping XML writer and the DMARC aggregate report
 * documents (contract in report_xml.h).
 *
 * RFC 7489 Appendix C schema (no namespace, as reporters send it and as
 * tests/conformance/dmarc/rua-rfc7489-nons.xsd checks it) and RFC 9990
 * (DMARCbis aggregate reporting draft-32, namespace dmarc-2.0).
 * PITFALLS "Reports": version, envelope_from, SPF scope and fo are always
 * written; policy_published.domain is where the record was found; gzip.
 * File naming: RFC 7489 §7.2.1.1.
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <zlib.h>

#include "core/xalloc.h"
#include "report/report_xml.h"

#define XML_DEPTH_MAX	16
#define XML_NAME_MAX	32
#define SINK_CHUNK	65536

struct am_report_xml {
	struct am_buf own;		/* staging buffer when streaming */
	struct am_buf *out;		/* borrowed, or &own */
	am_report_xml_sink *sink;	/* NULL: everything stays in out */
	void *arg;			/* for sink */
	char stack[XML_DEPTH_MAX][XML_NAME_MAX];	/* open elements */
	int depth;			/* elements open */
	bool is_tag_open;		/* "<name attrs" written, no '>' yet */
	bool has_child;			/* innermost element has elements */
	enum am_status st;		/* first failure, sticky */
	struct am_why why;		/* its reason */
};

/* put - append raw bytes; remember the first failure. */
static void
put(struct am_report_xml *x, const char *p, size_t len)
{
	if (x->st == AM_OK && am_buf_append(x->out, p, len) != AM_OK) {
		x->st = AM_PERMFAIL;
		am_why_set(&x->why, "report XML larger than %zu bytes",
		    x->out->max_len);
	}
}

/* drain - hand the staged text to the sink once there is enough. */
static void
drain(struct am_report_xml *x, size_t min_len)
{
	if (x->sink == NULL || x->st != AM_OK || x->out->len < min_len ||
	    x->out->len == 0)
		return;
	x->st = x->sink(x->arg, x->out->data, x->out->len, &x->why);
	am_buf_reset(x->out);
}

/* utf8_len - length of the well-formed XML character at s, or 0. */
static size_t
utf8_len(const unsigned char *s)
{
	unsigned c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
		    (c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f))
			return 0;	/* overlong or surrogate */
		if (c == 0xef && s[1] == 0xbf && s[2] >= 0xbe)
			return 0;	/* U+FFFE, U+FFFF */
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
		    (s[3] & 0xc0) != 0x80 || (c == 0xf0 && s[1] < 0x90) ||
		    (c == 0xf4 && s[1] > 0x8f))
			return 0;
		return 4;
	}
	return 0;
}

/* escape_one - the replacement for ASCII byte c, or NULL to copy it. */
static const char *
escape_one(unsigned char c, bool is_attr)
{
	switch (c) {
	case '&': return "&amp;";
	case '<': return "&lt;";
	case '>': return "&gt;";
	case '"': return "&quot;";
	case '\'': return "&apos;";
	case '\r': return "&#13;";
	case '\t': return is_attr ? "&#9;" : NULL;
	case '\n': return is_attr ? "&#10;" : NULL;
	default: return c < 0x20 ? "\xef\xbf\xbd" : NULL;
	}
}

/* put_escaped - s as character data (is_attr: inside quotes). */
static void
put_escaped(struct am_report_xml *x, const char *s, bool is_attr)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	const char *rep;
	size_t n;

	while (*p != '\0') {
		if (*p < 0x80 && (rep = escape_one(*p, is_attr)) != NULL) {
			put(x, rep, strlen(rep));
			p++;
		} else if ((n = utf8_len(p)) == 0) {
			put(x, "\xef\xbf\xbd", 3);	/* U+FFFD */
			p++;
		} else {
			put(x, (const char *)p, n);
			p += n;
		}
	}
}

/* check_name - panic unless name is a plain XML name. */
static void
check_name(const char *name)
{
	size_t i, len = name ? strlen(name) : 0;

	if (len == 0 || len >= XML_NAME_MAX ||
	    strchr("0123456789.-", name[0]) != NULL)
		AM_PANIC("report XML: bad name \"%s\"", name ? name : "");
	for (i = 0; i < len; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
		    (name[i] >= 'A' && name[i] <= 'Z') ||
		    (name[i] >= '0' && name[i] <= '9') ||
		    strchr("_.-", name[i]) != NULL))
			AM_PANIC("report XML: bad name \"%s\"", name);
}

/* close_tag - finish a pending "<name attrs" with '>'. */
static void
close_tag(struct am_report_xml *x)
{
	if (x->is_tag_open)
		put(x, ">", 1);
	x->is_tag_open = false;
}

/* indent - newline and two spaces per open element. */
static void
indent(struct am_report_xml *x, int depth)
{
	static const char spaces[] = "                                ";

	put(x, "\n", 1);
	put(x, spaces, (size_t)(2 * depth));
}

/* am_report_xml_new - writer into out, or streaming to sink. */
struct am_report_xml *
am_report_xml_new(struct am_buf *out, am_report_xml_sink *sink, void *arg)
{
	struct am_report_xml *x = am_xcalloc(1, sizeof(*x));

	if ((out == NULL) == (sink == NULL))
		AM_PANIC("am_report_xml_new: give exactly one of out, sink");
	am_buf_init(&x->own, 4 * SINK_CHUNK);
	x->out = out != NULL ? out : &x->own;
	x->sink = sink;
	x->arg = arg;
	put(x, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>", 38);
	return x;
}

/* am_report_xml_free - release; returns NULL. */
struct am_report_xml *
am_report_xml_free(struct am_report_xml *x)
{
	if (x != NULL) {
		am_buf_release(&x->own);
		free(x);
	}
	return NULL;
}

/* am_report_xml_start - open element name. */
void
am_report_xml_start(struct am_report_xml *x, const char *name)
{
	check_name(name);
	if (x->depth == XML_DEPTH_MAX)
		AM_PANIC("report XML: nesting deeper than %d", XML_DEPTH_MAX);
	close_tag(x);
	indent(x, x->depth);
	put(x, "<", 1);
	put(x, name, strlen(name));
	snprintf(x->stack[x->depth++], XML_NAME_MAX, "%s", name);
	x->is_tag_open = true;
	x->has_child = false;
}

/* am_report_xml_attr - attribute of the element just started. */
void
am_report_xml_attr(struct am_report_xml *x, const char *name,
    const char *value)
{
	check_name(name);
	if (!x->is_tag_open)
		AM_PANIC("report XML: attribute %s after content", name);
	put(x, " ", 1);
	put(x, name, strlen(name));
	put(x, "=\"", 2);
	put_escaped(x, value, true);
	put(x, "\"", 1);
}

/* am_report_xml_text - character data in the current element. */
void
am_report_xml_text(struct am_report_xml *x, const char *text)
{
	if (x->depth == 0)
		AM_PANIC("report XML: text outside the root element");
	close_tag(x);
	put_escaped(x, text, false);
}

/* am_report_xml_end - close the innermost element. */
void
am_report_xml_end(struct am_report_xml *x)
{
	const char *name;

	if (x->depth == 0)
		AM_PANIC("report XML: end without start");
	name = x->stack[--x->depth];
	if (x->is_tag_open) {
		put(x, "/>", 2);
		x->is_tag_open = false;
	} else {
		if (x->has_child)
			indent(x, x->depth);
		put(x, "</", 2);
		put(x, name, strlen(name));
		put(x, ">", 1);
	}
	x->has_child = true;	/* for the parent */
	drain(x, SINK_CHUNK);
}

/* am_report_xml_leaf - <name>text</name>. */
void
am_report_xml_leaf(struct am_report_xml *x, const char *name,
    const char *text)
{
	am_report_xml_start(x, name);
	am_report_xml_text(x, text);
	x->has_child = false;
	am_report_xml_end(x);
}

/* am_report_xml_finish - check the document is complete; flush the sink. */
enum am_status
am_report_xml_finish(struct am_report_xml *x, struct am_why *why)
{
	if (x->st == AM_OK && x->depth != 0) {
		x->st = AM_PERMFAIL;
		am_why_set(&x->why, "report XML: <%s> not ended",
		    x->stack[x->depth - 1]);
	}
	put(x, "\n", 1);
	drain(x, 0);
	if (x->st != AM_OK)
		*why = x->why;
	return x->st;
}

/* ---------------------------------------------------------------- reports */

#define NS_RFC9990	"urn:ietf:params:xml:ns:dmarc-2.0"

/* reason_name - a reason type in fmt's list (RFC 9990 has no forwarded or
 * sampled_out; RFC 7489 has no policy_test_mode, sampled_out is nearest). */
static const char *
reason_name(enum am_report_reason_type t, enum am_report_format fmt)
{
	static const char *const r7489[] = { "other", "forwarded",
	    "sampled_out", "trusted_forwarder", "mailing_list",
	    "local_policy", "sampled_out" };
	static const char *const r9990[] = { "other", "other",
	    "policy_test_mode", "trusted_forwarder", "mailing_list",
	    "local_policy", "policy_test_mode" };

	if ((unsigned)t > AM_REPORT_REASON_POLICY_TEST_MODE)
		t = AM_REPORT_REASON_OTHER;
	return fmt == AM_REPORT_FORMAT_RFC9990 ? r9990[t] : r7489[t];
}

/* spf_result_name - SPF result word; RFC 7489 has no "policy" (XXX: sent
 * as neutral, the nearest "no assertion"; our SPF never produces it). */
static const char *
spf_result_name(enum am_report_result r, enum am_report_format fmt)
{
	if (r == AM_REPORT_RES_POLICY && fmt == AM_REPORT_FORMAT_RFC7489)
		return "neutral";
	return am_report_result_name(r);
}

/* dkim_result_name - DKIM result word (softfail does not exist there). */
static const char *
dkim_result_name(enum am_report_result r)
{
	return r == AM_REPORT_RES_SOFTFAIL ? "fail" : am_report_result_name(r);
}

/* leaf_int - <name>v</name>. */
static void
leaf_int(struct am_report_xml *x, const char *name, int64_t v)
{
	char t[24];

	snprintf(t, sizeof(t), "%lld", (long long)v);
	am_report_xml_leaf(x, name, t);
}

/* ip_text - source_ip as the schema wants it: IPv4 dotted, IPv4-mapped
 * IPv6 as IPv4, IPv6 uncompressed for RFC 7489 (its pattern has no "::"),
 * RFC 5952 form for RFC 9990. Unparsable text is passed through. */
static const char *
ip_text(const char *ip, enum am_report_format fmt, char *buf, size_t size)
{
	struct in6_addr a6;
	struct in_addr a4;
	const unsigned char *b = a6.s6_addr;

	if (inet_pton(AF_INET, ip, &a4) == 1)
		return inet_ntop(AF_INET, &a4, buf, (socklen_t)size);
	if (inet_pton(AF_INET6, ip, &a6) != 1)
		return ip;
	if (IN6_IS_ADDR_V4MAPPED(&a6))
		return inet_ntop(AF_INET, b + 12, buf, (socklen_t)size);
	if (fmt == AM_REPORT_FORMAT_RFC9990)
		return inet_ntop(AF_INET6, &a6, buf, (socklen_t)size);
	snprintf(buf, size, "%x:%x:%x:%x:%x:%x:%x:%x", b[0] << 8 | b[1],
	    b[2] << 8 | b[3], b[4] << 8 | b[5], b[6] << 8 | b[7],
	    b[8] << 8 | b[9], b[10] << 8 | b[11], b[12] << 8 | b[13],
	    b[14] << 8 | b[15]);
	return buf;
}

/* put_metadata - <report_metadata>. */
static void
put_metadata(struct am_report_xml *x, const struct am_report_meta *m,
    const char *domain, enum am_report_format fmt)
{
	char id[AM_REPORT_ID_SIZE];

	am_report_xml_report_id(m, domain, id);
	am_report_xml_start(x, "report_metadata");
	am_report_xml_leaf(x, "org_name", m->org_name);
	am_report_xml_leaf(x, "email", m->email);
	if (m->extra_contact != NULL && m->extra_contact[0] != '\0')
		am_report_xml_leaf(x, "extra_contact_info", m->extra_contact);
	am_report_xml_leaf(x, "report_id", id);
	am_report_xml_start(x, "date_range");
	leaf_int(x, "begin", m->begin);
	leaf_int(x, "end", m->end - 1);	/* last second included */
	am_report_xml_end(x);
	if (fmt == AM_REPORT_FORMAT_RFC9990 && m->generator != NULL)
		am_report_xml_leaf(x, "generator", m->generator);
	am_report_xml_end(x);
}

/* put_policy - <policy_published> (RFC 7489: every element present). */
static void
put_policy(struct am_report_xml *x, const struct am_report_domain *d,
    enum am_report_format fmt)
{
	const struct am_report_policy *p = &d->policy;
	const char *fo = p->fo != NULL && p->fo[0] != '\0' ? p->fo : "0";

	am_report_xml_start(x, "policy_published");
	am_report_xml_leaf(x, "domain", d->domain);
	am_report_xml_leaf(x, "adkim", p->is_adkim_strict ? "s" : "r");
	am_report_xml_leaf(x, "aspf", p->is_aspf_strict ? "s" : "r");
	am_report_xml_leaf(x, "p", am_report_disp_name(p->p));
	am_report_xml_leaf(x, "sp", am_report_disp_name(p->sp));
	if (fmt == AM_REPORT_FORMAT_RFC7489)
		leaf_int(x, "pct", p->pct);
	else if (p->has_np)
		am_report_xml_leaf(x, "np", am_report_disp_name(p->np));
	am_report_xml_leaf(x, "fo", fo);
	if (fmt == AM_REPORT_FORMAT_RFC9990)
		am_report_xml_leaf(x, "testing", p->is_testing ? "y" : "n");
	am_report_xml_end(x);
}

/* disposition - RFC 9990 says "pass" for DMARC-passing mail under an
 * enforcing policy; RFC 7489 only knows the three policy words. */
static const char *
disposition(const struct am_report_row *r, const struct am_report_domain *d,
    enum am_report_format fmt)
{
	enum am_report_disp pol;

	if (fmt == AM_REPORT_FORMAT_RFC9990 &&
	    r->disposition == AM_REPORT_DISP_NONE &&
	    (r->is_dkim_pass || r->is_spf_pass)) {
		pol = strcasecmp(r->header_from, d->domain) == 0 ?
		    d->policy.p : d->policy.sp;
		if (pol != AM_REPORT_DISP_NONE)
			return "pass";
	}
	return am_report_disp_name(r->disposition);
}

/* put_row - <row> of a record. */
static void
put_row(struct am_report_xml *x, const struct am_report_record *rec,
    const struct am_report_domain *d, enum am_report_format fmt)
{
	const struct am_report_row *r = &rec->row;
	char ip[INET6_ADDRSTRLEN + 8];
	size_t i;

	am_report_xml_start(x, "row");
	am_report_xml_leaf(x, "source_ip", ip_text(r->source_ip, fmt, ip,
	    sizeof(ip)));
	leaf_int(x, "count", (int64_t)rec->count);
	am_report_xml_start(x, "policy_evaluated");
	am_report_xml_leaf(x, "disposition", disposition(r, d, fmt));
	am_report_xml_leaf(x, "dkim", r->is_dkim_pass ? "pass" : "fail");
	am_report_xml_leaf(x, "spf", r->is_spf_pass ? "pass" : "fail");
	for (i = 0; i < r->n_reasons; i++) {
		const char *c = r->reasons[i].comment;

		am_report_xml_start(x, "reason");
		am_report_xml_leaf(x, "type", reason_name(r->reasons[i].type,
		    fmt));
		if (fmt == AM_REPORT_FORMAT_RFC9990 && (c == NULL ||
		    c[0] == '\0') && r->reasons[i].type ==
		    AM_REPORT_REASON_FORWARDED)
			c = "forwarded";
		if (c != NULL && c[0] != '\0')
			am_report_xml_leaf(x, "comment", c);
		am_report_xml_end(x);
	}
	am_report_xml_end(x);
	am_report_xml_end(x);
}

/* put_identifiers - <identifiers>; envelope_from always (PITFALLS). */
static void
put_identifiers(struct am_report_xml *x, const struct am_report_row *r)
{
	am_report_xml_start(x, "identifiers");
	if (r->envelope_to != NULL && r->envelope_to[0] != '\0')
		am_report_xml_leaf(x, "envelope_to", r->envelope_to);
	am_report_xml_leaf(x, "envelope_from", r->envelope_from);
	am_report_xml_leaf(x, "header_from", r->header_from);
	am_report_xml_end(x);
}

/* put_spf - one <spf> auth result. */
static void
put_spf(struct am_report_xml *x, const char *domain, enum am_report_scope sc,
    enum am_report_result res, enum am_report_format fmt)
{
	am_report_xml_start(x, "spf");
	am_report_xml_leaf(x, "domain", domain);
	am_report_xml_leaf(x, "scope", sc == AM_REPORT_SCOPE_HELO ? "helo" :
	    "mfrom");
	am_report_xml_leaf(x, "result", spf_result_name(res, fmt));
	am_report_xml_end(x);
}

/* put_auth_spf - the SPF results: RFC 7489 every one, mfrom first, at
 * least one; RFC 9990 only the mfrom one (its schema allows one, scope
 * mfrom). */
static void
put_auth_spf(struct am_report_xml *x, const struct am_report_row *r,
    enum am_report_format fmt)
{
	size_t i, n = 0;
	int pass;

	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < r->n_spf; i++) {
			if ((int)r->spf[i].scope != pass ||
			    (fmt == AM_REPORT_FORMAT_RFC9990 && (n > 0 ||
			    r->spf[i].scope != AM_REPORT_SCOPE_MFROM)))
				continue;
			put_spf(x, r->spf[i].domain, r->spf[i].scope,
			    r->spf[i].result, fmt);
			n++;
		}
	if (n == 0 && fmt == AM_REPORT_FORMAT_RFC7489)
		put_spf(x, r->envelope_from[0] != '\0' ? r->envelope_from :
		    r->header_from, AM_REPORT_SCOPE_MFROM, AM_REPORT_RES_NONE,
		    fmt);
}

/* put_auth - <auth_results>. */
static void
put_auth(struct am_report_xml *x, const struct am_report_row *r,
    enum am_report_format fmt)
{
	const struct am_report_dkim *k;
	size_t i;

	am_report_xml_start(x, "auth_results");
	for (i = 0; i < r->n_dkim; i++) {
		k = &r->dkim[i];
		am_report_xml_start(x, "dkim");
		am_report_xml_leaf(x, "domain", k->domain);
		if (fmt == AM_REPORT_FORMAT_RFC9990 || (k->selector != NULL &&
		    k->selector[0] != '\0'))
			am_report_xml_leaf(x, "selector", k->selector);
		am_report_xml_leaf(x, "result", dkim_result_name(k->result));
		am_report_xml_end(x);
	}
	put_auth_spf(x, r, fmt);
	am_report_xml_end(x);
}

/* am_report_xml_format - the whole report for one policy domain. */
enum am_status
am_report_xml_format(const struct am_report_meta *m,
    const struct am_report_domain *d, enum am_report_format fmt,
    struct am_buf *out, am_report_xml_sink *sink, void *arg,
    struct am_why *why)
{
	struct am_report_xml *x = am_report_xml_new(out, sink, arg);
	enum am_status st;
	size_t i;

	am_report_xml_start(x, "feedback");
	if (fmt == AM_REPORT_FORMAT_RFC9990)
		am_report_xml_attr(x, "xmlns", NS_RFC9990);
	am_report_xml_leaf(x, "version", "1.0");
	put_metadata(x, m, d->domain, fmt);
	put_policy(x, d, fmt);
	for (i = 0; i < d->n_records; i++) {
		am_report_xml_start(x, "record");
		put_row(x, &d->records[i], d, fmt);
		put_identifiers(x, &d->records[i].row);
		put_auth(x, &d->records[i].row, fmt);
		am_report_xml_end(x);
	}
	am_report_xml_end(x);
	st = am_report_xml_finish(x, why);
	am_report_xml_free(x);
	return st;
}

/* am_report_xml_report_id - stable id for (receiver, domain, period). */
void
am_report_xml_report_id(const struct am_report_meta *m, const char *domain,
    char *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	struct am_buf in;
	int i;

	am_buf_init(&in, 4096);
	(void)am_buf_printf(&in, "%s\n%s\n%lld\n%lld", m->receiver, domain,
	    (long long)m->begin, (long long)m->end);
	if (EVP_Digest(in.data, in.len, md, &md_len, EVP_sha256(), NULL) != 1
	    || md_len < 16)
		AM_PANIC("SHA-256 unavailable");
	am_buf_release(&in);
	for (i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* put_safe - s with bytes outside [A-Za-z0-9._-] as '_'. */
static void
put_safe(struct am_buf *out, const char *s)
{
	for (; *s != '\0'; s++)
		(void)am_buf_putc(out, (strchr("._-", *s) != NULL ||
		    (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9')) ? *s : '_');
}

/* am_report_xml_filename - RFC 7489 §7.2.1.1 file name. */
void
am_report_xml_filename(const struct am_report_meta *m, const char *domain,
    struct am_buf *out)
{
	char id[AM_REPORT_ID_SIZE];

	am_report_xml_report_id(m, domain, id);
	am_buf_reset(out);
	put_safe(out, m->receiver);
	(void)am_buf_putc(out, '!');
	put_safe(out, domain);
	(void)am_buf_printf(out, "!%lld!%lld!%s.xml.gz", (long long)m->begin,
	    (long long)m->end - 1, id);
}

/* gz_sink - write a chunk of the document to the gzip stream. */
static enum am_status
gz_sink(void *arg, const char *p, size_t len, struct am_why *why)
{
	int err;

	if (gzwrite((gzFile)arg, p, (unsigned)len) != (int)len) {
		am_why_set(why, "gzip write: %s", gzerror((gzFile)arg, &err));
		return AM_TEMPFAIL;
	}
	return AM_OK;
}

/* write_tmp - the gzip report into the open temporary file fd. */
static enum am_status
write_tmp(int fd, const struct am_report_meta *m,
    const struct am_report_domain *d, enum am_report_format fmt,
    struct am_why *why)
{
	enum am_status st;
	gzFile gz;
	int fd2;

	if (fchmod(fd, 0644) != 0 || (fd2 = dup(fd)) < 0) {
		am_why_set(why, "report file: %m");
		return AM_TEMPFAIL;
	}
	if ((gz = gzdopen(fd2, "wb9")) == NULL) {
		close(fd2);
		am_why_set(why, "gzip open: out of memory");
		return AM_TEMPFAIL;
	}
	st = am_report_xml_format(m, d, fmt, NULL, gz_sink, gz, why);
	if (gzclose(gz) != Z_OK && st == AM_OK) {
		am_why_set(why, "gzip close: %m");
		st = AM_TEMPFAIL;
	}
	if (st == AM_OK && fsync(fd) != 0) {
		am_why_set(why, "report file fsync: %m");
		st = AM_TEMPFAIL;
	}
	return st;
}

/* am_report_xml_write - DIR/NAME.xml.gz, written then renamed in place. */
enum am_status
am_report_xml_write(const char *dir, const struct am_report_meta *m,
    const struct am_report_domain *d, enum am_report_format fmt,
    char **path, struct am_why *why)
{
	struct am_buf name, final, tmp;
	enum am_status st = AM_TEMPFAIL;
	int fd;

	*path = NULL;
	am_buf_init(&name, 2048);
	am_buf_init(&final, 8192);
	am_buf_init(&tmp, 8192);
	am_report_xml_filename(m, d->domain, &name);
	(void)am_buf_printf(&final, "%s/%s", dir, am_buf_str(&name));
	(void)am_buf_printf(&tmp, "%s/.%s.XXXXXX", dir, am_buf_str(&name));
	if ((fd = mkstemp(tmp.data)) < 0) {
		am_why_set(why, "%s: %m", dir);
		goto out;
	}
	st = write_tmp(fd, m, d, fmt, why);
	close(fd);
	if (st == AM_OK && rename(tmp.data, final.data) != 0) {
		am_why_set(why, "%s: %m", final.data);
		st = AM_TEMPFAIL;
	}
	if (st != AM_OK)
		unlink(tmp.data);
	else
		*path = am_buf_export(&final);
out:
	am_buf_release(&name);
	am_buf_release(&final);
	am_buf_release(&tmp);
	return st;
}
