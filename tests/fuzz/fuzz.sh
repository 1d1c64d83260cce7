#!/bin/sh
# Mutation fuzzing of mapc: it must never crash, hang or trip a sanitizer.
#
#   sh tests/fuzz/fuzz.sh [MAPC]
#
# MAPC defaults to build-asan/bin/mapc (build it first; this script builds
# nothing):  make O=build-asan BIN=build-asan/bin SAN=1 build-asan/bin/mapc
#
# Inputs are derived from every tests/golden/*.map (and pending/, and the
# real mappings) by deterministic mutations driven by SEED, plus fixed
# extreme inputs (100,000-deep nesting, 2 MB string, 10,000-entry table...).
# A run fails when mapc exits with anything but 0 or 1, when ASan/UBSan
# print anything, or when one input takes more than LIMIT seconds.
# Failing inputs and mapc's stderr are kept in a temporary directory.
#
# Environment: SEED (1), COUNT (3000 inputs), BUDGET (75 s for the whole
# run), LIMIT (15 s per input: the 10,000-error input takes about 4 s
# under ASan on a busy 2-core machine), JOBS (number of CPUs), KEEP
# (reproducer dir).
# Prints `[PASS] fuzz/mapc` or `[FAIL] fuzz/mapc: <reproducer path>`.
root=$(cd "$(dirname "$0")/../.." && pwd) || exit 2
mapc=${1:-$root/build-asan/bin/mapc}
case $mapc in /*) ;; *) mapc=$(pwd)/$mapc ;; esac
if [ ! -x "$mapc" ]; then
	echo "[FAIL] fuzz/mapc: no executable $mapc (make O=build-asan BIN=build-asan/bin SAN=1 build-asan/bin/mapc)"
	exit 2
fi
set -- --mapc "$mapc" --root "$root" --seed "${SEED:-1}" --count "${COUNT:-3000}" \
	--budget "${BUDGET:-75}" --limit "${LIMIT:-15}"
[ -n "$JOBS" ] && set -- "$@" --jobs "$JOBS"
[ -n "$KEEP" ] && set -- "$@" --keep "$KEEP"
exec python3 "$root/tests/fuzz/fuzz.py" "$@"
