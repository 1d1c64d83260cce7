#!/bin/sh
# The sandbox's NopCommerce: the API plugin's token call, orders paged by
# since_id (a cursor) and by page/limit, updated_at_min, one order, the
# status write-back, the transform of what the API returns equal to the
# transform of the file, records changed while it runs, and revoked tokens.
cd "$(dirname "$0")/../.." || exit 2
data=$(mktemp -d)
python3 tests/bench/gen_nop.py --seed 51 --orders 260 > "$data/orders"
SANDBOX_ARGS="--nop-orders $data/orders"
GROUP=nop
. "$(dirname "$0")/lib.sh"
trap 'kill $pid 2>/dev/null; rm -rf "$tmp" "$data"' EXIT
api="$root/nop/api"
# the plugin's token call: GET /token with a JSON body
login() { b=$1; shift; curl -s -X GET -H "Content-Type: application/json" -d "$b" "$@" "$root/nop/token"; }
t bad-login [ "$(login '{"username":"x","password":"y"}' -o /dev/null -w '%{http_code}')" = 403 ]
t missing-username [ "$(login '{"password":"y"}' -o /dev/null -w '%{http_code}')" = 400 ]
login '{"username":"sandbox-api","password":"sandbox-api-pw"}' > "$tmp/tok"
tok=$(jq -r .access_token "$tmp/tok")
t token [ -n "$tok" -a "$tok" != null -a "$(jq -r .token_type "$tmp/tok")" = Bearer ] &&
	[ "$(jq -r '.expires_at_utc > .created_at_utc' "$tmp/tok")" = true ]
t unauthorized [ "$(curl -s -o /dev/null -w '%{http_code}' "$api/orders")" = 401 ]
get() { curl -s -H "Authorization: Bearer $tok" "$api/$1"; }
raw() { # the records of a response, numbers kept as their exact text
	PYTHONPATH=tests/bench python3 -c 'import sys, json
from rawjson import Raw, dumps
d = json.load(sys.stdin, parse_float=Raw, parse_int=Raw)
print("\n".join(dumps(r) for r in d[sys.argv[1]]))' "$1"
}
# follow since_id like a sync cursor
: > "$tmp/all"; last=0
while :; do
	get "orders?limit=100&since_id=$last" | raw orders > "$tmp/page"
	[ -s "$tmp/page" ] && [ "$(head -c 1 "$tmp/page")" = "{" ] || break
	cat "$tmp/page" >> "$tmp/all"
	last=$(tail -n 1 "$tmp/page" | jq .Id)
done
sort "$data/orders" > "$tmp/want"
t since-id-cursor-exact [ "$(sort "$tmp/all" | cmp - "$tmp/want" && echo same)" = same ]
t page-limit [ "$(get 'orders?limit=50&page=2' | jq '[.orders[].Id] | first, length' | tr '\n' ' ')" = "10050 50 " ]
since=2026-11-20T00:00:00Z
want=$(jq -r --arg s "$since" 'select(.CreatedOnUtc >= $s) | .Id' "$data/orders" | wc -l)
t updated-at-min [ "$(get "orders?limit=250&updated_at_min=$since" | jq '.orders | length')" = "$want" ]
t order-by-id [ "$(get orders/10007 | jq '.orders[0].Id')" = 10007 ]
s=$(curl -s -o "$tmp/b" -w '%{http_code}' -X PUT -H "Authorization: Bearer $tok" \
	-d '{"order":{"OrderStatusId":30}}' "$api/orders/10007")
t status-write-back [ "$s" = 200 -a "$(get orders/10007 | jq '.orders[0].OrderStatusId')" = 30 ]
t bad-status-refused [ "$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H "Authorization: Bearer $tok" \
	-d '{"order":{"OrderStatusId":25}}' "$api/orders/10007")" = 400 ]
"$BIN/nopcommerce_qbo" transform Order --dead-letter /dev/null < "$tmp/all" | sort > "$tmp/a"
"$BIN/nopcommerce_qbo" transform Order --dead-letter /dev/null < "$data/orders" | sort > "$tmp/b"
t transform-of-api-equals-file [ -s "$tmp/a" ] && cmp -s "$tmp/a" "$tmp/b"
# Records changed by the test: order 10007 replaced with an UpdatedOnUtc
# (nopCommerce's own form: no offset, seven fractional digits) and a new
# total, one new order; updated_at_min sees both and only them, byte for byte.
sed -n 8p "$data/orders" | jq -c '.UpdatedOnUtc = "2027-01-01T00:00:00.1234567" | .OrderTotal = 99.90' \
	> "$tmp/changes"
sed -n 9p "$data/orders" | jq -c '.Id = 20001 | .UpdatedOnUtc = "2027-01-02T00:00:00Z"' >> "$tmp/changes"
s=$(curl -s -o "$tmp/r" -w '%{http_code}' --data-binary @"$tmp/changes" \
	"$root/_sandbox/records?service=nop&collection=orders")
t records-upsert [ "$s" = 200 -a "$(jq -c . "$tmp/r")" = '{"added":1,"replaced":1,"bad":0}' ]
get "orders?limit=250&updated_at_min=2027-01-01T00:00:00Z" | raw orders > "$tmp/got-changes"
t records-updated-at-min [ "$(cmp "$tmp/got-changes" "$tmp/changes" && echo same)" = same ]
t records-replaced-in-place [ "$(get orders/10007 | jq -c '.orders[0] | [.Id, .OrderTotal]')" = \
	"[10007,99.9]" ]
t records-new-after-all [ "$(get "orders?limit=250&since_id=10259" | jq -c '[.orders[].Id]')" = "[20001]" ]
# every token issued so far dies at once
curl -s -o /dev/null -X POST -d '{"service":"nop","expire_tokens":1}' "$root/_sandbox/faults"
t expire-tokens [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $tok" \
	"$api/orders")" = 401 ]
tok=$(login '{"username":"sandbox-api","password":"sandbox-api-pw"}' | jq -r .access_token)
t new-token-after-expiry [ "$(get orders/10007 | jq '.orders[0].Id')" = 10007 ]
echo "nop: $pass passed, $fail failed"
[ $fail -eq 0 ]
