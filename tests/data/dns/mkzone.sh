#!/bin/sh
# mkzone.sh - regenerate the signed test zone (tests/pipeline/check_dnsfaults
# test_dnssec_validating). Needs ldns-keygen and ldns-signzone (Debian package
# ldnsutils); only this script does, the tests read the committed output:
#   dnssec.example.signed  the zone signed with a new Ed25519 key (RRSIG,
#                          DNSKEY, NSEC), valid 2024-01-01 .. 2080-01-01
#                          (RRSIG times are 32-bit serial numbers, RFC 4034
#                          §3.1.5: an interval under 68 years validates)
#   dnssec.example.ds      its DS record: the test's TrustAnchorFile
#   chain.example.signed   a zone signed the same way (chain.example.ds its
#                          anchor) that delegates bogus.chain.example with
#                          the DS of a key that signs nothing
#   bogus.chain.example.signed  the child, signed with another key: its
#                          answers are DNSSEC-bogus (tests/e2e/dns_faults)
# The private keys are deleted; a new run makes new keys and new files.
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp dnssec.example.zone "$tmp/"
cd "$tmp"
key=$(ldns-keygen -a ED25519 -k dnssec.example)
ldns-signzone -e 20800101000000 -i 20240101000000 -f dnssec.example.signed \
    dnssec.example.zone "$key"
cd - >/dev/null
cp "$tmp/dnssec.example.signed" dnssec.example.signed
cp "$tmp/$key.ds" dnssec.example.ds

# The broken chain: the child is signed with key A, its parent publishes
# the DS of key B.
cd "$tmp"
cp "$OLDPWD/chain.example.zone" "$OLDPWD/bogus.chain.example.zone" .
ka=$(ldns-keygen -a ED25519 -k bogus.chain.example)
kb=$(ldns-keygen -a ED25519 -k bogus.chain.example)
ldns-signzone -e 20800101000000 -i 20240101000000 \
    -f bogus.chain.example.signed bogus.chain.example.zone "$ka"
cat chain.example.zone "$kb.ds" > chain.example.full
kp=$(ldns-keygen -a ED25519 -k chain.example)
ldns-signzone -e 20800101000000 -i 20240101000000 \
    -f chain.example.signed chain.example.full "$kp"
cd - >/dev/null
cp "$tmp/chain.example.signed" "$tmp/bogus.chain.example.signed" .
cp "$tmp/$kp.ds" chain.example.ds
