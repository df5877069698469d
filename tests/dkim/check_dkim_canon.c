/*
 * check_dkim_canon.c - lib/dkim/dkim_canon.c: RFC 6376 header and body
 * canonicalisation (the §3.4.6 example, both algorithms), the b= deletion
 * of §3.7, c= values, h= lists, bottom-up header selection (§5.4.2), the
 * header hash of a signature (am_dkim_hash_signed), and the streaming body
 * hash: every chunking gives the same digest, l= cuts
 * the hashed bytes, long bodies equal a reference canonicalisation written
 * here, and the RFC 8463 A.3 body hash is reproduced.
 */
#include "autoconf.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <openssl/evp.h>

#include "core/buf.h"
#include "core/xalloc.h"
#include "msg/msg.h"
#include "dkim/dkim_canon.h"
#include "dkim/dkim_tags.h"
#include "testutil/testutil.h"

static const struct {
	enum am_dkim_canon c;
	const char *name, *value;	/* as libmilter gives them */
	bool is_last;
	const char *want;
} hdr_cases[] = {
	/* RFC 6376 §3.4.6 */
	{ AM_DKIM_CANON_RELAXED, "A", " X", false, "a:X\r\n" },
	{ AM_DKIM_CANON_RELAXED, "B ", " Y\t\n\tZ  ", false, "b:Y Z\r\n" },
	{ AM_DKIM_CANON_SIMPLE, "A", " X", false, "A: X\r\n" },
	{ AM_DKIM_CANON_SIMPLE, "B ", " Y\t\n\tZ  ", false,
	    "B : Y\t\r\n\tZ  \r\n" },
	/* CRLF folds are kept as they are in simple, unfolded in relaxed */
	{ AM_DKIM_CANON_SIMPLE, "S", " a\r\n b", true, "S: a\r\n b" },
	{ AM_DKIM_CANON_RELAXED, "S", " a\r\n b", true, "s:a b" },
	{ AM_DKIM_CANON_RELAXED, "Subject", "", false, "subject:\r\n" },
	{ AM_DKIM_CANON_RELAXED, "X", " \t \n\t ", false, "x:\r\n" },
	{ AM_DKIM_CANON_RELAXED, "X", "a\rb", false, "x:a\rb\r\n" },
	{ AM_DKIM_CANON_SIMPLE, "X", "\na", false, "X:\r\na\r\n" },
};

START_TEST(test_header)
{
	struct am_buf b;

	am_buf_init(&b, 1024);
	ck_assert(am_dkim_canon_header(hdr_cases[_i].c, hdr_cases[_i].name,
	    hdr_cases[_i].value, strlen(hdr_cases[_i].value), NULL,
	    hdr_cases[_i].is_last, &b) == AM_OK);
	ck_assert_msg(strcmp(am_buf_str(&b), hdr_cases[_i].want) == 0,
	    "case %d: got \"%s\", want \"%s\"", _i, am_buf_str(&b),
	    hdr_cases[_i].want);
	am_buf_release(&b);
}
END_TEST

/* §3.7: the b= value and the FWS around it go, "bh=" stays. */
START_TEST(test_sig_header)
{
	static const char v[] = " a=rsa-sha256; bh=QUJD;\n\tb=ZGVm\n\t Z2hp ;"
	    " d=x.example";
	struct am_dkim_tags t;
	const struct am_dkim_tag *bt;
	struct am_buf b;

	am_buf_init(&b, 1024);
	ck_assert(am_dkim_tags_parse(v, strlen(v), &t, NULL) == AM_OK);
	bt = am_dkim_tags_find(&t, "b");
	ck_assert(am_dkim_canon_header(AM_DKIM_CANON_SIMPLE, "DKIM-Signature",
	    v, strlen(v), bt, true, &b) == AM_OK);
	ck_assert_str_eq(am_buf_str(&b), "DKIM-Signature: a=rsa-sha256; "
	    "bh=QUJD;\r\n\tb=; d=x.example");
	am_buf_reset(&b);
	ck_assert(am_dkim_canon_header(AM_DKIM_CANON_RELAXED,
	    "DKIM-Signature", v, strlen(v), bt, true, &b) == AM_OK);
	ck_assert_str_eq(am_buf_str(&b), "dkim-signature:a=rsa-sha256; "
	    "bh=QUJD; b=; d=x.example");
	/* at the cap: an error, and the buffer as it was */
	am_buf_release(&b);
	am_buf_init(&b, 10);
	ck_assert(am_buf_puts(&b, "keep") == AM_OK);
	ck_assert(am_dkim_canon_header(AM_DKIM_CANON_RELAXED, "Subject",
	    " long enough", 12, NULL, false, &b) == AM_PERMFAIL);
	ck_assert_str_eq(am_buf_str(&b), "keep");
	am_buf_release(&b);
}
END_TEST

START_TEST(test_canon_parse)
{
	static const struct {
		const char *c;
		int h, b;	/* -1: error */
	} cases[] = {
		{ "relaxed/relaxed", AM_DKIM_CANON_RELAXED,
		    AM_DKIM_CANON_RELAXED },
		{ "simple/relaxed", AM_DKIM_CANON_SIMPLE,
		    AM_DKIM_CANON_RELAXED },
		{ "relaxed", AM_DKIM_CANON_RELAXED, AM_DKIM_CANON_SIMPLE },
		{ "Simple", AM_DKIM_CANON_SIMPLE, AM_DKIM_CANON_SIMPLE },
		{ "", -1, -1 }, { "relaxed/", -1, -1 }, { "/simple", -1, -1 },
		{ "pancake/waffle", -1, -1 }, { "relaxed/relaxed/x", -1, -1 },
	};
	enum am_dkim_canon h, b;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct am_str v = { cases[i].c, strlen(cases[i].c) };
		enum am_status st = am_dkim_canon_parse(v, &h, &b);

		if (cases[i].h < 0) {
			ck_assert_msg(st == AM_PERMFAIL, "\"%s\"", cases[i].c);
			continue;
		}
		ck_assert_msg(st == AM_OK && (int)h == cases[i].h &&
		    (int)b == cases[i].b, "\"%s\"", cases[i].c);
	}
}
END_TEST

START_TEST(test_hlist)
{
	static const struct {
		const char *h;
		int n;		/* -1: error */
		const char *last;
	} cases[] = {
		{ "from:to:subject", 3, "subject" },
		{ " From : To\r\n\t: Date ", 3, "Date" },
		{ "", 0, NULL }, { " \t", 0, NULL },
		{ "from", 1, "from" },
		{ "from::to", 3, "to" },	/* an empty name: no field */
		{ "from:", 2, "" },
		{ "fr om:to", -1, NULL }, { "fr\x7fom:to", -1, NULL },
	};
	struct am_str names[4];
	size_t i, n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct am_str v = { cases[i].h, strlen(cases[i].h) };
		enum am_status st = am_dkim_hlist_parse(v, names, 4, &n, NULL);

		if (cases[i].n < 0) {
			ck_assert_msg(st == AM_PERMFAIL, "\"%s\"", cases[i].h);
			continue;
		}
		ck_assert_msg(st == AM_OK && n == (size_t)cases[i].n,
		    "\"%s\": %zu names", cases[i].h, n);
		if (n > 0)
			ck_assert(am_dkim_str_eq(names[n - 1], cases[i].last));
	}
	{
		struct am_str v = { "a:b:c:d:e", 9 };

		ck_assert(am_dkim_hlist_parse(v, names, 4, &n, NULL) ==
		    AM_PERMFAIL);
	}
}
END_TEST

/* §5.4.2: the k-th use of a name takes the k-th instance from the bottom. */
START_TEST(test_select)
{
	struct am_msg *m = am_msg_new();
	struct am_str names[5] = { { "received", 8 }, { "From", 4 },
	    { "RECEIVED", 8 }, { "received", 8 }, { "x-none", 6 } };
	size_t idx[5];

	(void)am_msg_add_header(m, "Received", " r0", 3, 100, 1000);
	(void)am_msg_add_header(m, "From", " f", 2, 100, 1000);
	(void)am_msg_add_header(m, "Received", " r2", 3, 100, 1000);
	am_dkim_select(m, names, 5, false, idx);
	ck_assert_uint_eq(idx[0], 2);
	ck_assert_uint_eq(idx[1], 1);
	ck_assert_uint_eq(idx[2], 0);
	ck_assert(idx[3] == AM_DKIM_NO_HEADER);	/* signed once more */
	ck_assert(idx[4] == AM_DKIM_NO_HEADER);
	(void)am_msg_add_header(m, "Received", " r3", 3, 100, 1000);
	am_msg_mark_deleted(m);
	am_dkim_select(m, names, 1, true, idx);
	ck_assert_uint_eq(idx[0], 2);	/* the deleted r3 does not count */
	am_dkim_select(m, names, 1, false, idx);
	ck_assert_uint_eq(idx[0], 3);
	am_msg_free(m);
}
END_TEST

/* sha256 - digest of the expected canonical text. */
static void
sha256(const char *p, size_t len, unsigned char out[AM_DKIM_SHA256_LEN])
{
	unsigned int n;

	ck_assert(EVP_Digest(p, len, out, &n, EVP_sha256(), NULL) == 1);
}

/* §3.7: the fields h= picks, bottom-up, then the signature without its
 * b= value and final CRLF; simple keeps the names and spacing. */
START_TEST(test_hash_signed)
{
	static const char sig[] = " v=1; d=x;\n\tb=AB\n\t CD; s=y";
	static const char relaxed[] = "from:c\r\nto:b x\r\nfrom:a\r\n"
	    "dkim-signature:v=1; d=x; b=; s=y";
	static const char simple[] = "From: c\r\nTo: b  x\r\nFrom: a\r\n"
	    "DKIM-Signature: v=1; d=x;\r\n\tb=; s=y";
	struct am_str names[4] = { { "from", 4 }, { "TO", 2 }, { "from", 4 },
	    { "from", 4 } };
	struct am_msg *m = am_msg_new();
	struct am_dkim_tags t;
	struct am_buf scratch;
	unsigned char got[AM_DKIM_SHA256_LEN], want[AM_DKIM_SHA256_LEN];

	(void)am_msg_add_header(m, "From", " a", 2, 100, 1000);
	(void)am_msg_add_header(m, "To", " b  x", 5, 100, 1000);
	(void)am_msg_add_header(m, "From", " c", 2, 100, 1000);
	ck_assert(am_dkim_tags_parse(sig, strlen(sig), &t, NULL) == AM_OK);
	am_buf_init(&scratch, 4096);
	ck_assert(am_dkim_hash_signed(m, names, 4, false,
	    AM_DKIM_CANON_RELAXED, "DKIM-Signature", sig, strlen(sig),
	    am_dkim_tags_find(&t, "b"), &scratch, got) == AM_OK);
	sha256(relaxed, strlen(relaxed), want);
	ck_assert(memcmp(got, want, sizeof(got)) == 0);
	ck_assert(am_dkim_hash_signed(m, names, 4, false,
	    AM_DKIM_CANON_SIMPLE, "DKIM-Signature", sig, strlen(sig),
	    am_dkim_tags_find(&t, "b"), &scratch, got) == AM_OK);
	sha256(simple, strlen(simple), want);
	ck_assert(memcmp(got, want, sizeof(got)) == 0);
	/* a deleted field does not count for a signer's view */
	(void)am_msg_add_header(m, "From", " d", 2, 100, 1000);
	am_msg_mark_deleted(m);
	ck_assert(am_dkim_hash_signed(m, names, 4, true,
	    AM_DKIM_CANON_RELAXED, "DKIM-Signature", sig, strlen(sig),
	    am_dkim_tags_find(&t, "b"), &scratch, got) == AM_OK);
	sha256(relaxed, strlen(relaxed), want);
	ck_assert(memcmp(got, want, sizeof(got)) == 0);
	/* a field over the scratch cap */
	am_buf_release(&scratch);
	am_buf_init(&scratch, 8);
	ck_assert(am_dkim_hash_signed(m, names, 4, true,
	    AM_DKIM_CANON_RELAXED, "DKIM-Signature", sig, strlen(sig),
	    am_dkim_tags_find(&t, "b"), &scratch, got) == AM_PERMFAIL);
	am_buf_release(&scratch);
	am_msg_free(m);
}
END_TEST

static const struct {
	enum am_dkim_canon c;
	const char *body, *want;
	int64_t limit;
} body_cases[] = {
	/* RFC 6376 §3.4.6 */
	{ AM_DKIM_CANON_RELAXED, " C \r\nD \t E\r\n\r\n\r\n", " C\r\nD E\r\n",
	    -1 },
	{ AM_DKIM_CANON_SIMPLE, " C \r\nD \t E\r\n\r\n\r\n",
	    " C \r\nD \t E\r\n", -1 },
	/* empty bodies, §3.4.3 and §3.4.4 */
	{ AM_DKIM_CANON_SIMPLE, "", "\r\n", -1 },
	{ AM_DKIM_CANON_RELAXED, "", "", -1 },
	{ AM_DKIM_CANON_SIMPLE, "\r\n\r\n", "\r\n", -1 },
	{ AM_DKIM_CANON_RELAXED, " \r\n\t\r\n", "", -1 },
	/* no final CRLF: one is added */
	{ AM_DKIM_CANON_SIMPLE, "abc", "abc\r\n", -1 },
	{ AM_DKIM_CANON_RELAXED, "abc  ", "abc\r\n", -1 },
	/* leading empty lines and whitespace-only lines stay lines */
	{ AM_DKIM_CANON_RELAXED, "\r\n  \r\nx\r\n", "\r\n\r\nx\r\n", -1 },
	{ AM_DKIM_CANON_SIMPLE, "\r\n  \r\nx\r\n", "\r\n  \r\nx\r\n", -1 },
	/* bare LF ends a line, a lone CR is data */
	{ AM_DKIM_CANON_SIMPLE, "a\nb\rc\r\n", "a\r\nb\rc\r\n", -1 },
	{ AM_DKIM_CANON_RELAXED, "a \r\r\n", "a \r\r\n", -1 },
	{ AM_DKIM_CANON_SIMPLE, "a\r", "a\r\r\n", -1 },
	/* l=: only the first bytes of the canonical body */
	{ AM_DKIM_CANON_RELAXED, "hello  world\r\nmore\r\n", "hello world",
	    11 },
	{ AM_DKIM_CANON_SIMPLE, "hi\r\n", "", 0 },
	{ AM_DKIM_CANON_SIMPLE, "hi\r\n", "hi\r\n", 100 },
};

/* body_digest - the hasher fed in pieces of chunk bytes. */
static void
body_digest(int i, size_t chunk, unsigned char out[AM_DKIM_SHA256_LEN],
    uint64_t *len)
{
	struct am_dkim_body *b = am_dkim_body_new(body_cases[i].c,
	    body_cases[i].limit);
	const char *p = body_cases[i].body;
	size_t n = strlen(p), off, k;
	unsigned char again[AM_DKIM_SHA256_LEN];

	for (off = 0; off < n; off += k) {
		k = n - off < chunk ? n - off : chunk;
		am_dkim_body_update(b, p + off, k);
	}
	am_dkim_body_final(b, out);
	am_dkim_body_final(b, again);
	ck_assert(memcmp(out, again, AM_DKIM_SHA256_LEN) == 0);
	*len = am_dkim_body_length(b);
	am_dkim_body_free(b);
}

START_TEST(test_body)
{
	unsigned char want[AM_DKIM_SHA256_LEN], got[AM_DKIM_SHA256_LEN];
	const char *w = body_cases[_i].want;
	size_t chunk;
	uint64_t len;

	sha256(w, strlen(w), want);
	for (chunk = 1; chunk <= strlen(body_cases[_i].body) + 1; chunk++) {
		body_digest(_i, chunk, got, &len);
		ck_assert_msg(memcmp(got, want, sizeof(want)) == 0,
		    "case %d, chunks of %zu: digest differs", _i, chunk);
		if (body_cases[_i].limit < 0)
			ck_assert_uint_eq(len, strlen(w));
		else
			ck_assert_uint_ge(len, strlen(w));
	}
}
END_TEST

/* ref_canon - an obviously-correct RFC 6376 §3.4.3/§3.4.4 body
 * canonicalisation of the whole body at once, for the differential test:
 * lines end at CRLF or a bare LF (a lone CR is data); relaxed collapses WSP
 * runs and drops WSP at line ends; trailing empty lines go; the result is
 * cut to limit bytes when limit >= 0. Returns the length written to out
 * (out holds at least 2 * n + 2 bytes). */
static size_t
ref_canon(enum am_dkim_canon c, const char *s, size_t n, int64_t limit,
    char *out)
{
	size_t o = 0, keep = 0, i = 0;
	bool relaxed = c == AM_DKIM_CANON_RELAXED;

	while (i < n) {	/* one line per turn */
		size_t start = o;
		bool wsp = false;

		for (; i < n; i++) {
			if (s[i] == '\n' || (s[i] == '\r' && i + 1 < n &&
			    s[i + 1] == '\n'))
				break;
			if (relaxed && (s[i] == ' ' || s[i] == '\t')) {
				wsp = true;
				continue;
			}
			if (wsp)
				out[o++] = ' ';	/* a WSP run: one SP */
			wsp = false;
			out[o++] = s[i];
		}
		i += (i < n && s[i] == '\r') ? 2 : (i < n ? 1 : 0);
		out[o++] = '\r';
		out[o++] = '\n';
		if (o - start > 2)
			keep = o;	/* the end of the last non-empty line */
	}
	o = keep;
	if (o == 0 && !relaxed) {
		out[o++] = '\r';
		out[o++] = '\n';
	}
	if (limit >= 0 && (uint64_t)limit < o)
		o = (size_t)limit;
	return o;
}

/* Long runs of plain bytes across the 4 KB stage, WSP runs, CR, bare LF
 * and trailing blank lines, fed whole, by the byte and in uneven chunks,
 * with and without l= cutting inside a run: the streaming hasher equals the
 * reference canonicalisation of the whole body. */
START_TEST(test_body_differential)
{
	static const char alphabet[] = "aaaaaaaaaaaaaaaaaaaaaaaaa  \t\r\n\n";
	enum am_dkim_canon c = (_i & 1) ? AM_DKIM_CANON_SIMPLE :
	    AM_DKIM_CANON_RELAXED;
	size_t n = 20000, i, off, k, chunk, rl, reflen;
	uint32_t seed = 2463534242u + (uint32_t)_i;
	char *body = am_xmalloc(n), *ref = am_xmalloc(2 * n + 2);
	int64_t limit = (_i & 2) ? 9001 : -1;
	unsigned char want[AM_DKIM_SHA256_LEN], got[AM_DKIM_SHA256_LEN];

	for (i = 0; i < n; ) {	/* runs of one kind of byte */
		seed ^= seed << 13, seed ^= seed >> 17, seed ^= seed << 5;
		rl = (seed % 7 == 0) ? 5000 + seed % 4000 : 1 + seed % 12;
		for (k = 0; k < rl && i < n; k++, i++)
			body[i] = (seed % 7 == 0) ? (char)('A' + k % 26) :
			    alphabet[(seed >> 8) % (sizeof(alphabet) - 1)];
	}
	memcpy(body + n - 6, " \r\n\r\n\n", 6);
	reflen = ref_canon(c, body, n, limit, ref);
	sha256(ref, reflen, want);
	for (chunk = 1; chunk <= n; chunk = chunk * 7 + 3) {
		struct am_dkim_body *b = am_dkim_body_new(c, limit);

		for (off = 0; off < n; off += k) {
			k = n - off < chunk ? n - off : chunk;
			am_dkim_body_update(b, body + off, k);
		}
		am_dkim_body_final(b, got);
		ck_assert_msg(memcmp(got, want, sizeof(want)) == 0,
		    "case %d, chunks of %zu: digest differs", _i, chunk);
		if (limit < 0)
			ck_assert_uint_eq(am_dkim_body_length(b), reflen);
		am_dkim_body_free(b);
	}
	free(body);
	free(ref);
}
END_TEST

/* RFC 8463 A.3: bh= of the signed example (relaxed body). */
START_TEST(test_rfc8463_bh)
{
	static const char body[] = "Hi.\r\n\r\nWe lost the game.  "
	    "Are you hungry yet?\r\n\r\nJoe.\r\n";
	static const char bh[] = "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=";
	struct am_dkim_body *b = am_dkim_body_new(AM_DKIM_CANON_RELAXED, -1);
	unsigned char got[AM_DKIM_SHA256_LEN], want[AM_DKIM_SHA256_LEN + 3];
	struct am_str v = { bh, strlen(bh) };
	size_t n;

	am_dkim_body_update(b, body, strlen(body));
	am_dkim_body_final(b, got);
	ck_assert(am_dkim_b64_decode(v, want, sizeof(want), &n, NULL) ==
	    AM_OK && n == AM_DKIM_SHA256_LEN);
	ck_assert(memcmp(got, want, n) == 0);
	am_dkim_body_free(b);
}
END_TEST

START_TEST(test_update_after_final)
{
	struct am_dkim_body *b = am_dkim_body_new(AM_DKIM_CANON_SIMPLE, -1);
	unsigned char d[AM_DKIM_SHA256_LEN];

	am_dkim_body_final(b, d);
	am_dkim_body_update(b, "x", 1);	/* interface violation: abort */
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("dkim_canon");
	TCase *tc = tcase_create("canon");

	tcase_add_loop_test(tc, test_header, 0,
	    sizeof(hdr_cases) / sizeof(hdr_cases[0]));
	tcase_add_test(tc, test_sig_header);
	tcase_add_test(tc, test_canon_parse);
	tcase_add_test(tc, test_hlist);
	tcase_add_test(tc, test_select);
	tcase_add_test(tc, test_hash_signed);
	tcase_add_loop_test(tc, test_body, 0,
	    sizeof(body_cases) / sizeof(body_cases[0]));
	tcase_add_loop_test(tc, test_body_differential, 0, 4);
	tcase_add_test(tc, test_rfc8463_bh);
	if (am_test_can_fork())
		tcase_add_test_raise_signal(tc, test_update_after_final,
		    SIGABRT);
	suite_add_tcase(s, tc);
	return am_test_run(s);
}
