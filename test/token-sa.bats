#!/usr/bin/env bats
# kc-token sa and create_token.sh: service-account tokens through the TokenRequest API
# shellcheck disable=SC2154 # stderr_lines is set by bats' run --separate-stderr
bats_require_minimum_version 1.5.0

setup_file() {
	load helper/common
	sim_node alice
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$BATS_FILE_TMPDIR/bob.key" \
		-out "$BATS_FILE_TMPDIR/alice/var/certs/bob.domain.crt" -subj /CN=bob -days 30 2>/dev/null
	KUSCIA_ROOT="$BATS_FILE_TMPDIR/alice" PATH="$KC_SRC/bin:$PATH" add_domain.sh bob p2p >/dev/null
}

teardown_file() {
	load helper/common
	sim_stop_all
}

setup() {
	load helper/common
	common_setup
	NODE="$BATS_FILE_TMPDIR/alice"
	export KUSCIA_ROOT="$NODE"
}

claims() { # JWT: its payload as JSON
	local p
	p=$(cut -d. -f2 <<<"$1" | tr '_-' '/+')
	while [ $((${#p} % 4)) -ne 0 ]; do p="$p="; done
	base64 -d <<<"$p"
}

@test "create_token.sh: a 10-year token for the partner's service account, as kubectl's" {
	run -0 --separate-stderr create_token.sh bob
	[ -z "$stderr" ]
	[ "${#lines[@]}" -eq 1 ]
	local c
	c=$(claims "$output")
	jq -e '.["kubernetes.io"].namespace == "bob" and .["kubernetes.io"].serviceaccount.name == "bob"
		and (.exp - .iat) == 315360000' <<<"$c"
	# the apiserver accepts it as that service account (403 names it, as RBAC would)
	run -0 curl -sk -H "Authorization: Bearer $output" \
		"https://127.0.0.1:$(jq .api "$NODE/sim/ports.json")/api/v1/namespaces"
	[[ $output == *"system:serviceaccount:bob:bob"* ]]
}

@test "create_token.sh: no line break after the token, as kubectl create token, but on a terminal" {
	create_token.sh bob >"$BATS_TEST_TMPDIR/tok"
	[ "$(tail -c 1 "$BATS_TEST_TMPDIR/tok" | od -An -tx1 | tr -d ' ')" != 0a ]
	jq -e '.["kubernetes.io"].serviceaccount.name == "bob"' <<<"$(claims "$(cat "$BATS_TEST_TMPDIR/tok")")"
	kc-token sa bob --no-newline >"$BATS_TEST_TMPDIR/tok"
	[ "$(tail -c 1 "$BATS_TEST_TMPDIR/tok" | od -An -tx1 | tr -d ' ')" != 0a ]
	# kc's own command ends its line
	kc-token sa bob >"$BATS_TEST_TMPDIR/tok"
	[ "$(tail -c 1 "$BATS_TEST_TMPDIR/tok" | od -An -tx1 | tr -d ' ')" = 0a ]
	[ "$(wc -l <"$BATS_TEST_TMPDIR/tok")" -eq 1 ]
	command -v script >/dev/null || skip "script(1) is not installed"
	run -0 script -qec "create_token.sh bob" /dev/null
	[[ $output == *$'\r' ]] # the terminal's CR LF: a line was ended
}

@test "kc-token sa: --duration in Go syntax, -n for another namespace" {
	run -0 kc-token sa bob --duration 1h30m
	jq -e '(.exp - .iat) == 5400' <<<"$(claims "$output")"
	run -0 kc token sa default -n bob --duration 10m
	jq -e '.["kubernetes.io"].serviceaccount.name == "default"' <<<"$(claims "$output")"
}

@test "kc-token sa: KC_DRY_RUN prints the TokenRequest and contacts nothing" {
	KC_DRY_RUN=1 KUSCIA_ROOT=/nonexistent run -0 --separate-stderr create_token.sh bob
	[ "$output" = '{"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{"expirationSeconds":315360000}}' ]
	[ -z "$stderr" ]
}

@test "create_token.sh: an unknown service account is the server's error (6), one line" {
	run -6 --separate-stderr create_token.sh zed
	[ -z "$output" ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[ "$stderr" = "create_token.sh: cannot create a token for serviceaccount 'zed' in namespace 'zed': serviceaccounts \"zed\" not found (NotFound) -- is 'zed' a partner domain of this node? 'add_domain.sh zed p2p' registers one, with its service account" ]
}

@test "create_token.sh: bad or missing DOMAIN_ID, no kubeconfig" {
	run -2 --separate-stderr create_token.sh
	[ -z "$output" ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	run -3 --separate-stderr create_token.sh 'B/b'
	[ -z "$output" ]
	KUSCIA_ROOT="$BATS_TEST_TMPDIR/none" run -4 --separate-stderr create_token.sh bob
	[ -z "$output" ]
	[ "$stderr" = "create_token.sh: no kubeconfig found: tried \$KUBECONFIG, '$BATS_TEST_TMPDIR/none/etc/kubeconfig' and ~/.kube/config -- set KUSCIA_ROOT to the node's Kuscia home, or KUBECONFIG" ]
}

@test "kc-token sa: usage errors (2)" {
	run -2 --separate-stderr kc-token sa
	[ -z "$output" ]
	run -2 --separate-stderr kc-token sa bob --duration 5x
	[[ $stderr == *"invalid --duration '5x'"* ]]
	run -2 --separate-stderr kc-token sa bob --duration 1s
	run -2 --separate-stderr kc-token sa bob extra
	run -2 --separate-stderr kc-token kusciaapi --duration 1h
	run -2 --separate-stderr kc-token sa bob --key x
	run -2 --separate-stderr kc-token lite bob --no-newline
	[[ $stderr == *"--no-newline go with sa only"* ]]
}
