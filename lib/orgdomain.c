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
 * §4.10.2), over our resolver (lib/dns.h); DMARC records are recognised by
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

#include "am.h"
#include "buf.h"
#include "dns.h"
#include "from.h"
#include "xalloc.h"

#include "orgdomain.h"

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
	qsort(psl->rules.v, psl->rules.n, sizeof(char *), cmp_str);
	qsort(psl->wildcards.v, psl->wildcards.n, sizeof(char *), cmp_str);
	qsort(psl->exceptions.v, psl->exceptions.n, sizeof(char *), cmp_str);
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

/* am_dmarc_fetch - _dmarc.<domain> TXT, DMARC records only. */
void
am_dmarc_fetch(struct am_dns *dns, const char *domain, uint64_t deadline_ms,
    struct am_dmarc_fetch *f)
{
	struct am_dns_answer ans;
	struct am_dns_query *q;
	char name[AM_DOMAIN_MAX_LEN + 16];

	if (dns == NULL || domain == NULL || f == NULL)
		AM_PANIC("am_dmarc_fetch: NULL argument");
	memset(f, 0, sizeof(*f));
	f->psd = 'u';
	(void)snprintf(name, sizeof(name), "_dmarc.%s", domain);
	memset(&ans, 0, sizeof(ans));
	q = am_dns_start(dns, name, ns_t_txt);
	am_dns_wait(q, deadline_ms, &ans);
	q = am_dns_query_free(q);
	f->dns = ans.result;
	if (ans.result == AM_DNS_TEMPERROR)
		(void)snprintf(f->why, sizeof(f->why), "%.100s: %.50s", name,
		    ans.why);
	else if (ans.result == AM_DNS_OK)
		fetch_select(&ans, f);
	am_dns_answer_release(&ans);
}

/* am_dmarc_fetch_release - free the record. */
void
am_dmarc_fetch_release(struct am_dmarc_fetch *f)
{
	free(f->record);
	f->record = NULL;
}

/*
 * libopendmarc copies its settings into a process global in
 * opendmarc_policy_library_init(), so that runs exactly once per process
 * (the only mutable globals here: written once, under pthread_once). No PSL
 * is given to it: we never ask it for alignment or organizational domains.
 */
static pthread_once_t lib_once = PTHREAD_ONCE_INIT;
static int lib_status = -1;	/* init's return, written once */

/* lib_init - the one opendmarc_policy_library_init() of the process. */
static void
lib_init(void)
{
	OPENDMARC_LIB_T lib;	/* copied by the library */

	memset(&lib, 0, sizeof(lib));
	lib.tld_type = OPENDMARC_TLD_TYPE_NONE;
	lib_status = opendmarc_policy_library_init(&lib);
}

static const char *const policy_names[] = {
	[AM_DMARC_POLICY_UNSPEC] = "", [AM_DMARC_POLICY_NONE] = "none",
	[AM_DMARC_POLICY_QUARANTINE] = "quarantine",
	[AM_DMARC_POLICY_REJECT] = "reject",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* am_dmarc_policy_name - none, quarantine, reject, or "" (unspecified). */
const char *
am_dmarc_policy_name(enum am_dmarc_policy p)
{
	return (unsigned)p < NELEM(policy_names) ? policy_names[p] : "invalid";
}

/* -------------------------------------------- DMARC record parsing */

/* is_tag - does the view equal the tag name (any case)? */
static bool
is_tag(struct am_str s, const char *name)
{
	return s.len == strlen(name) && strncasecmp(s.p, name, s.len) == 0;
}

/* policy_word - dmarc-request: exactly none, quarantine or reject. */
static enum am_dmarc_policy
policy_word(struct am_str v)
{
	enum am_dmarc_policy p;

	for (p = AM_DMARC_POLICY_NONE; p <= AM_DMARC_POLICY_REJECT; p++)
		if (v.p != NULL && is_tag(v, policy_names[p]))
			return p;
	return AM_DMARC_POLICY_UNSPEC;
}

/* rors_word - dmarc-rors: 'r' or 's', else the default 'r'. */
static char
rors_word(struct am_str v)
{
	if (v.p != NULL && v.len == 1 && (v.p[0] == 's' || v.p[0] == 'S'))
		return 's';
	return 'r';
}

/* pct_value - 1..3 digits, at most 100; anything else is the default. */
static int
pct_value(struct am_str v)
{
	int n = 0;
	size_t i;

	if (v.p == NULL || v.len == 0 || v.len > 3)
		return 100;
	for (i = 0; i < v.len; i++) {
		if (v.p[i] < '0' || v.p[i] > '9')
			return 100;
		n = n * 10 + (v.p[i] - '0');
	}
	return n <= 100 ? n : 100;
}

/* uri_ok - RFC 3986 scheme ":" and something, no white space. */
static bool
uri_ok(const char *p, size_t len)
{
	size_t i;

	if (len < 3 || !((p[0] | 0x20) >= 'a' && (p[0] | 0x20) <= 'z'))
		return false;
	for (i = 1; i < len && p[i] != ':'; i++)
		if (!((p[i] | 0x20) >= 'a' && (p[i] | 0x20) <= 'z') &&
		    !(p[i] >= '0' && p[i] <= '9') && p[i] != '+' &&
		    p[i] != '-' && p[i] != '.')
			return false;
	if (i + 1 >= len)
		return false;
	for (; i < len; i++)
		if ((unsigned char)p[i] <= ' ' || p[i] == 0x7f)
			return false;
	return true;
}

/* rua_list - the URIs of rua=, "!size" suffixes dropped (RFC 9989). */
static void
rua_list(struct am_str v, struct am_dmarc_record *rec)
{
	const char *p = v.p, *end = v.p + v.len, *a, *b, *bang;

	while (v.p != NULL && p < end) {
		b = memchr(p, ',', (size_t)(end - p));
		if (b == NULL)
			b = end;
		a = p;
		p = b + 1;
		while (a < b && (*a == ' ' || *a == '\t'))
			a++;
		while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
			b--;
		if ((bang = memchr(a, '!', (size_t)(b - a))) != NULL)
			b = bang;
		if (uri_ok(a, (size_t)(b - a)) && rec->nrua < AM_DMARC_MAX_RUA &&
		    (size_t)(b - a) < AM_DMARC_URI_MAX) {
			memcpy(rec->rua[rec->nrua], a, (size_t)(b - a));
			rec->rua[rec->nrua++][b - a] = '\0';
		}
	}
}

/* fo_value - dmarc-fo characters only, else "0". */
static void
fo_value(struct am_str v, struct am_dmarc_record *rec)
{
	if (v.p == NULL || v.len == 0 || v.len >= sizeof(rec->fo) ||
	    strspn(v.p, "01ds:") < v.len)
		return;
	memcpy(rec->fo, v.p, v.len);
	rec->fo[v.len] = '\0';
}

static const char *const known_tags[] = {
	"v", "p", "sp", "np", "adkim", "aspf", "pct", "fo", "t", "psd",
	"rua", "ruf", "rf", "ri",
};

/* record_tag - store one tag; false when a policy value is invalid. */
static bool
record_tag(struct am_str n, struct am_str v, struct am_dmarc_record *rec)
{
	if (is_tag(n, "p"))
		return (rec->p = policy_word(v)) != AM_DMARC_POLICY_UNSPEC;
	if (is_tag(n, "sp"))
		return (rec->sp = policy_word(v)) != AM_DMARC_POLICY_UNSPEC;
	if (is_tag(n, "np"))
		return (rec->np = policy_word(v)) != AM_DMARC_POLICY_UNSPEC;
	if (is_tag(n, "adkim"))
		rec->adkim = rors_word(v);
	else if (is_tag(n, "aspf"))
		rec->aspf = rors_word(v);
	else if (is_tag(n, "pct"))
		rec->pct = pct_value(v);
	else if (is_tag(n, "fo"))
		fo_value(v, rec);
	else if (is_tag(n, "t"))
		rec->is_testing = v.p != NULL && v.len == 1 &&
		    (v.p[0] == 'y' || v.p[0] == 'Y');
	else if (is_tag(n, "psd") && v.p != NULL && v.len == 1)
		rec->psd = strchr("ynu", v.p[0] | 0x20) != NULL ?
		    (char)(v.p[0] | 0x20) : 'u';
	else if (is_tag(n, "rua"))
		rua_list(v, rec);
	/* rf=, ri=, ruf= and unknown tags: ignored (RFC 9989 §4.7). */
	return true;
}

/* record_parse - validate a record that starts with v=DMARC1. */
static bool
record_parse(const char *txt, struct am_dmarc_record *rec, char *why,
    size_t whylen)
{
	struct am_str n, v;
	const char *pos = txt;
	unsigned seen = 0;
	bool bad = false, first = true;
	size_t i;

	memset(rec, 0, sizeof(*rec));
	rec->pct = 100;
	rec->adkim = rec->aspf = 'r';
	rec->psd = 'u';
	(void)snprintf(rec->fo, sizeof(rec->fo), "0");
	while (am_dmarc_tag_next(&pos, &n, &v)) {
		for (i = 0; i < NELEM(known_tags); i++)
			if (is_tag(n, known_tags[i]))
				break;
		if (i < NELEM(known_tags) && (seen & (1u << i))) {
			(void)snprintf(why, whylen, "duplicate tag %s",
			    known_tags[i]);
			return false;
		}
		if (i < NELEM(known_tags))
			seen |= 1u << i;
		if (first) {
			first = false;	/* v=DMARC1, checked by the fetch */
			continue;
		}
		if (!record_tag(n, v, rec)) {
			(void)snprintf(why, whylen, "invalid %.*s=%.*s",
			    (int)n.len, n.p, v.p ? (int)v.len : 0,
			    v.p ? v.p : "");
			bad = true;
		}
	}
	if (bad) {
		/* RFC 9989 §4.10.1: with a valid rua, act as p=none. */
		if (rec->nrua == 0)
			return false;
		rec->p = AM_DMARC_POLICY_NONE;
		rec->sp = rec->np = AM_DMARC_POLICY_UNSPEC;
		rec->is_p_replaced = true;
	}
	if (rec->p == AM_DMARC_POLICY_UNSPEC)
		rec->p = AM_DMARC_POLICY_NONE;	/* RFC 9989 §4.7 "p" */
	return true;
}

/* lib_policy - libopendmarc's letter to our policy. */
static enum am_dmarc_policy
lib_policy(int c)
{
	switch (c) {
	case DMARC_RECORD_P_NONE:
		return AM_DMARC_POLICY_NONE;
	case DMARC_RECORD_P_QUARANTINE:
		return AM_DMARC_POLICY_QUARANTINE;
	case DMARC_RECORD_P_REJECT:
		return AM_DMARC_POLICY_REJECT;
	default:
		return AM_DMARC_POLICY_UNSPEC;
	}
}

/* lib_parse - libopendmarc parses the canonical record we rebuilt. */
static bool
lib_parse(struct am_dmarc_record *rec, const char *author,
    const char *policy_domain, char *why, size_t whylen)
{
	char canon[128], sp[24] = "";
	DMARC_POLICY_T *pctx;
	int st, p = 0, s = 0, adkim = 0, aspf = 0, pct = 0;

	if (rec->sp != AM_DMARC_POLICY_UNSPEC)
		(void)snprintf(sp, sizeof(sp), "; sp=%s",
		    policy_names[rec->sp]);
	(void)snprintf(canon, sizeof(canon),
	    "v=DMARC1; p=%s%s; adkim=%c; aspf=%c; pct=%d",
	    policy_names[rec->p], sp, rec->adkim, rec->aspf, rec->pct);
	if ((pctx = opendmarc_policy_connect_init((u_char *)"0.0.0.0", 0)) ==
	    NULL) {
		(void)snprintf(why, whylen, "libopendmarc: no memory");
		return false;
	}
	st = opendmarc_policy_store_dmarc(pctx, (u_char *)canon,
	    (u_char *)author, strcmp(author, policy_domain) != 0 ?
	    (u_char *)policy_domain : NULL);
	if (st == DMARC_PARSE_OKAY) {
		(void)opendmarc_policy_fetch_p(pctx, &p);
		(void)opendmarc_policy_fetch_sp(pctx, &s);
		(void)opendmarc_policy_fetch_adkim(pctx, &adkim);
		(void)opendmarc_policy_fetch_aspf(pctx, &aspf);
		(void)opendmarc_policy_fetch_pct(pctx, &pct);
		rec->p = lib_policy(p);
		rec->sp = lib_policy(s);
		rec->adkim = adkim == DMARC_RECORD_A_STRICT ? 's' : 'r';
		rec->aspf = aspf == DMARC_RECORD_A_STRICT ? 's' : 'r';
		rec->pct = pct;
	} else
		(void)snprintf(why, whylen, "libopendmarc: %s",
		    opendmarc_policy_status_to_str(st));
	(void)opendmarc_policy_connect_shutdown(pctx);
	return st == DMARC_PARSE_OKAY && rec->p != AM_DMARC_POLICY_UNSPEC;
}

/* am_dmarc_lib_init - libopendmarc's one initialisation. */
enum am_status
am_dmarc_lib_init(struct am_why *why)
{
	if (pthread_once(&lib_once, lib_init) != 0 || lib_status != 0) {
		am_why_set(why, "libopendmarc initialisation failed (%d)",
		    lib_status);
		return AM_PERMFAIL;
	}
	return AM_OK;
}

/* am_dmarc_record_parse - validate, then let libopendmarc parse. */
enum am_status
am_dmarc_record_parse(const char *txt, const char *author,
    const char *policy_domain, struct am_dmarc_record *rec,
    struct am_why *why)
{
	char reason[160] = "";

	if (txt == NULL || author == NULL || policy_domain == NULL ||
	    rec == NULL)
		AM_PANIC("am_dmarc_record_parse: NULL argument");
	if (!am_dmarc_is_record(txt, strlen(txt)))
		(void)snprintf(reason, sizeof(reason), "no v=DMARC1");
	else if (record_parse(txt, rec, reason, sizeof(reason)) &&
	    am_dmarc_lib_init(why) == AM_OK &&
	    lib_parse(rec, author, policy_domain, reason, sizeof(reason)))
		return AM_OK;
	if (*reason)
		am_why_set(why, "%s", reason);
	memset(rec, 0, sizeof(*rec));
	return AM_PERMFAIL;
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
	(void)snprintf(tw->orgdomain, sizeof(tw->orgdomain), "%s", org);
}

/* am_treewalk_run - RFC 9989 §4.10 DNS Tree Walk from domain. */
enum am_status
am_treewalk_run(struct am_dns *dns, const char *domain,
    struct am_dmarc_fetch *first, uint64_t deadline_ms,
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
	if (am_domain_normalise(domain, dom, sizeof(dom), why) != AM_OK)
		return AM_PERMFAIL;
	target = dom;
	x = label_count(dom);
	for (;;) {
		st = &tw->step[tw->n];
		(void)snprintf(st->domain, sizeof(st->domain), "%s", target);
		if (tw->n == 0 && first != NULL) {
			st->f = *first;		/* moved */
			first->record = NULL;
		} else
			am_dmarc_fetch(dns, target, deadline_ms, &st->f);
		tw->n++;
		if (st->f.dns == AM_DNS_TEMPERROR) {
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

/* am_treewalk_release - free the records of every step. */
void
am_treewalk_release(struct am_treewalk *tw)
{
	size_t i;

	for (i = 0; i < tw->n; i++)
		am_dmarc_fetch_release(&tw->step[i].f);
	tw->n = 0;
}
