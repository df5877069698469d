#!/bin/sh
# suites.sh - every test script of the tree is one of make check's TESTS.
# A missing backslash in a Makefile.am list silently drops the suites after
# it (it happened: two e2e suites ran nowhere for a day). The list is taken
# from make itself (the print-tests target), so what is checked is what
# make check runs, not a reading of Makefile.am.
# Suites: tests/e2e/*.sh (but the *lib.sh helpers), tests/static/*.sh,
# tests/<group>/*.sh; not the tools (run-all, bench, fresh, fuzz, testutil,
# data generators).
set -u

here=$(dirname "$0")
top_srcdir=${top_srcdir:-$(cd "$here/../.." && pwd)}
top_builddir=$(cd "${top_builddir:-.}" && pwd)
pass=0
fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
not_ok() { echo "not ok - $1"; fail=$((fail + 1)); }

tests=$(env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
	make -s --no-print-directory -C "$top_builddir" print-tests) || {
	echo "not ok - make print-tests failed in $top_builddir"; exit 1; }
case $tests in
*tests/static/suites.sh*) ok "make print-tests lists the TESTS" ;;
*) not_ok "make print-tests does not list this script: $tests" ;;
esac

cd "$top_srcdir" || exit 1
for f in tests/*/*.sh tests/*.sh; do
	case $f in
	tests/e2e/*lib.sh | tests/run-all.sh) continue ;;
	tests/bench/* | tests/fresh/* | tests/fuzz/* | tests/testutil/*) continue ;;
	tests/data/*) continue ;;
	esac
	test -f "$f" || continue
	case " $tests " in
	*" $f "*) ok "$f is in TESTS" ;;
	*) not_ok "$f is not in TESTS (a Makefile.am list lost it?)" ;;
	esac
done

echo "suites: $pass passed, $fail failed"
test "$fail" -eq 0
