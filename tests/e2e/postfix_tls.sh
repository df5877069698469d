#!/bin/bash
# tests/e2e/postfix_tls.sh - TLS status recorded by authmilter behind a real
# Postfix (issue: TLS status and policy). Needs root; exit 77 otherwise.
#
#   t1. plaintext: Received-TLS "none ... port=P", A-R "x-tls=none"
#   t2. STARTTLS: "starttls" with the protocol, cipher and bits Postfix
#       logged for the session, client-cert=none
#   t3. implicit TLS (smtps port): "implicit"
#   t4. a client certificate signed by the test CA (smtpd_tls_ask_ccert=yes)
#       -> client-cert=verified with its CN and the issuer CN
#   t5. RequireTLS port=<submission>: plaintext refused at MAIL FROM with
#       530 5.7.0; the same message over STARTTLS is delivered
#   t6. a Received-TLS header claiming our receiver= is removed, another
#       receiver's is kept
# E2E_ONLY=t1t3 runs only those.

# shellcheck source=tests/e2e/lib.sh
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"

ID=$E2E_AUTHSERV_ID

# flat_headers: the last delivered message's headers, unfolded, each run of
# white space (incl. the tab a fold leaves) squeezed to one space.
flat_headers() {
	printf '%s\n' "$E2E_MSG" | e2e_headers | tr -s ' \t' '  '
}

# tls_header: our Received-TLS line of the last delivered message.
tls_header() {
	flat_headers | grep -Ei "^Received-TLS:.* receiver=\"?$ID\"?( |$)" | head -n 1
}

# Postfix's default {daemon_name} is $myhostname.
DAEMON=$E2E_MYHOSTNAME

# send_and_wait MODE LABEL [SWAKS-ARGS]: send, require delivery.
send_and_wait() {
	local mode=$1 label=$2 rc
	shift 2
	e2e_send "$mode" --header "Subject: e2e $label" "$@"
	rc=$?
	e2e_is "$rc" 0 "$label: swaks succeeds" || e2e_show_transcript
	e2e_wait_message 10
	e2e_ok "$label: message delivered" test -n "$E2E_MSG"
}

# logged_tls: "VERSION CIPHER BITS" from the last "TLS connection
# established" line in Postfix's log (smtpd_tls_loglevel=1).
logged_tls() {
	sed -nE 's/.*TLS connection established from .*: (TLSv[0-9.]+) with cipher ([A-Za-z0-9_-]+) \(([0-9]+)\/[0-9]+ bits\).*/\1 \2 \3/p' \
	    "$E2E_DIR/maillog" | tail -n 1
}

scenario_t1() {
	send_and_wait plain t1/plain || return
	e2e_like "$(tls_header)" "^Received-TLS: none port=$E2E_PORT_SMTP daemon=$DAEMON receiver=$ID\$" \
	    "t1: Received-TLS says none and the port" || e2e_show_file "$E2E_LAST_FILE" 30
	e2e_like "$(flat_headers | head -n 1)" \
	    "^Authentication-Results: $ID; (.*; )?x-tls=none\$" "t1: A-R says x-tls=none"
}

scenario_t2() {
	local v c b
	send_and_wait starttls t2/starttls || return
	read -r v c b <<< "$(logged_tls)"
	e2e_ok "t2: Postfix logged the TLS session ($v $c $b)" test -n "$b"
	e2e_like "$(tls_header)" \
	    "^Received-TLS: starttls version=$v cipher=$c bits=$b client-cert=none port=$E2E_PORT_SMTP daemon=$DAEMON receiver=$ID\$" \
	    "t2: Received-TLS matches what Postfix logged" || e2e_show_file "$E2E_LAST_FILE" 30
	e2e_like "$(flat_headers | head -n 1)" \
	    "x-tls=pass smtp.version=$v smtp.cipher=$c smtp.bits=$b\$" "t2: A-R x-tls=pass with the same values"
}

scenario_t3() {
	send_and_wait smtps t3/smtps || return
	e2e_like "$(tls_header)" \
	    "^Received-TLS: implicit version=TLSv1\.[23] cipher=[A-Za-z0-9_-]+ bits=[0-9]+ client-cert=none port=$E2E_PORT_SMTPS daemon=$DAEMON receiver=$ID\$" \
	    "t3: Received-TLS says implicit on the smtps port" || e2e_show_file "$E2E_LAST_FILE" 30
}

scenario_t4() {
	e2e_postconf smtpd_tls_ask_ccert=yes || e2e_die "Postfix restart failed"
	send_and_wait starttls t4/client-cert --tls-cert "$E2E_DIR/tls/client.pem" \
	    --tls-key "$E2E_DIR/tls/client.key" || return
	e2e_like "$(tls_header)" \
	    "client-cert=verified subject=client\.e2e\.test issuer=\"authmilter E2E Test CA\" port=" \
	    "t4: verified client certificate with its CN and issuer" || e2e_show_file "$E2E_LAST_FILE" 30
	e2e_postconf smtpd_tls_ask_ccert=no || e2e_die "Postfix restart failed"
}

scenario_t5() {
	local rc
	e2e_send submission --header "Subject: e2e t5 plaintext submission"
	rc=$?
	e2e_not "t5: plaintext submission refused (swaks exit $rc)" test "$rc" = 0
	e2e_ok "t5: 530 5.7.0 Must issue a STARTTLS command first" \
	    e2e_transcript_has '^<\*\* 530 5\.7\.0 Must issue a STARTTLS command first' ||
	    e2e_show_transcript
	e2e_not "t5: nothing delivered" e2e_wait_message 1
	send_and_wait submission-tls t5/submission-starttls || return
	e2e_like "$(tls_header)" "^Received-TLS: starttls .* port=$E2E_PORT_SUBMISSION daemon=ORIGINATING receiver=$ID\$" \
	    "t5: same message over STARTTLS delivered, daemon name recorded"
}

scenario_t6() {
	send_and_wait plain t6/forged \
	    --add-header "Received-TLS: implicit version=TLSv1.3 receiver=$ID" \
	    --add-header "Received-TLS: starttls version=TLSv1.2 receiver=relay.other.example" || return
	local hdrs
	hdrs=$(flat_headers)
	e2e_is "$(printf '%s\n' "$hdrs" | grep -Eic "^Received-TLS:.*receiver=$ID\$")" 1 \
	    "t6: only our own Received-TLS with our receiver= remains"
	e2e_like "$(tls_header)" "^Received-TLS: none " "t6: and it is ours (none), not the forged one"
	e2e_is "$(printf '%s\n' "$hdrs" | grep -c 'receiver=relay.other.example')" 1 \
	    "t6: another receiver's Received-TLS is kept"
}

want() { [ -z "${E2E_ONLY:-}" ] || case $E2E_ONLY in *"$1"*) true ;; *) false ;; esac; }

e2e_require
e2e_setup
e2e_watchdog "${E2E_DEADLINE:-110}"
if ! e2e_have_milter; then
	e2e_skip "TLS status scenarios" "needs the authmilter daemon ($E2E_AUTHMILTER not built)"
	e2e_summary
	exit
fi
e2e_ok "authmilter starts with a RequireTLS rule" \
    e2e_start_milter "RequireTLS port=$E2E_PORT_SUBMISSION" ||
    e2e_die "authmilter did not start (E2E_KEEP=1 keeps $E2E_DIR/authmilter.log)"
for t in t1 t2 t3 t4 t5 t6; do
	want "$t" && "scenario_$t"
done
e2e_ok "authmilter still running after all scenarios" kill -0 "$E2E_MILTER_PID"
e2e_summary
