#!/bin/sh
# mapc explain and mapc test: what a reviewer reads when a field is wrong.
#   - explain of a good order: the document, then each field with its
#     value, .map line and rule, and the table entries it used;
#   - explain of a bad order: the dead letter, its field and .map line, the
#     lookup that failed, and the fields written before it;
#   - mapc test on a fixture with one wrong expected value: the field's
#     path, the expected and the actual value and the .map line, exit 1;
#     the shipped fixtures pass.
cd "$(dirname "$0")/../.." || exit 2
MAPC=${MAPC:-bin/mapc}
case $MAPC in /*) ;; *) MAPC=$PWD/$MAPC ;; esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
t() {
	name=$1; shift
	if "$@"; then echo "[PASS] explain/$name"; pass=$((pass + 1))
	else echo "[FAIL] explain/$name"; fail=$((fail + 1)); return 1; fi
}
map=mappings/clarity_xero.map
line_of() { grep -n "$1" "$map" | head -1 | cut -d: -f1; }

good='{"orderId":"SO-1","customerId":"C-1","orderDate":"2026-11-22T23:30:00-05:00","status":"completed","currency":"usd","totalAmount":45.97,"taxAmount":3.99,"shippingAmount":2.00,"lineItems":[{"sku":"MUG-01","name":"Mug","quantity":2,"unitPrice":19.99,"tax":3.99,"taxClass":"standard"}],"attributes":{"channel":"marketplace","campaign":"social"}}'
echo "$good" | "$MAPC" explain "$map" Order > "$tmp/good"
t good-exit-0 [ $? = 0 ] || cat "$tmp/good"
t good-document grep -q '^{"Type":"ACCREC".*"Reference":"SO-1"' "$tmp/good"
t good-date-keeps-offset grep -q '^  Date  *"2026-11-22" ' "$tmp/good"
l=$(line_of 'AccountCode = revenue_account')
t field-line-and-rule grep -q "LineItems\[0\]\.AccountCode  *\"210\"  *clarity_xero.map:$l  AccountCode = revenue_account\[attributes.channel\]" \
	"$tmp/good"
t table-entry-used grep -q 'uses revenue_account\["marketplace"\] => "210"' "$tmp/good"
t tracking-entry-used grep -q 'uses campaign\["social"\] => "Social"' "$tmp/good"
t tax-entry-used grep -q 'uses tax_type\["standard"\] => "OUTPUT"' "$tmp/good"

# the lifecycle's action for the record, and its lock, with their .map lines
cancelled=$(echo "$good" | sed 's/"completed"/"cancelled"/; s/"attributes"/"paymentInfo":{"status":"authorized"},"attributes"/')
echo "$cancelled" | "$MAPC" explain "$map" Order > "$tmp/life"
t lifecycle-action grep -q "^lifecycle: void the document written (clarity_xero.map:$(line_of 'lifecycle status {')  lifecycle status {)" "$tmp/life" || cat "$tmp/life"
t lifecycle-locked grep -q "^locked: no (clarity_xero.map:$(line_of '^  locked when')  locked when" "$tmp/life"
echo "$good" | sed 's/"attributes"/"paymentInfo":{"status":"captured"},"attributes"/' |
	"$MAPC" explain "$map" Order > "$tmp/paid"
t lifecycle-paid-locked grep -q "^locked: yes: a changed document is a dead letter" "$tmp/paid" || cat "$tmp/paid"

bad=$(echo "$good" | sed 's/"completed"/"on-hold"/')
echo "$bad" | "$MAPC" explain "$map" Order > "$tmp/bad"
t bad-exit-1 [ $? = 1 ]
l=$(line_of 'Status = order_status')
t dead-letter-reason grep -q '^dead letter: unknown order status (order_status\["on-hold"\])' "$tmp/bad"
t dead-letter-field-line grep -q "^  at     clarity_xero.map:$l  Status = order_status\[status\]" "$tmp/bad"
t dead-letter-chain grep -q '^  after  order_status\["on-hold"\] => else fail' "$tmp/bad"
t fields-before-it grep -q '^  Reference  *"SO-1"' "$tmp/bad"
echo "$good" | "$MAPC" explain "$map" Nope > /dev/null 2>&1
t unknown-entity-exit-2 [ $? = 2 ]

# mapc test: a fixture whose expected UnitAmount is wrong
mkdir -p "$tmp/m/tests/clarity_xero" "$tmp/m/schemas"
cp "$map" "$tmp/m/"
awk '/^--- output/ { o = 1 } /^--- dead/ { o = 0 }
	{ if (o && !done && sub(/"UnitAmount":19.99/, "\"UnitAmount\":19.98")) done = 1; print }' \
	mappings/tests/clarity_xero/Order.test > "$tmp/m/tests/clarity_xero/Order.test"
cp mappings/tests/clarity_xero/ecb.xml "$tmp/m/tests/clarity_xero/" # its `--- rates`
"$MAPC" test "$tmp/m/clarity_xero.map" > "$tmp/test" 2>&1
rc=$?
l=$(line_of 'UnitAmount = li.unitPrice')
t test-fails-exit-1 [ $rc = 1 ] || cat "$tmp/test"
t test-diff-path-values-line grep -q "LineItems\[0\]\.UnitAmount: expected \"19.98\", got \"19.99\"  (clarity_xero.map:$l)" \
	"$tmp/test"
t test-names-fixture grep -q '^\[FAIL\] test/clarity_xero/.*Order.test' "$tmp/test"
for m in mappings/*.map; do
	"$MAPC" test "$m" > "$tmp/ok" 2>&1
	t "shipped-fixtures-$(basename "$m" .map)" [ $? = 0 ] || cat "$tmp/ok"
done
echo "explain: $pass passed, $fail failed"
[ $fail -eq 0 ]
