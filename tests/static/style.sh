#!/bin/sh
# style.sh - static rules from STYLE.md that a grep can enforce:
#  - lib/ never includes libmilter (milter/ is the only adapter);
#  - banned unbounded string functions are not used anywhere;
#  - no .c file over 800 lines in lib/, milter/ and tests/ (the suites, their
#    scaffolding in tests/testutil, the fuzzers and tests/bench): a smell,
#    STYLE.md §13;
#  - no SMTP reply code in lib/ or milter/ outside the decision module
#    (lib/pipeline/decide.[ch], issue 20): no "550" or "5.7.1" string and no
#    "451 4.7.1" pair anywhere else, code or comment. config_keys.def is
#    left out: its doc strings (conf/authmilter.conf and the man page are
#    generated from them) tell the administrator which codes the decision
#    uses; they choose none;
#  - no (void)snprintf or (void)vsnprintf in lib/ or milter/: a text that
#    would be cut is an error or a marked cut (am_snprintf, am_snprintf_cut,
#    AM_SNPRINTF_FIT in lib/core/am.h, or struct am_buf), never a silent
#    one (issue 20).
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
check "no SMTP reply code outside lib/pipeline/decide.[ch]" \
    "$(grep -nE '"[2-5][0-9]{2}"|"[245]\.[0-9]{1,3}\.[0-9]{1,3}|(^|[^0-9.])[245][0-9]{2}[ -][245]\.[0-9]{1,3}\.[0-9]{1,3}([^0-9]|$)' \
	"$src"/lib/*/*.c "$src"/lib/*/*.h "$src"/milter/*.c "$src"/milter/*.h \
	"$src"/milter/*/*.c "$src"/milter/*/*.h 2>/dev/null |
	grep -v '/lib/pipeline/decide\.[ch]:')"
check "no (void)snprintf/(void)vsnprintf in lib/ and milter/" \
    "$(grep -nE '\(void\)[[:space:]]*v?snprintf[[:space:]]*\(' \
	"$src"/lib/*/*.c "$src"/lib/*/*.h "$src"/milter/*.c "$src"/milter/*.h \
	"$src"/milter/*/*.c "$src"/milter/*/*.h 2>/dev/null)"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
