/*
 * dkim_sign.c - outbound DKIM signing through libopendkim, one handle per
 * key (RFC 8463 §3: dual RSA + Ed25519 signatures), relaxed/relaxed.
 *
 * LIBRARY-NOTES §2 "Sign" traps handled here: the canonicalizations are
 * always given (-1 aborts), key/selector/domain are never NULL, the key is
 * the PKCS#8 PEM string the key store made, SIGNHDRS is always set (else
 * Received and every other header are signed), OVERSIGNHDRS names are added
 * to SIGNHDRS, and dkim_getsighdr_d()'s "\r\n\t" folding loses its CRs.
 *
 * A DKIM-Signature already in the message that names one of our keys (d=
 * and s=) is verified, not believed: one verify handle on the signer's own
 * library sees the same headers and body as the signing handles, and its key
 * lookup (dkim_set_key_lookup) answers from our key store, never from DNS,
 * and only for our keys. Only a signature that verifies stops that key from
 * signing again (issue 21: a client forging d=/s= suppressed our signature).
 */
#include "autoconf.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <opendkim/dkim.h>

#include "core/xalloc.h"
#include "dkim/dkim_mem.h"
#include "dkim/dkim_sign.h"

#define HDR_MAX		(1024 * 1024)	/* one header fed, bytes */
#define NAMES_MAX	64		/* header names in a list */

/* RFC 6376 §5.4.1 plus the RFC 2369/2919 list fields (signed, never
 * oversigned: rspamd #2905). */
static const char *const default_sign[] = {
	"from", "reply-to", "subject", "date", "to", "cc", "message-id",
	"in-reply-to", "references", "mime-version", "content-type",
	"content-transfer-encoding", "list-id", "list-help",
	"list-unsubscribe", "list-subscribe", "list-post", "list-owner",
	"list-archive", "list-unsubscribe-post", NULL,
};

#define NOTE_CUT ",..."	/* ends a note with more claims than fit */

struct am_dkim_signer {
	DKIM_LIB *lib;			/* owned; options fixed at creation */
	const struct am_keys *keys;	/* borrowed */
};

#define CLAIMS_MAX	AM_KEYS_MAX_PER_MSG	/* existing signatures checked */

/* One key's signature in progress. */
struct slot {
	DKIM *dk;			/* owned handle; NULL once dropped */
	struct am_dkim_mem mem;		/* dk's allocations (dkim_mem.h) */
	const struct am_key *key;	/* borrowed from the key store */
	const char *domain;		/* d=: borrowed (key or s->from_domain) */
	char *value;			/* owned result, after eom */
	bool is_claimed;		/* a DKIM-Signature names this key */
};

struct am_dkim_sign {
	const struct am_dkim_signer *sg; /* borrowed */
	char *jobid;			/* owned */
	char *from_domain;		/* owned */
	struct slot slot[AM_KEYS_MAX_PER_MSG]; /* keys for this message */
	size_t nslots;			/* used entries of slot[] */
	size_t done[AM_KEYS_MAX_PER_MSG]; /* slot index of signature i */
	size_t ndone;			/* signatures produced */
	struct am_buf hdr;		/* scratch: "Name:value" with CRLF */
	enum am_status st;		/* first error while feeding */
	struct am_why why;		/* its reason */
	DKIM *vdk;			/* owned verify handle for claims, or
					 * NULL (none seen by eoh, or done) */
	struct am_dkim_mem vmem;	/* vdk's allocations */
	char note[256];			/* claims found, for the log line */
	bool is_note_cut;		/* note ends in "..." (more claims
					 * than it can hold) */
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

/* add_name - append a lower-cased name unless present; false when full. */
static bool
add_name(char **v, size_t *n, const char *name)
{
	for (size_t i = 0; i < *n; i++)
		if (strcasecmp(v[i], name) == 0)
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
			am_buf_line(errs, "%s: %s: bad or too many header names at "
			    "\"%s\"", source, cfgkey, p);
			ok = false;
		}
	free(copy);
	return ok;
}

/* free_names - release a list built by add_name. */
static void
free_names(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
}

/* set_lists - SIGNHDRS, OVERSIGNHDRS, SKIPHDRS; false on a config error.
 * libopendkim copies the lists (dkim_options compiles/copies them). */
static bool
set_lists(DKIM_LIB *lib, const struct am_config *cfg, struct am_buf *errs)
{
	char *sign[NAMES_MAX + 1] = { 0 }, *over[NAMES_MAX + 1] = { 0 };
	size_t ns = 0, no = 0;
	bool ok;

	ok = parse_names(cfg->sign_headers, "SignHeaders", cfg->source, sign,
	    &ns, errs);
	if (ns == 0)
		for (size_t i = 0; default_sign[i] != NULL; i++)
			add_name(sign, &ns, default_sign[i]);
	add_name(sign, &ns, "from");	/* RFC 6376 §5.4: MUST */
	ok = parse_names(cfg->oversign_headers, "OversignHeaders",
	    cfg->source, over, &no, errs) && ok;
	for (size_t i = 0; i < no; i++)
		if (!add_name(sign, &ns, over[i]))
			ok = false;
	if (ok && (dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_SIGNHDRS, sign,
	    sizeof(char **)) != DKIM_STAT_OK ||
	    dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_OVERSIGNHDRS, over,
	    sizeof(char **)) != DKIM_STAT_OK ||
	    dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_SKIPHDRS,
	    dkim_should_not_signhdrs, sizeof(char **)) != DKIM_STAT_OK)) {
		am_buf_line(errs, "%s: SignHeaders/OversignHeaders: libopendkim "
		    "refused the header lists", cfg->source);
		ok = false;
	}
	free_names(sign, ns);
	free_names(over, no);
	return ok;
}

/* slot_named - the slot whose key is d=/s=, or NULL. */
static struct slot *
slot_named(struct am_dkim_sign *s, const char *d, const char *sel)
{
	for (size_t i = 0; i < s->nslots; i++)
		if (strcasecmp(s->slot[i].domain, d) == 0 &&
		    strcasecmp(s->slot[i].key->selector, sel) == 0)
			return &s->slot[i];
	return NULL;
}

/* sig_slot - the slot a siginfo of the verify handle names, or NULL. */
static struct slot *
sig_slot(DKIM *dkim, DKIM_SIGINFO *sig)
{
	struct am_dkim_sign *s = dkim_get_user_context(dkim);
	const u_char *d = dkim_sig_getdomain(sig);
	const u_char *sel = dkim_sig_getselector(sig);

	if (s == NULL || d == NULL || sel == NULL)
		return NULL;
	return slot_named(s, (const char *)d, (const char *)sel);
}

/* own_key - key lookup of the verify handle: our own key record, from the
 * key store, for our keys only (no DNS). */
static DKIM_STAT
own_key(DKIM *dkim, DKIM_SIGINFO *sig, u_char *buf, size_t buflen)
{
	struct slot *sl = sig_slot(dkim, sig);
	struct am_buf rec;
	DKIM_STAT st = DKIM_STAT_NOKEY;

	if (sl == NULL)
		return st;
	am_buf_init(&rec, 8192);
	if (am_key_record(sl->key, &rec) == AM_OK && rec.len < buflen) {
		memcpy(buf, rec.data, rec.len + 1);
		st = DKIM_STAT_OK;
	}
	am_buf_release(&rec);
	return st;
}

/* own_only - prescreen of the verify handle: only signatures naming one
 * of our keys are checked, CLAIMS_MAX at most. */
static DKIM_CBSTAT
own_only(DKIM *dkim, DKIM_SIGINFO **sigs, int nsigs)
{
	int i, n = 0;

	for (i = 0; i < nsigs; i++)
		if (sig_slot(dkim, sigs[i]) == NULL || n++ >= CLAIMS_MAX)
			dkim_sig_ignore(sigs[i]);
	return DKIM_CBSTAT_CONTINUE;
}

/* am_dkim_signer_new - per-configuration signing context (see header). */
struct am_dkim_signer *
am_dkim_signer_new(const struct am_config *cfg, const struct am_keys *keys,
    struct am_buf *errs)
{
	struct am_dkim_signer *sg;
	uint64_t ttl = (uint64_t)cfg->signature_ttl;

	sg = am_xcalloc(1, sizeof(*sg));
	sg->keys = keys;
	sg->lib = dkim_init(am_dkim_mem_alloc, am_dkim_mem_release);
	if (sg->lib == NULL) {
		am_buf_line(errs, "%s: libopendkim: dkim_init failed", cfg->source);
		return am_dkim_signer_free(sg);
	}
	if (!set_lists(sg->lib, cfg, errs))
		return am_dkim_signer_free(sg);
	if (dkim_set_key_lookup(sg->lib, own_key) != DKIM_STAT_OK ||
	    dkim_set_prescreen(sg->lib, own_only) != DKIM_STAT_OK) {
		am_buf_line(errs, "%s: libopendkim: cannot set the key lookup",
		    cfg->source);
		return am_dkim_signer_free(sg);
	}
	if (ttl > 0 && dkim_options(sg->lib, DKIM_OP_SETOPT,
	    DKIM_OPTS_SIGNATURETTL, &ttl, sizeof(ttl)) != DKIM_STAT_OK) {
		am_buf_line(errs, "%s: SignatureTTL: libopendkim refused it",
		    cfg->source);
		return am_dkim_signer_free(sg);
	}
	return sg;
}

/* am_dkim_signer_free - release (see header). */
struct am_dkim_signer *
am_dkim_signer_free(struct am_dkim_signer *sg)
{
	if (sg == NULL)
		return NULL;
	if (sg->lib != NULL)
		dkim_close(sg->lib);
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

/* within - is signer's domain d or a subdomain of d (RFC 6376 §3.5 i=)? */
static bool
within(const char *signer, const char *d)
{
	const char *at = strrchr(signer, '@');
	size_t sl, dl = strlen(d);

	if (at == NULL)
		return false;
	at++;
	sl = strlen(at);
	return strcasecmp(at, d) == 0 || (sl > dl && at[sl - dl - 1] == '.' &&
	    strcasecmp(at + sl - dl, d) == 0);
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
	if (within(buf, sl->domain))
		(void)dkim_set_signer(sl->dk, (const u_char *)buf);
}

/* open_slot - start one libopendkim signing handle; false on error. */
static bool
open_slot(struct am_dkim_sign *s, const struct am_key *k, const char *signer)
{
	struct slot *sl = &s->slot[s->nslots];
	DKIM_STAT st;

	sl->key = k;
	sl->domain = am_key_domain(k, s->from_domain);
	am_dkim_mem_init(&sl->mem);
	sl->dk = dkim_sign(s->sg->lib, (const u_char *)s->jobid, &sl->mem,
	    (dkim_sigkey_t)k->pem, (const u_char *)k->selector,
	    (const u_char *)sl->domain, DKIM_CANON_RELAXED, DKIM_CANON_RELAXED,
	    k->alg == AM_KEY_ED25519_SHA256 ? DKIM_SIGN_ED25519SHA256 :
	    DKIM_SIGN_RSASHA256, -1, &st);
	if (sl->dk == NULL) {
		(void)am_dkim_mem_drain(&sl->mem);
		latch(s, "dkim_sign(%s, s=%s): %s", sl->domain, k->selector,
		    dkim_getresultstr(st));
		return false;
	}
	if (signer != NULL)
		set_signer(sl, signer, s->from_domain);
	s->nslots++;
	return true;
}

/* close_slot - free the handle and whatever libopendkim left of it. */
static void
close_slot(struct slot *sl)
{
	if (sl->dk != NULL) {
		dkim_free(sl->dk);
		sl->dk = NULL;
	}
	(void)am_dkim_mem_drain(&sl->mem);
}

/* am_dkim_sign_new - one message's signer (see header). */
struct am_dkim_sign *
am_dkim_sign_new(const struct am_dkim_signer *sg, const char *jobid,
    const char *from_local, const char *from_domain)
{
	struct am_dkim_sign *s = am_xcalloc(1, sizeof(*s));
	const struct am_key *k[AM_KEYS_MAX_PER_MSG];
	const char *signer;
	DKIM_STAT st;
	size_t n;

	s->sg = sg;
	s->jobid = am_xstrdup(jobid ? jobid : "authmilter");
	s->from_domain = am_xstrdup(from_domain ? from_domain : "");
	am_buf_init(&s->hdr, HDR_MAX);
	n = am_keys_lookup(sg->keys, from_local, s->from_domain, k,
	    AM_KEYS_MAX_PER_MSG, &signer);
	for (size_t i = 0; i < n; i++)
		if (!open_slot(s, k[i], signer))
			break;
	am_dkim_mem_init(&s->vmem);
	if (s->nslots > 0 && (s->vdk = dkim_verify(sg->lib,
	    (const u_char *)s->jobid, &s->vmem, &st)) != NULL)
		(void)dkim_set_user_context(s->vdk, s);
	return s;
}

/* am_dkim_sign_keys - handles still signing. */
size_t
am_dkim_sign_keys(const struct am_dkim_sign *s)
{
	size_t n = 0;

	for (size_t i = 0; i < s->nslots; i++)
		n += s->slot[i].dk != NULL;
	return n;
}

/* tag_value - value of tag in a tag=value list, trimmed, into buf. */
static bool
tag_value(const char *v, size_t len, const char *tag, char *buf,
    size_t buflen)
{
	const char *end = v + len, *p = v, *q, *e;
	size_t tl = strlen(tag);

	while (p < end) {
		while (p < end && isspace((unsigned char)*p))
			p++;
		q = memchr(p, ';', (size_t)(end - p));
		e = q ? q : end;
		if ((size_t)(e - p) > tl && strncasecmp(p, tag, tl) == 0) {
			const char *a = p + tl;

			while (a < e && isspace((unsigned char)*a))
				a++;
			if (a < e && *a == '=') {
				for (a++; a < e && isspace((unsigned char)*a);)
					a++;
				while (e > a && isspace((unsigned char)e[-1]))
					e--;
				if ((size_t)(e - a) >= buflen)
					return false;
				memcpy(buf, a, (size_t)(e - a));
				buf[e - a] = '\0';
				return true;
			}
		}
		p = q ? q + 1 : end;
	}
	return false;
}

/* note_claim - an existing signature with one of our d=/s= pairs: to be
 * verified at end of message. */
static void
note_claim(struct am_dkim_sign *s, const char *value, size_t len)
{
	char d[256], sel[256];
	struct slot *sl;

	if (tag_value(value, len, "d", d, sizeof(d)) &&
	    tag_value(value, len, "s", sel, sizeof(sel)) &&
	    (sl = slot_named(s, d, sel)) != NULL)
		sl->is_claimed = true;
}

/* am_dkim_sign_header - feed one header (see header). */
void
am_dkim_sign_header(struct am_dkim_sign *s, const char *name,
    const char *value, size_t value_len)
{
	DKIM_STAT st;

	if (am_dkim_sign_keys(s) == 0 || s->st != AM_OK)
		return;
	if (strcasecmp(name, "DKIM-Signature") == 0)
		note_claim(s, value, value_len);
	am_buf_reset(&s->hdr);
	if (am_buf_printf(&s->hdr, "%s:", name) != AM_OK) {
		latch(s, "header %.64s too long to sign", name);
		return;
	}
	/* libmilter joins folded lines with "\n"; libopendkim wants CRLF. */
	for (size_t i = 0; i < value_len; i++)
		if ((value[i] == '\n' && (i == 0 || value[i - 1] != '\r') &&
		    am_buf_putc(&s->hdr, '\r') != AM_OK) ||
		    am_buf_putc(&s->hdr, value[i]) != AM_OK) {
			latch(s, "header %.64s too long to sign", name);
			return;
		}
	for (size_t i = 0; i < s->nslots; i++)
		if (s->slot[i].dk != NULL && (st = dkim_header(s->slot[i].dk,
		    (u_char *)s->hdr.data, s->hdr.len)) != DKIM_STAT_OK)
			latch(s, "header %.64s: %s", name,
			    dkim_getresultstr(st));
	if (s->vdk != NULL)
		(void)dkim_header(s->vdk, (u_char *)s->hdr.data, s->hdr.len);
}

/* drop_verifier - free the verify handle and what libopendkim left. */
static void
drop_verifier(struct am_dkim_sign *s)
{
	if (s->vdk != NULL)
		(void)dkim_free(s->vdk);
	s->vdk = NULL;
	(void)am_dkim_mem_drain(&s->vmem);
}

/* am_dkim_sign_eoh - end of headers. */
void
am_dkim_sign_eoh(struct am_dkim_sign *s)
{
	DKIM_STAT st;

	bool claimed = false;

	am_buf_release(&s->hdr);
	for (size_t i = 0; i < s->nslots; i++)
		claimed |= s->slot[i].is_claimed;
	if (!claimed || s->vdk == NULL || dkim_eoh(s->vdk) != DKIM_STAT_OK)
		drop_verifier(s);	/* nothing to check, or nothing valid */
	for (size_t i = 0; i < s->nslots && s->st == AM_OK; i++)
		if (s->slot[i].dk != NULL &&
		    (st = dkim_eoh(s->slot[i].dk)) != DKIM_STAT_OK)
			latch(s, "end of headers: %s (%s)",
			    dkim_getresultstr(st),
			    dkim_geterror(s->slot[i].dk) ?
			    dkim_geterror(s->slot[i].dk) : "");
}

/* am_dkim_sign_body - one body chunk. */
void
am_dkim_sign_body(struct am_dkim_sign *s, const void *p, size_t len)
{
	DKIM_STAT st;

	for (size_t i = 0; i < s->nslots && s->st == AM_OK; i++)
		if (s->slot[i].dk != NULL && (st = dkim_body(s->slot[i].dk,
		    (u_char *)(uintptr_t)p, len)) != DKIM_STAT_OK)
			latch(s, "body: %s", dkim_getresultstr(st));
	if (s->vdk != NULL)
		(void)dkim_body(s->vdk, (u_char *)(uintptr_t)p, len);
}

/* add_note - "example.com/sel:verified" to the note, comma-separated; the
 * entries that do not fit are one "..." (NOTE_CUT is kept free for it). */
static void
add_note(struct am_dkim_sign *s, const struct slot *sl, const char *what)
{
	size_t n = strlen(s->note), room = sizeof(s->note) - sizeof(NOTE_CUT);

	if (s->is_note_cut)
		return;
	if (n < room && am_snprintf(s->note + n, room - n, "%s%s/%s:%s",
	    n ? "," : "", sl->domain, sl->key->selector, what) == AM_OK)
		return;
	s->is_note_cut = true;
	AM_SNPRINTF_FIT(s->note + n, sizeof(s->note) - n, "%s",
	    n ? NOTE_CUT : NOTE_CUT + 1);
}

/* settle_claims - a key whose existing signature verifies does not sign
 * again; one whose claimed signature does not verify signs anyway. */
static void
settle_claims(struct am_dkim_sign *s)
{
	DKIM_SIGINFO **sigs = NULL;
	struct slot *sl;
	int n = 0, i;

	if (s->vdk != NULL) {
		(void)dkim_eom(s->vdk, NULL);
		if (dkim_getsiglist(s->vdk, &sigs, &n) != DKIM_STAT_OK)
			n = 0;
	}
	for (i = 0; i < n; i++)
		if (DKIM_SIG_CHECK(sigs[i]) &&
		    (sl = sig_slot(s->vdk, sigs[i])) != NULL && sl->dk != NULL) {
			add_note(s, sl, "verified");
			close_slot(sl);
		}
	for (size_t j = 0; j < s->nslots; j++)
		if (s->slot[j].is_claimed && s->slot[j].dk != NULL)
			add_note(s, &s->slot[j], "unverified");
	drop_verifier(s);
}

/* finish - eom and the header value for one slot; false on error. */
static bool
finish(struct am_dkim_sign *s, struct slot *sl)
{
	u_char *buf;
	size_t len, n = 0;
	DKIM_STAT st;

	if ((st = dkim_eom(sl->dk, NULL)) != DKIM_STAT_OK ||
	    (st = dkim_getsighdr_d(sl->dk, strlen(DKIM_SIGNHEADER) + 2, &buf,
	    &len)) != DKIM_STAT_OK) {
		latch(s, "signing d=%s s=%s: %s (%s)", sl->domain,
		    sl->key->selector, dkim_getresultstr(st),
		    dkim_geterror(sl->dk) ? dkim_geterror(sl->dk) : "");
		return false;
	}
	sl->value = am_xmalloc(len + 1);
	for (size_t i = 0; i < len; i++)
		if (buf[i] != '\r')
			sl->value[n++] = (char)buf[i];
	sl->value[n] = '\0';
	return true;
}

/* am_dkim_sign_eom - produce the signatures (see header). */
enum am_status
am_dkim_sign_eom(struct am_dkim_sign *s, struct am_why *why)
{
	settle_claims(s);
	for (size_t i = 0; i < s->nslots && s->st == AM_OK; i++)
		if (s->slot[i].dk != NULL && finish(s, &s->slot[i]))
			s->done[s->ndone++] = i;
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
	for (size_t i = 0; i < s->nslots; i++) {
		close_slot(&s->slot[i]);
		free(s->slot[i].value);
	}
	drop_verifier(s);
	am_buf_release(&s->hdr);
	free(s->jobid), free(s->from_domain), free(s);
	return NULL;
}
