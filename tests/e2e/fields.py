#!/usr/bin/env python3
"""Field by field: the documents a target holds against the mapping.

    fields.py PAIR ENTITY TRANSFORMED.ndjson DUMP.json [DATA_DIR]

TRANSFORMED is what `bin/PAIR transform ENTITY` writes for the source records
(no state: each `ref` is the referenced record's source key).  For every such
document the target must hold one document with the same key, and every field
of the transformed document must be in it with the same value (numbers
compared exactly; the target may add fields of its own, such as ids and
totals).  A `ref` field must hold the target id of the document written for
the referenced source record.  Documents the target does not hold are
counted, not judged: reconcile_sync.py says whether each is dead-lettered
or held.  Sage Intacct keeps its objects' fields, not the request's shape:
there each document is projected onto what the service stores.  Prints the first differences; exits 1 on any.
"""
import json
import re
import sys
from decimal import Decimal


def loads(s):
    return json.loads(s, parse_float=Decimal, parse_int=Decimal)


def num(x):
    return Decimal(str(x)) if isinstance(x, (int, float, Decimal)) and not isinstance(x, bool) \
        else x


# pair -> entity -> (target list in the dump, document key, {ref path: resolver})
def specs(pair, dump):
    if pair == "clarity_xero":
        contact_id = {c["ContactNumber"]: c["ContactID"] for c in dump.get("Contacts", [])}
        invoice_id = {i["Reference"]: i["InvoiceID"] for i in dump.get("Invoices", [])}
        inv_ref = {v: k for k, v in invoice_id.items()}
        return {
            "Customer": (dump.get("Contacts", []), lambda d: d.get("ContactNumber"), {}),
            # A payment settles its invoice: AUTHORISED becomes PAID.
            "Order": (dump.get("Invoices", []), lambda d: d.get("Reference"),
                      {"Contact.ContactID": lambda w: contact_id.get(w),
                       "Status": lambda w, doc: w if w != "AUTHORISED" or doc.get("Status")
                       != "PAID" or num(doc.get("AmountDue")) != 0 else "PAID"}),
            "Payment": (dump.get("Payments", []),
                        lambda d: inv_ref.get((d.get("Invoice") or {}).get("InvoiceID"),
                                              (d.get("Invoice") or {}).get("InvoiceID")),
                        {"Invoice.InvoiceID": lambda w: invoice_id.get(w)}),
        }
    if pair == "nopcommerce_qbo":
        cust_id = {}
        for c in dump.get("Customer", []):
            note = c.get("Notes") or ""
            if note.startswith("NopCommerce customer "):
                cust_id[note.split(" ")[-1]] = c.get("Id")
        item_id = {i.get("Name"): i.get("Id") for i in dump.get("Item", [])}
        invoice_id = {}  # order id -> its invoice's Id
        for i in dump.get("Invoice", []):
            m = re.match(r"(?:Voided - )?NopCommerce order (\d+),", i.get("PrivateNote") or "")
            if m:
                invoice_id[m.group(1)] = i.get("Id")
        sku = SOURCE.get("product_sku", {})
        refs = {"CustomerRef.value": lambda w: cust_id.get(str(w)),
                "Line.SalesItemLineDetail.ItemRef.value": lambda w: w if w == "SHIPPING_ITEM_ID"
                else item_id.get(sku.get(str(w), str(w)))}
        pay_refs = dict(refs, **{"Line.LinkedTxn.TxnId": lambda w: invoice_id.get(str(w))})
        # the refund names the invoice it refunds: "..., invoice ORDER" -> its Id
        refund_refs = dict(refs, PrivateNote=lambda w: w.rsplit(" ", 1)[0] + " " + str(
            invoice_id.get(w.rsplit(" ", 1)[1])))
        # the books keep an item's count (`wins target`): it starts from the
        # store's and moves by what QuickBooks books, sales out, purchases in
        moved = {}
        for kind, detail, sign in (("Invoice", "SalesItemLineDetail", -1),
                                   ("SalesReceipt", "SalesItemLineDetail", -1),
                                   ("Bill", "ItemBasedExpenseLineDetail", 1),
                                   ("Purchase", "ItemBasedExpenseLineDetail", 1)):
            for d in dump.get(kind, []):
                for ln in d.get("Line") or []:
                    det = ln.get(detail) or {}
                    it = (det.get("ItemRef") or {}).get("value")
                    if it and det.get("Qty") is not None:
                        moved[it] = moved.get(it, Decimal(0)) + sign * num(det["Qty"])
        item_refs = {"QtyOnHand": lambda w, doc: num(w) + moved.get(doc.get("Id"), Decimal(0))}
        return {
            "Product": (dump.get("Item", []), lambda d: d.get("Name"), item_refs),
            "Customer": (dump.get("Customer", []), lambda d: d.get("DisplayName"), {}),
            "Order": (dump.get("Invoice", []), lambda d: d.get("DocNumber"), refs),
            "Payment": (dump.get("Payment", []), lambda d: d.get("PrivateNote"), pay_refs),
            "Refund": (dump.get("RefundReceipt", []), lambda d: d.get("DocNumber"), refund_refs),
        }
    raise SystemExit(f"fields.py: no spec for {pair}")


# Sage Intacct keeps what its objects have, not the request's shape: each
# written document is projected onto the fields the service stores.
def intacct_projection(entity, root):
    def t(path):
        e = root.find(path)
        return e.text if e is not None else None
    if entity == "Customer":
        return t("CUSTOMERID"), {"CUSTOMERID": t("CUSTOMERID"), "NAME": t("NAME"),
                                 "STATUS": t("STATUS"),
                                 "DISPLAYCONTACT.EMAIL1": t("DISPLAYCONTACT/EMAIL1")}
    if entity == "Order":
        total = sum((Decimal(i.findtext("quantity")) * Decimal(i.findtext("price"))
                     for i in root.findall("sotransitems/sotransitem")), Decimal(0))
        return t("documentno"), {"DOCNO": t("documentno"), "PONUMBER": t("referenceno"),
                                 "CUSTVENDID": t("customerid"), "DOCPARID": t("transactiontype"),
                                 "STATE": t("state"), "TOTAL": total}
    if entity == "Payment":
        return t("DESCRIPTION"), {"CUSTOMERID": t("CUSTOMERID"),
                                  "PAYMENTMETHOD": t("PAYMENTMETHOD"),
                                  "RECEIPTDATE": t("RECEIPTDATE"), "DOCNUMBER": t("DOCNUMBER"),
                                  "DESCRIPTION": t("DESCRIPTION"),
                                  "TOTALENTERED": Decimal(t("TRX_AMOUNTTOPAY"))}
    raise SystemExit(f"fields.py: no Intacct projection for {entity}")


def intacct_main(entity, transformed, dump):
    import xml.etree.ElementTree as ET
    objects = {"Customer": ("CUSTOMER", "CUSTOMERID"), "Order": ("SODOCUMENT", "DOCNO"),
               "Payment": ("ARPYMT", "DESCRIPTION")}
    obj, keyf = objects[entity]
    by_key = {}
    for d in dump.get(obj, []):
        by_key.setdefault(d.get(keyf), []).append(d)
    problems, n, absent = [], 0, 0
    with open(transformed, encoding="utf-8") as f:
        for line in f:
            k, want = intacct_projection(entity, ET.fromstring(line))
            got = by_key.get(k, [])
            if not got:
                absent += 1
                continue
            n += 1
            if len(got) != 1:
                problems.append(f"{entity} {k}: the target holds {len(got)} documents")
                continue
            for field, v in want.items():
                g = got[0].get(field)
                same = num(Decimal(g)) == num(v) if isinstance(v, Decimal) and g is not None \
                    else g == v
                if not same:
                    problems.append(f"{entity} {k}: {field}: expected {v!r}, target has {g!r}")
    return problems, n, absent


def compare(want, got, path, refs, out, doc=None):
    doc = got if doc is None else doc
    rp = re.sub(r"\[\d+\]", "", path)  # refs are named without array indices
    if rp in refs:
        f = refs[rp]
        expect = f(want, doc) if f.__code__.co_argcount == 2 else f(want)
        if expect is None or got != expect:
            out.append(f"{path}: ref to {want!r} should be {expect!r}, target has {got!r}")
        return
    if isinstance(want, dict):
        if not isinstance(got, dict):
            out.append(f"{path}: expected an object, target has {got!r}")
            return
        for k, v in want.items():
            compare(v, got.get(k), f"{path}.{k}" if path else k, refs, out, doc)
    elif isinstance(want, list):
        if not isinstance(got, list) or len(got) != len(want):
            out.append(f"{path}: expected {len(want)} elements, target has "
                       f"{len(got) if isinstance(got, list) else got!r}")
            return
        for i, (a, b) in enumerate(zip(want, got)):
            compare(a, b, f"{path}[{i}]", refs, out, doc)
    elif num(want) != num(got):
        out.append(f"{path}: expected {want!r}, target has {got!r}")


SOURCE = {}


def main(argv):
    if len(argv) not in (5, 6):
        sys.stderr.write(__doc__)
        return 2
    pair, entity, transformed, dump_path = argv[1:5]
    if len(argv) == 6:  # the source data, for refs that go through it
        try:
            with open(f"{argv[5]}/nopcommerce.products.ndjson", encoding="utf-8") as f:
                SOURCE["product_sku"] = {str(r["Id"]): r.get("Sku") or str(r["Id"])
                                         for r in map(loads, f)}
        except OSError:
            pass
    with open(dump_path, encoding="utf-8") as f:
        dump = loads(f.read())
    if pair == "clarity_intacct":
        problems, n, absent = intacct_main(entity, transformed, dump)
        for p in problems[:10]:
            print("  " + p)
        print(f"{pair} {entity}: {n} documents compared, {len(problems)} differences"
              f" ({absent} not in the target)")
        return 1 if problems or n == 0 else 0
    docs, key_of, refs = specs(pair, dump)[entity]
    by_key = {}
    for d in docs:
        by_key.setdefault(key_of(d), []).append(d)
    problems, n, absent = [], 0, 0
    with open(transformed, encoding="utf-8") as f:
        for line in f:
            want = loads(line)
            k = key_of(want) if (pair, entity) != ("clarity_xero", "Payment") else (
                want.get("Invoice") or {}).get("InvoiceID")
            got = by_key.get(k, [])
            if not got:
                absent += 1  # held or dead-lettered by the engine: reconcile_sync.py counts
                continue
            n += 1
            if len(got) != 1:
                problems.append(f"{entity} {k}: the target holds {len(got)} documents")
                continue
            diffs = []
            compare(want, got[0], "", refs, diffs)
            problems += [f"{entity} {k}: {d}" for d in diffs]
    for p in problems[:10]:
        print("  " + p)
    print(f"{pair} {entity}: {n} documents compared, {len(problems)} differences"
          f" ({absent} not in the target)")
    return 1 if problems or n == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
