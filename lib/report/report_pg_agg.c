/*
 * report_pg_agg.c - received aggregate reports in the PostgreSQL store
 * (the agg_* operations of report_backend.h; tables from migration step 5
 * in report_pg.c).
 *
 * A report is one transaction: the report row by INSERT ... ON CONFLICT DO
 * NOTHING RETURNING id (no row back: a duplicate; the UNIQUE constraint
 * decides, so concurrent ingests of one report store it once), then its
 * records in one COPY. Text goes in as well-formed UTF-8 (report strings
 * come from libxml2 and are; a file name need not be). Records go with
 * their report (ON DELETE CASCADE).
 */
#include "autoconf.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "core/buf.h"
#include "report/report_backend.h"
#include "report/report_pg_impl.h"
#include "report/report_store.h"

#define LINE_MAX_BYTES	(4u << 20)	/* one COPY line */

/* report_sql - the INSERT of a report row with its parameters. */
static char *
report_sql(void)
{
	struct am_buf sql;
	int i;

	am_buf_init(&sql, 4096);
	(void)am_buf_puts(&sql, "INSERT INTO agg_reports (");
	for (i = 0; i < AM_AR_N; i++)
		(void)am_buf_printf(&sql, "%s, ", am_report_agg_rcol[i]);
	(void)am_buf_puts(&sql, "period_begin, period_end, ingested) VALUES (");
	for (i = 0; i < AM_AR_N + 3; i++)
		(void)am_buf_printf(&sql, "%s$%d", i == 0 ? "" : ", ", i + 1);
	(void)am_buf_puts(&sql, ") ON CONFLICT (org_name, report_id) DO"
	    " NOTHING RETURNING id");
	return am_buf_export(&sql);
}

/* put_report - the report row; *id of the new row, 0 for a duplicate. */
static enum am_status
put_report(PGconn *c, const struct am_agg_flat_report *r, int64_t *id,
    struct am_why *why)
{
	struct am_buf clean[AM_AR_N];
	const char *param[AM_AR_N + 3];
	char num[3][INT_TEXT];
	enum am_status st = AM_OK;
	char *sql = report_sql();
	PGresult *res;
	int i;

	*id = 0;
	for (i = 0; i < AM_AR_N; i++) {
		am_buf_init(&clean[i], 4 * AM_REPORT_STR_MAX);
		(void)am_report_pg_clean(&clean[i], r->text[i]);
		param[i] = am_buf_str(&clean[i]);
	}
	snprintf(num[0], sizeof(num[0]), "%" PRId64, r->begin);
	snprintf(num[1], sizeof(num[1]), "%" PRId64, r->end);
	snprintf(num[2], sizeof(num[2]), "%" PRId64, r->ingested);
	for (i = 0; i < 3; i++)
		param[AM_AR_N + i] = num[i];
	res = am_report_pg_query(c, sql, AM_AR_N + 3, param,
	    "insert agg report", &st, why);
	free(sql);
	for (i = 0; i < AM_AR_N; i++)
		am_buf_release(&clean[i]);
	if (res == NULL)
		return st;
	if (PQntuples(res) == 1)
		*id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return AM_OK;
}

/* copy_line - one record as a COPY text line. */
static enum am_status
copy_line(struct am_buf *b, int64_t id, const struct am_agg_flat_record *f)
{
	enum am_status st;
	int i;

	st = am_buf_printf(b, "%" PRId64 "\t%" PRId64, id, f->count);
	for (i = 0; i < AM_AC_N && st == AM_OK; i++)
		if ((st = am_buf_putc(b, '\t')) == AM_OK)
			st = am_report_pg_copy_text(b, f->text[i]);
	if (st == AM_OK)
		st = am_buf_putc(b, '\n');
	return st;
}

/* copy_sql - "COPY agg_records (report, count, ...) FROM STDIN". */
static char *
copy_sql(void)
{
	struct am_buf sql;
	int i;

	am_buf_init(&sql, 4096);
	(void)am_buf_puts(&sql, "COPY agg_records (report, count");
	for (i = 0; i < AM_AC_N; i++)
		(void)am_buf_printf(&sql, ", %s", am_report_agg_ccol[i]);
	(void)am_buf_puts(&sql, ") FROM STDIN");
	return am_buf_export(&sql);
}

/* put_records - the n records of report id in one COPY. */
static enum am_status
put_records(PGconn *c, int64_t id, size_t n, am_report_agg_rec_fn *fn,
    void *arg, struct am_why *why)
{
	struct am_agg_flat_record f;
	const char *abandon = NULL;
	struct am_buf line;
	enum am_status st;
	char *sql = copy_sql();
	PGresult *r = PQexec(c, sql);
	size_t i;

	free(sql);
	if (PQresultStatus(r) != PGRES_COPY_IN) {
		st = am_report_pg_why(c, r, "copy agg records", why);
		PQclear(r);
		return st;
	}
	PQclear(r);
	am_buf_init(&line, LINE_MAX_BYTES);
	for (i = 0; i < n && abandon == NULL; i++) {
		fn(arg, i, &f);
		am_buf_reset(&line);
		if (copy_line(&line, id, &f) != AM_OK)
			abandon = "record too long";
		else if (PQputCopyData(c, line.data, (int)line.len) != 1)
			abandon = "send failed";
	}
	am_buf_release(&line);
	st = am_report_pg_copy_end(c, abandon, why);
	if (abandon != NULL && st == AM_OK) {
		am_why_set(why, "copy agg records: %s", abandon);
		st = AM_TEMPFAIL;
	}
	return st;
}

/* am_report_pg_agg_put - a report and its records, or a duplicate. */
enum am_status
am_report_pg_agg_put(void *h, const struct am_agg_flat_report *r, size_t n,
    am_report_agg_rec_fn *fn, void *arg, bool *is_dup, struct am_why *why)
{
	struct pg_store *s = h;
	enum am_status st;
	int64_t id = 0;

	*is_dup = false;
	if ((st = am_report_pg_exec(s->conn, "BEGIN", "begin", why)) != AM_OK)
		return st;
	if ((st = put_report(s->conn, r, &id, why)) == AM_OK && id != 0)
		st = put_records(s->conn, id, n, fn, arg, why);
	if (st == AM_OK)
		st = am_report_pg_exec(s->conn, "COMMIT", "commit", why);
	if (st != AM_OK)
		PQclear(PQexec(s->conn, "ROLLBACK"));
	*is_dup = st == AM_OK && id == 0;
	return st;
}

/* scan_sql - report and record columns of the reports in a period. */
static char *
scan_sql(bool has_domain)
{
	struct am_buf sql;
	int i;

	am_buf_init(&sql, 4096);
	(void)am_buf_puts(&sql, "SELECT r.period_begin, r.period_end,"
	    " r.ingested, c.count");
	for (i = 0; i < AM_AR_N; i++)
		(void)am_buf_printf(&sql, ", r.%s", am_report_agg_rcol[i]);
	for (i = 0; i < AM_AC_N; i++)
		(void)am_buf_printf(&sql, ", c.%s", am_report_agg_ccol[i]);
	(void)am_buf_puts(&sql, " FROM agg_reports r JOIN agg_records c ON"
	    " c.report = r.id WHERE (r.period_begin + r.period_end) / 2 >= $1"
	    " AND (r.period_begin + r.period_end) / 2 < $2");
	if (has_domain)
		(void)am_buf_puts(&sql, " AND r.domain = $3");
	(void)am_buf_puts(&sql, " ORDER BY r.id, c.id");
	return am_buf_export(&sql);
}

/* am_report_pg_agg_scan - fn per record of the reports in a period. */
enum am_status
am_report_pg_agg_scan(void *h, int64_t begin, int64_t end,
    const char *domain, am_report_agg_scan_fn *fn, void *arg,
    struct am_why *why)
{
	struct pg_store *s = h;
	char b[INT_TEXT], e[INT_TEXT];
	const char *param[3] = { b, e, domain };
	struct am_agg_flat_report r;
	struct am_agg_flat_record c;
	enum am_status st = AM_OK;
	PGresult *res;
	char *sql;
	int row, n, i;

	if (s->version < 5)
		return AM_OK;	/* read-only older database: none received */
	/* XXX: the whole result is held by libpq before the first callback
	 * (a month of a large domain: tens of MB); single-row mode
	 * (PQsetSingleRowMode) would stream it. */
	snprintf(b, sizeof(b), "%" PRId64, begin);
	snprintf(e, sizeof(e), "%" PRId64, end);
	sql = scan_sql(domain != NULL);
	res = am_report_pg_query(s->conn, sql, domain != NULL ? 3 : 2, param,
	    "agg scan", &st, why);
	free(sql);
	if (res == NULL)
		return st;
	for (row = 0, n = PQntuples(res); row < n; row++) {
		r.begin = strtoll(PQgetvalue(res, row, 0), NULL, 10);
		r.end = strtoll(PQgetvalue(res, row, 1), NULL, 10);
		r.ingested = strtoll(PQgetvalue(res, row, 2), NULL, 10);
		c.count = strtoll(PQgetvalue(res, row, 3), NULL, 10);
		for (i = 0; i < AM_AR_N; i++)
			r.text[i] = PQgetvalue(res, row, 4 + i);
		for (i = 0; i < AM_AC_N; i++)
			c.text[i] = PQgetvalue(res, row, 4 + AM_AR_N + i);
		fn(arg, &r, &c);
	}
	PQclear(res);
	return AM_OK;
}

/* am_report_pg_agg_expire - reports that ended before before. */
enum am_status
am_report_pg_agg_expire(void *h, int64_t before, uint64_t *deleted,
    struct am_why *why)
{
	struct pg_store *s = h;
	char b[INT_TEXT];
	const char *param[1] = { b };
	enum am_status st = AM_OK;
	PGresult *r;

	*deleted = 0;
	snprintf(b, sizeof(b), "%" PRId64, before);
	if ((r = am_report_pg_query(s->conn, "DELETE FROM agg_reports WHERE"
	    " period_end < $1", 1, param, "agg expire", &st, why)) == NULL)
		return st;
	*deleted = strtoull(PQcmdTuples(r), NULL, 10);
	PQclear(r);
	return AM_OK;
}
