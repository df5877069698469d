/*
 * check_metrics - the /metrics endpoint (lib/pipeline/metrics.c): the
 * MetricsListen syntax and the loopback rule; over real HTTP on loopback,
 * GET /metrics (200, the 0.0.4 content type, the body render wrote), HEAD,
 * 404 for other paths, 405 with Allow for other methods, 500 when render
 * fails; the connection limit and the idle timeout; a bind failure names
 * the address; close frees the port (it can be opened again).
 */
#include "autoconf.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "pipeline/metrics.h"
#include "testutil/testutil.h"

static const struct {
	const char *spec;
	bool allow_remote;
	enum am_status want;
	const char *want_text;	/* a->text, or a substring of why */
} addr_cases[] = {
	{ "127.0.0.1:9899", false, AM_OK, "127.0.0.1:9899" },
	{ "127.1.2.3:1", false, AM_OK, "127.1.2.3:1" },
	{ "[::1]:9899", false, AM_OK, "[::1]:9899" },
	{ "[::ffff:127.0.0.1]:65535", false, AM_OK, "[::ffff:127.0.0.1]:65535" },
	{ "192.0.2.7:9899", false, AM_PERMFAIL, "not a loopback address" },
	{ "0.0.0.0:9899", false, AM_PERMFAIL, "MetricsAllowRemote" },
	{ "[::]:9899", false, AM_PERMFAIL, "not a loopback" },
	{ "192.0.2.7:9899", true, AM_OK, "192.0.2.7:9899" },
	{ "[2001:db8::1]:9899", true, AM_OK, "[2001:db8::1]:9899" },
	{ "localhost:9899", false, AM_PERMFAIL, "not a literal IPv4" },
	{ "127.0.0.1", false, AM_PERMFAIL, "not ADDR:PORT" },
	{ "::1:9899", false, AM_PERMFAIL, "not ADDR:PORT" },
	{ "[::1]9899", false, AM_PERMFAIL, "not ADDR:PORT" },
	{ "[127.0.0.1]:9899", false, AM_PERMFAIL, "not a literal IPv6" },
	{ "127.0.0.1:0", false, AM_PERMFAIL, "1-65535" },
	{ "127.0.0.1:65536", false, AM_PERMFAIL, "1-65535" },
	{ "127.0.0.1:+99", false, AM_PERMFAIL, "1-65535" },
	{ "127.0.0.1:", false, AM_PERMFAIL, "1-65535" },
	{ ":9899", false, AM_PERMFAIL, "not a literal" },
	{ "", false, AM_PERMFAIL, "not ADDR:PORT" },
};

START_TEST(addr_table)
{
	struct am_metrics_addr a;
	struct am_why why = { "" };
	enum am_status got;

	got = am_metrics_addr_parse(addr_cases[_i].spec,
	    addr_cases[_i].allow_remote, &a, &why);
	ck_assert_msg(got == addr_cases[_i].want, "%s: got %s (%s), want %s",
	    addr_cases[_i].spec, am_status_name(got), why.text,
	    am_status_name(addr_cases[_i].want));
	if (got == AM_OK)
		ck_assert_str_eq(a.text, addr_cases[_i].want_text);
	else
		ck_assert_msg(strstr(why.text, addr_cases[_i].want_text) !=
		    NULL, "%s: got \"%s\", want \"%s\" in it",
		    addr_cases[_i].spec, why.text, addr_cases[_i].want_text);
}
END_TEST

/* ------------------------------------------------------- HTTP */

struct render_state {
	int calls;		/* render() calls */
	bool is_failing;	/* render() fails */
};

static enum am_status
render(void *arg, struct am_buf *out)
{
	struct render_state *rs = arg;

	rs->calls++;
	if (rs->is_failing)
		return AM_PERMFAIL;
	return am_buf_printf(out, "# HELP t_total test\n# TYPE t_total "
	    "counter\nt_total %d\n", rs->calls);
}

/* free_port - a loopback port nobody listens on now. */
static unsigned
free_port(int family)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd = socket(family, SOCK_STREAM, 0);

	memset(&ss, 0, sizeof(ss));
	ss.ss_family = (sa_family_t)family;
	if (family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_addr.s_addr =
		    htonl(INADDR_LOOPBACK);
	else
		((struct sockaddr_in6 *)&ss)->sin6_addr = in6addr_loopback;
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&ss, family == AF_INET ?
	    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	close(fd);
	return ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port :
	    ((struct sockaddr_in6 *)&ss)->sin6_port);
}

/* open_on - the endpoint on a free port of host ("127.0.0.1", "[::1]"). */
static struct am_metrics *
open_on(const char *host, const struct am_metrics_opts *o,
    struct render_state *rs, struct am_metrics_addr *a)
{
	struct am_why why = { "" };
	struct am_metrics *m;
	char spec[64];

	(void)snprintf(spec, sizeof(spec), "%s:%u", host,
	    free_port(host[0] == '[' ? AF_INET6 : AF_INET));
	ck_assert_int_eq(am_metrics_addr_parse(spec, false, a, &why), AM_OK);
	m = am_metrics_open(a, o, render, rs, &why);
	ck_assert_msg(m != NULL, "am_metrics_open %s: %s", spec, why.text);
	return m;
}

/* connect_to - a connected socket to a, or -1. */
static int
connect_to(const struct am_metrics_addr *a)
{
	int fd = socket(a->ss.ss_family, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	if (connect(fd, (const struct sockaddr *)&a->ss, a->len) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* read_all - everything until the peer closes (5 s at most), owned. */
static char *
read_all(int fd)
{
	struct am_buf b;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char chunk[4096];
	ssize_t n;

	am_buf_init(&b, 1 << 20);
	while (poll(&pfd, 1, 5000) == 1 &&
	    (n = read(fd, chunk, sizeof(chunk))) > 0)
		ck_assert_int_eq(am_buf_append(&b, chunk, (size_t)n), AM_OK);
	(void)am_buf_putc(&b, '\0');
	b.len--;
	return am_buf_export(&b);
}

/* request - send req (HTTP/1.0: the server closes after replying) and
 * return the whole response (owned). */
static char *
request(const struct am_metrics_addr *a, const char *req)
{
	int fd = connect_to(a);
	char *resp;

	ck_assert_int_ge(fd, 0);
	ck_assert(am_write_all(fd, req, strlen(req)));
	resp = read_all(fd);
	close(fd);
	return resp;
}

/* want_status - the status line of resp starts with "HTTP/1.x code". */
static void
want_status(const char *resp, const char *code)
{
	ck_assert_msg(strncmp(resp, "HTTP/1.", 7) == 0 &&
	    strncmp(resp + 9, code, strlen(code)) == 0,
	    "got \"%.60s\", want status %s", resp, code);
}

START_TEST(http_get_and_errors)
{
	struct render_state rs = { 0, false };
	struct am_metrics_addr a;
	struct am_metrics *m = open_on("127.0.0.1", NULL, &rs, &a);
	char *r;

	ck_assert_uint_eq(am_metrics_port(m),
	    ntohs(((struct sockaddr_in *)&a.ss)->sin_port));
	r = request(&a, "GET /metrics HTTP/1.0\r\n\r\n");
	want_status(r, "200");
	ck_assert_ptr_nonnull(strcasestr(r, "\r\nContent-Type: text/plain; "
	    "version=0.0.4; charset=utf-8\r\n"));
	ck_assert_msg(strstr(r, "\r\n\r\n# HELP t_total test\n# TYPE t_total "
	    "counter\nt_total 1\n") != NULL, "got %s", r);
	free(r);
	r = request(&a, "GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\n"
	    "Connection: close\r\n\r\n");
	want_status(r, "200");
	ck_assert_ptr_nonnull(strstr(r, "t_total 2\n"));
	free(r);
	r = request(&a, "HEAD /metrics HTTP/1.0\r\n\r\n");
	want_status(r, "200");
	ck_assert_ptr_null(strstr(r, "t_total"));
	free(r);
	r = request(&a, "GET / HTTP/1.0\r\n\r\n");
	want_status(r, "404");
	free(r);
	r = request(&a, "GET /metricsx HTTP/1.0\r\n\r\n");
	want_status(r, "404");
	free(r);
	r = request(&a, "POST /metrics HTTP/1.0\r\nContent-Length: 3\r\n\r\n"
	    "a=b");
	want_status(r, "405");
	ck_assert_ptr_nonnull(strcasestr(r, "\r\nAllow: GET, HEAD\r\n"));
	free(r);
	r = request(&a, "DELETE /metrics HTTP/1.0\r\n\r\n");
	want_status(r, "405");
	free(r);
	r = request(&a, "not http at all\r\n\r\n");
	ck_assert_ptr_null(strstr(r, "t_total"));	/* never the body */
	free(r);
	ck_assert_int_eq(rs.calls, 3);	/* two GETs and the HEAD */
	rs.is_failing = true;
	r = request(&a, "GET /metrics HTTP/1.0\r\n\r\n");
	want_status(r, "500");
	free(r);
	m = am_metrics_close(m);
	ck_assert_ptr_null(m);
}
END_TEST

START_TEST(http_ipv6)
{
	struct render_state rs = { 0, false };
	struct am_metrics_addr a;
	struct am_metrics *m;
	char *r;
	int fd = socket(AF_INET6, SOCK_STREAM, 0);

	if (fd < 0) {
		printf("NOTE: no IPv6 here: [::1] not tested\n");
		return;
	}
	close(fd);
	m = open_on("[::1]", NULL, &rs, &a);
	r = request(&a, "GET /metrics HTTP/1.0\r\n\r\n");
	want_status(r, "200");
	ck_assert_ptr_nonnull(strstr(r, "t_total 1\n"));
	free(r);
	m = am_metrics_close(m);
}
END_TEST

/* At most max_conns connections: one more waits unanswered (in the listen
 * backlog) while they are open; an idle connection is closed after
 * timeout_s, and then the waiting request is served. */
START_TEST(http_limits)
{
	static const char get[] = "GET /metrics HTTP/1.0\r\n\r\n";
	struct am_metrics_opts o = { .max_conns = 2, .timeout_s = 1 };
	struct render_state rs = { 0, false };
	struct am_metrics_addr a;
	struct am_metrics *m = open_on("127.0.0.1", &o, &rs, &a);
	struct pollfd pfd = { .events = POLLIN };
	struct timespec t0, t1;
	int idle[2], fd;
	char *r;

	idle[0] = connect_to(&a);
	idle[1] = connect_to(&a);
	ck_assert(idle[0] >= 0 && idle[1] >= 0);
	(void)usleep(200 * 1000);	/* the server has accepted both */
	(void)clock_gettime(CLOCK_MONOTONIC, &t0);
	fd = connect_to(&a);		/* the kernel's backlog takes it */
	ck_assert_int_ge(fd, 0);
	ck_assert(am_write_all(fd, get, sizeof(get) - 1));
	pfd.fd = fd;
	ck_assert_msg(poll(&pfd, 1, 500) == 0, "over the limit, answered "
	    "at once");
	ck_assert_int_eq(rs.calls, 0);
	/* the idle ones time out (1 s): the server closes them ... */
	r = read_all(idle[0]);
	ck_assert_msg(r[0] == '\0', "idle connection: got \"%.40s\"", r);
	free(r);
	/* ... and serves the one that waited */
	r = read_all(fd);
	(void)clock_gettime(CLOCK_MONOTONIC, &t1);
	want_status(r, "200");
	ck_assert_msg(t1.tv_sec - t0.tv_sec < 5, "served after %lds",
	    (long)(t1.tv_sec - t0.tv_sec));
	free(r);
	close(fd);
	close(idle[0]);
	close(idle[1]);
	ck_assert_int_eq(rs.calls, 1);
	m = am_metrics_close(m);
}
END_TEST

/* A port in use: NULL, and why names the address; after close the port
 * can be taken again (the socket was closed). */
START_TEST(bind_failure_and_reopen)
{
	struct render_state rs = { 0, false };
	struct am_metrics_addr a;
	struct am_metrics *m = open_on("127.0.0.1", NULL, &rs, &a), *m2;
	struct am_why why = { "" };

	m2 = am_metrics_open(&a, NULL, render, &rs, &why);
	ck_assert_ptr_null(m2);
	ck_assert_msg(strstr(why.text, a.text) != NULL &&
	    strstr(why.text, "cannot bind: Address already in use") != NULL,
	    "got \"%s\"", why.text);
	m = am_metrics_close(m);
	m2 = am_metrics_open(&a, NULL, render, &rs, &why);
	ck_assert_msg(m2 != NULL, "reopen: %s", why.text);
	m2 = am_metrics_close(m2);
	ck_assert_ptr_null(am_metrics_close(NULL));
}
END_TEST

START_TEST(open_null_panics)
{
	struct am_why why;

	(void)am_metrics_open(NULL, NULL, render, NULL, &why);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("core");

	(void)signal(SIGPIPE, SIG_IGN);
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, addr_table, 0,
	    (int)(sizeof(addr_cases) / sizeof(addr_cases[0])));
	tcase_add_test(tc, http_get_and_errors);
	tcase_add_test(tc, http_ipv6);
	tcase_add_test(tc, http_limits);
	tcase_add_test(tc, bind_failure_and_reopen);
	if (am_test_can_fork())
		tcase_add_test_raise_signal(tc, open_null_panics, SIGABRT);
	suite_add_tcase(s, tc);
	return am_test_run(s);
}
