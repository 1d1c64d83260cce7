#!/bin/sh
# Concurrent requests (docs/sync.md), against the sandbox, NopCommerce ->
# QuickBooks Online (its published cap: 10 at once), 40 orders, each
# request one document (--batch 1), QuickBooks answering after 300 ms
# (600 ms while runs are killed):
#   - a run: the sandbox saw more than one request in flight at once and
#     never more than 10, no 429, faster than one at a time could be, and
#     the books reconcile (each record once, the money to the cent);
#   - the same pair with `limit 500/min, 3 concurrent` in its .map: never
#     more than 3 in flight;
#   - killed with SIGKILL while requests are in flight, five times over,
#     then run to the end: the requests left pending are sent again, and
#     the books reconcile with nothing written twice and nothing missing.
GROUP=concurrent
. "$(dirname "$0")/lib.sh"
N=${N:-40}
gen nop 31 "$N"
sandbox_start
use_pair nopcommerce_qbo
peak() { curl -s "$root/_sandbox/faults" | jq .qbo.in_flight_peak; }
reconcile() { # state
	dump
	python3 scripts/reconcile_sync.py "$pair" "$data" "$tmp/dump" "$1" > "$tmp/rec"
}
calls() { # the target's line of the summary in $tmp/out: "N calls (N answered 429"
	sed -n 's/^qbo: \([0-9]*\) calls (\([0-9]*\) answered 429.*/\1 \2/p' "$tmp/out"
}
journaled() { # requests journaled in $st, 0 before the run has made it (no empty file made)
	if [ -s "$st" ]; then sql "SELECT count(*) FROM journal" 2>/dev/null || echo 0; else echo 0; fi
}
run() { # binary state [args]: one run to its end, each request one document
	b=$1 s=$2; shift 2
	"$b" run --once --state "$s" --config "$tmp/$pair.env" --batch 1 "$@"
}

# ---- up to the cap ------------------------------------------------------
fault '{"service":"qbo","latency_ms":300}'
t0=$(date +%s.%N)
run "$BIN/$pair" "$st" > "$tmp/out" 2> "$tmp/err"
rc=$?
t1=$(date +%s.%N)
t run-completes [ "$rc" = 0 -o "$rc" = 1 ] || { cat "$tmp/out"; tail "$tmp/err"; }
p=$(peak)
t several-in-flight [ "$p" -gt 1 ] || echo "peak $p"
t never-over-ten [ "$p" -le 10 ] || echo "peak $p"
set -- $(calls)
t no-429 [ "${2:-x}" = 0 ] || cat "$tmp/out"
# one at a time, the calls alone would take 0.3 s each
t faster-than-one-at-a-time awk -v n="$1" -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a < n * 0.3 / 2) }' ||
	echo "$1 calls in $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }') s"
reconcile "$st"
t reconciles [ $? = 0 ] || cat "$tmp/rec"

# ---- the .map's own, lower limit ----------------------------------------
sed 's|^    limit 500/min$|    limit 500/min, 3 concurrent|' mappings/nopcommerce_qbo.map > "$tmp/nq3.map"
t map-limit-set grep -q '3 concurrent' "$tmp/nq3.map"
t pair-built make_pair "$tmp/nq3.map" "$tmp/nq3" || cat "$tmp/make"
sandbox_restart
fault '{"service":"qbo","latency_ms":100}'
run "$tmp/nq3" "$tmp/three.state" > "$tmp/out" 2> "$tmp/err"
rc=$?
p=$(peak)
t three-completes [ "$rc" = 0 -o "$rc" = 1 ] || { cat "$tmp/out"; tail "$tmp/err"; }
t never-over-three [ "$p" -le 3 -a "$p" -gt 1 ] || echo "peak $p"

# ---- killed in flight ---------------------------------------------------
sandbox_restart
st=$tmp/kill.state
fault '{"service":"qbo","latency_ms":600}'
progress() { # requests journaled, and pending, in $st: one look (a python start each)
	if [ -s "$st" ]; then
		sql "SELECT count(*), count(*) FILTER (WHERE state = 'pending') FROM journal" 2>/dev/null |
			tr '|' ' '
	else
		echo 0 0
	fi
}
k=0
while [ $k -lt 5 ]; do
	"$BIN/$pair" run --once --state "$st" --config "$tmp/$pair.env" --batch 1 \
		>> "$tmp/kill.log" 2>&1 &
	spid=$!
	# once this run has journaled requests of its own and they are on their
	# way (answers 600 ms off), however slow the build or busy the machine:
	# pending when killed
	n0=$(journaled)
	i=0
	while [ $i -lt 500 ] && kill -0 $spid 2>/dev/null; do
		set -- $(progress)
		[ "${1:-0}" -ge $((n0 + 2)) ] && [ "${2:-0}" -gt 0 ] && break
		sleep 0.02; i=$((i + 1))
	done
	kill -9 $spid 2>/dev/null
	wait $spid 2>/dev/null
	k=$((k + 1))
done
t killed-left-pending [ "$(pending)" -gt 0 ]
fault '{"service":"qbo","latency_ms":0}'
run "$BIN/$pair" "$st" > "$tmp/out" 2> "$tmp/kill.err"
rc=$?
t after-kill-completes [ "$rc" = 0 -o "$rc" = 1 ] || { cat "$tmp/out"; tail "$tmp/kill.err"; }
t after-kill-re-sent grep -q 'sending again' "$tmp/kill.err"
t after-kill-nothing-pending [ "$(pending)" = 0 ]
reconcile "$st"
t after-kill-reconciles [ $? = 0 ] || cat "$tmp/rec"
summary
