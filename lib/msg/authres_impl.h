/*
 * authres_impl.h - private to authres.c (parser) and authres_build.c
 * (builder): the character classes both use, and the release of one
 * method's strings that both result structs need. Nothing else includes
 * this file.
 */
#ifndef AM_AUTHRES_IMPL_H
#define AM_AUTHRES_IMPL_H

#include <stdbool.h>
#include <string.h>

struct am_authres_method;

#define AR_ALNUM	"ABCDEFGHIJKLMNOPQRSTUVWXYZ" \
	"abcdefghijklmnopqrstuvwxyz0123456789"

/* in_set - ch is a (non-NUL) member of set. */
static inline bool
in_set(unsigned char ch, const char *set)
{
	return ch != '\0' && strchr(set, ch) != NULL;
}

static inline bool
is_ctl(unsigned char ch)
{
	return ch < 0x20 || ch == 0x7f;
}

/* is_tokch - RFC 2045 §5.1: not a tspecial, space or CTL (ASCII only). */
static inline bool
is_tokch(unsigned char ch)
{
	return ch > 0x20 && ch < 0x7f && !in_set(ch, "()<>@,;:\\\"/[]?=");
}

/* is_kwch - RFC 5321 Keyword characters, plus "_" seen in the wild. */
static inline bool
is_kwch(unsigned char ch)
{
	return in_set(ch, AR_ALNUM "-_");
}

/* am_authres_method_release - free what m owns (authres.c); m stays. */
void am_authres_method_release(struct am_authres_method *m);

#endif
