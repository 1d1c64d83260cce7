#!/bin/sh
# PostgreSQL load of one worker, for tests/bench/bench.sh (PARTS=pg): a
# throwaway cluster (tests/pg/cluster.sh, with pg_stat_statements where
# Debian's package has it), one `serve --worker` of Clarity eCommerce ->
# Xero on its schema, against the sandbox.  Prints, from pg_stat_database
# (transactions, rows written, blocks), pg_stat_statements (statements) and
# pg_stat_activity (connections), each figure that of one run of the
# worker -- started, its first pass done, stopped (SIGTERM: its sessions
# report their last figures as they end) -- less that of a run with nothing
# new to sync and nothing to wait for:
#   - idle: the run left alone PG_IDLE_S (30) seconds after its first pass,
#     per second;
#   - a backlog: BACKLOG (200) new orders in the store, per record written
#     (the schema's new cross-references);
#   - the worker's connections.
# PG_TOP=N: the backlog's N statements called most, too.
# No PostgreSQL (no initdb): says so and skips, like tests/pg/state.sh.
GROUP=bench
. "$(dirname "$0")/../e2e/lib.sh"
. tests/pg/cluster.sh
PG_IDLE_S=${PG_IDLE_S:-30}
BACKLOG=${BACKLOG:-200}
stats=
[ -f "$pg_bin/../lib/pg_stat_statements.so" ] && stats=1
if [ -n "$stats" ]; then
	PG_OPTS="-c shared_preload_libraries=pg_stat_statements"
fi
trap 'kill $pid $dpid 2>/dev/null; rm -rf "$tmp" "$data"; pg_stop' EXIT
if ! pg_start 2> "$data/pg.err"; then
	echo "PostgreSQL: skipped ($(head -n 1 "$data/pg.err"))"
	exit 0
fi
psql_() { psql "$MW_PG" -Atq -c "$1"; }
[ -z "$stats" ] || psql_ "CREATE EXTENSION pg_stat_statements" || stats=
# the first orders in the store; the backlog's come later, stamped after them
gen clarity 19 $((20 + BACKLOG))
tail -n "$BACKLOG" "$data/clarity_ecommerce.orders.ndjson" |
	jq -c '.orderId |= sub("^SO-"; "SO-B") | .updatedAt = "2030-01-01T00:00:00Z"' > "$data/backlog"
head -n 20 "$data/clarity_ecommerce.orders.ndjson" > "$data/first"
mv "$data/first" "$data/clarity_ecommerce.orders.ndjson"
catalogue
sandbox_start --limit-scale 100
use_pair clarity_xero
st="$MW_PG&schema=bench"
dport=$(free_port)
start() {
	"$BIN/$pair" serve --worker --state "$st" --config "$tmp/$pair.env" --port "$dport" \
		> /dev/null 2>> "$tmp/serve.log" &
	dpid=$!
	healthy "$dport" && first_pass "$dport" || { echo "the worker did not sync"; tail -3 \
		"$tmp/serve.log"; exit 1; }
}
# its server processes gone: their figures in pg_stat_database (a session
# reports its last ones as it ends)
# (waited for in one session: one transaction in the figures, like reset's)
stop() {
	kill $dpid; wait $dpid 2>/dev/null; dpid=
	psql_ "DO \$\$ BEGIN FOR i IN 1..100 LOOP PERFORM pg_stat_clear_snapshot();
	    EXIT WHEN (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
	    AND backend_type = 'client backend' AND pid <> pg_backend_pid()) = 0;
	    PERFORM pg_sleep(0.1); END LOOP; END \$\$"
}
# transactions, statements, rows written, blocks read or hit, the
# schema's cross-references: one line; each psql session (this one too)
# is one transaction in the figures, taken off by the caller
figures() {
	psql_ "SELECT xact_commit + xact_rollback, $( [ -n "$stats" ] &&
	    echo "(SELECT coalesce(sum(calls), 0) FROM pg_stat_statements WHERE query NOT LIKE
	    '%pg_stat%' AND dbid = d.datid)" || echo "-1"), tup_inserted + tup_updated + tup_deleted,
	    blks_read + blks_hit, (SELECT count(*) FROM bench.xref)
	    FROM pg_stat_database d WHERE datname = current_database()" | tr '|' ' '
}
reset() {
	psql_ "SELECT pg_stat_reset()$( [ -z "$stats" ] || echo ", pg_stat_statements_reset()")" \
		> /dev/null
}

# the schema made and the first orders written; then each figure is that
# of a start, first pass and stop (SIGTERM), less one with nothing new
start
stop
reset
start
stop
set -- $(figures); bx=$1 bs=$2 bw=$3 bb=$4 n0=$5
reset
start
conns=$(psql_ "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
	AND backend_type = 'client backend' AND pid <> pg_backend_pid()")
sleep "$PG_IDLE_S" # the window
stop
set -- $(figures); ix=$1 is=$2 iw=$3 ib=$4
put_orders "$data/backlog" > /dev/null
reset
start
stop
set -- $(figures); kx=$1 ks=$2 kw=$3 kb=$4 n1=$5
if [ -n "$stats" ] && [ "${PG_TOP:-0}" -gt 0 ]; then
	echo "the backlog's $PG_TOP statements called most (calls, rows, text):"
	psql_ "SELECT calls, rows, left(regexp_replace(query, '\s+', ' ', 'g'), 100)
	    FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat%' ORDER BY calls DESC
	    LIMIT $PG_TOP" | sed 's/^/  /'
fi

echo "one worker (serve --worker, clarity_xero) on PostgreSQL $("$pg_bin/postgres" --version |
	awk '{ print $3 }'):"
echo "connections: $conns"
awk -v t="$PG_IDLE_S" -v x=$((ix - bx - 1)) -v s=$((is - bs)) -v w=$((iw - bw)) \
    -v b=$((ib - bb)) -v st="$stats" 'BEGIN {
	printf "idle, %d s: %.2f transactions/s, %s statements/s, %.2f rows written/s, %.1f blocks/s\n",
		t, x / t, st ? sprintf("%.2f", s / t) : "(no pg_stat_statements)", w / t, b / t }'
n=$((n1 - n0))
awk -v n=$n -v o="$BACKLOG" -v x=$((kx - bx)) -v s=$((ks - bs)) -v w=$((kw - bw)) \
    -v b=$((kb - bb)) -v st="$stats" -v bx="$bx" -v bs="$bs" 'BEGIN {
	if (n <= 0) { print "backlog: nothing written"; exit 1 }
	printf "backlog, %d orders, %d records written: %.2f transactions, %s statements, " \
		"%.2f rows written, %.1f blocks a record\n", o, n, x / n,
		st ? sprintf("%.2f", s / n) : "(no pg_stat_statements)", w / n, b / n
	printf "a start and stop with nothing new: %d transactions, %s statements\n", bx - 2,
		st ? bs : "(no pg_stat_statements)" }'
