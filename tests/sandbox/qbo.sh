#!/bin/sh
# The sandbox's QuickBooks Online over HTTP: rotating refresh tokens, items,
# customers and sales receipts as bin/nopcommerce_qbo writes them (refs
# resolved to QuickBooks ids as the sync engine will), TotalAmt equal to the
# store's OrderTotal, Intuit's faults (6240 duplicate name, 6070 amount,
# 5010 stale SyncToken), requestid replay and the query endpoint; the batch
# endpoint (per-item results and faults, at most 30 items, requestid replay,
# each item metered), payments against invoices, voids (invoice, payment,
# sales receipt; in a batch), credit memos applied by a payment, refund
# receipts, and the books they make; a customer's currency (the home one by
# default, never changed, its documents in it); multicurrency (exchangerate, a foreign
# document's stored or given rate, HomeTotalAmt half to even, the home
# currency's rate 1, a payment in its documents' currency); --limit-scale,
# --token-ttl and the expire_tokens fault.
GROUP=qbo
. "$(dirname "$0")/lib.sh"
api="$root/qbo/v3/company/9130350000000001"
rt=$(curl -s "$root/_sandbox/dump?service=qbo" | jq -r .refresh_token)
tok() { curl -s -o "$tmp/tok" -w '%{http_code}' -u sandbox-client:sandbox-secret \
	-d "grant_type=refresh_token&refresh_token=$1" "$root/qbo/oauth2/v1/tokens/bearer"; }
t refresh-grant [ "$(tok "$rt")" = 200 ]
at=$(jq -r .access_token "$tmp/tok")
t refresh-rotated [ "$(jq -r .refresh_token "$tmp/tok")" != "$rt" ]
t old-refresh-refused [ "$(tok "$rt")" = 400 ]
post() { # entity body [requestid]
	curl -s -o "$tmp/body" -w '%{http_code}' -H "Authorization: Bearer $at" \
		-H 'Content-Type: application/json' --data-binary "$2" "$api/$1${3:+?requestid=$3}"
}

python3 tests/bench/gen_nop.py --seed 4 --orders 200 --products > "$tmp/products"
python3 tests/bench/gen_nop.py --seed 4 --orders 200 --customers > "$tmp/customers"
python3 tests/bench/gen_nop.py --seed 4 --orders 200 > "$tmp/orders"
"$BIN/nopcommerce_qbo" transform Product --dead-letter /dev/null < "$tmp/products" > "$tmp/items"
"$BIN/nopcommerce_qbo" transform Customer --dead-letter /dev/null < "$tmp/customers" > "$tmp/custs"
"$BIN/nopcommerce_qbo" transform Order --dead-letter /dev/null < "$tmp/orders" > "$tmp/receipts"

# items and customers, remembering SKU (the key Order's lines ref) and
# NopCommerce customer id -> QuickBooks id
ok=1; : > "$tmp/itemids"; : > "$tmp/custids"
while read -r doc; do
	[ "$(post item "$doc")" = 200 ] || ok=0
	printf '%s %s\n' "$(echo "$doc" | jq -r .Sku)" \
		"$(jq -r .Item.Id "$tmp/body")" >> "$tmp/itemids"
done < "$tmp/items"
t items-created [ $ok = 1 -a "$(wc -l < "$tmp/itemids")" = "$(wc -l < "$tmp/items")" ]
ok=1
while read -r doc; do
	[ "$(post customer "$doc")" = 200 ] || { ok=0; head -c 300 "$tmp/body"; }
	printf '%s %s\n' "$(echo "$doc" | jq -r '.Notes | ltrimstr("NopCommerce customer ")')" \
		"$(jq -r .Customer.Id "$tmp/body")" >> "$tmp/custids"
done < "$tmp/custs"
t customers-created [ $ok = 1 ]
first=$(head -n 1 "$tmp/custs")
t duplicate-display-name [ "$(post customer "$first")" = 400 -a \
	"$(jq -r '.Fault.Error[0].code' "$tmp/body")" = 6240 ]

jq -Rn '[inputs | split(" ") | {key: .[0], value: .[1]}] | from_entries' < "$tmp/itemids" > "$tmp/im"
jq -Rn '[inputs | split(" ") | {key: .[0], value: .[1]}] | from_entries' < "$tmp/custids" > "$tmp/cm"
jq -c --slurpfile im "$tmp/im" --slurpfile cm "$tmp/cm" '
	.CustomerRef.value = $cm[0][.CustomerRef.value]
	| .Line |= map(if .SalesItemLineDetail.ItemRef.value != "SHIPPING_ITEM_ID"
		and .SalesItemLineDetail != null
		then .SalesItemLineDetail.ItemRef.value = $im[0][.SalesItemLineDetail.ItemRef.value]
		else . end)' "$tmp/receipts" > "$tmp/resolved"
ok=1; n=0
while read -r doc; do
	[ "$(post salesreceipt "$doc")" = 200 ] || { ok=0; head -c 300 "$tmp/body"; echo; }
	n=$((n + 1))
done < "$tmp/resolved"
t receipts-created [ $ok = 1 -a $n -gt 50 ]
# every receipt's TotalAmt is the store's OrderTotal, to the cent
jq -c '{k: .CustomOrderNumber, v: .OrderTotal}' "$tmp/orders" | jq -s 'map({(.k): .v}) | add' \
	> "$tmp/totals"
bad=$(curl -s "$root/_sandbox/dump?service=qbo" | jq --slurpfile tot "$tmp/totals" \
	'[.SalesReceipt[] | select(((.TotalAmt - $tot[0][.DocNumber]) | fabs) > 0.005)] | length')
t totals-match-store [ "$bad" = 0 ]

wrong=$(head -n 1 "$tmp/resolved" | jq -c '.Line[0].Amount += 1')
t amount-rule-6070 [ "$(post salesreceipt "$wrong")" = 400 -a \
	"$(jq -r '.Fault.Error[0].code' "$tmp/body")" = 6070 ]
id=$(curl -s "$root/_sandbox/dump?service=qbo" | jq -r '.Customer[0].Id')
t update-with-synctoken [ "$(post customer "{\"Id\":\"$id\",\"SyncToken\":\"0\",\"Notes\":\"x\"}")" \
	= 200 -a "$(jq -r .Customer.SyncToken "$tmp/body")" = 1 ]
t stale-synctoken-5010 [ "$(post customer "{\"Id\":\"$id\",\"SyncToken\":\"0\",\"Notes\":\"y\"}")" \
	= 400 -a "$(jq -r '.Fault.Error[0].code' "$tmp/body")" = 5010 ]

doc='{"DisplayName":"Request Id Test"}'
post customer "$doc" rq-1 > /dev/null; cp "$tmp/body" "$tmp/first"
post customer "$doc" rq-1 > /dev/null
t requestid-replays [ "$(cmp -s "$tmp/first" "$tmp/body" && echo same)" = same ]
q=$(curl -s -G -H "Authorization: Bearer $at" --data-urlencode \
	"query=select * from Customer where DisplayName = 'Request Id Test'" "$api/query")
t query-where [ "$(echo "$q" | jq '.QueryResponse.Customer | length')" = 1 ]
q=$(curl -s -G -H "Authorization: Bearer $at" --data-urlencode \
	"query=select * from Item startposition 3 maxresults 5" "$api/query")
t query-paging [ "$(echo "$q" | jq '.QueryResponse.Item | length')" = 5 -a \
	"$(echo "$q" | jq -r '.QueryResponse.Item[0].Id')" = 3 ]
t bearer-required [ "$(curl -s -o /dev/null -w '%{http_code}' "$api/customer/1")" = 401 ]

# ---- query: the select list and backslash escapes --------------------------
post customer "{\"DisplayName\":\"O'Brien \\\\ Sons\"}" > /dev/null
q=$(curl -s -G -H "Authorization: Bearer $at" --data-urlencode \
	"query=select Id from Customer where DisplayName = 'O\\'Brien \\\\ Sons'" "$api/query")
t query-escaped-quote [ "$(printf '%s' "$q" | jq '.QueryResponse.Customer | length')" = 1 -a \
	"$(printf '%s' "$q" | jq -r '.QueryResponse.Customer[0].Id')" = \
	"$(jq -r .Customer.Id "$tmp/body")" ]

# ---- batch ---------------------------------------------------------------
batch() { # body [requestid]
	curl -s -o "$tmp/body" -w '%{http_code}' -H "Authorization: Bearer $at" \
		-H 'Content-Type: application/json' --data-binary "$1" "$api/batch${2:+?requestid=$2}"
}
ncust() { curl -s "$root/_sandbox/dump?service=qbo" | jq '.Customer | length'; }
before=$(ncust)
dup=$(head -n 1 "$tmp/custs")
b=$(jq -cn --argjson dup "$dup" '{BatchItemRequest: [
	{bId: "b1", operation: "create", Customer: {DisplayName: "Batch One"}},
	{bId: "b2", operation: "create", Customer: $dup},
	{bId: "b3", operation: "create", Customer: {DisplayName: "Batch Three"}},
	{bId: "b4", Query: "select * from Customer where DisplayName = '"'"'Batch One'"'"'"}]}')
t batch-answers [ "$(batch "$b" bq-1)" = 200 -a \
	"$(jq -c '[.BatchItemResponse[].bId]' "$tmp/body")" = '["b1","b2","b3","b4"]' ]
cp "$tmp/body" "$tmp/batch1"
t batch-item-created [ "$(jq -r '.BatchItemResponse[0].Customer.DisplayName' "$tmp/body")" = \
	"Batch One" -a "$(jq -r '.BatchItemResponse[2].Customer.Id' "$tmp/body")" != null ]
t batch-item-fault-6240 [ "$(jq -r '.BatchItemResponse[1].Fault.Error[0].code' "$tmp/body")" = 6240 \
	-a "$(jq -r '.BatchItemResponse[1].Customer' "$tmp/body")" = null ]
t batch-query [ "$(jq '.BatchItemResponse[3].QueryResponse | has("startPosition")' "$tmp/body")" \
	= true ]
t batch-stored-once [ "$(ncust)" = $((before + 2)) ]
batch "$b" bq-1 > /dev/null
t batch-requestid-replays [ "$(cmp -s "$tmp/batch1" "$tmp/body" && echo same)" = same -a \
	"$(ncust)" = $((before + 2)) ]
bid=$(jq -r '.BatchItemResponse[0].Customer.Id' "$tmp/batch1")
u=$(jq -cn --arg id "$bid" '{BatchItemRequest: [
	{bId: "u1", operation: "update", Customer: {Id: $id, SyncToken: "0", sparse: true,
		Notes: "batch update"}},
	{bId: "u2", operation: "update", Customer: {Id: $id, SyncToken: "0", sparse: true,
		Notes: "stale"}}]}')
batch "$u" > /dev/null
t batch-update-and-stale [ "$(jq -r '.BatchItemResponse[0].Customer.SyncToken' "$tmp/body")" = 1 \
	-a "$(jq -r '.BatchItemResponse[1].Fault.Error[0].code' "$tmp/body")" = 5010 ]
big=$(jq -cn '{BatchItemRequest: [range(31) | {bId: "x\(.)", operation: "create",
	Customer: {DisplayName: "Too Many \(.)"}}]}')
t batch-over-30-refused [ "$(batch "$big")" = 400 -a "$(ncust)" = $((before + 2)) ]
ok30=$(jq -cn '{BatchItemRequest: [range(30) | {bId: "y\(.)", operation: "create",
	Customer: {DisplayName: "Thirty \(.)"}}]}')
t batch-of-30 [ "$(batch "$ok30")" = 200 -a "$(ncust)" = $((before + 32)) ]

# ---- payment against an invoice ---------------------------------------------
cid=$(curl -s "$root/_sandbox/dump?service=qbo" | jq -r '.Customer[1].Id')
iid=$(curl -s "$root/_sandbox/dump?service=qbo" | jq -r '.Item[0].Id')
inv="{\"CustomerRef\":{\"value\":\"$cid\"},\"Line\":[{\"DetailType\":\"SalesItemLineDetail\",
	\"Amount\":30.00,\"SalesItemLineDetail\":{\"ItemRef\":{\"value\":\"$iid\"},\"Qty\":3,
	\"UnitPrice\":10.00}}]}"
post invoice "$inv" > /dev/null
inv_id=$(jq -r .Invoice.Id "$tmp/body")
# addresses: kept as sent; a postal code over 30 characters refused (2050)
addr_inv() { # ShipAddr JSON
	printf '%s' "$inv" | jq -c --argjson a "$1" '. + {ShipAddr: $a}'
}
t invoice-address-kept [ "$(post invoice "$(addr_inv '{"Line1":"5 Elm St.","City":"Springfield",
	"CountrySubDivisionCode":"IL","PostalCode":"62701","Country":"US"}')")" = 200 -a \
	"$(jq -r '.Invoice.ShipAddr | .Line1 + "|" + .CountrySubDivisionCode' "$tmp/body")" = \
	"5 Elm St.|IL" ]
t invoice-postal-code-too-long-2050 [ "$(post invoice "$(addr_inv \
	'{"Line1":"1 Main St","PostalCode":"1234567890123456789012345678901"}')")" = 400 -a \
	"$(jq -r '.Fault.Error[0].code + " " + .Fault.Error[0].element' "$tmp/body")" = \
	"2050 ShipAddr.PostalCode" ]
pay() { # invoice-id amount total [customer]
	post payment "{\"CustomerRef\":{\"value\":\"${4:-$cid}\"},\"TotalAmt\":$3,
		\"Line\":[{\"Amount\":$2,\"LinkedTxn\":[{\"TxnId\":\"$1\",\"TxnType\":\"Invoice\"}]}]}"
}
t payment-created [ "$(pay "$inv_id" 12.50 15.00)" = 200 -a \
	"$(jq -r .Payment.UnappliedAmt "$tmp/body")" = 2.5 ]
t payment-lowers-balance [ "$(curl -s -H "Authorization: Bearer $at" "$api/invoice/$inv_id" |
	jq -r .Invoice.Balance)" = 17.5 ]
t payment-over-balance-6000 [ "$(pay "$inv_id" 20.00 20.00)" = 400 -a \
	"$(jq -r '.Fault.Error[0].code' "$tmp/body")" = 6000 ]
t payment-lines-over-total-6000 [ "$(pay "$inv_id" 5.00 4.00)" = 400 -a \
	"$(jq -r '.Fault.Error[0].code' "$tmp/body")" = 6000 ]
t payment-unknown-invoice-2500 [ "$(pay 99999 1.00 1.00)" = 400 -a \
	"$(jq -r '.Fault.Error[0].code' "$tmp/body")" = 2500 ]
other=$(curl -s "$root/_sandbox/dump?service=qbo" | jq -r '.Customer[2].Id')
t payment-other-customer-2500 [ "$(pay "$inv_id" 1.00 1.00 "$other")" = 400 ]
t payment-needs-customer-2020 [ "$(post payment '{"TotalAmt":1.00}')" = 400 -a \
	"$(jq -r '.Fault.Error[0].code' "$tmp/body")" = 2020 ]

# ---- void, credit memo, refund receipt, and the books (in AUD, apart) -------
books() { curl -s "$root/_sandbox/books?service=qbo" | jq -c ".AUD // {}"; }
code() { jq -r '.Fault.Error[0].code' "$tmp/body"; }
get() { curl -s -H "Authorization: Bearer $at" "$api/$1/$2" | jq -r ".$3"; }
sync() { curl -s -H "Authorization: Bearer $at" "$api/$1/$2" | jq -r '.[].SyncToken'; }
t books-no-aud-yet [ "$(books)" = '{}' ]

# ---- a customer's currency: the home one when none is given, never changed,
# and its documents in it (Intuit's Customer.CurrencyRef) -------------------
t customer-home-currency [ "$(get customer "$cid" Customer.CurrencyRef.value)" = USD ]
t customer-currency-given [ "$(post customer '{"DisplayName":"Kim Aud (AUD)",
	"CurrencyRef":{"value":"AUD"}}')" = 200 -a \
	"$(jq -r .Customer.CurrencyRef.value "$tmp/body")" = AUD ]
acid=$(jq -r .Customer.Id "$tmp/body")
t customer-currency-unknown-2500 [ "$(post customer '{"DisplayName":"Kim Euro",
	"CurrencyRef":{"value":"euro"}}')" = 400 -a "$(code)" = 2500 ]
t customer-currency-not-changed-6000 [ "$(post customer "{\"Id\":\"$acid\",\"SyncToken\":\"0\",
	\"sparse\":true,\"CurrencyRef\":{\"value\":\"USD\"}}")" = 400 -a "$(code)" = 6000 -a \
	"$(jq -r '.Fault.Error[0].element' "$tmp/body")" = CurrencyRef ]
t customer-edit-keeps-currency [ "$(post customer "{\"Id\":\"$acid\",\"SyncToken\":\"0\",
	\"sparse\":true,\"Notes\":\"x\"}")" = 200 -a \
	"$(jq -r .Customer.CurrencyRef.value "$tmp/body")" = AUD ]

cad() { # [extra-json]: an AUD document of 3 x 10.00 for the AUD customer
	jq -cn --arg c "$acid" --arg i "$iid" --argjson x "${1:-{\}}" '{CustomerRef: {value: $c},
		CurrencyRef: {value: "AUD"}, PrivateNote: "order A", Line: [{DetailType:
		"SalesItemLineDetail", Amount: 30.00, SalesItemLineDetail: {ItemRef: {value: $i},
		Qty: 3, UnitPrice: 10.00}}]} + $x'
}
# a line naming an item the company has not (SKU matching's miss, had it
# been sent) is refused, in QuickBooks' words, and books nothing
t invoice-not-customer-currency-6000 [ "$(post invoice "$(cad | jq -c --arg c "$cid" \
	'.CustomerRef.value = $c')")" = 400 -a "$(code)" = 6000 -a \
	"$(jq -r '.Fault.Error[0].element' "$tmp/body")" = CurrencyRef -a "$(books)" = '{}' ]
t home-invoice-foreign-customer-6000 [ "$(post invoice "$(cad '{"CurrencyRef": {"value":
	"USD"}}')")" = 400 -a "$(code)" = 6000 ]
t invoice-unknown-item-2500 [ "$(post invoice "$(cad | jq -c \
	'.Line[0].SalesItemLineDetail.ItemRef.value = "99999"')")" = 400 -a "$(code)" = 2500 -a \
	"$(jq -r '.Fault.Error[0].element' "$tmp/body")" = Line.SalesItemLineDetail.ItemRef -a \
	"$(books)" = '{}' ]
post invoice "$(cad)" > /dev/null
a=$(jq -r .Invoice.Id "$tmp/body")
t books-invoice [ "$(books)" = '{"sales":"30.00","cash":"0.00","receivable":"30.00"}' ]
cpay() { # invoice amount total
	post payment "$(jq -cn --arg c "$acid" --arg i "$1" --argjson a "$2" --argjson t "$3" \
		'{CustomerRef: {value: $c}, CurrencyRef: {value: "AUD"}, TotalAmt: $t,
		Line: [{Amount: $a, LinkedTxn: [{TxnId: $i, TxnType: "Invoice"}]}]}')"
}
cpay "$a" 30.00 30.00 > /dev/null
p=$(jq -r .Payment.Id "$tmp/body")
t books-paid [ "$(books)" = '{"sales":"30.00","cash":"30.00","receivable":"0.00"}' ]
t void-paid-invoice-6000 [ "$(post "invoice?operation=void" \
	"{\"Id\":\"$a\",\"SyncToken\":\"$(sync invoice "$a")\"}")" = 400 -a "$(code)" = 6000 ]
t void-payment-wrong-form-500 [ "$(post "payment?operation=void" \
	"{\"Id\":\"$p\",\"SyncToken\":\"0\"}")" = 400 -a "$(code)" = 500 ]
t void-payment-stale-5010 [ "$(post "payment?operation=update&include=void" \
	"{\"Id\":\"$p\",\"SyncToken\":\"7\",\"sparse\":true}")" = 400 -a "$(code)" = 5010 ]
t void-payment [ "$(post "payment?operation=update&include=void" \
	"{\"Id\":\"$p\",\"SyncToken\":\"0\",\"sparse\":true}")" = 200 -a \
	"$(jq -r .Payment.TotalAmt "$tmp/body")" = 0 -a \
	"$(jq -r .Payment.PrivateNote "$tmp/body")" = Voided ]
t void-payment-reopens-invoice [ "$(get invoice "$a" Invoice.Balance)" = 30 -a \
	"$(books)" = '{"sales":"30.00","cash":"0.00","receivable":"30.00"}' ]
t void-invoice [ "$(post "invoice?operation=void" \
	"{\"Id\":\"$a\",\"SyncToken\":\"$(sync invoice "$a")\"}")" = 200 -a \
	"$(jq -c '.Invoice | [.TotalAmt, .Balance, .Line[0].Amount, .PrivateNote]' "$tmp/body")" \
	= '[0,0,0,"Voided - order A"]' ]
t books-voided [ "$(books)" = '{"sales":"0.00","cash":"0.00","receivable":"0.00"}' ]
t voided-not-changed-6000 [ "$(post invoice "{\"Id\":\"$a\",\"SyncToken\":\"$(sync invoice "$a")\",
	\"sparse\":true,\"PrivateNote\":\"x\"}")" = 400 -a "$(code)" = 6000 ]
t pay-voided-invoice-6000 [ "$(cpay "$a" 1.00 1.00)" = 400 -a "$(code)" = 6000 ]

# an invoice keeps what was applied: its total may not fall below it
post invoice "$(cad)" > /dev/null
b=$(jq -r .Invoice.Id "$tmp/body")
cpay "$b" 20.00 20.00 > /dev/null
p=$(jq -r .Payment.Id "$tmp/body")
lines() { jq -cn --arg i "$iid" --argjson q "$1" '[{DetailType: "SalesItemLineDetail",
	Amount: ($q * 10), SalesItemLineDetail: {ItemRef: {value: $i}, Qty: $q, UnitPrice: 10}}]'; }
t invoice-below-paid-6000 [ "$(post invoice "{\"Id\":\"$b\",\"SyncToken\":\"0\",\"sparse\":true,
	\"Line\":$(lines 1)}")" = 400 -a "$(code)" = 6000 ]
t invoice-edit-keeps-payment [ "$(post invoice "{\"Id\":\"$b\",\"SyncToken\":\"0\",\"sparse\":true,
	\"Line\":$(lines 5)}")" = 200 -a "$(jq -c '.Invoice | [.TotalAmt, .Balance]' "$tmp/body")" \
	= '[50,30]' ]
t payment-update-reapplies [ "$(post payment "{\"Id\":\"$p\",\"SyncToken\":\"0\",\"sparse\":true,
	\"TotalAmt\":45.00,\"Line\":[{\"Amount\":45.00,\"LinkedTxn\":[{\"TxnId\":\"$b\",
	\"TxnType\":\"Invoice\"}]}]}")" = 200 -a "$(get invoice "$b" Invoice.Balance)" = 5 ]
t books-edit-and-reapply [ "$(books)" = '{"sales":"50.00","cash":"45.00","receivable":"5.00"}' ]

# a refund receipt: money back out, a sale less
t refund-needs-deposit-2020 [ "$(post refundreceipt "$(cad)")" = 400 -a "$(code)" = 2020 -a \
	"$(jq -r '.Fault.Error[0].element' "$tmp/body")" = DepositToAccountRef ]
t refund-receipt [ "$(post refundreceipt "$(cad '{"DepositToAccountRef": {"value": "35"},
	"Line": [{"DetailType": "SalesItemLineDetail", "Amount": 12.50, "SalesItemLineDetail":
	{"ItemRef": {"value": "SHIPPING_ITEM_ID"}}}]}')")" = 200 -a \
	"$(jq -r .RefundReceipt.TotalAmt "$tmp/body")" = 12.5 ]
t books-refunded [ "$(books)" = '{"sales":"37.50","cash":"32.50","receivable":"5.00"}' ]
t refund-receipt-no-void-500 [ "$(post "refundreceipt?operation=void" \
	"{\"Id\":\"$(jq -r .RefundReceipt.Id "$tmp/body")\",\"SyncToken\":\"0\"}")" = 400 -a \
	"$(code)" = 500 ]

# a credit memo: a sale less and credit left, applied to the invoice by a
# payment of 0 linking both
post creditmemo "$(cad '{"Line": [{"DetailType": "SalesItemLineDetail", "Amount": 5.00,
	"SalesItemLineDetail": {"ItemRef": {"value": "SHIPPING_ITEM_ID"}}}]}')" > /dev/null
m=$(jq -r .CreditMemo.Id "$tmp/body")
t credit-memo [ "$(jq -r .CreditMemo.RemainingCredit "$tmp/body")" = 5 -a \
	"$(books)" = '{"sales":"32.50","cash":"32.50","receivable":"0.00"}' ]
t credit-memo-no-void-500 [ "$(post "creditmemo?operation=void" \
	"{\"Id\":\"$m\",\"SyncToken\":\"0\"}")" = 400 -a "$(code)" = 500 ]
apply() { post payment "$(jq -cn --arg c "$acid" --arg i "$b" --arg m "$m" --argjson a "$1" \
	'{CustomerRef: {value: $c}, CurrencyRef: {value: "AUD"}, TotalAmt: 0, Line: [
	{Amount: $a, LinkedTxn: [{TxnId: $i, TxnType: "Invoice"}]},
	{Amount: $a, LinkedTxn: [{TxnId: $m, TxnType: "CreditMemo"}]}]}')"; }
t credit-over-memo-6000 [ "$(apply 6.00)" = 400 -a "$(code)" = 6000 ]
t credit-applied [ "$(apply 5.00)" = 200 -a "$(get creditmemo "$m" CreditMemo.RemainingCredit)" \
	= 0 -a "$(get invoice "$b" Invoice.Balance)" = 0 -a \
	"$(books)" = '{"sales":"32.50","cash":"32.50","receivable":"0.00"}' ]

# a sales receipt's void, and a void in a batch (update + optionsData void)
post salesreceipt "$(cad)" > /dev/null
s=$(jq -r .SalesReceipt.Id "$tmp/body")
t void-receipt-wrong-form-500 [ "$(post "salesreceipt?operation=void" \
	"{\"Id\":\"$s\",\"SyncToken\":\"0\"}")" = 400 -a "$(code)" = 500 ]
t void-receipt [ "$(post "salesreceipt?operation=update&include=void" \
	"{\"Id\":\"$s\",\"SyncToken\":\"0\",\"sparse\":true}")" = 200 -a \
	"$(books)" = '{"sales":"32.50","cash":"32.50","receivable":"0.00"}' ]
post invoice "$(cad)" > /dev/null
c=$(jq -r .Invoice.Id "$tmp/body")
vb=$(jq -cn --arg c "$c" '{BatchItemRequest: [
	{bId: "v1", operation: "update", optionsData: "void", Invoice: {Id: $c, SyncToken: "0"}},
	{bId: "v2", operation: "create", optionsData: "void", Invoice: {Id: $c, SyncToken: "0"}}]}')
t batch-void [ "$(batch "$vb")" = 200 -a \
	"$(jq -r '.BatchItemResponse[0].Invoice.PrivateNote' "$tmp/body")" = "Voided - order A" -a \
	"$(jq -r '.BatchItemResponse[1].Fault.Error[0].code' "$tmp/body")" = 2010 -a \
	"$(books)" = '{"sales":"32.50","cash":"32.50","receivable":"0.00"}' ]
t books-unknown-service [ "$(curl -s -o /dev/null -w '%{http_code}' \
	"$root/_sandbox/books?service=nop")" = 404 ]

# ---- expire_tokens: tokens issued before are refused, a fresh one works ------
curl -s -o /dev/null -d '{"service":"qbo","expire_tokens":1}' "$root/_sandbox/faults"
t expire-tokens-401 [ "$(curl -s -o "$tmp/body" -w '%{http_code}' -H "Authorization: Bearer $at" \
	"$api/customer/1")" = 401 -a "$(jq -r '.Fault.Error[0].code' "$tmp/body")" = 3200 ]
rt=$(curl -s "$root/_sandbox/dump?service=qbo" | jq -r .refresh_token)
tok "$rt" > /dev/null
at=$(jq -r .access_token "$tmp/tok")
t expire-tokens-fresh-works [ "$(curl -s -o /dev/null -w '%{http_code}' \
	-H "Authorization: Bearer $at" "$api/customer/$cid")" = 200 ]

# ---- multicurrency: exchangerate, a foreign document's rate, HomeTotalAmt ------
get_api() { curl -s -o "$tmp/body" -w '%{http_code}' -H "Authorization: Bearer $at" "$api/$1"; }
t exchangerate [ "$(get_api 'exchangerate?sourcecurrencycode=EUR&asofdate=2026-11-05')" = 200 -a \
	"$(jq -c '.ExchangeRate | [.SourceCurrencyCode, .TargetCurrencyCode, .AsOfDate,
	(.Rate | type)]' "$tmp/body")" = '["EUR","USD","2026-11-05","number"]' ]
t exchangerate-none-610 [ "$(get_api 'exchangerate?sourcecurrencycode=NZD&asofdate=2026-11-05')" = \
	400 -a "$(code)" = 610 ]
t exchangerate-entered [ "$(post exchangerate '{"SourceCurrencyCode":"NZD","AsOfDate":"2026-11-01",
	"Rate":0.6125}')" = 200 ]
t exchangerate-latest-before [ "$(get_api 'exchangerate?sourcecurrencycode=NZD&asofdate=2026-11-05')" \
	= 200 -a "$(jq -c '.ExchangeRate | [.AsOfDate, .Rate]' "$tmp/body")" = '["2026-11-01",0.6125]' ]
t preferences-home-usd [ "$(get_api preferences)" = 200 -a \
	"$(jq -r .Preferences.CurrencyPrefs.HomeCurrency.value "$tmp/body")" = USD ]
post customer '{"DisplayName":"Kim Kiwi (NZD)","CurrencyRef":{"value":"NZD"}}' > /dev/null
ncid=$(jq -r .Customer.Id "$tmp/body")
doc() { # currency txndate [extra-json]: an invoice of 1 x 10.00, for a customer in it
	jq -cn --arg c "$(if [ "$1" = NZD ]; then echo "$ncid"; else echo "$cid"; fi)" --arg i "$iid" --arg cur "$1" --arg d "$2" --argjson x "${3:-{\}}" '
		{CustomerRef: {value: $c}, CurrencyRef: {value: $cur}, TxnDate: $d, Line: [{DetailType:
		"SalesItemLineDetail", Amount: 10.00, SalesItemLineDetail: {ItemRef: {value: $i},
		Qty: 1, UnitPrice: 10.00}}]} + $x'
}
t foreign-without-rate-6000 [ "$(post invoice "$(doc NZD 2026-10-30)")" = 400 -a "$(code)" = 6000 ]
# the stored rate of its day, HomeTotalAmt half to even: 10.00 x 0.6125 = 6.125 -> 6.12
t foreign-takes-stored-rate [ "$(post invoice "$(doc NZD 2026-11-03)")" = 200 -a \
	"$(jq -c '.Invoice | [.ExchangeRate, .HomeTotalAmt]' "$tmp/body")" = '[0.6125,6.12]' ]
nzd=$(jq -r .Invoice.Id "$tmp/body")
t foreign-given-rate [ "$(post invoice "$(doc NZD 2026-10-30 '{"ExchangeRate":0.6135}')")" = 200 -a \
	"$(jq -c '.Invoice | [.ExchangeRate, .HomeTotalAmt]' "$tmp/body")" = '[0.6135,6.14]' ]
t home-rate-not-1-6000 [ "$(post invoice "$(doc USD 2026-11-03 '{"ExchangeRate":2}')")" = 400 -a \
	"$(code)" = 6000 ]
t payment-other-currency-6000 [ "$(post payment "$(jq -cn --arg c "$ncid" --arg n "$nzd" \
	'{CustomerRef: {value: $c}, CurrencyRef: {value: "EUR"}, TotalAmt: 10.00, Line: [{Amount: 10.00,
	LinkedTxn: [{TxnId: $n, TxnType: "Invoice"}]}]}')")" = 400 -a "$(code)" = 6000 ]

# ---- a second sandbox: limits scaled by 0.1, tokens living 2 s ---------------
"$BIN/sandbox" --port-file "$tmp/port2" --limit-scale 0.1 --token-ttl 2 > "$tmp/log2" 2>&1 &
pid2=$!
trap 'kill $pid $pid2 2>/dev/null; rm -rf "$tmp"' EXIT
for i in 1 2 3 4 5 6 7 8 9 10; do [ -s "$tmp/port2" ] && break; sleep 0.2; done
root="http://127.0.0.1:$(cat "$tmp/port2")"
api="$root/qbo/v3/company/9130350000000001"
tok "$(curl -s "$root/_sandbox/dump?service=qbo" | jq -r .refresh_token)" > /dev/null
at=$(jq -r .access_token "$tmp/tok")
t token-ttl [ "$(jq -r .expires_in "$tmp/tok")" = 2 ]
# 50 calls a minute: a batch of 30 items is 30 calls, a second one does not fit
t scaled-limit-first-batch [ "$(batch "$ok30")" = 200 ]
t scaled-limit-items-metered [ "$(batch "$ok30")" = 429 -a \
	"$(jq -r '.Fault.Error[0].code' "$tmp/body")" = 003001 ]
# 4 batch requests a minute: the 5th small one is refused though calls remain
one='{"BatchItemRequest":[{"bId":"q","Query":"select * from Item"}]}'
codes=""
for i in 1 2 3 4; do codes="$codes$(batch "$one")"; done
t scaled-batch-requests [ "$codes" = 200200200429 ]
sleep 3
t token-expired-after-ttl [ "$(curl -s -o /dev/null -w '%{http_code}' \
	-H "Authorization: Bearer $at" "$api/customer/1")" = 401 ]

echo "qbo: $pass passed, $fail failed"
[ $fail -eq 0 ]
