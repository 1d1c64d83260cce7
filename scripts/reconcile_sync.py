#!/usr/bin/env python3
"""Reconciles a sync run: what the source holds against what the target holds.

    reconcile_sync.py PAIR DATA_DIR DUMP.json STATE.db

DATA_DIR holds the source records the sandbox served (SERVICE.COLLECTION.ndjson),
DUMP.json what the target service holds afterwards (the sandbox's
/_sandbox/dump), STATE.db the pair binary's state file.  For every entity it
sorts each source record the entity's `when` keeps into exactly one of:

  written   one target document carries its key (two would be a duplicate)
  dead      a live dead letter names it (with its reason)
  held      not written because a record it references is dead-lettered
  missing   none of these: a lost record

and sums the money of the written ones on both sides, exactly, per currency.
This is an independent check: it reads the target's documents, not the
engine's counters.  Exits 1 when anything is missing or duplicated, a target
document has no source record, or the money differs by a cent.
"""
import json
import sqlite3
import sys
from collections import Counter, defaultdict
from decimal import Decimal

D0 = Decimal(0)
CENT = Decimal("0.01")


def dec(x):
    """A number from JSON (source text or the sandbox's dump) as a Decimal."""
    if x is None:
        return D0
    return Decimal(str(x))


def loads(line):
    return json.loads(line, parse_float=Decimal, parse_int=Decimal)


def read_ndjson(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                out.append(loads(line))
            except ValueError:
                out.append(None)  # realistically bad: the engine dead-letters it
    return out


def clarity_order_written(r):
    return r.get("status") not in ("draft", "cancelled")


def clarity_payment(r):
    p = r.get("paymentInfo") or {}
    return p.get("status") == "captured" and r.get("status") != "cancelled"


def clarity_paid_once(r):
    """Paid at some time (captured, or captured and refunded since): its
    payment stands, a refund is a document of its own."""
    p = r.get("paymentInfo") or {}
    return p.get("status") in ("captured", "refunded") and r.get("status") not in (
        "draft", "cancelled")


def nop_active(r):
    return not r.get("Deleted", False)


def nop_paid(r):
    """Paid: 30, and 35 / 40 (paid, then partly or wholly refunded)."""
    return r.get("PaymentStatusId") in (30, 35, 40)


def nop_sale(r):
    """A placed order is a sale, unless it was cancelled before it was paid."""
    return r.get("OrderStatusId") != 40 or nop_paid(r)


def nop_refunded(r):
    return dec(r.get("RefundedAmount")) > 0


def key_text(v):
    if isinstance(v, Decimal):
        return str(int(v)) if v == v.to_integral_value() else str(v)
    return None if v is None else str(v)


# Per pair, per entity: source file, its key, the `when` filter, the target
# documents, how a document names its source key, the money on each side,
# and the entity it references (for "held").
def xero(dump):
    inv_by_id = {i.get("InvoiceID"): i for i in dump.get("Invoices", [])}
    return [
        dict(entity="Customer", file="clarity_ecommerce.customers", key="customerId",
             keep=lambda r: True, docs=dump.get("Contacts", []),
             doc_key=lambda d: d.get("ContactNumber")),
        dict(entity="Order", file="clarity_ecommerce.orders", key="orderId",
             keep=clarity_order_written, docs=dump.get("Invoices", []),
             doc_key=lambda d: d.get("Reference"),
             src_money=lambda r: dec(r.get("totalAmount")),
             doc_money=lambda d: dec(d.get("Total")),
             dep=("Customer", lambda r: r.get("customerId"))),
        # the payments applied to invoices (a refund is a payment on a
        # credit note: the books' comparison judges those)
        dict(entity="Payment", file="clarity_ecommerce.orders", key="orderId",
             keep=clarity_paid_once, docs=[d for d in dump.get("Payments", [])
                                           if (d.get("Invoice") or {}).get("InvoiceID")],
             doc_key=lambda d: (inv_by_id.get((d.get("Invoice") or {}).get("InvoiceID")) or {})
             .get("Reference"),
             src_money=lambda r: dec((r.get("paymentInfo") or {}).get("amount")),
             doc_money=lambda d: dec(d.get("Amount")),
             dep=("Order", lambda r: r.get("orderId"))),
    ]


def intacct(dump):
    def pay_key(d):
        desc = d.get("DESCRIPTION") or ""
        return desc[len("Clarity order "):] if desc.startswith("Clarity order ") else None
    return [
        dict(entity="Customer", file="clarity_ecommerce.customers", key="customerId",
             keep=lambda r: True, docs=dump.get("CUSTOMER", []),
             doc_key=lambda d: d.get("CUSTOMERID")),
        dict(entity="Order", file="clarity_ecommerce.orders", key="orderId",
             keep=clarity_order_written, docs=dump.get("SODOCUMENT", []),
             doc_key=lambda d: d.get("DOCNO"),
             src_money=lambda r: dec(r.get("totalAmount")),
             doc_money=lambda d: dec(d.get("TOTAL")),
             dep=("Customer", lambda r: r.get("customerId"))),
        dict(entity="Payment", file="clarity_ecommerce.orders", key="orderId",
             keep=clarity_payment, docs=dump.get("ARPYMT", []), doc_key=pay_key,
             src_money=lambda r: dec((r.get("paymentInfo") or {}).get("amount")),
             doc_money=lambda d: dec(d.get("TOTALENTERED")),
             dep=("Order", lambda r: r.get("orderId"))),
    ]


ORDERS_IN = ", orders in "


def nop_foreign(r):
    """An order in another currency than the company's home one (USD)."""
    return str(r.get("CustomerCurrencyCode") or "").upper() != "USD"


def currency_customer(d):
    """A currency customer's key, CUSTOMERID/CUR, from its Notes; the
    currency is its CurrencyRef's, so that a customer in another currency
    than its Notes say is an orphan."""
    note = d.get("Notes") or ""
    cid = note[len("NopCommerce customer "):].split(",")[0]
    cur = note.split(ORDERS_IN)[-1]
    return f"{cid}/{cur}" if cur == (d.get("CurrencyRef") or {}).get("value") else None


def qbo(dump):
    def after(prefix):
        def key(d):
            note = d.get("Notes") or d.get("PrivateNote") or ""
            if note.startswith("Voided - "):  # QuickBooks' mark on a voided document
                note = note[len("Voided - "):]
            return note[len(prefix):].split(" ")[0].rstrip(",") if note.startswith(prefix) \
                else None
        return key
    # One live sales document per order: its invoice (voided, 0, when it was
    # cancelled unpaid), the payment applied to it, one refund receipt.
    return [
        dict(entity="Product", file="nopcommerce.products", key="Sku", keep=nop_active,
             src_key=lambda r: r.get("Sku") or key_text(r.get("Id")),
             docs=dump.get("Item", []), doc_key=lambda d: d.get("Name")),
        dict(entity="Customer", file="nopcommerce.customers", key="Id", keep=nop_active,
             docs=[d for d in dump.get("Customer", []) if ORDERS_IN not in (d.get("Notes") or "")],
             doc_key=after("NopCommerce customer ")),
        # a customer per shopper and foreign currency (QuickBooks keeps one
        # currency per customer), made from their orders in it: Notes
        # "NopCommerce customer 12, orders in EUR", CurrencyRef EUR
        dict(entity="CurrencyCustomer", file="nopcommerce.orders", key="Id", keep=nop_foreign,
             src_key=lambda r: None if r.get("CustomerId") is None else
             f"{r['CustomerId']}/{str(r.get('CustomerCurrencyCode') or '').upper()}",
             docs=[d for d in dump.get("Customer", []) if ORDERS_IN in (d.get("Notes") or "")],
             doc_key=lambda d: currency_customer(d)),
        dict(entity="Order", file="nopcommerce.orders", key="Id", keep=nop_sale,
             docs=dump.get("Invoice", []), doc_key=after("NopCommerce order "),
             src_money=lambda r: dec(r.get("OrderTotal")) if nop_sale(r) else D0,
             doc_money=lambda d: dec(d.get("TotalAmt")),
             dep=("Customer", lambda r: r.get("CustomerId"))),
        dict(entity="Payment", file="nopcommerce.orders", key="Id", keep=nop_paid,
             docs=dump.get("Payment", []), doc_key=after("NopCommerce order "),
             src_money=lambda r: dec(r.get("OrderTotal")) if nop_paid(r) else D0,
             doc_money=lambda d: dec(d.get("TotalAmt")),
             dep=("Order", lambda r: r.get("Id"))),
        dict(entity="Refund", file="nopcommerce.orders", key="Id", keep=nop_refunded,
             docs=dump.get("RefundReceipt", []), doc_key=after("NopCommerce order "),
             src_money=lambda r: dec(r.get("RefundedAmount")),
             doc_money=lambda d: dec(d.get("TotalAmt")),
             dep=("Order", lambda r: r.get("Id"))),
    ]


PAIRS = {"clarity_xero": xero, "clarity_intacct": intacct, "nopcommerce_qbo": qbo}


def main(argv):
    if len(argv) != 5 or argv[1] not in PAIRS:
        sys.stderr.write(__doc__)
        return 2
    pair, data, dump_path, state_path = argv[1:]
    with open(dump_path, encoding="utf-8") as f:
        dump = json.load(f, parse_float=Decimal)
    db = sqlite3.connect(state_path)
    dead = defaultdict(dict)
    for entity, key, reason in db.execute(
            "SELECT entity, source_key, reason FROM dlq WHERE dropped = 0"):
        dead[entity][key] = reason
    ok = True
    print(f"{'entity':<16} {'source':>7} {'kept':>6} {'written':>8} {'dead':>5} {'held':>5} "
          f"{'missing':>8} {'dup':>4} {'orphan':>7}")
    for spec in PAIRS[pair](dump):
        ent = spec["entity"]
        recs = read_ndjson(f"{data}/{spec['file']}.ndjson")
        # a key written again later in the file replaces the record (a change)
        last = {}
        for i, r in enumerate(recs):
            if isinstance(r, dict) and key_text(r.get(spec["key"])) is not None:
                last[key_text(r.get(spec["key"]))] = i
        recs = [r for i, r in enumerate(recs) if not isinstance(r, dict)
                or key_text(r.get(spec["key"])) is None or last[key_text(r.get(spec["key"]))] == i]
        docs_by_key = Counter(spec["doc_key"](d) for d in spec["docs"])
        src_keys = set()
        written = held = missing = kept = 0
        money_src = defaultdict(lambda: D0)
        money_doc = defaultdict(lambda: D0)
        reasons = Counter()
        docs = {spec["doc_key"](d): d for d in spec["docs"]}
        for r in recs:
            if not isinstance(r, dict):
                continue  # not JSON: dead-lettered without a key
            sk = key_text(r.get(spec["key"]))  # the entity's key: dead letters name it
            k = spec["src_key"](r) if "src_key" in spec else sk  # what the documents carry
            if k is None or sk is None:
                continue
            src_keys.add(k)
            try:
                keep = spec["keep"](r)
            except Exception:  # a record too broken for the filter: the engine decides
                keep = True
            if not keep and sk not in dead[ent] and docs_by_key[k] == 0:
                continue
            kept += 1
            if docs_by_key[k] >= 1:
                written += 1
                if "src_money" in spec:
                    # per the source's currency: the documents carry it (fields.py checks)
                    cur = str(r.get("currency") or r.get("CustomerCurrencyCode") or "").upper()
                    money_src[cur] += spec["src_money"](r)
                    money_doc[cur] += spec["doc_money"](docs[k])
            elif sk in dead[ent]:
                reasons[dead[ent][sk]] += 1
            elif "dep" in spec and key_text(spec["dep"][1](r)) in dead[spec["dep"][0]]:
                held += 1
            else:
                missing += 1
                if missing <= 5:
                    print(f"  MISSING {ent} {k}")
        dups = sum(n - 1 for k, n in docs_by_key.items() if n > 1)
        orphans = sum(n for k, n in docs_by_key.items() if k not in src_keys)
        ndead = sum(reasons.values())
        print(f"{ent:<16} {len(recs):>7} {kept:>6} {written:>8} {ndead:>5} {held:>5} "
              f"{missing:>8} {dups:>4} {orphans:>7}")
        for reason, n in reasons.most_common():
            print(f"  dead x{n}: {reason}")
        if missing or dups or orphans or written + ndead + held != kept:
            ok = False
        for cur in sorted(set(money_src) | set(money_doc)):
            s, d = money_src[cur], money_doc[cur]
            same = abs(s - d) < CENT
            print(f"  money {cur}: source {s:.2f}  target {d:.2f}  {'ok' if same else 'DIFFERS'}")
            ok = ok and same
    print(f"{pair}: {'reconciles' if ok else 'DOES NOT RECONCILE'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
