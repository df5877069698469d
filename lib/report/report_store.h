/*
 * NAME        am_report_store - DMARC aggregate report rows: queue, writer
 *             thread, store, and the grouped read for export
 * SYNOPSIS    struct am_report_store *rs = am_report_store_open(path,
 *                 NULL, &why);
 *             am_report_store_enqueue(rs, &row);	(any thread, never waits)
 *             am_report_store_counters(rs, &c);
 *             if (am_report_store_take_error(rs, &why)) log(why.text);
 *             rs = am_report_store_close(rs, &final);
 *
 *             am_report_store_query(paths, n, begin, end, domain, &set, &why);
 *             set = am_report_set_free(set);
 * DESCRIPTION One struct am_report_row per DMARC-evaluated message; grouping
 *             into report records happens at export time.
 *
 *             A store is named by a path (ReportStore): a PostgreSQL
 *             connection string, i.e. a libpq URI ("postgresql://..." or
 *             "postgres://...") or a key=value string that libpq accepts
 *             ("host=db1 dbname=reports"), is one database shared by a
 *             fleet of hosts (lib/report/report_pg.c); anything else is a
 *             SQLite file of this host (am_report_store_is_file() is true).
 *             am_report_store_display() writes path into out (reset first)
 *             as a log line or a message may show it and returns its text:
 *             a PostgreSQL string with a password is rebuilt with the
 *             password as "********" (lib/report/report_pg_conninfo.c).
 *
 *             am_report_store_open() returns an owned store (NULL only when
 *             the writer thread cannot be started; reason in why). It tries
 *             to open the database at path once, synchronously; when that
 *             fails the store is still returned, why holds the reason and the
 *             writer thread keeps retrying. Open it after privileges are
 *             dropped (STYLE.md §16): the file and its directory must be
 *             writable by the daemon's user (PostgreSQL: the role must be
 *             able to create the tables at the first start). opts may be
 *             NULL (defaults: queue 10000 rows, batches of 500 rows or
 *             200 ms).
 *
 *             am_report_store_enqueue() copies row (every pointer in it is
 *             borrowed for the call only) into a bounded in-memory queue and
 *             returns. It never blocks on I/O and never touches disk. When
 *             the queue is full the oldest queued row is dropped and
 *             counted. Strings longer than AM_REPORT_STR_MAX bytes are cut
 *             there, lists longer than AM_REPORT_LIST_MAX entries are cut
 *             (XXX: counted nowhere; real rows never come near). A NULL
 *             store is accepted and ignores the row (reports disabled).
 *
 *             One writer thread drains the queue in batched transactions.
 *             When a write fails (disk full, permission, database locked,
 *             unopenable file, database server down or restarting) the batch
 *             is kept and retried with backoff (100 ms doubling to
 *             opts.retry_max_ms) on a fresh connection, the failure is
 *             counted in write_errors, and mail is never held up: new rows
 *             keep queueing up to the bound. A batch the database refuses
 *             for its content (a data error: retrying cannot help) is
 *             dropped and counted in dropped and write_errors. Memory bound:
 *             queue_max queued rows plus one batch in flight.
 *
 *             am_report_store_counters() copies the counters;
 *             am_report_store_take_error() returns true (and the reason)
 *             once per new failure, so the caller logs each failure once
 *             (lib/ never logs). am_report_store_flush() waits up to
 *             timeout_ms for everything queued so far to be committed
 *             (tests and shutdown; never from a milter callback).
 *             am_report_store_close() flushes (one last attempt when the
 *             store is failing; rows that still cannot be written are
 *             counted as dropped), stops the thread, copies the final
 *             counters into *final (may be NULL), frees, and returns NULL.
 *
 *             Crash bound: a committed batch survives kill -9 (SQLite WAL,
 *             synchronous=NORMAL, where a power loss may also lose the last
 *             transactions; PostgreSQL: the server's durability). kill -9
 *             loses what was queued or in flight: at most queue_max rows,
 *             in practice at most batch_ms worth.
 *
 *             am_report_store_query() reads one or several stores (a SQLite
 *             file per MTA host, or one shared database) read-only, takes the rows with
 *             begin <= time < end (and policy domain == domain unless domain
 *             is NULL) and returns an owned set: one am_report_domain per
 *             policy domain (sorted by name), each with its records sorted
 *             by key. A record groups rows equal in source_ip, disposition,
 *             DMARC dkim/spf result, reasons, header_from, envelope_from,
 *             envelope_to and auth results (RFC 9990 §2.1: one record per
 *             IP, result, identifiers and auth results), with the real
 *             count; stores are merged by summing equal records. The policy
 *             of a domain is that of its latest row over all stores. All
 *             pointers in the set are owned by it (am_report_set_free).
 *             AM_TEMPFAIL when a file cannot be opened or read.
 *
 *             am_report_store_expire() deletes rows with time < before from
 *             the store at path (directly, no writer thread; for
 *             authmilterctl report expire) and sets *deleted.
 * THREADS     enqueue, counters and take_error may be called from any
 *             thread at once; open/flush/close by one owner. Queries and
 *             expire are independent of any open store (SQLite locking;
 *             PostgreSQL transactions), from any host for a database.
 * DIAGNOSTICS AM_PANIC on NULL row or paths.
 */
#ifndef AM_REPORT_STORE_H
#define AM_REPORT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/am.h"
#include "core/buf.h"

#define AM_REPORT_STR_MAX	1024	/* bytes kept of any one string */
#define AM_REPORT_LIST_MAX	32	/* entries kept of any one list */

enum am_report_disp {		/* policy action (evaluated or published) */
	AM_REPORT_DISP_NONE = 0,
	AM_REPORT_DISP_QUARANTINE,
	AM_REPORT_DISP_REJECT,
};

enum am_report_result {		/* RFC 8601 result of one DKIM/SPF check */
	AM_REPORT_RES_NONE = 0,
	AM_REPORT_RES_PASS,
	AM_REPORT_RES_FAIL,
	AM_REPORT_RES_SOFTFAIL,	/* SPF only */
	AM_REPORT_RES_NEUTRAL,
	AM_REPORT_RES_POLICY,
	AM_REPORT_RES_TEMPERROR,
	AM_REPORT_RES_PERMERROR,
};

enum am_report_reason_type {	/* union of RFC 7489 and RFC 9990 values */
	AM_REPORT_REASON_OTHER = 0,
	AM_REPORT_REASON_FORWARDED,
	AM_REPORT_REASON_SAMPLED_OUT,
	AM_REPORT_REASON_TRUSTED_FORWARDER,
	AM_REPORT_REASON_MAILING_LIST,
	AM_REPORT_REASON_LOCAL_POLICY,
	AM_REPORT_REASON_POLICY_TEST_MODE,
};

enum am_report_scope {		/* SPF identity checked */
	AM_REPORT_SCOPE_MFROM = 0,
	AM_REPORT_SCOPE_HELO,
};

struct am_report_reason {	/* policy override (RFC 7489 §7.2.1 reason) */
	enum am_report_reason_type type;
	const char *comment;	/* NULL or "": none */
};

struct am_report_dkim {		/* one DKIM signature's result */
	const char *domain;	/* d= */
	const char *selector;	/* s=; NULL or "" when unknown */
	enum am_report_result result;
};

struct am_report_spf {		/* one SPF check's result */
	const char *domain;	/* MAIL FROM domain or HELO name checked */
	enum am_report_scope scope;
	enum am_report_result result;
};

struct am_report_policy {	/* the DMARC record as published */
	enum am_report_disp p;
	enum am_report_disp sp;	/* p when the record has no sp= */
	enum am_report_disp np;	/* RFC 9990 np=; meaningful if has_np */
	bool has_np;		/* the record had np= */
	int pct;		/* pct=, 0..100 (100 when absent) */
	bool is_adkim_strict;	/* adkim=s */
	bool is_aspf_strict;	/* aspf=s */
	const char *fo;		/* fo= as published; NULL or "": "0" */
	bool is_testing;	/* RFC 9990 t=y */
};

struct am_report_row {		/* one evaluated message; plain data */
	int64_t time;		/* UTC seconds since the epoch */
	const char *source_ip;	/* connecting client, textual IPv4/IPv6 */
	const char *header_from;	/* RFC 5322.From domain */
	const char *envelope_from;	/* RFC 5321.MailFrom domain; "" null */
	const char *envelope_to;	/* RFC 5321.RcptTo domain; may be "" */
	const char *policy_domain;	/* where the DMARC record was found */
	enum am_report_disp disposition;	/* what was applied */
	bool is_dkim_pass;	/* DMARC-aligned DKIM pass */
	bool is_spf_pass;	/* DMARC-aligned SPF pass */
	const struct am_report_reason *reasons;	/* n_reasons entries */
	size_t n_reasons;
	const struct am_report_dkim *dkim;	/* every signature checked */
	size_t n_dkim;
	const struct am_report_spf *spf;	/* mfrom and/or helo */
	size_t n_spf;
	struct am_report_policy policy;	/* record as published */
	const char *rua;	/* rua= as published (comma list); may be "" */
};

struct am_report_store_opts {
	size_t queue_max;	/* rows waiting in memory (ReportQueueSize) */
	size_t batch_max;	/* rows per transaction */
	unsigned batch_ms;	/* longest a row waits for its batch, ms */
	unsigned retry_max_ms;	/* longest backoff after a failed write, ms */
};

struct am_report_counters {
	uint64_t enqueued;	/* rows accepted by enqueue */
	uint64_t written;	/* rows committed to the store */
	uint64_t dropped;	/* rows lost: queue full, or unwritable at close */
	uint64_t write_errors;	/* failed open/write attempts */
	size_t queue_depth;	/* rows queued or in flight now */
	bool is_failing;	/* the last attempt failed */
};

struct am_report_record {	/* one <record>: a group of equal rows */
	struct am_report_row row;	/* key and auth results; policy and
					 * rua unused; time = latest row */
	uint64_t count;		/* messages in the group */
};

struct am_report_domain {	/* everything for one policy domain */
	const char *domain;	/* policy domain */
	struct am_report_policy policy;	/* of the latest row */
	const char *rua;	/* of the latest row */
	int64_t policy_time;	/* time of that row */
	uint64_t messages;	/* sum of the record counts */
	struct am_report_record *records;	/* n_records, sorted */
	size_t n_records;
};

struct am_report_arena;

struct am_report_set {
	struct am_report_arena *arena;	/* private: owns everything below */
	int64_t begin;		/* first second included */
	int64_t end;		/* first second not included */
	struct am_report_domain *domains;	/* n_domains, sorted by name */
	size_t n_domains;
};

struct am_report_store;

struct am_report_store *am_report_store_open(const char *path,
    const struct am_report_store_opts *opts, struct am_why *why);
void am_report_store_enqueue(struct am_report_store *rs,
    const struct am_report_row *row);
void am_report_store_counters(struct am_report_store *rs,
    struct am_report_counters *out);
bool am_report_store_take_error(struct am_report_store *rs,
    struct am_why *why);
enum am_status am_report_store_flush(struct am_report_store *rs,
    unsigned timeout_ms, struct am_why *why);
struct am_report_store *am_report_store_close(struct am_report_store *rs,
    struct am_report_counters *final);

enum am_status am_report_store_query(const char *const *paths,
    size_t n_paths, int64_t begin, int64_t end, const char *domain,
    struct am_report_set **out, struct am_why *why);
struct am_report_set *am_report_set_free(struct am_report_set *set);
enum am_status am_report_store_expire(const char *path, int64_t before,
    uint64_t *deleted, struct am_why *why);
bool am_report_store_is_file(const char *path);
const char *am_report_store_display(const char *path, struct am_buf *out);

/* Names as written in reports and in the store. */
const char *am_report_disp_name(enum am_report_disp d);
const char *am_report_result_name(enum am_report_result r);

#endif
