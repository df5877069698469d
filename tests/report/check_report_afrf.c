/*
 * check_report_afrf - DMARC failure reports as messages
 * (lib/report/report_afrf.h) and which message gets one (fo=,
 * am_report_fail_type): RFC 6590 redaction of local parts (a table), the
 * RFC 5965 / RFC 6591 layout read back through the MIME walker
 * (multipart/report; report-type=feedback-report with text/plain,
 * message/feedback-report and text/rfc822-headers, the required fields, no
 * body), 8-bit bytes made 7-bit, a report too large refused whole.
 */
#include "autoconf.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "report/report_afrf.h"
#include "report/report_fail.h"
#include "report/report_ingest.h"
#include "report/report_mime.h"
#include "testutil/testutil.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

START_TEST(test_redact)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "Alice <alice@example.org>", "Alice <redacted@example.org>" },
		{ " a.b+tag@example.org, c@d.example",
		  " redacted@example.org, redacted@d.example" },
		{ "\"John Q. Doe\"@example.org", "redacted@example.org" },
		{ "smtp.mailfrom=alice@example.org",
		  "smtp.mailfrom=redacted@example.org" },
		{ "SRS0=ab=cd=example.org=alice@fwd.example",
		  "SRS0=ab=cd=example.org=redacted@fwd.example" },
		{ "<4f2a.1@mail.example.org>", "<redacted@mail.example.org>" },
		{ "by mx for <bob@example.net>; Mon", "by mx for "
		  "<redacted@example.net>; Mon" },
		{ "v=1; i=@example.org; d=example.org", "v=1; i=@example.org; "
		  "d=example.org" },
		{ "no address here", "no address here" },
		{ "a@ b@", "a@ b@" },
		{ "x@[192.0.2.1]", "redacted@[192.0.2.1]" },
		{ "@@a@b", "@@redacted@b" },
		{ "", "" },
	};
	struct am_buf out;
	size_t i;

	am_buf_init(&out, 4096);
	for (i = 0; i < NELEM(cases); i++) {
		am_buf_reset(&out);
		am_report_redact(cases[i].in, strlen(cases[i].in), &out);
		ck_assert_msg(strcmp(am_buf_str(&out), cases[i].want) == 0,
		    "[%s]: got [%s], want [%s]", cases[i].in, am_buf_str(&out),
		    cases[i].want);
	}
	am_buf_release(&out);
}
END_TEST

#define H(n, v) { n, v, sizeof(v) - 1 }
static const struct am_afrf_header hdrs[] = {
	H("From", " Alice <alice@example.org>"),
	H("To", " list@lists.example"),
	H("Subject", " caf\xc3\xa9\n\tfolded"),
	H("Message-ID", "<1@example.org>"),
};

/* afrf - a report of hdrs to f@example.org. */
static void
afrf(struct am_afrf *a, bool is_redacted)
{
	memset(a, 0, sizeof(*a));
	a->from = "dmarc-reports@mx.test.example";
	a->to = "f@example.org";
	a->reporting_mta = "mx.test.example";
	a->domain = "example.org";
	a->auth_failure = "dmarc";
	a->source_ip = "192.0.2.20";
	a->mail_from = "alice@example.org";
	a->authres = "mx.test.example;\n\tdkim=none;\n\tdmarc=fail "
	    "header.from=example.org";
	a->delivery = "reject";
	a->alignment = "none";
	a->arrival = 1700000000;
	a->report_id = "afrf.1";
	a->is_redacted = is_redacted;
	a->headers = hdrs;
	a->nheaders = NELEM(hdrs);
}

/* Leaves of a report, kept by the walker's callback. */
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
	ck_assert(snprintf(l->type[l->n], sizeof(l->type[0]), "%s", p->type)
	    < (int)sizeof(l->type[0]));
	ck_assert_uint_lt(p->len, sizeof(l->data[0]));
	memcpy(l->data[l->n], p->data, p->len);
	l->data[l->n][p->len] = '\0';
	l->n++;
}

/* walk - the message's leaves; the top Content-Type into ct. */
static void
walk(const struct am_buf *msg, struct leaves *l, struct am_buf *ct)
{
	struct am_ingest_limits lim;
	struct am_why why;

	memset(l, 0, sizeof(*l));
	am_report_ingest_limits(&lim);
	ck_assert_msg(am_report_mime_walk(msg->data, msg->len, &lim, leaf, l,
	    &why) == AM_OK, "%s", why.text);
	ck_assert(am_report_mime_header(msg->data, msg->len, "Content-Type",
	    ct));
}

START_TEST(test_message)
{
	static const char *const fields[] = {
		"Feedback-Type: auth-failure\n", "\nVersion: 1\n",
		"\nUser-Agent: " PACKAGE_NAME "/" PACKAGE_VERSION "\n",
		"\nOriginal-Mail-From: <redacted@example.org>\n",
		"\nArrival-Date: Tue, 14 Nov 2023 22:13:20 +0000\n",
		"\nReporting-MTA: dns; mx.test.example\n",
		"\nSource-IP: 192.0.2.20\n", "\nReported-Domain: example.org\n",
		"\nAuthentication-Results: mx.test.example;\n\tdkim=none;\n\t"
		    "dmarc=fail header.from=example.org\n",
		"\nAuth-Failure: dmarc\n", "\nDelivery-Result: reject\n",
		"\nIdentity-Alignment: none\n",
	};
	struct am_afrf a;
	struct am_buf msg, ct;
	struct leaves l;
	struct am_why why;
	size_t i;

	afrf(&a, true);
	ck_assert_int_eq(am_report_afrf_message(&a, &msg, &why), AM_OK);
	am_buf_init(&ct, 4096);
	walk(&msg, &l, &ct);
	ck_assert_msg(strstr(am_buf_str(&ct), "multipart/report;") != NULL &&
	    strstr(am_buf_str(&ct), "report-type=feedback-report") != NULL,
	    "%s", am_buf_str(&ct));
	ck_assert_uint_eq(l.n, 3);
	ck_assert_str_eq(l.type[0], "text/plain");
	ck_assert_str_eq(l.type[1], "message/feedback-report");
	ck_assert_str_eq(l.type[2], "text/rfc822-headers");
	for (i = 0; i < NELEM(fields); i++)
		ck_assert_msg(strstr(l.data[1], fields[i] + (i ? 1 : 0)) !=
		    NULL, "no [%s] in [%s]", fields[i], l.data[1]);
	ck_assert_ptr_null(strstr(l.data[1], "DKIM-Domain"));
	ck_assert_str_eq(l.data[2], "From: Alice <redacted@example.org>\n"
	    "To: redacted@lists.example\nSubject: caf??\n\tfolded\n"
	    "Message-ID: <redacted@example.org>\n");
	ck_assert_ptr_null(strstr(msg.data, "alice"));
	ck_assert_ptr_nonnull(strstr(msg.data, "\nTo: f@example.org\n"));
	ck_assert_ptr_nonnull(strstr(msg.data, "\nMessage-ID: "
	    "<afrf.1@mx.test.example>\n"));
	am_buf_release(&msg);

	/* not redacted: the addresses as they were, still 7-bit */
	afrf(&a, false);
	a.auth_failure = "bodyhash";
	a.dkim_domain = "example.org";
	a.dkim_selector = "ed";
	ck_assert_int_eq(am_report_afrf_message(&a, &msg, &why), AM_OK);
	am_buf_reset(&ct);
	walk(&msg, &l, &ct);
	ck_assert_ptr_nonnull(strstr(l.data[2], "From: Alice "
	    "<alice@example.org>\n"));
	ck_assert_ptr_nonnull(strstr(l.data[1], "\nDKIM-Domain: example.org\n"
	    "DKIM-Selector: ed\n"));
	ck_assert_ptr_nonnull(strstr(l.data[1], "\nAuth-Failure: bodyhash\n"));
	for (i = 0; i < msg.len; i++)
		ck_assert_msg((unsigned char)msg.data[i] < 0x80, "8-bit byte "
		    "at %zu", i);
	am_buf_release(&msg);
	am_buf_release(&ct);
}
END_TEST

/* A report over 1 MiB is refused whole, never cut. */
START_TEST(test_too_large)
{
	static char big[300 * 1024];
	struct am_afrf_header h[4];
	struct am_afrf a;
	struct am_buf msg;
	struct am_why why;
	size_t i;

	memset(big, 'x', sizeof(big));
	for (i = 0; i < 4; i++)
		h[i] = (struct am_afrf_header){ "X-Big", big, sizeof(big) };
	afrf(&a, false);
	a.headers = h;
	a.nheaders = 4;
	ck_assert_int_eq(am_report_afrf_message(&a, &msg, &why), AM_PERMFAIL);
	ck_assert_str_eq(why.text, "failure report for example.org over "
	    "1048576 bytes");
	ck_assert_uint_eq(msg.len, 0);
	am_buf_release(&msg);
	a.nheaders = 3;		/* 900 KiB of headers fit */
	ck_assert_int_eq(am_report_afrf_message(&a, &msg, &why), AM_OK);
	am_buf_release(&msg);
}
END_TEST

START_TEST(test_type)
{
	static const struct {
		const char *fo;
		enum am_dmarc_res res;
		enum am_dkim_result dk;
		const char *reason;
		enum am_spf_res spf;
		size_t nruf;
		const char *want;
	} cases[] = {
		{ "0", AM_DMARC_FAIL, AM_DKIM_NONE, "", AM_SPF_NONE, 1,
		  "dmarc" },
		{ "", AM_DMARC_FAIL, AM_DKIM_NONE, "", AM_SPF_NONE, 1,
		  "dmarc" },
		{ "0", AM_DMARC_FAIL, AM_DKIM_NONE, "", AM_SPF_NONE, 0, NULL },
		{ "0", AM_DMARC_PASS, AM_DKIM_FAIL, "body hash mismatch",
		  AM_SPF_FAIL, 1, NULL },
		{ "1", AM_DMARC_PASS, AM_DKIM_FAIL, "body hash mismatch",
		  AM_SPF_PASS, 1, "bodyhash" },
		{ "1", AM_DMARC_PASS, AM_DKIM_FAIL, "signature verification "
		  "failed", AM_SPF_PASS, 1, "signature" },
		{ "1", AM_DMARC_PASS, AM_DKIM_PASS, "", AM_SPF_FAIL, 1, "spf" },
		{ "1", AM_DMARC_PASS, AM_DKIM_NONE, "", AM_SPF_SOFTFAIL, 1,
		  NULL },
		{ "d", AM_DMARC_FAIL, AM_DKIM_FAIL, "body hash mismatch",
		  AM_SPF_FAIL, 1, "bodyhash" },
		{ "d", AM_DMARC_FAIL, AM_DKIM_PASS, "", AM_SPF_FAIL, 1, NULL },
		{ "s", AM_DMARC_FAIL, AM_DKIM_FAIL, "x", AM_SPF_FAIL, 1, "spf" },
		{ "0:s", AM_DMARC_PASS, AM_DKIM_FAIL, "x", AM_SPF_FAIL, 1,
		  "spf" },
		{ "d:s", AM_DMARC_FAIL, AM_DKIM_FAIL, "x", AM_SPF_FAIL, 1,
		  "signature" },
		{ "1:0", AM_DMARC_FAIL, AM_DKIM_FAIL, "x", AM_SPF_FAIL, 1,
		  "dmarc" },
		{ "10", AM_DMARC_FAIL, AM_DKIM_NONE, "", AM_SPF_NONE, 1, NULL },
	};
	struct am_dmarc_result d;
	struct am_dkim_sig sig;
	struct am_dkim_results dkim = { 1, &sig };
	struct am_spf_result spf;
	const struct am_dkim_sig *got;
	const char *t;
	size_t i;

	for (i = 0; i < NELEM(cases); i++) {
		memset(&d, 0, sizeof(d));
		d.has_record = true;
		d.result = cases[i].res;
		(void)snprintf(d.rec.fo, sizeof(d.rec.fo), "%s", cases[i].fo);
		d.rec.nruf = cases[i].nruf;
		memset(&sig, 0, sizeof(sig));
		sig.result = cases[i].dk;
		sig.reason = (char *)cases[i].reason;
		dkim.count = cases[i].dk == AM_DKIM_NONE ? 0 : 1;
		memset(&spf, 0, sizeof(spf));
		spf.is_checked = true;
		spf.result = cases[i].spf;
		t = am_report_fail_type(&d, &dkim, &spf, &got);
		ck_assert_msg((t == NULL && cases[i].want == NULL) || (t !=
		    NULL && cases[i].want != NULL && strcmp(t, cases[i].want) ==
		    0), "case %zu fo=%s: got %s, want %s", i, cases[i].fo,
		    t ? t : "none", cases[i].want ? cases[i].want : "none");
		ck_assert((got != NULL) == (t != NULL && (strcmp(t,
		    "bodyhash") == 0 || strcmp(t, "signature") == 0)));
	}
	memset(&d, 0, sizeof(d));	/* no record */
	d.result = AM_DMARC_FAIL;
	d.rec.nruf = 1;
	ck_assert_ptr_null(am_report_fail_type(&d, NULL, NULL, &got));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("report_afrf");
	TCase *tc = tcase_create("report_afrf");

	tcase_add_test(tc, test_redact);
	tcase_add_test(tc, test_message);
	tcase_add_test(tc, test_too_large);
	tcase_add_test(tc, test_type);
	suite_add_tcase(s, tc);
	return am_test_run(s);
}
