#!/usr/bin/env python3
"""spellings.py - a number's spelling never changes a document.

JSON lets a sender write one value many ways: .NET serialises a decimal
with the zeros of its scale (93.91000000000000000000), other stores use
exponents (1.25e1, 1250E-2, 1.2500E+3), zeros come as 0e5 or -0.0.  For
each fixture of the shipped mappings (mappings/tests/PAIR/*.test: its
entity and its input records) this rewrites every number of every record
in each of the spellings below, runs the records through the pair binary
(`BIN/PAIR transform ENTITY --dead-letter FILE`) and checks that the
documents are byte-identical to those of the records as written, and the
dead letters the same (entity, key, line, field, reason) with the same
exit status; three orders generated here at the ends of a .NET decimal's
range go the same way, and must all be written.  Each rewritten record is first checked to be legal JSON
holding exactly the same values (read with Python's exact decimals), so a
failure is the transform's, not the generator's.

BIN names the binaries' directory (default bin).  Standard library only.
Prints [PASS]/[FAIL] lines like the rest of the suite."""
import decimal
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

NUM = re.compile(r"(-?)([0-9]+)(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]+))?")


def parse(tok):
    """A number token as (negative, D, e10): value = D * 10^e10, D digits
    without leading or trailing zeros ("" for zero)."""
    m = NUM.fullmatch(tok)
    neg, ip, fp, ex = m.group(1) == "-", m.group(2), m.group(3) or "", m.group(4)
    e10 = int(ex or 0) - len(fp)
    d = (ip + fp).lstrip("0")
    while d.endswith("0"):
        d = d[:-1]
        e10 += 1
    return neg, d, e10


def plain(neg, d, e10, places):
    """Without an exponent, the fraction padded with zeros to `places`."""
    if e10 >= 0:
        ip, fp = d + "0" * e10, ""
    elif len(d) + e10 > 0:
        ip, fp = d[:len(d) + e10], d[len(d) + e10:]
    else:
        ip, fp = "0", "0" * -(len(d) + e10) + d
    fp += "0" * (places - len(fp))
    return ("-" if neg else "") + ip + ("." + fp if fp else "")


def expo(neg, d, e10, lead, trail=0, zeros=0, e="e", plus=False):
    """Mantissa with `lead` digits before the point (0: "0." then `zeros`
    zeros), `trail` zeros after the digits, and the exponent that makes it
    the same value."""
    m = d + "0" * trail
    if lead > len(m):
        m += "0" * (lead - len(m))
    if lead == 0:
        mant = "0." + "0" * zeros + m
        x = e10 + len(d) + zeros
    else:
        mant = m[:lead] + ("." + m[lead:] if m[lead:] else "")
        x = e10 + len(d) - lead
    return ("-" if neg else "") + mant + e + ("+" if plus and x >= 0 else "") + str(x)


# Each spelling: a name, the rewrite of a non-zero value, the zero it writes.
SPELLINGS = [
    ("net-20-places", lambda n, d, x: plain(n, d, x, 20), "0.00000000000000000000"),
    ("net-28-places", lambda n, d, x: plain(n, d, x, 28), "-0.0"),
    ("60-zeros", lambda n, d, x: plain(n, d, x, 60), "0." + "0" * 60),
    ("integer-mantissa-e", lambda n, d, x: expo(n, d, x, len(d)), "0e5"),
    ("one-digit-E-plus", lambda n, d, x: expo(n, d, x, 1, e="E", plus=True), "0E+0"),
    ("mantissa-zeros-e", lambda n, d, x: expo(n, d, x, 1, trail=9), "-0e-3"),
    ("leading-zero-fraction-E", lambda n, d, x: expo(n, d, x, 0, zeros=4, e="E"), "0.000E-7"),
    ("padded-integer-E-minus", lambda n, d, x: expo(n, d, x, len(d) + 5, e="E"), "-0"),
]


def respell(text, style):
    """text with each number token rewritten; style -1 takes the spellings
    in turn, one per number.  Returns (text, numbers rewritten)."""
    out, i, k, n = [], 0, 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            j = i + 1
            while text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
        elif c == "-" or c.isdigit():
            m = NUM.match(text, i)
            neg, d, e10 = parse(m.group(0))
            _, f, zero = SPELLINGS[k % len(SPELLINGS) if style < 0 else style]
            out.append(f(neg, d, e10) if d else zero)
            k += 1
            i = m.end()
        else:
            out.append(c)
            i += 1
    return "".join(out), k


# Orders of a .NET store at the ends of its decimal's range (its largest
# value, its smallest step, 28 digits with 9 places), generated here so that
# the widest values go through a whole mapping too: PRICE * 3 = TOTAL.
ORDER = ('{"orderId":"SO-W%d","customerId":"C-1","orderDate":"2026-11-22T23:30:00-05:00",'
         '"status":"completed","currency":"USD","totalAmount":%s,"subtotalAmount":%s,'
         '"taxAmount":0,"shippingAmount":0,"discountAmount":0,"lineItems":[{"lineId":"1",'
         '"sku":"MUG-1","name":"Mug","quantity":3,"unitPrice":%s,"tax":0,'
         '"taxClass":"standard"}],"paymentInfo":{"method":"Visa","status":"captured",'
         '"transactionId":"ch_1","amount":%s},"attributes":{"channel":"web","storeId":"web"}}')
WIDE = [("26409387504754779197847983445", "79228162514264337593543950335"),
        ("0.0000000000000000000000000001", "0.0000000000000000000000000003"),
        ("1234567890123456789.123456789", "3703703670370370367.370370367")]
GENERATED = ("clarity_xero", "Order", "generated-wide-Order",
             [ORDER % (i, t, t, p, t) for i, (p, t) in enumerate(WIDE)])


def exact(line):
    return json.loads(line, parse_float=decimal.Decimal, parse_int=decimal.Decimal)


def fixture(path):
    """(entity, input lines) of a .test file."""
    entity, lines, section = None, [], None
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.rstrip("\n")
            if line.startswith("--- "):
                section = line[4:].split()
                if section[0] == "entity":
                    entity = section[1]
                continue
            if section and section[0] == "input" and line.strip():
                lines.append(line)
    return entity, lines


def transform(binary, entity, lines, tmp):
    """(documents, dead letters without their record, exit status)"""
    dl = os.path.join(tmp, "dead")
    p = subprocess.run([binary, "transform", entity, "--dead-letter", dl],
                       input="".join(l + "\n" for l in lines).encode(),
                       capture_output=True, timeout=60)
    dead = []
    with open(dl, encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            d.pop("record", None)
            dead.append(d)
    return p.stdout, dead, p.returncode, p.stderr.decode(errors="replace")


def main():
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    bindir = os.environ.get("BIN", "bin")
    passed = failed = blank = 0
    with tempfile.TemporaryDirectory() as tmp:
        cases = []
        for path in sorted(glob.glob("mappings/tests/*/*.test")):
            pair = os.path.basename(os.path.dirname(path))
            cases.append((pair, os.path.basename(path)[:-5]) + fixture(path))
        cases.append((GENERATED[0], GENERATED[2], GENERATED[1], GENERATED[3]))
        for pair, case, entity, lines in cases:
            name = "spellings/%s/%s" % (pair, case)
            binary = os.path.join(bindir, pair)
            if not entity or not lines or not os.access(binary, os.X_OK):
                print("[FAIL] %s: no entity, no input or no %s" % (name, binary))
                failed += 1
                continue
            want = transform(binary, entity, lines, tmp)
            bad, numbers = [], 0
            if case == GENERATED[2] and (want[1] or len(want[0].splitlines()) != len(lines)):
                bad.append("the generated orders were not all written: %s" % want[1])
            for style in range(-1, len(SPELLINGS)):
                label = "mixed" if style < 0 else SPELLINGS[style][0]
                got_lines = []
                for line in lines:
                    try:
                        value = exact(line)
                    except ValueError:
                        got_lines.append(line)   # a broken record stays broken
                        continue
                    new, k = respell(line, style)
                    numbers += k
                    if exact(new) != value:
                        bad.append("%s: the generator changed a value: %s" % (label, new))
                    got_lines.append(new)
                got = transform(binary, entity, got_lines, tmp)
                if got[0] != want[0]:
                    a, b = want[0].decode().splitlines(), got[0].decode().splitlines()
                    diff = [(x, y) for x, y in zip(a, b) if x != y][:1]
                    bad.append("%s: documents differ (%d and %d lines)%s" % (
                        label, len(a), len(b),
                        "".join("\n    want %s\n    got  %s" % d for d in diff)))
                if got[1] != want[1]:
                    w = [d for d in want[1] if d not in got[1]][:1]
                    g = [d for d in got[1] if d not in want[1]][:1]
                    bad.append("%s: dead letters differ (%d and %d)\n    want %s\n    got  %s" % (
                        label, len(want[1]), len(got[1]), w, g))
                if got[2] != want[2]:
                    bad.append("%s: exit %d, not %d: %s" % (label, got[2], want[2],
                                                          got[3].strip()))
            if bad:
                print("[FAIL] %s:\n  %s" % (name, "\n  ".join(bad)))
                failed += 1
            elif numbers == 0:
                blank += 1           # nothing to respell (customers: names, addresses)
            else:
                print("[PASS] %s (%d spellings of %d numbers)" % (
                    name, len(SPELLINGS) + 1, numbers))
                passed += 1
    print("spellings: %d passed, %d failed, %d fixtures without numbers" % (
        passed, failed, blank))
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
