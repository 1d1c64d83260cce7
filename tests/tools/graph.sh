#!/bin/sh
# mapc graph: the mapping as a Graphviz picture.
#   - graph of every shipped mapping and every golden ok_*.map is accepted by
#     `dot -Tsvg` (exit 0) and names every entity (a cluster), every table
#     (a node) and, for every `ref E(...)` in the file, a "depends on" edge
#     to entity E;
#   - two runs give the same bytes; --svg gives an SVG, and without dot on
#     PATH a clear error (exit 1);
#   - quotes, backslashes and markup in a tracking category stay text.
# MAPC names the compiler (default bin/mapc).  Prints [PASS]/[FAIL] lines.
cd "$(dirname "$0")/../.." || exit 2
MAPC=${MAPC:-bin/mapc}
case $MAPC in /*) ;; *) MAPC="$PWD/$MAPC" ;; esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { echo "[PASS] graph/$1"; pass=$((pass + 1)); }
ko() { echo "[FAIL] graph/$1"; fail=$((fail + 1)); }

if ! command -v dot >/dev/null 2>&1; then
	ko "dot is not installed (scripts/install-deps installs graphviz)"
	echo "$pass passed, $fail failed"
	exit 1
fi

# The names a .map declares, from its own text: "entity NAME" and
# "table|tracking|dimension NAME", and the entities it refs.
names() {
	sed -n -e 's/^entity[ 	]\{1,\}\([A-Za-z_][A-Za-z0-9_]*\).*/cluster_\1/p' \
		-e 's/^\(table\|tracking\|dimension\)[ 	]\{1,\}\([A-Za-z_][A-Za-z0-9_]*\).*/table\/\2/p' "$1"
}
refs() {
	sed 's/#.*//' "$1" | grep -o 'ref[ 	]\{1,\}[A-Za-z_][A-Za-z0-9_]*' | awk '{ print $2 }' | sort -u
}

for m in mappings/*.map tests/golden/ok_*.map; do
	n=$(basename "$m" .map)
	if ! "$MAPC" graph -I mappings/schemas "$m" >"$tmp/$n.dot" 2>"$tmp/$n.err"; then
		ko "$n: mapc graph failed"; cat "$tmp/$n.err"; continue
	fi
	if dot -Tsvg "$tmp/$n.dot" >"$tmp/$n.svg" 2>"$tmp/$n.doterr" && grep -q '<svg' "$tmp/$n.svg"; then
		ok "$n: dot -Tsvg accepts it"
	else
		ko "$n: dot -Tsvg rejects it"; head -5 "$tmp/$n.doterr"
	fi
	missing=""
	for x in $(names "$m"); do
		grep -q "\"$x\"" "$tmp/$n.dot" || missing="$missing $x"
	done
	nn=$(names "$m" | wc -l)
	if [ -z "$missing" ] && [ "$nn" -gt 0 ]; then
		ok "$n: all $nn entities and tables are drawn"
	else
		ko "$n: not drawn:$missing"
	fi
	missing=""
	for e in $(refs "$m"); do
		grep -q -e "-> \"entity/$e\" \[style=dashed.*depends on" "$tmp/$n.dot" ||
			missing="$missing $e"
	done
	if [ -z "$missing" ]; then
		ok "$n: every ref is a dependency edge ($(refs "$m" | wc -l) entities referenced)"
	else
		ko "$n: no dependency edge to:$missing"
	fi
	"$MAPC" graph -I mappings/schemas "$m" >"$tmp/$n.dot2" 2>/dev/null
	if cmp -s "$tmp/$n.dot" "$tmp/$n.dot2"; then ok "$n: deterministic"; else ko "$n: two runs differ"; fi
done

# Dependency edges agree with the entities' sync order: an edge from a ref in
# entity A to entity B means B is declared (and checked) as a dependency.
dot_edges=$(grep -c 'depends on' "$tmp/clarity_xero.dot")
if [ "$dot_edges" -eq 7 ]; then ok "clarity_xero: 7 refs, 7 dependency edges"
else ko "clarity_xero: $dot_edges dependency edges, want 7 (Order, Refund, Return->Customer;"\
	" Order->Product; Payment->Order, RefundPayment->Refund, ReturnRefund->Return)"; fi

# --svg renders through dot on PATH.
if "$MAPC" graph --svg mappings/clarity_xero.map >"$tmp/x.svg" 2>"$tmp/x.err" &&
   grep -q '<svg' "$tmp/x.svg" && grep -q 'cluster_Order' "$tmp/x.svg"; then
	ok "--svg writes the SVG"
else
	ko "--svg"; cat "$tmp/x.err"
fi
mkdir "$tmp/nopath"
PATH="$tmp/nopath" "$MAPC" graph --svg mappings/clarity_xero.map >"$tmp/y.svg" 2>"$tmp/y.err"
rc=$?
if [ $rc -eq 1 ] && grep -q 'graphviz' "$tmp/y.err" && [ ! -s "$tmp/y.svg" ]; then
	ok "--svg without dot: exit 1, says to install graphviz"
else
	ko "--svg without dot: exit $rc"; cat "$tmp/y.err"
fi

# Hostile text: a category and keys with quotes, backslashes, pipes, markup.
sed -e 's/tracking region "Region"/tracking region "Re\\"gi|on <b>\&amp; \\\\ x"/' \
	-e 's/"eu" => "Europe"/"e\\"u<i>" => "Eu`ro|pe"/' \
	tests/golden/ok_int_keys_tracking_xml.map >"$tmp/hostile.map"
if "$MAPC" graph "$tmp/hostile.map" >"$tmp/h.dot" 2>"$tmp/h.err" &&
   dot -Tsvg "$tmp/h.dot" >"$tmp/h.svg" 2>>"$tmp/h.err" &&
   grep -q -F 'tracking \"Re\\\"gi|on <b>&amp;amp; \\\\ x\"' "$tmp/h.dot" &&
   grep -q -F 'tracking &quot;Re\&quot;gi|on &lt;b&gt;&amp;amp; \\ x&quot;' "$tmp/h.svg"; then
	ok "quotes, backslashes and markup in names are escaped"
else
	ko "hostile names"; cat "$tmp/h.err"; grep -n 'region' "$tmp/h.dot" | head -3
fi

# A mapping with an error is reported, nothing is drawn.
printf 'pair p {\n' >"$tmp/bad.map"
"$MAPC" graph "$tmp/bad.map" >"$tmp/bad.dot" 2>"$tmp/bad.err"
rc=$?
if [ $rc -eq 1 ] && [ ! -s "$tmp/bad.dot" ] && grep -q 'error' "$tmp/bad.err"; then
	ok "a broken mapping: exit 1, no output"
else
	ko "a broken mapping: exit $rc"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
