/*
 * check_netaddr.c - unit tests for lib/core/netaddr.c (addresses, CIDR sets).
 * Cases are tables; failures read "got X, want Y". PITFALLS.md: inline IPv6
 * CIDRs must be accepted, and a v4-mapped client must match an IPv4 rule.
 */
#include "autoconf.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include <check.h>

#include "core/buf.h"
#include "core/xalloc.h"
#include "core/netaddr.h"
#include "testutil/testutil.h"

#define DATA AM_TOP_SRCDIR "/tests/data/config/"

/* ------------------------------------------------------------ am_addr */

static const struct {
	const char *in;		/* text to parse */
	enum am_status want_st;	/* expected status */
	int want_family;	/* expected family when OK */
	const char *want;	/* expected canonical text when OK */
} parse_cases[] = {
	{ "192.0.2.1", AM_OK, AF_INET, "192.0.2.1" },
	{ "[192.0.2.1]", AM_OK, AF_INET, "192.0.2.1" },
	{ "2001:DB8:0:0::1", AM_OK, AF_INET6, "2001:db8::1" },
	{ "[2001:db8::1]", AM_OK, AF_INET6, "2001:db8::1" },
	{ "::1", AM_OK, AF_INET6, "::1" },
	{ "::ffff:192.0.2.1", AM_OK, AF_INET, "192.0.2.1" },
	{ "[::FFFF:c000:0201]", AM_OK, AF_INET, "192.0.2.1" },
	{ "::192.0.2.1", AM_OK, AF_INET6, "::192.0.2.1" },
	{ "", AM_PERMFAIL, 0, NULL },
	{ "[]", AM_PERMFAIL, 0, NULL },
	{ "[192.0.2.1", AM_PERMFAIL, 0, NULL },
	{ "192.0.2.1]", AM_PERMFAIL, 0, NULL },
	{ "192.0.2", AM_PERMFAIL, 0, NULL },
	{ "192.0.2.256", AM_PERMFAIL, 0, NULL },
	{ " 192.0.2.1", AM_PERMFAIL, 0, NULL },
	{ "localhost", AM_PERMFAIL, 0, NULL },
	{ "192.0.2.0/24", AM_PERMFAIL, 0, NULL },
	{ "fe80::1%eth0", AM_PERMFAIL, 0, NULL },
	{ "1:2:3:4:5:6:7:8:9", AM_PERMFAIL, 0, NULL },
	{ "0000000000000000000000000000000000000000000000000000000000000000"
	  "0000000000000000000000000000000000000000000000000000000000000001",
	  AM_PERMFAIL, 0, NULL },
};

START_TEST(test_addr_parse)
{
	char buf[AM_ADDR_STRLEN];
	struct am_addr a;
	enum am_status st;

	st = am_addr_parse(parse_cases[_i].in, &a);
	ck_assert_msg(st == parse_cases[_i].want_st, "%s: got %s, want %s",
	    parse_cases[_i].in, am_status_name(st),
	    am_status_name(parse_cases[_i].want_st));
	if (st != AM_OK)
		return;
	ck_assert_msg(a.family == parse_cases[_i].want_family,
	    "%s: got family %d, want %d", parse_cases[_i].in, a.family,
	    parse_cases[_i].want_family);
	am_addr_format(&a, buf, sizeof(buf));
	ck_assert_msg(strcmp(buf, parse_cases[_i].want) == 0,
	    "%s: got %s, want %s", parse_cases[_i].in, buf,
	    parse_cases[_i].want);
}
END_TEST

START_TEST(test_addr_from_sockaddr)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct sockaddr_un sun;
	struct am_addr a;
	char buf[AM_ADDR_STRLEN];

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	ck_assert(inet_pton(AF_INET, "198.51.100.7", &sin.sin_addr) == 1);
	ck_assert_int_eq(am_addr_from_sockaddr((void *)&sin, &a), AM_OK);
	ck_assert_str_eq(am_addr_format(&a, buf, sizeof(buf)), "198.51.100.7");

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	ck_assert(inet_pton(AF_INET6, "2001:db8::7", &sin6.sin6_addr) == 1);
	ck_assert_int_eq(am_addr_from_sockaddr((void *)&sin6, &a), AM_OK);
	ck_assert_int_eq(a.family, AF_INET6);
	ck_assert_str_eq(am_addr_format(&a, buf, sizeof(buf)), "2001:db8::7");

	/* A dual-stack socket reports IPv4 clients as ::ffff:a.b.c.d. */
	ck_assert(inet_pton(AF_INET6, "::ffff:198.51.100.7",
	    &sin6.sin6_addr) == 1);
	ck_assert_int_eq(am_addr_from_sockaddr((void *)&sin6, &a), AM_OK);
	ck_assert_int_eq(a.family, AF_INET);
	ck_assert_str_eq(am_addr_format(&a, buf, sizeof(buf)), "198.51.100.7");

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	ck_assert_int_eq(am_addr_from_sockaddr((void *)&sun, &a), AM_PERMFAIL);
	ck_assert_int_eq(am_addr_from_sockaddr(NULL, &a), AM_PERMFAIL);
}
END_TEST

static const struct {
	const char *in;		/* address text */
	bool want;		/* loopback? */
} loopback_cases[] = {
	{ "127.0.0.1", true }, { "127.255.0.9", true }, { "::1", true },
	{ "::ffff:127.0.0.1", true }, { "128.0.0.1", false },
	{ "::2", false }, { "::", false }, { "10.0.0.1", false },
	{ "2001:db8::1", false },
};

START_TEST(test_addr_loopback)
{
	struct am_addr a;
	bool got;

	ck_assert_int_eq(am_addr_parse(loopback_cases[_i].in, &a), AM_OK);
	got = am_addr_is_loopback(&a);
	ck_assert_msg(got == loopback_cases[_i].want, "%s: got %d, want %d",
	    loopback_cases[_i].in, got, loopback_cases[_i].want);
}
END_TEST

/* ------------------------------------------------------------ am_netset */

static const struct {
	const char *in;		/* one entry for am_netset_add */
	const char *want_why;	/* NULL: accepted; else the exact reason */
} add_cases[] = {
	{ "10.0.0.0/8", NULL },
	{ "192.0.2.1", NULL },
	{ "192.0.2.1/32", NULL },
	{ "0.0.0.0/0", NULL },
	{ "2001:db8::/32", NULL },
	{ "[2001:db8::]/32", NULL },
	{ "[2001:db8::1]", NULL },
	{ "::/0", NULL },
	{ "::1/128", NULL },
	{ "::ffff:10.0.0.0/104", NULL },
	{ "10.0.0.1/8", "\"10.0.0.1/8\": host bits set below /8 "
	    "(network is 10.0.0.0)" },
	{ "192.0.2.128/24", "\"192.0.2.128/24\": host bits set below /24 "
	    "(network is 192.0.2.0)" },
	{ "2001:db8::1/32", "\"2001:db8::1/32\": host bits set below /32 "
	    "(network is 2001:db8::)" },
	{ "::ffff:10.0.0.1/104", "\"::ffff:10.0.0.1/104\": host bits set "
	    "below /104 (network is 10.0.0.0)" },
	{ "::ffff:10.0.0.0/64", "\"::ffff:10.0.0.0/64\": IPv4-mapped block "
	    "shorter than /96" },
	{ "10.0.0.0/33", "\"10.0.0.0/33\": bad prefix length (0..32)" },
	{ "2001:db8::/129", "\"2001:db8::/129\": bad prefix length (0..128)" },
	{ "10.0.0.0/", "\"10.0.0.0/\": bad prefix length (0..32)" },
	{ "10.0.0.0/-8", "\"10.0.0.0/-8\": bad prefix length (0..32)" },
	{ "10.0.0.0/8/8", "\"10.0.0.0/8/8\": bad prefix length (0..32)" },
	{ "10.0.0.0/0x8", "\"10.0.0.0/0x8\": bad prefix length (0..32)" },
	{ "10.0.0.0/0008", "\"10.0.0.0/0008\": bad prefix length (0..32)" },
	{ "localhost", "\"localhost\": not an IP address or CIDR block" },
	{ "/8", "\"/8\": not an IP address or CIDR block" },
	{ "", "\"\": not an IP address or CIDR block" },
	{ "[2001:db8::/32]", "\"[2001:db8::/32]\": not an IP address or "
	    "CIDR block" },
};

START_TEST(test_netset_add)
{
	struct am_netset *set = am_netset_new();
	struct am_why why = { "" };
	enum am_status st;

	st = am_netset_add(set, add_cases[_i].in, &why);
	if (add_cases[_i].want_why == NULL) {
		ck_assert_msg(st == AM_OK, "%s: got %s (%s), want ok",
		    add_cases[_i].in, am_status_name(st), why.text);
		ck_assert_uint_eq(am_netset_count(set), 1);
	} else {
		ck_assert_msg(st == AM_PERMFAIL, "%s: got %s, want permfail",
		    add_cases[_i].in, am_status_name(st));
		ck_assert_msg(strcmp(why.text, add_cases[_i].want_why) == 0,
		    "%s: got %s, want %s", add_cases[_i].in, why.text,
		    add_cases[_i].want_why);
		ck_assert_uint_eq(am_netset_count(set), 0);
	}
	am_netset_free(set);
}
END_TEST

static const struct {
	const char *addr;	/* client address */
	bool want;		/* in the set? */
} contains_cases[] = {
	{ "10.1.2.3", true },
	{ "11.0.0.0", false },
	{ "::ffff:10.1.2.3", true },	/* v4-mapped client, IPv4 rule */
	{ "192.168.1.255", true },
	{ "192.168.2.0", false },
	{ "2001:db8:ffff::1", true },
	{ "2001:db9::", false },
	{ "::1", true },
	{ "127.0.0.1", false },
	{ "172.16.9.9", true },		/* IPv4 client, v4-mapped rule */
	{ "::ffff:172.31.255.255", true },
	{ "172.32.0.0", false },
	{ "0.0.0.10", false },		/* must not match ::a etc. */
	{ "::a00:1", false },		/* IPv6 ::10.0.0.1 is not 10.0.0.1 */
};

START_TEST(test_netset_contains)
{
	struct am_netset *set = am_netset_new();
	struct am_why why = { "" };
	struct am_addr a;
	bool got;

	ck_assert_msg(am_netset_add_list(set, "10.0.0.0/8, 192.168.1.0/24 "
	    "2001:db8::/32,::1\t::ffff:172.16.0.0/108", &why) == AM_OK,
	    "got %s, want ok", why.text);
	ck_assert_uint_eq(am_netset_count(set), 5);
	ck_assert_int_eq(am_addr_parse(contains_cases[_i].addr, &a), AM_OK);
	got = am_netset_contains(set, &a);
	ck_assert_msg(got == contains_cases[_i].want, "%s: got %d, want %d",
	    contains_cases[_i].addr, got, contains_cases[_i].want);
	am_netset_free(set);
}
END_TEST

/* A caller that builds an am_addr by hand, still mapped, matches too. */
START_TEST(test_netset_contains_raw_mapped)
{
	struct am_netset *set = am_netset_new();
	struct am_addr a;

	ck_assert_int_eq(am_netset_add(set, "192.0.2.0/24", NULL), AM_OK);
	memset(&a, 0, sizeof(a));
	a.family = AF_INET6;
	ck_assert(inet_pton(AF_INET6, "::ffff:192.0.2.9", a.bytes) == 1);
	ck_assert(am_netset_contains(set, &a));
	ck_assert(!am_netset_contains(NULL, &a));
	am_netset_free(set);
}
END_TEST

static const struct {
	const char *name;	/* what the case shows */
	const char *list;	/* am_netset_add_list input */
	size_t want_count;	/* blocks when OK */
	const char *want_why;	/* NULL: OK; else the exact reason */
} list_cases[] = {
	{ "inline IPv6 (PITFALLS)", "2001:db8::/32", 1, NULL },
	{ "defaults", "127.0.0.0/8, ::1", 2, NULL },
	{ "empty", "", 0, NULL },
	{ "only separators", " ,\t, ,", 0, NULL },
	{ "mixed separators", "10.0.0.0/8,,192.0.2.0/24\t\n::1 ,", 3, NULL },
	{ "bad entry", "10.0.0.0/8, 10.0.0.1/8",
	  0, "\"10.0.0.1/8\": host bits set below /8 (network is 10.0.0.0)" },
	{ "missing file", "/nonexistent/authmilter/hosts", 0,
	  "/nonexistent/authmilter/hosts: No such file or directory" },
};

START_TEST(test_netset_list)
{
	struct am_netset *set = am_netset_new();
	struct am_why why = { "" };
	enum am_status st;

	st = am_netset_add_list(set, list_cases[_i].list, &why);
	if (list_cases[_i].want_why == NULL) {
		ck_assert_msg(st == AM_OK, "%s: got %s (%s), want ok",
		    list_cases[_i].name, am_status_name(st), why.text);
		ck_assert_msg(am_netset_count(set) == list_cases[_i].want_count,
		    "%s: got %zu blocks, want %zu", list_cases[_i].name,
		    am_netset_count(set), list_cases[_i].want_count);
	} else {
		ck_assert_msg(st == AM_PERMFAIL, "%s: got %s, want permfail",
		    list_cases[_i].name, am_status_name(st));
		ck_assert_msg(strcmp(why.text, list_cases[_i].want_why) == 0,
		    "%s: got %s, want %s", list_cases[_i].name, why.text,
		    list_cases[_i].want_why);
	}
	am_netset_free(set);
}
END_TEST

START_TEST(test_netset_file)
{
	struct am_netset *set = am_netset_new();
	struct am_why why = { "" };
	struct am_addr a;

	ck_assert_msg(am_netset_add_list(set, "::1 " DATA "hosts.cidr, "
	    DATA "hosts-crlf.cidr", &why) == AM_OK, "got %s, want ok",
	    why.text);
	ck_assert_uint_eq(am_netset_count(set), 8);
	ck_assert_int_eq(am_addr_parse("2001:db8:1::5", &a), AM_OK);
	ck_assert(am_netset_contains(set, &a));
	ck_assert_int_eq(am_addr_parse("192.0.2.200", &a), AM_OK);
	ck_assert(am_netset_contains(set, &a));
	ck_assert_int_eq(am_addr_parse("192.168.0.1", &a), AM_OK);
	ck_assert(!am_netset_contains(set, &a));
	am_netset_free(set);
}
END_TEST

START_TEST(test_netset_file_bad_line)
{
	struct am_netset *set = am_netset_new();
	struct am_why why = { "" };
	const char *want = DATA "hosts-bad.cidr:3: \"10.0.0.1/8\": host bits "
	    "set below /8 (network is 10.0.0.0)";

	ck_assert_int_eq(am_netset_add_list(set, DATA "hosts-bad.cidr", &why),
	    AM_PERMFAIL);
	ck_assert_msg(strcmp(why.text, want) == 0, "got %s, want %s",
	    why.text, want);
	am_netset_free(set);
}
END_TEST

/* file_why - the reason am_netset_add_list gives for a file's content. */
static void
check_file_why(const void *data, size_t len, const char *want_suffix)
{
	struct am_netset *set = am_netset_new();
	struct am_why why = { "" };
	char *path = am_test_temp_file(data, len), want[256];

	(void)snprintf(want, sizeof(want), "%s%s", path, want_suffix);
	ck_assert_int_eq(am_netset_add_list(set, path, &why), AM_PERMFAIL);
	ck_assert_msg(strcmp(why.text, want) == 0, "got %s, want %s",
	    why.text, want);
	unlink(path);
	free(path);
	am_netset_free(set);
}

START_TEST(test_netset_file_hostile)
{
	static const char nul[] = "10.0.0.0/8\n192.0.2.0/24\0junk\n";
	char *big = am_xmalloc(100001);

	check_file_why(nul, sizeof(nul) - 1, ":2: NUL byte in line");
	memset(big, '1', 100000);
	big[100000] = '\n';
	check_file_why(big, 100001, ":1: line too long");
	check_file_why("\n\n1.2.3.4 5.6.7.8\n", 17, ":3: \"1.2.3.4 5.6.7.8\": "
	    "not an IP address or CIDR block");
	free(big);
}
END_TEST

/* 10000 entries, inline and in a file: no crash, all kept. */
START_TEST(test_netset_many)
{
	struct am_netset *set = am_netset_new();
	struct am_buf b;
	struct am_why why = { "" };
	struct am_addr a;
	char *path;
	int i;

	am_buf_init(&b, 1 << 20);
	for (i = 0; i < 10000; i++)
		ck_assert(am_buf_printf(&b, "10.%d.%d.0/24\n", i / 256,
		    i % 256) == AM_OK);
	ck_assert_int_eq(am_netset_add_list(set, am_buf_str(&b), &why), AM_OK);
	ck_assert_uint_eq(am_netset_count(set), 10000);
	path = am_test_temp_file(am_buf_str(&b), b.len);
	ck_assert_int_eq(am_netset_add_list(set, path, &why), AM_OK);
	ck_assert_uint_eq(am_netset_count(set), 20000);
	ck_assert_int_eq(am_addr_parse("10.39.15.1", &a), AM_OK);
	ck_assert(am_netset_contains(set, &a));
	ck_assert_int_eq(am_addr_parse("10.39.16.1", &a), AM_OK);
	ck_assert(!am_netset_contains(set, &a));
	unlink(path);
	free(path);
	am_buf_release(&b);
	am_netset_free(set);
}
END_TEST

START_TEST(test_netset_free_null)
{
	ck_assert_ptr_null(am_netset_free(NULL));
	ck_assert_uint_eq(am_netset_count(NULL), 0);
}
END_TEST

#define NELEM(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *
netaddr_suite(void)
{
	Suite *s = suite_create("netaddr");
	TCase *tc = tcase_create("addr");

	tcase_add_loop_test(tc, test_addr_parse, 0, NELEM(parse_cases));
	tcase_add_test(tc, test_addr_from_sockaddr);
	tcase_add_loop_test(tc, test_addr_loopback, 0, NELEM(loopback_cases));
	suite_add_tcase(s, tc);
	tc = tcase_create("netset");
	tcase_add_loop_test(tc, test_netset_add, 0, NELEM(add_cases));
	tcase_add_loop_test(tc, test_netset_contains, 0,
	    NELEM(contains_cases));
	tcase_add_test(tc, test_netset_contains_raw_mapped);
	tcase_add_loop_test(tc, test_netset_list, 0, NELEM(list_cases));
	tcase_add_test(tc, test_netset_file);
	tcase_add_test(tc, test_netset_file_bad_line);
	tcase_add_test(tc, test_netset_file_hostile);
	tcase_add_test(tc, test_netset_many);
	tcase_add_test(tc, test_netset_free_null);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return am_test_run(netaddr_suite());
}
