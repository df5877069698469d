/*
 * fuzz_spf_rewrite.c - libFuzzer target for lib/spf_rewrite (contract in
 * spf_rewrite.h, build in tests/fuzz/README).
 *
 * The input, copied into a NUL-terminated buffer (exactly its bytes, so an
 * over-read is an ASan report), is a TXT record. Like lib/spf/spf_dns.c, only
 * text that starts with "v=spf1" and then a space or the end is given to
 * am_spf_record_valid() (it starts reading at rec + 6). For a record that
 * passes, am_spf_rewrite() runs for an IPv4 and an IPv6 client, each with
 * two tag pairs:
 *   A  ".amt" / ".amz": labels that are RFC 7208 toplabels;
 *   B  "._amt5f3c9a0e21d7" / "._amz5f3c9a0e21d7": shaped like the real
 *      tags of lib/spf/spf_dns.c ("._am" + letter + 12 hex digits).
 * Checks: AM_OK; the output is a C string of exactly out.len bytes under
 * the buffer's cap, starts with "v=spf1 ", has single spaces between terms
 * and no control or non-ASCII bytes; its only modifiers are exp= and
 * redirect= (at most one, and last); no ip4/ip6 term keeps "/0"; every
 * a/mx/exists term names a target ending in a tag (then only a CIDR);
 * it holds one directive per directive of the input, plus one per ip4/ip6
 * "/0" (split in two halves). Output A must pass am_spf_record_valid()
 * again. Output B cannot: the real tags are "_am..." labels, and an SPF
 * domain-spec must end in a toplabel (alphanumeric, RFC 7208 §7.1) -- by
 * design, so that no published name can be a tagged name. B must instead
 * be A with the tags swapped, and libspf2 (the compiler the rewrite is
 * for, SPF_record_compile() on a server with the zone resolver: no DNS
 * traffic, compiling asks none) must compile it. Any violation aborts.
 */
#include "autoconf.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <netinet/in.h>
#include <spf2/spf.h>

#include "core/am.h"
#include "core/buf.h"
#include "core/xalloc.h"
#include "spf/spf_rewrite.h"

#define OUT_MAX	65536		/* lib/spf/spf_dns.c compile() */
#define A_TERM	".amt"
#define A_ZERO	".amz"
#define B_TERM	"._amt5f3c9a0e21d7"
#define B_ZERO	"._amz5f3c9a0e21d7"

static SPF_server_t *server;	/* libspf2, zone resolver, for compiling */

/* fail - report a contract violation and abort. */
static _Noreturn void
fail(const char *what, const char *rec, const char *out)
{
	fprintf(stderr, "fuzz_spf_rewrite: %s\n  in:  [%s]\n  out: [%s]\n",
	    what, rec, out ? out : "");
	abort();
}

static void
quiet(const char *file, int line, const char *msg)
{
	(void)file;
	(void)line;
	(void)msg;
}

/* modifier_name - the name of a modifier term, or 0 for a directive. */
static size_t
modifier_name(const char *t, size_t len)
{
	size_t n = strcspn(t, "=:/ ");

	return n < len && t[n] == '=' ? n : 0;
}

/* is_ip_zero - ip4:X/0 or ip6:X/0 (qualifier already skipped). */
static bool
is_ip_zero(const char *t, size_t len)
{
	return len > 5 && (strncasecmp(t, "ip4:", 4) == 0 ||
	    strncasecmp(t, "ip6:", 4) == 0) && t[len - 2] == '/' &&
	    t[len - 1] == '0';
}

/* count_in - directives the rewrite must write for rec. */
static size_t
count_in(const char *rec)
{
	const char *p = rec + 6, *t;
	size_t len, n = 0;

	for (;;) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			return n;
		len = strcspn(p, " ");
		t = p;
		p += len;
		if (modifier_name(t, len) > 0)
			continue;
		if (strchr("+-?~", *t) != NULL)
			t++, len--;
		n += is_ip_zero(t, len) ? 2 : 1;
	}
}

/* has_tag_target - ":" target ending in a tag, then at most a CIDR. */
static bool
has_tag_target(const char *t, size_t len, const char *term, const char *zero)
{
	const char *colon = memchr(t, ':', len), *end = t + len, *q;
	size_t tl;

	if (colon == NULL || colon + 1 == end)
		return false;
	/* the CIDR: from the first '/' followed only by digits and '/' */
	for (q = colon; q < t + len; q++)
		if (*q == '/' && strspn(q, "0123456789/") >= (size_t)(t + len -
		    q)) {
			end = q;
			break;
		}
	tl = strlen(term);
	if ((size_t)(end - colon - 1) > tl &&
	    strncasecmp(end - tl, term, tl) == 0)
		return true;
	tl = strlen(zero);
	return (size_t)(end - colon - 1) > tl &&
	    strncasecmp(end - tl, zero, tl) == 0 && end == t + len;
}

/* check_terms - the shape of one output; returns its directive count. */
static size_t
check_terms(const char *rec, const char *out, const char *term,
    const char *zero)
{
	const char *p = out + 7, *t;
	size_t len, n, dirs = 0;
	bool redirect = false;

	if (strcmp(out, "v=spf1 ") == 0)
		return 0;
	for (; *p != '\0'; p += len + (p[len] == ' ')) {
		len = strcspn(p, " ");
		if (len == 0 || (p[len] == ' ' && p[len + 1] == '\0'))
			fail("empty term", rec, out);
		if (redirect)
			fail("term after redirect=", rec, out);
		if ((n = modifier_name(p, len)) > 0) {
			if (n == 8 && strncasecmp(p, "redirect", 8) == 0)
				redirect = true;
			else if (n != 3 || strncasecmp(p, "exp", 3) != 0)
				fail("unknown modifier kept", rec, out);
			continue;
		}
		dirs++;
		t = p + (strchr("+-?~", *p) != NULL);
		n = strcspn(t, ":/ ");
		if (is_ip_zero(t, len - (size_t)(t - p)))
			fail("ip4/ip6 with prefix length 0 kept", rec, out);
		if (((n == 1 && (*t | 0x20) == 'a') ||
		    (n == 2 && strncasecmp(t, "mx", 2) == 0) ||
		    (n == 6 && strncasecmp(t, "exists", 6) == 0)) &&
		    !has_tag_target(t, len - (size_t)(t - p), term, zero))
			fail("a/mx/exists target without a tag", rec, out);
	}
	return dirs;
}

/* check_out - what holds for any tag pair. */
static void
check_out(const char *rec, const struct am_buf *b, const char *term,
    const char *zero)
{
	const char *out = am_buf_str(b);
	size_t i;

	if (b->len >= OUT_MAX || strlen(out) != b->len)
		fail("output length", rec, out);
	if (strncmp(out, "v=spf1 ", 7) != 0)
		fail("output does not start with v=spf1 and a space", rec,
		    out);
	for (i = 0; out[i]; i++)
		if ((unsigned char)out[i] < 0x20 ||
		    (unsigned char)out[i] > 0x7e)
			fail("control or non-ASCII byte in output", rec, out);
	if (check_terms(rec, out, term, zero) != count_in(rec))
		fail("directives lost or added", rec, out);
}

/* same_but_tags - b is a with A_* tags replaced by B_* tags. */
static bool
same_but_tags(const char *a, const char *b)
{
	while (*a || *b) {
		if (strncmp(a, A_TERM, 4) == 0 &&
		    strncmp(b, B_TERM, strlen(B_TERM)) == 0)
			a += 4, b += strlen(B_TERM);
		else if (strncmp(a, A_ZERO, 4) == 0 &&
		    strncmp(b, B_ZERO, strlen(B_ZERO)) == 0)
			a += 4, b += strlen(B_ZERO);
		else if (*a++ != *b++)
			return false;
	}
	return true;
}

/* macro_limits - does rec hold a macro libspf2 1.2.10 refuses although
 * RFC 7208 §7.1 allows it: a "," or "/" delimiter (INVALID_DELIM), or a
 * transformer of 0 or more than 128 parts (BIG_SUBDOM)? */
static bool
macro_limits(const char *rec, SPF_errcode_t err)
{
	const char *p = rec;
	unsigned long v;
	size_t nd;

	while ((p = strchr(p, '%')) != NULL) {
		if (p[1] != '{') {	/* "%%", "%_", "%-" */
			p += p[1] != '\0' ? 2 : 1;
			continue;
		}
		p += p[2] != '\0' ? 3 : 2;	/* "%{" and the letter */
		for (v = 0, nd = 0; *p >= '0' && *p <= '9'; p++, nd++)
			v = v < 100000 ? v * 10 + (unsigned long)(*p - '0') : v;
		if (err == SPF_E_BIG_SUBDOM && nd > 0 && (v == 0 || v > 128))
			return true;
		if (*p == 'r' || *p == 'R')
			p++;
		for (; *p != '\0' && *p != '}'; p++)
			if (err == SPF_E_INVALID_DELIM && (*p == ',' || *p == '/'))
				return true;
	}
	return false;
}

/* data_len - bytes of the first len bytes of t once libspf2 compiled
 * them: "%-" is stored as "%20" (one byte more), "%%" and "%_" as one. */
static size_t
data_len(const char *t, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++, n++)
		if (t[i] == '%' && i + 1 < len && strchr("-%_", t[i + 1])) {
			n += t[i + 1] == '-' ? 2 : 0;
			i++;
		}
	return n;
}

/* long_term - a term whose data is over libspf2's SPF_MAX_STR_LEN
 * (BIG_STRING, and BIG_MECH / BIG_MOD: a compiled term over
 * SPF_MAX_MECH_LEN/_MOD_LEN). The data, not the text: a 255-byte term with
 * six "%-" is 261 bytes of data (found by CI's 60 s run, 2026-12-05). */
static bool
long_term(const char *out)
{
	size_t len;

	for (; *out != '\0'; out += len + (out[len] == ' '))
		if (data_len(out, (len = strcspn(out, " "))) > SPF_MAX_STR_LEN)
			return true;
	return false;
}

static unsigned long limit_hits[3];	/* tolerated refusals, by kind */

/* tolerated - a refusal explained by a libspf2 limit (README); the first
 * of each kind is printed so a run's log shows them. */
static bool
tolerated(SPF_errcode_t err, const char *rec, const char *out)
{
	int k;

	if (err == SPF_E_INVALID_DELIM && macro_limits(rec, err))
		k = 0;
	else if (err == SPF_E_BIG_SUBDOM && macro_limits(rec, err))
		k = 1;
	else if ((err == SPF_E_BIG_STRING || err == SPF_E_BIG_MECH ||
	    err == SPF_E_BIG_MOD) && long_term(out))
		k = 2;
	else
		return false;
	if (limit_hits[k]++ == 0)
		fprintf(stderr, "fuzz_spf_rewrite: libspf2 limit (%s): [%s]\n",
		    SPF_strerror(err), out);
	return true;
}

/* compile - libspf2 must compile the real-shaped text. */
static void
compile(const char *rec, const char *out)
{
	SPF_response_t *resp = SPF_response_new(NULL);
	SPF_record_t *r = NULL;
	SPF_errcode_t err;
	char what[128];

	if (resp == NULL)
		abort();
	err = SPF_record_compile(server, resp, &r, out);
	if (err != SPF_E_SUCCESS && !tolerated(err, rec, out)) {
		(void)snprintf(what, sizeof(what),
		    "libspf2 does not compile the output: %s",
		    SPF_strerror(err));
		fail(what, rec, out);
	}
	SPF_record_free(r);
	SPF_response_free(resp);
}

/* rewrite_one - one client family: both tag pairs, all checks. */
static void
rewrite_one(const char *rec, bool is_ipv6)
{
	struct am_spf_rewrite rw_a = { is_ipv6, A_TERM, A_ZERO };
	struct am_spf_rewrite rw_b = { is_ipv6, B_TERM, B_ZERO };
	struct am_buf a, b;

	am_buf_init(&a, OUT_MAX);
	am_buf_init(&b, OUT_MAX);
	if (am_spf_rewrite(rec, &rw_a, &a) != AM_OK ||
	    am_spf_rewrite(rec, &rw_b, &b) != AM_OK)
		fail("rewrite of a valid record failed", rec, NULL);
	check_out(rec, &a, A_TERM, A_ZERO);
	check_out(rec, &b, B_TERM, B_ZERO);
	if (!am_spf_record_valid(am_buf_str(&a)))
		fail("rewritten record is not valid", rec, am_buf_str(&a));
	if (!same_but_tags(am_buf_str(&a), am_buf_str(&b)))
		fail("outputs differ in more than the tags", am_buf_str(&a),
		    am_buf_str(&b));
	compile(rec, am_buf_str(&b));
	am_buf_release(&a);
	am_buf_release(&b);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	SPF_warning_handler = quiet;
	SPF_info_handler = quiet;
	SPF_debug_handler = quiet;
	if ((server = SPF_server_new(SPF_DNS_ZONE, 0)) == NULL) {
		fprintf(stderr, "fuzz_spf_rewrite: SPF_server_new failed\n");
		exit(1);
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *rec = am_xmemdup(data, size);

	if (strncasecmp(rec, "v=spf1", 6) == 0 &&
	    (rec[6] == ' ' || rec[6] == '\0') && am_spf_record_valid(rec)) {
		rewrite_one(rec, false);
		rewrite_one(rec, true);
	}
	free(rec);
	return 0;
}
