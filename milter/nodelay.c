/*
 * nodelay.c - TCP options of the milter sockets (see nodelay.h): TCP_NODELAY
 * on the listening socket libmilter made (found among our descriptors), the
 * no-reply step mask, and TCP_QUICKACK on a connection's socket after a
 * packet that gets no reply.
 */
#include "autoconf.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <libmilter/mfapi.h>
#include <libmilter/mfdef.h>

#include "nodelay.h"

/* The steps asked for when offered (nodelay.h). Not SMFIP_NR_MAIL:
 * RequireTLS decides at MAIL FROM. Not SMFIP_NODATA: the DATA callback is
 * where its packet gets its ACK (am_quickack). */
#define STEPS (SMFIP_HDR_LEADSPC | SMFIP_SKIP | SMFIP_NOUNKNOWN | \
	SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_RCPT | SMFIP_NR_DATA | \
	SMFIP_NR_HDR | SMFIP_NR_EOH | SMFIP_NR_BODY)

/* The head of libmilter's private struct smfi_str (sendmail
 * libmilter/libmilter.h): sthread_t ctx_id, then socket_t ctx_sd. */
struct smfictx_head {
	pthread_t id;		/* libmilter's thread of the connection */
	int sd;			/* the connection's socket */
};

bool
am_listen_nodelay(void)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, on = 1, listening, saved = 0;
	struct rlimit rl;
	int max = getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur < 65536 ? (int)rl.rlim_cur : 65536;

	for (fd = 3; fd < max; fd++) {
		len = sizeof(listening);
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening,
		    &len) != 0 || !listening)
			continue;
		len = sizeof(ss);
		if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0 ||
		    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
			continue;
		if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on,
		    sizeof(on)) != 0)
			saved = errno;
	}
	errno = saved;
	return saved == 0;
}

/* am_milter_steps - what to ask for of the MTA's offer f1. */
unsigned long
am_milter_steps(unsigned long f1)
{
	return f1 & STEPS;
}

/* sockopt_is - getsockopt(level, opt) on fd equals want. */
static bool
sockopt_is(int fd, int level, int opt, int want)
{
	socklen_t len = sizeof(int);
	int v = -1;

	return getsockopt(fd, level, opt, &v, &len) == 0 && v == want;
}

/* am_conn_sock - the connection's TCP socket, or -1 (see nodelay.h). */
int
am_conn_sock(const void *smfictx)
{
	const struct smfictx_head *h = smfictx;
	struct stat st;
	int fd;

	if (h == NULL)
		return -1;
	fd = h->sd;
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode))
		return -1;
	if (!sockopt_is(fd, SOL_SOCKET, SO_TYPE, SOCK_STREAM) ||
	    !sockopt_is(fd, SOL_SOCKET, SO_PROTOCOL, IPPROTO_TCP) ||
	    !sockopt_is(fd, SOL_SOCKET, SO_ACCEPTCONN, 0))
		return -1;
	if (!sockopt_is(fd, SOL_SOCKET, SO_DOMAIN, AF_INET) &&
	    !sockopt_is(fd, SOL_SOCKET, SO_DOMAIN, AF_INET6))
		return -1;
	return fd;
}

/* am_quickack - the pending ACK now. */
void
am_quickack(int fd)
{
	int on = 1;

	if (fd >= 0)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &on,
		    sizeof(on));
}
