/*
 * check_dnsfaults - the pipeline when DNS misbehaves, through real resolvers
 * (a loopback port nobody answers on, a real unbound from testdns.h):
 *   - one DNS budget per message (issue 21 item 6): a message with DKIM,
 *     SPF and DMARC lookups against a dead resolver ends within DNSTimeout
 *     + 1 s, and every check says temperror with a reason;
 *   - DNSSEC that fails safe (issue 13, lib/pipeline/ctx.h "DNSSEC"): with
 *     the built-in TrustAnchorFile and a resolver that returns no DNSSEC
 *     records, validation is turned off with one warning and the
 *     dns.dnssec_disabled gauge, and mail gets real results; an explicit
 *     TrustAnchorFile is refused with an error naming the resolver and the
 *     fix; an unreachable resolver keeps validation on (checked again
 *     later); a signed zone with its own anchor validates.
 */
#include "autoconf.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "config/config.h"
#include "dns/dns.h"
#include "pipeline/stats.h"
#include "pipeline/ctx.h"
#include "pipeline/session.h"
#include "pipeline/verdict.h"
#include "testutil/testdns.h"

#define AR "Authentication-Results"

/* ctx_from_text - a context on a config written from text; NULL with the
 * errors in errs when the runtime refuses it. */
static struct am_ctx *
ctx_from_text(const char *text, struct am_buf *errs, struct am_buf *warns)
{
	char path[] = "/tmp/check_dnsfaults.XXXXXX";
	struct am_config *cfg;
	struct am_runtime *rt;
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	cfg = am_config_load(path, errs, warns);
	unlink(path);
	if (cfg == NULL)
		ck_abort_msg("config: %s", am_buf_str(errs));
	rt = am_runtime_new(cfg, NULL, errs, warns);
	return rt != NULL ? am_ctx_new(rt) : NULL;
}

/* now_ms - CLOCK_MONOTONIC in ms. */
static long long
now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* run_message - one inbound message from 192.0.2.10 with the headers
 * (name, value pairs, NULL-ended); the verdict in v. */
static void
run_message(struct am_session *s, const char *sender,
    const char *const *hdrs, struct am_verdict *v)
{
	struct am_addr addr;
	size_t i;

	ck_assert_int_eq(am_addr_parse("192.0.2.10", &addr), AM_OK);
	am_session_connect(s, "client.example", &addr, NULL, NULL);
	am_session_helo(s, "client.example", NULL, NULL);
	am_verdict_init(v);
	am_session_mail(s, sender, NULL, NULL, v);
	ck_assert_int_eq(v->disp, AM_DISP_ACCEPT);
	am_session_rcpt(s, "<rcpt@example.net>", NULL, NULL);
	for (i = 0; hdrs[i] != NULL; i += 2)
		am_session_header(s, hdrs[i], hdrs[i + 1], strlen(hdrs[i + 1]));
	am_session_eoh(s, NULL, NULL);
	(void)am_session_body(s, "hello\r\n", 7);
	am_session_eom(s, NULL, NULL, v);
}

/* ar_of - our Authentication-Results value in v, or "". */
static const char *
ar_of(const struct am_verdict *v)
{
	size_t i;

	for (i = 0; i < v->nins; i++)
		if (strcmp(v->ins[i].name, AR) == 0)
			return v->ins[i].value;
	return "";
}

/* ------------------------------------------------ one budget per message */

/* A signed message: one DKIM key lookup at end of headers, SPF for the
 * sender (and HELO) and DMARC for the From domain at end of message. */
static const char *const budget_hdrs[] = {
	"From", " a@example.org",
	"DKIM-Signature", " v=1; a=rsa-sha256; c=relaxed/relaxed;"
	    " d=example.org; s=sel; h=from;"
	    " bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;"
	    " b=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	NULL,
};

/*
 * DNSTimeout 2 against a resolver that never answers: before the budget the
 * DKIM key, SPF and DMARC each waited 2 s (6 s in all); now the whole
 * message ends within DNSTimeout + 1 s, and every check is temperror with a
 * reason.
 */
START_TEST(test_budget_dead_resolver)
{
	char cfgtext[512];
	struct am_buf errs;
	struct am_ctx *ctx;
	struct am_session *s;
	struct am_verdict v;
	const char *ar;
	long long t0, ms;

	(void)snprintf(cfgtext, sizeof(cfgtext), "AuthservID mx.test.example\n"
	    "InternalHosts 10.0.0.0/8\nTrustAnchorFile\nDNSTimeout 2\n"
	    "Nameservers 127.0.0.1@%u\n", am_testdns_dead_port());
	am_buf_init(&errs, 65536);
	ctx = ctx_from_text(cfgtext, &errs, NULL);
	ck_assert_msg(ctx != NULL, "runtime: %s", am_buf_str(&errs));
	s = am_session_new(ctx);
	t0 = now_ms();
	run_message(s, "<sender@example.org>", budget_hdrs, &v);
	ms = now_ms() - t0;
	ar = ar_of(&v);
	fprintf(stderr, "dead resolver, DNSTimeout 2: message took %lld ms; "
	    "A-R: %s\n", ms, ar);
	ck_assert_msg(ms < 3000, "took %lld ms, want < 3000 (DNSTimeout + 1 s)",
	    ms);
	ck_assert_msg(strstr(ar, "spf=temperror") != NULL, "A-R [%s]", ar);
	ck_assert_msg(strstr(ar, "dkim=temperror reason=") != NULL,
	    "A-R [%s]", ar);
	ck_assert_msg(strstr(ar, "dmarc=temperror reason=") != NULL &&
	    strstr(ar, "timeout") != NULL, "A-R [%s]", ar);
	am_verdict_release(&v);
	am_session_free(s);
	am_ctx_free(ctx);
	am_buf_release(&errs);
}
END_TEST

/* ------------------------------------------------ DNSSEC that fails safe */

#define DNSSEC_DIR AM_TOP_SRCDIR "/tests/data/dns"
#define ROOT_KEY "/usr/share/dns/root.key"

/* An unsigned zone, as a forwarder that strips DNSSEC serves it. */
static const char *const unsigned_zone[] = {
	"example.org. 300 IN TXT \"v=spf1 ip4:192.0.2.10 -all\"",
	"_dmarc.example.org. 300 IN TXT \"v=DMARC1; p=reject\"",
	"client.example. 300 IN A 192.0.2.10",
	NULL,
};

/* A message signed for a selector that does not exist: with a working
 * resolver dkim=permerror (no key), with a bogus one temperror. */
static const char *const dnssec_hdrs[] = {
	"From", " a@example.org",
	"DKIM-Signature", " v=1; a=rsa-sha256; c=relaxed/relaxed;"
	    " d=example.org; s=nokey; h=from;"
	    " bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;"
	    " b=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	NULL,
};

/* dnssec_cfg - config text on the resolver addr, DNSTimeout seconds, plus
 * extra lines (the fifth line is the first of them). */
static void
dnssec_cfg(char *out, size_t len, const char *addr, int timeout,
    const char *extra)
{
	int n = snprintf(out, len, "AuthservID mx.test.example\n"
	    "InternalHosts 10.0.0.0/8\nDNSTimeout %d\nNameservers %s\n%s",
	    timeout, addr, extra);

	ck_assert(n > 0 && (size_t)n < len);
}

/* gauge - dns.dnssec_disabled as `authmilterctl stats` would print it. */
static unsigned long long
gauge(const struct am_ctx *ctx)
{
	struct am_stats_snapshot snap;
	unsigned long long v = 99;
	struct am_buf b;
	struct am_why why;

	am_buf_init(&b, AM_STATS_MAX_BYTES);
	ck_assert(am_stats_format(&ctx->stats, NULL, 0, 1, &b) == AM_OK);
	ck_assert(am_stats_parse(b.data, b.len, &snap, &why) == AM_OK);
	ck_assert(am_stats_lookup(&snap, "dns.dnssec_disabled", &v));
	am_buf_release(&b);
	return v;
}

/* count - occurrences of needle in hay. */
static int
count(const char *hay, const char *needle)
{
	int n = 0;

	for (; (hay = strstr(hay, needle)) != NULL; hay++)
		n++;
	return n;
}

/*
 * The built-in TrustAnchorFile (not in the file) and a resolver without
 * DNSSEC records: one warning naming the resolver and the fix, validation
 * off, the gauge at 1, and a message gets real SPF, DKIM and DMARC results
 * (before: DNSSEC bogus, temperror for all three).
 */
START_TEST(test_dnssec_default_anchor_unsigned)
{
	struct am_testdns *t;
	struct am_why why = { "" };
	struct am_buf errs, warns;
	struct am_session *s;
	struct am_verdict v;
	struct am_ctx *ctx;
	char text[512];
	const char *ar, *w;

	if (access(ROOT_KEY, R_OK) != 0)
		ck_abort_msg(ROOT_KEY " missing (package dns-root-data)");
	t = am_testdns_start(unsigned_zone, &why);
	ck_assert_msg(t != NULL, "%s", why.text);
	dnssec_cfg(text, sizeof(text), am_testdns_addr(t), 2, "");
	am_buf_init(&errs, 65536);
	am_buf_init(&warns, 65536);
	ctx = ctx_from_text(text, &errs, &warns);
	ck_assert_msg(ctx != NULL, "runtime: %s", am_buf_str(&errs));
	w = am_buf_str(&warns);
	fprintf(stderr, "default anchor, unsigned resolver: %s", w);
	ck_assert_msg(count(w, "DNSSEC") > 0 && count(w, "\n") == 1,
	    "want one warning line, got [%s]", w);
	ck_assert_msg(strstr(w, "DNSSEC validation turned off") != NULL &&
	    strstr(w, am_testdns_addr(t)) != NULL &&
	    strstr(w, ROOT_KEY) != NULL &&
	    strstr(w, "set TrustAnchorFile empty") != NULL &&
	    strstr(w, "returns DNSSEC records") != NULL, "got [%s]", w);
	ck_assert_int_eq(ctx->current->dnssec, AM_DNSSEC_DISABLED);
	ck_assert_uint_eq(gauge(ctx), 1);
	s = am_session_new(ctx);
	run_message(s, "<sender@example.org>", dnssec_hdrs, &v);
	ar = ar_of(&v);
	ck_assert_msg(strstr(ar, "spf=pass") != NULL, "A-R [%s]", ar);
	ck_assert_msg(strstr(ar, "dkim=permerror") != NULL, "A-R [%s]", ar);
	ck_assert_msg(strstr(ar, "dmarc=pass") != NULL, "A-R [%s]", ar);
	ck_assert_msg(strstr(ar, "temperror") == NULL, "A-R [%s]", ar);
	am_verdict_release(&v);
	am_session_free(s);
	am_ctx_free(ctx);
	am_buf_release(&errs);
	am_buf_release(&warns);
	t = am_testdns_stop(t);
}
END_TEST

/*
 * TrustAnchorFile set in the file, even to the default path: the runtime
 * (start, -n, configtest, reload) is refused with FILE:LINE, the resolver
 * and the fix.
 */
START_TEST(test_dnssec_explicit_anchor_unsigned)
{
	struct am_testdns *t;
	struct am_why why = { "" };
	struct am_buf errs, warns;
	struct am_ctx *ctx;
	char text[512];
	const char *e;

	t = am_testdns_start(unsigned_zone, &why);
	ck_assert_msg(t != NULL, "%s", why.text);
	dnssec_cfg(text, sizeof(text), am_testdns_addr(t), 2,
	    "TrustAnchorFile " ROOT_KEY "\n");
	am_buf_init(&errs, 65536);
	am_buf_init(&warns, 65536);
	ctx = ctx_from_text(text, &errs, &warns);
	ck_assert_ptr_null(ctx);
	e = am_buf_str(&errs);
	fprintf(stderr, "explicit anchor, unsigned resolver: %s", e);
	ck_assert_msg(strstr(e, ":5: TrustAnchorFile " ROOT_KEY ": DNSSEC "
	    "validation fails through the resolvers ") != NULL &&
	    strstr(e, am_testdns_addr(t)) != NULL &&
	    strstr(e, "use a resolver that validates DNSSEC or returns DNSSEC "
	    "records (Nameservers), or set TrustAnchorFile empty") != NULL,
	    "got [%s]", e);
	ck_assert_str_eq(am_buf_str(&warns), "");
	am_buf_release(&errs);
	am_buf_release(&warns);
	t = am_testdns_stop(t);
}
END_TEST

/*
 * A resolver that does not answer at probe time says nothing about DNSSEC:
 * the configured setting stays (validation on), one warning, no error --
 * with the built-in anchor and with an explicit one.
 */
START_TEST(test_dnssec_unreachable)
{
	static const char *const extra[] = { "", "TrustAnchorFile " ROOT_KEY
	    "\n" };
	struct am_buf errs, warns;
	struct am_ctx *ctx;
	char addr[32], text[512];
	size_t i;

	(void)snprintf(addr, sizeof(addr), "127.0.0.1@%u",
	    am_testdns_dead_port());
	for (i = 0; i < 2; i++) {
		dnssec_cfg(text, sizeof(text), addr, 1, extra[i]);
		am_buf_init(&errs, 65536);
		am_buf_init(&warns, 65536);
		ctx = ctx_from_text(text, &errs, &warns);
		ck_assert_msg(ctx != NULL, "runtime: %s", am_buf_str(&errs));
		ck_assert_int_eq(ctx->current->dnssec, AM_DNSSEC_UNCHECKED);
		ck_assert_msg(strstr(am_buf_str(&warns), "could not check DNSSEC "
		    "through the resolvers ") != NULL &&
		    strstr(am_buf_str(&warns), addr) != NULL &&
		    strstr(am_buf_str(&warns), "validation stays on") != NULL,
		    "got [%s]", am_buf_str(&warns));
		ck_assert_uint_eq(gauge(ctx), 0);
		/* still no answer: nothing changes */
		am_buf_reset(&warns);
		ck_assert(!am_ctx_recheck_dnssec(ctx, &errs, &warns));
		ck_assert_int_eq(ctx->current->dnssec, AM_DNSSEC_UNCHECKED);
		ck_assert_str_eq(am_buf_str(&warns), "");
		am_ctx_free(ctx);
		am_buf_release(&errs);
		am_buf_release(&warns);
	}
}
END_TEST


/*
 * The resolver does not answer at start (stopped), then answers without
 * DNSSEC: the recheck (the reload thread, every StatsInterval) turns
 * validation off in a new runtime, with the warning and the gauge.
 */
START_TEST(test_dnssec_recheck)
{
	struct am_testdns *t;
	struct am_why why = { "" };
	struct am_buf errs, warns;
	struct am_ctx *ctx;
	char text[512];
	pid_t pid;

	t = am_testdns_start(unsigned_zone, &why);
	ck_assert_msg(t != NULL, "%s", why.text);
	pid = am_testdns_pid(t);
	dnssec_cfg(text, sizeof(text), am_testdns_addr(t), 1, "");
	am_buf_init(&errs, 65536);
	am_buf_init(&warns, 65536);
	ck_assert_int_eq(kill(pid, SIGSTOP), 0);
	ctx = ctx_from_text(text, &errs, &warns);
	ck_assert_int_eq(kill(pid, SIGCONT), 0);
	ck_assert_msg(ctx != NULL, "runtime: %s", am_buf_str(&errs));
	ck_assert_int_eq(ctx->current->dnssec, AM_DNSSEC_UNCHECKED);
	ck_assert_uint_eq(gauge(ctx), 0);
	am_buf_reset(&warns);
	ck_assert(am_ctx_recheck_dnssec(ctx, &errs, &warns));
	ck_assert_int_eq(ctx->current->dnssec, AM_DNSSEC_DISABLED);
	ck_assert_uint_eq(gauge(ctx), 1);
	ck_assert_msg(strstr(am_buf_str(&warns), "DNSSEC validation turned "
	    "off") != NULL, "got [%s]", am_buf_str(&warns));
	/* settled: nothing more to do */
	ck_assert(!am_ctx_recheck_dnssec(ctx, &errs, &warns));
	am_ctx_free(ctx);
	am_buf_release(&errs);
	am_buf_release(&warns);
	t = am_testdns_stop(t);
}
END_TEST

/*
 * The positive case: a zone signed with ldns-signzone (tests/data/dns,
 * mkzone.sh) served by a real unbound as an auth-zone, and its DS as an
 * explicit TrustAnchorFile. The probe validates, validation stays on,
 * answers are secure and a message gets real results.
 */
START_TEST(test_dnssec_validating)
{
	static const char *const zone[] = {
		"auth-zone: dnssec.example. " DNSSEC_DIR
		    "/dnssec.example.signed",
		NULL,
	};
	static const char *const hdrs[] = {
		"From", " a@dnssec.example",
		NULL,
	};
	struct am_testdns *t;
	struct am_why why = { "" };
	struct am_buf errs, warns;
	struct am_dns_answer ans;
	struct am_session *s;
	struct am_verdict v;
	struct am_ctx *ctx;
	char text[512];
	const char *ar;

	t = am_testdns_start(zone, &why);
	ck_assert_msg(t != NULL, "%s", why.text);
	dnssec_cfg(text, sizeof(text), am_testdns_addr(t), 2,
	    "TrustAnchorFile " DNSSEC_DIR "/dnssec.example.ds\n");
	am_buf_init(&errs, 65536);
	am_buf_init(&warns, 65536);
	ctx = ctx_from_text(text, &errs, &warns);
	ck_assert_msg(ctx != NULL, "runtime: %s", am_buf_str(&errs));
	ck_assert_str_eq(am_buf_str(&warns), "");
	ck_assert_int_eq(ctx->current->dnssec, AM_DNSSEC_ON);
	ck_assert_uint_eq(gauge(ctx), 0);
	am_dns_lookup(ctx->current->dns, "_dmarc.dnssec.example", 16, 2000,
	    &ans);
	ck_assert_msg(ans.result == AM_DNS_OK && ans.secure, "got %s %s",
	    am_dns_result_name(ans.result), ans.why);
	am_dns_answer_release(&ans);
	s = am_session_new(ctx);
	run_message(s, "<sender@dnssec.example>", hdrs, &v);
	ar = ar_of(&v);
	ck_assert_msg(strstr(ar, "spf=pass") != NULL &&
	    strstr(ar, "dmarc=pass") != NULL, "A-R [%s]", ar);
	am_verdict_release(&v);
	am_session_free(s);
	am_ctx_free(ctx);
	am_buf_release(&errs);
	am_buf_release(&warns);
	t = am_testdns_stop(t);
}
END_TEST

int
main(void)
{
	Suite *su = suite_create("dnsfaults");
	TCase *tb = tcase_create("budget");
	TCase *td = tcase_create("dnssec");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tb, 60);
	tcase_add_test(tb, test_budget_dead_resolver);
	suite_add_tcase(su, tb);
	tcase_set_timeout(td, 60);
	tcase_add_test(td, test_dnssec_default_anchor_unsigned);
	tcase_add_test(td, test_dnssec_explicit_anchor_unsigned);
	tcase_add_test(td, test_dnssec_unreachable);
	tcase_add_test(td, test_dnssec_recheck);
	tcase_add_test(td, test_dnssec_validating);
	suite_add_tcase(su, td);

	sr = srunner_create(su);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
