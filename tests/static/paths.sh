#!/bin/sh
# paths.sh - a clone of the repository must work on its own: no source, test,
# script or build file may read a path outside the repository. Fails on
#  - "../shared" (the team's working area beside the checkout), and
#  - absolute paths of a build machine: /work/, /home/, /root/, /Users/.
# tests/conformance/ is third-party data (its README quotes the machine it
# was collected on) and is not scanned. The rule proves itself first on a
# planted file, so a broken pattern cannot make it pass.
set -u
src=${top_srcdir:-$(dirname "$0")/../..}
pass=0; fail=0
pattern='\.\./shared|/work/|/home/|/root/|/Users/'

# scan DIR - every offending line below DIR, "file:line: text".
scan() {
	find "$1" \( -name .git -o -name conformance -o -name build \
	    -o -name autom4te.cache -o -name '_build' -o -name '*.dSYM' \) -prune \
	    -o -type f \( -name '*.[ch]' -o -name '*.def' -o -name '*.sh' \
	    -o -name '*.py' -o -name '*.am' -o -name '*.ac' -o -name '*.in' \
	    -o -name '*.conf' -o -name '*.cf' -o -name '*.mc' -o -name '*.service' \
	    -o -name '*.timer' -o -name '*.cron' -o -name 'run' -o -name 'README*' \
	    -o -name '*.md' -o -name '*.[0-9]' \) -print |
	while read -r f; do
		case $f in */tests/static/paths.sh) continue;; esac
		grep -nE -- "$pattern" "$f" /dev/null 2>/dev/null
	done
}

result() { # result DESCRIPTION OUTPUT-MUST-BE-EMPTY
	if [ -n "$2" ]; then
		echo "not ok - $1"; printf '%s\n' "$2" | sed 's/^/    /'
		fail=$((fail+1))
	else
		echo "ok - $1"; pass=$((pass+1))
	fi
}

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/tests"
printf '#define D "%s/testdata"\n' "../shared" > "$tmp/tests/planted.c"
printf 'x=%s\n' "/work/x" > "$tmp/tests/planted.sh"
n=$(scan "$tmp" | wc -l)
if [ "$n" -eq 2 ]; then
	result "the rule finds two planted outside paths" ""
else
	result "the rule finds two planted outside paths" "found $n"
fi
result "no path outside the repository in sources, tests and scripts" \
    "$(scan "$src")"
# The vendored conformance data is complete and unchanged.
sums=$(cd "$src/tests/conformance" 2>/dev/null &&
    sha256sum --quiet -c SHA256SUMS 2>&1) || [ -n "$sums" ] ||
    sums="tests/conformance/SHA256SUMS: cannot check"
result "tests/conformance matches its SHA256SUMS" "$sums"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
