#!/bin/sh
# vectors.sh - conformance data nobody here wrote, through the whole offline
# pipeline (authmilterctl check with the vectors' DNS records as local data):
#  - RFC 8463 A.3: an Ed25519 and an RSA signature, both pass
#  - the same message with its Subject changed: both fail
#  - RFC 6376 A.1 (unsigned): dkim=none
#  - the SPF/DKIM A-R entries appear once per identity and signature
#  - the stalwartlabs mail-auth messages and the unambiguous Mail::DKIM corpus
#    entries (expectations as in tests/dkim/check_dkim_verify.c)
set -u
src=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
bld=${top_builddir:-$src}
ctl="$bld/milter/authmilterctl"
data=${AM_TESTDATA:-$src/tests/conformance}
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

# mail-auth (stalwartlabs): DNS records, a blank line, then the message.
for c in 001:pass:2 002:permerror:1 003:pass:2 004:pass:1 005:permerror:1 006:pass:1; do
	f=${c%%:*}; rest=${c#*:}; want=${rest%%:*}; n=${rest#*:}
	awk 'NF == 0 { exit } { print }' "$data/dkim/mail-auth/$f.txt" > "$tmp/ma.dns"
	awk 'body { print } NF == 0 { body = 1 }' "$data/dkim/mail-auth/$f.txt" > "$tmp/ma.eml"
	out=$(check "$tmp/ma.eml" --dns-txt-file "$tmp/ma.dns")
	got=$(printf '%s\n' "$out" | tr -s '\n\t' '  ' | grep -o "dkim=$want " | wc -l)
	if [ "$got" -ge "$n" ]; then ok "mail-auth $f: $n x dkim=$want"
	else notok "mail-auth $f: $n x dkim=$want" "got $got" "$out"; fi
done

# Mail::DKIM corpus entries its README calls unambiguous, with FAKE_DNS.dat
# (lines "name  value"; the ~~timeout~~ entries are left out: they need a
# failing server, which check_dkim_verify covers).
md="$data/dkim/mail-dkim"
awk '!/^#/ && NF >= 2 && $0 !~ /~~/ { n = $1; sub(/^[^ \t]+[ \t]+/, ""); print n " " $0 }' \
    "$md/FAKE_DNS.dat" > "$tmp/md.dns"
for c in goodkey_ed25519:pass badkey1_ed25519:permerror badkey2_ed25519:fail \
    badkey3_ed25519:fail badkey4_ed25519:permerror badkey5_ed25519:permerror \
    ignore_2:permerror ignore_3:permerror ignore_5:permerror ignore_6:permerror \
    ignore_7:permerror ignore_8:permerror good_83176:fail; do
	f=${c%%:*}; want=${c#*:}
	out=$(check "$md/corpus/$f.txt" --dns-txt-file "$tmp/md.dns")
	expect "Mail::DKIM $f: dkim=$want" "dkim=$want " "$out"
done
printf 'AllowSHA1 yes\n' >> "$tmp/c.conf"
out=$(check "$md/corpus/good_83176.txt" --dns-txt-file "$tmp/md.dns")
expect "Mail::DKIM good_83176 with AllowSHA1 yes: dkim=pass" "dkim=pass " "$out"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
