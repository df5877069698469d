/*
 * NAME        am_spf_record - check_host(): SPF record evaluation (RFC 7208)
 * SYNOPSIS    struct am_spf_eval ev = { .dns = { .dns = dns,
 *                 .deadline_ms = deadline, .void_limit = 2 },
 *                 .client = &addr, .sender = "user@example.com",
 *                 .helo = "mx.example.net", .receiver = "mx.example.org" };
 *             enum am_spf_res r = am_spf_record_check(&ev, "example.com");
 * DESCRIPTION am_spf_record_check() is RFC 7208 §4's check_host(client,
 *             domain, sender): the record is fetched and syntax-checked by
 *             lib/spf_dns (§4.5, §12), then its mechanisms are evaluated in
 *             order (§5: all include a mx ptr ip4 ip6 exists, any prefix
 *             length 0..32/0..128), then redirect= wherever it was written
 *             (§6.1); unknown modifiers are ignored (§6). Domain-specs are
 *             expanded by lib/spf_macro (§7, with the 253-character cut);
 *             %{p} is the validated client name (§5.5, §7.3). Limits
 *             (§4.6.4): more than 10 DNS terms over the whole check
 *             (include and redirect count, and their records' terms too),
 *             more than ev->dns.void_limit void lookups, an mx term with
 *             more than 10 names -> permerror; only the first 10 PTR names
 *             are looked at. A DNS failure -> temperror (a PTR failure in
 *             ptr only fails to match, §5.5). A domain that is not a
 *             well-formed multi-label name -> none (§4.3).
 *
 *             Results: the result code; ev->reason says why for none,
 *             temperror and permerror; for fail, ev->explanation holds the
 *             record's exp= text expanded (§6.2; not from an include'd
 *             record; printable ASCII only; "" when there is none or it
 *             cannot be used). ev is owned by the caller; every pointer in
 *             it is borrowed for the call, and its counters must be zero.
 * THREADS     reentrant: all state is in ev.
 * DIAGNOSTICS NULL arguments panic; everything DNS or records can cause is
 *             a result.
 */
#ifndef AM_SPF_RECORD_H
#define AM_SPF_RECORD_H

#include "am.h"
#include "netaddr.h"
#include "spf.h"
#include "spf_dns.h"

struct am_spf_eval {
	struct am_spf_dns_check dns;	/* deadline, limits, counters */
	const struct am_addr *client;	/* borrowed: the SMTP client */
	const char *sender;		/* borrowed: local@domain */
	const char *helo;		/* borrowed: HELO name, %{h} */
	const char *receiver;		/* borrowed: our name, %{r} */
	char reason[192];		/* why, for none/temperror/permerror */
	char explanation[512];		/* exp= text for fail, or "" */
};

enum am_spf_res am_spf_record_check(struct am_spf_eval *ev,
    const char *domain);

#endif
