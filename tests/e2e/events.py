#!/usr/bin/env python3
"""Store events on the sandbox's storefront records, as a shop's life makes them.

    events.py ROOT EVENT STORE KEY [--amount A] [--at STAMP]
    events.py ROOT new STORE [--paid] [--seed S] [--at STAMP]
    events.py ROOT simulate --store clarity|nop --days N --seed S [--start K]

ROOT is the sandbox (http://127.0.0.1:PORT); STORE is clarity or nop; KEY an
order's key (SO-100001, 10001) or, for the customer events, a customer's
(C-12, 12).  The records are read and written over the sandbox's records API
(GET / POST /_sandbox/records?service=STORE&collection=NAME): each event
rewrites whole records, every other member kept as it was, amounts with
their exact text (Decimal in, the same digits out).

EVENT, each a change the store itself would make:
  pay       unpaid -> paid.  Clarity: paymentInfo.status "captured" with the
            order's amount, a method and a transactionId; a pending order
            becomes processing.  NopCommerce: PaymentStatusId 10/20 -> 30,
            PaidDateUtc, CaptureTransactionId; OrderStatusId 10 -> 20.
  refund    the whole payment back.  Clarity: paymentInfo.status "refunded".
            NopCommerce: PaymentStatusId 40, RefundedAmount = OrderTotal.
  return    part of it back (--amount, else one unit of the first line with
            its share of tax).  Clarity: a new `returns` record, status
            "refunded" (or --status requested: the refund comes later with
            return-refund RT-...), refundAmount.  NopCommerce: PaymentStatusId
            35, RefundedAmount grows (40 when it reaches OrderTotal).
  return-refund  a requested Clarity return becomes "refunded".
  cancel    Clarity: status "cancelled" (an authorisation is voided; with
            --refund a captured payment is refunded too).  NopCommerce:
            OrderStatusId 40 (with --refund: PaymentStatusId 40 and
            RefundedAmount = OrderTotal).
  ship      Clarity: processing -> fulfilled -> completed, and a `shipments`
            record.  NopCommerce: ShippingStatusId 20 -> 30 -> 40 (delivered
            and paid: OrderStatusId 30 Complete), and a `shipments` record.
  address / email   a customer's address or e-mail edited.
  new       a new order of an existing customer (--paid: paid at once).

Change stamps: a Clarity record's updatedAt becomes the event's time, later
than every stamp the store holds (so an updated-since cursor sees it), or
--at.  NopCommerce orders and customers have no update stamp (the entities
have none): only the fields change; a new order's CreatedOnUtc is the
event's time.  Everything is deterministic: no wall clock, no unseeded
random.

simulate applies, per day, a mix of these events chosen by a sequence fixed
by --seed, the store and the day (--start K numbers the first day K, so a
caller may run one day at a time) and prints one line per event:
  day 1 pay clarity SO-100012 USD 59.97
"""
import argparse
import datetime
import json
import random
import sys
import urllib.error
import urllib.request
from decimal import Decimal, ROUND_HALF_EVEN

# ---- records over the sandbox's records API --------------------------------

KEYS = {("clarity", "orders"): "orderId", ("clarity", "customers"): "customerId",
        ("clarity", "returns"): "returnId", ("clarity", "shipments"): "shipmentId",
        ("nop", "orders"): "Id", ("nop", "customers"): "Id", ("nop", "shipments"): "Id"}


def loads(text):
    return json.loads(text, parse_float=Decimal)


def dumps(v):
    """Compact JSON with Decimals as their own digits, members in their order."""
    if isinstance(v, dict):
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + dumps(x)
                              for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ",".join(dumps(x) for x in v) + "]"
    if isinstance(v, Decimal):
        return str(v)
    return json.dumps(v, ensure_ascii=False)


class Store:
    """One storefront of the sandbox: its collections, read once, written back."""

    def __init__(self, root, service):
        if service not in ("clarity", "nop"):
            raise SystemExit("events: the store is clarity or nop, not %s" % service)
        self.root, self.service, self.cache = root.rstrip("/"), service, {}

    def url(self, collection):
        return "%s/_sandbox/records?service=%s&collection=%s" % (self.root, self.service,
                                                                 collection)

    def records(self, collection):
        if collection not in self.cache:
            with urllib.request.urlopen(self.url(collection)) as r:
                text = r.read().decode("utf-8")
            self.cache[collection] = [loads(l) for l in text.split("\n") if l.strip()]
        return self.cache[collection]

    def find(self, collection, key):
        k = KEYS[(self.service, collection)]
        for r in self.records(collection):
            if str(r.get(k)) == str(key):
                return r
        raise LookupError("%s has no %s %s" % (self.service, collection, key))

    def save(self, collection, *recs):
        body = "".join(dumps(r) + "\n" for r in recs).encode("utf-8")
        req = urllib.request.Request(self.url(collection), data=body, method="POST")
        try:
            with urllib.request.urlopen(req) as r:
                ans = json.load(r)
        except urllib.error.HTTPError as e:
            raise SystemExit("events: the sandbox refused %s: %s" % (collection, e.read()))
        if ans.get("bad"):
            raise SystemExit("events: %d bad records in %s" % (ans["bad"], collection))
        k = KEYS[(self.service, collection)]
        have = self.records(collection)
        for r in recs:
            for i, old in enumerate(have):
                if old is r or str(old.get(k)) == str(r.get(k)):
                    have[i] = r
                    break
            else:
                have.append(r)


# ---- time ------------------------------------------------------------------

def parse_stamp(s):
    s = s.replace("Z", "+00:00")
    if "." in s[19:]:  # nopCommerce's seven fractional digits
        head, _, tail = s[:19], None, s[19:]
        tail = tail.lstrip(".0123456789")
        s = head + tail
    t = datetime.datetime.fromisoformat(s)
    if t.tzinfo is None:
        t = t.replace(tzinfo=datetime.timezone.utc)
    return t.astimezone(datetime.timezone.utc)


def fmt_stamp(t):
    return t.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Clock:
    """The events' time: after every stamp the store holds (or --at), a
    second more for each event, so that each one is newer than the last."""

    STAMPS = {"clarity": (("orders", "updatedAt"), ("customers", "updatedAt"),
                          ("returns", "updatedAt"), ("shipments", "updatedAt")),
              "nop": (("orders", "CreatedOnUtc"), ("shipments", "CreatedOnUtc"))}

    def __init__(self, store, at=None):
        self.t = parse_stamp(at) if at else None
        if self.t is None:
            latest = None
            for coll, field in self.STAMPS[store.service]:
                for r in store.records(coll):
                    if r.get(field):
                        s = parse_stamp(r[field])
                        latest = s if latest is None or s > latest else latest
            self.t = latest or datetime.datetime(2026, 12, 1, tzinfo=datetime.timezone.utc)

    def tick(self):
        self.t += datetime.timedelta(seconds=1)
        return fmt_stamp(self.t)

    def day(self):
        """The next day, 09:00 UTC."""
        d = (self.t + datetime.timedelta(days=1)).replace(hour=9, minute=0, second=0)
        if d <= self.t:
            d = self.t + datetime.timedelta(seconds=1)
        self.t = d


# ---- money -----------------------------------------------------------------

def dec(v):
    return Decimal(str(v)) if v is not None else Decimal(0)


def places_of(v):
    e = dec(v).as_tuple().exponent
    return -e if e < 0 else 0


def money(x, places):
    return x.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)


def refunded_so_far(store, order_id):
    return sum((dec(r.get("refundAmount")) for r in store.records("returns")
                if r.get("orderId") == order_id and r.get("status") == "refunded"), Decimal(0))


def one_unit(lines, qty, price, tax, places):
    """One unit of the first line with its share of the line's tax."""
    if not lines:
        return None
    li = lines[0]
    q = dec(li.get(qty)) or Decimal(1)
    return money(dec(li.get(price)) + dec(li.get(tax)) / q, places)


# ---- the events --------------------------------------------------------------

class Refused(Exception):
    """The event does not apply to the record as it is (an unpaid order
    refunded, ...): nothing is written."""


PAID_C = ("captured",)
UNPAID_C = ("authorized", "pending", "voided", "failed")


def c_order(store, key):
    return store.find("orders", key)


def c_stamp(rec, clock):
    rec["updatedAt"] = clock.tick()


def n_paid(o):
    return o.get("PaymentStatusId") in (30, 35)


def ev_pay(store, key, clock, method=None, **_):
    if store.service == "clarity":
        o = c_order(store, key)
        pi = o.setdefault("paymentInfo", {})
        if pi.get("status") not in UNPAID_C or o.get("status") in ("cancelled", "draft"):
            raise Refused("%s: payment %s, status %s" % (key, pi.get("status"), o.get("status")))
        pi["status"] = "captured"
        pi["amount"] = o["totalAmount"]
        if method:
            pi["method"] = method
        pi.setdefault("method", "visa")
        pi["transactionId"] = "ch_paid_%s" % key
        if o.get("status") == "pending":
            o["status"] = "processing"
        c_stamp(o, clock)
        store.save("orders", o)
        return "%s %s" % (o["currency"], o["totalAmount"])
    o = store.find("orders", key)
    if o.get("PaymentStatusId") not in (10, 20) or o.get("OrderStatusId") == 40:
        raise Refused("%s: PaymentStatusId %s, OrderStatusId %s" % (
            key, o.get("PaymentStatusId"), o.get("OrderStatusId")))
    o["PaymentStatusId"] = 30
    o["CaptureTransactionId"] = "txn_paid_%s" % key
    o["PaidDateUtc"] = clock.tick()
    if o.get("OrderStatusId") == 10:
        o["OrderStatusId"] = 20
    store.save("orders", o)
    return "%s %s" % (o["CustomerCurrencyCode"], o["OrderTotal"])


def n_set_refunded(o, amount):
    """RefundedAmount, right after OrderTotal as the entity has it."""
    if "RefundedAmount" in o:
        o["RefundedAmount"] = amount
        return
    items = list(o.items())
    o.clear()
    for k, v in items:
        o[k] = v
        if k == "OrderTotal":
            o["RefundedAmount"] = amount
    o.setdefault("RefundedAmount", amount)


def ev_refund(store, key, clock, **_):
    if store.service == "clarity":
        o = c_order(store, key)
        pi = o.get("paymentInfo") or {}
        if pi.get("status") not in PAID_C:
            raise Refused("%s: payment %s" % (key, pi.get("status")))
        if refunded_so_far(store, key):
            raise Refused("%s: a return already refunded part of it" % key)
        pi["status"] = "refunded"
        c_stamp(o, clock)
        store.save("orders", o)
        return "%s %s" % (o["currency"], pi.get("amount"))
    o = store.find("orders", key)
    if not n_paid(o):
        raise Refused("%s: PaymentStatusId %s" % (key, o.get("PaymentStatusId")))
    o["PaymentStatusId"] = 40
    n_set_refunded(o, o["OrderTotal"])
    store.save("orders", o)
    return "%s %s" % (o["CustomerCurrencyCode"], o["OrderTotal"])


def next_key(recs, field, prefix, width, first):
    n = first
    for r in recs:
        s = str(r.get(field, ""))
        if s.startswith(prefix) and s[len(prefix):].isdigit():
            n = max(n, int(s[len(prefix):]) + 1)
    return "%s%0*d" % (prefix, width, n)


def ev_return(store, key, clock, amount=None, status="refunded", **_):
    if store.service == "clarity":
        o = c_order(store, key)
        pi = o.get("paymentInfo") or {}
        if pi.get("status") not in PAID_C:
            raise Refused("%s: payment %s" % (key, pi.get("status")))
        places = places_of(o["totalAmount"])
        left = dec(pi.get("amount")) - refunded_so_far(store, key)
        amt = money(dec(amount), places) if amount is not None else \
            one_unit(o.get("lineItems"), "quantity", "unitPrice", "tax", places)
        if amt is None or amt <= 0 or amt >= left:
            raise Refused("%s: %s of %s left is not a partial refund" % (key, amt, left))
        li = (o.get("lineItems") or [{}])[0]
        stamp = clock.tick()
        rid = next_key(store.records("returns"), "returnId", "RT-", 6, 100001)
        r = {"returnId": rid, "orderId": key}
        if o.get("customerId"):
            r["customerId"] = o["customerId"]
        r.update({"status": status, "reason": "damaged", "currency": o["currency"],
                  "refundAmount": amt,
                  "lineItems": [{"lineId": li.get("lineId", "1"), "sku": li.get("sku"),
                                 "quantity": 1, "refundAmount": amt}],
                  "createdAt": stamp, "updatedAt": stamp})
        store.save("returns", r)
        return "%s %s %s %s" % (rid, status, o["currency"], amt)
    o = store.find("orders", key)
    if not n_paid(o):
        raise Refused("%s: PaymentStatusId %s" % (key, o.get("PaymentStatusId")))
    total, before = dec(o["OrderTotal"]), dec(o.get("RefundedAmount"))
    amt = money(dec(amount), 2) if amount is not None else \
        one_unit(o.get("OrderItems"), "Quantity", "UnitPriceExclTax", "_", 2)
    if amt is None or amt <= 0 or before + amt >= total:
        raise Refused("%s: %s more of %s is not a partial refund" % (key, amt, total - before))
    o["PaymentStatusId"] = 35
    n_set_refunded(o, money(before + amt, 2))
    store.save("orders", o)
    return "%s %s (refunded %s)" % (o["CustomerCurrencyCode"], amt, o["RefundedAmount"])


def ev_return_refund(store, key, clock, **_):
    if store.service != "clarity":
        raise Refused("return-refund is Clarity's (NopCommerce: return)")
    r = store.find("returns", key)
    if r.get("status") not in ("requested", "approved", "received"):
        raise Refused("%s: status %s" % (key, r.get("status")))
    o = c_order(store, r["orderId"])
    left = dec((o.get("paymentInfo") or {}).get("amount")) - refunded_so_far(store, o["orderId"])
    if (o.get("paymentInfo") or {}).get("status") != "captured" or \
            dec(r.get("refundAmount")) >= left:
        raise Refused("%s: order %s cannot give %s back" % (key, o["orderId"],
                                                            r.get("refundAmount")))
    r["status"] = "refunded"
    c_stamp(r, clock)
    store.save("returns", r)
    return "%s %s %s" % (r["orderId"], r.get("currency"), r.get("refundAmount"))


def ev_cancel(store, key, clock, refund=False, **_):
    if store.service == "clarity":
        o = c_order(store, key)
        pi = o.setdefault("paymentInfo", {})
        if o.get("status") in ("cancelled", "completed", "fulfilled", "draft"):
            raise Refused("%s: status %s" % (key, o.get("status")))
        if pi.get("status") == "captured":
            if not refund:
                raise Refused("%s: paid (cancel --refund)" % key)
            if refunded_so_far(store, key):
                raise Refused("%s: a return already refunded part of it" % key)
            pi["status"] = "refunded"
        elif pi.get("status") == "authorized":
            pi["status"] = "voided"
        o["status"] = "cancelled"
        c_stamp(o, clock)
        store.save("orders", o)
        return "%s %s payment %s" % (o["currency"], o["totalAmount"], pi.get("status"))
    o = store.find("orders", key)
    if o.get("OrderStatusId") in (30, 40):
        raise Refused("%s: OrderStatusId %s" % (key, o.get("OrderStatusId")))
    if n_paid(o):
        if not refund or o.get("PaymentStatusId") != 30:
            raise Refused("%s: paid (cancel --refund)" % key)
        o["PaymentStatusId"] = 40
        n_set_refunded(o, o["OrderTotal"])
    o["OrderStatusId"] = 40
    store.save("orders", o)
    return "%s %s PaymentStatusId %s" % (o["CustomerCurrencyCode"], o["OrderTotal"],
                                          o["PaymentStatusId"])


def ev_ship(store, key, clock, **_):
    if store.service == "clarity":
        o = c_order(store, key)
        nxt = {"processing": "fulfilled", "fulfilled": "completed"}.get(o.get("status"))
        if not nxt or (o.get("paymentInfo") or {}).get("status") != "captured":
            raise Refused("%s: status %s" % (key, o.get("status")))
        o["status"] = nxt
        stamp = clock.tick()
        o["updatedAt"] = stamp
        out = [o]
        if nxt == "fulfilled":
            sid = next_key(store.records("shipments"), "shipmentId", "SH-", 6, 100001)
            store.save("shipments", {
                "shipmentId": sid, "orderId": key, "status": "shipped", "carrier": "UPS",
                "trackingNumber": "1Z%s" % sid[3:].rjust(10, "0"), "shippedAt": stamp,
                "lineItems": [{"lineId": li.get("lineId"), "sku": li.get("sku"),
                               "quantity": li.get("quantity")}
                              for li in o.get("lineItems") or []],
                "updatedAt": stamp})
        store.save("orders", *out)
        return nxt
    o = store.find("orders", key)
    nxt = {20: 30, 25: 30, 30: 40}.get(o.get("ShippingStatusId"))
    if not nxt or o.get("OrderStatusId") == 40 or not n_paid(o):
        raise Refused("%s: ShippingStatusId %s" % (key, o.get("ShippingStatusId")))
    o["ShippingStatusId"] = nxt
    stamp = clock.tick()
    if nxt == 30:
        sid = max([int(s["Id"]) for s in store.records("shipments")] + [0]) + 1
        store.save("shipments", {"Id": sid, "OrderId": o["Id"], "TrackingNumber": "1Z%010d" % sid,
                                 "ShippedDateUtc": stamp, "CreatedOnUtc": stamp})
    elif o.get("PaymentStatusId") == 30:
        o["OrderStatusId"] = 30  # delivered and paid: Complete (CheckOrderStatus)
    store.save("orders", o)
    return "ShippingStatusId %d" % nxt


def ev_address(store, key, clock, **_):
    c = store.find("customers", key)
    n = sum(ord(ch) for ch in str(key)) % 900 + 100
    if store.service == "clarity":
        c["addresses"] = [{"line1": "%d Elm St" % n, "city": "Denver", "state": "CO",
                           "postalCode": "80202", "country": "US"}]
        c_stamp(c, clock)
    else:
        b = c.setdefault("BillingAddress", {})
        b["Address1"] = "%d Elm St" % n
        b["City"] = "Denver"
    store.save("customers", c)
    return "%d Elm St" % n


def ev_email(store, key, clock, **_):
    c = store.find("customers", key)
    f = "email" if store.service == "clarity" else "Email"
    old = c.get(f) or "customer@example.com"
    local, _, domain = old.partition("@")
    c[f] = "%s.new@%s" % (local.split(".new")[0], domain or "example.com")
    if store.service == "clarity":
        c_stamp(c, clock)
    store.save("customers", c)
    return c[f]


def ev_new(store, key, clock, paid=False, rng=None, **_):
    """A new order of customer KEY (or one drawn), lines like a sane order's."""
    rng = rng or random.Random(0)
    orders = sorted(store.records("orders"), key=lambda o: str(o.get(
        "orderId" if store.service == "clarity" else "Id")))
    sane = [o for o in orders if sane_order(store.service, o)]
    if not sane:
        raise Refused("no order to take lines from")
    t = rng.choice(sane)
    stamp = clock.tick()
    if store.service == "clarity":
        custs = sorted(c["customerId"] for c in store.records("customers"))
        cust = key or rng.choice(custs)
        places = places_of(t["totalAmount"])
        lines = [dict(li) for li in t["lineItems"]]
        sub = sum((dec(li["quantity"]) * dec(li["unitPrice"]) for li in lines), Decimal(0))
        tax = sum((dec(li.get("tax")) for li in lines), Decimal(0))
        ship, disc = dec(t.get("shippingAmount")), Decimal(0)
        total = money(sub + ship - disc + tax, places)
        oid = next_key(orders, "orderId", "SO-", 6, 100000)
        o = {"orderId": oid, "customerId": cust, "orderDate": stamp,
             "status": "processing" if paid else "pending", "currency": t["currency"],
             "totalAmount": total, "subtotalAmount": money(sub, places),
             "taxAmount": money(tax, places), "shippingAmount": money(ship, places),
             "discountAmount": money(disc, places),
             "shippingAddress": t.get("shippingAddress"), "lineItems": lines,
             "paymentInfo": {"method": (t.get("paymentInfo") or {}).get("method", "visa"),
                             "status": "captured" if paid else "authorized",
                             "transactionId": "ch_new_%s" % oid, "amount": total},
             "attributes": t.get("attributes") or {}, "updatedAt": stamp}
        if o["shippingAddress"] is None:
            del o["shippingAddress"]
        store.save("orders", o)
        return "%s %s %s %s" % (oid, cust, o["currency"], total)
    custs = sorted(int(c["Id"]) for c in store.records("customers"))
    cust = int(key) if key else rng.choice(custs)
    oid = max(int(o["Id"]) for o in orders) + 1
    o = {}
    for k, v in t.items():
        o[k] = v
    o.update({"Id": oid, "OrderGuid": "00000000-0000-4000-8000-%012d" % oid,
              "CustomOrderNumber": str(oid), "CustomerId": cust,
              "OrderStatusId": 20 if paid else 10, "PaymentStatusId": 30 if paid else 10,
              "ShippingStatusId": 20, "CreatedOnUtc": stamp})
    o.pop("PaidDateUtc", None)
    o.pop("CaptureTransactionId", None)
    n_set_refunded(o, Decimal("0.00"))
    if paid:
        o["CaptureTransactionId"] = "txn_new_%d" % oid
        o["PaidDateUtc"] = stamp
    o["OrderItems"] = [dict(i, Id=oid * 10 + n) for n, i in enumerate(t["OrderItems"])]
    store.save("orders", o)
    return "%d %d %s %s" % (oid, cust, o["CustomerCurrencyCode"], o["OrderTotal"])


EVENTS = {"pay": ev_pay, "refund": ev_refund, "return": ev_return,
          "return-refund": ev_return_refund, "cancel": ev_cancel, "ship": ev_ship,
          "address": ev_address, "email": ev_email, "new": ev_new}


def apply(store, event, key, clock=None, **kw):
    """One event; what it did as text.  Raises Refused when it does not apply."""
    return EVENTS[event](store, key, clock or Clock(store), **kw)


# ---- simulate ------------------------------------------------------------------

def sane_order(service, o):
    """Not one of the seeds' deliberately bad orders (they dead-letter)."""
    if service == "clarity":
        li = o.get("lineItems") or []
        if not o.get("customerId") or not li or o.get("status") not in (
                "pending", "processing", "fulfilled", "completed", "cancelled", "draft"):
            return False
        if (o.get("paymentInfo") or {}).get("method") not in (
                "visa", "mastercard", "amex", "paypal", "applepay", "giftcard"):
            return False
        if any(x.get("taxClass") not in ("standard", "reduced", "zero", "exempt") for x in li):
            return False
        sub = sum((dec(x["quantity"]) * dec(x["unitPrice"]) for x in li), Decimal(0))
        return dec(o["totalAmount"]) == sub + dec(o.get("shippingAmount")) - \
            dec(o.get("discountAmount")) + dec(o.get("taxAmount"))
    li = o.get("OrderItems") or []
    if not o.get("CustomerId") or not li or o.get("OrderStatusId") not in (10, 20, 30, 40):
        return False
    if o.get("PaymentMethodSystemName") not in ("Payments.Manual", "Payments.PayPalCommerce",
                                                "Payments.CheckMoneyOrder", "Payments.Square"):
        return False
    sub = sum((dec(x["Quantity"]) * dec(x["UnitPriceExclTax"]) for x in li), Decimal(0))
    return dec(o["OrderTotal"]) == sub + dec(o.get("OrderShippingExclTax")) - \
        dec(o.get("OrderDiscount")) + dec(o.get("OrderTax"))


def candidates(store, event):
    """The keys an event may apply to today, in a fixed order."""
    s = store.service
    if event in ("address", "email"):
        k = "customerId" if s == "clarity" else "Id"
        return sorted(str(c[k]) for c in store.records("customers"))
    if event == "return-refund":
        return sorted(r["returnId"] for r in store.records("returns")
                      if r.get("status") == "requested")
    out = []
    for o in store.records("orders"):
        if not sane_order(s, o):
            continue
        if s == "clarity":
            st, pay = o.get("status"), (o.get("paymentInfo") or {}).get("status")
            ok = {"pay": pay in UNPAID_C and st == "pending",
                  "refund": pay == "captured" and st in ("processing", "fulfilled", "completed"),
                  "return": pay == "captured" and st in ("fulfilled", "completed"),
                  "cancel": pay in UNPAID_C and st == "pending",
                  "cancel-refund": pay == "captured" and st == "processing",
                  "ship": pay == "captured" and st in ("processing", "fulfilled")}[event]
            key = o["orderId"]
        else:
            st, pay, sh = o.get("OrderStatusId"), o.get("PaymentStatusId"), \
                o.get("ShippingStatusId")
            ok = {"pay": pay in (10, 20) and st in (10, 20),
                  "refund": pay == 30 and st in (20, 30),
                  "return": pay in (30, 35) and st in (20, 30),
                  "cancel": pay in (10, 20) and st in (10, 20),
                  "cancel-refund": pay == 30 and st == 20,
                  "ship": n_paid(o) and st in (20, 30) and sh in (20, 25, 30)}[event]
            key = str(o["Id"])
        if ok:
            out.append(key)
    return sorted(out)


# how many of each, per day: the ten days, scaled to a day
DAY_MIX = (("pay", 2), ("refund", 1), ("return", 1), ("cancel", 1), ("cancel-refund", 1),
           ("ship", 3), ("address", 1), ("email", 1), ("new", 3))


def simulate(store, days, seed, start=1, out=sys.stdout, mix=DAY_MIX):
    """The days' events; a list of (day, event, key, what) applied."""
    done = []
    clock = Clock(store)
    for day in range(start, start + days):
        rng = random.Random("%s/%s/%d" % (seed, store.service, day))
        clock.day()
        if store.service == "clarity":
            # a return requested on an earlier day is refunded today
            mix_today = mix + (("return-refund", 1),)
        else:
            mix_today = mix
        for event, n in mix_today:
            for i in range(n):
                if event == "new":
                    paid = rng.random() < 0.6
                    key, _, what = apply(store, "new", None, clock, paid=paid,
                                         rng=rng).partition(" ")
                    label = "new-paid" if paid else "new-unpaid"
                else:
                    keys = candidates(store, event)
                    if not keys:
                        continue
                    key = rng.choice(keys)
                    kw = {}
                    name = event
                    if event == "cancel-refund":
                        name, kw = "cancel", {"refund": True}
                    if event == "return" and store.service == "clarity" and rng.random() < 0.3:
                        kw = {"status": "requested"}
                    try:
                        what = apply(store, name, key, clock, **kw)
                    except Refused:
                        continue
                    label = event
                done.append((day, label, key, what))
                print("day %d %s %s %s %s" % (day, label, store.service, key, what), file=out)
    return done


def main(argv):
    if len(argv) > 2 and argv[2] == "simulate":
        p = argparse.ArgumentParser(prog="events.py ROOT simulate")
        p.add_argument("--store", required=True, choices=("clarity", "nop"))
        p.add_argument("--days", type=int, default=1)
        p.add_argument("--seed", default="1")
        p.add_argument("--start", type=int, default=1)
        a = p.parse_args(argv[3:])
        simulate(Store(argv[1], a.store), a.days, a.seed, a.start)
        return 0
    p = argparse.ArgumentParser(prog="events.py")
    p.add_argument("root")
    p.add_argument("event", choices=sorted(EVENTS))
    p.add_argument("store", choices=("clarity", "nop"))
    p.add_argument("key", nargs="?")
    p.add_argument("--amount")
    p.add_argument("--at")
    p.add_argument("--method")
    p.add_argument("--status", default="refunded", choices=("requested", "approved",
                                                            "refunded"))
    p.add_argument("--refund", action="store_true")
    p.add_argument("--paid", action="store_true")
    p.add_argument("--seed", default="1")
    a = p.parse_args(argv[1:])
    if a.key is None and a.event != "new":
        p.error("%s needs a KEY" % a.event)
    store = Store(a.root, a.store)
    kw = {"pay": {"method": a.method}, "return": {"amount": a.amount, "status": a.status},
          "cancel": {"refund": a.refund},
          "new": {"paid": a.paid, "rng": random.Random(a.seed)}}.get(a.event, {})
    try:
        what = apply(store, a.event, a.key, Clock(store, a.at), **kw)
    except (Refused, LookupError) as e:
        print("events: %s refused: %s" % (a.event, e), file=sys.stderr)
        return 1
    print("%s %s %s %s" % (a.event, a.store, a.key or "", what))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
