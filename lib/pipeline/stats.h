/*
 * NAME        am_stats - the daemon's counters since start, and the file
 *             that publishes them (authmilterctl stats)
 * SYNOPSIS    am_stats_count(&ctx->stats, &results, &verdict);	(any thread)
 *             am_stats_add_time(&ctx->stats, &eom_start);	(any thread)
 *             am_stats_write(path, &ctx->stats, started, &why);
 *             am_stats_read(path, &snap, &why);
 *             am_stats_lookup(&snap, "messages", &n);
 *             am_stats_format_prom(&ctx->stats, rep, version, started, out);
 * DESCRIPTION struct am_stats is a set of monotonic atomic counters (and one
 *             gauge, dnssec_disabled), the DNS counters of every resolver
 *             the process runs (dns.h; ctx.c attaches each runtime's) and
 *             one histogram, zero at start (the struct lives in struct
 *             am_ctx, calloc'ed). The session counts connections and aborts
 *             as they happen, every decision with am_stats_count() and the
 *             time of each end of message with am_stats_add_time(); the
 *             reload thread counts reloads. Hot-path cost: a few relaxed
 *             atomic additions per message, no lock
 *             (tests/bench/statsbench measures it).
 *
 *             am_stats_count() counts one decision (results.h, verdict.h;
 *             both borrowed for the call). At AM_RESULTS_MAIL: a violated
 *             RequireTLS rule (tls.policy_violations), and, when the
 *             verdict refuses the transaction, the message (its direction
 *             and disposition). At AM_RESULTS_EOM: the message (direction
 *             and disposition), the forged headers it deletes, its
 *             internal errors, its TLS mode and version; an accepted (or
 *             quarantined) outbound message with signatures, and each
 *             signature by the algorithm in its a= tag; for inbound
 *             checks, the SPF result (MAIL FROM, else HELO, when SPF ran),
 *             the DKIM outcome and the DMARC result applied, and, when its
 *             author domain has a record, the disposition applied (after
 *             overrides) and the override, if any.
 *             am_stats_add_time() adds now - *start (CLOCK_MONOTONIC) to
 *             the processing-time histogram: the session passes the time
 *             its end-of-message call began, so the histogram holds what
 *             the MTA waits for at the end of each message.
 *
 *             am_stats_format() appends the counters to out as stable
 *             "name value\n" lines (lower-case name, decimal value), in this
 *             order:
 *               time                 when the snapshot was made (Unix s)
 *               uptime               seconds since the daemon started
 *               connections          SMTP connections seen
 *               messages             messages decided (end of message, or
 *                                    refused at MAIL FROM by RequireTLS);
 *                                    = accept + reject + tempfail
 *               messages.inbound     of them verified (inbound)
 *               messages.outbound    of them treated as outbound
 *               aborted              transactions the MTA aborted
 *               verdict.accept       accepted (quarantined ones included)
 *               verdict.reject       rejected (5xx)
 *               verdict.tempfail     tempfailed (4xx)
 *               verdict.quarantine   quarantined (held)
 *               forged_removed       forged headers removed
 *               internal_errors      OnInternalError applied
 *               tls.none tls.starttls tls.implicit
 *                                    messages per TLS mode
 *               tls.version.tlsv1 tls.version.tlsv1.1 tls.version.tlsv1.2
 *               tls.version.tlsv1.3 tls.version.other
 *                                    TLS messages per protocol version
 *               tls.policy_violations  RequireTLS rules violated
 *               spf.pass spf.fail spf.softfail spf.neutral spf.none
 *               spf.temperror spf.permerror
 *                                    inbound messages per SPF result (the
 *                                    MAIL FROM result, else the HELO one)
 *               dkim.pass            inbound messages with a passing
 *                                    signature
 *               dkim.fail            signed, but no signature passed
 *               dkim.none            unsigned
 *               dmarc.pass dmarc.fail dmarc.none dmarc.temperror
 *               dmarc.permerror      inbound messages per DMARC result
 *               signed               accepted outbound messages that got
 *                                    DKIM-Signature headers
 *               reloads              successful reloads (SIGUSR1)
 *               reload_failures      rejected reloads
 *               dns.dnssec_disabled  a gauge: 1 while DNSSEC validation is
 *                                    off because the resolvers cannot
 *                                    validate the built-in trust anchor
 *                                    (lib/pipeline/ctx.h "DNSSEC"), else 0
 *             and, when rep is not NULL (ReportStore is set), the
 *             aggregate-report store's counters (lib/report/report_store.h):
 *               reports.enqueued     report rows handed to the store
 *               reports.written      rows committed to the SQLite file
 *               reports.dropped      rows lost (queue full, or still
 *                                    unwritable at shutdown)
 *               reports.write_errors failed open/write attempts
 *               reports.queue        rows waiting now
 *               reports.failing      1 while the store cannot be written
 *             Readers must ignore names they do not know (new counters are
 *             added, never renamed). started and now are Unix times; uptime
 *             is 0 when now < started. Fails (AM_PERMFAIL, out unchanged
 *             beyond its cap) only when out is too small. The DNS counters,
 *             the histograms and the counters added with the metrics
 *             endpoint (direction x disposition, DMARC dispositions and
 *             overrides, signature algorithms) are not in this text: the
 *             file keeps the format above, byte for byte
 *             (tests/data/pipeline/statsfile.golden).
 *
 *             am_stats_format_prom() appends the same counters (rep may be
 *             NULL; version is the daemon's) in the Prometheus text
 *             exposition format 0.0.4, HELP and TYPE before each family,
 *             label values escaped; whole or not at all (AM_PERMFAIL when
 *             out is too small). The families, in this order (stats_prom.c
 *             has their HELP texts; README "Metrics"):
 *               authmilter_build_info{version}            gauge, 1
 *               authmilter_start_time_seconds             gauge
 *               authmilter_connections_total
 *               authmilter_messages_total{direction=inbound|outbound,
 *                   action=accept|quarantine|reject|tempfail}
 *               authmilter_aborted_transactions_total
 *               authmilter_forged_headers_removed_total
 *               authmilter_internal_errors_total
 *               authmilter_tls_messages_total{mode=none|starttls|implicit}
 *               authmilter_tls_version_messages_total{version=other|TLSv1|
 *                   TLSv1.1|TLSv1.2|TLSv1.3}
 *               authmilter_tls_policy_violations_total
 *               authmilter_results_total{method=spf|dkim|dmarc,result}
 *               authmilter_dmarc_dispositions_total{disposition=none|
 *                   quarantine|reject}
 *               authmilter_dmarc_overrides_total{reason=sampled_out|
 *                   local_policy|trusted_forwarder|mailing_list|
 *                   policy_test_mode}
 *               authmilter_signed_messages_total
 *               authmilter_signatures_total{algorithm=rsa-sha256|
 *                   ed25519-sha256|other}
 *               authmilter_config_reloads_total
 *               authmilter_config_reload_errors_total
 *               authmilter_dnssec_disabled                gauge
 *               authmilter_dns_queries_total
 *               authmilter_dns_answers_total{class=ok|nxdomain|nodata|
 *                   servfail|refused|bogus|error}
 *               authmilter_dns_timeouts_total
 *               authmilter_dns_lookup_seconds             histogram
 *               authmilter_message_processing_seconds     histogram
 *             and with rep: authmilter_report_rows_enqueued_total,
 *             _rows_written_total, _rows_dropped_total,
 *             _write_errors_total (counters), authmilter_report_queue_rows
 *             and authmilter_report_store_failing (gauges). Every name
 *             without a type above is a counter.
 *
 *             am_stats_write() formats the counters (and rep, may be NULL)
 *             with now = time(NULL)
 *             and replaces path atomically: a temporary file in the same
 *             directory (mode 0644) is written whole, then renamed over
 *             path, so a reader sees the old file or the new one, never a
 *             mix. On failure the temporary file is removed and why says
 *             what failed (AM_TEMPFAIL).
 *
 *             am_stats_read() loads and checks a file written that way into
 *             snap (caller's storage): every line must be "name value"
 *             (name of [a-z0-9._], at most AM_STATS_NAME_MAX - 1 bytes; value
 *             a decimal unsigned 64-bit number), no name twice, at most
 *             AM_STATS_MAX_ENTRIES lines, a final newline, and "time" and
 *             "uptime" present. A missing or unreadable file is AM_TEMPFAIL,
 *             a malformed one AM_PERMFAIL naming the line; why says which.
 *             am_stats_parse() does the same on text already in memory.
 *             am_stats_lookup() finds a value by name (false when absent).
 * THREADS     counters: atomics, no lock, any thread. format/write read
 *             them with relaxed loads (a snapshot taken while mail flows is
 *             not a single instant; each counter is exact). read/parse/lookup
 *             touch only the caller's snapshot.
 * DIAGNOSTICS AM_TEMPFAIL / AM_PERMFAIL with the reason in why; lib/ does not
 *             log. abort() on NULL arguments.
 */
#ifndef AM_STATS_H
#define AM_STATS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/am.h"
#include "core/buf.h"
#include "core/histogram.h"
#include "dns/dns.h"
#include "pipeline/results.h"
#include "pipeline/verdict.h"
#include "report/report_store.h"

/* SPF result counters, in output order. */
enum am_stats_spf {
	AM_STATS_SPF_PASS = 0,
	AM_STATS_SPF_FAIL,
	AM_STATS_SPF_SOFTFAIL,
	AM_STATS_SPF_NEUTRAL,
	AM_STATS_SPF_NONE,
	AM_STATS_SPF_TEMPERROR,
	AM_STATS_SPF_PERMERROR,
	AM_STATS_SPF_COUNT
};

/* DKIM per message: a passing signature, signed without one, unsigned. */
enum am_stats_dkim {
	AM_STATS_DKIM_PASS = 0,
	AM_STATS_DKIM_FAIL,
	AM_STATS_DKIM_NONE,
	AM_STATS_DKIM_COUNT
};

/* DMARC result counters, in output order. */
enum am_stats_dmarc {
	AM_STATS_DMARC_PASS = 0,
	AM_STATS_DMARC_FAIL,
	AM_STATS_DMARC_NONE,
	AM_STATS_DMARC_TEMPERROR,
	AM_STATS_DMARC_PERMERROR,
	AM_STATS_DMARC_COUNT
};

/* Dispositions of the DMARC result applied (the policy after overrides),
 * for messages whose author domain has a record. */
enum am_stats_dmarc_disp {
	AM_STATS_DMARC_DISP_NONE = 0,
	AM_STATS_DMARC_DISP_QUARANTINE,
	AM_STATS_DMARC_DISP_REJECT,
	AM_STATS_DMARC_DISP_COUNT
};

/* Signature algorithms (the a= tag of the signatures made). */
enum am_stats_alg {
	AM_STATS_ALG_RSA_SHA256 = 0,
	AM_STATS_ALG_ED25519_SHA256,
	AM_STATS_ALG_OTHER,
	AM_STATS_ALG_COUNT
};

#define AM_STATS_NDISP 4	/* enum am_disposition values */
#define AM_STATS_NMODE 2	/* enum am_mode values */
#define AM_STATS_NOVERRIDE 6	/* enum am_dmarc_override values */

/* Counters since start; all monotonic; units are events (messages unless
 * said otherwise). */
struct am_stats {
	atomic_ullong connections;	/* connections opened */
	atomic_ullong decided[AM_STATS_NDISP][AM_STATS_NMODE];
					/* messages decided, per final
					 * disposition (enum am_disposition:
					 * accept, quarantine, reject,
					 * tempfail) and direction (enum
					 * am_mode: inbound, outbound); the
					 * file's messages, messages.inbound,
					 * verdict.* are sums of these */
	atomic_ullong aborted;		/* transactions aborted by the MTA */
	atomic_ullong forged_removed;	/* forged headers deleted */
	atomic_ullong internal_errors;	/* OnInternalError applied */
	atomic_ullong tls_mode[3];	/* per enum am_tls_mode: none,
					 * starttls, implicit */
	atomic_ullong tls_version[5];	/* SSLv3/other, TLSv1, 1.1, 1.2, 1.3 */
	atomic_ullong tls_policy_hits;	/* RequireTLS rules violated */
	atomic_ullong spf[AM_STATS_SPF_COUNT];	/* per enum am_stats_spf */
	atomic_ullong dkim[AM_STATS_DKIM_COUNT];	/* per am_stats_dkim */
	atomic_ullong dmarc[AM_STATS_DMARC_COUNT];	/* per am_stats_dmarc */
	atomic_ullong dmarc_disp[AM_STATS_DMARC_DISP_COUNT];
					/* per am_stats_dmarc_disp */
	atomic_ullong dmarc_override[AM_STATS_NOVERRIDE];
					/* per enum am_dmarc_override (index
					 * 0, none, is never counted) */
	atomic_ullong signed_msgs;	/* outbound messages signed */
	atomic_ullong sig_alg[AM_STATS_ALG_COUNT];	/* signatures made, per
							 * am_stats_alg */
	atomic_ullong reloads;		/* successful reloads */
	atomic_ullong reload_failures;	/* rejected reloads */
	atomic_ullong dnssec_disabled;	/* gauge, not a counter: 1 while the
					 * running configuration has DNSSEC
					 * validation turned off because the
					 * resolvers cannot validate the
					 * built-in trust anchor (ctx.h) */
	struct am_dns_counters dns;	/* every resolver the process ran
					 * (dns.h; attached by ctx.c) */
	struct am_histogram eom_time;	/* per message: end of message to
					 * the decision, ns
					 * (am_stats_add_time) */
};

#define AM_STATS_NAME_MAX 48		/* bytes of a name, with its NUL */
#define AM_STATS_MAX_ENTRIES 128	/* lines in a stats file */
#define AM_STATS_MAX_BYTES 8192		/* size of a stats file */

/* One parsed stats file. */
struct am_stats_snapshot {
	size_t n;			/* entries used */
	struct {
		char name[AM_STATS_NAME_MAX];	/* counter name */
		unsigned long long value;	/* its value */
	} e[AM_STATS_MAX_ENTRIES];	/* in file order */
};

void am_stats_count(struct am_stats *st, const struct am_results *r,
    const struct am_verdict *v);
void am_stats_add_time(struct am_stats *st, const struct timespec *start);
enum am_status am_stats_format(const struct am_stats *st,
    const struct am_report_counters *rep, time_t started, time_t now,
    struct am_buf *out);
enum am_status am_stats_write(const char *path, const struct am_stats *st,
    const struct am_report_counters *rep, time_t started,
    struct am_why *why);
enum am_status am_stats_parse(const char *text, size_t len,
    struct am_stats_snapshot *snap, struct am_why *why);
enum am_status am_stats_read(const char *path, struct am_stats_snapshot *snap,
    struct am_why *why);
bool am_stats_lookup(const struct am_stats_snapshot *snap, const char *name,
    unsigned long long *value);
enum am_status am_stats_format_prom(const struct am_stats *st,
    const struct am_report_counters *rep, const char *version,
    time_t started, struct am_buf *out);

#endif
