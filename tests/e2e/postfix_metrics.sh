#!/bin/bash
# tests/e2e/postfix_metrics.sh - the Prometheus endpoint (MetricsListen) of
# a daemon behind a real Postfix, DNS from a real unbound on loopback,
# client addresses by XCLIENT. Needs root.
#
#   m1. 13 messages through Postfix: 5 SPF pass, 3 softfail over implicit
#       TLS (the smtps port: XCLIENT after STARTTLS would make the session
#       look implicit to the milter anyway), 2 DMARC p=reject (550), 1 DMARC
#       p=quarantine (held), 2 signed submissions (RSA + Ed25519); a scrape
#       with curl then shows exactly those messages per direction and
#       action, results per method, DMARC dispositions, TLS modes,
#       signatures per algorithm, one processing time per message, DNS
#       lookups (as many latencies as answers), the report rows; HTTP 200
#       with the 0.0.4 content type, 404 for another path, 405 for POST;
#       promtool check metrics accepts the scrape; StatsFile says the same
#       numbers
#   m2. a second daemon with the same MetricsListen stops at start with
#       "MetricsListen ADDR: cannot bind: Address already in use"
#   m3. authmilter -n refuses a non-loopback MetricsListen (FILE:LINE) and
#       accepts it with MetricsAllowRemote yes
#   m4. started as root with UserID nobody: the endpoint's socket belongs
#       to nobody (it was opened after privileges were dropped); a port
#       below 1024 then fails with "Permission denied" and the 1024 hint
#   m5. a clean stop (SIGTERM) closes the endpoint
# E2E_ONLY=m1m3 runs only those.

# shellcheck source=tests/e2e/lib.sh
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"
# shellcheck source=tests/testutil/testdns.sh
. "$top_srcdir/tests/testutil/testdns.sh"

CLIENT=192.0.2.10
SCRAPE=

# metric KEY: the value of series KEY (name{labels} as written) in $SCRAPE.
metric() { printf '%s\n' "$SCRAPE" | awk -v k="$1" '$1 == k { print $2; f = 1 } END { if (!f) print "absent" }'; }
# msgs DIRECTION ACTION
msgs() { metric "authmilter_messages_total{direction=\"$1\",action=\"$2\"}"; }
# result METHOD RESULT
result() { metric "authmilter_results_total{method=\"$1\",result=\"$2\"}"; }
# sum_of PREFIX: the sum of every series whose key starts with PREFIX.
sum_of() { printf '%s\n' "$SCRAPE" | awk -v p="$1" 'index($1, p) == 1 { s += $2 } END { print s + 0 }'; }

scrape() { SCRAPE=$(curl -sS --max-time 10 "http://127.0.0.1:$MPORT/metrics"); }

# raw_msg FROM SUBJECT TAG: a small message on stdout (CRLF).
raw_msg() {
	printf 'From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nX-E2E-Tag: %s\r\n\r\nbody of %s\r\n' \
	    "$1" "$E2E_RCPT" "$2" "$(date -R)" "$3" "$3"
}

scenario_m1() {
	local i rc hdrs want got promout
	for i in 1 2 3 4 5; do
		e2e_send plain --xclient-addr "$CLIENT" --from "alice@pass.example" \
		    --header "Subject: m1 pass $i"
	done
	e2e_ok "m1: SPF pass mail accepted" e2e_transcript_has '^<-  250 2\.0\.0 Ok: queued' ||
	    e2e_show_transcript
	for i in 1 2 3; do
		e2e_send smtps --xclient-addr "$CLIENT" --from "carol@soft.example" \
		    --header "Subject: m1 soft $i"
	done
	e2e_ok "m1: softfail mail over implicit TLS accepted" \
	    e2e_transcript_has '^<~  250 2\.0\.0 Ok: queued' || e2e_show_transcript
	for i in 1 2; do
		raw_msg "x@reject.example" "m1 reject $i" "m1-r$i" > "$E2E_DIR/r$i.eml"
		e2e_send plain --xclient-addr "$CLIENT" --from x@reject.example --data "$E2E_DIR/r$i.eml"
	done
	e2e_ok "m1: DMARC p=reject refused with 550 5.7.1" \
	    e2e_transcript_has '^<\*\* 550 5\.7\.1 ' || e2e_show_transcript
	raw_msg "y@quar.example" "m1 quarantine" "m1-q" > "$E2E_DIR/q.eml"
	e2e_send plain --xclient-addr "$CLIENT" --from y@quar.example --data "$E2E_DIR/q.eml"
	e2e_ok "m1: DMARC p=quarantine accepted (held)" \
	    e2e_transcript_has '^<-  250 2\.0\.0 Ok: queued' || e2e_show_transcript
	for i in 1 2; do
		e2e_send submission --from dave@dkim.example --header "Subject: m1 signed $i"
	done
	e2e_wait_message 10
	e2e_is "$(printf '%s\n' "$E2E_MSG" | e2e_headers | grep -c '^DKIM-Signature:')" 2 \
	    "m1: the submission left with two DKIM-Signature headers"

	hdrs=$(curl -sS --max-time 10 -D - -o /dev/null "http://127.0.0.1:$MPORT/metrics" | tr -d '\r')
	e2e_like "$hdrs" '^HTTP/1\.[01] 200' "m1: GET /metrics is 200"
	e2e_like "$hdrs" '^Content-Type: text/plain; version=0\.0\.4; charset=utf-8$' \
	    "m1: content type of the text format 0.0.4"
	e2e_is "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MPORT/")" 404 \
	    "m1: another path is 404"
	e2e_is "$(curl -s -o /dev/null -w '%{http_code}' -X POST -d x=1 "http://127.0.0.1:$MPORT/metrics")" 405 \
	    "m1: POST is 405"

	scrape
	want="inbound/accept=8 inbound/quarantine=1 inbound/reject=2 inbound/tempfail=0 outbound/accept=2 outbound/quarantine=0 outbound/reject=0 outbound/tempfail=0"
	got=$(for d in inbound outbound; do for a in accept quarantine reject tempfail; do
		printf '%s/%s=%s ' "$d" "$a" "$(msgs "$d" "$a")"; done; done)
	e2e_is "${got% }" "$want" "m1: messages by direction and final action" ||
	    e2e_show_file "$E2E_DIR/authmilter.log" 40
	want="spf/pass=5 spf/softfail=3 spf/fail=3 spf/none=0 dkim/none=11 dkim/pass=0 dmarc/none=8 dmarc/fail=3 dmarc/pass=0"
	got=$(for k in spf/pass spf/softfail spf/fail spf/none dkim/none dkim/pass dmarc/none dmarc/fail dmarc/pass; do
		printf '%s=%s ' "$k" "$(result "${k%/*}" "${k#*/}")"; done)
	e2e_is "${got% }" "$want" "m1: results per method and result"
	e2e_is "$(metric 'authmilter_dmarc_dispositions_total{disposition="reject"}') $(metric 'authmilter_dmarc_dispositions_total{disposition="quarantine"}') $(metric 'authmilter_dmarc_dispositions_total{disposition="none"}')" \
	    "2 1 0" "m1: DMARC dispositions reject 2, quarantine 1"
	e2e_is "$(metric 'authmilter_tls_messages_total{mode="implicit"}') $(metric 'authmilter_tls_messages_total{mode="none"}') $(metric 'authmilter_tls_messages_total{mode="starttls"}')" \
	    "3 10 0" "m1: TLS modes (3 implicit TLS, 10 plaintext)"
	e2e_is "$(sum_of 'authmilter_tls_version_messages_total{')" 3 "m1: 3 TLS messages by version"
	e2e_is "$(metric 'authmilter_signed_messages_total') $(metric 'authmilter_signatures_total{algorithm="rsa-sha256"}') $(metric 'authmilter_signatures_total{algorithm="ed25519-sha256"}')" \
	    "2 2 2" "m1: 2 signed messages, 2 RSA and 2 Ed25519 signatures"
	e2e_is "$(metric authmilter_message_processing_seconds_count)" 13 \
	    "m1: one processing time per message"
	e2e_is "$(metric 'authmilter_message_processing_seconds_bucket{le="+Inf"}')" 13 \
	    "m1: +Inf bucket = count"
	e2e_like "$(metric authmilter_dns_queries_total)" '^[1-9][0-9]*$' "m1: DNS queries counted"
	e2e_is "$(sum_of 'authmilter_dns_answers_total{')" "$(metric authmilter_dns_lookup_seconds_count)" \
	    "m1: one DNS latency per answer"
	e2e_is "$(metric authmilter_dns_timeouts_total)" 0 "m1: no DNS timeout"
	e2e_is "$(metric authmilter_report_rows_enqueued_total)" 3 \
	    "m1: 3 report rows (the DMARC-evaluated messages with a record)"
	e2e_like "$(metric authmilter_connections_total)" '^(1[3-9]|[2-9][0-9])$' "m1: 13 or more connections"
	e2e_is "$(metric "authmilter_build_info{version=\"$("$E2E_AUTHMILTER" -V | awk '{ print $2 }')\"}")" 1 \
	    "m1: build_info carries the version of authmilter -V"
	if command -v promtool >/dev/null 2>&1; then
		promout=$(printf '%s\n' "$SCRAPE" | promtool check metrics 2>&1)
		rc=$?
		e2e_is "$rc:$promout" "0:" "m1: promtool check metrics accepts the scrape"
	else
		e2e_skip "m1: promtool check metrics" "promtool not installed (Debian package prometheus)"
	fi
	# StatsFile (StatsInterval 1): the same counters, the other format
	for i in $(seq 50); do
		grep -qx 'messages 13' "$E2E_DIR/stats" 2>/dev/null && break
		sleep 0.1
	done
	scrape
	got=$(awk '$1 == "messages" || $1 == "verdict.reject" || $1 == "verdict.quarantine" || $1 == "spf.pass" || $1 == "signed" { printf "%s=%s ", $1, $2 }' "$E2E_DIR/stats")
	want="messages=$(sum_of 'authmilter_messages_total{') verdict.reject=$(sum_of 'authmilter_messages_total{direction="inbound",action="reject"}') verdict.quarantine=$(msgs inbound quarantine) spf.pass=$(result spf pass) signed=$(metric authmilter_signed_messages_total) "
	e2e_is "$got" "$want" "m1: StatsFile and the metrics agree"
}

scenario_m2() {
	local conf=$E2E_DIR/second.conf out rc port
	port=$(e2e_free_port)
	sed -e "s|^Socket .*|Socket inet:$port@127.0.0.1|" -e 's|^PidFile .*|PidFile|' \
	    -e 's|^StatsFile .*|StatsFile|' -e 's|^ReportStore .*|ReportStore|' \
	    "$E2E_DIR/authmilter.conf" > "$conf"
	out=$(timeout 20 "$E2E_AUTHMILTER" -f -c "$conf" 2>&1 < /dev/null)
	rc=$?
	e2e_is "$rc" 1 "m2: a second daemon on the same MetricsListen exits 1"
	e2e_like "$out" "MetricsListen 127\.0\.0\.1:$MPORT: cannot bind: Address already in use" \
	    "m2: the error names the address"
}

scenario_m3() {
	local conf=$E2E_DIR/remote.conf out rc
	printf 'TrustAnchorFile\nSyslog no\nStatsFile\nReportStore\nMetricsListen 192.0.2.1:9899\n' > "$conf"
	out=$("$E2E_AUTHMILTER" -n -c "$conf" 2>&1)
	rc=$?
	e2e_is "$rc" 1 "m3: -n refuses a non-loopback MetricsListen"
	e2e_like "$out" "remote\.conf:5: MetricsListen 192\.0\.2\.1:9899 is not a loopback address.*MetricsAllowRemote" \
	    "m3: FILE:LINE and the key that allows it"
	printf 'MetricsAllowRemote yes\n' >> "$conf"
	out=$("$E2E_AUTHMILTER" -n -c "$conf" 2>&1)
	e2e_is "$?:$out" "0:authmilter: configuration $conf OK" "m3: accepted with MetricsAllowRemote yes"
}

scenario_m4() {
	local conf=$E2E_DIR/nobody.conf log=$E2E_DIR/nobody.log pid sock mport low start out rc i
	sock=$(e2e_free_port)
	mport=$(e2e_free_port)
	printf 'Socket inet:%s@127.0.0.1\nUserID nobody\nTrustAnchorFile\nSyslog no\nStatsFile\nReportStore\nNameservers 127.0.0.1@%s\nMetricsListen 127.0.0.1:%s\n' \
	    "$sock" "$DNSPORT" "$mport" > "$conf"
	"$E2E_AUTHMILTER" -f -c "$conf" > "$log" 2>&1 < /dev/null &
	pid=$!
	E2E_PIDS="$E2E_PIDS $pid"
	for i in $(seq 100); do
		[ -n "$(ss -Htln "sport = :$mport")" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	e2e_like "$(ss -Htlne "sport = :$mport")" " uid:$(id -u nobody) " \
	    "m4: the endpoint's socket was opened as nobody (after the switch)" ||
	    e2e_show_file "$log" 10
	e2e_like "$(curl -sS --max-time 5 "http://127.0.0.1:$mport/metrics")" \
	    '^authmilter_connections_total 0$' "m4: it serves the metrics as nobody"
	e2e_stop_pid "$pid" "authmilter (nobody)" 10
	e2e_ok "m4: it stopped cleanly" grep -q 'authmilter stopping' "$log"
	start=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start 2>/dev/null || echo 1024)
	low=
	for i in $(seq 1000 1023); do
		[ "$i" -lt "$start" ] && [ -z "$(ss -Htan "sport = :$i")" ] && { low=$i; break; }
	done
	if [ -z "$low" ]; then
		e2e_skip "m4: a port below 1024 is refused" \
		    "ip_unprivileged_port_start is $start: any user may bind low ports here"
		return
	fi
	sed -i "s|^MetricsListen .*|MetricsListen 127.0.0.1:$low|" "$conf"
	out=$(timeout 20 "$E2E_AUTHMILTER" -f -c "$conf" 2>&1 < /dev/null)
	rc=$?
	e2e_is "$rc" 1 "m4: MetricsListen 127.0.0.1:$low (below 1024) stops the start as nobody"
	e2e_like "$out" "MetricsListen 127\.0\.0\.1:$low: cannot bind: Permission denied \(ports below 1024" \
	    "m4: the error says why"
}

scenario_m5() {
	e2e_stop_milter
	e2e_ok "m5: the daemon stopped cleanly" grep -q 'authmilter stopping' "$E2E_DIR/authmilter.log"
	e2e_is "$(ss -Htln "sport = :$MPORT")" "" "m5: the endpoint is closed"
}

want() { [ -z "${E2E_ONLY:-}" ] || case $E2E_ONLY in *"$1"*) true ;; *) false ;; esac; }

e2e_require
command -v curl >/dev/null 2>&1 || { echo "SKIP: curl not found (contrib/install-deps.sh installs it)"; exit 77; }
e2e_setup
e2e_watchdog "${E2E_DEADLINE:-110}"
if ! e2e_have_milter; then
	e2e_skip "metrics scenarios" "needs the authmilter daemon ($E2E_AUTHMILTER not built)"
	e2e_summary
	exit
fi
mkdir -p "$E2E_DIR/keys" "$E2E_DIR/dns"
mapfile -t KEYRRS < <(e2e_dkim_keys "$E2E_DIR/keys" dkim.example)
DNSPORT=$(testdns_start "$E2E_DIR/dns" \
    'pass.example. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"' \
    'soft.example. 300 IN TXT "v=spf1 ~all"' \
    'reject.example. 300 IN TXT "v=spf1 ip4:198.51.100.0/24 -all"' \
    '_dmarc.reject.example. 300 IN TXT "v=DMARC1; p=reject"' \
    'quar.example. 300 IN TXT "v=spf1 ip4:198.51.100.0/24 -all"' \
    '_dmarc.quar.example. 300 IN TXT "v=DMARC1; p=quarantine"' \
    'dkim.example. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"' \
    "${KEYRRS[@]}")
e2e_ok "unbound serves the test zone on 127.0.0.1:${DNSPORT:-?}" test -n "$DNSPORT" ||
    e2e_die "testdns_start failed"
MPORT=$(e2e_free_port)
e2e_ok "authmilter starts with MetricsListen 127.0.0.1:$MPORT" \
    e2e_start_milter "Nameservers 127.0.0.1@$DNSPORT" "MetricsListen 127.0.0.1:$MPORT" \
    "StatsInterval 1" "Domain dkim.example" "Selector rsa, ed" \
    "KeyFile $E2E_DIR/keys/rsa.key, $E2E_DIR/keys/ed.key" "SigningDaemons ORIGINATING" ||
    e2e_die "authmilter did not start"
# The milter socket is bound first; the endpoint opens once the runtime is
# built: wait for it.
for i in $(seq 100); do
	curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$MPORT/metrics" && break
	sleep 0.1
done
e2e_like "$(cat "$E2E_DIR/authmilter.log")" "metrics on http://127\.0\.0\.1:$MPORT/metrics" \
    "the log names the endpoint"
for m in m1 m2 m3 m4 m5; do
	want "$m" && "scenario_$m"
done
testdns_stop "$E2E_DIR/dns"
e2e_summary
