/*
 * NAME        am_testdash - data and DOM checks for the dashboard suites
 *             (check_report_html, check_report_browser)
 * SYNOPSIS    am_testdash_reports(dir, until, 30, false);
 *             htmlDocPtr doc = am_testdash_load(path);
 *             long long n = am_testdash_num(doc, "//tr[@data-ip='%s']/td[3]",
 *                 ip);
 *             xmlFreeDoc(doc);
 * DESCRIPTION am_testdash_reports() writes received aggregate reports into
 *             dir for the days UTC days ending with the day that starts at
 *             until: four reporters, three domains (p=reject, quarantine,
 *             none), the sources a real domain has (its own MTAs, an ESP
 *             that fails SPF alignment, a CRM that does not sign,
 *             forwarders, a mailing list, spoofers, an IPv6 host), daily
 *             counts from a fixed pseudo-random sequence (the same data on
 *             every run). Reports are .xml, .xml.gz, one .zip and one
 *             mail message (base64 gzip attachment); RFC 7489 and some
 *             RFC 9990. Returns the number of files. is_hostile adds a
 *             report whose org_name, a source IP and a comment are markup
 *             (AM_TESTDASH_EVIL_*) for the escaping checks.
 *
 *             am_testdash_load() parses an HTML file (libxml2, no network,
 *             no messages); am_testdash_load_mem() a string.
 *             am_testdash_count() is the number of nodes the XPath (a
 *             printf format) selects; am_testdash_text() the text of the
 *             first (owned; NULL when none); am_testdash_num() that text
 *             as a number, commas removed (-1 when none or not a number).
 *
 *             am_testdash_sql() is one integer from SQL (a printf format)
 *             on a SQLite store, -1 when there is none. The check functions
 *             compare a page (index: domains, inbound; a domain page:
 *             sources, days) with SQL over the store of [begin, end) and,
 *             for the encoded DKIM and SPF lists, the query API: the
 *             figures of example.com, .net and .org as am_testdash_reports()
 *             writes them, every source, every day, every inbound result.
 * THREADS     test use.
 */
#ifndef AM_TESTDASH_H
#define AM_TESTDASH_H

#include <stdbool.h>
#include <stdint.h>

#include <libxml/HTMLparser.h>

#define AM_TESTDASH_EVIL_ORG	"<script>alert(\"org\")</script> & 'Co'"
#define AM_TESTDASH_EVIL_IP	"<img src=x onerror=alert(1)>"
#define AM_TESTDASH_EVIL_DOMAIN	"x\"><script>alert(1)</script>.example"

int am_testdash_reports(const char *dir, int64_t until, unsigned days,
    bool is_hostile);
htmlDocPtr am_testdash_load(const char *path);
htmlDocPtr am_testdash_load_mem(const char *html);
int am_testdash_count(htmlDocPtr doc, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
char *am_testdash_text(htmlDocPtr doc, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
long long am_testdash_num(htmlDocPtr doc, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

long long am_testdash_sql(const char *db, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void am_testdash_check_domains(const char *db, htmlDocPtr doc,
    long long begin, long long end);
void am_testdash_check_sources(const char *db, htmlDocPtr doc,
    const char *domain, long long begin, long long end);
void am_testdash_check_days(const char *db, htmlDocPtr doc,
    const char *domain, long long begin, int days);
void am_testdash_check_inbound(const char *db, htmlDocPtr doc,
    long long begin, long long end);

#endif
