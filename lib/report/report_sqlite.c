/*
 * report_sqlite.c - the SQLite backend of the report store (interface in
 * report_backend.h).
 *
 * One table of flat rows, WAL journal, synchronous=NORMAL: a committed
 * transaction survives the process being killed (the WAL is in the page
 * cache); only a power loss can take the last ones. The schema is
 * versioned in table schema_version and upgraded in one transaction by the
 * migration steps below, never edited in place: a new column is a new step.
 * Grouping for export uses SQLite's bare-column rule: with one max()
 * aggregate, the other non-grouped columns come from the row holding the
 * maximum, i.e. the latest row's policy.
 */
#include "autoconf.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "core/buf.h"
#include "core/xalloc.h"
#include "report/report_backend.h"
#include "report/report_sqlite_impl.h"

#define BUSY_TIMEOUT_MS	5000

static const char *const text_col[AM_RT_N] = {
	"source_ip", "header_from", "envelope_from", "envelope_to",
	"policy_domain", "reasons", "dkim", "spf", "fo", "rua",
};

static const struct {
	const char *name;	/* column */
	int since;		/* schema version that added it */
	const char *def;	/* value for older files, as SQL */
} num_col[AM_RN_N] = {
	{ "disposition", 1, "0" }, { "dkim_pass", 1, "0" },
	{ "spf_pass", 1, "0" }, { "p", 1, "0" }, { "sp", 1, "0" },
	{ "pct", 1, "100" }, { "adkim_strict", 1, "0" },
	{ "aspf_strict", 1, "0" }, { "np", 2, "-1" }, { "testing", 2, "0" },
};

/* migration[v] upgrades a file from schema version v to v + 1. */
static const char *const migration[SCHEMA_VERSION] = {
	"CREATE TABLE rows (id INTEGER PRIMARY KEY, time INTEGER NOT NULL,"
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
	"CREATE TABLE sent (domain TEXT NOT NULL, begin INTEGER NOT NULL,"
	" addr TEXT NOT NULL, period_end INTEGER NOT NULL,"
	" state INTEGER NOT NULL, attempts INTEGER NOT NULL,"
	" next_try INTEGER NOT NULL, error TEXT NOT NULL,"
	" PRIMARY KEY (domain, begin, addr));",
	/* 3 -> 4: the claim of a report send run (report_backend.h) */
	"ALTER TABLE sent ADD COLUMN claim_owner TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE sent ADD COLUMN claim_until INTEGER NOT NULL DEFAULT 0;",
	/* 4 -> 5: received aggregate reports (report_sqlite_agg.c) */
	"CREATE TABLE agg_reports (id INTEGER PRIMARY KEY, "
	AM_AGG_REPORT_TEXT_SQL ", period_begin INTEGER NOT NULL,"
	" period_end INTEGER NOT NULL, ingested INTEGER NOT NULL,"
	" UNIQUE (org_name, report_id));"
	"CREATE INDEX agg_reports_domain ON agg_reports(domain, period_begin);"
	"CREATE INDEX agg_reports_begin ON agg_reports(period_begin);"
	"CREATE TABLE agg_records (id INTEGER PRIMARY KEY,"
	" report INTEGER NOT NULL REFERENCES agg_reports(id),"
	" count INTEGER NOT NULL, " AM_AGG_RECORD_TEXT_SQL ");"
	"CREATE INDEX agg_records_report ON agg_records(report);",
	/* 5 -> 6: the ids of the batches written (report_backend.h) */
	"CREATE TABLE batches (id TEXT PRIMARY KEY, time INTEGER NOT NULL);"
	"CREATE INDEX batches_time ON batches(time);",
};

/* db_why - the reason from SQLite's last error on db. */
static enum am_status
db_why(sqlite3 *db, const char *what, struct am_why *why)
{
	int rc = sqlite3_extended_errcode(db);

	am_why_set(why, "%s: %s", what, sqlite3_errmsg(db));
	if ((rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB ||
	    (rc & 0xff) == SQLITE_MISMATCH)
		return AM_PERMFAIL;
	return AM_TEMPFAIL;
}

/* exec - run SQL without results. */
static enum am_status
exec(sqlite3 *db, const char *sql, const char *what, struct am_why *why)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_why(db, what, why);
	return AM_OK;
}

/* am_report_sqlite_why - db_why for report_sqlite_agg.c. */
enum am_status
am_report_sqlite_why(sqlite3 *db, const char *what, struct am_why *why)
{
	return db_why(db, what, why);
}

/* am_report_sqlite_exec - exec for report_sqlite_agg.c. */
enum am_status
am_report_sqlite_exec(sqlite3 *db, const char *sql, const char *what,
    struct am_why *why)
{
	return exec(db, sql, what, why);
}

/* read_version - schema version of db; 0 for a new file. */
static enum am_status
read_version(sqlite3 *db, int *version, struct am_why *why)
{
	sqlite3_stmt *st;
	int rc;

	*version = 0;
	rc = sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE"
	    " type = 'table' AND name = 'schema_version'", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return db_why(db, "read schema", why);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return AM_OK;
	if (rc != SQLITE_ROW)
		return db_why(db, "read schema", why);
	if (sqlite3_prepare_v2(db, "SELECT max(version) FROM schema_version",
	    -1, &st, NULL) != SQLITE_OK)
		return db_why(db, "read schema_version", why);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return db_why(db, "read schema_version", why);
	return AM_OK;
}

/* migrate - bring db to SCHEMA_VERSION in one transaction. */
static enum am_status
migrate(struct sqlite_store *s, struct am_why *why)
{
	char sql[128];
	enum am_status st;
	int v;

	if ((st = exec(s->db, "BEGIN IMMEDIATE", "begin", why)) != AM_OK)
		return st;
	if ((st = read_version(s->db, &v, why)) != AM_OK)
		goto fail;
	if (v > SCHEMA_VERSION) {
		am_why_set(why, "schema version %d is newer than this program's"
		    " (%d)", v, SCHEMA_VERSION);
		st = AM_PERMFAIL;
		goto fail;
	}
	st = exec(s->db, "CREATE TABLE IF NOT EXISTS schema_version"
	    " (version INTEGER NOT NULL)", "create schema_version", why);
	for (; st == AM_OK && v < SCHEMA_VERSION; v++)
		st = exec(s->db, migration[v], "migrate", why);
	if (st != AM_OK)
		goto fail;
	snprintf(sql, sizeof(sql), "DELETE FROM schema_version;"
	    " INSERT INTO schema_version VALUES (%d)", v);
	if ((st = exec(s->db, sql, "set schema_version", why)) != AM_OK ||
	    (st = exec(s->db, "COMMIT", "commit", why)) != AM_OK)
		goto fail;
	s->version = v;
	return AM_OK;
fail:
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return st;
}

/* sq_close - release a handle; accepts NULL. */
static void
sq_close(void *h)
{
	struct sqlite_store *s = h;

	if (s == NULL)
		return;
	sqlite3_finalize(s->insert);
	sqlite3_close(s->db);
	free(s);
}

/* sq_setup - pragmas and schema of a freshly opened handle. */
static enum am_status
sq_setup(struct sqlite_store *s, bool is_readonly, struct am_why *why)
{
	enum am_status st;

	sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
	sqlite3_extended_result_codes(s->db, 1);
	if (is_readonly)
		return read_version(s->db, &s->version, why);
	if ((st = exec(s->db, "PRAGMA journal_mode=WAL", "set WAL",
	    why)) != AM_OK ||
	    (st = exec(s->db, "PRAGMA synchronous=NORMAL", "set synchronous",
	    why)) != AM_OK)
		return st;
	return migrate(s, why);
}

/* sq_open - open (read-write: create and migrate) the file at path. */
static void *
sq_open(const char *path, bool is_readonly, struct am_why *why)
{
	struct sqlite_store *s = am_xcalloc(1, sizeof(*s));
	int flags = SQLITE_OPEN_NOMUTEX;

	flags |= is_readonly ? SQLITE_OPEN_READONLY :
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
		if (s->db == NULL)
			am_why_set(why, "%s: out of memory", path);
		else
			am_why_set(why, "%s: %s", path,
			    sqlite3_errmsg(s->db));
		sq_close(s);
		return NULL;
	}
	if (sq_setup(s, is_readonly, why) != AM_OK) {
		sq_close(s);
		return NULL;
	}
	if (is_readonly && (s->version < 1 || s->version > SCHEMA_VERSION)) {
		am_why_set(why, "%s: not a report store (schema version %d)",
		    path, s->version);
		sq_close(s);
		return NULL;
	}
	return s;
}

/* prepare_insert - the INSERT statement, built from the column tables. */
static enum am_status
prepare_insert(struct sqlite_store *s, struct am_why *why)
{
	struct am_buf sql;
	int i;

	am_buf_init(&sql, 4096);
	(void)am_buf_puts(&sql, "INSERT INTO rows (time");
	for (i = 0; i < AM_RT_N; i++)
		(void)am_buf_printf(&sql, ", %s", text_col[i]);
	for (i = 0; i < AM_RN_N; i++)
		(void)am_buf_printf(&sql, ", %s", num_col[i].name);
	(void)am_buf_puts(&sql, ") VALUES (?");
	for (i = 0; i < AM_RT_N + AM_RN_N; i++)
		(void)am_buf_puts(&sql, ", ?");
	(void)am_buf_puts(&sql, ")");
	i = sqlite3_prepare_v2(s->db, am_buf_str(&sql), -1, &s->insert, NULL);
	am_buf_release(&sql);
	if (i != SQLITE_OK)
		return db_why(s->db, "prepare insert", why);
	return AM_OK;
}

/* insert_one - bind and run the INSERT for one row. */
static enum am_status
insert_one(struct sqlite_store *s, const struct am_report_flat *f,
    struct am_why *why)
{
	int i, col = 1;

	sqlite3_reset(s->insert);
	sqlite3_bind_int64(s->insert, col++, f->time);
	for (i = 0; i < AM_RT_N; i++)
		sqlite3_bind_text(s->insert, col++, f->text[i], -1,
		    SQLITE_STATIC);
	for (i = 0; i < AM_RN_N; i++)
		sqlite3_bind_int64(s->insert, col++, f->num[i]);
	if (sqlite3_step(s->insert) != SQLITE_DONE)
		return db_why(s->db, "insert", why);
	return AM_OK;
}

/* batch_add - record b in batches (inside the write's transaction);
 * *is_new is false when it was there already. */
static enum am_status
batch_add(struct sqlite_store *s, const struct am_report_batch *b,
    bool *is_new, struct am_why *why)
{
	enum am_status ret = AM_OK;
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(s->db, "INSERT OR IGNORE INTO batches"
	    " (id, time) VALUES (?1, ?2)", -1, &st, NULL) != SQLITE_OK)
		return db_why(s->db, "prepare batch", why);
	sqlite3_bind_text(st, 1, b->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, b->time);
	if (sqlite3_step(st) != SQLITE_DONE)
		ret = db_why(s->db, "batch", why);
	else
		*is_new = sqlite3_changes(s->db) > 0;
	sqlite3_finalize(st);
	return ret;
}

/* sq_write - n rows in one transaction, once per batch id. */
static enum am_status
sq_write(void *h, const struct am_report_batch *b,
    struct am_report_flat *const *rows, size_t n, struct am_why *why)
{
	struct sqlite_store *s = h;
	enum am_status st = AM_OK;
	bool is_new = false;
	size_t i;

	if (s->insert == NULL && (st = prepare_insert(s, why)) != AM_OK)
		return st;
	if ((st = exec(s->db, "BEGIN IMMEDIATE", "begin", why)) != AM_OK)
		return st;
	if ((st = batch_add(s, b, &is_new, why)) == AM_OK && !is_new) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return AM_OK;	/* written before: its commit went unheard */
	}
	for (i = 0; i < n && st == AM_OK; i++)
		st = insert_one(s, rows[i], why);
	sqlite3_reset(s->insert);
	if (st == AM_OK)
		st = exec(s->db, "COMMIT", "commit", why);
	if (st != AM_OK)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return st;
}

/* scan_sql - the grouped SELECT for this file's schema version. */
static char *
scan_sql(const struct sqlite_store *s, bool has_domain)
{
	struct am_buf sql;
	int i;

	am_buf_init(&sql, 8192);
	(void)am_buf_puts(&sql, "SELECT max(time), count(*)");
	for (i = 0; i < AM_RT_N; i++)
		(void)am_buf_printf(&sql, ", %s", text_col[i]);
	for (i = 0; i < AM_RN_N; i++)
		(void)am_buf_printf(&sql, ", %s", num_col[i].since <=
		    s->version ? num_col[i].name : num_col[i].def);
	(void)am_buf_puts(&sql, " FROM rows WHERE time >= ?1 AND time < ?2");
	if (has_domain)
		(void)am_buf_puts(&sql, " AND policy_domain = ?3");
	(void)am_buf_puts(&sql, " GROUP BY policy_domain, source_ip,"
	    " disposition, dkim_pass, spf_pass, reasons, header_from,"
	    " envelope_from, envelope_to, dkim, spf");
	return am_buf_export(&sql);
}

/* scan_row - the current result row as a flat row (borrowed columns). */
static void
scan_row(sqlite3_stmt *st, struct am_report_flat *f)
{
	const unsigned char *t;
	int i, col = 2;

	f->time = sqlite3_column_int64(st, 0);
	for (i = 0; i < AM_RT_N; i++) {
		t = sqlite3_column_text(st, col++);
		f->text[i] = t != NULL ? (const char *)t : "";
	}
	for (i = 0; i < AM_RN_N; i++)
		f->num[i] = sqlite3_column_int64(st, col++);
}

/* sq_scan - one callback per group of equal rows in [begin, end). */
static enum am_status
sq_scan(void *h, int64_t begin, int64_t end, const char *domain,
    am_report_scan_fn *fn, void *arg, struct am_why *why)
{
	struct sqlite_store *s = h;
	struct am_report_flat f;
	sqlite3_stmt *st;
	char *sql = scan_sql(s, domain != NULL);
	int rc;

	rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	free(sql);
	if (rc != SQLITE_OK)
		return db_why(s->db, "prepare scan", why);
	sqlite3_bind_int64(st, 1, begin);
	sqlite3_bind_int64(st, 2, end);
	if (domain != NULL)
		sqlite3_bind_text(st, 3, domain, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		scan_row(st, &f);
		fn(arg, &f, (uint64_t)sqlite3_column_int64(st, 1));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_why(s->db, "scan", why);
	return AM_OK;
}

/* delete_before - DELETE FROM table WHERE time < before; *n: rows. */
static enum am_status
delete_before(sqlite3 *db, const char *sql, int64_t before, uint64_t *n,
    struct am_why *why)
{
	enum am_status ret = AM_OK;
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_why(db, "prepare expire", why);
	sqlite3_bind_int64(st, 1, before);
	if (sqlite3_step(st) != SQLITE_DONE)
		ret = db_why(db, "expire", why);
	else
		*n = (uint64_t)sqlite3_changes(db);
	sqlite3_finalize(st);
	return ret;
}

/* sq_expire - delete rows and batch ids older than before. */
static enum am_status
sq_expire(void *h, int64_t before, uint64_t *deleted, struct am_why *why)
{
	struct sqlite_store *s = h;
	enum am_status st;
	uint64_t n;

	*deleted = 0;
	if ((st = delete_before(s->db, "DELETE FROM rows WHERE time < ?1",
	    before, deleted, why)) != AM_OK)
		return st;
	return delete_before(s->db, "DELETE FROM batches WHERE time < ?1",
	    before, &n, why);
}

/* sent_row - the columns of a sent row into out (error not kept). */
static void
sent_row(sqlite3_stmt *st, struct am_report_sent *out)
{
	const unsigned char *owner;

	out->state = (enum am_report_sent_state)sqlite3_column_int(st, 0);
	out->attempts = sqlite3_column_int64(st, 1);
	out->next_try = sqlite3_column_int64(st, 2);
	out->period_end = sqlite3_column_int64(st, 3);
	owner = sqlite3_column_text(st, 4);
	snprintf(out->claim_owner, sizeof(out->claim_owner), "%s",
	    owner != NULL ? (const char *)owner : "");
	out->claim_until = sqlite3_column_int64(st, 5);
}

/* bind_key - ?1 domain, ?2 begin, ?3 addr (borrowed until the step). */
static void
bind_key(sqlite3_stmt *st, const char *domain, int64_t begin,
    const char *addr)
{
	sqlite3_bind_text(st, 1, domain, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, begin);
	sqlite3_bind_text(st, 3, addr, -1, SQLITE_STATIC);
}

/* sq_sent_get - the send state of (domain, begin, addr); zero if none. */
static enum am_status
sq_sent_get(void *h, const char *domain, int64_t begin, const char *addr,
    struct am_report_sent *out, struct am_why *why)
{
	struct sqlite_store *s = h;
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof(*out));
	out->error = "";
	if (s->version < 3)
		return AM_OK;	/* read-only older file: nothing sent */
	if (sqlite3_prepare_v2(s->db, s->version < 4 ?
	    "SELECT state, attempts, next_try, period_end, '', 0 FROM sent"
	    " WHERE domain = ?1 AND begin = ?2 AND addr = ?3" :
	    "SELECT state, attempts, next_try, period_end, claim_owner,"
	    " claim_until FROM sent WHERE domain = ?1 AND begin = ?2 AND"
	    " addr = ?3", -1, &st, NULL) != SQLITE_OK)
		return db_why(s->db, "prepare sent", why);
	bind_key(st, domain, begin, addr);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		sent_row(st, out);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_why(s->db, "read sent", why);
	return AM_OK;
}

/* sq_sent_claim - claim (domain, begin, addr) in one upsert: the row lock
 * is SQLite's write lock, so concurrent runs serialize on it. */
static enum am_status
sq_sent_claim(void *h, const char *domain, int64_t begin, const char *addr,
    const struct am_report_claim *c, struct am_report_sent *out,
    bool *is_claimed, struct am_why *why)
{
	struct sqlite_store *s = h;
	sqlite3_stmt *st;
	int rc;

	*is_claimed = false;
	if (sqlite3_prepare_v2(s->db, "INSERT INTO sent (domain, begin, addr,"
	    " period_end, state, attempts, next_try, error, claim_owner,"
	    " claim_until) VALUES (?1, ?2, ?3, ?4, 0, 0, 0, '', ?5, ?6)"
	    " ON CONFLICT (domain, begin, addr) DO UPDATE SET"
	    " claim_owner = excluded.claim_owner,"
	    " claim_until = excluded.claim_until"
	    " WHERE sent.state = 0 AND sent.next_try <= ?7 AND"
	    " (sent.claim_until <= ?7 OR sent.claim_owner = ?5)"
	    " RETURNING state, attempts, next_try, period_end, claim_owner,"
	    " claim_until", -1, &st, NULL) != SQLITE_OK)
		return db_why(s->db, "prepare claim", why);
	bind_key(st, domain, begin, addr);
	sqlite3_bind_int64(st, 4, c->period_end);
	sqlite3_bind_text(st, 5, c->owner, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, c->until);
	sqlite3_bind_int64(st, 7, c->now);
	memset(out, 0, sizeof(*out));
	out->error = "";
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		sent_row(st, out);
		*is_claimed = true;
		rc = sqlite3_step(st);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_why(s->db, "claim", why);
	if (*is_claimed)
		return AM_OK;
	return sq_sent_get(h, domain, begin, addr, out, why);
}

/* sq_sent_put - record the send state and release owner's claim, in one
 * statement (transaction); AM_TEMPFAIL when the claim was lost. */
static enum am_status
sq_sent_put(void *h, const char *domain, int64_t begin, const char *addr,
    const struct am_report_sent *r, const char *owner, struct am_why *why)
{
	struct sqlite_store *s = h;
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, "UPDATE sent SET period_end = ?4,"
	    " state = ?5, attempts = ?6, next_try = ?7, error = ?8,"
	    " claim_owner = '', claim_until = 0 WHERE domain = ?1 AND"
	    " begin = ?2 AND addr = ?3 AND claim_owner = ?9", -1, &st,
	    NULL) != SQLITE_OK)
		return db_why(s->db, "prepare sent", why);
	bind_key(st, domain, begin, addr);
	sqlite3_bind_int64(st, 4, r->period_end);
	sqlite3_bind_int(st, 5, (int)r->state);
	sqlite3_bind_int64(st, 6, r->attempts);
	sqlite3_bind_int64(st, 7, r->next_try);
	sqlite3_bind_text(st, 8, r->error != NULL ? r->error : "", -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(st, 9, owner, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_why(s->db, "record sent", why);
	if (sqlite3_changes(s->db) != 1) {
		am_why_set(why, "record sent %s %lld %s: claim lost (its lease"
		    " ended and another run took it over)", domain,
		    (long long)begin, addr);
		return AM_TEMPFAIL;
	}
	return AM_OK;
}

/* sq_accepts - SQLite takes every ReportStore no other backend took. */
static bool
sq_accepts(const char *path)
{
	return path != NULL;
}

const struct am_report_backend am_report_sqlite = {
	.name = "sqlite",
	.accepts = sq_accepts,
	.open = sq_open,
	.write = sq_write,
	.scan = sq_scan,
	.expire = sq_expire,
	.sent_get = sq_sent_get,
	.sent_claim = sq_sent_claim,
	.sent_put = sq_sent_put,
	.agg_put = am_report_sqlite_agg_put,
	.agg_scan = am_report_sqlite_agg_scan,
	.agg_expire = am_report_sqlite_agg_expire,
	.close = sq_close,
};
