# testpg.sh - a real PostgreSQL server in a temporary directory, for tests.
# POSIX sh; source it, do not run it. tests/testutil/testpg.c drives it for
# Check suites.
#
#   . "$top_srcdir/tests/testutil/testpg.sh"
#   testpg_available || { echo "SKIP: $testpg_why"; exit 77; }
#   uri=$(testpg_start "$dir") || exit 1   # postgresql://...:PORT/reports
#   testpg_createdb "$dir" other           # another database
#   testpg_psql "$dir" reports 'SELECT count(*) FROM rows'
#   testpg_restart "$dir" 2                # down for 2 s, same port
#   testpg_stop "$dir"
#
# testpg_available  true when initdb, pg_ctl, postgres and psql are
#     installed (Debian postgresql-15; $AM_PG_BINDIR overrides the directory)
#     and, as root, an unprivileged user exists to run the server (initdb
#     refuses root): "postgres" (the Debian package's), else "nobody".
#     Otherwise false with the reason in $testpg_why.
# testpg_start DIR  initdb into DIR/pg/data (trust authentication, UTF-8,
#     superuser "authmilter"), starts the server on 127.0.0.1 and a unix
#     socket in DIR/pg/run, on a random free port (retried if taken),
#     creates database "reports", prints its TCP URI and writes DIR/pg/port.
#     DIR must exist; as root it gets mode 711 and DIR/pg belongs to the
#     server's user. Log: DIR/pg/server.log. A watchdog stops the server
#     (immediate shutdown) when the process $TESTPG_WATCH_PID (default: the
#     shell that sourced this file) exits.
# testpg_uri DIR [DB]  the TCP URI of database DB (default reports).
# testpg_conninfo DIR [DB]  the same as a key=value string (unix socket).
# testpg_psql DIR DB SQL  runs SQL with psql: unaligned, tuples only.
# testpg_createdb DIR DB  creates database DB.
# testpg_restart DIR [SECONDS]  fast shutdown, SECONDS down (default 0),
#     start again on the same port.
# testpg_stop DIR  fast shutdown; waits until it is gone.

testpg_bindir=${AM_PG_BINDIR:-/usr/lib/postgresql/15/bin}
testpg_why=

# testpg_available - can a server be started here? Reason in testpg_why.
testpg_available() {
	for _tpa in initdb pg_ctl postgres psql; do
		if [ ! -x "$testpg_bindir/$_tpa" ]; then
			testpg_why="$testpg_bindir/$_tpa not installed (Debian"
			testpg_why="$testpg_why package postgresql-15;"
			testpg_why="$testpg_why contrib/install-deps.sh)"
			return 1
		fi
	done
	if [ "$(id -u)" -eq 0 ] && [ -z "$(_testpg_user)" ]; then
		testpg_why="running as root and no user postgres or nobody"
		testpg_why="$testpg_why to run the server as"
		return 1
	fi
	return 0
}

# _testpg_user - the user the server runs as when we are root.
_testpg_user() {
	for _tpu in postgres nobody; do
		if id -u "$_tpu" >/dev/null 2>&1; then
			echo "$_tpu"
			return 0
		fi
	done
}

# _testpg_as CMD... - run CMD as the server's user (ourselves unless root).
_testpg_as() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u "$(_testpg_user)" -- "$@"
	else
		"$@"
	fi
}

# _testpg_ctl DIR ARGS... - pg_ctl on DIR's cluster with its options.
_testpg_ctl() {
	_tpc_dir=$1
	shift
	_tpc_o="-c port=$(cat "$_tpc_dir/pg/port")"
	_tpc_o="$_tpc_o -c listen_addresses=127.0.0.1"
	_tpc_o="$_tpc_o -c unix_socket_directories=$_tpc_dir/pg/run"
	_testpg_as "$testpg_bindir/pg_ctl" -D "$_tpc_dir/pg/data" \
	    -l "$_tpc_dir/pg/server.log" -o "$_tpc_o" "$@"
}

# testpg_uri DIR [DB] - postgresql://authmilter@127.0.0.1:PORT/DB
testpg_uri() {
	echo "postgresql://authmilter@127.0.0.1:$(cat "$1/pg/port")/${2:-reports}"
}

# testpg_conninfo DIR [DB] - the same over the unix socket, as key=value.
testpg_conninfo() {
	echo "host=$1/pg/run port=$(cat "$1/pg/port") user=authmilter" \
	    "dbname=${2:-reports}"
}

# testpg_psql DIR DB SQL - run SQL, print rows (unaligned, tuples only).
testpg_psql() {
	"$testpg_bindir/psql" -X -q -A -t -v ON_ERROR_STOP=1 \
	    -h "$1/pg/run" -p "$(cat "$1/pg/port")" -U authmilter -d "$2" \
	    -c "$3"
}

# testpg_createdb DIR DB - a new empty database.
testpg_createdb() {
	testpg_psql "$1" postgres "CREATE DATABASE \"$2\"" >/dev/null
}

# _testpg_watch DIR PID - stop the server once PID is gone.
_testpg_watch() {
	while kill -0 "$2" 2>/dev/null && [ -d "$1/pg/data" ]; do
		sleep 1
	done
	if [ -f "$1/pg/data/postmaster.pid" ]; then
		kill -QUIT "$(head -n 1 "$1/pg/data/postmaster.pid")" \
		    2>/dev/null
	fi
}

# _testpg_init DIR - a fresh cluster in DIR/pg/data.
_testpg_init() {
	mkdir -p "$1/pg/run" || return 1
	if [ "$(id -u)" -eq 0 ]; then
		chmod 711 "$1" && chown -R "$(_testpg_user)" "$1/pg" ||
		    return 1
	fi
	_testpg_as "$testpg_bindir/initdb" -D "$1/pg/data" -U authmilter \
	    -A trust -E UTF8 --locale=C.UTF-8 --no-sync \
	    >"$1/pg/initdb.log" 2>&1 || {
		echo "testpg: initdb failed:" >&2
		tail -n 5 "$1/pg/initdb.log" >&2
		return 1
	}
}

# testpg_start DIR - initdb, start on a free port, create "reports".
testpg_start() {
	testpg_available || { echo "testpg: $testpg_why" >&2; return 1; }
	_tps_dir=$(cd "$1" && pwd) || return 1
	case $_tps_dir in
	*' '*) echo "testpg: a space in $_tps_dir" >&2; return 1 ;;
	esac
	_testpg_init "$_tps_dir" || return 1
	_tps_try=0
	while [ "$_tps_try" -lt 10 ]; do
		_tps_try=$((_tps_try + 1))
		_tps_port=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
		_tps_port=$((_tps_port % 30000 + 20000))
		echo "$_tps_port" >"$_tps_dir/pg/port"
		if _testpg_ctl "$_tps_dir" -w -t 60 start >/dev/null 2>&1; then
			(_testpg_watch "$_tps_dir" \
			    "${TESTPG_WATCH_PID:-$$}") </dev/null \
			    >/dev/null 2>&1 &
			testpg_createdb "$_tps_dir" reports || return 1
			testpg_uri "$_tps_dir"
			return 0
		fi
	done
	echo "testpg: the server did not start:" >&2
	tail -n 5 "$_tps_dir/pg/server.log" >&2
	return 1
}

# testpg_restart DIR [SECONDS] - fast shutdown, a pause, start again.
testpg_restart() {
	_testpg_ctl "$1" -w -m fast stop >/dev/null || return 1
	sleep "${2:-0}"
	_testpg_ctl "$1" -w -t 60 start >/dev/null
}

# testpg_stop DIR - fast shutdown.
testpg_stop() {
	[ -f "$1/pg/data/postmaster.pid" ] || return 0
	_testpg_ctl "$1" -w -m fast stop >/dev/null
}
