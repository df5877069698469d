/*
 * NAME        am_report_ptr - reverse names (PTR, RFC 1035 §3.5, RFC 3596
 *             §2.5) of many addresses at once, for the dashboard
 * SYNOPSIS    am_report_ptr_lookup(dns, ips, n, timeout_ms, names);
 * DESCRIPTION am_report_ptr_qname() writes the in-addr.arpa / ip6.arpa name
 *             of the textual address ip into out (at least
 *             AM_REPORT_PTR_NAME bytes); false when ip is not an address.
 *             am_report_ptr_lookup() starts a PTR query for each of the n
 *             addresses at once, waits for all until timeout_ms from now,
 *             and writes the first name of each answer into names[i]
 *             (AM_REPORT_PTR_NAME bytes each; "" when there is none, the
 *             address is not one, or the lookup failed). A name is
 *             attacker-controlled text: bytes outside [A-Za-z0-9._-] are
 *             written as '?'.
 * THREADS     reentrant; dns is shared.
 */
#ifndef AM_REPORT_PTR_H
#define AM_REPORT_PTR_H

#include <stdbool.h>
#include <stddef.h>

#include "dns/dns.h"

#define AM_REPORT_PTR_NAME	(AM_DNS_MAX_NAME + 2)

bool am_report_ptr_qname(const char *ip, char *out);
void am_report_ptr_lookup(struct am_dns *dns, const char *const *ips,
    size_t n, unsigned timeout_ms, char (*names)[AM_REPORT_PTR_NAME]);

#endif
