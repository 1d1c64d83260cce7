#!/bin/sh
# make bench: the Clarity -> Xero Order transform over N generated orders
# (default 200,000), side by side with jq and Python running the same
# mapping, and a bare jansson parse-and-print of the same file.  Prints
# orders/s, MB/s and peak memory (max RSS) per contender, then the compiled
# transform's peak memory at N/10 and N to show it stays flat, and last the
# state store's cost per record (tests/bench/state_bench.c, STATE_N records).
# A benchmark, not a test: it prints figures and checks nothing but that
# every contender ran and agreed on the number of documents.
set -eu
cd "$(dirname "$0")/../.."
O=${O:-build}
BIN=${BIN:-bin}
N=${N:-200000}
SEED=${SEED:-42}
dir=$O/bench
mkdir -p "$dir"
in=$dir/orders_$N.ndjson
[ -s "$in" ] || python3 tests/bench/gen_orders.py --seed "$SEED" --orders "$N" > "$in"
small=$dir/orders_$((N / 10)).ndjson
[ -s "$small" ] || head -n $((N / 10)) "$in" > "$small"
bytes=$(wc -c < "$in")
printf 'input: %s orders, %s MB (%s)\n' "$N" "$(awk -v b="$bytes" 'BEGIN{printf "%.1f", b/1e6}')" "$in"
printf '%-34s %9s %12s %9s %12s %9s\n' contender seconds orders/s MB/s peak_RSS_MB docs

run() { # name, input, command...
	name=$1 file=$2; shift 2
	/usr/bin/time -f '%e %M' -o "$dir/time" "$@" < "$file" > "$dir/out" 2> "$dir/err" || true
	# time(1) prints "Command exited with non-zero status N" first when the
	# contender reports dead letters (exit 1): the figures are the last line.
	set -- $(tail -n 1 "$dir/time")
	secs=$1 rss=$2
	docs=$(wc -l < "$dir/out")
	n=$(wc -l < "$file")
	b=$(wc -c < "$file")
	awk -v name="$name" -v s="$secs" -v n="$n" -v b="$b" -v r="$rss" -v d="$docs" 'BEGIN {
		if (s <= 0) s = 0.001
		printf "%-34s %9.2f %12.0f %9.1f %12.1f %9d\n", name, s, n / s, b / 1e6 / s, r / 1024, d
	}'
}

run "mapwright (bin/clarity_xero)" "$in" "$BIN/clarity_xero" transform Order --dead-letter /dev/null
run "jq (same mapping)" "$in" jq -c -f tests/bench/order.jq
run "python3 (stdlib json)" "$in" python3 tests/bench/order.py
run "jansson parse+print only" "$in" "$O/bench/jansson_pp"
echo
echo "memory as N grows (compiled transform):"
run "mapwright, N/10 orders" "$small" "$BIN/clarity_xero" transform Order --dead-letter /dev/null
run "mapwright, N orders" "$in" "$BIN/clarity_xero" transform Order --dead-letter /dev/null
echo
echo "the state store (SQLite, WAL, synchronous=FULL; the file in ${TMPDIR:-/tmp}):"
"$O/bench/state_bench" "${STATE_N:-20000}" 50 "${TMPDIR:-/tmp}"
