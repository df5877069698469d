/*
 * check_dmarc_local - what lib/dmarc records for local policy to use on a
 * failing message, never applying it (dmarc.h): has_arc_pass from the
 * recorded results of the ARC set a trusted sealer vouches for (an aligned
 * dkim=pass by header.d or header.i, spf=pass by smtp.mailfrom, relaxed or
 * strict as the record says; a dmarc=pass for exactly the author domain;
 * anything else, or a passing message, records nothing), has_broken_dkim
 * (an aligned signature that failed), and the ruf= URIs kept for failure
 * reports.
 */
#include "autoconf.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "dmarc/dmarc.h"
#include "msg/authres.h"
#include "testutil/testrr.h"
#include "testutil/testutil.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const char *const rrs[] = {
	"_dmarc.example.org. 300 IN TXT \"v=DMARC1; p=reject\"",
	"_dmarc.strict.example. 300 IN TXT \"v=DMARC1; p=reject; adkim=s; "
	    "aspf=s\"",
	"_dmarc.ruf.example. 300 IN TXT \"v=DMARC1; p=none; fo=1:d; "
	    "rua=mailto:a@ruf.example; ruf=mailto:f@ruf.example!10m, "
	    "mailto:g@other.example\"",
	NULL,
};

/* eval - DMARC for From: a@<author> with the ARC set recording aar (NULL:
 * no set) and one DKIM signature d= (NULL: unsigned) with result dk. */
static void
eval(const char *author, const char *aar, const char *dkim_d,
    enum am_dkim_result dk, struct am_dmarc_result *out)
{
	struct am_config *cfg = am_config_defaults();
	struct am_dns *dns = am_test_dns_local(rrs, NULL);
	struct am_arc_sealer set;
	struct am_dkim_sig sig;
	struct am_dkim_results dkim = { 0, &sig };
	struct am_dmarc_input in = { 0 };
	struct am_dmarc_results res;
	struct am_dmarc *dm;
	struct am_why why;
	struct am_str from;
	char fromv[300];

	dm = am_dmarc_new(dns, cfg, &why);
	ck_assert_msg(dm != NULL, "%s", why.text);
	(void)snprintf(fromv, sizeof(fromv), " a@%s", author);
	from.p = fromv;
	from.len = strlen(fromv);
	in.from = &from;
	in.nfrom = 1;
	memset(&sig, 0, sizeof(sig));
	if (dkim_d != NULL) {
		sig.domain = (char *)dkim_d;
		sig.selector = (char *)"s";
		sig.result = dk;
		sig.reason = (char *)(dk == AM_DKIM_FAIL ?
		    "body hash mismatch" : "");
		dkim.count = 1;
	}
	in.dkim = &dkim;
	in.deadline_ms = am_dns_deadline(5000);
	in.sample_draw = 0;
	memset(&set, 0, sizeof(set));
	if (aar != NULL) {
		set.instance = 1;
		set.as_domain = (char *)"lists.example";
		set.as_selector = (char *)"arc";
		ck_assert_int_eq(am_authres_parse(aar, strlen(aar), &set.aar,
		    NULL), AM_OK);
		in.arc = &set;
	}
	am_dmarc_evaluate(dm, &in, &res);
	*out = res.author[0];
	am_dmarc_results_release(&res);
	am_authres_parsed_free(set.aar);
	am_dmarc_free(dm);
	am_dns_free(dns);
	am_config_unref(cfg);
}

START_TEST(test_arc_pass)
{
	static const struct {
		const char *author;
		const char *aar;
		const char *note;	/* "": has_arc_pass false */
	} cases[] = {
		{ "example.org", "lists.example; dkim=pass header.d=example.org",
		  "arc=pass as.d=lists.example as.s=arc i=1 dkim=pass "
		  "header.d=example.org" },
		{ "example.org", "l; dkim=pass header.d=mail.example.org",
		  "arc=pass as.d=lists.example as.s=arc i=1 dkim=pass "
		  "header.d=mail.example.org" },
		{ "example.org", "l; dkim=pass header.i=@news.example.org",
		  "arc=pass as.d=lists.example as.s=arc i=1 dkim=pass "
		  "header.i=@news.example.org" },
		{ "example.org", "l; spf=fail smtp.mailfrom=a@example.org; "
		  "spf=pass smtp.mailfrom=b@bounce.example.org",
		  "arc=pass as.d=lists.example as.s=arc i=1 spf=pass "
		  "smtp.mailfrom=b@bounce.example.org" },
		{ "example.org", "l; dmarc=pass header.from=EXAMPLE.org",
		  "arc=pass as.d=lists.example as.s=arc i=1 dmarc=pass "
		  "header.from=EXAMPLE.org" },
		{ "example.org", "l; dkim=pass header.d=other.example; "
		  "spf=pass smtp.mailfrom=x@other.example; dmarc=pass "
		  "header.from=other.example", "" },
		{ "example.org", "l; dkim=fail header.d=example.org; "
		  "dmarc=fail header.from=example.org", "" },
		{ "example.org", "l; dmarc=pass header.from=sub.example.org",
		  "" },
		{ "example.org", "l; dkim=pass", "" },
		{ "example.org", "l; none", "" },
		{ "strict.example", "l; dkim=pass header.d=a.strict.example; "
		  "spf=pass smtp.mailfrom=x@a.strict.example", "" },
		{ "strict.example", "l; dkim=pass header.d=strict.example",
		  "arc=pass as.d=lists.example as.s=arc i=1 dkim=pass "
		  "header.d=strict.example" },
	};
	struct am_dmarc_result r;
	size_t i;

	for (i = 0; i < NELEM(cases); i++) {
		eval(cases[i].author, cases[i].aar, NULL, AM_DKIM_NONE, &r);
		ck_assert_int_eq(r.result, AM_DMARC_FAIL);
		ck_assert_msg(r.has_arc_pass == (cases[i].note[0] != '\0') &&
		    strcmp(r.arc_note, cases[i].note) == 0, "[%s]: got %d "
		    "\"%s\", want \"%s\"", cases[i].aar, r.has_arc_pass,
		    r.arc_note, cases[i].note);
		/* recorded, never applied here */
		ck_assert_int_eq(r.disposition, AM_DMARC_POLICY_REJECT);
		ck_assert_int_eq(r.override, AM_DMARC_OVERRIDE_NONE);
		ck_assert_str_eq(r.override_comment, "");
	}
	/* a passing message records nothing */
	eval("example.org", "l; dkim=pass header.d=example.org",
	    "example.org", AM_DKIM_PASS, &r);
	ck_assert_int_eq(r.result, AM_DMARC_PASS);
	ck_assert(!r.has_arc_pass);
}
END_TEST

START_TEST(test_broken_dkim)
{
	static const struct {
		const char *d;
		enum am_dkim_result dk;
		const char *want;	/* "": none */
	} cases[] = {
		{ "example.org", AM_DKIM_FAIL, "d=example.org: body hash "
		  "mismatch" },
		{ "lists.example.org", AM_DKIM_FAIL, "d=lists.example.org: "
		  "body hash mismatch" },
		{ "other.example", AM_DKIM_FAIL, "" },
		{ "example.org", AM_DKIM_PERMERROR, "" },
		{ "example.org", AM_DKIM_TEMPERROR, "" },
		{ NULL, AM_DKIM_NONE, "" },
	};
	struct am_dmarc_result r;
	size_t i;

	for (i = 0; i < NELEM(cases); i++) {
		eval("example.org", NULL, cases[i].d, cases[i].dk, &r);
		ck_assert_msg(r.has_broken_dkim == (cases[i].want[0] != '\0') &&
		    strcmp(r.broken_dkim, cases[i].want) == 0, "d=%s: got %d "
		    "\"%s\", want \"%s\"", cases[i].d, r.has_broken_dkim,
		    r.broken_dkim, cases[i].want);
	}
}
END_TEST

START_TEST(test_ruf_kept)
{
	struct am_dmarc_result r;

	eval("ruf.example", NULL, NULL, AM_DKIM_NONE, &r);
	ck_assert(r.has_record);
	ck_assert_str_eq(r.rec.fo, "1:d");
	ck_assert_uint_eq(r.rec.nruf, 2);
	ck_assert_str_eq(r.rec.ruf[0], "mailto:f@ruf.example");
	ck_assert_str_eq(r.rec.ruf[1], "mailto:g@other.example");
	ck_assert_uint_eq(r.rec.nrua, 1);
	eval("example.org", NULL, NULL, AM_DKIM_NONE, &r);
	ck_assert_uint_eq(r.rec.nruf, 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("dmarc_local");
	TCase *tc = tcase_create("dmarc_local");

	tcase_add_test(tc, test_arc_pass);
	tcase_add_test(tc, test_broken_dkim);
	tcase_add_test(tc, test_ruf_kept);
	suite_add_tcase(s, tc);
	return am_test_run(s);
}
