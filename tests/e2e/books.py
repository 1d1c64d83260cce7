#!/usr/bin/env python3
"""The books as the store says they are, and compared with a target's.

    books.py store ROOT --store clarity|nop [--state FILE] [--exclude K,K...] [--json]
    books.py compare ROOT --store clarity|nop --target xero|qbo|intacct
                     [--state FILE] [--exclude K,K...] [--rates ECB_XML]
    books.py stock ROOT --store clarity|nop --target xero|qbo|intacct

ROOT is the sandbox (http://127.0.0.1:PORT).  `store` reads the storefront's
records over GET /_sandbox/records and prints, per currency, exact decimals:

  sales       the net of what was sold: each order's total, minus what went
              back to the customer;
  cash        money received minus money refunded;
  receivable  what customers still owe: sales - cash.

Per order (the rules of docs/sync.md and the session's spec, "Books"):
  Clarity (not a draft): sales = totalAmount, or 0 when cancelled and never
    paid (paymentInfo.status neither captured nor refunded); cash =
    paymentInfo.amount when captured or refunded.  Both less the refunds:
    paymentInfo.status "refunded" gave paymentInfo.amount back, and each of
    the order's `returns` with status "refunded" its refundAmount.
  NopCommerce: sales = OrderTotal, or 0 when cancelled (OrderStatusId 40)
    and not paid (PaymentStatusId 10 pending, 20 authorised, 50 voided);
    cash = OrderTotal when PaymentStatusId is 30 paid, 35 partially refunded
    or 40 refunded.  Both less RefundedAmount.

Records the sync refused on purpose are not the books': keys given with
--exclude, and with --state the pair's state file's live dead letters (table
dlq, not dropped) and held records (table held), by source key.  A dead
letter's record says whether its key is an order's or a return's.

`compare` fetches GET /_sandbox/books?service=TARGET ({"USD": {"sales",
"cash", "receivable"}, ...}) and prints a table of store against target per
currency and measure; it exits 1 on any difference (a currency one side
lacks counts as zeros there), 0 when they agree.

A target that keeps a home currency (QuickBooks Online, Sage Intacct: "home"
in the same answer, {"currency": "USD", "sales", "cash", "receivable"}, each
document at its own rate) is compared in it too (row "home:USD"); for Clarity
into Sage Intacct see intacct_home (its documents, each of its own day); for NopCommerce
each order's
amounts at the company's rate of their day (GET /_sandbox/dump's
ExchangeRates, the latest on or before it; 1 for the home currency), each
document's total converted half to even to the cent: the invoice and the
refund receipt at the order's day (their TxnDate), the payment at the day
it was paid.  Sales: invoice less refund; cash: payment less refund;
receivable: the invoice of an order not paid, 0 for one paid (an exchange
difference is QuickBooks' gain or loss, not a balance).

Xero's books in its base currency (the same "home" member) are compared
for a Clarity store when --rates names the ECB file the pair converts with
(mappings/clarity_xero.map): each document's amount over its CurrencyRate,
half to even to the cent, the rate being the units of the currency one
unit of the base buys on the document's day (the file's latest on or
before it: the currency's rate over the base's, to ten places, then six,
half up): the invoice, the refund's credit note and the payment at the
order's day, a return's credit note and refund at the return's.  Sales:
invoice less credit notes; cash: payment less refunds; receivable: what an
invoice still owes (0 once paid: the difference of rates is Xero's gain or
loss).

`stock` compares each SKU's quantity on hand as the books hold it (the
"onhand" member of the same answer: {"SKU": "12", ...}, every tracked item)
with the store's count of that SKU (Clarity products' quantityOnHand,
NopCommerce products' StockQuantity by Sku): a table of the SKUs that differ
or that one side lacks, and exit 1 on any, 0 when every tracked SKU agrees.
"""
import argparse
import json
import sqlite3
import sys
import urllib.error
import urllib.request
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

MEASURES = ("sales", "cash", "receivable")
PLACES = {"JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0}


def dec(v):
    return Decimal(str(v)) if v is not None else Decimal(0)


def fmt(cur, x):
    return str(x.quantize(Decimal(1).scaleb(-PLACES.get(cur, 2))))


def records(root, service, collection):
    url = "%s/_sandbox/records?service=%s&collection=%s" % (root.rstrip("/"), service,
                                                            collection)
    with urllib.request.urlopen(url) as r:
        text = r.read().decode("utf-8")
    return [json.loads(l, parse_float=Decimal) for l in text.split("\n") if l.strip()]


def excluded(state=None, keys=()):
    """{"order": set, "return": set} of source keys the books leave out."""
    out = {"order": set(), "return": set()}
    for k in keys:
        out["order"].add(str(k))
        out["return"].add(str(k))
    if not state:
        return out
    db = sqlite3.connect("file:%s?mode=ro" % state, uri=True)
    try:
        for key, rec in db.execute("SELECT source_key, record FROM dlq WHERE dropped = 0"):
            try:
                j = json.loads(rec)
            except (TypeError, ValueError):
                j = None
            if isinstance(j, dict) and "returnId" in j:
                out["return"].add(str(key))
            elif isinstance(j, dict) and ("orderId" in j or "OrderTotal" in j):
                out["order"].add(str(key))
            elif not isinstance(j, dict):
                out["order"].add(str(key))
                out["return"].add(str(key))
        try:
            held = list(db.execute("SELECT source_key FROM held"))
        except sqlite3.OperationalError:  # a state file before the held table
            held = []
        for (key,) in held:
            out["order"].add(str(key))
            out["return"].add(str(key))
    finally:
        db.close()
    return out


def add(books, cur, sales, cash):
    b = books.setdefault(cur, {m: Decimal(0) for m in MEASURES})
    b["sales"] += sales
    b["cash"] += cash
    b["receivable"] += sales - cash


def clarity_books(orders, returns, skip):
    books = {}
    back = {}
    for r in returns:
        if r.get("status") == "refunded" and str(r.get("returnId")) not in skip["return"]:
            back[r.get("orderId")] = back.get(r.get("orderId"), Decimal(0)) + \
                dec(r.get("refundAmount"))
    for o in orders:
        if o.get("status") == "draft" or str(o.get("orderId")) in skip["order"]:
            continue
        pi = o.get("paymentInfo") or {}
        paid = pi.get("status") in ("captured", "refunded")
        sales = Decimal(0) if o.get("status") == "cancelled" and not paid else \
            dec(o.get("totalAmount"))
        cash = dec(pi.get("amount")) if paid else Decimal(0)
        refunds = (dec(pi.get("amount")) if pi.get("status") == "refunded" else Decimal(0)) + \
            back.get(o.get("orderId"), Decimal(0))
        add(books, o.get("currency"), sales - refunds, cash - refunds)
    return books


def nop_books(orders, skip):
    books = {}
    for o in orders:
        if str(o.get("Id")) in skip["order"]:
            continue
        pay = o.get("PaymentStatusId")
        sales = Decimal(0) if o.get("OrderStatusId") == 40 and pay in (10, 20, 50) else \
            dec(o.get("OrderTotal"))
        cash = dec(o.get("OrderTotal")) if pay in (30, 35, 40) else Decimal(0)
        refunded = dec(o.get("RefundedAmount"))
        add(books, o.get("CustomerCurrencyCode"), sales - refunded, cash - refunded)
    return books


def rate_of(rates, home, cur, day):
    if cur == home:
        return Decimal(1)
    days = [d for d in (rates.get(cur) or {}) if d <= day]
    return Decimal(str(rates[cur][max(days)])) if days else None


def nop_home(orders, skip, rates, home):
    """{"home:USD": {measure: Decimal}}: the NopCommerce books in the home currency."""
    b = {m: Decimal(0) for m in MEASURES}

    def conv(x, cur, day):
        r = rate_of(rates, home, cur, day)
        if r is None:
            raise KeyError("no %s rate on or before %s" % (cur, day))
        return (x * r).quantize(Decimal("0.01"), ROUND_HALF_EVEN)
    for o in orders:
        if str(o.get("Id")) in skip["order"]:
            continue
        cur = (o.get("CustomerCurrencyCode") or "").upper()
        pay = o.get("PaymentStatusId")
        made = (o.get("CreatedOnUtc") or "")[:10]
        paid_on = (o.get("PaidDateUtc") or o.get("CreatedOnUtc") or "")[:10]
        total = dec(o.get("OrderTotal"))
        sales = Decimal(0) if o.get("OrderStatusId") == 40 and pay in (10, 20, 50) else total
        paid = pay in (30, 35, 40)
        refunded = conv(dec(o.get("RefundedAmount")), cur, made)
        b["sales"] += conv(sales, cur, made) - refunded
        b["cash"] += (conv(total, cur, paid_on) if paid else Decimal(0)) - refunded
        b["receivable"] += Decimal(0) if paid else conv(sales, cur, made)
    return {"home:" + home: b}


def ecb_rates(path):
    """{code: {day: Decimal}}: 1 EUR in each currency, from the ECB's XML."""
    import xml.etree.ElementTree as ET
    out = {}
    for day in ET.parse(path).iter():
        if day.tag.endswith("Cube") and day.get("time"):
            for c in day:
                if c.get("currency"):
                    out.setdefault(c.get("currency"), {})[day.get("time")] = \
                        Decimal(c.get("rate"))
    return out


def per_base(ecb, base, cur, day):
    """Xero's CurrencyRate of cur on day (clarity_xero.map's rate_per_base, six places)."""
    if cur == base:
        return Decimal(1)

    def eur(code):
        if code == "EUR":
            return Decimal(1)
        days = [d for d in ecb.get(code, {}) if d <= day]
        if not days:
            raise KeyError("no %s rate on or before %s" % (code, day))
        return ecb[code][max(days)]
    r = eur(cur) if base == "EUR" else \
        (eur(cur) / eur(base)).quantize(Decimal("1e-10"), ROUND_HALF_UP)
    return r.quantize(Decimal("1e-6"), ROUND_HALF_UP)


def clarity_home(orders, returns, skip, ecb, base):
    """{"home:USD": {measure: Decimal}}: the Clarity books in Xero's base currency."""
    b = {m: Decimal(0) for m in MEASURES}

    def conv(x, cur, day):
        return (x / per_base(ecb, base, cur, day)).quantize(Decimal("0.01"), ROUND_HALF_EVEN)
    for r in returns:
        if r.get("status") == "refunded" and str(r.get("returnId")) not in skip["return"]:
            day = (r.get("createdAt") or r.get("updatedAt") or "")[:10]
            x = conv(dec(r.get("refundAmount")), (r.get("currency") or "").upper(), day)
            b["sales"] -= x
            b["cash"] -= x
    for o in orders:
        if o.get("status") == "draft" or str(o.get("orderId")) in skip["order"]:
            continue
        cur, day = (o.get("currency") or "").upper(), (o.get("orderDate") or "")[:10]
        pi = o.get("paymentInfo") or {}
        paid = pi.get("status") in ("captured", "refunded")
        if o.get("status") == "cancelled" and not paid:
            continue  # voided
        total, amount = dec(o.get("totalAmount")), dec(pi.get("amount")) if paid else Decimal(0)
        b["sales"] += conv(total, cur, day)
        b["cash"] += conv(amount, cur, day)
        b["receivable"] += conv(total - amount, cur, day)
        if pi.get("status") == "refunded":
            b["sales"] -= conv(amount, cur, day)
            b["cash"] -= conv(amount, cur, day)
    return {"home:" + base: b}


def intacct_home(orders, returns, skip, rates, home):
    """{"home:USD": {measure: Decimal}}: the Clarity books in the base currency,
    each document at the company's rate of its own day: the sales invoice and
    the payment of the order's day, the refund's credit memo of the order's
    updatedAt, a return's memos of the return's.  Receivable is each open
    document's balance converted: the invoice's unpaid part, less a refund's
    credit."""
    b = {m: Decimal(0) for m in MEASURES}

    def conv(x, cur, day):
        r = rate_of(rates, home, cur, day)
        if r is None:
            raise KeyError("no %s rate on or before %s" % (cur, day))
        return (x * r).quantize(Decimal("0.01"), ROUND_HALF_EVEN)
    back = {}
    for r in returns:
        if r.get("status") == "refunded" and str(r.get("returnId")) not in skip["return"]:
            back.setdefault(r.get("orderId"), []).append(
                (dec(r.get("refundAmount")), (r.get("updatedAt") or r.get("createdAt") or "")[:10]))
    for o in orders:
        if o.get("status") == "draft" or str(o.get("orderId")) in skip["order"]:
            continue
        cur = (o.get("currency") or "").upper()
        day = (o.get("orderDate") or "")[:10]
        pi = o.get("paymentInfo") or {}
        st = pi.get("status")
        total, amount = dec(o.get("totalAmount")), dec(pi.get("amount"))
        if not (o.get("status") == "cancelled" and st not in ("captured", "refunded")):
            b["sales"] += conv(total, cur, day)
            b["receivable"] += conv(total - (amount if st == "captured" else 0), cur, day)
        if st == "captured":
            b["cash"] += conv(amount, cur, day)
        if st == "refunded":
            x = conv(amount, cur, (o.get("updatedAt") or o.get("orderDate") or "")[:10])
            b["sales"] -= x
            b["receivable"] -= x
        for ra, rday in back.get(o.get("orderId"), []):
            x = conv(ra, cur, rday)
            b["sales"] -= x
            b["cash"] -= x
    return {"home:" + home: b}


def store_books(root, store, skip):
    """{currency: {measure: Decimal}} of the store's records now."""
    if store == "clarity":
        return clarity_books(records(root, "clarity", "orders"),
                             records(root, "clarity", "returns"), skip)
    return nop_books(records(root, "nop", "orders"), skip)


def target_books(root, service):
    url = "%s/_sandbox/books?service=%s" % (root.rstrip("/"), service)
    with urllib.request.urlopen(url) as r:
        j = json.loads(r.read().decode("utf-8"), parse_float=Decimal)
    j.pop("onhand", None)
    j.pop("gl", None)  # the GL balances of journal entries (Intacct), not a currency
    home = j.pop("home", None)
    out = {cur: {m: dec(v.get(m)) for m in MEASURES} for cur, v in j.items()}
    if home:
        out["home:" + home["currency"]] = {m: dec(home.get(m)) for m in MEASURES}
    return out


def target_onhand(root, service):
    url = "%s/_sandbox/books?service=%s" % (root.rstrip("/"), service)
    with urllib.request.urlopen(url) as r:
        j = json.loads(r.read().decode("utf-8"), parse_float=Decimal)
    return {sku: dec(q) for sku, q in j.get("onhand", {}).items()}


def store_stock(root, store):
    """{SKU: quantity} of the store's products that keep a count."""
    out = {}
    if store == "clarity":
        for p in records(root, "clarity", "products"):
            if p.get("quantityOnHand") is not None:
                out[str(p["sku"])] = dec(p["quantityOnHand"])
    else:
        for p in records(root, "nop", "products"):
            if p.get("Sku") and p.get("StockQuantity") is not None and not p.get("Deleted"):
                out[str(p["Sku"])] = dec(p["StockQuantity"])
    return out


def stock(root, store, service):
    mine, theirs = store_stock(root, store), target_onhand(root, service)
    bad = [(k, mine.get(k), theirs.get(k)) for k in sorted(theirs)
           if mine.get(k) is None or mine[k] != theirs[k]]
    print("stock: %d SKUs tracked in %s, %d in the store" % (len(theirs), service, len(mine)))
    for k, a, b in bad[:20]:
        print("  %-16s store %-10s %s %s" % (k, "-" if a is None else a, service,
                                             "-" if b is None else b))
    print("stock %s: %d difference%s" % ("agrees" if not bad and theirs else "differs",
                                          len(bad), "" if len(bad) == 1 else "s"))
    return 0 if not bad and theirs else 1


def as_text(books):
    return {cur: {m: fmt(cur, b[m]) for m in MEASURES} for cur, b in sorted(books.items())}


def differences(store, target):
    """[(currency, measure, store, target)] where they differ (exactly)."""
    out = []
    for cur in sorted(set(store) | set(target)):
        for m in MEASURES:
            a = store.get(cur, {}).get(m, Decimal(0))
            b = target.get(cur, {}).get(m, Decimal(0))
            if a != b:
                out.append((cur, m, a, b))
    return out


def table(store, target, out=sys.stdout):
    print("%-8s %-11s %14s %14s %14s" % ("currency", "measure", "store", "target",
                                        "difference"), file=out)
    for cur in sorted(set(store) | set(target)):
        for m in MEASURES:
            a = store.get(cur, {}).get(m, Decimal(0))
            b = target.get(cur, {}).get(m, Decimal(0))
            print("%-8s %-11s %14s %14s %14s" % (cur, m, fmt(cur, a), fmt(cur, b),
                                                "" if a == b else fmt(cur, b - a)), file=out)


def main(argv):
    p = argparse.ArgumentParser(prog="books.py")
    p.add_argument("what", choices=("store", "compare", "stock"))
    p.add_argument("root")
    p.add_argument("--store", required=True, choices=("clarity", "nop"))
    p.add_argument("--target", choices=("xero", "qbo", "intacct"))
    p.add_argument("--state")
    p.add_argument("--exclude", default="")
    p.add_argument("--json", action="store_true")
    p.add_argument("--rates")
    a = p.parse_args(argv[1:])
    skip = excluded(a.state, [k for k in a.exclude.split(",") if k])
    mine = store_books(a.root, a.store, skip)
    if a.what == "store":
        if a.json:
            print(json.dumps(as_text(mine), sort_keys=True))
        else:
            for cur, b in sorted(mine.items()):
                print("%-8s %s" % (cur, "  ".join("%s %s" % (m, fmt(cur, b[m]))
                                                  for m in MEASURES)))
        return 0
    if not a.target:
        p.error("%s needs --target" % a.what)
    if a.what == "stock":
        return stock(a.root, a.store, a.target)
    try:
        theirs = target_books(a.root, a.target)
    except urllib.error.HTTPError as e:
        print("books: GET /_sandbox/books?service=%s answered %d" % (a.target, e.code),
              file=sys.stderr)
        return 2
    homes = [k for k in theirs if k.startswith("home:")]
    if homes and (a.store == "nop" or a.target == "intacct"):
        url = "%s/_sandbox/dump?service=%s" % (a.root.rstrip("/"), a.target)
        with urllib.request.urlopen(url) as r:
            rates = json.loads(r.read().decode("utf-8"), parse_float=Decimal).get(
                "ExchangeRates", {})
        if a.store == "nop":
            mine.update(nop_home(records(a.root, "nop", "orders"), skip, rates, homes[0][5:]))
        else:
            mine.update(intacct_home(records(a.root, "clarity", "orders"),
                                     records(a.root, "clarity", "returns"), skip, rates,
                                     homes[0][5:]))
    elif homes and a.store == "clarity" and a.target == "xero" and a.rates:
        mine.update(clarity_home(records(a.root, "clarity", "orders"),
                                 records(a.root, "clarity", "returns"), skip,
                                 ecb_rates(a.rates), homes[0][5:]))
    elif homes:
        for k in homes:
            del theirs[k]
    table(mine, theirs)
    diff = differences(mine, theirs)
    print("books %s: %d difference%s" % ("agree" if not diff else "differ", len(diff),
                                          "" if len(diff) == 1 else "s"))
    return 1 if diff else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
