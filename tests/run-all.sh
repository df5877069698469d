#!/bin/sh
# run-all.sh - every test authmilter has, from a clean checkout:
#   1. build/plain: make check (Check unit suites, static checks, Postfix e2e)
#   2. build/asan:  the same suite built with -fsanitize=address,undefined
#   3. valgrind --leak-check=full over the Check unit suites of build/plain
#      (no suppression)
#   3b. tests/fuzz/run.sh: every libFuzzer target for FUZZ_SECONDS (60) s,
#      built with clang in build/fuzz (skipped, saying why, without clang)
#   4. build/dist: make distcheck (the tarball builds and passes make check,
#      e2e suites included, from a read-only source tree, and installs and
#      uninstalls cleanly), then make install DESTDIR=build/dist/destdir as
#      a package would (--prefix=/usr --sysconfdir=/etc) and a check that
#      every expected file lands and a live configuration is not touched
# and one closing line "total: N passed, M failed". Exit 0 only if all pass.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
jobs=${JOBS:-2}
rc=0

[ -x configure ] || ./autogen.sh || exit 1
# The README's first command builds in the source tree; out-of-tree builds
# refuse a configured source tree, so clean it first.
if [ -f config.status ]; then
	make distclean > /dev/null 2>&1 || rm -f config.status
fi

build() { # build DIR CONFIGURE-ARGS...
	dir=$1; shift
	mkdir -p "$dir"
	(cd "$dir" && "$top/configure" -q "$@" && make -s -j"$jobs") || return 1
	(cd "$dir" && make -s -j"$jobs" check) || {
		cat "$dir"/test-suite.log 2>/dev/null | tail -n 200
		return 1
	}
}

echo "== make check (build/plain)"
build build/plain --enable-werror || rc=1
echo "== make check under ASan/UBSan (build/asan)"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
    build build/asan --enable-sanitizers || rc=1

# Every suite runs here: one that skipped (exit 77: a tool, server or
# package missing, see contrib/install-deps.sh) fails this run, saying why.
# The one expected skip: keycache_valgrind.sh in build/asan (valgrind does
# not run a sanitizer build).
echo "== no suite skipped"
spass=0; sfail=0
for dir in build/plain build/asan; do
	for t in $(sed -n 's/^SKIP: \(tests\/[^ ]*\)$/\1/p' \
	    "$dir/test-suite.log" 2>/dev/null); do
		if [ "$dir:$t" = build/asan:tests/dkim/keycache_valgrind.sh ]; then
			echo "ok - $dir: $t skipped, as expected"
			spass=$((spass+1)); continue
		fi
		echo "not ok - $dir: $t skipped"
		grep -i 'skip' "$dir/$t.log" 2>/dev/null | head -n 3 |
		    sed 's/^/#   /'
		sfail=$((sfail+1)); rc=1
	done
done
echo "skips: $spass expected, $sfail unexpected"

echo "== valgrind over the unit suites"
vpass=0; vfail=0
for t in build/plain/tests/*/check_*; do
	[ -x "$t" ] && [ "${t%.c}" = "$t" ] || continue
	case $t in *.o|*.log|*.trs) continue;; esac
	if (cd build/plain && CK_FORK=no CK_DEFAULT_TIMEOUT=120 \
	    top_srcdir="$top" top_builddir="$top/build/plain" \
	    valgrind -q --leak-check=full --errors-for-leak-kinds=definite \
	    --num-callers=40 \
	    --error-exitcode=3 "$top/$t" > "$top/$t.valgrind" 2>&1); then
		echo "ok - valgrind $t"; vpass=$((vpass+1))
	else
		echo "not ok - valgrind $t"; tail -n 40 "$t.valgrind"
		vfail=$((vfail+1)); rc=1
	fi
done
echo "valgrind: $vpass passed, $vfail failed"

# Every libFuzzer target of tests/fuzz for FUZZ_SECONDS (default 60) each,
# two at a time; skipped, saying why, only when clang cannot build them.
echo "== fuzzers: tests/fuzz/run.sh, ${FUZZ_SECONDS:-60} s per target (build/fuzz)"
fpass=0; ffail=0
FUZZ_SECONDS=${FUZZ_SECONDS:-60} sh tests/fuzz/run.sh -j "$jobs" \
    > build/fuzz.log 2>&1
frc=$?
cat build/fuzz.log
if [ $frc -eq 77 ]; then
	echo "fuzzers: skipped: $(grep '^SKIP' build/fuzz.log)"
else
	fpass=$(grep -c '^ok - ' build/fuzz.log)
	ffail=$(grep -c '^not ok - ' build/fuzz.log)
	[ $frc -eq 0 ] && [ "$fpass" -gt 0 ] || { rc=1; [ "$ffail" -gt 0 ] || ffail=1; }
fi
echo "fuzzers: $fpass passed, $ffail failed"

echo "== make distcheck, make install DESTDIR (build/dist)"
ipass=0; ifail=0
iok() { echo "ok - $1"; ipass=$((ipass+1)); }
inot() { echo "not ok - $1"; ifail=$((ifail+1)); rc=1; }
dist=$top/build/dist
dest=$dist/destdir
unitdir=/lib/systemd/system
rm -rf "$dist"
mkdir -p "$dist"
if (cd "$dist" && "$top/configure" -q --prefix=/usr --sysconfdir=/etc \
    --with-systemdsystemunitdir=$unitdir && make -s -j"$jobs" &&
    make -j"$jobs" distcheck) > "$dist/distcheck.log" 2>&1; then
	iok "make distcheck"
else
	inot "make distcheck"; tail -n 60 "$dist/distcheck.log"
fi
# A live configuration must survive make install.
mkdir -p "$dest/etc/authmilter"
echo "# live" > "$dest/etc/authmilter/authmilter.conf"
if (cd "$dist" && make -s install DESTDIR="$dest") > "$dist/install.log" 2>&1
then
	iok "make install DESTDIR=build/dist/destdir"
else
	inot "make install DESTDIR=build/dist/destdir"; tail -n 40 "$dist/install.log"
fi
for f in /usr/sbin/authmilter /usr/bin/authmilterctl \
    /usr/share/man/man8/authmilter.8 /usr/share/man/man8/authmilterctl.8 \
    /usr/share/man/man5/authmilter.conf.5 /usr/share/doc/authmilter/README \
    /etc/authmilter/authmilter.conf.sample $unitdir/authmilter.service \
    $unitdir/authmilter-report.service $unitdir/authmilter-report.timer \
    $unitdir/authmilter-dashboard.service $unitdir/authmilter-dashboard.timer; do
	if [ -f "$dest$f" ] && [ -s "$dest$f" ]; then
		iok "installed $f"
	else
		inot "installed $f"
	fi
done
if [ "$("$dest/usr/sbin/authmilter" -V 2>&1)" = \
    "$("$top/build/plain/milter/authmilter" -V 2>&1)" ] &&
    [ -x "$dest/usr/bin/authmilterctl" ] &&
    "$dest/usr/bin/authmilterctl" -V > /dev/null; then
	iok "the installed programs run"
else
	inot "the installed programs run"
fi
if grep -qx "ExecStart=/usr/sbin/authmilter -f -c /etc/authmilter/authmilter.conf" \
    "$dest$unitdir/authmilter.service" &&
    grep -qx "ExecStart=/usr/bin/authmilterctl report expire" \
    "$dest$unitdir/authmilter-report.service" &&
    grep -qx "ExecStart=/usr/bin/authmilterctl report html --out /var/lib/authmilter/dashboard" \
    "$dest$unitdir/authmilter-dashboard.service" &&
    ! grep -q /usr/local "$dest$unitdir"/authmilter*; then
	iok "the installed units name the installed programs"
else
	inot "the installed units name the installed programs"
fi
if cmp -s "$top/conf/authmilter.conf" "$dest/etc/authmilter/authmilter.conf.sample" &&
    [ "$(cat "$dest/etc/authmilter/authmilter.conf")" = "# live" ]; then
	iok "the sample is conf/authmilter.conf; the live configuration is untouched"
else
	inot "the sample is conf/authmilter.conf; the live configuration is untouched"
fi
if man -l "$dest/usr/share/man/man8/authmilterctl.8" > /dev/null 2>&1; then
	iok "man -l reads the installed authmilterctl.8"
else
	inot "man -l reads the installed authmilterctl.8"
fi
echo "distcheck/install: $ipass passed, $ifail failed"

# Totals over every suite's own counts (Check "Checks: N, Failures: F,
# Errors: E" lines and the scripts' "N passed, M failed" lines).
cat build/plain/tests/*.log build/plain/tests/*/*.log \
    build/asan/tests/*.log build/asan/tests/*/*.log 2>/dev/null | awk -v vp="$((vpass + ipass + fpass))" -v vf="$((vfail + ifail + ffail + sfail))" '
	/Checks: [0-9]+, Failures: [0-9]+, Errors: [0-9]+/ {
		gsub(/[^0-9 ]/, " "); n = split($0, a, " ")
		p += a[n-2] - a[n-1] - a[n]; f += a[n-1] + a[n]; next }
	/^[0-9]+ passed, [0-9]+ failed/ { p += $1; f += $3 }
	END { printf "total: %d passed, %d failed\n", p + vp, f + vf }'
exit $rc
