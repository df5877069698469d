# shellcheck shell=bash disable=SC2034,SC2154
# tests/e2e/sendmail_lib.sh - a throwaway Sendmail 8.17 on 127.0.0.1 with
# authmilter attached, for end-to-end tests. Sourced by tests/e2e/sendmail*.sh
# after lib.sh (whose assertions, ports, TLS, milter and DKIM helpers it uses;
# the Postfix parts of lib.sh are not started).
#
# Sendmail is NOT installed: sendmail-bin Conflicts with mail-transport-agent
# (installing it would remove Postfix). Its Debian 12 .debs are fetched with
# `apt-get download` and unpacked (dpkg -x) into a private root:
#   $SM_DEB_DIR   the .debs; default /var/cache/authmilter-e2e/sendmail, where
#                 contrib/install-deps.sh puts them (downloaded by the test
#                 when missing)
#   $SM_ROOT      the unpacked tree; default /var/cache/authmilter-e2e/
#                 sendmail-root (kept between runs; ~5 MB)
# Sendmail runs as a foreground daemon (-bD) inside `unshare -m`: a private
# mount namespace in which /etc/hosts (so the host name has a dot and
# Sendmail does not sleep 60 s), /etc/resolv.conf (a dead loopback resolver:
# no DNS leaves the host), /usr/lib/sasl2 (Sendmail.conf for SMTP AUTH against
# a private sasldb) and /dev/log (syslog into $E2E_DIR/maillog) are bind
# mounts. Nothing outside $E2E_DIR changes on the host.
#
# Listeners (all 127.0.0.1): $SM_PORT_SMTP plain + STARTTLS (daemon name MTA),
# $SM_PORT_SMTPS implicit TLS (M=s, daemon name MTA-SSL). Every recipient is
# relayed to smtp-sink on $SM_PORT_SINK, which writes one file per message
# into $E2E_DIR/sink/. authmilter listens on $E2E_PORT_MILTER.

: "${SM_DEB_DIR:=/var/cache/authmilter-e2e/sendmail}"
: "${SM_ROOT:=/var/cache/authmilter-e2e/sendmail-root}"
SM_PKGS="sendmail-bin sendmail-base sendmail-cf libwrap0 liblockfile1 sasl2-bin"
SM_MYHOSTNAME=mta.e2e.test
SM_PID=
SM_MNTNS=
SM_SASL_USER=alice
SM_SASL_PASS=secret123

# sm_require: skip unless root; fail (not skip) when a needed tool is missing,
# since contrib/install-deps.sh installs all of them.
sm_require() {
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP: the Sendmail end-to-end tests need root (unshare -m, bind mounts); running as uid $(id -u)"
		exit 77
	fi
	local t
	for t in unshare mount m4 openssl swaks smtp-sink ss timeout python3 dpkg apt-get; do
		command -v "$t" >/dev/null 2>&1 || { echo "Bail out! '$t' not found (contrib/install-deps.sh installs it)"; exit 1; }
	done
}

# sm_fetch: make sure $SM_ROOT holds an unpacked Sendmail; downloads the
# .debs into $SM_DEB_DIR when they are not there yet. Unpacked into a
# temporary directory and renamed, so a concurrent run never sees half a tree.
sm_fetch() {
	local d f
	[ -x "$SM_ROOT/usr/libexec/sendmail/sendmail" ] &&
	    [ -x "$SM_ROOT/usr/sbin/saslpasswd2" ] && [ -f "$SM_ROOT/usr/share/sendmail/cf/m4/cf.m4" ] &&
	    return 0
	mkdir -p "$SM_DEB_DIR" || return 1
	for f in $SM_PKGS; do
		ls "$SM_DEB_DIR/${f}"_*.deb >/dev/null 2>&1 && continue
		e2e_diag "downloading the Sendmail .debs into $SM_DEB_DIR (apt-get download; not installed)"
		# shellcheck disable=SC2086
		(cd "$SM_DEB_DIR" && timeout 120 apt-get download $SM_PKGS) > "$SM_DEB_DIR/download.log" 2>&1 || {
			e2e_diag "apt-get download failed:"
			sed 's/^/#   /' "$SM_DEB_DIR/download.log" | tail -5
			return 1
		}
		break
	done
	d=$SM_ROOT.tmp.$$
	rm -rf "$d"
	mkdir -p "$d" || return 1
	for f in $SM_PKGS; do
		# shellcheck disable=SC2012
		dpkg -x "$(ls "$SM_DEB_DIR/${f}"_*.deb | tail -n 1)" "$d" || { rm -rf "$d"; return 1; }
	done
	# setgid smmsp: ld.so would ignore LD_LIBRARY_PATH (secure-exec).
	chmod g-s "$d/usr/libexec/sendmail/sendmail"
	rm -rf "$SM_ROOT"
	mv -T "$d" "$SM_ROOT" 2>/dev/null || rm -rf "$d"
	[ -x "$SM_ROOT/usr/libexec/sendmail/sendmail" ]
}

# sm_write_config: sendmail.mc -> sendmail.cf, the namespace wrapper, the
# syslog sink, sasldb, private hosts/resolv.conf. Uses contrib/sendmail/
# authmilter.mc for the milter lines, so the suite tests what admins copy.
sm_write_config() {
	local d=$E2E_DIR/sendmail mc
	mkdir -p "$d/queue" "$d/sasl2" "$E2E_DIR/sink"
	chmod 700 "$d/queue"
	chown nobody "$E2E_DIR/sink"
	printf '127.0.0.1\tlocalhost\n127.0.0.1\t%s %s\n' "$SM_MYHOSTNAME" "$(hostname)" > "$d/hosts"
	printf 'nameserver 127.0.0.9\noptions timeout:1 attempts:1\n' > "$d/resolv.conf"
	printf 'hosts\tfiles\npasswd\tfiles\naliases\tfiles\n' > "$d/service.switch"
	: > "$d/relay-domains"
	printf '%s' "$SM_SASL_PASS" | LD_LIBRARY_PATH="$SM_ROOT/usr/lib/x86_64-linux-gnu" \
	    "$SM_ROOT/usr/sbin/saslpasswd2" -p -f "$d/sasldb2" -u "$SM_MYHOSTNAME" -c "$SM_SASL_USER" || return 1
	chmod 600 "$d/sasldb2"
	printf 'pwcheck_method: auxprop\nauxprop_plugin: sasldb\nsasldb_path: %s/sasldb2\nmech_list: PLAIN LOGIN\n' \
	    "$d" > "$d/sasl2/Sendmail.conf"

	# The admin's lines, with the socket moved to the test port.
	mc=$(sed -e '/^dnl/d' -e "s|inet:8891@127\.0\.0\.1|inet:$E2E_PORT_MILTER@127.0.0.1|" \
	    "$top_srcdir/contrib/sendmail/authmilter.mc")
	cat > "$d/sendmail.mc" <<EOF
divert(-1)
  authmilter e2e: private Sendmail, loopback only (tests/e2e/sendmail_lib.sh)
divert(0)dnl
VERSIONID(\`authmilter-e2e')dnl
OSTYPE(\`linux')dnl
define(\`confDOMAIN_NAME', \`$SM_MYHOSTNAME')dnl
define(\`confSERVICE_SWITCH_FILE', \`$d/service.switch')dnl
define(\`QUEUE_DIR', \`$d/queue')dnl
define(\`confPID_FILE', \`$d/sendmail.pid')dnl
define(\`confDEAD_LETTER_DROP', \`$d/dead.letter')dnl
define(\`confCR_FILE', \`-o $d/relay-domains')dnl
undefine(\`ALIAS_FILE')dnl
undefine(\`STATUS_FILE')dnl
undefine(\`HELP_FILE')dnl
define(\`confDONT_BLAME_SENDMAIL', \`TrustStickyBit')dnl
define(\`confBIND_OPTS', \`-DNSRCH -DEFNAMES')dnl
define(\`confDONT_PROBE_INTERFACES', \`True')dnl
define(\`confTO_IDENT', \`0')dnl
define(\`confDELIVERY_MODE', \`background')dnl
define(\`confREFUSE_LA', \`200')dnl
define(\`confQUEUE_LA', \`150')dnl
define(\`confMAX_DAEMON_CHILDREN', \`0')dnl
define(\`confLOG_LEVEL', \`14')dnl
FEATURE(\`no_default_msa')dnl
FEATURE(\`accept_unresolvable_domains')dnl
FEATURE(\`accept_unqualified_senders')dnl
DAEMON_OPTIONS(\`Family=inet, Addr=127.0.0.1, Port=$SM_PORT_SMTP, Name=MTA')dnl
DAEMON_OPTIONS(\`Family=inet, Addr=127.0.0.1, Port=$SM_PORT_SMTPS, Name=MTA-SSL, M=s')dnl
define(\`SMART_HOST', \`relay:[127.0.0.1]')dnl
define(\`MAIL_HUB', \`relay:[127.0.0.1]')dnl
define(\`RELAY_MAILER_ARGS', \`TCP \$h $SM_PORT_SINK')dnl
define(\`ESMTP_MAILER_ARGS', \`TCP \$h $SM_PORT_SINK')dnl
define(\`SMTP_MAILER_ARGS', \`TCP \$h $SM_PORT_SINK')dnl
define(\`confCACERT_PATH', \`$E2E_DIR/tls')dnl
define(\`confCACERT', \`$E2E_DIR/tls/ca.pem')dnl
define(\`confSERVER_CERT', \`$E2E_DIR/tls/server.pem')dnl
define(\`confSERVER_KEY', \`$E2E_DIR/tls/server.key')dnl
define(\`confAUTH_MECHANISMS', \`PLAIN LOGIN')dnl
TRUST_AUTH_MECH(\`PLAIN LOGIN')dnl
define(\`confMILTER_LOG_LEVEL', \`14')dnl
$mc
MAILER(\`local')dnl
MAILER(\`smtp')dnl
EOF
	m4 "$SM_ROOT/usr/share/sendmail/cf/m4/cf.m4" "$d/sendmail.mc" > "$d/sendmail.cf" 2> "$d/m4.log" ||
	    return 1

	cat > "$d/smwrap.sh" <<EOF
#!/bin/sh
# Run as: unshare -m smwrap.sh SENDMAIL-ARGS. The mounts below exist only in
# this private mount namespace (mount -n: no utab).
set -e
mount -n --make-rprivate /
mount -n --bind "$d/hosts" /etc/hosts
mount -n --bind "$d/resolv.conf" /etc/resolv.conf
mount -n --bind "$d/sasl2" /usr/lib/sasl2
if [ -S "$d/log.sock" ]; then
	mkdir -p "$d/.realdev"
	mount -n --rbind /dev "$d/.realdev"
	mount -n -t tmpfs -o mode=755 smdev /dev
	for n in null zero full random urandom tty; do
		touch /dev/\$n
		mount -n --bind "$d/.realdev/\$n" /dev/\$n
	done
	ln -s /proc/self/fd /dev/fd
	ln -s "$d/log.sock" /dev/log
	umount -n -l "$d/.realdev"
fi
LD_LIBRARY_PATH="$SM_ROOT/usr/lib/x86_64-linux-gnu" exec "$SM_ROOT/usr/libexec/sendmail/sendmail" "\$@"
EOF
	chmod 755 "$d/smwrap.sh"

	cat > "$d/syslog-sink.py" <<'EOF'
import os, socket, sys
path, out = sys.argv[1], open(sys.argv[2], "a", buffering=1)
if os.path.exists(path): os.unlink(path)
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(path); os.chmod(path, 0o666)
while True: out.write(s.recv(65536).decode("utf-8", "replace").rstrip("\0\n") + "\n")
EOF
}

# sm_start: syslog sink, smtp-sink, Sendmail (-bD, so $! is sendmail's pid).
sm_start() {
	local d=$E2E_DIR/sendmail i=0 p
	python3 "$d/syslog-sink.py" "$d/log.sock" "$E2E_DIR/maillog" < /dev/null > /dev/null 2>&1 &
	E2E_PIDS="$E2E_PIDS $!"
	smtp-sink -u nobody -d "$E2E_DIR/sink/%Y%m%d%H%M%S." "127.0.0.1:$SM_PORT_SINK" 32 \
	    < /dev/null >> "$E2E_DIR/smtp-sink.log" 2>&1 &
	E2E_PIDS="$E2E_PIDS $!"
	e2e_wait_port "$SM_PORT_SINK" 10 $! || { e2e_diag "smtp-sink did not listen"; return 1; }
	while [ ! -S "$d/log.sock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	unshare -m "$d/smwrap.sh" -C "$d/sendmail.cf" -bD -q1m < /dev/null >> "$E2E_DIR/sendmail.out" 2>&1 &
	SM_PID=$!
	for p in "$SM_PORT_SMTP" "$SM_PORT_SMTPS"; do
		e2e_wait_port "$p" 15 "$SM_PID" || {
			e2e_diag "Sendmail did not listen on $p:"
			sed 's/^/#   /' "$E2E_DIR/sendmail.out" "$E2E_DIR/maillog" 2>/dev/null | tail -15
			return 1
		}
	done
	SM_MNTNS=$(readlink "/proc/$SM_PID/ns/mnt" 2>/dev/null)
	e2e_log "sendmail pid $SM_PID ns $SM_MNTNS"
}

# sm_stop: stop Sendmail, then any process still in its mount namespace
# (background deliveries, queue runners), each by its pid.
sm_stop() {
	local p ns i
	[ -n "$SM_PID" ] || return 0
	e2e_stop_pid "$SM_PID" sendmail 5
	SM_PID=
	[ -n "$SM_MNTNS" ] || return 0
	for i in 1 2 3; do
		local left=
		for p in /proc/[0-9]*; do
			ns=$(readlink "$p/ns/mnt" 2>/dev/null) || continue
			[ "$ns" = "$SM_MNTNS" ] && left="$left ${p#/proc/}"
		done
		[ -z "$left" ] && break
		for p in $left; do
			[ $i = 3 ] && e2e_diag "process $p left in Sendmail's namespace"
			e2e_stop_pid "$p" "sendmail child" 3
		done
	done
	SM_MNTNS=
}

# sm_setup: temp dir, certificates, ports, config; start the sink and
# Sendmail (authmilter is started by the test with e2e_start_milter).
sm_setup() {
	sm_require
	trap 'sm_stop; e2e_teardown' EXIT
	trap 'e2e_diag "interrupted"; exit 1' INT TERM HUP
	sm_fetch || e2e_die "no Sendmail: the .debs could not be fetched into $SM_DEB_DIR (contrib/install-deps.sh does it)"
	E2E_DIR=$(mktemp -d "${E2E_TMPDIR:-${TMPDIR:-/tmp}}/authmilter-sm-e2e.XXXXXX") ||
	    e2e_die "mktemp failed"
	chmod 755 "$E2E_DIR"	# smtp-sink writes sink/ as nobody
	mkdir -p "$E2E_DIR/swaks"
	e2e_make_tls "$E2E_DIR/tls" || e2e_die "openssl failed: $(tail -3 "$E2E_DIR/tls/openssl.log")"
	local try
	for try in 1 2 3; do
		if ! { SM_PORT_SMTP=$(e2e_free_port) && SM_PORT_SMTPS=$(e2e_free_port) &&
		    SM_PORT_SINK=$(e2e_free_port) && E2E_PORT_MILTER=$(e2e_free_port); }; then
			e2e_die "no free loopback ports"
		fi
		# lib.sh's e2e_send uses these names
		E2E_PORT_SMTP=$SM_PORT_SMTP
		E2E_PORT_SMTPS=$SM_PORT_SMTPS
		E2E_PORT_SUBMISSION=$SM_PORT_SMTP
		sm_write_config || e2e_die "could not write the Sendmail configuration: $(tail -3 "$E2E_DIR/sendmail/m4.log")"
		sm_start && return 0
		sm_stop
		e2e_stop_pid "${E2E_PIDS##* }" smtp-sink 5
		e2e_diag "Sendmail did not start (try $try)"
	done
	e2e_die "could not start Sendmail"
}

# sm_find_message [TAG]: path of the sink file holding X-E2E-Tag: TAG.
sm_find_message() {
	local tag=${1:-$E2E_TAG}
	grep -lx -m1 "X-E2E-Tag: $tag"$'\r\\?' "$E2E_DIR"/sink/* 2>/dev/null | head -n 1 | grep .
}

# sm_wait_message [SECONDS] [TAG]: like e2e_wait_message for the sink; the
# message in E2E_MSG is what Sendmail relayed: smtp-sink's own X-* trace
# headers and its Received: are cut off, CRs removed.
sm_wait_message() {
	local secs=${1:-10} tag=${2:-$E2E_TAG} i=0 f
	E2E_LAST_FILE=
	E2E_MSG=
	while [ $i -le $((secs * 10)) ]; do
		if f=$(sm_find_message "$tag"); then
			sleep 0.2	# smtp-sink writes the file as data arrives
			E2E_LAST_FILE=$f
			E2E_MSG=$(sm_strip_sink "$f")
			return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# sm_strip_sink FILE: the relayed message without smtp-sink's prepended
# X-Client-*/X-Helo-Args/X-Mail-Args/X-Rcpt-Args headers and its Received:.
sm_strip_sink() {
	sed 's/\r$//' "$1" | awk '
		done { print; next }
		!rcvd && /^X-(Client-Addr|Client-Proto|Helo-Args|Mail-Args|Rcpt-Args): / { next }
		!rcvd && /^Received: from / { rcvd = 1; next }
		rcvd && /^[ \t]/ { next }
		{ done = 1; print }'
}
