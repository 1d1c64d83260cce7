#!/bin/sh
# mapc fmt: the canonical layout of .map files.
#   - fmt of every shipped mapping and schema and of every golden ok_*.map is
#     idempotent, keeps every comment (count and text) and every token, and
#     the C mapc writes is the same before and after (line numbers aside);
#   - the layout does not depend on the input's indentation or blank lines;
#   - --check writes nothing, lists the files that would change, exits 1;
#     without it files are rewritten in place (mode kept, no temp file left);
#   - without FILE (or for -) standard input goes to standard output in the
#     canonical layout, errors name <stdin>, --check exits 1 if it would change;
#   - a file with a syntax error is reported and not touched (exit 1);
#   - CRLF line ends and a UTF-8 byte-order mark are read and normalised.
# MAPC names the compiler (default bin/mapc).  Prints [PASS]/[FAIL] lines.
cd "$(dirname "$0")/../.." || exit 2
MAPC=${MAPC:-bin/mapc}
case $MAPC in /*) ;; *) MAPC="$PWD/$MAPC" ;; esac
ROOT=$PWD
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { echo "[PASS] fmt/$1"; pass=$((pass + 1)); }
ko() { echo "[FAIL] fmt/$1"; fail=$((fail + 1)); }

# The comments of a .map file, one a line: from a `#` outside a string to
# the end of the line, trailing blanks and CR dropped.
comments() {
	awk '{
		s = 0
		for (i = 1; i <= length($0); i++) {
			c = substr($0, i, 1)
			if (s) { if (c == "\\") i++; else if (c == "\"") s = 0 }
			else if (c == "\"") s = 1
			else if (c == "#") { t = substr($0, i); sub(/[ \t\r]+$/, "", t); print t; break }
		}
	}' "$1"
}
# The tokens as the lexer reads them, without their positions.
tokens() { "$MAPC" --dump=tokens "$1" | sed 's/^[^:]*:[0-9]*:[0-9]*: //'; }
# Generated C without the .map line numbers it holds (at its end).
noline() {
	sed -e 's/\] = [0-9][0-9]*,$/] = L,/' -e 's/\.line = [0-9][0-9]*/.line = L/g' "$1"
}

# ---- the shipped mappings, the schemas and the golden inputs -------------
mkdir -p "$tmp/orig/schemas" "$tmp/fmt/schemas" "$tmp/fmt2/schemas" "$tmp/gorig" "$tmp/gfmt" \
	"$tmp/gfmt2"
cp mappings/*.map "$tmp/orig/"; cp mappings/schemas/*.map "$tmp/orig/schemas/"
cp mappings/*.map "$tmp/fmt/"; cp mappings/schemas/*.map "$tmp/fmt/schemas/"
cp tests/golden/ok_*.map "$tmp/gorig/"; cp tests/golden/ok_*.map "$tmp/gfmt/"
(cd "$tmp/fmt" && "$MAPC" fmt *.map schemas/*.map) || ko "format shipped (exit $?)"
(cd "$tmp/gfmt" && "$MAPC" fmt ok_*.map) || ko "format golden (exit $?)"
cp "$tmp/fmt/"*.map "$tmp/fmt2/"; cp "$tmp/fmt/schemas/"*.map "$tmp/fmt2/schemas/"
cp "$tmp/gfmt/"*.map "$tmp/gfmt2/"
(cd "$tmp/fmt2" && "$MAPC" fmt *.map schemas/*.map && cd "$tmp/gfmt2" && "$MAPC" fmt ok_*.map)

for f in $(cd "$tmp/orig" && ls *.map schemas/*.map) $(cd "$tmp/gorig" && ls ok_*.map | sed 's|^|g/|'); do
	case $f in
	g/*) n=${f#g/}; o="$tmp/gorig/$n"; x="$tmp/gfmt/$n"; y="$tmp/gfmt2/$n" ;;
	*) n=$f; o="$tmp/orig/$n"; x="$tmp/fmt/$n"; y="$tmp/fmt2/$n" ;;
	esac
	if cmp -s "$x" "$y" && "$MAPC" fmt --check "$x" >"$tmp/out" && [ ! -s "$tmp/out" ]; then
		ok "idempotent $f"
	else
		ko "idempotent $f"; diff -u "$x" "$y" | head -20
	fi
	comments "$o" >"$tmp/c1"; comments "$x" >"$tmp/c2"
	if cmp -s "$tmp/c1" "$tmp/c2"; then
		ok "comments kept $f ($(wc -l <"$tmp/c1") comments)"
	else
		ko "comments kept $f"; diff -u "$tmp/c1" "$tmp/c2" | head -20
	fi
	tokens "$o" >"$tmp/t1"; tokens "$x" >"$tmp/t2"
	if [ -s "$tmp/t1" ] && cmp -s "$tmp/t1" "$tmp/t2"; then
		ok "tokens kept $f"
	else
		ko "tokens kept $f"; diff -u "$tmp/t1" "$tmp/t2" | head -20
	fi
	# the layout is the formatter's: no indentation, stray blanks and blank
	# lines, and trailing white space give the same file
	sed -e 's/^[ \t]*//' -e 's/$/  /' -e 's/^  $/\n\n/' "$o" >"$tmp/mangled.map"
	"$MAPC" fmt "$tmp/mangled.map"
	if cmp -s "$tmp/mangled.map" "$x"; then
		ok "canonical $f"
	else
		ko "canonical $f"; diff -u "$x" "$tmp/mangled.map" | head -20
	fi
done

# The same C before and after, for each pair (formatted schemas too) and each
# golden case (against the shipped schemas).
for m in "$tmp/orig/"*.map; do
	n=$(basename "$m" .map)
	if "$MAPC" -o "$tmp/orig/$n.c" "$m" && "$MAPC" -o "$tmp/fmt/$n.c" "$tmp/fmt/$n.map" &&
	   noline "$tmp/orig/$n.c" >"$tmp/c1" && noline "$tmp/fmt/$n.c" >"$tmp/c2" &&
	   [ -s "$tmp/c1" ] && cmp -s "$tmp/c1" "$tmp/c2"; then
		ok "same C $n"
	else
		ko "same C $n"; diff -u "$tmp/c1" "$tmp/c2" | head -20
	fi
done
for m in "$tmp/gorig/"ok_*.map; do
	n=$(basename "$m" .map)
	if "$MAPC" -I mappings/schemas -o "$tmp/gorig/$n.c" "$m" &&
	   "$MAPC" -I mappings/schemas -o "$tmp/gfmt/$n.c" "$tmp/gfmt/$n.map" &&
	   noline "$tmp/gorig/$n.c" >"$tmp/c1" && noline "$tmp/gfmt/$n.c" >"$tmp/c2" &&
	   [ -s "$tmp/c1" ] && cmp -s "$tmp/c1" "$tmp/c2"; then
		ok "same C golden/$n"
	else
		ko "same C golden/$n"; diff -u "$tmp/c1" "$tmp/c2" | head -20
	fi
done

# ---- --check and in-place rewriting --------------------------------------
d="$tmp/check"
mkdir -p "$d"
cp "$tmp/fmt/clarity_xero.map" "$d/tidy.map"
cp tests/golden/ok_basic.map "$d/messy1.map"
sed 's/^[ \t]*//' mappings/clarity_xero.map >"$d/messy2.map"
cp "$d/messy1.map" "$d/messy1.orig"; cp "$d/messy2.map" "$d/messy2.orig"
cp "$d/tidy.map" "$d/tidy.orig"
(cd "$d" && "$MAPC" fmt --check tidy.map messy1.map messy2.map >out 2>err)
rc=$?
printf 'messy1.map\nmessy2.map\n' >"$d/want"
if [ $rc -eq 1 ] && cmp -s "$d/out" "$d/want" && [ ! -s "$d/err" ] &&
   cmp -s "$d/messy1.map" "$d/messy1.orig" && cmp -s "$d/messy2.map" "$d/messy2.orig" &&
   cmp -s "$d/tidy.map" "$d/tidy.orig"; then
	ok "--check lists the files that would change, exit 1, writes nothing"
else
	ko "--check lists the files that would change (exit $rc)"; cat "$d/out" "$d/err"
fi
(cd "$d" && "$MAPC" fmt --check tidy.map >out 2>&1)
rc=$?
if [ $rc -eq 0 ] && [ ! -s "$d/out" ]; then
	ok "--check on a formatted file: exit 0, silent"
else
	ko "--check on a formatted file (exit $rc)"; cat "$d/out"
fi
chmod 640 "$d/messy1.map"
(cd "$d" && "$MAPC" fmt tidy.map messy1.map messy2.map >out 2>&1)
rc=$?
if [ $rc -eq 0 ] && [ ! -s "$d/out" ] && cmp -s "$d/messy1.map" "$tmp/gfmt/ok_basic.map" &&
   cmp -s "$d/messy2.map" "$tmp/fmt/clarity_xero.map" && cmp -s "$d/tidy.map" "$d/tidy.orig" &&
   [ "$(stat -c %a "$d/messy1.map")" = 640 ] && [ -z "$(ls "$d" | grep fmt-)" ]; then
	ok "rewrites in place: exit 0, mode kept, no temporary file left"
else
	ko "rewrites in place (exit $rc)"; cat "$d/out"; ls -l "$d"
fi
"$MAPC" fmt - - </dev/null >/dev/null 2>&1
rc1=$?
"$MAPC" fmt --frobnicate "$d/tidy.map" >/dev/null 2>&1
rc2=$?
if [ $rc1 -eq 2 ] && [ $rc2 -eq 2 ]; then
	ok "usage errors exit 2"
else
	ko "usage errors exit 2 (got $rc1, $rc2)"
fi

# ---- standard input to standard output, as editors call it ---------------
d="$tmp/stdin"
mkdir -p "$d"
cp "$tmp/check/messy1.orig" "$d/messy.map"
for args in "" "-"; do
	"$MAPC" fmt $args <"$d/messy.map" >"$d/out" 2>"$d/err"
	rc=$?
	if [ $rc -eq 0 ] && cmp -s "$d/out" "$tmp/gfmt/ok_basic.map" && [ ! -s "$d/err" ] &&
	   cmp -s "$d/messy.map" "$tmp/check/messy1.orig"; then
		ok "stdin (fmt ${args:-without FILE}): the canonical text on stdout, exit 0"
	else
		ko "stdin (fmt ${args:-without FILE}) (exit $rc)"; head -5 "$d/err"
	fi
done
"$MAPC" fmt <"$tmp/gfmt/ok_basic.map" >"$d/out" 2>&1
if [ $? -eq 0 ] && cmp -s "$d/out" "$tmp/gfmt/ok_basic.map"; then
	ok "stdin: canonical text comes back unchanged"
else
	ko "stdin: canonical text comes back unchanged"
fi
"$MAPC" fmt --check <"$d/messy.map" >"$d/out" 2>"$d/err"
rc1=$?
"$MAPC" fmt --check - <"$tmp/gfmt/ok_basic.map" >"$d/out2" 2>>"$d/err"
rc2=$?
if [ $rc1 -eq 1 ] && [ "$(cat "$d/out")" = "<stdin>" ] && [ $rc2 -eq 0 ] && [ ! -s "$d/out2" ] &&
   [ ! -s "$d/err" ]; then
	ok "stdin --check: exit 1 (listed as <stdin>) when not canonical, 0 and silent when it is"
else
	ko "stdin --check (exit $rc1, $rc2)"; cat "$d/out" "$d/err"
fi
printf 'pair p {\n  source shop: shop {\n' | "$MAPC" fmt >"$d/out" 2>"$d/err"
rc=$?
if [ $rc -eq 1 ] && [ ! -s "$d/out" ] &&
   grep -q '^<stdin>:3:1: error\[E011\]: unexpected end of file' "$d/err" &&
   grep -q '^<stdin>:2:21: note: ' "$d/err"; then
	ok "stdin with a syntax error: <stdin>:line:col: on stderr, nothing on stdout, exit 1"
else
	ko "stdin with a syntax error (exit $rc)"; cat "$d/out" "$d/err"
fi
cp "$d/messy.map" "$d/file.map"
if (cd "$d" && "$MAPC" fmt file.map - <messy.map >out 2>err) &&
   cmp -s "$d/out" "$tmp/gfmt/ok_basic.map" && cmp -s "$d/file.map" "$tmp/gfmt/ok_basic.map"; then
	ok "a FILE and - together: the file in place, stdin to stdout"
else
	ko "a FILE and - together"; cat "$d/err"
fi

# ---- a syntax error leaves the file alone --------------------------------
d="$tmp/syntax"
mkdir -p "$d"
sed 's/^table payment_account {/table payment_account {{/' mappings/clarity_xero.map >"$d/bad.map"
sed -i 's/^  "visa"  /  "visa" /' "$d/bad.map"
cp "$d/bad.map" "$d/bad.orig"
cp tests/golden/ok_basic.map "$d/good.map"
for opt in "" --check; do
	(cd "$d" && "$MAPC" fmt $opt bad.map good.map >out 2>err)
	rc=$?
	if [ $rc -eq 1 ] && cmp -s "$d/bad.map" "$d/bad.orig" &&
	   grep -Eq '^bad\.map:[0-9]+:[0-9]+: error(\[E[0-9]+\])?: ' "$d/err" &&
	   ! grep -q 'good' "$d/err" && ! grep -q '^bad' "$d/out"; then
		ok "syntax error ${opt:-(rewrite)}: reported, file untouched, exit 1"
	else
		ko "syntax error ${opt:-(rewrite)} (exit $rc)"; cat "$d/err" "$d/out"
	fi
done
if cmp -s "$d/good.map" "$tmp/gfmt/ok_basic.map"; then
	ok "syntax error in one file: the others are still formatted"
else
	ko "syntax error in one file: the others are still formatted"
fi
printf 'table t {\n  "a" => "b"\n  "c" => "unterminated\n}\n' >"$d/lex.map"
cp "$d/lex.map" "$d/lex.orig"
"$MAPC" fmt "$d/lex.map" 2>"$d/err"
rc=$?
if [ $rc -eq 1 ] && cmp -s "$d/lex.map" "$d/lex.orig" &&
   grep -Eq 'lex\.map:3:10: error(\[E[0-9]+\])?: unterminated string' "$d/err"; then
	ok "lexical error: reported, file untouched, exit 1"
else
	ko "lexical error (exit $rc)"; cat "$d/err"
fi

# ---- CRLF and a byte-order mark ------------------------------------------
d="$tmp/crlf"
mkdir -p "$d"
sed 's/$/\r/' mappings/nopcommerce_qbo.map >"$d/crlf.map"
printf '\357\273\277' | cat - mappings/nopcommerce_qbo.map >"$d/bom.map"
printf '\357\273\277' | cat - "$d/crlf.map" >"$d/both.map"
"$MAPC" fmt --check "$d/crlf.map" "$d/bom.map" "$d/both.map" >"$d/out"
rc=$?
if [ $rc -eq 1 ] && [ "$(wc -l <"$d/out")" -eq 3 ]; then
	ok "CRLF and BOM files are not canonical (--check lists them)"
else
	ko "CRLF and BOM files are not canonical (exit $rc)"; cat "$d/out"
fi
"$MAPC" fmt "$d/crlf.map" "$d/bom.map" "$d/both.map"
rc=$?
good=1
for n in crlf bom both; do
	cmp -s "$d/$n.map" "$tmp/fmt/nopcommerce_qbo.map" || good=0
done
if [ $rc -eq 0 ] && [ $good -eq 1 ] && ! grep -q "$(printf '\r')" "$d/crlf.map"; then
	ok "CRLF and BOM: formatted to the LF file without a mark, comments intact"
else
	ko "CRLF and BOM (exit $rc)"; diff "$tmp/fmt/nopcommerce_qbo.map" "$d/both.map" | head
fi
mkdir -p "$d/schemas"
cp mappings/schemas/*.map "$d/schemas/"
cp mappings/nopcommerce_qbo.map "$d/"
if "$MAPC" -o "$d/a.c" "$d/nopcommerce_qbo.map" && "$MAPC" -o "$d/b.c" "$d/both.map" &&
   sed 's/both\.map/nopcommerce_qbo.map/g' "$d/b.c" | cmp -s - "$d/a.c"; then
	ok "CRLF and BOM: the formatted file compiles to the same C"
else
	ko "CRLF and BOM: the formatted file compiles to the same C"
fi

echo "fmt: $pass passed, $fail failed"
[ $fail -eq 0 ]
