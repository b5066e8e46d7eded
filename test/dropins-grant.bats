#!/usr/bin/env bats
# create_domaindatagrant.sh (the P2P guide's grant curl) against the node simulator
# shellcheck disable=SC2154 # stderr is set by bats' run --separate-stderr
bats_require_minimum_version 1.5.0

# alice: protocol MTLS (the default), nora: NOTLS; both hold the demo table alice-table
setup_file() {
	load helper/common
	grant_nodes nora
}

teardown_file() {
	load helper/common
	sim_stop_all
}

setup() {
	load helper/common
	common_setup
	NODE=$BATS_FILE_TMPDIR/alice
	export KUSCIA_ROOT=$NODE
}

# the grants in namespace NS (default alice) to GRANTEE, as kubectl sees them
grants_to() { # GRANTEE [NS]
	kc_kubectl "$BATS_FILE_TMPDIR/${2:-alice}" get ddg -n "${2:-alice}" \
		-l "kuscia.secretflow/domaindatagrant-domain=$1" -o json
}

@test "create_domaindatagrant.sh: grants the table with the guide's description" {
	run -0 --separate-stderr create_domaindatagrant.sh alice alice-table bob
	[ -z "$stderr" ]
	[[ $output =~ ^domaindatagrant\ (domaindatagrant-[0-9a-f]{32})\ created$ ]]
	id=${BASH_REMATCH[1]}
	run -0 grants_to bob
	jq -e --arg id "$id" '.items | length == 1 and .[0].metadata.name == $id and
		.[0].spec == {"author":"alice","domainDataID":"alice-table","grantDomain":"bob",
		"description":{"domaindatagrant":"alice-bob"}}' <<<"$output"
}

@test "create_domaindatagrant.sh: a second run creates no second grant" {
	run -0 create_domaindatagrant.sh alice alice-table carl
	id=${output#domaindatagrant }
	id=${id% created}
	run -0 --separate-stderr create_domaindatagrant.sh alice alice-table carl
	[ "$output" = "domaindatagrant $id unchanged" ]
	[ -z "$stderr" ]
	run -0 grants_to carl
	jq -e '.items | length == 1' <<<"$output"
}

@test "create_domaindatagrant.sh: a grant made by the guide's curl counts as present" {
	local c=$NODE/var/certs port
	port=$(jq .kusciaapi "$NODE/sim/ports.json")
	printf 'Token: %s\n' "$(cat "$c/token")" >"$BATS_TEST_TMPDIR/hdr"
	run -0 curl -sS --cacert "$c/ca.crt" --cert "$c/ca.crt" --key "$c/ca.key" \
		-H @"$BATS_TEST_TMPDIR/hdr" -H 'Content-Type: application/json' \
		"https://127.0.0.1:$port/api/v1/domaindatagrant/create" \
		-d '{"grant_domain":"dora","description":{"domaindatagrant":"alice-dora"},"domain_id":"alice","domaindata_id":"alice-table"}'
	id=$(jq -er .data.domaindatagrant_id <<<"$output")
	run -0 --separate-stderr create_domaindatagrant.sh alice alice-table dora
	[ "$output" = "domaindatagrant $id unchanged" ]
}

@test "create_domaindatagrant.sh: KC_DRY_RUN prints exactly the guide's body, contacts nothing" {
	KC_KUSCIAAPI=https://127.0.0.1:1 KC_DRY_RUN=1 run -0 --separate-stderr create_domaindatagrant.sh alice alice-table bob
	[ "$output" = '{"grant_domain":"bob","description":{"domaindatagrant":"alice-bob"},"domain_id":"alice","domaindata_id":"alice-table"}' ]
	[ -z "$stderr" ]
	none=$BATS_TEST_TMPDIR/none # no node, no token, no kuscia.yaml
	KUSCIA_ROOT=$none KC_DRY_RUN=yes run -0 create_domaindatagrant.sh bob bob-table alice
	[ "$output" = '{"grant_domain":"alice","description":{"domaindatagrant":"bob-alice"},"domain_id":"bob","domaindata_id":"bob-table"}' ]
	KUSCIA_ROOT=$none KC_DRY_RUN=1 run -3 create_domaindatagrant.sh bob Bob-table alice
	KUSCIA_ROOT=$none KC_DRY_RUN=0 run -4 create_domaindatagrant.sh bob bob-table alice
}

@test "create_domaindatagrant.sh: a NOTLS node is granted over plain HTTP" {
	KUSCIA_ROOT=$BATS_FILE_TMPDIR/nora run -0 --separate-stderr create_domaindatagrant.sh nora alice-table bob
	[[ $output == "domaindatagrant "*" created" ]]
	run -0 grants_to bob nora
	jq -e '.items[0].spec.description == {"domaindatagrant":"nora-bob"}' <<<"$output"
}

@test "create_domaindatagrant.sh: missing or extra operands are usage errors (2), one line" {
	run -2 --separate-stderr create_domaindatagrant.sh
	[ "$stderr" = "create_domaindatagrant.sh: missing argument: DOMAIN_ID -- e.g. create_domaindatagrant.sh alice alice-table bob" ]
	[ -z "$output" ]
	run -2 --separate-stderr create_domaindatagrant.sh alice
	[ "$stderr" = "create_domaindatagrant.sh: missing argument: DOMAINDATA_ID -- e.g. create_domaindatagrant.sh alice alice-table bob" ]
	run -2 --separate-stderr create_domaindatagrant.sh alice alice-table
	[ "$stderr" = "create_domaindatagrant.sh: missing argument: GRANT_DOMAIN -- the domain to grant 'alice-table' to" ]
	run -2 --separate-stderr create_domaindatagrant.sh alice alice-table bob carl
	[ "$stderr" = "create_domaindatagrant.sh: too many arguments: 'carl' -- give DOMAIN_ID DOMAINDATA_ID GRANT_DOMAIN" ]
}

@test "create_domaindatagrant.sh: invalid IDs are bad input (3), nothing granted" {
	run -3 --separate-stderr create_domaindatagrant.sh Alice alice-table bob
	[ "$stderr" = "create_domaindatagrant.sh: invalid DOMAIN_ID 'Alice': use only lower-case letters, digits and '-'" ]
	[ -z "$output" ]
	run -3 --separate-stderr create_domaindatagrant.sh alice alice_table bob
	[ "$stderr" = "create_domaindatagrant.sh: invalid DomainData ID 'alice_table': use only lower-case letters, digits, '-' and '.'" ]
	run -3 --separate-stderr create_domaindatagrant.sh alice alice-table cross-domain
	[ "$stderr" = "create_domaindatagrant.sh: invalid GRANT_DOMAIN 'cross-domain': it is reserved by Kuscia" ]
	run -3 --separate-stderr create_domaindatagrant.sh alice alice-table alice
	[ "$stderr" = "create_domaindatagrant.sh: cannot grant 'alice-table' of domain 'alice' to 'alice' itself -- give the peer that may use it as GRANT_DOMAIN" ]
	run -0 grants_to alice
	jq -e '.items == []' <<<"$output"
}

@test "create_domaindatagrant.sh: unknown DomainData is the KusciaAPI's error (6), saying how to make it" {
	run -6 --separate-stderr create_domaindatagrant.sh alice no-table erin
	[ "$stderr" = "create_domaindatagrant.sh: cannot grant 'no-table' of domain 'alice' to 'erin': domaindata [no-table] not exists (KusciaAPI code 11100) -- create DomainData 'no-table' in domain 'alice' first" ]
	[ -z "$output" ]
	# the demo tables have their script
	run -6 --separate-stderr create_domaindatagrant.sh alice bob-table erin
	[ "$stderr" = "create_domaindatagrant.sh: cannot grant 'bob-table' of domain 'alice' to 'erin': domaindata [bob-table] not exists (KusciaAPI code 11100) -- create it first: create_domaindata_bob_table.sh alice" ]
	run -0 grants_to erin
	jq -e '.items == []' <<<"$output"
}

@test "create_domaindatagrant.sh: a wrong token is a clear error (6)" {
	c=$BATS_TEST_TMPDIR/copy
	mkdir -p "$c" && cp -R "$NODE/etc" "$NODE/var" "$c/"
	printf 'not-the-token' >"$c/var/certs/token"
	KUSCIA_ROOT=$c run -6 --separate-stderr create_domaindatagrant.sh alice alice-table bob
	[[ $stderr == "create_domaindatagrant.sh: the KusciaAPI at '"*"' refused the token (HTTP 401)"* ]]
	[[ $stderr != *not-the-token* ]]
	[ -z "$output" ]
}

@test "create_domaindatagrant.sh: --help prints the help" {
	run -0 --separate-stderr create_domaindatagrant.sh --help
	[ "${lines[0]}" = "Usage: create_domaindatagrant.sh DOMAIN_ID DOMAINDATA_ID GRANT_DOMAIN" ]
	[[ $output == *"creates no second grant"* ]]
	[ -z "$stderr" ]
}
