/*
 * keys.c - the DKIM key store: OpenDKIM KeyTable/SigningTable or the simple
 * Domain/Selector/KeyFile form, keys read and checked once with OpenSSL.
 *
 * The tables are parsed into an array of keys and an array of signing
 * entries (pattern -> key indices). A plain SigningTable is sorted and
 * searched with bsearch in OpenDKIM's order (opendkim.c dkimf_get_key); a
 * refile is scanned in file order. Private keys are re-encoded as PKCS#8 PEM
 * (libopendkim takes a NUL-terminated string and needs PKCS#8 for Ed25519)
 * in OpenSSL's secure heap, and wiped at free (STYLE.md §5, §16). The
 * decoded EVP_PKEY is kept and registered with pkey_cache under that text,
 * so libopendkim signs with it instead of decoding the text per message.
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>

#include "core/xalloc.h"
#include "dkim/keys.h"
#include "dkim/pkey_cache.h"

#define KEY_FILE_MAX	65536	/* bytes; a 16384-bit RSA PEM is ~13 KiB */
#define LINE_MAX_LEN	8192	/* table line, bytes */
#define KEY_BY_DOMAIN	SIZE_MAX /* signing table keyname "%" */

struct sign_entry {
	char *pattern;		/* lower-case */
	char *signer;		/* i= template, or NULL */
	size_t nkeys;		/* used entries of key[] */
	size_t key[AM_KEYS_MAX_PER_MSG]; /* indices into keys, or KEY_BY_DOMAIN */
};

struct am_keys {
	struct am_key *keys;	/* owned array */
	size_t nkeys;		/* entries in keys */
	struct sign_entry *ents; /* owned array */
	size_t nents;		/* entries in ents */
	bool is_refile;		/* wildcard patterns in file order */
};

/* A table file being read. */
struct table {
	const char *path;	/* borrowed */
	FILE *fp;		/* owned */
	unsigned line;		/* current line number */
	char buf[LINE_MAX_LEN];	/* current line */
};

/* lower - lower-case s in place; returns s. */
static char *
lower(char *s)
{
	for (char *p = s; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return s;
}


/* ossl_why - the last OpenSSL error as text (clears the queue). */
static const char *
ossl_why(char *buf, size_t len)
{
	unsigned long e = ERR_peek_last_error();

	if (e == 0)
		snprintf(buf, len, "unknown error");
	else
		ERR_error_string_n(e, buf, len);
	ERR_clear_error();
	return buf;
}

/* no_passphrase - refuse encrypted keys instead of prompting on a tty. */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf, (void)size, (void)rwflag, (void)u;
	return -1;
}

/* mode_problem - what is unsafe about a key file mode, or NULL. */
static const char *
mode_problem(mode_t m)
{
	if (m & S_IWOTH)
		return "world-writable";
	if (m & (S_IROTH | S_IXOTH))
		return "world-readable";
	if (m & S_IWGRP)
		return "group-writable";
	if (m & (S_IRGRP | S_IXGRP))
		return "group-readable";
	return NULL;
}

/* read_key_file - the bytes of a key file (owned; wipe and free), NULL on
 * error. Mode and type are checked on the open descriptor (STYLE.md §16). */
static char *
read_key_file(const char *path, const char *where, bool require_safe,
    size_t *len, struct am_buf *errs, struct am_buf *warns)
{
	struct stat st;
	const char *bad;
	char *data;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
		am_buf_line(errs, "%s: %s: %s", where, path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > KEY_FILE_MAX || st.st_size == 0) {
		am_buf_line(errs, "%s: %s is not a regular file of 1 to %d bytes",
		    where, path, KEY_FILE_MAX);
		close(fd);
		return NULL;
	}
	if ((bad = mode_problem(st.st_mode)) != NULL) {
		am_buf_line(require_safe ? errs : warns, "%s: %s is %s%s", where,
		    path, bad, require_safe ? " (RequireSafeKeys yes)" : "");
		if (require_safe) {
			close(fd);
			return NULL;
		}
	}
	data = am_xmalloc((size_t)st.st_size + 1);
	n = read(fd, data, (size_t)st.st_size);
	close(fd);
	if (n != st.st_size) {
		am_buf_line(errs, "%s: %s: short read", where, path);
		OPENSSL_cleanse(data, (size_t)st.st_size + 1);
		free(data);
		return NULL;
	}
	data[n] = '\0';
	*len = (size_t)n;
	return data;
}

/* parse_pkey - an OpenSSL key from PEM or DER bytes, or NULL. */
static EVP_PKEY *
parse_pkey(const char *data, size_t len)
{
	EVP_PKEY *pk;
	BIO *bio;

	bio = BIO_new_mem_buf(data, (int)len);
	pk = bio ? PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL) : NULL;
	BIO_free(bio);
	if (pk == NULL) {
		bio = BIO_new_mem_buf(data, (int)len);
		pk = bio ? d2i_PrivateKey_bio(bio, NULL) : NULL;
		BIO_free(bio);
	}
	return pk;
}

/* check_type - set alg and bits from the key type; false on error. */
static bool
check_type(struct am_key *k, EVP_PKEY *pk, const char *where,
    struct am_buf *errs, struct am_buf *warns)
{
	switch (EVP_PKEY_get_base_id(pk)) {
	case EVP_PKEY_RSA:
		k->alg = AM_KEY_RSA_SHA256;
		k->bits = (unsigned)EVP_PKEY_get_bits(pk);
		/* RFC 8301 §3.2: at least 1024 bits, 2048 recommended. */
		if (k->bits < 1024) {
			am_buf_line(errs, "%s: %s is a %u-bit RSA key (at least 1024 "
			    "bits needed)", where, k->path, k->bits);
			return false;
		}
		if (k->bits < 2048)
			am_buf_line(warns, "%s: %s is a %u-bit RSA key (2048 bits "
			    "recommended)", where, k->path, k->bits);
		return true;
	case EVP_PKEY_ED25519:
		k->alg = AM_KEY_ED25519_SHA256;
		k->bits = 256;
		return true;
	default:
		am_buf_line(errs, "%s: %s is a %s key (RSA or Ed25519 needed)", where,
		    k->path, OBJ_nid2sn(EVP_PKEY_get_base_id(pk)));
		return false;
	}
}

/* export_pem - k->pem = the key as unencrypted PKCS#8 PEM. */
static bool
export_pem(struct am_key *k, EVP_PKEY *pk)
{
	BIO *out;
	char *p;
	long n;

	if ((out = BIO_new(BIO_s_secmem())) == NULL)
		return false;
	if (!PEM_write_bio_PrivateKey(out, pk, NULL, NULL, 0, NULL, NULL) ||
	    (n = BIO_get_mem_data(out, &p)) <= 0) {
		BIO_free(out);
		return false;
	}
	k->pem = am_xmemdup(p, (size_t)n);
	BIO_free(out);
	return true;
}

/* load_key - read, check and convert k->path; false on error. */
static bool
load_key(struct am_key *k, bool require_safe, struct am_buf *errs,
    struct am_buf *warns)
{
	EVP_PKEY *pk;
	char *data, why[256];
	size_t len;
	bool ok;

	data = read_key_file(k->path, k->where, require_safe, &len, errs,
	    warns);
	if (data == NULL)
		return false;
	pk = parse_pkey(data, len);
	OPENSSL_cleanse(data, len);
	free(data);
	if (pk == NULL) {
		am_buf_line(errs, "%s: %s is not an unencrypted PEM private key (%s)",
		    k->where, k->path, ossl_why(why, sizeof(why)));
		return false;
	}
	ok = check_type(k, pk, k->where, errs, warns);
	if (ok && (!export_pem(k, pk) ||
	    am_key_pubdata(pk, &k->pub, &k->pub_len) != AM_OK)) {
		am_buf_line(errs, "%s: %s: cannot convert the key (%s)", k->where,
		    k->path, ossl_why(why, sizeof(why)));
		ok = false;
	}
	if (!ok) {
		EVP_PKEY_free(pk);
		return false;
	}
	k->pkey = pk;
	am_pkey_cache_add(k->pem, pk);
	return true;
}

/* am_key_pubdata - p= bytes: SPKI DER for RSA, raw key for Ed25519. */
enum am_status
am_key_pubdata(EVP_PKEY *pk, unsigned char **out, size_t *len)
{
	unsigned char *p;
	int n;

	*out = NULL;
	*len = 0;
	if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_ED25519) {
		p = am_xmalloc(32);
		*len = 32;
		if (!EVP_PKEY_get_raw_public_key(pk, p, len) || *len != 32) {
			free(p);
			*len = 0;
			return AM_PERMFAIL;
		}
		*out = p;
		return AM_OK;
	}
	if ((n = i2d_PUBKEY(pk, NULL)) <= 0)
		return AM_PERMFAIL;
	*out = p = am_xmalloc((size_t)n);
	if (i2d_PUBKEY(pk, &p) != n) {
		free(*out);
		*out = NULL;
		return AM_PERMFAIL;
	}
	*len = (size_t)n;
	return AM_OK;
}

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

/* find_key - index of the key named name, or SIZE_MAX. */
static size_t
find_key(const struct am_keys *ks, const char *name)
{
	for (size_t i = 0; i < ks->nkeys; i++)
		if (strcmp(ks->keys[i].name, name) == 0)
			return i;
	return SIZE_MAX;
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

/* entry_cmp - qsort/bsearch order of signing entries. */
static int
entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct sign_entry *)a)->pattern,
	    ((const struct sign_entry *)b)->pattern);
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
		ok = load_key(&ks->keys[i], cfg->require_safe_keys, errs,
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

		if (k->pkey != NULL) {
			am_pkey_cache_remove(k->pem);
			EVP_PKEY_free(k->pkey);
		}
		if (k->pem != NULL)
			OPENSSL_cleanse(k->pem, strlen(k->pem));
		free(k->pem), free(k->pub), free(k->name), free(k->domain);
		free(k->selector), free(k->path), free(k->where);
	}
	for (size_t i = 0; i < ks->nents; i++)
		free(ks->ents[i].pattern), free(ks->ents[i].signer);
	free(ks->keys), free(ks->ents), free(ks);
	return NULL;
}

/* glob_match - '*' matches any run; ASCII case-insensitive. */
static bool
glob_match(const char *p, const char *s)
{
	const char *star = NULL, *resume = NULL;

	while (*s != '\0') {
		if (*p == '*') {
			star = ++p;
			resume = s;
		} else if (tolower((unsigned char)*p) ==
		    tolower((unsigned char)*s)) {
			p++, s++;
		} else if (star != NULL) {
			p = star;
			s = ++resume;
		} else
			return false;
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

/* exact - the entry for a candidate string (lower-cased here), or NULL. */
static const struct sign_entry *
exact(const struct am_keys *ks, const char *cand)
{
	struct sign_entry key;
	char buf[1024];

	if (snprintf(buf, sizeof(buf), "%s", cand) >= (int)sizeof(buf))
		return NULL;
	key.pattern = lower(buf);
	return bsearch(&key, ks->ents, ks->nents, sizeof(*ks->ents), entry_cmp);
}

/* lookup_plain - OpenDKIM's order: user@host, host, user@.parent...,
 * .parent..., user@*, * (opendkim.c, SigningTable in opendkim.conf(5)). */
static const struct sign_entry *
lookup_plain(const struct am_keys *ks, const char *local, const char *domain)
{
	const struct sign_entry *e = NULL;
	char cand[1024];
	const char *p;

	if (*local && snprintf(cand, sizeof(cand), "%s@%s", local, domain) <
	    (int)sizeof(cand) && (e = exact(ks, cand)) != NULL)
		return e;
	if ((e = exact(ks, domain)) != NULL)
		return e;
	for (int pass = 0; pass < 2; pass++)
		for (p = strchr(domain, '.'); p != NULL; p = strchr(p + 1, '.')) {
			if (pass == 0 && *local == '\0')
				break;
			snprintf(cand, sizeof(cand), "%s%s%s", pass ? "" : local,
			    pass ? "" : "@", p);
			if ((e = exact(ks, cand)) != NULL)
				return e;
		}
	if (*local && snprintf(cand, sizeof(cand), "%s@*", local) <
	    (int)sizeof(cand) && (e = exact(ks, cand)) != NULL)
		return e;
	return exact(ks, "*");
}

/* lookup_re - the first wildcard pattern matching user@host. */
static const struct sign_entry *
lookup_re(const struct am_keys *ks, const char *local, const char *domain)
{
	char addr[1024];

	if (snprintf(addr, sizeof(addr), "%s%s%s", local, *local ? "@" : "",
	    domain) >= (int)sizeof(addr))
		return NULL;
	for (size_t i = 0; i < ks->nents; i++)
		if (glob_match(ks->ents[i].pattern, addr))
			return &ks->ents[i];
	return NULL;
}

/* am_keys_lookup - the keys to sign a From address with (see keys.h). */
size_t
am_keys_lookup(const struct am_keys *ks, const char *from_local,
    const char *from_domain, const struct am_key **out, size_t max,
    const char **signer)
{
	const struct sign_entry *e;
	size_t n = 0, k;

	if (signer != NULL)
		*signer = NULL;
	if (ks == NULL || ks->nents == 0 || from_domain == NULL ||
	    *from_domain == '\0')
		return 0;
	if (from_local == NULL)
		from_local = "";
	e = ks->is_refile ? lookup_re(ks, from_local, from_domain) :
	    lookup_plain(ks, from_local, from_domain);
	if (e == NULL)
		return 0;
	for (size_t i = 0; i < e->nkeys && n < max; i++) {
		k = e->key[i];
		if (k == KEY_BY_DOMAIN && (k = find_key(ks, from_domain)) ==
		    SIZE_MAX)
			continue;
		out[n++] = &ks->keys[k];
	}
	if (signer != NULL && n > 0)
		*signer = e->signer;
	return n;
}

/* am_key_domain - d= for this key and From domain. */
const char *
am_key_domain(const struct am_key *k, const char *from_domain)
{
	return strcmp(k->domain, "%") == 0 ? from_domain : k->domain;
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

/* am_key_record - "v=DKIM1; k=...; p=..." (RFC 6376 §3.6.1, RFC 8463). */
enum am_status
am_key_record(const struct am_key *k, struct am_buf *out)
{
	unsigned char *b64;
	enum am_status st;

	am_buf_reset(out);
	b64 = am_xmalloc(4 * ((k->pub_len + 2) / 3) + 1);
	EVP_EncodeBlock(b64, k->pub, (int)k->pub_len);
	st = am_buf_printf(out, "v=DKIM1; k=%s; p=%s",
	    k->alg == AM_KEY_ED25519_SHA256 ? "ed25519" : "rsa", b64);
	free(b64);
	return st;
}
