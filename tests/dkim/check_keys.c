/*
 * check_keys.c - the key store: KeyTable/SigningTable (plain and refile),
 * lookup order, "%", the simple form, dual keys, and every key check
 * (PITFALLS.md "DKIM": a SigningTable line without a key name is a clean
 * FILE:LINE error, not a crash).
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "config/config.h"
#include "dkim/keys.h"
#include "testutil/testutil.h"

static char tmpdir[] = "/tmp/check_keys.XXXXXX";

/* expand - tmpl with every "%s" replaced by tmpdir and "%%" by "%". */
static void
expand(const char *tmpl, char *out, size_t len)
{
	size_t n = 0, tl = strlen(tmpdir);

	for (; *tmpl != '\0' && n + tl + 1 < len; tmpl++) {
		if (tmpl[0] == '%' && tmpl[1] == 's') {
			memcpy(out + n, tmpdir, tl);
			n += tl;
			tmpl++;
		} else if (tmpl[0] == '%' && tmpl[1] == '%')
			out[n++] = *tmpl++;
		else
			out[n++] = *tmpl;
	}
	out[n] = '\0';
}

/* path_of - tmpdir/name in a static buffer. */
static const char *
path_of(const char *name)
{
	static char buf[512];

	snprintf(buf, sizeof(buf), "%s/%s", tmpdir, name);
	return buf;
}

/* put - write text to tmpdir/name with mode. */
static void
put(const char *name, const char *text, mode_t mode)
{
	const char *p = path_of(name);
	FILE *fp = fopen(p, "w");

	AM_TEST_NEED(fp);
	fputs(text, fp);
	fclose(fp);
	AM_TEST_NEED(chmod(p, mode) == 0);
}

/* genkey - a key of type ("rsa", "ed25519", "ec") to tmpdir/name. */
static void
genkey(const char *name, const char *type, int bits, bool pkcs1, mode_t mode)
{
	EVP_PKEY *pk;
	FILE *fp;
	BIO *bio;

	if (strcmp(type, "rsa") == 0)
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
	else if (strcmp(type, "ec") == 0)
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	else
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	AM_TEST_NEED(pk);
	fp = fopen(path_of(name), "w");
	AM_TEST_NEED(fp);
	bio = BIO_new_fp(fp, BIO_CLOSE);
	if (pkcs1)
		AM_TEST_NEED(PEM_write_bio_PrivateKey_traditional(bio, pk, NULL,
		    NULL, 0, NULL, NULL));
	else
		AM_TEST_NEED(PEM_write_bio_PrivateKey(bio, pk, NULL, NULL, 0,
		    NULL, NULL));
	BIO_free(bio);
	EVP_PKEY_free(pk);
	AM_TEST_NEED(chmod(path_of(name), mode) == 0);
}

/* shared keys, made once (RSA generation is slow) */
static void
setup_keys(void)
{
	genkey("rsa.key", "rsa", 2048, false, 0600);
	genkey("rsa1.key", "rsa", 2048, true, 0600);	/* PKCS#1 input */
	genkey("ed.key", "ed25519", 0, false, 0600);
	genkey("ec.key", "ec", 0, false, 0600);
	genkey("small.key", "rsa", 512, false, 0600);
	genkey("k1024.key", "rsa", 1024, false, 0600);
	genkey("open.key", "ed25519", 0, false, 0644);
	genkey("grp.key", "ed25519", 0, false, 0640);
	put("junk.key", "-----BEGIN PRIVATE KEY-----\nnonsense\n", 0600);
}

struct loaded {
	struct am_config *cfg;
	struct am_keys *ks;
	struct am_buf errs, warns;
};

/* load - config text (tmpdir paths as %s/...) -> key store. */
static void
load(struct loaded *l, const char *conf)
{
	char text[4096];
	struct am_buf cerr;

	expand(conf, text, sizeof(text));
	put("t.conf", text, 0600);
	am_buf_init(&cerr, 1 << 16);
	am_buf_init(&l->errs, 1 << 16);
	am_buf_init(&l->warns, 1 << 16);
	l->cfg = am_config_load(path_of("t.conf"), &cerr, NULL);
	ck_assert_msg(l->cfg != NULL, "config: %s", am_buf_str(&cerr));
	am_buf_release(&cerr);
	l->ks = am_keys_load(l->cfg, &l->errs, &l->warns);
}

static void
unload(struct loaded *l)
{
	l->ks = am_keys_free(l->ks);
	l->cfg = am_config_unref(l->cfg);
	am_buf_release(&l->errs);
	am_buf_release(&l->warns);
}

/* names - the key names am_keys_lookup gives, space-separated. */
static const char *
names(const struct am_keys *ks, const char *local, const char *domain)
{
	static char buf[256];
	const struct am_key *k[AM_KEYS_MAX_PER_MSG];
	size_t n = am_keys_lookup(ks, local, domain, k, AM_KEYS_MAX_PER_MSG,
	    NULL), len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s",
		    i ? " " : "", k[i]->name);
	return buf;
}

#define EXPECT(ks, local, dom, want) do {				\
	const char *got_ = names(ks, local, dom);			\
	ck_assert_msg(strcmp(got_, want) == 0,				\
	    "%s@%s: got \"%s\", want \"%s\"", local, dom, got_, want);	\
} while (0)

static const char keytable[] =
    "# comment\n"
    "full    example.com:full:%s/rsa.key\n"
    "host    example.com:host:%s/ed.key   # trailing comment\n"
    "parent  example.org:parent:%s/rsa1.key\n"
    "star    Example.NET:star:%s/ed.key\n";

static void
tables(struct loaded *l, const char *signing, const char *prefix)
{
	char kt[2048], conf[1024];

	expand(keytable, kt, sizeof(kt));
	put("kt", kt, 0644);
	put("st", signing, 0644);
	snprintf(conf, sizeof(conf), "KeyTable file:%%s/kt\n"
	    "SigningTable %s%%s/st\n", prefix);
	load(l, conf);
}

START_TEST(test_plain_order)
{
	struct loaded l;

	tables(&l, "user@example.com full\n"
	    "example.com host\n"
	    "user@.example.org parent\n"
	    ".example.org star\n"
	    "boss@* full\n"
	    "* star\n", "");
	ck_assert_msg(l.ks != NULL, "%s", am_buf_str(&l.errs));
	ck_assert_str_eq(am_buf_str(&l.warns), "");
	EXPECT(l.ks, "user", "example.com", "full");
	EXPECT(l.ks, "USER", "example.com", "full");
	EXPECT(l.ks, "other", "example.com", "host");
	EXPECT(l.ks, "", "example.com", "host");
	EXPECT(l.ks, "user", "a.b.example.org", "parent");
	EXPECT(l.ks, "other", "a.b.example.org", "star");
	EXPECT(l.ks, "boss", "elsewhere.test", "full");
	EXPECT(l.ks, "x", "elsewhere.test", "star");
	ck_assert_uint_eq(am_keys_count(l.ks), 4);
	ck_assert_str_eq(am_keys_get(l.ks, 3)->domain, "example.net");
	unload(&l);
}
END_TEST

START_TEST(test_refile)
{
	struct loaded l;

	tables(&l, "*@example.com full\n"
	    "*@example.com host\n"		/* dual: RSA + Ed25519 */
	    "*.example.com parent   someone@%\n"
	    "*  star\n", "refile:");
	ck_assert_msg(l.ks != NULL, "%s", am_buf_str(&l.errs));
	EXPECT(l.ks, "u", "example.com", "full host");
	EXPECT(l.ks, "u", "sub.example.com", "parent");
	EXPECT(l.ks, "u", "EXAMPLE.com", "full host");
	EXPECT(l.ks, "u", "example.company", "star");
	unload(&l);
}
END_TEST

START_TEST(test_dual_plain_and_signer)
{
	struct loaded l;
	const struct am_key *k[4];
	const char *signer;

	tables(&l, "example.com full\nexample.com host  %\n", "");
	ck_assert_msg(l.ks != NULL, "%s", am_buf_str(&l.errs));
	ck_assert_uint_eq(am_keys_lookup(l.ks, "a", "example.com", k, 4,
	    &signer), 2);
	ck_assert_int_eq(k[0]->alg, AM_KEY_RSA_SHA256);
	ck_assert_uint_eq(k[0]->bits, 2048);
	ck_assert_int_eq(k[1]->alg, AM_KEY_ED25519_SHA256);
	ck_assert_ptr_null(signer);	/* the first line had none */
	ck_assert_uint_eq(am_keys_lookup(l.ks, "a", "example.com", k, 1,
	    NULL), 1);
	ck_assert_uint_eq(am_keys_lookup(l.ks, "a", "other.test", k, 4,
	    NULL), 0);
	unload(&l);
}
END_TEST

START_TEST(test_percent)
{
	struct loaded l;
	const struct am_key *k[2];
	char conf[512];

	put("kt", "any %:sel:/dev/null\n", 0644);
	snprintf(conf, sizeof(conf), "any %%:sel:%s/ed.key\n", tmpdir);
	put("kt", conf, 0644);
	put("st", "* any\n", 0644);
	load(&l, "KeyTable %s/kt\nSigningTable refile:%s/st\n");
	ck_assert_msg(l.ks != NULL, "%s", am_buf_str(&l.errs));
	ck_assert_uint_eq(am_keys_lookup(l.ks, "u", "mail.example", k, 2,
	    NULL), 1);
	ck_assert_str_eq(am_key_domain(k[0], "mail.example"), "mail.example");
	unload(&l);
}
END_TEST

/* SigningTable keyname "%": the key named after the From domain. */
START_TEST(test_keyname_percent)
{
	struct loaded l;
	char kt[512];

	snprintf(kt, sizeof(kt), "example.com example.com:s:%s/ed.key\n",
	    tmpdir);
	put("kt", kt, 0644);
	put("st", "* %\n", 0644);
	load(&l, "KeyTable %s/kt\nSigningTable refile:%s/st\n");
	ck_assert_msg(l.ks != NULL, "%s", am_buf_str(&l.errs));
	EXPECT(l.ks, "u", "example.com", "example.com");
	EXPECT(l.ks, "u", "example.org", "");
	unload(&l);
}
END_TEST

/* Error cases: a table line or a key, and the FILE:LINE message. */
static const struct {
	const char *kt;		/* KeyTable line (%s = tmpdir) */
	const char *st;		/* SigningTable text */
	const char *want;	/* substring of errs, after "PATH/" */
} err_cases[] = {
	{ "k example.com:s:%s/rsa.key\n", "example.com k\nexample.org\n",
	    "st:2: pattern example.org has no key name" },
	{ "k example.com:s:%s/rsa.key\n", "example.com nokey\n",
	    "st:1: unknown key name nokey (not in KeyTable)" },
	{ "k example.com:s:%s/missing.key\n", "* k\n",
	    "kt:1: /tmp/check_keys." },
	{ "k example.com:s:%s/ec.key\n", "* k\n",
	    "ec.key is a id-ecPublicKey key (RSA or Ed25519 needed)" },
	{ "k example.com:s:%s/small.key\n", "* k\n",
	    "small.key is a 512-bit RSA key (at least 1024 bits needed)" },
	{ "k example.com:s:%s/open.key\n", "* k\n",
	    "open.key is world-readable (RequireSafeKeys yes)" },
	{ "k example.com:s:%s/grp.key\n", "* k\n",
	    "grp.key is group-readable (RequireSafeKeys yes)" },
	{ "k example.com:s:%s/junk.key\n", "* k\n",
	    "junk.key is not an unencrypted PEM private key" },
	{ "k example.com:s\n", "* k\n", "kt:1: key k: want" },
	{ "k example.com:s:%s\n", "* k\n", "is not a regular file" },
	{ "k example.com:s:relative.key\n", "* k\n",
	    "not an absolute path" },
	{ "k example.com:s:%s/rsa.key\nk x:y:/z\n", "* k\n",
	    "kt:2: duplicate key name k" },
	{ "k\n", "* k\n", "kt:1: want \"keyname domain:selector:/path" },
	{ "k example.com:s:%s/rsa.key\n", "* k i@x extra\n",
	    "st:1: want \"pattern keyname [signer]\"" },
};

START_TEST(test_errors)
{
	struct loaded l;
	char kt[1024];

	expand(err_cases[_i].kt, kt, sizeof(kt));
	put("kt", kt, 0644);
	put("st", err_cases[_i].st, 0644);
	load(&l, "KeyTable %s/kt\nSigningTable %s/st\n");
	ck_assert_msg(l.ks == NULL, "case %d loaded", _i);
	ck_assert_msg(strstr(am_buf_str(&l.errs), err_cases[_i].want) != NULL,
	    "case %d: got \"%s\", want \"%s\"", _i, am_buf_str(&l.errs),
	    err_cases[_i].want);
	ck_assert_msg(strstr(am_buf_str(&l.errs), tmpdir) != NULL,
	    "no path in \"%s\"", am_buf_str(&l.errs));
	unload(&l);
}
END_TEST

/* Every error is reported, not just the first. */
START_TEST(test_all_errors)
{
	struct loaded l;

	put("kt", "k example.com:s:/nonexistent.key\n", 0644);
	put("st", "a\nb nokey\nc k\n", 0644);
	load(&l, "KeyTable %s/kt\nSigningTable %s/st\n");
	ck_assert_ptr_null(l.ks);
	ck_assert_ptr_nonnull(strstr(am_buf_str(&l.errs), "st:1:"));
	ck_assert_ptr_nonnull(strstr(am_buf_str(&l.errs), "st:2:"));
	ck_assert_ptr_nonnull(strstr(am_buf_str(&l.errs), "kt:1:"));
	unload(&l);
}
END_TEST

START_TEST(test_unsafe_warns)
{
	struct loaded l;

	load(&l, "Domain example.com\nSelector s\nKeyFile %s/open.key\n"
	    "RequireSafeKeys no\n");
	ck_assert_msg(l.ks != NULL, "%s", am_buf_str(&l.errs));
	ck_assert_ptr_nonnull(strstr(am_buf_str(&l.warns),
	    "open.key is world-readable"));
	unload(&l);
}
END_TEST

START_TEST(test_1024_warns)
{
	struct loaded l;

	load(&l, "Domain example.com\nSelector s\nKeyFile %s/k1024.key\n");
	ck_assert_msg(l.ks != NULL, "%s", am_buf_str(&l.errs));
	ck_assert_ptr_nonnull(strstr(am_buf_str(&l.warns),
	    "1024-bit RSA key (2048 bits recommended)"));
	unload(&l);
}
END_TEST

START_TEST(test_simple_dual)
{
	struct loaded l;
	const struct am_key *k[4];

	load(&l, "Domain Example.com, example.org\nSelector rsa1, ed1\n"
	    "KeyFile %s/rsa1.key, %s/ed.key\n");
	ck_assert_msg(l.ks != NULL, "%s", am_buf_str(&l.errs));
	ck_assert_uint_eq(am_keys_lookup(l.ks, "x", "example.com", k, 4,
	    NULL), 2);
	ck_assert_str_eq(k[0]->selector, "rsa1");
	ck_assert_str_eq(am_key_domain(k[0], "example.com"), "example.com");
	ck_assert_int_eq(k[0]->alg, AM_KEY_RSA_SHA256);
	ck_assert_int_eq(k[1]->alg, AM_KEY_ED25519_SHA256);
	/* PKCS#1 in: the store holds the decoded key, of the key's type */
	ck_assert_ptr_nonnull(k[0]->pkey);
	ck_assert_int_eq(EVP_PKEY_get_base_id(k[0]->pkey), EVP_PKEY_RSA);
	ck_assert_int_eq(EVP_PKEY_get_base_id(k[1]->pkey), EVP_PKEY_ED25519);
	ck_assert_uint_eq(am_keys_lookup(l.ks, "x", "example.org", k, 4,
	    NULL), 2);
	ck_assert_str_eq(am_key_domain(k[0], "example.org"), "example.org");
	ck_assert_uint_eq(am_keys_lookup(l.ks, "x", "sub.example.org", k, 4,
	    NULL), 0);
	unload(&l);
}
END_TEST

static const struct {
	const char *conf;
	const char *want;
} form_cases[] = {
	{ "Domain example.com\nSelector a, b\nKeyFile %s/ed.key\n",
	    "Domain (1 to 64), Selector and KeyFile" },
	{ "Domain example.com\nSelector a\n",
	    "Domain (1 to 64), Selector and KeyFile" },
	{ "KeyTable %s/kt\n", "KeyTable and SigningTable go together" },
	{ "KeyTable %s/kt\nSigningTable %s/st\nDomain x\n",
	    "exclude each other" },
	{ "KeyTable %s/nokt\nSigningTable %s/st\n", "KeyTable " },
	{ "Domain example.com\nSelector a\nKeyFile ed.key\n",
	    "KeyFile ed.key is not an absolute path" },
};

START_TEST(test_form_errors)
{
	struct loaded l;

	put("kt", "", 0644);
	put("st", "", 0644);
	load(&l, form_cases[_i].conf);
	ck_assert_ptr_null(l.ks);
	ck_assert_msg(strstr(am_buf_str(&l.errs), form_cases[_i].want) != NULL,
	    "case %d: got \"%s\", want \"%s\"", _i, am_buf_str(&l.errs),
	    form_cases[_i].want);
	ck_assert_ptr_nonnull(strstr(am_buf_str(&l.errs), "t.conf: "));
	unload(&l);
}
END_TEST

START_TEST(test_no_signing)
{
	struct loaded l;

	load(&l, "");
	ck_assert_ptr_nonnull(l.ks);
	ck_assert_uint_eq(am_keys_count(l.ks), 0);
	EXPECT(l.ks, "a", "example.com", "");
	unload(&l);
}
END_TEST

START_TEST(test_record)
{
	struct loaded l;
	struct am_buf rec;

	load(&l, "Domain example.com\nSelector r, e\n"
	    "KeyFile %s/rsa.key, %s/ed.key\n");
	ck_assert_msg(l.ks != NULL, "%s", am_buf_str(&l.errs));
	am_buf_init(&rec, 4096);
	ck_assert_int_eq(am_key_record(am_keys_get(l.ks, 0), &rec), AM_OK);
	ck_assert_ptr_nonnull(strstr(am_buf_str(&rec),
	    "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"));
	ck_assert_int_eq(am_key_record(am_keys_get(l.ks, 1), &rec), AM_OK);
	ck_assert_uint_eq(strlen(am_buf_str(&rec)),
	    strlen("v=DKIM1; k=ed25519; p=") + 44);
	am_buf_release(&rec);
	unload(&l);
}
END_TEST

static Suite *
keys_suite(void)
{
	Suite *s = suite_create("keys");
	TCase *tc = tcase_create("tables");

	tcase_add_test(tc, test_plain_order);
	tcase_add_test(tc, test_refile);
	tcase_add_test(tc, test_dual_plain_and_signer);
	tcase_add_test(tc, test_percent);
	tcase_add_test(tc, test_keyname_percent);
	tcase_add_loop_test(tc, test_errors, 0,
	    (int)(sizeof(err_cases) / sizeof(err_cases[0])));
	tcase_add_test(tc, test_all_errors);
	suite_add_tcase(s, tc);
	tc = tcase_create("keys");
	tcase_add_test(tc, test_unsafe_warns);
	tcase_add_test(tc, test_1024_warns);
	tcase_add_test(tc, test_simple_dual);
	tcase_add_loop_test(tc, test_form_errors, 0,
	    (int)(sizeof(form_cases) / sizeof(form_cases[0])));
	tcase_add_test(tc, test_no_signing);
	tcase_add_test(tc, test_record);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	int rc;
	char cmd[600];

	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return EXIT_FAILURE;
	}
	setup_keys();
	rc = am_test_run(keys_suite());
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpdir);
	return rc;
}
