/*
 * dkim_key.c - DKIM key records (RFC 6376 §3.6.1), their lookup through
 * lib/dns (§3.6.2: selector._domainkey.domain TXT) and the signature
 * primitive with OpenSSL 3: RSASSA-PKCS1-v1_5 over a SHA-256 DigestInfo
 * (rsa-sha256, RFC 8301 §3.1: keys of at least 1024 bits) and PureEdDSA
 * over the 32 hash bytes (ed25519-sha256, RFC 8463 §3: the key is the raw
 * 32-byte public key, §4). Sizes from DNS are capped before they reach
 * OpenSSL (AM_DKIM_KEY_MAX_BYTES, AM_DKIM_KEY_MAX_BITS). Contract in
 * dkim_key.h.
 */
#include "autoconf.h"

#include <arpa/nameser.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "core/xalloc.h"
#include "dkim/dkim_key.h"
#include "dkim/dkim_tags.h"

#define HASH_LEN 32	/* SHA-256 */

struct am_dkim_key_query {
	struct am_dns_query *q;		/* owned, NULL when not sent */
	bool is_done;			/* answer holds the result */
	bool is_bad_name;		/* name too long: never sent */
	struct am_dns_answer ans;	/* owned after the wait */
};

/* am_dkim_alg_parse - a= value to algorithm (exact, RFC 6376 §3.5). */
bool
am_dkim_alg_parse(struct am_str a, enum am_dkim_alg *out)
{
	if (am_dkim_str_eq(a, "rsa-sha256"))
		*out = AM_DKIM_ALG_RSA_SHA256;
	else if (am_dkim_str_eq(a, "ed25519-sha256"))
		*out = AM_DKIM_ALG_ED25519_SHA256;
	else
		return false;
	return true;
}

const char *
am_dkim_alg_name(enum am_dkim_alg alg)
{
	return alg == AM_DKIM_ALG_ED25519_SHA256 ? "ed25519-sha256" :
	    "rsa-sha256";
}

/* list_has - does the colon-separated list v hold word (FWS allowed)? */
static bool
list_has(struct am_str v, const char *word)
{
	struct am_str names[16];
	size_t n, i;

	for (n = 0, i = 0; i <= v.len && n < 16;) {
		size_t s = i, e;

		while (i < v.len && v.p[i] != ':')
			i++;
		for (e = i; e > s && strchr(" \t\r\n", v.p[e - 1]); e--)
			;
		while (s < e && strchr(" \t\r\n", v.p[s]))
			s++;
		names[n].p = v.p + s;
		names[n++].len = e - s;
		i++;
	}
	for (i = 0; i < n; i++)
		if (am_dkim_str_eq(names[i], word))
			return true;
	return false;
}

/* rsa_from_der - SubjectPublicKeyInfo, or a bare PKCS#1 RSAPublicKey. */
static EVP_PKEY *
rsa_from_der(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	EVP_PKEY *pk = d2i_PUBKEY(NULL, &p, (long)len);

	if (pk == NULL) {
		p = der;
		pk = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, (long)len);
	}
	if (pk != NULL && (p != der + len || EVP_PKEY_get_id(pk) !=
	    EVP_PKEY_RSA)) {
		EVP_PKEY_free(pk);	/* trailing bytes, or not RSA */
		pk = NULL;
	}
	ERR_clear_error();
	return pk;
}

/* check_tags - v=, k=, h=, s= of a key record; sets *is_ed. */
static enum am_status
check_tags(const struct am_dkim_tags *t, bool *is_ed, struct am_why *why)
{
	const struct am_dkim_tag *v = am_dkim_tags_find(t, "v");
	const struct am_dkim_tag *k = am_dkim_tags_find(t, "k");
	const struct am_dkim_tag *h = am_dkim_tags_find(t, "h");
	const struct am_dkim_tag *s = am_dkim_tags_find(t, "s");

	if (v != NULL && (v != &t->tag[0] || !am_dkim_str_eq(v->value,
	    "DKIM1"))) {
		am_why_set(why, "key record: bad v= (must come first and be "
		    "DKIM1)");
		return AM_PERMFAIL;
	}
	*is_ed = k != NULL && am_dkim_str_eq(k->value, "ed25519");
	if (k != NULL && !*is_ed && !am_dkim_str_eq(k->value, "rsa")) {
		am_why_set(why, "key record: unknown key type k=%.*s",
		    (int)(k->value.len > 32 ? 32 : k->value.len), k->value.p);
		return AM_PERMFAIL;
	}
	if (h != NULL && !list_has(h->value, "sha256")) {
		am_why_set(why, "key record: h= does not allow sha256");
		return AM_PERMFAIL;
	}
	if (s != NULL && !list_has(s->value, "*") &&
	    !list_has(s->value, "email")) {
		am_why_set(why, "key record: s= does not allow email");
		return AM_PERMFAIL;
	}
	return AM_OK;
}

/* decode_key - p= bytes into out->pkey for the record's key type. */
static enum am_status
decode_key(const unsigned char *der, size_t n, bool is_ed, unsigned min_bits,
    struct am_dkim_key *out, struct am_why *why)
{
	if (is_ed) {
		out->pkey = n == 32 ? EVP_PKEY_new_raw_public_key(
		    EVP_PKEY_ED25519, NULL, der, n) : NULL;
		out->alg = AM_DKIM_ALG_ED25519_SHA256;
		out->bits = 256;
	} else {
		out->pkey = rsa_from_der(der, n);
		out->alg = AM_DKIM_ALG_RSA_SHA256;
		out->bits = out->pkey ? (unsigned)EVP_PKEY_get_bits(out->pkey) :
		    0;
	}
	ERR_clear_error();
	if (out->pkey == NULL) {
		am_why_set(why, "key record: undecodable %s key",
		    is_ed ? "ed25519" : "rsa");
		return AM_PERMFAIL;
	}
	if (!is_ed && (out->bits < min_bits ||
	    out->bits > AM_DKIM_KEY_MAX_BITS)) {
		am_why_set(why, "%u-bit rsa key (allowed %u..%u)", out->bits,
		    min_bits, AM_DKIM_KEY_MAX_BITS);
		am_dkim_key_release(out);
		return AM_PERMFAIL;
	}
	return AM_OK;
}

/* am_dkim_key_parse - see dkim_key.h. */
enum am_status
am_dkim_key_parse(const char *txt, size_t len, unsigned min_bits,
    struct am_dkim_key *out, struct am_why *why)
{
	struct am_dkim_tags t;
	const struct am_dkim_tag *p, *flags;
	unsigned char der[AM_DKIM_KEY_MAX_BYTES];
	struct am_why w;
	size_t n;
	bool is_ed;

	memset(out, 0, sizeof(*out));
	if (memchr(txt, '\0', len) != NULL) {
		am_why_set(why, "key record: NUL byte");
		return AM_PERMFAIL;
	}
	if (am_dkim_tags_parse(txt, len, &t, &w) != AM_OK) {
		am_why_set(why, "key record: %.200s", w.text);
		return AM_PERMFAIL;
	}
	if (check_tags(&t, &is_ed, why) != AM_OK)
		return AM_PERMFAIL;
	if ((p = am_dkim_tags_find(&t, "p")) == NULL) {
		am_why_set(why, "key record: no p=");
		return AM_PERMFAIL;
	}
	if (am_dkim_b64_decode(p->value, der, sizeof(der), &n, &w) != AM_OK) {
		am_why_set(why, "key record: p=: %.200s", w.text);
		return AM_PERMFAIL;
	}
	if (n == 0) {
		am_why_set(why, "key revoked (empty p=)");
		return AM_PERMFAIL;
	}
	if (decode_key(der, n, is_ed, min_bits, out, why) != AM_OK)
		return AM_PERMFAIL;
	flags = am_dkim_tags_find(&t, "t");
	out->is_testing = flags != NULL && list_has(flags->value, "y");
	return AM_OK;
}

/* am_dkim_key_start - begin selector._domainkey.domain TXT. */
struct am_dkim_key_query *
am_dkim_key_start(struct am_dns *dns, const char *selector, const char *domain)
{
	struct am_dkim_key_query *kq = am_xcalloc(1, sizeof(*kq));
	char name[AM_DNS_MAX_NAME + 16];
	int n;

	n = snprintf(name, sizeof(name), "%s._domainkey.%s", selector, domain);
	if (n < 0 || (size_t)n > AM_DNS_MAX_NAME)
		kq->is_bad_name = true;	/* am_dns would refuse it too */
	else
		kq->q = am_dns_start(dns, name, ns_t_txt);
	return kq;
}

/* answer_key - the first TXT record of ans that is a valid key. */
static enum am_status
answer_key(const struct am_dns_answer *ans, unsigned min_bits,
    struct am_dkim_key *out, struct am_why *why)
{
	struct am_buf txt;
	struct am_why first, w;
	size_t i;

	am_buf_init(&txt, 1 << 16);
	first.text[0] = '\0';
	for (i = 0; i < ans->count; i++) {
		if (am_dns_txt(ans, i, &txt) != AM_OK) {
			am_why_set(&w, "key record: malformed TXT");
		} else if (am_dkim_key_parse(txt.data ? txt.data : "",
		    txt.len, min_bits, out, &w) == AM_OK) {
			am_buf_release(&txt);
			return AM_OK;
		}
		if (first.text[0] == '\0')
			first = w;
	}
	am_buf_release(&txt);
	am_why_set(why, "%s", first.text[0] ? first.text : "no key record");
	return AM_PERMFAIL;
}

/* am_dkim_key_wait - the key, or why not. */
enum am_status
am_dkim_key_wait(struct am_dkim_key_query *kq, uint64_t deadline_ms,
    unsigned min_bits, struct am_dkim_key *out, struct am_why *why)
{
	memset(out, 0, sizeof(*out));
	if (kq->is_bad_name || kq->q == NULL) {
		am_why_set(why, "no key (malformed key name)");
		return AM_PERMFAIL;
	}
	if (!kq->is_done) {
		am_dns_wait(kq->q, deadline_ms, &kq->ans);
		kq->is_done = true;
	}
	switch (kq->ans.result) {
	case AM_DNS_OK:
		return answer_key(&kq->ans, min_bits, out, why);
	case AM_DNS_NXDOMAIN:
	case AM_DNS_NODATA:
		am_why_set(why, "no key (%s)",
		    am_dns_result_name(kq->ans.result));
		return AM_PERMFAIL;
	case AM_DNS_TEMPERROR:
		break;
	}
	am_why_set(why, "key lookup failed: %s", kq->ans.why[0] ?
	    kq->ans.why : "temporary DNS error");
	return AM_TEMPFAIL;
}

/* am_dkim_key_query_free - accepts NULL, returns NULL. */
struct am_dkim_key_query *
am_dkim_key_query_free(struct am_dkim_key_query *kq)
{
	if (kq != NULL) {
		kq->q = am_dns_query_free(kq->q);
		if (kq->is_done)
			am_dns_answer_release(&kq->ans);
		free(kq);
	}
	return NULL;
}

/* type_ok - is pk the key type alg signs with? */
static bool
type_ok(EVP_PKEY *pk, enum am_dkim_alg alg)
{
	int id = EVP_PKEY_get_id(pk);

	return alg == AM_DKIM_ALG_RSA_SHA256 ? id == EVP_PKEY_RSA :
	    id == EVP_PKEY_ED25519;
}

/* am_dkim_key_verify - see dkim_key.h. */
bool
am_dkim_key_verify(const struct am_dkim_key *k, enum am_dkim_alg alg,
    const unsigned char *hash, const unsigned char *sig, size_t siglen)
{
	bool ok = false;

	if (k->pkey == NULL || !type_ok(k->pkey, alg) || siglen == 0)
		return false;
	if (alg == AM_DKIM_ALG_RSA_SHA256) {
		EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(k->pkey, NULL);

		ok = c != NULL && EVP_PKEY_verify_init(c) == 1 &&
		    EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) == 1 &&
		    EVP_PKEY_CTX_set_signature_md(c, EVP_sha256()) == 1 &&
		    EVP_PKEY_verify(c, sig, siglen, hash, HASH_LEN) == 1;
		EVP_PKEY_CTX_free(c);
	} else {
		EVP_MD_CTX *m = EVP_MD_CTX_new();

		ok = m != NULL && EVP_DigestVerifyInit(m, NULL, NULL, NULL,
		    k->pkey) == 1 && EVP_DigestVerify(m, sig, siglen, hash,
		    HASH_LEN) == 1;
		EVP_MD_CTX_free(m);
	}
	ERR_clear_error();
	return ok;
}

/* raw_sign - the signature bytes into sig (max bytes), length in *n. */
static bool
raw_sign(EVP_PKEY *pk, enum am_dkim_alg alg, const unsigned char *hash,
    unsigned char *sig, size_t *n)
{
	bool ok;

	if (alg == AM_DKIM_ALG_RSA_SHA256) {
		EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(pk, NULL);

		ok = c != NULL && EVP_PKEY_sign_init(c) == 1 &&
		    EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) == 1 &&
		    EVP_PKEY_CTX_set_signature_md(c, EVP_sha256()) == 1 &&
		    EVP_PKEY_sign(c, sig, n, hash, HASH_LEN) == 1;
		EVP_PKEY_CTX_free(c);
	} else {
		EVP_MD_CTX *m = EVP_MD_CTX_new();

		ok = m != NULL && EVP_DigestSignInit(m, NULL, NULL, NULL,
		    pk) == 1 && EVP_DigestSign(m, sig, n, hash, HASH_LEN) == 1;
		EVP_MD_CTX_free(m);
	}
	return ok;
}

/* am_dkim_key_sign - see dkim_key.h. */
enum am_status
am_dkim_key_sign(EVP_PKEY *pk, enum am_dkim_alg alg, const unsigned char *hash,
    struct am_buf *out)
{
	unsigned char sig[AM_DKIM_SIG_MAX_BYTES];
	size_t n = sizeof(sig);
	enum am_status st = AM_PERMFAIL;

	if (pk != NULL && type_ok(pk, alg) &&
	    (size_t)EVP_PKEY_get_size(pk) <= sizeof(sig) &&
	    raw_sign(pk, alg, hash, sig, &n))
		st = am_dkim_b64_encode(sig, n, out);
	ERR_clear_error();
	OPENSSL_cleanse(sig, sizeof(sig));
	return st;
}

/* am_dkim_key_release - free the key, leave *k empty. */
void
am_dkim_key_release(struct am_dkim_key *k)
{
	EVP_PKEY_free(k->pkey);
	memset(k, 0, sizeof(*k));
}
