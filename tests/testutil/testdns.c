/*
 * testdns.c - a loopback unbound daemon for the tests (testdns.h).
 *
 * The port is found by binding UDP and TCP 127.0.0.1:0 and releasing it; if
 * another process grabs it before unbound binds, unbound exits and we retry
 * with a new port. so-reuseport is off, or two daemons could share a port.
 * Readiness is a real DNS query to the port, not a log line.
 */
#include "autoconf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil/testdns.h"

#define TESTDNS_TRIES 5		/* ports tried before giving up */
#define TESTDNS_READY_MS 10000	/* wait for the first answer */
#define TESTDNS_STOP_MS 5000	/* SIGTERM grace before SIGKILL */

struct am_testdns {
	char dir[64];		/* mkdtemp directory */
	char conf[96];		/* dir/unbound.conf */
	char log[96];		/* dir/unbound.log */
	char out[96];		/* dir/unbound.out: stdout/stderr */
	char pidfile[96];	/* dir/unbound.pid (written by unbound) */
	char addr[32];		/* "127.0.0.1@PORT" */
	unsigned port;		/* UDP and TCP */
	pid_t pid;		/* the daemon, or 0 */
};

/* now_ms - CLOCK_MONOTONIC in ms. */
static long long
now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* loopback_bind - a socket of type bound to 127.0.0.1:port, or -1. */
static int
loopback_bind(int type, unsigned port, unsigned *bound)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) != 0) {
		(void)close(fd);
		return -1;
	}
	if (bound != NULL)
		*bound = ntohs(sin.sin_port);
	return fd;
}

/* free_port - a port free for both UDP and TCP on 127.0.0.1, or 0. */
static unsigned
free_port(void)
{
	unsigned port = 0;
	int i, ufd, tfd;

	for (i = 0; i < 20; i++) {
		if ((ufd = loopback_bind(SOCK_DGRAM, 0, &port)) < 0)
			return 0;
		tfd = loopback_bind(SOCK_STREAM, port, NULL);
		(void)close(ufd);
		if (tfd >= 0) {
			(void)close(tfd);
			return port;
		}
	}
	return 0;
}

/* am_testdns_pid - the daemon's pid (known from the fork, no pid file). */
pid_t
am_testdns_pid(const struct am_testdns *t)
{
	return t->pid;
}

/* am_testdns_dead_port - a loopback UDP port with no listener. */
unsigned
am_testdns_dead_port(void)
{
	unsigned port = 0;
	int fd = loopback_bind(SOCK_DGRAM, 0, &port);

	if (fd >= 0)
		(void)close(fd);
	return port;
}

/* write_rr - one rrs entry as a configuration line. */
static int
write_rr(FILE *f, const char *rr, struct am_why *why)
{
	if (strchr(rr, '\n') != NULL ||
	    (strchr(rr, '"') != NULL && strchr(rr, '\'') != NULL)) {
		am_why_set(why, "testdns: cannot quote \"%s\"", rr);
		return -1;
	}
	if (strncmp(rr, "local-zone:", 11) == 0)
		return fprintf(f, "\t%s\n", rr) < 0 ? -1 : 0;
	if (strncmp(rr, "auth-zone:", 10) == 0)	/* write_auth_zone() */
		return fprintf(f, "\tlocal-zone: \"%.*s\" transparent\n",
		    (int)strcspn(rr + 10 + strspn(rr + 10, " "), " "),
		    rr + 10 + strspn(rr + 10, " ")) < 0 ? -1 : 0;
	if (strchr(rr, '"') != NULL)
		return fprintf(f, "\tlocal-data: '%s'\n", rr) < 0 ? -1 : 0;
	return fprintf(f, "\tlocal-data: \"%s\"\n", rr) < 0 ? -1 : 0;
}

/* write_auth_zone - "auth-zone: NAME FILE" as an auth-zone clause that
 * serves FILE (RRSIGs and NSECs included, unlike local-data). write_rr()
 * made NAME a transparent local zone, so the static "." does not hide it. */
static int
write_auth_zone(FILE *f, const char *rr, struct am_why *why)
{
	char name[256], file[1024];

	if (sscanf(rr + 10, " %255s %1023s", name, file) != 2 ||
	    strchr(name, '"') != NULL || strchr(file, '"') != NULL) {
		am_why_set(why, "testdns: bad \"%s\" (auth-zone: NAME FILE)",
		    rr);
		return -1;
	}
	return fprintf(f, "auth-zone:\n\tname: \"%s\"\n\tzonefile: \"%s\"\n"
	    "\tfor-downstream: yes\n\tfor-upstream: yes\n"
	    "\tfallback-enabled: no\n", name, file) < 0 ? -1 : 0;
}

/* write_conf - the daemon's configuration for t->port. */
static int
write_conf(struct am_testdns *t, const char *const *rrs, struct am_why *why)
{
	FILE *f = fopen(t->conf, "w");
	size_t i;
	int rc = 0;

	if (f == NULL) {
		am_why_set(why, "testdns: %s: %s", t->conf, strerror(errno));
		return -1;
	}
	(void)fprintf(f, "server:\n\tverbosity: 1\n\tnum-threads: 1\n"
	    "\tusername: \"\"\n\tchroot: \"\"\n\tdirectory: \"%s\"\n"
	    "\tpidfile: \"%s\"\n\tlogfile: \"%s\"\n\tuse-syslog: no\n"
	    "\tdo-daemonize: no\n\tinterface: 127.0.0.1\n\tport: %u\n"
	    "\tdo-ip6: no\n\tso-reuseport: no\n"
	    "\taccess-control: 127.0.0.0/8 allow\n"
	    "\tmodule-config: \"iterator\"\n\tdo-not-query-localhost: no\n"
	    "\tlocal-zone: \".\" static\n",
	    t->dir, t->pidfile, t->log, t->port);
	for (i = 0; rrs != NULL && rrs[i] != NULL && rc == 0; i++)
		rc = write_rr(f, rrs[i], why);
	for (i = 0; rrs != NULL && rrs[i] != NULL && rc == 0; i++)
		if (strncmp(rrs[i], "auth-zone:", 10) == 0)
			rc = write_auth_zone(f, rrs[i], why);
	/* Belt and braces: were anything not local, it goes nowhere. */
	(void)fprintf(f, "remote-control:\n\tcontrol-enable: no\n"
	    "forward-zone:\n\tname: \".\"\n\tforward-addr: 127.0.0.1@9\n");
	if (fclose(f) != 0 && rc == 0) {
		am_why_set(why, "testdns: %s: %s", t->conf, strerror(errno));
		rc = -1;
	}
	return rc;
}

/* spawn - fork and exec the daemon; it dies with this thread. */
static pid_t
spawn(const struct am_testdns *t, const char *bin)
{
	pid_t parent = getpid(), pid;
	int fd;

	if ((pid = fork()) != 0)
		return pid;
	/* Child: async-signal-safe calls only (the parent has threads). */
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(1);
	if ((fd = open("/dev/null", O_RDONLY)) >= 0)
		(void)dup2(fd, 0);
	if ((fd = open(t->out, O_WRONLY | O_CREAT | O_TRUNC, 0600)) >= 0) {
		(void)dup2(fd, 1);
		(void)dup2(fd, 2);
	}
	execl(bin, "unbound", "-d", "-c", t->conf, (char *)NULL);
	_exit(127);
}

/* probe - true when the daemon answers a query for ". A" within ms. */
static bool
probe(unsigned port, int ms)
{
	/* id 0x414d, RD, one question: root, type A, class IN. */
	static const unsigned char q[] = { 0x41, 0x4d, 0x01, 0x00, 0, 1, 0, 0,
		0, 0, 0, 0, 0, 0, 1, 0, 1 };
	unsigned char r[512];
	struct sockaddr_in sin;
	struct pollfd pfd;
	bool ok = false;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return false;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    send(fd, q, sizeof(q), 0) == (ssize_t)sizeof(q)) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		ok = poll(&pfd, 1, ms) == 1 &&
		    recv(fd, r, sizeof(r), 0) >= 12 && r[0] == q[0] &&
		    r[1] == q[1];
	}
	(void)close(fd);
	return ok;
}

/* await_ready - true once it answers; false if it died or never did. */
static bool
await_ready(struct am_testdns *t)
{
	long long end = now_ms() + TESTDNS_READY_MS;
	int status;

	while (now_ms() < end) {
		if (waitpid(t->pid, &status, WNOHANG) == t->pid) {
			t->pid = 0;
			return false;
		}
		if (probe(t->port, 100))
			return true;
	}
	return false;
}

/* kill_daemon - SIGTERM, then SIGKILL after the grace time; reap it. */
static void
kill_daemon(struct am_testdns *t)
{
	long long end = now_ms() + TESTDNS_STOP_MS;
	int status;

	if (t->pid <= 0)
		return;
	(void)kill(t->pid, SIGTERM);
	while (waitpid(t->pid, &status, WNOHANG) == 0) {
		if (now_ms() >= end) {
			(void)kill(t->pid, SIGKILL);
			(void)waitpid(t->pid, &status, 0);
			break;
		}
		(void)usleep(10000);
	}
	t->pid = 0;
}

/* log_tail - the last line of the daemon's log or output, into why. */
static void
log_tail(const struct am_testdns *t, struct am_why *why)
{
	char line[200], last[200] = "";
	FILE *f;

	if ((f = fopen(t->log, "r")) == NULL && (f = fopen(t->out, "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, "error") != NULL || last[0] == '\0')
			(void)snprintf(last, sizeof(last), "%s", line);
	(void)fclose(f);
	last[strcspn(last, "\n")] = '\0';
	am_why_set(why, "testdns: unbound did not start: %s", last);
}

/* am_testdns_start - a ready daemon serving rrs, or NULL with a reason. */
struct am_testdns *
am_testdns_start(const char *const *rrs, struct am_why *why)
{
	const char *bin = getenv("AM_UNBOUND");
	struct am_testdns *t = calloc(1, sizeof(*t));
	int i;

	if (bin == NULL || *bin == '\0')
		bin = "/usr/sbin/unbound";
	if (t == NULL || access(bin, X_OK) != 0) {
		am_why_set(why, "testdns: %s: not installed (apt-get install "
		    "unbound)", bin);
		free(t);
		return NULL;
	}
	(void)snprintf(t->dir, sizeof(t->dir), "/tmp/am-testdns.XXXXXX");
	if (mkdtemp(t->dir) == NULL) {
		am_why_set(why, "testdns: mkdtemp: %s", strerror(errno));
		free(t);
		return NULL;
	}
	(void)snprintf(t->conf, sizeof(t->conf), "%s/unbound.conf", t->dir);
	(void)snprintf(t->log, sizeof(t->log), "%s/unbound.log", t->dir);
	(void)snprintf(t->out, sizeof(t->out), "%s/unbound.out", t->dir);
	(void)snprintf(t->pidfile, sizeof(t->pidfile), "%s/unbound.pid",
	    t->dir);
	am_why_set(why, "testdns: no free port");
	for (i = 0; i < TESTDNS_TRIES; i++) {
		if ((t->port = free_port()) == 0)
			break;
		if (write_conf(t, rrs, why) != 0)
			break;
		(void)unlink(t->log);
		if ((t->pid = spawn(t, bin)) < 0) {
			am_why_set(why, "testdns: fork: %s", strerror(errno));
			break;
		}
		if (await_ready(t)) {
			(void)snprintf(t->addr, sizeof(t->addr),
			    "127.0.0.1@%u", t->port);
			return t;
		}
		kill_daemon(t);
		log_tail(t, why);
	}
	return am_testdns_stop(t);
}

/* am_testdns_port - the daemon's port. */
unsigned
am_testdns_port(const struct am_testdns *t)
{
	return t->port;
}

/* am_testdns_addr - "127.0.0.1@PORT" for am_dns_opts.nameservers. */
const char *
am_testdns_addr(const struct am_testdns *t)
{
	return t->addr;
}

/* am_testdns_dir - the temporary directory. */
const char *
am_testdns_dir(const struct am_testdns *t)
{
	return t->dir;
}

/* am_testdns_stop - stop the daemon, remove its files; NULL is fine. */
struct am_testdns *
am_testdns_stop(struct am_testdns *t)
{
	if (t == NULL)
		return NULL;
	kill_daemon(t);
	(void)unlink(t->conf);
	(void)unlink(t->log);
	(void)unlink(t->out);
	(void)unlink(t->pidfile);
	(void)rmdir(t->dir);
	free(t);
	return NULL;
}
