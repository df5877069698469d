/*
 * NAME        am_test_rr - DNS test data as libunbound local data
 * SYNOPSIS    static const char *const rrs[] = {
 *                 "a.example. 300 IN A 192.0.2.1", NULL };
 *             dns = am_test_dns_local(rrs, "refused.example");
 *             am_test_dns_add_txt(dns, "s._domainkey.example.net", value);
 *             am_test_dns_load(dns, "dns.txt", false);
 *             ...
 *             dns = am_dns_free(dns);
 * DESCRIPTION am_test_dns_local() returns an owned local_only struct am_dns
 *             (a static "." zone: no traffic, unknown names NXDOMAIN) holding
 *             each RR of the NULL-terminated rrs (NULL for none) and, unless
 *             refuse is NULL, a local zone refuse of type "refuse" (REFUSED
 *             answers, for temperror tests). Free it with am_dns_free().
 *             am_test_dns_add() adds one RR in unbound's local-data syntax
 *             ("name. 300 IN TXT \"v=spf1 -all\"").
 *             am_test_rr_txt() appends to rr the rdata of one TXT value of
 *             len bytes: " \"...\"" strings of at most 255 bytes each (one
 *             empty string for len 0), '"' and '\' escaped with '\', other
 *             bytes outside 0x20..0x7e as \DDD. It returns AM_OK, or
 *             AM_PERMFAIL if rr reached its cap (rr is then incomplete).
 *             am_test_dns_add_txt() adds "name. 300 IN TXT" with value's
 *             strings (name without the final dot).
 *             am_test_dns_load() reads a records file, one "name value" per
 *             line (the format of the DKIM vectors' dns.txt, Mail::DKIM's
 *             FAKE_DNS.dat and mail-auth's message files): name and value
 *             are split at the first run of blanks, value "" is the empty
 *             TXT, "NXDOMAIN" adds nothing (the "." zone says so already),
 *             a value starting "~~" (SERVFAIL, timeout) makes name a refused
 *             zone; lines starting '#' and empty lines are skipped. Lines
 *             are cut at 4095 bytes. With is_block the records end at the
 *             first empty line (mail-auth files: records, blank line,
 *             message).
 * DIAGNOSTICS Every failure but am_test_rr_txt()'s is a Check assertion
 *             naming the RR (or file) and the reason: call them inside a test
 *             or a checked fixture.
 */
#ifndef AM_TESTRR_H
#define AM_TESTRR_H

#include <stdbool.h>
#include <stddef.h>

#include "core/am.h"
#include "core/buf.h"
#include "dns/dns.h"

struct am_dns *am_test_dns_local(const char *const *rrs, const char *refuse);
void am_test_dns_add(struct am_dns *dns, const char *rr);
enum am_status am_test_rr_txt(struct am_buf *rr, const char *s, size_t len);
void am_test_dns_add_txt(struct am_dns *dns, const char *name,
    const char *value);
void am_test_dns_load(struct am_dns *dns, const char *path, bool is_block);

#endif
