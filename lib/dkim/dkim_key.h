/*
 * NAME        am_dkim_key - DKIM public keys from DNS (RFC 6376 §3.6, RFC
 *             8463) and the signature primitive over a SHA-256 hash
 *             (rsa-sha256, RFC 8301; ed25519-sha256, RFC 8463 §3), for ARC
 *             and any other user of DKIM-style signatures
 * SYNOPSIS    q = am_dkim_key_start(dns, "sel", "example.org");
 *             ... later ...
 *             st = am_dkim_key_wait(q, deadline_ms, 1024, &key, &why);
 *             q = am_dkim_key_query_free(q);
 *             ok = am_dkim_key_verify(&key, AM_DKIM_ALG_RSA_SHA256, hash,
 *                 sig, siglen);
 *             am_dkim_key_release(&key);
 * DESCRIPTION am_dkim_alg_parse() maps an a= value ("rsa-sha256",
 *             "ed25519-sha256", exact) to an algorithm; false otherwise
 *             (rsa-sha1 included: RFC 8301 forbids it).
 *
 *             am_dkim_key_parse() reads one key record (TXT value, len
 *             bytes, a NUL byte makes it malformed) into *out (overwritten;
 *             release it) and returns AM_OK, or AM_PERMFAIL with the reason:
 *             malformed tag list; v= present but not first or not "DKIM1";
 *             k= other than rsa or ed25519 (default rsa); h= that does not
 *             list sha256; s= that lists neither "*" nor "email"; no p=;
 *             an empty p= ("key revoked"); p= not base64 or over
 *             AM_DKIM_KEY_MAX_BYTES; an RSA key that is not a DER
 *             SubjectPublicKeyInfo or PKCS#1 RSAPublicKey of an RSA key, or
 *             has fewer than min_bits or more than AM_DKIM_KEY_MAX_BITS bits;
 *             an Ed25519 p= that is not 32 bytes. t=y sets is_testing.
 *
 *             am_dkim_key_start() starts the TXT lookup of
 *             selector._domainkey.domain on dns (borrowed; it must outlive
 *             the query) and returns an owned query (never NULL; a name over
 *             253 characters or with an empty label is reported by the
 *             wait). am_dkim_key_wait() waits until deadline_ms (absolute,
 *             see am_dns_deadline()), then parses the answer: the first TXT
 *             record that is a valid key wins. AM_TEMPFAIL with the reason
 *             for a DNS failure or timeout; AM_PERMFAIL for no record
 *             (NXDOMAIN, NODATA: "no key"), a malformed name, or no valid
 *             key record (the reason of the first one). Waiting again gives
 *             the same result. am_dkim_key_query_free() accepts NULL and
 *             returns NULL.
 *
 *             am_dkim_key_verify() checks sig over the 32-byte hash: the
 *             key type must match alg (an RSA key for rsa-sha256:
 *             RSASSA-PKCS1-v1_5 with a SHA-256 DigestInfo; an Ed25519 key
 *             for ed25519-sha256: PureEdDSA over the hash bytes). Any
 *             mismatch or error is false.
 *             am_dkim_key_sign() is the signer's side with a private key
 *             (borrowed): the base64 of the signature over hash is appended
 *             to out; AM_PERMFAIL (out unchanged) when the key type does not
 *             match alg, OpenSSL fails, or out is full.
 *             am_dkim_key_release() frees what *k owns and leaves it empty.
 * THREADS     reentrant; a query has one owner; an EVP_PKEY may be used for
 *             signing and verifying by several threads at once.
 */
#ifndef AM_DKIM_KEY_H
#define AM_DKIM_KEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "core/am.h"
#include "core/buf.h"
#include "dns/dns.h"

#define AM_DKIM_KEY_MAX_BITS 8192	/* larger RSA keys are refused */
#define AM_DKIM_KEY_MAX_BYTES 1600	/* decoded p=: 8192-bit SPKI ~1.1 KB */
#define AM_DKIM_SIG_MAX_BYTES 1024	/* decoded b=: 8192-bit signature */

enum am_dkim_alg {
	AM_DKIM_ALG_RSA_SHA256 = 0,	/* rsa-sha256 */
	AM_DKIM_ALG_ED25519_SHA256,	/* ed25519-sha256 (RFC 8463) */
};

struct am_dkim_key {
	EVP_PKEY *pkey;		/* owned public key, NULL when empty */
	enum am_dkim_alg alg;	/* what the key can verify */
	unsigned bits;		/* RSA modulus bits; 256 for Ed25519 */
	bool is_testing;	/* t=y */
};

struct am_dkim_key_query;

bool am_dkim_alg_parse(struct am_str a, enum am_dkim_alg *out);
const char *am_dkim_alg_name(enum am_dkim_alg alg);
enum am_status am_dkim_key_parse(const char *txt, size_t len,
    unsigned min_bits, struct am_dkim_key *out, struct am_why *why);
struct am_dkim_key_query *am_dkim_key_start(struct am_dns *dns,
    const char *selector, const char *domain);
enum am_status am_dkim_key_wait(struct am_dkim_key_query *q,
    uint64_t deadline_ms, unsigned min_bits, struct am_dkim_key *out,
    struct am_why *why);
struct am_dkim_key_query *am_dkim_key_query_free(struct am_dkim_key_query *q);
bool am_dkim_key_verify(const struct am_dkim_key *k, enum am_dkim_alg alg,
    const unsigned char *hash, const unsigned char *sig, size_t siglen);
enum am_status am_dkim_key_sign(EVP_PKEY *pk, enum am_dkim_alg alg,
    const unsigned char *hash, struct am_buf *out);
void am_dkim_key_release(struct am_dkim_key *k);

#endif
