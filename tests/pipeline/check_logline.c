/*
 * check_logline - the per-message log line (lib/pipeline/logline.c) for
 * results and verdicts built by hand, compared with the golden lines in
 * tests/data/pipeline/logline.golden (AM_WRITE_GOLDEN=1 rewrites it): inbound
 * and outbound messages, a refusal at MAIL FROM, an abandoned transaction,
 * internal errors, and the bounds (fields clipped, the results cut so the
 * outcome always fits).
 */
#include "autoconf.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "msg/msg.h"
#include "pipeline/logline.h"
#include "testutil/testutil.h"

#define GOLDEN AM_TOP_SRCDIR "/tests/data/pipeline/logline.golden"
#define NLINES 9

/* The storage behind one line. */
struct fixture {
	struct am_logline l;
	struct am_results r;
	struct am_verdict v;
	struct am_tls_status tls;
	struct am_spf_result spf[2];
	struct am_dkim_sig sigs[12];
	struct am_dkim_results dkim;
	struct am_results_sig out[60];
	char names[60][80];
	char helo[301];
};

/* base - an inbound message from mx.example.net, nothing found yet. */
static void
base(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	am_verdict_init(&f->v);
	am_results_init(&f->r, AM_RESULTS_EOM);
	f->l.client_name = "mx.example.net";
	f->l.client_ip = "192.0.2.10";
	f->l.helo = "mx.example.net";
	f->l.sender = "alice@example.net";
	f->l.rcpts = 2;
	f->l.headers = 14;
	f->l.body_bytes = 2048;
	f->l.tls = &f->tls;
	f->l.elapsed_ms = 37;
	f->l.results = &f->r;
	f->l.verdict = &f->v;
	f->r.tls = &f->tls;
}

/* inbound - SPF, DKIM (n signatures) and DMARC results of a message. */
static void
inbound(struct fixture *f, size_t n, enum am_dmarc_res res,
    enum am_dmarc_policy dis)
{
	size_t i;

	f->r.has_inbound = true;
	f->spf[0].is_checked = true;
	f->spf[0].result = AM_SPF_SOFTFAIL;
	f->spf[1].is_checked = true;
	f->spf[1].result = AM_SPF_NONE;
	f->r.spf_mfrom = &f->spf[0];
	f->r.spf_helo = &f->spf[1];
	for (i = 0; i < n; i++) {
		f->sigs[i].result = i % 2 ? AM_DKIM_FAIL : AM_DKIM_PASS;
		f->sigs[i].domain = i == 1 ? "" : "example.net";
	}
	f->dkim.count = n;
	f->dkim.sigs = f->sigs;
	f->r.dkim = &f->dkim;
	f->v.dmarc = calloc(1, sizeof(*f->v.dmarc));
	ck_assert_ptr_nonnull(f->v.dmarc);
	f->v.dmarc->result = res;
	(void)snprintf(f->v.dmarc->header_from,
	    sizeof(f->v.dmarc->header_from), "example.net");
	f->v.dmarc->has_record = res != AM_DMARC_NONE;
	f->v.dmarc->policy = AM_DMARC_POLICY_REJECT;
	f->v.dmarc->disposition = dis;
}

/* line - fixture case i. */
static void
line(size_t i, struct fixture *f)
{
	size_t k;

	base(f);
	switch (i) {
	case 0:	/* inbound, accepted, over STARTTLS, forged removed */
		f->tls.mode = AM_TLS_STARTTLS;
		(void)snprintf(f->tls.version, sizeof(f->tls.version),
		    "TLSv1.3");
		inbound(f, 1, AM_DMARC_PASS, AM_DMARC_POLICY_NONE);
		am_verdict_delete(&f->v, "Authentication-Results", 1);
		am_verdict_delete(&f->v, "Received-SPF", 2);
		break;
	case 1:	/* DMARC reject; 12 signatures; A-R entries left out */
		inbound(f, 12, AM_DMARC_FAIL, AM_DMARC_POLICY_REJECT);
		f->l.anomalies = AM_ANOM_HEADERS;
		f->v.ar_dropped = 2;
		am_verdict_set(&f->v, AM_DISP_REJECT, "550", "5.7.1", "Message "
		    "rejected by the DMARC policy of example.net");
		break;
	case 2:	/* refused at MAIL FROM by RequireTLS */
		f->r.stage = AM_RESULTS_MAIL;
		f->r.tls_policy = AM_TLS_POLICY_REJECT;
		f->r.tls_policy_why = "Must issue a STARTTLS command first";
		f->l.rcpts = f->l.headers = 0;
		f->l.body_bytes = 0;
		am_verdict_set(&f->v, AM_DISP_REJECT, "530", "5.7.0",
		    "Must issue a STARTTLS command first");
		break;
	case 3:	/* outbound, signed twice, one existing signature */
		f->v.mode = AM_MODE_OUTBOUND;
		f->l.auth_user = "alice";
		f->r.sign = AM_SIGN_DONE;
		f->r.sign_note = "example.net/rsa:verified";
		f->out[0] = (struct am_results_sig){ "", "example.net", "rsa" };
		f->out[1] = (struct am_results_sig){ "", "example.net", "ed" };
		f->r.sigs = f->out;
		f->r.nsigs = 2;
		break;
	case 4:	/* outbound, no key */
		f->v.mode = AM_MODE_OUTBOUND;
		f->r.sign = AM_SIGN_NOTHING;
		f->r.sign_why = "no key for example.net";
		break;
	case 5:	/* outbound, the signer failed: internal errors, tempfail */
		f->v.mode = AM_MODE_OUTBOUND;
		f->r.sign = AM_SIGN_FAILED;
		f->r.sign_why = "key too short";
		f->v.errors = AM_VERDICT_ERR_SIGN | AM_VERDICT_ERR_TLS_HEADER;
		am_verdict_set(&f->v, AM_DISP_TEMPFAIL, "451", "4.3.0",
		    "authmilter: temporary local problem, try again later");
		break;
	case 6:	/* abandoned in the headers; SPF skipped is not shown */
		f->l.results = NULL;
		f->l.stage = "header";
		f->l.why = "lost";
		break;
	case 7:	/* a long HELO is clipped; SPF did not run; A-R too long */
		memset(f->helo, 'h', sizeof(f->helo) - 1);
		f->l.helo = f->helo;
		inbound(f, 0, AM_DMARC_NONE, AM_DMARC_POLICY_NONE);
		f->r.spf_mfrom = f->r.spf_helo = NULL;
		f->r.tls_policy = AM_TLS_POLICY_TAG;
		f->r.tls_policy_why = "TLS protocol TLSv1.2 is below the "
		    "required TLSv1.3";
		f->v.errors = AM_VERDICT_ERR_AUTHRES;
		break;
	case 8:	/* results longer than the line: cut, the outcome kept */
		f->v.mode = AM_MODE_OUTBOUND;
		f->r.sign = AM_SIGN_DONE;
		for (k = 0; k < 60; k++) {
			(void)snprintf(f->names[k], sizeof(f->names[k]),
			    "d%02zu.%.60s", k, "long-name-of-a-domain-that-"
			    "signs-outbound-mail-for-a-customer.example");
			f->out[k] = (struct am_results_sig){ "", f->names[k],
			    "sel" };
		}
		f->r.sigs = f->out;
		f->r.nsigs = 60;
		break;
	}
}

/* The line of each case, one per line, must match the golden file. */
START_TEST(test_golden)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct am_buf got;
	char *want;
	size_t i;
	FILE *fp;

	ck_assert_ptr_nonnull(f);
	am_buf_init(&got, 65536);
	for (i = 0; i < NLINES; i++) {
		line(i, f);
		am_logline_format(&f->l, &f->v.summary);
		ck_assert_uint_le(f->v.summary.len, 4096);
		ck_assert(am_buf_printf(&got, "%s\n", am_buf_str(&f->v.summary))
		    == AM_OK);
		am_verdict_release(&f->v);
	}
	if (getenv("AM_WRITE_GOLDEN") != NULL) {
		fp = fopen(GOLDEN, "w");
		ck_assert_ptr_nonnull(fp);
		fputs(am_buf_str(&got), fp);
		fclose(fp);
	}
	want = am_test_slurp(GOLDEN);
	ck_assert_msg(strcmp(am_buf_str(&got), want) == 0,
	    "got:\n%s\nwant:\n%s", am_buf_str(&got), want);
	free(want);
	am_buf_release(&got);
	free(f);
}
END_TEST

/* Over the cap the results are cut and marked; the outcome is whole. */
START_TEST(test_cut_keeps_outcome)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *s;

	ck_assert_ptr_nonnull(f);
	line(8, f);
	am_logline_format(&f->l, &f->v.summary);
	s = am_buf_str(&f->v.summary);
	ck_assert_uint_eq(f->v.summary.len, 4096);
	ck_assert_msg(strstr(s, "... action=accept elapsed=37ms") != NULL &&
	    strcmp(s + strlen(s) - 4, "37ms") == 0, "%s", s);
	am_verdict_release(&f->v);
	line(7, f);
	am_logline_format(&f->l, &f->v.summary);
	s = am_buf_str(&f->v.summary);
	ck_assert_msg(strstr(s, " helo=hhhh") && strstr(s, "hhh... mode="),
	    "%s", s);
	ck_assert_ptr_null(strstr(s, "hhhhh mode="));
	am_verdict_release(&f->v);
	free(f);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("logline");
	TCase *tc = tcase_create("logline");

	tcase_add_test(tc, test_golden);
	tcase_add_test(tc, test_cut_keeps_outcome);
	suite_add_tcase(s, tc);
	return am_test_run(s);
}
