/*
 * check_dkim_verify.c - lib/dkim/dkim_lib.c and lib/dkim/dkim_verify.c with real
 * libunbound local data (no stub DNS, no traffic): the RFC 8463 and RFC 6376
 * vectors, stalwartlabs/mail-auth messages, the unambiguous Mail::DKIM
 * corpus entries (testdata README §2.3), policy (rsa-sha1, key size, l=,
 * MaxSignatures), malformed signatures, DNS failures, A-R strings, chunked
 * bodies, and messages signed by dkimpy (python3-dkim) with openssl keys.
 */
#include "autoconf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "msg/authres.h"
#include "config/config.h"
#include "dns/dns.h"
#include "msg/eml.h"
#include "dkim/dkim_lib.h"
#include "dkim/dkim_verify.h"
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

static struct am_dns *dns;
static struct am_config *cfg;

/* new_lib - a library on the current config. */
static struct am_dkim_lib *
new_lib(void)
{
	struct am_why why = { "" };
	struct am_dkim_lib *dl = am_dkim_lib_new(dns, cfg, &why);

	ck_assert_msg(dl != NULL, "%s", why.text);
	return dl;
}

static void
setup(void)
{
	dns = am_test_dns_local(NULL, NULL);
	cfg = am_config_defaults();
}

static void
teardown(void)
{
	cfg = am_config_unref(cfg);
	dns = am_dns_free(dns);
}

/* The eml sink: headers, eoh before the first body chunk, re-chunked body. */
struct feed {
	struct am_dkim_verify *v;
	size_t chunk;		/* body piece size; 0 = as the reader gives */
	bool eoh_done;
	bool want_body;
	size_t body_calls;
};

static void
on_header(void *arg, const char *name, const char *value, size_t len)
{
	struct feed *f = arg;

	am_dkim_verify_header(f->v, name, value, len);
}

static void
feed_eoh(struct feed *f)
{
	if (!f->eoh_done) {
		f->want_body = am_dkim_verify_eoh(f->v);
		f->eoh_done = true;
	}
}

static void
on_eoh(void *arg)
{
	feed_eoh(arg);
}

static void
on_body(void *arg, const void *p, size_t len)
{
	struct feed *f = arg;
	const char *c = p;
	size_t n;

	feed_eoh(f);
	if (!f->want_body)
		return;
	while (len > 0) {
		n = f->chunk == 0 || f->chunk > len ? len : f->chunk;
		am_dkim_verify_body(f->v, c, n);
		f->body_calls++;
		c += n;
		len -= n;
	}
}

/* verify_fp - run one message through a fresh verifier. */
static void
verify_fp(struct am_dkim_lib *dl, FILE *fp, size_t chunk,
    struct am_dkim_results *res, bool *want_body)
{
	struct feed f = { .chunk = chunk };
	struct am_eml_sink sink = { .on_header = on_header, .on_eoh = on_eoh,
	    .on_body = on_body, .arg = &f };
	struct am_why why = { "" };

	f.v = am_dkim_verify_new(dl, "test");
	ck_assert_msg(am_eml_parse(fp, &sink, &why) == AM_OK, "%s", why.text);
	feed_eoh(&f);
	am_dkim_verify_eom(f.v, res);
	f.v = am_dkim_verify_free(f.v);
	if (want_body != NULL)
		*want_body = f.want_body;
}

/* verify_mem - the message in msg (LF or CRLF). */
static void
verify_mem(struct am_dkim_lib *dl, const char *msg, size_t chunk,
    struct am_dkim_results *res)
{
	FILE *fp = fmemopen((void *)(uintptr_t)msg, strlen(msg), "r");

	ck_assert(fp != NULL);
	verify_fp(dl, fp, chunk, res, NULL);
	fclose(fp);
}

/* verify_path - a message file (mail-auth files: records first). */
static void
verify_path(struct am_dkim_lib *dl, const char *path, bool records,
    struct am_dkim_results *res)
{
	char *msg = am_test_slurp(path), *p;

	if (records && (p = strstr(msg, "\n\n")) != NULL)
		memmove(msg, p + 2, strlen(p + 2) + 1);
	verify_mem(dl, msg, 0, res);
	free(msg);
}

/* format_ar - the A-R value for res with authserv-id "mx.test". */
static char *
format_ar(const struct am_dkim_results *res)
{
	struct am_authres *ar = am_authres_new("mx.test");
	struct am_buf b;
	char *s;

	am_buf_init(&b, 65536);
	am_dkim_results_add_authres(res, ar);
	ck_assert(am_authres_format(ar, &b) == AM_OK);
	s = am_buf_export(&b);
	am_authres_free(ar);
	return s;
}

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

#define RES(r, i) am_dkim_result_name((r).sigs[i].result)
#define CK_RES(r, i, want) ck_assert_msg((r).sigs[i].result == (want), \
	"sig %d: %s (%s), want %s", (int)(i), RES(r, i), (r).sigs[i].reason, \
	am_dkim_result_name(want))


/* ---------------------------------------------------------------- vectors */

START_TEST(test_rfc8463)
{
	struct am_dkim_lib *dl;
	struct am_dkim_results res;
	char *ar;

	am_test_dns_load(dns, tpath("rfc8463/dns.txt"), false);
	dl = new_lib();
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
	ar = format_ar(&res);
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

	am_test_dns_load(dns, tpath("rfc6376/dns.txt"), false);
	dl = new_lib();
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
	am_test_dns_load(dns, tpath(rel), true);
	dl = new_lib();
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

	am_test_dns_load(dns, tpath("mail-dkim/FAKE_DNS.dat"), false);
	cfg->dkim_allow_sha1 = corpus[_i].sha1;
	dl = new_lib();
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

static char tmpdir[] = "/tmp/check_dkim_verify.XXXXXX";

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
		fprintf(stderr, "check_dkim_verify: %s failed\n", line);
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
	am_test_dns_add_txt(dns, "rsa._domainkey.example.net", v);
	for (i = 0; i < 11; i++) {
		(void)snprintf(n, sizeof(n), "s%d._domainkey.example.net", i);
		am_test_dns_add_txt(dns, n, v);
	}
	(void)snprintf(v, sizeof(v), "v=DKIM1; k=ed25519; p=%s", ed);
	am_test_dns_add_txt(dns, "ed._domainkey.example.net", v);
	(void)snprintf(v, sizeof(v), "v=DKIM1; k=rsa; p=%s", small);
	am_test_dns_add_txt(dns, "small._domainkey.example.net", v);
	ck_assert(am_dns_add_local_zone(dns, "refused.example.", "refuse",
	    &why) == AM_OK);
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
	dl = new_lib();
	verify_mem(dl, msg, 0, &res);
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
	cfg->dkim_allow_sha1 = true;
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
	cfg->dkim_allow_body_length = true;
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
	dl = new_lib();
	verify_mem(dl, msg, 0, &res);
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
	dl = new_lib();
	verify_mem(dl, m2, 0, &res);
	ck_assert_uint_eq(res.count, 3);
	CK_RES(res, 0, AM_DKIM_PERMERROR);
	CK_RES(res, 1, AM_DKIM_PERMERROR);
	CK_RES(res, 2, AM_DKIM_PASS);
	ck_assert(res.sigs[0].reason[0] != '\0');
	ck_assert(res.sigs[1].reason[0] != '\0');
	ck_assert_str_eq(res.sigs[0].domain, "example.net");
	ar = format_ar(&res);
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
	dl = new_lib();
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		verify_mem(dl, msg, sizes[i], &res);
		ck_assert_uint_eq(res.count, 2);
		CK_RES(res, 0, AM_DKIM_PASS);
		CK_RES(res, 1, AM_DKIM_PASS);
		ck_assert_uint_eq(res.sigs[0].key_bits, 256);
		ck_assert_uint_eq(res.sigs[1].key_bits, 2048);
		am_dkim_results_release(&res);
		verify_mem(dl, bad, sizes[i], &res);
		CK_RES(res, 0, AM_DKIM_FAIL);
		CK_RES(res, 1, AM_DKIM_FAIL);
		am_dkim_results_release(&res);
	}
	am_dkim_lib_free(dl);
	free(msg);
	free(bad);
}
END_TEST

/* Unsigned: no body needed, dkim=none. */
START_TEST(test_unsigned)
{
	struct am_dkim_lib *dl = new_lib();
	struct am_dkim_results res;
	FILE *fp;
	char *ar;
	bool want_body = true;
	const char *msg = "From: a@example.net\nTo: b@example.org\n"
	    "Subject: x\n\nbody\n";

	fp = fmemopen((void *)(uintptr_t)msg, strlen(msg), "r");
	verify_fp(dl, fp, 0, &res, &want_body);
	fclose(fp);
	ck_assert(!want_body);
	ck_assert_uint_eq(res.count, 0);
	ar = format_ar(&res);
	ck_assert_str_eq(ar, "mx.test;\n\tdkim=none");
	free(ar);
	am_dkim_results_release(&res);
	am_dkim_lib_free(dl);
}
END_TEST

/* header.b: shortest unique prefix, at least 8 characters. */
START_TEST(test_b_prefix)
{
	struct am_dkim_sig sigs[4] = {
		{ .result = AM_DKIM_PASS, .b = "abcdefghXYZ1" },
		{ .result = AM_DKIM_FAIL, .b = "abcdefghXYQ2" },
		{ .result = AM_DKIM_FAIL, .b = "short" },
		{ .result = AM_DKIM_PASS, .b = "zzzzzzzzzzzz" },
	};
	struct am_dkim_results res = { 4, sigs };
	size_t i;
	char *ar;

	for (i = 0; i < 4; i++) {
		sigs[i].reason = i == 0 || i == 3 ? "" : "signature failed";
		sigs[i].domain = "example.net";
		sigs[i].identity = "";
		sigs[i].selector = "s";
		sigs[i].algorithm = "rsa-sha256";
	}
	ar = format_ar(&res);
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
	    "\theader.b=zzzzzzzz");
	free(ar);
}
END_TEST

/* A DNS timeout never waits past DNSTimeout: temperror, not permerror. */
START_TEST(test_lib_options)
{
	struct am_dkim_lib *dl;
	const struct am_dkim_policy *p;

	cfg->dkim_max_signatures = 3;
	cfg->dkim_min_key_bits = 2048;
	dl = new_lib();
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
	TCase *t = tcase_create("vectors"), *d = tcase_create("dkimpy");

	tcase_add_checked_fixture(t, setup, teardown);
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
	tcase_add_checked_fixture(d, setup, teardown);
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
	suite_add_tcase(s, d);
	return s;
}

int
main(void)
{
	SRunner *sr;
	const char *td = getenv("AM_DKIM_TESTDATA");
	char probe[1024];
	int failed;

	if (td != NULL && *td != '\0')
		testdata = td;
	/* Missing data or tools fail the suite: it never passes without them. */
	snprintf(probe, sizeof(probe), "%s/rfc8463/signed.eml", testdata);
	if (access(probe, R_OK) != 0) {
		fprintf(stderr, "check_dkim_verify: %s: %s\n", probe,
		    strerror(errno));
		return 1;
	}
	if (access("/usr/bin/python3", X_OK) != 0) {
		fprintf(stderr, "check_dkim_verify: /usr/bin/python3 missing "
		    "(contrib/install-deps.sh installs it)\n");
		return 1;
	}
	make_fixtures();
	sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	remove_fixtures();
	return failed == 0 ? 0 : 1;
}
