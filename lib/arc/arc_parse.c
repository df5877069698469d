/*
 * arc_parse.c - collect and check the ARC sets of a message (RFC 8617 §4.1
 * header fields, §4.2 sets and instances, §5.2 steps 1-3). One pass over
 * the kept headers assigns each ARC header to its instance; the whole list
 * is scanned even after a problem so that max_instance and the newest cv=
 * are known to a sealer (bounded by 3 * AM_ARC_MAX_SETS ARC headers). Field
 * syntax follows RFC 6376 §3.5 (DKIM-Signature), which §4.1.2 and §4.1.3
 * borrow: lib/dkim/dkim_sig.c checks it. Contract in arc_parse.h.
 */
#include "autoconf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/xalloc.h"
#include "dkim/dkim_sig.h"
#include "arc/arc_parse.h"

enum kind { K_AAR = 0, K_AMS, K_AS, K_NONE };

static const char *const kind_name[] = {
	"ARC-Authentication-Results", "ARC-Message-Signature", "ARC-Seal",
};

/* scan - parse state: the first problem, and where to stop. */
struct scan {
	struct am_arc_chain *c;		/* being filled */
	unsigned max_sets;		/* ARCMaxSets */
	unsigned headers;		/* ARC headers seen */
	unsigned newest_as;		/* instance of the newest AS parsed */
	bool has_error;			/* reason holds the first problem */
};

/* fail - keep the first problem only. */
static void
fail(struct scan *s, const char *fmt, ...) AM_FMT(2, 3);
static void
fail(struct scan *s, const char *fmt, ...)
{
	va_list ap;

	if (s->has_error)
		return;
	va_start(ap, fmt);
	/* a reason for people: cut with "..." when it does not fit */
	(void)am_vsnprintf_cut(s->c->reason, sizeof(s->c->reason), fmt, ap);
	va_end(ap);
	s->has_error = true;
}

static enum kind
kind_of(const char *name)
{
	int k;

	for (k = 0; k < K_NONE; k++)
		if (strcasecmp(name, kind_name[k]) == 0)
			return (enum kind)k;
	return K_NONE;
}

static inline bool
is_fws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* instance_of - an i= value: 1*2DIGIT, 1..AM_ARC_MAX_SETS; 0 if not. */
static unsigned
instance_of(struct am_str v)
{
	uint64_t n;

	if (!am_dkim_str_uint(v, 2, &n) || n < 1 || n > AM_ARC_MAX_SETS)
		return 0;
	return (unsigned)n;
}

/* aar_prefix - "i=N;" at the start of an AAR; results view after it. */
static unsigned
aar_prefix(const char *v, size_t len, struct am_str *rest)
{
	size_t i = 0, d;
	struct am_str num;

	while (i < len && is_fws(v[i]))
		i++;
	if (i >= len || v[i++] != 'i')
		return 0;
	while (i < len && is_fws(v[i]))
		i++;
	if (i >= len || v[i++] != '=')
		return 0;
	while (i < len && is_fws(v[i]))
		i++;
	for (d = i; i < len && v[i] >= '0' && v[i] <= '9'; i++)
		;
	num.p = v + d;
	num.len = i - d;
	while (i < len && is_fws(v[i]))
		i++;
	if (i >= len || v[i++] != ';')
		return 0;
	rest->p = v + i;
	rest->len = len - i;
	return instance_of(num);
}

/* sig_instance - parse an AS/AMS tag list and return its instance. */
static unsigned
sig_instance(struct scan *s, enum kind k, const struct am_header *h,
    struct am_dkim_tags *t)
{
	const struct am_dkim_tag *i;
	struct am_why why;
	unsigned n;

	if (am_dkim_tags_parse(h->value, h->value_len, t, &why) != AM_OK) {
		fail(s, "%s: %s", kind_name[k], why.text);
		return 0;
	}
	if ((i = am_dkim_tags_find(t, "i")) == NULL) {
		fail(s, "%s without i=", kind_name[k]);
		return 0;
	}
	if ((n = instance_of(i->value)) == 0)
		fail(s, "%s with invalid i=%.*s", kind_name[k],
		    (int)(i->value.len > 8 ? 8 : i->value.len), i->value.p);
	return n;
}

/* sig_fields - check the fields of one AS or AMS into *g. */
static void sig_fields(struct am_arc_sig *g, const struct am_dkim_tags *t,
    bool is_as);

/* take - one ARC header at message index idx. */
static void
take(struct scan *s, enum kind k, size_t idx, const struct am_header *h)
{
	struct am_dkim_tags t;
	struct am_arc_set *set;
	struct am_str rest = { NULL, 0 };
	unsigned n;

	if (k == K_AAR) {
		if ((n = aar_prefix(h->value, h->value_len, &rest)) == 0)
			fail(s, "ARC-Authentication-Results without a valid "
			    "\"i=N;\" prefix");
	} else
		n = sig_instance(s, k, h, &t);
	if (n == 0)
		return;
	if (n > s->c->max_instance)
		s->c->max_instance = n;
	if (n > s->max_sets) {
		fail(s, "%s i=%u: more than %u ARC sets", kind_name[k], n,
		    s->max_sets);
		return;
	}
	set = &s->c->set[n - 1];
	if ((k == K_AAR && set->has_aar) || (k == K_AMS &&
	    set->ams.is_present) || (k == K_AS && set->as.is_present)) {
		fail(s, "duplicate %s i=%u", kind_name[k], n);
		return;
	}
	if (k == K_AAR) {
		set->has_aar = true;
		set->aar_idx = idx;
		set->aar_results = rest;
		return;
	}
	(k == K_AS ? &set->as : &set->ams)->idx = idx;
	sig_fields(k == K_AS ? &set->as : &set->ams, &t, k == K_AS);
	if (k == K_AS && n >= s->newest_as) {
		const struct am_dkim_tag *cv = am_dkim_tags_find(&t, "cv");

		s->newest_as = n;
		s->c->is_newest_cv_fail = cv != NULL &&
		    am_dkim_str_caseeq(cv->value, "fail");
	}
}

/* structure - §5.2 steps 2 and 3 once every header is assigned. */
static void
structure(struct scan *s)
{
	struct am_arc_chain *c = s->c;
	unsigned i;

	if (c->is_newest_cv_fail && s->newest_as == c->max_instance)
		fail(s, "ARC-Seal i=%u has cv=fail", c->max_instance);
	c->is_newest_cv_fail = c->is_newest_cv_fail &&
	    s->newest_as == c->max_instance;
	for (i = 1; i <= c->max_instance && !s->has_error; i++) {
		struct am_arc_set *set = &c->set[i - 1];

		if (!set->has_aar || !set->ams.is_present ||
		    !set->as.is_present)
			fail(s, "ARC set i=%u incomplete (no %s)", i,
			    !set->has_aar ? kind_name[K_AAR] :
			    !set->ams.is_present ? kind_name[K_AMS] :
			    kind_name[K_AS]);
		else if (!set->as.is_valid)
			fail(s, "ARC-Seal i=%u: %s", i, set->as.error);
		else if (set->as.cv != (i == 1 ? AM_ARC_CV_NONE :
		    AM_ARC_CV_PASS))
			fail(s, "ARC-Seal i=%u has cv=%s", i,
			    am_arc_cv_name(set->as.cv));
	}
}

/* am_arc_parse - see arc_parse.h. */
struct am_arc_chain *
am_arc_parse(const struct am_msg *m, unsigned max_sets)
{
	struct scan s = { .c = am_xcalloc(1, sizeof(*s.c)) };
	size_t i, kept = am_msg_header_kept(m);

	s.max_sets = max_sets < 1 ? 1 : max_sets > AM_ARC_MAX_SETS ?
	    AM_ARC_MAX_SETS : max_sets;
	for (i = 0; i < kept; i++) {
		const struct am_header *h = am_msg_header(m, i);
		enum kind k = kind_of(h->name);

		if (k == K_NONE)
			continue;
		if (++s.headers > 3 * AM_ARC_MAX_SETS) {
			s.has_error = false;	/* this reason first */
			fail(&s, "more than %d ARC header fields",
			    3 * AM_ARC_MAX_SETS);
			s.c->max_instance = AM_ARC_MAX_SETS;
			break;
		}
		take(&s, k, i, h);
	}
	if (s.headers == 0)
		return s.c;	/* AM_ARC_CHAIN_NONE */
	if (s.headers <= 3 * AM_ARC_MAX_SETS)
		structure(&s);
	s.c->status = s.has_error ? AM_ARC_CHAIN_FAIL : AM_ARC_CHAIN_OK;
	s.c->count = s.has_error ? 0 : s.c->max_instance;
	return s.c;
}

/* am_arc_chain_free - accepts NULL, returns NULL. */
struct am_arc_chain *
am_arc_chain_free(struct am_arc_chain *c)
{
	free(c);
	return NULL;
}

const char *
am_arc_cv_name(enum am_arc_cv cv)
{
	switch (cv) {
	case AM_ARC_CV_NONE:
		return "none";
	case AM_ARC_CV_PASS:
		return "pass";
	case AM_ARC_CV_FAIL:
		return "fail";
	}
	return "?";
}

/* need - the tag named name, or NULL with the error set. */
static const struct am_dkim_tag *
need(struct am_arc_sig *g, const struct am_dkim_tags *t, const char *name)
{
	const struct am_dkim_tag *tag = am_dkim_tags_find(t, name);

	if (tag == NULL)
		snprintf(g->error, sizeof(g->error), "no %s= tag", name);
	return tag;
}

/* bad - set the error for tag; false. */
static bool
bad(struct am_arc_sig *g, const struct am_dkim_tag *tag, const char *what)
{
	snprintf(g->error, sizeof(g->error), "%s %.*s=%.*s", what,
	    (int)tag->name.len, tag->name.p,
	    (int)(tag->value.len > 24 ? 24 : tag->value.len), tag->value.p);
	return false;
}

/* ams_hlist_ok - §4.1.2: an AMS never signs ARC-Seal. */
static bool
ams_hlist_ok(struct am_arc_sig *g, const struct am_dkim_tags *t)
{
	struct am_str names[AM_ARC_MAX_HNAMES];
	size_t n, i;

	if (am_dkim_hlist_parse(g->h, names, AM_ARC_MAX_HNAMES, &n, NULL) !=
	    AM_OK)
		return false;	/* checked by am_dkim_sig_parse() */
	for (i = 0; i < n; i++)
		if (am_dkim_str_caseeq(names[i], "ARC-Seal"))
			return bad(g, am_dkim_tags_find(t, "h"),
			    "ARC-Seal signed in");
	return true;
}

/* as_fields - cv= and the absence of h= in an AS. */
static bool
as_fields(struct am_arc_sig *g, const struct am_dkim_tags *t)
{
	const struct am_dkim_tag *cv;

	if (am_dkim_tags_find(t, "h") != NULL) {
		snprintf(g->error, sizeof(g->error), "h= in an ARC-Seal");
		return false;
	}
	if ((cv = need(g, t, "cv")) == NULL)
		return false;
	if (am_dkim_str_caseeq(cv->value, "none"))
		g->cv = AM_ARC_CV_NONE;
	else if (am_dkim_str_caseeq(cv->value, "pass"))
		g->cv = AM_ARC_CV_PASS;
	else if (am_dkim_str_caseeq(cv->value, "fail"))
		g->cv = AM_ARC_CV_FAIL;
	else
		return bad(g, cv, "invalid chain status");
	return true;
}

static void
sig_fields(struct am_arc_sig *g, const struct am_dkim_tags *t, bool is_as)
{
	struct am_dkim_sig_fields f;

	g->is_present = true;
	g->body_limit = -1;
	if (!am_dkim_sig_parse(t, is_as ? AM_DKIM_SIG_SEAL : AM_DKIM_SIG_AMS,
	    AM_ARC_MAX_HNAMES, &f, g->error, sizeof(g->error)))
		return;
	g->b = f.b;
	g->alg = f.alg;
	g->d = f.d;
	g->s = f.s;
	g->h = f.h;
	g->bh = f.bh;
	g->hcanon = f.hcanon;
	g->bcanon = f.bcanon;
	g->body_limit = f.body_limit;
	g->is_valid = is_as ? as_fields(g, t) : ams_hlist_ok(g, t);
}
