/*
 * NAME        am_outbound - what is done to one outbound message: DKIM signing
 * DESCRIPTION am_outbound_new() starts the per-message state on a pinned
 *             runtime (borrowed) and returns it owned; am_outbound_free()
 *             accepts NULL, returns NULL. am_outbound_eoh() reads the kept
 *             headers of msg (borrowed for the call): it takes the author from
 *             the first From header, looks up the signing keys for it and, if
 *             there are any, feeds every kept header not marked deleted
 *             (forged headers we remove are never signed) to one signer per
 *             key. am_outbound_body() streams the body; false when nothing
 *             needs it. am_outbound_eom() finishes the signatures.
 *             am_outbound_results() then points the outbound fields of r
 *             (results.h) at what the signer did: nothing (and why), one
 *             DKIM-Signature value per key in key order, or a failure (and
 *             why); they stay readable until the object is freed. What
 *             follows from them (the headers, OnInternalError) is the
 *             decision's (decide.h).
 * THREADS     one message, one callback at a time; the runtime is shared.
 */
#ifndef AM_OUTBOUND_H
#define AM_OUTBOUND_H

#include <stdbool.h>
#include <stddef.h>

#include "msg/msg.h"
#include "pipeline/ctx.h"
#include "pipeline/results.h"

struct am_outbound;

struct am_outbound *am_outbound_new(struct am_runtime *rt, const char *jobid);
struct am_outbound *am_outbound_free(struct am_outbound *out);
void am_outbound_eoh(struct am_outbound *out, const struct am_msg *msg);
bool am_outbound_body(struct am_outbound *out, const void *p, size_t len);
void am_outbound_eom(struct am_outbound *out);
void am_outbound_results(const struct am_outbound *out, struct am_results *r);

#endif
