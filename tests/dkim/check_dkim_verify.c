/*
 * check_dkim_verify.c - lib/dkim/dkim_lib.c and lib/dkim/dkim_verify.c on
 * the published vectors, with real libunbound local data (no stub DNS, no
 * traffic): the RFC 8463 and RFC 6376 vectors, stalwartlabs/mail-auth
 * messages, the unambiguous Mail::DKIM corpus entries (testdata README
 * §2.3), an unsigned message, A-R strings and the library options.
 * check_dkim_verify_dkimpy.c has policy, limits, malformed signatures, DNS
 * failures and chunked bodies on messages signed by dkimpy.
 */
#include "autoconf.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "config/config.h"
#include "dns/dns.h"
#include "dkim/dkim_lib.h"
#include "dkim/dkim_verify.h"
#include "testutil/testdkim.h"
#include "testutil/testrr.h"
#include "testutil/testutil.h"

/* The conformance vectors (tests/conformance); $AM_DKIM_TESTDATA overrides. */
static const char *testdata = AM_TOP_SRCDIR "/tests/conformance/dkim";

/* tpath - testdata/rel in a static buffer (one at a time). */
static const char *
tpath(const char *rel)
{
	static char buf[1024];

	ck_assert((size_t)snprintf(buf, sizeof(buf), "%s/%s", testdata, rel) <
	    sizeof(buf));
	return buf;
}

/* verify_path - a message file (mail-auth files: records first). */
static void
verify_path(struct am_dkim_lib *dl, const char *path, bool records,
    struct am_dkim_results *res)
{
	char *msg = am_test_slurp(path), *p;

	if (records && (p = strstr(msg, "\n\n")) != NULL)
		memmove(msg, p + 2, strlen(p + 2) + 1);
	am_test_dkim_verify_mem(dl, msg, 0, res);
	free(msg);
}

/* ---------------------------------------------------------------- vectors */

START_TEST(test_rfc8463)
{
	struct am_dkim_lib *dl;
	struct am_dkim_results res;
	char *ar;

	am_test_dns_load(am_test_dkim_dns, tpath("rfc8463/dns.txt"),
	    false);
	dl = am_test_dkim_lib();
	verify_path(dl, tpath("rfc8463/signed.eml"), false, &res);
	ck_assert_uint_eq(res.count, 2);
	CK_RES(res, 0, AM_DKIM_PASS);
	CK_RES(res, 1, AM_DKIM_PASS);
	ck_assert_str_eq(res.sigs[0].key_type, "ed25519");
	ck_assert_uint_eq(res.sigs[0].key_bits, 256);
	ck_assert_str_eq(res.sigs[1].key_type, "rsa");
	ck_assert_uint_eq(res.sigs[1].key_bits, 1024);
	ck_assert_str_eq(res.sigs[0].domain, "football.example.com");
	ck_assert_str_eq(res.sigs[0].selector, "brisbane");
	ck_assert_str_eq(res.sigs[1].selector, "test");
	ck_assert_int_eq(res.sigs[0].dnssec, AM_DKIM_DNSSEC_UNPROTECTED);
	ar = am_test_dkim_ar(&res);
	/* "/" is a tspecial: the authres builder quotes that value. */
	ck_assert_str_eq(ar, "mx.test;\n"
	    "\tdkim=pass (256-bit ed25519 key; unprotected) "
	    "header.d=football.example.com\n"
	    "\theader.i=@football.example.com header.s=brisbane "
	    "header.a=ed25519-sha256\n"
	    "\theader.b=\"/gCrinpc\";\n"
	    "\tdkim=pass (1024-bit rsa key; unprotected) "
	    "header.d=football.example.com\n"
	    "\theader.i=@football.example.com header.s=test "
	    "header.a=rsa-sha256\n"
	    "\theader.b=F45dVWDf");
	free(ar);
	am_dkim_results_release(&res);
	am_dkim_lib_free(dl);
}
END_TEST

/* RFC 6376 A.2 is a known-bad vector (testdata README §2.3). */
START_TEST(test_rfc6376_a2)
{
	struct am_dkim_lib *dl;
	struct am_dkim_results res;

	am_test_dns_load(am_test_dkim_dns, tpath("rfc6376/dns.txt"),
	    false);
	dl = am_test_dkim_lib();
	verify_path(dl, tpath("rfc6376/A2-signed.eml"), false, &res);
	ck_assert_uint_eq(res.count, 1);
	CK_RES(res, 0, AM_DKIM_FAIL);
	ck_assert_str_eq(res.sigs[0].domain, "example.com");
	am_dkim_results_release(&res);
	verify_path(dl, tpath("rfc6376/A1-unsigned.eml"), false, &res);
	ck_assert_uint_eq(res.count, 0);
	am_dkim_results_release(&res);
	am_dkim_lib_free(dl);
}
END_TEST

/* mail-auth: the last signature of each passes upstream; 002's PKCS#1
 * key is not accepted by libopendkim, 005 has long expired. */
static const struct {
	const char *file;
	enum am_dkim_result last;
	size_t count;
} mailauth[] = {
	{ "001.txt", AM_DKIM_PASS, 2 },
	{ "002.txt", AM_DKIM_PERMERROR, 1 },
	{ "003.txt", AM_DKIM_PASS, 2 },
	{ "004.txt", AM_DKIM_PASS, 1 },
	{ "005.txt", AM_DKIM_PERMERROR, 1 },
	{ "006.txt", AM_DKIM_PASS, 1 },
};

START_TEST(test_mailauth)
{
	struct am_dkim_lib *dl;
	struct am_dkim_results res;
	char rel[64];
	size_t i;

	(void)snprintf(rel, sizeof(rel), "mail-auth/%s", mailauth[_i].file);
	am_test_dns_load(am_test_dkim_dns, tpath(rel), true);
	dl = am_test_dkim_lib();
	verify_path(dl, tpath(rel), true, &res);
	ck_assert_uint_eq(res.count, mailauth[_i].count);
	for (i = 0; i + 1 < res.count; i++)
		CK_RES(res, i, mailauth[_i].last);
	CK_RES(res, res.count - 1, mailauth[_i].last);
	am_dkim_results_release(&res);
	am_dkim_lib_free(dl);
}
END_TEST

/* Mail::DKIM corpus: the entries README §2.3 calls unambiguous under RFC
 * 6376 + RFC 8301 ("invalid" = permerror). rsa-sha1 ones need AllowSHA1. */
static const struct {
	const char *file;
	bool sha1;
	enum am_dkim_result want[4];
	size_t count;
} corpus[] = {
	{ "goodkey_ed25519.txt", false, { AM_DKIM_PASS }, 1 },
	{ "badkey1_ed25519.txt", false, { AM_DKIM_PERMERROR }, 1 },
	{ "badkey2_ed25519.txt", false, { AM_DKIM_FAIL }, 1 },
	{ "badkey3_ed25519.txt", false, { AM_DKIM_FAIL }, 1 },
	{ "badkey4_ed25519.txt", false, { AM_DKIM_PERMERROR }, 1 },
	{ "badkey5_ed25519.txt", false, { AM_DKIM_PERMERROR }, 1 },
	{ "ignore_2.txt", false, { AM_DKIM_PERMERROR }, 1 },
	{ "ignore_3.txt", false, { AM_DKIM_PERMERROR }, 1 },
	{ "ignore_5.txt", false, { AM_DKIM_PERMERROR }, 1 },
	{ "ignore_6.txt", false, { AM_DKIM_PERMERROR }, 1 },
	{ "ignore_7.txt", false, { AM_DKIM_PERMERROR }, 1 },
	{ "ignore_8.txt", false, { AM_DKIM_PERMERROR }, 1 },
	{ "good_83176.txt", false, { AM_DKIM_FAIL }, 1 },
	{ "good_83176.txt", true, { AM_DKIM_PASS }, 1 },
	{ "multiple_2.txt", true,
	    { AM_DKIM_PERMERROR, AM_DKIM_PASS, AM_DKIM_FAIL,
	    AM_DKIM_PERMERROR }, 4 },
};

START_TEST(test_corpus)
{
	struct am_dkim_lib *dl;
	struct am_dkim_results res;
	char rel[128];
	size_t i;

	am_test_dns_load(am_test_dkim_dns, tpath("mail-dkim/FAKE_DNS.dat"),
	    false);
	am_test_dkim_cfg->dkim_allow_sha1 = corpus[_i].sha1;
	dl = am_test_dkim_lib();
	(void)snprintf(rel, sizeof(rel), "mail-dkim/corpus/%s",
	    corpus[_i].file);
	verify_path(dl, tpath(rel), false, &res);
	ck_assert_msg(res.count >= corpus[_i].count, "%s: %zu sigs",
	    corpus[_i].file, res.count);
	for (i = 0; i < corpus[_i].count; i++)
		ck_assert_msg(res.sigs[i].result == corpus[_i].want[i],
		    "%s sig %zu: %s (%s)", corpus[_i].file, i, RES(res, i),
		    res.sigs[i].reason);
	am_dkim_results_release(&res);
	am_dkim_lib_free(dl);
}
END_TEST

/* Unsigned: no body needed, dkim=none. */
START_TEST(test_unsigned)
{
	struct am_dkim_lib *dl = am_test_dkim_lib();
	struct am_dkim_results res;
	FILE *fp;
	char *ar;
	bool want_body = true;
	const char *msg = "From: a@example.net\nTo: b@example.org\n"
	    "Subject: x\n\nbody\n";

	fp = fmemopen((void *)(uintptr_t)msg, strlen(msg), "r");
	am_test_dkim_verify_fp(dl, fp, 0, &res, &want_body);
	fclose(fp);
	ck_assert(!want_body);
	ck_assert_uint_eq(res.count, 0);
	ar = am_test_dkim_ar(&res);
	ck_assert_str_eq(ar, "mx.test;\n\tdkim=none");
	free(ar);
	am_dkim_results_release(&res);
	am_dkim_lib_free(dl);
}
END_TEST

/* header.b: shortest unique prefix, at least 8 characters; copies of one
 * signature share it (issue 21: each copy was written whole). */
START_TEST(test_b_prefix)
{
	struct am_dkim_sig sigs[5] = {
		{ .result = AM_DKIM_PASS, .b = "abcdefghXYZ1" },
		{ .result = AM_DKIM_FAIL, .b = "abcdefghXYQ2" },
		{ .result = AM_DKIM_FAIL, .b = "short" },
		{ .result = AM_DKIM_PASS, .b = "zzzzzzzzzzzz" },
		{ .result = AM_DKIM_PASS, .b = "zzzzzzzzzzzz" },
	};
	struct am_dkim_results res = { 5, sigs };
	size_t i;
	char *ar;

	for (i = 0; i < 5; i++) {
		sigs[i].reason = i == 0 || i >= 3 ? "" : "signature failed";
		sigs[i].domain = "example.net";
		sigs[i].identity = "";
		sigs[i].selector = "s";
		sigs[i].algorithm = "rsa-sha256";
	}
	ar = am_test_dkim_ar(&res);
	ck_assert_str_eq(ar, "mx.test;\n"
	    "\tdkim=pass header.d=example.net header.s=s header.a=rsa-sha256\n"
	    "\theader.b=abcdefghXYZ;\n"
	    "\tdkim=fail reason=\"signature failed\" header.d=example.net "
	    "header.s=s\n"
	    "\theader.a=rsa-sha256 header.b=abcdefghXYQ;\n"
	    "\tdkim=fail reason=\"signature failed\" header.d=example.net "
	    "header.s=s\n"
	    "\theader.a=rsa-sha256 header.b=short;\n"
	    "\tdkim=pass header.d=example.net header.s=s header.a=rsa-sha256\n"
	    "\theader.b=zzzzzzzz;\n"
	    "\tdkim=pass header.d=example.net header.s=s header.a=rsa-sha256\n"
	    "\theader.b=zzzzzzzz");
	free(ar);
}
END_TEST

/* A DNS timeout never waits past DNSTimeout: temperror, not permerror. */
START_TEST(test_lib_options)
{
	struct am_dkim_lib *dl;
	const struct am_dkim_policy *p;

	am_test_dkim_cfg->dkim_max_signatures = 3;
	am_test_dkim_cfg->dkim_min_key_bits = 2048;
	dl = am_test_dkim_lib();
	p = am_dkim_lib_policy(dl);
	ck_assert_uint_eq(p->max_signatures, 3);
	ck_assert_uint_eq(p->min_key_bits, 2048);
	ck_assert_uint_eq(p->dns_timeout_ms, 5000);
	ck_assert_ptr_nonnull(am_dkim_lib_handle(dl));
	ck_assert_ptr_null(am_dkim_lib_free(dl));
	ck_assert_ptr_null(am_dkim_lib_free(NULL));
	ck_assert_ptr_null(am_dkim_verify_free(NULL));
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("dkim_verify");
	TCase *t = tcase_create("vectors");

	tcase_add_checked_fixture(t, am_test_dkim_setup,
	    am_test_dkim_teardown);
	tcase_set_timeout(t, 30);
	tcase_add_test(t, test_rfc8463);
	tcase_add_test(t, test_rfc6376_a2);
	tcase_add_loop_test(t, test_mailauth, 0,
	    (int)(sizeof(mailauth) / sizeof(mailauth[0])));
	tcase_add_loop_test(t, test_corpus, 0,
	    (int)(sizeof(corpus) / sizeof(corpus[0])));
	tcase_add_test(t, test_unsigned);
	tcase_add_test(t, test_b_prefix);
	tcase_add_test(t, test_lib_options);
	suite_add_tcase(s, t);
	return s;
}

int
main(void)
{
	const char *td = getenv("AM_DKIM_TESTDATA");
	char probe[1024];

	if (td != NULL && *td != '\0')
		testdata = td;
	/* Missing data fails the suite: it never passes without it. */
	snprintf(probe, sizeof(probe), "%s/rfc8463/signed.eml", testdata);
	if (access(probe, R_OK) != 0) {
		fprintf(stderr, "check_dkim_verify: %s: %s\n", probe,
		    strerror(errno));
		return 1;
	}
	return am_test_run(suite());
}
