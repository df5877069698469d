/*
 * NAME        am_dns_budget - one message's time for all of its DNS lookups
 * SYNOPSIS    struct am_dns_budget *b = am_dns_budget_new(timeout_ms);
 *             q = am_dns_budget_start(b, dns, name, rrtype);  // or pass
 *             am_dns_budget_wait(b, q, &ans);          // the deadline on:
 *             am_spf_check(..., am_dns_budget_deadline(b), ...);
 *             am_dns_budget_reset(b);                  // next message
 *             b = am_dns_budget_free(b);
 * DESCRIPTION A message gets DNSTimeout once, not once per lookup: SPF with
 *             its includes, the DKIM key lookups and the DMARC records and
 *             tree walk all wait against the same deadline, so a dead
 *             resolver costs one DNSTimeout per message, not one per stage.
 *             am_dns_budget_new() returns an owned budget of timeout_ms
 *             that has not started; am_dns_budget_free() accepts NULL and
 *             returns NULL; am_dns_budget_reset() makes it unstarted again.
 *             am_dns_budget_deadline() starts the budget on its first call
 *             (the first lookup of the message: deadline = now +
 *             timeout_ms, CLOCK_MONOTONIC ms as am_dns_deadline()) and
 *             returns that same deadline on every later call. Code that
 *             starts a lookup earlier in the transaction (MAIL FROM, end of
 *             headers) uses the same object, so the budget starts there.
 *             am_dns_budget_start() is am_dns_start_by() with the budget's
 *             deadline: once the budget is spent, a lookup fails at once
 *             (TEMPERROR "timeout") without a query. am_dns_budget_wait()
 *             waits for q no longer than the deadline.
 *             am_dns_budget_is_started() / am_dns_budget_is_spent() say
 *             whether the budget has started / its deadline has passed.
 * THREADS     one budget per message; the deadline is set by one atomic
 *             compare-and-swap, so lookups of the message may be started
 *             from any thread.
 * DIAGNOSTICS NULL arguments are a panic.
 */
#ifndef AM_DNS_BUDGET_H
#define AM_DNS_BUDGET_H

#include <stdbool.h>
#include <stdint.h>

#include "dns/dns.h"

struct am_dns_budget;

struct am_dns_budget *am_dns_budget_new(unsigned timeout_ms);
struct am_dns_budget *am_dns_budget_free(struct am_dns_budget *b);
void am_dns_budget_reset(struct am_dns_budget *b);
uint64_t am_dns_budget_deadline(struct am_dns_budget *b);
bool am_dns_budget_is_started(const struct am_dns_budget *b);
bool am_dns_budget_is_spent(const struct am_dns_budget *b);
struct am_dns_query *am_dns_budget_start(struct am_dns_budget *b,
    struct am_dns *dns, const char *name, int rrtype);
void am_dns_budget_wait(struct am_dns_budget *b, struct am_dns_query *q,
    struct am_dns_answer *ans);

#endif
