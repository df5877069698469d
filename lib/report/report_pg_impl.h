/*
 * NAME        report_pg_impl - what the files of the PostgreSQL backend
 *             share (report_pg.c: rows, sent, the schema; report_pg_agg.c:
 *             received aggregate reports)
 * DESCRIPTION struct pg_store is the backend handle (report_backend.h).
 *             am_report_pg_why() sets why from a failed result (or the
 *             connection when r is NULL): AM_PERMFAIL for data errors
 *             (SQLSTATE 22, 23), else AM_TEMPFAIL. am_report_pg_exec() runs
 *             SQL discarding results; am_report_pg_query() runs SQL with n
 *             text parameters and returns the result (PQclear) or NULL with
 *             *st and why. am_report_pg_copy_text() appends s as one COPY
 *             text field; am_report_pg_copy_end() ends a COPY (abandoned
 *             with reason unless NULL) and reads its results.
 *             am_report_pg_clean() appends s with every byte outside
 *             well-formed UTF-8 as '?' (PostgreSQL refuses them). The
 *             am_report_pg_agg_* functions are the agg_* operations of
 *             struct am_report_backend. am_report_pg_accepts() and
 *             am_report_pg_display() are its accepts and display
 *             (report_pg_conninfo.c).
 * THREADS     a handle is used by one thread at a time.
 */
#ifndef AM_REPORT_PG_IMPL_H
#define AM_REPORT_PG_IMPL_H

#include <stdbool.h>

#include <libpq-fe.h>

#include "core/buf.h"
#include "report/report_backend.h"

#define SCHEMA_VERSION	6
#define INT_TEXT	24		/* an int64 as text, with NUL */

struct pg_store {
	PGconn *conn;		/* owned */
	int version;		/* schema version of the database */
	bool has_timeout;	/* the writer's statement_timeout is set */
};

enum am_status am_report_pg_why(PGconn *c, const PGresult *r,
    const char *what, struct am_why *why);
enum am_status am_report_pg_exec(PGconn *c, const char *sql,
    const char *what, struct am_why *why);
PGresult *am_report_pg_query(PGconn *c, const char *sql, int n,
    const char *const *param, const char *what, enum am_status *st,
    struct am_why *why);
enum am_status am_report_pg_copy_text(struct am_buf *b, const char *s);
enum am_status am_report_pg_copy_end(PGconn *c, const char *reason,
    struct am_why *why);
enum am_status am_report_pg_clean(struct am_buf *b, const char *s);

enum am_status am_report_pg_agg_put(void *h,
    const struct am_agg_flat_report *r, size_t n, am_report_agg_rec_fn *rec,
    void *arg, bool *is_dup, struct am_why *why);
enum am_status am_report_pg_agg_scan(void *h, int64_t begin, int64_t end,
    const char *domain, am_report_agg_scan_fn *fn, void *arg,
    struct am_why *why);
enum am_status am_report_pg_agg_expire(void *h, int64_t before,
    uint64_t *deleted, struct am_why *why);

bool am_report_pg_accepts(const char *path);
void am_report_pg_display(const char *path, struct am_buf *out);

#endif
