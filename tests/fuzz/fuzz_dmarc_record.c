/*
 * fuzz_dmarc_record.c - libFuzzer target for DMARC record parsing:
 * am_dmarc_is_record(), am_dmarc_tag_next() (lib/dmarc/orgdomain.c) and
 * am_dmarc_record_parse() (lib/dmarc/dmarc_record.c); contract in orgdomain.h,
 * build in tests/fuzz/README.
 *
 * am_dmarc_is_record() gets libFuzzer's own buffer (exactly size bytes, no
 * slack, so an over-read is an ASan report) and must agree with a model of
 * the "v" *WSP "=" *WSP "DMARC1" (end / WSP / ";") prefix. The rest works
 * on a NUL-terminated copy (the TXT text as lib/ sees it): every tag-spec
 * am_dmarc_tag_next() gives lies inside the text, is trimmed of WSP, holds
 * no ';', has a name without '=', and the walk ends. am_dmarc_record_parse()
 * runs twice, with the author at the policy domain and with a subdomain
 * author; both must give the same answer. On AM_OK every field of the
 * record must be in range (policies, pct 0..100, adkim/aspf, psd, fo of
 * dmarc-fo characters, rua URIs NUL-terminated inside their slots, with a
 * scheme and no '!' or white space, nrua <= AM_DMARC_MAX_RUA); otherwise
 * why.text is non-empty. Any violation aborts.
 */
#include "autoconf.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/am.h"
#include "core/xalloc.h"
#include "dmarc/orgdomain.h"

#define POLICY_DOMAIN	"example.com"
#define SUB_AUTHOR	"mail.sub.example.com"

/* fail - report a contract violation and abort. */
static _Noreturn void
fail(const char *what, const char *txt)
{
	fprintf(stderr, "fuzz_dmarc_record: %s [%s]\n", what, txt);
	abort();
}

static bool
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* model_is_record - orgdomain.h's definition of the version prefix. */
static bool
model_is_record(const char *t, size_t len)
{
	size_t i = 1;

	if (len == 0 || (t[0] != 'v' && t[0] != 'V'))
		return false;
	while (i < len && is_wsp(t[i]))
		i++;
	if (i == len || t[i++] != '=')
		return false;
	while (i < len && is_wsp(t[i]))
		i++;
	if (len - i < 6 || memcmp(t + i, "DMARC1", 6) != 0)
		return false;
	i += 6;
	return i == len || is_wsp(t[i]) || t[i] == ';';
}

/* check_view - a view lies inside [lo, hi), trimmed, without stop chars. */
static void
check_view(struct am_str s, const char *lo, const char *hi,
    const char *stops, const char *txt)
{
	if (s.p < lo || s.p > hi || s.len > (size_t)(hi - s.p))
		fail("tag view outside the text", txt);
	if (s.len > 0 && (is_wsp(s.p[0]) || is_wsp(s.p[s.len - 1])))
		fail("tag view not trimmed", txt);
	if (s.len > 0 && memchr(s.p, '\0', s.len) != NULL)
		fail("tag view holds a NUL", txt);
	for (; *stops; stops++)
		if (s.len > 0 && memchr(s.p, *stops, s.len) != NULL)
			fail("tag view holds a separator", txt);
}

/* check_tags - walk the tag-list; every view inside txt, pos advancing. */
static void
check_tags(const char *txt)
{
	const char *pos = txt, *prev, *hi = txt + strlen(txt);
	struct am_str n, v;
	size_t steps = 0;

	for (;;) {
		prev = pos;
		if (!am_dmarc_tag_next(&pos, &n, &v))
			break;
		if (pos <= prev || pos > hi || (*pos != '\0' && *pos != ';'))
			fail("tag_next position", txt);
		if (n.len == 0 && v.p == NULL)
			fail("empty tag-spec returned", txt);
		check_view(n, prev, pos, ";=", txt);
		if (v.p != NULL)
			check_view(v, n.p + n.len, pos, ";", txt);
		if (++steps > strlen(txt))
			fail("tag_next does not end", txt);
	}
	if (*pos != '\0')
		fail("tag_next ended before the end", txt);
}

/* check_uri - one kept rua URI: NUL inside its slot, scheme ":" more. */
static void
check_uri(const char *u, const char *txt)
{
	const char *nul = memchr(u, '\0', AM_DMARC_URI_MAX);
	const char *colon;
	size_t i;

	if (nul == NULL)
		fail("rua not NUL-terminated in its slot", txt);
	colon = strchr(u, ':');
	if (colon == NULL || colon == u || colon[1] == '\0')
		fail("rua without scheme:...", txt);
	if (strchr(u, '!') != NULL)
		fail("rua keeps !size", txt);
	for (i = 0; u[i]; i++)
		if ((unsigned char)u[i] <= ' ' || u[i] == 0x7f)
			fail("rua holds white space or a control", txt);
}

static bool
policy_ok(enum am_dmarc_policy p, bool unspec_ok)
{
	return p == AM_DMARC_POLICY_NONE || p == AM_DMARC_POLICY_QUARANTINE ||
	    p == AM_DMARC_POLICY_REJECT ||
	    (unspec_ok && p == AM_DMARC_POLICY_UNSPEC);
}

/* check_record - the field ranges orgdomain.h promises on AM_OK. */
static void
check_record(const struct am_dmarc_record *r, const char *txt)
{
	size_t i;

	if (!policy_ok(r->p, false) || !policy_ok(r->sp, true) ||
	    !policy_ok(r->np, true))
		fail("policy out of range", txt);
	if (r->pct < 0 || r->pct > 100)
		fail("pct out of range", txt);
	if ((r->adkim != 'r' && r->adkim != 's') ||
	    (r->aspf != 'r' && r->aspf != 's'))
		fail("adkim/aspf not r or s", txt);
	if (r->psd != 'y' && r->psd != 'n' && r->psd != 'u')
		fail("psd not y, n or u", txt);
	if (memchr(r->fo, '\0', sizeof(r->fo)) == NULL || r->fo[0] == '\0' ||
	    strspn(r->fo, "01ds:") != strlen(r->fo))
		fail("fo", txt);
	if (r->is_p_replaced && (r->p != AM_DMARC_POLICY_NONE ||
	    r->nrua == 0))
		fail("p replaced without p=none and a rua", txt);
	if (r->nrua > AM_DMARC_MAX_RUA)
		fail("nrua", txt);
	for (i = 0; i < r->nrua; i++)
		check_uri(r->rua[i], txt);
}

/* parse_one - parse txt for author at POLICY_DOMAIN and check it. */
static enum am_status
parse_one(const char *txt, const char *author, struct am_dmarc_record *r)
{
	struct am_why why;
	enum am_status st;

	why.text[0] = '\0';
	st = am_dmarc_record_parse(txt, author, POLICY_DOMAIN, r, &why);
	if (st == AM_OK)
		check_record(r, txt);
	else if (st != AM_PERMFAIL || why.text[0] == '\0' ||
	    memchr(why.text, '\0', sizeof(why.text)) == NULL)
		fail("failure without a reason", txt);
	return st;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct am_why why;

	(void)argc;
	(void)argv;
	if (am_dmarc_lib_init(&why) != AM_OK) {
		fprintf(stderr, "fuzz_dmarc_record: %s\n", why.text);
		exit(1);
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct am_dmarc_record a, b;
	enum am_status sa, sb;
	char *txt;

	if (am_dmarc_is_record((const char *)data, size) !=
	    model_is_record((const char *)data, size))
		fail("is_record disagrees with the model", "(raw input)");
	txt = am_xmemdup(data, size);
	check_tags(txt);
	sa = parse_one(txt, POLICY_DOMAIN, &a);
	sb = parse_one(txt, SUB_AUTHOR, &b);
	if (sa != sb)
		fail("author at the policy domain and below disagree", txt);
	if (sa == AM_OK && (a.p != b.p || a.sp != b.sp || a.pct != b.pct ||
	    a.adkim != b.adkim || a.aspf != b.aspf || a.nrua != b.nrua))
		fail("record differs for a subdomain author", txt);
	if (sa == AM_OK && !am_dmarc_is_record(txt, strlen(txt)))
		fail("parsed without v=DMARC1", txt);
	free(txt);
	return 0;
}
