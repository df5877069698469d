/*
 * dkim_sign_impl.h - private to dkim_sign.c (the signer),
 * dkim_sign_claim.c (signatures already in the message that name our keys)
 * and dkim_sign_text.c (the header value we write): the signer's state and
 * the functions these files share. Nothing else includes this file.
 */
#ifndef AM_DKIM_SIGN_IMPL_H
#define AM_DKIM_SIGN_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/am.h"
#include "core/buf.h"
#include "msg/msg.h"
#include "dkim/dkim_canon.h"
#include "dkim/dkim_key.h"
#include "dkim/dkim_sig.h"
#include "dkim/dkim_sign.h"

#define NAMES_MAX	64		/* header names in a list */
#define CLAIMS_MAX	AM_KEYS_MAX_PER_MSG	/* signatures checked */
#define BODIES_MAX	(CLAIMS_MAX + 1)	/* body hash variants */

struct am_dkim_signer {
	const struct am_keys *keys;	/* borrowed */
	char *sign[NAMES_MAX];		/* owned lower-case names to sign */
	size_t nsign;			/* used entries of sign[] */
	char *over[NAMES_MAX];		/* owned names listed once more */
	size_t nover;			/* used entries of over[] */
	uint64_t ttl;			/* SignatureTTL in seconds; 0: no x= */
	uint64_t fixed_time;		/* t= in seconds for tests; 0: clock */
	size_t max_headers;		/* MaxHeaders: fields per message */
};

/* One key of this message. */
struct slot {
	const struct am_key *key;	/* borrowed from the key store */
	const char *domain;		/* d=: borrowed (key or From) */
	enum am_dkim_alg alg;		/* a=, from the key type */
	char signer[256];		/* i=, or "" */
	char *value;			/* owned result, after eom */
	bool is_active;			/* still to sign */
	bool is_claimed;		/* a DKIM-Signature names this key */
};

/* One body hash (canonicalisation and l=). */
struct body {
	enum am_dkim_canon canon;	/* c= body part */
	int64_t limit;			/* l=, -1: the whole body */
	struct am_dkim_body *h;		/* owned hasher */
	unsigned char digest[AM_DKIM_SHA256_LEN];	/* after eom */
};

/* A DKIM-Signature in the message that names one of our keys. */
struct claim {
	size_t idx;			/* its header index in s->m */
	struct slot *sl;		/* the key it names */
	struct am_dkim_sig_fields f;	/* its fields: views into s->m */
	size_t body;			/* its entry of s->body[] */
};

struct am_dkim_sign {
	const struct am_dkim_signer *sg; /* borrowed */
	char *from_domain;		/* owned, lower-case */
	uint64_t t;			/* t= of our signatures, seconds */
	struct slot slot[AM_KEYS_MAX_PER_MSG]; /* keys for this message */
	size_t nslots;			/* used entries of slot[] */
	size_t done[AM_KEYS_MAX_PER_MSG]; /* slot index of signature i */
	size_t ndone;			/* signatures produced */
	struct am_msg *m;		/* owned: the header fields fed */
	struct body body[BODIES_MAX];	/* body[0]: ours, relaxed */
	size_t nbody;			/* used entries of body[] */
	struct claim claim[CLAIMS_MAX];	/* existing signatures to check */
	size_t nclaims;			/* used entries of claim[] */
	struct am_buf scratch;		/* one canonical header */
	enum am_status st;		/* first error while feeding */
	struct am_why why;		/* its reason */
	bool is_eom;			/* eom ran */
	char note[256];			/* claims found, for the log line */
	bool is_note_cut;		/* note ends in "..." (more claims
					 * than it can hold) */
};

/* The tags of one signature, in the order written (RFC 6376 §3.5). */
struct am_dkim_sign_tags {
	enum am_dkim_alg alg;	/* a= */
	const char *d;		/* d= */
	const char *s;		/* s= */
	uint64_t t;		/* t= */
	uint64_t x;		/* x=, 0: none */
	const char *i;		/* i=, "" or NULL: none */
	const char *bh;		/* bh=, base64 */
	const char *h;		/* h=, names separated by ':' */
	unsigned rsa_bits;	/* RSA modulus bits (b= folding); 0: Ed25519 */
};

/* am_dkim_sign_text - the value "v=1; a=...; b=<b>" folded with "\n\t" as
 * libopendkim 2.11 folds it (dkim_sign_text.c) into out (reset first);
 * b may be "" (the form that is hashed). AM_PERMFAIL at out's cap. */
enum am_status am_dkim_sign_text(const struct am_dkim_sign_tags *t,
    const char *b, struct am_buf *out);

/* am_dkim_sign_body_for - the index of the body hash for (c, limit) in
 * s->body[], created on first use; SIZE_MAX when BODIES_MAX are in use. */
size_t am_dkim_sign_body_for(struct am_dkim_sign *s, enum am_dkim_canon c,
    int64_t limit);
/* am_dkim_sign_within - is the domain of the address addr (len bytes) d
 * or a subdomain of it (RFC 6376 §3.5 i=)? */
bool am_dkim_sign_within(const char *addr, size_t len, const char *d);
/* am_dkim_sign_has_from - does an h= list name From (§5.4: it MUST)? */
bool am_dkim_sign_has_from(const struct am_str *names, size_t n);
/* am_dkim_sign_claim - header idx of s->m is a DKIM-Signature: if its d=
 * and s= name one of s's keys, mark the key claimed and keep the
 * signature (parsed; CLAIMS_MAX at most) for am_dkim_sign_settle(). */
void am_dkim_sign_claim(struct am_dkim_sign *s, size_t idx);
/* am_dkim_sign_settle - at end of message, after the body hashes are
 * final: a key whose claimed signature verifies (RFC 6376 §6.1, with the
 * key's own public half) is done; the note names each claimed key
 * "verified" or "unverified". */
void am_dkim_sign_settle(struct am_dkim_sign *s);

#endif
