#!/bin/sh
# The sandbox's Xero, over real HTTP with curl: token endpoint (client
# credentials, refresh rotation), Bearer and xero-tenant-id checks, Contacts
# and Invoices created from what bin/clarity_xero produces, validation
# errors as Xero words them, per-item results with summarizeErrors=false,
# Idempotency-Key replay, paging, and the 60-a-minute limit with 429;
# the organisation's base currency, the currencies added, the rates of
# foreign documents and payments, and the books in the base currency.
GROUP=xero
. "$(dirname "$0")/lib.sh"
base="http://127.0.0.1:$(cat "$tmp/port")/xero"
req() { # method path [body] -> $tmp/body, prints status
	curl -s -o "$tmp/body" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $tok" \
		-H "xero-tenant-id: $tenant" -H 'Content-Type: application/json' \
		${3:+--data-binary "$3"} ${IDEM:+-H "Idempotency-Key: $IDEM"} "$base$2"
}
basic="sandbox-client:sandbox-secret"
tenant=00000000-0000-4000-8000-00000000000a

s=$(curl -s -o "$tmp/body" -w '%{http_code}' -d grant_type=client_credentials "$base/connect/token")
t token-needs-client-auth [ "$s" = 400 ]
s=$(curl -s -o "$tmp/body" -w '%{http_code}' -u "$basic" -d grant_type=client_credentials \
	"$base/connect/token")
tok=$(jq -r .access_token "$tmp/body")
t token-client-credentials [ "$s" = 200 -a -n "$tok" -a "$(jq .expires_in "$tmp/body")" = 1800 ]

good=$tok; tok=nope
t bearer-required [ "$(req GET /api.xro/2.0/Contacts)" = 401 ]
tok=$good; tenant=wrong
t tenant-required [ "$(req GET /api.xro/2.0/Contacts)" = 403 ]
tenant=00000000-0000-4000-8000-00000000000a

# Contacts and invoices exactly as the compiled mapping writes them.
python3 tests/bench/gen_orders.py --seed 21 --orders 60 > "$tmp/orders"
python3 tests/bench/gen_orders.py --seed 21 --orders 60 --customers > "$tmp/customers"
"$BIN/clarity_xero" transform Customer --dead-letter /dev/null < "$tmp/customers" \
	> "$tmp/contacts"
# (a cancelled order maps to VOIDED: the lifecycle voids or keeps it, never
# creates it, and Xero would refuse to)
"$BIN/clarity_xero" transform Order --dead-letter /dev/null < "$tmp/orders" |
	jq -c 'select(.Status != "VOIDED")' > "$tmp/invoices"
body=$(jq -cs '{Contacts: .}' "$tmp/contacts")
t contacts-created [ "$(req PUT /api.xro/2.0/Contacts "$body")" = 200 -a \
	"$(jq '[.Contacts[] | select(.ContactID != null)] | length' "$tmp/body")" = \
	"$(wc -l < "$tmp/contacts")" ]
# `ref Customer(customerId)` resolved as the sync engine does: the source key
# (the contact's ContactNumber) -> the ContactID Xero gave it
jq '[.Contacts[] | {key: .ContactNumber, value: .ContactID}] | from_entries' "$tmp/body" \
	> "$tmp/cids"
jq -c --slurpfile ids "$tmp/cids" '.Contact.ContactID = ($ids[0][.Contact.ContactID] //
	.Contact.ContactID)' "$tmp/invoices" > "$tmp/inv2" && mv "$tmp/inv2" "$tmp/invoices"
t contact-refs-resolved [ "$(jq -r .Contact.ContactID "$tmp/invoices" | grep -vc -- '-4000-')" = 0 ]
body=$(jq -cs '{Invoices: .[0:30]}' "$tmp/invoices")
s=$(req PUT /api.xro/2.0/Invoices "$body")
t generated-invoices-accepted [ "$s" = 200 -a \
	"$(jq '[.Invoices[] | select(.StatusAttributeString == "OK")] | length' "$tmp/body")" = 30 ]
[ "$s" = 200 ] || head -c 600 "$tmp/body"

# a contact's addresses: kept as sent; an AddressType Xero has not, or a
# postal code over 50 characters, refused
addr='{"AddressType":"POBOX","AddressLine1":"5 Elm St.","City":"Springfield","Region":"IL",
	"PostalCode":"62701","Country":"United States"}'
t contact-address-kept [ "$(req PUT /api.xro/2.0/Contacts "{\"Contacts\":[{\"Name\":\"Addr One\",
	\"Addresses\":[$addr]}]}")" = 200 -a \
	"$(jq -r '.Contacts[0].Addresses[0] | .AddressLine1 + "|" + .Region' "$tmp/body")" = \
	"5 Elm St.|IL" ]
# one address of each type, POBOX then STREET: the last of two alike, and
# a DELIVERY one dropped, as Xero drops it on a contact
t contact-address-one-per-type [ "$(req PUT /api.xro/2.0/Contacts '{"Contacts":[{"Name":"Addr Four",
	"Addresses":[{"AddressType":"STREET","City":"Austin"},{"AddressType":"POBOX","City":"Boston"},
	{"AddressType":"DELIVERY","City":"Dallas"},{"AddressType":"POBOX","City":"Denver"}]}]}')" = 200 -a \
	"$(jq -c '[.Contacts[0].Addresses[] | .AddressType + " " + .City]' "$tmp/body")" = \
	'["POBOX Denver","STREET Austin"]' ] || cat "$tmp/body"
t contact-address-type-refused [ "$(req PUT /api.xro/2.0/Contacts '{"Contacts":[{"Name":"Addr Two",
	"Addresses":[{"AddressType":"HOME","City":"Austin"}]}]}')" = 400 -a \
	"$(jq -r '.Elements[0].ValidationErrors[0].Message' "$tmp/body")" = \
	"The AddressType 'HOME' is not valid: POBOX, STREET or DELIVERY." ]
t contact-postal-code-too-long [ "$(req PUT /api.xro/2.0/Contacts '{"Contacts":[{"Name":"Addr 3",
	"Addresses":[{"AddressType":"STREET","PostalCode":"'"$(printf '%051d' 0)"'"}]}]}')" = 400 -a \
	"$(jq -r '.Elements[0].ValidationErrors[0].Message' "$tmp/body")" = \
	"The Address PostalCode exceeds the 50 character limit." ]

bad=$(jq -cs '{Invoices: [.[30] | .LineItems[0].AccountCode = "999"]}' "$tmp/invoices")
t validation-exception [ "$(req PUT /api.xro/2.0/Invoices "$bad")" = 400 -a \
	"$(jq -r '.Type' "$tmp/body")" = ValidationException -a \
	"$(jq -r '.Elements[0].ValidationErrors[0].Message' "$tmp/body")" = \
	"Account code '999' is not a valid code for this document." ]

mixed=$(jq -cs '{Invoices: [.[31], (.[32] | .LineItems[0].TaxType = "BOGUS")]}' "$tmp/invoices")
t per-item-results [ "$(req PUT '/api.xro/2.0/Invoices?summarizeErrors=false' "$mixed")" = 200 -a \
	"$(jq -r '[.Invoices[].StatusAttributeString] | join(",")' "$tmp/body")" = "OK,ERROR" ]

IDEM=key-1
one=$(jq -cs '{Invoices: [.[33]]}' "$tmp/invoices")
req PUT /api.xro/2.0/Invoices "$one" > /dev/null; cp "$tmp/body" "$tmp/first"
req PUT /api.xro/2.0/Invoices "$one" > /dev/null
IDEM=
n=$(curl -s "http://127.0.0.1:$(cat "$tmp/port")/_sandbox/dump?service=xero" | jq '.Invoices | length')
t idempotency-key-replays [ "$(cmp -s "$tmp/first" "$tmp/body" && echo same)" = same -a "$n" = 32 ]

t paging [ "$(req GET '/api.xro/2.0/Invoices?page=1')" = 200 -a \
	"$(jq '.Invoices | length' "$tmp/body")" = 32 ]
t if-modified-since [ "$(curl -s -H "Authorization: Bearer $tok" -H "xero-tenant-id: $tenant" \
	-H 'If-Modified-Since: 2999-01-01T00:00:00' "$base/api.xro/2.0/Invoices" |
	jq '.Invoices | length')" = 0 ]

rt=$(curl -s "http://127.0.0.1:$(cat "$tmp/port")/_sandbox/dump?service=xero" | jq -r .refresh_token)
s=$(curl -s -o "$tmp/body" -w '%{http_code}' -u "$basic" \
	-d "grant_type=refresh_token&refresh_token=$rt" "$base/connect/token")
t refresh-rotates [ "$s" = 200 -a "$(jq -r .refresh_token "$tmp/body")" != "$rt" ]
s=$(curl -s -o /dev/null -w '%{http_code}' -u "$basic" \
	-d "grant_type=refresh_token&refresh_token=$rt" "$base/connect/token")
t old-refresh-refused [ "$s" = 400 ]

# Payments as bin/clarity_xero writes them, with `ref Order(...)` resolved to
# the sandbox's InvoiceIDs as the sync engine will: each settles its invoice
# to the cent (the mapping sends the storefront's TaxAmount per line).
dump="http://127.0.0.1:$(cat "$tmp/port")/_sandbox/dump?service=xero"
curl -s "$dump" | jq '[.Invoices[] | {key: .Reference, value: .InvoiceID}] | from_entries' \
	> "$tmp/ids"
"$BIN/clarity_xero" transform Payment --dead-letter /dev/null < "$tmp/orders" |
	jq -c --slurpfile ids "$tmp/ids" '.Invoice.InvoiceID = $ids[0][.Invoice.InvoiceID]
		| select(.Invoice.InvoiceID != null)' > "$tmp/payments"
np=$(wc -l < "$tmp/payments")
body=$(jq -cs '{Payments: .}' "$tmp/payments")
t payments-accepted [ "$np" -gt 5 -a "$(req PUT /api.xro/2.0/Payments "$body")" = 200 -a \
	"$(jq '[.Payments[] | select(.StatusAttributeString == "OK")] | length' "$tmp/body")" = "$np" ]
t invoices-paid [ "$(curl -s "$dump" | jq '[.Invoices[] | select(.Status == "PAID")] | length')" \
	= "$np" ]
again=$(jq -cs '{Payments: [.[0]]}' "$tmp/payments")
s=$(req PUT /api.xro/2.0/Payments "$again")
t overpayment-refused [ "$s" = 400 -a "$(jq '[.Elements[0].ValidationErrors[].Message] |
	index("Payment amount exceeds the amount outstanding on this document") != null' \
	"$tmp/body")" = true ]
badacct=$(jq -cs '{Payments: [.[0] | .Account.Code = "200"]}' "$tmp/payments")
t payment-needs-bank-account [ "$(req PUT /api.xro/2.0/Payments "$badacct")" = 400 ]

# Reads: where= filters as Xero writes them, one document by id or number,
# and the organisation's reference lists.
q() { # path where-expression -> $tmp/body, prints status
	curl -s -o "$tmp/body" -w '%{http_code}' -G -H "Authorization: Bearer $tok" \
		-H "xero-tenant-id: $tenant" --data-urlencode "where=$2" "$base/api.xro/2.0/$1"
}
cn=$(sed -n 3p "$tmp/contacts" | jq -r .ContactNumber)
cname=$(sed -n 3p "$tmp/contacts" | jq -r .Name)
t where-contact-number [ "$(q Contacts "ContactNumber==\"$cn\"")" = 200 -a \
	"$(jq -r '[.Contacts[].ContactNumber] | join(",")' "$tmp/body")" = "$cn" ]
cid=$(jq -r '.Contacts[0].ContactID' "$tmp/body")
t where-name [ "$(q Contacts "Name==\"$cname\"")" = 200 -a \
	"$(jq -r '[.Contacts[] | select(.Name == $n)] | length' --arg n "$cname" "$tmp/body")" -ge 1 -a \
	"$(jq -r --arg n "$cname" '[.Contacts[] | select(.Name != $n)] | length' "$tmp/body")" = 0 ]
t where-none [ "$(q Contacts 'ContactNumber=="no-such-number"')" = 200 -a \
	"$(jq '.Contacts | length' "$tmp/body")" = 0 ]
ref=$(sed -n 5p "$tmp/invoices" | jq -r .Reference)
t where-reference [ "$(q Invoices "Reference==\"$ref\"")" = 200 -a \
	"$(jq -r '[.Invoices[].Reference] | join(",")' "$tmp/body")" = "$ref" ]
iid=$(jq -r '.Invoices[0].InvoiceID' "$tmp/body")
inum=$(jq -r '.Invoices[0].InvoiceNumber' "$tmp/body")
t where-invoice-number [ "$(q Invoices "InvoiceNumber==\"$inum\"")" = 200 -a \
	"$(jq -r '[.Invoices[].InvoiceID] | join(",")' "$tmp/body")" = "$iid" ]
t where-and-guid [ "$(q Invoices "Reference==\"$ref\" AND Contact.ContactID==guid(\"$(jq -r \
	'.Invoices[0].Contact.ContactID' "$tmp/body" | tr a-f A-F)\")")" = 200 -a \
	"$(jq -r '[.Invoices[].InvoiceID] | join(",")' "$tmp/body")" = "$iid" ]
t where-and-excludes [ "$(q Invoices "Reference==\"$ref\" && Status==\"VOIDED\"")" = 200 -a \
	"$(jq '.Invoices | length' "$tmp/body")" = 0 ]
t where-bad-syntax [ "$(q Invoices 'Reference=="unterminated')" = 400 -a \
	"$(jq -r .Type "$tmp/body")" = QueryParseException ]
t invoice-by-id [ "$(req GET "/api.xro/2.0/Invoices/$iid")" = 200 -a \
	"$(jq -r '.Invoices[0].Reference' "$tmp/body")" = "$ref" ]
t invoice-by-number [ "$(req GET "/api.xro/2.0/Invoices/$inum")" = 200 -a \
	"$(jq -r '.Invoices[0].InvoiceID' "$tmp/body")" = "$iid" ]
t contact-by-id [ "$(req GET "/api.xro/2.0/Contacts/$cid")" = 200 -a \
	"$(jq -r '.Contacts[0].ContactNumber' "$tmp/body")" = "$cn" ]
t by-id-not-found [ "$(req GET /api.xro/2.0/Invoices/00000000-0000-0000-0000-000000000000)" = 404 ]
t accounts [ "$(req GET /api.xro/2.0/Accounts)" = 200 -a \
	"$(jq -r '[.Accounts[].Code] | join(",")' "$tmp/body")" = "090,091,092,093,200,210,220,260,310,630" ]
t accounts-where-bank [ "$(q Accounts 'Type=="BANK"')" = 200 -a \
	"$(jq -r '[.Accounts[].Code] | join(",")' "$tmp/body")" = "090,091,092,093" ]
t tax-rates [ "$(req GET /api.xro/2.0/TaxRates)" = 200 -a \
	"$(jq -r '.TaxRates[] | select(.TaxType == "OUTPUT") | .EffectiveRate' "$tmp/body")" = 8 ]
t tracking-categories [ "$(req GET /api.xro/2.0/TrackingCategories)" = 200 -a \
	"$(jq -r '[.TrackingCategories[] | .Name + ":" + ([.Options[].Name] | join("|"))] | join(";")' \
	"$tmp/body")" = "Sales Channel:Online|App|Marketplace|Retail|Other;Campaign:Black Friday|Newsletter|Social|None" ]
# every item code the sample orders use is in the organisation's Items
req GET /api.xro/2.0/Items > /dev/null
jq -r '.Items[].Code' "$tmp/body" | sort > "$tmp/codes"
jq -r '.lineItems[].sku' "$tmp/orders" | sort -u > "$tmp/skus"
t items [ -s "$tmp/skus" ] && [ -z "$(comm -13 "$tmp/codes" "$tmp/skus")" ]

# 60 calls a minute: the limit headers count down, then 429 with Retry-After.
last=""
for i in $(seq 1 70); do
	last=$(curl -s -D "$tmp/h" -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $tok" \
		-H "xero-tenant-id: $tenant" "$base/api.xro/2.0/Contacts")
	[ "$last" = 429 ] && break
done
t rate-limit-429 [ "$last" = 429 ] && grep -qi '^Retry-After: [0-9]' "$tmp/h"
t rate-limit-retry-after grep -qi '^Retry-After: [0-9]' "$tmp/h"

# ---- a document's life, by Xero's rules (a second sandbox: room for calls) --
kill $pid 2>/dev/null
"$BIN/sandbox" --port-file "$tmp/port2" --limit-scale 100 > "$tmp/log2" 2>&1 &
pid=$!
for i in 1 2 3 4 5 6 7 8 9 10; do [ -s "$tmp/port2" ] && break; sleep 0.2; done
root="http://127.0.0.1:$(cat "$tmp/port2")"
base="$root/xero"
tok=$(curl -s -u "$basic" -d grant_type=client_credentials "$base/connect/token" |
	jq -r .access_token)
api=/api.xro/2.0
req PUT $api/Contacts '{"Contacts":[{"Name":"Life Cycle Ltd","ContactNumber":"L-1"}]}' >/dev/null
cid=$(jq -r '.Contacts[0].ContactID' "$tmp/body")
inv() { # status amount [currency] -> its InvoiceID (one line, no tax)
	req PUT "$api/Invoices?summarizeErrors=false" "{\"Invoices\":[{\"Type\":\"ACCREC\",
		\"Contact\":{\"ContactID\":\"$cid\"},\"Status\":\"$1\",\"CurrencyCode\":\"${3:-USD}\",
		\"LineItems\":[{\"Description\":\"x\",\"Quantity\":1,\"UnitAmount\":$2,
		\"AccountCode\":\"200\",\"TaxType\":\"NONE\"}]}]}" > /dev/null
	jq -r '.Invoices[0].InvoiceID' "$tmp/body"
}
cn() { # amount -> its CreditNoteID (ACCRECCREDIT, AUTHORISED)
	req PUT "$api/CreditNotes?summarizeErrors=false" "{\"CreditNotes\":[{\"Type\":
		\"ACCRECCREDIT\",\"Contact\":{\"ContactID\":\"$cid\"},\"Status\":\"AUTHORISED\",
		\"Reference\":\"R\",\"LineItems\":[{\"Description\":\"refund\",\"Quantity\":1,
		\"UnitAmount\":$1,\"AccountCode\":\"200\",\"TaxType\":\"NONE\"}]}]}" > /dev/null
	jq -r '.CreditNotes[0].CreditNoteID' "$tmp/body"
}
pay() { # Invoice|CreditNote id amount -> status; the answer in $tmp/body
	req PUT "$api/Payments?summarizeErrors=false" "{\"Payments\":[{\"$1\":{\"$1ID\":\"$2\"},
		\"Account\":{\"Code\":\"090\"},\"Date\":\"2026-11-20\",\"Amount\":$3}]}"
}
said() { # message: one of the first element's ValidationErrors (any answer's shape)
	jq -e --arg m "$1" '[(.Elements // .Invoices // .Payments // .CreditNotes //
		.Allocations)[0].ValidationErrors[].Message] | index($m) != null' "$tmp/body" \
		> /dev/null
}
field() { # collection id jq-path -> the document's field as Xero reads it back
	req GET "$api/$1/$2" > /dev/null
	jq -r ".$1[0]$3" "$tmp/body"
}
a=$(inv AUTHORISED 100)
d=$(inv DRAFT 25)
pay Invoice "$d" 25 > /dev/null
t payment-to-draft-refused said "Payments can only be made against Authorised documents"
pay Invoice "$a" 40 > /dev/null
p1=$(jq -r '.Payments[0].PaymentID' "$tmp/body")
t partly-paid [ "$(field Invoices "$a" '| [.Status, .AmountPaid, .AmountDue, (.Payments |
	length)] | join(",")')" = "AUTHORISED,40,60,1" ]
pay Invoice "$a" 70 > /dev/null
t payment-over-amount-due-refused said \
	"Payment amount exceeds the amount outstanding on this document"
req POST $api/Invoices "{\"Invoices\":[{\"InvoiceID\":\"$a\",\"Status\":\"VOIDED\"}]}" > /dev/null
t void-with-payment-refused said \
	"This document cannot be edited as it has a payment or credit note allocated to it."
t void-refused-keeps-it [ "$(field Invoices "$a" .Status)" = AUTHORISED ]
pay Invoice "$a" 60 > /dev/null
t paid [ "$(field Invoices "$a" '| [.Status, .AmountDue] | join(",")')" = "PAID,0" ]
req POST $api/Invoices "{\"Invoices\":[{\"InvoiceID\":\"$a\",\"Reference\":\"edited\"}]}" \
	> /dev/null
t paid-invoice-not-edited said "Invoice not of valid status for modification"
t paid-invoice-unchanged [ "$(field Invoices "$a" .Reference)" = null ]
p2=$(jq -r '.Invoices[0].Payments[1].PaymentID' "$tmp/body")
req POST $api/Payments "{\"Payments\":[{\"PaymentID\":\"$p1\",\"Amount\":1}]}" > /dev/null
t payment-not-updated said "Only Status accepted for updates."
s1=$(req POST "$api/Payments/$p1" '{"Status":"DELETED"}')
s2=$(req POST $api/Payments "{\"Payments\":[{\"PaymentID\":\"$p2\",\"Status\":\"DELETED\"}]}")
t payments-deleted [ "$s1$s2" = 200200 -a "$(field Invoices "$a" '| [.Status, .AmountPaid,
	.AmountDue, (.Payments | length)] | join(",")')" = "AUTHORISED,0,100,0" ]
req POST "$api/Payments/$p1" '{"Status":"DELETED"}' > /dev/null
t deleted-payment-final said "Payment not of valid status for modification"
s=$(req POST $api/Invoices "{\"Invoices\":[{\"InvoiceID\":\"$a\",\"Status\":\"VOIDED\"}]}")
t voided [ "$s" = 200 -a "$(field Invoices "$a" '| [.Status, .AmountDue] | join(",")')" = \
	"VOIDED,0" ]
req POST $api/Invoices "{\"Invoices\":[{\"InvoiceID\":\"$a\",\"Status\":\"AUTHORISED\"}]}" \
	> /dev/null
t voided-is-final said "Invoice not of valid status for modification"
req PUT "$api/Invoices" "{\"Invoices\":[{\"Type\":\"ACCREC\",\"Contact\":{\"ContactID\":
	\"$cid\"},\"Status\":\"VOIDED\",\"LineItems\":[{\"Description\":\"x\",\"UnitAmount\":1}]}]}" \
	> /dev/null
t not-created-voided said "Invoice not of valid status for creation"
req POST $api/Invoices "{\"Invoices\":[{\"InvoiceID\":\"$d\",\"Status\":\"VOIDED\"}]}" > /dev/null
t draft-not-voided said "Invoice not of valid status for modification"
req POST $api/Invoices "{\"Invoices\":[{\"InvoiceID\":\"$d\",\"Status\":\"DELETED\"}]}" > /dev/null
t draft-deleted [ "$(field Invoices "$d" .Status)" = DELETED ]

# A paid invoice credited and the credit refunded in cash; an open one
# credited by allocation.
b=$(inv AUTHORISED 200)
pay Invoice "$b" 200 > /dev/null
c1=$(cn 50)
t credit-note-authorised [ "$(field CreditNotes "$c1" '| [.Type, .Status, .Total,
	.RemainingCredit] | join(",")')" = "ACCRECCREDIT,AUTHORISED,50,50" ]
req PUT "$api/CreditNotes/$c1/Allocations?summarizeErrors=false" "{\"Allocations\":[{
	\"Invoice\":{\"InvoiceID\":\"$b\"},\"Amount\":50,\"Date\":\"2026-11-21\"}]}" > /dev/null
t allocation-to-paid-refused said \
	"The invoice you are trying to allocate to has already been paid off"
pay CreditNote "$c1" 60 > /dev/null
t refund-over-credit-refused said \
	"Payment amount exceeds the amount outstanding on this document"
pay CreditNote "$c1" 50 > /dev/null
t cash-refund [ "$(field CreditNotes "$c1" '| [.Status, .RemainingCredit, (.Payments |
	length)] | join(",")')" = "PAID,0,1" ]
e=$(inv AUTHORISED 100)
c2=$(cn 30)
req PUT "$api/CreditNotes/$c2/Allocations" "{\"Allocations\":[{\"Invoice\":{\"InvoiceID\":
	\"$e\"},\"Amount\":40,\"Date\":\"2026-11-21\"}]}" > /dev/null
t allocation-over-credit-refused said \
	"Credit Note cannot be allocated as amount is greater than amount outstanding"
s=$(req PUT "$api/CreditNotes/$c2/Allocations" "{\"Allocations\":[{\"Invoice\":{\"InvoiceID\":
	\"$e\"},\"Amount\":30,\"Date\":\"2026-11-21\"}]}")
t allocated [ "$s" = 200 -a "$(field Invoices "$e" '| [.Status, .AmountCredited, .AmountDue,
	(.CreditNotes | length), .CreditNotes[0].AppliedAmount] | join(",")')" = \
	"AUTHORISED,30,70,1,30" ]
t credit-used [ "$(field CreditNotes "$c2" '| [.Status, .RemainingCredit,
	(.Allocations | length)] | join(",")')" = "PAID,0,1" ]
req POST $api/Invoices "{\"Invoices\":[{\"InvoiceID\":\"$e\",\"Status\":\"VOIDED\"}]}" > /dev/null
t void-with-credit-refused said \
	"This document cannot be edited as it has a payment or credit note allocated to it."
f=$(inv AUTHORISED 10.5 EUR)
# The books, from what was done above: live invoices b 200 (paid) and e 100
# (30 credited); credit notes 50 (refunded in cash) and 30 (allocated to e);
# a voided and a draft invoice count for nothing.
curl -s "$root/_sandbox/books?service=xero" > "$tmp/books"
t books-usd [ "$(jq -c .USD "$tmp/books")" = \
	'{"sales":"220.00","cash":"150.00","receivable":"70.00"}' ]
t books-eur [ "$(jq -c .EUR "$tmp/books")" = \
	'{"sales":"10.50","cash":"0.00","receivable":"10.50"}' ]
t books-unknown-service [ "$(curl -s -o /dev/null -w '%{http_code}' \
	"$root/_sandbox/books?service=nope")" = 404 ]

# ---- items and their stock (after the books: the sales below change them) --
# A Code is one item's; tracked once both inventory accounts are named (one
# alone refused); what is sent as QuantityOnHand is Xero's own (ignored).
tracked='"InventoryAssetAccountCode":"630","PurchaseDetails":{"COGSAccountCode":"310"}'
req PUT "$api/Items?summarizeErrors=false" "{\"Items\":[{\"Code\":\"MUG-01\"},
	{\"Code\":\"STK-1\",\"Name\":\"Stocked\",$tracked,\"QuantityOnHand\":99},
	{\"Code\":\"STK-2\",\"PurchaseDetails\":{\"COGSAccountCode\":\"310\"}}]}" > /dev/null
t item-code-unique [ "$(jq -r '.Items[0].ValidationErrors[0].Message' "$tmp/body")" = \
	"Price List Item with Code 'MUG-01' already exists" ]
t item-tracked [ "$(jq -c '.Items[1] | [.IsTrackedAsInventory, .QuantityOnHand]' \
	"$tmp/body")" = '[true,0]' ]
t item-cogs-needs-asset-account [ "$(jq -r '.Items[2].ValidationErrors[0].Message' \
	"$tmp/body")" = "Cost Of Goods Sold Account must be used with an Inventory Asset Account" ]
req PUT $api/Contacts '{"Contacts":[{"Name":"Supplier Ltd"}]}' >/dev/null
bill() { # quantity -> a bill of STK-1, AUTHORISED; its id
	req PUT $api/Invoices "{\"Invoices\":[{\"Type\":\"ACCPAY\",\"Status\":\"AUTHORISED\",
		\"Contact\":{\"Name\":\"Supplier Ltd\"},\"LineItems\":[{\"ItemCode\":\"STK-1\",
		\"Description\":\"in\",\"Quantity\":$1,\"UnitAmount\":2,\"AccountCode\":\"630\"}]}]}" \
		>/dev/null
	jq -r '.Invoices[0].InvoiceID' "$tmp/body"
}
onhand() { curl -s "$root/_sandbox/books?service=xero" | jq -r '.onhand["STK-1"]'; }
t item-before [ "$(onhand)" = 0 ]
since=$(date -u +%Y-%m-%dT%H:%M:%S)
bill 12 > /dev/null
t bill-raises-onhand [ "$(onhand)" = 12 ]
req PUT $api/Invoices "{\"Invoices\":[{\"Type\":\"ACCREC\",\"Status\":\"AUTHORISED\",
	\"Contact\":{\"ContactID\":\"$cid\"},\"LineItems\":[{\"ItemCode\":\"STK-1\",
	\"Description\":\"out\",\"Quantity\":5,\"UnitAmount\":4,\"AccountCode\":\"200\"}]}]}" \
	>/dev/null
sale=$(jq -r '.Invoices[0].InvoiceID' "$tmp/body")
t sale-lowers-onhand [ "$(onhand)" = 7 ]
req POST $api/Invoices "{\"Invoices\":[{\"InvoiceID\":\"$sale\",\"Status\":\"VOIDED\"}]}" \
	>/dev/null
t void-restores-onhand [ "$(onhand)" = 12 ]
t items-modified-since [ "$(curl -s -H "Authorization: Bearer $tok" -H "xero-tenant-id: $tenant" \
	-H "If-Modified-Since: $since" "$base$api/Items" | jq -c '[.Items[].Code]')" = '["STK-1"]' ]
t item-stays-tracked-with-stock [ "$(req POST $api/Items \
	'{"Items":[{"Code":"STK-1","InventoryAssetAccountCode":null,"PurchaseDetails":{}}]}')" = 400 ]
# sold below zero: QuantityOnHand stays 0, the rest is on back order
req PUT $api/Invoices "{\"Invoices\":[{\"Type\":\"ACCREC\",\"Status\":\"AUTHORISED\",
	\"Contact\":{\"ContactID\":\"$cid\"},\"LineItems\":[{\"ItemCode\":\"STK-1\",
	\"Description\":\"out\",\"Quantity\":15,\"UnitAmount\":4,\"AccountCode\":\"200\"}]}]}" \
	>/dev/null
t sold-below-zero-back-order [ "$(onhand)" = 0 ] && [ "$(req GET $api/Items/STK-1)" = 200 ] &&
	[ "$(jq -c '.Items[0] | [.QuantityOnHand, .QuantityOnBackOrder, .QuantityAvailable]' \
	"$tmp/body")" = '[0,3,-3]' ]
t item-updated-by-code [ "$(req POST $api/Items '{"Items":[{"Code":"STK-1","Name":"Renamed"}]}')" \
	= 200 ] && [ "$(jq -c '.Items[0] | [.Name, .QuantityOnHand]' "$tmp/body")" = '["Renamed",0]' ]

# ---- currencies: the organisation's base, the currencies added, the rates --
# (xero-node's Organisation.BaseCurrency, Currency, Invoice/Payment.CurrencyRate:
# units of the document's currency one unit of the base buys)
req GET $api/Organisation > /dev/null
t organisation-base-currency [ "$(jq -r '.Organisations[0].BaseCurrency' "$tmp/body")" = USD ]
req GET $api/Currencies > /dev/null
t currencies-added [ "$(jq -r '[.Currencies[].Code] | join(",")' "$tmp/body")" = USD,EUR,GBP,JPY ]
chf=$(inv AUTHORISED 10 CHF)
t currency-not-added-refused said "Organisation is not subscribed to currency CHF"
t currency-not-added-nothing-kept [ "$chf" = null ]
t currency-add [ "$(req PUT $api/Currencies '{"Code":"CHF","Description":"Swiss Franc"}')" = 200 ]
chf=$(inv AUTHORISED 10 CHF)
t currency-added-takes-documents [ "$chf" != null -a "$(field Invoices "$chf" .CurrencyRate)" != 1 ]
t currency-unknown-refused [ "$(req PUT $api/Currencies '{"Code":"XYZ"}')" = 400 ] &&
	said "'XYZ' is not a valid currency code"
# a foreign document without CurrencyRate takes Xero's rate of its Date (the
# same for each document of that day); with one keeps it; the base's is 1
doc() { # currency date [rate] -> its InvoiceID
	req PUT "$api/Invoices?summarizeErrors=false" "{\"Invoices\":[{\"Type\":\"ACCREC\",
		\"Contact\":{\"ContactID\":\"$cid\"},\"Status\":\"AUTHORISED\",\"Date\":\"$2\",
		\"CurrencyCode\":\"$1\"${3:+,\"CurrencyRate\":$3},\"LineItems\":[{\"Description\":\"x\",
		\"Quantity\":1,\"UnitAmount\":100,\"AccountCode\":\"200\",\"TaxType\":\"NONE\"}]}]}" \
		> /dev/null
	jq -r '.Invoices[0].InvoiceID' "$tmp/body"
}
i1=$(doc EUR 2026-11-05)
r1=$(field Invoices "$i1" .CurrencyRate)
r2=$(field Invoices "$(doc EUR 2026-11-05)" .CurrencyRate)
r3=$(field Invoices "$(doc EUR 2026-11-06)" .CurrencyRate)
t rate-of-the-day [ "$r1" = "$r2" -a "$r1" != "$r3" -a "$r1" != 1 ] || echo "$r1 $r2 $r3"
# an update keeps the rate, unless it moves the Date (the new day's) or sends one
req POST $api/Invoices "{\"Invoices\":[{\"InvoiceID\":\"$i1\",\"Reference\":\"kept\"}]}" > /dev/null
t update-keeps-rate [ "$(field Invoices "$i1" .CurrencyRate)" = "$r1" ]
req POST $api/Invoices "{\"Invoices\":[{\"InvoiceID\":\"$i1\",\"Date\":\"2026-11-06\"}]}" > /dev/null
t update-of-date-new-rate [ "$(field Invoices "$i1" .CurrencyRate)" = "$r3" ]
given=$(doc EUR 2026-11-05 0.8)
t rate-given-kept [ "$(field Invoices "$given" .CurrencyRate)" = 0.8 ]
t base-rate-one [ "$(field Invoices "$(doc USD 2026-11-05 2)" .CurrencyRate)" = 1 ]
t rate-not-positive-refused [ "$(doc EUR 2026-11-05 0)" = null ] &&
	said "The currency rate must be a number greater than zero"
# a payment is at a rate of its own: given, or Xero's of its Date
req PUT "$api/Payments?summarizeErrors=false" "{\"Payments\":[{\"Invoice\":{\"InvoiceID\":
	\"$given\"},\"Account\":{\"Code\":\"090\"},\"Date\":\"2026-11-06\",\"Amount\":40}]}" > /dev/null
t payment-rate-of-its-day [ "$(jq -r '.Payments[0].CurrencyRate' "$tmp/body")" = "$r3" ]
# the books in the base: each document and payment at its own rate, half to
# even to the cent (the paid part owes nothing in USD either)
curl -s "$root/_sandbox/books?service=xero" > "$tmp/books"
curl -s "$root/_sandbox/dump?service=xero" > "$tmp/dump"
t books-home [ "$(jq -c .home "$tmp/books")" = "$(python3 -c '
import json, sys
from decimal import Decimal as D, ROUND_HALF_EVEN
d = json.load(open(sys.argv[1]), parse_float=D)
def usd(x, r): return (D(x) / D(r)).quantize(D("0.01"), ROUND_HALF_EVEN)
live = ("AUTHORISED", "SUBMITTED", "PAID")
inv = [i for i in d["Invoices"] if i["Type"] == "ACCREC" and i["Status"] in live]
cns = [c for c in d["CreditNotes"] if c["Status"] in live]
docs = {i["InvoiceID"]: i for i in d["Invoices"] if i["Type"] == "ACCREC"}
docs.update({c["CreditNoteID"]: c for c in d["CreditNotes"] if c["Type"] == "ACCRECCREDIT"})
sales = sum(usd(i["Total"], i["CurrencyRate"]) for i in inv) - \
    sum(usd(c["Total"], c["CurrencyRate"]) for c in cns)
recv = sum(usd(i["AmountDue"], i["CurrencyRate"]) for i in inv) - \
    sum(usd(c["RemainingCredit"], c["CurrencyRate"]) for c in cns)
cash = D(0)
for p in d["Payments"]:
    cn = "CreditNote" in p
    ref = (p.get("CreditNote") or p.get("Invoice") or {})
    if p["Status"] == "DELETED" or (ref.get("CreditNoteID") or ref.get("InvoiceID")) not in docs:
        continue
    cash += (-1 if cn else 1) * usd(p["Amount"], p["CurrencyRate"])
print(json.dumps({"currency": "USD", "sales": str(sales), "cash": str(cash),
    "receivable": str(recv)}, separators=(",", ":")))' "$tmp/dump")" ] ||
	jq -c .home "$tmp/books"

echo "sandbox: $pass passed, $fail failed"
[ $fail -eq 0 ]
