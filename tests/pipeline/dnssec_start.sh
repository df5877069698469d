#!/bin/sh
# dnssec_start.sh - DNSSEC that fails safe, through the programs (issue 13;
# lib/pipeline/ctx.h "DNSSEC"), against a real unbound on loopback that
# serves an unsigned zone and no DNSSEC records (tests/testutil/testdns.sh):
#  - TrustAnchorFile set in the file (to the default path): authmilter -n,
#    authmilterctl configtest and the daemon itself refuse it with
#    FILE:LINE, the resolver and the fix;
#  - TrustAnchorFile at its built-in default: -n and configtest pass with
#    one warning; the daemon starts with validation off, logs the warning
#    once, and `authmilterctl stats` shows dns.dnssec_disabled 1; a reload
#    (SIGUSR1) probes again; a reload to an explicit anchor is refused and
#    the daemon keeps running.
set -u
src=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
bld=${top_builddir:-$src}
milter="$bld/milter/authmilter"
ctl="$bld/milter/authmilterctl"
anchor=/usr/share/dns/root.key
tmp=$(mktemp -d) || exit 1
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	testdns_stop "$tmp/dns"
	rm -rf "$tmp"
}
trap cleanup EXIT
pass=0; fail=0
ok() { echo "ok - $1"; pass=$((pass+1)); }
notok() { echo "not ok - $1"; shift; printf '    %s\n' "$@"; fail=$((fail+1)); }
# expect DESC RC WANT_RC OUTPUT REGEX... - rc and every regex in the output
expect() {
	desc=$1 rc=$2 want=$3 out=$4
	shift 4
	if [ "$rc" != "$want" ]; then
		notok "$desc" "exit $rc, want $want" "output: $out"
		return
	fi
	for re in "$@"; do
		if ! printf '%s\n' "$out" | grep -Eq -- "$re"; then
			notok "$desc" "want /$re/" "output: $out"
			return
		fi
	done
	ok "$desc"
}
# count REGEX TEXT - lines of TEXT matching REGEX
count() { printf '%s\n' "$2" | grep -Ec -- "$1"; }

[ -r "$anchor" ] || { echo "Bail out! $anchor missing (dns-root-data)"; exit 1; }
# shellcheck source=tests/testutil/testdns.sh
. "$src/tests/testutil/testdns.sh"
port=$(testdns_start "$tmp/dns" \
    'example.org. 300 IN TXT "v=spf1 ip4:192.0.2.10 -all"') || {
	echo "Bail out! unbound did not start"; exit 1; }
ns="127.0.0.1@$port"

# conf FILE [LINE...] - a configuration on the test resolver
conf() {
	f=$1
	shift
	{
		printf 'AuthservID mx.test.example\nNameservers %s\n' "$ns"
		printf 'Socket unix:%s/milter.sock\nSyslog no\n' "$tmp"
		printf 'StatsFile %s/stats\nStatsInterval 1\nReportStore\n' "$tmp"
		printf 'PidFile\n'
		for l in "$@"; do printf '%s\n' "$l"; done
	} > "$f"
}
conf "$tmp/explicit.conf" "TrustAnchorFile $anchor"
conf "$tmp/default.conf"
refused="explicit.conf:9: TrustAnchorFile $anchor: DNSSEC validation fails through the resolvers $ns"
fix="use a resolver that validates DNSSEC or returns DNSSEC records \(Nameservers\), or set TrustAnchorFile empty"
off="DNSSEC validation turned off: TrustAnchorFile $anchor \(built-in default\) cannot be validated through the resolvers $ns"

out=$("$milter" -n -c "$tmp/explicit.conf" 2>&1); rc=$?
expect "authmilter -n refuses an explicit anchor the resolver cannot validate" \
    "$rc" 1 "$out" "$refused" "$fix"
out=$("$ctl" -c "$tmp/explicit.conf" configtest 2>&1); rc=$?
expect "authmilterctl configtest refuses it too" "$rc" 1 "$out" "$refused" \
    "$fix"
# (bounded: a daemon that does start would run until killed)
out=$(timeout 30 "$milter" -f -c "$tmp/explicit.conf" 2>&1); rc=$?
expect "the daemon does not start with it" "$rc" 1 "$out" "$refused"

out=$("$milter" -n -c "$tmp/default.conf" 2>&1); rc=$?
expect "authmilter -n passes the built-in anchor, with the warning" \
    "$rc" 0 "$out" "$off" "$fix" "configuration .* OK"
[ "$(count 'DNSSEC' "$out")" = 1 ] && ok "-n: one DNSSEC line" ||
    notok "-n: one DNSSEC line" "output: $out"
out=$("$ctl" -c "$tmp/default.conf" configtest 2>&1); rc=$?
expect "authmilterctl configtest passes it, with the warning" "$rc" 0 \
    "$out" "$off"

# The daemon with the built-in anchor: validation off, the gauge at 1.
"$milter" -f -c "$tmp/default.conf" > "$tmp/log" 2>&1 &
pid=$!
n=0
while [ $n -lt 100 ] && ! grep -q '^dns.dnssec_disabled' "$tmp/stats" 2>/dev/null
do
	sleep 0.1
	n=$((n + 1))
done
out=$("$ctl" -c "$tmp/default.conf" stats 2>&1); rc=$?
expect "authmilterctl stats shows dns.dnssec_disabled 1" "$rc" 0 "$out" \
    "^dns\.dnssec_disabled 1$"
[ "$(count 'DNSSEC validation turned off' "$(cat "$tmp/log")")" = 1 ] &&
    ok "the daemon logs the warning once at start" ||
    notok "the daemon logs the warning once at start" "log: $(cat "$tmp/log")"
# A reload probes again (one more warning); one to an explicit anchor is
# refused and the running configuration stays.
kill -USR1 "$pid"
n=0
while [ $n -lt 50 ] && ! grep -q 'reloaded' "$tmp/log"; do
	sleep 0.1
	n=$((n + 1))
done
[ "$(count 'DNSSEC validation turned off' "$(cat "$tmp/log")")" = 2 ] &&
    ok "a reload probes again and warns again" ||
    notok "a reload probes again and warns again" "log: $(cat "$tmp/log")"
conf "$tmp/default.conf" "TrustAnchorFile $anchor"
kill -USR1 "$pid"
n=0
while [ $n -lt 50 ] && ! grep -q 'reload failed' "$tmp/log"; do
	sleep 0.1
	n=$((n + 1))
done
expect "a reload to an explicit anchor is refused, the daemon keeps running" \
    "$(kill -0 "$pid" 2>/dev/null && echo 0 || echo 1)" 0 "$(cat "$tmp/log")" \
    "default.conf:9: TrustAnchorFile $anchor: DNSSEC validation fails" \
    "reload failed: keeping the running configuration"
[ "${AM_VERBOSE:-0}" = 1 ] && sed 's/^/# /' "$tmp/log"
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
pid=

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
