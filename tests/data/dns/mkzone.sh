#!/bin/sh
# mkzone.sh - regenerate the signed test zone (tests/pipeline/check_dnsfaults
# test_dnssec_validating). Needs ldns-keygen and ldns-signzone (Debian package
# ldnsutils); only this script does, the tests read the committed output:
#   dnssec.example.signed  the zone signed with a new Ed25519 key (RRSIG,
#                          DNSKEY, NSEC), valid 2024-01-01 .. 2080-01-01
#                          (RRSIG times are 32-bit serial numbers, RFC 4034
#                          §3.1.5: an interval under 68 years validates)
#   dnssec.example.ds      its DS record: the test's TrustAnchorFile
# The private key is deleted; a new run makes a new key and new files.
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
