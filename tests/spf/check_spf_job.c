/*
 * check_spf_job.c - lib/spf/spf_job.c: SPF checks started early on the
 * pool, through real libunbound local data (no traffic) and a dead
 * loopback forwarder: the same results as am_spf_check(), the round trips
 * hidden, a busy pool never waited on, and jobs freed at any moment (the
 * suite also runs under ASan and valgrind: nothing answers into freed
 * memory, nothing leaks).
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "core/am.h"
#include "config/config.h"
#include "dns/dns.h"
#include "core/netaddr.h"
#include "spf/spf.h"
#include "testutil/testdns.h"
#include "testutil/testrr.h"
#include "testutil/testutil.h"

static const char *const rrs[] = {
	"pass.example. 300 IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"",
	"fail.example. 300 IN TXT \"v=spf1 -all exp=exp.fail.example\"",
	"exp.fail.example. 300 IN TXT \"Sender %{s} is not allowed\"",
	"inc.example. 300 IN TXT \"v=spf1 include:pass.example -all\"",
	"mx.helo.example. 300 IN TXT \"v=spf1 ip4:192.0.2.10 -all\"",
	"v6.example. 300 IN TXT \"v=spf1 ip6:2001:db8::/32 -all\"",
	NULL,
};

static struct am_dns *dns;	/* per test */
static struct am_spf *spf;	/* per test */
static struct am_config *cfg;	/* per test: built-in defaults */

static void
setup(void)
{
	struct am_why why;

	cfg = am_config_defaults();
	dns = am_test_dns_local(rrs, "refused.example");
	spf = am_spf_new(dns, cfg, &why);
	ck_assert_msg(spf != NULL, "am_spf_new: %s", why.text);
}

static void
teardown(void)
{
	spf = am_spf_free(spf);
	dns = am_dns_free(dns);
	cfg = am_config_unref(cfg);
}

/* dead - an am_spf on a forwarder that never answers (*d to free). */
static struct am_spf *
dead(struct am_dns **d)
{
	char ns[64];
	struct am_dns_opts opts = { .nameservers = ns };
	struct am_why why;
	struct am_spf *s;

	(void)snprintf(ns, sizeof(ns), "127.0.0.1@%u", am_testdns_dead_port());
	*d = am_dns_new(&opts, &why);
	ck_assert_msg(*d != NULL, "%s", why.text);
	s = am_spf_new(*d, cfg, &why);
	ck_assert(s != NULL);
	return s;
}

static struct am_addr
addr(const char *text)
{
	struct am_addr a;

	ck_assert_msg(am_addr_parse(text, &a) == AM_OK, "bad ip %s", text);
	return a;
}

static long
ms_since(const struct timespec *t0)
{
	struct timespec t;

	(void)clock_gettime(CLOCK_MONOTONIC, &t);
	return (long)((t.tv_sec - t0->tv_sec) * 1000 +
	    (t.tv_nsec - t0->tv_nsec) / 1000000);
}

/* same - two results equal in every field a header or log shows. */
static void
same(const char *name, const struct am_spf_result *got,
    const struct am_spf_result *want)
{
	ck_assert_msg(got->result == want->result && got->scope == want->scope &&
	    got->is_checked == want->is_checked, "%s: got %s, want %s", name,
	    am_spf_result_name(got->result), am_spf_result_name(want->result));
	ck_assert_str_eq(got->identity, want->identity);
	ck_assert_str_eq(got->domain, want->domain);
	ck_assert_str_eq(got->reason, want->reason);
	ck_assert_str_eq(got->comment, want->comment);
	ck_assert_str_eq(got->explanation, want->explanation);
}

static const struct {
	const char *name, *ip, *helo, *from;
} cases[] = {
	{ "pass", "192.0.2.5", "mx.helo.example", "u@pass.example" },
	{ "fail with exp=", "198.51.100.9", "mx.helo.example",
	  "u@fail.example" },
	{ "include", "192.0.2.5", "h.example", "u@inc.example" },
	{ "temperror", "192.0.2.5", "h.example", "u@refused.example" },
	{ "null sender", "192.0.2.10", "mx.helo.example", "" },
	{ "HELO not a name", "192.0.2.10", "[192.0.2.10]", "u@pass.example" },
	{ "ipv6", "2001:db8::1", "h.example", "u@v6.example" },
	{ "loopback", "127.0.0.1", "mx.helo.example", "u@pass.example" },
};

/* A job gives exactly what am_spf_check() gives, for both identities. */
START_TEST(test_same_results)
{
	struct am_spf_result mf, he, jmf, jhe;
	struct am_spf_job *h, *m;
	struct am_addr a = addr(cases[_i].ip);

	am_spf_check(spf, &a, cases[_i].helo, cases[_i].from,
	    am_dns_deadline(5000), &mf, &he);
	h = am_spf_job_start(spf, AM_SPF_SCOPE_HELO, &a, cases[_i].helo,
	    NULL, 5000);
	m = am_spf_job_start(spf, AM_SPF_SCOPE_MFROM, &a, cases[_i].helo,
	    cases[_i].from, 5000);
	ck_assert(am_spf_job_is(h, AM_SPF_SCOPE_HELO, &a, cases[_i].helo,
	    "anything"));
	ck_assert(am_spf_job_is(m, AM_SPF_SCOPE_MFROM, &a, cases[_i].helo,
	    cases[_i].from));
	ck_assert(!am_spf_job_is(m, AM_SPF_SCOPE_MFROM, &a, cases[_i].helo,
	    "other@pass.example"));
	ck_assert(!am_spf_job_is(h, AM_SPF_SCOPE_MFROM, &a, cases[_i].helo,
	    cases[_i].from));
	am_spf_job_finish(m, am_dns_deadline(5000), &jmf);
	am_spf_job_finish(h, am_dns_deadline(5000), &jhe);
	same(cases[_i].name, &jmf, &mf);
	same(cases[_i].name, &jhe, &he);
	h = am_spf_job_free(h);
	m = am_spf_job_free(m);
}
END_TEST

/* Started early, the check's round trips are gone by the time the result
 * is asked for: answers delayed 150 ms each (an include needs two), the
 * job asked 500 ms later answers at once. */
START_TEST(test_runs_early)
{
	struct am_addr a = addr("192.0.2.5");
	struct am_spf_result r;
	struct am_spf_job *j;
	struct timespec t0;
	long ms;

	am_dns_set_callback_delay(dns, 150000);
	j = am_spf_job_start(spf, AM_SPF_SCOPE_MFROM, &a, "h.example",
	    "u@inc.example", 5000);
	(void)usleep(500 * 1000);
	(void)clock_gettime(CLOCK_MONOTONIC, &t0);
	am_spf_job_finish(j, am_dns_deadline(5000), &r);
	ms = ms_since(&t0);
	ck_assert_str_eq(am_spf_result_name(r.result), "pass");
	ck_assert_msg(ms < 100, "finish took %ld ms, want at once", ms);
	j = am_spf_job_free(j);
	/* not started early, the same check pays them */
	(void)clock_gettime(CLOCK_MONOTONIC, &t0);
	j = am_spf_job_start(spf, AM_SPF_SCOPE_MFROM, &a, "h.example",
	    "u@inc.example", 5000);
	am_spf_job_finish(j, am_dns_deadline(5000), &r);
	ck_assert_msg(ms_since(&t0) >= 250, "took %ld ms", ms_since(&t0));
	j = am_spf_job_free(j);
	am_dns_set_callback_delay(dns, 0);
}
END_TEST

/* Every pool thread busy on a dead resolver: a job no thread has started
 * is run by the one asking for its result, at once (a HELO that is not a
 * name needs no lookup), not after the busy ones. */
START_TEST(test_busy_pool)
{
	struct am_spf_job *busy[70], *j;
	struct am_addr a = addr("192.0.2.5");
	struct am_spf_result r;
	struct timespec t0;
	struct am_dns *d;
	struct am_spf *s = dead(&d);
	size_t i;

	for (i = 0; i < 70; i++)
		busy[i] = am_spf_job_start(s, AM_SPF_SCOPE_MFROM, &a,
		    "h.example", "u@pass.example", 1500);
	(void)usleep(100 * 1000);
	j = am_spf_job_start(s, AM_SPF_SCOPE_HELO, &a, "OEMCOMPUTER", NULL,
	    1500);
	(void)clock_gettime(CLOCK_MONOTONIC, &t0);
	am_spf_job_finish(j, am_dns_deadline(1500), &r);
	ck_assert_msg(ms_since(&t0) < 300, "waited %ld ms for a busy pool",
	    ms_since(&t0));
	ck_assert(!r.is_checked);
	ck_assert_str_eq(r.reason, "HELO is not a domain name");
	j = am_spf_job_free(j);
	/* the busy ones end as temperror within their own DNSTimeout */
	(void)clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 70; i++) {
		am_spf_job_finish(busy[i], am_dns_deadline(1500), &r);
		ck_assert_str_eq(am_spf_result_name(r.result), "temperror");
		busy[i] = am_spf_job_free(busy[i]);
	}
	ck_assert_msg(ms_since(&t0) < 5000, "took %ld ms", ms_since(&t0));
	s = am_spf_free(s);
	d = am_dns_free(d);
}
END_TEST

/* Transactions aborted at any moment: jobs freed while queued, running or
 * done; am_spf_free() then waits for the running ones (their own
 * DNSTimeout, 400 ms here) and frees everything. */
START_TEST(test_abort)
{
	struct am_spf_job *j[40];
	struct am_addr a = addr("192.0.2.5");
	struct timespec t0;
	struct am_dns *d;
	struct am_spf *s = dead(&d);
	size_t i;

	for (i = 0; i < 40; i++)
		j[i] = am_spf_job_start(s, i % 2 ? AM_SPF_SCOPE_HELO :
		    AM_SPF_SCOPE_MFROM, &a, "h.example", "u@pass.example", 400);
	for (i = 0; i < 40; i++)
		j[i] = am_spf_job_free(j[i]);
	(void)clock_gettime(CLOCK_MONOTONIC, &t0);
	s = am_spf_free(s);
	ck_assert_msg(ms_since(&t0) < 3000, "am_spf_free took %ld ms",
	    ms_since(&t0));
	d = am_dns_free(d);
	ck_assert(am_spf_job_free(NULL) == NULL);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("spf_job");
	TCase *tc = tcase_create("job");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_same_results, 0,
	    (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_runs_early);
	tcase_add_test(tc, test_busy_pool);
	tcase_add_test(tc, test_abort);
	suite_add_tcase(s, tc);
	return am_test_run(s);
}
