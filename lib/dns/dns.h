/*
 * NAME        am_dns - the one caching resolver (libunbound) for everything
 * DESCRIPTION am_dns_new() builds one shared libunbound context: async mode
 *             (threads, never fork) set before anything else, forwarders from
 *             opts->nameservers ("addr[@port], ..."; NULL/empty = the system's
 *             /etc/resolv.conf), DNSSEC trust anchor from
 *             opts->trust_anchor_file (NULL/empty = no validation), debug
 *             output silenced, up to 256 queries in flight (libunbound's
 *             library default is 16), and one poller thread that runs
 *             ub_process().
 *             libunbound's own worker thread is started before it returns
 *             (a local "localhost." query), not at the first real query:
 *             libevent exits the process when that thread cannot get its
 *             descriptors, so am_dns_new() first checks that 16 are free
 *             and otherwise returns NULL ("only N file descriptors free").
 *             With opts->local_only the context answers only from local data
 *             (a static "." zone: unknown names are NXDOMAIN, no traffic) --
 *             for unit tests; data is added with am_dns_add_local() using
 *             unbound's local-data syntax ("name. 300 IN TXT \"v=spf1 -all\"").
 *             am_dns_add_local_zone() adds a local zone with a type
 *             ("refuse" answers REFUSED, for temperror tests). Local data
 *             may be added at any time; zones only while no query runs
 *             (each new zone briefly re-creates the "." zone to work around
 *             a libunbound bug, see dns_ctx.c).
 *
 *             am_dns_start() begins one query and returns an owned handle
 *             (never NULL; errors are reported by the wait);
 *             am_dns_wait() waits for it until deadline (an absolute
 *             CLOCK_MONOTONIC time in ms, see am_dns_deadline()) and fills
 *             *ans (overwritten: release an earlier answer first). When the
 *             deadline passes the query is cancelled and the answer is
 *             TEMPERROR "timeout"; waiting again gives the same answer.
 *             am_dns_start_by() is am_dns_start() for a query that must
 *             be answered by deadline_ms: once that time has passed it
 *             sends nothing and returns a query that is already over,
 *             TEMPERROR "timeout" (a message's DNS budget, dns_budget.h).
 *             am_dns_query_free() releases the handle (cancelling the
 *             query if still running) and may be called at any time.
 *             am_dns_lookup() = start + wait + free. am_dns_free() accepts
 *             NULL and returns NULL; every query must have been freed
 *             before (else it panics: interface violation).
 *
 *             Names may end with a dot or not. A malformed name (empty, an
 *             empty label, a label over 63 or a name over AM_DNS_MAX_NAME
 *             characters, or a backslash escape) is not sent to libunbound:
 *             it is AM_DNS_NXDOMAIN with rcode -1 and why "malformed name",
 *             since such a name cannot exist (RFC 7208 §4.3 and §4.6.4 treat
 *             it like a name that does not exist; for DKIM it is no key).
 *
 *             Result mapping (LIBRARY-NOTES §5): an answer with records is
 *             AM_DNS_OK; NXDOMAIN is AM_DNS_NXDOMAIN; NOERROR without records
 *             is AM_DNS_NODATA; SERVFAIL, REFUSED, other rcodes, an unbound
 *             error, a DNSSEC-bogus answer or the deadline passing are
 *             AM_DNS_TEMPERROR with the reason in ans->why.
 *
 *             struct am_dns_answer owns its copies: rdata of each record
 *             (uncompressed wire rdata as libunbound gives it) and the whole
 *             answer packet (wire format, with the question section; what
 *             libopendkim's DNS hook wants). am_dns_answer_release() frees them.
 *             am_dns_answer_release() leaves an empty TEMPERROR answer.
 *             am_dns_txt() joins the character-strings of TXT record i into a
 *             C string in out (reset first; returns AM_PERMFAIL, out empty,
 *             if i >= count, it does not fit or the rdata is malformed).
 *             A string may hold a NUL byte: out->len is the true length.
 *
 *             Counters (for the metrics endpoint; lib/pipeline/stats.h).
 *             am_dns_set_counters() points the resolver at a struct
 *             am_dns_counters the caller owns (borrowed: it must outlive
 *             the resolver; NULL: count nothing, the default). The process
 *             keeps one in its counters and hands it to every runtime's
 *             resolver it swaps in, so a reload does not reset them. Counted
 *             from then on: queries (handed to libunbound, as
 *             am_dns_query_count()), answers by class (what libunbound
 *             delivered: records, NXDOMAIN, NODATA, SERVFAIL, REFUSED,
 *             another rcode or a resolver error, DNSSEC-bogus; counted when
 *             the answer arrives, also when its caller has stopped
 *             waiting), the time from sending to the answer (latency, in
 *             the histogram: answered queries only), and timeouts: waits
 *             that reached their deadline, and queries not sent because the
 *             message's DNS budget was already spent (am_dns_start_by()).
 *             libunbound does not say whether an answer came from its
 *             cache; a cached answer shows as a latency in the first bucket.
 *             Malformed names are not queries and are not counted.
 * THREADS     one context shared by all threads; start/wait/free of one query
 *             from one thread at a time; different queries in parallel.
 *             One poller thread (all signals blocked) delivers answers.
 */
#ifndef AM_DNS_H
#define AM_DNS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/am.h"
#include "core/buf.h"
#include "core/histogram.h"

enum am_dns_result {
	AM_DNS_OK = 0,		/* one or more records */
	AM_DNS_NXDOMAIN,	/* name does not exist */
	AM_DNS_NODATA,		/* name exists, no record of that type */
	AM_DNS_TEMPERROR,	/* SERVFAIL, REFUSED, timeout, bogus, error */
};

struct am_dns_opts {
	const char *nameservers;	/* "addr[@port], ..." or NULL */
	const char *trust_anchor_file;	/* DNSSEC root key, or NULL */
	bool local_only;		/* answer only from local data */
};

struct am_dns_answer {
	enum am_dns_result result;	/* see above */
	int rcode;			/* DNS rcode, or -1 when none */
	bool secure;			/* DNSSEC validated */
	bool bogus;			/* DNSSEC validation failed */
	uint32_t ttl;			/* seconds */
	size_t count;			/* number of records */
	uint8_t **data;			/* owned: rdata of record i */
	size_t *len;			/* owned: length of data[i] in bytes */
	uint8_t *packet;		/* owned: whole answer, wire format */
	size_t packet_len;		/* bytes; 0 when there was no packet */
	char why[160];			/* reason for TEMPERROR or a
					 * malformed name, else "" */
};

/* What libunbound answered, for the counters. */
enum am_dns_class {
	AM_DNS_CLASS_OK = 0,	/* rcode 0 with records */
	AM_DNS_CLASS_NXDOMAIN,	/* rcode 3 */
	AM_DNS_CLASS_NODATA,	/* rcode 0 without records */
	AM_DNS_CLASS_SERVFAIL,	/* rcode 2 */
	AM_DNS_CLASS_REFUSED,	/* rcode 5 */
	AM_DNS_CLASS_BOGUS,	/* DNSSEC validation failed */
	AM_DNS_CLASS_ERROR,	/* another rcode, or a resolver error */
	AM_DNS_CLASS_COUNT
};

/* Counters of every resolver attached to it (am_dns_set_counters). */
struct am_dns_counters {
	atomic_ullong queries;		/* handed to libunbound */
	atomic_ullong answers[AM_DNS_CLASS_COUNT];	/* per am_dns_class */
	atomic_ullong timeouts;		/* deadline reached, or budget spent */
	struct am_histogram latency;	/* sent -> answered, ns */
};

/* RFC 1035 §2.3.4: names of at most 253 characters (without a final dot). */
#define AM_DNS_MAX_NAME 253

struct am_dns;
struct am_dns_query;

struct am_dns *am_dns_new(const struct am_dns_opts *opts, struct am_why *why);
struct am_dns *am_dns_free(struct am_dns *dns);
enum am_status am_dns_add_local(struct am_dns *dns, const char *rr,
    struct am_why *why);
enum am_status am_dns_add_local_zone(struct am_dns *dns, const char *zone,
    const char *type, struct am_why *why);

/* am_dns_deadline - now (CLOCK_MONOTONIC) + timeout_ms, in ms. */
uint64_t am_dns_deadline(unsigned timeout_ms);
struct am_dns_query *am_dns_start(struct am_dns *dns, const char *name,
    int rrtype);
struct am_dns_query *am_dns_start_by(struct am_dns *dns, const char *name,
    int rrtype, uint64_t deadline_ms);
void am_dns_wait(struct am_dns_query *q, uint64_t deadline_ms,
    struct am_dns_answer *ans);
struct am_dns_query *am_dns_query_free(struct am_dns_query *q);
void am_dns_lookup(struct am_dns *dns, const char *name, int rrtype,
    unsigned timeout_ms, struct am_dns_answer *ans);
void am_dns_answer_release(struct am_dns_answer *ans);
enum am_status am_dns_txt(const struct am_dns_answer *ans, size_t i,
    struct am_buf *out);
const char *am_dns_result_name(enum am_dns_result r);
/* am_dns_query_count - queries handed to libunbound so far (cache hits
 * included; malformed names are not counted). */
unsigned long am_dns_query_count(const struct am_dns *dns);
/* am_dns_set_counters - count into c from now on (NULL: stop counting). */
void am_dns_set_counters(struct am_dns *dns, struct am_dns_counters *c);
/* am_dns_class_name - "ok", "nxdomain", "nodata", "servfail", "refused",
 * "bogus", "error". */
const char *am_dns_class_name(enum am_dns_class c);
/* am_dns_set_callback_delay - tests only: the poller sleeps delay_us before
 * recording each answer, so a cancel can land after libunbound has already
 * handed the answer over (the late-callback path). 0 turns it off. */
void am_dns_set_callback_delay(struct am_dns *dns, unsigned delay_us);

#endif
