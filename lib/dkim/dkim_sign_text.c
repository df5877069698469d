/*
 * dkim_sign_text.c - the text of a DKIM-Signature we write: the tags in
 * libopendkim's order (v, a, c, d, s, t, x, i, bh, h, b) folded the way
 * libopendkim 2.11's dkim_getsighdr_d() folds them for a field name of 14
 * bytes ("DKIM-Signature: " takes 16 columns) at its margin of 75: tags are
 * joined by one space while they fit and start a new "\n\t" line otherwise;
 * a new line for h= is broken after a ':' ("\n\t "), one for b= or bh= is
 * cut at the margin ("\n\t "), and an RSA b= always starts its own line.
 * The same inputs give the same bytes as the library did, so a signature
 * made with the same t= is byte-identical (tests/dkim/check_dkim_sign_ref).
 *
 * Folding only moves white space: relaxed header canonicalisation (RFC
 * 6376 §3.4.2) unfolds and collapses it, and the b= value with its folds is
 * deleted before hashing (§3.7), so the value hashed (b= empty) and the
 * value written canonicalise to the same bytes. Contract in
 * dkim_sign_impl.h.
 */
#include "autoconf.h"

#include <stdio.h>
#include <string.h>

#include "dkim/dkim_sign_impl.h"

#define MARGIN	75	/* libopendkim's DKIM_HDRMARGIN */
#define INITIAL	16	/* columns of "DKIM-Signature: " */
#define SEP	'\001'	/* between tags while building (never in a tag) */

/* The value being folded. */
struct fold {
	struct am_buf *out;	/* the folded value */
	size_t len;		/* column, as libopendkim counts it */
	bool ok;		/* no append failed */
};

static void
put(struct fold *f, const char *p, size_t n)
{
	if (f->ok && am_buf_append(f->out, p, n) != AM_OK)
		f->ok = false;
}

/* fold_h - an h= tag on a new line: names broken after ':' at the margin
 * (empty names cannot occur: every name is a header field name). */
static void
fold_h(struct fold *f, const char *p, size_t n)
{
	size_t i = 0, k;
	bool first = true;

	while (i < n) {
		for (k = i; k < n && p[k] != ':'; k++)
			;
		if (first) {
			put(f, p + i, k - i);
			f->len += k - i;
			first = false;
		} else if (f->len + (k - i) + 1 > MARGIN) {
			put(f, ":\n\t ", 4);
			f->len = 9;
			put(f, p + i, k - i);
			f->len += k - i;
		} else {
			put(f, ":", 1);
			put(f, p + i, k - i);
			f->len += 1 + (k - i);
		}
		i = k + 1;
	}
}

/* fold_b - a b= or bh= tag (name wl bytes) on a new line, cut at the
 * margin. libopendkim counts the first value byte before it looks at the
 * margin, and compares without a sign (a line past the margin runs on). */
static void
fold_b(struct fold *f, const char *p, size_t n, size_t wl)
{
	size_t x = wl + 2, m;

	put(f, p, n < x ? n : x);
	f->len += wl + 2;
	while (x < n) {
		if (MARGIN - f->len == 0) {
			put(f, "\n\t ", 3);
			f->len = 9;
		}
		m = MARGIN - f->len < n - x ? MARGIN - f->len : n - x;
		put(f, p + x, m);
		x += m;
		f->len += m;
	}
}

/* base64_len - BASE64SIZE() of libopendkim: encoded bytes of n bytes. */
static size_t
base64_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

/* fold_tag - one tag "name=value[;]" after the first (dkim_getsighdr_d). */
static void
fold_tag(struct fold *f, const char *p, size_t n, unsigned rsa_bits)
{
	size_t wl = strcspn(p, "=");
	bool is_b = wl == 1 && p[0] == 'b';
	bool wrap = rsa_bits > 0 && is_b &&
	    f->len + wl + base64_len(rsa_bits / 8) + 1 >= MARGIN;

	if (!wrap && f->len + n <= MARGIN) {
		put(f, " ", 1);
		put(f, p, n);
		f->len += 1 + n;
		return;
	}
	put(f, "\n\t", 2);
	f->len = 8;
	if (wl == 1 && p[0] == 'h')
		fold_h(f, p, n);
	else if (is_b || (wl == 2 && p[0] == 'b' && p[1] == 'h'))
		fold_b(f, p, n, wl);
	else {
		put(f, p, n);
		f->len += n;
	}
}

/* raw_tags - the tags separated by SEP, the last one b=. */
static enum am_status
raw_tags(const struct am_dkim_sign_tags *t, const char *b, struct am_buf *r)
{
	enum am_status st;
	char c = SEP;

	st = am_buf_printf(r, "v=1;%ca=%s;%cc=relaxed/relaxed;%cd=%s;%cs=%s;"
	    "%ct=%llu;", c, am_dkim_alg_name(t->alg), c, c, t->d, c, t->s, c,
	    (unsigned long long)t->t);
	if (st == AM_OK && t->x != 0)
		st = am_buf_printf(r, "%cx=%llu;", c,
		    (unsigned long long)t->x);
	if (st == AM_OK && t->i != NULL && t->i[0] != '\0')
		st = am_buf_printf(r, "%ci=%s;", c, t->i);
	if (st == AM_OK)
		st = am_buf_printf(r, "%cbh=%s;%ch=%s;%cb=%s", c, t->bh, c,
		    t->h, c, b);
	return st;
}

/* am_dkim_sign_text - see dkim_sign_impl.h. */
enum am_status
am_dkim_sign_text(const struct am_dkim_sign_tags *t, const char *b,
    struct am_buf *out)
{
	struct fold f = { out, INITIAL, true };
	struct am_buf raw;
	const char *p, *e;
	bool first = true;

	am_buf_reset(out);
	am_buf_init(&raw, out->max_len);
	if (raw_tags(t, b, &raw) != AM_OK) {
		am_buf_release(&raw);
		return AM_PERMFAIL;
	}
	for (p = am_buf_str(&raw); f.ok; p = e + 1) {
		e = strchr(p, SEP);
		if (e == NULL)
			e = p + strlen(p);
		if (first) {
			put(&f, p, (size_t)(e - p));
			f.len += (size_t)(e - p);
			first = false;
		} else
			fold_tag(&f, p, (size_t)(e - p), t->rsa_bits);
		if (*e == '\0')
			break;
	}
	am_buf_release(&raw);
	return f.ok ? AM_OK : AM_PERMFAIL;
}
