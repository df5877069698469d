/*
 * check_dmarc_prefetch.c - am_dmarc_prefetch() and the evaluation taking
 * its queries (lib/dmarc/dmarc.c, orgdomain.c), over local DNS data: the
 * names started early for each kind of message, the same results with and
 * without them, and no name asked twice. check_dmarc.c has the DMARC
 * rules themselves.
 */
#include "autoconf.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "config/config.h"
#include "dmarc/dmarc.h"
#include "dns/dns.h"
#include "dns/dns_prefetch.h"
#include "core/xalloc.h"
#include "testutil/testrr.h"
#include "testutil/testutil.h"

#define PSL_FILE AM_TOP_SRCDIR "/tests/conformance/psl/public_suffix_list.dat"

static const char *const rrs[] = {
	"_dmarc.rel.example. 300 IN TXT \"v=DMARC1; p=reject\"",
	"_dmarc.strict.example. 300 IN TXT \"v=DMARC1; p=reject; adkim=s\"",
	"_dmarc.org.example. 300 IN TXT \"v=DMARC1; p=none; sp=reject; "
	    "np=quarantine\"",
	"exists.org.example. 300 IN A 192.0.2.1",
	"_dmarc.psd.test. 300 IN TXT \"v=DMARC1; p=reject; psd=y\"",
	"_dmarc.example.com. 300 IN TXT \"v=DMARC1; p=quarantine\"",
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

/* One message: its From value, a passing d= and the SPF domain (pass). */
struct msg {
	const char *from;
	const char *d;		/* NULL: unsigned */
	const char *spf;	/* NULL: SPF not checked */
};

struct run {
	struct am_dmarc_results res;	/* owned */
	unsigned started;		/* queries started early */
	unsigned long asked;		/* queries in all */
};

/* run - evaluate m, with the lookups started first when early. */
static void
run(const struct msg *m, bool early, struct run *out)
{
	struct am_str from = { m->from, strlen(m->from) };
	struct am_spf_result spf;
	struct am_dkim_sig sig;
	struct am_dkim_results dk = { 0, &sig };
	struct am_dmarc_input in = { 0 };
	const char *ids[2];
	size_t n = 0;
	unsigned long n0 = am_dns_query_count(dns);

	memset(&spf, 0, sizeof(spf));
	memset(&sig, 0, sizeof(sig));
	in.from = &from;
	in.nfrom = 1;
	if (m->spf != NULL) {
		spf.is_checked = true;
		spf.result = AM_SPF_PASS;
		(void)snprintf(spf.domain, sizeof(spf.domain), "%s", m->spf);
		in.spf = &spf;
		ids[n++] = m->spf;
	}
	if (m->d != NULL) {
		sig.domain = (char *)m->d;
		sig.selector = (char *)"s1";
		sig.result = AM_DKIM_PASS;
		dk.count = 1;
		ids[n++] = m->d;
	}
	in.dkim = &dk;
	in.deadline_ms = am_dns_deadline(5000);
	in.sample_draw = 0;
	out->started = 0;
	if (early) {
		in.prefetch = am_dns_prefetch_new(dns);
		am_dmarc_prefetch(dm, &in, ids, n, in.prefetch);
		am_dns_prefetch_stats(in.prefetch, &out->started, NULL);
	}
	am_dmarc_evaluate(dm, &in, &out->res);
	in.prefetch = am_dns_prefetch_free(in.prefetch);
	out->asked = am_dns_query_count(dns) - n0;
}

static const struct {
	const char *name;
	struct msg m;
	unsigned early;		/* queries started early */
	unsigned long asked;	/* queries in all, either way */
} cases[] = {
	{ "aligned DKIM and SPF: the author's record only",
	  { "a@rel.example", "rel.example", "rel.example" }, 1, 1 },
	{ "relaxed: the walks of author, d= and SPF domain",
	  { "a@mail.rel.example", "sub.rel.example", "other.rel.example" },
	  5, 5 },
	{ "another TLD never aligns: no walk",
	  { "a@rel.example", "rel.example.net", NULL }, 1, 1 },
	{ "strict adkim: the walk is not needed, but started",
	  { "a@strict.example", "sub.strict.example", NULL }, 3, 1 },
	{ "no record: the policy walk, not started early",
	  { "a@www.nothing.example", NULL, NULL }, 1, 3 },
	{ "np=: the walk and the author's existence, not started early",
	  { "a@ghost.org.example", "evil.example.net", NULL }, 1, 4 },
	{ "PSD record", { "a@x.psd.test", NULL, NULL }, 1, 2 },
	{ "two authors", { "a@rel.example, b@example.com", NULL, NULL },
	  2, 2 },
	{ "unusable From: nothing", { "not an address", NULL, NULL }, 0, 0 },
	{ "temperror", { "a@refused.example", NULL, NULL }, 1, 1 },
};

/* same - two evaluations agree on everything a header or report shows. */
static void
same(const char *name, const struct am_dmarc_results *a,
    const struct am_dmarc_results *b)
{
	size_t i;

	ck_assert_msg(a->n == b->n, "%s: %zu results, want %zu", name, a->n,
	    b->n);
	for (i = 0; i < a->n; i++) {
		const struct am_dmarc_result *x = &a->author[i];
		const struct am_dmarc_result *y = &b->author[i];

		ck_assert_msg(x->result == y->result, "%s: got %s, want %s",
		    name, am_dmarc_result_name(x->result),
		    am_dmarc_result_name(y->result));
		ck_assert_str_eq(x->reason, y->reason);
		ck_assert_str_eq(x->header_from, y->header_from);
		ck_assert_str_eq(x->policy_domain, y->policy_domain);
		ck_assert_str_eq(x->orgdomain, y->orgdomain);
		ck_assert_int_eq(x->policy, y->policy);
		ck_assert_int_eq(x->disposition, y->disposition);
		ck_assert(x->dkim_aligned == y->dkim_aligned &&
		    x->spf_aligned == y->spf_aligned);
	}
}

/* Each kind of message: what starts early, the same results as without,
 * and no name asked twice (a started one is taken, not asked again): in
 * all, the union of what started early and what the evaluation needs. */
START_TEST(test_cases)
{
	struct run late, early;

	run(&cases[_i].m, false, &late);
	run(&cases[_i].m, true, &early);
	same(cases[_i].name, &early.res, &late.res);
	ck_assert_msg(early.started == cases[_i].early,
	    "%s: %u started early, want %u", cases[_i].name, early.started,
	    cases[_i].early);
	ck_assert_msg(late.asked == cases[_i].asked, "%s: %lu asked, want %lu",
	    cases[_i].name, late.asked, cases[_i].asked);
	ck_assert_msg(early.asked == (cases[_i].asked > cases[_i].early ?
	    cases[_i].asked : cases[_i].early), "%s: %lu asked early",
	    cases[_i].name, early.asked);
	am_dmarc_results_release(&late.res);
	am_dmarc_results_release(&early.res);
}
END_TEST

/* With the Public Suffix List nothing walks: only the author's record. */
START_TEST(test_psl_mode)
{
	const struct msg m = { "a@mail.rel.example", "sub.rel.example",
		"other.rel.example" };
	struct run late, early;

	cfg->dmarc_orgdomain = AM_ORGDOMAIN_PSL;
	free(cfg->public_suffix_list);
	cfg->public_suffix_list = am_xstrdup(PSL_FILE);
	dm = am_dmarc_free(dm);
	dm = am_dmarc_new(dns, cfg, NULL);
	ck_assert(dm != NULL);
	run(&m, false, &late);
	run(&m, true, &early);
	same("psl", &early.res, &late.res);
	ck_assert_uint_eq(early.started, 1);
	ck_assert_int_eq(early.res.author[0].result, AM_DMARC_PASS);
	am_dmarc_results_release(&late.res);
	am_dmarc_results_release(&early.res);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("dmarc_prefetch");
	TCase *tc = tcase_create("prefetch");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_cases, 0,
	    (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_psl_mode);
	suite_add_tcase(s, tc);
	return am_test_run(s);
}
