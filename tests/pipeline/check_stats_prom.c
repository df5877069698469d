/*
 * check_stats_prom - the Prometheus exposition text of the counters
 * (am_stats_format_prom, lib/pipeline/stats_prom.c) and the StatsFile text
 * from the same counters:
 *  - one known state (a run of decisions through am_stats_count, DNS
 *    counters and histograms set by hand) gives exactly
 *    tests/data/pipeline/metrics.golden (AM_WRITE_GOLDEN=1 rewrites it), and
 *    exactly tests/data/pipeline/statsfile.golden, the StatsFile text the
 *    code before the metrics endpoint wrote for the same decisions (never
 *    rewritten: the file format must not change);
 *  - a parser check of the text: every line is a HELP, a TYPE or a sample
 *    of the 0.0.4 grammar, every family has HELP and TYPE before its
 *    samples, counters end in _total, no series twice, histogram buckets
 *    ascend in le, are cumulative (monotone), end in le="+Inf" equal to
 *    _count, with a _sum;
 *  - the values agree with the StatsFile's (one source, two formats);
 *  - label values are escaped; too small a buffer fails and keeps it;
 *  - promtool check metrics (Debian package prometheus) accepts the text,
 *    when promtool is installed (contrib/install-deps.sh installs it; a
 *    note says when it is not).
 */
#include "autoconf.h"

#include <check.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "pipeline/stats.h"
#include "testutil/testutil.h"

#define GOLDEN_PROM AM_TOP_SRCDIR "/tests/data/pipeline/metrics.golden"
#define GOLDEN_FILE AM_TOP_SRCDIR "/tests/data/pipeline/statsfile.golden"
#define MS 1000000ULL

/* One decision of the known state. */
struct step {
	int stage, mode, disp, tls_mode;
	const char *tls_version;
	size_t ndel;
	unsigned errors;
	int spf, dkim, dmarc;		/* -1: not run */
	int dmarc_disp;			/* enum am_dmarc_policy; -1: no record */
	int override;			/* enum am_dmarc_override */
	size_t nsigs;
};

static const struct step steps[] = {
	{ 1, 0, 0, 1, "TLSv1.3", 1, 0, AM_SPF_PASS, AM_DKIM_PASS,
	  AM_DMARC_PASS, AM_DMARC_POLICY_NONE, 0, 0 },
	{ 1, 0, 1, 2, "TLSv1.2", 0, 1, AM_SPF_FAIL, AM_DKIM_FAIL,
	  AM_DMARC_FAIL, AM_DMARC_POLICY_QUARANTINE, 0, 0 },
	{ 1, 0, 2, 0, "", 0, 0, AM_SPF_SOFTFAIL, -1, AM_DMARC_NONE, -1, 0, 0 },
	{ 1, 1, 0, 1, "TLSv1", 0, 0, 0, -1, -1, -1, 0, 2 },
	{ 1, 1, 3, 0, "", 0, 4, 0, -1, -1, -1, 0, 2 },
	{ 0, 0, 2, 0, "", 0, 0, 0, -1, -1, -1, 0, 0 },
	{ 1, 0, 3, 2, "SSLv3", 2, 0, AM_SPF_TEMPERROR, AM_DKIM_PASS,
	  AM_DMARC_TEMPERROR, AM_DMARC_POLICY_NONE,
	  AM_DMARC_OVERRIDE_SAMPLED_OUT, 0 },
};

/* count_step - the results and verdict of c into st. */
static void
count_step(struct am_stats *st, const struct step *c)
{
	struct am_tls_status tls = { .mode = c->tls_mode };
	struct am_spf_result spf = { .is_checked = true, .result = c->spf };
	struct am_dkim_sig sig = { .result = c->dkim };
	struct am_dkim_results dkim = { c->dkim >= 0, &sig };
	struct am_results_sig sigs[2] = {
		{ "v=1; a=rsa-sha256; b=x", "d", "s" },
		{ "v=1;\n\t a = ed25519-sha256 ;", "d", "t" } };
	struct am_results r;
	struct am_verdict v;
	size_t i;

	am_results_init(&r, c->stage);
	am_verdict_init(&v);
	(void)snprintf(tls.version, sizeof(tls.version), "%s", c->tls_version);
	r.tls = &tls;
	v.mode = c->mode;
	v.disp = c->disp;
	v.errors = c->errors;
	for (i = 0; i < c->ndel; i++)
		am_verdict_delete(&v, "X", i + 1);
	r.has_inbound = c->mode == AM_MODE_INBOUND;
	r.spf_mfrom = r.spf_helo = &spf;
	r.dkim = &dkim;
	if (c->dmarc >= 0) {
		v.dmarc = calloc(1, sizeof(*v.dmarc));
		ck_assert_ptr_nonnull(v.dmarc);
		v.dmarc->result = c->dmarc;
		v.dmarc->has_record = c->dmarc_disp >= 0;
		v.dmarc->disposition = c->dmarc_disp >= 0 ? c->dmarc_disp : 0;
		v.dmarc->override = c->override;
	}
	r.nsigs = c->nsigs;
	r.sigs = sigs;
	r.sign = c->nsigs ? AM_SIGN_DONE : AM_SIGN_NOT_RUN;
	r.tls_policy = c->disp == AM_DISP_REJECT && c->stage == 0 ?
	    AM_TLS_POLICY_REJECT : AM_TLS_POLICY_OK;
	am_stats_count(st, &r, &v);
	am_verdict_release(&v);
}

/* known_state - the state both golden files were made from. */
static struct am_stats *
known_state(void)
{
	struct am_stats *st = calloc(1, sizeof(*st));
	size_t i, k;

	ck_assert_ptr_nonnull(st);
	atomic_store(&st->connections, 42);
	atomic_store(&st->aborted, 3);
	atomic_store(&st->reloads, 2);
	atomic_store(&st->reload_failures, 1);
	atomic_store(&st->dnssec_disabled, 1);
	for (k = 0; k < 3; k++)
		for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
			count_step(st, &steps[i]);
	atomic_store(&st->dns.queries, 120);
	atomic_store(&st->dns.answers[AM_DNS_CLASS_OK], 90);
	atomic_store(&st->dns.answers[AM_DNS_CLASS_NXDOMAIN], 20);
	atomic_store(&st->dns.answers[AM_DNS_CLASS_SERVFAIL], 4);
	atomic_store(&st->dns.timeouts, 6);
	for (i = 0; i < 114; i++)
		am_histogram_add(&st->dns.latency, (i % 6) * 7 * MS + 250000);
	am_histogram_add(&st->eom_time, 12 * MS);
	am_histogram_add(&st->eom_time, 120 * MS);
	am_histogram_add(&st->eom_time, 45000 * MS);
	return st;
}

static const struct am_report_counters rep = { 5, 4, 1, 2, 3, true };

/* ------------------------------------------------------- the parser */

#define NAME "[a-zA-Z_:][a-zA-Z0-9_:]*"
#define LVAL "\"([^\"\\\\\n]|\\\\[\\\\\"n])*\""
#define LABEL "[a-zA-Z_][a-zA-Z0-9_]*=" LVAL

struct series {
	char key[256];		/* name{labels} */
	double value;
};

struct parsed {
	struct series s[512];	/* every sample, in order */
	size_t n;
	char fam[64][64];	/* families with HELP and TYPE */
	char type[64][16];	/* their types */
	size_t nfam;
};

/* family_of - the family a sample name belongs to, or -1. */
static int
family_of(const struct parsed *p, const char *name)
{
	size_t i, len;

	for (i = 0; i < p->nfam; i++) {
		len = strlen(p->fam[i]);
		if (strcmp(name, p->fam[i]) == 0)
			return (int)i;
		if (strcmp(p->type[i], "histogram") == 0 &&
		    strncmp(name, p->fam[i], len) == 0 &&
		    (strcmp(name + len, "_bucket") == 0 ||
		    strcmp(name + len, "_sum") == 0 ||
		    strcmp(name + len, "_count") == 0))
			return (int)i;
	}
	return -1;
}

/* parse_text - check every line of text against the grammar into p. */
static void
parse_text(const char *text, struct parsed *p)
{
	regex_t help, type, sample;
	regmatch_t m[4];
	char line[1024], name[128], *end;
	const char *nl;
	bool has_help = false;
	int f;

	ck_assert_int_eq(regcomp(&help, "^# HELP (" NAME ") ([^\\\\]|\\\\[\\\\n])*$",
	    REG_EXTENDED), 0);
	ck_assert_int_eq(regcomp(&type, "^# TYPE (" NAME ") (counter|gauge|"
	    "histogram|summary|untyped)$", REG_EXTENDED), 0);
	ck_assert_int_eq(regcomp(&sample, "^(" NAME ")(\\{" LABEL "(," LABEL
	    ")*\\})? ([^ ]+)$", REG_EXTENDED), 0);
	memset(p, 0, sizeof(*p));
	ck_assert_msg(text[0] != '\0' && text[strlen(text) - 1] == '\n',
	    "text must end in a newline");
	for (; *text != '\0'; text = nl + 1) {
		nl = strchr(text, '\n');
		ck_assert((size_t)(nl - text) < sizeof(line));
		memcpy(line, text, (size_t)(nl - text));
		line[nl - text] = '\0';
		if (regexec(&help, line, 2, m, 0) == 0) {
			ck_assert_msg(!has_help, "two HELP lines: %s", line);
			has_help = true;
			continue;
		}
		if (regexec(&type, line, 3, m, 0) == 0) {
			ck_assert_msg(has_help, "TYPE without HELP: %s", line);
			has_help = false;
			ck_assert(p->nfam < 64);
			(void)snprintf(p->fam[p->nfam], sizeof(p->fam[0]), "%.*s",
			    (int)(m[1].rm_eo - m[1].rm_so), line + m[1].rm_so);
			ck_assert_int_lt(family_of(p, p->fam[p->nfam]), 0);
			(void)snprintf(p->type[p->nfam], sizeof(p->type[0]),
			    "%s", line + m[2].rm_so);
			if (strcmp(p->type[p->nfam], "counter") == 0)
				ck_assert_msg(strstr(p->fam[p->nfam], "_total") ==
				    p->fam[p->nfam] + strlen(p->fam[p->nfam]) - 6,
				    "counter %s without _total", p->fam[p->nfam]);
			p->nfam++;
			continue;
		}
		ck_assert_msg(regexec(&sample, line, 2, m, 0) == 0,
		    "not a HELP, TYPE or sample line: \"%s\"", line);
		ck_assert_msg(!has_help, "HELP without TYPE before %s", line);
		(void)snprintf(name, sizeof(name), "%.*s",
		    (int)(m[1].rm_eo - m[1].rm_so), line + m[1].rm_so);
		f = family_of(p, name);
		ck_assert_msg(f >= 0 && (size_t)f == p->nfam - 1,
		    "sample %s outside its family's block (no HELP/TYPE?)",
		    line);
		ck_assert(p->n < 512);
		end = strrchr(line, ' ');
		*end = '\0';
		ck_assert(strlen(line) < sizeof(p->s[0].key));
		memcpy(p->s[p->n].key, line, strlen(line) + 1);
		p->s[p->n].value = strtod(end + 1, &end);
		ck_assert_msg(*end == '\0', "bad value in %s", line);
		for (f = 0; (size_t)f < p->n; f++)
			ck_assert_msg(strcmp(p->s[f].key, p->s[p->n].key) != 0,
			    "series twice: %s", p->s[p->n].key);
		p->n++;
	}
	ck_assert_msg(!has_help, "HELP at the end without TYPE");
	regfree(&help);
	regfree(&type);
	regfree(&sample);
}

/* value_of - the value of series key; fails when absent. */
static double
value_of(const struct parsed *p, const char *key)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (strcmp(p->s[i].key, key) == 0)
			return p->s[i].value;
	ck_abort_msg("no series %s", key);
	return -1;
}

/* check_histograms - every histogram family: ascending le, cumulative,
 * +Inf last and = _count, a _sum. */
static void
check_histograms(const struct parsed *p)
{
	char pfx[128], key[160];
	double le, last_le, last, inf;
	size_t f, i, nb;

	for (f = 0; f < p->nfam; f++) {
		if (strcmp(p->type[f], "histogram") != 0)
			continue;
		(void)snprintf(pfx, sizeof(pfx), "%s_bucket{le=\"", p->fam[f]);
		last_le = -1;
		last = 0;
		inf = -1;
		nb = 0;
		for (i = 0; i < p->n; i++) {
			if (strncmp(p->s[i].key, pfx, strlen(pfx)) != 0)
				continue;
			ck_assert_msg(inf < 0, "%s: a bucket after +Inf",
			    p->fam[f]);
			if (strcmp(p->s[i].key + strlen(pfx), "+Inf\"}") == 0)
				inf = p->s[i].value;
			else {
				le = strtod(p->s[i].key + strlen(pfx), NULL);
				ck_assert_msg(le > last_le, "%s: le not "
				    "ascending at %s", p->fam[f], p->s[i].key);
				last_le = le;
			}
			ck_assert_msg(p->s[i].value >= last, "%s: not "
			    "cumulative at %s", p->fam[f], p->s[i].key);
			last = p->s[i].value;
			nb++;
		}
		ck_assert_msg(inf >= 0 && nb == AM_HISTOGRAM_NBOUNDS + 1,
		    "%s: %zu buckets, +Inf %s", p->fam[f], nb,
		    inf >= 0 ? "present" : "missing");
		(void)snprintf(key, sizeof(key), "%s_count", p->fam[f]);
		ck_assert_msg(value_of(p, key) == inf, "%s: +Inf %g, _count %g",
		    p->fam[f], inf, value_of(p, key));
		(void)snprintf(key, sizeof(key), "%s_sum", p->fam[f]);
		ck_assert(value_of(p, key) >= 0);
	}
}

/* prom_text - the known state's exposition text (owned). */
static char *
prom_text(const char *version, const struct am_report_counters *r)
{
	struct am_stats *st = known_state();
	struct am_buf out;

	am_buf_init(&out, 1 << 20);
	ck_assert_int_eq(am_stats_format_prom(st, r, version, 1700000000, &out),
	    AM_OK);
	free(st);
	return am_buf_export(&out);
}

/* ------------------------------------------------------- tests */

START_TEST(golden_prom)
{
	char *got = prom_text("0.1.0", &rep), *want;
	FILE *fp;

	if (getenv("AM_WRITE_GOLDEN") != NULL) {
		ck_assert_ptr_nonnull(fp = fopen(GOLDEN_PROM, "w"));
		fputs(got, fp);
		ck_assert_int_eq(fclose(fp), 0);
	}
	want = am_test_slurp(GOLDEN_PROM);
	ck_assert_msg(strcmp(got, want) == 0, "got:\n%s\nwant (%s):\n%s", got,
	    GOLDEN_PROM, want);
	free(got);
	free(want);
}
END_TEST

/* The StatsFile text of the known state is byte for byte what the code
 * before the metrics endpoint wrote (the golden file is never rewritten). */
START_TEST(golden_statsfile)
{
	struct am_stats *st = known_state();
	struct am_buf out;
	char *want = am_test_slurp(GOLDEN_FILE);

	am_buf_init(&out, AM_STATS_MAX_BYTES);
	ck_assert_int_eq(am_stats_format(st, &rep, 1000, 2000, &out), AM_OK);
	ck_assert_msg(strcmp(am_buf_str(&out), want) == 0, "got:\n%s\nwant:\n%s",
	    am_buf_str(&out), want);
	am_buf_release(&out);
	free(want);
	free(st);
}
END_TEST

START_TEST(grammar)
{
	struct parsed *p = calloc(1, sizeof(*p));
	char *text = prom_text("0.1.0", &rep);

	ck_assert_ptr_nonnull(p);
	parse_text(text, p);
	check_histograms(p);
	ck_assert_uint_ge(p->nfam, 25);
	free(text);
	/* without a report store: no report_ families, still well formed */
	text = prom_text("0.1.0", NULL);
	parse_text(text, p);
	check_histograms(p);
	ck_assert_ptr_null(strstr(text, "report_"));
	free(text);
	free(p);
}
END_TEST

/* One source, two formats: the StatsFile's values in the metrics. */
START_TEST(same_values)
{
	static const struct {
		const char *file;	/* StatsFile name */
		const char *series;	/* the metric that has its value */
	} same[] = {
		{ "connections", "authmilter_connections_total" },
		{ "aborted", "authmilter_aborted_transactions_total" },
		{ "forged_removed", "authmilter_forged_headers_removed_total" },
		{ "internal_errors", "authmilter_internal_errors_total" },
		{ "tls.starttls", "authmilter_tls_messages_total{mode=\"starttls\"}" },
		{ "tls.version.tlsv1.2",
		  "authmilter_tls_version_messages_total{version=\"TLSv1.2\"}" },
		{ "tls.version.other",
		  "authmilter_tls_version_messages_total{version=\"other\"}" },
		{ "tls.policy_violations",
		  "authmilter_tls_policy_violations_total" },
		{ "spf.softfail", "authmilter_results_total{method=\"spf\","
		  "result=\"softfail\"}" },
		{ "spf.temperror", "authmilter_results_total{method=\"spf\","
		  "result=\"temperror\"}" },
		{ "dkim.pass", "authmilter_results_total{method=\"dkim\","
		  "result=\"pass\"}" },
		{ "dkim.none", "authmilter_results_total{method=\"dkim\","
		  "result=\"none\"}" },
		{ "dmarc.fail", "authmilter_results_total{method=\"dmarc\","
		  "result=\"fail\"}" },
		{ "signed", "authmilter_signed_messages_total" },
		{ "reloads", "authmilter_config_reloads_total" },
		{ "reload_failures", "authmilter_config_reload_errors_total" },
		{ "dns.dnssec_disabled", "authmilter_dnssec_disabled" },
		{ "reports.dropped", "authmilter_report_rows_dropped_total" },
		{ "reports.queue", "authmilter_report_queue_rows" },
	};
	static const char *const actions[] = { "accept", "quarantine",
		"reject", "tempfail" };
	struct parsed *p = calloc(1, sizeof(*p));
	struct am_stats_snapshot *snap = calloc(1, sizeof(*snap));
	struct am_stats *st = known_state();
	unsigned long long v;
	struct am_buf out;
	struct am_why why;
	char *text = prom_text("0.1.0", &rep), key[160];
	double in = 0, outb = 0, a[4] = { 0 };
	size_t i;

	ck_assert(p != NULL && snap != NULL);
	am_buf_init(&out, AM_STATS_MAX_BYTES);
	ck_assert_int_eq(am_stats_format(st, &rep, 0, 1, &out), AM_OK);
	ck_assert_int_eq(am_stats_parse(out.data, out.len, snap, &why), AM_OK);
	parse_text(text, p);
	for (i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		ck_assert(am_stats_lookup(snap, same[i].file, &v));
		ck_assert_msg(value_of(p, same[i].series) == (double)v,
		    "%s: got %g, want %llu (%s)", same[i].series,
		    value_of(p, same[i].series), v, same[i].file);
	}
	for (i = 0; i < 4; i++) {
		(void)snprintf(key, sizeof(key), "authmilter_messages_total{"
		    "direction=\"inbound\",action=\"%s\"}", actions[i]);
		in += value_of(p, key);
		a[i] += value_of(p, key);
		(void)snprintf(key, sizeof(key), "authmilter_messages_total{"
		    "direction=\"outbound\",action=\"%s\"}", actions[i]);
		outb += value_of(p, key);
		a[i] += value_of(p, key);
	}
	ck_assert(am_stats_lookup(snap, "messages.inbound", &v) && in == v);
	ck_assert(am_stats_lookup(snap, "messages.outbound", &v) && outb == v);
	ck_assert(am_stats_lookup(snap, "messages", &v) && in + outb == v);
	ck_assert(am_stats_lookup(snap, "verdict.accept", &v) &&
	    a[0] + a[1] == v);
	ck_assert(am_stats_lookup(snap, "verdict.quarantine", &v) && a[1] == v);
	ck_assert(am_stats_lookup(snap, "verdict.reject", &v) && a[2] == v);
	ck_assert(am_stats_lookup(snap, "verdict.tempfail", &v) && a[3] == v);
	/* the counters only the metrics have, from the known state */
	ck_assert(value_of(p, "authmilter_signatures_total{algorithm="
	    "\"rsa-sha256\"}") == 3);
	ck_assert(value_of(p, "authmilter_signatures_total{algorithm="
	    "\"ed25519-sha256\"}") == 3);
	ck_assert(value_of(p, "authmilter_dmarc_dispositions_total{"
	    "disposition=\"quarantine\"}") == 3);
	ck_assert(value_of(p, "authmilter_dmarc_dispositions_total{"
	    "disposition=\"none\"}") == 6);
	ck_assert(value_of(p, "authmilter_dmarc_overrides_total{reason="
	    "\"sampled_out\"}") == 3);
	ck_assert(value_of(p, "authmilter_dns_lookup_seconds_count") == 114);
	ck_assert(value_of(p, "authmilter_message_processing_seconds_bucket{"
	    "le=\"0.025\"}") == 1);
	ck_assert(value_of(p, "authmilter_message_processing_seconds_bucket{"
	    "le=\"30\"}") == 2);
	ck_assert(value_of(p, "authmilter_message_processing_seconds_sum") ==
	    45.132);
	am_buf_release(&out);
	free(text);
	free(st);
	free(snap);
	free(p);
}
END_TEST

START_TEST(label_escaping)
{
	char *text = prom_text("1.0 \"x\" a\\b\nc", NULL);
	struct parsed *p = calloc(1, sizeof(*p));

	ck_assert_ptr_nonnull(p);
	ck_assert_msg(strstr(text, "authmilter_build_info{version=\"1.0 "
	    "\\\"x\\\" a\\\\b\\nc\"} 1\n") != NULL, "got %.300s", text);
	parse_text(text, p);
	free(text);
	free(p);
}
END_TEST

/* Too small: fails, and the buffer keeps what it had. */
START_TEST(cap_keeps_buffer)
{
	struct am_stats *st = known_state();
	struct am_buf b;

	am_buf_init(&b, 2048);
	ck_assert_int_eq(am_buf_puts(&b, "keep"), AM_OK);
	ck_assert_int_eq(am_stats_format_prom(st, &rep, "v", 0, &b),
	    AM_PERMFAIL);
	ck_assert_str_eq(am_buf_str(&b), "keep");
	am_buf_release(&b);
	free(st);
}
END_TEST

/* promtool check metrics: the linter of the Prometheus project. */
START_TEST(promtool_accepts)
{
	char *text = prom_text("0.1.0", &rep), cmd[256], *res;
	const char *path = am_test_path(0, "metrics.txt");
	int rc;

	if (access("/usr/bin/promtool", X_OK) != 0) {
		printf("NOTE: /usr/bin/promtool not found (Debian package "
		    "prometheus): promtool check skipped; the grammar test "
		    "still ran\n");
		free(text);
		return;
	}
	am_test_put(path, text);
	(void)snprintf(cmd, sizeof(cmd), "/usr/bin/promtool check metrics "
	    "< %s > %s 2>&1", path, am_test_path(1, "promtool.out"));
	rc = system(cmd);
	res = am_test_slurp(am_test_path(1, "promtool.out"));
	ck_assert_msg(rc == 0 && res[0] == '\0', "promtool (exit %d): %s", rc,
	    res);
	free(res);
	free(text);
}
END_TEST

START_TEST(null_panics)
{
	struct am_buf b;

	am_buf_init(&b, 64);
	(void)am_stats_format_prom(NULL, NULL, "v", 0, &b);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("stats_prom");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, am_test_dir_make, am_test_dir_remove);
	tcase_add_test(tc, golden_prom);
	tcase_add_test(tc, golden_statsfile);
	tcase_add_test(tc, grammar);
	tcase_add_test(tc, same_values);
	tcase_add_test(tc, label_escaping);
	tcase_add_test(tc, cap_keeps_buffer);
	tcase_add_test(tc, promtool_accepts);
	if (am_test_can_fork())
		tcase_add_test_raise_signal(tc, null_panics, SIGABRT);
	suite_add_tcase(s, tc);
	return am_test_run(s);
}
