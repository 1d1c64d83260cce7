#!/bin/sh
# Generated names are never cut into one: a mapping whose names are long (two
# source fields, two target fields with run-time rules, two nested target
# paths and two entities sharing a first 200 bytes, two nested loop variables,
# an entity of 200 bytes with sums, refs and webhooks) compiles, and its C
# compiles under -std=c11 -Wall -Wextra -Werror with each name still whole.
# Names made of names stay apart too (A_b.c and A.b_c, rule X_values, the
# lifecycle data of E and the lifecycle function of E_arms).
# (Names were cut at 160 or 200 bytes: two accessors, rules or sum helpers
# became one function, a loop variable cut at 63 bytes hid the outer one.)
# MAPC names the compiler (default bin/mapc).  Prints [PASS]/[FAIL] lines.
cd "$(dirname "$0")/../.." || exit 2
MAPC=${MAPC:-bin/mapc}
case $MAPC in /*) ;; *) MAPC="$PWD/$MAPC" ;; esac
CC=${CC:-cc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { echo "[PASS] names/$1"; pass=$((pass + 1)); }
ko() { echo "[FAIL] names/$1"; fail=$((fail + 1)); }
# compiles NAME: mapc compiles $tmp/NAME.map, cc its C under -Werror
compiles() {
	"$MAPC" -o "$tmp/$1.c" "$tmp/$1.map" 2>"$tmp/err" &&
	$CC -std=c11 -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L \
		-Iruntime/include -fsyntax-only "$tmp/$1.c" 2>"$tmp/cc"
}

# P: 200 bytes every long name starts with
P=$(awk 'BEGIN { for (i = 0; i < 20; i++) printf "abcdefghij" }')
cat > "$tmp/long.map" <<EOF
service shop {
  collection orders: Order
  object Order {
    id: string required key
    ${P}_one: string
    ${P}_two: string
    lines: [Line]
  }
  object Line { qty: decimal  price: money }
}
service books {
  collection Invoices: Invoice
  collection Contacts: Contact
  object Invoice {
    Number: string required
    Contact: string
    ${P}_One: string max 20
    ${P}_Two: string max 20
    Deep: Nest
    Total: money
    Count: decimal
    Lines: [Item]
  }
  object Nest { ${P}_A: Inner  ${P}_B: Inner }
  object Inner { V: string }
  object Item { Qty: decimal  Subs: [Sub] }
  object Sub { Q: decimal }
  object Contact { Name: string }
}
pair long_names {
  source shop: shop { base_url = env("SHOP_URL") }
  target books: books { base_url = env("BOOKS_URL") }
}
entity ${P}_c: shop.orders -> books.Contact key id { Name = id }
entity ${P}_e: shop.orders -> books.Invoice key id on webhook "order.created" {
  Number = id
  Contact = ref ${P}_c(id)
  ${P}_One = ${P}_one ++ "-"
  ${P}_Two = ${P}_two ++ "-"
  Deep = { ${P}_A = { V = ${P}_one }  ${P}_B = { V = ${P}_two } }
  Total = sum(lines, qty * price)
  Count = sum(lines, qty)
  Lines = [for ${P}_v in lines { Qty = ${P}_v.qty  Subs = [for ${P}_w in lines { Q = ${P}_v.qty }] }]
}
EOF
if "$MAPC" -o "$tmp/long.c" "$tmp/long.map" 2>"$tmp/err"; then
	ok "mapc-accepts"
else
	ko "mapc-accepts: $(head -3 "$tmp/err")"
fi
if [ -s "$tmp/long.c" ] && $CC -std=c11 -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L \
	-Iruntime/include -fsyntax-only "$tmp/long.c" 2>"$tmp/cc"; then
	ok "c-compiles-under-Werror"
else
	ko "c-compiles-under-Werror: $(grep -m3 error "$tmp/cc")"
fi
# every name whole: the accessors, rules, helpers, places and lists
missing=
for n in "in_Order_${P}_one" "in_Order_${P}_two" "rule_Invoice_${P}_One" "rule_Invoice_${P}_Two" \
	"${P}_e_sum1" "${P}_e_sum2" "it_v_${P}_v[0-9]" "it_v_${P}_w[0-9]" "${P}_e_deps" "${P}_e_webhooks" \
	"AT_${P}_e_Deep_${P}_A_V" "AT_${P}_e_Deep_${P}_B_V"; do
	grep -q "$n\\b" "$tmp/long.c" 2>/dev/null || missing="$missing $(echo "$n" | sed "s/$P/P/g")"
done
if [ -z "$missing" ]; then
	ok "names-whole"
else
	ko "names-whole: no$missing (P: the 200-byte prefix)"
fi

# names made of names: an object A_b's field c and A's field b_c; a rule's
# list of values (rule_Invoice_M_values) and the rule of a field M_values
cat > "$tmp/joined.map" <<EOF
service shop {
  collection orders: A
  object A { id: string required key  b_c: string  b: A_b  x: string }
  object A_b { c: string }
}
service books {
  collection Invoices: Invoice
  object Invoice { Number: string required  M: string enum("a", "b")  M_values: string max 5 }
}
pair joined {
  source shop: shop { base_url = env("SHOP_URL") }
  target books: books { base_url = env("BOOKS_URL") }
}
entity E: shop.orders -> books.Invoice key id {
  Number = id
  M = b_c ++ b.c
  M_values = x ++ "a"
}
EOF
if compiles joined; then
	ok "joined-names-distinct"
else
	ko "joined-names-distinct: $(cat "$tmp/err"; grep -m3 error "$tmp/cc")"
fi

# entities E, E_arms and E_table, each with a lifecycle: E's arms and table
# are not the functions life_E_arms and life_E_table
{
	sed -n '/^service shop/,/^pair/p' "$tmp/joined.map" | sed '$d'
	cat <<EOF
pair lives {
  source shop: shop { base_url = env("SHOP_URL") }
  target books: books { base_url = env("BOOKS_URL") }
}
entity E: shop.orders -> books.Invoice key id { Number = id
  lifecycle x { "a" => void  else => write } }
entity E_arms: shop.orders -> books.Invoice key id { Number = id  lifecycle x { else => write } }
entity E_table: shop.orders -> books.Invoice key id { Number = id  lifecycle x { else => keep } }
EOF
} > "$tmp/lives.map"
if compiles lives; then
	ok "lifecycle-names-distinct"
else
	ko "lifecycle-names-distinct: $(cat "$tmp/err"; grep -m3 error "$tmp/cc")"
fi
echo "names: $pass passed, $fail failed"
[ $fail -eq 0 ]
