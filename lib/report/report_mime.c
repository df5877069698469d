/*
 * report_mime.c - the bounded MIME walker (contract in report_mime.h).
 *
 * RFC 2046 §5.1.1: a body part starts after a line "--boundary" and ends at
 * the line break before the next one; "--boundary--" closes the multipart.
 * Every level is one linear scan of its own bytes, and the levels are at
 * most lim->max_depth, so a message costs O(depth * size). Leaves are
 * collected (decoded copies) and handed out only when the whole message
 * passed, so a refused message yields nothing. Decoders never grow their
 * output past their input (base64 and quoted-printable shrink).
 */
#include "autoconf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/xalloc.h"
#include "report/report_mime.h"

#define FIELD_MAX	4096	/* bytes kept of one header field */
#define PARAM_MAX	256	/* bytes of a parameter value */

struct hdr {			/* what is read of a part's header */
	char type[PARAM_MAX];	/* lower-case type/subtype */
	char boundary[PARAM_MAX];
	char filename[PARAM_MAX];
	char cte[PARAM_MAX];	/* lower-case transfer encoding */
};

struct leaf {			/* a collected leaf part (owned strings) */
	char *type;
	char *filename;
	char *data;
	size_t len;
};

struct walker {
	const struct am_ingest_limits *lim;	/* borrowed */
	struct leaf *leaf;	/* owned array */
	size_t n;		/* leaves */
	size_t cap;		/* allocated */
	unsigned parts;		/* parts seen, all levels */
	struct am_why *why;	/* the refusal */
};

typedef void field_fn(void *arg, const char *name, size_t name_len,
    const char *value);

/* line - the line at p (end: its terminator or lim); returns the start of
 * the next line. */
static const char *
line(const char *p, const char *lim, const char **end)
{
	const char *nl = memchr(p, '\n', (size_t)(lim - p));

	*end = nl != NULL ? nl : lim;
	if (*end > p && (*end)[-1] == '\r')
		(*end)--;
	return nl != NULL ? nl + 1 : lim;
}

/* header_fields - fn per unfolded field of the header at p; returns the
 * offset of the body (after the blank line; len when there is none). */
static size_t
header_fields(const char *p, size_t len, field_fn *fn, void *arg)
{
	const char *lim = p + len, *s = p, *e, *next, *colon;
	struct am_buf v;
	char name[80];
	size_t n = 0;

	am_buf_init(&v, FIELD_MAX);
	name[0] = '\0';
	for (; s < lim; s = next) {
		next = line(s, lim, &e);
		if (e > s && (*s == ' ' || *s == '\t')) {
			(void)am_buf_append(&v, s, (size_t)(e - s));
			continue;	/* folded: one field goes on */
		}
		if (name[0] != '\0')
			fn(arg, name, n, am_buf_str(&v));
		name[0] = '\0';
		am_buf_reset(&v);
		if (e == s) {
			s = next;	/* the blank line: the body follows */
			break;
		}
		colon = memchr(s, ':', (size_t)(e - s));
		if (colon == NULL || (n = (size_t)(colon - s)) == 0 ||
		    n >= sizeof(name))
			continue;	/* not a field: ignored */
		memcpy(name, s, n);
		name[n] = '\0';
		(void)am_buf_append(&v, colon + 1, (size_t)(e - colon - 1));
	}
	if (name[0] != '\0')
		fn(arg, name, n, am_buf_str(&v));
	am_buf_release(&v);
	return (size_t)(s - p);
}

/* param - the value of parameter key (lower-case; "key*" too, charset
 * dropped) in a structured field value into out; false when absent. */
static bool
param(const char *v, const char *key, char *out, size_t size)
{
	size_t k = strlen(key), n;
	const char *s = v, *e;

	while ((s = strchr(s, ';')) != NULL) {
		for (s++; *s == ' ' || *s == '\t'; s++)
			;
		if (strncasecmp(s, key, k) != 0 || (s[k] != '=' &&
		    strncmp(s + k, "*=", 2) != 0))
			continue;
		s += s[k] == '=' ? k + 1 : k + 2;
		if (s[-2] == '*' && (e = strstr(s, "''")) != NULL &&
		    e < s + strcspn(s, ";"))
			s = e + 2;	/* RFC 2231: charset'lang'value */
		if (*s == '"')
			e = strchr(++s, '"');
		else
			e = s + strcspn(s, "; \t");
		n = e != NULL ? (size_t)(e - s) : strlen(s);
		if (n >= size)
			n = size - 1;
		memcpy(out, s, n);
		out[n] = '\0';
		return true;
	}
	return false;
}

/* token - the first token of v, lower-cased, into out. */
static void
token(const char *v, char *out, size_t size)
{
	size_t n = 0;

	while (*v == ' ' || *v == '\t')
		v++;
	for (; *v != '\0' && *v != ';' && !isspace((unsigned char)*v) &&
	    n + 1 < size; v++)
		out[n++] = (char)tolower((unsigned char)*v);
	out[n] = '\0';
}

/* on_field - field_fn filling a struct hdr. */
static void
on_field(void *arg, const char *name, size_t name_len, const char *value)
{
	struct hdr *h = arg;

	(void)name_len;
	if (strcasecmp(name, "Content-Type") == 0) {
		token(value, h->type, sizeof(h->type));
		(void)param(value, "boundary", h->boundary,
		    sizeof(h->boundary));
		if (h->filename[0] == '\0')
			(void)param(value, "name", h->filename,
			    sizeof(h->filename));
	} else if (strcasecmp(name, "Content-Disposition") == 0)
		(void)param(value, "filename", h->filename,
		    sizeof(h->filename));
	else if (strcasecmp(name, "Content-Transfer-Encoding") == 0)
		token(value, h->cte, sizeof(h->cte));
}

/* b64 - the value of a base64 digit, -1 for others. */
static int
b64(unsigned char c)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = c != '\0' ? strchr(a, c) : NULL;

	return p != NULL ? (int)(p - a) : -1;
}

/* decode_b64 - base64 in[0..len) into out (at least len bytes); bytes
 * outside the alphabet are skipped, '=' ends it. Returns the length. */
static size_t
decode_b64(const char *in, size_t len, char *out)
{
	unsigned acc = 0, bits = 0;
	size_t i, n = 0;
	int d;

	for (i = 0; i < len && in[i] != '='; i++) {
		if ((d = b64((unsigned char)in[i])) < 0)
			continue;
		acc = (acc << 6) | (unsigned)d;
		if ((bits += 6) >= 8) {
			bits -= 8;
			out[n++] = (char)((acc >> bits) & 0xff);
		}
	}
	return n;
}

/* decode_qp - quoted-printable in[0..len) into out; returns the length. */
static size_t
decode_qp(const char *in, size_t len, char *out)
{
	size_t i, n = 0;
	char hex[3] = { 0, 0, 0 };

	for (i = 0; i < len; i++) {
		if (in[i] != '=') {
			out[n++] = in[i];
			continue;
		}
		if (i + 1 < len && in[i + 1] == '\n') {
			i++;		/* soft line break */
		} else if (i + 2 < len && in[i + 1] == '\r' &&
		    in[i + 2] == '\n') {
			i += 2;
		} else if (i + 2 < len && isxdigit((unsigned char)in[i + 1]) &&
		    isxdigit((unsigned char)in[i + 2])) {
			hex[0] = in[i + 1];
			hex[1] = in[i + 2];
			out[n++] = (char)strtol(hex, NULL, 16);
			i += 2;
		} else
			out[n++] = '=';
	}
	return n;
}

/* add_leaf - keep a decoded copy of one leaf part. */
static void
add_leaf(struct walker *w, const struct hdr *h, const char *body,
    size_t len)
{
	struct leaf *l;

	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 8;
		w->leaf = am_xreallocarray(w->leaf, w->cap, sizeof(*w->leaf));
	}
	l = &w->leaf[w->n++];
	l->type = am_xstrdup(h->type[0] != '\0' ? h->type : "text/plain");
	l->filename = am_xstrdup(h->filename);
	l->data = am_xmalloc(len + 1);
	if (strcmp(h->cte, "base64") == 0)
		l->len = decode_b64(body, len, l->data);
	else if (strcmp(h->cte, "quoted-printable") == 0)
		l->len = decode_qp(body, len, l->data);
	else {
		memcpy(l->data, body, len);
		l->len = len;
	}
	l->data[l->len] = '\0';
}

static bool walk_entity(struct walker *w, const char *p, size_t len,
    unsigned depth);

/* delimiter - the line [s, e) is "--boundary" (*is_close: "--" after). */
static bool
delimiter(const char *s, const char *e, const char *b, size_t blen,
    bool *is_close)
{
	const char *t;

	if ((size_t)(e - s) < blen + 2 || s[0] != '-' || s[1] != '-' ||
	    memcmp(s + 2, b, blen) != 0)
		return false;
	t = s + 2 + blen;
	*is_close = e - t >= 2 && t[0] == '-' && t[1] == '-';
	if (*is_close)
		t += 2;
	for (; t < e; t++)
		if (*t != ' ' && *t != '\t')
			return false;	/* a longer boundary */
	return true;
}

/* walk_multipart - every body part between the boundaries of p; a
 * multipart that is never closed ends with the data. */
static bool
walk_multipart(struct walker *w, const char *p, size_t len, const char *b,
    unsigned depth)
{
	const char *lim = p + len, *s, *e, *next, *start = NULL, *end;
	size_t blen = strlen(b);
	bool is_close = false;

	for (s = p; s < lim && !is_close; s = next) {
		next = line(s, lim, &e);
		if (!delimiter(s, e, b, blen, &is_close))
			continue;
		if (start != NULL) {
			/* the line break before the delimiter belongs to it */
			end = s;
			if (end > start && end[-1] == '\n')
				end--;
			if (end > start && end[-1] == '\r')
				end--;
			if (!walk_entity(w, start, (size_t)(end - start),
			    depth))
				return false;
		}
		start = next;
	}
	if (!is_close && start != NULL && start < lim)
		return walk_entity(w, start, (size_t)(lim - start), depth);
	return true;
}

/* walk_entity - one entity (a message or a body part) at depth. */
static bool
walk_entity(struct walker *w, const char *p, size_t len, unsigned depth)
{
	struct hdr h;
	size_t off;

	if (++w->parts > w->lim->max_parts) {
		am_why_set(w->why, "more than %u MIME parts", w->lim->max_parts);
		return false;
	}
	memset(&h, 0, sizeof(h));
	off = header_fields(p, len, on_field, &h);
	if (strncmp(h.type, "multipart/", 10) == 0 ||
	    strcmp(h.type, "message/rfc822") == 0) {
		if (depth + 1 > w->lim->max_depth) {
			am_why_set(w->why, "MIME nesting deeper than %u levels",
			    w->lim->max_depth);
			return false;
		}
		if (h.type[0] == 'm' && h.type[1] == 'e')
			return walk_entity(w, p + off, len - off, depth + 1);
		if (h.boundary[0] == '\0') {
			am_why_set(w->why, "a %s part without a boundary",
			    h.type);
			return false;
		}
		return walk_multipart(w, p + off, len - off, h.boundary,
		    depth + 1);
	}
	add_leaf(w, &h, p + off, len - off);
	return true;
}

/* am_report_mime_walk - the decoded leaves of one message. */
enum am_status
am_report_mime_walk(const char *msg, size_t len,
    const struct am_ingest_limits *lim, am_mime_fn *fn, void *arg,
    struct am_why *why)
{
	struct am_mime_part part;
	struct walker w;
	bool ok;
	size_t i;

	if (msg == NULL || lim == NULL || fn == NULL || why == NULL)
		AM_PANIC("am_report_mime_walk: NULL argument");
	memset(&w, 0, sizeof(w));
	w.lim = lim;
	w.why = why;
	ok = walk_entity(&w, msg, len, 0);
	for (i = 0; i < w.n; i++) {
		if (ok) {
			part.type = w.leaf[i].type;
			part.filename = w.leaf[i].filename;
			part.data = w.leaf[i].data;
			part.len = w.leaf[i].len;
			part.index = (unsigned)i + 1;
			fn(arg, &part);
		}
		free(w.leaf[i].type);
		free(w.leaf[i].filename);
		free(w.leaf[i].data);
	}
	free(w.leaf);
	return ok ? AM_OK : AM_PERMFAIL;
}

struct find {
	const char *name;	/* wanted field */
	struct am_buf *out;	/* borrowed */
	bool is_found;
};

/* on_find - field_fn keeping the first field named f->name. */
static void
on_find(void *arg, const char *name, size_t name_len, const char *value)
{
	struct find *f = arg;

	(void)name_len;
	if (f->is_found || strcasecmp(name, f->name) != 0)
		return;
	while (*value == ' ' || *value == '\t')
		value++;
	(void)am_buf_puts(f->out, value);
	f->is_found = true;
}

/* am_report_mime_header - the first top-level field name into out. */
bool
am_report_mime_header(const char *msg, size_t len, const char *name,
    struct am_buf *out)
{
	struct find f = { name, out, false };

	if (msg == NULL || name == NULL || out == NULL)
		AM_PANIC("am_report_mime_header: NULL argument");
	(void)header_fields(msg, len, on_find, &f);
	return f.is_found;
}
