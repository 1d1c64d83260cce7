#!/bin/sh
# End to end, Clarity -> Sage Intacct over orders' whole life (issue 10): a
# store synced once, then one event at a time (tests/e2e/events.py), each
# followed by `run --once`, and after each the target's books
# (GET /_sandbox/books?service=intacct) compared with the store's
# (tests/e2e/books.py, the seed's deliberately bad records left out by the
# state's dead letters), with no new dead letter and the documents the rule
# says:
#   paid later            one live invoice, a payment applied (TOTALDUE 0)
#   full refund           the payment Reversed, a credit memo CM-<order>
#   return (partial)      a credit memo CM-<return> and the refund paid out
#                         RF-<return>; the invoice stays paid
#   cancelled unpaid      the sales transaction and its AR invoice deleted
#   cancelled, refunded   the payment Reversed, a credit memo
#   shipped, address and e-mail changed   nothing written at all
GROUP=life_intacct
. "$(dirname "$0")/lib.sh"
gen clarity 23 120
catalogue  # the items its order lines are (ref Product)
sandbox_start
use_pair clarity_intacct
sync > "$tmp/out" 2> "$tmp/err"
t first-run [ $? -le 1 ] || cat "$tmp/err"
dead0=$(sql "SELECT count(*) FROM dlq WHERE dropped = 0")
books() { # quiet when they agree
	python3 tests/e2e/books.py compare "$root" --store clarity --target intacct --state "$st" \
		> "$tmp/books" || { cat "$tmp/books"; return 1; }
}
t first-books books
dead() { sql "SELECT count(*) FROM dlq WHERE dropped = 0"; }
written() { [ "$(col total 3)" = 0 -a "$(col total 4)" = 0 ]; }

# pick RULE: a synced order (in the cross-reference, not dead-lettered) fit
# for the event, from the store as it is now
pick() {
	sql "SELECT source_id FROM xref WHERE entity = 'Order'" > "$tmp/synced"
	curl -s "$root/_sandbox/records?service=clarity&collection=orders" |
	python3 -c '
import json, sys
rule, synced = sys.argv[1], set(open(sys.argv[2]).read().split())
used = set(sys.argv[3].split())
for line in sys.stdin:
    o = json.loads(line)
    k, s, p = o["orderId"], o.get("status"), (o.get("paymentInfo") or {}).get("status")
    if k not in synced or k in used:
        continue
    ok = {"unpaid": s == "pending" and p == "authorized",
          "paid": s == "processing" and p == "captured",
          "shippable": s == "processing" and p == "captured"}[rule]
    if ok:
        print(k)
        break' "$1" "$tmp/synced" "$used"
}
# event NAME EVENT ORDER [ARGS]: the store's event, a run, the books, no new
# dead letter
used=
event() {
	name=$1 ev=$2 key=$3; shift 3
	used="$used $key"
	python3 tests/e2e/events.py "$root" "$ev" clarity "$key" "$@" > "$tmp/ev" ||
		{ t "$name-event" false; cat "$tmp/ev"; return 1; }
	sync > "$tmp/out" 2> "$tmp/err"
	t "$name-books" books || cat "$tmp/out" "$tmp/err"
	t "$name-no-dead-letter" [ "$(dead)" = "$dead0" ] || cat "$tmp/err"
}
q() { dump; jq -r "$1" "$tmp/dump"; }

o=$(pick unpaid)
event paid-later pay "$o"
t paid-later-one-invoice [ "$(q "[.SODOCUMENT[] | select(.DOCNO == \"$o\")] | length")" = 1 -a \
	"$(q ".ARINVOICE[] | select(.RECORDID == \"$o\") | .TOTALDUE")" = 0.00 ]

o=$(pick paid)
event full-refund refund "$o"
t full-refund-documents [ "$(q ".ARPYMT[] | select(.DESCRIPTION == \"Clarity order $o\") | .STATE")" = \
	Reversed -a "$(q "[.ARADJUSTMENT[] | select(.RECORDID == \"CM-$o\")] | length")" = 1 ]

o=$(pick paid)
event return return "$o"
rt=$(awk '{print $4}' "$tmp/ev")   # "return clarity SO-... RT-... refunded ..."
t return-documents [ "$(q "[.ARADJUSTMENT[] | select(.RECORDID == \"CM-$rt\" or .RECORDID == \"RF-$rt\")]
	| length")" = 2 -a "$(q ".ARINVOICE[] | select(.RECORDID == \"$o\") | .TOTALDUE")" = 0.00 ]

o=$(pick unpaid)
event cancelled-unpaid cancel "$o"
t cancelled-unpaid-deleted [ "$(q "[.SODOCUMENT[], .ARINVOICE[] | select(.DOCNO == \"$o\" or
	.RECORDID == \"$o\")] | length")" = 0 ]

o=$(pick paid)
event cancelled-refunded cancel "$o" --refund
t cancelled-refunded-documents [ "$(q ".ARPYMT[] | select(.DESCRIPTION == \"Clarity order $o\") |
	.STATE")" = Reversed -a "$(q "[.ARADJUSTMENT[] | select(.RECORDID == \"CM-$o\")] | length")" = 1 ]

o=$(pick shippable)
event shipped ship "$o"
t shipped-nothing-written written || cat "$tmp/out"
c=$(jq -r 'select(.orderId == "'"$o"'") | .customerId' "$data/clarity_ecommerce.orders.ndjson")
event address address "$c"
t address-nothing-written written || cat "$tmp/out"
event email email "$c"
t email-nothing-written-but-customer [ "$(col Order 3)" = 0 -a "$(col Order 4)" = 0 -a \
	"$(col Payment 3)" = 0 -a "$(col Payment 4)" = 0 ] || cat "$tmp/out"
sync > "$tmp/out" 2> "$tmp/err"
t then-nothing written || cat "$tmp/out"
summary
