#!/bin/sh
# Reliability, against the sandbox, Clarity eCommerce -> Sage Intacct (the
# target without a per-minute limit, so the runs are as fast as the faults
# allow), 2,000 orders:
#   - a fault run: 5xx bursts, 429s, latency, dropped connections and
#     committed-but-lost answers injected all through the sync; runs are
#     repeated until one finishes; then every source order is in Intacct
#     exactly once or in the dead-letter queue with a reason, and the money
#     reconciles;
#   - a crash run: the sync killed with SIGKILL at random moments twenty
#     times over, restarted each time; the same end state, no duplicates, no
#     losses;
#   - an outage run: the target answers 503 for a while; the circuit breaker
#     opens, nothing is dead-lettered for it, and everything is synced once
#     the target is back.
GROUP=reliability
. "$(dirname "$0")/lib.sh"
# Under the sanitizers (SAN=1) the same runs over fewer orders: they look
# for memory and undefined-behaviour errors on the same paths, and the
# scale is the normal build's to prove (the sanitized runs are 4x slower)
if [ -n "${SAN:-}" ]; then N=${N:-600}; else N=${N:-2000}; fi
gen clarity 17 "$N"
catalogue  # the items its order lines are (ref Product)
sandbox_start
use_pair clarity_intacct
quiet() { fault '{"service":"intacct"}'; } # every fault off
# a fresh sandbox (a second company that holds nothing yet): sandbox_restart
sync() { "$BIN/$pair" run --once --state "$1" --config "$tmp/$pair.env" \
	--call-log "$tmp/calls"; }
# until a run ends with nothing pending or held behind a fault: 0 or 1
until_done() { # state log
	i=0
	while [ $i -lt 40 ]; do
		sync "$1" > "$2.out" 2>> "$2"
		rc=$?
		[ $rc = 0 ] || [ $rc = 1 ] && return 0
		# 3 with only records held behind dead letters is the end state too
		[ $rc = 3 ] && [ "$(awk '$1 == "total" { print $9 }' "$2.out")" = 0 ] && return 0
		i=$((i + 1))
	done
	return 1
}
reconciles() { # state -> $tmp/rec
	dump
	python3 scripts/reconcile_sync.py clarity_intacct "$data" "$tmp/dump" "$1" > "$tmp/rec"
}
dups() { # documents sharing a key, in all objects
	jq '[.CUSTOMER[].CUSTOMERID] | length - (unique | length)' "$tmp/dump"
	jq '[.SODOCUMENT[].DOCNO] | length - (unique | length)' "$tmp/dump"
	jq '[.ARPYMT[].DESCRIPTION] | length - (unique | length)' "$tmp/dump"
}

# ---- the fault run ------------------------------------------------------
# 8% of the requests meet a fault: a 503, a 429, a dropped connection, or
# a write that commits and loses its answer (a seeded sequence)
fault '{"service":"intacct","chaos_pct":8,"seed":5,"latency_ms":5}'
until_done "$tmp/fault.state" "$tmp/fault.log"
t fault-run-finishes [ $? = 0 ] || tail -20 "$tmp/fault.log"
quiet
reconciles "$tmp/fault.state"
t fault-run-reconciles [ $? = 0 ] || cat "$tmp/rec"
t fault-run-no-duplicates [ "$(dups | sort -u)" = 0 ]
# the faults were met (a dropped connection or a lost answer shows as a
# request that libcurl or the engine sent again with the same key: the
# no-duplicates check above is the proof)
t faults-were-hit [ "$(awk '$2 == "sage_intacct" && $3 == 503' "$tmp/calls" | wc -l)" -gt 0 -a \
	"$(awk '$2 == "sage_intacct" && $3 == 429' "$tmp/calls" | wc -l)" -gt 0 ]
t no-429-dead-lettered [ "$("$BIN/clarity_intacct" dlq list --state "$tmp/fault.state" |
	grep -c 'Too Many Requests')" = 0 ]

# ---- the crash run ------------------------------------------------------
# A second company: the sandbox forgets what Intacct holds, and a fresh state.
sandbox_restart
fault '{"service":"intacct","latency_ms":40}'
i=0
while [ $i -lt 20 ]; do
	"$BIN/$pair" run --once --state "$tmp/crash.state" --config "$tmp/$pair.env" \
		>> "$tmp/crash.log" 2>&1 &
	spid=$!
	sleep "$(awk -v s="$i" 'BEGIN { srand(s + 1); printf "%.2f", 0.2 + rand() * 1.5 }')"
	kill -9 $spid 2>/dev/null
	wait $spid 2>/dev/null
	i=$((i + 1))
done
quiet
until_done "$tmp/crash.state" "$tmp/crash.log"
t crash-run-finishes [ $? = 0 ] || tail -20 "$tmp/crash.log"
reconciles "$tmp/crash.state"
t crash-run-reconciles [ $? = 0 ] || cat "$tmp/rec"
t crash-run-no-duplicates [ "$(dups | sort -u)" = 0 ]
t crash-run-re-sent grep -q 'sending again' "$tmp/crash.log"

# ---- the outage run -----------------------------------------------------
# The target goes down a moment into the run (once it has its session).
sandbox_restart
fault '{"service":"intacct","latency_ms":400}'
"$BIN/$pair" run --once --state "$tmp/outage.state" --config "$tmp/$pair.env" \
	> "$tmp/outage.out" 2> "$tmp/outage.log" &
spid=$!
# once it has its session (however slow the build: ASan), whatever it is
# doing then (lookups or writes: both count toward the breaker)
i=0
while ! grep -q 'new API session' "$tmp/outage.log" 2>/dev/null && [ $i -lt 100 ]; do
	sleep 0.1; i=$((i + 1))
done
sleep 0.3
fault '{"service":"intacct","fail_5xx":100000,"latency_ms":0}'
wait $spid
rc=$?
t outage-run-waits [ "$rc" = 3 ] || cat "$tmp/outage.out" "$tmp/outage.log"
t outage-breaker-opened grep -q "circuit breaker is open" "$tmp/outage.log" || { cat "$tmp/outage.log" | tail -30; }
t outage-nothing-dead-lettered [ "$("$BIN/clarity_intacct" dlq list --state "$tmp/outage.state" |
	grep -c '503\|Service Unavailable\|refused the')" = 0 ]
quiet
until_done "$tmp/outage.state" "$tmp/outage.log"
t outage-recovers [ $? = 0 ]
reconciles "$tmp/outage.state"
t outage-reconciles [ $? = 0 ] || cat "$tmp/rec"
summary
