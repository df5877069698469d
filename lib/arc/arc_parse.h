/*
 * NAME        am_arc_parse - the ARC sets of a message (RFC 8617 §4, §5.2
 *             steps 1-3): ARC-Seal, ARC-Message-Signature and
 *             ARC-Authentication-Results grouped by instance, checked for
 *             structure
 * SYNOPSIS    struct am_arc_chain *c = am_arc_parse(msg, 50);
 *             if (c->status == AM_ARC_CHAIN_OK)
 *                     for (i = 1; i <= c->count; i++) ... c->set[i - 1] ...
 *             c = am_arc_chain_free(c);
 * DESCRIPTION am_arc_parse() reads every kept header of m named ARC-Seal
 *             (AS), ARC-Message-Signature (AMS) or ARC-Authentication-Results
 *             (AAR), ASCII case-insensitively, and returns an owned chain
 *             (never NULL; free with am_arc_chain_free()). Views in it point
 *             into m's header values (borrowed: valid until m is reset or
 *             freed); header indices are m's (am_msg_header()).
 *
 *             status is AM_ARC_CHAIN_NONE when there is no ARC header,
 *             AM_ARC_CHAIN_FAIL with reason when the chain is invalid by
 *             RFC 8617 §5.2 steps 1-3, else AM_ARC_CHAIN_OK with count = N
 *             sets, instances 1..N in set[0..N-1]. FAIL when:
 *             - an AS or AMS is not a valid tag=value list (dkim_tags.h), or
 *               an AAR does not start with "i=N;" (FWS allowed around the
 *               tokens);
 *             - an instance is not 1..50 (1*2DIGIT; "i=0", "i=", "i=a" are
 *               malformed), or above max_sets (ARCMaxSets; clamped to
 *               1..AM_ARC_MAX_SETS);
 *             - two headers of one kind share an instance, or more than
 *               3 * AM_ARC_MAX_SETS ARC headers are present (the scan stops
 *               there);
 *             - the AS of the highest instance says cv=fail (step 2;
 *               is_newest_cv_fail is then set);
 *             - an instance 1..N lacks one of the three (step 3a/3b);
 *             - an AS is malformed (fields below) or its cv= is not "none"
 *               for i=1 and "pass" above (step 3c).
 *             The reason of the first problem found is kept.
 *             max_instance is the highest instance of any ARC header whose
 *             instance parsed (AM_ARC_MAX_SETS when the header count cap
 *             was hit), also for a failed chain: a sealer adds
 *             max_instance + 1.
 *
 *             Fields (struct am_arc_sig): an AS needs a, b, cv, d, s and no
 *             h=; an AMS needs a, b, bh, d, h, s; both may carry t=
 *             (digits); an AMS may carry c=, l= and
 *             x= (digits); an AMS without c= is read as relaxed/relaxed
 *             (dkimpy and the ARC test suite do; RFC 6376's default would
 *             be simple/simple). a= is rsa-sha256 or ed25519-sha256 (RFC 8463;
 *             RFC 8617 names only rsa-sha256), b= base64 of 1..
 *             AM_DKIM_SIG_MAX_BYTES bytes, bh= base64 of 32 bytes, d= a
 *             domain (LDH and '_' labels of 1..63, 253 in all), s= a
 *             selector (the same syntax), h= a valid list (dkim_canon.h) of
 *             at most AM_ARC_MAX_HNAMES names that does not name ARC-Seal
 *             (§4.1.2). Other tags are ignored. A malformed AMS does not
 *             fail the chain here: is_valid is false with error set, and
 *             arc_verify treats it as an AMS that does not validate
 *             (fatal only for the newest one, §5.2 step 4).
 * THREADS     reentrant; a chain has one owner.
 */
#ifndef AM_ARC_PARSE_H
#define AM_ARC_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/am.h"
#include "msg/msg.h"
#include "dkim/dkim_canon.h"
#include "dkim/dkim_key.h"
#include "dkim/dkim_tags.h"

#define AM_ARC_MAX_SETS 50	/* RFC 8617 §4.2.1: i=1..50 */
#define AM_ARC_MAX_HNAMES 128	/* names in one AMS h= */

enum am_arc_chain_status {
	AM_ARC_CHAIN_NONE = 0,	/* no ARC header */
	AM_ARC_CHAIN_OK,	/* structure valid, N = count sets */
	AM_ARC_CHAIN_FAIL,	/* invalid: reason */
};

enum am_arc_cv {
	AM_ARC_CV_NONE = 0,	/* cv=none */
	AM_ARC_CV_PASS,		/* cv=pass */
	AM_ARC_CV_FAIL,		/* cv=fail */
};

/* One AMS or AS: views into its header value. */
struct am_arc_sig {
	size_t idx;		/* header index in the message */
	bool is_present;	/* a header of this kind and instance exists */
	bool is_valid;		/* every field below is set */
	char error[128];	/* why not valid */
	struct am_dkim_tag b;	/* the b= tag (offsets for §3.7) */
	enum am_dkim_alg alg;	/* a= */
	struct am_str d;	/* d= */
	struct am_str s;	/* s= */
	enum am_arc_cv cv;	/* AS: cv= */
	struct am_str h;	/* AMS: h= (names separated by ':') */
	struct am_str bh;	/* AMS: bh= (base64 of 32 bytes) */
	enum am_dkim_canon hcanon;	/* AMS: c= header part */
	enum am_dkim_canon bcanon;	/* AMS: c= body part */
	int64_t body_limit;	/* AMS: l= in bytes, -1 when absent */
};

/* One ARC set: instance i lives in set[i - 1]. */
struct am_arc_set {
	bool has_aar;		/* an AAR of this instance exists */
	size_t aar_idx;		/* its header index */
	struct am_str aar_results;	/* the AAR value after "i=N;": an
					 * Authentication-Results value */
	struct am_arc_sig ams;	/* the ARC-Message-Signature */
	struct am_arc_sig as;	/* the ARC-Seal */
};

struct am_arc_chain {
	enum am_arc_chain_status status;	/* see above */
	char reason[160];		/* why FAIL, else "" */
	unsigned count;			/* N when OK, else 0 */
	unsigned max_instance;		/* highest instance seen, 0: none */
	bool is_newest_cv_fail;		/* AS(max_instance) has cv=fail */
	struct am_arc_set set[AM_ARC_MAX_SETS];	/* by instance - 1 */
};

struct am_arc_chain *am_arc_parse(const struct am_msg *m, unsigned max_sets);
struct am_arc_chain *am_arc_chain_free(struct am_arc_chain *c);
/* am_arc_cv_name - "none", "pass", "fail". */
const char *am_arc_cv_name(enum am_arc_cv cv);

#endif
