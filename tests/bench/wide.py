#!/usr/bin/env python3
"""The wide-record case of `make bench`: Clarity orders (stdin, gen_orders.py's)
with KEYS filler keys added to each order's `attributes` object, printed as

    wide.py --keys 5000 --place last    the filler first, the keys the mapping
                                        reads (channel, campaign...) after it
    wide.py --keys 5000 --place first   the same bytes with those keys first

so that the two files differ only in where the looked-up keys sit.  The text
is edited, not re-encoded: every number keeps its exact spelling.
"""
import argparse
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--keys", type=int, default=5000)
    ap.add_argument("--place", choices=["first", "last"], default="last")
    a = ap.parse_args()
    filler = ",".join('"x_%05d":"v%05d"' % (i, i) for i in range(a.keys))
    tag = '"attributes":{'
    for line in sys.stdin:
        line = line.rstrip("\n")
        at = line.find(tag)
        if at < 0:
            print(line)
            continue
        body = at + len(tag)
        end = line.index("}", body)  # the attributes hold strings only
        own = line[body:end]
        if a.place == "last":
            inner = filler + ("," + own if own else "")
        else:
            inner = (own + "," if own else "") + filler
        print(line[:body] + inner + line[end:])


if __name__ == "__main__":
    main()
