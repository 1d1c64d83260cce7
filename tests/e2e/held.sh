#!/bin/sh
# End to end, Clarity eCommerce -> Xero: held records are named.  Xero
# refuses customer C-2's contact, so it is dead-lettered and C-2's order is
# held behind it; `dlq list --held` (and its JSON, and `status`) names the
# order and the customer it waits for, with the dead letter's id.  Once the
# refusal is gone, `dlq retry` writes the customer, the next run the order,
# and the held entries are gone.
GROUP=held
. "$(dirname "$0")/lib.sh"
gen clarity 11 30
catalogue  # the items Xero's order lines name (ref Product)
sandbox_start
use_pair clarity_xero
pair() { "$BIN/$pair" "$@" --state "$st"; }
# C-2's order that is neither a draft nor cancelled: written once C-2 is
order=$(jq -r 'select(.customerId == "C-2" and .status != "draft" and .status != "cancelled")
	| .orderId' "$data/clarity_ecommerce.orders.ndjson" | head -1)
t setup [ -n "$order" ]

fault '{"service":"xero","refuse_request":"\"customer2@example.com\""}'
sync > "$tmp/out" 2> "$tmp/err"
t first-run-holds [ "$(awk '$1 == "Order" { print $8 }' "$tmp/out")" -ge 1 ] ||
	cat "$tmp/out" "$tmp/err"
pair dlq list > "$tmp/dlq"
id=$(awk '$2 == "Customer" && $3 == "C-2" { sub("#", "", $1); print $1 }' "$tmp/dlq")
t customer-dead-lettered [ -n "$id" ] || cat "$tmp/dlq"
pair dlq list --held > "$tmp/held"
grep "^held  Order  *$order " "$tmp/held" > "$tmp/line"
t held-names-order-and-customer grep -q "waits for Customer C-2: Customer C-2 is dead-lettered (dlq #$id)" \
	"$tmp/line" || cat "$tmp/held"
t held-count-line grep -q '^[1-9][0-9]* held records\?$' "$tmp/held"
pair dlq export --held > "$tmp/held.json"
t held-json [ "$(jq -r --arg o "$order" 'select(.entity == "Order" and .key == $o) |
	.waits_for_entity + " " + .waits_for_key' "$tmp/held.json")" = "Customer C-2" ] ||
	cat "$tmp/held.json"
pair dlq list --held --entity Customer > "$tmp/none"
t held-per-entity grep -q '^0 held records$' "$tmp/none"
pair status > "$tmp/status"
t status-held-column [ "$(awk '/^Order / { print $6 }' "$tmp/status")" -ge 1 ] &&
	grep -q "^  Order $order waits: Customer C-2 is dead-lettered" "$tmp/status" || cat "$tmp/status"

# the refusal gone: retry the customer, then the order is written
fault '{"service":"xero"}'
pair dlq retry "$id" --config "$tmp/$pair.env" > "$tmp/retry" 2>&1
t customer-retried grep -q 'written on retry' "$tmp/retry" || cat "$tmp/retry"
pair dlq list --held > "$tmp/held"
t still-held-until-run grep -q "^held  Order  *$order " "$tmp/held"
sync > "$tmp/out" 2> "$tmp/err"
dump
t order-written [ "$(jq --arg o "$order" '[.Invoices[] | select(.Reference == $o)] | length' \
	"$tmp/dump")" = 1 ] || cat "$tmp/out" "$tmp/err"
pair dlq list --held > "$tmp/held"
t held-entry-gone [ "$(grep -c "^held  Order  *$order " "$tmp/held")" = 0 ] || cat "$tmp/held"
pair status > "$tmp/status"
t status-none-held [ "$(awk '/^Order / { print $6 }' "$tmp/status")" = 0 ] || cat "$tmp/status"
summary
