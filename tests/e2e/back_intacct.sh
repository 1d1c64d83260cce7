#!/bin/sh
# End to end, Sage Intacct back into Clarity (issue 12): the store's
# products become Intacct items; what the books then do reaches the store on
# the next run (`run --once`):
#   an inventory receipt (create_ictransaction)  the product's stock
#   a Shipper with a tracking number             a shipment of its order, the
#                                                order fulfilled, the stock down
#   a product's price edited in the store        the ITEM's BASEPRICE
# and a run after no change writes nothing either way (no echo), with no
# dead letter of the new entities.
GROUP=back_intacct
. "$(dirname "$0")/lib.sh"
gen clarity 31 20
catalogue  # the store's products (the SKUs the generated orders sell)
sandbox_start
use_pair clarity_intacct
sync > "$tmp/out" 2> "$tmp/err"
t first-run [ $? -le 1 ] || cat "$tmp/out" "$tmp/err"
q() { dump; jq -r "$1" "$tmp/dump"; }
store() { # collection jq-filter: from the store as it is now
	curl -s "$root/_sandbox/records?service=clarity&collection=$1" | jq -r "$2"
}
t products-are-items [ "$(q '.ITEM[] | select(.ITEMID == "LAMP-09") | .BASEPRICE')" = 149 -a \
	"$(q '.ITEM[] | select(.ITEMID == "LAMP-09") | .ITEMTYPE')" = Inventory ] ||
	jq '.ITEM' "$tmp/dump"
# the books hold none yet: the store's stock follows them
t stock-from-books [ "$(store products 'select(.sku == "MUG-01") | .quantityOnHand')" = 0 ]
newdead() {
	sql "SELECT count(*) FROM dlq WHERE dropped = 0 AND entity IN
		('Product', 'Stock', 'Shipped', 'Fulfilled')"
}
t no-dead-letter-first [ "$(newdead)" = 0 ] || sql "SELECT entity, reason FROM dlq"
sync > "$tmp/out" 2> "$tmp/err"
t then-nothing [ "$(col total 3)" = 0 -a "$(col total 4)" = 0 ] || cat "$tmp/out"

# One function through Intacct's gateway, as the company's own user.
gateway() {
	printf '<?xml version="1.0" encoding="UTF-8"?><request><control><senderid>sandbox-sender'
	printf '</senderid><password>sandbox-sender-pw</password><controlid>t</controlid>'
	printf '<uniqueid>false</uniqueid><dtdversion>3.0</dtdversion></control><operation>'
	printf '<authentication><login><userid>sandbox-user</userid><companyid>sandbox-co'
	printf '</companyid><password>sandbox-user-pw</password></login></authentication>'
	printf '<content><function controlid="f">%s</function></content></operation></request>' "$1"
}
call() {
	gateway "$1" | curl -s -X POST --data-binary @- "$root/intacct/ia/xml/xmlgw.phtml" \
		> "$tmp/gw"
	grep -q '<status>success</status></result>\|<result><status>success' "$tmp/gw" ||
		{ cat "$tmp/gw"; return 1; }
}
day='<datecreated><year>2026</year><month>12</month><day>05</day></datecreated>'

# an inventory receipt raises the stock the books hold
t receipt-in-books call "<create_ictransaction><transactiontype>Inventory Receipt</transactiontype>
	$day<documentno>RCV-1</documentno><ictransitems><ictransitem><itemid>MUG-01</itemid>
	<warehouseid>WH1</warehouseid><quantity>30</quantity><cost>6.10</cost></ictransitem>
	</ictransitems></create_ictransaction>"
sync > "$tmp/out" 2> "$tmp/err"
t receipt-reaches-store [ "$(store products 'select(.sku == "MUG-01") | .quantityOnHand')" = 30 -a \
	"$(col Stock 4)" = 1 ] || cat "$tmp/out" "$tmp/err"

# the warehouse ships an order: a Shipper with its tracking number
o=$(sql "SELECT source_id FROM xref WHERE entity = 'Order' ORDER BY source_id LIMIT 1")
c=$(jq -r --arg o "$o" 'select(.orderId == $o) | .customerId' "$data/clarity_ecommerce.orders.ndjson")
t shipper-in-books call "<create_sotransaction><transactiontype>Shipper</transactiontype>$day
	<customerid>$c</customerid><documentno>SH-$o</documentno><referenceno>$o</referenceno>
	<shippingmethod>UPS</shippingmethod><customfields><customfield><customfieldname>TRACKINGNUMBER
	</customfieldname><customfieldvalue>1Z999AA10123456784</customfieldvalue></customfield>
	</customfields><sotransitems><sotransitem><itemid>MUG-01</itemid><quantity>2</quantity>
	<unit>Each</unit><price>19.99</price></sotransitem></sotransitems></create_sotransaction>"
sync > "$tmp/out" 2> "$tmp/err"
t shipment-in-store [ "$(store shipments "select(.orderId == \"$o\") | .trackingNumber")" = \
	1Z999AA10123456784 -a "$(store shipments "select(.orderId == \"$o\") | .carrier")" = UPS ] ||
	{ cat "$tmp/out" "$tmp/err"; curl -s "$root/_sandbox/records?service=clarity&collection=shipments"; }
t order-fulfilled [ "$(store orders "select(.orderId == \"$o\") | .status")" = fulfilled ] ||
	cat "$tmp/out"
t shipped-stock-down [ "$(store products 'select(.sku == "MUG-01") | .quantityOnHand')" = 28 ]

# a price edited in the store updates the item
jq -c 'select(.sku == "CAP-03") | .price = 17.25 | .updatedAt = "2026-12-05T00:00:00Z"' \
	"$data/clarity_ecommerce.products.ndjson" > "$tmp/p"
put clarity products "$tmp/p" > /dev/null
sync > "$tmp/out" 2> "$tmp/err"
t price-reaches-item [ "$(q '.ITEM[] | select(.ITEMID == "CAP-03") | .BASEPRICE')" = 17.25 -a \
	"$(col Product 4)" = 1 ] || cat "$tmp/out" "$tmp/err"

# what the sync wrote comes back (the order's status, the stock): nothing to write
sync > "$tmp/out" 2> "$tmp/err"
t no-echo [ "$(col total 3)" = 0 -a "$(col total 4)" = 0 ] || cat "$tmp/out"
t no-dead-letter [ "$(newdead)" = 0 ] || sql "SELECT entity, source_id, reason FROM dlq"
t books-onhand [ "$(curl -s "$root/_sandbox/books?service=intacct" | jq -r '.onhand["MUG-01"]')" = 28 ]
summary
