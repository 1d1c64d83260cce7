#!/bin/sh
# The daemon under load, Clarity eCommerce -> Xero (`serve` against the
# sandbox; clients in tests/e2e/flood.py):
#   - a webhook flood: 2,000 signed events from 16 clients while the loop
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
sport=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0));
print(s.getsockname()[1])')
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
start() { # the daemon, once it listens (it may not be connected yet)
	rm -f "$tmp/dport"
	"$BIN/$pair" serve --state "$st" --config "$tmp/$pair.env" --port "$sport" --log-json \
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
python3 tests/e2e/flood.py flood "$daemon" "$secret" 2000 16 "$tmp/keys" $dpid "$tmp/ok" \
	> "$tmp/flood"
echo "flood: $(cat "$tmp/flood")"
fig() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p; s/^$1=\([0-9.]*\).*/\1/p" "$tmp/flood"; }
t flood-daemon-up-throughout [ "$(fig died)" = 0 ] && alive || tail -5 "$tmp/serve.log"
t flood-all-answered-200 [ "$(fig ok)" = 2000 ]
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
stop
t flood-sigterm-exits-0 [ $dstatus = 0 ]
summary
