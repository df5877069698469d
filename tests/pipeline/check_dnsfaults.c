/*
 * check_dnsfaults - the pipeline when DNS misbehaves, through real resolvers
 * (a loopback port nobody answers on, a real unbound from testdns.h):
 *   - one DNS budget per message (issue 21 item 6): a message with DKIM,
 *     SPF and DMARC lookups against a dead resolver ends within DNSTimeout
 *     + 1 s, and every check says temperror with a reason;
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

int
main(void)
{
	Suite *su = suite_create("dnsfaults");
	TCase *tb = tcase_create("budget");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tb, 60);
	tcase_add_test(tb, test_budget_dead_resolver);
	suite_add_tcase(su, tb);

	sr = srunner_create(su);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
