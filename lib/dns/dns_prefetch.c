/*
 * dns_prefetch.c - a small table of queries started early (contract in
 * dns_prefetch.h). A linear table: a message prefetches a handful of names
 * (its DKIM keys, its _dmarc names), so a scan beats any hashing.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/am.h"
#include "core/xalloc.h"
#include "dns/dns.h"
#include "dns/dns_prefetch.h"

/* One query started early and not taken yet. */
struct entry {
	char name[AM_DNS_MAX_NAME + 2];	/* as given, final dot kept */
	int rrtype;			/* ns_t_* */
	struct am_dns_query *q;		/* owned; NULL once taken */
};

struct am_dns_prefetch {
	struct am_dns *dns;			/* borrowed */
	struct entry e[AM_DNS_PREFETCH_MAX];	/* e[0 .. n - 1] used */
	unsigned n;				/* entries used */
	unsigned started;			/* queries started */
	unsigned taken;				/* queries handed over */
};

struct am_dns_prefetch *
am_dns_prefetch_new(struct am_dns *dns)
{
	struct am_dns_prefetch *p;

	if (dns == NULL)
		AM_PANIC("am_dns_prefetch_new: NULL dns");
	p = am_xcalloc(1, sizeof(*p));
	p->dns = dns;
	return p;
}

/* am_dns_prefetch_free - cancel what was never taken; accepts NULL. */
struct am_dns_prefetch *
am_dns_prefetch_free(struct am_dns_prefetch *p)
{
	unsigned i;

	if (p == NULL)
		return NULL;
	for (i = 0; i < p->n; i++)
		p->e[i].q = am_dns_query_free(p->e[i].q);
	free(p);
	return NULL;
}

/* same_name - equal without case and without one final dot. */
static bool
same_name(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la > 0 && a[la - 1] == '.')
		la--;
	if (lb > 0 && b[lb - 1] == '.')
		lb--;
	return la == lb && strncasecmp(a, b, la) == 0;
}

/* find - the entry of name/rrtype (taken or not), or NULL. */
static struct entry *
find(struct am_dns_prefetch *p, const char *name, int rrtype)
{
	unsigned i;

	for (i = 0; i < p->n; i++)
		if (p->e[i].rrtype == rrtype && same_name(p->e[i].name, name))
			return &p->e[i];
	return NULL;
}

/* am_dns_prefetch_add - start name/rrtype now (see the header). */
bool
am_dns_prefetch_add(struct am_dns_prefetch *p, const char *name, int rrtype)
{
	struct entry *e;

	if (p == NULL || name == NULL)
		AM_PANIC("am_dns_prefetch_add: NULL argument");
	if (p->n == AM_DNS_PREFETCH_MAX || find(p, name, rrtype) != NULL ||
	    strlen(name) >= sizeof(p->e[0].name))
		return false;
	e = &p->e[p->n++];
	memcpy(e->name, name, strlen(name) + 1);
	e->rrtype = rrtype;
	e->q = am_dns_start(p->dns, name, rrtype);
	p->started++;
	return true;
}

/* am_dns_prefetch_start_by - the early query, or a new one. */
struct am_dns_query *
am_dns_prefetch_start_by(struct am_dns_prefetch *p, struct am_dns *dns,
    const char *name, int rrtype, uint64_t deadline_ms)
{
	struct am_dns_query *q;
	struct entry *e;

	if (dns == NULL || name == NULL)
		AM_PANIC("am_dns_prefetch_start_by: NULL argument");
	if (p == NULL)
		return am_dns_start_by(dns, name, rrtype, deadline_ms);
	if (p->dns != dns)
		AM_PANIC("am_dns_prefetch_start_by: table of another resolver");
	if ((e = find(p, name, rrtype)) == NULL || e->q == NULL)
		return am_dns_start_by(dns, name, rrtype, deadline_ms);
	q = e->q;
	e->q = NULL;
	p->taken++;
	return q;
}

void
am_dns_prefetch_stats(const struct am_dns_prefetch *p, unsigned *started,
    unsigned *taken)
{
	if (p == NULL)
		AM_PANIC("am_dns_prefetch_stats: NULL table");
	if (started != NULL)
		*started = p->started;
	if (taken != NULL)
		*taken = p->taken;
}
