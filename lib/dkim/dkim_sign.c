/*
 * dkim_sign.c - outbound DKIM signing (RFC 6376 §5, RFC 8463 §3: dual RSA +
 * Ed25519 signatures), relaxed/relaxed, with the keys the key store decoded
 * once at load (keys_pkey.c): no key is parsed per message.
 *
 * The headers are kept in a private struct am_msg as they are fed; the body
 * is hashed as it streams (dkim_canon.c). At end of message h= is the name
 * of each header in the signing list (not in the skip list), in message
 * order, then the oversigned names once more; the header hash is
 * am_dkim_hash_signed() over exactly that list (§5.4.2 picks instances
 * bottom-up), so what h= says and what is hashed cannot disagree. The
 * primitive is am_dkim_key_sign() (dkim_key.c: RSASSA-PKCS1-v1_5 with a
 * SHA-256 DigestInfo; PureEdDSA over the 32-byte SHA-256 hash, RFC 8463
 * §3), the one ARC signs with. The text of the header is
 * dkim_sign_text.c's.
 *
 * A DKIM-Signature already in the message that names one of our keys is
 * verified against that key (dkim_sign_claim.c); only one that verifies
 * stops that key from signing again.
 */
#include "autoconf.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/xalloc.h"
#include "msg/msg.h"
#include "dkim/dkim_canon.h"
#include "dkim/dkim_key.h"
#include "dkim/dkim_sign.h"
#include "dkim/dkim_sign_impl.h"

#define HDR_MAX		(1024 * 1024)	/* one header fed, bytes */
#define VALUE_MAX	(64 * 1024)	/* one DKIM-Signature value, bytes */
#define SCRATCH_MAX	(HDR_MAX + 256)	/* one canonical header */

/* RFC 6376 §5.4.1 plus the RFC 2369/2919 list fields (signed, never
 * oversigned: rspamd #2905). */
static const char *const default_sign[] = {
	"from", "reply-to", "subject", "date", "to", "cc", "message-id",
	"in-reply-to", "references", "mime-version", "content-type",
	"content-transfer-encoding", "list-id", "list-help",
	"list-unsubscribe", "list-subscribe", "list-post", "list-owner",
	"list-archive", "list-unsubscribe-post", NULL,
};

/* §5.4: fields never signed even when listed (libopendkim's
 * dkim_should_not_signhdrs, which the signer used to apply). */
static const char *const never_sign[] = {
	"return-path", "received", "comments", "keywords", NULL,
};

/* is_field_name - RFC 5322 §3.6.8 ftext. */
static bool
is_field_name(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (*s < 33 || *s > 126 || *s == ':')
			return false;
	return true;
}

/* is_never_signed - one of never_sign[]? */
static bool
is_never_signed(const char *name)
{
	for (size_t i = 0; never_sign[i] != NULL; i++)
		if (strcasecmp(never_sign[i], name) == 0)
			return true;
	return false;
}

/* in_list - is name (ASCII case-insensitive) one of v[0..n)? */
static bool
in_list(char *const *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(v[i], name) == 0)
			return true;
	return false;
}

/* add_name - append a lower-cased name unless present; false when full. */
static bool
add_name(char **v, size_t *n, const char *name)
{
	if (in_list(v, *n, name))
		return true;
	if (*n == NAMES_MAX)
		return false;
	v[*n] = am_xstrdup(name);
	for (char *p = v[*n]; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	(*n)++;
	return true;
}

/* parse_names - a comma/space list of header names into v; false on a bad
 * name (reported). */
static bool
parse_names(const char *list, const char *cfgkey, const char *source,
    char **v, size_t *n, struct am_buf *errs)
{
	char *copy = am_xstrdup(list), *p, *save;
	bool ok = true;

	for (p = strtok_r(copy, ", \t", &save); p != NULL;
	    p = strtok_r(NULL, ", \t", &save))
		if (!is_field_name(p) || !add_name(v, n, p)) {
			am_buf_line(errs, "%s: %s: bad or too many header "
			    "names at \"%s\"", source, cfgkey, p);
			ok = false;
		}
	free(copy);
	return ok;
}

/* set_lists - the names to sign and to oversign; false on a config error.
 * Oversigned names are signed too. */
static bool
set_lists(struct am_dkim_signer *sg, const struct am_config *cfg,
    struct am_buf *errs)
{
	bool ok;

	ok = parse_names(cfg->sign_headers, "SignHeaders", cfg->source,
	    sg->sign, &sg->nsign, errs);
	if (sg->nsign == 0)
		for (size_t i = 0; default_sign[i] != NULL; i++)
			add_name(sg->sign, &sg->nsign, default_sign[i]);
	add_name(sg->sign, &sg->nsign, "from");	/* RFC 6376 §5.4: MUST */
	ok = parse_names(cfg->oversign_headers, "OversignHeaders",
	    cfg->source, sg->over, &sg->nover, errs) && ok;
	for (size_t i = 0; i < sg->nover; i++)
		if (!add_name(sg->sign, &sg->nsign, sg->over[i])) {
			am_buf_line(errs, "%s: SignHeaders/OversignHeaders: "
			    "more than %d header names", cfg->source,
			    NAMES_MAX);
			ok = false;
			break;
		}
	return ok;
}

/* am_dkim_signer_new - per-configuration signing context (see header). */
struct am_dkim_signer *
am_dkim_signer_new(const struct am_config *cfg, const struct am_keys *keys,
    struct am_buf *errs)
{
	struct am_dkim_signer *sg = am_xcalloc(1, sizeof(*sg));

	sg->keys = keys;
	sg->ttl = (uint64_t)cfg->signature_ttl;
	sg->max_headers = cfg->max_headers > 0 ? (size_t)cfg->max_headers :
	    1000;
	if (!set_lists(sg, cfg, errs))
		return am_dkim_signer_free(sg);
	return sg;
}

/* am_dkim_signer_fix_time - tests: every t= is t (see header). */
void
am_dkim_signer_fix_time(struct am_dkim_signer *sg, uint64_t t)
{
	sg->fixed_time = t;
}

/* am_dkim_signer_free - release (see header). */
struct am_dkim_signer *
am_dkim_signer_free(struct am_dkim_signer *sg)
{
	if (sg == NULL)
		return NULL;
	for (size_t i = 0; i < sg->nsign; i++)
		free(sg->sign[i]);
	for (size_t i = 0; i < sg->nover; i++)
		free(sg->over[i]);
	free(sg);
	return NULL;
}

/* latch - remember the first failure. */
static void AM_FMT(2, 3)
latch(struct am_dkim_sign *s, const char *fmt, ...)
{
	va_list ap;

	if (s->st != AM_OK)
		return;
	s->st = AM_PERMFAIL;
	va_start(ap, fmt);
	vsnprintf(s->why.text, sizeof(s->why.text), fmt, ap);
	va_end(ap);
}

/* am_dkim_sign_within - see dkim_sign_impl.h. */
bool
am_dkim_sign_within(const char *addr, size_t len, const char *d)
{
	const char *at = memrchr(addr, '@', len);
	size_t sl, dl = strlen(d);

	if (at == NULL)
		return false;
	at++;
	sl = len - (size_t)(at - addr);
	return (sl == dl && strncasecmp(at, d, dl) == 0) || (sl > dl &&
	    at[sl - dl - 1] == '.' && strncasecmp(at + sl - dl, d, dl) == 0);
}

/* set_signer - i= from the signing table's signer field, "%" = From
 * domain; left out when it is not within d= (as OpenDKIM does). */
static void
set_signer(struct slot *sl, const char *tmpl, const char *from_domain)
{
	char buf[512];
	size_t n = 0;

	for (; *tmpl != '\0' && n + 1 < sizeof(buf); tmpl++)
		if (*tmpl == '%' && n + strlen(from_domain) + 1 < sizeof(buf))
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s",
			    from_domain);
		else
			buf[n++] = *tmpl;
	buf[n] = '\0';
	if (n < sizeof(sl->signer) && am_dkim_sign_within(buf, n, sl->domain))
		memcpy(sl->signer, buf, n + 1);
}

/* am_dkim_sign_body_for - see dkim_sign_impl.h. */
size_t
am_dkim_sign_body_for(struct am_dkim_sign *s, enum am_dkim_canon c,
    int64_t limit)
{
	for (size_t i = 0; i < s->nbody; i++)
		if (s->body[i].canon == c && s->body[i].limit == limit)
			return i;
	if (s->nbody == BODIES_MAX)
		return SIZE_MAX;
	s->body[s->nbody].canon = c;
	s->body[s->nbody].limit = limit;
	s->body[s->nbody].h = am_dkim_body_new(c, limit);
	return s->nbody++;
}

/* am_dkim_sign_new - one message's signer (see header). */
struct am_dkim_sign *
am_dkim_sign_new(const struct am_dkim_signer *sg, const char *jobid,
    const char *from_local, const char *from_domain)
{
	struct am_dkim_sign *s = am_xcalloc(1, sizeof(*s));
	const struct am_key *k[AM_KEYS_MAX_PER_MSG];
	const char *signer;
	size_t n;

	(void)jobid;
	s->sg = sg;
	s->t = sg->fixed_time ? sg->fixed_time : (uint64_t)time(NULL);
	s->from_domain = am_xstrdup(from_domain ? from_domain : "");
	am_buf_init(&s->scratch, SCRATCH_MAX);
	n = am_keys_lookup(sg->keys, from_local, s->from_domain, k,
	    AM_KEYS_MAX_PER_MSG, &signer);
	for (size_t i = 0; i < n; i++) {
		struct slot *sl = &s->slot[s->nslots++];

		sl->key = k[i];
		sl->domain = am_key_domain(k[i], s->from_domain);
		sl->alg = k[i]->alg == AM_KEY_ED25519_SHA256 ?
		    AM_DKIM_ALG_ED25519_SHA256 : AM_DKIM_ALG_RSA_SHA256;
		sl->is_active = true;
		if (signer != NULL)
			set_signer(sl, signer, s->from_domain);
	}
	if (s->nslots > 0) {
		s->m = am_msg_new();
		/* body[0]: ours */
		(void)am_dkim_sign_body_for(s, AM_DKIM_CANON_RELAXED, -1);
	}
	return s;
}

/* am_dkim_sign_keys - keys still to sign with. */
size_t
am_dkim_sign_keys(const struct am_dkim_sign *s)
{
	size_t n = 0;

	for (size_t i = 0; i < s->nslots; i++)
		n += s->slot[i].is_active;
	return n;
}

/* am_dkim_sign_header - feed one header (see header). */
void
am_dkim_sign_header(struct am_dkim_sign *s, const char *name,
    const char *value, size_t value_len)
{
	if (am_dkim_sign_keys(s) == 0 || s->st != AM_OK)
		return;
	if (!am_msg_add_header(s->m, name, value, value_len,
	    s->sg->max_headers, HDR_MAX)) {
		latch(s, "header %.64s: more than %zu header fields, or one "
		    "over %d bytes, to sign", name, s->sg->max_headers,
		    HDR_MAX);
		return;
	}
	if (strcasecmp(name, "DKIM-Signature") == 0)
		am_dkim_sign_claim(s, am_msg_header_kept(s->m) - 1);
}

/* am_dkim_sign_eoh - end of headers (nothing to do: the headers are
 * hashed at end of message, when the signature's own header exists). */
void
am_dkim_sign_eoh(struct am_dkim_sign *s)
{
	(void)s;
}

/* am_dkim_sign_body - one body chunk into every body hash. */
void
am_dkim_sign_body(struct am_dkim_sign *s, const void *p, size_t len)
{
	if (s->is_eom)
		AM_PANIC("am_dkim_sign_body after eom");
	if (s->st != AM_OK)
		return;
	for (size_t i = 0; i < s->nbody; i++)
		am_dkim_body_update(s->body[i].h, p, len);
}

/* hlist - h=: each signed field present, in message order, named as it
 * is written, then each oversigned name; names[] (room for max, at most
 * AM_DKIM_SIG_MAX_HNAMES) views into s->m and the signer. false (latched)
 * when there are too many, or no From. */
static bool
hlist(struct am_dkim_sign *s, struct am_str *names, size_t max, size_t *n,
    struct am_buf *h)
{
	const struct am_dkim_signer *sg = s->sg;
	size_t kept = am_msg_header_kept(s->m), i;

	*n = 0;
	for (i = 0; i < kept + sg->nover; i++) {
		const char *name = i < kept ? am_msg_header(s->m, i)->name :
		    sg->over[i - kept];

		if (i < kept && (!in_list(sg->sign, sg->nsign, name) ||
		    is_never_signed(name)))
			continue;
		if (*n == max) {
			latch(s, "more than %d header fields to sign",
			    AM_DKIM_SIG_MAX_HNAMES);
			return false;
		}
		names[(*n)++] = (struct am_str){ name, strlen(name) };
		if ((h->len > 0 && am_buf_putc(h, ':') != AM_OK) ||
		    am_buf_puts(h, name) != AM_OK) {
			latch(s, "h= longer than %d bytes", VALUE_MAX);
			return false;
		}
	}
	if (!am_dkim_sign_has_from(names, *n))
		latch(s, "no From header field to sign (RFC 6376 §5.4)");
	return s->st == AM_OK;
}

/* sign_slot - the DKIM-Signature of one key into sl->value. */
static bool
sign_slot(struct am_dkim_sign *s, struct slot *sl, const struct am_str *names,
    size_t n, const char *h, const char *bh, struct am_buf *v)
{
	struct am_dkim_sign_tags t = { sl->alg, sl->domain,
	    sl->key->selector, s->t, s->sg->ttl ? s->t + s->sg->ttl : 0,
	    sl->signer, bh, h, sl->alg == AM_DKIM_ALG_RSA_SHA256 ?
	    sl->key->bits : 0 };
	unsigned char hash[AM_DKIM_SHA256_LEN];
	struct am_buf b64;
	bool ok;

	am_buf_init(&b64, 4 * AM_DKIM_SIG_MAX_BYTES);
	ok = am_dkim_sign_text(&t, "", v) == AM_OK &&
	    am_dkim_hash_signed(s->m, names, n, false, AM_DKIM_CANON_RELAXED,
	    "DKIM-Signature", am_buf_str(v), v->len, NULL, &s->scratch,
	    hash) == AM_OK && am_dkim_key_sign(sl->key->pkey, sl->alg, hash,
	    &b64) == AM_OK && am_dkim_sign_text(&t, am_buf_str(&b64), v) ==
	    AM_OK;
	if (ok)
		sl->value = am_xstrdup(am_buf_str(v));
	else
		latch(s, "signing d=%s s=%s: a header outgrew its cap or "
		    "OpenSSL failed", sl->domain, sl->key->selector);
	am_buf_release(&b64);
	return ok;
}

/* sign_all - a signature for every key still active. */
static void
sign_all(struct am_dkim_sign *s)
{
	size_t max = am_msg_header_kept(s->m) + s->sg->nover, n;
	unsigned char digest[AM_DKIM_SHA256_LEN];
	struct am_str *names;
	struct am_buf h, bh, v;

	if (am_dkim_sign_keys(s) == 0)
		return;		/* every key had signed already */
	if (max > AM_DKIM_SIG_MAX_HNAMES)
		max = AM_DKIM_SIG_MAX_HNAMES;
	names = am_xreallocarray(NULL, max + 1, sizeof(*names));
	am_buf_init(&h, VALUE_MAX);
	am_buf_init(&bh, 64);
	am_buf_init(&v, VALUE_MAX);
	am_dkim_body_final(s->body[0].h, digest);
	if (am_dkim_b64_encode(digest, sizeof(digest), &bh) == AM_OK &&
	    hlist(s, names, max, &n, &h))
		for (size_t i = 0; i < s->nslots && s->st == AM_OK; i++)
			if (s->slot[i].is_active && sign_slot(s, &s->slot[i],
			    names, n, am_buf_str(&h), am_buf_str(&bh), &v))
				s->done[s->ndone++] = i;
	am_buf_release(&h);
	am_buf_release(&bh);
	am_buf_release(&v);
	free(names);
}

/* am_dkim_sign_eom - produce the signatures (see header). */
enum am_status
am_dkim_sign_eom(struct am_dkim_sign *s, struct am_why *why)
{
	if (!s->is_eom && am_dkim_sign_keys(s) > 0 && s->st == AM_OK) {
		for (size_t i = 0; i < s->nbody; i++)
			am_dkim_body_final(s->body[i].h, s->body[i].digest);
		am_dkim_sign_settle(s);
		sign_all(s);
	}
	s->is_eom = true;
	if (s->st != AM_OK) {
		s->ndone = 0;
		if (why != NULL)
			*why = s->why;
	}
	return s->st;
}

/* am_dkim_sign_note - existing signatures with our keys (see header). */
const char *
am_dkim_sign_note(const struct am_dkim_sign *s)
{
	return s->note;
}

/* am_dkim_sign_count - signatures ready after a successful eom. */
size_t
am_dkim_sign_count(const struct am_dkim_sign *s)
{
	return s->ndone;
}

/* slot_at - the slot of signature i (panics when out of range). */
static const struct slot *
slot_at(const struct am_dkim_sign *s, size_t i)
{
	if (i >= s->ndone)
		AM_PANIC("am_dkim_sign: signature %zu of %zu", i, s->ndone);
	return &s->slot[s->done[i]];
}

/* am_dkim_sign_value - header value of signature i (borrowed). */
const char *
am_dkim_sign_value(const struct am_dkim_sign *s, size_t i)
{
	return slot_at(s, i)->value;
}

/* am_dkim_sign_domain - d= of signature i (borrowed). */
const char *
am_dkim_sign_domain(const struct am_dkim_sign *s, size_t i)
{
	return slot_at(s, i)->domain;
}

/* am_dkim_sign_selector - s= of signature i (borrowed). */
const char *
am_dkim_sign_selector(const struct am_dkim_sign *s, size_t i)
{
	return slot_at(s, i)->key->selector;
}

/* am_dkim_sign_free - release (see header). */
struct am_dkim_sign *
am_dkim_sign_free(struct am_dkim_sign *s)
{
	if (s == NULL)
		return NULL;
	for (size_t i = 0; i < s->nslots; i++)
		free(s->slot[i].value);
	for (size_t i = 0; i < s->nbody; i++)
		s->body[i].h = am_dkim_body_free(s->body[i].h);
	s->m = am_msg_free(s->m);
	am_buf_release(&s->scratch);
	free(s->from_domain);
	free(s);
	return NULL;
}
