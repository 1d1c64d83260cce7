#!/bin/sh
# The idle daemon's figures for tests/bench/bench.sh: `serve` (Clarity
# eCommerce -> Xero, webhooks on) against the sandbox's 400 orders; once its
# first pass is done (every entity has logged its summary) and it has gone
# quiet (no context switch for a second), it is left alone IDLE_S seconds:
# nothing connects to it.  Prints its wakeups a second (voluntary and
# involuntary context switches of all its threads, /proc/PID/task/*/status)
# and its anonymous memory (RssAnon: at the start, the end, the most seen).
GROUP=${GROUP:-bench}
. "$(dirname "$0")/../e2e/lib.sh"
IDLE_S=${IDLE_S:-60}
gen clarity 19 400
sport=$(free_port)
sandbox_start --limit-scale 100 --clarity-webhook-url "http://127.0.0.1:$sport/webhooks/clarity" \
	--clarity-webhook-secret whsec-bench
use_pair clarity_xero whsec-bench
"$BIN/$pair" serve --state "$st" --config "$tmp/$pair.env" --port "$sport" > /dev/null \
	2> "$tmp/serve.log" &
dpid=$!
healthy "$sport" || { echo "serve did not come up"; tail -3 "$tmp/serve.log"; exit 1; }
anon() { awk '/^RssAnon/ { print $2 }' /proc/$dpid/status; }
first_pass "$sport"
quiet $dpid > /dev/null
s0=$(switches $dpid) m0=$(anon) max=$m0 t=0
while [ $t -lt "$IDLE_S" ]; do
	sleep 5; t=$((t + 5))
	m=$(anon); [ "$m" -gt "$max" ] && max=$m
done
s1=$(switches $dpid) m1=$(anon)
awk -v n=$((s1 - s0)) -v t="$IDLE_S" 'BEGIN {
	printf "%-34s %d in %d s: %.3f a second\n", "wakeups (context switches)", n, t, n / t }'
printf '%-34s %s kB at the start, %s kB at the end, %s kB at most\n' "anonymous memory (RssAnon)" \
	"$m0" "$m1" "$max"
printf '%-34s %s threads; VmRSS %s kB\n' "the process" "$(ls /proc/$dpid/task | wc -l)" \
	"$(awk '/^VmRSS/ { print $2 }' /proc/$dpid/status)"
