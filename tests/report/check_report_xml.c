/*
 * check_report_xml - the escaping XML writer and the aggregate report
 * documents: hostile strings, RFC 7489 and RFC 9990 schema validation
 * (xmllint), an independent parse of the gzip file (python3 xml.etree,
 * tests/data/report/summarise.py) against golden summaries, stable
 * report_id, RFC 7489 §7.2.1.1 file names. PITFALLS "Reports": version,
 * envelope_from, SPF scope and fo present; grouped counts.
 */
#include "autoconf.h"

#include <check.h>
#include <stdbool.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "report/report_store.h"
#include "report/report_xml.h"
#include "testutil/testutil.h"

#define SHARED	AM_TOP_SRCDIR "/tests/conformance/dmarc"
#define DATA	AM_TOP_SRCDIR "/tests/data/report"
#define XSD_7489	SHARED "/rua-rfc7489-nons.xsd"
#define XSD_9990	SHARED "/dmarcbis-aggregate-draft32.xsd"

/* run - output of a shell command (owned), its exit status in *rc. */
static char *
run(const char *cmd, int *rc)
{
	struct am_buf b;
	char chunk[4096];
	size_t n;
	FILE *p = popen(cmd, "r");

	ck_assert_ptr_nonnull(p);
	am_buf_init(&b, 1 << 20);
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		ck_assert_int_eq(am_buf_append(&b, chunk, n), AM_OK);
	*rc = pclose(p);
	return am_buf_export(&b);
}

/* escaped - text through the writer as one leaf's content. */
static char *
escaped(const char *text, const char *attr)
{
	struct am_report_xml *x;
	struct am_buf b;
	struct am_why why;

	am_buf_init(&b, 4096);
	x = am_report_xml_new(&b, NULL, NULL);
	am_report_xml_start(x, "t");
	if (attr != NULL)
		am_report_xml_attr(x, "a", attr);
	am_report_xml_text(x, text);
	am_report_xml_end(x);
	ck_assert_int_eq(am_report_xml_finish(x, &why), AM_OK);
	am_report_xml_free(x);
	return am_buf_export(&b);
}

static const struct {
	const char *name;
	const char *in;
	const char *want;	/* the element's content */
} esc_cases[] = {
	{ "markup", "<a href=\"x\">&amp;'", "&lt;a href=&quot;x&quot;&gt;"
	    "&amp;amp;&apos;" },
	{ "controls", "a\x01" "b\x1f" "c\x7f", "a\xef\xbf\xbd" "b\xef\xbf\xbd"
	    "c\x7f" },
	{ "cr tab lf", "a\r\n\tb", "a&#13;\n\tb" },
	{ "stray bytes", "\xff\xfe" "x\x80", "\xef\xbf\xbd\xef\xbf\xbdx"
	    "\xef\xbf\xbd" },
	{ "overlong slash", "\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd" },
	{ "surrogate", "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd"
	    "\xef\xbf\xbd" },
	{ "U+FFFE", "\xef\xbf\xbe", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
	{ "truncated", "\xe2\x82", "\xef\xbf\xbd\xef\xbf\xbd" },
	{ "valid utf-8", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xa7",
	    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xa7" },
	{ "beyond U+10FFFF", "\xf4\x90\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd"
	    "\xef\xbf\xbd\xef\xbf\xbd" },
};

START_TEST(escaping)
{
	char want[256], *got;

	got = escaped(esc_cases[_i].in, NULL);
	snprintf(want, sizeof(want), "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
	    "\n<t>%s</t>\n", esc_cases[_i].want);
	ck_assert_msg(strcmp(got, want) == 0, "%s: got %s, want %s",
	    esc_cases[_i].name, got, want);
	free(got);
}
END_TEST

START_TEST(attribute_escaping)
{
	char *got = escaped("", "\"<&>'\t\n\r\x02");

	ck_assert_str_eq(got, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<t a=\"&quot;&lt;&amp;&gt;&apos;&#9;&#10;&#13;\xef\xbf\xbd\"></t>\n");
	free(got);
}
END_TEST

START_TEST(buffer_cap_is_an_error)
{
	struct am_report_xml *x;
	struct am_buf b;
	struct am_why why;

	am_buf_init(&b, 64);
	x = am_report_xml_new(&b, NULL, NULL);
	am_report_xml_leaf(x, "t", "a long text that does not fit in 64 bytes");
	ck_assert_int_eq(am_report_xml_finish(x, &why), AM_PERMFAIL);
	ck_assert(strstr(why.text, "larger") != NULL);
	am_report_xml_free(x);
	am_buf_release(&b);
	am_buf_init(&b, 4096);
	x = am_report_xml_new(&b, NULL, NULL);
	am_report_xml_start(x, "open");
	ck_assert_int_eq(am_report_xml_finish(x, &why), AM_PERMFAIL);
	ck_assert_str_eq(why.text, "report XML: <open> not ended");
	am_report_xml_free(x);
	am_buf_release(&b);
}
END_TEST

START_TEST(end_without_start_panics)
{
	struct am_buf b;
	struct am_report_xml *x;

	am_buf_init(&b, 4096);
	x = am_report_xml_new(&b, NULL, NULL);
	am_report_xml_end(x);
}
END_TEST

START_TEST(bad_name_panics)
{
	struct am_buf b;
	struct am_report_xml *x;

	am_buf_init(&b, 4096);
	x = am_report_xml_new(&b, NULL, NULL);
	am_report_xml_start(x, "a b");
}
END_TEST

/* ------------------------------------------------------------ reports */

static const struct am_report_dkim dkim2[] = {
	{ "a.example", "s1", AM_REPORT_RES_PASS },
	{ "esp.example", "", AM_REPORT_RES_FAIL },
};
static const struct am_report_spf spf2[] = {
	{ "mx.esp.example", AM_REPORT_SCOPE_HELO, AM_REPORT_RES_PASS },
	{ "bounce.esp.example", AM_REPORT_SCOPE_MFROM, AM_REPORT_RES_SOFTFAIL },
};
static const struct am_report_reason fwd[] = {
	{ AM_REPORT_REASON_FORWARDED, NULL },
	{ AM_REPORT_REASON_LOCAL_POLICY, "exempt <list> & co" },
};

#define PERIOD	1700006400	/* 2023-11-15T00:00:00Z */

/* store_rows - a store with rows of a.example (several groups, hostile
 * strings, IPv6) and b.example; the set of PERIOD from it. */
static struct am_report_set *
report_set(void)
{
	char path[128];
	const char *p = path;
	struct am_report_store *rs;
	struct am_report_row r;
	struct am_report_set *set;
	struct am_why why;
	int i;

	snprintf(path, sizeof(path), "%s/r.db", am_test_dir);
	rs = am_report_store_open(path, NULL, &why);
	ck_assert_ptr_nonnull(rs);
	memset(&r, 0, sizeof(r));
	r.time = PERIOD + 10;
	r.source_ip = "192.0.2.1";
	r.header_from = r.policy_domain = "a.example";
	r.envelope_from = "bounce.esp.example";
	r.envelope_to = "rcpt.example";
	r.is_dkim_pass = true;
	r.dkim = dkim2;
	r.n_dkim = 2;
	r.spf = spf2;
	r.n_spf = 2;
	r.policy = (struct am_report_policy){ .p = AM_REPORT_DISP_REJECT,
	    .sp = AM_REPORT_DISP_QUARANTINE, .pct = 100, .fo = "1",
	    .has_np = true, .np = AM_REPORT_DISP_REJECT };
	r.rua = "mailto:d@a.example";
	for (i = 0; i < 7; i++)
		am_report_store_enqueue(rs, &r);
	r.source_ip = "2001:db8::25";
	r.is_dkim_pass = false;
	r.disposition = AM_REPORT_DISP_REJECT;
	r.n_dkim = 0;
	r.n_spf = 0;
	r.envelope_to = "";
	for (i = 0; i < 2; i++)
		am_report_store_enqueue(rs, &r);
	r.source_ip = "::ffff:198.51.100.7";
	r.disposition = AM_REPORT_DISP_NONE;
	r.reasons = fwd;
	r.n_reasons = 2;
	r.header_from = "evil<&\"'\x01\xff.a.example";
	am_report_store_enqueue(rs, &r);
	memset(&r, 0, sizeof(r));
	r.time = PERIOD + 20;
	r.source_ip = "203.0.113.5";
	r.header_from = r.policy_domain = r.envelope_from = "b.example";
	r.is_spf_pass = true;
	r.spf = spf2 + 1;
	r.n_spf = 1;
	r.policy.pct = 100;	/* p=none, no fo: "0" */
	for (i = 0; i < 3; i++)
		am_report_store_enqueue(rs, &r);
	am_report_store_close(rs, NULL);
	ck_assert_int_eq(am_report_store_query(&p, 1, PERIOD, PERIOD + 86400,
	    NULL, &set, &why), AM_OK);
	ck_assert_uint_eq(set->n_domains, 2);
	return set;
}

static const struct am_report_meta meta = {
	.org_name = "Receiver & Co <ops>", .email = "dmarc@receiver.example",
	.extra_contact = "https://receiver.example/dmarc",
	.receiver = "receiver.example", .generator = "authmilter test",
	.begin = PERIOD, .end = PERIOD + 86400,
};

/* update_golden - with AM_UPDATE_GOLDEN=1 in the environment, rewrite
 * the golden file instead of comparing (review the diff!). */
static bool
update_golden(const char *path, const char *got)
{
	FILE *fp;

	if (getenv("AM_UPDATE_GOLDEN") == NULL)
		return false;
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	fputs(got, fp);
	ck_assert_int_eq(fclose(fp), 0);
	return true;
}

/* check_file - xmllint against xsd, then the independent summary equals
 * tests/data/report/golden. */
static void
check_file(const char *gz, const char *xsd, const char *golden)
{
	char cmd[1024], gpath[256], *out, *want;
	int rc;

	ck_assert_msg(access(xsd, R_OK) == 0, "schema %s missing", xsd);
	snprintf(cmd, sizeof(cmd), "gzip -dc '%s' > '%s.xml' && xmllint "
	    "--noout --schema '%s' '%s.xml' 2>&1", gz, gz, xsd, gz);
	out = run(cmd, &rc);
	ck_assert_msg(rc == 0, "xmllint %s: %s", gz, out);
	ck_assert(strstr(out, "validates") != NULL);
	free(out);
	snprintf(cmd, sizeof(cmd), "python3 '%s/summarise.py' '%s' 2>&1",
	    DATA, gz);
	out = run(cmd, &rc);
	ck_assert_msg(rc == 0, "summarise.py: %s", out);
	snprintf(gpath, sizeof(gpath), "%s/%s", DATA, golden);
	if (update_golden(gpath, out)) {
		free(out);
		return;
	}
	want = am_test_slurp(gpath);
	ck_assert_msg(strcmp(out, want) == 0, "%s: got\n%s\nwant\n%s", golden,
	    out, want);
	free(out);
	free(want);
}

/* export - write the report of domain i of set in fmt; the path (owned). */
static char *
export(const struct am_report_set *set, size_t i, enum am_report_format fmt)
{
	struct am_why why;
	char *path;

	ck_assert_msg(am_report_xml_write(am_test_dir, &meta, &set->domains[i], fmt,
	    &path, &why) == AM_OK, "write: %s", why.text);
	return path;
}

START_TEST(rfc7489_report)
{
	struct am_report_set *set = report_set();
	char *a = export(set, 0, AM_REPORT_FORMAT_RFC7489);
	char *b = export(set, 1, AM_REPORT_FORMAT_RFC7489);

	check_file(a, XSD_7489, "rfc7489-a.txt");
	check_file(b, XSD_7489, "rfc7489-b.txt");
	free(a);
	free(b);
	am_report_set_free(set);
}
END_TEST

START_TEST(rfc9990_report)
{
	struct am_report_set *set = report_set();
	char *a = export(set, 0, AM_REPORT_FORMAT_RFC9990);
	char *b = export(set, 1, AM_REPORT_FORMAT_RFC9990);

	check_file(a, XSD_9990, "rfc9990-a.txt");
	check_file(b, XSD_9990, "rfc9990-b.txt");
	free(a);
	free(b);
	am_report_set_free(set);
}
END_TEST

START_TEST(golden_xml)
{
	struct am_report_set *set = report_set();
	struct am_buf b;
	struct am_why why;
	char *want;

	am_buf_init(&b, 1 << 20);
	ck_assert_int_eq(am_report_xml_format(&meta, &set->domains[0],
	    AM_REPORT_FORMAT_RFC7489, &b, NULL, NULL, &why), AM_OK);
	if (update_golden(DATA "/rfc7489-a.xml", am_buf_str(&b)))
		ck_abort_msg("golden rewritten");
	want = am_test_slurp(DATA "/rfc7489-a.xml");
	ck_assert_msg(strcmp(am_buf_str(&b), want) == 0, "got\n%s",
	    am_buf_str(&b));
	free(want);
	am_buf_release(&b);
	am_report_set_free(set);
}
END_TEST

START_TEST(report_id_stable_and_file_name)
{
	struct am_report_set *set = report_set();
	struct am_report_meta m2 = meta;
	char id1[AM_REPORT_ID_SIZE], id2[AM_REPORT_ID_SIZE];
	char *p1 = export(set, 0, AM_REPORT_FORMAT_RFC7489), *p2;
	const char *base = strrchr(p1, '/') + 1;
	regex_t re;

	ck_assert_int_eq(regcomp(&re, "^receiver\\.example!a\\.example!"
	    "1700006400!1700092799![0-9a-f]{32}\\.xml\\.gz$", REG_EXTENDED |
	    REG_NOSUB), 0);
	ck_assert_msg(regexec(&re, base, 0, NULL, 0) == 0, "name %s", base);
	regfree(&re);
	p2 = export(set, 0, AM_REPORT_FORMAT_RFC7489);	/* again */
	ck_assert_str_eq(p1, p2);
	am_report_xml_report_id(&meta, "a.example", id1);
	am_report_xml_report_id(&meta, "a.example", id2);
	ck_assert_str_eq(id1, id2);
	ck_assert(strstr(base, id1) != NULL);
	am_report_xml_report_id(&meta, "b.example", id2);
	ck_assert_str_ne(id1, id2);	/* unique per domain */
	m2.begin += 86400;
	m2.end += 86400;
	am_report_xml_report_id(&m2, "a.example", id2);
	ck_assert_str_ne(id1, id2);	/* and per period */
	m2 = meta;
	m2.receiver = "../../etc/x!y";
	{
		struct am_buf n;

		am_buf_init(&n, 1024);
		am_report_xml_filename(&m2, "a/b!c", &n);
		ck_assert(strncmp(am_buf_str(&n), ".._.._etc_x_y!a_b_c!", 20)
		    == 0);
		am_buf_release(&n);
	}
	free(p2);
	free(p1);
	am_report_set_free(set);
}
END_TEST

START_TEST(unwritable_dir)
{
	struct am_report_set *set = report_set();
	struct am_why why;
	char *path;

	ck_assert_int_eq(am_report_xml_write("/nonexistent-authmilter", &meta,
	    &set->domains[0], AM_REPORT_FORMAT_RFC7489, &path, &why),
	    AM_TEMPFAIL);
	ck_assert_ptr_null(path);
	ck_assert(strstr(why.text, "/nonexistent-authmilter") != NULL);
	am_report_set_free(set);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("report_xml");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, am_test_dir_make, am_test_dir_remove);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, escaping, 0,
	    sizeof(esc_cases) / sizeof(esc_cases[0]));
	tcase_add_test(tc, attribute_escaping);
	tcase_add_test(tc, buffer_cap_is_an_error);
	tcase_add_test(tc, rfc7489_report);
	tcase_add_test(tc, rfc9990_report);
	tcase_add_test(tc, golden_xml);
	tcase_add_test(tc, report_id_stable_and_file_name);
	tcase_add_test(tc, unwritable_dir);
	if (am_test_can_fork()) {
		tcase_add_test_raise_signal(tc, end_without_start_panics,
		    SIGABRT);
		tcase_add_test_raise_signal(tc, bad_name_panics, SIGABRT);
	}
	suite_add_tcase(s, tc);
	return am_test_run(s);
}
