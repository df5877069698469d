#!/bin/sh
# vectors.sh - conformance data nobody here wrote, through the whole offline
# pipeline (authmilterctl check with the vectors' DNS records as local data):
#  - RFC 8463 A.3: an Ed25519 and an RSA signature, both pass
#  - the same message with its Subject changed: both fail
#  - RFC 6376 A.1 (unsigned): dkim=none
#  - the SPF/DKIM A-R entries appear once per identity and signature
set -u
src=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
bld=${top_builddir:-$src}
ctl="$bld/milter/authmilterctl"
data=${AM_TESTDATA:-$src/../shared/testdata}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
ok() { echo "ok - $1"; pass=$((pass+1)); }
notok() { echo "not ok - $1"; shift; printf '    %s\n' "$@"; fail=$((fail+1)); }
expect() { # expect DESC REGEX OUTPUT
	if printf '%s\n' "$3" | tr -s '\n\t' '  ' | grep -Eq -- "$2"; then
		ok "$1"
	else
		notok "$1" "want /$2/" "got: $3"
	fi
}
printf 'AuthservID mx.vectors.test\nInternalHosts 10.0.0.0/8\nTrustAnchorFile\n' > "$tmp/c.conf"
check() { # check EML [ARGS...]
	eml=$1; shift
	"$ctl" -c "$tmp/c.conf" check --client-ip 192.0.2.1 "$@" "$eml" 2>&1
}
d8463="$data/dkim/rfc8463"
out=$(check "$d8463/signed.eml" --dns-txt-file "$d8463/dns.txt" --mail-from joe@football.example.com)
expect "8463: ed25519 signature passes" 'dkim=pass \(256-bit ed25519 key; unprotected\) header.d=football.example.com header.i=@football.example.com header.s=brisbane header.a=ed25519-sha256' "$out"
expect "8463: rsa signature passes" 'dkim=pass \(1024-bit rsa key; unprotected\) header.d=football.example.com header.i=@football.example.com header.s=test header.a=rsa-sha256' "$out"
expect "8463: log line lists both" 'dkim=pass:football.example.com,pass:football.example.com' "$out"
expect "8463: accepted" 'action: accept' "$out"

sed 's/^Subject: .*/Subject: Tampered/' "$d8463/signed.eml" > "$tmp/tampered.eml"
out=$(check "$tmp/tampered.eml" --dns-txt-file "$d8463/dns.txt")
expect "8463 tampered: both signatures fail" 'dkim=fail .*header.s=brisbane.*dkim=fail .*header.s=test' "$out"

out=$(check "$data/dkim/rfc6376/A1-unsigned.eml" --dns-txt-file "$data/dkim/rfc6376/dns.txt")
expect "6376 A.1 unsigned: dkim=none" 'dkim=none;' "$out"

out=$(check "$d8463/signed.eml" --dns-txt-file "$d8463/dns.txt" --mail-from joe@football.example.com \
    --dns-rr 'football.example.com. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"')
expect "spf pass for the MAIL FROM domain" 'spf=pass .*smtp.mailfrom=joe@football.example.com' "$out"
expect "Received-SPF written" 'insert: Received-SPF: pass .*identity=mailfrom' "$out"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
