# tests/e2e/daemonlib.sh - shared steps of the shell suites that run the
# daemon without an MTA (load.sh, crash.sh): a work directory, the
# tests/bench/mkcorpus.py corpus and its zone served by a loopback unbound,
# the daemon in the foreground on a free port, tests/bench/loadgen, and
# TAP-ish counting. POSIX sh; source it after setting top_srcdir and
# top_builddir.
#
#   dl_init NAME          DL_DIR=mktemp -d; exits 77 (SKIP) when the
#                         daemon, loadgen, python3-dkim or unbound is
#                         missing; mkcorpus into $DL_DIR/corpus; unbound
#                         on $DL_DNS_PORT; cleanup at exit (E2E_KEEP=1
#                         keeps the directory)
#   dl_conf FILE LINE...  a configuration on the corpus zone (Nameservers,
#                         no trust anchor, Syslog no, ReportStore and
#                         StatsFile empty unless given) plus LINEs
#   dl_start FILE         start the daemon on FILE ($DL_PID, log FILE.log),
#                         wait for "listening on"; false when it fails
#   dl_lg OUT ARGS...     loadgen on $DL_SOCK over the inbound corpus,
#                         stdout in OUT, stderr in OUT.err
#   dl_lg_bg OUT ARGS...  the same in the background, its pid in $DL_LG_PID
#   ok/notok/check        one result line each; dl_done prints the totals
#                         and returns the suite's status
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
DL_BIN=${E2E_AUTHMILTER:-$top_builddir/milter/authmilter}
DL_LOADGEN=$top_builddir/tests/bench/loadgen
DL_PID=
dl_pass=0; dl_fail=0

ok() { echo "ok - $1"; dl_pass=$((dl_pass + 1)); }
notok() { echo "not ok - $1"; shift; for l in "$@"; do echo "$l" |
	sed 's/^/#   /'; done; dl_fail=$((dl_fail + 1)); }
check() { # check DESCRIPTION COMMAND...
	_d=$1; shift
	if "$@"; then ok "$_d"; else notok "$_d"; fi
}
dl_done() { echo "$dl_pass passed, $dl_fail failed"; [ "$dl_fail" -eq 0 ]; }

# shellcheck source=tests/testutil/testdns.sh
. "$top_srcdir/tests/testutil/testdns.sh"

dl_cleanup() {
	[ -n "$DL_PID" ] && kill -9 "$DL_PID" 2>/dev/null
	testdns_stop "$DL_DIR/dns"
	if [ "${E2E_KEEP:-0}" = 1 ]; then echo "# kept $DL_DIR"
	else rm -rf "$DL_DIR"; fi
}

dl_init() {
	[ -x "$DL_BIN" ] || { echo "SKIP: $DL_BIN not built"; exit 77; }
	[ -x "$DL_LOADGEN" ] || { echo "SKIP: $DL_LOADGEN not built"; exit 77; }
	/usr/bin/python3 -c 'import dkim, cryptography' 2>/dev/null ||
	    { echo "SKIP: /usr/bin/python3 lacks python3-dkim"; exit 77; }
	DL_DIR=$(mktemp -d "${TMPDIR:-/tmp}/authmilter-$1.XXXXXX") || exit 1
	trap dl_cleanup EXIT
	trap 'exit 1' INT TERM
	/usr/bin/python3 "$top_srcdir/tests/bench/mkcorpus.py" \
	    "$DL_DIR/corpus" > "$DL_DIR/mkcorpus.log" 2>&1 ||
	    { echo "not ok - mkcorpus.py"; cat "$DL_DIR/mkcorpus.log"; exit 1; }
	set --
	while IFS= read -r _rr; do set -- "$@" "$_rr"; done \
	    < "$DL_DIR/corpus/zone.txt"
	DL_DNS_PORT=$(testdns_start "$DL_DIR/dns" "$@") ||
	    { echo "SKIP: cannot start unbound"; exit 77; }
	DL_PORT=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	DL_SOCK=inet:$DL_PORT@127.0.0.1
}

dl_conf() {
	_f=$1; shift
	{
		echo "Socket $DL_SOCK"
		echo "AuthservID mx.bench.example"
		echo "Nameservers 127.0.0.1@$DL_DNS_PORT"
		echo "TrustAnchorFile"
		echo "Syslog no"
		_given=" $(for _l in "$@"; do echo "$_l" | cut -d' ' -f1; done | tr '\n' ' ')"
		case $_given in *" ReportStore "*) ;; *) echo "ReportStore";; esac
		case $_given in *" StatsFile "*) ;; *) echo "StatsFile";; esac
		for _l in "$@"; do echo "$_l"; done
	} > "$_f.tmp" && mv "$_f.tmp" "$_f"
}

dl_start() {
	_from=$(cat "$1.log" 2>/dev/null | wc -l)
	"$DL_BIN" -f -c "$1" < /dev/null >> "$1.log" 2>&1 &
	DL_PID=$!
	_n=0
	until tail -n +$((_from + 1)) "$1.log" | grep -q "listening on"; do
		_n=$((_n + 1))
		if [ $_n -gt 300 ] || ! kill -0 "$DL_PID" 2>/dev/null; then
			cat "$1.log"
			return 1
		fi
		sleep 0.1
	done
}

dl_lg_bg() {
	_out=$1; shift
	"$DL_LOADGEN" -s "$DL_SOCK" -w 60 "$@" "$DL_DIR/corpus/inbound" \
	    > "$_out" 2> "$_out.err" &
	DL_LG_PID=$!
}
dl_lg() { dl_lg_bg "$@"; wait "$DL_LG_PID"; }
