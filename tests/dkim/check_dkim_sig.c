/*
 * check_dkim_sig.c - lib/dkim/dkim_sig.c: the fields of a DKIM-Signature,
 * an ARC-Message-Signature and an ARC-Seal (RFC 6376 §3.5, RFC 8617
 * §4.1): required tags, each value's syntax, the first problem named, the
 * c= default of each kind, and what a seal does not read.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "dkim/dkim_sig.h"
#include "testutil/testutil.h"

#define B "b=QUJD"	/* base64 of "ABC" */
#define BH "bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
#define OK_DKIM "v=1; a=rsa-sha256; d=example.com; s=sel; h=from; " BH "; " B

static const struct {
	enum am_dkim_sig_kind k;
	const char *in;
	const char *err;	/* NULL: valid; else the error (substring) */
} cases[] = {
	{ AM_DKIM_SIG_DKIM, OK_DKIM, NULL },
	{ AM_DKIM_SIG_DKIM, OK_DKIM "; c=relaxed; l=10; x=20; t=5; i=@ex",
	    NULL },
	{ AM_DKIM_SIG_DKIM, "a=rsa-sha256; d=e.com; s=s; h=from; " BH "; " B,
	    "no v= tag" },
	{ AM_DKIM_SIG_DKIM, "v=2; a=rsa-sha256; d=e.com; s=s; h=from; " BH
	    "; " B, "unsupported version v=2" },
	{ AM_DKIM_SIG_DKIM, "v=1; d=e.com; s=s; h=from; " BH "; " B,
	    "no a= tag" },
	{ AM_DKIM_SIG_DKIM, "v=1; a=rsa-sha1; d=e.com; s=s; h=from; " BH "; "
	    B, "unsupported algorithm a=rsa-sha1" },
	{ AM_DKIM_SIG_DKIM, "v=1; a=rsa-sha256; d=e.com; s=s; h=from; " BH
	    "; b=!!", "invalid signature b=!!" },
	{ AM_DKIM_SIG_DKIM, "v=1; a=rsa-sha256; d=e..com; s=s; h=from; " BH
	    "; " B, "invalid domain d=e..com" },
	{ AM_DKIM_SIG_DKIM, "v=1; a=rsa-sha256; d=e.com; s=a b; h=from; " BH
	    "; " B, "invalid selector" },
	{ AM_DKIM_SIG_DKIM, OK_DKIM "; t=-1", "invalid timestamp t=-1" },
	{ AM_DKIM_SIG_DKIM, "v=1; a=rsa-sha256; d=e.com; s=s; h=from; "
	    "bh=AAAA; " B, "invalid body hash bh=AAAA" },
	{ AM_DKIM_SIG_DKIM, "v=1; a=rsa-sha256; d=e.com; s=s; " BH "; " B,
	    "no h= tag" },
	{ AM_DKIM_SIG_DKIM, OK_DKIM "; c=loose", "invalid canonicalization" },
	{ AM_DKIM_SIG_DKIM, "v=1; a=rsa-sha256; d=e.com; s=s; h=fr om; " BH
	    "; " B, "invalid header list" },
	{ AM_DKIM_SIG_DKIM, OK_DKIM "; l=x", "invalid body length l=x" },
	{ AM_DKIM_SIG_DKIM, OK_DKIM "; x=1234567890123",
	    "invalid expiry x=1234567890123" },
	{ AM_DKIM_SIG_AMS, "a=ed25519-sha256; d=e.com; s=s; h=from; " BH "; "
	    B, NULL },	/* no v= in an AMS */
	{ AM_DKIM_SIG_SEAL, "a=rsa-sha256; d=e.com; s=s; " B "; h=fr om; "
	    "bh=AAAA; c=x; l=y", NULL },	/* a seal reads none of them */
	{ AM_DKIM_SIG_SEAL, "a=rsa-sha256; s=s; " B, "no d= tag" },
};

START_TEST(test_parse)
{
	struct am_dkim_tags t;
	struct am_dkim_sig_fields f;
	char err[128];
	bool ok;

	ck_assert(am_dkim_tags_parse(cases[_i].in, strlen(cases[_i].in), &t,
	    NULL) == AM_OK);
	ok = am_dkim_sig_parse(&t, cases[_i].k, 16, &f, err, sizeof(err));
	if (cases[_i].err == NULL)
		ck_assert_msg(ok, "\"%s\": got \"%s\", want valid",
		    cases[_i].in, err);
	else
		ck_assert_msg(!ok && strstr(err, cases[_i].err) != NULL,
		    "\"%s\": got \"%s\", want \"%s\"", cases[_i].in,
		    ok ? "valid" : err, cases[_i].err);
}
END_TEST

START_TEST(test_fields)
{
	static const char in[] = OK_DKIM "; c=relaxed; l=10; x=20; t=5; "
	    "i=a@example.com";
	struct am_dkim_tags t;
	struct am_dkim_sig_fields f;
	char err[128];

	ck_assert(am_dkim_tags_parse(in, strlen(in), &t, NULL) == AM_OK);
	ck_assert(am_dkim_sig_parse(&t, AM_DKIM_SIG_DKIM, 16, &f, err,
	    sizeof(err)));
	ck_assert_int_eq(f.alg, AM_DKIM_ALG_RSA_SHA256);
	ck_assert(am_dkim_str_eq(f.d, "example.com"));
	ck_assert(am_dkim_str_eq(f.s, "sel"));
	ck_assert(am_dkim_str_eq(f.h, "from"));
	ck_assert(am_dkim_str_eq(f.i, "a@example.com"));
	ck_assert(am_dkim_str_eq(f.b.value, "QUJD"));
	ck_assert_int_eq(f.hcanon, AM_DKIM_CANON_RELAXED);
	ck_assert_int_eq(f.bcanon, AM_DKIM_CANON_SIMPLE);	/* §3.5 */
	ck_assert_int_eq(f.body_limit, 10);
	ck_assert(f.has_x && f.x == 20 && f.has_t && f.t == 5);
	/* no c=: simple/simple for DKIM, relaxed/relaxed for an AMS */
	ck_assert(am_dkim_tags_parse(OK_DKIM, strlen(OK_DKIM), &t, NULL) ==
	    AM_OK);
	ck_assert(am_dkim_sig_parse(&t, AM_DKIM_SIG_DKIM, 16, &f, err,
	    sizeof(err)));
	ck_assert(f.hcanon == AM_DKIM_CANON_SIMPLE && f.bcanon ==
	    AM_DKIM_CANON_SIMPLE && f.body_limit == -1 && !f.has_x &&
	    f.i.len == 0);
	ck_assert(am_dkim_sig_parse(&t, AM_DKIM_SIG_AMS, 16, &f, err,
	    sizeof(err)));
	ck_assert(f.hcanon == AM_DKIM_CANON_RELAXED && f.bcanon ==
	    AM_DKIM_CANON_RELAXED);
}
END_TEST

/* h= names beyond max_hnames make the list invalid. */
START_TEST(test_hnames_cap)
{
	static const char in[] = "v=1; a=rsa-sha256; d=e.com; s=s; "
	    "h=a:b:c:d; " BH "; " B;
	struct am_dkim_tags t;
	struct am_dkim_sig_fields f;
	char err[128];

	ck_assert(am_dkim_tags_parse(in, strlen(in), &t, NULL) == AM_OK);
	ck_assert(am_dkim_sig_parse(&t, AM_DKIM_SIG_DKIM, 4, &f, err,
	    sizeof(err)));
	ck_assert(!am_dkim_sig_parse(&t, AM_DKIM_SIG_DKIM, 3, &f, err,
	    sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "invalid header list"));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("dkim_sig");
	TCase *tc = tcase_create("fields");

	tcase_add_loop_test(tc, test_parse, 0,
	    sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_fields);
	tcase_add_test(tc, test_hnames_cap);
	suite_add_tcase(s, tc);
	return am_test_run(s);
}
