/*
 * NAME        am_spf_dns - DNS for one SPF check: limits, record selection
 * DESCRIPTION The lookups of one SPF evaluation (lib/spf_record.c) go
 *             through am_spf_dns_lookup() on a struct am_spf_dns_check owned
 *             by the caller (on its stack; nothing is global): the absolute
 *             deadline for every query (CLOCK_MONOTONIC ms, see
 *             am_dns_deadline()), the RFC 7208 §4.6.4 limits and counters.
 *
 *             am_spf_dns_lookup() answers like am_dns (ans is owned by the
 *             caller: am_dns_answer_release()), and also:
 *               - follows a CNAME that the answer holds without the records
 *                 asked for (libunbound's local data does not chase them; a
 *                 recursive libunbound already has): at most 8 links, a loop
 *                 is TEMPERROR "CNAME loop" (RFC 1034 §3.6.2);
 *               - with is_void_counted, counts NXDOMAIN/NODATA answers; more
 *                 than chk->void_limit of them is a limit hit;
 *               - more than AM_SPF_DNS_MAX_QUERIES queries in one check (a
 *                 safety net) is a limit hit.
 *             On a limit hit chk->is_limit_hit is set, chk->why names the
 *             limit, and this and every later lookup answers TEMPERROR
 *             without a query: the caller must report permerror. A
 *             TEMPERROR answer otherwise sets chk->has_temperror and names
 *             the name and the reason in chk->why.
 *             am_spf_dns_count_term() counts one mechanism or modifier that
 *             does DNS lookups (include a mx ptr exists redirect); past
 *             AM_SPF_DNS_MAX_TERMS it is a limit hit and returns false.
 *             am_spf_dns_name() turns uncompressed wire rdata (MX after its
 *             preference, PTR) into a dotted name.
 *
 *             am_spf_dns_record() fetches the SPF record of domain: one TXT
 *             query (type SPF is retired, RFC 7208 §3.1; not void-counted),
 *             §4.5 selection (no "v=spf1" record: NONE, more than one:
 *             MULTIPLE) and a check of the chosen text against the §12 ABNF
 *             (bad domain-specs, CIDR "/032", control characters, a second
 *             redirect= or exp=: SYNTAX). The record text goes into rec.
 *             am_spf_dns_exp_text() fetches an explanation (§6.2: exactly
 *             one TXT record, no NUL byte), not counted towards any limit.
 * THREADS     reentrant; a check's state belongs to the calling thread.
 */
#ifndef AM_SPF_DNS_H
#define AM_SPF_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "am.h"
#include "buf.h"
#include "dns.h"

/* RFC 7208 §4.6.4: at most 10 terms that cause DNS queries. */
#define AM_SPF_DNS_MAX_TERMS 10
/* Safety net on queries per check: 10 terms x (1 + 10 names) + slack. */
#define AM_SPF_DNS_MAX_QUERIES 200

struct am_spf_dns_check {
	struct am_dns *dns;	/* borrowed: the resolver */
	uint64_t deadline_ms;	/* absolute CLOCK_MONOTONIC, in ms */
	unsigned void_limit;	/* void lookups allowed (RFC 7208: 2) */
	unsigned voids;		/* counted NXDOMAIN/NODATA answers */
	unsigned queries;	/* queries sent so far */
	unsigned terms;		/* DNS terms evaluated so far */
	bool is_limit_hit;	/* a limit was exceeded: permerror */
	bool has_temperror;	/* some query failed temporarily */
	char why[160];		/* which limit, or the last DNS failure */
};

enum am_spf_dns_rec {
	AM_SPF_REC_FOUND = 0,	/* exactly one valid record, in rec */
	AM_SPF_REC_NONE,	/* no record (NXDOMAIN, NODATA, no v=spf1) */
	AM_SPF_REC_MULTIPLE,	/* more than one v=spf1 record */
	AM_SPF_REC_SYNTAX,	/* the one record breaks the §12 ABNF */
	AM_SPF_REC_TEMPERROR,	/* the TXT query failed (or a limit hit) */
};

void am_spf_dns_lookup(struct am_spf_dns_check *chk, const char *name,
    int rrtype, bool is_void_counted, struct am_dns_answer *ans);
bool am_spf_dns_count_term(struct am_spf_dns_check *chk);
enum am_status am_spf_dns_name(const uint8_t *p, size_t len,
    struct am_buf *out);
enum am_spf_dns_rec am_spf_dns_record(struct am_spf_dns_check *chk,
    const char *domain, struct am_buf *rec);
enum am_status am_spf_dns_exp_text(struct am_spf_dns_check *chk,
    const char *domain, struct am_buf *txt);

#endif
