#!/bin/sh
# generated/*.c must be what mapc writes from mappings/*.map today, and what
# is committed: a reviewer reads the committed C.
cd "$(dirname "$0")/.." || exit 2
MAPC=${MAPC:-bin/mapc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
for m in mappings/*.map; do
	n=$(basename "$m" .map)
	"$MAPC" -o "$tmp/$n.c" "$m" || { echo "[FAIL] stale/$n: mapc failed"; fail=$((fail+1)); continue; }
	committed="generated/$n.c"
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1 &&
	   git cat-file -e "HEAD:generated/$n.c" 2>/dev/null; then
		git show "HEAD:generated/$n.c" > "$tmp/$n.committed.c"
		committed="$tmp/$n.committed.c"
	fi
	if cmp -s "$tmp/$n.c" "$committed"; then
		echo "[PASS] stale/$n"; pass=$((pass+1))
	else
		echo "[FAIL] stale/$n: generated/$n.c is stale: run make and commit it"
		diff -u "$committed" "$tmp/$n.c" | head -20
		fail=$((fail+1))
	fi
done
echo "stale: $pass passed, $fail failed"
[ $fail -eq 0 ]
