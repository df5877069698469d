/*
 * stats.c - the counters file. One table maps each published name to its
 * counter, so the output order and the names are defined once. The file is
 * replaced with write-to-temporary + rename(2) (atomic within a directory on
 * POSIX file systems), so authmilterctl never reads a half-written file.
 * No fsync: the file is a snapshot rewritten every StatsInterval; after a
 * crash an older or empty snapshot is acceptable, and syncing every few
 * seconds would cost disk writes on a busy mail host for nothing.
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "pipeline/stats.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define C(field) offsetof(struct am_stats, field)
#define W sizeof(atomic_ullong)
#define ONE(name, field) { name, C(field), 1, 0 }

_Static_assert(AM_DISP_ACCEPT == 0 && AM_DISP_QUARANTINE == 1 &&
    AM_DISP_TEMPFAIL + 1 == AM_STATS_NDISP, "verdict.accept sums rows 0-1");
_Static_assert(AM_MODE_OUTBOUND + 1 == AM_STATS_NMODE, "two directions");
_Static_assert(AM_DMARC_OVERRIDE_POLICY_TEST_MODE + 1 == AM_STATS_NOVERRIDE,
    "one counter per override");

/* The published counters, in output order (after time and uptime). A
 * line is the sum of n atomics, step bytes apart, from off: most are one
 * counter; messages and verdicts add up the cells of decided[][]. */
static const struct counter {
	const char *name;	/* as written in the file */
	size_t off;		/* of its first atomic_ullong in am_stats */
	size_t n;		/* atomics added up */
	size_t step;		/* bytes from one to the next */
} counters[] = {
	ONE("connections", connections),
	{ "messages", C(decided), AM_STATS_NDISP * AM_STATS_NMODE, W },
	{ "messages.inbound", C(decided[0][AM_MODE_INBOUND]), AM_STATS_NDISP,
	  AM_STATS_NMODE * W },
	{ "messages.outbound", C(decided[0][AM_MODE_OUTBOUND]),
	  AM_STATS_NDISP, AM_STATS_NMODE * W },
	ONE("aborted", aborted),
	/* accepted: quarantined ones included (rows ACCEPT and QUARANTINE) */
	{ "verdict.accept", C(decided[AM_DISP_ACCEPT]), 2 * AM_STATS_NMODE, W },
	{ "verdict.reject", C(decided[AM_DISP_REJECT]), AM_STATS_NMODE, W },
	{ "verdict.tempfail", C(decided[AM_DISP_TEMPFAIL]), AM_STATS_NMODE, W },
	{ "verdict.quarantine", C(decided[AM_DISP_QUARANTINE]), AM_STATS_NMODE,
	  W },
	ONE("forged_removed", forged_removed),
	ONE("internal_errors", internal_errors),
	ONE("tls.none", tls_mode[0]),
	ONE("tls.starttls", tls_mode[1]),
	ONE("tls.implicit", tls_mode[2]),
	ONE("tls.version.tlsv1", tls_version[1]),
	ONE("tls.version.tlsv1.1", tls_version[2]),
	ONE("tls.version.tlsv1.2", tls_version[3]),
	ONE("tls.version.tlsv1.3", tls_version[4]),
	ONE("tls.version.other", tls_version[0]),
	ONE("tls.policy_violations", tls_policy_hits),
	ONE("spf.pass", spf[AM_STATS_SPF_PASS]),
	ONE("spf.fail", spf[AM_STATS_SPF_FAIL]),
	ONE("spf.softfail", spf[AM_STATS_SPF_SOFTFAIL]),
	ONE("spf.neutral", spf[AM_STATS_SPF_NEUTRAL]),
	ONE("spf.none", spf[AM_STATS_SPF_NONE]),
	ONE("spf.temperror", spf[AM_STATS_SPF_TEMPERROR]),
	ONE("spf.permerror", spf[AM_STATS_SPF_PERMERROR]),
	ONE("dkim.pass", dkim[AM_STATS_DKIM_PASS]),
	ONE("dkim.fail", dkim[AM_STATS_DKIM_FAIL]),
	ONE("dkim.none", dkim[AM_STATS_DKIM_NONE]),
	ONE("dmarc.pass", dmarc[AM_STATS_DMARC_PASS]),
	ONE("dmarc.fail", dmarc[AM_STATS_DMARC_FAIL]),
	ONE("dmarc.none", dmarc[AM_STATS_DMARC_NONE]),
	ONE("dmarc.temperror", dmarc[AM_STATS_DMARC_TEMPERROR]),
	ONE("dmarc.permerror", dmarc[AM_STATS_DMARC_PERMERROR]),
	ONE("signed", signed_msgs),
	ONE("reloads", reloads),
	ONE("reload_failures", reload_failures),
	ONE("dns.dnssec_disabled", dnssec_disabled),
};

/* counter_load - the current value of one table entry. */
static unsigned long long
counter_load(const struct am_stats *st, const struct counter *c)
{
	unsigned long long sum = 0;
	size_t i;

	for (i = 0; i < c->n; i++)
		sum += atomic_load_explicit((const atomic_ullong *)(const void *)
		    ((const char *)st + c->off + i * c->step),
		    memory_order_relaxed);
	return sum;
}

/* ------------------------------------------------------- counting */

/* count_tls - per-mode and per-version counters. */
static void
count_tls(struct am_stats *st, const struct am_tls_status *tls)
{
	int rank = am_tls_version_rank(tls->version);

	atomic_fetch_add(&st->tls_mode[tls->mode], 1);
	if (tls->mode != AM_TLS_NONE)
		atomic_fetch_add(&st->tls_version[rank >= 10 && rank <= 13 ?
		    rank - 9 : 0], 1);
}

/* count_message - one message decided: disposition and direction,
 * deletions. */
static void
count_message(struct am_stats *st, const struct am_verdict *v)
{
	if ((unsigned)v->disp >= AM_STATS_NDISP ||
	    (unsigned)v->mode >= AM_STATS_NMODE)
		AM_PANIC("am_stats_count: bad verdict (disp %d, mode %d)",
		    (int)v->disp, (int)v->mode);
	atomic_fetch_add(&st->decided[v->disp][v->mode], 1);
	if (v->ndel > 0)
		atomic_fetch_add(&st->forged_removed, v->ndel);
}

/* sig_alg - the a= tag of a DKIM-Signature value (RFC 6376 §3.5). */
static enum am_stats_alg
sig_alg(const char *value)
{
	static const char fws[] = " \t\r\n";
	const char *p = value, *v;
	size_t n;

	while (p != NULL && *p != '\0') {
		p += strspn(p, fws);
		v = p + 1 + strspn(p + 1, fws);
		if (p[0] == 'a' && v[0] == '=') {
			v += 1 + strspn(v + 1, fws);
			n = strcspn(v, "; \t\r\n");
			if (n == 10 && strncmp(v, "rsa-sha256", n) == 0)
				return AM_STATS_ALG_RSA_SHA256;
			if (n == 14 && strncmp(v, "ed25519-sha256", n) == 0)
				return AM_STATS_ALG_ED25519_SHA256;
			return AM_STATS_ALG_OTHER;
		}
		if ((p = strchr(p, ';')) != NULL)
			p++;
	}
	return AM_STATS_ALG_OTHER;
}

/* count_signed - an accepted outbound message and its signatures. */
static void
count_signed(struct am_stats *st, const struct am_results *r)
{
	size_t i;

	atomic_fetch_add(&st->signed_msgs, 1);
	for (i = 0; i < r->nsigs; i++)
		atomic_fetch_add(&st->sig_alg[sig_alg(r->sigs[i].value)], 1);
}

/* count_dmarc - the DMARC result applied: result, and for a domain with a
 * record its disposition and any override. */
static void
count_dmarc(struct am_stats *st, const struct am_dmarc_result *d)
{
	static const enum am_stats_dmarc dmarc_index[] = {
		[AM_DMARC_NONE] = AM_STATS_DMARC_NONE,
		[AM_DMARC_PASS] = AM_STATS_DMARC_PASS,
		[AM_DMARC_FAIL] = AM_STATS_DMARC_FAIL,
		[AM_DMARC_TEMPERROR] = AM_STATS_DMARC_TEMPERROR,
		[AM_DMARC_PERMERROR] = AM_STATS_DMARC_PERMERROR,
	};

	if ((unsigned)d->result < NELEM(dmarc_index))
		atomic_fetch_add(&st->dmarc[dmarc_index[d->result]], 1);
	if (!d->has_record)
		return;
	switch (d->disposition) {
	case AM_DMARC_POLICY_QUARANTINE:
		atomic_fetch_add(&st->dmarc_disp[AM_STATS_DMARC_DISP_QUARANTINE],
		    1);
		break;
	case AM_DMARC_POLICY_REJECT:
		atomic_fetch_add(&st->dmarc_disp[AM_STATS_DMARC_DISP_REJECT], 1);
		break;
	default:
		atomic_fetch_add(&st->dmarc_disp[AM_STATS_DMARC_DISP_NONE], 1);
		break;
	}
	if (d->override != AM_DMARC_OVERRIDE_NONE &&
	    (unsigned)d->override < AM_STATS_NOVERRIDE)
		atomic_fetch_add(&st->dmarc_override[d->override], 1);
}

/* dkim_outcome - a signature passed, signed but none passed, unsigned. */
static enum am_stats_dkim
dkim_outcome(const struct am_dkim_results *d)
{
	size_t i;

	for (i = 0; d != NULL && i < d->count; i++)
		if (d->sigs[i].result == AM_DKIM_PASS)
			return AM_STATS_DKIM_PASS;
	return d != NULL && d->count > 0 ? AM_STATS_DKIM_FAIL :
	    AM_STATS_DKIM_NONE;
}

/* count_inbound - SPF, DKIM and DMARC results of an inbound message. */
static void
count_inbound(struct am_stats *st, const struct am_results *r,
    const struct am_verdict *v)
{
	static const enum am_stats_spf spf_index[] = {
		[AM_SPF_NONE] = AM_STATS_SPF_NONE,
		[AM_SPF_NEUTRAL] = AM_STATS_SPF_NEUTRAL,
		[AM_SPF_PASS] = AM_STATS_SPF_PASS,
		[AM_SPF_FAIL] = AM_STATS_SPF_FAIL,
		[AM_SPF_SOFTFAIL] = AM_STATS_SPF_SOFTFAIL,
		[AM_SPF_TEMPERROR] = AM_STATS_SPF_TEMPERROR,
		[AM_SPF_PERMERROR] = AM_STATS_SPF_PERMERROR,
	};
	const struct am_spf_result *spf = r->spf_mfrom;

	if (spf != NULL && !spf->is_checked && r->spf_helo != NULL)
		spf = r->spf_helo;
	if (spf != NULL && (unsigned)spf->result < NELEM(spf_index))
		atomic_fetch_add(&st->spf[spf_index[spf->result]], 1);
	atomic_fetch_add(&st->dkim[dkim_outcome(r->dkim)], 1);
	if (v->dmarc != NULL)
		count_dmarc(st, v->dmarc);
}

/* am_stats_count - count one decision (see the header). */
void
am_stats_count(struct am_stats *st, const struct am_results *r,
    const struct am_verdict *v)
{
	unsigned e;

	if (st == NULL || r == NULL || v == NULL)
		AM_PANIC("am_stats_count: NULL argument");
	if (r->stage == AM_RESULTS_MAIL) {
		if (r->tls_policy != AM_TLS_POLICY_OK)
			atomic_fetch_add(&st->tls_policy_hits, 1);
		if (v->disp != AM_DISP_ACCEPT)
			count_message(st, v);
		return;
	}
	if (r->tls != NULL)
		count_tls(st, r->tls);
	count_message(st, v);
	for (e = v->errors; e != 0; e &= e - 1)
		atomic_fetch_add(&st->internal_errors, 1);
	if (r->nsigs > 0 && (v->disp == AM_DISP_ACCEPT ||
	    v->disp == AM_DISP_QUARANTINE))
		count_signed(st, r);
	if (r->has_inbound)
		count_inbound(st, r, v);
}

/* am_stats_add_time - one message's processing time: now - start
 * (CLOCK_MONOTONIC; see the header). */
void
am_stats_add_time(struct am_stats *st, const struct timespec *start)
{
	struct timespec now;
	int64_t ns;

	(void)clock_gettime(CLOCK_MONOTONIC, &now);
	ns = (int64_t)(now.tv_sec - start->tv_sec) * 1000000000 +
	    (now.tv_nsec - start->tv_nsec);
	am_histogram_add(&st->eom_time, ns > 0 ? (uint64_t)ns : 0);
}

/* ------------------------------------------------------- the file */

/* am_stats_format - "name value" lines, whole or not at all. */
enum am_status
am_stats_format(const struct am_stats *st,
    const struct am_report_counters *rep, time_t started, time_t now,
    struct am_buf *out)
{
	size_t i, mark = out->len;
	enum am_status rc;

	if (st == NULL)
		AM_PANIC("am_stats_format: NULL stats");
	rc = am_buf_printf(out, "time %lld\nuptime %lld\n", (long long)now,
	    now > started ? (long long)(now - started) : 0LL);
	for (i = 0; rc == AM_OK && i < NELEM(counters); i++)
		rc = am_buf_printf(out, "%s %llu\n", counters[i].name,
		    counter_load(st, &counters[i]));
	if (rc == AM_OK && rep != NULL)
		rc = am_buf_printf(out, "reports.enqueued %llu\n"
		    "reports.written %llu\nreports.dropped %llu\n"
		    "reports.write_errors %llu\nreports.queue %zu\n"
		    "reports.failing %d\n",
		    (unsigned long long)rep->enqueued,
		    (unsigned long long)rep->written,
		    (unsigned long long)rep->dropped,
		    (unsigned long long)rep->write_errors, rep->queue_depth,
		    rep->is_failing ? 1 : 0);
	if (rc != AM_OK)
		am_buf_truncate(out, mark);
	return rc;
}

/* am_stats_write - format and atomically replace path (mode 0644). */
enum am_status
am_stats_write(const char *path, const struct am_stats *st,
    const struct am_report_counters *rep, time_t started, struct am_why *why)
{
	struct am_buf text, tmp;
	enum am_status rc = AM_TEMPFAIL;
	bool is_created = false;
	int fd = -1;

	if (path == NULL || st == NULL || why == NULL)
		AM_PANIC("am_stats_write: NULL argument");
	am_buf_init(&text, AM_STATS_MAX_BYTES);
	am_buf_init(&tmp, PATH_MAX);
	if (am_stats_format(st, rep, started, time(NULL), &text) != AM_OK) {
		am_why_set(why, "counters do not fit in %d bytes",
		    AM_STATS_MAX_BYTES);
		goto out;
	}
	if (am_buf_printf(&tmp, "%s.XXXXXX", path) != AM_OK) {
		am_why_set(why, "%.200s: path too long", path);
		goto out;
	}
	if ((fd = mkstemp(tmp.data)) < 0) {
		am_why_set(why, "cannot create %.200s: %s", tmp.data,
		    strerror(errno));
		goto out;
	}
	is_created = true;
	if (fchmod(fd, 0644) != 0 || !am_write_all(fd, text.data, text.len)) {
		am_why_set(why, "cannot write %.200s: %s", tmp.data,
		    strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		am_why_set(why, "cannot write %.200s: %s", tmp.data,
		    strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp.data, path) != 0) {
		am_why_set(why, "cannot rename %.200s to %.200s: %s", tmp.data,
		    path, strerror(errno));
		goto out;
	}
	rc = AM_OK;
out:
	if (fd >= 0)
		(void)close(fd);
	if (rc != AM_OK && is_created)
		(void)unlink(tmp.data);
	am_buf_release(&text);
	am_buf_release(&tmp);
	return rc;
}

/* name_ok - [a-z0-9._]+ that fits AM_STATS_NAME_MAX. */
static bool
name_ok(const char *p, size_t len)
{
	size_t i;

	if (len == 0 || len >= AM_STATS_NAME_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') ||
		    (p[i] >= '0' && p[i] <= '9') || p[i] == '.' || p[i] == '_'))
			return false;
	return true;
}

/* value_parse - decimal digits only, no sign, no overflow. */
static bool
value_parse(const char *p, size_t len, unsigned long long *v)
{
	unsigned long long n = 0;
	size_t i;

	if (len == 0 || len > 20)
		return false;
	for (i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		if (n > (ULLONG_MAX - (unsigned)(p[i] - '0')) / 10)
			return false;
		n = n * 10 + (unsigned)(p[i] - '0');
	}
	*v = n;
	return true;
}

/* parse_line - one "name value" line into the next entry. */
static enum am_status
parse_line(const char *p, size_t len, size_t lineno,
    struct am_stats_snapshot *snap, struct am_why *why)
{
	const char *sp = memchr(p, ' ', len);
	unsigned long long v;
	size_t nlen;

	if (sp == NULL) {
		am_why_set(why, "line %zu: not \"name value\"", lineno);
		return AM_PERMFAIL;
	}
	nlen = (size_t)(sp - p);
	if (!name_ok(p, nlen)) {
		am_why_set(why, "line %zu: bad counter name", lineno);
		return AM_PERMFAIL;
	}
	if (!value_parse(sp + 1, len - nlen - 1, &v)) {
		am_why_set(why, "line %zu: %.*s: bad value", lineno, (int)nlen,
		    p);
		return AM_PERMFAIL;
	}
	if (snap->n == AM_STATS_MAX_ENTRIES) {
		am_why_set(why, "line %zu: more than %d counters", lineno,
		    AM_STATS_MAX_ENTRIES);
		return AM_PERMFAIL;
	}
	memcpy(snap->e[snap->n].name, p, nlen);
	snap->e[snap->n].name[nlen] = '\0';
	if (am_stats_lookup(snap, snap->e[snap->n].name, NULL)) {
		am_why_set(why, "line %zu: %s appears twice", lineno,
		    snap->e[snap->n].name);
		return AM_PERMFAIL;
	}
	snap->e[snap->n++].value = v;
	return AM_OK;
}

/* am_stats_parse - check and load the text of a stats file. */
enum am_status
am_stats_parse(const char *text, size_t len, struct am_stats_snapshot *snap,
    struct am_why *why)
{
	const char *p = text, *end = text + len, *nl;
	size_t lineno = 0;
	enum am_status rc;

	if (text == NULL || snap == NULL || why == NULL)
		AM_PANIC("am_stats_parse: NULL argument");
	snap->n = 0;
	if (len == 0) {
		am_why_set(why, "empty file");
		return AM_PERMFAIL;
	}
	if (text[len - 1] != '\n') {
		am_why_set(why, "truncated (no newline at the end)");
		return AM_PERMFAIL;
	}
	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if ((rc = parse_line(p, (size_t)(nl - p), ++lineno, snap,
		    why)) != AM_OK)
			return rc;
	}
	if (!am_stats_lookup(snap, "time", NULL) ||
	    !am_stats_lookup(snap, "uptime", NULL)) {
		am_why_set(why, "no \"time\" or \"uptime\" line: not an "
		    "authmilter stats file");
		return AM_PERMFAIL;
	}
	return AM_OK;
}

/* am_stats_read - read (at most AM_STATS_MAX_BYTES) and parse path. */
enum am_status
am_stats_read(const char *path, struct am_stats_snapshot *snap,
    struct am_why *why)
{
	char text[AM_STATS_MAX_BYTES + 1];
	size_t len = 0;
	ssize_t n;
	int fd;

	if (path == NULL || snap == NULL || why == NULL)
		AM_PANIC("am_stats_read: NULL argument");
	snap->n = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		am_why_set(why, "%.200s: %s", path, strerror(errno));
		return AM_TEMPFAIL;
	}
	while (len < sizeof(text) &&
	    (n = read(fd, text + len, sizeof(text) - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			am_why_set(why, "%.200s: %s", path, strerror(errno));
			(void)close(fd);
			return AM_TEMPFAIL;
		}
		len += (size_t)n;
	}
	(void)close(fd);
	if (len > AM_STATS_MAX_BYTES) {
		am_why_set(why, "%.200s: larger than %d bytes: not an "
		    "authmilter stats file", path, AM_STATS_MAX_BYTES);
		return AM_PERMFAIL;
	}
	if (am_stats_parse(text, len, snap, why) != AM_OK) {
		struct am_why inner = *why;

		am_why_set(why, "%.200s: %s", path, inner.text);
		return AM_PERMFAIL;
	}
	return AM_OK;
}

/* am_stats_lookup - the value of name; false when absent. */
bool
am_stats_lookup(const struct am_stats_snapshot *snap, const char *name,
    unsigned long long *value)
{
	size_t i;

	for (i = 0; i < snap->n; i++)
		if (strcmp(snap->e[i].name, name) == 0) {
			if (value != NULL)
				*value = snap->e[i].value;
			return true;
		}
	return false;
}
