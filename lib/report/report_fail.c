/*
 * report_fail.c - DMARC failure reports (contract in report_fail.h): fo=
 * (RFC 7489 §6.3: 0, 1, d, s), the hourly limit per Reported-Domain, a
 * bounded queue, and one thread that checks each ruf= destination as RFC
 * 7489 §7.1 asks (RFC 9991 keeps the check) and mails the RFC 6591 report
 * through the aggregate reports' sender (report_mail.c). A milter callback
 * only copies and queues; the network is the thread's.
 */
#include "autoconf.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "core/xalloc.h"
#include "report/report_send.h"
#include "report/report_fail.h"

#define QUEUE_DEFAULT 256	/* reports waiting */
#define RATE_SLOTS 1024		/* domains whose hourly window is kept */
#define RATE_WINDOW 3600	/* seconds */

/* One queued report: owned copies of the input. */
struct job {
	struct job *next;
	struct am_report_fail_input in;	/* strings point into the job */
	struct am_afrf_header *headers;	/* owned array */
	char **strs;			/* every owned string */
	size_t nstrs;
	char *ruf[AM_DMARC_MAX_RUF];	/* owned */
};

/* The hourly window of one Reported-Domain. */
struct rate {
	char domain[AM_DMARC_DOMAIN_LEN];	/* "" when free */
	int64_t start;				/* window start, UTC s */
	unsigned count;				/* reports in it */
};

struct am_report_fail {
	pthread_mutex_t lock;		/* covers everything below */
	pthread_cond_t wake;		/* a job, or stopping */
	pthread_cond_t idle;		/* queue empty, thread idle */
	pthread_t thread;
	struct am_report_fail_opts o;	/* copied */
	struct job *head, *tail;	/* the queue */
	size_t n;			/* jobs queued */
	bool is_busy;			/* the thread holds a job */
	bool is_stopping;		/* close called */
	uint64_t seq;			/* report ids */
	struct am_report_fail_counters c;
	struct rate rates[RATE_SLOTS];
};

/* ------------------------------------------------------------- fo= */

/* fo_has - does the fo= value hold option c ("0:d" has '0' and 'd')? */
static bool
fo_has(const char *fo, char c)
{
	size_t i;

	for (i = 0; fo[i] != '\0'; i++)
		if (fo[i] == c && (i == 0 || fo[i - 1] == ':') &&
		    (fo[i + 1] == '\0' || fo[i + 1] == ':'))
			return true;
	return false;
}

/* am_report_fail_type - the Auth-Failure of a report, or NULL. */
const char *
am_report_fail_type(const struct am_dmarc_result *d,
    const struct am_dkim_results *dkim, const struct am_spf_result *spf,
    const struct am_dkim_sig **sig)
{
	const char *fo;
	size_t i;

	if (d == NULL || sig == NULL)
		AM_PANIC("am_report_fail_type: NULL argument");
	*sig = NULL;
	if (!d->has_record || d->rec.nruf == 0)
		return NULL;
	fo = d->rec.fo[0] != '\0' ? d->rec.fo : "0";
	if (d->result == AM_DMARC_FAIL && (fo_has(fo, '0') || fo_has(fo, '1')))
		return "dmarc";
	for (i = 0; dkim != NULL && i < dkim->count &&
	    (fo_has(fo, '1') || fo_has(fo, 'd')); i++)
		if (dkim->sigs[i].result == AM_DKIM_FAIL) {
			*sig = &dkim->sigs[i];
			return dkim->sigs[i].reason != NULL &&
			    strcmp(dkim->sigs[i].reason,
			    "body hash mismatch") == 0 ? "bodyhash" :
			    "signature";
		}
	if (spf != NULL && spf->is_checked && spf->result == AM_SPF_FAIL &&
	    (fo_has(fo, '1') || fo_has(fo, 's')))
		return "spf";
	return NULL;
}

/* ------------------------------------------------------------ jobs */

/* keep - an owned copy of s held by the job, or NULL for NULL. */
static const char *
keep(struct job *j, const char *s, size_t len)
{
	if (s == NULL)
		return NULL;
	j->strs = am_xreallocarray(j->strs, j->nstrs + 1, sizeof(*j->strs));
	return j->strs[j->nstrs++] = am_xmemdup(s, len);
}

#define KEEP(j, s) keep((j), (s), (s) != NULL ? strlen(s) : 0)

/* job_new - an owned copy of in. */
static struct job *
job_new(const struct am_report_fail_input *in)
{
	struct job *j = am_xcalloc(1, sizeof(*j));
	struct am_afrf *a = &j->in.afrf;
	size_t i;

	j->in = *in;
	a->from = KEEP(j, in->afrf.from);
	a->reporting_mta = KEEP(j, in->afrf.reporting_mta);
	a->domain = KEEP(j, in->afrf.domain);
	a->auth_failure = KEEP(j, in->afrf.auth_failure);
	a->source_ip = KEEP(j, in->afrf.source_ip);
	a->mail_from = KEEP(j, in->afrf.mail_from);
	a->authres = KEEP(j, in->afrf.authres);
	a->delivery = KEEP(j, in->afrf.delivery);
	a->alignment = KEEP(j, in->afrf.alignment);
	a->dkim_domain = KEEP(j, in->afrf.dkim_domain);
	a->dkim_selector = KEEP(j, in->afrf.dkim_selector);
	j->headers = am_xcalloc(in->afrf.nheaders ? in->afrf.nheaders : 1,
	    sizeof(*j->headers));
	for (i = 0; i < in->afrf.nheaders; i++) {
		j->headers[i].name = KEEP(j, in->afrf.headers[i].name);
		j->headers[i].value = keep(j, in->afrf.headers[i].value,
		    in->afrf.headers[i].len);
		j->headers[i].len = in->afrf.headers[i].len;
	}
	a->headers = j->headers;
	j->in.policy_domain = KEEP(j, in->policy_domain);
	for (i = 0; i < in->nruf && i < AM_DMARC_MAX_RUF; i++)
		j->ruf[i] = am_xstrdup(in->ruf[i]);
	j->in.nruf = i;
	j->in.ruf = NULL;
	j->in.sendmail = KEEP(j, in->sendmail);
	j->in.smtp_server = KEEP(j, in->smtp_server);
	j->in.helo = KEEP(j, in->helo);
	return j;
}

/* job_free - release the owner, free the copies. */
static void
job_free(struct job *j)
{
	size_t i;

	if (j->in.release != NULL)
		j->in.release(j->in.owner);
	for (i = 0; i < j->nstrs; i++)
		free(j->strs[i]);
	for (i = 0; i < j->in.nruf; i++)
		free(j->ruf[i]);
	free(j->strs);
	free(j->headers);
	free(j);
}

/* ---------------------------------------------------------- sending */

/* note - one line to opts.note. */
static void AM_FMT(2, 3)
note(const struct am_report_fail *q, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (q->o.note == NULL)
		return;
	va_start(ap, fmt);
	(void)am_vsnprintf_cut(line, sizeof(line), fmt, ap);
	va_end(ap);
	q->o.note(q->o.note_arg, line);
}

/* count - one counter up, under the lock. */
static void
count(struct am_report_fail *q, uint64_t *c)
{
	(void)pthread_mutex_lock(&q->lock);
	(*c)++;
	(void)pthread_mutex_unlock(&q->lock);
}

/* is_below - is d the policy domain or a name below it? */
static bool
is_below(const char *d, const char *policy)
{
	size_t dl = strlen(d), pl = strlen(policy);

	return strcasecmp(d, policy) == 0 || (dl > pl && d[dl - pl - 1] ==
	    '.' && strcasecmp(d + dl - pl, policy) == 0);
}

/* authorised - RFC 7489 §7.1 for one destination. */
static bool
authorised(struct am_report_fail *q, const struct job *j,
    const struct am_report_dest *d)
{
	struct am_why why;

	if (is_below(d->domain, j->in.policy_domain))
		return true;
	if (am_report_dest_check(j->in.dns, NULL, j->in.policy_domain,
	    d->domain, j->in.timeout_ms, &why) == AM_REPORT_AUTH_OK)
		return true;
	count(q, &q->c.denied);
	note(q, "failure report for %s to %s refused: %s",
	    j->in.policy_domain, d->addr, why.text);
	return false;
}

/* send_one - the report to one destination. */
static void
send_one(struct am_report_fail *q, struct job *j,
    const struct am_report_dest *d)
{
	struct am_buf msg;
	struct am_why why;
	char id[96];
	enum am_status st;
	uint64_t seq;

	(void)pthread_mutex_lock(&q->lock);
	seq = ++q->seq;
	(void)pthread_mutex_unlock(&q->lock);
	AM_SNPRINTF_FIT(id, sizeof(id), "afrf.%lld.%d.%llu",
	    (long long)j->in.now, (int)getpid(), (unsigned long long)seq);
	j->in.afrf.to = d->addr;
	j->in.afrf.report_id = id;
	if ((st = am_report_afrf_message(&j->in.afrf, &msg, &why)) == AM_OK &&
	    d->max_size > 0 && msg.len > d->max_size) {
		am_why_set(&why, "%zu bytes over the !size limit %llu",
		    msg.len,
		    (unsigned long long)d->max_size);
		st = AM_PERMFAIL;
	}
	if (st != AM_OK) {
		count(q, &q->c.denied);
		note(q, "failure report for %s to %s not sent: %s",
		    j->in.afrf.domain, d->addr, why.text);
	} else if ((j->in.smtp_server[0] != '\0' ? am_report_smtp(
	    j->in.smtp_server, j->in.helo, j->in.afrf.from, d->addr, msg.data,
	    msg.len, j->in.timeout_ms, &why) : am_report_sendmail(
	    j->in.sendmail, j->in.afrf.from, msg.data, msg.len, &why)) ==
	    AM_OK) {
		count(q, &q->c.sent);
		note(q, "failure report for %s (%s) sent to %s",
		    j->in.afrf.domain, j->in.afrf.auth_failure, d->addr);
	} else {
		count(q, &q->c.failed);
		note(q, "failure report for %s to %s failed: %s",
		    j->in.afrf.domain, d->addr, why.text);
	}
	am_buf_release(&msg);
}

/* run_job - every destination of one report. */
static void
run_job(struct am_report_fail *q, struct job *j)
{
	struct am_report_dest dests[AM_DMARC_MAX_RUF];
	size_t i, k, n;

	for (i = 0; i < j->in.nruf; i++) {
		n = am_report_rua_parse(j->ruf[i], dests, AM_DMARC_MAX_RUF);
		for (k = 0; k < n; k++)
			if (authorised(q, j, &dests[k]))
				send_one(q, j, &dests[k]);
	}
}

/* worker - the sender thread. */
static void *
worker(void *arg)
{
	struct am_report_fail *q = arg;
	struct job *j;

	(void)pthread_mutex_lock(&q->lock);
	for (;;) {
		while (q->head == NULL && !q->is_stopping)
			(void)pthread_cond_wait(&q->wake, &q->lock);
		if (q->head == NULL)
			break;
		j = q->head;
		q->head = j->next;
		if (q->head == NULL)
			q->tail = NULL;
		q->n--;
		q->is_busy = true;
		(void)pthread_mutex_unlock(&q->lock);
		run_job(q, j);
		job_free(j);
		(void)pthread_mutex_lock(&q->lock);
		q->is_busy = false;
		if (q->head == NULL)
			(void)pthread_cond_broadcast(&q->idle);
	}
	(void)pthread_mutex_unlock(&q->lock);
	return NULL;
}

/* ------------------------------------------------------------ queue */

/* rate_take - one report of domain within its hour; false past the limit
 * (or no window free). Under the lock. */
static bool
rate_take(struct am_report_fail *q, const char *domain, unsigned limit,
    int64_t now)
{
	struct rate *free_slot = NULL, *r;
	size_t i;

	for (i = 0; i < RATE_SLOTS; i++) {
		r = &q->rates[i];
		if (r->domain[0] != '\0' && strcasecmp(r->domain, domain) == 0)
			break;
		if (free_slot == NULL && (r->domain[0] == '\0' ||
		    now - r->start >= RATE_WINDOW || now < r->start))
			free_slot = r;
	}
	if (i == RATE_SLOTS) {
		if ((r = free_slot) == NULL)
			return false;
		if (am_snprintf(r->domain, sizeof(r->domain), "%s", domain) !=
		    AM_OK)
			return false;	/* not a domain: never reported */
		r->start = now;
		r->count = 0;
	} else if (now - r->start >= RATE_WINDOW || now < r->start) {
		r->start = now;
		r->count = 0;
	}
	if (r->count >= limit)
		return false;
	r->count++;
	return true;
}

/* am_report_fail_open - the queue and its thread. */
struct am_report_fail *
am_report_fail_open(const struct am_report_fail_opts *opts,
    struct am_why *why)
{
	struct am_report_fail *q = am_xcalloc(1, sizeof(*q));
	int e;

	if (opts != NULL)
		q->o = *opts;
	if (q->o.queue_max == 0)
		q->o.queue_max = QUEUE_DEFAULT;
	if (pthread_mutex_init(&q->lock, NULL) != 0 ||
	    pthread_cond_init(&q->wake, NULL) != 0 ||
	    pthread_cond_init(&q->idle, NULL) != 0)
		AM_PANIC("am_report_fail_open: cannot initialise a lock");
	if ((e = pthread_create(&q->thread, NULL, worker, q)) != 0) {
		am_why_set(why, "cannot start the failure report thread: %s",
		    strerror(e));
		(void)pthread_cond_destroy(&q->idle);
		(void)pthread_cond_destroy(&q->wake);
		(void)pthread_mutex_destroy(&q->lock);
		free(q);
		return NULL;
	}
	return q;
}

/* am_report_fail_enqueue - copy in into the queue (see the header). */
enum am_report_fail_queued
am_report_fail_enqueue(struct am_report_fail *q,
    const struct am_report_fail_input *in)
{
	enum am_report_fail_queued r = AM_REPORT_FAIL_QUEUED;
	struct job *j;

	if (q == NULL || in == NULL || in->afrf.domain == NULL ||
	    in->policy_domain == NULL || in->dns == NULL ||
	    (in->nruf > 0 && in->ruf == NULL) || in->sendmail == NULL ||
	    in->smtp_server == NULL || in->helo == NULL)
		AM_PANIC("am_report_fail_enqueue: NULL argument");
	(void)pthread_mutex_lock(&q->lock);
	if (q->is_stopping || q->n >= q->o.queue_max)
		r = AM_REPORT_FAIL_DROPPED;
	else if (!rate_take(q, in->afrf.domain, in->rate_per_hour, in->now))
		r = AM_REPORT_FAIL_RATE_LIMITED;
	(*(r == AM_REPORT_FAIL_QUEUED ? &q->c.queued : r ==
	    AM_REPORT_FAIL_DROPPED ? &q->c.dropped : &q->c.rate_limited))++;
	(void)pthread_mutex_unlock(&q->lock);
	if (r != AM_REPORT_FAIL_QUEUED) {
		if (in->release != NULL)
			in->release(in->owner);
		return r;
	}
	j = job_new(in);	/* copied outside the lock */
	(void)pthread_mutex_lock(&q->lock);
	if (q->tail != NULL)
		q->tail->next = j;
	else
		q->head = j;
	q->tail = j;
	q->n++;
	(void)pthread_cond_signal(&q->wake);
	(void)pthread_mutex_unlock(&q->lock);
	return r;
}

/* am_report_fail_counters - a copy of the counters. */
void
am_report_fail_counters(struct am_report_fail *q,
    struct am_report_fail_counters *out)
{
	(void)pthread_mutex_lock(&q->lock);
	*out = q->c;
	(void)pthread_mutex_unlock(&q->lock);
}

/* am_report_fail_flush - wait for an empty queue and an idle thread. */
enum am_status
am_report_fail_flush(struct am_report_fail *q, unsigned timeout_ms)
{
	struct timespec until;
	int e = 0;

	(void)clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	(void)pthread_mutex_lock(&q->lock);
	while ((q->head != NULL || q->is_busy) && e != ETIMEDOUT)
		e = pthread_cond_timedwait(&q->idle, &q->lock, &until);
	e = q->head != NULL || q->is_busy;
	(void)pthread_mutex_unlock(&q->lock);
	return e ? AM_TEMPFAIL : AM_OK;
}

/* am_report_fail_close - finish the queue, stop, free. */
struct am_report_fail *
am_report_fail_close(struct am_report_fail *q,
    struct am_report_fail_counters *final)
{
	if (q == NULL)
		return NULL;
	(void)pthread_mutex_lock(&q->lock);
	q->is_stopping = true;
	(void)pthread_cond_broadcast(&q->wake);
	(void)pthread_mutex_unlock(&q->lock);
	(void)pthread_join(q->thread, NULL);
	if (final != NULL)
		*final = q->c;
	(void)pthread_cond_destroy(&q->idle);
	(void)pthread_cond_destroy(&q->wake);
	(void)pthread_mutex_destroy(&q->lock);
	free(q);
	return NULL;
}
