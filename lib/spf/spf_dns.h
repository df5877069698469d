/*
 * NAME        am_spf_dns - libspf2 DNS layer (SPF_dns_server_t) over am_dns
 * DESCRIPTION am_spf_dns_new() returns an owned SPF_dns_server_t that resolves
 *             through dns (borrowed; it must outlive the layer). Hand it to
 *             SPF_server_new_dns(); SPF_server_free() then frees it (the
 *             layer has a destroy function). It answers:
 *               A, AAAA, MX, PTR, TXT  from am_dns (uncompressed rdata);
 *               SPF (type 99)          NO_DATA locally, no query (RFC 7208
 *                                      §3.1 retired the type);
 *               anything else          NO_DATA locally.
 *             am_dns results map to herrno: OK -> NETDB_SUCCESS (a TXT that
 *             is exactly "v=spf1" gets the trailing space libspf2 insists
 *             on), NXDOMAIN -> HOST_NOT_FOUND, NODATA -> NO_DATA, TEMPERROR
 *             -> TRY_AGAIN. lookup never returns NULL (libspf2 would abort).
 *             The layer also installs libspf2's get_spf hook (top-level,
 *             include and redirect records): one TXT query, RFC 7208 §4.5
 *             selection (none / exactly one / multiple = permerror), a check
 *             against the §12 ABNF (libspf2 accepts bad domain-specs, CIDR
 *             "/032", control characters; those become permerror), then
 *             SPF_record_compile(); the response's result is always set.
 *
 *             Per-check state lives in a struct am_spf_dns_check owned by the
 *             caller (on its stack): the absolute deadline for every query
 *             (CLOCK_MONOTONIC ms, see am_dns_deadline()), the RFC 7208
 *             §4.6.4 limits and counters, and the explanation hook.
 *             am_spf_dns_begin(chk) makes chk the current check of the calling
 *             thread; am_spf_dns_end() clears it. Call them around each
 *             SPF_request_query_*(): libspf2 evaluates synchronously on the
 *             calling thread, so a thread-local pointer to the check is how
 *             the shared layer finds it (libspf2's lookup has no argument for
 *             it). A lookup outside begin/end is answered TRY_AGAIN.
 *
 *             Limits (counted per check, include/redirect included):
 *               - void lookups: more than chk->void_limit answers that are
 *                 NXDOMAIN or NODATA;
 *               - an MX answer with more than 10 records (§4.6.4: the mx
 *                 term MUST be permerror then);
 *               - more than AM_SPF_DNS_MAX_QUERIES queries in all (a safety
 *                 net; libspf2 enforces the 10 DNS-term limit itself).
 *             Once one is exceeded chk->is_limit_hit is set, chk->why names
 *             it, and this and every later lookup of the check is answered
 *             TRY_AGAIN without a query, so libspf2 stops at once; the caller
 *             must then report permerror whatever libspf2 returned.
 *
 *             Explanations: the layer installs libspf2's get_exp hook, so
 *             libspf2 hands us the already expanded exp= target name instead
 *             of compiling the TXT itself (its compiler mangles spaces). The
 *             hook looks the name up (not counted towards the limits: RFC
 *             7208 §6.2 is evaluated after the result), requires exactly one
 *             TXT record, and passes its text to chk->expand_exp(chk, text,
 *             out), which must write the expanded explanation (RFC 7208 §7)
 *             into out or fail; on any failure libspf2 gets an error and
 *             keeps no explanation. Without a hook the raw text is used.
 * THREADS     one layer shared by all threads; each check's state is its own.
 * DIAGNOSTICS out of memory inside libspf2's allocators is a panic.
 */
#ifndef AM_SPF_DNS_H
#define AM_SPF_DNS_H

#include <stdbool.h>
#include <stdint.h>

#include <netinet/in.h>
#include <spf2/spf.h>

#include "core/am.h"
#include "core/buf.h"
#include "dns/dns.h"

/* Safety net on queries per check (10 terms x (1 + 10 MX/PTR names) + slack). */
#define AM_SPF_DNS_MAX_QUERIES 150

struct am_spf_dns_check;

/* Expands an explanation macro-string; AM_OK with the text in out. */
typedef enum am_status (*am_spf_dns_exp_fn)(struct am_spf_dns_check *chk,
    const char *text, struct am_buf *out);

struct am_spf_dns_check {
	uint64_t deadline_ms;	/* absolute CLOCK_MONOTONIC, in ms */
	unsigned void_limit;	/* void lookups allowed (RFC 7208: 2) */
	unsigned voids;		/* NXDOMAIN/NODATA answers so far */
	unsigned queries;	/* queries sent so far */
	bool is_limit_hit;	/* a limit was exceeded: permerror */
	bool has_temperror;	/* some query failed temporarily */
	unsigned terms;		/* DNS terms evaluated (RFC 7208 §4.6.4) */
	unsigned records;	/* records fetched (top level, include...) */
	int client_af;		/* set by the layer: AF_INET or AF_INET6 */
	struct in_addr client4;	/* set by the layer: the client */
	struct in6_addr client6;	/* set by the layer: the client */
	char why[128];		/* which limit, or the last DNS failure */
	am_spf_dns_exp_fn expand_exp;	/* explanation expander, or NULL */
	void *arg;		/* borrowed: for expand_exp's use */
};

SPF_dns_server_t *am_spf_dns_new(struct am_dns *dns);
SPF_dns_server_t *am_spf_dns_free(SPF_dns_server_t *srv);
void am_spf_dns_begin(struct am_spf_dns_check *chk);
void am_spf_dns_end(void);

#endif
