#!/bin/sh
# tests/e2e/sign_keys.sh - the daemon signs with the keys it loaded, never
# decoding one per message (issue 20): tests/e2e/sign_keys.py (scenarios
# k1-k4, see there) runs milter/authmilter under gdb with breakpoints on
# OpenSSL's key decoders and drives it through the milter protocol. This
# wrapper makes an RSA-2048 and an Ed25519 key (mode 0600) and starts the
# loopback unbound the daemon resolves through (tests/testutil/testdns.sh),
# runs the Python suite, then stops the resolver.
# Needs python3, gdb, openssl and unbound; otherwise exit 77 (SKIP).
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir

for tool in python3 gdb openssl; do
	command -v $tool >/dev/null 2>&1 || { echo "SKIP: no $tool"; exit 77; }
done
[ -x "$top_builddir/milter/authmilter" ] ||
    { echo "SKIP: milter/authmilter not built"; exit 77; }
# LeakSanitizer does not run under ptrace (ASan builds).
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
# shellcheck source=tests/testutil/testdns.sh
. "$top_srcdir/tests/testutil/testdns.sh"
dir=$(mktemp -d "${TMPDIR:-/tmp}/authmilter-signkeys-dns.XXXXXX") || exit 1
(umask 077 && openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out "$dir/rsa.key" 2>/dev/null &&
    openssl genpkey -algorithm ED25519 -out "$dir/ed.key" 2>/dev/null) ||
    { echo "cannot make keys"; rm -rf "$dir"; exit 1; }
AM_TEST_DNS_PORT=$(testdns_start "$dir") ||
    { echo "SKIP: cannot start unbound"; rm -rf "$dir"; exit 77; }
AM_TEST_KEYDIR=$dir
export AM_TEST_DNS_PORT AM_TEST_KEYDIR
python3 "$top_srcdir/tests/e2e/sign_keys.py"
rc=$?
testdns_stop "$dir"
rm -rf "$dir"
exit $rc
