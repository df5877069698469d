/*
 * check_dkim_tags.c - lib/dkim/dkim_tags.c: the RFC 6376 §3.2 tag=value
 * list (grammar, FWS, duplicates, case-sensitive names, the b= offsets of
 * §3.7) and its base64 (§2.4: FWS ignored, strict padding, caps).
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "core/buf.h"
#include "dkim/dkim_tags.h"
#include "testutil/testutil.h"

static const struct {
	const char *in;		/* tag list */
	size_t count;		/* tags, 0 = error */
	const char *name;	/* a tag to look up */
	const char *value;	/* its value */
	const char *why;	/* reason of an error (substring) */
} parse_cases[] = {
	{ "a=1", 1, "a", "1", NULL },
	{ "a=1;", 1, "a", "1", NULL },
	{ "a=1; ", 1, "a", "1", NULL },
	{ " a = 1 ; b = two words ; ", 2, "b", "two words", NULL },
	{ "a=1;\n\tb=x\n\t y", 2, "b", "x\n\t y", NULL },
	{ "a=1;\r\n b=\r\n  z\r\n", 2, "b", "z", NULL },
	{ "a=;b=2", 2, "a", "", NULL },
	{ "v=1; a_b9=x", 2, "a_b9", "x", NULL },
	{ "a=1;b=2;c=3", 3, "c", "3", NULL },
	{ "a=x=y", 1, "a", "x=y", NULL },
	{ "I=1; i=2", 2, "I", "1", NULL },	/* names are case-sensitive */
	{ "", 0, NULL, NULL, "empty tag list" },
	{ " \r\n\t", 0, NULL, NULL, "empty tag list" },
	{ ";", 0, NULL, NULL, "empty tag-spec" },
	{ "a=1;;b=2", 0, NULL, NULL, "empty tag-spec" },
	{ "a=1; ; b=2", 0, NULL, NULL, "empty tag-spec" },
	{ "_=1", 0, NULL, NULL, "invalid tag name" },
	{ "1a=1", 0, NULL, NULL, "invalid tag name" },
	{ "a b=1", 0, NULL, NULL, "without '='" },
	{ "a", 0, NULL, NULL, "without '='" },
	{ "a=1; b", 0, NULL, NULL, "without '='" },
	{ "a=1; a=2", 0, NULL, NULL, "duplicate tag" },
	{ "a=\x01", 0, NULL, NULL, "invalid byte 0x01" },
	{ "a=caf\xc3\xa9", 0, NULL, NULL, "invalid byte 0xc3" },
	{ "a-b=1", 0, NULL, NULL, "without '='" },
};

START_TEST(test_parse)
{
	struct am_dkim_tags t;
	struct am_why why = { "" };
	const char *in = parse_cases[_i].in;
	enum am_status st = am_dkim_tags_parse(in, strlen(in), &t, &why);

	if (parse_cases[_i].count == 0) {
		ck_assert_msg(st == AM_PERMFAIL && t.count == 0,
		    "\"%s\": got ok, want error", in);
		ck_assert_msg(strstr(why.text, parse_cases[_i].why) != NULL,
		    "\"%s\": got \"%s\", want \"%s\"", in, why.text,
		    parse_cases[_i].why);
	} else {
		const struct am_dkim_tag *tag;

		ck_assert_msg(st == AM_OK, "\"%s\": %s", in, why.text);
		ck_assert_uint_eq(t.count, parse_cases[_i].count);
		tag = am_dkim_tags_find(&t, parse_cases[_i].name);
		ck_assert(tag != NULL);
		ck_assert_msg(am_dkim_str_eq(tag->value,
		    parse_cases[_i].value), "\"%s\": got \"%.*s\", want "
		    "\"%s\"", in, (int)tag->value.len, tag->value.p,
		    parse_cases[_i].value);
	}
}
END_TEST

/* The raw span of a value: from after '=' to the ';' (RFC 6376 §3.7). */
START_TEST(test_offsets)
{
	static const char in[] = "a=1; b= AB\n\t CD ; bh=x;z=9";
	struct am_dkim_tags t;
	const struct am_dkim_tag *b, *z;

	ck_assert(am_dkim_tags_parse(in, strlen(in), &t, NULL) == AM_OK);
	b = am_dkim_tags_find(&t, "b");
	ck_assert(b != NULL && am_dkim_tags_find(&t, "bh") != NULL);
	ck_assert_uint_eq(b->value_off, 7);
	ck_assert(in[b->end_off] == ';');
	ck_assert(am_dkim_str_eq(b->value, "AB\n\t CD"));
	z = am_dkim_tags_find(&t, "z");
	ck_assert_uint_eq(z->end_off, strlen(in));
	ck_assert(am_dkim_tags_find(&t, "B") == NULL);
	ck_assert(am_dkim_tags_find(&t, "") == NULL);
}
END_TEST

START_TEST(test_too_many)
{
	struct am_buf b;
	struct am_dkim_tags t;
	struct am_why why;
	int i;

	am_buf_init(&b, 4096);
	for (i = 0; i < AM_DKIM_TAGS_MAX; i++)
		ck_assert(am_buf_printf(&b, "t%d=%d;", i, i) == AM_OK);
	ck_assert(am_dkim_tags_parse(b.data, b.len, &t, &why) == AM_OK);
	ck_assert_uint_eq(t.count, AM_DKIM_TAGS_MAX);
	ck_assert(am_buf_puts(&b, "x=1") == AM_OK);
	ck_assert(am_dkim_tags_parse(b.data, b.len, &t, &why) ==
	    AM_PERMFAIL);
	ck_assert(strstr(why.text, "more than") != NULL);
	am_buf_release(&b);
}
END_TEST

static const struct {
	const char *in;		/* base64 with FWS */
	const char *out;	/* decoded, NULL = error */
	size_t max;		/* output room */
} b64_cases[] = {
	{ "", "", 8 },
	{ "TWFu", "Man", 8 },
	{ "TWE=", "Ma", 8 },
	{ "TQ==", "M", 8 },
	{ "TW\r\n\tFu IE1h", "Man Ma", 8 },
	{ "TQ = =", "M", 8 },
	{ "TQ", NULL, 8 },		/* padding is not optional */
	{ "TWE", NULL, 8 },
	{ "T", NULL, 8 },		/* 6 bits: no byte */
	{ "TQ=", NULL, 8 },		/* half the padding */
	{ "TQ===", NULL, 8 },
	{ "TWFu=", NULL, 8 },
	{ "T=Q=", NULL, 8 },		/* data after padding */
	{ "TW-u", NULL, 8 },		/* base64url is not base64 */
	{ "TW\x01u", NULL, 8 },
	{ "TWFuTWFu", NULL, 5 },	/* output over max */
	{ "TWFuTQ==", NULL, 3 },
	{ "TWFuTQ==", "ManM", 4 },
};

START_TEST(test_b64_decode)
{
	unsigned char out[16];
	struct am_str in = { b64_cases[_i].in, strlen(b64_cases[_i].in) };
	size_t n = 99;
	enum am_status st = am_dkim_b64_decode(in, out, b64_cases[_i].max, &n,
	    NULL);

	if (b64_cases[_i].out == NULL) {
		ck_assert_msg(st == AM_PERMFAIL, "\"%s\": got ok, want error",
		    b64_cases[_i].in);
		return;
	}
	ck_assert_msg(st == AM_OK, "\"%s\": error", b64_cases[_i].in);
	ck_assert_uint_eq(n, strlen(b64_cases[_i].out));
	ck_assert(memcmp(out, b64_cases[_i].out, n) == 0);
}
END_TEST

/* Every length round-trips, and the encoder stops at its buffer's cap. */
START_TEST(test_b64_round_trip)
{
	unsigned char in[48], out[48];
	struct am_buf b;
	struct am_str v;
	size_t len, n, i;

	for (i = 0; i < sizeof(in); i++)
		in[i] = (unsigned char)(i * 37 + 255);
	am_buf_init(&b, 64);
	for (len = 0; len <= sizeof(in); len++) {
		am_buf_reset(&b);
		ck_assert(am_dkim_b64_encode(in, len, &b) == AM_OK);
		ck_assert_uint_eq(b.len, (len + 2) / 3 * 4);
		v.p = am_buf_str(&b);
		v.len = b.len;
		ck_assert(am_dkim_b64_decode(v, out, sizeof(out), &n, NULL) ==
		    AM_OK);
		ck_assert_uint_eq(n, len);
		ck_assert(memcmp(in, out, len) == 0);
	}
	am_buf_reset(&b);
	ck_assert(am_buf_puts(&b, "x") == AM_OK);
	ck_assert(am_dkim_b64_encode(in, 48, &b) == AM_PERMFAIL);
	ck_assert_str_eq(am_buf_str(&b), "x");	/* unchanged */
	am_buf_release(&b);
}
END_TEST

START_TEST(test_uint)
{
	struct am_str v;
	uint64_t n = 7;

	v.p = "12345";
	v.len = 5;
	ck_assert(am_dkim_str_uint(v, 5, &n) && n == 12345);
	ck_assert(!am_dkim_str_uint(v, 4, &n));
	v.p = "";
	v.len = 0;
	ck_assert(!am_dkim_str_uint(v, 5, &n));
	v.p = "+1";
	v.len = 2;
	ck_assert(!am_dkim_str_uint(v, 5, &n));
	v.p = "1 2";
	v.len = 3;
	ck_assert(!am_dkim_str_uint(v, 5, &n));
	v.p = "18446744073709551615";	/* 20 digits: never accepted */
	v.len = 20;
	ck_assert(!am_dkim_str_uint(v, 20, &n));
	v.p = "Relaxed";
	v.len = 7;
	ck_assert(am_dkim_str_caseeq(v, "relaxed"));
	ck_assert(!am_dkim_str_eq(v, "relaxed"));
	ck_assert(!am_dkim_str_caseeq(v, "relax"));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("dkim_tags");
	TCase *tc = tcase_create("tags");

	tcase_add_loop_test(tc, test_parse, 0,
	    sizeof(parse_cases) / sizeof(parse_cases[0]));
	tcase_add_test(tc, test_offsets);
	tcase_add_test(tc, test_too_many);
	tcase_add_loop_test(tc, test_b64_decode, 0,
	    sizeof(b64_cases) / sizeof(b64_cases[0]));
	tcase_add_test(tc, test_b64_round_trip);
	tcase_add_test(tc, test_uint);
	suite_add_tcase(s, tc);
	return am_test_run(s);
}
