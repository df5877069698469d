/*
 * check_orgdomain.c - Public Suffix List (publicsuffix.org tests.txt and
 * test_psl.txt against the Debian list), DMARC record recognition and the
 * RFC 9989 §4.10 tree walk over local DNS data.
 */
#include "autoconf.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "dns/dns.h"
#include "msg/from.h"
#include "dmarc/orgdomain.h"
#include "testutil/testrr.h"
#include "testutil/testutil.h"

#define PSL_DIR AM_TOP_SRCDIR "/tests/conformance/psl"

static struct am_psl *psl;	/* loaded once per test */

static void
psl_setup(void)
{
	struct am_why why;

	psl = am_psl_load(PSL_DIR "/public_suffix_list.dat", &why);
	ck_assert_msg(psl != NULL, "am_psl_load: %s", why.text);
}

static void
psl_teardown(void)
{
	psl = am_psl_free(psl);
}

/* want_norm - the expected answer in A-label form ("null" -> ""). */
static void
want_norm(const char *want, char *out, size_t len)
{
	out[0] = '\0';
	if (strcmp(want, "null") != 0)
		ck_assert_msg(am_domain_normalise(want, out, len, NULL) == AM_OK,
		    "bad expectation %s", want);
}

/* check_one - got vs want for one input; returns 1 when they differ. */
static int
check_one(const char *in, const char *want, const char *where)
{
	char got[AM_DOMAIN_MAX_LEN + 1], w[AM_DOMAIN_MAX_LEN + 1];

	want_norm(want, w, sizeof(w));
	if (strcmp(in, "null") == 0)
		got[0] = '\0';
	else
		(void)am_psl_orgdomain(psl, in, got, sizeof(got));
	if (strcmp(got, w) != 0) {
		fprintf(stderr, "%s: %s: got \"%s\", want \"%s\"\n", where, in,
		    got, w);
		return 1;
	}
	return 0;
}

START_TEST(test_psl_tests_txt)
{
	FILE *fp = fopen(PSL_DIR "/tests.txt", "r");
	char line[512], in[256], want[256];
	int n = 0, bad = 0;

	ck_assert(fp != NULL);
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (line[0] == '/' || sscanf(line, "%255s %255s", in, want) != 2)
			continue;
		bad += check_one(in, want, "tests.txt");
		n++;
	}
	fclose(fp);
	ck_assert_int_ge(n, 70);
	ck_assert_msg(bad == 0, "%d of %d failed", bad, n);
	fprintf(stderr, "psl tests.txt: %d/%d pass\n", n - bad, n);
}
END_TEST

/* unquote - 'x' -> x, null -> null, in place. */
static char *
unquote(char *s)
{
	size_t len;

	while (*s == ' ')
		s++;
	len = strlen(s);
	if (len >= 2 && s[0] == '\'' && s[len - 1] == '\'') {
		s[len - 1] = '\0';
		s++;
	}
	return s;
}

START_TEST(test_psl_test_psl_txt)
{
	FILE *fp = fopen(PSL_DIR "/test_psl.txt", "r");
	char line[512], *a, *b, *end;
	int n = 0, bad = 0;

	ck_assert(fp != NULL);
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (strncmp(line, "checkPublicSuffix(", 18) != 0)
			continue;
		a = line + 18;
		end = strstr(a, ");");
		b = strchr(a, ',');
		ck_assert(end != NULL && b != NULL);
		*end = '\0';
		*b++ = '\0';
		bad += check_one(unquote(a), unquote(b), "test_psl.txt");
		n++;
	}
	fclose(fp);
	ck_assert_int_ge(n, 70);
	ck_assert_msg(bad == 0, "%d of %d failed", bad, n);
	fprintf(stderr, "psl test_psl.txt: %d/%d pass\n", n - bad, n);
}
END_TEST

static const struct {
	const char *in;		/* domain */
	const char *want;	/* registrable domain, "" for none */
} psl_cases[] = {
	{ "mail.example.com", "example.com" },
	{ "Example.COM.", "example.com" },
	{ "a.b.example.co.uk", "example.co.uk" },
	{ "co.uk", "" },
	{ "com", "" },
	{ "x.city.kawasaki.jp", "city.kawasaki.jp" },	/* exception */
	{ "x.y.kawasaki.jp", "x.y.kawasaki.jp" },	/* wildcard */
	{ "foo.blogspot.com", "foo.blogspot.com" },	/* PRIVATE section */
	{ "bücher.example.de", "example.de" },		/* IDN input */
	{ "a..b", "" },
	{ "", "" },
};

START_TEST(test_psl_cases)
{
	char got[AM_DOMAIN_MAX_LEN + 1];
	enum am_status st;

	st = am_psl_orgdomain(psl, psl_cases[_i].in, got, sizeof(got));
	ck_assert_msg(strcmp(got, psl_cases[_i].want) == 0,
	    "%s: got \"%s\", want \"%s\"", psl_cases[_i].in, got,
	    psl_cases[_i].want);
	ck_assert_int_eq(st, *psl_cases[_i].want ? AM_OK : AM_PERMFAIL);
}
END_TEST

START_TEST(test_psl_load_errors)
{
	struct am_why why;
	char path[] = "/tmp/check_orgdomain_XXXXXX";
	int fd;
	FILE *fp;

	ck_assert(am_psl_load("/nonexistent/psl.dat", &why) == NULL);
	ck_assert_msg(strstr(why.text, "/nonexistent/psl.dat") != NULL, "%s",
	    why.text);
	fd = mkstemp(path);
	ck_assert(fd >= 0);
	fp = fdopen(fd, "w");
	fputs("// only comments\n\n", fp);
	fclose(fp);
	ck_assert(am_psl_load(path, &why) == NULL);
	ck_assert_msg(strstr(why.text, "no rules") != NULL, "%s", why.text);
	fp = fopen(path, "w");
	fputs("com\nbad..rule\n", fp);
	fclose(fp);
	ck_assert(am_psl_load(path, &why) == NULL);
	ck_assert_msg(strstr(why.text, ":2: bad rule") != NULL, "%s", why.text);
	unlink(path);
	ck_assert_uint_gt(am_psl_count(psl), 9000);
}
END_TEST

/*
 * A list without "*." wildcard (or "!" exception) rules leaves those sets
 * empty: loading it must not hand qsort() a NULL array (UBSan: "null pointer
 * passed as argument 1, which is declared to never be null"), and lookups
 * must still follow the plain rules.
 */
START_TEST(test_psl_no_wildcards)
{
	char path[] = "/tmp/check_orgdomain_XXXXXX";
	char got[AM_DOMAIN_MAX_LEN + 1];
	struct am_psl *p;
	struct am_why why;
	int fd = mkstemp(path);
	FILE *fp;

	ck_assert(fd >= 0);
	fp = fdopen(fd, "w");
	fputs("// no wildcard, no exception\ncom\nco.uk\n", fp);
	fclose(fp);
	p = am_psl_load(path, &why);
	unlink(path);
	ck_assert_msg(p != NULL, "am_psl_load: %s", why.text);
	ck_assert_uint_eq(am_psl_count(p), 2);
	ck_assert(am_psl_orgdomain(p, "a.b.example.co.uk", got, sizeof(got)) ==
	    AM_OK);
	ck_assert_msg(strcmp(got, "example.co.uk") == 0,
	    "got \"%s\", want \"example.co.uk\"", got);
	ck_assert(am_psl_orgdomain(p, "com", got, sizeof(got)) == AM_PERMFAIL);
	p = am_psl_free(p);
}
END_TEST

/* --------------------------------------------------- DMARC records */

static const struct {
	const char *txt;
	bool want;
} is_record_cases[] = {
	{ "v=DMARC1; p=none", true },
	{ "v=DMARC1", true },
	{ "v = DMARC1 ;p=reject", true },
	{ "V=DMARC1; p=none", true },		/* "v" is case-insensitive */
	{ "v=dmarc1; p=none", false },		/* %s"DMARC1" */
	{ "v=DMARC10; p=none", false },
	{ "p=reject", false },			/* no v= (PITFALLS) */
	{ " v=DMARC1; p=none", false },		/* must start with v */
	{ "p=none; v=DMARC1", false },
	{ "v=spf1 -all", false },
	{ "", false },
};

START_TEST(test_is_record)
{
	const char *t = is_record_cases[_i].txt;

	ck_assert_msg(am_dmarc_is_record(t, strlen(t)) ==
	    is_record_cases[_i].want, "%s", t);
}
END_TEST

/* am_dmarc_record_parse: the correct values, not libopendmarc's. */
static const struct {
	const char *txt;
	bool ok;		/* AM_OK? */
	enum am_dmarc_policy p, sp;
	int pct;
	char adkim, aspf;
	size_t nrua;
} rec_cases[] = {
	{ "v=DMARC1; p=reject; sp=none; adkim=s; aspf=s; pct=20", true,
	  AM_DMARC_POLICY_REJECT, AM_DMARC_POLICY_NONE, 20, 's', 's', 0 },
	{ "p=reject", false, 0, 0, 0, 0, 0, 0 },		/* no v= */
	{ "v=DMARC1; p=r", false, 0, 0, 0, 0, 0, 0 },		/* prefix */
	{ "v=DMARC1; p=r; rua=mailto:a@x.example", true,
	  AM_DMARC_POLICY_NONE, 0, 100, 'r', 'r', 1 },
	{ "v=DMARC1; p=none; pct=abc", true, AM_DMARC_POLICY_NONE, 0, 100,
	  'r', 'r', 0 },					/* not 0 */
	{ "v=DMARC1; p=none; pct=101", true, AM_DMARC_POLICY_NONE, 0, 100,
	  'r', 'r', 0 },
	{ "v=DMARC1; p=none; pct=0", true, AM_DMARC_POLICY_NONE, 0, 0,
	  'r', 'r', 0 },
	{ "v=DMARC1; p=none; rf=iodef", true, AM_DMARC_POLICY_NONE, 0, 100,
	  'r', 'r', 0 },					/* aspf stays r */
	{ "v=DMARC1; p=Quarantine; adkim=x", true,
	  AM_DMARC_POLICY_QUARANTINE, 0, 100, 'r', 'r', 0 },
	{ "v=DMARC1", true, AM_DMARC_POLICY_NONE, 0, 100, 'r', 'r', 0 },
	{ "v=DMARC1; p=none; sp=bogus", false, 0, 0, 0, 0, 0, 0 },
	{ "v=DMARC1; p=none; p=reject", false, 0, 0, 0, 0, 0, 0 },
	{ "v=DMARC1; p=none; rua=mailto:a@x!10m, bad uri, https://r.example/",
	  true, AM_DMARC_POLICY_NONE, 0, 100, 'r', 'r', 2 },
	{ "v=DMARC1; p=none; rua", true, AM_DMARC_POLICY_NONE, 0, 100,
	  'r', 'r', 0 },		/* rua without "=": fuzz_dmarc_record */
	{ "v=DMARC1; p=bad; rua", false, 0, 0, 0, 0, 0, 0 },
};

START_TEST(test_record_parse)
{
	struct am_dmarc_record rec;
	struct am_why why;
	enum am_status st;

	st = am_dmarc_record_parse(rec_cases[_i].txt, "example.com",
	    "example.com", &rec, &why);
	ck_assert_msg((st == AM_OK) == rec_cases[_i].ok, "%s: got %s (%s)",
	    rec_cases[_i].txt, am_status_name(st), why.text);
	if (st != AM_OK)
		return;
	ck_assert_int_eq(rec.p, rec_cases[_i].p);
	ck_assert_int_eq(rec.sp, rec_cases[_i].sp);
	ck_assert_int_eq(rec.pct, rec_cases[_i].pct);
	ck_assert_int_eq(rec.adkim, rec_cases[_i].adkim);
	ck_assert_int_eq(rec.aspf, rec_cases[_i].aspf);
	ck_assert_uint_eq(rec.nrua, rec_cases[_i].nrua);
	if (rec.nrua > 0)
		ck_assert_msg(strchr(rec.rua[0], '!') == NULL, "%s",
		    rec.rua[0]);
}
END_TEST

START_TEST(test_tag_next)
{
	const char *pos = " v=DMARC1 ;p = reject;; rua=mailto:a@x, mailto:b@y ;"
	    "junk; fo=";
	struct am_str n, v;
	const char *want[][2] = { { "v", "DMARC1" }, { "p", "reject" },
		{ "rua", "mailto:a@x, mailto:b@y" }, { "junk", NULL },
		{ "fo", "" } };
	size_t i;

	for (i = 0; i < 5; i++) {
		ck_assert(am_dmarc_tag_next(&pos, &n, &v));
		ck_assert_int_eq(n.len, strlen(want[i][0]));
		ck_assert(memcmp(n.p, want[i][0], n.len) == 0);
		if (want[i][1] == NULL)
			ck_assert(v.p == NULL);
		else {
			ck_assert_int_eq(v.len, strlen(want[i][1]));
			ck_assert(memcmp(v.p, want[i][1], v.len) == 0);
		}
	}
	ck_assert(!am_dmarc_tag_next(&pos, &n, &v));
}
END_TEST

/* ------------------------------------------------------- tree walk */

static const char *const walk_rrs[] = {
	/* example.com: ordinary organization with a subdomain record. */
	"_dmarc.example.com. 300 IN TXT \"v=DMARC1; p=reject\"",
	"_dmarc.mail.example.com. 300 IN TXT \"v=DMARC1; p=none\"",
	/* psdn.example: psd=n makes the subdomain its own org domain. */
	"_dmarc.psdn.example. 300 IN TXT \"v=DMARC1; p=none\"",
	"_dmarc.sub.psdn.example. 300 IN TXT \"v=DMARC1; p=none; psd=n\"",
	/* psdy: a public suffix operator's record. */
	"_dmarc.psdy. 300 IN TXT \"v=DMARC1; p=reject; psd=y\"",
	/* two records at one name: both discarded. */
	"_dmarc.twice.example.net. 300 IN TXT \"v=DMARC1; p=reject\"",
	"_dmarc.twice.example.net. 300 IN TXT \"v=DMARC1; p=none\"",
	"_dmarc.example.net. 300 IN TXT \"v=DMARC1; p=quarantine\"",
	/* a non-DMARC TXT beside a record does not count. */
	"_dmarc.other.example.org. 300 IN TXT \"some verification token\"",
	"_dmarc.other.example.org. 300 IN TXT \"v=DMARC1; p=none\"",
	/* a record without v= is not a record. */
	"_dmarc.nov.example.org. 300 IN TXT \"p=reject\"",
	/* a long name: records only at the top. */
	"_dmarc.deep.example. 300 IN TXT \"v=DMARC1; p=reject\"",
	NULL,
};

static struct am_dns *dns;	/* per test */

static void
walk_setup(void)
{
	dns = am_test_dns_local(walk_rrs, "refused.example");
}

static void
walk_teardown(void)
{
	dns = am_dns_free(dns);
}

static const struct {
	const char *name;	/* test name */
	const char *domain;	/* start */
	const char *want;	/* Organizational Domain */
	size_t queries;		/* steps made */
} walk_cases[] = {
	{ "org record at the top", "a.mail.example.com", "example.com", 4 },
	{ "org is itself", "example.com", "example.com", 2 },
	{ "no record anywhere", "a.b.nowhere.test", "a.b.nowhere.test", 4 },
	{ "psd=n stops", "x.sub.psdn.example", "sub.psdn.example", 2 },
	{ "psd=y: one below", "a.b.c.psdy", "c.psdy", 4 },
	{ "psd=y at the start", "psdy", "psdy", 1 },
	{ "two records discarded", "twice.example.net", "example.net", 3 },
	{ "non-DMARC TXT ignored", "other.example.org", "other.example.org",
	  3 },
	{ "record without v= ignored", "nov.example.org", "nov.example.org",
	  3 },
	{ "8 queries at most", "a.b.c.d.e.f.g.h.i.j.mail.deep.example",
	  "deep.example", 8 },
	{ "exactly 8 labels", "a.b.c.d.e.f.deep.example", "deep.example", 8 },
};

START_TEST(test_walk)
{
	struct am_treewalk tw;
	struct am_why why;
	enum am_status st;

	st = am_treewalk_run(dns, walk_cases[_i].domain, NULL,
	    am_dns_deadline(5000), &tw, &why);
	ck_assert_msg(st == AM_OK, "%s: %s", walk_cases[_i].name, why.text);
	ck_assert_msg(strcmp(tw.orgdomain, walk_cases[_i].want) == 0,
	    "%s: got %s, want %s", walk_cases[_i].name, tw.orgdomain,
	    walk_cases[_i].want);
	ck_assert_msg(tw.n == walk_cases[_i].queries, "%s: got %zu queries, "
	    "want %zu", walk_cases[_i].name, tw.n, walk_cases[_i].queries);
	am_treewalk_release(&tw);
}
END_TEST

/* RFC 9989 §4.10's worked example: the eight names queried. */
START_TEST(test_walk_rfc_example)
{
	static const char *const want[] = {
		"a.b.c.d.e.f.g.h.i.j.mail.example.com",
		"g.h.i.j.mail.example.com", "h.i.j.mail.example.com",
		"i.j.mail.example.com", "j.mail.example.com",
		"mail.example.com", "example.com", "com",
	};
	struct am_treewalk tw;
	struct am_why why;
	size_t i;

	/* No record at mail.example.com for this walk: use another dns. */
	dns = am_dns_free(dns);
	dns = am_test_dns_local(NULL, NULL);
	ck_assert(am_treewalk_run(dns, want[0], NULL, am_dns_deadline(5000),
	    &tw, &why) == AM_OK);
	ck_assert_uint_eq(tw.n, 8);
	for (i = 0; i < 8; i++)
		ck_assert_msg(strcmp(tw.step[i].domain, want[i]) == 0,
		    "step %zu: got %s, want %s", i, tw.step[i].domain, want[i]);
	ck_assert_str_eq(tw.orgdomain, want[0]);
	ck_assert(tw.org_step == SIZE_MAX);
	am_treewalk_release(&tw);
}
END_TEST

START_TEST(test_walk_temperror)
{
	struct am_treewalk tw;
	struct am_why why;

	ck_assert(am_treewalk_run(dns, "a.refused.example", NULL,
	    am_dns_deadline(5000), &tw, &why) == AM_TEMPFAIL);
	ck_assert_msg(strstr(why.text, "refused.example") != NULL, "%s",
	    why.text);
	am_treewalk_release(&tw);
	ck_assert(am_treewalk_run(dns, "a..b", NULL, am_dns_deadline(5000),
	    &tw, &why) == AM_PERMFAIL);
}
END_TEST

/*
 * A walk that fails keeps what its answered steps say (failed_step, the
 * Organizational Domain they select), and am_treewalk_compare() tells
 * whether the failure can matter to two names (orgdomain.h).
 */
START_TEST(test_walk_partial)
{
	struct am_treewalk a, b, c;
	struct am_why why;

	ck_assert(am_dns_add_local(dns, "_dmarc.bank.cut.example. 300 IN TXT "
	    "\"v=DMARC1; p=reject\"", &why) == AM_OK);
	ck_assert(am_dns_add_local_zone(dns, "_dmarc.cut.example", "refuse",
	    &why) == AM_OK);
	ck_assert(am_treewalk_run(dns, "bank.cut.example", NULL,
	    am_dns_deadline(5000), &a, &why) == AM_TEMPFAIL);
	ck_assert_uint_eq(a.n, 2);
	ck_assert_uint_eq(a.failed_step, 1);
	ck_assert_str_eq(a.orgdomain, "bank.cut.example");
	ck_assert(am_treewalk_may_be_org(&a, "bank.cut.example"));
	ck_assert(am_treewalk_may_be_org(&a, "cut.example"));
	ck_assert(!am_treewalk_may_be_org(&a, "example"));
	ck_assert(!am_treewalk_may_be_org(&a, "other.cut.example"));
	/* Below the record, failing above it: one Organizational Domain. */
	ck_assert(am_treewalk_run(dns, "mail.bank.cut.example", NULL,
	    am_dns_deadline(5000), &b, &why) == AM_TEMPFAIL);
	ck_assert_uint_eq(b.failed_step, 2);
	ck_assert_str_eq(b.orgdomain, "bank.cut.example");
	ck_assert_int_eq(am_treewalk_compare(&a, &b), AM_TREEWALK_SAME);
	am_treewalk_release(&b);
	/* A sibling: a record at _dmarc.cut.example would join them. */
	ck_assert(am_treewalk_run(dns, "evil.cut.example", NULL,
	    am_dns_deadline(5000), &b, &why) == AM_TEMPFAIL);
	ck_assert_str_eq(b.orgdomain, "evil.cut.example");
	ck_assert_int_eq(am_treewalk_compare(&a, &b), AM_TREEWALK_UNKNOWN);
	ck_assert_int_eq(am_treewalk_compare(&b, &a), AM_TREEWALK_UNKNOWN);
	/* Another organization under the same TLD: only "example" could
	 * join them, and a TLD is not taken as one. */
	ck_assert(am_treewalk_run(dns, "other.example", NULL,
	    am_dns_deadline(5000), &c, &why) == AM_OK);
	ck_assert_uint_eq(c.failed_step, SIZE_MAX);
	ck_assert_str_eq(c.orgdomain, "other.example");
	ck_assert_int_eq(am_treewalk_compare(&a, &c), AM_TREEWALK_DIFFERENT);
	ck_assert_int_eq(am_treewalk_compare(&c, &a), AM_TREEWALK_DIFFERENT);
	am_treewalk_release(&c);
	am_treewalk_release(&b);
	am_treewalk_release(&a);
}
END_TEST

/* A fetch made by the caller is reused as the first step (moved). */
START_TEST(test_walk_first_moved)
{
	struct am_dmarc_fetch f;
	struct am_treewalk tw;
	struct am_why why;

	am_dmarc_fetch(dns, "mail.example.com", am_dns_deadline(5000), &f);
	ck_assert_uint_eq(f.nrecords, 1);
	ck_assert_str_eq(f.record, "v=DMARC1; p=none");
	ck_assert(am_treewalk_run(dns, "mail.example.com", &f,
	    am_dns_deadline(5000), &tw, &why) == AM_OK);
	ck_assert(f.record == NULL);
	ck_assert_str_eq(tw.step[0].f.record, "v=DMARC1; p=none");
	ck_assert_str_eq(tw.orgdomain, "example.com");
	ck_assert_uint_eq(tw.org_step, 1);
	am_treewalk_release(&tw);
	am_dmarc_fetch_release(&f);
	am_dmarc_fetch(dns, "twice.example.net", am_dns_deadline(5000), &f);
	ck_assert_uint_eq(f.nrecords, 2);
	ck_assert(f.record == NULL);
	am_dmarc_fetch_release(&f);
	am_dmarc_fetch(dns, "sub.psdn.example", am_dns_deadline(5000), &f);
	ck_assert_int_eq(f.psd, 'n');
	am_dmarc_fetch_release(&f);
}
END_TEST

START_TEST(test_null_args)
{
	char out[8];

	(void)am_psl_orgdomain(NULL, "x", out, sizeof(out));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("orgdomain");
	TCase *tp = tcase_create("psl"), *tw = tcase_create("treewalk");

	tcase_add_checked_fixture(tp, psl_setup, psl_teardown);
	tcase_set_timeout(tp, 60);
	tcase_add_test(tp, test_psl_tests_txt);
	tcase_add_test(tp, test_psl_test_psl_txt);
	tcase_add_loop_test(tp, test_psl_cases, 0,
	    (int)(sizeof(psl_cases) / sizeof(psl_cases[0])));
	tcase_add_test(tp, test_psl_load_errors);
	tcase_add_test(tp, test_psl_no_wildcards);
	tcase_add_loop_test(tp, test_is_record, 0,
	    (int)(sizeof(is_record_cases) / sizeof(is_record_cases[0])));
	tcase_add_test(tp, test_tag_next);
	tcase_add_loop_test(tp, test_record_parse, 0,
	    (int)(sizeof(rec_cases) / sizeof(rec_cases[0])));
	if (am_test_can_fork())
		tcase_add_test_raise_signal(tp, test_null_args, SIGABRT);
	suite_add_tcase(s, tp);

	tcase_add_checked_fixture(tw, walk_setup, walk_teardown);
	tcase_set_timeout(tw, 60);
	tcase_add_loop_test(tw, test_walk, 0,
	    (int)(sizeof(walk_cases) / sizeof(walk_cases[0])));
	tcase_add_test(tw, test_walk_rfc_example);
	tcase_add_test(tw, test_walk_temperror);
	tcase_add_test(tw, test_walk_partial);
	tcase_add_test(tw, test_walk_first_moved);
	suite_add_tcase(s, tw);

	return am_test_run(s);
}
