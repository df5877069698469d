/*
 * from_lex.c - the lexer of from.c: RFC 5322 address-list tokens. It skips
 * CFWS (§3.2.2: whitespace, line breaks that must fold, comments nested to
 * AM_FROM_MAX_DEPTH with quoted-pairs) and returns atoms (§3.2.3, plus
 * 8-bit bytes, RFC 6532), quoted strings (§3.2.4), domain literals (§3.4.1)
 * and the specials "<>:;@,.". NUL and control characters other than HTAB,
 * CR and LF are errors. Every read is bounded by the value's length.
 */
#include "autoconf.h"

#include <stdbool.h>
#include <string.h>

#include "core/am.h"
#include "msg/from.h"
#include "msg/from_impl.h"

/* is_atext - RFC 5322 atext, plus UTF-8 bytes (RFC 6532). */
static bool
is_atext(unsigned char c)
{
	if (c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/* check_ctl - refuse NUL and control characters other than HTAB, CR, LF. */
static enum am_status
check_ctl(struct lex *lx, size_t i)
{
	unsigned char c = (unsigned char)lx->p[i];

	if (c == '\0')
		return lex_fail(lx, i, "NUL byte");
	if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f) {
		am_why_set(lx->why, "control character 0x%02x at offset %zu",
		    c, i);
		return AM_PERMFAIL;
	}
	return AM_OK;
}

/* line_break - *n = bytes of the CRLF or LF at i; it must fold. */
static enum am_status
line_break(struct lex *lx, size_t i, size_t *n)
{
	size_t j = i;

	if (lx->p[j] == '\r') {
		if (j + 1 >= lx->len || lx->p[j + 1] != '\n')
			return lex_fail(lx, j, "bare CR");
		j++;
	}
	j++;
	/* A break at the very end is harmless; elsewhere it must fold. */
	if (j < lx->len && lx->p[j] != ' ' && lx->p[j] != '\t')
		return lex_fail(lx, i, "line break not followed by whitespace");
	*n = j - i;
	return AM_OK;
}

/* quoted_pair - check the backslash at i and the byte after it. */
static enum am_status
quoted_pair(struct lex *lx, size_t i)
{
	if (i + 1 >= lx->len)
		return lex_fail(lx, i, "backslash at end of value");
	if (lx->p[i + 1] == '\r' || lx->p[i + 1] == '\n')
		return lex_fail(lx, i, "line break after backslash");
	return check_ctl(lx, i + 1);
}

/* skip_comment - skip the comment at lx->off, nested to a bounded depth. */
static enum am_status
skip_comment(struct lex *lx)
{
	size_t i, n, depth = 0;

	for (i = lx->off; i < lx->len; i += n) {
		n = 1;
		switch (lx->p[i]) {
		case '(':
			if (++depth > AM_FROM_MAX_DEPTH)
				return lex_fail(lx, i,
				    "comments nested too deeply");
			break;
		case ')':
			if (--depth == 0) {
				lx->off = i + 1;
				return AM_OK;
			}
			break;
		case '\\':
			if (quoted_pair(lx, i) != AM_OK)
				return AM_PERMFAIL;
			n = 2;
			break;
		case '\r':
		case '\n':
			if (line_break(lx, i, &n) != AM_OK)
				return AM_PERMFAIL;
			break;
		default:
			if (check_ctl(lx, i) != AM_OK)
				return AM_PERMFAIL;
		}
	}
	return lex_fail(lx, lx->off, "unterminated comment");
}

/* skip_cfws - skip whitespace, folds and comments; note if there were any. */
static enum am_status
skip_cfws(struct lex *lx, bool *had)
{
	size_t n;
	char c;

	while (lx->off < lx->len) {
		c = lx->p[lx->off];
		n = 1;
		if (c == '(') {
			if (skip_comment(lx) != AM_OK)
				return AM_PERMFAIL;
			n = 0;
		} else if (c == '\r' || c == '\n') {
			if (line_break(lx, lx->off, &n) != AM_OK)
				return AM_PERMFAIL;
		} else if (c != ' ' && c != '\t')
			return AM_OK;
		lx->off += n;
		*had = true;
	}
	return AM_OK;
}

/* lex_quoted - quoted-string ('"') or domain-literal ('[') at lx->off. */
static enum am_status
lex_quoted(struct lex *lx, struct tok *t, char close, enum tok_kind kind)
{
	size_t i, n;
	unsigned char c;

	for (i = lx->off + 1; i < lx->len; i += n) {
		c = (unsigned char)lx->p[i];
		n = 1;
		if (c == (unsigned char)close) {
			t->kind = kind;
			t->p = lx->p + lx->off + 1;
			t->len = i - lx->off - 1;
			lx->off = i + 1;
			return AM_OK;
		}
		if (c == '\r' || c == '\n') {
			if (line_break(lx, i, &n) != AM_OK)
				return AM_PERMFAIL;
		} else if (kind == T_QSTR && c == '\\') {
			if (quoted_pair(lx, i) != AM_OK)
				return AM_PERMFAIL;
			n = 2;
		} else if (check_ctl(lx, i) != AM_OK)
			return AM_PERMFAIL;
		else if (kind == T_LIT && (c == '[' || c == '\\' || c >= 0x7f))
			return lex_fail(lx, i, "bad byte in domain literal");
	}
	return lex_fail(lx, lx->off, kind == T_QSTR ?
	    "unterminated quoted string" : "unterminated domain literal");
}

/* am_from_lex_next - the next token into t. */
enum am_status
am_from_lex_next(struct lex *lx, struct tok *t)
{
	bool had = false;
	size_t i;
	char c;

	if (skip_cfws(lx, &had) != AM_OK)
		return AM_PERMFAIL;
	*t = (struct tok){ T_END, lx->p + lx->off, 0, lx->off, had, '\0' };
	if (lx->off >= lx->len)
		return AM_OK;
	c = lx->p[lx->off];
	if (is_atext((unsigned char)c)) {
		for (i = lx->off; i < lx->len && is_atext(lx->p[i]); i++)
			;
		t->kind = T_ATOM;
		t->len = i - lx->off;
		lx->off = i;
		return AM_OK;
	}
	if (c == '"' || c == '[')
		return lex_quoted(lx, t, c == '"' ? '"' : ']',
		    c == '"' ? T_QSTR : T_LIT);
	if (c != '\0' && strchr("<>:;@,.", c) != NULL) {
		t->kind = T_SPECIAL;
		t->c = c;
		t->len = 1;
		lx->off++;
		return AM_OK;
	}
	if (c == ')' || check_ctl(lx, lx->off) != AM_OK)
		return c == ')' ? lex_fail(lx, lx->off, "')' without '('") :
		    AM_PERMFAIL;
	am_why_set(lx->why, "unexpected '%c' at offset %zu", c, lx->off);
	return AM_PERMFAIL;
}
