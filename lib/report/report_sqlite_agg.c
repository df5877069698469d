/*
 * report_sqlite_agg.c - received aggregate reports in the SQLite store
 * (the agg_* operations of report_backend.h; tables from migration step 5
 * in report_sqlite.c).
 *
 * A report is one transaction: the report row by INSERT ... ON CONFLICT DO
 * NOTHING RETURNING id (no row back: the (org_name, report_id) key is
 * there, a duplicate), then its records through one prepared INSERT. The
 * UNIQUE constraint, not a prior SELECT, decides, so two ingests of one
 * report at once store it once. Foreign keys are not enforced by SQLite
 * without a pragma: expire deletes the records first, explicitly.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "core/buf.h"
#include "report/report_backend.h"
#include "report/report_sqlite_impl.h"

/* insert_sql - "INSERT INTO table (cols..., extra) VALUES (?, ...)" with n
 * text columns and k more named in extra (owned). */
static char *
insert_sql(const char *table, const char *const *col, int n,
    const char *extra, int k, const char *tail)
{
	struct am_buf sql;
	int i;

	am_buf_init(&sql, 4096);
	(void)am_buf_printf(&sql, "INSERT INTO %s (", table);
	for (i = 0; i < n; i++)
		(void)am_buf_printf(&sql, "%s, ", col[i]);
	(void)am_buf_printf(&sql, "%s) VALUES (", extra);
	for (i = 0; i < n + k; i++)
		(void)am_buf_puts(&sql, i == 0 ? "?" : ", ?");
	(void)am_buf_printf(&sql, ")%s", tail);
	return am_buf_export(&sql);
}

/* put_report - the report row; *id of the new row, 0 for a duplicate. */
static enum am_status
put_report(sqlite3 *db, const struct am_agg_flat_report *r, int64_t *id,
    struct am_why *why)
{
	char *sql = insert_sql("agg_reports", am_report_agg_rcol, AM_AR_N,
	    "period_begin, period_end, ingested", 3,
	    " ON CONFLICT (org_name, report_id) DO NOTHING RETURNING id");
	sqlite3_stmt *st;
	int i, rc;

	*id = 0;
	rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	free(sql);
	if (rc != SQLITE_OK)
		return am_report_sqlite_why(db, "prepare agg report", why);
	for (i = 0; i < AM_AR_N; i++)
		sqlite3_bind_text(st, i + 1, r->text[i], -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, AM_AR_N + 1, r->begin);
	sqlite3_bind_int64(st, AM_AR_N + 2, r->end);
	sqlite3_bind_int64(st, AM_AR_N + 3, r->ingested);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		rc = sqlite3_step(st);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return am_report_sqlite_why(db, "insert agg report", why);
	return AM_OK;
}

/* put_records - the n records of report id. */
static enum am_status
put_records(sqlite3 *db, int64_t id, size_t n, am_report_agg_rec_fn *fn,
    void *arg, struct am_why *why)
{
	char *sql = insert_sql("agg_records", am_report_agg_ccol, AM_AC_N,
	    "report, count", 2, "");
	struct am_agg_flat_record f;
	sqlite3_stmt *st;
	size_t i;
	int k, rc = SQLITE_DONE;

	k = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	free(sql);
	if (k != SQLITE_OK)
		return am_report_sqlite_why(db, "prepare agg record", why);
	for (i = 0; i < n && rc == SQLITE_DONE; i++) {
		fn(arg, i, &f);
		sqlite3_reset(st);
		for (k = 0; k < AM_AC_N; k++)
			sqlite3_bind_text(st, k + 1, f.text[k], -1,
			    SQLITE_STATIC);
		sqlite3_bind_int64(st, AM_AC_N + 1, id);
		sqlite3_bind_int64(st, AM_AC_N + 2, f.count);
		rc = sqlite3_step(st);
	}
	if (rc != SQLITE_DONE)
		(void)am_report_sqlite_why(db, "insert agg record", why);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? AM_OK : AM_TEMPFAIL;
}

/* am_report_sqlite_agg_put - a report and its records, or a duplicate. */
enum am_status
am_report_sqlite_agg_put(void *h, const struct am_agg_flat_report *r,
    size_t n, am_report_agg_rec_fn *fn, void *arg, bool *is_dup,
    struct am_why *why)
{
	struct sqlite_store *s = h;
	enum am_status st;
	int64_t id;

	*is_dup = false;
	if ((st = am_report_sqlite_exec(s->db, "BEGIN IMMEDIATE", "begin",
	    why)) != AM_OK)
		return st;
	if ((st = put_report(s->db, r, &id, why)) == AM_OK && id != 0)
		st = put_records(s->db, id, n, fn, arg, why);
	if (st == AM_OK)
		st = am_report_sqlite_exec(s->db, "COMMIT", "commit", why);
	if (st != AM_OK)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
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
	    " c.report = r.id WHERE (r.period_begin + r.period_end) / 2 >= ?1"
	    " AND (r.period_begin + r.period_end) / 2 < ?2");
	if (has_domain)
		(void)am_buf_puts(&sql, " AND r.domain = ?3");
	(void)am_buf_puts(&sql, " ORDER BY r.id, c.id");
	return am_buf_export(&sql);
}

/* text - column i as a string, never NULL. */
static const char *
text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t != NULL ? (const char *)t : "";
}

/* am_report_sqlite_agg_scan - fn per record of the reports in a period. */
enum am_status
am_report_sqlite_agg_scan(void *h, int64_t begin, int64_t end,
    const char *domain, am_report_agg_scan_fn *fn, void *arg,
    struct am_why *why)
{
	struct sqlite_store *s = h;
	struct am_agg_flat_report r;
	struct am_agg_flat_record c;
	sqlite3_stmt *st;
	char *sql;
	int i, rc;

	if (s->version < 5)
		return AM_OK;	/* read-only older file: none received */
	sql = scan_sql(domain != NULL);
	rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	free(sql);
	if (rc != SQLITE_OK)
		return am_report_sqlite_why(s->db, "prepare agg scan", why);
	sqlite3_bind_int64(st, 1, begin);
	sqlite3_bind_int64(st, 2, end);
	if (domain != NULL)
		sqlite3_bind_text(st, 3, domain, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		r.begin = sqlite3_column_int64(st, 0);
		r.end = sqlite3_column_int64(st, 1);
		r.ingested = sqlite3_column_int64(st, 2);
		c.count = sqlite3_column_int64(st, 3);
		for (i = 0; i < AM_AR_N; i++)
			r.text[i] = text(st, 4 + i);
		for (i = 0; i < AM_AC_N; i++)
			c.text[i] = text(st, 4 + AM_AR_N + i);
		fn(arg, &r, &c);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return am_report_sqlite_why(s->db, "agg scan", why);
	return AM_OK;
}

/* am_report_sqlite_agg_expire - reports that ended before before. */
enum am_status
am_report_sqlite_agg_expire(void *h, int64_t before, uint64_t *deleted,
    struct am_why *why)
{
	struct sqlite_store *s = h;
	enum am_status st;
	char sql[256];

	*deleted = 0;
	snprintf(sql, sizeof(sql), "DELETE FROM agg_records WHERE report IN"
	    " (SELECT id FROM agg_reports WHERE period_end < %lld);"
	    " DELETE FROM agg_reports WHERE period_end < %lld",
	    (long long)before, (long long)before);
	if ((st = am_report_sqlite_exec(s->db, "BEGIN IMMEDIATE", "begin",
	    why)) != AM_OK)
		return st;
	if ((st = am_report_sqlite_exec(s->db, sql, "agg expire",
	    why)) == AM_OK) {
		*deleted = (uint64_t)sqlite3_changes(s->db);
		st = am_report_sqlite_exec(s->db, "COMMIT", "commit", why);
	}
	if (st != AM_OK) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		*deleted = 0;
	}
	return st;
}
