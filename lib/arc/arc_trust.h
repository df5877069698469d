/*
 * NAME        am_arc_trust - ARCTrustedSealers, and the ARC set whose
 *             recorded results DMARC may honour (RFC 8617 §7.2)
 * SYNOPSIS    t = am_arc_trust_new(cfg->arc_trusted_sealers, &why);
 *             s = am_arc_trust_vouching(&arc_result, t);
 *             if (s != NULL) ... s->as_domain, s->aar ...
 *             t = am_arc_trust_free(t);
 * DESCRIPTION am_arc_trust_new() parses list, comma- or white-space
 *             separated sealer domains (the d= of an ARC-Seal), each
 *             normalised like a From domain (am_domain_normalise(): lower
 *             case, A-labels, no final dot), once per configuration, and
 *             returns an owned set; NULL with the reason in why for an entry
 *             that is not a domain. An empty list is an empty set, which
 *             never vouches. am_arc_trust_free() accepts NULL, returns NULL.
 *             am_arc_trust_count() is the number of domains.
 *             am_arc_trust_is_trusted() says whether domain (any case) is in
 *             the set: exactly, since an ARC-Seal's d= names the domain
 *             whose keys sign, and trusting a domain trusts no other.
 *
 *             am_arc_trust_vouching() returns the set of r (borrowed from r)
 *             whose ARC-Authentication-Results a receiver may rely on, or
 *             NULL: the chain must pass (RFC 8617 §5.2), and the set is the
 *             oldest one (lowest instance i) that
 *             - was sealed by a trusted domain (its AS d=),
 *             - is not older than the oldest-pass instance: i >=
 *               oldest_pass, where an oldest_pass of 0 reads as 1 (see
 *               below), so its own AMS still validates: the message,
 *               in what that sealer signed, is what it saw when it recorded
 *               its results (an untrusted later hop that rewrote the body
 *               leaves no older trusted set to rely on), and
 *             - has recorded results that parse (aar not NULL).
 *             The oldest such set is the one nearest to the author, whose
 *             results are those of the original authentication.
 *             oldest_pass (arc_verify.h, RFC 8617 §5.2 step 5): the walk
 *             from AMS(N-1) down to AMS(1) stops at the first AMS(i) that
 *             does not validate and sets oldest-pass to i + 1; when every
 *             AMS validates it stays at its initial value, 0. So 0 means
 *             "AMS(1)..AMS(N) all validate" and k > 0 means "AMS(k)..AMS(N)
 *             validate, AMS(k-1) does not"; the oldest instance whose view
 *             still holds is max(oldest_pass, 1).
 * THREADS     immutable after new; shared by every thread.
 * DIAGNOSTICS NULL arguments are a panic (a NULL list reads as empty).
 */
#ifndef AM_ARC_TRUST_H
#define AM_ARC_TRUST_H

#include <stdbool.h>
#include <stddef.h>

#include "core/am.h"
#include "arc/arc_verify.h"

struct am_arc_trust;

struct am_arc_trust *am_arc_trust_new(const char *list, struct am_why *why);
struct am_arc_trust *am_arc_trust_free(struct am_arc_trust *t);
size_t am_arc_trust_count(const struct am_arc_trust *t);
bool am_arc_trust_is_trusted(const struct am_arc_trust *t, const char *domain);
const struct am_arc_sealer *am_arc_trust_vouching(
    const struct am_arc_result *r, const struct am_arc_trust *t);

#endif
