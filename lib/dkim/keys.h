/*
 * NAME        am_keys - DKIM signing keys and the table that picks them
 * SYNOPSIS    struct am_keys *ks = am_keys_load(cfg, &errs, &warns);
 *             const struct am_key *k[AM_KEYS_MAX_PER_MSG];
 *             size_t n = am_keys_lookup(ks, "user", "example.com", k,
 *                 AM_KEYS_MAX_PER_MSG, NULL);
 *             ks = am_keys_free(ks);
 * DESCRIPTION am_keys_load() reads every private key once, at start-up and
 *             at reload (never per message), from one of two sources:
 *
 *             OpenDKIM tables. KeyTable ("[file:]PATH") has lines
 *             "keyname domain:selector:/path/to/key"; domain "%" means the
 *             From domain of each message. SigningTable ("[file:]PATH" or
 *             "refile:PATH") has lines "pattern keyname [signer]"; signer
 *             becomes i= ("%" in it is the From domain; it is left out when
 *             it is not within d=). Several lines with the same pattern
 *             give several keys: that is how RSA + Ed25519 dual signing is
 *             written. A plain file is looked up in OpenDKIM's order:
 *             user@host, host, user@.parent and .parent for each parent
 *             domain, user@*, then *. A refile is a list of wildcard
 *             patterns ('*' matches any run of characters, case-insensitive)
 *             tried against "user@host" in file order. The first pattern
 *             that matches supplies all its keys.
 *
 *             Simple form: Domain (comma-separated domains), Selector and
 *             KeyFile (comma-separated, paired one to one: "rsa1, ed1" and
 *             "/k/rsa1.key, /k/ed1.key" sign with both). Mail whose From
 *             domain is exactly one of Domain is signed with d= that domain.
 *             Using both forms at once is an error.
 *
 *             Every key is checked with OpenSSL: a regular file of at most
 *             64 KiB, readable, an unencrypted PEM (or DER) private key,
 *             RSA of at least 1024 bits (a warning under 2048) or Ed25519.
 *             The algorithm is derived from the key type. File mode (of the
 *             open descriptor): any group or world permission bit is an
 *             error when RequireSafeKeys is yes (the default; keys are
 *             loaded as root before privileges are dropped, so 0600 owned
 *             by root or by the daemon's user always works), a warning
 *             when it is no. Every problem is appended to errs as one
 *             "FILE:LINE: message" line (for the simple form
 *             "CONFIG: KeyFile PATH: message"), warnings to warns; either
 *             may be NULL. The result is NULL when there was any error.
 *             With no signing configured the result is an empty store
 *             (am_keys_count() == 0), not NULL.
 *
 *             am_keys_lookup() fills out[] (borrowed pointers, valid until
 *             am_keys_free) with at most max keys for a From address and
 *             returns how many; *signer (may be NULL) gets the signing
 *             table's signer field for that match, or NULL. from_local may
 *             be NULL or "" (no local part). from_domain must be lower-case
 *             (as lib/msg/from.c gives it).
 *             am_key_domain() is the d= to sign with: the key's domain, or
 *             from_domain for a "%" key.
 *             am_keys_count()/am_keys_get() enumerate the KeyTable (for
 *             authmilterctl testkey).
 *             am_key_record() writes the DNS TXT value for a key
 *             ("v=DKIM1; k=rsa; p=BASE64") into out (reset first).
 *             am_key_pubdata() gives the p= bytes of an OpenSSL key: the
 *             SubjectPublicKeyInfo DER for RSA, the raw 32 bytes for
 *             Ed25519 (RFC 8463 §4); owned, free() it.
 *             am_keys_free() frees the keys (EVP_PKEY_free, which clears
 *             the private parts; the key file's bytes were wiped with
 *             OPENSSL_cleanse as soon as they were decoded), accepts NULL
 *             and returns NULL. A store belongs to one configuration
 *             snapshot (lib/pipeline/ctx.c: the runtime of a config holds
 *             it and frees it with the runtime, so a reload that replaces
 *             the runtime frees the old keys once the last connection on
 *             it ends); nothing outside the store keeps a key.
 * THREADS     a store is immutable after load and may be shared by any
 *             number of threads.
 */
#ifndef AM_KEYS_H
#define AM_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>

#include "core/am.h"
#include "core/buf.h"
#include "config/config.h"

/* Most keys a single message is signed with. */
#define AM_KEYS_MAX_PER_MSG 8

enum am_key_alg {
	AM_KEY_RSA_SHA256 = 0,		/* rsa-sha256 (RFC 8301) */
	AM_KEY_ED25519_SHA256,		/* ed25519-sha256 (RFC 8463) */
};

/* One private key; read-only for callers. */
struct am_key {
	char *name;		/* KeyTable key name (simple form: selector) */
	char *domain;		/* signing domain, lower-case, or "%" */
	char *selector;		/* selector, as written */
	char *path;		/* key file */
	char *where;		/* "FILE:LINE" that defined the key */
	enum am_key_alg alg;	/* derived from the key type */
	unsigned bits;		/* RSA modulus bits; 256 for Ed25519 */
	EVP_PKEY *pkey;		/* the private key, decoded once at load; the
				 * DKIM signer and the ARC sealer sign with
				 * it; owned, freed (and its private parts
				 * cleared by OpenSSL) by am_keys_free() */
	unsigned char *pub;	/* p= bytes (see am_key_pubdata) */
	size_t pub_len;		/* bytes in pub */
};

struct am_keys;

struct am_keys *am_keys_load(const struct am_config *cfg, struct am_buf *errs,
    struct am_buf *warns);
struct am_keys *am_keys_free(struct am_keys *ks);
size_t am_keys_lookup(const struct am_keys *ks, const char *from_local,
    const char *from_domain, const struct am_key **out, size_t max,
    const char **signer);
const char *am_key_domain(const struct am_key *k, const char *from_domain);
size_t am_keys_count(const struct am_keys *ks);
const struct am_key *am_keys_get(const struct am_keys *ks, size_t i);
const char *am_key_alg_name(enum am_key_alg alg);
enum am_status am_key_record(const struct am_key *k, struct am_buf *out);
enum am_status am_key_pubdata(EVP_PKEY *pk, unsigned char **out,
    size_t *len);

#endif
