/*
 * check_dkim_key.c - lib/dkim/dkim_key.c: key records (RFC 6376 §3.6.1,
 * RFC 8463 §4), lookups through libunbound local data (no key, refused,
 * a malformed name, several records), the signature primitive both ways
 * for RSA and Ed25519, and the published vectors: RFC 8463 A.3 (both
 * signatures) and mail-auth 002 (simple/simple, a PKCS#1 RSA key) verified
 * with dkim_canon + dkim_tags + dkim_key alone, as ARC uses them.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <openssl/evp.h>

#include "core/buf.h"
#include "msg/eml.h"
#include "msg/msg.h"
#include "dns/dns.h"
#include "dkim/dkim_canon.h"
#include "dkim/dkim_key.h"
#include "dkim/dkim_tags.h"
#include "dkim/keys.h"
#include "testutil/testrr.h"
#include "testutil/testutil.h"

#define RSA1024 "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3i" \
	"dY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC" \
	"/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+" \
	"2kryOTIKT+l/K4w3QIDAQAB"
#define ED "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
/* a 512-bit RSA SubjectPublicKeyInfo */
#define RSA512 "MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAMP7xfqrPXHfL2NIQgkyi1I04zj" \
	"/GBiSnW///EYzDZeygtqSWAz7MQDpzb7w6wQln+lUffh9T6GuFHWZjltF75sCAwEAAQ=="

static const struct {
	const char *rec;
	unsigned bits;		/* 0: error */
	const char *why;	/* reason of an error (substring) */
} key_cases[] = {
	{ "v=DKIM1; k=rsa; p=" RSA1024, 1024, NULL },
	{ "p=" RSA1024, 1024, NULL },				/* k= rsa */
	{ "v=DKIM1; h=sha1:sha256; s=email; t=y; p=" RSA1024, 1024, NULL },
	{ "v=DKIM1; k=ed25519; p=" ED, 256, NULL },
	{ "v=DKIM1; k=rsa; p=" RSA1024 " ;", 1024, NULL },
	{ "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQ KBgQDkHlOQoB"
	    "TzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W"
	    "91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9Pzox"
	    "ZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB", 1024, NULL },
	{ "k=rsa; v=DKIM1; p=" RSA1024, 0, "v=" },		/* not first */
	{ "v=DKIM2; p=" RSA1024, 0, "v=" },
	{ "v=DKIM1; k=dsa; p=" RSA1024, 0, "unknown key type" },
	{ "v=DKIM1; h=sha1; p=" RSA1024, 0, "sha256" },
	{ "v=DKIM1; s=www; p=" RSA1024, 0, "email" },
	{ "v=DKIM1; k=rsa", 0, "no p=" },
	{ "v=DKIM1; k=rsa; p=", 0, "revoked" },
	{ "v=DKIM1; k=rsa; p=!!!", 0, "base64" },
	{ "v=DKIM1; k=rsa; p=" ED, 0, "undecodable rsa" },
	{ "v=DKIM1; k=ed25519; p=" RSA1024, 0, "undecodable ed25519" },
	{ "v=DKIM1; k=rsa; p=" RSA512, 0, "512-bit" },
	{ "omgwhatsgoingon", 0, "key record" },
};

START_TEST(test_key_parse)
{
	struct am_dkim_key k;
	struct am_why why = { "" };
	const char *r = key_cases[_i].rec;
	enum am_status st = am_dkim_key_parse(r, strlen(r), 1024, &k, &why);

	if (key_cases[_i].bits == 0) {
		ck_assert_msg(st == AM_PERMFAIL && k.pkey == NULL,
		    "\"%s\": got ok, want error", r);
		ck_assert_msg(strstr(why.text, key_cases[_i].why) != NULL,
		    "\"%s\": got \"%s\", want \"%s\"", r, why.text,
		    key_cases[_i].why);
		return;
	}
	ck_assert_msg(st == AM_OK, "\"%s\": %s", r, why.text);
	ck_assert_uint_eq(k.bits, key_cases[_i].bits);
	ck_assert(k.alg == (k.bits == 256 ? AM_DKIM_ALG_ED25519_SHA256 :
	    AM_DKIM_ALG_RSA_SHA256));
	ck_assert(k.is_testing == (strstr(r, "t=y") != NULL));
	am_dkim_key_release(&k);
	ck_assert(k.pkey == NULL);
}
END_TEST

/* p= past AM_DKIM_KEY_MAX_BYTES is refused before OpenSSL sees it. */
START_TEST(test_key_oversized)
{
	struct am_buf r;
	struct am_dkim_key k;
	struct am_why why;
	size_t i;

	am_buf_init(&r, 8192);
	ck_assert(am_buf_puts(&r, "v=DKIM1; k=rsa; p=") == AM_OK);
	for (i = 0; i < (AM_DKIM_KEY_MAX_BYTES + 3) / 3 + 1; i++)
		ck_assert(am_buf_puts(&r, "MIIB") == AM_OK);
	ck_assert(am_dkim_key_parse(r.data, r.len, 1024, &k, &why) ==
	    AM_PERMFAIL);
	ck_assert_msg(strstr(why.text, "longer than 1600 bytes") != NULL, "%s",
	    why.text);
	am_buf_release(&r);
}
END_TEST

START_TEST(test_key_nul)
{
	static const char r[] = "v=DKIM1; p=\0" RSA1024;
	struct am_dkim_key k;
	struct am_why why;

	ck_assert(am_dkim_key_parse(r, sizeof(r) - 1, 1024, &k, &why) ==
	    AM_PERMFAIL);
	ck_assert(strstr(why.text, "NUL") != NULL);
}
END_TEST

/* lookup - the key of sel/dom; its status, reason in why. */
static enum am_status
lookup(struct am_dns *dns, const char *sel, const char *dom,
    struct am_dkim_key *k, struct am_why *why)
{
	struct am_dkim_key_query *q = am_dkim_key_start(dns, sel, dom);
	enum am_status st = am_dkim_key_wait(q, am_dns_deadline(5000), 1024, k,
	    why);

	am_dkim_key_release(k);
	ck_assert(am_dkim_key_wait(q, am_dns_deadline(5000), 1024, k, why) ==
	    st);	/* waiting again: the same */
	q = am_dkim_key_query_free(q);
	return st;
}

START_TEST(test_lookup)
{
	struct am_dns *dns = am_test_dns_local(NULL, "refused.example");
	struct am_dkim_key k;
	struct am_why why;
	char longsel[300];

	am_test_dns_add_txt(dns, "s._domainkey.example.org",
	    "v=DKIM1; k=ed25519; p=" ED);
	am_test_dns_add_txt(dns, "two._domainkey.example.org", "garbage");
	am_test_dns_add_txt(dns, "two._domainkey.example.org",
	    "v=DKIM1; p=" RSA1024);
	am_test_dns_add_txt(dns, "bad._domainkey.example.org", "v=DKIM1; p=");
	ck_assert(lookup(dns, "s", "example.org", &k, &why) == AM_OK);
	ck_assert_uint_eq(k.bits, 256);
	am_dkim_key_release(&k);
	ck_assert(lookup(dns, "two", "example.org", &k, &why) == AM_OK);
	ck_assert_uint_eq(k.bits, 1024);
	am_dkim_key_release(&k);
	ck_assert(lookup(dns, "none", "example.org", &k, &why) ==
	    AM_PERMFAIL);
	ck_assert_msg(strstr(why.text, "no key") != NULL, "%s", why.text);
	ck_assert(lookup(dns, "bad", "example.org", &k, &why) == AM_PERMFAIL);
	ck_assert_msg(strstr(why.text, "revoked") != NULL, "%s", why.text);
	ck_assert(lookup(dns, "s", "refused.example", &k, &why) ==
	    AM_TEMPFAIL);
	memset(longsel, 'a', sizeof(longsel) - 1);
	longsel[sizeof(longsel) - 1] = '\0';
	ck_assert(lookup(dns, longsel, "example.org", &k, &why) ==
	    AM_PERMFAIL);
	ck_assert(lookup(dns, "s", "example..org", &k, &why) == AM_PERMFAIL);
	dns = am_dns_free(dns);
}
END_TEST

/* pub_of - the public half of a private key, as a parsed record. */
static void
pub_of(EVP_PKEY *pk, struct am_dkim_key *k)
{
	unsigned char *pub;
	size_t len;
	struct am_buf rec;

	ck_assert(am_key_pubdata(pk, &pub, &len) == AM_OK);
	am_buf_init(&rec, 4096);
	ck_assert(am_buf_printf(&rec, "k=%s; p=", EVP_PKEY_get_id(pk) ==
	    EVP_PKEY_RSA ? "rsa" : "ed25519") == AM_OK);
	ck_assert(am_dkim_b64_encode(pub, len, &rec) == AM_OK);
	ck_assert(am_dkim_key_parse(rec.data, rec.len, 1024, k, NULL) ==
	    AM_OK);
	free(pub);
	am_buf_release(&rec);
}

START_TEST(test_sign_verify)
{
	EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	unsigned char hash[32], sig[1024];
	struct am_dkim_key kr, ke;
	struct am_buf b;
	struct am_str v;
	size_t n;

	memset(hash, 0x5a, sizeof(hash));
	pub_of(rsa, &kr);
	pub_of(ed, &ke);
	am_buf_init(&b, 4096);
	ck_assert(am_dkim_key_sign(rsa, AM_DKIM_ALG_RSA_SHA256, hash, &b) ==
	    AM_OK);
	v.p = b.data;
	v.len = b.len;
	ck_assert(am_dkim_b64_decode(v, sig, sizeof(sig), &n, NULL) == AM_OK);
	ck_assert_uint_eq(n, 256);
	ck_assert(am_dkim_key_verify(&kr, AM_DKIM_ALG_RSA_SHA256, hash, sig,
	    n));
	ck_assert(!am_dkim_key_verify(&kr, AM_DKIM_ALG_ED25519_SHA256, hash,
	    sig, n));	/* a= must match the key type */
	hash[0] ^= 1;
	ck_assert(!am_dkim_key_verify(&kr, AM_DKIM_ALG_RSA_SHA256, hash, sig,
	    n));
	am_buf_reset(&b);
	ck_assert(am_dkim_key_sign(ed, AM_DKIM_ALG_ED25519_SHA256, hash, &b) ==
	    AM_OK);
	v.p = b.data;
	v.len = b.len;
	ck_assert(am_dkim_b64_decode(v, sig, sizeof(sig), &n, NULL) == AM_OK);
	ck_assert_uint_eq(n, 64);
	ck_assert(am_dkim_key_verify(&ke, AM_DKIM_ALG_ED25519_SHA256, hash,
	    sig, n));
	ck_assert(!am_dkim_key_verify(&kr, AM_DKIM_ALG_ED25519_SHA256, hash,
	    sig, n));
	ck_assert(!am_dkim_key_verify(&ke, AM_DKIM_ALG_ED25519_SHA256, hash,
	    sig, 0));
	am_buf_reset(&b);
	ck_assert(am_dkim_key_sign(ed, AM_DKIM_ALG_RSA_SHA256, hash, &b) ==
	    AM_PERMFAIL && b.len == 0);
	am_dkim_key_release(&kr);
	am_dkim_key_release(&ke);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ed);
	am_buf_release(&b);
}
END_TEST

/* A message in memory: headers in an am_msg, the body hashed per c=. */
struct mail {
	struct am_msg *m;
	struct am_buf body;
};

static void
on_header(void *arg, const char *name, const char *value, size_t len)
{
	(void)am_msg_add_header(((struct mail *)arg)->m, name, value, len, 100,
	    65536);
}

static void
on_eoh(void *arg)
{
	(void)arg;
}

static void
on_body(void *arg, const void *p, size_t len)
{
	ck_assert(am_buf_append(&((struct mail *)arg)->body, p, len) == AM_OK);
}

/* dkim_ok - signature n of the mail, checked the way ARC checks an AMS:
 * bh= against the body, then b= over h= and the signature itself. */
static bool
dkim_ok(const struct mail *ml, size_t n, struct am_dns *dns)
{
	const struct am_header *h = am_msg_find(ml->m, "DKIM-Signature", n);
	struct am_dkim_tags t;
	const struct am_dkim_tag *c, *hl, *bh, *b, *d, *s;
	struct am_str names[32];
	size_t idx[32], k, i, blen;
	enum am_dkim_canon hc = AM_DKIM_CANON_SIMPLE, bc = AM_DKIM_CANON_SIMPLE;
	enum am_dkim_alg alg;
	unsigned char digest[32], want[35], hash[32], sig[1024];
	struct am_dkim_body *body;
	struct am_dkim_key key;
	struct am_buf scratch;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	char dom[256], sel[64];
	bool ok;

	ck_assert(h != NULL && am_dkim_tags_parse(h->value, h->value_len, &t,
	    NULL) == AM_OK);
	c = am_dkim_tags_find(&t, "c");
	hl = am_dkim_tags_find(&t, "h");
	bh = am_dkim_tags_find(&t, "bh");
	b = am_dkim_tags_find(&t, "b");
	d = am_dkim_tags_find(&t, "d");
	s = am_dkim_tags_find(&t, "s");
	ck_assert(hl && bh && b && d && s);
	ck_assert(c == NULL || am_dkim_canon_parse(c->value, &hc, &bc) ==
	    AM_OK);
	ck_assert(am_dkim_alg_parse(am_dkim_tags_find(&t, "a")->value, &alg));
	body = am_dkim_body_new(bc, -1);
	am_dkim_body_update(body, ml->body.data, ml->body.len);
	am_dkim_body_final(body, digest);
	am_dkim_body_free(body);
	ck_assert(am_dkim_b64_decode(bh->value, want, sizeof(want), &blen,
	    NULL) == AM_OK && blen == 32);
	if (memcmp(digest, want, 32) != 0)
		return false;
	ck_assert(am_dkim_hlist_parse(hl->value, names, 32, &k, NULL) ==
	    AM_OK);
	am_dkim_select(ml->m, names, k, false, idx);
	am_buf_init(&scratch, 65536);
	ck_assert(EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1);
	for (i = 0; i < k; i++) {
		const struct am_header *x;

		if (idx[i] == AM_DKIM_NO_HEADER)
			continue;
		x = am_msg_header(ml->m, idx[i]);
		ck_assert(am_dkim_hash_header(ctx, hc, x->name, x->value,
		    x->value_len, NULL, false, &scratch) == AM_OK);
	}
	ck_assert(am_dkim_hash_header(ctx, hc, h->name, h->value,
	    h->value_len, b, true, &scratch) == AM_OK);
	ck_assert(EVP_DigestFinal_ex(ctx, hash, NULL) == 1);
	EVP_MD_CTX_free(ctx);
	am_buf_release(&scratch);
	snprintf(dom, sizeof(dom), "%.*s", (int)d->value.len, d->value.p);
	snprintf(sel, sizeof(sel), "%.*s", (int)s->value.len, s->value.p);
	ck_assert(lookup(dns, sel, dom, &key, NULL) == AM_OK);
	ck_assert(am_dkim_b64_decode(b->value, sig, sizeof(sig), &blen,
	    NULL) == AM_OK);
	ok = am_dkim_key_verify(&key, alg, hash, sig, blen);
	am_dkim_key_release(&key);
	return ok;
}

/* load_mail - a message file, skipping a mail-auth records block. */
static void
load_mail(struct mail *ml, const char *path, bool is_block)
{
	struct am_eml_sink sink = { on_header, on_eoh, on_body, ml };
	char *text = am_test_slurp(path), *p = text;
	FILE *fp;

	if (is_block)
		p = strstr(text, "\n\n") + 2;
	ml->m = am_msg_new();
	am_buf_init(&ml->body, 1 << 20);
	fp = fmemopen(p, strlen(p), "r");
	ck_assert(am_eml_parse(fp, &sink, NULL) == AM_OK);
	fclose(fp);
	free(text);
}

static void
free_mail(struct mail *ml)
{
	am_msg_free(ml->m);
	am_buf_release(&ml->body);
}

START_TEST(test_rfc8463)
{
	struct am_dns *dns = am_test_dns_local(NULL, NULL);
	struct mail ml;

	am_test_dns_load(dns, AM_TOP_SRCDIR
	    "/tests/conformance/dkim/rfc8463/dns.txt", false);
	load_mail(&ml, AM_TOP_SRCDIR
	    "/tests/conformance/dkim/rfc8463/signed.eml", false);
	ck_assert(dkim_ok(&ml, 0, dns));	/* ed25519-sha256 */
	ck_assert(dkim_ok(&ml, 1, dns));	/* rsa-sha256 */
	/* one changed byte in a signed header breaks both */
	free(am_msg_find(ml.m, "Subject", 0)->value);
	((struct am_header *)am_msg_find(ml.m, "Subject", 0))->value =
	    strdup(" Is dinner ready!");
	ck_assert(!dkim_ok(&ml, 0, dns));
	ck_assert(!dkim_ok(&ml, 1, dns));
	free_mail(&ml);
	dns = am_dns_free(dns);
}
END_TEST

/* mail-auth 002: simple/simple, a PKCS#1 RSAPublicKey in p= (dkimpy
 * passes it; libopendkim does not read that key form). */
START_TEST(test_mailauth_002)
{
	static const char path[] = AM_TOP_SRCDIR
	    "/tests/conformance/dkim/mail-auth/002.txt";
	struct am_dns *dns = am_test_dns_local(NULL, NULL);
	struct mail ml;

	am_test_dns_load(dns, path, true);
	load_mail(&ml, path, true);
	ck_assert(dkim_ok(&ml, am_msg_count(ml.m, "DKIM-Signature") - 1,
	    dns));
	free_mail(&ml);
	dns = am_dns_free(dns);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("dkim_key");
	TCase *tc = tcase_create("key");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_key_parse, 0,
	    sizeof(key_cases) / sizeof(key_cases[0]));
	tcase_add_test(tc, test_key_oversized);
	tcase_add_test(tc, test_key_nul);
	tcase_add_test(tc, test_lookup);
	tcase_add_test(tc, test_sign_verify);
	tcase_add_test(tc, test_rfc8463);
	tcase_add_test(tc, test_mailauth_002);
	suite_add_tcase(s, tc);
	return am_test_run(s);
}
