/*
 * dkim_tags.c - the tag=value list of RFC 6376 §3.2 and its base64 (§2.4),
 * parsed by hand over a borrowed buffer: no allocation, every view points
 * into the caller's text, every loop is bounded by len. Contract in
 * dkim_tags.h.
 */
#include "autoconf.h"

#include <string.h>
#include <strings.h>

#include "dkim/dkim_tags.h"

/* is_fws - folding white space as it reaches us (SP, HTAB, CR, LF). */
static inline bool
is_fws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static inline bool
is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline bool
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* is_valchar - RFC 6376 VALCHAR: %x21-3A / %x3C-7E. */
static inline bool
is_valchar(unsigned char c)
{
	return c >= 0x21 && c <= 0x7e && c != ';';
}

static size_t
skip_fws(const char *s, size_t i, size_t len)
{
	while (i < len && is_fws((unsigned char)s[i]))
		i++;
	return i;
}

/* parse_spec - one tag-spec at s[*pos]; *pos ends on ';' or len. */
static enum am_status
parse_spec(const char *s, size_t len, size_t *pos, struct am_dkim_tag *t,
    struct am_why *why)
{
	size_t i = *pos, n0, v0, v1;

	if (i >= len || !is_alpha((unsigned char)s[i])) {
		am_why_set(why, i >= len || s[i] == ';' ? "empty tag-spec" :
		    "invalid tag name at offset %zu", i);
		return AM_PERMFAIL;
	}
	for (n0 = i; i < len && (is_alpha((unsigned char)s[i]) ||
	    is_digit((unsigned char)s[i]) || s[i] == '_'); i++)
		;
	t->name.p = s + n0;
	t->name.len = i - n0;
	i = skip_fws(s, i, len);
	if (i >= len || s[i] != '=') {
		am_why_set(why, "tag \"%.*s\" without '='", (int)t->name.len,
		    t->name.p);
		return AM_PERMFAIL;
	}
	t->value_off = ++i;
	v0 = i = skip_fws(s, i, len);
	for (v1 = i; i < len && s[i] != ';'; i++) {
		unsigned char c = (unsigned char)s[i];

		if (is_valchar(c))
			v1 = i + 1;
		else if (!is_fws(c)) {
			am_why_set(why, "invalid byte 0x%02x in tag \"%.*s\"",
			    c, (int)t->name.len, t->name.p);
			return AM_PERMFAIL;
		}
	}
	t->value.p = s + v0;
	t->value.len = v1 > v0 ? v1 - v0 : 0;
	t->end_off = i;
	*pos = i;
	return AM_OK;
}

/* am_dkim_tags_parse - see dkim_tags.h. */
enum am_status
am_dkim_tags_parse(const char *text, size_t len, struct am_dkim_tags *out,
    struct am_why *why)
{
	size_t pos = 0, k;

	out->count = 0;
	pos = skip_fws(text, pos, len);
	if (pos >= len) {
		am_why_set(why, "empty tag list");
		return AM_PERMFAIL;
	}
	while (pos < len) {
		struct am_dkim_tag *t;

		if (out->count == AM_DKIM_TAGS_MAX) {
			am_why_set(why, "more than %d tags", AM_DKIM_TAGS_MAX);
			goto fail;
		}
		t = &out->tag[out->count];
		if (parse_spec(text, len, &pos, t, why) != AM_OK)
			goto fail;
		for (k = 0; k < out->count; k++)
			if (out->tag[k].name.len == t->name.len &&
			    memcmp(out->tag[k].name.p, t->name.p,
			    t->name.len) == 0) {
				am_why_set(why, "duplicate tag \"%.*s\"",
				    (int)t->name.len, t->name.p);
				goto fail;
			}
		out->count++;
		if (pos < len)	/* on the ';': a trailing one ends the list */
			pos = skip_fws(text, pos + 1, len);
	}
	return AM_OK;
fail:
	out->count = 0;
	return AM_PERMFAIL;
}

/* am_dkim_tags_find - the tag named name, or NULL. */
const struct am_dkim_tag *
am_dkim_tags_find(const struct am_dkim_tags *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->count; i++)
		if (am_dkim_str_eq(t->tag[i].name, name))
			return &t->tag[i];
	return NULL;
}

/* am_dkim_str_eq - view equals s exactly. */
bool
am_dkim_str_eq(struct am_str v, const char *s)
{
	size_t n = strlen(s);

	return v.len == n && (n == 0 || memcmp(v.p, s, n) == 0);
}

/* am_dkim_str_caseeq - view equals s, ASCII case-insensitively. */
bool
am_dkim_str_caseeq(struct am_str v, const char *s)
{
	size_t n = strlen(s);

	return v.len == n && (n == 0 || strncasecmp(v.p, s, n) == 0);
}

/* am_dkim_str_uint - 1..digits decimal digits and nothing else. */
bool
am_dkim_str_uint(struct am_str v, unsigned digits, uint64_t *out)
{
	uint64_t n = 0;
	size_t i;

	if (v.len == 0 || v.len > digits || digits > 19)
		return false;
	for (i = 0; i < v.len; i++) {
		if (!is_digit((unsigned char)v.p[i]))
			return false;
		n = n * 10 + (uint64_t)(v.p[i] - '0');
	}
	*out = n;
	return true;
}

/* b64_value - 0..63 for an alphabet character, -1 otherwise. */
static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (is_digit(c))
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* am_dkim_b64_decode - see dkim_tags.h. */
enum am_status
am_dkim_b64_decode(struct am_str in, unsigned char *out, size_t max,
    size_t *len, struct am_why *why)
{
	unsigned long acc = 0;
	size_t i, n = 0, o = 0, pad = 0;

	*len = 0;
	for (i = 0; i < in.len; i++) {
		unsigned char c = (unsigned char)in.p[i];
		int v;

		if (is_fws(c))
			continue;
		if (c == '=') {
			if (++pad > 2)
				goto bad;
			continue;
		}
		if (pad > 0 || (v = b64_value(c)) < 0)
			goto bad;
		acc = (acc << 6) | (unsigned long)v;
		if (++n % 4 == 0) {
			if (o + 3 > max)
				goto big;
			out[o++] = (unsigned char)(acc >> 16);
			out[o++] = (unsigned char)(acc >> 8);
			out[o++] = (unsigned char)acc;
			acc = 0;
		}
	}
	if ((n + pad) % 4 != 0 || n % 4 == 1 || (pad > 0 && n % 4 == 0))
		goto bad;
	if (n % 4 != 0) {	/* 2 or 3 characters: 1 or 2 more bytes */
		size_t extra = n % 4 - 1;

		if (o + extra > max)
			goto big;
		acc <<= 6 * (4 - n % 4);
		out[o++] = (unsigned char)(acc >> 16);
		if (extra == 2)
			out[o++] = (unsigned char)(acc >> 8);
	}
	*len = o;
	return AM_OK;
bad:
	am_why_set(why, "invalid base64");
	return AM_PERMFAIL;
big:
	am_why_set(why, "base64 value longer than %zu bytes", max);
	return AM_PERMFAIL;
}

/* am_dkim_b64_encode - append base64 of p to out. */
enum am_status
am_dkim_b64_encode(const unsigned char *p, size_t len, struct am_buf *out)
{
	static const char abc[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i, start = out->len;
	char q[4];

	for (i = 0; i < len; i += 3) {
		unsigned long v = (unsigned long)p[i] << 16;

		if (i + 1 < len)
			v |= (unsigned long)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		q[0] = abc[(v >> 18) & 63];
		q[1] = abc[(v >> 12) & 63];
		q[2] = i + 1 < len ? abc[(v >> 6) & 63] : '=';
		q[3] = i + 2 < len ? abc[v & 63] : '=';
		if (am_buf_append(out, q, 4) != AM_OK) {
			am_buf_truncate(out, start);
			return AM_PERMFAIL;
		}
	}
	return AM_OK;
}
