#!/bin/sh
# Differential test: 3,000 generated Clarity orders (JPY, discounts, offsets,
# accents, ~1% bad records) through the compiled Clarity->Xero Order
# transform and through tests/bench/order.py, an independent Python
# implementation of the same mapping with exact decimals, both given the
# same ECB rates (two days: November's orders take the later; the foreign
# ones carry their CurrencyRate and exchange-rate line).  The documents must
# be byte-identical and the dead-letter counts equal.
cd "$(dirname "$0")/../.." || exit 2
BIN=${BIN:-bin}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 tests/bench/gen_orders.py --seed 11 --orders 3000 > "$tmp/in"
cat > "$tmp/ecb.xml" <<'EOF'
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01"
	xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
<Cube><Cube time="2026-11-13"><Cube currency="USD" rate="1.0620"/><Cube currency="GBP" rate="0.8433"/>
<Cube currency="JPY" rate="163.07"/></Cube>
<Cube time="2026-10-30"><Cube currency="USD" rate="1.0512"/><Cube currency="GBP" rate="0.8421"/>
<Cube currency="JPY" rate="161.23"/></Cube></Cube></gesmes:Envelope>
EOF
"$BIN/clarity_xero" transform Order --rates "$tmp/ecb.xml" --dead-letter "$tmp/d1" < "$tmp/in" > "$tmp/a"
python3 tests/bench/order.py --rates "$tmp/ecb.xml" < "$tmp/in" > "$tmp/b" 2> "$tmp/d2"
if cmp -s "$tmp/a" "$tmp/b" && [ "$(wc -l < "$tmp/d1")" = "$(wc -l < "$tmp/d2")" ] &&
   [ "$(wc -l < "$tmp/a")" -gt 2300 ] && [ "$(grep -c '"CurrencyRate"' "$tmp/a")" -gt 500 ]; then
	echo "[PASS] differential/clarity_xero-Order"
else
	echo "[FAIL] differential/clarity_xero-Order"
	cmp "$tmp/a" "$tmp/b"; wc -l "$tmp/a" "$tmp/b" "$tmp/d1" "$tmp/d2"
	grep -c '"CurrencyRate"' "$tmp/a"
	exit 1
fi
