#!/usr/bin/env bats
# kc peer add / list / rm between two simulated nodes
# shellcheck disable=SC2154 # stderr_lines is set by bats' run --separate-stderr
bats_require_minimum_version 1.5.0

setup_file() {
	load helper/common
	sim_node alice
	sim_node bob
}

teardown_file() {
	load helper/common
	sim_stop_all
}

setup() {
	load helper/common
	common_setup
	A="$BATS_FILE_TMPDIR/alice" B="$BATS_FILE_TMPDIR/bob"
	AGW="https://127.0.0.1:$(jq .gateway "$A/sim/ports.json")"
	BGW="https://127.0.0.1:$(jq .gateway "$B/sim/ports.json")"
	export KUSCIA_ROOT="$A"
}

@test "peer add: bob not yet paired back: says so, prints bob's command, exits 1" {
	run -1 --separate-stderr kc peer add bob "$BGW" --cert "$B/var/certs/domain.crt" --wait 2s \
		--self-endpoint "$AGW"
	[[ $output == *"domain.kuscia.secretflow/bob created"*"clusterdomainroute.kuscia.secretflow/alice-bob created"* ]]
	[[ $stderr == *"bob has not registered alice yet"* ]]
	[[ $stderr == *"kc peer add alice $AGW --cert alice.domain.crt"* ]]
	cmp "$A/var/certs/bob.domain.crt" "$B/var/certs/domain.crt"
	run -0 kc_kubectl "$A" get domain bob -o 'jsonpath={.spec.role}'
	[ "$output" = partner ]
}

@test "peer add: once bob runs the printed command both routes are Ready" {
	KUSCIA_ROOT="$B" run -0 --separate-stderr kc peer add alice "$AGW" --cert - <"$A/var/certs/domain.crt"
	[[ $output == *"route bob-alice is Ready"* ]]
	run -0 kc peer add bob "$BGW" --cert "$B/var/certs/domain.crt"
	[[ $output == *"domain.kuscia.secretflow/bob unchanged"*"route alice-bob is Ready"* ]]
}

@test "peer list: every peer with its route state" {
	run -0 --separate-stderr kc peer list
	[ "$output" = "bob True - $BGW/" ]
	run -0 kc peer list -o json
	jq -e '.peers | length == 1 and .[0].peer == "bob" and .[0].ready == true' <<<"$output"
	run -2 --separate-stderr kc peer list -o yaml
	[ -z "$output" ]
}

@test "peer add: a dry run prints the Domain and the route and writes nothing" {
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$BATS_TEST_TMPDIR/c.key" \
		-out "$BATS_TEST_TMPDIR/carol.crt" -subj /CN=carol -days 2 2>/dev/null
	KC_DRY_RUN=1 run -0 --separate-stderr kc peer add carol https://3.3.3.3:1 --cert "$BATS_TEST_TMPDIR/carol.crt"
	[ "${#lines[@]}" -eq 2 ]
	jq -e 'select(.kind == "Domain") | .spec.role == "partner" and .spec.interConnProtocols == ["kuscia"]' <<<"${lines[0]}"
	jq -e '.kind == "ClusterDomainRoute" and .metadata.name == "alice-carol" and .spec.endpoint.host == "3.3.3.3"
		and .spec.requestHeadersToAdd == null' <<<"${lines[1]}"
	[ ! -e "$A/var/certs/carol.domain.crt" ]
	run -1 kc_kubectl "$A" get domain carol
}

@test "peer add: bad input applies nothing" {
	local before
	before=$(kc_kubectl "$A" get cdr,domain -o name | sort)
	run -2 --separate-stderr kc peer add
	[ -z "$output" ]
	run -2 --separate-stderr kc peer add carol https://3.3.3.3:1
	[[ $stderr == *"missing --cert"* ]]
	run -2 --separate-stderr kc peer add carol https://3.3.3.3:1 --cert x --bogus
	run -3 --separate-stderr kc peer add Carol https://3.3.3.3:1 --cert "$B/var/certs/domain.crt"
	[ -z "$output" ]
	run -3 --separate-stderr kc peer add alice https://3.3.3.3:1 --cert "$A/var/certs/domain.crt"
	[[ $stderr == *"this node's own domain"* ]]
	run -3 --separate-stderr kc peer add carol 'https://:1' --cert "$B/var/certs/domain.crt"
	[[ $stderr == *"invalid endpoint"* ]]
	# an endpoint that looks like an option is an endpoint, not kc-route-check's option
	run -3 --separate-stderr kc peer add carol --cert "$B/var/certs/domain.crt" -- -h
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ $stderr == *"invalid endpoint '-h'"* ]]
	run -3 --separate-stderr kc peer add carol https://3.3.3.3:1 --cert "$B/var/certs/domain.crt" \
		--self-endpoint=--version
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ $stderr == *"invalid endpoint '--version'"* ]]
	# bob's certificate is not carol's
	run -3 --separate-stderr kc peer add carol https://3.3.3.3:1 --cert "$B/var/certs/domain.crt"
	[ -z "$output" ]
	[ ! -e "$A/var/certs/carol.domain.crt" ]
	# a different certificate for bob is refused without --force
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$BATS_TEST_TMPDIR/b.key" \
		-out "$BATS_TEST_TMPDIR/bob2.crt" -subj /CN=bob -days 2 2>/dev/null
	run -3 --separate-stderr kc peer add bob "$BGW" --cert "$BATS_TEST_TMPDIR/bob2.crt"
	[[ $stderr == *"--force"* ]]
	cmp "$A/var/certs/bob.domain.crt" "$B/var/certs/domain.crt"
	[ "$before" = "$(kc_kubectl "$A" get cdr,domain -o name | sort)" ]
}

@test "peer rm: deletes our route and bob's Domain; a second rm is a no-op" {
	run -0 --separate-stderr kc peer rm bob
	[ "${lines[0]}" = "clusterdomainroute.kuscia.secretflow/alice-bob deleted" ]
	[ "${lines[1]}" = "domain.kuscia.secretflow/bob deleted" ]
	run -1 kc_kubectl "$A" get cdr alice-bob
	run -1 kc_kubectl "$A" get domain bob
	run -0 kc peer list
	[ -z "$output" ]
	run -0 kc peer rm bob
	[ -z "$output" ]
	run -3 --separate-stderr kc peer rm 'b/b'
	run -2 --separate-stderr kc peer rm
	run -2 --separate-stderr kc peer frob
}
