#!/bin/sh
# tests/e2e/privileges.sh - after start the daemon runs as UserID and can
# reach only what that user may (issue 15, item 7). Started as root with
# UserID nobody:nogroup, a ReportStore and StatsFile in a directory nobody
# owns, mail from tests/bench/loadgen on a small corpus:
#   p1  the daemon's real, effective, saved and filesystem uid and gid are
#       nobody's, it has no supplementary group and no capability (CapEff,
#       CapPrm 0); StatsFile and the report store are nobody's files
#   p2  a reload pointing StatsFile into a root-owned 0700 directory:
#       the write is refused and logged ("StatsFile: ... Permission
#       denied"), nothing appears there, mail keeps flowing
#   p3  a reload naming a root-owned 0600 KeyFile: refused with an error
#       naming the file (FILE:LINE or the key), the running configuration
#       kept, mail keeps flowing, the key file untouched
#   p4  the ReportStore still takes the rows (as nobody), the daemon stops
#       on SIGTERM with exit 0
# DNS from a loopback unbound (tests/testutil/testdns.sh). Needs root (like
# the other e2e suites), unbound and sqlite3; otherwise exit 77 (SKIP).
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
BIN=${E2E_AUTHMILTER:-$top_builddir/milter/authmilter}
LOADGEN=$top_builddir/tests/bench/loadgen
CTL=$top_builddir/milter/authmilterctl

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root; uid $(id -u)"; exit 77; }
[ -x "$BIN" ] && [ -x "$LOADGEN" ] && [ -x "$CTL" ] ||
    { echo "SKIP: authmilter, authmilterctl or loadgen not built"; exit 77; }
getent passwd nobody > /dev/null && getent group nogroup > /dev/null ||
    { echo "SKIP: no user nobody or group nogroup"; exit 77; }
command -v sqlite3 > /dev/null 2>&1 || { echo "SKIP: no sqlite3"; exit 77; }

# shellcheck source=tests/testutil/testdns.sh
. "$top_srcdir/tests/testutil/testdns.sh"
pass=0; fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
notok() { echo "not ok - $1"; shift; for l in "$@"; do echo "$l" |
	sed 's/^/#   /'; done; fail=$((fail + 1)); }
check() { _d=$1; shift; if "$@"; then ok "$_d"; else notok "$_d"; fi; }

dir=$(mktemp -d "${TMPDIR:-/tmp}/authmilter-priv.XXXXXX") || exit 1
pid=
cleanup() {
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	testdns_stop "$dir/dns"
	if [ "${E2E_KEEP:-0}" = 1 ]; then echo "# kept $dir"; else rm -rf "$dir"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM
chmod 0755 "$dir"
mkdir "$dir/state" "$dir/rootonly" "$dir/corpus"
chown nobody:nogroup "$dir/state"
chmod 0700 "$dir/rootonly"
# A root-owned 0600 signing key nobody must not read.
openssl genpkey -algorithm ed25519 -out "$dir/rootonly.key" 2> /dev/null ||
    { echo "not ok - openssl genpkey"; exit 1; }
chmod 0600 "$dir/rootonly.key"
keysum=$(cksum < "$dir/rootonly.key")
printf 'From: a@example.org\r\nTo: b@example.net\r\nSubject: p\r\n\r\nhello\r\n' \
    > "$dir/corpus/01.eml"

dport=$(testdns_start "$dir/dns" \
    'example.org. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"' \
    '_dmarc.example.org. 300 IN TXT "v=DMARC1; p=none"') ||
    { echo "SKIP: cannot start unbound"; exit 77; }
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null ||
    echo $(( $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 20000 + 30000 )))
conf=$dir/authmilter.conf
log=$dir/authmilter.log
write_conf() { # write_conf LINE...
	{
		echo "Socket inet:$port@127.0.0.1"
		echo "UserID nobody:nogroup"
		echo "AuthservID mx.priv.test"
		echo "Nameservers 127.0.0.1@$dport"
		echo "TrustAnchorFile"
		echo "Syslog no"
		echo "StatsInterval 1"
		echo "ReportStore $dir/state/reports.db"
		for l in "$@"; do echo "$l"; done
	} > "$conf"
}
# mail N TAG - N messages through loadgen; true when all answered.
mail() {
	"$LOADGEN" -s "inet:$port@127.0.0.1" -c 4 -n "$1" -w 30 "$dir/corpus" \
	    > "$dir/$2.out" 2>&1 && grep -q " msgs=$1 " "$dir/$2.out" &&
	    grep -q ' error=0$' "$dir/$2.out"
}
# reload WORD - SIGUSR1, wait for a "reloaded"/"reload failed" line more.
reload() {
	_n0=$(grep -c "$1" "$log")
	kill -USR1 "$pid"
	_i=0
	while [ "$(grep -c "$1" "$log")" -le "$_n0" ] && [ $_i -lt 100 ]; do
		sleep 0.1; _i=$((_i + 1))
	done
	[ "$(grep -c "$1" "$log")" -gt "$_n0" ]
}
field() { sed -n "s/^$1:[[:space:]]*//p" "/proc/$pid/status"; }

write_conf "StatsFile $dir/state/stats"
"$BIN" -f -c "$conf" < /dev/null > "$log" 2>&1 &
pid=$!
i=0
until grep -q "listening on" "$log" 2>/dev/null && [ -s "$dir/state/stats" ]; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 "$pid" 2>/dev/null; then
		echo "not ok - the daemon starts"; cat "$log"; exit 1
	fi
	sleep 0.1
done
uid=$(id -u nobody); gid=$(getent group nogroup | cut -d: -f3)

# ---------------------------------------------------------------- p1
check "p1: mail flows" mail 20 p1
check "p1: uid real/effective/saved/fs $(field Uid | tr -s '\t ' ' ')" \
    test "$(field Uid | tr -s '\t ' ' ')" = "$uid $uid $uid $uid"
check "p1: gid $(field Gid | tr -s '\t ' ' ')" \
    test "$(field Gid | tr -s '\t ' ' ')" = "$gid $gid $gid $gid"
check "p1: no supplementary group ($(field Groups))" \
    test -z "$(field Groups | tr -d ' ')" -o "$(field Groups | tr -d ' ')" = "$gid"
check "p1: no capability (CapEff $(field CapEff), CapPrm $(field CapPrm))" \
    test "$(field CapEff)" = 0000000000000000 -a "$(field CapPrm)" = 0000000000000000
check "p1: StatsFile and the report store belong to nobody" \
    test "$(stat -c %U "$dir/state/stats")" = nobody -a \
    "$(stat -c %U "$dir/state/reports.db")" = nobody

# ---------------------------------------------------------------- p2
write_conf "StatsFile $dir/rootonly/stats"
check "p2: reload with StatsFile in a root-only directory" reload "reloaded $conf"
sleep 1.5
line=$(grep "StatsFile:" "$log" | grep -i "denied" | head -n 1)
check "p2: the refused write is logged: ${line#*]: }" test -n "$line"
check "p2: nothing written there" test ! -e "$dir/rootonly/stats"
check "p2: mail keeps flowing" mail 20 p2

# ---------------------------------------------------------------- p3
write_conf "StatsFile $dir/state/stats" "Domain example.org" "Selector s1" \
    "KeyFile $dir/rootonly.key"
check "p3: reload naming a root-only KeyFile fails" reload "reload failed"
line=$(grep "rootonly.key" "$log" | head -n 1)
check "p3: the error names the key file: ${line#*]: }" test -n "$line"
check "p3: the running configuration is kept, mail keeps flowing" mail 20 p3
check "p3: the key file is untouched" test "$(cksum < "$dir/rootonly.key")" = "$keysum"

# ---------------------------------------------------------------- p4
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
check "p4: SIGTERM: exit $rc" test $rc -eq 0
rows=$(sqlite3 "$dir/state/reports.db" 'SELECT count(*) FROM rows;' 2>&1)
check "p4: the report store took the rows as nobody ($rows)" test "$rows" -ge 1 2>/dev/null
if [ $fail -gt 0 ]; then tail -n 30 "$log" | sed 's/^/#   /'; fi
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
