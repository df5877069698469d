/*
 * check_keycache.c - the key cache is the key store (issue 20): every
 * private key is decoded once, when its configuration is loaded, and every
 * signature is made with that EVP_PKEY. Shown here by what can be seen
 * from outside: the store holds decoded keys of the right type; signing
 * goes on after the key files are deleted and replaced by other keys, and
 * what it signs verifies against the store's keys (the signer's own check
 * of an existing signature) but not against the keys now in the files;
 * and a reload (a new runtime swapped into the context while a message is
 * in flight on the old one) leaves the old keys working until their last
 * user lets go, which frees them. tests/dkim/keycache_valgrind.sh runs the
 * reload case under valgrind: nothing may be left.
 */
#include "autoconf.h"

#include <check.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "core/buf.h"
#include "core/xalloc.h"
#include "config/config.h"
#include "dkim/dkim_sign.h"
#include "dkim/keys.h"
#include "pipeline/ctx.h"
#include "testutil/testutil.h"

#define RELOADS 6	/* reload cycles (valgrind runs them too) */

static const char *const hdrs[][2] = {
	{ "From", " Alice <alice@example.com>" },
	{ "To", " bob@example.net" },
	{ "Subject", " keys" },
	{ "Date", " Mon, 01 Jan 2024 00:00:00 +0000" },
};
static const char body[] = "body\r\n";

/* new_keys - fresh rsa.key (2048) and ed.key in the test directory, 0600
 * (openssl(1): key generation stays out of a valgrind run). */
static void
new_keys(void)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "cd '%s' && rm -f rsa.key ed.key && "
	    "umask 077 && openssl genpkey -algorithm RSA -pkeyopt "
	    "rsa_keygen_bits:2048 -out rsa.key 2>/dev/null && "
	    "openssl genpkey -algorithm ED25519 -out ed.key 2>/dev/null",
	    am_test_dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* load_cfg - dual signing with the two key files. */
static struct am_config *
load_cfg(void)
{
	struct am_buf errs;
	struct am_config *cfg;
	char text[1024];

	snprintf(text, sizeof(text), "Domain example.com\nSelector rsa, ed\n"
	    "KeyFile %s/rsa.key, %s/ed.key\n", am_test_dir, am_test_dir);
	am_test_put(am_test_path(0, "t.conf"), text);
	am_buf_init(&errs, 4096);
	cfg = am_config_load(am_test_path(0, "t.conf"), &errs, NULL);
	ck_assert_msg(cfg != NULL, "%s", am_buf_str(&errs));
	am_buf_release(&errs);
	return cfg;
}

/* start - a message with the test headers (prior signatures first). */
static struct am_dkim_sign *
start(const struct am_dkim_signer *sg, char *const *prior, size_t nprior)
{
	struct am_dkim_sign *s = am_dkim_sign_new(sg, NULL, "alice",
	    "example.com");

	for (size_t i = 0; i < nprior; i++)
		am_dkim_sign_header(s, "DKIM-Signature", prior[i],
		    strlen(prior[i]));
	for (size_t i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++)
		am_dkim_sign_header(s, hdrs[i][0], hdrs[i][1],
		    strlen(hdrs[i][1]));
	am_dkim_sign_eoh(s);
	return s;
}

/* finish - body and eom; the signatures (owned, NULL-terminated) and the
 * note into note. */
static char **
finish(struct am_dkim_sign *s, char *note, size_t len)
{
	struct am_why why;
	char **v;
	size_t n;

	am_dkim_sign_body(s, body, strlen(body));
	ck_assert_int_eq(am_dkim_sign_eom(s, &why), AM_OK);
	n = am_dkim_sign_count(s);
	v = am_xcalloc(n + 1, sizeof(*v));
	for (size_t i = 0; i < n; i++)
		v[i] = am_xstrdup(am_dkim_sign_value(s, i));
	snprintf(note, len, "%s", am_dkim_sign_note(s));
	am_dkim_sign_free(s);
	return v;
}

static size_t
count(char **v)
{
	size_t n = 0;

	while (v[n] != NULL)
		n++;
	return n;
}

static void
free_sigs(char **v)
{
	for (size_t i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

START_TEST(test_store_holds_decoded_keys)
{
	struct am_config *cfg;
	struct am_keys *ks;
	const struct am_key *k;

	new_keys();
	cfg = load_cfg();
	ks = am_keys_load(cfg, NULL, NULL);
	ck_assert_ptr_nonnull(ks);
	ck_assert_uint_eq(am_keys_count(ks), 2);
	k = am_keys_get(ks, 0);
	ck_assert_ptr_nonnull(k->pkey);
	ck_assert_int_eq(EVP_PKEY_get_base_id(k->pkey), EVP_PKEY_RSA);
	ck_assert_int_eq(EVP_PKEY_get_bits(k->pkey), 2048);
	ck_assert_int_eq(k->alg, AM_KEY_RSA_SHA256);
	k = am_keys_get(ks, 1);
	ck_assert_ptr_nonnull(k->pkey);
	ck_assert_int_eq(EVP_PKEY_get_base_id(k->pkey), EVP_PKEY_ED25519);
	ck_assert_int_eq(k->alg, AM_KEY_ED25519_SHA256);
	am_keys_free(ks);
	am_config_unref(cfg);
}
END_TEST

/* The store signs with what it loaded: the files may go or change. */
START_TEST(test_signs_with_loaded_keys)
{
	struct am_config *cfg;
	struct am_keys *ks, *ks2;
	struct am_dkim_signer *sg, *sg2;
	char note[256], **sigs, **again;

	new_keys();
	cfg = load_cfg();
	ks = am_keys_load(cfg, NULL, NULL);
	sg = am_dkim_signer_new(cfg, ks, NULL);
	ck_assert_ptr_nonnull(sg);
	new_keys();			/* the files now hold other keys */
	sigs = finish(start(sg, NULL, 0), note, sizeof(note));
	ck_assert_uint_eq(count(sigs), 2);
	/* what the store signed verifies with the store's keys... */
	again = finish(start(sg, sigs, 2), note, sizeof(note));
	ck_assert_uint_eq(count(again), 0);
	ck_assert_str_eq(note,
	    "example.com/rsa:verified,example.com/ed:verified");
	free_sigs(again);
	/* ...and not with the keys in the files now */
	ks2 = am_keys_load(cfg, NULL, NULL);
	sg2 = am_dkim_signer_new(cfg, ks2, NULL);
	again = finish(start(sg2, sigs, 2), note, sizeof(note));
	ck_assert_uint_eq(count(again), 2);
	ck_assert_str_eq(note,
	    "example.com/rsa:unverified,example.com/ed:unverified");
	free_sigs(again);
	/* no file at all: still signing */
	ck_assert_int_eq(unlink(am_test_path(0, "rsa.key")), 0);
	ck_assert_int_eq(unlink(am_test_path(0, "ed.key")), 0);
	again = finish(start(sg, NULL, 0), note, sizeof(note));
	ck_assert_uint_eq(count(again), 2);
	free_sigs(again);
	free_sigs(sigs);
	am_dkim_signer_free(sg2);
	am_keys_free(ks2);
	am_dkim_signer_free(sg);
	am_keys_free(ks);
	am_config_unref(cfg);
}
END_TEST

/* runtime - a runtime (local DNS) for cfg, whose reference it takes. */
static struct am_runtime *
runtime(struct am_config *cfg)
{
	struct am_runtime_opts o = { .local_dns = true };
	struct am_buf errs;
	struct am_runtime *rt;

	am_buf_init(&errs, 65536);
	rt = am_runtime_new(cfg, &o, &errs, NULL);
	ck_assert_msg(rt != NULL, "%s", am_buf_str(&errs));
	am_buf_release(&errs);
	return rt;
}

/* A reload swaps in a runtime with freshly loaded keys; a message in
 * flight finishes with the old ones, and the old runtime (its keys with
 * it) goes when that connection lets go of it. */
START_TEST(test_reload_frees_old_keys)
{
	struct am_ctx *ctx;
	struct am_runtime *conn, *next;
	struct am_dkim_sign *s;
	char note[256], **sigs, **check;

	new_keys();
	ctx = am_ctx_new(runtime(load_cfg()));
	for (int i = 0; i < RELOADS; i++) {
		conn = am_ctx_acquire(ctx);	/* a connection pins it */
		s = start(conn->signer, NULL, 0);
		new_keys();			/* new keys, then reload */
		next = runtime(load_cfg());
		am_ctx_swap(ctx, next);
		/* only the connection holds the old runtime now */
		ck_assert_int_eq(atomic_load(&conn->refs), 1);
		sigs = finish(s, note, sizeof(note));
		ck_assert_uint_eq(count(sigs), 2);
		/* the old keys made it: the new runtime's keys do not verify
		 * it, the old runtime's do */
		check = finish(start(next->signer, sigs, 2), note,
		    sizeof(note));
		ck_assert_uint_eq(count(check), 2);
		free_sigs(check);
		check = finish(start(conn->signer, sigs, 2), note,
		    sizeof(note));
		ck_assert_uint_eq(count(check), 0);
		free_sigs(check);
		free_sigs(sigs);
		ck_assert_ptr_null(am_runtime_unref(conn));	/* freed */
	}
	am_ctx_free(ctx);
}
END_TEST

static Suite *
keycache_suite(void)
{
	Suite *s = suite_create("keycache");
	TCase *tc = tcase_create("store");

	tcase_add_checked_fixture(tc, am_test_dir_make, am_test_dir_remove);
	tcase_add_test(tc, test_store_holds_decoded_keys);
	tcase_add_test(tc, test_signs_with_loaded_keys);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	tc = tcase_create("reload");
	tcase_add_checked_fixture(tc, am_test_dir_make, am_test_dir_remove);
	tcase_add_test(tc, test_reload_frees_old_keys);
	tcase_set_timeout(tc, 300);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return am_test_run(keycache_suite());
}
