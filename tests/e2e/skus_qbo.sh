#!/bin/sh
# End to end, SKU matching in NopCommerce -> QuickBooks Online (issue 13): a
# NopCommerce order line's Sku as the store wrote it ("mug-01 ", "MUG 01",
# "mug_01", or an alias, "mug01") reaches QuickBooks as the ItemRef (Item
# Id) of the item Product wrote for the catalogue's SKU (MUG-01): sku()
# normalises it, the table sku_alias maps an alias, ref Product (keyed by
# Sku) gives the Id.  A SKU no product was synced for is a dead letter
# naming the nearest SKUs synced and the .map line of sku_alias.
GROUP=skus_qbo
. "$(dirname "$0")/lib.sh"
gen nop 41 3
# the catalogue has a mug besides the generator's SKU-000NN products
echo '{"Id":100,"Name":"Mug","Sku":"MUG-01","Price":10.00,"Published":true,"StockQuantity":50}' \
	>> "$data/nopcommerce.products.ndjson"
# one order a line's spelling, from the store's first order: one line, not
# paid (no payment written), no tax, shipping or discount
order() { # id sku
	jq -c --argjson id "$1" --arg sku "$2" 'select(.Id == 10000) | .Id = $id |
		.CustomOrderNumber = ($id | tostring) | .OrderStatusId = 20 | .PaymentStatusId = 10 |
		.OrderTax = 0 | .OrderShippingExclTax = 0 | .OrderDiscount = 0 | .OrderTotal = 10 |
		.OrderSubtotalExclTax = 10 | .OrderItems = [{"Id": ($id * 10), "ProductId": 100,
		"ProductName": "Mug", "Sku": $sku, "Quantity": 1, "UnitPriceExclTax": 10,
		"PriceExclTax": 10}]' "$data/nopcommerce.orders.ndjson"
}
{
	order 1 "mug-01 "
	order 2 "MUG 01"
	order 3 "mug_01"
	order 4 "mug01"
	order 5 "mug-10"
} > "$data/skus.ndjson"
mv "$data/skus.ndjson" "$data/nopcommerce.orders.ndjson"
sandbox_start
use_pair nopcommerce_qbo
sync > "$tmp/out" 2> "$tmp/err"
t run-dead-letters-one [ $? -eq 1 -a "$(col Order 3)" = 4 -a "$(col Order 7)" = 1 ] ||
	cat "$tmp/out" "$tmp/err"
# the SKUs of the items each invoice's lines name, as QuickBooks keeps them
dump
items() { jq -r --arg d "$1" '(.Item | map({(.Id): .Sku}) | add) as $sku | [.Invoice[] |
	select(.DocNumber == $d) | .Line[] | .SalesItemLineDetail.ItemRef.value // empty |
	$sku[.]] | join(",")' "$tmp/dump"; }
# four spellings of MUG-01 name it; the unknown one: a dead letter that
# names the SKUs near it and where an alias goes, on the line of its ItemRef
sku_matched nopcommerce_qbo.map "" 'ItemRef = { value = ref Product'
# the operator adds the alias, re-drives it: written, with the catalogue's item
sed "s/^  \"MUG01\" => \"MUG-01\"\$/&\n  \"MUG-10\" => \"MUG-01\"/" mappings/nopcommerce_qbo.map \
	> "$tmp/nopcommerce_qbo.map"
t alias-added [ "$(grep -c '=> "MUG-01"' "$tmp/nopcommerce_qbo.map")" = 2 ]
make_pair "$tmp/nopcommerce_qbo.map" "$tmp/fixed"
t alias-builds [ -x "$tmp/fixed" ] || cat "$tmp/make"
"$tmp/fixed" dlq retry --all --state "$st" --config "$tmp/$pair.env" > "$tmp/retry" 2>&1
t alias-retried [ "$(grep -c 'written on retry' "$tmp/retry")" = 1 ] || cat "$tmp/retry"
dump
t alias-written [ "$(items 5)" = MUG-01 ] || items 5
summary
