/*
 * NAME        am_arc_seal - add one ARC set to a message (RFC 8617 §5.1)
 * SYNOPSIS    k = am_arc_seal_key(keys, cfg, &domain, &why);
 *             opts.key = k; opts.domain = domain; ...
 *             s = am_arc_seal_new(&opts);
 *             for each chunk: am_arc_seal_body(s, p, len);
 *             if (am_arc_seal_eom(s, msg, verify_result.status, ar_text,
 *                 &set, &why) == AM_OK)
 *                     insert at index 0: set.aar, then set.ams, then set.as
 *             am_arc_seal_set_release(&set); s = am_arc_seal_free(s);
 * DESCRIPTION am_arc_seal_key() picks the sealing key from the key store ks
 *             (borrowed; the result is borrowed from it): the key named
 *             ARCSealKey (a KeyTable key name, or a Selector of the simple
 *             form), else the key whose domain and selector are
 *             ARCSealDomain and ARCSealSelector (a "%" key matches any
 *             domain). *domain (borrowed from cfg or the key) is the d= to
 *             seal with: ARCSealDomain, else the key's domain. NULL with the
 *             reason when no key matches, or the domain would be "%".
 *
 *             am_arc_seal_new() returns an owned sealer (never NULL); opts
 *             is copied, its strings and key borrowed (they must outlive the
 *             sealer): key is an RSA or Ed25519 key of the key store
 *             (keys.h; a= follows its type), domain and selector the d= and
 *             s= (NULL: the key's own; a "%" domain is a panic), headers a
 *             NULL-terminated list of field names for the AMS h= (NULL: the
 *             default list below), timestamp the t= (0: time(NULL); tests
 *             inject one), max_sets ARCMaxSets (clamped to 1..50).
 *             am_arc_seal_body() streams the body (CRLF line ends) into the
 *             AMS body hash (relaxed, no l=).
 *
 *             am_arc_seal_eom() seals m (borrowed; its kept headers, minus
 *             those marked deleted, are what the next hop will see below
 *             the new set) and fills *out with three owned header values
 *             (no field name, no leading space, folded with "\n\t"), for
 *             instance N+1 where N is the highest instance among m's ARC
 *             headers:
 *               aar  "i=N+1; " followed by authres, our own
 *                    Authentication-Results value ("authserv-id; ..."
 *                    as am_authres_format() writes it), §4.1.1;
 *               ams  a, b, bh, c=relaxed/relaxed, d, h, i, s, t (tags in
 *                    that order, as the ARC test suite's "standardized"
 *                    signer writes them): h= lists each named field once
 *                    per instance present in m, ARC header fields never
 *                    (§4.1.2 forbids ARC-Seal; an earlier set's AAR/AMS is
 *                    covered by the seal);
 *               as   a, b, cv, d, i, s, t; cv from chain, the caller's
 *                    verification of this message (am_arc_verify): none
 *                    when there was no chain, pass, or fail. With pass the
 *                    seal covers every set 1..N+1 in order (§5.1.1); with
 *                    fail only the new set (§5.1.2). A chain said to pass
 *                    whose sets no longer parse as a valid chain is sealed
 *                    as fail.
 *             It returns AM_OK, or AM_PERMFAIL with the reason and *out
 *             empty when no set may be added: the newest ARC-Seal already
 *             says cv=fail (the chain has ended, §5.1), N+1 would pass
 *             max_sets, authres is empty, or a value would outgrow its cap
 *             (64 KiB) or signing fails. A sealer is single-use.
 *             am_arc_seal_set_release() frees the values; am_arc_seal_free()
 *             accepts NULL and returns NULL.
 *
 *             Default h= list: From, To, Cc, Subject, Date, Message-ID,
 *             Reply-To, In-Reply-To, References, MIME-Version,
 *             Content-Type, Content-Transfer-Encoding, DKIM-Signature
 *             (§4.1.2: SHOULD), List-Id, List-Post, List-Unsubscribe,
 *             List-Unsubscribe-Post.
 * THREADS     one sealer per message; the key may be shared.
 * DIAGNOSTICS NULL arguments, a "%" domain, and a second eom are a panic.
 */
#ifndef AM_ARC_SEAL_H
#define AM_ARC_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include "core/am.h"
#include "msg/msg.h"
#include "config/config.h"
#include "dkim/keys.h"
#include "arc/arc_verify.h"

struct am_arc_seal_opts {
	const struct am_key *key;	/* borrowed private key */
	const char *domain;		/* d=, NULL: key->domain */
	const char *selector;		/* s=, NULL: key->selector */
	const char *const *headers;	/* AMS h= names, NULL: default */
	uint64_t timestamp;		/* t= in seconds, 0: now */
	unsigned max_sets;		/* ARCMaxSets */
};

/* One new ARC set: owned header values. */
struct am_arc_seal_set {
	unsigned instance;	/* i= of the new set */
	char *aar;		/* ARC-Authentication-Results value */
	char *ams;		/* ARC-Message-Signature value */
	char *as;		/* ARC-Seal value */
};

struct am_arc_seal;

const struct am_key *am_arc_seal_key(const struct am_keys *ks,
    const struct am_config *cfg, const char **domain, struct am_why *why);
struct am_arc_seal *am_arc_seal_new(const struct am_arc_seal_opts *opts);
struct am_arc_seal *am_arc_seal_free(struct am_arc_seal *s);
void am_arc_seal_body(struct am_arc_seal *s, const void *p, size_t len);
enum am_status am_arc_seal_eom(struct am_arc_seal *s, const struct am_msg *m,
    enum am_arc_status chain, const char *authres, struct am_arc_seal_set *out,
    struct am_why *why);
void am_arc_seal_set_release(struct am_arc_seal_set *set);

#endif
