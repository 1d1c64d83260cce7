#!/bin/sh
# End to end, NopCommerce -> QuickBooks Online: the books stay right over an
# order's whole life (issue 10).  A store seeded by the sandbox is synced,
# then each rule's event is made in the store (tests/e2e/events.py) and
# `run --once` follows it; after every run the QuickBooks books
# (GET /_sandbox/books?service=qbo: sales, cash, receivable per currency,
# from the documents' own totals and balances) must equal the store's
# (tests/e2e/books.py: sales = OrderTotal unless cancelled unpaid, less
# RefundedAmount; cash = OrderTotal when paid, less RefundedAmount), no new
# dead letter may appear, and every order has at most one invoice, one
# payment and one refund receipt, and never a sales receipt:
#   - paid later: the invoice gets a Payment applied to it, no second document
#   - full refund, partial refund (35) and a second one: one refund receipt,
#     updated to the amount refunded so far
#   - cancelled unpaid: the invoice voided (0, "Voided")
#   - cancelled after payment and refunded: sales, cash and receivable 0
#   - shipping, an address, an e-mail: no sales document written
# NopCommerce orders carry no update stamp: the map's `lookback` makes each
# run read the open and recent orders again (created within 14 days of the
# clock), and the engine's document hash sends only what changed; so the
# events happen to orders placed now, after the first sync.
GROUP=life_qbo
. "$(dirname "$0")/lib.sh"
sandbox_start --seed 7 --orders 60 --limit-scale 100
use_pair nopcommerce_qbo
ev() { e=$1; shift; python3 tests/e2e/events.py "$root" "$e" nop "$evkey" "$@" > /dev/null; }
run() { sync > "$tmp/out" 2> "$tmp/err"; dump; }
ndead() { sql "SELECT count(*) FROM dlq WHERE dropped = 0"; }
# Documents per order of each kind, from what QuickBooks holds: the largest
# count over the orders (1: never two), and the sales receipts.
most() { # collection
	jq -r --arg c "$1" '[.[$c][] | .PrivateNote // "" | sub("^Voided - "; "") |
		capture("^NopCommerce order (?<o>[0-9]+)").o] | group_by(.) |
		map(length) | max // 0' "$tmp/dump"
}
one_each() {
	[ "$(most Invoice)" = 1 ] && [ "$(most Payment)" -le 1 ] &&
		[ "$(most RefundReceipt)" -le 1 ] && [ "$(jq '.SalesReceipt | length' "$tmp/dump")" = 0 ]
}
# The order's document of a kind in the dump (and a jq expression of it).
doc() { # collection order [expr]
	jq -c --arg c "$1" --arg o "NopCommerce order $2" '[.[$c][] | select((.PrivateNote // "") |
		sub("^Voided - "; "") | startswith($o + ",") or startswith($o + " "))] |
		.[0] | '"${3:-.}" "$tmp/dump"
}
# After each run: the books agree, nothing new is dead, one document each.
judge() { # step
	t "$1/books-agree" python3 tests/e2e/books.py compare "$root" --store nop --target qbo \
		--state "$st" > "$tmp/books" || cat "$tmp/books" "$tmp/err"
	t "$1/no-new-dead-letter" [ "$(ndead)" = "$dead0" ] ||
		"$BIN/$pair" dlq list --state "$st"
	t "$1/one-document-each" one_each
}
orders() { curl -s "$root/_sandbox/records?service=nop&collection=orders"; }
seq=0
place() { # [--paid] -> a new order's Id, placed now
	seq=$((seq + 1))
	python3 tests/e2e/events.py "$root" new nop "$@" --seed "$seq" \
		--at "$(date -u +%Y-%m-%dT%H:%M:%SZ)" | awk '{ print $3 }'
}
run
dead0=$(ndead)
t first-run [ "$(col Order 3)" -gt 30 ] || cat "$tmp/out" "$tmp/err"
judge first
# 1. orders placed: each an invoice, the paid ones with their payment
later=$(place) full=$(place --paid) part=$(place --paid) off=$(place) back=$(place --paid)
edit=$(place --paid)
run
judge placed
t placed/invoices-and-payments [ "$(col Order 3)" = 6 -a "$(col Payment 3)" = 4 ] ||
	cat "$tmp/out" "$tmp/err"
n_inv=$(jq '.Invoice | length' "$tmp/dump")

# 2. an unpaid order paid later: a Payment applied to its invoice, nothing else
evkey=$later
bal=$(doc Invoice "$evkey" .Balance)
t paid-later/event ev pay
run
judge paid-later
t paid-later/payment-applied [ "$(doc Payment "$evkey" '.Line[0].LinkedTxn[0].TxnId')" = \
	"$(doc Invoice "$evkey" .Id)" -a "$(doc Invoice "$evkey" .Balance)" = 0 -a "$bal" != 0 ]
t paid-later/no-new-invoice [ "$(jq '.Invoice | length' "$tmp/dump")" = "$n_inv" ]

# 3. a paid order refunded in full: a refund receipt of its whole total
evkey=$full
total=$(orders | jq -r "select(.Id == $evkey) | .OrderTotal")
t full-refund/event ev refund
run
judge full-refund
t full-refund/receipt-total [ "$(doc RefundReceipt "$evkey" .TotalAmt)" = "$total" ]

# 4. a partial refund (35), then more of it: one receipt, updated
evkey=$part
t partial-refund/event ev return --amount 10.00
run
judge partial-refund
t partial-refund/status-35 [ "$(orders | jq -r "select(.Id == $evkey) | .PaymentStatusId")" = 35 ]
t partial-refund/receipt [ "$(doc RefundReceipt "$evkey" .TotalAmt)" = 10 ]
t second-refund/event ev return --amount 5.25
run
judge second-refund
t second-refund/same-receipt-updated [ "$(doc RefundReceipt "$evkey" .TotalAmt)" = 15.25 -a \
	"$(doc RefundReceipt "$evkey" .SyncToken)" = '"1"' -a "$(col Refund 4)" = 1 ]

# 5. an unpaid order cancelled: its invoice voided
evkey=$off
t cancelled-unpaid/event ev cancel
run
judge cancelled-unpaid
t cancelled-unpaid/voided [ "$(doc Invoice "$evkey" '[.TotalAmt, .Balance]')" = '[0,0]' ] &&
	doc Invoice "$evkey" .PrivateNote | grep -q '^"Voided - NopCommerce order '

# 6. a paid order cancelled and refunded: 0 sales, 0 cash, nothing owed
evkey=$back
t cancelled-refunded/event ev cancel --refund
run
judge cancelled-refunded
net() { # the order's sales, cash and receivable from its documents
	jq -n --argjson i "$(doc Invoice "$evkey")" --argjson p "$(doc Payment "$evkey")" \
		--argjson r "$(doc RefundReceipt "$evkey")" -c '[$i.TotalAmt - $r.TotalAmt,
		$p.TotalAmt - $r.TotalAmt, $i.Balance] | map(. * 100 | round)'
}
t cancelled-refunded/all-zero [ "$(net)" = '[0,0,0]' ] || net

# 7. shipped, an address and an e-mail edited: no sales document written
evkey=$edit
cust=$(orders | jq -r "select(.Id == $evkey) | .CustomerId")
edits() { ev ship && evkey=$cust && ev address && ev email; }
t edits/events edits
jq -c '[.Invoice, .Payment, .RefundReceipt][][] | [.Id, .SyncToken]' "$tmp/dump" | sort > "$tmp/before"
run
judge edits
jq -c '[.Invoice, .Payment, .RefundReceipt][][] | [.Id, .SyncToken]' "$tmp/dump" | sort > "$tmp/after"
t edits/no-sales-document-written cmp -s "$tmp/before" "$tmp/after"
t edits/nothing-created [ "$(col total 3)" = 0 ] || cat "$tmp/out"

# 8. nothing changed: nothing sent
run
t rerun/writes-nothing [ "$(col total 3)" = 0 -a "$(col total 4)" = 0 ] || cat "$tmp/out"
summary
