#!/bin/bash
# tests/e2e/postfix_report.sh - authmilterctl report send through a real
# Postfix: messages from two policy domains go through Postfix with
# authmilter (DNS from a real unbound on loopback, client address by
# XCLIENT); after the daemon stops (the store is flushed) and starts again,
# `report send --from T --to T` mails one report per policy domain by SMTP
# (ReportSMTPServer) through the test Postfix to dmarc@reports.example
# (delivered locally), authorised by <domain>._report._dmarc.reports.example TXT
# (RFC 7489 §7.1; one starts "v=DMARC1;" not exactly "v=DMARC1"). python's
# email, gzip and xml.etree (not our code) parse the delivered attachments:
# counts, grouping and policy_published. An unauthorised external address
# is skipped. A second send sends nothing. Needs root.

# shellcheck source=tests/e2e/lib.sh
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"
# shellcheck source=tests/testutil/testdns.sh
. "$top_srcdir/tests/testutil/testdns.sh"

CLIENT=192.0.2.10
E2E_CTL=$top_builddir/milter/authmilterctl

send_from() {	# send_from FROM TAG
	printf 'From: %s\r\nTo: %s\r\nSubject: e2e report %s\r\nDate: %s\r\n\r\nbody %s\r\n' \
	    "$1" "$E2E_RCPT" "$2" "$(date -R)" "$2" > "$E2E_DIR/$2.eml"
	e2e_send plain --xclient-addr "$CLIENT" --from "$1" --data "$E2E_DIR/$2.eml"
}

# reports: the delivered report messages, one summary line each.
reports() {
	/usr/bin/python3 - "$E2E_DIR/mail/new" <<'PYEOF'
import email, glob, gzip, sys, xml.etree.ElementTree as ET
out = []
for f in sorted(glob.glob(sys.argv[1] + '/*')):
    m = email.message_from_binary_file(open(f, 'rb'))
    if not (m['Subject'] or '').startswith('Report Domain: '):
        continue
    parts = [p for p in m.walk() if p.get_content_type() == 'application/gzip']
    r = ET.fromstring(gzip.decompress(parts[0].get_payload(decode=True)))
    dom = r.findtext('policy_published/domain')
    recs = sorted('%s:%s:%s:%s' % (rec.findtext('row/source_ip'), rec.findtext('row/count'),
                                   rec.findtext('row/policy_evaluated/disposition'),
                                   rec.findtext('row/policy_evaluated/spf'))
                  for rec in r.findall('record'))
    ok = m['Subject'].split()[2] == dom and m['To'] == 'dmarc@reports.example' and \
        parts[0].get_filename().startswith('e2e.test!%s!' % dom)
    out.append('%s p=%s sp=%s pct=%s %s %s' % (dom, r.findtext('policy_published/p'),
               r.findtext('policy_published/sp'), r.findtext('policy_published/pct'),
               ','.join(recs), 'ok' if ok else 'BAD-HEADERS'))
print(' | '.join(sorted(out)))
PYEOF
}

# The reports go to reports.example, delivered locally like e2e.test (names
# under .test are a default local zone of libunbound: no TXT lookups there).
E2E_POSTCONF_EXTRA="mydestination = $E2E_DOMAIN, reports.example"
e2e_require
e2e_setup
e2e_watchdog "${E2E_DEADLINE:-120}"
if ! e2e_have_milter; then
	e2e_skip "report send" "needs the authmilter daemon ($E2E_AUTHMILTER not built)"
	e2e_summary
	exit
fi
T0=$(date +%s)
mkdir -p "$E2E_DIR/dns"
DNSPORT=$(testdns_start "$E2E_DIR/dns" \
    'one.example. 300 IN TXT "v=spf1 ip4:192.0.2.10 -all"' \
    '_dmarc.one.example. 300 IN TXT "v=DMARC1; p=none; sp=reject; rua=mailto:dmarc@reports.example,mailto:victim@other.test"' \
    'two.example. 300 IN TXT "v=spf1 -all"' \
    '_dmarc.two.example. 300 IN TXT "v=DMARC1; p=quarantine; rua=mailto:dmarc@reports.example!10m"' \
    'one.example._report._dmarc.reports.example. 300 IN TXT "v=DMARC1"' \
    'two.example._report._dmarc.reports.example. 300 IN TXT "v=DMARC1; rua=mailto:dmarc@reports.example"')
e2e_ok "unbound serves the test zone on 127.0.0.1:${DNSPORT:-?}" test -n "$DNSPORT" ||
    e2e_die "testdns_start failed"
CONF=("Nameservers 127.0.0.1@$DNSPORT" "ReportOrgName e2e test"
    "ReportEmail dmarc-reports@e2e.test" "ReportSMTPServer 127.0.0.1:$E2E_PORT_SMTP"
    "PublicSuffixList ${AM_CONFORMANCE:-$top_srcdir/tests/conformance}/psl/public_suffix_list.dat")
e2e_ok "authmilter starts" e2e_start_milter "${CONF[@]}" || e2e_die "authmilter did not start"
send_from a@one.example r1
send_from b@one.example r2
send_from c@two.example r3
e2e_ok "r1-r3 accepted" e2e_transcript_has '^<-  250 2\.0\.0 Ok: queued' || e2e_show_transcript
e2e_stop_milter			# flushes the store
e2e_ok "authmilter starts again (Postfix needs it to accept the reports)" \
    e2e_start_milter "${CONF[@]}" || e2e_die "authmilter did not start again"
from=$(date -u -d "@$((T0 - 60))" +%Y-%m-%dT%H:%M:%SZ)
to=$(date -u -d "@$(($(date +%s) + 60))" +%Y-%m-%dT%H:%M:%SZ)
out=$("$E2E_CTL" -c "$E2E_DIR/authmilter.conf" report send --dry-run --from "$from" --to "$to" 2>&1)
e2e_like "$out" "dry run: 2 sent|would send one.example .* to dmarc@reports.example" "dry run lists the reports"
out=$("$E2E_CTL" -c "$E2E_DIR/authmilter.conf" report send --from "$from" --to "$to" 2>&1)
e2e_diag "${out//$'\n'/ / }"
e2e_like "$out" "2 sent, 0 failed, 1 skipped" "report send: two sent, the unauthorised address skipped"
e2e_like "$out" "skip one.example .* victim@other.test: .*no authorisation" \
    "victim@other.test (no _report._dmarc record) skipped"
for i in $(seq 100); do
	[ "$(grep -l '^Subject: Report Domain:' "$E2E_DIR"/mail/new/* 2>/dev/null | wc -l)" -ge 2 ] && break
	sleep 0.1
done
e2e_is "$(reports)" \
    "one.example p=none sp=reject pct=100 192.0.2.10:2:none:pass ok | two.example p=quarantine sp=quarantine pct=100 192.0.2.10:1:quarantine:fail ok" \
    "delivered reports parse: counts, grouping, policy_published"
out=$("$E2E_CTL" -c "$E2E_DIR/authmilter.conf" report send --from "$from" --to "$to" 2>&1)
e2e_like "$out" "^0 sent, 0 failed, 0 skipped" "second send sends nothing"
sleep 1
e2e_is "$(grep -l '^Subject: Report Domain:' "$E2E_DIR"/mail/new/* | wc -l)" 2 "still two report messages"
testdns_stop "$E2E_DIR/dns"
e2e_summary
