/*
 * arc_seal.c - RFC 8617 §5.1: one ARC set for instance N+1. The AMS is a
 * DKIM-style signature (§4.1.2) over the chosen header fields and the
 * relaxed body; the AS (§4.1.3, §5.1.1) signs the ARC sets in increasing
 * instance order, or only the new one when the chain failed (§5.1.2).
 * Both use relaxed header canonicalisation, so where a value is folded
 * does not change what is signed: each header is built twice, once with
 * "b=" empty (hashed) and once with the signature in it (returned), and the
 * two differ only inside b=, which RFC 6376 §3.7 deletes before hashing.
 * h= always starts its own line and folds at fixed places inside it, so
 * its folding never depends on the length of b=. Contract in arc_seal.h.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/xalloc.h"
#include "dkim/dkim_canon.h"
#include "dkim/dkim_key.h"
#include "arc/arc_parse.h"
#include "arc/arc_seal.h"

#define VALUE_MAX (64 * 1024)	/* bytes of one header value we write */
#define LINE 76			/* fold before a piece passing this column */
#define B_LINE 900		/* a b= value up to this long stays on one
				 * line (RSA up to 4096 bits): folds inside
				 * it become spaces in the relaxed form that
				 * the next seal signs, which some signers
				 * (the ARC test suite's) do not write */

static const char *const default_headers[] = {
	"From", "To", "Cc", "Subject", "Date", "Message-ID", "Reply-To",
	"In-Reply-To", "References", "MIME-Version", "Content-Type",
	"Content-Transfer-Encoding", "DKIM-Signature", "List-Id", "List-Post",
	"List-Unsubscribe", "List-Unsubscribe-Post", NULL,
};

struct am_arc_seal {
	struct am_arc_seal_opts o;	/* copied; strings borrowed */
	enum am_dkim_alg alg;		/* from the key type */
	struct am_dkim_body *body;	/* owned relaxed body hash */
	bool is_eom;			/* eom ran */
};

/* fold - a header value being written with "\n\t" folds. */
struct fold {
	struct am_buf *b;	/* the value */
	size_t col;		/* column of the next byte */
	bool ok;		/* no append failed */
};

static void
fold_put(struct fold *f, const char *s, size_t len)
{
	if (f->ok && am_buf_append(f->b, s, len) != AM_OK)
		f->ok = false;
	f->col += len;
}

/* fold_tag - "; " or ";\n\t" then tag=value (is_line: always a new line;
 * b=: a value over B_LINE is cut every 64 bytes, h=: after a ':' past
 * LINE). */
static void
fold_tag(struct fold *f, const char *tag, const char *v, bool is_line)
{
	size_t tl = strlen(tag), vl = strlen(v), i, k;
	bool is_i;

	if (f->b->len > 0) {
		fold_put(f, ";", 1);
		if (is_line || f->col + 1 + tl + 1 + vl > LINE) {
			/* XXX dkimpy 1.1 finds the AMS of instance N by the
			 * text " i=N;": a line never starts with i= (the
			 * extra space is nothing to relaxed canonicalization) */
			is_i = strcmp(tag, "i") == 0;
			fold_put(f, is_i ? "\n\t " : "\n\t", is_i ? 3 : 2);
			f->col = is_i ? 9 : 8;
		} else
			fold_put(f, " ", 1);
	}
	fold_put(f, tag, tl);
	fold_put(f, "=", 1);
	for (i = 0; i < vl; i += k) {
		if (strcmp(tag, "b") == 0) {
			k = vl <= B_LINE ? vl : vl - i > 64 ? 64 : vl - i;
			if (i > 0) {
				fold_put(f, "\n\t ", 3);
				f->col = 9;
			}
		} else {
			for (k = 0; i + k < vl && (k == 0 || v[i + k - 1] !=
			    ':' || f->col + k <= LINE); k++)
				;
			if (i > 0) {
				fold_put(f, "\n\t ", 3);
				f->col = 9;
			}
		}
		fold_put(f, v + i, k);
	}
}

/* am_arc_seal_key - see arc_seal.h. */
const struct am_key *
am_arc_seal_key(const struct am_keys *ks, const struct am_config *cfg,
    const char **domain, struct am_why *why)
{
	const char *name = cfg->arc_seal_key, *d = cfg->arc_seal_domain;
	const char *sel = cfg->arc_seal_selector;
	size_t i;

	for (i = 0; i < am_keys_count(ks); i++) {
		const struct am_key *k = am_keys_get(ks, i);

		if (name[0] != '\0' ? strcmp(k->name, name) != 0 :
		    d[0] == '\0' || sel[0] == '\0' ||
		    strcmp(k->selector, sel) != 0 ||
		    (strcmp(k->domain, "%") != 0 &&
		    strcasecmp(k->domain, d) != 0))
			continue;
		*domain = d[0] != '\0' ? d : k->domain;
		if (strcmp(*domain, "%") == 0) {
			am_why_set(why, "ARC sealing key %s has domain %%: "
			    "set ARCSealDomain", k->name);
			return NULL;
		}
		return k;
	}
	if (name[0] != '\0')
		am_why_set(why, "ARCSealKey %s is not in the key table", name);
	else if (d[0] == '\0' || sel[0] == '\0')
		am_why_set(why, "ARC sealing needs ARCSealKey, or "
		    "ARCSealDomain and ARCSealSelector");
	else
		am_why_set(why, "no key with domain %s and selector %s", d,
		    sel);
	return NULL;
}

/* am_arc_seal_new - see arc_seal.h. */
struct am_arc_seal *
am_arc_seal_new(const struct am_arc_seal_opts *opts)
{
	struct am_arc_seal *s;

	if (opts == NULL || opts->key == NULL || opts->key->pkey == NULL)
		AM_PANIC("am_arc_seal_new: NULL argument");
	s = am_xcalloc(1, sizeof(*s));
	s->o = *opts;
	if (s->o.domain == NULL)
		s->o.domain = opts->key->domain;
	if (s->o.selector == NULL)
		s->o.selector = opts->key->selector;
	if (strcmp(s->o.domain, "%") == 0)
		AM_PANIC("am_arc_seal_new: domain %%");
	if (s->o.headers == NULL)
		s->o.headers = default_headers;
	if (s->o.max_sets < 1 || s->o.max_sets > AM_ARC_MAX_SETS)
		s->o.max_sets = s->o.max_sets < 1 ? 1 : AM_ARC_MAX_SETS;
	if (s->o.timestamp == 0)
		s->o.timestamp = (uint64_t)time(NULL);
	s->alg = opts->key->alg == AM_KEY_ED25519_SHA256 ?
	    AM_DKIM_ALG_ED25519_SHA256 : AM_DKIM_ALG_RSA_SHA256;
	s->body = am_dkim_body_new(AM_DKIM_CANON_RELAXED, -1);
	return s;
}

/* am_arc_seal_free - accepts NULL, returns NULL. */
struct am_arc_seal *
am_arc_seal_free(struct am_arc_seal *s)
{
	if (s != NULL) {
		s->body = am_dkim_body_free(s->body);
		free(s);
	}
	return NULL;
}

/* am_arc_seal_body - one body chunk into the AMS body hash. */
void
am_arc_seal_body(struct am_arc_seal *s, const void *p, size_t len)
{
	if (s->is_eom)
		AM_PANIC("am_arc_seal_body after eom");
	am_dkim_body_update(s->body, p, len);
}

/* is_arc_name - one of the three ARC header fields (never in our h=). */
static bool
is_arc_name(const char *n)
{
	return strcasecmp(n, "ARC-Seal") == 0 ||
	    strcasecmp(n, "ARC-Message-Signature") == 0 ||
	    strcasecmp(n, "ARC-Authentication-Results") == 0;
}

/* hlist - h=: each configured name once per instance present in m. */
static void
hlist(const struct am_arc_seal *s, const struct am_msg *m, struct am_buf *h)
{
	size_t i, j, kept = am_msg_header_kept(m), n = 0;
	const char *const *name;

	for (name = s->o.headers; *name != NULL; name++) {
		if (is_arc_name(*name))
			continue;
		for (i = 0; i < kept && n < AM_ARC_MAX_HNAMES; i++) {
			const struct am_header *hd = am_msg_header(m, i);

			if (hd->is_deleted || strcasecmp(hd->name, *name) != 0)
				continue;
			if (h->len > 0)
				(void)am_buf_putc(h, ':');
			for (j = 0; (*name)[j] != '\0'; j++)
				(void)am_buf_putc(h, (char)((*name)[j] >= 'A' &&
				    (*name)[j] <= 'Z' ? (*name)[j] + 32 :
				    (*name)[j]));
			n++;
		}
	}
}

/* ams_value - the AMS with b= (empty while hashing). */
static bool
ams_value(const struct am_arc_seal *s, unsigned inst, const char *bh,
    const char *h, const char *b, struct am_buf *out)
{
	struct fold f = { out, 23, true };	/* "ARC-Message-Signature: " */
	char num[24], ts[24];

	am_buf_reset(out);
	snprintf(num, sizeof(num), "%u", inst);
	snprintf(ts, sizeof(ts), "%llu", (unsigned long long)s->o.timestamp);
	fold_tag(&f, "a", am_dkim_alg_name(s->alg), false);
	fold_tag(&f, "b", b, false);
	fold_tag(&f, "bh", bh, false);
	fold_tag(&f, "c", "relaxed/relaxed", false);
	fold_tag(&f, "d", s->o.domain, false);
	fold_tag(&f, "h", h, true);
	fold_tag(&f, "i", num, false);
	fold_tag(&f, "s", s->o.selector, false);
	fold_tag(&f, "t", ts, false);
	return f.ok;
}

/* as_value - the AS with b= (empty while hashing). */
static bool
as_value(const struct am_arc_seal *s, unsigned inst, const char *cv,
    const char *b, struct am_buf *out)
{
	struct fold f = { out, 10, true };	/* "ARC-Seal: " */
	char num[24], ts[24];

	am_buf_reset(out);
	snprintf(num, sizeof(num), "%u", inst);
	snprintf(ts, sizeof(ts), "%llu", (unsigned long long)s->o.timestamp);
	fold_tag(&f, "a", am_dkim_alg_name(s->alg), false);
	fold_tag(&f, "b", b, false);
	fold_tag(&f, "cv", cv, false);
	fold_tag(&f, "d", s->o.domain, false);
	fold_tag(&f, "i", num, false);
	fold_tag(&f, "s", s->o.selector, false);
	fold_tag(&f, "t", ts, false);
	return f.ok;
}

/* hash_text - one header we write, relaxed, into ctx. */
static bool
hash_text(EVP_MD_CTX *ctx, const char *name, const struct am_buf *v,
    bool is_last, struct am_buf *scratch)
{
	return am_dkim_hash_header(ctx, AM_DKIM_CANON_RELAXED, name,
	    am_buf_str(v), v->len, NULL, is_last, scratch) == AM_OK;
}

/* hash_msg - header idx of m, relaxed, into ctx. */
static bool
hash_msg(EVP_MD_CTX *ctx, const struct am_msg *m, size_t idx,
    struct am_buf *scratch)
{
	const struct am_header *h = am_msg_header(m, idx);

	return am_dkim_hash_header(ctx, AM_DKIM_CANON_RELAXED, h->name,
	    h->value, h->value_len, NULL, false, scratch) == AM_OK;
}

/* sign_hash - the base64 signature over hash into b64 (reset first). */
static bool
sign_hash(const struct am_arc_seal *s, const unsigned char *hash,
    struct am_buf *b64)
{
	am_buf_reset(b64);
	return am_dkim_key_sign(s->o.key->pkey, s->alg, hash, b64) == AM_OK;
}

/* sign_ctx - finish ctx and append the base64 signature to b64. */
static bool
sign_ctx(const struct am_arc_seal *s, EVP_MD_CTX *ctx, bool ok,
    struct am_buf *b64)
{
	unsigned char hash[AM_DKIM_SHA256_LEN];
	unsigned int n = 0;

	ok = ok && EVP_DigestFinal_ex(ctx, hash, &n) == 1 &&
	    n == AM_DKIM_SHA256_LEN;
	EVP_MD_CTX_free(ctx);
	return ok && sign_hash(s, hash, b64);
}

static EVP_MD_CTX *
hash_open(void)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		AM_PANIC("SHA-256 unavailable");
	return ctx;
}

/* bufs - the scratch buffers of one seal. */
struct bufs {
	struct am_buf h, bh, b64, aar, ams, as, scratch;
};

/* make_ams - ARC-Message-Signature of instance inst into w->ams: the
 * DKIM-style header hash (dkim_canon.c) signed with the key. */
static bool
make_ams(const struct am_arc_seal *s, const struct am_msg *m, unsigned inst,
    struct bufs *w)
{
	struct am_str names[AM_ARC_MAX_HNAMES];
	unsigned char digest[AM_DKIM_SHA256_LEN], hash[AM_DKIM_SHA256_LEN];
	struct am_str hv;
	size_t n;

	am_dkim_body_final(s->body, digest);
	hlist(s, m, &w->h);
	hv.p = am_buf_str(&w->h);
	hv.len = w->h.len;
	if (am_dkim_b64_encode(digest, sizeof(digest), &w->bh) != AM_OK ||
	    am_dkim_hlist_parse(hv, names, AM_ARC_MAX_HNAMES, &n, NULL) !=
	    AM_OK || !ams_value(s, inst, am_buf_str(&w->bh), hv.p, "",
	    &w->ams))
		return false;
	return am_dkim_hash_signed(m, names, n, true, AM_DKIM_CANON_RELAXED,
	    "ARC-Message-Signature", am_buf_str(&w->ams), w->ams.len, NULL,
	    &w->scratch, hash) == AM_OK && sign_hash(s, hash, &w->b64) &&
	    ams_value(s, inst, am_buf_str(&w->bh), hv.p, am_buf_str(&w->b64),
	    &w->ams);
}

/* make_as - ARC-Seal of instance inst over sets 1..n_prev and the new one. */
static bool
make_as(const struct am_arc_seal *s, const struct am_msg *m,
    const struct am_arc_chain *c, unsigned inst, enum am_arc_cv cv,
    struct bufs *w)
{
	EVP_MD_CTX *ctx;
	bool ok = true;
	unsigned j;

	if (!as_value(s, inst, am_arc_cv_name(cv), "", &w->as))
		return false;
	ctx = hash_open();
	for (j = 1; cv != AM_ARC_CV_FAIL && j < inst && ok; j++) {
		const struct am_arc_set *set = &c->set[j - 1];

		ok = hash_msg(ctx, m, set->aar_idx, &w->scratch) &&
		    hash_msg(ctx, m, set->ams.idx, &w->scratch) &&
		    hash_msg(ctx, m, set->as.idx, &w->scratch);
	}
	ok = ok && hash_text(ctx, "ARC-Authentication-Results", &w->aar,
	    false, &w->scratch) && hash_text(ctx, "ARC-Message-Signature",
	    &w->ams, false, &w->scratch) && hash_text(ctx, "ARC-Seal", &w->as,
	    true, &w->scratch);
	return sign_ctx(s, ctx, ok, &w->b64) && as_value(s, inst,
	    am_arc_cv_name(cv), am_buf_str(&w->b64), &w->as);
}

/* refuse - no set may be added: the reason, and NULL. */
static bool
refuse(const struct am_arc_seal *s, const struct am_arc_chain *c,
    const char *authres, struct am_why *why)
{
	if (c->is_newest_cv_fail)
		am_why_set(why, "chain ended: ARC-Seal i=%u has cv=fail",
		    c->max_instance);
	else if (c->max_instance + 1 > s->o.max_sets)
		am_why_set(why, "ARC set i=%u would pass ARCMaxSets %u",
		    c->max_instance + 1, s->o.max_sets);
	else if (authres[0] == '\0')
		am_why_set(why, "no Authentication-Results to record");
	else
		return false;
	return true;
}

/* am_arc_seal_eom - see arc_seal.h. */
enum am_status
am_arc_seal_eom(struct am_arc_seal *s, const struct am_msg *m,
    enum am_arc_status chain, const char *authres, struct am_arc_seal_set *out,
    struct am_why *why)
{
	struct am_arc_chain *c;
	struct bufs w;
	struct am_buf *all[] = { &w.h, &w.bh, &w.b64, &w.aar, &w.ams, &w.as,
	    &w.scratch };
	enum am_arc_cv cv;
	unsigned inst;
	size_t i;
	bool ok;

	if (s->is_eom || m == NULL || authres == NULL || out == NULL)
		AM_PANIC("am_arc_seal_eom: twice or NULL argument");
	s->is_eom = true;
	memset(out, 0, sizeof(*out));
	c = am_arc_parse(m, s->o.max_sets);
	if (refuse(s, c, authres, why)) {
		c = am_arc_chain_free(c);
		return AM_PERMFAIL;
	}
	inst = c->max_instance + 1;
	cv = chain == AM_ARC_PASS && c->status == AM_ARC_CHAIN_OK ?
	    AM_ARC_CV_PASS : chain == AM_ARC_NONE &&
	    c->status == AM_ARC_CHAIN_NONE ? AM_ARC_CV_NONE : AM_ARC_CV_FAIL;
	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		am_buf_init(all[i], i == 6 ? 1024 * 1024 + 256 : VALUE_MAX);
	ok = am_buf_printf(&w.aar, "i=%u; %s", inst, authres) == AM_OK &&
	    make_ams(s, m, inst, &w) && make_as(s, m, c, inst, cv, &w);
	if (ok) {
		out->instance = inst;
		out->aar = am_buf_export(&w.aar);
		out->ams = am_buf_export(&w.ams);
		out->as = am_buf_export(&w.as);
	} else
		am_why_set(why, "ARC set i=%u: a header outgrew its cap or "
		    "signing failed", inst);
	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		am_buf_release(all[i]);
	c = am_arc_chain_free(c);
	return ok ? AM_OK : AM_PERMFAIL;
}

/* am_arc_seal_set_release - free the values; the set becomes empty. */
void
am_arc_seal_set_release(struct am_arc_seal_set *set)
{
	free(set->aar);
	free(set->ams);
	free(set->as);
	memset(set, 0, sizeof(*set));
}
