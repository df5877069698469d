/*
 * testbatch.c - the batch id check of both report backends (testbatch.h).
 */
#include "autoconf.h"

#include <check.h>
#include <stdint.h>
#include <string.h>

#include "report/report_backend.h"
#include "testutil/testbatch.h"

/* add_count - scan callback: sums the rows of every group. */
static void
add_count(void *arg, const struct am_report_flat *f, uint64_t count)
{
	(void)f;
	*(uint64_t *)arg += count;
}

/* rows_in - the rows of the store at times [0, 10000). */
static uint64_t
rows_in(const struct am_report_backend *be, void *h)
{
	struct am_why why;
	uint64_t n = 0;

	ck_assert_msg(be->scan(h, 0, 10000, NULL, add_count, &n, &why) ==
	    AM_OK, "scan: %s", why.text);
	return n;
}

/* write_one - one row at time 1000 under batch id (first try at 1000). */
static void
write_one(const struct am_report_backend *be, void *h, const char *id)
{
	struct am_report_batch b = { .time = 1000 };
	struct am_report_flat f, *rows[1] = { &f };
	struct am_why why;
	size_t i;

	memset(&f, 0, sizeof(f));
	for (i = 0; i < AM_RT_N; i++)
		f.text[i] = "";
	f.time = 1000;
	f.text[AM_RT_SOURCE_IP] = "192.0.2.1";
	f.text[AM_RT_HEADER_FROM] = "a.example";
	f.text[AM_RT_POLICY_DOMAIN] = "a.example";
	f.num[AM_RN_PCT] = 100;
	f.num[AM_RN_NP] = -1;
	ck_assert(strlen(id) < sizeof(b.id));
	memcpy(b.id, id, strlen(id) + 1);
	ck_assert_msg(be->write(h, &b, rows, 1, &why) == AM_OK, "write: %s",
	    why.text);
}

void
am_testbatch_written_once(const char *path)
{
	const struct am_report_backend *be = am_report_backend_find(path);
	struct am_why why;
	uint64_t n;
	void *h;

	ck_assert_msg((h = be->open(path, false, &why)) != NULL, "open: %s",
	    why.text);
	write_one(be, h, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	ck_assert_uint_eq(rows_in(be, h), 1);
	write_one(be, h, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");	/* the retry */
	ck_assert_uint_eq(rows_in(be, h), 1);
	write_one(be, h, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
	ck_assert_uint_eq(rows_in(be, h), 2);
	ck_assert_int_eq(be->expire(h, 1001, &n, &why), AM_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(rows_in(be, h), 0);
	/* the ids went with the rows: the same id is a new batch again */
	write_one(be, h, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	ck_assert_uint_eq(rows_in(be, h), 1);
	be->close(h);
}
