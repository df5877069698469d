/*
 * testarc.c - the ARC harness of testarc.h: an eml sink into a struct
 * am_msg and a body buffer, then the verifier or the sealer over them.
 */
#include "autoconf.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "core/buf.h"
#include "msg/eml.h"
#include "dkim/dkim_tags.h"
#include "testutil/testarc.h"
#include "testutil/testutil.h"

#define BODY_MAX (16 * 1024 * 1024)

static void
on_header(void *arg, const char *name, const char *value, size_t len)
{
	struct am_test_arc_msg *t = arg;

	(void)am_msg_add_header(t->m, name, value, len, 100000, 1 << 20);
}

static void
on_eoh(void *arg)
{
	(void)arg;
}

static void
on_body(void *arg, const void *p, size_t len)
{
	struct am_test_arc_msg *t = arg;

	ck_assert(am_buf_append(&t->body, p, len) == AM_OK);
}

/* am_test_arc_load - parse text into t. */
void
am_test_arc_load(struct am_test_arc_msg *t, const char *text, size_t len)
{
	struct am_eml_sink sink = { on_header, on_eoh, on_body, t };
	struct am_why why = { "" };
	FILE *fp = len ? fmemopen((void *)text, len, "r") :
	    fopen("/dev/null", "r");

	ck_assert(fp != NULL);
	t->m = am_msg_new();
	am_buf_init(&t->body, BODY_MAX);
	ck_assert_msg(am_eml_parse(fp, &sink, &why) == AM_OK, "eml: %s",
	    why.text);
	fclose(fp);
}

void
am_test_arc_release(struct am_test_arc_msg *t)
{
	t->m = am_msg_free(t->m);
	am_buf_release(&t->body);
}

/* am_test_arc_verify_opts - one verification of t. */
void
am_test_arc_verify_opts(struct am_dns *dns, const struct am_arc_verify_opts *o,
    const struct am_test_arc_msg *t, size_t chunk, struct am_arc_result *res)
{
	struct am_arc_verify *v = am_arc_verify_new(dns, o);
	size_t off, n;

	if (am_arc_verify_eoh(v, t->m))
		for (off = 0; off < t->body.len; off += n) {
			n = chunk == 0 || chunk > t->body.len - off ?
			    t->body.len - off : chunk;
			am_arc_verify_body(v, t->body.data + off, n);
		}
	am_arc_verify_eom(v, res);
	v = am_arc_verify_free(v);
}

void
am_test_arc_verify(struct am_dns *dns, const struct am_test_arc_msg *t,
    size_t chunk, struct am_arc_result *res)
{
	struct am_arc_verify_opts o = { 50, 5000, 1024 };

	am_test_arc_verify_opts(dns, &o, t, chunk, res);
}

/* put_header - "Name:value" with CRLF line breaks. */
static void
put_header(struct am_buf *b, const char *name, const char *value, size_t len,
    bool is_ours)
{
	size_t i;

	ck_assert(am_buf_printf(b, "%s:%s", name, is_ours ? " " : "") ==
	    AM_OK);
	for (i = 0; i < len; i++) {
		if (value[i] == '\n' && (i == 0 || value[i - 1] != '\r'))
			ck_assert(am_buf_putc(b, '\r') == AM_OK);
		ck_assert(am_buf_putc(b, value[i]) == AM_OK);
	}
	ck_assert(am_buf_puts(b, "\r\n") == AM_OK);
}

/* text_with - t as CRLF text, with set's headers on top when not NULL. */
static char *
text_with(const struct am_test_arc_msg *t, const struct am_arc_seal_set *set)
{
	struct am_buf b;
	size_t i;

	am_buf_init(&b, 2 * BODY_MAX);
	if (set != NULL) {
		put_header(&b, "ARC-Seal", set->as, strlen(set->as), true);
		put_header(&b, "ARC-Message-Signature", set->ams,
		    strlen(set->ams), true);
		put_header(&b, "ARC-Authentication-Results", set->aar,
		    strlen(set->aar), true);
	}
	for (i = 0; i < am_msg_header_kept(t->m); i++) {
		const struct am_header *h = am_msg_header(t->m, i);

		put_header(&b, h->name, h->value, h->value_len, false);
	}
	ck_assert(am_buf_puts(&b, "\r\n") == AM_OK);
	ck_assert(am_buf_append(&b, t->body.data ? t->body.data : "",
	    t->body.len) == AM_OK);
	return am_buf_export(&b);
}

char *
am_test_arc_text(const struct am_test_arc_msg *t)
{
	return text_with(t, NULL);
}

/* am_test_arc_seal - t sealed, as text; NULL when refused. */
char *
am_test_arc_seal(const struct am_test_arc_msg *t,
    const struct am_arc_seal_opts *opts, enum am_arc_status chain,
    const char *authres, struct am_arc_seal_set *set, struct am_why *why)
{
	struct am_arc_seal *s = am_arc_seal_new(opts);
	struct am_arc_seal_set local;
	char *text = NULL;

	if (t->body.len > 0)
		am_arc_seal_body(s, t->body.data, t->body.len);
	if (am_arc_seal_eom(s, t->m, chain, authres, &local, why) == AM_OK) {
		text = text_with(t, &local);
		if (set != NULL)
			*set = local;
		else
			am_arc_seal_set_release(&local);
	} else if (set != NULL)
		memset(set, 0, sizeof(*set));
	s = am_arc_seal_free(s);
	return text;
}

/* am_test_arc_key - a fresh RSA (bits) or Ed25519 (bits 0) key. */
void
am_test_arc_key(struct am_key *k, unsigned bits, const char *domain,
    const char *selector)
{
	memset(k, 0, sizeof(*k));
	k->pkey = bits ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits) :
	    EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	AM_TEST_NEED(k->pkey != NULL);	/* usable in main() */
	k->name = strdup(selector);
	k->domain = strdup(domain);
	k->selector = strdup(selector);
	k->alg = bits ? AM_KEY_RSA_SHA256 : AM_KEY_ED25519_SHA256;
	k->bits = bits ? bits : 256;
}

void
am_test_arc_key_release(struct am_key *k)
{
	EVP_PKEY_free(k->pkey);
	free(k->name);
	free(k->domain);
	free(k->selector);
	memset(k, 0, sizeof(*k));
}

/* am_test_arc_key_record - "v=DKIM1; k=...; p=..." of k. */
char *
am_test_arc_key_record(const struct am_key *k)
{
	unsigned char *pub;
	size_t len;
	struct am_buf b;

	AM_TEST_NEED(am_key_pubdata(k->pkey, &pub, &len) == AM_OK);
	am_buf_init(&b, 8192);
	AM_TEST_NEED(am_buf_printf(&b, "v=DKIM1; k=%s; p=", k->alg ==
	    AM_KEY_RSA_SHA256 ? "rsa" : "ed25519") == AM_OK);
	AM_TEST_NEED(am_dkim_b64_encode(pub, len, &b) == AM_OK);
	free(pub);
	return am_buf_export(&b);
}

/* am_test_arc_key_pem - the private key as PKCS#8 PEM in path. */
void
am_test_arc_key_pem(const struct am_key *k, const char *path)
{
	FILE *fp = fopen(path, "w");

	AM_TEST_NEED(fp != NULL);
	AM_TEST_NEED(PEM_write_PKCS8PrivateKey(fp, k->pkey, NULL, NULL, 0,
	    NULL, NULL) == 1);
	AM_TEST_NEED(fclose(fp) == 0);
}
