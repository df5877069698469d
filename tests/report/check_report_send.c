/*
 * check_report_send.c - authmilterctl report send, the library part
 * (lib/report/report_send.h): message format, RFC 7489 §7.1 external destination
 * check with local DNS data, !size, ReportSuppress, idempotence, retry
 * with backoff, ReportMaxPerRun. Messages go to a sendmail stand-in that
 * writes each one into a directory.
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dns/dns.h"
#include "report/report_send.h"
#include "report/report_store.h"
#include "testutil/testrr.h"
#include "testutil/testutil.h"

#define DAY	86400
#define T0	((int64_t)1767225600)	/* 2026-01-01T00:00:00Z */

static const char *const rrs[] = {
	"a.example._report._dmarc.rep.example. 300 IN TXT "
	    "\"v=DMARC1; extra\"",
	"a.example._report._dmarc.bad.example. 300 IN TXT "
	    "\"x v=DMARC1\"",
	"a.example._report._dmarc.spf.example. 300 IN TXT "
	    "\"v=spf1 -all\"",
	NULL,
};

static struct am_dns *dns;

static void
setup(void)
{
	FILE *fp;

	am_test_dir_make();
	ck_assert_int_eq(mkdir(am_test_path(0, "out"), 0700), 0);
	fp = fopen(am_test_path(0, "sendmail"), "w");
	ck_assert_ptr_nonnull(fp);
	fprintf(fp, "#!/bin/sh\n[ -e %s/fail ] && exit 75\n"
	    "f=$(mktemp %s/out/m.XXXXXX) || exit 1\necho \"$*\" > $f.args\n"
	    "cat > $f\n", am_test_dir, am_test_dir);
	fclose(fp);
	chmod(am_test_path(0, "sendmail"), 0755);
	dns = am_test_dns_local(rrs, NULL);
}

static void
teardown(void)
{
	dns = am_dns_free(dns);
	am_test_dir_remove();
}

static const struct am_report_spf spf1[] = {
	{ "a.example", AM_REPORT_SCOPE_MFROM, AM_REPORT_RES_PASS },
};

/* store_rows - n rows for domain with rua at t into the test store. */
static void
store_rows(const char *domain, const char *rua, int64_t t, int n)
{
	struct am_report_store *rs;
	struct am_report_row r;
	struct am_why why;

	rs = am_report_store_open(am_test_path(0, "r.db"), NULL, &why);
	ck_assert_ptr_nonnull(rs);
	memset(&r, 0, sizeof(r));
	r.time = t;
	r.source_ip = "192.0.2.1";
	r.header_from = r.envelope_from = r.policy_domain = domain;
	r.envelope_to = "rcpt.example";
	r.is_spf_pass = true;
	r.spf = spf1;
	r.n_spf = 1;
	r.policy.p = AM_REPORT_DISP_REJECT;
	r.policy.sp = AM_REPORT_DISP_REJECT;
	r.policy.pct = 100;
	r.rua = rua;
	while (n-- > 0)
		am_report_store_enqueue(rs, &r);
	am_report_store_close(rs, NULL);
}

static const char *stores[1];

static struct am_report_send_opts
opts(int64_t now)
{
	struct am_report_send_opts o;

	memset(&o, 0, sizeof(o));
	stores[0] = am_test_path(3, "r.db");
	o.stores = stores;
	o.n_stores = 1;
	o.meta.org_name = "Test Org";
	o.meta.email = "dmarc@recv.example";
	o.meta.receiver = "recv.example";
	o.from = "dmarc@recv.example";
	o.sendmail = am_test_path(2, "sendmail");
	o.helo = "recv.example";
	o.suppress = "";
	o.max_per_run = 100;
	o.interval = DAY;
	o.now = now;
	o.first = now - 30 * DAY;
	o.dns = dns;
	o.timeout_ms = 2000;
	return o;
}

static struct am_report_send_stats
run(const struct am_report_send_opts *o)
{
	struct am_report_send_stats s;
	struct am_why why;

	ck_assert_msg(am_report_send_run(o, &s, &why) == AM_OK, "%s",
	    why.text);
	return s;
}

/* count_out - messages written by the sendmail stand-in. */
static int
count_out(void)
{
	DIR *d = opendir(am_test_path(1, "out"));
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] == 'm' && strstr(e->d_name, ".args") == NULL;
	closedir(d);
	return n;
}

START_TEST(rua_parse)
{
	struct am_report_dest d[4];
	size_t n = am_report_rua_parse(" mailto:A@Rep.Example!10m , "
	    "https://x.example/, mailto:b%40x@c.example!2k,mailto:nobody,"
	    "mailto:a@REP.example", d, 4);

	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(d[0].addr, "A@rep.example");
	ck_assert_str_eq(d[0].domain, "rep.example");
	ck_assert_uint_eq(d[0].max_size, 10u << 20);
	ck_assert_str_eq(d[1].addr, "b@x@c.example");
	ck_assert_uint_eq(d[1].max_size, 2048);
}
END_TEST

START_TEST(suppress)
{
	ck_assert(am_report_suppressed("x@y.example, Rep.example",
	    "a@rep.example"));
	ck_assert(am_report_suppressed("rep.example", "a@sub.rep.example"));
	ck_assert(am_report_suppressed("a@x.example b@y.example",
	    "B@Y.example"));
	ck_assert(!am_report_suppressed("a@x.example", "b@x.example"));
	ck_assert(!am_report_suppressed("ep.example", "a@rep.example"));
	ck_assert(!am_report_suppressed("", "a@rep.example"));
}
END_TEST

START_TEST(dest_check)
{
	struct am_why why;

	ck_assert_int_eq(am_report_dest_check(dns, NULL, "a.example",
	    "a.example", 2000, &why), AM_REPORT_AUTH_OK);
	ck_assert_int_eq(am_report_dest_check(dns, NULL, "a.example",
	    "rep.example", 2000, &why), AM_REPORT_AUTH_OK);
	ck_assert_int_eq(am_report_dest_check(dns, NULL, "a.example",
	    "none.example", 2000, &why), AM_REPORT_AUTH_DENIED);
	ck_assert_ptr_nonnull(strstr(why.text, "no authorisation"));
	ck_assert_int_eq(am_report_dest_check(dns, NULL, "a.example",
	    "bad.example", 2000, &why), AM_REPORT_AUTH_DENIED);
	ck_assert_ptr_nonnull(strstr(why.text, "v=DMARC1"));
	ck_assert_int_eq(am_report_dest_check(dns, NULL, "a.example",
	    "spf.example", 2000, &why), AM_REPORT_AUTH_DENIED);
	ck_assert_int_eq(am_report_dest_check(dns, NULL, "b.example",
	    "rep.example", 2000, &why), AM_REPORT_AUTH_DENIED);
}
END_TEST

START_TEST(message_format)
{
	struct am_report_send_opts o = opts(T0 + DAY + 10);
	char cmd[1024], line[512];
	FILE *fp;
	int ok = 0;

	store_rows("a.example", "mailto:dmarc@a.example", T0 + 100, 3);
	ck_assert_uint_eq(run(&o).sent, 1);
	ck_assert_int_eq(count_out(), 1);
	if (access("/usr/bin/python3", X_OK) != 0)
		return;
	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 -c '"
	    "import email, glob, gzip, sys, xml.etree.ElementTree as ET\n"
	    "f = [x for x in glob.glob(\"%s/out/m.*\") if "
	    "not x.endswith(\".args\")][0]\n"
	    "m = email.message_from_binary_file(open(f, \"rb\"))\n"
	    "print(m[\"Subject\"]); print(m[\"From\"], m[\"To\"]);"
	    " print(m.get_content_type())\n"
	    "p = m.get_payload()\n"
	    "print(len(p), p[0].get_content_type(), p[1].get_content_type(),"
	    " p[1].get_filename())\n"
	    "r = ET.fromstring(gzip.decompress(p[1].get_payload(decode=True)))\n"
	    "print(r.findtext(\"policy_published/domain\"),"
	    " r.findtext(\"record/row/count\"))\n"
	    "print(open(f + \".args\").read().strip())'", am_test_dir);
	fp = popen(cmd, "r");
	ck_assert_ptr_nonnull(fp);
	while (fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "Report Domain: a.example Submitter: "
		    "recv.example Report-ID: <", 50) == 0)
			ok |= 1;
		ok |= strcmp(line, "dmarc@recv.example dmarc@a.example") ==
		    0 ? 2 : 0;
		ok |= strcmp(line, "multipart/mixed") == 0 ? 4 : 0;
		ok |= strncmp(line, "2 text/plain application/gzip "
		    "recv.example!a.example!1767225600!1767311999!", 75) == 0 ?
		    8 : 0;
		ok |= strcmp(line, "a.example 3") == 0 ? 16 : 0;
		ok |= strcmp(line, "-f dmarc@recv.example -t -i") == 0 ?
		    32 : 0;
		if (ok != 63)
			fprintf(stderr, "message_format: %s\n", line);
	}
	ck_assert_int_eq(pclose(fp), 0);
	ck_assert_int_eq(ok, 63);
}
END_TEST

START_TEST(external)
{
	struct am_report_send_opts o = opts(T0 + DAY + 10);
	struct am_report_send_stats s;

	store_rows("a.example", "mailto:x@rep.example,mailto:x@none.example,"
	    "mailto:x@bad.example,mailto:x@spf.example", T0 + 100, 1);
	s = run(&o);
	ck_assert_uint_eq(s.sent, 1);
	ck_assert_uint_eq(s.skipped, 3);
	ck_assert_int_eq(count_out(), 1);
	s = run(&o);		/* skipped ones are not checked again */
	ck_assert_uint_eq(s.sent + s.skipped + s.failed, 0);
}
END_TEST

START_TEST(size_limit)
{
	struct am_report_send_opts o = opts(T0 + DAY + 10);
	struct am_report_send_stats s;

	am_test_dns_add(dns, "_dmarc.a.example. 300 IN TXT "
	    "\"v=DMARC1; p=reject; "
	    "rua=mailto:small@a.example!1k,mailto:big@a.example!1m\"");
	store_rows("a.example", "mailto:small@a.example,mailto:big@a.example",
	    T0 + 100, 1);
	s = run(&o);
	ck_assert_uint_eq(s.sent, 1);
	ck_assert_uint_eq(s.skipped, 1);
}
END_TEST

START_TEST(suppressed_run)
{
	struct am_report_send_opts o = opts(T0 + DAY + 10);
	struct am_report_send_stats s;

	o.suppress = "x@a.example";
	store_rows("a.example", "mailto:x@a.example,mailto:y@a.example",
	    T0 + 100, 1);
	s = run(&o);
	ck_assert_uint_eq(s.sent, 1);
	ck_assert_uint_eq(s.skipped, 1);
}
END_TEST

START_TEST(idempotent)
{
	struct am_report_send_opts o = opts(T0 + 3 * DAY + 10);
	struct am_report_send_stats s;

	store_rows("a.example", "mailto:x@a.example", T0 + 100, 2);
	store_rows("a.example", "mailto:x@a.example", T0 + DAY + 100, 2);
	store_rows("b.example", "mailto:y@b.example", T0 + DAY + 100, 2);
	store_rows("b.example", "mailto:y@b.example", T0 + 3 * DAY + 1, 2);
	o.is_dry_run = true;
	s = run(&o);
	ck_assert_uint_eq(s.sent, 0);
	ck_assert_int_eq(count_out(), 0);
	o.is_dry_run = false;
	s = run(&o);		/* missed days caught up; today is open */
	ck_assert_uint_eq(s.sent, 3);
	ck_assert_int_eq(count_out(), 3);
	s = run(&o);
	ck_assert_uint_eq(s.sent + s.failed + s.deferred, 0);
	ck_assert_int_eq(count_out(), 3);
}
END_TEST

START_TEST(retry_backoff)
{
	struct am_report_send_opts o = opts(T0 + DAY + 10);
	struct am_report_send_stats s;
	FILE *fp = fopen(am_test_path(0, "fail"), "w");

	ck_assert_ptr_nonnull(fp);
	fclose(fp);
	store_rows("a.example", "mailto:x@a.example", T0 + 100, 1);
	s = run(&o);
	ck_assert_uint_eq(s.failed, 1);
	unlink(am_test_path(0, "fail"));
	s = run(&o);		/* too early: backoff */
	ck_assert_uint_eq(s.sent, 0);
	ck_assert_uint_eq(s.deferred, 1);
	o.now += 3601;
	s = run(&o);
	ck_assert_uint_eq(s.sent, 1);
	ck_assert_int_eq(count_out(), 1);
	s = run(&o);
	ck_assert_uint_eq(s.sent + s.deferred, 0);
}
END_TEST

START_TEST(max_per_run)
{
	struct am_report_send_opts o = opts(T0 + 6 * DAY + 10);
	struct am_report_send_stats s;
	int i;

	for (i = 0; i < 5; i++)
		store_rows("a.example", "mailto:x@a.example", T0 + i * DAY + 5,
		    1);
	o.max_per_run = 2;
	s = run(&o);
	ck_assert_uint_eq(s.sent, 2);
	ck_assert_uint_eq(s.deferred, 3);
	s = run(&o);
	ck_assert_uint_eq(s.sent, 2);
	s = run(&o);
	ck_assert_uint_eq(s.sent, 1);
	ck_assert_int_eq(count_out(), 5);
}
END_TEST

START_TEST(explicit_range)
{
	struct am_report_send_opts o = opts(T0 + 100);
	struct am_report_send_stats s;

	store_rows("a.example", "mailto:x@a.example", T0 + 10, 1);
	s = run(&o);		/* the day is still open */
	ck_assert_uint_eq(s.sent, 0);
	o.is_range = true;
	o.begin = T0;
	o.end = T0 + 60;
	ck_assert_uint_eq(run(&o).sent, 1);
	ck_assert_uint_eq(run(&o).sent, 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("report_send");
	TCase *tc = tcase_create("send");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, rua_parse);
	tcase_add_test(tc, suppress);
	tcase_add_test(tc, dest_check);
	tcase_add_test(tc, message_format);
	tcase_add_test(tc, external);
	tcase_add_test(tc, size_limit);
	tcase_add_test(tc, suppressed_run);
	tcase_add_test(tc, idempotent);
	tcase_add_test(tc, retry_backoff);
	tcase_add_test(tc, max_per_run);
	tcase_add_test(tc, explicit_range);
	suite_add_tcase(s, tc);
	return am_test_run(s);
}
