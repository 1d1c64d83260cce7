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
GROUP=pairs
. "$(dirname "$0")/lib.sh"
gen clarity 13 400
catalogue  # the items Sage Intacct's order lines are (ref Product)
gen nop 13 400
sandbox_start --limit-scale 100
write_env clarity_intacct
write_env nopcommerce_qbo

for pair in clarity_intacct nopcommerce_qbo; do
	st="$tmp/$pair.state"
	case $pair in
	clarity_intacct) svc=intacct src=clarity store=clarity_ecommerce docs=SODOCUMENT
		cust=CUSTOMER ;;
	nopcommerce_qbo) svc=qbo src=nop store=nopcommerce docs=Invoice cust=Customer ;;
	esac
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
	nopcommerce_qbo) ents="Product:products Customer:customers Order:orders Payment:orders" ;;
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
	put $src orders "$tmp/new" > /dev/null
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
	put $src orders "$tmp/many" > /dev/null
	fault "{\"service\":\"$svc\",\"latency_ms\":1500}"
	"$BIN/$pair" run --once --state "$st" --config "$tmp/$pair.env" > "$tmp/out" 2>&1 &
	spid=$!
	# killed once a request is journaled and on its way (its answer 1.5 s
	# off), however slow the build (ASan) or the machine
	i=0
	while [ "$(pending)" = 0 ] && [ $i -lt 300 ]; do sleep 0.05; i=$((i + 1)); done
	kill -9 $spid 2>/dev/null; wait $spid 2>/dev/null
	fault "{\"service\":\"$svc\",\"latency_ms\":0}"
	t "$pair/killed-run-left-pending" [ "$(pending)" -gt 0 ]
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
	put $src customers "$tmp/cust" > /dev/null
	sync > "$tmp/out" 2> "$tmp/err"
	dump
	t "$pair/changed-customer-updated" [ "$(col Customer 4)" = 1 -a \
		"$(jq ".$cust | length" "$tmp/dump")" = "$nc" ] &&
		grep -q changed@example.com "$tmp/dump" || { cat "$tmp/out" "$tmp/err"; }
done
summary
