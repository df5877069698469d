/*
 * NAME        am_dkim_tags - tag=value lists (RFC 6376 §3.2) and the base64
 *             in them: DKIM-Signature, ARC-Seal, ARC-Message-Signature and
 *             DKIM key records (RFC 6376 §3.6.1) all use this syntax
 * SYNOPSIS    struct am_dkim_tags t;
 *             if (am_dkim_tags_parse(value, len, &t, &why) != AM_OK) ...;
 *             const struct am_dkim_tag *d = am_dkim_tags_find(&t, "d");
 * DESCRIPTION am_dkim_tags_parse() splits text[0..len) into at most
 *             AM_DKIM_TAGS_MAX tags into *out (overwritten) and returns
 *             AM_OK, or AM_PERMFAIL with the reason in why (may be NULL;
 *             *out is then empty). The grammar of §3.2:
 *               tag-list  = tag-spec *( ";" tag-spec ) [ ";" ]
 *               tag-spec  = [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
 *               tag-name  = ALPHA *( ALPHA / DIGIT / "_" )
 *               tag-value = [ tval *( 1*(WSP / FWS) tval ) ]
 *             where tval is a run of printable ASCII other than ';'. FWS
 *             is any run of SP, HTAB, CR and LF (a header value arrives
 *             with its folds as "\n" or "\r\n"). Errors: an empty list (only
 *             FWS), an empty tag-spec (";;" or a leading ';'), a tag name
 *             that does not start with a letter or holds other characters,
 *             a missing '=', a byte outside printable ASCII and FWS (NUL,
 *             other controls, 8-bit) in a value, a duplicate tag name (tag
 *             names are case-sensitive, §3.2: "I" and "i" are different
 *             tags), more than AM_DKIM_TAGS_MAX tags.
 *             Every view in a tag points into text (borrowed: valid while
 *             text is); value is trimmed of FWS on both sides and may be
 *             empty. value_off/end_off locate the raw value: the bytes
 *             text[value_off..end_off) run from just after '=' to the ';'
 *             that ends the tag-spec (or len), FWS included -- what RFC
 *             6376 §3.7 deletes from the b= tag before hashing.
 *
 *             am_dkim_tags_find() returns the tag named name (exact match)
 *             or NULL. am_dkim_str_eq()/am_dkim_str_caseeq() compare a view
 *             with a C string (exactly / ASCII case-insensitively).
 *             am_dkim_str_uint() parses a view of 1..digits decimal digits
 *             (nothing else) into *out; false otherwise (empty, a sign,
 *             white space, more than digits digits; digits <= 19).
 *
 *             am_dkim_b64_decode() decodes the base64 of in (FWS between
 *             characters is ignored, RFC 6376 §2.4) into out[0..max) and
 *             sets *len. AM_PERMFAIL with a reason for a character outside
 *             the alphabet, '=' anywhere but at the end, more than two '=',
 *             a length that is not a whole number of 4-character groups
 *             (counting the '='), or more than max bytes of output. An
 *             empty input decodes to 0 bytes (AM_OK): callers decide whether
 *             empty is allowed. am_dkim_b64_encode() appends the base64 of
 *             p[0..len) to out (AM_PERMFAIL at out's cap).
 * THREADS     reentrant.
 */
#ifndef AM_DKIM_TAGS_H
#define AM_DKIM_TAGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/am.h"
#include "core/buf.h"

#define AM_DKIM_TAGS_MAX 32	/* tags in one list (DKIM-Signature has 15) */

struct am_dkim_tag {
	struct am_str name;	/* borrowed view: the tag name */
	struct am_str value;	/* borrowed view: the value, FWS-trimmed */
	size_t value_off;	/* offset in text just after '=' */
	size_t end_off;		/* offset of the ending ';', or len */
};

struct am_dkim_tags {
	size_t count;				/* tags in tag[] */
	struct am_dkim_tag tag[AM_DKIM_TAGS_MAX];	/* in text order */
};

enum am_status am_dkim_tags_parse(const char *text, size_t len,
    struct am_dkim_tags *out, struct am_why *why);
const struct am_dkim_tag *am_dkim_tags_find(const struct am_dkim_tags *t,
    const char *name);
bool am_dkim_str_eq(struct am_str v, const char *s);
bool am_dkim_str_caseeq(struct am_str v, const char *s);
bool am_dkim_str_uint(struct am_str v, unsigned digits, uint64_t *out);
enum am_status am_dkim_b64_decode(struct am_str in, unsigned char *out,
    size_t max, size_t *len, struct am_why *why);
enum am_status am_dkim_b64_encode(const unsigned char *p, size_t len,
    struct am_buf *out);

#endif
