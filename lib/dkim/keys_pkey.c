/*
 * keys_pkey.c - one DKIM private key, read and checked once with OpenSSL:
 * the file's type, size and mode on the open descriptor, then a PEM or DER
 * private key, RSA of at least 1024 bits (RFC 8301 §3.2) or Ed25519
 * (RFC 8463). The file's bytes are wiped as soon as they are decoded
 * (STYLE.md §5, §16); the decoded EVP_PKEY is what every signature is made
 * with (dkim_sign.c, lib/arc/arc_seal.c), so no key is parsed after load.
 * The public side too: the p= bytes and the DNS TXT record (RFC 6376
 * §3.6.1, RFC 8463 §4).
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>

#include "core/xalloc.h"
#include "dkim/keys.h"
#include "dkim/keys_impl.h"

#define KEY_FILE_MAX	65536	/* bytes; a 16384-bit RSA PEM is ~13 KiB */

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

/* am_key_load - read, check and convert k->path; false on error. */
bool
am_key_load(struct am_key *k, bool require_safe, struct am_buf *errs,
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
	if (ok && am_key_pubdata(pk, &k->pub, &k->pub_len) != AM_OK) {
		am_buf_line(errs, "%s: %s: cannot convert the key (%s)", k->where,
		    k->path, ossl_why(why, sizeof(why)));
		ok = false;
	}
	if (!ok) {
		EVP_PKEY_free(pk);
		return false;
	}
	k->pkey = pk;
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
