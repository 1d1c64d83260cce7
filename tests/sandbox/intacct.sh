#!/bin/sh
# The sandbox's Sage Intacct XML gateway: sender and login checks,
# getAPISession and session auth, CUSTOMER and create_sotransaction functions
# carrying exactly what bin/clarity_intacct writes (dimensions included),
# per-function failures with Intacct's error blocks, uniqueid controlids,
# readByQuery.
GROUP=intacct
. "$(dirname "$0")/lib.sh"
gw="$root/intacct/ia/xml/xmlgw.phtml"
python3 tests/bench/gen_orders.py --seed 31 --orders 60 > "$tmp/orders"
python3 tests/bench/gen_orders.py --seed 31 --orders 60 --customers > "$tmp/customers"
"$BIN/clarity_intacct" transform Customer --dead-letter /dev/null < "$tmp/customers" > "$tmp/cust"
"$BIN/clarity_intacct" transform Order --dead-letter /dev/null < "$tmp/orders" > "$tmp/so"

# envelope SENDERPW AUTH UNIQUE CONTROLID FUNCTIONS-FILE KIND -> request on stdout
envelope() {
	python3 - "$@" <<'PY'
import sys
pw, auth, uniq, cid, path, kind = sys.argv[1:7]
funcs = []
for i, line in enumerate(open(path, encoding="utf-8").read().splitlines()):
    if not line.strip():
        continue
    body = f"<create>{line}</create>" if kind == "create" else line
    funcs.append(f'<function controlid="f{i}">{body}</function>')
if auth.startswith("session:"):
    a = f"<sessionid>{auth[8:]}</sessionid>"
else:
    a = f"<login><userid>sandbox-user</userid><companyid>sandbox-co</companyid><password>{auth}</password></login>"
print(f'<?xml version="1.0" encoding="UTF-8"?><request><control><senderid>sandbox-sender</senderid>'
      f'<password>{pw}</password><controlid>{cid}</controlid><uniqueid>{uniq}</uniqueid>'
      f'<dtdversion>3.0</dtdversion></control><operation><authentication>{a}</authentication>'
      f'<content>{"".join(funcs)}</content></operation></request>')
PY
}
# summary of a response: control status, auth status, then one status per result
summary() {
	python3 -c '
import sys, xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot()
c = r.findtext("control/status")
a = r.findtext("operation/authentication/status") or "-"
res = [x.findtext("status") for x in r.iter("result")]
print(c, a, res.count("success"), res.count("failure"))' "$1"
}
post() { curl -s -o "$tmp/resp" -H 'Content-Type: application/xml' --data-binary @"$1" "$gw"; }

echo '<getAPISession/>' > "$tmp/fs"
envelope wrong sandbox-user-pw false c0 "$tmp/fs" raw > "$tmp/req"; post "$tmp/req"
t bad-sender [ "$(summary "$tmp/resp")" = "failure - 0 0" ]
envelope sandbox-sender-pw wrong false c1 "$tmp/fs" raw > "$tmp/req"; post "$tmp/req"
t bad-login [ "$(summary "$tmp/resp")" = "success failure 0 0" ]
envelope sandbox-sender-pw sandbox-user-pw false c2 "$tmp/fs" raw > "$tmp/req"; post "$tmp/req"
sid=$(python3 -c 'import sys,xml.etree.ElementTree as E; print(E.parse(sys.argv[1]).getroot().findtext(".//api/sessionid"))' "$tmp/resp")
t get-api-session [ -n "$sid" -a "$(summary "$tmp/resp")" = "success success 1 0" ]

n=$(wc -l < "$tmp/cust")
envelope sandbox-sender-pw "session:$sid" false c3 "$tmp/cust" create > "$tmp/req"; post "$tmp/req"
t customers-created [ "$(summary "$tmp/resp")" = "success success $n 0" ]
head -n 1 "$tmp/cust" > "$tmp/one"
envelope sandbox-sender-pw "session:$sid" false c4 "$tmp/one" create > "$tmp/req"; post "$tmp/req"
t duplicate-customer [ "$(summary "$tmp/resp")" = "success success 0 1" ] &&
	grep -q 'BL01001973' "$tmp/resp"

m=$(wc -l < "$tmp/so")
envelope sandbox-sender-pw "session:$sid" false c5 "$tmp/so" raw > "$tmp/req"; post "$tmp/req"
t generated-sales-orders-accepted [ "$m" -gt 30 -a "$(summary "$tmp/resp")" = "success success $m 0" ]
[ "$(summary "$tmp/resp")" = "success success $m 0" ] || grep -o '<description2>[^<]*' "$tmp/resp" | sort | uniq -c | head -5

sed -n 1p "$tmp/so" | sed 's|<itemid>[^<]*</itemid>|<itemid>NOPE-1</itemid>|' > "$tmp/bad"
sed -n 2p "$tmp/so" >> "$tmp/bad"
envelope sandbox-sender-pw "session:$sid" false c6 "$tmp/bad" raw > "$tmp/req"; post "$tmp/req"
t per-function-failure [ "$(summary "$tmp/resp")" = "success success 1 1" ] &&
	grep -q '<description2>Invalid Item NOPE-1</description2>' "$tmp/resp"
sed -n 3p "$tmp/so" | sed 's|<departmentid>[^<]*</departmentid>|<departmentid>D999</departmentid>|' > "$tmp/bad"
envelope sandbox-sender-pw "session:$sid" false c7 "$tmp/bad" raw > "$tmp/req"; post "$tmp/req"
t unknown-dimension [ "$(summary "$tmp/resp")" = "success success 0 1" ] &&
	grep -q 'Invalid Department D999' "$tmp/resp"

envelope sandbox-sender-pw "session:$sid" true u1 "$tmp/fs" raw > "$tmp/req"; post "$tmp/req"
first=$(summary "$tmp/resp")
post "$tmp/req"
t uniqueid-controlid [ "$first" = "success success 1 0" -a "$(summary "$tmp/resp")" = "failure - 0 0" ]

printf '<readByQuery><object>CUSTOMER</object><fields>*</fields><query></query><pagesize>100</pagesize></readByQuery>\n' > "$tmp/q"
envelope sandbox-sender-pw "session:$sid" false c8 "$tmp/q" raw > "$tmp/req"; post "$tmp/req"
t read-by-query [ "$(python3 -c 'import sys,xml.etree.ElementTree as E; print(E.parse(sys.argv[1]).getroot().find(".//data").get("count"))' "$tmp/resp")" = "$n" ]

echo "intacct: $pass passed, $fail failed"
[ $fail -eq 0 ]
