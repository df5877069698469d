/*
 * NAME        am_report_agg - received DMARC aggregate reports (the
 *             outbound side: what other receivers saw of our domains) and
 *             their place in the report store
 * SYNOPSIS    struct am_agg_report *r = am_report_agg_new();
 *             r->org_name = am_report_agg_strdup(r, "google.com", len); ...
 *             struct am_report_agg_db *db = am_report_agg_open(path, false,
 *                 &why);
 *             st = am_report_agg_put(db, r, &is_dup, &why);
 *             st = am_report_agg_scan(db, begin, end, domain, fn, arg, &why);
 *             db = am_report_agg_close(db);
 *             r = am_report_agg_free(r);
 * DESCRIPTION One struct am_agg_report per received report (RFC 7489
 *             Appendix C or RFC 9990), with its records. Every string is
 *             UTF-8 text as the report had it (whitespace trimmed, cut at
 *             AM_REPORT_STR_MAX bytes on a character boundary), "" when the
 *             report left it out, never NULL; result words (disposition,
 *             dkim, spf, reason type, auth results) are lower-cased. A
 *             report is untrusted input: nothing here is checked beyond
 *             what lib/report/report_ingest.c requires.
 *
 *             am_report_agg_new() returns an owned, empty report whose
 *             strings and records live in its own pool: am_report_agg_strdup()
 *             copies len bytes into it (the copy is NUL-terminated);
 *             am_report_agg_add_record() appends a zeroed record (strings
 *             "") and returns it, valid until the next call;
 *             am_report_agg_add_reason() and am_report_agg_add_auth() append
 *             to a record's lists (at most AM_REPORT_LIST_MAX entries each;
 *             false when full). am_report_agg_free() accepts NULL, returns
 *             NULL.
 *
 *             The store (report_store.h: a SQLite file or a PostgreSQL
 *             database) keeps received reports in tables of their own
 *             (agg_reports, agg_records; schema 5), one row per report
 *             and per record, unique by (org_name, report_id).
 *             am_report_agg_open() opens it (read-write: created or
 *             migrated as for the daemon's writer; read-only: an older
 *             store is read as having no received reports).
 *             am_report_agg_put() stores one report and its records in one
 *             transaction; when (org_name, report_id) is already there it
 *             stores nothing and sets *is_dup (not an error).
 *             am_report_agg_scan() calls fn once per record of every report
 *             whose period's midpoint ((begin + end) / 2) is in [begin, end)
 *             (and whose policy domain is domain unless NULL), in report
 *             order; the report passed along has no records (n_records 0)
 *             and, like the record, is borrowed for the call.
 *             am_report_agg_expire() deletes the reports whose period ended
 *             before before, with their records.
 * THREADS     a report or a db handle has one owner at a time.
 * DIAGNOSTICS AM_TEMPFAIL with the reason when the store cannot be opened,
 *             read or written; AM_PANIC on NULL arguments.
 */
#ifndef AM_REPORT_AGG_H
#define AM_REPORT_AGG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/am.h"

struct am_agg_reason {		/* <reason> of policy_evaluated */
	const char *type;	/* lower-case word, e.g. "forwarded" */
	const char *comment;
};

struct am_agg_auth {		/* one <dkim> or <spf> of auth_results */
	const char *domain;
	const char *selector;	/* DKIM selector or SPF scope */
	const char *result;	/* lower-case word */
};

struct am_agg_record {		/* one <record> */
	const char *source_ip;	/* as written (text; not checked) */
	uint64_t count;		/* messages */
	const char *disposition;	/* policy_evaluated */
	const char *dkim;	/* policy_evaluated: aligned DKIM pass/fail */
	const char *spf;	/* policy_evaluated: aligned SPF pass/fail */
	const char *header_from;
	const char *envelope_from;
	const char *envelope_to;
	struct am_agg_reason *reasons;	/* n_reasons, in the pool */
	size_t n_reasons;
	struct am_agg_auth *dkim_auth;	/* n_dkim_auth, in the pool */
	size_t n_dkim_auth;
	struct am_agg_auth *spf_auth;	/* n_spf_auth, in the pool */
	size_t n_spf_auth;
};

struct am_agg_policy {		/* <policy_published>, as text */
	const char *domain;
	const char *adkim, *aspf;	/* "r", "s" or "" */
	const char *p, *sp, *np;	/* "none", "quarantine", "reject", "" */
	const char *pct;	/* RFC 7489; "" absent */
	const char *fo;
	const char *testing;	/* RFC 9990 "y"/"n" */
	const char *discovery;	/* RFC 9990 discovery_method */
};

struct am_agg_report {
	const char *format;	/* "rfc7489" or "rfc9990" (the namespace) */
	const char *org_name;
	const char *email;
	const char *extra_contact;
	const char *report_id;
	const char *generator;	/* RFC 9990 */
	const char *errors;	/* <error> texts, "; "-separated */
	const char *origin;	/* where it came from (file, Message-ID) */
	int64_t begin;		/* date_range, UTC seconds */
	int64_t end;
	int64_t ingested;	/* when it was stored, UTC seconds */
	struct am_agg_policy policy;
	struct am_agg_record *records;	/* n_records, owned */
	size_t n_records;
	struct am_agg_pool *pool;	/* private: owns the strings, lists */
	size_t cap_records;	/* private: records allocated */
};

struct am_report_agg_db;

typedef void am_report_agg_fn(void *arg, const struct am_agg_report *r,
    const struct am_agg_record *rec);

struct am_agg_report *am_report_agg_new(void);
struct am_agg_report *am_report_agg_free(struct am_agg_report *r);
const char *am_report_agg_strdup(struct am_agg_report *r, const char *s,
    size_t len);
struct am_agg_record *am_report_agg_add_record(struct am_agg_report *r);
bool am_report_agg_add_reason(struct am_agg_report *r,
    struct am_agg_record *rec, const char *type, const char *comment);
bool am_report_agg_add_auth(struct am_agg_report *r,
    struct am_agg_record *rec, bool is_dkim, const char *domain,
    const char *selector, const char *result);

struct am_report_agg_db *am_report_agg_open(const char *path,
    bool is_readonly, struct am_why *why);
struct am_report_agg_db *am_report_agg_close(struct am_report_agg_db *db);
enum am_status am_report_agg_put(struct am_report_agg_db *db,
    const struct am_agg_report *r, bool *is_dup, struct am_why *why);
enum am_status am_report_agg_scan(struct am_report_agg_db *db,
    int64_t begin, int64_t end, const char *domain, am_report_agg_fn *fn,
    void *arg, struct am_why *why);
enum am_status am_report_agg_expire(const char *path, int64_t before,
    uint64_t *deleted, struct am_why *why);

#endif
