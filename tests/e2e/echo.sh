#!/bin/sh
# End to end, both directions under `serve` (NopCommerce <-> QuickBooks, the
# pair that writes one field both ways): no echoes, no flip-flops.
#
# A copy of the shipped map polls Product (store -> QuickBooks item) and
# Stock (QuickBooks QtyOnHand -> store StockQuantity) every 2 s.  For ten
# intervals both sides keep changing: suppliers' bills in QuickBooks
# (tests/e2e/deliveries.py) raise items' counts, and the store edits
# products' prices.  Every change travels once: each value the sync writes
# comes back as a change of the other side (the item updated is listed by
# change data capture; the stock written moves the product's UpdatedOnUtc)
# and is found unchanged, so
#   - once the changes stop, the writes stop within one poll interval (the
#     daemon's mapwright_records_total, created + updated of both entities,
#     then stays flat for five more intervals);
#   - no field flips: a billed item's count in the store only rises (bills
#     only add, the store's own edits never reach QuickBooks' count: `wins
#     target`), each item's price in QuickBooks only ever takes the values
#     the store gave it, in order, and ends at the store's;
#   - the writes are no more than the changes (one Stock write per billed
#     item at most per bill, one Product write per price edit at most);
#   - every tracked SKU's count agrees in the end (books.py stock), and
#     nothing is dead-lettered.
# It waits on conditions (the daemon's counters, the store's records), not on
# fixed sleeps, except the 2 s between one change and the next: that is the
# scenario, "both sides changing for ten intervals".
GROUP=echo
. "$(dirname "$0")/lib.sh"
gen nop 31 30
sandbox_start --limit-scale 100
use_pair nopcommerce_qbo
sport=$(free_port)
products() { curl -s "$root/_sandbox/records?service=nop&collection=products"; }
items() { curl -s "$root/_sandbox/dump?service=qbo" | jq -c '.Item[]'; }
now() { date -u +%Y-%m-%dT%H:%M:%SZ; }
writes() { # created + updated of Product and Stock, as the daemon counts them
	curl -s "http://127.0.0.1:$sport/metrics" | awk '
		/^mapwright_records_total/ && /entity="(Product|Stock)"/ &&
		/outcome="(created|updated)"/ { n += $2 } END { print n + 0 }'
}
# the store edits a product's price (UpdatedOnUtc now)
reprice() { # sku price
	products | jq -c --arg s "$1" --argjson p "$2" --arg t "$(now)" \
		'select(.Sku == $s) | .Price = $p | .UpdatedOnUtc = $t' > "$tmp/edit"
	put nop products "$tmp/edit" > /dev/null
	echo "$1 $2" >> "$tmp/prices"
}
# every 0.5 s: each product's count in the store and each item's price in
# QuickBooks, one line per sample, to look for flips afterwards
watch() {
	while :; do
		products | jq -r '"stock \(.Sku) \(.StockQuantity)"' >> "$tmp/seen"
		items | jq -r 'select(.Sku) | "price \(.Sku) \(.UnitPrice)"' >> "$tmp/seen"
		sleep 0.5
	done
}

# The map, Product and Stock polled every 2 s; the first sync by run --once.
python3 - mappings/nopcommerce_qbo.map "$tmp/nq.map" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
for ent in ("Product", "Stock"):
    text = re.sub(r"(entity %s: [^{]*?poll every )\w+" % ent, r"\g<1>2s", text, count=1)
open(sys.argv[2], "w").write(text)
EOF
t map-polls-2s [ "$(grep -c 'poll every 2s' "$tmp/nq.map")" = 2 ]
t pair-built make_pair "$tmp/nq.map" "$tmp/nq" || cat "$tmp/make"
"$tmp/nq" run --once --state "$st" --config "$tmp/$pair.env" > "$tmp/out" 2> "$tmp/err"
t first-sync [ $? -le 1 ] || cat "$tmp/err"
dlq0=$(sql "SELECT count(*) FROM dlq")
"$tmp/nq" serve --state "$st" --config "$tmp/$pair.env" --port "$sport" > "$tmp/serve.out" \
	2> "$tmp/serve.log" &
dpid=$!
t serve-up healthy "$sport"
reads() { # ENTITY: records the daemon has read for it
	curl -s "http://127.0.0.1:$sport/metrics" | awk -v e="entity=\"$1\"" '
		/^mapwright_records_total/ && index($0, e) && /outcome="read"/ { n += $2 }
		END { print n + 0 }'
}
# the daemon's first polls find what run --once wrote: nothing to write
i=0
while [ $i -lt 100 ] && { [ "$(reads Product)" = 0 ] || [ "$(reads Stock)" = 0 ]; }; do
	sleep 0.1; i=$((i + 1))
done
t quiet-at-start [ "$(reads Stock)" -gt 0 -a "$(writes)" = 0 ] || tail -5 "$tmp/serve.log"

# Ten intervals of changes on both sides.
watch & wpid=$!
skus=$(products | jq -r 'select(.Sku) | .Sku' | head -4)
: > "$tmp/bills" ; : > "$tmp/prices"
k=1
while [ $k -le 10 ]; do
	python3 tests/e2e/deliveries.py "$root" --target qbo --day "$k" --seed 31 --items 1 \
		>> "$tmp/bills" || echo "# delivery $k refused"
	sku=$(echo "$skus" | sed -n "$(( (k - 1) % 4 + 1 ))p")
	reprice "$sku" "$((10 + k)).25"
	sleep 2
	k=$((k + 1))
done
during=$(writes)
stopped=$(date +%s)
# within one interval (2 s, and a second for a busy machine) the writes stop
last=$during at=$stopped
while [ $(( $(date +%s) - stopped )) -lt 14 ]; do
	n=$(writes)
	[ "$n" != "$last" ] && { last=$n; at=$(date +%s); }
	sleep 0.25
done
kill $wpid 2>/dev/null; wait $wpid 2>/dev/null
t writes-during-changes [ "$during" -gt 0 ]
# one 2 s interval, and a second of slack for whole seconds and a busy
# machine (three under the sanitizers, whose polls run slower)
slack=1
[ -n "${SAN:-}" ] && slack=3
t writes-stop-within-an-interval [ $((at - stopped)) -le $((2 + slack)) ] ||
	echo "# the last write came $((at - stopped)) s after the changes stopped"
t writes-no-more-than-changes [ "$last" -le $(( $(wc -l < "$tmp/bills") + 10 )) ] ||
	echo "# $last writes for $(wc -l < "$tmp/bills") billed lines and 10 price edits"

# No flips: a count in the store only rises; a price in QuickBooks only takes
# the store's prices, in the order the store set them, and ends at the last.
rises() {
	awk '$1 == "stock" { if (($2 in v) && $3 + 0 < v[$2] + 0) { print $2, v[$2], "->", $3; bad = 1 }
		v[$2] = $3 } END { exit bad }' "$tmp/seen"
}
t store-counts-only-rise rises
prices_follow() {
	for s in $skus; do
		grep "^price $s " "$tmp/seen" | awk '{ print $3 + 0 }' | uniq > "$tmp/seq"
		awk -v s="$s" '$1 == s { print $2 + 0 }' "$tmp/prices" > "$tmp/want"
		# what QuickBooks showed, after its first value, is the store's edits in order
		tail -n +2 "$tmp/seq" > "$tmp/got"
		awk 'NR == FNR { w[++n] = $1; next } { while (i < n && w[i + 1] != $1) i++
			if (i >= n) exit 1; i++ }' "$tmp/want" "$tmp/got" ||
			{ echo "# $s: $(tr '\n' ' ' < "$tmp/seq") for $(tr '\n' ' ' < "$tmp/want")"; return 1; }
		[ "$(tail -1 "$tmp/seq")" = "$(tail -1 "$tmp/want")" ] ||
			{ echo "# $s ends at $(tail -1 "$tmp/seq"), the store's $(tail -1 "$tmp/want")"; return 1; }
	done
}
t item-prices-follow-the-store prices_follow
kill $dpid 2>/dev/null; wait $dpid 2>/dev/null; dpid=
t stock-agrees python3 tests/e2e/books.py stock "$root" --store nop --target qbo
t no-dead-letter [ "$(sql "SELECT count(*) FROM dlq")" = "$dlq0" ] ||
	sql "SELECT entity, source_key, reason FROM dlq"
summary
