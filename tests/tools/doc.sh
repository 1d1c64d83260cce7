#!/bin/sh
# mapc doc: the mapping sheet, in Markdown and in HTML.
#   - for every shipped mapping and every golden ok_*.map, checked against
#     the .map's own text (read here with a small independent reader): every
#     table's every entry and its else clause, every target field of every
#     entity, every dead-letter reason and every retry policy in words;
#     Markdown tables keep their column count (pipes escaped);
#   - the HTML is well-formed (every tag closed in order, entities valid, no
#     bare `&`), self-contained (no scripts, links or external assets), holds
#     the same entries, and renders in headless Chromium to a PNG;
#   - quotes, pipes, backquotes and markup in the mapping's strings stay text;
#   - two runs give the same bytes.
# MAPC names the compiler (default bin/mapc).  Prints [PASS]/[FAIL] lines.
cd "$(dirname "$0")/../.." || exit 2
MAPC=${MAPC:-bin/mapc}
case $MAPC in /*) ;; *) MAPC="$PWD/$MAPC" ;; esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { echo "[PASS] doc/$1"; pass=$((pass + 1)); }
ko() { echo "[FAIL] doc/$1"; fail=$((fail + 1)); }

cat >"$tmp/check.py" <<'PY'
import html, html.parser, json, re, sys

mode, mapf, docf = sys.argv[1], sys.argv[2], sys.argv[3]
src = open(mapf, encoding="utf-8").read()
doc = open(docf, encoding="utf-8").read()
errors = []

# ---- an independent reader of the .map text ----
TOK = re.compile(r'''\s+|#[^\n]*|"(?:[^"\\]|\\.)*"|`[^`]*`|\d+\.\d+|\d+[a-z]*|[A-Za-z_][A-Za-z0-9_]*|=>|==|!=|<=|>=|\+\+|->|\.\.|.''', re.S)
toks = [t for t in TOK.findall(src) if t.strip() and not t.startswith("#")]

def lit(t):
    if t.startswith('"'):
        return ("s", json.loads(t))
    return ("n", t)

tables, entities = [], []
i = 0
while i < len(toks):
    t = toks[i]
    if t in ("table", "tracking", "dimension") and i + 1 < len(toks) and re.match(r"[A-Za-z_]", toks[i + 1]):
        name = toks[i + 1]
        j = toks.index("{", i)
        entries, els = [], None
        j += 1
        while toks[j] != "}":
            if toks[j] in (",", ";"):
                j += 1
                continue
            k = toks[j]
            assert toks[j + 1] == "=>", (name, toks[j:j + 3])
            j += 2
            if toks[j] == "fail":
                v = ("fail", json.loads(toks[j + 1])); j += 2
            elif toks[j] == "-":
                v = ("n", "-" + toks[j + 1]); j += 2
            else:
                v = lit(toks[j]); j += 1
            if k == "else":
                els = v
            else:
                key = ("n", str(int(k))) if not k.startswith('"') else lit(k)
                entries.append((key, v))
        tables.append((name, entries, els))
        i = j
    elif t == "entity":
        name = toks[i + 1]
        j = toks.index("{", i)
        depth, fields, k = 0, [], j
        while True:
            if toks[k] in "{[(":
                depth += 1
            elif toks[k] in "}])":
                depth -= 1
                if depth == 0:
                    break
            elif toks[k] == "=" and re.match(r"[A-Za-z_`]", toks[k - 1]):
                fields.append(toks[k - 1].strip("`"))
            k += 1
        body = toks[j:k]
        reasons = [json.loads(body[x + 1]) for x in range(len(body) - 1) if body[x] == "dead_letter" and body[x + 1].startswith('"')]
        entities.append((name, fields, reasons, body))
        i = k
    i += 1

# ---- the document, as text cells ----
def md_cells(line):
    cells = re.split(r"(?<!\\)\|", line.strip())[1:-1]
    return [c.strip() for c in cells]

def code_spans(cell):
    out = []
    for m in re.finditer(r"(`+)(.+?)\1", cell):
        s = m.group(2)
        if len(s) > 1 and s[0] == " " and s[-1] == " ":
            s = s[1:-1]
        out.append(s.replace("\\|", "|"))
    return out

def md_unescape(s):
    return re.sub(r"\\([\\`*_\[\]<>|~&#])", r"\1", s)

class Strict(html.parser.HTMLParser):
    VOID = {"meta", "br", "wbr", "hr", "img", "input", "link"}
    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.stack, self.sections, self.cur, self.text = [], {}, None, []
        self.rows, self.row, self.cell, self.in_code, self.h3 = [], None, None, False, None
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("script", "link", "img", "iframe", "object") or "src" in a:
            errors.append("external or active content: <%s>" % tag)
        if "href" in a and not a["href"].startswith("#"):
            errors.append("a link out of the page: %s" % a["href"])
        if tag not in self.VOID:
            self.stack.append(tag)
        if tag == "h3":
            self.h3 = ""
        if tag == "h2":
            self.cur = None
        if tag == "tr":
            self.row = []
        if tag in ("td", "th"):
            self.cell = {"text": "", "code": []}
        if tag == "code":
            self.in_code = True
            self.codebuf = ""
    def handle_startendtag(self, tag, attrs):
        if tag not in self.VOID:
            errors.append("self-closed <%s/>" % tag)
    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            errors.append("</%s> closes <%s>" % (tag, self.stack[-1] if self.stack else "nothing"))
        else:
            self.stack.pop()
        if tag == "h3":
            self.cur = self.h3
            self.sections[self.cur] = []
            self.h3 = None
        if tag == "code":
            self.in_code = False
            if self.cell is not None:
                self.cell["code"].append(self.codebuf)
        if tag in ("td", "th") and self.row is not None:
            self.row.append(self.cell)
            self.cell = None
        if tag == "tr" and self.cur is not None:
            self.sections[self.cur].append(self.row)
            self.row = None
    def data(self, s):
        self.text.append(s)
        if self.h3 is not None:
            self.h3 += s
        if self.cell is not None:
            self.cell["text"] += s
        if self.in_code:
            self.codebuf += s
    def handle_data(self, d):
        if "&" in d:
            errors.append("a bare & in: %r" % d[:40])
        if "<" in d or ">" in d:
            errors.append("a bare < or > in: %r" % d[:40])
        self.data(d)
    def handle_entityref(self, name):
        if name not in ("amp", "lt", "gt", "quot", "nbsp"):
            errors.append("unknown entity &%s;" % name)
        self.data(html.unescape("&%s;" % name))
    def handle_charref(self, name):
        self.data(html.unescape("&#%s;" % name))

def table_rows_md(title):
    lines = doc.split("\n")
    out, on, ncols = [], False, None
    for ln in lines:
        if ln.startswith("### ") or ln.startswith("## "):
            on = md_unescape(ln[4:]) == title
            continue
        if on and ln.startswith("|"):
            c = md_cells(ln)
            if ncols is None:
                ncols = len(c)
            elif len(c) != ncols:
                errors.append("%s: a row with %d cells, the header has %d: %s" % (title, len(c), ncols, ln))
            out.append([{"text": md_unescape(x), "code": code_spans(x)} for x in c])
    return out[2:] if len(out) > 1 and set(out[1][0]["text"]) <= set("-") else out[1:]

if mode == "html":
    p = Strict()
    p.feed(doc)
    p.close()
    if p.stack:
        errors.append("never closed: %s" % p.stack)
    if not doc.startswith("<!DOCTYPE html>"):
        errors.append("no doctype")
    if "<style>" not in doc:
        errors.append("no inline CSS")
    def rows(title):
        r = p.sections.get(title)
        return None if r is None else r[1:]
else:
    def rows(title):
        if not re.search(r"^### " + re.escape(title).replace("_", r"\\?_") + r"\s*$", doc, re.M):
            return None
        return table_rows_md(title)

def shown(v):
    return json.dumps(v[1], ensure_ascii=False) if v[0] == "s" else v[1]

def same_lit(code, v):
    if v[0] == "s":
        try:
            return json.loads(code) == v[1]
        except ValueError:
            return False
    return code == v[1]

nentries = 0
for name, entries, els in tables:
    title = None
    for kind in ("Table", "Tracking", "Dimension"):
        if rows(kind + " " + name) is not None:
            title = kind + " " + name
    if title is None:
        errors.append("table %s: no section" % name)
        continue
    r = rows(title)
    body = [x for x in r if "anything else" not in x[0]["text"] and "no else" not in x[0]["text"]]
    if len(body) != len(entries):
        errors.append("table %s: %d rows, the .map has %d entries" % (name, len(body), len(entries)))
    for (k, v), row in zip(entries, body):
        nentries += 1
        ck, cv = row[0]["code"], row[1]["code"]
        if not ck or not same_lit(ck[0], k):
            errors.append("table %s: key %s shown as %r" % (name, shown(k), row[0]["text"]))
        if v[0] == "s" and v[1] is not None or v[0] == "n" and v[1] != "null":
            if v == ("n", "null"):
                pass
            elif not cv or not same_lit(cv[0], v):
                errors.append("table %s: %s => %s shown as %r" % (name, shown(k), shown(v), row[1]["text"]))
    last = r[-1]
    if els is None:
        if "no else" not in last[0]["text"]:
            errors.append("table %s: no else, and the sheet does not say so" % name)
    elif els[0] == "fail":
        if "fails" not in last[1]["text"] or els[1] not in last[1]["code"]:
            errors.append("table %s: else fails %r, shown as %r" % (name, els[1], last[1]["text"]))
    elif els == ("n", "null"):
        if "no value" not in last[1]["text"]:
            errors.append("table %s: else null shown as %r" % (name, last[1]["text"]))
    elif not last[1]["code"] or not same_lit(last[1]["code"][0], els):
        errors.append("table %s: else %s shown as %r" % (name, shown(els), last[1]["text"]))

def dur(s):
    n, u = re.match(r"(\d+)([a-z]+)", s).groups()
    return n + " " + {"ms": "ms", "s": "s", "m": "min", "h": "h"}[u]

text = "".join(p.text) if mode == "html" else md_unescape(doc)
nfields = 0
for name, fields, reasons, body in entities:
    title = [t for t in ((p.sections.keys()) if mode == "html" else
             [md_unescape(l[4:]) for l in doc.split("\n") if l.startswith("### ")])
             if t.startswith(name + ": ")]
    if not title:
        errors.append("entity %s: no section" % name)
        continue
    r = rows(title[0]) or []
    if mode == "html":
        shown_fields = {c[0]["text"].strip().replace("[]", "").split(".")[-1] for c in r if c}
    else:
        shown_fields = {(c[0]["code"] or [""])[0].replace("[]", "").split(".")[-1] for c in r if c}
    for f in fields:
        nfields += 1
        if f not in shown_fields:
            errors.append("entity %s: target field %s is not in its table" % (name, f))
    for m in reasons:
        if m not in text:
            errors.append("entity %s: dead-letter reason %r missing" % (name, m))
    for x in range(len(body) - 1):
        if body[x] == "retry" and re.match(r"\d+$", body[x + 1]) and body[x + 2] == "backoff":
            want = "retry up to %s times, waiting %s to %s" % (body[x + 1], dur(body[x + 3]), dur(body[x + 5]))
            if want not in text:
                errors.append("entity %s: policy not in words: %r" % (name, want))
        if body[x] == "after" and body[x + 1] == "header":
            if "retry after the time the service asks" not in text:
                errors.append("entity %s: retry after header not in words" % name)

for e in errors[:15]:
    print("   ", e)
print("%d tables, %d entries, %d entities, %d target fields" % (len(tables), nentries, len(entities), nfields))
sys.exit(1 if errors else 0)
PY

for m in mappings/*.map tests/golden/ok_*.map; do
	n=$(basename "$m" .map)
	for fmt in md html; do
		flag=""; [ $fmt = html ] && flag="--html"
		if ! "$MAPC" doc $flag -I mappings/schemas "$m" >"$tmp/$n.$fmt" 2>"$tmp/$n.err"; then
			ko "$n.$fmt: mapc doc failed"; cat "$tmp/$n.err"; continue
		fi
		if out=$(python3 "$tmp/check.py" $fmt "$m" "$tmp/$n.$fmt"); then
			ok "$n.$fmt: $(echo "$out" | tail -1) all shown"
		else
			ko "$n.$fmt"; echo "$out"
		fi
		"$MAPC" doc $flag -I mappings/schemas "$m" >"$tmp/$n.2.$fmt" 2>/dev/null
		cmp -s "$tmp/$n.$fmt" "$tmp/$n.2.$fmt" || ko "$n.$fmt: two runs differ"
	done
done

# The words for the shipped policies, as a finance team reads them.
if grep -q -F 'HTTP 429: retry after the time the service asks.' "$tmp/clarity_xero.md" &&
   grep -q -F 'HTTP 5xx, timeouts and network errors: retry up to 6 times, waiting 1 s to 5 min with jitter, then put in the dead-letter queue.' "$tmp/clarity_xero.md"; then
	ok "policies in plain words"
else
	ko "policies in plain words"; grep -n 'HTTP' "$tmp/clarity_xero.md" | head -4
fi

# Hostile strings: quotes, pipes, backquotes, markup and & in keys, values,
# a category and a reason.
sed -e 's/tracking region "Region"/tracking region "Re\\"gi|on <b>\&amp; \\\\ x"/' \
	-e 's/"eu" => "Europe"/"e\\"u<i>|" => "Eu`ro|pe"/' \
	-e 's/fail "unknown OrderStatusId"/fail "bad | <script>alert(1)<\/script> \& `id`"/' \
	tests/golden/ok_int_keys_tracking_xml.map >"$tmp/hostile.map"
for fmt in md html; do
	flag=""; [ $fmt = html ] && flag="--html"
	if "$MAPC" doc $flag "$tmp/hostile.map" >"$tmp/hostile.$fmt" 2>"$tmp/h.err" &&
	   out=$(python3 "$tmp/check.py" $fmt "$tmp/hostile.map" "$tmp/hostile.$fmt"); then
		ok "hostile strings stay text ($fmt)"
	else
		ko "hostile strings ($fmt)"; cat "$tmp/h.err"; echo "$out"
	fi
done
if grep -q '<script>' "$tmp/hostile.html" || ! grep -q -F '&lt;script&gt;' "$tmp/hostile.html"; then
	ko "a <script> in a reason is escaped in HTML"
else
	ok "a <script> in a reason is escaped in HTML"
fi

# Headless Chromium renders every sheet (1200x2000 PNG, not blank).
CHROME=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROME" ]; then
	echo "note: chromium is not installed: the HTML was not rendered (apt-get install chromium)"
else
	for m in mappings/*.map; do
		n=$(basename "$m" .map)
		rm -f "$tmp/$n.png"
		timeout 90 "$CHROME" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
			--disable-background-networking --disable-component-update --disable-sync \
			--user-data-dir="$tmp/chrome-$n" --screenshot="$tmp/$n.png" --window-size=1200,2000 \
			"file://$tmp/$n.html" >/dev/null 2>&1
		size=$(wc -c <"$tmp/$n.png" 2>/dev/null || echo 0)
		dims=$(od -An -tx1 -j16 -N8 "$tmp/$n.png" 2>/dev/null | tr -d ' \n')
		if [ "$size" -gt 40000 ] && [ "$dims" = "000004b0000007d0" ]; then
			ok "$n.html renders in Chromium ($size bytes of PNG)"
		else
			ko "$n.html in Chromium: $size bytes, IHDR $dims"
		fi
	done
fi

printf 'pair p {\n' >"$tmp/bad.map"
"$MAPC" doc "$tmp/bad.map" >"$tmp/bad.md" 2>"$tmp/bad.err"
rc=$?
if [ $rc -eq 1 ] && [ ! -s "$tmp/bad.md" ]; then ok "a broken mapping: exit 1, no output"
else ko "a broken mapping: exit $rc"; fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
