/*
 * loadgen - a milter-protocol load generator that talks to milters as an
 * MTA does (tests/bench; built by make, never run by make check).
 *
 *   loadgen -s SOCK [-s SOCK2] [-c CONC] [-n COUNT] [-k PER_CONN]
 *       [-t SECS] [-w TIMEOUT] [-T] [-A AUTHUSER] [-D DAEMON_NAME]
 *       [-a CLIENT] [-H HELO] [-F FROM] [-R RCPT] [-d K] [-x HEXMASK]
 *       [-o OFFSET] [-N] CORPUS_DIR
 *
 * SOCK is unix:PATH or inet:PORT@HOST. With two -s, every message goes
 * through milter A and then milter B, as Postfix does with two smtpd_milters
 * (B sees A's header edits). CONC threads each run one milter connection at
 * a time and send messages one after the other; a connection carries
 * PER_CONN messages (default 1: one message per SMTP session, as
 * smtp-source does) before it is closed with SMFIC_QUIT. Message k is corpus
 * file k mod N (name order). -T sends TLS macros at HELO and MAIL, -A
 * {auth_authen} at MAIL, -D {daemon_name}. -d K prints the header edits
 * (and quarantine/replycode) of message K on stdout. -x HEXMASK leaves
 * those SMFIP_* flags out of the offer (e.g. -x 200: no SMFIP_NODATA, as an
 * MTA that lacks it). -o OFFSET starts at corpus file OFFSET (message k is
 * file (OFFSET + k) mod N: a corpus of unique names used once per run
 * stays cold). -N sets TCP_NODELAY on our inet sockets (as if the milter
 * acknowledged every packet at once). Latency is from the
 * first byte of a message's session (or of its MAIL when the connection is
 * reused) to the last milter's verdict. Output, two lines:
 *   loadgen: milters=1 conc=4 msgs=1000 secs=1.23 rate=813.0 p50_ms=...
 *   loadgen: accept=... continue=... reject=... tempfail=... discard=...
 *       quarantine=... error=...
 * SIGTERM ends a run as -t does: messages not yet started are not sent and
 * the two lines are printed (tests/e2e/crash.sh stops its load that way).
 * Exit 0 when every message got a verdict, 1 when some failed, 2 on usage.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lg.h"

static const char *const action_names[LG_NACTIONS] = {
	"accept", "continue", "reject", "tempfail", "discard", "quarantine",
	"error"
};

struct run {
	struct lg_opts o;		/* options, read-only */
	struct lg_corpus corpus;	/* messages, read-only */
	atomic_long next;		/* next message number */
	atomic_int is_stopped;		/* set by SIGTERM (sig_main) */
	double	t_start;		/* monotonic seconds */
	double	*lat_ms;		/* latency of message k, or -1 */
	pthread_mutex_t dump_lock;	/* serialises -d output */
};

struct worker {
	struct run *run;		/* shared */
	pthread_t tid;
	long	counts[LG_NACTIONS];	/* final actions of this thread */
	int	is_warned;		/* one error message per thread */
	struct lg_sess sess[LG_MAX_MILTERS];
	int	used[LG_MAX_MILTERS];	/* messages on the current session */
	struct lg_work work;
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
warn_once(struct worker *w, const char *what, long k)
{
	if (w->is_warned++ == 0)
		fprintf(stderr, "loadgen: message %ld: %s: %s\n", k, what,
		    errno ? strerror(errno) : "protocol error");
}

/* ensure_sess - a negotiated session for milter i, connected (CONNECT and
 * HELO sent) with the envelope of m. */
static int
ensure_sess(struct worker *w, int i, const struct lg_msg *m)
{
	const struct lg_opts *o = &w->run->o;
	struct lg_sess *s = &w->sess[i];

	if (s->fd >= 0 && w->used[i] < o->per_conn)
		return 0;
	if (s->fd >= 0)
		lg_sess_close(s);
	w->used[i] = 0;
	if (lg_sess_open(s, o->sock[i], o->timeout_s, o->proto_off,
	    o->nodelay) < 0)
		return -1;
	if (lg_sess_connect(s, o, m) < 0) {
		lg_sess_close(s);
		return -1;
	}
	return 0;
}

/* combine - the chain's verdict: the first milter that did not accept. */
static enum lg_action
combine(struct worker *w, int n)
{
	enum lg_action r = w->sess[0].result, a;
	int i;

	for (i = 0; i < n; i++) {
		a = w->sess[i].result;
		if (a == LG_REJECT || a == LG_TEMPFAIL || a == LG_DISCARD)
			return a;
		if (a == LG_QUARANTINE)
			r = a;
	}
	return r;
}

/* one_message - message k through every milter; its final action. */
static enum lg_action
one_message(struct worker *w, long k, const struct lg_msg *m)
{
	struct run *r = w->run;
	int i, n = r->o.nsock, rc, stop = 0;
	const char *tags[LG_MAX_MILTERS] = { "A", "B" };

	for (i = 0; i < n; i++) {
		if (ensure_sess(w, i, m) < 0) {
			warn_once(w, r->o.sock[i], k);
			return LG_ERROR;
		}
		w->used[i]++;
	}
	lg_work_reset(&w->work, m);
	snprintf(w->work.queue_id, sizeof(w->work.queue_id), "4B%08lX", k);
	w->work.dump = k == r->o.dump_k ? stdout : NULL;
	for (i = 0; i < n; i++)
		if (lg_sess_envelope(&w->sess[i], &r->o, m, &w->work) < 0)
			goto fail;
	for (i = 0; i < n; i++) {
		rc = stop ? 0 : lg_sess_content(&w->sess[i], &r->o, m,
		    &w->work, tags[i]);
		if (rc < 0)
			goto fail;
		if (rc == 0 && lg_sess_abort(&w->sess[i]) < 0)
			goto fail;
		if (w->sess[i].result == LG_REJECT ||
		    w->sess[i].result == LG_TEMPFAIL ||
		    w->sess[i].result == LG_DISCARD)
			stop = 1;	/* Postfix asks no later milter */
	}
	return combine(w, n);
fail:
	warn_once(w, r->o.sock[i], k);
	lg_sess_close(&w->sess[i]);
	return LG_ERROR;
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct run *r = w->run;
	enum lg_action a;
	double t0;
	long k;
	int i;

	for (i = 0; i < LG_MAX_MILTERS; i++)
		w->sess[i].fd = -1;
	while ((k = atomic_fetch_add(&r->next, 1)) < r->o.count) {
		if (atomic_load(&r->is_stopped) ||
		    now() - r->t_start > r->o.max_secs) {
			r->lat_ms[k] = -1;	/* taken, never sent */
			break;
		}
		t0 = now();
		if (k == r->o.dump_k)
			pthread_mutex_lock(&r->dump_lock);
		a = one_message(w, k, &r->corpus.msgs[(r->o.offset + k) %
		    (long)r->corpus.n]);
		if (k == r->o.dump_k)
			pthread_mutex_unlock(&r->dump_lock);
		r->lat_ms[k] = (now() - t0) * 1000.0;
		w->counts[a]++;
	}
	for (i = 0; i < r->o.nsock; i++)
		if (w->sess[i].fd >= 0)
			lg_sess_close(&w->sess[i]);
	lg_work_free(&w->work);
	lg_thread_end();
	return NULL;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* report - the two result lines; returns the number of failed messages. */
static long
report(struct run *r, struct worker *ws, double secs)
{
	long total[LG_NACTIONS] = { 0 }, n = 0, k;
	long end = atomic_load(&r->next) < r->o.count ?
	    (long)atomic_load(&r->next) : r->o.count;	/* indices taken */
	double *lat = malloc(sizeof(double) * (size_t)(end + 1));
	int i, a;

	if (lat == NULL)
		return 1;
	for (k = 0; k < end; k++)
		if (r->lat_ms[k] >= 0)
			lat[n++] = r->lat_ms[k];
	qsort(lat, (size_t)n, sizeof(double), cmp_double);
	for (i = 0; i < r->o.conc; i++)
		for (a = 0; a < LG_NACTIONS; a++)
			total[a] += ws[i].counts[a];
	printf("loadgen: milters=%d conc=%d msgs=%ld secs=%.3f rate=%.1f "
	    "p50_ms=%.3f p99_ms=%.3f max_ms=%.3f\n", r->o.nsock, r->o.conc,
	    n, secs, secs > 0 ? (double)n / secs : 0.0,
	    n ? lat[n / 2] : 0.0, n ? lat[(n * 99) / 100 < n ?
	    (n * 99) / 100 : n - 1] : 0.0, n ? lat[n - 1] : 0.0);
	printf("loadgen:");
	for (a = 0; a < LG_NACTIONS; a++)
		printf(" %s=%ld", action_names[a], total[a]);
	printf("\n");
	free(lat);
	return total[LG_ERROR];
}

static void
usage(void)
{
	fprintf(stderr, "usage: loadgen -s SOCK [-s SOCK2] [-c CONC] "
	    "[-n COUNT] [-k PER_CONN] [-t SECS] [-w TIMEOUT] [-T] [-A USER]\n"
	    "    [-D DAEMON] [-a CLIENT] [-H HELO] [-F FROM] [-R RCPT] "
	    "[-d K] [-x HEXMASK] [-o OFFSET] [-N] CORPUS_DIR\n");
	exit(2);
}

static void
parse_opts(struct lg_opts *o, int argc, char **argv)
{
	int c;

	*o = (struct lg_opts){ .conc = 1, .count = 1000, .per_conn = 1,
	    .max_secs = 600, .timeout_s = 30, .dump_k = -1,
	    .client = "192.0.2.1", .helo = "client.example",
	    .from = "sender@example.com", .rcpt = "rcpt@mx.bench.example",
	    .daemon = "smtpd", .myhost = "mx.bench.example" };
	while ((c = getopt(argc, argv, "s:c:n:k:t:w:TA:D:a:H:F:R:d:x:o:N")) != -1) {
		switch (c) {
		case 's':
			if (o->nsock == LG_MAX_MILTERS)
				usage();
			o->sock[o->nsock++] = optarg;
			break;
		case 'c': o->conc = atoi(optarg); break;
		case 'n': o->count = atol(optarg); break;
		case 'k': o->per_conn = atoi(optarg); break;
		case 't': o->max_secs = atof(optarg); break;
		case 'w': o->timeout_s = atoi(optarg); break;
		case 'T': o->tls = 1; break;
		case 'A': o->auth = optarg; break;
		case 'D': o->daemon = optarg; break;
		case 'a': o->client = optarg; break;
		case 'H': o->helo = optarg; break;
		case 'F': o->from = optarg; break;
		case 'R': o->rcpt = optarg; break;
		case 'd': o->dump_k = atol(optarg); break;
		case 'x': o->proto_off = (uint32_t)strtoul(optarg, NULL, 16);
			break;
		case 'o': o->offset = atol(optarg); break;
		case 'N': o->nodelay = 1; break;
		default: usage();
		}
	}
	if (o->nsock == 0 || optind != argc - 1 || o->conc < 1 ||
	    o->conc > 1024 || o->count < 1 || o->per_conn < 1 ||
	    o->timeout_s < 1 || o->max_secs <= 0 || o->offset < 0)
		usage();
}

/* sig_main - waits for SIGTERM (blocked in every thread) and stops the run. */
static void *
sig_main(void *arg)
{
	struct run *r = arg;
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	if (sigwait(&set, &sig) == 0)
		atomic_store(&r->is_stopped, 1);
	return NULL;
}

int
main(int argc, char **argv)
{
	sigset_t set;
	pthread_t sig_tid;
	struct run r;
	struct worker *ws;
	long failed;
	int i;

	memset(&r, 0, sizeof(r));
	parse_opts(&r.o, argc, argv);
	signal(SIGPIPE, SIG_IGN);
	if (lg_corpus_load(&r.corpus, argv[optind], &r.o) < 0) {
		fprintf(stderr, "loadgen: %s: %s\n", argv[optind],
		    strerror(errno));
		return 2;
	}
	r.lat_ms = malloc(sizeof(double) * (size_t)r.o.count);
	ws = calloc((size_t)r.o.conc, sizeof(*ws));
	if (r.lat_ms == NULL || ws == NULL)
		return 2;
	/* lat_ms[k] is written by the worker that takes k (-1 when it stops
	 * before sending): no pass over all -n entries here, which with a
	 * huge -n and a -t cap took seconds before the first message */
	pthread_mutex_init(&r.dump_lock, NULL);
	atomic_init(&r.next, 0);
	atomic_init(&r.is_stopped, 0);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (pthread_create(&sig_tid, NULL, sig_main, &r) != 0 ||
	    pthread_detach(sig_tid) != 0) {
		fprintf(stderr, "loadgen: pthread_create failed\n");
		return 2;
	}
	r.t_start = now();
	for (i = 0; i < r.o.conc; i++) {
		ws[i].run = &r;
		if (pthread_create(&ws[i].tid, NULL, worker_main, &ws[i]) != 0) {
			fprintf(stderr, "loadgen: pthread_create failed\n");
			return 2;
		}
	}
	for (i = 0; i < r.o.conc; i++)
		pthread_join(ws[i].tid, NULL);
	failed = report(&r, ws, now() - r.t_start);
	free(ws);
	free(r.lat_ms);
	lg_corpus_free(&r.corpus);
	return failed > 0;
}
