#!/usr/bin/env python3
"""A supplier's delivery, booked in an accounting system as its people do.

    deliveries.py ROOT --target xero|intacct|qbo --day N [--seed S] [--items K]

ROOT is the sandbox (http://127.0.0.1:PORT).  Picks K (default 2) of the
items the books track (the "onhand" member of GET /_sandbox/books), the same
ones for the same seed and day, and a quantity of each (5 to 30), and books
one purchase of them the way the service takes it:

  xero     an AUTHORISED ACCPAY bill with each item's Code on its line, over
           the Accounting API (client credentials, the sandbox's tenant);
  intacct  create_ictransaction "Inventory Receipt" into warehouse WH1,
           through the XML gateway as the company's user;
  qbo      a Bill with an ItemBasedExpenseLineDetail line per item, entered
           in the company (POST /_sandbox/documents, as a person in
           QuickBooks does: no API token of the pair's is used up).

Each raises the items' quantity on hand in the books; the pairs' reverse
entities carry it to the store.  Prints one line per item: `SKU +QTY`.
Exit 0 when the books took the purchase, 1 otherwise.
"""
import argparse
import base64
import json
import random
import sys
import urllib.error
import urllib.parse
import urllib.request

TENANT = "00000000-0000-4000-8000-00000000000a"


class Refused(Exception):
    pass


def call(url, body=None, headers=None, method=None):
    req = urllib.request.Request(url, data=body, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req) as r:
            return r.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        raise Refused("%s %s: %d %s" % (method or "GET", url, e.code,
                                        e.read().decode("utf-8", "replace")[-600:]))


def xero(root, lines, day):
    auth = base64.b64encode(b"sandbox-client:sandbox-secret").decode()
    tok = json.loads(call(root + "/xero/connect/token", b"grant_type=client_credentials",
                          {"Authorization": "Basic " + auth,
                           "Content-Type": "application/x-www-form-urlencoded"}))
    hdrs = {"Authorization": "Bearer " + tok["access_token"], "xero-tenant-id": TENANT,
            "Content-Type": "application/json"}
    # the supplier, once: Xero refuses a contact name twice, and a bill to
    # a contact it does not have
    where = urllib.parse.quote('Name=="Crockery Supplies Ltd"')
    if not json.loads(call(root + "/xero/api.xro/2.0/Contacts?where=" + where, None,
                           hdrs)).get("Contacts"):
        call(root + "/xero/api.xro/2.0/Contacts", json.dumps({"Contacts": [
            {"Name": "Crockery Supplies Ltd", "IsSupplier": True}]}).encode(), hdrs, "PUT")
    bill = {"Type": "ACCPAY", "Status": "AUTHORISED",
            "Contact": {"Name": "Crockery Supplies Ltd"},
            "Reference": "delivery day %d" % day,
            "LineItems": [{"ItemCode": sku, "Description": "delivery", "Quantity": q,
                           "UnitAmount": 6.5, "AccountCode": "630", "TaxType": "INPUT"}
                          for sku, q in lines]}
    out = json.loads(call(root + "/xero/api.xro/2.0/Invoices",
                          json.dumps({"Invoices": [bill]}).encode(), hdrs, "PUT"))
    return out.get("Invoices", [{}])[0].get("Status") == "AUTHORISED"


def intacct(root, lines, day):
    items = "".join("<ictransitem><itemid>%s</itemid><warehouseid>WH1</warehouseid>"
                    "<quantity>%d</quantity><cost>6.10</cost></ictransitem>" % (sku, q)
                    for sku, q in lines)
    fn = ("<create_ictransaction><transactiontype>Inventory Receipt</transactiontype>"
          "<datecreated><year>2026</year><month>12</month><day>%02d</day></datecreated>"
          "<documentno>DLV-%d</documentno><ictransitems>%s</ictransitems>"
          "</create_ictransaction>" % (min(day, 28), day, items))
    req = ('<?xml version="1.0" encoding="UTF-8"?><request><control><senderid>sandbox-sender'
           '</senderid><password>sandbox-sender-pw</password><controlid>d%d</controlid>'
           '<uniqueid>false</uniqueid><dtdversion>3.0</dtdversion></control><operation>'
           '<authentication><login><userid>sandbox-user</userid><companyid>sandbox-co'
           '</companyid><password>sandbox-user-pw</password></login></authentication>'
           '<content><function controlid="f">%s</function></content></operation></request>'
           % (day, fn))
    out = call(root + "/intacct/ia/xml/xmlgw.phtml", req.encode(),
               {"Content-Type": "application/xml"}, "POST")
    return "<result><status>success</status>" in out


def qbo(root, lines, day):
    dump = json.loads(call(root + "/_sandbox/dump?service=qbo"))
    ids = {i.get("Sku"): i["Id"] for i in dump.get("Item", []) if i.get("Sku")}
    # the supplier, once (QuickBooks refuses a display name twice)
    vendor = next((v["Id"] for v in dump.get("Vendor", [])
                   if v.get("DisplayName") == "Acme Supply"), None)
    if vendor is None:
        vendor = json.loads(call(root + "/_sandbox/documents?service=qbo&collection=Vendor",
                                 json.dumps({"DisplayName": "Acme Supply"}).encode(),
                                 {"Content-Type": "application/json"}, "POST"))["ids"][0]
    bill = {"VendorRef": {"value": vendor}, "TxnDate": "2026-12-%02d" % min(day, 28),
            "Line": [{"Amount": q, "DetailType": "ItemBasedExpenseLineDetail",
                      "ItemBasedExpenseLineDetail": {"ItemRef": {"value": ids[sku]},
                                                     "Qty": q, "UnitPrice": 1}}
                     for sku, q in lines if sku in ids]}
    call(root + "/_sandbox/documents?service=qbo&collection=Bill",
         json.dumps(bill).encode(), {"Content-Type": "application/json"}, "POST")
    return True


def main(argv):
    p = argparse.ArgumentParser(prog="deliveries.py")
    p.add_argument("root")
    p.add_argument("--target", required=True, choices=("xero", "intacct", "qbo"))
    p.add_argument("--day", type=int, required=True)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--items", type=int, default=2)
    a = p.parse_args(argv[1:])
    root = a.root.rstrip("/")
    books = json.loads(call("%s/_sandbox/books?service=%s" % (root, a.target)))
    skus = sorted(books.get("onhand", {}))
    if not skus:
        print("%s tracks no item: nothing to deliver" % a.target)
        return 0
    rng = random.Random("%d/%s/%d" % (a.seed, a.target, a.day))
    lines = [(sku, rng.randint(5, 30)) for sku in rng.sample(skus, min(a.items, len(skus)))]
    try:
        ok = {"xero": xero, "intacct": intacct, "qbo": qbo}[a.target](root, lines, a.day)
    except Refused as e:
        print("%s refused the delivery: %s" % (a.target, e), file=sys.stderr)
        return 1
    for sku, q in lines:
        print("%s +%d" % (sku, q))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
