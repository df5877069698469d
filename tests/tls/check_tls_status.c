/*
 * check_tls_status - TLS mode, certificate state and the trace header from
 * macro sequences as Postfix and Sendmail send them, and hostile values.
 */
#include "autoconf.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

#include "msg/authres.h"
#include "core/buf.h"
#include "tls/tls_status.h"
#include "testutil/testutil.h"

/* A macro stage: NULL-terminated name/value pairs. */
struct stage {
	bool is_helo;			/* HELO (else MAIL) */
	const char *kv[16];
};

static const char *
get(void *arg, const char *name)
{
	const struct stage *st = arg;
	size_t i;

	for (i = 0; st->kv[i] != NULL; i += 2)
		if (strcmp(st->kv[i], name) == 0)
			return st->kv[i + 1];
	return NULL;
}

#define TLS13 "{tls_version}", "TLSv1.3", "{cipher}", \
	"TLS_AES_256_GCM_SHA384", "{cipher_bits}", "256"

static const struct {
	const char *name;
	const char *port;		/* {daemon_port} */
	struct stage stages[4];		/* until .kv[0] == NULL && !is_helo */
	const char *want;		/* header value */
	const char *want_ar;		/* A-R value */
} cases[] = {
	{ "plaintext", "25", {
	    { true, { NULL } }, { false, { "i", "Q1", NULL } } },
	    "none port=25 receiver=mx.test",
	    "mx.test;\n\tx-tls=none" },
	{ "postfix-starttls", "25", {
	    { true, { NULL } }, { true, { TLS13, NULL } },
	    { false, { TLS13, NULL } } },
	    "starttls version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 bits=256\n"
	    "\tclient-cert=none port=25 receiver=mx.test",
	    "mx.test;\n\tx-tls=pass smtp.version=TLSv1.3 "
	    "smtp.cipher=TLS_AES_256_GCM_SHA384\n\tsmtp.bits=256" },
	{ "postfix-implicit", "10465", {
	    { true, { TLS13, NULL } }, { false, { TLS13, NULL } } },
	    "implicit version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 bits=256\n"
	    "\tclient-cert=none port=10465 receiver=mx.test", NULL },
	{ "implicit-port-listed", "465", {
	    { true, { NULL } }, { true, { TLS13, NULL } } },
	    "implicit version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 bits=256\n"
	    "\tclient-cert=none port=465 receiver=mx.test", NULL },
	{ "mail-without-helo", "2525", {
	    { false, { TLS13, NULL } } },
	    "implicit version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 bits=256\n"
	    "\tclient-cert=none port=2525 receiver=mx.test", NULL },
	{ "postfix-verified-cert", "25", {
	    { true, { NULL } },
	    { true, { "{tls_version}", "TLSv1.2", "{cipher}",
	      "ECDHE-RSA-AES256-GCM-SHA384", "{cipher_bits}", "256",
	      "{cert_subject}", "client.test", "{cert_issuer}", "Test CA",
	      NULL } } },
	    "starttls version=TLSv1.2 cipher=ECDHE-RSA-AES256-GCM-SHA384\n"
	    "\tbits=256 client-cert=verified subject=client.test "
	    "issuer=\"Test CA\"\n\tport=25 receiver=mx.test", NULL },
	{ "sendmail-verify-no", "25", {
	    { true, { NULL } }, { true, { TLS13, "{verify}", "NO", NULL } } },
	    "starttls version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 bits=256\n"
	    "\tclient-cert=none port=25 receiver=mx.test", NULL },
	{ "sendmail-verify-fail-dn", "25", {
	    { true, { NULL } }, { true, { TLS13, "{verify}", "FAIL",
	      "{cert_subject}", "/C=US/O=Test+20Org/CN=client",
	      "{cert_issuer}", "/CN=Evil+2BCA", NULL } } },
	    "starttls version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 bits=256\n"
	    "\tclient-cert=unverified subject=\"/C=US/O=Test Org/CN=client\"\n"
	    "\tissuer=\"/CN=Evil+CA\" port=25 receiver=mx.test", NULL },
	{ "sendmail-smtps-verified", "465", {
	    { true, { TLS13, "{verify}", "OK", "{cert_subject}",
	      "/CN=c", "{cert_issuer}", "/CN=ca", NULL } } },
	    "implicit version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 bits=256\n"
	    "\tclient-cert=verified subject=\"/CN=c\" issuer=\"/CN=ca\" port=465\n"
	    "\treceiver=mx.test", NULL },
	{ "hostile-values", "25", {
	    { true, { "{tls_version}", "TLS\r\nX-Evil: 1", "{cipher}",
	      "a\"b\\c d", "{cipher_bits}", "-5", NULL } } },
	    "implicit version=\"TLS??X-Evil: 1\" cipher=\"a\\\"b\\\\c d\"\n"
	    "\tclient-cert=none port=25 receiver=mx.test", NULL },
};

START_TEST(table)
{
	struct am_tls_track *t = am_tls_track_new();
	struct stage conn = { true, { "{daemon_port}", cases[_i].port, NULL } };
	struct am_tls_status st;
	struct am_authres *ar;
	struct am_buf out;
	size_t k;

	am_tls_observe_connect(t, get, &conn);
	for (k = 0; k < 4; k++) {
		const struct stage *s = &cases[_i].stages[k];

		if (s->kv[0] == NULL && !s->is_helo)
			break;
		am_tls_observe(t, s->is_helo, get, (void *)s);
	}
	am_tls_status_get(t, "465, 587x", &st);
	am_buf_init(&out, 4096);
	ck_assert_int_eq(am_tls_format_header(&st, "mx.test", false, &out),
	    AM_OK);
	if (strcmp(am_buf_str(&out), cases[_i].want) != 0)
		ck_abort_msg("%s: got [%s], want [%s]", cases[_i].name,
		    am_buf_str(&out), cases[_i].want);
	if (cases[_i].want_ar != NULL) {
		am_buf_reset(&out);
		ar = am_authres_new("mx.test");
		am_tls_add_authres(&st, ar);
		ck_assert_int_eq(am_authres_format(ar, &out), AM_OK);
		if (strcmp(am_buf_str(&out), cases[_i].want_ar) != 0)
			ck_abort_msg("%s: A-R got [%s], want [%s]",
			    cases[_i].name, am_buf_str(&out),
			    cases[_i].want_ar);
		am_authres_free(ar);
	}
	am_buf_release(&out);
	am_tls_track_free(t);
}
END_TEST

/* Over-long values are cut to AM_TLS_VALUE_MAX, never overflow. */
START_TEST(long_values_bounded)
{
	static char big[5000];
	struct stage s = { true, { "{tls_version}", "TLSv1.2", "{cipher}",
	    big, "{cert_subject}", big, NULL } };
	struct am_tls_track *t = am_tls_track_new();
	struct am_tls_status st;
	struct am_buf out;

	memset(big, 'A', sizeof(big) - 1);
	am_tls_observe(t, true, get, &s);
	am_tls_status_get(t, NULL, &st);
	ck_assert_uint_eq(strlen(st.cipher), AM_TLS_VALUE_MAX);
	ck_assert_uint_eq(strlen(st.subject), AM_TLS_VALUE_MAX);
	am_buf_init(&out, 8192);
	ck_assert_int_eq(am_tls_format_header(&st, "mx.test", true, &out),
	    AM_OK);
	ck_assert_ptr_nonnull(strstr(am_buf_str(&out), "policy=fail"));
	ck_assert_ptr_null(strchr(am_buf_str(&out), '\r'));
	am_buf_release(&out);
	am_tls_track_free(t);
}
END_TEST

START_TEST(header_ownership)
{
	static const struct {
		const char *value;
		bool want;
	} c[] = {
		{ " starttls version=TLSv1.3 receiver=mx.test", true },
		{ " none port=25 receiver=MX.TEST", true },
		{ " none\n\treceiver=mx.test", true },
		{ " none receiver=\"mx.test\"", true },
		{ " none receiver=mx.test.evil", false },
		{ " none xreceiver=mx.test", false },
		{ " none receiver=other.example", false },
		{ " garbage", false },
		/* receiver= inside a quoted value or a comment is not the
		 * item (fuzz_tls: a client-chosen SNI hid the real one, so
		 * a forged header naming us was kept). */
		{ " starttls sni=\"x receiver=other.example\" receiver=mx.test",
		  true },
		{ " starttls subject=\"a\\\" receiver=x\" receiver=mx.test",
		  true },
		{ " none (see receiver=other (nested) x) receiver=mx.test", true },
		{ " none (x receiver=mx.test) receiver=other.example", false },
		{ " none daemon=\"x receiver=mx.test\" receiver=other", false },
		{ " none receiver=other.example receiver=mx.test", true },
		{ " none receiver=\"mx.test", true },
		{ " none (receiver=mx.test", false },
		{ " none receiver=mx.test(comment)", true },
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		if (am_tls_header_is_ours(c[i].value, strlen(c[i].value),
		    "mx.test") != c[i].want)
			ck_abort_msg("%s: got %d, want %d", c[i].value,
			    !c[i].want, c[i].want);
}
END_TEST

START_TEST(version_rank)
{
	ck_assert_int_eq(am_tls_version_rank("TLSv1.3"), 13);
	ck_assert_int_eq(am_tls_version_rank("tlsv1.2"), 12);
	ck_assert_int_eq(am_tls_version_rank("TLSv1"), 10);
	ck_assert_int_eq(am_tls_version_rank("SSLv3"), 3);
	ck_assert_int_eq(am_tls_version_rank("QUIC"), 0);
	ck_assert_int_eq(am_tls_version_rank(NULL), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("tls_status");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, table, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, long_values_bounded);
	tcase_add_test(tc, header_ownership);
	tcase_add_test(tc, version_rank);
	suite_add_tcase(s, tc);
	return am_test_run(s);
}
