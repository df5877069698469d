/*
 * NAME        am_metrics - the Prometheus endpoint: GET /metrics over HTTP
 *             on the address of MetricsListen (libmicrohttpd)
 * SYNOPSIS    struct am_metrics_addr a;
 *             if (am_metrics_addr_parse(cfg->metrics_listen,
 *                 cfg->metrics_allow_remote, &a, &why) != AM_OK) ...;
 *             m = am_metrics_open(&a, NULL, render, arg, &why);
 *             ...
 *             m = am_metrics_close(m);
 * DESCRIPTION am_metrics_addr_parse() checks a MetricsListen value and
 *             fills *a: "ADDR:PORT" with a literal IPv4 address, or
 *             "[ADDR]:PORT" with a literal IPv6 one (no names: nothing is
 *             looked up), PORT a decimal 1..65535. The address must be
 *             loopback (127.0.0.0/8, ::1, ::ffff:127.0.0.0/104) unless
 *             allow_remote (MetricsAllowRemote yes): an administrator who
 *             wants the counters on another interface says so in a key of
 *             its own. AM_PERMFAIL with the reason in why otherwise.
 *             a->text is the address as written back ("127.0.0.1:9899",
 *             "[::1]:9899"), for messages.
 *
 *             am_metrics_open() binds a (SO_REUSEADDR), listens, and starts
 *             a libmicrohttpd daemon with its own polling thread
 *             (MHD_USE_INTERNAL_POLLING_THREAD, poll or epoll: no select
 *             limit on descriptor numbers) that serves
 *               GET or HEAD /metrics  200, Content-Type "text/plain;
 *                                     version=0.0.4; charset=utf-8", the
 *                                     body render() wrote into out (an
 *                                     empty buffer capped at
 *                                     AM_METRICS_MAX_BYTES); 500 when
 *                                     render() fails
 *               another method on /metrics  405 with "Allow: GET, HEAD"
 *               any other path        404
 *             at most opts->max_conns connections at once (more wait
 *             in the listen backlog, 16, until one closes) and closes a
 *             connection idle for opts->timeout_s seconds; opts NULL or a
 *             zero field: 8 connections, 10 s. render(arg, out) runs in the daemon's
 *             thread, one request at a time; it must be thread-safe
 *             against the rest of the process (the counters are atomics).
 *             Returns the owned endpoint, or NULL with why naming the
 *             address and the reason (the port is in use, or below 1024
 *             without the privilege to bind it...). The thread inherits
 *             the caller's signal mask.
 *             am_metrics_close() stops the thread (a request in progress
 *             finishes), closes the socket and frees m; accepts NULL,
 *             returns NULL.
 *             am_metrics_port() is the port the endpoint listens on.
 * THREADS     open/close from one thread; render in the endpoint's.
 * DIAGNOSTICS AM_PERMFAIL / NULL with the reason in why; lib/ does not log.
 *             abort() on NULL arguments.
 */
#ifndef AM_METRICS_H
#define AM_METRICS_H

#include <stdbool.h>
#include <sys/socket.h>

#include "core/am.h"
#include "core/buf.h"

#define AM_METRICS_MAX_BYTES (256 * 1024)	/* one exposition text */

struct am_metrics_addr {
	struct sockaddr_storage ss;	/* the address to bind */
	socklen_t len;			/* bytes of ss used */
	char text[64];			/* "127.0.0.1:9899", "[::1]:9899" */
};

struct am_metrics_opts {
	unsigned max_conns;	/* connections at once; 0: 8 */
	unsigned timeout_s;	/* idle connection timeout, s; 0: 10 */
};

typedef enum am_status (*am_metrics_render_fn)(void *arg,
    struct am_buf *out);

struct am_metrics;

enum am_status am_metrics_addr_parse(const char *spec, bool allow_remote,
    struct am_metrics_addr *a, struct am_why *why);
struct am_metrics *am_metrics_open(const struct am_metrics_addr *a,
    const struct am_metrics_opts *opts, am_metrics_render_fn render,
    void *arg, struct am_why *why);
struct am_metrics *am_metrics_close(struct am_metrics *m);
unsigned am_metrics_port(const struct am_metrics *m);

#endif
