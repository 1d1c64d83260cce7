#!/bin/sh
# End to end, both directions of NopCommerce <-> QuickBooks Online (issue 12):
# the books keep the stock count and the store follows them.
#   - the first run: every product an Inventory item counting from the
#     store's StockQuantity, lowered by the orders invoiced; the store's
#     stock then equals the books' on-hand per SKU (books.py stock), and
#     each invoiced order has one note with its invoice's number;
#   - a run after no change writes nothing, either way (no echo);
#   - a Bill entered in QuickBooks raises an item's QtyOnHand: the next run
#     writes it to the product's StockQuantity and nothing else;
#   - a new order: its invoice lowers the count in QuickBooks by what it
#     sells, the same run writes the store's stock and marks the order with
#     the invoice's number;
#   - a product edited in the store (its price) updates its item, not the
#     item's count, and nothing comes back;
#   - both sides changing for several runs (the store's own count of one
#     product edited, bills for another), then stopping: the next run writes
#     nothing; the billed product's stock only ever rose, a step a run; the
#     store's edit stayed in the store (the books win the count, `wins
#     target`) and the item was never written by the sync;
#   - an item made in QuickBooks whose SKU the store lacks: a dead letter.
# Each step is a `run --once` (a poll of `serve` is the same sync) and its
# conditions are read when it returns: nothing waits on a clock.
GROUP=back_qbo
. "$(dirname "$0")/lib.sh"
gen nop 23 40
sandbox_start --limit-scale 100
use_pair nopcommerce_qbo
run() { sync > "$tmp/out" 2> "$tmp/err"; rc=$?; }
ok() { [ $rc -le 1 ] || [ $rc = 3 ]; } # 1, 3: the seed's refused orders, their payments
stock_agrees() { python3 tests/e2e/books.py stock "$root" --store nop --target qbo > "$tmp/stock"; }
products() { curl -s "$root/_sandbox/records?service=nop&collection=products"; }
notes() { curl -s "$root/_sandbox/records?service=nop&collection=ordernotes"; }
books() { curl -s "$root/_sandbox/books?service=qbo"; }
store_qty() { products | jq -r --arg s "$1" 'select(.Sku == $s) | .StockQuantity'; }
books_qty() { books | jq -r --arg s "$1" '.onhand[$s]'; }
item() { dump qbo; jq -c --arg s "$1" '.Item[] | select(.Sku == $s)' "$tmp/dump"; }
written() { echo "$(col total 3) $(col total 4)"; } # created, updated
now() { date -u +%Y-%m-%dT%H:%M:%SZ; }
# a bill for QTY of the item with SKU, entered in QuickBooks
bill() { # sku qty
	id=$(item "$1" | jq -r .Id)
	printf '{"VendorRef":{"value":"%s"},"TxnDate":"%s","Line":[{"Amount":%s,"DetailType":%s' \
		"$vendor" "$(date -u +%Y-%m-%d)" "$2" '"ItemBasedExpenseLineDetail"' > "$tmp/bill"
	printf ',"ItemBasedExpenseLineDetail":{"ItemRef":{"value":"%s"},"Qty":%s,"UnitPrice":1}}]}\n' \
		"$id" "$2" >> "$tmp/bill"
	curl -s -o /dev/null -w '%{http_code}' --data-binary @"$tmp/bill" \
		"$root/_sandbox/documents?service=qbo&collection=Bill"
}
# the store edits a product: FIELD = VALUE (JSON), UpdatedOnUtc now
edit() { # sku field value
	products | jq -c --arg s "$1" --arg f "$2" --argjson v "$3" --arg t "$(now)" \
		'select(.Sku == $s) | .[$f] = $v | .UpdatedOnUtc = $t' > "$tmp/edit"
	put nop products "$tmp/edit"
}

# 1. the first run
run
t first-run ok || cat "$tmp/err"
n_products=$(products | jq -s '[.[] | select((.Deleted // false) | not)] | length')
t items-inventory [ "$(col Product 3)" = "$n_products" -a "$(item SKU-00001 |
	jq -c '[.Type, .TrackQtyOnHand, .AssetAccountRef.value]')" = '["Inventory",true,"81"]' ] ||
	cat "$tmp/out"
t first-stock-agrees stock_agrees || cat "$tmp/stock"
dump qbo
jq -c '.Invoice[] | select(.PrivateNote | startswith("NopCommerce order ")) | [.DocNumber, .Id]' \
	"$tmp/dump" | sort > "$tmp/invoices"
notes | jq -c '[(.OrderId | tostring), (.Note | capture("invoice (?<n>[^ ]+) \\(Id (?<i>[^)]+)\\)") |
	.n, .i)] | [.[0], .[2]] as [$o, $i] | [$o, $i]' | sort > "$tmp/notes"
booked() { [ -s "$tmp/invoices" ] && cmp -s "$tmp/invoices" "$tmp/notes" &&
	[ "$(col Booked 3)" = "$(wc -l < "$tmp/invoices")" ]; }
t orders-booked booked || { cat "$tmp/out"; diff "$tmp/invoices" "$tmp/notes" | head; }

# 2. nothing changed: nothing written, either way
run
t rerun-writes-nothing [ "$(written)" = "0 0" ] || cat "$tmp/out"

# 3. a bill in QuickBooks: the store's stock follows within one run
vendor=$(echo '{"DisplayName":"Acme Supply"}' | curl -s --data-binary @- \
	"$root/_sandbox/documents?service=qbo&collection=Vendor" | jq -r '.ids[0]')
sku=SKU-00003
before=$(store_qty $sku)
t bill-entered [ "$(bill $sku 7)" = 200 -a "$(books_qty $sku)" = $((before + 7)) ]
run
t bill-reaches-store [ "$(store_qty $sku)" = $((before + 7)) ] || cat "$tmp/out" "$tmp/err"
t bill-one-write [ "$(written)" = "0 1" -a "$(col Stock 4)" = 1 ] || cat "$tmp/out"
t bill-stock-agrees stock_agrees || cat "$tmp/stock"
# the stock written changed the product (its UpdatedOnUtc): it comes back to
# entity Product, whose document is the same
run
t bill-echo-unchanged [ "$(written)" = "0 0" -a "$(col Product 2)" -ge 1 -a \
	"$(col Product 5)" -ge 1 ] || cat "$tmp/out"

# 4. a new order: invoiced, its items counted out, marked booked, one run
order=$(python3 tests/e2e/events.py "$root" new nop --paid --seed 5 --at "$(now)" | awk '{ print $3 }')
# what the order takes of each SKU, and the books' count of it before and after
sold() {
	curl -s "$root/_sandbox/records?service=nop&collection=orders" | jq -c --arg o "$order" \
		'select((.Id | tostring) == $o) | .OrderItems[] | [.ProductId, .Quantity]' |
	while read -r l; do
		p=$(echo "$l" | jq '.[0]') q=$(echo "$l" | jq '.[1]')
		s=$(products | jq -r --argjson p "$p" 'select(.Id == $p) | .Sku')
		echo "$s $q $(books_qty "$s")"
	done | sort
}
sold > "$tmp/sold-before"
run
sold > "$tmp/sold-after"
counted_out() { [ -s "$tmp/sold-before" ] && [ "$(awk '{ print $1, $2, $3 - $2 }' \
	"$tmp/sold-before")" = "$(cat "$tmp/sold-after")" ]; }
t new-order-counted-out counted_out || cat "$tmp/sold-before" "$tmp/sold-after"
inv=$(dump qbo; jq -c --arg o "$order" '[.Invoice[] | select(.DocNumber == $o)] | .[0] |
	[.DocNumber, .Id]' "$tmp/dump")
t new-order-booked [ "$(notes | jq -c --arg o "$order" 'select((.OrderId | tostring) == $o) |
	.Note | capture("invoice (?<n>[^ ]+) \\(Id (?<i>[^)]+)\\)") | [.n, .i]')" = "$inv" ] ||
	{ cat "$tmp/out"; notes | tail -3; }
t new-order-stock-agrees stock_agrees || cat "$tmp/stock"
run
t new-order-then-nothing [ "$(written)" = "0 0" ] || cat "$tmp/out"

# 5. a product edited in the store: its item updated, the count left to the books
sku=SKU-00002
qty=$(books_qty $sku) sync0=$(item $sku | jq -r .SyncToken)
t price-edit [ "$(edit $sku Price 77.70)" = 200 ]
run
t price-reaches-item [ "$(item $sku | jq -c '[.UnitPrice, .QtyOnHand]')" = "[77.7,$qty]" -a \
	"$(written)" = "0 1" -a "$(col Product 4)" = 1 ] || cat "$tmp/out"
run
t price-no-echo [ "$(written)" = "0 0" -a "$(item $sku | jq -r .SyncToken)" = $((sync0 + 1)) ] ||
	cat "$tmp/out"

# 6. both sides change for four runs, then stop
a=SKU-00004 b=SKU-00005
a_sync=$(item $a | jq -r .SyncToken) a_books=$(books_qty $a) b_sync=$(item $b | jq -r .SyncToken)
: > "$tmp/b-seen"
i=0
while [ $i -lt 4 ]; do
	i=$((i + 1))
	t "echo/$i-store-edit" [ "$(edit $a StockQuantity $((500 + i)))" = 200 ]
	t "echo/$i-bill" [ "$(bill $b 2)" = 200 ]
	run
	store_qty $b >> "$tmp/b-seen"
	t "echo/$i-one-write" [ "$(written)" = "0 1" -a "$(col Stock 4)" = 1 ] || cat "$tmp/out"
done
run
t echo/stops-at-once [ "$(written)" = "0 0" ] || cat "$tmp/out"
t echo/billed-stock-rises [ "$(sort -n -u "$tmp/b-seen" | tr '\n' ' ')" = \
	"$(tr '\n' ' ' < "$tmp/b-seen")" -a \
	"$(awk 'NR > 1 && $1 - p != 2 { bad = 1 } { p = $1 } END { print bad + 0 }' "$tmp/b-seen")" = 0 ]
t echo/billed-item-only-bills [ "$(item $b | jq -r .SyncToken)" = $((b_sync + 4)) -a \
	"$(store_qty $b)" = "$(books_qty $b)" ]
t echo/store-edit-stays [ "$(store_qty $a)" = 504 -a "$(books_qty $a)" = "$a_books" -a \
	"$(item $a | jq -r .SyncToken)" = "$a_sync" ]

# an item made in QuickBooks whose SKU the store does not have: nothing to
# write its count to, a dead letter saying so; the others go on
printf '%s\n' '{"Name":"NEW-1","Sku":"NEW-1","Type":"Inventory","TrackQtyOnHand":true,
	"QtyOnHand":3,"InvStartDate":"2026-01-01","IncomeAccountRef":{"value":"79"},
	"AssetAccountRef":{"value":"81"},"ExpenseAccountRef":{"value":"80"}}' | tr -d '\n\t' |
	curl -s -o /dev/null --data-binary @- "$root/_sandbox/documents?service=qbo&collection=Item"
run
sql "SELECT reason FROM dlq WHERE entity = 'Stock' AND dropped = 0" > "$tmp/dead"
one_dead() { [ "$(col Stock 7)" = 1 -a "$(wc -l < "$tmp/dead")" = 1 ] &&
	grep -q "no product to write to" "$tmp/dead"; }
t unknown-sku-dead-letter one_dead || cat "$tmp/out" "$tmp/dead"
summary
