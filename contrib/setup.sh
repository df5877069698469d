#!/bin/sh
# setup.sh - prepare a host for authmilter (run as root, once):
#   - the unprivileged user and group "authmilter" (UserID authmilter)
#   - /etc/authmilter (configuration, keys/ mode 0700 owned by authmilter)
#   - /var/lib/authmilter (the aggregate-report store, the counters file)
#   - /var/spool/postfix/authmilter for a unix socket a chrooted Postfix
#     smtpd can reach (group postfix may connect)
# It never overwrites an existing configuration.
set -eu
if ! getent group authmilter >/dev/null; then
	groupadd --system authmilter
fi
if ! getent passwd authmilter >/dev/null; then
	useradd --system --gid authmilter --home-dir /var/lib/authmilter \
	    --shell /usr/sbin/nologin authmilter
fi
install -d -m 0755 /etc/authmilter
install -d -m 0700 -o authmilter -g authmilter /etc/authmilter/keys
install -d -m 0750 -o authmilter -g authmilter /var/lib/authmilter
if getent group postfix >/dev/null && [ -d /var/spool/postfix ]; then
	install -d -m 0750 -o authmilter -g postfix /var/spool/postfix/authmilter
fi
if [ ! -e /etc/authmilter/authmilter.conf ]; then
	src=$(cd "$(dirname "$0")/.." && pwd)/conf/authmilter.conf
	install -m 0644 "$src" /etc/authmilter/authmilter.conf
	printf 'UserID authmilter\n' >> /etc/authmilter/authmilter.conf
fi
echo "authmilter: user, directories and /etc/authmilter/authmilter.conf ready"
echo "next: authmilterctl keygen ... --dir /etc/authmilter/keys (then chown authmilter)"
