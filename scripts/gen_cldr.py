#!/usr/bin/env python3
"""gen_cldr.py - the ISO 4217 minor units of the transform library, from
Debian's unicode-cldr-core, written at build time (Makefile:
$(O)/gen/iso4217.c; runtime/transform/iso4217.h declares the table).

    python3 scripts/gen_cldr.py OUT.c [SUPPLEMENTAL_DATA_XML]

Debian's iso-codes lists the currencies without their minor units; CLDR's
supplementalData.xml (default /usr/share/unicode/cldr/common/supplemental/
supplementalData.xml) has both: <currencyData><fractions> gives the digits
of each currency that differs from DEFAULT (JPY 0, KWD 3, CLF 4), and
<region><currency iso4217="..."> names every currency a region has used,
current or former (HRK, SLL: older records still carry them).  A code is
known when a region uses it; its places are its fractions entry's digits,
else DEFAULT's.  Nothing reads CLDR at run time: the transform library
does no I/O.
"""
import os
import sys
import xml.etree.ElementTree as ET

DEFAULT_XML = "/usr/share/unicode/cldr/common/supplemental/supplementalData.xml"


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: gen_cldr.py OUT.c [supplementalData.xml]")
    out = sys.argv[1]
    src = sys.argv[2] if len(sys.argv) > 2 else DEFAULT_XML
    cd = ET.parse(src).getroot().find("currencyData")
    if cd is None:
        sys.exit("gen_cldr.py: %s has no <currencyData>" % src)
    digits = {}
    for info in cd.find("fractions").findall("info"):
        digits[info.get("iso4217")] = int(info.get("digits"))
    if "DEFAULT" not in digits:
        sys.exit("gen_cldr.py: %s has no DEFAULT fractions" % src)
    codes = set()
    for region in cd.findall("region"):
        for cur in region.findall("currency"):
            code = cur.get("iso4217")
            if len(code) == 3 and code.isalpha() and code.isupper():
                codes.add(code)
    for must, places in (("USD", 2), ("EUR", 2), ("JPY", 0), ("KWD", 3)):
        if digits.get(must, digits["DEFAULT"]) != places or must not in codes:
            sys.exit("gen_cldr.py: %s does not give %s %d places" % (src, must, places))
    w = ["/* Written by scripts/gen_cldr.py from CLDR's supplementalData.xml",
         " * (Debian's unicode-cldr-core): do not edit. */",
         '#include "iso4217.h"', "",
         "const iso_currency iso_currencies[] = {"]
    for code in sorted(codes):
        w.append('\t{ "%s", %d },' % (code, digits.get(code, digits["DEFAULT"])))
    w += ["};", "const size_t iso_n_currencies = sizeof iso_currencies / sizeof iso_currencies[0];"]
    tmp = out + ".tmp"
    with open(tmp, "w", encoding="ascii") as f:
        f.write("\n".join(w) + "\n")
    os.replace(tmp, out)


if __name__ == "__main__":
    main()
