/*
 * main.c - the authmilter daemon: options, configuration, socket,
 * privileges, reload thread, then libmilter's main loop.
 *
 * Start-up order (STYLE.md §16, §17): parse the configuration and build the
 * whole runtime once as a check (keys, resolver, SPF...; every problem is
 * printed as FILE:LINE: message; -n stops there), then free it, so no thread
 * exists at fork time; bind the socket; detach; write the pid file; block the
 * signals every thread must not take; build the runtime for real (private
 * keys are read now, before privileges go; the resolver threads inherit the
 * mask); drop privileges; open the log; start the metrics endpoint
 * (MetricsListen: as the unprivileged user, so its port must be >= 1024)
 * and the SIGUSR1 reload thread (which also writes StatsFile every
 * StatsInterval seconds);
 * hand over to smfi_main(), which owns SIGHUP, SIGTERM and SIGINT through its
 * own signal thread. The check build probes DNSSEC through the resolvers
 * (lib/pipeline/ctx.h "DNSSEC"); the real build applies its verdict without
 * probing again, and a detached daemon logs the check's warnings once its
 * log is open. The reload thread probes again while the verdict is
 * "unchecked" (no answer at start). A reload runs as the unprivileged user, so key files
 * must be readable by UserID (mode 0600, owned by it).
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <malloc.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "core/buf.h"
#include "config/config.h"
#include "pipeline/ctx.h"
#include "core/log.h"
#include "pipeline/metrics.h"
#include "pipeline/stats.h"
#include "callbacks.h"
#include "idle.h"
#include "nodelay.h"

struct opts {
	const char *config_path;	/* -c, or NULL for the default */
	bool foreground;		/* -f */
	bool check_only;		/* -n */
};

static void
usage(void)
{
	fprintf(stderr, "usage: authmilter [-fnV] [-c config-file]\n");
	exit(2);
}

static void
parse_opts(int argc, char **argv, struct opts *o)
{
	int ch;

	memset(o, 0, sizeof(*o));
	while ((ch = getopt(argc, argv, "c:fnVh")) != -1) {
		switch (ch) {
		case 'c':
			o->config_path = optarg;
			break;
		case 'f':
			o->foreground = true;
			break;
		case 'n':
			o->check_only = true;
			break;
		case 'V':
			printf("authmilter %s\n", PACKAGE_VERSION);
			exit(0);
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
}

/* report - print each "FILE:LINE: message" line: on stderr at start-up
 * (as a compiler would), one log line each on reload. */
static void
report(const struct am_buf *lines, bool at_startup, bool is_error)
{
	const char *p = am_buf_str(lines), *nl;

	for (; *p != '\0'; p = *nl ? nl + 1 : nl) {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		if (at_startup)
			fprintf(stderr, "%.*s\n", (int)(nl - p), p);
		else if (is_error)
			am_log_err("%.*s", (int)(nl - p), p);
		else
			am_log_warn("%.*s", (int)(nl - p), p);
	}
}

/* build_runtime - the runtime for cfg (reference taken), problems reported;
 * the warnings are also appended to kept (may be NULL). */
static struct am_runtime *
build_runtime(struct am_config *cfg, bool at_startup,
    const struct am_runtime_opts *opts, struct am_buf *kept)
{
	struct am_buf errs, warns;
	struct am_runtime *rt;

	am_buf_init(&errs, 1 << 20);
	am_buf_init(&warns, 1 << 20);
	rt = am_runtime_new(cfg, opts, &errs, &warns);
	report(&warns, at_startup, false);
	report(&errs, at_startup, true);
	if (kept != NULL)
		(void)am_buf_append(kept, warns.data, warns.len);
	am_buf_release(&errs);
	am_buf_release(&warns);
	return rt;
}

/* load_config - the named file, the default file, or the built-in defaults
 * when no -c was given and the default file does not exist. */
static struct am_config *
load_config(const char *path, bool explicit, bool at_startup)
{
	struct am_buf errs, warns;
	struct am_config *cfg;

	if (!explicit && access(path, F_OK) != 0 && errno == ENOENT) {
		am_log_info("%s does not exist: using built-in defaults", path);
		return am_config_defaults();
	}
	am_buf_init(&errs, 1 << 20);
	am_buf_init(&warns, 1 << 20);
	cfg = am_config_load(path, &errs, &warns);
	report(&warns, at_startup, false);
	report(&errs, at_startup, true);
	am_buf_release(&errs);
	am_buf_release(&warns);
	return cfg;
}

/* lookup_user - "user" or "user:group" into uid/gid. */
static void
lookup_user(const char *spec, uid_t *uid, gid_t *gid, char *name, size_t len)
{
	const char *colon = strchr(spec, ':');
	struct passwd *pw;
	struct group *gr;

	/* a cut name could be someone else's */
	if (am_snprintf(name, len, "%.*s", colon ? (int)(colon - spec) :
	    (int)strlen(spec), spec) != AM_OK)
		am_fatal("UserID: user name \"%.64s...\" too long", spec);
	if ((pw = getpwnam(name)) == NULL)
		am_fatal("UserID: no such user \"%s\"", name);
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	if (colon != NULL) {
		if ((gr = getgrnam(colon + 1)) == NULL)
			am_fatal("UserID: no such group \"%s\"", colon + 1);
		*gid = gr->gr_gid;
	}
}

/* is_already - the process runs as uid/gid (real, effective and saved). */
static bool
is_already(uid_t uid, gid_t gid)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	return getresuid(&ru, &eu, &su) == 0 && getresgid(&rg, &eg, &sg) == 0 &&
	    ru == uid && eu == uid && su == uid && rg == gid && eg == gid &&
	    sg == gid;
}

/* prepare_dir - create the directory of a file the daemon writes as UserID
 * (ReportStore, StatsFile; one level) while still privileged, owned by
 * UserID, so a fresh install works without a manual step. */
static void
prepare_dir(const struct am_config *cfg, const char *key, const char *path)
{
	char dir[4096], name[256];
	char *slash;
	uid_t uid;
	gid_t gid;

	if (path[0] == '\0' ||
	    snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir) ||
	    (slash = strrchr(dir, '/')) == NULL || slash == dir)
		return;
	*slash = '\0';
	if (mkdir(dir, 0750) != 0) {
		if (errno != EEXIST)
			am_log_warn("%s: cannot create %s: %s", key, dir,
			    strerror(errno));
		return;
	}
	if (cfg->user_id[0] != '\0') {
		lookup_user(cfg->user_id, &uid, &gid, name, sizeof(name));
		if (!is_already(uid, gid) && chown(dir, uid, gid) != 0)
			am_log_warn("chown %s: %s", dir, strerror(errno));
	}
}

/* drop_privileges - become UserID for good, or stay (warn when root).
 * Started as UserID already (the systemd unit's User=), there is nothing
 * to change and no set*id or chown call is made (the unit's system call
 * filter refuses them). */
static void
drop_privileges(const struct am_config *cfg)
{
	char name[256];
	uid_t uid;
	gid_t gid;

	if (cfg->user_id[0] == '\0') {
		if (geteuid() == 0)
			am_log_warn("running as root: set UserID to an "
			    "unprivileged user");
		return;
	}
	lookup_user(cfg->user_id, &uid, &gid, name, sizeof(name));
	if (uid != 0 && is_already(uid, gid))
		return;
	if (strncmp(cfg->socket, "unix:", 5) == 0 ||
	    strncmp(cfg->socket, "local:", 6) == 0)
		if (chown(strchr(cfg->socket, ':') + 1, uid, gid) != 0)
			am_log_warn("chown %s: %s", cfg->socket,
			    strerror(errno));
	if (geteuid() == 0 && initgroups(name, gid) != 0)
		am_fatal("initgroups %s: %s", name, strerror(errno));
	if (setresgid(gid, gid, gid) != 0 || setresuid(uid, uid, uid) != 0)
		am_fatal("cannot drop privileges to %s: %s", cfg->user_id,
		    strerror(errno));
	if (uid != 0 && setuid(0) == 0)
		am_fatal("privileges were not dropped: setuid(0) succeeded");
}

static void
write_pidfile(const char *path)
{
	FILE *fp;

	if (path[0] == '\0')
		return;
	if ((fp = fopen(path, "w")) == NULL)
		am_fatal("PidFile %s: %s", path, strerror(errno));
	fprintf(fp, "%ld\n", (long)getpid());
	if (fclose(fp) != 0)
		am_fatal("PidFile %s: %s", path, strerror(errno));
}

static void
detach(void)
{
	pid_t pid = fork();
	int fd;

	if (pid < 0)
		am_fatal("fork: %s", strerror(errno));
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		am_fatal("setsid: %s", strerror(errno));
	if (chdir("/") != 0)
		am_fatal("chdir /: %s", strerror(errno));
	if ((fd = open("/dev/null", O_RDWR)) >= 0) {
		(void)dup2(fd, 0);
		(void)dup2(fd, 1);
		(void)dup2(fd, 2);
		if (fd > 2)
			(void)close(fd);
	}
}

static void
open_log(const struct am_config *cfg, bool foreground)
{
	struct am_why why;

	am_log_set_debug(cfg->debug);
	if (foreground)
		return;
	if (cfg->log_file[0] != '\0') {
		if (am_log_open(AM_LOG_FILE, "authmilter", cfg->log_file,
		    &why) != AM_OK)
			am_fatal("LogFile: %s", why.text);
	} else if (cfg->syslog) {
		(void)am_log_open(AM_LOG_SYSLOG, "authmilter", NULL, NULL);
	}
}

struct reloader {
	struct am_ctx *ctx;	/* the process context */
	const char *path;	/* configuration file to re-read */
	bool explicit;		/* -c was given */
	time_t started;		/* when the daemon started (Unix s) */
	atomic_bool is_stats_failing;	/* the last StatsFile write failed
					 * (logged once); written by the reload
					 * thread, and by main at exit */
	pthread_mutex_t stats_lock;	/* one StatsFile write at a time;
					 * covers is_stopping */
	bool is_stopping;		/* main has written the last one and
					 * closes the report store */
	struct am_metrics *metrics;	/* owned: MetricsListen, or NULL;
					 * main only */
};

/* warn_restart_keys - keys that only a restart applies. */
static void
warn_restart_keys(struct am_ctx *ctx, const struct am_config *next)
{
	struct am_runtime *cur = am_ctx_acquire(ctx);

	if (strcmp(cur->cfg->socket, next->socket) != 0)
		am_log_warn("reload: Socket changes take effect at restart");
	if (strcmp(cur->cfg->user_id, next->user_id) != 0)
		am_log_warn("reload: UserID changes take effect at restart");
	if (cur->cfg->milter_timeout != next->milter_timeout)
		am_log_warn("reload: MilterTimeout changes take effect at "
		    "restart");
	if (strcmp(cur->cfg->metrics_listen, next->metrics_listen) != 0 ||
	    cur->cfg->metrics_allow_remote != next->metrics_allow_remote)
		am_log_warn("reload: MetricsListen changes take effect at "
		    "restart");
	(void)am_runtime_unref(cur);
}

/* publish_stats - write StatsFile (if set); a failure is logged once, until
 * a write succeeds again. */
static void
publish_stats(struct reloader *r)
{
	struct am_runtime *rt = am_ctx_acquire(r->ctx);
	struct am_report_counters rep;
	struct am_why why;

	(void)pthread_mutex_lock(&r->stats_lock);
	if (rt->cfg->stats_file[0] == '\0' || r->is_stopping) {
		(void)pthread_mutex_unlock(&r->stats_lock);
		(void)am_runtime_unref(rt);
		return;
	}
	if (r->ctx->reports != NULL)
		am_report_store_counters(r->ctx->reports, &rep);
	if (am_stats_write(rt->cfg->stats_file, &r->ctx->stats,
	    r->ctx->reports != NULL ? &rep : NULL, r->started, &why) != AM_OK) {
		if (!atomic_exchange(&r->is_stats_failing, true))
			am_log_warn("StatsFile: %s (logged once until a write "
			    "succeeds)", why.text);
	} else if (atomic_exchange(&r->is_stats_failing, false)) {
		am_log_info("StatsFile: %s written again",
		    rt->cfg->stats_file);
	}
	(void)pthread_mutex_unlock(&r->stats_lock);
	(void)am_runtime_unref(rt);
}

/* reload - build a new runtime from the file and swap it in. */
static void
reload(struct reloader *r)
{
	struct am_runtime *rt;
	struct am_config *cfg;

	am_log_info("reloading %s", r->path);
	if ((cfg = load_config(r->path, r->explicit, false)) == NULL ||
	    (rt = build_runtime(cfg, false, NULL, NULL)) == NULL) {
		am_log_err("reload failed: keeping the running configuration");
		atomic_fetch_add(&r->ctx->stats.reload_failures, 1);
		return;
	}
	warn_restart_keys(r->ctx, rt->cfg);
	am_ctx_swap(r->ctx, rt);
	atomic_fetch_add(&r->ctx->stats.reloads, 1);
	am_log_info("reloaded %s", r->path);
}

/* recheck_dnssec - probe DNSSEC again while the start-up probe (or the
 * reload's) got no answer (ctx.h "DNSSEC"); log what it decides. */
static void
recheck_dnssec(struct reloader *r)
{
	struct am_buf errs, warns;

	am_buf_init(&errs, 1 << 16);
	am_buf_init(&warns, 1 << 16);
	if (am_ctx_recheck_dnssec(r->ctx, &errs, &warns))
		am_log_info("DNSSEC validation is now off (see above)");
	report(&warns, false, false);
	report(&errs, false, true);
	am_buf_release(&errs);
	am_buf_release(&warns);
}

/* stats_interval - StatsInterval of the current runtime, in seconds. */
static long
stats_interval(struct am_ctx *ctx)
{
	struct am_runtime *rt = am_ctx_acquire(ctx);
	long s = rt->cfg->stats_interval;

	(void)am_runtime_unref(rt);
	return s;
}

/* reload_main - wait for SIGUSR1 (reload) and, between signals, write the
 * counters every StatsInterval seconds (CLOCK_MONOTONIC deadline, so a
 * reload does not postpone the next write). */
static void *
reload_main(void *arg)
{
	struct reloader *r = arg;
	struct timespec now, next, wait;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	(void)clock_gettime(CLOCK_MONOTONIC, &next);
	for (;;) {
		(void)clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec >= next.tv_sec) {
			publish_stats(r);
			recheck_dnssec(r);
			next.tv_sec = now.tv_sec + stats_interval(r->ctx);
		}
		wait.tv_sec = next.tv_sec - now.tv_sec;
		wait.tv_nsec = 0;
		if (sigtimedwait(&set, NULL, &wait) == SIGUSR1)
			reload(r);
	}
	return NULL;
}

/* open_reports - the aggregate-report store, as the unprivileged user
 * (STYLE.md §16). A store that cannot be opened yet is logged; its writer
 * keeps retrying, and mail is never held up by it. */
static void
open_reports(struct am_ctx *ctx, const struct am_config *cfg)
{
	struct am_report_store_opts opts = { 0 };
	struct am_why why = { "" };
	struct am_buf shown;

	if (cfg->report_store[0] == '\0')
		return;
	opts.queue_max = (size_t)cfg->report_queue_size;
	am_buf_init(&shown, 4096);
	(void)am_report_store_display(cfg->report_store, &shown);
	ctx->reports = am_report_store_open(cfg->report_store, &opts, &why);
	if (ctx->reports == NULL)
		am_fatal("ReportStore %s: %s", am_buf_str(&shown), why.text);
	if (why.text[0] != '\0')
		am_log_warn("ReportStore %s: %s (will retry)",
		    am_buf_str(&shown), why.text);
	am_buf_release(&shown);
}

/* log_failure_report - one decision of the failure report sender. */
static void
log_failure_report(void *arg, const char *line)
{
	(void)arg;
	am_log_info("%s", line);
}

/* open_failures - the failure report sender (report_fail.h), started
 * whatever FailureReports says, so a reload can turn reports on; it sends
 * as the unprivileged user. */
static void
open_failures(struct am_ctx *ctx)
{
	struct am_report_fail_opts opts = { 0 };
	struct am_why why = { "" };

	opts.note = log_failure_report;
	if ((ctx->failures = am_report_fail_open(&opts, &why)) == NULL)
		am_fatal("%s", why.text);
}

/* render_metrics - the endpoint's body: the counters in the Prometheus
 * format (runs in the endpoint's thread; the report store stays open until
 * the endpoint is closed). */
static enum am_status
render_metrics(void *arg, struct am_buf *out)
{
	struct reloader *r = arg;
	struct am_report_counters rep;

	if (r->ctx->reports != NULL)
		am_report_store_counters(r->ctx->reports, &rep);
	return am_stats_format_prom(&r->ctx->stats,
	    r->ctx->reports != NULL ? &rep : NULL, PACKAGE_VERSION, r->started,
	    out);
}

/* open_metrics - the endpoint of MetricsListen, if set (checked with the
 * configuration); a failure to bind is fatal and names the address. */
static void
open_metrics(struct reloader *r, const struct am_config *cfg)
{
	struct am_metrics_addr a;
	struct am_why why;

	if (cfg->metrics_listen[0] == '\0')
		return;
	if (am_metrics_addr_parse(cfg->metrics_listen,
	    cfg->metrics_allow_remote, &a, &why) != AM_OK ||
	    (r->metrics = am_metrics_open(&a, NULL, render_metrics, r,
	    &why)) == NULL)
		am_fatal("MetricsListen %s", why.text);
	am_log_info("metrics on http://%s/metrics", a.text);
}

static void
open_socket(const struct am_config *cfg)
{
	if (smfi_setconn((char *)cfg->socket) != MI_SUCCESS)
		am_fatal("Socket %s: not a valid milter socket", cfg->socket);
	am_callbacks_limits(cfg);
	if (smfi_register(*am_callbacks_desc()) != MI_SUCCESS)
		am_fatal("smfi_register failed");
	if (smfi_opensocket(true) != MI_SUCCESS)
		am_fatal("Socket %s: cannot listen (in use, or no permission)",
		    cfg->socket);
	if (!am_listen_nodelay())
		am_log_warn("TCP_NODELAY on the milter socket: %s",
		    strerror(errno));
}

/*
 * limit_arenas - at most one malloc arena per online CPU (at least 2).
 * glibc gives a thread that meets a locked arena a new one, up to 8 per
 * CPU, and libmilter runs a thread per connection: at 64 connections on
 * two cores the daemon held 16 arenas. The benchmark's inbound row at
 * c=64 peaked at 29.1-29.9 MB with glibc's default and 26.8-27.3 MB with
 * 2 arenas, throughput within its noise (BENCHMARKS.md). An admin's
 * MALLOC_ARENA_MAX or GLIBC_TUNABLES arena_max wins.
 */
static void
limit_arenas(void)
{
#ifdef M_ARENA_MAX
	const char *tun = getenv("GLIBC_TUNABLES");
	long n;

	if (getenv("MALLOC_ARENA_MAX") != NULL ||
	    (tun != NULL && strstr(tun, "arena_max") != NULL))
		return;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	(void)mallopt(M_ARENA_MAX, n < 2 ? 2 : n > 64 ? 64 : (int)n);
#endif
}

int
main(int argc, char **argv)
{
	struct am_runtime_opts ropts = { .has_dnssec = true };
	/* Static: the detached reload thread still reads it while exit()
	 * runs after main returns (main's frame is gone by then). */
	static struct reloader r;
	struct am_buf start_warns;
	struct am_config *cfg;
	struct am_runtime *rt;
	struct am_ctx *ctx;
	pthread_t tid;
	sigset_t set;
	struct opts o;
	int rc;

	limit_arenas();
	parse_opts(argc, argv, &o);
	memset(&r, 0, sizeof(r));
	atomic_init(&r.is_stats_failing, false);
	(void)pthread_mutex_init(&r.stats_lock, NULL);
	r.started = time(NULL);
	r.path = o.config_path ? o.config_path : AM_DEFAULT_CONFIG;
	r.explicit = o.config_path != NULL;
	if ((cfg = load_config(r.path, r.explicit, true)) == NULL)
		return 1;
	am_buf_init(&start_warns, 1 << 20);
	if ((rt = build_runtime(am_config_ref(cfg), true, NULL,
	    &start_warns)) == NULL)
		return 1;
	/* The real build below applies this probe's verdict: one probe,
	 * one warning. */
	ropts.dnssec = rt->dnssec;
	rt = am_runtime_unref(rt);
	if (o.check_only) {
		printf("authmilter: configuration %s OK\n", cfg->source);
		am_config_unref(cfg);
		am_buf_release(&start_warns);
		return 0;
	}
	open_socket(cfg);
	if (!o.foreground)
		detach();
	write_pidfile(cfg->pid_file);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	(void)pthread_sigmask(SIG_BLOCK, &set, NULL);
	(void)signal(SIGPIPE, SIG_IGN);
	if ((rt = build_runtime(cfg, o.foreground, &ropts, NULL)) == NULL)
		am_fatal("configuration changed during start-up");
	if (am_report_store_is_file(rt->cfg->report_store))
		prepare_dir(rt->cfg, "ReportStore", rt->cfg->report_store);
	prepare_dir(rt->cfg, "StatsFile", rt->cfg->stats_file);
	drop_privileges(rt->cfg);
	open_log(rt->cfg, o.foreground);
	/* Detached, the start-up warnings reached only the terminal: log
	 * them once more where the daemon's log goes. */
	if (!o.foreground)
		report(&start_warns, false, false);
	am_buf_release(&start_warns);
	if (!am_idle_start(rt->cfg->milter_timeout))
		am_log_warn("MilterTimeout: cannot watch idle connections (%s); "
		    "libmilter closes them within MilterTimeout + 600 s",
		    errno ? strerror(errno) : "no listening socket found");
	ctx = am_ctx_new(rt);
	open_reports(ctx, rt->cfg);
	open_failures(ctx);
	am_callbacks_set_ctx(ctx);
	r.ctx = ctx;
	open_metrics(&r, rt->cfg);
	if (pthread_create(&tid, NULL, reload_main, &r) != 0)
		am_fatal("cannot start the reload thread");
	(void)pthread_detach(tid);
	am_log_info("authmilter %s listening on %s (authserv-id %s)",
	    PACKAGE_VERSION, rt->cfg->socket, rt->cfg->authserv_id);
	rc = smfi_main();
	am_log_info("authmilter stopping");
	r.metrics = am_metrics_close(r.metrics);
	/* The last snapshot; then no periodic write may touch the report
	 * store while it closes. */
	publish_stats(&r);
	(void)pthread_mutex_lock(&r.stats_lock);
	r.is_stopping = true;
	(void)pthread_mutex_unlock(&r.stats_lock);
	ctx->reports = am_report_store_close(ctx->reports, NULL);
	ctx->failures = am_report_fail_close(ctx->failures, NULL);
	/* XXX the reload thread is still blocked in sigwait; the context is
	 * left to process exit rather than freed under it. exit(), not
	 * return: the thread reads r, which lives in this frame; returning
	 * would pop it while the thread may still wake up (StatsInterval) and
	 * read a dead stack (a crash at stop under ASan). */
	exit(rc == MI_SUCCESS ? 0 : 1);
}
