/*
 * idle.c - the idle-connection watcher (see idle.h for why it exists).
 *
 * Each pass: every period seconds the descriptors are scanned for
 * connections accepted on the listener (a descriptor number is only a hint:
 * a connection is known by its socket inode); the connections not already
 * known to have data waiting are polled for a quarter of a second; then
 * every connection quiet for the timeout is shut down. Data waiting is
 * checked with MSG_PEEK, which never takes it from libmilter. A scan also
 * counts the descriptors in use and logs when they near RLIMIT_NOFILE.
 */
#include "autoconf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "idle.h"

#define MAX_LISTENERS	4	/* libmilter opens one */
#define MAX_FDS		65536	/* descriptors scanned at most */
#define POLL_MS		250	/* one wait for data */
#define FD_HIGH_PCT	90	/* descriptors in use: warn at this share */
#define FD_LOW_PCT	75	/* ...and say so again below this one */

/* A listening socket: what the local address of its connections is. */
struct listener {
	int family;		/* AF_INET, AF_INET6 or AF_UNIX */
	in_port_t port;		/* inet: network byte order */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
};

/* One watched connection. */
struct watched {
	int fd;			/* descriptor number when last seen */
	ino_t ino;		/* the socket's inode: its identity */
	int64_t last_ms;	/* when it last received data (monotonic) */
	bool is_pending;	/* data waiting for libmilter: not polled */
	bool is_done;		/* at end of file, or shut down by us */
	bool is_seen;		/* found by the current scan */
};

struct idle {
	int64_t timeout_ms;	/* MilterTimeout */
	int64_t period_ms;	/* between two scans */
	struct listener lis[MAX_LISTENERS];
	size_t nlis;
	struct watched *w;	/* owned array of nw (capacity cap) */
	size_t nw, cap;
	int maxfd;		/* scan descriptors below it */
	bool is_fd_short;	/* warned: descriptors near RLIMIT_NOFILE */
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* local_of - the local address of a socket as a listener record. */
static bool
local_of(int fd, struct listener *l)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	memset(l, 0, sizeof(*l));
	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		return false;
	l->family = ss.ss_family;
	if (ss.ss_family == AF_INET)
		l->port = ((struct sockaddr_in *)&ss)->sin_port;
	else if (ss.ss_family == AF_INET6)
		l->port = ((struct sockaddr_in6 *)&ss)->sin6_port;
	else if (ss.ss_family == AF_UNIX)
		memcpy(l->path, ((struct sockaddr_un *)&ss)->sun_path,
		    sizeof(l->path) - 1);	/* l->path ends in NUL */
	else
		return false;
	return true;
}

static bool
is_listening(int fd)
{
	int on = 0;
	socklen_t len = sizeof(on);

	return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) == 0 &&
	    on != 0;
}

/* find_listeners - the listening sockets of the process. */
static void
find_listeners(struct idle *id)
{
	int fd;

	for (fd = 0; fd < id->maxfd && id->nlis < MAX_LISTENERS; fd++)
		if (is_listening(fd) && local_of(fd, &id->lis[id->nlis]))
			id->nlis++;
}

/* accepted_ino - the inode of fd when it is a connection accepted on one
 * of the listeners, else 0. */
static ino_t
accepted_ino(const struct idle *id, int fd)
{
	struct listener l;
	struct stat st;
	size_t i;

	if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode) || is_listening(fd) ||
	    !local_of(fd, &l))
		return 0;
	for (i = 0; i < id->nlis; i++)
		if (l.family == id->lis[i].family && (l.family == AF_UNIX ?
		    l.path[0] != '\0' && strcmp(l.path, id->lis[i].path) == 0 :
		    l.port == id->lis[i].port))
			return st.st_ino;
	return 0;
}

/* find - the entry of a socket inode, or NULL. */
static struct watched *
find(struct idle *id, ino_t ino)
{
	size_t i;

	for (i = 0; i < id->nw; i++)
		if (id->w[i].ino == ino)
			return &id->w[i];
	return NULL;
}

/* fd_pressure - log once when the descriptors in use near the limit (an
 * MTA opening more connections than it may: libmilter cannot accept them
 * and they wait in the listen queue, unlogged) and once when they are
 * back under FD_LOW_PCT. */
static void
fd_pressure(struct idle *id, size_t nopen)
{
	size_t limit = (size_t)id->maxfd;

	if (!id->is_fd_short && nopen * 100 >= limit * FD_HIGH_PCT) {
		id->is_fd_short = true;
		am_log_warn("%zu of %zu file descriptors in use (RLIMIT_NOFILE), "
		    "%zu milter connections: new connections wait until some "
		    "close; raise the limit or lower the MTA's milter "
		    "connections", nopen, limit, id->nw);
	} else if (id->is_fd_short && nopen * 100 < limit * FD_LOW_PCT) {
		id->is_fd_short = false;
		am_log_info("%zu of %zu file descriptors in use again, %zu "
		    "milter connections", nopen, limit, id->nw);
	}
}

/* scan - add new connections, forget the ones that are gone. */
static void
scan(struct idle *id, int64_t now)
{
	struct watched *w;
	size_t i, n, nopen;
	ino_t ino;
	int fd;

	for (i = 0; i < id->nw; i++)
		id->w[i].is_seen = false;
	for (fd = 0, nopen = 0; fd < id->maxfd; fd++) {
		if (fcntl(fd, F_GETFD) != -1)
			nopen++;
		if ((ino = accepted_ino(id, fd)) == 0)
			continue;
		if ((w = find(id, ino)) == NULL) {
			if (id->nw == id->cap) {
				id->cap = id->cap ? id->cap * 2 : 64;
				id->w = am_xreallocarray(id->w, id->cap,
				    sizeof(*id->w));
			}
			w = &id->w[id->nw++];
			memset(w, 0, sizeof(*w));
			w->ino = ino;
			w->last_ms = now;
		}
		w->fd = fd;
		w->is_seen = true;
	}
	for (i = n = 0; i < id->nw; i++)
		if (id->w[i].is_seen)
			id->w[n++] = id->w[i];
	id->nw = n;
	fd_pressure(id, nopen);
}

/* peek - data waiting (1), end of file (0) or nothing yet (-1). */
static int
peek(int fd)
{
	char c;
	ssize_t n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);

	if (n > 0)
		return 1;
	if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK &&
	    errno != EINTR))
		return 0;
	return -1;
}

/* check_pending - data libmilter has not read yet counts as arriving. */
static void
check_pending(struct watched *w, int64_t now)
{
	int p = peek(w->fd);

	if (p > 0)
		w->last_ms = now;
	else if (p == 0)
		w->is_done = true;
	w->is_pending = p > 0;
}

/* watch - wait up to POLL_MS for data on the quiet connections. */
static void
watch(struct idle *id)
{
	struct pollfd *pfd = am_xcalloc(id->nw + 1, sizeof(*pfd));
	size_t *map = am_xcalloc(id->nw + 1, sizeof(*map));
	size_t i, n = 0;
	int64_t now = now_ms();

	for (i = 0; i < id->nw; i++) {
		if (id->w[i].is_done)
			continue;
		if (id->w[i].is_pending)
			check_pending(&id->w[i], now);
		if (id->w[i].is_pending || id->w[i].is_done)
			continue;
		pfd[n].fd = id->w[i].fd;
		pfd[n].events = POLLIN;
		map[n++] = i;
	}
	if (poll(pfd, n, POLL_MS) > 0)
		for (i = 0; i < n; i++)
			if (pfd[i].revents != 0) {
				/* Data came, even if libmilter took it since. */
				id->w[map[i]].last_ms = now_ms();
				check_pending(&id->w[map[i]], now_ms());
			}
	free(pfd);
	free(map);
}

/* peer_text - "192.0.2.1:25" style, or "unix socket". */
static const char *
peer_text(int fd, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char a[INET6_ADDRSTRLEN] = "?";

	if (getpeername(fd, (struct sockaddr *)&ss, &sl) != 0 ||
	    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
		return "unix socket";
	if (ss.ss_family == AF_INET)
		(void)inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr,
		    a, sizeof(a));
	else
		(void)inet_ntop(AF_INET6,
		    &((struct sockaddr_in6 *)&ss)->sin6_addr, a, sizeof(a));
	AM_SNPRINTF_FIT(buf, len, "%s:%u", a, ntohs(ss.ss_family == AF_INET ?
	    ((struct sockaddr_in *)&ss)->sin_port :
	    ((struct sockaddr_in6 *)&ss)->sin6_port));
	return buf;
}

/* close_quiet - shut down the connections quiet for the timeout. A
 * duplicate is checked to be the watched socket before anything is done,
 * so a descriptor number libmilter closed and reused is never touched. */
static void
close_quiet(struct idle *id, int64_t now)
{
	struct watched *w;
	struct stat st;
	char peer[INET6_ADDRSTRLEN + 8];
	size_t i;
	int d;

	for (i = 0; i < id->nw; i++) {
		w = &id->w[i];
		if (w->is_done || w->is_pending ||
		    now - w->last_ms < id->timeout_ms)
			continue;
		if ((d = fcntl(w->fd, F_DUPFD_CLOEXEC, 0)) < 0)
			continue;	/* out of descriptors: next pass */
		w->is_done = true;
		if (fstat(d, &st) == 0 && st.st_ino == w->ino &&
		    shutdown(d, SHUT_RDWR) == 0)
			am_log_info("milter connection from %s: nothing from "
			    "the MTA for %lld s (MilterTimeout): closed",
			    peer_text(d, peer, sizeof(peer)),
			    (long long)((now - w->last_ms) / 1000));
		(void)close(d);
	}
}

static void *
idle_main(void *arg)
{
	struct idle *id = arg;
	int64_t next_scan = 0, now;

	for (;;) {
		now = now_ms();
		if (now >= next_scan) {
			scan(id, now);
			next_scan = now + id->period_ms;
		}
		watch(id);
		close_quiet(id, now_ms());
	}
	return NULL;
}

/* am_idle_start - find the listener, start the watcher (see idle.h). */
bool
am_idle_start(long timeout_s)
{
	struct idle *id = am_xcalloc(1, sizeof(*id));
	struct rlimit rl;
	pthread_t tid;
	int rc = 0;

	id->timeout_ms = (int64_t)timeout_s * 1000;
	/* A connection seen late is only closed late, never early. */
	id->period_ms = timeout_s / 4 < 1 ? 1000 : timeout_s / 4 > 30 ?
	    30000 : (int64_t)timeout_s / 4 * 1000;
	id->maxfd = getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur < MAX_FDS ? (int)rl.rlim_cur : MAX_FDS;
	find_listeners(id);
	errno = 0;
	if (id->nlis == 0 || (rc = pthread_create(&tid, NULL, idle_main,
	    id)) != 0) {
		if (id->nlis > 0)
			errno = rc;
		free(id);
		return false;
	}
	(void)pthread_detach(tid);
	return true;
}
