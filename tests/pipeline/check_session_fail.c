/*
 * check_session_fail - DMARC failure reports through the pipeline
 * (FailureReports yes, lib/report/report_fail.h): a DMARC failure of a
 * domain that publishes ruf= produces one RFC 6591 report, mailed through
 * ReportSendmail (a script that keeps what it is given) and read back here
 * (multipart/report; report-type=feedback-report, Feedback-Type:
 * auth-failure, Auth-Failure: dmarc, the headers redacted, no body); a
 * second failure of that domain within the hour is rate-limited; an
 * external ruf without the RFC 7489 §7.1 authorisation record gets
 * nothing, one with it gets its report; FailureReports no sends nothing.
 */
#include "autoconf.h"

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/buf.h"
#include "pipeline/ctx.h"
#include "pipeline/session.h"
#include "report/report_fail.h"
#include "report/report_ingest.h"
#include "report/report_mime.h"
#include "testutil/testrr.h"
#include "testutil/testsession.h"
#include "testutil/testutil.h"

static const char *const rrs[] = {
	"_dmarc.example.org. 300 IN TXT \"v=DMARC1; p=reject; "
	    "ruf=mailto:ruf@example.org\"",
	"_dmarc.b.example. 300 IN TXT \"v=DMARC1; p=quarantine; "
	    "ruf=mailto:x@evil.example\"",
	"_dmarc.c.example. 300 IN TXT \"v=DMARC1; p=none; fo=1; "
	    "ruf=mailto:ok@reports.example\"",
	"c.example._report._dmarc.reports.example. 300 IN TXT \"v=DMARC1\"",
	NULL,
};

/* ctx_new - a context whose mail goes to am_test_dir/sendmail. */
static struct am_ctx *
ctx_new(const char *more)
{
	char conf[2048];
	struct am_ctx *ctx;
	struct am_why why;
	size_t i;

	ck_assert(snprintf(conf, sizeof(conf), AM_TEST_SESSION_CFG
	    "ReportSendmail %s\nReportFrom DMARC <dmarc@mx.test.example>\n%s",
	    am_test_path(0, "sendmail"), more) < (int)sizeof(conf));
	ctx = am_test_ctx_new(conf);
	for (i = 0; rrs[i] != NULL; i++)
		am_test_dns_add(ctx->current->dns, rrs[i]);
	ctx->failures = am_report_fail_open(NULL, &why);
	ck_assert_msg(ctx->failures != NULL, "%s", why.text);
	return ctx;
}

/* setup - the scratch directory and the sendmail that keeps messages. */
static void
setup(void)
{
	char script[1024];

	am_test_dir_make();
	ck_assert(snprintf(script, sizeof(script), "#!/bin/sh\n"
	    "{ printf 'ARGS %%s\\n' \"$*\"; cat; } > \"$(mktemp %s/msg.XXXXXX)\""
	    "\n", am_test_dir) < (int)sizeof(script));
	am_test_put(am_test_path(0, "sendmail"), script);
	ck_assert_int_eq(chmod(am_test_path(0, "sendmail"), 0755), 0);
}

/* send_from - one message From author through a session, and wait for the
 * failure reports it queued. */
static void
send_from(struct am_ctx *ctx, const char *author)
{
	const char *hdrs[] = { "From", author, "Subject", " hi", NULL };
	struct am_session *s = am_session_new(ctx);
	struct am_verdict v;

	am_test_session_run(s, "192.0.2.20", NULL, hdrs, &v);
	am_verdict_release(&v);
	am_session_free(s);
	ck_assert_int_eq(am_report_fail_flush(ctx->failures, 10000), AM_OK);
}

/* mails - how many messages sendmail kept; the last one read into *last
 * (owned) when last is not NULL. */
static unsigned
mails(char **last)
{
	DIR *d = opendir(am_test_dir);
	struct dirent *e;
	unsigned n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, "msg.", 4) != 0)
			continue;
		n++;
		if (last != NULL) {
			free(*last);
			*last = am_test_slurp(am_test_path(1, e->d_name));
		}
	}
	closedir(d);
	return n;
}

/* Leaves of the report. */
struct leaves {
	unsigned n;
	char type[4][64];
	char data[4][4096];
};

static void
leaf(void *arg, const struct am_mime_part *p)
{
	struct leaves *l = arg;

	ck_assert_uint_lt(l->n, 4);
	(void)snprintf(l->type[l->n], sizeof(l->type[0]), "%s", p->type);
	ck_assert_uint_lt(p->len, sizeof(l->data[0]));
	memcpy(l->data[l->n], p->data, p->len);
	l->data[l->n++][p->len] = '\0';
}

/* check_report - the one report for example.org, read as a receiver would
 * (text: "ARGS ..." then the message). */
static void
check_report(const char *text)
{
	const char *msg = strchr(text, '\n') + 1;
	struct am_ingest_limits lim;
	struct leaves l = { 0 };
	struct am_buf ct;
	struct am_why why;

	ck_assert_msg(strncmp(text, "ARGS -f dmarc@mx.test.example -t -i\n",
	    36) == 0, "%.60s", text);
	am_buf_init(&ct, 4096);
	ck_assert(am_report_mime_header(msg, strlen(msg), "Content-Type",
	    &ct));
	ck_assert_msg(strstr(am_buf_str(&ct), "multipart/report;") != NULL &&
	    strstr(am_buf_str(&ct), "report-type=feedback-report") != NULL,
	    "%s", am_buf_str(&ct));
	am_buf_reset(&ct);
	ck_assert(am_report_mime_header(msg, strlen(msg), "To", &ct));
	ck_assert_str_eq(am_buf_str(&ct), "ruf@example.org");
	am_report_ingest_limits(&lim);
	ck_assert_msg(am_report_mime_walk(msg, strlen(msg), &lim, leaf, &l,
	    &why) == AM_OK, "%s", why.text);
	ck_assert_uint_eq(l.n, 3);
	ck_assert_str_eq(l.type[1], "message/feedback-report");
	ck_assert_str_eq(l.type[2], "text/rfc822-headers");
	ck_assert_ptr_nonnull(strstr(l.data[1], "Feedback-Type: "
	    "auth-failure\n"));
	ck_assert_ptr_nonnull(strstr(l.data[1], "\nAuth-Failure: dmarc\n"));
	ck_assert_ptr_nonnull(strstr(l.data[1], "\nReported-Domain: "
	    "example.org\n"));
	ck_assert_ptr_nonnull(strstr(l.data[1], "\nSource-IP: 192.0.2.20\n"));
	ck_assert_ptr_nonnull(strstr(l.data[1], "\nDelivery-Result: "
	    "reject\n"));
	ck_assert_ptr_nonnull(strstr(l.data[1], "\nOriginal-Mail-From: "
	    "<redacted@example.org>\n"));
	ck_assert_ptr_nonnull(strstr(l.data[1], "\nAuthentication-Results: "
	    "mx.test.example;"));
	ck_assert_ptr_nonnull(strstr(l.data[1], "dmarc=fail"));
	ck_assert_str_eq(l.data[2], "From: Alice <redacted@example.org>\n"
	    "Subject: hi\n");
	ck_assert_ptr_null(strstr(msg, "alice@"));
	ck_assert_ptr_null(strstr(msg, "hello"));	/* the body */
	am_buf_release(&ct);
}

START_TEST(report_rate_limited_and_checked)
{
	struct am_ctx *ctx = ctx_new("FailureReports yes\n");
	struct am_report_fail_counters c;
	char *last = NULL;

	send_from(ctx, " Alice <alice@example.org>");
	ck_assert_uint_eq(mails(&last), 1);
	check_report(last);
	/* the same domain again within the hour */
	send_from(ctx, " Alice <alice@example.org>");
	ck_assert_uint_eq(mails(NULL), 1);
	am_report_fail_counters(ctx->failures, &c);
	ck_assert_uint_eq(c.queued, 1);
	ck_assert_uint_eq(c.rate_limited, 1);
	ck_assert_uint_eq(c.sent, 1);
	/* an external ruf= without the authorisation record */
	send_from(ctx, " bob@b.example");
	ck_assert_uint_eq(mails(NULL), 1);
	am_report_fail_counters(ctx->failures, &c);
	ck_assert_uint_eq(c.denied, 1);
	ck_assert_uint_eq(c.sent, 1);
	/* and one with it (fo=1, p=none: DMARC fails all the same) */
	send_from(ctx, " carol@c.example");
	ck_assert_uint_eq(mails(&last), 2);
	am_report_fail_counters(ctx->failures, &c);
	ck_assert_uint_eq(c.sent, 2);
	ck_assert_uint_eq(c.failed, 0);
	free(last);
	am_ctx_free(ctx);
}
END_TEST

START_TEST(off_by_default)
{
	struct am_ctx *ctx = ctx_new("");
	struct am_report_fail_counters c;

	send_from(ctx, " Alice <alice@example.org>");
	am_report_fail_counters(ctx->failures, &c);
	ck_assert_uint_eq(c.queued + c.rate_limited + c.dropped, 0);
	ck_assert_uint_eq(mails(NULL), 0);
	am_ctx_free(ctx);
}
END_TEST

START_TEST(not_redacted_when_asked)
{
	struct am_ctx *ctx = ctx_new("FailureReports yes\n"
	    "FailureReportRedact no\n");
	char *last = NULL;

	send_from(ctx, " Alice <alice@example.org>");
	ck_assert_uint_eq(mails(&last), 1);
	ck_assert_ptr_nonnull(strstr(last, "\nFrom: Alice "
	    "<alice@example.org>\n"));
	ck_assert_ptr_null(strstr(last, "hello"));	/* never the body */
	free(last);
	am_ctx_free(ctx);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("session_fail");
	TCase *tc = tcase_create("failure_reports");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, am_test_dir_remove);
	tcase_add_test(tc, report_rate_limited_and_checked);
	tcase_add_test(tc, off_by_default);
	tcase_add_test(tc, not_redacted_when_asked);
	suite_add_tcase(s, tc);
	return am_test_run(s);
}
