#!/bin/sh
# tests/e2e/hostile.sh - hostile clients and hostile messages against the
# daemon through the milter protocol (tests/e2e/hostile.py). Needs a
# python3 with dnspython and dkimpy (Debian python3-dnspython, python3-dkim;
# the first of python3 and /usr/bin/python3 that has both); otherwise exit
# 77 (SKIP).
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir

py=
for p in python3 /usr/bin/python3; do
	if command -v "$p" >/dev/null 2>&1 &&
	    "$p" -c 'import dns.message, dkim' 2>/dev/null; then
		py=$p; break
	fi
done
[ -n "$py" ] || { echo "SKIP: no python3 with dnspython and dkimpy"; exit 77; }
[ -x "$top_builddir/milter/authmilter" ] ||
    { echo "SKIP: milter/authmilter not built"; exit 77; }
exec "$py" "$top_srcdir/tests/e2e/hostile.py"
