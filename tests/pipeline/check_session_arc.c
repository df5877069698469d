/*
 * check_session_arc - ARC (RFC 8617) through the pipeline the milter and
 * authmilterctl share. A message signed by its author (DKIM, example.org,
 * p=reject) goes through a mailing list that adds List-Id and a footer
 * (the signature breaks) and seals it (lib/arc, as the list's outgoing MTA
 * would); then:
 *  - with lists.example in ARCTrustedSealers it is accepted: arc=pass in
 *    our A-R, dmarc=fail with dis=none override=local_policy and the
 *    sealer's recorded dkim=pass as the comment, in A-R, the log line and
 *    the aggregate-report row;
 *  - from an untrusted sealer it is rejected 550; with
 *    DMARCMailingListAction quarantine it is quarantined (mailing_list);
 *  - a trusted seal under a later untrusted hop that rewrote the body
 *    (oldest-pass above it) vouches for nothing: rejected;
 * and with ARCSeal we seal what we accept (i=1 cv=none on a message
 * without a chain, i=N+1 cv=pass on a passing one, cv=fail on a broken
 * one), the result validates with lib/arc and records our A-R; a chain that
 * ended is not sealed again (logged), and hostile ARC headers are a clear
 * arc=fail, never a crash.
 */
#include "autoconf.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "msg/eml.h"
#include "arc/arc_seal.h"
#include "arc/arc_verify.h"
#include "pipeline/ctx.h"
#include "pipeline/session.h"
#include "pipeline/verdict.h"
#include "report/report_store.h"
#include "testutil/testarc.h"
#include "testutil/testrr.h"
#include "testutil/testsession.h"
#include "testutil/testutil.h"

#define AR "Authentication-Results"
#define CLIENT "192.0.2.20"
#define LIST_AAR "lists.example; dkim=pass header.d=example.org " \
	"header.s=ed; spf=pass smtp.mailfrom=alice@example.org; " \
	"dmarc=pass header.from=example.org"
#define NOTE "arc=pass as.d=lists.example as.s=arc i=1 dkim=pass " \
	"header.d=example.org"

static const char original[] =
    "From: Alice <alice@example.org>\r\nTo: list@lists.example\r\n"
    "Subject: hello\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\n"
    "Message-ID: <1@example.org>\r\n\r\nHello list.\r\n";

/* Made once in main(): the author's, the list's, a stranger's keys. */
static struct am_key author_key, list_key, evil_key, our_key;
static char dir[] = "/tmp/check_session_arc.XXXXXX";
static char *signed_msg;	/* the message as its author signed it */
static char *listed;	/* the message as the trusted list sealed it */

/* ---------------------------------------------------------- helpers */

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

/* run_text - one transaction of text from ip; the verdict into v. */
static void
run_text(struct am_ctx *ctx, const char *ip, const char *text,
    struct am_verdict *v)
{
	struct am_session *s = am_session_new(ctx);
	struct am_eml_sink sink = { eml_header, eml_eoh, eml_body, s };
	struct am_addr addr;
	struct am_why why;
	FILE *fp = fmemopen((void *)text, strlen(text), "r");

	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(am_addr_parse(ip, &addr), AM_OK);
	am_session_set_leadspc(s, true);
	am_session_connect(s, "client.example", &addr, am_test_macros_get,
	    NULL);
	am_session_helo(s, "client.example", am_test_macros_get, NULL);
	am_verdict_init(v);
	am_session_mail(s, "<alice@example.org>", am_test_macros_get, NULL, v);
	ck_assert_int_eq(v->disp, AM_DISP_ACCEPT);
	am_session_rcpt(s, "<bob@example.net>", am_test_macros_get, NULL);
	ck_assert_int_eq(am_eml_parse(fp, &sink, &why), AM_OK);
	fclose(fp);
	am_session_eom(s, am_test_macros_get, NULL, v);
	am_session_free(s);
}

/* received - text as the next hop gets it: v's insertions on top (values
 * folded "\n\t" -> CRLF), owned. */
static char *
received(const struct am_verdict *v, const char *text)
{
	struct am_buf b;
	size_t i;
	const char *p;

	am_buf_init(&b, 1 << 20);
	for (i = 0; i < v->nins; i++) {
		ck_assert(am_buf_printf(&b, "%s: ", v->ins[i].name) == AM_OK);
		for (p = v->ins[i].value; *p != '\0'; p++)
			ck_assert(am_buf_puts(&b, *p == '\n' ? "\r\n" :
			    (char[]){ *p, '\0' }) == AM_OK);
		ck_assert(am_buf_puts(&b, "\r\n") == AM_OK);
	}
	ck_assert(am_buf_puts(&b, text) == AM_OK);
	return am_buf_export(&b);
}

/* publish - every test key in dns. */
static void
publish(struct am_dns *dns)
{
	static const struct {
		const struct am_key *k;
		const char *name;
	} keys[] = {
		{ &author_key, "ed._domainkey.example.org" },
		{ &list_key, "arc._domainkey.lists.example" },
		{ &evil_key, "arc._domainkey.evil.example" },
		{ &our_key, "arc._domainkey.mx.test.example" },
	};
	size_t i;
	char *rec;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		rec = am_test_arc_key_record(keys[i].k);
		am_test_dns_add_txt(dns, keys[i].name, rec);
		free(rec);
	}
	am_test_dns_add(dns, "_dmarc.example.org. 300 IN TXT "
	    "\"v=DMARC1; p=reject; rua=mailto:dmarc@example.org\"");
}

/* rx - our MX: the base configuration and more, the keys published. */
static struct am_ctx *
rx(const char *more)
{
	char conf[2048];
	struct am_ctx *ctx;

	ck_assert(snprintf(conf, sizeof(conf), AM_TEST_SESSION_CFG
	    "Domain mx.test.example\nSelector arc\nKeyFile %s/our.key\n%s",
	    dir, more) < (int)sizeof(conf));
	ctx = am_test_ctx_new(conf);
	publish(ctx->current->dns);
	return ctx;
}

/* seal_text - text sealed by k (d= k's domain, s=arc) recording aar;
 * the body first gets extra appended when not NULL; owned. */
static char *
seal_text(const char *text, const struct am_key *k, enum am_arc_status chain,
    const char *aar, const char *extra)
{
	struct am_arc_seal_opts o = { .key = k, .timestamp = 1700000000,
	    .max_sets = 50 };
	struct am_test_arc_msg t;
	struct am_why why;
	char *out;

	am_test_arc_load(&t, text, strlen(text));
	if (extra != NULL)
		ck_assert(am_buf_puts(&t.body, extra) == AM_OK);
	out = am_test_arc_seal(&t, &o, chain, aar, NULL, &why);
	ck_assert_msg(out != NULL, "seal: %s", why.text);
	am_test_arc_release(&t);
	return out;
}

/* verify_text - lib/arc's verdict on text over ctx's DNS. */
static void
verify_text(struct am_ctx *ctx, const char *text, struct am_arc_result *res)
{
	struct am_test_arc_msg t;

	am_test_arc_load(&t, text, strlen(text));
	am_test_arc_verify(ctx->current->dns, &t, 0, res);
	am_test_arc_release(&t);
}

/* ------------------------------------------------------------ tests */

START_TEST(trusted_sealer_overrides_reject)
{
	struct am_ctx *ctx = rx("ARCTrustedSealers other.example, "
	    "Lists.Example\n");
	struct am_verdict v;
	const char *ar;

	run_text(ctx, CLIENT, listed, &v);
	ck_assert_msg(v.disp == AM_DISP_ACCEPT, "%s", am_buf_str(&v.summary));
	ar = am_test_ins_value(&v, AR);
	ck_assert_msg(strstr(ar, "dkim=fail (256-bit ed25519 key; "
	    "unprotected) reason=\"body hash mismatch\"") != NULL, "%s", ar);
	ck_assert_msg(strstr(ar, "arc=pass (i=1) header.oldest-pass=0 "
	    "smtp.remote-ip=" CLIENT ";") != NULL, "%s", ar);
	ck_assert_msg(strstr(ar, "(p=reject sp=reject dis=none "
	    "override=local_policy " NOTE ")") != NULL, "%s", ar);
	ck_assert_msg(strstr(am_buf_str(&v.summary), " arc=pass(i=1) "
	    "dmarc=fail(example.org p=reject dis=none override=local_policy) ")
	    != NULL, "%s", am_buf_str(&v.summary));
	ck_assert_str_eq(v.dmarc->override_comment, NOTE);
	am_verdict_release(&v);
	am_ctx_free(ctx);
}
END_TEST

START_TEST(untrusted_sealer_rejected_or_list_quarantined)
{
	struct am_ctx *ctx = rx("ARCTrustedSealers other.example\n");
	struct am_verdict v;

	run_text(ctx, CLIENT, listed, &v);
	ck_assert_int_eq(v.disp, AM_DISP_REJECT);
	ck_assert_str_eq(v.rcode, "550");
	ck_assert_ptr_nonnull(strstr(am_buf_str(&v.summary), " arc=pass(i=1) "
	    "dmarc=fail(example.org p=reject dis=reject) "));
	am_verdict_release(&v);
	am_ctx_free(ctx);

	ctx = rx("DMARCMailingListAction quarantine\n");
	run_text(ctx, CLIENT, listed, &v);
	ck_assert_int_eq(v.disp, AM_DISP_QUARANTINE);
	ck_assert_str_eq(v.dmarc->override_comment, "mailing list: "
	    "d=example.org: body hash mismatch");
	ck_assert_ptr_nonnull(strstr(am_buf_str(&v.summary),
	    "dis=quarantine override=mailing_list"));
	am_verdict_release(&v);
	am_ctx_free(ctx);
}
END_TEST

/* A hop that rewrote the body after the trusted seal and sealed on top:
 * the chain passes, AMS(1) no longer validates (oldest-pass 2), so the
 * trusted set cannot vouch for what the message now says. */
START_TEST(rewrite_after_trusted_seal_vouches_nothing)
{
	struct am_ctx *ctx = rx("ARCTrustedSealers lists.example\n");
	char *evil = seal_text(listed, &evil_key, AM_ARC_PASS,
	    "evil.example; arc=pass", "Buy now.\r\n");
	struct am_verdict v;

	run_text(ctx, CLIENT, evil, &v);
	ck_assert_msg(strstr(am_test_ins_value(&v, AR), "arc=pass (i=2) "
	    "header.oldest-pass=2 ") != NULL, "%s", am_test_ins_value(&v, AR));
	ck_assert_int_eq(v.disp, AM_DISP_REJECT);
	ck_assert_int_eq(v.dmarc->override, AM_DMARC_OVERRIDE_NONE);
	am_verdict_release(&v);
	am_ctx_free(ctx);
	/* the rewriting hop trusted too: its set is the one relied on, and
	 * it recorded no pass for example.org */
	ctx = rx("ARCTrustedSealers lists.example evil.example\n");
	run_text(ctx, CLIENT, evil, &v);
	ck_assert_int_eq(v.disp, AM_DISP_REJECT);
	ck_assert_int_eq(v.dmarc->override, AM_DMARC_OVERRIDE_NONE);
	am_verdict_release(&v);
	am_ctx_free(ctx);
	free(evil);
}
END_TEST

/* The override reaches the aggregate-report row with its comment. */
START_TEST(report_row_has_override_comment)
{
	struct am_ctx *ctx = rx("ARCTrustedSealers lists.example\n");
	const char *paths[1];
	struct am_report_set *set;
	struct am_verdict v;
	struct am_why why;
	char db[600];

	ck_assert(snprintf(db, sizeof(db), "%s/reports.db", dir) <
	    (int)sizeof(db));
	unlink(db);
	ctx->reports = am_report_store_open(db, NULL, &why);
	ck_assert_ptr_nonnull(ctx->reports);
	run_text(ctx, CLIENT, listed, &v);
	am_verdict_release(&v);
	ck_assert_int_eq(am_report_store_flush(ctx->reports, 10000, &why),
	    AM_OK);
	paths[0] = db;
	ck_assert_int_eq(am_report_store_query(paths, 1, 0, INT64_MAX, NULL,
	    &set, &why), AM_OK);
	ck_assert_uint_eq(set->n_domains, 1);
	ck_assert_uint_eq(set->domains[0].n_records, 1);
	ck_assert_uint_eq(set->domains[0].records[0].row.n_reasons, 1);
	ck_assert_int_eq(set->domains[0].records[0].row.reasons[0].type,
	    AM_REPORT_REASON_LOCAL_POLICY);
	ck_assert_str_eq(set->domains[0].records[0].row.reasons[0].comment,
	    NOTE);
	set = am_report_set_free(set);
	am_ctx_free(ctx);
}
END_TEST

/* ARCSeal: we seal what we accept; lib/arc validates it, and the AAR is
 * our A-R. */
START_TEST(we_seal_and_it_validates)
{
	struct am_ctx *ctx = rx("ARCSeal yes\nARCSealKey arc\n"
	    "ARCTrustedSealers lists.example\n");
	struct am_arc_result res;
	struct am_verdict v;
	char *text;

	/* a message without a chain: i=1, cv=none */
	run_text(ctx, CLIENT, signed_msg, &v);
	ck_assert_uint_eq(v.arc_sealed, 1);
	ck_assert_str_eq(v.ins[0].name, "ARC-Seal");
	ck_assert_ptr_nonnull(strstr(v.ins[0].value, "cv=none"));
	ck_assert_ptr_nonnull(strstr(v.ins[0].value, "d=mx.test.example"));
	ck_assert_str_eq(v.ins[1].name, "ARC-Message-Signature");
	ck_assert_str_eq(v.ins[2].name, "ARC-Authentication-Results");
	ck_assert_str_eq(v.ins[3].name, AR);
	ck_assert_ptr_nonnull(strstr(v.ins[2].value, "i=1; mx.test.example;"));
	ck_assert_str_eq(v.ins[2].value + strlen("i=1; "), v.ins[3].value);
	ck_assert_ptr_nonnull(strstr(am_buf_str(&v.summary), " arc-seal=i=1 "));
	ck_assert_ptr_nonnull(strstr(v.ins[2].value, "dkim=pass"));
	text = received(&v, signed_msg);
	verify_text(ctx, text, &res);
	ck_assert_msg(res.status == AM_ARC_PASS, "%s", res.reason);
	ck_assert_uint_eq(res.count, 1);
	am_arc_result_release(&res);
	free(text);
	am_verdict_release(&v);

	/* the list's passing chain: i=2, cv=pass, both sets validate */
	run_text(ctx, CLIENT, listed, &v);
	ck_assert_uint_eq(v.arc_sealed, 2);
	ck_assert_ptr_nonnull(strstr(v.ins[0].value, "cv=pass"));
	ck_assert_ptr_nonnull(strstr(v.ins[2].value, "arc=pass"));
	text = received(&v, listed);
	verify_text(ctx, text, &res);
	ck_assert_msg(res.status == AM_ARC_PASS, "%s", res.reason);
	ck_assert_uint_eq(res.count, 2);
	ck_assert_str_eq(res.sealers[1].as_domain, "mx.test.example");
	ck_assert_uint_eq(res.oldest_pass, 0);
	am_arc_result_release(&res);
	free(text);
	am_verdict_release(&v);
	am_ctx_free(ctx);
}
END_TEST

/* A broken chain is sealed with cv=fail (RFC 8617 §5.1.2) once; the next
 * hop finds it ended and does not seal again, which is logged, not an
 * error. */
START_TEST(failed_chain_sealed_once)
{
	struct am_ctx *ctx = rx("ARCSeal yes\nARCSealKey arc\n");
	struct am_verdict v;
	char *broken, *text;
	size_t n = strlen(listed);

	broken = malloc(n + 16);
	ck_assert_ptr_nonnull(broken);
	memcpy(broken, listed, n + 1);
	memcpy(broken + n, "Changed.\r\n", 11);	/* AMS(1) breaks */
	run_text(ctx, CLIENT, broken, &v);
	ck_assert_int_eq(v.disp, AM_DISP_REJECT);	/* p=reject */
	am_verdict_release(&v);
	am_ctx_free(ctx);
	ctx = rx("ARCSeal yes\nARCSealKey arc\nDMARCEnforce no\n");
	run_text(ctx, CLIENT, broken, &v);
	ck_assert_int_eq(v.disp, AM_DISP_ACCEPT);
	ck_assert_ptr_nonnull(strstr(am_test_ins_value(&v, AR),
	    "arc=fail (i=1) reason=\"ARC-Message-Signature i=1: body hash "
	    "mismatch\""));
	ck_assert_uint_eq(v.arc_sealed, 2);
	ck_assert_ptr_nonnull(strstr(v.ins[0].value, "cv=fail"));
	text = received(&v, broken);
	am_verdict_release(&v);
	run_text(ctx, CLIENT, text, &v);
	ck_assert_int_eq(v.disp, AM_DISP_ACCEPT);
	ck_assert_uint_eq(v.arc_sealed, 0);
	ck_assert_str_eq(v.arc_seal_note, "chain ended: ARC-Seal i=2 has "
	    "cv=fail");
	ck_assert_ptr_nonnull(strstr(am_buf_str(&v.summary),
	    " arc-seal=no(chain ended: ARC-Seal i=2 has cv=fail) "));
	ck_assert_ptr_nonnull(strstr(am_test_ins_value(&v, AR), "arc=fail"));
	ck_assert_str_eq(v.ins[0].name, AR);
	am_verdict_release(&v);
	free(text);
	free(broken);
	am_ctx_free(ctx);
}
END_TEST

/* Hostile ARC headers: a clear arc=fail with a reason, never a crash; the
 * message is still sealed (cv=fail) or not, and nothing else changes. */
START_TEST(hostile_arc_headers_fail_cleanly)
{
	static const char *const bad[] = {
		"ARC-Seal: i=1; cv=none\r\n",
		"ARC-Seal: i=99; a=rsa-sha256; cv=none; d=x; s=y; b=AA==\r\n",
		"ARC-Seal: i=1; i=1; ==;;;\r\nARC-Seal: i=1\r\n",
		"ARC-Authentication-Results: i=0\r\nARC-Message-Signature: "
		    "i=1; a=ed25519-sha256; b=; bh=; d=; h=arc-seal; s=\r\n",
		"ARC-Message-Signature: i=1; h=from; d=\xff\xfe; s=\x01\r\n",
	};
	struct am_ctx *ctx = rx("ARCSeal yes\nARCSealKey arc\n"
	    "DMARCEnforce no\nARCTrustedSealers lists.example\n");
	struct am_verdict v;
	char text[2048];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert(snprintf(text, sizeof(text), "%s%s", bad[i],
		    original) < (int)sizeof(text));
		run_text(ctx, CLIENT, text, &v);
		ck_assert_int_eq(v.disp, AM_DISP_ACCEPT);
		ck_assert_msg(strstr(am_test_ins_value(&v, AR), "arc=fail") !=
		    NULL && strstr(am_test_ins_value(&v, AR), "reason=") !=
		    NULL, "case %zu: %s", i, am_test_ins_value(&v, AR));
		ck_assert_ptr_nonnull(strstr(am_buf_str(&v.summary),
		    " arc=fail"));
		ck_assert_int_eq(v.dmarc->override,
		    AM_DMARC_OVERRIDE_LOCAL_POLICY);	/* DMARCEnforce no */
		ck_assert_str_eq(v.dmarc->override_comment, "");
		am_verdict_release(&v);
	}
	am_ctx_free(ctx);
}
END_TEST

/* ARCSeal yes without a usable key refuses the configuration, naming the
 * key that chose it. */
START_TEST(seal_without_key_refused)
{
	struct am_config *cfg;
	struct am_buf errs;
	char conf[256], *path;

	ck_assert(snprintf(conf, sizeof(conf), "AuthservID mx\n"
	    "TrustAnchorFile\nARCSeal yes\nARCSealKey nokey\n") <
	    (int)sizeof(conf));
	path = am_test_temp_file(conf, strlen(conf));
	am_buf_init(&errs, 4096);
	cfg = am_config_load(path, &errs, NULL);
	ck_assert_ptr_nonnull(cfg);
	ck_assert_ptr_null(am_runtime_new(cfg, &(struct am_runtime_opts){
	    .local_dns = true }, &errs, NULL));
	ck_assert_msg(strstr(am_buf_str(&errs), ":4: ARCSealKey nokey is not "
	    "in the key table") != NULL, "%s", am_buf_str(&errs));
	am_buf_release(&errs);
	unlink(path);
	free(path);
}
END_TEST

/* setup - the keys, and the message as the trusted list sealed it. */
static void
setup(void)
{
	struct am_ctx *ctx;
	struct am_verdict v;
	char conf[1024], *modified;
	const char *body;

	AM_TEST_NEED(mkdtemp(dir) != NULL);
	am_test_arc_key(&author_key, 0, "example.org", "ed");
	am_test_arc_key(&list_key, 1024, "lists.example", "arc");
	am_test_arc_key(&evil_key, 1024, "evil.example", "arc");
	am_test_arc_key(&our_key, 1024, "mx.test.example", "arc");
	AM_TEST_NEED(snprintf(conf, sizeof(conf), "%s/author.key", dir) > 0);
	am_test_arc_key_pem(&author_key, conf);
	AM_TEST_NEED(chmod(conf, 0600) == 0);
	AM_TEST_NEED(snprintf(conf, sizeof(conf), "%s/our.key", dir) > 0);
	am_test_arc_key_pem(&our_key, conf);
	AM_TEST_NEED(chmod(conf, 0600) == 0);
	/* the author's MTA signs (an internal client: outbound) */
	AM_TEST_NEED(snprintf(conf, sizeof(conf), AM_TEST_SESSION_CFG
	    "Domain example.org\nSelector ed\nKeyFile %s/author.key\n", dir) <
	    (int)sizeof(conf));
	ctx = am_test_ctx_new(conf);
	run_text(ctx, "10.0.0.5", original, &v);
	AM_TEST_NEED(v.nins >= 1 && strcmp(v.ins[0].name,
	    "DKIM-Signature") == 0);
	signed_msg = received(&v, original);
	am_verdict_release(&v);
	am_ctx_free(ctx);
	/* the list adds List-Id and a footer, then its MTA seals */
	body = strstr(signed_msg, "\r\n\r\n");
	AM_TEST_NEED(body != NULL);
	AM_TEST_NEED(asprintf(&modified, "List-Id: <list.lists.example>\r\n"
	    "%s", signed_msg) > 0);
	listed = seal_text(modified, &list_key, AM_ARC_NONE, LIST_AAR,
	    "-- \r\nlist footer\r\n");
	free(modified);
}

int
main(void)
{
	Suite *s = suite_create("session_arc");
	TCase *tc = tcase_create("arc");
	char cmd[600];
	int rc;

	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, setup, NULL);
	tcase_add_test(tc, trusted_sealer_overrides_reject);
	tcase_add_test(tc, untrusted_sealer_rejected_or_list_quarantined);
	tcase_add_test(tc, rewrite_after_trusted_seal_vouches_nothing);
	tcase_add_test(tc, report_row_has_override_comment);
	tcase_add_test(tc, we_seal_and_it_validates);
	tcase_add_test(tc, failed_chain_sealed_once);
	tcase_add_test(tc, hostile_arc_headers_fail_cleanly);
	tcase_add_test(tc, seal_without_key_refused);
	suite_add_tcase(s, tc);
	rc = am_test_run(s);
	(void)snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (dir[sizeof(dir) - 7] != 'X')
		(void)system(cmd);
	free(listed);
	free(signed_msg);
	am_test_arc_key_release(&author_key);
	am_test_arc_key_release(&list_key);
	am_test_arc_key_release(&evil_key);
	am_test_arc_key_release(&our_key);
	return rc;
}
