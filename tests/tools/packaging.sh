#!/bin/sh
# What packaging/ ships, checked with the tools that will read it:
#   - the Prometheus alerting rules: `promtool check rules`, and their unit
#     tests (`promtool test rules`: each alert fires where it should and not
#     where it should not); that /metrics exports every series they read is
#     tests/e2e/serve.sh's (alert-rules-series-exported);
#   - the systemd template unit: `systemd-analyze verify` on an instance of
#     it (no systemd running is needed), and `systemd-analyze security`
#     rates its sandboxing at most 2.0 (systemd's "OK").
# promtool comes with Debian's prometheus package (scripts/install-deps);
# the Containerfile is not built here (that needs a container engine).
cd "$(dirname "$0")/../.." || exit 2
pass=0 fail=0
t() {
	name=$1; shift
	if "$@" > "$tmp/out" 2>&1; then echo "[PASS] tools/packaging/$name"; pass=$((pass + 1))
	else echo "[FAIL] tools/packaging/$name"; sed 's/^/    /' "$tmp/out" | head -40
		fail=$((fail + 1)); fi
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
t rules-check promtool check rules packaging/prometheus/mapwright.rules.yml
t rules-test sh -c 'cd packaging/prometheus && promtool test rules mapwright.rules.test.yml'
if command -v systemd-analyze > /dev/null; then
	cp packaging/mapwright@.service "$tmp/"
	ln -s mapwright@.service "$tmp/mapwright@acme.service"
	t unit-verify systemd-analyze verify --man=no "$tmp/mapwright@acme.service"
	t unit-sandboxed systemd-analyze security --offline=yes --threshold=20 \
		"$tmp/mapwright@acme.service"
else
	echo "[FAIL] tools/packaging/unit-verify: systemd-analyze is missing (Debian's systemd)"
	fail=$((fail + 1))
fi
echo "packaging: $pass passed, $fail failed"
[ $fail -eq 0 ]
