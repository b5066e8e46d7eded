#!/usr/bin/env bats
# Inputs found by the fuzz targets (test/fuzz, make fuzz), fed to the real helpers: each must end
# in a clean error, never a crash. The inputs stay in test/fuzz/corpus too.
# shellcheck disable=SC2154 # stderr is set by bats' run --separate-stderr
bats_require_minimum_version 1.5.0

setup_file() {
	load helper/common
	sim_node alice
}

teardown_file() {
	load helper/common
	sim_stop_all
}

setup() {
	load helper/common
	common_setup
	NODE=$BATS_FILE_TMPDIR/alice
	F=$KC_SRC/test/fixtures/fuzz
}

teardown() {
	[ ! -f "$BATS_TEST_TMPDIR/pid" ] || kill "$(cat "$BATS_TEST_TMPDIR/pid")" 2>/dev/null || true
}

# a server answering every request with the bytes of FILE, then closing (test/helper/rawhttpd.py);
# its port in $BATS_TEST_TMPDIR/port
raw_server() { # FILE
	jq -n --arg f "$1" '[{file: $f, close: true, repeat: true}]' >"$BATS_TEST_TMPDIR/plan.json"
	"$KC_PYTHON" "$KC_SRC/test/helper/rawhttpd.py" "$BATS_TEST_TMPDIR/plan.json" \
		"$BATS_TEST_TMPDIR/port" "$BATS_TEST_TMPDIR/requests.log" </dev/null >/dev/null 2>&1 3>&- &
	echo $! >"$BATS_TEST_TMPDIR/pid"
	poll_until 10 test -s "$BATS_TEST_TMPDIR/port"
}

# a partner Domain NAME whose spec.cert is the base64 of FILE
partner() { # NAME FILE
	printf '{"apiVersion":"kuscia.secretflow/v1alpha1","kind":"Domain","metadata":{"name":"%s"},"spec":{"role":"partner","cert":"%s"}}\n' \
		"$1" "$(base64 -w0 "$2")" | KUSCIA_ROOT=$NODE kc-apply -q
}

# fuzz_cert: a certificate whose public key OpenSSL cannot decode (a mangled algorithm OID)
# crashed kc_cert_check (EVP_PKEY_get_base_id(NULL)) in the diagnosis of kc route-check/doctor

@test "fuzz regression: route-check: a Domain whose certificate holds an undecodable key fails peer-cert, no crash" {
	partner zed "$F/cert-undecodable-key.pem"
	KUSCIA_ROOT=$NODE run -1 --separate-stderr kc-route-check alice-zed
	[ "${lines[1]}" = "ok peer-domain: Domain 'zed' is a partner with a certificate" ]
	[[ ${lines[2]} == "FAIL peer-cert: the certificate in Domain 'zed' is not zed's: not an RSA key -- "* ]]
	KUSCIA_ROOT=$NODE run -1 --separate-stderr kc-route-check -o json alice-zed
	jq -e '.checks[2].status == "FAIL"' <<<"$output"
}

@test "fuzz regression: cert verify: a certificate with an undecodable key is not RSA (3)" {
	run -3 --separate-stderr kc-cert verify "$F/cert-undecodable-key.pem" --domain alice
	[ -z "$output" ]
	[[ $stderr == "kc-cert: certificate "*"the key is unknown, not RSA" ]]
}

# fuzz_gateway: a Server header holding bytes that are not UTF-8 went into the probe's JSON as
# they were; jansson refused the document and kc-route-check -o json died with "out of memory
# building JSON" (4). kc_text_clean now turns such bytes into '?', as it does control characters.

@test "fuzz regression: route-check probe: a Server header that is not UTF-8 is shown with '?', JSON still printed" {
	raw_server "$F/gateway-401-not-utf8.http"
	run -8 --separate-stderr kc-route-check probe -o json "http://127.0.0.1:$(cat "$BATS_TEST_TMPDIR/port")"
	[ "${#lines[@]}" -eq 1 ]
	jq -e '.server == "kuscia-gateway?" and .exitCode == 8
		and (.stages[] | select(.check == "http") | .finding == "HTTP 401, server '"'kuscia-gateway?'"'")' <<<"$output"
	[[ $stderr != *"out of memory"* ]]
}

# an answer STATUS with a JSON BODY from a raw server; its URL in $URL
raw_http() { # STATUS BODY
	printf 'HTTP/1.1 %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
		"$1" "${#2}" "$2" >"$BATS_TEST_TMPDIR/answer.http"
	raw_server "$BATS_TEST_TMPDIR/answer.http"
	URL=http://127.0.0.1:$(cat "$BATS_TEST_TMPDIR/port")
}

# a kubeconfig for the apiserver at $URL (plain HTTP, a bearer token)
raw_kubeconfig() {
	cat >"$BATS_TEST_TMPDIR/kubeconfig" <<-YAML
		apiVersion: v1
		kind: Config
		clusters: [{name: raw, cluster: {server: "$URL"}}]
		users: [{name: raw, user: {token: not-a-secret}}]
		contexts: [{name: raw, context: {cluster: raw, user: raw}}]
		current-context: raw
	YAML
}

# fuzz_grant: a query answer with status.code 0 but no grant in it printed nothing and exited 0
# with -o text (json_pack("[O]", NULL) is NULL, an empty list to print); -o json said why (6).
# Both now read the grant first.

@test "fuzz regression: grant query: an answer without the grant is an error (6), text as json" {
	raw_http "200 OK" '{"status":{"code":0,"message":"success","details":[]}}'
	run -6 --separate-stderr kc-grant query g1 -d alice --endpoint "$URL"
	[ -z "$output" ]
	[ "$stderr" = "kc-grant: the KusciaAPI answered a grant without domaindatagrant_id, domaindata_id or grant_domain" ]
	run -6 --separate-stderr kc-grant query g1 -d alice --endpoint "$URL" -o json
	[ -z "$output" ]
	[ "$stderr" = "kc-grant: the KusciaAPI answered a grant without domaindatagrant_id, domaindata_id or grant_domain" ]
}

# after fuzz_grant: grant list printed the IDs as the KusciaAPI sent them, so an ID holding a line
# break split its grant over two lines; each field is now one line's worth, control bytes as '?'

@test "fuzz regression: grant list: a grant ID with a line break stays on its one line" {
	raw_http "200 OK" '{"status":{"code":0,"message":"success"},"data":{"domaindatagrant_list":[{"data":{"domaindatagrant_id":"g1\nevil","domaindata_id":"alice-table","grant_domain":"bob","author":"alice"},"status":{"phase":"Ready"}}]}}'
	run -0 --separate-stderr kc-grant list -d alice --endpoint "$URL"
	[ "$output" = "g1?evil alice-table bob Ready" ]
}

# fuzz_tokenreq: a TokenRequest answer whose token held a line break was printed as it was: two
# lines where create_token.sh's callers expect one token. A token is now visible ASCII or an error.

@test "fuzz regression: token sa: a token with a line break in it is the apiserver's error (6), nothing printed" {
	raw_http "201 Created" '{"kind":"TokenRequest","apiVersion":"authentication.k8s.io/v1","status":{"token":"eyJ.a\nb.c","expirationTimestamp":"2030-01-01T00:00:00Z"}}'
	raw_kubeconfig
	run -6 --separate-stderr kc-token sa alice --kubeconfig "$BATS_TEST_TMPDIR/kubeconfig"
	[ -z "$output" ]
	[ "$stderr" = "kc-token: the apiserver answered the TokenRequest with a token holding a space, line break, control character or non-ASCII byte at byte 6" ]
}

# fuzz_route: kc_route_json gave NULL for a string jansson refuses (bytes that are not UTF-8 in a
# route name, our domainID or a text) or for a route without a name: kc-route-check status -o json
# died "out of memory building JSON" (4) and list -o json silently dropped that route. Such bytes
# are now '?' and a missing name is null.

@test "fuzz regression: route-check list -o json: a ClusterDomainRoute without a name is listed, route null" {
	raw_http "200 OK" '{"apiVersion":"kuscia.secretflow/v1alpha1","kind":"ClusterDomainRouteList","items":[{"spec":{"source":"alice","destination":"bob"}},{"metadata":{"name":"alice-carol"},"spec":{"source":"alice","destination":"carol"}}]}'
	raw_kubeconfig
	run -0 --separate-stderr kc-route-check list -o json --kubeconfig "$BATS_TEST_TMPDIR/kubeconfig"
	[ -z "$stderr" ]
	jq -e '(.routes | length) == 2 and .routes[0].route == null and .routes[0].destination == "bob"
		and .routes[1].route == "alice-carol"' <<<"$output"
	run -0 --separate-stderr kc-route-check list --kubeconfig "$BATS_TEST_TMPDIR/kubeconfig"
	[ "${lines[0]}" = "- alice bob - - -" ]
}
