#!/bin/sh
# unit.sh - contrib/systemd/authmilter.service runs the daemon as its own
# user with the sandbox below (each directive exactly as listed, in the
# [Service] section), its commands use the /usr/local paths make install
# rewrites, and, where systemd-analyze exists, it verifies and its offline
# exposure score is at most 2.0; the report and dashboard units beside it
# (see below).
# make check sets top_srcdir and top_builddir; run by hand, they default to
# the source tree and the current directory.
set -u

here=$(dirname "$0")
top_srcdir=${top_srcdir:-$(cd "$here/../.." && pwd)}
top_builddir=$(cd "${top_builddir:-.}" && pwd)
unit=$top_srcdir/contrib/systemd/authmilter.service
pass=0
fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
not_ok() { echo "not ok - $1"; fail=$((fail + 1)); }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/unit.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT HUP INT TERM

# exposure UNIT - systemd-analyze's offline exposure score of $tmp/u/UNIT
# is at most 2.0.
exposure() {
	systemd-analyze security --offline=yes "$tmp/u/$1" > "$tmp/out" 2>&1
	score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' \
	    "$tmp/out")
	if [ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }'; then
		ok "systemd-analyze security $1: exposure $score (at most 2.0)"
	else
		not_ok "systemd-analyze security $1: exposure ${score:-unknown} (at most 2.0)"
		tail -n 5 "$tmp/out" | sed 's/^/#   /'
	fi
}

# The [Service] lines, comments left out.
awk '/^\[/ { sec = $0; next } sec == "[Service]" && /^[A-Za-z]/' "$unit" \
    > "$tmp/service"

while read -r want; do
	if grep -qxF "$want" "$tmp/service"; then
		ok "[Service] $want"
	else
		not_ok "[Service] $want"
	fi
done <<'EOF'
User=authmilter
Group=authmilter
ExecStartPre=/usr/local/sbin/authmilter -n -c /etc/authmilter/authmilter.conf
ExecStart=/usr/local/sbin/authmilter -f -c /etc/authmilter/authmilter.conf
StateDirectory=authmilter
RuntimeDirectory=authmilter
ReadWritePaths=/var/lib/authmilter -/var/spool/postfix/authmilter
UMask=0007
NoNewPrivileges=yes
CapabilityBoundingSet=
AmbientCapabilities=
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6
RestrictNamespaces=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallFilter=~@privileged @resources
SystemCallErrorNumber=EPERM
EOF

# Nothing may widen it again further down.
for key in User CapabilityBoundingSet AmbientCapabilities NoNewPrivileges \
    ProtectSystem ProtectHome PrivateTmp PrivateDevices MemoryDenyWriteExecute \
    RestrictAddressFamilies RestrictNamespaces; do
	n=$(grep -c "^$key=" "$tmp/service")
	if [ "$n" -eq 1 ]; then
		ok "$key is set once"
	else
		not_ok "$key is set once (set $n times)"
	fi
done

if command -v systemd-analyze > /dev/null 2>&1; then
	# Verify with the commands pointing at this build (the installed ones
	# need not exist here).
	mkdir -p "$tmp/u"
	sed "s|/usr/local/sbin/|$top_builddir/milter/|g" "$unit" \
	    > "$tmp/u/authmilter.service"
	if systemd-analyze verify --man=no "$tmp/u/authmilter.service" \
	    > "$tmp/out" 2>&1; then
		ok "systemd-analyze verify"
	else
		not_ok "systemd-analyze verify"
		sed 's/^/#   /' "$tmp/out"
	fi
	exposure authmilter.service
else
	echo "ok - systemd-analyze checks # SKIP systemd-analyze not installed"
fi

# The oneshot units beside it. authmilter-report.service must keep the
# MTA's sendmail working: Postfix's sendmail runs the setgid postdrop, so
# nothing that sets or implies NoNewPrivileges (systemd.exec(5)) may be in
# it. Every unit names its programs by the /usr/local paths make install
# rewrites.
report=$top_srcdir/contrib/systemd/authmilter-report.service
nnp='^(NoNewPrivileges|PrivateDevices|SystemCallFilter|SystemCallArchitectures|RestrictAddressFamilies|RestrictNamespaces|RestrictRealtime|RestrictSUIDSGID|ProtectKernelModules|ProtectKernelLogs|ProtectClock|ProtectHostname|MemoryDenyWriteExecute|LockPersonality|DynamicUser)='
if grep -Eq "$nnp" "$report"; then
	not_ok "authmilter-report.service: nothing implies NoNewPrivileges ($(grep -E "$nnp" "$report" | tr '\n' ' '))"
else
	ok "authmilter-report.service: nothing implies NoNewPrivileges (setgid postdrop)"
fi
for u in authmilter-report.service authmilter-report.timer \
    authmilter-dashboard.service authmilter-dashboard.timer; do
	f=$top_srcdir/contrib/systemd/$u
	if [ ! -f "$f" ]; then
		not_ok "$u exists"
		continue
	fi
	if grep '^ExecStart' "$f" | grep -v '=-\{0,1\}/usr/local/bin/authmilterctl ' \
	    | grep -q .; then
		not_ok "$u: every ExecStart is /usr/local/bin/authmilterctl"
	else
		ok "$u: every ExecStart is /usr/local/bin/authmilterctl"
	fi
	command -v systemd-analyze > /dev/null 2>&1 || continue
	sed "s|/usr/local/bin/|$top_builddir/milter/|g" "$f" > "$tmp/u/$u"
done
if command -v systemd-analyze > /dev/null 2>&1; then
	for u in authmilter-report.service authmilter-dashboard.service; do
		if systemd-analyze verify --man=no "$tmp/u/$u" > "$tmp/out" 2>&1
		then
			ok "systemd-analyze verify $u"
		else
			not_ok "systemd-analyze verify $u"
			sed 's/^/#   /' "$tmp/out"
		fi
	done
	exposure authmilter-dashboard.service
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
