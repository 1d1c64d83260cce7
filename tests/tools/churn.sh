#!/bin/sh
# Churn: the diff of the generated C is the size of the .map change.  For
# each shipped mapping, in a temporary directory:
#   (a) a comment line inserted near the top (every later .map line moves):
#       at most 1 hunk, the .map lines at the end of the file;
#   (b) a table entry added on its own line to an existing table:
#       at most 3 hunks (the entries, then the lines at the end);
#   (c) one mapping line made to write another valid target field (the
#       rule-free choices below): at most 3 hunks (the place's name in the
#       enum, its statement, its line at the end);
# and no line of the generated C (shipped and golden mappings, and each
# edit above) is wider than 100 columns, tabs of 8.
# MAPC names the compiler (default bin/mapc).  Prints [PASS]/[FAIL] lines.
cd "$(dirname "$0")/../.." || exit 2
MAPC=${MAPC:-bin/mapc}
case $MAPC in /*) ;; *) MAPC="$PWD/$MAPC" ;; esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/a" "$tmp/b" "$tmp/c" # the edited copies keep their names: the C quotes them
pass=0 fail=0
ok() { echo "[PASS] churn/$1"; pass=$((pass + 1)); }
ko() { echo "[FAIL] churn/$1"; fail=$((fail + 1)); }

# hunks OLD NEW: the number of `diff -u` hunks between two files
hunks() { diff -u "$1" "$2" | grep -c '^@@'; }
# wide FILE: its lines wider than 100 columns (tabs of 8), as FILE:LINE: N
wide() {
	awk -v f="$1" '{ l = $0; gsub(/\t/, "        ", l)
		if (length(l) > 100) print f ":" FNR ": " length(l) " columns" }' "$1"
}
gen() { "$MAPC" -I mappings/schemas -o "$2" "$1" 2>"$tmp/err" || { cat "$tmp/err"; return 1; }; }

# check NAME KIND MAX FILE.map EDITED.map
check() {
	n=$1 kind=$2 max=$3
	if cmp -s "$4" "$5"; then
		ko "$n/$kind: the edit did not apply"; return
	fi
	if ! gen "$5" "$tmp/$n.$kind.c"; then
		ko "$n/$kind: mapc failed on the edited .map"; return
	fi
	h=$(hunks "$tmp/$n.c" "$tmp/$n.$kind.c")
	w=$(wide "$tmp/$n.$kind.c")
	if [ "$h" -ge 1 ] && [ "$h" -le "$max" ] && [ -z "$w" ]; then
		ok "$n/$kind ($h hunks, at most $max)"
	else
		ko "$n/$kind: $h hunks, at most $max ${w:+; wider than 100: $w}"
		diff -u "$tmp/$n.c" "$tmp/$n.$kind.c" | head -40
	fi
}

for n in clarity_xero clarity_intacct nopcommerce_qbo; do
	m=mappings/$n.map
	if ! gen "$m" "$tmp/$n.c"; then
		ko "$n: mapc failed"; continue
	fi
	w=$(wide "$tmp/$n.c")
	if [ -z "$w" ]; then ok "$n/width"; else ko "$n/width: $w"; fi

	# (a) a comment after the first line
	sed '1a\
# churn: a comment near the top' "$m" > "$tmp/a/$n.map"
	check "$n" comment 1 "$m" "$tmp/a/$n.map"

	# (b) an entry on its own line, after an existing one; (c) a field renamed
	case $n in
	clarity_xero)
		# (a GL table: a status table's new key needs a lifecycle action too)
		sed '/^  "paypal"     => "092"$/a\
  "klarna"     => "094"' "$m" > "$tmp/b/$n.map"
		sed 's/^  DueDate = date(orderDate)$/  ExpectedPaymentDate = date(orderDate)/' \
			"$m" > "$tmp/c/$n.map" ;;
	clarity_intacct)
		sed '/^  "paypal" => "1020"  "giftcard" => "2300"$/a\
  "klarna" => "1030"' "$m" > "$tmp/b/$n.map"
		sed 's/^  referenceno = orderId$/  externalid = orderId/' "$m" > "$tmp/c/$n.map" ;;
	nopcommerce_qbo)
		sed '/^  "Payments.Square"          => "3"$/a\
  "Payments.Stripe"          => "3"' "$m" > "$tmp/b/$n.map"
		sed 's/^  PrimaryPhone = {/  Mobile = {/' "$m" > "$tmp/c/$n.map" ;;
	esac
	check "$n" table-entry 3 "$m" "$tmp/b/$n.map"
	check "$n" field-renamed 3 "$m" "$tmp/c/$n.map"
done

# the golden cases' C stays within the width too
for m in tests/golden/ok_*.map; do
	n=$(basename "$m" .map)
	if gen "$m" "$tmp/$n.c" && w=$(wide "$tmp/$n.c") && [ -z "$w" ]; then
		ok "golden/$n/width"
	else
		ko "golden/$n/width: $w"
	fi
done
echo "churn: $pass passed, $fail failed"
[ $fail -eq 0 ]
