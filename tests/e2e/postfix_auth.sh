#!/bin/bash
# tests/e2e/postfix_auth.sh - SPF and DKIM verification by authmilter behind
# a real Postfix, resolving through a real unbound daemon on loopback
# (tests/testutil/testdns.sh) that serves the test domains. The client address is set
# with XCLIENT (libspf2 would pass any loopback client). Needs root.
#
#   s1. SPF pass: A-R spf=pass smtp.mailfrom=..., Received-SPF: pass
#   s2. SPF fail with SPFFailAction reject: 550 5.7.23 with the domain's
#       explanation, nothing delivered
#   s3. SPF softfail: accepted, spf=softfail in A-R and Received-SPF
#   s4. a message signed by dkimpy (RSA-2048 and Ed25519): one dkim=pass
#       entry per signature
#   s5. the same message with its body changed: dkim=fail for both
#   s6. a submission (the submission service has milter_macro_daemon_name=
#       ORIGINATING, listed in SigningDaemons) leaves with an RSA and an
#       Ed25519 DKIM-Signature that dkimpy verifies against the test DNS, and
#       without our Authentication-Results
# E2E_ONLY=s1s4 runs only those.

# shellcheck source=tests/e2e/lib.sh
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"
# shellcheck source=tests/testutil/testdns.sh
. "$top_srcdir/tests/testutil/testdns.sh"

ID=$E2E_AUTHSERV_ID
CLIENT=192.0.2.10

flat_headers() {
	printf '%s\n' "$E2E_MSG" | e2e_headers | tr -s ' \t' '  '
}
our_ar() { flat_headers | grep -Ei "^Authentication-Results: $ID;" | head -n 1; }

scenario_s1() {
	e2e_send plain --xclient-addr "$CLIENT" --from alice@spf-pass.example \
	    --header "Subject: e2e s1 spf pass"
	e2e_wait_message 10
	e2e_ok "s1: delivered" test -n "$E2E_MSG" || { e2e_show_transcript; return; }
	e2e_like "$(our_ar)" "spf=pass \(.*\) smtp.mailfrom=alice@spf-pass.example;" \
	    "s1: A-R spf=pass smtp.mailfrom" || e2e_show_file "$E2E_LAST_FILE" 30
	e2e_like "$(flat_headers | grep -m1 '^Received-SPF:')" \
	    "^Received-SPF: pass .*client-ip=$CLIENT;.*receiver=$ID; identity=mailfrom" \
	    "s1: Received-SPF pass with client-ip and identity"
}

scenario_s2() {
	local rc
	e2e_send plain --xclient-addr "$CLIENT" --from bob@spf-fail.example \
	    --header "Subject: e2e s2 spf fail"
	rc=$?
	e2e_not "s2: SPF fail refused (swaks exit $rc)" test "$rc" = 0
	e2e_ok "s2: 550 5.7.23 with the domain's explanation" \
	    e2e_transcript_has "^<\*\* 550 5\.7\.23 $CLIENT is not allowed by spf-fail\.example" ||
	    e2e_show_transcript
	e2e_not "s2: nothing delivered" e2e_wait_message 1
}

scenario_s3() {
	e2e_send plain --xclient-addr "$CLIENT" --from carol@spf-soft.example \
	    --header "Subject: e2e s3 softfail"
	e2e_wait_message 10
	e2e_ok "s3: softfail delivered" test -n "$E2E_MSG" || { e2e_show_transcript; return; }
	e2e_like "$(our_ar)" "spf=softfail .*smtp.mailfrom=carol@spf-soft.example" \
	    "s3: A-R spf=softfail"
	e2e_like "$(flat_headers | grep -m1 '^Received-SPF:')" "^Received-SPF: softfail " \
	    "s3: Received-SPF softfail"
}

# s4/s5: build the message by hand so its signed parts reach the milter
# unchanged (swaks --data sends it as is; Postfix adds only Received:).
scenario_s45() {
	local raw=$E2E_DIR/dkim-raw.eml signed=$E2E_DIR/dkim-signed.eml ar
	printf 'From: dave@dkim.example\r\nTo: %s\r\nSubject: e2e s4 dkim\r\nDate: %s\r\nX-E2E-Tag: e2e-dkim-s4\r\n\r\nSigned body line one.\r\nline two.\r\n' \
	    "$E2E_RCPT" "$(date -R)" > "$raw"
	e2e_ok "s4: dkimpy signed the message (RSA + Ed25519)" \
	    e2e_dkim_sign "$raw" "$signed" "$E2E_DIR/keys" dkim.example || return
	e2e_send plain --xclient-addr "$CLIENT" --from dave@dkim.example --data "$signed"
	e2e_wait_message 10 e2e-dkim-s4
	e2e_ok "s4: delivered" test -n "$E2E_MSG" || { e2e_show_transcript; return; }
	ar=$(our_ar)
	e2e_like "$ar" "dkim=pass \(2048-bit rsa key; unprotected\) header.d=dkim.example header.i=@dkim.example header.s=rsa header.a=rsa-sha256" \
	    "s4: dkim=pass for the RSA signature" || e2e_show_file "$E2E_LAST_FILE" 30
	e2e_like "$ar" "dkim=pass \(256-bit ed25519 key; unprotected\) header.d=dkim.example header.i=@dkim.example header.s=ed header.a=ed25519-sha256" \
	    "s4: dkim=pass for the Ed25519 signature"
	e2e_is "$(printf '%s\n' "$ar" | grep -o 'dkim=' | wc -l)" 2 "s4: one dkim= entry per signature"

	sed -e 's/^X-E2E-Tag: e2e-dkim-s4/X-E2E-Tag: e2e-dkim-s5/' \
	    -e 's/^line two\./line 2./' "$signed" > "$E2E_DIR/dkim-tampered.eml"
	e2e_send plain --xclient-addr "$CLIENT" --from dave@dkim.example --data "$E2E_DIR/dkim-tampered.eml"
	e2e_wait_message 10 e2e-dkim-s5
	ar=$(our_ar)
	e2e_like "$ar" "dkim=fail \(2048-bit rsa key; unprotected\) reason=\"body hash mismatch\" header.d=dkim.example header.i=@dkim.example header.s=rsa" \
	    "s5: changed body -> dkim=fail for the RSA signature" || e2e_show_file "$E2E_LAST_FILE" 30
	e2e_like "$ar" "dkim=fail \(256-bit ed25519 key; unprotected\) reason=\"body hash mismatch\" header.d=dkim.example header.i=@dkim.example header.s=ed" \
	    "s5: changed body -> dkim=fail for the Ed25519 signature"
}

# dkimpy_verify FILE: verify every DKIM-Signature of FILE, keys from the
# test resolver; prints one "selector=result" per signature.
dkimpy_verify() {
	e2e_dkim_verify "$1" "$DNSPORT"
}

scenario_s6() {
	local res
	e2e_send submission --from dave@dkim.example --header "Subject: e2e s6 signed submission"
	e2e_wait_message 10
	e2e_ok "s6: submission delivered" test -n "$E2E_MSG" || { e2e_show_transcript; return; }
	e2e_is "$(flat_headers | grep -c '^DKIM-Signature:')" 2 "s6: two DKIM-Signature headers" ||
	    e2e_show_file "$E2E_LAST_FILE" 30
	e2e_like "$(flat_headers | grep -m1 '^DKIM-Signature:')" "a=rsa-sha256;.* d=dkim.example;.* s=rsa;" \
	    "s6: the first signs with the RSA key"
	e2e_is "$(flat_headers | grep -Eic "^Authentication-Results: $ID;")" 0 \
	    "s6: no Authentication-Results on outbound mail"
	res=$(dkimpy_verify "$E2E_LAST_FILE" 2>&1 | sort | tr '\n' ' ')
	e2e_is "$res" "ed=pass rsa=pass " "s6: dkimpy verifies both signatures"
}

want() { [ -z "${E2E_ONLY:-}" ] || case $E2E_ONLY in *"$1"*) true ;; *) false ;; esac; }

e2e_require
e2e_setup
e2e_watchdog "${E2E_DEADLINE:-110}"
if ! e2e_have_milter; then
	e2e_skip "SPF and DKIM scenarios" "needs the authmilter daemon ($E2E_AUTHMILTER not built)"
	e2e_summary
	exit
fi
mkdir -p "$E2E_DIR/keys" "$E2E_DIR/dns"
mapfile -t KEYRRS < <(e2e_dkim_keys "$E2E_DIR/keys" dkim.example)
e2e_is "${#KEYRRS[@]}" 2 "test keys made (RSA-2048, Ed25519)"
DNSPORT=$(testdns_start "$E2E_DIR/dns" \
    'spf-pass.example. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"' \
    'spf-fail.example. 300 IN TXT "v=spf1 ip4:198.51.100.0/24 -all exp=why.spf-fail.example"' \
    'why.spf-fail.example. 300 IN TXT "%{i} is not allowed by %{d}"' \
    'spf-soft.example. 300 IN TXT "v=spf1 ~all"' \
    'dkim.example. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"' \
    "${KEYRRS[@]}")
e2e_ok "unbound serves the test zone on 127.0.0.1:${DNSPORT:-?}" test -n "$DNSPORT" ||
    e2e_die "testdns_start failed: $(tail -3 "$E2E_DIR/dns/unbound.log" 2>/dev/null)"
e2e_ok "authmilter starts (SPFFailAction reject, DNS on the test resolver)" \
    e2e_start_milter "Nameservers 127.0.0.1@$DNSPORT" "SPFFailAction reject" \
    "Domain dkim.example" "Selector rsa, ed" \
    "KeyFile $E2E_DIR/keys/rsa.key, $E2E_DIR/keys/ed.key" "SigningDaemons ORIGINATING" ||
    e2e_die "authmilter did not start"
want s1 && scenario_s1
want s2 && scenario_s2
want s3 && scenario_s3
{ want s4 || want s5; } && scenario_s45
want s6 && scenario_s6
e2e_ok "authmilter still running after all scenarios" kill -0 "$E2E_MILTER_PID"
testdns_stop "$E2E_DIR/dns"
e2e_summary
