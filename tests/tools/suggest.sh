#!/bin/sh
# mapc suggest: the draft entity for three real pairs of schemas, wrapped in
# a pair block with its TODOs filled by literals of the types the comments
# give, must pass `mapc --check`; unfilled, it must not (the TODOs are
# real).  Also: the same input gives the same bytes, obvious pairs are
# found, a date is never paired with money, keywords are quoted, and bad
# arguments are errors.  MAPC: the compiler (default bin/mapc).
cd "$(dirname "$0")/../.." || exit 2
MAPC=${MAPC:-bin/mapc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
ok() { echo "[PASS] suggest: $1"; pass=$((pass + 1)); }
ko() { echo "[FAIL] suggest: $1"; fail=$((fail + 1)); }

# fill FILE: each `X = TODO  # required, no match: TYPE` gets a literal of
# TYPE (an enum's first value); `key TODO` the source key is not handled.
fill() {
	awk '
	function lit(t,   q) {
		if (t ~ /^\[/) { sub(/^\[/, "", t); sub(/\].*/, "", t); return "[" lit(t) "]" }
		if (t ~ /^string/) {
			if (match(t, /enum\("[^"]*"/)) { q = substr(t, RSTART + 5, RLENGTH - 5); return q }
			return "\"x\""
		}
		if (t ~ /^integer/) return "1"
		if (t ~ /^decimal/) return "1.5"
		if (t ~ /^money/) return "10.00"
		if (t ~ /^boolean/) return "true"
		if (t ~ /^datetime/) return "datetime(\"2026-01-02T03:04:05Z\")"
		if (t ~ /^date/) return "date(\"2026-01-02\")"
		return "UNKNOWN_TYPE_" t
	}
	/= TODO  # required, no match: / {
		t = $0; sub(/.*# required, no match: /, "", t)
		sub(/= TODO .*/, "= " lit(t))
	}
	{ print }' "$1"
}

# wrap SRC_SVC TGT_SVC FILE: the minimal pair block the draft expects
wrap() {
	printf 'pair suggest_test {\n  source %s: %s {\n    base_url = env("SRC_URL")\n  }\n' "$1" "$1"
	printf '  target %s: %s {\n    base_url = env("TGT_URL")\n  }\n}\n\n' "$2" "$2"
	cat "$3"
}

for pr in clarity_ecommerce.Order:xero.Invoice clarity_ecommerce.Customer:sage_intacct.CUSTOMER \
	nopcommerce.Customer:qbo.Customer clarity_ecommerce.Order:sage_intacct.create_sotransaction \
	nopcommerce.Order:qbo.SalesReceipt; do
	src=${pr%%:*}
	tgt=${pr#*:}
	n=$(echo "$pr" | tr ':.' '__')
	if ! "$MAPC" suggest "$src" "$tgt" >"$tmp/$n.out" 2>"$tmp/$n.err"; then
		ko "$src -> $tgt: exit status $? ($(head -1 "$tmp/$n.err"))"
		continue
	fi
	"$MAPC" suggest "$src" "$tgt" >"$tmp/$n.again" 2>&1
	if cmp -s "$tmp/$n.out" "$tmp/$n.again"; then
		ok "$src -> $tgt: deterministic"
	else
		ko "$src -> $tgt: two runs differ"
	fi
	if grep -q '^entity .* -> .* key .* {$' "$tmp/$n.out" &&
	   [ "$(grep -c '# [01]\.[0-9][0-9] ' "$tmp/$n.out")" -ge 3 ]; then
		ok "$src -> $tgt: an entity block with confidences"
	else
		ko "$src -> $tgt: no entity header or fewer than 3 scored lines"
	fi
	wrap "${src%%.*}" "${tgt%%.*}" "$tmp/$n.out" >"$tmp/$n.raw.map"
	if grep -q '= TODO' "$tmp/$n.out"; then
		if "$MAPC" --check -I mappings/schemas "$tmp/$n.raw.map" >/dev/null 2>&1; then
			ko "$src -> $tgt: compiles with its TODOs unfilled"
		else
			ok "$src -> $tgt: TODOs unfilled do not compile"
		fi
	fi
	fill "$tmp/$n.out" >"$tmp/$n.filled"
	wrap "${src%%.*}" "${tgt%%.*}" "$tmp/$n.filled" >"$tmp/$n.map"
	if grep -q "= TODO" "$tmp/$n.filled"; then
		ko "$src -> $tgt: a TODO the filler does not understand: $(grep "= TODO" "$tmp/$n.filled")"
	elif "$MAPC" --check --Werror -I mappings/schemas "$tmp/$n.map" >"$tmp/$n.ck" 2>&1; then
		ok "$src -> $tgt: compiles once the TODOs are filled"
	else
		ko "$src -> $tgt: mapc --check fails: $(head -3 "$tmp/$n.ck")"
	fi
done

# Obvious pairs: the line must be in the draft (FILE PATTERN).
expect() {
	if grep -q "$2" "$tmp/$1.out"; then ok "$1 has $2"; else ko "$1 lacks $2"; fi
}
expect clarity_ecommerce_Order_xero_Invoice '^      ItemCode = li\.sku  # '
expect clarity_ecommerce_Order_xero_Invoice '^      Quantity = li\.quantity  # '
expect clarity_ecommerce_Order_xero_Invoice '^      UnitAmount = li\.unitPrice  # '
expect clarity_ecommerce_Order_xero_Invoice '^  LineItems = \[  # '
expect clarity_ecommerce_Order_xero_Invoice '^    for li in lineItems {$'
expect clarity_ecommerce_Order_xero_Invoice '^  Date = date(orderDate)  # .*date()$'
expect clarity_ecommerce_Order_xero_Invoice '^  Type = TODO  # required, no match: string enum("ACCREC"'
expect clarity_ecommerce_Order_xero_Invoice '^entity Order: clarity_ecommerce\.orders -> xero\.Invoice key orderId {$'
expect clarity_ecommerce_Customer_sage_intacct_CUSTOMER '^  CUSTOMERID = customerId  # 0\.95 name match$'
expect clarity_ecommerce_Customer_sage_intacct_CUSTOMER '^  NAME = TODO  # required, no match: string max 100$'
expect clarity_ecommerce_Customer_sage_intacct_CUSTOMER '^    EMAIL1 = email  # '
expect nopcommerce_Customer_qbo_Customer '^  GivenName = FirstName  # 0\.85 synonym'
expect nopcommerce_Customer_qbo_Customer '^  FamilyName = LastName  # '
expect nopcommerce_Customer_qbo_Customer '^  Active = Active  # 1\.00 same name$'
expect nopcommerce_Customer_qbo_Customer '^    City = BillingAddress\.City  # '
expect clarity_ecommerce_Order_sage_intacct_create_sotransaction '^      itemid = li\.sku  # '
expect nopcommerce_Order_qbo_SalesReceipt '^        Qty = oi\.Quantity  # .*qty~quantity'

# Types: a date named like the target never goes into money; a synonym of
# the right type does.  A keyword as a field name is quoted.  -I is used.
mkdir -p "$tmp/s"
cat >"$tmp/s/shop.map" <<'EOF'
service shop {
  format json
  collection sales: Sale
  object Sale {
    saleId: string required key
    amount: date
    total: money
    from: string
    placedAt: datetime
  }
}
EOF
cat >"$tmp/s/books.map" <<'EOF'
service books {
  format json
  object Entry {
    Amount: money required
    From: string
    `from`: string
    Day: date
    Flag: boolean required
  }
}
EOF
if "$MAPC" suggest shop.Sale books.Entry -I "$tmp/s" >"$tmp/t.out" 2>"$tmp/t.err"; then
	if grep -q '^  Amount = `\{0,1\}total`\{0,1\}  # ' "$tmp/t.out" && ! grep -q 'Amount = amount' "$tmp/t.out"; then
		ok "a date never goes into money; money from a synonym"
	else
		ko "money pairing: $(grep Amount "$tmp/t.out")"
	fi
	if grep -q '^  `from` = `from`  # 1\.00 same name$' "$tmp/t.out"; then
		ok "keyword names are quoted"
	else
		ko "keyword quoting: $(grep -i from "$tmp/t.out")"
	fi
	if grep -q '^  Flag = TODO  # required, no match: boolean$' "$tmp/t.out"; then
		ok "required boolean with no match is a TODO with its type"
	else
		ko "Flag TODO missing"
	fi
	fill "$tmp/t.out" >"$tmp/t.filled"
	wrap shop books "$tmp/t.filled" >"$tmp/t.map"
	if "$MAPC" --check -I "$tmp/s" "$tmp/t.map" >"$tmp/t.ck" 2>&1; then
		ok "the -I draft compiles once filled"
	else
		ko "the -I draft: $(head -3 "$tmp/t.ck")"
	fi
else
	ko "suggest with -I: $(head -1 "$tmp/t.err")"
fi

# Errors: an unknown object (with a hint), an unknown service, bad usage.
"$MAPC" suggest clarity_ecommerce.Ordr xero.Invoice >/dev/null 2>"$tmp/e1"
rc=$?
if [ $rc -eq 1 ] && grep -q "did you mean \`Order\`" "$tmp/e1"; then
	ok "unknown object: exit 1 with a suggestion"
else
	ko "unknown object: exit $rc, $(cat "$tmp/e1")"
fi
"$MAPC" suggest nosuch.Order xero.Invoice >/dev/null 2>"$tmp/e2"
rc=$?
if [ $rc -eq 1 ] && grep -q 'no schema for service `nosuch`' "$tmp/e2"; then
	ok "unknown service: exit 1"
else
	ko "unknown service: exit $rc, $(cat "$tmp/e2")"
fi
"$MAPC" suggest clarity_ecommerce.Order >/dev/null 2>&1
rc=$?
if [ $rc -eq 2 ]; then ok "one argument: usage, exit 2"; else ko "one argument: exit $rc"; fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
