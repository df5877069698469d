#!/bin/bash
# unprivileged.sh - the daemon as the systemd unit runs it: started directly
# as its user (User=), with "UserID" naming that same user. It must start,
# write its counters, reload and stop without one set*id, setgroups or chown
# system call (the unit's SystemCallFilter=~@privileged refuses them), while
# the same daemon started as root does switch with them (the control: the
# trace sees those calls when they happen). The user is nobody:nogroup;
# strace records the calls after the daemon's execve.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
daemon=$top_builddir/milter/authmilter
pass=0
fail=0
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; pass=$((pass + 1)); }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; fail=$((fail + 1)); }
check() { # check DESCRIPTION COMMAND...
	local d=$1; shift
	if "$@"; then ok "$d"; else not_ok "$d"; fi
}

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: needs root (to start the daemon as nobody); uid $(id -u)"
	exit 77
fi
for t in strace setpriv; do
	if ! command -v "$t" > /dev/null 2>&1; then
		echo "not ok 1 - $t is installed (contrib/install-deps.sh)"
		echo "0 passed, 1 failed"
		exit 1
	fi
done
if ! getent passwd nobody > /dev/null || ! getent group nogroup > /dev/null; then
	echo "not ok 1 - user nobody and group nogroup exist"
	echo "0 passed, 1 failed"
	exit 1
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/unpriv.XXXXXX") || exit 1
pids=
cleanup() {
	local p
	for p in $pids; do kill -TERM "$p" 2>/dev/null; done
	rm -rf "$dir"
}
trap cleanup EXIT
chmod 0755 "$dir"
mkdir "$dir/run" "$dir/state"
chown nobody:nogroup "$dir/run" "$dir/state"
# The limits of a lookup: no DNS server answers on port 1.
cat > "$dir/authmilter.conf" <<EOF
Socket unix:$dir/run/sock
UserID nobody:nogroup
AuthservID mx.unpriv.test
StatsFile $dir/state/stats
StatsInterval 1
ReportStore $dir/state/reports.db
Nameservers 127.0.0.1@1
DNSTimeout 1
EOF
# LeakSanitizer does not run under ptrace (ASan builds).
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0

privileged='setuid|setgid|setresuid|setresgid|setreuid|setregid|setgroups|chown|fchown|lchown|fchownat'

# run NAME [SETPRIV-ARGS...] - start the daemon (as root, or through
# setpriv), wait for it to listen and write its counters, reload it, stop
# it; the trace is $dir/NAME.trace, the log $dir/NAME.log.
run() {
	local name=$1 pid child; shift
	rm -f "$dir/run/sock" "$dir/state/stats"
	strace -f -qq -o "$dir/$name.trace" \
	    -e trace="execve,$(echo "$privileged" | tr '|' ',')" \
	    "$@" "$daemon" -f -c "$dir/authmilter.conf" > "$dir/$name.log" 2>&1 &
	pid=$!
	pids="$pids $pid"
	for _ in $(seq 1 100); do
		grep -q 'listening on' "$dir/$name.log" 2>/dev/null &&
		    [ -s "$dir/state/stats" ] &&
		    break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	child=$(pgrep -P "$pid" | head -n 1)	# strace's tracee: the daemon
	check "$name: listening and writing its counters" \
	    grep -q 'listening on' "$dir/$name.log"
	check "$name: StatsFile written" test -s "$dir/state/stats"
	check "$name: the daemon runs as nobody" \
	    test "$(ps -o user= -p "${child:-0}" | tr -d ' ')" = nobody
	kill -USR1 "${child:-0}" 2>/dev/null
	for _ in $(seq 1 50); do
		grep -q 'reloaded' "$dir/$name.log" && break
		sleep 0.1
	done
	check "$name: reloaded on SIGUSR1" grep -q 'reloaded' "$dir/$name.log"
	kill -TERM "${child:-0}" 2>/dev/null
	wait "$pid"
	check "$name: stopped cleanly" grep -q 'authmilter stopping' "$dir/$name.log"
	# The daemon's calls: those after its own execve.
	awk -v d="$daemon" 'index($0, "execve(\"" d "\"") { go = 1; next } go' \
	    "$dir/$name.trace" | grep -E "^[0-9]+ +($privileged)\(" \
	    > "$dir/$name.calls"
}

run as-root
check "as root: the switch to nobody is seen (setresuid, setgroups)" \
    grep -qE ' (setresuid|setgroups)\(' "$dir/as-root.calls"
run as-nobody setpriv --reuid=nobody --regid=nogroup --clear-groups
if [ -s "$dir/as-nobody.calls" ]; then
	not_ok "as nobody: no set*id, setgroups or chown call"
	sed 's/^/#   /' "$dir/as-nobody.calls"
else
	ok "as nobody: no set*id, setgroups or chown call"
fi
for f in as-root as-nobody; do
	if [ "$fail" -gt 0 ]; then
		echo "# $f.log:"; sed 's/^/#   /' "$dir/$f.log" | tail -n 15
	fi
done
echo "1..$n"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
