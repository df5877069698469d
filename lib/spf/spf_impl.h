/*
 * spf_impl.h - private to spf.c and spf_exp.c: the server, the state of one
 * identity's check (the exp= expansion reads it through the DNS layer's arg
 * pointer) and the expander spf.c hands to that layer. Nothing else
 * includes this file.
 */
#ifndef AM_SPF_IMPL_H
#define AM_SPF_IMPL_H

#include <netinet/in.h>
#include <pthread.h>
#include <spf2/spf.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/am.h"
#include "core/buf.h"
#include "core/netaddr.h"
#include "spf/spf.h"
#include "spf/spf_dns.h"

#define AM_SPF_THREADS 64	/* evaluations running early at once */

/* The threads that run checks started early (spf_job.c). */
struct spf_pool {
	pthread_mutex_t lock;		/* covers everything below and, in
					 * each job, state, is_detached and
					 * the queue links */
	pthread_cond_t work;		/* a job queued, or stop */
	pthread_cond_t done;		/* a job finished (broadcast) */
	struct am_spf_job *head;	/* queued jobs, oldest first */
	struct am_spf_job *tail;
	pthread_t tid[AM_SPF_THREADS];	/* started threads */
	unsigned nthreads;		/* entries of tid used */
	unsigned nidle;			/* threads waiting for work */
	unsigned nqueued;		/* jobs in the queue */
	bool is_stopping;		/* am_spf_free() runs */
};

struct am_spf {
	SPF_server_t *server;	/* owned */
	SPF_dns_server_t *layer;	/* owned: our DNS layer under server */
	unsigned void_limit;	/* SPFVoidLookupLimit */
	char receiver[256];	/* %{r} in explanations: AuthservID */
	struct spf_pool pool;	/* threads started on first use */
};

/* One identity being evaluated; lives on the checking thread's stack. */
struct check {
	struct am_spf_dns_check dns;	/* layer state (deadline, limits) */
	const struct am_spf *spf;	/* borrowed */
	SPF_request_t *req;		/* borrowed: for %{d} (cur_dom) */
	const struct am_addr *client;	/* borrowed */
	const char *sender;		/* borrowed: local@domain */
	const char *helo;		/* borrowed: HELO name as given */
};

/* am_spf_eval_one - one identity (spf.c): what am_spf_check() does for
 * scope, r overwritten. */
void am_spf_eval_one(struct am_spf *spf, enum am_spf_scope scope,
    const struct am_addr *client, const char *helo, const char *mail_from,
    uint64_t deadline_ms, struct am_spf_result *r);

/* am_spf_pool_init / am_spf_pool_stop - the job threads (spf_job.c): set
 * up in am_spf_new(); stopped and joined in am_spf_free(), after they have
 * finished every job left (detached ones included). */
void am_spf_pool_init(struct am_spf *spf);
void am_spf_pool_stop(struct am_spf *spf);

/* am_spf_expand_exp - the exp= text of a fail, expanded (spf_exp.c); an
 * am_spf_dns_exp_fn whose dc->arg is the struct check. */
enum am_status am_spf_expand_exp(struct am_spf_dns_check *dc,
    const char *text, struct am_buf *out);

#endif
