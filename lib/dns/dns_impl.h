/*
 * dns_impl.h - private to dns.c and dns_ctx.c: the resolver and query
 * structs both halves of the facade work on. Nothing else includes this
 * file. Include it after dns/dns.h (enum am_dns_result); it does not include
 * dns.h itself, which would make a dns <-> dns_impl loop for
 * tests/static/layers.sh.
 */
#ifndef AM_DNS_IMPL_H
#define AM_DNS_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ub_ctx;
struct ub_result;

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
	_Atomic(struct am_dns_counters *) counters;	/* borrowed, or NULL
							 * (atomic) */
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
	uint64_t sent_ns;		/* CLOCK_MONOTONIC when sent, ns;
					 * immutable once sent */
	enum am_dns_result fail_result;	/* for Q_FAILED */
	char fail_why[160];		/* for Q_FAILED */
};

#endif
