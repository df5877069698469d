/*
 * check_dns_prefetch.c - lib/dns/dns_prefetch.c: queries started early and
 * handed over once, through real libunbound (local data; a dead loopback
 * forwarder for queries that never end).
 */
#include "autoconf.h"

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "dns/dns.h"
#include "dns/dns_prefetch.h"
#include "testutil/testdns.h"
#include "testutil/testrr.h"

#define T_A 1
#define T_TXT 16

static const char *const rrs[] = {
	"sel._domainkey.example.org. 0 IN TXT \"v=DKIM1; p=\"",
	"_dmarc.example.org. 300 IN TXT \"v=DMARC1; p=reject\"",
	NULL
};

/* dead_dns - a context whose forwarder never answers. */
static struct am_dns *
dead_dns(void)
{
	static char addr[32];
	struct am_dns_opts opts = { .nameservers = addr };
	struct am_why why = { "" };
	struct am_dns *d;

	(void)snprintf(addr, sizeof(addr), "127.0.0.1@%u",
	    am_testdns_dead_port());
	d = am_dns_new(&opts, &why);
	ck_assert_msg(d != NULL, "am_dns_new: %s", why.text);
	return d;
}

/* take - name/type through the table; its answer's result. */
static enum am_dns_result
take(struct am_dns_prefetch *p, struct am_dns *d, const char *name, int type,
    uint64_t deadline)
{
	struct am_dns_answer ans;
	struct am_dns_query *q;
	enum am_dns_result r;

	q = am_dns_prefetch_start_by(p, d, name, type, deadline);
	am_dns_wait(q, deadline, &ans);
	q = am_dns_query_free(q);
	r = ans.result;
	am_dns_answer_release(&ans);
	return r;
}

/* A prefetched name costs one query in all: the one started early is the
 * one the check gets. A second ask is a new query. Names match without case
 * or final dot; other types do not match. */
START_TEST(test_handover)
{
	struct am_dns *d = am_test_dns_local(rrs, NULL);
	struct am_dns_prefetch *p = am_dns_prefetch_new(d);
	uint64_t dl = am_dns_deadline(2000);
	unsigned long n0 = am_dns_query_count(d);
	unsigned started, taken;

	ck_assert(am_dns_prefetch_add(p, "sel._domainkey.example.org", T_TXT));
	ck_assert(!am_dns_prefetch_add(p, "SEL._domainkey.Example.org.",
	    T_TXT));
	ck_assert(am_dns_prefetch_add(p, "_dmarc.example.org", T_TXT));
	ck_assert_uint_eq(am_dns_query_count(d), n0 + 2);
	ck_assert_int_eq(take(p, d, "Sel._DomainKey.example.org.", T_TXT, dl),
	    AM_DNS_OK);
	ck_assert_uint_eq(am_dns_query_count(d), n0 + 2);
	ck_assert_int_eq(take(p, d, "sel._domainkey.example.org", T_TXT, dl),
	    AM_DNS_OK);
	ck_assert_uint_eq(am_dns_query_count(d), n0 + 3);
	ck_assert_int_eq(take(p, d, "_dmarc.example.org", T_A, dl),
	    AM_DNS_NODATA);
	ck_assert_uint_eq(am_dns_query_count(d), n0 + 4);
	am_dns_prefetch_stats(p, &started, &taken);
	ck_assert_uint_eq(started, 2);
	ck_assert_uint_eq(taken, 1);
	/* _dmarc never taken: freed with the table */
	p = am_dns_prefetch_free(p);
	d = am_dns_free(d);
}
END_TEST

/* An answer that came in early is used even when the check's deadline has
 * already passed (nothing is waited for); without a table, a lookup after
 * its deadline is a timeout without a query. */
START_TEST(test_answer_in_counts)
{
	struct am_dns *d = am_test_dns_local(rrs, NULL);
	struct am_dns_prefetch *p = am_dns_prefetch_new(d);
	struct am_dns_answer ans;
	struct am_dns_query *q;
	uint64_t past;

	ck_assert(am_dns_prefetch_add(p, "_dmarc.example.org", T_TXT));
	/* the answer is in once a wait with time left returns it */
	q = am_dns_prefetch_start_by(p, d, "_dmarc.example.org", T_TXT,
	    am_dns_deadline(2000));
	am_dns_wait(q, am_dns_deadline(2000), &ans);
	ck_assert_int_eq(ans.result, AM_DNS_OK);
	am_dns_answer_release(&ans);
	q = am_dns_query_free(q);
	ck_assert(am_dns_prefetch_add(p, "sel._domainkey.example.org", T_TXT));
	(void)usleep(200 * 1000);	/* local data: answered by now */
	past = am_dns_deadline(0) - 1;
	ck_assert_int_eq(take(p, d, "sel._domainkey.example.org", T_TXT, past),
	    AM_DNS_OK);
	ck_assert_int_eq(take(NULL, d, "sel._domainkey.example.org", T_TXT,
	    past), AM_DNS_TEMPERROR);
	p = am_dns_prefetch_free(p);
	d = am_dns_free(d);
}
END_TEST

/* Queries that never end: taken, the check's deadline ends the wait; never
 * taken, freeing the table cancels them (am_dns_free() would panic on a
 * query left alive). */
START_TEST(test_dead_resolver)
{
	struct am_dns *d = dead_dns();
	struct am_dns_prefetch *p = am_dns_prefetch_new(d);
	struct timespec t0, t1;
	long ms;

	ck_assert(am_dns_prefetch_add(p, "a.example", T_A));
	ck_assert(am_dns_prefetch_add(p, "b.example", T_A));
	(void)clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(take(p, d, "a.example", T_A, am_dns_deadline(300)),
	    AM_DNS_TEMPERROR);
	(void)clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 +
	    (t1.tv_nsec - t0.tv_nsec) / 1000000;
	ck_assert_msg(ms >= 250 && ms < 3000, "got %ld ms, want ~300", ms);
	p = am_dns_prefetch_free(p);
	d = am_dns_free(d);
}
END_TEST

/* At most AM_DNS_PREFETCH_MAX queries per table; over it, nothing starts. */
START_TEST(test_full)
{
	struct am_dns *d = am_test_dns_local(rrs, NULL);
	struct am_dns_prefetch *p = am_dns_prefetch_new(d);
	unsigned long n0 = am_dns_query_count(d);
	char name[64];
	unsigned i;

	for (i = 0; i < AM_DNS_PREFETCH_MAX; i++) {
		(void)snprintf(name, sizeof(name), "n%u.example", i);
		ck_assert(am_dns_prefetch_add(p, name, T_A));
	}
	ck_assert(!am_dns_prefetch_add(p, "over.example", T_A));
	ck_assert_uint_eq(am_dns_query_count(d), n0 + AM_DNS_PREFETCH_MAX);
	p = am_dns_prefetch_free(p);
	ck_assert(am_dns_prefetch_free(NULL) == NULL);
	d = am_dns_free(d);
}
END_TEST

/* A table is for one resolver: handing it another is misuse. */
START_TEST(test_other_dns_panics)
{
	struct am_dns *d = am_test_dns_local(rrs, NULL);
	struct am_dns *e = am_test_dns_local(rrs, NULL);
	struct am_dns_prefetch *p = am_dns_prefetch_new(d);

	(void)am_dns_prefetch_start_by(p, e, "a.example", T_A,
	    am_dns_deadline(100));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("dns_prefetch");
	TCase *tc = tcase_create("prefetch");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_handover);
	tcase_add_test(tc, test_answer_in_counts);
	tcase_add_test(tc, test_dead_resolver);
	tcase_add_test(tc, test_full);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	if (srunner_fork_status(sr) != CK_NOFORK)
		tcase_add_test_raise_signal(tc, test_other_dns_panics, SIGABRT);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
