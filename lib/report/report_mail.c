/*
 * report_mail.c - the report message and its transports (contract in
 * report_send.h): RFC 7489 §7.2.1.1 message, gzip in memory, base64
 * (RFC 2045 §6.8), sendmail -t pipe, and a minimal SMTP client (RFC 5321
 * §3.3, §4.5.2 dot-stuffing).
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "core/buf.h"
#include "core/xalloc.h"
#include "report/report_send.h"

#define GZ_MAX		(256u << 20)	/* bytes of one gzip report */
#define MSG_MAX		(400u << 20)	/* bytes of one message */
#define ARGV_MAX	32

struct gz_state {
	z_stream z;
	struct am_buf *out;
};

/* gz_put - deflate p into the output buffer (flush at the end). */
static enum am_status
gz_put(struct gz_state *g, const char *p, size_t len, int flush,
    struct am_why *why)
{
	unsigned char chunk[16384];
	int rc;

	g->z.next_in = (unsigned char *)(uintptr_t)p;
	g->z.avail_in = (uInt)len;
	do {
		g->z.next_out = chunk;
		g->z.avail_out = sizeof(chunk);
		rc = deflate(&g->z, flush);
		if (rc == Z_STREAM_ERROR) {
			am_why_set(why, "gzip: deflate failed");
			return AM_TEMPFAIL;
		}
		if (am_buf_append(g->out, chunk, sizeof(chunk) -
		    g->z.avail_out) != AM_OK) {
			am_why_set(why, "gzip: report too large");
			return AM_PERMFAIL;
		}
	} while (g->z.avail_out == 0);
	return AM_OK;
}

/* gz_sink - am_report_xml_sink deflating into the buffer. */
static enum am_status
gz_sink(void *arg, const char *p, size_t len, struct am_why *why)
{
	return gz_put(arg, p, len, Z_NO_FLUSH, why);
}

/* am_report_gzip - the report of d, gzipped into gz. */
enum am_status
am_report_gzip(const struct am_report_meta *m,
    const struct am_report_domain *d, enum am_report_format fmt,
    struct am_buf *gz, struct am_why *why)
{
	struct gz_state g;
	enum am_status st;

	memset(&g, 0, sizeof(g));
	g.out = gz;
	am_buf_init(gz, GZ_MAX);
	if (deflateInit2(&g.z, 9, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK) {
		am_why_set(why, "gzip: cannot initialise zlib");
		return AM_TEMPFAIL;
	}
	st = am_report_xml_format(m, d, fmt, NULL, gz_sink, &g, why);
	if (st == AM_OK)
		st = gz_put(&g, "", 0, Z_FINISH, why);
	deflateEnd(&g.z);
	return st;
}

/* base64 - RFC 2045 base64 of p in lines of 76 characters. */
static void
base64(struct am_buf *out, const unsigned char *p, size_t len)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	char q[4];
	size_t i, col = 0;
	uint32_t v;

	for (i = 0; i < len; i += 3) {
		v = (uint32_t)p[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		q[0] = b64[v >> 18 & 63];
		q[1] = b64[v >> 12 & 63];
		q[2] = i + 1 < len ? b64[v >> 6 & 63] : '=';
		q[3] = i + 2 < len ? b64[v & 63] : '=';
		(void)am_buf_append(out, q, 4);
		if ((col += 4) == 76) {
			(void)am_buf_putc(out, '\n');
			col = 0;
		}
	}
	if (col != 0)
		(void)am_buf_putc(out, '\n');
}

/* iso - UTC time as 2026-11-22T00:00:00Z. */
static void
iso(int64_t t, char *out, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* am_report_message - the RFC 7489 §7.2.1.1 report message. */
enum am_status
am_report_message(const struct am_report_mail *m, struct am_buf *out,
    struct am_why *why)
{
	time_t tt = (time_t)m->date;
	char date[64], b[32], e[32];
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	iso(m->begin, b, sizeof(b));
	iso(m->end, e, sizeof(e));
	am_buf_init(out, MSG_MAX);
	(void)am_buf_printf(out, "From: %s\nTo: %s\n"
	    "Subject: Report Domain: %s Submitter: %s Report-ID: <%s>\n"
	    "Date: %s\nMessage-ID: <%s.%lld@%s>\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed;\n boundary=\"=_am_%s\"\n\n"
	    "This is a multi-part message in MIME format.\n\n"
	    "--=_am_%s\nContent-Type: text/plain; charset=us-ascii\n"
	    "Content-Transfer-Encoding: 7bit\n\n"
	    "This is a DMARC aggregate report (RFC 7489) for %s\n"
	    "from %s, period %s to %s.\n\n",
	    m->from, m->to, m->domain, m->submitter, m->report_id, date,
	    m->report_id, (long long)m->date, m->submitter, m->report_id,
	    m->report_id, m->domain, m->submitter, b, e);
	(void)am_buf_printf(out, "--=_am_%s\nContent-Type: application/gzip;"
	    "\n name=\"%s\"\nContent-Transfer-Encoding: base64\n"
	    "Content-Disposition: attachment;\n filename=\"%s\"\n\n",
	    m->report_id, m->filename, m->filename);
	base64(out, m->gz, m->gz_len);
	if (am_buf_printf(out, "\n--=_am_%s--\n", m->report_id) != AM_OK) {
		am_why_set(why, "report message too large");
		return AM_PERMFAIL;
	}
	return AM_OK;
}

/* split_argv - prog's words plus -f from -t -i; *copy owns the words. */
static size_t
split_argv(const char *prog, const char *from, char **copy, char **argv)
{
	char *save = NULL, *w;
	size_t n = 0;

	*copy = am_xstrdup(prog);
	for (w = strtok_r(*copy, " \t", &save); w != NULL && n < ARGV_MAX - 6;
	    w = strtok_r(NULL, " \t", &save))
		argv[n++] = w;
	if (from != NULL && *from != '\0') {
		argv[n++] = (char *)"-f";
		argv[n++] = (char *)(uintptr_t)from;
	}
	argv[n++] = (char *)"-t";
	argv[n++] = (char *)"-i";
	argv[n] = NULL;
	return n;
}

/* am_report_sendmail - pipe msg to prog -f from -t -i; exit status 0. */
enum am_status
am_report_sendmail(const char *prog, const char *from, const char *msg,
    size_t len, struct am_why *why)
{
	char *argv[ARGV_MAX], *copy;
	int fd[2], status;
	bool is_written;
	pid_t pid;

	if (split_argv(prog, from, &copy, argv) < 3 || pipe(fd) != 0) {
		am_why_set(why, "sendmail: %s", argv[0] == NULL ||
		    *prog == '\0' ? "no program" : strerror(errno));
		free(copy);
		return AM_TEMPFAIL;
	}
	if ((pid = fork()) < 0) {
		am_why_set(why, "sendmail: fork: %s", strerror(errno));
		close(fd[0]);
		close(fd[1]);
		free(copy);
		return AM_TEMPFAIL;
	}
	if (pid == 0) {
		dup2(fd[0], 0);
		close(fd[0]);
		close(fd[1]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(fd[0]);
	signal(SIGPIPE, SIG_IGN);
	is_written = am_write_all(fd[1], msg, len);
	close(fd[1]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !is_written) {
		am_why_set(why, "%s: %s %d", argv[0], WIFEXITED(status) ?
		    "exit status" : "killed by signal", WIFEXITED(status) ?
		    WEXITSTATUS(status) : WIFSIGNALED(status) ?
		    WTERMSIG(status) : -1);
		free(copy);
		return AM_TEMPFAIL;
	}
	free(copy);
	return AM_OK;
}

struct smtp {
	int fd;
	unsigned timeout_ms;
	char in[4096];		/* received, not yet consumed */
	size_t n;		/* bytes in in[] */
};

/* smtp_line - one reply line into line (without CRLF); false on error. */
static bool
smtp_line(struct smtp *s, char *line, size_t len)
{
	struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
	char *nl;
	ssize_t r;
	size_t k;

	while ((nl = memchr(s->in, '\n', s->n)) == NULL) {
		if (s->n == sizeof(s->in) || poll(&pfd, 1,
		    (int)s->timeout_ms) <= 0)
			return false;
		if ((r = read(s->fd, s->in + s->n, sizeof(s->in) - s->n)) <= 0)
			return false;
		s->n += (size_t)r;
	}
	k = (size_t)(nl - s->in);
	snprintf(line, len, "%.*s", (int)(k > 0 && nl[-1] == '\r' ? k - 1 :
	    k), s->in);
	memmove(s->in, nl + 1, s->n - k - 1);
	s->n -= k + 1;
	return true;
}

/* smtp_reply - read a (multi-line) reply; true when its code is want. */
static bool
smtp_reply(struct smtp *s, int want, const char *what, struct am_why *why)
{
	char line[512];

	do {
		if (!smtp_line(s, line, sizeof(line))) {
			am_why_set(why, "smtp: %s: no reply", what);
			return false;
		}
	} while (strlen(line) > 3 && line[3] == '-');
	if (atoi(line) != want) {
		am_why_set(why, "smtp: %s: %s", what, line);
		return false;
	}
	return true;
}

/* smtp_cmd - send a command and check its reply code. */
static bool
smtp_cmd(struct smtp *s, int want, struct am_why *why, const char *verb,
    const char *arg, const char *tail)
{
	char cmd[1024];
	int n = snprintf(cmd, sizeof(cmd), "%s%s%s\r\n", verb, arg, tail);

	if (n < 0 || (size_t)n >= sizeof(cmd) || !am_write_all(s->fd, cmd,
	    (size_t)n)) {
		am_why_set(why, "smtp: cannot send %.4s", cmd);
		return false;
	}
	return smtp_reply(s, want, cmd[0] == 'M' ? "MAIL" : cmd[0] == 'R' ?
	    "RCPT" : cmd[0] == 'E' ? "EHLO" : cmd[0] == 'D' ? "DATA" : "QUIT",
	    why);
}

/* smtp_connect - a TCP connection to host[:port]; -1 with why. */
static int
smtp_connect(const char *server, struct am_why *why)
{
	struct addrinfo hints, *res, *ai;
	char host[256], *port = NULL, *c;
	int fd = -1, rc;

	snprintf(host, sizeof(host), "%s", server);
	if (host[0] == '[' && (c = strchr(host, ']')) != NULL) {
		*c = '\0';
		port = c[1] == ':' ? c + 2 : NULL;
		memmove(host, host + 1, strlen(host));
	} else if ((c = strchr(host, ':')) != NULL && strchr(c + 1, ':') ==
	    NULL) {
		*c = '\0';
		port = c + 1;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, port ? port : "25", &hints, &res)) != 0) {
		am_why_set(why, "smtp: %s: %s", server, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, ai->ai_socktype |
		    SOCK_CLOEXEC, 0)) < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0)
		am_why_set(why, "smtp: %s: cannot connect", server);
	return fd;
}

/* smtp_data - msg with CRLF line ends, dot-stuffed, then ".". */
static bool
smtp_data(struct smtp *s, const char *msg, size_t len)
{
	struct am_buf b;
	size_t i;
	bool ok, is_bol = true;

	am_buf_init(&b, 2 * len + 16);
	for (i = 0; i < len; i++) {
		if (is_bol && msg[i] == '.')
			(void)am_buf_putc(&b, '.');
		if (msg[i] == '\n' && (i == 0 || msg[i - 1] != '\r'))
			(void)am_buf_putc(&b, '\r');
		(void)am_buf_putc(&b, msg[i]);
		is_bol = msg[i] == '\n';
	}
	if (!is_bol)
		(void)am_buf_puts(&b, "\r\n");
	(void)am_buf_puts(&b, ".\r\n");
	ok = am_write_all(s->fd, b.data, b.len);
	am_buf_release(&b);
	return ok;
}

/* am_report_smtp - one message by SMTP to server. */
enum am_status
am_report_smtp(const char *server, const char *helo, const char *from,
    const char *to, const char *msg, size_t len, unsigned timeout_ms,
    struct am_why *why)
{
	struct smtp *s = am_xcalloc(1, sizeof(*s));
	bool ok;

	s->timeout_ms = timeout_ms;
	signal(SIGPIPE, SIG_IGN);
	if ((s->fd = smtp_connect(server, why)) < 0) {
		free(s);
		return AM_TEMPFAIL;
	}
	ok = smtp_reply(s, 220, "greeting", why) &&
	    smtp_cmd(s, 250, why, "EHLO ", helo, "") &&
	    smtp_cmd(s, 250, why, "MAIL FROM:<", from, ">") &&
	    smtp_cmd(s, 250, why, "RCPT TO:<", to, ">") &&
	    smtp_cmd(s, 354, why, "DATA", "", "");
	if (ok && !(ok = smtp_data(s, msg, len)))
		am_why_set(why, "smtp: cannot send the message");
	ok = ok && smtp_reply(s, 250, "end of data", why);
	if (ok)
		(void)smtp_cmd(s, 221, why, "QUIT", "", "");
	close(s->fd);
	free(s);
	return ok ? AM_OK : AM_TEMPFAIL;
}
