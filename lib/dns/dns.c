/*
 * dns.c - the libunbound facade of dns.h (LIBRARY-NOTES §5).
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
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <unbound.h>

#include "core/xalloc.h"
#include "dns/dns.h"

enum qstate {
	Q_PENDING,		/* waiting for libunbound */
	Q_ANSWERED,		/* the callback delivered err/res */
	Q_FAILED,		/* finished without libunbound: fail_* */
};

struct am_dns {
	struct ub_ctx *ctx;		/* libunbound; thread-safe on its own */
	pthread_condattr_t condattr;	/* CLOCK_MONOTONIC; immutable */
	pthread_t poller;		/* runs ub_process() */
	bool has_poller;		/* poller was started; immutable */
	int wake[2];			/* self-pipe; a byte stops the poller */
	pthread_mutex_t lock;		/* covers nlive, orphans and, in
					 * every query, state, refs,
					 * is_pending, is_orphan, err, res */
	size_t nlive;			/* queries not yet freed (lock) */
	struct am_dns_query *orphans;	/* caller gone, callback due (lock) */
	bool is_local_only;		/* static "." zone; immutable */
	pthread_mutex_t local_lock;	/* covers rrs, nrrs, root_type;
					 * serialises local data changes */
	char **rrs;			/* owned: local data added so far
					 * (local_only), replayed by
					 * root_relink() (local_lock) */
	size_t nrrs;			/* entries in rrs (local_lock) */
	char root_type[32];		/* type of "." (local_lock) */
	_Atomic unsigned cb_delay_us;	/* tests: sleep in each callback
					 * before recording (atomic) */
	_Atomic unsigned long nqueries;	/* ub_resolve_async calls */
};

struct am_dns_query {
	struct am_dns *dns;		/* borrowed; outlives the query */
	pthread_cond_t cond;		/* broadcast when state leaves
					 * Q_PENDING; used with dns->lock */
	int async_id;			/* libunbound id; caller thread only */
	bool is_cancel_sent;		/* ub_cancel() tried; caller only */
	enum qstate state;		/* lock */
	unsigned refs;			/* caller + pending callback (lock) */
	bool is_pending;		/* callback may still run (lock) */
	bool is_orphan;			/* on dns->orphans (lock) */
	struct am_dns_query *prev;	/* orphan list links (lock) */
	struct am_dns_query *next;
	int err;			/* ub error from the callback (lock) */
	struct ub_result *res;		/* owned; from the callback (lock) */
	enum am_dns_result fail_result;	/* for Q_FAILED */
	char fail_why[160];		/* for Q_FAILED */
};

/* RFC 1035 §2.3.4: 255 octets on the wire = 253 characters of text. */
#define DNS_MAX_NAME AM_DNS_MAX_NAME
#define DNS_MAX_LABEL 63

/* ---------------------------------------------------------- poller */

/* dns_poller - deliver answers until a byte arrives on the self-pipe. */
static void *
dns_poller(void *arg)
{
	struct am_dns *dns = arg;
	struct pollfd pfd[2];
	int ubfd = ub_fd(dns->ctx);

	pfd[1].fd = dns->wake[0];
	pfd[1].events = POLLIN;
	for (;;) {
		/* A negative fd is ignored by poll(): used once libunbound's
		 * pipe broke; pending queries then run into their deadline. */
		pfd[0].fd = ubfd;
		pfd[0].events = POLLIN;
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[1].revents != 0)
			break;
		if (pfd[0].revents != 0 && ub_process(dns->ctx) != 0)
			ubfd = -1;
	}
	return NULL;
}

/* poller_start - start the poller with every signal blocked in it. */
static int
poller_start(struct am_dns *dns)
{
	sigset_t all, old;
	int rc;

	(void)sigfillset(&all);
	(void)pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&dns->poller, NULL, dns_poller, dns);
	(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

/* ---------------------------------------------------------- context */

/* set_forwarders - ub_ctx_set_fwd() for each "addr[@port]" in list. */
static enum am_status
set_forwarders(struct ub_ctx *ctx, const char *list, struct am_why *why)
{
	const char *seps = ", \t\n";
	char addr[128];
	size_t n;
	int r;

	for (list += strspn(list, seps); *list; list += strspn(list, seps)) {
		n = strcspn(list, seps);
		if (n >= sizeof(addr)) {
			am_why_set(why, "nameserver \"%.*s\": too long",
			    (int)n, list);
			return AM_PERMFAIL;
		}
		(void)snprintf(addr, sizeof(addr), "%.*s", (int)n, list);
		if ((r = ub_ctx_set_fwd(ctx, addr)) != 0) {
			am_why_set(why, "nameserver \"%s\": %s", addr,
			    ub_strerror(r));
			return AM_PERMFAIL;
		}
		list += n;
	}
	return AM_OK;
}

/* ctx_setup - configure ctx in the order libunbound requires. */
static enum am_status
ctx_setup(struct ub_ctx *ctx, const struct am_dns_opts *opts,
    struct am_why *why)
{
	const char *step;
	int r;

	/* Threads, never fork: must precede anything that finalises. */
	if ((r = ub_ctx_async(ctx, 1)) != 0) {
		step = "ub_ctx_async";
		goto fail;
	}
	(void)ub_ctx_debugout(ctx, NULL);	/* NULL log file: silent */
	/*
	 * local_only: the static "." zone answers everything. The forwarder
	 * is the loopback discard port, so that a name escaping the zone
	 * (see root_relink) can never make libunbound recurse to the root.
	 */
	if (opts->local_only && (r = ub_ctx_set_fwd(ctx, "127.0.0.1@9")) != 0) {
		step = "local_only forwarder";
		goto fail;
	}
	if (!opts->local_only && opts->nameservers != NULL &&
	    *opts->nameservers != '\0') {
		if (set_forwarders(ctx, opts->nameservers, why) != AM_OK)
			return AM_PERMFAIL;
	} else if (!opts->local_only &&
	    (r = ub_ctx_resolvconf(ctx, NULL)) != 0) {
		step = "/etc/resolv.conf";
		goto fail;
	}
	if (opts->trust_anchor_file != NULL && *opts->trust_anchor_file &&
	    (r = ub_ctx_add_ta_file(ctx, opts->trust_anchor_file)) != 0) {
		step = opts->trust_anchor_file;
		goto fail;
	}
	/*
	 * Finalise now, so a bad trust anchor fails here and not in every
	 * query: zone_add finalises; zone_remove of a name that is not a zone
	 * finalises and changes nothing.
	 */
	if (opts->local_only)
		r = ub_ctx_zone_add(ctx, ".", "static");
	else
		r = ub_ctx_zone_remove(ctx, "authmilter-none.invalid.");
	step = "finalising the resolver";
	if (r != 0)
		goto fail;
	return AM_OK;
fail:
	am_why_set(why, "%s: %s", step, ub_strerror(r));
	return AM_PERMFAIL;
}

/* am_dns_new - the shared resolver, or NULL with a reason. */
struct am_dns *
am_dns_new(const struct am_dns_opts *opts, struct am_why *why)
{
	struct am_dns *dns = am_xcalloc(1, sizeof(*dns));

	dns->wake[0] = dns->wake[1] = -1;
	dns->is_local_only = opts->local_only;
	(void)snprintf(dns->root_type, sizeof(dns->root_type), "static");
	(void)pthread_mutex_init(&dns->lock, NULL);
	(void)pthread_mutex_init(&dns->local_lock, NULL);
	(void)pthread_condattr_init(&dns->condattr);
	(void)pthread_condattr_setclock(&dns->condattr, CLOCK_MONOTONIC);
	if ((dns->ctx = ub_ctx_create()) == NULL) {
		am_why_set(why, "ub_ctx_create failed");
		return am_dns_free(dns);
	}
	if (ctx_setup(dns->ctx, opts, why) != AM_OK)
		return am_dns_free(dns);
	if (pipe2(dns->wake, O_CLOEXEC) != 0) {
		am_why_set(why, "pipe: %s", strerror(errno));
		return am_dns_free(dns);
	}
	if (poller_start(dns) != 0) {
		am_why_set(why, "cannot start the DNS poller thread");
		return am_dns_free(dns);
	}
	dns->has_poller = true;
	return dns;
}

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

/* ---------------------------------------------------------- local data */

/*
 * XXX libunbound 1.17 (localzone.c local_zones_add_zone) gives a zone added
 * after finalisation a NULL parent: it looks the parent up with an exact
 * match on the zone's own name. A name that sorts after such a zone but is
 * not under it then finds no enclosing local zone, so with local_only it
 * escapes the static "." zone and libunbound starts recursing (priming the
 * root: traffic, then a ~2 s stall). Adding a zone re-links every parentless
 * zone under it, so after each new zone root_relink() removes "." and adds
 * it again, then replays the local data that went with it. Zones must
 * therefore not be added while queries are running. Without local_only
 * there is no "." zone to re-link; only names under the new zone are safe.
 * Fixed upstream would be: find the closest enclosing zone, not an exact one.
 */

/* root_relink - re-create "." and its data (local_lock held). */
static int
root_relink(struct am_dns *dns)
{
	size_t i;
	int r;

	if ((r = ub_ctx_zone_remove(dns->ctx, ".")) != 0 ||
	    (r = ub_ctx_zone_add(dns->ctx, ".", dns->root_type)) != 0)
		return r;
	for (i = 0; i < dns->nrrs; i++)
		if ((r = ub_ctx_data_add(dns->ctx, dns->rrs[i])) != 0)
			return r;
	return 0;
}

/* am_dns_add_local - add local data ("name. TTL IN TYPE rdata"). */
enum am_status
am_dns_add_local(struct am_dns *dns, const char *rr, struct am_why *why)
{
	int r;

	(void)pthread_mutex_lock(&dns->local_lock);
	if ((r = ub_ctx_data_add(dns->ctx, rr)) == 0 && dns->is_local_only) {
		dns->rrs = am_xreallocarray(dns->rrs, dns->nrrs + 1,
		    sizeof(*dns->rrs));
		dns->rrs[dns->nrrs++] = am_xstrdup(rr);
	}
	(void)pthread_mutex_unlock(&dns->local_lock);
	if (r == 0)
		return AM_OK;
	/* libunbound reports a syntax error as "out of memory". */
	am_why_set(why, "local data \"%s\": rejected (%s)", rr, ub_strerror(r));
	return AM_PERMFAIL;
}

/* am_dns_add_local_zone - add a local zone of an unbound zone type. */
enum am_status
am_dns_add_local_zone(struct am_dns *dns, const char *zone, const char *type,
    struct am_why *why)
{
	bool is_root = strcmp(zone, ".") == 0;
	int r;

	(void)pthread_mutex_lock(&dns->local_lock);
	r = ub_ctx_zone_add(dns->ctx, zone, type);
	if (r == 0 && is_root)
		(void)snprintf(dns->root_type, sizeof(dns->root_type), "%s",
		    type);
	else if (r == 0 && dns->is_local_only)
		r = root_relink(dns);
	(void)pthread_mutex_unlock(&dns->local_lock);
	if (r == 0)
		return AM_OK;
	am_why_set(why, "local zone \"%s\" %s: %s", zone, type, ub_strerror(r));
	return AM_PERMFAIL;
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
	(void)snprintf(q->fail_why, sizeof(q->fail_why), "%s", why);
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
	r = ub_resolve_async(dns->ctx, name, rrtype, 1 /* IN */, q,
	    dns_callback, &q->async_id);
	if (r != 0) {
		/* Every failure return leaves the callback unscheduled. */
		(void)snprintf(why, sizeof(why), "resolver: %s",
		    ub_strerror(r));
		(void)pthread_mutex_lock(&dns->lock);
		q->refs = 1;
		q->is_pending = false;
		query_fail(q, AM_DNS_TEMPERROR, why);
		(void)pthread_mutex_unlock(&dns->lock);
	}
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
		(void)snprintf(ans->why, sizeof(ans->why), "DNSSEC bogus: %s",
		    res->why_bogus ? res->why_bogus : "no reason given");
	else if (res->rcode == 0 && res->havedata) {
		ans->result = AM_DNS_OK;
		answer_copy_records(res, ans);
	} else if (res->rcode == 0)
		ans->result = AM_DNS_NODATA;
	else if (res->rcode == 3)
		ans->result = AM_DNS_NXDOMAIN;
	else if (res->rcode == 2)
		(void)snprintf(ans->why, sizeof(ans->why), "SERVFAIL");
	else if (res->rcode == 5)
		(void)snprintf(ans->why, sizeof(ans->why), "REFUSED");
	else
		(void)snprintf(ans->why, sizeof(ans->why), "rcode %d",
		    res->rcode);
}

/* answer_fill - ans from a finished query (only the caller reads it now). */
static void
answer_fill(const struct am_dns_query *q, struct am_dns_answer *ans)
{
	if (q->state == Q_FAILED) {
		ans->result = q->fail_result;
		(void)snprintf(ans->why, sizeof(ans->why), "%s", q->fail_why);
	} else if (q->err != 0 || q->res == NULL) {
		ans->result = AM_DNS_TEMPERROR;
		(void)snprintf(ans->why, sizeof(ans->why), "resolver: %s",
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
	if (is_expired)
		query_cancel(q);
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
