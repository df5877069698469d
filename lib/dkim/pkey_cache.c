/*
 * pkey_cache.c - private keys decoded once and handed to libopendkim (see
 * pkey_cache.h for why a libcrypto function is defined here).
 *
 * The registry is an array of (text, length, hash, key) under one rwlock:
 * lookups (every signed message) take it shared, add/remove (key store
 * load/free, i.e. start-up and reload) exclusive. Lookup hashes the BIO's
 * bytes (FNV-1a) and compares hash, length, then bytes.
 */
#include "autoconf.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <opendkim/dkim.h>

#include "core/am.h"
#include "core/xalloc.h"
#include "dkim/pkey_cache.h"

struct entry {
	const char *pem;	/* borrowed from the key store */
	size_t len;		/* strlen(pem) */
	uint64_t hash;		/* hash_bytes(pem, len) */
	EVP_PKEY *pkey;		/* one reference, ours */
	bool lend_borrowed;	/* hand out without a reference (below) */
};

/* libopendkim 2.11.0 frees the key it loaded for an RSA signature but
 * never the one for an Ed25519 signature (dkim_free skips it). A lent
 * reference would never come back, so Ed25519 keys are lent without one:
 * the key store keeps them alive for as long as any handle can use them.
 * Another libopendkim version might free them, so there Ed25519 keys are
 * not answered at all (decoded per message, as without this module). */
#define LIB_KEEPS_ED25519	0x020B0000UL

static pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;
static struct entry *ents;	/* owned array, under lock */
static size_t nents, capents;	/* used and allocated entries */
static atomic_ulong hits;	/* keys handed out */

/* hash_bytes - FNV-1a, 64 bits. */
static uint64_t
hash_bytes(const char *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)p[i]) * 0x100000001b3ULL;
	return h;
}

/* am_pkey_cache_add - register pem -> pkey (see header). */
void
am_pkey_cache_add(const char *pem, EVP_PKEY *pkey)
{
	struct entry e;

	if (pem == NULL || pkey == NULL)
		AM_PANIC("am_pkey_cache_add: no key");
	e.lend_borrowed = EVP_PKEY_get_base_id(pkey) == EVP_PKEY_ED25519;
	if (e.lend_borrowed && dkim_libversion() != LIB_KEEPS_ED25519)
		return;
	if (!EVP_PKEY_up_ref(pkey))
		AM_PANIC("am_pkey_cache_add: EVP_PKEY_up_ref");
	e.pem = pem;
	e.len = strlen(pem);
	e.hash = hash_bytes(pem, e.len);
	e.pkey = pkey;
	if (pthread_rwlock_wrlock(&lock) != 0)
		AM_PANIC("am_pkey_cache_add: rwlock");
	if (nents == capents) {
		capents = capents ? capents * 2 : 16;
		ents = am_xreallocarray(ents, capents, sizeof(*ents));
	}
	ents[nents++] = e;
	(void)pthread_rwlock_unlock(&lock);
}

/* am_pkey_cache_remove - forget pem, drop our reference (see header). */
void
am_pkey_cache_remove(const char *pem)
{
	EVP_PKEY *gone = NULL;

	if (pthread_rwlock_wrlock(&lock) != 0)
		AM_PANIC("am_pkey_cache_remove: rwlock");
	for (size_t i = 0; i < nents; i++)
		if (ents[i].pem == pem) {
			gone = ents[i].pkey;
			ents[i] = ents[--nents];
			break;
		}
	if (nents == 0) {
		free(ents);
		ents = NULL;
		capents = 0;
	}
	(void)pthread_rwlock_unlock(&lock);
	EVP_PKEY_free(gone);
}

/* am_pkey_cache_hits - keys handed out so far. */
unsigned long
am_pkey_cache_hits(void)
{
	return atomic_load(&hits);
}

/* lookup - the registered key for these bytes with a new reference, or
 * NULL. */
static EVP_PKEY *
lookup(const char *p, size_t len)
{
	EVP_PKEY *pkey = NULL;
	uint64_t h = hash_bytes(p, len);

	if (pthread_rwlock_rdlock(&lock) != 0)
		return NULL;
	for (size_t i = 0; i < nents; i++)
		if (ents[i].hash == h && ents[i].len == len &&
		    memcmp(ents[i].pem, p, len) == 0) {
			if (ents[i].lend_borrowed ||
			    EVP_PKEY_up_ref(ents[i].pkey))
				pkey = ents[i].pkey;
			break;
		}
	(void)pthread_rwlock_unlock(&lock);
	return pkey;
}

/*
 * PEM_read_bio_PrivateKey - OpenSSL's function, answered from the registry
 * for libopendkim's call shape (see header); otherwise OpenSSL's own
 * implementation (the _ex form with the default library context is what
 * the original calls).
 */
EVP_PKEY *
PEM_read_bio_PrivateKey(BIO *bp, EVP_PKEY **x, pem_password_cb *cb, void *u)
{
	EVP_PKEY *pkey;
	char *data;
	long n;

	if (bp != NULL && x == NULL && cb == NULL && u == NULL &&
	    BIO_method_type(bp) == BIO_TYPE_MEM &&
	    (n = BIO_get_mem_data(bp, &data)) > 0 &&
	    (pkey = lookup(data, (size_t)n)) != NULL) {
		atomic_fetch_add(&hits, 1);
		return pkey;
	}
	return PEM_read_bio_PrivateKey_ex(bp, x, cb, u, NULL, NULL);
}
