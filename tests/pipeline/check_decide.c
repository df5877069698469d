/*
 * check_decide - the decision table of lib/pipeline/decide.c: (results,
 * configuration) -> (mode, disposition, reply, quarantine reason, header
 * plan, the DMARC result applied, internal errors), one row per configured
 * reaction (tests/testutil/testdecrow.h; the DMARC rows are in
 * decide_rows_dmarc.c and run by check_decide_dmarc).
 * test_every_action_key_covered fails when an action-type key of
 * lib/config/config_keys.def (types ACTION and QUARANTINE), or one of the
 * other keys the decision reads, has a value no row of either table sets.
 * Then the shape of the plan (deletions first, insertions at index 0
 * bottom-up, the leading space of SMFIP_HDR_LEADSPC, the reply's '%'
 * doubled) and the policy (SigningDaemons, a configuration no decision can
 * honour).
 */
#include "autoconf.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/buf.h"
#include "config/config.h"
#include "pipeline/decide.h"
#include "testutil/testdecrow.h"
#include "testutil/testutil.h"

#define ID AM_TEST_DROW_ID
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define AR "Authentication-Results"
#define STARTTLS "Must issue a STARTTLS command first"
#define LOCAL "authmilter: temporary local problem, try again later"
/* the insertions of an inbound message, as executed (bottom-most first) */
#define INS_IN "+Received-TLS +Received-SPF +" AR

static const struct am_test_drow cases[] = {
	/* ------------------------------------------------ MAIL FROM */
	{ "mail: no rule violated", "",
	  { AM_RESULTS_MAIL },
	  { AM_MODE_INBOUND, AM_DISP_ACCEPT, "", "", "", "", 0 } },
	{ "mail: RequireTLS reject", "RequireTLS port=25\n",
	  { AM_RESULTS_MAIL, .tls = AM_TLS_POLICY_REJECT },
	  { AM_MODE_INBOUND, AM_DISP_REJECT, "530 5.7.0 " STARTTLS, "", "",
	    "", 0 } },
	{ "mail: RequireTLS tempfail", "RequireTLS port=25 action=tempfail\n",
	  { AM_RESULTS_MAIL, .tls = AM_TLS_POLICY_TEMPFAIL },
	  { AM_MODE_INBOUND, AM_DISP_TEMPFAIL, "450 4.7.0 " STARTTLS, "", "",
	    "", 0 } },
	{ "mail: RequireTLS tag accepts", "RequireTLS port=25 action=tag\n",
	  { AM_RESULTS_MAIL, .tls = AM_TLS_POLICY_TAG },
	  { AM_MODE_INBOUND, AM_DISP_ACCEPT, "", "", "", "", 0 } },
	{ "mail: SMTP AUTH is outbound", "",
	  { AM_RESULTS_MAIL, .auth = "alice" },
	  { AM_MODE_OUTBOUND, AM_DISP_ACCEPT, "", "", "", "", 0 } },
	{ "mail: a SigningDaemons daemon, any case, is outbound",
	  "SigningDaemons ORIGINATING, sub\n",
	  { AM_RESULTS_MAIL, .daemon = "originating" },
	  { AM_MODE_OUTBOUND, AM_DISP_ACCEPT, "", "", "", "", 0 } },
	{ "mail: a daemon not listed is inbound",
	  "SigningDaemons ORIGINATING, sub\n",
	  { AM_RESULTS_MAIL, .daemon = "ORIG" },
	  { AM_MODE_INBOUND, AM_DISP_ACCEPT, "", "", "", "", 0 } },
	{ "mail: an InternalHosts client is outbound", "",
	  { AM_RESULTS_MAIL, .client = "10.1.2.3" },
	  { AM_MODE_OUTBOUND, AM_DISP_ACCEPT, "", "", "", "", 0 } },
	/* ------------------------------------------- inbound: SPF */
	{ "eom: nothing to act on", "AddReceivedSPF yes\n",
	  { AM_RESULTS_EOM, .spf = SP_NONE, .helo = SP_NONE,
	    .dmarc = { DM_NONE } },
	  { AM_MODE_INBOUND, AM_DISP_ACCEPT, "", "", INS_IN,
	    "none a.example dis=none", 0 } },
	{ "SPFFailAction reject: the domain's explanation",
	  "SPFFailAction reject\n",
	  { AM_RESULTS_EOM, .spf = SP_FAIL, .helo = SP_NONE,
	    .exp = "See http://example.org/why", .dmarc = { DM_NONE } },
	  { AM_MODE_INBOUND, AM_DISP_REJECT,
	    "550 5.7.23 See http://example.org/why", "", "",
	    "none a.example dis=none", 0 } },
	{ "SPFFailAction reject: no explanation", "SPFFailAction reject\n",
	  { AM_RESULTS_EOM, .spf = SP_FAIL, .helo = SP_NONE,
	    .dmarc = { DM_NONE } },
	  { AM_MODE_INBOUND, AM_DISP_REJECT, "550 5.7.23 SPF: this host is "
	    "not allowed to send mail for example.org", "", "",
	    "none a.example dis=none", 0 } },
	{ "SPFFailAction tempfail", "SPFFailAction tempfail\n",
	  { AM_RESULTS_EOM, .spf = SP_FAIL, .helo = SP_NONE,
	    .dmarc = { DM_NONE } },
	  { AM_MODE_INBOUND, AM_DISP_TEMPFAIL, "451 4.7.23 SPF: this host "
	    "is not allowed to send mail for example.org", "", "",
	    "none a.example dis=none", 0 } },
	{ "SPFFailAction accept: DMARC decides", "SPFFailAction accept\n",
	  { AM_RESULTS_EOM, .spf = SP_FAIL, .helo = SP_FAIL,
	    .dmarc = { DM_NONE } },
	  { AM_MODE_INBOUND, AM_DISP_ACCEPT, "", "", INS_IN,
	    "none a.example dis=none", 0 } },
	{ "SPFFailAction reject: a HELO fail counts too",
	  "SPFFailAction reject\n",
	  { AM_RESULTS_EOM, .spf = SP_PASS, .helo = SP_FAIL,
	    .dmarc = { DM_PASS } },
	  { AM_MODE_INBOUND, AM_DISP_REJECT, "550 5.7.23 SPF: this host is "
	    "not allowed to send mail for client.example", "", "",
	    "pass a.example dis=none", 0 } },
	{ "SPFTempErrorAction tempfail", "SPFTempErrorAction tempfail\n",
	  { AM_RESULTS_EOM, .spf = SP_TEMPERROR, .helo = SP_NONE,
	    .dmarc = { DM_NONE } },
	  { AM_MODE_INBOUND, AM_DISP_TEMPFAIL, "451 4.7.24 SPF: temporary "
	    "DNS error, try again later", "", "", "none a.example dis=none",
	    0 } },
	{ "SPFTempErrorAction accept", "SPFTempErrorAction accept\n",
	  { AM_RESULTS_EOM, .spf = SP_TEMPERROR, .helo = SP_NONE,
	    .dmarc = { DM_NONE } },
	  { AM_MODE_INBOUND, AM_DISP_ACCEPT, "", "", INS_IN,
	    "none a.example dis=none", 0 } },
	/* ---------------------------------------------- the headers */
	{ "AddReceivedSPF no", "AddReceivedSPF no\n",
	  { AM_RESULTS_EOM, .spf = SP_PASS, .helo = SP_NONE,
	    .dmarc = { DM_PASS } },
	  { AM_MODE_INBOUND, AM_DISP_ACCEPT, "", "", "+Received-TLS +" AR,
	    "pass a.example dis=none", 0 } },
	{ "TLSHeader none", "TLSHeader none\n",
	  { AM_RESULTS_EOM, .spf = SP_PASS, .helo = SP_NONE,
	    .dmarc = { DM_PASS } },
	  { AM_MODE_INBOUND, AM_DISP_ACCEPT, "", "", "+Received-SPF +" AR,
	    "pass a.example dis=none", 0 } },
	{ "TLSHeader renamed", "TLSHeader X-TLS\n",
	  { AM_RESULTS_EOM, .auth = "alice" },
	  { AM_MODE_OUTBOUND, AM_DISP_ACCEPT, "", "", "+X-TLS", "", 0 } },
	{ "forged headers: deleted highest first, before insertions", "",
	  { AM_RESULTS_EOM, .spf = SP_NONE, .helo = SP_NONE,
	    .dmarc = { DM_NONE }, .has_forged = true },
	  { AM_MODE_INBOUND, AM_DISP_ACCEPT, "", "", "-" AR "#4 -" AR "#2 "
	    "-Received-TLS#1 " INS_IN, "none a.example dis=none", 0 } },
	{ "forged headers: nothing is changed in a rejected message",
	  "MultipleFromAction reject\n",
	  { AM_RESULTS_EOM, .dmarc = { DM_MULTIPLE }, .has_forged = true },
	  { AM_MODE_INBOUND, AM_DISP_REJECT, "550 5.7.1 multiple From "
	    "headers", "", "", "permerror a.example dis=none", 0 } },
	/* ----------------------------------------- internal errors */
	{ "OnInternalError tempfail: A-R and TLS header past their caps",
	  "OnInternalError tempfail\n",
	  { AM_RESULTS_EOM, .spf = SP_NONE, .helo = SP_NONE,
	    .dmarc = { DM_NONE }, .is_long_id = true },
	  { AM_MODE_INBOUND, AM_DISP_TEMPFAIL, "451 4.3.0 " LOCAL, "", "",
	    "none a.example dis=none",
	    AM_VERDICT_ERR_AUTHRES | AM_VERDICT_ERR_TLS_HEADER } },
	{ "OnInternalError accept: the message goes on without them",
	  "OnInternalError accept\n",
	  { AM_RESULTS_EOM, .spf = SP_NONE, .helo = SP_NONE,
	    .dmarc = { DM_NONE }, .is_long_id = true },
	  { AM_MODE_INBOUND, AM_DISP_ACCEPT, "", "", "+Received-SPF",
	    "none a.example dis=none",
	    AM_VERDICT_ERR_AUTHRES | AM_VERDICT_ERR_TLS_HEADER } },
	{ "OnInternalError tempfail overrides a DMARC reject", "",
	  { AM_RESULTS_EOM, .spf = SP_NONE, .helo = SP_NONE,
	    .dmarc = { DM_REJECT }, .is_long_id = true },
	  { AM_MODE_INBOUND, AM_DISP_TEMPFAIL, "451 4.3.0 " LOCAL, "", "",
	    "fail a.example dis=reject",
	    AM_VERDICT_ERR_AUTHRES | AM_VERDICT_ERR_TLS_HEADER } },
	/* ------------------------------------------------ outbound */
	{ "outbound: two signatures in key order, no A-R", "",
	  { AM_RESULTS_EOM, .auth = "alice", .sign = AM_SIGN_DONE },
	  { AM_MODE_OUTBOUND, AM_DISP_ACCEPT, "", "",
	    "+Received-TLS +DKIM-Signature +DKIM-Signature", "", 0 } },
	{ "outbound: nothing to sign", "",
	  { AM_RESULTS_EOM, .auth = "alice", .sign = AM_SIGN_NOTHING },
	  { AM_MODE_OUTBOUND, AM_DISP_ACCEPT, "", "", "+Received-TLS", "",
	    0 } },
	{ "outbound: the signer failed, OnInternalError tempfail",
	  "OnInternalError tempfail\n",
	  { AM_RESULTS_EOM, .client = "10.0.0.1", .sign = AM_SIGN_FAILED },
	  { AM_MODE_OUTBOUND, AM_DISP_TEMPFAIL, "451 4.3.0 " LOCAL, "", "",
	    "", AM_VERDICT_ERR_SIGN } },
	{ "outbound: the signer failed, OnInternalError accept",
	  "OnInternalError accept\n",
	  { AM_RESULTS_EOM, .client = "10.0.0.1", .sign = AM_SIGN_FAILED },
	  { AM_MODE_OUTBOUND, AM_DISP_ACCEPT, "", "", "+Received-TLS", "",
	    AM_VERDICT_ERR_SIGN } },
};

/* Keys the decision reads that are not of an action type, and the values
 * a row must set (test_every_action_key_covered). */
static const struct {
	const char *key;
	const char *value;
} other_keys[] = {
	{ "DMARCEnforce", "yes" }, { "DMARCEnforce", "no" },
	{ "AddReceivedSPF", "yes" }, { "AddReceivedSPF", "no" },
	{ "TLSHeader", "none" }, { "SigningDaemons", "ORIGINATING, sub" },
	{ "QuarantineHeader", "X-Held" }, { "ARCSeal", "yes" },
	{ "ARCSeal", "no" },
};

/* Every key of the table, for the coverage test. */
static const struct {
	const char *name;
	const char *type;
	long min, max;
} keys[] = {
#define AM_KEY(name, type, def, min, max, field, doc) \
	{ #name, #type, (long)(min), (long)(max) },
#include "config/config_keys.def"
#undef AM_KEY
};

/* --------------------------------------------------------- tests */

START_TEST(test_decide)
{
	am_test_drow_run(&cases[_i]);
}
END_TEST

/* is_covered - a row of either table sets key to value. */
static bool
is_covered(const char *key, const char *value)
{
	return am_test_drow_sets(cases, NELEM(cases), key, value) ||
	    am_test_drow_sets(am_test_dmarc_rows, am_test_dmarc_nrows, key,
	    value);
}

/* Every action-type key, every value it allows, in some row; the same for
 * the RequireTLS actions and the other keys the decision reads. */
START_TEST(test_every_action_key_covered)
{
	static const char *const quarantine_words[] = { "hold", "header" };
	size_t i, j, n = 0;
	long a;

	for (i = 0; i < NELEM(keys); i++) {
		if (strcmp(keys[i].type, "ACTION") == 0) {
			for (a = keys[i].min; a <= keys[i].max; a++, n++)
				ck_assert_msg(is_covered(keys[i].name,
				    am_action_name((enum am_action)a)),
				    "no row sets %s %s", keys[i].name,
				    am_action_name((enum am_action)a));
		} else if (strcmp(keys[i].type, "QUARANTINE") == 0) {
			for (j = 0; j < NELEM(quarantine_words); j++, n++)
				ck_assert_msg(is_covered(keys[i].name,
				    quarantine_words[j]), "no row sets %s %s",
				    keys[i].name, quarantine_words[j]);
		}
	}
	ck_assert_uint_ge(n, 21);	/* 7 ACTION keys (19 values) and the
					 * 2 of QuarantineAction, today */
	for (i = 0; i < NELEM(other_keys); i++)
		ck_assert_msg(is_covered(other_keys[i].key,
		    other_keys[i].value), "no row sets %s %s",
		    other_keys[i].key, other_keys[i].value);
	for (a = AM_TLS_POLICY_OK; a <= AM_TLS_POLICY_REJECT; a++) {
		for (i = 0; i < NELEM(cases); i++)
			if (cases[i].in.stage == AM_RESULTS_MAIL &&
			    cases[i].in.tls == (enum am_tls_policy_action)a)
				break;
		ck_assert_msg(i < NELEM(cases), "no row has RequireTLS %s",
		    am_tls_policy_action_name((enum am_tls_policy_action)a));
	}
}
END_TEST

/* The plan as the adapter executes it: deletions, then insertions at 0
 * bottom-most first, values with the leading space when negotiated; the
 * top-to-bottom list (authmilterctl check prints it) keeps no space. */
START_TEST(test_plan_shape)
{
	static const struct am_test_rin in = { AM_RESULTS_EOM, .auth = "alice",
	    .sign = AM_SIGN_DONE, .has_forged = true,
	    .tls = AM_TLS_POLICY_TAG };
	struct am_policy *p = am_test_policy_of("");
	struct am_test_fixture f;
	struct am_results r;
	struct am_verdict v;
	int leadspc;

	for (leadspc = 0; leadspc < 2; leadspc++) {
		am_test_drow_build(&in, &f, &r);
		r.has_leadspc = leadspc;
		am_verdict_init(&v);
		am_verdict_decide(p, &r, &v);
		ck_assert_uint_eq(v.nops, 6);
		ck_assert_str_eq(v.ins[0].value, "v=1; d=a.example; s=rsa");
		ck_assert_str_eq(v.ins[1].value, "v=1; d=a.example; s=ed");
		ck_assert_str_eq(v.ins[2].value,
		    "none receiver=" ID " policy=fail");
		ck_assert_uint_eq(v.ops[3].n, 0);
		ck_assert_str_eq(v.ops[3].value, leadspc ?
		    " none receiver=" ID " policy=fail" :
		    "none receiver=" ID " policy=fail");
		ck_assert_str_eq(v.ops[4].value, leadspc ?
		    " v=1; d=a.example; s=ed" : "v=1; d=a.example; s=ed");
		ck_assert_str_eq(v.ops[5].value, leadspc ?
		    " v=1; d=a.example; s=rsa" : "v=1; d=a.example; s=rsa");
		ck_assert_ptr_null(v.ops[0].value);
		ck_assert_ptr_null(v.smtp_text);
		am_verdict_release(&v);
	}
	am_test_policy_release(p);
}
END_TEST

/* A reply with '%' reaches smfi_setreply doubled; one verdict used at MAIL
 * FROM and again at end of message is replaced, not added to. */
START_TEST(test_reply_and_reuse)
{
	static const struct am_test_rin mail = { AM_RESULTS_MAIL };
	static const struct am_test_rin eom = { AM_RESULTS_EOM, .spf = SP_FAIL,
	    .helo = SP_NONE, .exp = "100% forged", .dmarc = { DM_NONE },
	    .has_forged = true };
	struct am_policy *p = am_test_policy_of("SPFFailAction reject\n");
	struct am_test_fixture f;
	struct am_results r;
	struct am_verdict v;

	am_verdict_init(&v);
	am_test_drow_build(&mail, &f, &r);
	am_verdict_decide(p, &r, &v);
	ck_assert_int_eq(v.disp, AM_DISP_ACCEPT);
	am_test_drow_build(&eom, &f, &r);
	am_verdict_decide(p, &r, &v);
	ck_assert_int_eq(v.disp, AM_DISP_REJECT);
	ck_assert_str_eq(v.reply, "100% forged");
	ck_assert_str_eq(v.smtp_text, "100%% forged");
	ck_assert_uint_eq(v.ndel, 3);
	ck_assert_uint_eq(v.nins, 3);	/* recorded, not planned */
	ck_assert_uint_eq(v.nops, 0);
	am_verdict_decide(p, &r, &v);
	ck_assert_uint_eq(v.ndel, 3);
	am_verdict_release(&v);
	am_test_policy_release(p);
}
END_TEST

/* SigningDaemons matching (moved from the signer). */
START_TEST(test_signing_daemons)
{
	struct am_policy *p = am_test_policy_of("SigningDaemons ORIGINATING, sub\n");

	ck_assert(am_policy_is_signing_daemon(p, "originating"));
	ck_assert(am_policy_is_signing_daemon(p, "SUB"));
	ck_assert(!am_policy_is_signing_daemon(p, "ORIG"));
	ck_assert(!am_policy_is_signing_daemon(p, ""));
	ck_assert(!am_policy_is_signing_daemon(p, NULL));
	ck_assert_uint_eq(p->nsigning_daemons, 2);
	am_test_policy_release(p);
}
END_TEST

/* QuarantineAction header without a header name cannot be honoured. */
START_TEST(test_policy_refused)
{
	struct am_config *c = am_config_defaults();
	struct am_why why;

	c->quarantine_action = AM_QUARANTINE_HEADER;
	free(c->quarantine_header);
	c->quarantine_header = strdup("none");
	ck_assert_ptr_null(am_policy_new(c, &why));
	ck_assert_str_eq(why.text, "QuarantineAction header needs a "
	    "QuarantineHeader");
	am_config_unref(c);
}
END_TEST

START_TEST(test_null_args)
{
	am_verdict_decide(NULL, NULL, NULL);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("decide");
	TCase *tc = tcase_create("decide");

	tcase_add_loop_test(tc, test_decide, 0, (int)NELEM(cases));
	tcase_add_test(tc, test_every_action_key_covered);
	tcase_add_test(tc, test_plan_shape);
	tcase_add_test(tc, test_reply_and_reuse);
	tcase_add_test(tc, test_signing_daemons);
	tcase_add_test(tc, test_policy_refused);
	if (am_test_can_fork())
		tcase_add_test_raise_signal(tc, test_null_args, SIGABRT);
	suite_add_tcase(s, tc);
	return am_test_run(s);
}
