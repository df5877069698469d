/*
 * dns_budget.c - one deadline for all the DNS lookups of a message
 * (contract in dns_budget.h). The deadline is 0 until the first lookup and
 * is then set once with a compare-and-swap; a lookup that starts after it
 * fails in am_dns_start_by() without a query.
 */
#include "autoconf.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "core/am.h"
#include "core/xalloc.h"
#include "dns/dns.h"
#include "dns/dns_budget.h"

struct am_dns_budget {
	unsigned timeout_ms;		/* DNSTimeout, in ms; immutable */
	_Atomic uint64_t deadline_ms;	/* CLOCK_MONOTONIC ms; 0 = not
					 * started (atomic) */
};

/* am_dns_budget_new - a budget of timeout_ms that has not started. */
struct am_dns_budget *
am_dns_budget_new(unsigned timeout_ms)
{
	struct am_dns_budget *b = am_xcalloc(1, sizeof(*b));

	b->timeout_ms = timeout_ms;
	atomic_init(&b->deadline_ms, 0);
	return b;
}

/* am_dns_budget_free - accepts NULL, returns NULL. */
struct am_dns_budget *
am_dns_budget_free(struct am_dns_budget *b)
{
	free(b);
	return NULL;
}

/* am_dns_budget_reset - not started again (the next message). */
void
am_dns_budget_reset(struct am_dns_budget *b)
{
	if (b == NULL)
		AM_PANIC("am_dns_budget_reset: NULL budget");
	atomic_store(&b->deadline_ms, 0);
}

/* am_dns_budget_deadline - start on the first call; the deadline. */
uint64_t
am_dns_budget_deadline(struct am_dns_budget *b)
{
	uint64_t cur, mine;

	if (b == NULL)
		AM_PANIC("am_dns_budget_deadline: NULL budget");
	if ((cur = atomic_load(&b->deadline_ms)) != 0)
		return cur;
	mine = am_dns_deadline(b->timeout_ms);
	/* The first caller wins; a loser gets the winner's deadline. */
	if (atomic_compare_exchange_strong(&b->deadline_ms, &cur, mine))
		return mine;
	return cur;
}

/* am_dns_budget_is_started - has a lookup started the clock? */
bool
am_dns_budget_is_started(const struct am_dns_budget *b)
{
	if (b == NULL)
		AM_PANIC("am_dns_budget_is_started: NULL budget");
	return atomic_load(&b->deadline_ms) != 0;
}

/* am_dns_budget_is_spent - started, and the deadline has passed. */
bool
am_dns_budget_is_spent(const struct am_dns_budget *b)
{
	uint64_t d;

	if (b == NULL)
		AM_PANIC("am_dns_budget_is_spent: NULL budget");
	d = atomic_load(&b->deadline_ms);
	return d != 0 && am_dns_deadline(0) >= d;
}

/* am_dns_budget_start - a lookup against the budget. */
struct am_dns_query *
am_dns_budget_start(struct am_dns_budget *b, struct am_dns *dns,
    const char *name, int rrtype)
{
	if (b == NULL || dns == NULL || name == NULL)
		AM_PANIC("am_dns_budget_start: NULL argument");
	return am_dns_start_by(dns, name, rrtype, am_dns_budget_deadline(b));
}

/* am_dns_budget_wait - wait for q until the budget's deadline. */
void
am_dns_budget_wait(struct am_dns_budget *b, struct am_dns_query *q,
    struct am_dns_answer *ans)
{
	if (b == NULL || q == NULL || ans == NULL)
		AM_PANIC("am_dns_budget_wait: NULL argument");
	am_dns_wait(q, am_dns_budget_deadline(b), ans);
}
