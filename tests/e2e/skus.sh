#!/bin/sh
# End to end, SKU matching (issue 13): a Clarity order line's sku as the
# store wrote it ("mug-01 ", "MUG 01", "mug_01", or an alias, "mug01")
# reaches Sage Intacct as the ITEM that Product wrote for the catalogue's
# SKU (ITEMID MUG-01): sku() normalises it, the table sku_alias maps an
# alias, ref Product finds the item.  A SKU no product was synced for is a
# dead letter naming the nearest SKUs synced and the .map line of sku_alias.
GROUP=skus
. "$(dirname "$0")/lib.sh"
gen clarity 41 3
catalogue
sku_spellings  # the store's orders: one a spelling of MUG-01, and mug-10
sandbox_start
use_pair clarity_intacct
sync > "$tmp/out" 2> "$tmp/err"
t run-dead-letters-one [ $? -eq 1 -a "$(col Order 3)" = 4 -a "$(col Order 7)" = 1 ] ||
	cat "$tmp/out" "$tmp/err"
# the items each invoice's lines sold, as Intacct keeps them
dump
items() { jq -r --arg d "Sales Invoice-$1" '.SOTRANSITEMS[$d] // [] | join(",")' "$tmp/dump"; }
# four spellings of MUG-01 name it; the unknown one: a dead letter that
# names the SKUs near it and where an alias goes, on the line of its ITEMID
sku_matched clarity_intacct.map "SO-" 'itemid = ref Product'
# the operator adds the alias, re-drives it: written, with the catalogue's item
sed "s/^  \"MUG01\" => \"MUG-01\"\$/&\n  \"MUG-10\" => \"MUG-01\"/" mappings/clarity_intacct.map \
	> "$tmp/clarity_intacct.map"
t alias-added [ "$(grep -c '=> "MUG-01"' "$tmp/clarity_intacct.map")" = 2 ]
make_pair "$tmp/clarity_intacct.map" "$tmp/fixed"
t alias-builds [ -x "$tmp/fixed" ] || cat "$tmp/make"
"$tmp/fixed" dlq retry --all --state "$st" --config "$tmp/$pair.env" > "$tmp/retry" 2>&1
t alias-retried [ "$(grep -c 'written on retry' "$tmp/retry")" = 1 ] || cat "$tmp/retry"
dump
t alias-written [ "$(items SO-5)" = MUG-01 ] || items SO-5
summary
