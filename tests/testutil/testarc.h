/*
 * NAME        am_test_arc - messages through lib/arc, for the ARC suites
 * SYNOPSIS    struct am_test_arc_msg t;
 *             am_test_arc_load(&t, text, strlen(text));
 *             am_test_arc_verify(dns, &t, 0, &res);
 *             out = am_test_arc_seal(&t, &opts, res.status, "mx; spf=pass",
 *                 &why);
 *             am_test_arc_release(&t);
 * DESCRIPTION am_test_arc_load() parses a message (LF or CRLF line ends)
 *             with am_eml_parse() into t->m (headers as libmilter gives
 *             them) and t->body (CRLF body bytes, capped at 16 MiB).
 *             am_test_arc_release() frees both.
 *             am_test_arc_verify() runs a fresh verifier (ARCMaxSets 50,
 *             timeout 5 s, 1024-bit RSA minimum, unless opts is not NULL)
 *             on t over dns, the body in pieces of chunk bytes (0: whole),
 *             and fills res (release with am_arc_result_release()).
 *             am_test_arc_verify_opts() is the same with explicit options.
 *             am_test_arc_seal() seals t with opts for the chain status
 *             chain and Authentication-Results text authres, and returns
 *             the sealed message as CRLF text (owned, free()): the new
 *             ARC-Seal, ARC-Message-Signature and ARC-Authentication-Results
 *             on top of t's headers and body; NULL with why when the sealer
 *             refused. The values are kept in *set when set is not NULL
 *             (release with am_arc_seal_set_release()).
 *             am_test_arc_text() writes t back as CRLF text (owned).
 *             am_test_arc_key() fills *k with a fresh private key (RSA of
 *             bits bits, or Ed25519 when bits is 0) for domain and
 *             selector (copied), as the key store would (name, alg, bits,
 *             pkey); am_test_arc_key_release() frees it.
 *             am_test_arc_key_record() returns its DNS TXT value
 *             ("v=DKIM1; k=rsa; p=..."), owned; am_test_arc_key_pem()
 *             writes the private key as PKCS#8 PEM into path (for dkimpy).
 *             These key functions check with AM_TEST_NEED, not Check, so
 *             main() may call them.
 * DIAGNOSTICS Check assertions: call these inside a test.
 */
#ifndef AM_TESTARC_H
#define AM_TESTARC_H

#include <stddef.h>

#include "core/buf.h"
#include "msg/msg.h"
#include "dns/dns.h"
#include "arc/arc_seal.h"
#include "dkim/keys.h"
#include "arc/arc_verify.h"

struct am_test_arc_msg {
	struct am_msg *m;	/* owned: the headers */
	struct am_buf body;	/* owned: the body, CRLF */
};

void am_test_arc_load(struct am_test_arc_msg *t, const char *text,
    size_t len);
void am_test_arc_release(struct am_test_arc_msg *t);
void am_test_arc_verify(struct am_dns *dns, const struct am_test_arc_msg *t,
    size_t chunk, struct am_arc_result *res);
void am_test_arc_verify_opts(struct am_dns *dns,
    const struct am_arc_verify_opts *o, const struct am_test_arc_msg *t,
    size_t chunk, struct am_arc_result *res);
char *am_test_arc_seal(const struct am_test_arc_msg *t,
    const struct am_arc_seal_opts *opts, enum am_arc_status chain,
    const char *authres, struct am_arc_seal_set *set, struct am_why *why);
char *am_test_arc_text(const struct am_test_arc_msg *t);
void am_test_arc_key(struct am_key *k, unsigned bits, const char *domain,
    const char *selector);
void am_test_arc_key_release(struct am_key *k);
char *am_test_arc_key_record(const struct am_key *k);
void am_test_arc_key_pem(const struct am_key *k, const char *path);

#endif
