#!/bin/sh
# install-deps.sh - install every Debian 12 package authmilter needs to build,
# run and test. Idempotent; run as root. Used by the README and by .ci/run.
set -eu
export DEBIAN_FRONTEND=noninteractive
# Postfix asks debconf questions on install; answer them up front so the
# package installs unattended with no system mail configuration.
if command -v debconf-set-selections >/dev/null 2>&1; then
	echo "postfix postfix/main_mailer_type select No configuration" |
	    debconf-set-selections
fi
apt-get update -q
apt-get install -y -q --no-install-recommends \
	build-essential autoconf automake libtool pkg-config \
	libmilter-dev libopendkim-dev libspf2-dev libopendmarc-dev \
	libunbound-dev libssl-dev libsqlite3-dev zlib1g-dev check \
	libidn2-dev libyaml-dev libpq-dev libxml2-dev libarchive-dev \
	libmicrohttpd-dev curl \
	publicsuffix dns-root-data \
	postfix swaks openssl ca-certificates procps psmisc \
	libnet-ssleay-perl libio-socket-ssl-perl libauthen-sasl-perl \
	python3 python3-dkim python3-authres libmail-dkim-perl opendkim-tools \
	libxml2-utils valgrind unbound iproute2 \
	groff-base mandoc man-db strace
# The e2e suites' own tools, which a minimal Debian 12 root lacks (without
# them those suites SKIP): the sqlite3 shell (tests/e2e/crash.sh and
# privileges.sh check the store's integrity and rows), gdb
# (tests/e2e/sign_keys.sh reads the daemon's memory for key bytes), and
# python3-cryptography, which python3-dkim only recommends (Ed25519 keys for
# the corpus of tests/e2e/load.sh and crash.sh).
apt-get install -y -q --no-install-recommends sqlite3 gdb python3-cryptography
# tests/report/check_report_browser: the DMARC dashboard (authmilterctl
# report html) rendered by a real browser, headless; a font for its text.
apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core
# tests/bench/run.sh: the anchors authmilter is measured against; the
# PostgreSQL 15 server (postgresql) that tests/testutil/testpg.sh runs for
# the shared report store's suites (initdb in a temporary directory); and
# prometheus for its promtool, which checks the metrics endpoint's text
# (tests/pipeline/check_stats_prom, tests/e2e/postfix_metrics.sh). Their
# packaged services must not start (they would bind ports): a temporary
# policy-rc.d refuses every start during the install, and where systemd runs
# they are disabled and stopped. The tests start their own instances on
# loopback.
bench_prc=
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	bench_prc=/usr/sbin/policy-rc.d
fi
apt-get install -y -q --no-install-recommends opendkim opendmarc \
    postgresql prometheus || {
	[ -n "$bench_prc" ] && rm -f "$bench_prc"
	exit 1
}
[ -n "$bench_prc" ] && rm -f "$bench_prc"
if [ -d /run/systemd/system ]; then
	systemctl disable --now opendkim opendmarc postgresql prometheus \
	    >/dev/null 2>&1 ||
	    true
fi
# tests/e2e/sendmail.sh: a real Sendmail 8.17, never installed (sendmail-bin
# Conflicts with mail-transport-agent: installing it would remove Postfix).
# Its .debs are cached here; the test unpacks them into
# /var/cache/authmilter-e2e/sendmail-root and runs them in a private mount
# namespace. m4 builds sendmail.cf; dnspython lets dkimpy verify against the
# test DNS; libsasl2-modules holds the PLAIN and LOGIN mechanisms of its SMTP
# AUTH scenario (a recommends of libsasl2-2, so absent from a fresh root).
apt-get install -y -q --no-install-recommends m4 python3-dnspython util-linux \
    libsasl2-modules
# tests/fuzz/run.sh (a step of tests/run-all.sh): clang 14 and its libFuzzer
# and sanitizer runtimes; ldnsutils for tests/data/dns/mkzone.sh (the signed
# test zones are committed, only regenerating them needs it).
apt-get install -y -q --no-install-recommends clang libclang-rt-14-dev \
    ldnsutils
sm_debs=/var/cache/authmilter-e2e/sendmail
mkdir -p "$sm_debs"
rm -f "$sm_debs"/*.deb
rm -rf /var/cache/authmilter-e2e/sendmail-root
(cd "$sm_debs" && apt-get download sendmail-bin sendmail-base sendmail-cf \
    libwrap0 liblockfile1 sasl2-bin)
