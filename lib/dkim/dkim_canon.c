/*
 * dkim_canon.c - RFC 6376 canonicalisation: header fields (§3.4.1 simple,
 * §3.4.2 relaxed), the signature header with its b= value deleted (§3.7),
 * header selection for h= bottom-up (§5.4.2), and the body (§3.4.3,
 * §3.4.4) as a streaming SHA-256 hasher with the l= limit (§3.5), and the
 * header hash a signature covers (§3.7), for ARC and the DKIM signer.
 *
 * The body hasher is a small state machine fed byte by byte: line ends are
 * deferred (a run of empty lines is only written once a non-empty line
 * follows, so trailing empty lines vanish), relaxed keeps one pending
 * "there was WSP" flag (written as one SP before the next non-WSP byte of
 * the line, dropped at the line end). A CR is held until the next byte says
 * whether it starts a CRLF. Output goes through a 4 KiB stage to the digest.
 * Contract in dkim_canon.h.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/xalloc.h"
#include "dkim/dkim_canon.h"

#define STAGE 4096	/* bytes staged before a digest update */

struct am_dkim_body {
	enum am_dkim_canon canon;	/* body canonicalisation */
	int64_t limit;			/* l=: bytes to hash, -1 = all */
	uint64_t total;			/* canonical bytes so far */
	unsigned long pending_crlf;	/* line ends not yet written */
	bool is_line_started;		/* current line has content */
	bool has_content;		/* any content line so far */
	bool is_wsp_pending;		/* relaxed: WSP since last byte */
	bool is_cr_pending;		/* a CR waiting for its LF */
	bool is_final;			/* am_dkim_body_final() ran */
	EVP_MD_CTX *md;			/* owned SHA-256 context */
	unsigned char digest[AM_DKIM_SHA256_LEN];	/* after final */
	size_t nstage;			/* bytes in stage */
	unsigned char stage[STAGE];	/* output not yet hashed */
};

static inline bool
is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* am_dkim_canon_parse - c= into header and body canonicalisation. */
enum am_status
am_dkim_canon_parse(struct am_str c, enum am_dkim_canon *hdr,
    enum am_dkim_canon *body)
{
	const char *slash = c.len ? memchr(c.p, '/', c.len) : NULL;
	struct am_str h = c, b = { "simple", 6 };
	const struct am_str *part[2] = { &h, &b };
	enum am_dkim_canon *to[2] = { hdr, body };
	int i;

	if (slash != NULL) {
		h.len = (size_t)(slash - c.p);
		b.p = slash + 1;
		b.len = c.len - h.len - 1;
	}
	for (i = 0; i < 2; i++) {
		if (am_dkim_str_caseeq(*part[i], "simple"))
			*to[i] = AM_DKIM_CANON_SIMPLE;
		else if (am_dkim_str_caseeq(*part[i], "relaxed"))
			*to[i] = AM_DKIM_CANON_RELAXED;
		else
			return AM_PERMFAIL;
	}
	return AM_OK;
}

/* in_gap - is value index i inside the deleted b= range? */
static inline bool
in_gap(const struct am_dkim_tag *b, size_t i)
{
	return b != NULL && i >= b->value_off && i < b->end_off;
}

/* put - append one byte through a small stage; false at the cap. */
static bool
put(struct am_buf *out, char *stage, size_t *n, int c)
{
	if (c >= 0)
		stage[(*n)++] = (char)c;
	if (*n == 256 || (c < 0 && *n > 0)) {
		if (am_buf_append(out, stage, *n) != AM_OK)
			return false;
		*n = 0;
	}
	return true;
}

/* put_relaxed - the value unfolded, WSP runs as one SP, ends trimmed. */
static bool
put_relaxed(const char *v, size_t len, const struct am_dkim_tag *b,
    struct am_buf *out, char *stage, size_t *n)
{
	bool is_sp = false, is_any = false;
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v[i];

		if (in_gap(b, i))
			continue;
		if (c == '\n' || (c == '\r' && i + 1 < len &&
		    v[i + 1] == '\n' && !in_gap(b, i + 1)))
			continue;	/* unfold: the line break goes */
		if (is_wsp(c)) {
			is_sp = true;
			continue;
		}
		if ((is_sp && is_any && !put(out, stage, n, ' ')) ||
		    !put(out, stage, n, c))
			return false;
		is_sp = false;
		is_any = true;
	}
	return true;
}

/* put_simple - the value as received, every line break as CRLF. */
static bool
put_simple(const char *v, size_t len, const struct am_dkim_tag *b,
    struct am_buf *out, char *stage, size_t *n)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (in_gap(b, i))
			continue;
		if (v[i] == '\n' && (i == 0 || v[i - 1] != '\r' ||
		    in_gap(b, i - 1))) {
			if (!put(out, stage, n, '\r'))
				return false;
		}
		if (!put(out, stage, n, (unsigned char)v[i]))
			return false;
	}
	return true;
}

/* am_dkim_canon_header - see dkim_canon.h. */
enum am_status
am_dkim_canon_header(enum am_dkim_canon c, const char *name,
    const char *value, size_t len, const struct am_dkim_tag *b, bool is_last,
    struct am_buf *out)
{
	size_t start = out->len, nlen = strlen(name), n = 0, i;
	char stage[256];
	bool ok = true;

	if (c == AM_DKIM_CANON_RELAXED) {
		while (nlen > 0 && is_wsp((unsigned char)name[nlen - 1]))
			nlen--;
		for (i = 0; i < nlen && ok; i++)
			ok = put(out, stage, &n, (unsigned char)
			    (name[i] >= 'A' && name[i] <= 'Z' ?
			    name[i] - 'A' + 'a' : name[i]));
		ok = ok && put(out, stage, &n, ':') &&
		    put_relaxed(value, len, b, out, stage, &n);
	} else {
		for (i = 0; i < nlen && ok; i++)
			ok = put(out, stage, &n, (unsigned char)name[i]);
		ok = ok && put(out, stage, &n, ':') &&
		    put_simple(value, len, b, out, stage, &n);
	}
	if (ok && !is_last)
		ok = put(out, stage, &n, '\r') && put(out, stage, &n, '\n');
	if (ok)
		ok = put(out, stage, &n, -1);
	if (!ok) {
		am_buf_truncate(out, start);
		return AM_PERMFAIL;
	}
	return AM_OK;
}

/* am_dkim_hash_header - canonicalise into scratch, then hash it. */
enum am_status
am_dkim_hash_header(EVP_MD_CTX *ctx, enum am_dkim_canon c, const char *name,
    const char *value, size_t len, const struct am_dkim_tag *b, bool is_last,
    struct am_buf *scratch)
{
	am_buf_reset(scratch);
	if (am_dkim_canon_header(c, name, value, len, b, is_last,
	    scratch) != AM_OK)
		return AM_PERMFAIL;
	if (scratch->len > 0 &&
	    EVP_DigestUpdate(ctx, scratch->data, scratch->len) != 1)
		return AM_PERMFAIL;
	return AM_OK;
}

/* is_ftext - RFC 5322 field-name characters. */
static inline bool
is_ftext(unsigned char c)
{
	return c >= 33 && c <= 126 && c != ':';
}

/* is_fws - white space or a line break inside a header value. */
static inline bool
is_fws(unsigned char c)
{
	return is_wsp(c) || c == '\r' || c == '\n';
}

/* am_dkim_hlist_parse - see dkim_canon.h. */
enum am_status
am_dkim_hlist_parse(struct am_str h, struct am_str *names, size_t max,
    size_t *n, struct am_why *why)
{
	size_t i = 0, s;

	*n = 0;
	while (i < h.len && is_fws((unsigned char)h.p[i]))
		i++;
	if (i == h.len)
		return AM_OK;	/* h= with no names */
	for (;;) {
		while (i < h.len && is_fws((unsigned char)h.p[i]))
			i++;
		for (s = i; i < h.len && is_ftext((unsigned char)h.p[i]); i++)
			;
		if (*n == max) {
			am_why_set(why, "h= lists more than %zu fields", max);
			*n = 0;
			return AM_PERMFAIL;
		}
		names[*n].p = h.p + s;
		names[(*n)++].len = i - s;	/* may be 0: no field */
		while (i < h.len && is_fws((unsigned char)h.p[i]))
			i++;
		if (i == h.len)
			return AM_OK;
		if (h.p[i++] != ':') {
			*n = 0;
			am_why_set(why, "malformed h= list");
			return AM_PERMFAIL;
		}
	}
}

/* name_is - does a header's name equal the view (ASCII case-insensitive)? */
static bool
name_is(const char *name, struct am_str v)
{
	return strlen(name) == v.len && strncasecmp(name, v.p, v.len) == 0;
}

/* am_dkim_select - §5.4.2: repeated names take instances bottom-up. */
void
am_dkim_select(const struct am_msg *m, const struct am_str *names, size_t n,
    bool skip_deleted, size_t *idx)
{
	size_t kept = am_msg_header_kept(m), j, k, i, seen;

	for (j = 0; j < n; j++) {
		for (k = 0, i = 0; i < j; i++)	/* earlier uses of the name */
			if (names[i].len == names[j].len &&
			    strncasecmp(names[i].p, names[j].p,
			    names[j].len) == 0)
				k++;
		idx[j] = AM_DKIM_NO_HEADER;
		for (seen = 0, i = kept; i-- > 0;) {
			const struct am_header *h = am_msg_header(m, i);

			if ((skip_deleted && h->is_deleted) ||
			    !name_is(h->name, names[j]))
				continue;
			if (seen++ == k) {
				idx[j] = i;
				break;
			}
		}
	}
}

/* am_dkim_hash_signed - §3.7: the selected fields, then the signature. */
enum am_status
am_dkim_hash_signed(const struct am_msg *m, const struct am_str *names,
    size_t n, bool skip_deleted, enum am_dkim_canon c, const char *signame,
    const char *sigvalue, size_t siglen, const struct am_dkim_tag *b,
    struct am_buf *scratch, unsigned char out[AM_DKIM_SHA256_LEN])
{
	size_t *idx = am_xreallocarray(NULL, n ? n : 1, sizeof(*idx)), j;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int len = 0;
	bool ok;

	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		AM_PANIC("SHA-256 unavailable");
	am_dkim_select(m, names, n, skip_deleted, idx);
	for (ok = true, j = 0; j < n && ok; j++) {
		const struct am_header *h;

		if (idx[j] == AM_DKIM_NO_HEADER)
			continue;
		h = am_msg_header(m, idx[j]);
		ok = am_dkim_hash_header(ctx, c, h->name, h->value,
		    h->value_len, NULL, false, scratch) == AM_OK;
	}
	ok = ok && am_dkim_hash_header(ctx, c, signame, sigvalue, siglen, b,
	    true, scratch) == AM_OK && EVP_DigestFinal_ex(ctx, out, &len) ==
	    1 && len == AM_DKIM_SHA256_LEN;
	EVP_MD_CTX_free(ctx);
	free(idx);
	return ok ? AM_OK : AM_PERMFAIL;
}

/* am_dkim_body_new - a streaming body hasher. */
struct am_dkim_body *
am_dkim_body_new(enum am_dkim_canon c, int64_t limit)
{
	struct am_dkim_body *b = am_xcalloc(1, sizeof(*b));

	b->canon = c;
	b->limit = limit;
	b->md = EVP_MD_CTX_new();
	if (b->md == NULL || EVP_DigestInit_ex(b->md, EVP_sha256(), NULL) != 1)
		AM_PANIC("SHA-256 unavailable");
	return b;
}

/* flush - hash the stage, never past the l= limit. */
static void
flush(struct am_dkim_body *b)
{
	size_t n = b->nstage;
	uint64_t before = b->total - b->nstage;

	if (b->limit >= 0) {
		if (before >= (uint64_t)b->limit)
			n = 0;
		else if (before + n > (uint64_t)b->limit)
			n = (size_t)((uint64_t)b->limit - before);
	}
	if (n > 0 && EVP_DigestUpdate(b->md, b->stage, n) != 1)
		AM_PANIC("SHA-256 update failed");
	b->nstage = 0;
}

static inline void
emit(struct am_dkim_body *b, unsigned char c)
{
	b->stage[b->nstage++] = c;
	b->total++;
	if (b->nstage == STAGE)
		flush(b);
}

/* emit_run - n bytes that need no canonicalisation, staged in bulk. */
static void
emit_run(struct am_dkim_body *b, const unsigned char *p, size_t n)
{
	while (n > 0) {
		size_t k = STAGE - b->nstage;

		if (k > n)
			k = n;
		memcpy(b->stage + b->nstage, p, k);
		b->nstage += k;
		b->total += k;
		p += k;
		n -= k;
		if (b->nstage == STAGE)
			flush(b);
	}
}

/* plain_end - the end of the run of bytes from s[i] that
 * canonicalisation copies as they are once a line has started: no line
 * end, and no WSP under relaxed. Most bytes are above SP: one compare. */
static size_t
plain_end(const struct am_dkim_body *b, const unsigned char *s, size_t i,
    size_t len)
{
	bool relaxed = b->canon == AM_DKIM_CANON_RELAXED;

	for (; i < len; i++) {
		unsigned char c = s[i];

		if (c <= ' ' && (c == '\r' || c == '\n' ||
		    (relaxed && is_wsp(c))))
			break;
	}
	return i;
}

/* content - one byte of a line that is not a line end. */
static void
content(struct am_dkim_body *b, unsigned char c)
{
	if (b->canon == AM_DKIM_CANON_RELAXED && is_wsp(c)) {
		b->is_wsp_pending = true;
		return;
	}
	if (!b->is_line_started) {
		for (; b->pending_crlf > 0; b->pending_crlf--) {
			emit(b, '\r');
			emit(b, '\n');
		}
		b->is_line_started = b->has_content = true;
	}
	if (b->is_wsp_pending) {
		emit(b, ' ');	/* relaxed: a WSP run inside a line */
		b->is_wsp_pending = false;
	}
	emit(b, c);
}

/* line_end - a CRLF (or bare LF): deferred until content follows. */
static void
line_end(struct am_dkim_body *b)
{
	b->is_wsp_pending = false;
	if (b->is_line_started)
		b->pending_crlf = 1;	/* this line's own end */
	else if (b->pending_crlf < (unsigned long)-1)
		b->pending_crlf++;
	b->is_line_started = false;
}

/* am_dkim_body_update - canonicalise and hash one chunk. */
void
am_dkim_body_update(struct am_dkim_body *b, const void *p, size_t len)
{
	const unsigned char *s = p;
	size_t i;

	if (b->is_final)
		AM_PANIC("am_dkim_body_update after final");
	for (i = 0; i < len; i++) {
		if (b->is_cr_pending) {
			b->is_cr_pending = false;
			if (s[i] == '\n') {
				line_end(b);
				continue;
			}
			content(b, '\r');	/* a lone CR is data */
		}
		if (s[i] == '\r')
			b->is_cr_pending = true;
		else if (s[i] == '\n')
			line_end(b);
		else if (b->canon == AM_DKIM_CANON_RELAXED && is_wsp(s[i]))
			content(b, s[i]);
		else {
			/* the common case: a run of plain bytes; the first
			 * starts the line (and ends a WSP run), the rest are
			 * copied as they are */
			size_t j = plain_end(b, s, i + 1, len);

			content(b, s[i]);
			emit_run(b, s + i + 1, j - i - 1);
			i = j - 1;
		}
	}
}

/* am_dkim_body_final - §3.4.3/§3.4.4 end of body, then the digest. */
void
am_dkim_body_final(struct am_dkim_body *b,
    unsigned char out[AM_DKIM_SHA256_LEN])
{
	unsigned int n = 0;

	if (!b->is_final) {
		if (b->is_cr_pending)
			content(b, '\r');
		if (b->has_content || b->canon == AM_DKIM_CANON_SIMPLE) {
			emit(b, '\r');	/* the last line's end, or an */
			emit(b, '\n');	/* empty simple body's CRLF */
		}
		flush(b);
		if (EVP_DigestFinal_ex(b->md, b->digest, &n) != 1 ||
		    n != AM_DKIM_SHA256_LEN)
			AM_PANIC("SHA-256 final failed");
		b->is_final = true;
	}
	memcpy(out, b->digest, AM_DKIM_SHA256_LEN);
}

/* am_dkim_body_length - canonical bytes of the whole body. */
uint64_t
am_dkim_body_length(const struct am_dkim_body *b)
{
	return b->total;
}

/* am_dkim_body_free - accepts NULL, returns NULL. */
struct am_dkim_body *
am_dkim_body_free(struct am_dkim_body *b)
{
	if (b != NULL) {
		EVP_MD_CTX_free(b->md);
		free(b);
	}
	return NULL;
}
