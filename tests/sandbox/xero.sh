#!/bin/sh
# The sandbox's Xero, over real HTTP with curl: token endpoint (client
# credentials, refresh rotation), Bearer and xero-tenant-id checks, Contacts
# and Invoices created from what bin/clarity_xero produces, validation
# errors as Xero words them, per-item results with summarizeErrors=false,
# Idempotency-Key replay, paging, and the 60-a-minute limit with 429.
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
"$BIN/clarity_xero" transform Order --dead-letter /dev/null < "$tmp/orders" > "$tmp/invoices"
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
	"$(jq -r '[.Accounts[].Code] | join(",")' "$tmp/body")" = "090,091,092,093,200,210,220,260" ]
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
t items-read-only [ "$(req PUT /api.xro/2.0/Items '{"Items":[]}')" = 405 ]

# 60 calls a minute: the limit headers count down, then 429 with Retry-After.
last=""
for i in $(seq 1 70); do
	last=$(curl -s -D "$tmp/h" -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $tok" \
		-H "xero-tenant-id: $tenant" "$base/api.xro/2.0/Contacts")
	[ "$last" = 429 ] && break
done
t rate-limit-429 [ "$last" = 429 ] && grep -qi '^Retry-After: [0-9]' "$tmp/h"
t rate-limit-retry-after grep -qi '^Retry-After: [0-9]' "$tmp/h"

echo "sandbox: $pass passed, $fail failed"
[ $fail -eq 0 ]
