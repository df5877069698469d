#!/bin/sh
# splice-keys.sh PAGE CTL - print PAGE (man/authmilter.conf.5) with the lines
# between its ".\" BEGIN GENERATED KEYS" and ".\" END GENERATED KEYS" markers
# replaced by what "CTL config --man" prints (the key list generated from
# lib/config/config_keys.def). Used by "make man" (which writes the result
# back) and by tests/static/confman.sh (which compares it). Exit 1 when the
# markers are missing, out of order or repeated, or CTL fails.
set -u
page=$1
ctl=$2
keys=$(mktemp "${TMPDIR:-/tmp}/splice-keys.XXXXXX") || exit 1
trap 'rm -f "$keys"' EXIT HUP INT TERM
if ! "$ctl" config --man > "$keys"; then
	echo "splice-keys: '$ctl config --man' failed" >&2
	exit 1
fi
awk -v keys="$keys" '
	BEGIN { begin = ".\\\" BEGIN GENERATED KEYS"
		end = ".\\\" END GENERATED KEYS"; state = 0 }
	$0 == begin {
		if (state != 0) { bad = 1; exit }
		print
		while ((getline line < keys) > 0)
			print line
		state = 1; next }
	$0 == end {
		if (state != 1) { bad = 1; exit }
		state = 2; print; next }
	state != 1 { print }
	END {
		if (bad || state != 2) {
			print "splice-keys: markers missing or out of order in " \
			    FILENAME > "/dev/stderr"
			exit 1
		}
	}' "$page"
