/*
 * check_dmarc.c - DMARC evaluation over local DNS data: every DMARC line of
 * PITFALLS.md "From header and DMARC" as a named case asserting the correct
 * result (not libopendmarc's), record validation, policy selection (p, sp,
 * np, PSD), overrides, A-R golden strings, and what the decision
 * (lib/pipeline/decide.c) makes of the results: the strictest author
 * domain, DMARCEnforce, the action and its reply.
 *
 * A forged "Authentication-Results: ...; spf=pass" or "dkim=pass" header
 * cannot matter by construction: struct am_dmarc_input has no way to carry
 * any header but From; SPF and DKIM results come only from our own
 * evaluators (test_forged_ar_irrelevant shows a From that mentions them).
 */
#include "autoconf.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "msg/authres.h"
#include "core/buf.h"
#include "config/config.h"
#include "dmarc/dmarc.h"
#include "dns/dns.h"
#include "core/netaddr.h"
#include "core/xalloc.h"
#include "pipeline/policy.h"
#include "testutil/testdecide.h"
#include "testutil/testdns.h"
#include "testutil/testrr.h"
#include "testutil/testutil.h"

#define PSL_FILE AM_TOP_SRCDIR "/tests/conformance/psl/public_suffix_list.dat"
#define GOLDEN AM_TOP_SRCDIR "/tests/data/dmarc/authres.golden"

static const char *const rrs[] = {
	"_dmarc.example.com. 300 IN TXT \"v=DMARC1; p=reject; sp=none\"",
	"_dmarc.strict.example. 300 IN TXT \"v=DMARC1; p=reject; adkim=s; "
	    "aspf=s\"",
	"_dmarc.rel.example. 300 IN TXT \"v=DMARC1; p=reject\"",
	"_dmarc.nov.example. 300 IN TXT \"p=reject\"",
	"_dmarc.pr.example. 300 IN TXT \"v=DMARC1; p=r\"",
	"_dmarc.prrua.example. 300 IN TXT \"v=DMARC1; p=r; "
	    "rua=mailto:d@prrua.example\"",
	"_dmarc.pctabc.example. 300 IN TXT \"v=DMARC1; p=reject; pct=abc\"",
	"_dmarc.pct.example. 300 IN TXT \"v=DMARC1; p=reject; pct=50\"",
	"_dmarc.iodef.example. 300 IN TXT \"v=DMARC1; p=reject; rf=iodef\"",
	"_dmarc.org.example. 300 IN TXT \"v=DMARC1; p=none; sp=reject; "
	    "np=quarantine; rua=mailto:a@org.example!10m, "
	    "mailto:b@rep.example; fo=1\"",
	"exists.org.example. 300 IN A 192.0.2.1",
	"_dmarc.twice.example. 300 IN TXT \"v=DMARC1; p=reject\"",
	"_dmarc.twice.example. 300 IN TXT \"v=DMARC1; p=none\"",
	"_dmarc.dup.example. 300 IN TXT \"v=DMARC1; p=none; p=reject\"",
	"_dmarc.test.example. 300 IN TXT \"v=DMARC1; p=reject; t=y\"",
	"_dmarc.quar.example. 300 IN TXT \"v=DMARC1; p=quarantine\"",
	"_dmarc.psd.test. 300 IN TXT \"v=DMARC1; p=reject; psd=y\"",
	"_dmarc.co.uk. 300 IN TXT \"v=DMARC1; p=reject; psd=y\"",
	"_dmarc.shop.co.uk. 300 IN TXT \"v=DMARC1; p=none; sp=quarantine\"",
	NULL,
};

static struct am_dns *dns;	/* per test */
static struct am_config *cfg;	/* per test: defaults, adjusted */
static struct am_dmarc *dm;	/* per test */

static void
setup(void)
{
	struct am_why why;

	cfg = am_config_defaults();
	dns = am_test_dns_local(rrs, "refused.example");
	dm = am_dmarc_new(dns, cfg, &why);
	ck_assert_msg(dm != NULL, "am_dmarc_new: %s", why.text);
}

static void
teardown(void)
{
	dm = am_dmarc_free(dm);
	dns = am_dns_free(dns);
	cfg = am_config_unref(cfg);
}

/* renew - rebuild dm after a configuration change. */
static void
renew(void)
{
	struct am_why why;

	dm = am_dmarc_free(dm);
	dm = am_dmarc_new(dns, cfg, &why);
	ck_assert_msg(dm != NULL, "am_dmarc_new: %s", why.text);
}

/* set_str - replace a string field of cfg. */
static void
set_str(char **field, const char *val)
{
	free(*field);
	*field = am_xstrdup(val);
}

/* One message: From header(s), one SPF result, up to two signatures. */
struct msg {
	const char *from[3];	/* From values; NULL-terminated */
	const char *spf_domain;	/* NULL: SPF not checked */
	enum am_spf_res spf;
	const char *dkim_d[2];	/* d= of passing/failing signatures */
	enum am_dkim_result dkim[2];
	int draw;		/* pct draw, -1 random */
	const char *client;	/* NULL: unknown */
};

/* run - evaluate m into res (the result applied) and dec. */
static void
run(const struct msg *m, struct am_dmarc_result *res,
    struct am_test_dmarc_dec *dec)
{
	struct am_dmarc_results all;
	struct am_str from[3];
	struct am_spf_result spf;
	struct am_dkim_sig sigs[2];
	struct am_dkim_results dk = { 0, sigs };
	struct am_addr client;
	struct am_dmarc_input in = { 0 };
	size_t i;

	for (i = 0; m->from[i] != NULL; i++) {
		from[i].p = m->from[i];
		from[i].len = strlen(m->from[i]);
	}
	in.from = from;
	in.nfrom = i;
	memset(&spf, 0, sizeof(spf));
	if (m->spf_domain != NULL) {
		spf.is_checked = true;
		spf.result = m->spf;
		(void)snprintf(spf.domain, sizeof(spf.domain), "%s",
		    m->spf_domain);
		in.spf = &spf;
	}
	memset(sigs, 0, sizeof(sigs));
	for (i = 0; i < 2 && m->dkim_d[i] != NULL; i++) {
		sigs[i].domain = (char *)m->dkim_d[i];
		sigs[i].selector = (char *)"s1";
		sigs[i].result = m->dkim[i];
		dk.count++;
	}
	in.dkim = &dk;
	if (m->client != NULL) {
		ck_assert(am_addr_parse(m->client, &client) == AM_OK);
		in.client = &client;
	}
	in.deadline_ms = am_dns_deadline(5000);
	in.sample_draw = m->draw;
	am_dmarc_evaluate(dm, &in, &all);
	ck_assert_uint_ge(all.n, 1);
	am_test_dmarc_decide(cfg, &all, in.client, res, dec);
	am_dmarc_results_release(&all);
}

static const struct {
	const char *name;		/* PITFALLS line or rule */
	struct msg m;
	enum am_dmarc_res want;
	enum am_dmarc_policy dis;	/* our disposition */
	enum am_dmarc_override ovr;
	enum am_action action;
} cases[] = {
	{ "adkim=s: d=sub.strict.example does not align with strict.example",
	  { { "a@strict.example", NULL }, NULL, 0, { "sub.strict.example" },
	    { AM_DKIM_PASS }, -1, NULL },
	  AM_DMARC_FAIL, AM_DMARC_POLICY_REJECT, 0, AM_ACTION_REJECT },
	{ "adkim=s: identical d= passes",
	  { { "a@strict.example", NULL }, NULL, 0, { "strict.example" },
	    { AM_DKIM_PASS }, -1, NULL },
	  AM_DMARC_PASS, AM_DMARC_POLICY_NONE, 0, AM_ACTION_ACCEPT },
	{ "relaxed: d=sub.rel.example aligns through the tree walk",
	  { { "a@rel.example", NULL }, NULL, 0, { "sub.rel.example" },
	    { AM_DKIM_PASS }, -1, NULL },
	  AM_DMARC_PASS, AM_DMARC_POLICY_NONE, 0, AM_ACTION_ACCEPT },
	{ "relaxed: another organization does not align",
	  { { "a@rel.example", NULL }, "rel.example.net", AM_SPF_PASS,
	    { "rel.example.org" }, { AM_DKIM_PASS }, -1, NULL },
	  AM_DMARC_FAIL, AM_DMARC_POLICY_REJECT, 0, AM_ACTION_REJECT },
	{ "failing aligned signature + passing unaligned one is fail",
	  { { "a@rel.example", NULL }, NULL, 0,
	    { "rel.example", "other.example" },
	    { AM_DKIM_FAIL, AM_DKIM_PASS }, -1, NULL },
	  AM_DMARC_FAIL, AM_DMARC_POLICY_REJECT, 0, AM_ACTION_REJECT },
	{ "record without v=DMARC1 is no record",
	  { { "a@nov.example", NULL }, NULL, 0, { NULL }, { 0 }, -1, NULL },
	  AM_DMARC_NONE, AM_DMARC_POLICY_NONE, 0, AM_ACTION_ACCEPT },
	{ "p=r is invalid: no record (no rua)",
	  { { "a@pr.example", NULL }, NULL, 0, { NULL }, { 0 }, -1, NULL },
	  AM_DMARC_NONE, AM_DMARC_POLICY_NONE, 0, AM_ACTION_ACCEPT },
	{ "p=r with a valid rua acts as p=none",
	  { { "a@prrua.example", NULL }, NULL, 0, { NULL }, { 0 }, -1, NULL },
	  AM_DMARC_FAIL, AM_DMARC_POLICY_NONE, 0, AM_ACTION_ACCEPT },
	{ "non-numeric pct is 100, not 0",
	  { { "a@pctabc.example", NULL }, NULL, 0, { NULL }, { 0 }, 99, NULL },
	  AM_DMARC_FAIL, AM_DMARC_POLICY_REJECT, 0, AM_ACTION_REJECT },
	{ "rf=iodef does not make aspf strict",
	  { { "a@iodef.example", NULL }, "bounce.iodef.example", AM_SPF_PASS,
	    { NULL }, { 0 }, -1, NULL },
	  AM_DMARC_PASS, AM_DMARC_POLICY_NONE, 0, AM_ACTION_ACCEPT },
	{ "pct=50, draw 70: sampled_out, one level down",
	  { { "a@pct.example", NULL }, NULL, 0, { NULL }, { 0 }, 70, NULL },
	  AM_DMARC_FAIL, AM_DMARC_POLICY_QUARANTINE,
	  AM_DMARC_OVERRIDE_SAMPLED_OUT, AM_ACTION_QUARANTINE },
	{ "pct=50, draw 10: applied",
	  { { "a@pct.example", NULL }, NULL, 0, { NULL }, { 0 }, 10, NULL },
	  AM_DMARC_FAIL, AM_DMARC_POLICY_REJECT, 0, AM_ACTION_REJECT },
	{ "no policy record: dmarc=none, not fail",
	  { { "a@nodmarc.example", NULL }, NULL, 0, { NULL }, { 0 }, -1,
	    NULL },
	  AM_DMARC_NONE, AM_DMARC_POLICY_NONE, 0, AM_ACTION_ACCEPT },
	{ "existing subdomain falls back to the org's sp=",
	  { { "a@exists.org.example", NULL }, NULL, 0, { NULL }, { 0 }, -1,
	    NULL },
	  AM_DMARC_FAIL, AM_DMARC_POLICY_REJECT, 0, AM_ACTION_REJECT },
	{ "non-existent subdomain takes the org's np=",
	  { { "a@ghost.org.example", NULL }, NULL, 0, { NULL }, { 0 }, -1,
	    NULL },
	  AM_DMARC_FAIL, AM_DMARC_POLICY_QUARANTINE, 0, AM_ACTION_QUARANTINE },
	{ "the org domain itself takes p=",
	  { { "a@org.example", NULL }, NULL, 0, { NULL }, { 0 }, -1, NULL },
	  AM_DMARC_FAIL, AM_DMARC_POLICY_NONE, 0, AM_ACTION_ACCEPT },
	{ "SPF softfail is not pass",
	  { { "a@rel.example", NULL }, "rel.example", AM_SPF_SOFTFAIL,
	    { NULL }, { 0 }, -1, NULL },
	  AM_DMARC_FAIL, AM_DMARC_POLICY_REJECT, 0, AM_ACTION_REJECT },
	{ "SPF neutral is not pass",
	  { { "a@rel.example", NULL }, "rel.example", AM_SPF_NEUTRAL,
	    { NULL }, { 0 }, -1, NULL },
	  AM_DMARC_FAIL, AM_DMARC_POLICY_REJECT, 0, AM_ACTION_REJECT },
	{ "SPF permerror is not pass",
	  { { "a@rel.example", NULL }, "rel.example", AM_SPF_PERMERROR,
	    { NULL }, { 0 }, -1, NULL },
	  AM_DMARC_FAIL, AM_DMARC_POLICY_REJECT, 0, AM_ACTION_REJECT },
	{ "SPF pass of an aligned MAIL FROM passes",
	  { { "a@rel.example", NULL }, "mail.rel.example", AM_SPF_PASS,
	    { NULL }, { 0 }, -1, NULL },
	  AM_DMARC_PASS, AM_DMARC_POLICY_NONE, 0, AM_ACTION_ACCEPT },
	{ "a@x, b@y: both domains evaluated, strictest wins",
	  { { "a@nodmarc.example, b@strict.example", NULL }, NULL, 0,
	    { NULL }, { 0 }, -1, NULL },
	  AM_DMARC_FAIL, AM_DMARC_POLICY_REJECT, 0, AM_ACTION_REJECT },
	{ "<a@x>, <b@y>: both domains evaluated, strictest wins",
	  { { "<b@strict.example>, <a@nodmarc.example>", NULL }, NULL, 0,
	    { NULL }, { 0 }, -1, NULL },
	  AM_DMARC_FAIL, AM_DMARC_POLICY_REJECT, 0, AM_ACTION_REJECT },
	{ "several mailboxes: one failing domain is not hidden by a pass",
	  { { "a@rel.example, b@strict.example", NULL }, "rel.example",
	    AM_SPF_PASS, { NULL }, { 0 }, -1, NULL },
	  AM_DMARC_FAIL, AM_DMARC_POLICY_REJECT, 0, AM_ACTION_REJECT },
	{ "multiple From headers: permerror, rejected",
	  { { "a@nodmarc.example", "b@strict.example", NULL }, NULL, 0,
	    { NULL }, { 0 }, -1, NULL },
	  AM_DMARC_PERMERROR, AM_DMARC_POLICY_NONE, 0, AM_ACTION_REJECT },
	{ "quoted display name holding an address is not the address",
	  { { "\"<evil@nodmarc.example>\" <me@strict.example>", NULL }, NULL,
	    0, { NULL }, { 0 }, -1, NULL },
	  AM_DMARC_FAIL, AM_DMARC_POLICY_REJECT, 0, AM_ACTION_REJECT },
	{ "quoted-pair display name",
	  { { "\"a\\\"b@nodmarc.example\" <me@strict.example>", NULL }, NULL,
	    0, { NULL }, { 0 }, -1, NULL },
	  AM_DMARC_FAIL, AM_DMARC_POLICY_REJECT, 0, AM_ACTION_REJECT },
	{ "unbalanced > does not skip DMARC: permerror",
	  { { "a@strict.example>", NULL }, NULL, 0, { NULL }, { 0 }, -1,
	    NULL },
	  AM_DMARC_PERMERROR, AM_DMARC_POLICY_NONE, 0, AM_ACTION_REJECT },
	{ "no From header: permerror",
	  { { NULL }, NULL, 0, { NULL }, { 0 }, -1, NULL },
	  AM_DMARC_PERMERROR, AM_DMARC_POLICY_NONE, 0, AM_ACTION_REJECT },
	{ "domain-literal author: permerror",
	  { { "a@[192.0.2.1]", NULL }, NULL, 0, { NULL }, { 0 }, -1, NULL },
	  AM_DMARC_PERMERROR, AM_DMARC_POLICY_NONE, 0, AM_ACTION_REJECT },
	{ "DNS REFUSED: temperror, accepted by default",
	  { { "a@x.refused.example", NULL }, NULL, 0, { NULL }, { 0 }, -1,
	    NULL },
	  AM_DMARC_TEMPERROR, AM_DMARC_POLICY_NONE, 0, AM_ACTION_ACCEPT },
	{ "two valid records at one name: no record",
	  { { "a@twice.example", NULL }, NULL, 0, { NULL }, { 0 }, -1, NULL },
	  AM_DMARC_NONE, AM_DMARC_POLICY_NONE, 0, AM_ACTION_ACCEPT },
	{ "a duplicated tag invalidates the record",
	  { { "a@dup.example", NULL }, NULL, 0, { NULL }, { 0 }, -1, NULL },
	  AM_DMARC_NONE, AM_DMARC_POLICY_NONE, 0, AM_ACTION_ACCEPT },
	{ "t=y: one level below, policy_test_mode",
	  { { "a@test.example", NULL }, NULL, 0, { NULL }, { 0 }, -1, NULL },
	  AM_DMARC_FAIL, AM_DMARC_POLICY_QUARANTINE,
	  AM_DMARC_OVERRIDE_POLICY_TEST_MODE, AM_ACTION_QUARANTINE },
	{ "PSD record (psd=y) applies to an organization without one",
	  { { "a@x.org.psd.test", NULL }, NULL, 0, { NULL }, { 0 }, -1,
	    NULL },
	  AM_DMARC_FAIL, AM_DMARC_POLICY_REJECT, 0, AM_ACTION_REJECT },
	{ "PSD: the organization's own record wins",
	  { { "a@www.shop.co.uk", NULL }, NULL, 0, { NULL }, { 0 }, -1,
	    NULL },
	  AM_DMARC_FAIL, AM_DMARC_POLICY_QUARANTINE, 0, AM_ACTION_QUARANTINE },
	{ "PSD: sibling organizations do not align",
	  { { "a@shop.co.uk", NULL }, NULL, 0, { "other.co.uk" },
	    { AM_DKIM_PASS }, -1, NULL },
	  AM_DMARC_FAIL, AM_DMARC_POLICY_NONE, 0, AM_ACTION_ACCEPT },
};

START_TEST(test_cases)
{
	struct am_dmarc_result res;
	struct am_test_dmarc_dec dec;

	run(&cases[_i].m, &res, &dec);
	ck_assert_msg(res.result == cases[_i].want, "%s: got %s, want %s (%s)",
	    cases[_i].name, am_dmarc_result_name(res.result),
	    am_dmarc_result_name(cases[_i].want), res.reason);
	ck_assert_msg(res.disposition == cases[_i].dis,
	    "%s: disposition got %s, want %s", cases[_i].name,
	    am_dmarc_policy_name(res.disposition),
	    am_dmarc_policy_name(cases[_i].dis));
	ck_assert_msg(res.override == cases[_i].ovr,
	    "%s: override got %s, want %s", cases[_i].name,
	    am_dmarc_override_name(res.override),
	    am_dmarc_override_name(cases[_i].ovr));
	ck_assert_msg(dec.action == cases[_i].action,
	    "%s: action got %s, want %s", cases[_i].name,
	    am_action_name(dec.action), am_action_name(cases[_i].action));
}
END_TEST

/* Details the table does not show. */
START_TEST(test_details)
{
	struct am_dmarc_result res;
	struct am_test_dmarc_dec dec;
	struct msg m = { { "a@ghost.org.example", NULL }, NULL, 0, { NULL },
		{ 0 }, -1, NULL };

	run(&m, &res, &dec);
	ck_assert_str_eq(res.header_from, "ghost.org.example");
	ck_assert_str_eq(res.policy_domain, "org.example");
	ck_assert_str_eq(res.orgdomain, "org.example");
	ck_assert_str_eq(res.policy_tag, "np");
	ck_assert_int_eq(res.rec.p, AM_DMARC_POLICY_NONE);
	ck_assert_int_eq(res.rec.sp, AM_DMARC_POLICY_REJECT);
	ck_assert_int_eq(res.rec.np, AM_DMARC_POLICY_QUARANTINE);
	ck_assert_str_eq(res.rec.fo, "1");
	ck_assert_uint_eq(res.rec.nrua, 2);
	ck_assert_str_eq(res.rec.rua[0], "mailto:a@org.example");
	ck_assert_str_eq(res.rec.rua[1], "mailto:b@rep.example");
	ck_assert_int_eq(res.rec.pct, 100);
	ck_assert(!res.dkim_aligned && !res.spf_aligned);
	ck_assert_int_eq(dec.quarantine, AM_QUARANTINE_HOLD);
	ck_assert_str_eq(dec.quarantine_reason,
	    "DMARC policy of ghost.org.example");

	/* Reject text names the domain; 550 5.7.1. */
	m.from[0] = "Someone <a@strict.example>";
	run(&m, &res, &dec);
	ck_assert_str_eq(dec.rcode, "550");
	ck_assert_str_eq(dec.xcode, "5.7.1");
	ck_assert_str_eq(dec.text,
	    "Message rejected by the DMARC policy of strict.example");

	/* Multiple From: the reply says so; header_from for the report. */
	m.from[0] = "a@strict.example";
	m.from[1] = "b@nodmarc.example";
	run(&m, &res, &dec);
	ck_assert(res.is_multiple_from);
	ck_assert_str_eq(dec.text, "multiple From headers");
	ck_assert_str_eq(res.header_from, "strict.example");

	/* pct: the draw is reported. */
	m.from[0] = "a@pct.example";
	m.from[1] = NULL;
	m.draw = 49;
	run(&m, &res, &dec);
	ck_assert_int_eq(res.sample_draw, 49);
	ck_assert_int_eq(res.disposition, AM_DMARC_POLICY_REJECT);
	m.draw = 50;
	run(&m, &res, &dec);
	ck_assert_int_eq(res.override, AM_DMARC_OVERRIDE_SAMPLED_OUT);
	m.draw = -1;	/* random: either way, a draw is recorded */
	run(&m, &res, &dec);
	ck_assert(res.sample_draw >= 0 && res.sample_draw < 100);

	/* Several mailboxes: nauthors counts distinct domains. */
	m.from[0] = "a@rel.example, b@rel.example, c@strict.example";
	m.dkim_d[0] = "rel.example";
	m.dkim[0] = AM_DKIM_PASS;
	run(&m, &res, &dec);
	ck_assert_uint_eq(res.nauthors, 2);
	ck_assert_str_eq(res.header_from, "strict.example");
}
END_TEST

/* A From header that talks about spf=pass changes nothing; no other header
 * can reach the evaluation (the input has no field for it). */
START_TEST(test_forged_ar_irrelevant)
{
	struct am_dmarc_result res;
	struct am_test_dmarc_dec dec;
	struct msg m = { { "\"mx.test; spf=pass smtp.mailfrom=strict.example; "
		"dkim=pass header.d=strict.example\" <a@strict.example>",
		NULL }, NULL, 0, { NULL }, { 0 }, -1, NULL };

	run(&m, &res, &dec);
	ck_assert_int_eq(res.result, AM_DMARC_FAIL);
	ck_assert_int_eq(dec.action, AM_ACTION_REJECT);
}
END_TEST

START_TEST(test_overrides)
{
	struct am_dmarc_result res;
	struct am_test_dmarc_dec dec;
	struct am_why why;
	struct msg m = { { "a@strict.example", NULL }, NULL, 0, { NULL },
		{ 0 }, -1, "192.0.2.77" };

	ck_assert(am_netset_add(cfg->dmarc_trusted_forwarders, "192.0.2.0/24",
	    &why) == AM_OK);
	renew();
	run(&m, &res, &dec);
	ck_assert_int_eq(res.override, AM_DMARC_OVERRIDE_TRUSTED_FORWARDER);
	ck_assert_int_eq(res.disposition, AM_DMARC_POLICY_NONE);
	ck_assert_int_eq(dec.action, AM_ACTION_ACCEPT);
	ck_assert_int_eq(res.policy, AM_DMARC_POLICY_REJECT);

	m.client = "198.51.100.1";
	cfg->dmarc_enforce = false;
	renew();
	run(&m, &res, &dec);
	ck_assert_int_eq(res.override, AM_DMARC_OVERRIDE_LOCAL_POLICY);
	ck_assert_int_eq(dec.action, AM_ACTION_ACCEPT);

	cfg->dmarc_enforce = true;
	set_str(&cfg->dmarc_exempt_domains, "other.example, Strict.Example");
	renew();
	run(&m, &res, &dec);
	ck_assert_int_eq(res.override, AM_DMARC_OVERRIDE_LOCAL_POLICY);
	m.from[0] = "a@sub.strict.example";	/* subdomains too */
	run(&m, &res, &dec);
	ck_assert_int_eq(res.override, AM_DMARC_OVERRIDE_LOCAL_POLICY);
	m.from[0] = "a@notstrict.example";
	run(&m, &res, &dec);
	ck_assert_int_eq(res.override, AM_DMARC_OVERRIDE_NONE);

	/* Quarantine as a header. */
	cfg->quarantine_action = AM_QUARANTINE_HEADER;
	renew();
	m.from[0] = "a@quar.example";
	run(&m, &res, &dec);
	ck_assert_int_eq(dec.action, AM_ACTION_QUARANTINE);
	ck_assert_int_eq(dec.quarantine, AM_QUARANTINE_HEADER);
	ck_assert_str_eq(dec.header_name, "X-Quarantine");
	ck_assert_str_eq(dec.header_value, "DMARC policy of quar.example");

	/* Temperror -> tempfail when configured; multiple From -> accept. */
	cfg->dmarc_temperror_action = AM_ACTION_TEMPFAIL;
	cfg->multiple_from_action = AM_ACTION_ACCEPT;
	renew();
	m.from[0] = "a@refused.example";
	run(&m, &res, &dec);
	ck_assert_int_eq(dec.action, AM_ACTION_TEMPFAIL);
	ck_assert_str_eq(dec.rcode, "451");
	ck_assert_str_eq(dec.xcode, "4.7.1");
	ck_assert_msg(strstr(dec.text, "refused.example") != NULL, "%s",
	    dec.text);
	m.from[1] = "b@x.example";
	run(&m, &res, &dec);
	ck_assert_int_eq(res.result, AM_DMARC_PERMERROR);
	ck_assert_int_eq(dec.action, AM_ACTION_ACCEPT);
}
END_TEST

START_TEST(test_new_errors)
{
	struct am_why why;
	struct am_dmarc *d;

	set_str(&cfg->dmarc_exempt_domains, "ok.example bad..example");
	d = am_dmarc_new(dns, cfg, &why);
	ck_assert(d == NULL);
	ck_assert_msg(strstr(why.text, "bad..example") != NULL, "%s",
	    why.text);
	set_str(&cfg->dmarc_exempt_domains, "");
	cfg->dmarc_orgdomain = AM_ORGDOMAIN_PSL;
	set_str(&cfg->public_suffix_list, "");
	ck_assert(am_dmarc_new(dns, cfg, &why) == NULL);
	ck_assert_msg(strstr(why.text, "PublicSuffixList") != NULL, "%s",
	    why.text);
	set_str(&cfg->public_suffix_list, "/nonexistent/psl");
	ck_assert(am_dmarc_new(dns, cfg, &why) == NULL);
	cfg->dmarc_orgdomain = AM_ORGDOMAIN_TREEWALK;
	cfg->quarantine_action = AM_QUARANTINE_HEADER;
	set_str(&cfg->quarantine_header, "none");
	ck_assert(am_policy_new(cfg, &why) == NULL);	/* the decision's */
}
END_TEST

/* DMARCOrgDomain psl: relaxed alignment and fallback through the PSL. */
START_TEST(test_psl_mode)
{
	struct am_dmarc_result res;
	struct am_test_dmarc_dec dec;
	struct msg m = { { "a@rel.example", NULL }, NULL, 0,
		{ "sub.rel.example" }, { AM_DKIM_PASS }, -1, NULL };

	cfg->dmarc_orgdomain = AM_ORGDOMAIN_PSL;
	set_str(&cfg->public_suffix_list, PSL_FILE);
	renew();
	run(&m, &res, &dec);
	ck_assert_int_eq(res.result, AM_DMARC_PASS);
	ck_assert_str_eq(res.orgdomain, "rel.example");
	m.from[0] = "a@exists.org.example";
	m.dkim_d[0] = NULL;
	run(&m, &res, &dec);
	ck_assert_int_eq(res.result, AM_DMARC_FAIL);
	ck_assert_str_eq(res.policy_tag, "sp");
	ck_assert_int_eq(dec.action, AM_ACTION_REJECT);
	/* RFC 7489: the PSL organizational domain's record, psd= unused. */
	m.from[0] = "a@x.psd.test";
	run(&m, &res, &dec);
	ck_assert_int_eq(res.result, AM_DMARC_FAIL);
	ck_assert_str_eq(res.policy_domain, "psd.test");
	m.from[0] = "a@www.shop.co.uk";
	run(&m, &res, &dec);
	ck_assert_str_eq(res.policy_domain, "shop.co.uk");
	m.from[0] = "a@strict.example";
	m.dkim_d[0] = "sub.strict.example";
	run(&m, &res, &dec);
	ck_assert_int_eq(res.result, AM_DMARC_FAIL);
}
END_TEST

/* Relaxed alignment walks from the author, the DKIM d= and the SPF domain
 * share most of their _dmarc names: each is asked once per message
 * (mail.rel, rel, example, sub.rel, other.rel), not once per walk (9). */
START_TEST(test_walk_names_asked_once)
{
	struct am_dmarc_result res;
	struct am_test_dmarc_dec dec;
	struct msg m = { { "a@mail.rel.example", NULL }, "other.rel.example",
		AM_SPF_PASS, { "sub.rel.example" }, { AM_DKIM_PASS }, -1, NULL };
	unsigned long before = am_dns_query_count(dns);

	run(&m, &res, &dec);
	ck_assert_int_eq(res.result, AM_DMARC_PASS);
	ck_assert_str_eq(res.orgdomain, "rel.example");
	ck_assert_str_eq(res.policy_domain, "rel.example");
	ck_assert(res.dkim_aligned && res.spf_aligned);
	ck_assert_uint_eq(am_dns_query_count(dns) - before, 5);
	/* the next message asks again (the memo is per evaluation) */
	run(&m, &res, &dec);
	ck_assert_uint_eq(am_dns_query_count(dns) - before, 10);
}
END_TEST

/*
 * A DNS failure above the author domain must not erase the author domain's
 * own policy (issue 21 item 5). Through a real unbound (testdns.h) that
 * answers REFUSED for _dmarc.example and _dmarc.corp.example: bank.example
 * and a.corp.example publish p=reject themselves. The failure matters only
 * to relaxed alignment, and only where the names it hides could still make
 * the identifier share the author's Organizational Domain.
 */
START_TEST(test_walk_failure_above_author)
{
	static const char *const zone[] = {
		"_dmarc.bank.example. 300 IN TXT \"v=DMARC1; p=reject\"",
		"_dmarc.a.corp.example. 300 IN TXT \"v=DMARC1; p=reject\"",
		"local-zone: \"_dmarc.example.\" refuse",
		"local-zone: \"_dmarc.corp.example.\" refuse",
		NULL,
	};
	static const struct {
		const char *name;
		struct msg m;
		enum am_dmarc_res want;
		enum am_action action;
		const char *reason;	/* in res.reason, or NULL */
	} walk_cases[] = {
		{ "forged From, SPF and DKIM of another organization: fail",
		  { { "a@bank.example", NULL }, "evil.example", AM_SPF_PASS,
		    { "evil.example" }, { AM_DKIM_PASS }, -1, NULL },
		  AM_DMARC_FAIL, AM_ACTION_REJECT, NULL },
		{ "forged From, d= sharing no label with the author: fail",
		  { { "a@bank.example", NULL }, NULL, 0, { "attacker.test" },
		    { AM_DKIM_PASS }, -1, NULL },
		  AM_DMARC_FAIL, AM_ACTION_REJECT, NULL },
		{ "d= under the author's record still aligns: pass",
		  { { "a@bank.example", NULL }, NULL, 0, { "mail.bank.example" },
		    { AM_DKIM_PASS }, -1, NULL },
		  AM_DMARC_PASS, AM_ACTION_ACCEPT, NULL },
		{ "the organization's own _dmarc fails, alignment open: "
		  "temperror",
		  { { "a@a.corp.example", NULL }, NULL, 0, { "corp.example" },
		    { AM_DKIM_PASS }, -1, NULL },
		  AM_DMARC_TEMPERROR, AM_ACTION_ACCEPT, "_dmarc.corp.example" },
	};
	struct am_testdns *t;
	struct am_dns_opts opts = { 0 };
	struct am_dmarc_result res;
	struct am_test_dmarc_dec dec;
	struct am_dmarc *saved = dm;
	struct am_dns *saved_dns = dns;
	struct am_why why = { "" };
	size_t i;

	t = am_testdns_start(zone, &why);
	ck_assert_msg(t != NULL, "%s", why.text);
	opts.nameservers = am_testdns_addr(t);
	dns = am_dns_new(&opts, &why);
	ck_assert_msg(dns != NULL, "am_dns_new: %s", why.text);
	dm = am_dmarc_new(dns, cfg, &why);
	ck_assert_msg(dm != NULL, "am_dmarc_new: %s", why.text);
	for (i = 0; i < sizeof(walk_cases) / sizeof(walk_cases[0]); i++) {
		run(&walk_cases[i].m, &res, &dec);
		ck_assert_msg(res.result == walk_cases[i].want,
		    "%s: got %s, want %s (%s)", walk_cases[i].name,
		    am_dmarc_result_name(res.result),
		    am_dmarc_result_name(walk_cases[i].want), res.reason);
		ck_assert_msg(dec.action == walk_cases[i].action,
		    "%s: action got %s, want %s", walk_cases[i].name,
		    am_action_name(dec.action),
		    am_action_name(walk_cases[i].action));
		ck_assert_msg(walk_cases[i].reason == NULL ||
		    strstr(res.reason, walk_cases[i].reason) != NULL,
		    "%s: reason got \"%s\", want it to name %s",
		    walk_cases[i].name, res.reason, walk_cases[i].reason);
		if (res.result == AM_DMARC_FAIL)
			ck_assert_int_eq(res.disposition,
			    AM_DMARC_POLICY_REJECT);
	}
	dm = am_dmarc_free(dm);
	dns = am_dns_free(dns);
	dm = saved;
	dns = saved_dns;
	t = am_testdns_stop(t);
}
END_TEST

/* A-R strings: compared with tests/data/dmarc/authres.golden. */
START_TEST(test_authres_golden)
{
	static const struct msg msgs[] = {
		{ { "a@example.com", NULL }, NULL, 0, { NULL }, { 0 }, -1,
		  NULL },
		{ { "a@example.com", NULL }, NULL, 0, { "example.com" },
		  { AM_DKIM_PASS }, -1, NULL },
		{ { "a@pct.example", NULL }, NULL, 0, { NULL }, { 0 }, 90,
		  NULL },
		{ { "a@ghost.org.example", NULL }, NULL, 0, { NULL }, { 0 },
		  -1, NULL },
		{ { "a@nodmarc.example", NULL }, NULL, 0, { NULL }, { 0 }, -1,
		  NULL },
		{ { "a@refused.example", NULL }, NULL, 0, { NULL }, { 0 }, -1,
		  NULL },
		{ { "a@x.example", "b@y.example", NULL }, NULL, 0, { NULL },
		  { 0 }, -1, NULL },
		{ { "a@x.example>", NULL }, NULL, 0, { NULL }, { 0 }, -1,
		  NULL },
	};
	struct am_dmarc_result res;
	struct am_test_dmarc_dec dec;
	struct am_authres *ar;
	struct am_buf got, out;
	char want[8192];
	size_t i, n;
	FILE *fp;

	am_buf_init(&got, 65536);
	am_buf_init(&out, 8192);
	for (i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
		run(&msgs[i], &res, &dec);
		ar = am_authres_new("mx.test");
		am_dmarc_add_authres(&res, ar);
		ck_assert(am_authres_format(ar, &out) == AM_OK);
		ck_assert(am_buf_printf(&got, "%s\n", am_buf_str(&out)) ==
		    AM_OK);
		ar = am_authres_free(ar);
	}
	if (getenv("AM_WRITE_GOLDEN") != NULL) {
		fp = fopen(GOLDEN, "w");
		ck_assert(fp != NULL);
		fputs(am_buf_str(&got), fp);
		fclose(fp);
	}
	fp = fopen(GOLDEN, "r");
	ck_assert_msg(fp != NULL, "%s missing", GOLDEN);
	n = fread(want, 1, sizeof(want) - 1, fp);
	want[n] = '\0';
	fclose(fp);
	ck_assert_msg(strcmp(am_buf_str(&got), want) == 0,
	    "got:\n%s\nwant:\n%s", am_buf_str(&got), want);
	am_buf_release(&got);
	am_buf_release(&out);
}
END_TEST

/* The exact string of the issue, as one unfolded resinfo. */
START_TEST(test_authres_issue_string)
{
	struct msg m = { { "a@example.com", NULL }, NULL, 0, { NULL }, { 0 },
		-1, NULL };
	struct am_dmarc_result res;
	struct am_test_dmarc_dec dec;
	struct am_authres *ar;
	struct am_buf out;
	char *p;

	run(&m, &res, &dec);
	ar = am_authres_new("x");
	am_dmarc_add_authres(&res, ar);
	am_buf_init(&out, 4096);
	ck_assert(am_authres_format(ar, &out) == AM_OK);
	while ((p = strstr(out.data, "\n\t")) != NULL)	/* unfold */
		memmove(p, p + 1, strlen(p + 1) + 1), *p = ' ';
	ck_assert_str_eq(am_buf_str(&out), "x; dmarc=fail (p=reject sp=none "
	    "dis=reject) header.from=example.com policy.dmarc=reject");
	am_buf_release(&out);
	am_authres_free(ar);
}
END_TEST

START_TEST(test_names)
{
	ck_assert_str_eq(am_dmarc_result_name(AM_DMARC_TEMPERROR),
	    "temperror");
	ck_assert_str_eq(am_dmarc_policy_name(AM_DMARC_POLICY_QUARANTINE),
	    "quarantine");
	ck_assert_str_eq(am_dmarc_override_name(
	    AM_DMARC_OVERRIDE_TRUSTED_FORWARDER), "trusted_forwarder");
	ck_assert_str_eq(am_dmarc_override_name(
	    AM_DMARC_OVERRIDE_SAMPLED_OUT), "sampled_out");
}
END_TEST

START_TEST(test_null_args)
{
	am_dmarc_evaluate(dm, NULL, NULL);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("dmarc");
	TCase *tc = tcase_create("dmarc");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_cases, 0,
	    (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_details);
	tcase_add_test(tc, test_forged_ar_irrelevant);
	tcase_add_test(tc, test_overrides);
	tcase_add_test(tc, test_new_errors);
	tcase_add_test(tc, test_psl_mode);
	tcase_add_test(tc, test_walk_names_asked_once);
	tcase_add_test(tc, test_walk_failure_above_author);
	tcase_add_test(tc, test_authres_golden);
	tcase_add_test(tc, test_authres_issue_string);
	tcase_add_test(tc, test_names);
	if (am_test_can_fork())
		tcase_add_test_raise_signal(tc, test_null_args, SIGABRT);
	suite_add_tcase(s, tc);
	return am_test_run(s);
}
