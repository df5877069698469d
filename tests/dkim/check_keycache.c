/*
 * check_keycache.c - pkey_cache (libopendkim's key decode answered from
 * keys loaded once) and dkim_mem (per-handle allocation lists): the hook
 * answers only libopendkim's call shape and falls through to OpenSSL for
 * everything else, a removed key is no longer answered, a real
 * libopendkim signing handle goes through both, and nothing is left.
 */
#include "autoconf.h"

#include <check.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <opendkim/dkim.h>

#include "dkim/dkim_mem.h"
#include "dkim/pkey_cache.h"
#include "core/xalloc.h"
#include "testutil/testutil.h"

/* new_key - a fresh key of this type and its PKCS#8 PEM (owned). */
static EVP_PKEY *
new_key(const char *type, char **pem)
{
	EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, type, (size_t)2048);
	BIO *b = BIO_new(BIO_s_mem());
	char *p;
	long n;

	ck_assert_ptr_nonnull(pk);
	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(PEM_write_bio_PrivateKey(b, pk, NULL, NULL, 0, NULL,
	    NULL), 1);
	n = BIO_get_mem_data(b, &p);
	*pem = am_xmemdup(p, (size_t)n);
	BIO_free(b);
	return pk;
}

/* decode - PEM_read_bio_PrivateKey on a memory BIO holding text. */
static EVP_PKEY *
decode(const char *text, pem_password_cb *cb)
{
	BIO *b = BIO_new_mem_buf(text, -1);
	EVP_PKEY *pk;

	ck_assert_ptr_nonnull(b);
	pk = PEM_read_bio_PrivateKey(b, NULL, cb, NULL);
	BIO_free(b);
	return pk;
}

static int
no_pass(char *buf, int size, int rw, void *u)
{
	(void)buf, (void)size, (void)rw, (void)u;
	return -1;
}

START_TEST(test_hook_shape)
{
	char *pem, *copy;
	EVP_PKEY *pk = new_key("RSA", &pem), *got;
	unsigned long hits;

	am_pkey_cache_add(pem, pk);
	copy = am_xstrdup(pem);		/* libopendkim copies the text */
	hits = am_pkey_cache_hits();
	got = decode(copy, NULL);
	ck_assert_ptr_eq(got, pk);	/* the very key, one more reference */
	ck_assert_uint_eq(am_pkey_cache_hits(), hits + 1);
	EVP_PKEY_free(got);
	/* another call shape: OpenSSL decodes, an equal but distinct key */
	got = decode(copy, no_pass);
	ck_assert_ptr_nonnull(got);
	ck_assert_ptr_ne(got, pk);
	ck_assert_int_eq(EVP_PKEY_eq(got, pk), 1);
	ck_assert_uint_eq(am_pkey_cache_hits(), hits + 1);
	EVP_PKEY_free(got);
	/* one byte different: not ours, so OpenSSL's answer (none here) */
	copy[120] ^= 1;		/* in the modulus */
	got = decode(copy, NULL);
	ck_assert(got == NULL || EVP_PKEY_eq(got, pk) != 1);
	ck_assert_uint_eq(am_pkey_cache_hits(), hits + 1);
	EVP_PKEY_free(got);
	/* removed: decoded by OpenSSL again */
	copy[120] ^= 1;		/* in the modulus */
	am_pkey_cache_remove(pem);
	got = decode(copy, NULL);
	ck_assert_ptr_nonnull(got);
	ck_assert_ptr_ne(got, pk);
	ck_assert_uint_eq(am_pkey_cache_hits(), hits + 1);
	EVP_PKEY_free(got);
	EVP_PKEY_free(pk);
	free(copy);
	free(pem);
}
END_TEST

START_TEST(test_same_text_twice)
{
	char *pem, *pem2;
	EVP_PKEY *pk = new_key("RSA", &pem), *got;

	/* a reload holds the same key text in two stores */
	pem2 = am_xstrdup(pem);
	am_pkey_cache_add(pem, pk);
	am_pkey_cache_add(pem2, pk);
	am_pkey_cache_remove(pem);
	got = decode(pem2, NULL);
	ck_assert_ptr_eq(got, pk);
	EVP_PKEY_free(got);
	am_pkey_cache_remove(pem2);
	am_pkey_cache_remove(pem2);	/* unknown: nothing happens */
	EVP_PKEY_free(pk);
	free(pem);
	free(pem2);
}
END_TEST

/* sign_once - one relaxed/relaxed signature through libopendkim with the
 * tracked allocator; the blocks left after dkim_free (drained). */
static size_t
sign_once(DKIM_LIB *lib, const char *pem, dkim_alg_t alg, char *out,
    size_t outlen)
{
	static const char *hdrs[] = { "From: a@example.com",
	    "Subject: hello", "Date: Mon, 23 Nov 2026 00:00:00 +0000" };
	static const char body[] = "body line\r\n";
	struct am_dkim_mem m;
	DKIM_STAT st;
	u_char *sig;
	size_t len;
	DKIM *dk;

	am_dkim_mem_init(&m);
	dk = dkim_sign(lib, (const u_char *)"t", &m, (dkim_sigkey_t)pem,
	    (const u_char *)"sel", (const u_char *)"example.com",
	    DKIM_CANON_RELAXED, DKIM_CANON_RELAXED, alg, -1, &st);
	ck_assert_ptr_nonnull(dk);
	ck_assert_uint_gt(m.live, 0);	/* the handle's blocks are listed */
	for (size_t i = 0; i < 3; i++)
		ck_assert_int_eq(dkim_header(dk, (u_char *)(uintptr_t)hdrs[i],
		    strlen(hdrs[i])), DKIM_STAT_OK);
	ck_assert_int_eq(dkim_eoh(dk), DKIM_STAT_OK);
	ck_assert_int_eq(dkim_body(dk, (u_char *)(uintptr_t)body,
	    sizeof(body) - 1), DKIM_STAT_OK);
	ck_assert_int_eq(dkim_eom(dk, NULL), DKIM_STAT_OK);
	ck_assert_int_eq(dkim_getsighdr_d(dk, 16, &sig, &len), DKIM_STAT_OK);
	snprintf(out, outlen, "%.*s", (int)len, (const char *)sig);
	dkim_free(dk);
	return am_dkim_mem_drain(&m);
}

START_TEST(test_libopendkim_signs_through_both)
{
	DKIM_LIB *lib = dkim_init(am_dkim_mem_alloc, am_dkim_mem_release);
	char *pem_ed, *pem_rsa, sig[2048];
	EVP_PKEY *ed = new_key("ED25519", &pem_ed);
	EVP_PKEY *rsa = new_key("RSA", &pem_rsa);
	unsigned long hits;
	size_t left;

	ck_assert_ptr_nonnull(lib);
	am_pkey_cache_add(pem_ed, ed);
	am_pkey_cache_add(pem_rsa, rsa);
	hits = am_pkey_cache_hits();
	for (int i = 0; i < 3; i++) {
		left = sign_once(lib, pem_ed, DKIM_SIGN_ED25519SHA256, sig,
		    sizeof(sig));
		ck_assert_msg(strstr(sig, "a=ed25519-sha256") != NULL, "%s", sig);
		/* libopendkim 2.11 leaves its Ed25519 output buffer; if it
		 * stops doing so, 0 is fine too: drain only frees leftovers */
		ck_assert_uint_le(left, 1);
		left = sign_once(lib, pem_rsa, DKIM_SIGN_RSASHA256, sig,
		    sizeof(sig));
		ck_assert_msg(strstr(sig, "a=rsa-sha256") != NULL, "%s", sig);
		ck_assert_uint_eq(left, 0);
	}
	ck_assert_uint_eq(am_pkey_cache_hits() - hits, 6);
	am_pkey_cache_remove(pem_ed);
	am_pkey_cache_remove(pem_rsa);
	EVP_PKEY_free(ed);
	EVP_PKEY_free(rsa);
	free(pem_ed);
	free(pem_rsa);
	dkim_close(lib);
}
END_TEST

START_TEST(test_mem_lists)
{
	struct am_dkim_mem m;
	void *a, *b, *c, *lib_block;

	am_dkim_mem_init(&m);
	a = am_dkim_mem_alloc(&m, 10);
	b = am_dkim_mem_alloc(&m, 100);
	c = am_dkim_mem_alloc(&m, 1);
	lib_block = am_dkim_mem_alloc(NULL, 24);
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq((uintptr_t)b % _Alignof(max_align_t), 0);
	memset(b, 0xaa, 100);
	ck_assert_uint_eq(m.live, 3);
	am_dkim_mem_release(&m, b);	/* from the middle of the list */
	ck_assert_uint_eq(m.live, 2);
	am_dkim_mem_release(NULL, NULL);
	am_dkim_mem_release(NULL, lib_block); /* not listed */
	ck_assert_uint_eq(am_dkim_mem_drain(&m), 2);
	ck_assert_uint_eq(m.live, 0);
	ck_assert_ptr_null(m.head);
	ck_assert_uint_eq(am_dkim_mem_drain(&m), 0);
	ck_assert_ptr_null(am_dkim_mem_alloc(&m, SIZE_MAX - 8));
	(void)c;
}
END_TEST

START_TEST(test_mem_foreign_pointer)
{
	char *p = am_xcalloc(1, 256);

	am_dkim_mem_release(NULL, p + 128);	/* aborts: not ours */
}
END_TEST

static Suite *
keycache_suite(void)
{
	Suite *s = suite_create("keycache");
	TCase *tc = tcase_create("pkey_cache");

	tcase_add_test(tc, test_hook_shape);
	tcase_add_test(tc, test_same_text_twice);
	tcase_add_test(tc, test_libopendkim_signs_through_both);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	tc = tcase_create("dkim_mem");
	tcase_add_test(tc, test_mem_lists);
	if (am_test_can_fork())
		tcase_add_test_raise_signal(tc, test_mem_foreign_pointer,
		    SIGABRT);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return am_test_run(keycache_suite());
}
