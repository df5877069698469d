/*
 * dkim_sign_claim.c - a DKIM-Signature already in a message we sign that
 * names one of our keys (d= and s=) is verified, not believed (issue 21: a
 * client forging d=/s= suppressed our signature): RFC 6376 §6.1 with the
 * key store's key (no DNS), through the same field parser
 * (dkim_sig.c), canonicalisation and hashing (dkim_canon.c) and signature
 * primitive (dkim_key.c) as ARC. A claim that verifies means the message
 * was signed with that key already; one whose x= has passed, whose h=
 * leaves out From, or whose i= is outside d= does not verify. Contract in
 * dkim_sign_impl.h.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "core/xalloc.h"
#include "dkim/dkim_sign_impl.h"

/* slot_named - the slot whose key is d=/s=, or NULL. */
static struct slot *
slot_named(struct am_dkim_sign *s, struct am_str d, struct am_str sel)
{
	for (size_t i = 0; i < s->nslots; i++)
		if (am_dkim_str_caseeq(d, s->slot[i].domain) &&
		    am_dkim_str_caseeq(sel, s->slot[i].key->selector))
			return &s->slot[i];
	return NULL;
}

/* am_dkim_sign_claim - see dkim_sign_impl.h. */
void
am_dkim_sign_claim(struct am_dkim_sign *s, size_t idx)
{
	const struct am_header *h = am_msg_header(s->m, idx);
	const struct am_dkim_tag *d, *sel;
	struct am_dkim_tags t;
	struct claim *c;
	struct slot *sl;
	char err[128];

	if (am_dkim_tags_parse(h->value, h->value_len, &t, NULL) != AM_OK ||
	    (d = am_dkim_tags_find(&t, "d")) == NULL ||
	    (sel = am_dkim_tags_find(&t, "s")) == NULL ||
	    (sl = slot_named(s, d->value, sel->value)) == NULL)
		return;
	sl->is_claimed = true;
	if (s->nclaims == CLAIMS_MAX)
		return;
	c = &s->claim[s->nclaims];
	if (!am_dkim_sig_parse(&t, AM_DKIM_SIG_DKIM, AM_DKIM_SIG_MAX_HNAMES,
	    &c->f, err, sizeof(err)) || (c->body = am_dkim_sign_body_for(s,
	    c->f.bcanon, c->f.body_limit)) == SIZE_MAX)
		return;		/* malformed: it cannot verify */
	c->idx = idx;
	c->sl = sl;
	s->nclaims++;
}

#define NOTE_CUT ",..."	/* ends a note with more claims than fit */

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

/* am_dkim_sign_has_from - see dkim_sign_impl.h. */
bool
am_dkim_sign_has_from(const struct am_str *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (am_dkim_str_caseeq(names[i], "from"))
			return true;
	return false;
}

/* claim_hash_ok - the header hash and b= of claim c with its key. */
static bool
claim_hash_ok(struct am_dkim_sign *s, const struct claim *c)
{
	struct am_str *names = am_xcalloc(AM_DKIM_SIG_MAX_HNAMES,
	    sizeof(*names));
	const struct am_header *h = am_msg_header(s->m, c->idx);
	struct am_dkim_key pub = { c->sl->key->pkey, c->sl->alg,
	    c->sl->key->bits, false };
	unsigned char hash[AM_DKIM_SHA256_LEN], sig[AM_DKIM_SIG_MAX_BYTES];
	size_t n, siglen;
	bool ok;

	ok = am_dkim_hlist_parse(c->f.h, names, AM_DKIM_SIG_MAX_HNAMES, &n,
	    NULL) == AM_OK && am_dkim_sign_has_from(names, n) &&
	    am_dkim_hash_signed(s->m, names, n, false, c->f.hcanon, h->name,
	    h->value, h->value_len, &c->f.b, &s->scratch, hash) == AM_OK &&
	    am_dkim_b64_decode(c->f.b.value, sig, sizeof(sig), &siglen,
	    NULL) == AM_OK && am_dkim_key_verify(&pub, c->f.alg, hash, sig,
	    siglen);
	free(names);
	return ok;
}

/* claim_ok - does claim c verify with our key (RFC 6376 §6.1)? */
static bool
claim_ok(struct am_dkim_sign *s, const struct claim *c, uint64_t now)
{
	const struct body *b = &s->body[c->body];
	unsigned char bh[AM_DKIM_SHA256_LEN + 3];
	size_t n;

	if (c->f.alg != c->sl->alg || (c->f.has_x && c->f.x < now) ||
	    (c->f.i.len > 0 && !am_dkim_sign_within(c->f.i.p, c->f.i.len,
	    c->sl->domain)) || (c->f.body_limit >= 0 &&
	    (uint64_t)c->f.body_limit > am_dkim_body_length(b->h)))
		return false;
	if (am_dkim_b64_decode(c->f.bh, bh, sizeof(bh), &n, NULL) != AM_OK ||
	    n != AM_DKIM_SHA256_LEN ||
	    CRYPTO_memcmp(bh, b->digest, AM_DKIM_SHA256_LEN) != 0)
		return false;
	return claim_hash_ok(s, c);
}

/* am_dkim_sign_settle - see dkim_sign_impl.h. */
void
am_dkim_sign_settle(struct am_dkim_sign *s)
{
	uint64_t now = s->sg->fixed_time ? s->sg->fixed_time :
	    (uint64_t)time(NULL);

	for (size_t i = 0; i < s->nclaims; i++) {
		struct claim *c = &s->claim[i];

		if (c->sl->is_active && claim_ok(s, c, now)) {
			add_note(s, c->sl, "verified");
			c->sl->is_active = false;
		}
	}
	for (size_t j = 0; j < s->nslots; j++)
		if (s->slot[j].is_claimed && s->slot[j].is_active)
			add_note(s, &s->slot[j], "unverified");
}
