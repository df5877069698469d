/*
 * check_dns_limits.c - lib/dns at the edges of the process's resources:
 * how many queries leave at once (libunbound's port count) and what a
 * descriptor shortage does (an error of am_dns_new(), never an exit).
 * Real loopback sockets and a real libunbound; no stub.
 */
#include "autoconf.h"

#include <sys/resource.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <check.h>

#include "dns/dns.h"

/* ms_since - milliseconds since t0 (CLOCK_MONOTONIC). */
static long
ms_since(const struct timespec *t0)
{
	struct timespec t;

	(void)clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000L +
	    (t.tv_nsec - t0->tv_nsec) / 1000000L;
}

/*
 * Queries in flight at once: a loopback "server" that reads and never
 * answers counts the distinct queries that reach it within 200 ms of 64
 * started together. libunbound's library default (16 UDP ports) let 16
 * out and held the rest until those ended (a round trip, or here its
 * ~400 ms retransmission timeout); all 64 must arrive at once.
 */
START_TEST(test_queries_in_flight)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	struct am_dns_opts opts;
	struct am_why why = { "" };
	struct am_dns_query *q[64];
	unsigned char pkt[512];
	char addr[32], name[64], seen[64] = { 0 };
	struct timeval tv = { 0, 20 * 1000 };
	struct timespec t0;
	struct am_dns *d;
	int fd, i, n = 0;
	ssize_t r;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert(fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	ck_assert(getsockname(fd, (struct sockaddr *)&sa, &len) == 0);
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)snprintf(addr, sizeof(addr), "127.0.0.1@%u", ntohs(sa.sin_port));
	memset(&opts, 0, sizeof(opts));
	opts.nameservers = addr;
	d = am_dns_new(&opts, &why);
	ck_assert_msg(d != NULL, "am_dns_new: %s", why.text);
	(void)clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 64; i++) {
		(void)snprintf(name, sizeof(name), "q%d.example", i);
		q[i] = am_dns_start(d, name, ns_t_a);
	}
	/* each query names q<i>: its first label, after the 12-byte header */
	while (n < 64 && ms_since(&t0) < 200) {
		if ((r = recv(fd, pkt, sizeof(pkt), 0)) < 0)
			continue;
		if (r > 14 && pkt[12] >= 2 && pkt[13] == 'q' &&
		    (i = atoi((char *)pkt + 14)) >= 0 && i < 64 && !seen[i]) {
			seen[i] = 1;
			n++;
		}
	}
	ck_assert_msg(n == 64, "%d of 64 queries reached the server within "
	    "200 ms", n);
	for (i = 0; i < 64; i++)
		q[i] = am_dns_query_free(q[i]);
	d = am_dns_free(d);
	(void)close(fd);
}
END_TEST

/*
 * A descriptor shortage is an error of am_dns_new(), never the end of the
 * process. libunbound starts its worker (and libevent base) at the first
 * query; libevent exit()s when it cannot get descriptors, so with every
 * descriptor taken the first query of a fresh resolver killed the daemon
 * (tests/e2e/hostile.sh c3). am_dns_new() now starts the worker itself and
 * refuses when fewer than 16 descriptors are free. In a child process: a
 * lookup with every descriptor taken returns (exit 1: libevent's exit),
 * then am_dns_new() refuses a shortage (exit 2) saying why (exit 3).
 */
START_TEST(test_descriptor_shortage)
{
	struct am_dns_opts opts = { .local_only = true };
	struct am_dns_answer ans;
	struct am_why why = { "" };
	struct rlimit rl, low;
	struct am_dns *d;
	int fds[4096], n = 0, status, fd;
	pid_t pid;

	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if ((pid = fork()) == 0) {
		/* A limit a little above the highest open descriptor. */
		for (fd = 3; fd < 4096 && fcntl(fd, F_GETFD) != -1; fd++)
			;
		low = rl;
		low.rlim_cur = (rlim_t)fd + 64;
		(void)setrlimit(RLIMIT_NOFILE, &low);
		if ((d = am_dns_new(&opts, &why)) == NULL)
			_exit(5);
		while (n < 4096 && (fds[n] = dup(0)) >= 0)
			n++;
		am_dns_lookup(d, "a.example", 1, 2000, &ans);
		am_dns_answer_release(&ans);
		while (n > 0)
			(void)close(fds[--n]);
		d = am_dns_free(d);
		low.rlim_cur = (rlim_t)fd + 8;
		(void)setrlimit(RLIMIT_NOFILE, &low);
		if ((d = am_dns_new(&opts, &why)) != NULL)
			_exit(2);
		_exit(strstr(why.text, "file descriptors free") != NULL ? 0 : 3);
	}
	ck_assert_int_gt(pid, 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "child: %s %d", WIFEXITED(status) ? "exit" : "signal",
	    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
}
END_TEST

static Suite *
limits_suite(void)
{
	Suite *s = suite_create("dns_limits");
	TCase *tn = tcase_create("limits");

	tcase_set_timeout(tn, 120);
	tcase_add_test(tn, test_descriptor_shortage);
	tcase_add_test(tn, test_queries_in_flight);
	suite_add_tcase(s, tn);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(limits_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
