#!/bin/sh
# End to end, Clarity eCommerce -> Xero over an order's whole life (issue 10,
# docs/sync.md "Clarity -> Xero"): a store of 40 orders synced, then one
# store event at a time (tests/e2e/events.py), `run --once` after each, and
# the books judged each time: the sandbox's GET /_sandbox/books?service=xero
# (Xero's own documents: invoices, credit notes, payments) against the books
# the store's records say (tests/e2e/books.py, the rules of docs/sync.md), per
# currency, exact decimals.  Each event also: no new dead letter, at most one
# live invoice per order, and what the order's own documents are in Xero.
#   paid later        the invoice (AUTHORISED, owed) is paid: PAID, no second
#   full refund       a credit note for the captured amount, refunded in cash
#   return (partial)  a credit note for the return's refundAmount, refunded
#   cancelled unpaid  the invoice VOIDED (owes nothing)
#   cancelled + refunded after payment: sales, cash and receivable all 0
#   shipped, address, e-mail: no invoice or payment written, no document;
#                     an address or e-mail edited updates the contact alone
GROUP=life_xero
. "$(dirname "$0")/lib.sh"
gen clarity 31 40
catalogue  # the items Xero's order lines name (ref Product)
sandbox_start --limit-scale 100
use_pair clarity_xero
ev() { # event key [flag]: the store changes, or the test fails here
	t "event-$1-${2:-none}" python3 tests/e2e/events.py "$root" "$1" clarity "$2" ${3:+"$3"} \
		>> "$tmp/events"
}
dead() { sql "SELECT count(*) FROM dlq"; }

# 0 when Xero's books (GET /_sandbox/books?service=xero) and the store's
# (tests/e2e/books.py: the rules of docs/sync.md over the store's records,
# the state's dead letters and held records left out by key) agree in every
# currency, to the cent; else the table of both.
same_books() {
	python3 tests/e2e/books.py compare "$root" --store clarity --target xero --state "$st" \
		> "$tmp/cmp" || { cat "$tmp/cmp"; return 1; }
}
# 0 when no order has two live (not VOIDED / DELETED) invoices.
one_live_invoice() {
	dump
	[ "$(jq '[.Invoices[] | select(.Status != "VOIDED" and .Status != "DELETED")
		| .Reference] | length == (unique | length)' "$tmp/dump")" = true ]
}
inv() { # order jq-path -> the field of its invoice
	jq -r --arg o "$1" ".Invoices[] | select(.Reference == \$o) | $2" "$tmp/dump"
}
writes() { # the run's documents created + updated (the summary's total line)
	awk '$1 == "total" { print $3 + $4 }' "$tmp/out"
}
step() { # NAME: sync once, then the books, the dead letters, one live invoice each
	sync > "$tmp/out" 2> "$tmp/err"
	t "$1-books" same_books || cat "$tmp/events"
	echo "# $1: xero $(curl -s "$root/_sandbox/books?service=xero" | jq -c .USD)"
	t "$1-no-dead-letter" [ "$(dead)" = "$dead0" ] || sql "SELECT entity, source_key,
		target_error FROM dlq ORDER BY id DESC LIMIT 3"
	t "$1-one-live-invoice-each" one_live_invoice
}

# The first run: the seed's deliberately bad records are its only dead letters
# (the mapping's own reasons; Xero refuses nothing).
sync > "$tmp/out" 2> "$tmp/err"
dead0=$(dead)
sql "SELECT source_key FROM dlq UNION SELECT source_key FROM held" > "$tmp/bad"
t first-run-xero-refused-nothing [ "$(sql "SELECT count(*) FROM dlq WHERE
	target_error != ''")" = 0 ] || sql "SELECT entity, source_key, target_error FROM dlq"
t first-run-books same_books
t first-run-one-live-invoice-each one_live_invoice
pick() { # jq condition on an order -> the first such order synced (not bad, not used)
	curl -s "$root/_sandbox/records?service=clarity&collection=orders" |
		jq -r "select($1) | .orderId" | grep -vxF -f "$tmp/bad" -f "$tmp/used" | head -1 |
		tee -a "$tmp/used"
}
: > "$tmp/used"
unpaid='.status == "pending" and .paymentInfo.status == "authorized"'
t pending-is-a-sale [ "$(inv "$(pick "$unpaid")" .Status)" = AUTHORISED ]

# 1. paid later: one invoice, paid; the payment applied to it.
o=$(pick "$unpaid"); ev pay "$o"
step paid-later
t paid-later-invoice-paid [ "$(inv "$o" '[.Status, .AmountDue] | join(",")')" = "PAID,0" -a \
	"$(jq --arg o "$o" '[.Invoices[] | select(.Reference == $o)] | length' "$tmp/dump")" = 1 ]

# 2. a full refund of a paid order: a credit note for it, refunded in cash.
o=$(pick '.status == "completed" and .paymentInfo.status == "captured"'); ev refund "$o"
step full-refund
t full-refund-credit-note [ "$(jq -r --arg o "$o" '.CreditNotes[] | select(.Reference == $o) |
	[.Type, .Status, .Total == .Payments[0].Amount, .RemainingCredit] | join(",")' \
	"$tmp/dump")" = "ACCRECCREDIT,PAID,true,0" ]

# 3. a return refunding part of an order: the rest of the sale stands.
o=$(pick '.status == "completed" and .paymentInfo.status == "captured"'); ev return "$o"
step return
t return-credit-note [ "$(jq -r --arg o "$o" '[.CreditNotes[] | select(.Reference |
	startswith($o + " RT-")) | .Status] | join(",")' "$tmp/dump")" = PAID -a \
	"$(inv "$o" .Status)" = PAID ]

# 4. cancelled before payment: voided, nothing owed.
o=$(pick "$unpaid"); ev cancel "$o"
step cancelled-unpaid
t cancelled-unpaid-voided [ "$(inv "$o" '[.Status, .AmountDue] | join(",")')" = "VOIDED,0" ]

# 5. cancelled after payment, refunded: the order's books all 0.
o=$(pick '.status == "processing" and .paymentInfo.status == "captured"')
ev cancel "$o" --refund
step cancelled-refunded
t cancelled-refunded-all-zero [ "$(jq -r --arg o "$o" '([.Invoices[] | select(.Reference ==
	$o) | .Total] | add) - ([.CreditNotes[] | select(.Reference == $o) | .Total] | add),
	([.Invoices[] | select(.Reference == $o) | .AmountDue] | add),
	([.CreditNotes[] | select(.Reference == $o) | .RemainingCredit] | add)' "$tmp/dump" |
	tr '\n' ,)" = "0,0,0," ]

# 6. shipped, an address and an e-mail edited: no invoice, payment or credit
# written (the address and the e-mail are the contact's own: its update is
# the one write, the address a POBOX address with the country's name).
n_docs=$(jq '[.Invoices, .CreditNotes, .Payments] | map(length) | add' "$tmp/dump")
o=$(pick '.status == "processing" and .paymentInfo.status == "captured"'); ev ship "$o"
step shipped
t shipped-nothing-written [ "$(writes)" = 0 ] || cat "$tmp/out"
c=$(jq -r --arg o "$o" '.Invoices[] | select(.Reference == $o) | .Contact.ContactNumber' \
	"$tmp/dump")
ev address "$c"
step address
t address-only-the-contact [ "$(writes)" = 1 -a "$(col Customer 4)" = 1 ] || cat "$tmp/out"
t address-in-the-contact [ "$(jq -c --arg c "$c" '.Contacts[] | select(.ContactNumber == $c) |
	.Addresses[] | [.AddressType, .City, .Region, .PostalCode, .Country]' "$tmp/dump")" = \
	'["POBOX","Denver","CO","80202","United States"]' ]
ev email "$c"
step email
t email-only-the-contact [ "$(writes)" = 1 -a "$(col Customer 4)" = 1 ] || cat "$tmp/out"
t no-new-document [ "$(jq '[.Invoices, .CreditNotes, .Payments] | map(length) | add' \
	"$tmp/dump")" = "$n_docs" ]
summary
