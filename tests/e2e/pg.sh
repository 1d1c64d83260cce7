#!/bin/sh
# End to end, Clarity eCommerce -> Xero, its state in PostgreSQL: a
# throwaway cluster (tests/pg/cluster.sh) and --state postgresql://...
# ?schema=clarity_xero, against the sandbox:
#   - the first run writes every order; what Xero holds reconciles with the
#     store; the schema holds the state (version 6, the cross-references);
#   - a second run writes nothing;
#   - a daemon holds the schema: a run beside it exits 2 naming its pid,
#     `status` and `dlq list` read beside it; every connection of the
#     daemon terminated (pg_terminate_backend) while it idles, it connects
#     again: a new order's webhook is written, and it holds the schema still;
#   - --dry-run prints the new order's request and writes nothing, to Xero
#     or to the schema; the next run writes it;
#   - MW_STATE=URL in the --config file selects the schema too (no state
#     file made).
GROUP=pg
. "$(dirname "$0")/lib.sh"
. tests/pg/cluster.sh
trap 'kill $pid $dpid 2>/dev/null; rm -rf "$tmp" "$data"; pg_stop' EXIT
gen clarity 5 60
catalogue  # the items Xero's order lines name (ref Product)
dport=$(free_port)
sandbox_start --limit-scale 100 --clarity-webhook-url "http://127.0.0.1:$dport/webhooks/clarity" \
	--clarity-webhook-secret whsec-pg
use_pair clarity_xero whsec-pg
if ! pg_start; then
	t cluster false
	summary
	exit 1
fi
st="$MW_PG&schema=clarity_xero"
count() { jq ".$1 | length" "$tmp/dump"; }
psql_() { psql "$MW_PG" -Atq -c "SET search_path TO clarity_xero" -c "$1"; }

sync > "$tmp/out" 2> "$tmp/err"; rc=$?
t first-run-completes [ "$rc" = 0 -o "$rc" = 1 -o "$rc" = 3 ] || cat "$tmp/err"
dump
t paged-every-order [ "$(col Order 2)" = 60 ]
# reconcile_sync.py reads the live dead letters from a SQLite file: the
# schema's, copied into one
psql_ "SELECT entity, source_key, reason FROM dlq WHERE dropped = 0" > "$tmp/dead"
python3 -c 'import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("CREATE TABLE dlq(entity, source_key, reason, dropped DEFAULT 0)")
db.executemany("INSERT INTO dlq(entity, source_key, reason) VALUES(?, ?, ?)",
    [l.rstrip("\n").split("|", 2) for l in open(sys.argv[2]) if l.strip()])
db.commit()' "$tmp/dead.db" "$tmp/dead"
python3 scripts/reconcile_sync.py clarity_xero "$data" "$tmp/dump" "$tmp/dead.db" > "$tmp/rec"
t reconciles [ $? = 0 ] || cat "$tmp/rec"
t schema-holds-the-state [ "$(psql_ "SELECT value FROM meta WHERE key = 'schema_version'")" = 6 -a \
	"$(psql_ "SELECT count(*) FROM xref WHERE entity = 'Order'")" -ge 1 ]

n_inv=$(count Invoices) n_pay=$(count Payments)
sync > "$tmp/out" 2>&1
dump
t rerun-writes-nothing [ "$(col total 3)" = 0 -a "$(col total 4)" = 0 -a \
	"$(count Invoices)" = "$n_inv" -a "$(count Payments)" = "$n_pay" ] || cat "$tmp/out"

# a daemon holds the schema
"$BIN/$pair" serve --state "$st" --config "$tmp/$pair.env" --port "$dport" > /dev/null \
	2> "$tmp/d.log" &
dpid=$!
t daemon-up healthy "$dport" || cat "$tmp/d.log"
sync > "$tmp/out" 2> "$tmp/err"; rc=$?
t run-beside-daemon-refused [ $rc = 2 ] && grep -q "in use by process $dpid " "$tmp/err" ||
	{ echo "exit $rc"; cat "$tmp/err"; }
"$BIN/$pair" status --state "$st" > "$tmp/status" 2>&1
t status-beside-daemon grep -q '^Order ' "$tmp/status" || cat "$tmp/status"
"$BIN/$pair" dlq list --state "$st" > "$tmp/dlq" 2>&1
t dlq-list-beside-daemon [ $? = 0 ] || cat "$tmp/dlq"
# its connections (the loop's, the webhook server's, the lock's) ended
# by the server while it idles: each is made again when next used
first_pass "$dport"
quiet $dpid > /dev/null
psql "$MW_PG" -Atq -c "SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity WHERE
	datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'" \
	> "$tmp/killed"
new_order SO-930100 2030-01-04T00:00:00Z > "$tmp/new"
put_orders "$tmp/new" > /dev/null
i=0
until dump; [ "$(jq '[.Invoices[] | select(.Reference == "SO-930100")] | length' "$tmp/dump")" = 1 ]
do
	[ $i -lt 150 ] || break
	sleep 0.2; i=$((i + 1))
done
t daemon-reconnects-and-syncs [ "$(cat "$tmp/killed")" -ge 3 -a $i -lt 150 ] && kill -0 $dpid ||
	{ cat "$tmp/killed"; tail -5 "$tmp/d.log"; }
sync > "$tmp/out" 2> "$tmp/err"; rc=$?
t daemon-holds-the-schema-again [ $rc = 2 ] && grep -q "in use by process $dpid " "$tmp/err" ||
	{ echo "exit $rc"; cat "$tmp/err"; }
n_inv=$(count Invoices)
kill $dpid
wait $dpid 2>/dev/null
dpid=

# a dry run: printed, not written, nothing kept
new_order SO-930000 2030-01-05T00:00:00Z > "$tmp/dry"
put_orders "$tmp/dry" > /dev/null
rows() { psql_ "SELECT (SELECT count(*) FROM xref) || '/' || (SELECT count(*) FROM journal)
	|| '/' || (SELECT string_agg(value, ',' ORDER BY entity) FROM cursors)"; }
before=$(rows)
sync --dry-run > "$tmp/out" 2>&1
dump
t dry-run-prints-request grep -q '"Reference":"SO-930000"' "$tmp/out"
t dry-run-writes-nothing [ "$(count Invoices)" = "$n_inv" -a "$(rows)" = "$before" ]

# the URL from the config file, in a folder where a state file would go
echo "MW_STATE=$st" > "$tmp/cfg2"
cat "$tmp/$pair.env" >> "$tmp/cfg2"
mkdir "$tmp/here"
(cd "$tmp/here" && "$BIN/$pair" run --once --config "$tmp/cfg2") > "$tmp/out" 2>&1
dump
t url-from-config [ "$(count Invoices)" = $((n_inv + 1)) -a "$(col Order 3)" = 1 -a \
	-z "$(ls "$tmp/here")" ] || cat "$tmp/out"
summary
