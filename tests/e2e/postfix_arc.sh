#!/bin/bash
# tests/e2e/postfix_arc.sh - ARC (RFC 8617) through a real Postfix, DNS from
# a real unbound on loopback, client address by XCLIENT, ARC sets made and
# checked by dkimpy (/usr/bin/python3: dkim.arc_sign, dkim.arc_verify).
# Needs root.
#
# The author's message (From: carol@author.example, p=reject, DKIM-signed
# by dkimpy) goes through a mailing list that tags the subject, adds List-Id
# and a footer (the signature breaks; SPF fails: the list's address is not
# the author's), records what it verified on arrival and seals (dkimpy
# arc_sign, as the list's outgoing MTA would). authmilter has
# ARCTrustedSealers lists.example and ARCSeal yes (key arc of mx.e2e.test).
#
#   r1. sealed by the TRUSTED list: delivered, our A-R says arc=pass (i=1)
#       (a chain dkimpy sealed validates here), dkim=fail, and dmarc=fail
#       with dis=none override=local_policy "arc=pass as.d=lists.example
#       ..."; the log line says override=local_policy
#   r2. r1's message as delivered carries our own ARC set (i=2, cv=pass)
#       above our A-R, recording it; dkimpy's arc_verify says pass
#   r3. the same message sealed by an UNTRUSTED list: 550 5.7.1
#   r4. a message without ARC is sealed i=1 cv=none, dkimpy verifies it
#   r5. after the daemon stops, authmilterctl report export: the row of r1
#       has reason local_policy with the arc comment, and the report
#       validates against the RFC 7489 schema
# E2E_ONLY=r1r3 runs only those.

# shellcheck source=tests/e2e/lib.sh
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"
# shellcheck source=tests/testutil/testdns.sh
. "$top_srcdir/tests/testutil/testdns.sh"

ID=$E2E_AUTHSERV_ID
CLIENT=192.0.2.30
CONFORMANCE=${AM_CONFORMANCE:-$top_srcdir/tests/conformance}
E2E_CTL=$top_builddir/milter/authmilterctl

flat_headers() { printf '%s\n' "$E2E_MSG" | e2e_headers | tr -s ' \t' '  '; }
our_ar() { flat_headers | grep -Ei "^Authentication-Results: $ID;" | head -n 1; }

# arc_key DIR NAME DOMAIN: an RSA-2048 key DIR/NAME.key (mode 0600) for
# selector arc; prints its TXT RR.
arc_key() {
	local p
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	    -out "$1/$2.key" 2>/dev/null || return 1
	chmod 600 "$1/$2.key"
	p=$(openssl pkey -in "$1/$2.key" -pubout -outform DER 2>/dev/null | base64 -w0)
	printf 'arc._domainkey.%s. 300 IN TXT "v=DKIM1; k=rsa; " "p=%s" "%s"\n' \
	    "$3" "${p:0:200}" "${p:200}"
}

# arc_py MODE ...: dkimpy's ARC through the test resolver.
#   arc_py sign IN OUT KEY DOMAIN SRV-ID   seal IN (selector arc) into OUT
#   arc_py verify FILE                      print "cv reason"
arc_py() {
	/usr/bin/python3 - "$DNSPORT" "$@" <<'PYEOF'
import sys, dkim, dns.resolver
port, mode = int(sys.argv[1]), sys.argv[2]
r = dns.resolver.Resolver(configure=False)
r.nameservers = ['127.0.0.1']
r.port = port
def txt(name, timeout=5):
    try:
        ans = r.resolve(name.decode().rstrip('.'), 'TXT')
    except Exception:
        return None
    return b''.join(b''.join(rr.strings) for rr in ans)
def crlf(b):
    return b.replace(b'\r\n', b'\n').replace(b'\n', b'\r\n')
if mode == 'verify':
    cv, res, why = dkim.arc_verify(crlf(open(sys.argv[3], 'rb').read()), dnsfunc=txt)
    print('%s %s' % (cv.decode() if cv else 'none', why))
else:
    src, dst, key, dom, srv = sys.argv[3:8]
    msg = crlf(open(src, 'rb').read())
    s = dkim.arc_sign(msg, b'arc', dom.encode(), open(key, 'rb').read(),
        srv.encode(), include_headers=[b'from', b'to', b'subject', b'date',
        b'message-id', b'list-id'])
    if not s:
        sys.exit(1)
    open(dst, 'wb').write(b''.join(s) + msg)
PYEOF
}

# listed LIST OUT SCENARIO: the signed message as LIST (lists.example or
# evil-list.example) passes it on: subject tag, List-Id, footer, the
# results it verified on arrival, its seal.
listed() {
	local list=$1 out=$2 tmp=$E2E_DIR/$1.tmp	# $3: its X-E2E-Tag
	{
		printf 'Authentication-Results: %s; arc=none;\r\n' "$list"
		printf ' spf=pass smtp.mailfrom=carol@author.example;\r\n'
		printf ' dkim=pass header.d=author.example header.s=rsa;\r\n'
		printf ' dmarc=pass header.from=author.example\r\n'
		printf 'List-Id: <talk.%s>\r\n' "$list"
		sed -e 's/^Subject: /Subject: [talk] /' -e "s/^X-E2E-Tag: e2e-r1/X-E2E-Tag: e2e-$3/" \
		    -e '$a\' "$E2E_DIR/signed.eml"
		printf -- '-- \r\ntalk mailing list\r\n'
	} > "$tmp"
	arc_py sign "$tmp" "$out" "$E2E_DIR/keys/$list.key" "$list" "$list"
}

send_file() {
	e2e_send plain --xclient-addr "$CLIENT" --from "talk-bounces@$2" --data "$1"
}

scenario_r1() {
	e2e_ok "r1: the trusted list sealed the message (dkimpy arc_sign)" \
	    listed lists.example "$E2E_DIR/r1.eml" r1 || return
	send_file "$E2E_DIR/r1.eml" lists.example
	e2e_wait_message 10 e2e-r1 || true
	e2e_ok "r1: delivered" test -n "$E2E_MSG" || { e2e_show_transcript; return; }
	e2e_like "$(our_ar)" "arc=pass \(i=1\) header\.oldest-pass=0 smtp\.remote-ip=$CLIENT;" \
	    "r1: the chain dkimpy sealed is arc=pass in our A-R" || e2e_show_file "$E2E_LAST_FILE" 40
	e2e_like "$(our_ar)" "dkim=fail \([^)]*\) reason=\"[^\"]*\" header\.d=author\.example" \
	    "r1: the list broke the author's signature"
	e2e_like "$(our_ar)" "dmarc=fail \(p=reject sp=reject dis=none override=local_policy arc=pass as\.d=lists\.example as\.s=arc i=1 (dkim|spf|dmarc)=pass [^)]*\) header\.from=author\.example" \
	    "r1: dmarc=fail, not applied: local_policy, the trusted sealer named"
	e2e_ok "r1: the log line says override=local_policy" \
	    grep -Eq "dmarc=fail\(author\.example p=reject dis=none override=local_policy\)" "$E2E_DIR/authmilter.log"
	cp "$E2E_LAST_FILE" "$E2E_DIR/r1.delivered"
}

scenario_r2() {
	local f=$E2E_DIR/r1.delivered first
	[ -f "$f" ] || { e2e_ok "r2: needs r1's message" false; return; }
	E2E_MSG=$(cat "$f")
	first=$(flat_headers | head -n 1)
	e2e_like "$first" "^ARC-Seal: .*cv=pass; d=mx\.e2e\.test; i=2;" "r2: our ARC-Seal i=2 cv=pass is the first header"
	e2e_like "$(flat_headers | sed -n 2p)" "^ARC-Message-Signature: .*d=mx\.e2e\.test" \
	    "r2: then our ARC-Message-Signature"
	e2e_like "$(flat_headers | sed -n 3p)" "^ARC-Authentication-Results: i=2; $ID; .*arc=pass" \
	    "r2: then our ARC-Authentication-Results, recording our A-R"
	e2e_like "$(flat_headers | sed -n 4p)" "^Authentication-Results: $ID;" "r2: then our A-R"
	e2e_like "$(arc_py verify "$f")" "^pass " "r2: dkimpy's arc_verify: our seal passes"
}

scenario_r3() {
	e2e_ok "r3: an untrusted list sealed the message" \
	    listed evil-list.example "$E2E_DIR/r3.eml" r3 || return
	send_file "$E2E_DIR/r3.eml" evil-list.example
	e2e_ok "r3: from an untrusted sealer: 550 5.7.1" \
	    e2e_transcript_has '^<\*\* 550 5\.7\.1 .*author\.example' || e2e_show_transcript
	e2e_not "r3: nothing delivered" e2e_wait_message 1 e2e-r3
}

scenario_r4() {
	printf 'From: dave@plain.example\r\nTo: %s\r\nSubject: e2e r4\r\nDate: %s\r\nX-E2E-Tag: e2e-r4\r\n\r\nno chain\r\n' \
	    "$E2E_RCPT" "$(date -R)" > "$E2E_DIR/r4.eml"
	e2e_send plain --xclient-addr "$CLIENT" --from dave@plain.example --data "$E2E_DIR/r4.eml"
	e2e_wait_message 10 e2e-r4 || true
	e2e_ok "r4: delivered" test -n "$E2E_MSG" || { e2e_show_transcript; return; }
	e2e_like "$(flat_headers | head -n 1)" "^ARC-Seal: .*cv=none; d=mx\.e2e\.test; i=1;" "r4: sealed i=1 cv=none"
	e2e_like "$(arc_py verify "$E2E_LAST_FILE")" "^pass " "r4: dkimpy's arc_verify: pass"
}

scenario_r5() {
	local out=$E2E_DIR/reports from to f
	e2e_stop_milter		# the store is flushed on a clean stop
	mkdir -p "$out"
	from=$(date -u -d "@$((T0 - 60))" +%Y-%m-%dT%H:%M:%SZ)
	to=$(date -u -d "@$(($(date +%s) + 60))" +%Y-%m-%dT%H:%M:%SZ)
	e2e_ok "r5: report export runs" "$E2E_CTL" -c "$E2E_DIR/authmilter.conf" report export \
	    --store "$E2E_DIR/reports.db" --from "$from" --to "$to" --out "$out" --domain author.example
	f=$(ls "$out"/*'!author.example!'*.xml.gz 2>/dev/null | head -n 1)
	e2e_ok "r5: a report for author.example" test -n "$f" || return
	e2e_ok "r5: it validates against the RFC 7489 schema" \
	    sh -c "gzip -dc '$f' | xmllint --noout --schema '$CONFORMANCE/dmarc/rua-rfc7489-nons.xsd' - 2>/dev/null"
	e2e_like "$(gzip -dc "$f" | tr -d '\n' | sed 's/>[[:space:]]*</></g')" \
	    "<disposition>none</disposition>.*<reason><type>local_policy</type><comment>arc=pass as\.d=lists\.example as\.s=arc i=1 [^<]*</comment></reason>" \
	    "r5: the row's reason: local_policy with the arc comment"
	e2e_like "$(gzip -dc "$f" | tr -d '\n')" "<disposition>reject</disposition>" \
	    "r5: the untrusted list's message is there as rejected"
}

want() { [ -z "${E2E_ONLY:-}" ] || case $E2E_ONLY in *"$1"*) true ;; *) false ;; esac; }

e2e_require
e2e_setup
e2e_watchdog "${E2E_DEADLINE:-110}"
if ! e2e_have_milter; then
	e2e_skip "ARC scenarios" "needs the authmilter daemon ($E2E_AUTHMILTER not built)"
	e2e_summary
	exit
fi
if ! /usr/bin/python3 -c 'import dkim, dns.resolver' 2>/dev/null; then
	e2e_skip "ARC scenarios" "needs dkimpy and dnspython for /usr/bin/python3"
	e2e_summary
	exit
fi
T0=$(date +%s)
mkdir -p "$E2E_DIR/keys" "$E2E_DIR/dns"
mapfile -t KEYRRS < <(e2e_dkim_keys "$E2E_DIR/keys" author.example)
RRS=("${KEYRRS[@]}")
for k in lists.example evil-list.example mx.e2e.test; do
	RRS+=("$(arc_key "$E2E_DIR/keys" "$k" "$k")")
done
DNSPORT=$(testdns_start "$E2E_DIR/dns" \
    'author.example. 300 IN TXT "v=spf1 ip4:198.51.100.0/24 -all"' \
    '_dmarc.author.example. 300 IN TXT "v=DMARC1; p=reject; rua=mailto:rua@author.example"' \
    "${RRS[@]}")
e2e_ok "unbound serves the test zone on 127.0.0.1:${DNSPORT:-?}" test -n "$DNSPORT" ||
    e2e_die "testdns_start failed"
printf 'From: Carol <carol@author.example>\r\nTo: talk@lists.example\r\nSubject: e2e arc\r\nDate: %s\r\nMessage-ID: <arc.%s@author.example>\r\nX-E2E-Tag: e2e-r1\r\n\r\nHello list.\r\n' \
    "$(date -R)" "$$" > "$E2E_DIR/raw.eml"
e2e_ok "dkimpy signed the author's message" \
    e2e_dkim_sign "$E2E_DIR/raw.eml" "$E2E_DIR/signed.eml" "$E2E_DIR/keys" author.example ||
    e2e_die "cannot sign"
e2e_ok "authmilter starts (ARCSeal, ARCTrustedSealers, DNS on the test resolver)" \
    e2e_start_milter "Nameservers 127.0.0.1@$DNSPORT" "ARCTrustedSealers lists.example" \
    "ARCSeal yes" "ARCSealKey arc" "Domain mx.e2e.test" "Selector arc" \
    "KeyFile $E2E_DIR/keys/mx.e2e.test.key" "ReportOrgName e2e test" \
    "ReportEmail dmarc-reports@e2e.test" || e2e_die "authmilter did not start"
for d in r1 r2 r3 r4 r5; do
	want "$d" && "scenario_$d"
done
testdns_stop "$E2E_DIR/dns"
e2e_summary
