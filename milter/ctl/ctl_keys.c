/*
 * ctl_keys.c - authmilterctl keygen / testkey (contract in ctl_keys.h).
 *
 * keygen uses OpenSSL's EVP API and writes PKCS#8 PEM (libopendkim needs it
 * for Ed25519, LIBRARY-NOTES §2). testkey compares public keys itself:
 * dkim_test_key() with a private key is RSA-only.
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "core/buf.h"
#include "dkim/keys.h"
#include "core/xalloc.h"
#include "ctl_keys.h"

#define TXT_STRING_MAX	255	/* RFC 1035 §3.3 character-string */
#define NS_T_TXT	16

struct keygen_opts {
	const char *domain;	/* borrowed from argv */
	const char *selector;	/* borrowed from argv */
	const char *dir;	/* borrowed from argv */
	bool is_ed25519;	/* --type ed25519 */
	long bits;		/* RSA modulus bits */
};

/* is_dns_name - letters, digits, '-', '_', '.'; 1..253 bytes. */
static bool
is_dns_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 253 || s[0] == '.' || s[n - 1] == '.' ||
	    strstr(s, "..") != NULL)
		return false;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr("-_.", *s) == NULL)
			return false;
	return true;
}

/* keygen_args - parse argv into o; false (after a message) on misuse. */
static bool
keygen_args(int argc, char **argv, struct keygen_opts *o, FILE *err)
{
	static const struct option lo[] = {
		{ "domain", required_argument, NULL, 'd' },
		{ "selector", required_argument, NULL, 's' },
		{ "type", required_argument, NULL, 't' },
		{ "bits", required_argument, NULL, 'b' },
		{ "dir", required_argument, NULL, 'D' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	memset(o, 0, sizeof(*o));
	o->dir = ".";
	o->bits = 2048;
	optind = 0;	/* GNU: full re-initialisation */
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1)
		switch (c) {
		case 'd': o->domain = optarg; break;
		case 's': o->selector = optarg; break;
		case 'D': o->dir = optarg; break;
		case 't':
			if (strcasecmp(optarg, "ed25519") == 0)
				o->is_ed25519 = true;
			else if (strcasecmp(optarg, "rsa") != 0)
				goto usage;
			break;
		case 'b':
			errno = 0;
			o->bits = strtol(optarg, &end, 10);
			if (errno || *end || o->bits < 1024 || o->bits > 8192)
				goto usage;
			break;
		default:
			goto usage;
		}
	if (optind == argc && o->domain && o->selector &&
	    is_dns_name(o->domain) && is_dns_name(o->selector))
		return true;
usage:
	fprintf(err, "usage: authmilterctl keygen --domain D --selector S "
	    "[--type rsa|ed25519] [--bits 1024..8192] [--dir DIR]\n");
	return false;
}

/* write_key - the key as PKCS#8 PEM to a new file, mode 0600. */
static bool
write_key(EVP_PKEY *pk, const char *path, FILE *err)
{
	BIO *mem = BIO_new(BIO_s_secmem());
	char *p;
	long n;
	int fd;
	bool ok;

	if (mem == NULL || !PEM_write_bio_PrivateKey(mem, pk, NULL, NULL, 0,
	    NULL, NULL) || (n = BIO_get_mem_data(mem, &p)) <= 0) {
		fprintf(err, "keygen: cannot encode the key\n");
		BIO_free(mem);
		return false;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd < 0) {
		fprintf(err, "keygen: %s: %s\n", path, strerror(errno));
		BIO_free(mem);
		return false;
	}
	ok = fchmod(fd, 0600) == 0 && write(fd, p, (size_t)n) == n;
	ok = close(fd) == 0 && ok;
	if (!ok) {
		fprintf(err, "keygen: %s: %s\n", path, strerror(errno));
		(void)unlink(path);
	}
	BIO_free(mem);
	return ok;
}

/* print_txt - the record, split into quoted strings of <= 255 bytes. */
static void
print_txt(FILE *out, const char *sel, const char *dom, const char *rec)
{
	const char *p = strstr(rec, "p=");
	size_t len = strlen(rec), n;

	fprintf(out, "%s._domainkey.%s. IN TXT ( \"%.*s\"", sel, dom,
	    (int)(p - rec), rec);
	for (rec = p; (len = strlen(rec)) > 0; rec += n) {
		n = len > TXT_STRING_MAX ? TXT_STRING_MAX : len;
		fprintf(out, "\n\t\"%.*s\"", (int)n, rec);
	}
	fprintf(out, " )\n");
}

/* keygen - see am_ctl_keygen; output and errors to the given streams. */
static int
keygen(int argc, char **argv, FILE *out, FILE *err)
{
	struct keygen_opts o;
	struct am_key k;
	struct am_buf rec, path;
	EVP_PKEY *pk;
	int rc = 1;

	if (!keygen_args(argc, argv, &o, err))
		return 2;
	pk = o.is_ed25519 ? EVP_PKEY_Q_keygen(NULL, NULL, "ED25519") :
	    EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)o.bits);
	if (pk == NULL) {
		fprintf(err, "keygen: OpenSSL could not make the key\n");
		return 1;
	}
	memset(&k, 0, sizeof(k));
	k.alg = o.is_ed25519 ? AM_KEY_ED25519_SHA256 : AM_KEY_RSA_SHA256;
	am_buf_init(&rec, 16384);
	am_buf_init(&path, 4096);
	if (am_buf_printf(&path, "%s/%s.%s.key", o.dir, o.selector,
	    o.domain) == AM_OK && am_key_pubdata(pk, &k.pub, &k.pub_len) ==
	    AM_OK && am_key_record(&k, &rec) == AM_OK &&
	    write_key(pk, am_buf_str(&path), err)) {
		fprintf(out, "; private key written to %s (mode 0600)\n",
		    am_buf_str(&path));
		print_txt(out, o.selector, o.domain, am_buf_str(&rec));
		fprintf(out, "; KeyTable:\n%s._domainkey.%s %s:%s:%s\n",
		    o.selector, o.domain, o.domain, o.selector,
		    am_buf_str(&path));
		fprintf(out, "; SigningTable (refile:):\n*@%s %s._domainkey.%s\n",
		    o.domain, o.selector, o.domain);
		rc = 0;
	}
	free(k.pub);
	am_buf_release(&rec);
	am_buf_release(&path);
	EVP_PKEY_free(pk);
	return rc;
}

/* am_ctl_keygen - authmilterctl keygen (see ctl_keys.h). */
int
am_ctl_keygen(int argc, char **argv)
{
	return keygen(argc, argv, stdout, stderr);
}

/* tag - the value of tag in a DKIM key record (RFC 6376 §3.2), trimmed
 * and with white space removed, into out; false when absent. */
static bool
tag(const char *rec, const char *name, struct am_buf *out)
{
	size_t nl = strlen(name);
	const char *p = rec, *e;

	am_buf_reset(out);
	while (*p != '\0') {
		p += strspn(p, " \t\r\n;");
		e = p + strcspn(p, ";");
		if (strncmp(p, name, nl) == 0 && p[nl + strspn(p + nl, " \t")]
		    == '=') {
			for (p += nl + strspn(p + nl, " \t") + 1; p < e; p++)
				if (!isspace((unsigned char)*p) &&
				    am_buf_putc(out, *p) != AM_OK)
					return false;
			return true;
		}
		p = e;
	}
	return false;
}

/* decode64 - base64 to bytes (owned), NULL on bad input. */
static unsigned char *
decode64(const char *b64, size_t *len)
{
	size_t n = strlen(b64), pad = 0;
	unsigned char *out;
	int r;

	if (n == 0 || n % 4 != 0 || n > 65536)
		return NULL;
	pad = (b64[n - 1] == '=') + (b64[n - 2] == '=');
	out = am_xmalloc(n / 4 * 3 + 1);
	if ((r = EVP_DecodeBlock(out, (const unsigned char *)b64, (int)n)) < 0 ||
	    (size_t)r < pad) {
		free(out);
		return NULL;
	}
	*len = (size_t)r - pad;
	return out;
}

/* same_rsa - is der (SPKI or PKCS#1) the public half of key k? */
static bool
same_rsa(const struct am_key *k, const unsigned char *der, size_t len)
{
	const unsigned char *p = der, *q = k->pub;
	EVP_PKEY *pub, *ours;
	bool same;

	pub = d2i_PUBKEY(NULL, &p, (long)len);
	if (pub == NULL) {
		p = der;
		pub = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, (long)len);
	}
	ours = d2i_PUBKEY(NULL, &q, (long)k->pub_len);
	same = pub != NULL && ours != NULL && EVP_PKEY_eq(pub, ours) == 1;
	EVP_PKEY_free(pub);
	EVP_PKEY_free(ours);
	return same;
}

/* compare - why the record does not match k, or NULL when it does. */
static const char *
compare(const struct am_key *k, const char *rec)
{
	struct am_buf v;
	unsigned char *der;
	const char *why = NULL;
	bool ed = k->alg == AM_KEY_ED25519_SHA256;
	size_t len;

	am_buf_init(&v, 65536);
	if (tag(rec, "k", &v) && strcasecmp(am_buf_str(&v),
	    ed ? "ed25519" : "rsa") != 0)
		why = "k= does not match the key type";
	else if (!tag(rec, "k", &v) && ed)
		why = "k= missing (rsa assumed), the key is Ed25519";
	else if (!tag(rec, "p", &v))
		why = "no p= tag";
	else if (v.len == 0)
		why = "key revoked (empty p=)";
	else if ((der = decode64(am_buf_str(&v), &len)) == NULL)
		why = "p= is not valid base64";
	else {
		if (ed ? len != 32 || memcmp(der, k->pub, 32) != 0 :
		    !same_rsa(k, der, len))
			why = "published public key does not match the private key";
		free(der);
	}
	am_buf_release(&v);
	return why;
}

/* check_one - look up and compare one key; true when it matches. */
static bool
check_one(const struct am_config *cfg, struct am_dns *dns,
    const struct am_key *k, FILE *out)
{
	struct am_dns_answer ans;
	struct am_buf name, rec;
	const char *why = NULL;

	am_buf_init(&name, 512);
	am_buf_init(&rec, 65536);
	(void)am_buf_printf(&name, "%s._domainkey.%s", k->selector, k->domain);
	am_dns_lookup(dns, am_buf_str(&name), NS_T_TXT,
	    (unsigned)cfg->dns_timeout * 1000, &ans);
	if (ans.result != AM_DNS_OK)
		why = ans.result == AM_DNS_TEMPERROR ? ans.why :
		    "no TXT record published";
	else if (ans.count != 1)
		why = "more than one TXT record";
	else if (am_dns_txt(&ans, 0, &rec) != AM_OK)
		why = "malformed TXT record";
	else
		why = compare(k, am_buf_str(&rec));
	fprintf(out, "%s %s %s %u bits (key %s, %s)%s%s\n", why ? "FAIL" : "ok",
	    am_buf_str(&name), am_key_alg_name(k->alg), k->bits, k->name,
	    k->path, why ? ": " : "", why ? why : "");
	am_dns_answer_release(&ans);
	am_buf_release(&name);
	am_buf_release(&rec);
	return why == NULL;
}

/* testkey - see am_ctl_testkey; output to out, errors to err. */
static int
testkey(const struct am_config *cfg, struct am_dns *dns, FILE *out,
    FILE *err)
{
	struct am_buf errs;
	struct am_keys *ks;
	const struct am_key *k;
	int rc = 0;

	am_buf_init(&errs, 1 << 20);
	if ((ks = am_keys_load(cfg, &errs, NULL)) == NULL) {
		fputs(am_buf_str(&errs), err);
		am_buf_release(&errs);
		return 1;
	}
	if (am_keys_count(ks) == 0)
		fprintf(out, "no signing keys configured\n");
	for (size_t i = 0; i < am_keys_count(ks); i++) {
		k = am_keys_get(ks, i);
		if (strcmp(k->domain, "%") == 0)
			fprintf(out, "skip %s._domainkey.%% (key %s): the domain "
			    "is each message's From domain\n", k->selector,
			    k->name);
		else if (!check_one(cfg, dns, k, out))
			rc = 1;
	}
	am_keys_free(ks);
	am_buf_release(&errs);
	return rc;
}

/* am_ctl_testkey - authmilterctl testkey (see ctl_keys.h). */
int
am_ctl_testkey(const struct am_config *cfg, struct am_dns *dns)
{
	return testkey(cfg, dns, stdout, stderr);
}
