#!/usr/bin/env python3
"""Seeded Clarity eCommerce sample data, one JSON record per line.

    gen_orders.py --seed S --orders N               N orders
    gen_orders.py --seed S --orders N --customers   the customers they reference

Deterministic for a seed.  Money is computed in integer cents (JPY in whole
yen) and printed as exact decimal text; totalAmount = lines + shipping -
discount + tax exactly.  Variety: 1-8 lines, several currencies, offsets,
coupons, accents and CJK in names.  About 1% of orders are realistically bad:
an unknown payment method, an unknown status, a missing customerId, a total
that does not add up, no line items, an unknown tax class.
"""
import argparse
import random
import sys

from rawjson import Raw, dumps

FIRST = ["Ana", "Liam", "Amélie", "Jonas", "Priya", "健二", "Olivia", "Mateo", "Søren", "Zoë"]
LAST = ["López", "Smith", "Dubois", "Müller", "Patel", "佐藤", "Johnson", "García", "Nielsen"]
PRODUCTS = [("MUG-01", "Mug", 1999), ("TEE-02", "T-shirt é", 2450), ("CAP-03", "Cap", 1500),
            ("BAG-04", "Tote bag", 3500), ("PEN-05", "Pen", 350), ("TEA-06", "抹茶 tea", 1200),
            ("SOCK-07", "Socks", 899), ("BOOK-08", "Notebook", 1299), ("LAMP-09", "Lamp", 14900)]
METHODS = ["visa"] * 5 + ["mastercard"] * 3 + ["amex", "paypal", "paypal", "applepay",
                                                  "giftcard"]
STATUSES = ["processing"] * 4 + ["completed"] * 4 + ["fulfilled", "pending", "cancelled",
                                                      "draft"]
CHANNELS = ["web", "web", "web", "mobile", "mobile", "marketplace", "pos"]
CAMPAIGNS = [None, None, "black-friday", "newsletter", "social"]
STORES = ["web", "web", "store-1", "store-2"]
DEPTS = ["online", "online", "retail", "wholesale"]
CURRENCIES = [("USD", 2)] * 6 + [("EUR", 2), ("GBP", 2), ("JPY", 0)]
OFFSETS = ["-05:00", "-08:00", "Z", "+01:00", "+05:30", "+09:00"]
TAXES = [("standard", 8), ("standard", 8), ("reduced", 5), ("zero", 0), ("exempt", 0)]


def amount(units, places):
    """Exact decimal text of an integer amount in minor units."""
    if places == 0:
        return str(units)
    sign = "-" if units < 0 else ""
    units = abs(units)
    return f"{sign}{units // 100}.{units % 100:02d}"


def customer(cid, rnd):
    f, l = rnd.choice(FIRST), rnd.choice(LAST)
    c = {"customerId": f"C-{cid}", "email": f"customer{cid}@example.com", "firstName": f,
         "lastName": l, "phone": f"+1 512 555 {cid % 10000:04d}",
         "createdAt": "2025-06-01T12:00:00Z", "updatedAt": "2026-11-20T08:00:00Z"}
    if rnd.random() < 0.15:
        c["companyName"] = f"{l} Trading"
    return c






def order(n, rnd, ncust):
    cur, places = rnd.choice(CURRENCIES)
    scale = 1 if places == 2 else 0  # JPY prices in whole yen
    lines, subtotal, tax_total = [], 0, 0
    for i in range(rnd.randint(1, 8)):
        sku, name, cents = rnd.choice(PRODUCTS)
        price = cents if scale else cents  # yen: the same digits, whole units
        q = rnd.randint(1, 5)
        tclass, rate = rnd.choice(TAXES)
        line_total = q * price
        tax = line_total * rate // 100
        subtotal += line_total
        tax_total += tax
        lines.append({"lineId": str(i + 1), "sku": sku, "name": name, "quantity": q,
                      "unitPrice": Raw(amount(price, places)), "tax": Raw(amount(tax, places)),
                      "taxClass": tclass})
    shipping = rnd.choice([0, 0, 499, 995]) if places else rnd.choice([0, 500])
    discount = subtotal // 10 if rnd.random() < 0.2 else 0
    total = subtotal + shipping - discount + tax_total
    day, hh, mm = rnd.randint(1, 28), rnd.randint(0, 23), rnd.randint(0, 59)
    status = rnd.choice(STATUSES)
    method = rnd.choice(METHODS)
    pay_status = "captured" if status in ("processing", "completed", "fulfilled") else \
        rnd.choice(["authorized", "voided"])
    o = {"orderId": f"SO-{100000 + n}", "customerId": f"C-{rnd.randint(1, ncust)}",
         "orderDate": f"2026-11-{day:02d}T{hh:02d}:{mm:02d}:00{rnd.choice(OFFSETS)}",
         "status": status, "currency": cur,
         "totalAmount": Raw(amount(total, places)), "subtotalAmount": Raw(amount(subtotal, places)),
         "taxAmount": Raw(amount(tax_total, places)),
         "shippingAmount": Raw(amount(shipping, places)),
         "discountAmount": Raw(amount(discount, places)),
         "shippingAddress": {"line1": "1 Main St", "city": "Austin", "state": "TX",
                             "postalCode": "78701", "country": "US"},
         "lineItems": lines,
         "paymentInfo": {"method": method, "status": pay_status,
                         "transactionId": f"ch_{n:08d}", "amount": Raw(amount(total, places)),
                         "cardBrand": method if method in ("visa", "mastercard", "amex") else None,
                         "last4": f"{rnd.randint(0, 9999):04d}"},
         "attributes": {"channel": rnd.choice(CHANNELS), "storeId": rnd.choice(STORES),
                        "department": rnd.choice(DEPTS)},
         "updatedAt": f"2026-11-{day:02d}T{hh:02d}:{mm:02d}:30Z"}
    if discount:
        o["couponCode"] = rnd.choice(["BF10", "WELCOME10", "VIP"])
    camp = rnd.choice(CAMPAIGNS)
    if camp:
        o["attributes"]["campaign"] = camp
    if o["paymentInfo"]["cardBrand"] is None:
        del o["paymentInfo"]["cardBrand"]
    bad = rnd.random()
    if bad < 0.002:
        o["paymentInfo"]["method"] = "bitcoin"
        o["status"], o["paymentInfo"]["status"] = "completed", "captured"
    elif bad < 0.004:
        o["status"] = "on-hold"
    elif bad < 0.006:
        del o["customerId"]
    elif bad < 0.008:
        o["totalAmount"] = Raw(amount(total + 100, places))
    elif bad < 0.009:
        o["lineItems"] = []
    elif bad < 0.010:
        o["lineItems"][0]["taxClass"] = "luxury"
    return o


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--orders", type=int, default=1000)
    ap.add_argument("--customers", action="store_true")
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    ncust = max(1, a.orders // 4)
    w = sys.stdout.write
    if a.customers:
        for cid in range(1, ncust + 1):
            w(dumps(customer(cid, rnd)) + "\n")
        return
    buf = []
    for n in range(a.orders):
        buf.append(dumps(order(n, rnd, ncust)))
        if len(buf) == 5000:
            w("\n".join(buf) + "\n")
            buf = []
    if buf:
        w("\n".join(buf) + "\n")


if __name__ == "__main__":
    main()
