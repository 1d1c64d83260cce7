#!/bin/sh
# Differential test: 3,000 generated Clarity orders (JPY, discounts, offsets,
# accents, ~1% bad records) through the compiled Clarity->Xero Order
# transform and through tests/bench/order.py, an independent Python
# implementation of the same mapping with exact decimals.  The documents
# must be byte-identical and the dead-letter counts equal.
cd "$(dirname "$0")/../.." || exit 2
BIN=${BIN:-bin}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 tests/bench/gen_orders.py --seed 11 --orders 3000 > "$tmp/in"
"$BIN/clarity_xero" transform Order --dead-letter "$tmp/d1" < "$tmp/in" > "$tmp/a"
python3 tests/bench/order.py < "$tmp/in" > "$tmp/b" 2> "$tmp/d2"
if cmp -s "$tmp/a" "$tmp/b" && [ "$(wc -l < "$tmp/d1")" = "$(wc -l < "$tmp/d2")" ] &&
   [ "$(wc -l < "$tmp/a")" -gt 2300 ]; then
	echo "[PASS] differential/clarity_xero-Order"
else
	echo "[FAIL] differential/clarity_xero-Order"
	cmp "$tmp/a" "$tmp/b"; wc -l "$tmp/a" "$tmp/b" "$tmp/d1" "$tmp/d2"
	exit 1
fi
