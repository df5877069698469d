#!/bin/sh
# symbols.sh - the project defines no symbol of another library (issue 20:
# lib/dkim/pkey_cache.c once defined OpenSSL's PEM_read_bio_PrivateKey so
# that libopendkim's calls reached it; nothing may do that again).
#  - every global symbol lib/libam.a defines starts with am_ (STYLE.md §12);
#  - milter/authmilter and milter/authmilterctl define am_ symbols, main,
#    and what the C toolchain adds (_start, _init, __bss_start, ...);
#    library data the link copied into the program (an R_*_COPY
#    relocation: glibc's stdio streams, libopendkim's header lists,
#    libspf2's handlers) stays the library's and is not a definition;
#  - in particular none of them defines PEM_*, EVP_*, SSL_*, OSSL_*, BIO_*,
#    d2i_*, i2d_*, dkim_*, SPF_*, opendmarc_*, ub_*, sqlite3_*, smfi_*,
#    mi_* (the prefixes of OpenSSL, libopendkim, libspf2, libopendmarc,
#    libunbound, SQLite and libmilter).
# Sanitizer instrumentation (__asan_*, __odr_asan*, __ubsan_*) is the
# compiler's. Needs nm and readelf (binutils); otherwise exit 77 (SKIP).
set -u
build=${top_builddir:-.}
fail=0; pass=0
check() { # check DESCRIPTION OUTPUT
	if [ -n "$2" ]; then
		echo "not ok - $1"; echo "$2" | sed 's/^/    /'; fail=$((fail+1))
	else
		echo "ok - $1"; pass=$((pass+1))
	fi
}
command -v nm >/dev/null 2>&1 && command -v readelf >/dev/null 2>&1 ||
    { echo "SKIP: no nm or readelf"; exit 77; }
lib=$build/lib/.libs/libam.a
for f in "$lib" "$build/milter/authmilter" "$build/milter/authmilterctl"; do
	[ -f "$f" ] || { echo "SKIP: $f not built"; exit 77; }
done
compiler='^(__asan|__odr_asan|__local_asan|__ubsan|__sancov|__lsan)'
toolchain='^(main|_start|_init|_fini|__bss_start|_end|_edata|__data_start|data_start|__dso_handle|__TMC_END__|_IO_stdin_used)$'
foreign='^(PEM_|EVP_|SSL_|OSSL_|BIO_|d2i_|i2d_|dkim_|SPF_|opendmarc_|ub_|sqlite3_|smfi_|mi_)'

# defined NAME - the global symbols FILE defines, one a line, versions cut.
defined() {
	nm -g --defined-only "$1" 2>/dev/null |
	    awk 'NF >= 3 && $2 ~ /^[A-Z]$/ { sub(/@.*/, "", $3); print $3 }' |
	    sort -u
}
# copied FILE - the symbols of R_*_COPY relocations in a program.
copied() {
	readelf -rW "$1" | awk '$3 ~ /_COPY$/ { sub(/@.*/, "", $5); print $5 }' |
	    sort -u
}

defs=$(defined "$lib")
[ -n "$defs" ] || { echo "not ok - nm read no symbol from $lib"; exit 1; }
check "lib/libam.a defines only am_ symbols" \
    "$(echo "$defs" | grep -v '^am_' | grep -Ev "$compiler")"
all=$defs
for prog in milter/authmilter milter/authmilterctl; do
	defs=$(defined "$build/$prog" | grep -vxF "$(copied "$build/$prog")")
	check "$prog defines only am_ symbols, main and the toolchain's" \
	    "$(echo "$defs" | grep -v '^am_' | grep -Ev "$toolchain" |
	    grep -Ev "$compiler")"
	all="$all
$defs"
done
check "no OpenSSL, libopendkim, libspf2, libopendmarc, libunbound, SQLite or libmilter symbol defined" \
    "$(echo "$all" | grep -E "$foreign" | sort -u)"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
