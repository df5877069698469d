/*
 * check_arc_parse.c - lib/arc/arc_parse.c on hostile structure (RFC 8617
 * §4.2, §5.2 steps 1-3): gaps, duplicates, instances over 50 or over
 * ARCMaxSets, more ARC headers than any chain may have, cv= rules, missing
 * and malformed fields, malformed AAR prefixes, oversized signatures and
 * h= lists. Each case is a table row: the headers, the status, a reason
 * substring and what a sealer would read (max_instance, newest cv=fail).
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "core/buf.h"
#include "msg/msg.h"
#include "arc/arc_parse.h"
#include "testutil/testutil.h"

#define BH "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="

/* Shorthand: "S1" = a valid AS i=1 (cv none), "S2" = AS i=2 (cv pass),
 * "M1" = AMS i=1, "R1" = AAR i=1, "N" = a non-ARC header; anything
 * else is "Name:value" taken as is. */
static const struct {
	const char *hdrs[8];	/* NULL-terminated */
	enum am_arc_chain_status st;
	const char *why;	/* reason substring (FAIL) */
	unsigned count, max;	/* count (OK) and max_instance */
	bool is_cv_fail;	/* newest cv=fail */
} cases[] = {
	{ { "N", NULL }, AM_ARC_CHAIN_NONE, NULL, 0, 0, false },
	{ { "S1", "M1", "R1", NULL }, AM_ARC_CHAIN_OK, NULL, 1, 1, false },
	{ { "arc-seal:i=1; a=rsa-sha256; cv=none; d=example.org; s=s; b=AAAA",
	    "ARC-MESSAGE-SIGNATURE:i=01; a=rsa-sha256; d=example.org; s=s; "
	    "h=from; bh=" BH "; b=AAAA", "arc-authentication-results: i = 1 ;"
	    " mx; none", NULL }, AM_ARC_CHAIN_OK, NULL, 1, 1, false },
	{ { "S2", "M2", "R2", "S1", "M1", "R1", NULL }, AM_ARC_CHAIN_OK, NULL,
	    2, 2, false },
	/* gaps, duplicates, missing pieces */
	{ { "S2", "M2", "R2", NULL }, AM_ARC_CHAIN_FAIL,
	    "i=1 incomplete (no ARC-Authentication-Results)", 0, 2, false },
	{ { "S1", "S1", "M1", "R1", NULL }, AM_ARC_CHAIN_FAIL,
	    "duplicate ARC-Seal i=1", 0, 1, false },
	{ { "S1", "M1", "M1", "R1", NULL }, AM_ARC_CHAIN_FAIL,
	    "duplicate ARC-Message-Signature i=1", 0, 1, false },
	{ { "S1", "M1", "R1", "R1", NULL }, AM_ARC_CHAIN_FAIL,
	    "duplicate ARC-Authentication-Results i=1", 0, 1, false },
	{ { "M1", "R1", NULL }, AM_ARC_CHAIN_FAIL, "(no ARC-Seal)", 0, 1,
	    false },
	{ { "S1", "R1", NULL }, AM_ARC_CHAIN_FAIL,
	    "(no ARC-Message-Signature)", 0, 1, false },
	/* instances */
	{ { "ARC-Seal:i=0; a=rsa-sha256; cv=none; d=x; s=s; b=AAAA", NULL },
	    AM_ARC_CHAIN_FAIL, "invalid i=0", 0, 0, false },
	{ { "ARC-Seal:i=51; a=rsa-sha256; cv=pass; d=x; s=s; b=AAAA", NULL },
	    AM_ARC_CHAIN_FAIL, "invalid i=51", 0, 0, false },
	{ { "ARC-Seal:i=100; a=rsa-sha256; cv=pass; d=x; s=s; b=AAAA", NULL },
	    AM_ARC_CHAIN_FAIL, "invalid i=100", 0, 0, false },
	{ { "ARC-Seal:i=; a=rsa-sha256; cv=pass; d=x; s=s; b=AAAA", NULL },
	    AM_ARC_CHAIN_FAIL, "invalid i=", 0, 0, false },
	{ { "ARC-Seal:a=rsa-sha256; cv=pass; d=x; s=s; b=AAAA", NULL },
	    AM_ARC_CHAIN_FAIL, "without i=", 0, 0, false },
	{ { "ARC-Authentication-Results: mx; i=1; spf=pass", NULL },
	    AM_ARC_CHAIN_FAIL, "\"i=N;\" prefix", 0, 0, false },
	{ { "ARC-Authentication-Results: i=1 mx; spf=pass", NULL },
	    AM_ARC_CHAIN_FAIL, "\"i=N;\" prefix", 0, 0, false },
	{ { "ARC-Authentication-Results: i=123; mx", NULL },
	    AM_ARC_CHAIN_FAIL, "\"i=N;\" prefix", 0, 0, false },
	/* cv= */
	{ { "ARC-Seal:i=2; a=rsa-sha256; cv=fail; d=x; s=s; b=AAAA", "M2",
	    "R2", "S1", "M1", "R1", NULL }, AM_ARC_CHAIN_FAIL,
	    "i=2 has cv=fail", 0, 2, true },
	{ { "ARC-Seal:i=1; a=rsa-sha256; cv=Fail; d=x; s=s; b=AAAA", "M1",
	    "R1", NULL }, AM_ARC_CHAIN_FAIL, "i=1 has cv=fail", 0, 1, true },
	{ { "ARC-Seal:i=1; a=rsa-sha256; cv=pass; d=x; s=s; b=AAAA", "M1",
	    "R1", NULL }, AM_ARC_CHAIN_FAIL, "i=1 has cv=pass", 0, 1, false },
	{ { "ARC-Seal:i=2; a=rsa-sha256; cv=none; d=x; s=s; b=AAAA", "M2",
	    "R2", "S1", "M1", "R1", NULL }, AM_ARC_CHAIN_FAIL,
	    "i=2 has cv=none", 0, 2, false },
	{ { "S2", "M2", "R2", "ARC-Seal:i=1; a=rsa-sha256; cv=fail; d=x; "
	    "s=s; b=AAAA", "M1", "R1", NULL }, AM_ARC_CHAIN_FAIL,
	    "i=1 has cv=fail", 0, 2, false },
	/* fields of an ARC-Seal */
	{ { "ARC-Seal:i=1; a=rsa-sha256; cv=none; d=x; s=s; h=from; b=AAAA",
	    "M1", "R1", NULL }, AM_ARC_CHAIN_FAIL, "h= in an ARC-Seal", 0, 1,
	    false },
	{ { "ARC-Seal:i=1; a=rsa-sha1; cv=none; d=x; s=s; b=AAAA", "M1",
	    "R1", NULL }, AM_ARC_CHAIN_FAIL, "unsupported algorithm", 0, 1,
	    false },
	{ { "ARC-Seal:i=1; cv=none; d=x; s=s; b=AAAA", "M1", "R1", NULL },
	    AM_ARC_CHAIN_FAIL, "no a= tag", 0, 1, false },
	{ { "ARC-Seal:i=1; a=rsa-sha256; cv=none; d=-x..y; s=s; b=AAAA",
	    "M1", "R1", NULL }, AM_ARC_CHAIN_FAIL, "invalid domain", 0, 1,
	    false },
	{ { "ARC-Seal:i=1; a=rsa-sha256; cv=none; d=x; s=s; t=-1; b=AAAA",
	    "M1", "R1", NULL }, AM_ARC_CHAIN_FAIL, "invalid timestamp", 0, 1,
	    false },
	{ { "ARC-Seal:i=1; a=rsa-sha256; cv=none; d=x; s=s; b=A#AA", "M1",
	    "R1", NULL }, AM_ARC_CHAIN_FAIL, "invalid signature", 0, 1,
	    false },
	{ { "ARC-Seal:i=1; a=rsa-sha256; cv=none; d=x; s=s; b=AAAA;; t=1",
	    "M1", "R1", NULL }, AM_ARC_CHAIN_FAIL, "empty tag-spec", 0, 1,
	    false },
	{ { "ARC-Seal:i=1; a=rsa-sha256; cv=none; d=x; s=s; s=t; b=AAAA",
	    "M1", "R1", NULL }, AM_ARC_CHAIN_FAIL, "duplicate tag", 0, 1,
	    false },
};

/* add - one header of the shorthand above. */
static void
add(struct am_msg *m, const char *h)
{
	char v[512];
	const char *colon;

	if (strcmp(h, "N") == 0)
		h = "Subject: hi";
	if (h[0] == 'S' && h[1] >= '0' && h[1] <= '9') {
		snprintf(v, sizeof(v), " i=%s; a=rsa-sha256; cv=%s; "
		    "d=example.org; s=s; t=1; b=AAAA", h + 1,
		    strcmp(h + 1, "1") == 0 ? "none" : "pass");
		(void)am_msg_add_header(m, "ARC-Seal", v, strlen(v), 1000,
		    65536);
	} else if (h[0] == 'M' && h[1] >= '0' && h[1] <= '9') {
		snprintf(v, sizeof(v), " i=%s; a=rsa-sha256; c=relaxed/relaxed;"
		    " d=example.org; s=s; t=1; h=from:to; bh=" BH "; b=AAAA",
		    h + 1);
		(void)am_msg_add_header(m, "ARC-Message-Signature", v,
		    strlen(v), 1000, 65536);
	} else if (h[0] == 'R' && h[1] >= '0' && h[1] <= '9') {
		snprintf(v, sizeof(v), " i=%s; mx.example.org; spf=pass "
		    "smtp.mailfrom=example.net", h + 1);
		(void)am_msg_add_header(m, "ARC-Authentication-Results", v,
		    strlen(v), 1000, 65536);
	} else {
		char name[64];

		colon = strchr(h, ':');
		ck_assert(colon != NULL && colon - h < 64);
		snprintf(name, sizeof(name), "%.*s", (int)(colon - h), h);
		(void)am_msg_add_header(m, name, colon + 1, strlen(colon + 1),
		    1000, 65536);
	}
}

/* sets - n complete sets, newest first, as sealers stack them. */
static void
sets(struct am_msg *m, unsigned n)
{
	char h[8];
	unsigned i;

	for (i = n; i >= 1; i--) {
		snprintf(h, sizeof(h), "S%u", i);
		add(m, h);
		h[0] = 'M';
		add(m, h);
		h[0] = 'R';
		add(m, h);
	}
}

START_TEST(test_cases)
{
	struct am_msg *m = am_msg_new();
	struct am_arc_chain *c;
	size_t i;

	for (i = 0; cases[_i].hdrs[i] != NULL; i++)
		add(m, cases[_i].hdrs[i]);
	c = am_arc_parse(m, 50);
	ck_assert_msg(c->status == cases[_i].st, "case %d: got status %d "
	    "(%s), want %d", _i, c->status, c->reason, cases[_i].st);
	if (cases[_i].why != NULL)
		ck_assert_msg(strstr(c->reason, cases[_i].why) != NULL,
		    "case %d: got \"%s\", want \"%s\"", _i, c->reason,
		    cases[_i].why);
	else
		ck_assert_str_eq(c->reason, "");
	ck_assert_uint_eq(c->count, cases[_i].count);
	ck_assert_uint_eq(c->max_instance, cases[_i].max);
	ck_assert(c->is_newest_cv_fail == cases[_i].is_cv_fail);
	am_arc_chain_free(c);
	am_msg_free(m);
}
END_TEST

/* 50 sets are a chain; ARCMaxSets below that fails it, naming the limit. */
START_TEST(test_fifty)
{
	struct am_msg *m = am_msg_new();
	struct am_arc_chain *c;

	sets(m, 50);
	c = am_arc_parse(m, 50);
	ck_assert_msg(c->status == AM_ARC_CHAIN_OK, "%s", c->reason);
	ck_assert_uint_eq(c->count, 50);
	ck_assert(c->set[49].as.cv == AM_ARC_CV_PASS &&
	    c->set[0].as.cv == AM_ARC_CV_NONE && c->set[0].has_aar);
	am_arc_chain_free(c);
	c = am_arc_parse(m, 10);
	ck_assert(c->status == AM_ARC_CHAIN_FAIL);
	ck_assert_msg(strstr(c->reason, "more than 10 ARC sets") != NULL,
	    "%s", c->reason);
	ck_assert_uint_eq(c->max_instance, 50);
	am_arc_chain_free(c);
	c = am_arc_parse(m, 0);		/* clamped to 1 */
	ck_assert(c->status == AM_ARC_CHAIN_FAIL);
	am_arc_chain_free(c);
	am_msg_free(m);
}
END_TEST

/* More ARC headers than 50 sets hold: the scan stops, a sealer sees 50. */
START_TEST(test_too_many_headers)
{
	struct am_msg *m = am_msg_new();
	struct am_arc_chain *c;
	int i;

	sets(m, 50);
	for (i = 0; i < 100; i++)
		add(m, "S1");
	c = am_arc_parse(m, 50);
	ck_assert(c->status == AM_ARC_CHAIN_FAIL);
	ck_assert_msg(strstr(c->reason, "more than 150 ARC header fields") !=
	    NULL, "%s", c->reason);
	ck_assert_uint_eq(c->max_instance, AM_ARC_MAX_SETS);
	am_arc_chain_free(c);
	am_msg_free(m);
}
END_TEST

/* A malformed AMS below the newest is not a structure failure. */
START_TEST(test_ams_fields)
{
	static const struct {
		const char *ams;
		const char *error;
	} bad[] = {
		{ " i=1; a=rsa-sha256; c=pancake; d=x; s=s; h=from; bh=" BH
		    "; b=AAAA", "invalid canonicalization" },
		{ " i=1; a=rsa-sha256; d=x; s=s; h=from:arc-seal; bh=" BH
		    "; b=AAAA", "ARC-Seal signed in" },
		{ " i=1; a=rsa-sha256; d=x; s=s; h=from; bh=AAAA; b=AAAA",
		    "invalid body hash" },
		{ " i=1; a=rsa-sha256; d=x; s=s; h=from; b=AAAA", "no bh=" },
		{ " i=1; a=rsa-sha256; d=x; s=s; bh=" BH "; b=AAAA", "no h=" },
		{ " i=1; a=rsa-sha256; d=x; s=s; h=from; l=x; bh=" BH
		    "; b=AAAA", "invalid body length" },
		{ " i=1; a=ed25519-sha256; d=x; s=s..t; h=from; bh=" BH
		    "; b=AAAA", "invalid selector" },
	};
	struct am_msg *m;
	struct am_arc_chain *c;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		m = am_msg_new();
		add(m, "S2");
		add(m, "M2");
		add(m, "R2");
		add(m, "S1");
		(void)am_msg_add_header(m, "ARC-Message-Signature", bad[i].ams,
		    strlen(bad[i].ams), 1000, 65536);
		add(m, "R1");
		c = am_arc_parse(m, 50);
		ck_assert_msg(c->status == AM_ARC_CHAIN_OK, "%s", c->reason);
		ck_assert(c->set[1].ams.is_valid && !c->set[0].ams.is_valid);
		ck_assert_msg(strstr(c->set[0].ams.error, bad[i].error) !=
		    NULL, "got \"%s\", want \"%s\"", c->set[0].ams.error,
		    bad[i].error);
		am_arc_chain_free(c);
		am_msg_free(m);
	}
}
END_TEST

/* Oversized signatures and h= lists are refused, not decoded. */
START_TEST(test_oversized)
{
	struct am_msg *m = am_msg_new();
	struct am_arc_chain *c;
	struct am_buf v;
	int i;

	am_buf_init(&v, 1 << 20);
	ck_assert(am_buf_puts(&v, " i=1; a=rsa-sha256; cv=none; d=x; s=s; "
	    "b=") == AM_OK);
	for (i = 0; i < 1400; i++)	/* 1400 * 3 bytes > 1024 */
		ck_assert(am_buf_puts(&v, "AAAA") == AM_OK);
	(void)am_msg_add_header(m, "ARC-Seal", v.data, v.len, 1000, 1 << 20);
	add(m, "M1");
	add(m, "R1");
	c = am_arc_parse(m, 50);
	ck_assert(c->status == AM_ARC_CHAIN_FAIL);
	ck_assert_msg(strstr(c->reason, "invalid signature") != NULL, "%s",
	    c->reason);
	am_arc_chain_free(c);
	am_msg_free(m);
	m = am_msg_new();
	am_buf_reset(&v);
	ck_assert(am_buf_puts(&v, " i=1; a=rsa-sha256; d=x; s=s; h=a") ==
	    AM_OK);
	for (i = 0; i < AM_ARC_MAX_HNAMES; i++)
		ck_assert(am_buf_puts(&v, ":a") == AM_OK);
	ck_assert(am_buf_puts(&v, "; bh=" BH "; b=AAAA") == AM_OK);
	add(m, "S1");
	(void)am_msg_add_header(m, "ARC-Message-Signature", v.data, v.len,
	    1000, 1 << 20);
	add(m, "R1");
	c = am_arc_parse(m, 50);
	ck_assert(c->status == AM_ARC_CHAIN_OK && !c->set[0].ams.is_valid);
	ck_assert_msg(strstr(c->set[0].ams.error, "invalid header list") !=
	    NULL, "%s", c->set[0].ams.error);
	am_arc_chain_free(c);
	am_msg_free(m);
	am_buf_release(&v);
}
END_TEST

/* A NUL byte inside an ARC header (msg keeps it) fails the tag list. */
START_TEST(test_nul)
{
	static const char v[] = " i=1; a=rsa-sha256; cv=none; d=x\0y; s=s; "
	    "b=AAAA";
	struct am_msg *m = am_msg_new();
	struct am_arc_chain *c;

	(void)am_msg_add_header(m, "ARC-Seal", v, sizeof(v) - 1, 1000, 65536);
	add(m, "M1");
	add(m, "R1");
	c = am_arc_parse(m, 50);
	ck_assert(c->status == AM_ARC_CHAIN_FAIL);
	ck_assert_msg(strstr(c->reason, "invalid byte 0x00") != NULL, "%s",
	    c->reason);
	am_arc_chain_free(c);
	am_msg_free(m);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("arc_parse");
	TCase *tc = tcase_create("parse");

	tcase_add_loop_test(tc, test_cases, 0,
	    sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_fifty);
	tcase_add_test(tc, test_too_many_headers);
	tcase_add_test(tc, test_ams_fields);
	tcase_add_test(tc, test_oversized);
	tcase_add_test(tc, test_nul);
	suite_add_tcase(s, tc);
	return am_test_run(s);
}
