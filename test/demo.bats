#!/usr/bin/env bats
# make demo: the whole tutorial between two simulated nodes, and it cleans up after itself
bats_require_minimum_version 1.5.0

setup() {
	load helper/common
	common_setup
}

@test "demo: pairs alice and bob, grants both ways, and the PSI job succeeds" {
	export TMPDIR="$BATS_TEST_TMPDIR"
	run -0 --separate-stderr sh "$KC_SRC/mk/demo"
	[[ $output == *"alice\$ add_domain.sh bob p2p"*"domain.kuscia.secretflow/bob created"* ]]
	[[ $output == *"bob\$ join_to_host.sh bob alice https://127.0.0.1:"* ]]
	[[ $output == *"alice-bob   alice    bob"*"True"* ]]
	[[ $output == *"create_domaindatagrant.sh alice alice-table bob"* ]]
	[[ $output == *"demo-psi"*"Succeeded"* ]]
	# no node folder or process left behind
	local left
	left=$(find "$BATS_TEST_TMPDIR" -maxdepth 1 -name 'kc-demo.*')
	[ -z "$left" ]
	run -1 pgrep -f "kc-sim.*$BATS_TEST_TMPDIR"
}
