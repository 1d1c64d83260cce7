#!/bin/sh
# Rewrites the golden expectations from what mapc prints today.
cd "$(dirname "$0")" || exit 2
MAPC=${MAPC:-../../bin/mapc}
for m in *.map; do
	n=${m%.map}
	if "$MAPC" -I ../../mappings/schemas -o "$n.c.new" "$m" 2>"$n.err.new"; then
		mv "$n.c.new" "$n.c"; rm -f "$n.err.new" "$n.err"
	else
		mv "$n.err.new" "$n.err"; rm -f "$n.c.new" "$n.c"
	fi
done
echo "regenerated; review with: git diff tests/golden"
