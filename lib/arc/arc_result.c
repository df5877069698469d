/*
 * arc_result.c - the ARC verifier's result: one struct am_arc_sealer per
 * set with the recorded results of its ARC-Authentication-Results parsed by
 * lib/msg/authres (RFC 8617 §4.1.1: "i=N;" followed by an RFC 8601
 * Authentication-Results value), the newest AAR's smtp.remote-ip, and the
 * "arc" resinfo of our own Authentication-Results (RFC 8617 §10.1 registers
 * the method, header.oldest-pass and smtp.remote-ip). Contract in
 * arc_verify.h.
 */
#include "autoconf.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "arc/arc_verify.h"
#include "arc/arc_verify_impl.h"

/* lower_dup - an owned lower-case copy of a view. */
static char *
lower_dup(struct am_str s, bool is_lower)
{
	char *p = am_xmemdup(s.p ? s.p : "", s.p ? s.len : 0);
	size_t i;

	for (i = 0; is_lower && p[i] != '\0'; i++)
		p[i] = (char)tolower((unsigned char)p[i]);
	return p;
}

/* remote_ip - the first smtp.remote-ip of a parsed A-R, or NULL. */
static const char *
remote_ip(const struct am_authres_parsed *p)
{
	size_t i, j;

	for (i = 0; p != NULL && i < p->nmethods; i++)
		for (j = 0; j < p->methods[i].nprops; j++) {
			const struct am_authres_prop *pr =
			    &p->methods[i].props[j];

			if (strcmp(pr->ptype, "smtp") == 0 &&
			    strcmp(pr->property, "remote-ip") == 0)
				return pr->value;
		}
	return NULL;
}

/* am_arc_result_fill - see arc_verify_impl.h. */
void
am_arc_result_fill(const struct am_arc_verify *v, const enum am_arc_check *ams,
    const enum am_arc_check *as, struct am_arc_result *out)
{
	const struct am_arc_chain *c = v->chain;
	const char *ip;
	unsigned i;

	out->count = c->count;
	out->sealers = am_xcalloc(c->count, sizeof(*out->sealers));
	for (i = 0; i < c->count; i++) {
		const struct am_arc_set *set = &c->set[i];
		struct am_arc_sealer *s = &out->sealers[i];

		s->instance = i + 1;
		s->as_domain = lower_dup(set->as.d, true);
		s->as_selector = lower_dup(set->as.s, false);
		s->ams_domain = lower_dup(set->ams.is_valid ? set->ams.d :
		    (struct am_str){ NULL, 0 }, true);
		s->ams_selector = lower_dup(set->ams.is_valid ? set->ams.s :
		    (struct am_str){ NULL, 0 }, false);
		s->cv = set->as.cv;
		s->ams = ams[i];
		s->as = as[i];
		if (am_authres_parse(set->aar_results.p, set->aar_results.len,
		    &s->aar, NULL) != AM_OK)
			s->aar = NULL;
	}
	ip = c->count > 0 ? remote_ip(out->sealers[c->count - 1].aar) : NULL;
	if (ip != NULL)
		snprintf(out->remote_ip, sizeof(out->remote_ip), "%s", ip);
}

/* am_arc_result_release - free what r owns; r becomes "none". */
void
am_arc_result_release(struct am_arc_result *r)
{
	unsigned i;

	for (i = 0; r->sealers != NULL && i < r->count; i++) {
		struct am_arc_sealer *s = &r->sealers[i];

		free(s->as_domain);
		free(s->as_selector);
		free(s->ams_domain);
		free(s->ams_selector);
		s->aar = am_authres_parsed_free(s->aar);
	}
	free(r->sealers);
	memset(r, 0, sizeof(*r));
}

/* am_arc_result_add_authres - one "arc" resinfo (RFC 8617 §10.1). */
void
am_arc_result_add_authres(const struct am_arc_result *r,
    const char *client_ip, struct am_authres *ar)
{
	char comment[32], num[16];

	if (r->count > 0)
		snprintf(comment, sizeof(comment), "i=%u", r->count);
	am_authres_add_method(ar, "arc", am_arc_status_name(r->status),
	    r->status == AM_ARC_FAIL ? r->reason : NULL,
	    r->count > 0 ? comment : NULL);
	if (r->status == AM_ARC_PASS) {
		snprintf(num, sizeof(num), "%u", r->oldest_pass);
		am_authres_add_prop(ar, "header", "oldest-pass", num);
	}
	if (client_ip != NULL && client_ip[0] != '\0')
		am_authres_add_prop(ar, "smtp", "remote-ip", client_ip);
}

const char *
am_arc_status_name(enum am_arc_status s)
{
	switch (s) {
	case AM_ARC_NONE:
		return "none";
	case AM_ARC_PASS:
		return "pass";
	case AM_ARC_FAIL:
		return "fail";
	}
	return "?";
}
