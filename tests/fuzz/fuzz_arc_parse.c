/*
 * fuzz_arc_parse.c - libFuzzer target for lib/arc and the DKIM pieces it
 * stands on (build: tests/fuzz/README).
 *
 * The input is a message: header lines ("Name: value", continuation lines
 * starting with white space), an empty line, the body. For every input:
 * (1) am_arc_parse() must give a consistent chain: NONE only without ARC
 * headers, a reason exactly when FAIL, for OK instances 1..count each with
 * its three headers, a valid ARC-Seal and the cv= rule, and max_instance
 * at most 50; (2) every ARC-Seal and ARC-Message-Signature value that
 * parses as a tag list has its views inside the value, trimmed, and the b=
 * offsets in order, and canonicalises (both algorithms, b= deleted)
 * without error under a large cap; (3) the body hashed whole and in two
 * pieces gives the same digest, for both body algorithms; (4) the message
 * is verified (local-only DNS publishing one Ed25519 key at
 * ed._domainkey.example.org and one RSA key at rsa._domainkey.example.org),
 * sealed with that Ed25519 key when the sealer accepts, and the sealed
 * message verified again: a chain that was none or pass must now pass, one
 * that failed must now fail (the new seal says cv=fail). Any violation
 * aborts, so the fuzzer reports it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "core/buf.h"
#include "core/xalloc.h"
#include "msg/msg.h"
#include "dns/dns.h"
#include "dkim/dkim_canon.h"
#include "dkim/dkim_tags.h"
#include "dkim/keys.h"
#include "arc/arc_parse.h"
#include "arc/arc_seal.h"
#include "arc/arc_verify.h"

static struct am_dns *dns;	/* local data only */
static struct am_key key;	/* the Ed25519 sealing key */

static void
check(int ok, const char *what)
{
	if (ok)
		return;
	fprintf(stderr, "fuzz_arc_parse: %s\n", what);
	abort();
}

/* publish - k's public key as selector sel of example.org. */
static void
publish(EVP_PKEY *pk, const char *sel, const char *k)
{
	struct am_buf rr;
	struct am_why why;
	unsigned char *pub;
	size_t len, i;

	check(am_key_pubdata(pk, &pub, &len) == AM_OK, "pubdata");
	am_buf_init(&rr, 8192);
	(void)am_buf_printf(&rr, "%s._domainkey.example.org. 300 IN TXT "
	    "\"v=DKIM1; k=%s; p=\" \"", sel, k);
	{
		struct am_buf b;

		am_buf_init(&b, 4096);
		check(am_dkim_b64_encode(pub, len, &b) == AM_OK, "b64");
		for (i = 0; i < b.len; i += 200)	/* 255-byte strings */
			(void)am_buf_printf(&rr, "%s%.*s", i ? "\" \"" : "",
			    (int)(b.len - i > 200 ? 200 : b.len - i),
			    b.data + i);
		am_buf_release(&b);
	}
	(void)am_buf_putc(&rr, '"');
	check(am_dns_add_local(dns, am_buf_str(&rr), &why) == AM_OK, why.text);
	am_buf_release(&rr);
	free(pub);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct am_dns_opts o = { .local_only = true };
	struct am_why why;
	EVP_PKEY *rsa;

	(void)argc, (void)argv;
	dns = am_dns_new(&o, &why);
	check(dns != NULL, why.text);
	key.pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	check(key.pkey != NULL && rsa != NULL, "keygen");
	key.name = key.selector = "ed";
	key.domain = "example.org";
	key.alg = AM_KEY_ED25519_SHA256;
	publish(key.pkey, "ed", "ed25519");
	publish(rsa, "rsa", "rsa");
	EVP_PKEY_free(rsa);
	return 0;
}

/* load - the header block of data into m; the body offset. */
static size_t
load(struct am_msg *m, const char *d, size_t n)
{
	struct am_buf name, value;
	size_t i = 0, e;

	am_buf_init(&name, 256);
	am_buf_init(&value, 1 << 16);
	while (i < n) {
		for (e = i; e < n && d[e] != '\n'; e++)
			;
		if (e == i || (e == i + 1 && d[i] == '\r')) {
			i = e + 1;	/* the empty line */
			break;
		}
		if ((d[i] == ' ' || d[i] == '\t') && name.len > 0) {
			(void)am_buf_putc(&value, '\n');
			(void)am_buf_append(&value, d + i, e - i);
		} else {
			const char *c = memchr(d + i, ':', e - i);

			if (name.len > 0)
				(void)am_msg_add_header(m, am_buf_str(&name),
				    am_buf_str(&value), value.len, 1000, 65536);
			am_buf_reset(&name);
			am_buf_reset(&value);
			if (c != NULL) {
				(void)am_buf_append(&name, d + i,
				    (size_t)(c - d - i));
				(void)am_buf_append(&value, c + 1,
				    (size_t)(d + e - c - 1));
			}
		}
		i = e + 1;
	}
	if (name.len > 0)
		(void)am_msg_add_header(m, am_buf_str(&name),
		    am_buf_str(&value), value.len, 1000, 65536);
	am_buf_release(&name);
	am_buf_release(&value);
	return i > n ? n : i;
}

/* is_arc - one of the three ARC header names. */
static int
is_arc(const char *n)
{
	return strcasecmp(n, "ARC-Seal") == 0 ||
	    strcasecmp(n, "ARC-Message-Signature") == 0 ||
	    strcasecmp(n, "ARC-Authentication-Results") == 0;
}

/* check_chain - (1) the parse result is consistent. */
static void
check_chain(const struct am_msg *m)
{
	struct am_arc_chain *c = am_arc_parse(m, 50);
	size_t i, narc = 0;
	unsigned k;

	for (i = 0; i < am_msg_header_kept(m); i++)
		narc += is_arc(am_msg_header(m, i)->name);
	check((c->status == AM_ARC_CHAIN_NONE) == (narc == 0), "none");
	check((c->reason[0] != '\0') == (c->status == AM_ARC_CHAIN_FAIL),
	    "reason");
	check(c->max_instance <= AM_ARC_MAX_SETS, "max_instance");
	if (c->status == AM_ARC_CHAIN_OK) {
		check(c->count == c->max_instance && c->count >= 1, "count");
		check(!c->is_newest_cv_fail, "cv fail in an OK chain");
		for (k = 0; k < c->count; k++) {
			const struct am_arc_set *s = &c->set[k];

			check(s->has_aar && s->ams.is_present &&
			    s->as.is_present && s->as.is_valid, "set");
			check(s->as.cv == (k == 0 ? AM_ARC_CV_NONE :
			    AM_ARC_CV_PASS), "cv rule");
			check(s->aar_idx < am_msg_header_kept(m) &&
			    s->ams.idx < am_msg_header_kept(m) &&
			    s->as.idx < am_msg_header_kept(m), "index");
		}
	} else
		check(c->count == 0, "count of a non-chain");
	am_arc_chain_free(c);
}

/* inside - view v lies in [p, p + n) and has no FWS at either end. */
static int
inside(struct am_str v, const char *p, size_t n)
{
	if (v.len == 0)
		return v.p >= p && v.p <= p + n;
	return v.p >= p && v.p + v.len <= p + n &&
	    !strchr(" \t\r\n", v.p[0]) && !strchr(" \t\r\n", v.p[v.len - 1]);
}

/* check_tags - (2) tag lists and canonical forms of the ARC signatures. */
static void
check_tags(const struct am_header *h)
{
	struct am_dkim_tags t;
	struct am_buf b;
	size_t i;

	if (strcasecmp(h->name, "ARC-Seal") != 0 &&
	    strcasecmp(h->name, "ARC-Message-Signature") != 0)
		return;
	if (am_dkim_tags_parse(h->value, h->value_len, &t, NULL) != AM_OK)
		return;
	check(t.count >= 1 && t.count <= AM_DKIM_TAGS_MAX, "tag count");
	for (i = 0; i < t.count; i++) {
		const struct am_dkim_tag *g = &t.tag[i];

		check(inside(g->name, h->value, h->value_len) &&
		    g->name.len > 0, "name view");
		check(inside(g->value, h->value, h->value_len), "value view");
		check(g->value_off <= g->end_off &&
		    g->end_off <= h->value_len, "offsets");
		check(g->value.len == 0 || (g->value.p >= h->value +
		    g->value_off && g->value.p + g->value.len <= h->value +
		    g->end_off), "value within offsets");
	}
	am_buf_init(&b, 4 << 20);
	check(am_dkim_canon_header(AM_DKIM_CANON_RELAXED, h->name, h->value,
	    h->value_len, am_dkim_tags_find(&t, "b"), true, &b) == AM_OK,
	    "relaxed");
	am_buf_reset(&b);
	check(am_dkim_canon_header(AM_DKIM_CANON_SIMPLE, h->name, h->value,
	    h->value_len, am_dkim_tags_find(&t, "b"), true, &b) == AM_OK,
	    "simple");
	am_buf_release(&b);
}

/* check_body - (3) one piece or two: the same digest. */
static void
check_body(const char *p, size_t n, size_t cut)
{
	enum am_dkim_canon c;

	for (c = AM_DKIM_CANON_SIMPLE; c <= AM_DKIM_CANON_RELAXED; c++) {
		struct am_dkim_body *a = am_dkim_body_new(c, -1);
		struct am_dkim_body *b = am_dkim_body_new(c, -1);
		unsigned char da[AM_DKIM_SHA256_LEN], db[AM_DKIM_SHA256_LEN];

		am_dkim_body_update(a, p, n);
		am_dkim_body_update(b, p, cut);
		am_dkim_body_update(b, p + cut, n - cut);
		am_dkim_body_final(a, da);
		am_dkim_body_final(b, db);
		check(memcmp(da, db, sizeof(da)) == 0 &&
		    am_dkim_body_length(a) == am_dkim_body_length(b), "body");
		am_dkim_body_free(a);
		am_dkim_body_free(b);
	}
}

/* verify - the chain status of m with body. */
static enum am_arc_status
verify(const struct am_msg *m, const char *body, size_t n)
{
	struct am_arc_verify_opts o = { 50, 2000, 1024 };
	struct am_arc_verify *v = am_arc_verify_new(dns, &o);
	struct am_arc_result r;
	enum am_arc_status st;

	if (am_arc_verify_eoh(v, m))
		am_arc_verify_body(v, body, n);
	am_arc_verify_eom(v, &r);
	st = r.status;
	check((r.status == AM_ARC_PASS) == (r.reason[0] == '\0' &&
	    r.count > 0), "pass without reason");
	check(r.status != AM_ARC_PASS || r.oldest_pass <= r.count, "oldest");
	am_arc_result_release(&r);
	am_arc_verify_free(v);
	return st;
}

/* check_seal - (4) seal, verify again. */
static void
check_seal(const struct am_msg *m, const char *body, size_t n)
{
	enum am_arc_status st = verify(m, body, n), again;
	struct am_arc_seal_opts o = { &key, NULL, NULL, NULL, 1, 50 };
	struct am_arc_seal *s = am_arc_seal_new(&o);
	struct am_arc_seal_set set;
	struct am_msg *m2;
	size_t i;

	am_arc_seal_body(s, body, n);
	if (am_arc_seal_eom(s, m, st, "mx.example.org; spf=pass", &set,
	    NULL) != AM_OK) {
		am_arc_seal_free(s);
		return;
	}
	m2 = am_msg_new();
	(void)am_msg_add_header(m2, "ARC-Seal", set.as, strlen(set.as), 1000,
	    65536);
	(void)am_msg_add_header(m2, "ARC-Message-Signature", set.ams,
	    strlen(set.ams), 1000, 65536);
	(void)am_msg_add_header(m2, "ARC-Authentication-Results", set.aar,
	    strlen(set.aar), 1000, 65536);
	for (i = 0; i < am_msg_header_kept(m); i++) {
		const struct am_header *h = am_msg_header(m, i);

		(void)am_msg_add_header(m2, h->name, h->value, h->value_len,
		    1000, 65536);
	}
	again = verify(m2, body, n);
	if (st == AM_ARC_FAIL)
		check(again == AM_ARC_FAIL, "sealed a failed chain, got pass");
	else
		check(again == AM_ARC_PASS, "sealed chain does not pass");
	am_arc_seal_set_release(&set);
	am_arc_seal_free(s);
	am_msg_free(m2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *d = (const char *)data;
	struct am_msg *m = am_msg_new();
	size_t body = load(m, d, size), i;

	check_chain(m);
	for (i = 0; i < am_msg_header_kept(m); i++)
		check_tags(am_msg_header(m, i));
	check_body(d + body, size - body, size > body ? (size - body) / 3 :
	    0);
	if (am_msg_header_kept(m) == am_msg_header_total(m))
		check_seal(m, d + body, size - body);
	am_msg_free(m);
	return 0;
}
