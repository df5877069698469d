#!/bin/sh
# setup.sh - prepare a host for authmilter (run as root, once; again is
# harmless):
#   - the unprivileged user and group "authmilter": the systemd unit
#     (contrib/systemd/authmilter.service) starts the daemon as that user,
#     a daemon started as root switches to it (UserID authmilter)
#   - /etc/authmilter (configuration) and /etc/authmilter/keys (DKIM keys,
#     mode 0700 owned by authmilter)
#   - /var/lib/authmilter (the aggregate-report store, the counters file)
#   - /run/authmilter (created at each start by the unit's RuntimeDirectory;
#     made here too for a daemon started by hand)
#   - /var/spool/postfix/authmilter for a unix socket a chrooted Postfix
#     smtpd can reach, and postfix in the group authmilter so it may connect
#     (the unit's UMask 0007 makes the socket group-writable)
#   - /etc/authmilter/authmilter.conf from conf/authmilter.conf with
#     "UserID authmilter", unless a configuration exists: it is never
#     overwritten.
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
install -d -m 0750 -o authmilter -g authmilter /run/authmilter
if getent passwd postfix >/dev/null && [ -d /var/spool/postfix ]; then
	install -d -m 0750 -o authmilter -g postfix /var/spool/postfix/authmilter
	usermod -a -G authmilter postfix
fi
if [ ! -e /etc/authmilter/authmilter.conf ]; then
	src=$(cd "$(dirname "$0")/.." && pwd)/conf/authmilter.conf
	install -m 0644 "$src" /etc/authmilter/authmilter.conf
	printf 'UserID authmilter\n' >> /etc/authmilter/authmilter.conf
fi
echo "authmilter: user, directories and /etc/authmilter/authmilter.conf ready"
echo "next: authmilterctl keygen ... --dir /etc/authmilter/keys" \
    "(then chown authmilter the key files);"
echo "      with systemd: systemctl daemon-reload;" \
    "systemctl enable --now authmilter"
