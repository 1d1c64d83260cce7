#!/bin/sh
# The daemon, Clarity eCommerce -> Xero: `serve` against the sandbox, whose
# store delivers signed webhooks to it.
#   - it syncs everything at start and reconciles; /healthz and /metrics;
#   - idle, no thread of it runs for 3 s (no timer, no state call);
#   - /metrics has every series packaging/prometheus's alerting rules read;
#   - a new order in the store arrives as an order.created webhook and is
#     fetched and written; a changed order updates its invoice;
#   - webhooks: a valid signature is stored once (a replay is a no-op), a
#     bad or missing signature gets 401, an oversize body 413, malformed
#     JSON 400, and nothing is stored for those;
#   - SIGTERM: it exits 0; kill -9 in the middle of a sync and a restart,
#     five times: no duplicates, nothing lost.
GROUP=serve
. "$(dirname "$0")/lib.sh"
gen clarity 19 400
sport=$(free_port)
secret=whsec-test-1
sandbox_start --limit-scale 100 --clarity-webhook-url "http://127.0.0.1:$sport/webhooks/clarity" \
	--clarity-webhook-secret "$secret"
use_pair clarity_xero "$secret"
daemon="http://127.0.0.1:$sport"
start() {
	"$BIN/$pair" serve --state "$st" --config "$tmp/$pair.env" --port "$sport" --log-json \
		>> "$tmp/out" 2>> "$tmp/serve.log" &
	dpid=$!
	i=0
	while [ $i -lt 50 ] && ! curl -sf "$daemon/healthz" > /dev/null 2>&1; do
		sleep 0.1; i=$((i + 1))
	done
}
wait_for() { # jq-condition on the dump, seconds
	i=0
	while [ $i -lt $(($2 * 5)) ]; do
		dump
		[ "$(jq "$1" "$tmp/dump")" = true ] && return 0
		sleep 0.2; i=$((i + 1))
	done
	return 1
}
inbox() { sql 'SELECT count(*) FROM inbox'; }
put_orders() { put clarity orders "$1" > /dev/null; } # (no status)
# new_order: a copy of an order Xero holds ($template)

start
t healthz [ "$(curl -s "$daemon/healthz")" = ok ]
# the first pass: everything from the cursors (empty)
n_orders=$(jq -s '[.[] | select(.status != "draft" and .status != "cancelled")] | length' \
	"$data/clarity_ecommerce.orders.ndjson")
wait_for "(.Invoices | length) >= $((n_orders - 10))" 30
sleep 2
dump
python3 scripts/reconcile_sync.py clarity_xero "$data" "$tmp/dump" "$st" > "$tmp/rec"
t first-pass-reconciles [ $? = 0 ] || cat "$tmp/rec"
# Idle, it sleeps: once the first pass is done, nothing runs in it (no
# timer, no state call) until a webhook comes or a poll (5 min) is due.
first_pass $sport
s0=$(quiet $dpid)
sleep 3
t idle-sleeps [ "$(switches $dpid)" = "$s0" ] || echo "$(($(switches $dpid) - s0)) switches"
curl -s "$daemon/metrics" > "$tmp/metrics"
t metrics-records grep -q '^mapwright_records_total{pair="clarity_xero",entity="Order",outcome="created"} [1-9]' \
	"$tmp/metrics"
t metrics-calls grep -q '^mapwright_http_calls_total{service="xero",status="2xx"} [1-9]' \
	"$tmp/metrics"
t metrics-breaker grep -q '^mapwright_circuit_state{service="xero"} 0$' "$tmp/metrics"
t metrics-dead-letters grep -q '^mapwright_dead_letters{pair="clarity_xero"} [0-9]' \
	"$tmp/metrics"
# every series the shipped alerting rules read is exported
missing=
for m in $(grep -o 'mapwright_[a-z_]*' packaging/prometheus/mapwright.rules.yml | sort -u); do
	grep -q "^$m[{ ]" "$tmp/metrics" || missing="$missing $m"
done
t alert-rules-series-exported [ -z "$missing" ] || echo "not exported:$missing"
t logs-are-json-lines jq -e . "$tmp/serve.log" > /dev/null || head -5 "$tmp/serve.log"
t logs-hold-no-secret [ "$(grep -c "$secret\|sandbox-secret" "$tmp/serve.log")" = 0 ]
# (an unpaid one, so that its copy can change: Xero does not edit a paid invoice)
template=$(jq -r '[.Invoices[] | select(.Status == "AUTHORISED" and .AmountPaid == 0)][0]
	.Reference' "$tmp/dump")

# A new order: its webhook is a hint; the record is fetched and written.
new_order SO-800001 2030-01-01T00:00:00Z > "$tmp/new"
put_orders "$tmp/new"
wait_for '[.Invoices[] | select(.Reference == "SO-800001")] | length == 1' 10
t webhook-new-order-written [ $? = 0 ] || tail -5 "$tmp/serve.log"
jq -c 'select(.orderId == "SO-800001") | .lineItems[0].name = "Changed by webhook"
	| .updatedAt = "2030-01-02T00:00:00Z"' "$data/clarity_ecommerce.orders.ndjson" |
	tail -1 > "$tmp/chg"
put_orders "$tmp/chg"
wait_for '[.Invoices[] | select(.Reference == "SO-800001")] |
	length == 1 and .[0].LineItems[0].Description == "Changed by webhook"' 10
t webhook-changed-order-updated [ $? = 0 ] || tail -5 "$tmp/serve.log"

# Webhooks signed by hand: once, replayed, bad, unsigned, oversize, malformed.
sign() { # body-file timestamp -> the signature header's value
	python3 -c "import hmac, hashlib, sys
body = open(sys.argv[1], 'rb').read()
print('sha256=' + hmac.new(sys.argv[3].encode(), sys.argv[2].encode() + b'.' + body,
	hashlib.sha256).hexdigest())" "$1" "$2" "$secret"
}
post() { # body-file signature timestamp -> status
	curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
		${2:+-H "X-Clarity-Signature: $2"} ${3:+-H "X-Clarity-Timestamp: $3"} \
		--data-binary @"$1" "$daemon/webhooks/clarity"
}
printf '{"id":"evt-test-1","type":"order.created","createdAt":"2030-01-01T00:00:00Z",%s}' \
	'"data":{"orderId":"SO-100002"}' > "$tmp/evt"
now=$(date +%s)
n0=$(inbox)
t webhook-accepted [ "$(post "$tmp/evt" "$(sign "$tmp/evt" "$now")" "$now")" = 200 ]
t webhook-replay-no-op [ "$(post "$tmp/evt" "$(sign "$tmp/evt" "$now")" "$now")" = 200 -a \
	"$(inbox)" = $((n0 + 1)) ]
t webhook-bad-signature-401 [ "$(post "$tmp/evt" "sha256=$(printf '%064d' 0)" "$now")" = 401 ]
t webhook-unsigned-401 [ "$(post "$tmp/evt" "" "")" = 401 ]
old=$((now - 3600))
t webhook-stale-401 [ "$(post "$tmp/evt" "$(sign "$tmp/evt" "$old")" "$old")" = 401 ]
python3 -c 'import sys; sys.stdout.write("{\"id\":\"big\",\"pad\":\"" + "x" * 2000000 + "\"}")' \
	> "$tmp/big"
t webhook-oversize-413 [ "$(post "$tmp/big" "$(sign "$tmp/big" "$now")" "$now")" = 413 ]
printf '{"id":"evt-bad", "type": ' > "$tmp/bad"
t webhook-malformed-400 [ "$(post "$tmp/bad" "$(sign "$tmp/bad" "$now")" "$now")" = 400 ]
t webhook-rejected-store-nothing [ "$(inbox)" = $((n0 + 1)) ]
curl -s "$daemon/metrics" > "$tmp/metrics"
t metrics-webhooks grep -q 'mapwright_webhooks_total{source="clarity",outcome="unauthorized"} [3-9]' \
	"$tmp/metrics"

# Xero's "intent to receive": an empty events list, signed base64(HMAC-SHA256)
# with the webhook key: 200 when the signature is right, 401 when it is not.
printf '{"events":[],"lastEventSequence":0,"firstEventSequence":0,"entropy":"ABCDEFGH"}' \
	> "$tmp/itr"
xsig=$(python3 -c "import hmac, hashlib, base64, sys
print(base64.b64encode(hmac.new(b'xero-webhook-key-test', open(sys.argv[1], 'rb').read(),
	hashlib.sha256).digest()).decode())" "$tmp/itr")
xpost() { curl -s -o /dev/null -w '%{http_code}' -X POST -H "x-xero-signature: $1" \
	--data-binary @"$tmp/itr" "$daemon/webhooks/xero"; }
t xero-intent-to-receive-200 [ "$(xpost "$xsig")" = 200 ]
t xero-intent-to-receive-bad-401 [ "$(xpost "AAAA$xsig")" = 401 ]

# SIGTERM: it stops taking work and exits 0.
kill -TERM $dpid
i=0
while kill -0 $dpid 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
wait $dpid
t sigterm-exits-0 [ $? = 0 ]

# kill -9 in the middle of syncing 150 new orders (slow target), five times.
i=0; : > "$tmp/many"
while [ $i -lt 150 ]; do
	new_order "SO-81$(printf %04d $i)" "2030-01-03T00:00:$(printf %02d $((i % 60)))Z" >> "$tmp/many"
	i=$((i + 1))
done
put_orders "$tmp/many"
fault '{"service":"xero","latency_ms":400}'
k=0
while [ $k -lt 5 ]; do
	start
	sleep "$(awk -v s="$k" 'BEGIN { srand(s + 7); printf "%.2f", 0.3 + rand() * 1.2 }')"
	kill -9 $dpid 2>/dev/null; wait $dpid 2>/dev/null
	k=$((k + 1))
done
fault '{"service":"xero"}'
start
wait_for '[.Invoices[] | select(.Reference | startswith("SO-81"))] | length == 150' 60
t after-kills-all-written [ $? = 0 ]
kill -TERM $dpid; wait $dpid
dump
t after-kills-no-duplicates [ "$(jq '[.Invoices[].Reference] | length == (unique | length)' \
	"$tmp/dump")" = true ]
python3 scripts/reconcile_sync.py clarity_xero "$data" "$tmp/dump" "$st" > "$tmp/rec"
t after-kills-reconciles [ $? = 0 ] || cat "$tmp/rec"
summary
