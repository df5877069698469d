/*
 * dkim_verify.c - one message through libopendkim's verifier, every
 * signature judged on its own (RFC 6376 §6.1, RFC 8463, RFC 8301 §3.1/§3.2,
 * RFC 6376 §8.2 for l=), results as RFC 8601 §2.7.1 resinfos.
 *
 * We keep our own light parse of every DKIM-Signature header (the d=, i=,
 * s=, a=, b= tags as written), because libopendkim may not keep a signature
 * it cannot parse, and a malformed signature must still be reported
 * (PITFALLS "DKIM": it used to give no A-R at all). libopendkim's siglist
 * gives the verdicts; each of our headers is matched to its siginfo by b=.
 * MaxSignatures is enforced by the prescreen in dkim_lib.c, which reads the
 * policy we attach as the handle's user context.
 */
#include "autoconf.h"

#include <arpa/nameser.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <opendkim/dkim.h>

#include "core/buf.h"
#include "core/xalloc.h"
#include "msg/authres.h"
#include "dns/dns_prefetch.h"
#include "dkim/dkim_lib.h"
#include "dkim/dkim_verify.h"

#define HDR_MAX		(4u << 20)	/* one rebuilt header, bytes */
#define BPREFIX_MIN	8		/* shortest header.b (RFC 6008 §4) */
#define PROP_MAX	255		/* longest header.d/i/s/a value written */

enum vstate { V_HEADERS, V_BODY, V_SKIP, V_DONE };

/* Our own copy of a DKIM-Signature header's tags. */
struct rawsig {
	char *d, *i, *s, *a, *b;	/* owned; "" when absent */
};

struct am_dkim_verify {
	struct am_dkim_lib *dl;		/* borrowed */
	DKIM *d;			/* owned: dkim_free(); NULL if no handle */
	enum vstate state;
	struct am_buf hdr;		/* scratch: "Name:value" with CRLF */
	struct rawsig *raw;		/* owned array of nraw */
	size_t nraw;			/* DKIM-Signature headers seen */
	struct am_dns_budget *budget;	/* borrowed: the message's DNS
					 * budget, or NULL */
	struct am_dns_prefetch *keys;	/* owned: the key lookups started at
					 * eoh, taken at eom; or NULL */
};

/* am_dkim_verify_new - a verifier with its libopendkim handle. */
struct am_dkim_verify *
am_dkim_verify_new(struct am_dkim_lib *dl, const char *jobid)
{
	struct am_dkim_verify *v;
	DKIM_STAT st;

	if (dl == NULL)
		AM_PANIC("am_dkim_verify_new: NULL lib");
	v = am_xcalloc(1, sizeof(*v));
	v->dl = dl;
	am_buf_init(&v->hdr, HDR_MAX);
	v->d = dkim_verify(am_dkim_lib_handle(dl),
	    (const unsigned char *)(jobid != NULL ? jobid : ""), NULL, &st);
	if (v->d != NULL)
		(void)dkim_set_user_context(v->d,
		    (void *)am_dkim_lib_policy(dl));
	return v;
}

/* am_dkim_verify_set_budget - key lookups wait against b (borrowed). */
void
am_dkim_verify_set_budget(struct am_dkim_verify *v, struct am_dns_budget *b)
{
	if (v == NULL)
		AM_PANIC("am_dkim_verify_set_budget: NULL verifier");
	v->budget = b;
}

static void
rawsig_release(struct rawsig *r)
{
	free(r->d);
	free(r->i);
	free(r->s);
	free(r->a);
	free(r->b);
}

/* am_dkim_verify_free - accepts NULL. */
struct am_dkim_verify *
am_dkim_verify_free(struct am_dkim_verify *v)
{
	size_t i;

	if (v == NULL)
		return NULL;
	if (v->d != NULL)
		(void)dkim_free(v->d);
	v->keys = am_dns_prefetch_free(v->keys);
	for (i = 0; i < v->nraw; i++)
		rawsig_release(&v->raw[i]);
	free(v->raw);
	am_buf_release(&v->hdr);
	free(v);
	return NULL;
}

/* tag_value - copy of tag's value in a tag-list; white space removed from
 * the ends, and everywhere when squeeze (b=). "" when absent. */
static char *
tag_value(const char *list, size_t len, const char *tag, bool squeeze)
{
	size_t tl = strlen(tag), i = 0, j, n;
	char *out;

	while (i < len) {
		while (i < len && isspace((unsigned char)list[i]))
			i++;
		j = i;
		while (j < len && list[j] != '=' && list[j] != ';')
			j++;
		n = j;
		while (n > i && isspace((unsigned char)list[n - 1]))
			n--;
		if (j < len && list[j] == '=' && n - i == tl &&
		    strncmp(list + i, tag, tl) == 0) {
			i = j + 1;
			j = i;
			while (j < len && list[j] != ';')
				j++;
			out = am_xmalloc(j - i + 1);
			for (n = 0; i < j; i++)
				if (!squeeze || !isspace((unsigned char)list[i]))
					out[n++] = list[i];
			while (n > 0 && isspace((unsigned char)out[n - 1]))
				n--;
			out[n] = '\0';
			for (i = 0; isspace((unsigned char)out[i]); i++)
				;
			memmove(out, out + i, n - i + 1);
			return out;
		}
		while (j < len && list[j] != ';')
			j++;
		i = j + 1;
	}
	return am_xstrdup("");
}

/* remember_sig - our own parse of a DKIM-Signature header value. */
static void
remember_sig(struct am_dkim_verify *v, const char *value, size_t len)
{
	struct rawsig *r;

	v->raw = am_xreallocarray(v->raw, v->nraw + 1, sizeof(*v->raw));
	r = &v->raw[v->nraw++];
	r->d = tag_value(value, len, "d", true);
	r->i = tag_value(value, len, "i", false);
	r->s = tag_value(value, len, "s", false);
	r->a = tag_value(value, len, "a", false);
	r->b = tag_value(value, len, "b", true);
}

/* rebuild - "name:value" with every bare "\n" made "\r\n". */
static enum am_status
rebuild(struct am_buf *b, const char *name, const char *value, size_t len)
{
	size_t i, start = 0;

	am_buf_reset(b);
	if (am_buf_puts(b, name) != AM_OK || am_buf_putc(b, ':') != AM_OK)
		return AM_PERMFAIL;
	for (i = 0; i < len; i++) {
		if (value[i] != '\n' || (i > 0 && value[i - 1] == '\r'))
			continue;
		if (am_buf_append(b, value + start, i - start) != AM_OK ||
		    am_buf_append(b, "\r\n", 2) != AM_OK)
			return AM_PERMFAIL;
		start = i + 1;
	}
	return am_buf_append(b, value + start, len - start);
}

/* am_dkim_verify_header - one header, in arrival order. */
void
am_dkim_verify_header(struct am_dkim_verify *v, const char *name,
    const char *value, size_t len)
{
	if (v == NULL || name == NULL || (value == NULL && len > 0))
		AM_PANIC("am_dkim_verify_header: NULL argument");
	if (v->state != V_HEADERS)
		AM_PANIC("am_dkim_verify_header: after eoh");
	if (value == NULL)
		value = "";
	if (strcasecmp(name, DKIM_SIGNHEADER) == 0)
		remember_sig(v, value, len);
	if (v->d == NULL || rebuild(&v->hdr, name, value, len) != AM_OK)
		return;
	(void)dkim_header(v->d, (unsigned char *)v->hdr.data, v->hdr.len);
}

/* no_error - libopendkim has recorded no error (UNKNOWN: none yet). */
static bool
no_error(DKIM_SIGERROR err)
{
	return err == DKIM_SIGERROR_OK || err == DKIM_SIGERROR_UNKNOWN;
}

/* sig_pending - still needs the body: not ignored, no error yet. After
 * dkim_eoh() a good signature is PROCESSED|PASSED with error UNKNOWN. */
static bool
sig_pending(DKIM_SIGINFO *sig)
{
	return (dkim_sig_getflags(sig) & DKIM_SIGFLAG_IGNORE) == 0 &&
	    no_error(dkim_sig_geterror(sig));
}

/* start_key - the key lookup of sig, started now (it runs while the body
 * streams; dkim_eom() takes it through the DNS hooks). libopendkim asks
 * for selector._domainkey.domain (dkim-keys.c); a name that would not fit
 * is left to it. */
static void
start_key(struct am_dkim_verify *v, DKIM_SIGINFO *sig)
{
	const char *d = (const char *)dkim_sig_getdomain(sig);
	const char *s = (const char *)dkim_sig_getselector(sig);
	char name[AM_DNS_MAX_NAME + 2];

	if (d == NULL || s == NULL || am_snprintf(name, sizeof(name),
	    "%s._domainkey.%s", s, d) != AM_OK)
		return;
	if (v->keys == NULL)
		v->keys = am_dns_prefetch_new(am_dkim_lib_dns(v->dl));
	(void)am_dns_prefetch_add(v->keys, name, ns_t_txt);
}

/* am_dkim_verify_eoh - start the key lookups; whether the body must be
 * hashed. The signatures are judged at eom (DELAYSIGPROC, dkim_lib.h). */
bool
am_dkim_verify_eoh(struct am_dkim_verify *v)
{
	DKIM_SIGINFO **sigs = NULL;
	DKIM_STAT st;
	int n = 0, i;
	bool more = false;

	if (v == NULL || v->state != V_HEADERS)
		AM_PANIC("am_dkim_verify_eoh: NULL or called twice");
	v->state = V_SKIP;
	if (v->d == NULL || v->nraw == 0)
		return false;
	st = dkim_eoh(v->d);
	if (st == DKIM_STAT_NOSIG)
		return false;
	if (dkim_getsiglist(v->d, &sigs, &n) != DKIM_STAT_OK)
		return false;
	for (i = 0; i < n; i++)
		if (sig_pending(sigs[i])) {
			start_key(v, sigs[i]);
			more = true;
		}
	if (more)
		v->state = V_BODY;
	return more;
}

/* am_dkim_verify_domains - the d= values written so far. */
size_t
am_dkim_verify_domains(const struct am_dkim_verify *v, const char **d,
    size_t max)
{
	size_t i;

	if (v == NULL || (d == NULL && max > 0))
		AM_PANIC("am_dkim_verify_domains: NULL argument");
	for (i = 0; i < v->nraw && i < max; i++)
		d[i] = v->raw[i].d;
	return i;
}

/* am_dkim_verify_body - one chunk, hashed as it streams. */
void
am_dkim_verify_body(struct am_dkim_verify *v, const void *p, size_t len)
{
	if (v == NULL || (p == NULL && len > 0))
		AM_PANIC("am_dkim_verify_body: NULL argument");
	if (v->state != V_BODY || len == 0)
		return;
	(void)dkim_body(v->d, (unsigned char *)(uintptr_t)p, len);
}

/* set_result - result and reason (copied). */
static void
set_result(struct am_dkim_sig *s, enum am_dkim_result r, const char *reason)
{
	s->result = r;
	free(s->reason);
	s->reason = am_xstrdup(reason);
}

/* err_result - the result libopendkim's per-signature error stands for. */
static enum am_dkim_result
err_result(DKIM_SIGERROR err)
{
	switch (err) {
	case DKIM_SIGERROR_KEYFAIL:
		return AM_DKIM_TEMPERROR;
	case DKIM_SIGERROR_BADSIG:
	case DKIM_SIGERROR_TOOLARGE_L:
		return AM_DKIM_FAIL;
	case DKIM_SIGERROR_KEYTOOSMALL:
	case DKIM_SIGERROR_MBSFAILED:
		return AM_DKIM_POLICY;
	default:
		return AM_DKIM_PERMERROR;	/* syntax, key, time */
	}
}

/* key_loaded - a key record was fetched and applied. libopendkim does not
 * always set KEYLOADED (not for ed25519), so a processed signature with no
 * key error counts too. */
static bool
key_loaded(unsigned int flags, DKIM_SIGERROR err)
{
	if (flags & DKIM_SIGFLAG_KEYLOADED)
		return true;
	if ((flags & DKIM_SIGFLAG_PROCESSED) == 0)
		return false;
	switch (err) {
	case DKIM_SIGERROR_NOKEY:
	case DKIM_SIGERROR_KEYFAIL:
	case DKIM_SIGERROR_DNSSYNTAX:
	case DKIM_SIGERROR_MULTIREPLY:
	case DKIM_SIGERROR_KEYVERSION:
	case DKIM_SIGERROR_KEYUNKNOWNHASH:
	case DKIM_SIGERROR_KEYHASHMISMATCH:
	case DKIM_SIGERROR_NOTEMAILKEY:
	case DKIM_SIGERROR_KEYTYPEMISSING:
	case DKIM_SIGERROR_KEYTYPEUNKNOWN:
	case DKIM_SIGERROR_KEYREVOKED:
	case DKIM_SIGERROR_KEYDECODE:
		return false;
	default:
		return true;
	}
}

/* key_info - bits, type and DNSSEC state of a loaded key. */
static void
key_info(DKIM_SIGINFO *sig, struct am_dkim_sig *s)
{
	dkim_alg_t alg = DKIM_SIGN_UNKNOWN;
	unsigned int bits = 0;

	if (!key_loaded(dkim_sig_getflags(sig), dkim_sig_geterror(sig)))
		return;
	(void)dkim_sig_getsignalg(sig, &alg);
	(void)dkim_sig_getkeysize(sig, &bits);
	if (alg == DKIM_SIGN_ED25519SHA256) {
		s->key_type = "ed25519";
		bits = 256;	/* libopendkim says 0 (LIBRARY-NOTES §2) */
	} else if (alg == DKIM_SIGN_RSASHA1 || alg == DKIM_SIGN_RSASHA256) {
		s->key_type = "rsa";
	}
	s->key_bits = bits;
	s->dnssec = dkim_sig_getdnssec(sig) == DKIM_DNSSEC_SECURE ?
	    AM_DKIM_DNSSEC_SECURE : AM_DKIM_DNSSEC_UNPROTECTED;
}

/* policy_check - RFC 8301 and l= rules on a signature that verified. */
static void
policy_check(struct am_dkim_verify *v, DKIM_SIGINFO *sig,
    struct am_dkim_sig *s)
{
	const struct am_dkim_policy *p = am_dkim_lib_policy(v->dl);
	dkim_alg_t alg = DKIM_SIGN_UNKNOWN;
	ssize_t msglen = 0, canonlen = 0, signlen = -1;
	char reason[128];

	(void)dkim_sig_getsignalg(sig, &alg);
	if (alg == DKIM_SIGN_RSASHA1 && !p->allow_sha1) {
		set_result(s, AM_DKIM_FAIL, "rsa-sha1 not allowed (RFC 8301)");
		return;
	}
	if (s->key_type != NULL && strcmp(s->key_type, "rsa") == 0 &&
	    s->key_bits < p->min_key_bits) {
		AM_SNPRINTF_FIT(reason, sizeof(reason),
		    "key too small (%u bits, minimum %u)", s->key_bits,
		    p->min_key_bits);
		set_result(s, AM_DKIM_POLICY, reason);
		return;
	}
	if (p->allow_body_length ||
	    dkim_sig_getcanonlen(v->d, sig, &msglen, &canonlen, &signlen) !=
	    DKIM_STAT_OK || signlen < 0 || signlen >= msglen)
		return;
	AM_SNPRINTF_FIT(reason, sizeof(reason),
	    "body length limit (l=) covers only %zd of %zd bytes", signlen,
	    msglen);
	set_result(s, AM_DKIM_POLICY, reason);
}

/* judge - one signature libopendkim processed. */
static void
judge(struct am_dkim_verify *v, DKIM_SIGINFO *sig, struct am_dkim_sig *s)
{
	unsigned int flags = dkim_sig_getflags(sig);
	DKIM_SIGERROR err = dkim_sig_geterror(sig);
	const char *es;

	if (flags & DKIM_SIGFLAG_IGNORE) {
		set_result(s, AM_DKIM_POLICY, "too many signatures");
		return;
	}
	key_info(sig, s);
	if ((flags & DKIM_SIGFLAG_PASSED) &&
	    dkim_sig_getbh(sig) == DKIM_SIGBH_MISMATCH) {
		set_result(s, AM_DKIM_FAIL, "body hash mismatch");
	} else if (!no_error(err)) {
		es = dkim_sig_geterrorstr(err);
		set_result(s, err_result(err), es != NULL ? es : "error");
	} else if ((flags & DKIM_SIGFLAG_PROCESSED) == 0) {
		set_result(s, AM_DKIM_PERMERROR, "signature not processed");
	} else if ((flags & DKIM_SIGFLAG_PASSED) == 0) {
		set_result(s, AM_DKIM_FAIL, "signature verification failed");
	} else if (dkim_sig_getbh(sig) != DKIM_SIGBH_MATCH) {
		set_result(s, AM_DKIM_FAIL, "body hash not verified");
	} else {
		set_result(s, AM_DKIM_PASS, "");
		policy_check(v, sig, s);
		return;
	}
	if (s->result == AM_DKIM_FAIL && (flags & DKIM_SIGFLAG_TESTKEY))
		s->result = AM_DKIM_NEUTRAL;
}

/* squeeze - copy of s without white space (owned). */
static char *
squeeze(const char *s)
{
	char *out = am_xstrdup(s);
	size_t i, n = 0;

	for (i = 0; out[i] != '\0'; i++)
		if (!isspace((unsigned char)out[i]))
			out[n++] = out[i];
	out[n] = '\0';
	return out;
}

/* find_sig - the first unused siginfo whose b= is b, or -1. */
static int
find_sig(DKIM_SIGINFO **sigs, int n, bool *used, const char *b)
{
	const unsigned char *sb;
	char *q;
	int i;
	bool same;

	for (i = 0; i < n; i++) {
		if (used[i])
			continue;
		sb = dkim_sig_gettagvalue(sigs[i], 0, (unsigned char *)"b");
		q = squeeze(sb != NULL ? (const char *)sb : "");
		same = strcmp(q, b) == 0;
		free(q);
		if (same) {
			used[i] = true;
			return i;
		}
	}
	return -1;
}

/* lower - ASCII lower-case in place. */
static char *
lower(char *s)
{
	char *p;

	for (p = s; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return s;
}

/* fill_sig - tags from our parse; the verdict from libopendkim. */
static void
fill_sig(struct am_dkim_verify *v, const struct rawsig *r,
    DKIM_SIGINFO *sig, struct am_dkim_sig *s)
{
	const char *why;

	s->domain = lower(am_xstrdup(r->d));
	s->identity = am_xstrdup(r->i);
	s->selector = am_xstrdup(r->s);
	s->algorithm = am_xstrdup(r->a);
	s->b = am_xstrdup(r->b);
	if (sig != NULL) {
		judge(v, sig, s);
		return;
	}
	/* libopendkim kept no siginfo: it could not parse the header. */
	why = v->d != NULL ? dkim_geterror(v->d) : NULL;
	set_result(s, AM_DKIM_PERMERROR, why != NULL && *why != '\0' ?
	    why : "malformed signature");
}

/* am_dkim_verify_eom - the verdict on every signature. */
void
am_dkim_verify_eom(struct am_dkim_verify *v, struct am_dkim_results *out)
{
	DKIM_SIGINFO **sigs = NULL;
	bool *used;
	size_t j;
	int n = 0, k;

	if (v == NULL || out == NULL || v->state == V_DONE)
		AM_PANIC("am_dkim_verify_eom: NULL or called twice");
	if (v->state == V_HEADERS)
		(void)am_dkim_verify_eoh(v);
	v->state = V_DONE;
	memset(out, 0, sizeof(*out));
	if (v->nraw == 0)
		return;
	if (v->d != NULL) {
		am_dkim_lib_budget_begin(v->budget);
		am_dkim_lib_prefetch_begin(v->keys);
		(void)dkim_eom(v->d, NULL);
		am_dkim_lib_prefetch_end();
		am_dkim_lib_budget_end();
		v->keys = am_dns_prefetch_free(v->keys);
		if (dkim_getsiglist(v->d, &sigs, &n) != DKIM_STAT_OK)
			n = 0;
	}
	used = am_xcalloc((size_t)n + 1, sizeof(*used));
	out->count = v->nraw;
	out->sigs = am_xcalloc(v->nraw, sizeof(*out->sigs));
	for (j = 0; j < v->nraw; j++) {
		k = find_sig(sigs, n, used, v->raw[j].b);
		fill_sig(v, &v->raw[j], k >= 0 ? sigs[k] : NULL,
		    &out->sigs[j]);
	}
	free(used);
}

/* am_dkim_results_release - free what res owns; leaves it empty. */
void
am_dkim_results_release(struct am_dkim_results *res)
{
	struct am_dkim_sig *s;
	size_t i;

	for (i = 0; i < res->count; i++) {
		s = &res->sigs[i];
		free(s->reason);
		free(s->domain);
		free(s->identity);
		free(s->selector);
		free(s->algorithm);
		free(s->b);
	}
	free(res->sigs);
	memset(res, 0, sizeof(*res));
}

/* am_dkim_result_name - the RFC 8601 result word. */
const char *
am_dkim_result_name(enum am_dkim_result r)
{
	static const char *const names[] = {
		[AM_DKIM_NONE] = "none", [AM_DKIM_PASS] = "pass",
		[AM_DKIM_FAIL] = "fail", [AM_DKIM_NEUTRAL] = "neutral",
		[AM_DKIM_POLICY] = "policy",
		[AM_DKIM_TEMPERROR] = "temperror",
		[AM_DKIM_PERMERROR] = "permerror",
	};

	if ((unsigned)r >= sizeof(names) / sizeof(names[0]))
		AM_PANIC("am_dkim_result_name: %d", (int)r);
	return names[r];
}

/* b_prefix_len - shortest prefix of res->sigs[i].b, at least
 * BPREFIX_MIN, that no other signature's b= starts with (RFC 6008 §4).
 * Signatures with the very same b= (a header repeated) cannot be told apart
 * by any prefix, so they do not lengthen it: without this, each copy was
 * written with its whole b= (~350 characters). */
static size_t
b_prefix_len(const struct am_dkim_results *res, size_t i)
{
	const char *b = res->sigs[i].b, *o;
	size_t len = strlen(b), l = BPREFIX_MIN, j, common;

	for (j = 0; j < res->count; j++) {
		o = res->sigs[j].b;
		if (j == i || strcmp(o, b) == 0)
			continue;
		for (common = 0; b[common] != '\0' && b[common] == o[common];)
			common++;
		if (common + 1 > l)
			l = common + 1;
	}
	return l < len ? l : len;
}

/* add_prop - header.<property>=value, when value is set and not absurdly
 * long (a d= of kilobytes is no domain; the reason says what was wrong). */
static void
add_prop(struct am_authres *ar, const char *property, const char *value)
{
	if (*value != '\0' && strlen(value) <= PROP_MAX)
		am_authres_add_prop(ar, "header", property, value);
}

/* add_one - one "dkim=" resinfo. */
static void
add_one(const struct am_dkim_results *res, size_t i, struct am_authres *ar)
{
	const struct am_dkim_sig *s = &res->sigs[i];
	char comment[96] = "", b[1024];
	size_t bl = b_prefix_len(res, i);

	if (s->key_type != NULL)
		AM_SNPRINTF_FIT(comment, sizeof(comment), "%u-bit %s key; %s",
		    s->key_bits, s->key_type,
		    s->dnssec == AM_DKIM_DNSSEC_SECURE ? "secure" :
		    "unprotected");
	am_authres_add_method(ar, "dkim", am_dkim_result_name(s->result),
	    s->result == AM_DKIM_PASS ? NULL : s->reason,
	    comment[0] != '\0' ? comment : NULL);
	add_prop(ar, "d", s->domain);
	add_prop(ar, "i", s->identity);
	add_prop(ar, "s", s->selector);
	add_prop(ar, "a", s->algorithm);
	if (bl > 0 && bl < sizeof(b)) {
		memcpy(b, s->b, bl);
		b[bl] = '\0';
		am_authres_add_prop(ar, "header", "b", b);
	}
}

/* am_dkim_results_add_authres - one resinfo per signature, or none. */
void
am_dkim_results_add_authres(const struct am_dkim_results *res,
    struct am_authres *ar)
{
	size_t i;

	if (res == NULL || ar == NULL)
		AM_PANIC("am_dkim_results_add_authres: NULL argument");
	if (res->count == 0) {
		am_authres_add_method(ar, "dkim", "none", NULL, NULL);
		return;
	}
	for (i = 0; i < res->count; i++)
		add_one(res, i, ar);
}
