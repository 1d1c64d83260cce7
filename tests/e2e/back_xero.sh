#!/bin/sh
# Both directions, Clarity eCommerce <-> Xero (issue 12, docs/sync.md "Both
# directions"): the store's products become Xero items, tracked where the
# store keeps a count (Product), and Xero's quantity on hand of each tracked
# item comes back as the store's inventory (Stock).
#   - the first run adopts the items Xero already has by Code, creates the
#     others, tracks the counted ones; the store's counts follow the books';
#   - a bill posted in Xero raises QuantityOnHand and the next run writes it
#     into Clarity's inventory; a store order of that item is booked as a
#     sales invoice, which lowers it, and the store follows in the same run;
#   - a product edited in the store (name, price) updates its Xero item;
#   - a run after no change writes nothing either way (no echo: the item the
#     sync updated comes back unchanged);
#   - `serve` with Stock polled every 2 s: a bill reaches the store within
#     a poll; a product edited in the store reaches Xero by its
#     product.updated webhook (Product is polled every 15 minutes);
#   - no dead letter of either entity, the store's count and the books'
#     on-hand agree per SKU (tests/e2e/books.py stock) after every run.
GROUP=back_xero
. "$(dirname "$0")/lib.sh"
gen clarity 43 12
cat > "$data/clarity_ecommerce.products.ndjson" <<'EOF'
{"sku":"MUG-01","name":"Mug","description":"Stoneware mug","price":19.99,"quantityOnHand":40,"active":true,"updatedAt":"2026-11-01T00:00:00Z"}
{"sku":"TEE-02","name":"T-shirt","description":"Cotton tee","price":24.50,"quantityOnHand":15,"active":true,"updatedAt":"2026-11-01T00:00:00Z"}
{"sku":"GIFT-WRAP","name":"Gift wrap","description":"A service: no stock","price":3.00,"active":true,"updatedAt":"2026-11-01T00:00:00Z"}
EOF
# the store's webhooks go to the daemon of part 6 (until it runs, their
# deliveries fail: nothing listens)
sport=$(free_port)
secret=whsec-back-1
sandbox_start --limit-scale 100 --clarity-products "$data/clarity_ecommerce.products.ndjson" \
	--clarity-webhook-url "http://127.0.0.1:$sport/webhooks/clarity" --clarity-webhook-secret "$secret"
use_pair clarity_xero "$secret"

writes() { awk '$1 == "total" { print $3 + $4 }' "$tmp/out"; } # created + updated
dead() { sql "SELECT count(*) FROM dlq WHERE entity IN ('Product', 'Stock')"; }
onhand() { curl -s "$root/_sandbox/books?service=xero" | jq -r --arg s "$1" '.onhand[$s]'; }
store_qty() {
	curl -s "$root/_sandbox/records?service=clarity&collection=products" |
		jq -r --arg s "$1" 'select(.sku == $s) | .quantityOnHand'
}
item() { # code jq-path -> the field of Xero's item
	dump
	jq -r --arg c "$1" ".Items[] | select(.Code == \$c) | $2" "$tmp/dump"
}
stock_agrees() { # the store's count of every tracked SKU is the books' on-hand
	python3 tests/e2e/books.py stock "$root" --store clarity --target xero > "$tmp/stock" ||
		{ cat "$tmp/stock"; return 1; }
}
tok=$(curl -s -u sandbox-client:sandbox-secret -d grant_type=client_credentials \
	"$root/xero/connect/token" | jq -r .access_token)
xero() { # method path body: as a person in Xero would, with the API
	curl -s -X "$1" -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' \
		-H "xero-tenant-id: 00000000-0000-4000-8000-00000000000a" --data-binary "$3" \
		"$root/xero/api.xro/2.0/$2"
}
bill() { # code quantity: an AUTHORISED purchase bill of the item, into stock
	xero PUT Invoices "{\"Invoices\":[{\"Type\":\"ACCPAY\",\"Status\":\"AUTHORISED\",
		\"Contact\":{\"Name\":\"Crockery Supplies Ltd\"},\"LineItems\":[{\"ItemCode\":\"$1\",
		\"Description\":\"restock\",\"Quantity\":$2,\"UnitAmount\":6.5,
		\"AccountCode\":\"630\",\"TaxType\":\"INPUT\"}]}]}" | jq -r '.Invoices[0].Status'
}

# 1. The first run: MUG-01 and TEE-02 are in Xero already (adopted by Code,
# updated), GIFT-WRAP is new; the counted two are tracked from now on, the
# books count from 0 and the store follows them.
sync > "$tmp/out" 2> "$tmp/err"
t first-run-items [ "$(col Product 3),$(col Product 4)" = "1,2" ] || cat "$tmp/out" "$tmp/err"
t first-run-tracked [ "$(item MUG-01 .IsTrackedAsInventory),$(item TEE-02 \
	.IsTrackedAsInventory),$(item GIFT-WRAP .IsTrackedAsInventory)" = "true,true,false" ]
t first-run-one-item-each [ "$(jq '[.Items[].Code] | length == (unique | length)' \
	"$tmp/dump")" = true ]
t first-run-price [ "$(item GIFT-WRAP .SalesDetails.UnitPrice)" = 3 ]
t first-run-store-follows-books [ "$(store_qty MUG-01),$(store_qty TEE-02)" = "0,0" ] &&
	stock_agrees
t first-run-no-dead-letter [ "$(dead)" = 0 ] || sql "SELECT entity, source_key, reason FROM dlq"
dlq0=$(sql "SELECT count(*) FROM dlq")

# 2. Nothing changed: nothing is written either way.
sync > "$tmp/out" 2> "$tmp/err"
t no-change-writes-nothing [ "$(writes)" = 0 ] || cat "$tmp/out"

# 3. A bill in Xero raises MUG-01's QuantityOnHand; the next run writes it
# into the store's inventory, and nothing else.
supplier=$(xero PUT Contacts '{"Contacts":[{"Name":"Crockery Supplies Ltd","IsSupplier":true}]}' |
	jq -r '.Contacts[0].ContactID')
t supplier [ -n "$supplier" ] && [ "$supplier" != null ]
t bill-approved [ "$(bill MUG-01 25)" = AUTHORISED ]
t bill-raises-onhand [ "$(onhand MUG-01)" = 25 ]
sync > "$tmp/out" 2> "$tmp/err"
t bill-reaches-store [ "$(store_qty MUG-01)" = 25 ] || cat "$tmp/out" "$tmp/err"
t bill-one-write [ "$(col Stock 4)" = 1 -a "$(writes)" = 1 ] || cat "$tmp/out"
t bill-inventory-record [ "$(curl -s "$root/_sandbox/records?service=clarity&collection=inventory" |
	jq -r 'select(.sku == "MUG-01") | .quantityOnHand')" = 25 ]
t bill-stock-agrees stock_agrees

# 4. A store order of two mugs: booked as a sales invoice (ItemCode MUG-01),
# which takes them out of Xero's stock; the store follows in the same run.
# (a customer the first run synced: the generated orders' lines sell SKUs
# this store's three products are not, so they are dead letters, no invoice)
cust=$(jq -r .customerId "$data/clarity_ecommerce.customers.ndjson" | head -1)
cat > "$tmp/sale" <<EOF
{"orderId":"SO-700001","customerId":"$cust","orderDate":"2026-12-01T10:00:00Z","status":"pending","currency":"USD","totalAmount":39.98,"subtotalAmount":39.98,"taxAmount":0,"shippingAmount":0,"discountAmount":0,"lineItems":[{"lineId":"L-1","sku":"MUG-01","name":"Mug","quantity":2,"unitPrice":19.99,"tax":0,"taxClass":"standard"}],"paymentInfo":{"method":"visa","status":"authorized","amount":39.98},"attributes":{"channel":"web"},"updatedAt":"2030-01-05T00:00:00Z"}
EOF
t sale-accepted [ "$(put_orders "$tmp/sale")" = 200 ]
sync > "$tmp/out" 2> "$tmp/err"
dump
t sale-booked [ "$(col Order 3)" = 1 -a "$(jq -r '.Invoices[] | select(.Reference ==
	"SO-700001") | [.Status, .LineItems[0].ItemCode] | join(",")' "$tmp/dump")" = \
	AUTHORISED,MUG-01 ] || cat "$tmp/out"
t sale-lowers-both [ "$(onhand MUG-01),$(store_qty MUG-01)" = "23,23" ] || cat "$tmp/out"
t sale-stock-agrees stock_agrees

# 5. A product edited in the store: its Xero item follows; the item the sync
# updated comes back to Stock unchanged (no echo).
edit() { # sku name price stamp: the product as the store holds it now (its count is the
	# one Stock wrote), renamed and repriced, into $tmp/edit
	curl -s "$root/_sandbox/records?service=clarity&collection=products" | jq -c --arg s "$1" \
		--arg n "$2" --argjson p "$3" --arg at "$4" \
		'select(.sku == $s) | .name = $n | .price = $p | .updatedAt = $at' > "$tmp/edit"
}
edit MUG-01 "Mug, large" 21.50 2030-01-06T00:00:00Z
t edit-accepted [ "$(put clarity products "$tmp/edit")" = 200 ]
sync > "$tmp/out" 2> "$tmp/err"
t edit-updates-item [ "$(item MUG-01 '[.Name, .SalesDetails.UnitPrice, .IsTrackedAsInventory,
	.QuantityOnHand] | map(tostring) | join(",")')" = "Mug, large,21.5,true,23" ]
t edit-one-write-no-echo [ "$(col Product 4),$(writes)" = "1,1" ] || cat "$tmp/out"
sync > "$tmp/out" 2> "$tmp/err"
t after-edit-writes-nothing [ "$(writes)" = 0 ] || cat "$tmp/out"
t edit-stock-agrees stock_agrees

# 6. The daemon, Stock polled every 2 s (a copy of the shipped .map): a bill
# reaches the store within a poll; a product edited in the store reaches
# Xero by its webhook.
sed 's/^    on poll every 5m {$/    on poll every 2s {/' mappings/clarity_xero.map > "$tmp/cx.map"
t serve-map-polls-stock [ "$(grep -c '^    on poll every 2s {$' "$tmp/cx.map")" = 1 ]
t serve-pair-built make_pair "$tmp/cx.map" "$tmp/cx" || cat "$tmp/make"
"$tmp/cx" serve --state "$st" --config "$tmp/$pair.env" --port "$sport" > "$tmp/serve.out" \
	2> "$tmp/serve.log" &
dpid=$!
t serve-up healthy "$sport"
t serve-bill-approved [ "$(bill TEE-02 9)" = AUTHORISED ]
start=$(date +%s)
i=0
while [ $i -lt 100 ] && [ "$(store_qty TEE-02)" != 9 ]; do sleep 0.1; i=$((i + 1)); done
took=$(($(date +%s) - start))
# one 2 s poll, and a second of slack for a busy machine and whole seconds
t serve-bill-within-a-poll [ "$(store_qty TEE-02)" = 9 -a "$took" -le 4 ] ||
	{ echo "# took ${took}s"; tail -5 "$tmp/serve.log"; }
edit TEE-02 "T-shirt, organic" 26.00 2030-01-07T00:00:00Z
t serve-edit-accepted [ "$(put clarity products "$tmp/edit")" = 200 ]
i=0
while [ $i -lt 100 ] && [ "$(item TEE-02 .Name)" != "T-shirt, organic" ]; do
	sleep 0.1; i=$((i + 1))
done
t serve-webhook-updates-item [ "$(item TEE-02 '[.Name, .SalesDetails.UnitPrice,
	.IsTrackedAsInventory] | map(tostring) | join(",")')" = "T-shirt, organic,26,true" ] ||
	{ tail -5 "$tmp/serve.log"; curl -s "$root/_sandbox/webhooks" | jq -c '.deliveries[-1]'; }
kill $dpid 2>/dev/null; wait $dpid 2>/dev/null; dpid=
t serve-stock-agrees stock_agrees

# 7. After the daemon, a run finds nothing to write; nothing was refused.
sync > "$tmp/out" 2> "$tmp/err"
t last-run-writes-nothing [ "$(writes)" = 0 ] || cat "$tmp/out"
t no-dead-letter [ "$(dead)" = 0 -a "$(sql "SELECT count(*) FROM dlq")" = "$dlq0" ] ||
	sql "SELECT entity, source_key, reason FROM dlq"
summary
