#!/bin/sh
# layers.sh - the include rules of lib/README:
#  - a file in lib/G/ includes only "G/..." and the groups lib/README's table
#    lets G include (the table is read from lib/README, so the document and
#    the check cannot drift);
#  - every lib/ include names its group ("dns/dns.h");
#  - no include cycle between the modules of lib/ and milter/ (a module is
#    x.c with x.h and its private x_impl.h; tsort finds the loops).
# The rules prove themselves first on a planted tree, so a broken parser
# cannot make the check pass.
set -u
src=${top_srcdir:-$(dirname "$0")/../..}
pass=0; fail=0
result() { # result DESCRIPTION OUTPUT-MUST-BE-EMPTY
	if [ -n "$2" ]; then
		echo "not ok - $1"; printf '%s\n' "$2" | sed 's/^/    /'
		fail=$((fail+1))
	else
		echo "ok - $1"; pass=$((pass+1))
	fi
}

# allowed README - "group allowed..." per line, from the table between the
# dashed rule and the first blank line (columns 1-10 and 11-34; a row whose
# first column is blank continues the one above).
allowed() {
	awk '/^--------  /{t=1; next} t && /^$/{exit}
	    t { g=substr($0,1,10); a=substr($0,11,24); gsub(/ /,"",g)
		if (g != "") { if (cur != "") print cur; cur=g " " g }
		if (a != "-") cur=cur " " a }
	    END { if (cur != "") print cur }' "$1" | tr -s ' '
}

# violations TOP - "file: includes G/x.h" for every wrong-way include under
# TOP/lib, and every lib/ include that does not name its group.
violations() {
	top=$1
	allowed "$top/lib/README" > "$tmp/allowed"
	for f in "$top"/lib/*/*.[ch] "$top"/lib/*/*.def; do
		[ -f "$f" ] || continue
		g=$(basename "$(dirname "$f")")
		ok=$(awk -v g="$g" '$1 == g { for (i = 2; i <= NF; i++) print $i }' \
		    "$tmp/allowed")
		[ -n "$ok" ] || { echo "${f#$top/}: group $g not in lib/README"; continue; }
		grep -o '^#include "[^"]*"' "$f" | sed 's/^#include "//; s/"$//' |
		while read -r inc; do
			case $inc in
			autoconf.h) continue;;
			*/*) ig=${inc%%/*};;
			*) echo "${f#$top/}: \"$inc\" does not name its group"; continue;;
			esac
			echo "$ok" | grep -qx "$ig" ||
			    echo "${f#$top/}: includes $inc (group $g may not include $ig)"
		done
	done
}

# cycles TOP - tsort's complaint when the module graph has a loop. Edges:
# module -> included module, as paths from TOP without the extension (lib/
# includes are lib/<inc>; milter/ includes of their own headers are
# relative), so x.c -> y.h and y.c -> x.h is a loop between x and y.
cycles() {
	top=$1
	for f in "$top"/lib/*/*.[ch] "$top"/milter/*.[ch] "$top"/milter/*/*.[ch]; do
		[ -f "$f" ] || continue
		from=${f#$top/}
		d=$(dirname "$from")
		grep -o '^#include "[^"]*"' "$f" | sed 's/^#include "//; s/"$//' |
		while read -r inc; do
			if [ -f "$top/$d/$inc" ]; then to="$d/$inc"
			elif [ -f "$top/lib/$inc" ]; then to="lib/$inc"
			else continue; fi
			# x.c -> x.h is the pair "x x": a node, not an edge;
			# x_impl.h (x's private header) belongs to module x
			f=${from%.*}; t=${to%.*}
			echo "${f%_impl} ${t%_impl}"
		done
	done | tsort 2>&1 >/dev/null
}

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
# The planted tree: dns includes dmarc (wrong way), core includes a header
# without its group, and two milter modules include each other.
mkdir -p "$tmp/t/lib/core" "$tmp/t/lib/dns" "$tmp/t/lib/dmarc" "$tmp/t/milter"
cp "$src/lib/README" "$tmp/t/lib/README"
printf '#include "dmarc/dmarc.h"\n' > "$tmp/t/lib/dns/dns.c"
printf '#include "buf.h"\n' > "$tmp/t/lib/core/am.c"
printf '#include "core/am.h"\n' > "$tmp/t/lib/dmarc/dmarc.h"
printf '#include "b.h"\n' > "$tmp/t/milter/a.c"
printf '#include "a.h"\n' > "$tmp/t/milter/b.c"
: > "$tmp/t/milter/a.h"; : > "$tmp/t/milter/b.h"
n=$(violations "$tmp/t" | wc -l)
[ "$n" -eq 2 ] && v="" || v="found $n, want 2: $(violations "$tmp/t")"
result "the rule finds a wrong-way and an unqualified include (planted)" "$v"
[ -n "$(cycles "$tmp/t")" ] && v="" || v="the planted loop a.c -> b.h, b.c -> a.h was not found"
result "the rule finds an include cycle (planted)" "$v"
[ "$(wc -l < "$tmp/allowed")" -ge 10 ] && v="" ||
    v="lib/README's table gave $(wc -l < "$tmp/allowed") groups"
result "lib/README's table is read (10 groups)" "$v"

result "lib/ includes follow lib/README's layers" "$(violations "$src")"
result "no include cycle between modules of lib/ and milter/" "$(cycles "$src")"
stray=$(ls "$src"/lib/*.[ch] 2>/dev/null)
result "no module outside a group folder in lib/" "$stray"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
