/*
 * metrics.c - the /metrics endpoint of metrics.h over libmicrohttpd.
 *
 * We bind the socket ourselves and hand it to libmicrohttpd
 * (MHD_OPTION_LISTEN_SOCKET): a failure to bind then has its errno
 * (EADDRINUSE, EACCES for a port below 1024 once privileges are dropped)
 * and the message names the address; libmicrohttpd only says "NULL".
 * MHD_stop_daemon() closes the socket it was given. The daemon runs its
 * own polling thread; MHD_USE_AUTO picks epoll on Linux (poll elsewhere),
 * never select(), which cannot watch descriptors above FD_SETSIZE -- a busy
 * milter has thousands open. No MHD_USE_ERROR_LOG: libmicrohttpd prints
 * nothing.
 */
#include "autoconf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "core/buf.h"
#include "core/xalloc.h"
#include "pipeline/metrics.h"

#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define DEFAULT_CONNS 8
#define DEFAULT_TIMEOUT_S 10
#define CONN_MEMORY 16384	/* bytes per connection (requests are tiny) */

struct am_metrics {
	struct MHD_Daemon *d;		/* owned; owns the socket */
	am_metrics_render_fn render;	/* writes the body */
	void *arg;			/* borrowed, for render */
	unsigned port;			/* listening port */
};

/* ---------------------------------------------------------- address */

/* parse_port - decimal 1..65535, nothing else. */
static bool
parse_port(const char *s, in_port_t *port)
{
	unsigned long v = 0;
	size_t i;

	if (s[0] == '\0' || strlen(s) > 5)
		return false;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v == 0 || v > 65535)
		return false;
	*port = htons((in_port_t)v);
	return true;
}

/* is_loopback - 127.0.0.0/8, ::1, or 127/8 mapped into IPv6. */
static bool
is_loopback(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in *v4 = (const void *)ss;
	const struct sockaddr_in6 *v6 = (const void *)ss;

	if (ss->ss_family == AF_INET)
		return (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
	return IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr) ||
	    (IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr) &&
	    v6->sin6_addr.s6_addr[12] == 127);
}

/* split - host and port of "A:P" or "[A]:P" into host (size bytes). */
static bool
split(const char *spec, char *host, size_t size, const char **port,
    bool *is_v6)
{
	const char *end, *colon;

	*is_v6 = spec[0] == '[';
	if (*is_v6) {
		if ((end = strchr(spec, ']')) == NULL || end[1] != ':')
			return false;
		*port = end + 2;
		return am_snprintf(host, size, "%.*s", (int)(end - spec - 1),
		    spec + 1) == AM_OK;
	}
	if ((colon = strrchr(spec, ':')) == NULL ||
	    memchr(spec, ':', (size_t)(colon - spec)) != NULL)
		return false;	/* no port, or an IPv6 address without [] */
	*port = colon + 1;
	return am_snprintf(host, size, "%.*s", (int)(colon - spec), spec) ==
	    AM_OK;
}

/* am_metrics_addr_parse - a MetricsListen value (see the header). */
enum am_status
am_metrics_addr_parse(const char *spec, bool allow_remote,
    struct am_metrics_addr *a, struct am_why *why)
{
	struct sockaddr_in *v4 = (void *)&a->ss;
	struct sockaddr_in6 *v6 = (void *)&a->ss;
	char host[INET6_ADDRSTRLEN + 1];
	const char *port;
	bool is_v6;
	in_port_t p;

	if (spec == NULL || a == NULL || why == NULL)
		AM_PANIC("am_metrics_addr_parse: NULL argument");
	memset(a, 0, sizeof(*a));
	if (!split(spec, host, sizeof(host), &port, &is_v6)) {
		am_why_set(why, "\"%.80s\": not ADDR:PORT or [IPV6]:PORT", spec);
		return AM_PERMFAIL;
	}
	if (!parse_port(port, &p)) {
		am_why_set(why, "\"%.80s\": the port must be 1-65535", spec);
		return AM_PERMFAIL;
	}
	if (!is_v6 && inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = p;
		a->len = sizeof(*v4);
	} else if (is_v6 && inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = p;
		a->len = sizeof(*v6);
	} else {
		am_why_set(why, "\"%.80s\": not a literal IP%s address", host,
		    is_v6 ? "v6" : "v4");
		return AM_PERMFAIL;
	}
	if (!allow_remote && !is_loopback(&a->ss)) {
		am_why_set(why, "%.80s is not a loopback address: the endpoint "
		    "has no authentication; set MetricsAllowRemote yes to "
		    "serve it there", spec);
		return AM_PERMFAIL;
	}
	AM_SNPRINTF_FIT(a->text, sizeof(a->text), is_v6 ? "[%s]:%u" : "%s:%u",
	    host, (unsigned)ntohs(p));
	return AM_OK;
}

/* ---------------------------------------------------------- requests */

/* reply - queue one response with a body and a content type. */
static enum MHD_Result
reply(struct MHD_Connection *c, unsigned status, const char *body,
    size_t len, const char *type, const char *allow)
{
	struct MHD_Response *r;
	enum MHD_Result ok;

	r = MHD_create_response_from_buffer(len, (void *)body,
	    MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	(void)MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (allow != NULL)
		(void)MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	ok = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ok;
}

/* serve - render the counters for one GET or HEAD. */
static enum MHD_Result
serve(struct am_metrics *m, struct MHD_Connection *c)
{
	static const char failed[] = "cannot format the metrics\n";
	struct am_buf out;
	enum MHD_Result ok;

	am_buf_init(&out, AM_METRICS_MAX_BYTES);
	if (m->render(m->arg, &out) == AM_OK)
		ok = reply(c, MHD_HTTP_OK, am_buf_str(&out), out.len,
		    CONTENT_TYPE, NULL);
	else
		ok = reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, failed,
		    sizeof(failed) - 1, "text/plain", NULL);
	am_buf_release(&out);
	return ok;
}

/* handle - libmicrohttpd's request callback (first call per request: the
 * headers are in; a body, if any, is never read). */
static enum MHD_Result
handle(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **req_cls)
{
	static const char not_found[] = "not found: try /metrics\n";
	static const char not_allowed[] = "method not allowed\n";

	if (strcmp(url, "/metrics") != 0)
		return reply(c, MHD_HTTP_NOT_FOUND, not_found,
		    sizeof(not_found) - 1, "text/plain", NULL);
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, not_allowed,
		    sizeof(not_allowed) - 1, "text/plain", "GET, HEAD");
	return serve(cls, c);
}

/* ---------------------------------------------------------- daemon */

/* listen_on - a bound, listening, non-blocking socket, or -1 (why). */
static int
listen_on(const struct am_metrics_addr *a, struct am_why *why)
{
	int fd, one = 1;

	fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd < 0) {
		am_why_set(why, "%s: socket: %s", a->text, strerror(errno));
		return -1;
	}
	if (a->ss.ss_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
		    sizeof(one));
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len) != 0) {
		am_why_set(why, "%s: cannot bind: %s%s", a->text,
		    strerror(errno), errno == EACCES ? " (ports below 1024 "
		    "need privileges the daemon no longer has when the "
		    "endpoint starts)" : "");
		(void)close(fd);
		return -1;
	}
	if (listen(fd, 16) != 0) {
		am_why_set(why, "%s: cannot listen: %s", a->text,
		    strerror(errno));
		(void)close(fd);
		return -1;
	}
	return fd;
}

/* am_metrics_open - bind a and start serving (see the header). */
struct am_metrics *
am_metrics_open(const struct am_metrics_addr *a,
    const struct am_metrics_opts *opts, am_metrics_render_fn render,
    void *arg, struct am_why *why)
{
	unsigned conns = opts && opts->max_conns ? opts->max_conns :
	    DEFAULT_CONNS;
	unsigned timeout = opts && opts->timeout_s ? opts->timeout_s :
	    DEFAULT_TIMEOUT_S;
	struct am_metrics *m;
	int fd;

	if (a == NULL || render == NULL || why == NULL)
		AM_PANIC("am_metrics_open: NULL argument");
	if ((fd = listen_on(a, why)) < 0)
		return NULL;
	m = am_xcalloc(1, sizeof(*m));
	m->render = render;
	m->arg = arg;
	m->port = ntohs(a->ss.ss_family == AF_INET ?
	    ((const struct sockaddr_in *)(const void *)&a->ss)->sin_port :
	    ((const struct sockaddr_in6 *)(const void *)&a->ss)->sin6_port);
	m->d = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD, 0, NULL, NULL,
	    handle, m, MHD_OPTION_LISTEN_SOCKET, fd,
	    MHD_OPTION_CONNECTION_LIMIT, conns,
	    MHD_OPTION_CONNECTION_TIMEOUT, timeout,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY,
	    MHD_OPTION_END);
	if (m->d == NULL) {
		am_why_set(why, "%s: cannot start the HTTP server "
		    "(libmicrohttpd)", a->text);
		(void)close(fd);
		free(m);
		return NULL;
	}
	return m;
}

/* am_metrics_close - stop the thread, close the socket, free m. */
struct am_metrics *
am_metrics_close(struct am_metrics *m)
{
	if (m == NULL)
		return NULL;
	MHD_stop_daemon(m->d);
	free(m);
	return NULL;
}

/* am_metrics_port - the port m listens on. */
unsigned
am_metrics_port(const struct am_metrics *m)
{
	return m->port;
}
