/*
 * NAME        am_dns_probe - can the configured resolvers carry DNSSEC?
 * SYNOPSIS    char name[AM_DNS_MAX_NAME + 2];
 *             if (am_dns_anchor_name(path, name, sizeof(name)))
 *                     r = am_dns_probe_anchor(dns, name, timeout_ms, &why);
 *             am_dns_resolvers_text(cfg_nameservers, NULL, &text);
 * DESCRIPTION A resolver that strips DNSSEC records (many forwarders,
 *             dnsmasq, cloud resolvers) makes every answer DNSSEC-bogus once
 *             a trust anchor is set: every lookup is temperror. This module
 *             finds that out once, at configuration load, so the runtime
 *             (lib/pipeline/ctx.c) can act on it.
 *
 *             am_dns_anchor_name() reads a trust-anchor file (zone-file
 *             format, DS or DNSKEY records, what ub_ctx_add_ta_file() takes:
 *             /usr/share/dns/root.key) and writes the owner name of its first
 *             record into out, with a final dot ("." for the root key).
 *             False (out "") when the file cannot be read or its first
 *             record has no absolute owner name.
 *
 *             am_dns_probe_anchor() asks dns (a resolver built with that
 *             anchor, am_dns_new) for the DNSKEY RRset of name and waits at
 *             most timeout_ms:
 *               AM_DNS_PROBE_SECURE     the answer validated: the chain of
 *                                       trust works through these
 *                                       resolvers;
 *               AM_DNS_PROBE_BOGUS      an answer came and could not be
 *                                       validated (DNSSEC bogus, or not
 *                                       secure): the resolvers do not
 *                                       return the DNSSEC records (or the
 *                                       anchor does not match the zone);
 *               AM_DNS_PROBE_NO_ANSWER  no usable answer (timeout, SERVFAIL
 *                                       or REFUSED without a validation
 *                                       verdict, resolver unreachable):
 *                                       nothing is known.
 *             why gets libunbound's reason (its why_bogus text, or the
 *             failure). The answer stays in the resolver's cache.
 *
 *             am_dns_resolvers_text() writes, for messages, which
 *             resolvers dns uses: nameservers as configured (the Nameservers
 *             key, "addr[@port], ..."), or when that is NULL or empty
 *             "the nameservers of RESOLV (a, b)" from the nameserver lines
 *             of resolv_conf (NULL: /etc/resolv.conf; "127.0.0.1" when it
 *             has none, as libunbound does). out is reset first; the text is
 *             cut short at out's cap.
 * THREADS     reentrant (dns is thread-safe).
 * DIAGNOSTICS NULL arguments (other than resolv_conf) are a panic.
 */
#ifndef AM_DNS_PROBE_H
#define AM_DNS_PROBE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/am.h"
#include "core/buf.h"
#include "dns/dns.h"

enum am_dns_probe {
	AM_DNS_PROBE_SECURE = 0,
	AM_DNS_PROBE_BOGUS,
	AM_DNS_PROBE_NO_ANSWER,
};

bool am_dns_anchor_name(const char *path, char *out, size_t len);
enum am_dns_probe am_dns_probe_anchor(struct am_dns *dns, const char *name,
    unsigned timeout_ms, struct am_why *why);
void am_dns_resolvers_text(const char *nameservers, const char *resolv_conf,
    struct am_buf *out);

#endif
