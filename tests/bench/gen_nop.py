#!/usr/bin/env python3
"""Seeded NopCommerce sample data (Web API shapes), one JSON record per line.

    gen_nop.py --seed S --orders N              orders with their items
    gen_nop.py --seed S --orders N --customers  the customers they reference
    gen_nop.py --seed S --orders N --products   the catalogue

Money is computed in decimal.Decimal and printed as exact decimal text, never
through binary floating point.  About 1% of the orders are realistically bad:
an unmapped payment method, an unknown status id, a missing CustomerId, a
total that does not add up, no items.
"""
import argparse
import random
import sys
from decimal import Decimal

from rawjson import Raw, dumps

CENT = Decimal("0.01")
FIRST = ["Zoë", "Liam", "Amélie", "Jonas", "Priya", "Kenji", "Olivia", "Mateo", "Søren", "Ana"]
LAST = ["Brandt", "Smith", "Dubois", "Müller", "Patel", "Sato", "Johnson", "García", "Nielsen"]
METHODS = ["Payments.Manual", "Payments.PayPalCommerce", "Payments.CheckMoneyOrder",
           "Payments.Square"]
CURRENCIES = ["USD"] * 7 + ["EUR", "GBP", "CAD"]
COUNTRIES = [1, 1, 1, 2, 80, 81, 75]


def money(d):
    """Exact decimal text for a Decimal, as a raw JSON number."""
    return Raw(str(d.quantize(CENT)))






def products(n):
    rnd = random.Random(1000)
    out = []
    for pid in range(1, n + 1):
        price = Decimal(rnd.choice([199, 350, 999, 1250, 1999, 2495, 4900, 14900])) / 100
        out.append({"Id": pid, "Name": f"Product {pid}", "Sku": f"SKU-{pid:05d}",
                    "Price": money(price), "Published": True, "StockQuantity": rnd.randint(0, 500)})
    return out


def customer(cid, rnd):
    f, l = rnd.choice(FIRST), rnd.choice(LAST)
    c = {"Id": cid, "FirstName": f, "LastName": l,
         "Email": f"{f.lower()}.{l.lower()}{cid}@example.com",
         "BillingAddress": {"Address1": f"{rnd.randint(1, 999)} Main St", "City": "Springfield",
                            "ZipPostalCode": f"{rnd.randint(10000, 99999)}",
                            "CountryId": rnd.choice(COUNTRIES)}}
    if rnd.random() < 0.1:
        c["Company"] = f"{l} & Co"
    return c


def order(oid, rnd, ncust, prods):
    items = []
    subtotal = Decimal(0)
    for i in range(rnd.randint(1, 6)):
        p = rnd.choice(prods)
        q = rnd.randint(1, 4)
        price = Decimal(str(p["Price"]))
        subtotal += q * price
        items.append({"Id": oid * 10 + i, "ProductId": p["Id"], "ProductName": p["Name"],
                      "Sku": p["Sku"], "Quantity": q, "UnitPriceExclTax": money(price),
                      "PriceExclTax": money(q * price)})
    shipping = Decimal(rnd.choice([0, 0, 499, 995])) / 100
    discount = (subtotal * Decimal("0.10")).quantize(CENT) if rnd.random() < 0.2 else Decimal(0)
    tax = ((subtotal - discount) * Decimal("0.08")).quantize(CENT)
    total = subtotal + shipping - discount + tax
    paid = rnd.random() < 0.7
    o = {"Id": oid, "OrderGuid": f"00000000-0000-4000-8000-{oid:012d}",
         "CustomOrderNumber": str(oid), "StoreId": 1, "CustomerId": rnd.randint(1, ncust),
         "OrderStatusId": rnd.choice([10, 20, 30, 30, 30]) if paid else rnd.choice([10, 20, 40]),
         "PaymentStatusId": 30 if paid else rnd.choice([10, 20]),
         "ShippingStatusId": rnd.choice([20, 30, 40]),
         "PaymentMethodSystemName": rnd.choice(METHODS),
         "CustomerCurrencyCode": rnd.choice(CURRENCIES), "CurrencyRate": Raw("1"),
         "OrderSubtotalExclTax": money(subtotal), "OrderShippingExclTax": money(shipping),
         "OrderTax": money(tax), "OrderDiscount": money(discount), "OrderTotal": money(total),
         "CaptureTransactionId": f"txn_{oid:08d}" if paid else None,
         "CreatedOnUtc": f"2026-11-{rnd.randint(1, 28):02d}T{rnd.randint(0, 23):02d}:"
                         f"{rnd.randint(0, 59):02d}:00Z",
         "OrderItems": items}
    if o["CaptureTransactionId"] is None:
        del o["CaptureTransactionId"]
    # about 1% realistically bad
    bad = rnd.random()
    if bad < 0.002:
        o["PaymentMethodSystemName"] = "Payments.Bitcoin"
        o["OrderStatusId"], o["PaymentStatusId"] = 30, 30
    elif bad < 0.004:
        o["OrderStatusId"] = 25
    elif bad < 0.006:
        del o["CustomerId"]
    elif bad < 0.008:
        o["OrderTotal"] = money(total + Decimal("1.00"))
        o["PaymentStatusId"] = 30
        o["OrderStatusId"] = 30
    elif bad < 0.010:
        o["OrderItems"] = []
    return o


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--orders", type=int, default=1000)
    ap.add_argument("--customers", action="store_true")
    ap.add_argument("--products", action="store_true")
    a = ap.parse_args()
    ncust = max(1, a.orders // 4)
    prods = products(max(10, a.orders // 20))
    rnd = random.Random(a.seed)
    out = []
    if a.products:
        out = prods
    elif a.customers:
        out = [customer(cid, rnd) for cid in range(1, ncust + 1)]
    else:
        out = [order(10000 + i, rnd, ncust, prods) for i in range(a.orders)]
    w = sys.stdout.write
    for rec in out:
        w(dumps(rec) + "\n")


if __name__ == "__main__":
    main()
