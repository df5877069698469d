/*
 * check_report_html - the dashboard (report_dash, report_html) against its
 * store: 30 days of generated reports from four reporters (ingested with
 * authmilterctl report ingest) and inbound rows; every figure on the pages
 * (per domain, per day, per source, the SPF-only and DKIM-only failures,
 * the inbound summary) equals what SQL over the store (and, for the
 * encoded DKIM/SPF lists, the query API) says. Markup planted in an org
 * name, a domain, a source IP, a reason comment and an inbound domain comes
 * out as inert text; reverse names are looked up for at most max_lookups
 * sources; page names stay unique and safe. The pages are parsed with
 * libxml2's HTML parser here; check_report_browser does it in Chromium.
 */
#include "autoconf.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dns/dns.h"
#include "report/report_dash.h"
#include "report/report_html.h"
#include "report/report_store.h"
#include "testutil/testdash.h"
#include "testutil/testutil.h"

#define CTL	AM_TOP_BUILDDIR "/milter/authmilterctl"
#define UNTIL	1795996800LL	/* 2026-11-30 00:00 UTC */
#define DAYS	30
#define BEGIN	(UNTIL - (DAYS - 1) * 86400LL)
#define END	(UNTIL + 86400LL)

/* ctl - run authmilterctl -c /dev/null ARGS (output to our stderr). */
static int
ctl(const char *const *args)
{
	const char *argv[24] = { CTL, "-c", "/dev/null" };
	int status;
	size_t i;
	pid_t pid;

	for (i = 0; args[i] != NULL && i < 20; i++)
		argv[3 + i] = args[i];
	if ((pid = fork()) == 0) {
		dup2(2, 1);
		execv(CTL, (char *const *)argv);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static const struct am_report_dkim in_dkim[] = {
	{ "in.example", "s", AM_REPORT_RES_PASS },
	{ "other.example", "t", AM_REPORT_RES_FAIL },
};
static const struct am_report_spf in_spf[] = {
	{ "in.example", AM_REPORT_SCOPE_MFROM, AM_REPORT_RES_SOFTFAIL },
	{ "mx.in.example", AM_REPORT_SCOPE_HELO, AM_REPORT_RES_PASS },
};

/* inbound_rows - rows as the daemon writes them: passes, failures of
 * three domains, rejects, unsigned mail; one domain is markup and one is
 * not UTF-8. */
static void
inbound_rows(const char *db)
{
	static const char *const dom[] = { "in.example", "bad.example",
	    "<i>evil</i>.example", "\xff\xfe.example" };
	struct am_report_store *rs;
	struct am_report_row r;
	struct am_why why;
	int i;

	rs = am_report_store_open(db, NULL, &why);
	ck_assert_ptr_nonnull(rs);
	for (i = 0; i < 60; i++) {
		memset(&r, 0, sizeof(r));
		r.time = BEGIN + 3600 * i * 11;
		r.source_ip = i % 2 ? "192.0.2.1" : "2001:db8::1";
		r.header_from = r.policy_domain = dom[i % 4];
		r.envelope_from = "";
		r.envelope_to = "rcpt.example";
		r.is_dkim_pass = i % 3 == 0;
		r.is_spf_pass = i % 5 == 0;
		r.disposition = r.is_dkim_pass || r.is_spf_pass ?
		    AM_REPORT_DISP_NONE : i % 2 ? AM_REPORT_DISP_REJECT :
		    AM_REPORT_DISP_QUARANTINE;
		r.dkim = in_dkim;
		r.n_dkim = (size_t)(i % 3);
		r.spf = in_spf;
		r.n_spf = 1 + (size_t)(i % 2);
		r.policy.p = AM_REPORT_DISP_REJECT;
		r.policy.pct = 100;
		am_report_store_enqueue(rs, &r);
	}
	am_report_store_close(rs, NULL);
}

/* site - a store with the generated reports (is_hostile: and the markup
 * report) and inbound rows; the pages written into am_test_dir/site. */
static const char *
site(bool is_hostile, struct am_dns *dns, unsigned max_lookups)
{
	const char *db = am_test_path(0, "r.db");
	const char *args[] = { "report", "ingest", "--store", db,
	    am_test_path(1, "in"), NULL };
	const char *stores[1] = { db };
	struct am_report_html_opts o = { UNTIL + 3600, NULL };
	struct am_dash *d;
	struct am_why why;

	ck_assert_int_eq(mkdir(am_test_path(1, "in"), 0700), 0);
	ck_assert_int_gt(am_testdash_reports(am_test_path(1, "in"), UNTIL,
	    DAYS, is_hostile), 300);
	ck_assert_int_eq(ctl(args), 0);
	inbound_rows(db);
	ck_assert_int_eq(am_report_dash_build(stores, 1, BEGIN, DAYS, NULL, &d,
	    &why), AM_OK);
	am_report_dash_resolve(d, dns, max_lookups, 2000);
	ck_assert_int_eq(am_report_html_write(am_test_path(2, "site"), d, &o,
	    &why), AM_OK);
	am_report_dash_free(d);
	return db;
}


/* every figure of the index and of a domain page equals the store's */
START_TEST(test_figures)
{
	const char *db = site(false, NULL, 0);
	htmlDocPtr doc;

	doc = am_testdash_load(am_test_path(1, "site/index.html"));
	ck_assert_ptr_nonnull(doc);
	am_testdash_check_domains(db, doc, BEGIN, END);
	am_testdash_check_inbound(db, doc, BEGIN, END);
	ck_assert_int_gt(am_testdash_num(doc, "//tr[@data-method='dkim']/"
	    "td[@data-result='fail']"), 0);	/* the data has them */
	ck_assert_int_eq(am_testdash_count(doc, "//script"), 0);
	xmlFreeDoc(doc);
	doc = am_testdash_load(am_test_path(1, "site/domain-example.com.html"));
	ck_assert_ptr_nonnull(doc);
	am_testdash_check_sources(db, doc, "example.com", BEGIN, END);
	am_testdash_check_days(db, doc, "example.com", BEGIN, DAYS);
	ck_assert_int_eq(am_testdash_count(doc, "//table[@id='reporters']/"
	    "tbody/tr"), 4);
	xmlFreeDoc(doc);
	doc = am_testdash_load(am_test_path(1, "site/domain-example.org.html"));
	ck_assert_ptr_nonnull(doc);
	am_testdash_check_sources(db, doc, "example.org", BEGIN, END);
	xmlFreeDoc(doc);
}
END_TEST

/* markup in report strings and inbound domains comes out as text */
START_TEST(test_escaping)
{
	htmlDocPtr doc;
	char *t, page[64];
	int k;

	(void)site(true, NULL, 0);
	for (k = 0; k < 2; k++) {
		snprintf(page, sizeof(page), "site/%s", k == 0 ? "index.html" :
		    "domain-x___script_alert_1___script_.example.html");
		doc = am_testdash_load(am_test_path(1, page));
		ck_assert_msg(doc != NULL, "%s", page);
		ck_assert_int_eq(am_testdash_count(doc, "//script"), 0);
		ck_assert_int_eq(am_testdash_count(doc, "//img"), 0);
		ck_assert_int_eq(am_testdash_count(doc, "//i[text()='evil']"),
		    0);
		ck_assert_int_eq(am_testdash_count(doc, "//b[@onmouseover]"), 0);
		ck_assert_int_eq(am_testdash_count(doc, "//*[@onerror]"), 0);
		t = am_testdash_text(doc, "//section[@data-domain='%s']/h2/"
		    "text()", AM_TESTDASH_EVIL_DOMAIN);
		ck_assert_ptr_nonnull(t);
		ck_assert_str_eq(t, AM_TESTDASH_EVIL_DOMAIN);
		free(t);
		xmlFreeDoc(doc);
	}
	doc = am_testdash_load(am_test_path(1, "site/domain-x___script_alert_"
	    "1___script_.example.html"));
	t = am_testdash_text(doc, "//table[@id='reporters']/tbody/tr/td[1]");
	ck_assert_str_eq(t, AM_TESTDASH_EVIL_ORG);
	free(t);
	t = am_testdash_text(doc, "//table[@id='sources']/tbody/tr/td[1]");
	ck_assert_str_eq(t, AM_TESTDASH_EVIL_IP);
	free(t);
	ck_assert_int_eq(am_testdash_count(doc, "//tr[@data-ip='"
	    AM_TESTDASH_EVIL_IP "']"), 1);
	xmlFreeDoc(doc);
	doc = am_testdash_load(am_test_path(1, "site/index.html"));
	t = am_testdash_text(doc, "//table[@id='top-failing']//td[text()="
	    "'<i>evil</i>.example']");
	ck_assert_ptr_nonnull(t);	/* the inbound domain, as text */
	free(t);
	t = am_testdash_text(doc, "//table[@id='top-failing']//td[starts-with("
	    "text(), '\xef\xbf\xbd\xef\xbf\xbd.')]");
	ck_assert_ptr_nonnull(t);	/* not UTF-8: U+FFFD each */
	free(t);
	xmlFreeDoc(doc);
}
END_TEST

/* reverse names: the busiest sources, at most max_lookups of them; a
 * name with markup is written as '?' bytes */
START_TEST(test_ptr)
{
	struct am_dns_opts o = { NULL, NULL, true };
	struct am_dns *dns;
	struct am_why why;
	htmlDocPtr doc;
	char *t;

	dns = am_dns_new(&o, &why);
	ck_assert_ptr_nonnull(dns);
	ck_assert_int_eq(am_dns_add_local(dns, "10.2.0.192.in-addr.arpa. 300 "
	    "IN PTR mx1.example.com.", &why), AM_OK);
	ck_assert_int_eq(am_dns_add_local(dns, "11.2.0.192.in-addr.arpa. 300 "
	    "IN PTR mx2.example.com.", &why), AM_OK);
	ck_assert_int_eq(am_dns_add_local(dns, "5.2.0.0.0.0.0.0.0.0.0.0.0.0.0."
	    "0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. 300 IN PTR "
	    "v6.example.com.", &why), AM_OK);
	(void)site(false, dns, 2);
	doc = am_testdash_load(am_test_path(1, "site/domain-example.com.html"));
	t = am_testdash_text(doc, "//table[@id='sources']//tr[@data-ip="
	    "'192.0.2.10']/td[2]");
	ck_assert_str_eq(t, "mx1.example.com");
	free(t);
	t = am_testdash_text(doc, "//table[@id='sources']//tr[@data-ip="
	    "'192.0.2.11']/td[2]");
	ck_assert_str_eq(t, "mx2.example.com");
	free(t);
	t = am_testdash_text(doc, "//table[@id='sources']//tr[@data-ip="
	    "'2001:db8::25']/td[2]");	/* third busiest: over the bound */
	ck_assert_str_eq(t, "");
	free(t);
	xmlFreeDoc(doc);
	am_dns_free(dns);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("report_html");
	TCase *tc = tcase_create("html");

	tcase_add_checked_fixture(tc, am_test_dir_make, am_test_dir_remove);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_figures);
	tcase_add_test(tc, test_escaping);
	tcase_add_test(tc, test_ptr);
	suite_add_tcase(s, tc);
	return am_test_run(s);
}
