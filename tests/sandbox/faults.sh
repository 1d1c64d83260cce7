#!/bin/sh
# Faults on request: 503 bursts, 429 with Retry-After, a dropped connection,
# latency, revoked tokens (expire_tokens), and a write that commits but loses its answer, after which a
# retry with the same Idempotency-Key gets the original answer and writes
# nothing twice.
GROUP=faults
. "$(dirname "$0")/lib.sh"
base="$root/xero"
fault() { curl -s -o /dev/null -X POST --data-binary "$1" "$root/_sandbox/faults"; }
tok=$(curl -s -u sandbox-client:sandbox-secret -d grant_type=client_credentials \
	"$base/connect/token" | jq -r .access_token)
H1="Authorization: Bearer $tok"
H2="xero-tenant-id: 00000000-0000-4000-8000-00000000000a"
get() { curl -s -o /dev/null -w '%{http_code}' -H "$H1" -H "$H2" "$base/api.xro/2.0/Contacts"; }

fault '{"service":"xero","fail_5xx":2}'
t burst-503 [ "$(get) $(get) $(get)" = "503 503 200" ]

fault '{"service":"xero","rate_429":1}'
s=$(curl -s -D "$tmp/h" -o /dev/null -w '%{http_code}' -H "$H1" -H "$H2" "$base/api.xro/2.0/Contacts")
t injected-429 [ "$s" = 429 ] && grep -qi '^Retry-After: 1' "$tmp/h"
t after-429 [ "$(get)" = 200 ]

fault '{"service":"xero","drop":1}'
t dropped-connection [ "$(get)" = 000 ]
t after-drop [ "$(get)" = 200 ]

fault '{"service":"xero","latency_ms":300}'
secs=$(curl -s -o /dev/null -w '%{time_total}' -H "$H1" -H "$H2" "$base/api.xro/2.0/Contacts")
t latency [ "$(awk -v s="$secs" 'BEGIN { print (s >= 0.3) }')" = 1 ]
fault '{"service":"xero"}'

# The write commits, the answer is lost; the retry with the same key is
# answered from the first write and stores nothing twice.
body='{"Contacts":[{"Name":"Ana López","ContactNumber":"C-1"}]}'
fault '{"service":"xero","lose_response":1}'
put() {
	curl -s -o "$tmp/body" -w '%{http_code}' -X PUT -H "$H1" -H "$H2" \
		-H 'Idempotency-Key: order-C-1-v1' --data-binary "$body" "$base/api.xro/2.0/Contacts"
}
t write-answer-lost [ "$(put)" = 000 ]
n=$(curl -s "$root/_sandbox/dump?service=xero" | jq '.Contacts | length')
t write-committed [ "$n" = 1 ]
t retry-same-key [ "$(put)" = 200 -a "$(jq -r '.Contacts[0].Name' "$tmp/body")" = "Ana López" ]
n=$(curl -s "$root/_sandbox/dump?service=xero" | jq '.Contacts | length')
t not-duplicated [ "$n" = 1 ]

# Every token issued so far dies at once; a fresh one works.
fault '{"service":"xero","expire_tokens":1}'
t expire-tokens [ "$(get)" = 401 ]
tok=$(curl -s -u sandbox-client:sandbox-secret -d grant_type=client_credentials \
	"$base/connect/token" | jq -r .access_token)
H1="Authorization: Bearer $tok"
t new-token-after-expiry [ "$(get)" = 200 ]
fault '{"service":"xero","expire_tokens_after":2}'
t expire-tokens-after [ "$(get) $(get) $(get)" = "200 200 401" ]
tok=$(curl -s -u sandbox-client:sandbox-secret -d grant_type=client_credentials \
	"$base/connect/token" | jq -r .access_token)
H1="Authorization: Bearer $tok"
t expiry-only-for-that-service [ "$(curl -s "$root/_sandbox/faults" |
	jq -c '[.xero.token_generation, .qbo.token_generation]')" = "[2,0]" ]

echo "faults: $pass passed, $fail failed"
[ $fail -eq 0 ]
