/*
 * NAME        am_dns_prefetch - one message's lookups started early, handed
 *             to the code that asks for them later
 * SYNOPSIS    p = am_dns_prefetch_new(dns);
 *             am_dns_prefetch_add(p, "sel._domainkey.example.org", ns_t_txt);
 *             ... the body streams; the query runs ...
 *             q = am_dns_prefetch_start_by(p, dns, name, ns_t_txt, deadline);
 *             am_dns_wait(q, deadline, &ans); q = am_dns_query_free(q);
 *             p = am_dns_prefetch_free(p);
 * DESCRIPTION A message knows some of the names its checks will look up
 *             long before end of message (the DKIM keys and the DMARC
 *             records once its headers are in), and the checks run at end
 *             of message. am_dns_prefetch_add() starts the query for
 *             name/rrtype at once (am_dns_start(): no deadline yet, nobody
 *             waits), unless the table already holds that name and type or
 *             is full (AM_DNS_PREFETCH_MAX queries); it returns whether a
 *             query was started. Names compare without case and without a
 *             final dot. am_dns_prefetch_start_by() is the check's own
 *             am_dns_start_by(): when the table holds name/rrtype, that
 *             query is taken out of the table and returned (owned by the
 *             caller, who waits for it with its own deadline and frees it;
 *             an answer already in counts even when the deadline has
 *             passed), otherwise am_dns_start_by(dns, ...) runs. p may be
 *             NULL (no prefetch: always am_dns_start_by). A name is handed
 *             over once: asked again it is a new query (libunbound's cache
 *             answers it). No query is made twice for one name, so the
 *             early start costs no extra lookup, and it does not depend on
 *             the cache (a TTL of 0 still works).
 *             am_dns_prefetch_free() cancels and frees what was never taken
 *             (a transaction aborted, a check that did not need the name):
 *             am_dns_query_free() makes sure no answer arrives into freed
 *             memory. Accepts NULL, returns NULL.
 *             am_dns_prefetch_stats() gives the queries started and taken so
 *             far (tests, logs).
 * THREADS     one table per message, used by one thread at a time (queries
 *             may be started and taken on different threads in turn).
 * DIAGNOSTICS NULL dns or name, or a p made on another dns, is a panic.
 */
#ifndef AM_DNS_PREFETCH_H
#define AM_DNS_PREFETCH_H

#include <stdbool.h>
#include <stdint.h>

#include "dns/dns.h"

#define AM_DNS_PREFETCH_MAX 32	/* queries per message */

struct am_dns_prefetch;

struct am_dns_prefetch *am_dns_prefetch_new(struct am_dns *dns);
struct am_dns_prefetch *am_dns_prefetch_free(struct am_dns_prefetch *p);
bool am_dns_prefetch_add(struct am_dns_prefetch *p, const char *name,
    int rrtype);
struct am_dns_query *am_dns_prefetch_start_by(struct am_dns_prefetch *p,
    struct am_dns *dns, const char *name, int rrtype, uint64_t deadline_ms);
void am_dns_prefetch_stats(const struct am_dns_prefetch *p,
    unsigned *started, unsigned *taken);

#endif
