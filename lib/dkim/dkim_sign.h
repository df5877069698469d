/*
 * NAME        am_dkim_sign - DKIM signer for outbound mail (RFC 6376 §5,
 *             RFC 8463: RSA and Ed25519, one signature per key)
 * SYNOPSIS    at config load / reload, after am_keys_load():
 *                 sg = am_dkim_signer_new(cfg, keys, &errs);
 *             per outbound message, once the From header is known (eoh):
 *                 s = am_dkim_sign_new(sg, qid, from_local, from_domain);
 *                 if (am_dkim_sign_keys(s) > 0) {
 *                     for each header in order: am_dkim_sign_header(s, ...);
 *                     am_dkim_sign_eoh(s);
 *                     for each body chunk: am_dkim_sign_body(s, p, len);
 *                     if (am_dkim_sign_eom(s, &why) == AM_OK)
 *                         for (i = 0; i < am_dkim_sign_count(s); i++)
 *                             insert "DKIM-Signature" am_dkim_sign_value(s, i)
 *                             at the top (index 0);
 *                 }
 *                 s = am_dkim_sign_free(s);
 * DESCRIPTION am_dkim_signer_new() builds the per-configuration signing
 *             context: the header fields to sign from SignHeaders (empty:
 *             the default list in config_keys.def; From always included),
 *             the fields to oversign from OversignHeaders (each also
 *             signed), x= from SignatureTTL, and MaxHeaders (the most
 *             fields one message may feed). Return-Path, Received,
 *             Comments and Keywords are never signed, even when listed
 *             (RFC 6376 §5.4). keys is borrowed and must outlive the
 *             signer: signatures are made with the EVP_PKEYs it decoded at
 *             load, never with key text parsed per message. Problems (a
 *             bad header name) are appended to errs as "CONFIG: Key:
 *             message" lines and the result is NULL.
 *             am_dkim_signer_fix_time() is for tests: every signature made
 *             afterwards gets t= t (and x= t + SignatureTTL), and existing
 *             signatures are judged at that time; call it before the signer
 *             is shared. am_dkim_signer_free() accepts NULL and returns
 *             NULL.
 *
 *             am_dkim_sign_new() picks the keys for the From address
 *             (am_keys_lookup): one signature per key, relaxed/relaxed, the
 *             algorithm from the key type (rsa-sha256, RFC 6376; or
 *             ed25519-sha256, RFC 8463), t= now; it never returns NULL.
 *             am_dkim_sign_keys() is the number of keys still to sign
 *             with; when it is 0 nothing else needs calling (but free).
 *             from_domain must be lower-case; jobid is not used (NULL is
 *             fine).
 *             am_dkim_sign_header() takes one header exactly as libmilter
 *             delivers it (name, value with SMFIP_HDR_LEADSPC white space
 *             kept, folded lines joined by "\n"). A DKIM-Signature whose d=
 *             and s= equal one of this message's keys is verified at end of
 *             message against that key (from the key store, no DNS): when it
 *             verifies, the message was already signed with that key and
 *             that key does not sign it again; a claim that does not verify
 *             (forged, or the message changed since) is signed anyway. At
 *             most AM_KEYS_MAX_PER_MSG such signatures are checked; one
 *             whose x= has passed, or whose h= leaves out From, does not
 *             verify.
 *             am_dkim_sign_note() tells, after eom, what was found for the
 *             log line: "" or "example.com/sel:verified" and
 *             "example.com/sel:unverified" items, comma-separated (borrowed
 *             until am_dkim_sign_free()). Feed every header the
 *             MTA will deliver, in order, but not ones the milter is going
 *             to delete. am_dkim_sign_body() takes body chunks as they
 *             stream (CRLF line ends, as from the MTA; a last line without
 *             CRLF is signed as if it had one, RFC 6376 §3.4.4).
 *             Errors while feeding (more than MaxHeaders fields, one over
 *             1 MiB) and at the end (more than AM_DKIM_SIG_MAX_HNAMES
 *             fields to sign, no From field to sign) are latched and
 *             reported by am_dkim_sign_eom(): AM_PERMFAIL with the reason
 *             in why (no signature is produced then). On AM_OK,
 *             am_dkim_sign_count() signatures are ready (0 if every key
 *             had already signed); am_dkim_sign_value(s, i) is the
 *             DKIM-Signature header value, tags v, a, c, d, s, t, x, i, bh,
 *             h, b in that order, folded as libopendkim 2.11 folded it, with
 *             "\n\t" (no CRs), without a leading space, borrowed until
 *             am_dkim_sign_free(); am_dkim_sign_domain()/
 *             am_dkim_sign_selector() name its d= and s=.
 *             am_dkim_sign_free() accepts NULL and returns NULL.
 * THREADS     a signer (per configuration) is immutable and shared; a
 *             message's am_dkim_sign is used by one thread at a time.
 * DIAGNOSTICS am_dkim_sign_value() out of range and am_dkim_sign_body() after
 *             eom panic.
 */
#ifndef AM_DKIM_SIGN_H
#define AM_DKIM_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/am.h"
#include "core/buf.h"
#include "config/config.h"
#include "dkim/keys.h"

struct am_dkim_signer;
struct am_dkim_sign;

struct am_dkim_signer *am_dkim_signer_new(const struct am_config *cfg,
    const struct am_keys *keys, struct am_buf *errs);
void am_dkim_signer_fix_time(struct am_dkim_signer *sg, uint64_t t);
struct am_dkim_signer *am_dkim_signer_free(struct am_dkim_signer *sg);

struct am_dkim_sign *am_dkim_sign_new(const struct am_dkim_signer *sg,
    const char *jobid, const char *from_local, const char *from_domain);
size_t am_dkim_sign_keys(const struct am_dkim_sign *s);
void am_dkim_sign_header(struct am_dkim_sign *s, const char *name,
    const char *value, size_t value_len);
void am_dkim_sign_eoh(struct am_dkim_sign *s);
void am_dkim_sign_body(struct am_dkim_sign *s, const void *p, size_t len);
enum am_status am_dkim_sign_eom(struct am_dkim_sign *s, struct am_why *why);
size_t am_dkim_sign_count(const struct am_dkim_sign *s);
const char *am_dkim_sign_note(const struct am_dkim_sign *s);
const char *am_dkim_sign_value(const struct am_dkim_sign *s, size_t i);
const char *am_dkim_sign_domain(const struct am_dkim_sign *s, size_t i);
const char *am_dkim_sign_selector(const struct am_dkim_sign *s, size_t i);
struct am_dkim_sign *am_dkim_sign_free(struct am_dkim_sign *s);

#endif
