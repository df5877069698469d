#!/bin/sh
# keycache_valgrind.sh - nothing of the keys is left after reloads (issue
# 20): the reload case of tests/dkim/check_keycache (a runtime with dual
# RSA + Ed25519 keys, a new one swapped in six times while a message is in
# flight on the old one, each old one let go) under valgrind
# --leak-check=full; any definitely or indirectly lost block fails it.
# Needs valgrind and a build without sanitizers (ASan builds run the same
# case under LeakSanitizer in check_keycache itself); otherwise 77 (SKIP).
: "${top_builddir:=.}"
prog=$top_builddir/tests/dkim/check_keycache
command -v valgrind >/dev/null 2>&1 || { echo "SKIP: no valgrind"; exit 77; }
[ -x "$prog" ] || { echo "SKIP: $prog not built"; exit 77; }
if nm "$prog" 2>/dev/null | grep -q __asan_init; then
	echo "SKIP: sanitizer build"; exit 77
fi
log=$(mktemp "${TMPDIR:-/tmp}/keycache_valgrind.XXXXXX") || exit 1
CK_FORK=no CK_RUN_CASE=reload CK_DEFAULT_TIMEOUT=600 valgrind -q \
    --leak-check=full --show-leak-kinds=definite,indirect \
    --errors-for-leak-kinds=definite,indirect --num-callers=40 \
    --error-exitcode=3 "$prog" > "$log" 2>&1
rc=$?
cat "$log"
if [ $rc -eq 0 ] && grep -q "Checks: 1, Failures: 0, Errors: 0" "$log"; then
	echo "ok - check_keycache reload under valgrind: nothing lost"
	rm -f "$log"
	exit 0
fi
echo "not ok - check_keycache reload under valgrind (exit $rc)"
rm -f "$log"
exit 1
