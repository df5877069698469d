/*
 * lg_milter.c - the MTA side of the milter protocol, version 6, for the
 * load generator.
 *
 * Modelled on Postfix 3.7 milter8.c: it offers every action (SMFIF_*, incl.
 * SETSYMLIST) and every protocol step flag (SMFIP_NO*, NR_*, SKIP, RCPT_REJ,
 * HDR_LEADSPC); it sends the macros of a stage even when the milter asked
 * not to get the stage's event; no event is answered that the milter
 * negotiated a no-reply flag (SMFIP_NR_*) for, and nothing is read for it;
 * macros and event go out in one write, and everything is flushed only when
 * a reply is due (Postfix's VSTREAM over inet holds two MSS, more than a
 * benchmark message), or at the end of the envelope (so, like Postfix, no
 * TCP_NODELAY unless -N, and no TCP_QUICKACK: the kernel's delayed ACK and
 * Nagle play as they do under a real MTA). Replies are read until the verdict; every
 * modification action at end of message is parsed, printed when dumping,
 * and applied to the header list the next milter of a chain will see
 * (Postfix's cleanup lets a later milter see an earlier one's edits).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <libmilter/mfapi.h>
#include <libmilter/mfdef.h>

#include "lg.h"

#define LG_ACTIONS	0x1ffU		/* SMFIF_ADDHDRS .. SMFIF_SETSYMLIST */
#define LG_PROTO	0x1fffffU	/* SMFIP_NOCONNECT .. SMFIP_HDR_LEADSPC */
#define LG_MAX_PKT	(2 * 1024 * 1024)

/* ------------------------------------------------------------ output */

static void
wreserve(struct lg_sess *s, size_t n)
{
	unsigned char *p;

	if (s->wcap - s->wlen >= n)
		return;
	p = realloc(s->wbuf, s->wlen + n + 4096);
	if (p == NULL) {
		perror("loadgen: realloc");
		exit(2);
	}
	s->wbuf = p;
	s->wcap = s->wlen + n + 4096;
}

static void
put(struct lg_sess *s, const void *p, size_t n)
{
	wreserve(s, n);
	memcpy(s->wbuf + s->wlen, p, n);
	s->wlen += n;
}

static void
put_u32(struct lg_sess *s, uint32_t v)
{
	v = htonl(v);
	put(s, &v, 4);
}

static void
put_str(struct lg_sess *s, const char *str)
{
	put(s, str, strlen(str) + 1);
}

/* pkt_begin/pkt_end - a packet: 32-bit length (command included), command. */
static size_t
pkt_begin(struct lg_sess *s, char cmd)
{
	size_t at = s->wlen;

	put_u32(s, 0);
	put(s, &cmd, 1);
	return at;
}

static void
pkt_end(struct lg_sess *s, size_t at)
{
	uint32_t n = htonl((uint32_t)(s->wlen - at - 4));

	memcpy(s->wbuf + at, &n, 4);
}

static int
flush(struct lg_sess *s)
{
	size_t off = 0;
	ssize_t n;

	while (off < s->wlen) {
		n = write(s->fd, s->wbuf + off, s->wlen - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	s->wlen = 0;
	return 0;
}

/* ------------------------------------------------------------- input */

static int
read_full(int fd, void *p, size_t n)
{
	size_t off = 0;
	ssize_t r;

	while (off < n) {
		r = read(fd, (char *)p + off, n - off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		off += (size_t)r;
	}
	return 0;
}

/* read_pkt - one reply packet into *buf (owned, grown); its command. */
static int
read_pkt(struct lg_sess *s, char **buf, size_t *cap, size_t *len)
{
	uint32_t n;
	char cmd;

	if (flush(s) < 0 || read_full(s->fd, &n, 4) < 0)
		return -1;
	n = ntohl(n);
	if (n < 1 || n > LG_MAX_PKT || read_full(s->fd, &cmd, 1) < 0)
		return -1;
	*len = n - 1;
	if (*cap < *len + 1) {
		free(*buf);
		*cap = *len + 1;
		if ((*buf = malloc(*cap)) == NULL)
			return -1;
	}
	if (read_full(s->fd, *buf, *len) < 0)
		return -1;
	(*buf)[*len] = '\0';
	return (unsigned char)cmd;
}

/* ------------------------------------------------------------ macros */

struct lg_macro {
	const char *name;	/* as Postfix sends it: "j", "{daemon_name}" */
	const char *value;	/* borrowed */
};

/* name_eq - "{x}" matches "x" and "{x}" (symlists may use either). */
static bool
name_eq(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b);

	if (alen > 2 && a[0] == '{' && a[alen - 1] == '}')
		a++, alen -= 2;
	if (blen > 2 && b[0] == '{' && b[blen - 1] == '}')
		b++, blen -= 2;
	return alen == blen && memcmp(a, b, alen) == 0;
}

static bool
wanted(const char *list, const char *name)
{
	const char *p = list, *q;

	if (list == NULL)
		return true;	/* no setsymlist: the MTA's default list */
	while (*p != '\0') {
		while (*p == ' ' || *p == ',')
			p++;
		for (q = p; *q != '\0' && *q != ' ' && *q != ','; q++)
			;
		if (q > p && name_eq(p, (size_t)(q - p), name))
			return true;
		p = q;
	}
	return false;
}

static void
put_macros(struct lg_sess *s, char cmd, int stage, const struct lg_macro *m,
    size_t n)
{
	size_t at, i;

	at = pkt_begin(s, SMFIC_MACRO);
	put(s, &cmd, 1);
	for (i = 0; i < n; i++) {
		if (m[i].value == NULL || !wanted(s->symlist[stage], m[i].name))
			continue;
		put_str(s, m[i].name);
		put_str(s, m[i].value);
	}
	pkt_end(s, at);
}

/* ----------------------------------------------------- modifications */

static void
work_grow(struct lg_work *w)
{
	if (w->nhdrs == w->cap) {
		w->cap = w->cap * 2 + 16;
		w->hdrs = realloc(w->hdrs, w->cap * sizeof(*w->hdrs));
		w->owned = realloc(w->owned, w->cap);
		if (w->hdrs == NULL || w->owned == NULL) {
			perror("loadgen: realloc");
			exit(2);
		}
	}
}

static void
work_insert(struct lg_work *w, size_t pos, const char *name, const char *v)
{
	work_grow(w);
	if (pos > w->nhdrs)
		pos = w->nhdrs;
	memmove(w->hdrs + pos + 1, w->hdrs + pos,
	    (w->nhdrs - pos) * sizeof(*w->hdrs));
	memmove(w->owned + pos + 1, w->owned + pos, w->nhdrs - pos);
	w->hdrs[pos].name = strdup(name);
	w->hdrs[pos].value = strdup(v);
	w->owned[pos] = 1;
	w->nhdrs++;
}

static void
work_change(struct lg_work *w, uint32_t idx, const char *name, const char *v)
{
	size_t i;

	if (idx == 0)
		idx = 1;
	for (i = 0; i < w->nhdrs; i++) {
		if (strcasecmp(w->hdrs[i].name, name) != 0 || --idx > 0)
			continue;
		if (w->owned[i]) {
			free(w->hdrs[i].name);
			free(w->hdrs[i].value);
		}
		if (*v == '\0' || strcmp(v, " ") == 0) {	/* delete */
			memmove(w->hdrs + i, w->hdrs + i + 1,
			    (w->nhdrs - i - 1) * sizeof(*w->hdrs));
			memmove(w->owned + i, w->owned + i + 1,
			    w->nhdrs - i - 1);
			w->nhdrs--;
			return;
		}
		w->hdrs[i].name = strdup(name);
		w->hdrs[i].value = strdup(v);
		w->owned[i] = 1;
		return;
	}
	if (*v != '\0')
		work_insert(w, w->nhdrs, name, v);
}

/* apply_mod - one SMFIR_{ADD,INS,CHG}HEADER; the value stored as the
 * queue file holds it (Postfix adds the space after the colon itself when
 * the milter did not negotiate HDR_LEADSPC). */
static void
apply_mod(struct lg_sess *s, struct lg_work *w, int cmd, const char *d,
    size_t len, const char *tag)
{
	uint32_t idx = 0;
	const char *name, *val;
	char *v;

	if (cmd != SMFIR_ADDHEADER) {
		if (len < 4)
			return;
		memcpy(&idx, d, 4);
		idx = ntohl(idx);
		d += 4, len -= 4;
	}
	name = d;
	val = memchr(d, '\0', len) ? d + strlen(d) + 1 : "";
	if (val > d + len)
		val = "";
	if (w->dump != NULL)
		fprintf(w->dump, "%s %s %u %s:%s\n", tag,
		    cmd == SMFIR_ADDHEADER ? "addheader" :
		    cmd == SMFIR_INSHEADER ? "insheader" : "chgheader",
		    idx, name, val);
	if ((v = malloc(strlen(val) + 2)) == NULL)
		exit(2);
	snprintf(v, strlen(val) + 2, "%s%s",
	    (s->pflags & SMFIP_HDR_LEADSPC) || *val == '\0' ? "" : " ", val);
	if (cmd == SMFIR_ADDHEADER)
		work_insert(w, w->nhdrs, name, v);
	else if (cmd == SMFIR_INSHEADER)
		work_insert(w, idx > 0 ? idx - 1 : 0, name, v);
	else
		work_change(w, idx, name, v);
	free(v);
}

/* ------------------------------------------------------------ replies */

static enum lg_action
code_action(int cmd, const char *data)
{
	switch (cmd) {
	case SMFIR_ACCEPT:
		return LG_ACCEPT;
	case SMFIR_CONTINUE:
		return LG_CONTINUE;
	case SMFIR_REJECT:
		return LG_REJECT;
	case SMFIR_DISCARD:
		return LG_DISCARD;
	case SMFIR_REPLYCODE:
		return data[0] == '5' ? LG_REJECT : LG_TEMPFAIL;
	case SMFIR_TEMPFAIL:
	case SMFIR_SHUTDOWN:
	case SMFIR_CONN_FAIL:
		return LG_TEMPFAIL;
	default:
		return LG_ERROR;
	}
}

/* read_verdict - read replies until one that ends this step. Returns the
 * reply command (its action in *ap), or -1. Modifications are only legal at
 * end of message. */
static __thread char *verdict_buf;	/* this thread's reply buffer */
static __thread size_t verdict_cap;	/* its size */

static int
read_verdict(struct lg_sess *s, struct lg_work *w, const char *tag,
    enum lg_action *ap)
{
	char *buf;
	size_t len;
	int cmd;

	for (;;) {
		if ((cmd = read_pkt(s, &verdict_buf, &verdict_cap, &len)) < 0)
			return -1;
		buf = verdict_buf;
		switch (cmd) {
		case SMFIR_PROGRESS:
			continue;
		case SMFIR_ADDHEADER:
		case SMFIR_INSHEADER:
		case SMFIR_CHGHEADER:
			if (w != NULL)
				apply_mod(s, w, cmd, buf, len, tag);
			continue;
		case SMFIR_QUARANTINE:
			if (w != NULL && w->dump != NULL)
				fprintf(w->dump, "%s quarantine %s\n", tag, buf);
			s->result = LG_QUARANTINE;
			continue;
		case SMFIR_ADDRCPT: case SMFIR_DELRCPT: case SMFIR_ADDRCPT_PAR:
		case SMFIR_REPLBODY: case SMFIR_CHGFROM:
			if (w != NULL && w->dump != NULL)
				fprintf(w->dump, "%s action '%c'\n", tag, cmd);
			continue;
		default:
			if (cmd == SMFIR_REPLYCODE && w != NULL &&
			    w->dump != NULL)
				fprintf(w->dump, "%s replycode %s\n", tag, buf);
			*ap = code_action(cmd, buf);
			return *ap == LG_ERROR && cmd != SMFIR_SKIP ? -1 : cmd;
		}
	}
}

/* lg_thread_end - free this thread's reply buffer (at thread exit). */
void
lg_thread_end(void)
{
	free(verdict_buf);
	verdict_buf = NULL;
	verdict_cap = 0;
}

/* step - flush one event (macros already queued) and judge the reply. */
static int
step(struct lg_sess *s, uint32_t nr_flag, struct lg_work *w, const char *tag)
{
	int cmd;
	enum lg_action a;

	if (s->pflags & nr_flag)
		return 0;
	if ((cmd = read_verdict(s, w, tag, &a)) < 0)
		return -1;
	if (cmd == SMFIR_SKIP) {
		s->is_skip_body = 1;
		return 0;
	}
	if (a != LG_CONTINUE) {
		s->is_done = 1;
		if (s->result != LG_QUARANTINE || a != LG_ACCEPT)
			s->result = a;
	}
	return 0;
}

/* event - macros for the stage, then the event unless the milter asked not
 * to get it, then its reply unless it asked for no reply. */
static int
event(struct lg_sess *s, char cmd, int stage, const struct lg_macro *m,
    size_t nm, const void *data, size_t len, uint32_t no_flag,
    uint32_t nr_flag)
{
	size_t at;

	if (s->is_done)
		return 0;
	if (stage >= 0)
		put_macros(s, cmd, stage, m, nm);
	if (s->pflags & no_flag)
		return 0;
	at = pkt_begin(s, cmd);
	put(s, data, len);
	pkt_end(s, at);
	return step(s, nr_flag, NULL, "");
}

/* ----------------------------------------------------------- sessions */

static int
dial(const char *spec)
{
	struct sockaddr_un sun;
	struct addrinfo hints, *ai;
	char host[256];
	const char *at;
	int fd;

	if (strncmp(spec, "inet:", 5) == 0) {
		if ((at = strchr(spec, '@')) == NULL ||
		    (size_t)snprintf(host, sizeof(host), "%.*s",
		    (int)(at - spec - 5), spec + 5) >= sizeof(host))
			return -1;
		memset(&hints, 0, sizeof(hints));
		hints.ai_socktype = SOCK_STREAM;
		if (getaddrinfo(at + 1, host, &hints, &ai) != 0)
			return -1;
		fd = socket(ai->ai_family, SOCK_STREAM, 0);
		if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
			close(fd);
			fd = -1;
		}
		freeaddrinfo(ai);
		return fd;
	}
	if (strncmp(spec, "unix:", 5) == 0 || strncmp(spec, "local:", 6) == 0)
		spec = strchr(spec, ':') + 1;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if ((size_t)snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", spec) >=
	    sizeof(sun.sun_path))
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* negotiate - SMFIC_OPTNEG as Postfix 3.7 sends it; the reply gives the
 * milter's actions, protocol flags and per-stage macro lists. */
static int
negotiate(struct lg_sess *s, uint32_t proto_off)
{
	char *buf = NULL;
	size_t cap = 0, len, at, off;
	uint32_t v[3], stage;
	int cmd, rc = -1;

	at = pkt_begin(s, SMFIC_OPTNEG);
	put_u32(s, 6);
	put_u32(s, LG_ACTIONS);
	put_u32(s, LG_PROTO & ~proto_off);
	pkt_end(s, at);
	if ((cmd = read_pkt(s, &buf, &cap, &len)) != SMFIC_OPTNEG || len < 12)
		goto out;
	memcpy(v, buf, 12);
	s->actions = ntohl(v[1]);
	s->pflags = ntohl(v[2]) & LG_PROTO & ~proto_off;
	for (off = 12; off + 5 <= len; off += strlen(buf + off) + 1) {
		memcpy(&stage, buf + off, 4);
		stage = ntohl(stage);
		off += 4;
		if (stage < LG_NSTAGES && s->symlist[stage] == NULL)
			s->symlist[stage] = strdup(buf + off);
	}
	rc = 0;
out:
	free(buf);
	return rc;
}

/* lg_sess_open - connect and negotiate. nodelay: TCP_NODELAY on our side
 * (-N), so that no write of ours waits for the milter's ACK: what every
 * milter would get if it acknowledged at once (a unix socket has no Nagle
 * either). Without it, Nagle and the milter's delayed ACK play as under
 * Postfix. */
int
lg_sess_open(struct lg_sess *s, const char *spec, int timeout_s,
    uint32_t proto_off, int nodelay)
{
	struct timeval tv = { timeout_s, 0 };
	int on = 1;

	memset(s, 0, sizeof(*s));
	if ((s->fd = dial(spec)) < 0)
		return -1;
	setsockopt(s->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(s->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (nodelay && strncmp(spec, "inet:", 5) == 0)
		setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	if (negotiate(s, proto_off) < 0) {
		lg_sess_close(s);
		return -1;
	}
	return 0;
}

void
lg_sess_close(struct lg_sess *s)
{
	size_t at;
	int i;

	if (s->fd >= 0) {
		s->wlen = 0;
		at = pkt_begin(s, SMFIC_QUIT);
		pkt_end(s, at);
		(void)flush(s);
		close(s->fd);
	}
	for (i = 0; i < LG_NSTAGES; i++)
		free(s->symlist[i]);
	free(s->wbuf);
	memset(s, 0, sizeof(*s));
	s->fd = -1;
}

/* lg_sess_connect - SMFIC_CONNECT and SMFIC_HELO with their macros. */
int
lg_sess_connect(struct lg_sess *s, const struct lg_opts *o,
    const struct lg_msg *m)
{
	char data[512], under[300];
	int n, v6 = strchr(m->client, ':') != NULL;
	uint16_t port = htons(52525);
	const char *tls = o->tls ? "TLSv1.3" : NULL;
	const struct lg_macro cm[] = {
		{ "j", o->myhost }, { "{daemon_name}", m->daemon },
		{ "{daemon_addr}", "127.0.0.1" }, { "{daemon_port}", "25" },
		{ "v", "Postfix 3.7.11" }, { "_", under },
		{ "{client_addr}", m->client }, { "{client_name}", "unknown" },
	};
	const struct lg_macro hm[] = {
		{ "{tls_version}", tls },
		{ "{cipher}", tls ? "TLS_AES_256_GCM_SHA384" : NULL },
		{ "{cipher_bits}", tls ? "256" : NULL },
	};

	snprintf(under, sizeof(under), "unknown [%s]", m->client);
	n = snprintf(data, sizeof(data), "unknown%c%c", 0, v6 ? '6' : '4');
	memcpy(data + n, &port, 2);
	n += 2;
	n += snprintf(data + n, sizeof(data) - (size_t)n, "%s", m->client) + 1;
	s->is_done = 0;
	if (event(s, SMFIC_CONNECT, SMFIM_CONNECT, cm, 8, data, (size_t)n,
	    SMFIP_NOCONNECT, SMFIP_NR_CONN) < 0)
		return -1;
	return event(s, SMFIC_HELO, SMFIM_HELO, hm, 3, m->helo,
	    strlen(m->helo) + 1, SMFIP_NOHELO, SMFIP_NR_HELO);
}

/* lg_sess_envelope - MAIL, RCPT and DATA for one message. */
int
lg_sess_envelope(struct lg_sess *s, const struct lg_opts *o,
    const struct lg_msg *m, struct lg_work *w)
{
	char arg[600];
	const char *tls = o->tls ? "TLSv1.3" : NULL;
	const char *host = strchr(m->from, '@');
	const struct lg_macro mm[] = {
		{ "{tls_version}", tls },
		{ "{cipher}", tls ? "TLS_AES_256_GCM_SHA384" : NULL },
		{ "{cipher_bits}", tls ? "256" : NULL },
		{ "{auth_type}", m->auth ? "PLAIN" : NULL },
		{ "{auth_authen}", m->auth }, { "{mail_addr}", m->from },
		{ "{mail_host}", host ? host + 1 : NULL },
		{ "{mail_mailer}", "smtp" },
	};
	const struct lg_macro rm[] = {
		{ "i", w->queue_id }, { "{rcpt_addr}", m->rcpt },
		{ "{rcpt_host}", "127.0.0.1" }, { "{rcpt_mailer}", "local" },
	};
	const struct lg_macro dm[] = { { "i", w->queue_id } };
	int n;

	s->is_done = 0;
	s->is_skip_body = 0;
	s->result = LG_CONTINUE;
	n = snprintf(arg, sizeof(arg), "<%s>", m->from);
	if (event(s, SMFIC_MAIL, SMFIM_ENVFROM, mm, 8, arg, (size_t)n + 1,
	    SMFIP_NOMAIL, SMFIP_NR_MAIL) < 0)
		return -1;
	n = snprintf(arg, sizeof(arg), "<%s>", m->rcpt);
	if (event(s, SMFIC_RCPT, SMFIM_ENVRCPT, rm, 4, arg, (size_t)n + 1,
	    SMFIP_NORCPT, SMFIP_NR_RCPT) < 0)
		return -1;
	if (event(s, SMFIC_DATA, SMFIM_DATA, dm, 1, "", 0, SMFIP_NODATA,
	    SMFIP_NR_DATA) < 0)
		return -1;
	/*
	 * Postfix's smtpd ends here: it flushes the stream and hands the
	 * milter to cleanup, which sends the content in a new write. Macros
	 * left without a reply (SMFIP_NODATA or NR_DATA) are then a segment
	 * the milter's kernel ACKs late, and Nagle holds cleanup's write.
	 */
	return flush(s);
}

static int
send_headers(struct lg_sess *s, const struct lg_work *w)
{
	const char *v;
	size_t i, at;

	for (i = 0; i < w->nhdrs && !s->is_done; i++) {
		v = w->hdrs[i].value;
		if (!(s->pflags & SMFIP_HDR_LEADSPC))
			while (*v == ' ' || *v == '\t')
				v++;
		at = pkt_begin(s, SMFIC_HEADER);
		put_str(s, w->hdrs[i].name);
		put_str(s, v);
		pkt_end(s, at);
		if (step(s, SMFIP_NR_HDR, NULL, "") < 0)
			return -1;
	}
	return 0;
}

static int
send_body(struct lg_sess *s, const struct lg_msg *m)
{
	size_t off, n;

	for (off = 0; off < m->body_len; off += n) {
		if (s->is_done || s->is_skip_body)
			break;
		n = m->body_len - off > LG_CHUNK ? LG_CHUNK : m->body_len - off;
		if (event(s, SMFIC_BODY, -1, NULL, 0, m->body + off, n,
		    SMFIP_NOBODY, SMFIP_NR_BODY) < 0)
			return -1;
	}
	return 0;
}

/* lg_sess_content - headers (as edited by earlier milters), EOH, body and
 * end of message; the verdict is left in s->result. Returns 1 when end of
 * message was answered, 0 when the milter gave its verdict earlier (the
 * caller then sends SMFIC_ABORT), -1 on error. */
int
lg_sess_content(struct lg_sess *s, const struct lg_opts *o,
    const struct lg_msg *m, struct lg_work *w, const char *tag)
{
	const struct lg_macro em[] = { { "i", w->queue_id } };
	size_t at;

	(void)o;
	if (s->is_done)
		return 0;
	if (!(s->pflags & SMFIP_NOHDRS) && send_headers(s, w) < 0)
		return -1;
	if (event(s, SMFIC_EOH, SMFIM_EOH, em, 1, "", 0, SMFIP_NOEOH,
	    SMFIP_NR_EOH) < 0 || send_body(s, m) < 0)
		return -1;
	if (s->is_done)
		return 0;
	put_macros(s, SMFIC_BODYEOB, SMFIM_EOM, em, 1);
	at = pkt_begin(s, SMFIC_BODYEOB);
	pkt_end(s, at);
	if (step(s, 0, w, tag) < 0)
		return -1;
	/* SMFIR_CONTINUE at end of message means accept (counted apart) */
	s->is_done = 1;
	return 1;
}

/* lg_sess_abort - SMFIC_ABORT after a verdict before end of message. */
int
lg_sess_abort(struct lg_sess *s)
{
	size_t at = pkt_begin(s, SMFIC_ABORT);

	pkt_end(s, at);
	return flush(s);
}

/* lg_work_reset - the header list of m, borrowed, for a new message. */
void
lg_work_reset(struct lg_work *w, const struct lg_msg *m)
{
	size_t i;

	for (i = 0; i < w->nhdrs; i++) {
		if (w->owned[i]) {
			free(w->hdrs[i].name);
			free(w->hdrs[i].value);
		}
	}
	w->nhdrs = 0;
	for (i = 0; i < m->nhdrs; i++) {
		work_grow(w);
		w->hdrs[i] = m->hdrs[i];
		w->owned[i] = 0;
		w->nhdrs++;
	}
}

void
lg_work_free(struct lg_work *w)
{
	struct lg_msg none = { 0 };

	lg_work_reset(w, &none);
	free(w->hdrs);
	free(w->owned);
	memset(w, 0, sizeof(*w));
}
