/*
 * keys_lookup.c - the keys to sign a From address with. A plain
 * SigningTable (sorted by keys.c) is searched with bsearch in OpenDKIM's
 * order (opendkim.c dkimf_get_key): user@host, host, user@.parent and
 * .parent for each parent domain, user@*, then *. A refile is scanned in
 * file order, '*' matching any run of characters. A "%" key name stands
 * for the key whose name is the From domain.
 */
#include "autoconf.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dkim/keys.h"
#include "dkim/keys_impl.h"

/* glob_match - '*' matches any run; ASCII case-insensitive. */
static bool
glob_match(const char *p, const char *s)
{
	const char *star = NULL, *resume = NULL;

	while (*s != '\0') {
		if (*p == '*') {
			star = ++p;
			resume = s;
		} else if (tolower((unsigned char)*p) ==
		    tolower((unsigned char)*s)) {
			p++, s++;
		} else if (star != NULL) {
			p = star;
			s = ++resume;
		} else
			return false;
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

/* exact - the entry for a candidate string (lower-cased here), or NULL. */
static const struct sign_entry *
exact(const struct am_keys *ks, const char *cand)
{
	struct sign_entry key;
	char buf[1024];

	if (snprintf(buf, sizeof(buf), "%s", cand) >= (int)sizeof(buf))
		return NULL;
	key.pattern = lower(buf);
	return bsearch(&key, ks->ents, ks->nents, sizeof(*ks->ents), entry_cmp);
}

/* lookup_plain - OpenDKIM's order: user@host, host, user@.parent...,
 * .parent..., user@*, * (opendkim.c, SigningTable in opendkim.conf(5)). */
static const struct sign_entry *
lookup_plain(const struct am_keys *ks, const char *local, const char *domain)
{
	const struct sign_entry *e = NULL;
	char cand[1024];
	const char *p;

	if (*local && snprintf(cand, sizeof(cand), "%s@%s", local, domain) <
	    (int)sizeof(cand) && (e = exact(ks, cand)) != NULL)
		return e;
	if ((e = exact(ks, domain)) != NULL)
		return e;
	for (int pass = 0; pass < 2; pass++)
		for (p = strchr(domain, '.'); p != NULL; p = strchr(p + 1, '.')) {
			if (pass == 0 && *local == '\0')
				break;
			snprintf(cand, sizeof(cand), "%s%s%s", pass ? "" : local,
			    pass ? "" : "@", p);
			if ((e = exact(ks, cand)) != NULL)
				return e;
		}
	if (*local && snprintf(cand, sizeof(cand), "%s@*", local) <
	    (int)sizeof(cand) && (e = exact(ks, cand)) != NULL)
		return e;
	return exact(ks, "*");
}

/* lookup_re - the first wildcard pattern matching user@host. */
static const struct sign_entry *
lookup_re(const struct am_keys *ks, const char *local, const char *domain)
{
	char addr[1024];

	if (snprintf(addr, sizeof(addr), "%s%s%s", local, *local ? "@" : "",
	    domain) >= (int)sizeof(addr))
		return NULL;
	for (size_t i = 0; i < ks->nents; i++)
		if (glob_match(ks->ents[i].pattern, addr))
			return &ks->ents[i];
	return NULL;
}

/* am_keys_lookup - the keys to sign a From address with (see keys.h). */
size_t
am_keys_lookup(const struct am_keys *ks, const char *from_local,
    const char *from_domain, const struct am_key **out, size_t max,
    const char **signer)
{
	const struct sign_entry *e;
	size_t n = 0, k;

	if (signer != NULL)
		*signer = NULL;
	if (ks == NULL || ks->nents == 0 || from_domain == NULL ||
	    *from_domain == '\0')
		return 0;
	if (from_local == NULL)
		from_local = "";
	e = ks->is_refile ? lookup_re(ks, from_local, from_domain) :
	    lookup_plain(ks, from_local, from_domain);
	if (e == NULL)
		return 0;
	for (size_t i = 0; i < e->nkeys && n < max; i++) {
		k = e->key[i];
		if (k == KEY_BY_DOMAIN && (k = find_key(ks, from_domain)) ==
		    SIZE_MAX)
			continue;
		out[n++] = &ks->keys[k];
	}
	if (signer != NULL && n > 0)
		*signer = e->signer;
	return n;
}

/* am_key_domain - d= for this key and From domain. */
const char *
am_key_domain(const struct am_key *k, const char *from_domain)
{
	return strcmp(k->domain, "%") == 0 ? from_domain : k->domain;
}
