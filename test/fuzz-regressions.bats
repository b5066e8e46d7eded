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

# a server answering every connection with the bytes of FILE; its port in $BATS_TEST_TMPDIR/port
raw_server() { # FILE
	"$KC_PYTHON" "$F/raw-answer.py" "$1" "$BATS_TEST_TMPDIR/port" </dev/null >/dev/null 2>&1 3>&- &
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
