#!/usr/bin/env python3
"""calls.py OBJDIR - the runtime's calls between files, from its objects.

Reads `nm` of every object under OBJDIR/runtime/LAYER/ and checks two rules
of docs/architecture.md on what the linker sees (a call, or a reference to
a table such as a connector's ops):
  - calls run one way: a file references only symbols of its own layer or of
    the layers below it (ALLOWED below);
  - no two files reference each other, directly or round a longer cycle.
Prints [PASS]/[FAIL] lines like the rest of the suite."""
import os
import subprocess
import sys

ALLOWED = {
    "transform": {"transform"},
    "net": {"net", "transform"},
    "state": {"state"},
    "conn": {"conn", "net", "transform"},
    "engine": {"engine", "conn", "state", "net", "transform"},
    "cli": {"cli", "engine", "conn", "state", "net", "transform"},
}


def nm(path):
    out = subprocess.run(["nm", path], capture_output=True, text=True, check=True).stdout
    defined, undefined = set(), set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "U":
            undefined.add(parts[1])
        elif len(parts) == 3 and parts[1] in "TDRBC":
            defined.add(parts[2])
    return defined, undefined


def main():
    root = os.path.join(sys.argv[1], "runtime")
    files = {}
    for layer in sorted(ALLOWED):
        d = os.path.join(root, layer)
        if not os.path.isdir(d):
            continue
        for f in sorted(os.listdir(d)):
            if f.endswith(".o"):
                files[layer + "/" + f[:-2] + ".c"] = nm(os.path.join(d, f))
    if not files:
        print("[FAIL] layers/calls: no objects under %s" % root)
        return 1
    owner = {}
    for name, (defined, _) in files.items():
        for s in defined:
            owner[s] = name
    edges = {name: set() for name in files}
    bad = []
    for name, (_, undefined) in files.items():
        layer = name.split("/")[0]
        for s in sorted(undefined):
            to = owner.get(s)
            if not to or to == name:
                continue
            edges[name].add(to)
            if to.split("/")[0] not in ALLOWED[layer]:
                bad.append("%s calls %s (%s) up the layers" % (name, s, to))
    status = 0
    if bad:
        print("[FAIL] layers/calls-one-way: " + "; ".join(bad))
        status = 1
    else:
        print("[PASS] layers/calls-one-way (%d files)" % len(files))
    # cycles between files: depth-first search
    seen, stack, cycles = {}, [], []

    def visit(n):
        seen[n] = 1
        stack.append(n)
        for m in sorted(edges[n]):
            if seen.get(m) == 1:
                cycles.append(" -> ".join(stack[stack.index(m):] + [m]))
            elif m not in seen:
                visit(m)
        stack.pop()
        seen[n] = 2

    for n in sorted(edges):
        if n not in seen:
            visit(n)
    if cycles:
        print("[FAIL] layers/no-file-cycles: " + "; ".join(cycles))
        status = 1
    else:
        print("[PASS] layers/no-file-cycles")
    return status


if __name__ == "__main__":
    sys.exit(main())
