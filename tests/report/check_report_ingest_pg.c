/*
 * check_report_ingest_pg - received aggregate reports in PostgreSQL (a
 * real server the suite starts, tests/testutil/testpg.sh): put, duplicate
 * by (org_name, report_id), scan by period and domain, expire, text that is
 * not UTF-8; the same dashboard, byte for byte, from a database and from a
 * SQLite file holding the same reports (check_report_html checks the
 * SQLite figures against SQL); two authmilterctl report ingest processes
 * at once on one database store each report once. Skipped (77) with the
 * reason when PostgreSQL is not installed.
 */
#include "autoconf.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "report/report_agg.h"
#include "report/report_dash.h"
#include "report/report_html.h"
#include "report/report_ingest.h"
#include "testutil/testdash.h"
#include "testutil/testpg.h"
#include "testutil/testutil.h"

#define SAMPLES	AM_TOP_SRCDIR "/tests/conformance/dmarc/samples/"
#define CTL	AM_TOP_BUILDDIR "/milter/authmilterctl"
#define UNTIL	1795996800LL	/* 2026-11-30 00:00 UTC */
#define DAYS	30

static struct am_testpg *pg;

static const char *const files[] = {
	"dmarcbis-draft32-sample.xml", "fastmail-stalw.art-mailauth003.xml",
	"google.com-example.org-mailauth002.xml",
	"outlook.com-example.com-parsedmarc.xml",
};

/* parse_file - the report of a sample file (owned). */
static struct am_agg_report *
parse_file(const char *name)
{
	struct am_ingest_limits lim;
	struct am_agg_report *r;
	struct am_why why, warn;
	char path[512], *xml;

	am_report_ingest_limits(&lim);
	snprintf(path, sizeof(path), SAMPLES "%s", name);
	xml = am_test_slurp(path);
	ck_assert_int_eq(am_report_ingest_parse(xml, strlen(xml), &lim, NULL,
	    false, &r, &warn, &why), AM_OK);
	free(xml);
	return r;
}

/* dump - every record a scan gives, one line each (into a buffer). */
static void
on_record(void *arg, const struct am_agg_report *r,
    const struct am_agg_record *c)
{
	struct am_buf *b = arg;
	size_t i;

	(void)am_buf_printf(b, "%s|%s|%s|%s|%lld|%lld|%s|%s|%s|%s|%s|%llu|%s|"
	    "%s|%s|%s|%s|%s", r->format, r->org_name, r->report_id,
	    r->policy.domain, (long long)r->begin, (long long)r->end,
	    r->policy.p, r->policy.np, r->policy.pct, r->origin, c->source_ip,
	    (unsigned long long)c->count, c->disposition, c->dkim, c->spf,
	    c->header_from, c->envelope_from, c->envelope_to);
	for (i = 0; i < c->n_reasons; i++)
		(void)am_buf_printf(b, "|r:%s:%s", c->reasons[i].type,
		    c->reasons[i].comment);
	for (i = 0; i < c->n_dkim_auth; i++)
		(void)am_buf_printf(b, "|d:%s:%s:%s", c->dkim_auth[i].domain,
		    c->dkim_auth[i].selector, c->dkim_auth[i].result);
	for (i = 0; i < c->n_spf_auth; i++)
		(void)am_buf_printf(b, "|s:%s:%s:%s", c->spf_auth[i].domain,
		    c->spf_auth[i].selector, c->spf_auth[i].result);
	(void)am_buf_puts(b, "\n");
}

/* scan - the dump of a store over [b, e) (owned). */
static char *
scan(const char *path, int64_t b, int64_t e, const char *domain)
{
	struct am_report_agg_db *db;
	struct am_why why;
	struct am_buf out;

	am_buf_init(&out, 1 << 20);
	db = am_report_agg_open(path, true, &why);
	ck_assert_msg(db != NULL, "%s", why.text);
	ck_assert_int_eq(am_report_agg_scan(db, b, e, domain, on_record, &out,
	    &why), AM_OK);
	am_report_agg_close(db);
	return am_buf_export(&out);
}

/* put_all - the samples (twice: the second time duplicates) into path. */
static void
put_all(const char *path, const char *origin)
{
	struct am_report_agg_db *db;
	struct am_agg_report *r;
	struct am_why why;
	bool is_dup;
	size_t i;

	db = am_report_agg_open(path, false, &why);
	ck_assert_msg(db != NULL, "%s", why.text);
	for (i = 0; i < 8; i++) {
		r = parse_file(files[i % 4]);
		r->origin = origin;
		ck_assert_int_eq(am_report_agg_put(db, r, &is_dup, &why), AM_OK);
		ck_assert(is_dup == (i >= 4));
		am_report_agg_free(r);
	}
	am_report_agg_close(db);
}

/* the same records from PostgreSQL as from SQLite; duplicates; periods,
 * domains; expire; bytes that are not UTF-8 */
START_TEST(test_store)
{
	const char *file = am_test_path(0, "a.db");
	const char *uri = am_testpg_newdb(pg, "agg");
	struct am_why why;
	char *a, *b;
	uint64_t n;

	put_all(file, "sample");
	put_all(uri, "sample");
	ck_assert_int_eq(am_testpg_int(pg, "agg", "SELECT count(*) FROM "
	    "agg_reports"), 4);
	ck_assert_int_eq(am_testpg_int(pg, "agg", "SELECT sum(count) FROM "
	    "agg_records"), 135);
	a = scan(file, 0, INT64_MAX / 2, NULL);
	b = scan(uri, 0, INT64_MAX / 2, NULL);
	ck_assert_str_eq(a, b);
	free(a);
	free(b);
	a = scan(file, 1667347200, 1667347200 + 86400, "stalw.art");
	b = scan(uri, 1667347200, 1667347200 + 86400, "stalw.art");
	ck_assert_str_eq(a, b);
	ck_assert_ptr_nonnull(strstr(a, "|64.147.108.117|3|none|fail|fail|"));
	free(a);
	free(b);
	ck_assert_int_eq(am_report_agg_expire(uri, 1700000000, &n, &why),
	    AM_OK);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(am_testpg_int(pg, "agg", "SELECT count(*) FROM "
	    "agg_records"), 1);	/* their records went with them */
	uri = am_testpg_newdb(pg, "agg8");
	put_all(uri, "file \xff\xfe");	/* a file name need not be UTF-8 */
	a = scan(uri, 0, INT64_MAX / 2, "example.org");
	ck_assert_ptr_nonnull(strstr(a, "|file ??|"));
	free(a);
}
END_TEST

/* ingest - authmilterctl report ingest --store store dir (stdout to
 * /dev/null); the pid. */
static pid_t
ingest(const char *store, const char *dir)
{
	const char *argv[] = { CTL, "-c", "/dev/null", "report", "ingest",
	    "--store", store, dir, NULL };
	pid_t pid;

	if ((pid = fork()) == 0) {
		if (freopen("/dev/null", "w", stdout) == NULL)
			_exit(126);
		execv(CTL, (char *const *)argv);
		_exit(127);
	}
	return pid;
}

/* wait_ok - pid exited 0. */
static void
wait_ok(pid_t pid)
{
	int status;

	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* site - the dashboard of store into dir (fixed generation time). */
static char *
site(const char *store, const char *dir)
{
	struct am_report_html_opts o = { UNTIL + 3600, NULL };
	const char *stores[1] = { store };
	char path[512], *a, *b;
	struct am_dash *d;
	struct am_why why;

	ck_assert_int_eq(am_report_dash_build(stores, 1, UNTIL - (DAYS - 1) *
	    86400LL, DAYS, NULL, &d, &why), AM_OK);
	ck_assert_int_eq(am_report_html_write(dir, d, &o, &why), AM_OK);
	am_report_dash_free(d);
	snprintf(path, sizeof(path), "%s/index.html", dir);
	a = am_test_slurp(path);
	snprintf(path, sizeof(path), "%s/domain-example.com.html", dir);
	b = am_test_slurp(path);
	a = realloc(a, strlen(a) + strlen(b) + 1);
	ck_assert_ptr_nonnull(a);
	memcpy(a + strlen(a), b, strlen(b) + 1);
	free(b);
	return a;
}

/* two ingests at once store each report once; the dashboard of the
 * database is the dashboard of a SQLite file with the same reports */
START_TEST(test_ingest_and_dashboard)
{
	const char *in = am_test_path(0, "in"), *file = am_test_path(1, "r.db");
	const char *uri = am_testpg_newdb(pg, "dash");
	char *a, *b;
	pid_t p1, p2;
	int n;

	ck_assert_int_eq(mkdir(in, 0700), 0);
	n = am_testdash_reports(in, UNTIL, DAYS, true);
	p1 = ingest(uri, in);
	p2 = ingest(uri, in);
	wait_ok(p1);
	wait_ok(p2);
	ck_assert_int_eq(am_testpg_int(pg, "dash", "SELECT count(*) FROM "
	    "agg_reports"), n);
	wait_ok(ingest(file, in));
	a = site(file, am_test_path(2, "site-sqlite"));
	b = site(uri, am_test_path(3, "site-pg"));
	ck_assert_msg(strcmp(a, b) == 0, "the pages differ");
	ck_assert_ptr_nonnull(strstr(a, "example.com"));
	free(a);
	free(b);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("report_ingest_pg");
	TCase *tc = tcase_create("pg");
	struct am_why why;
	SRunner *sr;
	int failed;

	if (!am_testpg_available(&why)) {
		printf("SKIP: check_report_ingest_pg: %s\n", why.text);
		return 77;
	}
	if ((pg = am_testpg_start(&why)) == NULL) {
		fprintf(stderr, "check_report_ingest_pg: %s\n", why.text);
		return 1;
	}
	tcase_add_checked_fixture(tc, am_test_dir_make, am_test_dir_remove);
	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, test_store);
	tcase_add_test(tc, test_ingest_and_dashboard);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	pg = am_testpg_stop(pg);
	return failed == 0 ? 0 : 1;
}
