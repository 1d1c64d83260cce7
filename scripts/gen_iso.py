#!/usr/bin/env python3
"""gen_iso.py - the ISO 3166 tables of the transform library, from Debian's
iso-codes, written at build time (Makefile: $(O)/gen/iso3166.c).

    python3 scripts/gen_iso.py OUT.c [ISO_CODES_DIR [LOCALE_DIR]]

Reads iso_3166-1.json and iso_3166-2.json (default /usr/share/iso-codes/json)
and the translations of the country names (LOCALE_DIR/*/LC_MESSAGES/
iso_3166-1.mo, default /usr/share/locale) whose folded spelling is plain
ASCII (Deutschland, Allemagne, Alemania; not Cyrillic or CJK).  Nothing
reads these files at run time: the transform library does no I/O.

A key is a name folded the way runtime/transform/addr.c folds its input
(fold() below and addr.c's fold() must agree): ASCII letters lower-cased,
digits kept, every other ASCII character dropped (blanks, dots, commas,
apostrophes, hyphens), U+0080..U+00BF dropped, the Latin-1 letters
U+00C0..U+00FF spelled in ASCII (the table written as iso_fold), anything
else kept as it is.  A key two countries share is dropped, unless a
stronger source (codes, then English names, then the few spellings below,
then translations) gives it to one of them.
"""
import gettext
import glob
import json
import os
import sys
import unicodedata

# Spellings in common use that iso-codes has neither in English nor in any
# translation (English only: the rest comes from iso-codes itself).
EXTRA = {
    "UK": "GB", "Great Britain": "GB", "Britain": "GB", "England": "GB", "Scotland": "GB",
    "Wales": "GB", "Northern Ireland": "GB", "Holland": "NL", "America": "US",
    "Russia": "RU", "Czech Republic": "CZ", "Macedonia": "MK", "Ivory Coast": "CI",
    "Vatican": "VA", "Vatican City": "VA", "UAE": "AE", "South Korea": "KR",
    "North Korea": "KP", "Burma": "MM", "Swaziland": "SZ", "Turkey": "TR",
}

SPECIAL = {"\u00c6": "ae", "\u00d0": "d", "\u00d8": "o", "\u00de": "th", "\u00df": "ss",
           "\u00e6": "ae", "\u00f0": "d", "\u00f8": "o", "\u00fe": "th"}


def latin1_fold(cp):
    ch = chr(cp)
    if ch in SPECIAL:
        return SPECIAL[ch]
    base = unicodedata.normalize("NFD", ch)[0].lower()
    return base if base.isascii() and base.isalpha() else ""


FOLD = [latin1_fold(cp) for cp in range(0xC0, 0x100)]


def fold(s):
    out = []
    for ch in s:
        cp = ord(ch)
        if cp < 0x80:
            if ch.isalnum():
                out.append(ch.lower())
        elif cp < 0xC0:
            continue
        elif cp <= 0xFF:
            out.append(FOLD[cp - 0xC0])
        else:
            out.append(ch)
    return "".join(out)


def cstr(s):
    b = s.encode("utf-8")
    return '"' + "".join(chr(c) if 0x20 <= c < 0x7F and c not in (0x22, 0x5C, 0x3F)
                         else "\\%03o" % c for c in b) + '"'


class Keys:
    """key -> index; a key claimed by two indexes at one strength is dropped."""

    def __init__(self):
        self.keys, self.strength, self.clash = {}, {}, set()

    def add(self, key, idx, strength):
        if not key:
            return
        if key not in self.keys:
            self.keys[key], self.strength[key] = idx, strength
        elif self.keys[key] != idx and self.strength[key] == strength:
            self.clash.add(key)

    def done(self):
        return sorted((k, i) for k, i in self.keys.items() if k not in self.clash)


def main():
    out = sys.argv[1]
    src = sys.argv[2] if len(sys.argv) > 2 else "/usr/share/iso-codes/json"
    loc = sys.argv[3] if len(sys.argv) > 3 else "/usr/share/locale"
    with open(os.path.join(src, "iso_3166-1.json"), encoding="utf-8") as f:
        countries = sorted(json.load(f)["3166-1"], key=lambda c: c["alpha_2"])
    with open(os.path.join(src, "iso_3166-2.json"), encoding="utf-8") as f:
        subdivisions = json.load(f)["3166-2"]
    index = {c["alpha_2"]: i for i, c in enumerate(countries)}

    keys = Keys()
    for i, c in enumerate(countries):
        keys.add(fold(c["alpha_2"]), i, 0)
        keys.add(fold(c["alpha_3"]), i, 0)
    for i, c in enumerate(countries):
        for field in ("name", "common_name", "official_name"):
            if field in c:
                keys.add(fold(c[field]), i, 1)
    for name, code in sorted(EXTRA.items()):
        keys.add(fold(name), index[code], 2)
    for mo in sorted(glob.glob(os.path.join(loc, "*", "LC_MESSAGES", "iso_3166-1.mo"))):
        with open(mo, "rb") as f:
            try:
                tr = gettext.GNUTranslations(f)
            except (OSError, UnicodeDecodeError):
                continue
        for i, c in enumerate(countries):
            for field in ("name", "common_name", "official_name"):
                if field in c:
                    k = fold(tr.gettext(c[field]))
                    if k.isascii():
                        keys.add(k, i, 3)
    country_keys = keys.done()

    # Subdivisions: "CC:key" for the code after the dash and the name; a
    # top-level subdivision before one with a parent.
    regions = sorted(subdivisions, key=lambda s: ("parent" in s, s["code"]))
    rkeys = Keys()
    for i, s in enumerate(regions):
        cc, part = s["code"].split("-", 1)
        rkeys.add(cc + ":" + fold(part), i, 0)
    for i, s in enumerate(regions):
        cc = s["code"].split("-", 1)[0]
        rkeys.add(cc + ":" + fold(s["name"]), i, 1 if "parent" not in s else 2)
    region_keys = rkeys.done()

    # Every string once in iso_text, the tables holding offsets into it: a
    # table of pointers would be relocated at load, 0.4 MB of private
    # memory in every process; offsets stay in the file's shared pages.
    text, at = [], {}

    def off(s):
        if s not in at:
            at[s] = sum(len(x.encode("utf-8")) + 1 for x in text)
            text.append(s)
        return at[s]

    countries_w = ["\t{ %d, %d }," % (off(c["alpha_2"]), off(c.get("common_name", c["name"])))
                   for c in countries]
    country_keys_w = ["\t{ %d, %d }," % (off(k), i) for k, i in country_keys]
    region_codes_w = ["\t%d," % off(s["code"]) for s in regions]
    region_keys_w = ["\t{ %d, %d }," % (off(k), i) for k, i in region_keys]
    w = []
    w.append("/* %s from Debian's iso-codes by scripts/gen_iso.py: do not edit. */"
             % os.path.basename(out))
    w.append('#include "iso3166.h"\n')
    w.append("const char *const iso_fold[64] = {")
    for i in range(0, 64, 8):
        w.append("\t" + " ".join(cstr(x) + "," for x in FOLD[i:i + 8]))
    w.append("};\n")
    w.append("const char iso_text[] =")
    for i in range(0, len(text), 8):
        w.append("\t" + " ".join(cstr(x + "\0") for x in text[i:i + 8]))
    w.append(";\n")
    w.append("const iso_country iso_countries[] = {")
    w += countries_w
    w.append("};")
    w.append("const size_t iso_n_countries = %d;\n" % len(countries))
    w.append("const iso_key iso_country_keys[] = {")
    w += country_keys_w
    w.append("};")
    w.append("const size_t iso_n_country_keys = %d;\n" % len(country_keys))
    w.append("const uint32_t iso_region_codes[] = {")
    w += region_codes_w
    w.append("};")
    w.append("const iso_key iso_region_keys[] = {")
    w += region_keys_w
    w.append("};")
    w.append("const size_t iso_n_region_keys = %d;" % len(region_keys))
    tmp = out + ".tmp"
    with open(tmp, "w", encoding="ascii") as f:
        f.write("\n".join(w) + "\n")
    os.replace(tmp, out)


if __name__ == "__main__":
    main()
