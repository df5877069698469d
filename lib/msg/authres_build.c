/*
 * authres_build.c - Authentication-Results builder (RFC 8601 §2.2): the
 * header authmilter adds. The parser is authres.c.
 *
 * Caller strings are copied with each run of control characters turned into
 * one space: a hostile macro or header never puts CR, LF or NUL into the
 * header. Values are RFC 2045 tokens, else RFC 5322 quoted-strings; a pvalue
 * [local-part] "@" domain-name keeps the domain bare and quotes the
 * local-part only when it is not a dot-atom (§2.2). Layout: see authres.h.
 */
#include "autoconf.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "core/buf.h"
#include "msg/authres.h"
#include "msg/authres_impl.h"

#define AR_FIELD_LEN	24	/* strlen("Authentication-Results: ") */
#define AR_LINE_MAX	78	/* RFC 5322 §2.1.1 */

/* ar_entry - one resinfo of a builder. */
struct ar_entry {
	struct am_authres_method m;	/* method, result, reason, props */
	char *comment;			/* owned, sanitised, or NULL */
};

struct am_authres {
	char *id;			/* owned, sanitised authserv-id */
	size_t nentries;		/* resinfos added */
	struct ar_entry *entries;	/* owned array of nentries */
};

/* ar_fmt - layout state of am_authres_format(). */
struct ar_fmt {
	struct am_buf *out;		/* borrowed: the caller's buffer */
	struct am_buf piece;		/* owned: piece being laid out */
	size_t col;			/* characters on the current line */
};

/* ar_cut - which resinfos a format leaves out (am_authres_format_fit). */
struct ar_cut {
	const char *method;		/* resinfos of this method ... */
	size_t keep;			/* ... past the first keep are left out */
	size_t note_at;			/* entry that carries the note */
	char note[96];			/* "(N more dkim results not shown)" */
};

/* is_atext - RFC 5322 §3.2.3 atext. */
static bool
is_atext(unsigned char ch)
{
	return in_set(ch, AR_ALNUM "!#$%&'*+-/=?^_`{|}~");
}

static bool
all_of(const char *s, size_t len, bool (*ok)(unsigned char))
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!ok((unsigned char)s[i]))
			return false;
	return len > 0;
}

/* is_dotted - runs of ok characters separated by single dots. */
static bool
is_dotted(const char *s, size_t len, bool (*ok)(unsigned char))
{
	size_t i, run = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == '.' && run == 0)
			return false;
		if (s[i] == '.')
			run = 0;
		else if (ok((unsigned char)s[i]))
			run++;
		else
			return false;
	}
	return run > 0;
}

/* sanitise - owned copy with each run of control characters as one space. */
static char *
sanitise(const char *s)
{
	size_t i, n = 0, len = strlen(s);
	char *q = am_xmalloc(len + 1);

	for (i = 0; i < len; i++) {
		if (!is_ctl((unsigned char)s[i]))
			q[n++] = s[i];
		else if (i == 0 || !is_ctl((unsigned char)s[i - 1]))
			q[n++] = ' ';	/* one space per run */
	}
	q[n] = '\0';
	return q;
}

/* need_keyword - method, result, ptype and property are code constants. */
static void
need_keyword(const char *what, const char *s)
{
	if (s == NULL || !all_of(s, strlen(s), is_kwch))
		AM_PANIC("am_authres: %s \"%s\" is not a keyword", what,
		    s ? s : "(null)");
}

/* am_authres_new - empty builder for authserv_id. */
struct am_authres *
am_authres_new(const char *authserv_id)
{
	struct am_authres *ar;

	if (authserv_id == NULL)
		AM_PANIC("am_authres_new: NULL authserv_id");
	ar = am_xcalloc(1, sizeof(*ar));
	ar->id = sanitise(authserv_id);
	return ar;
}

/* am_authres_free - release a builder; accepts NULL, returns NULL. */
struct am_authres *
am_authres_free(struct am_authres *ar)
{
	size_t i;

	if (ar == NULL)
		return NULL;
	for (i = 0; i < ar->nentries; i++) {
		am_authres_method_release(&ar->entries[i].m);
		free(ar->entries[i].comment);
	}
	free(ar->entries);
	free(ar->id);
	free(ar);
	return NULL;
}

/* am_authres_add_method - append one resinfo. */
void
am_authres_add_method(struct am_authres *ar, const char *method,
    const char *result, const char *reason, const char *comment)
{
	struct ar_entry *e;

	if (ar == NULL)
		AM_PANIC("am_authres_add_method: NULL builder");
	need_keyword("method", method);
	need_keyword("result", result);
	ar->entries = am_xreallocarray(ar->entries, ar->nentries + 1,
	    sizeof(*ar->entries));
	e = &ar->entries[ar->nentries++];
	memset(e, 0, sizeof(*e));
	e->m.method = am_xstrdup(method);
	e->m.result = am_xstrdup(result);
	e->m.reason = reason ? sanitise(reason) : NULL;
	e->comment = comment ? sanitise(comment) : NULL;
}

/* am_authres_add_prop - append ptype.property=value to the last resinfo. */
void
am_authres_add_prop(struct am_authres *ar, const char *ptype,
    const char *property, const char *value)
{
	struct am_authres_method *m;
	struct am_authres_prop *p;

	if (ar == NULL || ar->nentries == 0 || value == NULL)
		AM_PANIC("am_authres_add_prop: no method added, or NULL value");
	need_keyword("ptype", ptype);
	need_keyword("property", property);
	m = &ar->entries[ar->nentries - 1].m;
	m->props = am_xreallocarray(m->props, m->nprops + 1, sizeof(*m->props));
	p = &m->props[m->nprops++];
	p->ptype = am_xstrdup(ptype);
	p->property = am_xstrdup(property);
	p->value = sanitise(value);
}

/* put_escaped - open, s[0..len) with the bytes in specials escaped, close:
 * an RFC 5322 quoted-string or comment. */
static enum am_status
put_escaped(struct am_buf *b, char open, const char *s, size_t len,
    const char *specials, char close)
{
	size_t i;

	if (am_buf_putc(b, open) != AM_OK)
		return AM_PERMFAIL;
	for (i = 0; i < len; i++) {
		if (in_set((unsigned char)s[i], specials) &&
		    am_buf_putc(b, '\\') != AM_OK)
			return AM_PERMFAIL;
		if (am_buf_putc(b, s[i]) != AM_OK)
			return AM_PERMFAIL;
	}
	return am_buf_putc(b, close);
}

/* put_value - RFC 8601 value: token, else quoted-string. */
static enum am_status
put_value(struct am_buf *b, const char *s)
{
	size_t len = strlen(s);

	if (all_of(s, len, is_tokch))
		return am_buf_append(b, s, len);
	return put_escaped(b, '"', s, len, "\"\\", '"');
}

/* put_pvalue - value, or [local-part] "@" domain-name with the local-part
 * bare when it is a dot-atom and quoted otherwise. */
static enum am_status
put_pvalue(struct am_buf *b, const char *s)
{
	const char *at = strrchr(s, '@');
	size_t llen;

	if (at == NULL || !is_dotted(at + 1, strlen(at + 1), is_kwch))
		return put_value(b, s);
	llen = (size_t)(at - s);
	if (llen == 0 || is_dotted(s, llen, is_atext))
		return am_buf_puts(b, s);
	if (put_escaped(b, '"', s, llen, "\"\\", '"') != AM_OK)
		return AM_PERMFAIL;
	return am_buf_puts(b, at);
}

/* emit - lay out f->piece (plus ";" when semi) after " " or "\n\t". */
static enum am_status
emit(struct ar_fmt *f, bool first, bool semi)
{
	size_t len;
	bool fold;

	if (semi && am_buf_putc(&f->piece, ';') != AM_OK)
		return AM_PERMFAIL;
	len = f->piece.len;
	if (!first) {
		fold = f->col + 1 + len > AR_LINE_MAX;
		if (am_buf_puts(f->out, fold ? "\n\t" : " ") != AM_OK)
			return AM_PERMFAIL;
		f->col = fold ? 1 : f->col + 1;
	}
	f->col += len;
	return am_buf_append(f->out, am_buf_str(&f->piece), len);
}

/* put_piece - piece k of a resinfo: method=result, comment, reason, props,
 * then the note (a comment, already escaped) when there is one. */
static enum am_status
put_piece(struct am_buf *b, const struct ar_entry *e, size_t k,
    const char *note)
{
	const struct am_authres_method *m = &e->m;
	const struct am_authres_prop *p;

	if (k-- == 0)
		return am_buf_printf(b, "%s=%s", m->method, m->result);
	if (e->comment && k-- == 0)
		return put_escaped(b, '(', e->comment, strlen(e->comment),
		    "()\\", ')');
	if (m->reason && k-- == 0)
		return am_buf_puts(b, "reason=") == AM_OK ?
		    put_value(b, m->reason) : AM_PERMFAIL;
	if (k == m->nprops)
		return am_buf_puts(b, note);
	p = &m->props[k];
	if (am_buf_printf(b, "%s.%s=", p->ptype, p->property) != AM_OK)
		return AM_PERMFAIL;
	return put_pvalue(b, p->value);
}

/* fmt_resinfo - one resinfo on a new line; semi: another one follows;
 * note: a comment to end it with, or NULL. */
static enum am_status
fmt_resinfo(struct ar_fmt *f, const struct ar_entry *e, bool semi,
    const char *note)
{
	size_t k, n;
	enum am_status st;

	n = 1 + (e->comment != NULL) + (e->m.reason != NULL) + e->m.nprops +
	    (note != NULL);
	st = am_buf_puts(f->out, "\n\t");
	f->col = 1;
	for (k = 0; st == AM_OK && k < n; k++) {
		am_buf_reset(&f->piece);
		st = put_piece(&f->piece, e, k, note);
		if (st == AM_OK)
			st = emit(f, k == 0, semi && k + 1 == n);
	}
	return st;
}

/* is_cut - entry i is left out by cut (NULL: nothing is). */
static bool
is_cut(const struct am_authres *ar, const struct ar_cut *cut, size_t i)
{
	size_t j, seen = 0;

	if (cut == NULL || strcmp(ar->entries[i].m.method, cut->method) != 0)
		return false;
	for (j = 0; j < i; j++)
		seen += strcmp(ar->entries[j].m.method, cut->method) == 0;
	return seen >= cut->keep;
}

/* format_cut - the header value without the entries cut leaves out. */
static enum am_status
format_cut(const struct am_authres *ar, const struct ar_cut *cut,
    struct am_buf *out)
{
	struct ar_fmt f;
	enum am_status st;
	size_t i, last = 0, n = 0;

	am_buf_reset(out);
	f.out = out;
	am_buf_init(&f.piece, out->max_len);
	for (i = 0; i < ar->nentries; i++)
		if (!is_cut(ar, cut, i)) {
			last = i;
			n++;
		}
	st = put_value(out, ar->id);
	if (st == AM_OK)
		st = am_buf_puts(out, n ? ";" : "; none");
	f.col = AR_FIELD_LEN + out->len;
	for (i = 0; st == AM_OK && i < ar->nentries; i++)
		if (!is_cut(ar, cut, i))
			st = fmt_resinfo(&f, &ar->entries[i], i != last,
			    cut != NULL && cut->note_at == i ? cut->note :
			    NULL);
	am_buf_release(&f.piece);
	if (st != AM_OK)
		am_buf_reset(out);
	return st;
}

/* am_authres_format - the header value; out is replaced (empty on error). */
enum am_status
am_authres_format(const struct am_authres *ar, struct am_buf *out)
{
	if (ar == NULL || out == NULL)
		AM_PANIC("am_authres_format: NULL argument");
	return format_cut(ar, NULL, out);
}

/* cut_init - leave out every entry of method past the first keep, and put
 * the note on the last one kept, else on the last other entry before them,
 * else on the first one after. */
static void
cut_init(const struct am_authres *ar, const char *method, size_t keep,
    size_t total, struct ar_cut *cut)
{
	size_t i, seen = 0, kept = SIZE_MAX, before = SIZE_MAX, after = SIZE_MAX;

	cut->method = method;
	cut->keep = keep;
	for (i = 0; i < ar->nentries; i++) {
		if (strcmp(ar->entries[i].m.method, method) == 0) {
			if (seen++ < keep)
				kept = i;
		} else if (seen == 0) {
			before = i;
		} else if (after == SIZE_MAX) {
			after = i;
		}
	}
	cut->note_at = kept != SIZE_MAX ? kept : before != SIZE_MAX ? before :
	    after;
	AM_SNPRINTF_FIT(cut->note, sizeof(cut->note), "(%zu %s%.32s results "
	    "not shown)", total - keep, keep > 0 ? "more " : "", method);
}

/* am_authres_format_fit - am_authres_format(), leaving out trailing
 * entries of method when the whole header would not fit out's cap. */
enum am_status
am_authres_format_fit(const struct am_authres *ar, const char *method,
    struct am_buf *out, size_t *dropped)
{
	struct ar_cut cut;
	size_t i, total = 0, lo = 0, hi;

	if (ar == NULL || method == NULL || out == NULL || dropped == NULL)
		AM_PANIC("am_authres_format_fit: NULL argument");
	*dropped = 0;
	if (format_cut(ar, NULL, out) == AM_OK)
		return AM_OK;
	for (i = 0; i < ar->nentries; i++)
		total += strcmp(ar->entries[i].m.method, method) == 0;
	if (total == 0)
		return AM_PERMFAIL;
	/* The most entries that fit, in [lo, hi): the size grows with keep. */
	for (hi = total; lo + 1 < hi;) {
		cut_init(ar, method, lo + (hi - lo) / 2, total, &cut);
		if (format_cut(ar, &cut, out) == AM_OK)
			lo = cut.keep;
		else
			hi = cut.keep;
	}
	cut_init(ar, method, lo, total, &cut);
	if (cut.note_at == SIZE_MAX || format_cut(ar, &cut, out) != AM_OK)
		return AM_PERMFAIL;
	*dropped = total - lo;
	return AM_OK;
}
