/*
 * report_store.c - report row queue and writer thread (contract in
 * report_store.h). The grouped read for export is in report_query.c, the
 * SQLite backend in report_sqlite.c; the flat row format they share is
 * described in report_backend.h and encoded here. The backend is chosen by
 * the form of the path (am_report_backend_find): SQLite file or PostgreSQL.
 *
 * Milter threads only copy a row into a ring under a mutex held for a few
 * pointer moves; the one writer thread takes up to batch_max rows (waiting
 * at most batch_ms for a batch to fill) and commits them in one
 * transaction. A failed batch stays in flight and is retried with backoff
 * while the ring keeps accepting rows, dropping its oldest when full; it
 * keeps its id across retries, so a store that committed it without our
 * hearing so does not take it twice (report_backend.h).
 * PITFALLS "Reports": a failing store never tempfails mail.
 */
#include "autoconf.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "core/buf.h"
#include "core/xalloc.h"
#include "report/report_backend.h"
#include "report/report_store.h"

#define DEF_QUEUE_MAX	10000
#define DEF_BATCH_MAX	500
#define DEF_BATCH_MS	200
#define DEF_RETRY_MS	30000
#define FIRST_RETRY_MS	100

struct am_report_store {
	const struct am_report_backend *be;	/* immutable */
	char *path;			/* owned, immutable */
	struct am_report_store_opts opts;	/* immutable */
	pthread_t writer;
	void *h;			/* backend handle; writer thread only */
	pthread_mutex_t lock;		/* covers every field below */
	pthread_cond_t wake;		/* writer: rows, flush or stop */
	pthread_cond_t progress;	/* flushers: a batch finished */
	struct am_report_flat **ring;	/* owned rows, opts.queue_max slots */
	size_t head;			/* index of the oldest row */
	size_t len;			/* rows in the ring */
	size_t inflight;		/* rows the writer is writing */
	bool is_stopping;		/* close() was called */
	bool is_giving_up;		/* stopping and the store failed */
	unsigned flushers;		/* threads waiting in flush() */
	struct am_report_counters c;	/* queue_depth unused here */
	uint64_t errors_taken;		/* c.write_errors at take_error() */
	struct am_why last_why;		/* the latest failure */
	uint64_t batches;		/* batches taken; writer thread only */
};

#define ENTRY_MAX	(3 * (AM_REPORT_STR_MAX + 24))

typedef void put_entry_fn(struct am_buf *b, const void *list, size_t i);

static const char *const disp_name[] = { "none", "quarantine", "reject" };
static const char *const result_name[] = {
	"none", "pass", "fail", "softfail", "neutral", "policy", "temperror",
	"permerror",
};

/* am_report_disp_name - "none", "quarantine", "reject". */
const char *
am_report_disp_name(enum am_report_disp d)
{
	return (unsigned)d < 3 ? disp_name[d] : "none";
}

/* am_report_result_name - RFC 8601 result word. */
const char *
am_report_result_name(enum am_report_result r)
{
	return (unsigned)r < 8 ? result_name[r] : "none";
}

/* put_field - one "LEN:BYTES" field; s cut at AM_REPORT_STR_MAX bytes. */
static void
put_field(struct am_buf *b, const char *s)
{
	size_t len = s == NULL ? 0 : strnlen(s, AM_REPORT_STR_MAX);

	(void)am_buf_printf(b, "%zu:", len);
	(void)am_buf_append(b, s, len);
}

/* put_num - an integer as a field. */
static void
put_num(struct am_buf *b, int v)
{
	char t[16];
	int len = snprintf(t, sizeof(t), "%d", v);

	(void)am_buf_printf(b, "%d:%s", len, t);
}

static void
put_reason(struct am_buf *b, const void *list, size_t i)
{
	const struct am_report_reason *r = list;

	put_num(b, (int)r[i].type);
	put_field(b, r[i].comment);
}

static void
put_dkim(struct am_buf *b, const void *list, size_t i)
{
	const struct am_report_dkim *d = list;

	put_field(b, d[i].domain);
	put_field(b, d[i].selector);
	put_num(b, (int)d[i].result);
}

static void
put_spf(struct am_buf *b, const void *list, size_t i)
{
	const struct am_report_spf *s = list;

	put_field(b, s[i].domain);
	put_num(b, (int)s[i].scope);
	put_num(b, (int)s[i].result);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* encode_list - n entries, each made by put, sorted and concatenated, so
 * that equal sets of results encode equally whatever their order. */
static void
encode_list(struct am_buf *out, const void *list, size_t n,
    put_entry_fn *put)
{
	char *e[AM_REPORT_LIST_MAX];
	struct am_buf b;
	size_t i;

	if (list == NULL || n > AM_REPORT_LIST_MAX)
		n = list == NULL ? 0 : AM_REPORT_LIST_MAX;
	for (i = 0; i < n; i++) {
		am_buf_init(&b, ENTRY_MAX);
		put(&b, list, i);
		e[i] = am_buf_export(&b);
	}
	qsort(e, n, sizeof(*e), cmp_str);
	for (i = 0; i < n; i++) {
		(void)am_buf_puts(out, e[i]);
		free(e[i]);
	}
}

/* flat_nums - the integer columns of r. */
static void
flat_nums(struct am_report_flat *f, const struct am_report_row *r)
{
	f->time = r->time;
	f->num[AM_RN_DISPOSITION] = r->disposition;
	f->num[AM_RN_DKIM_PASS] = r->is_dkim_pass;
	f->num[AM_RN_SPF_PASS] = r->is_spf_pass;
	f->num[AM_RN_P] = r->policy.p;
	f->num[AM_RN_SP] = r->policy.sp;
	f->num[AM_RN_PCT] = r->policy.pct;
	f->num[AM_RN_ADKIM_STRICT] = r->policy.is_adkim_strict;
	f->num[AM_RN_ASPF_STRICT] = r->policy.is_aspf_strict;
	f->num[AM_RN_NP] = r->policy.has_np ? (int64_t)r->policy.np : -1;
	f->num[AM_RN_TESTING] = r->policy.is_testing;
}

/* flat_new - r as one owned flat block (free()). */
static struct am_report_flat *
flat_new(const struct am_report_row *r)
{
	struct am_report_flat *f;
	struct am_buf l[3];
	const char *src[AM_RT_N];
	size_t len[AM_RT_N], total = 0;
	char *p;
	int i;

	for (i = 0; i < 3; i++)
		am_buf_init(&l[i], AM_REPORT_LIST_MAX * ENTRY_MAX);
	encode_list(&l[0], r->reasons, r->n_reasons, put_reason);
	encode_list(&l[1], r->dkim, r->n_dkim, put_dkim);
	encode_list(&l[2], r->spf, r->n_spf, put_spf);
	src[AM_RT_SOURCE_IP] = r->source_ip;
	src[AM_RT_HEADER_FROM] = r->header_from;
	src[AM_RT_ENVELOPE_FROM] = r->envelope_from;
	src[AM_RT_ENVELOPE_TO] = r->envelope_to;
	src[AM_RT_POLICY_DOMAIN] = r->policy_domain;
	src[AM_RT_REASONS] = am_buf_str(&l[0]);
	src[AM_RT_DKIM] = am_buf_str(&l[1]);
	src[AM_RT_SPF] = am_buf_str(&l[2]);
	src[AM_RT_FO] = r->policy.fo;
	src[AM_RT_RUA] = r->rua;
	for (i = 0; i < AM_RT_N; i++) {
		len[i] = src[i] == NULL ? 0 : (i >= AM_RT_REASONS &&
		    i <= AM_RT_SPF) ? strlen(src[i]) :
		    strnlen(src[i], AM_REPORT_STR_MAX);
		total += len[i] + 1;
	}
	f = am_xmalloc(sizeof(*f) + total);
	p = (char *)(f + 1);
	for (i = 0; i < AM_RT_N; i++) {
		if (len[i] > 0)
			memcpy(p, src[i], len[i]);
		p[len[i]] = '\0';
		f->text[i] = p;
		p += len[i] + 1;
	}
	flat_nums(f, r);
	for (i = 0; i < 3; i++)
		am_buf_release(&l[i]);
	return f;
}

/* ms_from_now - absolute CLOCK_REALTIME deadline ms from now. */
static struct timespec
ms_from_now(unsigned ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

/* take_batch - wait for rows, move up to batch_max into out; 0: stop. */
static size_t
take_batch(struct am_report_store *rs, struct am_report_flat **out)
{
	struct timespec until;
	size_t n;

	pthread_mutex_lock(&rs->lock);
	while (rs->len == 0 && !rs->is_stopping)
		pthread_cond_wait(&rs->wake, &rs->lock);
	until = ms_from_now(rs->opts.batch_ms);
	while (rs->len > 0 && rs->len < rs->opts.batch_max &&
	    !rs->is_stopping && rs->flushers == 0)
		if (pthread_cond_timedwait(&rs->wake, &rs->lock, &until) ==
		    ETIMEDOUT)
			break;
	for (n = 0; n < rs->opts.batch_max && rs->len > 0; n++) {
		out[n] = rs->ring[rs->head];
		rs->head = (rs->head + 1) % rs->opts.queue_max;
		rs->len--;
	}
	rs->inflight = n;
	pthread_mutex_unlock(&rs->lock);
	return n;
}

/* batch_new - the id of a new batch: 128 random bits in hex (without a
 * random source: time, pid and a count, unique on this host). */
static void
batch_new(struct am_report_store *rs, struct am_report_batch *b)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char r[16];
	struct timespec now;
	size_t i;

	(void)clock_gettime(CLOCK_REALTIME, &now);
	b->time = (int64_t)now.tv_sec;
	rs->batches++;
	if (RAND_bytes(r, (int)sizeof(r)) != 1) {
		if (am_snprintf(b->id, sizeof(b->id), "%08llx%08lx%08lx%08llx",
		    (unsigned long long)now.tv_sec & 0xffffffffULL,
		    (unsigned long)now.tv_nsec & 0xffffffffUL,
		    (unsigned long)getpid() & 0xffffffffUL,
		    (unsigned long long)rs->batches & 0xffffffffULL) != AM_OK)
			AM_PANIC("batch_new: id too long");
		return;
	}
	for (i = 0; i < sizeof(r); i++) {
		b->id[2 * i] = hex[r[i] >> 4];
		b->id[2 * i + 1] = hex[r[i] & 0xf];
	}
	b->id[2 * sizeof(r)] = '\0';
}

/* try_write - (re)open the store if needed and write one batch; AM_PERMFAIL
 * only when the store refused these rows (an open that fails is retried). */
static enum am_status
try_write(struct am_report_store *rs, const struct am_report_batch *b,
    struct am_report_flat **rows, size_t n, struct am_why *why)
{
	enum am_status st;

	if (rs->h == NULL && (rs->h = rs->be->open(rs->path, false,
	    why)) == NULL)
		return AM_TEMPFAIL;
	st = rs->be->write(rs->h, b, rows, n, why);
	if (st != AM_OK) {
		/* a fresh handle on the next try: the file may be replaced */
		rs->be->close(rs->h);
		rs->h = NULL;
	}
	return st;
}

/* batch_done - account for a finished batch (lock held). */
static void
batch_done(struct am_report_store *rs, size_t n, bool is_written)
{
	if (is_written)
		rs->c.written += n;
	else
		rs->c.dropped += n;
	rs->inflight = 0;
	pthread_cond_broadcast(&rs->progress);
}

/* write_batch - write rows, retrying with backoff until done or closing. */
static void
write_batch(struct am_report_store *rs, struct am_report_flat **rows,
    size_t n)
{
	struct am_report_batch b;
	struct timespec until;
	struct am_why why;
	enum am_status st;
	unsigned delay_ms = FIRST_RETRY_MS;
	bool is_last;
	size_t i;

	batch_new(rs, &b);	/* the same id on every retry */
	for (;;) {
		pthread_mutex_lock(&rs->lock);
		is_last = rs->is_stopping;
		if (rs->is_giving_up)
			break;
		pthread_mutex_unlock(&rs->lock);
		if ((st = try_write(rs, &b, rows, n, &why)) == AM_OK) {
			pthread_mutex_lock(&rs->lock);
			rs->c.is_failing = false;
			batch_done(rs, n, true);
			goto out;
		}
		pthread_mutex_lock(&rs->lock);
		rs->c.write_errors++;
		rs->c.is_failing = true;
		rs->last_why = why;
		pthread_cond_broadcast(&rs->progress);
		if (st == AM_PERMFAIL)	/* refused for content: drop, count */
			break;
		if (is_last) {
			rs->is_giving_up = true;
			break;
		}
		until = ms_from_now(delay_ms);
		while (!rs->is_stopping && pthread_cond_timedwait(&rs->wake,
		    &rs->lock, &until) != ETIMEDOUT)
			;	/* enqueue signals do not cut the backoff short */
		pthread_mutex_unlock(&rs->lock);
		delay_ms = delay_ms * 2 > rs->opts.retry_max_ms ?
		    rs->opts.retry_max_ms : delay_ms * 2;
	}
	batch_done(rs, n, false);
out:
	pthread_mutex_unlock(&rs->lock);
	for (i = 0; i < n; i++)
		free(rows[i]);
}

/* writer_main - the writer thread: batches until close. */
static void *
writer_main(void *arg)
{
	struct am_report_store *rs = arg;
	struct am_report_flat **batch;
	size_t n;

	batch = am_xcalloc(rs->opts.batch_max, sizeof(*batch));
	while ((n = take_batch(rs, batch)) > 0)
		write_batch(rs, batch, n);
	free(batch);
	return NULL;
}

/* set_opts - opts with zero (or absent) fields at their defaults. */
static void
set_opts(struct am_report_store_opts *o, const struct am_report_store_opts *in)
{
	memset(o, 0, sizeof(*o));
	if (in != NULL)
		*o = *in;
	if (o->queue_max == 0)
		o->queue_max = DEF_QUEUE_MAX;
	if (o->batch_max == 0)
		o->batch_max = DEF_BATCH_MAX;
	if (o->batch_ms == 0)
		o->batch_ms = DEF_BATCH_MS;
	if (o->retry_max_ms == 0)
		o->retry_max_ms = DEF_RETRY_MS;
	if (o->retry_max_ms < FIRST_RETRY_MS)
		o->retry_max_ms = FIRST_RETRY_MS;
}

/* store_free - release a store whose thread is not running. */
static void
store_free(struct am_report_store *rs)
{
	size_t i;

	for (i = 0; i < rs->len; i++)
		free(rs->ring[(rs->head + i) % rs->opts.queue_max]);
	rs->be->close(rs->h);
	pthread_cond_destroy(&rs->progress);
	pthread_cond_destroy(&rs->wake);
	pthread_mutex_destroy(&rs->lock);
	free(rs->ring);
	free(rs->path);
	free(rs);
}

/* am_report_store_open - store at path with its writer thread. */
struct am_report_store *
am_report_store_open(const char *path, const struct am_report_store_opts *opts,
    struct am_why *why)
{
	struct am_report_store *rs;
	int rc;

	if (path == NULL || why == NULL)
		AM_PANIC("am_report_store_open: NULL argument");
	rs = am_xcalloc(1, sizeof(*rs));
	rs->be = am_report_backend_find(path);
	rs->path = am_xstrdup(path);
	set_opts(&rs->opts, opts);
	rs->ring = am_xcalloc(rs->opts.queue_max, sizeof(*rs->ring));
	pthread_mutex_init(&rs->lock, NULL);
	pthread_cond_init(&rs->wake, NULL);
	pthread_cond_init(&rs->progress, NULL);
	why->text[0] = '\0';
	if ((rs->h = rs->be->open(path, false, why)) == NULL) {
		rs->c.write_errors = 1;
		rs->c.is_failing = true;
		rs->last_why = *why;
		rs->errors_taken = 1;	/* the caller has it in why */
	}
	if ((rc = pthread_create(&rs->writer, NULL, writer_main, rs)) != 0) {
		am_why_set(why, "report writer thread: %s", strerror(rc));
		store_free(rs);
		return NULL;
	}
	return rs;
}

/* am_report_store_enqueue - copy row into the ring; never waits on I/O. */
void
am_report_store_enqueue(struct am_report_store *rs,
    const struct am_report_row *row)
{
	struct am_report_flat *f, *old = NULL;

	if (row == NULL)
		AM_PANIC("am_report_store_enqueue: NULL row");
	if (rs == NULL)
		return;
	f = flat_new(row);
	pthread_mutex_lock(&rs->lock);
	if (rs->len == rs->opts.queue_max) {
		old = rs->ring[rs->head];
		rs->head = (rs->head + 1) % rs->opts.queue_max;
		rs->len--;
		rs->c.dropped++;
	}
	rs->ring[(rs->head + rs->len) % rs->opts.queue_max] = f;
	rs->len++;
	rs->c.enqueued++;
	if (rs->len == 1 || rs->len == rs->opts.batch_max)
		pthread_cond_signal(&rs->wake);
	pthread_mutex_unlock(&rs->lock);
	free(old);
}

/* am_report_store_counters - snapshot of the counters. */
void
am_report_store_counters(struct am_report_store *rs,
    struct am_report_counters *out)
{
	pthread_mutex_lock(&rs->lock);
	*out = rs->c;
	out->queue_depth = rs->len + rs->inflight;
	pthread_mutex_unlock(&rs->lock);
}

/* am_report_store_take_error - the latest failure, once per new failure. */
bool
am_report_store_take_error(struct am_report_store *rs, struct am_why *why)
{
	bool is_new;

	pthread_mutex_lock(&rs->lock);
	is_new = rs->c.write_errors != rs->errors_taken;
	if (is_new) {
		*why = rs->last_why;
		rs->errors_taken = rs->c.write_errors;
	}
	pthread_mutex_unlock(&rs->lock);
	return is_new;
}

/* am_report_store_flush - wait until every row queued so far is done. */
enum am_status
am_report_store_flush(struct am_report_store *rs, unsigned timeout_ms,
    struct am_why *why)
{
	struct timespec until = ms_from_now(timeout_ms);
	enum am_status st = AM_OK;
	uint64_t target;

	pthread_mutex_lock(&rs->lock);
	target = rs->c.enqueued;
	rs->flushers++;
	pthread_cond_signal(&rs->wake);
	while (rs->c.written + rs->c.dropped < target && st == AM_OK)
		if (pthread_cond_timedwait(&rs->progress, &rs->lock,
		    &until) == ETIMEDOUT)
			st = AM_TEMPFAIL;
	rs->flushers--;
	if (st != AM_OK)
		am_why_set(why, "report store flush timed out%s%s",
		    rs->c.is_failing ? ": " : "",
		    rs->c.is_failing ? rs->last_why.text : "");
	pthread_mutex_unlock(&rs->lock);
	return st;
}

/* am_report_store_close - flush, stop the writer, free; returns NULL. */
struct am_report_store *
am_report_store_close(struct am_report_store *rs,
    struct am_report_counters *final)
{
	if (rs == NULL)
		return NULL;
	pthread_mutex_lock(&rs->lock);
	rs->is_stopping = true;
	pthread_cond_broadcast(&rs->wake);
	pthread_mutex_unlock(&rs->lock);
	pthread_join(rs->writer, NULL);
	if (final != NULL)
		am_report_store_counters(rs, final);
	store_free(rs);
	return NULL;
}

/* am_report_backend_find - the first backend that accepts path. */
const struct am_report_backend *
am_report_backend_find(const char *path)
{
	static const struct am_report_backend *const all[] = {
		&am_report_pg, &am_report_sqlite,	/* SQLite: the rest */
	};
	size_t i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (all[i]->accepts(path))
			return all[i];
	return &am_report_sqlite;
}

/* am_report_store_display - path as a log line may show it. */
const char *
am_report_store_display(const char *path, struct am_buf *out)
{
	const struct am_report_backend *be = am_report_backend_find(path);

	am_buf_reset(out);
	if (be->display != NULL)
		be->display(path, out);
	else
		(void)am_buf_puts(out, path);
	return am_buf_str(out);
}

/* am_report_store_is_file - path names a SQLite file. */
bool
am_report_store_is_file(const char *path)
{
	return am_report_backend_find(path) == &am_report_sqlite;
}

/* am_report_store_expire - delete old rows from the store at path. */
enum am_status
am_report_store_expire(const char *path, int64_t before, uint64_t *deleted,
    struct am_why *why)
{
	const struct am_report_backend *be = am_report_backend_find(path);
	enum am_status st;
	void *h;

	*deleted = 0;
	if ((h = be->open(path, false, why)) == NULL)
		return AM_TEMPFAIL;
	st = be->expire(h, before, deleted, why);
	be->close(h);
	return st;
}
