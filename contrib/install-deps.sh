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
	libidn2-dev libyaml-dev \
	publicsuffix dns-root-data \
	postfix swaks openssl ca-certificates procps psmisc \
	libnet-ssleay-perl libio-socket-ssl-perl libauthen-sasl-perl \
	python3 python3-dkim libmail-dkim-perl opendkim-tools \
	libxml2-utils valgrind unbound iproute2
