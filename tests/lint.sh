#!/bin/sh
# make lint: the house rules a compiler does not check.
#   lines of at most 110 columns (tabs count 8), no trailing white space,
#   no sprintf/strcpy/strcat/atoi/gets in our C (generated lexer/parser excepted).
cd "$(dirname "$0")/.." || exit 2
status=0
files=$(ls compiler/*.c compiler/*.h compiler/tools/*.c runtime/*/*.c runtime/*/*.h grammar/*.re grammar/*.y \
	tests/unit/*.c tests/bench/*.c sandbox/*.c sandbox/*.h 2>/dev/null)
for f in $files; do
	awk -v f="$f" '{
		line = $0; col = 0
		for (i = 1; i <= length(line); i++) {
			ch = substr(line, i, 1)
			col = (ch == "\t") ? col + 8 - col % 8 : col + 1
		}
		if (col > 110) { printf "%s:%d: line longer than 110 columns\n", f, NR; bad = 1 }
		if (line ~ /[ \t]+$/) { printf "%s:%d: trailing white space\n", f, NR; bad = 1 }
	} END { exit bad }' "$f" || status=1
	grep -nE '(^|[^_a-z])(sprintf|strcpy|strcat|atoi|gets)[[:space:]]*\(' "$f" |
		grep -v 'snprintf\|vsnprintf' | sed "s|^|$f:|;s|\$|: banned function|" | grep . && status=1
done
if [ $status -eq 0 ]; then echo "[PASS] lint"; else echo "[FAIL] lint"; fi
exit $status
