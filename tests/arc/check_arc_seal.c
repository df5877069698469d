/*
 * check_arc_seal.c - lib/arc/arc_seal.c: sets for instance 1..50 with RSA
 * and Ed25519 keys, each checked by lib/arc/arc_verify over libunbound
 * local data (the keys published as TXT): the tag order and h= of the AMS,
 * cv= and the scope of the seal for a failed chain, refusals (a chain that
 * ended, 50 sets, no results to record), the injected timestamp, and the
 * choice of the sealing key from KeyTable or the simple form.
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>

#include "core/buf.h"
#include "config/config.h"
#include "dns/dns.h"
#include "dkim/dkim_tags.h"
#include "dkim/keys.h"
#include "arc/arc_seal.h"
#include "arc/arc_verify.h"
#include "testutil/testarc.h"
#include "testutil/testrr.h"
#include "testutil/testutil.h"

static struct am_key rsa, ed;	/* made once in main() */
static struct am_dns *dns;	/* per test: both keys published */

static const char base[] =
    "From: Joe <joe@example.net>\r\nTo: Sue <sue@example.org>\r\n"
    "To: Bob <bob@example.org>\r\nSubject: hello\r\n"
    "Date: Mon, 1 Jan 2024 00:00:00 +0000\r\nMessage-ID: <1@example.net>\r\n"
    "\r\nHello.\r\n\r\nSecond  line.\r\n";

static void
setup(void)
{
	char *r;

	dns = am_test_dns_local(NULL, NULL);
	r = am_test_arc_key_record(&rsa);
	am_test_dns_add_txt(dns, "rsa._domainkey.seal.example", r);
	free(r);
	r = am_test_arc_key_record(&ed);
	am_test_dns_add_txt(dns, "ed._domainkey.seal.example", r);
	free(r);
}

static void
teardown(void)
{
	dns = am_dns_free(dns);
}

/* hop - verify text, seal it with k; the new text (owned), or NULL. */
static char *
hop(const char *text, const struct am_key *k, uint64_t t,
    struct am_arc_seal_set *set, enum am_arc_status *st, struct am_why *why)
{
	struct am_test_arc_msg m;
	struct am_arc_result res;
	struct am_arc_seal_opts o = { k, NULL, NULL, NULL, t, 50 };
	char *out;

	am_test_arc_load(&m, text, strlen(text));
	am_test_arc_verify(dns, &m, 0, &res);
	if (st != NULL)
		*st = res.status;
	out = am_test_arc_seal(&m, &o, res.status, "mx.seal.example; "
	    "spf=pass smtp.mailfrom=example.net", set, why);
	am_arc_result_release(&res);
	am_test_arc_release(&m);
	return out;
}

/* verify_text - the verifier's result for a message text. */
static void
verify_text(const char *text, struct am_arc_result *res)
{
	struct am_test_arc_msg m;

	am_test_arc_load(&m, text, strlen(text));
	am_test_arc_verify(dns, &m, 0, res);
	am_test_arc_release(&m);
}

/* tag_names - the tag names of a value, "a b bh ..." */
static void
tag_names(const char *v, char *out, size_t len)
{
	struct am_dkim_tags t;
	size_t i, n = 0;

	ck_assert(am_dkim_tags_parse(v, strlen(v), &t, NULL) == AM_OK);
	out[0] = '\0';
	for (i = 0; i < t.count; i++)
		n += (size_t)snprintf(out + n, len - n, "%s%.*s", i ? " " : "",
		    (int)t.tag[i].name.len, t.tag[i].name.p);
}

static const char *
tag(const char *v, const char *name)
{
	static char buf[1024];
	struct am_dkim_tags t;
	const struct am_dkim_tag *g;

	ck_assert(am_dkim_tags_parse(v, strlen(v), &t, NULL) == AM_OK);
	g = am_dkim_tags_find(&t, name);
	ck_assert_msg(g != NULL, "no %s= in %s", name, v);
	snprintf(buf, sizeof(buf), "%.*s", (int)g->value.len, g->value.p);
	return buf;
}

START_TEST(test_first_set)
{
	struct am_arc_seal_set set;
	struct am_arc_result res;
	struct am_why why = { "" };
	enum am_arc_status st;
	char names[128], *text;

	text = hop(base, _i ? &ed : &rsa, 1700000000, &set, &st, &why);
	ck_assert_msg(text != NULL, "%s", why.text);
	ck_assert(st == AM_ARC_NONE);
	ck_assert_uint_eq(set.instance, 1);
	ck_assert_str_eq(set.aar, "i=1; mx.seal.example; spf=pass "
	    "smtp.mailfrom=example.net");
	tag_names(set.ams, names, sizeof(names));
	ck_assert_str_eq(names, "a b bh c d h i s t");
	tag_names(set.as, names, sizeof(names));
	ck_assert_str_eq(names, "a b cv d i s t");
	ck_assert_str_eq(tag(set.ams, "a"), _i ? "ed25519-sha256" :
	    "rsa-sha256");
	ck_assert_str_eq(tag(set.ams, "c"), "relaxed/relaxed");
	ck_assert_str_eq(tag(set.ams, "h"),
	    "from:to:to:subject:date:message-id");
	ck_assert_str_eq(tag(set.ams, "t"), "1700000000");
	ck_assert_str_eq(tag(set.as, "cv"), "none");
	ck_assert_str_eq(tag(set.as, "d"), "seal.example");
	ck_assert(strchr(set.ams, '\r') == NULL);
	verify_text(text, &res);
	ck_assert_msg(res.status == AM_ARC_PASS, "%s", res.reason);
	ck_assert_uint_eq(res.count, 1);
	ck_assert_uint_eq(res.oldest_pass, 0);
	ck_assert_str_eq(res.sealers[0].as_domain, "seal.example");
	ck_assert_str_eq(res.sealers[0].ams_selector, _i ? "ed" : "rsa");
	ck_assert(res.sealers[0].ams == AM_ARC_CHECK_PASS &&
	    res.sealers[0].as == AM_ARC_CHECK_PASS);
	ck_assert(res.sealers[0].aar != NULL);
	ck_assert_str_eq(res.sealers[0].aar->methods[0].method, "spf");
	am_arc_result_release(&res);
	am_arc_seal_set_release(&set);
	free(text);
}
END_TEST

/* Three hops, RSA / Ed25519 / RSA: cv none, pass, pass; the chain passes. */
START_TEST(test_three_hops)
{
	const struct am_key *k[3] = { &rsa, &ed, &rsa };
	struct am_arc_result res;
	struct am_why why;
	char *text = strdup(base), *next;
	int i;

	for (i = 0; i < 3; i++) {
		next = hop(text, k[i], 1700000000 + i, NULL, NULL, &why);
		ck_assert_msg(next != NULL, "hop %d: %s", i, why.text);
		free(text);
		text = next;
	}
	verify_text(text, &res);
	ck_assert_msg(res.status == AM_ARC_PASS, "%s", res.reason);
	ck_assert_uint_eq(res.count, 3);
	ck_assert(res.sealers[0].cv == AM_ARC_CV_NONE &&
	    res.sealers[1].cv == AM_ARC_CV_PASS &&
	    res.sealers[2].cv == AM_ARC_CV_PASS);
	ck_assert_str_eq(res.sealers[1].as_selector, "ed");
	am_arc_result_release(&res);
	free(text);
}
END_TEST

/* own_set_ok - does the newest AS sign its own set alone (§5.1.2)? */
static bool
own_set_ok(const struct am_arc_seal_set *set, const struct am_key *k)
{
	const char *const names[3] = { "ARC-Authentication-Results",
	    "ARC-Message-Signature", "ARC-Seal" };
	const char *const v[3] = { set->aar, set->ams, set->as };
	struct am_dkim_tags t;
	struct am_dkim_key pub;
	unsigned char hash[32], sig[1024];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	struct am_buf scratch;
	char *rec = am_test_arc_key_record(k);
	size_t n;
	int i;
	bool ok;

	ck_assert(am_dkim_tags_parse(set->as, strlen(set->as), &t, NULL) ==
	    AM_OK);
	am_buf_init(&scratch, 65536);
	ck_assert(EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1);
	for (i = 0; i < 3; i++)
		ck_assert(am_dkim_hash_header(ctx, AM_DKIM_CANON_RELAXED,
		    names[i], v[i], strlen(v[i]), i == 2 ?
		    am_dkim_tags_find(&t, "b") : NULL, i == 2, &scratch) ==
		    AM_OK);
	ck_assert(EVP_DigestFinal_ex(ctx, hash, NULL) == 1);
	ck_assert(am_dkim_key_parse(rec, strlen(rec), 1024, &pub, NULL) ==
	    AM_OK);
	ck_assert(am_dkim_b64_decode(am_dkim_tags_find(&t, "b")->value, sig,
	    sizeof(sig), &n, NULL) == AM_OK);
	ok = am_dkim_key_verify(&pub, pub.alg, hash, sig, n);
	am_dkim_key_release(&pub);
	EVP_MD_CTX_free(ctx);
	am_buf_release(&scratch);
	free(rec);
	return ok;
}

/* A chain that fails is sealed with cv=fail over the new set only; after
 * that the chain has ended and no sealer adds to it. */
START_TEST(test_failed_chain)
{
	struct am_arc_seal_set set;
	struct am_arc_result res;
	struct am_why why;
	enum am_arc_status st;
	char *one, *two, *three, *p;

	one = hop(base, &rsa, 1, NULL, NULL, &why);
	ck_assert(one != NULL);
	p = strstr(one, "Second  line.");
	ck_assert(p != NULL);
	p[0] = 's';		/* a body change after the first seal */
	two = hop(one, &ed, 2, &set, &st, &why);
	ck_assert_msg(two != NULL, "%s", why.text);
	ck_assert(st == AM_ARC_FAIL);
	ck_assert_uint_eq(set.instance, 2);
	ck_assert_str_eq(tag(set.as, "cv"), "fail");
	ck_assert(own_set_ok(&set, &ed));
	verify_text(two, &res);
	ck_assert(res.status == AM_ARC_FAIL && res.is_newest_cv_fail);
	ck_assert_msg(strstr(res.reason, "i=2 has cv=fail") != NULL, "%s",
	    res.reason);
	am_arc_result_release(&res);
	three = hop(two, &rsa, 3, NULL, NULL, &why);
	ck_assert(three == NULL);
	ck_assert_msg(strstr(why.text, "chain ended") != NULL, "%s",
	    why.text);
	am_arc_seal_set_release(&set);
	free(one);
	free(two);
}
END_TEST

/* 50 sets verify; the 51st is refused, and ARCMaxSets 10 fails the chain. */
START_TEST(test_fifty_sets)
{
	struct am_arc_verify_opts o = { 10, 5000, 1024 };
	struct am_test_arc_msg m;
	struct am_arc_result res;
	struct am_why why;
	char *text = strdup(base), *next;
	int i;

	for (i = 0; i < 50; i++) {
		next = hop(text, &ed, 1700000000, NULL, NULL, &why);
		ck_assert_msg(next != NULL, "hop %d: %s", i, why.text);
		free(text);
		text = next;
	}
	verify_text(text, &res);
	ck_assert_msg(res.status == AM_ARC_PASS, "%s", res.reason);
	ck_assert_uint_eq(res.count, 50);
	am_arc_result_release(&res);
	ck_assert(hop(text, &ed, 1, NULL, NULL, &why) == NULL);
	ck_assert_msg(strstr(why.text, "would pass ARCMaxSets 50") != NULL,
	    "%s", why.text);
	am_test_arc_load(&m, text, strlen(text));
	am_test_arc_verify_opts(dns, &o, &m, 0, &res);
	ck_assert(res.status == AM_ARC_FAIL);
	ck_assert_msg(strstr(res.reason, "more than 10 ARC sets") != NULL,
	    "%s", res.reason);
	am_arc_result_release(&res);
	am_test_arc_release(&m);
	free(text);
}
END_TEST

/* h=: named fields present (each instance), deleted ones and ARC fields
 * never; no results to record: no set; t=0: now. */
START_TEST(test_options)
{
	static const char *const names[] = { "subject", "To", "X-Absent",
	    "ARC-Seal", "arc-authentication-results", "Received", NULL };
	struct am_test_arc_msg m;
	struct am_arc_seal_opts o = { &rsa, "other.example", "sel", names, 0,
	    50 };
	struct am_arc_seal_set set;
	struct am_why why;
	char *text;
	time_t now = time(NULL);

	am_test_arc_load(&m, base, strlen(base));
	(void)am_msg_add_header(m.m, "Received", " forged", 7, 100, 1000);
	am_msg_mark_deleted(m.m);
	(void)am_msg_add_header(m.m, "Received", " by mx", 6, 100, 1000);
	text = am_test_arc_seal(&m, &o, AM_ARC_NONE, "mx; none", &set, &why);
	ck_assert_msg(text != NULL, "%s", why.text);
	ck_assert_str_eq(tag(set.ams, "h"), "subject:to:to:received");
	ck_assert_str_eq(tag(set.ams, "d"), "other.example");
	ck_assert_str_eq(tag(set.as, "s"), "sel");
	ck_assert(labs((long)(strtoll(tag(set.as, "t"), NULL, 10) - now)) <
	    60);
	am_arc_seal_set_release(&set);
	free(text);
	ck_assert(am_test_arc_seal(&m, &o, AM_ARC_NONE, "", &set, &why) ==
	    NULL);
	ck_assert_msg(strstr(why.text, "no Authentication-Results") != NULL,
	    "%s", why.text);
	ck_assert(set.aar == NULL && set.instance == 0);
	/* a chain said to pass that is not there is sealed as failed */
	text = am_test_arc_seal(&m, &o, AM_ARC_PASS, "mx; none", &set, &why);
	ck_assert(text != NULL);
	ck_assert_str_eq(tag(set.as, "cv"), "fail");
	am_arc_seal_set_release(&set);
	free(text);
	am_test_arc_release(&m);
}
END_TEST

/* with_dir - text with each '@' replaced by the test directory. */
static char *
with_dir(const char *text)
{
	struct am_buf b;

	am_buf_init(&b, 65536);
	for (; *text; text++)
		ck_assert((*text == '@' ? am_buf_puts(&b, am_test_dir) :
		    am_buf_putc(&b, *text)) == AM_OK);
	return am_buf_export(&b);
}

static const struct {
	const char *conf;	/* after the key lines */
	const char *name;	/* key found, NULL: none */
	const char *domain;	/* d= */
	const char *why;	/* reason when none */
} key_cases[] = {
	{ "ARCSealKey arc\n", "arc", "seal.example", NULL },
	{ "ARCSealDomain SEAL.example\nARCSealSelector rsa\n", "arc",
	    "SEAL.example", NULL },
	{ "ARCSealKey arc\nARCSealDomain fwd.example\n", "arc", "fwd.example",
	    NULL },
	{ "ARCSealDomain fwd.example\nARCSealSelector ed\n", "other",
	    "fwd.example", NULL },
	{ "ARCSealKey other\n", NULL, NULL, "has domain %" },
	{ "ARCSealKey nothere\n", NULL, NULL, "not in the key table" },
	{ "ARCSealDomain seal.example\n", NULL, NULL, "needs ARCSealKey" },
	{ "", NULL, NULL, "needs ARCSealKey" },
	{ "ARCSealDomain x.example\nARCSealSelector rsa\n", NULL, NULL,
	    "no key with domain x.example" },
};

START_TEST(test_seal_key)
{
	struct am_buf errs;
	struct am_config *cfg;
	struct am_keys *ks;
	const struct am_key *k;
	const char *d = NULL;
	struct am_why why = { "" };
	char *text, path[512];

	snprintf(path, sizeof(path), "%s", am_test_path(0, "rsa.pem"));
	am_test_arc_key_pem(&rsa, path);
	ck_assert(chmod(path, 0600) == 0);
	snprintf(path, sizeof(path), "%s", am_test_path(0, "ed.pem"));
	am_test_arc_key_pem(&ed, path);
	ck_assert(chmod(path, 0600) == 0);
	text = with_dir("arc seal.example:rsa:@/rsa.pem\n"
	    "other %:ed:@/ed.pem\n");
	am_test_put(am_test_path(0, "kt"), text);
	free(text);
	am_test_put(am_test_path(0, "st"), "*@seal.example arc\n");
	text = with_dir("KeyTable file:@/kt\nSigningTable refile:@/st\n");
	am_test_put(am_test_path(0, "t.conf"), text);
	free(text);
	am_test_put(am_test_path(1, "t2.conf"), key_cases[_i].conf);
	text = with_dir("Include @/t.conf\nInclude @/t2.conf\n");
	am_test_put(am_test_path(0, "main.conf"), text);
	free(text);
	am_buf_init(&errs, 65536);
	cfg = am_config_load(am_test_path(0, "main.conf"), &errs, NULL);
	ck_assert_msg(cfg != NULL, "%s", am_buf_str(&errs));
	ks = am_keys_load(cfg, &errs, NULL);
	ck_assert_msg(ks != NULL, "%s", am_buf_str(&errs));
	k = am_arc_seal_key(ks, cfg, &d, &why);
	if (key_cases[_i].name == NULL) {
		ck_assert(k == NULL);
		ck_assert_msg(strstr(why.text, key_cases[_i].why) != NULL,
		    "got \"%s\", want \"%s\"", why.text, key_cases[_i].why);
	} else {
		ck_assert_msg(k != NULL, "%s", why.text);
		ck_assert_str_eq(k->name, key_cases[_i].name);
		ck_assert_str_eq(d, key_cases[_i].domain);
	}
	am_keys_free(ks);
	am_config_unref(cfg);
	am_buf_release(&errs);
}
END_TEST

/* The simple form: ARCSealKey names a Selector. */
START_TEST(test_seal_key_simple)
{
	struct am_buf errs;
	struct am_config *cfg;
	struct am_keys *ks;
	const struct am_key *k;
	const char *d = NULL;
	char *text, path[512];

	snprintf(path, sizeof(path), "%s", am_test_path(0, "ed.pem"));
	am_test_arc_key_pem(&ed, path);
	ck_assert(chmod(path, 0600) == 0);
	text = with_dir("Domain seal.example\nSelector ed\nKeyFile @/ed.pem\n"
	    "ARCSeal yes\nARCSealKey ed\nARCMaxSets 20\n"
	    "ARCTrustedSealers lists.example, fwd.example\n");
	am_test_put(am_test_path(0, "t.conf"), text);
	free(text);
	am_buf_init(&errs, 65536);
	cfg = am_config_load(am_test_path(0, "t.conf"), &errs, NULL);
	ck_assert_msg(cfg != NULL, "%s", am_buf_str(&errs));
	ck_assert(cfg->arc_seal && cfg->arc_max_sets == 20);
	ck_assert_str_eq(cfg->arc_trusted_sealers, "lists.example, fwd.example");
	ks = am_keys_load(cfg, &errs, NULL);
	ck_assert_msg(ks != NULL, "%s", am_buf_str(&errs));
	k = am_arc_seal_key(ks, cfg, &d, NULL);
	ck_assert(k != NULL && k->alg == AM_KEY_ED25519_SHA256);
	ck_assert_str_eq(d, "seal.example");
	am_keys_free(ks);
	am_config_unref(cfg);
	am_buf_release(&errs);
}
END_TEST

START_TEST(test_defaults)
{
	struct am_config *cfg = am_config_defaults();

	ck_assert(!cfg->arc_seal);
	ck_assert_int_eq(cfg->arc_max_sets, 50);
	ck_assert_str_eq(cfg->arc_seal_key, "");
	ck_assert_str_eq(cfg->arc_trusted_sealers, "");
	am_config_unref(cfg);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("arc_seal");
	TCase *tc = tcase_create("seal"), *tk = tcase_create("keys");
	int rc;

	am_test_arc_key(&rsa, 2048, "seal.example", "rsa");
	am_test_arc_key(&ed, 0, "seal.example", "ed");
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_first_set, 0, 2);
	tcase_add_test(tc, test_three_hops);
	tcase_add_test(tc, test_failed_chain);
	tcase_add_test(tc, test_fifty_sets);
	tcase_add_test(tc, test_options);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(tk, am_test_dir_make, am_test_dir_remove);
	tcase_add_loop_test(tk, test_seal_key, 0,
	    sizeof(key_cases) / sizeof(key_cases[0]));
	tcase_add_test(tk, test_seal_key_simple);
	tcase_add_test(tk, test_defaults);
	suite_add_tcase(s, tk);
	rc = am_test_run(s);
	am_test_arc_key_release(&rsa);
	am_test_arc_key_release(&ed);
	return rc;
}
