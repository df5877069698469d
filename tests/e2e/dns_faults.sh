#!/bin/sh
# tests/e2e/dns_faults.sh - the daemon under DNS faults from real servers on
# loopback (tests/e2e/dns_faults.py: SERVFAIL, REFUSED, truncated answers
# without TCP, late answers, no answers, a bogus DNSSEC chain under a trust
# anchor). Needs a python3 with dnspython (Debian python3-dnspython; the
# first of python3 and /usr/bin/python3 that has it); otherwise exit 77.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir

py=
for p in python3 /usr/bin/python3; do
	if command -v "$p" >/dev/null 2>&1 &&
	    "$p" -c 'import dns.message, dns.zone' 2>/dev/null; then
		py=$p; break
	fi
done
[ -n "$py" ] || { echo "SKIP: no python3 with dnspython"; exit 77; }
[ -x "$top_builddir/milter/authmilter" ] ||
    { echo "SKIP: milter/authmilter not built"; exit 77; }
exec "$py" "$top_srcdir/tests/e2e/dns_faults.py"
