/*
 * NAME        am_report_dash - the figures of the DMARC dashboard, from the
 *             report store: received aggregate reports (how others see our
 *             domains) and the inbound rows (what authmilter decided)
 * SYNOPSIS    struct am_dash *d;
 *             st = am_report_dash_build(stores, n, begin, days, domain, &d,
 *                 &why);
 *             am_report_dash_resolve(d, dns, max_lookups, timeout_ms);
 *             d = am_report_dash_free(d);
 * DESCRIPTION am_report_dash_build() reads the stores (read-only) for the
 *             days UTC days from begin (a midnight): the received reports
 *             whose period midpoint falls in them (report_agg.h), and the
 *             inbound rows of that time (report_store.h query); domain
 *             (may be NULL) keeps one policy domain. It returns an owned
 *             struct am_dash: one am_dash_domain per policy domain of the
 *             received reports, by messages (most first; at most
 *             AM_DASH_DOMAINS_MAX, the rest counted in domains_left), each
 *             with its daily series by category, its sources (by source
 *             IP, most messages first) and its reporters; and the inbound
 *             summary. A record's category: "pass" when its evaluated DKIM
 *             or SPF is pass, else "fail" (split by its first reason:
 *             forwarded or trusted_forwarder, mailing_list, another reason,
 *             none given) when either is fail, else "none". A day is the
 *             UTC day of the report period's midpoint. Strings are copies
 *             of report text, untrusted (the page escapes them).
 *
 *             am_report_dash_resolve() fills the reverse names (PTR) of
 *             the sources with the most messages, at most max_lookups
 *             distinct addresses, all queried at once and waited for until
 *             timeout_ms; a name that is not there stays "". dns NULL does
 *             nothing (--no-dns).
 * THREADS     one owner.
 * DIAGNOSTICS AM_TEMPFAIL with why when a store cannot be read.
 */
#ifndef AM_REPORT_DASH_H
#define AM_REPORT_DASH_H

#include <stddef.h>
#include <stdint.h>

#include "core/am.h"
#include "dns/dns.h"

#define AM_DASH_DOMAINS_MAX	200
#define AM_DASH_TOP_MAX		10	/* failing inbound domains shown */

enum am_dash_cat {		/* a record's DMARC result, for the series */
	AM_DASH_PASS = 0,
	AM_DASH_FAIL,		/* no reason given */
	AM_DASH_FAIL_FORWARDED,	/* forwarded, trusted_forwarder */
	AM_DASH_FAIL_LIST,	/* mailing_list */
	AM_DASH_FAIL_OTHER,	/* another reason */
	AM_DASH_NONE,		/* neither pass nor fail evaluated */
	AM_DASH_CAT_N
};

enum am_dash_disp {		/* disposition applied by the reporter */
	AM_DASH_DISP_NONE = 0,
	AM_DASH_DISP_QUARANTINE,
	AM_DASH_DISP_REJECT,
	AM_DASH_DISP_OTHER,	/* "pass" (RFC 9990), absent, unknown */
	AM_DASH_DISP_N
};

struct am_dash_source {		/* one sending IP for one domain */
	char *ip;		/* as the reports wrote it */
	char *ptr;		/* reverse name, or "" */
	uint64_t messages;
	uint64_t cat[AM_DASH_CAT_N];
	uint64_t spf_aligned;	/* evaluated spf pass */
	uint64_t dkim_aligned;	/* evaluated dkim pass */
	uint64_t spf_only_fail;	/* dkim pass, spf fail */
	uint64_t dkim_only_fail;	/* spf pass, dkim fail */
	uint64_t disp[AM_DASH_DISP_N];
	char *dkim_domain;	/* d= of its first DKIM result, or "" */
	char *spf_domain;	/* domain of its first SPF result, or "" */
};

struct am_dash_reporter {	/* one org_name reporting on a domain */
	char *org;
	uint64_t reports;	/* distinct report_id */
	uint64_t messages;
};

struct am_dash_domain {
	char *domain;		/* policy_published domain */
	char *p;		/* p= of its latest report */
	uint64_t messages;
	uint64_t cat[AM_DASH_CAT_N];
	uint64_t *days;		/* [day * AM_DASH_CAT_N + cat] */
	struct am_dash_source *src;	/* n_src, by messages */
	size_t n_src;
	struct am_dash_reporter *rep;	/* n_rep, by messages */
	size_t n_rep;
	int64_t latest;		/* begin of its latest report */
};

struct am_dash_inbound {	/* the rows authmilter wrote */
	uint64_t messages;
	uint64_t dmarc_pass;	/* aligned DKIM or SPF pass */
	uint64_t disp[3];	/* none, quarantine, reject applied */
	uint64_t dkim[8];	/* signatures by am_report_result */
	uint64_t unsigned_msgs;	/* messages without a DKIM signature */
	uint64_t spf_mfrom[8];	/* MAIL FROM checks by result */
	uint64_t spf_helo[8];	/* HELO checks by result */
	struct {
		char *domain;	/* policy domain */
		uint64_t fail;	/* DMARC failures */
		uint64_t messages;
	} top[AM_DASH_TOP_MAX];	/* most failures first */
	size_t n_top;
};

struct am_dash {
	int64_t begin;		/* first second, a UTC midnight */
	unsigned days;		/* days in the series */
	struct am_dash_domain *dom;	/* n_dom */
	size_t n_dom;
	size_t domains_left;	/* domains not kept (over the max) */
	uint64_t reports;	/* received reports in the period */
	struct am_dash_inbound in;
};

enum am_status am_report_dash_build(const char *const *stores, size_t n,
    int64_t begin, unsigned days, const char *domain, struct am_dash **out,
    struct am_why *why);
void am_report_dash_resolve(struct am_dash *d, struct am_dns *dns,
    unsigned max_lookups, unsigned timeout_ms);
struct am_dash *am_report_dash_free(struct am_dash *d);

/* Names: "pass", "fail", "fail: forwarded", ...; "none", ... */
const char *am_report_dash_cat_name(enum am_dash_cat c);
const char *am_report_dash_disp_name(enum am_dash_disp d);

#endif
