/*
 * from_impl.h - private to from.c, from_lex.c and from_domain.c: the tokens
 * of an RFC 5322 address list, the lexer's entry point (from_lex.c) and two
 * small helpers they share. Nothing else includes this file.
 */
#ifndef AM_FROM_IMPL_H
#define AM_FROM_IMPL_H

#include <stdbool.h>
#include <stddef.h>

#include "core/am.h"

enum tok_kind {
	T_END,			/* end of value */
	T_ATOM,			/* 1*atext */
	T_QSTR,			/* quoted-string */
	T_LIT,			/* domain-literal */
	T_SPECIAL,		/* one of < > : ; @ , . */
};

struct tok {
	enum tok_kind kind;	/* what it is */
	const char *p;		/* text; QSTR, LIT: inside the delimiters */
	size_t len;		/* bytes at p */
	size_t off;		/* offset in the value, for reasons */
	bool has_space;		/* CFWS came right before it */
	char c;			/* T_SPECIAL: the character */
};

struct lex {
	const char *p;		/* the value, borrowed */
	size_t len;		/* bytes in the value */
	size_t off;		/* next byte to read */
	struct am_why *why;	/* caller's, may be NULL */
};

/* lower - ASCII lower-case, leaving 8-bit bytes alone (no locale). */
static inline char
lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* lex_fail - set "what at offset N" and fail. */
static inline enum am_status
lex_fail(struct lex *lx, size_t off, const char *what)
{
	am_why_set(lx->why, "%s at offset %zu", what, off);
	return AM_PERMFAIL;
}

/* am_from_lex_next - the next token into t (from_lex.c). */
enum am_status am_from_lex_next(struct lex *lx, struct tok *t);

#endif
