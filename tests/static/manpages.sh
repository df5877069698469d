#!/bin/sh
# manpages.sh - the manual pages in man/ render without warnings and say
# what the programs do:
#   - groff -man -ww and mandoc -Tlint report nothing for any page;
#   - each page's .TH names the version the programs print (-V);
#   - authmilter.8 documents exactly the options of milter/main.c's getopt
#     string and of `authmilter -h`'s usage line;
#   - authmilterctl.8 documents exactly the subcommands and, per subcommand,
#     the options of authmilterctl's usage (one .SS per subcommand, one .TP
#     per option; global options under OPTIONS), and that usage lists exactly
#     the subcommands milter/ctl/ dispatches and the options its tables hold.
# make check sets top_srcdir and top_builddir; run by hand, they default to
# the source tree and the current directory.
set -u

here=$(dirname "$0")
top_srcdir=${top_srcdir:-$(cd "$here/../.." && pwd)}
top_builddir=${top_builddir:-.}
man=$top_srcdir/man
daemon=$top_builddir/milter/authmilter
ctl=$top_builddir/milter/authmilterctl
pass=0
fail=0

tmp=$(mktemp -d "${TMPDIR:-/tmp}/manpages.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT HUP INT TERM

ok() { echo "ok - $1"; pass=$((pass + 1)); }
not_ok() { echo "not ok - $1"; fail=$((fail + 1)); }

# same NAME A B - ok when the sorted lists in files A and B are equal.
same() {
	if diff -u "$2" "$3" > "$tmp/diff"; then
		ok "$1"
	else
		not_ok "$1 (- program, + page)"
		sed 's/^/#   /' "$tmp/diff"
	fi
}

# page_items PAGE - "COMMAND OPTION" for every .TP item naming an option
# (COMMAND is the .SS heading with "_" for spaces, "-" under OPTIONS) and
# "COMMAND" for every .SS heading of COMMANDS; roff escapes \- and quotes
# removed.
page_items() {
	awk '
	function unroff(s) { gsub(/\\-/, "-", s); gsub(/"/, "", s); return s }
	/^\.SH / { sec = unroff(substr($0, 5)); sub_ = "-"; tp = 0; next }
	/^\.SS / { sub_ = unroff(substr($0, 5)); gsub(/ /, "_", sub_)
		if (sec == "COMMANDS") print sub_
		tp = 0; next }
	/^\.TP/ { tp = 1; next }
	tp && /^\.B[IR]? / { tp = 0
		if ($2 ~ /^\\-/ && (sec == "OPTIONS" || sec == "COMMANDS"))
			print sub_ " " unroff($2)
		next }
	{ tp = 0 }' "$1"
}

for t in groff mandoc; do
	command -v "$t" > /dev/null 2>&1 ||
	    not_ok "$t is installed (contrib/install-deps.sh)"
done
for p in "$man"/*.[1-9]; do
	name=${p##*/}
	if command -v groff > /dev/null 2>&1; then
		if groff -man -Tutf8 -ww -z "$p" > "$tmp/out" 2>&1 &&
		    [ ! -s "$tmp/out" ]; then
			ok "$name renders with groff -man -ww, no warning"
		else
			not_ok "$name renders with groff -man -ww, no warning"
			sed 's/^/#   /' "$tmp/out"
		fi
	fi
	if command -v mandoc > /dev/null 2>&1; then
		if mandoc -Tlint -W warning "$p" > "$tmp/out" 2>&1 &&
		    [ ! -s "$tmp/out" ]; then
			ok "$name passes mandoc -Tlint -W warning"
		else
			not_ok "$name passes mandoc -Tlint -W warning"
			sed 's/^/#   /' "$tmp/out"
		fi
	fi
done

for prog in "$daemon" "$ctl"; do
	if [ ! -x "$prog" ]; then
		echo "manpages: $prog not built; run make first" >&2
		exit 1
	fi
done

# The version each page names is the programs' version.
version=$("$daemon" -V)
for p in "$man"/*.[1-9]; do
	th=$(awk '/^\.TH / { n = split($0, f, "\""); print f[2]; exit }' "$p")
	if [ "$th" = "$version" ] && [ "$("$ctl" -V)" = "authmilterctl ${version#authmilter }" ]; then
		ok "${p##*/} names $version"
	else
		not_ok "${p##*/} names \"$th\", the programs are \"$version\""
	fi
done

# authmilter: getopt string, usage line, page.
sed -n 's/.*getopt(argc, argv, "\([^"]*\)").*/\1/p' \
    "$top_srcdir/milter/main.c" | tr -d ':' | fold -w1 |
    sed 's/^/- -/' | sort -u > "$tmp/getopt"
"$daemon" -h 2> "$tmp/usage" > /dev/null
tr -s '[] ' '\n' < "$tmp/usage" | sed -n 's/^-\([A-Za-z]*\)$/\1/p' |
    fold -w1 | sed 's/^/- -/' | sort -u > "$tmp/usage.opts"
echo "- -h" >> "$tmp/usage.opts"	# -h prints this usage line
sort -u -o "$tmp/usage.opts" "$tmp/usage.opts"
page_items "$man/authmilter.8" | sort -u > "$tmp/page"
same "authmilter.8 documents the options of milter/main.c's getopt string" \
    "$tmp/getopt" "$tmp/page"
same "authmilter's usage line shows the options authmilter.8 documents" \
    "$tmp/usage.opts" "$tmp/page"

# authmilterctl: usage (no arguments: usage on stderr, status 2).
"$ctl" 2> "$tmp/usage" > /dev/null
awk '
	{ sub(/^usage:/, "") }
	$1 == "authmilterctl" {
		line = $0; sub(/^ *authmilterctl */, "", line)
		if (sub(/^\[-c FILE\] */, "", line)) print "- -c"
		n = split(line, w, " ")
		cmd = "-"; i = 1
		if (n > 0 && w[1] !~ /^\[?-/) {
			cmd = w[1]; i = 2
			if (cmd == "report") { cmd = cmd "_" w[2]; i = 3 }
			print cmd
		}
		rest = ""
		for (; i <= n; i++) rest = rest " " w[i]
	}
	$1 != "authmilterctl" { rest = $0 }
	{	n = split(rest, w, /[][|. ]+/)
		for (i = 1; i <= n; i++)
			if (w[i] ~ /^-/) print cmd " " w[i]
	}' "$tmp/usage" | sort -u > "$tmp/usage.items"
page_items "$man/authmilterctl.8" | sort -u > "$tmp/page"
same "authmilterctl.8 documents every subcommand and option of the usage" \
    "$tmp/usage.items" "$tmp/page"

# The usage against the code: the subcommands dispatched (report's actions
# replace report)...
{
	sed -n 's/.*strcmp(argv\[0\], "\([a-z]*\)").*/\1/p' \
	    "$top_srcdir/milter/ctl/authmilterctl.c"
	grep -o 'strcmp(argv\[1\], "[a-z]*")' "$top_srcdir/milter/ctl/ctl_report.c" |
	    sed 's/.*"\([a-z]*\)".*/report_\1/'
} | sort -u | awk '{ c[NR] = $0 } END {
	for (i = 1; i <= NR; i++) {
		for (j = 1; j <= NR; j++)
			if (index(c[j], c[i] "_") == 1) break
		if (j > NR) print c[i]
	} }' > "$tmp/src.cmds"
grep -v ' ' "$tmp/usage.items" > "$tmp/usage.cmds"
same "authmilterctl's usage lists the subcommands milter/ctl/ dispatches" \
    "$tmp/src.cmds" "$tmp/usage.cmds"
# ... and the options its getopt strings, option tables and literal
# comparisons accept.
{
	sed -n 's/.*getopt(argc, argv, "+\{0,1\}\([^"]*\)").*/\1/p' \
	    "$top_srcdir/milter/ctl/authmilterctl.c" | tr -d ':' | fold -w1 |
	    sed 's/^/-/'
	sed -n 's/.*getopt_long(argc, argv, "\([^"]*\)".*/\1/p' \
	    "$top_srcdir"/milter/ctl/*.c | tr -d ':' | fold -w1 | sed 's/^/-/'
	sed -n 's/.*{ "\([a-z-]*\)", [a-z_]*_argument.*/--\1/p' \
	    "$top_srcdir"/milter/ctl/*.c
	sed -n 's/.*strcmp(argv\[1\], "\(-[a-z-]*\)").*/\1/p' \
	    "$top_srcdir/milter/ctl/authmilterctl.c"
} | grep -v '^-$' | sort -u > "$tmp/src.opts"
grep ' ' "$tmp/usage.items" | sed 's/.* //' | grep -v '^-$' | sort -u > "$tmp/usage.opts"	# "-" is an operand (stdin)
same "authmilterctl's usage shows every option milter/ctl/ accepts" \
    "$tmp/src.opts" "$tmp/usage.opts"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
