#!/usr/bin/env bats
# kc doctor on a healthy and on broken nodes
# shellcheck disable=SC2154,SC2030,SC2031 # bats sets stderr_lines; each test is its own subshell
bats_require_minimum_version 1.5.0

setup_file() {
	load helper/common
	sim_node alice
	sim_node bob
	local a="$BATS_FILE_TMPDIR/alice" b="$BATS_FILE_TMPDIR/bob"
	PATH="$KC_SRC/bin:$KC_SRC/libexec:$PATH"
	KUSCIA_ROOT=$a kc peer add bob "https://127.0.0.1:$(jq .gateway "$b/sim/ports.json")" \
		--cert "$b/var/certs/domain.crt" --wait 1s >/dev/null 2>&1 || true
	KUSCIA_ROOT=$b kc peer add alice "https://127.0.0.1:$(jq .gateway "$a/sim/ports.json")" \
		--cert "$a/var/certs/domain.crt" --wait 10s >/dev/null
	KUSCIA_ROOT=$a kc route-check status alice-bob --wait 10s >/dev/null
}

teardown_file() {
	load helper/common
	sim_stop_all
}

setup() {
	load helper/common
	common_setup
	A="$BATS_FILE_TMPDIR/alice"
	export KUSCIA_ROOT="$A"
}

@test "doctor: a healthy paired node passes every check" {
	run -0 --separate-stderr kc doctor
	[ -z "$stderr" ]
	[[ ${lines[0]} == "ok node: $A" ]]
	[[ $output == *"ok domain-cert: "* ]]
	[[ $output == *"ok token: "* ]]
	[[ $output == *"ok apiserver: "* ]]
	[[ $output == *"ok kusciaapi: "* ]]
	[[ $output == *"ok route alice-bob: Ready"* ]]
	run -0 kc doctor -o json
	jq -e '.ok == true and (.checks | length) >= 9 and all(.checks[]; .status == "ok")' <<<"$output"
}

@test "doctor: a broken token and a missing apiserver are FAILs (1), routes skipped" {
	cp -a "$A" "$BATS_TEST_TMPDIR/copy"
	export KUSCIA_ROOT="$BATS_TEST_TMPDIR/copy"
	printf 'not a token' >"$KUSCIA_ROOT/var/certs/token"
	# an apiserver that is not there
	sed -i 's#server: https://127.0.0.1:[0-9]*#server: https://127.0.0.1:1#' "$KUSCIA_ROOT/etc/kubeconfig"
	run -1 --separate-stderr kc doctor
	[[ $output == *"FAIL token: "* ]]
	[[ $output == *"FAIL apiserver: cannot reach"*" -- "* ]]
	[[ $output == *"skip routes: "* ]]
	run -1 kc doctor -o json
	jq -e '.ok == false and any(.checks[]; .check == "token" and .status == "FAIL" and (.fix | length) > 0)' <<<"$output"
}

@test "doctor: domain.crt that does not match domain.key is a FAIL naming the key" {
	cp -a "$A" "$BATS_TEST_TMPDIR/copy"
	export KUSCIA_ROOT="$BATS_TEST_TMPDIR/copy"
	openssl genrsa -out "$KUSCIA_ROOT/var/certs/domain.key" 2048 2>/dev/null
	run -1 kc doctor
	[[ $output == *"FAIL domain-cert: "*"key"* ]]
	[[ $output == *"warn token: "* ]]
}

@test "doctor: a route that is not Ready is a FAIL with its reason and fix" {
	run -0 kc_kubectl "$A" apply -f - <<-'EOF'
		{"apiVersion":"kuscia.secretflow/v1alpha1","kind":"ClusterDomainRoute","metadata":{"name":"alice-zed"},
		 "spec":{"source":"alice","destination":"zed","endpoint":{"host":"127.0.0.1","ports":[{"name":"http","protocol":"HTTP","port":1}]},
		 "authenticationType":"Token","tokenConfig":{"tokenGenMethod":"RSA-GEN"}}}
	EOF
	run -1 kc doctor
	[[ $output == *"FAIL route alice-zed: not Ready"*" -- "* ]]
	[[ $output == *"ok route alice-bob: Ready"* ]]
	kc_kubectl "$A" delete cdr alice-zed >/dev/null
}

@test "doctor: no node folder: the checks cannot run (4); usage errors (2)" {
	KUSCIA_ROOT="$BATS_TEST_TMPDIR/none" run -4 --separate-stderr kc doctor
	[ -z "$output" ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ $stderr == "kc-doctor: no node folder"* ]]
	run -2 --separate-stderr kc doctor -o yaml
	[ -z "$output" ]
	run -2 --separate-stderr kc doctor extra
	run -0 kc doctor --help
	[[ ${lines[0]} == "Usage: kc doctor"* ]]
}
