/*
 * stats_prom.c - the counters of stats.h in the Prometheus text exposition
 * format, version 0.0.4 (the format every Prometheus server scrapes; see
 * the Prometheus documentation "Exposition formats"): per family one
 * "# HELP name text" and one "# TYPE name type" line, then its samples,
 * "name{label="value",...} value". The same atomics as the StatsFile
 * (stats.c), read with relaxed loads: one source, two formats.
 *
 * One table lists the families in output order; each entry says how its
 * samples are written: one counter, one counter per label value, the
 * messages matrix, the results per method, or a histogram. Adding an
 * authentication method to authmilter_results_total is one line of
 * methods[] (and its counters in struct am_stats). Names follow the
 * Prometheus conventions: authmilter_ prefix, _total on counters, base
 * units (_seconds), label values escaped (\\, \", \n), HELP escaped (\\,
 * \n). Sums of histograms are printed exactly from nanoseconds.
 */
#include "autoconf.h"

#include <string.h>

#include "core/buf.h"
#include "pipeline/stats.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define C(field) offsetof(struct am_stats, field)
#define W sizeof(atomic_ullong)
#define PFX "authmilter_"

struct family;
typedef enum am_status (*write_fn)(struct am_buf *out,
    const struct am_stats *st, const struct family *f);

/* One metric family and how its samples are written. */
struct family {
	const char *name;	/* without the authmilter_ prefix */
	const char *type;	/* counter, gauge or histogram */
	const char *help;	/* one line */
	write_fn write;		/* writes the samples */
	const char *label;	/* write_plain: the label, NULL for none */
	const char *const *values;	/* write_plain: value of sample i */
	size_t n;		/* write_plain: samples */
	size_t off;		/* of the first atomic (or the histogram) */
	size_t step;		/* write_plain: bytes between two samples */
};

/* ------------------------------------------------------- label values */

static const char *const directions[] = { "inbound", "outbound" };
static const char *const actions[] = { "accept", "quarantine", "reject",
	"tempfail" };	/* enum am_disposition order */
static const char *const tls_modes[] = { "none", "starttls", "implicit" };
static const char *const tls_versions[] = { "other", "TLSv1", "TLSv1.1",
	"TLSv1.2", "TLSv1.3" };	/* struct am_stats tls_version order */
static const char *const spf_results[] = { "pass", "fail", "softfail",
	"neutral", "none", "temperror", "permerror" };
static const char *const dkim_results[] = { "pass", "fail", "none" };
static const char *const dmarc_results[] = { "pass", "fail", "none",
	"temperror", "permerror" };
static const char *const dmarc_disps[] = { "none", "quarantine", "reject" };
static const char *const overrides[] = { "sampled_out", "local_policy",
	"trusted_forwarder", "mailing_list", "policy_test_mode" };
static const char *const algorithms[] = { "rsa-sha256", "ed25519-sha256",
	"other" };
static const char *const dns_classes[] = { "ok", "nxdomain", "nodata",
	"servfail", "refused", "bogus", "error" };

_Static_assert(NELEM(actions) == AM_STATS_NDISP, "actions");
_Static_assert(NELEM(directions) == AM_STATS_NMODE, "directions");
_Static_assert(NELEM(spf_results) == AM_STATS_SPF_COUNT, "spf");
_Static_assert(NELEM(dkim_results) == AM_STATS_DKIM_COUNT, "dkim");
_Static_assert(NELEM(dmarc_results) == AM_STATS_DMARC_COUNT, "dmarc");
_Static_assert(NELEM(dmarc_disps) == AM_STATS_DMARC_DISP_COUNT, "disps");
_Static_assert(NELEM(overrides) + 1 == AM_STATS_NOVERRIDE, "overrides");
_Static_assert(NELEM(algorithms) == AM_STATS_ALG_COUNT, "algorithms");
_Static_assert(NELEM(dns_classes) == AM_DNS_CLASS_COUNT, "dns classes");

/* The authentication methods of authmilter_results_total: one line each. */
static const struct method {
	const char *name;		/* label method="" */
	size_t off;			/* its first counter in am_stats */
	const char *const *results;	/* label result="" of counter i */
	size_t n;			/* counters */
} methods[] = {
	{ "spf", C(spf), spf_results, NELEM(spf_results) },
	{ "dkim", C(dkim), dkim_results, NELEM(dkim_results) },
	{ "dmarc", C(dmarc), dmarc_results, NELEM(dmarc_results) },
};

/* ------------------------------------------------------- writing */

/* load - the atomic off bytes into st. */
static unsigned long long
load(const struct am_stats *st, size_t off)
{
	return atomic_load_explicit((const atomic_ullong *)(const void *)
	    ((const char *)st + off), memory_order_relaxed);
}

/* put_escaped - s with '\\' and '\n' escaped, and '"' too when is_label. */
static enum am_status
put_escaped(struct am_buf *out, const char *s, bool is_label)
{
	enum am_status rc = AM_OK;

	for (; rc == AM_OK && *s != '\0'; s++) {
		if (*s == '\\')
			rc = am_buf_puts(out, "\\\\");
		else if (*s == '\n')
			rc = am_buf_puts(out, "\\n");
		else if (*s == '"' && is_label)
			rc = am_buf_puts(out, "\\\"");
		else
			rc = am_buf_putc(out, *s);
	}
	return rc;
}

/* put_label - name="value" (value escaped), after a ',' unless first. */
static enum am_status
put_label(struct am_buf *out, bool is_first, const char *name,
    const char *value)
{
	if (am_buf_printf(out, "%s%s=\"", is_first ? "" : ",", name) != AM_OK ||
	    put_escaped(out, value, true) != AM_OK)
		return AM_PERMFAIL;
	return am_buf_putc(out, '"');
}

/* head - the HELP and TYPE lines of a family. */
static enum am_status
head(struct am_buf *out, const char *name, const char *type, const char *help)
{
	if (am_buf_printf(out, "# HELP " PFX "%s ", name) != AM_OK ||
	    put_escaped(out, help, false) != AM_OK)
		return AM_PERMFAIL;
	return am_buf_printf(out, "\n# TYPE " PFX "%s %s\n", name, type);
}

/* sample2 - name{l1="v1",l2="v2"} value; l1 and l2 may be NULL. */
static enum am_status
sample2(struct am_buf *out, const char *name, const char *l1, const char *v1,
    const char *l2, const char *v2, unsigned long long value)
{
	if (am_buf_printf(out, PFX "%s", name) != AM_OK)
		return AM_PERMFAIL;
	if (l1 != NULL && (am_buf_putc(out, '{') != AM_OK ||
	    put_label(out, true, l1, v1) != AM_OK ||
	    (l2 != NULL && put_label(out, false, l2, v2) != AM_OK) ||
	    am_buf_putc(out, '}') != AM_OK))
		return AM_PERMFAIL;
	return am_buf_printf(out, " %llu\n", value);
}

/* write_plain - one sample, or one per label value. */
static enum am_status
write_plain(struct am_buf *out, const struct am_stats *st,
    const struct family *f)
{
	enum am_status rc = AM_OK;
	size_t i;

	if (f->label == NULL)
		return sample2(out, f->name, NULL, NULL, NULL, NULL,
		    load(st, f->off));
	for (i = 0; rc == AM_OK && i < f->n; i++)
		rc = sample2(out, f->name, f->label, f->values[i], NULL, NULL,
		    load(st, f->off + i * f->step));
	return rc;
}

/* write_messages - messages per direction and final action. */
static enum am_status
write_messages(struct am_buf *out, const struct am_stats *st,
    const struct family *f)
{
	enum am_status rc = AM_OK;
	size_t m, d;

	for (m = 0; rc == AM_OK && m < AM_STATS_NMODE; m++)
		for (d = 0; rc == AM_OK && d < AM_STATS_NDISP; d++)
			rc = sample2(out, f->name, "direction", directions[m],
			    "action", actions[d], load(st, C(decided) +
			    (d * AM_STATS_NMODE + m) * W));
	return rc;
}

/* write_results - results per authentication method (methods[]). */
static enum am_status
write_results(struct am_buf *out, const struct am_stats *st,
    const struct family *f)
{
	enum am_status rc = AM_OK;
	size_t m, i;

	for (m = 0; rc == AM_OK && m < NELEM(methods); m++)
		for (i = 0; rc == AM_OK && i < methods[m].n; i++)
			rc = sample2(out, f->name, "method", methods[m].name,
			    "result", methods[m].results[i],
			    load(st, methods[m].off + i * W));
	return rc;
}

/* write_histogram - cumulative buckets, +Inf, sum (s, exact) and count. */
static enum am_status
write_histogram(struct am_buf *out, const struct am_stats *st,
    const struct family *f)
{
	const struct am_histogram *h = (const struct am_histogram *)
	    (const void *)((const char *)st + f->off);
	struct am_histogram_snapshot s;
	enum am_status rc = AM_OK;
	size_t i;

	am_histogram_load(h, &s);
	for (i = 0; rc == AM_OK && i < AM_HISTOGRAM_NBOUNDS; i++)
		rc = am_buf_printf(out, PFX "%s_bucket{le=\"%s\"} %llu\n",
		    f->name, am_histogram_le[i], s.cum[i]);
	if (rc != AM_OK)
		return rc;
	return am_buf_printf(out, PFX "%s_bucket{le=\"+Inf\"} %llu\n"
	    PFX "%s_sum %llu.%09llu\n" PFX "%s_count %llu\n", f->name,
	    s.count, f->name, s.sum_ns / 1000000000ULL,
	    s.sum_ns % 1000000000ULL, f->name, s.count);
}

#define ONE(name, type, help, field) \
	{ name, type, help, write_plain, NULL, NULL, 1, C(field), 0 }
#define PER(name, help, label, values, field) \
	{ name, "counter", help, write_plain, label, values, NELEM(values), \
	  C(field), W }

/* The families, in output order. */
static const struct family families[] = {
	ONE("connections_total", "counter", "SMTP connections seen.",
	    connections),
	{ "messages_total", "counter", "Messages decided, by direction and "
	  "final action (quarantine: accepted and held).", write_messages,
	  NULL, NULL, 0, 0, 0 },
	ONE("aborted_transactions_total", "counter", "Transactions the MTA "
	    "aborted before the end of the message.", aborted),
	ONE("forged_headers_removed_total", "counter", "Incoming headers "
	    "claiming our authserv-id that were removed.", forged_removed),
	ONE("internal_errors_total", "counter", "Own failures for which "
	    "OnInternalError was applied.", internal_errors),
	PER("tls_messages_total", "Messages by how the SMTP client connected.",
	    "mode", tls_modes, tls_mode),
	PER("tls_version_messages_total", "TLS messages by protocol version.",
	    "version", tls_versions, tls_version),
	ONE("tls_policy_violations_total", "counter", "RequireTLS rules "
	    "violated.", tls_policy_hits),
	{ "results_total", "counter", "Inbound messages by authentication "
	  "method and result (spf: MAIL FROM, else HELO; dkim: pass = a "
	  "signature passed, fail = signed but none passed, none = unsigned; "
	  "dmarc: the result applied).", write_results, NULL, NULL, 0, 0, 0 },
	PER("dmarc_dispositions_total", "Inbound messages whose author domain "
	    "publishes DMARC, by the disposition applied after overrides.",
	    "disposition", dmarc_disps, dmarc_disp),
	{ "dmarc_overrides_total", "counter", "DMARC policies not applied as "
	  "published, by reason (RFC 7489 PolicyOverrideType).", write_plain,
	  "reason", overrides, NELEM(overrides), C(dmarc_override[1]), W },
	ONE("signed_messages_total", "counter", "Outbound messages accepted "
	    "with DKIM signatures.", signed_msgs),
	PER("signatures_total", "DKIM signatures made, by algorithm.",
	    "algorithm", algorithms, sig_alg),
	ONE("config_reloads_total", "counter", "Configuration reloads "
	    "applied (SIGUSR1).", reloads),
	ONE("config_reload_errors_total", "counter", "Configuration reloads "
	    "rejected (the running configuration was kept).", reload_failures),
	ONE("dnssec_disabled", "gauge", "1 while DNSSEC validation is off "
	    "because the resolvers cannot validate the built-in trust "
	    "anchor, else 0.", dnssec_disabled),
	ONE("dns_queries_total", "counter", "DNS queries sent to the resolver "
	    "(libunbound; answers from its cache included).", dns.queries),
	PER("dns_answers_total", "DNS answers by class.", "class", dns_classes,
	    dns.answers),
	ONE("dns_timeouts_total", "counter", "DNS lookups that ended in a "
	    "timeout (DNSTimeout, or the message's DNS budget).",
	    dns.timeouts),
	{ "dns_lookup_seconds", "histogram", "Time from sending a DNS query "
	  "to its answer.", write_histogram, NULL, NULL, 0, C(dns.latency),
	  0 },
	{ "message_processing_seconds", "histogram", "Time from the end of a "
	  "message to the decision (what the MTA waits for).",
	  write_histogram, NULL, NULL, 0, C(eom_time), 0 },
};

/* write_reports - the report store's counters and gauges. */
static enum am_status
write_reports(struct am_buf *out, const struct am_report_counters *rep)
{
	static const struct {
		const char *name, *type, *help;
	} h[] = {
		{ "report_rows_enqueued_total", "counter", "Aggregate-report "
		  "rows handed to the store." },
		{ "report_rows_written_total", "counter", "Report rows "
		  "committed to the store." },
		{ "report_rows_dropped_total", "counter", "Report rows lost "
		  "(queue full, or still unwritable at shutdown)." },
		{ "report_write_errors_total", "counter", "Failed attempts to "
		  "open or write the report store." },
		{ "report_queue_rows", "gauge", "Report rows waiting to be "
		  "written." },
		{ "report_store_failing", "gauge", "1 while the report store "
		  "cannot be written, else 0." },
	};
	const unsigned long long v[] = { rep->enqueued, rep->written,
		rep->dropped, rep->write_errors, rep->queue_depth,
		rep->is_failing ? 1 : 0 };
	enum am_status rc = AM_OK;
	size_t i;

	for (i = 0; rc == AM_OK && i < NELEM(h); i++)
		if ((rc = head(out, h[i].name, h[i].type, h[i].help)) == AM_OK)
			rc = sample2(out, h[i].name, NULL, NULL, NULL, NULL,
			    v[i]);
	return rc;
}

/* am_stats_format_prom - the exposition text, whole or not at all. */
enum am_status
am_stats_format_prom(const struct am_stats *st,
    const struct am_report_counters *rep, const char *version,
    time_t started, struct am_buf *out)
{
	size_t i, mark;
	enum am_status rc;

	if (st == NULL || version == NULL || out == NULL)
		AM_PANIC("am_stats_format_prom: NULL argument");
	mark = out->len;
	rc = head(out, "build_info", "gauge", "Always 1; the version of the "
	    "running daemon in its label.");
	if (rc == AM_OK)
		rc = sample2(out, "build_info", "version", version, NULL, NULL,
		    1);
	if (rc == AM_OK)
		rc = head(out, "start_time_seconds", "gauge", "When the daemon "
		    "started, in seconds since the Unix epoch.");
	if (rc == AM_OK)
		rc = am_buf_printf(out, PFX "start_time_seconds %lld\n",
		    (long long)started);
	for (i = 0; rc == AM_OK && i < NELEM(families); i++)
		if ((rc = head(out, families[i].name, families[i].type,
		    families[i].help)) == AM_OK)
			rc = families[i].write(out, st, &families[i]);
	if (rc == AM_OK && rep != NULL)
		rc = write_reports(out, rep);
	if (rc != AM_OK)
		am_buf_truncate(out, mark);
	return rc;
}
