/*
 * orgdomain.c - organizational domains (contract in orgdomain.h).
 *
 * The Public Suffix List is parsed here (rules, "*." wildcards, "!"
 * exceptions) into three sorted arrays searched with bsearch(); the list is
 * immutable once loaded, so one copy serves every thread. libopendmarc's own
 * loader keeps a process-global table and is not used (LIBRARY-NOTES §4).
 * Lookup follows https://publicsuffix.org/list/ "Algorithm": an exception
 * rule wins, else the matching rule with the most labels, else "*".
 *
 * The DNS tree walk is RFC 9989 §4.10 (steps 1-7 and the selection in
 * §4.10.2), over our resolver (lib/dns/dns.h); DMARC records are recognised by
 * their version tag (RFC 9989 §4.7, ABNF in §4.8).
 */
#include "autoconf.h"

#include <arpa/nameser.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <opendmarc/dmarc.h>

#include "core/am.h"
#include "core/buf.h"
#include "dns/dns.h"
#include "msg/from.h"
#include "core/xalloc.h"

#include "dmarc/orgdomain.h"

#define TXT_MAX_LEN 65535	/* one joined TXT record */

/* A sorted array of rule names (lower-case A-labels). */
struct ruleset {
	char **v;		/* owned strings */
	size_t n;		/* used */
	size_t cap;		/* allocated */
};

struct am_psl {
	struct ruleset rules;		/* "example.com" */
	struct ruleset wildcards;	/* "*.kawasaki.jp" stored as "kawasaki.jp" */
	struct ruleset exceptions;	/* "!city.kawasaki.jp", without "!" */
};

/* ruleset_add - append a copy of s. */
static void
ruleset_add(struct ruleset *rs, const char *s)
{
	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? rs->cap * 2 : 256;
		rs->v = am_xreallocarray(rs->v, rs->cap, sizeof(*rs->v));
	}
	rs->v[rs->n++] = am_xstrdup(s);
}

/* cmp_str - qsort/bsearch comparator over char *. */
static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ruleset_has - is s in the (sorted) set? */
static bool
ruleset_has(const struct ruleset *rs, const char *s)
{
	if (rs->n == 0)
		return false;
	return bsearch(&s, rs->v, rs->n, sizeof(*rs->v), cmp_str) != NULL;
}

/* ruleset_sort - sort for ruleset_has(); an empty set has no array, and
 * qsort() must not be given a NULL one even for 0 elements (C11 7.1.4). */
static void
ruleset_sort(struct ruleset *rs)
{
	if (rs->n > 0)
		qsort(rs->v, rs->n, sizeof(*rs->v), cmp_str);
}

/* ruleset_release - free every string and the array. */
static void
ruleset_release(struct ruleset *rs)
{
	size_t i;

	for (i = 0; i < rs->n; i++)
		free(rs->v[i]);
	free(rs->v);
	memset(rs, 0, sizeof(*rs));
}

/* psl_add_line - one line of the list; AM_PERMFAIL for a bad rule. */
static enum am_status
psl_add_line(struct am_psl *psl, char *line, struct am_why *why)
{
	char norm[AM_DOMAIN_MAX_LEN + 1];
	struct ruleset *rs = &psl->rules;
	char *p = line, *end;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0' || *p == '\n' || *p == '\r' || strncmp(p, "//", 2) == 0)
		return AM_OK;
	/* The rule is the first word; the rest of the line is ignored. */
	for (end = p; *end && *end != ' ' && *end != '\t' && *end != '\r' &&
	    *end != '\n'; end++)
		;
	*end = '\0';
	if (*p == '!') {
		rs = &psl->exceptions;
		p++;
	} else if (p[0] == '*' && p[1] == '.') {
		rs = &psl->wildcards;
		p += 2;
	}
	if (am_domain_normalise(p, norm, sizeof(norm), why) != AM_OK)
		return AM_PERMFAIL;
	ruleset_add(rs, norm);
	return AM_OK;
}

/* am_psl_load - read a Public Suffix List file. */
struct am_psl *
am_psl_load(const char *path, struct am_why *why)
{
	struct am_psl *psl;
	struct am_why lwhy;
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	bool failed = false;
	FILE *fp;

	if (path == NULL)
		AM_PANIC("am_psl_load: NULL path");
	if ((fp = fopen(path, "r")) == NULL) {
		am_why_set(why, "%s: %s", path, strerror(errno));
		return NULL;
	}
	psl = am_xcalloc(1, sizeof(*psl));
	while (!failed && getline(&line, &cap, fp) != -1) {
		lineno++;
		if (psl_add_line(psl, line, &lwhy) != AM_OK) {
			am_why_set(why, "%s:%zu: bad rule: %s", path, lineno,
			    lwhy.text);
			failed = true;
		}
	}
	free(line);
	if (!failed && ferror(fp)) {
		am_why_set(why, "%s: read error", path);
		failed = true;
	}
	(void)fclose(fp);
	if (!failed && am_psl_count(psl) == 0) {
		am_why_set(why, "%s: no rules", path);
		failed = true;
	}
	if (failed)
		return am_psl_free(psl);
	ruleset_sort(&psl->rules);
	ruleset_sort(&psl->wildcards);
	ruleset_sort(&psl->exceptions);
	return psl;
}

/* am_psl_free - release a list; accepts NULL, returns NULL. */
struct am_psl *
am_psl_free(struct am_psl *psl)
{
	if (psl == NULL)
		return NULL;
	ruleset_release(&psl->rules);
	ruleset_release(&psl->wildcards);
	ruleset_release(&psl->exceptions);
	free(psl);
	return NULL;
}

/* am_psl_count - rules of all three kinds. */
size_t
am_psl_count(const struct am_psl *psl)
{
	return psl->rules.n + psl->wildcards.n + psl->exceptions.n;
}

/* label_count - labels in a valid domain name. */
static size_t
label_count(const char *d)
{
	size_t n = 1;

	for (; *d; d++)
		if (*d == '.')
			n++;
	return n;
}

/* skip_labels - the suffix of d after its first k labels. */
static const char *
skip_labels(const char *d, size_t k)
{
	while (k-- > 0) {
		d = strchr(d, '.');
		if (d == NULL)
			return "";
		d++;
	}
	return d;
}

/* psl_suffix_labels - labels of the public suffix of d (n labels). */
static size_t
psl_suffix_labels(const struct am_psl *psl, const char *d, size_t n)
{
	size_t i;

	/* Exception rules win over every other rule; the public suffix is
	 * the exception minus its left-most label. */
	for (i = 0; i < n; i++)
		if (ruleset_has(&psl->exceptions, skip_labels(d, i)))
			return n - i - 1;
	/* Longest matching rule first: the whole name, then shorter. */
	for (i = 0; i < n; i++) {
		if (ruleset_has(&psl->rules, skip_labels(d, i)))
			return n - i;
		if (i + 1 < n &&
		    ruleset_has(&psl->wildcards, skip_labels(d, i + 1)))
			return n - i;
	}
	return 1;		/* the implicit rule "*" */
}

/* am_psl_orgdomain - the registrable domain of domain. */
enum am_status
am_psl_orgdomain(const struct am_psl *psl, const char *domain, char *out,
    size_t outlen)
{
	char d[AM_DOMAIN_MAX_LEN + 1];
	size_t n, ps;
	int len;

	if (psl == NULL || domain == NULL || out == NULL || outlen == 0)
		AM_PANIC("am_psl_orgdomain: NULL argument");
	out[0] = '\0';
	if (am_domain_normalise(domain, d, sizeof(d), NULL) != AM_OK)
		return AM_PERMFAIL;
	n = label_count(d);
	ps = psl_suffix_labels(psl, d, n);
	if (ps >= n)
		return AM_PERMFAIL;
	len = snprintf(out, outlen, "%s", skip_labels(d, n - ps - 1));
	if (len < 0 || (size_t)len >= outlen) {
		out[0] = '\0';
		return AM_PERMFAIL;
	}
	return AM_OK;
}

/* is_wsp - RFC 5234 WSP. */
static inline bool
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* am_dmarc_is_record - does txt start with "v=DMARC1"? */
bool
am_dmarc_is_record(const char *txt, size_t len)
{
	size_t i = 0;

	if (len < 1 || (txt[0] != 'v' && txt[0] != 'V'))
		return false;
	for (i = 1; i < len && is_wsp(txt[i]); i++)
		;
	if (i >= len || txt[i] != '=')
		return false;
	for (i++; i < len && is_wsp(txt[i]); i++)
		;
	if (len - i < 6 || memcmp(txt + i, "DMARC1", 6) != 0)
		return false;
	i += 6;
	return i == len || is_wsp(txt[i]) || txt[i] == ';';
}

/* am_dmarc_tag_next - the next tag-spec of a tag-list (see orgdomain.h). */
bool
am_dmarc_tag_next(const char **pos, struct am_str *name, struct am_str *value)
{
	const char *p = *pos, *spec, *end, *eq;

	while (*p == ';' || is_wsp(*p))
		p++;
	if (*p == '\0') {
		*pos = p;
		return false;
	}
	spec = p;
	while (*p && *p != ';')
		p++;
	*pos = p;
	end = p;
	while (end > spec && is_wsp(end[-1]))
		end--;
	eq = memchr(spec, '=', (size_t)(end - spec));
	if (eq == NULL) {
		name->p = spec;
		name->len = (size_t)(end - spec);
		value->p = NULL;
		value->len = 0;
		return true;
	}
	name->p = spec;
	for (name->len = (size_t)(eq - spec);
	    name->len > 0 && is_wsp(spec[name->len - 1]); name->len--)
		;
	for (eq++; eq < end && is_wsp(*eq); eq++)
		;
	value->p = eq;
	value->len = (size_t)(end - eq);
	return true;
}

/* record_psd - the psd= tag of a record: 'y', 'n' or 'u'. */
static char
record_psd(const char *record)
{
	struct am_str name, value;
	const char *pos = record;

	while (am_dmarc_tag_next(&pos, &name, &value))
		if (name.len == 3 && strncasecmp(name.p, "psd", 3) == 0 &&
		    value.len == 1 && value.p != NULL) {
			if (value.p[0] == 'y' || value.p[0] == 'Y')
				return 'y';
			if (value.p[0] == 'n' || value.p[0] == 'N')
				return 'n';
		}
	return 'u';
}

/* fetch_select - keep the DMARC records of a TXT answer. */
static void
fetch_select(const struct am_dns_answer *ans, struct am_dmarc_fetch *f)
{
	struct am_buf txt;
	size_t i;

	am_buf_init(&txt, TXT_MAX_LEN);
	for (i = 0; i < ans->count; i++) {
		if (am_dns_txt(ans, i, &txt) != AM_OK ||
		    !am_dmarc_is_record(am_buf_str(&txt), txt.len))
			continue;
		/* RFC 9989 §4.10 step 2: several records -> none. */
		if (++f->nrecords == 1)
			f->record = am_xmemdup(am_buf_str(&txt), txt.len);
		else {
			free(f->record);
			f->record = NULL;
		}
	}
	am_buf_release(&txt);
	f->psd = f->record != NULL ? record_psd(f->record) : 'u';
}

static void fetch_pre(struct am_dns *dns, struct am_dns_prefetch *pre,
    const char *domain, uint64_t deadline_ms, struct am_dmarc_fetch *f);

/* am_dmarc_fetch - _dmarc.<domain> TXT, DMARC records only. */
void
am_dmarc_fetch(struct am_dns *dns, const char *domain, uint64_t deadline_ms,
    struct am_dmarc_fetch *f)
{
	fetch_pre(dns, NULL, domain, deadline_ms, f);
}

/* fetch_pre - am_dmarc_fetch, taking the query started early in pre. */
static void
fetch_pre(struct am_dns *dns, struct am_dns_prefetch *pre, const char *domain,
    uint64_t deadline_ms, struct am_dmarc_fetch *f)
{
	struct am_dns_answer ans;
	struct am_dns_query *q;
	char name[AM_DOMAIN_MAX_LEN + 16];

	if (dns == NULL || domain == NULL || f == NULL)
		AM_PANIC("am_dmarc_fetch: NULL argument");
	memset(f, 0, sizeof(*f));
	f->psd = 'u';
	if (am_snprintf(name, sizeof(name), "_dmarc.%s", domain) != AM_OK) {
		f->dns = AM_DNS_NXDOMAIN;	/* what the resolver says of a
						 * name over 253 characters */
		return;
	}
	memset(&ans, 0, sizeof(ans));
	q = am_dns_prefetch_start_by(pre, dns, name, ns_t_txt, deadline_ms);
	am_dns_wait(q, deadline_ms, &ans);
	q = am_dns_query_free(q);
	f->dns = ans.result;
	if (ans.result == AM_DNS_TEMPERROR)
		AM_SNPRINTF_FIT(f->why, sizeof(f->why), "%.100s: %.50s", name,
		    ans.why);
	else if (ans.result == AM_DNS_OK)
		fetch_select(&ans, f);
	am_dns_answer_release(&ans);
}

/* fetch_copy - dst = src with its own copy of the record. */
static void
fetch_copy(struct am_dmarc_fetch *dst, const struct am_dmarc_fetch *src)
{
	*dst = *src;
	if (src->record != NULL)
		dst->record = am_xstrdup(src->record);
}

/* am_dmarc_memo_init - an empty memo. */
void
am_dmarc_memo_init(struct am_dmarc_memo *m)
{
	m->n = 0;
	m->pre = NULL;
}

/* am_dmarc_memo_release - free the remembered records. */
void
am_dmarc_memo_release(struct am_dmarc_memo *m)
{
	for (size_t i = 0; i < m->n; i++)
		am_dmarc_fetch_release(&m->e[i].f);
	m->n = 0;
}

/* am_dmarc_fetch_memo - am_dmarc_fetch, each name asked once (see .h). */
void
am_dmarc_fetch_memo(struct am_dns *dns, struct am_dmarc_memo *m,
    const char *domain, uint64_t deadline_ms, struct am_dmarc_fetch *f)
{
	if (m != NULL)
		for (size_t i = 0; i < m->n; i++)
			if (strcmp(m->e[i].domain, domain) == 0) {
				fetch_copy(f, &m->e[i].f);
				return;
			}
	fetch_pre(dns, m != NULL ? m->pre : NULL, domain, deadline_ms, f);
	if (m != NULL && m->n < AM_DMARC_MEMO_MAX &&
	    strlen(domain) < sizeof(m->e[0].domain)) {
		AM_SNPRINTF_FIT(m->e[m->n].domain, sizeof(m->e[0].domain),
		    "%s", domain);
		fetch_copy(&m->e[m->n].f, f);
		m->n++;
	}
}

/* am_dmarc_fetch_release - free the record. */
void
am_dmarc_fetch_release(struct am_dmarc_fetch *f)
{
	free(f->record);
	f->record = NULL;
}

/* walk_select - RFC 9989 §4.10.2: pick the Organizational Domain. */
static void
walk_select(struct am_treewalk *tw, const char *dom)
{
	size_t i, n = label_count(dom), last = SIZE_MAX;
	const char *org = dom;

	for (i = 0; i < tw->n; i++) {
		const struct am_dmarc_fetch *f = &tw->step[i].f;

		if (f->record == NULL)
			continue;
		if (f->psd == 'n') {
			org = tw->step[i].domain;
			last = i;
			break;
		}
		if (f->psd == 'y' && i > 0) {
			/* One label below the PSD, towards the author domain. */
			org = skip_labels(dom,
			    n - label_count(tw->step[i].domain) - 1);
			last = i;
			break;
		}
		last = i;
		org = tw->step[i].domain;
	}
	tw->org_step = last;
	AM_SNPRINTF_FIT(tw->orgdomain, sizeof(tw->orgdomain), "%s", org);
}

/* am_treewalk_run - RFC 9989 §4.10 DNS Tree Walk from domain. */
enum am_status
am_treewalk_run(struct am_dns *dns, const char *domain,
    struct am_dmarc_fetch *first, uint64_t deadline_ms,
    struct am_treewalk *tw, struct am_why *why)
{
	return am_treewalk_run_memo(dns, NULL, domain, first, deadline_ms, tw,
	    why);
}

/* am_treewalk_run_memo - the same, each name asked once per memo. */
enum am_status
am_treewalk_run_memo(struct am_dns *dns, struct am_dmarc_memo *m,
    const char *domain, struct am_dmarc_fetch *first, uint64_t deadline_ms,
    struct am_treewalk *tw, struct am_why *why)
{
	char dom[AM_DOMAIN_MAX_LEN + 1];
	struct am_treewalk_step *st;
	const char *target;
	size_t x;

	if (dns == NULL || domain == NULL || tw == NULL)
		AM_PANIC("am_treewalk_run: NULL argument");
	memset(tw, 0, sizeof(*tw));
	tw->org_step = SIZE_MAX;
	tw->failed_step = SIZE_MAX;
	if (am_domain_normalise(domain, dom, sizeof(dom), why) != AM_OK)
		return AM_PERMFAIL;
	target = dom;
	x = label_count(dom);
	for (;;) {
		st = &tw->step[tw->n];
		AM_SNPRINTF_FIT(st->domain, sizeof(st->domain), "%s", target);
		if (tw->n == 0 && first != NULL) {
			st->f = *first;		/* moved */
			first->record = NULL;
		} else
			am_dmarc_fetch_memo(dns, m, target, deadline_ms,
			    &st->f);
		tw->n++;
		if (st->f.dns == AM_DNS_TEMPERROR) {
			/* What the answered steps say; see orgdomain.h. */
			tw->failed_step = tw->n - 1;
			walk_select(tw, dom);
			am_why_set(why, "%s", st->f.why);
			return AM_TEMPFAIL;
		}
		/* Steps 2 and 6: one record with psd=y or psd=n stops. */
		if (st->f.record != NULL && st->f.psd != 'u')
			break;
		if (label_count(target) <= 1 ||
		    tw->n == AM_TREEWALK_MAX_QUERIES)
			break;
		/* Step 4: after the first query, a name of 8 or more labels
		 * is cut to its 7 right-most labels; step 7: then one label
		 * at a time. */
		if (tw->n == 1 && x >= 8)
			target = skip_labels(dom, x - 7);
		else
			target = skip_labels(target, 1);
	}
	walk_select(tw, dom);
	return AM_OK;
}

/* am_treewalk_prefetch - start the _dmarc queries of every target the
 * walk from domain can reach (the same targets as am_treewalk_run_memo). */
void
am_treewalk_prefetch(const char *domain, struct am_dns_prefetch *p)
{
	char dom[AM_DOMAIN_MAX_LEN + 1], name[AM_DOMAIN_MAX_LEN + 16];
	const char *target;
	size_t x, n;

	if (domain == NULL || p == NULL)
		AM_PANIC("am_treewalk_prefetch: NULL argument");
	if (am_domain_normalise(domain, dom, sizeof(dom), NULL) != AM_OK)
		return;
	target = dom;
	x = label_count(dom);
	for (n = 1;; n++) {
		if (am_snprintf(name, sizeof(name), "_dmarc.%s", target) ==
		    AM_OK)
			(void)am_dns_prefetch_add(p, name, ns_t_txt);
		if (label_count(target) <= 1 || n == AM_TREEWALK_MAX_QUERIES)
			break;
		target = n == 1 && x >= 8 ? skip_labels(dom, x - 7) :
		    skip_labels(target, 1);
	}
}

/* is_suffix - is name a suffix of d on a label boundary (or d itself)? */
static bool
is_suffix(const char *name, const char *d)
{
	size_t nl = strlen(name), dl = strlen(d);

	if (nl > dl)
		return false;
	if (nl == dl)
		return strcmp(name, d) == 0;
	return d[dl - nl - 1] == '.' && strcmp(d + dl - nl, name) == 0;
}

/* walk_top - the lowest name the failed steps of tw could still make its
 * Organizational Domain, with every suffix of it: the target before the
 * failed one (the domain itself when the first query failed). */
static const char *
walk_top(const struct am_treewalk *tw)
{
	return tw->failed_step > 0 ? tw->step[tw->failed_step - 1].domain :
	    tw->step[0].domain;
}

/* am_treewalk_may_be_org - could name be the Organizational Domain of tw's
 * domain, given what the walk could not read? (see orgdomain.h) */
bool
am_treewalk_may_be_org(const struct am_treewalk *tw, const char *name)
{
	if (strcmp(name, tw->orgdomain) == 0)
		return true;
	if (tw->failed_step == SIZE_MAX || tw->n == 0)
		return false;
	/* XXX a top-level domain is never taken as a possible Organizational
	 * Domain of a walk that failed (a brand TLD publishing psd=n would
	 * be one); otherwise any two names under one TLD could align as soon
	 * as that TLD's _dmarc query fails. */
	return label_count(name) >= 2 && is_suffix(name, walk_top(tw));
}

/* is_settled - no failed step could change tw->orgdomain: none failed, or
 * only names above it did (their records act alike on every name below). */
static bool
is_settled(const struct am_treewalk *tw)
{
	const char *failed;

	if (tw->failed_step == SIZE_MAX)
		return true;
	failed = tw->step[tw->failed_step].domain;
	return strcmp(failed, tw->orgdomain) != 0 &&
	    is_suffix(failed, tw->orgdomain);
}

/* am_treewalk_compare - do two walks give one Organizational Domain? */
enum am_treewalk_cmp
am_treewalk_compare(const struct am_treewalk *a, const struct am_treewalk *b)
{
	const char *cand;

	if (strcmp(a->orgdomain, b->orgdomain) == 0 && is_settled(a) &&
	    is_settled(b))
		return AM_TREEWALK_SAME;
	if (am_treewalk_may_be_org(b, a->orgdomain))
		return AM_TREEWALK_UNKNOWN;
	if (a->failed_step == SIZE_MAX || a->n == 0)
		return AM_TREEWALK_DIFFERENT;
	for (cand = walk_top(a); *cand != '\0'; cand = skip_labels(cand, 1))
		if (label_count(cand) >= 2 && am_treewalk_may_be_org(b, cand))
			return AM_TREEWALK_UNKNOWN;
	return AM_TREEWALK_DIFFERENT;
}

/* am_treewalk_release - free the records of every step. */
void
am_treewalk_release(struct am_treewalk *tw)
{
	size_t i;

	for (i = 0; i < tw->n; i++)
		am_dmarc_fetch_release(&tw->step[i].f);
	tw->n = 0;
}
