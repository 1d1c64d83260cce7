#!/bin/sh
# The sandbox's Sage Intacct XML gateway: sender and login checks,
# getAPISession and session auth (sessions expire: --token-ttl), CUSTOMER
# create/update, create_sotransaction and ARPYMT carrying exactly what
# bin/clarity_intacct writes (dimensions included; each invoice's total is the
# storefront's, each payment settles its invoice), GLBATCH balance, per-
# function failures with Intacct's error blocks, function controlids with
# uniqueid, readByQuery with FIELD = 'value' and readMore paging; an
# order's life (update of an unpaid invoice under a new AR key, a paid one
# refused, delete, payment reversal, credit and debit memos) judged by how
# GET /_sandbox/books moves; CUSTOMER records read back whole; exchange
# rates read back, and a foreign invoice's rate (its type's, the one given,
# refused without one) in the books' base currency.
GROUP=intacct
TTL=8   # long enough for two requests on a loaded machine; the expiry test waits it out
SANDBOX_ARGS="--token-ttl $TTL"
. "$(dirname "$0")/lib.sh"
gw="$root/intacct/ia/xml/xmlgw.phtml"
python3 tests/bench/gen_orders.py --seed 31 --orders 60 > "$tmp/orders"
# the foreign orders' rates (transform reaches no service: the ECB's form
# stands in for the company's), the latest on or before every order's day
cat > "$tmp/ecb.xml" <<'EOF'
<Cube><Cube time="2026-10-30"><Cube currency="USD" rate="1.0512"/><Cube currency="JPY"
rate="161.23"/><Cube currency="GBP" rate="0.8421"/></Cube></Cube>
EOF
python3 tests/bench/gen_orders.py --seed 31 --orders 60 --customers > "$tmp/customers"
"$BIN/clarity_intacct" transform Customer --dead-letter /dev/null < "$tmp/customers" > "$tmp/cust"
# (transform resolves `ref ShipTo(orderId)` to the order id: the sync engine's
# is the contact's CONTACTNAME, "Ship to " and the order id)
"$BIN/clarity_intacct" transform Order --rates "$tmp/ecb.xml" --dead-letter /dev/null < "$tmp/orders" |
	sed 's|<shipto><contactname>|&Ship to |;s|<billto><contactname>|&Bill to |' > "$tmp/so"
{ "$BIN/clarity_intacct" transform ShipTo --dead-letter /dev/null < "$tmp/orders"
  "$BIN/clarity_intacct" transform BillTo --dead-letter /dev/null < "$tmp/orders"; } > "$tmp/contacts"
"$BIN/clarity_intacct" transform Payment --rates "$tmp/ecb.xml" --dead-letter /dev/null < "$tmp/orders" \
	> "$tmp/pay"

# envelope SENDERPW AUTH UNIQUE CONTROLID FUNCTIONS-FILE KIND [FUNCTION-ID-PREFIX]
# -> request on stdout; KIND create wraps each line in <create>, update in <update>
envelope() {
	python3 - "$@" <<'PY'
import sys
pw, auth, uniq, cid, path, kind = sys.argv[1:7]
prefix = sys.argv[7] if len(sys.argv) > 7 else "f"
funcs = []
for i, line in enumerate(open(path, encoding="utf-8").read().splitlines()):
    if not line.strip():
        continue
    body = f"<{kind}>{line}</{kind}>" if kind in ("create", "update") else line
    funcs.append(f'<function controlid="{prefix}{i}">{body}</function>')
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
# summary of a response: control status, auth status, then successes and failures
summary() {
	python3 -c '
import sys, xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot()
c = r.findtext("control/status")
a = r.findtext("operation/authentication/status") or "-"
res = [x.findtext("status") for x in r.iter("result")]
print(c, a, res.count("success"), res.count("failure"))' "$1"
}
# xpath FILE PATH: the text (or @attribute) of the first match
xpath() {
	python3 -c '
import sys, xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot()
p = sys.argv[2]
if "/@" in p:
    p, a = p.rsplit("/@", 1)
    e = r.find(p)
    print("" if e is None else e.get(a, ""))
else:
    print(r.findtext(p) or "")' "$1" "$2"
}
post() { curl -s -o "$tmp/resp" -H 'Content-Type: application/xml' --data-binary @"$1" "$gw"; }
dump() { curl -s "$root/_sandbox/dump?service=intacct" > "$tmp/dump"; }
# run CONTROLID FUNCTIONS-FILE KIND [PREFIX]: login-authenticated, uniqueid false
run() { envelope sandbox-sender-pw sandbox-user-pw false "$1" "$2" "$3" "${4:-f}" > "$tmp/req"; post "$tmp/req"; }
q() { printf '%s\n' "$1" > "$tmp/q"; run "$2" "$tmp/q" raw; }

echo '<getAPISession/>' > "$tmp/fs"
envelope wrong sandbox-user-pw false c0 "$tmp/fs" raw > "$tmp/req"; post "$tmp/req"
t bad-sender [ "$(summary "$tmp/resp")" = "failure - 0 0" ] &&
	grep -q 'XL03000006' "$tmp/resp"
envelope sandbox-sender-pw wrong false c1 "$tmp/fs" raw > "$tmp/req"; post "$tmp/req"
t bad-login [ "$(summary "$tmp/resp")" = "success failure 0 0" ] &&
	grep -q '<description2>Sign-in information is incorrect</description2>' "$tmp/resp"
envelope sandbox-sender-pw sandbox-user-pw false c2 "$tmp/fs" raw > "$tmp/req"; post "$tmp/req"
sid=$(xpath "$tmp/resp" ".//api/sessionid")
t get-api-session [ -n "$sid" -a "$(summary "$tmp/resp")" = "success success 1 0" ]
sid_at=$(date +%s)
printf '<readByQuery><object>CUSTOMER</object><fields>*</fields><query></query><pagesize>10</pagesize></readByQuery>\n' > "$tmp/q"
envelope sandbox-sender-pw "session:$sid" false c2b "$tmp/q" raw > "$tmp/sessreq"; post "$tmp/sessreq"
t session-auth [ "$(summary "$tmp/resp")" = "success success 1 0" ] &&
	[ -n "$(xpath "$tmp/resp" "operation/authentication/sessiontimeout")" ]
envelope sandbox-sender-pw "session:not-a-session" false c2c "$tmp/q" raw > "$tmp/req"; post "$tmp/req"
t unknown-session [ "$(summary "$tmp/resp")" = "success failure 0 0" ]

n=$(wc -l < "$tmp/cust")
run c3 "$tmp/cust" create
t customers-created [ "$(summary "$tmp/resp")" = "success success $n 0" ]
head -n 1 "$tmp/cust" > "$tmp/one"
run c4 "$tmp/one" create
t duplicate-customer [ "$(summary "$tmp/resp")" = "success success 0 1" ] &&
	grep -q 'BL01001973' "$tmp/resp"
# the orders' ship-to and bill-to contacts, which their sales invoices name
nc=$(wc -l < "$tmp/contacts")
run c4c "$tmp/contacts" create
t contacts-created [ "$nc" -gt 0 -a "$(summary "$tmp/resp")" = "success success $nc 0" ]
head -n 1 "$tmp/contacts" > "$tmp/onec"
run c4d "$tmp/onec" create
t duplicate-contact [ "$(summary "$tmp/resp")" = "success success 0 1" ] &&
	grep -q 'Another Contact with the given value(s) Ship to SO-' "$tmp/resp"
sed 's|<ZIP>[^<]*</ZIP>|<ZIP>1234567890123456789012345678901</ZIP>|;s|Ship to|Long zip|g' \
	"$tmp/onec" > "$tmp/long"
run c4e "$tmp/long" create
t contact-zip-too-long [ "$(summary "$tmp/resp")" = "success success 0 1" ] &&
	grep -q 'MAILADDRESS.ZIP is longer than 30 characters' "$tmp/resp"

first=$(sed -n 's|.*<CUSTOMERID>\([^<]*\)</CUSTOMERID>.*|\1|p' "$tmp/one")
echo "<CUSTOMER><CUSTOMERID>$first</CUSTOMERID><NAME>Renamed Ltd</NAME></CUSTOMER>" > "$tmp/upd"
echo "<CUSTOMER><CUSTOMERID>NOPE-9</CUSTOMERID><NAME>X</NAME></CUSTOMER>" >> "$tmp/upd"
run c4b "$tmp/upd" update; dump
t update-customer [ "$(summary "$tmp/resp")" = "success success 1 1" ] &&
	[ "$(xpath "$tmp/resp" "operation/result/data/customer/CUSTOMERID")" = "$first" ] &&
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
c=[x for x in d["CUSTOMER"] if x["CUSTOMERID"]==sys.argv[2]]
sys.exit(0 if len(c)==1 and c[0]["NAME"]=="Renamed Ltd" and len(d["CUSTOMER"])==int(sys.argv[3]) else 1)' \
	"$tmp/dump" "$first" "$n"

m=$(wc -l < "$tmp/so")
run c5 "$tmp/so" raw; dump
t generated-sales-invoices-accepted [ "$m" -gt 30 -a "$(summary "$tmp/resp")" = "success success $m 0" ]
[ "$(summary "$tmp/resp")" = "success success $m 0" ] || grep -o '<description2>[^<]*' "$tmp/resp" | sort | uniq -c | head -5
t sales-invoice-keeps-ship-to [ "$(jq -r '[.SODOCUMENT[] | select(."SHIPTO.CONTACTNAME" ==
	"Ship to " + .DOCNO) | ."SHIPTO.MAILADDRESS.COUNTRYCODE"] | unique | join(",")' "$tmp/dump")" = US ]
sed -n 1p "$tmp/so" | sed 's|<shipto><contactname>[^<]*|<shipto><contactname>Nobody|;
	s|<documentno>[^<]*|<documentno>X-0|' > "$tmp/nobody"
run c5n "$tmp/nobody" raw
t unknown-ship-to-contact [ "$(summary "$tmp/resp")" = "success success 0 1" ] &&
	grep -q 'Invalid shipto contact Nobody specified.' "$tmp/resp"
# every posted AR invoice's total is the storefront's order total, to the cent
t invoice-totals-match-store python3 -c '
import json, sys
from decimal import Decimal
d = json.load(open(sys.argv[1]))
orders = {o["orderId"]: o for o in map(json.loads, open(sys.argv[2], encoding="utf-8"))}
inv = {i["RECORDID"]: i for i in d["ARINVOICE"]}
so = {s["DOCNO"]: s for s in d["SODOCUMENT"]}
ok = len(inv) == int(sys.argv[3]) and len(so) == len(inv)
for k, i in inv.items():
    ok &= Decimal(i["TOTALENTERED"]) == Decimal(str(orders[k]["totalAmount"]))
    ok &= so[k]["PRRECORDKEY"] == i["RECORDNO"] and so[k]["DOCID"] == "Sales Invoice-" + k
sys.exit(0 if ok else 1)' "$tmp/dump" "$tmp/orders" "$m"

sed -n 1p "$tmp/so" > "$tmp/again"
run c5c "$tmp/again" raw
t duplicate-document-number [ "$(summary "$tmp/resp")" = "success success 0 1" ] &&
	grep -q "Transaction with the number '[^']*' already exists." "$tmp/resp"

sed -n 1p "$tmp/so" | sed 's|<itemid>[^<]*</itemid>|<itemid>NOPE-1</itemid>|;s|<documentno>[^<]*|<documentno>X-1|' > "$tmp/bad"
sed -n 2p "$tmp/so" | sed 's|<documentno>[^<]*|<documentno>X-2|' >> "$tmp/bad"
run c6 "$tmp/bad" raw
t per-function-failure [ "$(summary "$tmp/resp")" = "success success 1 1" ] &&
	grep -q '<description2>Invalid Item NOPE-1</description2>' "$tmp/resp"
sed -n 3p "$tmp/so" | sed 's|<departmentid>[^<]*</departmentid>|<departmentid>D999</departmentid>|;s|<documentno>[^<]*|<documentno>X-3|' > "$tmp/bad"
run c7 "$tmp/bad" raw
t unknown-dimension [ "$(summary "$tmp/resp")" = "success success 0 1" ] &&
	grep -q 'Invalid Department D999' "$tmp/resp"

# payments: RECORDKEY is ref Order(orderId); the engine puts the invoice's RECORDNO there
python3 -c '
import json, re, sys
d = json.load(open(sys.argv[1]))
inv = {i["RECORDID"]: i["RECORDNO"] for i in d["ARINVOICE"]}
out = open(sys.argv[3], "w")
for line in open(sys.argv[2], encoding="utf-8"):
    k = re.search(r"<RECORDKEY>([^<]*)</RECORDKEY>", line).group(1)
    if k in inv:
        out.write(line.replace(f"<RECORDKEY>{k}</RECORDKEY>", f"<RECORDKEY>{inv[k]}</RECORDKEY>"))
' "$tmp/dump" "$tmp/pay" "$tmp/pay2"
p=$(wc -l < "$tmp/pay2")
run c8 "$tmp/pay2" create; dump
t payments-settle-invoices [ "$p" -gt 20 -a "$(summary "$tmp/resp")" = "success success $p 0" ] &&
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
paid = [i for i in d["ARINVOICE"] if i["STATE"] == "Paid"]
ok = len(d["ARPYMT"]) == int(sys.argv[2]) and len(paid) == int(sys.argv[2])
ok &= all(i["TOTALDUE"] == "0.00" and i["TOTALPAID"] == i["TOTALENTERED"] for i in paid)
sys.exit(0 if ok else 1)' "$tmp/dump" "$p"
[ "$(summary "$tmp/resp")" = "success success $p 0" ] || grep -o '<description2>[^<]*' "$tmp/resp" | sort | uniq -c | head -5
head -n 1 "$tmp/pay2" > "$tmp/p1"
run c9 "$tmp/p1" create
t overpayment-refused [ "$(summary "$tmp/resp")" = "success success 0 1" ] &&
	grep -q 'exceeds the amount due 0.00' "$tmp/resp"
sed 's|<RECORDKEY>[^<]*</RECORDKEY>|<RECORDKEY>999999</RECORDKEY>|' "$tmp/p1" > "$tmp/pbad"
sed 's|<TRX_AMOUNTTOPAY>[^<]*|<TRX_AMOUNTTOPAY>-5.00|' "$tmp/p1" >> "$tmp/pbad"
sed 's|<CUSTOMERID>[^<]*|<CUSTOMERID>NOPE-9|' "$tmp/p1" >> "$tmp/pbad"
run c10 "$tmp/pbad" create
t payment-validation [ "$(summary "$tmp/resp")" = "success success 0 3" ] &&
	grep -q 'Invalid invoice record number 999999' "$tmp/resp" &&
	grep -q 'The payment amount must be greater than 0' "$tmp/resp" &&
	grep -q 'Invalid Customer NOPE-9 specified.' "$tmp/resp"

gl() { # DEBIT CREDIT -> a GLBATCH line
	echo "<GLBATCH><JOURNAL>GJ</JOURNAL><BATCH_DATE>11/30/2026</BATCH_DATE><BATCH_TITLE>Clarity fees</BATCH_TITLE><ENTRIES><GLENTRY><ACCOUNTNO>4100</ACCOUNTNO><TRX_AMOUNT>$1</TRX_AMOUNT><TR_TYPE>1</TR_TYPE></GLENTRY><GLENTRY><ACCOUNTNO>1010</ACCOUNTNO><TRX_AMOUNT>$2</TRX_AMOUNT><TR_TYPE>-1</TR_TYPE></GLENTRY></ENTRIES></GLBATCH>"
}
{ gl 12.34 12.34; gl 12.34 12.35; } > "$tmp/gl"
run c11 "$tmp/gl" create; dump
t glbatch-balanced [ "$(summary "$tmp/resp")" = "success success 1 1" ] &&
	grep -q '<description2>Debits and credits are not equal</description2>' "$tmp/resp" &&
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if [g["TOTAL"] for g in d["GLBATCH"]]==["12.34"] else 1)' "$tmp/dump"

# a settlement day's batch as JournalEntryCreate / JournalEntryLineCreate
# write it: clearing accounts credited, the bank debited, in one currency;
# a line of an account, location or department the company has not, or of
# another currency, refuses the whole batch; the books' "gl" holds each
# account's balance per currency (debits positive)
ge() { # ACCOUNT TR_TYPE AMOUNT [CURRENCY] [LOCATION]
	echo "<GLENTRY><ACCOUNTNO>$1</ACCOUNTNO><TR_TYPE>$2</TR_TYPE><TRX_AMOUNT>$3</TRX_AMOUNT>${4:+<CURRENCY>$4</CURRENCY>}${5:+<LOCATION>$5</LOCATION>}<DESCRIPTION>settlement</DESCRIPTION></GLENTRY>"
}
settle() { # REFERENCENO ENTRIES...
	r=$1; shift
	echo "<GLBATCH><JOURNAL>CRJ</JOURNAL><BATCH_DATE>12/04/2026</BATCH_DATE><BATCH_TITLE>Clarity settlement 2026-12-04 EUR</BATCH_TITLE><REFERENCENO>$r</REFERENCENO><ENTRIES>$*</ENTRIES></GLBATCH>"
}
{ settle S-1 "$(ge 1200 1 30.00 EUR L-WH1)" "$(ge 1010 -1 20.00 EUR L-WH1)" "$(ge 1020 -1 10.00 EUR)"
  settle S-2 "$(ge 1200 1 5.00 EUR)" "$(ge 9999 -1 5.00 EUR)"
  settle S-3 "$(ge 1200 1 5.00 EUR L-XXX)" "$(ge 1010 -1 5.00 EUR)"
  settle S-4 "$(ge 1200 1 5.00 EUR)" "$(ge 1010 -1 5.00 USD)"; } > "$tmp/gl2"
run c11b "$tmp/gl2" create
t glbatch-rules [ "$(summary "$tmp/resp")" = "success success 1 3" ] &&
	grep -q '<description2>Invalid Account 9999</description2>' "$tmp/resp" &&
	grep -q '<description2>Invalid Location L-XXX on line 1</description2>' "$tmp/resp" &&
	grep -q "<description2>Currency USD on line 2 is not the entry's EUR</description2>" "$tmp/resp"
curl -s "$root/_sandbox/books?service=intacct" > "$tmp/glbooks"
t glbatch-gl-balances [ "$(jq -c '.gl.EUR' "$tmp/glbooks")" = \
	'{"1200":"30.00","1010":"-20.00","1020":"-10.00"}' -a \
	"$(jq -c '.gl.USD' "$tmp/glbooks")" = '{"4100":"12.34","1010":"-12.34"}' ] ||
	jq -c .gl "$tmp/glbooks"
# a late payment of that day: the batch updated whole by its RECORDNO; an
# unbalanced update is refused and leaves it as it was
s1=$(xpath "$tmp/resp" ".//data/glbatch/RECORDNO")
upd() { settle S-1 "$@" | sed "s|<GLBATCH>|<GLBATCH><RECORDNO>$s1</RECORDNO>|"; }
{ upd "$(ge 1200 1 42.00 EUR)" "$(ge 1010 -1 32.00 EUR)" "$(ge 1020 -1 10.00 EUR)"
  upd "$(ge 1200 1 50.00 EUR)" "$(ge 1010 -1 32.00 EUR)"
  settle S-1 "$(ge 1200 1 1.00 EUR)" "$(ge 1010 -1 1.00 EUR)" |
	sed 's|<GLBATCH>|<GLBATCH><RECORDNO>999999</RECORDNO>|'; } > "$tmp/gl3"
run c11c "$tmp/gl3" update
curl -s "$root/_sandbox/books?service=intacct" > "$tmp/glbooks"
t glbatch-update [ "$(summary "$tmp/resp")" = "success success 1 2" ] &&
	grep -q '<description2>Debits and credits are not equal</description2>' "$tmp/resp" &&
	grep -q '<description2>Invalid RECORDNO 999999: no such journal entry</description2>' \
	"$tmp/resp" && [ "$(jq -c '.gl.EUR' "$tmp/glbooks")" = \
	'{"1200":"42.00","1010":"-32.00","1020":"-10.00"}' ] || jq -c .gl "$tmp/glbooks"

k=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ARINVOICE"][0]["RECORDID"])' "$tmp/dump")
prk=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ARINVOICE"][0]["RECORDNO"])' "$tmp/dump")
q "<readByQuery><object>SODOCUMENT</object><fields>RECORDNO,DOCID,PRRECORDKEY</fields><query>DOCID = 'Sales Invoice-$k'</query><pagesize>100</pagesize></readByQuery>" c12
t query-sodocument [ "$(xpath "$tmp/resp" ".//data/@count")" = 1 ] &&
	[ "$(xpath "$tmp/resp" ".//data/sodocument/PRRECORDKEY")" = "$prk" ] &&
	[ -z "$(xpath "$tmp/resp" ".//data/sodocument/CUSTVENDID")" ]
q "<readByQuery><object>ARINVOICE</object><fields>*</fields><query>RECORDID = '$k'</query><pagesize>100</pagesize></readByQuery>" c13
t query-arinvoice [ "$(xpath "$tmp/resp" ".//data/@count")" = 1 ] &&
	[ "$(xpath "$tmp/resp" ".//data/arinvoice/RECORDNO")" = "$prk" ]
dn=$(sed -n 's|.*<DOCNUMBER>\([^<]*\)</DOCNUMBER>.*|\1|p' "$tmp/p1")
q "<readByQuery><object>ARPYMT</object><fields>RECORDNO,DOCNUMBER</fields><query>DOCNUMBER = '$dn'</query><pagesize>100</pagesize></readByQuery>" c14
t query-arpymt [ "$(xpath "$tmp/resp" ".//data/@count")" = 1 ] &&
	[ "$(xpath "$tmp/resp" ".//data/arpymt/DOCNUMBER")" = "$dn" ]
q "<readByQuery><object>CUSTOMER</object><fields>*</fields><query>CUSTOMERID = 'NOPE-0'</query><pagesize>100</pagesize></readByQuery>" c15
t query-none [ "$(xpath "$tmp/resp" ".//data/@count")" = 0 -a "$(summary "$tmp/resp")" = "success success 1 0" ]
q "<readByQuery><object>CUSTOMER</object><fields>*</fields><query>CUSTOMERID LIKE 'C%'</query><pagesize>100</pagesize></readByQuery>" c16
t query-unsupported [ "$(summary "$tmp/resp")" = "success success 0 1" ]

# readMore: pages of 7 until numremaining is 0, every customer once
q "<readByQuery><object>CUSTOMER</object><fields>CUSTOMERID</fields><query></query><pagesize>7</pagesize></readByQuery>" c17
: > "$tmp/seen"
pages=0 rid=$(xpath "$tmp/resp" ".//data/@resultId") c1=$(xpath "$tmp/resp" ".//data/@count")
grep -o '<CUSTOMERID>[^<]*' "$tmp/resp" >> "$tmp/seen"
while [ "$(xpath "$tmp/resp" ".//data/@numremaining")" != 0 ] && [ $pages -lt 50 ]; do
	pages=$((pages + 1))
	q "<readMore><resultId>$rid</resultId></readMore>" "c17-$pages"
	grep -o '<CUSTOMERID>[^<]*' "$tmp/resp" >> "$tmp/seen"
done
t read-more [ "$c1" = 7 -a -n "$rid" ] && [ "$(sort -u "$tmp/seen" | wc -l)" = "$n" ] &&
	[ "$(wc -l < "$tmp/seen")" = "$n" ]
q "<readMore><resultId>$rid</resultId></readMore>" c18
t read-more-finished [ "$(summary "$tmp/resp")" = "success success 0 1" ]

# uniqueid true: a write function whose controlid completed before is refused
# alone; the control's own controlid is not checked; a failed function may be
# sent again under its controlid
echo '<CUSTOMER><CUSTOMERID>U-1</CUSTOMERID><NAME>Unique One</NAME></CUSTOMER>' > "$tmp/u"
envelope sandbox-sender-pw sandbox-user-pw true u1 "$tmp/u" create k > "$tmp/req"; post "$tmp/req"
s1=$(summary "$tmp/resp")
echo '<CUSTOMER><CUSTOMERID>U-2</CUSTOMERID><NAME>Unique Two</NAME></CUSTOMER>' >> "$tmp/u"
envelope sandbox-sender-pw sandbox-user-pw true u1 "$tmp/u" create k > "$tmp/req"; post "$tmp/req"; dump
t uniqueid-function-controlid [ "$s1" = "success success 1 0" -a "$(summary "$tmp/resp")" = "success success 1 1" ] &&
	grep -q '<description2>A successful transaction has already been recorded with the control id k0.</description2>' "$tmp/resp" &&
	[ "$(python3 -c 'import json,sys; print(sum(c["CUSTOMERID"].startswith("U-") for c in json.load(open(sys.argv[1]))["CUSTOMER"]))' "$tmp/dump")" = 2 ]
echo '<CUSTOMER><CUSTOMERID>U-3</CUSTOMERID><NAME></NAME></CUSTOMER>' > "$tmp/u"
envelope sandbox-sender-pw sandbox-user-pw true u2 "$tmp/u" create v > "$tmp/req"; post "$tmp/req"
s1=$(summary "$tmp/resp")
echo '<CUSTOMER><CUSTOMERID>U-3</CUSTOMERID><NAME>Fixed</NAME></CUSTOMER>' > "$tmp/u"
envelope sandbox-sender-pw sandbox-user-pw true u2 "$tmp/u" create v > "$tmp/req"; post "$tmp/req"
t uniqueid-failed-may-retry [ "$s1" = "success success 0 1" -a "$(summary "$tmp/resp")" = "success success 1 0" ]

# an order's life: what Intacct lets change, and the books it leaves
books() { curl -s "$root/_sandbox/books?service=intacct" > "$tmp/books$1"; }
# moved BEFORE AFTER WHAT: how WHAT (sales|cash|receivable) in USD moved, in cents
moved() {
	python3 -c 'import json,sys; a,b=(json.load(open(f))["USD"][sys.argv[3]] for f in sys.argv[1:3])
print(round((float(b)-float(a))*100))' "$tmp/books$1" "$tmp/books$2" "$3"
}
dump
pick() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); exec(sys.argv[2])' "$tmp/dump" "$1"; }
paid=$(pick 'print(next("Sales Invoice-"+i["RECORDID"] for i in d["ARINVOICE"] if i["STATE"]=="Paid"))')
open=$(pick 'print(next("Sales Invoice-"+i["RECORDID"] for i in d["ARINVOICE"] if i["STATE"]=="Posted"))')
q "<update_sotransaction key=\"$paid\"><referenceno>x</referenceno></update_sotransaction>" c30
t update-paid-invoice-refused [ "$(summary "$tmp/resp")" = "success success 0 1" ] &&
	grep -q 'has payments applied to its AR invoice' "$tmp/resp"
q "<delete_sotransaction key=\"$paid\"/>" c31
t delete-paid-invoice-refused [ "$(summary "$tmp/resp")" = "success success 0 1" ] &&
	grep -q 'has payments applied' "$tmp/resp"
q "<update_sotransaction key=\"$open\"><updatesotransitems><updatesotransitem line_num=\"99\"><itemid>MUG-01</itemid><quantity>1</quantity><price>1</price></updatesotransitem></updatesotransitems></update_sotransaction>" c32
t update-bad-line-refused [ "$(summary "$tmp/resp")" = "success success 0 1" ] &&
	grep -q 'Invalid line_num 99' "$tmp/resp"
old_ar=$(pick "print(next(s['PRRECORDKEY'] for s in d['SODOCUMENT'] if s['DOCID']=='$open'))")
books 0
q "<update_sotransaction key=\"$open\"><updatesotransitems><updatesotransitem line_num=\"1\"><itemid>MUG-01</itemid><quantity>1</quantity><price>1000</price></updatesotransitem><sotransitem><itemid>SHIPPING</itemid><quantity>1</quantity><price>5</price></sotransitem></updatesotransitems></update_sotransaction>" c33
dump; books 1
new_ar=$(pick "print(next(s['PRRECORDKEY'] for s in d['SODOCUMENT'] if s['DOCID']=='$open'))")
t update-unpaid-invoice-new-ar-key [ "$(summary "$tmp/resp")" = "success success 1 0" -a \
	"$new_ar" != "$old_ar" ] && [ "$(pick "print(sum(i['RECORDNO']=='$old_ar' for i in d['ARINVOICE']))")" = 0 ] &&
	[ "$(moved 0 1 sales)" = "$(moved 0 1 receivable)" -a "$(moved 0 1 cash)" = 0 ]
q "<delete_sotransaction key=\"$open\"/>" c34
dump; books 2
t delete-unpaid-invoice [ "$(summary "$tmp/resp")" = "success success 1 0" ] &&
	[ "$(pick "print(sum(i['RECORDNO']=='$new_ar' for i in d['ARINVOICE']) + sum(s['DOCID']=='$open' for s in d['SODOCUMENT']))")" = 0 ] &&
	[ "$(moved 1 2 sales)" -lt 0 -a "$(moved 1 2 sales)" = "$(moved 1 2 receivable)" ]
py=$(pick 'print(d["ARPYMT"][0]["RECORDNO"]); ' | head -1)
amt=$(pick 'print(round(float(d["ARPYMT"][0]["TOTALENTERED"])*100))')
q "<reverse_arpayment key=\"$py\"><datereversed><year>2026</year><month>12</month><day>01</day></datereversed><description>refund</description></reverse_arpayment>" c35
dump; books 3
t reverse-payment [ "$(summary "$tmp/resp")" = "success success 1 0" ] &&
	[ "$(pick "print(next(p['STATE'] for p in d['ARPYMT'] if p['RECORDNO']=='$py'))")" = Reversed ] &&
	[ "$(moved 2 3 cash)" = "-$amt" -a "$(moved 2 3 receivable)" = "$amt" -a "$(moved 2 3 sales)" = 0 ]
q "<reverse_arpayment key=\"$py\"><datereversed><year>2026</year><month>12</month><day>01</day></datereversed></reverse_arpayment>" c36
t reverse-twice-refused [ "$(summary "$tmp/resp")" = "success success 0 1" ] &&
	grep -q 'already been reversed' "$tmp/resp"
printf '%s\n' "<update><ARPYMT><RECORDNO>$(pick 'print(d["ARPYMT"][1]["RECORDNO"])')</RECORDNO><DESCRIPTION>x</DESCRIPTION></ARPYMT></update>" > "$tmp/q"
run c37 "$tmp/q" raw
t update-posted-payment-refused [ "$(summary "$tmp/resp")" = "success success 0 1" ] &&
	grep -q 'only a draft payment can be edited' "$tmp/resp"
cust=$(pick 'print(d["CUSTOMER"][0]["CUSTOMERID"])')
adj() { # NO AMOUNT ACCOUNT
	printf '<create_aradjustment><customerid>%s</customerid><datecreated><year>2026</year><month>12</month><day>01</day></datecreated><adjustmentno>%s</adjustmentno><aradjustmentitems><lineitem><glaccountno>%s</glaccountno><amount>%s</amount></lineitem></aradjustmentitems></create_aradjustment>' "$cust" "$1" "$3" "$2"
}
q "$(adj CM-0 0 4000)" c38
t adjustment-zero-refused [ "$(summary "$tmp/resp")" = "success success 0 1" ] &&
	grep -q 'cannot be 0' "$tmp/resp"
q "$(adj CM-1 -10.00 4000)" c39
books 4
t credit-memo [ "$(summary "$tmp/resp")" = "success success 1 0" ] &&
	[ "$(moved 3 4 sales)" = -1000 -a "$(moved 3 4 receivable)" = -1000 -a "$(moved 3 4 cash)" = 0 ]
q "$(adj DM-1 10.00 1010)" c40
books 5
t refund-paid-out [ "$(summary "$tmp/resp")" = "success success 1 0" ] &&
	[ "$(moved 4 5 cash)" = -1000 -a "$(moved 4 5 receivable)" = 1000 -a "$(moved 4 5 sales)" = 0 ]
q "$(adj CM-1 -1.00 4000)" c41
t adjustment-number-unique [ "$(summary "$tmp/resp")" = "success success 0 1" ]
q "<readByQuery><object>CUSTOMER</object><fields>*</fields><query>CUSTOMERID = '$cust'</query><pagesize>1</pagesize></readByQuery>" c42
t customer-read-back-whole [ -n "$(xpath "$tmp/resp" ".//customer/DISPLAYCONTACT/EMAIL1")" -a \
	-n "$(xpath "$tmp/resp" ".//customer/DISPLAYCONTACT/PRINTAS")" ]

# exchange rates: the company's base currency is USD; its default exchange
# rate type holds a rate into USD per currency and day, read as the
# connector reads it (EXCHANGERATETYPES, EXCHANGERATE, EXCHANGERATEENTRY)
q "<readByQuery><object>EXCHANGERATETYPES</object><fields>*</fields><query>ISDEFAULT = 'true'</query><pagesize>10</pagesize></readByQuery>" r1
rtype=$(xpath "$tmp/resp" ".//exchangeratetypes/NAME")
t rate-type-default [ -n "$rtype" ]
q "<readByQuery><object>EXCHANGERATE</object><fields>*</fields><query>TYPENAME = '$rtype' AND FROM_CURRENCY = 'EUR' AND TO_CURRENCY = 'USD'</query><pagesize>10</pagesize></readByQuery>" r2
er=$(xpath "$tmp/resp" ".//exchangerate/RECORDNO")
t rate-of-eur [ -n "$er" -a "$(xpath "$tmp/resp" ".//data/@count")" = 1 ]
q "<readByQuery><object>EXCHANGERATEENTRY</object><fields>*</fields><query>EXCHANGERATEID = '$er' AND EFFECTIVESTARTDATE &lt;= '11/05/2026'</query><pagesize>1000</pagesize></readByQuery>" r3
dump
eur=$(pick 'print(d["ExchangeRates"]["EUR"]["2026-11-05"])')
t rate-entries-up-to-the-day [ "$(xpath "$tmp/resp" ".//data/@count")" = 309 ] &&
	python3 -c 'import sys, xml.etree.ElementTree as ET
e = [x for x in ET.parse(sys.argv[1]).getroot().iter("exchangerateentry")
     if x.findtext("EFFECTIVESTARTDATE") == "11/05/2026"]
sys.exit(not (len(e) == 1 and e[0].findtext("VALUE") == sys.argv[2]))' "$tmp/resp" "$eur"
# fx NO CURRENCY EXTRA: a sales invoice of 100.00 on 11/05/2026
fx() {
	printf '<create_sotransaction><transactiontype>Sales Invoice</transactiontype><datecreated><year>2026</year><month>11</month><day>05</day></datecreated><customerid>%s</customerid><documentno>%s</documentno><currency>%s</currency>%s<sotransitems><sotransitem><itemid>MUG-01</itemid><quantity>1</quantity><price>100</price></sotransitem></sotransitems></create_sotransaction>' "$cust" "$1" "$2" "$3"
}
xrate() { dump; pick "print(next(s['EXCHRATE'] for s in d['SODOCUMENT'] if s['DOCNO']=='$1'))"; }
q "$(fx FX-1 EUR "<exchratedate><year>2026</year><month>11</month><day>04</day></exchratedate><exchratetype>$rtype</exchratetype>")" r4
t rate-of-the-type [ "$(summary "$tmp/resp")" = "success success 1 0" -a "$(xrate FX-1)" = \
	"$(pick 'print(d["ExchangeRates"]["EUR"]["2026-11-04"])')" ]
q "$(fx FX-2 EUR "")" r5
t rate-default-type-of-the-date [ "$(summary "$tmp/resp")" = "success success 1 0" -a "$(xrate FX-2)" = "$eur" ]
books 6
q "$(fx FX-3 GBP "<exchratedate><year>2026</year><month>11</month><day>05</day></exchratedate><exchrate>1.5</exchrate>")" r6
books 7
t rate-given [ "$(summary "$tmp/resp")" = "success success 1 0" -a "$(xrate FX-3)" = 1.5 ] &&
	[ "$(python3 -c 'import json,sys; a,b=(json.load(open(f))["home"]["sales"] for f in sys.argv[1:3])
print(round((float(b)-float(a))*100))' "$tmp/books6" "$tmp/books7")" = 15000 -a "$(moved 6 7 sales)" = 0 ]
q "$(fx FX-4 EUR "<exchratetype>$rtype</exchratetype><exchrate>1.5</exchrate>")" r7
t rate-and-type-refused [ "$(summary "$tmp/resp")" = "success success 0 1" ] &&
	grep -q 'either an exchange rate or an exchange rate type' "$tmp/resp"
q "$(fx FX-5 CHF "")" r8
t no-rate-refused [ "$(summary "$tmp/resp")" = "success success 0 1" ] &&
	grep -q 'No exchange rate from CHF to USD' "$tmp/resp"

# the session from getAPISession ends after --token-ttl seconds
left=$((sid_at + TTL + 1 - $(date +%s)))
[ $left -gt 0 ] && sleep $left
post "$tmp/sessreq"
t session-expires [ "$(summary "$tmp/resp")" = "success failure 0 0" ]

echo "intacct: $pass passed, $fail failed"
[ $fail -eq 0 ]
