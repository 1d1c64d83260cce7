# Sourced by the sandbox tests: starts bin/sandbox (with $SANDBOX_ARGS) on a
# free loopback port
# (stopped and cleaned up on exit), sets $tmp and $root, and gives t():
#   t NAME COMMAND...   prints [PASS]/[FAIL] sandbox/$GROUP/NAME and counts.
cd "$(dirname "$0")/../.." || exit 2
BIN=${BIN:-bin}
tmp=$(mktemp -d)
# shellcheck disable=SC2086
"$BIN/sandbox" --port-file "$tmp/port" ${SANDBOX_ARGS:-} > "$tmp/log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
for i in 1 2 3 4 5 6 7 8 9 10; do [ -s "$tmp/port" ] && break; sleep 0.2; done
root="http://127.0.0.1:$(cat "$tmp/port")"
pass=0 fail=0
t() {
	name=$1; shift
	if "$@"; then echo "[PASS] ${SUITE:-sandbox}/$GROUP/$name"; pass=$((pass + 1))
	else echo "[FAIL] ${SUITE:-sandbox}/$GROUP/$name"; fail=$((fail + 1)); return 1; fi
}
