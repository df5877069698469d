#!/bin/sh
# run.sh - build every libFuzzer target of tests/fuzz with clang and run
# each one for a while on a scratch copy of its seed corpus.
#
#   tests/fuzz/run.sh [-t SECONDS] [-j JOBS] [-b BUILDDIR] [TARGET...]
#
# TARGET is a name such as "config" (tests/fuzz/fuzz_config.c, seeds in
# tests/fuzz/corpus/config); default: every fuzz_*.c. Each target runs
# -t seconds (default $FUZZ_SECONDS, else 60), -j at a time (default 2).
# lib/ is built once with clang -fsanitize=fuzzer-no-link,address,undefined
# in BUILDDIR (default build/fuzz, configured there if needed) and every
# target is linked against its lib/libam.a. A finding (crash, leak, UBSan
# report, timeout, out of memory) fails the target; the reproducer is left
# as BUILDDIR/out/<target>/crash-* (or leak-*, timeout-*, oom-*), with the
# log next to it. Prints "ok - fuzz_X: N execs in T s" per target and a
# closing "N passed, M failed". Exit 0 when every target passed, 1 when
# one failed, 77 (skip) when clang or its libFuzzer runtime is missing.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
secs=${FUZZ_SECONDS:-60}
jobs=2
bdir=$top/build/fuzz
while getopts t:j:b: o; do
	case $o in
	t) secs=$OPTARG;;
	j) jobs=$OPTARG;;
	b) bdir=$OPTARG;;
	*) echo "usage: $0 [-t SECONDS] [-j JOBS] [-b BUILDDIR] [TARGET...]" >&2
	   exit 2;;
	esac
done
shift $((OPTIND - 1))

cc=${FUZZ_CC:-clang}
if ! command -v "$cc" > /dev/null 2>&1; then
	echo "SKIP: $cc not found (Debian package clang; contrib/install-deps.sh)"
	exit 77
fi
if ! echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }' |
    "$cc" -x c -fsanitize=fuzzer - -o /dev/null > /dev/null 2>&1; then
	echo "SKIP: $cc cannot link -fsanitize=fuzzer (libclang-rt missing)"
	exit 77
fi

# max_len per target (the default for the others is 4096).
max_len() {
	case $1 in
	config) echo 16384;;
	session) echo 65536;;
	dkim) echo 16384;;
	*) echo 4096;;
	esac
}

san="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
mkdir -p "$bdir"
if [ ! -f "$bdir/Makefile" ]; then
	(cd "$bdir" && "$top/configure" -q CC="$cc" \
	    CFLAGS="-g -O1 -fsanitize=fuzzer-no-link $san") ||
	    { echo "not ok - configure in $bdir"; echo "0 passed, 1 failed"; exit 1; }
fi
if ! (cd "$bdir" && make -s -j"$jobs" lib/libam.la) > "$bdir/lib.log" 2>&1; then
	echo "not ok - lib/libam.la for the fuzzers"; tail -n 30 "$bdir/lib.log"
	echo "0 passed, 1 failed"; exit 1
fi
libs=$(sed -n 's/^LIB_LIBS = //p' "$bdir/Makefile")
pqc=$(sed -n 's/^PQ_CFLAGS = //p' "$bdir/Makefile")

if [ $# -eq 0 ]; then
	set --
	for f in "$top"/tests/fuzz/fuzz_*.c; do
		n=${f##*/fuzz_}; set -- "$@" "${n%.c}"
	done
fi

pass=0; fail=0
out=$bdir/out
mkdir -p "$out"
# build TARGET - link tests/fuzz/fuzz_TARGET.c into $out/fuzz_TARGET.
build() {
	# shellcheck disable=SC2086
	"$cc" -g -O1 -fsanitize=fuzzer $san -std=gnu11 -D_DEFAULT_SOURCE \
	    -D_GNU_SOURCE -I "$top/lib" -I "$bdir" $pqc \
	    "$top/tests/fuzz/fuzz_$1.c" "$bdir/lib/.libs/libam.a" $libs \
	    -lpthread -o "$out/fuzz_$1" > "$out/$1.build.log" 2>&1
}
# run TARGET - fuzz it for $secs seconds; "ok"/"not ok" into $out/TARGET.res.
run() {
	t=$1; d=$out/$t
	rm -rf "$d"; mkdir -p "$d/corpus"
	[ -d "$top/tests/fuzz/corpus/$t" ] && cp "$top/tests/fuzz/corpus/$t"/* "$d/corpus/"
	(cd "$d" && "$out/fuzz_$t" -max_total_time="$secs" \
	    -max_len="$(max_len "$t")" -timeout=25 -rss_limit_mb=2560 \
	    -print_final_stats=1 -artifact_prefix="$d/" corpus \
	    > "$d/log" 2>&1)
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$d/log" | tail -n 1)
	if [ $rc -eq 0 ]; then
		echo "ok - fuzz_$t: ${execs:-?} execs in $secs s" > "$out/$t.res"
	else
		{ echo "not ok - fuzz_$t: exit $rc after ${execs:-?} execs (log: $d/log)"
		  grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$d/log" | head -n 5
		  ls "$d" | grep -E '^(crash|leak|timeout|oom|slow-unit)-' | sed 's/^/    /'
		} > "$out/$t.res"
	fi
}

running=0
for t in "$@"; do
	if [ ! -f "$top/tests/fuzz/fuzz_$t.c" ]; then
		echo "not ok - fuzz_$t: no tests/fuzz/fuzz_$t.c"; fail=$((fail+1))
		continue
	fi
	if ! build "$t"; then
		echo "not ok - fuzz_$t: build"; tail -n 20 "$out/$t.build.log"
		fail=$((fail+1)); continue
	fi
	run "$t" &
	running=$((running+1))
	if [ "$running" -ge "$jobs" ]; then
		wait; running=0
	fi
done
wait
for t in "$@"; do
	[ -f "$out/$t.res" ] || continue
	cat "$out/$t.res"
	if head -n 1 "$out/$t.res" | grep -q '^ok'; then
		pass=$((pass+1))
	else
		fail=$((fail+1))
	fi
	rm -f "$out/$t.res"
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
