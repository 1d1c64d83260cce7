#!/bin/sh
# End to end, Clarity eCommerce -> Xero: exactly once across the versions of a
# record, and keys never cut (issue 11, items 3 and 9).
#
# A new order's create commits in Xero but its answer is lost, and the re-send
# at the start of the next run gets no answer either (a policy of one attempt,
# so a run leaves it pending).  Meanwhile the order changed: its new version
# must wait for the earlier write, never be created beside it (two invoices
# for one order), and the run that leaves it waiting exits 3.  Once Xero
# answers, the earlier write is resolved and the new version is an update of
# the same invoice.  A key that holds a NUL byte is a dead letter with its
# own reason, never cut into another order's key.
GROUP=versions
. "$(dirname "$0")/lib.sh"
gen clarity 21 6
catalogue  # the items Xero's order lines name (ref Product)
sandbox_start
use_pair clarity_xero
# one attempt per request: what a run cannot send stays pending
sed 's/retry 6 backoff 1s\.\.5m jitter then dead_letter/retry 1 then dead_letter/' \
	mappings/clarity_xero.map > "$tmp/once.map"
make_pair "$tmp/once.map" "$tmp/once"
t one-attempt-mapping-builds [ -x "$tmp/once" ] || cat "$tmp/make"
sync1() { "$tmp/once" run --once --state "$st" --config "$tmp/$pair.env"; }
invoices() { # of order $1 in what Xero holds
	dump
	jq --arg o "$1" '[.Invoices[] | select(.Reference == $o)] | length' "$tmp/dump"
}
sync1 > "$tmp/out" 2>&1
t first-sync [ $? -ne 2 ] || cat "$tmp/out"

new_order SO-900001 2030-01-02T00:00:00Z |
	jq -c '.status = "processing" | .paymentInfo.status = "authorized"' \
	> "$tmp/v1"
put_orders "$tmp/v1" > /dev/null
fault '{"service":"xero","lose_response":1}'
sync1 > "$tmp/out" 2>&1
rc=$?
t lost-answer-pending [ "$(pending)" -ge 1 -a $rc = 3 ] || { echo "rc=$rc"; cat "$tmp/out"; }
t lost-answer-one-invoice [ "$(invoices SO-900001)" = 1 ]

# the order changes; the re-send of its first version is answered by nothing
jq -c '.updatedAt = "2030-01-03T00:00:00Z" | .lineItems[0].name = "Renamed while pending"' \
	"$tmp/v1" > "$tmp/v2"
put_orders "$tmp/v2" > /dev/null
fault '{"service":"xero","drop":1}'
sync1 > "$tmp/out" 2>&1
rc=$?
t newer-version-waits [ "$(invoices SO-900001)" = 1 ] || cat "$tmp/out"
t waiting-run-exits-3 [ $rc = 3 ] || { echo "rc=$rc"; cat "$tmp/out"; }
t waiting-says-why grep -q "SO-900001: an earlier version's write is still pending" "$tmp/out" ||
	cat "$tmp/out"

# Xero answers again: the first write resolved, the new version an update
fault '{"service":"xero"}'
sync1 > "$tmp/out" 2>&1
rc=$?
t resolved-one-invoice [ "$(invoices SO-900001)" = 1 ] || cat "$tmp/out"
t resolved-updated [ "$(jq -r '.Invoices[] | select(.Reference == "SO-900001") |
	.LineItems[0].Description' "$tmp/dump")" = "Renamed while pending" ] || cat "$tmp/out"
t resolved-nothing-pending [ "$(pending)" = 0 -a $rc -ne 2 ] || { echo "rc=$rc"; cat "$tmp/out"; }

# a key with a NUL byte in it is its own dead letter
new_order SO-900002 2030-01-04T00:00:00Z |
	jq -c '.status = "processing" | .orderId = "SO-900002\u0000x"' > "$tmp/nul"
t nul-key-stored [ "$(put_orders "$tmp/nul")" = 200 ]
sync1 > "$tmp/out" 2>&1
"$tmp/once" dlq list --state "$st" > "$tmp/dlq"
t nul-key-dead-letter grep -q "the key orderId holds a NUL byte" "$tmp/dlq" || cat "$tmp/dlq"
t nul-key-not-cut [ "$(invoices SO-900002)" = 0 ] || cat "$tmp/out"
summary
