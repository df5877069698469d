#!/bin/sh
# style.sh - static rules from STYLE.md that a grep can enforce:
#  - lib/ never includes libmilter (milter/ is the only adapter);
#  - banned unbounded string functions are not used anywhere;
#  - no .c file over 800 lines in lib/, milter/ and tests/ (the suites, their
#    scaffolding in tests/testutil, the fuzzers and tests/bench): a smell,
#    STYLE.md §13.
set -u
src=${top_srcdir:-$(dirname "$0")/../..}
fail=0; pass=0
check() { # check DESCRIPTION OUTPUT
	if [ -n "$2" ]; then
		echo "not ok - $1"; echo "$2" | sed 's/^/    /'; fail=$((fail+1))
	else
		echo "ok - $1"; pass=$((pass+1))
	fi
}
check "lib/ does not include libmilter" \
    "$(grep -n 'libmilter/mfapi.h' "$src"/lib/*/*.c "$src"/lib/*/*.h 2>/dev/null)"
check "no strcpy/strcat/sprintf/strncpy/gets/strtok" \
    "$(grep -nE '(^|[^_a-z])(strcpy|strcat|sprintf|vsprintf|strncpy|gets|strtok)[[:space:]]*\(' \
	"$src"/lib/*/*.c "$src"/milter/*.c "$src"/milter/*/*.c \
	"$src"/tests/*/*.c 2>/dev/null)"
check "no source file over 800 lines" \
    "$(wc -l "$src"/lib/*/*.c "$src"/milter/*.c "$src"/milter/*/*.c \
	"$src"/tests/*/*.c | awk '$2 != "total" && $1 > 800')"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
