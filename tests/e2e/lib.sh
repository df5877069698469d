# shellcheck shell=bash disable=SC2034
# tests/e2e/lib.sh - a throwaway Postfix instance on 127.0.0.1 with authmilter
# attached, for end-to-end tests. Sourced by tests/e2e/*.sh (bash).
#
# Everything lives under one temporary directory ($E2E_DIR): Postfix's
# config_directory, queue_directory, data_directory, maillog_file, the TLS
# test CA and certificates, the authmilter config and log, swaks transcripts
# and the delivered messages. Nothing outside it is written; /etc/postfix and
# the system Postfix are never touched. Every process started here is recorded
# by pid and stopped by pid in e2e_teardown (installed as an EXIT trap).
#
# Delivery: mail for @$E2E_DOMAIN goes to a pipe(8) transport with no flags,
# so Postfix prepends nothing (no Return-Path:, Delivered-To:, X-Original-To:,
# no From_ line): the file is exactly the queued message, and the first header
# of the file is the first header of the message as Postfix stored it. The pipe
# command ($E2E_DIR/deliver) writes one file per message into
# $E2E_DIR/mail/new (maildir-style tmp -> new rename, so readers never see a
# partial file).
#
# Environment (all optional):
#   top_srcdir, top_builddir   set by `make check`; default: this file's ../..
#   E2E_KEEP=1                 keep $E2E_DIR after teardown (its path is printed)
#   E2E_MILTER_DEFAULT_ACTION  Postfix milter_default_action (default tempfail)
#   E2E_AUTHMILTER             the daemon binary (default
#                              $top_builddir/milter/authmilter)
#   E2E_VERBOSE=1              print every helper step to stderr
#   E2E_TMPDIR                 parent of $E2E_DIR (default ${TMPDIR:-/tmp})

E2E_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${top_srcdir:=$(cd "$E2E_LIB_DIR/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${E2E_AUTHMILTER:=$top_builddir/milter/authmilter}"
: "${E2E_MILTER_DEFAULT_ACTION:=tempfail}"

E2E_DOMAIN=e2e.test                 # local (mydestination) domain
E2E_MYHOSTNAME=mta.e2e.test         # Postfix myhostname; also in Received:
E2E_AUTHSERV_ID=mx.e2e.test         # authmilter's AuthservID
E2E_RCPT=bob@$E2E_DOMAIN
E2E_FROM=alice@sender.example
E2E_HELO=client.example.net

E2E_DIR=
E2E_PIDS=                           # pids we started (authmilter, watchdog)
E2E_MASTER_PID=                     # Postfix master, read from its pid file
E2E_MILTER_PID=
E2E_SEND_SEQ=0
E2E_TAG=                            # X-E2E-Tag of the last e2e_send
E2E_TRANSCRIPT=                     # swaks transcript of the last e2e_send
E2E_LAST_FILE=                      # file printed by the last e2e_last_message
E2E_TESTNUM=0
E2E_PASSED=0
E2E_FAILED=0
E2E_SKIPPED=0
E2E_TORN_DOWN=0

e2e_log() { [ "${E2E_VERBOSE:-0}" = 1 ] && printf '# %s\n' "$*" >&2; return 0; }
e2e_diag() { printf '# %s\n' "$*"; }
e2e_die() {
	e2e__result 0 "Bail out! $*"
	e2e_summary
	exit 1
}

# -------------------------------------------------------------- preconditions

# e2e_require: skip (exit 77) unless we are root and the tools exist.
e2e_require() {
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP: the Postfix end-to-end tests need root (postfix start, pipe user nobody); running as uid $(id -u)"
		exit 77
	fi
	local t
	for t in postfix postconf swaks openssl ss timeout; do
		command -v "$t" >/dev/null 2>&1 || {
			echo "SKIP: '$t' not found (contrib/install-deps.sh installs it)"
			exit 77
		}
	done
	[ -x /usr/lib/postfix/sbin/master ] || {
		echo "SKIP: Postfix daemons not found in /usr/lib/postfix/sbin"
		exit 77
	}
	id nobody >/dev/null 2>&1 || { echo "SKIP: no user 'nobody' for pipe(8) delivery"; exit 77; }
	id postfix >/dev/null 2>&1 || { echo "SKIP: no user 'postfix'"; exit 77; }
}

# e2e_have_milter: true when the authmilter binary exists.
e2e_have_milter() { [ -x "$E2E_AUTHMILTER" ] && [ -f "$E2E_AUTHMILTER" ]; }

# ------------------------------------------------------------------- ports

E2E_USED_PORTS=" "
# e2e_free_port: print a loopback TCP port nobody listens on (and that this
# harness has not handed out yet).
e2e_free_port() {
	local p i
	for i in $(seq 1 200); do
		p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		case $E2E_USED_PORTS in *" $p "*) continue ;; esac
		if [ -z "$(ss -Htan "sport = :$p" 2>/dev/null)" ]; then
			E2E_USED_PORTS="$E2E_USED_PORTS$p "
			echo "$p"
			return 0
		fi
	done
	return 1
}

# e2e_wait_port PORT [SECONDS] [PID]: wait until 127.0.0.1:PORT accepts
# connections; give up early when PID (the process that should listen) exits.
e2e_wait_port() {
	local port=$1 secs=${2:-10} pid=${3:-} i=0
	while [ $i -lt $((secs * 10)) ]; do
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			return 0
		fi
		if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid" 2>/dev/null
			e2e_diag "pid $pid exited (status $?) before listening on port $port"
			return 1
		fi
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# e2e_wait_gone PID [SECONDS]: wait until PID no longer exists.
e2e_wait_gone() {
	local pid=$1 secs=${2:-10} i=0
	while kill -0 "$pid" 2>/dev/null; do
		# a zombie child of ours counts as gone once reaped
		wait "$pid" 2>/dev/null
		[ $i -ge $((secs * 10)) ] && return 1
		sleep 0.1
		i=$((i + 1))
	done
	return 0
}

# e2e_stop_pid PID NAME [SECONDS]: TERM, wait, then KILL. Only for our pids.
e2e_stop_pid() {
	local pid=$1 name=$2 secs=${3:-10}
	[ -n "$pid" ] || return 0
	kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
	kill -TERM "$pid" 2>/dev/null
	if ! e2e_wait_gone "$pid" "$secs"; then
		e2e_diag "$name (pid $pid) ignored SIGTERM for ${secs}s, sending SIGKILL"
		kill -KILL "$pid" 2>/dev/null
		e2e_wait_gone "$pid" 2
	fi
	return 0
}

# ------------------------------------------------------------------- TLS

# e2e_make_tls DIR: test CA, server cert (CN=$E2E_MYHOSTNAME, SAN) and a
# client cert (CN=client.e2e.test), both signed by the CA.
e2e_make_tls() {
	local d=$1
	mkdir -p "$d" || return 1
	(
		cd "$d" || exit 1
		set -e
		openssl req -x509 -newkey rsa:2048 -nodes -days 3 -sha256 \
		    -subj "/CN=authmilter E2E Test CA" \
		    -addext basicConstraints=critical,CA:TRUE \
		    -addext keyUsage=critical,keyCertSign,cRLSign \
		    -keyout ca.key -out ca.pem
		openssl req -newkey rsa:2048 -nodes -sha256 -subj "/CN=$E2E_MYHOSTNAME" \
		    -keyout server.key -out server.csr
		printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth\n' "$E2E_MYHOSTNAME" > server.ext
		openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
		    -days 3 -sha256 -extfile server.ext -out server.pem
		openssl req -newkey rsa:2048 -nodes -sha256 \
		    -subj "/CN=client.e2e.test/O=E2E Client Org" \
		    -keyout client.key -out client.csr
		printf 'extendedKeyUsage=clientAuth\n' > client.ext
		openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
		    -days 3 -sha256 -extfile client.ext -out client.pem
		chmod 600 ./*.key
	) > "$d/openssl.log" 2>&1
}

# ----------------------------------------------------------------- Postfix

# e2e_postfix_write_config: (re)write main.cf and master.cf from the E2E_*
# variables.
e2e_postfix_write_config() {
	local c=$E2E_DIR/postfix
	mkdir -p "$c"
	cat > "$c/main.cf" <<EOF
# authmilter e2e: throwaway instance, written by tests/e2e/lib.sh
compatibility_level = 3.6
queue_directory = $E2E_DIR/queue
data_directory = $E2E_DIR/data
mail_owner = postfix
setgid_group = postdrop

myhostname = $E2E_MYHOSTNAME
mydomain = $E2E_DOMAIN
myorigin = \$mydomain
mydestination = $E2E_DOMAIN
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8

# No DNS: nothing is looked up (client names, MX, A records).
smtp_dns_support_level = disabled
smtpd_peername_lookup = no
smtp_host_lookup = native
lmtp_host_lookup = native

# Every recipient in mydestination is accepted and piped to \$E2E_DIR/deliver.
local_recipient_maps =
alias_maps =
alias_database =
local_transport = e2edeliver
default_transport = error:e2e instance delivers locally only
relay_transport = error:e2e instance delivers locally only
biff = no
notify_classes =
delay_warning_time = 0
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_recipient_restrictions =
smtpd_client_restrictions =
smtpd_helo_restrictions =
smtpd_sender_restrictions =
smtpd_delay_reject = yes
smtpd_authorized_xclient_hosts = 127.0.0.0/8
smtpd_authorized_xforward_hosts = 127.0.0.0/8
queue_run_delay = 10s
minimal_backoff_time = 10s
maximal_backoff_time = 20s

# Logging to a file via postlogd (the 'postlog' service below).
maillog_file = $E2E_DIR/maillog
maillog_file_prefixes = $E2E_DIR

# Server TLS with the test CA; STARTTLS offered on the plain ports.
smtpd_tls_security_level = may
smtpd_tls_cert_file = $E2E_DIR/tls/server.pem
smtpd_tls_key_file = $E2E_DIR/tls/server.key
smtpd_tls_CAfile = $E2E_DIR/tls/ca.pem
smtpd_tls_loglevel = 1
smtpd_tls_received_header = yes
smtpd_tls_session_cache_database =
smtp_tls_security_level = none

# The milter under test.
smtpd_milters = inet:127.0.0.1:$E2E_PORT_MILTER
non_smtpd_milters =
milter_default_action = $E2E_MILTER_DEFAULT_ACTION
milter_connect_timeout = 5s
milter_command_timeout = 30s
milter_content_timeout = 60s
EOF
	# E2E_POSTCONF_EXTRA: extra main.cf lines (e.g. from e2e_postconf).
	[ -n "${E2E_POSTCONF_EXTRA:-}" ] && printf '%s\n' "$E2E_POSTCONF_EXTRA" >> "$c/main.cf"

	cat > "$c/master.cf" <<EOF
# authmilter e2e master.cf: loopback listeners only, nothing chrooted.
# service type  private unpriv  chroot  wakeup  maxproc command + args
127.0.0.1:$E2E_PORT_SMTP inet n - n - - smtpd
127.0.0.1:$E2E_PORT_SUBMISSION inet n - n - - smtpd
  -o syslog_name=postfix/submission
  -o milter_macro_daemon_name=ORIGINATING
127.0.0.1:$E2E_PORT_SMTPS inet n - n - - smtpd
  -o syslog_name=postfix/smtps
  -o smtpd_tls_wrappermode=yes
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
# No flags: pipe(8) prepends nothing, the file is the message as queued.
e2edeliver unix -       n       n       -       -       pipe
  user=nobody argv=$E2E_DIR/deliver \${queue_id}
EOF
	# Postfix re-reads a config file until its mtime is 2 s old (it waits for
	# an editor to finish); backdate ours so that the next postfix command
	# does not spend 2 s doing that.
	touch -d '-1 minute' "$c/main.cf" "$c/master.cf"
}

# e2e_postfix_start: start the instance and wait for its three ports.
e2e_postfix_start() {
	local c=$E2E_DIR/postfix
	if ! postfix -c "$c" start >> "$E2E_DIR/postfix-ctl.log" 2>&1; then
		e2e_diag "postfix start failed:"
		sed 's/^/#   /' "$E2E_DIR/postfix-ctl.log" "$E2E_DIR/maillog" 2>/dev/null | tail -20
		return 1
	fi
	E2E_MASTER_PID=$(awk '{ print $1; exit }' "$E2E_DIR/queue/pid/master.pid" 2>/dev/null)
	local p
	for p in "$E2E_PORT_SMTP" "$E2E_PORT_SUBMISSION" "$E2E_PORT_SMTPS"; do
		e2e_wait_port "$p" 10 || { e2e_diag "Postfix port $p not listening"; return 1; }
	done
	e2e_log "postfix master pid $E2E_MASTER_PID"
}

# e2e_postfix_stop [quick]: `postfix stop`, then make sure the master and its
# process group (the master is a session leader; its children share its pgid)
# are gone. Only the recorded master pid/pgid is signalled. With "quick" (for
# restarts): SIGTERM to the recorded master pid, which is what `postfix stop`
# does minus its 1 s polling sleep, and the next start skips the integrity
# checks (as after `postfix quick-stop`).
e2e_postfix_stop() {
	local c=$E2E_DIR/postfix pid=$E2E_MASTER_PID
	[ -n "$pid" ] || return 0
	# Our master is a process-group leader running .../master; never signal
	# a pid that has since been reused by something else.
	if kill -0 "$pid" 2>/dev/null &&
	    tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q '/master '; then
		if [ "${1:-}" = quick ]; then
			kill -TERM "$pid"
			touch "$E2E_DIR/queue/quick-start"
		else
			postfix -c "$c" stop >> "$E2E_DIR/postfix-ctl.log" 2>&1
		fi
		if ! e2e_wait_gone "$pid" 5; then
			e2e_diag "Postfix master $pid still running, SIGKILL to its process group"
			kill -KILL -- "-$pid" 2>/dev/null
			e2e_wait_gone "$pid" 2
		fi
	fi
	# Leftover children (same process group as the master)?
	local i=0
	while [ $i -lt 30 ] && pgrep -g "$pid" >/dev/null 2>&1; do
		sleep 0.1
		i=$((i + 1))
	done
	if pgrep -g "$pid" >/dev/null 2>&1; then
		e2e_diag "Postfix processes left in group $pid, SIGKILL"
		kill -KILL -- "-$pid" 2>/dev/null
	fi
	E2E_MASTER_PID=
}

# e2e_postconf NAME=VALUE...: change main.cf settings and restart Postfix
# (a restart, not a reload, so no smtpd with the old settings survives).
e2e_postconf() {
	local kv
	for kv in "$@"; do
		case $kv in
		milter_default_action=*) E2E_MILTER_DEFAULT_ACTION=${kv#*=} ;;
		*) E2E_POSTCONF_EXTRA="${E2E_POSTCONF_EXTRA:+$E2E_POSTCONF_EXTRA
}${kv%%=*} = ${kv#*=}" ;;
		esac
	done
	e2e_postfix_stop quick
	e2e_postfix_write_config
	e2e_postfix_start
}

# e2e_setup: temp dir, certificates, ports, Postfix config; start Postfix.
e2e_setup() {
	e2e_require
	trap 'e2e_teardown' EXIT
	trap 'e2e_diag "interrupted"; exit 1' INT TERM HUP
	E2E_DIR=$(mktemp -d "${E2E_TMPDIR:-${TMPDIR:-/tmp}}/authmilter-e2e.XXXXXX") ||
	    e2e_die "mktemp failed"
	# pipe(8) runs the delivery command as nobody: it must reach mail/.
	chmod 755 "$E2E_DIR"
	mkdir -p "$E2E_DIR/queue" "$E2E_DIR/data" "$E2E_DIR/mail/tmp" \
	    "$E2E_DIR/mail/new" "$E2E_DIR/swaks"
	chown postfix "$E2E_DIR/data"
	chown -R nobody "$E2E_DIR/mail"
	cat > "$E2E_DIR/deliver" <<EOF
#!/bin/sh
# pipe(8) delivery: the message on stdin, unchanged, to mail/new/.
umask 022
f="\$(date +%s.%N).\$1.\$\$"
cat > "$E2E_DIR/mail/tmp/\$f" && mv "$E2E_DIR/mail/tmp/\$f" "$E2E_DIR/mail/new/\$f"
EOF
	chmod 755 "$E2E_DIR/deliver"
	e2e_make_tls "$E2E_DIR/tls" || e2e_die "openssl failed: $(tail -3 "$E2E_DIR/tls/openssl.log")"

	# A port found free can be taken by someone else before Postfix binds
	# it: try up to three sets of ports.
	local try
	for try in 1 2 3; do
		if ! { E2E_PORT_SMTP=$(e2e_free_port) && E2E_PORT_SUBMISSION=$(e2e_free_port) &&
		    E2E_PORT_SMTPS=$(e2e_free_port) && E2E_PORT_MILTER=$(e2e_free_port); }; then
			e2e_die "no free loopback ports"
		fi
		e2e_log "dir $E2E_DIR ports smtp=$E2E_PORT_SMTP submission=$E2E_PORT_SUBMISSION smtps=$E2E_PORT_SMTPS milter=$E2E_PORT_MILTER"
		e2e_postfix_write_config
		e2e_postfix_start && return 0
		e2e_postfix_stop
		grep -q 'Address already in use' "$E2E_DIR/maillog" 2>/dev/null || break
		e2e_diag "port clash, retrying with other ports"
		: > "$E2E_DIR/maillog"
	done
	e2e_die "could not start Postfix (see above)"
}

# --------------------------------------------------------------- authmilter

# e2e_start_milter [CONFIG_LINE...]: write $E2E_DIR/authmilter.conf and run
# the daemon in the foreground, its stderr in $E2E_DIR/authmilter.log.
# Defaults: Socket on the milter port, AuthservID $E2E_AUTHSERV_ID, no syslog,
# no DNSSEC trust anchor, InternalHosts that do not contain 127.0.0.1 (so
# plain test mail is inbound), Nameservers on a loopback port nobody listens
# on (a stray lookup fails at once and never leaves the host), Debug on. A
# given line replaces the default with the same key (authmilter rejects
# duplicate keys); other given lines are appended.
e2e_start_milter() {
	local conf=$E2E_DIR/authmilter.conf line key given=" "
	e2e_have_milter || { e2e_diag "no authmilter binary at $E2E_AUTHMILTER"; return 1; }
	[ -z "$E2E_MILTER_PID" ] || e2e_stop_milter
	E2E_PORT_DNS=${E2E_PORT_DNS:-$(e2e_free_port)}
	for line in "$@"; do
		key=${line%%[[:space:]]*}
		given="$given${key,,} "
	done
	{
		echo "# written by tests/e2e/lib.sh"
		while IFS= read -r line; do
			key=${line%%[[:space:]]*}
			case $given in *" ${key,,} "*) continue ;; esac
			printf '%s\n' "$line"
		done <<EOF
Socket inet:$E2E_PORT_MILTER@127.0.0.1
AuthservID $E2E_AUTHSERV_ID
InternalHosts 192.0.2.250/32
Nameservers 127.0.0.1@$E2E_PORT_DNS
DNSTimeout 2
TrustAnchorFile
PidFile $E2E_DIR/authmilter.pid
ReportStore $E2E_DIR/reports.db
StatsFile $E2E_DIR/stats
Syslog no
Debug yes
EOF
		for line in "$@"; do printf '%s\n' "$line"; done
	} > "$conf"
	"$E2E_AUTHMILTER" -f -c "$conf" >> "$E2E_DIR/authmilter.log" 2>&1 < /dev/null &
	E2E_MILTER_PID=$!
	E2E_PIDS="$E2E_PIDS $E2E_MILTER_PID"
	if ! e2e_wait_port "$E2E_PORT_MILTER" 10 "$E2E_MILTER_PID"; then
		e2e_diag "authmilter did not listen on 127.0.0.1:$E2E_PORT_MILTER; its log:"
		sed 's/^/#   /' "$E2E_DIR/authmilter.log" | tail -20
		e2e_stop_milter
		return 1
	fi
	e2e_log "authmilter pid $E2E_MILTER_PID"
}

# e2e_stop_milter: stop the daemon (libmilter can take ~4 s after SIGTERM).
e2e_stop_milter() {
	e2e_stop_pid "$E2E_MILTER_PID" authmilter 10
	E2E_MILTER_PID=
}

# --------------------------------------------------------------------- DKIM

# e2e_dkim_keys DIR DOMAIN: RSA-2048 and Ed25519 keys (DIR/rsa.key,
# DIR/ed.key, mode 0600); prints the TXT RRs for selectors rsa and ed.
e2e_dkim_keys() {
	local d=$1 dom=$2 rsa ed
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$d/rsa.key" 2>/dev/null &&
	    openssl genpkey -algorithm ED25519 -out "$d/ed.key" 2>/dev/null || return 1
	rsa=$(openssl pkey -in "$d/rsa.key" -pubout -outform DER 2>/dev/null | base64 -w0)
	ed=$(openssl pkey -in "$d/ed.key" -pubout -outform DER 2>/dev/null | tail -c 32 | base64 -w0)
	chmod 600 "$d/rsa.key" "$d/ed.key"
	printf 'rsa._domainkey.%s. 300 IN TXT "v=DKIM1; k=rsa; " "p=%s" "%s"\n' \
	    "$dom" "${rsa:0:200}" "${rsa:200}"
	printf 'ed._domainkey.%s. 300 IN TXT "v=DKIM1; k=ed25519; p=%s"\n' "$dom" "$ed"
}

# e2e_dkim_sign IN OUT KEYDIR DOMAIN: dkimpy adds an RSA and an Ed25519
# signature (selectors rsa, ed) for DOMAIN.
e2e_dkim_sign() {
	/usr/bin/python3 - "$1" "$2" "$3" "$4" <<'PYEOF'
import sys, dkim
src, dst, keys, dom = sys.argv[1:5]
msg = open(src, 'rb').read()
for sel, alg, key in ((b'rsa', b'rsa-sha256', 'rsa.key'), (b'ed', b'ed25519-sha256', 'ed.key')):
    pem = open(keys + '/' + key, 'rb').read()
    if alg == b'ed25519-sha256':
        # dkimpy wants the raw 32-byte seed, base64, for Ed25519
        import base64, subprocess
        der = subprocess.run(['openssl', 'pkey', '-in', keys + '/' + key, '-outform', 'DER'],
                             capture_output=True, check=True).stdout
        pem = base64.b64encode(der[-32:])
    sig = dkim.sign(msg, sel, dom.encode(), pem, signature_algorithm=alg,
                    include_headers=[b'From', b'To', b'Subject', b'Date'])
    msg = sig + msg
open(dst, 'wb').write(msg)
PYEOF
}

# e2e_dkim_verify FILE PORT: verify every DKIM-Signature of FILE with dkimpy,
# keys from the test resolver on 127.0.0.1:PORT; prints one
# "selector=result" line per signature.
e2e_dkim_verify() {
	/usr/bin/python3 - "$1" "$2" <<'PYEOF'
import sys, dkim, dns.resolver
path, port = sys.argv[1], int(sys.argv[2])
r = dns.resolver.Resolver(configure=False)
r.nameservers = ['127.0.0.1']
r.port = port
def txt(name, timeout=5):
    ans = r.resolve(name.decode().rstrip('.'), 'TXT')
    return b''.join(b''.join(rr.strings) for rr in ans)
msg = open(path, 'rb').read()
d = dkim.DKIM(msg)
sigs = [l for l in dkim.rfc822_parse(msg)[0] if l[0].lower() == b'dkim-signature']
for i in range(len(sigs)):
    ok = d.verify(idx=i, dnsfunc=txt)
    sel = dkim.parse_tag_value(sigs[i][1]).get(b's', b'?').decode()
    print('%s=%s' % (sel, 'pass' if ok else 'fail'))
PYEOF
}

# -------------------------------------------------------------------- swaks

# e2e_send MODE [SWAKS-ARGS...]: send one message with swaks.
#   MODE: plain (port-25 role), starttls (same port, --tls), smtps (implicit
#   TLS, --tls-on-connect), submission, submission-tls.
# Adds an X-E2E-Tag: header so e2e_last_message finds exactly this message.
# The transcript is kept in $E2E_TRANSCRIPT; returns swaks's exit code.
e2e_send() {
	local mode=$1 rc
	shift
	E2E_SEND_SEQ=$((E2E_SEND_SEQ + 1))
	E2E_TAG="e2e-$$-$E2E_SEND_SEQ"
	E2E_TRANSCRIPT=$E2E_DIR/swaks/$E2E_SEND_SEQ.$mode.log
	local -a a=(--server 127.0.0.1 --ehlo "$E2E_HELO" --from "$E2E_FROM"
	    --to "$E2E_RCPT" --timeout 30 --add-header "X-E2E-Tag: $E2E_TAG")
	case $mode in
	plain) a+=(--port "$E2E_PORT_SMTP") ;;
	starttls) a+=(--port "$E2E_PORT_SMTP" --tls) ;;
	smtps) a+=(--port "$E2E_PORT_SMTPS" --tls-on-connect) ;;
	submission) a+=(--port "$E2E_PORT_SUBMISSION") ;;
	submission-tls) a+=(--port "$E2E_PORT_SUBMISSION" --tls) ;;
	*) e2e_diag "e2e_send: unknown mode '$mode'"; return 2 ;;
	esac
	timeout 60 swaks "${a[@]}" "$@" > "$E2E_TRANSCRIPT" 2>&1 < /dev/null
	rc=$?
	e2e_log "swaks $mode rc=$rc transcript $E2E_TRANSCRIPT"
	return $rc
}

# e2e_transcript_has REGEX: the last swaks transcript matches (grep -E).
e2e_transcript_has() { grep -Eq -- "$1" "$E2E_TRANSCRIPT"; }

# e2e_find_message [TAG]: print the path of the delivered message carrying
# X-E2E-Tag: TAG (default: the last e2e_send's tag), if there is one yet.
e2e_find_message() {
	local tag=${1:-$E2E_TAG} f
	for f in "$E2E_DIR"/mail/new/*; do
		[ -f "$f" ] || continue
		if e2e_headers "$f" | grep -qx "X-E2E-Tag: $tag"; then
			echo "$f"
			return 0
		fi
	done
	return 1
}

# e2e_wait_message [SECONDS] [TAG]: wait (default 10 s) for the message of
# the last e2e_send (or the one tagged TAG) to be delivered. Sets
# E2E_LAST_FILE (its path) and E2E_MSG (its content, exactly as delivered);
# returns 1 and sets both empty when it did not arrive in time. Call it
# directly, not in $(...), or the variables stay in the subshell.
e2e_wait_message() {
	local secs=${1:-10} tag=${2:-$E2E_TAG} i=0 f
	E2E_LAST_FILE=
	E2E_MSG=
	while [ $i -le $((secs * 10)) ]; do
		if f=$(e2e_find_message "$tag"); then
			E2E_LAST_FILE=$f
			E2E_MSG=$(cat "$f")
			return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# e2e_last_message [SECONDS] [TAG]: e2e_wait_message, then print the message
# (full headers and body, as delivered).
e2e_last_message() {
	e2e_wait_message "$@" && printf '%s\n' "$E2E_MSG"
}

# e2e_headers [FILE]: the header block of a message (stdin if no FILE), CRs
# removed and folded headers unfolded onto one line each (RFC 5322 2.2.3:
# the line break goes, the white space that follows it stays).
e2e_headers() {
	sed 's/\r$//' "${1:-/dev/stdin}" | awk '
		/^$/ { exit }
		/^[ \t]/ { cur = cur $0; next }
		{ if (have) print cur; cur = $0; have = 1 }
		END { if (have) print cur }'
}

# e2e_count_ar_ours: number of A-R headers on stdin (a header block) whose
# authserv-id is ours, compared case-insensitively (RFC 8601 2.5).
e2e_count_ar_ours() {
	grep -Eic "^Authentication-Results:[[:space:]]*${E2E_AUTHSERV_ID//./\\.}[[:space:]]*;" || true
}

# e2e_maillog_has REGEX: Postfix's log (maillog_file) matches.
e2e_maillog_has() { grep -Eq -- "$1" "$E2E_DIR/maillog" 2>/dev/null; }

# ----------------------------------------------------------------- assertions

e2e__result() {
	local ok=$1 desc=$2
	E2E_TESTNUM=$((E2E_TESTNUM + 1))
	if [ "$ok" = 1 ]; then
		E2E_PASSED=$((E2E_PASSED + 1))
		echo "ok $E2E_TESTNUM - $desc"
	else
		E2E_FAILED=$((E2E_FAILED + 1))
		echo "not ok $E2E_TESTNUM - $desc"
	fi
}

# e2e_ok DESC CMD...: pass when CMD succeeds.
e2e_ok() {
	local desc=$1
	shift
	if "$@"; then e2e__result 1 "$desc"; return 0; fi
	e2e__result 0 "$desc"
	e2e_diag "  command failed: $*"
	return 1
}

# e2e_not DESC CMD...: pass when CMD fails.
e2e_not() {
	local desc=$1
	shift
	if ! "$@"; then e2e__result 1 "$desc"; return 0; fi
	e2e__result 0 "$desc"
	e2e_diag "  command unexpectedly succeeded: $*"
	return 1
}

# e2e_is GOT WANT DESC: string equality.
e2e_is() {
	if [ "$1" = "$2" ]; then e2e__result 1 "$3"; return 0; fi
	e2e__result 0 "$3"
	e2e_diag "  got:  '$1'"
	e2e_diag "  want: '$2'"
	return 1
}

# e2e_like GOT REGEX DESC / e2e_unlike GOT REGEX DESC: grep -E on GOT.
e2e_like() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then e2e__result 1 "$3"; return 0; fi
	e2e__result 0 "$3"
	e2e_diag "  got:  '$1'"
	e2e_diag "  want: match /$2/"
	return 1
}
e2e_unlike() {
	if ! printf '%s\n' "$1" | grep -Eq -- "$2"; then e2e__result 1 "$3"; return 0; fi
	e2e__result 0 "$3"
	e2e_diag "  got:  '$1'"
	e2e_diag "  want: no match for /$2/"
	return 1
}

# e2e_skip DESC REASON: a skipped check (counted apart, not a failure).
e2e_skip() {
	E2E_TESTNUM=$((E2E_TESTNUM + 1))
	E2E_SKIPPED=$((E2E_SKIPPED + 1))
	echo "ok $E2E_TESTNUM - $1 # SKIP $2"
}

# e2e_show_transcript / e2e_show_message: failure context, '#'-prefixed.
e2e_show_transcript() {
	e2e_diag "  swaks transcript ($E2E_TRANSCRIPT):"
	sed 's/^/#     /' "$E2E_TRANSCRIPT" 2>/dev/null | tail -n "${1:-25}"
}
e2e_show_file() {
	e2e_diag "  $1:"
	sed 's/^/#     /' "$1" 2>/dev/null | tail -n "${2:-25}"
}

# e2e_summary: print the plan and "N passed, M failed"; exit status 0/1.
e2e_summary() {
	echo "1..$E2E_TESTNUM"
	local s="$E2E_PASSED passed, $E2E_FAILED failed"
	[ "$E2E_SKIPPED" -gt 0 ] && s="$s, $E2E_SKIPPED skipped"
	echo "$s"
	[ "$E2E_FAILED" -eq 0 ]
}

# e2e_watchdog SECONDS: SIGTERM this script after SECONDS (its INT/TERM trap
# exits 1 and the EXIT trap tears down). The watchdog is stopped by teardown.
e2e_watchdog() {
	local secs=$1 me=$$
	(
		trap 'kill "$sp" 2>/dev/null; exit 0' TERM
		sleep "$secs" &
		sp=$!
		wait "$sp" || exit 0
		echo "# e2e watchdog: still running after ${secs}s, stopping" >&2
		kill -TERM "$me"
	) &
	E2E_PIDS="$E2E_PIDS $!"
}

# ------------------------------------------------------------------ teardown

# e2e_teardown: stop authmilter and Postfix, remove $E2E_DIR (unless
# E2E_KEEP=1). Idempotent; runs from the EXIT trap.
e2e_teardown() {
	local rc=$?
	[ "$E2E_TORN_DOWN" = 1 ] && return $rc
	E2E_TORN_DOWN=1
	trap - INT TERM HUP
	e2e_stop_milter
	[ -n "$E2E_DIR" ] && e2e_postfix_stop
	local p
	for p in $E2E_PIDS; do e2e_stop_pid "$p" "pid" 5; done
	if [ -n "$E2E_DIR" ] && [ -d "$E2E_DIR" ]; then
		if [ "${E2E_KEEP:-0}" = 1 ] || { [ "$E2E_FAILED" -gt 0 ] && [ "${E2E_KEEP:-0}" = onfail ]; }; then
			e2e_diag "kept $E2E_DIR (maillog, authmilter.log, swaks/, mail/new/)"
		else
			rm -rf "$E2E_DIR"
		fi
	fi
	return $rc
}
