/*
 * eml.c - message file reader for the offline tools and tests. It mirrors
 * what Postfix's cleanup/milter8 send: header name, value with its leading
 * space (LEADSPC), continuation lines joined by "\n", body lines CRLF.
 */
#include "autoconf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "msg/eml.h"

#define BODY_CHUNK 65536

/* chomp - strip a trailing LF and CR; returns the new length. */
static size_t
chomp(char *line, size_t len)
{
	if (len > 0 && line[len - 1] == '\n')
		line[--len] = '\0';
	if (len > 0 && line[len - 1] == '\r')
		line[--len] = '\0';
	return len;
}

/* flush_header - emit the pending header held in hdr ("Name:value"). */
static void
flush_header(const struct am_eml_sink *sink, struct am_buf *hdr)
{
	char *colon;

	if (hdr->len == 0)
		return;
	colon = memchr(hdr->data, ':', hdr->len);
	*colon = '\0';
	sink->on_header(sink->arg, hdr->data, colon + 1,
	    hdr->len - (size_t)(colon + 1 - hdr->data));
	am_buf_reset(hdr);
}

/* header_line - one header-block line; returns false at a syntax error. */
static bool
header_line(const struct am_eml_sink *sink, struct am_buf *hdr, char *line,
    size_t len, unsigned long lineno, struct am_why *why)
{
	char *colon;

	if (line[0] == ' ' || line[0] == '\t') {
		if (hdr->len == 0) {
			am_why_set(why, "line %lu: continuation before any "
			    "header", lineno);
			return false;
		}
		if (am_buf_putc(hdr, '\n') != AM_OK ||
		    am_buf_append(hdr, line, len) != AM_OK)
			goto toolong;
		return true;
	}
	colon = memchr(line, ':', len);
	if (colon == NULL || colon == line) {
		am_why_set(why, "line %lu: not a header field", lineno);
		return false;
	}
	flush_header(sink, hdr);
	if (am_buf_append(hdr, line, len) != AM_OK)
		goto toolong;
	return true;
toolong:
	am_why_set(why, "line %lu: header longer than %d bytes", lineno,
	    AM_EML_MAX_HEADER);
	return false;
}

/* body_line - append one body line with CRLF, flushing full chunks. */
static void
body_line(const struct am_eml_sink *sink, struct am_buf *body,
    const char *line, size_t len)
{
	if (body->len + len + 2 > BODY_CHUNK && body->len > 0) {
		sink->on_body(sink->arg, body->data, body->len);
		am_buf_reset(body);
	}
	if (am_buf_append(body, line, len) != AM_OK ||
	    am_buf_append(body, "\r\n", 2) != AM_OK) {
		/* A single line longer than the chunk: send it on its own. */
		sink->on_body(sink->arg, line, len);
		sink->on_body(sink->arg, "\r\n", 2);
	}
}

enum am_status
am_eml_parse(FILE *fp, const struct am_eml_sink *sink, struct am_why *why)
{
	struct am_buf hdr, body;
	char *line = NULL;
	size_t cap = 0, len;
	ssize_t n;
	unsigned long lineno = 0;
	bool in_body = false;
	enum am_status st = AM_OK;

	am_buf_init(&hdr, AM_EML_MAX_HEADER);
	am_buf_init(&body, BODY_CHUNK);
	while ((n = getline(&line, &cap, fp)) >= 0) {
		len = chomp(line, (size_t)n);
		if (++lineno == 1 && strncmp(line, "From ", 5) == 0)
			continue;
		if (in_body) {
			body_line(sink, &body, line, len);
		} else if (len == 0) {
			flush_header(sink, &hdr);
			sink->on_eoh(sink->arg);
			in_body = true;
		} else if (!header_line(sink, &hdr, line, len, lineno, why)) {
			st = AM_PERMFAIL;
			break;
		}
	}
	if (st == AM_OK && ferror(fp)) {
		am_why_set(why, "read error: %s", strerror(errno));
		st = AM_TEMPFAIL;
	}
	if (st == AM_OK) {
		flush_header(sink, &hdr);
		if (!in_body)
			sink->on_eoh(sink->arg);
		if (body.len > 0)
			sink->on_body(sink->arg, body.data, body.len);
	}
	free(line);
	am_buf_release(&hdr);
	am_buf_release(&body);
	return st;
}
