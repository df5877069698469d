/*
 * check_report_browser - the dashboard in a real browser: headless
 * Chromium (Debian's chromium) loads the pages that authmilterctl report
 * html wrote from a store filled only through authmilterctl (report
 * ingest of 30 days of generated reports, the vendored samples, and the
 * reports authmilterctl report export made of inbound rows), dumps the DOM
 * it built, and takes screenshots. The DOM's figures equal SQL over the
 * store (tests/testutil/testdash.c); markup planted in reports is text in
 * the browser's DOM too (no script, no img element). The screenshots are
 * left in the build tree (tests/report/dashboard-*.png): doc/dashboard.png
 * is one of them. Skipped (77) with the reason when chromium is absent.
 */
#include "autoconf.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report/report_store.h"
#include "testutil/testdash.h"
#include "testutil/testutil.h"

#define CTL	AM_TOP_BUILDDIR "/milter/authmilterctl"
#define SHOTS	AM_TOP_BUILDDIR "/tests/report"
#define UNTIL	1795996800LL	/* 2026-11-30 00:00 UTC */
#define DAYS	30
#define BEGIN	(UNTIL - (DAYS - 1) * 86400LL)
#define END	(UNTIL + 86400LL)

static const char *chromium;

/* run - argv with stdout into out (NULL: ours), stderr into err (NULL:
 * ours), stdin /dev/null; the exit status. */
static int
run(const char *const *argv, const char *out, const char *err)
{
	int status, fd;
	pid_t pid;

	if ((pid = fork()) == 0) {
		fd = open("/dev/null", O_RDONLY);
		dup2(fd, 0);
		if (err != NULL) {
			fd = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
			dup2(fd, 2);
		}
		if (out != NULL) {
			fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
			dup2(fd, 1);
		} else
			dup2(2, 1);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* browse - chromium headless on page: the DOM into dom (if not NULL) or a
 * screenshot into png. */
static void
browse(const char *page, const char *dom, const char *png)
{
	char url[1024], profile[] = "/tmp/check_report_browser_pXXXXXX";
	char shot[1200];
	const char *argv[] = { chromium, "--headless", "--no-sandbox",
	    "--disable-gpu", "--disable-quic", "--no-first-run",
	    "--disable-background-networking", "--disable-component-update",
	    "--disable-sync", "--hide-scrollbars", NULL, NULL, NULL, NULL,
	    NULL };
	char udd[128], log[512], *text;
	int k = 10, rc;

	ck_assert_ptr_nonnull(mkdtemp(profile));
	snprintf(udd, sizeof(udd), "--user-data-dir=%s", profile);
	snprintf(url, sizeof(url), "file://%s", page);
	argv[k++] = udd;
	if (dom != NULL)
		argv[k++] = "--dump-dom";
	else {
		snprintf(shot, sizeof(shot), "--screenshot=%s", png);
		argv[k++] = shot;
		argv[k++] = "--window-size=1280,2000";
	}
	argv[k] = url;
	snprintf(log, sizeof(log), "%s/chromium.log", am_test_dir);
	if ((rc = run(argv, dom, log)) != 0) {
		text = am_test_slurp(log);
		fprintf(stderr, "chromium exited %d:\n%s\n", rc, text);
		free(text);
	}
	ck_assert_int_eq(rc, 0);
	snprintf(url, sizeof(url), "rm -rf '%s'", profile);
	ck_assert_int_eq(system(url), 0);
}

/* ctl - authmilterctl -c /dev/null args; its exit status. */
static int
ctl(const char *const *args)
{
	const char *argv[24] = { CTL, "-c", "/dev/null" };
	size_t i;

	for (i = 0; args[i] != NULL && i < 20; i++)
		argv[3 + i] = args[i];
	return run(argv, NULL, NULL);
}

/* own_export - inbound rows into db, then authmilterctl report export of
 * them into dir (what this server sends to others). */
static void
own_export(const char *db, const char *dir)
{
	static const struct am_report_dkim dk = { "in.example", "s",
	    AM_REPORT_RES_PASS };
	const char *args[] = { "report", "export", "--store", db, "--from",
	    "2026-11-29T00:00:00Z", "--to", "2026-11-30T00:00:00Z", "--out",
	    dir, NULL };
	struct am_report_store *rs;
	struct am_report_row r;
	struct am_why why;
	int i;

	rs = am_report_store_open(db, NULL, &why);
	ck_assert_ptr_nonnull(rs);
	for (i = 0; i < 40; i++) {
		memset(&r, 0, sizeof(r));
		r.time = UNTIL - 86400 + 1000 * i;
		r.source_ip = i % 4 ? "192.0.2.44" : "198.51.100.9";
		r.header_from = r.policy_domain = i % 3 ? "in.example" :
		    "bad.example";
		r.envelope_from = r.header_from;
		r.envelope_to = "example.com";
		r.is_dkim_pass = i % 3 != 0;
		r.disposition = r.is_dkim_pass ? AM_REPORT_DISP_NONE :
		    AM_REPORT_DISP_REJECT;
		r.dkim = &dk;
		r.n_dkim = (size_t)(i % 2);
		r.policy.p = AM_REPORT_DISP_REJECT;
		r.policy.pct = 100;
		am_report_store_enqueue(rs, &r);
	}
	am_report_store_close(rs, NULL);
	ck_assert_int_eq(ctl(args), 0);
}

/* build - the store (generated reports, the samples, our own export, all
 * through authmilterctl report ingest) and the site, both under the test
 * directory; is_hostile adds the markup report. */
static const char *
build(bool is_hostile)
{
	const char *db = am_test_path(0, "r.db"), *in = am_test_path(1, "in");
	const char *ingest[] = { "report", "ingest", "--store", db, in, NULL };
	const char *html[] = { "report", "html", "--store", db, "--out",
	    am_test_path(2, "site"), "--until", "2026-11-30", "--days", "30",
	    "--no-dns", NULL };
	char cmd[1024];

	ck_assert_int_eq(mkdir(in, 0700), 0);
	ck_assert_int_gt(am_testdash_reports(in, UNTIL, DAYS, is_hostile), 300);
	snprintf(cmd, sizeof(cmd), "cp '%s'/tests/conformance/dmarc/samples/"
	    "*.xml '%s'", AM_TOP_SRCDIR, in);
	ck_assert_int_eq(system(cmd), 0);
	own_export(db, in);
	ck_assert_int_eq(ctl(ingest), 0);
	ck_assert_int_eq(ctl(html), 0);
	return db;
}

/* dom - the DOM Chromium built for a page of the site. */
static htmlDocPtr
dom(const char *page)
{
	char path[512], out[512], *html;
	htmlDocPtr doc;

	snprintf(path, sizeof(path), "%s/site/%s", am_test_dir, page);
	snprintf(out, sizeof(out), "%s/dom.html", am_test_dir);
	browse(path, out, NULL);
	html = am_test_slurp(out);
	ck_assert_msg(strstr(html, "</html>") != NULL, "no DOM: %.200s", html);
	doc = am_testdash_load_mem(html);
	free(html);
	ck_assert_ptr_nonnull(doc);
	return doc;
}

/* shot - a screenshot of a page into SHOTS/name; checks it is a PNG. */
static void
shot(const char *page, const char *name)
{
	char path[512], png[512];
	struct stat st;
	FILE *fp;
	char magic[8];

	snprintf(path, sizeof(path), "%s/site/%s", am_test_dir, page);
	snprintf(png, sizeof(png), "%s/%s", SHOTS, name);
	unlink(png);
	browse(path, NULL, png);
	ck_assert_int_eq(stat(png, &st), 0);
	ck_assert_int_gt(st.st_size, 20000);	/* not a blank page */
	fp = fopen(png, "rb");
	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fread(magic, 1, 8, fp), 8);
	fclose(fp);
	ck_assert_int_eq(memcmp(magic, "\x89PNG\r\n\x1a\n", 8), 0);
	printf("screenshot: %s\n", png);
}

/* the browser's DOM of the index and a domain page shows the store's
 * figures; screenshots of both */
START_TEST(test_dashboard)
{
	static const char *const exported[] = { "in.example", "bad.example" };
	const char *db = build(false);
	htmlDocPtr doc;
	size_t i;

	doc = dom("index.html");
	am_testdash_check_domains(db, doc, BEGIN, END);
	am_testdash_check_inbound(db, doc, BEGIN, END);
	for (i = 0; i < 2; i++)	/* the reports we exported, read back */
		ck_assert_int_eq(am_testdash_num(doc, "//tr[@data-domain='%s']/"
		    "td[contains(@class,'msgs')]", exported[i]),
		    am_testdash_sql(db, "SELECT count(*) FROM rows WHERE "
		    "policy_domain = '%s'", exported[i]));
	ck_assert_int_eq(am_testdash_count(doc, "//script"), 0);
	ck_assert_int_eq(am_testdash_count(doc, "//svg"), 5);
	xmlFreeDoc(doc);
	doc = dom("domain-example.com.html");
	am_testdash_check_sources(db, doc, "example.com", BEGIN, END);
	am_testdash_check_days(db, doc, "example.com", BEGIN, DAYS);
	xmlFreeDoc(doc);
	shot("index.html", "dashboard-index.png");
	shot("domain-example.com.html", "dashboard-domain.png");
}
END_TEST

/* markup planted in a report is text in the browser's DOM too */
START_TEST(test_hostile)
{
	htmlDocPtr doc;
	char *t;

	(void)build(true);
	doc = dom("domain-x___script_alert_1___script_.example.html");
	ck_assert_int_eq(am_testdash_count(doc, "//script"), 0);
	ck_assert_int_eq(am_testdash_count(doc, "//img"), 0);
	ck_assert_int_eq(am_testdash_count(doc, "//*[@onerror or "
	    "@onmouseover]"), 0);
	t = am_testdash_text(doc, "//table[@id='reporters']/tbody/tr/td[1]");
	ck_assert_str_eq(t, AM_TESTDASH_EVIL_ORG);
	free(t);
	t = am_testdash_text(doc, "//table[@id='sources']/tbody/tr/td[1]");
	ck_assert_str_eq(t, AM_TESTDASH_EVIL_IP);
	free(t);
	t = am_testdash_text(doc, "//h1");
	ck_assert_str_eq(t, "DMARC: " AM_TESTDASH_EVIL_DOMAIN);
	free(t);
	xmlFreeDoc(doc);
	doc = dom("index.html");
	ck_assert_int_eq(am_testdash_count(doc, "//script"), 0);
	ck_assert_int_eq(am_testdash_count(doc, "//tr[@data-domain='"
	    AM_TESTDASH_EVIL_DOMAIN "']"), 1);
	xmlFreeDoc(doc);
}
END_TEST

/* find_chromium - the browser, or NULL. */
static const char *
find_chromium(void)
{
	static const char *const paths[] = { "/usr/bin/chromium",
	    "/usr/lib/chromium/chromium", "/usr/bin/chromium-browser" };
	size_t i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (access(paths[i], X_OK) == 0)
			return paths[i];
	return NULL;
}

int
main(void)
{
	Suite *s;
	TCase *tc;

	if ((chromium = find_chromium()) == NULL) {
		printf("SKIP: chromium is not installed (Debian package "
		    "chromium; contrib/install-deps.sh installs it)\n");
		return 77;
	}
	s = suite_create("report_browser");
	tc = tcase_create("browser");
	tcase_add_checked_fixture(tc, am_test_dir_make, am_test_dir_remove);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_dashboard);
	tcase_add_test(tc, test_hostile);
	suite_add_tcase(s, tc);
	return am_test_run(s);
}
