#!/bin/sh
# End to end, Clarity eCommerce -> Sage Intacct and NopCommerce -> QuickBooks
# Online, over real HTTP against the sandbox with `run --once` and a real
# state file, per pair:
#   - the first run reconciles with the store (records, money per currency)
#     from what the target holds, and the documents match the mapping field
#     by field (Intacct: the fields its objects keep);
#   - a second run writes nothing;
#   - a new order whose write commits but whose answer is lost is stored
#     once (Intacct: the function controlid; QuickBooks: requestid);
#   - a run killed with SIGKILL in the middle of a request leaves it pending
#     and the next run re-sends it without a duplicate;
#   - a changed customer updates its target record (no second one).
SUITE=e2e GROUP=pairs
cd "$(dirname "$0")/../.." || exit 2
data=$(mktemp -d)
python3 tests/bench/gen_orders.py --seed 13 --orders 400 > "$data/clarity_ecommerce.orders.ndjson"
python3 tests/bench/gen_orders.py --seed 13 --customers --orders 400 \
	> "$data/clarity_ecommerce.customers.ndjson"
python3 tests/bench/gen_nop.py --seed 13 --orders 400 > "$data/nopcommerce.orders.ndjson"
python3 tests/bench/gen_nop.py --seed 13 --customers --orders 400 > "$data/nopcommerce.customers.ndjson"
python3 tests/bench/gen_nop.py --seed 13 --products --orders 400 > "$data/nopcommerce.products.ndjson"
SANDBOX_ARGS="--clarity-orders $data/clarity_ecommerce.orders.ndjson
	--clarity-customers $data/clarity_ecommerce.customers.ndjson
	--nop-orders $data/nopcommerce.orders.ndjson --nop-customers $data/nopcommerce.customers.ndjson
	--nop-products $data/nopcommerce.products.ndjson --limit-scale 100"
. tests/sandbox/lib.sh
trap 'kill $pid 2>/dev/null; rm -rf "$tmp" "$data"' EXIT
curl -s "$root/_sandbox/dump?service=qbo" > "$tmp/qbo.start"
cat > "$tmp/clarity_intacct.env" <<EOF
CLARITY_URL=$root/clarity
CLARITY_CLIENT_ID=sandbox-client
CLARITY_CLIENT_SECRET=sandbox-secret
CLARITY_WEBHOOK_SECRET=unused-here
INTACCT_URL=$root/intacct/ia/xml/xmlgw.phtml
INTACCT_SENDER_ID=sandbox-sender
INTACCT_SENDER_PASSWORD=sandbox-sender-pw
INTACCT_COMPANY_ID=sandbox-co
INTACCT_USER_ID=sandbox-user
INTACCT_USER_PASSWORD=sandbox-user-pw
EOF
cat > "$tmp/nopcommerce_qbo.env" <<EOF
NOP_URL=$root/nop
NOP_API_USERNAME=sandbox-api
NOP_API_PASSWORD=sandbox-api-pw
QBO_URL=$root/qbo
QBO_TOKEN_URL=$root/qbo/oauth2/v1/tokens/bearer
QBO_CLIENT_ID=sandbox-client
QBO_CLIENT_SECRET=sandbox-secret
QBO_REALM_ID=$(jq -r .realm "$tmp/qbo.start")
QBO_REFRESH_TOKEN=$(jq -r .refresh_token "$tmp/qbo.start")
EOF
fault() { curl -s -o /dev/null -X POST --data-binary "$1" "$root/_sandbox/faults"; }
col() { awk -v e="$1" -v c="$2" '$1 == e { print $c }' "$tmp/out"; }
put() { # service collection file: into the store and the reconciliation's data
	cat "$3" >> "$data/$4.$2.ndjson"
	curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary @"$3" \
		"$root/_sandbox/records?service=$1&collection=$2"
}
pending() {
	python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(
		\"SELECT count(*) FROM journal WHERE state = 'pending'\").fetchone()[0])" "$1"
}

for pair in clarity_intacct nopcommerce_qbo; do
	st="$tmp/$pair.state"
	case $pair in
	clarity_intacct) svc=intacct src=clarity store=clarity_ecommerce docs=SODOCUMENT
		cust=CUSTOMER ;;
	nopcommerce_qbo) svc=qbo src=nop store=nopcommerce docs=SalesReceipt cust=Customer ;;
	esac
	sync() { "$BIN/$pair" run --once --state "$st" --config "$tmp/$pair.env" "$@"; }
	dump() { curl -s "$root/_sandbox/dump?service=$svc" > "$tmp/dump"; }
	reconcile() {
		python3 scripts/reconcile_sync.py "$pair" "$data" "$tmp/dump" "$st" > "$tmp/rec"
	}
	sync > "$tmp/out" 2> "$tmp/err"; rc=$?
	t "$pair/first-run-completes" [ "$rc" = 0 -o "$rc" = 1 -o "$rc" = 3 ] || cat "$tmp/err"
	dump
	reconcile
	t "$pair/reconciles" [ $? = 0 ] || cat "$tmp/rec"
	case $pair in
	clarity_intacct) ents="Customer:customers Order:orders Payment:orders" ;;
	nopcommerce_qbo) ents="Product:products Customer:customers Order:orders OrderInvoice:orders" ;;
	esac
	for e in $ents; do
		"$BIN/$pair" transform "${e%%:*}" --dead-letter /dev/null \
			< "$data/$store.${e#*:}.ndjson" > "$tmp/want"
		python3 tests/e2e/fields.py "$pair" "${e%%:*}" "$tmp/want" "$tmp/dump" "$data" \
			> "$tmp/f"
		t "$pair/fields-${e%%:*}" [ $? = 0 ] || cat "$tmp/f"
	done
	n=$(jq ".$docs | length" "$tmp/dump")
	sync > "$tmp/out" 2>&1
	dump
	t "$pair/rerun-writes-nothing" [ "$(col total 3)" = 0 -a "$(col total 4)" = 0 -a \
		"$(jq ".$docs | length" "$tmp/dump")" = "$n" ]

	# new paid orders, copies of a written one under new ids and stamps
	case $pair in
	clarity_intacct)
		new() { jq -c --arg id "$1" --arg at "$2" 'select(.status == "completed" and
			.paymentInfo.status == "captured" and .customerId != null) | .orderId = $id |
			.updatedAt = $at' "$data/clarity_ecommerce.orders.ndjson" | head -1; } ;;
	nopcommerce_qbo)
		new() { jq -c --argjson id "$1" --arg at "$2" 'select(.PaymentStatusId == 30 and
			.OrderStatusId == 30) | .Id = $id | .CustomOrderNumber = ($id | tostring) |
			.UpdatedOnUtc = $at' "$data/nopcommerce.orders.ndjson" | head -1; } ;;
	esac
	id() { [ $pair = clarity_intacct ] && echo "SO-9$1" || echo "9$1"; }
	new "$(id 00001)" 2030-01-02T00:00:00Z > "$tmp/new"
	put $src orders "$tmp/new" $store > /dev/null
	fault "{\"service\":\"$svc\",\"lose_response\":1}"
	sync > "$tmp/out" 2> "$tmp/err"
	dump
	t "$pair/lost-answer-not-duplicated" [ "$(jq ".$docs | length" "$tmp/dump")" = $((n + 1)) ] ||
		cat "$tmp/err"

	: > "$tmp/many"
	i=0
	while [ $i -lt 25 ]; do
		new "$(id 1$(printf %04d $i))" "2030-01-03T00:00:$(printf %02d $i)Z" >> "$tmp/many"
		i=$((i + 1))
	done
	put $src orders "$tmp/many" $store > /dev/null
	fault "{\"service\":\"$svc\",\"latency_ms\":1500}"
	"$BIN/$pair" run --once --state "$st" --config "$tmp/$pair.env" > "$tmp/out" 2>&1 &
	spid=$!
	# Intacct opens an API session first (one more slow request)
	if [ $pair = clarity_intacct ]; then sleep 2.4; else sleep 1.2; fi
	kill -9 $spid 2>/dev/null; wait $spid 2>/dev/null
	fault "{\"service\":\"$svc\",\"latency_ms\":0}"
	t "$pair/killed-run-left-pending" [ "$(pending "$st")" -gt 0 ]
	sync > "$tmp/out" 2> "$tmp/err"
	dump
	t "$pair/after-kill-re-sent-once" [ "$(jq ".$docs | length" "$tmp/dump")" = $((n + 26)) ] &&
		grep -q 'sending again' "$tmp/err" || cat "$tmp/err"
	reconcile
	t "$pair/still-reconciles" [ $? = 0 ] || cat "$tmp/rec"

	# a changed customer: its record is updated, not made twice
	nc=$(jq ".$cust | length" "$tmp/dump")
	case $pair in
	clarity_intacct) jq -c 'select(.customerId == "C-3") | .email = "changed@example.com" |
		.updatedAt = "2030-02-01T00:00:00Z"' "$data/clarity_ecommerce.customers.ndjson" |
		tail -1 > "$tmp/cust" ;;
	nopcommerce_qbo) jq -c 'select(.Id == 3) | .Email = "changed@example.com" |
		.UpdatedOnUtc = "2030-02-01T00:00:00Z"' "$data/nopcommerce.customers.ndjson" |
		tail -1 > "$tmp/cust" ;;
	esac
	put $src customers "$tmp/cust" $store > /dev/null
	sync > "$tmp/out" 2> "$tmp/err"
	dump
	t "$pair/changed-customer-updated" [ "$(col Customer 4)" = 1 -a \
		"$(jq ".$cust | length" "$tmp/dump")" = "$nc" ] &&
		grep -q changed@example.com "$tmp/dump" || { cat "$tmp/out" "$tmp/err"; }
done
echo "e2e: $pass passed, $fail failed"
[ $fail -eq 0 ]
