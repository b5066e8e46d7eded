#!/usr/bin/env bats
# the object drop-ins against the node simulator: what reaches the cluster, read back with
# real kubectl, is upstream's object; a second run changes nothing; failures apply nothing
# shellcheck disable=SC2154 # stderr_lines is set by bats' run --separate-stderr
bats_require_minimum_version 1.5.0

setup_file() {
	load helper/common
	sim_node alice
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$BATS_FILE_TMPDIR/bob.key" \
		-out "$BATS_FILE_TMPDIR/alice/var/certs/bob.domain.crt" -subj /CN=bob -days 30 2>/dev/null
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

@test "dropins: add_domain.sh bob p2p stores upstream's Domain; a second run is unchanged" {
	run -0 --separate-stderr add_domain.sh bob p2p
	[ "$output" = "domain.kuscia.secretflow/bob created" ]
	[ -z "$stderr" ]
	local want
	want=$(KC_DRY_RUN=1 add_domain.sh bob p2p | jq -cS .)
	[ "$(stored domain bob)" = "$want" ]
	[ "$(jq -r .spec.cert <<<"$want" | base64 -d)" = "$(cat "$NODE/var/certs/bob.domain.crt")" ]
	run -0 add_domain.sh bob p2p
	[ "$output" = "domain.kuscia.secretflow/bob unchanged" ]
}

@test "dropins: join_to_host.sh stores upstream's route; READY shows in kubectl get cdr" {
	run -0 join_to_host.sh alice bob https://2.2.2.2:21080
	[ "$output" = "clusterdomainroute.kuscia.secretflow/alice-bob created" ]
	[ "$(stored cdr alice-bob)" = "$(KC_DRY_RUN=1 join_to_host.sh alice bob https://2.2.2.2:21080 | jq -cS .)" ]
	run -0 join_to_host.sh alice bob https://2.2.2.2:21080
	[ "$output" = "clusterdomainroute.kuscia.secretflow/alice-bob unchanged" ]
	run -0 kc_kubectl "$NODE" get cdr alice-bob
	[[ ${lines[0]} == *NAME*SOURCE*DESTINATION*HOST*AUTHENTICATION*READY* ]]
	[[ ${lines[1]} == alice-bob*alice*bob*2.2.2.2*Token* ]]
}

@test "dropins: join_to_host.sh with -x and -t replaces the route's spec" {
	run -0 join_to_host.sh alice bob https://2.2.2.2:21080/p -x carol -t tok
	[ "$output" = "clusterdomainroute.kuscia.secretflow/alice-bob configured" ]
	[ "$(stored cdr alice-bob)" = "$(KC_DRY_RUN=1 join_to_host.sh alice bob https://2.2.2.2:21080/p -x carol -t tok | jq -cS .)" ]
	# back to the guide's form: the transit and the token are gone (server-side apply)
	run -0 join_to_host.sh alice bob https://2.2.2.2:21080
	[ "$(stored cdr alice-bob)" = "$(KC_DRY_RUN=1 join_to_host.sh alice bob https://2.2.2.2:21080 | jq -cS .)" ]
}

@test "dropins: create_cluster_domain_route.sh stores the route without a token header" {
	run -0 create_cluster_domain_route.sh alice carol http://3.3.3.3:38080
	[ "$output" = "clusterdomainroute.kuscia.secretflow/alice-carol created" ]
	[ "$(stored cdr alice-carol)" = "$(KC_DRY_RUN=1 create_cluster_domain_route.sh alice carol http://3.3.3.3:38080 | jq -cS .)" ]
	run -0 kc_kubectl "$NODE" get cdr alice-carol -o json
	jq -e '.spec.requestHeadersToAdd == null' <<<"$output"
}

@test "dropins: create_domaindata_*_table.sh store the demo tables" {
	run -0 create_domaindata_alice_table.sh alice
	[ "$output" = "domaindata.kuscia.secretflow/alice-table created" ]
	[ "$(stored domaindata alice-table -n alice)" = "$(KC_DRY_RUN=1 create_domaindata_alice_table.sh alice | jq -cS 'del(.metadata.labels)')" ]
	run -0 kc_kubectl "$NODE" get domaindata alice-table -n alice -o json
	jq -e '.metadata.labels["kuscia.secretflow/initiator"] == "alice" and (.spec.columns | length) == 25' <<<"$output"
	run -0 create_domaindata_bob_table.sh alice
	[ "$output" = "domaindata.kuscia.secretflow/bob-table created" ]
	run -0 create_domaindata_alice_table.sh alice
	[ "$output" = "domaindata.kuscia.secretflow/alice-table unchanged" ]
}

@test "dropins: a table for a domain the cluster does not know is refused by the server (6)" {
	run -6 --separate-stderr create_domaindata_alice_table.sh nowhere
	[ -z "$output" ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[ "$stderr" = "create_domaindata_alice_table.sh: domaindata.kuscia.secretflow/alice-table: namespaces \"nowhere\" not found (NotFound) -- is 'nowhere' a domain of this node? 'add_domain.sh nowhere p2p' registers a peer" ]
}

@test "dropins: create_example_job.sh starts the PSI job in cross-domain" {
	run -0 --separate-stderr create_example_job.sh PSI job-apply-1
	[ "${lines[0]}" = "With JOB_EXAMPLE=PSI, job via APP_IMAGE=secretflow-image creating ..." ]
	[ "${lines[1]}" = "kusciajob.kuscia.secretflow/job-apply-1 created" ]
	[ "${lines[2]}" = "Job 'job-apply-1' created successfully. You can use the following command to display job status:" ]
	[ "${lines[3]}" = "  kubectl get kj -n cross-domain" ]
	[[ $output != *$'\033'* ]]
	[ "$(stored kj job-apply-1 -n cross-domain)" = "$(KC_DRY_RUN=1 create_example_job.sh PSI job-apply-1 | jq -cS .)" ]
	run -0 kc_kubectl "$NODE" get kj -n cross-domain
	[[ $output == *job-apply-1* ]]
}

@test "dropins: KC_APPLY=kubectl applies the same object with kubectl" {
	KC_APPLY=kubectl run -0 create_cluster_domain_route.sh alice dave http://4.4.4.4:1
	[[ $output == *"clusterdomainroute.kuscia.secretflow/alice-dave created"* ]]
	[ "$(stored cdr alice-dave)" = "$(KC_DRY_RUN=1 create_cluster_domain_route.sh alice dave http://4.4.4.4:1 | jq -cS .)" ]
}

@test "dropins: bad input leaves the cluster as it was" {
	local before after
	before=$(kc_kubectl "$NODE" get cdr,domain -o name | sort)
	run -3 add_domain.sh Bob p2p
	run -3 add_domain.sh carol p2p
	run -2 join_to_host.sh alice bob
	run -3 join_to_host.sh alice bob https://:1
	run -2 join_to_host.sh alice zed https://2.2.2.2:1 -a Bogus
	run -3 create_cluster_domain_route.sh alice zed https://2.2.2.2:0
	after=$(kc_kubectl "$NODE" get cdr,domain -o name | sort)
	[ "$before" = "$after" ]
}

@test "dropins: the drop-ins installed in a node find KUSCIA_ROOT two levels above them" {
	make -s -C "$KC_SRC" -o all install-kuscia KUSCIA_ROOT="$NODE" >/dev/null
	run -0 env -u KUSCIA_ROOT -u KC_LIBEXEC "$NODE/scripts/deploy/create_cluster_domain_route.sh" alice erin http://5.5.5.5:1
	[ "$output" = "clusterdomainroute.kuscia.secretflow/alice-erin created" ]
	cd /
	run -0 env -u KUSCIA_ROOT -u KC_LIBEXEC -u KC_DATADIR PATH=/usr/bin:/bin "$NODE/scripts/user/create_example_job.sh" PSI job-installed
	[[ $output == *"kusciajob.kuscia.secretflow/job-installed created"* ]]
}

@test "dropins: a failed check says only its own message and status, in sh and in bash" {
	# kc-apply connects while the check runs: here to an apiserver that is down
	local port sh
	port=$("$KC_PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	sed "s#server: .*#server: https://127.0.0.1:$port#" "$NODE/etc/kubeconfig" >"$BATS_TEST_TMPDIR/kubeconfig"
	printf 'junk\n' >"$NODE/var/certs/junk.domain.crt"
	for sh in sh bash; do
		KUBECONFIG="$BATS_TEST_TMPDIR/kubeconfig" run -3 --separate-stderr "$sh" "$KC_SRC/bin/add_domain.sh" junk p2p
		[ -z "$output" ]
		[ "${#stderr_lines[@]}" -eq 1 ]
		[[ $stderr == "add_domain.sh: "*"junk.domain.crt' is not a PEM certificate"* ]]
		KUBECONFIG="$BATS_TEST_TMPDIR/kubeconfig" run -5 --separate-stderr "$sh" "$KC_SRC/bin/add_domain.sh" bob p2p
		[ "${#stderr_lines[@]}" -eq 1 ]
		[[ $stderr == "add_domain.sh: cannot reach 'https://127.0.0.1:$port/apis/kuscia.secretflow/v1alpha1/domains/bob'"* ]]
		KC_DRY_RUN=1 KUBECONFIG="$BATS_TEST_TMPDIR/kubeconfig" run -0 "$sh" "$KC_SRC/bin/create_domaindata_bob_table.sh" bob
		[ "$(jq -r .metadata.name <<<"$output")" = bob-table ]
	done
	rm "$NODE/var/certs/junk.domain.crt"
}
