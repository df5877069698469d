/*
 * NAME        am_dkim_lib - the one libopendkim library handle per configuration
 * SYNOPSIS    struct am_dkim_lib *dl = am_dkim_lib_new(dns, cfg, &why);
 *             am_dkim_sign_... (am_dkim_lib_handle(dl), ...);   // set-up window
 *             ... share dl read-only between message threads ...
 *             dl = am_dkim_lib_free(dl);
 * DESCRIPTION am_dkim_lib_new() calls dkim_init() and configures the handle
 *             for everything authmilter does with libopendkim
 *             (LIBRARY-NOTES §2):
 *             - DNS: libopendkim's own resolver (one shared res_state, not
 *               thread-safe, NXDOMAIN as KEYFAIL) is replaced by hooks over
 *               dns (borrowed; must outlive the returned object). A key
 *               lookup starts an am_dns query and waits for it no longer than
 *               the timeout libopendkim passes and never beyond DNSTimeout;
 *               between am_dkim_lib_budget_begin(b) and
 *               am_dkim_lib_budget_end() on the same thread it also waits no
 *               longer than the message's DNS budget b (dns_budget.h), and
 *               once b is spent a lookup fails at once without a query.
 *               libopendkim calls the hooks synchronously on the thread
 *               that called it, and they get no per-message argument, so a
 *               thread-local pointer carries b (as spf_dns.h does).
 *               Between am_dkim_lib_prefetch_begin(p) and
 *               am_dkim_lib_prefetch_end() on the same thread a lookup
 *               takes the query p started early for that name
 *               (dns_prefetch.h) instead of making a new one.
 *               The whole wire answer is copied (clamped to libopendkim's
 *               buffer); a TEMPERROR (SERVFAIL, REFUSED, timeout, bogus) is
 *               DKIM_DNS_ERROR, so libopendkim says KEYFAIL (temperror),
 *               never NOKEY. NXDOMAIN and NODATA are answered as the packet
 *               says (NOKEY, permerror); a name am_dns refuses as malformed
 *               gets a synthetic NXDOMAIN (no such key). The DNSSEC state
 *               (am_dns_answer.secure) is passed on. The built-in init/close
 *               hooks are cleared (its close would free our service pointer)
 *               and dkim_dns_init() runs here, because libopendkim's lazy
 *               initialisation is unsynchronised.
 *             - Flags: BADSIGHANDLES (malformed signatures stay in the
 *               siglist so they get a permerror), no CACHE (unbound caches),
 *               DELAYSIGPROC (the key lookups run in dkim_eom(), not in
 *               dkim_eoh(): no callback before end of message waits for
 *               DNS; the verifier starts them at end of headers).
 *             - MINKEYBITS = MinimumKeyBits, TIMEOUT = DNSTimeout.
 *             - A prescreen callback that marks signatures past
 *               MaxSignatures IGNORE before their keys are fetched. It reads
 *               the struct am_dkim_policy a verify handle carries as its
 *               user context (dkim_set_user_context, set by dkim_verify.c);
 *               handles without one (signing) are not touched.
 *             - Signing defaults, so no caller can sign every header by
 *               accident: SKIPHDRS = dkim_should_not_signhdrs and SIGNHDRS =
 *               dkim_should_signhdrs.
 *             The policy keys of DKIM verification are copied into a struct
 *             am_dkim_policy (am_dkim_lib_policy(), borrowed for the life of
 *             the object) so a message never needs the config snapshot.
 *
 *             Signing options (for lib/dkim/dkim_sign.c): am_dkim_lib_handle()
 *             returns the DKIM_LIB (borrowed). Options may be changed only
 *             in the set-up window: after am_dkim_lib_new() and before the
 *             object is handed to message threads (the runtime calls the
 *             signing set-up right after am_dkim_lib_new(), e.g. to set
 *             REQUIREDHDRS, then SIGNHDRS, OVERSIGNHDRS, SIGNATURETTL).
 *             After that the handle is read-only: dkim_verify()/dkim_sign()
 *             with it from any thread.
 *
 *             am_dkim_lib_dns() is the resolver the hooks use (borrowed).
 *             am_dkim_lib_free() calls dkim_close(), accepts NULL, returns
 *             NULL; every DKIM handle made from it must be freed before.
 * DIAGNOSTICS am_dkim_lib_new() returns NULL with a reason in why when
 *             dkim_init() or an option fails (out of memory, library bug).
 * THREADS     set-up from one thread; afterwards shared read-only. The DNS
 *             hooks are reentrant (one am_dns query per key lookup).
 */
#ifndef AM_DKIM_LIB_H
#define AM_DKIM_LIB_H

#include <stdbool.h>

#include <opendkim/dkim.h>

#include "core/am.h"
#include "config/config.h"
#include "dns/dns.h"
#include "dns/dns_budget.h"
#include "dns/dns_prefetch.h"

/* The DKIM verification keys of the configuration, copied at set-up. */
struct am_dkim_policy {
	unsigned max_signatures;	/* MaxSignatures: verified per message */
	bool allow_sha1;		/* AllowSHA1 */
	unsigned min_key_bits;		/* MinimumKeyBits: RSA bits */
	bool allow_body_length;		/* AllowBodyLength */
	unsigned dns_timeout_ms;	/* DNSTimeout, in ms, per key lookup */
};

struct am_dkim_lib;

struct am_dkim_lib *am_dkim_lib_new(struct am_dns *dns,
    const struct am_config *cfg, struct am_why *why);
struct am_dkim_lib *am_dkim_lib_free(struct am_dkim_lib *dl);
DKIM_LIB *am_dkim_lib_handle(struct am_dkim_lib *dl);
const struct am_dkim_policy *am_dkim_lib_policy(const struct am_dkim_lib *dl);
void am_dkim_lib_budget_begin(struct am_dns_budget *b);
void am_dkim_lib_budget_end(void);
void am_dkim_lib_prefetch_begin(struct am_dns_prefetch *p);
void am_dkim_lib_prefetch_end(void);
struct am_dns *am_dkim_lib_dns(const struct am_dkim_lib *dl);

#endif
