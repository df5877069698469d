#!/bin/sh
# tests/e2e/milter_proto.sh - the daemon through the milter protocol, with
# no MTA: tests/e2e/milter_proto.py (scenarios n1-n6, see there) drives
# milter/authmilter with tests/testutil/milterclient.py. This wrapper starts
# the loopback unbound it resolves through (tests/testutil/testdns.sh: every
# name NXDOMAIN at once), runs the Python suite, then stops the resolver.
# Needs python3 and unbound; otherwise exit 77 (SKIP).
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir

command -v python3 >/dev/null 2>&1 || { echo "SKIP: no python3"; exit 77; }
[ -x "$top_builddir/milter/authmilter" ] ||
    { echo "SKIP: milter/authmilter not built"; exit 77; }
# shellcheck source=tests/testutil/testdns.sh
. "$top_srcdir/tests/testutil/testdns.sh"
dir=$(mktemp -d "${TMPDIR:-/tmp}/authmilter-proto-dns.XXXXXX") || exit 1
AM_TEST_DNS_PORT=$(testdns_start "$dir") ||
    { echo "SKIP: cannot start unbound"; rm -rf "$dir"; exit 77; }
export AM_TEST_DNS_PORT
python3 "$top_srcdir/tests/e2e/milter_proto.py"
rc=$?
testdns_stop "$dir"
rm -rf "$dir"
exit $rc
