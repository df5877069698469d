/*
 * NAME        am_arc_verify - ARC chain validation for one message (RFC 8617
 *             §5.2), with the recorded results of every sealer
 * SYNOPSIS    v = am_arc_verify_new(dns, &opts);
 *             if (am_arc_verify_eoh(v, msg))
 *                     for each chunk: am_arc_verify_body(v, p, len);
 *             am_arc_verify_eom(v, &res);
 *             am_arc_result_add_authres(&res, client_ip, ar);
 *             am_arc_result_release(&res); v = am_arc_verify_free(v);
 * DESCRIPTION am_arc_verify_new() returns an owned verifier (never NULL) on
 *             dns (borrowed; it must outlive the verifier). opts is copied:
 *             max_sets is ARCMaxSets (clamped to 1..50), timeout_ms bounds
 *             the key lookups (DNSTimeout; 0 means 5000), min_key_bits the
 *             smallest RSA key (MinimumKeyBits; raised to 1024 when lower,
 *             since RFC 8301 forbids smaller keys).
 *
 *             am_arc_verify_eoh() is called once the message's headers are
 *             all in m (borrowed: m must stay unchanged until eom returns).
 *             It parses the ARC sets (arc_parse.h) and, for a chain whose
 *             structure is valid, sets up one body hash per distinct
 *             (body canonicalisation, l=) of the AMSs (at most
 *             AM_ARC_MAX_BODIES; an AMS beyond them does not validate) and
 *             starts the key lookups of every distinct d=/s= pair (at most
 *             2 * N, in parallel). It returns whether the body is needed:
 *             false for no chain or a chain already failed by its structure.
 *             am_arc_verify_body() streams body chunks (CRLF line ends);
 *             ignored when eoh returned false.
 *             am_arc_verify_set_budget() (before eoh) makes the key lookups
 *             wait against the message's DNS budget b (borrowed; dns_budget.h)
 *             instead of timeout_ms from eom: the lookups eoh starts run
 *             while the body streams, and eom waits no later than the
 *             budget's deadline, starting the budget if nothing has yet (a
 *             spent budget is a temperror without a query's wait).
 *             am_arc_verify_eom() fills *out (overwritten; release an old
 *             one first) after the §5.2 algorithm:
 *             1-3. no ARC header: none; structure invalid, more than
 *                max_sets sets, or the newest ARC-Seal says cv=fail: fail.
 *             4. the newest AMS must validate, else fail.
 *             5. oldest_pass: walking down from N-1, the lowest instance i
 *                such that AMS(i)..AMS(N) all validate; 0 when all of them
 *                down to AMS(1) do (RFC 8617 §5.2 step 5).
 *             6. every AS from N down to 1 must validate, else fail.
 *             7. pass.
 *             An AMS validates when its fields are valid, l= is not longer
 *             than the canonical body, bh= equals the body hash, and b= is a
 *             valid signature by the key of d=/s= over the h= header fields
 *             (selected bottom-up, canonicalised per c=) and the AMS itself
 *             with b= emptied (RFC 6376 §3.7). An AS validates when b= is a
 *             valid signature over AAR, AMS and AS of instances 1..i in that
 *             order, relaxed, the AS itself with b= emptied and last
 *             (§5.1.1). Keys: dkim_key.h (RSA of min_key_bits..8192 bits or
 *             Ed25519; a= must match the key type). A key lookup that fails
 *             temporarily fails the chain with is_temperror set when it
 *             decides steps 4 or 6 (the caller may treat that as a
 *             temporary error); in step 5 it only ends the walk. The deadline
 *             of all lookups is timeout_ms after eom starts (they have run
 *             since eoh). A verifier is single-use: after eom only free.
 *
 *             Result: status and reason (the step and header that failed:
 *             "ARC-Seal i=2: signature verification failed"); count = N and
 *             sealers[0..N-1] for a structurally valid chain (also when a
 *             signature then fails), each with the d=/s= of its AS and AMS
 *             (lower-cased domains; "" for an AMS too malformed to say), its
 *             cv=, whether its AMS and AS were found valid (UNKNOWN when not
 *             checked), and its AAR's recorded results parsed by
 *             am_authres_parse() (NULL when they do not parse; the chain
 *             does not depend on them); max_instance and is_newest_cv_fail
 *             as arc_parse found them (what a sealer needs, also for a
 *             failed chain); remote_ip: the first smtp.remote-ip property
 *             in the newest AAR ("" when none or the chain is not valid).
 *             am_arc_result_add_authres() adds one "arc" resinfo to ar:
 *             result, reason= for fail, a comment "i=N" when there are
 *             sets, header.oldest-pass for pass, and smtp.remote-ip=
 *             client_ip when client_ip is not NULL or "" (RFC 8617 §10.1:
 *             the address of the client that handed us the message).
 *             am_arc_result_release() frees what out owns and leaves it
 *             empty (status none); am_arc_verify_free() accepts NULL and
 *             returns NULL.
 * THREADS     one verifier per message, one thread at a time.
 * DIAGNOSTICS Everything a message or DNS can cause is a result. NULL
 *             arguments, body or eom before eoh, and a second eom are a
 *             panic.
 */
#ifndef AM_ARC_VERIFY_H
#define AM_ARC_VERIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "core/am.h"
#include "msg/authres.h"
#include "msg/msg.h"
#include "dns/dns.h"
#include "dns/dns_budget.h"
#include "arc/arc_parse.h"

#define AM_ARC_MAX_BODIES 8	/* distinct (c=, l=) body hashes */

enum am_arc_status {
	AM_ARC_NONE = 0,	/* no ARC header */
	AM_ARC_PASS,		/* chain valid */
	AM_ARC_FAIL,		/* chain invalid */
};

enum am_arc_check {
	AM_ARC_CHECK_UNKNOWN = 0,	/* not checked */
	AM_ARC_CHECK_PASS,		/* validated */
	AM_ARC_CHECK_FAIL,		/* did not validate */
};

struct am_arc_verify_opts {
	unsigned max_sets;	/* ARCMaxSets */
	unsigned timeout_ms;	/* deadline of the key lookups, ms */
	unsigned min_key_bits;	/* smallest RSA key, bits */
};

/* One ARC set as the result reports it. */
struct am_arc_sealer {
	unsigned instance;		/* i= */
	char *as_domain;		/* owned: AS d=, lower-case */
	char *as_selector;		/* owned: AS s= */
	char *ams_domain;		/* owned: AMS d=, lower-case, or "" */
	char *ams_selector;		/* owned: AMS s=, or "" */
	enum am_arc_cv cv;		/* AS cv= */
	enum am_arc_check ams;		/* did the AMS validate */
	enum am_arc_check as;		/* did the AS validate */
	struct am_authres_parsed *aar;	/* owned: recorded results, or NULL */
};

struct am_arc_result {
	enum am_arc_status status;	/* arc= */
	char reason[160];		/* why fail, else "" */
	bool is_temperror;		/* fail caused by a DNS temperror */
	unsigned count;			/* N, for a valid structure */
	unsigned max_instance;		/* highest i= of any ARC header */
	bool is_newest_cv_fail;		/* newest ARC-Seal says cv=fail */
	unsigned oldest_pass;		/* pass only: see step 5 above */
	char remote_ip[64];		/* newest AAR's smtp.remote-ip */
	struct am_arc_sealer *sealers;	/* owned array of count */
};

struct am_arc_verify;

struct am_arc_verify *am_arc_verify_new(struct am_dns *dns,
    const struct am_arc_verify_opts *opts);
struct am_arc_verify *am_arc_verify_free(struct am_arc_verify *v);
void am_arc_verify_set_budget(struct am_arc_verify *v,
    struct am_dns_budget *b);
bool am_arc_verify_eoh(struct am_arc_verify *v, const struct am_msg *m);
void am_arc_verify_body(struct am_arc_verify *v, const void *p, size_t len);
void am_arc_verify_eom(struct am_arc_verify *v, struct am_arc_result *out);
void am_arc_result_release(struct am_arc_result *r);
void am_arc_result_add_authres(const struct am_arc_result *r,
    const char *client_ip, struct am_authres *ar);
const char *am_arc_status_name(enum am_arc_status s);

#endif
