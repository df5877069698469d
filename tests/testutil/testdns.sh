# testdns.sh - a real unbound daemon on loopback for shell end-to-end tests.
# POSIX sh; source it, do not run it. The shell twin of tests/testdns.c.
#
#   . "$top_srcdir/tests/testdns.sh"
#   port=$(testdns_start "$dir" 'a.example. 300 IN A 192.0.2.1' \
#       'sel._domainkey.example. 300 IN TXT "v=DKIM1; k=ed25519; p=..."' \
#       'local-zone: "bad.example." refuse') || exit 1
#   ... point the resolver at 127.0.0.1@$port ...
#   testdns_stop "$dir"
#
# testdns_start DIR RR...  writes DIR/unbound.conf, starts /usr/sbin/unbound
#     ($AM_UNBOUND overrides) in the foreground on 127.0.0.1, UDP and TCP, on
#     a random free port (retried if taken), waits until it serves, prints the
#     port and writes it to DIR/port. Each RR is unbound local-data text, or a
#     whole "local-zone: ..." line. The root zone is local and static: names
#     the test did not define are NXDOMAIN, nothing is ever sent off the host
#     (the only forwarder is the loopback discard port). No chroot, no user
#     switch, no remote control. Log: DIR/unbound.log. A watchdog kills the
#     daemon when the shell that sourced this file exits.
# testdns_stop DIR  SIGTERM (SIGKILL after 5 s) and waits until it is gone.

# _testdns_conf DIR PORT RR... - the configuration on stdout.
_testdns_conf() {
	_tdc_dir=$1
	_tdc_port=$2
	shift 2
	cat <<EOF
server:
	verbosity: 1
	num-threads: 1
	username: ""
	chroot: ""
	directory: "$_tdc_dir"
	pidfile: "$_tdc_dir/unbound.pid"
	logfile: "$_tdc_dir/unbound.log"
	use-syslog: no
	do-daemonize: no
	interface: 127.0.0.1
	port: $_tdc_port
	do-ip6: no
	so-reuseport: no
	access-control: 127.0.0.0/8 allow
	module-config: "iterator"
	do-not-query-localhost: no
	local-zone: "." static
EOF
	for _tdc_rr in "$@"; do
		case $_tdc_rr in
		*'
'*)
			echo "testdns: newline in \"$_tdc_rr\"" >&2
			return 1 ;;
		local-zone:*)
			printf '\t%s\n' "$_tdc_rr" ;;
		*\"*\'* | *\'*\"*)
			echo "testdns: cannot quote $_tdc_rr" >&2
			return 1 ;;
		*\"*)
			printf "\tlocal-data: '%s'\n" "$_tdc_rr" ;;
		*)
			printf '\tlocal-data: "%s"\n' "$_tdc_rr" ;;
		esac
	done
	printf 'remote-control:\n\tcontrol-enable: no\n'
	printf 'forward-zone:\n\tname: "."\n\tforward-addr: 127.0.0.1@9\n'
}

# _testdns_alive PID - true while PID runs (a zombie counts as gone).
_testdns_alive() {
	kill -0 "$1" 2>/dev/null || return 1
	case $(cut -d')' -f2 "/proc/$1/stat" 2>/dev/null) in
	' Z'* | ' X'*) return 1 ;;
	esac
	return 0
}

# _testdns_ready DIR PID - wait up to 10 s for "start of service" in the
# log (logged after the ports are bound); false if the daemon died first.
_testdns_ready() {
	_tdr_n=0
	while [ "$_tdr_n" -lt 100 ]; do
		grep -q 'start of service' "$1/unbound.log" 2>/dev/null &&
		    return 0
		_testdns_alive "$2" || return 1
		sleep 0.1
		_tdr_n=$((_tdr_n + 1))
	done
	return 1
}

# testdns_start DIR RR... - start the daemon, print its port.
testdns_start() {
	_tds_dir=$1
	shift
	_tds_bin=${AM_UNBOUND:-/usr/sbin/unbound}
	if [ ! -x "$_tds_bin" ]; then
		echo "testdns: $_tds_bin: not installed (apt-get install" \
		    "unbound)" >&2
		return 1
	fi
	mkdir -p "$_tds_dir" || return 1
	_tds_dir=$(cd "$_tds_dir" && pwd) || return 1
	_tds_try=0
	while [ "$_tds_try" -lt 10 ]; do
		_tds_try=$((_tds_try + 1))
		_tds_port=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
		_tds_port=$((_tds_port % 30000 + 20000))
		_testdns_conf "$_tds_dir" "$_tds_port" "$@" \
		    >"$_tds_dir/unbound.conf" || return 1
		rm -f "$_tds_dir/unbound.log"
		"$_tds_bin" -d -c "$_tds_dir/unbound.conf" </dev/null \
		    >"$_tds_dir/unbound.out" 2>&1 &
		_tds_pid=$!
		echo "$_tds_pid" >"$_tds_dir/testdns.pid"
		if _testdns_ready "$_tds_dir" "$_tds_pid"; then
			# $$ is the sourcing shell even inside $(...).
			(
				while _testdns_alive "$$" &&
				    _testdns_alive "$_tds_pid"; do
					sleep 1
				done
				kill "$_tds_pid" 2>/dev/null
			) </dev/null >/dev/null 2>&1 &
			echo "$_tds_port" >"$_tds_dir/port"
			echo "$_tds_port"
			return 0
		fi
		kill "$_tds_pid" 2>/dev/null
		wait "$_tds_pid" 2>/dev/null
	done
	echo "testdns: unbound did not start; see $_tds_dir/unbound.log" >&2
	return 1
}

# testdns_stop DIR - stop the daemon started in DIR.
testdns_stop() {
	[ -f "$1/testdns.pid" ] || return 0
	_tdx_pid=$(cat "$1/testdns.pid")
	kill "$_tdx_pid" 2>/dev/null
	_tdx_n=0
	while _testdns_alive "$_tdx_pid"; do
		if [ "$_tdx_n" -ge 50 ]; then
			kill -9 "$_tdx_pid" 2>/dev/null
			break
		fi
		sleep 0.1
		_tdx_n=$((_tdx_n + 1))
	done
	wait "$_tdx_pid" 2>/dev/null
	rm -f "$1/testdns.pid" "$1/port"
	return 0
}
