/*
 * check_from.c - lib/from: RFC 5322 address lists (display names, quoting,
 * comments, groups, obsolete forms, folding, IDN), the PITFALLS.md From
 * cases, hostile input, envelope addresses and domain normalisation.
 * Every header case is parsed from an exact-size heap copy without a NUL,
 * so ASan and valgrind catch any read past len.
 */
#include "autoconf.h"

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "core/xalloc.h"
#include "core/buf.h"
#include "msg/from.h"

/*
 * fcase - one header value. want is the dump of the result (see dump()):
 * mailboxes joined by " | ", each `local@domain` or `"display" local@domain`,
 * "(empty)" for n = 0. When want is NULL the parse must fail with a reason
 * containing err.
 */
/* L63 - a 63-character label. */
#define L63 "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabc"

struct fcase {
	const char *name;
	const char *in;
	size_t len;		/* 0: strlen(in) */
	const char *want;
	const char *err;
};

static const struct fcase fcases[] = {
	/* plain forms */
	{ "bare", "a@example.com", 0, "a@example.com", NULL },
	{ "leading space", " a@example.com", 0, "a@example.com", NULL },
	{ "name-addr", " Joe <joe@example.com>", 0,
	    "\"Joe\" joe@example.com", NULL },
	{ "angle only", "<joe@example.com>", 0, "joe@example.com", NULL },
	{ "trailing space", "a@example.com \t", 0, "a@example.com", NULL },
	{ "quoted display", "\"Joe Q. Public\" <jqp@example.com>", 0,
	    "\"Joe Q. Public\" jqp@example.com", NULL },
	{ "quoted-pair display", "\"a\\\"b\" <x@example.com>", 0,
	    "\"a\"b\" x@example.com", NULL },
	{ "quoted-pair backslash", "\"a\\\\\" <x@example.com>", 0,
	    "\"a\\\" x@example.com", NULL },
	{ "empty quoted display", "\"\" <x@example.com>", 0,
	    "\"\" x@example.com", NULL },
	{ "obs-phrase", "John Q. Public <jqp@example.com>", 0,
	    "\"John Q. Public\" jqp@example.com", NULL },
	{ "mixed phrase", "Joe \"the\" Smith <j@example.com>", 0,
	    "\"Joe the Smith\" j@example.com", NULL },
	{ "encoded-word kept", "=?utf-8?q?J=C3=B6rg?= <j@example.com>", 0,
	    "\"=?utf-8?q?J=C3=B6rg?=\" j@example.com", NULL },
	{ "raw utf-8 display", "J\xc3\xb6rg <j@example.com>", 0,
	    "\"J\xc3\xb6rg\" j@example.com", NULL },
	{ "quoted local", "\"john doe\"@example.com", 0,
	    "john doe@example.com", NULL },
	{ "quoted local with @", "\"a\\\"b@evil.example\"@good.example", 0,
	    "a\"b@evil.example@good.example", NULL },
	{ "obs-local-part", "\"john\".doe@example.com", 0,
	    "john.doe@example.com", NULL },
	{ "dots in local (docomo)", "a..b.@docomo.ne.jp", 0,
	    "a..b.@docomo.ne.jp", NULL },
	{ "plus and slash local", "a+tag/x=y@example.com", 0,
	    "a+tag/x=y@example.com", NULL },
	/* comments */
	{ "comments everywhere", "(c) a (d) @ (e) example.com (f)", 0,
	    "a@example.com", NULL },
	{ "nested comments", "a@example.com (outer (inner (deep)) \\) x)", 0,
	    "a@example.com", NULL },
	{ "comment holds address", "a@example.com (b@evil.example)", 0,
	    "a@example.com", NULL },
	{ "CFWS around dots", "a . b @ example (x) . com", 0,
	    "a.b@example.com", NULL },
	{ "RFC 5322 A.5 Pete",
	    "Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>",
	    0, "\"Pete\" pete@silly.test", NULL },
	/* lists and groups */
	{ "two bare", "a@x.example, b@y.example", 0,
	    "a@x.example | b@y.example", NULL },
	{ "two angle (PITFALLS first vs last)",
	    "<a@x.example>, <b@y.example>", 0,
	    "a@x.example | b@y.example", NULL },
	{ "RFC 5322 A.1.2 list",
	    "Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>",
	    0, "\"Mary Smith\" mary@x.test | jdoe@example.org | "
	    "\"Who?\" one@y.test", NULL },
	{ "RFC 5322 A.1.2 quoted specials",
	    "<boss@nil.test>, \"Giant; \\\"Big\\\" Box\" "
	    "<sysservices@example.net>", 0,
	    "boss@nil.test | \"Giant; \"Big\" Box\" sysservices@example.net",
	    NULL },
	{ "group", "team: a@x.example, B <b@y.example>;", 0,
	    "a@x.example | \"B\" b@y.example", NULL },
	{ "RFC 5322 A.1.3 group",
	    "A Group(Some people):Chris Jones <c@(Chris's host.)public.example>,"
	    " joe@example.org,\r\n John <jdoe@one.test> (my dear friend); "
	    "(the end of the group)", 0,
	    "\"Chris Jones\" c@public.example | joe@example.org | "
	    "\"John\" jdoe@one.test", NULL },
	{ "empty group", "undisclosed-recipients:;", 0, "(empty)", NULL },
	{ "empty group with CFWS", "undisclosed-recipients: (none) ;", 0,
	    "(empty)", NULL },
	{ "group and mailboxes", "a@x.example, g:;, b@y.example", 0,
	    "a@x.example | b@y.example", NULL },
	{ "obs empty elements", ",a@x.example,,b@y.example,", 0,
	    "a@x.example | b@y.example", NULL },
	{ "obs group list", "g: , ,;", 0, "(empty)", NULL },
	{ "obs route", "<@relay.example,@r2.example:joe@example.com>", 0,
	    "joe@example.com", NULL },
	{ "obs route with name", "Joe <@relay.example:joe@example.com>", 0,
	    "\"Joe\" joe@example.com", NULL },
	/* display names are never the address (PITFALLS) */
	{ "quoted display holds address",
	    "\"<evil@attacker.example>\" <me@example.com>", 0,
	    "\"<evil@attacker.example>\" me@example.com", NULL },
	{ "quoted display holds name-addr",
	    "\"Evil <evil@attacker.example>\" <me@example.com>", 0,
	    "\"Evil <evil@attacker.example>\" me@example.com", NULL },
	{ "quoted display holds bare address",
	    "\"evil@attacker.example\" <me@example.com>", 0,
	    "\"evil@attacker.example\" me@example.com", NULL },
	/* domains */
	{ "IDN", "user@b\xc3\xbc" "cher.example", 0,
	    "user@xn--bcher-kva.example", NULL },
	{ "IDN upper case", "user@B\xc3\x9c" "CHER.Example", 0,
	    "user@xn--bcher-kva.example", NULL },
	{ "IDN in name-addr", "B\xc3\xbc" "cher <info@b\xc3\xbc" "cher.example>",
	    0, "\"B\xc3\xbc" "cher\" info@xn--bcher-kva.example", NULL },
	{ "A-label kept", "a@XN--BCHER-KVA.example", 0,
	    "a@xn--bcher-kva.example", NULL },
	{ "upper case domain", "Joe.User@EXAMPLE.COM", 0,
	    "Joe.User@example.com", NULL },
	{ "trailing dot", "a@example.com.", 0, "a@example.com", NULL },
	{ "trailing dot in angle", "<a@example.com.>", 0, "a@example.com",
	    NULL },
	{ "single label", "root@localhost", 0, "root@localhost", NULL },
	{ "domain literal", "a@[192.0.2.1]", 0, "a@[192.0.2.1]", NULL },
	{ "IPv6 literal", "<a@[IPv6:2001:DB8::1]>", 0,
	    "a@[ipv6:2001:db8::1]", NULL },
	{ "literal with FWS", "a@[ 192.0.2.1 ]", 0, "a@[192.0.2.1]", NULL },
	{ "63-char label", "a@" L63 ".x", 0, "a@" L63 ".x", NULL },
	/* folding */
	{ "folded CRLF", "Joe\r\n <joe@example.com>", 0,
	    "\"Joe\" joe@example.com", NULL },
	{ "folded LF", "Joe\n\t<joe@example.com>", 0,
	    "\"Joe\" joe@example.com", NULL },
	{ "folded in quoted", "\"Joe\r\n Smith\" <j@example.com>", 0,
	    "\"Joe Smith\" j@example.com", NULL },
	{ "folded in comment", "a@example.com (x\r\n y)", 0,
	    "a@example.com", NULL },
	{ "folded list", "a@x.example,\r\n\tb@y.example", 0,
	    "a@x.example | b@y.example", NULL },
	{ "trailing CRLF", "a@example.com\r\n", 0, "a@example.com", NULL },
	/* len is obeyed */
	{ "len shorter than string", "a@example.comZZZ", 13, "a@example.com",
	    NULL },
	{ "len cuts domain", "a@example.com", 5, "a@exa", NULL },
	/* PITFALLS: unbalanced brackets */
	{ "unbalanced >", "a@example.com>", 0, NULL, "'>' without '<'" },
	{ "leading >", ">a@example.com", 0, NULL, "'>' without '<'" },
	{ "name then >", "Joe > a@example.com", 0, NULL, "'>' without '<'" },
	{ "reversed brackets", "Joe >a@example.com<", 0, NULL,
	    "'>' without '<'" },
	{ "unbalanced <", "Joe <a@example.com", 0, NULL, "'<' without '>'" },
	{ "double <", "Joe <<a@example.com>>", 0, NULL, "unexpected '<'" },
	{ "nested angle", "<a@x.example <b@y.example>>", 0, NULL,
	    "unexpected '<'" },
	{ "extra >", "<a@example.com>>", 0, NULL, "'>' without '<'" },
	/* other syntax errors */
	{ "two angles no comma", "<a@x.example> <b@y.example>", 0, NULL,
	    "after address" },
	{ "two bare no comma", "a@x.example b@y.example", 0, NULL,
	    "after address" },
	{ "text after address", "a@example.com junk", 0, NULL,
	    "after address" },
	{ "unquoted comma in name", "Smith, John <j@example.com>", 0, NULL,
	    "without '@'" },
	{ "unquoted space local", "John Smith@example.com", 0, NULL,
	    "unquoted space in local-part" },
	{ "no @", "joe", 0, NULL, "without '@'" },
	{ "empty local", "@example.com", 0, NULL, "empty local-part" },
	{ "empty quoted local", "\"\"@example.com", 0, NULL,
	    "empty local-part" },
	{ "dot local", ".@example.com", 0, NULL, "empty local-part" },
	{ "empty domain", "a@", 0, NULL, "instead of a domain" },
	{ "empty domain in angle", "<a@>", 0, NULL, "instead of a domain" },
	{ "double @", "a@b@example.com", 0, NULL, "after address" },
	{ "empty label", "a@example..com", 0, NULL, "empty label" },
	{ "leading dot domain", "a@.example.com", 0, NULL,
	    "instead of a domain" },
	{ "two trailing dots", "a@example.com..", 0, NULL, "empty label" },
	{ "64-char label", "a@" L63 "d.x", 0, NULL, "longer than 63" },
	{ "underscore domain", "a@x_y.example", 0, NULL,
	    "invalid character in domain" },
	{ "hyphen label", "a@-x.example", 0, NULL, "starts with '-'" },
	{ "hyphen end label", "a@x-.example", 0, NULL, "ends with '-'" },
	{ "bang domain", "a@x!y.example", 0, NULL, "invalid character" },
	{ "bad UTF-8 domain", "a@b\xc3" "cher.example", 0, NULL, "invalid IDN" },
	{ "nested group", "g: h: a@x.example;;", 0, NULL,
	    "group inside a group" },
	{ "group without ;", "g: a@x.example", 0, NULL, "group without ';'" },
	{ "group without name", ": a@x.example;", 0, NULL,
	    "group without a name" },
	{ "; outside group", "a@x.example;", 0, NULL, "';' outside a group" },
	{ "unterminated quote", "\"Joe <a@example.com>", 0, NULL,
	    "unterminated quoted string" },
	{ "unterminated comment", "a@example.com (x", 0, NULL,
	    "unterminated comment" },
	{ "unterminated literal", "a@[192.0.2.1", 0, NULL,
	    "unterminated domain literal" },
	{ "bracket in literal", "a@[1[2]", 0, NULL, "bad byte in domain" },
	{ "stray )", "a@example.com)", 0, NULL, "')' without '('" },
	{ "stray ]", "a]@example.com", 0, NULL, "unexpected ']'" },
	{ "stray backslash", "a\\b@example.com", 0, NULL, "unexpected '\\'" },
	{ "backslash at end", "\"a\\", 0, NULL, "backslash at end" },
	{ "control char", "a\x01@example.com", 0, NULL,
	    "control character 0x01" },
	{ "DEL", "\"a\x7f\" <a@example.com>", 0, NULL,
	    "control character 0x7f" },
	{ "bare CR", "a@example.com\rb", 0, NULL, "bare CR" },
	{ "unfolded LF", "a@x.example,\nb@y.example", 0, NULL,
	    "line break not followed by whitespace" },
	{ "unfolded CRLF in quote", "\"a\r\nb\" <a@example.com>", 0, NULL,
	    "line break not followed" },
	{ "LF after backslash", "\"a\\\n b\" <a@example.com>", 0, NULL,
	    "line break after backslash" },
	{ "NUL inside len", "a@exa\0mple.com", 14, NULL, "NUL byte" },
	{ "NUL in quoted", "\"a\0\" <a@example.com>", 20, NULL, "NUL byte" },
	{ "NUL in comment", "a@example.com (\0)", 17, NULL, "NUL byte" },
	{ "empty", "", 0, NULL, "no address" },
	{ "only spaces", "   ", 0, NULL, "no address" },
	{ "only comment", "(nobody)", 0, NULL, "no address" },
	{ "only commas", ",,,", 0, NULL, "no address" },
	{ "only @", "@", 0, NULL, "empty local-part" },
	{ "empty angle", "<>", 0, NULL, "empty address '<>'" },
	{ "angle @", "<@>", 0, NULL, "instead of a domain" },
	{ "angle route only", "<@a.example:>", 0, NULL, "empty address" },
	{ "angle unterminated", "<a@example.com (x)", 0, NULL,
	    "'<' without '>'" },
	{ "name empty angle", "Joe <>", 0, NULL, "empty address '<>'" },
	{ "only dot", ".", 0, NULL, "instead of an address" },
	{ "only colon", ":", 0, NULL, "group without a name" },
	{ "only semicolon", ";", 0, NULL, "';'" },
	{ "bad route", "<@a.example b@c.example>", 0, NULL,
	    "in source route" },
};

/* dump - canonical text of a result (owned). */
static char *
dump(const struct am_from *f)
{
	struct am_buf b;
	size_t i;

	am_buf_init(&b, 1 << 20);
	if (f->n == 0)
		ck_assert(am_buf_puts(&b, "(empty)") == AM_OK);
	for (i = 0; i < f->n; i++) {
		const struct am_from_mailbox *m = &f->mbox[i];

		ck_assert_ptr_nonnull(m->local);
		ck_assert_ptr_nonnull(m->domain);
		ck_assert_msg(m->is_literal == (m->domain[0] == '['),
		    "is_literal %d for %s", m->is_literal, m->domain);
		ck_assert(am_buf_printf(&b, "%s%s%s%s%s@%s", i ? " | " : "",
		    m->display ? "\"" : "", m->display ? m->display : "",
		    m->display ? "\" " : "", m->local, m->domain) == AM_OK);
	}
	return am_buf_export(&b);
}

/* parse_exact - am_from_parse() on an exact-size heap copy (no NUL). */
static enum am_status
parse_exact(const char *in, size_t len, struct am_from **f,
    struct am_why *why)
{
	char *copy = am_xmalloc(len);
	enum am_status st;

	if (len)
		memcpy(copy, in, len);
	st = am_from_parse(copy, len, f, why);
	free(copy);
	return st;
}

START_TEST(test_from_table)
{
	const struct fcase *c = &fcases[_i];
	size_t len = c->len ? c->len : strlen(c->in);
	struct am_from *f = (struct am_from *)1;
	struct am_why why = { "" };
	enum am_status st;
	char *got;

	st = parse_exact(c->in, len, &f, &why);
	if (c->want == NULL) {
		ck_assert_msg(st == AM_PERMFAIL, "%s: got %s, want permfail",
		    c->name, am_status_name(st));
		ck_assert_msg(f == NULL, "%s: partial result", c->name);
		ck_assert_msg(strstr(why.text, c->err) != NULL,
		    "%s: got reason \"%s\", want \"%s\"", c->name, why.text,
		    c->err);
		return;
	}
	ck_assert_msg(st == AM_OK, "%s: got %s (%s), want ok", c->name,
	    am_status_name(st), why.text);
	got = dump(f);
	ck_assert_msg(strcmp(got, c->want) == 0, "%s: got %s, want %s",
	    c->name, got, c->want);
	free(got);
	ck_assert(am_from_free(f) == NULL);
}
END_TEST

/* mailboxes - "a0@x.example, a1@x.example, ..." with n entries (owned). */
static char *
mailboxes(size_t n)
{
	struct am_buf b;
	size_t i;

	am_buf_init(&b, 1 << 20);
	for (i = 0; i < n; i++)
		ck_assert(am_buf_printf(&b, "%sa%zu@x.example",
		    i ? ", " : "", i) == AM_OK);
	return am_buf_export(&b);
}

START_TEST(test_from_limits)
{
	struct am_from *f;
	struct am_why why;
	char *s;

	s = mailboxes(AM_FROM_MAX_MAILBOXES);
	ck_assert(parse_exact(s, strlen(s), &f, &why) == AM_OK);
	ck_assert_msg(f->n == AM_FROM_MAX_MAILBOXES, "got n=%zu, want %d",
	    f->n, AM_FROM_MAX_MAILBOXES);
	ck_assert_str_eq(f->mbox[63].local, "a63");
	f = am_from_free(f);
	free(s);

	s = mailboxes(AM_FROM_MAX_MAILBOXES + 1);
	ck_assert(parse_exact(s, strlen(s), &f, &why) == AM_PERMFAIL);
	ck_assert_ptr_null(f);
	ck_assert_msg(strstr(why.text, "more than 64 mailboxes") != NULL,
	    "got %s", why.text);
	free(s);
}
END_TEST

/* nest - "a@example.com " + depth "(" + depth ")". */
static char *
nest(size_t depth, size_t *len)
{
	char *s = am_xmalloc(14 + 2 * depth);

	memcpy(s, "a@example.com ", 14);
	memset(s + 14, '(', depth);
	memset(s + 14 + depth, ')', depth);
	*len = 14 + 2 * depth;
	return s;
}

START_TEST(test_from_hostile)
{
	struct am_from *f;
	struct am_why why;
	size_t len;
	char *s;

	s = nest(AM_FROM_MAX_DEPTH, &len);
	ck_assert_msg(parse_exact(s, len, &f, &why) == AM_OK, "depth 32: %s",
	    why.text);
	f = am_from_free(f);
	free(s);

	s = nest(AM_FROM_MAX_DEPTH + 1, &len);
	ck_assert(parse_exact(s, len, &f, &why) == AM_PERMFAIL);
	ck_assert_msg(strstr(why.text, "nested too deeply"), "got %s",
	    why.text);
	free(s);

	s = nest(10000, &len);
	ck_assert(parse_exact(s, len, &f, &why) == AM_PERMFAIL);
	ck_assert_ptr_null(f);
	free(s);

	/* 10000 "(" and nothing else */
	s = nest(10000, &len);
	ck_assert(parse_exact(s + 14, 10000, &f, &why) == AM_PERMFAIL);
	free(s);
}
END_TEST

START_TEST(test_from_sizes)
{
	struct am_from *f;
	struct am_why why;
	size_t len;
	char *s;

	/* 1 MB of "a" */
	len = 1 << 20;
	s = am_xmalloc(len);
	memset(s, 'a', len);
	ck_assert(am_from_parse(s, len, &f, &why) == AM_PERMFAIL);
	ck_assert_msg(strstr(why.text, "longer than 65536"), "got %s",
	    why.text);
	/* the largest accepted size, still no "@" */
	ck_assert(am_from_parse(s, AM_FROM_MAX_LEN, &f, &why) ==
	    AM_PERMFAIL);
	ck_assert_msg(strstr(why.text, "without '@'"), "got %s", why.text);
	/* a long local-part is fine; a long domain is not */
	memcpy(s + 1000, "@x.example", 10);
	ck_assert(am_from_parse(s, 1010, &f, &why) == AM_OK);
	ck_assert_uint_eq(strlen(f->mbox[0].local), 1000);
	f = am_from_free(f);
	memcpy(s, "a@", 2);
	ck_assert(am_from_parse(s, 1000, &f, &why) == AM_PERMFAIL);
	ck_assert_msg(strstr(why.text, "longer than 253"), "got %s",
	    why.text);
	free(s);

	/* 1 MB of "," and of "<" */
	len = AM_FROM_MAX_LEN;
	s = am_xmalloc(len);
	memset(s, ',', len);
	ck_assert(am_from_parse(s, len, &f, &why) == AM_PERMFAIL);
	ck_assert_msg(strstr(why.text, "no address"), "got %s", why.text);
	memset(s, '<', len);
	ck_assert(am_from_parse(s, len, &f, &why) == AM_PERMFAIL);
	memset(s, '"', len);
	ck_assert(am_from_parse(s, len, &f, &why) == AM_PERMFAIL);
	free(s);
	ck_assert(am_from_parse("", 0, &f, NULL) == AM_PERMFAIL);
}
END_TEST

START_TEST(test_from_long_domain)
{
	struct am_from *f;
	struct am_why why;
	char s[400];
	size_t i, n;

	/* 253 characters: 63+1+63+1+63+1+61 */
	n = 0;
	s[n++] = 'a';
	s[n++] = '@';
	for (i = 0; i < 253; i++)
		s[n++] = (i % 64 == 63) ? '.' : 'd';
	ck_assert(parse_exact(s, n, &f, &why) == AM_OK);
	ck_assert_uint_eq(strlen(f->mbox[0].domain), 253);
	f = am_from_free(f);
	s[n++] = 'd';
	ck_assert(parse_exact(s, n, &f, &why) == AM_PERMFAIL);
	ck_assert_msg(strstr(why.text, "longer than 253"), "got %s", why.text);
}
END_TEST

START_TEST(test_from_free_null)
{
	ck_assert_ptr_null(am_from_free(NULL));
}
END_TEST

START_TEST(test_from_null_value)
{
	struct am_from *f;

	if (am_from_parse(NULL, 0, &f, NULL) == AM_OK)
		ck_abort_msg("returned");
}
END_TEST

/* ecase - one envelope address; want "local|domain" or NULL and err. */
struct ecase {
	const char *in;
	const char *want;
	const char *err;
};

static const struct ecase ecases[] = {
	{ "user@example.com", "user|example.com", NULL },
	{ "<user@example.com>", "user|example.com", NULL },
	{ "User@EXAMPLE.COM.", "User|example.com", NULL },
	{ "\"john doe\"@example.com", "john doe|example.com", NULL },
	{ "\"a@b\"@example.com", "a@b|example.com", NULL },
	{ "\"a\\\"b\"@example.com", "a\"b|example.com", NULL },
	{ "@a.example,@b.example:user@example.com", "user|example.com",
	    NULL },
	{ "<@a.example:user@example.com>", "user|example.com", NULL },
	{ "user@b\xc3\xbc" "cher.example", "user|xn--bcher-kva.example", NULL },
	{ "user@[192.0.2.1]", "user|[192.0.2.1]", NULL },
	{ "user@[IPv6:2001:DB8::1]", "user|[ipv6:2001:db8::1]", NULL },
	{ "SRS0=HHH=TT=example.org=user@example.com",
	    "SRS0=HHH=TT=example.org=user|example.com", NULL },
	{ "a..b@docomo.ne.jp", "a..b|docomo.ne.jp", NULL },
	{ "", NULL, "null sender" },
	{ "<>", NULL, "null sender" },
	{ "user", NULL, "missing '@'" },
	{ "user@", NULL, "instead of a domain" },
	{ "@example.com", NULL, "in source route" },
	{ "@bad_domain:user@example.com", NULL, "invalid character" },
	{ "us er@example.com", NULL, "unexpected ' '" },
	{ "user@exa mple.com", NULL, "unexpected ' '" },
	{ "user(c)@example.com", NULL, "unexpected '('" },
	{ "user@example.com>", NULL, "unexpected '>'" },
	{ "Joe <user@example.com>", NULL, "unexpected ' '" },
	{ "a@x.example,b@y.example", NULL, "unexpected ','" },
	{ "\"unterminated@example.com", NULL, "unterminated" },
	{ "\"\"@example.com", NULL, "empty local-part" },
	{ "user@x_y.example", NULL, "invalid character" },
	{ "user@@example.com", NULL, "instead of a domain" },
	{ "user@example.com\r\n", NULL, "unexpected '\r'" },
};

START_TEST(test_addr_spec_table)
{
	const struct ecase *c = &ecases[_i];
	char *local = (char *)1, *domain = (char *)1, got[600];
	struct am_why why = { "" };
	enum am_status st;

	st = am_addr_spec_parse(c->in, &local, &domain, &why);
	if (c->want == NULL) {
		ck_assert_msg(st == AM_PERMFAIL, "\"%s\": got %s, want permfail",
		    c->in, am_status_name(st));
		ck_assert(local == NULL && domain == NULL);
		ck_assert_msg(strstr(why.text, c->err) != NULL,
		    "\"%s\": got reason \"%s\", want \"%s\"", c->in, why.text,
		    c->err);
		return;
	}
	ck_assert_msg(st == AM_OK, "\"%s\": got %s (%s), want ok", c->in,
	    am_status_name(st), why.text);
	(void)snprintf(got, sizeof(got), "%s|%s", local, domain);
	ck_assert_msg(strcmp(got, c->want) == 0, "\"%s\": got %s, want %s",
	    c->in, got, c->want);
	free(local);
	free(domain);
}
END_TEST

START_TEST(test_addr_spec_long)
{
	char *s = am_xmalloc(AM_ADDR_MAX_LEN + 100), *local, *domain;
	struct am_why why;

	memset(s, 'a', AM_ADDR_MAX_LEN + 99);
	memcpy(s + AM_ADDR_MAX_LEN - 10, "@x.example", 11);
	ck_assert(am_addr_spec_parse(s, &local, &domain, &why) == AM_OK);
	ck_assert_str_eq(domain, "x.example");
	free(local);
	free(domain);
	memset(s, 'a', AM_ADDR_MAX_LEN + 99);
	memcpy(s + AM_ADDR_MAX_LEN - 9, "@x.example", 11);
	ck_assert(am_addr_spec_parse(s, &local, &domain, &why) ==
	    AM_PERMFAIL);
	ck_assert_msg(strstr(why.text, "longer than"), "got %s", why.text);
	memset(s, 'a', AM_ADDR_MAX_LEN + 99);
	s[AM_ADDR_MAX_LEN + 99] = '\0';
	ck_assert(am_addr_spec_parse(s, &local, &domain, &why) ==
	    AM_PERMFAIL);
	free(s);
}
END_TEST

/* dcase - am_domain_is_valid() and am_domain_normalise(). */
struct dcase {
	const char *in;
	bool want_valid;
	const char *want_norm;	/* NULL: normalise fails */
};

static const struct dcase dcases[] = {
	{ "example.com", true, "example.com" },
	{ "EXAMPLE.Com", true, "example.com" },
	{ "example.com.", false, "example.com" },
	{ "a", true, "a" },
	{ "a-b.c-d", true, "a-b.c-d" },
	{ "123.example", true, "123.example" },
	{ "xn--bcher-kva.example", true, "xn--bcher-kva.example" },
	{ "b\xc3\xbc" "cher.example", false, "xn--bcher-kva.example" },
	{ "B\xc3\x9c" "CHER.EXAMPLE.", false, "xn--bcher-kva.example" },
	{ "fa\xc3\x9f.de", false, "xn--fa-hia.de" },
	{ "b\xc3" "cher.example", false, NULL },
	{ "", false, NULL },
	{ ".", false, NULL },
	{ "..", false, NULL },
	{ ".example", false, NULL },
	{ "a..b", false, NULL },
	{ "-a.example", false, NULL },
	{ "a-.example", false, NULL },
	{ "a_b.example", false, NULL },
	{ "a b", false, NULL },
	{ "a@b", false, NULL },
	{ "[192.0.2.1]", false, NULL },
	{ L63 ".example", true, L63 ".example" },
	{ L63 "d.example", false, NULL },
	{ L63 "." L63 "." L63 "." "abcdefghijabcdefghijabcdefghijabcdefghij"
	    "abcdefghijabcdefghija", true, L63 "." L63 "." L63 "."
	    "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghija" },
	{ L63 "." L63 "." L63 "." "abcdefghijabcdefghijabcdefghijabcdefghij"
	    "abcdefghijabcdefghijab", false, NULL },
};

START_TEST(test_domain_table)
{
	const struct dcase *c = &dcases[_i];
	char out[AM_DOMAIN_MAX_LEN + 1];
	struct am_why why = { "" };
	enum am_status st;
	bool got;

	got = am_domain_is_valid(c->in);
	ck_assert_msg(got == c->want_valid, "valid(\"%s\"): got %d, want %d",
	    c->in, got, c->want_valid);
	st = am_domain_normalise(c->in, out, sizeof(out), &why);
	if (c->want_norm == NULL) {
		ck_assert_msg(st == AM_PERMFAIL, "normalise(\"%s\"): got %s "
		    "\"%s\", want permfail", c->in, am_status_name(st), out);
		ck_assert(why.text[0] != '\0');
		return;
	}
	ck_assert_msg(st == AM_OK, "normalise(\"%s\"): got %s (%s), want %s",
	    c->in, am_status_name(st), why.text, c->want_norm);
	ck_assert_msg(strcmp(out, c->want_norm) == 0,
	    "normalise(\"%s\"): got %s, want %s", c->in, out, c->want_norm);
	ck_assert(am_domain_is_valid(out));
}
END_TEST

START_TEST(test_domain_buffers)
{
	char buf[AM_DOMAIN_MAX_LEN + 1] = "Example.COM.";
	char small[8];
	struct am_why why;

	/* in and out may be the same buffer */
	ck_assert(am_domain_normalise(buf, buf, sizeof(buf), &why) == AM_OK);
	ck_assert_str_eq(buf, "example.com");
	/* too small is an error, never a truncation */
	ck_assert(am_domain_normalise("example.com", small, sizeof(small),
	    &why) == AM_PERMFAIL);
	ck_assert_msg(strstr(why.text, "does not fit"), "got %s", why.text);
	ck_assert(am_domain_normalise("example", small, sizeof(small),
	    NULL) == AM_OK);
	ck_assert_str_eq(small, "example");
}
END_TEST

/* from_suite - the abort test needs a fork (CK_FORK=no under valgrind). */
static Suite *
from_suite(bool can_fork)
{
	Suite *s = suite_create("from");
	TCase *tc = tcase_create("from");

	tcase_add_loop_test(tc, test_from_table, 0,
	    sizeof(fcases) / sizeof(fcases[0]));
	tcase_add_test(tc, test_from_limits);
	tcase_add_test(tc, test_from_hostile);
	tcase_add_test(tc, test_from_sizes);
	tcase_add_test(tc, test_from_long_domain);
	tcase_add_test(tc, test_from_free_null);
	if (can_fork)
		tcase_add_test_raise_signal(tc, test_from_null_value, SIGABRT);
	tcase_add_loop_test(tc, test_addr_spec_table, 0,
	    sizeof(ecases) / sizeof(ecases[0]));
	tcase_add_test(tc, test_addr_spec_long);
	tcase_add_loop_test(tc, test_domain_table, 0,
	    sizeof(dcases) / sizeof(dcases[0]));
	tcase_add_test(tc, test_domain_buffers);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(NULL);
	int failed;

	srunner_add_suite(sr, from_suite(srunner_fork_status(sr) != CK_NOFORK));
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
