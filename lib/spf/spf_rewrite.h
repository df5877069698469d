/*
 * NAME        am_spf_rewrite - an SPF record's text as libspf2 can compile it
 * DESCRIPTION am_spf_record_valid(rec) checks a whole "v=spf1" record against
 *             the RFC 7208 §12 ABNF (libspf2 accepts bad domain-specs, CIDR
 *             "/032", control characters; those must be permerror).
 *             am_spf_rewrite(rec, rw, out) writes into out a record that
 *             libspf2 1.2.10 compiles and that has, for this client, exactly
 *             the meaning RFC 7208 gives rec. rec must already have passed
 *             am_spf_record_valid(). Only the
 *             text changes; libspf2 still evaluates every term:
 *               - unknown modifiers are dropped (§6: they MUST be ignored;
 *                 libspf2's compiler refuses some valid ones);
 *               - redirect= moves to the end (§6.1: it applies only after
 *                 every mechanism failed to match; libspf2 applies it where
 *                 it is written);
 *               - ip4:X/0 -> ip4:0.0.0.0/1 ip4:128.0.0.0/1 and ip6:X/0 ->
 *                 ip6:::/1 ip6:8000::/1, same qualifier (libspf2 refuses a
 *                 prefix length of 0; the two halves cover the same set);
 *               - a, mx and exists get an explicit target (%{d} when none;
 *                 a trailing dot dropped) followed by rw->tag_term, or for a
 *                 and mx whose prefix length for the client's family is 0,
 *                 rw->tag_zero with no CIDR at all (full length): the DNS
 *                 layer strips the tag, counts the term (§4.6.4 limit of 10
 *                 across include/redirect) and, for tag_zero, answers any
 *                 non-empty address set with the client's own address (what
 *                 /0 means: any address matches). A prefix length of 0 for
 *                 the other family is dropped (it is never used).
 *             The tags must be one label each, starting with '.'.
 *             am_spf_record_valid() expects rec to start with "v=spf1"
 *             (its caller checks; it reads from rec + 6).
 * BUGS        XXX libspf2 1.2.10 still refuses some records RFC 7208
 *             allows, which therefore end as permerror (tests/fuzz/README):
 *             the macro delimiters ',' and '/', a transformer over 128
 *             parts, a term whose data exceeds 255 bytes. A transformer of
 *             0 (invalid: §7.1 wants a nonzero number) passes
 *             am_spf_record_valid() and is then refused by libspf2: the
 *             result is the same permerror.
 * RETURNS     AM_OK, or AM_PERMFAIL when rec is not a well-formed record.
 * THREADS     reentrant.
 */
#ifndef AM_SPF_REWRITE_H
#define AM_SPF_REWRITE_H

#include <stdbool.h>

#include "core/am.h"
#include "core/buf.h"

struct am_spf_rewrite {
	bool is_ipv6;		/* the client is IPv6 (not v4-mapped) */
	const char *tag_term;	/* suffix of a/mx/exists targets */
	const char *tag_zero;	/* suffix of a/mx targets with prefix 0 */
};

bool am_spf_record_valid(const char *rec);
enum am_status am_spf_rewrite(const char *rec, const struct am_spf_rewrite *rw,
    struct am_buf *out);

#endif
