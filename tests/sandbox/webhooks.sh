#!/bin/sh
# The sandbox's Clarity webhooks: SHA-256 and HMAC-SHA256 against the
# FIPS 180-4 examples, the RFC 4231 test cases and python3's hashlib/hmac;
# then a receiver (a small python3 http.server that records every request)
# gets exactly one signed event per record change, of the right type, naming
# the right key (an order's status or a shipment written through the API
# too, an inventory level not); a receiver answering 503 is retried with the same event
# until it answers 2xx, or given up after 5 attempts; and a sandbox whose
# webhook URL is itself delivers instead of deadlocking.
cd "$(dirname "$0")/../.." || exit 2
BIN=${BIN:-bin}
data=$(mktemp -d)
SECRET=whsec_sandbox_test
cat > "$data/receiver.py" <<'EOF'
# Records each POST as one JSON line (path, headers, raw body, the status
# it answered); answers 503 while the number in the control file is > 0.
import http.server, json, sys
log, ctl, portfile = sys.argv[1:4]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        try:
            fails = int(open(ctl).read().strip() or 0)
        except (FileNotFoundError, ValueError):
            fails = 0
        status = 503 if fails > 0 else 200
        if fails > 0:
            open(ctl, "w").write(str(fails - 1))
        with open(log, "a") as f:
            f.write(json.dumps({"path": self.path, "headers": dict(self.headers.items()),
                                "body": body.decode("utf-8"), "status": status}) + "\n")
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(portfile + ".tmp", "w").write(str(s.server_port))
import os; os.rename(portfile + ".tmp", portfile)
s.serve_forever()
EOF
: > "$data/log"
python3 "$data/receiver.py" "$data/log" "$data/ctl" "$data/rport" &
rpid=$!
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do [ -s "$data/rport" ] && break; sleep 0.2; done
hook="http://127.0.0.1:$(cat "$data/rport")/hooks/clarity"
SANDBOX_ARGS="--clarity-webhook-url $hook --clarity-webhook-secret $SECRET"
GROUP=webhooks
. "$(dirname "$0")/lib.sh"
spid=
trap 'kill $pid $rpid $spid 2>/dev/null; rm -rf "$tmp" "$data"' EXIT

# ---- SHA-256 and HMAC-SHA256 --------------------------------------------
# The expected digests are the published ones: FIPS 180-4's examples
# (csrc.nist.gov, SHA256.pdf and the one-million-"a" message) and RFC 4231
# section 4 (test case 5 is truncated to 128 bits there).
hx() { printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n'; }
rep() { python3 -c 'import sys; print(sys.argv[1] * int(sys.argv[2]))' "$1" "$2"; }
{
	echo "sha256 $(hx abc)"
	echo "sha256 -"
	echo "sha256 $(hx abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq)"
	echo "sha256 $(rep 61 1000000)"
	echo "hmac $(rep 0b 20) $(hx 'Hi There')"
	echo "hmac $(hx Jefe) $(hx 'what do ya want for nothing?')"
	echo "hmac $(rep aa 20) $(rep dd 50)"
	echo "hmac 0102030405060708090a0b0c0d0e0f10111213141516171819 $(rep cd 50)"
	echo "hmac $(rep 0c 20) $(hx 'Test With Truncation')"
	echo "hmac $(rep aa 131) $(hx 'Test Using Larger Than Block-Size Key - Hash Key First')"
	m7='This is a test using a larger than block-size key and a larger than block-size data.'
	m7="$m7 The key needs to be hashed before being used by the HMAC algorithm."
	echo "hmac $(rep aa 131) $(hx "$m7")"
} > "$tmp/vectors"
"$BIN/sandbox" --hmac-selftest < "$tmp/vectors" > "$tmp/digests"
cat > "$tmp/want" <<'EOF'
ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1
cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0
b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7
5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843
773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe
82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b
a3b6167473100ee06e0c796c2955552b
60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54
9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2
EOF
t sha256-fips-180-4 [ "$(head -n 4 "$tmp/digests")" = "$(head -n 4 "$tmp/want")" ]
# case 5 compares the first 128 bits, as the RFC prints them
t hmac-rfc-4231 [ "$(sed -n '5,11p' "$tmp/digests" | awk 'NR == 5 { $0 = substr($0, 1, 32) } 1')" = \
	"$(sed -n '5,11p' "$tmp/want")" ]
# every length around the 55/56/64-byte padding edges, and keys around the
# block size, against python3's hashlib and hmac
python3 - "$tmp/random" "$tmp/random.want" <<'EOF'
import hashlib, hmac, random, sys
r = random.Random(4231)
with open(sys.argv[1], "w") as v, open(sys.argv[2], "w") as w:
    for n in list(range(0, 140)) + [1000, 4097]:
        m = bytes(r.randrange(256) for _ in range(n))
        v.write("sha256 %s\n" % (m.hex() or "-"))
        w.write(hashlib.sha256(m).hexdigest() + "\n")
        k = bytes(r.randrange(256) for _ in range(r.choice([0, 1, 20, 63, 64, 65, 131, 200])))
        v.write("hmac %s %s\n" % (k.hex() or "-", m.hex() or "-"))
        w.write(hmac.new(k, m, "sha256").hexdigest() + "\n")
EOF
"$BIN/sandbox" --hmac-selftest < "$tmp/random" > "$tmp/random.got"
t sha256-hmac-vs-python [ "$(wc -l < "$tmp/random.got")" -eq 284 ] &&
	cmp -s "$tmp/random.got" "$tmp/random.want"
if command -v openssl > /dev/null 2>&1; then
	printf 'the raw body, signed' > "$tmp/msg"
	o=$(openssl dgst -sha256 -hmac "$SECRET" "$tmp/msg" | sed 's/.*= *//')
	t hmac-vs-openssl [ "$(echo "hmac $(hx "$SECRET") $(hx 'the raw body, signed')" |
		"$BIN/sandbox" --hmac-selftest)" = "$o" ]
fi

# ---- deliveries -----------------------------------------------------------
api="$root/clarity/api/v1"
tok=$(curl -s -u sandbox-client:sandbox-secret -d grant_type=client_credentials \
	"$root/clarity/oauth/token" | jq -r .access_token)
post() { # collection ndjson-file -> the records endpoint's answer
	curl -s --data-binary @"$2" "$root/_sandbox/records?service=clarity&collection=$1"
}
settle() { # wait until N deliveries are listed and none is pending
	for i in $(seq 1 60); do
		curl -s "$root/_sandbox/webhooks" > "$tmp/list"
		[ "$(jq --argjson n "$1" '(.deliveries | length) >= $n and
			all(.deliveries[]; .state != "pending")' "$tmp/list")" = true ] && return 0
		sleep 0.1
	done
	return 1
}
# checks every request of the receiver's log for event ID (all of them when
# ID is "-"): signature over "<timestamp>.<raw body>", event-id header equal
# to the body's id, timestamp fresh; prints "N TYPE DATA" (requests, type, data)
verify() {
	python3 - "$data/log" "$SECRET" "$1" <<'EOF'
import hashlib, hmac, json, re, sys, time
log, secret, want = sys.argv[1], sys.argv[2].encode(), sys.argv[3]
n, seen = 0, set()
for line in open(log):
    r = json.loads(line)
    h = {k.lower(): v for k, v in r["headers"].items()}
    ev = json.loads(r["body"])
    if want != "-" and ev["id"] != want:
        continue
    n += 1
    ts = h["x-clarity-timestamp"]
    mac = hmac.new(secret, ts.encode() + b"." + r["body"].encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(h["x-clarity-signature"], "sha256=" + mac):
        sys.exit("bad signature on " + ev["id"])
    if h["x-clarity-event-id"] != ev["id"] or abs(time.time() - int(ts)) > 300:
        sys.exit("bad event id or stale timestamp on " + ev["id"])
    if h["content-type"] != "application/json" or r["path"] != "/hooks/clarity":
        sys.exit("bad content type or path")
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", ev["createdAt"]):
        sys.exit("createdAt is not RFC 3339: " + ev["createdAt"])
    if sorted(ev) != ["createdAt", "data", "id", "type"]:
        sys.exit("unexpected fields: %s" % sorted(ev))
    seen.add((ev["type"], json.dumps(ev["data"], sort_keys=True, separators=(",", ":"))))
print(n, " ".join("%s %s" % s for s in sorted(seen)))
EOF
}
events() { jq -r '.deliveries[] | "\(.type) \(.key) \(.state) \(.statuses | map(tostring) | join(","))"' \
	"$tmp/list"; }

python3 tests/bench/gen_orders.py --seed 7 --orders 3 | head -n 1 |
	jq -c '.orderId = "SO-WH-1" | .paymentInfo.status = "authorized" |
	.updatedAt = "2027-02-01T00:00:00Z"' > "$tmp/o1"
t order-added [ "$(post orders "$tmp/o1" | jq -c .)" = '{"added":1,"replaced":0,"bad":0}' ]
settle 1
t order-created-one-delivery [ "$(events)" = "order.created SO-WH-1 delivered 200" ] &&
	[ "$(wc -l < "$data/log")" = 1 ]
t order-created-signed [ "$(verify -)" = '1 order.created {"orderId":"SO-WH-1"}' ]
id1=$(jq -r '.deliveries[0].id' "$tmp/list")
t body-as-listed [ "$(jq -r .body "$data/log")" = "$(jq -r '.deliveries[0].body' "$tmp/list")" ]
# the event is a hint: the receiver fetches the record by the key it names
key=$(jq -r '.body | fromjson | .data.orderId' "$data/log")
t receiver-fetches-record [ "$(curl -s -H "Authorization: Bearer $tok" "$api/orders/$key")" = \
	"$(cat "$tmp/o1")" ]
# a tampered body or another secret does not verify (the check above bites)
t tampered-refused python3 -c 'import hashlib, hmac, json, sys
r = json.loads(open(sys.argv[1]).readline()); h = {k.lower(): v for k, v in r["headers"].items()}
ts = h["x-clarity-timestamp"].encode()
bad = [hmac.new(sys.argv[2].encode(), ts + b"." + r["body"].replace("SO-WH-1", "SO-WH-2").encode(),
		hashlib.sha256).hexdigest(),
       hmac.new(b"another-secret", ts + b"." + r["body"].encode(), hashlib.sha256).hexdigest()]
sys.exit(any(h["x-clarity-signature"] == "sha256=" + b for b in bad))' "$data/log" "$SECRET"

# replaced and now captured: order.paid; replaced again: order.updated
jq -c '.paymentInfo.status = "captured" | .updatedAt = "2027-02-01T01:00:00Z"' "$tmp/o1" > "$tmp/o2"
jq -c '.status = "fulfilled" | .updatedAt = "2027-02-01T02:00:00Z"' "$tmp/o2" > "$tmp/o3"
post orders "$tmp/o2" > /dev/null
settle 2
post orders "$tmp/o3" > /dev/null
settle 3
t order-paid-then-updated [ "$(events | sed -n '2,3p' | tr '\n' ';')" = \
	"order.paid SO-WH-1 delivered 200;order.updated SO-WH-1 delivered 200;" ]
# a customer and a product added, the product replaced: one event each; a
# line that is not a record sends none
printf '%s\n' '{"customerId":"C-WH-1","email":"wh@example.com","updatedAt":"2027-02-01T00:00:00Z"}' \
	'not json' > "$tmp/c"
printf '%s\n' '{"sku":"WH-SKU","name":"Hook","price":9.99,"quantityOnHand":3,
"updatedAt":"2027-02-01T00:00:00Z"}' | tr -d '\n' > "$tmp/p1"
echo >> "$tmp/p1"
jq -c '.price = 10.49 | .updatedAt = "2027-02-02T00:00:00Z"' "$tmp/p1" > "$tmp/p2"
t bad-line-counted [ "$(post customers "$tmp/c" | jq -c .)" = '{"added":1,"replaced":0,"bad":1}' ]
post products "$tmp/p1" > /dev/null
post products "$tmp/p2" > /dev/null
settle 6
t customer-and-product-events [ "$(events | sed -n '4,6p' | tr '\n' ';')" = "customer.created C-WH-1 \
delivered 200;product.created WH-SKU delivered 200;product.updated WH-SKU delivered 200;" ]
# two lines of one body: two events with different ids
printf '%s\n' '{"shipmentId":"SH-1","orderId":"SO-WH-1","updatedAt":"2027-02-03T00:00:00Z"}' \
	'{"shipmentId":"SH-2","orderId":"SO-WH-1","updatedAt":"2027-02-03T00:00:01Z"}' > "$tmp/s"
post shipments "$tmp/s" > /dev/null
settle 8
t two-lines-two-events [ "$(events | sed -n '7,8p' | tr '\n' ';')" = \
	"shipment.created SH-1 delivered 200;shipment.created SH-2 delivered 200;" ] &&
	[ "$(jq -r '.deliveries[].id' "$tmp/list" | sort -u | wc -l)" = 8 ]
t every-request-signed [ "$(verify - | cut -d ' ' -f 1)" = 8 ] && [ "$(wc -l < "$data/log")" = 8 ]
t customer-event-data [ "$(verify "$(jq -r '.deliveries[3].id' "$tmp/list")")" = \
	'1 customer.created {"customerId":"C-WH-1"}' ]

# ---- a failing receiver: 503 twice, then 200 --------------------------------
echo 2 > "$data/ctl"
printf '%s\n' '{"returnId":"RT-1","orderId":"SO-WH-1","updatedAt":"2027-02-04T00:00:00Z"}' > "$tmp/r"
post returns "$tmp/r" > /dev/null
settle 9
t retried-until-2xx [ "$(events | sed -n 9p)" = "return.created RT-1 delivered 503,503,200" ]
id9=$(jq -r '.deliveries[8].id' "$tmp/list")
t retries-same-event [ "$(jq -r --arg id "$id9" 'select((.body | fromjson | .id) == $id) | .status' \
	"$data/log" | tr '\n' ' ')" = "503 503 200 " ] &&
	[ "$(jq -r --arg id "$id9" 'select((.body | fromjson | .id) == $id) | .body' "$data/log" |
	sort -u | wc -l)" = 1 ]
t retries-each-signed [ "$(verify "$id9")" = '3 return.created {"returnId":"RT-1"}' ]
t first-event-sent-once [ "$(verify "$id1" | cut -d ' ' -f 1)" = 1 ]
# never answering 2xx: 5 attempts, then given up
echo 100 > "$data/ctl"
jq -c '.updatedAt = "2027-02-05T00:00:00Z"' "$tmp/r" > "$tmp/r2"
post returns "$tmp/r2" > /dev/null
sleep 3
t backoff-still-pending [ "$(curl -s "$root/_sandbox/webhooks" | jq -r '.deliveries[9].state')" = pending ]
settle 10
t given-up-after-5 [ "$(events | sed -n 10p)" = "return.updated RT-1 failed 503,503,503,503,503" ]
echo 0 > "$data/ctl"

# writes through the store's API are changes too: an order's status
# (order.updated), a shipment created (shipment.created); an inventory level
# sends none (a sync writing stock back would wake itself)
w() { curl -s -o /dev/null -w '%{http_code}' -X "$1" -H "Authorization: Bearer $tok" -d "$3" \
	"$api/$2"; }
t api-writes [ "$(w PUT inventory/WH-SKU '{"quantityOnHand":4}') $(w PUT \
	orders/SO-WH-1/status '{"status":"completed"}') $(w POST shipments \
	'{"orderId":"SO-WH-1","carrier":"UPS","trackingNumber":"1ZWH"}')" = "200 200 201" ]
settle 12
t api-write-events [ "$(events | sed -n '11,$p' | cut -d ' ' -f 1-3 | tr '\n' ';')" = \
	"order.updated SO-WH-1 delivered;shipment.created SH-100001 delivered;" ]

# ---- a sandbox whose webhook URL is itself ----------------------------------
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
self="http://127.0.0.1:$port"
"$BIN/sandbox" --port "$port" --clarity-webhook-url "$self/_sandbox/dump?service=clarity" \
	--clarity-webhook-secret "$SECRET" > "$tmp/self.log" 2>&1 &
spid=$!
for i in $(seq 1 25); do curl -s -o /dev/null "$self/_sandbox/webhooks" && break; sleep 0.2; done
curl -s --data-binary @"$tmp/o1" "$self/_sandbox/records?service=clarity&collection=orders" > /dev/null
for i in $(seq 1 50); do
	[ "$(curl -s -m 2 "$self/_sandbox/webhooks" | jq -r '.deliveries[0].state')" = delivered ] && break
	sleep 0.1
done
t self-url-no-deadlock [ "$(curl -s -m 2 "$self/_sandbox/webhooks" |
	jq -r '.deliveries[0] | "\(.type) \(.state) \(.statuses)"')" = "order.created delivered [200]" ]
kill $spid 2>/dev/null
echo "webhooks: $pass passed, $fail failed"
[ $fail -eq 0 ]
