/*
 * arc_trust.c - ARCTrustedSealers, parsed once per configuration, and the
 * choice of the ARC set whose recorded results a receiver relies on. RFC
 * 8617 §7.2 leaves that choice to the receiver's local policy; ours is in
 * arc_trust.h (the oldest trusted set whose own AMS still validates).
 * Contract in arc_trust.h.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/xalloc.h"
#include "msg/from.h"
#include "arc/arc_trust.h"

struct am_arc_trust {
	char **domains;		/* owned, normalised */
	size_t n;		/* entries in domains */
};

/* add - one entry of the list, normalised; false (why) when not a domain. */
static bool
add(struct am_arc_trust *t, const char *p, size_t len, struct am_why *why)
{
	char tok[AM_DOMAIN_MAX_LEN + 2], norm[AM_DOMAIN_MAX_LEN + 1];
	struct am_why lwhy;

	if (len >= sizeof(tok) - 1) {
		am_why_set(why, "ARCTrustedSealers: \"%.64s...\": too long", p);
		return false;
	}
	memcpy(tok, p, len);
	tok[len] = '\0';
	if (am_domain_normalise(tok, norm, sizeof(norm), &lwhy) != AM_OK) {
		am_why_set(why, "ARCTrustedSealers: \"%.64s\": %s", tok,
		    lwhy.text);
		return false;
	}
	t->domains = am_xreallocarray(t->domains, t->n + 1,
	    sizeof(*t->domains));
	t->domains[t->n++] = am_xstrdup(norm);
	return true;
}

/* am_arc_trust_new - the set of list (see the header). */
struct am_arc_trust *
am_arc_trust_new(const char *list, struct am_why *why)
{
	struct am_arc_trust *t = am_xcalloc(1, sizeof(*t));
	size_t len;

	if (why == NULL)
		AM_PANIC("am_arc_trust_new: NULL why");
	while (list != NULL && *list != '\0') {
		list += strspn(list, ", \t");
		if ((len = strcspn(list, ", \t")) == 0)
			continue;
		if (!add(t, list, len, why))
			return am_arc_trust_free(t);
		list += len;
	}
	return t;
}

/* am_arc_trust_free - accepts NULL, returns NULL. */
struct am_arc_trust *
am_arc_trust_free(struct am_arc_trust *t)
{
	size_t i;

	if (t == NULL)
		return NULL;
	for (i = 0; i < t->n; i++)
		free(t->domains[i]);
	free(t->domains);
	free(t);
	return NULL;
}

size_t
am_arc_trust_count(const struct am_arc_trust *t)
{
	return t->n;
}

/* am_arc_trust_is_trusted - domain in the set (ASCII case-insensitive)? */
bool
am_arc_trust_is_trusted(const struct am_arc_trust *t, const char *domain)
{
	size_t i;

	if (t == NULL || domain == NULL)
		AM_PANIC("am_arc_trust_is_trusted: NULL argument");
	for (i = 0; i < t->n; i++)
		if (strcasecmp(t->domains[i], domain) == 0)
			return true;
	return false;
}

/* am_arc_trust_vouching - the set DMARC may rely on, or NULL. */
const struct am_arc_sealer *
am_arc_trust_vouching(const struct am_arc_result *r,
    const struct am_arc_trust *t)
{
	unsigned i, first;

	if (r == NULL || t == NULL)
		AM_PANIC("am_arc_trust_vouching: NULL argument");
	if (r->status != AM_ARC_PASS || r->sealers == NULL)
		return NULL;
	first = r->oldest_pass > 0 ? r->oldest_pass : 1;
	for (i = first; i <= r->count; i++) {
		const struct am_arc_sealer *s = &r->sealers[i - 1];

		if (s->aar != NULL && am_arc_trust_is_trusted(t, s->as_domain))
			return s;
	}
	return NULL;
}
