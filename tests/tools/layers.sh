#!/bin/sh
# The runtime's layers (docs/architecture.md), as the build enforces them:
#   - each layer compiles with its own include path, so a forbidden include
#     fails to build: tried here on a copy of the tree, one include at a
#     time (a network, state, connector, engine or CLI header, or an I/O
#     library, in a file of a layer that may not use it), each must make
#     `make` fail, and the unchanged file must build;
#   - calls run one way and no two files call each other (tests/tools/calls.py
#     on the objects of the build O).
cd "$(dirname "$0")/../.." || exit 2
O=${O:-build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r Makefile runtime "$tmp"/

# layer/file.c  the include  what the failure must say
cases='transform/dec.c "http.h" http.h
transform/dec.c "oauth.h" oauth.h
transform/dec.c "hook.h" hook.h
transform/dec.c <curl/curl.h> I/O
transform/dec.c <sqlite3.h> I/O
transform/dec.c <microhttpd.h> I/O
transform/dec.c <jansson.h> I/O
transform/dec.c <unistd.h> I/O
transform/value.c "state.h" state.h
transform/value.c "conn.h" conn.h
transform/value.c "cli.h" cli.h
net/http.c "conn.h" conn.h
net/http.c "state.h" state.h
net/hook.c "eng.h" eng.h
conn/conn.c "state.h" state.h
conn/conn_xero.c "eng.h" eng.h
conn/conn_xero.c "engine.h" engine.h
state/sqlite.c "eng.h" eng.h
state/journal.c "conn.h" conn.h
engine/sync.c "cli.h" cli.h'
echo "$cases" | while read -r file inc want; do
	obj="build/runtime/${file%.c}.o"
	cp "runtime/$file" "$tmp/runtime/$file"
	if ! make -s -C "$tmp" O=build "$obj" >"$tmp/out" 2>&1; then
		echo "[FAIL] layers/builds-as-is/$file: $(head -c 300 "$tmp/out")"
		continue
	fi
	rm -f "$tmp/$obj"
	{ printf '#include %s\n' "$inc"; cat "runtime/$file"; } >"$tmp/runtime/$file"
	if make -s -C "$tmp" O=build "$obj" >"$tmp/out" 2>&1; then
		echo "[FAIL] layers/refused/$file/$inc: it built"
	elif grep -q -- "$want" "$tmp/out"; then
		echo "[PASS] layers/refused/$file/$inc"
	else
		echo "[FAIL] layers/refused/$file/$inc: $(grep -m1 error "$tmp/out")"
	fi
	cp "runtime/$file" "$tmp/runtime/$file"
done
python3 tests/tools/calls.py "$O"
