#!/bin/sh
# Rewrites the output, dead and exit blocks of every transform fixture from
# what the binaries do today, keeping each file's comments, entity and
# input.  Review the diff like code: it is the behaviour you sign off.
cd "$(dirname "$0")/../../mappings/tests" || exit 2
BIN=${BIN:-../../bin}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for t in */*.test; do
	pair=$(dirname "$t")
	awk -v d="$tmp" '
		/^--- (output|dead|exit)/ { stop = 1 }
		!stop { print > (d "/head") }
		/^--- entity / { print $3 > (d "/entity") }
		/^--- rates / { print $3 > (d "/rates") }
		/^--- input$/ { inp = 1; next }
		/^--- / { inp = 0 }
		inp { print > (d "/input") }
	' "$t"
	set --
	[ -f "$tmp/rates" ] && set -- --rates "$pair/$(cat "$tmp/rates")"
	"$BIN/$pair" transform "$(cat "$tmp/entity")" --dead-letter "$tmp/dead" "$@" \
		< "$tmp/input" > "$tmp/out"
	rc=$?
	{ cat "$tmp/head"; echo "--- output"; cat "$tmp/out"; echo "--- dead"; cat "$tmp/dead"
	  echo "--- exit $rc"; } > "$t"
	rm -f "$tmp/head" "$tmp/entity" "$tmp/rates" "$tmp/input"
done
echo "regenerated; review with: git diff mappings/tests"
