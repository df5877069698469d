/*
 * fuzz_from.c - libFuzzer target for lib/from (see tests/fuzz/README).
 * Each input is parsed as a header value (exactly len bytes; libFuzzer's
 * buffer has no slack, so any over-read is an ASan report). When it parses,
 * every mailbox must have a non-empty local-part and a domain that passes
 * am_domain_is_valid() and normalises to itself, or is a "[...]" literal
 * flagged is_literal; n is at most AM_FROM_MAX_MAILBOXES. The input up to
 * its first NUL is also given to am_addr_spec_parse() (same domain rules;
 * NULL outputs on failure) and to am_domain_normalise() (output valid and
 * idempotent). Any violation aborts.
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "msg/from.h"

/* check_domain - a parsed domain obeys the contract. */
static void
check_domain(const char *d, bool is_literal)
{
	char again[AM_DOMAIN_MAX_LEN + 1];
	size_t len = strlen(d);

	if (is_literal) {
		if (len < 2 || d[0] != '[' || d[len - 1] != ']')
			abort();
		return;
	}
	if (!am_domain_is_valid(d))
		abort();
	if (am_domain_normalise(d, again, sizeof(again), NULL) != AM_OK ||
	    strcmp(again, d) != 0)
		abort();
}

/* check_from - the header parser's contract. */
static void
check_from(const uint8_t *data, size_t size)
{
	struct am_from *f = (struct am_from *)1;
	struct am_why why;
	size_t i;

	if (am_from_parse((const char *)data, size, &f, &why) != AM_OK) {
		if (f != NULL || why.text[0] == '\0')
			abort();
		return;
	}
	if (f->n > AM_FROM_MAX_MAILBOXES)
		abort();
	for (i = 0; i < f->n; i++) {
		if (f->mbox[i].local[0] == '\0')
			abort();
		check_domain(f->mbox[i].domain, f->mbox[i].is_literal);
	}
	(void)am_from_free(f);
}

/* check_c_string - envelope and domain entry points on a C string. */
static void
check_c_string(const char *s)
{
	char *local = (char *)1, *domain = (char *)1;
	char out[AM_DOMAIN_MAX_LEN + 1];
	struct am_why why;

	if (am_addr_spec_parse(s, &local, &domain, &why) == AM_OK) {
		if (local[0] == '\0')
			abort();
		check_domain(domain, domain[0] == '[');
		free(local);
		free(domain);
	} else if (local != NULL || domain != NULL)
		abort();
	if (am_domain_normalise(s, out, sizeof(out), &why) == AM_OK)
		check_domain(out, false);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	check_from(data, size);
	s = am_xmemdup(data, size);
	check_c_string(s);
	free(s);
	return 0;
}
