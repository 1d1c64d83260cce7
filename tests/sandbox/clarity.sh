#!/bin/sh
# The sandbox's Clarity eCommerce: client-credentials token, orders and
# customers paged over HTTP exactly as loaded (amounts compared as exact
# decimals), the updatedSince filter, one order by id, and the transform of
# what the API returns equal to the transform of the file.
cd "$(dirname "$0")/../.." || exit 2
data=$(mktemp -d)
python3 tests/bench/gen_orders.py --seed 41 --orders 250 > "$data/orders"
python3 tests/bench/gen_orders.py --seed 41 --orders 250 --customers > "$data/customers"
# shipments, returns and products of those orders (the fields of
# mappings/schemas/clarity_ecommerce.map), stamps spread over November
python3 - "$data" <<'EOF'
import json, random, sys
r = random.Random(43)
orders = [json.loads(l) for l in open(sys.argv[1] + "/orders")]
def stamp(i):
    return "2026-11-%02dT%02d:%02d:00Z" % (1 + i % 28, r.randrange(24), r.randrange(60))
with open(sys.argv[1] + "/shipments", "w") as f:
    for i, o in enumerate(orders[:180]):
        f.write(json.dumps({"shipmentId": "SH-%05d" % i, "orderId": o["orderId"],
            "status": r.choice(["pending", "shipped", "delivered"]), "carrier": "UPS",
            "trackingNumber": "1Z%010d" % r.randrange(10**10),
            "lineItems": [{"sku": li["sku"], "quantity": li["quantity"]} for li in o["lineItems"]],
            "updatedAt": stamp(i)}, separators=(",", ":")) + "\n")
with open(sys.argv[1] + "/returns", "w") as f:
    for i, o in enumerate(orders[:130:3]):
        f.write('{"returnId":"RT-%04d","orderId":"%s","status":"%s","currency":"%s",'
            '"refundAmount":%d.%02d,"reason":"damaged","updatedAt":"%s"}\n' % (i, o["orderId"],
            r.choice(["requested", "approved", "refunded"]), o["currency"], r.randrange(100),
            r.randrange(100), stamp(i)))
with open(sys.argv[1] + "/products", "w") as f:
    for i, sku in enumerate(["MUG-01", "TEE-02", "CAP-03"]):
        f.write('{"sku":"%s","name":"P%d","price":%d.90,"quantityOnHand":%d,"active":true,'
            '"updatedAt":"2026-11-0%dT00:00:00Z"}\n' % (sku, i, 5 + i, 10 * i, 1 + i))
EOF
SANDBOX_ARGS="--clarity-orders $data/orders --clarity-customers $data/customers
	--clarity-shipments $data/shipments --clarity-returns $data/returns
	--clarity-products $data/products"
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
# Shipments and returns: every page exactly as loaded, updatedSince, by id
fetch shipments > "$tmp/got"
canon "$data/shipments" | sort > "$tmp/want"
t shipments-exact [ "$(wc -l < "$tmp/got")" = 180 ] &&
	[ "$(sort "$tmp/got" | cmp - "$tmp/want" && echo same)" = same ]
fetch returns > "$tmp/got"
canon "$data/returns" | sort > "$tmp/want"
t returns-exact [ "$(wc -l < "$tmp/got")" = 44 ] &&
	[ "$(sort "$tmp/got" | cmp - "$tmp/want" && echo same)" = same ]
for c in shipments returns; do
	want=$(jq -r --arg s "$since" 'select(.updatedAt >= $s) | .updatedAt' "$data/$c" | wc -l)
	t "$c-updated-since" [ "$(fetch $c "updatedSince=$since" | wc -l)" = "$want" ] &&
		[ "$want" -gt 0 ] && [ "$want" -lt "$(wc -l < "$data/$c")" ]
done
t shipments-in-update-order [ "$(curl -s -H "Authorization: Bearer $tok" \
	"$api/shipments?pageSize=500" | jq '[.data[].updatedAt] | . == sort')" = true ]
t shipments-paged [ "$(curl -s -H "Authorization: Bearer $tok" "$api/shipments?page=2&pageSize=100" |
	jq -c '[(.data | length), .totalCount, .hasMore]')" = "[80,180,false]" ]
t return-by-id [ "$(curl -s -H "Authorization: Bearer $tok" "$api/returns/RT-0005")" = \
	"$(sed -n 6p "$data/returns")" ]
# the inventory write-back: quantityOnHand rewritten in the product's own
# text (price keeps its exact text), 404 for an unknown sku, 400 for a bad N
inv() { curl -s -o "$tmp/inv" -w '%{http_code}' -X PUT -H "Authorization: Bearer $tok" \
	-H 'Content-Type: application/json' -d "$2" "$api/inventory/$1"; }
t inventory-put [ "$(inv TEE-02 '{"quantityOnHand": 137}')" = 200 ] &&
	[ "$(cat "$tmp/inv")" = "$(sed -n 2p "$data/products" |
	sed 's/"quantityOnHand":10,/"quantityOnHand":137,/')" ]
t inventory-read-back [ "$(curl -s -H "Authorization: Bearer $tok" "$api/products/TEE-02" |
	jq -c '[.quantityOnHand, .sku, .price]')" = '[137,"TEE-02",6.9]' ]
t inventory-others-untouched [ "$(curl -s -H "Authorization: Bearer $tok" "$api/products/CAP-03")" = \
	"$(sed -n 3p "$data/products")" ]
t inventory-unknown-sku [ "$(inv NOPE-1 '{"quantityOnHand": 1}')" = 404 ]
t inventory-bad-quantity [ "$(inv MUG-01 '{"quantityOnHand": -2}')" = 400 ] &&
	[ "$(inv MUG-01 '{"quantityOnHand": "7"}')" = 400 ] && [ "$(inv MUG-01 '{}')" = 400 ]
t inventory-needs-token [ "$(curl -s -o /dev/null -w '%{http_code}' -X PUT \
	-d '{"quantityOnHand": 1}' "$api/inventory/MUG-01")" = 401 ]
t inventory-zero [ "$(inv MUG-01 '{"quantityOnHand": 0}')" = 200 ] &&
	[ "$(jq -c .quantityOnHand "$tmp/inv")" = 0 ]
# without --clarity-webhook-url, record changes queue no webhook
t no-webhooks-without-url [ "$(curl -s "$root/_sandbox/webhooks" |
	jq -c '[.url, (.deliveries | length)]')" = "[null,0]" ]
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
