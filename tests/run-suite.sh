#!/bin/sh
# The suite over one build (O=build or O=build-asan): unit tests, golden
# compiler tests, transform fixtures, the sandbox, end to end sync of each
# pair against the sandbox, generated/ freshness.  Each part
# prints [PASS]/[FAIL] lines; this script counts them.
cd "$(dirname "$0")/.." || exit 2
O=${O:-build}
BIN=${BIN:-bin}
export MAPC="$PWD/$BIN/mapc" BIN="$PWD/$BIN" MW_SANDBOX="$PWD/$BIN/sandbox" O
# the build's flags, for tests that build a pair binary (make pair)
case $O in *asan*) SAN=1 ;; *) SAN= ;; esac
export SAN
log=$(mktemp)
trap 'rm -f "$log"' EXIT
{
	for t in "$O"/tests/*; do
		[ -x "$t" ] && [ -f "$t" ] || continue
		"$t" || echo "[FAIL] unit/$(basename "$t"): exit $?"
	done
	sh tests/golden/run.sh
	MAPC="$MAPC" sh tests/tools/fmt.sh
	MAPC="$MAPC" sh tests/tools/errors.sh
	MAPC="$MAPC" sh tests/tools/suggest.sh
	MAPC="$MAPC" sh tests/tools/graph.sh
	MAPC="$MAPC" sh tests/tools/doc.sh
	MAPC="$MAPC" sh tests/tools/explain.sh
	MAPC="$MAPC" sh tests/tools/churn.sh
	MAPC="$MAPC" sh tests/tools/names.sh
	sh tests/tools/editors.sh
	O="$O" sh tests/tools/layers.sh
	O="$O" BIN="$BIN" sh tests/tools/install.sh
	# the shipped mappings stay formatted, and their fixtures pass through mapc test
	if "$MAPC" fmt --check mappings/*.map mappings/schemas/*.map; then
		echo "[PASS] fmt/mappings-formatted"
	else
		echo "[FAIL] fmt/mappings-formatted: run mapc fmt on the files above"
	fi
	for m in mappings/*.map; do
		"$MAPC" test "$m" > "$log.mt" 2>&1 || echo "[FAIL] test/$m: exit $?"
		grep -v ' passed, .* failed$' "$log.mt"
	done
	rm -f "$log.mt"
	[ -f tests/transform/run.sh ] && sh tests/transform/run.sh
	BIN="$BIN" sh tests/transform/differential.sh
	BIN="$BIN" sh tests/transform/hostile.sh
	BIN="$BIN" sh tests/sandbox/xero.sh
	BIN="$BIN" sh tests/sandbox/faults.sh
	BIN="$BIN" sh tests/sandbox/qbo.sh
	BIN="$BIN" sh tests/sandbox/intacct.sh
	BIN="$BIN" sh tests/sandbox/clarity.sh
	BIN="$BIN" sh tests/sandbox/webhooks.sh
	BIN="$BIN" sh tests/sandbox/nop.sh
	BIN="$BIN" sh tests/sandbox/admin.sh
	BIN="$BIN" sh tests/sandbox/seed.sh
	BIN="$BIN" sh tests/wire/run.sh
	BIN="$BIN" sh tests/e2e/clarity_xero.sh
	BIN="$BIN" sh tests/e2e/held.sh
	BIN="$BIN" sh tests/e2e/events.sh
	BIN="$BIN" sh tests/e2e/lookback.sh
	BIN="$BIN" sh tests/e2e/life_intacct.sh
	BIN="$BIN" sh tests/e2e/pairs.sh
	BIN="$BIN" sh tests/e2e/life_qbo.sh
	BIN="$BIN" sh tests/e2e/adopt.sh
	BIN="$BIN" sh tests/e2e/split.sh
	BIN="$BIN" sh tests/e2e/versions.sh
	BIN="$BIN" sh tests/e2e/life_xero.sh
	BIN="$BIN" sh tests/e2e/reliability.sh
	BIN="$BIN" sh tests/e2e/secrets.sh
	BIN="$BIN" sh tests/e2e/serve.sh
	BIN="$BIN" sh tests/e2e/flood.sh
	BIN="$BIN" sh tests/e2e/statefile.sh
	sh tests/lint.sh
	sh tests/stale.sh
} 2>&1 | tee "$log"
p=$(grep -c '^\[PASS\]' "$log")
f=$(grep -c '^\[FAIL\]' "$log")
echo "$p passed, $f failed"
[ "$f" -eq 0 ] && [ "$p" -gt 0 ]
