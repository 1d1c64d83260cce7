#!/usr/bin/env python3
"""Reconciles one transform run: source records against target documents.

    reconcile.py PAIR ENTITY SOURCE.ndjson TARGET.ndjson DEAD.ndjson

Prints records read, documents written, records filtered out and dead
letters grouped by reason, then the money check: for every source record that
became a document, the source's line total (sum of quantity x unit price, plus
shipping, less discount) against the target document's line total, summed
exactly with decimal.Decimal.  Exits 1 when the records or the money do not
reconcile: every source record must be a document, a filtered record or a
dead letter, and the money of the written ones must match to the cent.
"""
import decimal
import json
import sys
from collections import Counter
from decimal import Decimal

D0 = Decimal(0)


def loads(line):
    return json.loads(line, parse_float=Decimal, parse_int=Decimal)


def source_lines(pair, rec):
    """The money a source order carries in its lines, shipping and discount."""
    if pair == "nopcommerce_qbo":
        items = rec.get("OrderItems") or []
        total = sum((Decimal(i.get("Quantity") or 0) * (i.get("UnitPriceExclTax") or D0)
                     for i in items), D0)
        return total + (rec.get("OrderShippingExclTax") or D0) - (rec.get("OrderDiscount") or D0)
    items = rec.get("lineItems") or []
    total = sum((Decimal(i.get("quantity") or 0) * (i.get("unitPrice") or D0) for i in items), D0)
    return total + (rec.get("shippingAmount") or D0) - (rec.get("discountAmount") or D0)


def target_lines(pair, doc):
    """The same money as the target document holds it."""
    if pair == "clarity_xero":
        return sum(((l.get("Quantity") or D0) * (l.get("UnitAmount") or D0)
                    for l in doc.get("LineItems") or []), D0)
    if pair == "nopcommerce_qbo":
        # A DiscountLineDetail line's Amount is positive and subtracted.
        return sum(((l.get("Amount") or D0) * (-1 if l.get("DetailType") == "DiscountLineDetail"
                                                 else 1) for l in doc.get("Line") or []), D0)
    return D0


def parse_doc(pair, line):
    if pair == "clarity_intacct":
        import xml.etree.ElementTree as ET
        return ET.fromstring(line)
    return loads(line)


def doc_key(pair, doc):
    """The source id the target document keeps."""
    if pair == "clarity_intacct":
        return doc.findtext("documentno")
    if pair == "nopcommerce_qbo":
        return doc.get("DocNumber")
    return doc.get("Reference")


def doc_lines(pair, doc):
    if pair == "clarity_intacct":
        return sum((Decimal(i.findtext("quantity") or "0") * Decimal(i.findtext("price") or "0")
                    for i in doc.iter("sotransitem")), D0)
    return target_lines(pair, doc)


def main():
    pair, entity, src, tgt, dead = sys.argv[1:6]
    records = [l for l in open(src, encoding="utf-8") if l.strip()]
    docs = [l for l in open(tgt, encoding="utf-8") if l.strip()]
    deads = [json.loads(l) for l in open(dead, encoding="utf-8") if l.strip()]
    reasons = Counter(d.get("reason", "?").split(" (")[0] for d in deads)
    filtered = len(records) - len(docs) - len(deads)
    ok = filtered >= 0
    print(f"  {entity:9} read {len(records):6}  written {len(docs):6}  "
          f"filtered {filtered:5}  dead-lettered {len(deads):5}")
    for reason, n in reasons.most_common():
        print(f"  {'':9}   dead letter x{n}: {reason}")
    if entity in ("Order", "OrderInvoice"):
        by_key = {}
        for line in records:
            try:
                rec = loads(line)
            except ValueError:
                continue
            k = rec.get("orderId", rec.get("CustomOrderNumber"))
            by_key[str(k)] = rec
        # Money per currency: a sum across currencies means nothing.
        s, t = Counter(), Counter()
        unmatched = 0
        for line in docs:
            doc = parse_doc(pair, line)
            rec = by_key.get(str(doc_key(pair, doc)))
            if rec is None:
                unmatched += 1
                continue
            cur = str(rec.get("currency", rec.get("CustomerCurrencyCode", "?"))).upper()
            s[cur] += source_lines(pair, rec)
            t[cur] += doc_lines(pair, doc)
        cents = Decimal("0.01")
        same = unmatched == 0 and all(s[c].quantize(cents) == t[c].quantize(cents) for c in s)
        ok = ok and same
        for c in sorted(s):
            print(f"  {'':9}   money {c}: source {s[c]:,.2f}  target {t[c]:,.2f}"
                  f"  {'reconciled' if s[c].quantize(cents) == t[c].quantize(cents) else 'MISMATCH'}")
        if unmatched:
            print(f"  {'':9}   {unmatched} documents without a source record: MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    decimal.getcontext().prec = 50
    sys.exit(main())
