/*
 * msg.c - the per-message model. Header copies and envelope strings are
 * owned here and released at reset; the body is only counted. Limits come
 * from the caller (the config snapshot) so a hostile message cannot make the
 * daemon hold more than max_headers * max_len bytes of header data.
 */
#include "autoconf.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/xalloc.h"
#include "msg/authres.h"
#include "msg/msg.h"

struct am_msg {
	char *sender;			/* owned; NULL before MAIL FROM */
	char **rcpts;			/* owned array of owned strings */
	size_t nrcpts;			/* entries used in rcpts */
	char *queue_id;			/* owned; NULL until known */
	struct am_header *hdrs;		/* owned array of kept headers */
	size_t nhdrs;			/* headers kept */
	size_t hdr_cap;			/* slots allocated in hdrs */
	size_t hdr_total;		/* headers seen, kept or not */
	uint64_t body_bytes;		/* body bytes seen */
	unsigned anomalies;		/* enum am_msg_anomaly bits */
};

/* am_msg_new - an empty message. */
struct am_msg *
am_msg_new(void)
{
	return am_xcalloc(1, sizeof(struct am_msg));
}

/* am_msg_reset - release everything; the message is empty again. */
void
am_msg_reset(struct am_msg *m)
{
	size_t i;

	free(m->sender);
	for (i = 0; i < m->nrcpts; i++)
		free(m->rcpts[i]);
	free(m->rcpts);
	free(m->queue_id);
	for (i = 0; i < m->nhdrs; i++) {
		free(m->hdrs[i].name);
		free(m->hdrs[i].value);
	}
	free(m->hdrs);
	memset(m, 0, sizeof(*m));
}

/* am_msg_free - reset and free; accepts NULL. */
struct am_msg *
am_msg_free(struct am_msg *m)
{
	if (m != NULL) {
		am_msg_reset(m);
		free(m);
	}
	return NULL;
}

/* strip_angle - copy addr without one pair of surrounding <brackets>. */
static char *
strip_angle(const char *addr)
{
	size_t len = strlen(addr);

	if (len >= 2 && addr[0] == '<' && addr[len - 1] == '>')
		return am_xmemdup(addr + 1, len - 2);
	return am_xstrdup(addr);
}

void
am_msg_set_sender(struct am_msg *m, const char *addr)
{
	free(m->sender);
	m->sender = strip_angle(addr);
}

void
am_msg_add_rcpt(struct am_msg *m, const char *addr)
{
	if (m->nrcpts >= AM_MSG_MAX_RCPTS) {
		m->anomalies |= AM_ANOM_RCPTS;
		return;
	}
	m->rcpts = am_xreallocarray(m->rcpts, m->nrcpts + 1, sizeof(char *));
	m->rcpts[m->nrcpts++] = strip_angle(addr);
}

void
am_msg_set_queue_id(struct am_msg *m, const char *qid)
{
	free(m->queue_id);
	m->queue_id = qid ? am_xstrdup(qid) : NULL;
}

const char *
am_msg_sender(const struct am_msg *m)
{
	return m->sender;
}

size_t
am_msg_rcpt_count(const struct am_msg *m)
{
	return m->nrcpts;
}

const char *
am_msg_rcpt(const struct am_msg *m, size_t i)
{
	return i < m->nrcpts ? m->rcpts[i] : NULL;
}

const char *
am_msg_queue_id(const struct am_msg *m)
{
	return m->queue_id;
}

/* name_is_ftext - RFC 5322 §3.6.8: field-name = 1*ftext, ftext = 33-57 / 59-126 */
static bool
name_is_ftext(const char *name)
{
	const unsigned char *p = (const unsigned char *)name;

	if (*p == '\0')
		return false;
	for (; *p; p++)
		if (*p < 33 || *p > 126 || *p == ':')
			return false;
	return true;
}

/* am_msg_add_header - count the header; keep a copy within the limits. */
bool
am_msg_add_header(struct am_msg *m, const char *name, const char *value,
    size_t value_len, size_t max_headers, size_t max_len)
{
	size_t name_len = strlen(name);
	struct am_header *h;

	m->hdr_total++;
	if (!name_is_ftext(name))
		m->anomalies |= AM_ANOM_HEADER_NAME;
	if (memchr(value, '\0', value_len) != NULL)
		m->anomalies |= AM_ANOM_NUL;
	if (m->nhdrs >= max_headers) {
		m->anomalies |= AM_ANOM_HEADERS;
		return false;
	}
	if (name_len > max_len || value_len > max_len - name_len) {
		m->anomalies |= AM_ANOM_HEADER_LEN;
		return false;
	}
	if (m->nhdrs == m->hdr_cap) {
		m->hdr_cap = m->hdr_cap ? m->hdr_cap * 2 : 32;
		m->hdrs = am_xreallocarray(m->hdrs, m->hdr_cap, sizeof(*h));
	}
	h = &m->hdrs[m->nhdrs++];
	h->name = am_xmemdup(name, name_len);
	h->value = am_xmemdup(value, value_len);
	h->value_len = value_len;
	h->is_deleted = false;
	return true;
}

void
am_msg_mark_deleted(struct am_msg *m)
{
	if (m->nhdrs == 0)
		AM_PANIC("am_msg_mark_deleted: no header kept");
	m->hdrs[m->nhdrs - 1].is_deleted = true;
}

size_t
am_msg_header_total(const struct am_msg *m)
{
	return m->hdr_total;
}

size_t
am_msg_header_kept(const struct am_msg *m)
{
	return m->nhdrs;
}

const struct am_header *
am_msg_header(const struct am_msg *m, size_t i)
{
	return i < m->nhdrs ? &m->hdrs[i] : NULL;
}

/* am_msg_count - kept headers named name (case-insensitive). */
size_t
am_msg_count(const struct am_msg *m, const char *name)
{
	size_t i, n = 0;

	for (i = 0; i < m->nhdrs; i++)
		if (strcasecmp(m->hdrs[i].name, name) == 0)
			n++;
	return n;
}

/* am_msg_find - the n-th (0-based) kept header named name, or NULL. */
const struct am_header *
am_msg_find(const struct am_msg *m, const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < m->nhdrs; i++)
		if (strcasecmp(m->hdrs[i].name, name) == 0 && n-- == 0)
			return &m->hdrs[i];
	return NULL;
}

void
am_msg_add_body(struct am_msg *m, size_t len)
{
	m->body_bytes += len;
}

uint64_t
am_msg_body_bytes(const struct am_msg *m)
{
	return m->body_bytes;
}

unsigned
am_msg_anomalies(const struct am_msg *m)
{
	return m->anomalies;
}

void
am_msg_set_anomaly(struct am_msg *m, unsigned flag)
{
	m->anomalies |= flag;
}

static const struct {
	unsigned flag;
	const char *name;
} anomaly_names[] = {
	{ AM_ANOM_HEADERS, "too-many-headers" },
	{ AM_ANOM_HEADER_LEN, "header-too-long" },
	{ AM_ANOM_HEADER_NAME, "bad-header-name" },
	{ AM_ANOM_RCPTS, "too-many-recipients" },
	{ AM_ANOM_NUL, "nul-in-header" },
};

/* am_msg_anomaly_names - comma-separated names of the set flags. */
const char *
am_msg_anomaly_names(unsigned flags, char *buf, size_t len)
{
	size_t i, used = 0;
	int n;

	if (len == 0)
		return buf;
	buf[0] = '\0';
	for (i = 0; i < sizeof(anomaly_names) / sizeof(anomaly_names[0]); i++) {
		if (!(flags & anomaly_names[i].flag))
			continue;
		n = snprintf(buf + used, len - used, "%s%s", used ? "," : "",
		    anomaly_names[i].name);
		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
	return buf;
}

/* skip_quoted - index past the quoted-string or (nested) comment that
 * starts at value[i]; len when it is not closed. */
static size_t
skip_quoted(const char *value, size_t len, size_t i)
{
	unsigned depth = 0;

	if (value[i] == '"') {
		for (i++; i < len; i++) {
			if (value[i] == '\\' && i + 1 < len)
				i++;
			else if (value[i] == '"')
				return i + 1;
		}
		return len;
	}
	for (; i < len; i++) {
		if (value[i] == '\\' && i + 1 < len)
			i++;
		else if (value[i] == '(')
			depth++;
		else if (value[i] == ')' && --depth == 0)
			return i + 1;
	}
	return len;
}

/* item_value - the (maybe quoted) value at value[i] into out ("" when it
 * does not fit); returns the index past it. */
static size_t
item_value(const char *value, size_t len, size_t i, char *out, size_t outlen)
{
	bool quoted = i < len && value[i] == '"', fits = true;
	size_t o = 0;

	for (i += quoted; i < len; i++) {
		if (quoted && value[i] == '\\' && i + 1 < len)
			i++;
		else if (quoted ? value[i] == '"' :
		    isspace((unsigned char)value[i]) || value[i] == ';' ||
		    value[i] == '(')
			break;
		if (o + 1 < outlen)
			out[o++] = value[i];
		else
			fits = false;
	}
	out[fits ? o : 0] = '\0';
	return i + (quoted && i < len);
}

/* am_header_receiver_is - a trace header with a receiver= item (outside
 * quoted strings and comments) naming our id. */
bool
am_header_receiver_is(const char *value, size_t len, const char *our_id)
{
	static const char key[] = "receiver=";
	const size_t klen = sizeof(key) - 1;
	char rcv[256];
	size_t i = 0;

	while (i < len) {
		if (value[i] == '"' || value[i] == '(') {
			i = skip_quoted(value, len, i);
			continue;
		}
		if ((i > 0 && !isspace((unsigned char)value[i - 1]) &&
		    value[i - 1] != ';') || len - i < klen ||
		    strncasecmp(value + i, key, klen) != 0) {
			i++;
			continue;
		}
		i = item_value(value, len, i + klen, rcv, sizeof(rcv));
		if (am_authres_id_eq(rcv, our_id))
			return true;
	}
	return false;
}
