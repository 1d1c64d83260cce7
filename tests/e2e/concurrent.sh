#!/bin/sh
# Concurrent requests (docs/sync.md), against the sandbox, NopCommerce ->
# QuickBooks Online (its published cap: 10 at once), 40 orders, each
# request one document (--batch 1), QuickBooks answering after 300 ms:
#   - a run: the sandbox saw more than one request in flight at once and
#     never more than 10, no 429, faster than one at a time could be, and
#     the books reconcile (each record once, the money to the cent);
#   - the same pair with `limit 500/min, 3 concurrent` in its .map: never
#     more than 3 in flight;
#   - `dlq retry` of the orders QuickBooks refused: more than one request
#     in flight and never more than 10, every dead letter written once;
#     the two dead letters of one order (two versions) both written, the
#     second after the first's answer (an update), none left waiting;
#   - killed with SIGKILL while requests are in flight, five times over,
#     then run to the end: the requests left pending are sent again, more
#     than one at once and never more than 10, and the books reconcile with
#     nothing written twice and nothing missing.
GROUP=concurrent
. "$(dirname "$0")/lib.sh"
N=${N:-40}
gen nop 31 "$N"
sandbox_start
use_pair nopcommerce_qbo
peak() { curl -s "$root/_sandbox/faults" | jq .qbo.in_flight_peak; }
in_flight() { curl -s "$root/_sandbox/faults" | jq .qbo.in_flight; }
reconcile() { # state
	dump
	python3 scripts/reconcile_sync.py "$pair" "$data" "$tmp/dump" "$1" > "$tmp/rec"
}
calls() { # the target's line of the summary in $tmp/out: "N calls (N answered 429"
	sed -n 's/^qbo: \([0-9]*\) calls (\([0-9]*\) answered 429.*/\1 \2/p' "$tmp/out"
}
run() { # binary state [args]: one run to its end, each request one document
	b=$1 s=$2; shift 2
	"$b" run --once --state "$s" --config "$tmp/$pair.env" --batch 1 "$@"
}

# ---- up to the cap ------------------------------------------------------
fault '{"service":"qbo","latency_ms":300}'
t0=$(date +%s.%N)
run "$BIN/$pair" "$st" > "$tmp/out" 2> "$tmp/err"
rc=$?
t1=$(date +%s.%N)
t run-completes [ "$rc" = 0 -o "$rc" = 1 ] || { cat "$tmp/out"; tail "$tmp/err"; }
p=$(peak)
t several-in-flight [ "$p" -gt 1 ] || echo "peak $p"
t never-over-ten [ "$p" -le 10 ] || echo "peak $p"
set -- $(calls)
t no-429 [ "${2:-x}" = 0 ] || cat "$tmp/out"
# one at a time, the calls alone would take 0.3 s each
t faster-than-one-at-a-time awk -v n="$1" -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a < n * 0.3 / 2) }' ||
	echo "$1 calls in $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }') s"
reconcile "$st"
t reconciles [ $? = 0 ] || cat "$tmp/rec"

# ---- the .map's own, lower limit ----------------------------------------
sed 's|^    limit 500/min$|    limit 500/min, 3 concurrent|' mappings/nopcommerce_qbo.map > "$tmp/nq3.map"
t map-limit-set grep -q '3 concurrent' "$tmp/nq3.map"
t pair-built make_pair "$tmp/nq3.map" "$tmp/nq3" || cat "$tmp/make"
sandbox_restart
fault '{"service":"qbo","latency_ms":100}'
run "$tmp/nq3" "$tmp/three.state" > "$tmp/out" 2> "$tmp/err"
rc=$?
p=$(peak)
t three-completes [ "$rc" = 0 -o "$rc" = 1 ] || { cat "$tmp/out"; tail "$tmp/err"; }
t never-over-three [ "$p" -le 3 -a "$p" -gt 1 ] || echo "peak $p"

# ---- dead letters retried at once ---------------------------------------
sandbox_restart
st=$tmp/dlq.state
# every invoice refused (its PrivateNote names the customer): the orders
# are dead-lettered, their payments held
fault '{"service":"qbo","refuse_request":", customer "}'
run "$BIN/$pair" "$st" > "$tmp/out" 2> "$tmp/err"
# the order dead-lettered last changed in the store (its date, so its
# invoice's TxnDate, and not paid yet, so the invoice is not locked), and
# refused again: a second dead letter of the same key, retried right after
# the first, while the first is in flight
twice=$(sql "SELECT source_key FROM dlq WHERE entity = 'Order' ORDER BY id DESC LIMIT 1")
jq -c --arg id "$twice" 'select(.Id == ($id | tonumber)) | .PaymentStatusId = 10 |
	.CreatedOnUtc = "2026-11-02T10:00:00Z" | .UpdatedOnUtc = "2026-12-04T10:00:00Z"' \
	"$data/nopcommerce.orders.ndjson" | tail -1 > "$tmp/v2.ndjson"
cp "$data/nopcommerce.orders.ndjson" "$tmp/orders.ndjson" # as the next part starts
t second-version-put [ "$(put nop orders "$tmp/v2.ndjson")" = 200 ]
run "$BIN/$pair" "$st" > "$tmp/out" 2> "$tmp/err"
dead=$(sql "SELECT count(*) FROM dlq WHERE entity = 'Order' AND NOT dropped")
t orders-dead-lettered [ "$dead" -gt 10 -a "$(sql "SELECT count(*) FROM dlq WHERE entity = 'Order'
	AND source_key = '$twice'")" = 2 ] || { echo "$dead dead"; tail "$tmp/err"; }
fault '{"service":"qbo","latency_ms":300}'
"$BIN/$pair" dlq retry --all --state "$st" --config "$tmp/$pair.env" > "$tmp/retry" 2> "$tmp/err"
rc=$?
p=$(peak)
t retry-completes [ "$rc" = 0 ] || { echo "rc $rc"; tail "$tmp/retry" "$tmp/err"; }
t retry-several-in-flight [ "$p" -gt 1 -a "$p" -le 10 ] || echo "peak $p"
t retry-all-written [ "$(grep -c 'Order .*: written on retry' "$tmp/retry")" = "$dead" ] ||
	cat "$tmp/retry"
t retry-both-versions [ "$(grep -c "Order $twice: written on retry" "$tmp/retry")" = 2 ] ||
	cat "$tmp/retry"
run "$BIN/$pair" "$st" > "$tmp/out" 2> "$tmp/err" # the payments held behind them
reconcile "$st"
t retry-reconciles [ $? = 0 ] || cat "$tmp/rec"
t retry-latest-version [ "$(jq -r --arg n "$(jq -r .CustomOrderNumber "$tmp/v2.ndjson")" \
	'[.Invoice[] | select(.DocNumber == $n) | .TxnDate] | join(" ")' "$tmp/dump")" = 2026-11-02 ]

# ---- killed in flight ---------------------------------------------------
mv "$tmp/orders.ndjson" "$data/nopcommerce.orders.ndjson" # the store as it was
sandbox_restart
st=$tmp/kill.state
fault '{"service":"qbo","latency_ms":300}'
k=0
while [ $k -lt 5 ]; do
	"$BIN/$pair" run --once --state "$st" --config "$tmp/$pair.env" --batch 1 \
		--call-log "$tmp/calls.$k" >> "$tmp/kill.log" 2>&1 &
	spid=$!
	# once its listings have begun (a GET to the store: the requests an
	# earlier kill left are all answered by then) and three of its requests
	# are at QuickBooks (two at least writes: its reads go one at a time),
	# answers 300 ms off: pending when killed.  The sandbox and the call log
	# are asked, not the state file, whose readers wait on the run's writes.
	i=0
	while { ! grep -q ' nopcommerce [0-9]* [0-9]* [0-9]* GET' "$tmp/calls.$k" 2>/dev/null ||
		[ "$(in_flight)" -lt 3 ]; } && [ $i -lt 500 ] && kill -0 $spid 2>/dev/null; do
		sleep 0.02; i=$((i + 1))
	done
	kill -9 $spid 2>/dev/null
	wait $spid 2>/dev/null
	k=$((k + 1))
done
t killed-left-pending [ "$(pending)" -gt 0 ]
left=$(pending)
fault '{"service":"qbo","latency_ms":100}'
run "$BIN/$pair" "$st" --call-log "$tmp/calls" > "$tmp/out" 2> "$tmp/kill.err"
rc=$?
t after-kill-completes [ "$rc" = 0 -o "$rc" = 1 ] || { cat "$tmp/out"; tail "$tmp/kill.err"; }
t after-kill-re-sent grep -q 'sending again' "$tmp/kill.err"
# the re-sends are QuickBooks' calls before the first listing's: the most
# of them in flight at once (each from when it left for as long as it took)
p=$(awk '$2 != "qbo" { exit } { s[n] = $1; e[n++] = $1 + $4 }
	END { for (i = 0; i < n; i++) { c = 0; for (j = 0; j < n; j++) c += s[j] <= s[i] && s[i] < e[j]
	if (c > m) m = c }; print m + 0 }' "$tmp/calls")
t after-kill-re-sent-at-once [ "$p" -gt 1 -a "$p" -le 10 ] || { echo "peak $p of $left"; head "$tmp/calls"; }
t after-kill-nothing-pending [ "$(pending)" = 0 ]
reconcile "$st"
t after-kill-reconciles [ $? = 0 ] || cat "$tmp/rec"
summary
