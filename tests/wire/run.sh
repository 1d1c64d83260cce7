#!/bin/sh
# Wire tests: the exact requests each pair binary sends, as `run --once
# --dry-run` prints them (method, URL, idempotency key, body; Intacct's
# passwords as ***), for small hand-checked source data served by the
# sandbox, against PAIR.expected (the sandbox's port written as PORT).
# WIRE_REGEN=1 rewrites the expectations: review the diff like code.
cd "$(dirname "$0")/../.." || exit 2
BIN=${BIN:-bin}
w=tests/wire
pass=0 fail=0
for pair in clarity_xero clarity_intacct nopcommerce_qbo; do
	tmp=$(mktemp -d)
	"$BIN/sandbox" --port-file "$tmp/port" --clarity-orders $w/clarity.orders.ndjson \
		--clarity-customers $w/clarity.customers.ndjson --nop-orders $w/nop.orders.ndjson \
		--nop-customers $w/nop.customers.ndjson --nop-products $w/nop.products.ndjson \
		> "$tmp/log" 2>&1 &
	pid=$!
	i=0
	while [ ! -s "$tmp/port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	port=$(cat "$tmp/port")
	root="http://127.0.0.1:$port"
	rt=$(curl -s "$root/_sandbox/dump?service=qbo" | jq -r .refresh_token)
	realm=$(curl -s "$root/_sandbox/dump?service=qbo" | jq -r .realm)
	curl -s -o "$tmp/ecb.xml" "$root/_sandbox/ecb"
	cat > "$tmp/env" <<EOV
ECB_RATES=$tmp/ecb.xml
CLARITY_URL=$root/clarity
CLARITY_CLIENT_ID=sandbox-client
CLARITY_CLIENT_SECRET=sandbox-secret
CLARITY_WEBHOOK_SECRET=unused
XERO_URL=$root/xero/api.xro/2.0
XERO_TOKEN_URL=$root/xero/connect/token
XERO_CLIENT_ID=sandbox-client
XERO_CLIENT_SECRET=sandbox-secret
XERO_TENANT_ID=00000000-0000-4000-8000-00000000000a
INTACCT_URL=$root/intacct/ia/xml/xmlgw.phtml
INTACCT_SENDER_ID=sandbox-sender
INTACCT_SENDER_PASSWORD=sandbox-sender-pw
INTACCT_COMPANY_ID=sandbox-co
INTACCT_USER_ID=sandbox-user
INTACCT_USER_PASSWORD=sandbox-user-pw
NOP_URL=$root/nop
NOP_API_USERNAME=sandbox-api
NOP_API_PASSWORD=sandbox-api-pw
QBO_URL=$root/qbo
QBO_TOKEN_URL=$root/qbo/oauth2/v1/tokens/bearer
QBO_CLIENT_ID=sandbox-client
QBO_CLIENT_SECRET=sandbox-secret
QBO_REALM_ID=$realm
QBO_REFRESH_TOKEN=$rt
EOV
	"$BIN/$pair" run --once --dry-run --state "$tmp/state" --config "$tmp/env" 2> "$tmp/err" |
		sed "s/127\.0\.0\.1:$port/127.0.0.1:PORT/g" > "$tmp/got"
	kill $pid 2>/dev/null
	wait $pid 2>/dev/null
	if [ -n "${WIRE_REGEN:-}" ]; then
		cp "$tmp/got" "$w/$pair.expected"
	fi
	if cmp -s "$tmp/got" "$w/$pair.expected" && grep -q '^[A-Z]* http' "$tmp/got"; then
		echo "[PASS] wire/$pair"; pass=$((pass + 1))
	else
		diff -u "$w/$pair.expected" "$tmp/got" | head -40
		cat "$tmp/err"
		echo "[FAIL] wire/$pair"; fail=$((fail + 1))
	fi
	rm -rf "$tmp"
done
echo "wire: $pass passed, $fail failed"
[ $fail -eq 0 ]
