#!/bin/sh
# Hostile input through every pair binary and entity: 3,000 records derived
# from generated orders, truncated, with bytes flipped, absurd numbers,
# 5,000-deep nesting, 100 KB strings, NUL escapes, invalid UTF-8, impossible
# dates.  Each binary must exit 0 or 1 (never crash), print nothing on
# stderr (the suite runs this under ASan+UBSan too, which report there) and
# dead-letter what it cannot transform.
cd "$(dirname "$0")/../.." || exit 2
BIN=${BIN:-bin}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 tests/bench/gen_orders.py --seed 5 --orders 300 > "$tmp/base"
python3 - "$tmp/base" "$tmp/in" <<'PY'
import random, sys
rnd = random.Random(5)
base = open(sys.argv[1], 'rb').read().splitlines()
out = []
for i in range(3000):
    l = bytearray(rnd.choice(base))
    k = rnd.random()
    if k < 0.25:
        l = l[:rnd.randint(0, len(l))]
    elif k < 0.5:
        for _ in range(rnd.randint(1, 5)):
            l[rnd.randrange(len(l))] = rnd.randrange(256)
    elif k < 0.6:
        l = l.replace(b'"unitPrice":', b'"unitPrice":' + b'9' * rnd.randint(15, 40) + b'.5,"x":')
    elif k < 0.65:
        l = bytearray(b'[' * 5000 + b']' * 5000)
    elif k < 0.7:
        l = bytearray(b'{"orderId":"' + b'x' * 100000 + b'"}')
    elif k < 0.75:
        l = l.replace(b'"quantity":', b'"quantity":-92233720368547758080,"q":')
    elif k < 0.8:
        l = l.replace(b'2026-11', rnd.choice([b'2026-02-30', b'9999-99', b'2026-11-31T25']))
    elif k < 0.85:
        l = l.replace(b'"', b'\\u0000"', 1)
    elif k < 0.9:
        l = l.replace(b'USD', b'\xc3\x28', 1)
    out.append(bytes(l))
open(sys.argv[2], 'wb').write(b'\n'.join(out) + b'\n')
PY
status=0
for pair in clarity_xero clarity_intacct; do
	for entity in $("$BIN/$pair" --help | awk '/^  [A-Za-z]/ && $3 == "->" { print $1 }'); do
		"$BIN/$pair" transform "$entity" --dead-letter "$tmp/dead" < "$tmp/in" \
			> "$tmp/out" 2> "$tmp/err"
		rc=$?
		if [ $rc -le 1 ] && [ ! -s "$tmp/err" ] && [ -s "$tmp/dead" ]; then
			echo "[PASS] hostile/$pair-$entity"
		else
			echo "[FAIL] hostile/$pair-$entity (exit $rc)"; head -c 2000 "$tmp/err"; status=1
		fi
	done
done
exit $status
