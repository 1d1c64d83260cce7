#!/bin/sh
# Many workers, one pair (issue 14): three `serve --worker` daemons of
# clarity_xero on one PostgreSQL schema (a throwaway cluster,
# tests/pg/cluster.sh), leases of 1.2 s, against the sandbox:
#   - the backlog is written once (every order a cross-reference);
#   - 20 times: a few new orders go into the store, the worker holding the
#     lease on cursor:Order is SIGKILLed and started again, and another
#     worker takes the entity over and writes them (the next kill comes as
#     soon as the count grows: often mid-batch, leaving writes pending for
#     the restarted worker's redrive);
#   - a `run --once` beside them is refused (the schema's lock, shared by
#     the workers);
#   - the backlog drains: nothing pending; what Xero holds reconciles with
#     the store (scripts/reconcile_sync.py), one invoice per order written,
#     no reference twice.
GROUP=workers
. "$(dirname "$0")/lib.sh"
. tests/pg/cluster.sh
trap 'kill $pid $w1 $w2 $w3 2>/dev/null; rm -rf "$tmp" "$data"; pg_stop' EXIT
gen clarity 7 80
catalogue  # the items Xero's order lines name (ref Product)
sandbox_start --limit-scale 100
use_pair clarity_xero
if ! pg_start; then
	t cluster false
	summary
	exit 1
fi
st="$MW_PG&schema=clarity_xero"
"$BIN/$pair" serve --lease-ms 500 --state "$st" > "$tmp/out" 2>&1
t lease-ms-needs-worker [ $? = 2 ] && grep -q -- '--lease-ms is a worker' "$tmp/out"
"$BIN/$pair" serve --worker --lease-ms 5 --state "$st" > "$tmp/out" 2>&1
t lease-ms-bounded [ $? = 2 ] && grep -q -- '--lease-ms takes 300 to' "$tmp/out"
lease=1200
psql_() { psql "$MW_PG" -Atq -c "SET search_path TO clarity_xero" -c "$1"; }
worker() { # slot: starts worker N, its pid in wN
	"$BIN/$pair" serve --worker --lease-ms $lease --state "$st" --config "$tmp/$pair.env" \
		--port 0 --port-file "$tmp/w$1.port" --log-level debug >> "$tmp/w$1.log" 2>&1 &
	eval "w$1=\$!"
}
# the orders to be done: the backlog's that were done (the rest filtered),
# and every new one (a copy of one that is written)
orders() { echo $((base + seq)); }
# the orders done: written (a cross-reference) or dead-lettered
done_orders() { psql_ "SELECT (SELECT count(*) FROM xref WHERE entity = 'Order') +
	(SELECT count(*) FROM dlq WHERE entity = 'Order' AND dropped = 0)"; }
holder() { # the pid holding the lease on cursor:Order now, if any
	psql_ "SELECT holder FROM lease WHERE unit = 'cursor:Order' AND expires_at >
		(extract(epoch FROM clock_timestamp()) * 1000)::bigint" | sed -n 's/^pid \([0-9]*\) .*/\1/p'
}
wait_for() { # tenths-of-a-second command...: polls command until it succeeds
	n=$1; shift
	while [ "$n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1; n=$((n - 1))
	done
	"$@"
}
all_done() { [ "$(done_orders)" = "$(orders)" ]; }
grew() { [ "$(done_orders)" -gt "$1" ]; }
has_holder() { [ -n "$(holder)" ]; }
alive() { # restarts the workers that exited on their own (a lost lease is fatal)
	for k in 1 2 3; do
		eval "p=\$w$k"
		kill -0 "$p" 2>/dev/null && continue
		wait "$p" 2>/dev/null
		exits=$((exits + 1))
		worker $k
	done
}

seq=0 base=0
worker 1
wait_for 100 test -s "$tmp/w1.port"
first_pass "$(cat "$tmp/w1.port")"
t backlog-written [ $? = 0 ] || tail -5 "$tmp/w1.log"
base=$(done_orders)
worker 2
worker 3

kills=0 exits=0 took=0
while [ $kills -lt 20 ]; do
	before=$(done_orders)
	for j in 1 2 3 4 5; do
		seq=$((seq + 1))
		new_order "SO-9$(printf %05d $seq)" \
			"2030-02-01T$(printf %02d:%02d $((seq / 60)) $((seq % 60))):00Z" \
			> "$tmp/new"
		put_orders "$tmp/new" > /dev/null
	done
	wait_for 100 has_holder
	h=$(holder)
	for k in 1 2 3; do
		eval "p=\$w$k"
		[ "$p" = "$h" ] || continue
		kill -KILL "$p"
		wait "$p" 2>/dev/null
		worker $k
		kills=$((kills + 1))
	done
	[ -n "$h" ] || break
	# taken over and written by another worker: the count grows
	wait_for 150 grew "$before" && took=$((took + 1))
	alive
done
t killed-20-times [ $kills = 20 ] || echo "kills $kills"
t taken-over-each-time [ $took = 20 ] || echo "taken over $took of $kills"

wait_for 300 all_done
alive
sync > "$tmp/out" 2>&1
t run-beside-workers-refused [ $? = 2 ] || cat "$tmp/out"
no_pending() { [ "$(psql_ "SELECT count(*) FROM journal WHERE state = 'pending'")" = 0 ]; }
t backlog-drains all_done || echo "$(done_orders) of $(orders) orders done"
wait_for 300 no_pending
t nothing-pending no_pending
echo "e2e/workers: $(orders) orders written or dead, $kills kills, $took takeovers, $exits worker exits" \
	"(a lost lease), $(grep -c 'polls it' "$tmp"/w*.log | awk -F: '{ s += $2 } END { print s }')" \
	"cursor leases taken"

# the books reconcile: the orders are done, but a payment whose webhook event
# was held (its order not written yet) or claimed by a worker killed since
# is written when the event is tried again (an expired claim; a held event's
# next try, after a backoff that doubles with each try up to 5 min: the
# held events' next_at is brought forward to now, as the minutes would); a
# webhook sent to a worker while it was dead is lost, and its record waits
# for the entity's next poll (5 min): the worker holding cursor:Payment is
# stopped (SIGTERM gives its leases up) and started again, so that another
# polls Payment now
reconciled() {
	dump
	psql_ "SELECT entity, source_key, reason FROM dlq WHERE dropped = 0" > "$tmp/dead"
	rm -f "$tmp/dead.db"
	python3 -c 'import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("CREATE TABLE dlq(entity, source_key, reason, dropped DEFAULT 0)")
db.executemany("INSERT INTO dlq(entity, source_key, reason) VALUES(?, ?, ?)",
    [l.rstrip("\n").split("|", 2) for l in open(sys.argv[2]) if l.strip()])
db.commit()' "$tmp/dead.db" "$tmp/dead"
	python3 scripts/reconcile_sync.py clarity_xero "$data" "$tmp/dump" "$tmp/dead.db" > "$tmp/rec"
}
hp=$(psql_ "SELECT holder FROM lease WHERE unit = 'cursor:Payment'" | sed -n 's/^pid \([0-9]*\) .*/\1/p')
for k in 1 2 3; do
	eval "p=\$w$k"
	[ "$p" = "$hp" ] || continue
	kill -TERM "$p"
	wait "$p" 2>/dev/null
	worker $k
done
i=0
until reconciled || [ $i -ge 60 ]; do
	psql_ "UPDATE inbox SET next_at = 0 WHERE state = 'held'" > /dev/null
	sleep 1; i=$((i + 1))
done
reconciled
t reconciles [ $? = 0 ] || cat "$tmp/rec"
echo "e2e/workers: reconciled after $i s of polling"
n_inv=$(jq '[.Invoices[] | select(.Type == "ACCREC")] | length' "$tmp/dump")
n_ref=$(jq '[.Invoices[] | select(.Type == "ACCREC") | .Reference] | unique | length' "$tmp/dump")
n_x=$(psql_ "SELECT count(*) FROM xref WHERE entity = 'Order'")
t one-invoice-per-order [ "$n_inv" = "$n_x" -a "$n_ref" = "$n_inv" ] ||
	echo "invoices $n_inv, references $n_ref, orders written $n_x"
kill $w1 $w2 $w3
rcs=
for p in $w1 $w2 $w3; do
	wait $p
	rcs="$rcs$?"
done
t sigterm-exits-0 [ "$rcs" = 000 ] || echo "exit statuses $rcs"
# under SAN=1: no report from any worker (a SIGKILLed one makes none)
t no-sanitizer-report [ -z "$(grep -l 'Sanitizer\|runtime error:' "$tmp"/w*.log)" ] ||
	grep -h -A5 'Sanitizer\|runtime error:' "$tmp"/w*.log | head -40
t stop-releases-leases [ "$(psql_ "SELECT count(*) FROM lease WHERE unit LIKE 'cursor:%' AND
	expires_at > (extract(epoch FROM clock_timestamp()) * 1000)::bigint")" = 0 ]
w1= w2= w3=
summary
