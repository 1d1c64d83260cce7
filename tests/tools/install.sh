#!/bin/sh
# make install: into a temporary PREFIX, and again with DESTDIR; the
# binaries are the build's (byte for byte) and run, the man pages are
# where man finds them, each pair's page is mapwright-pair.1, and both
# pages render with groff -ww with no warnings (skipped with a note when
# groff/man are not installed).  O and BIN: the build (default build, bin),
# already built.
cd "$(dirname "$0")/../.." || exit 2
O=${O:-build}
BIN=${BIN:-bin}
PAIRS="clarity_xero clarity_intacct nopcommerce_qbo"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
ok() { echo "[PASS] install: $1"; pass=$((pass + 1)); }
# Install the build under test as it is: -o keeps make from rebuilding it
# (the suite runs after the build, with its own flags).
old="-o $BIN/mapc"
for p in $PAIRS; do old="$old -o $BIN/$p"; done
ko() { echo "[FAIL] install: $1"; fail=$((fail + 1)); }

if make -s O="$O" BIN="$BIN" $old install PREFIX="$tmp/p" >"$tmp/log" 2>&1; then
	ok "make install PREFIX=$tmp/p"
else
	ko "make install PREFIX: $(tail -3 "$tmp/log")"
fi
for b in mapc $PAIRS; do
	f="$tmp/p/bin/$b"
	if [ -x "$f" ] && cmp -s "$f" "$BIN/$b"; then
		ok "bin/$b installed, executable, the build's"
	else
		ko "bin/$b missing, not executable or not the build's"
	fi
done
if "$tmp/p/bin/mapc" --version 2>&1 | grep -q '^mapc [0-9]'; then
	ok "installed mapc runs"
else
	ko "installed mapc --version: $("$tmp/p/bin/mapc" --version 2>&1)"
fi
if "$tmp/p/bin/clarity_xero" --help 2>&1 | grep -q 'transform ENTITY'; then
	ok "installed clarity_xero runs"
else
	ko "installed clarity_xero --help"
fi
man1="$tmp/p/share/man/man1"
for m in mapc mapwright-pair; do
	if [ -f "$man1/$m.1" ] && [ ! -L "$man1/$m.1" ] && cmp -s "$man1/$m.1" "docs/man/$m.1"; then
		ok "man1/$m.1 installed"
	else
		ko "man1/$m.1 missing or not docs/man/$m.1"
	fi
done
for p in $PAIRS; do
	if [ -e "$man1/$p.1" ] && cmp -s "$man1/$p.1" docs/man/mapwright-pair.1; then
		ok "man1/$p.1 is the pair page"
	else
		ko "man1/$p.1 missing or not the pair page"
	fi
done

# DESTDIR: staged under it, nothing in PREFIX itself
if make -s O="$O" BIN="$BIN" $old install DESTDIR="$tmp/d" PREFIX=/opt/mw >"$tmp/log" 2>&1 &&
   [ -x "$tmp/d/opt/mw/bin/mapc" ] && [ -x "$tmp/d/opt/mw/bin/nopcommerce_qbo" ] &&
   [ -f "$tmp/d/opt/mw/share/man/man1/mapc.1" ] && [ -e "$tmp/d/opt/mw/share/man/man1/clarity_intacct.1" ] &&
   [ ! -e /opt/mw/bin/mapc ]; then
	ok "make install DESTDIR=... PREFIX=/opt/mw stages under DESTDIR"
else
	ko "DESTDIR install: $(tail -3 "$tmp/log")"
fi

# The pages: groff without warnings, man finds them by name in the PREFIX.
if command -v groff >/dev/null 2>&1; then
	for m in docs/man/mapc.1 docs/man/mapwright-pair.1; do
		if groff -man -Tutf8 -ww -z "$m" >"$tmp/gw" 2>&1 && [ ! -s "$tmp/gw" ]; then
			ok "groff -man -ww: $m has no warnings"
		else
			ko "groff -man -ww $m: $(head -3 "$tmp/gw")"
		fi
	done
else
	echo "note: groff is not installed; the man page warning check is skipped"
fi
if command -v man >/dev/null 2>&1; then
	if MANPATH="$tmp/p/share/man" MANWIDTH=80 man -P cat clarity_xero 2>/dev/null |
		grep -q 'run --once'; then
		ok "man clarity_xero finds the pair page in PREFIX"
	else
		ko "man clarity_xero with MANPATH=PREFIX/share/man"
	fi
	# every subcommand and option of mapc's usage is in its page
	missing=
	n=0
	for w in $("$BIN/mapc" --help 2>&1 | grep -oE -- '--?[a-zA-Z][a-zA-Z=-]*|^ +mapc [a-z]+|mapc [a-z]+ ' |
		sed 's/^ *mapc //; s/ $//; s/=.*//' | sort -u); do
		MANWIDTH=200 man -l docs/man/mapc.1 2>/dev/null | grep -q -- "$w" || missing="$missing $w"
		n=$((n + 1))
	done
	if [ "$n" -lt 8 ]; then ko "only $n words read from mapc --help"; elif [ -z "$missing" ]; then ok "mapc.1 covers every word of mapc --help's usage"; else
		ko "mapc.1 lacks:$missing"; fi
	missing=
	n=0
	for w in $("$BIN/clarity_xero" --help 2>&1 | grep -oE -- '--[a-z][a-z-]*|^ +(transform|run|status|serve|dlq)' |
		sed 's/^ *//' | sort -u); do
		MANWIDTH=200 man -l docs/man/mapwright-pair.1 2>/dev/null | grep -q -- "$w" || missing="$missing $w"
		n=$((n + 1))
	done
	if [ "$n" -lt 8 ]; then ko "only $n words read from the pair's --help"; elif [ -z "$missing" ]; then ok "mapwright-pair.1 covers every option of the pair's --help"; else
		ko "mapwright-pair.1 lacks:$missing"; fi
else
	echo "note: man is not installed; the man lookups are skipped"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
