/*
 * keys.c - the DKIM key store: OpenDKIM KeyTable/SigningTable or the simple
 * Domain/Selector/KeyFile form, each key read and checked once (keys_pkey.c).
 *
 * The tables are parsed into an array of keys and an array of signing
 * entries (pattern -> key indices). A plain SigningTable is sorted for the
 * bsearch of keys_lookup.c; a refile keeps file order. Every problem is one
 * "FILE:LINE: message" line, and loading goes on to find them all.
 * am_keys_free() frees each EVP_PKEY (OpenSSL clears the private parts;
 * STYLE.md §5, §16).
 */
#include "autoconf.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>


#include "core/xalloc.h"
#include "dkim/keys.h"
#include "dkim/keys_impl.h"

#define LINE_MAX_LEN	8192	/* table line, bytes */

/* A table file being read. */
struct table {
	const char *path;	/* borrowed */
	FILE *fp;		/* owned */
	unsigned line;		/* current line number */
	char buf[LINE_MAX_LEN];	/* current line */
};

/* add_key - append a key (without loading it); returns its index. */
static size_t
add_key(struct am_keys *ks, const char *name, const char *domain,
    const char *selector, const char *path, const char *where)
{
	struct am_key *k;

	ks->keys = am_xreallocarray(ks->keys, ks->nkeys + 1, sizeof(*k));
	k = &ks->keys[ks->nkeys];
	memset(k, 0, sizeof(*k));
	k->name = am_xstrdup(name);
	k->domain = lower(am_xstrdup(domain));
	k->selector = am_xstrdup(selector);
	k->path = am_xstrdup(path);
	k->where = am_xstrdup(where);
	return ks->nkeys++;
}

/* find_entry - the entry for exactly this (lower-case) pattern, or NULL. */
static struct sign_entry *
find_entry(const struct am_keys *ks, const char *pattern)
{
	for (size_t i = 0; i < ks->nents; i++)
		if (strcmp(ks->ents[i].pattern, pattern) == 0)
			return &ks->ents[i];
	return NULL;
}

/* add_sign - map pattern to one more key; false when there are too many. */
static bool
add_sign(struct am_keys *ks, const char *pattern, size_t key,
    const char *signer)
{
	struct sign_entry *e;
	char *lp = lower(am_xstrdup(pattern));

	if ((e = find_entry(ks, lp)) == NULL) {
		ks->ents = am_xreallocarray(ks->ents, ks->nents + 1,
		    sizeof(*e));
		e = &ks->ents[ks->nents++];
		memset(e, 0, sizeof(*e));
		e->pattern = lp;
		e->signer = signer ? am_xstrdup(signer) : NULL;
	} else
		free(lp);
	if (e->nkeys == AM_KEYS_MAX_PER_MSG)
		return false;
	e->key[e->nkeys++] = key;
	return true;
}

/* table_open - open a table named by a config value; NULL on error. */
static bool
table_open(struct table *t, const char *path, const char *cfgkey,
    const char *source, struct am_buf *errs)
{
	t->path = path;
	t->line = 0;
	if ((t->fp = fopen(path, "re")) == NULL) {
		am_buf_line(errs, "%s: %s %s: %s", source, cfgkey, path,
		    strerror(errno));
		return false;
	}
	return true;
}

/* table_next - the next non-empty line, comment stripped, split into at
 * most 4 fields (f[3] non-NULL means too many); false at the end. */
static bool
table_next(struct table *t, char *f[4], struct am_buf *errs)
{
	char *p, *save;
	size_t n;

	while (fgets(t->buf, sizeof(t->buf), t->fp) != NULL) {
		t->line++;
		n = strlen(t->buf);
		if (n == sizeof(t->buf) - 1 && t->buf[n - 1] != '\n') {
			am_buf_line(errs, "%s:%u: line longer than %d bytes", t->path,
			    t->line, LINE_MAX_LEN - 2);
			while (n > 0 && t->buf[n - 1] != '\n' &&
			    fgets(t->buf, sizeof(t->buf), t->fp) != NULL)
				n = strlen(t->buf);
			continue;
		}
		if ((p = strchr(t->buf, '#')) != NULL)
			*p = '\0';
		memset(f, 0, 4 * sizeof(*f));
		p = strtok_r(t->buf, " \t\r\n", &save);
		for (n = 0; p != NULL && n < 4; n++) {
			f[n] = p;
			p = strtok_r(NULL, " \t\r\n", &save);
		}
		if (f[0] != NULL)
			return true;
	}
	return false;
}

/* table_path - strip an OpenDKIM data set prefix; *is_re for "refile:". */
static const char *
table_path(const char *v, bool *is_re)
{
	*is_re = false;
	if (strncmp(v, "file:", 5) == 0)
		return v + 5;
	if (strncmp(v, "refile:", 7) == 0) {
		*is_re = true;
		return v + 7;
	}
	return v;
}

/* keytable_line - one "keyname domain:selector:path" line. */
static void
keytable_line(struct am_keys *ks, struct table *t, char *f[4],
    struct am_buf *errs)
{
	char where[512], *dom, *sel, *path;

	snprintf(where, sizeof(where), "%s:%u", t->path, t->line);
	if (f[1] == NULL || f[2] != NULL) {
		am_buf_line(errs, "%s: want \"keyname domain:selector:/path/to/key\"",
		    where);
		return;
	}
	dom = f[1];
	if ((sel = strchr(dom, ':')) == NULL ||
	    (path = strchr(sel + 1, ':')) == NULL) {
		am_buf_line(errs, "%s: key %s: want domain:selector:/path/to/key, got "
		    "\"%s\"", where, f[0], f[1]);
		return;
	}
	*sel++ = '\0';
	*path++ = '\0';
	if (*dom == '\0' || *sel == '\0' || *path != '/') {
		am_buf_line(errs, "%s: key %s: empty domain or selector, or a key "
		    "file that is not an absolute path", where, f[0]);
		return;
	}
	if (find_key(ks, f[0]) != SIZE_MAX) {
		am_buf_line(errs, "%s: duplicate key name %s", where, f[0]);
		return;
	}
	add_key(ks, f[0], dom, sel, path, where);
}

/* read_keytable - every KeyTable line; false if the file can't be read. */
static bool
read_keytable(struct am_keys *ks, const char *value, const char *source,
    struct am_buf *errs)
{
	struct table t;
	char *f[4];
	bool is_re;

	if (!table_open(&t, table_path(value, &is_re), "KeyTable", source,
	    errs))
		return false;
	while (table_next(&t, f, errs))
		keytable_line(ks, &t, f, errs);
	fclose(t.fp);
	return true;
}

/* signtable_line - one "pattern keyname [signer]" line. */
static void
signtable_line(struct am_keys *ks, struct table *t, char *f[4],
    struct am_buf *errs)
{
	size_t key;

	/* PITFALLS.md: a line without a key name crashed OpenDKIM. */
	if (f[1] == NULL) {
		am_buf_line(errs, "%s:%u: pattern %s has no key name", t->path,
		    t->line, f[0]);
		return;
	}
	if (f[3] != NULL) {
		am_buf_line(errs, "%s:%u: want \"pattern keyname [signer]\"", t->path,
		    t->line);
		return;
	}
	if (strcmp(f[1], "%") == 0)
		key = KEY_BY_DOMAIN;
	else if ((key = find_key(ks, f[1])) == SIZE_MAX) {
		am_buf_line(errs, "%s:%u: unknown key name %s (not in KeyTable)",
		    t->path, t->line, f[1]);
		return;
	}
	if (!add_sign(ks, f[0], key, f[2]))
		am_buf_line(errs, "%s:%u: more than %d keys for %s", t->path, t->line,
		    AM_KEYS_MAX_PER_MSG, f[0]);
}

/* read_signtable - every SigningTable line. */
static void
read_signtable(struct am_keys *ks, const char *value, const char *source,
    struct am_buf *errs)
{
	struct table t;
	char *f[4];

	if (!table_open(&t, table_path(value, &ks->is_refile), "SigningTable",
	    source, errs))
		return;
	while (table_next(&t, f, errs))
		signtable_line(ks, &t, f, errs);
	fclose(t.fp);
	if (!ks->is_refile && ks->nents > 1)
		qsort(ks->ents, ks->nents, sizeof(*ks->ents), entry_cmp);
}

/* split_list - comma/space separated items of s (modified) into v. */
static size_t
split_list(char *s, char **v, size_t max)
{
	size_t n = 0;
	char *p, *save;

	for (p = strtok_r(s, ", \t", &save); p != NULL;
	    p = strtok_r(NULL, ", \t", &save))
		if (n < max)
			v[n++] = p;
		else
			return max + 1;
	return n;
}

/* read_simple - Domain/Selector/KeyFile as synthetic tables. */
static void
read_simple(struct am_keys *ks, const struct am_config *cfg,
    struct am_buf *errs)
{
	char *d = am_xstrdup(cfg->sign_domain), *s = am_xstrdup(cfg->sign_selector);
	char *f = am_xstrdup(cfg->sign_key_file), *dv[64], *sv[8], *fv[8];
	char where[512];
	size_t nd, ns, nf;

	nd = split_list(d, dv, 64);
	ns = split_list(s, sv, AM_KEYS_MAX_PER_MSG);
	nf = split_list(f, fv, AM_KEYS_MAX_PER_MSG);
	if (nd == 0 || nd > 64 || ns == 0 || ns != nf ||
	    ns > AM_KEYS_MAX_PER_MSG)
		am_buf_line(errs, "%s: Domain (1 to 64), Selector and KeyFile (as many "
		    "selectors as key files, at most %d) go together",
		    cfg->source, AM_KEYS_MAX_PER_MSG);
	else
		for (size_t i = 0; i < nd; i++)
			for (size_t j = 0; j < ns; j++) {
				snprintf(where, sizeof(where), "%s: KeyFile",
				    cfg->source);
				if (fv[j][0] != '/')
					am_buf_line(errs, "%s %s is not an absolute path",
					    where, fv[j]);
				else
					add_sign(ks, dv[i], add_key(ks, sv[j],
					    dv[i], sv[j], fv[j], where), NULL);
			}
	free(d), free(s), free(f);
}

/* am_keys_load - build the store for cfg (see keys.h). */
struct am_keys *
am_keys_load(const struct am_config *cfg, struct am_buf *errs,
    struct am_buf *warns)
{
	struct am_keys *ks = am_xcalloc(1, sizeof(*ks));
	bool tables = cfg->key_table[0] || cfg->signing_table[0];
	bool simple = cfg->sign_domain[0] || cfg->sign_selector[0] ||
	    cfg->sign_key_file[0];
	size_t mark = errs ? errs->len : 0;
	struct am_buf tmp;
	bool ok = true;

	am_buf_init(&tmp, 1 << 20);
	if (errs == NULL)
		errs = &tmp;
	if (tables && simple)
		am_buf_line(errs, "%s: KeyTable/SigningTable and Domain/Selector/KeyFile "
		    "exclude each other", cfg->source);
	else if (tables && !(cfg->key_table[0] && cfg->signing_table[0]))
		am_buf_line(errs, "%s: KeyTable and SigningTable go together",
		    cfg->source);
	else if (tables && read_keytable(ks, cfg->key_table, cfg->source, errs))
		read_signtable(ks, cfg->signing_table, cfg->source, errs);
	else if (simple)
		read_simple(ks, cfg, errs);
	for (size_t i = 0; i < ks->nkeys; i++)
		ok = am_key_load(&ks->keys[i], cfg->require_safe_keys, errs,
		    warns) && ok;
	if (errs->len != mark || !ok)
		ks = am_keys_free(ks);
	am_buf_release(&tmp);
	return ks;
}

/* am_keys_free - wipe and release (see keys.h). */
struct am_keys *
am_keys_free(struct am_keys *ks)
{
	if (ks == NULL)
		return NULL;
	for (size_t i = 0; i < ks->nkeys; i++) {
		struct am_key *k = &ks->keys[i];

		EVP_PKEY_free(k->pkey);
		free(k->pub), free(k->name), free(k->domain);
		free(k->selector), free(k->path), free(k->where);
	}
	for (size_t i = 0; i < ks->nents; i++)
		free(ks->ents[i].pattern), free(ks->ents[i].signer);
	free(ks->keys), free(ks->ents), free(ks);
	return NULL;
}

/* am_keys_count - keys in the store. */
size_t
am_keys_count(const struct am_keys *ks) { return ks ? ks->nkeys : 0; }

/* am_keys_get - key i (borrowed), i < am_keys_count(). */
const struct am_key *
am_keys_get(const struct am_keys *ks, size_t i)
{
	if (ks == NULL || i >= ks->nkeys)
		AM_PANIC("am_keys_get: index %zu out of range", i);
	return &ks->keys[i];
}

/* am_key_alg_name - "rsa-sha256" or "ed25519-sha256". */
const char *
am_key_alg_name(enum am_key_alg alg)
{
	return alg == AM_KEY_ED25519_SHA256 ? "ed25519-sha256" : "rsa-sha256";
}
