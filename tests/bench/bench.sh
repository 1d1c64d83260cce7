#!/bin/sh
# make bench: the Clarity -> Xero Order transform over N generated orders
# (default 200,000), side by side with jq and Python running the same
# mapping, and a bare jansson parse-and-print of the same file.  Prints
# orders/s, MB/s and peak memory (max RSS) per contender, then the compiled
# transform's peak memory at N/10 and N to show it stays flat, and last the
# state store's cost per record (tests/bench/state_bench.c, STATE_N records).
# Then wide records: orders whose `attributes` hold WIDE_KEYS (5,000) more
# keys, the keys the mapping reads last, against the same bytes with them
# first (tests/bench/wide.py), per pair that reads attributes; and the idle
# daemon: `serve` against the sandbox, once its first pass is done, left
# alone IDLE_S (60) seconds: its wakeups a second (context switches of all
# its threads, /proc/PID/task/*/status) and its anonymous memory (RssAnon).
# Last, PostgreSQL's load of one `serve --worker` (tests/bench/pg.sh: idle,
# and per record of a backlog; skipped where PostgreSQL is not installed).
# A benchmark, not a test: it prints figures and checks nothing but that
# every contender ran and agreed on the number of documents.
# PARTS="transform state wide idle pg" (the default: all) runs some of them.
set -eu
cd "$(dirname "$0")/../.."
O=${O:-build}
BIN=${BIN:-bin}
N=${N:-200000}
SEED=${SEED:-42}
PARTS=${PARTS:-transform state wide idle pg}
dir=$O/bench
mkdir -p "$dir"
part() { case " $PARTS " in *" $1 "*) return 0 ;; esac; return 1; }
if part transform; then
in=$dir/orders_$N.ndjson
[ -s "$in" ] || python3 tests/bench/gen_orders.py --seed "$SEED" --orders "$N" > "$in"
small=$dir/orders_$((N / 10)).ndjson
[ -s "$small" ] || head -n $((N / 10)) "$in" > "$small"
bytes=$(wc -c < "$in")
# the pair converts foreign orders with the ECB's rates (`currency "USD" from
# file`): one day's, before every generated order (work jq and Python skip:
# they write no CurrencyRate)
rates=$dir/ecb.xml
cat > "$rates" <<'EOF'
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01"
	xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
<Cube><Cube time="2026-01-01"><Cube currency="USD" rate="1.0512"/><Cube currency="GBP" rate="0.8421"/>
<Cube currency="CAD" rate="1.4712"/><Cube currency="AUD" rate="1.6210"/><Cube currency="JPY" rate="161.23"/>
</Cube></Cube></gesmes:Envelope>
EOF
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

run "mapwright (bin/clarity_xero)" "$in" "$BIN/clarity_xero" transform Order --rates "$rates" --dead-letter /dev/null
run "jq (same mapping)" "$in" jq -c -f tests/bench/order.jq
run "python3 (stdlib json)" "$in" python3 tests/bench/order.py
run "jansson parse+print only" "$in" "$O/bench/jansson_pp"
echo
echo "memory as N grows (compiled transform):"
run "mapwright, N/10 orders" "$small" "$BIN/clarity_xero" transform Order --rates "$rates" --dead-letter /dev/null
run "mapwright, N orders" "$in" "$BIN/clarity_xero" transform Order --rates "$rates" --dead-letter /dev/null
fi
if part state; then
echo
echo "the state store (SQLite, WAL, synchronous=FULL; the file in ${TMPDIR:-/tmp}):"
"$O/bench/state_bench" "${STATE_N:-20000}" 50 "${TMPDIR:-/tmp}"
fi

# The CPU seconds (user + system) of the best of three runs of a transform.
cpu() { # pair entity file
	best=
	for i in 1 2 3; do
		/usr/bin/time -f '%U %S' -o "$dir/time" "$BIN/$1" transform "$2" --dead-letter \
			/dev/null < "$3" > "$dir/out" 2> /dev/null || true
		t=$(tail -n 1 "$dir/time" | awk '{ printf "%.3f", $1 + $2 }')
		best=$(awk -v a="${best:-$t}" -v b="$t" 'BEGIN { print (b < a) ? b : a }')
	done
	echo "$best"
}
if part wide; then
	WIDE_N=${WIDE_N:-1000} WIDE_KEYS=${WIDE_KEYS:-5000}
	echo
	echo "wide records: $WIDE_N orders, $WIDE_KEYS more keys in attributes (CPU s, best of 3):"
	python3 tests/bench/gen_orders.py --seed "$SEED" --orders "$WIDE_N" > "$dir/wide_src.ndjson"
	python3 tests/bench/wide.py --keys "$WIDE_KEYS" --place last < "$dir/wide_src.ndjson" \
		> "$dir/wide_last.ndjson"
	python3 tests/bench/wide.py --keys "$WIDE_KEYS" --place first < "$dir/wide_src.ndjson" \
		> "$dir/wide_first.ndjson"
	printf '%-34s %12s %12s %8s\n' "pair (Order)" keys_last_s keys_first_s ratio
	for pair in clarity_xero clarity_intacct; do
		a=$(cpu $pair Order "$dir/wide_last.ndjson")
		b=$(cpu $pair Order "$dir/wide_first.ndjson")
		awk -v p="$pair" -v a="$a" -v b="$b" 'BEGIN {
			printf "%-34s %12.3f %12.3f %8.2f\n", p, a, b, (b > 0 ? a / b : 0) }'
	done
fi
if part idle; then
	echo
	echo "the idle daemon: bin/clarity_xero serve, first pass done, then ${IDLE_S:-60} s alone:"
	GROUP=bench sh tests/bench/idle.sh
fi
if part pg; then
	echo
	sh tests/bench/pg.sh
fi
