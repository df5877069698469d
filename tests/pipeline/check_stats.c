/*
 * check_stats - the counters file: format (names, order, uptime), parse
 * (every malformed line rejected with its line number), write + read
 * round trip, atomic replacement, missing and unwritable paths; and
 * am_stats_count() over a run of decisions.
 */
#include "autoconf.h"

#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "pipeline/stats.h"
#include "testutil/testutil.h"

/* entries - files in am_test_dir (without . and ..). */
static int
entries(void)
{
	DIR *d = opendir(am_test_dir);
	struct dirent *de;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* sample - counters with a distinct value in a few places. */
static void
sample(struct am_stats *st)
{
	memset(st, 0, sizeof(*st));
	atomic_store(&st->connections, 10);
	atomic_store(&st->decided[AM_DISP_ACCEPT][AM_MODE_INBOUND], 5);
	atomic_store(&st->decided[AM_DISP_ACCEPT][AM_MODE_OUTBOUND], 2);
	atomic_store(&st->decided[AM_DISP_REJECT][AM_MODE_INBOUND], 1);
	atomic_store(&st->decided[AM_DISP_TEMPFAIL][AM_MODE_OUTBOUND], 1);
	atomic_store(&st->tls_mode[1], 3);
	atomic_store(&st->tls_version[4], 2);
	atomic_store(&st->tls_version[0], 1);
	atomic_store(&st->spf[AM_STATS_SPF_PASS], 5);
	atomic_store(&st->spf[AM_STATS_SPF_PERMERROR], 2);
	atomic_store(&st->dkim[AM_STATS_DKIM_NONE], 4);
	atomic_store(&st->dmarc[AM_STATS_DMARC_FAIL], 1);
	atomic_store(&st->signed_msgs, 6);
	atomic_store(&st->reload_failures, 18446744073709551615ULL);
}

static const struct {
	const char *name;
	unsigned long long want;
} sample_wants[] = {
	{ "time", 1150 },
	{ "uptime", 150 },
	{ "connections", 10 },
	{ "messages", 9 },
	{ "messages.inbound", 6 },
	{ "messages.outbound", 3 },
	{ "verdict.accept", 7 },
	{ "verdict.reject", 1 },
	{ "verdict.tempfail", 1 },
	{ "verdict.quarantine", 0 },
	{ "tls.none", 0 },
	{ "tls.starttls", 3 },
	{ "tls.version.tlsv1.3", 2 },
	{ "tls.version.other", 1 },
	{ "spf.pass", 5 },
	{ "spf.permerror", 2 },
	{ "spf.fail", 0 },
	{ "dkim.none", 4 },
	{ "dmarc.fail", 1 },
	{ "dmarc.pass", 0 },
	{ "signed", 6 },
	{ "reloads", 0 },
	{ "reload_failures", 18446744073709551615ULL },
};

START_TEST(format_names_and_values)
{
	static const char head[] = "time 1150\nuptime 150\nconnections 10\n"
	    "messages 9\n";
	struct am_stats_snapshot snap;
	struct am_stats st;
	struct am_buf b;
	struct am_why why;
	unsigned long long v;
	size_t i;

	sample(&st);
	am_buf_init(&b, AM_STATS_MAX_BYTES);
	ck_assert_int_eq(am_stats_format(&st, NULL, 1000, 1150, &b), AM_OK);
	ck_assert_msg(strncmp(am_buf_str(&b), head, strlen(head)) == 0,
	    "got %.60s, want %s", am_buf_str(&b), head);
	ck_assert_int_eq(am_stats_parse(b.data, b.len, &snap, &why), AM_OK);
	for (i = 0; i < sizeof(sample_wants) / sizeof(sample_wants[0]); i++) {
		ck_assert_msg(am_stats_lookup(&snap, sample_wants[i].name, &v),
		    "%s: got nothing", sample_wants[i].name);
		ck_assert_msg(v == sample_wants[i].want, "%s: got %llu, want "
		    "%llu", sample_wants[i].name, v, sample_wants[i].want);
	}
	ck_assert(!am_stats_lookup(&snap, "nonesuch", &v));
	am_buf_release(&b);
}
END_TEST

/* dns.dnssec_disabled is published (a gauge: it follows the runtime). */
START_TEST(format_dnssec_gauge)
{
	struct am_stats_snapshot snap;
	struct am_stats st;
	struct am_buf b;
	struct am_why why;
	unsigned long long v = 99;

	sample(&st);
	am_buf_init(&b, AM_STATS_MAX_BYTES);
	ck_assert_int_eq(am_stats_format(&st, NULL, 0, 1, &b), AM_OK);
	ck_assert_int_eq(am_stats_parse(b.data, b.len, &snap, &why), AM_OK);
	ck_assert(am_stats_lookup(&snap, "dns.dnssec_disabled", &v) && v == 0);
	atomic_store(&st.dnssec_disabled, 1);
	am_buf_reset(&b);
	ck_assert_int_eq(am_stats_format(&st, NULL, 0, 1, &b), AM_OK);
	ck_assert_int_eq(am_stats_parse(b.data, b.len, &snap, &why), AM_OK);
	ck_assert(am_stats_lookup(&snap, "dns.dnssec_disabled", &v) && v == 1);
	am_buf_release(&b);
}
END_TEST

/* The report store's counters follow when ReportStore is set. */
START_TEST(format_report_counters)
{
	struct am_report_counters rep = { .enqueued = 12, .written = 10,
		.dropped = 1, .write_errors = 3, .queue_depth = 2,
		.is_failing = true };
	struct am_stats_snapshot snap;
	struct am_stats st;
	struct am_buf b;
	struct am_why why;
	unsigned long long v;

	sample(&st);
	am_buf_init(&b, AM_STATS_MAX_BYTES);
	ck_assert_int_eq(am_stats_format(&st, NULL, 0, 1, &b), AM_OK);
	ck_assert_ptr_null(strstr(am_buf_str(&b), "reports."));
	am_buf_reset(&b);
	ck_assert_int_eq(am_stats_format(&st, &rep, 0, 1, &b), AM_OK);
	ck_assert_int_eq(am_stats_parse(b.data, b.len, &snap, &why), AM_OK);
	ck_assert(am_stats_lookup(&snap, "reports.enqueued", &v) && v == 12);
	ck_assert(am_stats_lookup(&snap, "reports.written", &v) && v == 10);
	ck_assert(am_stats_lookup(&snap, "reports.dropped", &v) && v == 1);
	ck_assert(am_stats_lookup(&snap, "reports.write_errors", &v) && v == 3);
	ck_assert(am_stats_lookup(&snap, "reports.queue", &v) && v == 2);
	ck_assert(am_stats_lookup(&snap, "reports.failing", &v) && v == 1);
	am_buf_release(&b);
}
END_TEST

START_TEST(format_clock_backwards_and_cap)
{
	struct am_stats st;
	struct am_buf b;

	sample(&st);
	am_buf_init(&b, AM_STATS_MAX_BYTES);
	ck_assert_int_eq(am_stats_format(&st, NULL, 2000, 1000, &b), AM_OK);
	ck_assert_msg(strstr(am_buf_str(&b), "\nuptime 0\n") != NULL,
	    "got %.40s, want uptime 0", am_buf_str(&b));
	am_buf_release(&b);
	/* Too small: fails, and leaves what was there before. */
	am_buf_init(&b, 64);
	ck_assert_int_eq(am_buf_puts(&b, "keep"), AM_OK);
	ck_assert_int_eq(am_stats_format(&st, NULL, 0, 1, &b), AM_PERMFAIL);
	ck_assert_str_eq(am_buf_str(&b), "keep");
	am_buf_release(&b);
}
END_TEST

static const struct {
	const char *name;
	const char *text;
	enum am_status want;
	const char *want_why;	/* substring of why, or NULL */
} parse_cases[] = {
	{ "minimal", "time 1\nuptime 0\n", AM_OK, NULL },
	{ "unknown names kept", "time 1\nuptime 0\nnew.counter_2 7\n", AM_OK,
	    NULL },
	{ "empty", "", AM_PERMFAIL, "empty" },
	{ "no final newline", "time 1\nuptime 0", AM_PERMFAIL, "truncated" },
	{ "no time", "uptime 0\nmessages 1\n", AM_PERMFAIL, "not an authmilter" },
	{ "no space", "time 1\nuptime\n", AM_PERMFAIL, "line 2: not" },
	{ "empty line", "time 1\n\nuptime 0\n", AM_PERMFAIL, "line 2" },
	{ "upper case", "time 1\nUptime 0\n", AM_PERMFAIL, "line 2: bad counter" },
	{ "two spaces", "time 1\nuptime  0\n", AM_PERMFAIL, "line 2: uptime: bad" },
	{ "negative", "time 1\nuptime -1\n", AM_PERMFAIL, "bad value" },
	{ "not a number", "time x\nuptime 0\n", AM_PERMFAIL, "line 1: time: bad" },
	{ "trailing text", "time 1 2\nuptime 0\n", AM_PERMFAIL, "bad value" },
	{ "overflow", "time 18446744073709551616\nuptime 0\n", AM_PERMFAIL,
	    "bad value" },
	{ "max", "time 18446744073709551615\nuptime 0\n", AM_OK, NULL },
	{ "duplicate", "time 1\nuptime 0\ntime 2\n", AM_PERMFAIL, "twice" },
	{ "CRLF", "time 1\r\nuptime 0\r\n", AM_PERMFAIL, "line 1" },
	{ "NUL", "time 1\nupt\0me 0\n", AM_PERMFAIL, "line 2" },
	{ "long name", "time 1\nuptime 0\n"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 1\n",
	    AM_PERMFAIL, "line 3: bad counter" },
};

START_TEST(parse_table)
{
	struct am_stats_snapshot snap;
	struct am_why why;
	enum am_status got;
	size_t len;
	int i = _i;

	len = strlen(parse_cases[i].text);
	if (strcmp(parse_cases[i].name, "NUL") == 0)
		len = 16;	/* strlen stops at the NUL */
	why.text[0] = '\0';
	got = am_stats_parse(parse_cases[i].text, len, &snap, &why);
	ck_assert_msg(got == parse_cases[i].want, "%s: got %s, want %s (%s)",
	    parse_cases[i].name, am_status_name(got),
	    am_status_name(parse_cases[i].want), why.text);
	if (parse_cases[i].want_why != NULL)
		ck_assert_msg(strstr(why.text, parse_cases[i].want_why) != NULL,
		    "%s: got \"%s\", want \"%s\"", parse_cases[i].name,
		    why.text, parse_cases[i].want_why);
}
END_TEST

START_TEST(parse_too_many)
{
	struct am_stats_snapshot snap;
	struct am_why why;
	struct am_buf b;
	int i;

	am_buf_init(&b, 1 << 16);
	ck_assert_int_eq(am_buf_puts(&b, "time 1\nuptime 0\n"), AM_OK);
	for (i = 0; i < AM_STATS_MAX_ENTRIES - 2; i++)
		ck_assert_int_eq(am_buf_printf(&b, "c%d %d\n", i, i), AM_OK);
	ck_assert_int_eq(am_stats_parse(b.data, b.len, &snap, &why), AM_OK);
	ck_assert_uint_eq(snap.n, AM_STATS_MAX_ENTRIES);
	ck_assert_int_eq(am_buf_puts(&b, "one.more 1\n"), AM_OK);
	ck_assert_int_eq(am_stats_parse(b.data, b.len, &snap, &why),
	    AM_PERMFAIL);
	ck_assert_msg(strstr(why.text, "more than") != NULL, "got %s",
	    why.text);
	am_buf_release(&b);
}
END_TEST

START_TEST(write_read_round_trip)
{
	struct am_stats_snapshot snap;
	const char *path = am_test_path(0, "stats");
	struct am_stats st;
	struct am_why why;
	struct stat sb;
	unsigned long long v, t;
	time_t before = time(NULL);

	sample(&st);
	ck_assert_int_eq(am_stats_write(path, &st, NULL, before - 42, &why), AM_OK);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_msg((sb.st_mode & 07777) == 0644, "got mode %o, want 644",
	    (unsigned)(sb.st_mode & 07777));
	ck_assert_int_eq(entries(), 1);	/* no temporary file left */
	ck_assert_int_eq(am_stats_read(path, &snap, &why), AM_OK);
	ck_assert(am_stats_lookup(&snap, "time", &t));
	ck_assert(t >= (unsigned long long)before && t <= (unsigned long long)
	    time(NULL));
	ck_assert(am_stats_lookup(&snap, "uptime", &v));
	ck_assert_uint_ge(v, 42);
	ck_assert(am_stats_lookup(&snap, "spf.pass", &v));
	ck_assert_uint_eq(v, 5);
}
END_TEST

/* A reader holding the old file keeps reading it whole while the writer
 * replaces it: the file is never rewritten in place. */
START_TEST(write_replaces_atomically)
{
	const char *path = am_test_path(0, "stats");
	struct am_stats st;
	struct am_why why;
	struct stat sb1, sb2;
	char *old, *new;
	int fd;

	memset(&st, 0, sizeof(st));
	atomic_store(&st.decided[AM_DISP_ACCEPT][AM_MODE_INBOUND], 1);
	ck_assert_int_eq(am_stats_write(path, &st, NULL, 0, &why), AM_OK);
	ck_assert_int_eq(stat(path, &sb1), 0);
	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	atomic_store(&st.decided[AM_DISP_ACCEPT][AM_MODE_INBOUND], 2);
	ck_assert_int_eq(am_stats_write(path, &st, NULL, 0, &why), AM_OK);
	ck_assert_int_eq(stat(path, &sb2), 0);
	ck_assert_msg(sb1.st_ino != sb2.st_ino, "same inode: rewritten in place");
	old = am_test_slurp_fd(fd);
	close(fd);
	ck_assert_msg(strstr(old, "\nmessages 1\n") != NULL, "old file: %s", old);
	fd = open(path, O_RDONLY);
	new = am_test_slurp_fd(fd);
	close(fd);
	ck_assert_msg(strstr(new, "\nmessages 2\n") != NULL, "new file: %s", new);
	ck_assert_int_eq(entries(), 1);
	free(old);
	free(new);
}
END_TEST

START_TEST(read_missing_file)
{
	struct am_stats_snapshot snap;
	struct am_why why;

	ck_assert_int_eq(am_stats_read(am_test_path(0, "nonesuch"), &snap, &why),
	    AM_TEMPFAIL);
	ck_assert_msg(strstr(why.text, "No such file") != NULL, "got %s",
	    why.text);
	ck_assert_msg(strstr(why.text, "nonesuch") != NULL, "got %s",
	    why.text);
}
END_TEST

START_TEST(read_bad_files)
{
	struct am_stats_snapshot snap;
	struct am_why why;
	char big[AM_STATS_MAX_BYTES + 100];

	am_test_put(am_test_path(0, "garbage"), "<html>not stats</html>\n");
	ck_assert_int_eq(am_stats_read(am_test_path(0, "garbage"), &snap, &why),
	    AM_PERMFAIL);
	ck_assert_msg(strstr(why.text, "garbage: line 1:") != NULL, "got %s",
	    why.text);
	memset(big, 'a', sizeof(big) - 2);
	big[sizeof(big) - 2] = '\n';
	big[sizeof(big) - 1] = '\0';
	am_test_put(am_test_path(0, "big"), big);
	ck_assert_int_eq(am_stats_read(am_test_path(0, "big"), &snap, &why),
	    AM_PERMFAIL);
	ck_assert_msg(strstr(why.text, "larger than") != NULL, "got %s",
	    why.text);
	/* A directory is unreadable as a file, not garbage. */
	ck_assert_int_eq(am_stats_read(am_test_dir, &snap, &why), AM_TEMPFAIL);
}
END_TEST

START_TEST(write_fails_cleanly)
{
	struct am_stats st;
	struct am_why why;

	memset(&st, 0, sizeof(st));
	ck_assert_int_eq(am_stats_write(am_test_path(0, "no/such/dir/stats"), &st, NULL, 0,
	    &why), AM_TEMPFAIL);
	ck_assert_msg(strstr(why.text, "cannot create") != NULL, "got %s",
	    why.text);
	/* Renaming over a non-empty directory fails after the temporary file
	 * was written: it must not be left behind. */
	ck_assert_int_eq(mkdir(am_test_path(0, "d"), 0755), 0);
	am_test_put(am_test_path(1, "d/x"), "x");
	ck_assert_int_eq(am_stats_write(am_test_path(0, "d"), &st, NULL, 0, &why),
	    AM_TEMPFAIL);
	ck_assert_msg(strstr(why.text, "cannot rename") != NULL, "got %s",
	    why.text);
	ck_assert_int_eq(entries(), 1);
}
END_TEST

/* One decision to count: the parts of results and verdict it reads. */
static const struct count_step {
	enum am_results_stage stage;
	enum am_tls_policy_action tls_policy;
	enum am_tls_mode tls;		/* with TLSv1.3 unless NONE */
	enum am_mode mode;
	enum am_disposition disp;
	size_t ndel;			/* forged headers deleted */
	unsigned errors;		/* internal errors */
	int spf;			/* MAIL FROM result, -1: unchecked,
					 * -2: SPF did not run */
	int spf_helo;			/* HELO result */
	int dkim;			/* a signature's result, -1 unsigned */
	int dmarc;			/* result applied, -1 not run */
	size_t nsigs;			/* outbound signatures */
} count_steps[] = {
	{ AM_RESULTS_MAIL, AM_TLS_POLICY_REJECT, AM_TLS_NONE,
	  AM_MODE_INBOUND, AM_DISP_REJECT, 0, 0, -2, 0, -1, -1, 0 },
	{ AM_RESULTS_MAIL, AM_TLS_POLICY_TAG, AM_TLS_NONE,
	  AM_MODE_INBOUND, AM_DISP_ACCEPT, 0, 0, -2, 0, -1, -1, 0 },
	{ AM_RESULTS_EOM, AM_TLS_POLICY_TAG, AM_TLS_STARTTLS,
	  AM_MODE_INBOUND, AM_DISP_ACCEPT, 2, 0, AM_SPF_SOFTFAIL,
	  AM_SPF_NONE, AM_DKIM_PASS, AM_DMARC_PASS, 0 },
	{ AM_RESULTS_EOM, AM_TLS_POLICY_OK, AM_TLS_IMPLICIT,
	  AM_MODE_INBOUND, AM_DISP_QUARANTINE, 0,
	  AM_VERDICT_ERR_AUTHRES | AM_VERDICT_ERR_TLS_HEADER, -1, AM_SPF_FAIL,
	  AM_DKIM_FAIL, AM_DMARC_FAIL, 0 },
	{ AM_RESULTS_EOM, AM_TLS_POLICY_OK, AM_TLS_NONE,
	  AM_MODE_OUTBOUND, AM_DISP_ACCEPT, 1, 0, -2, 0, -1, -1, 2 },
	{ AM_RESULTS_EOM, AM_TLS_POLICY_OK, AM_TLS_NONE,
	  AM_MODE_OUTBOUND, AM_DISP_TEMPFAIL, 0, AM_VERDICT_ERR_TLS_HEADER,
	  -2, 0, -1, -1, 2 },
	{ AM_RESULTS_EOM, AM_TLS_POLICY_OK, AM_TLS_NONE,
	  AM_MODE_INBOUND, AM_DISP_REJECT, 0, 0, -2, 0, -1, AM_DMARC_NONE,
	  0 },
};

static const struct {
	const char *name;
	unsigned long long want;
} count_wants[] = {
	{ "messages", 6 }, { "messages.inbound", 4 },
	{ "messages.outbound", 2 }, { "verdict.accept", 3 },
	{ "verdict.reject", 2 }, { "verdict.tempfail", 1 },
	{ "verdict.quarantine", 1 }, { "forged_removed", 3 },
	{ "internal_errors", 3 }, { "tls.none", 3 }, { "tls.starttls", 1 },
	{ "tls.implicit", 1 }, { "tls.version.tlsv1.3", 2 },
	{ "tls.policy_violations", 2 }, { "spf.softfail", 1 },
	{ "spf.fail", 1 }, { "spf.none", 0 }, { "dkim.pass", 1 },
	{ "dkim.fail", 1 }, { "dkim.none", 1 }, { "dmarc.pass", 1 },
	{ "dmarc.fail", 1 }, { "dmarc.none", 1 }, { "signed", 1 },
	{ "connections", 0 }, { "aborted", 0 },
};

/* count_one - the results and verdict of step c, counted into st. */
static void
count_one(struct am_stats *st, const struct count_step *c)
{
	struct am_results r;
	struct am_verdict v;
	struct am_tls_status tls = { .mode = c->tls };
	struct am_spf_result spf[2] = { { .is_checked = c->spf >= 0 },
	    { .is_checked = true } };
	struct am_dkim_sig sig = { .result = (enum am_dkim_result)c->dkim };
	struct am_dkim_results dkim = { c->dkim >= 0, &sig };
	struct am_results_sig sigs[2] = { { "", "d", "s" }, { "", "d", "t" } };
	size_t i;

	am_results_init(&r, c->stage);
	am_verdict_init(&v);
	if (c->tls != AM_TLS_NONE)
		(void)snprintf(tls.version, sizeof(tls.version), "TLSv1.3");
	r.tls_policy = c->tls_policy;
	r.tls = &tls;
	v.mode = c->mode;
	v.disp = c->disp;
	v.errors = c->errors;
	for (i = 0; i < c->ndel; i++)
		am_verdict_delete(&v, "Authentication-Results", i + 1);
	r.has_inbound = c->mode == AM_MODE_INBOUND;
	spf[0].result = c->spf >= 0 ? (enum am_spf_res)c->spf : AM_SPF_NONE;
	spf[1].result = (enum am_spf_res)c->spf_helo;
	r.spf_mfrom = c->spf >= -1 ? &spf[0] : NULL;
	r.spf_helo = c->spf >= -1 ? &spf[1] : NULL;
	r.dkim = &dkim;
	if (c->dmarc >= 0) {
		v.dmarc = calloc(1, sizeof(*v.dmarc));
		ck_assert_ptr_nonnull(v.dmarc);
		v.dmarc->result = (enum am_dmarc_res)c->dmarc;
	}
	r.sign = c->nsigs ? AM_SIGN_DONE : AM_SIGN_NOT_RUN;
	r.sigs = sigs;
	r.nsigs = c->nsigs;
	am_stats_count(st, &r, &v);
	am_verdict_release(&v);
}

/* am_stats_count over a run of decisions, read back from the file text. */
START_TEST(count_decisions)
{
	struct am_stats st;
	struct am_stats_snapshot *snap = calloc(1, sizeof(*snap));
	struct am_buf out;
	struct am_why why;
	unsigned long long got;
	size_t i;

	ck_assert_ptr_nonnull(snap);
	memset(&st, 0, sizeof(st));
	for (i = 0; i < sizeof(count_steps) / sizeof(count_steps[0]); i++)
		count_one(&st, &count_steps[i]);
	am_buf_init(&out, AM_STATS_MAX_BYTES);
	ck_assert(am_stats_format(&st, NULL, 0, 0, &out) == AM_OK);
	ck_assert_msg(am_stats_parse(out.data, out.len, snap, &why) == AM_OK,
	    "%s", why.text);
	for (i = 0; i < sizeof(count_wants) / sizeof(count_wants[0]); i++) {
		ck_assert(am_stats_lookup(snap, count_wants[i].name, &got));
		ck_assert_msg(got == count_wants[i].want, "%s: got %llu, want "
		    "%llu", count_wants[i].name, got, count_wants[i].want);
	}
	am_buf_release(&out);
	free(snap);
}
END_TEST

START_TEST(write_null_panics)
{
	struct am_why why;

	(void)am_stats_write("/tmp/x", NULL, NULL, 0, &why);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("stats");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, am_test_dir_make, am_test_dir_remove);
	tcase_add_test(tc, format_names_and_values);
	tcase_add_test(tc, format_clock_backwards_and_cap);
	tcase_add_test(tc, format_report_counters);
	tcase_add_test(tc, format_dnssec_gauge);
	tcase_add_loop_test(tc, parse_table, 0,
	    (int)(sizeof(parse_cases) / sizeof(parse_cases[0])));
	tcase_add_test(tc, parse_too_many);
	tcase_add_test(tc, write_read_round_trip);
	tcase_add_test(tc, write_replaces_atomically);
	tcase_add_test(tc, read_missing_file);
	tcase_add_test(tc, read_bad_files);
	tcase_add_test(tc, write_fails_cleanly);
	tcase_add_test(tc, count_decisions);
	/* An abort can only be caught in a forked test (not under valgrind's
	 * CK_FORK=no). */
	if (am_test_can_fork())
		tcase_add_test_raise_signal(tc, write_null_panics, SIGABRT);
	suite_add_tcase(s, tc);
	return am_test_run(s);
}
