#!/bin/bash
# tests/bench/run.sh - authmilter against OpenDKIM + OpenDMARC, same machine,
# same corpus, same DNS, one run. Root only (port 53 on a loopback address,
# a private mount namespace for OpenDMARC, a throwaway Postfix).
#
#   tests/bench/run.sh [-n MSGS] [-t SECS] [-c "1 4 16 64"] [-s "inet unix"]
#                      [-p "floor inbound sign e2e latency soak"] [-r RTT_MS]
#                      [-l LAT_MSGS] [-k]
#
#  -n  messages per measurement (default 2000), -t  cap in seconds per
#  measurement (default 8; the rate is then over the messages done), -c the
#  concurrency levels, -s socket kinds, -p parts to run (default: floor
#  inbound sign e2e latency; soak adds a 100 000-message memory run), -r
#  the DNS round trip of the latency part in ms (default 20), -l messages
#  of a latency run at c=1 (default 150; 4x that at c=16), -k keep the
#  work dir. The table ends with the issue-16 targets, each met or missed.
#
# What runs, all on loopback, every process recorded by pid and stopped by
# pid on exit:
#  - unbound serving the zone from mkcorpus.py on 127.53.N.1 port 53 (port 53
#    because OpenDMARC can only use /etc/resolv.conf, which has no port);
#  - authmilter (Nameservers 127.53.N.1), OpenDKIM (Nameservers 127.53.N.1,
#    libunbound) and OpenDMARC. OpenDMARC (libopendmarc: res_nquery; libspf2
#    for SPFSelfValidate) has no resolver option: it runs under
#    `unshare -m`, with a resolv.conf naming 127.53.N.1 bind-mounted over
#    /etc/resolv.conf in that private mount namespace only;
#  - tests/bench/loadgen, the milter-protocol client (as Postfix: no
#    TCP_NODELAY, no TCP_QUICKACK on its side);
#  - for part e2e: smtp-source -> a throwaway Postfix -> smtp-sink.
# Parts: floor: tests/bench/nullmilter, a libmilter milter that does no
# work, on the signing corpus: what the milter protocol and libmilter alone
# cost here (the table adds each signing row's CPU over it); (a) inbound:
# authmilter vs OpenDKIM(verify) then OpenDMARC chained, over inet also
# with -N (loadgen's TCP_NODELAY: no write waits for a milter's ACK, as if
# every milter acknowledged at once); (b) sign: authmilter vs OpenDKIM
# signing, RSA-2048 and Ed25519; (c) e2e; (d) latency: the inbound chain
# and authmilter behind a resolver one round trip away
# (tests/bench/dnsdelay holds every answer RTT ms; this kernel has no
# netem), on messages whose names are all unique (mkcorpus.py --latency:
# cold caches), then the same messages again (warm), at c=1 and c=16 over
# unix sockets.
# Columns: msgs/s, p50/p99 latency (ms), peak RSS (VmHWM, MB; the sum for a
# chain), CPU ms/msg (utime+stime of the milter process(es) over the run /
# messages), and authmilter/anchor ratios.
set -u
export LC_ALL=C

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${top_srcdir:=$(cd "$BENCH_DIR/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
LOADGEN=${LOADGEN:-$top_builddir/tests/bench/loadgen}
AUTHMILTER=${AUTHMILTER:-$top_builddir/milter/authmilter}
NULLMILTER=${NULLMILTER:-$top_builddir/tests/bench/nullmilter}
DNSDELAY=${DNSDELAY:-$top_builddir/tests/bench/dnsdelay}

MSGS=2000 SECS=8 CONCS="1 4 16 64" SOCKS="inet unix"
PARTS="floor inbound sign e2e latency"
KEEP=0 RTT=20 LATN=150 LAT_CONCS=${LAT_CONCS:-"1 16"} LAT_SECS=${LAT_SECS:-30}
while getopts n:t:c:s:p:r:l:k o; do
	case $o in
	n) MSGS=$OPTARG ;; t) SECS=$OPTARG ;; c) CONCS=$OPTARG ;;
	s) SOCKS=$OPTARG ;; p) PARTS=$OPTARG ;; r) RTT=$OPTARG ;;
	l) LATN=$OPTARG ;; k) KEEP=1 ;;
	*) echo "usage: $0 [-n MSGS] [-t SECS] [-c CONCS] [-s SOCKS] [-p PARTS] [-r RTT_MS] [-l LAT_MSGS] [-k]" >&2
	   exit 2 ;;
	esac
done

die() { echo "bench: $*" >&2; exit 1; }
say() { echo "# $*" >&2; }

[ "$(id -u)" = 0 ] || die "needs root (port 53 on loopback, unshare -m, Postfix)"
for f in "$LOADGEN" "$AUTHMILTER" "$NULLMILTER" "$DNSDELAY"; do
	[ -x "$f" ] || die "$f not built (run make in $top_builddir)"
done

# install_anchors - the Debian packages, without starting their services.
install_anchors() {
	local need=
	command -v opendkim >/dev/null || need="$need opendkim"
	command -v opendmarc >/dev/null || need="$need opendmarc"
	[ -z "$need" ] && return 0
	say "installing$need (services kept stopped by policy-rc.d)"
	local prc=/usr/sbin/policy-rc.d made=0
	if [ ! -e $prc ]; then
		printf '#!/bin/sh\nexit 101\n' > $prc && chmod 755 $prc && made=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	    --no-install-recommends $need >&2
	local rc=$?
	[ $made = 1 ] && rm -f $prc
	[ $rc = 0 ] || die "apt-get install$need failed"
}
install_anchors

# ------------------------------------------------------------ processes
PIDS=
WORK=$(mktemp -d /tmp/authmilter-bench.XXXXXX) || die "mktemp"
chmod 755 "$WORK"
RESULTS=$WORK/results

alive() { kill -0 "$1" 2>/dev/null; }
stop_pid() {
	local pid=$1 i=0
	alive "$pid" || { wait "$pid" 2>/dev/null; return 0; }
	kill -TERM "$pid" 2>/dev/null
	while alive "$pid" && [ $i -lt 50 ]; do
		wait "$pid" 2>/dev/null; sleep 0.1; i=$((i + 1))
	done
	alive "$pid" && kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}
cleanup() {
	local p
	[ -n "${POSTFIX_STOP:-}" ] && $POSTFIX_STOP
	for p in $PIDS; do stop_pid "$p"; done
	if [ "$KEEP" = 1 ]; then say "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
track() { PIDS="$1 $PIDS"; }

# wait_sock SPEC PID - until the milter socket accepts (10 s max).
wait_sock() {
	local spec=$1 pid=$2 i=0 port
	while [ $i -lt 100 ]; do
		alive "$pid" || return 1
		case $spec in
		inet:*) port=${spec#inet:}; port=${port%@*}
			(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0 ;;
		*) [ -S "${spec#*:}" ] && return 0 ;;
		esac
		sleep 0.1; i=$((i + 1))
	done
	return 1
}

PORTS_USED=" "
free_port() {
	local p i
	for i in $(seq 1 200); do
		p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		case $PORTS_USED in *" $p "*) continue ;; esac
		if [ -z "$(ss -Htan "sport = :$p" 2>/dev/null)" ]; then
			PORTS_USED="$PORTS_USED$p "; echo "$p"; return 0
		fi
	done
	return 1
}

# sockspec KIND NAME - inet:PORT@127.0.0.1 or unix:$WORK/NAME.sock
sockspec() {
	if [ "$1" = inet ]; then echo "inet:$(free_port)@127.0.0.1"
	else echo "unix:$WORK/$2.sock"; fi
}
# anchor_sock SPEC - the same in OpenDKIM/OpenDMARC syntax.
anchor_sock() { case $1 in unix:*) echo "local:${1#unix:}" ;; *) echo "$1" ;; esac; }

# ------------------------------------------------------------- corpus, DNS
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
say "work dir $WORK"
# lat_n C - messages of a latency run at concurrency C.
lat_n() { local k=$(( $1 / 4 )); [ $k -lt 1 ] && k=1; echo $((LATN * k)); }
LAT_TOTAL=0
case " $PARTS " in *" latency "*)
	for c in $LAT_CONCS; do LAT_TOTAL=$((LAT_TOTAL + 2 * $(lat_n "$c"))); done ;;
esac
/usr/bin/python3 "$BENCH_DIR/mkcorpus.py" "$WORK/corpus" \
    $([ $LAT_TOTAL -gt 0 ] && echo --latency $LAT_TOTAL) || die "mkcorpus.py failed"
CORPUS=$WORK/corpus

start_dns() {
	local try n rr
	mkdir -p "$WORK/dns"
	for try in 1 2 3 4 5; do
		n=$((RANDOM % 250 + 1))
		DNS_ADDR=127.53.$n.1
		[ -z "$(ss -Hanu "sport = :53" | grep -F "$DNS_ADDR:")" ] || continue
		{
			printf 'server:\n\tverbosity: 0\n\tnum-threads: 1\n'
			printf '\tusername: ""\n\tchroot: ""\n\tdirectory: "%s"\n' "$WORK/dns"
			printf '\tpidfile: ""\n\tlogfile: "%s/unbound.log"\n' "$WORK/dns"
			printf '\tuse-syslog: no\n\tdo-daemonize: no\n'
			printf '\tinterface: %s\n\tport: 53\n\tdo-ip6: no\n' "$DNS_ADDR"
			printf '\taccess-control: 127.0.0.0/8 allow\n'
			printf '\tmodule-config: "iterator"\n\tlocal-zone: "." static\n'
			printf '\tmsg-cache-size: 4m\n\trrset-cache-size: 4m\n'
			while IFS= read -r rr; do
				printf "\tlocal-data: '%s'\n" "$rr"
			done < "$CORPUS/zone.txt"
			printf 'remote-control:\n\tcontrol-enable: no\n'
		} > "$WORK/dns/unbound.conf"
		/usr/sbin/unbound -d -c "$WORK/dns/unbound.conf" </dev/null \
		    >"$WORK/dns/unbound.out" 2>&1 &
		DNS_PID=$!
		track $DNS_PID
		local i=0
		while [ $i -lt 50 ] && alive $DNS_PID; do
			if [ -n "$(ss -Hanu "sport = :53" | grep -F "$DNS_ADDR:")" ]; then
				printf 'nameserver %s\noptions attempts:1 timeout:2\n' \
				    "$DNS_ADDR" > "$WORK/resolv.conf"
				return 0
			fi
			sleep 0.1; i=$((i + 1))
		done
		stop_pid $DNS_PID
	done
	die "unbound did not start: $(tail -3 "$WORK/dns/unbound.out")"
}
start_dns
say "DNS: unbound pid $DNS_PID on $DNS_ADDR:53"
# The resolver the milters started next are given (the latency part
# points them at dnsdelay): an address for Nameservers, a resolv.conf.
NS=$DNS_ADDR
RESOLV=$WORK/resolv.conf

# ------------------------------------------------------------- milters
# Each start_* writes a config, starts the daemon in the foreground, waits
# for its socket and sets MPID. Logs: $WORK/NAME.log.

# start_authmilter NAME SPEC [CONFIG_LINE...]
start_authmilter() {
	local name=$1 spec=$2 l
	shift 2
	{
		echo "Socket $spec"
		echo "AuthservID mx.bench.example"
		echo "Nameservers $NS"
		echo "TrustAnchorFile"
		echo "Syslog no"
		echo "StatsFile"
		for l in "$@"; do echo "$l"; done
	} > "$WORK/$name.conf"
	(umask 0; exec "$AUTHMILTER" -f -c "$WORK/$name.conf") </dev/null \
	    >"$WORK/$name.log" 2>&1 &
	MPID=$!
	track $MPID
	wait_sock "$spec" $MPID || die "$name did not start: $(tail -3 "$WORK/$name.log")"
}

# start_nullmilter NAME SPEC - tests/bench/nullmilter (no configuration).
start_nullmilter() {
	(umask 0; exec "$NULLMILTER" "$2") </dev/null >"$WORK/$1.log" 2>&1 &
	MPID=$!
	track $MPID
	wait_sock "$2" $MPID || die "$1 did not start: $(tail -3 "$WORK/$1.log")"
}

# start_opendkim NAME SPEC [CONFIG_LINE...]
start_opendkim() {
	local name=$1 spec=$2 l
	shift 2
	{
		echo "Socket $(anchor_sock "$spec")"
		echo "PidFile $WORK/$name.pid"
		echo "AuthservID mx.bench.example"
		echo "Nameservers $NS"
		echo "Syslog no"
		echo "Canonicalization relaxed/relaxed"
		for l in "$@"; do echo "$l"; done
	} > "$WORK/$name.conf"
	opendkim -f -x "$WORK/$name.conf" </dev/null >"$WORK/$name.log" 2>&1 &
	MPID=$!
	track $MPID
	wait_sock "$spec" $MPID || die "$name did not start: $(tail -3 "$WORK/$name.log")"
}

# start_opendmarc NAME SPEC [CONFIG_LINE...] - in a private mount namespace
# whose /etc/resolv.conf names the benchmark DNS (this process only).
start_opendmarc() {
	local name=$1 spec=$2 l
	shift 2
	: > "$WORK/$name.hist"
	{
		echo "Socket $(anchor_sock "$spec")"
		echo "PidFile $WORK/$name.pid"
		echo "AuthservID mx.bench.example"
		echo "TrustedAuthservIDs mx.bench.example"
		echo "Syslog false"
		echo "HistoryFile $WORK/$name.hist"
		echo "PublicSuffixList /usr/share/publicsuffix/public_suffix_list.dat"
		echo "SPFSelfValidate true"
		echo "SPFIgnoreResults true"
		echo "RejectFailures true"
		echo "FailureReports false"
		echo "HoldQuarantinedMessages true"
		echo "UMask 000"
		for l in "$@"; do echo "$l"; done
	} > "$WORK/$name.conf"
	unshare -m sh -c 'mount --bind "$1" /etc/resolv.conf && exec opendmarc -f -c "$2"' \
	    sh "$RESOLV" "$WORK/$name.conf" </dev/null >"$WORK/$name.log" 2>&1 &
	MPID=$!
	track $MPID
	wait_sock "$spec" $MPID || die "$name did not start: $(tail -3 "$WORK/$name.log")"
}

# ------------------------------------------------------------ measuring
TICK=$(getconf CLK_TCK)
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }

# measure PIDS -- LOADGEN_ARGS: prints "rate p50 p99 rss_mb cpu_ms_per_msg"
# (RSS and CPU summed over PIDS, the milter processes).
measure() {
	local pids= p t0=0 t1=0 rss=0 out msgs
	while [ "$1" != -- ]; do pids="$pids $1"; shift; done
	shift
	for p in $pids; do t0=$((t0 + $(cpu_ticks "$p"))); done
	out=$("$LOADGEN" -n "$MSGS" -t "$SECS" "$@" 2>"$WORK/loadgen.err")
	echo "$out" >> "$WORK/loadgen.log"
	for p in $pids; do
		alive "$p" || { echo "- - - - -"; return; }
		t1=$((t1 + $(cpu_ticks "$p")))
		rss=$((rss + $(hwm_kb "$p")))
	done
	msgs=$(echo "$out" | sed -n 's/.* msgs=\([0-9]*\) .*/\1/p' | head -1)
	echo "$out" | awk -v t=$((t1 - t0)) -v hz="$TICK" -v rss="$rss" -v n="${msgs:-0}" '
	    /rate=/ { for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }
	    /error=/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] != "accept" && kv[1] != "continue" && kv[2] > 0) bad = bad " " $i } }
	    END { printf "%s %s %s %.1f %.3f%s\n", v["rate"], v["p50_ms"], v["p99_ms"],
		rss / 1024, (n > 0 ? t * 1000 / hz / n : 0), bad }'
}

# row LABEL AM_RESULT ANCHOR_RESULT - one table row into $RESULTS.
row() {
	echo "$1|$2|$3" >> "$RESULTS"
	say "$1: authmilter $2 | anchor $3"
}

warm() { "$LOADGEN" -n 50 -c 2 "$@" >/dev/null 2>&1; }

# ---------------------------------------------------------------- parts
# (a) inbound: authmilter vs OpenDKIM (verify) -> OpenDMARC, chained per
# message as Postfix does with two smtpd_milters. TLS macros on (-T).
part_inbound() {
	local kind c am od dm ampid odpid dmpid a b
	for kind in $SOCKS; do
		am=$(sockspec "$kind" am-in)
		start_authmilter "am-in-$kind" "$am" \
		    "InternalHosts 10.255.255.0/24" "ReportStore $WORK/reports-$kind.db"
		ampid=$MPID
		od=$(sockspec "$kind" odkim-in)
		start_opendkim "odkim-in-$kind" "$od" "Mode v" "AlwaysAddARHeader yes"
		odpid=$MPID
		dm=$(sockspec "$kind" odmarc-in)
		start_opendmarc "odmarc-in-$kind" "$dm"
		dmpid=$MPID
		warm -s "$am" -T "$CORPUS/inbound"
		warm -s "$od" -s "$dm" -T "$CORPUS/inbound"
		for c in $CONCS; do
			a=$(measure $ampid -- -s "$am" -c "$c" -T "$CORPUS/inbound")
			b=$(measure $odpid $dmpid -- -s "$od" -s "$dm" -c "$c" -T "$CORPUS/inbound")
			row "inbound $kind c=$c" "$a" "$b"
			[ "$kind" = inet ] || continue
			# the same with immediate ACKs (loadgen -N)
			a=$(measure $ampid -- -s "$am" -c "$c" -N -T "$CORPUS/inbound")
			b=$(measure $odpid $dmpid -- -s "$od" -s "$dm" -c "$c" -N -T "$CORPUS/inbound")
			row "inbound inet-N c=$c" "$a" "$b"
		done
		"$LOADGEN" -n 1 -d 0 -s "$am" -T "$CORPUS/inbound" > "$WORK/dump-am-in-$kind.txt" 2>&1
		"$LOADGEN" -n 1 -d 0 -s "$od" -s "$dm" -T "$CORPUS/inbound" > "$WORK/dump-anchor-in-$kind.txt" 2>&1
		stop_pid $ampid; stop_pid $odpid; stop_pid $dmpid
	done
}

# floor: the null milter on the signing corpus, every socket kind and
# concurrency, measured exactly like the rows it is compared with.
part_floor() {
	local kind c spec pid a
	for kind in $SOCKS; do
		spec=$(sockspec "$kind" null)
		start_nullmilter "null-$kind" "$spec"
		pid=$MPID
		warm -s "$spec" "$CORPUS/outbound"
		for c in $CONCS; do
			a=$(measure $pid -- -s "$spec" -c "$c" "$CORPUS/outbound")
			row "floor $kind c=$c" "$a" "- - - - -"
		done
		stop_pid $pid
	done
}

# (b) signing, one key per daemon: authmilter vs OpenDKIM (Mode s). The
# outbound corpus comes from 127.0.0.1 with {auth_authen} set.
part_sign() {
	local alg kind c am od ampid odpid a b key sel oalg
	# one signature's cost here (the target adds 0.15 ms to it)
	openssl speed -seconds 2 rsa2048 ed25519 2>/dev/null |
	    awk '/^rsa 2048 bits/ { printf "rsa %.4f\n", 1000 / $6 }
		/EdDSA \(Ed25519\)/ { printf "ed25519 %.4f\n", 1000 / $(NF - 1) }' \
	    > "$WORK/sign_ms"
	say "openssl sign ms: $(tr '\n' ' ' < "$WORK/sign_ms")"
	for alg in rsa ed25519; do
		case $alg in
		rsa) key=$CORPUS/keys/out-rsa.pem sel=srsa oalg=rsa-sha256 ;;
		*) key=$CORPUS/keys/out-ed.pem sel=sed oalg=ed25519-sha256 ;;
		esac
		for kind in $SOCKS; do
			am=$(sockspec "$kind" "am-sign-$alg")
			start_authmilter "am-sign-$alg-$kind" "$am" \
			    "Domain sign.bench.example" "Selector $sel" "KeyFile $key" \
			    "ReportStore"
			ampid=$MPID
			od=$(sockspec "$kind" "odkim-sign-$alg")
			start_opendkim "odkim-sign-$alg-$kind" "$od" "Mode s" \
			    "Domain sign.bench.example" "Selector $sel" "KeyFile $key" \
			    "SignatureAlgorithm $oalg" "InternalHosts 127.0.0.1" \
			    "OversignHeaders From" "RequireSafeKeys false"
			odpid=$MPID
			warm -s "$am" "$CORPUS/outbound"
			warm -s "$od" "$CORPUS/outbound"
			for c in $CONCS; do
				a=$(measure $ampid -- -s "$am" -c "$c" "$CORPUS/outbound")
				b=$(measure $odpid -- -s "$od" -c "$c" "$CORPUS/outbound")
				row "sign $alg $kind c=$c" "$a" "$b"
			done
			"$LOADGEN" -n 1 -d 0 -s "$am" "$CORPUS/outbound" > "$WORK/dump-am-sign-$alg-$kind.txt" 2>&1
			"$LOADGEN" -n 1 -d 0 -s "$od" "$CORPUS/outbound" > "$WORK/dump-odkim-sign-$alg-$kind.txt" 2>&1
			stop_pid $ampid; stop_pid $odpid
		done
	done
}

# (c) end to end: smtp-source -> Postfix (smtpd_milters) -> smtp-sink, with
# authmilter, with the OpenDKIM -> OpenDMARC chain, with nullmilter (the
# libmilter floor: null-vs-none) and with no milter. The
# rate is messages accepted by Postfix per second as smtp-source sees it
# (each SMTP session sends one message, then reconnects); the queue is
# drained to smtp-sink before the next run. No latency percentiles here.
PF=
pf_write() {
	local milters=$1
	mkdir -p "$PF/etc" "$PF/queue" "$PF/data"
	chown postfix "$PF/data"
	cat > "$PF/etc/main.cf" <<EOC
compatibility_level = 3.6
queue_directory = $PF/queue
data_directory = $PF/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.bench.example
mydomain = bench.example
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relayhost = [127.0.0.1]:$SINK_PORT
smtp_dns_support_level = disabled
smtpd_peername_lookup = no
smtp_host_lookup = native
smtpd_relay_restrictions = permit_mynetworks, reject
smtpd_recipient_restrictions =
smtpd_client_connection_count_limit = 0
local_recipient_maps =
alias_maps =
biff = no
notify_classes =
maillog_file = $PF/maillog
maillog_file_prefixes = $PF
smtpd_milters = $milters
milter_default_action = tempfail
milter_protocol = 6
EOC
	cat > "$PF/etc/master.cf" <<EOC
127.0.0.1:$SMTP_PORT inet n - n - - smtpd
pickup unix n - n 60 1 pickup
cleanup unix n - n - 0 cleanup
qmgr unix n - n 300 1 qmgr
rewrite unix - - n - - trivial-rewrite
bounce unix - - n - 0 bounce
defer unix - - n - 0 bounce
trace unix - - n - 0 bounce
verify unix - - n - 1 verify
flush unix n - n 1000? 0 flush
proxymap unix - - n - - proxymap
smtp unix - - n - - smtp
relay unix - - n - - smtp
showq unix n - n - - showq
error unix - - n - - error
retry unix - - n - - error
discard unix - - n - - discard
anvil unix - - n - 1 anvil
scache unix - - n - 1 scache
postlog unix-dgram n - n - 1 postlogd
EOC
	touch -d '-1 minute' "$PF/etc/main.cf" "$PF/etc/master.cf"
}

pf_stop() {
	local pid
	pid=$(awk '{ print $1; exit }' "$PF/queue/pid/master.pid" 2>/dev/null)
	[ -n "$pid" ] || return 0
	postfix -c "$PF/etc" stop >/dev/null 2>&1
	stop_pid "$pid"
	kill -0 -- "-$pid" 2>/dev/null && kill -KILL -- "-$pid" 2>/dev/null
	rm -f "$PF/queue/pid/master.pid"
}

# pf_start MILTERS - (re)start the instance with these smtpd_milters.
pf_start() {
	pf_stop
	pf_write "$1"
	postfix -c "$PF/etc" start >>"$PF/ctl.log" 2>&1 || die "postfix start failed: $(tail -3 "$PF/maillog" 2>/dev/null)"
	local i=0
	while [ $i -lt 100 ]; do
		(exec 3<>"/dev/tcp/127.0.0.1/$SMTP_PORT") 2>/dev/null && return 0
		sleep 0.1; i=$((i + 1))
	done
	die "postfix did not listen on $SMTP_PORT"
}

pf_drain() {
	local i=0
	while [ $i -lt 600 ]; do
		[ -z "$(find "$PF/queue/incoming" "$PF/queue/active" "$PF/queue/maildrop" -type f 2>/dev/null | head -1)" ] && return 0
		sleep 0.1; i=$((i + 1))
	done
	say "queue not drained after 60 s"
}

# e2e_run PIDS -- SESSIONS: "rate - - rss cpu" for one smtp-source run.
e2e_run() {
	local pids= p t0=0 t1=0 rss=0 n s0 s1 c rej0 rej
	while [ "$1" != -- ]; do pids="$pids $1"; shift; done
	c=$2
	n=$((200 * c)); [ $n -gt "$MSGS" ] && n=$MSGS
	smtp-source -s "$c" -m 4 -c -f bounce@rsa.bench.example -t bob@mx.example \
	    -F "$CORPUS/inbound/01-rsa.eml" "127.0.0.1:$SMTP_PORT" >/dev/null 2>&1
	pf_drain
	for p in $pids; do t0=$((t0 + $(cpu_ticks "$p"))); done
	rej0=$(grep -c NOQUEUE "$PF/maillog" 2>/dev/null)
	s0=$(date +%s.%N)
	smtp-source -s "$c" -m "$n" -f bounce@rsa.bench.example -t bob@mx.example \
	    -F "$CORPUS/inbound/01-rsa.eml" "127.0.0.1:$SMTP_PORT" \
	    >"$WORK/smtp-source.out" 2>&1
	s1=$(date +%s.%N)
	for p in $pids; do
		t1=$((t1 + $(cpu_ticks "$p")))
		rss=$((rss + $(hwm_kb "$p")))
	done
	pf_drain
	# smtp-source does not print 4xx/5xx replies: Postfix's log does
	rej=$(($(grep -c NOQUEUE "$PF/maillog" 2>/dev/null) - rej0))
	awk -v n=$n -v s0=$s0 -v s1=$s1 -v t=$((t1 - t0)) -v hz="$TICK" -v rss=$rss \
	    -v err="$(grep -c . "$WORK/smtp-source.out")" -v rej=$rej 'BEGIN {
		printf "%.1f - - %s %s%s%s\n", n / (s1 - s0), rss ? sprintf("%.1f", rss / 1024) : "-",
		    rss ? sprintf("%.3f", t * 1000 / hz / n) : "-", (err > 0 ? " smtp-source-errors=" err : ""),
		    (rej > 0 ? " refused=" rej : "") }'
}

part_e2e() {
	local kind c am od dm nm ampid odpid dmpid nmpid a b f z z2 pam pod pdm pnm
	command -v smtp-source >/dev/null || { say "no smtp-source: e2e skipped"; return; }
	PF=$WORK/postfix
	SMTP_PORT=$(free_port); SINK_PORT=$(free_port)
	smtp-sink -u postfix "127.0.0.1:$SINK_PORT" 256 </dev/null >/dev/null 2>&1 &
	track $!
	POSTFIX_STOP=pf_stop
	echo "10.255.255.0/24" > "$WORK/internal.hosts"
	for kind in $SOCKS; do
		am=$(sockspec "$kind" am-e2e)
		start_authmilter "am-e2e-$kind" "$am" "InternalHosts 10.255.255.0/24" \
		    "ReportStore $WORK/reports-e2e-$kind.db"
		ampid=$MPID
		od=$(sockspec "$kind" odkim-e2e)
		start_opendkim "odkim-e2e-$kind" "$od" "Mode v" "UMask 000" \
		    "InternalHosts $WORK/internal.hosts"
		odpid=$MPID
		dm=$(sockspec "$kind" odmarc-e2e)
		start_opendmarc "odmarc-e2e-$kind" "$dm" "IgnoreHosts $WORK/internal.hosts"
		dmpid=$MPID
		nm=$(sockspec "$kind" null-e2e)
		start_nullmilter "null-e2e-$kind" "$nm"
		nmpid=$MPID
		pam=$(pf_milter "$am"); pod=$(pf_milter "$od"); pdm=$(pf_milter "$dm")
		pnm=$(pf_milter "$nm")
		for c in $CONCS; do
			# no milter before and after the others: their mean is
			# the reference (Postfix alone varies from run to run)
			pf_start ""
			z=$(e2e_run -- "$c")
			pf_start "$pam"
			a=$(e2e_run $ampid -- "$c")
			pf_start "$pod, $pdm"
			b=$(e2e_run $odpid $dmpid -- "$c")
			pf_start "$pnm"
			f=$(e2e_run $nmpid -- "$c")
			pf_start ""
			z2=$(e2e_run -- "$c")
			z=$(awk -v x="${z%% *}" -v y="${z2%% *}" 'BEGIN { printf "%.1f", (x + y) / 2 }')
			a="$a none=$z vs-none=$(awk -v x="${a%% *}" -v y="$z" 'BEGIN { printf "%.2f", x / y }')"
			a="$a null-vs-none=$(awk -v x="${f%% *}" -v y="$z" 'BEGIN { printf "%.2f", x / y }')"
			case $f in *refused=*) a="$a null-refused=${f##*refused=}" ;; esac
			b="$b vs-none=$(awk -v x="${b%% *}" -v y="$z" 'BEGIN { printf "%.2f", x / y }')"
			row "e2e $kind c=$c" "$a" "$b"
		done
		stop_pid $ampid; stop_pid $odpid; stop_pid $dmpid; stop_pid $nmpid
	done
	pf_stop
}

# pf_milter SPEC - Postfix's spelling of a milter socket.
pf_milter() {
	case $1 in
	inet:*) local p=${1#inet:}; echo "inet:127.0.0.1:${p%@*}" ;;
	*) echo "$1" ;;
	esac
}

# (d) latency: every DNS answer RTT ms late (dnsdelay in front of the
# benchmark unbound, on 127.53.N.2:53 for OpenDMARC's resolv.conf), unix
# sockets. Each run takes messages whose names no earlier run used (loadgen
# -o): cold caches for authmilter's and OpenDKIM's libunbound (OpenDMARC
# has none); then the messages the cold run did, again: warm.
start_dnsdelay() {
	local i=0
	LAT_ADDR=${DNS_ADDR%.1}.2
	"$DNSDELAY" "$LAT_ADDR" 53 "$DNS_ADDR" 53 "$RTT" </dev/null \
	    >"$WORK/dnsdelay.log" 2>&1 &
	DELAY_PID=$!
	track $DELAY_PID
	while [ $i -lt 50 ] && alive $DELAY_PID; do
		[ -n "$(ss -Hanu "sport = :53" | grep -F "$LAT_ADDR:")" ] && break
		sleep 0.1; i=$((i + 1))
	done
	alive $DELAY_PID || die "dnsdelay did not start: $(cat "$WORK/dnsdelay.log")"
	printf 'nameserver %s\noptions attempts:1 timeout:2\n' "$LAT_ADDR" \
	    > "$WORK/resolv-lat.conf"
}

# done_msgs - messages the last measurement finished.
done_msgs() { tail -2 "$WORK/loadgen.log" | sed -n 's/.* msgs=\([0-9]*\) .*/\1/p'; }

part_latency() {
	local c n am od dm ampid odpid dmpid a b na nb off=0
	[ "$LAT_TOTAL" -gt 0 ] || return 0
	start_dnsdelay
	NS=$LAT_ADDR RESOLV=$WORK/resolv-lat.conf
	am=$(sockspec unix am-lat)
	start_authmilter am-lat "$am" "InternalHosts 10.255.255.0/24" \
	    "ReportStore $WORK/reports-lat.db"
	ampid=$MPID
	od=$(sockspec unix odkim-lat)
	start_opendkim odkim-lat "$od" "Mode v" "AlwaysAddARHeader yes"
	odpid=$MPID
	dm=$(sockspec unix odmarc-lat)
	start_opendmarc odmarc-lat "$dm"
	dmpid=$MPID
	NS=$DNS_ADDR RESOLV=$WORK/resolv.conf
	for c in $LAT_CONCS; do
		n=$(lat_n "$c")
		a=$(measure $ampid -- -s "$am" -c "$c" -n "$n" -o $off \
		    -t "$LAT_SECS" -T "$CORPUS/latency")
		na=$(done_msgs)
		b=$(measure $odpid $dmpid -- -s "$od" -s "$dm" -c "$c" -n "$n" \
		    -o $((off + n)) -t "$LAT_SECS" -T "$CORPUS/latency")
		nb=$(done_msgs)
		row "latency rtt=$RTT cold c=$c" "$a" "$b"
		a=$(measure $ampid -- -s "$am" -c "$c" -n "${na:-1}" -o $off \
		    -t "$LAT_SECS" -T "$CORPUS/latency")
		b=$(measure $odpid $dmpid -- -s "$od" -s "$dm" -c "$c" \
		    -n "${nb:-1}" -o $((off + n)) -t "$LAT_SECS" -T "$CORPUS/latency")
		row "latency rtt=$RTT warm c=$c" "$a" "$b"
		off=$((off + 2 * n))
	done
	"$LOADGEN" -n 1 -d 0 -s "$am" -T -o $((LAT_TOTAL - 1)) "$CORPUS/latency" \
	    > "$WORK/dump-am-lat.txt" 2>&1
	stop_pid $ampid; stop_pid $odpid; stop_pid $dmpid; stop_pid $DELAY_PID
	say "dnsdelay: $(cat "$WORK/dnsdelay.log")"
}

# soak: 100 000 inbound messages at concurrency 64 over a unix socket, the
# resident set printed every 10 000 (growth would be a leak). Not in the
# default parts.
part_soak() {
	local am pid i rate
	am=$(sockspec unix am-soak)
	start_authmilter am-soak "$am" "InternalHosts 10.255.255.0/24" \
	    "ReportStore $WORK/reports-soak.db"
	pid=$MPID
	for i in 1 2 3 4 5 6 7 8 9 10; do
		rate=$("$LOADGEN" -n 10000 -c 64 -t 600 -T -s "$am" "$CORPUS/inbound" |
		    sed -n 's/.* rate=\([0-9.]*\) .*/\1/p')
		alive $pid || die "authmilter died during the soak run"
		printf 'soak %6d msgs: %s msg/s VmRSS %s kB VmHWM %s kB\n' $((i * 10000)) \
		    "$rate" "$(awk '/^VmRSS:/ { print $2 }' /proc/$pid/status)" \
		    "$(hwm_kb $pid)" | tee -a "$WORK/soak.txt" >&2
	done
	stop_pid $pid
}

# ---------------------------------------------------------------- table
print_table() {
	awk -F'|' '
	function r(x, y) { return (x + 0 > 0 && y + 0 > 0) ? sprintf("%.2f", x / y) : "-" }
	NR == FNR { if ($1 ~ /^floor /) { split($2, f, " "); floor[substr($1, 7)] = f[5] }; next }
	FNR == 1 {
		printf "%-24s | %-38s | %-38s | %-13s\n", "", "authmilter", "anchor (OpenDKIM[+OpenDMARC])", "ratio am/anchor"
		printf "%-24s | %8s %7s %7s %6s %7s | %8s %7s %7s %6s %7s | %6s %6s\n", "row",
		    "msg/s", "p50ms", "p99ms", "RSSMB", "CPUms", "msg/s", "p50ms", "p99ms", "RSSMB", "CPUms", "msg/s", "CPU"
	}
	{
		split($2, a, " "); split($3, b, " ")
		printf "%-24s | %8s %7s %7s %6s %7s | %8s %7s %7s %6s %7s | %6s %6s", $1,
		    a[1], a[2], a[3], a[4], a[5], b[1], b[2], b[3], b[4], b[5], r(a[1], b[1]), r(a[5], b[5])
		extra = ""
		for (i = 6; i in a; i++) extra = extra " am:" a[i]
		for (i = 6; i in b; i++) extra = extra " anchor:" b[i]
		if ($1 ~ /^sign /) {
			k = $1; sub(/^sign [a-z0-9]+ /, "", k)
			if (k in floor && a[5] != "-")
				extra = extra sprintf(" am:over-floor=%.3f", a[5] - floor[k])
		}
		print extra
	}' "$RESULTS" "$RESULTS"
}

# print_targets - the issue-16 targets, from the table's rows: each met,
# missed, or not measured (its part was not run).
print_targets() {
	echo "# targets (issue 16)"
	awk -F'|' -v rtt="$RTT" -v signf="$WORK/sign_ms" -v soakf="$WORK/soak.txt" '
	function r(x, y) { return (x + 0 > 0 && y + 0 > 0) ? x / y : -1 }
	function say(name, ok, text) {
		printf "%-58s %-6s %s\n", name, ok == "" ? "-" : (ok ? "met" : "MISSED"), text
	}
	function ex(s, key,   n, i, f, kv) {	# extra key=value of a row part
		n = split(s, f, " ")
		for (i = 6; i <= n; i++) { split(f[i], kv, "="); if (kv[1] == key) return kv[2] }
		return ""
	}
	BEGIN {
		while ((getline l < signf) > 0) { split(l, f, " "); sign[f[1]] = f[2] }
		first = last = 0
		while ((getline l < soakf) > 0) {
			split(l, f, " "); for (i = 1; i <= NF; i++) ;
			if (match(l, /VmRSS [0-9]+/)) { v = substr(l, RSTART + 6, RLENGTH - 6); if (!first) first = v; last = v }
		}
	}
	{ split($2, a, " "); split($3, b, " "); rows[$1] = 1; am[$1] = $2; an[$1] = $3 }
	$1 ~ /^floor / { split($2, f, " "); floor[substr($1, 7)] = f[5] }
	END {
		# inbound throughput against the chain at c=16
		x = r(split1(am["inbound unix c=16"]), split1(an["inbound unix c=16"]))
		y = r(split1(am["inbound inet-N c=16"]), split1(an["inbound inet-N c=16"]))
		m = (x < 0) ? y : (y < 0 ? x : (x < y ? x : y))
		say("inbound >= 3x chain at c=16, immediate ACKs (unix, inet -N)",
		    m < 0 ? "" : m >= 3, m < 0 ? "" : sprintf("unix %.2fx, inet -N %.2fx", x, y))
		x = r(split1(am["inbound inet c=16"]), split1(an["inbound inet c=16"]))
		say("inbound >= 10x chain at c=16, MTA ACKs (inet)", x < 0 ? "" : x >= 10,
		    x < 0 ? "" : sprintf("%.2fx", x))
		# signing CPU over the floor
		worst = ""; ok = ""; txt = ""
		for (k in rows) if (k ~ /^sign /) {
			split(k, w, " "); key = w[3] " " w[4]; alg = w[2]
			if (!(key in floor) || !(alg in sign)) continue
			split(am[k], f, " "); over = f[5] - floor[key]; lim = sign[alg] + 0.15
			if (ok == "") ok = 1
			if (over > lim) { ok = 0; txt = txt sprintf(" %s %.3f>%.3f", k, over, lim) }
			else if (worst == "" || lim - over < wm) { wm = lim - over; worst = sprintf("closest: %s %.3f <= %.3f", k, over, lim) }
		}
		say("signing CPU <= floor + one signature + 0.15 ms", ok, ok == "" ? "" : (ok ? worst : "over:" txt))
		# Postfix end to end
		for (kind = 0; kind < 2; kind++) {
			sk = kind ? "inet" : "unix"; lim = kind ? 0.8 : 0.9; ok = ""; mn = ""
			for (k in rows) if (k ~ ("^e2e " sk " ")) {
				v = ex(am[k], "vs-none") + 0
				if (ok == "") ok = 1
				if (mn == "" || v < mn) { mn = v; mk = k }
				if (v < lim) ok = 0
			}
			say(sprintf("Postfix e2e >= %.1f of no milter (%s)", lim, sk), ok,
			    ok == "" ? "" : sprintf("lowest %.2f (%s)", mn, mk))
		}
		# memory
		ok = ""; mx = 0
		for (k in rows) if (k ~ / c=64$/ && k !~ /^e2e /) {
			split(am[k], f, " "); if (f[4] == "-") continue
			if (ok == "") ok = 1
			if (f[4] + 0 > mx) { mx = f[4] + 0; mk = k }
			if (f[4] + 0 > 30) ok = 0
		}
		say("RSS <= 30 MB at 64 connections", ok, ok == "" ? "" : sprintf("highest %.1f MB (%s)", mx, mk))
		say("RSS flat over 100 000 messages (soak)", first ? (last <= first * 1.05) : "",
		    first ? sprintf("VmRSS %d kB after 10 000, %d kB at the end", first, last) : "")
		# latency under a DNS round trip
		for (c = 1; c <= 64; c *= 4) {
			ck = "latency rtt=" rtt " cold c=" c; wk = "latency rtt=" rtt " warm c=" c
			if (!(ck in rows)) continue
			split(am[ck], f, " "); split(am[wk], g, " ")
			d = f[2] - g[2]
			say(sprintf("cold p50 <= warm p50 + 2 round trips (c=%d)", c), d <= 2 * rtt,
			    sprintf("%.1f ms over warm = %.2f round trips of %d ms", d, d / rtt, rtt))
		}
	}
	function split1(s,   f) { split(s, f, " "); return f[1] }
	' "$RESULTS"
}

: > "$RESULTS"
for part in $PARTS; do
	case $part in
	floor) part_floor ;;
	inbound) part_inbound ;;
	sign) part_sign ;;
	e2e) part_e2e ;;
	latency) part_latency ;;
	soak) part_soak ;;
	*) die "unknown part $part" ;;
	esac
done
echo "# $(nproc) CPUs; load average (1/5/15 min) at start $LOAD0, at end $(cut -d' ' -f1-3 /proc/loadavg); MSGS=$MSGS SECS=$SECS"
print_table
[ -s "$WORK/soak.txt" ] && cat "$WORK/soak.txt"
print_targets
exit 0
