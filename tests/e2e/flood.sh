#!/bin/sh
# The daemon under load, Clarity eCommerce -> Xero (`serve` against the
# sandbox; clients in tests/e2e/flood.py):
#   - a webhook flood: 2,000 signed events (FLOOD_EVENTS; the issue's proof
#     is FLOOD_EVENTS=5000) from 16 clients while the loop
#     syncs them: the daemon stays up throughout, every event answered 200
#     is stored exactly once (the inbox's rows), /healthz answers every
#     probe (its p99 printed, under 100 ms), and the inbox drains;
#   - held events back off: orders held behind a refused customer, named by
#     events, are fetched a few times, not in a loop; `status` lists them;
#     a new order's event is synced meanwhile within seconds;
#   - slowloris: 300 connections from ten other addresses trickling a byte a
#     second: /healthz answers throughout; one address alone keeps at most
#     the per-address cap;
#   - a token endpoint down at start: the daemon comes up, /healthz and
#     /readyz answer 503 with the reason, and it connects once the endpoint
#     is back (/readyz 200).
GROUP=flood
. "$(dirname "$0")/lib.sh"
gen clarity 23 60
catalogue  # the items Xero's order lines name (ref Product)
sport=$(free_port)
secret=whsec-flood-1
sandbox_start --limit-scale 100
use_pair clarity_xero "$secret"
daemon="http://127.0.0.1:$sport"
wait_until() { # shell-condition seconds
	i=0
	while [ $i -lt $(($2 * 10)) ]; do
		eval "$1" && return 0
		sleep 0.1; i=$((i + 1))
	done
	return 1
}
start() { # [env-file]: the daemon, once it listens (it may not be connected yet)
	rm -f "$tmp/dport"
	"$BIN/$pair" serve --state "$st" --config "${1:-$tmp/$pair.env}" --port "$sport" --log-json \
		--port-file "$tmp/dport" >> "$tmp/out" 2>> "$tmp/serve.log" &
	dpid=$!
	wait_until '[ -s "$tmp/dport" ]' 5
}
stop() {
	kill -TERM $dpid 2>/dev/null; wait $dpid; dstatus=$?
}
alive() { kill -0 $dpid 2>/dev/null; }
waiting() { sql "SELECT count(*) FROM inbox WHERE state != 'done'"; }

# ---- the flood ----------------------------------------------------------------
start
wait_until '[ "$(curl -s "$daemon/readyz")" = ok ]' 20
t flood-ready [ $? = 0 ] || tail -5 "$tmp/serve.log"
jq -r 'select(.status != "draft" and .status != "cancelled") | .orderId' \
	"$data/clarity_ecommerce.orders.ndjson" > "$tmp/keys"
events=${FLOOD_EVENTS:-2000}
python3 tests/e2e/flood.py flood "$daemon" "$secret" "$events" 16 "$tmp/keys" $dpid "$tmp/ok" \
	> "$tmp/flood"
echo "flood: $(cat "$tmp/flood")"
fig() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p; s/^$1=\([0-9.]*\).*/\1/p" "$tmp/flood"; }
t flood-daemon-up-throughout [ "$(fig died)" = 0 ] && alive || tail -5 "$tmp/serve.log"
t flood-all-answered-200 [ "$(fig ok)" = "$events" ]
sql "SELECT event_id FROM inbox WHERE event_id LIKE 'flood-%'" | sort > "$tmp/rows"
sort "$tmp/ok" > "$tmp/ok.s"
t flood-each-200-stored-once [ "$(wc -l < "$tmp/rows")" = "$(wc -l < "$tmp/ok.s")" ] &&
	cmp -s "$tmp/rows" "$tmp/ok.s"
t flood-healthz-always-200 [ "$(fig healthz_bad)" = 0 ]
t flood-healthz-p99-under-100ms awk -v p="$(fig p99_ms)" 'BEGIN { exit !(p >= 0 && p < 100) }'
wait_until '[ "$(waiting)" = 0 ]' 60
t flood-inbox-drains [ $? = 0 ] || echo "still waiting: $(waiting)"
t flood-no-fatal [ "$(grep -c 'exiting' "$tmp/serve.log")" = 0 ] && alive ||
	grep 'exiting' "$tmp/serve.log" | head -3
# ---- held events back off --------------------------------------------------
# 20 orders of a customer the store does not have: each stays held; their
# events are fetched a few times in 5 s (1 s, 2 s apart...), not in a loop.
tmpl=$(head -1 "$tmp/keys")
i=0; : > "$tmp/held"; : > "$tmp/heldkeys"
while [ $i -lt 20 ]; do
	jq -c --arg t "$tmpl" --arg id "SO-9$(printf %05d $i)" 'select(.orderId == $t) |
		.orderId = $id | .customerId = "C-900000" | .updatedAt = "2030-02-01T00:00:00Z"' \
		"$data/clarity_ecommerce.orders.ndjson" >> "$tmp/held"
	echo "SO-9$(printf %05d $i)" >> "$tmp/heldkeys"
	i=$((i + 1))
done
put_orders "$tmp/held" > /dev/null
fetches() { curl -s "$daemon/metrics" |
	awk '/^mapwright_http_calls_total[{]service="clarity[^"]*",status="2xx"[}]/ { n += $2 }
	END { print n + 0 }'; }
f0=$(fetches)
t0=$(date +%s)
t held-events-stored [ "$(python3 tests/e2e/flood.py send "$daemon" "$secret" order.updated held \
	$(cat "$tmp/heldkeys"))" = 20 ]
# a new order meanwhile: synced at once, not behind them
template=$tmpl new_order SO-950000 2030-02-02T00:00:00Z > "$tmp/new"
put_orders "$tmp/new" > /dev/null
python3 tests/e2e/flood.py send "$daemon" "$secret" order.created new SO-950000 > /dev/null
wait_until 'dump; [ "$(jq "[.Invoices[] | select(.Reference == \"SO-950000\")] | length" \
	"$tmp/dump")" = 1 ]' 5
t held-new-order-not-behind [ $? = 0 ]
while [ $(($(date +%s) - t0)) -lt 5 ]; do sleep 0.2; done
f1=$(fetches)
echo "held: $((f1 - f0)) fetches from Clarity in 5 s for 20 held events and a new order"
t held-events-back-off [ $((f1 - f0)) -le 100 ]
t held-events-in-inbox [ "$(sql "SELECT count(*) FROM inbox WHERE event_id LIKE 'held-%'
	AND state = 'held' AND attempts >= 1 AND why LIKE 'Order SO-9% held%'")" = 20 ]
"$BIN/$pair" status --state "$st" > "$tmp/status"
t held-events-in-status grep -q '^webhook events held: 20' "$tmp/status" || cat "$tmp/status"
curl -s "$daemon/metrics" > "$tmp/metrics"
t held-metrics grep -q '^mapwright_inbox_held_events{pair="clarity_xero"} 20$' "$tmp/metrics"

# ---- slowloris -------------------------------------------------------------
# 300 connections from ten addresses, a byte a second: /healthz answers
srcs=127.0.0.2,127.0.0.3,127.0.0.4,127.0.0.5,127.0.0.6,127.0.0.7,127.0.0.8,127.0.0.9,127.0.0.10
python3 tests/e2e/flood.py slowloris 127.0.0.1 "$sport" 300 2 "$daemon" "$srcs,127.0.0.11" \
	> "$tmp/slow"
echo "slowloris: $(cat "$tmp/slow")"
sl() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p; s/^$1=\([0-9.]*\).*/\1/p" "$tmp/slow"; }
t slowloris-connections-held [ "$(sl open)" -ge 250 ]
t slowloris-healthz-answers [ "$(sl healthz)" -gt 0 -a "$(sl healthz_ok)" = "$(sl healthz)" ]
# one address alone keeps at most its cap of connections
python3 tests/e2e/flood.py slowloris 127.0.0.1 "$sport" 64 0.5 "$daemon" 127.0.0.12 > "$tmp/slow"
echo "slowloris, one address: $(cat "$tmp/slow")"
t slowloris-per-address-cap [ "$(sl open)" -le 32 -a "$(sl healthz_ok)" = "$(sl healthz)" ]
t slowloris-daemon-up alive
stop
t flood-sigterm-exits-0 [ $dstatus = 0 ]

# ---- a token endpoint down at start ----------------------------------------
dport2=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0));
print(s.getsockname()[1])')
sed "s|^XERO_TOKEN_URL=.*|XERO_TOKEN_URL=http://127.0.0.1:$dport2/xero/connect/token|" \
	"$tmp/$pair.env" > "$tmp/down.env"
st="$tmp/state2"
start "$tmp/down.env"
wait_until 'curl -s "$daemon/healthz" | grep -q "cannot connect to"' 15
t down-healthz-says-why [ $? = 0 ] || curl -s "$daemon/healthz"
t down-healthz-503 [ "$(curl -s -o /dev/null -w '%{http_code}' "$daemon/healthz")" = 503 ]
t down-readyz-503 [ "$(curl -s -o /dev/null -w '%{http_code}' "$daemon/readyz")" = 503 ]
t down-daemon-up alive
python3 tests/e2e/flood.py forward "$dport2" "${root##*:}" 30 &
fpid=$!
wait_until '[ "$(curl -s "$daemon/readyz")" = ok ]' 15
t down-connects-when-back [ $? = 0 ] || tail -3 "$tmp/serve.log"
t down-healthz-200-when-back [ "$(curl -s "$daemon/healthz")" = ok ]
stop
kill $fpid 2>/dev/null
t down-sigterm-exits-0 [ $dstatus = 0 ]
summary
