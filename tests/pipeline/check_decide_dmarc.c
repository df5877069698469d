/*
 * check_decide_dmarc - the DMARC rows of the decision table
 * (decide_rows_dmarc.c: enforcement, the From actions, several authors, a
 * trusted ARC sealer, DMARCMailingListAction, ARCSeal), then what the rows
 * do not show: the override in our Authentication-Results, the ARC set the
 * sealer returns and the A-R value it is given, the notes of a seal that
 * was not made, and the log line's arc fields.
 */
#include "autoconf.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "pipeline/decide.h"
#include "pipeline/logline.h"
#include "testutil/testdecrow.h"
#include "testutil/testutil.h"

#define AR "Authentication-Results"

START_TEST(test_dmarc_rows)
{
	am_test_drow_run(&am_test_dmarc_rows[_i]);
}
END_TEST

/* find - the value v inserts under name, or NULL. */
static const char *
find(const struct am_verdict *v, const char *name)
{
	size_t i;

	for (i = 0; i < v->nins; i++)
		if (strcmp(v->ins[i].name, name) == 0)
			return v->ins[i].value;
	return NULL;
}

/* The override and its comment reach our A-R's dmarc entry. */
START_TEST(test_override_in_authres)
{
	static const struct am_test_rin arc = { AM_RESULTS_EOM,
	    .spf = SP_NONE, .helo = SP_NONE, .dmarc = { DM_REJECT },
	    .arc_pass = true };
	static const struct am_test_rin list = { AM_RESULTS_EOM,
	    .spf = SP_NONE, .helo = SP_NONE, .dmarc = { DM_REJECT },
	    .list = true, .broken_dkim = true };
	struct am_policy *p = am_test_policy_of(
	    "DMARCMailingListAction quarantine\nQuarantineAction header\n");
	struct am_test_fixture f;
	struct am_results r;
	struct am_verdict v;
	const char *ar;

	am_test_drow_build(&arc, &f, &r);
	am_verdict_init(&v);
	am_verdict_decide(p, &r, &v);
	ar = find(&v, AR);
	ck_assert_ptr_nonnull(ar);
	/* the comment is one piece of the folded value (authres.h) */
	ck_assert_msg(strstr(ar, "dmarc=fail") != NULL && strstr(ar,
	    "(p=reject sp=reject dis=none override=local_policy "
	    AM_TEST_ARC_NOTE ")") != NULL, "got [%s]", ar);
	ck_assert_ptr_nonnull(strstr(ar, "policy.dmarc=reject"));
	am_test_drow_build(&list, &f, &r);
	am_verdict_decide(p, &r, &v);
	ar = find(&v, AR);
	ck_assert_msg(ar != NULL && strstr(ar, "(p=reject sp=reject "
	    "dis=quarantine override=mailing_list mailing list: d=a.example: "
	    "body hash mismatch)") != NULL, "got [%s]", ar);
	ck_assert_str_eq(find(&v, "X-Quarantine"), "DMARC policy of a.example");
	am_verdict_release(&v);
	am_test_policy_release(p);
}
END_TEST

/* A sealer that keeps the A-R value it is given. */
struct capture {
	char authres[4096];
	int calls;
};

static enum am_status
capture_seal(void *arg, const char *authres, struct am_arc_seal_set *set,
    struct am_why *why)
{
	struct capture *c = arg;

	(void)why;
	c->calls++;
	ck_assert_uint_lt(strlen(authres), sizeof(c->authres));
	memcpy(c->authres, authres, strlen(authres) + 1);
	set->instance = 3;
	set->as = strdup("i=3; a=rsa-sha256; cv=pass");
	set->ams = strdup("i=3; a=rsa-sha256; c=relaxed/relaxed");
	set->aar = strdup("i=3; mx.test.example; arc=pass");
	return AM_OK;
}

/* The set goes on top in the order RFC 8617 §4.1 writes it, the AAR
 * records exactly the A-R we add, and the sealer runs once. */
START_TEST(test_seal_set_and_authres)
{
	static const struct am_test_rin in = { AM_RESULTS_EOM,
	    .spf = SP_PASS, .helo = SP_NONE, .dmarc = { DM_PASS } };
	struct am_policy *p = am_test_policy_of("ARCSeal yes\n");
	struct am_test_fixture f;
	struct capture c = { "", 0 };
	struct am_results r;
	struct am_verdict v;

	am_test_drow_build(&in, &f, &r);
	r.seal = capture_seal;
	r.seal_arg = &c;
	am_verdict_init(&v);
	am_verdict_decide(p, &r, &v);
	ck_assert_int_eq(c.calls, 1);
	ck_assert_uint_eq(v.arc_sealed, 3);
	ck_assert_str_eq(v.arc_seal_note, "");
	ck_assert_str_eq(v.ins[0].name, "ARC-Seal");
	ck_assert_str_eq(v.ins[0].value, "i=3; a=rsa-sha256; cv=pass");
	ck_assert_str_eq(v.ins[1].name, "ARC-Message-Signature");
	ck_assert_str_eq(v.ins[2].name, "ARC-Authentication-Results");
	ck_assert_str_eq(v.ins[3].name, AR);
	ck_assert_str_eq(c.authres, v.ins[3].value);
	am_verdict_release(&v);
	am_test_policy_release(p);
}
END_TEST

/* Why a message was not sealed is kept for the log line; a sealed one
 * says its instance there. */
START_TEST(test_seal_notes_and_logline)
{
	static const struct am_test_rin refuse = { AM_RESULTS_EOM,
	    .spf = SP_PASS, .helo = SP_NONE, .dmarc = { DM_PASS },
	    .seal = AM_TEST_SEAL_REFUSE };
	static const struct am_test_rin temp = { AM_RESULTS_EOM,
	    .spf = SP_PASS, .helo = SP_NONE, .dmarc = { DM_PASS },
	    .seal = AM_TEST_SEAL_OK, .arc_temperror = true };
	static const struct am_test_rin ok = { AM_RESULTS_EOM,
	    .spf = SP_PASS, .helo = SP_NONE, .dmarc = { DM_REJECT },
	    .seal = AM_TEST_SEAL_OK, .arc_pass = true };
	struct am_policy *p = am_test_policy_of("ARCSeal yes\n");
	struct am_tls_status tls;
	struct am_test_fixture f;
	struct am_results r;
	struct am_verdict v;
	struct am_logline l = { .client_name = "c", .client_ip = "192.0.2.1",
	    .helo = "c", .sender = "s@example.org", .tls = &tls,
	    .results = &r, .verdict = &v };

	memset(&tls, 0, sizeof(tls));
	am_verdict_init(&v);
	am_test_drow_build(&refuse, &f, &r);
	am_verdict_decide(p, &r, &v);
	ck_assert_uint_eq(v.arc_sealed, 0);
	ck_assert_str_eq(v.arc_seal_note, "chain ended");
	am_logline_format(&l, &v.summary);
	ck_assert_msg(strstr(am_buf_str(&v.summary), " arc-seal=no(chain "
	    "ended) ") != NULL, "got [%s]", am_buf_str(&v.summary));
	am_test_drow_build(&temp, &f, &r);
	am_verdict_decide(p, &r, &v);
	ck_assert_str_eq(v.arc_seal_note, "ARC validation temperror: "
	    "ARC-Seal i=1: timeout");
	am_logline_format(&l, &v.summary);
	ck_assert_msg(strstr(am_buf_str(&v.summary), " arc=fail ") != NULL,
	    "got [%s]", am_buf_str(&v.summary));
	am_test_drow_build(&ok, &f, &r);
	am_verdict_decide(p, &r, &v);
	ck_assert_uint_eq(v.arc_sealed, 2);
	am_logline_format(&l, &v.summary);
	ck_assert_msg(strstr(am_buf_str(&v.summary), " dmarc=fail(a.example "
	    "p=reject dis=none override=local_policy) arc-seal=i=2 ") != NULL,
	    "got [%s]", am_buf_str(&v.summary));
	am_verdict_release(&v);
	am_test_policy_release(p);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("decide_dmarc");
	TCase *tc = tcase_create("decide_dmarc");

	tcase_add_loop_test(tc, test_dmarc_rows, 0, (int)am_test_dmarc_nrows);
	tcase_add_test(tc, test_override_in_authres);
	tcase_add_test(tc, test_seal_set_and_authres);
	tcase_add_test(tc, test_seal_notes_and_logline);
	suite_add_tcase(s, tc);
	return am_test_run(s);
}
