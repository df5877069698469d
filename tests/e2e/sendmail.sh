#!/bin/bash
# shellcheck disable=SC2119
# tests/e2e/sendmail.sh - authmilter behind a real Sendmail 8.17 (Debian 12
# .debs unpacked, not installed; see sendmail_lib.sh) on 127.0.0.1, attached
# with contrib/sendmail/authmilter.mc, relaying to smtp-sink, driven with
# swaks; DNS from a real unbound on loopback (tests/testutil/testdns.sh). Run by
# `make check`; needs root (exit 77 otherwise).
#
#   m1. plain SMTP: exactly one A-R with our id, the first header, above
#       Sendmail's own Received:; Received-TLS "none" with Sendmail's
#       {daemon_port} and {daemon_name} (MTA); A-R x-tls=none
#   m2. forged A-R claiming our id (plain, folded, upper case, unparseable)
#       removed; other ids kept
#   m3. STARTTLS without a client certificate ({verify}=NO; the HELO
#       callback runs twice): "starttls" with the version, cipher and bits
#       Sendmail wrote in its Received:, client-cert=none; with a
#       self-signed client certificate ({verify}=FAIL) client-cert=unverified
#       with its DNs; authmilter logs under Sendmail's (new) queue id
#   m4. SMTPS (M=s) with a client certificate from the test CA
#       ({verify}=OK): "implicit", client-cert=verified, subject and issuer
#       decoded from xtext (full DNs), daemon=MTA-SSL
#   m5. SMTP AUTH (PLAIN over STARTTLS, sasldb): the submission leaves with
#       an RSA and an Ed25519 DKIM-Signature that dkimpy verifies against the
#       test DNS, and without our A-R
#   m6. DMARC p=reject failure: 550 5.7.1 at end of DATA, nothing relayed
#   m7. authmilter down: F=T -> 451 4.3.2, nothing relayed
# E2E_ONLY=m1m3 runs only those. Bounded by E2E_DEADLINE (default 110 s).

# shellcheck source=tests/e2e/lib.sh
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"
# shellcheck source=tests/e2e/sendmail_lib.sh
. "$E2E_LIB_DIR/sendmail_lib.sh"
# shellcheck source=tests/testutil/testdns.sh
. "$top_srcdir/tests/testutil/testdns.sh"

ID=$E2E_AUTHSERV_ID
ID_RE=${ID//./\\.}

flat_headers() { printf '%s\n' "$E2E_MSG" | e2e_headers | tr -s ' \t' '  '; }
our_ar() { flat_headers | grep -Ei "^Authentication-Results: $ID_RE;" | head -n 1; }
tls_header() { flat_headers | grep -Ei "^Received-TLS:.* receiver=\"?$ID_RE\"?( |$)" | head -n 1; }
sm_received() { flat_headers | grep -m1 "^Received: .* by $SM_MYHOSTNAME (8\."; }

# check_queue_id LABEL: authmilter's summary line carries the queue id of
# Sendmail's Received: (Sendmail assigns i before MAIL, and a new one after
# STARTTLS).
check_queue_id() {
	local qid
	qid=$(sm_received | sed -nE 's/.* with ESMTPS?A? id ([A-Za-z0-9]+).*/\1/p')
	e2e_ok "$1: authmilter logged the message under Sendmail's queue id ${qid:-?}" \
	    grep -q "^authmilter\[[0-9]*\]: $qid: client=" "$E2E_DIR/authmilter.log"
}

# send_and_wait MODE LABEL [SWAKS-ARGS]: send, require the relayed message.
send_and_wait() {
	local mode=$1 label=$2 rc
	shift 2
	e2e_send "$mode" --header "Subject: e2e $label" "$@"
	rc=$?
	e2e_is "$rc" 0 "$label: swaks succeeds" || e2e_show_transcript
	sm_wait_message 10
	e2e_ok "$label: message relayed to the sink" test -n "$E2E_MSG"
}

# check_our_ar_on_top LABEL: one A-R with our id, first header, above
# Sendmail's Received:.
check_our_ar_on_top() {
	local pfx=$1 hdrs ar_line rcv_line
	hdrs=$(printf '%s\n' "$E2E_MSG" | e2e_headers)
	e2e_is "$(printf '%s\n' "$hdrs" | e2e_count_ar_ours)" 1 "$pfx: exactly one Authentication-Results: $ID;" ||
	    e2e_show_file "$E2E_LAST_FILE" 40
	e2e_like "$(printf '%s\n' "$hdrs" | head -n 1)" "^Authentication-Results: $ID_RE;" \
	    "$pfx: our A-R is the first header"
	ar_line=$(printf '%s\n' "$hdrs" | grep -Ein -m1 "^Authentication-Results:[[:space:]]*${ID_RE}[[:space:]]*;" | cut -d: -f1)
	rcv_line=$(printf '%s\n' "$hdrs" | grep -En -m1 "^Received: .*[[:space:]]by $SM_MYHOSTNAME \(8\." | cut -d: -f1)
	e2e_ok "$pfx: our A-R (line ${ar_line:-none}) is above Sendmail's Received: (line ${rcv_line:-none})" \
	    test -n "$ar_line" -a -n "$rcv_line" -a "${ar_line:-0}" -lt "${rcv_line:-0}"
}

scenario_m1() {
	send_and_wait plain m1/plain || return
	check_our_ar_on_top m1
	e2e_like "$(tls_header)" "^Received-TLS: none port=$SM_PORT_SMTP daemon=MTA receiver=$ID_RE\$" \
	    "m1: Received-TLS none with Sendmail's daemon port and name" || e2e_show_file "$E2E_LAST_FILE" 30
	e2e_like "$(our_ar)" "x-tls=none" "m1: A-R x-tls=none"
	e2e_like "$(sm_received)" "with ESMTP id " "m1: Sendmail's Received: says ESMTP"
	check_queue_id m1
}

scenario_m2() {
	local other lookalike hdrs
	other="Authentication-Results: other.example.net; spf=pass smtp.mailfrom=example.com"
	lookalike="Authentication-Results: $ID.example.net; dkim=pass header.d=example.com"
	cat > "$E2E_DIR/forged.eml" <<EOF
Authentication-Results: $ID; spf=pass smtp.mailfrom=example.com
$other
From: Alice <alice@example.com>
To: Bob <$E2E_RCPT>
Subject: e2e m2 forged A-R
Date: Thu, 01 Jan 2026 00:00:00 +0000
Message-ID: <forged.$$@example.com>
X-E2E-Tag: e2e-sm-m2
Authentication-Results: $ID;
	dkim=pass header.d=example.com header.s=sel
Authentication-Results: ${ID^^}; dmarc=pass header.from=example.com
Authentication-Results: $ID spf=pass smtp.mailfrom=example.com
Authentication-Results: $ID; spf=pass (unterminated comment smtp.mailfrom=example.com
$lookalike
MIME-Version: 1.0
Content-Type: text/plain

Forged Authentication-Results test.
EOF
	e2e_send plain --data "@$E2E_DIR/forged.eml"
	e2e_is "$?" 0 "m2: swaks succeeds" || e2e_show_transcript
	sm_wait_message 10 e2e-sm-m2
	e2e_ok "m2: message relayed" test -n "$E2E_MSG" || return
	check_our_ar_on_top m2
	hdrs=$(printf '%s\n' "$E2E_MSG" | e2e_headers)
	e2e_is "$(printf '%s\n' "$hdrs" | grep -Eci "spf=pass smtp\.mailfrom=example\.com|dmarc=pass|header\.s=sel|unterminated")" 1 \
	    "m2: none of the forged results survive (only the other id's spf=pass)" ||
	    e2e_show_file "$E2E_LAST_FILE" 40
	e2e_is "$(printf '%s\n' "$hdrs" | grep -Fxc "$other")" 1 "m2: A-R from another authserv-id kept"
	e2e_is "$(printf '%s\n' "$hdrs" | grep -Fxc "$lookalike")" 1 "m2: A-R from a look-alike id kept"
	e2e_is "$(printf '%s\n' "$hdrs" | grep -ci '^Authentication-Results:')" 3 "m2: three A-R left"
}

scenario_m3() {
	local v c b
	send_and_wait starttls m3/starttls || return
	read -r v c b <<< "$(sm_received | sed -nE 's/.*\(version=(TLSv[0-9.]+) cipher=([A-Za-z0-9_-]+) bits=([0-9]+) verify=NO\).*/\1 \2 \3/p')"
	e2e_ok "m3: Sendmail's Received: shows the TLS session with verify=NO ($v $c $b)" test -n "$b" ||
	    e2e_show_file "$E2E_LAST_FILE" 30
	e2e_like "$(tls_header)" \
	    "^Received-TLS: starttls version=$v cipher=$c bits=$b client-cert=none port=$SM_PORT_SMTP daemon=MTA receiver=$ID_RE\$" \
	    "m3: Received-TLS starttls, same values, client-cert=none" || e2e_show_file "$E2E_LAST_FILE" 30
	e2e_like "$(our_ar)" "x-tls=pass smtp.version=$v smtp.cipher=$c smtp.bits=$b" \
	    "m3: A-R x-tls=pass with the same values"
	check_our_ar_on_top m3
	check_queue_id m3

	# an untrusted (self-signed) client certificate: {verify}=FAIL
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=stranger.example/O=No CA" \
	    -keyout "$E2E_DIR/tls/self.key" -out "$E2E_DIR/tls/self.pem" > /dev/null 2>&1
	send_and_wait starttls m3/self-signed --tls-cert "$E2E_DIR/tls/self.pem" \
	    --tls-key "$E2E_DIR/tls/self.key" || return
	e2e_like "$(sm_received)" "verify=FAIL" "m3: Sendmail did not verify the self-signed certificate" ||
	    e2e_show_file "$E2E_LAST_FILE" 30
	e2e_like "$(tls_header)" \
	    "^Received-TLS: starttls .* client-cert=unverified subject=\"/CN=stranger\.example/O=No CA\" issuer=\"/CN=stranger\.example/O=No CA\" port=$SM_PORT_SMTP daemon=MTA receiver=$ID_RE\$" \
	    "m3: {verify}=FAIL -> client-cert=unverified with the decoded DNs" || e2e_show_file "$E2E_LAST_FILE" 30
}

scenario_m4() {
	send_and_wait smtps m4/smtps-client-cert --tls-cert "$E2E_DIR/tls/client.pem" \
	    --tls-key "$E2E_DIR/tls/client.key" || return
	e2e_like "$(sm_received)" "verify=OK" "m4: Sendmail verified the client certificate" ||
	    e2e_show_file "$E2E_LAST_FILE" 30
	e2e_like "$(tls_header)" \
	    "^Received-TLS: implicit version=TLSv1\.[23] cipher=[A-Za-z0-9_-]+ bits=[0-9]+ client-cert=verified subject=\"/CN=client\.e2e\.test/O=E2E Client Org\" issuer=\"/CN=authmilter E2E Test CA\" port=$SM_PORT_SMTPS daemon=MTA-SSL receiver=$ID_RE\$" \
	    "m4: implicit, verified, DNs decoded from xtext, daemon MTA-SSL" || e2e_show_file "$E2E_LAST_FILE" 30
	check_our_ar_on_top m4
}

# dkimpy_verify FILE: one "selector=result" per DKIM-Signature, keys from
# the test resolver.
dkimpy_verify() {
	sm_strip_sink "$1" > "$1.relayed"
	e2e_dkim_verify "$1.relayed" "$DNSPORT"
}

scenario_m5() {
	local res
	send_and_wait starttls m5/auth --from dave@dkim.example --auth PLAIN \
	    --auth-user "$SM_SASL_USER" --auth-password "$SM_SASL_PASS" || return
	e2e_ok "m5: authenticated (235)" e2e_transcript_has '^<~  235 ' || e2e_show_transcript
	e2e_is "$(flat_headers | grep -c '^DKIM-Signature:')" 2 "m5: two DKIM-Signature headers" ||
	    e2e_show_file "$E2E_LAST_FILE" 30
	e2e_like "$(flat_headers | grep -m1 '^DKIM-Signature:')" "a=rsa-sha256;.* d=dkim.example;.* s=rsa;" \
	    "m5: the first signs with the RSA key"
	e2e_is "$(flat_headers | grep -Eic "^Authentication-Results: $ID_RE;")" 0 \
	    "m5: no Authentication-Results on outbound mail"
	res=$(dkimpy_verify "$E2E_LAST_FILE" 2>&1 | sort | tr '\n' ' ')
	e2e_is "$res" "ed=pass rsa=pass " "m5: dkimpy verifies both signatures (RSA, Ed25519)"
}

scenario_m6() {
	printf 'From: alice@reject.example\r\nTo: %s\r\nSubject: e2e m6\r\nDate: %s\r\nX-E2E-Tag: e2e-sm-m6\r\n\r\nbody\r\n' \
	    "$E2E_RCPT" "$(date -R)" > "$E2E_DIR/m6.eml"
	e2e_send plain --from alice@reject.example --data "$E2E_DIR/m6.eml"
	e2e_ok "m6: DMARC p=reject failure refused with 550 5.7.1" \
	    e2e_transcript_has '^<\*\* 550 5\.7\.1 .*reject\.example' || e2e_show_transcript
	e2e_not "m6: nothing relayed" sm_wait_message 1 e2e-sm-m6
}

scenario_m7() {
	local rc n
	e2e_stop_milter
	n=$(wc -l < "$E2E_DIR/maillog")
	e2e_send plain --header "Subject: e2e m7 milter down"
	rc=$?
	e2e_not "m7: swaks fails when authmilter is down (exit $rc)" test "$rc" = 0
	e2e_ok "m7: Sendmail answers 451 4.3.2 (F=T)" e2e_transcript_has '^<\*\* 451 4\.3\.2 ' ||
	    e2e_show_transcript
	e2e_ok "m7: Sendmail logged the failed milter connection" \
	    sh -c "tail -n +$((n + 1)) '$E2E_DIR/maillog' | grep -Eq 'Milter \\(authmilter\\): error connecting to filter'"
	e2e_not "m7: nothing relayed" sm_wait_message 1
}

want() { [ -z "${E2E_ONLY:-}" ] || case $E2E_ONLY in *"$1"*) true ;; *) false ;; esac; }

T0=$(date +%s)
sm_setup
e2e_watchdog "${E2E_DEADLINE:-110}"
e2e_ok "Sendmail $(sed -nE 's/.*starting daemon \(([0-9.]+)\).*/\1/p' "$E2E_DIR/maillog" | head -n 1) listens on 127.0.0.1:$SM_PORT_SMTP and :$SM_PORT_SMTPS" \
    test -n "$SM_PID"
if ! e2e_have_milter; then
	e2e_skip "Sendmail scenarios" "needs the authmilter daemon ($E2E_AUTHMILTER not built)"
	e2e_summary
	exit
fi
mkdir -p "$E2E_DIR/keys" "$E2E_DIR/dns"
mapfile -t KEYRRS < <(e2e_dkim_keys "$E2E_DIR/keys" dkim.example)
DNSPORT=$(testdns_start "$E2E_DIR/dns" \
    'reject.example. 300 IN TXT "v=spf1 ip4:198.51.100.0/24 -all"' \
    '_dmarc.reject.example. 300 IN TXT "v=DMARC1; p=reject"' \
    "${KEYRRS[@]}")
e2e_ok "unbound serves the test zone on 127.0.0.1:${DNSPORT:-?}" test -n "$DNSPORT" ||
    e2e_die "testdns_start failed"
e2e_ok "authmilter starts (DNS on the test resolver, signing keys for dkim.example)" \
    e2e_start_milter "Nameservers 127.0.0.1@$DNSPORT" "Domain dkim.example" "Selector rsa, ed" \
    "KeyFile $E2E_DIR/keys/rsa.key, $E2E_DIR/keys/ed.key" ||
    e2e_die "authmilter did not start (E2E_KEEP=1 keeps $E2E_DIR/authmilter.log)"
for m in m1 m2 m3 m4 m5 m6; do
	want "$m" && "scenario_$m"
done
e2e_ok "authmilter still running after all scenarios" kill -0 "$E2E_MILTER_PID"
want m7 && scenario_m7
sleep 0.5
e2e_is "$(find "$E2E_DIR/sendmail/queue" -type f -name 'qf*' | wc -l)" 0 \
    "Sendmail's queue empty: nothing deferred"
testdns_stop "$E2E_DIR/dns"
e2e_diag "runtime $(($(date +%s) - T0)) s"
e2e_summary
