/*
 * NAME        am_histogram - a latency histogram that any thread may add to
 *             without a lock (the DNS lookups, the messages; Prometheus
 *             histograms, lib/pipeline/stats.h)
 * SYNOPSIS    struct am_histogram h = { 0 };	(zeroed: empty)
 *             am_histogram_add(&h, elapsed_ns);	(any thread)
 *             struct am_histogram_snapshot s;
 *             am_histogram_load(&h, &s);
 * DESCRIPTION Fixed bucket bounds, the same for every histogram, in
 *             seconds: 0.001 0.005 0.01 0.025 0.05 0.1 0.25 0.5 1 2.5 5 10
 *             30 (AM_HISTOGRAM_NBOUNDS of them, am_histogram_bounds_ns[] in
 *             nanoseconds, am_histogram_le[] as Prometheus writes them in
 *             le=""). am_histogram_add() counts one observation of ns
 *             nanoseconds in the first bucket whose bound is >= ns (a value
 *             above the last bound goes to the +Inf bucket) and adds ns to
 *             the sum: two relaxed atomic additions, no lock.
 *             am_histogram_load() reads it into s (caller's storage):
 *             cumulative counts per bound (cum[i] = observations <= bound
 *             i; cum[AM_HISTOGRAM_NBOUNDS] = all of them = count) and the
 *             sum. The buckets are read one by one while other threads may
 *             add, so a snapshot is not one instant: count is derived from
 *             the buckets read (never smaller than a bucket), and the sum
 *             may include an observation the buckets do not yet show.
 * THREADS     add: any thread; load: any thread.
 */
#ifndef AM_HISTOGRAM_H
#define AM_HISTOGRAM_H

#include <stdatomic.h>
#include <stdint.h>

#define AM_HISTOGRAM_NBOUNDS 13	/* finite bucket bounds */

struct am_histogram {
	atomic_ullong n[AM_HISTOGRAM_NBOUNDS + 1];	/* observations per
							 * bucket (not
							 * cumulative); the
							 * last is above the
							 * last bound */
	atomic_ullong sum_ns;		/* sum of the observations, ns */
};

struct am_histogram_snapshot {
	unsigned long long cum[AM_HISTOGRAM_NBOUNDS + 1];	/* observations
								 * <= bound i;
								 * last: +Inf */
	unsigned long long count;	/* = cum[AM_HISTOGRAM_NBOUNDS] */
	unsigned long long sum_ns;	/* sum, ns */
};

extern const uint64_t am_histogram_bounds_ns[AM_HISTOGRAM_NBOUNDS];
extern const char *const am_histogram_le[AM_HISTOGRAM_NBOUNDS];

void am_histogram_add(struct am_histogram *h, uint64_t ns);
void am_histogram_load(const struct am_histogram *h,
    struct am_histogram_snapshot *s);

#endif
