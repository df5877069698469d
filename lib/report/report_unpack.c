/*
 * report_unpack.c - XML reports out of files and mail (contract in
 * report_unpack.h).
 *
 * gzip goes through zlib's inflate (windowBits 15 + 16: gzip framing),
 * zip through libarchive (its zip reader only, no other format or filter;
 * OSS-Fuzz covered, zip64 and data descriptors handled). Both are read in
 * chunks into a buffer whose hard cap is lim->max_bytes: a decompression
 * bomb is cut off at the cap whatever its headers claim, and refused.
 * libarchive's declared entry sizes are never used to allocate.
 */
#include "autoconf.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <archive.h>
#include <archive_entry.h>
#include <zlib.h>

#include "core/buf.h"
#include "report/report_mime.h"
#include "report/report_unpack.h"

#define CHUNK		65536
#define LABEL_MAX	1024

struct msg_ctx {		/* the parts of one message */
	const char *label;	/* the message's */
	const struct am_ingest_limits *lim;
	am_unpack_fn *fn;
	void *arg;
	unsigned candidates;	/* parts that could hold a report */
};

/* is_xml - data starts like an XML document. */
static bool
is_xml(const char *d, size_t len)
{
	size_t i = 0;

	if (len >= 3 && memcmp(d, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	while (i < len && (d[i] == ' ' || d[i] == '\t' || d[i] == '\r' ||
	    d[i] == '\n'))
		i++;
	return i < len && d[i] == '<';
}

static bool
is_gzip(const char *d, size_t len)
{
	return len >= 2 && (unsigned char)d[0] == 0x1f &&
	    (unsigned char)d[1] == 0x8b;
}

static bool
is_zip(const char *d, size_t len)
{
	return len >= 4 && memcmp(d, "PK\x03\x04", 4) == 0;
}

/* is_message - the first line is a header field "Name: ..." (RFC 5322
 * §2.2: printable ASCII but ':' in the name). */
static bool
is_message(const char *d, size_t len)
{
	size_t i;

	for (i = 0; i < len && d[i] > ' ' && d[i] < 127 && d[i] != ':'; i++)
		;
	return i > 0 && i < len && d[i] == ':';
}

/* xml_or_refuse - hand decompressed data on when it is XML. */
static void
xml_or_refuse(const char *label, const char *what, struct am_buf *b,
    am_unpack_fn *fn, void *arg)
{
	if (is_xml(b->data != NULL ? b->data : "", b->len))
		fn(arg, AM_UNPACK_XML, label, b->data, b->len, NULL);
	else
		fn(arg, AM_UNPACK_REFUSED, label, NULL, 0, what);
}

/* gunzip - every gzip member of d into out, at most out's cap. */
static const char *
gunzip(const char *d, size_t len, struct am_buf *out, char *reason,
    size_t size)
{
	unsigned char buf[CHUNK];
	z_stream z;
	int rc = Z_OK;

	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 15 + 16) != Z_OK)
		return "gzip: out of memory";
	z.next_in = (unsigned char *)(uintptr_t)d;
	z.avail_in = (uInt)len;
	while (rc != Z_STREAM_END || (z.avail_in >= 2 &&
	    is_gzip((const char *)z.next_in, z.avail_in))) {
		if (rc == Z_STREAM_END)
			inflateReset(&z);	/* the next member */
		z.next_out = buf;
		z.avail_out = sizeof(buf);
		rc = inflate(&z, Z_NO_FLUSH);
		if (am_buf_append(out, buf, sizeof(buf) - z.avail_out) !=
		    AM_OK) {
			snprintf(reason, size, "gzip: more than %zu bytes once "
			    "decompressed (refused: a decompression bomb?)",
			    out->max_len);
			break;
		}
		if (rc != Z_OK && rc != Z_STREAM_END) {
			snprintf(reason, size, "gzip: corrupt (%s)", rc ==
			    Z_BUF_ERROR ? "truncated" : z.msg != NULL ? z.msg :
			    "inflate failed");
			break;
		}
		if (rc == Z_OK && z.avail_in == 0 && z.avail_out != 0) {
			snprintf(reason, size, "gzip: truncated");
			break;
		}
	}
	inflateEnd(&z);
	return reason[0] != '\0' ? reason : NULL;
}

/* unpack_gzip - one gzip file. */
static void
unpack_gzip(const char *label, const char *d, size_t len,
    const struct am_ingest_limits *lim, am_unpack_fn *fn, void *arg)
{
	char reason[256] = "";
	struct am_buf out;

	am_buf_init(&out, lim->max_bytes);
	if (gunzip(d, len, &out, reason, sizeof(reason)) != NULL)
		fn(arg, AM_UNPACK_REFUSED, label, NULL, 0, reason);
	else
		xml_or_refuse(label, "gzip: the content is not XML", &out, fn,
		    arg);
	am_buf_release(&out);
}

/* read_entry - the current entry's data into out (its cap and the total
 * left); a reason when it broke a bound or the data is corrupt. */
static const char *
read_entry(struct archive *a, struct am_buf *out, size_t *left,
    char *reason, size_t size)
{
	char buf[CHUNK];
	la_ssize_t n;

	while ((n = archive_read_data(a, buf, sizeof(buf))) > 0) {
		if ((size_t)n > *left || am_buf_append(out, buf, (size_t)n) !=
		    AM_OK) {
			snprintf(reason, size, "zip: more than %zu bytes once "
			    "decompressed (refused: a decompression bomb?)",
			    out->max_len);
			return reason;
		}
		*left -= (size_t)n;
	}
	if (n < 0) {
		snprintf(reason, size, "zip: corrupt entry (%s)",
		    archive_error_string(a) != NULL ? archive_error_string(a) :
		    "read failed");
		return reason;
	}
	return NULL;
}

/* zip_entry - one regular entry of an open zip; false to stop. */
static bool
zip_entry(struct archive *a, struct archive_entry *e, const char *label,
    const struct am_ingest_limits *lim, size_t *left, am_unpack_fn *fn,
    void *arg)
{
	char where[LABEL_MAX], reason[256] = "";
	const char *name = archive_entry_pathname(e);
	struct am_buf out;
	bool ok = true;

	snprintf(where, sizeof(where), "%s: entry %.200s", label,
	    name != NULL ? name : "?");
	if (archive_entry_is_encrypted(e)) {
		fn(arg, AM_UNPACK_REFUSED, where, NULL, 0,
		    "zip: encrypted entry");
		return true;
	}
	am_buf_init(&out, lim->max_bytes);
	if (read_entry(a, &out, left, reason, sizeof(reason)) != NULL) {
		fn(arg, AM_UNPACK_REFUSED, where, NULL, 0, reason);
		ok = *left > 0 && strncmp(reason, "zip: corrupt", 12) != 0;
	} else
		xml_or_refuse(where, "zip: the entry is not XML", &out, fn,
		    arg);
	am_buf_release(&out);
	return ok;
}

/* unpack_zip - every regular entry of a zip file. */
static void
unpack_zip(const char *label, const char *d, size_t len,
    const struct am_ingest_limits *lim, am_unpack_fn *fn, void *arg)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	char reason[256];
	size_t left = lim->max_bytes;
	unsigned n = 0;
	int rc;

	if (a == NULL || archive_read_support_format_zip(a) != ARCHIVE_OK ||
	    archive_read_open_memory(a, d, len) != ARCHIVE_OK) {
		snprintf(reason, sizeof(reason), "zip: %s", a != NULL &&
		    archive_error_string(a) != NULL ? archive_error_string(a) :
		    "cannot be read");
		fn(arg, AM_UNPACK_REFUSED, label, NULL, 0, reason);
		archive_read_free(a);
		return;
	}
	while ((rc = archive_read_next_header(a, &e)) == ARCHIVE_OK ||
	    rc == ARCHIVE_WARN) {
		if (++n > lim->max_parts) {
			snprintf(reason, sizeof(reason), "zip: more than %u "
			    "entries", lim->max_parts);
			fn(arg, AM_UNPACK_REFUSED, label, NULL, 0, reason);
			break;
		}
		if (archive_entry_filetype(e) == AE_IFREG &&
		    !zip_entry(a, e, label, lim, &left, fn, arg))
			break;
	}
	if (rc == ARCHIVE_FATAL || (rc == ARCHIVE_EOF && n == 0)) {
		snprintf(reason, sizeof(reason), "zip: %s", rc == ARCHIVE_EOF ?
		    "no entry" : archive_error_string(a) != NULL ?
		    archive_error_string(a) : "corrupt");
		fn(arg, AM_UNPACK_REFUSED, label, NULL, 0, reason);
	}
	archive_read_free(a);
}

/* unpack_file - XML, gzip or zip data (no message, no further nesting);
 * false when it is none of them. */
static bool
unpack_file(const char *label, const char *d, size_t len,
    const struct am_ingest_limits *lim, am_unpack_fn *fn, void *arg)
{
	if (is_gzip(d, len))
		unpack_gzip(label, d, len, lim, fn, arg);
	else if (is_zip(d, len))
		unpack_zip(label, d, len, lim, fn, arg);
	else if (is_xml(d, len))
		fn(arg, AM_UNPACK_XML, label, d, len, NULL);
	else
		return false;
	return true;
}

/* has_suffix - s ends with suf (case-insensitive). */
static bool
has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), k = strlen(suf);

	return n >= k && strcasecmp(s + n - k, suf) == 0;
}

/* is_candidate - a part that could hold a report. */
static bool
is_candidate(const struct am_mime_part *p)
{
	static const char *const types[] = {
		"text/xml", "application/xml", "application/gzip",
		"application/x-gzip", "application/zip", "application/x-zip",
		"application/x-zip-compressed", "application/octet-stream",
	};
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(p->type, types[i]) == 0)
			return true;
	return has_suffix(p->filename, ".xml") ||
	    has_suffix(p->filename, ".gz") || has_suffix(p->filename, ".zip");
}

/* on_part - am_mime_fn: unpack one candidate part of a message. */
static void
on_part(void *arg, const struct am_mime_part *p)
{
	struct msg_ctx *m = arg;
	char where[LABEL_MAX];

	if (!is_candidate(p))
		return;
	m->candidates++;
	snprintf(where, sizeof(where), "%s: part %u%s%.200s%s", m->label,
	    p->index, p->filename[0] != '\0' ? " (" : "", p->filename,
	    p->filename[0] != '\0' ? ")" : "");
	if (!unpack_file(where, p->data, p->len, m->lim, m->fn, m->arg))
		m->fn(m->arg, AM_UNPACK_REFUSED, where, NULL, 0, "not a "
		    "report: the part is neither XML, gzip nor zip");
}

/* am_report_unpack - every report in data, by content. */
void
am_report_unpack(const char *label, const char *data, size_t len,
    const struct am_ingest_limits *lim, am_unpack_fn *fn, void *arg)
{
	struct msg_ctx m = { label, lim, fn, arg, 0 };
	struct am_why why;
	char reason[320];

	if (label == NULL || data == NULL || lim == NULL || fn == NULL)
		AM_PANIC("am_report_unpack: NULL argument");
	if (len > lim->max_bytes) {
		snprintf(reason, sizeof(reason), "%zu bytes is over the limit "
		    "of %zu", len, lim->max_bytes);
		fn(arg, AM_UNPACK_REFUSED, label, NULL, 0, reason);
		return;
	}
	if (unpack_file(label, data, len, lim, fn, arg))
		return;
	if (!is_message(data, len)) {
		fn(arg, AM_UNPACK_REFUSED, label, NULL, 0, "not a report: "
		    "neither XML, gzip, zip nor a mail message");
		return;
	}
	if (am_report_mime_walk(data, len, lim, on_part, &m, &why) != AM_OK) {
		snprintf(reason, sizeof(reason), "MIME: %s", why.text);
		fn(arg, AM_UNPACK_REFUSED, label, NULL, 0, reason);
	} else if (m.candidates == 0)
		fn(arg, AM_UNPACK_SKIPPED, label, NULL, 0, "no aggregate "
		    "report in this message");
}
