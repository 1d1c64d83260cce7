#!/bin/sh
# The sandbox's own seeded data (sandbox --seed S --orders N, sandbox/seed.c):
# the same seed gives byte-identical collections on two sandboxes and
# another seed other ones; N orders per store, and the customers and
# products they reference; money that adds up exactly (python3 decimal)
# except in the deliberately bad records, about 1% of each store's orders;
# the variety of tests/bench/gen_orders.py and gen_nop.py; JPY without
# decimals; an order's later life (Clarity payments refunded in full and
# returns of captured orders, refunded or not yet; NopCommerce orders
# refunded in full or in part, with RefundedAmount); the real pair binaries'
# transform of the generated orders, with
# exactly the bad records dead-lettered for their reasons; a file still
# wins over generation; GET /_sandbox/records as the API serves, and POST
# there still upserts.
cd "$(dirname "$0")/../.." || exit 2
N=2000
SANDBOX_ARGS="--seed 11 --orders $N"
GROUP=seed
. "$(dirname "$0")/lib.sh"
: > "$tmp/pids"
trap 'kill $pid $(cat "$tmp/pids" 2>/dev/null) 2>/dev/null; rm -rf "$tmp"' EXIT
# another sandbox: extra NAME ARGS... -> its root URL on stdout
extra() {
	d="$tmp/sb-$1"
	shift
	mkdir -p "$d"
	"$BIN/sandbox" --port-file "$d/port" "$@" > "$d/log" 2>&1 &
	echo $! >> "$tmp/pids"
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do [ -s "$d/port" ] && break; sleep 0.2; done
	echo "http://127.0.0.1:$(cat "$d/port")"
}
colls="clarity.orders clarity.customers clarity.products clarity.returns nop.orders nop.customers
	nop.products"
# get ROOT DIR: every generated collection as GET /_sandbox/records serves it
get() {
	mkdir -p "$2"
	for sc in $colls; do
		curl -sf "$1/_sandbox/records?service=${sc%.*}&collection=${sc#*.}" > "$2/$sc" ||
			return 1
	done
}
get "$root" "$tmp/a" || echo "[FAIL] sandbox/seed/get-records"
same=$(extra same --seed 11 --orders $N)
other=$(extra other --seed 12 --orders $N)
get "$same" "$tmp/b"
get "$other" "$tmp/c"
ok=1
for sc in $colls; do cmp -s "$tmp/a/$sc" "$tmp/b/$sc" && [ -s "$tmp/a/$sc" ] || ok=0; done
t same-seed-byte-identical [ $ok = 1 ]
ok=1
# (NopCommerce's catalogue is the same whatever the seed, as gen_nop.py's)
for sc in clarity.orders clarity.customers clarity.products clarity.returns nop.orders \
	nop.customers; do
	cmp -s "$tmp/a/$sc" "$tmp/c/$sc" && ok=0
done
t other-seed-differs [ $ok = 1 ]
t counts [ "$(wc -l < "$tmp/a/clarity.orders")" = $N -a "$(wc -l < "$tmp/a/nop.orders")" = $N \
	-a "$(wc -l < "$tmp/a/clarity.customers")" = $((N / 4)) \
	-a "$(wc -l < "$tmp/a/nop.customers")" = $((N / 4)) \
	-a "$(wc -l < "$tmp/a/clarity.products")" = 9 -a "$(wc -l < "$tmp/a/nop.products")" = $((N / 20)) ]
t dump-counts [ "$(curl -s "$root/_sandbox/dump?service=clarity" | jq -c '[.orders, .customers]')" = \
	"[$N,$((N / 4))]" ]

# The records themselves, read with exact decimals: each check prints what
# it found wrong, nothing when all is well.
cat > "$tmp/check.py" <<'EOF'
import json, sys
from decimal import Decimal
d, what = sys.argv[1], sys.argv[2]
def load(name):
    # amounts as Decimal; Python's parser keeps their text in the Decimal
    return [json.loads(l, parse_float=Decimal) for l in open(d + "/" + name, encoding="utf-8")]
def raw_numbers(name):
    # each record with the text of every number in it and its key
    for l in open(d + "/" + name, encoding="utf-8"):
        out = []
        def walk(o, key):
            if isinstance(o, dict):
                for k, v in o.items():
                    walk(v, k)
            elif isinstance(o, list):
                for v in o:
                    walk(v, key)
            elif isinstance(o, tuple):
                out.append((key, o[1]))
        j = json.loads(l, parse_float=lambda s: ("f", s), parse_int=lambda s: ("i", s))
        walk(j, None)
        yield j, out
bad = []
CO = ["totalAmount", "subtotalAmount", "taxAmount", "shippingAmount", "discountAmount"]
def clarity_faults(o):
    f = []
    if "customerId" not in o: f.append("missing required field customerId")
    if o["status"] not in ("pending", "processing", "fulfilled", "completed", "cancelled",
                           "draft"):
        f.append("unknown order status")
    if not o["lineItems"]: f.append("order has no line items")
    if any(li["taxClass"] not in ("standard", "reduced", "zero", "exempt")
           for li in o["lineItems"]):
        f.append("no Xero tax type for tax class")
    lines = sum((li["quantity"] * li["unitPrice"] for li in o["lineItems"]), Decimal(0))
    # (no lines: the total cannot add up either; the mapping says the first)
    if o["lineItems"] and \
            o["totalAmount"] != lines + o["shippingAmount"] - o["discountAmount"] + o["taxAmount"]:
        f.append("order total does not add up")
    if o["paymentInfo"]["method"] not in ("visa", "mastercard", "amex", "paypal", "applepay",
                                          "giftcard"):
        f.append("no GL account for payment method")
    return f
def nop_faults(o):
    f = []
    if "CustomerId" not in o: f.append("missing required field CustomerId")
    if o["OrderStatusId"] not in (10, 20, 30, 40): f.append("unknown OrderStatusId")
    if o["PaymentMethodSystemName"] not in ("Payments.Manual", "Payments.PayPalCommerce",
                                            "Payments.CheckMoneyOrder", "Payments.Square"):
        f.append("no QuickBooks payment method for payment method")
    if not o["OrderItems"]: f.append("order has no items")
    lines = sum((i["Quantity"] * i["UnitPriceExclTax"] for i in o["OrderItems"]), Decimal(0))
    if o["OrderItems"] and \
            o["OrderTotal"] != lines + o["OrderShippingExclTax"] - o["OrderDiscount"] + o["OrderTax"]:
        f.append("order total does not add up")
    return f
def share_ok(n_bad, n):  # about 1%: between 0.5% and 3%
    return 0.005 * n <= n_bad <= 0.03 * n
if what == "refs":
    cc = {c["customerId"] for c in load("clarity.customers")}
    cp = {p["sku"] for p in load("clarity.products")}
    for o in load("clarity.orders"):
        if "customerId" in o and o["customerId"] not in cc: bad.append(o["orderId"] + " customer")
        for li in o["lineItems"]:
            if li["sku"] not in cp: bad.append(o["orderId"] + " sku " + li["sku"])
    nc = {c["Id"] for c in load("nop.customers")}
    np = {p["Id"]: p for p in load("nop.products")}
    for o in load("nop.orders"):
        if "CustomerId" in o and o["CustomerId"] not in nc: bad.append("%d customer" % o["Id"])
        for i in o["OrderItems"]:
            p = np.get(i["ProductId"])
            if not p or p["Sku"] != i["Sku"] or p["Price"] != i["UnitPriceExclTax"]:
                bad.append("%d product %d" % (o["Id"], i["ProductId"]))
elif what == "clarity-money":
    # everything adds up exactly but the deliberately bad totals, which are
    # one unit (1.00, or 100 yen) off while the payment's amount adds up
    wrong = 0
    for o in load("clarity.orders"):
        sub = sum((li["quantity"] * li["unitPrice"] for li in o["lineItems"]), Decimal(0))
        tax = sum((li["tax"] for li in o["lineItems"]), Decimal(0))
        true = sub + o["shippingAmount"] - o["discountAmount"] + o["taxAmount"]
        if o["lineItems"] and (sub != o["subtotalAmount"] or tax != o["taxAmount"]):
            bad.append(o["orderId"] + " subtotal or tax")
        if o["paymentInfo"]["amount"] != true and o["lineItems"]:
            bad.append(o["orderId"] + " payment amount")
        if o["totalAmount"] != true:
            wrong += 1
            unit = Decimal(100) if o["currency"] == "JPY" else Decimal("1.00")
            if o["lineItems"] and o["totalAmount"] - true != unit:
                bad.append(o["orderId"] + " total off by %s" % (o["totalAmount"] - true))
    n = len(load("clarity.orders"))
    if not 0 < wrong <= 0.01 * n:
        bad.append("%d totals do not add up" % wrong)
elif what == "nop-money":
    wrong = 0
    c = Decimal("0.01")
    for o in load("nop.orders"):
        sub = sum((i["Quantity"] * i["UnitPriceExclTax"] for i in o["OrderItems"]), Decimal(0))
        for i in o["OrderItems"]:
            if i["PriceExclTax"] != i["Quantity"] * i["UnitPriceExclTax"]:
                bad.append("%d line" % o["Id"])
        if o["OrderItems"] and sub != o["OrderSubtotalExclTax"]:
            bad.append("%d subtotal" % o["Id"])
        s = o["OrderSubtotalExclTax"]
        if o["OrderDiscount"] not in (0, (s * Decimal("0.10")).quantize(c)):
            bad.append("%d discount" % o["Id"])
        if o["OrderTax"] != ((s - o["OrderDiscount"]) * Decimal("0.08")).quantize(c):
            bad.append("%d tax" % o["Id"])
        true = s + o["OrderShippingExclTax"] - o["OrderDiscount"] + o["OrderTax"]
        if o["OrderTotal"] != true:
            wrong += 1
            if o["OrderTotal"] - true != Decimal("1.00"):
                bad.append("%d total off by %s" % (o["Id"], o["OrderTotal"] - true))
    if not 0 < wrong <= 0.01 * len(load("nop.orders")):
        bad.append("%d totals do not add up" % wrong)
elif what == "bad-share":
    for name, faults in (("clarity.orders", clarity_faults), ("nop.orders", nop_faults)):
        orders = load(name)
        fs = [faults(o) for o in orders]
        n_bad = sum(1 for f in fs if f)
        if not share_ok(n_bad, len(orders)):
            bad.append("%s: %d bad of %d" % (name, n_bad, len(orders)))
        if any(len(f) > 1 for f in fs):
            bad.append(name + ": a record with more than one fault")
        kinds = {k for f in fs for k in f}
        if len(kinds) < (6 if name == "clarity.orders" else 5):
            bad.append(name + ": kinds " + ", ".join(sorted(kinds)))
elif what == "jpy":
    # JPY amounts are whole numbers; the other currencies have two decimals
    money = {"totalAmount", "subtotalAmount", "taxAmount", "shippingAmount", "discountAmount",
             "unitPrice", "tax", "amount"}
    seen = 0
    for j, nums in raw_numbers("clarity.orders"):
        for key, text in nums:
            if key not in money:
                continue
            if j["currency"] == "JPY":
                seen += 1
                if "." in text: bad.append(j["orderId"] + " " + key + " " + text)
            elif len(text.partition(".")[2]) != 2:
                bad.append(j["orderId"] + " " + key + " " + text)
    if not seen: bad.append("no JPY order")
elif what == "variety":
    co = load("clarity.orders")
    def have(label, got, want):
        missing = set(want) - set(got)
        if missing:
            bad.append(label + ": " + ", ".join(sorted(map(str, missing))))
    have("currencies", [o["currency"] for o in co], ["USD", "EUR", "GBP", "JPY"])
    have("offsets", [o["orderDate"][19:] for o in co],
         ["-05:00", "-08:00", "Z", "+01:00", "+05:30", "+09:00"])
    have("lines", [len(o["lineItems"]) for o in co], range(1, 9))
    have("statuses", [o["status"] for o in co],
         ["processing", "completed", "fulfilled", "pending", "cancelled", "draft"])
    have("methods", [o["paymentInfo"]["method"] for o in co],
         ["visa", "mastercard", "amex", "paypal", "applepay", "giftcard"])
    have("pay statuses", [o["paymentInfo"]["status"] for o in co],
         ["captured", "authorized", "voided", "refunded"])
    have("tax classes", [li["taxClass"] for o in co for li in o["lineItems"]],
         ["standard", "reduced", "zero", "exempt"])
    have("channels", [o["attributes"]["channel"] for o in co],
         ["web", "mobile", "marketplace", "pos"])
    have("campaigns", [o["attributes"].get("campaign") or "-" for o in co],
         ["-", "black-friday", "newsletter", "social"])
    have("stores", [o["attributes"]["storeId"] for o in co], ["web", "store-1", "store-2"])
    have("departments", [o["attributes"]["department"] for o in co],
         ["online", "retail", "wholesale"])
    have("coupons", [o.get("couponCode") for o in co], ["BF10", "WELCOME10", "VIP"])
    if any(("couponCode" in o) != (o["discountAmount"] > 0) for o in co):
        bad.append("coupon without discount")
    cc = load("clarity.customers")
    names = " ".join(c["firstName"] + " " + c["lastName"] for c in cc)
    for s in ("Amélie", "Søren", "Zoë", "López", "Müller", "García", "健二", "佐藤"):
        if s not in names: bad.append("clarity name " + s)
    if not any("companyName" in c for c in cc): bad.append("no company")
    no = load("nop.orders")
    have("nop currencies", [o["CustomerCurrencyCode"] for o in no], ["USD", "EUR", "GBP", "CAD"])
    have("nop items", [len(o["OrderItems"]) for o in no], range(1, 7))
    have("nop statuses", [o["OrderStatusId"] for o in no], [10, 20, 30, 40])
    have("nop payment statuses", [o["PaymentStatusId"] for o in no], [10, 20, 30, 35, 40])
    have("nop methods", [o["PaymentMethodSystemName"] for o in no],
         ["Payments.Manual", "Payments.PayPalCommerce", "Payments.CheckMoneyOrder",
          "Payments.Square"])
    # a capture id on the paid orders only, refunded ones included (the bad
    # ones forced to paid aside)
    if any(("CaptureTransactionId" in o) != (o["PaymentStatusId"] in (30, 35, 40)) for o in no
           if not nop_faults(o)):
        bad.append("capture id without payment")
    nc = load("nop.customers")
    if not any("Company" in c for c in nc): bad.append("no nop company")
    if any(c["Email"] != "%s.%s%d@example.com" % (c["FirstName"].lower(), c["LastName"].lower(),
                                                   c["Id"]) for c in nc):
        bad.append("nop email")
    have("nop countries", [c["BillingAddress"]["CountryId"] for c in nc], [1, 2, 80, 81, 75])
elif what == "life":
    # refunds: a Clarity payment refunded in full is a captured one's amount;
    # each return is of a captured order of the same customer and currency,
    # less than its payment, created after the order's last change and
    # updated no earlier; NopCommerce's RefundedAmount is 0.00 unless
    # refunded, the whole OrderTotal at 40, part of it at 35; a few of each
    co = {o["orderId"]: o for o in load("clarity.orders")}
    rs = load("clarity.returns")
    ids = [r["returnId"] for r in rs]
    if len(set(ids)) != len(ids): bad.append("return ids repeat")
    for r in rs:
        o = co.get(r["orderId"])
        if not o or o["paymentInfo"]["status"] != "captured" or clarity_faults(o):
            bad.append(r["returnId"] + " of no captured good order")
            continue
        if r["customerId"] != o["customerId"] or r["currency"] != o["currency"]:
            bad.append(r["returnId"] + " customer or currency")
        if not 0 < r["refundAmount"] < o["paymentInfo"]["amount"] or \
                sum(li["refundAmount"] for li in r["lineItems"]) != r["refundAmount"]:
            bad.append(r["returnId"] + " amount")
        if not o["updatedAt"] < r["createdAt"] <= r["updatedAt"]:
            bad.append(r["returnId"] + " stamps")
    have_st = {r["status"] for r in rs}
    if have_st != {"requested", "approved", "refunded", "rejected"}:
        bad.append("return statuses " + ", ".join(sorted(have_st)))
    n = len(co)
    full = [o for o in co.values() if o["paymentInfo"]["status"] == "refunded"]
    if not 0.01 * n <= len(full) <= 0.05 * n: bad.append("%d refunded of %d" % (len(full), n))
    if not 0.02 * n <= len(rs) <= 0.08 * n: bad.append("%d returns of %d" % (len(rs), n))
    if any(o["status"] in ("pending", "cancelled", "draft") for o in full):
        bad.append("refunded without payment")
    no = load("nop.orders")
    for o in no:
        p, amt, tot = o["PaymentStatusId"], o["RefundedAmount"], o["OrderTotal"]
        if (p == 40 and amt != tot) or (p == 35 and not 0 < amt < tot) or \
                (p not in (35, 40) and amt != 0) or str(amt).count(".") != 1:
            bad.append("%d RefundedAmount %s at %d" % (o["Id"], amt, p))
    for p in (35, 40):
        k = sum(1 for o in no if o["PaymentStatusId"] == p)
        if not 0.005 * len(no) <= k <= 0.06 * len(no):
            bad.append("%d orders at PaymentStatusId %d" % (k, p))
elif what.startswith("served-"):
    # the API's page: the records' own text, byte for byte, in this order
    name, first, count, opener = {"clarity": ("clarity.orders", 500, 500, '{"data":['),
                                  "nop": ("nop.orders", 500, 250, '{"orders":[')}[what[7:]]
    lines = open(d + "/" + name, encoding="utf-8").read().split("\n")[first:first + count]
    body = open(sys.argv[3], encoding="utf-8").read()
    if len(lines) != count or not body.startswith(opener + ",".join(lines) + "]"):
        bad.append("page differs: " + body[:80])
elif what.startswith("dead-"):
    # the dead letters of `transform Order` are exactly the bad orders the
    # entity takes, each for its reason
    pair = what[5:]
    name, faults, key, takes = {
        # every placed order is an invoice, a cancelled one too (its
        # lifecycle voids or credits it): only drafts are left out
        "clarity": ("clarity.orders", clarity_faults, "orderId",
                    lambda o: o["status"] != "draft"),
        # every placed order is an invoice, which carries no payment method
        # (the order's Payment dead-letters that one)
        "nop": ("nop.orders", nop_faults, "Id", lambda o: True),
    }[pair]
    orders = load(name)
    want = {}
    for o in orders:
        f = [x for x in faults(o) if x != "no GL account for payment method" and
             (pair != "nop" or x != "no QuickBooks payment method for payment method")]
        if f and takes(o):
            want[str(o[key])] = f[0]
    got = {}
    for l in open(sys.argv[3], encoding="utf-8"):
        j = json.loads(l)
        got[str(j["key"])] = j["reason"]
    if set(got) != set(want):
        bad.append("dead letters %s, bad records %s" % (sorted(set(got) - set(want))[:5],
                                                        sorted(set(want) - set(got))[:5]))
    for k, r in got.items():
        if k in want and not r.startswith(want[k]):
            bad.append("%s: %s, not %s" % (k, r, want[k]))
    if not 0.003 * len(orders) <= len(got) <= 0.03 * len(orders):
        bad.append("%d dead letters of %d orders" % (len(got), len(orders)))
    ok_lines = sum(1 for _ in open(sys.argv[4]))
    if ok_lines != sum(1 for o in orders if takes(o)) - len(got):
        bad.append("%d transformed" % ok_lines)
for b in bad[:10]:
    print(b)
EOF
check() { python3 "$tmp/check.py" "$tmp/a" "$@" > "$tmp/why" 2>&1; cat "$tmp/why"; [ ! -s "$tmp/why" ]; }
t references-exist check refs
t clarity-money-exact check clarity-money
t nop-money-exact check nop-money
t about-one-percent-bad check bad-share
t jpy-whole-amounts check jpy
t variety check variety
t later-life check life

# the real pair binaries on the generated orders.  Both pairs convert
# foreign orders into USD (docs/sync.md, "Currency"): transform takes its
# rates from a file of the ECB's form, one day before every generated order
cat > "$tmp/ecb.xml" <<'EOF2'
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01"
	xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
<Cube><Cube time="2026-01-01"><Cube currency="USD" rate="1.0512"/><Cube currency="GBP" rate="0.8421"/>
<Cube currency="CAD" rate="1.4712"/><Cube currency="AUD" rate="1.6210"/><Cube currency="JPY" rate="161.23"/>
</Cube></Cube></gesmes:Envelope>
EOF2
"$BIN/clarity_xero" transform Order --rates "$tmp/ecb.xml" < "$tmp/a/clarity.orders" > "$tmp/inv" \
	--dead-letter "$tmp/dead-c"
t clarity-xero-transform [ $? = 1 ]
t clarity-xero-dead-letters check dead-clarity "$tmp/dead-c" "$tmp/inv"
"$BIN/nopcommerce_qbo" transform Order --rates "$tmp/ecb.xml" < "$tmp/a/nop.orders" > "$tmp/rcpt" \
	--dead-letter "$tmp/dead-n"
t nopcommerce-qbo-transform [ $? = 1 ]
t nopcommerce-qbo-dead-letters check dead-nop "$tmp/dead-n" "$tmp/rcpt"

# GET /_sandbox/records is what the API serves, in its order, byte for byte
ctok=$(curl -s -u sandbox-client:sandbox-secret -d grant_type=client_credentials \
	"$root/clarity/oauth/token" | jq -r .access_token)
curl -s -H "Authorization: Bearer $ctok" "$root/clarity/api/v1/orders?page=2&pageSize=500" \
	> "$tmp/api-c"
t records-as-clarity-serves check served-clarity "$tmp/api-c"
ntok=$(curl -s -X GET -H 'Content-Type: application/json' \
	-d '{"username":"sandbox-api","password":"sandbox-api-pw"}' "$root/nop/token" | jq -r .access_token)
curl -s -H "Authorization: Bearer $ntok" "$root/nop/api/orders?limit=250&page=3" > "$tmp/api-n"
t records-as-nop-serves check served-nop "$tmp/api-n"
t records-unknown [ "$(curl -s -o /dev/null -w '%{http_code}' \
	"$root/_sandbox/records?service=nop&collection=invoices")" = 404 ]
t records-put-refused [ "$(curl -s -o /dev/null -w '%{http_code}' -X PUT \
	"$root/_sandbox/records?service=nop&collection=orders")" = 405 ]
# POST still upserts into generated data, and GET shows it at once
line=$(sed -n 1p "$tmp/a/clarity.customers" |
	jq -c '.lastName = "Ünal" | .updatedAt = "2026-11-30T00:00:00Z"')
id=$(echo "$line" | jq -r .customerId)
t records-post-replaces [ "$(printf '%s\n' "$line" | curl -s --data-binary @- \
	"$root/_sandbox/records?service=clarity&collection=customers" | jq -c .)" = \
	'{"added":0,"replaced":1,"bad":0}' ]
curl -s "$root/_sandbox/records?service=clarity&collection=customers" > "$tmp/after"
t records-get-after-post [ "$(tail -n 1 "$tmp/after")" = "$line" -a \
	"$(grep -c "\"customerId\":\"$id\"" "$tmp/after")" = 1 -a "$(wc -l < "$tmp/after")" = $((N / 4)) ]

# a file given explicitly wins for its collection; the others are generated
printf '%s\n' '{"customerId":"C-1","firstName":"File","lastName":"Only","updatedAt":"2026-11-01T00:00:00Z"}' \
	> "$tmp/cust"
mixed=$(extra mixed --seed 11 --orders 40 --clarity-customers "$tmp/cust")
curl -s "$mixed/_sandbox/records?service=clarity&collection=customers" > "$tmp/m-cust"
curl -s "$mixed/_sandbox/records?service=clarity&collection=orders" > "$tmp/m-ord"
curl -s "$mixed/_sandbox/records?service=nop&collection=customers" > "$tmp/m-nop"
t file-wins [ "$(cat "$tmp/m-cust")" = "$(cat "$tmp/cust")" -a "$(wc -l < "$tmp/m-ord")" = 40 \
	-a "$(wc -l < "$tmp/m-nop")" = 10 ]
# without --orders nothing is generated
bare=$(extra bare --seed 11)
t no-orders-no-data [ "$(curl -s "$bare/_sandbox/dump?service=nop" |
	jq -c '[.orders, .customers, .products]')" = '[0,0,0]' ]
refused() { "$BIN/sandbox" "$@" > /dev/null 2>&1; [ $? = 2 ]; }
t bad-orders-flag refused --orders x && t negative-orders-flag refused --orders -3

echo "seed: $pass passed, $fail failed"
[ $fail -eq 0 ]
