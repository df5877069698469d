/*
 * check_session - the pipeline the milter and authmilterctl share: forged
 * Authentication-Results removal (PITFALLS "Trust boundary"), our header at
 * the top, inbound/outbound mode, reload pinning, aborted transactions, the
 * TLS trace header and RequireTLS, the summary line and counters
 * (lib/pipeline/stats.h), the macro lists, and what a hostile message
 * must not do to them (issue 21: many signatures, long fields, reasons in
 * the log line, transactions that end without end of message).
 * check_session_auth runs SPF, DKIM and DMARC through the same pipeline.
 */
#include "autoconf.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "pipeline/ctx.h"
#include "pipeline/session.h"
#include "pipeline/verdict.h"
#include "testutil/testsession.h"
#include "testutil/testutil.h"

#define AR "Authentication-Results"

/* assert_ar - our A-R for am_test_session_run()'s message: the id, then SPF
 * none for the sender and the HELO (their comment text is the SPF module's
 * business), then exactly tail. */
static void
assert_ar(const char *value, const char *id, const char *tail)
{
	size_t vlen = strlen(value), tlen = strlen(tail), ilen = strlen(id);

	if (strncmp(value, id, ilen) != 0 || strncmp(value + ilen, ";\n\t", 3))
		ck_abort_msg("got [%s], want it to start with [%s;]", value, id);
	if (strstr(value, "\n\tspf=none (") == NULL ||
	    strstr(value, "smtp.mailfrom=sender@example.org;") == NULL ||
	    strstr(value, "smtp.helo=client.example;") == NULL)
		ck_abort_msg("got [%s], want spf=none for mailfrom and helo",
		    value);
	if (vlen < tlen || strcmp(value + vlen - tlen, tail) != 0)
		ck_abort_msg("got [%s], want it to end with [%s]", value, tail);
}
START_TEST(inbound_adds_ar_on_top_and_removes_forged)
{
	static const char *const hdrs[] = {
		AR, " mx.test.example; spf=pass smtp.mailfrom=example.org",
		"From", " a@example.org",
		AR, " other.example; dkim=pass header.d=example.org",
		AR, " MX.Test.Example; dkim=pass header.d=example.org",
		AR, " mx.test.example; (unterminated comment",
		AR, " \"mx.test.example\"; spf=pass smtp.mailfrom=x",
		AR, " mx.test.example.evil.example; spf=pass",
		NULL,
	};
	struct am_ctx *ctx = am_test_ctx_new(AM_TEST_SESSION_CFG);
	struct am_session *s = am_session_new(ctx);
	struct am_verdict v;

	am_test_session_run(s, "192.0.2.10", NULL, hdrs, &v);
	ck_assert_int_eq(v.disp, AM_DISP_ACCEPT);
	/* ours: occurrences 1, 3, 4, 5 of six A-R; deleted highest first */
	ck_assert_uint_eq(v.ndel, 4);
	ck_assert_uint_eq(v.del[0].n, 5);
	ck_assert_uint_eq(v.del[1].n, 4);
	ck_assert_uint_eq(v.del[2].n, 3);
	ck_assert_uint_eq(v.del[3].n, 1);
	ck_assert_uint_eq(v.nins, 3);
	ck_assert_str_eq(v.ins[0].name, AR);
	ck_assert_str_eq(v.ins[1].name, "Received-SPF");
	ck_assert_str_eq(v.ins[2].name, "Received-TLS");
	assert_ar(v.ins[0].value, "mx.test.example", "dkim=none;\n\tarc=none smtp.remote-ip=192.0.2.10;\n\tdmarc=none header.from=example.org;\n\tx-tls=none");
	ck_assert_str_eq(am_test_ins_value(&v, "Received-TLS"),
	    "none receiver=mx.test.example");
	ck_assert_ptr_nonnull(strstr(am_buf_str(&v.summary),
	    "mode=inbound"));
	ck_assert_ptr_nonnull(strstr(am_buf_str(&v.summary), "removed=4"));
	ck_assert_uint_eq(atomic_load(&ctx->stats.forged_removed), 4);
	am_verdict_release(&v);
	am_session_free(s);
	am_ctx_free(ctx);
}
END_TEST

/* Forged headers past MaxHeaders are not kept but must still be removed,
 * with exact occurrence numbers. */
START_TEST(forged_beyond_max_headers_removed)
{
	const char *hdrs[2 * 40 + 1];
	struct am_ctx *ctx = am_test_ctx_new(AM_TEST_SESSION_CFG
	    "MaxHeaders 10\n");
	struct am_session *s = am_session_new(ctx);
	struct am_verdict v;
	size_t i;

	for (i = 0; i < 38; i += 2) {
		hdrs[i] = "X-Filler";
		hdrs[i + 1] = " padding";
	}
	hdrs[38] = AR;
	hdrs[39] = " other.example; none";
	hdrs[40] = NULL;
	/* the 20th header: an A-R of someone else, then ours below it */
	am_test_session_run(s, "192.0.2.10", NULL, hdrs, &v);
	ck_assert_uint_eq(v.ndel, 0);
	am_verdict_release(&v);
	hdrs[39] = " mx.test.example; dkim=pass";
	am_test_session_run(s, "192.0.2.10", NULL, hdrs, &v);
	ck_assert_uint_eq(v.ndel, 1);
	ck_assert_uint_eq(v.del[0].n, 1);
	ck_assert_ptr_nonnull(strstr(am_buf_str(&v.summary),
	    "anomalies=too-many-headers"));
	am_verdict_release(&v);
	am_session_free(s);
	am_ctx_free(ctx);
}
END_TEST

START_TEST(internal_client_is_outbound)
{
	static const char *const hdrs[] = {
		AR, " mx.test.example; spf=pass", "From", " a@example.org",
		NULL,
	};
	struct am_ctx *ctx = am_test_ctx_new(AM_TEST_SESSION_CFG);
	struct am_session *s = am_session_new(ctx);
	struct am_verdict v;

	am_test_session_run(s, "10.1.2.3", NULL, hdrs, &v);
	ck_assert_int_eq(am_session_mode(s), AM_MODE_OUTBOUND);
	ck_assert_uint_eq(v.nins, 1);	/* only the TLS trace header */
	ck_assert_str_eq(v.ins[0].name, "Received-TLS");
	ck_assert_uint_eq(v.ndel, 1);	/* forged still removed */
	am_verdict_release(&v);
	am_session_free(s);
	am_ctx_free(ctx);
}
END_TEST

/* The default InternalHosts covers IPv4 and IPv6 loopback (PITFALLS). */
START_TEST(default_internal_hosts_cover_loopback)
{
	static const char *const hdrs[] = { "From", " a@example.org", NULL };
	struct am_ctx *ctx = am_test_ctx_new("TrustAnchorFile\n");
	struct am_session *s = am_session_new(ctx);
	struct am_verdict v;

	am_test_session_run(s, "::1", NULL, hdrs, &v);
	ck_assert_int_eq(am_session_mode(s), AM_MODE_OUTBOUND);
	am_verdict_release(&v);
	am_test_session_run(s, "127.0.0.1", NULL, hdrs, &v);
	ck_assert_int_eq(am_session_mode(s), AM_MODE_OUTBOUND);
	am_verdict_release(&v);
	am_test_session_run(s, "::ffff:127.0.0.1", NULL, hdrs, &v);
	ck_assert_int_eq(am_session_mode(s), AM_MODE_OUTBOUND);
	am_verdict_release(&v);
	am_test_session_run(s, "192.0.2.1", NULL, hdrs, &v);
	ck_assert_int_eq(am_session_mode(s), AM_MODE_INBOUND);
	am_verdict_release(&v);
	am_session_free(s);
	am_ctx_free(ctx);
}
END_TEST

START_TEST(authenticated_is_outbound_and_logged)
{
	static const char *const hdrs[] = { "From", " a@example.org", NULL };
	struct am_test_macros m = { .auth = "alice", .qid = "4ABCDEF" };
	struct am_ctx *ctx = am_test_ctx_new(AM_TEST_SESSION_CFG);
	struct am_session *s = am_session_new(ctx);
	struct am_verdict v;

	am_test_session_run(s, "192.0.2.10", &m, hdrs, &v);
	ck_assert_int_eq(am_session_mode(s), AM_MODE_OUTBOUND);
	ck_assert_uint_eq(v.nins, 1);
	ck_assert_str_eq(am_session_id(s), "4ABCDEF");
	ck_assert_ptr_nonnull(strstr(am_buf_str(&v.summary),
	    "mode=outbound auth=alice"));
	am_verdict_release(&v);
	/* the next transaction without auth is inbound again */
	am_test_session_run(s, "192.0.2.10", NULL, hdrs, &v);
	ck_assert_int_eq(am_session_mode(s), AM_MODE_INBOUND);
	am_verdict_release(&v);
	am_session_free(s);
	am_ctx_free(ctx);
}
END_TEST

/* PITFALLS: authserv-ids with a job id or odd characters are quoted. */
START_TEST(authserv_id_quoted)
{
	static const char *const hdrs[] = {
		AR, " \"mx.test.example/job1\"; spf=pass",
		"From", " a@example.org", NULL,
	};
	struct am_ctx *ctx = am_test_ctx_new("AuthservID mx.test.example/job1\n"
	    "TrustAnchorFile\n");
	struct am_session *s = am_session_new(ctx);
	struct am_verdict v;

	am_test_session_run(s, "192.0.2.10", NULL, hdrs, &v);
	assert_ar(v.ins[0].value, "\"mx.test.example/job1\"",
	    "dkim=none;\n\tarc=none smtp.remote-ip=192.0.2.10;\n\tdmarc=none header.from=example.org;\n\tx-tls=none");
	ck_assert_uint_eq(v.ndel, 1);
	am_verdict_release(&v);
	am_session_free(s);
	am_ctx_free(ctx);
}
END_TEST

/* A connection keeps the configuration it started with across a reload. */
START_TEST(reload_pins_running_connections)
{
	static const char *const hdrs[] = { "From", " a@example.org", NULL };
	struct am_ctx *ctx = am_test_ctx_new(AM_TEST_SESSION_CFG);
	struct am_ctx *other = am_test_ctx_new("AuthservID new.test.example\n"
	    "TrustAnchorFile\n");
	struct am_session *old_s = am_session_new(ctx), *new_s;
	struct am_verdict v;

	am_ctx_swap(ctx, am_ctx_acquire(other));
	other = am_ctx_free(other);
	new_s = am_session_new(ctx);
	am_test_session_run(old_s, "192.0.2.10", NULL, hdrs, &v);
	assert_ar(v.ins[0].value, "mx.test.example", "dkim=none;\n\tarc=none smtp.remote-ip=192.0.2.10;\n\tdmarc=none header.from=example.org;\n\tx-tls=none");
	am_verdict_release(&v);
	am_test_session_run(new_s, "192.0.2.10", NULL, hdrs, &v);
	assert_ar(v.ins[0].value, "new.test.example", "dkim=none;\n\tarc=none smtp.remote-ip=192.0.2.10;\n\tdmarc=none header.from=example.org;\n\tx-tls=none");
	am_verdict_release(&v);
	am_session_free(old_s);
	am_session_free(new_s);
	am_ctx_free(ctx);
}
END_TEST

START_TEST(abort_resets_transaction)
{
	static const char *const hdrs[] = { AR, " mx.test.example; none", NULL };
	struct am_ctx *ctx = am_test_ctx_new(AM_TEST_SESSION_CFG);
	struct am_session *s = am_session_new(ctx);
	struct am_verdict v;
	struct am_addr addr;

	ck_assert_int_eq(am_addr_parse("192.0.2.10", &addr), AM_OK);
	am_session_connect(s, "c", &addr, am_test_macros_get, NULL);
	am_verdict_init(&v);
	am_session_mail(s, "<a@b>", am_test_macros_get, NULL, &v);
	am_verdict_release(&v);
	am_session_header(s, AR, " mx.test.example; none", 22);
	am_session_abort(s);
	ck_assert_uint_eq(atomic_load(&ctx->stats.aborted), 1);
	am_test_session_run(s, "192.0.2.10", NULL, hdrs, &v);
	ck_assert_uint_eq(v.ndel, 1);
	ck_assert_uint_eq(v.del[0].n, 1);	/* not 2: the abort reset it */
	am_verdict_release(&v);
	am_session_free(s);
	am_ctx_free(ctx);
}
END_TEST

#define STARTTLS_KV "{daemon_port}", "25", "{tls_version}", "TLSv1.3", \
	"{cipher}", "TLS_AES_128_GCM_SHA256", "{cipher_bits}", "128"

/* TLS macros already at the first HELO: implicit TLS in both headers; our
 * old trace headers are removed, someone else's kept. */
START_TEST(tls_recorded_and_forged_trace_removed)
{
	static const char *const hdrs[] = {
		"Received-TLS", " none port=25 receiver=mx.test.example",
		"Received-TLS", " starttls receiver=relay.other.example",
		"received-tls", " implicit\n\treceiver=MX.TEST.EXAMPLE",
		"Received-TLS", " none receiver=mx.test.example.",
		"From", " a@example.org", NULL,
	};
	struct am_test_macros m = { .kv = { STARTTLS_KV, NULL } };
	struct am_ctx *ctx = am_test_ctx_new(AM_TEST_SESSION_CFG);
	struct am_session *s = am_session_new(ctx);
	struct am_verdict v;

	am_test_session_run(s, "192.0.2.10", &m, hdrs, &v);
	ck_assert_uint_eq(v.ndel, 3);	/* the final dot names us too */
	ck_assert_uint_eq(v.del[0].n, 4);
	ck_assert_uint_eq(v.del[1].n, 3);
	ck_assert_uint_eq(v.del[2].n, 1);
	assert_ar(v.ins[0].value, "mx.test.example", "dkim=none;\n\tarc=none smtp.remote-ip=192.0.2.10;\n\tdmarc=none header.from=example.org;\n\tx-tls=pass "
	    "smtp.version=TLSv1.3 smtp.cipher=TLS_AES_128_GCM_SHA256\n"
	    "\tsmtp.bits=128");
	ck_assert_str_eq(am_test_ins_value(&v, "Received-TLS"),
	    "implicit version=TLSv1.3 "
	    "cipher=TLS_AES_128_GCM_SHA256 bits=128\n\tclient-cert=none "
	    "port=25 receiver=mx.test.example");
	ck_assert_ptr_nonnull(strstr(am_buf_str(&v.summary),
	    "tls=implicit/TLSv1.3"));
	ck_assert_uint_eq(atomic_load(&ctx->stats.tls_mode[AM_TLS_IMPLICIT]),
	    1);
	ck_assert_uint_eq(atomic_load(&ctx->stats.tls_version[4]), 1);
	am_verdict_release(&v);
	am_session_free(s);
	am_ctx_free(ctx);
}
END_TEST

/* Plaintext EHLO, then TLS at the second EHLO and at MAIL: STARTTLS. */
START_TEST(starttls_after_plain_helo)
{
	static const char *const hdrs[] = { "From", " a@example.org", NULL };
	struct am_test_macros plain = { .kv = { "{daemon_port}", "25", NULL } };
	struct am_test_macros tls = { .kv = { STARTTLS_KV, NULL } };
	struct am_ctx *ctx = am_test_ctx_new(AM_TEST_SESSION_CFG);
	struct am_session *s = am_session_new(ctx);
	struct am_verdict v;
	struct am_addr addr;
	size_t i;

	ck_assert_int_eq(am_addr_parse("192.0.2.10", &addr), AM_OK);
	am_session_connect(s, "c", &addr, am_test_macros_get, &plain);
	am_session_helo(s, "c", am_test_macros_get, &plain);
	am_session_helo(s, "c", am_test_macros_get, &tls);
	am_verdict_init(&v);
	am_session_mail(s, "<a@example.org>", am_test_macros_get, &tls, &v);
	for (i = 0; hdrs[i] != NULL; i += 2)
		am_session_header(s, hdrs[i], hdrs[i + 1], strlen(hdrs[i + 1]));
	/* no TLS macros at EOM */
	am_session_eom(s, am_test_macros_get, NULL, &v);
	ck_assert_str_eq(am_test_ins_value(&v, "Received-TLS"),
	    "starttls version=TLSv1.3 "
	    "cipher=TLS_AES_128_GCM_SHA256 bits=128\n\tclient-cert=none "
	    "port=25 receiver=mx.test.example");
	am_verdict_release(&v);
	am_session_free(s);
	am_ctx_free(ctx);
}
END_TEST

START_TEST(tls_header_none_disables)
{
	static const char *const hdrs[] = {
		"Received-TLS", " none receiver=mx.test.example", NULL,
	};
	struct am_ctx *ctx = am_test_ctx_new(AM_TEST_SESSION_CFG
	    "TLSHeader none\n");
	struct am_session *s = am_session_new(ctx);
	struct am_verdict v;

	am_test_session_run(s, "192.0.2.10", NULL, hdrs, &v);
	ck_assert_str_eq(v.ins[0].name, AR);
	ck_assert_str_eq(am_test_ins_value(&v, "Received-TLS"), "");
	ck_assert_uint_eq(v.ndel, 0);
	am_verdict_release(&v);
	am_session_free(s);
	am_ctx_free(ctx);
}
END_TEST

/* RequireTLS: plaintext on 587 refused at MAIL FROM with 530 5.7.0; the
 * same over TLS accepted; a tag rule marks the trace header. */
START_TEST(require_tls_at_mail)
{
	static const char *const hdrs[] = { "From", " a@example.org", NULL };
	struct am_test_macros plain = { .kv = { "{daemon_port}", "587",
	    NULL } };
	struct am_test_macros tls = { .kv = { STARTTLS_KV, NULL } };
	struct am_ctx *ctx = am_test_ctx_new(AM_TEST_SESSION_CFG
	    "RequireTLS port=587; client=192.0.2.0/24 action=tag\n");
	struct am_session *s = am_session_new(ctx);
	struct am_verdict v;
	struct am_addr addr;

	ck_assert_int_eq(am_addr_parse("198.51.100.1", &addr), AM_OK);
	am_session_connect(s, "c", &addr, am_test_macros_get, &plain);
	am_session_helo(s, "c", am_test_macros_get, &plain);
	am_verdict_init(&v);
	am_session_mail(s, "<a@example.org>", am_test_macros_get, &plain, &v);
	ck_assert_int_eq(v.disp, AM_DISP_REJECT);
	ck_assert_str_eq(v.rcode, "530");
	ck_assert_str_eq(v.xcode, "5.7.0");
	ck_assert_str_eq(v.reply, "Must issue a STARTTLS command first");
	ck_assert_ptr_nonnull(strstr(am_buf_str(&v.summary),
	    "tls-policy=reject"));
	ck_assert_ptr_nonnull(strstr(am_buf_str(&v.summary),
	    "action=reject"));
	am_verdict_release(&v);
	am_session_free(s);

	s = am_session_new(ctx);
	tls.kv[1] = "587";
	am_test_session_run(s, "198.51.100.1", &tls, hdrs, &v);
	ck_assert_int_eq(v.disp, AM_DISP_ACCEPT);
	am_verdict_release(&v);
	am_session_free(s);
	s = am_session_new(ctx);	/* a new plaintext connection */
	/* tag rule */
	am_test_session_run(s, "192.0.2.10", NULL, hdrs, &v);
	ck_assert_int_eq(v.disp, AM_DISP_ACCEPT);
	ck_assert_str_eq(am_test_ins_value(&v, "Received-TLS"),
	    "none receiver=mx.test.example policy=fail");
	am_verdict_release(&v);
	ck_assert_uint_eq(atomic_load(&ctx->stats.tls_policy_hits), 2);
	am_session_free(s);
	am_ctx_free(ctx);
}
END_TEST

START_TEST(macro_lists_cover_later_issues)
{
	static const struct {
		enum am_stage stage;
		const char *want;
	} need[] = {
		{ AM_STAGE_CONNECT, "{daemon_name}" },
		{ AM_STAGE_CONNECT, "{daemon_port}" },
		{ AM_STAGE_CONNECT, "{client_addr}" },
		{ AM_STAGE_HELO, "{tls_version}" },
		{ AM_STAGE_HELO, "{cipher_bits}" },
		{ AM_STAGE_HELO, "{verify}" },
		{ AM_STAGE_MAIL, "{tls_version}" },
		{ AM_STAGE_MAIL, "{auth_authen}" },
		{ AM_STAGE_MAIL, "i" },
		{ AM_STAGE_EOH, "i" },
		{ AM_STAGE_EOM, "i" },
	};
	size_t i;

	for (i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (strstr(am_session_macros(need[i].stage), need[i].want) ==
		    NULL)
			ck_abort_msg("stage %d: got \"%s\", want %s",
			    (int)need[i].stage,
			    am_session_macros(need[i].stage), need[i].want);
}
END_TEST
/* A DKIM-Signature as an attacker repeats it: b= of a 2048-bit key. */
#define SIG_B "MhQ0aXvqcaNZTCxEu9AbXq7YV2nGgN5rcI3mYJzxTnw3ILcUo1DR5wRQRAqGt4" \
	"p8xz0ltV5dkEfmtdFd9dN8IGtwcnkw0qjJMuyEUCQt5ycQNvJZbOTkxCmuePTpG5oeP" \
	"PgoQA6zq3pMeDTqK3prxQBq7r3CDkvMoCudxMyiJzcnTgnXRUndr3iXc8v3cZjYPYW2" \
	"h30PpLBTFtA7JtKnLdTgv5JRU1ofI2WfwrXaAEhkXP0XWcbF1gYzIuYT8iyE1xupN6n" \
	"2OhLNc2xJ5FeRTSqEGJsCZeQBDUwbnjNNwVyCLn87SNPRs7upiIWn30iLRHaegPcbrq" \
	"U/Y8KbUqoxPw=="
#define SIG " v=1; a=rsa-sha256; c=relaxed/relaxed; d=sender.example;" \
	" s=sel; h=from:subject; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3" \
	"hSuFU=; b=" SIG_B

/* run_signed - n copies of SIG and a From through one transaction. */
static void
run_signed(struct am_session *s, size_t n, struct am_verdict *v)
{
	const char **hdrs = calloc(2 * n + 3, sizeof(*hdrs));
	size_t i;

	ck_assert_ptr_nonnull(hdrs);
	for (i = 0; i < n; i++) {
		hdrs[2 * i] = "DKIM-Signature";
		hdrs[2 * i + 1] = SIG;
	}
	hdrs[2 * n] = "From";
	hdrs[2 * n + 1] = " a@sender.example";
	am_test_session_run(s, "192.0.2.10", NULL, hdrs, v);
	free(hdrs);
}

/* Copies of one signature share a short header.b: 40 of them used to
 * pass the 16 KB cap and tempfail the message. */
START_TEST(repeated_signature_short_b)
{
	struct am_ctx *ctx = am_test_ctx_new(AM_TEST_SESSION_CFG);
	struct am_session *s = am_session_new(ctx);
	const char *ar, *p;
	struct am_verdict v;
	size_t n = 0;

	run_signed(s, 40, &v);
	ar = am_test_ins_value(&v, AR);
	ck_assert_msg(v.disp == AM_DISP_ACCEPT, "%s", am_buf_str(&v.summary));
	for (p = ar; (p = strstr(p, "header.b=")) != NULL; p++, n++)
		ck_assert_msg(strncmp(p + 9, "MhQ0aXvq;", 9) == 0 ||
		    strncmp(p + 9, "MhQ0aXvq\0", 9) == 0, "%.40s", p);
	ck_assert_uint_eq(n, 40);
	ck_assert_ptr_null(strstr(am_buf_str(&v.summary), "authres-dropped"));
	am_verdict_release(&v);
	am_session_free(s);
	am_ctx_free(ctx);
}
END_TEST

/* 500 signatures: the A-R stays under its cap, the entries past it are
 * counted in a comment, the log line and anomalies=; a final answer. */
START_TEST(many_signatures_bounded)
{
	struct am_ctx *ctx = am_test_ctx_new(AM_TEST_SESSION_CFG);
	struct am_session *s = am_session_new(ctx);
	const char *sum;
	struct am_verdict v;

	run_signed(s, 500, &v);
	sum = am_buf_str(&v.summary);
	ck_assert_msg(v.disp == AM_DISP_ACCEPT, "%s", sum);
	ck_assert_uint_le(strlen(am_test_ins_value(&v, AR)), 16384);
	ck_assert_ptr_nonnull(strstr(am_test_ins_value(&v, AR),
	    " more dkim results not shown);\n\tarc=none "));
	ck_assert_msg(strstr(sum, "anomalies=authres-truncated ") &&
	    strstr(sum, " authres-dropped=") && strstr(sum, ",+490 ") &&
	    strstr(sum, "action=accept"), "%s", sum);
	am_verdict_release(&v);
	am_session_free(s);
	am_ctx_free(ctx);
}
END_TEST

/* A tempfail or reject line says why (the reply), and a HELO of 10 KB
 * cannot push the outcome out of the bounded line (no From: rejected). */
START_TEST(summary_says_why_and_fits)
{
	static const char *const hdrs[] = { "From", " a@example.org", "From",
	    " b@example.org", NULL };
	struct am_ctx *ctx = am_test_ctx_new(AM_TEST_SESSION_CFG
	    "MultipleFromAction tempfail\n");
	struct am_session *s = am_session_new(ctx);
	char *helo = malloc(10001);
	const char *sum;
	struct am_verdict v;

	ck_assert_ptr_nonnull(helo);
	memset(helo, 'h', 10000);
	helo[10000] = '\0';
	am_session_helo(s, helo, am_test_macros_get, NULL);
	am_test_session_run(s, "192.0.2.10", NULL, hdrs, &v);
	ck_assert_int_eq(v.disp, AM_DISP_TEMPFAIL);
	sum = am_buf_str(&v.summary);
	ck_assert_msg(strstr(sum, " reply=\"4") && strstr(sum,
	    "action=tempfail elapsed=") && strstr(sum, " helo=client.example"),
	    "%s", sum);
	am_verdict_release(&v);
	am_session_helo(s, helo, am_test_macros_get, NULL);
	am_verdict_init(&v);
	am_session_mail(s, "<a@b>", am_test_macros_get, NULL, &v);
	am_session_eom(s, am_test_macros_get, NULL, &v);
	sum = am_buf_str(&v.summary);
	ck_assert_msg(strlen(sum) < 4096 && strstr(sum, " helo=hhhhhhhh") &&
	    strstr(sum, "hhh... mode=inbound") && strstr(sum, " reply=\"550 "
	    "5.7.1 ") && strstr(sum, "action=reject elapsed="), "%s", sum);
	am_verdict_release(&v);
	free(helo);
	am_session_free(s);
	am_ctx_free(ctx);
}
END_TEST

/* A transaction that ends without end of message has a log line. */
START_TEST(abandoned_transaction_line)
{
	struct am_test_macros m = { .qid = "Q7" };
	struct am_ctx *ctx = am_test_ctx_new(AM_TEST_SESSION_CFG);
	struct am_session *s = am_session_new(ctx);
	struct am_verdict v;
	struct am_buf line;
	struct am_addr addr;

	am_buf_init(&line, 8192);
	ck_assert_int_eq(am_addr_parse("192.0.2.10", &addr), AM_OK);
	am_session_connect(s, "c", &addr, am_test_macros_get, NULL);
	ck_assert(!am_session_abandon(s, "why", &line));
	am_verdict_init(&v);
	am_session_mail(s, "<a@b>", am_test_macros_get, NULL, &v);
	am_verdict_release(&v);
	am_session_data(s, am_test_macros_get, &m);
	am_session_header(s, "Subject", " x", 2);
	ck_assert_str_eq(am_session_id(s), "Q7");	/* named at DATA */
	ck_assert(am_session_abandon(s, "lost", &line));
	ck_assert_msg(strstr(line.data, "client=c[192.0.2.10] ") &&
	    strstr(line.data, "from=<a@b> ") && strstr(line.data,
	    " stage=header reason=\"lost\" action=aborted elapsed="),
	    "%s", line.data);
	am_session_abort(s);
	am_buf_reset(&line);
	ck_assert(!am_session_abandon(s, "again", &line));
	am_buf_release(&line);
	am_session_free(s);
	am_ctx_free(ctx);
}
END_TEST

/* The log line is one line whatever the client sends: a CR/LF in HELO or
 * MAIL FROM would start a forged line in LogFile (fuzz_session). */
START_TEST(summary_is_one_line)
{
	static const char *const hdrs[] = { "From", " a@example.org", NULL };
	struct am_ctx *ctx = am_test_ctx_new(AM_TEST_SESSION_CFG);
	struct am_session *s = am_session_new(ctx);
	struct am_verdict v;
	struct am_buf line;
	const char *sum;

	am_test_session_run(s, "192.0.2.10", NULL, hdrs, &v);
	am_verdict_release(&v);
	am_session_helo(s, "evil\r\nx: action=accept\x7f", am_test_macros_get,
	    NULL);
	am_verdict_init(&v);
	am_session_mail(s, "<a\n@example.org>", am_test_macros_get, NULL, &v);
	am_session_eom(s, am_test_macros_get, NULL, &v);
	sum = am_buf_str(&v.summary);
	ck_assert_msg(strpbrk(sum, "\r\n\x7f") == NULL && strstr(sum,
	    " helo=evil??x: action=accept? ") && strstr(sum,
	    " from=<a?@example.org> "), "%s", sum);
	am_verdict_release(&v);
	am_buf_init(&line, 8192);
	am_verdict_init(&v);
	am_session_mail(s, "<b\r@example.org>", am_test_macros_get, NULL, &v);
	am_verdict_release(&v);
	ck_assert(am_session_abandon(s, "lost", &line));
	ck_assert_msg(strpbrk(line.data, "\r\n") == NULL && strstr(line.data,
	    " from=<b?@example.org> "), "%s", line.data);
	am_buf_release(&line);
	am_session_free(s);
	am_ctx_free(ctx);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("session");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, inbound_adds_ar_on_top_and_removes_forged);
	tcase_add_test(tc, forged_beyond_max_headers_removed);
	tcase_add_test(tc, internal_client_is_outbound);
	tcase_add_test(tc, default_internal_hosts_cover_loopback);
	tcase_add_test(tc, authenticated_is_outbound_and_logged);
	tcase_add_test(tc, authserv_id_quoted);
	tcase_add_test(tc, reload_pins_running_connections);
	tcase_add_test(tc, abort_resets_transaction);
	tcase_add_test(tc, tls_recorded_and_forged_trace_removed);
	tcase_add_test(tc, starttls_after_plain_helo);
	tcase_add_test(tc, tls_header_none_disables);
	tcase_add_test(tc, require_tls_at_mail);
	tcase_add_test(tc, macro_lists_cover_later_issues);
	suite_add_tcase(s, tc);
	tc = tcase_create("hostile");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, repeated_signature_short_b);
	tcase_add_test(tc, many_signatures_bounded);
	tcase_add_test(tc, summary_says_why_and_fits);
	tcase_add_test(tc, abandoned_transaction_line);
	tcase_add_test(tc, summary_is_one_line);
	suite_add_tcase(s, tc);
	return am_test_run(s);
}
