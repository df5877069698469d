/*
 * NAME        am_dkim_sig - the fields of a DKIM-style signature (RFC 6376
 *             §3.5): DKIM-Signature, and ARC-Message-Signature and ARC-Seal
 *             (RFC 8617 §4.1.2, §4.1.3), which borrow its syntax
 * SYNOPSIS    struct am_dkim_tags t;
 *             struct am_dkim_sig_fields f;
 *             char err[128];
 *             if (am_dkim_tags_parse(value, len, &t, NULL) == AM_OK &&
 *                 am_dkim_sig_parse(&t, AM_DKIM_SIG_DKIM,
 *                 AM_DKIM_SIG_MAX_HNAMES, &f, err,
 *                 sizeof(err)))
 *                     ... f.d, f.s, f.h, f.bh, f.b ...
 * DESCRIPTION am_dkim_sig_parse() checks the tags of one signature (parsed
 *             by am_dkim_tags_parse(); views in *out borrow from the same
 *             text) and fills *out (overwritten). It returns true, or false
 *             with the first problem in err (errlen bytes, NUL-terminated):
 *             "no X= tag" for a missing required tag, else "WHAT X=VALUE"
 *             (value cut at 24 bytes) with WHAT one of: unsupported
 *             algorithm (a= not rsa-sha256 or ed25519-sha256), invalid
 *             signature (b= not base64 of 1..AM_DKIM_SIG_MAX_BYTES bytes),
 *             invalid domain / invalid selector (d=, s=: labels of 1..63
 *             letters, digits, '-' or '_', 253 bytes in all), invalid
 *             timestamp (t= not 1..12 digits), invalid body hash (bh= not
 *             base64 of 32 bytes), invalid canonicalization (c=, see
 *             am_dkim_canon_parse()), invalid header list (h=, see
 *             am_dkim_hlist_parse(), at most max_hnames names),
 *             invalid body length (l= not 1..18 digits), invalid expiry (x=
 *             not 1..12 digits), unsupported version (v= other than "1").
 *             Checked in that order, after the presence of a, b, d, s (then
 *             bh, h; then v) in that order.
 *
 *             flags say which signature it is:
 *               AM_DKIM_SIG_SEAL     an ARC-Seal: a, b, d, s and t only
 *                                    (h, bh, c, l, x, v are not read);
 *               AM_DKIM_SIG_AMS      an ARC-Message-Signature: also bh, h
 *                                    required, c=, l=, x= optional, no c=
 *                                    read as relaxed/relaxed (as dkimpy and
 *                                    the ARC test suite do);
 *               AM_DKIM_SIG_DKIM     a DKIM-Signature: as an AMS, plus v=1
 *                                    required, no c= is simple/simple (RFC
 *                                    6376 §3.5), and i= kept.
 *             Other tags are ignored. body_limit is -1 without l=; has_t
 *             and has_x tell whether t= and x= were present.
 * THREADS     reentrant.
 */
#ifndef AM_DKIM_SIG_H
#define AM_DKIM_SIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/am.h"
#include "dkim/dkim_canon.h"
#include "dkim/dkim_key.h"
#include "dkim/dkim_tags.h"

#define AM_DKIM_SIG_MAX_HNAMES 1024	/* names in one DKIM h= */

enum am_dkim_sig_kind {
	AM_DKIM_SIG_SEAL = 0,	/* ARC-Seal */
	AM_DKIM_SIG_AMS,	/* ARC-Message-Signature */
	AM_DKIM_SIG_DKIM,	/* DKIM-Signature */
};

struct am_dkim_sig_fields {
	struct am_dkim_tag b;		/* b= (value offsets for §3.7) */
	enum am_dkim_alg alg;		/* a= */
	struct am_str d;		/* d= */
	struct am_str s;		/* s= */
	struct am_str h;		/* h= (names split by ':'), or empty */
	struct am_str bh;		/* bh= (base64 of 32 bytes), or empty */
	struct am_str i;		/* DKIM: i=, or empty */
	enum am_dkim_canon hcanon;	/* c= header part */
	enum am_dkim_canon bcanon;	/* c= body part */
	int64_t body_limit;		/* l= in bytes, -1 when absent */
	bool has_t;			/* t= present */
	uint64_t t;			/* t= in seconds since the epoch */
	bool has_x;			/* x= present */
	uint64_t x;			/* x= in seconds since the epoch */
};

bool am_dkim_sig_parse(const struct am_dkim_tags *t, enum am_dkim_sig_kind k,
    size_t max_hnames, struct am_dkim_sig_fields *out, char *err,
    size_t errlen);

#endif
