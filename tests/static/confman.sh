#!/bin/sh
# confman.sh - the key list of man/authmilter.conf.5 must be what
# `authmilterctl config --man` prints, i.e. generated from
# lib/config/config_keys.def like conf/authmilter.conf (STYLE.md section 10).
# make check sets top_srcdir and top_builddir; run by hand, they default to
# the source tree and the current directory.
set -u

here=$(dirname "$0")
top_srcdir=${top_srcdir:-$(cd "$here/../.." && pwd)}
top_builddir=${top_builddir:-.}
ctl=$top_builddir/milter/authmilterctl
page=$top_srcdir/man/authmilter.conf.5

if [ ! -x "$ctl" ]; then
	echo "confman: $ctl not built; run make first" >&2
	exit 1
fi
tmp=$(mktemp "${TMPDIR:-/tmp}/confman.XXXXXX") || exit 1
trap 'rm -f "$tmp"' EXIT HUP INT TERM

if ! sh "$top_srcdir/man/splice-keys.sh" "$page" "$ctl" >"$tmp"; then
	echo "confman: cannot generate the key list of $page" >&2
	exit 1
fi
if ! diff -u "$page" "$tmp"; then
	echo "confman: man/authmilter.conf.5 differs from" \
	    "lib/config/config_keys.def; run 'make man' and commit it" >&2
	exit 1
fi
echo "ok - man/authmilter.conf.5 lists every key as config_keys.def does"
exit 0
