/*
 * check_histogram.c - lib/core/histogram.c: which bucket a value falls in
 * (a value equal to a bound belongs to it, as Prometheus's le= says), the
 * cumulative counts and the sum of a snapshot, and exact counts when two
 * threads add at once.
 */
#include "autoconf.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "core/histogram.h"
#include "testutil/testutil.h"

#define MS 1000000ULL

static const struct {
	uint64_t ns;		/* one observation */
	size_t want;		/* bucket index; NBOUNDS: +Inf */
} bucket_cases[] = {
	{ 0, 0 },
	{ 1, 0 },
	{ 1 * MS, 0 },		/* le="0.001" includes 0.001 */
	{ 1 * MS + 1, 1 },
	{ 5 * MS, 1 },
	{ 7 * MS, 2 },
	{ 100 * MS, 5 },
	{ 999 * MS, 8 },
	{ 1000 * MS, 8 },
	{ 4999 * MS, 10 },
	{ 30000 * MS, 12 },
	{ 30000 * MS + 1, AM_HISTOGRAM_NBOUNDS },
	{ UINT64_MAX / 2, AM_HISTOGRAM_NBOUNDS },
};

START_TEST(bucket_table)
{
	struct am_histogram h;
	struct am_histogram_snapshot s;
	size_t i, want = bucket_cases[_i].want;

	memset(&h, 0, sizeof(h));
	am_histogram_add(&h, bucket_cases[_i].ns);
	am_histogram_load(&h, &s);
	for (i = 0; i <= AM_HISTOGRAM_NBOUNDS; i++)
		ck_assert_msg(s.cum[i] == (i >= want ? 1U : 0U),
		    "%llu ns, cum[%zu]: got %llu, want %d",
		    (unsigned long long)bucket_cases[_i].ns, i, s.cum[i],
		    i >= want);
	ck_assert_uint_eq(s.count, 1);
	ck_assert_uint_eq(s.sum_ns, bucket_cases[_i].ns);
}
END_TEST

/* The bounds ascend, and their le= texts say the same numbers. */
START_TEST(bounds_and_texts)
{
	size_t i;

	for (i = 0; i < AM_HISTOGRAM_NBOUNDS; i++) {
		double le = strtod(am_histogram_le[i], NULL);

		ck_assert_msg((uint64_t)(le * 1e9 + 0.5) ==
		    am_histogram_bounds_ns[i], "le %s: got %llu ns",
		    am_histogram_le[i],
		    (unsigned long long)am_histogram_bounds_ns[i]);
		if (i > 0)
			ck_assert(am_histogram_bounds_ns[i] >
			    am_histogram_bounds_ns[i - 1]);
	}
	ck_assert_str_eq(am_histogram_le[0], "0.001");
	ck_assert_str_eq(am_histogram_le[AM_HISTOGRAM_NBOUNDS - 1], "30");
}
END_TEST

START_TEST(cumulative_and_sum)
{
	struct am_histogram h;
	struct am_histogram_snapshot s;
	static const unsigned long long want[AM_HISTOGRAM_NBOUNDS + 1] = {
		2, 2, 3, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 5 };
	size_t i;

	memset(&h, 0, sizeof(h));
	am_histogram_add(&h, 200000);		/* 0.2 ms */
	am_histogram_add(&h, 1 * MS);
	am_histogram_add(&h, 6 * MS);
	am_histogram_add(&h, 800 * MS);
	am_histogram_add(&h, 60000 * MS);	/* above 30 s */
	am_histogram_load(&h, &s);
	for (i = 0; i <= AM_HISTOGRAM_NBOUNDS; i++)
		ck_assert_msg(s.cum[i] == want[i], "cum[%zu]: got %llu, want "
		    "%llu", i, s.cum[i], want[i]);
	ck_assert_uint_eq(s.count, 5);
	ck_assert_uint_eq(s.sum_ns, 200000 + 1 * MS + 6 * MS + 800 * MS +
	    60000 * MS);
}
END_TEST

#define PER_THREAD 200000

static void *
adder(void *arg)
{
	struct am_histogram *h = arg;
	uint64_t i;

	for (i = 0; i < PER_THREAD; i++)
		am_histogram_add(h, (i % 3) * 3 * MS);	/* 0, 3, 6 ms */
	return NULL;
}

/* No lock, no lost update: two threads, every observation counted. */
START_TEST(two_threads)
{
	struct am_histogram *h = calloc(1, sizeof(*h));
	struct am_histogram_snapshot s;
	pthread_t t[2];
	int i;

	ck_assert_ptr_nonnull(h);
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, adder, h), 0);
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
	am_histogram_load(h, &s);
	ck_assert_uint_eq(s.count, 2 * PER_THREAD);
	/* 0 ms: a third; 3 ms (<= 5 ms): another third */
	ck_assert_uint_eq(s.cum[0], 2 * ((PER_THREAD + 2) / 3));
	ck_assert_uint_eq(s.cum[1], s.cum[0] + 2 * ((PER_THREAD + 1) / 3));
	ck_assert_uint_eq(s.cum[2], s.count);
	free(h);
}
END_TEST

START_TEST(load_null_panics)
{
	struct am_histogram_snapshot s;

	am_histogram_load(NULL, &s);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("histogram");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, bucket_table, 0,
	    (int)(sizeof(bucket_cases) / sizeof(bucket_cases[0])));
	tcase_add_test(tc, bounds_and_texts);
	tcase_add_test(tc, cumulative_and_sum);
	tcase_add_test(tc, two_threads);
	if (am_test_can_fork())
		tcase_add_test_raise_signal(tc, load_null_panics, SIGABRT);
	suite_add_tcase(s, tc);
	return am_test_run(s);
}
