/*
 * check_dkim_verify_dkimpy.c - lib/dkim/dkim_verify.c on messages signed by
 * dkimpy (python3-dkim) with fresh openssl keys, the keys as libunbound
 * local data (no stub DNS, no traffic): pass and fail for RSA and Ed25519,
 * policy (rsa-sha1, key size, l=, MaxSignatures), malformed signatures, a
 * missing key, a refused query, bodies fed in chunks of any size, and the
 * key lookups started at end of headers (one query per key, none left
 * behind by a verifier freed before end of message).
 * check_dkim_verify.c has the published vectors and corpora.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "config/config.h"
#include "dns/dns.h"
#include "dkim/dkim_lib.h"
#include "dkim/dkim_verify.h"
#include "testutil/testdkim.h"
#include "testutil/testrr.h"
#include "testutil/testutil.h"

/* replace - msg with the first "from" replaced by "to" (owned). */
static char *
replace(const char *msg, const char *from, const char *to)
{
	const char *p = strstr(msg, from);
	size_t a, n = strlen(msg) + strlen(to) + 1;
	char *out;

	ck_assert_msg(p != NULL, "no \"%s\"", from);
	out = calloc(1, n);
	a = (size_t)(p - msg);
	memcpy(out, msg, a);
	memcpy(out + a, to, strlen(to));
	memcpy(out + a + strlen(to), p + strlen(from),
	    strlen(p + strlen(from)) + 1);
	return out;
}

/* ----------------------------------------------------- dkimpy-signed mail */

/* Keys from openssl, signatures from dkimpy (python3-dkim), into dir. */
static const char keygen_sh[] =
    "set -e; cd \"$1\"\n"
    "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 "
    "-out rsa.pem 2>/dev/null\n"
    "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:512 "
    "-out small.pem 2>/dev/null\n"
    "openssl genpkey -algorithm ed25519 -out ed.pem\n"
    "openssl pkey -in rsa.pem -pubout -outform DER | base64 -w0 > rsa.pub\n"
    "openssl pkey -in small.pem -pubout -outform DER | base64 -w0 "
    "> small.pub\n"
    "openssl pkey -in ed.pem -outform DER | tail -c 32 | base64 -w0 "
    "> ed.seed\n"
    "openssl pkey -in ed.pem -pubout -outform DER | tail -c 32 | "
    "base64 -w0 > ed.pub\n";

static const char sign_py[] =
    "import sys, dkim\n"
    "d = sys.argv[1]\n"
    "msg = (b'From: Joe <joe@example.net>\\r\\nTo: Sue <sue@example.org>\\r\\n'\n"
    "  b'Subject: hello there\\r\\nDate: Mon, 1 Jan 2024 00:00:00 +0000\\r\\n'\n"
    "  b'Message-ID: <1@example.net>\\r\\n\\r\\nHello.\\r\\n\\r\\n'\n"
    "  b'Second  line.\\r\\n')\n"
    "hs = [b'from', b'to', b'subject', b'date', b'message-id']\n"
    "rsa = open(d + '/rsa.pem', 'rb').read()\n"
    "small = open(d + '/small.pem', 'rb').read()\n"
    "ed = open(d + '/ed.seed', 'rb').read()\n"
    "def sign(m, sel, key, dom=b'example.net', **kw):\n"
    "    return dkim.sign(m, sel, dom, key, include_headers=hs, **kw)\n"
    "def out(name, data):\n"
    "    open(d + '/' + name, 'wb').write(data)\n"
    "out('rsa.eml', sign(msg, b'rsa', rsa) + msg)\n"
    "out('ed.eml', sign(msg, b'ed', ed,\n"
    "    signature_algorithm=b'ed25519-sha256') + msg)\n"
    "out('both.eml', sign(msg, b'ed', ed, signature_algorithm=b'ed25519-sha256',\n"
    "    canonicalize=(b'relaxed', b'relaxed')) + sign(msg, b'rsa', rsa,\n"
    "    canonicalize=(b'relaxed', b'relaxed')) + msg)\n"
    "out('sha1.eml', sign(msg, b'rsa', rsa, signature_algorithm=b'rsa-sha1') + msg)\n"
    "out('len.eml', sign(msg, b'rsa', rsa, length=True) + msg)\n"
    "out('small.eml', dkim.DKIM(msg, minkey=512).sign(b'small', b'example.net',\n"
    "    small, include_headers=hs) + msg)\n"
    "out('nokey.eml', sign(msg, b'nokey', rsa) + msg)\n"
    "out('refused.eml', sign(msg, b'rsa', rsa, dom=b'refused.example') + msg)\n"
    "many = b''\n"
    "for i in range(11):\n"
    "    many += sign(msg, b's%d' % i, rsa)\n"
    "out('many.eml', many + msg)\n";

static char tmpdir[] = "/tmp/check_dkim_verify_dkimpy.XXXXXX";

/* run - a shell command with the temp dir as $1; exits on failure (it
 * runs before the suite, outside any test). */
static void
run(const char *cmd, const char *script)
{
	char path[256], line[1024];
	FILE *fp;

	(void)snprintf(path, sizeof(path), "%s/script", tmpdir);
	fp = fopen(path, "w");
	if (fp == NULL || fputs(script, fp) == EOF || fclose(fp) != 0) {
		perror(path);
		exit(1);
	}
	(void)snprintf(line, sizeof(line), "%s %s %s", cmd, path, tmpdir);
	if (system(line) != 0) {
		fprintf(stderr, "check_dkim_verify_dkimpy: %s failed\n",
		    line);
		exit(1);
	}
}

/* make_fixtures - once per process: keys and signed messages. */
static void
make_fixtures(void)
{
	if (mkdtemp(tmpdir) == NULL) {
		perror(tmpdir);
		exit(1);
	}
	run("/bin/sh", keygen_sh);
	run("/usr/bin/python3", sign_py);
}

static void
remove_fixtures(void)
{
	char line[300];

	(void)snprintf(line, sizeof(line), "rm -rf %s", tmpdir);
	if (system(line) != 0)
		fprintf(stderr, "%s failed\n", line);
}

/* fixture - a file of the temp dir, owned. */
static char *
fixture(const char *name)
{
	char path[256];

	(void)snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	return am_test_slurp(path);
}

/* fixture_dns - the keys dkimpy's messages point to. */
static void
fixture_dns(void)
{
	struct am_why why = { "" };
	char *rsa = fixture("rsa.pub"), *ed = fixture("ed.pub");
	char *small = fixture("small.pub"), v[2048], n[64];
	int i;

	(void)snprintf(v, sizeof(v), "v=DKIM1; k=rsa; p=%s", rsa);
	am_test_dns_add_txt(am_test_dkim_dns, "rsa._domainkey.example.net", v);
	for (i = 0; i < 11; i++) {
		(void)snprintf(n, sizeof(n), "s%d._domainkey.example.net", i);
		am_test_dns_add_txt(am_test_dkim_dns, n, v);
	}
	(void)snprintf(v, sizeof(v), "v=DKIM1; k=ed25519; p=%s", ed);
	am_test_dns_add_txt(am_test_dkim_dns, "ed._domainkey.example.net", v);
	(void)snprintf(v, sizeof(v), "v=DKIM1; k=rsa; p=%s", small);
	am_test_dns_add_txt(am_test_dkim_dns, "small._domainkey.example.net",
	    v);
	ck_assert(am_dns_add_local_zone(am_test_dkim_dns, "refused.example.",
	    "refuse", &why) == AM_OK);
	free(rsa);
	free(ed);
	free(small);
}

/* check_one - verify fixture file name (after edit from -> to, if any). */
static void
check_one(const char *name, const char *from, const char *to,
    enum am_dkim_result want, const char *reason)
{
	struct am_dkim_lib *dl;
	struct am_dkim_results res;
	char *msg = fixture(name), *m2;

	if (from != NULL) {
		m2 = replace(msg, from, to);
		free(msg);
		msg = m2;
	}
	fixture_dns();
	dl = am_test_dkim_lib();
	am_test_dkim_verify_mem(dl, msg, 0, &res);
	ck_assert_uint_eq(res.count, 1);
	CK_RES(res, 0, want);
	if (reason != NULL)
		ck_assert_msg(strstr(res.sigs[0].reason, reason) != NULL,
		    "reason \"%s\", want \"%s\"", res.sigs[0].reason, reason);
	ck_assert_str_eq(res.sigs[0].domain, strstr(name, "refused") ?
	    "refused.example" : "example.net");
	am_dkim_results_release(&res);
	am_dkim_lib_free(dl);
	free(msg);
}

START_TEST(test_dkimpy_rsa)
{
	check_one("rsa.eml", NULL, NULL, AM_DKIM_PASS, NULL);
}
END_TEST

START_TEST(test_dkimpy_ed25519)
{
	check_one("ed.eml", NULL, NULL, AM_DKIM_PASS, NULL);
}
END_TEST

START_TEST(test_header_changed)
{
	check_one("rsa.eml", "Subject: hello there", "Subject: hello There",
	    AM_DKIM_FAIL, "signature");
	check_one("ed.eml", "To: Sue", "To: Sam", AM_DKIM_FAIL, "signature");
}
END_TEST

START_TEST(test_body_changed)
{
	check_one("rsa.eml", "Hello.", "Jello.", AM_DKIM_FAIL, "body hash");
	check_one("ed.eml", "Second", "Third", AM_DKIM_FAIL, "body hash");
}
END_TEST

START_TEST(test_missing_key)
{
	check_one("nokey.eml", NULL, NULL, AM_DKIM_PERMERROR, "not found");
}
END_TEST

START_TEST(test_refused_temperror)
{
	check_one("refused.eml", NULL, NULL, AM_DKIM_TEMPERROR, NULL);
}
END_TEST

START_TEST(test_sha1)
{
	check_one("sha1.eml", NULL, NULL, AM_DKIM_FAIL, "rsa-sha1");
	am_test_dkim_cfg->dkim_allow_sha1 = true;
	check_one("sha1.eml", NULL, NULL, AM_DKIM_PASS, NULL);
}
END_TEST

START_TEST(test_small_key)
{
	check_one("small.eml", NULL, NULL, AM_DKIM_POLICY, "small");
}
END_TEST

START_TEST(test_body_length)
{
	check_one("len.eml", NULL, NULL, AM_DKIM_PASS, NULL);
	check_one("len.eml", "Second  line.\r\n",
	    "Second  line.\r\nAppended, unsigned.\r\n", AM_DKIM_POLICY, "l=");
	am_test_dkim_cfg->dkim_allow_body_length = true;
	check_one("len.eml", "Second  line.\r\n",
	    "Second  line.\r\nAppended, unsigned.\r\n", AM_DKIM_PASS, NULL);
}
END_TEST

START_TEST(test_max_signatures)
{
	struct am_dkim_lib *dl;
	struct am_dkim_results res;
	char *msg = fixture("many.eml");
	size_t i;

	fixture_dns();
	dl = am_test_dkim_lib();
	am_test_dkim_verify_mem(dl, msg, 0, &res);
	ck_assert_uint_eq(res.count, 11);
	for (i = 0; i < 10; i++)
		CK_RES(res, i, AM_DKIM_PASS);
	CK_RES(res, 10, AM_DKIM_POLICY);
	ck_assert_str_eq(res.sigs[10].reason, "too many signatures");
	ck_assert_str_eq(res.sigs[10].selector, "s10");
	am_dkim_results_release(&res);
	am_dkim_lib_free(dl);
	free(msg);
}
END_TEST

/* Malformed signatures get a permerror with a reason, and do not stop the
 * good signature from passing (PITFALLS "DKIM"). */
START_TEST(test_malformed)
{
	struct am_dkim_lib *dl;
	struct am_dkim_results res;
	char *msg = fixture("rsa.eml"), *m2;
	char *ar;

	m2 = replace(msg, "DKIM-Signature:",
	    "DKIM-Signature: v=1; a=rsa-sha256; d=example.net; s=rsa;\r\n"
	    "\th=from; bh=AAAA\r\n"
	    "DKIM-Signature: this is ; not a tag list\r\n"
	    "DKIM-Signature:");
	fixture_dns();
	dl = am_test_dkim_lib();
	am_test_dkim_verify_mem(dl, m2, 0, &res);
	ck_assert_uint_eq(res.count, 3);
	CK_RES(res, 0, AM_DKIM_PERMERROR);
	CK_RES(res, 1, AM_DKIM_PERMERROR);
	CK_RES(res, 2, AM_DKIM_PASS);
	ck_assert(res.sigs[0].reason[0] != '\0');
	ck_assert(res.sigs[1].reason[0] != '\0');
	ck_assert_str_eq(res.sigs[0].domain, "example.net");
	ar = am_test_dkim_ar(&res);
	ck_assert_msg(strncmp(ar, "mx.test;\n\tdkim=permerror reason=", 32) ==
	    0, "%s", ar);
	free(ar);
	am_dkim_results_release(&res);
	am_dkim_lib_free(dl);
	free(msg);
	free(m2);
}
END_TEST

/* A body fed 1, 3 or 7 bytes at a time gives the same results. */
START_TEST(test_chunks)
{
	static const size_t sizes[] = { 0, 1, 3, 7, 64 };
	struct am_dkim_lib *dl;
	struct am_dkim_results res;
	char *msg = fixture("both.eml"), *bad = replace(msg, "Hello", "Hullo");
	size_t i;

	fixture_dns();
	dl = am_test_dkim_lib();
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		am_test_dkim_verify_mem(dl, msg, sizes[i], &res);
		ck_assert_uint_eq(res.count, 2);
		CK_RES(res, 0, AM_DKIM_PASS);
		CK_RES(res, 1, AM_DKIM_PASS);
		ck_assert_uint_eq(res.sigs[0].key_bits, 256);
		ck_assert_uint_eq(res.sigs[1].key_bits, 2048);
		am_dkim_results_release(&res);
		am_test_dkim_verify_mem(dl, bad, sizes[i], &res);
		CK_RES(res, 0, AM_DKIM_FAIL);
		CK_RES(res, 1, AM_DKIM_FAIL);
		am_dkim_results_release(&res);
	}
	am_dkim_lib_free(dl);
	free(msg);
	free(bad);
}
END_TEST

/* feed_headers - the header block of msg (CRLF) into v, then eoh (its
 * answer); *body points past the blank line. */
static bool
feed_headers(struct am_dkim_verify *v, const char *msg, const char **body)
{
	const char *p = msg, *end, *colon;
	char name[64];

	while (strncmp(p, "\r\n", 2) != 0) {
		end = p;
		do	/* a folded line goes on after CRLF and WSP */
			end = strstr(end + 1, "\r\n");
		while (end != NULL && (end[2] == ' ' || end[2] == '\t'));
		ck_assert(end != NULL);
		colon = memchr(p, ':', (size_t)(end - p));
		ck_assert(colon != NULL && (size_t)(colon - p) < sizeof(name));
		memcpy(name, p, (size_t)(colon - p));
		name[colon - p] = '\0';
		am_dkim_verify_header(v, name, colon + 1,
		    (size_t)(end - colon - 1));
		p = end + 2;
	}
	*body = p + 2;
	return am_dkim_verify_eoh(v);
}

/* ms_since - elapsed ms since t0 (CLOCK_MONOTONIC). */
static long
ms_since(const struct timespec *t0)
{
	struct timespec t;

	(void)clock_gettime(CLOCK_MONOTONIC, &t);
	return (long)((t.tv_sec - t0->tv_sec) * 1000 +
	    (t.tv_nsec - t0->tv_nsec) / 1000000);
}

/* The key lookups start at end of headers, one per signature to verify
 * (none past MaxSignatures), without waiting for them (answers delayed by
 * 300 ms: end of headers returns at once), and end of message makes no new
 * one; a verifier freed after end of headers (an aborted message) cancels
 * them: the fixture's am_dns_free() would panic on a query left alive. */
START_TEST(test_keys_at_eoh)
{
	static const struct { const char *file; unsigned long keys; } c[] = {
		{ "both.eml", 2 }, { "many.eml", 10 }, { "rsa.eml", 1 },
	};
	struct am_dkim_results res;
	struct am_dkim_verify *v;
	struct am_dkim_lib *dl;
	const char *body;
	struct timespec t0;
	unsigned long n0;
	size_t i, j;
	char *msg;
	long ms;

	fixture_dns();
	dl = am_test_dkim_lib();
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		msg = fixture(c[i].file);
		n0 = am_dns_query_count(am_test_dkim_dns);
		v = am_dkim_verify_new(dl, "T1");
		am_dns_set_callback_delay(am_test_dkim_dns, i == 0 ? 300000 : 0);
		(void)clock_gettime(CLOCK_MONOTONIC, &t0);
		ck_assert(feed_headers(v, msg, &body));
		ms = ms_since(&t0);
		ck_assert_msg(ms < 150, "%s: eoh took %ld ms", c[i].file, ms);
		ck_assert_msg(am_dns_query_count(am_test_dkim_dns) ==
		    n0 + c[i].keys, "%s: %lu queries at eoh, want %lu",
		    c[i].file, am_dns_query_count(am_test_dkim_dns) - n0,
		    c[i].keys);
		am_dkim_verify_body(v, body, strlen(body));
		am_dkim_verify_eom(v, &res);
		ck_assert_msg(i != 0 || ms_since(&t0) >= 300,
		    "%s: eom did not wait for the keys", c[i].file);
		ck_assert_uint_eq(am_dns_query_count(am_test_dkim_dns),
		    n0 + c[i].keys);
		for (j = 0; j < res.count && j < 10; j++)
			CK_RES(res, j, AM_DKIM_PASS);
		am_dkim_results_release(&res);
		v = am_dkim_verify_free(v);
		/* aborted after end of headers */
		v = am_dkim_verify_new(dl, "T2");
		ck_assert(feed_headers(v, msg, &body));
		v = am_dkim_verify_free(v);
		free(msg);
	}
	am_dkim_lib_free(dl);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("dkim_verify_dkimpy");
	TCase *d = tcase_create("dkimpy");

	tcase_add_checked_fixture(d, am_test_dkim_setup,
	    am_test_dkim_teardown);
	tcase_set_timeout(d, 30);
	tcase_add_test(d, test_dkimpy_rsa);
	tcase_add_test(d, test_dkimpy_ed25519);
	tcase_add_test(d, test_header_changed);
	tcase_add_test(d, test_body_changed);
	tcase_add_test(d, test_missing_key);
	tcase_add_test(d, test_refused_temperror);
	tcase_add_test(d, test_sha1);
	tcase_add_test(d, test_small_key);
	tcase_add_test(d, test_body_length);
	tcase_add_test(d, test_max_signatures);
	tcase_add_test(d, test_malformed);
	tcase_add_test(d, test_chunks);
	tcase_add_test(d, test_keys_at_eoh);
	suite_add_tcase(s, d);
	return s;
}

int
main(void)
{
	int rc;

	/* Missing tools fail the suite: it never passes without them. */
	if (access("/usr/bin/python3", X_OK) != 0) {
		fprintf(stderr, "check_dkim_verify_dkimpy: /usr/bin/python3 "
		    "missing (contrib/install-deps.sh installs it)\n");
		return 1;
	}
	make_fixtures();
	rc = am_test_run(suite());
	remove_fixtures();
	return rc;
}
