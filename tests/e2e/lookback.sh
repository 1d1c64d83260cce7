#!/bin/sh
# End to end, NopCommerce -> QuickBooks: an order changes without an update
# stamp (nopCommerce's Order has none) and the next `run --once` still sees
# it, through the source's lookback setting (mappings/nopcommerce_qbo.map):
# an open unpaid order (an invoice) is paid; its PaymentStatusId turns 30
# and nothing else moves (tests/e2e/events.py pay: CreatedOnUtc as it was,
# older than the cursor).  The run reads it again and writes its payment,
# applied to its invoice (entity Payment); a run with no change writes
# nothing, re-reading the open and recent orders unchanged.
GROUP=lookback
. "$(dirname "$0")/lib.sh"
gen nop 17 200
sandbox_start --limit-scale 100
use_pair nopcommerce_qbo
sync > "$tmp/out" 2> "$tmp/err"
rc=$? # 3: the payments of the seed's dead-lettered orders are held
t first-run [ $rc -le 1 -o $rc = 3 ] || cat "$tmp/err"
sync > "$tmp/out" 2> "$tmp/err"
t rerun-writes-nothing [ "$(col Order 3)" = 0 -a "$(col Order 4)" = 0 -a \
	"$(col Payment 3)" = 0 -a "$(col Payment 4)" = 0 ] || cat "$tmp/out"
t rerun-rereads-open-orders [ "$(col Order 2)" -gt 0 -a "$(col Order 5)" -gt 0 ] ||
	cat "$tmp/out"
cursor=$(sql "SELECT value FROM cursors WHERE entity = 'Order'")
# an open, unpaid order whose invoice is written (not a dead letter),
# created before the cursor
order=$(sql "SELECT source_id FROM xref WHERE entity = 'Order'" | while read -r id; do
	jq -r --arg id "$id" --arg c "$cursor" 'select((.Id | tostring) == $id and
		(.OrderStatusId == 10 or .OrderStatusId == 20) and
		(.PaymentStatusId == 10 or .PaymentStatusId == 20) and .CreatedOnUtc < $c) | .Id' \
		"$data/nopcommerce.orders.ndjson"
done | head -1)
t setup [ -n "$order" ] || echo "cursor $cursor"
before=$(curl -s "$root/_sandbox/records?service=nop&collection=orders" | grep "^{\"Id\":$order,")
python3 tests/e2e/events.py "$root" pay nop "$order" > /dev/null
after=$(curl -s "$root/_sandbox/records?service=nop&collection=orders" | grep "^{\"Id\":$order,")
t no-stamp-moved [ "$(echo "$before" | jq -r .CreatedOnUtc)" = "$(echo "$after" | jq -r .CreatedOnUtc)" \
	-a "$(echo "$after" | jq -r '.PaymentStatusId, has("UpdatedOnUtc")' | tr '\n' ' ')" = "30 false " ]
sync > "$tmp/out" 2> "$tmp/err"
t paid-order-seen [ "$(col Payment 3)" = 1 -a "$(col Order 3)" = 0 ] || cat "$tmp/out" "$tmp/err"
dump qbo
t payment-written [ "$(jq --arg n "NopCommerce order $order paid" '[.Payment[] |
	select(.PrivateNote == $n)] | length' "$tmp/dump")" = 1 -a "$(jq --arg n "$order" \
	'.Invoice[] | select(.DocNumber == $n) | .Balance' "$tmp/dump")" = 0 ] ||
	jq -c 'keys' "$tmp/dump"
sync > "$tmp/out" 2> "$tmp/err"
t then-unchanged [ "$(col Payment 3)" = 0 -a "$(col Payment 4)" = 0 ] || cat "$tmp/out"
summary
