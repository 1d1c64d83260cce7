#!/bin/sh
# The sandbox's QuickBooks Online over HTTP: rotating refresh tokens, items,
# customers and sales receipts as bin/nopcommerce_qbo writes them (refs
# resolved to QuickBooks ids as the sync engine will), TotalAmt equal to the
# store's OrderTotal, Intuit's faults (6240 duplicate name, 6070 amount,
# 5010 stale SyncToken), requestid replay and the query endpoint.
GROUP=qbo
. "$(dirname "$0")/lib.sh"
api="$root/qbo/v3/company/9130350000000001"
rt=$(curl -s "$root/_sandbox/dump?service=qbo" | jq -r .refresh_token)
tok() { curl -s -o "$tmp/tok" -w '%{http_code}' -u sandbox-client:sandbox-secret \
	-d "grant_type=refresh_token&refresh_token=$1" "$root/qbo/oauth2/v1/tokens/bearer"; }
t refresh-grant [ "$(tok "$rt")" = 200 ]
at=$(jq -r .access_token "$tmp/tok")
t refresh-rotated [ "$(jq -r .refresh_token "$tmp/tok")" != "$rt" ]
t old-refresh-refused [ "$(tok "$rt")" = 400 ]
post() { # entity body [requestid]
	curl -s -o "$tmp/body" -w '%{http_code}' -H "Authorization: Bearer $at" \
		-H 'Content-Type: application/json' --data-binary "$2" "$api/$1${3:+?requestid=$3}"
}

python3 tests/bench/gen_nop.py --seed 4 --orders 200 --products > "$tmp/products"
python3 tests/bench/gen_nop.py --seed 4 --orders 200 --customers > "$tmp/customers"
python3 tests/bench/gen_nop.py --seed 4 --orders 200 > "$tmp/orders"
"$BIN/nopcommerce_qbo" transform Product --dead-letter /dev/null < "$tmp/products" > "$tmp/items"
"$BIN/nopcommerce_qbo" transform Customer --dead-letter /dev/null < "$tmp/customers" > "$tmp/custs"
"$BIN/nopcommerce_qbo" transform Order --dead-letter /dev/null < "$tmp/orders" > "$tmp/receipts"

# items and customers, remembering NopCommerce id -> QuickBooks id
ok=1; : > "$tmp/itemids"; : > "$tmp/custids"
while read -r doc; do
	[ "$(post item "$doc")" = 200 ] || ok=0
	printf '%s %s\n' "$(echo "$doc" | jq -r '.Sku | ltrimstr("SKU-") | tonumber')" \
		"$(jq -r .Item.Id "$tmp/body")" >> "$tmp/itemids"
done < "$tmp/items"
t items-created [ $ok = 1 -a "$(wc -l < "$tmp/itemids")" = "$(wc -l < "$tmp/items")" ]
ok=1
while read -r doc; do
	[ "$(post customer "$doc")" = 200 ] || { ok=0; head -c 300 "$tmp/body"; }
	printf '%s %s\n' "$(echo "$doc" | jq -r '.Notes | ltrimstr("NopCommerce customer ")')" \
		"$(jq -r .Customer.Id "$tmp/body")" >> "$tmp/custids"
done < "$tmp/custs"
t customers-created [ $ok = 1 ]
first=$(head -n 1 "$tmp/custs")
t duplicate-display-name [ "$(post customer "$first")" = 400 -a \
	"$(jq -r '.Fault.Error[0].code' "$tmp/body")" = 6240 ]

jq -Rn '[inputs | split(" ") | {key: .[0], value: .[1]}] | from_entries' < "$tmp/itemids" > "$tmp/im"
jq -Rn '[inputs | split(" ") | {key: .[0], value: .[1]}] | from_entries' < "$tmp/custids" > "$tmp/cm"
jq -c --slurpfile im "$tmp/im" --slurpfile cm "$tmp/cm" '
	.CustomerRef.value = $cm[0][.CustomerRef.value]
	| .Line |= map(if .SalesItemLineDetail.ItemRef.value != "SHIPPING_ITEM_ID"
		and .SalesItemLineDetail != null
		then .SalesItemLineDetail.ItemRef.value = $im[0][.SalesItemLineDetail.ItemRef.value]
		else . end)' "$tmp/receipts" > "$tmp/resolved"
ok=1; n=0
while read -r doc; do
	[ "$(post salesreceipt "$doc")" = 200 ] || { ok=0; head -c 300 "$tmp/body"; echo; }
	n=$((n + 1))
done < "$tmp/resolved"
t receipts-created [ $ok = 1 -a $n -gt 50 ]
# every receipt's TotalAmt is the store's OrderTotal, to the cent
jq -c '{k: .CustomOrderNumber, v: .OrderTotal}' "$tmp/orders" | jq -s 'map({(.k): .v}) | add' \
	> "$tmp/totals"
bad=$(curl -s "$root/_sandbox/dump?service=qbo" | jq --slurpfile tot "$tmp/totals" \
	'[.SalesReceipt[] | select(((.TotalAmt - $tot[0][.DocNumber]) | fabs) > 0.005)] | length')
t totals-match-store [ "$bad" = 0 ]

wrong=$(head -n 1 "$tmp/resolved" | jq -c '.Line[0].Amount += 1')
t amount-rule-6070 [ "$(post salesreceipt "$wrong")" = 400 -a \
	"$(jq -r '.Fault.Error[0].code' "$tmp/body")" = 6070 ]
id=$(curl -s "$root/_sandbox/dump?service=qbo" | jq -r '.Customer[0].Id')
t update-with-synctoken [ "$(post customer "{\"Id\":\"$id\",\"SyncToken\":\"0\",\"Notes\":\"x\"}")" \
	= 200 -a "$(jq -r .Customer.SyncToken "$tmp/body")" = 1 ]
t stale-synctoken-5010 [ "$(post customer "{\"Id\":\"$id\",\"SyncToken\":\"0\",\"Notes\":\"y\"}")" \
	= 400 -a "$(jq -r '.Fault.Error[0].code' "$tmp/body")" = 5010 ]

doc='{"DisplayName":"Request Id Test"}'
post customer "$doc" rq-1 > /dev/null; cp "$tmp/body" "$tmp/first"
post customer "$doc" rq-1 > /dev/null
t requestid-replays [ "$(cmp -s "$tmp/first" "$tmp/body" && echo same)" = same ]
q=$(curl -s -G -H "Authorization: Bearer $at" --data-urlencode \
	"query=select * from Customer where DisplayName = 'Request Id Test'" "$api/query")
t query-where [ "$(echo "$q" | jq '.QueryResponse.Customer | length')" = 1 ]
q=$(curl -s -G -H "Authorization: Bearer $at" --data-urlencode \
	"query=select * from Item startposition 3 maxresults 5" "$api/query")
t query-paging [ "$(echo "$q" | jq '.QueryResponse.Item | length')" = 5 -a \
	"$(echo "$q" | jq -r '.QueryResponse.Item[0].Id')" = 3 ]
t bearer-required [ "$(curl -s -o /dev/null -w '%{http_code}' "$api/customer/1")" = 401 ]

echo "qbo: $pass passed, $fail failed"
[ $fail -eq 0 ]
