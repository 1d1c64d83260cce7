#!/bin/sh
# The sandbox's Clarity eCommerce: client-credentials token, orders and
# customers paged over HTTP exactly as loaded (amounts compared as exact
# decimals), the updatedSince filter, one order by id, and the transform of
# what the API returns equal to the transform of the file.
cd "$(dirname "$0")/../.." || exit 2
data=$(mktemp -d)
python3 tests/bench/gen_orders.py --seed 41 --orders 250 > "$data/orders"
python3 tests/bench/gen_orders.py --seed 41 --orders 250 --customers > "$data/customers"
SANDBOX_ARGS="--clarity-orders $data/orders --clarity-customers $data/customers"
GROUP=clarity
. "$(dirname "$0")/lib.sh"
trap 'kill $pid 2>/dev/null; rm -rf "$tmp" "$data"' EXIT
api="$root/clarity/api/v1"
t unauthorized [ "$(curl -s -o /dev/null -w '%{http_code}' "$api/orders")" = 401 ]
tok=$(curl -s -u sandbox-client:sandbox-secret -d grant_type=client_credentials \
	"$root/clarity/oauth/token" | jq -r .access_token)
t token [ -n "$tok" -a "$tok" != null ]
fetch() { # collection [query] -> every record on stdout, page by page
	page=1
	while :; do
		curl -s -H "Authorization: Bearer $tok" "$api/$1?page=$page&pageSize=100${2:+&$2}" \
			> "$tmp/page"
		python3 -c 'import sys, json
from decimal import Decimal
d = json.load(open(sys.argv[1]), parse_float=Decimal)
for r in d["data"]:
    print(json.dumps(r, default=str, sort_keys=True, ensure_ascii=False))
sys.exit(0 if d["hasMore"] else 3)' "$tmp/page" || break
		page=$((page + 1))
	done
}
canon() { python3 -c 'import sys, json
from decimal import Decimal
for l in open(sys.argv[1]):
    print(json.dumps(json.loads(l, parse_float=Decimal), default=str, sort_keys=True, ensure_ascii=False))' "$1"; }
fetch orders > "$tmp/got"
canon "$data/orders" | sort > "$tmp/want"
t all-orders-exact [ "$(sort "$tmp/got" | cmp - "$tmp/want" && echo same)" = same ]
fetch customers | wc -l > "$tmp/nc"
t customers [ "$(cat "$tmp/nc")" = "$(wc -l < "$data/customers")" ]
since=2026-11-15T00:00:00Z
want=$(jq -r --arg s "$since" 'select(.updatedAt >= $s) | .orderId' "$data/orders" | wc -l)
t updated-since [ "$(fetch orders "updatedSince=$since" | wc -l)" = "$want" ]
id=$(sed -n 7p "$data/orders" | jq -r .orderId)
t order-by-id [ "$(curl -s -H "Authorization: Bearer $tok" "$api/orders/$id")" = \
	"$(sed -n 7p "$data/orders")" ]
# what a connector would hand the transform: the API's records, in its order,
# numbers kept as their exact text (rawjson.Raw)
curl -s -H "Authorization: Bearer $tok" "$api/orders?page=1&pageSize=500" |
	PYTHONPATH=tests/bench python3 -c 'import sys, json
from rawjson import Raw, dumps
d = json.load(sys.stdin, parse_float=Raw, parse_int=Raw)
print("\n".join(dumps(r) for r in d["data"]))' > "$tmp/api.ndjson"
"$BIN/clarity_xero" transform Order --dead-letter /dev/null < "$tmp/api.ndjson" | sort > "$tmp/a"
"$BIN/clarity_xero" transform Order --dead-letter /dev/null < "$data/orders" | sort > "$tmp/b"
t transform-of-api-equals-file [ -s "$tmp/a" ] && cmp -s "$tmp/a" "$tmp/b"
# Records changed by the test while the sandbox runs: line 7 replaced with a
# later updatedAt and another total, one new order (its stamp with an offset
# and a fraction); both, and only they, are seen past the old stamps, in
# update order, byte for byte as posted.
sed -n 7p "$data/orders" | jq -c '.updatedAt = "2027-01-01T00:00:00Z" | .totalAmount = 1234.50' \
	> "$tmp/changes"
sed -n 8p "$data/orders" | jq -c '.orderId = "SO-NEW-1" | .updatedAt = "2027-01-02T00:30:00.25+01:00"' \
	>> "$tmp/changes"
s=$(curl -s -o "$tmp/r" -w '%{http_code}' --data-binary @"$tmp/changes" \
	"$root/_sandbox/records?service=clarity&collection=orders")
t records-upsert [ "$s" = 200 -a "$(jq -c . "$tmp/r")" = '{"added":1,"replaced":1,"bad":0}' ]
curl -s -H "Authorization: Bearer $tok" \
	"$api/orders?page=1&pageSize=500&updatedSince=2027-01-01T00:00:00Z" > "$tmp/page"
t records-updated-since [ "$(jq -r '[.data[].orderId] | join(",")' "$tmp/page")" = \
	"$(sed -n 7p "$data/orders" | jq -r .orderId),SO-NEW-1" ]
PYTHONPATH=tests/bench python3 -c 'import sys, json
from rawjson import Raw, dumps
d = json.load(open(sys.argv[1]), parse_float=Raw, parse_int=Raw)
print("\n".join(dumps(r) for r in d["data"]))' "$tmp/page" > "$tmp/got-changes"
t records-exact [ "$(cmp "$tmp/got-changes" "$tmp/changes" && echo same)" = same ]
t records-count [ "$(curl -s -H "Authorization: Bearer $tok" "$api/orders?pageSize=1" |
	jq .totalCount)" = $(($(wc -l < "$data/orders") + 1)) ]
t records-last-in-order [ "$(curl -s -H "Authorization: Bearer $tok" \
	"$api/orders?pageSize=1&page=$(($(wc -l < "$data/orders") + 1))" | jq -r '.data[0].orderId')" = SO-NEW-1 ]
t records-by-id [ "$(curl -s -H "Authorization: Bearer $tok" "$api/orders/SO-NEW-1")" = \
	"$(sed -n 2p "$tmp/changes")" ]
# every token issued so far dies at once
curl -s -o /dev/null -X POST -d '{"service":"clarity","expire_tokens":1}' "$root/_sandbox/faults"
t expire-tokens [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $tok" \
	"$api/orders")" = 401 ]
tok=$(curl -s -u sandbox-client:sandbox-secret -d grant_type=client_credentials \
	"$root/clarity/oauth/token" | jq -r .access_token)
t new-token-after-expiry [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $tok" \
	"$api/orders")" = 200 ]
echo "clarity: $pass passed, $fail failed"
[ $fail -eq 0 ]
