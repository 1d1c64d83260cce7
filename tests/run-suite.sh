#!/bin/sh
# The suite over one build (O=build or O=build-asan): unit tests, golden
# compiler tests, transform fixtures, the sandbox, end to end sync of each
# pair against the sandbox, generated/ freshness.  Each part prints
# [PASS]/[FAIL] lines; this script counts them.
#
# The parts run in lanes: JOBS (default 2) for the sandbox, wire and e2e
# scripts, which mostly wait on sleeps and the loopback, and one more for
# the rest, which is CPU work (not niced: on a busy machine a niced lane
# hardly runs).  Each part writes to its own file, printed whole and in
# the list's order, so the log reads the same whatever finishes first.  A
# part that exits non-zero without a [FAIL] line gets one.  TIMES=FILE
# appends "SECONDS O PART" for each part.
cd "$(dirname "$0")/.." || exit 2
O=${O:-build}
BIN=${BIN:-bin}
JOBS=${JOBS:-2}
[ "$JOBS" -ge 1 ] 2>/dev/null || JOBS=1
export MAPC="$PWD/$BIN/mapc" BIN="$PWD/$BIN" MW_SANDBOX="$PWD/$BIN/sandbox" O
# the build's flags, for tests that build a pair binary (make pair)
case $O in *asan*) SAN=1 ;; *) SAN= ;; esac
export SAN
# python3 through a pyenv shim is a few bash scripts a call (about 1 s on a
# busy machine): the interpreter it chooses, straight, for the whole suite
case $(command -v python3) in
*/shims/python3) py=$(pyenv which python3 2>/dev/null) && PATH=${py%/*}:$PATH ;;
esac

# The parts, one a line: a script, run with sh (MAPC, BIN, O and SAN in its
# environment), or a function below; those under tests/e2e, tests/sandbox
# and tests/wire go to the timed lanes (timed() below).  Each lane takes
# them in this order: the slow ones first.  A new test script is one more
# line, anywhere (its output has its place in the log either way).
parts='
tests/e2e/flood.sh
tests/e2e/life_qbo.sh
tests/e2e/back_qbo.sh
tests/e2e/life_xero.sh
tests/e2e/life_intacct.sh
tests/e2e/back_intacct.sh
tests/e2e/reliability.sh
tests/e2e/clarity_xero.sh
tests/e2e/back_xero.sh
tests/e2e/echo.sh
tests/e2e/serve.sh
tests/e2e/workers.sh
tests/e2e/pairs.sh
tests/e2e/concurrent.sh
tests/e2e/split.sh
tests/e2e/adopt.sh
tests/e2e/addresses.sh
tests/e2e/held.sh
tests/e2e/skus.sh
tests/e2e/currency.sh
tests/e2e/skus_xero.sh
tests/e2e/skus_qbo.sh
tests/e2e/glbatch.sh
tests/e2e/secrets.sh
tests/e2e/versions.sh
tests/e2e/statefile.sh
tests/e2e/pg.sh
tests/e2e/lookback.sh
tests/e2e/events.sh
tests/sandbox/qbo.sh
tests/sandbox/intacct.sh
tests/sandbox/xero.sh
tests/sandbox/webhooks.sh
tests/sandbox/seed.sh
tests/sandbox/clarity.sh
tests/sandbox/nop.sh
tests/sandbox/faults.sh
tests/sandbox/admin.sh
tests/wire/run.sh
tests/tools/layers.sh
tests/tools/errors.sh
tests/tools/doc.sh
tests/tools/install.sh
tests/tools/packaging.sh
tests/tools/fmt.sh
tests/golden/run.sh
unit
tests/pg/state.sh
tests/transform/differential.sh
tests/transform/hostile.sh
tests/lint.sh
tests/tools/editors.sh
tests/tools/graph.sh
tests/tools/suggest.sh
tests/tools/explain.sh
tests/tools/churn.sh
tests/tools/names.sh
tests/transform/run.sh
tests/tools/spellings.py
mappings_formatted
mappings_tests
tests/stale.sh
'
unit() {
	for t in "$O"/tests/*; do
		[ -x "$t" ] && [ -f "$t" ] || continue
		"$t" || echo "[FAIL] unit/$(basename "$t"): exit $?"
	done
}
# the shipped mappings stay formatted, and their fixtures pass through mapc test
mappings_formatted() {
	if "$MAPC" fmt --check mappings/*.map mappings/schemas/*.map; then
		echo "[PASS] fmt/mappings-formatted"
	else
		echo "[FAIL] fmt/mappings-formatted: run mapc fmt on the files above"
	fi
}
mappings_tests() {
	for m in mappings/*.map; do
		"$MAPC" test "$m" > "$d/mt" 2>&1 || echo "[FAIL] test/$m: exit $?"
		grep -v ' passed, .* failed$' "$d/mt"
	done
}

d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
part() { # n part: its output into $d/n.out, then $d/n.done
	t0=$(date +%s)
	case $2 in
	*.sh) sh "$2" ;;
	*) "$2" ;;
	esac > "$d/$1.out" 2>&1
	rc=$?
	[ $rc -eq 0 ] || grep -q '^\[FAIL\]' "$d/$1.out" || echo "[FAIL] $2: exit $rc" >> "$d/$1.out"
	[ -z "${TIMES:-}" ] || echo "$(($(date +%s) - t0)) $O $2" >> "$TIMES"
	: > "$d/$1.done"
}
timed() { case $1 in tests/e2e/*|tests/sandbox/*|tests/wire/*) ;; *) return 1 ;; esac; }
worker() { # timed|cpu: takes the next part of its kind no other worker took
	n=0
	for p in $parts; do
		n=$((n + 1))
		if timed "$p"; then [ "$1" = timed ]; else [ "$1" = cpu ]; fi &&
			mkdir "$d/$n.taken" 2>/dev/null && part $n "$p"
	done
}
worker cpu &
w=0
while [ $w -lt "$JOBS" ]; do worker timed & w=$((w + 1)); done
n=0
for p in $parts; do
	n=$((n + 1))
	while [ ! -e "$d/$n.done" ]; do sleep 0.2; done
	cat "$d/$n.out"
done | tee "$d/log"
wait
p=$(grep -c '^\[PASS\]' "$d/log")
f=$(grep -c '^\[FAIL\]' "$d/log")
echo "$p passed, $f failed"
[ "$f" -eq 0 ] && [ "$p" -gt 0 ]
