#!/bin/sh
# The sandbox's NopCommerce: token, orders paged by since_id (a cursor) and by
# page/limit, updated_at_min, one order, the status write-back, and the
# transform of what the API returns equal to the transform of the file.
cd "$(dirname "$0")/../.." || exit 2
data=$(mktemp -d)
python3 tests/bench/gen_nop.py --seed 51 --orders 260 > "$data/orders"
SANDBOX_ARGS="--nop-orders $data/orders"
GROUP=nop
. "$(dirname "$0")/lib.sh"
trap 'kill $pid 2>/dev/null; rm -rf "$tmp" "$data"' EXIT
api="$root/nop/api"
t bad-login [ "$(curl -s -o /dev/null -w '%{http_code}' -d '{"username":"x","password":"y"}' \
	"$api/token")" = 401 ]
tok=$(curl -s -d '{"username":"sandbox-api","password":"sandbox-api-pw"}' "$api/token" |
	jq -r .access_token)
t token [ -n "$tok" -a "$tok" != null ]
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
echo "nop: $pass passed, $fail failed"
[ $fail -eq 0 ]
