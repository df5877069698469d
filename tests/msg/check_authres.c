/*
 * check_authres.c - lib/authres: builder golden output, quoting, folding,
 * round trips, RFC 8601 Appendix B examples, hostile parser input, and the
 * trust-boundary question am_authres_is_ours() answers (PITFALLS.md).
 */
#include "autoconf.h"

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "core/xalloc.h"
#include "core/buf.h"
#include "msg/authres.h"
#include "testutil/testutil.h"

#define OUT_MAX	(4 * 1024 * 1024)
#define OK(x)	ck_assert((x) == AM_OK)

/* op - one builder call: 'm' add_method(a, b, c, d), 'p' add_prop(a, b, c). */
struct op {
	char kind;
	const char *a, *b, *c, *d;
};

/* build - a builder from id and ops (terminated by kind 0). */
static struct am_authres *
build(const char *id, const struct op *ops)
{
	struct am_authres *ar = am_authres_new(id);

	for (; ops->kind; ops++) {
		if (ops->kind == 'm')
			am_authres_add_method(ar, ops->a, ops->b, ops->c,
			    ops->d);
		else
			am_authres_add_prop(ar, ops->a, ops->b, ops->c);
	}
	return ar;
}

/* format - the formatted value as an owned string (NULL on failure). */
static char *
format(const struct am_authres *ar)
{
	struct am_buf b;

	am_buf_init(&b, OUT_MAX);
	if (am_authres_format(ar, &b) != AM_OK) {
		am_buf_release(&b);
		return NULL;
	}
	return am_buf_export(&b);
}

/* dump - canonical text of a parse result, for comparisons. */
static char *
dump(const struct am_authres_parsed *p)
{
	const struct am_authres_method *m;
	struct am_buf b;
	size_t i, j;

	am_buf_init(&b, OUT_MAX);
	OK(am_buf_printf(&b, "%s v%d", p->authserv_id, p->version));
	if (p->is_none)
		ck_assert(am_buf_puts(&b, "; none") == AM_OK);
	for (i = 0; i < p->nmethods; i++) {
		m = &p->methods[i];
		OK(am_buf_printf(&b, "; %s=%s", m->method, m->result));
		if (m->reason)
			OK(am_buf_printf(&b, " reason=<%s>", m->reason));
		for (j = 0; j < m->nprops; j++)
			OK(am_buf_printf(&b, " %s.%s=<%s>", m->props[j].ptype,
			    m->props[j].property, m->props[j].value));
	}
	return am_buf_export(&b);
}

/* parse_dump - dump of parse(s, len), or "PERMFAIL" (and why not empty). */
static char *
parse_dump(const char *s, size_t len)
{
	struct am_authres_parsed *p = (void *)1;
	struct am_why why = { "" };
	char *d;

	if (am_authres_parse(s, len, &p, &why) != AM_OK) {
		ck_assert_ptr_null(p);
		ck_assert_msg(why.text[0] != '\0', "no reason given");
		return am_xstrdup("PERMFAIL");
	}
	d = dump(p);
	am_authres_parsed_free(p);
	return d;
}

/* rebuild - a builder holding what p holds (the fuzz target does the same). */
static struct am_authres *
rebuild(const struct am_authres_parsed *p)
{
	struct am_authres *ar = am_authres_new(p->authserv_id);
	const struct am_authres_method *m;
	size_t i, j;

	for (i = 0; i < p->nmethods; i++) {
		m = &p->methods[i];
		am_authres_add_method(ar, m->method, m->result, m->reason,
		    NULL);
		for (j = 0; j < m->nprops; j++)
			am_authres_add_prop(ar, m->props[j].ptype,
			    m->props[j].property, m->props[j].value);
	}
	return ar;
}

/* ------------------------------------------------------------ builder */

static const struct fmt_case {
	const char *name;
	const char *id;
	struct op ops[8];
	const char *want;
} fmt_cases[] = {
	{ "none", "example.com", { { 0 } }, "example.com; none" },
	{ "id with job id is quoted (PITFALLS)", "mx.example.org/4XyZ1",
	    { { 0 } }, "\"mx.example.org/4XyZ1\"; none" },
	{ "id with CRLF injection", "mx\r\nX-Evil: yes", { { 0 } },
	    "\"mx X-Evil: yes\"; none" },
	{ "id with quote and backslash", "a\"b\\c", { { 0 } },
	    "\"a\\\"b\\\\c\"; none" },
	{ "spf", "example.com", { { 'm', "spf", "pass", NULL, NULL },
	    { 'p', "smtp", "mailfrom", "example.net", NULL }, { 0 } },
	    "example.com;\n\tspf=pass smtp.mailfrom=example.net" },
	{ "two results", "mx.example.org", {
	    { 'm', "spf", "pass", NULL, NULL },
	    { 'p', "smtp", "mailfrom", "user@example.net", NULL },
	    { 'm', "dkim", "pass", NULL, "2048-bit key" },
	    { 'p', "header", "d", "example.net", NULL },
	    { 'p', "header", "s", "sel1", NULL }, { 0 } },
	    "mx.example.org;\n\tspf=pass smtp.mailfrom=user@example.net;\n"
	    "\tdkim=pass (2048-bit key) header.d=example.net header.s=sel1" },
	{ "reason with spaces", "h", { { 'm', "dkim", "fail",
	    "signature did not verify", NULL }, { 0 } },
	    "h;\n\tdkim=fail reason=\"signature did not verify\"" },
	{ "reason with quotes and backslash", "h", { { 'm', "dmarc", "fail",
	    "a \"b\" \\c", NULL }, { 0 } },
	    "h;\n\tdmarc=fail reason=\"a \\\"b\\\" \\\\c\"" },
	{ "reason token bare", "h", { { 'm', "dkim", "permerror",
	    "no-key", NULL }, { 0 } }, "h;\n\tdkim=permerror reason=no-key" },
	{ "hostile comment", "h", { { 'm', "spf", "pass", NULL,
	    "x) (y \\ z\r\nX-Evil: 1" }, { 0 } },
	    "h;\n\tspf=pass (x\\) \\(y \\\\ z X-Evil: 1)" },
	{ "pvalue forms", "h", { { 'm', "spf", "pass", NULL, NULL },
	    { 'p', "smtp", "mailfrom", "bounce+x=y.org@example.com", NULL },
	    { 'p', "header", "i", "@example.com", NULL },
	    { 'p', "smtp", "helo", "mail.example.com", NULL }, { 0 } },
	    "h;\n\tspf=pass smtp.mailfrom=bounce+x=y.org@example.com"
	    " header.i=@example.com\n\tsmtp.helo=mail.example.com" },
	{ "local-part needing quotes", "h", { { 'm', "spf", "pass", NULL,
	    NULL }, { 'p', "smtp", "mailfrom", "john doe@example.com", NULL },
	    { 'p', "smtp", "rcptto", "a\"b@example.com", NULL }, { 0 } },
	    "h;\n\tspf=pass smtp.mailfrom=\"john doe\"@example.com"
	    " smtp.rcptto=\"a\\\"b\"@example.com" },
	{ "pvalues that are not addresses", "h", { { 'm', "x", "pass", NULL,
	    NULL }, { 'p', "a", "b", "x@y@example.com", NULL },
	    { 'p', "a", "c", "user@bad domain", NULL },
	    { 'p', "a", "d", "", NULL }, { 'p', "a", "e", "ab;cd", NULL },
	    { 'p', "a", "f", "2001:db8::1", NULL },
	    { 0 } },
	    "h;\n\tx=pass a.b=\"x@y\"@example.com a.c=\"user@bad domain\""
	    " a.d=\"\" a.e=\"ab;cd\"\n\ta.f=\"2001:db8::1\"" },
	{ "control characters in value", "h", { { 'm', "spf", "pass", NULL,
	    NULL },
	    { 'p', "smtp", "mailfrom", "a\r\n\tb\x01@example.com", NULL },
	    { 0 } }, "h;\n\tspf=pass smtp.mailfrom=\"a b \"@example.com" },
	{ "fold between props", "mx.example.org", {
	    { 'm', "dkim", "pass", NULL, "2048-bit key; unprotected" },
	    { 'p', "header", "d", "mail.example.com", NULL },
	    { 'p', "header", "i", "@mail.example.com", NULL },
	    { 'p', "header", "s", "selector2024", NULL },
	    { 'p', "header", "b", "AbCdEfGh", NULL },
	    { 'm', "arc", "none", NULL, NULL }, { 0 } },
	    "mx.example.org;\n\tdkim=pass (2048-bit key; unprotected)"
	    " header.d=mail.example.com\n\theader.i=@mail.example.com"
	    " header.s=selector2024 header.b=AbCdEfGh;\n\tarc=none" },
};

START_TEST(test_format_golden)
{
	const struct fmt_case *c = &fmt_cases[_i];
	struct am_authres *ar = build(c->id, c->ops);
	char *got = format(ar);

	ck_assert_msg(got && strcmp(got, c->want) == 0, "%s: got %s, want %s",
	    c->name, got ? got : "(fail)", c->want);
	free(got);
	am_authres_free(ar);
}
END_TEST

START_TEST(test_format_cap)
{
	static const struct op ops[] = { { 'm', "spf", "pass", NULL, NULL },
	    { 'p', "smtp", "mailfrom", "user@example.net", NULL }, { 0 } };
	struct am_authres *ar = build("example.com", ops);
	struct am_buf b;

	am_buf_init(&b, 20);
	ck_assert(am_authres_format(ar, &b) == AM_PERMFAIL);
	ck_assert_uint_eq(b.len, 0);
	am_buf_release(&b);
	am_buf_init(&b, 200);
	OK(am_buf_puts(&b, "old"));
	ck_assert(am_authres_format(ar, &b) == AM_OK);
	ck_assert_str_eq(am_buf_str(&b),
	    "example.com;\n\tspf=pass smtp.mailfrom=user@example.net");
	am_buf_release(&b);
	ck_assert_ptr_null(am_authres_free(ar));
	ck_assert_ptr_null(am_authres_free(NULL));
}
END_TEST

/* Over the cap, trailing dkim entries go, with a note (issue 21: 34
 * signatures used to tempfail the message). */
START_TEST(test_format_fit)
{
	struct am_authres *ar = am_authres_new("mx.example.org");
	struct am_buf b;
	size_t i, dropped = 99;

	am_authres_add_method(ar, "spf", "pass", NULL, NULL);
	for (i = 0; i < 40; i++) {
		am_authres_add_method(ar, "dkim", "policy", "too many", NULL);
		am_authres_add_prop(ar, "header", "d", "example.com");
	}
	am_authres_add_method(ar, "dmarc", "pass", NULL, NULL);
	am_buf_init(&b, 4096);
	OK(am_authres_format_fit(ar, "dkim", &b, &dropped));
	ck_assert_uint_eq(dropped, 0);
	am_buf_release(&b);
	am_buf_init(&b, 600);
	ck_assert(am_authres_format(ar, &b) == AM_PERMFAIL);
	OK(am_authres_format_fit(ar, "dkim", &b, &dropped));
	ck_assert_msg(dropped > 20 && dropped < 40, "dropped %zu", dropped);
	ck_assert_msg(b.len > 500 && strstr(b.data, "more dkim results not "
	    "shown);\n\tdmarc=pass") && strncmp(b.data, "mx.example.org;\n\t"
	    "spf=pass;\n\tdkim=policy", 38) == 0, "%s", b.data);
	am_buf_release(&b);
	am_buf_init(&b, 80);	/* no dkim entry fits: noted on spf */
	OK(am_authres_format_fit(ar, "dkim", &b, &dropped));
	ck_assert_uint_eq(dropped, 40);
	ck_assert_str_eq(b.data, "mx.example.org;\n\tspf=pass (40 dkim "
	    "results not shown);\n\tdmarc=pass");
	am_buf_release(&b);
	am_buf_init(&b, 20);
	ck_assert(am_authres_format_fit(ar, "dkim", &b, &dropped) ==
	    AM_PERMFAIL);
	am_buf_release(&b);
	am_authres_free(ar);
}
END_TEST

START_TEST(test_format_long_unbreakable)
{
	static const struct op ops[] = { { 'm', "dkim", "pass", NULL, NULL },
	    { 'p', "header", "b", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL },
	    { 0 } };
	struct am_authres *ar = build("example.com", ops);
	char *got = format(ar), *d;

	/* No break point inside a value: the line is long, not truncated. */
	ck_assert_ptr_nonnull(strstr(got, "\n\theader.b=AAAA"));
	d = parse_dump(got, strlen(got));
	ck_assert_ptr_nonnull(strstr(d, "header.b=<AAAA"));
	free(d);
	free(got);
	am_authres_free(ar);
}
END_TEST

/* ------------------------------------------- generated round trips */

static uint64_t rng_state;

static unsigned
rnd(unsigned n)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned)(rng_state >> 33) % n;
}

/* rnd_text - random text of up to max bytes drawn from an awkward alphabet;
 * *model gets what the builder must keep (control runs become a space). */
static void
rnd_text(char *s, char *model, size_t max)
{
	static const char alpha[] = "abcXYZ019.-_@ \"\\;:()=/,<>[]?\r\n\t\x01"
	    "\x7f\xc3\xa9";
	size_t i, n = rnd((unsigned)max + 1), k = 0;

	for (i = 0; i < n; i++)
		s[i] = alpha[rnd(sizeof(alpha) - 1)];
	s[n] = '\0';
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch >= 0x20 && ch != 0x7f)
			model[k++] = s[i];
		else if (i == 0 || ((unsigned char)s[i - 1] >= 0x20 &&
		    (unsigned char)s[i - 1] != 0x7f))
			model[k++] = ' ';
	}
	model[k] = '\0';
}

static void
rnd_keyword(char *s, size_t max)
{
	static const char alpha[] = "abcxyz0189-_";
	size_t i, n = 1 + rnd((unsigned)max);

	for (i = 0; i < n; i++)
		s[i] = alpha[rnd(sizeof(alpha) - 1)];
	s[n] = '\0';
}

/* rnd_case - a random builder; want gets the dump its output must parse to. */
static struct am_authres *
rnd_case(struct am_buf *want)
{
	char a[32], b[32], t[32], mt[32], cm[32], mc[32];
	struct am_authres *ar;
	unsigned i, j, nm = rnd(6), np;
	bool has_reason;

	rnd_text(t, mt, 20);
	ar = am_authres_new(t);
	OK(am_buf_printf(want, "%s v1%s", mt, nm ? "" : "; none"));
	for (i = 0; i < nm; i++) {
		rnd_keyword(a, 10);
		rnd_keyword(b, 10);
		rnd_text(t, mt, 20);
		rnd_text(cm, mc, 20);
		has_reason = rnd(2);
		am_authres_add_method(ar, a, b, has_reason ? t : NULL,
		    rnd(2) ? cm : NULL);
		ck_assert(am_buf_printf(want, "; %s=%s", a, b) == AM_OK);
		if (has_reason)
			OK(am_buf_printf(want, " reason=<%s>", mt));
		for (j = 0, np = rnd(8); j < np; j++) {
			rnd_keyword(a, 8);
			rnd_keyword(b, 8);
			rnd_text(t, mt, 20);
			am_authres_add_prop(ar, a, b, t);
			OK(am_buf_printf(want, " %s.%s=<%s>", a, b, mt));
		}
	}
	return ar;
}

/* longest_line - characters on the longest line (the first counts the name). */
static size_t
longest_line(const char *s)
{
	size_t max = 0, col = 24;

	for (; *s; s++) {
		if (*s == '\n') {
			max = col > max ? col : max;
			col = 0;
		} else
			col++;
	}
	return col > max ? col : max;
}

START_TEST(test_roundtrip_generated)
{
	struct am_authres *ar;
	struct am_buf want;
	char *got, *d;
	int n;

	rng_state = 0x5eed;
	am_buf_init(&want, OUT_MAX);
	for (n = 0; n < 5000; n++) {
		am_buf_reset(&want);
		ar = rnd_case(&want);
		got = format(ar);
		ck_assert_ptr_nonnull(got);
		ck_assert_msg(strpbrk(got, "\r\x01\x7f") == NULL,
		    "case %d: control character in %s", n, got);
		ck_assert_msg(longest_line(got) <= 78,
		    "case %d: line of %zu in %s", n, longest_line(got), got);
		d = parse_dump(got, strlen(got));
		ck_assert_msg(strcmp(d, am_buf_str(&want)) == 0,
		    "case %d: %s: got %s, want %s", n, got, d,
		    am_buf_str(&want));
		free(d);
		free(got);
		am_authres_free(ar);
	}
	am_buf_release(&want);
}
END_TEST

/* ------------------------------------------------------------- parser */

static const struct parse_case {
	const char *name;
	const char *in;
	const char *want;	/* dump, or "PERMFAIL" */
} parse_cases[] = {
	/* RFC 8601 Appendix B */
	{ "B.2 none with version", "example.org 1; none",
	    "example.org v1; none" },
	{ "B.3 spf", "example.com; spf=pass smtp.mailfrom=example.net",
	    "example.com v1; spf=pass smtp.mailfrom=<example.net>" },
	{ "B.4 auth and spf", "example.com;\r\n          auth=pass (cram-md5)"
	    " smtp.auth=sender@example.net;\r\n          spf=pass"
	    " smtp.mailfrom=example.net", "example.com v1; auth=pass"
	    " smtp.auth=<sender@example.net>; spf=pass"
	    " smtp.mailfrom=<example.net>" },
	{ "B.4 iprev",
	    "example.com; iprev=pass\r\n          policy.iprev=192.0.2.200",
	    "example.com v1; iprev=pass policy.iprev=<192.0.2.200>" },
	{ "B.5 dkim", "example.com;\r\n          dkim=pass (good signature)"
	    " header.d=mail-router.example.net;\r\n          dkim=fail"
	    " (bad signature) header.d=newyork.example.com",
	    "example.com v1; dkim=pass header.d=<mail-router.example.net>;"
	    " dkim=fail header.d=<newyork.example.com>" },
	{ "B.6 dkim with header.i and header.b", "mail-router.example.net;\r\n"
	    "          dkim=pass (good signature)"
	    " header.d=newyork.example.com\r\n"
	    "                header.b=oINEO8hg;\r\n          dkim=fail (bad"
	    " signature) header.d=mail-router.example.net\r\n"
	    "                header.i=@mail-router.example.net",
	    "mail-router.example.net v1;"
	    " dkim=pass header.d=<newyork.example.com>"
	    " header.b=<oINEO8hg>; dkim=fail header.d=<mail-router.example.net>"
	    " header.i=<@mail-router.example.net>" },
	{ "B.7 comment-heavy", "foo.example.net (foobar) 1 (baz);\r\n"
	    "    dkim (Because I like it) / 1 (One yay) = (wait for it)"
	    " fail\r\n"
	    "      policy (A dot can go here) . (like that) expired\r\n"
	    "      (this surprised me) = (as I wasn't expecting it) 1362471462",
	    "foo.example.net v1; dkim=fail policy.expired=<1362471462>" },
	/* the rest of the grammar */
	{ "none without space", "example.com;none", "example.com v1; none" },
	{ "none, case and CFWS", " (c) example.com (c) ; (c) NONE (c) ",
	    "example.com v1; none" },
	{ "quoted id", "\"mx.example.org/4XyZ1\"; none",
	    "mx.example.org/4XyZ1 v1; none" },
	{ "quoted id with pairs", "\"a\\\"b\\\\c\"; none", "a\"b\\c v1; none" },
	{ "version 2", "example.com 2; none", "example.com v2; none" },
	{ "lower-casing",
	    "example.com; SPF=PASS SMTP.MailFrom=User@Example.NET",
	    "example.com v1; spf=pass smtp.mailfrom=<User@Example.NET>" },
	{ "reason quoted", "h; dkim=fail reason=\"bad sig\" header.d=x.org",
	    "h v1; dkim=fail reason=<bad sig> header.d=<x.org>" },
	{ "reason token", "h; dkim=fail (c) reason = no-key",
	    "h v1; dkim=fail reason=<no-key>" },
	{ "quoted local-part",
	    "h; spf=pass smtp.mailfrom=\"john doe\"@example.com",
	    "h v1; spf=pass smtp.mailfrom=<john doe@example.com>" },
	{ "quoted pvalue", "h; spf=pass smtp.mailfrom=\"a;b (c)\"",
	    "h v1; spf=pass smtp.mailfrom=<a;b (c)>" },
	{ "empty quoted pvalue", "h; spf=pass smtp.mailfrom=\"\"",
	    "h v1; spf=pass smtp.mailfrom=<>" },
	{ "VERP mailfrom",
	    "h; spf=pass smtp.mailfrom=bounce+a=b.org@example.net",
	    "h v1; spf=pass smtp.mailfrom=<bounce+a=b.org@example.net>" },
	{ "bare base64 header.b", "h; dkim=pass header.b=Ab/+9z=",
	    "h v1; dkim=pass header.b=<Ab/+9z=>" },
	{ "method version", "h; dkim/1=pass", "h v1; dkim=pass" },
	{ "LF folds", "h;\n\tspf=pass\n\tsmtp.mailfrom=x.org",
	    "h v1; spf=pass smtp.mailfrom=<x.org>" },
	{ "folded quoted string", "h; dkim=fail reason=\"a\r\n b\"",
	    "h v1; dkim=fail reason=<a b>" },
	{ "nested comment with pairs", "h; spf=pass (a (b (c)) \\) d) smtp.x=y",
	    "h v1; spf=pass smtp.x=<y>" },
	{ "comment holding ;", "h; dkim=pass (1024-bit key; secure) header.d=x",
	    "h v1; dkim=pass header.d=<x>" },
	{ "8-bit in quoted string", "h; x=pass a.b=\"\xc3\xa9\"",
	    "h v1; x=pass a.b=<\xc3\xa9>" },
	/* rejected */
	{ "empty", "", "PERMFAIL" },
	{ "only ;", ";", "PERMFAIL" },
	{ "only space", "  \r\n ", "PERMFAIL" },
	{ "only none", "none", "PERMFAIL" },
	{ "id only", "example.com", "PERMFAIL" },
	{ "id and ;", "example.com;", "PERMFAIL" },
	{ "trailing ;", "example.com; spf=pass;", "PERMFAIL" },
	{ "method only", "example.com; spf", "PERMFAIL" },
	{ "no result", "example.com; spf=", "PERMFAIL" },
	{ "unquoted job id", "mx.example.org/4XyZ1; none", "PERMFAIL" },
	{ "none then more", "example.com; none; spf=pass", "PERMFAIL" },
	{ "unterminated quote", "\"example.com; none", "PERMFAIL" },
	{ "unterminated comment", "example.com (abc; none", "PERMFAIL" },
	{ "unterminated pvalue quote", "h; a=b c.d=\"x", "PERMFAIL" },
	{ "backslash at the end", "h; a=b (x\\", "PERMFAIL" },
	{ "prop without value", "h; spf=pass smtp.mailfrom", "PERMFAIL" },
	{ "prop without =", "h; spf=pass smtp.mailfrom x", "PERMFAIL" },
	{ "angle address", "h; spf=pass smtp.mailfrom=<a@b.org>", "PERMFAIL" },
	{ "reason of two words", "h; dkim=fail reason=bad sig", "PERMFAIL" },
	{ "two reasons", "h; dkim=fail reason=a reason=b", "PERMFAIL" },
	{ "reason after prop", "h; dkim=fail a.b=c reason=d", "PERMFAIL" },
	{ "empty method version", "h; dkim/=pass", "PERMFAIL" },
	{ "junk after version", "h 1x; none", "PERMFAIL" },
	{ "version too long", "h 12345678901; none", "PERMFAIL" },
	{ "quoted id glued to version", "\"h\"1; none", "PERMFAIL" },
	{ "quoted value glued to prop", "h; a=b c.d=\"x\"e.f=g", "PERMFAIL" },
	{ "control in comment", "h; a=b (\x01)", "PERMFAIL" },
	{ "control in quoted string", "h; a=b c.d=\"\x1b[2J\"", "PERMFAIL" },
	{ "DEL in quoted-pair", "h; a=b c.d=\"\\\x7f\"", "PERMFAIL" },
	{ "stray )", "h; a=b )", "PERMFAIL" },
	{ "double ;", "h;; a=b", "PERMFAIL" },
};

START_TEST(test_parse_table)
{
	const struct parse_case *c = &parse_cases[_i];
	char *got = parse_dump(c->in, strlen(c->in));

	ck_assert_msg(strcmp(got, c->want) == 0, "%s: got %s, want %s", c->name,
	    got, c->want);
	free(got);
}
END_TEST

/* test_parse_roundtrip - every accepted case survives rebuild + format. */
START_TEST(test_parse_roundtrip)
{
	const struct parse_case *c = &parse_cases[_i];
	struct am_authres_parsed *p;
	struct am_authres *ar;
	char *text, *d1, *d2;

	if (am_authres_parse(c->in, strlen(c->in), &p, NULL) != AM_OK)
		return;
	ar = rebuild(p);
	text = format(ar);
	d1 = dump(p);
	d2 = parse_dump(text, strlen(text));
	if (p->version != 1)	/* the builder always writes version 1 */
		d1[strlen(p->authserv_id) + 2] = '1';
	ck_assert_msg(strcmp(d1, d2) == 0, "%s: got %s, want %s", c->name, d2,
	    d1);
	free(d1);
	free(d2);
	free(text);
	am_authres_free(ar);
	am_authres_parsed_free(p);
}
END_TEST

/* hostile - an owned buffer of n bytes: head, then fill repeated, then tail. */
static char *
hostile(const char *head, char fill, size_t n, const char *tail)
{
	char *s = am_xmalloc(n + 1);
	size_t h = strlen(head), t = strlen(tail);

	memset(s, fill, n);
	memcpy(s, head, h);
	memcpy(s + n - t, tail, t);
	s[n] = '\0';
	return s;
}

static void
want_fail(const char *what, const char *s, size_t len)
{
	struct am_authres_parsed *p = (void *)1;
	struct am_why why = { "" };

	ck_assert_msg(am_authres_parse(s, len, &p, &why) == AM_PERMFAIL,
	    "%s: got ok, want PERMFAIL", what);
	ck_assert_ptr_null(p);
	ck_assert_msg(why.text[0], "%s: no reason", what);
}

START_TEST(test_parse_hostile)
{
	static const char nul[] = "example.com;\0 none";
	char *s, *d;
	size_t i;

	s = hostile("", '(', 10000, "");
	want_fail("10000 open parentheses", s, 10000);
	free(s);
	s = hostile("h; a=b ", '(', 20000, "");
	memset(s + 10007, ')', 9993);
	want_fail("10000 nested parentheses", s, 20000);
	free(s);
	s = hostile("h; a=b ", '(', 7 + 64 + 64, "");
	memset(s + 7 + 64, ')', 64);
	d = parse_dump(s, strlen(s));
	ck_assert_str_eq(d, "h v1; a=b");
	free(d);
	free(s);
	s = hostile("h; a=b ", '(', 7 + 65 + 65, "");
	memset(s + 7 + 65, ')', 65);
	want_fail("65 nested parentheses", s, strlen(s));
	free(s);
	want_fail("NUL inside len", nul, sizeof(nul) - 1);
	want_fail("NUL in quoted id", "\"a\0b\"; none", 11);
	want_fail("len 0 with NULL", NULL, 0);
	s = hostile("h; a=b c.d=\"", 'x', 2 * 1024 * 1024, "\"");
	want_fail("2 MiB header", s, strlen(s));
	free(s);
	s = hostile("h", ' ', 1024 * 1024, "; none");
	free(parse_dump(s, strlen(s)));
	/* cut short at every length: never reads past len (ASan, valgrind) */
	for (i = 0; i < strlen(parse_cases[6].in); i++) {
		char *cut = am_xmemdup(parse_cases[6].in, i);

		free(parse_dump(cut, i));
		free(cut);
	}
	free(s);
}
END_TEST

/* many - "h" then n resinfos of m props each. */
static char *
many(size_t n, size_t m)
{
	struct am_buf b;
	size_t i, j;

	am_buf_init(&b, OUT_MAX);
	OK(am_buf_puts(&b, "h"));
	for (i = 0; i < n; i++) {
		ck_assert(am_buf_puts(&b, "; spf=pass") == AM_OK);
		for (j = 0; j < m; j++)
			OK(am_buf_puts(&b, " a.b=c"));
	}
	return am_buf_export(&b);
}

START_TEST(test_parse_limits)
{
	struct am_authres_parsed *p;
	char *s;

	s = many(256, 64);
	ck_assert(am_authres_parse(s, strlen(s), &p, NULL) == AM_OK);
	ck_assert_uint_eq(p->nmethods, 256);
	ck_assert_uint_eq(p->methods[255].nprops, 64);
	am_authres_parsed_free(p);
	free(s);
	s = many(257, 0);
	want_fail("257 results", s, strlen(s));
	free(s);
	s = many(1, 65);
	want_fail("65 props", s, strlen(s));
	free(s);
	ck_assert_ptr_null(am_authres_parsed_free(NULL));
}
END_TEST

/* ------------------------------------------------------------ is_ours */

static const struct ours_case {
	const char *name;
	const char *in;
	const char *id;
	bool want;
} ours_cases[] = {
	{ "forged ours, parsed (PITFALLS)", "mx.example.org; spf=pass"
	    " smtp.mailfrom=example.com", "mx.example.org", true },
	{ "ours, other case", "MX.Example.ORG; none", "mx.example.org", true },
	{ "ours, final dot", "MX.example.org.; spf=pass", "mx.example.org",
	    true },
	{ "ours, final dot in ours", "mx.example.org; none", "mx.example.org.",
	    true },
	{ "two final dots", "mx.example.org..; none", "mx.example.org", false },
	{ "ours, quoted", "\"mx.example.org\"; none", "mx.example.org", true },
	{ "ours, comment before", "(hi) mx.example.org (x); none",
	    "mx.example.org", true },
	{ "ours with version 9", "mx.example.org 9; none", "mx.example.org",
	    true },
	{ "job id quoted", "\"mx.example.org/4XyZ1\"; none",
	    "mx.example.org/4XyZ1", true },
	{ "job id bare (unparseable)", "mx.example.org/4XyZ1; spf=pass",
	    "mx.example.org/4XyZ1", true },
	{ "unparseable naming us", "mx.example.org spf=pass", "mx.example.org",
	    true },
	{ "unparseable, us in comment", "x (mx.example.org", "mx.example.org",
	    true },
	{ "unparseable, us split by comment", "mx(.)(x).example.org; <",
	    "mx.example.org", true },
	{ "unparseable, us split by quote", "mx\".\"example.org; <",
	    "mx.example.org", true },
	{ "unparseable, NUL", "mx.example.org\0; none", "mx.example.org",
	    true },
	{ "suffix look-alike", "mx.example.org.evil.com; spf=pass",
	    "mx.example.org", false },
	{ "prefix look-alike", "evil-mx.example.org; none", "mx.example.org",
	    false },
	{ "other id naming us in a value", "other.example; spf=pass"
	    " smtp.mailfrom=mx.example.org", "mx.example.org", false },
	{ "other id, us in a comment", "other.example (mx.example.org); none",
	    "mx.example.org", false },
	{ "unparseable other", "other.example; spf=pass;", "mx.example.org",
	    false },
	{ "empty", "", "mx.example.org", false },
};

START_TEST(test_is_ours)
{
	const struct ours_case *c = &ours_cases[_i];
	size_t len = strlen(c->in);
	bool got;

	if (strcmp(c->name, "unparseable, NUL") == 0)
		len = 21;
	got = am_authres_is_ours(c->in, len, c->id);
	ck_assert_msg(got == c->want, "%s: got %d, want %d", c->name, got,
	    c->want);
}
END_TEST

/* ------------------------------------------------------ interface misuse */

START_TEST(test_prop_without_method)
{
	struct am_authres *ar = am_authres_new("h");

	am_authres_add_prop(ar, "smtp", "mailfrom", "x");
}
END_TEST

START_TEST(test_bad_method)
{
	struct am_authres *ar = am_authres_new("h");

	am_authres_add_method(ar, "sp f", "pass", NULL, NULL);
}
END_TEST

START_TEST(test_empty_our_id)
{
	(void)am_authres_is_ours("h; none", 7, "");
}
END_TEST

static Suite *
authres_suite(void)
{
	Suite *s = suite_create("authres");
	TCase *tc = tcase_create("builder");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_format_golden, 0,
	    sizeof(fmt_cases) / sizeof(fmt_cases[0]));
	tcase_add_test(tc, test_format_cap);
	tcase_add_test(tc, test_format_fit);
	tcase_add_test(tc, test_format_long_unbreakable);
	tcase_add_test(tc, test_roundtrip_generated);
	suite_add_tcase(s, tc);
	tc = tcase_create("parser");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_parse_table, 0,
	    sizeof(parse_cases) / sizeof(parse_cases[0]));
	tcase_add_loop_test(tc, test_parse_roundtrip, 0,
	    sizeof(parse_cases) / sizeof(parse_cases[0]));
	tcase_add_test(tc, test_parse_hostile);
	tcase_add_test(tc, test_parse_limits);
	tcase_add_loop_test(tc, test_is_ours, 0,
	    sizeof(ours_cases) / sizeof(ours_cases[0]));
	suite_add_tcase(s, tc);
	if (am_test_can_fork()) {
		tc = tcase_create("misuse");
		tcase_add_test_raise_signal(tc, test_prop_without_method,
		    SIGABRT);
		tcase_add_test_raise_signal(tc, test_bad_method, SIGABRT);
		tcase_add_test_raise_signal(tc, test_empty_our_id, SIGABRT);
		suite_add_tcase(s, tc);
	}
	return s;
}

int
main(void)
{
	return am_test_run(authres_suite());
}
