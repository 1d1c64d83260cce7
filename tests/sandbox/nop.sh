#!/bin/sh
# The sandbox's NopCommerce: the API plugin's token call, orders paged by
# since_id (a cursor) and by page/limit, updated_at_min, one order, the
# status write-back, the transform of what the API returns equal to the
# transform of the file, records changed while it runs, and revoked tokens.
cd "$(dirname "$0")/../.." || exit 2
data=$(mktemp -d)
python3 tests/bench/gen_nop.py --seed 51 --orders 260 > "$data/orders"
python3 tests/bench/gen_nop.py --seed 51 --orders 260 --products > "$data/products"
# shipments and return requests of those orders, with the domain's field
# names (Nop.Core.Domain.Shipping.Shipment, Orders.ReturnRequest)
python3 - "$data" <<'EOF'
import json, random, sys
r = random.Random(53)
orders = [json.loads(l) for l in open(sys.argv[1] + "/orders")]
def stamp(i):
    return "2026-11-%02dT%02d:%02d:00Z" % (1 + i % 28, r.randrange(24), r.randrange(60))
with open(sys.argv[1] + "/shipments", "w") as f:
    for i, o in enumerate(orders[:150]):
        f.write('{"Id":%d,"OrderId":%d,"TrackingNumber":"1Z%08d","TotalWeight":%d.%03d,'
            '"ShippedDateUtc":"%s","DeliveryDateUtc":null,"AdminComment":null,"CreatedOnUtc":"%s"}\n'
            % (500 + i, o["Id"], r.randrange(10**8), r.randrange(20), r.randrange(1000),
               stamp(i), stamp(i)))
with open(sys.argv[1] + "/returnrequests", "w") as f:
    for i, o in enumerate([o for o in orders if o.get("OrderItems") and o.get("CustomerId")][:40]):
        f.write(json.dumps({"Id": 1 + i, "CustomNumber": "RR-%d" % (1 + i), "StoreId": 1,
            "OrderItemId": o["OrderItems"][0]["Id"], "CustomerId": o["CustomerId"], "Quantity": 1,
            "ReturnedQuantity": 0, "ReasonForReturn": "Received a broken product",
            "RequestedAction": "Repair", "CustomerComments": "", "StaffNotes": "",
            "ReturnRequestStatusId": r.choice([0, 10, 20, 40]), "CreatedOnUtc": stamp(i),
            "UpdatedOnUtc": stamp(i + 3)}, separators=(",", ":")) + "\n")
EOF
SANDBOX_ARGS="--nop-orders $data/orders --nop-products $data/products
	--nop-shipments $data/shipments --nop-returnrequests $data/returnrequests"
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
# Shipments and return requests: a since_id walk returns each file exactly,
# updated_at_min (CreatedOnUtc for shipments, which have no update stamp)
walk() { # collection -> every record, 50 at a time by since_id
	last=0
	while :; do
		get "$1?limit=50&since_id=$last" | raw "$1" > "$tmp/page"
		[ -s "$tmp/page" ] && [ "$(head -c 1 "$tmp/page")" = "{" ] || break
		cat "$tmp/page"
		last=$(tail -n 1 "$tmp/page" | jq .Id)
	done
}
for c in shipments returnrequests; do
	walk $c > "$tmp/got"
	t "$c-exact" [ "$(sort "$tmp/got" | cmp - "$(sort "$data/$c" > "$tmp/want"; echo "$tmp/want")" &&
		echo same)" = same ] && [ "$(wc -l < "$tmp/got")" -ge 40 ]
done
t shipments-updated-at-min [ "$(get "shipments?limit=250&updated_at_min=$since" |
	jq '.shipments | length')" = \
	"$(jq -r --arg s "$since" 'select(.CreatedOnUtc >= $s) | .Id' "$data/shipments" | wc -l)" ]
t returnrequests-updated-at-min [ "$(get "returnrequests?limit=250&updated_at_min=$since" |
	jq '[.returnrequests[].Id] | length')" = \
	"$(jq -r --arg s "$since" 'select(.UpdatedOnUtc >= $s) | .Id' "$data/returnrequests" | wc -l)" ]
t shipment-by-id [ "$(get shipments/507 | jq -c '.shipments[0] | [.Id, .OrderId]')" = \
	"$(sed -n 8p "$data/shipments" | jq -c '[.Id, .OrderId]')" ]
t shipment-weight-exact [ "$(get shipments/507 | grep -o '"TotalWeight":[0-9.]*')" = \
	"$(sed -n 8p "$data/shipments" | grep -o '"TotalWeight":[0-9.]*')" ]
t returnrequest-missing [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $tok" \
	"$api/returnrequests/999")" = 404 ]
# the inventory write-back: StockQuantity rewritten in place, the rest byte
# for byte; a longer or negative number too (nopCommerce allows backorders)
stock() { curl -s -o "$tmp/stock" -w '%{http_code}' -X PUT -H "Authorization: Bearer $tok" \
	-H 'Content-Type: application/json' -d "{\"product\":{\"StockQuantity\":$2}}" "$api/products/$1"; }
# a stock PUT: the record as it was, with the count and a new UpdatedOnUtc
# (the plugin's UpdateProduct sets it to now)
unstamped() { sed 's/,"UpdatedOnUtc":"[^"]*"//'; }
stocked() { # id quantity expected-record-without-stamp
	[ "$(stock "$1" "$2")" = 200 ] &&
		get "products/$1" | raw products > "$tmp/stocked" &&
		grep -q '"UpdatedOnUtc":"' "$tmp/stocked" &&
		[ "$(unstamped < "$tmp/stocked")" = "$3" ]
}
t stock-write-back stocked 3 12345 \
	"$(sed -n 3p "$data/products" | sed 's/"StockQuantity":[0-9]*/"StockQuantity":12345/' | unstamped)"
t stock-answer [ "$(jq -c '.products[0] | [.Id, .StockQuantity]' "$tmp/stock")" = "[3,12345]" ]
negative() { [ "$(stock 3 -4)" = 200 ] && [ "$(get products/3 | jq '.products[0].StockQuantity')" = -4 ]; }
t stock-negative negative
t stock-others-untouched [ "$(get products/2 | raw products)" = "$(sed -n 2p "$data/products")" ]
t stock-bad-value [ "$(stock 3 '"many"')" = 400 ] && [ "$(stock 3 1.5)" = 400 ]
t stock-unknown-product [ "$(stock 777 1)" = 404 ]
# a product without the field gets it added at the end
printf '%s\n' '{"Id":40,"Name":"New \"quoted\" {name}","Price":1.10}' |
	curl -s -o /dev/null --data-binary @- "$root/_sandbox/records?service=nop&collection=products"
t stock-field-added stocked 40 7 '{"Id":40,"Name":"New \"quoted\" {name}","Price":1.10,"StockQuantity":7}'
t customers-put-refused [ "$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H "Authorization: Bearer $tok" \
	-d '{}' "$api/customers/1")" = 405 ]
# every token issued so far dies at once
curl -s -o /dev/null -X POST -d '{"service":"nop","expire_tokens":1}' "$root/_sandbox/faults"
t expire-tokens [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $tok" \
	"$api/orders")" = 401 ]
tok=$(login '{"username":"sandbox-api","password":"sandbox-api-pw"}' | jq -r .access_token)
t new-token-after-expiry [ "$(get orders/10007 | jq '.orders[0].Id')" = 10007 ]
# the plugin's order filters (BaseOrdersParametersModel): status and
# payment_status by name or number, created_at_min/max as times, each the
# file's matching orders exactly; an unknown value is refused
filt() { # QUERY PYTHON-CONDITION -> 0 when the API's ids are the file's matching ids
	got=$(get "orders?limit=250&$1" | jq -c '[.orders[].Id]')
	want=$(python3 -c 'import json, sys
o = [json.loads(l) for l in open(sys.argv[1])]
print(json.dumps([x["Id"] for x in o if eval(sys.argv[2])][:250], separators=(",", ":")))' \
		"$data/orders" "$2")
	[ "$got" = "$want" ] && [ "$got" != "[]" ]
}
t filter-status-name filt "status=processing" 'x["OrderStatusId"] == 20'
t filter-status-number filt "status=10" 'x["OrderStatusId"] == 10'
t filter-payment-status filt "payment_status=Paid&status=complete" \
	'x["PaymentStatusId"] == 30 and x["OrderStatusId"] == 30'
t filter-created filt "created_at_min=2026-11-10T00:00:00&created_at_max=2026-11-12T00:00:00Z" \
	'"2026-11-10T00:00:00Z" <= x["CreatedOnUtc"] <= "2026-11-12T00:00:00Z"'
t filter-bad-status [ "$(get "orders?status=shipped" | jq -r '.errors | keys[0]')" = status ]
t filter-bad-date [ "$(get "orders?created_at_min=soon" | jq -r '.errors | keys[0]')" = created_at_min ]
echo "nop: $pass passed, $fail failed"
[ $fail -eq 0 ]
