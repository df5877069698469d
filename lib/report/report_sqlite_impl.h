/*
 * NAME        report_sqlite_impl - what the files of the SQLite backend
 *             share (report_sqlite.c: rows, sent, the schema;
 *             report_sqlite_agg.c: received aggregate reports)
 * DESCRIPTION struct sqlite_store is the backend handle (report_backend.h).
 *             am_report_sqlite_why() sets why from SQLite's last error on
 *             db: AM_PERMFAIL for a corrupt or foreign file, else
 *             AM_TEMPFAIL. am_report_sqlite_exec() runs SQL that returns
 *             no rows. The am_report_sqlite_agg_* functions are the agg_*
 *             operations of struct am_report_backend.
 * THREADS     a handle is used by one thread at a time.
 */
#ifndef AM_REPORT_SQLITE_IMPL_H
#define AM_REPORT_SQLITE_IMPL_H

#include <sqlite3.h>

#include "report/report_backend.h"

#define SCHEMA_VERSION	6

struct sqlite_store {
	sqlite3 *db;		/* owned */
	sqlite3_stmt *insert;	/* owned; prepared at first write */
	int version;		/* schema version of the file */
};

enum am_status am_report_sqlite_why(sqlite3 *db, const char *what,
    struct am_why *why);
enum am_status am_report_sqlite_exec(sqlite3 *db, const char *sql,
    const char *what, struct am_why *why);

enum am_status am_report_sqlite_agg_put(void *h,
    const struct am_agg_flat_report *r, size_t n, am_report_agg_rec_fn *rec,
    void *arg, bool *is_dup, struct am_why *why);
enum am_status am_report_sqlite_agg_scan(void *h, int64_t begin,
    int64_t end, const char *domain, am_report_agg_scan_fn *fn, void *arg,
    struct am_why *why);
enum am_status am_report_sqlite_agg_expire(void *h, int64_t before,
    uint64_t *deleted, struct am_why *why);

#endif
