#!/bin/sh
# End to end, currency conversion (issue 13): NopCommerce orders in EUR,
# GBP and CHF into a QuickBooks Online company whose home currency is USD
# (mappings/nopcommerce_qbo.map: `currency "USD" from target`).  Each
# foreign document carries the rate of its day into USD as the company
# keeps it (GET exchangerate), and in PrivateNote the rate's day and the
# total converted half to even; the books reconcile in USD; an order whose
# currency has no rate yet is held, and written once the rate is there.
# Each document is its customer's in its currency: the shopper's home
# customer for USD, one customer per foreign currency (QuickBooks keeps one
# currency per customer), written once however often the pair runs.
# Then the same with the rates from a file of the ECB's reference rates
# (`currency "USD" from file env("ECB_RATES")`): EUR directly, GBP through
# EUR, the latest day on or before the order's.
# Last, Clarity orders in EUR, GBP, USD and JPY into a Xero organisation
# whose base currency is USD (mappings/clarity_xero.map, rates from the
# ECB's file): each foreign invoice and payment carries Xero's CurrencyRate,
# the units of its currency one USD buys (the inverse of the ECB's cross
# rate into USD, six places), and the ECB day of it; Xero's books in USD
# (each document's amount over its rate) are what those rates make them;
# a day the file has no JPY rate for holds the order, written once it has.
# And Clarity orders into a Sage Intacct company (base USD, `currency "USD"
# from target`: its exchange rate type "Clarity Daily"): each foreign
# document carries the type's rate of its day (exchrate, EXCHANGE_RATE), a
# currency without a rate is held until one is entered, the books reconcile
# in USD.
GROUP=currency
. "$(dirname "$0")/lib.sh"
gen nop 7 5
gen clarity 7 2
catalogue
# the Clarity store's orders: one line of MUG-01, no tax, shipping or discount
corder() { # id currency total created payment-status
	jq -c --arg id "$1" --arg cur "$2" --argjson total "$3" --arg at "$4" --arg pay "$5" '
		select(.orderId == "SO-100000") | .orderId = $id | .currency = $cur | .orderDate = $at |
		.status = (if $pay == "captured" then "processing" else "pending" end) |
		.totalAmount = $total | .subtotalAmount = $total | .taxAmount = 0 |
		.shippingAmount = 0 | .discountAmount = 0 | del(.couponCode) |
		.lineItems = [{"lineId": "1", "sku": "MUG-01", "name": "Mug", "quantity": 1,
			"unitPrice": $total, "tax": 0, "taxClass": "zero"}] |
		.paymentInfo = {"method": "visa", "status": $pay, "transactionId": ("ch_" + $id),
			"amount": $total}' "$data/clarity_ecommerce.orders.ndjson"
}
{
	corder SO-X1 EUR 329.35 2026-11-05T10:00:00Z captured
	corder SO-X2 GBP 80.01 2026-11-07T10:00:00+01:00 authorized
	corder SO-X3 USD 20.00 2026-11-05T12:00:00Z authorized
	corder SO-X4 JPY 3000 2026-11-05T13:00:00Z authorized
} > "$data/x.orders"
t clarity-orders [ "$(wc -l < "$data/x.orders")" = 4 ]
mv "$data/x.orders" "$data/clarity_ecommerce.orders.ndjson"
# the store's orders: one line of product 3, no tax, shipping or discount
order() { # id currency total created [paid]
	jq -c --argjson id "$1" --arg cur "$2" --argjson total "$3" --arg at "$4" --arg paid "${5:-}" '
		select(.Id == 10000) | .Id = $id | .CustomOrderNumber = ($id | tostring) |
		.CustomerCurrencyCode = $cur | .OrderSubtotalExclTax = $total | .OrderTax = 0 |
		.OrderShippingExclTax = 0 | .OrderDiscount = 0 | .OrderTotal = $total |
		.RefundedAmount = 0 | .CreatedOnUtc = $at |
		.OrderItems = [{"Id": ($id * 10), "ProductId": 3, "ProductName": "Product 3",
			"Sku": "SKU-00003", "Quantity": 1, "UnitPriceExclTax": $total,
			"PriceExclTax": $total}] |
		if $paid == "" then .OrderStatusId = 20 | .PaymentStatusId = 10 |
			del(.CaptureTransactionId)
		else .OrderStatusId = 30 | .PaymentStatusId = 30 | .PaidDateUtc = $paid |
			.PaymentMethodSystemName = "Payments.Manual" | .CaptureTransactionId = "txn-\($id)"
		end' "$data/nopcommerce.orders.ndjson"
}
{
	order 9001 EUR 329.35 2026-11-05T10:00:00Z
	order 9002 CHF 50.00 2026-11-05T11:00:00Z
	order 9003 EUR 100.00 2026-11-05T12:00:00Z 2026-11-07T09:00:00Z
	order 9004 USD 20.00 2026-11-05T13:00:00Z
	order 9005 GBP 80.01 2026-11-05T14:00:00Z
} > "$data/orders.ndjson"
t orders [ "$(wc -l < "$data/orders.ndjson")" = 5 ]
mv "$data/orders.ndjson" "$data/nopcommerce.orders.ndjson"
sandbox_start
use_pair nopcommerce_qbo
# the company's rates of those days, as a person enters them in QuickBooks
rates() { # NDJSON of ExchangeRate
	curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary "$1" \
		"$root/_sandbox/documents?service=qbo&collection=ExchangeRate"
}
t rates-entered [ "$(rates '{"SourceCurrencyCode":"EUR","AsOfDate":"2026-11-05","Rate":1.0512}
{"SourceCurrencyCode":"EUR","AsOfDate":"2026-11-07","Rate":1.062}
{"SourceCurrencyCode":"GBP","AsOfDate":"2026-11-05","Rate":1.2489}')" = 200 ]

sync > "$tmp/out" 2> "$tmp/err"
t first-run-holds-chf [ "$(col Order 3)" = 4 -a "$(col Order 8)" = 1 -a "$(col Order 7)" = 0 ] ||
	cat "$tmp/out" "$tmp/err"
dump
inv() { # order id -> its invoice as QuickBooks keeps it
	jq -c --arg n "$1" '.Invoice[] | select(.DocNumber == $n)' "$tmp/dump"
}
field() { inv "$1" | jq -r ".$2 // \"none\""; }
t eur-rate [ "$(field 9001 ExchangeRate)" = 1.0512 -a "$(field 9001 CurrencyRef.value)" = EUR ] ||
	inv 9001
t eur-home-total [ "$(field 9001 HomeTotalAmt)" = 346.21 ] || inv 9001
t eur-note [ "$(field 9001 PrivateNote)" = "NopCommerce order 9001, customer 1; 329.35 EUR =\
 346.21 USD at 1.0512 of 2026-11-05" ] || field 9001 PrivateNote
t gbp-rate [ "$(field 9005 ExchangeRate)" = 1.2489 -a "$(field 9005 HomeTotalAmt)" = 99.92 ] ||
	inv 9005
t usd-no-rate [ "$(field 9004 ExchangeRate)" = 1 -a "$(field 9004 PrivateNote)" = \
	"NopCommerce order 9004, customer 1" ] || inv 9004
t usd-document-sends-no-rate [ "$(sql "SELECT count(*) FROM journal WHERE entity = 'Order' AND
	source_id = '9004' AND CAST(payload AS TEXT) LIKE '%ExchangeRate%'")" = 0 -a \
	"$(sql "SELECT count(*) FROM journal WHERE entity = 'Order' AND source_id = '9004'")" = 1 ]
# the rate and its day are in what was journaled (the request's payload)
t journal-keeps-rate [ "$(sql "SELECT count(*) FROM journal WHERE entity = 'Order' AND
	source_id = '9001' AND CAST(payload AS TEXT) LIKE '%\"ExchangeRate\":1.0512%' AND
	CAST(payload AS TEXT) LIKE '%of 2026-11-05%'")" = 1 ] ||
	sql "SELECT entity, source_id, payload FROM journal WHERE source_id = '9001'"
pay() { jq -c --arg n "$1" '.Payment[] | select(.PrivateNote == "NopCommerce order " + $n + " paid")' \
	"$tmp/dump"; }
t payment-rate-of-its-day [ "$(pay 9003 | jq -r .ExchangeRate)" = 1.062 -a \
	"$(pay 9003 | jq -r .HomeTotalAmt)" = 106.2 ] || pay 9003
t chf-held [ "$(sql "SELECT count(*) FROM held WHERE source_key = '9002'")" = 1 -a \
	-z "$(inv 9002)" ] || sql "SELECT * FROM held"
t chf-held-why [ "$(sql "SELECT why FROM held WHERE source_key = '9002'" |
	grep -c 'no CHF rate into USD for 2026-11-05: the target has no CHF rate on 2026-11-05 yet')" = 1 ] ||
	sql "SELECT * FROM held"
# the CHF rate is entered (of the day before): the next run writes the order
t chf-rate-entered [ "$(rates '{"SourceCurrencyCode":"CHF","AsOfDate":"2026-11-04","Rate":1.1372}')" = 200 ]
sync > "$tmp/out" 2> "$tmp/err"
t second-run-writes-chf [ "$(col Order 3)" = 1 -a "$(col Order 8)" = 0 ] || cat "$tmp/out" "$tmp/err"
dump
t chf-rate [ "$(field 9002 ExchangeRate)" = 1.1372 -a "$(field 9002 HomeTotalAmt)" = 56.86 -a \
	"$(field 9002 PrivateNote)" = "NopCommerce order 9002, customer 1; 50 CHF = 56.86 USD at 1.1372\
 of 2026-11-04" ] || inv 9002
t chf-not-held [ "$(sql "SELECT count(*) FROM held")" = 0 ]

# QuickBooks keeps one currency per customer and refuses a document in
# another: the shopper's USD order is its home customer's, its orders in
# each other currency a customer of their own in it (entity
# CurrencyCustomer: one per shopper and currency, the two EUR orders one)
mine() { # the customers of NopCommerce customer 1: their currencies
	jq -c '[.Customer[] | select(.Notes == "NopCommerce customer 1" or
		(.Notes | startswith("NopCommerce customer 1, "))) | .CurrencyRef.value] | sort' "$tmp/dump"
}
t customer-per-currency [ "$(mine)" = '["CHF","EUR","GBP","USD"]' ] || jq -c .Customer "$tmp/dump"
t documents-in-customer-currency [ "$(jq '(.Customer | map({(.Id): .CurrencyRef.value}) | add) as $c
	| [.Invoice[], .Payment[] | select($c[.CustomerRef.value] != .CurrencyRef.value)] | length' \
	"$tmp/dump")" = 0 -a "$(jq '.Invoice | length' "$tmp/dump")" = 5 ]
t eur-customer [ "$(jq -r --arg c "$(field 9001 CustomerRef.value)" '.Customer[] | select(.Id == $c)
	| [.DisplayName, .CurrencyRef.value] | join("/")' "$tmp/dump")" = \
	"NopCommerce customer (1) (EUR)/EUR" -a \
	"$(field 9003 CustomerRef.value)" = "$(field 9001 CustomerRef.value)" ] || inv 9001
# run again: nothing is written, no customer twice
n=$(jq '.Customer | length' "$tmp/dump")
sync > "$tmp/out" 2> "$tmp/err"
dump
t rerun-writes-nothing [ "$(col CurrencyCustomer 3)$(col CurrencyCustomer 4)$(col Order 3)$(col Order 4)" \
	= 0000 -a "$(jq '.Customer | length' "$tmp/dump")" = "$n" ] || cat "$tmp/out" "$tmp/err"

# The books in the home currency: each order's total at the rate of its day,
# half to even; the payment at the rate of the day it was paid.
home=$(curl -s "$root/_sandbox/books?service=qbo" | jq -c .home)
want=$(python3 -c '
from decimal import Decimal as D, ROUND_HALF_EVEN
def usd(x, r): return (D(x) * D(r)).quantize(D("0.01"), ROUND_HALF_EVEN)
sales = usd("329.35", "1.0512") + usd("50", "1.1372") + usd("100", "1.0512") + D("20") + \
    usd("80.01", "1.2489")
cash = usd("100", "1.062")
recv = sales - usd("100", "1.0512")
print("{\"currency\":\"USD\",\"sales\":\"%s\",\"cash\":\"%s\",\"receivable\":\"%s\"}" % (sales, cash,
    recv))')
t books-in-usd [ "$home" = "$want" ] || echo "books $home, want $want"
# and the demo's reconciliation (tests/e2e/books.py) agrees: per currency, and in USD
python3 tests/e2e/books.py compare "$root" --store nop --target qbo --state "$st" > "$tmp/books"
t books-py-agrees [ $? -eq 0 -a "$(grep -c '^home:USD' "$tmp/books")" = 3 ] || cat "$tmp/books"

# ---- the same from the ECB's reference rates ----------------------------------
cat > "$tmp/ecb.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
	<gesmes:subject>Reference rates</gesmes:subject>
	<gesmes:Sender><gesmes:name>European Central Bank</gesmes:name></gesmes:Sender>
	<Cube>
		<Cube time="2026-11-06">
			<Cube currency="USD" rate="1.0620"/>
			<Cube currency="GBP" rate="0.8433"/>
		</Cube>
		<Cube time="2026-11-04">
			<Cube currency="USD" rate="1.0512"/>
			<Cube currency="JPY" rate="161.23"/>
			<Cube currency="GBP" rate="0.8421"/>
		</Cube>
	</Cube>
</gesmes:Envelope>
EOF
sed 's/^  currency "USD" from target$/  currency "USD" from file env("ECB_RATES")/' \
	mappings/nopcommerce_qbo.map > "$tmp/ecb.map"
t ecb-map [ "$(grep -c 'from file env("ECB_RATES")' "$tmp/ecb.map")" = 1 ]
make_pair "$tmp/ecb.map" "$tmp/ecb"
t ecb-builds [ -x "$tmp/ecb" ] || cat "$tmp/make"
sandbox_restart
rm -f "$st"
# no file, or a file that is not the ECB's XML: the run stops before it reads anything
"$tmp/ecb" run --once --state "$st" --config "$tmp/$pair.env" > "$tmp/out" 2> "$tmp/err"
t ecb-file-not-set [ $? -eq 2 -a "$(grep -c "the rates file (ecb.map's \`currency\`, ECB_RATES) is not set" \
	"$tmp/err")" = 1 ] || cat "$tmp/err"
echo "<rates/>" > "$tmp/bad.xml"
ECB_RATES=$tmp/bad.xml "$tmp/ecb" run --once --state "$st" --config "$tmp/$pair.env" \
	> "$tmp/out" 2> "$tmp/err"
t ecb-file-not-ecb [ $? -eq 2 -a "$(grep -c "is not the ECB's reference-rate XML" "$tmp/err")" = 1 ] ||
	cat "$tmp/err"
echo "ECB_RATES=$tmp/ecb.xml" >> "$tmp/$pair.env"
rm -f "$st"
"$tmp/ecb" run --once --state "$st" --config "$tmp/$pair.env" > "$tmp/out" 2> "$tmp/err"
t ecb-run-holds-chf [ "$(col Order 3)" = 4 -a "$(col Order 8)" = 1 ] || cat "$tmp/out" "$tmp/err"
dump
# EUR: the USD rate of 2026-11-04, the latest on or before the 5th
t ecb-eur [ "$(field 9001 ExchangeRate)" = 1.0512 -a "$(field 9001 HomeTotalAmt)" = 346.21 -a \
	"$(field 9001 PrivateNote)" = "NopCommerce order 9001, customer 1; 329.35 EUR = 346.21 USD\
 at 1.0512 of 2026-11-04" ] || inv 9001
# GBP through EUR: 1.0512 / 0.8421 to ten places
gbp=$(python3 -c 'from decimal import *; getcontext().prec = 50
print((Decimal("1.0512") / Decimal("0.8421")).quantize(Decimal("1e-10"), ROUND_HALF_UP))')
gbp_usd=$(python3 -c 'from decimal import *; import sys
print((Decimal("80.01") * Decimal(sys.argv[1])).quantize(Decimal("0.01"), ROUND_HALF_EVEN))' "$gbp")
t ecb-gbp-cross [ "$(field 9005 ExchangeRate)" = "$gbp" -a "$(field 9005 HomeTotalAmt)" = "$gbp_usd" ] ||
	{ inv 9005; echo "want $gbp $gbp_usd"; }
# the payment of the 7th: the rate of the 6th
t ecb-payment [ "$(pay 9003 | jq -r .ExchangeRate)" = 1.062 ] || pay 9003
t ecb-chf-held [ "$(sql "SELECT why FROM held WHERE source_key = '9002'" |
	grep -c 'the rates file has no CHF rate on or before 2026-11-05')" = 1 ] || sql "SELECT * FROM held"
# the next day's file has CHF: the held order is written
sed 's|<Cube currency="USD" rate="1.0512"/>|&<Cube currency="CHF" rate="0.9244"/>|' "$tmp/ecb.xml" \
	> "$tmp/ecb2.xml" && mv "$tmp/ecb2.xml" "$tmp/ecb.xml"
"$tmp/ecb" run --once --state "$st" --config "$tmp/$pair.env" > "$tmp/out" 2> "$tmp/err"
dump
chf=$(python3 -c 'from decimal import *; getcontext().prec = 50
print((Decimal("1.0512") / Decimal("0.9244")).quantize(Decimal("1e-10"), ROUND_HALF_UP))')
t ecb-chf-written [ "$(col Order 3)" = 1 -a "$(field 9002 ExchangeRate)" = "$chf" ] ||
	{ cat "$tmp/out" "$tmp/err"; inv 9002; }
# ---- Clarity -> Xero: the ECB's rates, in Xero's direction -------------------
cat > "$tmp/ecb-x.xml" <<'EOF'
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
	<Cube>
		<Cube time="2026-11-06"><Cube currency="USD" rate="1.0620"/><Cube currency="GBP" rate="0.8433"/></Cube>
		<Cube time="2026-11-04"><Cube currency="USD" rate="1.0512"/><Cube currency="GBP" rate="0.8421"/></Cube>
	</Cube>
</gesmes:Envelope>
EOF
use_pair clarity_xero
st=$tmp/xero.state
sed -i "s|^ECB_RATES=.*|ECB_RATES=$tmp/ecb-x.xml|" "$tmp/clarity_xero.env"
sync > "$tmp/out" 2> "$tmp/err"
t xero-holds-jpy [ "$(col Order 3)" = 3 -a "$(col Order 8)" = 1 -a "$(col Payment 3)" = 1 ] ||
	cat "$tmp/out" "$tmp/err"
dump
xinv() { jq -c --arg r "$1" '.Invoices[] | select(.Reference == $r)' "$tmp/dump"; }
# units of the currency per USD: the ECB's rate of the currency over USD's
# (the cross rate, ten places), to six (EUR: 1 / 1.0512; GBP on Saturday the
# 7th: Friday's 0.8433 / 1.0620)
per_usd() { python3 -c 'from decimal import *; import sys; getcontext().prec = 50
x = (Decimal(sys.argv[1]) / Decimal(sys.argv[2])).quantize(Decimal("1e-10"), ROUND_HALF_UP)
print(x.quantize(Decimal("1e-6"), ROUND_HALF_UP))' "$@"; }
eur=$(per_usd 1 1.0512) gbp=$(per_usd 0.8433 1.0620)
note() { xinv "$1" | jq -r '.LineItems[-1].Description'; }
t xero-eur-rate [ "$(xinv SO-X1 | jq -r .CurrencyRate)" = "$eur" -a "$(note SO-X1)" = \
	"Exchange rate: 1 USD = $eur EUR, ECB reference rate of 2026-11-04" ] || { xinv SO-X1; echo "$eur"; }
t xero-gbp-cross-rate [ "$(xinv SO-X2 | jq -r .CurrencyRate)" = "$gbp" -a "$(note SO-X2)" = \
	"Exchange rate: 1 USD = $gbp GBP, ECB reference rate of 2026-11-06" ] || { xinv SO-X2; echo "$gbp"; }
# a USD invoice sends no rate (Xero's is 1) and no note
t xero-usd-no-rate [ "$(xinv SO-X3 | jq -r '[.CurrencyRate, (.LineItems | length)] | @tsv')" = \
	"$(printf '1\t1')" -a "$(sql "SELECT count(*) FROM journal WHERE entity = 'Order' AND
	source_id = 'SO-X3' AND CAST(payload AS TEXT) LIKE '%CurrencyRate%'")" = 0 ] || xinv SO-X3
xpay() { jq -c --arg r "ch_$1" '.Payments[] | select(.Reference | startswith($r))' "$tmp/dump"; }
t xero-payment-rate [ "$(xpay SO-X1 | jq -r .CurrencyRate)" = "$eur" -a "$(xpay SO-X1 |
	jq -r .Reference)" = "ch_SO-X1 (1 USD = $eur EUR, ECB reference rate of 2026-11-04)" ] || xpay SO-X1
# the rate and its day are in what was journaled (the request's payload)
t xero-journal-keeps-rate [ "$(sql "SELECT count(*) FROM journal WHERE entity = 'Order' AND
	source_id = 'SO-X1' AND CAST(payload AS TEXT) LIKE '%\"CurrencyRate\":$eur%' AND
	CAST(payload AS TEXT) LIKE '%of 2026-11-04%'")" = 1 ] ||
	sql "SELECT entity, source_id, payload FROM journal WHERE source_id = 'SO-X1'"
t xero-jpy-held [ "$(sql "SELECT why FROM held WHERE source_key = 'SO-X4'" | grep -c \
	'no JPY rate into USD for 2026-11-05: the rates file has no JPY rate on or before 2026-11-05')" \
	= 1 -a -z "$(xinv SO-X4)" ] || sql "SELECT * FROM held"
# the next day's file has JPY: the held order is written at its rate
sed 's|<Cube currency="USD" rate="1.0512"/>|&<Cube currency="JPY" rate="161.23"/>|' "$tmp/ecb-x.xml" \
	> "$tmp/ecb2.xml" && mv "$tmp/ecb2.xml" "$tmp/ecb-x.xml"
sync > "$tmp/out" 2> "$tmp/err"
dump
jpy=$(per_usd 161.23 1.0512)
t xero-jpy-written [ "$(col Order 3)" = 1 -a "$(xinv SO-X4 | jq -r .CurrencyRate)" = "$jpy" -a \
	"$(sql "SELECT count(*) FROM held")" = 0 ] || { cat "$tmp/out" "$tmp/err"; xinv SO-X4; }
# Xero's books in USD: each document's amount over its own rate, half to even
home=$(curl -s "$root/_sandbox/books?service=xero" | jq -c .home)
want=$(python3 -c '
from decimal import Decimal as D, ROUND_HALF_EVEN
import json, sys
def usd(x, r): return (D(x) / D(r)).quantize(D("0.01"), ROUND_HALF_EVEN)
e, g, j = sys.argv[1:]
x1 = usd("329.35", e)
recv = usd("80.01", g) + D("20.00") + usd("3000", j)
print(json.dumps({"currency": "USD", "sales": str(x1 + recv), "cash": str(x1),
    "receivable": str(recv)}, separators=(",", ":")))' "$eur" "$gbp" "$jpy")
t xero-books-in-usd [ "$home" = "$want" ] || echo "books $home, want $want"
# and the demo's reconciliation agrees: per currency, and in USD from the same file
python3 tests/e2e/books.py compare "$root" --store clarity --target xero --state "$st" \
	--rates "$tmp/ecb-x.xml" > "$tmp/books"
t xero-books-py-agrees [ $? -eq 0 -a "$(grep -c '^home:USD' "$tmp/books")" = 3 ] || cat "$tmp/books"

# `from target` where the connector reads no rates: mapc refuses it (E097);
# a schema that lists rates for a connector without any stops the run at its
# start, before anything is read
mkdir -p "$tmp/ft/schemas"
sed 's/collection Items: Item (list, write)/collection Items: Item (list, write, rates)/' \
	mappings/schemas/xero.map > "$tmp/ft/schemas/xero.map"
sed 's/^  currency "USD" from file env("ECB_RATES")$/  currency "USD" from target/' \
	mappings/clarity_xero.map > "$tmp/ft/clarity_xero.map"
make_pair "$tmp/ft/clarity_xero.map" "$tmp/ft/pair"
"$tmp/ft/pair" run --once --state "$tmp/ft.state" --config "$tmp/$pair.env" > "$tmp/out" 2> "$tmp/err"
t xero-from-target-refused [ $? -eq 2 -a "$(grep -c "clarity_xero.map's \`currency\` takes its rates \`from\
 target\`, but the xero connector reads no exchange rates" "$tmp/err")" = 1 ] || cat "$tmp/make" "$tmp/err"

# ---- Sage Intacct's own rates -----------------------------------------------------
# mappings/clarity_intacct.map: `currency "USD" from target`, rate_type
# "Clarity Daily", the sandbox company's exchange rate type (a rate into USD
# for EUR, GBP and JPY every day of 2026; none for CHF).  A foreign sales
# invoice, its payment and the day's GL batch carry that type's rate of the
# order's day (exchrate, EXCHANGE_RATE) and the day; a USD one none; the CHF
# order is held until a CHF rate is entered; the books reconcile in USD.
use_pair clarity_intacct
rm -f "$st"
# the store's orders: one line of MUG-01, no tax, shipping or discount, of
# customer C-1; paid ("captured") or not
intacct_order() { # id currency total date [captured]
	jq -cn --arg id "$1" --arg cur "$2" --argjson total "$3" --arg at "$4" --arg paid "${5:-}" '
		{orderId: $id, customerId: "C-1", orderDate: $at, updatedAt: $at, status: "processing",
		currency: $cur, totalAmount: $total, subtotalAmount: $total, taxAmount: 0,
		shippingAmount: 0, discountAmount: 0, lineItems: [{lineId: "1", sku: "MUG-01",
		name: "Mug", quantity: 1, unitPrice: $total}], paymentInfo: {method: "amex",
		status: (if $paid == "" then "authorized" else "captured" end), transactionId:
		("ch_" + $id), amount: $total}, attributes: {storeId: "web", department: "online"}}'
}
{
	intacct_order SO-9001 EUR 100.00 2026-11-05T10:00:00Z captured
	intacct_order SO-9002 CHF 50.00 2026-11-05T11:00:00Z
	intacct_order SO-9003 USD 20.00 2026-11-05T12:00:00Z captured
	intacct_order SO-9004 GBP 80.01 2026-11-06T09:30:00+01:00
} > "$tmp/intacct.orders"
t intacct-orders [ "$(put_orders "$tmp/intacct.orders")" = 200 ]
sync > "$tmp/out" 2> "$tmp/err"
dump
so() { jq -c --arg n "$1" '.SODOCUMENT[] | select(.DOCNO == $n)' "$tmp/dump"; }
t intacct-first-run-holds-chf [ -n "$(so SO-9001)" -a -n "$(so SO-9003)" -a -n "$(so SO-9004)" -a \
	-z "$(so SO-9002)" ] || cat "$tmp/out" "$tmp/err"
# the type's rate of a day, as the company keeps it (GET /_sandbox/dump)
rate() { jq -r --arg c "$1" --arg d "$2" '.ExchangeRates[$c][$d]' "$tmp/dump"; }
sof() { so "$1" | jq -r ".$2"; }
eur=$(rate EUR 2026-11-05) gbp=$(rate GBP 2026-11-06)
t intacct-rates-seeded [ -n "$eur" -a "$eur" != null -a -n "$gbp" -a "$gbp" != null ]
t intacct-eur-invoice [ "$(sof SO-9001 CURRENCY)" = EUR -a "$(sof SO-9001 EXCHRATE)" = "$eur" -a \
	"$(sof SO-9001 EXCHRATEDATE)" = 11/05/2026 ] || { so SO-9001; echo "want $eur"; }
# the order's own day (+01:00), not UTC's
t intacct-gbp-invoice [ "$(sof SO-9004 EXCHRATE)" = "$gbp" -a \
	"$(sof SO-9004 EXCHRATEDATE)" = 11/06/2026 ] || { so SO-9004; echo "want $gbp"; }
t intacct-usd-no-rate [ "$(sof SO-9003 EXCHRATE)" = 1 -a "$(sof SO-9003 EXCHRATEDATE)" = "" ] ||
	so SO-9003
t intacct-usd-sends-no-rate [ "$(sql "SELECT count(*) FROM journal WHERE source_id = 'SO-9003' AND
	CAST(payload AS TEXT) LIKE '%exch%'")" = 0 -a \
	"$(sql "SELECT count(*) FROM journal WHERE entity = 'Order' AND source_id = 'SO-9003'")" = 1 ]
# the rate and its day are in what was journaled (the request's payload)
t intacct-journal-keeps-rate [ "$(sql "SELECT count(*) FROM journal WHERE entity = 'Order' AND
	source_id = 'SO-9001' AND CAST(payload AS TEXT) LIKE '%<exchratedate><year>2026</year><month>11</month><day>05</day></exchratedate>%'
	AND CAST(payload AS TEXT) LIKE '%<exchrate>$eur</exchrate>%'")" = 1 ] ||
	sql "SELECT entity, source_id, payload FROM journal WHERE source_id = 'SO-9001'"
t intacct-payment-rate [ "$(jq -r '.ARPYMT[] | select(.DESCRIPTION == "Clarity order SO-9001") |
	.EXCHANGE_RATE' "$tmp/dump")" = "$eur" ] || jq -c .ARPYMT "$tmp/dump"
t intacct-chf-held [ "$(sql "SELECT why FROM held WHERE source_key = 'SO-9002'" |
	grep -c 'no CHF rate into USD for 2026-11-05: the target has no CHF rate on 2026-11-05 yet')" = 1 -a \
	-z "$(so SO-9002)" ] || sql "SELECT * FROM held"
# a CHF rate is entered (from the day before): the next run writes the order
t intacct-chf-rate-entered [ "$(curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary \
	'{"FROM_CURRENCY":"CHF","EFFECTIVESTARTDATE":"11/04/2026","VALUE":"1.1372"}' \
	"$root/_sandbox/documents?service=intacct&collection=EXCHANGERATEENTRY")" = 200 ]
sync > "$tmp/out" 2> "$tmp/err"
dump
t intacct-second-run-writes-chf [ -n "$(so SO-9002)" ] || cat "$tmp/out" "$tmp/err"
t intacct-chf-rate [ "$(sof SO-9002 EXCHRATE)" = 1.1372 -a "$(sof SO-9002 EXCHRATEDATE)" = \
	11/05/2026 ] || so SO-9002
t intacct-chf-not-held [ "$(sql "SELECT count(*) FROM held WHERE source_key = 'SO-9002'")" = 0 ]
# the books in USD: each document at its own rate, half to even to the
# cent (tests/sandbox/intacct.sh checks one document's), as the store's
# orders at the rates of their days say (books.py: intacct_home)
python3 tests/e2e/books.py compare "$root" --store clarity --target intacct --state "$st" \
	> "$tmp/books"
t intacct-books-py-agrees [ $? -eq 0 -a "$(grep -c '^home:USD' "$tmp/books")" = 3 ] || cat "$tmp/books"
summary
