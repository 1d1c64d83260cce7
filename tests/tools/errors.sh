#!/bin/sh
# Diagnostic codes: the table DIAG_CODES in compiler/mapc.h, the calls that
# report them, docs/errors.md and `mapc --explain` must agree.
#
#   MAPC=bin/mapc sh tests/tools/errors.sh            check (prints [PASS]/[FAIL])
#
# `mapc --explain` needs no step here: the build compiles docs/errors.md
# into mapc (compiler/errdocs.awk); this script checks what it prints.
#
# Checks: every code of the table has a section in docs/errors.md with its
# title, an example and the diagnostic it prints, and every section a code
# of the table; every code is reported somewhere and only from its phase's
# files; no uncoded diag_error()/diag_warning() calls; one message format is
# never given two codes; each example, compiled, prints exactly what the page
# shows; `mapc --explain CODE` prints the code's section.
cd "$(dirname "$0")/../.." || exit 2
MAPC=${MAPC:-$PWD/bin/mapc}
case $MAPC in /*) ;; *) MAPC="$PWD/$MAPC" ;; esac
DOC=docs/errors.md
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { echo "[PASS] errors/$1"; pass=$((pass + 1)); }
ko() { echo "[FAIL] errors/$1"; fail=$((fail + 1)); }

# The sections of the page, one file per code: from its `### CODE: title`
# line to the next heading, trailing blank lines dropped.
sections() {
	mkdir -p "$tmp/sec"
	awk -v dir="$tmp/sec" '
	function flush() {
		if (out == "") return
		while (n > 0 && lines[n] == "") n--
		for (i = 1; i <= n; i++) print lines[i] > out
		close(out); out = ""
	}
	/^##/ { flush() }
	/^### [EW][0-9][0-9][0-9]: / { out = dir "/" substr($2, 1, 4); n = 0 }
	out != "" { lines[++n] = $0 }
	END { flush() }' "$DOC"
}

sections

# ---- the table ----
grep -o 'X([EW][0-9][0-9][0-9], [A-Z][A-Z0-9_]*, "[a-z]*", "[^"]*")' compiler/mapc.h |
	sed 's/^X(\([^,]*\), \([^,]*\), "\([^"]*\)", "\(.*\)")$/\1	\2	\3	\4/' > "$tmp/table"
n=$(wc -l < "$tmp/table")
if [ "$n" -gt 0 ] && [ "$(grep -c 'X([EW]' compiler/mapc.h)" -eq "$n" ]; then
	ok "table ($n codes)"
else
	ko "table: $n rows parsed from DIAG_CODES in compiler/mapc.h"
fi
for col in 1 2 4; do
	d=$(cut -f$col "$tmp/table" | sort | uniq -d)
	if [ -z "$d" ]; then ok "table-unique-column-$col"; else ko "table-unique-column-$col: $d"; fi
done
bad=$(awk -F'\t' '
	$3 == "lexer" && !($1 ~ /^E00[1-9]$/) ||
	$3 == "parser" && !($1 ~ /^E0[12][0-9]$/ || $1 ~ /^W/) ||
	$3 == "checker" && !($1 ~ /^E(0[3-9][0-9]|1[0-9][0-9])$/ || $1 ~ /^W/) ||
	$3 != "lexer" && $3 != "parser" && $3 != "checker" && $3 != "retired" { print $1 }' "$tmp/table")
if [ -z "$bad" ]; then ok "phase-ranges"; else ko "phase-ranges: $bad"; fi

# ---- the page against the table ----
grep '^### [EW][0-9][0-9][0-9]: ' "$DOC" | sed 's/^### \([^:]*\): /\1	/' > "$tmp/doctitles"
cut -f1,4 "$tmp/table" | sort > "$tmp/a"
sort "$tmp/doctitles" > "$tmp/b"
if cmp -s "$tmp/a" "$tmp/b"; then
	ok "doc-matches-table"
else
	ko "doc-matches-table (< in DIAG_CODES only, > in $DOC only)"
	diff "$tmp/a" "$tmp/b" | grep '^[<>]'
fi

# ---- the calls ----
SRC="grammar/lexer.re grammar/parser.y compiler/*.c compiler/tools/*.c"
# CODE-NAME FILE for every use of a code name outside the table
for f in $SRC; do
	grep -o '\b[EW]R_[A-Z0-9_]*\b' "$f" | sort -u | sed "s|\$| $f|"
done > "$tmp/uses"
missing=""
while IFS='	' read -r code name phase title; do
	files=$(awk -v n="$name" '$1 == n { print $2 }' "$tmp/uses")
	if [ "$phase" = retired ]; then # reported by nothing any more
		[ -z "$files" ] || missing="$missing $code(retired-but-reported)"
		continue
	fi
	[ -n "$files" ] || missing="$missing $code"
	for f in $files; do
		case $phase:$f in
		lexer:grammar/lexer.re | parser:grammar/parser.y | parser:compiler/parse.c | \
		parser:compiler/main.c | checker:compiler/check.c) ;;
		*:grammar/* | *:compiler/parse.c | *:compiler/check.c)
			missing="$missing $code(reported-from-$f)" ;;
		esac
	done
done < "$tmp/table"
if [ -z "$missing" ]; then ok "every-code-reported-from-its-phase"; else ko "codes:$missing"; fi
unknown=$(cut -d' ' -f1 "$tmp/uses" | sort -u | while read -r name; do
	cut -f2 "$tmp/table" | grep -qx "$name" || echo "$name"; done)
if [ -z "$unknown" ]; then ok "no-code-outside-table"; else ko "names not in DIAG_CODES: $unknown"; fi
uncoded=$(grep -n 'diag_error(\|diag_warning(' $SRC | grep -v '^compiler/diag.c:')
if [ -z "$uncoded" ]; then ok "no-uncoded-diagnostics"; else ko "uncoded diagnostics:"; echo "$uncoded"; fi
# each call: its code and the start of its message format (on its line or the next)
for f in $SRC; do
	awk '
	want { if (match($0, /"([^"\\]|\\.)*"/)) { print code "\t" substr($0, RSTART, RLENGTH) } ; want = 0 }
	/diag_(err|warn)\(/ && match($0, /[EW]R_[A-Z0-9_]+/) {
		code = substr($0, RSTART, RLENGTH); rest = substr($0, RSTART + RLENGTH)
		if (match(rest, /"([^"\\]|\\.)*"/)) print code "\t" substr(rest, RSTART, RLENGTH)
		else want = 1
	}' "$f"
done | sort -u > "$tmp/msgs"
dup=$(cut -f2 "$tmp/msgs" | sort | uniq -d)
if [ -z "$dup" ] && [ -s "$tmp/msgs" ]; then
	ok "one-code-per-message ($(wc -l < "$tmp/msgs") messages)"
else
	ko "messages with two codes: $dup"
fi

# ---- the examples ----
mkdir -p "$tmp/ex/schemas" "$tmp/bin"
printf '#!/bin/sh\nexec "%s" "$@"\n' "$MAPC" > "$tmp/bin/mapc"
chmod +x "$tmp/bin/mapc"
awk -v dir="$tmp/ex" '
	/^```map schemas\// { out = dir "/" $2; next }
	/^```/ && out != "" { close(out); out = "" }
	out != "" { print > out }' "$DOC"
for f in "$tmp"/sec/*; do
	c=$(basename "$f")
	if awk -F'\t' -v c="$c" '$1 == c && $3 == "retired" { f = 1 } END { exit !f }' "$tmp/table"; then
		if grep -q '^```map$' "$f"; then ko "example/$c: retired, yet an example"; else ok "retired/$c"; fi
		continue
	fi
	rm -rf "$tmp/run" && cp -r "$tmp/ex" "$tmp/run"
	awk -v dir="$tmp/run" '
		/^```(map|sh|text)$/ && out == "" { k = substr($0, 4); out = dir "/" k; n[k]++; next }
		/^```$/ && out != "" { close(out); out = ""; next }
		out != "" { print > out }
		END { printf "%d %d %d\n", n["map"], n["sh"], n["text"] > (dir "/counts") }' "$f"
	read -r nmap nsh ntext < "$tmp/run/counts"
	if [ $((nmap + nsh)) -ne 1 ] || [ "$ntext" -ne 1 ]; then
		ko "example/$c: wants one map or sh block and one text block ($nmap $nsh $ntext)"
		continue
	fi
	if [ "$nmap" -eq 1 ]; then
		mv "$tmp/run/map" "$tmp/run/example.map"
		(cd "$tmp/run" && "$MAPC" --check example.map) 2>"$tmp/got" >/dev/null
	else
		(cd "$tmp/run" && PATH="$tmp/bin:$PATH" sh ./sh) 2>"$tmp/got" >/dev/null
	fi
	firstcode=$(grep -o '^[^ ]*: \(error\|warning\)\[[EW][0-9]*\]' "$tmp/got" | head -1 |
		sed 's/.*\[\(.*\)\]/\1/')
	if [ "$firstcode" = "$c" ] && cmp -s "$tmp/got" "$tmp/run/text"; then
		ok "example/$c"
	else
		ko "example/$c (first code printed: ${firstcode:-none})"
		diff "$tmp/run/text" "$tmp/got" | head -10
	fi
done

# ---- --explain ----
bad=""
for f in "$tmp"/sec/*; do
	c=$(basename "$f")
	"$MAPC" --explain "$c" > "$tmp/explain" 2>&1 && cmp -s "$tmp/explain" "$f" || bad="$bad $c"
done
if [ -z "$bad" ]; then ok "explain-prints-each-section"; else ko "explain:$bad"; fi
if ! "$MAPC" --explain E999 >/dev/null 2>"$tmp/err" && grep -q E999 "$tmp/err"; then
	ok "explain-unknown-code"
else
	ko "explain-unknown-code"
fi

echo "errors: $pass passed, $fail failed"
[ $fail -eq 0 ]
