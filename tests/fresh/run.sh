#!/bin/bash
# tests/fresh/run.sh [DIR] - the newcomer path, from nothing: a clean
# Debian 12 (bookworm) root made by debootstrap, the repository's committed
# HEAD cloned into it, and the README's two opening commands run in a chroot
# exactly as the README writes them (they are read from the README, so they
# cannot drift). Not part of make check: it needs root, debootstrap, git,
# the network (a Debian mirror) and about an hour.
#
#   DIR            work directory, must not exist or be empty (default
#                  /var/tmp/authmilter-fresh): DIR/root is the chroot,
#                  DIR/logs the logs, DIR/logs/summary the result
#   MIRROR=URL     Debian mirror (default: the host's apt sources' bookworm
#                  mirror, else http://deb.debian.org/debian)
#   CMD1_TIMEOUT   seconds the first command may take to reach "listening"
#                  (default 3600); the second has no limit
#
# The first command ends by starting the daemon in the foreground: it
# counts as done when the daemon logs that it is listening; then it is
# stopped (its process group, started by this script). The second runs to
# its end; its last "total: N passed, M failed" line is the result.
# In the chroot, /usr/sbin/policy-rc.d refuses service starts (the Debian
# convention for chroots): package postinsts must not start Postfix or
# unbound on the host's network. /proc, /sys and /dev are mounted in the
# root (itself bind-mounted, so / is a mount point as on a machine; the
# hostname gets a 127.0.1.1 line in /etc/hosts as the Debian installer
# writes) and unmounted on exit, after every process still running inside
# the root (processes this run started there) is stopped.
set -u
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
dir=${1:-/var/tmp/authmilter-fresh}
root=$dir/root
logs=$dir/logs
src=/usr/src/authmilter
suite=bookworm
cmd1_timeout=${CMD1_TIMEOUT:-3600}

die() { echo "fresh: $*" >&2; exit 1; }
say() { echo "fresh: $*"; echo "$*" >> "$logs/summary"; }

[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot, mount)"
for t in debootstrap git chroot mount umount setsid; do
	command -v "$t" > /dev/null 2>&1 ||
	    die "$t not found (apt-get install debootstrap git util-linux)"
done
if [ -e "$dir" ] && [ -n "$(ls -A "$dir" 2>/dev/null)" ]; then
	die "$dir exists and is not empty: give a new directory"
fi

# host_mirror - the host's bookworm mirror (deb822 or one-line sources).
host_mirror() {
	{
		cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '
			/^URIs:/ { uri = $2 }
			/^Suites:/ && / bookworm( |$)/ { print uri; exit }'
		awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }' \
		    /etc/apt/sources.list 2>/dev/null
	} | head -n 1
}
mirror=${MIRROR:-$(host_mirror)}
mirror=${mirror:-http://deb.debian.org/debian}
mirror=${mirror%/}
case $mirror in
*/debian) security=${mirror}-security ;;
*) security=http://security.debian.org/debian-security ;;
esac

mkdir -p "$root" "$logs" || exit 1
: > "$logs/summary"
mounted=
cmd_pgid=

# in_root_pids - processes whose root directory is the chroot.
in_root_pids() {
	local p r
	for p in /proc/[0-9]*; do
		r=$(readlink "$p/root" 2>/dev/null) || continue
		[ "$r" = "$root" ] && echo "${p#/proc/}"
	done
}

cleanup() {
	local pids m
	if [ -n "$cmd_pgid" ]; then
		kill -TERM -- "-$cmd_pgid" 2>/dev/null
	fi
	for _ in 1 2 3 4 5; do
		pids=$(in_root_pids)
		[ -z "$pids" ] && break
		# shellcheck disable=SC2086
		kill -TERM $pids 2>/dev/null
		sleep 1
	done
	pids=$(in_root_pids)
	# shellcheck disable=SC2086
	[ -n "$pids" ] && kill -KILL $pids 2>/dev/null && sleep 1
	for m in $mounted; do	# newest first
		umount -R "$root/$m" 2>/dev/null || umount -l "$root/$m" ||
		    echo "fresh: cannot unmount $root/$m" >&2
	done
	mounted=
}
trap cleanup EXIT
trap 'exit 130' HUP INT TERM

# 1. The root.
say "debootstrap $suite from $mirror into $root"
t0=$(date +%s)
if ! debootstrap --keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
    "$suite" "$root" "$mirror" > "$logs/debootstrap.log" 2>&1; then
	tail -n 20 "$logs/debootstrap.log" >&2
	die "debootstrap failed (see $logs/debootstrap.log)"
fi
say "debootstrap: $(( $(date +%s) - t0 )) s"
cat > "$root/etc/apt/sources.list" <<EOF
deb $mirror $suite main
deb $mirror $suite-updates main
deb $security $suite-security main
EOF
cp /etc/resolv.conf "$root/etc/resolv.conf"
# A Debian install names the host in /etc/hosts (127.0.1.1); debootstrap
# does not. Without it every lookup of this host's name (the default
# AuthservID) goes to the DNS.
if ! grep -qw -- "$(hostname)" "$root/etc/hosts"; then
	printf '127.0.1.1\t%s\n' "$(hostname)" >> "$root/etc/hosts"
fi
printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"

# 2. The repository: only what is committed, at HEAD.
head=$(git -C "$repo" rev-parse HEAD) || die "$repo is not a git checkout"
git clone -q --no-hardlinks "$repo" "$root$src" > "$logs/clone.log" 2>&1 ||
    die "git clone failed (see $logs/clone.log)"
git -C "$root$src" checkout -q --detach "$head" ||
    die "cannot check out $head"
say "cloned $repo at $head into $src"
if [ -n "$(git -C "$repo" status --porcelain 2>/dev/null)" ]; then
	say "note: $repo has uncommitted changes; they are not in the clone"
fi

# 3. The README's two commands: its first two lines indented by four spaces.
cmd1=$(awk '/^    [^ ]/ { sub(/^    /, ""); print; n++ } n == 2 { exit }' \
    "$root$src/README" | sed -n 1p)
cmd2=$(awk '/^    [^ ]/ { sub(/^    /, ""); print; n++ } n == 2 { exit }' \
    "$root$src/README" | sed -n 2p)
if [ -z "$cmd1" ] || [ -z "$cmd2" ]; then
	die "no two indented commands in README"
fi
say "command 1: $cmd1"
say "command 2: $cmd2"

# The root is a mount point, as / is on a machine (unshare -m, used by
# tests/e2e/sendmail.sh, makes / private and fails on a plain directory).
mount --bind "$root" "$root" || die "mount --bind $root"
mounted=". $mounted"
mount --make-private "$root"
mount -t proc proc "$root/proc" || die "mount proc"
mounted="proc $mounted"
mount -t sysfs sysfs "$root/sys" || die "mount sys"
mounted="sys $mounted"
mount --rbind /dev "$root/dev" || die "mount dev"
mounted="dev $mounted"
mount --make-rslave "$root/dev"

# in_root CMD: CMD run by root's shell in the clone, clean environment.
in_root=(chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
    /bin/bash -c)

# 4. Command 1, until the daemon listens.
if command -v ss > /dev/null 2>&1 && ss -ltn | grep -q '127.0.0.1:8891 '; then
	say "note: 127.0.0.1:8891 is in use on this host; command 1 cannot bind it"
fi
t0=$(date +%s)
# Its own session and process group (setsid execs: no job control here, so
# the background child is not a group leader), stopped as a group.
setsid "${in_root[@]}" "cd $src && $cmd1" > "$logs/cmd1.log" 2>&1 < /dev/null &
cmd_pid=$!
cmd_pgid=$cmd_pid
res1=fail
while :; do
	if grep -q 'listening on' "$logs/cmd1.log" 2>/dev/null; then
		res1=ok
		break
	fi
	if ! kill -0 "$cmd_pid" 2>/dev/null; then
		break
	fi
	if [ $(( $(date +%s) - t0 )) -gt "$cmd1_timeout" ]; then
		say "command 1: no 'listening on' after $cmd1_timeout s"
		break
	fi
	sleep 2
done
t1=$(( $(date +%s) - t0 ))
kill -TERM -- "-$cmd_pgid" 2>/dev/null
wait "$cmd_pid" 2>/dev/null
cmd_pgid=
if [ "$res1" = ok ]; then
	say "command 1: $t1 s to a listening daemon: $(grep -m1 'listening on' "$logs/cmd1.log")"
else
	say "command 1: FAILED after $t1 s (see $logs/cmd1.log)"
	tail -n 30 "$logs/cmd1.log"
fi

# 5. Command 2, to its end.
t0=$(date +%s)
"${in_root[@]}" "cd $src && $cmd2" > "$logs/cmd2.log" 2>&1 < /dev/null
rc2=$?
t2=$(( $(date +%s) - t0 ))
total=$(grep '^total: ' "$logs/cmd2.log" | tail -n 1)
say "command 2: exit $rc2 after $t2 s; ${total:-no total line} (see $logs/cmd2.log)"
[ "$rc2" -eq 0 ] || grep '^not ok\|^FAIL' "$logs/cmd2.log" | head -n 40

[ "$res1" = ok ] && [ "$rc2" -eq 0 ]
