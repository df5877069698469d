/*
 * arc_verify_impl.h - private to arc_verify.c and arc_result.c: the
 * verifier's state, shared so that the result (sealers, recorded results,
 * the A-R resinfo) can be built in its own file.
 */
#ifndef AM_ARC_VERIFY_IMPL_H
#define AM_ARC_VERIFY_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "dkim/dkim_canon.h"
#include "dkim/dkim_key.h"
#include "arc/arc_verify.h"

/* One body hash shared by the AMSs with the same c= body part and l=. */
struct arc_body {
	enum am_dkim_canon canon;	/* body canonicalisation */
	int64_t limit;			/* l=, -1 = whole body */
	struct am_dkim_body *h;		/* owned hasher */
	unsigned char digest[AM_DKIM_SHA256_LEN];	/* after eom */
};

/* One key lookup shared by the signatures with the same d= and s=. */
struct arc_keyslot {
	char *domain;			/* owned, lower-case */
	char *selector;			/* owned */
	struct am_dkim_key_query *q;	/* owned */
	bool is_waited;			/* st/key/why are set */
	enum am_status st;		/* AM_OK: key holds it */
	struct am_dkim_key key;		/* owned */
	struct am_why why;		/* reason when st != AM_OK */
};

struct am_arc_verify {
	struct am_dns *dns;		/* borrowed resolver */
	struct am_arc_verify_opts o;	/* copied, clamped */
	const struct am_msg *m;		/* borrowed from eoh to eom */
	struct am_arc_chain *chain;	/* owned, after eoh */
	bool is_eoh;			/* eoh ran */
	bool is_eom;			/* eom ran */
	bool is_body;			/* the body is hashed */
	size_t nbody;			/* used entries of body[] */
	struct arc_body body[AM_ARC_MAX_BODIES];
	int ams_body[AM_ARC_MAX_SETS];	/* body[] of each AMS, -1: none */
	size_t nkeys;			/* used entries of keys[] */
	struct arc_keyslot keys[2 * AM_ARC_MAX_SETS];
	int as_key[AM_ARC_MAX_SETS];	/* keys[] of each AS, -1: none */
	int ams_key[AM_ARC_MAX_SETS];	/* keys[] of each AMS, -1: none */
	struct am_dns_budget *budget;	/* borrowed: the message's, or NULL */
	uint64_t deadline_ms;		/* of the key waits, set at eom */
	struct am_buf scratch;		/* one canonical header at a time */
};

/* am_arc_result_fill - sealers and remote_ip of a valid structure
 * (arc_result.c). */
void am_arc_result_fill(const struct am_arc_verify *v,
    const enum am_arc_check *ams, const enum am_arc_check *as,
    struct am_arc_result *out);

#endif
