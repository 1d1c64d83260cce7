#!/bin/sh
# End to end, Clarity eCommerce -> Xero: the state file is owned.
#   - one process at a time: with a daemon on the file, a second daemon (on
#     another port) and a `run --once` exit 2 naming the daemon's pid;
#     `status` and `dlq list` read beside it, and a reader closing leaves
#     the daemon's -wal; after kill -9 of the daemon a run starts;
#   - modes: the file, its -wal and -shm and its lock are 0600 while the
#     daemon runs (umask 022); a file made 0644 is tightened, and said;
#   - a state file of 0 bytes, random bytes, another program's SQLite
#     database, a truncated state file: refused (exit 2), left byte for
#     byte, nothing written to Xero; --init makes a file of 0 bytes a state
#     file;
#   - --dry-run: in an empty folder (the default state path) it makes no
#     file; on a state file it changes no byte and makes no file, and prints
#     the new order a real run then writes.
GROUP=statefile
. "$(dirname "$0")/lib.sh"
gen clarity 5 20
catalogue  # the items Xero's order lines name (ref Product)
sandbox_start --limit-scale 100
use_pair clarity_xero
umask 022
unset MW_STATE
cfg="$tmp/$pair.env"
run1() { # state [args...]: run --once (killed after 20 s), its status; out and err in $tmp
	s=$1; shift
	timeout 20 "$BIN/$pair" run --once --state "$s" --config "$cfg" "$@" > "$tmp/out" 2> "$tmp/err"
}
invoices() { dump; jq '.Invoices | length' "$tmp/dump"; }
mode() { stat -c %a "$1" 2>/dev/null; }

# A daemon holds the file.
"$BIN/$pair" serve --state "$st" --config "$cfg" --port 0 --port-file "$tmp/dport" \
	> /dev/null 2> "$tmp/d1.log" &
dpid=$!
i=0
while [ $i -lt 100 ] && ! { [ -s "$tmp/dport" ] &&
	curl -sf "http://127.0.0.1:$(cat "$tmp/dport")/healthz" > /dev/null 2>&1; }; do
	sleep 0.1; i=$((i + 1))
done
t daemon-up [ $i -lt 100 ] || cat "$tmp/d1.log"
refused_by_daemon() { [ $rc = 2 ] && grep -q "in use by process $dpid " "$1"; }
timeout 10 "$BIN/$pair" serve --state "$st" --config "$cfg" --port 0 --port-file "$tmp/dport2" \
	> /dev/null 2> "$tmp/d2.log"
rc=$?
t second-daemon-refused refused_by_daemon "$tmp/d2.log" ||
	{ echo "exit $rc"; cat "$tmp/d2.log"; }
run1 "$st"
rc=$?
t run-beside-daemon-refused refused_by_daemon "$tmp/err" ||
	{ echo "exit $rc"; cat "$tmp/err"; }
status_reads() { "$BIN/$pair" status --state "$st" > "$tmp/status" 2>&1 && grep -q '^Order ' "$tmp/status"; }
t status-beside-daemon status_reads || cat "$tmp/status"
"$BIN/$pair" dlq list --state "$st" > "$tmp/dlq" 2>&1
t dlq-list-beside-daemon [ $? = 0 ] || cat "$tmp/dlq"
# a reader of its own that writes (python's sqlite3): closing, it must find
# the daemon's locks and leave the -wal that holds its commits
t reader-leaves-wal eval '[ "$(sql "SELECT count(*) FROM meta")" -ge 1 ] && [ -f "$st-wal" ]'
t modes-0600 [ "$(mode "$st") $(mode "$st-wal") $(mode "$st-shm") $(mode "$st.lock")" = \
	"600 600 600 600" ] || ls -l "$tmp"
kill -9 $dpid
wait $dpid 2>/dev/null
dpid=
run1 "$st"
rc=$?
t run-after-kill-9 [ $rc = 0 ] || { echo "exit $rc"; cat "$tmp/err"; }

# Modes tightened.
chmod 644 "$st"
tightened() { run1 "$st" && [ "$(mode "$st")" = 600 ] && grep -q 'was mode 0644.*now 0600' "$tmp/err"; }
t mode-tightened tightened || { ls -l "$st"; cat "$tmp/err"; }

# Files that are not state files: refused, untouched, nothing written.
n0=$(invoices)
refused() { # name file why: run --once refuses file, saying why; the file unchanged
	cp "$2" "$tmp/before"
	run1 "$2"
	rc=$?
	t "$1" untouched "$2" "$3" || { echo "exit $rc"; cat "$tmp/err"; }
}
untouched() { [ $rc = 2 ] && grep -q "$2" "$tmp/err" && cmp -s "$1" "$tmp/before" &&
	[ "$(invoices)" = "$n0" ]; }
: > "$tmp/empty.state"
refused empty-refused "$tmp/empty.state" "is empty.*--init"
head -c 16384 /dev/urandom > "$tmp/random.state"
refused random-refused "$tmp/random.state" "not a SQLite database"
python3 -c "import sqlite3,sys; c = sqlite3.connect(sys.argv[1]); c.execute('CREATE TABLE t(x)')
c.execute('INSERT INTO t VALUES(1)'); c.commit()" "$tmp/foreign.state"
refused foreign-refused "$tmp/foreign.state" "meta table"
size=$(stat -c %s "$st")
head -c $((size / 2 / 4096 * 4096)) "$st" > "$tmp/truncated.state"
t truncated-setup [ "$size" -ge 16384 ]
refused truncated-refused "$tmp/truncated.state" "damaged"

# --dry-run records nothing: no file made, no byte changed.
mkdir "$tmp/dry"
bin=$(cd "$BIN" && pwd)
(cd "$tmp/dry" && timeout 20 "$bin/$pair" run --once --dry-run --config "$cfg" > ../out 2> ../err)
rc=$?
t dry-run-makes-no-file eval '[ $rc = 0 ] && [ -z "$(ls -A "$tmp/dry")" ]' ||
	{ echo "exit $rc"; ls -lA "$tmp/dry"; cat "$tmp/err"; }
new_order SO-900001 2031-01-01T00:00:00Z > "$tmp/new"
put_orders "$tmp/new" > /dev/null
cp "$st" "$tmp/before"
ls -A "$tmp" > "$data/ls.before"
run1 "$st" --dry-run
rc=$?
ls -A "$tmp" > "$data/ls.after"
t dry-run-changes-nothing eval '[ $rc = 0 ] && grep -q SO-900001 "$tmp/out" &&
	cmp -s "$st" "$tmp/before" && cmp -s "$data/ls.before" "$data/ls.after"' ||
	{ echo "exit $rc"; diff "$data/ls.before" "$data/ls.after"; cat "$tmp/err"; }
run1 "$st"
dump
t run-after-dry-run-writes [ "$(jq '[.Invoices[] | select(.Reference == "SO-900001")] | length' \
	"$tmp/dump")" = 1 ] || cat "$tmp/out"
run1 "$tmp/empty.state" --init --dry-run
t init-dry-run-refused [ $? = 2 ]

# --init: a file of 0 bytes made a state file.
run1 "$tmp/empty.state" --init
rc=$?
t init-makes-empty-a-state-file eval '[ $rc != 2 ] && [ "$(mode "$tmp/empty.state")" = 600 ] &&
	[ "$(st="$tmp/empty.state" sql "SELECT value FROM meta WHERE key = '"'schema_version'"'")" -ge 4 ]' ||
	{ echo "exit $rc"; cat "$tmp/err"; }
summary
