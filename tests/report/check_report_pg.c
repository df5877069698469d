/*
 * check_report_pg - the PostgreSQL report store (lib/report/report_pg.c)
 * against a real server that the suite starts (tests/testutil/testpg.sh):
 * the same XML as the SQLite store for the same rows, schema creation and
 * migration from schema 1, two writer processes on one database (and on an
 * empty one: the migration race), a server restart while rows are written
 * (nothing lost beyond the queue bound, drops counted), kill -9 of a
 * writer (committed batches kept), a database that is not there, expire,
 * and the writer's rate (printed, never asserted). Skipped (77) with the
 * reason when PostgreSQL is not installed.
 */
#include "autoconf.h"

#include <sys/wait.h>

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "report/report_store.h"
#include "report/report_xml.h"
#include "testutil/testbatch.h"
#include "testutil/testpg.h"
#include "testutil/testutil.h"

static struct am_testpg *pg;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static const struct am_report_dkim dkim_ab[] = {
	{ "a.example", "s1", AM_REPORT_RES_PASS },
	{ "b.example", "s\\2\t", AM_REPORT_RES_FAIL },	/* COPY escapes */
};
static const struct am_report_dkim dkim_ba[] = {	/* same set, reversed */
	{ "b.example", "s\\2\t", AM_REPORT_RES_FAIL },
	{ "a.example", "s1", AM_REPORT_RES_PASS },
};
static const struct am_report_spf spf_mh[] = {
	{ "bounce.a.example", AM_REPORT_SCOPE_MFROM, AM_REPORT_RES_PASS },
	{ "mx.a.example", AM_REPORT_SCOPE_HELO, AM_REPORT_RES_NONE },
};
static const struct am_report_reason reason_fwd[] = {
	{ AM_REPORT_REASON_FORWARDED, "list\nr\xc3\xa9sum\xc3\xa9 \\ \xe6\x97\xa5" },
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

/* fill - the rows of the round trip: groups, reasons, two domains, two
 * periods, a policy change (the latest row's counts). */
static void
fill(struct am_report_store *rs, int64_t t)
{
	struct am_report_row r = row("a.example", "192.0.2.1", t);
	int i;

	for (i = 0; i < 5; i++)
		am_report_store_enqueue(rs, &r);
	r.dkim = dkim_ba;
	am_report_store_enqueue(rs, &r);
	r.source_ip = "192.0.2.2";
	for (i = 0; i < 3; i++)
		am_report_store_enqueue(rs, &r);
	r.disposition = AM_REPORT_DISP_REJECT;
	r.is_dkim_pass = false;
	r.reasons = reason_fwd;
	r.n_reasons = 1;
	r.time = t + 50;
	r.policy.p = AM_REPORT_DISP_QUARANTINE;
	r.policy.has_np = true;
	r.policy.np = AM_REPORT_DISP_REJECT;
	r.policy.is_testing = true;
	r.policy.fo = "d:s";
	am_report_store_enqueue(rs, &r);
	r = row("b.example", "2001:db8::1", t + 10);
	r.n_dkim = 0;
	r.envelope_to = "";
	for (i = 0; i < 4; i++)
		am_report_store_enqueue(rs, &r);
	r = row("a.example", "192.0.2.9", t + 100000);	/* other period */
	am_report_store_enqueue(rs, &r);
}

/* open_ok - a store at path that opened cleanly. */
static struct am_report_store *
open_ok(const char *path, const struct am_report_store_opts *o)
{
	struct am_why why;
	struct am_report_store *rs = am_report_store_open(path, o, &why);

	ck_assert_ptr_nonnull(rs);
	ck_assert_msg(why.text[0] == '\0', "open %s: %s", path, why.text);
	return rs;
}

/* newdb - a fresh database; its URI (copied: the fixture reuses it). */
static char *
newdb(const char *name)
{
	const char *uri = am_testpg_newdb(pg, name);

	ck_assert_msg(uri != NULL, "cannot create database %s", name);
	return strdup(uri);
}

/* query1 - query one store; must succeed. */
static struct am_report_set *
query1(const char *path, int64_t b, int64_t e, const char *domain)
{
	struct am_report_set *set;
	struct am_why why;

	ck_assert_msg(am_report_store_query(&path, 1, b, e, domain, &set,
	    &why) == AM_OK, "query %s: %s", path, why.text);
	return set;
}

/* xml - the report of domain i of set, in fmt. */
static char *
xml(const struct am_report_set *set, size_t i, enum am_report_format fmt)
{
	struct am_report_meta m = { "Org", "dmarc@recv.example", NULL,
	    "recv.example", "authmilter test", set->begin, set->end };
	struct am_buf b;
	struct am_why why;

	am_buf_init(&b, 1 << 20);
	ck_assert_msg(am_report_xml_format(&m, &set->domains[i], fmt, &b, NULL,
	    NULL, &why) == AM_OK, "%s", why.text);
	return am_buf_export(&b);
}

/* same_reports - equal domains, and equal XML for each, in both formats. */
static void
same_reports(const char *a, const char *b, int64_t begin, int64_t end)
{
	struct am_report_set *sa = query1(a, begin, end, NULL);
	struct am_report_set *sb = query1(b, begin, end, NULL);
	char *xa, *xb;
	size_t i;
	int f;

	ck_assert_uint_eq(sa->n_domains, sb->n_domains);
	for (i = 0; i < sa->n_domains; i++)
		for (f = 0; f < 2; f++) {
			xa = xml(sa, i, (enum am_report_format)f);
			xb = xml(sb, i, (enum am_report_format)f);
			ck_assert_str_eq(xa, xb);
			free(xa);
			free(xb);
		}
	am_report_set_free(sa);
	am_report_set_free(sb);
}

START_TEST(same_xml_as_sqlite)
{
	const char *db = am_test_path(0, "r.db");
	char *uri = newdb("roundtrip");
	struct am_report_counters c;
	struct am_report_store *rs;
	struct am_report_set *set;

	rs = open_ok(db, NULL);
	fill(rs, 5000);
	am_report_store_close(rs, NULL);
	rs = open_ok(uri, NULL);
	fill(rs, 5000);
	rs = am_report_store_close(rs, &c);
	ck_assert_uint_eq(c.written, 15);
	ck_assert_uint_eq(c.dropped, 0);
	ck_assert_int_eq(am_testpg_int(pg, "roundtrip",
	    "SELECT count(*) FROM rows"), 15);
	ck_assert_int_eq(am_testpg_int(pg, "roundtrip",
	    "SELECT version FROM schema_version"), 6);
	same_reports(db, uri, 0, 86400);
	same_reports(db, uri, 86400, 2 * 86400);
	set = query1(uri, 0, 86400, "a.example");	/* domain filter */
	ck_assert_uint_eq(set->n_domains, 1);
	ck_assert_uint_eq(set->domains[0].messages, 10);
	ck_assert_uint_eq(set->domains[0].n_records, 3);
	ck_assert_int_eq(set->domains[0].policy.p, AM_REPORT_DISP_QUARANTINE);
	ck_assert_str_eq(set->domains[0].policy.fo, "d:s");
	ck_assert_int_eq(set->domains[0].policy_time, 5050);
	set = am_report_set_free(set);
	free(uri);
}
END_TEST

START_TEST(conninfo_and_merge)
{
	const char *db = am_test_path(0, "m.db");
	const char *paths[2];
	char *uri = newdb("merge"), *ci;
	struct am_report_store *rs;
	struct am_report_set *set;
	struct am_why why;

	ci = strdup(am_testpg_conninfo(pg, "merge"));
	ck_assert(!am_report_store_is_file(ci));
	rs = open_ok(ci, NULL);		/* key=value over the unix socket */
	fill(rs, 5000);
	am_report_store_close(rs, NULL);
	rs = open_ok(db, NULL);
	fill(rs, 6000);
	am_report_store_close(rs, NULL);
	paths[0] = uri;
	paths[1] = db;
	ck_assert_int_eq(am_report_store_query(paths, 2, 0, 86400, NULL, &set,
	    &why), AM_OK);
	ck_assert_uint_eq(set->n_domains, 2);
	ck_assert_uint_eq(set->domains[0].messages, 20);
	ck_assert_uint_eq(set->domains[1].messages, 8);
	ck_assert_int_eq(set->domains[0].policy_time, 6050);
	set = am_report_set_free(set);
	free(ci);
	free(uri);
}
END_TEST

START_TEST(store_kind)
{
	ck_assert(!am_report_store_is_file("postgresql://u@db1/reports"));
	ck_assert(!am_report_store_is_file("postgres:///reports"));
	ck_assert(!am_report_store_is_file("host=db1 dbname=reports"));
	ck_assert(!am_report_store_is_file("dbname=reports"));
	ck_assert(am_report_store_is_file("/var/lib/authmilter/reports.db"));
	ck_assert(am_report_store_is_file("reports.db"));
	ck_assert(am_report_store_is_file("/srv/a=b.db"));	/* no keyword */
	ck_assert(am_report_store_is_file("nokey=x"));
	ck_assert(am_report_store_is_file("postgresql:/x"));
}
END_TEST

/* shown - am_report_store_display() of path. */
static char *
shown(const char *path)
{
	struct am_buf b;
	char *s;

	am_buf_init(&b, 4096);
	s = strdup(am_report_store_display(path, &b));
	am_buf_release(&b);
	ck_assert_ptr_nonnull(s);
	return s;
}

/* store_display: a password never reaches a log line or a message. */
START_TEST(store_display)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "postgresql://am@db1/reports", "postgresql://am@db1/reports" },
		{ "host=db1 dbname=reports", "host=db1 dbname=reports" },
		{ "/var/lib/authmilter/reports.db",
		    "/var/lib/authmilter/reports.db" },
		{ "postgresql://am:s3cr%65t@db1:5433/reports",
		    "user=am password=******** dbname=reports host=db1 port=5433" },
		{ "postgresql://db1/reports?user=am&password=s3cret",
		    "user=am password=******** dbname=reports host=db1" },
		{ "host=db1 password='s3 cret' dbname=reports",
		    "password=******** dbname=reports host=db1" },
		{ "host=db1 password = s3cret application_name='a b\\\\c'",
		    "password=******** host=db1 application_name='a b\\\\c'" },
		{ "postgresql://am:s3cret@db1/reports?bogus=1",
		    "(a PostgreSQL connection string libpq cannot parse)" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *s = shown(cases[i].in);

		ck_assert_msg(strcmp(s, cases[i].out) == 0, "%s -> %s",
		    cases[i].in, s);
		ck_assert_msg(strstr(s, "s3") == NULL, "%s", s);
		free(s);
	}
}
END_TEST

static const char v1_schema[] =
    "CREATE TABLE schema_version (version INTEGER NOT NULL);"
    "INSERT INTO schema_version VALUES (1);"
    "CREATE TABLE rows (id BIGSERIAL PRIMARY KEY, time BIGINT NOT NULL,"
    " source_ip TEXT NOT NULL, header_from TEXT NOT NULL,"
    " envelope_from TEXT NOT NULL, envelope_to TEXT NOT NULL,"
    " policy_domain TEXT NOT NULL, reasons TEXT NOT NULL,"
    " dkim TEXT NOT NULL, spf TEXT NOT NULL, fo TEXT NOT NULL,"
    " rua TEXT NOT NULL, disposition INTEGER NOT NULL,"
    " dkim_pass INTEGER NOT NULL, spf_pass INTEGER NOT NULL,"
    " p INTEGER NOT NULL, sp INTEGER NOT NULL, pct INTEGER NOT NULL,"
    " adkim_strict INTEGER NOT NULL, aspf_strict INTEGER NOT NULL);"
    "CREATE INDEX rows_time ON rows(time);"
    "INSERT INTO rows VALUES (DEFAULT, 100, '192.0.2.7', 'old.example',"
    " 'old.example', '', 'old.example', '',"
    " '11:old.example2:s11:1', '11:old.example1:01:1', '0', '', 0,"
    " 1, 1, 2, 2, 50, 0, 1);";

START_TEST(migrates_schema_1)
{
	char *uri = newdb("v1");
	struct am_report_row r = row("old.example", "192.0.2.8", 200);
	const struct am_report_record *rec;
	struct am_report_store *rs;
	struct am_report_set *set;

	ck_assert_ptr_nonnull(am_testpg_sql(pg, "v1", v1_schema));
	set = query1(uri, 0, 1000, NULL);	/* read-only: not migrated */
	ck_assert_uint_eq(set->domains[0].records[0].count, 1);
	ck_assert(!set->domains[0].policy.has_np);
	set = am_report_set_free(set);
	ck_assert_int_eq(am_testpg_int(pg, "v1",
	    "SELECT version FROM schema_version"), 1);
	r.policy.has_np = true;
	r.policy.np = AM_REPORT_DISP_REJECT;
	r.policy.is_testing = true;
	rs = open_ok(uri, NULL);
	am_report_store_enqueue(rs, &r);
	am_report_store_close(rs, NULL);
	ck_assert_int_eq(am_testpg_int(pg, "v1",
	    "SELECT version FROM schema_version"), 6);
	ck_assert_int_eq(am_testpg_int(pg, "v1",	/* step 5: received */
	    "SELECT count(*) FROM agg_reports"), 0);
	ck_assert_int_eq(am_testpg_int(pg, "v1",
	    "SELECT count(*) FROM schema_version"), 1);
	ck_assert_int_eq(am_testpg_int(pg, "v1",
	    "SELECT np FROM rows WHERE time = 100"), -1);
	ck_assert_int_eq(am_testpg_int(pg, "v1", "SELECT count(*) FROM"
	    " information_schema.columns WHERE table_name = 'sent' AND"
	    " column_name IN ('claim_owner', 'claim_until')"), 2);
	set = query1(uri, 0, 1000, NULL);
	ck_assert_uint_eq(set->domains[0].n_records, 2);
	ck_assert(set->domains[0].policy.has_np);	/* latest row's */
	ck_assert(set->domains[0].policy.is_testing);
	rec = &set->domains[0].records[0];
	ck_assert_str_eq(rec->row.source_ip, "192.0.2.7");
	ck_assert_str_eq(rec->row.dkim[0].domain, "old.example");
	ck_assert_int_eq(rec->row.policy.pct, 50);
	ck_assert(rec->row.policy.is_aspf_strict);
	set = am_report_set_free(set);
	free(uri);
}
END_TEST

/* batch_written_once: a batch retried after its COMMIT went unheard adds
 * no row (report_backend.h). */
START_TEST(batch_written_once)
{
	char *uri = newdb("batch");

	am_testbatch_written_once(uri);
	free(uri);
}
END_TEST

START_TEST(newer_schema_refused)
{
	char *uri = newdb("v9");
	struct am_report_store *rs;
	struct am_why why;

	ck_assert_ptr_nonnull(am_testpg_sql(pg, "v9", "CREATE TABLE"
	    " schema_version (version INTEGER); INSERT INTO schema_version"
	    " VALUES (9)"));
	rs = am_report_store_open(uri, NULL, &why);
	ck_assert_ptr_nonnull(rs);
	ck_assert_msg(strstr(why.text, "newer") != NULL, "%s", why.text);
	am_report_store_close(rs, NULL);
	free(uri);
}
END_TEST

/* bad_bytes - bytes PostgreSQL refuses in text: stored as '?', the batch
 * is not refused. */
START_TEST(invalid_utf8_kept)
{
	char *uri = newdb("utf8");
	struct am_report_row r = row("a.example", "192.0.2.1", 100);
	struct am_report_counters c;
	struct am_report_store *rs;
	struct am_report_set *set;

	r.envelope_to = "x\xff\xc3(y\xed\xa0\x80z";	/* bad, bad, surrogate */
	rs = open_ok(uri, NULL);
	am_report_store_enqueue(rs, &r);
	am_report_store_close(rs, &c);
	ck_assert_uint_eq(c.written, 1);
	set = query1(uri, 0, 1000, NULL);
	ck_assert_str_eq(set->domains[0].records[0].row.envelope_to,
	    "x?" "?(y???z");
	set = am_report_set_free(set);
	free(uri);
}
END_TEST

START_TEST(expire_old_rows)
{
	char *uri = newdb("expire");
	struct am_report_store *rs = open_ok(uri, NULL);
	struct am_report_row r = row("a.example", "192.0.2.1", 100);
	struct am_why why;
	uint64_t n;

	am_report_store_enqueue(rs, &r);
	r.time = 200;
	am_report_store_enqueue(rs, &r);
	r.time = 300;
	am_report_store_enqueue(rs, &r);
	am_report_store_close(rs, NULL);
	ck_assert_int_eq(am_report_store_expire(uri, 250, &n, &why), AM_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(am_testpg_int(pg, "expire",
	    "SELECT count(*) FROM rows"), 1);
	free(uri);
}
END_TEST

START_TEST(database_unavailable)
{
	struct am_report_store_opts o = { .retry_max_ms = 200 };
	struct am_report_row r = row("a.example", "192.0.2.1", 1000);
	const char *gone = "postgresql://authmilter@127.0.0.1:1/none";
	struct am_report_counters c;
	struct am_report_store *rs;
	struct am_report_set *set;
	struct am_why why;
	uint64_t n;
	int i;

	rs = am_report_store_open(gone, &o, &why);
	ck_assert_ptr_nonnull(rs);
	ck_assert_msg(strstr(why.text, "connect") != NULL, "%s", why.text);
	for (i = 0; i < 100; i++)
		am_report_store_enqueue(rs, &r);
	ck_assert_int_eq(am_report_store_flush(rs, 500, &why), AM_TEMPFAIL);
	am_report_store_close(rs, &c);
	ck_assert_uint_ge(c.write_errors, 2);
	ck_assert_uint_eq(c.written, 0);
	ck_assert_uint_eq(c.dropped, 100);	/* counted, not lost silently */
	ck_assert_int_eq(am_report_store_query(&gone, 1, 0, 1, NULL, &set,
	    &why), AM_TEMPFAIL);
	ck_assert_int_eq(am_report_store_expire(gone, 1, &n, &why),
	    AM_TEMPFAIL);
	/* an existing server, a database that is not there */
	ck_assert_int_eq(am_report_store_expire(am_testpg_conninfo(pg,
	    "no_such_db"), 1, &n, &why), AM_TEMPFAIL);
	ck_assert_msg(strstr(why.text, "no_such_db") != NULL, "%s", why.text);
}
END_TEST

/* writer_child - one "daemon": n rows from ip into uri; exit 0 when all
 * were written and none dropped. */
static _Noreturn void
writer_child(const char *uri, const char *ip, int n)
{
	struct am_report_store_opts o = { .queue_max = 100000, .batch_ms = 5 };
	struct am_report_row r = row("a.example", ip, 0);
	struct am_report_counters c;
	struct am_report_store *rs;
	struct am_why why;
	int i;

	if ((rs = am_report_store_open(uri, &o, &why)) == NULL ||
	    why.text[0] != '\0') {
		fprintf(stderr, "writer %s: %s\n", ip, why.text);
		_exit(1);
	}
	for (i = 0; i < n; i++) {
		r.time = i;
		am_report_store_enqueue(rs, &r);
		if (i % 500 == 0)
			usleep(1000);	/* a stream, not one burst */
	}
	am_report_store_close(rs, &c);
	_exit(c.written == (uint64_t)n && c.dropped == 0 ? 0 : 2);
}

START_TEST(two_writers_one_database)
{
	char *uri = newdb("fleet");	/* empty: both migrate at once */
	const int n = 20000;
	pid_t pid[2];
	int i, status;

	for (i = 0; i < 2; i++)
		if ((pid[i] = fork()) == 0)
			writer_child(uri, i == 0 ? "192.0.2.1" : "192.0.2.2", n);
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(waitpid(pid[i], &status, 0), pid[i]);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "writer %d: status %d", i, status);
	}
	ck_assert_int_eq(am_testpg_int(pg, "fleet",
	    "SELECT count(*) FROM rows"), 2 * n);
	ck_assert_int_eq(am_testpg_int(pg, "fleet", "SELECT count(*) FROM rows"
	    " WHERE source_ip = '192.0.2.2'"), n);
	ck_assert_int_eq(am_testpg_int(pg, "fleet", "SELECT count(DISTINCT"
	    " time) FROM rows WHERE source_ip = '192.0.2.1'"), n);
	ck_assert_int_eq(am_testpg_int(pg, "fleet",
	    "SELECT count(*) FROM schema_version"), 1);
	free(uri);
}
END_TEST

/* write_through_restart - enqueue one row a millisecond (at least min
 * rows) while the server restarts; the final counters in c. */
static void
write_through_restart(const char *uri, size_t queue_max, int down_s,
    int min, struct am_report_counters *c)
{
	struct am_report_store_opts o = { .queue_max = queue_max,
	    .batch_ms = 10, .retry_max_ms = 200 };
	struct am_report_row r = row("a.example", "192.0.2.1", 0);
	struct am_report_store *rs = open_ok(uri, &o);
	struct am_why why;
	int status, i = 0;
	pid_t pid, done = 0;

	pid = am_testpg_restart(pg, down_s);
	ck_assert_int_gt(pid, 0);
	while (done == 0 || i < min) {
		r.time = i++;
		am_report_store_enqueue(rs, &r);
		usleep(1000);
		if (done == 0 && (done = waitpid(pid, &status, WNOHANG)) != 0)
			ck_assert_msg(done == pid && WIFEXITED(status) &&
			    WEXITSTATUS(status) == 0, "restart failed");
	}
	ck_assert_msg(am_report_store_flush(rs, 60000, &why) == AM_OK, "%s",
	    why.text);
	am_report_store_close(rs, c);
	fprintf(stderr, "restart (%ds down, queue %zu): %llu enqueued, %llu "
	    "written, %llu dropped, %llu write errors\n", down_s, queue_max,
	    (unsigned long long)c->enqueued, (unsigned long long)c->written,
	    (unsigned long long)c->dropped,
	    (unsigned long long)c->write_errors);
	ck_assert_uint_eq(c->written + c->dropped, c->enqueued);
	ck_assert_uint_ge(c->write_errors, 1);
	ck_assert(!c->is_failing);
}

START_TEST(restart_while_writing)
{
	char *uri = newdb("restart");
	struct am_report_counters c;

	/* the queue holds everything the restart delays: nothing lost */
	write_through_restart(uri, 100000, 1, 2000, &c);
	ck_assert_uint_eq(c.dropped, 0);
	ck_assert_int_eq(am_testpg_int(pg, "restart",
	    "SELECT count(*) FROM rows"), (long long)c.written);
	ck_assert_int_eq(am_testpg_int(pg, "restart",
	    "SELECT count(DISTINCT time) FROM rows"), (long long)c.written);
	/* a small queue: the oldest rows are dropped, and counted */
	ck_assert_ptr_nonnull(am_testpg_sql(pg, "restart", "DELETE FROM rows"));
	write_through_restart(uri, 200, 2, 2000, &c);
	ck_assert_uint_gt(c.dropped, 0);
	ck_assert_int_eq(am_testpg_int(pg, "restart",
	    "SELECT count(*) FROM rows"), (long long)c.written);
	ck_assert_int_eq(am_testpg_int(pg, "restart",
	    "SELECT count(DISTINCT time) FROM rows"), (long long)c.written);
	free(uri);
}
END_TEST

/* crash_child - enqueue numbered rows, report committed counts on fd. */
static _Noreturn void
crash_child(const char *uri, int fd)
{
	struct am_report_store_opts o = { .queue_max = 1000000,
	    .batch_max = 200, .batch_ms = 10 };
	struct am_report_row r = row("a.example", "192.0.2.1", 0);
	struct am_report_counters c;
	struct am_report_store *rs;
	struct am_why why;
	uint64_t n;

	if ((rs = am_report_store_open(uri, &o, &why)) == NULL)
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
	char *uri = newdb("kill9");
	uint64_t written = 0, w;
	long long count, max;
	int fds[2], status;
	pid_t pid;

	ck_assert_int_eq(pipe(fds), 0);
	if ((pid = fork()) == 0) {
		close(fds[0]);
		crash_child(uri, fds[1]);
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
	usleep(200000);		/* the server notices the dead connection */
	count = am_testpg_int(pg, "kill9", "SELECT count(*) FROM rows");
	max = am_testpg_int(pg, "kill9", "SELECT max(time) FROM rows");
	fprintf(stderr, "kill -9: %llu rows reported committed, %lld in the "
	    "database\n", (unsigned long long)written, count);
	ck_assert_int_ge(count, (long long)written);	/* none lost */
	ck_assert_int_eq(am_testpg_int(pg, "kill9",
	    "SELECT min(time) FROM rows"), 0);
	ck_assert_int_eq(max + 1, count);		/* a prefix, no gap */
	am_report_store_close(open_ok(uri, NULL), NULL);	/* reopens */
	free(uri);
}
END_TEST

/* Writer throughput: rows/s committed, from the first enqueue to the end
 * of the flush. Printed, never asserted. */
START_TEST(writer_throughput)
{
	char *uri = newdb("rate");
	struct am_report_store_opts o = { .queue_max = 300000 };
	struct am_report_store *rs = open_ok(uri, &o);
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
	ck_assert_int_eq(am_testpg_int(pg, "rate", "SELECT count(*) FROM rows"),
	    (long long)c.written);
	fprintf(stderr, "PostgreSQL report writer: %d rows, enqueue %.0f "
	    "rows/s, written %.0f rows/s sustained (TCP loopback, batches of "
	    "500), dropped %llu\n", n, n / (t1 - t0), c.written / (t2 - t0),
	    (unsigned long long)c.dropped);
	free(uri);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("report_pg");
	TCase *tc = tcase_create("pg");
	struct am_why why;
	SRunner *sr;
	int failed;

	if (!am_testpg_available(&why)) {
		printf("SKIP: check_report_pg: %s\n", why.text);
		return 77;
	}
	if ((pg = am_testpg_start(&why)) == NULL) {
		fprintf(stderr, "check_report_pg: %s\n", why.text);
		return 1;
	}
	tcase_add_checked_fixture(tc, am_test_dir_make, am_test_dir_remove);
	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, same_xml_as_sqlite);
	tcase_add_test(tc, conninfo_and_merge);
	tcase_add_test(tc, store_kind);
	tcase_add_test(tc, store_display);
	tcase_add_test(tc, migrates_schema_1);
	tcase_add_test(tc, newer_schema_refused);
	tcase_add_test(tc, batch_written_once);
	tcase_add_test(tc, invalid_utf8_kept);
	tcase_add_test(tc, expire_old_rows);
	tcase_add_test(tc, database_unavailable);
	tcase_add_test(tc, two_writers_one_database);
	tcase_add_test(tc, restart_while_writing);
	tcase_add_test(tc, kill9_keeps_committed_batches);
	tcase_add_test(tc, writer_throughput);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	pg = am_testpg_stop(pg);
	return failed == 0 ? 0 : 1;
}
