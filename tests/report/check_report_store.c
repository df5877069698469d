/*
 * check_report_store - report rows: queue, batched writer, crash safety,
 * failing stores, schema migration, grouping and multi-store merge
 * (PITFALLS "Reports": one record per message was wrong; a failing
 * history file tempfailed mail). Prints the writer's sustained rate.
 */
#include "autoconf.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "report/report_store.h"
#include "testutil/testbatch.h"
#include "testutil/testutil.h"

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static const struct am_report_dkim dkim_ab[] = {
	{ "a.example", "s1", AM_REPORT_RES_PASS },
	{ "b.example", "s2", AM_REPORT_RES_FAIL },
};
static const struct am_report_dkim dkim_ba[] = {	/* same set, reversed */
	{ "b.example", "s2", AM_REPORT_RES_FAIL },
	{ "a.example", "s1", AM_REPORT_RES_PASS },
};
static const struct am_report_spf spf_mh[] = {
	{ "bounce.a.example", AM_REPORT_SCOPE_MFROM, AM_REPORT_RES_PASS },
	{ "mx.a.example", AM_REPORT_SCOPE_HELO, AM_REPORT_RES_NONE },
};
static const struct am_report_reason reason_fwd[] = {
	{ AM_REPORT_REASON_FORWARDED, "list" },
};

/* row - a typical row for domain, from ip, at time t. */
static struct am_report_row
row(const char *domain, const char *ip, int64_t t)
{
	struct am_report_row r;

	memset(&r, 0, sizeof(r));
	r.time = t;
	r.source_ip = ip;
	r.header_from = domain;
	r.envelope_from = "bounce.a.example";
	r.envelope_to = "rcpt.example";
	r.policy_domain = domain;
	r.disposition = AM_REPORT_DISP_NONE;
	r.is_dkim_pass = true;
	r.dkim = dkim_ab;
	r.n_dkim = 2;
	r.spf = spf_mh;
	r.n_spf = 2;
	r.policy.p = AM_REPORT_DISP_REJECT;
	r.policy.sp = AM_REPORT_DISP_QUARANTINE;
	r.policy.pct = 100;
	r.policy.fo = "1";
	r.rua = "mailto:dmarc@a.example";
	return r;
}

/* open_ok - a store at path that opened cleanly. */
static struct am_report_store *
open_ok(const char *path, const struct am_report_store_opts *o)
{
	struct am_why why;
	struct am_report_store *rs = am_report_store_open(path, o, &why);

	ck_assert_ptr_nonnull(rs);
	ck_assert_msg(why.text[0] == '\0', "open: %s", why.text);
	return rs;
}

/* db_int - one integer from SQL on the file at path. */
static long long
db_int(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	long long v = -1;

	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK,
	    "%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* query1 - query one store; must succeed. */
static struct am_report_set *
query1(const char *path, int64_t b, int64_t e, const char *domain)
{
	struct am_report_set *set;
	struct am_why why;

	ck_assert_msg(am_report_store_query(&path, 1, b, e, domain, &set,
	    &why) == AM_OK, "query: %s", why.text);
	return set;
}

START_TEST(round_trip)
{
	const char *db = am_test_path(0, "r.db");
	struct am_report_store *rs = open_ok(db, NULL);
	struct am_report_counters c;
	struct am_report_row r = row("a.example", "192.0.2.1", 1000);
	struct am_report_set *set;

	am_report_store_enqueue(rs, &r);
	am_report_store_enqueue(rs, &r);
	r.time = 1001;
	am_report_store_enqueue(rs, &r);
	am_report_store_enqueue(NULL, &r);	/* reports disabled: no-op */
	rs = am_report_store_close(rs, &c);
	ck_assert_ptr_null(rs);
	ck_assert_uint_eq(c.enqueued, 3);
	ck_assert_uint_eq(c.written, 3);
	ck_assert_uint_eq(c.dropped, 0);
	ck_assert_uint_eq(c.queue_depth, 0);
	ck_assert_int_eq(db_int(db, "SELECT count(*) FROM rows"), 3);
	ck_assert_int_eq(db_int(db, "SELECT version FROM schema_version"), 6);
	set = query1(db, 0, 2000, NULL);
	ck_assert_uint_eq(set->n_domains, 1);
	ck_assert_uint_eq(set->domains[0].n_records, 1);
	ck_assert_uint_eq(set->domains[0].records[0].count, 3);
	ck_assert_uint_eq(set->domains[0].records[0].row.n_dkim, 2);
	ck_assert_str_eq(set->domains[0].records[0].row.dkim[0].selector,
	    "s1");
	ck_assert_uint_eq(set->domains[0].records[0].row.n_spf, 2);
	ck_assert_str_eq(set->domains[0].policy.fo, "1");
	ck_assert_int_eq(set->domains[0].policy.p, AM_REPORT_DISP_REJECT);
	ck_assert_str_eq(set->domains[0].rua, "mailto:dmarc@a.example");
	set = am_report_set_free(set);
}
END_TEST

START_TEST(rows_wait_for_a_full_batch)
{
	const char *db = am_test_path(0, "b.db");
	struct am_report_store_opts o = { .batch_max = 100,
	    .batch_ms = 60000 };
	struct am_report_store *rs = open_ok(db, &o);
	struct am_report_row r = row("a.example", "192.0.2.1", 1000);
	struct am_report_counters c;
	struct am_why why;
	int i;

	for (i = 0; i < 99; i++)
		am_report_store_enqueue(rs, &r);
	usleep(200000);
	am_report_store_counters(rs, &c);
	ck_assert_uint_eq(c.written, 0);	/* waiting for the batch */
	ck_assert_uint_eq(c.queue_depth, 99);
	am_report_store_enqueue(rs, &r);	/* the 100th fills it */
	for (i = 0; i < 500 && c.written < 100; i++) {
		usleep(10000);
		am_report_store_counters(rs, &c);
	}
	ck_assert_uint_eq(c.written, 100);
	for (i = 0; i < 250; i++)
		am_report_store_enqueue(rs, &r);
	ck_assert_int_eq(am_report_store_flush(rs, 10000, &why), AM_OK);
	am_report_store_counters(rs, &c);
	ck_assert_uint_eq(c.written, 350);
	am_report_store_close(rs, NULL);
	ck_assert_int_eq(db_int(db, "SELECT count(*) FROM rows"), 350);
}
END_TEST

/* fill - rows of the grouping test into a store. */
static void
fill_grouping(struct am_report_store *rs, int64_t t)
{
	struct am_report_row r;
	int i;

	r = row("a.example", "192.0.2.1", t);
	for (i = 0; i < 5; i++)
		am_report_store_enqueue(rs, &r);
	r.dkim = dkim_ba;	/* same results, other order: same record */
	am_report_store_enqueue(rs, &r);
	r.source_ip = "192.0.2.2";
	for (i = 0; i < 3; i++)
		am_report_store_enqueue(rs, &r);
	r.disposition = AM_REPORT_DISP_REJECT;
	r.is_dkim_pass = false;
	r.reasons = reason_fwd;
	r.n_reasons = 1;
	am_report_store_enqueue(rs, &r);
	r = row("b.example", "2001:db8::1", t);
	r.n_dkim = 0;
	for (i = 0; i < 4; i++)
		am_report_store_enqueue(rs, &r);
	r = row("a.example", "192.0.2.9", t + 100000);	/* other period */
	am_report_store_enqueue(rs, &r);
}

/* find - the record of d with source ip and disposition. */
static const struct am_report_record *
find(const struct am_report_domain *d, const char *ip, enum am_report_disp x)
{
	size_t i;

	for (i = 0; i < d->n_records; i++)
		if (strcmp(d->records[i].row.source_ip, ip) == 0 &&
		    d->records[i].row.disposition == x)
			return &d->records[i];
	return NULL;
}

START_TEST(grouping_real_counts)
{
	const char *db = am_test_path(0, "g.db");
	struct am_report_store *rs = open_ok(db, NULL);
	const struct am_report_record *rec;
	struct am_report_set *set;
	const struct am_report_domain *a, *b;

	fill_grouping(rs, 5000);
	am_report_store_close(rs, NULL);
	set = query1(db, 0, 86400, NULL);
	ck_assert_uint_eq(set->n_domains, 2);
	a = &set->domains[0];
	b = &set->domains[1];
	ck_assert_str_eq(a->domain, "a.example");
	ck_assert_str_eq(b->domain, "b.example");
	ck_assert_uint_eq(a->n_records, 3);
	ck_assert_uint_eq(a->messages, 10);
	ck_assert_ptr_nonnull(rec = find(a, "192.0.2.1", AM_REPORT_DISP_NONE));
	ck_assert_uint_eq(rec->count, 6);
	ck_assert_ptr_nonnull(rec = find(a, "192.0.2.2", AM_REPORT_DISP_NONE));
	ck_assert_uint_eq(rec->count, 3);
	ck_assert_ptr_nonnull(rec = find(a, "192.0.2.2",
	    AM_REPORT_DISP_REJECT));
	ck_assert_uint_eq(rec->count, 1);
	ck_assert_uint_eq(rec->row.n_reasons, 1);
	ck_assert_int_eq(rec->row.reasons[0].type, AM_REPORT_REASON_FORWARDED);
	ck_assert_str_eq(rec->row.reasons[0].comment, "list");
	ck_assert(!rec->row.is_dkim_pass);
	ck_assert_uint_eq(b->n_records, 1);
	ck_assert_uint_eq(b->records[0].count, 4);
	ck_assert_uint_eq(b->records[0].row.n_dkim, 0);
	set = am_report_set_free(set);
	set = query1(db, 0, 86400, "b.example");	/* domain filter */
	ck_assert_uint_eq(set->n_domains, 1);
	ck_assert_str_eq(set->domains[0].domain, "b.example");
	set = am_report_set_free(set);
	set = query1(db, 86400, 2 * 86400, NULL);	/* next period */
	ck_assert_uint_eq(set->n_domains, 1);
	ck_assert_uint_eq(set->domains[0].messages, 1);
	set = am_report_set_free(set);
}
END_TEST

START_TEST(multi_store_merge)
{
	const char *p[2] = { am_test_path(0, "m1.db"), am_test_path(1, "m2.db") };
	struct am_report_store *rs;
	struct am_report_row r;
	struct am_report_set *set;
	struct am_why why;

	rs = open_ok(p[0], NULL);
	fill_grouping(rs, 5000);
	am_report_store_close(rs, NULL);
	rs = open_ok(p[1], NULL);
	fill_grouping(rs, 6000);
	r = row("a.example", "192.0.2.1", 7000);	/* latest policy */
	r.policy.p = AM_REPORT_DISP_QUARANTINE;
	r.policy.fo = "d:s";
	am_report_store_enqueue(rs, &r);
	am_report_store_close(rs, NULL);
	ck_assert_int_eq(am_report_store_query(p, 2, 0, 86400, NULL, &set,
	    &why), AM_OK);
	ck_assert_uint_eq(set->n_domains, 2);
	ck_assert_uint_eq(set->domains[0].n_records, 3);
	ck_assert_uint_eq(set->domains[0].messages, 21);
	ck_assert_uint_eq(find(&set->domains[0], "192.0.2.1",
	    AM_REPORT_DISP_NONE)->count, 13);
	ck_assert_uint_eq(find(&set->domains[0], "192.0.2.2",
	    AM_REPORT_DISP_REJECT)->count, 2);
	ck_assert_int_eq(set->domains[0].policy.p, AM_REPORT_DISP_QUARANTINE);
	ck_assert_str_eq(set->domains[0].policy.fo, "d:s");
	ck_assert_int_eq(set->domains[0].policy_time, 7000);
	ck_assert_uint_eq(set->domains[1].records[0].count, 8);
	set = am_report_set_free(set);
	p[1] = am_test_path(1, "missing.db");
	ck_assert_int_eq(am_report_store_query(p, 2, 0, 86400, NULL, &set,
	    &why), AM_TEMPFAIL);
	ck_assert_ptr_null(set);
	ck_assert(strstr(why.text, "missing.db") != NULL);
}
END_TEST

/* unavailable - a store that cannot be opened at path. */
static void
unavailable(const char *path)
{
	struct am_report_store_opts o = { .retry_max_ms = 200 };
	struct am_report_row r = row("a.example", "192.0.2.1", 1000);
	struct am_report_counters c;
	struct am_report_store *rs;
	struct am_why why;
	double t0;
	int i;

	rs = am_report_store_open(path, &o, &why);
	ck_assert_ptr_nonnull(rs);
	ck_assert_msg(why.text[0] != '\0', "no reason for %s", path);
	t0 = now_s();
	for (i = 0; i < 1000; i++)
		am_report_store_enqueue(rs, &r);
	/* never waits on the store (a generous bound, not a benchmark) */
	ck_assert_msg(now_s() - t0 < 2.0, "enqueue waited");
	ck_assert_int_eq(am_report_store_flush(rs, 500, &why), AM_TEMPFAIL);
	am_report_store_counters(rs, &c);
	ck_assert_uint_ge(c.write_errors, 2);
	ck_assert(c.is_failing);
	ck_assert_uint_eq(c.written, 0);
	ck_assert_uint_eq(c.queue_depth, 1000);
	ck_assert(am_report_store_take_error(rs, &why));
	ck_assert(why.text[0] != '\0');
	ck_assert(!am_report_store_take_error(rs, &why));
	am_report_store_close(rs, &c);
	ck_assert_uint_eq(c.dropped, 1000);	/* counted, not lost silently */
	ck_assert_uint_eq(c.queue_depth, 0);
}

START_TEST(store_unavailable)
{
	unavailable("/nonexistent-authmilter-dir/reports.db");
	unavailable(am_test_dir);			/* a directory */
	if (geteuid() != 0) {		/* root ignores the mode */
		ck_assert_int_eq(chmod(am_test_dir, 0555), 0);
		unavailable(am_test_path(0, "ro.db"));
		ck_assert_int_eq(chmod(am_test_dir, 0755), 0);
	}
}
END_TEST

START_TEST(store_recovers)
{
	struct am_report_store_opts o = { .retry_max_ms = 100 };
	const char *dir = am_test_path(0, "later"), *db = am_test_path(1, "later/x.db");
	struct am_report_row r = row("a.example", "192.0.2.1", 1000);
	struct am_report_counters c;
	struct am_report_store *rs;
	struct am_why why;

	rs = am_report_store_open(db, &o, &why);
	ck_assert(why.text[0] != '\0');
	am_report_store_enqueue(rs, &r);
	usleep(300000);
	ck_assert_int_eq(mkdir(dir, 0755), 0);	/* the disk comes back */
	ck_assert_int_eq(am_report_store_flush(rs, 5000, &why), AM_OK);
	am_report_store_close(rs, &c);
	ck_assert_uint_eq(c.written, 1);
	ck_assert_uint_ge(c.write_errors, 1);
	ck_assert(!c.is_failing);
}
END_TEST

START_TEST(queue_full_drops_oldest)
{
	const char *db = am_test_path(0, "q.db");
	/* batch larger than the queue: the writer waits batch_ms */
	struct am_report_store_opts o = { .queue_max = 10, .batch_max = 1000,
	    .batch_ms = 60000 };
	struct am_report_store *rs = open_ok(db, &o);
	struct am_report_row r = row("a.example", "192.0.2.1", 0);
	struct am_report_counters c;
	struct am_why why;
	int i;

	for (i = 0; i < 25; i++) {
		r.time = i;
		am_report_store_enqueue(rs, &r);
	}
	am_report_store_counters(rs, &c);
	ck_assert_uint_eq(c.enqueued, 25);
	ck_assert_uint_eq(c.dropped, 15);
	ck_assert_uint_eq(c.queue_depth, 10);
	ck_assert_int_eq(am_report_store_flush(rs, 5000, &why), AM_OK);
	am_report_store_close(rs, &c);
	ck_assert_uint_eq(c.written, 10);
	ck_assert_int_eq(db_int(db, "SELECT min(time) FROM rows"), 15);
	ck_assert_int_eq(db_int(db, "SELECT max(time) FROM rows"), 24);
}
END_TEST

/* crash_child - enqueue numbered rows, report committed counts on fd. */
static _Noreturn void
crash_child(const char *db, int fd)
{
	struct am_report_store_opts o = { .queue_max = 1000000,
	    .batch_max = 200, .batch_ms = 10 };
	struct am_report_row r = row("a.example", "192.0.2.1", 0);
	struct am_report_counters c;
	struct am_report_store *rs;
	struct am_why why;
	uint64_t n;

	if ((rs = am_report_store_open(db, &o, &why)) == NULL)
		_exit(1);
	for (n = 0; n < 400000; n++) {
		r.time = (int64_t)n;
		am_report_store_enqueue(rs, &r);
		if (n % 100 == 0) {
			am_report_store_counters(rs, &c);
			if (write(fd, &c.written, sizeof(c.written)) < 0)
				_exit(1);
			usleep(200);
		}
	}
	for (;;)
		pause();
}

START_TEST(kill9_keeps_committed_batches)
{
	const char *db = am_test_path(0, "k.db");
	struct am_report_set *set;
	uint64_t written = 0, w;
	long long count, max;
	int fds[2], status;
	pid_t pid;

	ck_assert_int_eq(pipe(fds), 0);
	if ((pid = fork()) == 0) {
		close(fds[0]);
		crash_child(db, fds[1]);
	}
	ck_assert_int_ge(pid, 0);
	close(fds[1]);
	while (written < 20000 && read(fds[0], &w, sizeof(w)) == sizeof(w))
		written = w;
	kill(pid, SIGKILL);	/* mid-load: rows queued, a batch in flight */
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	close(fds[0]);
	ck_assert(WIFSIGNALED(status));
	ck_assert_uint_ge(written, 20000);
	/* the file opens cleanly and is intact */
	ck_assert_int_eq(db_int(db, "SELECT count(*) FROM pragma_integrity_check"
	    " WHERE integrity_check = 'ok'"), 1);
	count = db_int(db, "SELECT count(*) FROM rows");
	max = db_int(db, "SELECT max(time) FROM rows");
	fprintf(stderr, "kill -9: %llu rows reported committed, %lld in the "
	    "file\n", (unsigned long long)written, count);
	ck_assert_int_ge(count, (long long)written);	/* none lost */
	ck_assert_int_eq(db_int(db, "SELECT min(time) FROM rows"), 0);
	ck_assert_int_eq(max + 1, count);		/* a prefix, no gap */
	am_report_store_close(open_ok(db, NULL), NULL);	/* reopens */
	set = query1(db, 0, 1000000, NULL);
	ck_assert_uint_eq(set->domains[0].messages, (uint64_t)count);
	set = am_report_set_free(set);
}
END_TEST

static const char v1_schema[] =
    "CREATE TABLE schema_version (version INTEGER NOT NULL);"
    "INSERT INTO schema_version VALUES (1);"
    "CREATE TABLE rows (id INTEGER PRIMARY KEY, time INTEGER NOT NULL,"
    " source_ip TEXT NOT NULL, header_from TEXT NOT NULL,"
    " envelope_from TEXT NOT NULL, envelope_to TEXT NOT NULL,"
    " policy_domain TEXT NOT NULL, reasons TEXT NOT NULL,"
    " dkim TEXT NOT NULL, spf TEXT NOT NULL, fo TEXT NOT NULL,"
    " rua TEXT NOT NULL, disposition INTEGER NOT NULL,"
    " dkim_pass INTEGER NOT NULL, spf_pass INTEGER NOT NULL,"
    " p INTEGER NOT NULL, sp INTEGER NOT NULL, pct INTEGER NOT NULL,"
    " adkim_strict INTEGER NOT NULL, aspf_strict INTEGER NOT NULL);"
    "CREATE INDEX rows_time ON rows(time);"
    "INSERT INTO rows VALUES (NULL, 100, '192.0.2.7', 'old.example',"
    " 'old.example', '', 'old.example', '',"
    " '11:old.example2:s11:1', '11:old.example1:01:1', '0', '', 0,"
    " 1, 1, 2, 2, 50, 0, 1);";

START_TEST(migrates_schema_1)
{
	const char *db = am_test_path(0, "v1.db");
	struct am_report_row r = row("old.example", "192.0.2.8", 200);
	struct am_report_set *set;
	const struct am_report_record *rec;
	struct am_report_store *rs;
	sqlite3 *h;

	ck_assert_int_eq(sqlite3_open(db, &h), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(h, v1_schema, NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(h);
	set = query1(db, 0, 1000, NULL);	/* read-only: not migrated */
	ck_assert_uint_eq(set->domains[0].records[0].count, 1);
	ck_assert(!set->domains[0].policy.has_np);
	set = am_report_set_free(set);
	ck_assert_int_eq(db_int(db, "SELECT version FROM schema_version"), 1);
	r.policy.has_np = true;
	r.policy.np = AM_REPORT_DISP_REJECT;
	r.policy.is_testing = true;
	rs = open_ok(db, NULL);
	am_report_store_enqueue(rs, &r);
	am_report_store_close(rs, NULL);
	ck_assert_int_eq(db_int(db, "SELECT version FROM schema_version"), 6);
	ck_assert_int_eq(db_int(db, "SELECT count(*) FROM schema_version"), 1);
	ck_assert_int_eq(db_int(db, "SELECT count(*) FROM agg_reports"), 0);
	ck_assert_int_eq(db_int(db, "SELECT np FROM rows WHERE time = 100"),
	    -1);
	set = query1(db, 0, 1000, NULL);
	ck_assert_uint_eq(set->domains[0].n_records, 2);
	ck_assert_uint_eq(set->domains[0].messages, 2);
	ck_assert(set->domains[0].policy.has_np);	/* latest row's */
	ck_assert(set->domains[0].policy.is_testing);
	rec = &set->domains[0].records[0];
	ck_assert_str_eq(rec->row.source_ip, "192.0.2.7");
	ck_assert_str_eq(rec->row.dkim[0].domain, "old.example");
	ck_assert_int_eq(rec->row.spf[0].result, AM_REPORT_RES_PASS);
	ck_assert_int_eq(rec->row.policy.pct, 50);
	ck_assert(rec->row.policy.is_aspf_strict);
	set = am_report_set_free(set);
}
END_TEST

/* batch_written_once: a batch retried after its commit went unheard adds
 * no row (report_backend.h). */
START_TEST(batch_written_once)
{
	am_testbatch_written_once(am_test_path(0, "batch.db"));
}
END_TEST

START_TEST(newer_schema_refused)
{
	const char *db = am_test_path(0, "v9.db");
	struct am_report_store *rs;
	struct am_why why;
	sqlite3 *h;

	ck_assert_int_eq(sqlite3_open(db, &h), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(h, "CREATE TABLE schema_version (version"
	    " INTEGER); INSERT INTO schema_version VALUES (9);", NULL, NULL,
	    NULL), SQLITE_OK);
	sqlite3_close(h);
	rs = am_report_store_open(db, NULL, &why);
	ck_assert_ptr_nonnull(rs);
	ck_assert_msg(strstr(why.text, "newer") != NULL, "%s", why.text);
	am_report_store_close(rs, NULL);
}
END_TEST

START_TEST(expire_old_rows)
{
	const char *db = am_test_path(0, "e.db");
	struct am_report_store *rs = open_ok(db, NULL);
	struct am_report_row r = row("a.example", "192.0.2.1", 100);
	struct am_why why;
	uint64_t n;

	am_report_store_enqueue(rs, &r);
	r.time = 200;
	am_report_store_enqueue(rs, &r);
	r.time = 300;
	am_report_store_enqueue(rs, &r);
	am_report_store_close(rs, NULL);
	ck_assert_int_eq(am_report_store_expire(db, 250, &n, &why), AM_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(db_int(db, "SELECT count(*) FROM rows"), 1);
	ck_assert_int_eq(am_report_store_expire(am_test_path(1, "no/x.db"), 250, &n,
	    &why), AM_TEMPFAIL);
}
END_TEST

START_TEST(long_strings_cut)
{
	const char *db = am_test_path(0, "l.db");
	struct am_report_store *rs = open_ok(db, NULL);
	struct am_report_row r = row("a.example", "192.0.2.1", 100);
	struct am_report_dkim many[40];
	struct am_report_set *set;
	char big[5000];
	int i;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (i = 0; i < 40; i++)
		many[i] = (struct am_report_dkim){ big, NULL,
		    AM_REPORT_RES_PASS };
	r.envelope_to = big;
	r.dkim = many;
	r.n_dkim = 40;
	r.rua = NULL;
	am_report_store_enqueue(rs, &r);
	am_report_store_close(rs, NULL);
	set = query1(db, 0, 1000, NULL);
	ck_assert_uint_eq(strlen(set->domains[0].records[0].row.envelope_to),
	    AM_REPORT_STR_MAX);
	ck_assert_uint_eq(set->domains[0].records[0].row.n_dkim,
	    AM_REPORT_LIST_MAX);
	ck_assert_str_eq(set->domains[0].records[0].row.dkim[0].selector, "");
	ck_assert_str_eq(set->domains[0].rua, "");
	set = am_report_set_free(set);
}
END_TEST

START_TEST(enqueue_null_row_panics)
{
	am_report_store_enqueue(NULL, NULL);
}
END_TEST

/* Writer throughput: rows/s committed, from the first enqueue to the end
 * of the flush. Printed, never asserted. */
START_TEST(writer_throughput)
{
	const char *db = am_test_path(0, "t.db");
	struct am_report_store_opts o = { .queue_max = 300000 };
	struct am_report_store *rs = open_ok(db, &o);
	struct am_report_row r = row("a.example", "192.0.2.1", 100);
	struct am_report_counters c;
	struct am_why why;
	const int n = 200000;
	double t0, t1, t2;
	char ip[32];
	int i;

	t0 = now_s();
	for (i = 0; i < n; i++) {
		snprintf(ip, sizeof(ip), "198.51.%d.%d", (i >> 8) & 255,
		    i & 255);
		r.source_ip = ip;
		r.time = 100 + i;
		am_report_store_enqueue(rs, &r);
	}
	t1 = now_s();
	ck_assert_int_eq(am_report_store_flush(rs, 120000, &why), AM_OK);
	t2 = now_s();
	am_report_store_close(rs, &c);
	ck_assert_uint_eq(c.written + c.dropped, (uint64_t)n);
	fprintf(stderr, "report writer: %d rows, enqueue %.0f rows/s "
	    "(%.2f us/row), written %.0f rows/s sustained, dropped %llu\n", n,
	    n / (t1 - t0), (t1 - t0) * 1e6 / n, c.written / (t2 - t0),
	    (unsigned long long)c.dropped);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("report_store");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, am_test_dir_make, am_test_dir_remove);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, rows_wait_for_a_full_batch);
	tcase_add_test(tc, grouping_real_counts);
	tcase_add_test(tc, multi_store_merge);
	tcase_add_test(tc, store_unavailable);
	tcase_add_test(tc, store_recovers);
	tcase_add_test(tc, queue_full_drops_oldest);
	tcase_add_test(tc, kill9_keeps_committed_batches);
	tcase_add_test(tc, migrates_schema_1);
	tcase_add_test(tc, newer_schema_refused);
	tcase_add_test(tc, batch_written_once);
	tcase_add_test(tc, expire_old_rows);
	tcase_add_test(tc, long_strings_cut);
	tcase_add_test(tc, writer_throughput);
	if (am_test_can_fork())
		tcase_add_test_raise_signal(tc, enqueue_null_row_panics,
		    SIGABRT);
	suite_add_tcase(s, tc);
	return am_test_run(s);
}
