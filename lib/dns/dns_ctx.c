/*
 * dns_ctx.c - the libunbound context of dns.h (LIBRARY-NOTES §5).
 *
 * am_dns_new() configures one ub_ctx in the order libunbound requires:
 * threaded async mode first (before anything can finalise the context;
 * otherwise ub_resolve_async() would fork), then the forwarders or
 * /etc/resolv.conf, the DNSSEC trust anchor (RFC 4033-4035), and an explicit
 * finalisation so that a bad anchor fails here and not in every query. It
 * then starts the poller thread that runs ub_process() and so delivers every
 * answer (dns.c), and makes libunbound start its worker thread (see
 * warm_up). am_dns_add_local() and am_dns_add_local_zone() add local
 * data (master-file records, RFC 1035 §5.1, in unbound's local-data syntax)
 * and zones, for tests. am_dns_free() is in dns.c: tearing down means
 * releasing the queries' orphans. Both files share dns_impl.h.
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <unbound.h>

#include "core/xalloc.h"
#include "dns/dns.h"
#include "dns/dns_impl.h"

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
		AM_SNPRINTF_FIT(addr, sizeof(addr), "%.*s", (int)n, list);
		if ((r = ub_ctx_set_fwd(ctx, addr)) != 0) {
			am_why_set(why, "nameserver \"%s\": %s", addr,
			    ub_strerror(r));
			return AM_PERMFAIL;
		}
		list += n;
	}
	return AM_OK;
}

/* UDP sockets libunbound may have open at once, one per query in flight
 * (a file descriptor each). */
#define AM_DNS_OUTGOING_PORTS 256
#define AM_DNS_STR_(x) #x
#define AM_DNS_STR(x) AM_DNS_STR_(x)

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
	 * libunbound's library default is 16 outgoing UDP ports
	 * (config_create_forlib): 16 queries in flight, the rest wait for
	 * one of them. A message starts its lookups together (issue 16:
	 * about four) and 64 connections run at once, so at 16 the 17th
	 * query waited a whole round trip (measured: 64 parallel queries
	 * came back in four waves of 16, 20 ms apart).
	 */
	if ((r = ub_ctx_set_option(ctx, "outgoing-range:",
	    AM_DNS_STR(AM_DNS_OUTGOING_PORTS))) != 0) {
		step = "outgoing-range";
		goto fail;
	}
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

#define FD_HEADROOM	16	/* descriptors the worker needs, with room */
#define WARM_MS		2000	/* wait for the warm-up answer */

/*
 * warm_up - start libunbound's worker now, with every signal blocked in it.
 * libunbound creates that thread and its libevent base at the first query,
 * and libevent exits the process when it cannot get the descriptors it
 * needs ("evsig_init_: socketpair: Too many open files"). Lazily, that was
 * the first message after a start or a reload; with every descriptor taken
 * by milter connections the daemon died there. Now a shortage is an error
 * of am_dns_new() (start-up fails, a reload keeps the running
 * configuration), checked first; the query ("localhost.", one of
 * libunbound's default local zones) sends nothing.
 */
static enum am_status
warm_up(struct am_dns *dns, struct am_why *why)
{
	struct am_dns_answer ans;
	struct am_dns_query *q;
	sigset_t all, old;
	int fds[FD_HEADROOM], n, i;

	for (n = 0; n < FD_HEADROOM; n++)
		if ((fds[n] = fcntl(dns->wake[0], F_DUPFD_CLOEXEC, 0)) < 0)
			break;
	for (i = 0; i < n; i++)
		(void)close(fds[i]);
	if (n < FD_HEADROOM) {
		am_why_set(why, "only %d file descriptors free, the resolver "
		    "needs %d (RLIMIT_NOFILE)", n, FD_HEADROOM);
		return AM_TEMPFAIL;
	}
	(void)sigfillset(&all);
	(void)pthread_sigmask(SIG_SETMASK, &all, &old);
	q = am_dns_start(dns, "localhost.", 1 /* A */);
	(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
	am_dns_wait(q, am_dns_deadline(WARM_MS), &ans);
	(void)am_dns_query_free(q);
	am_dns_answer_release(&ans);
	atomic_store(&dns->nqueries, 0);
	return AM_OK;
}

/* am_dns_new - the shared resolver, or NULL with a reason. */
struct am_dns *
am_dns_new(const struct am_dns_opts *opts, struct am_why *why)
{
	struct am_dns *dns = am_xcalloc(1, sizeof(*dns));

	dns->wake[0] = dns->wake[1] = -1;
	dns->is_local_only = opts->local_only;
	AM_SNPRINTF_FIT(dns->root_type, sizeof(dns->root_type), "static");
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
	if (warm_up(dns, why) != AM_OK)
		return am_dns_free(dns);
	return dns;
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
	/* unbound took it: one of its zone types, all shorter than 32 */
	if (r == 0 && is_root)
		AM_SNPRINTF_FIT(dns->root_type, sizeof(dns->root_type), "%s",
		    type);
	else if (r == 0 && dns->is_local_only)
		r = root_relink(dns);
	(void)pthread_mutex_unlock(&dns->local_lock);
	if (r == 0)
		return AM_OK;
	am_why_set(why, "local zone \"%s\" %s: %s", zone, type, ub_strerror(r));
	return AM_PERMFAIL;
}
