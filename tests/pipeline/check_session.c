/*
 * check_session - the pipeline the milter and authmilterctl share: forged
 * Authentication-Results removal (PITFALLS "Trust boundary"), our header at
 * the top, inbound/outbound mode, reload pinning, the summary line, the
 * counters (lib/pipeline/stats.h) for each result.
 */
#include "autoconf.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "msg/eml.h"
#include "dkim/keys.h"
#include "config/config.h"
#include "pipeline/ctx.h"
#include "pipeline/session.h"
#include "pipeline/verdict.h"
#include "testutil/testrr.h"
#include "testutil/testutil.h"

#define AR "Authentication-Results"

const char *__asan_default_options(void);
const char *
__asan_default_options(void)
{
	return "fast_unwind_on_malloc=0:malloc_context_size=40";
}

/* new_ctx - a context on a config written from text (local-only DNS). */
static struct am_ctx *
new_ctx(const char *text)
{
	struct am_runtime_opts o = { .local_dns = true };
	struct am_buf errs;
	struct am_config *cfg;
	struct am_runtime *rt;
	char *path = am_test_temp_file(text, strlen(text));

	am_buf_init(&errs, 65536);
	cfg = am_config_load(path, &errs, NULL);
	unlink(path);
	free(path);
	if (cfg == NULL)
		ck_abort_msg("config: %s", am_buf_str(&errs));
	rt = am_runtime_new(cfg, &o, &errs, NULL);
	if (rt == NULL)
		ck_abort_msg("runtime: %s", am_buf_str(&errs));
	am_buf_release(&errs);
	return am_ctx_new(rt);
}

/* assert_ar - our A-R for run()'s message: the id, then SPF none for the
 * sender and the HELO (their comment text is the SPF module's business),
 * then exactly tail. */
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

#define BASE_CFG "AuthservID mx.test.example\nInternalHosts 10.0.0.0/8\n" \
	"TrustAnchorFile\n"

struct macros {
	const char *auth;	/* {auth_authen} */
	const char *qid;	/* i */
	const char *kv[16];	/* more name/value pairs, NULL-ended */
};

static const char *
get(void *arg, const char *name)
{
	struct macros *m = arg;
	size_t i;

	if (m == NULL)
		return NULL;
	if (strcmp(name, "{auth_authen}") == 0)
		return m->auth;
	if (strcmp(name, "i") == 0)
		return m->qid;
	for (i = 0; m->kv[i] != NULL; i += 2)
		if (strcmp(m->kv[i], name) == 0)
			return m->kv[i + 1];
	return NULL;
}

/* ins_value - the value of the inserted header called name, or "". */
static const char *
ins_value(const struct am_verdict *v, const char *name)
{
	size_t i;

	for (i = 0; i < v->nins; i++)
		if (strcmp(v->ins[i].name, name) == 0)
			return v->ins[i].value;
	return "";
}

/* run - connect from ip, send the headers (name, value pairs, NULL-ended). */
static void
run(struct am_session *s, const char *ip, struct macros *m,
    const char *const *hdrs, struct am_verdict *v)
{
	struct am_addr addr;
	size_t i;

	ck_assert_int_eq(am_addr_parse(ip, &addr), AM_OK);
	am_session_connect(s, "client.example", &addr, get, m);
	am_session_helo(s, "client.example", get, m);
	am_verdict_init(v);
	am_session_mail(s, "<sender@example.org>", get, m, v);
	ck_assert_int_eq(v->disp, AM_DISP_ACCEPT);
	am_session_rcpt(s, "<rcpt@example.net>", get, m);
	for (i = 0; hdrs[i] != NULL; i += 2)
		am_session_header(s, hdrs[i], hdrs[i + 1], strlen(hdrs[i + 1]));
	am_session_eoh(s, get, m);
	am_session_body(s, "hello\r\n", 7);
	am_session_eom(s, get, m, v);
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
	struct am_ctx *ctx = new_ctx(BASE_CFG);
	struct am_session *s = am_session_new(ctx);
	struct am_verdict v;

	run(s, "192.0.2.10", NULL, hdrs, &v);
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
	assert_ar(v.ins[0].value, "mx.test.example", "dkim=none;\n\tdmarc=none header.from=example.org;\n\tx-tls=none");
	ck_assert_str_eq(ins_value(&v, "Received-TLS"),
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
	struct am_ctx *ctx = new_ctx(BASE_CFG "MaxHeaders 10\n");
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
	run(s, "192.0.2.10", NULL, hdrs, &v);
	ck_assert_uint_eq(v.ndel, 0);
	am_verdict_release(&v);
	hdrs[39] = " mx.test.example; dkim=pass";
	run(s, "192.0.2.10", NULL, hdrs, &v);
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
	struct am_ctx *ctx = new_ctx(BASE_CFG);
	struct am_session *s = am_session_new(ctx);
	struct am_verdict v;

	run(s, "10.1.2.3", NULL, hdrs, &v);
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
	struct am_ctx *ctx = new_ctx("TrustAnchorFile\n");
	struct am_session *s = am_session_new(ctx);
	struct am_verdict v;

	run(s, "::1", NULL, hdrs, &v);
	ck_assert_int_eq(am_session_mode(s), AM_MODE_OUTBOUND);
	am_verdict_release(&v);
	run(s, "127.0.0.1", NULL, hdrs, &v);
	ck_assert_int_eq(am_session_mode(s), AM_MODE_OUTBOUND);
	am_verdict_release(&v);
	run(s, "::ffff:127.0.0.1", NULL, hdrs, &v);
	ck_assert_int_eq(am_session_mode(s), AM_MODE_OUTBOUND);
	am_verdict_release(&v);
	run(s, "192.0.2.1", NULL, hdrs, &v);
	ck_assert_int_eq(am_session_mode(s), AM_MODE_INBOUND);
	am_verdict_release(&v);
	am_session_free(s);
	am_ctx_free(ctx);
}
END_TEST

START_TEST(authenticated_is_outbound_and_logged)
{
	static const char *const hdrs[] = { "From", " a@example.org", NULL };
	struct macros m = { .auth = "alice", .qid = "4ABCDEF" };
	struct am_ctx *ctx = new_ctx(BASE_CFG);
	struct am_session *s = am_session_new(ctx);
	struct am_verdict v;

	run(s, "192.0.2.10", &m, hdrs, &v);
	ck_assert_int_eq(am_session_mode(s), AM_MODE_OUTBOUND);
	ck_assert_uint_eq(v.nins, 1);
	ck_assert_str_eq(am_session_id(s), "4ABCDEF");
	ck_assert_ptr_nonnull(strstr(am_buf_str(&v.summary),
	    "mode=outbound auth=alice"));
	am_verdict_release(&v);
	/* the next transaction without auth is inbound again */
	run(s, "192.0.2.10", NULL, hdrs, &v);
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
	struct am_ctx *ctx = new_ctx("AuthservID mx.test.example/job1\n"
	    "TrustAnchorFile\n");
	struct am_session *s = am_session_new(ctx);
	struct am_verdict v;

	run(s, "192.0.2.10", NULL, hdrs, &v);
	assert_ar(v.ins[0].value, "\"mx.test.example/job1\"",
	    "dkim=none;\n\tdmarc=none header.from=example.org;\n\tx-tls=none");
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
	struct am_ctx *ctx = new_ctx(BASE_CFG);
	struct am_ctx *other = new_ctx("AuthservID new.test.example\n"
	    "TrustAnchorFile\n");
	struct am_session *old_s = am_session_new(ctx), *new_s;
	struct am_verdict v;

	am_ctx_swap(ctx, am_ctx_acquire(other));
	other = am_ctx_free(other);
	new_s = am_session_new(ctx);
	run(old_s, "192.0.2.10", NULL, hdrs, &v);
	assert_ar(v.ins[0].value, "mx.test.example", "dkim=none;\n\tdmarc=none header.from=example.org;\n\tx-tls=none");
	am_verdict_release(&v);
	run(new_s, "192.0.2.10", NULL, hdrs, &v);
	assert_ar(v.ins[0].value, "new.test.example", "dkim=none;\n\tdmarc=none header.from=example.org;\n\tx-tls=none");
	am_verdict_release(&v);
	am_session_free(old_s);
	am_session_free(new_s);
	am_ctx_free(ctx);
}
END_TEST

START_TEST(abort_resets_transaction)
{
	static const char *const hdrs[] = { AR, " mx.test.example; none", NULL };
	struct am_ctx *ctx = new_ctx(BASE_CFG);
	struct am_session *s = am_session_new(ctx);
	struct am_verdict v;
	struct am_addr addr;

	ck_assert_int_eq(am_addr_parse("192.0.2.10", &addr), AM_OK);
	am_session_connect(s, "c", &addr, get, NULL);
	am_verdict_init(&v);
	am_session_mail(s, "<a@b>", get, NULL, &v);
	am_verdict_release(&v);
	am_session_header(s, AR, " mx.test.example; none", 22);
	am_session_abort(s);
	ck_assert_uint_eq(atomic_load(&ctx->stats.aborted), 1);
	run(s, "192.0.2.10", NULL, hdrs, &v);
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
		"From", " a@example.org", NULL,
	};
	struct macros m = { .kv = { STARTTLS_KV, NULL } };
	struct am_ctx *ctx = new_ctx(BASE_CFG);
	struct am_session *s = am_session_new(ctx);
	struct am_verdict v;

	run(s, "192.0.2.10", &m, hdrs, &v);
	ck_assert_uint_eq(v.ndel, 2);
	ck_assert_uint_eq(v.del[0].n, 3);
	ck_assert_uint_eq(v.del[1].n, 1);
	assert_ar(v.ins[0].value, "mx.test.example", "dkim=none;\n\tdmarc=none header.from=example.org;\n\tx-tls=pass "
	    "smtp.version=TLSv1.3 smtp.cipher=TLS_AES_128_GCM_SHA256\n"
	    "\tsmtp.bits=128");
	ck_assert_str_eq(ins_value(&v, "Received-TLS"), "implicit version=TLSv1.3 "
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
	struct macros plain = { .kv = { "{daemon_port}", "25", NULL } };
	struct macros tls = { .kv = { STARTTLS_KV, NULL } };
	struct am_ctx *ctx = new_ctx(BASE_CFG);
	struct am_session *s = am_session_new(ctx);
	struct am_verdict v;
	struct am_addr addr;
	size_t i;

	ck_assert_int_eq(am_addr_parse("192.0.2.10", &addr), AM_OK);
	am_session_connect(s, "c", &addr, get, &plain);
	am_session_helo(s, "c", get, &plain);
	am_session_helo(s, "c", get, &tls);
	am_verdict_init(&v);
	am_session_mail(s, "<a@example.org>", get, &tls, &v);
	for (i = 0; hdrs[i] != NULL; i += 2)
		am_session_header(s, hdrs[i], hdrs[i + 1], strlen(hdrs[i + 1]));
	am_session_eom(s, get, NULL, &v);	/* no TLS macros at EOM */
	ck_assert_str_eq(ins_value(&v, "Received-TLS"), "starttls version=TLSv1.3 "
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
	struct am_ctx *ctx = new_ctx(BASE_CFG "TLSHeader none\n");
	struct am_session *s = am_session_new(ctx);
	struct am_verdict v;

	run(s, "192.0.2.10", NULL, hdrs, &v);
	ck_assert_str_eq(v.ins[0].name, AR);
	ck_assert_str_eq(ins_value(&v, "Received-TLS"), "");
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
	struct macros plain = { .kv = { "{daemon_port}", "587", NULL } };
	struct macros tls = { .kv = { STARTTLS_KV, NULL } };
	struct am_ctx *ctx = new_ctx(BASE_CFG "RequireTLS port=587; "
	    "client=192.0.2.0/24 action=tag\n");
	struct am_session *s = am_session_new(ctx);
	struct am_verdict v;
	struct am_addr addr;

	ck_assert_int_eq(am_addr_parse("198.51.100.1", &addr), AM_OK);
	am_session_connect(s, "c", &addr, get, &plain);
	am_session_helo(s, "c", get, &plain);
	am_verdict_init(&v);
	am_session_mail(s, "<a@example.org>", get, &plain, &v);
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
	run(s, "198.51.100.1", &tls, hdrs, &v);
	ck_assert_int_eq(v.disp, AM_DISP_ACCEPT);
	am_verdict_release(&v);
	am_session_free(s);
	s = am_session_new(ctx);	/* a new plaintext connection */
	run(s, "192.0.2.10", NULL, hdrs, &v);	/* tag rule */
	ck_assert_int_eq(v.disp, AM_DISP_ACCEPT);
	ck_assert_str_eq(ins_value(&v, "Received-TLS"), "none receiver=mx.test.example "
	    "policy=fail");
	am_verdict_release(&v);
	ck_assert_uint_eq(atomic_load(&ctx->stats.tls_policy_hits), 2);
	am_session_free(s);
	am_ctx_free(ctx);
}
END_TEST

static void
eml_header(void *arg, const char *name, const char *value, size_t len)
{
	am_session_header(arg, name, value, len);
}

static void
eml_eoh(void *arg)
{
	am_session_eoh(arg, get, NULL);
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
	struct am_ctx *ctx = new_ctx(BASE_CFG);
	struct am_session *s = am_session_new(ctx);
	struct am_eml_sink sink = { eml_header, eml_eoh, eml_body, NULL };
	struct am_verdict v;
	struct am_addr addr;
	struct am_why why;
	FILE *fp;

	am_test_dns_load(ctx->current->dns, AM_TOP_SRCDIR
	    "/tests/conformance/dkim/rfc8463/dns.txt", false);
	ck_assert_int_eq(am_addr_parse("192.0.2.10", &addr), AM_OK);
	am_session_connect(s, "c", &addr, get, NULL);
	am_session_helo(s, "c", get, NULL);
	am_verdict_init(&v);
	am_session_mail(s, "<joe@football.example.com>", get, NULL, &v);
	fp = fopen(AM_TOP_SRCDIR "/tests/conformance/dkim/rfc8463/signed.eml",
	    "r");
	ck_assert_ptr_nonnull(fp);
	sink.arg = s;
	ck_assert_int_eq(am_eml_parse(fp, &sink, &why), AM_OK);
	fclose(fp);
	am_session_eom(s, get, NULL, &v);
	ck_assert_ptr_nonnull(strstr(v.ins[0].value, "dkim=pass (256-bit "
	    "ed25519 key; unprotected) header.d=football.example.com"));
	ck_assert_ptr_nonnull(strstr(v.ins[0].value, "dkim=pass (1024-bit "
	    "rsa key; unprotected) header.d=football.example.com"));
	ck_assert_ptr_nonnull(strstr(am_buf_str(&v.summary),
	    "dkim=pass:football.example.com,pass:football.example.com"));
	ck_assert_uint_eq(atomic_load(&ctx->stats.dkim[AM_STATS_DKIM_PASS]), 1);
	ck_assert_uint_eq(atomic_load(&ctx->stats.dkim[AM_STATS_DKIM_FAIL]) +
	    atomic_load(&ctx->stats.dkim[AM_STATS_DKIM_NONE]), 0);
	ck_assert_uint_eq(atomic_load(&ctx->stats.inbound), 1);
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
	struct am_ctx *ctx = new_ctx(BASE_CFG "SPFFailAction reject\n");
	struct am_session *s = am_session_new(ctx);
	struct am_verdict v;

	ck_assert_int_eq(am_dns_add_local(ctx->current->dns, "example.org. "
	    "300 IN TXT \"v=spf1 ip4:198.51.100.0/24 -all exp=why.example.org\"",
	    NULL), AM_OK);
	ck_assert_int_eq(am_dns_add_local(ctx->current->dns, "why.example.org. "
	    "300 IN TXT \"%{i} is not one of %{d}'s servers\"", NULL), AM_OK);
	run(s, "192.0.2.10", NULL, hdrs, &v);
	ck_assert_int_eq(v.disp, AM_DISP_REJECT);
	ck_assert_str_eq(v.rcode, "550");
	ck_assert_str_eq(v.xcode, "5.7.23");
	ck_assert_str_eq(v.reply,
	    "192.0.2.10 is not one of example.org's servers");
	ck_assert_ptr_nonnull(strstr(am_buf_str(&v.summary), "spf=fail"));
	ck_assert_uint_eq(atomic_load(&ctx->stats.spf[AM_STATS_SPF_FAIL]), 1);
	ck_assert_uint_eq(atomic_load(&ctx->stats.rejected), 1);
	ck_assert_uint_eq(atomic_load(&ctx->stats.dkim[AM_STATS_DKIM_NONE]), 1);
	am_verdict_release(&v);
	am_session_free(s);
	am_ctx_free(ctx);

	ctx = new_ctx(BASE_CFG);
	s = am_session_new(ctx);
	ck_assert_int_eq(am_dns_add_local(ctx->current->dns, "example.org. "
	    "300 IN TXT \"v=spf1 ip4:198.51.100.0/24 ~all\"", NULL), AM_OK);
	run(s, "192.0.2.10", NULL, hdrs, &v);
	ck_assert_int_eq(v.disp, AM_DISP_ACCEPT);
	ck_assert_ptr_nonnull(strstr(v.ins[0].value, "spf=softfail"));
	ck_assert_ptr_nonnull(strstr(ins_value(&v, "Received-SPF"),
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
	(void)snprintf(conf, sizeof(conf), BASE_CFG "Domain example.org\n"
	    "Selector rsa, ed\nKeyFile %s/rsa.key, %s/ed.key\n", dir, dir);
	ctx = new_ctx(conf);
	s = am_session_new(ctx);
	run(s, "10.0.0.5", NULL, hdrs, &v);
	ck_assert_int_eq(am_session_mode(s), AM_MODE_OUTBOUND);
	ck_assert_str_eq(v.ins[0].name, "DKIM-Signature");
	ck_assert_str_eq(v.ins[1].name, "DKIM-Signature");
	ck_assert_ptr_nonnull(strstr(v.ins[0].value, "a=rsa-sha256"));
	ck_assert_ptr_nonnull(strstr(v.ins[1].value, "a=ed25519-sha256"));
	ck_assert_ptr_null(strcasestr(v.ins[0].value, "authentication-results"));
	ck_assert_ptr_nonnull(strstr(am_buf_str(&v.summary),
	    "dkim-sign=example.org/rsa,example.org/ed"));
	ck_assert_uint_eq(atomic_load(&ctx->stats.signed_msgs), 1);
	ck_assert_uint_eq(atomic_load(&ctx->stats.outbound), 1);
	ck_assert_uint_eq(atomic_load(&ctx->stats.inbound), 0);
	ck_assert_uint_eq(atomic_load(&ctx->stats.dkim[AM_STATS_DKIM_NONE]), 0);
	am_session_free(s);

	/* Receive it: the two signatures on top, then the original headers
	 * (without the deleted forged A-R), the same body. */
	rx = new_ctx(BASE_CFG);
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
	am_session_connect(s, "c", &addr, get, NULL);
	am_verdict_init(&v2);
	am_session_mail(s, "<alice@example.org>", get, NULL, &v2);
	for (i = 0; i < 2; i++) {
		char *val;

		ck_assert_int_ge(asprintf(&val, " %s", v.ins[i].value), 0);
		am_session_header(s, "DKIM-Signature", val, strlen(val));
		free(val);
	}
	for (i = 0; i < 6; i += 2)
		am_session_header(s, hdrs[i], hdrs[i + 1], strlen(hdrs[i + 1]));
	am_session_eoh(s, get, NULL);
	(void)am_session_body(s, "hello\r\n", 7);
	am_session_eom(s, get, NULL, &v2);
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
	struct am_ctx *ctx = new_ctx(BASE_CFG "MaxHeaderLength 998\n");
	struct am_session *s = am_session_new(ctx);
	struct am_verdict v;
	char big[1200];

	ck_assert_int_eq(am_dns_add_local(ctx->current->dns, "_dmarc.example.org."
	    " 300 IN TXT \"v=DMARC1; p=reject\"", NULL), AM_OK);
	run(s, "192.0.2.10", NULL, hdrs, &v);
	ck_assert_int_eq(v.disp, AM_DISP_REJECT);
	ck_assert_str_eq(v.rcode, "550");
	ck_assert_str_eq(v.xcode, "5.7.1");
	ck_assert_ptr_nonnull(strstr(v.reply, "example.org"));
	ck_assert_ptr_nonnull(strstr(v.ins[0].value, "dmarc=fail (p=reject "));
	ck_assert_ptr_nonnull(strstr(am_buf_str(&v.summary),
	    "dmarc=fail(example.org p=reject dis=reject)"));
	ck_assert_uint_eq(atomic_load(&ctx->stats.dmarc[AM_STATS_DMARC_FAIL]),
	    1);
	am_verdict_release(&v);

	memset(big, 'b', sizeof(big) - 1);
	big[0] = ' ';
	big[sizeof(big) - 1] = '\0';
	two[5] = big;			/* a second From, too long to keep */
	run(s, "192.0.2.10", NULL, two, &v);
	ck_assert_int_eq(v.disp, AM_DISP_REJECT);
	ck_assert_ptr_nonnull(strstr(v.reply, "multiple From"));
	ck_assert_uint_eq(atomic_load(&ctx->stats.dmarc[
	    AM_STATS_DMARC_PERMERROR]), 1);
	ck_assert_uint_eq(atomic_load(&ctx->stats.messages), 2);
	am_verdict_release(&v);
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

int
main(void)
{
	Suite *s = suite_create("session");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

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
	tcase_add_test(tc, dkim_verified_in_pipeline);
	tcase_add_test(tc, spf_enforced_and_forged_received_spf_removed);
	tcase_add_test(tc, outbound_signed_then_verified);
	tcase_add_test(tc, dmarc_enforced_in_pipeline);
	tcase_add_test(tc, macro_lists_cover_later_issues);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
