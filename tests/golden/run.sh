#!/bin/sh
# Golden compiler tests, one case per file pair (as cproc's runtests):
#   NAME.map + NAME.c    mapc must write exactly NAME.c, and it must compile
#   NAME.map + NAME.err  mapc must fail (exit 1) printing exactly NAME.err
# Paths in messages are relative to tests/golden.  `make regen` rewrites
# the expectations; review that diff like code.
cd "$(dirname "$0")" || exit 2
MAPC=${MAPC:-../../bin/mapc}
case $MAPC in /*) ;; *) MAPC="$PWD/$MAPC" ;; esac
SCHEMAS="$PWD/../../mappings/schemas"
CC=${CC:-cc}
# a case that does not end in 10 s fails (a schema graph once made mapc loop)
TO=
command -v timeout >/dev/null 2>&1 && TO="timeout 10"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
for m in *.map; do
	n=${m%.map}
	if [ -f "$n.c" ]; then
		if $TO "$MAPC" -I ../../mappings/schemas -o "$tmp/$n.c" "$m" 2>"$tmp/$n.log" &&
		   cmp -s "$tmp/$n.c" "$n.c" &&
		   $CC -std=c11 -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L -I../../runtime/include \
			-fsyntax-only "$n.c" 2>>"$tmp/$n.log"; then
			echo "[PASS] golden/$n"; pass=$((pass + 1))
		else
			echo "[FAIL] golden/$n"; fail=$((fail + 1))
			cat "$tmp/$n.log"; diff -u "$n.c" "$tmp/$n.c" 2>/dev/null | head -40
		fi
	elif [ -f "$n.err" ]; then
		$TO "$MAPC" -I ../../mappings/schemas -o "$tmp/$n.c" "$m" 2>"$tmp/$n.err"
		rc=$?
		if [ $rc -eq 1 ] && cmp -s "$tmp/$n.err" "$n.err"; then
			echo "[PASS] golden/$n"; pass=$((pass + 1))
		else
			echo "[FAIL] golden/$n (exit $rc)"; fail=$((fail + 1))
			diff -u "$n.err" "$tmp/$n.err" | head -40
		fi
	else
		echo "[FAIL] golden/$n: no $n.c or $n.err"; fail=$((fail + 1))
	fi
done
# Determinism: the same input compiled in two directories gives equal bytes.
mkdir -p "$tmp/a" "$tmp/b"
for m in ok_*.map; do
	cp "$m" "$tmp/a/"; cp "$m" "$tmp/b/"
done
ok=1
for m in ok_*.map; do
	(cd "$tmp/a" && "$MAPC" -I "$SCHEMAS" -o x.c "$m") &&
	(cd "$tmp/b" && "$MAPC" -I "$SCHEMAS" -o x.c "$m") &&
	cmp -s "$tmp/a/x.c" "$tmp/b/x.c" || ok=0
done
if [ $ok -eq 1 ]; then
	echo "[PASS] golden/deterministic"; pass=$((pass + 1))
else
	echo "[FAIL] golden/deterministic"; fail=$((fail + 1))
fi
echo "golden: $pass passed, $fail failed"
[ $fail -eq 0 ]
