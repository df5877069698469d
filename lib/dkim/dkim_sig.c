/*
 * dkim_sig.c - the tag fields of a DKIM-style signature, RFC 6376 §3.5
 * (and RFC 8617 §4.1.2, §4.1.3, which take them over for ARC): required
 * tags first, then each value's syntax, with the reason of the first
 * problem. Shared by lib/arc/arc_parse.c and the signer's check of a
 * signature already in the message (dkim_sign.c). Contract in dkim_sig.h.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "dkim/dkim_sig.h"

/* name_ok - a domain or selector: labels of 1..63 LDH or '_' bytes. */
static bool
name_ok(struct am_str v)
{
	size_t i, label = 0;

	if (v.len == 0 || v.len > AM_DNS_MAX_NAME)
		return false;
	for (i = 0; i < v.len; i++) {
		char c = v.p[i];

		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_') {
			if (++label > 63)
				return false;
		} else
			return false;
	}
	return label > 0;
}

/* err - where the first problem goes. */
struct err {
	char *text;	/* caller's buffer */
	size_t len;	/* its size */
};

/* need - the tag named name, or NULL with the error set. */
static const struct am_dkim_tag *
need(const struct err *e, const struct am_dkim_tags *t, const char *name)
{
	const struct am_dkim_tag *tag = am_dkim_tags_find(t, name);

	if (tag == NULL)
		snprintf(e->text, e->len, "no %s= tag", name);
	return tag;
}

/* bad - set the error for tag; false. */
static bool
bad(const struct err *e, const struct am_dkim_tag *tag, const char *what)
{
	snprintf(e->text, e->len, "%s %.*s=%.*s", what, (int)tag->name.len,
	    tag->name.p, (int)(tag->value.len > 24 ? 24 : tag->value.len),
	    tag->value.p);
	return false;
}

/* digits - an optional tag of 1..n digits into *v; false when malformed. */
static bool
digits(const struct err *e, const struct am_dkim_tags *t, const char *name,
    unsigned n, const char *what, bool *has, uint64_t *v)
{
	const struct am_dkim_tag *tag = am_dkim_tags_find(t, name);

	*has = tag != NULL;
	if (tag != NULL && !am_dkim_str_uint(tag->value, n, v))
		return bad(e, tag, what);
	return true;
}

/* common_fields - a=, b=, d=, s=, t= of any signature. */
static bool
common_fields(const struct err *e, const struct am_dkim_tags *t,
    struct am_dkim_sig_fields *f)
{
	const struct am_dkim_tag *a, *b, *d, *s;
	unsigned char sig[AM_DKIM_SIG_MAX_BYTES];
	size_t n;

	if ((a = need(e, t, "a")) == NULL || (b = need(e, t, "b")) == NULL ||
	    (d = need(e, t, "d")) == NULL || (s = need(e, t, "s")) == NULL)
		return false;
	if (!am_dkim_alg_parse(a->value, &f->alg))
		return bad(e, a, "unsupported algorithm");
	if (am_dkim_b64_decode(b->value, sig, sizeof(sig), &n, NULL) !=
	    AM_OK || n == 0)
		return bad(e, b, "invalid signature");
	if (!name_ok(d->value))
		return bad(e, d, "invalid domain");
	if (!name_ok(s->value))
		return bad(e, s, "invalid selector");
	if (!digits(e, t, "t", 12, "invalid timestamp", &f->has_t, &f->t))
		return false;
	f->b = *b;
	f->d = d->value;
	f->s = s->value;
	return true;
}

/* hlist_ok - h= is a list of at most max names. */
static bool
hlist_ok(struct am_str h, size_t max)
{
	struct am_str *names = am_xcalloc(max ? max : 1, sizeof(*names));
	size_t n;
	bool ok = am_dkim_hlist_parse(h, names, max, &n, NULL) == AM_OK;

	free(names);
	return ok;
}

/* message_fields - bh=, c=, h=, l=, x= of a DKIM-Signature or AMS. */
static bool
message_fields(const struct err *e, const struct am_dkim_tags *t,
    enum am_dkim_sig_kind k, size_t max_hnames,
    struct am_dkim_sig_fields *f)
{
	const struct am_dkim_tag *bh, *c, *h;
	unsigned char digest[AM_DKIM_SHA256_LEN + 3];
	uint64_t n64;
	bool has_l;
	size_t n;

	if ((bh = need(e, t, "bh")) == NULL || (h = need(e, t, "h")) == NULL)
		return false;
	if (am_dkim_b64_decode(bh->value, digest, sizeof(digest), &n, NULL) !=
	    AM_OK || n != AM_DKIM_SHA256_LEN)
		return bad(e, bh, "invalid body hash");
	/* no c=: RFC 6376 §3.5 says simple/simple; an AMS is read as
	 * relaxed/relaxed, as dkimpy and the ARC test suite read it (RFC
	 * 8617 §4.1.2 inherits the DKIM default on paper; every sealer seen
	 * writes c=) */
	f->hcanon = f->bcanon = k == AM_DKIM_SIG_DKIM ? AM_DKIM_CANON_SIMPLE :
	    AM_DKIM_CANON_RELAXED;
	if ((c = am_dkim_tags_find(t, "c")) != NULL &&
	    am_dkim_canon_parse(c->value, &f->hcanon, &f->bcanon) != AM_OK)
		return bad(e, c, "invalid canonicalization");
	if (!hlist_ok(h->value, max_hnames))
		return bad(e, h, "invalid header list");
	if (!digits(e, t, "l", 18, "invalid body length", &has_l, &n64))
		return false;
	f->body_limit = has_l ? (int64_t)n64 : -1;
	if (!digits(e, t, "x", 12, "invalid expiry", &f->has_x, &f->x))
		return false;
	f->bh = bh->value;
	f->h = h->value;
	return true;
}

/* dkim_fields - v=1 and i= of a DKIM-Signature. */
static bool
dkim_fields(const struct err *e, const struct am_dkim_tags *t,
    struct am_dkim_sig_fields *f)
{
	const struct am_dkim_tag *v, *i;

	if ((v = need(e, t, "v")) == NULL)
		return false;
	if (!am_dkim_str_eq(v->value, "1"))
		return bad(e, v, "unsupported version");
	if ((i = am_dkim_tags_find(t, "i")) != NULL)
		f->i = i->value;
	return true;
}

/* am_dkim_sig_parse - see dkim_sig.h. */
bool
am_dkim_sig_parse(const struct am_dkim_tags *t, enum am_dkim_sig_kind k,
    size_t max_hnames, struct am_dkim_sig_fields *out, char *err,
    size_t errlen)
{
	struct err e = { err, errlen };

	memset(out, 0, sizeof(*out));
	out->body_limit = -1;
	if (errlen > 0)
		err[0] = '\0';
	if (!common_fields(&e, t, out))
		return false;
	if (k == AM_DKIM_SIG_SEAL)
		return true;
	if (!message_fields(&e, t, k, max_hnames, out))
		return false;
	return k != AM_DKIM_SIG_DKIM || dkim_fields(&e, t, out);
}
