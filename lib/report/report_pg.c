/*
 * report_pg.c - the PostgreSQL backend of the report store (interface in
 * report_backend.h): one database that every MX host of a fleet writes and
 * that report export, send and expire read from any host. This is the only
 * file that includes libpq.
 *
 * The logical schema is report_sqlite.c's (rows, sent, schema_version) and
 * is created and upgraded by the same numbered steps, in one transaction
 * (DDL is transactional in PostgreSQL) under an advisory lock, so two
 * daemons starting at once on an empty database do not race.
 * A batch is one COPY, i.e. one implicit transaction: all rows or none.
 * Text is sent as UTF-8; bytes that are not well-formed UTF-8 (mail can
 * carry them, PostgreSQL refuses them) become '?', one byte for one, so the
 * length-prefixed list encoding stays valid. Grouping for export: DISTINCT
 * ON the record key, ordered by time descending, keeps each group's latest
 * row (its policy columns), and count(*) over the same partition gives the
 * group's size. The claim of report send is one INSERT ... ON CONFLICT DO
 * UPDATE ... WHERE, which PostgreSQL runs atomically on the row it locks.
 *
 * XXX: a connection lost after the server committed a COPY but before the
 * reply arrived makes the writer retry a batch that is already stored (a
 * duplicate of up to batch_max rows; never seen with a server restart, whose
 * backends answer before they exit). A per-writer batch sequence number
 * stored in the same transaction, checked before a retry, would make
 * batches exactly-once.
 */
#include "autoconf.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "core/buf.h"
#include "core/xalloc.h"
#include "report/report_backend.h"
#include "report/report_pg_impl.h"

#define MIGRATE_LOCK	"7839113954178879346"	/* advisory lock key */
#define LINE_MAX_BYTES	(4u << 20)	/* one COPY line; rows are capped */
#define WRITE_TIMEOUT	"60s"		/* a COPY stuck longer is retried */

static const char *const text_col[AM_RT_N] = {
	"source_ip", "header_from", "envelope_from", "envelope_to",
	"policy_domain", "reasons", "dkim", "spf", "fo", "rua",
};

static const struct {
	const char *name;	/* column */
	int since;		/* schema version that added it */
	const char *def;	/* value for older databases, as SQL */
} num_col[AM_RN_N] = {
	{ "disposition", 1, "0" }, { "dkim_pass", 1, "0" },
	{ "spf_pass", 1, "0" }, { "p", 1, "0" }, { "sp", 1, "0" },
	{ "pct", 1, "100" }, { "adkim_strict", 1, "0" },
	{ "aspf_strict", 1, "0" }, { "np", 2, "-1" }, { "testing", 2, "0" },
};

/* The record key: rows equal in these are one <record> (report_query.c). */
#define KEY_COLS "policy_domain, source_ip, disposition, dkim_pass," \
	" spf_pass, reasons, header_from, envelope_from, envelope_to, dkim, spf"

/* migration[v] upgrades a database from schema version v to v + 1; the
 * steps of report_sqlite.c in PostgreSQL's types. */
static const char *const migration[SCHEMA_VERSION] = {
	"CREATE TABLE rows (id BIGSERIAL PRIMARY KEY, time BIGINT NOT NULL,"
	" source_ip TEXT NOT NULL, header_from TEXT NOT NULL,"
	" envelope_from TEXT NOT NULL, envelope_to TEXT NOT NULL,"
	" policy_domain TEXT NOT NULL, reasons TEXT NOT NULL,"
	" dkim TEXT NOT NULL, spf TEXT NOT NULL, fo TEXT NOT NULL,"
	" rua TEXT NOT NULL, disposition INTEGER NOT NULL,"
	" dkim_pass INTEGER NOT NULL, spf_pass INTEGER NOT NULL,"
	" p INTEGER NOT NULL, sp INTEGER NOT NULL, pct INTEGER NOT NULL,"
	" adkim_strict INTEGER NOT NULL, aspf_strict INTEGER NOT NULL);"
	"CREATE INDEX rows_time ON rows(time);",
	/* 1 -> 2: RFC 9990 np= and t=, per-domain export index */
	"ALTER TABLE rows ADD COLUMN np INTEGER NOT NULL DEFAULT -1;"
	"ALTER TABLE rows ADD COLUMN testing INTEGER NOT NULL DEFAULT 0;"
	"CREATE INDEX rows_domain_time ON rows(policy_domain, time);",
	/* 2 -> 3: report send bookkeeping, one row per (domain, period, to) */
	"CREATE TABLE sent (domain TEXT NOT NULL, begin BIGINT NOT NULL,"
	" addr TEXT NOT NULL, period_end BIGINT NOT NULL,"
	" state INTEGER NOT NULL, attempts BIGINT NOT NULL,"
	" next_try BIGINT NOT NULL, error TEXT NOT NULL,"
	" PRIMARY KEY (domain, begin, addr));",
	/* 3 -> 4: the claim of a report send run (report_backend.h) */
	"ALTER TABLE sent ADD COLUMN claim_owner TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE sent ADD COLUMN claim_until BIGINT NOT NULL DEFAULT 0;",
	/* 4 -> 5: received aggregate reports (report_pg_agg.c) */
	"CREATE TABLE agg_reports (id BIGSERIAL PRIMARY KEY, "
	AM_AGG_REPORT_TEXT_SQL ", period_begin BIGINT NOT NULL,"
	" period_end BIGINT NOT NULL, ingested BIGINT NOT NULL,"
	" UNIQUE (org_name, report_id));"
	"CREATE INDEX agg_reports_domain ON agg_reports(domain, period_begin);"
	"CREATE INDEX agg_reports_begin ON agg_reports(period_begin);"
	"CREATE TABLE agg_records (id BIGSERIAL PRIMARY KEY,"
	" report BIGINT NOT NULL REFERENCES agg_reports(id) ON DELETE CASCADE,"
	" count BIGINT NOT NULL, " AM_AGG_RECORD_TEXT_SQL ");"
	"CREATE INDEX agg_records_report ON agg_records(report);",
	/* 5 -> 6: the ids of the batches written (report_backend.h) */
	"CREATE TABLE batches (id TEXT PRIMARY KEY, time BIGINT NOT NULL);"
	"CREATE INDEX batches_time ON batches(time);",
};

/* res_why - the reason of a failed result (or of the connection when r is
 * NULL); AM_PERMFAIL for data errors (SQLSTATE classes 22 and 23: these
 * rows will never be accepted), AM_TEMPFAIL otherwise. */
static enum am_status
res_why(PGconn *c, const PGresult *r, const char *what, struct am_why *why)
{
	const char *msg = r != NULL ? PQresultErrorMessage(r) : "";
	const char *state = r != NULL ? PQresultErrorField(r,
	    PG_DIAG_SQLSTATE) : NULL;

	if (msg == NULL || *msg == '\0')
		msg = PQerrorMessage(c);
	if (msg == NULL || *msg == '\0')
		msg = "no reply from the server";
	am_why_set(why, "%s: %.*s", what, (int)strcspn(msg, "\n"), msg);
	if (state != NULL && (strncmp(state, "22", 2) == 0 ||
	    strncmp(state, "23", 2) == 0))
		return AM_PERMFAIL;
	return AM_TEMPFAIL;
}

/* is_ok - r is a success (a command, rows or, if is_copy, COPY IN). */
static bool
is_ok(const PGresult *r, bool is_copy)
{
	ExecStatusType t = PQresultStatus(r);

	if (is_copy)
		return t == PGRES_COPY_IN;
	return t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK;
}

/* exec - run SQL (any number of statements), discarding results. */
static enum am_status
exec(PGconn *c, const char *sql, const char *what, struct am_why *why)
{
	PGresult *r = PQexec(c, sql);
	enum am_status st = AM_OK;

	if (!is_ok(r, false))
		st = res_why(c, r, what, why);
	PQclear(r);
	return st;
}

/* query - run sql with n text parameters; the result, or NULL with the
 * reason (and *st) when it failed. */
static PGresult *
query(PGconn *c, const char *sql, int n, const char *const *param,
    const char *what, enum am_status *st, struct am_why *why)
{
	PGresult *r = PQexecParams(c, sql, n, NULL, param, NULL, NULL, 0);

	if (is_ok(r, false))
		return r;
	*st = res_why(c, r, what, why);
	PQclear(r);
	return NULL;
}

/* i64 - column col of row 0 of r as an integer. */
static int64_t
i64(const PGresult *r, int row, int col)
{
	return (int64_t)strtoll(PQgetvalue(r, row, col), NULL, 10);
}

/* read_version - schema version of the database; 0 when it has none. */
static enum am_status
read_version(PGconn *c, int *version, struct am_why *why)
{
	enum am_status st = AM_OK;
	PGresult *r;
	bool has_table;

	*version = 0;
	if ((r = query(c, "SELECT to_regclass('schema_version') IS NOT NULL",
	    0, NULL, "read schema", &st, why)) == NULL)
		return st;
	has_table = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	PQclear(r);
	if (!has_table)
		return AM_OK;
	if ((r = query(c, "SELECT coalesce(max(version), 0) FROM"
	    " schema_version", 0, NULL, "read schema_version", &st,
	    why)) == NULL)
		return st;
	*version = (int)i64(r, 0, 0);
	PQclear(r);
	return AM_OK;
}

/* migrate_locked - the steps, in one transaction, under the lock. */
static enum am_status
migrate_locked(struct pg_store *s, struct am_why *why)
{
	char sql[128];
	enum am_status st;
	int v;

	/* a transaction begun after the lock sees the catalog as the last
	 * holder committed it */
	if ((st = exec(s->conn, "BEGIN", "begin", why)) != AM_OK)
		return st;
	if ((st = read_version(s->conn, &v, why)) != AM_OK)
		goto fail;
	if (v > SCHEMA_VERSION) {
		am_why_set(why, "schema version %d is newer than this program's"
		    " (%d)", v, SCHEMA_VERSION);
		st = AM_PERMFAIL;
		goto fail;
	}
	st = exec(s->conn, "CREATE TABLE IF NOT EXISTS schema_version"
	    " (version INTEGER NOT NULL)", "create schema_version", why);
	for (; st == AM_OK && v < SCHEMA_VERSION; v++)
		st = exec(s->conn, migration[v], "migrate", why);
	if (st != AM_OK)
		goto fail;
	snprintf(sql, sizeof(sql), "DELETE FROM schema_version;"
	    " INSERT INTO schema_version VALUES (%d); COMMIT", v);
	if ((st = exec(s->conn, sql, "set schema_version", why)) != AM_OK)
		goto fail;
	s->version = v;
	return AM_OK;
fail:
	PQclear(PQexec(s->conn, "ROLLBACK"));
	return st;
}

/* migrate - bring the database to SCHEMA_VERSION. A session advisory lock
 * serializes daemons starting at once on one database: the second one
 * migrates nothing. (A transaction-level lock would not do: a transaction
 * begun before the wait keeps a stale catalog cache.) */
static enum am_status
migrate(struct pg_store *s, struct am_why *why)
{
	enum am_status st;

	if ((st = read_version(s->conn, &s->version, why)) != AM_OK ||
	    s->version == SCHEMA_VERSION)
		return st;
	if ((st = exec(s->conn, "SELECT pg_advisory_lock(" MIGRATE_LOCK ")",
	    "lock", why)) != AM_OK)
		return st;
	st = migrate_locked(s, why);
	PQclear(PQexec(s->conn, "SELECT pg_advisory_unlock(" MIGRATE_LOCK
	    ")"));
	return st;
}

/* pg_close - release a handle; accepts NULL. */
static void
pg_close(void *h)
{
	struct pg_store *s = h;

	if (s == NULL)
		return;
	PQfinish(s->conn);
	free(s);
}

/* quiet - drop server notices ("relation exists, skipping"): libpq
 * would print them on stderr. */
static void
quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* pg_connect - a connection for path, with our defaults for what the
 * string leaves out (a later keyword, the string's, overrides them). */
static PGconn *
pg_connect(const char *path)
{
	static const char *const key[] = {
		"connect_timeout", "keepalives_idle", "keepalives_interval",
		"keepalives_count", "application_name", "dbname", NULL,
	};
	const char *val[] = { "10", "60", "10", "6", "authmilter", path,
	    NULL };

	return PQconnectdbParams(key, val, 1);
}

/* pg_open - connect; read-write: create or migrate the schema. */
static void *
pg_open(const char *path, bool is_readonly, struct am_why *why)
{
	struct pg_store *s = am_xcalloc(1, sizeof(*s));
	enum am_status st;

	if ((s->conn = pg_connect(path)) == NULL) {
		am_why_set(why, "connect: out of memory");
		goto fail;
	}
	if (PQstatus(s->conn) != CONNECTION_OK) {
		(void)res_why(s->conn, NULL, "connect", why);
		goto fail;
	}
	(void)PQsetNoticeProcessor(s->conn, quiet, NULL);
	if (PQsetClientEncoding(s->conn, "UTF8") != 0) {
		(void)res_why(s->conn, NULL, "client encoding UTF8", why);
		goto fail;
	}
	if (!is_readonly)
		st = migrate(s, why);
	else if ((st = exec(s->conn, "SET default_transaction_read_only ="
	    " on", "read-only", why)) == AM_OK)
		st = read_version(s->conn, &s->version, why);
	if (st != AM_OK)
		goto fail;
	if (is_readonly && (s->version < 1 || s->version > SCHEMA_VERSION)) {
		am_why_set(why, "not a report store (schema version %d)",
		    s->version);
		goto fail;
	}
	return s;
fail:
	pg_close(s);
	return NULL;
}

/* utf8_len - length of the well-formed UTF-8 sequence at p (p[0] >= 0x80),
 * 0 when there is none (RFC 3629 §4: no overlong forms, no surrogates,
 * nothing above U+10FFFF); stops at the NUL. */
static size_t
utf8_len(const unsigned char *p)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

/* put_text - s as one COPY text field: backslash, TAB, LF and CR escaped,
 * bytes outside well-formed UTF-8 replaced by '?'. */
static enum am_status
put_text(struct am_buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s, *run;
	enum am_status st = AM_OK;
	size_t n;

	while (*p != '\0' && st == AM_OK) {
		for (run = p; *p >= 0x20 && *p != '\\'; p += n)
			if (*p < 0x80)
				n = 1;
			else if ((n = utf8_len(p)) == 0)
				break;
		if (p > run)
			st = am_buf_append(b, run, (size_t)(p - run));
		if (*p == '\0' || st != AM_OK)
			break;
		if (*p == '\\' || *p == '\t' || *p == '\n' || *p == '\r')
			st = am_buf_printf(b, "\\%c", *p == '\\' ? '\\' :
			    *p == '\t' ? 't' : *p == '\n' ? 'n' : 'r');
		else
			st = am_buf_putc(b, *p < 0x20 ? (char)*p : '?');
		p++;
	}
	return st;
}

/* copy_line - one row as a COPY text line. */
static enum am_status
copy_line(struct am_buf *b, const struct am_report_flat *f)
{
	enum am_status st;
	int i;

	st = am_buf_printf(b, "%" PRId64, f->time);
	for (i = 0; i < AM_RT_N && st == AM_OK; i++)
		if ((st = am_buf_putc(b, '\t')) == AM_OK)
			st = put_text(b, f->text[i]);
	for (i = 0; i < AM_RN_N && st == AM_OK; i++)
		st = am_buf_printf(b, "\t%" PRId64, f->num[i]);
	if (st == AM_OK)
		st = am_buf_putc(b, '\n');
	return st;
}

/* copy_sql - "COPY rows (time, ...) FROM STDIN" (owned). */
static char *
copy_sql(void)
{
	struct am_buf sql;
	int i;

	am_buf_init(&sql, 4096);
	(void)am_buf_puts(&sql, "COPY rows (time");
	for (i = 0; i < AM_RT_N; i++)
		(void)am_buf_printf(&sql, ", %s", text_col[i]);
	for (i = 0; i < AM_RN_N; i++)
		(void)am_buf_printf(&sql, ", %s", num_col[i].name);
	(void)am_buf_puts(&sql, ") FROM STDIN");
	return am_buf_export(&sql);
}

/* copy_end - finish a COPY (abandoned with reason unless is_ok) and read
 * every result, so the connection is idle again. */
static enum am_status
copy_end(PGconn *c, const char *reason, struct am_why *why)
{
	enum am_status st = AM_OK;
	PGresult *r;

	if (PQputCopyEnd(c, reason) != 1)
		st = res_why(c, NULL, "copy end", why);
	while ((r = PQgetResult(c)) != NULL) {
		if (st == AM_OK && !is_ok(r, false))
			st = res_why(c, r, "copy", why);
		PQclear(r);
	}
	return st;
}

/* batch_add - BEGIN, and record b in batches; *is_new is false (and the
 * transaction rolled back) when it was there already. */
static enum am_status
batch_add(struct pg_store *s, const struct am_report_batch *b,
    bool *is_new, struct am_why *why)
{
	char t[INT_TEXT];
	const char *param[2] = { b->id, t };
	enum am_status st = AM_OK;
	PGresult *r;

	if ((st = exec(s->conn, "BEGIN", "begin", why)) != AM_OK)
		return st;
	snprintf(t, sizeof(t), "%" PRId64, b->time);
	if ((r = query(s->conn, "INSERT INTO batches (id, time) VALUES"
	    " ($1, $2) ON CONFLICT (id) DO NOTHING", 2, param, "batch", &st,
	    why)) == NULL)
		return st;
	*is_new = strcmp(PQcmdTuples(r), "0") != 0;
	PQclear(r);
	return *is_new ? AM_OK : exec(s->conn, "ROLLBACK", "rollback", why);
}

/* pg_write - n rows in one COPY, in one transaction with the batch id. */
static enum am_status
pg_write(void *h, const struct am_report_batch *b,
    struct am_report_flat *const *rows, size_t n, struct am_why *why)
{
	struct pg_store *s = h;
	enum am_status st = AM_OK;
	const char *abandon = NULL;
	struct am_buf line;
	char *sql;
	bool is_too_long = false, is_new = false;
	PGresult *r;
	size_t i;

	/* a stalled server (not a dead one: keepalives catch that) must not
	 * hold the writer forever; only the writer's session gets the limit,
	 * export and expire may take longer */
	if (!s->has_timeout && (st = exec(s->conn, "SET statement_timeout = '"
	    WRITE_TIMEOUT "'", "statement_timeout", why)) != AM_OK)
		return st;
	s->has_timeout = true;
	if ((st = batch_add(s, b, &is_new, why)) != AM_OK || !is_new)
		return st;	/* !is_new: written before, commit unheard */
	sql = copy_sql();
	r = PQexec(s->conn, sql);
	free(sql);
	if (!is_ok(r, true)) {
		st = res_why(s->conn, r, "copy", why);
		PQclear(r);
		return st;
	}
	PQclear(r);
	am_buf_init(&line, LINE_MAX_BYTES);
	for (i = 0; i < n && abandon == NULL; i++) {
		am_buf_reset(&line);
		if ((is_too_long = copy_line(&line, rows[i]) != AM_OK))
			abandon = "row too long";
		else if (PQputCopyData(s->conn, line.data, (int)line.len) != 1)
			abandon = "send failed";
	}
	am_buf_release(&line);
	st = copy_end(s->conn, abandon, why);
	if (is_too_long) {
		am_why_set(why, "copy: a row over %u bytes", LINE_MAX_BYTES);
		return AM_PERMFAIL;
	}
	return st == AM_OK ? exec(s->conn, "COMMIT", "commit", why) : st;
}

/* scan_sql - the grouped SELECT for this database's schema version. */
static char *
scan_sql(const struct pg_store *s, bool has_domain)
{
	struct am_buf sql;
	int i;

	am_buf_init(&sql, 8192);
	(void)am_buf_puts(&sql, "SELECT DISTINCT ON (" KEY_COLS ") time,"
	    " count(*) OVER (PARTITION BY " KEY_COLS ")");
	for (i = 0; i < AM_RT_N; i++)
		(void)am_buf_printf(&sql, ", %s", text_col[i]);
	for (i = 0; i < AM_RN_N; i++)
		(void)am_buf_printf(&sql, ", %s", num_col[i].since <=
		    s->version ? num_col[i].name : num_col[i].def);
	(void)am_buf_puts(&sql, " FROM rows WHERE time >= $1 AND time < $2");
	if (has_domain)
		(void)am_buf_puts(&sql, " AND policy_domain = $3");
	(void)am_buf_puts(&sql, " ORDER BY " KEY_COLS ", time DESC, id DESC");
	return am_buf_export(&sql);
}

/* pg_scan - one callback per group of equal rows in [begin, end). */
static enum am_status
pg_scan(void *h, int64_t begin, int64_t end, const char *domain,
    am_report_scan_fn *fn, void *arg, struct am_why *why)
{
	struct pg_store *s = h;
	char b[INT_TEXT], e[INT_TEXT];
	const char *param[3] = { b, e, domain };
	enum am_status st = AM_OK;
	struct am_report_flat f;
	char *sql = scan_sql(s, domain != NULL);
	PGresult *r;
	int row, i, n;

	snprintf(b, sizeof(b), "%" PRId64, begin);
	snprintf(e, sizeof(e), "%" PRId64, end);
	r = query(s->conn, sql, domain != NULL ? 3 : 2, param, "scan", &st,
	    why);
	free(sql);
	if (r == NULL)
		return st;
	for (row = 0, n = PQntuples(r); row < n; row++) {
		f.time = i64(r, row, 0);
		for (i = 0; i < AM_RT_N; i++)
			f.text[i] = PQgetvalue(r, row, 2 + i);
		for (i = 0; i < AM_RN_N; i++)
			f.num[i] = i64(r, row, 2 + AM_RT_N + i);
		fn(arg, &f, (uint64_t)i64(r, row, 1));
	}
	PQclear(r);
	return AM_OK;
}

/* pg_expire - delete rows and batch ids older than before. */
static enum am_status
pg_expire(void *h, int64_t before, uint64_t *deleted, struct am_why *why)
{
	struct pg_store *s = h;
	char b[INT_TEXT];
	const char *param[1] = { b };
	enum am_status st = AM_OK;
	PGresult *r;

	*deleted = 0;
	snprintf(b, sizeof(b), "%" PRId64, before);
	if ((r = query(s->conn, "DELETE FROM rows WHERE time < $1", 1, param,
	    "expire", &st, why)) == NULL)
		return st;
	*deleted = strtoull(PQcmdTuples(r), NULL, 10);
	PQclear(r);
	if ((r = query(s->conn, "DELETE FROM batches WHERE time < $1", 1,
	    param, "expire", &st, why)) == NULL)
		return st;
	PQclear(r);
	return AM_OK;
}

/* sent_row - row 0 of a (state, attempts, next_try, period_end,
 * claim_owner, claim_until) result into out (error not kept). */
static void
sent_row(const PGresult *r, struct am_report_sent *out)
{
	out->state = (enum am_report_sent_state)i64(r, 0, 0);
	out->attempts = i64(r, 0, 1);
	out->next_try = i64(r, 0, 2);
	out->period_end = i64(r, 0, 3);
	snprintf(out->claim_owner, sizeof(out->claim_owner), "%s",
	    PQgetvalue(r, 0, 4));
	out->claim_until = i64(r, 0, 5);
}

/* pg_sent_get - the send state of (domain, begin, addr); zero if none. */
static enum am_status
pg_sent_get(void *h, const char *domain, int64_t begin, const char *addr,
    struct am_report_sent *out, struct am_why *why)
{
	struct pg_store *s = h;
	char b[INT_TEXT];
	const char *param[3] = { domain, b, addr };
	enum am_status st = AM_OK;
	PGresult *r;

	memset(out, 0, sizeof(*out));
	out->error = "";
	if (s->version < 3)
		return AM_OK;	/* read-only older database: nothing sent */
	snprintf(b, sizeof(b), "%" PRId64, begin);
	if ((r = query(s->conn, s->version < 4 ?
	    "SELECT state, attempts, next_try, period_end, '', 0 FROM sent"
	    " WHERE domain = $1 AND begin = $2 AND addr = $3" :
	    "SELECT state, attempts, next_try, period_end, claim_owner,"
	    " claim_until FROM sent WHERE domain = $1 AND begin = $2 AND"
	    " addr = $3", 3, param, "read sent", &st, why)) == NULL)
		return st;
	if (PQntuples(r) == 1)
		sent_row(r, out);
	PQclear(r);
	return AM_OK;
}

/* pg_sent_claim - claim (domain, begin, addr) in one atomic upsert. */
static enum am_status
pg_sent_claim(void *h, const char *domain, int64_t begin, const char *addr,
    const struct am_report_claim *c, struct am_report_sent *out,
    bool *is_claimed, struct am_why *why)
{
	struct pg_store *s = h;
	char b[INT_TEXT], pe[INT_TEXT], until[INT_TEXT], now[INT_TEXT];
	const char *param[7] = { domain, b, addr, pe, c->owner, until, now };
	enum am_status st = AM_OK;
	PGresult *r;

	*is_claimed = false;
	snprintf(b, sizeof(b), "%" PRId64, begin);
	snprintf(pe, sizeof(pe), "%" PRId64, c->period_end);
	snprintf(until, sizeof(until), "%" PRId64, c->until);
	snprintf(now, sizeof(now), "%" PRId64, c->now);
	if ((r = query(s->conn, "INSERT INTO sent (domain, begin, addr,"
	    " period_end, state, attempts, next_try, error, claim_owner,"
	    " claim_until) VALUES ($1, $2, $3, $4, 0, 0, 0, '', $5, $6)"
	    " ON CONFLICT (domain, begin, addr) DO UPDATE SET"
	    " claim_owner = excluded.claim_owner,"
	    " claim_until = excluded.claim_until"
	    " WHERE sent.state = 0 AND sent.next_try <= $7 AND"
	    " (sent.claim_until <= $7 OR sent.claim_owner = $5)"
	    " RETURNING state, attempts, next_try, period_end, claim_owner,"
	    " claim_until", 7, param, "claim", &st, why)) == NULL)
		return st;
	memset(out, 0, sizeof(*out));
	out->error = "";
	if ((*is_claimed = PQntuples(r) == 1))
		sent_row(r, out);
	PQclear(r);
	if (*is_claimed)
		return AM_OK;
	return pg_sent_get(h, domain, begin, addr, out, why);
}

/* pg_sent_put - record the send state and release owner's claim in one
 * statement (transaction); AM_TEMPFAIL when the claim was lost. */
static enum am_status
pg_sent_put(void *h, const char *domain, int64_t begin, const char *addr,
    const struct am_report_sent *sent, const char *owner, struct am_why *why)
{
	struct pg_store *s = h;
	char b[INT_TEXT], pe[INT_TEXT], state[INT_TEXT], att[INT_TEXT];
	char next[INT_TEXT];
	const char *param[9] = { domain, b, addr, pe, state, att, next,
	    sent->error != NULL ? sent->error : "", owner };
	enum am_status st = AM_OK;
	PGresult *r;
	bool is_done;

	snprintf(b, sizeof(b), "%" PRId64, begin);
	snprintf(pe, sizeof(pe), "%" PRId64, sent->period_end);
	snprintf(state, sizeof(state), "%d", (int)sent->state);
	snprintf(att, sizeof(att), "%" PRId64, sent->attempts);
	snprintf(next, sizeof(next), "%" PRId64, sent->next_try);
	if ((r = query(s->conn, "UPDATE sent SET period_end = $4,"
	    " state = $5, attempts = $6, next_try = $7, error = $8,"
	    " claim_owner = '', claim_until = 0 WHERE domain = $1 AND"
	    " begin = $2 AND addr = $3 AND claim_owner = $9", 9, param,
	    "record sent", &st, why)) == NULL)
		return st;
	is_done = strcmp(PQcmdTuples(r), "1") == 0;
	PQclear(r);
	if (!is_done) {
		am_why_set(why, "record sent %s %" PRId64 " %s: claim lost (its"
		    " lease ended and another run took it over)", domain,
		    begin, addr);
		return AM_TEMPFAIL;
	}
	return AM_OK;
}

/* am_report_pg_why - res_why for report_pg_agg.c. */
enum am_status
am_report_pg_why(PGconn *c, const PGresult *r, const char *what,
    struct am_why *why)
{
	return res_why(c, r, what, why);
}

/* am_report_pg_exec - exec for report_pg_agg.c. */
enum am_status
am_report_pg_exec(PGconn *c, const char *sql, const char *what,
    struct am_why *why)
{
	return exec(c, sql, what, why);
}

/* am_report_pg_query - query for report_pg_agg.c. */
PGresult *
am_report_pg_query(PGconn *c, const char *sql, int n,
    const char *const *param, const char *what, enum am_status *st,
    struct am_why *why)
{
	return query(c, sql, n, param, what, st, why);
}

/* am_report_pg_copy_text - put_text for report_pg_agg.c. */
enum am_status
am_report_pg_copy_text(struct am_buf *b, const char *s)
{
	return put_text(b, s);
}

/* am_report_pg_copy_end - copy_end for report_pg_agg.c. */
enum am_status
am_report_pg_copy_end(PGconn *c, const char *reason, struct am_why *why)
{
	return copy_end(c, reason, why);
}

/* am_report_pg_clean - s with bytes outside well-formed UTF-8 as '?'. */
enum am_status
am_report_pg_clean(struct am_buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	enum am_status st = AM_OK;
	size_t n;

	for (; *p != '\0' && st == AM_OK; p += n) {
		n = *p < 0x80 ? 1 : utf8_len(p);
		st = n == 0 ? am_buf_putc(b, '?') : am_buf_append(b, p, n);
		n = n == 0 ? 1 : n;
	}
	return st;
}

const struct am_report_backend am_report_pg = {
	.name = "postgresql",
	.accepts = am_report_pg_accepts,
	.display = am_report_pg_display,
	.open = pg_open,
	.write = pg_write,
	.scan = pg_scan,
	.expire = pg_expire,
	.sent_get = pg_sent_get,
	.sent_claim = pg_sent_claim,
	.sent_put = pg_sent_put,
	.agg_put = am_report_pg_agg_put,
	.agg_scan = am_report_pg_agg_scan,
	.agg_expire = am_report_pg_agg_expire,
	.close = pg_close,
};
