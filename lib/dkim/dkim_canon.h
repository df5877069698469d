/*
 * NAME        am_dkim_canon - DKIM canonicalisation and hashing (RFC 6376
 *             §3.4, §3.7, §5.4.2), shared by ARC (RFC 8617) and usable by a
 *             DKIM signer or verifier
 * SYNOPSIS    b = am_dkim_body_new(AM_DKIM_CANON_RELAXED, -1);
 *             for each chunk: am_dkim_body_update(b, p, len);
 *             am_dkim_body_final(b, bh);
 *             b = am_dkim_body_free(b);
 *
 *             EVP_MD_CTX *h = ...sha256...;
 *             am_dkim_select(m, names, n, false, idx);
 *             for each idx[j]: am_dkim_hash_header(h, c, name, value, len,
 *                 NULL, &buf);
 *             am_dkim_hash_header(h, c, signame, sigvalue, siglen, b_tag,
 *                 &buf);   // the signature itself: b= emptied, no CRLF
 *             // or both steps at once, to a digest:
 *             am_dkim_hash_signed(m, names, n, false, c, signame,
 *                 sigvalue, siglen, b_tag, &buf, digest);
 * DESCRIPTION am_dkim_canon_parse() reads a c= value ("relaxed/simple";
 *             "relaxed" alone means relaxed/simple, §3.5; case-insensitive)
 *             into *hdr and *body; AM_PERMFAIL for anything else, empty
 *             included.
 *
 *             am_dkim_canon_header() appends one header field, canonicalised
 *             with c, to out: name and value as libmilter gives them (value
 *             with its leading white space, folded lines joined by "\n" or
 *             "\r\n"). simple (§3.4.1): "name:value" with every line break
 *             written as CRLF; relaxed (§3.4.2): the name lower-cased and
 *             stripped of trailing WSP, the value unfolded, each run of WSP
 *             made one SP, WSP at both ends removed. A CRLF ends the field
 *             unless is_last (the signature header, §3.7). When b is not
 *             NULL (a tag of the tag list parsed from this very value), the
 *             bytes value[b->value_off..b->end_off) -- the b= value and the
 *             FWS around it -- are left out first (§3.7: "with the value of
 *             the b= tag ... deleted"). AM_PERMFAIL (out unchanged) when out
 *             reaches its cap.
 *             am_dkim_hash_header() canonicalises into scratch (reset
 *             first; its cap bounds one header) and feeds the bytes to the
 *             digest ctx; AM_PERMFAIL when scratch overflows or the digest
 *             fails.
 *
 *             am_dkim_hlist_parse() splits an h= value (names separated by
 *             ':' with FWS around them, §3.5) into views in names[0..max)
 *             and sets *n; an empty value is a list of zero names. An
 *             empty name ("a::b", a trailing ':') is kept as a view of
 *             length 0 that names no field (RFC 6376 has no empty names;
 *             dkimpy and the ARC test suite read them so). AM_PERMFAIL for
 *             a name with bytes outside RFC 5322 ftext or white space
 *             inside it, or more than max names.
 *             am_dkim_select() picks the header for each of the n names
 *             (§5.4.2): the k-th occurrence of a name in the list takes the
 *             k-th instance of that field counted from the bottom of m's
 *             kept headers (ASCII case-insensitive), idx[j] the message
 *             index or AM_DKIM_NO_HEADER when there are fewer instances
 *             (a name signed more often than it occurs hashes nothing).
 *             With skip_deleted, headers the milter deletes
 *             (is_deleted) do not count (a signer's view of the message).
 *             am_dkim_hash_signed() is the header hash of a signature
 *             (§3.7) into out: the fields am_dkim_select() picks for the n
 *             names, in h= order, each canonicalised with c and ended by
 *             CRLF, then the signature header signame/sigvalue (siglen
 *             bytes) itself with b's value deleted (b may be NULL when b=
 *             is already empty) and no CRLF, all SHA-256. AM_PERMFAIL when
 *             a field outgrows scratch.
 *
 *             Body (§3.4.3, §3.4.4): am_dkim_body_new() returns an owned
 *             streaming SHA-256 body hasher (never NULL) for canon c and the
 *             l= limit (-1: none; else the number of canonical bytes
 *             hashed). am_dkim_body_update() takes body bytes as they
 *             stream (CRLF line ends; a bare LF also ends a line and a CR
 *             not followed by LF is data); nothing is buffered beyond one
 *             pending CR and counters. am_dkim_body_final() ends the body
 *             (further updates are a panic), writes the 32-byte digest to
 *             out (the same digest when called again) and fixes
 *             am_dkim_body_length(): the canonical length of the whole body,
 *             also beyond the limit (a verifier compares it with l=).
 *             Trailing empty lines are ignored; simple makes an empty body
 *             one CRLF, relaxed leaves it empty; a last line without CRLF
 *             gets one. am_dkim_body_free() accepts NULL and returns NULL.
 * THREADS     reentrant; a body hasher has one owner.
 * DIAGNOSTICS NULL arguments and updates after final are a panic.
 */
#ifndef AM_DKIM_CANON_H
#define AM_DKIM_CANON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "core/am.h"
#include "core/buf.h"
#include "msg/msg.h"
#include "dkim/dkim_tags.h"

#define AM_DKIM_SHA256_LEN 32			/* bytes of a SHA-256 digest */
#define AM_DKIM_NO_HEADER ((size_t)-1)		/* am_dkim_select(): none */

enum am_dkim_canon {
	AM_DKIM_CANON_SIMPLE = 0,	/* §3.4.1 / §3.4.3 */
	AM_DKIM_CANON_RELAXED,		/* §3.4.2 / §3.4.4 */
};

struct am_dkim_body;

enum am_status am_dkim_canon_parse(struct am_str c, enum am_dkim_canon *hdr,
    enum am_dkim_canon *body);
enum am_status am_dkim_canon_header(enum am_dkim_canon c, const char *name,
    const char *value, size_t len, const struct am_dkim_tag *b, bool is_last,
    struct am_buf *out);
enum am_status am_dkim_hash_header(EVP_MD_CTX *ctx, enum am_dkim_canon c,
    const char *name, const char *value, size_t len,
    const struct am_dkim_tag *b, bool is_last, struct am_buf *scratch);
enum am_status am_dkim_hlist_parse(struct am_str h, struct am_str *names,
    size_t max, size_t *n, struct am_why *why);
void am_dkim_select(const struct am_msg *m, const struct am_str *names,
    size_t n, bool skip_deleted, size_t *idx);
enum am_status am_dkim_hash_signed(const struct am_msg *m,
    const struct am_str *names, size_t n, bool skip_deleted,
    enum am_dkim_canon c, const char *signame, const char *sigvalue,
    size_t siglen, const struct am_dkim_tag *b, struct am_buf *scratch,
    unsigned char out[AM_DKIM_SHA256_LEN]);

struct am_dkim_body *am_dkim_body_new(enum am_dkim_canon c, int64_t limit);
void am_dkim_body_update(struct am_dkim_body *b, const void *p, size_t len);
void am_dkim_body_final(struct am_dkim_body *b,
    unsigned char out[AM_DKIM_SHA256_LEN]);
uint64_t am_dkim_body_length(const struct am_dkim_body *b);
struct am_dkim_body *am_dkim_body_free(struct am_dkim_body *b);

#endif
