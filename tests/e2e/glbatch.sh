#!/bin/sh
# End to end, payment reconciliation in Sage Intacct (issue 13): entity
# Settlement (clarity_intacct.map, `group by date(orderDate) ++ "/" ++
# currency total TRX_AMOUNT`) writes one GLBATCH per settlement day and
# currency, moving the day's captured card and wallet payments from each
# method's clearing account to the currency's bank account:
#   - one batch per day and currency of the store's paid orders, each
#     balanced (Intacct refuses one that is not), its total the day's
#     payments, and the GL per account what the store's payments say;
#   - a payment in a currency with no bank account: a dead letter of its
#     own, its day's batch written without it;
#   - run again: nothing written (each group's document is the one written);
#   - a late payment (an order of an earlier day paid now): that day's
#     batch updated (the same RECORDNO), no new one, the others unchanged.
GROUP=glbatch
. "$(dirname "$0")/lib.sh"
gen clarity 53 120
catalogue  # the items Sage Intacct's order lines are (ref Product)
sandbox_start
use_pair clarity_intacct
# What the store's payments say, from its data: per "day/currency" the
# batch total, and per currency each account's balance (debits positive).
expect() {
	python3 - "$data/clarity_ecommerce.orders.ndjson" <<'PY'
import json, sys
from decimal import Decimal
gl = {"visa": "1010", "mastercard": "1010", "amex": "1011", "applepay": "1010",
      "paypal": "1020"}
bank = {"USD": "1000", "EUR": "1001", "GBP": "1002", "JPY": "1003"}
last = {}
for line in open(sys.argv[1], encoding="utf-8"):
    o = json.loads(line)
    last[o["orderId"]] = o  # the record's newest version
days, books = {}, {}
for o in last.values():
    p = o.get("paymentInfo") or {}
    m = (p.get("method") or "").lower()
    if o.get("status") == "draft" or p.get("status") not in ("captured", "refunded") or \
            m == "giftcard" or o["currency"].upper() not in bank:
        continue
    cur, amt = o["currency"].upper(), Decimal(str(p["amount"]))
    key = o["orderDate"][:10] + "/" + cur
    days[key] = days.get(key, Decimal(0)) + amt
    b = books.setdefault(cur, {})
    b[bank[cur]] = b.get(bank[cur], Decimal(0)) + amt
    b[gl[m]] = b.get(gl[m], Decimal(0)) - amt
print(json.dumps({"days": {k: "%.2f" % v for k, v in sorted(days.items())},
                  "gl": {c: {a: "%.2f" % v for a, v in sorted(b.items())}
                         for c, b in sorted(books.items())}}))
PY
}
# What Intacct holds: per REFERENCENO the batch total, and the GL.
held() {
	dump
	curl -s "$root/_sandbox/books?service=intacct" > "$tmp/books"
	python3 - "$tmp/dump" "$tmp/books" <<'PY'
import json, sys
from decimal import Decimal
d, b = (json.load(open(f)) for f in sys.argv[1:3])
days = {}
for g in d.get("GLBATCH", []):
    ref = g["REFERENCENO"]  # CLARITY-YYYY-MM-DD-CUR
    days[ref[8:18] + "/" + ref[19:]] = "%.2f" % Decimal(g["TOTAL"])
print(json.dumps({"days": dict(sorted(days.items())),
                  "gl": {c: {a: "%.2f" % Decimal(v) for a, v in sorted(x.items())}
                         for c, x in sorted(b.get("gl", {}).items())}}))
PY
}
batches() { jq '.GLBATCH | length' "$tmp/dump"; }

# a paid order in Swiss francs, for which the map has no bank account
jq -c 'select(.paymentInfo.status == "captured" and .status != "draft" and
	(.paymentInfo.method | ascii_downcase) != "giftcard") | .orderId = "SO-CHF-1" |
	.currency = "CHF"' "$data/clarity_ecommerce.orders.ndjson" | head -1 > "$tmp/chf"
t chf-order-accepted [ "$(put_orders "$tmp/chf")" = 200 ]
sync > "$tmp/out" 2> "$tmp/err"
expect > "$tmp/want"
held > "$tmp/got"
n=$(jq '.days | length' "$tmp/want")
line=$(grep -n '^table bank_account' mappings/clarity_intacct.map | cut -d: -f1)
t unknown-currency-dead-letter [ "$(sql "SELECT reason FROM dlq WHERE entity = 'Settlement' AND
	source_key = 'SO-CHF-1'")" = "no bank account for currency (bank_account[\"CHF\"]); no key is\
 near; add it to table bank_account (clarity_intacct.map:$line)" ] ||
	sql "SELECT entity, source_key, reason FROM dlq"
t several-days [ "$n" -ge 4 ] || cat "$tmp/want"
t one-batch-per-day-and-currency [ "$(col Settlement 3)" = "$n" -a "$(batches)" = "$n" -a \
	"$(col Settlement 7)" = 1 ] || cat "$tmp/out" "$tmp/err"
t batches-balanced python3 -c 'import json, sys; from decimal import Decimal
g = json.load(open(sys.argv[1]))["gl"]
sys.exit(0 if g and all(sum(map(Decimal, a.values())) == 0 for a in g.values()) else 1)' "$tmp/got" ||
	jq -c .gl "$tmp/got"
t totals-are-the-days-payments [ "$(jq -c .days "$tmp/got")" = "$(jq -c .days "$tmp/want")" ] ||
	{ jq -c .days "$tmp/want"; jq -c .days "$tmp/got"; }
t gl-is-the-payments-per-method [ "$(jq -c .gl "$tmp/got")" = "$(jq -c .gl "$tmp/want")" ] ||
	{ jq -c .gl "$tmp/want"; jq -c .gl "$tmp/got"; }

# again: every group's document is the one written
sync > "$tmp/out" 2> "$tmp/err"
t rerun-writes-nothing [ "$(col Settlement 3),$(col Settlement 4)" = "0,0" ] || cat "$tmp/out"

# a late payment: an order of an earlier day, authorized then, captured now,
# of a day and currency whose batch is written
late=$(jq -r --slurpfile w "$tmp/want" 'select(.paymentInfo.status == "authorized" and
	.status != "draft" and (.paymentInfo.method | ascii_downcase) != "giftcard" and
	$w[0].days[.orderDate[:10] + "/" + (.currency | ascii_upcase)] != null) | .orderId' \
	"$data/clarity_ecommerce.orders.ndjson" | head -1)
jq -c --arg id "$late" 'select(.orderId == $id) | .paymentInfo.status = "captured" |
	.updatedAt = "2030-01-01T00:00:00Z"' "$data/clarity_ecommerce.orders.ndjson" > "$tmp/late"
day=$(jq -r '.orderDate[:10] + "/" + (.currency | ascii_upcase)' "$tmp/late")
rec=$(jq -r --arg r "CLARITY-$(echo "$day" | tr / -)" '.GLBATCH[] | select(.REFERENCENO == $r) |
	.RECORDNO' "$tmp/dump")
t late-payment-accepted [ -n "$late" -a "$(put_orders "$tmp/late")" = 200 ]
sync > "$tmp/out" 2> "$tmp/err"
expect > "$tmp/want"
held > "$tmp/got"
t late-payment-updates-its-day [ "$(col Settlement 3),$(col Settlement 4)" = "0,1" -a \
	"$(batches)" = "$n" -a "$(jq -r --arg r "CLARITY-$(echo "$day" | tr / -)" '.GLBATCH[] |
	select(.REFERENCENO == $r) | .RECORDNO' "$tmp/dump")" = "$rec" ] || cat "$tmp/out" "$tmp/err"
t late-payment-in-the-days-total [ "$(jq -c .days "$tmp/got")" = "$(jq -c .days "$tmp/want")" -a \
	"$(jq -c .gl "$tmp/got")" = "$(jq -c .gl "$tmp/want")" ] ||
	{ jq -c . "$tmp/want"; jq -c . "$tmp/got"; }

# a batch Intacct refuses (a copy of the map whose EUR bank account the
# company has not), on fresh books and state: each EUR day a dead letter of
# its own naming its members; then `dlq retry` by the shipped map writes them
sandbox_restart
st="$tmp/state2"
sed 's/"EUR" => "1001"/"EUR" => "1999"/' mappings/clarity_intacct.map > "$tmp/broken.map"
make_pair "$tmp/broken.map" "$tmp/broken"
t broken-pair-built [ -x "$tmp/broken" ] || cat "$tmp/make"
"$tmp/broken" run --once --state "$st" --config "$tmp/$pair.env" > "$tmp/out" 2> "$tmp/err"
eur=$(jq '[.days | keys[] | select(endswith("/EUR"))] | length' "$tmp/want")
dead_eur() { sql "SELECT count(*) FROM dlq WHERE entity = 'Settlement' AND source_key LIKE '%/EUR'
	AND dropped = 0 AND reason LIKE '%Invalid Account 1999%'"; }
t refused-batch-dead-letters [ "$eur" -ge 1 -a "$(dead_eur)" = "$eur" -a "$(sql "SELECT
	json_extract(record, '$.members[0]') IS NOT NULL FROM dlq WHERE source_key LIKE '%/EUR'
	LIMIT 1")" = 1 ] || { sql "SELECT source_key, reason, record FROM dlq LIMIT 5"; cat "$tmp/out"; }
"$BIN/$pair" dlq retry --all --state "$st" --config "$tmp/$pair.env" > "$tmp/retry" 2>&1
held > "$tmp/got"
t retried-batches-written [ "$(grep -c 'Settlement .*/EUR: written on retry' "$tmp/retry")" = "$eur" -a \
	"$(jq -c '.days | with_entries(select(.key | endswith("/EUR")))' "$tmp/got")" = \
	"$(jq -c '.days | with_entries(select(.key | endswith("/EUR")))' "$tmp/want")" ] ||
	{ cat "$tmp/retry"; jq -c .days "$tmp/got"; }
summary
