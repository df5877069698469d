/*
 * check_msg - the message model (limits, anomalies, envelope) and the .eml
 * reader that feeds authmilterctl check exactly as the MTA feeds the milter.
 */
#include "autoconf.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "msg/eml.h"
#include "msg/msg.h"
#include "testutil/testutil.h"

START_TEST(envelope_strips_brackets)
{
	struct am_msg *m = am_msg_new();

	ck_assert_ptr_null(am_msg_sender(m));
	am_msg_set_sender(m, "<user@example.com>");
	ck_assert_str_eq(am_msg_sender(m), "user@example.com");
	am_msg_set_sender(m, "<>");
	ck_assert_str_eq(am_msg_sender(m), "");
	am_msg_add_rcpt(m, "<a@example.net>");
	am_msg_add_rcpt(m, "b@example.net");
	ck_assert_uint_eq(am_msg_rcpt_count(m), 2);
	ck_assert_str_eq(am_msg_rcpt(m, 1), "b@example.net");
	ck_assert_ptr_null(am_msg_rcpt(m, 2));
	am_msg_reset(m);
	ck_assert_ptr_null(am_msg_sender(m));
	ck_assert_uint_eq(am_msg_rcpt_count(m), 0);
	am_msg_free(m);
}
END_TEST

START_TEST(header_limits_set_anomalies)
{
	struct am_msg *m = am_msg_new();
	char big[200];
	char names[64];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert(am_msg_add_header(m, "From", " a@b", 4, 3, 100));
	ck_assert(!am_msg_add_header(m, "X-Big", big, strlen(big), 3, 100));
	ck_assert(am_msg_add_header(m, "from", " c@d", 4, 3, 100));
	ck_assert(am_msg_add_header(m, "To", " e@f", 4, 3, 100));
	ck_assert(!am_msg_add_header(m, "Cc", " g@h", 4, 3, 100));
	ck_assert(!am_msg_add_header(m, "Bad Name", " v", 2, 3, 100));
	ck_assert_uint_eq(am_msg_header_total(m), 6);
	ck_assert_uint_eq(am_msg_header_kept(m), 3);
	ck_assert_uint_eq(am_msg_count(m, "FROM"), 2);
	ck_assert_str_eq(am_msg_find(m, "From", 1)->value, " c@d");
	ck_assert_ptr_null(am_msg_find(m, "From", 2));
	ck_assert_str_eq(am_msg_anomaly_names(am_msg_anomalies(m), names,
	    sizeof(names)), "too-many-headers,header-too-long,bad-header-name");
	am_msg_free(m);
}
END_TEST

START_TEST(nul_in_header_value)
{
	struct am_msg *m = am_msg_new();

	ck_assert(am_msg_add_header(m, "Subject", " a\0b", 4, 10, 100));
	ck_assert_uint_eq(am_msg_header(m, 0)->value_len, 4);
	ck_assert(am_msg_anomalies(m) & AM_ANOM_NUL);
	am_msg_free(m);
}
END_TEST

START_TEST(too_many_recipients)
{
	struct am_msg *m = am_msg_new();
	size_t i;

	for (i = 0; i < AM_MSG_MAX_RCPTS + 5; i++)
		am_msg_add_rcpt(m, "r@example.net");
	ck_assert_uint_eq(am_msg_rcpt_count(m), AM_MSG_MAX_RCPTS);
	ck_assert(am_msg_anomalies(m) & AM_ANOM_RCPTS);
	am_msg_free(m);
}
END_TEST

/* A sink that records what it is fed, as "name=[value]" lines and a body. */
struct rec {
	struct am_buf hdrs;
	struct am_buf body;
	size_t body_calls;
};

static void
rec_header(void *arg, const char *name, const char *value, size_t len)
{
	struct rec *r = arg;

	(void)am_buf_printf(&r->hdrs, "%s=[%.*s]\n", name, (int)len, value);
}

static void
rec_body(void *arg, const void *p, size_t len)
{
	struct rec *r = arg;

	(void)am_buf_append(&r->body, p, len);
	r->body_calls++;
}

static void
rec_eoh(void *arg)
{
	struct rec *r = arg;

	(void)am_buf_puts(&r->hdrs, "--eoh--\n");
}

static enum am_status
parse_text(const char *text, struct rec *r, struct am_why *why)
{
	struct am_eml_sink sink = { rec_header, rec_eoh, rec_body, r };
	FILE *fp = fmemopen((void *)text, strlen(text), "r");
	enum am_status st;

	am_buf_init(&r->hdrs, 1 << 20);
	am_buf_init(&r->body, 1 << 24);
	r->body_calls = 0;
	st = am_eml_parse(fp, &sink, why);
	fclose(fp);
	return st;
}

static const struct {
	const char *name;
	const char *input;
	const char *want_hdrs;
	const char *want_body;
} eml_cases[] = {
	{ "lf", "From: a@b\nSubject: x\n\nline1\nline2\n",
	    "From=[ a@b]\nSubject=[ x]\n--eoh--\n", "line1\r\nline2\r\n" },
	{ "crlf", "From: a@b\r\nSubject:x\r\n\r\nbody\r\n",
	    "From=[ a@b]\nSubject=[x]\n--eoh--\n", "body\r\n" },
	{ "folded", "Subject: one\n\ttwo\n  three\nTo: c@d\n\nb\n",
	    "Subject=[ one\n\ttwo\n  three]\nTo=[ c@d]\n--eoh--\n", "b\r\n" },
	{ "mbox-line", "From someone Sat Jan  1 00:00:00 2000\nX: y\n\n\n",
	    "X=[ y]\n--eoh--\n", "\r\n" },
	{ "no-body", "X: y\n", "X=[ y]\n--eoh--\n", "" },
	{ "colon-in-value", "X-A: b: c\n\n", "X-A=[ b: c]\n--eoh--\n", "" },
};

START_TEST(eml_table)
{
	struct am_why why;
	struct rec r;

	ck_assert_int_eq(parse_text(eml_cases[_i].input, &r, &why), AM_OK);
	if (strcmp(am_buf_str(&r.hdrs), eml_cases[_i].want_hdrs) != 0)
		ck_abort_msg("%s: headers got %s, want %s", eml_cases[_i].name,
		    am_buf_str(&r.hdrs), eml_cases[_i].want_hdrs);
	if (strcmp(am_buf_str(&r.body), eml_cases[_i].want_body) != 0)
		ck_abort_msg("%s: body got %s, want %s", eml_cases[_i].name,
		    am_buf_str(&r.body), eml_cases[_i].want_body);
	am_buf_release(&r.hdrs);
	am_buf_release(&r.body);
}
END_TEST

START_TEST(eml_errors)
{
	static const char *bad[] = {
		"\tcontinuation first\n\n",
		"not a header line\n\n",
		": empty name\n\n",
	};
	struct am_why why;
	struct rec r;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(parse_text(bad[i], &r, &why), AM_PERMFAIL);
		ck_assert_ptr_nonnull(strstr(why.text, "line 1"));
		am_buf_release(&r.hdrs);
		am_buf_release(&r.body);
	}
}
END_TEST

START_TEST(eml_big_body_chunked)
{
	size_t lines = 20000, i;
	struct am_buf in;
	struct am_why why;
	struct rec r;

	am_buf_init(&in, 1 << 24);
	(void)am_buf_puts(&in, "X: y\n\n");
	for (i = 0; i < lines; i++)
		(void)am_buf_puts(&in, "0123456789012345678901234567890123\n");
	ck_assert_int_eq(parse_text(am_buf_str(&in), &r, &why), AM_OK);
	ck_assert_uint_eq(r.body.len, lines * 36);
	ck_assert_uint_gt(r.body_calls, 1);
	am_buf_release(&in);
	am_buf_release(&r.hdrs);
	am_buf_release(&r.body);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("msg");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, envelope_strips_brackets);
	tcase_add_test(tc, header_limits_set_anomalies);
	tcase_add_test(tc, nul_in_header_value);
	tcase_add_test(tc, too_many_recipients);
	tcase_add_loop_test(tc, eml_table, 0,
	    sizeof(eml_cases) / sizeof(eml_cases[0]));
	tcase_add_test(tc, eml_errors);
	tcase_add_test(tc, eml_big_body_chunked);
	suite_add_tcase(s, tc);
	return am_test_run(s);
}
