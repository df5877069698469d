/*
 * check_tls_policy - RequireTLS rule parsing and evaluation.
 */
#include "autoconf.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

#include "tls/tls_policy.h"
#include "testutil/testutil.h"

static const struct {
	const char *value;
	const char *want_err;	/* substring of the error, NULL = valid */
	size_t want_rules;
} parse_cases[] = {
	{ "", NULL, 0 },
	{ " ; ;", NULL, 0 },
	{ "port=587", NULL, 1 },
	{ "port=587; from=.partner.example min=TLSv1.2 action=tempfail",
	    NULL, 2 },
	{ "client=192.0.2.0/24 client=2001:db8::/32 action=tag", NULL, 1 },
	{ "daemon=ORIGINATING action=reject", NULL, 1 },
	{ "min=TLSv1.2", "needs port=", 0 },
	{ "port=0", "bad port", 0 },
	{ "port=70000", "bad port", 0 },
	{ "port=25 action=drop", "bad action", 0 },
	{ "port=25 min=TLSv2", "unknown TLS version", 0 },
	{ "port=25 colour=blue", "unknown or repeated item", 0 },
	{ "port=25 from=a from=b", "unknown or repeated item", 0 },
	{ "port=25; port", "rule 2: \"port\" is not key=value", 0 },
	{ "client=10.0.0.1/8", "host bits", 0 },
};

START_TEST(parse_table)
{
	struct am_tls_policy *p;
	struct am_why why = { "" };

	p = am_tls_policy_parse(parse_cases[_i].value, &why);
	if (parse_cases[_i].want_err == NULL) {
		if (p == NULL)
			ck_abort_msg("%s: got error %s, want valid",
			    parse_cases[_i].value, why.text);
		ck_assert_uint_eq(am_tls_policy_count(p),
		    parse_cases[_i].want_rules);
	} else {
		if (p != NULL)
			ck_abort_msg("%s: got valid, want error %s",
			    parse_cases[_i].value, parse_cases[_i].want_err);
		if (strstr(why.text, parse_cases[_i].want_err) == NULL)
			ck_abort_msg("%s: got error %s, want %s",
			    parse_cases[_i].value, why.text,
			    parse_cases[_i].want_err);
	}
	am_tls_policy_free(p);
}
END_TEST

#define POLICY "port=587; from=.partner.example min=TLSv1.2 action=tempfail;" \
	" client=198.51.100.0/24 action=tag; daemon=ORIGINATING min=TLSv1.3"

static const struct {
	const char *name;
	int port;
	const char *daemon;
	enum am_tls_mode mode;
	const char *version;
	const char *sender;
	const char *client;
	const char *min_default;
	enum am_tls_policy_action want;
	const char *want_text;
} check_cases[] = {
	{ "plain-587", 587, "", AM_TLS_NONE, "", "a@b.example", "192.0.2.1",
	    NULL, AM_TLS_POLICY_REJECT, "Must issue a STARTTLS command first" },
	{ "starttls-587", 587, "", AM_TLS_STARTTLS, "TLSv1", "a@b.example",
	    "192.0.2.1", NULL, AM_TLS_POLICY_OK, "" },
	{ "starttls-587-min-default", 587, "", AM_TLS_STARTTLS, "TLSv1.1",
	    "a@b.example", "192.0.2.1", "TLSv1.2", AM_TLS_POLICY_REJECT,
	    "TLS protocol TLSv1.1 is below the required TLSv1.2" },
	{ "plain-25", 25, "", AM_TLS_NONE, "", "a@b.example", "192.0.2.1",
	    NULL, AM_TLS_POLICY_OK, "" },
	{ "partner-old-tls", 25, "", AM_TLS_STARTTLS, "TLSv1.1",
	    "x@mail.partner.example", "192.0.2.1", NULL,
	    AM_TLS_POLICY_TEMPFAIL,
	    "TLS protocol TLSv1.1 is below the required TLSv1.2" },
	{ "partner-exact-domain", 25, "", AM_TLS_NONE, "",
	    "x@partner.example", "192.0.2.1", NULL, AM_TLS_POLICY_TEMPFAIL,
	    "Must issue a STARTTLS command first" },
	{ "partner-lookalike", 25, "", AM_TLS_NONE, "",
	    "x@evilpartner.example", "192.0.2.1", NULL, AM_TLS_POLICY_OK, "" },
	{ "partner-good", 25, "", AM_TLS_STARTTLS, "TLSv1.3",
	    "x@partner.example", "192.0.2.1", NULL, AM_TLS_POLICY_OK, "" },
	{ "client-tag", 25, "", AM_TLS_NONE, "", "", "198.51.100.7", NULL,
	    AM_TLS_POLICY_TAG, "Must issue a STARTTLS command first" },
	{ "strictest-wins", 587, "", AM_TLS_NONE, "", "a@partner.example",
	    "198.51.100.7", NULL, AM_TLS_POLICY_REJECT,
	    "Must issue a STARTTLS command first" },
	{ "daemon-tls12", 25, "originating", AM_TLS_STARTTLS, "TLSv1.2", "",
	    "192.0.2.1", NULL, AM_TLS_POLICY_REJECT,
	    "TLS protocol TLSv1.2 is below the required TLSv1.3" },
	{ "null-sender", 25, "", AM_TLS_NONE, "", "", "192.0.2.1", NULL,
	    AM_TLS_POLICY_OK, "" },
};

START_TEST(check_table)
{
	struct am_tls_policy *p;
	struct am_tls_status st;
	struct am_tls_policy_input in;
	struct am_addr addr;
	struct am_why why = { "" };
	enum am_tls_policy_action got;

	p = am_tls_policy_parse(POLICY, &why);
	ck_assert_ptr_nonnull(p);
	memset(&st, 0, sizeof(st));
	st.port = check_cases[_i].port;
	st.mode = check_cases[_i].mode;
	snprintf(st.daemon, sizeof(st.daemon), "%s", check_cases[_i].daemon);
	snprintf(st.version, sizeof(st.version), "%s", check_cases[_i].version);
	ck_assert_int_eq(am_addr_parse(check_cases[_i].client, &addr), AM_OK);
	in.status = &st;
	in.sender = check_cases[_i].sender;
	in.client = &addr;
	in.min_default = check_cases[_i].min_default;
	got = am_tls_policy_check(p, &in, &why);
	if (got != check_cases[_i].want)
		ck_abort_msg("%s: got %s, want %s", check_cases[_i].name,
		    am_tls_policy_action_name(got),
		    am_tls_policy_action_name(check_cases[_i].want));
	if (got != AM_TLS_POLICY_OK &&
	    strcmp(why.text, check_cases[_i].want_text) != 0)
		ck_abort_msg("%s: got text %s, want %s", check_cases[_i].name,
		    why.text, check_cases[_i].want_text);
	am_tls_policy_free(p);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("tls_policy");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, parse_table, 0,
	    sizeof(parse_cases) / sizeof(parse_cases[0]));
	tcase_add_loop_test(tc, check_table, 0,
	    sizeof(check_cases) / sizeof(check_cases[0]));
	suite_add_tcase(s, tc);
	return am_test_run(s);
}
