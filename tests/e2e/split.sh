#!/bin/sh
# End to end, Clarity eCommerce -> Xero against the sandbox: a batch never
# fails for one record's reason (docs/sync.md, "A request refused as a whole").
#   - one invoice Xero refuses for the whole request (the sandbox's
#     refuse_request fault: 400 PostDataInvalidException): the request is
#     split until each document has its own answer; every other invoice is
#     written, and exactly one dead letter holds the refused one's own words;
#   - a batch of payments holding an update (Xero updates no payment) and a
#     new payment: the new one is written, the update refused on its own;
#   - a run killed with SIGKILL in the middle of a split, then a re-run:
#     nothing written twice, nothing lost, the one bad invoice dead-lettered.
SUITE=e2e GROUP=split
cd "$(dirname "$0")/../.." || exit 2
data=$(mktemp -d)
python3 tests/bench/gen_orders.py --seed 11 --orders 60 > "$data/clarity_ecommerce.orders.ndjson"
python3 tests/bench/gen_orders.py --seed 11 --customers --orders 60 \
	> "$data/clarity_ecommerce.customers.ndjson"
SANDBOX_ARGS="--clarity-orders $data/clarity_ecommerce.orders.ndjson
	--clarity-customers $data/clarity_ecommerce.customers.ndjson --limit-scale 100"
. tests/sandbox/lib.sh
trap 'kill $pid 2>/dev/null; rm -rf "$tmp" "$data"' EXIT
cat > "$tmp/env" <<EOT
CLARITY_URL=$root/clarity
CLARITY_CLIENT_ID=sandbox-client
CLARITY_CLIENT_SECRET=sandbox-secret
CLARITY_WEBHOOK_SECRET=unused-here
XERO_URL=$root/xero/api.xro/2.0
XERO_TOKEN_URL=$root/xero/connect/token
XERO_CLIENT_ID=sandbox-client
XERO_CLIENT_SECRET=sandbox-secret
XERO_TENANT_ID=00000000-0000-4000-8000-00000000000a
EOT
st="$tmp/state"
sync() { "$BIN/clarity_xero" run --once --state "$st" --config "$tmp/env" "$@"; }
dump() { curl -s "$root/_sandbox/dump?service=xero" > "$tmp/dump"; }
fault() { curl -s -o /dev/null -X POST --data-binary "$1" "$root/_sandbox/faults"; }
sql() { python3 -c "import sqlite3,sys; print('\n'.join('|'.join(str(c) for c in r) for r in
	sqlite3.connect(sys.argv[1]).execute(sys.argv[2])))" "$st" "$1"; }
refs() { jq "[.Invoices[] | select(.Reference == \"$1\")] | length" "$tmp/dump"; }
put_orders() {
	cat "$1" >> "$data/clarity_ecommerce.orders.ndjson"
	curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary @"$1" \
		"$root/_sandbox/records?service=clarity&collection=orders"
}
new_order() { # id stamp -> a copy of SO-100001 (processing, captured) under a new id
	jq -c --arg id "$1" --arg at "$2" 'select(.orderId == "SO-100001") | .orderId = $id
		| .updatedAt = $at' "$data/clarity_ecommerce.orders.ndjson"
}
refuse() { fault "{\"service\":\"xero\",\"refuse_request\":\"\\\"Reference\\\":\\\"$1\\\"\"$2}"; }

# 1. One invoice refused for the whole request, in a batch of every order.
want=$("$BIN/clarity_xero" transform Order --dead-letter /dev/null \
	< "$data/clarity_ecommerce.orders.ndjson" | wc -l)
refuse SO-100007
sync > "$tmp/out" 2> "$tmp/err"
dump
t others-written [ "$(jq '.Invoices | length' "$tmp/dump")" = $((want - 1)) -a \
	"$(refs SO-100007)" = 0 -a "$(refs SO-100006)" = 1 ] || { cat "$tmp/err"; cat "$tmp/out"; }
sql "SELECT source_key, target_error FROM dlq WHERE entity = 'Order' AND target_error != ''" \
	> "$tmp/dead"
t one-dead-letter-own-reason [ "$(wc -l < "$tmp/dead")" = 1 ] && grep -q '^SO-100007|.*SO-100007' \
	"$tmp/dead" || cat "$tmp/dead"
grep -q 'refused as a whole' "$tmp/err"
t split-logged [ $? = 0 ] || cat "$tmp/err"
fault '{"service":"xero"}'

# 2. A batch of payments: an update (the paid order changed) and a new one.
n_pay=$(jq '.Payments | length' "$tmp/dump")
jq -c 'select(.orderId == "SO-100003") | .lineItems[0].name = "Renamed in the store"
	| .updatedAt = "2030-01-01T00:00:00Z"' "$data/clarity_ecommerce.orders.ndjson" > "$tmp/changed"
new_order SO-800001 2030-01-01T00:00:01Z >> "$tmp/changed"
put_orders "$tmp/changed" > /dev/null
sync > "$tmp/out" 2> "$tmp/err"
dump
inv=$(jq -r '.Invoices[] | select(.Reference == "SO-800001") | .InvoiceID' "$tmp/dump")
t new-payment-written [ -n "$inv" -a "$(jq --arg i "$inv" '[.Payments[] |
	select(.Invoice.InvoiceID == $i)] | length' "$tmp/dump")" = 1 -a \
	"$(jq '.Payments | length' "$tmp/dump")" = $((n_pay + 1)) ] || { cat "$tmp/err"; cat "$tmp/out"; }
sql "SELECT source_key, target_error FROM dlq WHERE entity = 'Payment'" > "$tmp/dead"
t update-refused-alone [ "$(wc -l < "$tmp/dead")" = 1 ] &&
	grep -q '^SO-100003|Xero does not update payments' "$tmp/dead" || cat "$tmp/dead"

# 3. SIGKILL in the middle of a split, then a re-run.
i=0; : > "$tmp/many"
while [ $i -lt 40 ]; do new_order "SO-95$(printf %04d $i)" "2030-01-03T00:00:$(printf %02d $i)Z" \
	>> "$tmp/many"; i=$((i + 1)); done
put_orders "$tmp/many" > /dev/null
refuse SO-950013 ',"latency_ms":700'
"$BIN/clarity_xero" run --once --state "$st" --config "$tmp/env" > "$tmp/out" 2> "$tmp/err" &
spid=$!
sleep 2.4; kill -9 $spid 2>/dev/null; wait $spid 2>/dev/null
refuse SO-950013
sql "SELECT count(DISTINCT request_key) FROM journal WHERE state = 'pending'" > "$tmp/pending"
t killed-mid-split-left-pending [ "$(cat "$tmp/pending")" -gt 0 ] || cat "$tmp/err"
grep -q 'refused as a whole' "$tmp/err"
t killed-after-split-began [ $? = 0 ] || cat "$tmp/err"
sync > "$tmp/out" 2> "$tmp/err"; cp "$tmp/err" "$tmp/err.rerun"
dump
t after-kill-no-duplicates [ "$(jq '[.Invoices[].Reference] | length == (unique | length)' \
	"$tmp/dump")" = true -a "$(jq '[.Payments[].Invoice.InvoiceID] | length == (unique | length)' \
	"$tmp/dump")" = true ] || cat "$tmp/err"
t after-kill-nothing-lost [ "$(jq '[.Invoices[] | select(.Reference | startswith("SO-95"))] |
	length' "$tmp/dump")" = 39 -a "$(refs SO-950013)" = 0 ] || { cat "$tmp/err"; cat "$tmp/out"; }
sql "SELECT source_key FROM dlq WHERE entity = 'Order' AND target_error != ''" > "$tmp/dead"
t after-kill-one-more-dead-letter [ "$(grep -c . "$tmp/dead")" = 2 ] && grep -qx SO-950013 "$tmp/dead" ||
	cat "$tmp/dead"
grep -q 'sending again' "$tmp/err.rerun"
t after-kill-sub-requests-re-sent [ $? = 0 ] || cat "$tmp/err.rerun"
t after-kill-nothing-pending [ "$(sql "SELECT count(*) FROM journal WHERE state = 'pending'")" = 0 ]
fault '{"service":"xero"}'
echo "e2e: $pass passed, $fail failed"
[ $fail -eq 0 ]
