#!/usr/bin/env python3
"""The `Order` entity of mappings/clarity_xero.map, by hand, in plain Python.

A benchmark contender (stdlib json, decimal.Decimal for exact money) and an
independent check of the compiler: for the same input its documents must be
byte-identical to `bin/clarity_xero transform Order`.  Reads NDJSON on stdin,
writes one Xero invoice per line, dead letters as JSON lines on stderr; exit
1 when any record was dead-lettered.  `--rates FILE` (the ECB's reference
rates, as the pair's `currency "USD" from file`): a foreign invoice carries
its CurrencyRate and the exchange-rate line; without, none (a contender
that skips them).
"""
import json
import sys
import xml.etree.ElementTree as ET
from decimal import Decimal, ROUND_HALF_UP

BASE = "USD"
RATES = None  # {code: [(day, 1 EUR in code)]}, each sorted by day

ORDER_STATUS = {"pending": "AUTHORISED", "processing": "AUTHORISED", "fulfilled": "AUTHORISED",
                "completed": "AUTHORISED", "cancelled": "VOIDED"}
REVENUE = {"web": "200", "mobile": "200", "marketplace": "210", "pos": "220"}
TAX_TYPE = {"standard": "OUTPUT", "reduced": "OUTPUT2", "zero": "ZERORATEDOUTPUT",
            "exempt": "EXEMPTOUTPUT"}
CHANNEL = {"web": "Online", "mobile": "App", "marketplace": "Marketplace", "pos": "Retail"}
CAMPAIGN = {"black-friday": "Black Friday", "newsletter": "Newsletter", "social": "Social"}


class Dead(Exception):
    pass


def num(d):
    """Canonical exact text: 19.90 -> 19.9, 20.00 -> 20."""
    if isinstance(d, int):
        return str(d)
    t = format(d, "f")
    if "." in t:
        t = t.rstrip("0").rstrip(".")
    return "0" if t in ("-0", "") else t


def dumps(v):
    if isinstance(v, dict):
        return "{" + ",".join(json.dumps(k) + ":" + dumps(x) for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ",".join(dumps(x) for x in v) + "]"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, Decimal)):
        return num(v)
    return json.dumps(v, ensure_ascii=False)


def req(o, k):
    if k not in o or o[k] is None:
        raise Dead(f"missing required field {k}")
    return o[k]


def local_date(s):
    # RFC 3339: the date as written, in its own offset.
    if len(s) < 10 or s[4] != "-" or s[7] != "-":
        raise Dead(f'field orderDate: expected a datetime, got "{s}"')
    return s[:10]


def load_rates(path):
    out = {}
    for day in ET.parse(path).iter():
        if day.tag.endswith("Cube") and day.get("time"):
            for c in day:
                if c.get("currency"):
                    out.setdefault(c.get("currency"), []).append(
                        (day.get("time"), Decimal(c.get("rate"))))
    return {k: sorted(v) for k, v in out.items()}


def per_base(cur, day):
    """(units of cur one USD buys, the ECB day): cur's rate over USD's, to
    10 places, then 6 (round(): half away from zero), the latest day on or
    before the order's."""
    def eur(code):
        if code == "EUR":
            return Decimal(1), None
        have = [x for x in RATES.get(code, []) if x[0] <= day]
        if not have:
            raise Dead(f"no {code} rate into {BASE} for {day}")
        return have[-1][1], have[-1][0]
    (c, dc), (b, db) = eur(cur), eur(BASE)
    r = (c / b).quantize(Decimal("1e-10"), ROUND_HALF_UP)
    return r.quantize(Decimal("1e-6"), ROUND_HALF_UP), max(x for x in (dc, db) if x)


def tracking(attrs):
    return [{"Name": "Sales Channel", "Option": CHANNEL.get(attrs.get("channel"), "Other")},
            {"Name": "Campaign", "Option": CAMPAIGN.get(attrs.get("campaign"), "None")}]


def order(r):
    if req(r, "status") == "draft":
        return None
    doc = {"Type": "ACCREC", "Contact": {"ContactID": req(r, "customerId")}}
    d = local_date(req(r, "orderDate"))
    doc["Date"] = d
    doc["DueDate"] = d
    doc["LineAmountTypes"] = "Exclusive"
    doc["Reference"] = req(r, "orderId")
    doc["CurrencyCode"] = cur = req(r, "currency").upper()
    rate = per_base(cur, d) if RATES is not None and cur != BASE else None
    if rate:
        doc["CurrencyRate"] = rate[0]
    st = r["status"]
    if st not in ORDER_STATUS:
        raise Dead(f'unknown order status (order_status["{st}"])')
    doc["Status"] = ORDER_STATUS[st]
    attrs = r.get("attributes") or {}
    account = REVENUE.get(attrs.get("channel"), "200")
    lines = []
    for li in r.get("lineItems") or []:
        line = {"ItemCode": req(li, "sku")}
        if li.get("name") is not None:
            line["Description"] = li["name"]
        line["Quantity"] = req(li, "quantity")
        line["UnitAmount"] = req(li, "unitPrice")
        line["AccountCode"] = account
        tc = li.get("taxClass") or "standard"
        if tc not in TAX_TYPE:
            raise Dead(f'no Xero tax type for tax class (tax_type["{tc}"])')
        line["TaxType"] = TAX_TYPE[tc]
        line["TaxAmount"] = li.get("tax") if li.get("tax") is not None else 0
        line["Tracking"] = tracking(attrs)
        lines.append(line)
    discount = r.get("discountAmount")
    if (discount if discount is not None else 0) != 0:
        lines.append({"Description": "Discount " + (r.get("couponCode") or ""), "Quantity": 1,
                      "UnitAmount": 0 - discount, "AccountCode": account, "TaxType": "NONE",
                      "Tracking": tracking(attrs)})
    shipping = r.get("shippingAmount")
    if (shipping if shipping is not None else 0) != 0:
        lines.append({"Description": "Shipping", "Quantity": 1, "UnitAmount": shipping,
                      "AccountCode": "260", "TaxType": "NONE", "Tracking": tracking(attrs)})
    if rate:
        lines.append({"Description": f"Exchange rate: 1 {BASE} = {num(rate[0])} {cur}, "
                      f"ECB reference rate of {rate[1]}"})
    doc["LineItems"] = lines
    if not r.get("lineItems"):
        raise Dead("order has no line items")
    total = req(r, "totalAmount")
    lines_sum = sum((li["quantity"] * li["unitPrice"] for li in r["lineItems"]), Decimal(0))
    # what the invoice totals: Xero adds each line's TaxAmount
    line_tax = sum((li.get("tax") or 0 for li in r["lineItems"]), Decimal(0))
    expect = lines_sum + (shipping or 0) - (discount or 0) + line_tax
    if abs(total - expect) > Decimal("0.01"):
        raise Dead("order total does not add up")
    return doc


def main():
    global RATES
    if sys.argv[1:2] == ["--rates"]:
        RATES = load_rates(sys.argv[2])
    out = sys.stdout.write
    err = sys.stderr.write
    failed = 0
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            r = json.loads(line, parse_float=Decimal)
            doc = order(r)
        except (Dead, ValueError, KeyError, TypeError, AttributeError) as e:
            failed += 1
            err(json.dumps({"entity": "Order", "reason": str(e)}) + "\n")
            continue
        if doc is not None:
            out(dumps(doc) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
