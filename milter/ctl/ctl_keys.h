/*
 * NAME        ctl_keys - authmilterctl keygen and testkey
 * SYNOPSIS    authmilterctl keygen --domain D --selector S
 *                 [--type rsa|ed25519] [--bits N] [--dir DIR]
 *             authmilterctl testkey
 * DESCRIPTION am_ctl_keygen() takes the subcommand's argv (argv[0] is
 *             "keygen", options follow). It makes a key with OpenSSL (RSA,
 *             default 2048 bits, 1024..8192; or Ed25519), writes it as
 *             unencrypted PKCS#8 PEM to DIR/S.D.key (default DIR ".",
 *             created with mode 0600 and O_EXCL: an existing file is never
 *             overwritten), and prints to stdout the DNS record
 *             ("S._domainkey.D. IN TXT ( "v=DKIM1; k=rsa; " "p=..." )",
 *             character-strings of at most 255 bytes) and the KeyTable and
 *             SigningTable lines for it. Returns 0, 1 on a failure
 *             (message on stderr), 2 on a usage error.
 *
 *             am_ctl_testkey() loads the key store of cfg (errors on
 *             stderr, return 1) and for every KeyTable key looks up
 *             S._domainkey.D TXT through dns (borrowed), and checks that
 *             the record's k= matches the key type and its p= is the
 *             public half of the private key (RSA: SubjectPublicKeyInfo or
 *             RSAPublicKey DER, compared with EVP_PKEY_eq; Ed25519: the 32
 *             raw bytes). It prints one line per key to stdout
 *             ("ok", "FAIL" with a reason, or "skip" for a "%" domain) and
 *             returns 0 when every key matched, 1 otherwise.
 * THREADS     command-line use only.
 */
#ifndef AM_CTL_KEYS_H
#define AM_CTL_KEYS_H

#include "config/config.h"
#include "dns/dns.h"

int am_ctl_keygen(int argc, char **argv);
int am_ctl_testkey(const struct am_config *cfg, struct am_dns *dns);

#endif
