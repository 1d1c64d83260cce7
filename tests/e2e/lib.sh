# Sourced by the end-to-end tests (after setting GROUP):
#   . "$(dirname "$0")/lib.sh"
# It goes to the top of the tree, makes $data (a folder for the script's
# source data) and sets the cleanup trap (the sandbox, $dpid if the script
# starts a daemon, $tmp and $data).  Then:
#   gen SOURCE SEED ORDERS  the store's data (clarity: orders and customers;
#                           nop: orders, customers, products) in
#                           $data/<store>.<collection>.ndjson, and the
#                           sandbox's arguments for it
#   catalogue               the Clarity store's products (gen_orders.py's
#                           SKUs), which Sage Intacct's order lines ref
#   sku_spellings           the Clarity store's orders made five: SO-1..SO-5,
#                           one line each, sku "mug-01 ", "MUG 01", "mug_01",
#                           "mug01" (an alias), "mug-10" (no product)
#   sku_matched MAP PREFIX AT  the checks of those orders' lines once synced
#   sandbox_start ARGS...   bin/sandbox with those and ARGS on a free
#                           loopback port; sets $tmp, $root, $pid
#   sandbox_restart         a fresh sandbox (it forgets what the targets
#                           hold), same ARGS, same $tmp; rewrites the env
#                           files write_env wrote
#   write_env PAIR [SECRET] $tmp/PAIR.env: the sandbox's URLs and
#                           credentials for PAIR (with SECRET: webhooks
#                           on, SECRET the store's, Xero's key the test one)
#   use_pair PAIR [SECRET]  the script's one pair: sets $pair, $svc, $src,
#                           $store, $st ($tmp/state) and writes its env file
#   t NAME COMMAND...       [PASS]/[FAIL] e2e/$GROUP/NAME, counted
#   summary                 the count line; its status is the script's
# and, against the sandbox, for $pair (its binary), $svc (the target the
# sandbox dumps), $st (the state file), $store (the source data's prefix):
#   sync [ARGS...]  dump [SERVICE]  fault JSON  put SERVICE COLLECTION FILE
#   put_orders FILE (Clarity's)  col ENTITY COLUMN  sql QUERY  pending
#   new_order ID STAMP  make_pair MAP OUT
#   free_port           a free loopback port (for a daemon's --port)
#   healthy PORT        waits (at most 10 s) until the daemon on PORT
#                       answers /healthz; its status is whether it did
#   first_pass PORT     waits (at most 120 s) until every entity's first
#                       listing has gone to its end (the daemon's /metrics)
#   switches PID        context switches of all of PID's threads so far
#   quiet PID           waits (at most 30 s) until PID's threads have not
#                       run for a second; prints switches PID then
SUITE=e2e
cd "$(dirname "$0")/../.." || exit 2
BIN=${BIN:-bin}
data=$(mktemp -d)
tmp= pid= dpid= e2e_envs= e2e_store_args=
trap 'kill $pid $dpid 2>/dev/null; [ -n "${E2E_KEEP:-}" ] || rm -rf "$tmp" "$data"' EXIT
pass=0 fail=0

gen() { # source seed orders
	case $1 in
	clarity) set -- clarity_ecommerce gen_orders.py "$2" "$3" orders customers
		e2e_store_args="$e2e_store_args --clarity-orders $data/$1.orders.ndjson
			--clarity-customers $data/$1.customers.ndjson" ;;
	nop) set -- nopcommerce gen_nop.py "$2" "$3" orders customers products
		e2e_store_args="$e2e_store_args --nop-orders $data/$1.orders.ndjson
			--nop-customers $data/$1.customers.ndjson --nop-products $data/$1.products.ndjson" ;;
	esac
	python3 "tests/bench/$2" --seed "$3" --orders "$4" > "$data/$1.orders.ndjson"
	[ $# -lt 6 ] || python3 "tests/bench/$2" --seed "$3" --customers --orders "$4" \
		> "$data/$1.customers.ndjson"
	[ $# -lt 7 ] || python3 "tests/bench/$2" --seed "$3" --products --orders "$4" \
		> "$data/$1.products.ndjson"
}
sku_spellings() { # after gen clarity: one order a line's spelling, from the
	# store's first order: one line, paid later (no payment written), no
	# tax, shipping or discount
	for o in "SO-1 mug-01 " "SO-2 MUG 01" "SO-3 mug_01" "SO-4 mug01" "SO-5 mug-10"; do
		jq -c --arg id "${o%% *}" --arg sku "${o#* }" 'select(.orderId == "SO-100000") |
			.orderId = $id | .status = "processing" | .paymentInfo.status = "pending" |
			.couponCode = null | .taxAmount = 0 | .shippingAmount = 0 | .discountAmount = 0 |
			.totalAmount = 10 | .lineItems = [{"lineId": "1", "sku": $sku, "name": "Mug",
			"quantity": 1, "unitPrice": 10}]' "$data/clarity_ecommerce.orders.ndjson"
	done > "$data/skus.ndjson"
	mv "$data/skus.ndjson" "$data/clarity_ecommerce.orders.ndjson"
}
sku_matched() { # map prefix at: after a sync of five orders (keys
	# PREFIX1..PREFIX5, their lines' SKUs "mug-01 ", "MUG 01", "mug_01",
	# "mug01" and "mug-10", as sku_spellings makes them), with items() of the
	# caller's (the SKUs a document's lines name, as the target keeps
	# them): 1-4 name MUG-01, 5 none, and its dead letter names the nearest
	# SKU and the table an alias goes to, on the .map's first line matching AT
	t trailing-space [ "$(items "${2}1")" = MUG-01 ] || items "${2}1"
	t space [ "$(items "${2}2")" = MUG-01 ] || items "${2}2"
	t underscore [ "$(items "${2}3")" = MUG-01 ] || items "${2}3"
	t alias [ "$(items "${2}4")" = MUG-01 ] || items "${2}4"
	t unknown-not-written [ -z "$(items "${2}5")" ]
	line=$(grep -n '^table sku_alias' "mappings/$1" | cut -d: -f1)
	at=$(grep -n "$3" "mappings/$1" | head -1 | cut -d: -f1)
	want="unresolved reference to Product MUG-10: it is not written yet; nearest: \"MUG-01\"? add an\
 alias to table sku_alias ($1:$line)"
	t unknown-dead-letter [ "$(sql "SELECT reason FROM dlq WHERE source_key = '${2}5'")" = "$want" -a \
		"$(sql "SELECT line FROM dlq WHERE source_key = '${2}5'")" = "$at" ] ||
		sql "SELECT source_key, line, reason FROM dlq"
}
catalogue() { # the Clarity store's products: the SKUs gen_orders.py's lines sell
	python3 -c '
import json
for i, (sku, name, price) in enumerate([("MUG-01", "Mug", "19.99"), ("TEE-02", "T-shirt", "24.50"),
        ("CAP-03", "Cap", "15.00"), ("BAG-04", "Tote bag", "35.00"), ("PEN-05", "Pen", "3.50"),
        ("TEA-06", "Tea", "12.00"), ("SOCK-07", "Socks", "8.99"), ("BOOK-08", "Notebook", "12.99"),
        ("LAMP-09", "Lamp", "149.00")]):
    print(json.dumps({"sku": sku, "name": name, "price": float(price), "quantityOnHand": 5,
                      "active": True, "updatedAt": "2026-11-01T00:00:%02dZ" % i}))' \
		> "$data/clarity_ecommerce.products.ndjson"
	e2e_store_args="$e2e_store_args --clarity-products $data/clarity_ecommerce.products.ndjson"
}
sandbox_up() {
	rm -f "$tmp/port"
	# shellcheck disable=SC2086
	"$BIN/sandbox" --port-file "$tmp/port" $SANDBOX_ARGS > "$tmp/log" 2>&1 &
	pid=$!
	# until it listens: a big data set under ASan on a busy machine takes
	# seconds; it may have died instead
	i=0
	while [ ! -s "$tmp/port" ] && [ $i -lt 300 ] && kill -0 $pid 2>/dev/null; do
		sleep 0.1; i=$((i + 1))
	done
	root="http://127.0.0.1:$(cat "$tmp/port")"
}
sandbox_start() {
	SANDBOX_ARGS="$e2e_store_args $*"
	tmp=$(mktemp -d)
	sandbox_up
}
sandbox_restart() {
	kill $pid 2>/dev/null; wait $pid 2>/dev/null
	sandbox_up
	for e in $e2e_envs; do write_env ${e%%:*} ${e#*:}; done
}

t() {
	name=$1; shift
	if "$@"; then echo "[PASS] $SUITE/$GROUP/$name"; pass=$((pass + 1))
	else echo "[FAIL] $SUITE/$GROUP/$name"; fail=$((fail + 1)); return 1; fi
}
summary() {
	echo "e2e: $pass passed, $fail failed"
	[ $fail -eq 0 ]
}

# The sandbox's side of each service, one line a setting.
env_clarity() { # webhook-secret
	echo "CLARITY_URL=$root/clarity"
	echo "CLARITY_CLIENT_ID=sandbox-client"
	echo "CLARITY_CLIENT_SECRET=sandbox-secret"
	echo "CLARITY_WEBHOOK_SECRET=${1:-unused-here}"
}
env_xero() { # [webhook-key]
	echo "XERO_URL=$root/xero/api.xro/2.0"
	echo "XERO_TOKEN_URL=$root/xero/connect/token"
	echo "XERO_CLIENT_ID=sandbox-client"
	echo "XERO_CLIENT_SECRET=sandbox-secret"
	echo "XERO_TENANT_ID=00000000-0000-4000-8000-00000000000a"
	[ -z "${1:-}" ] || echo "XERO_WEBHOOK_KEY=$1"
	# the pair's rates file (`currency "USD" from file`): the ECB's of 2026, as the
	# sandbox serves them
	curl -s -o "$tmp/ecb.xml" "$root/_sandbox/ecb"
	echo "ECB_RATES=$tmp/ecb.xml"
}
env_intacct() {
	echo "INTACCT_URL=$root/intacct/ia/xml/xmlgw.phtml"
	echo "INTACCT_SENDER_ID=sandbox-sender"
	echo "INTACCT_SENDER_PASSWORD=sandbox-sender-pw"
	echo "INTACCT_COMPANY_ID=sandbox-co"
	echo "INTACCT_USER_ID=sandbox-user"
	echo "INTACCT_USER_PASSWORD=sandbox-user-pw"
}
env_nop() {
	echo "NOP_URL=$root/nop"
	echo "NOP_API_USERNAME=sandbox-api"
	echo "NOP_API_PASSWORD=sandbox-api-pw"
}
env_qbo() { # the realm and refresh token are the sandbox's own
	curl -s "$root/_sandbox/dump?service=qbo" > "$tmp/qbo.start"
	echo "QBO_URL=$root/qbo"
	echo "QBO_TOKEN_URL=$root/qbo/oauth2/v1/tokens/bearer"
	echo "QBO_CLIENT_ID=sandbox-client"
	echo "QBO_CLIENT_SECRET=sandbox-secret"
	echo "QBO_REALM_ID=$(jq -r .realm "$tmp/qbo.start")"
	echo "QBO_REFRESH_TOKEN=$(jq -r .refresh_token "$tmp/qbo.start")"
}
# the token key of the state files (docs/operations.md, "The token key")
e2e_key=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
write_env() { # pair [webhook-secret]
	case $1 in
	clarity_xero) { env_clarity "${2:-}"; env_xero "${2:+xero-webhook-key-test}"; } ;;
	clarity_intacct) { env_clarity "${2:-}"; env_intacct; } ;;
	nopcommerce_qbo) { env_nop; env_qbo; } ;;
	esac > "$tmp/$1.env"
	echo "MW_STATE_KEY=$e2e_key" >> "$tmp/$1.env"
	case " $e2e_envs " in *" $1:${2:-} "*) ;; *) e2e_envs="$e2e_envs $1:${2:-}" ;; esac
}
use_pair() { # pair [webhook-secret]
	pair=$1 st="$tmp/state"
	case $pair in
	clarity_*) src=clarity store=clarity_ecommerce ;;
	nopcommerce_*) src=nop store=nopcommerce ;;
	esac
	case $pair in
	*_xero) svc=xero ;; *_intacct) svc=intacct ;; *_qbo) svc=qbo ;;
	esac
	write_env "$@"
}

make_pair() { # MAP OUT: a pair binary of MAP at OUT, against the build under test as it
	# is (make -o: mapc and the runtime never relinked under the running suite); the
	# log in $tmp/make
	make -s O="${O:-build}" BIN="$BIN" SAN="${SAN:-}" -o "$BIN/mapc" -o "${O:-build}/libmwrt.a" \
		pair MAP="$1" OUT="$2" > "$tmp/make" 2>&1
}
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}
healthy() { # port
	i=0
	while [ $i -lt 100 ] && ! curl -sf "http://127.0.0.1:$1/healthz" > /dev/null 2>&1; do
		sleep 0.1; i=$((i + 1))
	done
	curl -sf "http://127.0.0.1:$1/healthz" -o /dev/null
}
first_pass() { # port
	i=0
	while [ $i -lt 600 ]; do
		curl -s "http://127.0.0.1:$1/metrics" | awk '/^mapwright_poll_success_timestamp_seconds/ {
			n++; ok += $2 > 0 } END { exit !(n > 0 && ok == n) }' && return 0
		sleep 0.2; i=$((i + 1))
	done
	return 1
}
switches() { # pid
	cat /proc/"$1"/task/*/status 2>/dev/null | awk '/ctxt_switches/ { s += $2 } END { print s + 0 }'
}
quiet() { # pid
	a=$(switches "$1") b=-1 i=0
	while [ "$a" != "$b" ] && [ $i -lt 30 ]; do
		sleep 1; b=$a; a=$(switches "$1"); i=$((i + 1))
	done
	echo "$a"
}
sync() { "$BIN/$pair" run --once --state "$st" --config "$tmp/$pair.env" "$@"; }
dump() { curl -s "$root/_sandbox/dump?service=${1:-$svc}" > "$tmp/dump"; }
fault() { curl -s -o /dev/null -X POST --data-binary "$1" "$root/_sandbox/faults"; }
col() { # entity column -> the number in the run's summary in $tmp/out
	awk -v e="$1" -v c="$2" '$1 == e { print $c }' "$tmp/out"
}
put() { # service collection file: into the store, and into the data the
	# reconciliation reads; prints the status
	cat "$3" >> "$data/$store.$2.ndjson"
	curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary @"$3" \
		"$root/_sandbox/records?service=$1&collection=$2"
}
put_orders() { put clarity orders "$1"; }
sql() { # query on the state file $st -> rows, columns joined by |
	python3 -c "import sqlite3,sys; print('\n'.join('|'.join(str(c) for c in r) for r in
	sqlite3.connect(sys.argv[1]).execute(sys.argv[2])))" "$st" "$1"
}
pending() { sql "SELECT count(*) FROM journal WHERE state = 'pending'"; }
new_order() { # id stamp -> a copy of the Clarity order $template (SO-100001)
	# under a new id and stamp
	jq -c --arg t "${template:-SO-100001}" --arg id "$1" --arg at "$2" \
		'select(.orderId == $t) | .orderId = $id | .updatedAt = $at' \
		"$data/clarity_ecommerce.orders.ndjson" | head -1
}
