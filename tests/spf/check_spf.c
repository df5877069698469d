/*
 * check_spf.c - lib/spf/spf.c and lib/spf/spf_dns.c against real libunbound local
 * data (no traffic), a loopback unbound daemon (cache test) and a dead
 * loopback forwarder (timeout). Never a stubbed resolver.
 */
#include "autoconf.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "core/am.h"
#include "msg/authres.h"
#include "core/buf.h"
#include "config/config.h"
#include "dns/dns.h"
#include "core/netaddr.h"
#include "spf/spf.h"
#include "spf/spf_rewrite.h"
#include "testutil/testdns.h"
#include "testutil/testrr.h"
#include "testutil/testutil.h"

#define LABEL "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static const char *const fixture_rrs[] = {
	"pass.example. 300 IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"",
	"fail.example. 300 IN TXT \"v=spf1 -all exp=exp.fail.example\"",
	"exp.fail.example. 300 IN TXT \"Sender %{s} from %{i} \" "
	    "\"is not allowed: see http://%{d}/why?%{L}\"",
	"soft.example. 300 IN TXT \"v=spf1 ~all\"",
	"neutral.example. 300 IN TXT \"v=spf1 ?all\"",
	"none.example. 300 IN TXT \"hello world\"",
	"syntax.example. 300 IN TXT \"v=spf1 foo:bar -all\"",
	"toomany.example. 300 IN TXT \"v=spf1 a:h.example a:h.example "
	    "a:h.example a:h.example a:h.example a:h.example a:h.example "
	    "a:h.example a:h.example a:h.example a:h.example -all\"",
	"ten.example. 300 IN TXT \"v=spf1 a:h.example a:h.example "
	    "a:h.example a:h.example a:h.example a:h.example a:h.example "
	    "a:h.example a:h.example a:h.example -all\"",
	"h.example. 300 IN A 198.51.100.1",
	"voids2.example. 300 IN TXT \"v=spf1 a:nx1.example a:nx2.example "
	    "-all\"",
	"voids3.example. 300 IN TXT \"v=spf1 a:nx1.example a:nx2.example "
	    "a:nx3.example -all\"",
	"mx.helo.example. 300 IN TXT \"v=spf1 ip4:192.0.2.10 -all\"",
	"v6.example. 300 IN TXT \"v=spf1 ip6:2001:db8::/32 -all\"",
	"inc.example. 300 IN TXT \"v=spf1 include:pass.example -all\"",
	"redir.example. 300 IN TXT \"v=spf1 redirect=pass.example\"",
	"ex.example. 300 IN TXT \"v=spf1 exists:%{i}.ex.example -all\"",
	"exr.example. 300 IN TXT \"v=spf1 exists:%{iR}.exr.example -all\"",
	"5.2.0.192.exr.example. 300 IN A 127.0.0.2",
	"192.0.2.5.ex.example. 300 IN A 127.0.0.2",
	"mx.example. 300 IN TXT \"v=spf1 mx -all\"",
	"mx.example. 300 IN MX 10 mail.mx.example.",
	"mail.mx.example. 300 IN A 192.0.2.20",
	"ptr.example. 300 IN TXT \"v=spf1 ptr -all\"",
	"30.2.0.192.in-addr.arpa. 300 IN PTR host.ptr.example.",
	"host.ptr.example. 300 IN A 192.0.2.30",
	"a.example. 300 IN TXT \"v=spf1 a -all\"",
	"a.example. 300 IN A 192.0.2.40",
	/* fixed in our layer (spf_rewrite, spf_dns), libspf2 still evaluates */
	"ip0.example. 300 IN TXT \"v=spf1 -ip4:10.0.0.0/0 +ip6:::/0 +all\"",
	"a0.example. 300 IN TXT \"v=spf1 a:h.example/0 -all\"",
	"a0nx.example. 300 IN TXT \"v=spf1 a:nx1.example/0 -all\"",
	"a0v6.example. 300 IN TXT \"v=spf1 a:h.example//0 -all\"",
	"h.example. 300 IN AAAA 2001:db8::99",
	"mx0.example. 300 IN TXT \"v=spf1 mx:mx.example/0//0 -all\"",
	"mod.example. 300 IN TXT \"v=spf1 moo.cow-far_out=man:dog/cat "
	    "ip4:192.0.2.0/24 -all\"",
	"redirfirst.example. 300 IN TXT \"v=spf1 redirect=fail.example "
	    "ip4:192.0.2.0/24\"",
	"overinc.example. 300 IN TXT \"v=spf1 include:ten.example -all\"",
	"nine.example. 300 IN TXT \"v=spf1 a:h.example a:h.example "
	    "a:h.example a:h.example a:h.example a:h.example a:h.example "
	    "a:h.example a:h.example\"",
	"atinc.example. 300 IN TXT \"v=spf1 include:nine.example -all\"",
	"alias.example. 300 IN CNAME pass.example.",
	"loop1.example. 300 IN CNAME loop2.example.",
	"loop2.example. 300 IN CNAME loop1.example.",
	NULL,
};

static struct am_dns *dns;	/* per test */
static struct am_spf *spf;	/* per test */
static struct am_config *cfg;	/* per test: built-in defaults */

/* setup - a local_only resolver with the fixture and one am_spf. */
static void
setup(void)
{
	struct am_why why;

	cfg = am_config_defaults();
	dns = am_test_dns_local(fixture_rrs, "refused.example");
	spf = am_spf_new(dns, cfg, &why);
	ck_assert_msg(spf != NULL, "am_spf_new: %s", why.text);
}

static void
teardown(void)
{
	spf = am_spf_free(spf);
	dns = am_dns_free(dns);
	cfg = am_config_unref(cfg);
}

/* check - evaluate with client ip text; results into mf, he. */
static void
check(const char *ip, const char *helo, const char *from,
    struct am_spf_result *mf, struct am_spf_result *he)
{
	struct am_addr a;

	ck_assert_msg(am_addr_parse(ip, &a) == AM_OK, "bad ip %s", ip);
	am_spf_check(spf, &a, helo, from, am_dns_deadline(5000), mf, he);
}

static const struct {
	const char *name, *ip, *helo, *from;
	enum am_spf_res want;
} cases[] = {
	{ "pass", "192.0.2.5", "h.example", "user@pass.example", AM_SPF_PASS },
	{ "fail", "198.51.100.9", "h.example", "user@pass.example", AM_SPF_FAIL },
	{ "softfail", "192.0.2.5", "h.example", "u@soft.example", AM_SPF_SOFTFAIL },
	{ "neutral", "192.0.2.5", "h.example", "u@neutral.example", AM_SPF_NEUTRAL },
	{ "none no record", "192.0.2.5", "h.example", "u@none.example", AM_SPF_NONE },
	{ "none nxdomain", "192.0.2.5", "h.example", "u@nx.example", AM_SPF_NONE },
	{ "none not fqdn", "192.0.2.5", "h.example", "u@localhost", AM_SPF_NONE },
	{ "temperror refused", "192.0.2.5", "h.example", "u@refused.example",
	    AM_SPF_TEMPERROR },
	{ "permerror syntax", "192.0.2.5", "h.example", "u@syntax.example",
	    AM_SPF_PERMERROR },
	{ "permerror 11 dns terms", "192.0.2.5", "h.example",
	    "u@toomany.example", AM_SPF_PERMERROR },
	{ "10 dns terms fine", "192.0.2.5", "h.example", "u@ten.example",
	    AM_SPF_FAIL },
	{ "2 void lookups fine", "192.0.2.5", "h.example", "u@voids2.example",
	    AM_SPF_FAIL },
	{ "3 void lookups permerror", "192.0.2.5", "h.example",
	    "u@voids3.example", AM_SPF_PERMERROR },
	{ "ipv6 pass", "2001:db8::1", "h.example", "u@v6.example", AM_SPF_PASS },
	{ "ipv6 fail", "2001:db9::1", "h.example", "u@v6.example", AM_SPF_FAIL },
	{ "v4-mapped is v4", "::ffff:192.0.2.5", "h.example",
	    "u@pass.example", AM_SPF_PASS },
	{ "include", "192.0.2.5", "h.example", "u@inc.example", AM_SPF_PASS },
	{ "redirect", "192.0.2.5", "h.example", "u@redir.example", AM_SPF_PASS },
	{ "redirect fail", "203.0.113.1", "h.example", "u@redir.example",
	    AM_SPF_FAIL },
	{ "exists", "192.0.2.5", "h.example", "u@ex.example", AM_SPF_PASS },
	{ "exists no", "192.0.2.6", "h.example", "u@ex.example", AM_SPF_FAIL },
	{ "mx", "192.0.2.20", "h.example", "u@mx.example", AM_SPF_PASS },
	{ "ptr", "192.0.2.30", "h.example", "u@ptr.example", AM_SPF_PASS },
	{ "ptr no", "192.0.2.31", "h.example", "u@ptr.example", AM_SPF_FAIL },
	{ "a", "192.0.2.40", "h.example", "u@a.example", AM_SPF_PASS },
	{ "no local part", "192.0.2.5", "h.example", "@pass.example",
	    AM_SPF_PASS },
	{ "verp", "192.0.2.5", "h.example",
	    "bounce+user=example.org@pass.example", AM_SPF_PASS },
};

/* One case per class of fix in our layer (KNOWN-DEVIATIONS.md history). */
static const struct {
	const char *name, *ip, *from;
	enum am_spf_res want;
} layer_cases[] = {
	{ "ip4 /0 is every IPv4", "203.0.113.7", "u@ip0.example", AM_SPF_FAIL },
	{ "ip6 /0 is every IPv6", "2001:db9::7", "u@ip0.example", AM_SPF_PASS },
	{ "a/0: any A record", "203.0.113.7", "u@a0.example", AM_SPF_PASS },
	{ "a/0: no A record", "203.0.113.7", "u@a0nx.example", AM_SPF_FAIL },
	{ "a/0: IPv6 uses /128", "2001:db9::7", "u@a0.example", AM_SPF_FAIL },
	{ "a/0: IPv6 exact", "2001:db8::99", "u@a0.example", AM_SPF_PASS },
	{ "a//0: any AAAA", "2001:db9::7", "u@a0v6.example", AM_SPF_PASS },
	{ "a//0: IPv4 uses /32", "203.0.113.7", "u@a0v6.example", AM_SPF_FAIL },
	{ "mx/0//0: IPv4", "203.0.113.7", "u@mx0.example", AM_SPF_PASS },
	{ "mx/0//0: IPv6, MX host has no AAAA", "2001:db9::7",
	    "u@mx0.example", AM_SPF_FAIL },
	{ "unknown modifier ignored", "192.0.2.5", "u@mod.example",
	    AM_SPF_PASS },
	{ "redirect after mechanisms: match", "192.0.2.5",
	    "u@redirfirst.example", AM_SPF_PASS },
	{ "redirect after mechanisms: used", "203.0.113.7",
	    "u@redirfirst.example", AM_SPF_FAIL },
	{ "11 DNS terms across include", "192.0.2.5", "u@overinc.example",
	    AM_SPF_PERMERROR },
	{ "10 DNS terms across include", "192.0.2.5", "u@atinc.example",
	    AM_SPF_FAIL },
	{ "CNAME chased", "192.0.2.5", "u@alias.example", AM_SPF_PASS },
	{ "%{iR}: \"R\" is \"r\"", "192.0.2.5", "u@exr.example",
	    AM_SPF_PASS },
	{ "CNAME loop", "192.0.2.5", "u@loop1.example", AM_SPF_TEMPERROR },
};

START_TEST(test_layer_fixes)
{
	struct am_spf_result mf, he;

	check(layer_cases[_i].ip, "h.example", layer_cases[_i].from, &mf, &he);
	ck_assert_msg(mf.result == layer_cases[_i].want,
	    "%s: got %s (%s), want %s", layer_cases[_i].name,
	    am_spf_result_name(mf.result), mf.reason,
	    am_spf_result_name(layer_cases[_i].want));
}
END_TEST

/* The text handed to libspf2 (spf_rewrite.h), exactly. */
START_TEST(test_rewrite_text)
{
	static const struct {
		const char *in, *v4, *v6;
	} t[] = {
		{ "v=spf1", "v=spf1 ", "v=spf1 " },
		{ "v=spf1 x=y redirect=r.example ~ip4:1.2.3.4/0 exp=e.example",
		  "v=spf1 ~ip4:0.0.0.0/1 ~ip4:128.0.0.0/1 exp=e.example "
		  "redirect=r.example", NULL },
		{ "v=spf1 -ip6:::/0", "v=spf1 -ip6:::/1 -ip6:8000::/1", NULL },
		{ "v=spf1 a mx:m.example./24 exists:%{i}.x.example",
		  "v=spf1 a:%{d}.T mx:m.example.T/24 exists:%{i}.x.example.T",
		  NULL },
		{ "v=spf1 ?a:d.example/0//64", "v=spf1 ?a:d.example.Z",
		  "v=spf1 ?a:d.example.T//64" },
		{ "v=spf1 mx//0 ptr:p.example include:i.example",
		  "v=spf1 mx:%{d}.T ptr:p.example include:i.example",
		  "v=spf1 mx:%{d}.Z ptr:p.example include:i.example" },
		/* libspf2 refuses "R" (fuzz_spf_rewrite); %%{ is literal */
		{ "v=spf1 exists:%{IR}.%{l2R-}.%%{xR}.x.example "
		  "include:%{d1R}.i.example exp=%{hR}.e.example",
		  "v=spf1 exists:%{Ir}.%{l2r-}.%%{xR}.x.example.T "
		  "include:%{d1r}.i.example exp=%{hr}.e.example", NULL },
	};
	struct am_spf_rewrite rw = { .tag_term = ".T", .tag_zero = ".Z" };
	struct am_buf out;
	size_t i;

	am_buf_init(&out, 4096);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		ck_assert_msg(am_spf_record_valid(t[i].in), "%s", t[i].in);
		rw.is_ipv6 = false;
		ck_assert(am_spf_rewrite(t[i].in, &rw, &out) == AM_OK);
		ck_assert_str_eq(am_buf_str(&out), t[i].v4);
		rw.is_ipv6 = true;
		ck_assert(am_spf_rewrite(t[i].in, &rw, &out) == AM_OK);
		ck_assert_str_eq(am_buf_str(&out), t[i].v6 ? t[i].v6 : t[i].v4);
	}
	ck_assert(!am_spf_record_valid("v=spf1 ip4:1.2.3.4/032"));
	ck_assert(am_spf_rewrite("spf2.0/pra", &rw, &out) == AM_PERMFAIL);
	am_buf_release(&out);
}
END_TEST

START_TEST(test_results)
{
	struct am_spf_result mf, he;

	check(cases[_i].ip, cases[_i].helo, cases[_i].from, &mf, &he);
	ck_assert_msg(mf.result == cases[_i].want, "%s: got %s (%s), want %s",
	    cases[_i].name, am_spf_result_name(mf.result), mf.reason,
	    am_spf_result_name(cases[_i].want));
	ck_assert_int_eq(mf.scope, AM_SPF_SCOPE_MFROM);
}
END_TEST

START_TEST(test_helo_identity)
{
	struct am_spf_result mf, he;

	check("192.0.2.10", "mx.helo.example", "u@pass.example", &mf, &he);
	ck_assert(he.is_checked);
	ck_assert_int_eq(he.scope, AM_SPF_SCOPE_HELO);
	ck_assert_str_eq(he.identity, "mx.helo.example");
	ck_assert_str_eq(am_spf_result_name(he.result), "pass");
	ck_assert_str_eq(am_spf_result_name(mf.result), "pass");
	check("192.0.2.11", "mx.helo.example", "u@pass.example", &mf, &he);
	ck_assert_str_eq(am_spf_result_name(he.result), "fail");
	/* an address literal or a bare word is not checked */
	check("192.0.2.10", "[192.0.2.10]", "u@pass.example", &mf, &he);
	ck_assert(!he.is_checked);
	check("192.0.2.10", "OEMCOMPUTER", "u@pass.example", &mf, &he);
	ck_assert(!he.is_checked);
	ck_assert(mf.is_checked);
}
END_TEST

START_TEST(test_null_sender)
{
	struct am_spf_result mf, he;

	check("192.0.2.10", "mx.helo.example", "", &mf, &he);
	ck_assert(mf.is_checked);
	ck_assert_str_eq(mf.identity, "postmaster@mx.helo.example");
	ck_assert_str_eq(mf.domain, "mx.helo.example");
	ck_assert_str_eq(am_spf_result_name(mf.result), "pass");
	check("192.0.2.10", "[192.0.2.10]", "", &mf, &he);
	ck_assert(!mf.is_checked);
	ck_assert_int_eq(mf.result, AM_SPF_NONE);
}
END_TEST

START_TEST(test_loopback)
{
	struct am_spf_result mf, he;

	/* libspf2 would say pass; we don't evaluate loopback at all */
	check("127.0.0.1", "mx.helo.example", "u@fail.example", &mf, &he);
	ck_assert(!mf.is_checked && !he.is_checked);
	ck_assert_int_eq(mf.result, AM_SPF_NONE);
	ck_assert_str_eq(mf.reason, "loopback client");
	check("::1", "mx.helo.example", "u@fail.example", &mf, &he);
	ck_assert_int_eq(mf.result, AM_SPF_NONE);
}
END_TEST

START_TEST(test_explanation)
{
	struct am_spf_result mf, he;

	check("192.0.2.5", "h.example", "john.doe@fail.example", &mf, &he);
	ck_assert_int_eq(mf.result, AM_SPF_FAIL);
	ck_assert_str_eq(mf.explanation, "Sender john.doe@fail.example from "
	    "192.0.2.5 is not allowed: see http://fail.example/why?john.doe");
	/* no exp= published: empty, the caller uses its fixed text */
	check("198.51.100.9", "h.example", "u@pass.example", &mf, &he);
	ck_assert_str_eq(mf.explanation, "");
}
END_TEST

START_TEST(test_reasons)
{
	struct am_spf_result mf, he;

	check("192.0.2.5", "h.example", "u@voids3.example", &mf, &he);
	ck_assert_str_eq(mf.reason, "void lookup limit exceeded");
	check("192.0.2.5", "h.example", "u@refused.example", &mf, &he);
	ck_assert_msg(strstr(mf.reason, "refused.example") != NULL, "got %s",
	    mf.reason);
}
END_TEST

/* A sender that does not fit the identity is never evaluated cut (the cut
 * would name another domain): too long, as a long local part is. */
START_TEST(test_long_identity)
{
	struct am_spf_result mf, he;
	char from[600];

	memset(from, 'a', 320);
	ck_assert(snprintf(from + 320, sizeof(from) - 320, "@%.63s.%.63s.%.63s"
	    ".fail.example", LABEL, LABEL, LABEL) < (int)sizeof(from) - 320);
	ck_assert_uint_gt(strlen(from), sizeof(mf.identity));
	check("192.0.2.5", "h.example", from, &mf, &he);
	ck_assert(mf.is_checked);
	ck_assert_int_eq(mf.result, AM_SPF_NONE);
	ck_assert_str_eq(mf.reason, "sender address too long");
	ck_assert_str_eq(mf.identity, "");
	ck_assert(he.is_checked);
}
END_TEST

START_TEST(test_authres_golden)
{
	struct am_spf_result mf, he;
	struct am_authres *ar = am_authres_new("mx.example.org");
	struct am_buf b;

	am_buf_init(&b, 4096);
	check("192.0.2.10", "mx.helo.example", "user@soft.example", &mf, &he);
	am_spf_add_authres(&mf, ar);
	am_spf_add_authres(&he, ar);
	ck_assert(am_authres_format(ar, &b) == AM_OK);
	ck_assert_str_eq(am_buf_str(&b), "mx.example.org;\n"
	    "\tspf=softfail\n"
	    "\t(domain of transitioning user@soft.example does not designate 192.0.2.10 as permitted sender)\n"
	    "\tsmtp.mailfrom=user@soft.example;\n"
	    "\tspf=pass\n"
	    "\t(domain of mx.helo.example designates 192.0.2.10 as permitted sender)\n"
	    "\tsmtp.helo=mx.helo.example");
	am_buf_release(&b);
	ar = am_authres_free(ar);
}
END_TEST

START_TEST(test_received_spf_golden)
{
	struct am_spf_result mf, he;
	struct am_buf b;
	const char *from = "bounce+user=example.org@pass.example";

	am_buf_init(&b, 4096);
	check("192.0.2.5", "mx.helo.example", from, &mf, &he);
	ck_assert(am_spf_received_spf(&mf, "mx.example.org", "192.0.2.5",
	    "mx.helo.example", from, &b) == AM_OK);
	ck_assert_str_eq(am_buf_str(&b), "pass (mx.example.org: domain of "
	    "bounce+user=example.org@pass.example designates 192.0.2.5 as "
	    "permitted sender) client-ip=192.0.2.5; envelope-from="
	    "\"bounce+user=example.org@pass.example\"; helo=mx.helo.example; "
	    "receiver=mx.example.org; identity=mailfrom");
	/* a quote and a backslash are escaped; the HELO scope is named */
	check("192.0.2.10", "mx.helo.example", "", &mf, &he);
	ck_assert(am_spf_received_spf(&he, "mx.example.org", "192.0.2.10",
	    "mx.helo.example", "a\"b\\c@x.example", &b) == AM_OK);
	ck_assert_msg(strstr(am_buf_str(&b), "envelope-from=\"a\\\"b\\\\c@"
	    "x.example\"; ") != NULL, "got %s", am_buf_str(&b));
	ck_assert_msg(strstr(am_buf_str(&b), "identity=helo") != NULL,
	    "got %s", am_buf_str(&b));
	/* the cap is an error, never a truncation */
	am_buf_release(&b);
	am_buf_init(&b, 20);
	ck_assert(am_spf_received_spf(&mf, "mx.example.org", "192.0.2.10",
	    "mx.helo.example", "", &b) == AM_PERMFAIL);
	ck_assert_uint_eq(b.len, 0);
	am_buf_release(&b);
}
END_TEST

START_TEST(test_names)
{
	static const char *const want[] = { "none", "neutral", "pass",
	    "fail", "softfail", "temperror", "permerror" };
	int i;

	for (i = 0; i < 7; i++)
		ck_assert_str_eq(am_spf_result_name((enum am_spf_res)i),
		    want[i]);
}
END_TEST

/* worker - many checks on the shared am_spf from one thread. */
static void *
worker(void *arg)
{
	struct am_spf_result mf, he;
	long bad = 0;
	int i;

	(void)arg;
	for (i = 0; i < 150; i++) {
		size_t c = (size_t)i % (sizeof(cases) / sizeof(cases[0]));

		check(cases[c].ip, cases[c].helo, cases[c].from, &mf, &he);
		if (mf.result != cases[c].want)
			bad++;
	}
	return (void *)bad;
}

START_TEST(test_threads)
{
	pthread_t t[6];
	void *bad;
	int i;

	for (i = 0; i < 6; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, worker, NULL), 0);
	for (i = 0; i < 6; i++) {
		ck_assert_int_eq(pthread_join(t[i], &bad), 0);
		ck_assert_msg(bad == NULL, "thread %d: %ld wrong", i, (long)bad);
	}
}
END_TEST

START_TEST(test_timeout_dead_forwarder)
{
	char ns[64];
	struct am_dns_opts opts = { 0 };
	struct am_why why;
	struct am_dns *d;
	struct am_spf *s;
	struct am_spf_result mf, he;
	struct am_addr a;
	uint64_t t0;

	snprintf(ns, sizeof(ns), "127.0.0.1@%u", am_testdns_dead_port());
	opts.nameservers = ns;
	d = am_dns_new(&opts, &why);
	ck_assert_msg(d != NULL, "%s", why.text);
	s = am_spf_new(d, cfg, &why);
	ck_assert(s != NULL);
	ck_assert(am_addr_parse("192.0.2.5", &a) == AM_OK);
	t0 = am_dns_deadline(0);
	am_spf_check(s, &a, "h.example", "u@pass.example",
	    am_dns_deadline(300), &mf, &he);
	ck_assert_str_eq(am_spf_result_name(mf.result), "temperror");
	ck_assert_msg(am_dns_deadline(0) - t0 < 2000, "took %llu ms",
	    (unsigned long long)(am_dns_deadline(0) - t0));
	s = am_spf_free(s);
	d = am_dns_free(d);
}
END_TEST

START_TEST(test_cache_survives)
{
	static const char *const rrs[] = {
		"cached.example. 300 IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"",
		NULL,
	};
	struct am_dns_opts opts = { 0 };
	struct am_why why;
	struct am_testdns *t = am_testdns_start(rrs, &why);
	struct am_dns *d;
	struct am_spf *s;
	struct am_spf_result mf, he;
	struct am_addr a;

	ck_assert_msg(t != NULL, "%s", why.text);
	opts.nameservers = am_testdns_addr(t);
	d = am_dns_new(&opts, &why);
	ck_assert_msg(d != NULL, "%s", why.text);
	s = am_spf_new(d, cfg, &why);
	ck_assert(s != NULL);
	ck_assert(am_addr_parse("192.0.2.5", &a) == AM_OK);
	am_spf_check(s, &a, "", "u@cached.example", am_dns_deadline(3000),
	    &mf, &he);
	ck_assert_str_eq(am_spf_result_name(mf.result), "pass");
	/* the server is gone: the same am_spf still answers from cache */
	t = am_testdns_stop(t);
	am_spf_check(s, &a, "", "u@cached.example", am_dns_deadline(1000),
	    &mf, &he);
	ck_assert_str_eq(am_spf_result_name(mf.result), "pass");
	s = am_spf_free(s);
	d = am_dns_free(d);
}
END_TEST

START_TEST(test_config_keys)
{
	char path[] = "/tmp/check_spf_confXXXXXX";
	struct am_buf errs;
	struct am_config *c;
	FILE *fp;
	int fd = mkstemp(path);

	ck_assert(fd >= 0);
	fp = fdopen(fd, "w");
	fputs("SPFFailAction none\nSPFTempErrorAction tempfail\n"
	    "SPFVoidLookupLimit 5\nAddReceivedSPF no\n", fp);
	fclose(fp);
	am_buf_init(&errs, 4096);
	c = am_config_load(path, &errs, NULL);
	ck_assert_msg(c != NULL, "%s", am_buf_str(&errs));
	ck_assert_int_eq(c->spf_fail_action, AM_ACTION_ACCEPT);
	ck_assert_int_eq(c->spf_temperror_action, AM_ACTION_TEMPFAIL);
	ck_assert_int_eq(c->spf_void_lookup_limit, 5);
	ck_assert(!c->add_received_spf);
	c = am_config_unref(c);
	/* defaults */
	ck_assert_int_eq(cfg->spf_void_lookup_limit, 2);
	ck_assert_int_eq(cfg->spf_fail_action, AM_ACTION_ACCEPT);
	ck_assert_int_eq(cfg->spf_temperror_action, AM_ACTION_ACCEPT);
	ck_assert(cfg->add_received_spf);
	/* reject is allowed for SPFFailAction, not for SPFTempErrorAction */
	fp = fopen(path, "w");
	fputs("SPFFailAction reject\nSPFTempErrorAction reject\n", fp);
	fclose(fp);
	am_buf_reset(&errs);
	c = am_config_load(path, &errs, NULL);
	ck_assert(c == NULL);
	ck_assert_msg(strstr(am_buf_str(&errs), ":2:") != NULL, "%s",
	    am_buf_str(&errs));
	am_buf_release(&errs);
	unlink(path);
}
END_TEST

START_TEST(test_null_args)
{
	struct am_spf_result mf, he;

	am_spf_check(spf, NULL, "h", "u@x.example", 0, &mf, &he);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("spf");
	TCase *tc = tcase_create("spf");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_results, 0,
	    (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_loop_test(tc, test_layer_fixes, 0,
	    (int)(sizeof(layer_cases) / sizeof(layer_cases[0])));
	tcase_add_test(tc, test_rewrite_text);
	tcase_add_test(tc, test_helo_identity);
	tcase_add_test(tc, test_null_sender);
	tcase_add_test(tc, test_loopback);
	tcase_add_test(tc, test_explanation);
	tcase_add_test(tc, test_reasons);
	tcase_add_test(tc, test_long_identity);
	tcase_add_test(tc, test_authres_golden);
	tcase_add_test(tc, test_received_spf_golden);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_threads);
	tcase_add_test(tc, test_timeout_dead_forwarder);
	tcase_add_test(tc, test_cache_survives);
	tcase_add_test(tc, test_config_keys);
	/* abort() would end a non-forking run (valgrind with CK_FORK=no) */
	if (am_test_can_fork())
		tcase_add_test_raise_signal(tc, test_null_args, SIGABRT);
	suite_add_tcase(s, tc);
	return am_test_run(s);
}
