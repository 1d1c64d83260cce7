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
