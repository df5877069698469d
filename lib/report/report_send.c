/*
 * report_send.c - which report goes to whom, and the run of `report send`
 * (contract in report_send.h). RFC 7489 §6.2 (rua URIs, "!size" in powers
 * of two), §7.1 (external destinations), §7.2 (periods in UTC). The sent
 * table is kept by the store backend (report_backend.h), SQLite or
 * PostgreSQL through one path: claim, send, record (which releases the
 * claim). Messages and transports are in report_mail.c.
 */
#include "autoconf.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>

#include "core/xalloc.h"
#include "report/report_backend.h"
#include "report/report_store.h"
#include "report/report_send.h"

#define BACKOFF_FIRST	3600	/* seconds before the first retry */
#define BACKOFF_MAX	86400	/* longest wait between tries */

/* hexval - value of a hex digit, -1 if none. */
static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* parse_size - "!N[kmgt]" -> bytes; 0 when malformed. */
static uint64_t
parse_size(const char *p, const char *end)
{
	uint64_t n = 0;
	int shift = 0;

	for (; p < end && *p >= '0' && *p <= '9'; p++)
		if ((n = n * 10 + (uint64_t)(*p - '0')) > (1ull << 40))
			return 0;
	if (p < end) {
		switch (*p++ | 0x20) {
		case 'k': shift = 10; break;
		case 'm': shift = 20; break;
		case 'g': shift = 30; break;
		case 't': shift = 40; break;
		default: return 0;
		}
	}
	return p == end ? n << shift : 0;
}

/* parse_one - one URI [a, b) into d; false when not a usable mailto. */
static bool
parse_one(const char *a, const char *b, struct am_report_dest *d)
{
	const char *bang = memchr(a, '!', (size_t)(b - a)), *q;
	size_t n = 0;
	char *at;
	int hi, lo;

	memset(d, 0, sizeof(*d));
	if (bang != NULL)
		d->max_size = parse_size(bang + 1, b);
	else
		bang = b;
	if (bang - a < 8 || strncasecmp(a, "mailto:", 7) != 0)
		return false;
	for (q = a + 7; q < bang && *q != '?'; q++) {
		if (n + 1 >= sizeof(d->addr))
			return false;
		if (*q == '%' && q + 2 < bang && (hi = hexval(q[1])) >= 0 &&
		    (lo = hexval(q[2])) >= 0) {
			d->addr[n++] = (char)(hi << 4 | lo);
			q += 2;
		} else
			d->addr[n++] = *q;
	}
	d->addr[n] = '\0';
	if ((at = strrchr(d->addr, '@')) == NULL || at == d->addr ||
	    at[1] == '\0' || strpbrk(d->addr, " \t\r\n<>,;\"") != NULL)
		return false;
	d->domain = at + 1;
	for (at++; *at != '\0'; at++)
		*at = (char)tolower((unsigned char)*at);
	return true;
}

/* am_report_rua_parse - mailto: destinations of a rua= list. */
size_t
am_report_rua_parse(const char *rua, struct am_report_dest *out, size_t max)
{
	const char *p = rua, *a, *b;
	size_t n = 0, i;
	bool is_dup;

	while (p != NULL && *p != '\0' && n < max) {
		a = p;
		b = strchr(p, ',');
		p = b != NULL ? b + 1 : NULL;
		if (b == NULL)
			b = a + strlen(a);
		while (a < b && isspace((unsigned char)*a))
			a++;
		while (b > a && isspace((unsigned char)b[-1]))
			b--;
		if (!parse_one(a, b, &out[n]))
			continue;
		for (i = 0, is_dup = false; i < n && !is_dup; i++)
			is_dup = strcasecmp(out[i].addr, out[n].addr) == 0;
		if (!is_dup)
			n++;
	}
	return n;
}

/* am_report_suppressed - addr or one of its domains listed. */
bool
am_report_suppressed(const char *list, const char *addr)
{
	const char *dom = strrchr(addr, '@'), *p = list, *w, *d;
	size_t len, dl;

	dom = dom != NULL ? dom + 1 : addr;
	while (p != NULL && *p != '\0') {
		p += strspn(p, ", \t");
		w = p;
		len = strcspn(p, ", \t");
		p += len;
		if (len == 0)
			continue;
		if (len == strlen(addr) && strncasecmp(w, addr, len) == 0)
			return true;
		if (memchr(w, '@', len) != NULL)
			continue;
		for (d = dom; d != NULL; d = strchr(d, '.'), d = d ? d + 1 :
		    NULL) {
			dl = strlen(d);
			if (dl == len && strncasecmp(w, d, len) == 0)
				return true;
		}
	}
	return false;
}

/* same_org - the organizational domains of a and b are equal. */
static bool
same_org(const struct am_psl *psl, const char *a, const char *b)
{
	char oa[AM_DOMAIN_MAX_LEN + 1], ob[AM_DOMAIN_MAX_LEN + 1];

	if (strcasecmp(a, b) == 0)
		return true;
	if (psl == NULL || am_psl_orgdomain(psl, a, oa, sizeof(oa)) !=
	    AM_OK || am_psl_orgdomain(psl, b, ob, sizeof(ob)) != AM_OK)
		return false;
	return strcmp(oa, ob) == 0;
}

/* am_report_dest_check - RFC 7489 §7.1 external destination check. */
enum am_report_auth
am_report_dest_check(struct am_dns *dns, const struct am_psl *psl,
    const char *policy_domain, const char *rua_domain, unsigned timeout_ms,
    struct am_why *why)
{
	struct am_dns_answer ans;
	enum am_report_auth r = AM_REPORT_AUTH_DENIED;
	struct am_buf name, txt;
	size_t i;

	if (same_org(psl, policy_domain, rua_domain))
		return AM_REPORT_AUTH_OK;
	am_buf_init(&name, 1024);
	am_buf_init(&txt, 65536);
	(void)am_buf_printf(&name, "%s._report._dmarc.%s", policy_domain,
	    rua_domain);
	memset(&ans, 0, sizeof(ans));
	am_dns_lookup(dns, am_buf_str(&name), 16, timeout_ms, &ans);
	if (ans.result == AM_DNS_TEMPERROR) {
		am_why_set(why, "%s: DNS error: %s", am_buf_str(&name),
		    ans.why);
		r = AM_REPORT_AUTH_TEMPFAIL;
	} else if (ans.result != AM_DNS_OK)
		am_why_set(why, "%s: %s (no authorisation record)",
		    am_buf_str(&name), am_dns_result_name(ans.result));
	else {
		for (i = 0; i < ans.count && r != AM_REPORT_AUTH_OK; i++)
			if (am_dns_txt(&ans, i, &txt) == AM_OK &&
			    am_dmarc_is_record(txt.data, txt.len))
				r = AM_REPORT_AUTH_OK;
		if (r != AM_REPORT_AUTH_OK)
			am_why_set(why, "%s: no TXT record starts with "
			    "v=DMARC1", am_buf_str(&name));
	}
	am_dns_answer_release(&ans);
	am_buf_release(&name);
	am_buf_release(&txt);
	return r;
}

/* am_report_size_limits - "!size" of dests from the current record. */
void
am_report_size_limits(struct am_dns *dns, const char *policy_domain,
    unsigned timeout_ms, struct am_report_dest *dests, size_t n)
{
	struct am_report_dest cur[AM_REPORT_DEST_MAX];
	struct am_dmarc_fetch f;
	struct am_str name, value;
	const char *pos;
	char *rua;
	size_t i, j, nc;

	memset(&f, 0, sizeof(f));
	am_dmarc_fetch(dns, policy_domain, am_dns_deadline(timeout_ms), &f);
	for (pos = f.record; pos != NULL && am_dmarc_tag_next(&pos, &name,
	    &value);) {
		if (name.len != 3 || strncasecmp(name.p, "rua", 3) != 0 ||
		    value.p == NULL)
			continue;
		rua = am_xmalloc(value.len + 1);
		memcpy(rua, value.p, value.len);
		rua[value.len] = '\0';
		nc = am_report_rua_parse(rua, cur, AM_REPORT_DEST_MAX);
		free(rua);
		for (i = 0; i < n; i++)
			for (j = 0; j < nc; j++)
				if (dests[i].max_size == 0 && strcasecmp(
				    dests[i].addr, cur[j].addr) == 0)
					dests[i].max_size = cur[j].max_size;
		break;
	}
	am_dmarc_fetch_release(&f);
}

struct run {
	const struct am_report_send_opts *o;
	struct am_report_send_stats *stats;
	const struct am_report_backend *be;	/* of stores[0] */
	void *sent;		/* backend handle of stores[0] */
	size_t attempts;	/* messages attempted in this run */
	char error[256];	/* last failure, for the sent table */
	char owner[AM_REPORT_OWNER_MAX];	/* this run's claim owner */
};

/* say - one decision line on o->log. */
static void AM_FMT(2, 3)
say(const struct run *r, const char *fmt, ...)
{
	va_list ap;

	if (r->o->log == NULL)
		return;
	va_start(ap, fmt);
	vfprintf(r->o->log, fmt, ap);
	va_end(ap);
	fputc('\n', r->o->log);
}

/* put - record the state of (domain, period, address) unless dry-run. */
static enum am_status
put(struct run *r, const char *domain, const char *addr,
    struct am_report_sent *s, struct am_why *why)
{
	if (r->o->is_dry_run)
		return AM_OK;
	s->period_end = r->o->meta.end;
	return r->be->sent_put(r->sent, domain, r->o->meta.begin, addr, s,
	    r->owner, why);
}

/* attempt_failed - the state after a failed attempt: backoff or give up. */
static void
attempt_failed(struct run *r, struct am_report_sent *s, const char *error)
{
	int64_t wait = BACKOFF_FIRST;
	int64_t k;

	for (k = 1; k < s->attempts && wait < BACKOFF_MAX; k++)
		wait *= 2;
	s->next_try = r->o->now + (wait < BACKOFF_MAX ? wait : BACKOFF_MAX);
	s->state = s->attempts >= AM_REPORT_SEND_MAX_TRIES ?
	    AM_REPORT_SENT_SKIPPED : AM_REPORT_SENT_PENDING;
	s->error = error;
	r->stats->failed++;
}

/* deliver - hand one message to the MTA. */
static enum am_status
deliver(const struct run *r, const char *to, const struct am_buf *msg,
    struct am_why *why)
{
	const struct am_report_send_opts *o = r->o;

	if (o->smtp_server != NULL && *o->smtp_server != '\0')
		return am_report_smtp(o->smtp_server, o->helo, o->from, to,
		    msg->data, msg->len, o->timeout_ms, why);
	return am_report_sendmail(o->sendmail, o->from, msg->data, msg->len,
	    why);
}

/* build - the gzip report and the message for one address. */
static enum am_status
build(const struct run *r, const struct am_report_domain *d, const char *to,
    struct am_buf *msg, struct am_why *why)
{
	const struct am_report_send_opts *o = r->o;
	char id[AM_REPORT_ID_SIZE];
	struct am_report_mail m;
	struct am_buf gz, fname;
	enum am_status st;

	if ((st = am_report_gzip(&o->meta, d, o->fmt, &gz, why)) != AM_OK) {
		am_buf_release(&gz);
		am_buf_init(msg, 1);
		return st;
	}
	am_report_xml_report_id(&o->meta, d->domain, id);
	am_buf_init(&fname, 2048);
	am_report_xml_filename(&o->meta, d->domain, &fname);
	memset(&m, 0, sizeof(m));
	m.from = o->from;
	m.to = to;
	m.domain = d->domain;
	m.submitter = o->meta.receiver;
	m.report_id = id;
	m.filename = am_buf_str(&fname);
	m.begin = o->meta.begin;
	m.end = o->meta.end;
	m.date = o->now;
	m.gz = gz.data;
	m.gz_len = gz.len;
	st = am_report_message(&m, msg, why);
	am_buf_release(&gz);
	am_buf_release(&fname);
	return st;
}

/* skip_reason - why dest is not sent to at all; NULL when it may be. */
static const char *
skip_reason(struct run *r, const struct am_report_domain *d,
    const struct am_report_dest *dest, size_t size, bool *is_temp,
    struct am_why *why)
{
	enum am_report_auth a;

	*is_temp = false;
	if (am_report_suppressed(r->o->suppress, dest->addr))
		return "suppressed (ReportSuppress)";
	a = am_report_dest_check(r->o->dns, r->o->psl, d->domain,
	    dest->domain, r->o->timeout_ms, why);
	if (a == AM_REPORT_AUTH_TEMPFAIL) {
		*is_temp = true;
		return why->text;
	}
	if (a == AM_REPORT_AUTH_DENIED)
		return why->text;
	if (dest->max_size != 0 && size > dest->max_size) {
		am_why_set(why, "report of %zu bytes over the !size limit of "
		    "%llu", size, (unsigned long long)dest->max_size);
		return why->text;
	}
	return NULL;
}

/* try_dest - build, check and send; the new state in s. */
static void
try_dest(struct run *r, const struct am_report_domain *d,
    const struct am_report_dest *dest, struct am_report_sent *s)
{
	const char *skip = NULL;
	struct am_buf msg;
	struct am_why e;
	bool is_temp = false, is_built;

	if (!(is_built = build(r, d, dest->addr, &msg, &e) == AM_OK) ||
	    (skip = skip_reason(r, d, dest, msg.len, &is_temp, &e)) == NULL ||
	    is_temp) {
		r->attempts++;
		s->attempts++;
	}
	if (skip != NULL && !is_temp) {
		say(r, "skip %s %lld %s: %s", d->domain,
		    (long long)r->o->meta.begin, dest->addr, skip);
		r->stats->skipped++;
		s->state = AM_REPORT_SENT_SKIPPED;
		snprintf(r->error, sizeof(r->error), "%s", skip);
	} else if (r->o->is_dry_run && is_built)
		say(r, "would send %s %lld to %s (%zu bytes)%s%s", d->domain,
		    (long long)r->o->meta.begin, dest->addr, msg.len,
		    skip ? ": " : "", skip ? skip : "");
	else if (!r->o->is_dry_run && is_built && skip == NULL &&
	    deliver(r, dest->addr, &msg, &e) == AM_OK) {
		say(r, "sent %s %lld to %s (%zu bytes)", d->domain,
		    (long long)r->o->meta.begin, dest->addr, msg.len);
		r->stats->sent++;
		s->state = AM_REPORT_SENT_DONE;
		s->next_try = 0;
	} else {
		snprintf(r->error, sizeof(r->error), "%s", e.text);
		attempt_failed(r, s, r->error);
		say(r, "failed %s %lld to %s (attempt %lld%s): %s", d->domain,
		    (long long)r->o->meta.begin, dest->addr,
		    (long long)s->attempts, s->state == AM_REPORT_SENT_SKIPPED ?
		    ", giving up" : "", e.text);
	}
	s->error = r->error;
	am_buf_release(&msg);
}

/* look - the state of (domain, period, address), claimed for this run
 * when it is due and the run may still send (*is_claimed). */
static enum am_status
look(struct run *r, const char *domain, const char *addr,
    struct am_report_sent *s, bool *is_claimed, struct am_why *why)
{
	const struct am_report_send_opts *o = r->o;
	struct am_report_claim c;

	*is_claimed = false;
	if (o->is_dry_run || r->attempts >= o->max_per_run)
		return r->be->sent_get(r->sent, domain, o->meta.begin, addr, s,
		    why);
	c.owner = r->owner;
	c.now = o->now;
	c.until = o->now + (o->claim_lease > 0 ? o->claim_lease :
	    AM_REPORT_CLAIM_LEASE);
	c.period_end = o->meta.end;
	return r->be->sent_claim(r->sent, domain, o->meta.begin, addr, &c, s,
	    is_claimed, why);
}

/* send_dest - one (domain, period, address); false to stop the run. */
static bool
send_dest(struct run *r, const struct am_report_domain *d,
    const struct am_report_dest *dest, struct am_why *why)
{
	struct am_report_sent s;
	bool is_claimed;

	if (look(r, d->domain, dest->addr, &s, &is_claimed, why) != AM_OK)
		return false;
	if (s.state != AM_REPORT_SENT_PENDING)
		return true;
	if (s.next_try > r->o->now || r->attempts >= r->o->max_per_run) {
		r->stats->deferred++;
		return true;
	}
	if (!is_claimed && !r->o->is_dry_run) {	/* another run has it */
		say(r, "busy %s %lld %s: claimed by %s until %lld", d->domain,
		    (long long)r->o->meta.begin, dest->addr, s.claim_owner,
		    (long long)s.claim_until);
		r->stats->deferred++;
		return true;
	}
	r->error[0] = '\0';
	try_dest(r, d, dest, &s);
	return put(r, d->domain, dest->addr, &s, why) == AM_OK;
}

/* send_domain - every rua address of one policy domain for a period. */
static bool
send_domain(struct run *r, const struct am_report_domain *d,
    struct am_why *why)
{
	struct am_report_dest dests[AM_REPORT_DEST_MAX];
	bool ok = true;
	size_t n, i;

	if ((n = am_report_rua_parse(d->rua, dests, AM_REPORT_DEST_MAX)) == 0)
		return true;
	am_report_size_limits(r->o->dns, d->domain, r->o->timeout_ms, dests,
	    n);
	for (i = 0; i < n && ok; i++)
		ok = send_dest(r, d, &dests[i], why);
	return ok;
}

/* send_period - every policy domain with rows in [begin, end). */
static enum am_status
send_period(struct run *r, struct am_report_send_opts *o, int64_t begin,
    int64_t end, struct am_why *why)
{
	struct am_report_set *set;
	enum am_status st;
	size_t i;

	o->meta.begin = begin;
	o->meta.end = end;
	if ((st = am_report_store_query(o->stores, o->n_stores, begin, end,
	    NULL, &set, why)) != AM_OK)
		return st;
	for (i = 0; i < set->n_domains && st == AM_OK; i++)
		if (!send_domain(r, &set->domains[i], why))
			st = AM_TEMPFAIL;
	am_report_set_free(set);
	return st;
}

/* claim_owner - a name for this run's claims: host, process, and random
 * bits, so two runs never share one (even with equal host names or pids in
 * containers). */
static void
claim_owner(char *out, size_t size)
{
	char host[64];
	unsigned long rnd = 0;

	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	if (getrandom(&rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		rnd ^= (unsigned long)(uintptr_t)out ^ (unsigned long)time(NULL);
	snprintf(out, size, "%s:%ld:%016lx", host, (long)getpid(), rnd);
}

/* am_report_send_run - one run of authmilterctl report send. */
enum am_status
am_report_send_run(const struct am_report_send_opts *opts,
    struct am_report_send_stats *stats, struct am_why *why)
{
	struct am_report_send_opts o = *opts;
	struct run r;
	enum am_status st = AM_OK;
	int64_t t, last;

	memset(stats, 0, sizeof(*stats));
	if (o.n_stores == 0 || o.interval <= 0) {
		am_why_set(why, "no store or no interval");
		return AM_PERMFAIL;
	}
	memset(&r, 0, sizeof(r));
	r.o = &o;
	r.stats = stats;
	r.be = am_report_backend_find(o.stores[0]);
	claim_owner(r.owner, sizeof(r.owner));
	if ((r.sent = r.be->open(o.stores[0], o.is_dry_run, why)) == NULL)
		return AM_TEMPFAIL;
	if (o.is_range)
		st = send_period(&r, &o, o.begin, o.end, why);
	else {
		last = o.now / o.interval * o.interval;
		if (o.until != 0 && o.until < last)
			last = o.until;
		for (t = o.first / o.interval * o.interval; t < last &&
		    st == AM_OK; t += o.interval)
			st = send_period(&r, &o, t, t + o.interval, why);
	}
	r.be->close(r.sent);
	return st;
}
