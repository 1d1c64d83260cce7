#!/bin/sh
# End to end, Clarity eCommerce -> Xero, over real HTTP against the sandbox,
# with bin/clarity_xero run --once and a real state file:
#   - the first run writes every customer, order and payment; what Xero holds
#     reconciles with the store (records and money per currency) and matches
#     the mapping field by field (refs resolved to Xero's ids);
#   - paging: 1,100 orders are three pages of the store's API;
#   - a second run writes nothing; a changed order updates its invoice (no
#     second one);
#   - a write whose answer is lost is retried with the same Idempotency-Key
#     and stored once; a run killed with SIGKILL mid-write leaves its batch
#     pending, and the next run re-sends it without duplicating anything;
#   - access tokens revoked in the middle of a run are refreshed;
#   - --dry-run prints the requests and writes nothing; status reports.
GROUP=clarity_xero
. "$(dirname "$0")/lib.sh"
gen clarity 11 1100
catalogue  # the items Xero's order lines name (ref Product)
sandbox_start --limit-scale 100
use_pair clarity_xero
count() { jq ".$1 | length" "$tmp/dump"; }

sync > "$tmp/out" 2> "$tmp/err"; rc=$?
t first-run-completes [ "$rc" = 1 -o "$rc" = 3 ] || cat "$tmp/err"
dump
t wrote-every-customer [ "$(col Customer 3)" = "$(wc -l < "$data/clarity_ecommerce.customers.ndjson")" ]
t paged-every-order [ "$(col Order 2)" = 1100 ]
python3 scripts/reconcile_sync.py clarity_xero "$data" "$tmp/dump" "$st" > "$tmp/rec"
t reconciles [ $? = 0 ] || cat "$tmp/rec"
for e in Customer:customers Order:orders Payment:orders; do
	"$BIN/clarity_xero" transform "${e%%:*}" --rates "$tmp/ecb.xml" --dead-letter /dev/null \
		< "$data/clarity_ecommerce.${e#*:}.ndjson" > "$tmp/want"
	python3 tests/e2e/fields.py clarity_xero "${e%%:*}" "$tmp/want" "$tmp/dump" > "$tmp/f"
	t "fields-${e%%:*}" [ $? = 0 ] || cat "$tmp/f"
done

n_inv=$(count Invoices) n_pay=$(count Payments)
sync > "$tmp/out" 2>&1
dump
t rerun-writes-nothing [ "$(col total 3)" = 0 -a "$(col total 4)" = 0 -a \
	"$(count Invoices)" = "$n_inv" -a "$(count Payments)" = "$n_pay" ]

# A changed order, not paid (Xero does not edit a paid invoice): a new line
# description and a newer stamp.
jq -c 'select(.orderId == "SO-100038") | .lineItems[0].name = "Renamed in the store"
	| .updatedAt = "2030-01-01T00:00:00Z"' "$data/clarity_ecommerce.orders.ndjson" > "$tmp/changed"
t change-accepted [ "$(put_orders "$tmp/changed")" = 200 ]
sync > "$tmp/out" 2>&1
dump
t changed-order-updates [ "$(col Order 4)" = 1 -a "$(count Invoices)" = "$n_inv" -a \
	"$(jq -r '[.Invoices[] | select(.Reference == "SO-100038")] | length' "$tmp/dump")" = 1 -a \
	"$(jq -r '.Invoices[] | select(.Reference == "SO-100038") | .LineItems[0].Description' \
	"$tmp/dump")" = "Renamed in the store" ]

# A new order whose write commits but whose answer is lost.
new_order SO-900001 2030-01-02T00:00:00Z > "$tmp/new"
put_orders "$tmp/new" > /dev/null
fault '{"service":"xero","lose_response":1}'
sync > "$tmp/out" 2> "$tmp/err"
dump
t lost-answer-not-duplicated [ "$(jq '[.Invoices[] | select(.Reference == "SO-900001")] | length' \
	"$tmp/dump")" = 1 -a "$(count Invoices)" = $((n_inv + 1)) ] || cat "$tmp/err"

# SIGKILL in the middle of a batch: the sandbox commits the write after the
# client is gone; the journal has the request; the next run re-sends it.
i=0; : > "$tmp/many"
while [ $i -lt 40 ]; do new_order "SO-91$(printf %04d $i)" "2030-01-03T00:00:$(printf %02d $((i % 60)))Z" \
	>> "$tmp/many"; i=$((i + 1)); done
put_orders "$tmp/many" > /dev/null
fault '{"service":"xero","latency_ms":1500}'
# (the binary itself in the background, so that $! is its pid)
"$BIN/$pair" run --once --state "$st" --config "$tmp/$pair.env" > "$tmp/out" 2>&1 &
spid=$!
# killed once a request is journaled and on its way (its answer 1.5 s off),
# however slow the build (ASan) or the machine
i=0
while [ "$(pending)" = 0 ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
kill -9 $spid 2>/dev/null; wait $spid 2>/dev/null
fault '{"service":"xero","latency_ms":0}'
t killed-run-left-pending [ "$(pending)" -gt 0 ]
sync > "$tmp/out" 2> "$tmp/err"
dump
t after-kill-no-duplicates [ "$(jq '[.Invoices[].Reference] | length == (unique | length)' \
	"$tmp/dump")" = true -a "$(jq '[.Invoices[] | select(.Reference | startswith("SO-91"))] |
	length' "$tmp/dump")" = 40 ] || cat "$tmp/err"
grep -q 'sending again' "$tmp/err"
t after-kill-re-sent [ $? = 0 ] || { cat "$tmp/err"; cat "$tmp/out"; }

# Tokens revoked while a run is writing: one refresh, and the run goes on.
i=0; : > "$tmp/more"
while [ $i -lt 120 ]; do new_order "SO-92$(printf %04d $i)" "2030-01-04T00:00:$(printf %02d $((i % 60)))Z" \
	>> "$tmp/more"; i=$((i + 1)); done
put_orders "$tmp/more" > /dev/null
fault '{"service":"xero","latency_ms":300}'
"$BIN/$pair" run --once --state "$st" --config "$tmp/$pair.env" > "$tmp/out" 2> "$tmp/err" &
spid=$!
sleep 0.5; fault '{"service":"xero","expire_tokens":1}'
wait $spid; rc=$?
fault '{"service":"xero","latency_ms":0}'
dump
t token-refreshed-mid-run [ "$rc" != 2 -a "$(jq '[.Invoices[] | select(.Reference |
	startswith("SO-92"))] | length' "$tmp/dump")" = 120 ] || cat "$tmp/err"
grep -q 'refreshing the token' "$tmp/err"
t token-refresh-logged [ $? = 0 ]
python3 scripts/reconcile_sync.py clarity_xero "$data" "$tmp/dump" "$st" > "$tmp/rec"
t still-reconciles [ $? = 0 ] || cat "$tmp/rec"

# --dry-run: the request is printed, nothing is written or recorded.
new_order SO-930000 2030-01-05T00:00:00Z > "$tmp/dry"
put_orders "$tmp/dry" > /dev/null
n_inv=$(count Invoices)
sync --dry-run > "$tmp/out" 2>&1
dump
t dry-run-prints-request [ "$(grep -c '^PUT .*/Invoices?summarizeErrors=false' "$tmp/out")" -ge 1 ] &&
	grep -q '"Reference":"SO-930000"' "$tmp/out"
t dry-run-writes-nothing [ "$(count Invoices)" = "$n_inv" ]
sync > "$tmp/out" 2>&1
dump
t after-dry-run-written [ "$(count Invoices)" = $((n_inv + 1)) ]

# The operator's loop: look at a dead letter, fix the mapping (orders
# "on-hold" had no Xero status), rebuild, retry the queue, sync again.
"$BIN/clarity_xero" dlq list --state "$st" > "$tmp/dlq"
t dlq-list [ "$(grep -c '\["on-hold"\]' "$tmp/dlq")" -ge 1 ] || cat "$tmp/dlq"
id=$(grep '\["on-hold"\]' "$tmp/dlq" | head -1 | sed 's/^#\([0-9]*\).*/\1/')
"$BIN/clarity_xero" dlq show "$id" --state "$st" > "$tmp/show"
t dlq-show [ $? = 0 ] && grep -q '^  record    {' "$tmp/show" && grep -q 'clarity_xero.map:' "$tmp/show"
"$BIN/clarity_xero" dlq export --state "$st" > "$tmp/export"
t dlq-export-json-lines [ "$(jq -s 'length' "$tmp/export")" = "$(grep -c '^#' "$tmp/dlq")" -a \
	"$(jq -s '[.[] | select(.record | type == "object")] | length > 0' "$tmp/export")" = true ]
n_hold=$(grep -c '\["on-hold"\]' "$tmp/dlq")
sed -e 's/^  "cancelled"  => "VOIDED"$/  "cancelled"  => "VOIDED"\n  "on-hold"    => "AUTHORISED"/' \
	-e 's/^    "pending", "processing", "fulfilled", "completed" => write$/&\n    "on-hold" => write/' \
	mappings/clarity_xero.map > "$tmp/fixed.map"
make_pair "$tmp/fixed.map" "$tmp/fixed"
t fixed-mapping-builds [ -x "$tmp/fixed" ] || cat "$tmp/make"
"$tmp/fixed" dlq retry --all --state "$st" --config "$tmp/$pair.env" > "$tmp/retry" 2>&1
t dlq-retry-drains-fixed [ "$(grep -c 'written on retry' "$tmp/retry")" = "$n_hold" ] ||
	cat "$tmp/retry"
"$BIN/clarity_xero" dlq list --state "$st" > "$tmp/dlq"
t dlq-fixed-ones-gone [ "$(grep -c '\["on-hold"\]' "$tmp/dlq")" = 0 ]
"$tmp/fixed" run --once --state "$st" --config "$tmp/$pair.env" > "$tmp/out" 2>&1
dump
python3 scripts/reconcile_sync.py clarity_xero "$data" "$tmp/dump" "$st" > "$tmp/rec"
t reconciles-after-retry [ $? = 0 ] || cat "$tmp/rec"
"$BIN/clarity_xero" dlq drop "$(grep '^#' "$tmp/dlq" | head -1 | sed 's/^#\([0-9]*\).*/\1/')" \
	--state "$st" > /dev/null 2>&1
t dlq-drop-needs-reason [ $? = 2 ]

"$BIN/clarity_xero" status --state "$st" > "$tmp/status"
t status-reports [ $? = 0 ] && grep -q '^Order ' "$tmp/status" && grep -q 'dead letters: ' "$tmp/status"
summary
