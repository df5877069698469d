/*
 * keys_impl.h - private to keys.c, keys_pkey.c and keys_lookup.c: the
 * layout of the key store and the helpers that the table reader (keys.c)
 * and the lookup (keys_lookup.c) share. Nothing else includes this file.
 */
#ifndef AM_KEYS_IMPL_H
#define AM_KEYS_IMPL_H

#include <ctype.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/buf.h"
#include "dkim/keys.h"

#define KEY_BY_DOMAIN	SIZE_MAX /* signing table keyname "%" */

struct sign_entry {
	char *pattern;		/* lower-case */
	char *signer;		/* i= template, or NULL */
	size_t nkeys;		/* used entries of key[] */
	size_t key[AM_KEYS_MAX_PER_MSG]; /* indices into keys, or KEY_BY_DOMAIN */
};

struct am_keys {
	struct am_key *keys;	/* owned array */
	size_t nkeys;		/* entries in keys */
	struct sign_entry *ents; /* owned array */
	size_t nents;		/* entries in ents */
	bool is_refile;		/* wildcard patterns in file order */
};

/* lower - lower-case s in place; returns s. */
static inline char *
lower(char *s)
{
	for (char *p = s; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return s;
}

/* find_key - index of the key named name, or SIZE_MAX. */
static inline size_t
find_key(const struct am_keys *ks, const char *name)
{
	for (size_t i = 0; i < ks->nkeys; i++)
		if (strcmp(ks->keys[i].name, name) == 0)
			return i;
	return SIZE_MAX;
}

/* entry_cmp - qsort/bsearch order of signing entries. */
static inline int
entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct sign_entry *)a)->pattern,
	    ((const struct sign_entry *)b)->pattern);
}

/* am_key_load - read, check and convert k->path (keys_pkey.c). */
bool am_key_load(struct am_key *k, bool require_safe, struct am_buf *errs,
    struct am_buf *warns);

#endif
