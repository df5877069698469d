/*
 * check_buf - the capped buffer never overruns its cap and never truncates
 * silently; verdict ordering and reply escaping.
 */
#include "autoconf.h"

#include <check.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "pipeline/verdict.h"
#include "testutil/testutil.h"

START_TEST(append_within_cap)
{
	struct am_buf b;

	am_buf_init(&b, 8);
	ck_assert_int_eq(am_buf_puts(&b, "abcd"), AM_OK);
	ck_assert_int_eq(am_buf_printf(&b, "%d", 1234), AM_OK);
	ck_assert_str_eq(am_buf_str(&b), "abcd1234");
	ck_assert_uint_eq(b.len, 8);
	am_buf_release(&b);
}
END_TEST

START_TEST(append_past_cap_fails_unchanged)
{
	struct am_buf b;

	am_buf_init(&b, 8);
	ck_assert_int_eq(am_buf_puts(&b, "abcdef"), AM_OK);
	ck_assert_int_eq(am_buf_puts(&b, "xyz"), AM_PERMFAIL);
	ck_assert_int_eq(am_buf_printf(&b, "%s", "123"), AM_PERMFAIL);
	ck_assert_int_eq(am_buf_putc(&b, 'g'), AM_OK);
	ck_assert_int_eq(am_buf_putc(&b, 'h'), AM_OK);
	ck_assert_int_eq(am_buf_putc(&b, 'i'), AM_PERMFAIL);
	ck_assert_str_eq(am_buf_str(&b), "abcdefgh");
	am_buf_release(&b);
}
END_TEST

START_TEST(huge_length_rejected)
{
	struct am_buf b;

	am_buf_init(&b, 16);
	ck_assert_int_eq(am_buf_puts(&b, "a"), AM_OK);
	ck_assert_int_eq(am_buf_append(&b, "", (size_t)-1), AM_PERMFAIL);
	ck_assert_str_eq(am_buf_str(&b), "a");
	am_buf_release(&b);
}
END_TEST

START_TEST(export_and_reset)
{
	struct am_buf b;
	char *s;

	am_buf_init(&b, 100);
	ck_assert_str_eq(am_buf_str(&b), "");
	ck_assert_int_eq(am_buf_puts(&b, "hello"), AM_OK);
	am_buf_truncate(&b, 2);
	ck_assert_str_eq(am_buf_str(&b), "he");
	am_buf_reset(&b);
	ck_assert_str_eq(am_buf_str(&b), "");
	ck_assert_int_eq(am_buf_puts(&b, "bye"), AM_OK);
	s = am_buf_export(&b);
	ck_assert_str_eq(s, "bye");
	ck_assert_uint_eq(b.len, 0);
	free(s);
	am_buf_release(&b);
}
END_TEST

START_TEST(truncate_past_end_panics)
{
	struct am_buf b;

	am_buf_init(&b, 100);
	am_buf_truncate(&b, 5);
}
END_TEST

/* Deletions must come out in descending occurrence per name (CVE-2022-48521:
 * ascending deletion shifts the later occurrences and lets one survive). */
START_TEST(verdict_deletes_descending)
{
	struct am_verdict v;

	am_verdict_init(&v);
	am_verdict_delete(&v, "Authentication-Results", 1);
	am_verdict_delete(&v, "Received-SPF", 2);
	am_verdict_delete(&v, "Authentication-Results", 3);
	am_verdict_delete(&v, "authentication-results", 2);
	am_verdict_finish(&v);
	ck_assert_uint_eq(v.ndel, 4);
	ck_assert_uint_eq(v.del[0].n, 3);
	ck_assert_uint_eq(v.del[1].n, 2);
	ck_assert_uint_eq(v.del[2].n, 1);
	ck_assert_str_eq(v.del[3].name, "Received-SPF");
	am_verdict_release(&v);
}
END_TEST

START_TEST(verdict_reply_sanitised)
{
	struct am_verdict v;
	char out[64];

	am_verdict_init(&v);
	am_verdict_set(&v, AM_DISP_REJECT, "550", "5.7.1", "bad\r\nline 100%");
	ck_assert_str_eq(v.reply, "bad  line 100%");
	ck_assert_str_eq(am_verdict_reply_escape(v.reply, out, sizeof(out)),
	    "bad  line 100%%");
	am_verdict_release(&v);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("buf");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, append_within_cap);
	tcase_add_test(tc, append_past_cap_fails_unchanged);
	tcase_add_test(tc, huge_length_rejected);
	tcase_add_test(tc, export_and_reset);
	/* An abort can only be caught in a forked test (not under valgrind's
	 * CK_FORK=no). */
	if (am_test_can_fork())
		tcase_add_test_raise_signal(tc, truncate_past_end_panics,
		    SIGABRT);
	tcase_add_test(tc, verdict_deletes_descending);
	tcase_add_test(tc, verdict_reply_sanitised);
	suite_add_tcase(s, tc);
	return am_test_run(s);
}
