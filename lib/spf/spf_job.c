/*
 * spf_job.c - SPF checks started early (at HELO and MAIL FROM) and run by a
 * small pool of threads while the message streams; the contract is in
 * spf.h ("Early start").
 *
 * libspf2 evaluates synchronously through our DNS layer, so starting early
 * means running the whole evaluation elsewhere: libspf2 still reads every
 * record (its includes, redirects, a/mx/ptr/exists terms and macros), and
 * nothing of SPF is parsed twice. A job's state moves QUEUED -> RUNNING ->
 * DONE under the pool's lock. Whoever finishes a job first runs it: a pool
 * thread, or the message's own thread at end of message when no thread got
 * to it (the pool is bounded; a busy pool never makes a message wait longer
 * than running the check itself). A job freed while queued is unlinked; one
 * freed while running is detached, and the thread that runs it frees it:
 * nothing answers into freed memory. am_spf_free() joins the threads after
 * they have run whatever is queued.
 */
#include "autoconf.h"

#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "core/am.h"
#include "core/netaddr.h"
#include "core/xalloc.h"
#include "dns/dns.h"
#include "spf/spf.h"
#include "spf/spf_impl.h"

enum job_state { JOB_QUEUED, JOB_RUNNING, JOB_DONE };

struct am_spf_job {
	struct am_spf *spf;		/* borrowed; outlives the job */
	enum am_spf_scope scope;	/* the identity checked */
	struct am_addr client;		/* copy */
	char *helo;			/* owned */
	char *mail_from;		/* owned; "" for HELO jobs */
	unsigned timeout_ms;		/* DNSTimeout from when it runs */
	enum job_state state;		/* pool lock */
	bool is_detached;		/* owner gone: the runner frees it
					 * (pool lock) */
	struct am_spf_job *prev;	/* queue links (pool lock) */
	struct am_spf_job *next;
	struct am_spf_result r;		/* written by the runner before DONE;
					 * read by the owner after */
};

static void
job_destroy(struct am_spf_job *j)
{
	free(j->helo);
	free(j->mail_from);
	free(j);
}

/* unlink_job - take j out of the queue (lock held). */
static void
unlink_job(struct spf_pool *p, struct am_spf_job *j)
{
	if (j->prev != NULL)
		j->prev->next = j->next;
	else
		p->head = j->next;
	if (j->next != NULL)
		j->next->prev = j->prev;
	else
		p->tail = j->prev;
	j->prev = j->next = NULL;
	p->nqueued--;
}

/* run - evaluate j (state RUNNING, lock not held). */
static void
run(struct am_spf_job *j, uint64_t deadline_ms)
{
	am_spf_eval_one(j->spf, j->scope, &j->client, j->helo, j->mail_from,
	    deadline_ms, &j->r);
}

/* worker - a pool thread: run queued jobs until stopped and none is left. */
static void *
worker(void *arg)
{
	struct am_spf *spf = arg;
	struct spf_pool *p = &spf->pool;
	struct am_spf_job *j;

	/* named, so a process listing (and tests/e2e/dns_faults) can tell the
	 * pool's parked threads from others */
	(void)pthread_setname_np(pthread_self(), "am-spf-pool");
	(void)pthread_mutex_lock(&p->lock);
	for (;;) {
		while (p->head == NULL && !p->is_stopping) {
			p->nidle++;
			(void)pthread_cond_wait(&p->work, &p->lock);
			p->nidle--;
		}
		if ((j = p->head) == NULL)
			break;
		unlink_job(p, j);
		j->state = JOB_RUNNING;
		(void)pthread_mutex_unlock(&p->lock);
		run(j, am_dns_deadline(j->timeout_ms));
		(void)pthread_mutex_lock(&p->lock);
		j->state = JOB_DONE;
		if (j->is_detached)
			job_destroy(j);
		else
			(void)pthread_cond_broadcast(&p->done);
	}
	(void)pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* grow - one more thread when the queue holds more jobs than there are
 * idle threads to take them (lock held; a woken thread counts as idle
 * until it runs, so a burst of jobs gets threads of its own instead of
 * waiting one after the other). A thread that cannot be made leaves the
 * job queued: its owner runs it at the end. */
static void
grow(struct am_spf *spf)
{
	struct spf_pool *p = &spf->pool;
	sigset_t all, old;

	if (p->nqueued <= p->nidle || p->nthreads == AM_SPF_THREADS)
		return;
	/* no signal for pool threads (STYLE §17) */
	(void)sigfillset(&all);
	(void)pthread_sigmask(SIG_SETMASK, &all, &old);
	if (pthread_create(&p->tid[p->nthreads], NULL, worker, spf) == 0)
		p->nthreads++;
	(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void
am_spf_pool_init(struct am_spf *spf)
{
	struct spf_pool *p = &spf->pool;

	(void)pthread_mutex_init(&p->lock, NULL);
	(void)pthread_cond_init(&p->work, NULL);
	(void)pthread_cond_init(&p->done, NULL);
}

void
am_spf_pool_stop(struct am_spf *spf)
{
	struct spf_pool *p = &spf->pool;
	unsigned i;

	(void)pthread_mutex_lock(&p->lock);
	p->is_stopping = true;
	(void)pthread_cond_broadcast(&p->work);
	(void)pthread_mutex_unlock(&p->lock);
	for (i = 0; i < p->nthreads; i++)
		(void)pthread_join(p->tid[i], NULL);
	if (p->head != NULL)
		AM_PANIC("am_spf_free: a check started early was never freed");
	(void)pthread_cond_destroy(&p->done);
	(void)pthread_cond_destroy(&p->work);
	(void)pthread_mutex_destroy(&p->lock);
}

/* am_spf_job_start - queue the check of one identity (spf.h). */
struct am_spf_job *
am_spf_job_start(struct am_spf *spf, enum am_spf_scope scope,
    const struct am_addr *client, const char *helo, const char *mail_from,
    unsigned timeout_ms)
{
	struct spf_pool *p;
	struct am_spf_job *j;

	if (spf == NULL || client == NULL)
		AM_PANIC("am_spf_job_start: NULL argument");
	p = &spf->pool;
	j = am_xcalloc(1, sizeof(*j));
	j->spf = spf;
	j->scope = scope;
	j->client = *client;
	j->helo = am_xstrdup(helo != NULL ? helo : "");
	j->mail_from = am_xstrdup(scope == AM_SPF_SCOPE_MFROM &&
	    mail_from != NULL ? mail_from : "");
	j->timeout_ms = timeout_ms;
	if (am_addr_is_loopback(client)) {	/* no DNS: now */
		run(j, 0);
		j->state = JOB_DONE;
		return j;
	}
	(void)pthread_mutex_lock(&p->lock);
	j->state = JOB_QUEUED;
	j->prev = p->tail;
	if (p->tail != NULL)
		p->tail->next = j;
	else
		p->head = j;
	p->tail = j;
	p->nqueued++;
	grow(spf);
	(void)pthread_cond_signal(&p->work);
	(void)pthread_mutex_unlock(&p->lock);
	return j;
}

/* same_addr - the same family and address bytes. */
static bool
same_addr(const struct am_addr *a, const struct am_addr *b)
{
	return a->family == b->family && memcmp(a->bytes, b->bytes,
	    a->family == AF_INET ? 4 : 16) == 0;
}

/* am_spf_job_is - was j started for these inputs? */
bool
am_spf_job_is(const struct am_spf_job *j, enum am_spf_scope scope,
    const struct am_addr *client, const char *helo, const char *mail_from)
{
	if (j == NULL || client == NULL)
		AM_PANIC("am_spf_job_is: NULL argument");
	return j->scope == scope && same_addr(&j->client, client) &&
	    strcmp(j->helo, helo != NULL ? helo : "") == 0 &&
	    (scope == AM_SPF_SCOPE_HELO || strcmp(j->mail_from,
	    mail_from != NULL ? mail_from : "") == 0);
}

/* am_spf_job_finish - the result, running the check here if no thread
 * has taken it yet. */
void
am_spf_job_finish(struct am_spf_job *j, uint64_t deadline_ms,
    struct am_spf_result *r)
{
	struct spf_pool *p;
	bool is_mine = false;

	if (j == NULL || r == NULL)
		AM_PANIC("am_spf_job_finish: NULL argument");
	p = &j->spf->pool;
	(void)pthread_mutex_lock(&p->lock);
	if (j->state == JOB_QUEUED) {
		unlink_job(p, j);
		j->state = JOB_RUNNING;
		is_mine = true;
	}
	(void)pthread_mutex_unlock(&p->lock);
	if (is_mine) {
		run(j, deadline_ms);
		(void)pthread_mutex_lock(&p->lock);
		j->state = JOB_DONE;
		(void)pthread_mutex_unlock(&p->lock);
	}
	(void)pthread_mutex_lock(&p->lock);
	while (j->state != JOB_DONE)
		(void)pthread_cond_wait(&p->done, &p->lock);
	(void)pthread_mutex_unlock(&p->lock);
	*r = j->r;
}

/* am_spf_job_free - unlink, detach or free (see the top of the file). */
struct am_spf_job *
am_spf_job_free(struct am_spf_job *j)
{
	struct spf_pool *p;
	bool is_gone = true;

	if (j == NULL)
		return NULL;
	p = &j->spf->pool;
	(void)pthread_mutex_lock(&p->lock);
	if (j->state == JOB_QUEUED)
		unlink_job(p, j);
	else if (j->state == JOB_RUNNING) {
		j->is_detached = true;
		is_gone = false;
	}
	(void)pthread_mutex_unlock(&p->lock);
	if (is_gone)
		job_destroy(j);
	return NULL;
}
