/*
 * NAME        am_test_dkim - one message through lib/dkim/dkim_verify, for
 *             the DKIM verifier suites
 * SYNOPSIS    tcase_add_checked_fixture(tc, am_test_dkim_setup,
 *                 am_test_dkim_teardown);
 *             am_test_dkim_cfg->dkim_allow_sha1 = true;
 *             struct am_dkim_lib *dl = am_test_dkim_lib();
 *             struct am_dkim_results res;
 *             am_test_dkim_verify_mem(dl, msg, 0, &res);
 *             CK_RES(res, 0, AM_DKIM_PASS);
 *             ar = am_test_dkim_ar(&res); ... free(ar);
 *             am_dkim_results_release(&res);
 *             am_dkim_lib_free(dl);
 * DESCRIPTION am_test_dkim_setup(), a checked fixture, gives each test a
 *             local-data-only resolver in am_test_dkim_dns (no traffic; add
 *             data with testrr.h) and the built-in configuration in
 *             am_test_dkim_cfg (adjust it before am_test_dkim_lib());
 *             am_test_dkim_teardown() frees both.
 *             am_test_dkim_lib() returns an owned library on the two, to be
 *             freed within the test.
 *             am_test_dkim_verify_fp() parses the message in fp (LF or CRLF)
 *             with am_eml_parse() into a fresh verifier: every header, then
 *             end of headers before the first body piece (or at the end),
 *             then the body in pieces of chunk bytes (0: as the parser gives
 *             them) while the verifier wants it; the results go into res
 *             (release with am_dkim_results_release()). If want_body is not
 *             NULL it gets what end of headers answered.
 *             am_test_dkim_verify_mem() does the same for the string msg.
 *             am_test_dkim_ar() formats res as an Authentication-Results
 *             value with authserv-id "mx.test", owned (free()).
 *             CK_RES(r, i, want) asserts that signature i of r has result
 *             want and prints the result, reason and want otherwise;
 *             RES(r, i) is the name of that result.
 * DIAGNOSTICS Check assertions: call these inside a test.
 */
#ifndef AM_TESTDKIM_H
#define AM_TESTDKIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "config/config.h"
#include "dns/dns.h"
#include "dkim/dkim_lib.h"
#include "dkim/dkim_verify.h"

#define RES(r, i) am_dkim_result_name((r).sigs[i].result)
#define CK_RES(r, i, want) ck_assert_msg((r).sigs[i].result == (want), \
	"sig %d: %s (%s), want %s", (int)(i), RES(r, i), (r).sigs[i].reason, \
	am_dkim_result_name(want))

extern struct am_dns *am_test_dkim_dns;
extern struct am_config *am_test_dkim_cfg;

void am_test_dkim_setup(void);
void am_test_dkim_teardown(void);
struct am_dkim_lib *am_test_dkim_lib(void);
void am_test_dkim_verify_fp(struct am_dkim_lib *dl, FILE *fp, size_t chunk,
    struct am_dkim_results *res, bool *want_body);
void am_test_dkim_verify_mem(struct am_dkim_lib *dl, const char *msg,
    size_t chunk, struct am_dkim_results *res);
char *am_test_dkim_ar(const struct am_dkim_results *res);

#endif
