/*
 * authres.c - Authentication-Results parser (RFC 8601 §2.2) and
 * am_authres_is_ours(). The builder is authres_build.c.
 *
 * Recursive descent without recursion: the grammar is flat and nested comments
 * are skipped with a depth counter (AR_MAX_DEPTH). Every read goes through
 * in->i < in->len. Allocations are bounded by the input length and by
 * AR_MAX_METHODS / AR_MAX_PROPS. Deliberate leniencies, each harmless to the
 * trust decision because the authserv-id is parsed strictly: CR and LF are
 * accepted anywhere whitespace is; keywords may contain "_"; a bare pvalue may
 * contain "/", "=", "?" and 8-bit bytes (real DKIM header.b= values do).
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/xalloc.h"
#include "core/buf.h"
#include "msg/authres.h"
#include "msg/authres_impl.h"

#define AR_MAX_DEPTH	64	/* nested comment levels */
#define AR_MAX_METHODS	256	/* resinfos in one header */
#define AR_MAX_PROPS	64	/* propspecs in one resinfo */
#define AR_MAX_LEN	(1024 * 1024)	/* bytes of one header value */
#define AR_MAX_DIGITS	9	/* authres-version / method-version */

static bool
is_digit(unsigned char ch)
{
	return in_set(ch, "0123456789");
}

/* is_pvch - lenient bare pvalue character: not a special the grammar uses. */
static bool
is_pvch(unsigned char ch)
{
	return ch > 0x20 && ch != 0x7f && !in_set(ch, "()<>,;:\\\"[]");
}

/* is_qpch - what may follow "\" in a quoted-pair: VCHAR, WSP, 8-bit. */
static bool
is_qpch(int ch)
{
	return ch == ' ' || ch == '\t' || (ch > 0x20 && ch != 0x7f);
}

static unsigned char
lower(unsigned char ch)
{
	return ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch;
}

/* ci_contains - our id occurs in s[0..len), ASCII case-insensitively. */
static bool
ci_contains(const char *s, size_t len, const char *id)
{
	size_t i, j, idlen = strlen(id);

	for (i = 0; idlen <= len && i <= len - idlen; i++) {
		for (j = 0; j < idlen && lower(s[i + j]) == lower(id[j]); j++)
			;
		if (j == idlen)
			return true;
	}
	return false;
}

/* -------------------------------------------------------------- parser */

/* ar_in - the parser's cursor. */
struct ar_in {
	const unsigned char *p;		/* borrowed input */
	size_t len;			/* bytes in p */
	size_t i;			/* next byte to read, <= len */
	struct am_why *why;		/* reason on failure, may be NULL */
};

/* peek - next byte, or -1 at the end. */
static int
peek(const struct ar_in *in)
{
	return in->i < in->len ? in->p[in->i] : -1;
}

static enum am_status
fail(const struct ar_in *in, const char *what)
{
	am_why_set(in->why, "Authentication-Results: %s at offset %zu", what,
	    in->i);
	return AM_PERMFAIL;
}

static size_t
span(struct ar_in *in, bool (*ok)(unsigned char))
{
	size_t start = in->i;

	while (in->i < in->len && ok(in->p[in->i]))
		in->i++;
	return in->i - start;
}

static bool
is_bad_ctl(int ch)
{
	return is_ctl((unsigned char)ch) && ch != '\t' && ch != '\r' &&
	    ch != '\n';
}

/* skip_comment - past one (possibly nested) comment starting at "(". */
static enum am_status
skip_comment(struct ar_in *in)
{
	size_t depth = 0;
	int ch;

	while ((ch = peek(in)) >= 0) {
		if (is_bad_ctl(ch))
			return fail(in, "control character in comment");
		in->i++;
		if (ch == '(' && ++depth > AR_MAX_DEPTH)
			return fail(in, "comments nested too deeply");
		if (ch == ')' && --depth == 0)
			return AM_OK;
		if (ch == '\\') {
			if (!is_qpch(peek(in)))
				return fail(in, "bad quoted-pair in comment");
			in->i++;
		}
	}
	return fail(in, "unterminated comment");
}

/* skip_cfws - past whitespace, folds and comments; *any: something skipped. */
static enum am_status
skip_cfws(struct ar_in *in, bool *any)
{
	size_t start = in->i;
	int ch;

	while ((ch = peek(in)) >= 0) {
		if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n')
			in->i++;
		else if (ch != '(')
			break;
		else if (skip_comment(in) != AM_OK)
			return AM_PERMFAIL;
	}
	if (any)
		*any = in->i > start;
	return AM_OK;
}

/* expect - the byte ch, then CFWS. */
static enum am_status
expect(struct ar_in *in, int ch, const char *what)
{
	if (peek(in) != ch)
		return fail(in, what);
	in->i++;
	return skip_cfws(in, NULL);
}

/* get_quoted - append the content of the quoted-string at in to b. */
static enum am_status
get_quoted(struct ar_in *in, struct am_buf *b)
{
	int ch;

	in->i++;
	while ((ch = peek(in)) >= 0) {
		in->i++;
		if (ch == '"')
			return AM_OK;
		if (ch == '\r' || ch == '\n')
			continue;	/* unfold */
		if (is_bad_ctl(ch))
			return fail(in, "control character in quoted-string");
		if (ch == '\\') {
			if (!is_qpch(peek(in)))
				return fail(in, "bad quoted-pair");
			ch = in->p[in->i++];
		}
		if (am_buf_putc(b, ch == '\t' ? ' ' : (char)ch) != AM_OK)
			return fail(in, "quoted-string too long");
	}
	return fail(in, "unterminated quoted-string");
}

/* get_keyword - a Keyword, lower-cased, as an owned string. */
static enum am_status
get_keyword(struct ar_in *in, const char *what, char **out)
{
	size_t i, start = in->i, n = span(in, is_kwch);

	if (n == 0)
		return fail(in, what);
	*out = am_xmemdup(in->p + start, n);
	for (i = 0; i < n; i++)
		(*out)[i] = (char)lower((unsigned char)(*out)[i]);
	return AM_OK;
}

/* get_value - token or quoted-string; pv: also [local-part] "@" domain
 * (and, leniently, any run of is_pvch bytes). */
static enum am_status
get_value(struct ar_in *in, bool pv, char **out)
{
	struct am_buf b;
	size_t start, n;
	bool quoted = peek(in) == '"';
	enum am_status st = AM_OK;

	am_buf_init(&b, in->len);
	if (quoted)
		st = get_quoted(in, &b);
	if (st == AM_OK && (!quoted || (pv && peek(in) == '@'))) {
		start = in->i;
		n = span(in, pv ? is_pvch : is_tokch);
		if (n <= (quoted ? 1u : 0u))	/* "@" needs a domain */
			st = fail(in, "expected a value");
		else if (am_buf_append(&b, in->p + start, n) != AM_OK)
			st = fail(in, "value too long");
	}
	if (st == AM_OK)
		*out = am_buf_export(&b);
	am_buf_release(&b);
	return st;
}

/* parse_id - [CFWS] authserv-id [CFWS authres-version] [CFWS]. */
static enum am_status
parse_id(struct ar_in *in, struct am_authres_parsed *r)
{
	size_t i, n, start;
	bool ws;

	if (skip_cfws(in, NULL) != AM_OK)
		return AM_PERMFAIL;
	if (get_value(in, false, &r->authserv_id) != AM_OK ||
	    skip_cfws(in, &ws) != AM_OK)
		return AM_PERMFAIL;
	if (peek(in) < 0 || !is_digit((unsigned char)peek(in)))
		return AM_OK;
	if (!ws)
		return fail(in, "expected space before version");
	start = in->i;
	if ((n = span(in, is_digit)) > AR_MAX_DIGITS)
		return fail(in, "version too long");
	for (r->version = 0, i = 0; i < n; i++)
		r->version = r->version * 10 + (in->p[start + i] - '0');
	return skip_cfws(in, NULL);
}

/* parse_prop - ptype [CFWS] "." [CFWS] property [CFWS] "=" pvalue. */
static enum am_status
parse_prop(struct ar_in *in, struct am_authres_method *m)
{
	struct am_authres_prop *p;

	if (m->nprops == AR_MAX_PROPS)
		return fail(in, "too many properties");
	m->props = am_xreallocarray(m->props, m->nprops + 1, sizeof(*p));
	p = &m->props[m->nprops++];
	memset(p, 0, sizeof(*p));
	if (get_keyword(in, "expected ptype", &p->ptype) != AM_OK ||
	    skip_cfws(in, NULL) != AM_OK ||
	    expect(in, '.', "expected '.' after ptype") != AM_OK ||
	    get_keyword(in, "expected property", &p->property) != AM_OK ||
	    skip_cfws(in, NULL) != AM_OK ||
	    expect(in, '=', "expected '=' after property") != AM_OK)
		return AM_PERMFAIL;
	return get_value(in, true, &p->value);
}

/* parse_specs - [CFWS reasonspec] [CFWS 1*propspec] after the result. */
static enum am_status
parse_specs(struct ar_in *in, struct am_authres_method *m)
{
	size_t start, n;
	bool ws, reason;

	if (skip_cfws(in, &ws) != AM_OK)
		return AM_PERMFAIL;
	while (peek(in) >= 0 && is_kwch((unsigned char)peek(in))) {
		if (!ws)
			return fail(in, "expected space");
		start = in->i;
		n = span(in, is_kwch);
		reason = n == 6 && ci_contains((const char *)in->p + start, n,
		    "reason") && m->reason == NULL && m->nprops == 0;
		if (skip_cfws(in, NULL) != AM_OK)
			return AM_PERMFAIL;
		if (reason && peek(in) == '=') {
			if (expect(in, '=', "expected '='") != AM_OK ||
			    get_value(in, false, &m->reason) != AM_OK)
				return AM_PERMFAIL;
		} else {
			in->i = start;
			if (parse_prop(in, m) != AM_OK)
				return AM_PERMFAIL;
		}
		if (skip_cfws(in, &ws) != AM_OK)
			return AM_PERMFAIL;
	}
	return AM_OK;
}

/* parse_resinfo - methodspec [reasonspec] [propspecs], after ";" [CFWS]. */
static enum am_status
parse_resinfo(struct ar_in *in, struct am_authres_parsed *r)
{
	struct am_authres_method *m;
	size_t n;

	if (r->nmethods == AR_MAX_METHODS)
		return fail(in, "too many results");
	r->methods = am_xreallocarray(r->methods, r->nmethods + 1,
	    sizeof(*m));
	m = &r->methods[r->nmethods++];
	memset(m, 0, sizeof(*m));
	if (get_keyword(in, "expected method", &m->method) != AM_OK ||
	    skip_cfws(in, NULL) != AM_OK)
		return AM_PERMFAIL;
	if (peek(in) == '/') {
		/* XXX method-version is checked, then dropped: no field. */
		if (expect(in, '/', "expected '/'") != AM_OK)
			return AM_PERMFAIL;
		n = span(in, is_digit);
		if (n == 0 || n > AR_MAX_DIGITS)
			return fail(in, "bad method version");
		if (skip_cfws(in, NULL) != AM_OK)
			return AM_PERMFAIL;
	}
	if (expect(in, '=', "expected '=' after method") != AM_OK ||
	    get_keyword(in, "expected result", &m->result) != AM_OK)
		return AM_PERMFAIL;
	return parse_specs(in, m);
}

/* parse_none - true (and consumed) when the rest is "none" [CFWS]. */
static bool
parse_none(struct ar_in *in)
{
	size_t start = in->i;

	if (span(in, is_kwch) == 4 &&
	    ci_contains((const char *)in->p + start, 4, "none") &&
	    skip_cfws(in, NULL) == AM_OK && peek(in) < 0)
		return true;
	in->i = start;
	return false;
}

/* parse_results - no-result / 1*resinfo, then the end of the value. */
static enum am_status
parse_results(struct ar_in *in, struct am_authres_parsed *r)
{
	do {
		if (expect(in, ';', "expected ';'") != AM_OK)
			return AM_PERMFAIL;
		if (r->nmethods == 0 && parse_none(in)) {
			r->is_none = true;
			return AM_OK;
		}
		if (parse_resinfo(in, r) != AM_OK)
			return AM_PERMFAIL;
	} while (peek(in) >= 0);
	return AM_OK;
}

/* am_authres_parse - parse one header value into an owned result. */
enum am_status
am_authres_parse(const char *value, size_t len,
    struct am_authres_parsed **out, struct am_why *why)
{
	struct am_authres_parsed *r;
	struct ar_in in = { (const unsigned char *)value, len, 0, why };

	if (out == NULL || (value == NULL && len > 0))
		AM_PANIC("am_authres_parse: NULL argument");
	*out = NULL;
	if (len > AR_MAX_LEN)
		return fail(&in, "header too long");
	r = am_xcalloc(1, sizeof(*r));
	r->version = 1;
	if (parse_id(&in, r) != AM_OK || parse_results(&in, r) != AM_OK) {
		am_authres_parsed_free(r);
		return AM_PERMFAIL;
	}
	*out = r;
	return AM_OK;
}

/* am_authres_method_release - free what m owns; m itself stays. */
void
am_authres_method_release(struct am_authres_method *m)
{
	size_t i;

	for (i = 0; i < m->nprops; i++) {
		free(m->props[i].ptype);
		free(m->props[i].property);
		free(m->props[i].value);
	}
	free(m->props);
	free(m->method);
	free(m->result);
	free(m->reason);
}

/* am_authres_parsed_free - release a parse result; accepts NULL. */
struct am_authres_parsed *
am_authres_parsed_free(struct am_authres_parsed *r)
{
	size_t i;

	if (r == NULL)
		return NULL;
	for (i = 0; i < r->nmethods; i++)
		am_authres_method_release(&r->methods[i]);
	free(r->methods);
	free(r->authserv_id);
	free(r);
	return NULL;
}

/* ---------------------------------------------------------- is_ours */

/* squeeze - copy of s without comments, whitespace, quotes and backslashes:
 * what a sloppier downstream parser might see as the authserv-id. */
static size_t
squeeze(const char *s, size_t len, char *q)
{
	size_t i, n = 0, depth = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == '\\' && depth > 0)
			i++;
		else if (s[i] == '(')
			depth++;
		else if (s[i] == ')' && depth > 0)
			depth--;
		else if (depth == 0 && !strchr(" \t\r\n\"\\", s[i]))
			q[n++] = s[i];
	}
	return n;
}

/* id_len - length of an authserv-id without one final dot. */
static size_t
id_len(const char *id)
{
	size_t n = strlen(id);

	return n > 1 && id[n - 1] == '.' ? n - 1 : n;
}

/* am_authres_id_eq - the same authserv-id: ASCII case-insensitive, one
 * final dot ignored (mx.example.org. names the same host). */
bool
am_authres_id_eq(const char *a, const char *b)
{
	size_t n = id_len(a);

	return n == id_len(b) && strncasecmp(a, b, n) == 0;
}

/* am_authres_is_ours - does this header value claim our authserv-id? */
bool
am_authres_is_ours(const char *value, size_t len, const char *our_id)
{
	struct am_authres_parsed *r;
	char *q;
	bool ours;

	if (our_id == NULL || *our_id == '\0' || (value == NULL && len > 0))
		AM_PANIC("am_authres_is_ours: NULL or empty argument");
	if (am_authres_parse(value, len, &r, NULL) == AM_OK) {
		ours = am_authres_id_eq(r->authserv_id, our_id);
		am_authres_parsed_free(r);
		return ours;
	}
	if (ci_contains(value, len, our_id))
		return true;
	q = am_xmalloc(len + 1);
	ours = ci_contains(q, squeeze(value, len, q), our_id);
	free(q);
	return ours;
}
