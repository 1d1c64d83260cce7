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
# until it listens (seconds under ASan on a busy machine), or has died
i=0
while [ ! -s "$tmp/port" ] && [ $i -lt 300 ] && kill -0 $pid 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
root="http://127.0.0.1:$(cat "$tmp/port")"
pass=0 fail=0
t() {
	name=$1; shift
	if "$@"; then echo "[PASS] ${SUITE:-sandbox}/$GROUP/$name"; pass=$((pass + 1))
	else echo "[FAIL] ${SUITE:-sandbox}/$GROUP/$name"; fail=$((fail + 1)); return 1; fi
}
