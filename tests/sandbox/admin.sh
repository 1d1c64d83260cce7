#!/bin/sh
# The sandbox's test knobs: --token-ttl (every service's tokens live S
# seconds), --limit-scale (Xero's 60 a minute and 5000 a day scaled), and
# POST /_sandbox/records's answers to what it cannot take.
cd "$(dirname "$0")/../.." || exit 2
SANDBOX_ARGS="--token-ttl 2 --limit-scale 0.1"
GROUP=admin
. "$(dirname "$0")/lib.sh"
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

# Clarity: expires_in says 2, and the token is refused once they are over.
curl -s -u sandbox-client:sandbox-secret -d grant_type=client_credentials \
	"$root/clarity/oauth/token" > "$tmp/ctok"
ctok=$(jq -r .access_token "$tmp/ctok")
t clarity-ttl [ "$(jq .expires_in "$tmp/ctok")" = 2 ]
t clarity-token-valid [ "$(code -H "Authorization: Bearer $ctok" "$root/clarity/api/v1/orders")" = 200 ]
# NopCommerce: expires_at_utc is 2 s after created_at_utc
curl -s -X GET -H 'Content-Type: application/json' \
	-d '{"username":"sandbox-api","password":"sandbox-api-pw"}' "$root/nop/token" > "$tmp/ntok"
ntok=$(jq -r .access_token "$tmp/ntok")
t nop-ttl [ "$(jq '[.created_at_utc, .expires_at_utc] | map(fromdateiso8601) | .[1] - .[0]' \
	"$tmp/ntok")" = 2 ]
# Xero: 1800 scaled down to 2, and 60 a minute scaled to 6
xtoken() {
	curl -s -u sandbox-client:sandbox-secret -d grant_type=client_credentials \
		"$root/xero/connect/token" > "$tmp/xtok"
	xtok=$(jq -r .access_token "$tmp/xtok")
}
xtoken
t xero-ttl [ "$(jq .expires_in "$tmp/xtok")" = 2 ]
xget() {
	curl -s -D "$tmp/h" -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $xtok" \
		-H "xero-tenant-id: 00000000-0000-4000-8000-00000000000a" "$root/xero/api.xro/2.0/Contacts"
}
# The limit, however slow the calls (a token of 2 whole seconds may live
# only one): a call its token was refused for is not counted, and is made
# again with a fresh token.
lget() { c=$(xget); [ "$c" != 401 ] || { xtoken; c=$(xget); }; echo "$c"; }
codes=""
for i in 1 2 3 4 5 6 7; do codes="$codes $(lget)"; [ $i = 1 ] && cp "$tmp/h" "$tmp/h1"; done
t xero-limit-scaled [ "$codes" = " 200 200 200 200 200 200 429" ]
t xero-minute-remaining grep -qi '^X-MinLimit-Remaining: 5' "$tmp/h1"
t xero-day-scaled grep -qi '^X-DayLimit-Remaining: 499' "$tmp/h1"
sleep 3
t clarity-token-expired [ "$(code -H "Authorization: Bearer $ctok" "$root/clarity/api/v1/orders")" = 401 ]
t nop-token-expired [ "$(code -H "Authorization: Bearer $ntok" "$root/nop/api/orders")" = 401 ]
t xero-token-expired [ "$(xget)" = 401 ]

# POST /_sandbox/records: unknown service or collection, lines without a key
t records-unknown-service [ "$(code --data-binary '{"Id":1}' \
	"$root/_sandbox/records?service=xero&collection=orders")" = 404 ]
t records-unknown-collection [ "$(code --data-binary '{"Id":1}' \
	"$root/_sandbox/records?service=nop&collection=invoices")" = 404 ]
t records-needs-get-or-post [ "$(code -X PUT "$root/_sandbox/records?service=nop&collection=orders")" = 405 ]
s=$(curl -s -o "$tmp/r" -w '%{http_code}' --data-binary "$(printf '%s\n' '{"Id":5,"UpdatedOnUtc":"2026-01-01T00:00:00Z"}' \
	'not json' '{"NoId":1}' '')" "$root/_sandbox/records?service=nop&collection=customers")
t records-bad-lines [ "$s" = 400 -a "$(jq -c . "$tmp/r")" = '{"added":1,"replaced":0,"bad":2}' ]
t records-good-line-kept [ "$(curl -s "$root/_sandbox/dump?service=nop" | jq .customers)" = 1 ]

echo "admin: $pass passed, $fail failed"
[ $fail -eq 0 ]
