/*
 * check_report_pg_send - report send against a shared store: the claim of
 * the backend interface (report_backend.h) on both backends, the same
 * table of steps for each; two report send runs in two processes at once
 * on one PostgreSQL database and on one SQLite file (exactly one message
 * per (domain, period, address) reaches the sendmail stand-in); and
 * authmilterctl report export / send / expire --store URI against a real
 * PostgreSQL 15 that the suite starts (tests/testutil/testpg.sh), with
 * two authmilterctl report send processes at once. Skipped (77) with the
 * reason when PostgreSQL is not installed.
 */
#include "autoconf.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "dns/dns.h"
#include "report/report_backend.h"
#include "report/report_send.h"
#include "report/report_store.h"
#include "testutil/testdns.h"
#include "testutil/testpg.h"
#include "testutil/testutil.h"

#define DAY	86400
#define CTL	AM_TOP_BUILDDIR "/milter/authmilterctl"

static struct am_testpg *pg;
static struct am_testdns *tdns;

static void
setup(void)
{
	FILE *fp;

	am_test_dir_make();
	ck_assert_int_eq(mkdir(am_test_path(0, "out"), 0700), 0);
	fp = fopen(am_test_path(0, "sendmail"), "w");
	ck_assert_ptr_nonnull(fp);
	/* slow enough that two runs overlap on every report */
	fprintf(fp, "#!/bin/sh\nsleep 0.05\n"
	    "f=$(mktemp %s/out/m.XXXXXX) || exit 1\ncat > $f\n", am_test_dir);
	fclose(fp);
	chmod(am_test_path(0, "sendmail"), 0755);
}

/* uri_of - a fresh database's URI (owned). */
static char *
uri_of(const char *db)
{
	const char *uri = am_testpg_newdb(pg, db);

	ck_assert_msg(uri != NULL, "cannot create database %s", db);
	return strdup(uri);
}

static const struct am_report_spf spf1[] = {
	{ "x.example", AM_REPORT_SCOPE_MFROM, AM_REPORT_RES_PASS },
};

/* store_rows - one row per (domain d0..d<nd-1>, day) at day0 + k days into
 * store; d0 has two rua addresses. */
static void
store_rows(const char *store, int nd, int64_t day0, int days)
{
	struct am_report_store *rs;
	struct am_report_row r;
	struct am_why why;
	char dom[32], rua[96];
	int d, k;

	rs = am_report_store_open(store, NULL, &why);
	ck_assert_msg(rs != NULL && why.text[0] == '\0', "%s", why.text);
	memset(&r, 0, sizeof(r));
	r.source_ip = "192.0.2.1";
	r.envelope_to = "rcpt.example";
	r.is_spf_pass = true;
	r.spf = spf1;
	r.n_spf = 1;
	r.policy.p = r.policy.sp = AM_REPORT_DISP_REJECT;
	r.policy.pct = 100;
	for (d = 0; d < nd; d++)
		for (k = 0; k < days; k++) {
			snprintf(dom, sizeof(dom), "d%d.example", d);
			snprintf(rua, sizeof(rua), "mailto:r@%s%s%s", dom,
			    d == 0 ? ",mailto:s@" : "", d == 0 ? dom : "");
			r.header_from = r.envelope_from = dom;
			r.policy_domain = dom;
			r.rua = rua;
			r.time = day0 + k * DAY + 100;
			am_report_store_enqueue(rs, &r);
		}
	am_report_store_close(rs, NULL);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* message_key - "To|Report-ID" of the message in file f (owned). */
static char *
message_key(const char *f)
{
	char line[1024], to[1024] = "", id[1024] = "", key[2100];
	const char *p;
	FILE *fp = fopen(f, "r");

	ck_assert_ptr_nonnull(fp);
	while (fgets(line, sizeof(line), fp) != NULL && line[0] != '\n') {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "To: ", 4) == 0)
			snprintf(to, sizeof(to), "%.1000s", line + 4);
		if ((p = strstr(line, "Report-ID: ")) != NULL)
			snprintf(id, sizeof(id), "%.1000s", p + 11);
	}
	fclose(fp);
	ck_assert_msg(to[0] != '\0' && id[0] != '\0', "%s: no To/Report-ID",
	    f);
	snprintf(key, sizeof(key), "%s|%s", to, id);
	return strdup(key);
}

/* delivered - the messages the stand-in got; fails on a duplicate
 * (domain, period, address). */
static int
delivered(void)
{
	DIR *dir = opendir(am_test_path(1, "out"));
	char *keys[512], name[300];
	struct dirent *e;
	int n = 0, i;

	ck_assert_ptr_nonnull(dir);
	while ((e = readdir(dir)) != NULL)
		if (e->d_name[0] == 'm') {
			ck_assert_int_lt(n, 512);
			snprintf(name, sizeof(name), "out/%.200s", e->d_name);
			keys[n++] = message_key(am_test_path(2, name));
		}
	closedir(dir);
	qsort(keys, (size_t)n, sizeof(keys[0]), cmp_str);
	for (i = 1; i < n; i++)
		ck_assert_msg(strcmp(keys[i - 1], keys[i]) != 0,
		    "sent twice: %s", keys[i]);
	for (i = 0; i < n; i++)
		free(keys[i]);
	return n;
}

/* ---------------------------------------------------------------- claim */

struct claim_step {
	const char *name;
	const char *owner;	/* claim or put by */
	int64_t now;
	bool is_put;		/* put (state) instead of claim */
	enum am_report_sent_state state;	/* put: the new state */
	enum am_status want_st;
	bool want_claimed;	/* claim: claimed? */
	const char *want_owner;	/* claim: holder afterwards */
};

static const struct claim_step claim_steps[] = {
	{ "A claims a new key", "A", 100, false, 0, AM_OK, true, "A" },
	{ "B: A's lease runs", "B", 150, false, 0, AM_OK, false, "A" },
	{ "A claims again (renews)", "A", 160, false, 0, AM_OK, true, "A" },
	{ "B after the lease", "B", 760, false, 0, AM_OK, true, "B" },
	{ "A puts: lost", "A", 770, true, AM_REPORT_SENT_DONE, AM_TEMPFAIL,
	    false, NULL },
	{ "B puts pending", "B", 780, true, AM_REPORT_SENT_PENDING, AM_OK,
	    false, NULL },
	{ "A claims (released)", "A", 790, false, 0, AM_OK, true, "A" },
	{ "A puts done", "A", 800, true, AM_REPORT_SENT_DONE, AM_OK, false,
	    NULL },
	{ "B: already sent", "B", 5000, false, 0, AM_OK, false, "" },
};

/* claim_contract - the steps on the backend of store. */
static void
claim_contract(const char *store)
{
	const struct am_report_backend *be = am_report_backend_find(store);
	const struct claim_step *t;
	struct am_report_claim c;
	struct am_report_sent s;
	struct am_why why;
	enum am_status st;
	bool is_claimed;
	size_t i;
	void *h;

	ck_assert_msg((h = be->open(store, false, &why)) != NULL, "%s",
	    why.text);
	for (i = 0; i < sizeof(claim_steps) / sizeof(claim_steps[0]); i++) {
		t = &claim_steps[i];
		memset(&s, 0, sizeof(s));
		if (t->is_put) {
			s.state = t->state;
			s.attempts = 1;
			s.period_end = DAY;
			s.error = "";
			st = be->sent_put(h, "a.example", 0, "r@a.example", &s,
			    t->owner, &why);
			ck_assert_msg(st == t->want_st, "%s %s: got %d, want "
			    "%d (%s)", be->name, t->name, st, t->want_st,
			    why.text);
			continue;
		}
		c = (struct am_report_claim){ t->owner, t->now, t->now + 600,
		    DAY };
		st = be->sent_claim(h, "a.example", 0, "r@a.example", &c, &s,
		    &is_claimed, &why);
		ck_assert_msg(st == t->want_st, "%s %s: %s", be->name, t->name,
		    why.text);
		ck_assert_msg(is_claimed == t->want_claimed, "%s %s: claimed "
		    "%d, want %d", be->name, t->name, is_claimed,
		    t->want_claimed);
		ck_assert_msg(strcmp(s.claim_owner, t->want_owner) == 0,
		    "%s %s: holder %s, want %s", be->name, t->name,
		    s.claim_owner, t->want_owner);
	}
	ck_assert_int_eq(s.state, AM_REPORT_SENT_DONE);
	ck_assert_int_eq(s.attempts, 1);
	be->close(h);
}

START_TEST(claim_contract_pg)
{
	char *uri = uri_of("claim");

	claim_contract(uri);
	free(uri);
}
END_TEST

START_TEST(claim_contract_sqlite)
{
	claim_contract(am_test_path(0, "claim.db"));
}
END_TEST

/* ------------------------------------------------ report send, library */

/* send_opts - a run over the last days before now on store. */
static struct am_report_send_opts
send_opts(const char **stores, int64_t now, struct am_dns *dns)
{
	struct am_report_send_opts o;

	memset(&o, 0, sizeof(o));
	o.stores = stores;
	o.n_stores = 1;
	o.meta.org_name = "Test Org";
	o.meta.email = "dmarc@recv.example";
	o.meta.receiver = "recv.example";
	o.from = "dmarc@recv.example";
	o.sendmail = am_test_path(2, "sendmail");
	o.helo = "recv.example";
	o.suppress = "";
	o.max_per_run = 1000;
	o.interval = DAY;
	o.now = now;
	o.first = now - 10 * DAY;
	o.dns = dns;
	o.timeout_ms = 2000;
	return o;
}

/* send_child - one run of report send; its stats on fd. */
static _Noreturn void
send_child(const char *store, int64_t now, int fd)
{
	struct am_dns_opts dopts = { .local_only = true };
	struct am_report_send_stats s;
	struct am_report_send_opts o;
	const char *stores[1] = { store };
	struct am_dns *dns;
	struct am_why why;
	enum am_status st;

	if ((dns = am_dns_new(&dopts, &why)) == NULL)
		_exit(3);
	o = send_opts(stores, now, dns);
	st = am_report_send_run(&o, &s, &why);
	if (st != AM_OK)
		fprintf(stderr, "report send: %s\n", why.text);
	if (write(fd, &s, sizeof(s)) != sizeof(s))
		st = AM_TEMPFAIL;
	am_dns_free(dns);
	_exit(st == AM_OK ? 0 : 1);
}

/* two_runs - two runs at once on store; both must succeed, together send
 * want reports, and the stand-in then holds total messages, each
 * (domain, period, address) once. */
static void
two_runs(const char *store, int64_t now, int want, int total)
{
	struct am_report_send_stats s[2];
	unsigned sent = 0;
	int fds[2][2], i, status;
	pid_t pid[2];

	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(pipe(fds[i]), 0);
		if ((pid[i] = fork()) == 0) {
			close(fds[i][0]);
			send_child(store, now, fds[i][1]);
		}
		close(fds[i][1]);
	}
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(read(fds[i][0], &s[i], sizeof(s[i])),
		    sizeof(s[i]));
		close(fds[i][0]);
		ck_assert_int_eq(waitpid(pid[i], &status, 0), pid[i]);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "run %d: status %d", i, status);
		ck_assert_uint_eq(s[i].failed, 0);
		sent += s[i].sent;
	}
	fprintf(stderr, "two report send runs on %s: %u + %u sent, %u + %u "
	    "deferred (claimed by the other)\n", am_report_store_is_file(store) ?
	    "one SQLite file" : "one PostgreSQL database", s[0].sent,
	    s[1].sent, s[0].deferred, s[1].deferred);
	ck_assert_uint_eq(sent, (unsigned)want);
	ck_assert_int_eq(delivered(), total);
}

START_TEST(concurrent_send_pg)
{
	int64_t now = (int64_t)time(NULL), day0 = (now / DAY - 3) * DAY;
	char *uri = uri_of("send");

	store_rows(uri, 10, day0, 3);
	two_runs(uri, now, 10 * 3 + 3, 33);	/* d0 has two addresses */
	two_runs(uri, now, 0, 33);		/* all sent already */
	free(uri);
}
END_TEST

START_TEST(concurrent_send_sqlite)
{
	int64_t now = (int64_t)time(NULL), day0 = (now / DAY - 3) * DAY;
	const char *db = am_test_path(0, "send.db");

	store_rows(db, 10, day0, 3);
	two_runs(db, now, 10 * 3 + 3, 33);
}
END_TEST

/* A run that died holding a claim: the report waits for the lease. */
START_TEST(dead_claim_waits_for_lease)
{
	int64_t now = (int64_t)time(NULL), day0 = (now / DAY - 2) * DAY;
	char *uri = uri_of("dead"), sql[512];
	struct am_dns_opts dopts = { .local_only = true };
	struct am_report_send_stats s;
	struct am_report_send_opts o;
	const char *stores[1] = { uri };
	struct am_dns *dns;
	struct am_why why;

	store_rows(uri, 1, day0, 1);
	snprintf(sql, sizeof(sql), "INSERT INTO sent VALUES ('d0.example', "
	    "%lld, 'r@d0.example', %lld, 0, 0, 0, '', 'dead-host:1:0', %lld)",
	    (long long)day0, (long long)(day0 + DAY), (long long)now + 100);
	ck_assert_ptr_nonnull(am_testpg_sql(pg, "dead", sql));
	ck_assert_ptr_nonnull(dns = am_dns_new(&dopts, &why));
	o = send_opts(stores, now, dns);
	ck_assert_int_eq(am_report_send_run(&o, &s, &why), AM_OK);
	ck_assert_uint_eq(s.sent, 1);		/* s@d0, unclaimed */
	ck_assert_uint_eq(s.deferred, 1);	/* r@d0, the dead run's */
	o.now = now + 101;			/* the lease has ended */
	ck_assert_int_eq(am_report_send_run(&o, &s, &why), AM_OK);
	ck_assert_uint_eq(s.sent, 1);
	ck_assert_uint_eq(s.deferred, 0);
	ck_assert_int_eq(delivered(), 2);
	ck_assert_int_eq(am_testpg_int(pg, "dead", "SELECT count(*) FROM sent"
	    " WHERE state = 1 AND claim_owner = ''"), 2);
	am_dns_free(dns);
	free(uri);
}
END_TEST

/* ------------------------------------------------------- authmilterctl */

/* ctl - run authmilterctl -c conf ARGS; its stdout into out (cut). */
static int
ctl(const char *const *args, char *out, size_t size)
{
	const char *argv[16] = { CTL, "-c", NULL };
	int fds[2], status;
	size_t n = 0, i;
	ssize_t k;
	pid_t pid;

	argv[2] = am_test_path(3, "authmilter.conf");
	for (i = 0; args[i] != NULL && i < 12; i++)
		argv[3 + i] = args[i];
	ck_assert_int_eq(pipe(fds), 0);
	if ((pid = fork()) == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execv(CTL, (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	while (size > 1 && (k = read(fds[0], out + n, size - 1 - n)) > 0)
		if ((n += (size_t)k) == size - 1)
			break;
	out[n] = '\0';
	close(fds[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* write_conf - the configuration of the authmilterctl tests. */
static void
write_conf(const char *store)
{
	FILE *fp = fopen(am_test_path(0, "authmilter.conf"), "w");

	ck_assert_ptr_nonnull(fp);
	fprintf(fp, "AuthservID recv.example\nReportStore %s\n"
	    "ReportSendmail %s\nNameservers %s\nDNSTimeout 1\n"
	    "ReportRetention 5\nReportOrgName Test Org\n", store,
	    am_test_path(1, "sendmail"), am_testdns_addr(tdns));
	fclose(fp);
}

/* gunzip - the text of a gzip file (owned). */
static char *
gunzip(const char *path)
{
	gzFile gz = gzopen(path, "rb");
	char *buf = malloc(1 << 20);
	int n;

	ck_assert_ptr_nonnull(gz);
	ck_assert_ptr_nonnull(buf);
	n = gzread(gz, buf, (1 << 20) - 1);
	ck_assert_int_ge(n, 0);
	buf[n] = '\0';
	gzclose(gz);
	return buf;
}

/* same_exports - the files out lists for dir a and b: same names (the
 * report id is in the name), same XML. Returns how many. */
static int
same_exports(const char *a, const char *b, const char *la, const char *lb)
{
	char pa[512], pb[512], *xa, *xb;
	const char *p = la, *q = lb, *na, *nb;
	int n = 0;

	ck_assert_uint_eq(strlen(la), strlen(lb) + strlen(a) - strlen(b));
	while (*p != '\0') {
		na = strrchr(p, '/');
		nb = strrchr(q, '/');
		ck_assert(na != NULL && nb != NULL);
		na = p + strcspn(p, "\n");
		nb = q + strcspn(q, "\n");
		snprintf(pa, sizeof(pa), "%.*s", (int)(na - p), p);
		snprintf(pb, sizeof(pb), "%.*s", (int)(nb - q), q);
		ck_assert_str_eq(pa + strlen(a), pb + strlen(b));
		xa = gunzip(pa);
		xb = gunzip(pb);
		ck_assert_str_eq(xa, xb);
		free(xa);
		free(xb);
		p = *na != '\0' ? na + 1 : na;
		q = *nb != '\0' ? nb + 1 : nb;
		n++;
	}
	return n;
}

/* iso - t as YYYY-MM-DDTHH:MM:SSZ. */
static void
iso(int64_t t, char *out, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* send_to_file - authmilterctl args, its output into send<i>.out; the
 * exit status (in a child). */
static int
send_to_file(const char *const *args, int i)
{
	char out[4096], name[16];
	FILE *fp;
	int rc = ctl(args, out, sizeof(out));

	snprintf(name, sizeof(name), "send%d.out", i);
	if ((fp = fopen(am_test_path(0, name), "w")) == NULL)
		return 1;
	fputs(out, fp);
	return fclose(fp) == 0 ? rc : 1;
}

/* sent_in - N of the "N sent, ..." summary in send<i>.out. */
static unsigned
sent_in(int i)
{
	char name[16], line[512];
	unsigned n = 0, fail = 1;
	FILE *fp;

	snprintf(name, sizeof(name), "send%d.out", i);
	ck_assert_ptr_nonnull(fp = fopen(am_test_path(0, name), "r"));
	while (fgets(line, sizeof(line), fp) != NULL)
		if (sscanf(line, "%u sent, %u failed", &n, &fail) == 2)
			break;
	fclose(fp);
	ck_assert_uint_eq(fail, 0);
	fprintf(stderr, "authmilterctl report send %d: %u sent\n", i, n);
	return n;
}

START_TEST(ctl_export_send_expire)
{
	int64_t now = (int64_t)time(NULL), day0 = (now / DAY - 3) * DAY;
	char *uri = uri_of("ctl"), from[32], to[32], la[8192], lb[8192];
	char *db = strdup(am_test_path(0, "ctl.db"));
	char *dir_a = strdup(am_test_path(0, "a"));
	char *dir_b = strdup(am_test_path(0, "b"));
	char out[512];
	const char *exp_pg[] = { "report", "export", "--store", uri, "--from",
	    from, "--to", to, "--out", NULL, NULL };
	const char *send[] = { "report", "send", "--store", uri, NULL };
	const char *expire[] = { "report", "expire", "--store", uri, NULL };
	unsigned sent = 0;
	int i, status;
	pid_t pid[2];

	store_rows(uri, 4, day0, 3);
	store_rows(uri, 2, day0 - 9 * DAY, 1);	/* older than retention */
	store_rows(db, 4, day0, 3);
	write_conf(uri);
	iso(day0, from, sizeof(from));
	iso(day0 + DAY, to, sizeof(to));
	ck_assert_int_eq(mkdir(dir_a, 0700), 0);
	ck_assert_int_eq(mkdir(dir_b, 0700), 0);
	exp_pg[9] = dir_a;
	ck_assert_int_eq(ctl(exp_pg, la, sizeof(la)), 0);
	exp_pg[3] = db;
	exp_pg[9] = dir_b;
	ck_assert_int_eq(ctl(exp_pg, lb, sizeof(lb)), 0);
	ck_assert_int_eq(same_exports(dir_a, dir_b, la, lb), 4);
	/* two report send at once, as two hosts' timers */
	for (i = 0; i < 2; i++)
		if ((pid[i] = fork()) == 0)
			_exit(send_to_file(send, i));
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(waitpid(pid[i], &status, 0), pid[i]);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "report send %d failed", i);
		sent += sent_in(i);
	}
	ck_assert_uint_eq(sent, 4 * 3 + 3);
	ck_assert_int_eq(delivered(), 4 * 3 + 3);
	ck_assert_int_eq(ctl(send, out, sizeof(out)), 0);
	ck_assert_msg(strstr(out, "0 sent, 0 failed, 0 skipped, 0 deferred")
	    != NULL, "second send: %s", out);
	ck_assert_int_eq(ctl(expire, out, sizeof(out)), 0);
	ck_assert_msg(strstr(out, ": 2 rows deleted") != NULL, "%s", out);
	ck_assert_int_eq(am_testpg_int(pg, "ctl", "SELECT count(*) FROM rows"),
	    4 * 3);
	free(dir_a);
	free(dir_b);
	free(db);
	free(uri);
}
END_TEST

/* authmilterctl config shows ReportStore as the logs do: no password. */
START_TEST(ctl_config_hides_password)
{
	static char out[1 << 17];
	const char *config[] = { "config", NULL };

	write_conf("postgresql://am:s3cr%65t@db1:5433/reports?sslmode=require");
	ck_assert_int_eq(ctl(config, out, sizeof(out)), 0);
	ck_assert_msg(strstr(out, "\nReportStore user=am password=******** "
	    "dbname=reports host=db1 port=5433 sslmode=require\n") != NULL,
	    "no hidden ReportStore line in:\n%s", out);
	ck_assert_msg(strstr(out, "s3cr") == NULL, "password shown:\n%s", out);
	/* the other keys are printed as before */
	ck_assert_ptr_nonnull(strstr(out, "\nAuthservID recv.example\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nReportOrgName Test Org\n"));
	write_conf("/var/lib/authmilter/reports.db");
	ck_assert_int_eq(ctl(config, out, sizeof(out)), 0);
	ck_assert_ptr_nonnull(strstr(out,
	    "\nReportStore /var/lib/authmilter/reports.db\n"));
}
END_TEST

int
main(void)
{
	const char *rrs[] = { NULL };
	Suite *s = suite_create("report_pg_send");
	TCase *tc = tcase_create("send");
	struct am_why why;
	SRunner *sr;
	int failed;

	if (!am_testpg_available(&why)) {
		printf("SKIP: check_report_pg_send: %s\n", why.text);
		return 77;
	}
	if ((pg = am_testpg_start(&why)) == NULL ||
	    (tdns = am_testdns_start(rrs, &why)) == NULL) {
		fprintf(stderr, "check_report_pg_send: %s\n", why.text);
		am_testpg_stop(pg);
		return 1;
	}
	tcase_add_checked_fixture(tc, setup, am_test_dir_remove);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, claim_contract_pg);
	tcase_add_test(tc, claim_contract_sqlite);
	tcase_add_test(tc, concurrent_send_pg);
	tcase_add_test(tc, concurrent_send_sqlite);
	tcase_add_test(tc, dead_claim_waits_for_lease);
	tcase_add_test(tc, ctl_export_send_expire);
	tcase_add_test(tc, ctl_config_hides_password);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	tdns = am_testdns_stop(tdns);
	pg = am_testpg_stop(pg);
	return failed == 0 ? 0 : 1;
}
