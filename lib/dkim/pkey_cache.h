/*
 * NAME        pkey_cache - private keys decoded once, handed to libopendkim
 *             for every message it signs
 * SYNOPSIS    am_pkey_cache_add(k->pem, pkey);     // key store, at load
 *             ... dkim_sign(lib, id, mem, k->pem, ...) ... dkim_eom() ...
 *             am_pkey_cache_remove(k->pem);        // key store, at free
 * DESCRIPTION libopendkim's dkim_sign() accepts a private key only as text,
 *             and dkim_eom() decodes that text again for every signature
 *             (PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) in
 *             dkim_privkey_load). With OpenSSL 3 the decoder set-up alone
 *             costs ~0.35 ms: 85% of an Ed25519 signature and 40% of an
 *             RSA-2048 one, plus fresh RSA blinding each time.
 *
 *             This module defines PEM_read_bio_PrivateKey in the program.
 *             libopendkim calls it through its PLT, so the program's
 *             definition is found first. When the BIO is a memory BIO
 *             holding exactly the PEM text of a registered key, and neither
 *             an output pointer nor a passphrase callback is given (the
 *             call libopendkim makes), it returns the registered EVP_PKEY:
 *             an RSA key with one more reference, which libopendkim drops
 *             in dkim_free(); an Ed25519 key without one, because
 *             libopendkim 2.11.0 never frees that key (with any other
 *             libopendkim version Ed25519 keys are not answered). EVP_PKEYs
 *             are safe to use for signing from several threads at once,
 *             and the key is the one the text decodes to, so the caller
 *             cannot tell the difference. Every other call goes to OpenSSL's
 *             PEM_read_bio_PrivateKey_ex, which is what the original does.
 *             If libopendkim stops calling this function, signing stays
 *             correct and only gets slower again (am_pkey_cache_hits()
 *             tells, and tests/check_dkim_sign asserts it).
 *
 *             am_pkey_cache_add registers pem (borrowed: it must stay
 *             unchanged until am_pkey_cache_remove(pem)) with pkey (one
 *             reference taken). Lookup is by content, since libopendkim
 *             copies the text; removal is by the pem pointer, so two key
 *             stores holding the same key (a reload) are independent.
 * THREADS     all functions are safe from any thread (one rwlock). This is
 *             the one process-wide registry in lib/: the hook has no
 *             context argument to carry it.
 */
#ifndef AM_PKEY_CACHE_H
#define AM_PKEY_CACHE_H

#include <openssl/evp.h>

void am_pkey_cache_add(const char *pem, EVP_PKEY *pkey);
void am_pkey_cache_remove(const char *pem);
unsigned long am_pkey_cache_hits(void);

#endif
