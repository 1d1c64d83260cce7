#!/bin/sh
# End to end, Clarity eCommerce -> Xero: secrets.
#   - the token key: the state file's bytes (and its -wal, -shm) hold none
#     of the access tokens handed out; without the key, or with another one,
#     the program refuses to start (exit 2) and says why;
#   - an interrupted listing (a gateway answers 502 with the first 1,500
#     bytes of the store's page) is logged with field names, not the page:
#     no address, no card digits;
#   - TLS: Clarity behind a self-signed certificate is refused at once
#     (exit 2, the certificate named, no retry); with SSL_CERT_FILE naming
#     that certificate the run connects.
# Clarity is reached through tests/e2e/secrets.py, a proxy to the sandbox.
GROUP=secrets
. "$(dirname "$0")/lib.sh"
gen clarity 11 30
catalogue  # the items Xero's order lines name (ref Product)
sandbox_start --limit-scale 100
use_pair clarity_xero
proxy() { # [--tls CERT KEY] [--cut-listing]: sets $purl
	[ -z "$dpid" ] || { kill $dpid; wait $dpid; } 2>/dev/null
	rm -f "$tmp/pport"
	python3 tests/e2e/secrets.py "$tmp/pport" "$root/clarity" "$tmp/seen" "$@" &
	dpid=$!
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do [ -s "$tmp/pport" ] && break; sleep 0.2; done
	case " $* " in *" --tls "*) purl=https ;; *) purl=http ;; esac
	purl="$purl://127.0.0.1:$(cat "$tmp/pport")"
}
in_files() { cat "$st" "$st-wal" "$st-shm" 2>/dev/null | grep -c -F "$1"; }

# The token key (lib.sh puts MW_STATE_KEY in the env file).
proxy
CLARITY_URL=$purl sync > "$tmp/out" 2> "$tmp/err"; rc=$?
t run-with-key [ "$rc" != 2 -a "$(col Order 2)" -gt 0 ] || cat "$tmp/err"
t token-handed-out [ -s "$tmp/seen" ]
leaked=0
while read -r tok; do [ "$(in_files "$tok")" = 0 ] || leaked=1; done < "$tmp/seen"
t no-token-in-state-file [ $leaked = 0 ]
t rows-sealed [ "$(sql "SELECT count(*) FROM tokens WHERE access NOT LIKE 'mw1:%' OR refresh != ''")" = 0 -a \
	"$(sql "SELECT count(*) FROM tokens")" -ge 2 ]
said() { grep -q "$1" "$tmp/err"; }
MW_STATE_KEY= sync > "$tmp/out" 2> "$tmp/err"; rc=$?
t no-key-refused [ "$rc" = 2 ] &&
	t no-key-says-why said 'encrypted tokens (clarity, xero) and no key is set' || cat "$tmp/err"
MW_STATE_KEY=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n') sync > "$tmp/out" 2> "$tmp/err"; rc=$?
t wrong-key-refused [ "$rc" = 2 ] &&
	t wrong-key-says-why said 'not the key they were written with' || cat "$tmp/err"

# An interrupted listing: field names in the log, no record body.
proxy --cut-listing
st=$tmp/state2
CLARITY_URL=$purl sync > "$tmp/out" 2> "$tmp/err"
grep 'listing clarity.orders failed' "$tmp/err" > "$tmp/line"
t listing-failure-logged grep -q 'fields: .*orderId' "$tmp/line" || cat "$tmp/err"
# every address of the store, and any field with its value
jq -r '.shippingAddress.line1' "$data/clarity_ecommerce.orders.ndjson" | sort -u > "$tmp/values"
echo '":"' >> "$tmp/values"
t no-record-body-in-log [ "$(grep -c -F -f "$tmp/values" "$tmp/err")" = 0 ] || cat "$tmp/err"

# TLS: a certificate nobody vouches for is fatal; SSL_CERT_FILE vouches.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
	-keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2> "$tmp/openssl" || cat "$tmp/openssl"
proxy --tls "$tmp/cert.pem" "$tmp/key.pem"
st=$tmp/state3
CLARITY_URL=$purl SSL_CERT_FILE= CURL_CA_BUNDLE= sync > "$tmp/out" 2> "$tmp/err"; rc=$?
t self-signed-refused [ "$rc" = 2 ] &&
	t self-signed-says-why said 'certificate of 127.0.0.1:.* cannot be verified' || cat "$tmp/err"
t self-signed-not-retried [ "$(grep -c 'again in' "$tmp/err")" = 0 ] || cat "$tmp/err"
CLARITY_URL=$purl SSL_CERT_FILE=$tmp/cert.pem CURL_CA_BUNDLE= sync > "$tmp/out" 2> "$tmp/err"; rc=$?
t ssl-cert-file-trusted [ "$rc" != 2 -a "$(col Order 2)" -gt 0 ] || cat "$tmp/err"
summary
