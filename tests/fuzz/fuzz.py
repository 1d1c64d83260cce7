#!/usr/bin/env python3
"""Mutation fuzzer for mapc (stdlib only; driven by tests/fuzz/fuzz.sh).

Inputs are derived deterministically from a seed: every tests/golden/*.map
(and the real mappings) is mutated line- and byte-wise, truncated at every
Nth byte, spliced with another file, and a fixed set of extreme inputs is
added (100,000-deep nesting, 100,000-operand chains, a 2 MB string, a
10,000-entry table, ...).  mapc must exit 0 or 1, print nothing from ASan or
UBSan, and finish each input within the time limit.  Failing inputs are kept
(with mapc's stderr) in a temporary directory that is not removed.
"""
import argparse
import concurrent.futures
import os
import random
import re
import subprocess
import sys
import tempfile
import time

# KEEP IN STEP: keywords (compiler/lang.c, grammar/parser.y): the words first
TOKENS = [
    "service", "object", "collection", "format", "pair", "source", "target", "table",
    "tracking", "dimension", "entity", "key", "else", "fail", "for", "in", "when", "check",
    "within", "dead_letter", "on", "if", "then", "ref", "true", "false", "null", "and", "or",
    "not", "match", "required", "enum", "max", "limit", "env", "from", "webhook", "poll",
    "every", "http", "retry", "backoff", "jitter", "after", "header", "skip", "hold",
    "concurrent", "{", "}", "(", ")", "[", "]", ":", ",", ";", ".", "..", "->", "=>", "=",
    "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "++", "#", "`", "`key`", '"',
    '"x"', '""', '"\\u00e9"', '"\\uD800"', '"\\q"', "0", "-1", "42", "19.99",
    "9223372036854775808", "0.1234567890123456789", "5xx", "6xx", "250ms", "5s", "0s",
    "99999999999999999999d", "1..2", "12abc", "id", "x", "sum", "sum(x, y)", "len", "round",
    "format_date", "default", "coalesce", "string", "integer", "date", "datetime",
    "currency_places", "ref X(y)", "for x in y { }", "[ ]", "{ }", "\n", "\t", "\r",
    "lower(", "lineItems", "li.sku", "attributes.channel", "status", "Status", "money",
    "decimal", "[string]", "[[x]]", "tracking(Name, Option)", "map", "xml", "json",
    "lifecycle", "locked", "write", "void", "keep", "credit", "by", "credit by E", "wins",
    "wins source", "(list, write)", "(rates)", "currency", 'currency "USD" from target',
    'currency "EUR" from file env("R")', "rate(", "rate_date(", "convert(", "money(",
    "base_currency()",
    "lifecycle status { else => write }", 'locked when true "x"', '"a" => void',
    "if true then void else keep", "*/", "/*", "??/",
]
BYTES = [b"\x00", b"\x80", b"\xc3", b"\xc3\x28", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
         b"\xff", b"\xfe", b"\xef\xbb\xbf", b"\xc0\xaf", b"\xe2\x80\xa8", b"\xf0\x9f\x98\x80",
         b"\r", b"\t", b"\x7f", b"\x01", b"\\", b'"', b"`", b"\n" * 3]

PRE = b'''service shop {
  collection orders: Order
  object Order { id: string required key  note: string  total: money  n: integer
    lines: [Line]  attrs: map  status: string enum("a", "b") }
  object Line { sku: string  qty: decimal }
}
service books {
  collection Invoices: Invoice
  object Invoice { Number: string required  Memo: string max 10  Amount: money
    Status: string enum("A", "B")  Lines: [Item] }
  object Item { Code: string  Trk: [T] }
  object T tracking(Name, Option) { Name: string  Option: string }
}
pair p { source shop: shop { base_url = env("A") }  target books: books { base_url = env("B") } }
'''


def ent(body):
    return PRE + b"entity E: shop.orders -> books.Invoice key id {\n  Number = id\n" + body + b"\n}\n"


def extremes():
    """Inputs that stress nesting, length and size (fixed, not seeded)."""
    n = 100000
    yield "nest_paren", ent(b"  Memo = " + b"(" * n + b"note" + b")" * n)
    yield "nest_paren_open", ent(b"  Memo = " + b"(" * n)
    yield "nest_bracket", ent(b"  Lines = " + b"[" * n + b"]" * n)
    yield "nest_brace", ent(b"  Memo = " + b"{ Memo = " * n + b'"x"' + b" }" * n)
    yield "nest_neg", ent(b"  Amount = " + b"-" * n + b"total")
    yield "nest_not", ent(b"  check " + b"not " * n + b'true else dead_letter "x"')
    yield "nest_if", ent(b"  Memo = " + b"if true then " * n + b'"x"' + b' else "y"' * n)
    yield "nest_call", ent(b"  Memo = " + b"lower(" * n + b"note" + b")" * n)
    yield "nest_for", ent(b"  Lines = " + b"for l in lines { Trk = " * 2000 + b"[]" + b" }" * 2000)
    yield "chain_concat", ent(b"  Memo = note" + b" ++ note" * n)
    yield "chain_plus", ent(b"  Amount = total" + b" + 1" * n)
    yield "chain_and", ent(b"  check true" + b" and true" * n + b' else dead_letter "x"')
    yield "chain_if_else", ent(b"  Memo = note" + b" ++ (if true then note else note)" * 20000)
    yield "long_path", ent(b"  Memo = " + b"x." * n + b"y")
    yield "string_2mb", ent(b'  Memo = "' + b"x" * (2 << 20) + b'"')
    yield "string_2mb_unterminated", ent(b'  Memo = "' + b"\xc3\xa9" * (1 << 20))
    yield "line_1mb_error", ent(b"  Memo = " + b" " * (1 << 20) + b"nte")
    yield "tabs_error", ent(b"  Memo =" + b"\t" * 100000 + b"nte")
    yield "table_10000", PRE + b"table t {\n" + b"".join(
        b'  "k%d" => "A"\n' % i for i in range(10000)) + b'  else => "B"\n}\n' + ent(
        b"  Status = t[note]")[len(PRE):]
    yield "table_10000_int_dups", PRE + b"table t {\n" + b"".join(
        b"  %d => %d\n" % (i % 5000, i) for i in range(10000)) + b"}\n" + ent(
        b"  Amount = t[n]")[len(PRE):]
    yield "stmts_10000", ent(b"".join(b'  Memo = "x%d"\n' % i for i in range(10000)))
    yield "policies_5000", ent(b"".join(b"  on http %d -> dead_letter\n" % (400 + i % 200)
                                       for i in range(5000)))
    yield "enum_10000", PRE.replace(b'enum("A", "B")', b"enum(" + b", ".join(
        b'"v%d"' % i for i in range(10000)) + b")") + b'entity E: shop.orders -> books.Invoice key id { Number = id  Status = "A" }\n'
    yield "errors_10000", ent(b"".join(b"  Memo = nte%d\n" % i for i in range(10000)))
    yield "syntax_errors_10000", ent(b"".join(b"  Memo = = ) %d\n" % i for i in range(10000)))
    yield "entities_2000_chain_refs", PRE + b"".join(
        b"entity E%d: shop.orders -> books.Invoice key id { Number = %s }\n"
        % (i, b"ref E%d(id)" % (i + 1) if i < 1999 else b"id") for i in range(2000))
    yield "long_ident", ent(b"  Memo = " + b"a" * 100000)
    yield "long_int", ent(b"  Amount = " + b"9" * 100000)
    yield "long_decimal", ent(b"  Amount = 1." + b"0" * 100000)
    yield "long_duration", PRE + b"entity E: shop.orders -> books.Invoice key id on poll every " + b"9" * 1000 + b"s { Number = id }\n"
    yield "coalesce_args", ent(b"  Memo = coalesce(" + b", ".join([b"note"] * 20000) + b")")
    yield "array_elems", ent(b"  Lines = [" + b"{ Code = note }, " * 20000 + b"]")
    yield "life_if_deep", ent(b"  lifecycle status { else => " + b"if true then write else " * n
                              + b"keep }")
    yield "life_keys_10000", ent(b"  lifecycle status {\n" + b"".join(
        b'    "k%d" => %s\n' % (i, (b"write", b"void", b"keep")[i % 3]) for i in range(10000))
        + b"    else => write\n  }")
    yield "life_arms_5000_locked", ent(b"  lifecycle n {\n" + b"".join(
        b"    %d => if n > %d then void else write\n" % (i, i) for i in range(5000))
        + b'    else => keep\n  }\n  locked when n > 1 "x"')
    yield "empty", b""
    yield "only_nul", b"\x00" * 1000
    yield "only_bom", b"\xef\xbb\xbf"
    yield "only_comment_no_newline", b"# nothing"
    yield "open_quote_eof", b'"'
    yield "backquote_eof", b"`"


def mutate(rng, data, corpus):
    """One random mutation of data (bytes)."""
    lines = data.split(b"\n")
    k = rng.randrange(12)
    if k == 0 and len(lines) > 1:                      # delete lines
        i = rng.randrange(len(lines))
        del lines[i:i + rng.choice((1, 1, 2, 5))]
    elif k == 1:                                       # duplicate a line
        i = rng.randrange(len(lines))
        lines.insert(i, lines[i])
    elif k == 2 and len(lines) > 1:                    # swap two lines
        i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    elif k == 3:                                       # insert a token
        pos = rng.randrange(len(data) + 1)
        tok = rng.choice(TOKENS).encode()
        return data[:pos] + b" " + tok + b" " + data[pos:]
    elif k == 4:                                       # insert odd bytes
        pos = rng.randrange(len(data) + 1)
        return data[:pos] + rng.choice(BYTES) + data[pos:]
    elif k == 5 and data:                              # flip one byte
        pos = rng.randrange(len(data))
        return data[:pos] + bytes([rng.randrange(256)]) + data[pos + 1:]
    elif k == 6:                                       # replace a word with a token
        words = list(re.finditer(rb"[A-Za-z_][A-Za-z0-9_]*|\d+|\S", data))
        if words:
            m = rng.choice(words)
            return data[:m.start()] + rng.choice(TOKENS).encode() + data[m.end():]
    elif k == 7:                                       # splice with another file
        other = rng.choice(corpus)
        a, b = rng.randrange(len(data) + 1), rng.randrange(len(other) + 1)
        return data[:a] + other[b:]
    elif k == 8 and data:                              # delete a byte range
        a = rng.randrange(len(data))
        return data[:a] + data[a + rng.randrange(1, 40):]
    elif k == 9:                                       # repeat a chunk many times
        i = rng.randrange(len(lines))
        lines[i:i + 1] = [lines[i]] * rng.choice((10, 100, 1000))
    elif k == 10 and data:                             # truncate at a random byte
        return data[:rng.randrange(len(data))]
    else:                                              # several mutations at once
        for _ in range(rng.randrange(2, 6)):
            data = mutate(rng, data, corpus)
        return data
    return b"\n".join(lines)


def inputs(seed, count, corpus_files):
    corpus = [open(f, "rb").read() for f in corpus_files]
    names = [os.path.basename(f)[:-4] for f in corpus_files]
    out = list(extremes())
    # truncation at every Nth byte of each corpus file (N so that ~6 per file)
    for name, data in zip(names, corpus):
        step = max(1, len(data) // 6)
        for cut in range(step // 2, len(data), step):
            out.append(("trunc_%s_%d" % (name, cut), data[:cut]))
    rng = random.Random(seed)
    i = 0
    while len(out) < count:
        j = rng.randrange(len(corpus))
        out.append(("mut%d_%s" % (i, names[j]), mutate(rng, corpus[j], corpus)))
        i += 1
    return out[:count]


PER_SIGNATURE = 3
SAN = re.compile(rb"AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:")


def run_one(mapc, incdir, work, idx, name, data, limit):
    path = os.path.join(work, "in%05d.map" % idx)
    with open(path, "wb") as f:
        f.write(data)
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = "exitcode=86:abort_on_error=0:detect_stack_use_after_return=0"
    env["UBSAN_OPTIONS"] = "halt_on_error=1:exitcode=87:print_stacktrace=1"
    t0 = time.monotonic()
    try:
        p = subprocess.run([mapc, "-I", incdir, "-o", path[:-4] + ".c", path],
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, timeout=limit, env=env)
        rc, err = p.returncode, p.stderr
    except subprocess.TimeoutExpired as e:
        rc, err = "timeout", e.stderr or b""
    dt = time.monotonic() - t0
    for ext in (".c", ".c.tmp"):
        try:
            os.remove(path[:-4] + ext)
        except FileNotFoundError:
            pass
    why = None
    if rc == "timeout":
        why = "took more than %gs" % limit
    elif SAN.search(err):
        why = "sanitizer report (exit %s)" % rc
    elif rc not in (0, 1):
        why = "exit status %s" % rc
    if why is None:
        os.remove(path)
    return idx, name, path, why, err, dt


def signature(why, err):
    """Group failures: the first frame of the compiler (not the arena) in the report."""
    frames = re.findall(rb"#\d+ 0x[0-9a-f]+ in (\w+) ((?:compiler|build\S*?/grammar)/\S+)", err)
    frames = [f for f in frames if b"arena.c" not in f[1]] or frames
    if frames:
        return "%s in %s" % (frames[0][1].decode(), frames[0][0].decode())
    m = re.search(rb"(compiler/\S+:\d+:\d+): runtime error", err)
    if m:
        return m.group(1).decode()
    return why


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mapc", required=True)
    ap.add_argument("--root", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=3000)
    ap.add_argument("--budget", type=float, default=110.0, help="seconds for the whole run")
    ap.add_argument("--limit", type=float, default=5.0, help="seconds for one input")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--keep", help="directory for reproducers (default: a new temp dir)")
    a = ap.parse_args()

    golden = os.path.join(a.root, "tests", "golden")
    files = sorted(os.path.join(golden, f) for f in os.listdir(golden) if f.endswith(".map"))
    pend = os.path.join(golden, "pending")
    if os.path.isdir(pend):
        files += sorted(os.path.join(pend, f) for f in os.listdir(pend) if f.endswith(".map"))
    maps = os.path.join(a.root, "mappings")
    files += sorted(os.path.join(maps, f) for f in os.listdir(maps) if f.endswith(".map"))
    incdir = os.path.join(maps, "schemas")

    keep = a.keep or tempfile.mkdtemp(prefix="mapc-fuzz-")
    os.makedirs(keep, exist_ok=True)
    work = tempfile.mkdtemp(prefix="mapc-fuzz-work-")
    cases = inputs(a.seed, a.count, files)
    deadline = time.monotonic() + a.budget
    t0 = time.monotonic()
    fails = {}      # signature -> [(idx, name, kept path, why)], first few by index
    ran = 0
    slowest = (0.0, "")
    with concurrent.futures.ThreadPoolExecutor(max_workers=a.jobs) as ex:
        pending = set()
        it = iter(enumerate(cases))
        done_all = False
        while True:
            while not done_all and len(pending) < a.jobs * 2 and time.monotonic() < deadline:
                try:
                    idx, (name, data) = next(it)
                except StopIteration:
                    done_all = True
                    break
                pending.add(ex.submit(run_one, a.mapc, incdir, work, idx, name, data, a.limit))
            if not pending:
                break
            done, pending = concurrent.futures.wait(
                pending, return_when=concurrent.futures.FIRST_COMPLETED)
            for fu in done:
                idx, name, path, why, err, dt = fu.result()
                ran += 1
                if dt > slowest[0]:
                    slowest = (dt, name)
                if why is None:
                    continue
                sig = signature(why, err)
                kept = fails.setdefault(sig, [])
                kept.append((idx, name, path, why))
                kept.sort()
                if len(kept) > PER_SIGNATURE:   # keep the first few (by input order)
                    drop = kept.pop()
                    for f in (drop[2], drop[2][:-4] + ".log"):
                        if os.path.exists(f):
                            os.remove(f)
                    if drop[0] == idx:
                        continue
                dst = os.path.join(keep, "%s-%05d.map" % (re.sub(r"\W", "_", name)[:60], idx))
                os.replace(path, dst)
                with open(dst[:-4] + ".log", "wb") as f:
                    f.write(err[:200000])
                kept[kept.index((idx, name, path, why))] = (idx, name, dst, why)
    try:
        os.rmdir(work)
    except OSError:
        pass
    dt = time.monotonic() - t0
    print("fuzz: %d of %d inputs in %.1fs (seed %d, %d jobs); slowest %.2fs (%s)"
          % (ran, len(cases), dt, a.seed, a.jobs, slowest[0], slowest[1]))
    if ran < len(cases):
        print("fuzz: time budget of %gs reached; %d inputs not run" % (a.budget, len(cases) - ran))
    if not fails:
        os.rmdir(keep) if not os.listdir(keep) else None
        print("[PASS] fuzz/mapc")
        return 0
    ordered = sorted(fails.items(), key=lambda kv: kv[1][0])
    for sig, kept in ordered:
        print("  %s (%s)" % (sig, kept[0][3]))
        for idx, name, dst, why in kept:
            print("    %s" % dst)
    print("[FAIL] fuzz/mapc: %s" % ordered[0][1][0][2])
    return 1


if __name__ == "__main__":
    sys.exit(main())
