/*
 * NAME        am_test_session - SMTP transactions through lib/pipeline/session
 *             for the session suites
 * SYNOPSIS    struct am_ctx *ctx = am_test_ctx_new(AM_TEST_SESSION_CFG
 *                 "SPFFailAction reject\n");
 *             struct am_session *s = am_session_new(ctx);
 *             struct am_test_macros m = { .auth = "alice", .qid = "4AB" };
 *             static const char *const hdrs[] = { "From", " a@example.org",
 *                 NULL };
 *             struct am_verdict v;
 *             am_test_session_run(s, "192.0.2.10", &m, hdrs, &v);
 *             ... am_test_ins_value(&v, "Received-TLS") ...
 *             am_verdict_release(&v);
 *             am_session_free(s);
 *             am_ctx_free(ctx);
 * DESCRIPTION AM_TEST_SESSION_CFG is the configuration most cases start from:
 *             authserv-id mx.test.example, 10.0.0.0/8 internal, no DNSSEC
 *             trust anchor.
 *             am_test_ctx_new() returns an owned context (am_ctx_free()) on
 *             the configuration text, with a local-data-only resolver (no
 *             traffic; add data to ctx->current->dns with testrr.h).
 *             am_test_ctx_from() is the same on the resolver the text
 *             names (Nameservers; a testdns.h unbound or a dead port).
 *             struct am_test_macros holds the MTA macros of a transaction;
 *             am_test_macros_get() is the am_session macro getter for it (a
 *             NULL arg has no macros).
 *             am_test_ins_value() returns the value of the header v inserts
 *             under name, or "" (borrowed from v).
 *             am_test_session_run() runs one transaction on s: connect and
 *             HELO as client.example from ip, MAIL FROM
 *             <sender@example.org> (which must be accepted), RCPT TO
 *             <rcpt@example.net>, the headers hdrs (name, value pairs,
 *             NULL-ended), the body "hello\r\n", end of message; the verdict
 *             goes into v (am_verdict_release()). m may be NULL.
 * DIAGNOSTICS Check assertions: call these inside a test.
 */
#ifndef AM_TESTSESSION_H
#define AM_TESTSESSION_H

#include "pipeline/ctx.h"
#include "pipeline/session.h"
#include "pipeline/verdict.h"

#define AM_TEST_SESSION_CFG "AuthservID mx.test.example\n" \
	"InternalHosts 10.0.0.0/8\nTrustAnchorFile\n"

struct am_test_macros {
	const char *auth;	/* {auth_authen} */
	const char *qid;	/* i */
	const char *kv[16];	/* more name/value pairs, NULL-ended */
};

struct am_ctx *am_test_ctx_new(const char *text);
struct am_ctx *am_test_ctx_from(const char *text);
const char *am_test_macros_get(void *arg, const char *name);
const char *am_test_ins_value(const struct am_verdict *v, const char *name);
void am_test_session_run(struct am_session *s, const char *ip,
    struct am_test_macros *m, const char *const *hdrs, struct am_verdict *v);

#endif
