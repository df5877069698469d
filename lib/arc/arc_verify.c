/*
 * arc_verify.c - RFC 8617 §5.2 chain validation. eoh parses the sets
 * (arc_parse.c), sets up the body hashes the AMSs need and starts every key
 * lookup in parallel; eom runs steps 4-7: the newest AMS, the oldest-pass
 * walk over the older AMSs, then each AS from the newest down. Header
 * hashing and the signatures are RFC 6376 §3.7 as RFC 8617 §4.1.2 (AMS:
 * like a DKIM-Signature without v=) and §5.1.1 (AS: the ARC sets in
 * increasing instance order, relaxed) use them, through dkim_canon.c and
 * dkim_key.c. Contract in arc_verify.h; the result is built in
 * arc_result.c.
 */
#include "autoconf.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "core/xalloc.h"
#include "arc/arc_verify.h"
#include "arc/arc_verify_impl.h"

#define SCRATCH_MAX (1024 * 1024 + 256)	/* one canonical header */

/* am_arc_verify_new - see arc_verify.h. */
struct am_arc_verify *
am_arc_verify_new(struct am_dns *dns, const struct am_arc_verify_opts *opts)
{
	struct am_arc_verify *v;
	int i;

	if (dns == NULL || opts == NULL)
		AM_PANIC("am_arc_verify_new: NULL argument");
	v = am_xcalloc(1, sizeof(*v));
	v->dns = dns;
	v->o = *opts;
	if (v->o.max_sets < 1 || v->o.max_sets > AM_ARC_MAX_SETS)
		v->o.max_sets = v->o.max_sets < 1 ? 1 : AM_ARC_MAX_SETS;
	if (v->o.timeout_ms == 0)
		v->o.timeout_ms = 5000;
	if (v->o.min_key_bits < 1024)
		v->o.min_key_bits = 1024;
	for (i = 0; i < AM_ARC_MAX_SETS; i++)
		v->ams_body[i] = v->as_key[i] = v->ams_key[i] = -1;
	am_buf_init(&v->scratch, SCRATCH_MAX);
	return v;
}

/* am_arc_verify_free - accepts NULL, returns NULL. */
struct am_arc_verify *
am_arc_verify_free(struct am_arc_verify *v)
{
	size_t i;

	if (v == NULL)
		return NULL;
	for (i = 0; i < v->nbody; i++)
		v->body[i].h = am_dkim_body_free(v->body[i].h);
	for (i = 0; i < v->nkeys; i++) {
		v->keys[i].q = am_dkim_key_query_free(v->keys[i].q);
		am_dkim_key_release(&v->keys[i].key);
		free(v->keys[i].domain);
		free(v->keys[i].selector);
	}
	v->chain = am_arc_chain_free(v->chain);
	am_buf_release(&v->scratch);
	free(v);
	return NULL;
}

/* am_arc_verify_set_budget - key lookups wait against b (borrowed). */
void
am_arc_verify_set_budget(struct am_arc_verify *v, struct am_dns_budget *b)
{
	if (v == NULL || b == NULL || v->is_eoh)
		AM_PANIC("am_arc_verify_set_budget: NULL or after eoh");
	v->budget = b;
}

/* body_slot - the body hash for (canon, limit), created; -1 when full. */
static int
body_slot(struct am_arc_verify *v, enum am_dkim_canon c, int64_t limit)
{
	size_t i;

	for (i = 0; i < v->nbody; i++)
		if (v->body[i].canon == c && v->body[i].limit == limit)
			return (int)i;
	if (v->nbody == AM_ARC_MAX_BODIES)
		return -1;
	v->body[v->nbody].canon = c;
	v->body[v->nbody].limit = limit;
	v->body[v->nbody].h = am_dkim_body_new(c, limit);
	return (int)v->nbody++;
}

/* key_slot - the lookup of d=/s= of g, started on first use. */
static int
key_slot(struct am_arc_verify *v, const struct am_arc_sig *g)
{
	char *d = am_xmemdup(g->d.p, g->d.len), *s;
	size_t i;

	for (i = 0; d[i] != '\0'; i++)
		d[i] = (char)tolower((unsigned char)d[i]);
	for (i = 0; i < v->nkeys; i++)
		if (strcmp(v->keys[i].domain, d) == 0 &&
		    strlen(v->keys[i].selector) == g->s.len &&
		    strncasecmp(v->keys[i].selector, g->s.p, g->s.len) == 0) {
			free(d);
			return (int)i;
		}
	/* nkeys < 2 * AM_ARC_MAX_SETS: at most one AS and one AMS per set */
	s = am_xmemdup(g->s.p, g->s.len);
	v->keys[i].domain = d;
	v->keys[i].selector = s;
	v->keys[i].q = am_dkim_key_start(v->dns, s, d);
	return (int)v->nkeys++;
}

/* am_arc_verify_eoh - parse, set up body hashes, start key lookups. */
bool
am_arc_verify_eoh(struct am_arc_verify *v, const struct am_msg *m)
{
	unsigned i;

	if (v->is_eoh || m == NULL)
		AM_PANIC("am_arc_verify_eoh: called twice or NULL message");
	v->is_eoh = true;
	v->m = m;
	v->chain = am_arc_parse(m, v->o.max_sets);
	if (v->chain->status != AM_ARC_CHAIN_OK)
		return false;
	for (i = 0; i < v->chain->count; i++) {
		const struct am_arc_set *set = &v->chain->set[i];

		v->as_key[i] = key_slot(v, &set->as);
		if (!set->ams.is_valid)
			continue;
		v->ams_body[i] = body_slot(v, set->ams.bcanon,
		    set->ams.body_limit);
		v->ams_key[i] = key_slot(v, &set->ams);
	}
	v->is_body = true;
	return true;
}

/* am_arc_verify_body - one chunk into every body hash. */
void
am_arc_verify_body(struct am_arc_verify *v, const void *p, size_t len)
{
	size_t i;

	if (!v->is_eoh || v->is_eom)
		AM_PANIC("am_arc_verify_body outside eoh..eom");
	if (!v->is_body)
		return;
	for (i = 0; i < v->nbody; i++)
		am_dkim_body_update(v->body[i].h, p, len);
}

/* key_for - the key of slot k, waiting for it once. */
static const struct am_dkim_key *
key_for(struct am_arc_verify *v, int k, struct am_why *why, bool *is_temp)
{
	struct arc_keyslot *s = &v->keys[k];

	if (!s->is_waited) {
		s->st = am_dkim_key_wait(s->q, v->deadline_ms,
		    v->o.min_key_bits, &s->key, &s->why);
		s->is_waited = true;
	}
	if (s->st == AM_OK)
		return &s->key;
	*why = s->why;
	*is_temp = s->st == AM_TEMPFAIL;
	return NULL;
}

/* signature_ok - b= of g over hash, with the key of slot k. */
static bool
signature_ok(struct am_arc_verify *v, const struct am_arc_sig *g, int k,
    const unsigned char *hash, struct am_why *why, bool *is_temp)
{
	unsigned char sig[AM_DKIM_SIG_MAX_BYTES];
	const struct am_dkim_key *key = key_for(v, k, why, is_temp);
	size_t n;

	if (key == NULL)
		return false;
	if (key->alg != g->alg) {
		am_why_set(why, "a=%s with an %s key", am_dkim_alg_name(g->alg),
		    key->alg == AM_DKIM_ALG_RSA_SHA256 ? "rsa" : "ed25519");
		return false;
	}
	if (am_dkim_b64_decode(g->b.value, sig, sizeof(sig), &n, why) !=
	    AM_OK)
		return false;
	if (!am_dkim_key_verify(key, g->alg, hash, sig, n)) {
		am_why_set(why, "signature verification failed");
		return false;
	}
	return true;
}

/* hash_open - a fresh SHA-256 context. */
static EVP_MD_CTX *
hash_open(void)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		AM_PANIC("SHA-256 unavailable");
	return ctx;
}

/* hash_one - header idx of the message, canonicalised, into ctx. */
static bool
hash_one(struct am_arc_verify *v, EVP_MD_CTX *ctx, enum am_dkim_canon c,
    size_t idx, const struct am_dkim_tag *b)
{
	const struct am_header *h = am_msg_header(v->m, idx);

	return am_dkim_hash_header(ctx, c, h->name, h->value, h->value_len, b,
	    b != NULL, &v->scratch) == AM_OK;
}

/* hash_close - the digest; false when hashing failed. */
static bool
hash_close(EVP_MD_CTX *ctx, bool ok, unsigned char *out)
{
	unsigned int n = 0;

	ok = ok && EVP_DigestFinal_ex(ctx, out, &n) == 1 &&
	    n == AM_DKIM_SHA256_LEN;
	EVP_MD_CTX_free(ctx);
	return ok;
}

/* ams_body_ok - l= and bh= of AMS(i) against the body. */
static bool
ams_body_ok(struct am_arc_verify *v, unsigned i, struct am_why *why)
{
	const struct am_arc_sig *g = &v->chain->set[i - 1].ams;
	unsigned char bh[AM_DKIM_SHA256_LEN + 3];
	const struct arc_body *b;
	size_t n;

	if (v->ams_body[i - 1] < 0) {
		am_why_set(why, "more than %d body hash variants",
		    AM_ARC_MAX_BODIES);
		return false;
	}
	b = &v->body[v->ams_body[i - 1]];
	if (g->body_limit >= 0 &&
	    (uint64_t)g->body_limit > am_dkim_body_length(b->h)) {
		am_why_set(why, "l= longer than the body");
		return false;
	}
	if (am_dkim_b64_decode(g->bh, bh, sizeof(bh), &n, why) != AM_OK ||
	    n != AM_DKIM_SHA256_LEN ||
	    CRYPTO_memcmp(bh, b->digest, AM_DKIM_SHA256_LEN) != 0) {
		am_why_set(why, "body hash mismatch");
		return false;
	}
	return true;
}

/* ams_ok - does AMS(i) validate? */
static bool
ams_ok(struct am_arc_verify *v, unsigned i, struct am_why *why, bool *is_temp)
{
	const struct am_arc_sig *g = &v->chain->set[i - 1].ams;
	struct am_str names[AM_ARC_MAX_HNAMES];
	unsigned char hash[AM_DKIM_SHA256_LEN];
	const struct am_header *h;
	size_t n;

	*is_temp = false;
	if (!g->is_valid) {
		am_why_set(why, "%s", g->error);
		return false;
	}
	if (!ams_body_ok(v, i, why))
		return false;
	if (am_dkim_hlist_parse(g->h, names, AM_ARC_MAX_HNAMES, &n, why) !=
	    AM_OK)
		return false;	/* checked at parse: cannot happen */
	h = am_msg_header(v->m, g->idx);
	if (am_dkim_hash_signed(v->m, names, n, false, g->hcanon, h->name,
	    h->value, h->value_len, &g->b, &v->scratch, hash) != AM_OK) {
		am_why_set(why, "header too long to hash");
		return false;
	}
	return signature_ok(v, g, v->ams_key[i - 1], hash, why, is_temp);
}

/* as_ok - does AS(i) validate? */
static bool
as_ok(struct am_arc_verify *v, unsigned i, struct am_why *why, bool *is_temp)
{
	const struct am_arc_sig *g = &v->chain->set[i - 1].as;
	unsigned char hash[AM_DKIM_SHA256_LEN];
	EVP_MD_CTX *ctx = hash_open();
	bool ok = true;
	unsigned j;

	*is_temp = false;
	for (j = 1; j <= i && ok; j++) {
		const struct am_arc_set *s = &v->chain->set[j - 1];

		ok = hash_one(v, ctx, AM_DKIM_CANON_RELAXED, s->aar_idx,
		    NULL) && hash_one(v, ctx, AM_DKIM_CANON_RELAXED,
		    s->ams.idx, NULL) && hash_one(v, ctx,
		    AM_DKIM_CANON_RELAXED, s->as.idx, j == i ? &s->as.b : NULL);
	}
	if (!hash_close(ctx, ok, hash)) {
		am_why_set(why, "header too long to hash");
		return false;
	}
	return signature_ok(v, g, v->as_key[i - 1], hash, why, is_temp);
}

/* chain_fail - the result for a failed step. */
static void
chain_fail(struct am_arc_result *out, const char *kind, unsigned i,
    const struct am_why *why, bool is_temp)
{
	out->status = AM_ARC_FAIL;
	out->is_temperror = is_temp;
	snprintf(out->reason, sizeof(out->reason), "%s i=%u: %.110s", kind, i,
	    why->text);
}

/* run_steps - §5.2 steps 4-7 on a valid structure. */
static void
run_steps(struct am_arc_verify *v, enum am_arc_check *ams,
    enum am_arc_check *as, struct am_arc_result *out)
{
	unsigned n = v->chain->count, i;
	struct am_why why;
	bool is_temp;

	if (!ams_ok(v, n, &why, &is_temp)) {	/* step 4 */
		ams[n - 1] = AM_ARC_CHECK_FAIL;
		chain_fail(out, "ARC-Message-Signature", n, &why, is_temp);
		return;
	}
	ams[n - 1] = AM_ARC_CHECK_PASS;
	out->oldest_pass = 0;			/* step 5 */
	for (i = n - 1; i >= 1; i--) {
		bool ok = ams_ok(v, i, &why, &is_temp);

		ams[i - 1] = ok ? AM_ARC_CHECK_PASS : AM_ARC_CHECK_FAIL;
		if (!ok) {
			out->oldest_pass = i + 1;
			break;
		}
	}
	for (i = n; i >= 1; i--) {		/* step 6 */
		bool ok = as_ok(v, i, &why, &is_temp);

		as[i - 1] = ok ? AM_ARC_CHECK_PASS : AM_ARC_CHECK_FAIL;
		if (!ok) {
			chain_fail(out, "ARC-Seal", i, &why, is_temp);
			return;
		}
	}
	out->status = AM_ARC_PASS;		/* step 7 */
}

/* am_arc_verify_eom - see arc_verify.h. */
void
am_arc_verify_eom(struct am_arc_verify *v, struct am_arc_result *out)
{
	enum am_arc_check ams[AM_ARC_MAX_SETS] = { 0 };
	enum am_arc_check as[AM_ARC_MAX_SETS] = { 0 };
	size_t i;

	if (!v->is_eoh || v->is_eom || out == NULL)
		AM_PANIC("am_arc_verify_eom: before eoh, twice, or NULL");
	v->is_eom = true;
	memset(out, 0, sizeof(*out));
	out->max_instance = v->chain->max_instance;
	out->is_newest_cv_fail = v->chain->is_newest_cv_fail;
	if (v->chain->status == AM_ARC_CHAIN_NONE)
		return;
	if (v->chain->status == AM_ARC_CHAIN_FAIL) {
		out->status = AM_ARC_FAIL;
		snprintf(out->reason, sizeof(out->reason), "%s",
		    v->chain->reason);
		return;
	}
	for (i = 0; i < v->nbody; i++)
		am_dkim_body_final(v->body[i].h, v->body[i].digest);
	v->deadline_ms = v->budget != NULL ?
	    am_dns_budget_deadline(v->budget) : am_dns_deadline(v->o.timeout_ms);
	run_steps(v, ams, as, out);
	if (out->status != AM_ARC_PASS)
		out->oldest_pass = 0;
	am_arc_result_fill(v, ams, as, out);
}
