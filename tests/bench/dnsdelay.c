/*
 * dnsdelay - a DNS forwarder on loopback that holds every answer for a
 * fixed time, so a benchmark sees a resolver one round trip away
 * (tests/bench; built by make, never run by make check). The kernel here
 * has no netem qdisc, so the delay is made in user space.
 *
 *   dnsdelay LISTEN_ADDR LISTEN_PORT UPSTREAM_ADDR UPSTREAM_PORT DELAY_MS
 *
 * UDP only (the benchmark's answers fit in one datagram; a truncated one is
 * passed on as it is). Each query goes upstream at once with a fresh
 * 16-bit id (at most 65536 in flight); its answer gets the client's id
 * back and is sent to the client DELAY_MS after it came in. The delay is
 * the same for all, so answers leave in the order they arrived: a FIFO of
 * pending answers is the timer queue. One thread; runs until SIGTERM or
 * SIGINT. Prints one line at the end: queries forwarded and answers sent.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_PKT		4096
#define NIDS		65536
#define QUEUE_MAX	8192	/* answers held at once */

struct query {
	int in_use;			/* an answer is due */
	uint16_t client_id;		/* the id the client chose */
	struct sockaddr_in client;	/* where the answer goes */
};

struct held {
	double due;			/* monotonic seconds */
	struct sockaddr_in client;
	size_t len;
	unsigned char pkt[MAX_PKT];
};

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
udp_socket(const char *addr, int port, struct sockaddr_in *sa)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	int sz = 4 << 20;

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	if (fd < 0 || inet_pton(AF_INET, addr, &sa->sin_addr) != 1)
		return -1;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	return fd;
}

int
main(int argc, char **argv)
{
	static struct query q[NIDS];
	static struct held held[QUEUE_MAX];
	struct sockaddr_in lsa, usa, from;
	unsigned char pkt[MAX_PKT];
	size_t head = 0, n = 0;
	unsigned long nq = 0, na = 0;
	uint16_t next_id = 1, id;
	struct pollfd pfd[2];
	socklen_t fl;
	double delay, t;
	ssize_t r;
	int lfd, ufd, timeout;

	if (argc != 6) {
		fprintf(stderr, "usage: dnsdelay LISTEN_ADDR LISTEN_PORT "
		    "UPSTREAM_ADDR UPSTREAM_PORT DELAY_MS\n");
		return 2;
	}
	delay = atof(argv[5]) / 1000.0;
	lfd = udp_socket(argv[1], atoi(argv[2]), &lsa);
	ufd = udp_socket(argv[3], atoi(argv[4]), &usa);
	if (lfd < 0 || ufd < 0 || bind(lfd, (struct sockaddr *)&lsa,
	    sizeof(lsa)) != 0 || connect(ufd, (struct sockaddr *)&usa,
	    sizeof(usa)) != 0) {
		perror("dnsdelay");
		return 1;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	pfd[0].fd = lfd;
	pfd[1].fd = ufd;
	pfd[0].events = pfd[1].events = POLLIN;
	while (!stop) {
		timeout = -1;
		if (n > 0) {
			t = held[head].due - now();
			timeout = t <= 0 ? 0 : (int)(t * 1000.0) + 1;
		}
		if (poll(pfd, 2, timeout) < 0 && errno != EINTR)
			break;
		/* answers whose time has come */
		for (t = now(); n > 0 && held[head].due <= t; n--) {
			(void)sendto(lfd, held[head].pkt, held[head].len, 0,
			    (struct sockaddr *)&held[head].client,
			    sizeof(held[head].client));
			na++;
			head = (head + 1) % QUEUE_MAX;
		}
		/* queries: upstream at once, with our id */
		while (pfd[0].revents & POLLIN) {
			fl = sizeof(from);
			r = recvfrom(lfd, pkt, sizeof(pkt), MSG_DONTWAIT,
			    (struct sockaddr *)&from, &fl);
			if (r < 12)
				break;
			id = next_id++;
			memcpy(&q[id].client_id, pkt, 2);
			q[id].client = from;
			q[id].in_use = 1;
			id = htons(id);
			memcpy(pkt, &id, 2);
			(void)send(ufd, pkt, (size_t)r, 0);
			nq++;
		}
		/* answers: back to the client's id, held for the delay */
		while (pfd[1].revents & POLLIN) {
			r = recv(ufd, pkt, sizeof(pkt), MSG_DONTWAIT);
			if (r < 12)
				break;
			memcpy(&id, pkt, 2);
			id = ntohs(id);
			if (!q[id].in_use || n == QUEUE_MAX)
				continue;
			q[id].in_use = 0;
			memcpy(pkt, &q[id].client_id, 2);
			struct held *h = &held[(head + n) % QUEUE_MAX];
			h->due = now() + delay;
			h->client = q[id].client;
			h->len = (size_t)r;
			memcpy(h->pkt, pkt, (size_t)r);
			n++;
		}
	}
	printf("dnsdelay: queries=%lu answers=%lu\n", nq, na);
	return 0;
}
