#!/bin/bash
# tests/e2e/postfix_dmarc.sh - DMARC enforcement and aggregate-report rows
# through a real Postfix, DNS from a real unbound on loopback, client address
# by XCLIENT. Needs root.
#
#   d1. p=reject, SPF fails and nothing is signed: 550 5.7.1 at end of DATA
#   d2. p=quarantine: accepted into Postfix's hold queue (postqueue -j)
#   d3. aligned DKIM pass (dkimpy, RSA + Ed25519): delivered, dmarc=pass
#   d4. two From headers: rejected (multiple From)
#   d5. a forged "spf=pass"/"dkim=pass" A-R with our id does not make a
#       failing message pass (PITFALLS trust boundary)
#   d6. after the daemon stops (the store is flushed), authmilterctl report
#       export writes one gzip XML per policy domain; it validates against
#       the RFC 7489 schema and python's parser finds the right counts and
#       dispositions (the two-From message of d4 has no policy domain and
#       so no row)
# E2E_ONLY=d1d3 runs only those.

# shellcheck source=tests/e2e/lib.sh
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"
# shellcheck source=tests/testutil/testdns.sh
. "$top_srcdir/tests/testutil/testdns.sh"

ID=$E2E_AUTHSERV_ID
CLIENT=192.0.2.10
CONFORMANCE=${AM_CONFORMANCE:-$top_srcdir/tests/conformance}

flat_headers() { printf '%s\n' "$E2E_MSG" | e2e_headers | tr -s ' \t' '  '; }
our_ar() { flat_headers | grep -Ei "^Authentication-Results: $ID;" | head -n 1; }

# send_raw FILE: send a prepared message from CLIENT.
send_raw() {
	local from=$1 file=$2
	e2e_send plain --xclient-addr "$CLIENT" --from "$from" --data "$file"
}

# raw_msg FROM SUBJECT TAG [EXTRA-HEADER]: a small message on stdout (CRLF).
raw_msg() {
	printf 'From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nX-E2E-Tag: %s\r\n%s\r\nbody of %s\r\n' \
	    "$1" "$E2E_RCPT" "$2" "$(date -R)" "$3" "${4:+$4$'\r\n'}" "$3"
}

scenario_d1() {
	raw_msg alice@reject.example "e2e d1" e2e-d1 > "$E2E_DIR/d1.eml"
	send_raw alice@reject.example "$E2E_DIR/d1.eml"
	e2e_ok "d1: p=reject failure refused with 550 5.7.1" \
	    e2e_transcript_has '^<\*\* 550 5\.7\.1 .*reject\.example' || e2e_show_transcript
	e2e_not "d1: nothing delivered" e2e_wait_message 1 e2e-d1
}

scenario_d2() {
	local q
	raw_msg bob@quar.example "e2e d2" e2e-d2 > "$E2E_DIR/d2.eml"
	send_raw bob@quar.example "$E2E_DIR/d2.eml"
	e2e_ok "d2: p=quarantine accepted (250)" e2e_transcript_has '^<-  250 2\.0\.0 Ok: queued' ||
	    e2e_show_transcript
	sleep 1
	q=$(postqueue -c "$E2E_DIR/postfix" -j 2>/dev/null)
	e2e_like "$q" '"queue_name": "hold"' "d2: the message is in Postfix's hold queue"
	e2e_not "d2: not delivered" e2e_wait_message 1 e2e-d2
}

scenario_d3() {
	raw_msg carol@aligned.example "e2e d3" e2e-d3 > "$E2E_DIR/d3-raw.eml"
	e2e_ok "d3: dkimpy signed for aligned.example" \
	    e2e_dkim_sign "$E2E_DIR/d3-raw.eml" "$E2E_DIR/d3.eml" "$E2E_DIR/keys" aligned.example || return
	send_raw carol@aligned.example "$E2E_DIR/d3.eml"
	e2e_wait_message 10 e2e-d3
	e2e_ok "d3: delivered" test -n "$E2E_MSG" || { e2e_show_transcript; return; }
	e2e_like "$(our_ar)" "dmarc=pass .*header.from=aligned.example" "d3: dmarc=pass" ||
	    e2e_show_file "$E2E_LAST_FILE" 30
}

scenario_d4() {
	raw_msg dave@aligned.example "e2e d4" e2e-d4 "From: mallory@evil.example" > "$E2E_DIR/d4.eml"
	send_raw dave@aligned.example "$E2E_DIR/d4.eml"
	e2e_ok "d4: two From headers refused with 550 5.7.1" \
	    e2e_transcript_has '^<\*\* 550 5\.7\.1 .*[Mm]ultiple From' || e2e_show_transcript
}

scenario_d5() {
	raw_msg erin@reject.example "e2e d5" e2e-d5 \
	    "Authentication-Results: $ID; spf=pass smtp.mailfrom=reject.example; dkim=pass header.d=reject.example" \
	    > "$E2E_DIR/d5.eml"
	send_raw erin@reject.example "$E2E_DIR/d5.eml"
	e2e_ok "d5: forged A-R with our id does not pass DMARC: 550 5.7.1" \
	    e2e_transcript_has '^<\*\* 550 5\.7\.1 ' || e2e_show_transcript
}

scenario_d6() {
	local out=$E2E_DIR/reports from to f
	e2e_stop_milter		# the store is flushed on a clean stop
	mkdir -p "$out"
	from=$(date -u -d "@$((T0 - 60))" +%Y-%m-%dT%H:%M:%SZ)
	to=$(date -u -d "@$(($(date +%s) + 60))" +%Y-%m-%dT%H:%M:%SZ)
	e2e_ok "d6: report export runs" "$E2E_CTL" -c "$E2E_DIR/authmilter.conf" report export \
	    --store "$E2E_DIR/reports.db" --from "$from" --to "$to" --out "$out"
	for f in reject.example quar.example aligned.example; do
		e2e_ok "d6: a report file for $f" \
		    sh -c "ls '$out'/*'!$f!'*.xml.gz >/dev/null 2>&1"
	done
	for f in "$out"/*.xml.gz; do
		[ -e "$f" ] || continue
		e2e_ok "d6: $(basename "$f") validates against the RFC 7489 schema" \
		    sh -c "gzip -dc '$f' | xmllint --noout --schema '$CONFORMANCE/dmarc/rua-rfc7489-nons.xsd' - 2>/dev/null"
	done
	e2e_is "$(/usr/bin/python3 - "$out" <<'PYEOF'
import glob, gzip, sys, xml.etree.ElementTree as ET
out = {}
for f in sorted(glob.glob(sys.argv[1] + '/*.xml.gz')):
    r = ET.fromstring(gzip.open(f).read())
    dom = r.findtext('policy_published/domain')
    for rec in r.findall('record'):
        out.setdefault(dom, []).append('%s:%s:%s' % (
            rec.findtext('row/count'),
            rec.findtext('row/policy_evaluated/disposition'),
            rec.findtext('row/policy_evaluated/dkim')))
print(' '.join('%s=%s' % (d, ','.join(sorted(v))) for d, v in sorted(out.items())))
PYEOF
)" "aligned.example=1:none:pass quar.example=1:quarantine:fail reject.example=2:reject:fail" \
	    "d6: records grouped with real counts and dispositions"
}

want() { [ -z "${E2E_ONLY:-}" ] || case $E2E_ONLY in *"$1"*) true ;; *) false ;; esac; }

E2E_CTL=$top_builddir/milter/authmilterctl
e2e_require
e2e_setup
e2e_watchdog "${E2E_DEADLINE:-110}"
if ! e2e_have_milter; then
	e2e_skip "DMARC scenarios" "needs the authmilter daemon ($E2E_AUTHMILTER not built)"
	e2e_summary
	exit
fi
T0=$(date +%s)
mkdir -p "$E2E_DIR/keys" "$E2E_DIR/dns"
mapfile -t KEYRRS < <(e2e_dkim_keys "$E2E_DIR/keys" aligned.example)
DNSPORT=$(testdns_start "$E2E_DIR/dns" \
    'reject.example. 300 IN TXT "v=spf1 ip4:198.51.100.0/24 -all"' \
    '_dmarc.reject.example. 300 IN TXT "v=DMARC1; p=reject; rua=mailto:rua@reject.example"' \
    'quar.example. 300 IN TXT "v=spf1 ip4:198.51.100.0/24 -all"' \
    '_dmarc.quar.example. 300 IN TXT "v=DMARC1; p=quarantine"' \
    'aligned.example. 300 IN TXT "v=spf1 ip4:198.51.100.0/24 -all"' \
    '_dmarc.aligned.example. 300 IN TXT "v=DMARC1; p=reject; adkim=s"' \
    "${KEYRRS[@]}")
e2e_ok "unbound serves the test zone on 127.0.0.1:${DNSPORT:-?}" test -n "$DNSPORT" ||
    e2e_die "testdns_start failed"
e2e_ok "authmilter starts (DNS on the test resolver, report store)" \
    e2e_start_milter "Nameservers 127.0.0.1@$DNSPORT" "ReportOrgName e2e test" \
    "ReportEmail dmarc-reports@e2e.test" || e2e_die "authmilter did not start"
for d in d1 d2 d3 d4 d5 d6; do
	want "$d" && "scenario_$d"
done
testdns_stop "$E2E_DIR/dns"
e2e_summary
