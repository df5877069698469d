/*
 * statsbench.c - what counting one message costs: ns per am_stats_count()
 * call for an inbound message at end of message (TLS, SPF, two DKIM
 * signatures, DMARC with a record), and for an outbound one with two
 * signatures; one thread, then two threads counting into the same struct
 * (the counters' cache lines move between the cores, the worst case of a
 * busy daemon); and am_stats_add_time() (a clock read and a histogram
 * observation: the processing time of one message). Printed, never
 * asserted: the numbers depend on the machine.
 *
 *   tests/bench/statsbench [CALLS]	(default 5,000,000 per thread)
 */
#include "autoconf.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pipeline/stats.h"

struct job {
	struct am_stats *st;		/* shared counters */
	const struct am_results *r;	/* the message counted */
	const struct am_verdict *v;	/* its verdict */
	unsigned long calls;		/* am_stats_count() calls to make */
};

static double
now_ns(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void *
run(void *arg)
{
	const struct job *j = arg;
	unsigned long i;

	for (i = 0; i < j->calls; i++)
		am_stats_count(j->st, j->r, j->v);
	return NULL;
}

/* measure - ns per call with nthreads threads counting calls each. */
static double
measure(struct am_stats *st, const struct am_results *r,
    const struct am_verdict *v, unsigned long calls, int nthreads)
{
	struct job j = { st, r, v, calls };
	pthread_t t[2];
	double t0;
	int i;

	t0 = now_ns();
	for (i = 0; i < nthreads; i++)
		if (pthread_create(&t[i], NULL, run, &j) != 0)
			abort();
	for (i = 0; i < nthreads; i++)
		(void)pthread_join(t[i], NULL);
	return (now_ns() - t0) / (double)calls;
}

/* time_add - ns per am_stats_add_time() call. */
static double
time_add(struct am_stats *st, unsigned long calls)
{
	struct timespec start;
	unsigned long i;
	double t0;

	(void)clock_gettime(CLOCK_MONOTONIC, &start);
	t0 = now_ns();
	for (i = 0; i < calls; i++)
		am_stats_add_time(st, &start);
	return (now_ns() - t0) / (double)calls;
}

int
main(int argc, char **argv)
{
	unsigned long calls = argc > 1 ? strtoul(argv[1], NULL, 10) : 5000000UL;
	struct am_tls_status tls = { .mode = AM_TLS_STARTTLS };
	struct am_spf_result spf = { .is_checked = true, .result = AM_SPF_PASS };
	struct am_dkim_sig sigs[2] = { { .result = AM_DKIM_FAIL },
	    { .result = AM_DKIM_PASS } };
	struct am_dkim_results dkim = { 2, sigs };
	struct am_dmarc_result dmarc = { .result = AM_DMARC_PASS };
	struct am_results_sig made[2] = {
		{ "v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=r;",
		  "example.com", "r" },
		{ "v=1; a=ed25519-sha256; c=relaxed/relaxed; d=example.com; "
		  "s=e;", "example.com", "e" } };
	struct am_results in, out;
	struct am_verdict vin, vout;
	struct am_stats *st = calloc(1, sizeof(*st));

	if (st == NULL || calls == 0)
		return 1;
	(void)snprintf(tls.version, sizeof(tls.version), "TLSv1.3");
	am_results_init(&in, AM_RESULTS_EOM);
	in.tls = &tls;
	in.has_inbound = true;
	in.spf_mfrom = &spf;
	in.spf_helo = &spf;
	in.dkim = &dkim;
	am_verdict_init(&vin);
	vin.mode = AM_MODE_INBOUND;
	vin.disp = AM_DISP_ACCEPT;
	vin.dmarc = &dmarc;
	am_results_init(&out, AM_RESULTS_EOM);
	out.tls = &tls;
	out.sign = AM_SIGN_DONE;
	out.sigs = made;
	out.nsigs = 2;
	am_verdict_init(&vout);
	vout.mode = AM_MODE_OUTBOUND;
	vout.disp = AM_DISP_ACCEPT;
	printf("am_stats_count, %lu calls per thread:\n", calls);
	printf("  inbound,  1 thread:  %6.1f ns/call\n",
	    measure(st, &in, &vin, calls, 1));
	printf("  outbound, 1 thread:  %6.1f ns/call\n",
	    measure(st, &out, &vout, calls, 1));
	printf("  inbound,  2 threads: %6.1f ns/call (wall time / calls of "
	    "one thread)\n", measure(st, &in, &vin, calls, 2));
	printf("am_stats_add_time, 1 thread: %6.1f ns/call\n",
	    time_add(st, calls));
	free(st);
	return 0;
}
