/*
 * check_session_auth - sender authentication through the pipeline the
 * milter and authmilterctl share: DKIM verification with the RFC 8463
 * vectors, SPF enforcement with the domain's explanation and our old
 * Received-SPF removed, outbound DKIM signing verified by an inbound
 * session, DMARC enforcement and the multiple-From reject, with the summary
 * line and counters (lib/pipeline/stats.h) for each result. check_session
 * has the trust boundary, modes, TLS and reload.
 */
#include "autoconf.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "msg/eml.h"
#include "dkim/keys.h"
#include "pipeline/ctx.h"
#include "pipeline/session.h"
#include "pipeline/verdict.h"
#include "testutil/testrr.h"
#include "testutil/testsession.h"
#include "testutil/testutil.h"

#define AR "Authentication-Results"

/* decided - messages decided with mode and disposition (-1: any). */
static unsigned long long
decided(const struct am_stats *st, int mode, int disp)
{
	unsigned long long n = 0;
	int m, d;

	for (d = 0; d < AM_STATS_NDISP; d++)
		for (m = 0; m < AM_STATS_NMODE; m++)
			if ((mode < 0 || m == mode) && (disp < 0 || d == disp))
				n += atomic_load(&st->decided[d][m]);
	return n;
}

/* The eml sink: a parsed message file into the session. */
static void
eml_header(void *arg, const char *name, const char *value, size_t len)
{
	am_session_header(arg, name, value, len);
}

static void
eml_eoh(void *arg)
{
	am_session_eoh(arg, am_test_macros_get, NULL);
}

static void
eml_body(void *arg, const void *p, size_t len)
{
	(void)am_session_body(arg, p, len);
}

/* RFC 8463 A.3: one Ed25519 and one RSA signature, both verified through
 * the session with the keys as resolver local data. */
START_TEST(dkim_verified_in_pipeline)
{
	struct am_ctx *ctx = am_test_ctx_new(AM_TEST_SESSION_CFG);
	struct am_session *s = am_session_new(ctx);
	struct am_eml_sink sink = { eml_header, eml_eoh, eml_body, NULL };
	struct am_verdict v;
	struct am_addr addr;
	struct am_why why;
	FILE *fp;

	am_test_dns_load(ctx->current->dns, AM_TOP_SRCDIR
	    "/tests/conformance/dkim/rfc8463/dns.txt", false);
	ck_assert_int_eq(am_addr_parse("192.0.2.10", &addr), AM_OK);
	am_session_connect(s, "c", &addr, am_test_macros_get, NULL);
	am_session_helo(s, "c", am_test_macros_get, NULL);
	am_verdict_init(&v);
	am_session_mail(s, "<joe@football.example.com>", am_test_macros_get,
	    NULL, &v);
	fp = fopen(AM_TOP_SRCDIR "/tests/conformance/dkim/rfc8463/signed.eml",
	    "r");
	ck_assert_ptr_nonnull(fp);
	sink.arg = s;
	ck_assert_int_eq(am_eml_parse(fp, &sink, &why), AM_OK);
	fclose(fp);
	am_session_eom(s, am_test_macros_get, NULL, &v);
	ck_assert_ptr_nonnull(strstr(v.ins[0].value, "dkim=pass (256-bit "
	    "ed25519 key; unprotected) header.d=football.example.com"));
	ck_assert_ptr_nonnull(strstr(v.ins[0].value, "dkim=pass (1024-bit "
	    "rsa key; unprotected) header.d=football.example.com"));
	ck_assert_ptr_nonnull(strstr(am_buf_str(&v.summary),
	    "dkim=pass:football.example.com,pass:football.example.com"));
	ck_assert_uint_eq(atomic_load(&ctx->stats.dkim[AM_STATS_DKIM_PASS]), 1);
	ck_assert_uint_eq(atomic_load(&ctx->stats.dkim[AM_STATS_DKIM_FAIL]) +
	    atomic_load(&ctx->stats.dkim[AM_STATS_DKIM_NONE]), 0);
	ck_assert_uint_eq(decided(&ctx->stats, AM_MODE_INBOUND, -1), 1);
	ck_assert_uint_eq(atomic_load(&ctx->stats.signed_msgs), 0);
	am_verdict_release(&v);
	am_session_free(s);
	am_ctx_free(ctx);
}
END_TEST

/* SPF fail with SPFFailAction reject: 550 5.7.23 with the domain's own
 * explanation; softfail is accepted with the result in A-R and
 * Received-SPF; our old Received-SPF is removed, another receiver's kept. */
START_TEST(spf_enforced_and_forged_received_spf_removed)
{
	static const char *const hdrs[] = {
		"Received-SPF", " pass (forged) client-ip=192.0.2.10; "
		    "receiver=mx.test.example; identity=mailfrom",
		"Received-SPF", " pass client-ip=192.0.2.10;receiver=relay.other",
		"From", " a@example.org", NULL,
	};
	struct am_ctx *ctx = am_test_ctx_new(AM_TEST_SESSION_CFG
	    "SPFFailAction reject\n");
	struct am_session *s = am_session_new(ctx);
	struct am_verdict v;

	ck_assert_int_eq(am_dns_add_local(ctx->current->dns, "example.org. "
	    "300 IN TXT \"v=spf1 ip4:198.51.100.0/24 -all exp=why.example.org\"",
	    NULL), AM_OK);
	ck_assert_int_eq(am_dns_add_local(ctx->current->dns, "why.example.org. "
	    "300 IN TXT \"%{i} is not one of %{d}'s servers\"", NULL), AM_OK);
	am_test_session_run(s, "192.0.2.10", NULL, hdrs, &v);
	ck_assert_int_eq(v.disp, AM_DISP_REJECT);
	ck_assert_str_eq(v.rcode, "550");
	ck_assert_str_eq(v.xcode, "5.7.23");
	ck_assert_str_eq(v.reply,
	    "192.0.2.10 is not one of example.org's servers");
	ck_assert_ptr_nonnull(strstr(am_buf_str(&v.summary), "spf=fail"));
	ck_assert_uint_eq(atomic_load(&ctx->stats.spf[AM_STATS_SPF_FAIL]), 1);
	ck_assert_uint_eq(decided(&ctx->stats, -1, AM_DISP_REJECT), 1);
	ck_assert_uint_eq(atomic_load(&ctx->stats.dkim[AM_STATS_DKIM_NONE]), 1);
	am_verdict_release(&v);
	am_session_free(s);
	am_ctx_free(ctx);

	ctx = am_test_ctx_new(AM_TEST_SESSION_CFG);
	s = am_session_new(ctx);
	ck_assert_int_eq(am_dns_add_local(ctx->current->dns, "example.org. "
	    "300 IN TXT \"v=spf1 ip4:198.51.100.0/24 ~all\"", NULL), AM_OK);
	am_test_session_run(s, "192.0.2.10", NULL, hdrs, &v);
	ck_assert_int_eq(v.disp, AM_DISP_ACCEPT);
	ck_assert_ptr_nonnull(strstr(v.ins[0].value, "spf=softfail"));
	ck_assert_ptr_nonnull(strstr(am_test_ins_value(&v, "Received-SPF"),
	    "softfail"));
	ck_assert_uint_eq(v.ndel, 1);
	ck_assert_str_eq(v.del[0].name, "Received-SPF");
	ck_assert_uint_eq(v.del[0].n, 1);
	ck_assert_uint_eq(atomic_load(&ctx->stats.spf[AM_STATS_SPF_SOFTFAIL]),
	    1);
	ck_assert_uint_eq(atomic_load(&ctx->stats.spf[AM_STATS_SPF_FAIL]), 0);
	am_verdict_release(&v);
	am_session_free(s);
	am_ctx_free(ctx);
}
END_TEST

/* sign_round_trip - an internal client's message is signed with an RSA and
 * an Ed25519 key (dual signing); a forged A-R we delete is not signed; the
 * signed message then verifies in an inbound session that publishes the two
 * keys. */
START_TEST(outbound_signed_then_verified)
{
	static const char *const hdrs[] = {
		"From", " Alice <alice@example.org>", "To", " bob@example.net",
		"Subject", " signed", AR, " mx.test.example; dkim=pass", NULL,
	};
	char dir[] = "/tmp/check_session_keys.XXXXXX", cmd[512], conf[1024];
	struct am_ctx *ctx, *rx;
	struct am_session *s;
	struct am_verdict v, v2;
	struct am_buf rec;
	struct am_addr addr;
	size_t i;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	(void)snprintf(cmd, sizeof(cmd), "cd %s && openssl genpkey -algorithm RSA "
	    "-pkeyopt rsa_keygen_bits:2048 -out rsa.key 2>/dev/null && "
	    "openssl genpkey -algorithm ED25519 -out ed.key 2>/dev/null && "
	    "chmod 600 rsa.key ed.key", dir);
	ck_assert_int_eq(system(cmd), 0);
	(void)snprintf(conf, sizeof(conf), AM_TEST_SESSION_CFG
	    "Domain example.org\nSelector rsa, ed\n"
	    "KeyFile %s/rsa.key, %s/ed.key\n", dir, dir);
	ctx = am_test_ctx_new(conf);
	s = am_session_new(ctx);
	am_test_session_run(s, "10.0.0.5", NULL, hdrs, &v);
	ck_assert_int_eq(am_session_mode(s), AM_MODE_OUTBOUND);
	ck_assert_str_eq(v.ins[0].name, "DKIM-Signature");
	ck_assert_str_eq(v.ins[1].name, "DKIM-Signature");
	ck_assert_ptr_nonnull(strstr(v.ins[0].value, "a=rsa-sha256"));
	ck_assert_ptr_nonnull(strstr(v.ins[1].value, "a=ed25519-sha256"));
	ck_assert_ptr_null(strcasestr(v.ins[0].value, "authentication-results"));
	ck_assert_ptr_nonnull(strstr(am_buf_str(&v.summary),
	    "dkim-sign=example.org/rsa,example.org/ed"));
	ck_assert_uint_eq(atomic_load(&ctx->stats.signed_msgs), 1);
	ck_assert_uint_eq(decided(&ctx->stats, AM_MODE_OUTBOUND, -1), 1);
	ck_assert_uint_eq(decided(&ctx->stats, AM_MODE_INBOUND, -1), 0);
	ck_assert_uint_eq(atomic_load(&ctx->stats.sig_alg[
	    AM_STATS_ALG_RSA_SHA256]), 1);
	ck_assert_uint_eq(atomic_load(&ctx->stats.sig_alg[
	    AM_STATS_ALG_ED25519_SHA256]), 1);
	ck_assert_uint_eq(atomic_load(&ctx->stats.sig_alg[
	    AM_STATS_ALG_OTHER]), 0);
	ck_assert_uint_eq(atomic_load(&ctx->stats.dkim[AM_STATS_DKIM_NONE]), 0);
	am_session_free(s);

	/* Receive it: the two signatures on top, then the original headers
	 * (without the deleted forged A-R), the same body. */
	rx = am_test_ctx_new(AM_TEST_SESSION_CFG);
	am_buf_init(&rec, 8192);
	for (i = 0; i < am_keys_count(ctx->current->keys); i++) {
		const struct am_key *k = am_keys_get(ctx->current->keys, i);

		am_buf_reset(&rec);
		ck_assert_int_eq(am_key_record(k, &rec), AM_OK);
		am_test_dns_add_txt(rx->current->dns, i == 0 ?
		    "rsa._domainkey.example.org" : "ed._domainkey.example.org",
		    am_buf_str(&rec));
	}
	s = am_session_new(rx);
	ck_assert_int_eq(am_addr_parse("192.0.2.10", &addr), AM_OK);
	am_session_connect(s, "c", &addr, am_test_macros_get, NULL);
	am_verdict_init(&v2);
	am_session_mail(s, "<alice@example.org>", am_test_macros_get, NULL,
	    &v2);
	for (i = 0; i < 2; i++) {
		char *val;

		ck_assert_int_ge(asprintf(&val, " %s", v.ins[i].value), 0);
		am_session_header(s, "DKIM-Signature", val, strlen(val));
		free(val);
	}
	for (i = 0; i < 6; i += 2)
		am_session_header(s, hdrs[i], hdrs[i + 1], strlen(hdrs[i + 1]));
	am_session_eoh(s, am_test_macros_get, NULL);
	(void)am_session_body(s, "hello\r\n", 7);
	am_session_eom(s, am_test_macros_get, NULL, &v2);
	ck_assert_ptr_nonnull(strstr(v2.ins[0].value, "dkim=pass (2048-bit rsa "
	    "key; unprotected) header.d=example.org"));
	ck_assert_ptr_nonnull(strstr(v2.ins[0].value, "dkim=pass (256-bit "
	    "ed25519 key; unprotected) header.d=example.org"));
	am_verdict_release(&v2);
	am_verdict_release(&v);
	am_buf_release(&rec);
	am_session_free(s);
	am_ctx_free(rx);
	am_ctx_free(ctx);
	(void)snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* DMARC through the pipeline: p=reject and nothing aligned -> 550 5.7.1;
 * a second From header, even one too long to keep, is a multiple-From
 * reject (PITFALLS: multiple From headers bypassed DMARC). */
START_TEST(dmarc_enforced_in_pipeline)
{
	static const char *const hdrs[] = { "From", " a@example.org", NULL };
	const char *two[7] = { "From", " a@example.org", "Subject", " x",
	    "From", NULL, NULL };
	struct am_ctx *ctx = am_test_ctx_new(AM_TEST_SESSION_CFG
	    "MaxHeaderLength 998\n");
	struct am_session *s = am_session_new(ctx);
	struct am_verdict v;
	char big[1200];

	ck_assert_int_eq(am_dns_add_local(ctx->current->dns, "_dmarc.example.org."
	    " 300 IN TXT \"v=DMARC1; p=reject\"", NULL), AM_OK);
	am_test_session_run(s, "192.0.2.10", NULL, hdrs, &v);
	ck_assert_int_eq(v.disp, AM_DISP_REJECT);
	ck_assert_str_eq(v.rcode, "550");
	ck_assert_str_eq(v.xcode, "5.7.1");
	ck_assert_ptr_nonnull(strstr(v.reply, "example.org"));
	ck_assert_ptr_nonnull(strstr(v.ins[0].value, "dmarc=fail (p=reject "));
	ck_assert_ptr_nonnull(strstr(am_buf_str(&v.summary),
	    "dmarc=fail(example.org p=reject dis=reject)"));
	ck_assert_uint_eq(atomic_load(&ctx->stats.dmarc[AM_STATS_DMARC_FAIL]),
	    1);
	ck_assert_uint_eq(atomic_load(&ctx->stats.dmarc_disp[
	    AM_STATS_DMARC_DISP_REJECT]), 1);
	/* the resolver counts into the process counters (ctx.c attaches
	 * them): at least the _dmarc TXT, answered from local data */
	ck_assert_uint_ge(atomic_load(&ctx->stats.dns.queries), 1);
	ck_assert_uint_ge(atomic_load(&ctx->stats.dns.answers[
	    AM_DNS_CLASS_OK]), 1);
	ck_assert_uint_eq(atomic_load(&ctx->stats.dns.timeouts), 0);
	am_verdict_release(&v);

	memset(big, 'b', sizeof(big) - 1);
	big[0] = ' ';
	big[sizeof(big) - 1] = '\0';
	two[5] = big;			/* a second From, too long to keep */
	am_test_session_run(s, "192.0.2.10", NULL, two, &v);
	ck_assert_int_eq(v.disp, AM_DISP_REJECT);
	ck_assert_ptr_nonnull(strstr(v.reply, "multiple From"));
	ck_assert_uint_eq(atomic_load(&ctx->stats.dmarc[
	    AM_STATS_DMARC_PERMERROR]), 1);
	ck_assert_uint_eq(decided(&ctx->stats, -1, -1), 2);
	ck_assert_uint_eq(atomic_load(&ctx->stats.dmarc_disp[
	    AM_STATS_DMARC_DISP_REJECT]), 1);	/* no record: not counted */
	{
		struct am_histogram_snapshot h;

		am_histogram_load(&ctx->stats.eom_time, &h);
		ck_assert_uint_eq(h.count, 2);	/* one per end of message */
	}
	am_verdict_release(&v);
	am_session_free(s);
	am_ctx_free(ctx);
}
END_TEST
int
main(void)
{
	Suite *s = suite_create("session_auth");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, dkim_verified_in_pipeline);
	tcase_add_test(tc, spf_enforced_and_forged_received_spf_removed);
	tcase_add_test(tc, outbound_signed_then_verified);
	tcase_add_test(tc, dmarc_enforced_in_pipeline);
	suite_add_tcase(s, tc);
	return am_test_run(s);
}
