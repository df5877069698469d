/*
 * dns.c - the libunbound facade of dns.h (LIBRARY-NOTES §5): queries,
 * deadlines and answers. The context, its poller thread and local data are
 * in dns_ctx.c; the structs both share are in dns_impl.h. Names are checked
 * against RFC 1035 §2.3.4 before they are sent; TXT character-strings are
 * joined per RFC 1035 §3.3.14.
 *
 * One ub_ctx in threaded async mode (ub_ctx_async(ctx, 1) before anything
 * can finalise the context; otherwise ub_resolve_async() would fork). Queries
 * go out with ub_resolve_async(); one poller thread waits on ub_fd() and a
 * self-pipe and runs ub_process(), which calls dns_callback() in the poller
 * thread. A caller waits on the query's condition variable (CLOCK_MONOTONIC)
 * until its deadline, because libunbound has no per-query timeout (a dead
 * server takes ~17 s to become SERVFAIL).
 *
 * Callback versus cancel (the race this file is built around). A query has
 * up to two references: the caller's (dropped by am_dns_query_free) and the
 * pending callback's (dropped by dns_callback, or by us once ub_cancel()
 * guarantees the callback will never run). libunbound 1.17 decides under its
 * own ctx->cfglock: ub_cancel() finds the query in ctx->queries and marks it
 * cancelled, or it does not find it (UB_NOID). process_answer_detail() takes
 * the same cfglock, removes the query and grabs the callback only if it was
 * not cancelled, then calls it after dropping cfglock, in the same ub_process
 * call. So:
 *   ub_cancel() == UB_NOERROR  -> the callback will never run: drop its ref.
 *   ub_cancel() == UB_NOID     -> the callback has been grabbed and runs (or
 *                                 ran) in the poller; it drops its own ref.
 * Every field the two threads share (state, refs, is_pending, the result) is
 * covered by dns->lock; ub_cancel() is called without holding it. The object
 * is freed by whoever drops the last reference. A query whose caller is done
 * but whose callback is still due is an orphan: it sits on dns->orphans so
 * am_dns_free() can release it if the poller never delivers it (with one
 * poller at most the answer being delivered can be an orphan, and joining the
 * poller delivers it). tests/check_dns.c test_late_callback forces both
 * ub_cancel() outcomes with am_dns_set_callback_delay(); valgrind, ASan and
 * helgrind runs of it are clean.
 * XXX async ids are never reused in practice (ctx->next_querynum only grows),
 * so a late ub_cancel() cannot hit another query's id short of 2^31 queries.
 */
#include "autoconf.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <unbound.h>

#include "core/xalloc.h"
#include "dns/dns.h"
#include "dns/dns_impl.h"

/* RFC 1035 §2.3.4: 255 octets on the wire = 253 characters of text. */
#define DNS_MAX_NAME AM_DNS_MAX_NAME
#define DNS_MAX_LABEL 63

/* ---------------------------------------------------------- free */

static void query_destroy(struct am_dns_query *q);

/* am_dns_free - stop the poller and release the context; NULL is fine. */
struct am_dns *
am_dns_free(struct am_dns *dns)
{
	struct am_dns_query *q;
	size_t live;

	if (dns == NULL)
		return NULL;
	(void)pthread_mutex_lock(&dns->lock);
	live = dns->nlive;
	(void)pthread_mutex_unlock(&dns->lock);
	if (live != 0)
		AM_PANIC("am_dns_free: %zu queries not freed", live);
	if (dns->has_poller) {
		while (write(dns->wake[1], "x", 1) < 0 && errno == EINTR)
			;
		(void)pthread_join(dns->poller, NULL);
	}
	/* The poller is gone: no callback can run any more. */
	if (dns->ctx != NULL)
		ub_ctx_delete(dns->ctx);
	while ((q = dns->orphans) != NULL) {
		dns->orphans = q->next;
		query_destroy(q);
	}
	if (dns->wake[0] >= 0)
		(void)close(dns->wake[0]);
	if (dns->wake[1] >= 0)
		(void)close(dns->wake[1]);
	while (dns->nrrs > 0)
		free(dns->rrs[--dns->nrrs]);
	free(dns->rrs);
	(void)pthread_condattr_destroy(&dns->condattr);
	(void)pthread_mutex_destroy(&dns->local_lock);
	(void)pthread_mutex_destroy(&dns->lock);
	free(dns);
	return NULL;
}

/* ---------------------------------------------------------- queries */

/* am_dns_deadline - CLOCK_MONOTONIC now + timeout_ms, in ms. */
uint64_t
am_dns_deadline(unsigned timeout_ms)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000 +
	    timeout_ms;
}

/* name_is_valid - RFC 1035 §2.3.4 lengths, no empty label, no escapes. */
static bool
name_is_valid(const char *name)
{
	size_t len = strlen(name), label = 0, i;

	if (strcmp(name, ".") == 0)
		return true;
	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > DNS_MAX_NAME)
		return false;
	for (i = 0; i < len; i++) {
		if (name[i] == '\\')
			return false;	/* unbound would unescape it */
		if (name[i] != '.')
			label++;
		else if (label == 0)
			return false;
		else
			label = 0;
		if (label > DNS_MAX_LABEL)
			return false;
	}
	return label > 0;
}

/* query_fail - finish q without libunbound (caller holds the lock or q is
 * not yet shared). */
static void
query_fail(struct am_dns_query *q, enum am_dns_result result, const char *why)
{
	q->state = Q_FAILED;
	q->fail_result = result;
	AM_SNPRINTF_FIT(q->fail_why, sizeof(q->fail_why), "%s", why);
	(void)pthread_cond_broadcast(&q->cond);
}

/* query_destroy - free q; its last reference is gone. */
static void
query_destroy(struct am_dns_query *q)
{
	if (q->res != NULL)
		ub_resolve_free(q->res);
	(void)pthread_cond_destroy(&q->cond);
	free(q);
}

/* orphan_unlink - take q off dns->orphans (lock held). */
static void
orphan_unlink(struct am_dns *dns, struct am_dns_query *q)
{
	if (q->prev != NULL)
		q->prev->next = q->next;
	else
		dns->orphans = q->next;
	if (q->next != NULL)
		q->next->prev = q->prev;
	q->is_orphan = false;
}

/* now_ns - CLOCK_MONOTONIC in ns. */
static uint64_t
now_ns(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* counters_of - where dns counts, or NULL. */
static struct am_dns_counters *
counters_of(struct am_dns *dns)
{
	return atomic_load_explicit(&dns->counters, memory_order_acquire);
}

/* answer_class - what libunbound delivered, for the counters. */
static enum am_dns_class
answer_class(int err, const struct ub_result *res)
{
	if (err != 0 || res == NULL)
		return AM_DNS_CLASS_ERROR;
	if (res->bogus)
		return AM_DNS_CLASS_BOGUS;
	switch (res->rcode) {
	case 0:
		return res->havedata ? AM_DNS_CLASS_OK : AM_DNS_CLASS_NODATA;
	case 2:
		return AM_DNS_CLASS_SERVFAIL;
	case 3:
		return AM_DNS_CLASS_NXDOMAIN;
	case 5:
		return AM_DNS_CLASS_REFUSED;
	}
	return AM_DNS_CLASS_ERROR;
}

/* count_answer - one answer delivered for q (poller thread). */
static void
count_answer(const struct am_dns_query *q, int err,
    const struct ub_result *res)
{
	struct am_dns_counters *c = counters_of(q->dns);
	uint64_t now;

	if (c == NULL)
		return;
	now = now_ns();
	atomic_fetch_add_explicit(&c->answers[answer_class(err, res)], 1,
	    memory_order_relaxed);
	am_histogram_add(&c->latency, now > q->sent_ns ? now - q->sent_ns : 0);
}

/* count_timeout - one lookup that ended in "timeout". */
static void
count_timeout(struct am_dns *dns)
{
	struct am_dns_counters *c = counters_of(dns);

	if (c != NULL)
		atomic_fetch_add_explicit(&c->timeouts, 1,
		    memory_order_relaxed);
}

/* dns_callback - runs in the poller (ub_process): record, drop a ref. */
static void
dns_callback(void *arg, int err, struct ub_result *res)
{
	struct am_dns_query *q = arg;
	struct am_dns *dns = q->dns;
	unsigned delay_us = atomic_load_explicit(&dns->cb_delay_us,
	    memory_order_relaxed);
	bool is_last;

	if (delay_us > 0)	/* tests: widen the window for a late cancel */
		(void)usleep(delay_us);
	count_answer(q, err, res);
	(void)pthread_mutex_lock(&dns->lock);
	if (q->state == Q_PENDING) {
		q->state = Q_ANSWERED;
		q->err = err;
		q->res = res;
		res = NULL;
		(void)pthread_cond_broadcast(&q->cond);
	}
	q->is_pending = false;
	is_last = --q->refs == 0;
	if (is_last && q->is_orphan)
		orphan_unlink(dns, q);
	(void)pthread_mutex_unlock(&dns->lock);
	if (res != NULL)	/* too late: timed out or freed */
		ub_resolve_free(res);
	if (is_last)
		query_destroy(q);
}

/* query_cancel - ub_cancel() once; drop the callback's ref if it worked. */
static void
query_cancel(struct am_dns_query *q)
{
	struct am_dns *dns = q->dns;

	if (q->is_cancel_sent)
		return;
	q->is_cancel_sent = true;
	if (ub_cancel(dns->ctx, q->async_id) != 0)
		return;		/* UB_NOID: the callback runs or ran */
	(void)pthread_mutex_lock(&dns->lock);
	q->is_pending = false;
	q->refs--;		/* the caller's ref remains: never 0 here */
	(void)pthread_mutex_unlock(&dns->lock);
}

/* am_dns_start - begin a query; always returns an owned handle. */
struct am_dns_query *
am_dns_start(struct am_dns *dns, const char *name, int rrtype)
{
	struct am_dns_query *q = am_xcalloc(1, sizeof(*q));
	struct am_dns_counters *c;
	char why[sizeof(q->fail_why)];
	int r;

	q->dns = dns;
	(void)pthread_cond_init(&q->cond, &dns->condattr);
	q->state = Q_PENDING;
	q->refs = 1;
	(void)pthread_mutex_lock(&dns->lock);
	dns->nlive++;
	(void)pthread_mutex_unlock(&dns->lock);
	if (!name_is_valid(name)) {
		query_fail(q, AM_DNS_NXDOMAIN, "malformed name");
		return q;
	}
	/* Set before the callback can possibly run in the poller. */
	q->refs = 2;
	q->is_pending = true;
	atomic_fetch_add(&dns->nqueries, 1);
	if ((c = counters_of(dns)) != NULL)
		atomic_fetch_add_explicit(&c->queries, 1, memory_order_relaxed);
	q->sent_ns = now_ns();
	r = ub_resolve_async(dns->ctx, name, rrtype, 1 /* IN */, q,
	    dns_callback, &q->async_id);
	if (r != 0) {
		/* Every failure return leaves the callback unscheduled. */
		(void)am_snprintf_cut(why, sizeof(why), "resolver: %s",
		    ub_strerror(r));
		(void)pthread_mutex_lock(&dns->lock);
		q->refs = 1;
		q->is_pending = false;
		query_fail(q, AM_DNS_TEMPERROR, why);
		(void)pthread_mutex_unlock(&dns->lock);
	}
	return q;
}

/* am_dns_start_by - am_dns_start(), unless deadline_ms has passed: then a
 * query that is already over (TEMPERROR "timeout"), and nothing is sent. */
struct am_dns_query *
am_dns_start_by(struct am_dns *dns, const char *name, int rrtype,
    uint64_t deadline_ms)
{
	struct am_dns_query *q;

	if (am_dns_deadline(0) < deadline_ms)
		return am_dns_start(dns, name, rrtype);
	q = am_xcalloc(1, sizeof(*q));
	q->dns = dns;
	(void)pthread_cond_init(&q->cond, &dns->condattr);
	q->refs = 1;
	(void)pthread_mutex_lock(&dns->lock);
	dns->nlive++;
	(void)pthread_mutex_unlock(&dns->lock);
	query_fail(q, AM_DNS_TEMPERROR, "timeout");
	count_timeout(dns);
	return q;
}

/* ---------------------------------------------------------- answers */

/* answer_copy_records - copy the rdata of every record into ans. */
static void
answer_copy_records(const struct ub_result *res, struct am_dns_answer *ans)
{
	size_t n, i;

	for (n = 0; res->data[n] != NULL; n++)
		;
	ans->count = n;
	ans->data = am_xcalloc(n, sizeof(*ans->data));
	ans->len = am_xcalloc(n, sizeof(*ans->len));
	for (i = 0; i < n; i++) {
		ans->len[i] = res->len[i] > 0 ? (size_t)res->len[i] : 0;
		ans->data[i] = (uint8_t *)am_xmemdup(res->data[i], ans->len[i]);
	}
}

/* answer_from_result - map a libunbound result (dns.h "Result mapping"). */
static void
answer_from_result(const struct ub_result *res, struct am_dns_answer *ans)
{
	ans->rcode = res->rcode;
	ans->secure = res->secure != 0;
	ans->bogus = res->bogus != 0;
	ans->ttl = res->ttl > 0 ? (uint32_t)res->ttl : 0;
	if (res->answer_packet != NULL && res->answer_len > 0) {
		ans->packet_len = (size_t)res->answer_len;
		ans->packet = (uint8_t *)am_xmemdup(res->answer_packet,
		    ans->packet_len);
	}
	ans->result = AM_DNS_TEMPERROR;
	if (res->bogus)
		(void)am_snprintf_cut(ans->why, sizeof(ans->why),
		    "DNSSEC bogus: %s", res->why_bogus ? res->why_bogus :
		    "no reason given");
	else if (res->rcode == 0 && res->havedata) {
		ans->result = AM_DNS_OK;
		answer_copy_records(res, ans);
	} else if (res->rcode == 0)
		ans->result = AM_DNS_NODATA;
	else if (res->rcode == 3)
		ans->result = AM_DNS_NXDOMAIN;
	else if (res->rcode == 2)
		AM_SNPRINTF_FIT(ans->why, sizeof(ans->why), "SERVFAIL");
	else if (res->rcode == 5)
		AM_SNPRINTF_FIT(ans->why, sizeof(ans->why), "REFUSED");
	else
		AM_SNPRINTF_FIT(ans->why, sizeof(ans->why), "rcode %d",
		    res->rcode);
}

/* answer_fill - ans from a finished query (only the caller reads it now). */
static void
answer_fill(const struct am_dns_query *q, struct am_dns_answer *ans)
{
	if (q->state == Q_FAILED) {
		ans->result = q->fail_result;
		AM_SNPRINTF_FIT(ans->why, sizeof(ans->why), "%s", q->fail_why);
	} else if (q->err != 0 || q->res == NULL) {
		ans->result = AM_DNS_TEMPERROR;
		(void)am_snprintf_cut(ans->why, sizeof(ans->why), "resolver: %s",
		    ub_strerror(q->err));
	} else
		answer_from_result(q->res, ans);
}

/* am_dns_wait - wait until the answer or the deadline; fill ans. */
void
am_dns_wait(struct am_dns_query *q, uint64_t deadline_ms,
    struct am_dns_answer *ans)
{
	struct am_dns *dns = q->dns;
	struct timespec ts;
	bool is_expired = false;

	memset(ans, 0, sizeof(*ans));
	ans->rcode = -1;
	ts.tv_sec = (time_t)(deadline_ms / 1000);
	ts.tv_nsec = (long)(deadline_ms % 1000) * 1000000;
	(void)pthread_mutex_lock(&dns->lock);
	while (q->state == Q_PENDING) {
		if (pthread_cond_timedwait(&q->cond, &dns->lock, &ts) ==
		    ETIMEDOUT && q->state == Q_PENDING) {
			query_fail(q, AM_DNS_TEMPERROR, "timeout");
			is_expired = true;
		}
	}
	(void)pthread_mutex_unlock(&dns->lock);
	/* The state is final: the callback no longer touches err/res. */
	if (is_expired) {
		count_timeout(dns);
		query_cancel(q);
	}
	answer_fill(q, ans);
}

/* am_dns_query_free - cancel if still running, drop the caller's ref. */
struct am_dns_query *
am_dns_query_free(struct am_dns_query *q)
{
	struct am_dns *dns;
	bool is_pending, is_last;

	if (q == NULL)
		return NULL;
	dns = q->dns;
	(void)pthread_mutex_lock(&dns->lock);
	if (q->state == Q_PENDING)
		query_fail(q, AM_DNS_TEMPERROR, "cancelled");
	is_pending = q->is_pending;
	(void)pthread_mutex_unlock(&dns->lock);
	if (is_pending)
		query_cancel(q);
	(void)pthread_mutex_lock(&dns->lock);
	dns->nlive--;
	is_last = --q->refs == 0;
	if (!is_last) {		/* the callback is due: park it */
		q->is_orphan = true;
		q->prev = NULL;
		q->next = dns->orphans;
		if (dns->orphans != NULL)
			dns->orphans->prev = q;
		dns->orphans = q;
	}
	(void)pthread_mutex_unlock(&dns->lock);
	if (is_last)
		query_destroy(q);
	return NULL;
}

/* am_dns_lookup - start + wait + free with a relative timeout. */
void
am_dns_lookup(struct am_dns *dns, const char *name, int rrtype,
    unsigned timeout_ms, struct am_dns_answer *ans)
{
	uint64_t deadline = am_dns_deadline(timeout_ms);
	struct am_dns_query *q = am_dns_start(dns, name, rrtype);

	am_dns_wait(q, deadline, ans);
	(void)am_dns_query_free(q);
}

/* am_dns_answer_release - free the copies; ans becomes an empty answer. */
void
am_dns_answer_release(struct am_dns_answer *ans)
{
	size_t i;

	for (i = 0; i < ans->count; i++)
		free(ans->data[i]);
	free(ans->data);
	free(ans->len);
	free(ans->packet);
	memset(ans, 0, sizeof(*ans));
	ans->result = AM_DNS_TEMPERROR;
	ans->rcode = -1;
}

/* am_dns_txt - join the character-strings of TXT record i (RFC 1035
 * §3.3.14, RFC 7208 §3.3, RFC 6376 §3.6.2.2) into out. */
enum am_status
am_dns_txt(const struct am_dns_answer *ans, size_t i, struct am_buf *out)
{
	const uint8_t *p;
	size_t len, off, n;

	am_buf_reset(out);
	if (i >= ans->count)
		return AM_PERMFAIL;
	p = ans->data[i];
	len = ans->len[i];
	for (off = 0; off < len; off += 1 + n) {
		n = p[off];
		if (n > len - off - 1 ||
		    am_buf_append(out, p + off + 1, n) != AM_OK) {
			am_buf_reset(out);
			return AM_PERMFAIL;
		}
	}
	return AM_OK;
}

/* am_dns_query_count - see dns.h. */
unsigned long
am_dns_query_count(const struct am_dns *dns)
{
	return atomic_load(&dns->nqueries);
}

/* am_dns_set_counters - see dns.h. */
void
am_dns_set_counters(struct am_dns *dns, struct am_dns_counters *c)
{
	atomic_store_explicit(&dns->counters, c, memory_order_release);
}

/* am_dns_class_name - see dns.h. */
const char *
am_dns_class_name(enum am_dns_class c)
{
	static const char *const names[] = {
		[AM_DNS_CLASS_OK] = "ok", [AM_DNS_CLASS_NXDOMAIN] = "nxdomain",
		[AM_DNS_CLASS_NODATA] = "nodata",
		[AM_DNS_CLASS_SERVFAIL] = "servfail",
		[AM_DNS_CLASS_REFUSED] = "refused",
		[AM_DNS_CLASS_BOGUS] = "bogus", [AM_DNS_CLASS_ERROR] = "error",
	};

	return (unsigned)c < AM_DNS_CLASS_COUNT ? names[c] : "invalid";
}

/* am_dns_set_callback_delay - tests only: delay every answer's delivery. */
void
am_dns_set_callback_delay(struct am_dns *dns, unsigned delay_us)
{
	atomic_store_explicit(&dns->cb_delay_us, delay_us,
	    memory_order_relaxed);
}

/* am_dns_result_name - "ok", "nxdomain", "nodata", "temperror". */
const char *
am_dns_result_name(enum am_dns_result r)
{
	switch (r) {
	case AM_DNS_OK:
		return "ok";
	case AM_DNS_NXDOMAIN:
		return "nxdomain";
	case AM_DNS_NODATA:
		return "nodata";
	case AM_DNS_TEMPERROR:
		return "temperror";
	}
	return "invalid";
}
