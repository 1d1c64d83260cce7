#!/bin/sh
# Transform fixture tests, as table files (in the spirit of jq's tests):
#   mappings/tests/PAIR/NAME.test (next to the mappings; `mapc test` runs them too)
#     --- entity ENTITY
#     --- input        one source record per line
#     --- output       the exact target documents, one per line
#     --- dead         the exact dead-letter lines
#     --- rates FILE   a file of the ECB's reference rates beside the test (`transform --rates`)
#     --- exit N
# Each runs `bin/PAIR transform ENTITY` and compares output, dead letters and
# exit status exactly.  VALGRIND=1 runs the binaries under valgrind.
cd "$(dirname "$0")/../../mappings/tests" || exit 2
BIN=${BIN:-../../bin}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
VG=""
[ "${VALGRIND:-0}" = 1 ] && VG="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite"
for t in */*.test; do
	[ -f "$t" ] || continue
	pair=$(dirname "$t")
	name="transform/${t%.test}"
	awk -v d="$tmp" '
		/^--- entity / { print $3 > (d "/entity"); sec = ""; next }
		/^--- exit / { print $3 > (d "/exit"); sec = ""; next }
		/^--- rates / { print $3 > (d "/rates"); sec = ""; next }
		/^--- (input|output|dead)$/ { sec = $2; printf "" > (d "/" sec); next }
		/^#/ && sec == "" { next }
		sec != "" { print > (d "/" sec) }
	' "$t"
	for f in input output dead; do [ -f "$tmp/$f" ] || : > "$tmp/$f"; done
	[ -f "$tmp/exit" ] || echo 0 > "$tmp/exit"
	entity=$(cat "$tmp/entity")
	set --
	[ -f "$tmp/rates" ] && set -- --rates "$pair/$(cat "$tmp/rates")"
	$VG "$BIN/$pair" transform "$entity" --dead-letter "$tmp/got.dead" "$@" \
		< "$tmp/input" > "$tmp/got.out" 2> "$tmp/got.err"
	rc=$?
	want=$(cat "$tmp/exit")
	if [ "$rc" = "$want" ] && cmp -s "$tmp/got.out" "$tmp/output" &&
	   cmp -s "$tmp/got.dead" "$tmp/dead"; then
		echo "[PASS] $name"; pass=$((pass + 1))
	else
		echo "[FAIL] $name (exit $rc, want $want)"; fail=$((fail + 1))
		diff -u "$tmp/output" "$tmp/got.out" | head -20
		diff -u "$tmp/dead" "$tmp/got.dead" | head -20
		head -c 2000 "$tmp/got.err"
	fi
	rm -f "$tmp/entity" "$tmp/exit" "$tmp/rates" "$tmp/input" "$tmp/output" "$tmp/dead" "$tmp/got."*
done
echo "transform: $pass passed, $fail failed"
[ $fail -eq 0 ]
