/*
 * dmarc_record.c - DMARC record parsing (RFC 7489 §6.3, RFC 9989): our own
 * validation of every tag first (libopendmarc accepts records without v=,
 * prefix words like p=r, non-numeric pct, and lets rf=iodef make aspf
 * strict: LIBRARY-NOTES §4), then libopendmarc's parser on the canonical
 * record we rebuild. Split from orgdomain.c; declarations in orgdomain.h.
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
#define TAG_SHOWN 64	/* bytes of a tag name or value in a reason */

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

/* uri_list - the URIs of rua= or ruf= into list (at most max, *n of them),
 * "!size" suffixes dropped (RFC 9989). */
static void
uri_list(struct am_str v, char (*list)[AM_DMARC_URI_MAX], size_t max,
    size_t *n)
{
	const char *p, *end, *a, *b, *bang;

	if (v.p == NULL)
		return;		/* "rua" without "=" (NULL + 0 is UB) */
	p = v.p;
	end = v.p + v.len;
	while (p < end) {
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
		if (uri_ok(a, (size_t)(b - a)) && *n < max &&
		    (size_t)(b - a) < AM_DMARC_URI_MAX) {
			memcpy(list[*n], a, (size_t)(b - a));
			list[(*n)++][b - a] = '\0';
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
		uri_list(v, rec->rua, AM_DMARC_MAX_RUA, &rec->nrua);
	else if (is_tag(n, "ruf"))
		uri_list(v, rec->ruf, AM_DMARC_MAX_RUF, &rec->nruf);
	/* rf=, ri= and unknown tags: ignored (RFC 9989 §4.7). */
	return true;
}

/* invalid_tag - "invalid NAME=VALUE", each cut at TAG_SHOWN bytes with the
 * cut marked "...", so a long tag cannot fill the reason. */
static void
invalid_tag(struct am_str n, struct am_str v, char *why, size_t whylen)
{
	int nl = n.len > TAG_SHOWN ? TAG_SHOWN : (int)n.len;
	int vl = v.p == NULL ? 0 : v.len > TAG_SHOWN ? TAG_SHOWN : (int)v.len;

	AM_SNPRINTF_FIT(why, whylen, "invalid %.*s%s=%.*s%s", nl, n.p,
	    n.len > TAG_SHOWN ? "..." : "", vl, v.p ? v.p : "",
	    v.p != NULL && v.len > TAG_SHOWN ? "..." : "");
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
	AM_SNPRINTF_FIT(rec->fo, sizeof(rec->fo), "0");
	while (am_dmarc_tag_next(&pos, &n, &v)) {
		for (i = 0; i < NELEM(known_tags); i++)
			if (is_tag(n, known_tags[i]))
				break;
		if (i < NELEM(known_tags) && (seen & (1u << i))) {
			AM_SNPRINTF_FIT(why, whylen, "duplicate tag %s",
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
			invalid_tag(n, v, why, whylen);
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
		AM_SNPRINTF_FIT(sp, sizeof(sp), "; sp=%s",
		    policy_names[rec->sp]);
	AM_SNPRINTF_FIT(canon, sizeof(canon),
	    "v=DMARC1; p=%s%s; adkim=%c; aspf=%c; pct=%d",
	    policy_names[rec->p], sp, rec->adkim, rec->aspf, rec->pct);
	if ((pctx = opendmarc_policy_connect_init((u_char *)"0.0.0.0", 0)) ==
	    NULL) {
		AM_SNPRINTF_FIT(why, whylen, "libopendmarc: no memory");
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
		AM_SNPRINTF_FIT(why, whylen, "libopendmarc: %.100s",
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
		AM_SNPRINTF_FIT(reason, sizeof(reason), "no v=DMARC1");
	else if (record_parse(txt, rec, reason, sizeof(reason)) &&
	    am_dmarc_lib_init(why) == AM_OK &&
	    lib_parse(rec, author, policy_domain, reason, sizeof(reason)))
		return AM_OK;
	if (*reason)
		am_why_set(why, "%s", reason);
	memset(rec, 0, sizeof(*rec));
	return AM_PERMFAIL;
}

