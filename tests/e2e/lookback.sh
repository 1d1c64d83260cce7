#!/bin/sh
# End to end, NopCommerce -> QuickBooks: an order changes without an update
# stamp (nopCommerce's Order has none) and the next `run --once` still sees
# it, through the source's lookback setting (mappings/nopcommerce_qbo.map):
# an open unpaid order (an invoice) is paid; its PaymentStatusId turns 30
# and nothing else moves (tests/e2e/events.py pay: CreatedOnUtc as it was,
# older than the cursor).  The run reads it again and writes its sales
# receipt (entity Order); a run with no change writes nothing, re-reading
# the open and recent orders unchanged.
GROUP=lookback
. "$(dirname "$0")/lib.sh"
gen nop 17 200
sandbox_start --limit-scale 100
use_pair nopcommerce_qbo
sync > "$tmp/out" 2> "$tmp/err"
t first-run [ $? -le 1 ] || cat "$tmp/err"
sync > "$tmp/out" 2> "$tmp/err"
t rerun-writes-nothing [ "$(col Order 3)" = 0 -a "$(col Order 4)" = 0 -a \
	"$(col OrderInvoice 3)" = 0 -a "$(col OrderInvoice 4)" = 0 ] || cat "$tmp/out"
t rerun-rereads-open-orders [ "$(col Order 2)" -gt 0 -a "$(col OrderInvoice 5)" -gt 0 ] ||
	cat "$tmp/out"
cursor=$(sql "SELECT value FROM cursors WHERE entity = 'Order'")
# an open, unpaid order the invoice entity wrote (not a dead letter), created
# before the cursor
order=$(sql "SELECT source_id FROM xref WHERE entity = 'OrderInvoice'" | while read -r id; do
	jq -r --arg id "$id" --arg c "$cursor" 'select((.Id | tostring) == $id and
		(.OrderStatusId == 10 or .OrderStatusId == 20) and .CreatedOnUtc < $c) | .Id' \
		"$data/nopcommerce.orders.ndjson"
done | head -1)
t setup [ -n "$order" ] || echo "cursor $cursor"
before=$(curl -s "$root/_sandbox/records?service=nop&collection=orders" | grep "^{\"Id\":$order,")
python3 tests/e2e/events.py "$root" pay nop "$order" > /dev/null
after=$(curl -s "$root/_sandbox/records?service=nop&collection=orders" | grep "^{\"Id\":$order,")
t no-stamp-moved [ "$(echo "$before" | jq -r .CreatedOnUtc)" = "$(echo "$after" | jq -r .CreatedOnUtc)" \
	-a "$(echo "$after" | jq -r '.PaymentStatusId, has("UpdatedOnUtc")' | tr '\n' ' ')" = "30 false " ]
sync > "$tmp/out" 2> "$tmp/err"
t paid-order-seen [ "$(col Order 3)" = 1 ] || cat "$tmp/out" "$tmp/err"
dump qbo
t receipt-written [ "$(jq --arg n "$order" '[.SalesReceipt[]? | select(.DocNumber == $n)] | length' \
	"$tmp/dump")" = 1 ] || jq -c 'keys' "$tmp/dump"
sync > "$tmp/out" 2> "$tmp/err"
t then-unchanged [ "$(col Order 3)" = 0 -a "$(col Order 4)" = 0 ] || cat "$tmp/out"
summary
