#!/bin/sh
# make bench-rate: how fast a backlog drains against each target's rate
# limit, every call answered after 300 ms (the sandbox's latency_ms fault),
# requests in flight at once up to the target's cap (docs/sync.md).
#   xero        clarity_xero, N_XERO orders (default 3000): 60 calls a
#               minute, 50 documents a call, 5 at once
#   qbo         nopcommerce_qbo, N_QBO orders (default 900), 500 calls a
#               minute, 10 at once: created in batches of 30, each item
#               metered as a call; then each changed and updated one
#               document a request (--batch 1): the calls a service will
#               not batch (a SyncToken read and a post each)
#   qbo-dlq     nopcommerce_qbo, N_DLQ orders (default 600) that QuickBooks
#               refused (the `refuse_request` fault, no latency), then
#               `dlq retry --all` of them with the latency: one document a
#               request, 10 at once, 500 calls a minute
#   intacct     clarity_intacct, N_INTACCT seeded orders (default 1000), batches
#               of 10 functions, under a configured `limit 120/min` (Intacct
#               publishes no per-minute limit; its connector sends one
#               request at a time)
# Each target's sandbox enforces its limits (429 past them).  For each:
# the most calls metered in any sliding 60 s (never over the limit), the
# calls in each whole minute from the first call to the last write of the
# backlog and their mean as a share of the limit (the figure), and the
# 429s (0).  A benchmark: it prints figures; it exits 1 when a limit was
# passed, a 429 came, or a whole minute fell under 95% of the limit.
# TARGETS="xero qbo qbo-dlq intacct" (the default) chooses which.
set -eu
cd "$(dirname "$0")/../.."
BIN=${BIN:-bin}
LATENCY=${LATENCY:-300}
dir=$(mktemp -d)
sb=
trap 'kill $sb 2>/dev/null; rm -rf "$dir"' EXIT
status=0
TARGETS=${TARGETS:-xero qbo qbo-dlq intacct}
on() { case " $TARGETS " in *" $1 "*) ;; *) return 1 ;; esac; }

sandbox() { # ARGS...: a fresh sandbox; sets $root
	[ -z "$sb" ] || { kill $sb 2>/dev/null; wait $sb 2>/dev/null || true; }
	rm -f "$dir/port" "$dir/state"
	"$BIN/sandbox" --port-file "$dir/port" "$@" > "$dir/sblog" 2>&1 &
	sb=$!
	i=0
	while [ ! -s "$dir/port" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
	root="http://127.0.0.1:$(cat "$dir/port")"
}
latency() { # service
	curl -s -o /dev/null -X POST --data-binary \
		"{\"service\":\"$1\",\"latency_ms\":$LATENCY}" "$root/_sandbox/faults"
}
# figures NAME SERVICE SANDBOX-NAME LIMIT: from $dir/calls and the run's
# summary $dir/out
figures() {
	name=$1 svc=$2 lim=$4
	line=$(grep "^$svc: " "$dir/out" | tail -1)
	if [ -z "$line" ]; then # dlq retry prints no such line: the call log's
		n=$(awk -v s="$svc" '$2 == s' "$dir/calls" | wc -l)
		line="$svc: $n calls ($(awk -v s="$svc" '$2 == s && $3 == 429' "$dir/calls" | wc -l)"
		line="$line answered 429)"
	fi
	r429=$(echo "$line" | sed 's/.*calls (\([0-9]*\) answered 429.*/\1/')
	peak=$(curl -s "$root/_sandbox/faults" | jq ".$3.in_flight_peak")
	echo "$name: $(echo "$line" | sed 's/ calls .*//; s/^[a-z_]*: //') calls in" \
		"$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s," \
		"$r429 answered 429, at most $peak in flight"
	awk -v svc="$svc" -v lim="$lim" -v r="$r429" -v name="$name" '
	BEGIN { n = 0 }
	$2 == svc { t[n] = $1 + 0; u[n] = $5 + 0; if ($6 != "GET") last = $1 + 0; n++ }
	END {
		if (n == 0) { print "no calls logged"; exit 1 }
		# calls are logged as their answers come: in the order they left
		for (i = 1; i < n; i++)
			for (j = i; j > 0 && t[j - 1] > t[j]; j--) {
				x = t[j]; t[j] = t[j - 1]; t[j - 1] = x
				x = u[j]; u[j] = u[j - 1]; u[j - 1] = x
			}
		max = 0; j = 0; sum = 0
		for (i = 0; i < n; i++) {
			sum += u[i]
			while (t[i] - t[j] >= 60000) { sum -= u[j]; j++ }
			if (sum > max) max = sum
		}
		printf "  most calls in any 60 s: %d (limit %d)\n", max, lim
		ok = max <= lim && r == 0
		tot = 0
		for (m = 0; t[0] + (m + 1) * 60000 <= last; m++) {
			c = 0
			for (i = 0; i < n; i++)
				if (t[i] >= t[0] + m * 60000 && t[i] < t[0] + (m + 1) * 60000) c += u[i]
			printf "  minute %d: %d calls (%.1f%% of the limit)\n", m + 1, c, c / lim * 100
			if (c < lim * 0.95) ok = 0
			tot += c
		}
		if (m > 0)
			printf "%s: %.1f%% of the limit while the backlog lasted (%d whole minutes)\n",
				name, tot / (m * lim) * 100, m
		else
			printf "%s: the backlog lasted less than a minute\n", name
		exit !ok
	}' "$dir/calls" || status=1
}
run() { # PAIR [ARGS...]: on the state of the sandbox's first run
	pair=$1
	shift
	rm -f "$dir/calls"
	t0=$(date +%s.%N)
	"$BIN/$pair" run --once --state "$dir/state" --config "$dir/env" \
		--call-log "$dir/calls" "$@" > "$dir/out" 2> "$dir/err" || true
	t1=$(date +%s.%N)
}

env_clarity() {
	echo "CLARITY_URL=$root/clarity"
	echo "CLARITY_CLIENT_ID=sandbox-client"
	echo "CLARITY_CLIENT_SECRET=sandbox-secret"
	echo "CLARITY_WEBHOOK_SECRET=unused"
}

# sandbox_qbo N: a sandbox with N NopCommerce orders not paid yet (so none is
# locked and no payment is written), its customers and products, and the
# nopcommerce_qbo pair's $dir/env for it
sandbox_qbo() {
	python3 tests/bench/gen_nop.py --seed 29 --orders "$1" | jq -c '.PaymentStatusId = 10' \
		> "$dir/nop.orders"
	for g in customers products; do
		python3 tests/bench/gen_nop.py --seed 29 --$g --orders "$1" > "$dir/nop.$g"
	done
	sandbox --nop-orders "$dir/nop.orders" --nop-customers "$dir/nop.customers" \
		--nop-products "$dir/nop.products"
	curl -s "$root/_sandbox/dump?service=qbo" > "$dir/qbo.start"
	cat > "$dir/env" <<EOV
NOP_URL=$root/nop
NOP_API_USERNAME=sandbox-api
NOP_API_PASSWORD=sandbox-api-pw
QBO_URL=$root/qbo
QBO_TOKEN_URL=$root/qbo/oauth2/v1/tokens/bearer
QBO_CLIENT_ID=sandbox-client
QBO_CLIENT_SECRET=sandbox-secret
QBO_REALM_ID=$(jq -r .realm "$dir/qbo.start")
QBO_REFRESH_TOKEN=$(jq -r .refresh_token "$dir/qbo.start")
EOV
}

# ---- Xero: 60 calls a minute, 50 documents a call -------------------------
if on xero; then
N=${N_XERO:-${N:-3000}}
python3 tests/bench/gen_orders.py --seed 23 --orders "$N" > "$dir/orders"
python3 tests/bench/gen_orders.py --seed 23 --customers --orders "$N" > "$dir/customers"
sandbox --clarity-orders "$dir/orders" --clarity-customers "$dir/customers"
curl -s -o "$dir/ecb.xml" "$root/_sandbox/ecb"
{ env_clarity; cat <<EOV
ECB_RATES=$dir/ecb.xml
XERO_URL=$root/xero/api.xro/2.0
XERO_TOKEN_URL=$root/xero/connect/token
XERO_CLIENT_ID=sandbox-client
XERO_CLIENT_SECRET=sandbox-secret
XERO_TENANT_ID=00000000-0000-4000-8000-00000000000a
EOV
} > "$dir/env"
latency xero
run clarity_xero
figures "xero ($N orders)" xero xero 60
fi

# ---- QuickBooks Online: 500 calls a minute, batch items metered -----------
# The orders first created in batches of 30, then each changed in the store
# and updated one document a request, each update a read of its SyncToken
# and a post.
if on qbo; then
N=${N_QBO:-900}
sandbox_qbo "$N"
latency qbo
run nopcommerce_qbo
figures "qbo, creates in batches of 30 ($N orders)" qbo qbo 500
jq -c '.CustomOrderNumber += "-2" | .UpdatedOnUtc = "2030-01-01T00:00:00Z"' \
	"$dir/nop.orders" > "$dir/nop.changed"  # each invoice's DocNumber changes
curl -s -o /dev/null -X POST --data-binary @"$dir/nop.changed" \
	"$root/_sandbox/records?service=nop&collection=orders"
latency qbo  # a new count of requests in flight
# a new run's limiter knows nothing of the calls the last one made, and
# QuickBooks says nothing of what is left: its minute passes first
sleep 61
run nopcommerce_qbo --batch 1
figures "qbo, updates one document a request" qbo qbo 500
fi

# ---- QuickBooks Online: dead letters retried -------------------------------
# The orders' invoices refused (their PrivateNote names the customer), one
# document a request; then, the refusal lifted and every call answered after
# the latency, `dlq retry --all`: one request a dead letter, up to 10 at once.
if on qbo-dlq; then
N=${N_DLQ:-600}
sandbox_qbo "$N"
curl -s -o /dev/null -X POST --data-binary '{"service":"qbo","refuse_request":", customer "}' \
	"$root/_sandbox/faults"
run nopcommerce_qbo --batch 1
dead=$(grep '^Order ' "$dir/out" | awk '{ print $7 }')
latency qbo  # the refusal lifted, a new count of requests in flight
sleep 61     # the sandbox's minute of the dead-lettering calls passes first
rm -f "$dir/calls"
t0=$(date +%s.%N)
"$BIN/nopcommerce_qbo" dlq retry --all --state "$dir/state" --config "$dir/env" \
	--call-log "$dir/calls" > "$dir/out" 2> "$dir/err" || true
t1=$(date +%s.%N)
tail -1 "$dir/out"
# the dead letters that are dead again: the transform's, not QuickBooks' refusal
grep 'dead-lettered again' "$dir/out" | head -3
figures "qbo, dlq retry of $dead dead letters" qbo qbo 500
fi

# ---- Sage Intacct: its configured limit -----------------------------------
if on intacct; then
N=${N_INTACCT:-1000}
sed 's|^    # Intacct allows 2 concurrent calls.*|    limit 120/min|' mappings/clarity_intacct.map \
	> "$dir/ci.map"
grep -q 'limit 120/min' "$dir/ci.map"
make -s BIN="$BIN" -o "$BIN/mapc" pair MAP="$dir/ci.map" OUT="$dir/clarity_intacct" \
	> "$dir/make" 2>&1 || { cat "$dir/make"; exit 2; }
# the store's data from the sandbox's seed: its order lines sell the
# catalogue's products, which the Intacct orders reference
sandbox --seed 31 --orders "$N"
{ env_clarity; cat <<EOV
INTACCT_URL=$root/intacct/ia/xml/xmlgw.phtml
INTACCT_SENDER_ID=sandbox-sender
INTACCT_SENDER_PASSWORD=sandbox-sender-pw
INTACCT_COMPANY_ID=sandbox-co
INTACCT_USER_ID=sandbox-user
INTACCT_USER_PASSWORD=sandbox-user-pw
EOV
} > "$dir/env"
latency intacct
BIN_SAVE=$BIN
BIN=$dir
run clarity_intacct --batch 10
BIN=$BIN_SAVE
figures "intacct, limit 120/min ($N orders)" sage_intacct intacct 120
fi
exit $status
