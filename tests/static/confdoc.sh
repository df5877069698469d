#!/bin/sh
# confdoc.sh - conf/authmilter.conf must be what `authmilterctl config -d`
# prints, i.e. generated from lib/config/config_keys.def (STYLE.md section 10).
# make check sets top_srcdir and top_builddir; run by hand, they default to
# the source tree and the current directory.
set -u

here=$(dirname "$0")
top_srcdir=${top_srcdir:-$(cd "$here/../.." && pwd)}
top_builddir=${top_builddir:-.}
ctl=$top_builddir/milter/authmilterctl
conf=$top_srcdir/conf/authmilter.conf

if [ ! -x "$ctl" ]; then
	echo "confdoc: $ctl not built; run make first" >&2
	exit 1
fi
tmp=$(mktemp "${TMPDIR:-/tmp}/confdoc.XXXXXX") || exit 1
trap 'rm -f "$tmp"' EXIT HUP INT TERM

if ! "$ctl" config -d >"$tmp"; then
	echo "confdoc: '$ctl config -d' failed" >&2
	exit 1
fi
if ! diff -u "$conf" "$tmp"; then
	echo "confdoc: conf/authmilter.conf differs from lib/config/config_keys.def;" \
	    "run 'make conf' and commit conf/authmilter.conf" >&2
	exit 1
fi
exit 0
