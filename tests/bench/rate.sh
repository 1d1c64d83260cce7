#!/bin/sh
# make bench-rate: calls per minute against Xero's published limit (60 a
# minute) while a backlog lasts.  The sandbox's Xero enforces the real
# limit (429 past it); bin/clarity_xero syncs N orders (default 6000: about
# 230 calls of 50 documents, four minutes of backlog) with `run --once
# --call-log`.  Prints, from the call log: the most calls in any sliding
# 60 s (never over 60), the calls in each whole minute of the backlog (at
# least 90% of the limit), and the 429s (0).  A benchmark: it prints
# figures, and fails only when the limit was passed or underused.
set -eu
cd "$(dirname "$0")/../.."
BIN=${BIN:-bin}
N=${N:-6000}
dir=$(mktemp -d)
trap 'kill $sb 2>/dev/null; rm -rf "$dir"' EXIT
python3 tests/bench/gen_orders.py --seed 23 --orders "$N" > "$dir/orders"
python3 tests/bench/gen_orders.py --seed 23 --customers --orders "$N" > "$dir/customers"
"$BIN/sandbox" --port-file "$dir/port" --clarity-orders "$dir/orders" \
	--clarity-customers "$dir/customers" > "$dir/log" 2>&1 &
sb=$!
i=0
while [ ! -s "$dir/port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
root="http://127.0.0.1:$(cat "$dir/port")"
cat > "$dir/env" <<EOV
CLARITY_URL=$root/clarity
CLARITY_CLIENT_ID=sandbox-client
CLARITY_CLIENT_SECRET=sandbox-secret
CLARITY_WEBHOOK_SECRET=unused
XERO_URL=$root/xero/api.xro/2.0
XERO_TOKEN_URL=$root/xero/connect/token
XERO_CLIENT_ID=sandbox-client
XERO_CLIENT_SECRET=sandbox-secret
XERO_TENANT_ID=00000000-0000-4000-8000-00000000000a
EOV
t0=$(date +%s.%N)
"$BIN/clarity_xero" run --once --state "$dir/state" --config "$dir/env" \
	--call-log "$dir/calls" > "$dir/out" 2>&1 || true
t1=$(date +%s.%N)
cat "$dir/out"
line=$(grep '^xero: ' "$dir/out" | tail -1)
calls=$(echo "$line" | sed 's/^xero: \([0-9]*\) calls.*/\1/')
r429=$(echo "$line" | sed 's/.*calls (\([0-9]*\) answered 429.*/\1/')
echo "xero: $calls calls in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s, $r429 answered 429"
awk -v r="$r429" '$2 == "xero" { t[n++] = $1; u[n - 1] = $5 }
END {
	if (n == 0) { print "no calls logged"; exit 1 }
	# the most units in any 60 s window that starts at a call
	max = 0; j = 0; sum = 0
	for (i = 0; i < n; i++) {
		sum += u[i]
		while (t[i] - t[j] >= 60000) { sum -= u[j]; j++ }
		if (sum > max) max = sum
	}
	printf "most calls in any 60 s: %d (limit 60)\n", max
	ok = max <= 60 && r == 0
	# each whole minute of the backlog, from the first call
	for (m = 0; t[0] + (m + 1) * 60000 <= t[n - 1]; m++) {
		c = 0
		for (i = 0; i < n; i++)
			if (t[i] >= t[0] + m * 60000 && t[i] < t[0] + (m + 1) * 60000) c += u[i]
		printf "minute %d: %d calls (%.0f%% of the limit)\n", m + 1, c, c / 60 * 100
		if (c < 54) ok = 0
	}
	exit !ok
}' "$dir/calls"
