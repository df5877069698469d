/*
 * NAME        report_backend - storage interface behind am_report_store
 *             (private to lib/report_*.c)
 * DESCRIPTION A backend stores flat rows: the scalar columns of
 *             struct am_report_row plus its three lists, each encoded as
 *             one canonical string (entries sorted, fields length-prefixed:
 *             "LEN:BYTES"), so that equal lists compare equal and records
 *             can be grouped by plain column equality. Two backends share
 *             one logical schema (tables rows, sent and schema_version, the
 *             same migration steps): SQLite (report_sqlite.c, a file per
 *             host) and PostgreSQL (report_pg.c, one database for a fleet).
 *             am_report_backend_find() picks the backend of a ReportStore
 *             value: the first whose accepts() is true (PostgreSQL for a
 *             libpq URI or key=value string); SQLite takes everything else.
 *
 *             open() returns an owned handle or NULL with a reason; a
 *             read-only handle never creates or migrates. write() stores
 *             n rows in one transaction (all or none): AM_TEMPFAIL when
 *             the store failed (retry the batch later, on a new handle),
 *             AM_PERMFAIL when it refused these rows for their content
 *             (retrying cannot help: drop and count them). The batch's id
 *             goes into table batches (schema 6) in the same transaction,
 *             and a batch whose id is already there is not written again
 *             (AM_OK): a retry after a commit whose acknowledgement was
 *             lost (the connection broke during COMMIT) adds no row twice.
 *             expire() also forgets batch ids older than before. scan() calls fn
 *             once per group of equal rows in [begin, end) (and policy
 *             domain == domain unless NULL) with the group's count, the
 *             time of its latest row, and that row's policy columns (fn's
 *             flat row is borrowed for the call). expire() deletes rows
 *             older than before. close() accepts NULL.
 *
 *             The sent table holds one row per (domain, period begin,
 *             address) (schema 3; report send) and, since schema 4, a
 *             claim on it: an owner string unique to one run of report
 *             send and the lease end. sent_get() reads the send state (all
 *             zero when there is none). sent_claim() is one atomic step:
 *             when the row is missing, or pending with next_try <= now and
 *             no live claim of another owner (claim_until <= now), it
 *             creates or updates the row with the claim (owner until
 *             c->until) and sets *is_claimed; otherwise it claims nothing.
 *             Either way out holds the row as it now is. sent_put() records
 *             the state (attempt count, state, next try) and releases the
 *             claim in one statement, only while owner still holds it:
 *             AM_TEMPFAIL "claim lost" when the lease ran out and another
 *             run took it over. So of two runs on two hosts at once,
 *             exactly one sends a given report; a run that dies holding a
 *             claim delays that report until the lease ends.
 * THREADS     a handle is used by one thread at a time; any number of
 *             handles and processes may use one store at once.
 */
#ifndef AM_REPORT_BACKEND_H
#define AM_REPORT_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/am.h"
#include "core/buf.h"

enum am_report_text {		/* text columns, in schema order */
	AM_RT_SOURCE_IP,
	AM_RT_HEADER_FROM,
	AM_RT_ENVELOPE_FROM,
	AM_RT_ENVELOPE_TO,
	AM_RT_POLICY_DOMAIN,
	AM_RT_REASONS,		/* encoded list: type, comment */
	AM_RT_DKIM,		/* encoded list: domain, selector, result */
	AM_RT_SPF,		/* encoded list: domain, scope, result */
	AM_RT_FO,
	AM_RT_RUA,
	AM_RT_N
};

enum am_report_num {		/* integer columns, in schema order */
	AM_RN_DISPOSITION,
	AM_RN_DKIM_PASS,
	AM_RN_SPF_PASS,
	AM_RN_P,
	AM_RN_SP,
	AM_RN_PCT,
	AM_RN_ADKIM_STRICT,
	AM_RN_ASPF_STRICT,
	AM_RN_NP,		/* schema 2; -1: no np= */
	AM_RN_TESTING,		/* schema 2 */
	AM_RN_N
};

struct am_report_flat {
	int64_t time;			/* UTC seconds */
	const char *text[AM_RT_N];	/* NUL-terminated, never NULL */
	int64_t num[AM_RN_N];
};

enum am_report_sent_state {	/* sent.state */
	AM_REPORT_SENT_PENDING = 0,	/* not yet, or failed: retry */
	AM_REPORT_SENT_DONE,		/* handed to the MTA */
	AM_REPORT_SENT_SKIPPED,		/* suppressed, unauthorised, too big,
					 * or given up */
};

#define AM_REPORT_OWNER_MAX	128	/* bytes of a claim owner, with NUL */

struct am_report_sent {		/* one row of table sent */
	enum am_report_sent_state state;
	int64_t attempts;		/* send attempts made */
	int64_t next_try;		/* UTC seconds; 0: now */
	int64_t period_end;		/* UTC seconds */
	const char *error;		/* last failure; "" none (borrowed) */
	int64_t claim_until;		/* UTC seconds; 0: not claimed */
	char claim_owner[AM_REPORT_OWNER_MAX];	/* "" when not claimed */
};

struct am_report_claim {	/* a lease on one (domain, begin, addr) */
	const char *owner;	/* unique per run (host, pid, random) */
	int64_t now;		/* UTC seconds */
	int64_t until;		/* end of the lease, UTC seconds */
	int64_t period_end;	/* for a row the claim creates */
};

typedef void am_report_scan_fn(void *arg, const struct am_report_flat *f,
    uint64_t count);

/*
 * Received aggregate reports (schema 5; report_agg.h): tables agg_reports
 * (the report columns below, unique by org_name and report_id) and
 * agg_records (the record columns, with the report's id). Lists of a
 * record are encoded as in rows ("LEN:BYTES" fields, entries in report
 * order): reasons (type, comment), dkim_auth and spf_auth (domain,
 * selector or scope, result). agg_put() stores a report and its n records
 * (asked for one at a time from rec) in one transaction, or nothing with *is_dup set when the key exists.
 * agg_scan() calls fn per record of the reports whose period midpoint is in
 * [begin, end) (and domain == policy domain unless NULL), ordered by
 * report; both flat rows are borrowed for the call. On a store older than
 * schema 5 (read-only) there are none. agg_expire() deletes the reports
 * with period_end < before and their records.
 */
enum am_agg_rcol {		/* agg_reports text columns */
	AM_AR_FORMAT, AM_AR_ORG_NAME, AM_AR_EMAIL, AM_AR_EXTRA_CONTACT,
	AM_AR_REPORT_ID, AM_AR_GENERATOR, AM_AR_ERRORS, AM_AR_ORIGIN,
	AM_AR_DOMAIN, AM_AR_ADKIM, AM_AR_ASPF, AM_AR_P, AM_AR_SP, AM_AR_NP,
	AM_AR_PCT, AM_AR_FO, AM_AR_TESTING, AM_AR_DISCOVERY,
	AM_AR_N
};

enum am_agg_ccol {		/* agg_records text columns */
	AM_AC_SOURCE_IP, AM_AC_DISPOSITION, AM_AC_DKIM, AM_AC_SPF,
	AM_AC_HEADER_FROM, AM_AC_ENVELOPE_FROM, AM_AC_ENVELOPE_TO,
	AM_AC_REASONS, AM_AC_DKIM_AUTH, AM_AC_SPF_AUTH,
	AM_AC_N
};

struct am_agg_flat_report {
	int64_t begin;			/* period_begin, UTC seconds */
	int64_t end;			/* period_end, UTC seconds */
	int64_t ingested;		/* UTC seconds */
	const char *text[AM_AR_N];	/* never NULL */
};

struct am_agg_flat_record {
	int64_t count;			/* messages */
	const char *text[AM_AC_N];	/* never NULL */
};

/* The text columns of schema 5's tables, in enum order, as SQL (one
 * definition for both backends; never edited: a change is a new step). */
#define AM_AGG_REPORT_TEXT_SQL "format TEXT NOT NULL, org_name TEXT NOT NULL," \
	" email TEXT NOT NULL, extra_contact TEXT NOT NULL," \
	" report_id TEXT NOT NULL, generator TEXT NOT NULL," \
	" errors TEXT NOT NULL, origin TEXT NOT NULL, domain TEXT NOT NULL," \
	" adkim TEXT NOT NULL, aspf TEXT NOT NULL, p TEXT NOT NULL," \
	" sp TEXT NOT NULL, np TEXT NOT NULL, pct TEXT NOT NULL," \
	" fo TEXT NOT NULL, testing TEXT NOT NULL, discovery TEXT NOT NULL"
#define AM_AGG_RECORD_TEXT_SQL "source_ip TEXT NOT NULL," \
	" disposition TEXT NOT NULL, dkim TEXT NOT NULL, spf TEXT NOT NULL," \
	" header_from TEXT NOT NULL, envelope_from TEXT NOT NULL," \
	" envelope_to TEXT NOT NULL, reasons TEXT NOT NULL," \
	" dkim_auth TEXT NOT NULL, spf_auth TEXT NOT NULL"

/* Column names, in enum order (report_agg.c). */
extern const char *const am_report_agg_rcol[AM_AR_N];
extern const char *const am_report_agg_ccol[AM_AC_N];

/* am_report_agg_rec_fn - record i of a report being stored, into out
 * (its strings valid until the next call). */
typedef void am_report_agg_rec_fn(void *arg, size_t i,
    struct am_agg_flat_record *out);
typedef void am_report_agg_scan_fn(void *arg,
    const struct am_agg_flat_report *r, const struct am_agg_flat_record *c);

#define AM_REPORT_BATCH_ID_MAX	33	/* 32 hex digits and a NUL */

struct am_report_batch {	/* what identifies one write() and its retries */
	char id[AM_REPORT_BATCH_ID_MAX];	/* unique in the fleet */
	int64_t time;			/* UTC seconds of its first try */
};

struct am_report_backend {
	const char *name;
	bool (*accepts)(const char *path);
	/* appends path as a log line may show it (no secret); NULL:
	 * the path itself */
	void (*display)(const char *path, struct am_buf *out);
	void *(*open)(const char *path, bool is_readonly, struct am_why *why);
	enum am_status (*write)(void *h, const struct am_report_batch *b,
	    struct am_report_flat *const *rows, size_t n, struct am_why *why);
	enum am_status (*scan)(void *h, int64_t begin, int64_t end,
	    const char *domain, am_report_scan_fn *fn, void *arg,
	    struct am_why *why);
	enum am_status (*expire)(void *h, int64_t before, uint64_t *deleted,
	    struct am_why *why);
	enum am_status (*sent_get)(void *h, const char *domain, int64_t begin,
	    const char *addr, struct am_report_sent *out, struct am_why *why);
	enum am_status (*sent_claim)(void *h, const char *domain,
	    int64_t begin, const char *addr, const struct am_report_claim *c,
	    struct am_report_sent *out, bool *is_claimed, struct am_why *why);
	enum am_status (*sent_put)(void *h, const char *domain, int64_t begin,
	    const char *addr, const struct am_report_sent *s,
	    const char *owner, struct am_why *why);
	enum am_status (*agg_put)(void *h, const struct am_agg_flat_report *r,
	    size_t n, am_report_agg_rec_fn *rec, void *arg, bool *is_dup,
	    struct am_why *why);
	enum am_status (*agg_scan)(void *h, int64_t begin, int64_t end,
	    const char *domain, am_report_agg_scan_fn *fn, void *arg,
	    struct am_why *why);
	enum am_status (*agg_expire)(void *h, int64_t before,
	    uint64_t *deleted, struct am_why *why);
	void (*close)(void *h);
};

extern const struct am_report_backend am_report_sqlite;
extern const struct am_report_backend am_report_pg;

/* am_report_backend_find - the backend for a ReportStore value. */
const struct am_report_backend *am_report_backend_find(const char *path);

#endif
