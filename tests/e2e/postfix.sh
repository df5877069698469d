#!/bin/bash
# shellcheck disable=SC2119
# tests/e2e/postfix.sh - authmilter behind a real (throwaway) Postfix 3.7 on
# 127.0.0.1, driven with swaks. Run by `make check`; needs root (exit 77
# otherwise). See tests/e2e/README for running it by hand and E2E_KEEP.
#
#   a. milter down: milter_default_action=tempfail -> 4xx; =accept -> the
#      message is delivered without our Authentication-Results.
#   b. milter up: exactly one "Authentication-Results: <our id>;" and it is
#      the first header, above Postfix's own Received:.
#   c. forged A-R headers claiming our authserv-id (any case, folded,
#      unparseable) are removed; A-R from other authserv-ids are kept.
#   d. b over STARTTLS and over implicit TLS (smtps port).
#   e. a header of 99 KB on one line: delivered with our A-R on top and a
#      log line (Postfix 3.7 cuts one header at 60000 bytes whatever
#      header_size_limit says, measured, so it stays under libmilter's 64 KiB
#      packet; tests/e2e/milter_proto.sh sends the 100 KB one that used to
#      drop the milter connection).
#   Then authmilterctl stats (StatsInterval 1) counts the messages b-e sent.
# b-e need milter/authmilter; without the binary they are reported as SKIP.
#
# Prints TAP-style "ok N - ..." lines and "N passed, M failed"; exits 0 when
# everything passed, 1 otherwise. Bounded by E2E_DEADLINE seconds (default 110).
# E2E_ONLY=bc (any of the letters a-e) runs only those scenarios.

# shellcheck source=tests/e2e/lib.sh
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"

ID=$E2E_AUTHSERV_ID
E2E_CTL=$top_builddir/milter/authmilterctl
SENT=0                              # messages sent while the milter is up
ID_RE=${ID//./\\.}

# check_our_ar_on_top DESC-PREFIX: the delivered message of the last send
# carries exactly one A-R with our authserv-id, it is the first header, and it
# comes before Postfix's own Received: header. Uses $MSG.
check_our_ar_on_top() {
	local pfx=$1 hdrs first n_ours ar_line rcv_line
	hdrs=$(printf '%s\n' "$MSG" | e2e_headers)
	first=$(printf '%s\n' "$hdrs" | head -n 1)
	n_ours=$(printf '%s\n' "$hdrs" | e2e_count_ar_ours)
	e2e_is "$n_ours" 1 "$pfx: exactly one Authentication-Results: $ID;" ||
	    e2e_show_file "$E2E_LAST_FILE" 40
	e2e_like "$first" "^Authentication-Results: $ID_RE;" \
	    "$pfx: our A-R is the first header of the delivered message"
	ar_line=$(printf '%s\n' "$hdrs" | grep -Ein -m1 "^Authentication-Results:[[:space:]]*${ID_RE}[[:space:]]*;" | cut -d: -f1)
	rcv_line=$(printf '%s\n' "$hdrs" | grep -En -m1 "^Received: .*[[:space:]]by $E2E_MYHOSTNAME \(Postfix\)" | cut -d: -f1)
	e2e_ok "$pfx: our A-R (line ${ar_line:-none}) is above Postfix's Received: (line ${rcv_line:-none})" \
	    test -n "$ar_line" -a -n "$rcv_line" -a "${ar_line:-0}" -lt "${rcv_line:-0}"
}

# ------------------------------------------------------------------------ a
scenario_a() {
	local rc
	e2e_diag "a. milter down, milter_default_action=tempfail"
	e2e_send plain --header "Subject: e2e a1 milter down tempfail"
	rc=$?
	e2e_not "a1: swaks fails when the milter is down (exit $rc)" test "$rc" = 0
	e2e_ok "a1: Postfix answers 451 4.7.1 (milter_default_action=tempfail)" \
	    e2e_transcript_has '^<\*\* 451 4\.7\.1 ' || e2e_show_transcript
	e2e_ok "a1: maillog shows the failed milter connection" \
	    e2e_maillog_has "connect to Milter service inet:127\.0\.0\.1:$E2E_PORT_MILTER: Connection refused"
	e2e_not "a1: nothing delivered" e2e_wait_message 1

	e2e_diag "a. milter down, milter_default_action=accept"
	e2e_postconf milter_default_action=accept || e2e_die "Postfix restart failed"
	e2e_send plain --header "Subject: e2e a2 milter down accept"
	rc=$?
	e2e_is "$rc" 0 "a2: swaks succeeds with milter_default_action=accept" || e2e_show_transcript
	e2e_wait_message 10
	MSG=$E2E_MSG
	e2e_ok "a2: message delivered" test -n "$MSG"
	e2e_is "$(printf '%s\n' "$MSG" | e2e_headers | grep -ci '^Authentication-Results:')" 0 \
	    "a2: delivered without any Authentication-Results"
	e2e_like "$(printf '%s\n' "$MSG" | e2e_headers | head -n 1)" \
	    "^Received: from $E2E_HELO .*[[:space:]]by $E2E_MYHOSTNAME \(Postfix\)" \
	    "a2: first header is Postfix's Received: (the delivery adds nothing on top)"

	# Back to the default: from here on a milter failure shows as a failure.
	e2e_postconf milter_default_action=tempfail || e2e_die "Postfix restart failed"
}

# ------------------------------------------------------------------------ b
scenario_b() {
	local rc
	e2e_diag "b. plain SMTP, inbound (127.0.0.1 is not in InternalHosts)"
	e2e_send plain --header "Subject: e2e b plain"
	rc=$?
	SENT=$((SENT + 1))
	e2e_is "$rc" 0 "b: swaks succeeds" || e2e_show_transcript
	e2e_wait_message 10
	MSG=$E2E_MSG
	if e2e_ok "b: message delivered" test -n "$MSG"; then
		check_our_ar_on_top b
		e2e_is "$(printf '%s\n' "$MSG" | e2e_headers | grep -ci '^Authentication-Results:')" 1 \
		    "b: no other Authentication-Results header"
	fi
}

# ------------------------------------------------------------------------ c
scenario_c() {
	local rc hdrs other lookalike
	e2e_diag "c. forged Authentication-Results"
	# Header order as sent: five headers that claim our authserv-id (plain,
	# a second one folded over two lines, upper case, two unparseable ones
	# naming us), one from another authserv-id and one whose id merely starts
	# with ours (both must be kept, byte for byte).
	other="Authentication-Results: other.example.net; spf=pass smtp.mailfrom=example.com"
	lookalike="Authentication-Results: $ID.example.net; dkim=pass header.d=example.com"
	cat > "$E2E_DIR/forged.eml" <<EOF
Authentication-Results: $ID; spf=pass smtp.mailfrom=example.com
$other
From: Alice <alice@example.com>
To: Bob <$E2E_RCPT>
Subject: e2e c forged A-R
Date: Thu, 01 Jan 2026 00:00:00 +0000
Message-ID: <forged.$$@example.com>
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
	rc=$?
	SENT=$((SENT + 1))
	e2e_is "$rc" 0 "c: swaks succeeds" || e2e_show_transcript
	e2e_wait_message 10
	MSG=$E2E_MSG
	e2e_ok "c: message delivered" test -n "$MSG" || return
	check_our_ar_on_top c
	hdrs=$(printf '%s\n' "$MSG" | e2e_headers)
	e2e_is "$(printf '%s\n' "$hdrs" | grep -Eci "spf=pass smtp\.mailfrom=example\.com|dmarc=pass|header\.s=sel|unterminated")" 1 \
	    "c: none of the forged results survive (only the other id's spf=pass)" ||
	    e2e_show_file "$E2E_LAST_FILE" 40
	e2e_is "$(printf '%s\n' "$hdrs" | grep -Fxc "$other")" 1 \
	    "c: A-R from another authserv-id kept unchanged"
	e2e_is "$(printf '%s\n' "$hdrs" | grep -Fxc "$lookalike")" 1 \
	    "c: A-R from a look-alike authserv-id ($ID.example.net) kept unchanged"
	e2e_is "$(printf '%s\n' "$hdrs" | grep -ci '^Authentication-Results:')" 3 \
	    "c: three A-R left (ours, other, look-alike)"
	e2e_ok "c: the message body arrives intact" \
	    grep -q '^Forged Authentication-Results test\.' "$E2E_LAST_FILE"
}

# ------------------------------------------------------------------------ d
# scenario_d_one MODE LABEL: one TLS delivery (e2e_send MODE).
scenario_d_one() {
	local mode=$1 label=$2 rc
	e2e_send "$mode" --header "Subject: e2e d $mode"
	rc=$?
	SENT=$((SENT + 1))
	e2e_is "$rc" 0 "$label: swaks succeeds" || e2e_show_transcript
	e2e_ok "$label: TLS was negotiated" e2e_transcript_has '^=== TLS started' ||
	    e2e_show_transcript
	e2e_wait_message 10
	MSG=$E2E_MSG
	e2e_ok "$label: message delivered" test -n "$MSG" || return
	check_our_ar_on_top "$label"
	e2e_like "$(printf '%s\n' "$MSG" | e2e_headers | grep -m1 '^Received:')" 'with ESMTPS' \
	    "$label: Postfix's Received: says ESMTPS"
}
scenario_d() {
	e2e_diag "d. STARTTLS on the SMTP port"
	scenario_d_one starttls d/starttls
	e2e_diag "d. implicit TLS on the smtps port"
	scenario_d_one smtps d/smtps
}

# ------------------------------------------------------------------------ e
scenario_e() {
	local rc qid
	e2e_diag "e. a 99 KB header (over libmilter's default 64 KiB packet)"
	{
		printf 'From: Alice <alice@example.com>\r\nTo: %s\r\n' "$E2E_RCPT"
		printf 'Subject: e2e e big header\r\nX-Big: '
		printf '%099000d\r\n' 0
		printf '\r\nBig header test.\r\n'
	} > "$E2E_DIR/bigheader.eml"
	e2e_send plain --data "@$E2E_DIR/bigheader.eml"
	rc=$?
	SENT=$((SENT + 1))
	e2e_is "$rc" 0 "e: swaks succeeds (not the milter_default_action 4xx)" ||
	    e2e_show_transcript
	e2e_wait_message 10
	MSG=$E2E_MSG
	e2e_ok "e: message delivered" test -n "$MSG" || return
	check_our_ar_on_top e
	e2e_ok "e: the header arrives (at least the 60000 bytes Postfix keeps)" \
	    test "$(grep '^X-Big: ' "$E2E_LAST_FILE" | wc -c)" -ge 59000
	qid=$(e2e_headers "$E2E_LAST_FILE" |
	    sed -n 's/^Received: .* with E*SMTP id \([0-9A-F]*\).*/\1/p' | head -n 1)
	e2e_ok "e: authmilter logged the message ($qid), accepted" \
	    grep -Eq ": ${qid:-none}: client=.* action=accept " "$E2E_DIR/authmilter.log" ||
	    e2e_show_file "$E2E_DIR/authmilter.log" 10
}

# stats_counted N: within ~5 s, authmilterctl stats succeeds (a fresh
# snapshot) and its messages counter is at least N.
stats_counted() {
	local i out n=
	for i in $(seq 50); do
		if out=$("$E2E_CTL" -c "$E2E_DIR/authmilter.conf" stats 2>&1); then
			n=$(printf '%s\n' "$out" | awk '$1 == "messages" { print $2 }')
			[ "${n:-0}" -ge "$1" ] && return 0
		fi
		sleep 0.1
	done
	e2e_diag "  authmilterctl stats: messages ${n:-none}, want >= $1; it said:"
	printf '%s\n' "$out" | head -5 | sed 's/^/#   /'
	return 1
}

# ---------------------------------------------------------------------- main
want() { [ -z "${E2E_ONLY:-}" ] || case $E2E_ONLY in *"$1"*) true ;; *) false ;; esac; }

e2e_require
e2e_setup
e2e_watchdog "${E2E_DEADLINE:-110}"

want a && scenario_a

if want b || want c || want d || want e; then
	if ! e2e_have_milter; then
		# Not built (run by hand before `make`): make check always builds it.
		why="needs the authmilter daemon ($E2E_AUTHMILTER not built)"
		want b && e2e_skip "b: one A-R with our id, first header" "$why"
		want c && e2e_skip "c: forged A-R with our id removed, others kept" "$why"
		want d && e2e_skip "d: STARTTLS and implicit TLS delivery with our A-R" "$why"
		want e && e2e_skip "e: a 99 KB header answered" "$why"
	else
		e2e_ok "authmilter starts and listens on 127.0.0.1:$E2E_PORT_MILTER" \
		    e2e_start_milter "StatsInterval 1" ||
		    e2e_die "authmilter did not start (E2E_KEEP=1 keeps $E2E_DIR/authmilter.log)"
		want b && scenario_b
		want c && scenario_c
		want d && scenario_d
		want e && scenario_e
		e2e_ok "authmilterctl stats: messages >= $SENT (the messages sent)" \
		    stats_counted "$SENT"
		e2e_ok "authmilter still running after all scenarios" kill -0 "$E2E_MILTER_PID"
	fi
fi

e2e_is "$(find "$E2E_DIR/queue/incoming" "$E2E_DIR/queue/active" "$E2E_DIR/queue/deferred" \
    "$E2E_DIR/queue/hold" -type f | wc -l)" 0 "Postfix queue empty: nothing deferred or held"

e2e_summary
