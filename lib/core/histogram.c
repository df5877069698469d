/*
 * histogram.c - fixed-bound latency histograms (histogram.h). Each bucket
 * is counted on its own (not cumulatively), so an observation costs one
 * atomic addition for its bucket and one for the sum; the cumulative counts
 * Prometheus wants are added up when a snapshot is read. The bounds are
 * the ones the Prometheus client libraries use by default, with 0.001,
 * 10 and 30 s (a DNSTimeout of up to 60 s) added: a lookup answered from
 * the cache takes microseconds, a message held by a dead name server tens
 * of seconds.
 */
#include "autoconf.h"

#include "core/am.h"
#include "core/histogram.h"

#define MS 1000000ULL	/* ns per ms */

const uint64_t am_histogram_bounds_ns[AM_HISTOGRAM_NBOUNDS] = {
	1 * MS, 5 * MS, 10 * MS, 25 * MS, 50 * MS, 100 * MS, 250 * MS,
	500 * MS, 1000 * MS, 2500 * MS, 5000 * MS, 10000 * MS, 30000 * MS,
};

const char *const am_histogram_le[AM_HISTOGRAM_NBOUNDS] = {
	"0.001", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1",
	"2.5", "5", "10", "30",
};

/* am_histogram_add - one observation of ns nanoseconds. */
void
am_histogram_add(struct am_histogram *h, uint64_t ns)
{
	size_t i = 0;

	while (i < AM_HISTOGRAM_NBOUNDS && ns > am_histogram_bounds_ns[i])
		i++;
	atomic_fetch_add_explicit(&h->n[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->sum_ns, ns, memory_order_relaxed);
}

/* am_histogram_load - cumulative counts, count and sum into s. */
void
am_histogram_load(const struct am_histogram *h,
    struct am_histogram_snapshot *s)
{
	unsigned long long total = 0;
	size_t i;

	if (h == NULL || s == NULL)
		AM_PANIC("am_histogram_load: NULL argument");
	for (i = 0; i <= AM_HISTOGRAM_NBOUNDS; i++) {
		total += atomic_load_explicit(&h->n[i], memory_order_relaxed);
		s->cum[i] = total;
	}
	s->count = total;
	s->sum_ns = atomic_load_explicit(&h->sum_ns, memory_order_relaxed);
}
