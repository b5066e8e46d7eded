#!/usr/bin/env bats
# test/sim: the KusciaJob controller of the node simulator (CONTRACTS.md §10 "Jobs"), with only
# curl, openssl, jq and real kubectl
bats_require_minimum_version 1.5.0

# Nodes (all at --time-scale 50, so a job's grace period is 1 s unless its tasks ask for more
# resourceReservedSeconds): alice and bob, paired by hand as the P2P guide does, with
# alice-table and bob-table granted to each other; bob also holds bob-nogrant (never granted)
# and bob-late (granted by a test). carol and dave have their Domains, data and grants but no
# route until a test makes them.
setup_file() {
	load helper/common
	export BATS_NO_PARALLELIZE_WITHIN_FILE=true
	sim_node alice
	sim_node bob
	sim_node carol
	sim_node dave
	{ peer alice bob; route alice bob; table alice alice-table; } | apply alice
	{ peer bob alice; route bob alice; table bob bob-table; table bob bob-nogrant; table bob bob-late; } | apply bob
	{ peer carol dave; table carol carol-table; } | apply carol
	{ peer dave carol; table dave dave-table; } | apply dave
	grant alice alice-table bob
	grant bob bob-table alice
	grant carol carol-table dave
	grant dave dave-table carol
}

teardown_file() {
	load helper/common
	sim_stop_all
}

setup() {
	load helper/common
	D=$BATS_FILE_TMPDIR
}

port() { jq -r ".$2" "$BATS_FILE_TMPDIR/$1/sim/ports.json"; }

# apply NODE: kubectl apply, on NODE, of the JSON objects on stdin (one kubectl run)
apply() {
	jq -c . | kc_kubectl "$BATS_FILE_TMPDIR/$1" apply -f - >/dev/null
}

# peer NODE PEER: PEER's certificate into NODE; prints the Domain add_domain.sh PEER p2p applies
peer() {
	local peer=$2 dir=$BATS_FILE_TMPDIR/$1
	cp "$BATS_FILE_TMPDIR/$peer/var/certs/domain.crt" "$dir/var/certs/$peer.domain.crt"
	jq -n --arg p "$peer" --arg c "$(base64 -w0 "$dir/var/certs/$peer.domain.crt")" '{
		apiVersion: "kuscia.secretflow/v1alpha1", kind: "Domain",
		metadata: {annotations: {("domain/" + $p): "kuscia.secretflow/domain-type=embedded"}, name: $p},
		spec: {cert: $c, role: "partner", master: $p,
			authCenter: {authenticationType: "Token", tokenGenMethod: "RSA-GEN"},
			interConnProtocols: ["kuscia"]}}'
}

# route NODE PEER: prints the ClusterDomainRoute join_to_host.sh NODE PEER https://127.0.0.1:<port> applies
route() {
	jq -n --arg s "$1" --arg d "$2" --argjson port "$(port "$2" gateway)" '{
		apiVersion: "kuscia.secretflow/v1alpha1", kind: "ClusterDomainRoute",
		metadata: {name: ($s + "-" + $d)},
		spec: {source: $s, destination: $d, interConnProtocol: "kuscia",
			endpoint: {host: "127.0.0.1",
				ports: [{name: "http", protocol: "HTTP", pathPrefix: "/", isTLS: true, port: $port}]},
			authenticationType: "Token",
			tokenConfig: {tokenGenMethod: "RSA-GEN", rollingUpdatePeriod: 86400},
			requestHeadersToAdd: {Authorization: "Bearer"}}}'
}

# table NODE ID: prints a DomainData as create_domaindata_alice_table.sh applies it (fewer columns)
table() {
	jq -n --arg d "$1" --arg id "$2" '{
		apiVersion: "kuscia.secretflow/v1alpha1", kind: "DomainData",
		metadata: {labels: {"kuscia.secretflow/domaindata-type": "table",
			"kuscia.secretflow/domaindata-vendor": "manual",
			"kuscia.secretflow/interconn-protocol-type": "kuscia", "kuscia.secretflow/initiator": $d},
			name: $id, namespace: $d},
		spec: {attributes: {description: ($d + " demo data")},
			columns: [{comment: "", name: "id1", type: "str"}, {comment: "", name: "age", type: "float"}],
			dataSource: "default-data-source", name: ($id + ".csv"), type: "table",
			relativeURI: ($id + ".csv"), vendor: "manual", author: $d}}'
}

# grant NODE DATA GRANTEE: the P2P guide's curl to NODE's KusciaAPI (mTLS and the token)
grant() {
	local c=$BATS_FILE_TMPDIR/$1/var/certs out
	out=$(curl -sS --cacert "$c/ca.crt" --cert "$c/kusciaapi-client.crt" --key "$c/kusciaapi-client.key" \
		-H "Token: $(cat "$c/token")" -H 'Content-Type: application/json' \
		"https://127.0.0.1:$(port "$1" kusciaapi)/api/v1/domaindatagrant/create" \
		-d "{\"grant_domain\":\"$3\",\"description\":{\"domaindatagrant\":\"$1-$3\"},\"domain_id\":\"$1\",\"domaindata_id\":\"$2\"}")
	jq -e '.status.code == 0' <<<"$out" >/dev/null
}

# job NAME A B [INPUT-A INPUT-B [RESERVED]]: the KusciaJob create_example_job.sh PSI NAME
# applies (initiator A, parties A and B), applied on A's node; RESERVED sets the task's
# scheduleConfig.resourceReservedSeconds
job() {
	local name=$1 a=$2 b=$3 ia=${4:-$2-table} ib=${5:-$3-table}
	jq -n --arg n "$name" --arg a "$a" --arg b "$b" --arg ia "$ia" --arg ib "$ib" --arg r "${6:-}" '
	{sf_datasource_config: {($a): {id: "default-data-source"}, ($b): {id: "default-data-source"}},
	 sf_cluster_desc: {parties: [$a, $b], devices: [
		{name: "spu", type: "spu", parties: [$a, $b],
		 config: "{\"runtime_config\":{\"protocol\":\"SEMI2K\",\"field\":\"FM128\"}}"}],
		ray_fed_config: {cross_silo_comm_backend: "brpc_link"}},
	 sf_node_eval_param: {domain: "data_prep", name: "psi", version: "1.0.0"},
	 sf_input_ids: [$ia, $ib], sf_output_ids: ["psi-output", "psi-output"],
	 sf_output_uris: ["psi-output.csv", "psi-output.csv"]} as $cfg |
	{apiVersion: "kuscia.secretflow/v1alpha1", kind: "KusciaJob",
	 metadata: {namespace: "cross-domain", name: $n},
	 spec: {initiator: $a, scheduleMode: "BestEffort", maxParallelism: 2,
		tasks: [{taskID: ($n + "-single-psi"), alias: "single-psi", priority: 100,
			taskInputConfig: ($cfg | tojson), appImage: "secretflow-image",
			parties: [{domainID: $a, bandwidthLimits: [{destinationID: $b, limitKBps: 100}]},
				{domainID: $b, bandwidthLimits: [{destinationID: $a, limitKBps: 100}]}]}
			+ (if $r == "" then {} else {scheduleConfig: {resourceReservedSeconds: ($r | tonumber)}} end)]}}' |
		kc_kubectl "$BATS_FILE_TMPDIR/$a" apply -f - >/dev/null
}

# get NODE PATH: an API object's JSON, read with curl (the kubeconfig's client certificate)
get() {
	local k=$BATS_FILE_TMPDIR/$1/sim/certs
	curl -sS --cacert "$BATS_FILE_TMPDIR/$1/var/certs/ca.crt" --cert "$k/admin.crt" --key "$k/admin.key" \
		"https://127.0.0.1:$(port "$1" api)/apis/kuscia.secretflow/v1alpha1/$2"
}

kj() { get "$1" "namespaces/cross-domain/kusciajobs/$2"; }

phase() { kj "$1" "$2" | jq -r '.status.phase // ""'; }
phase_is() { [ "$(phase "$1" "$2")" = "$3" ]; }
finished() { case $(phase "$1" "$2") in Succeeded | Failed) return 0 ;; *) return 1 ;; esac }

ready() {
	get "$1" "clusterdomainroutes/$2" | jq -r '(.status.conditions // [])[] | select(.type == "Ready") | .status'
}
is_ready() { [ "$(ready "$1" "$2")" = True ]; }
routes_ready() { # A B: both routes Ready on both sides
	local n r
	for n in "$1" "$2"; do
		for r in "$1-$2" "$2-$1"; do
			poll_until 5 is_ready "$n" "$r" || return 1
		done
	done
}

logged() { grep -qF -- "$2" "$BATS_FILE_TMPDIR/$1/var/logs/kuscia.log"; }

# ---- tests ---------------------------------------------------------------------------------------

@test "sim jobs: the PSI job of create_example_job.sh succeeds; kubectl get kj shows the Phase column" {
	routes_ready alice bob
	job psi-ok alice bob
	poll_until 5 finished alice psi-ok
	run -0 kj alice psi-ok
	jq -e '.status.phase == "Succeeded" and (.status | has("message") | not)
		and .status.taskStatus == {"psi-ok-single-psi": "Succeeded"}' <<<"$output"
	run -0 kc_kubectl "$D/alice" get kj -n cross-domain psi-ok
	[[ ${lines[0]} =~ ^NAME\ +STARTTIME\ +COMPLETIONTIME\ +LASTRECONCILETIME\ +PHASE$ ]]
	[[ ${lines[1]} =~ ^psi-ok\ +[0-9]+s\ +[0-9]+s\ +[0-9]+s\ +Succeeded$ ]]
	logged alice "KusciaJob cross-domain/psi-ok: phase Running -> Succeeded"
}

@test "sim jobs: status fields: startTime, completionTime, lastReconcileTime, the JobValidated condition" {
	routes_ready alice bob
	job psi-fields alice bob
	poll_until 5 finished alice psi-fields
	run -0 kj alice psi-fields
	jq -e '.status as $s | $s.phase == "Succeeded"
		and ([$s.startTime, $s.completionTime, $s.lastReconcileTime]
			| all(test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$")))
		and $s.startTime <= $s.completionTime and $s.completionTime <= $s.lastReconcileTime
		and ($s.conditions | map(select(.type == "JobValidated" and .status == "True")) | length) == 1' <<<"$output"
	# the KusciaAPI reads the same status
	local c=$D/alice/var/certs
	run -0 curl -sS --cacert "$c/ca.crt" --cert "$c/kusciaapi-client.crt" --key "$c/kusciaapi-client.key" \
		-H "Token: $(cat "$c/token")" -H 'Content-Type: application/json' \
		"https://127.0.0.1:$(port alice kusciaapi)/api/v1/job/query" -d '{"job_id":"psi-fields"}'
	jq -e '.status.code == 0 and .data.status.state == "Succeeded"
		and .data.status.tasks[0].task_id == "psi-fields-single-psi" and .data.status.tasks[0].state == "Succeeded"
		and .data.status.end_time != ""' <<<"$output"
}

@test "sim jobs: a job whose peer data is not granted fails after the grace period, naming the grant" {
	routes_ready alice bob
	job psi-nogrant alice bob alice-table bob-nogrant
	poll_until 5 finished alice psi-nogrant
	run -0 kj alice psi-nogrant
	jq -e '.status.phase == "Failed" and .status.reason == "PartyNotReady"
		and .status.message == "DomainData bob-nogrant of bob is not granted to alice"
		and .status.taskStatus == {"psi-nogrant-single-psi": "Failed"}
		and (.status.completionTime | length) > 0' <<<"$output"
	logged alice "KusciaJob cross-domain/psi-nogrant: phase Running -> Failed, reason PartyNotReady"
}

@test "sim jobs: a job with a party that is not a known domain fails at once, naming it" {
	job psi-zed alice zed
	poll_until 5 finished alice psi-zed
	run -0 kj alice psi-zed
	jq -e '.status.phase == "Failed" and .status.reason == "KusciaJobValidateFailed"
		and .status.message == "Domain zed does not exist in alice"
		and (.status.conditions[] | select(.type == "JobValidated")
			| .status == "False" and .reason == "ValidateFailed")' <<<"$output"
}

@test "sim jobs: a job started just before the grant succeeds once the grant appears" {
	routes_ready alice bob
	job psi-late alice bob alice-table bob-late
	grant bob bob-late alice
	poll_until 5 finished alice psi-late
	phase_is alice psi-late Succeeded
}

@test "sim jobs: a job made before the routes are Ready succeeds when they become Ready in time" {
	job psi-noroute carol dave carol-table dave-table 250
	poll_until 5 phase_is carol psi-noroute Running
	route carol dave | apply carol
	route dave carol | apply dave
	poll_until 8 finished carol psi-noroute
	run -0 kj carol psi-noroute
	jq -e '.status.phase == "Succeeded"' <<<"$output"
	logged carol "KusciaJob cross-domain/psi-noroute: waiting for the parties: ClusterDomainRoute carol-dave in carol is not Ready"
}

@test "sim jobs: a job is left alone on a node that is not its initiator" {
	jq -n '{apiVersion: "kuscia.secretflow/v1alpha1", kind: "KusciaJob",
		metadata: {namespace: "cross-domain", name: "theirs"},
		spec: {initiator: "alice", tasks: [{alias: "t", taskID: "theirs-t", appImage: "i", taskInputConfig: "{}",
			parties: [{domainID: "alice"}, {domainID: "bob"}]}]}}' | kc_kubectl "$D/bob" apply -f - >/dev/null
	job ours bob zed
	poll_until 5 finished bob ours
	run -0 kj bob theirs
	jq -e 'has("status") | not' <<<"$output"
}

@test "sim jobs: a finished job stays as it is; an empty taskID is set as upstream sets it" {
	routes_ready alice bob
	jq -n '{apiVersion: "kuscia.secretflow/v1alpha1", kind: "KusciaJob",
		metadata: {namespace: "cross-domain", name: "noid"},
		spec: {initiator: "alice", tasks: [{alias: "t", appImage: "i",
			taskInputConfig: ({sf_input_ids: ["alice-table", "bob-table"]} | tojson),
			parties: [{domainID: "alice"}, {domainID: "bob"}]}]}}' | kc_kubectl "$D/alice" apply -f - >/dev/null
	poll_until 5 finished alice noid
	run -0 kj alice noid
	jq -e '.status.phase == "Succeeded" and (.spec.tasks[0].taskID | test("^noid-[0-9a-f]{12}$"))
		and .status.taskStatus == {(.spec.tasks[0].taskID): "Succeeded"}' <<<"$output"
	local before=$output
	# a change that makes the same job fail now (bob's grant gone with its table) does not touch it
	kc_kubectl "$D/bob" delete domaindata bob-table -n bob >/dev/null
	table bob bob-table | apply bob
	job psi-again alice bob
	poll_until 5 finished alice psi-again
	run -0 kj alice psi-again
	jq -e '.status.message == "DomainData bob-table of bob is not granted to alice"' <<<"$output"
	run -0 kj alice noid
	[ "$(jq -c .status <<<"$output")" = "$(jq -c .status <<<"$before")" ]
	grant bob bob-table alice
}

@test "sim jobs: after a restart, finished jobs are kept and an unfinished one resumes" {
	routes_ready alice bob
	kc_kubectl "$D/bob" delete domaindata bob-late -n bob >/dev/null
	table bob bob-late | apply bob
	job psi-resume alice bob alice-table bob-late 500
	poll_until 5 phase_is alice psi-resume Running
	local ok api ka gw
	ok=$(kj alice psi-ok | jq -c .status)
	api=$(port alice api) ka=$(port alice kusciaapi) gw=$(port alice gateway)
	"$KC_PYTHON" "$KC_SRC/test/sim/kc-sim" stop "$D/alice" >/dev/null
	"$KC_PYTHON" "$KC_SRC/test/sim/kc-sim" start "$D/alice" --api-port "$api" --kusciaapi-port "$ka" \
		--gateway-port "$gw" --time-scale 50 >/dev/null
	phase_is alice psi-resume Running
	grant bob bob-late alice
	poll_until 8 finished alice psi-resume
	phase_is alice psi-resume Succeeded
	[ "$(kj alice psi-ok | jq -c .status)" = "$ok" ]
	logged alice "KusciaJob cross-domain/psi-resume: phase Running -> Succeeded"
}
