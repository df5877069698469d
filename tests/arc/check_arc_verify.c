/*
 * check_arc_verify.c - lib/arc/arc_verify.c and arc_result.c beyond the
 * conformance suite: oldest-pass after a mailing list changed the message
 * (RFC 8617 §5.2 step 5), key lookups that fail (temperror flagged, no
 * key, a key of the wrong type, a 512-bit key), bodies in any chunking,
 * the recorded results and remote IP of the AARs, the "arc" resinfo, the
 * real-world chains of tests/conformance/arc/mail-auth (Google; a 2-hop
 * chain with an Ed25519 set), and interface misuse.
 */
#include "autoconf.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "core/buf.h"
#include "msg/authres.h"
#include "dns/dns.h"
#include "arc/arc_seal.h"
#include "arc/arc_verify.h"
#include "testutil/testarc.h"
#include "testutil/testrr.h"
#include "testutil/testutil.h"

static struct am_key rsa, ed, small;	/* made once in main() */
static struct am_dns *dns;		/* per test */

static const char base[] =
    "From: Joe <joe@example.net>\r\nTo: list@lists.example\r\n"
    "Subject: hello\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\n"
    "Message-ID: <1@example.net>\r\n\r\nHello.\r\n\r\nSecond  line.\r\n";
static const char ar[] = "mx.seal.example; spf=pass smtp.mailfrom=example.net"
    " smtp.remote-ip=192.0.2.7; dkim=pass header.d=example.net";

static void
publish(const char *name, const struct am_key *k)
{
	char *r = am_test_arc_key_record(k);

	am_test_dns_add_txt(dns, name, r);
	free(r);
}

static void
setup(void)
{
	dns = am_test_dns_local(NULL, "refused.example");
	publish("rsa._domainkey.seal.example", &rsa);
	publish("ed._domainkey.seal.example", &ed);
	publish("rsa._domainkey.mix.example", &ed);	/* wrong type */
	publish("small._domainkey.seal.example", &small);
}

static void
teardown(void)
{
	dns = am_dns_free(dns);
}

/* seal - text sealed by k (d= domain) after the chain status st. */
static char *
seal(const char *text, const struct am_key *k, const char *domain,
    enum am_arc_status st, const char *authres)
{
	struct am_test_arc_msg m;
	struct am_arc_seal_opts o = { k, domain, NULL, NULL, 1700000000, 50 };
	struct am_why why = { "" };
	char *out;

	am_test_arc_load(&m, text, strlen(text));
	out = am_test_arc_seal(&m, &o, st, authres, NULL, &why);
	ck_assert_msg(out != NULL, "%s", why.text);
	am_test_arc_release(&m);
	return out;
}

static void
verify_text(const char *text, size_t chunk, struct am_arc_result *res)
{
	struct am_test_arc_msg m;

	am_test_arc_load(&m, text, strlen(text));
	am_test_arc_verify(dns, &m, chunk, res);
	am_test_arc_release(&m);
}

/* A list verifies the chain (pass), then adds a footer and a subject tag,
 * then seals: the chain passes, and oldest-pass says the first AMS broke. */
START_TEST(test_oldest_pass)
{
	struct am_arc_result res;
	struct am_buf b;
	char *one, *two, *p;

	one = seal(base, &rsa, NULL, AM_ARC_NONE, ar);
	verify_text(one, 0, &res);
	ck_assert_msg(res.status == AM_ARC_PASS, "%s", res.reason);
	am_arc_result_release(&res);
	am_buf_init(&b, 1 << 20);
	p = strstr(one, "Subject: ") + 9;
	ck_assert(am_buf_append(&b, one, (size_t)(p - one)) == AM_OK);
	ck_assert(am_buf_printf(&b, "[list] %s-- \r\nfooter\r\n", p) == AM_OK);
	two = seal(am_buf_str(&b), &ed, NULL, AM_ARC_PASS, ar);
	verify_text(two, 0, &res);
	ck_assert_msg(res.status == AM_ARC_PASS, "%s", res.reason);
	ck_assert_uint_eq(res.count, 2);
	ck_assert_uint_eq(res.oldest_pass, 2);
	ck_assert(res.sealers[0].ams == AM_ARC_CHECK_FAIL &&
	    res.sealers[1].ams == AM_ARC_CHECK_PASS &&
	    res.sealers[0].as == AM_ARC_CHECK_PASS);
	am_arc_result_release(&res);
	am_buf_release(&b);
	free(one);
	free(two);
}
END_TEST

static const struct {
	const char *domain;	/* d= of the seal (NULL: the key's) */
	const char *why;
	bool is_temp;
} key_cases[] = {
	{ "refused.example", "key lookup failed", true },
	{ "nokey.example", "no key (nxdomain)", false },
	{ "mix.example", "a=rsa-sha256 with an ed25519 key", false },
	{ NULL, "512-bit rsa key", false },	/* sealed with the small key */
};

START_TEST(test_key_failures)
{
	const struct am_key *k = _i == 3 ? &small : &rsa;
	struct am_arc_result res;
	char *text = seal(base, k, key_cases[_i].domain, AM_ARC_NONE, ar);

	verify_text(text, 0, &res);
	ck_assert(res.status == AM_ARC_FAIL);
	ck_assert_msg(strstr(res.reason, key_cases[_i].why) != NULL,
	    "got \"%s\", want \"%s\"", res.reason, key_cases[_i].why);
	ck_assert(res.is_temperror == key_cases[_i].is_temp);
	ck_assert_uint_eq(res.count, 1);	/* the structure was fine */
	am_arc_result_release(&res);
	free(text);
}
END_TEST

/* The body hash does not depend on how the MTA cuts the body. */
START_TEST(test_chunks)
{
	static const size_t chunks[] = { 0, 1, 2, 3, 7, 64 };
	struct am_arc_result res;
	char *text = seal(base, &ed, NULL, AM_ARC_NONE, ar);
	size_t i;

	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		verify_text(text, chunks[i], &res);
		ck_assert_msg(res.status == AM_ARC_PASS, "chunk %zu: %s",
		    chunks[i], res.reason);
		am_arc_result_release(&res);
	}
	free(text);
}
END_TEST

/* What the sealers recorded, the newest AAR's client, the A-R we add. */
START_TEST(test_recorded)
{
	struct am_arc_result res;
	struct am_authres *a;
	struct am_authres_parsed *p;
	struct am_buf b;
	char *one = seal(base, &rsa, NULL, AM_ARC_NONE, "mx.first.example; "
	    "spf=fail smtp.mailfrom=example.net smtp.remote-ip=203.0.113.9");
	char *two = seal(one, &ed, NULL, AM_ARC_PASS, ar);
	char *three = seal(two, &rsa, NULL, AM_ARC_PASS, "mx.third.example; "
	    "((unparseable");

	verify_text(two, 0, &res);
	ck_assert_msg(res.status == AM_ARC_PASS, "%s", res.reason);
	ck_assert_str_eq(res.remote_ip, "192.0.2.7");
	ck_assert_str_eq(res.sealers[0].aar->authserv_id, "mx.first.example");
	ck_assert_str_eq(res.sealers[0].aar->methods[0].result, "fail");
	ck_assert_str_eq(res.sealers[1].aar->methods[1].method, "dkim");
	a = am_authres_new("mx.test");
	am_arc_result_add_authres(&res, "198.51.100.1", a);
	am_buf_init(&b, 4096);
	ck_assert(am_authres_format(a, &b) == AM_OK);
	ck_assert(am_authres_parse(b.data, b.len, &p, NULL) == AM_OK);
	ck_assert_str_eq(p->methods[0].method, "arc");
	ck_assert_str_eq(p->methods[0].result, "pass");
	ck_assert_uint_eq(p->methods[0].nprops, 2);
	ck_assert_str_eq(p->methods[0].props[0].property, "oldest-pass");
	ck_assert_str_eq(p->methods[0].props[0].value, "0");
	ck_assert_str_eq(p->methods[0].props[1].value, "198.51.100.1");
	ck_assert(strstr(am_buf_str(&b), "(i=2)") != NULL);
	am_authres_parsed_free(p);
	am_authres_free(a);
	am_arc_result_release(&res);
	verify_text(three, 0, &res);
	ck_assert_msg(res.status == AM_ARC_PASS, "%s", res.reason);
	ck_assert(res.sealers[2].aar == NULL);	/* kept out, chain fine */
	ck_assert_str_eq(res.remote_ip, "");
	am_arc_result_release(&res);
	/* fail: reason= and no oldest-pass */
	three[strstr(three, "Second  line.") - three] = 'x';
	verify_text(three, 0, &res);
	ck_assert(res.status == AM_ARC_FAIL);
	a = am_authres_new("mx.test");
	am_arc_result_add_authres(&res, NULL, a);
	am_buf_reset(&b);
	ck_assert(am_authres_format(a, &b) == AM_OK);
	ck_assert(am_authres_parse(b.data, b.len, &p, NULL) == AM_OK);
	ck_assert_str_eq(p->methods[0].result, "fail");
	ck_assert(strstr(p->methods[0].reason, "body hash mismatch") != NULL);
	ck_assert_uint_eq(p->methods[0].nprops, 0);
	am_authres_parsed_free(p);
	am_authres_free(a);
	am_arc_result_release(&res);
	am_buf_release(&b);
	free(one);
	free(two);
	free(three);
}
END_TEST

/* No chain: none, no sets, and the body is not wanted. */
START_TEST(test_none)
{
	struct am_test_arc_msg m;
	struct am_arc_verify_opts o = { 50, 1000, 2048 };
	struct am_arc_verify *v = am_arc_verify_new(dns, &o);
	struct am_arc_result res;
	struct am_authres *a = am_authres_new("mx.test");
	struct am_buf b;

	am_test_arc_load(&m, base, strlen(base));
	ck_assert(!am_arc_verify_eoh(v, m.m));
	am_arc_verify_body(v, "ignored", 7);
	am_arc_verify_eom(v, &res);
	ck_assert(res.status == AM_ARC_NONE && res.count == 0 &&
	    res.sealers == NULL && res.reason[0] == '\0');
	am_arc_result_add_authres(&res, NULL, a);
	am_buf_init(&b, 4096);
	ck_assert(am_authres_format(a, &b) == AM_OK);
	ck_assert_str_eq(am_buf_str(&b), "mx.test;\n\tarc=none");
	am_buf_release(&b);
	am_authres_free(a);
	am_arc_result_release(&res);
	am_arc_verify_free(v);
	am_test_arc_release(&m);
}
END_TEST

/* stalwartlabs/mail-auth resources/arc: a Google i=1 set, and a 2-hop
 * chain whose first set is ed25519-sha256 (mail-auth expects pass;
 * dkimpy 1.1.4 reports fail: it knows only rsa-sha256 for ARC). */
START_TEST(test_mailauth)
{
	char path[512], *text, *msg;
	struct am_arc_result res;

	snprintf(path, sizeof(path), AM_TOP_SRCDIR
	    "/tests/conformance/arc/mail-auth/%03d.txt", _i + 1);
	am_test_dns_load(dns, path, true);
	text = am_test_slurp(path);
	msg = strstr(text, "\n\n");
	ck_assert(msg != NULL);
	verify_text(msg + 2, 0, &res);
	ck_assert_msg(res.status == AM_ARC_PASS, "%s", res.reason);
	ck_assert_uint_eq(res.count, _i + 1);
	if (_i == 1)
		ck_assert(strcmp(res.sealers[0].as_domain, "") != 0);
	am_arc_result_release(&res);
	free(text);
}
END_TEST

START_TEST(test_eom_before_eoh)
{
	struct am_arc_verify_opts o = { 50, 1000, 1024 };
	struct am_arc_verify *v = am_arc_verify_new(dns, &o);
	struct am_arc_result res;

	am_arc_verify_eom(v, &res);	/* interface violation: abort */
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("arc_verify");
	TCase *tc = tcase_create("verify");
	int rc;

	am_test_arc_key(&rsa, 2048, "seal.example", "rsa");
	am_test_arc_key(&ed, 0, "seal.example", "ed");
	am_test_arc_key(&small, 512, "seal.example", "small");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_oldest_pass);
	tcase_add_loop_test(tc, test_key_failures, 0,
	    sizeof(key_cases) / sizeof(key_cases[0]));
	tcase_add_test(tc, test_chunks);
	tcase_add_test(tc, test_recorded);
	tcase_add_test(tc, test_none);
	tcase_add_loop_test(tc, test_mailauth, 0, 2);
	if (am_test_can_fork())
		tcase_add_test_raise_signal(tc, test_eom_before_eoh, SIGABRT);
	suite_add_tcase(s, tc);
	rc = am_test_run(s);
	am_test_arc_key_release(&rsa);
	am_test_arc_key_release(&ed);
	am_test_arc_key_release(&small);
	return rc;
}
