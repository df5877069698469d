/*
 * check_arc_trust - ARCTrustedSealers (lib/arc/arc_trust.h): the list as
 * configured (normalised, bad entries refused with the entry), exact
 * matching, and which ARC set a chain's result lets DMARC rely on: none
 * unless the chain passes; the oldest trusted set at or above oldest-pass
 * (0 read as 1); sets whose recorded results do not parse are skipped.
 */
#include "autoconf.h"

#include <check.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "arc/arc_trust.h"
#include "msg/authres.h"
#include "testutil/testutil.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

START_TEST(test_list)
{
	static const struct {
		const char *list;
		size_t n;		/* domains, or (size_t)-1: refused */
		const char *why;	/* start of the reason when refused */
	} cases[] = {
		{ "", 0, NULL },
		{ " ,\t, ", 0, NULL },
		{ "lists.example", 1, NULL },
		{ "Lists.Example., fwd.example\tmx.example", 3, NULL },
		{ "lists.example, bad..example", (size_t)-1,
		  "ARCTrustedSealers: \"bad..example\": " },
		{ "-bad.example", (size_t)-1, "ARCTrustedSealers: " },
	};
	struct am_arc_trust *t;
	struct am_why why;
	size_t i;

	for (i = 0; i < NELEM(cases); i++) {
		t = am_arc_trust_new(cases[i].list, &why);
		if (cases[i].n == (size_t)-1) {
			ck_assert_msg(t == NULL, "\"%s\": accepted, want "
			    "refused", cases[i].list);
			ck_assert_msg(strncmp(why.text, cases[i].why,
			    strlen(cases[i].why)) == 0, "\"%s\": got \"%s\", "
			    "want \"%s...\"", cases[i].list, why.text,
			    cases[i].why);
			continue;
		}
		ck_assert_msg(t != NULL, "\"%s\": %s", cases[i].list, why.text);
		ck_assert_uint_eq(am_arc_trust_count(t), cases[i].n);
		t = am_arc_trust_free(t);
	}
	t = am_arc_trust_new(NULL, &why);	/* NULL reads as empty */
	ck_assert_ptr_nonnull(t);
	ck_assert_uint_eq(am_arc_trust_count(t), 0);
	am_arc_trust_free(t);
}
END_TEST

START_TEST(test_is_trusted)
{
	struct am_why why;
	struct am_arc_trust *t = am_arc_trust_new("Lists.Example.", &why);

	ck_assert_ptr_nonnull(t);
	ck_assert(am_arc_trust_is_trusted(t, "lists.example"));
	ck_assert(am_arc_trust_is_trusted(t, "LISTS.example"));
	ck_assert(!am_arc_trust_is_trusted(t, "sub.lists.example"));
	ck_assert(!am_arc_trust_is_trusted(t, "example"));
	ck_assert(!am_arc_trust_is_trusted(t, "lists.example.evil"));
	am_arc_trust_free(t);
}
END_TEST

/* chain - a result of n sets sealed by d[i], with recorded results. */
static void
chain(struct am_arc_result *r, enum am_arc_status st, unsigned oldest,
    const char *const *d, unsigned n, unsigned no_aar)
{
	unsigned i;

	memset(r, 0, sizeof(*r));
	r->status = st;
	r->count = n;
	r->oldest_pass = oldest;
	r->sealers = calloc(n, sizeof(*r->sealers));
	ck_assert_ptr_nonnull(r->sealers);
	for (i = 0; i < n; i++) {
		r->sealers[i].instance = i + 1;
		r->sealers[i].as_domain = strdup(d[i]);
		r->sealers[i].as_selector = strdup("s");
		r->sealers[i].ams_domain = strdup(d[i]);
		r->sealers[i].ams_selector = strdup("s");
		if (i + 1 != no_aar)
			ck_assert_int_eq(am_authres_parse("x; dkim=pass", 12,
			    &r->sealers[i].aar, NULL), AM_OK);
	}
}

START_TEST(test_vouching)
{
	static const char *const d[] = { "fwd.example", "lists.example",
	    "mx.example" };
	static const struct {
		const char *name;
		enum am_arc_status st;
		unsigned oldest;	/* oldest-pass */
		const char *trusted;
		unsigned no_aar;	/* instance whose AAR does not parse */
		unsigned want;		/* instance relied on, 0: none */
	} cases[] = {
		{ "a failed chain vouches for nothing", AM_ARC_FAIL, 0,
		  "lists.example", 0, 0 },
		{ "no trusted sealer", AM_ARC_PASS, 0, "other.example", 0, 0 },
		{ "every AMS validates: the trusted set", AM_ARC_PASS, 0,
		  "lists.example", 0, 2 },
		{ "the oldest of two trusted sets", AM_ARC_PASS, 0,
		  "mx.example lists.example", 0, 2 },
		{ "oldest-pass 1 is the same as 0", AM_ARC_PASS, 1,
		  "lists.example", 0, 2 },
		{ "oldest-pass 2: set 2 still holds", AM_ARC_PASS, 2,
		  "lists.example", 0, 2 },
		{ "oldest-pass 3: set 2 was rewritten after", AM_ARC_PASS, 3,
		  "lists.example", 0, 0 },
		{ "oldest-pass 3: a trusted newest set", AM_ARC_PASS, 3,
		  "lists.example mx.example", 0, 3 },
		{ "recorded results that do not parse are skipped",
		  AM_ARC_PASS, 0, "lists.example mx.example", 2, 3 },
		{ "the first hop trusted", AM_ARC_PASS, 0, "fwd.example", 0,
		  1 },
	};
	const struct am_arc_sealer *s;
	struct am_arc_trust *t;
	struct am_arc_result r;
	struct am_why why;
	size_t i;

	for (i = 0; i < NELEM(cases); i++) {
		t = am_arc_trust_new(cases[i].trusted, &why);
		ck_assert_ptr_nonnull(t);
		chain(&r, cases[i].st, cases[i].oldest, d, 3, cases[i].no_aar);
		s = am_arc_trust_vouching(&r, t);
		ck_assert_msg((s == NULL ? 0 : s->instance) == cases[i].want,
		    "%s: got i=%u, want i=%u", cases[i].name, s == NULL ? 0 :
		    s->instance, cases[i].want);
		am_arc_result_release(&r);
		t = am_arc_trust_free(t);
	}
	/* no chain at all */
	t = am_arc_trust_new("lists.example", &why);
	memset(&r, 0, sizeof(r));
	ck_assert_ptr_null(am_arc_trust_vouching(&r, t));
	am_arc_trust_free(t);
}
END_TEST

START_TEST(test_null_args)
{
	struct am_arc_result r;

	memset(&r, 0, sizeof(r));
	(void)am_arc_trust_vouching(&r, NULL);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("arc_trust");
	TCase *tc = tcase_create("arc_trust");

	tcase_add_test(tc, test_list);
	tcase_add_test(tc, test_is_trusted);
	tcase_add_test(tc, test_vouching);
	if (am_test_can_fork())
		tcase_add_test_raise_signal(tc, test_null_args, SIGABRT);
	suite_add_tcase(s, tc);
	return am_test_run(s);
}
