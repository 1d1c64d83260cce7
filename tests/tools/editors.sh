#!/bin/sh
# Editor support (docs/editors/): the TextMate grammar and the VS Code
# manifest parse; every keyword of compiler/lang.c's keyword table is in
# both grammars (and the TextMate one really scopes it as a keyword); the
# TextMate grammar, run over every shipped mapping and schema with a small
# TextMate-style tokenizer, marks comments, strings, keywords and numbers
# and nothing invalid; Vim loads the syntax file without errors on each
# shipped mapping and highlights comments, declarations, strings and
# every keyword (skipped, with a note, when vim is not installed).
cd "$(dirname "$0")/../.." || exit 2
ED=docs/editors
TM=$ED/vscode/syntaxes/mapwright.tmLanguage.json
VIMSYN=$ED/vim/syntax/mapwright.vim
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ok() { echo "[PASS] editors: $1"; }
ko() { echo "[FAIL] editors: $1"; }
{

# The keyword table: compiler/lang.c's `{ "word", TK_WORD, HARD }` rows.
grep -o '{ "[a-z_]*", TK_[A-Z_]*, [01] }' compiler/lang.c >"$tmp/kwrows"
sed 's/^{ "\([a-z_]*\)".*/\1/' "$tmp/kwrows" >"$tmp/keywords"
nk=$(wc -l <"$tmp/keywords")
if [ "$nk" -ge 40 ]; then
	ok "$nk keywords read from compiler/lang.c"
else
	ko "only $nk keywords read from compiler/lang.c (did its layout change?)"
fi
# KEEP IN STEP: the soft keywords (hard 0) are exactly parser.y's %fallback list.
sed -n 's/^{ "[a-z_]*", TK_\([A-Z_]*\), 0 }$/\1/p' "$tmp/kwrows" | sort >"$tmp/soft"
sed -n '/^%fallback ID/,/\.$/p' grammar/parser.y | tr -s ' \t.' '\n\n\n' |
	grep -v '^%fallback$\|^ID$\|^$' | sort >"$tmp/fallback"
if cmp -s "$tmp/soft" "$tmp/fallback"; then
	ok "soft keywords of compiler/lang.c = %fallback of grammar/parser.y"
else
	ko "soft keywords of compiler/lang.c and %fallback of grammar/parser.y differ"
	diff "$tmp/soft" "$tmp/fallback"
fi

for j in "$TM" $ED/vscode/package.json $ED/vscode/language-configuration.json; do
	if python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$j" 2>"$tmp/err"; then
		ok "$j parses as JSON"
	else
		ko "$j: $(tail -1 "$tmp/err")"
	fi
done

# Vim: each keyword in a `syn keyword` line (or a `syn match` alternation).
missing=
for k in $(cat "$tmp/keywords"); do
	grep -E "^syn (keyword[[:space:]]+[A-Za-z]+([[:space:]]+[a-z_]+)*[[:space:]]+$k([[:space:]]|\$)|match.*\\\\<\\\\%\\(.*$k)" \
		"$VIMSYN" >/dev/null || missing="$missing $k"
done
if [ -z "$missing" ]; then ok "every lexer keyword is in the Vim syntax"; else ko "Vim lacks:$missing"; fi

# TextMate: the grammar's own checks, in Python (its regexes are Oniguruma;
# the ones used here mean the same in Python's re).
python3 - "$TM" "$ED/vscode/package.json" "$tmp/keywords" mappings/*.map mappings/schemas/*.map \
	<<'EOF'
import json, re, sys
tm = json.load(open(sys.argv[1]))
pkg = json.load(open(sys.argv[2]))
keywords = open(sys.argv[3]).read().split()
files = sys.argv[4:]
fails = 0

def res(ok, what):
    global fails
    print(("[PASS] editors: " if ok else "[FAIL] editors: ") + what)
    fails += not ok

def flat(pats):
    out = []
    for p in pats:
        if "include" in p:
            out += flat([tm["repository"][p["include"][1:]]])
        elif "patterns" in p and "begin" not in p:
            out += flat(p["patterns"])
        else:
            out.append(p)
    return out

top = flat(tm["patterns"])
g = pkg["contributes"]["grammars"][0]
res(g["scopeName"] == tm["scopeName"] and g["path"].endswith("mapwright.tmLanguage.json")
    and ".map" in pkg["contributes"]["languages"][0]["extensions"],
    "package.json names the grammar, its scope and .map")
try:
    for p in top:
        for k in ("match", "begin", "end"):
            if k in p:
                re.compile(p[k])
        for q in p.get("patterns", []):
            re.compile(q["match"])
    res(True, "every TextMate regex compiles")
except re.error as e:
    res(False, "a TextMate regex does not compile: %s" % e)

kwscope = ("keyword", "storage", "constant.language")
missing = [k for k in keywords
           if not any("match" in p and p["name"].startswith(kwscope) and re.fullmatch(p["match"], k)
                      for p in top)]
res(not missing, "every lexer keyword is a keyword in the TextMate grammar" +
    (": missing " + " ".join(missing) if missing else ""))

# A TextMate-style tokenizer: at each point the pattern matching earliest
# wins (the first listed on a tie); a begin/end rule scans its inner
# patterns until its end.  Returns (scope, text) pairs for one line.
def tokens(line):
    out, i = [], 0
    while i < len(line):
        best = None
        for p in top:
            m = re.compile(p.get("match") or p["begin"]).search(line, i)
            if m and (best is None or m.start() < best[1].start()):
                best = (p, m)
        if not best:
            break
        p, m = best
        if "match" in p:
            out.append((p["name"], m.group(0)))
            i = max(m.end(), i + 1)
            continue
        j = m.end()
        text = m.group(0)
        while True:
            e = re.compile(p["end"]).search(line, j)
            inner = None
            for q in p.get("patterns", []):
                n = re.compile(q["match"]).search(line, j)
                if n and (inner is None or n.start() < inner[1].start()):
                    inner = (q, n)
            if inner and (e is None or inner[1].start() < e.start()):
                out.append((inner[0]["name"], inner[1].group(0)))
                text += line[j:inner[1].end()]
                j = inner[1].end()
                continue
            end = e.end() if e else len(line)
            text += line[j:end]
            out.append((p["name"], text))
            i = max(end, j + 1) if end == j else end
            break
    return out

seen = {}
bad = []
comments_ok = True
for f in files:
    for n, line in enumerate(open(f, encoding="utf-8"), 1):
        line = line.rstrip("\n")
        toks = tokens(line)
        for s, t in toks:
            seen[s.split(".")[0] + "." + s.split(".")[1]] = True
            if s.startswith("invalid"):
                bad.append("%s:%d: %s" % (f, n, t))
        if line.lstrip().startswith("#") and (not toks or not toks[0][0].startswith("comment")):
            comments_ok = False
            bad.append("%s:%d: comment not scoped" % (f, n))
res(not bad, "the shipped mappings and schemas tokenize with nothing invalid" +
    (": " + "; ".join(bad[:3]) if bad else ""))
res(comments_ok, "every comment line of the shipped files is a comment")
want = ["comment.line", "string.quoted", "storage.type", "keyword.control", "constant.numeric",
        "keyword.operator", "support.type", "support.function"]
res(all(w in seen for w in want), "the shipped files show scopes " + ", ".join(w for w in want if w in seen)
    + ("; missing " + ", ".join(w for w in want if w not in seen) if not all(w in seen for w in want) else ""))

t = dict()
for s, x in tokens('x = "a\\"b\\u00e9\\n" ++ "bad \\q" # c'):
    t.setdefault(s, []).append(x)
res(t.get("constant.character.escape.mapwright") == ['\\"', "\\u00e9", "\\n"]
    and t.get("invalid.illegal.escape.mapwright") == ["\\q"]
    and t.get("comment.line.number-sign.mapwright") == ["# c"],
    "string escapes, a bad escape and a trailing comment: %s" % t)
t = dict()
for s, x in tokens("poll every 5m  retry 6 backoff 250ms..1h  within 0.01  on http 4xx -> skip"
                   "  \"a\" => 19.99  Date = date(orderDate)  `key`: string"):
    t.setdefault(s.rsplit(".", 1)[0], []).append(x)
res(t.get("constant.numeric.duration") == ["5m", "250ms", "1h"]
    and t.get("constant.numeric.decimal") == ["0.01", "19.99"]
    and t.get("constant.numeric.integer") == ["6"]
    and t.get("constant.numeric.http-class") == ["4xx"]
    and t.get("keyword.operator.arrow") == ["->", "=>"]
    and t.get("keyword.operator.range") == [".."]
    and t.get("support.function") == ["date"] and t.get("support.type") == ["string"]
    and t.get("variable.other.quoted") == ["`key`"],
    "durations, decimals, integers, status classes, arrows, functions, types: %s" % t)
sys.exit(1 if fails else 0)
EOF
[ $? -le 1 ] || ko "the TextMate checks did not run"

# Vim itself, when it is installed.
if ! command -v vim >/dev/null 2>&1; then
	echo "note: vim is not installed; the Vim load check is skipped"
else
	cat >"$tmp/check.vim" <<EOF
let s:bad = []
let v:errmsg = ''
syntax on
source $PWD/$VIMSYN
if v:errmsg != '' | call add(s:bad, 'error: ' . v:errmsg) | endif
function! s:Group(pat) abort
  call cursor(1, 1)
  let l:pos = searchpos(a:pat, 'cW')
  if l:pos == [0, 0] | return 'none' | endif
  return synIDattr(synID(l:pos[0], l:pos[1], 1), 'name')
endfunction
for [s:pat, s:grp] in [['^\s*#', 'mwComment'], ['^[^#"]*\zs"', 'mwString'],
      \ ['^\%(pair\|service\)\>', 'mwDeclaration'], ['^[^#]*\<\zsrequired\>\|^[^#]*\<\zselse\>', '']]
  let s:got = s:Group(s:pat)
  if s:got ==# 'none' && s:grp ==# 'mwString' | continue | endif
  if (s:grp != '' && s:got !=# s:grp) || (s:grp == '' && s:got !~# '^mw')
    call add(s:bad, s:pat . ' is ' . s:got . ', not ' . s:grp)
  endif
endfor
call writefile(s:bad, '$tmp/vim.out')
qa!
EOF
	for f in mappings/*.map mappings/schemas/*.map; do
		rm -f "$tmp/vim.out"
		vim -Nu NONE -i NONE -n -es -S "$tmp/check.vim" "$f" </dev/null >/dev/null 2>&1
		if [ -f "$tmp/vim.out" ] && [ ! -s "$tmp/vim.out" ]; then
			ok "vim loads the syntax on $f: comments, strings, declarations highlighted"
		else
			ko "vim on $f: $(cat "$tmp/vim.out" 2>/dev/null || echo 'no result')"
		fi
	done
	# every keyword on a line of its own is highlighted by some mw group
	cat >"$tmp/kw.vim" <<EOF
syntax on
source $PWD/$VIMSYN
let s:bad = []
for s:l in range(1, line('$'))
  if synIDattr(synID(s:l, 1, 1), 'name') !~# '^mw'
    call add(s:bad, getline(s:l))
  endif
endfor
call writefile(s:bad, '$tmp/kw.out')
qa!
EOF
	rm -f "$tmp/kw.out"
	vim -Nu NONE -i NONE -n -es -S "$tmp/kw.vim" "$tmp/keywords" </dev/null >/dev/null 2>&1
	if [ -f "$tmp/kw.out" ] && [ ! -s "$tmp/kw.out" ]; then
		ok "vim highlights every lexer keyword"
	else
		ko "vim does not highlight: $(tr '\n' ' ' <"$tmp/kw.out" 2>/dev/null)"
	fi
	# ftdetect: a .map under mappings/ and a pair file elsewhere are mapwright
	printf '# x\npair p {\n}\n' >"$tmp/other.map"
	for f in mappings/clarity_xero.map "$tmp/other.map"; do
		vim -Nu NONE -i NONE -n -es --cmd "set rtp^=$PWD/$ED/vim" --cmd 'filetype on' \
			-c "call writefile([&filetype], '$tmp/ft.out')" -c 'qa!' "$f" </dev/null >/dev/null 2>&1
		if [ "$(cat "$tmp/ft.out" 2>/dev/null)" = mapwright ]; then
			ok "ftdetect: $(basename "$f") is mapwright"
		else
			ko "ftdetect: $(basename "$f") is '$(cat "$tmp/ft.out" 2>/dev/null)'"
		fi
	done
fi

} 2>&1 | tee "$tmp/log"
pass=$(grep -c '^\[PASS\]' "$tmp/log")
fail=$(grep -c '^\[FAIL\]' "$tmp/log")
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
