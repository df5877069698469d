/*
 * check_early - the DNS of a message started early (issue 16): SPF at HELO
 * and MAIL FROM, the DKIM keys and the _dmarc names at end of headers, all
 * collected at end of message, through lib/pipeline/session with real
 * libunbound (local data whose answers are delayed to stand for round
 * trips; a loopback port nobody answers on):
 *   - the round trips pass while the body streams: end of message after a
 *     slow body finds every answer in, and no name is asked twice;
 *   - nothing before end of message waits for DNS, and the budget starts at
 *     end of message: a dead resolver costs DNSTimeout counted from the end
 *     of DATA (the issue 15 contract, DNSTimeout + 1 s), and a body slower
 *     than DNSTimeout does not spend the budget of a working resolver;
 *   - an aborted transaction cancels what it started (run under ASan and
 *     valgrind: nothing answers into freed memory, nothing leaks), and the
 *     next transaction of the connection gets its own results.
 */
#include "autoconf.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "config/config.h"
#include "dns/dns.h"
#include "pipeline/ctx.h"
#include "pipeline/session.h"
#include "pipeline/verdict.h"
#include "testutil/testdns.h"
#include "testutil/testrr.h"
#include "testutil/testsession.h"

/* A signed message from example.org: its key is published revoked, so the
 * signature is a permerror whatever it says, after a real key lookup. */
static const char *const hdrs[] = {
	"From", " a@example.org",
	"DKIM-Signature", " v=1; a=rsa-sha256; c=relaxed/relaxed;"
	    " d=example.org; s=sel; h=from;"
	    " bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;"
	    " b=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	NULL,
};

/* Four names: the HELO and MAIL FROM records, the key, the DMARC record. */
static const char *const zone[] = {
	"client.example. 300 IN TXT \"v=spf1 ip4:192.0.2.10 -all\"",
	"example.org. 300 IN TXT \"v=spf1 ip4:192.0.2.10 -all\"",
	"sel._domainkey.example.org. 300 IN TXT \"v=DKIM1; p=\"",
	"_dmarc.example.org. 300 IN TXT \"v=DMARC1; p=reject\"",
	NULL,
};

static long long
now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* dead_ctx - a context on a resolver that never answers. */
static struct am_ctx *
dead_ctx(int dns_timeout)
{
	char text[512];

	(void)snprintf(text, sizeof(text), AM_TEST_SESSION_CFG
	    "DNSTimeout %d\nNameservers 127.0.0.1@%u\n", dns_timeout,
	    am_testdns_dead_port());
	return am_test_ctx_from(text);
}

/* local_ctx - a context on local data (the zone above). */
static struct am_ctx *
local_ctx(int dns_timeout)
{
	char text[256];
	struct am_ctx *ctx;
	size_t i;

	(void)snprintf(text, sizeof(text), AM_TEST_SESSION_CFG
	    "DNSTimeout %d\n", dns_timeout);
	ctx = am_test_ctx_new(text);
	for (i = 0; zone[i] != NULL; i++)
		am_test_dns_add(ctx->current->dns, zone[i]);
	return ctx;
}

/* to_eoh - a transaction from 192.0.2.10 up to end of headers and the
 * body, timed from the start of HELO: *eoh_ms is how long the calls took. */
static void
to_eoh(struct am_session *s, struct am_verdict *v, long long *eoh_ms)
{
	struct am_addr addr;
	long long t0 = now_ms();
	size_t i;

	ck_assert_int_eq(am_addr_parse("192.0.2.10", &addr), AM_OK);
	am_session_connect(s, "client.example", &addr, NULL, NULL);
	am_session_helo(s, "client.example", NULL, NULL);
	am_verdict_init(v);
	am_session_mail(s, "<sender@example.org>", NULL, NULL, v);
	ck_assert_int_eq(v->disp, AM_DISP_ACCEPT);
	am_session_rcpt(s, "<rcpt@example.net>", NULL, NULL);
	am_session_data(s, NULL, NULL);
	for (i = 0; hdrs[i] != NULL; i += 2)
		am_session_header(s, hdrs[i], hdrs[i + 1], strlen(hdrs[i + 1]));
	am_session_eoh(s, NULL, NULL);
	(void)am_session_body(s, "hello\r\n", 7);
	*eoh_ms = now_ms() - t0;
}

/* eom - end of message; how long it took. */
static long long
eom(struct am_session *s, struct am_verdict *v)
{
	long long t0 = now_ms();

	am_session_eom(s, NULL, NULL, v);
	return now_ms() - t0;
}

static const char *
ar(const struct am_verdict *v)
{
	return am_test_ins_value(v, "Authentication-Results");
}

/* Every answer 1 s late (the test resolver hands them over one at a
 * time, so the four take 4 s): started at HELO, MAIL FROM and end of
 * headers, nothing up to end of headers waits for one (a single wait
 * would take 1 s), and after a 4.5 s body end of message finds them all
 * in; each name was asked once. Checked at end of message (before issue
 * 16), the same message waited 4 s there. Margins fit valgrind. */
START_TEST(test_round_trips_hidden)
{
	struct am_ctx *ctx = local_ctx(10);
	struct am_dns *dns = ctx->current->dns;
	struct am_session *s = am_session_new(ctx);
	unsigned long n0 = am_dns_query_count(dns);
	struct am_verdict v;
	long long pre, ms;

	am_dns_set_callback_delay(dns, 1000000);
	to_eoh(s, &v, &pre);
	ck_assert_msg(pre < 900, "up to end of headers took %lld ms", pre);
	(void)usleep(4500 * 1000);
	ms = eom(s, &v);
	fprintf(stderr, "early start: eom took %lld ms; A-R: %s\n", ms,
	    ar(&v));
	ck_assert_msg(ms < 700, "eom waited %lld ms", ms);
	ck_assert_msg(strstr(ar(&v), "spf=pass") != NULL &&
	    strstr(ar(&v), "smtp.helo=client.example") != NULL &&
	    strstr(ar(&v), "dkim=permerror") != NULL &&
	    strstr(ar(&v), "dmarc=pass") != NULL, "A-R [%s]", ar(&v));
	ck_assert_uint_eq(am_dns_query_count(dns) - n0, 4);
	am_verdict_release(&v);
	am_session_free(s);
	am_dns_set_callback_delay(dns, 0);
	am_ctx_free(ctx);
}
END_TEST

/* A dead resolver, DNSTimeout 1: up to end of headers nothing waits; the
 * body takes 1.5 s (longer than DNSTimeout); end of message then gets its
 * own DNSTimeout, no more: every check temperror within DNSTimeout + 1 s
 * of the end of DATA. */
START_TEST(test_budget_from_eom_dead)
{
	struct am_ctx *ctx = dead_ctx(1);
	struct am_session *s = am_session_new(ctx);
	struct am_verdict v;
	long long pre, ms;

	to_eoh(s, &v, &pre);
	ck_assert_msg(pre < 700, "up to end of headers took %lld ms (a wait "
	    "is DNSTimeout, 1000)", pre);
	(void)usleep(1500 * 1000);
	ms = eom(s, &v);
	fprintf(stderr, "dead resolver, DNSTimeout 1, 1.5 s body: eom took "
	    "%lld ms; A-R: %s\n", ms, ar(&v));
	ck_assert_msg(ms < 2000, "eom took %lld ms, want < DNSTimeout + 1 s",
	    ms);
	ck_assert_msg(strstr(ar(&v), "spf=temperror") != NULL &&
	    strstr(ar(&v), "dkim=temperror") != NULL &&
	    strstr(ar(&v), "dmarc=temperror") != NULL, "A-R [%s]", ar(&v));
	am_verdict_release(&v);
	am_session_free(s);
	am_ctx_free(ctx);
}
END_TEST

/* A working resolver, DNSTimeout 1, and a body slower than that: the
 * budget has not run while the body streamed (before, the key lookup at
 * end of headers started it, and SPF at end of message found it spent:
 * temperror); every result is real. */
START_TEST(test_slow_body_keeps_results)
{
	struct am_ctx *ctx = local_ctx(1);
	struct am_session *s = am_session_new(ctx);
	struct am_verdict v;
	long long pre;

	to_eoh(s, &v, &pre);
	(void)usleep(1500 * 1000);
	(void)eom(s, &v);
	ck_assert_msg(strstr(ar(&v), "spf=pass") != NULL &&
	    strstr(ar(&v), "dkim=permerror") != NULL &&
	    strstr(ar(&v), "dmarc=pass") != NULL, "A-R [%s]", ar(&v));
	ck_assert_msg(strstr(ar(&v), "temperror") == NULL, "A-R [%s]",
	    ar(&v));
	am_verdict_release(&v);
	am_session_free(s);
	am_ctx_free(ctx);
}
END_TEST

/* An abort in the middle of the lookups (a dead resolver: they all hang)
 * returns at once and cancels them; the next transaction on the same
 * connection starts its own and gets its verdict within its budget; a
 * session freed with lookups in flight is fine too. */
START_TEST(test_abort_cancels)
{
	struct am_ctx *ctx = dead_ctx(1);
	struct am_session *s = am_session_new(ctx);
	struct am_verdict v;
	long long pre, t0, ms;

	to_eoh(s, &v, &pre);
	am_verdict_release(&v);
	t0 = now_ms();
	am_session_abort(s);
	ck_assert_msg(now_ms() - t0 < 500, "abort took %lld ms (a wait is "
	    "DNSTimeout, 1000)", now_ms() - t0);
	to_eoh(s, &v, &pre);
	ms = eom(s, &v);
	ck_assert_msg(ms < 2000, "second message: eom took %lld ms", ms);
	ck_assert_msg(strstr(ar(&v), "dkim=temperror") != NULL, "A-R [%s]",
	    ar(&v));
	am_verdict_release(&v);
	to_eoh(s, &v, &pre);
	am_verdict_release(&v);
	am_session_free(s);
	am_ctx_free(ctx);
}
END_TEST

int
main(void)
{
	Suite *su = suite_create("early");
	TCase *tc = tcase_create("early");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_round_trips_hidden);
	tcase_add_test(tc, test_budget_from_eom_dead);
	tcase_add_test(tc, test_slow_body_keeps_results);
	tcase_add_test(tc, test_abort_cancels);
	suite_add_tcase(su, tc);
	sr = srunner_create(su);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
