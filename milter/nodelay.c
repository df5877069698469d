/*
 * nodelay.c - TCP_NODELAY on the listening socket libmilter made (see
 * nodelay.h): find the TCP sockets in listening state among our
 * descriptors.
 */
#include "autoconf.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "nodelay.h"

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
