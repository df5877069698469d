/*
 * NAME        am_dkim_verify - DKIM verifier for one inbound message
 *             (RFC 6376 §6, RFC 8463, RFC 8301, RFC 8601 §2.7.1)
 * SYNOPSIS    v = am_dkim_verify_new(dl, queue_id);
 *             for each header: am_dkim_verify_header(v, name, value, len);
 *             if (am_dkim_verify_eoh(v))
 *                     for each chunk: am_dkim_verify_body(v, p, len);
 *             am_dkim_verify_eom(v, &res);
 *             am_dkim_results_add_authres(&res, ar);
 *             am_dkim_results_release(&res); v = am_dkim_verify_free(v);
 * DESCRIPTION am_dkim_verify_new() returns an owned verifier (never NULL)
 *             on the shared struct am_dkim_lib (borrowed; it must outlive
 *             the verifier). jobid (borrowed, may be NULL) only labels
 *             libopendkim's own error texts.
 *
 *             am_dkim_verify_header() takes each header in arrival order,
 *             DKIM-Signature included, as libmilter gives it with
 *             SMFIP_HDR_LEADSPC: name without the colon, value with its
 *             leading white space, folded lines joined by "\n" (or "\r\n"),
 *             no final newline; len bytes of value (NUL bytes allowed).
 *             The header is rebuilt as "Name:value" with CRLF line breaks.
 *             Headers after eoh are a panic (interface violation).
 *
 *             am_dkim_verify_set_budget() (before eoh) makes the key
 *             lookups wait against the message's DNS budget b (borrowed,
 *             dns_budget.h; it must outlive the verifier): all of them
 *             together end by its deadline, and once it is spent a lookup
 *             fails at once (temperror, "timeout") without a query.
 *
 *             am_dkim_verify_eoh() ends the header block and starts the
 *             key lookups (at most MaxSignatures of them, in parallel,
 *             nobody waiting: dns_prefetch.h), so they run while the body
 *             streams; nothing waits for DNS before eom. It returns whether
 *             the body is needed: false when the message is unsigned or no
 *             signature can be verified (every one already has its result:
 *             ignored past MaxSignatures, or malformed), so the caller may
 *             skip am_dkim_verify_body() entirely.
 *             am_dkim_verify_domains() puts up to max d= values of the
 *             DKIM-Signature headers seen so far (as written, header order,
 *             borrowed until the verifier is freed; "" when absent) into d
 *             and returns how many: what DMARC may align with, before
 *             anything is verified.
 *             am_dkim_verify_body() streams one body chunk (CRLF line ends
 *             as the MTA sends them); the body is hashed, never kept. Calls
 *             after eoh returned false are ignored.
 *
 *             am_dkim_verify_eom() waits for the key lookups (each no
 *             longer than DNSTimeout, and than the budget's deadline when
 *             one is set), verifies, and fills *out (overwritten; release
 *             an old one first) with one entry per DKIM-Signature header,
 *             in header order. out->count == 0 means unsigned (dkim=none). A verifier
 *             is single-use: after eom only am_dkim_verify_free() is valid.
 *
 *             Results (enum am_dkim_result), per signature:
 *             pass       the signature and the body hash verify and policy
 *                        allows it;
 *             fail       bad signature ("signature verification failed"),
 *                        body hash mismatch ("body hash mismatch"), l=
 *                        longer than the body, or rsa-sha1 while AllowSHA1
 *                        is no ("rsa-sha1 not allowed (RFC 8301)");
 *             neutral    a failure with a key published in test mode (t=y);
 *             policy     signature past MaxSignatures ("too many
 *                        signatures"), RSA key under MinimumKeyBits ("key
 *                        too small"), or l= shorter than the body while
 *                        AllowBodyLength is no ("body length limit (l=)
 *                        covers only N of M bytes") -- each only when it
 *                        would otherwise have passed, except the first;
 *             temperror  the key lookup failed (SERVFAIL, REFUSED, timeout);
 *             permerror  malformed DKIM-Signature (reason names the tag or
 *                        problem), no key (NXDOMAIN, NODATA), revoked key
 *                        (empty p=), undecodable or mismatched key record,
 *                        expired or future-dated signature.
 *             reason is "" for pass.
 *
 *             am_dkim_results_add_authres() adds one "dkim" resinfo per
 *             signature to ar (borrowed): result, reason= when not pass, a
 *             comment "(2048-bit rsa key; unprotected)" when a key was
 *             loaded ("secure" when DNSSEC validated it), then header.d,
 *             header.i, header.s, header.a and header.b (each only when
 *             present, d/i/s/a only up to 255 characters; header.b is the
 *             shortest prefix of b=, at least 8 characters, that no other
 *             signature of the message with a different b= shares: copies
 *             of one signature share one short prefix).
 *             Unsigned: one "dkim=none".
 *             am_dkim_results_release() frees what out owns and leaves it
 *             empty; am_dkim_verify_free() accepts NULL and returns NULL.
 * THREADS     one verifier per message, used from one thread at a time;
 *             any number of verifiers share one struct am_dkim_lib.
 * DIAGNOSTICS Every failure a message or DNS can cause is a result, never
 *             an error return. NULL arguments are a panic.
 */
#ifndef AM_DKIM_VERIFY_H
#define AM_DKIM_VERIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "core/am.h"
#include "msg/authres.h"
#include "dkim/dkim_lib.h"
#include "dns/dns_budget.h"

enum am_dkim_result {
	AM_DKIM_NONE = 0,	/* unsigned (only as a message-level answer) */
	AM_DKIM_PASS,
	AM_DKIM_FAIL,
	AM_DKIM_NEUTRAL,
	AM_DKIM_POLICY,
	AM_DKIM_TEMPERROR,
	AM_DKIM_PERMERROR,
};

enum am_dkim_dnssec {
	AM_DKIM_DNSSEC_UNKNOWN = 0,	/* no key was fetched */
	AM_DKIM_DNSSEC_SECURE,		/* key record validated */
	AM_DKIM_DNSSEC_UNPROTECTED,	/* insecure, or no validation */
};

/* One DKIM-Signature header. Strings are owned by the results; "" when the
 * tag was absent or the signature too malformed to say. */
struct am_dkim_sig {
	enum am_dkim_result result;	/* see above */
	char *reason;			/* why, "" for pass */
	char *domain;			/* d= (lower-cased by libopendkim): DMARC
					 * alignment domain */
	char *identity;			/* i= as written ("" when absent) */
	char *selector;			/* s= */
	char *algorithm;		/* a= as written ("rsa-sha256") */
	char *b;			/* b= without white space (full) */
	unsigned key_bits;		/* RSA modulus bits, 256 for ed25519,
					 * 0 when no key was loaded */
	const char *key_type;		/* static "rsa", "ed25519", or NULL */
	enum am_dkim_dnssec dnssec;	/* of the key record */
};

struct am_dkim_results {
	size_t count;			/* signatures; 0 = unsigned */
	struct am_dkim_sig *sigs;	/* owned array of count */
};

struct am_dkim_verify;

struct am_dkim_verify *am_dkim_verify_new(struct am_dkim_lib *dl,
    const char *jobid);
struct am_dkim_verify *am_dkim_verify_free(struct am_dkim_verify *v);
void am_dkim_verify_set_budget(struct am_dkim_verify *v,
    struct am_dns_budget *b);
void am_dkim_verify_header(struct am_dkim_verify *v, const char *name,
    const char *value, size_t len);
bool am_dkim_verify_eoh(struct am_dkim_verify *v);
size_t am_dkim_verify_domains(const struct am_dkim_verify *v, const char **d,
    size_t max);
void am_dkim_verify_body(struct am_dkim_verify *v, const void *p, size_t len);
void am_dkim_verify_eom(struct am_dkim_verify *v, struct am_dkim_results *out);
void am_dkim_results_add_authres(const struct am_dkim_results *res,
    struct am_authres *ar);
void am_dkim_results_release(struct am_dkim_results *res);
const char *am_dkim_result_name(enum am_dkim_result r);

#endif
