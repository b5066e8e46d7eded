#!/usr/bin/env bats
# kc-apply taking over objects that kubectl's client-side apply applied (upstream's scripts):
# what kubectl's next apply would delete, kc deletes with a merge patch before its server-side
# apply. Against the node simulator with real kubectl, and against a scripted server
# (test/helper/rawhttpd.py) for the requests themselves and the 409 race.
# shellcheck disable=SC2154 # stderr is set by bats' run --separate-stderr
bats_require_minimum_version 1.5.0

setup_file() {
	load helper/common
	sim_node alice
	local id
	openssl genrsa -out "$BATS_FILE_TMPDIR/peer.key" 2048 2>/dev/null
	for id in bob carol; do
		openssl req -x509 -key "$BATS_FILE_TMPDIR/peer.key" -subj "/CN=$id" -days 30 \
			-out "$BATS_FILE_TMPDIR/alice/var/certs/$id.domain.crt" 2>/dev/null
	done
}

teardown_file() {
	load helper/common
	sim_stop_all
}

setup() {
	load helper/common
	load helper/rawhttp
	common_setup
	NODE="$BATS_FILE_TMPDIR/alice"
	export KUSCIA_ROOT="$NODE"
	PLAN=$BATS_TEST_TMPDIR/plan.json
	LOG=$BATS_TEST_TMPDIR/requests.log
	echo '[]' >"$PLAN"
	: >"$LOG"
}

teardown() {
	rawhttp_stop
}

rv() { # KUBECTL-GET-ARGS...: the stored resourceVersion
	kc_kubectl "$NODE" get "$@" -o 'jsonpath={.metadata.resourceVersion}'
}
last_applied() { # KUBECTL-GET-ARGS...: the annotation kubectl keeps
	kc_kubectl "$NODE" get "$@" -o json |
		jq -r '.metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"] // "none"'
}

# ---- against the simulator ----------------------------------------------------------------

@test "apply-takeover: add_domain.sh removes the role and protocols upstream's p2p run applied with kubectl" {
	KC_DRY_RUN=1 add_domain.sh bob p2p | kc_kubectl "$NODE" apply -f - >/dev/null
	[ "$(kc_kubectl "$NODE" get domain bob -o 'jsonpath={.spec.role}')" = partner ]
	local annotation
	annotation=$(last_applied domain bob)
	run -0 --separate-stderr add_domain.sh bob
	[ "$output" = "domain.kuscia.secretflow/bob configured" ]
	[ "$(stored domain bob)" = "$(KC_DRY_RUN=1 add_domain.sh bob 2>/dev/null | jq -cS .)" ]
	# kubectl's own record stays, for kubectl's next run
	[ "$(last_applied domain bob)" = "$annotation" ]
	# and the next run of kc has nothing left to take over
	run -0 --separate-stderr add_domain.sh bob
	[ "$output" = "domain.kuscia.secretflow/bob unchanged" ]
}

@test "apply-takeover: an object kubectl applied and kc applies unchanged is unchanged, with no patch" {
	KC_DRY_RUN=1 add_domain.sh carol p2p | kc_kubectl "$NODE" apply -f - >/dev/null
	local before
	before=$(kc_kubectl "$NODE" get domain carol -o json | jq -cS 'del(.metadata.resourceVersion)')
	run -0 --separate-stderr add_domain.sh carol p2p
	[ "$output" = "domain.kuscia.secretflow/carol unchanged" ]
	# the object as it was, kubectl's record and generation too; only the owner of its fields
	# changed (server-side apply's takeover moves the resourceVersion once, as an apiserver's)
	[ "$(kc_kubectl "$NODE" get domain carol -o json | jq -cS 'del(.metadata.resourceVersion)')" = "$before" ]
	run -0 kc_kubectl "$NODE" get domain carol -o json --show-managed-fields
	jq -e '[.metadata.managedFields[] | [.manager, .operation]] ==
		[["kubectl-client-side-apply", "Update"], ["kc", "Apply"]]' <<<"$output"
	before=$(rv domain carol)
	run -0 --separate-stderr add_domain.sh carol p2p
	[ "$output" = "domain.kuscia.secretflow/carol unchanged" ]
	[ "$(rv domain carol)" = "$before" ]
}

@test "apply-takeover: create_cluster_domain_route.sh removes the transit and token kubectl applied" {
	KC_DRY_RUN=1 join_to_host.sh alice dave https://2.2.2.2:21080 -x carol -t tok |
		kc_kubectl "$NODE" apply -f - >/dev/null
	run -0 kc_kubectl "$NODE" get cdr alice-dave -o json
	jq -e '.spec.transit.domain.domainID == "carol" and .spec.requestHeadersToAdd.Authorization == "Bearer tok"' <<<"$output"
	run -0 --separate-stderr create_cluster_domain_route.sh alice dave https://2.2.2.2:21080
	[ "$output" = "clusterdomainroute.kuscia.secretflow/alice-dave configured" ]
	[ "$(stored cdr alice-dave)" = "$(KC_DRY_RUN=1 create_cluster_domain_route.sh alice dave https://2.2.2.2:21080 | jq -cS .)" ]
	run -0 kc_kubectl "$NODE" get cdr alice-dave -o json
	jq -e '.spec.transit == null and .spec.requestHeadersToAdd == null' <<<"$output"
}

@test "apply-takeover: a long stream (read with one LIST) takes over each object, labels key by key" {
	local n
	for n in 1 2 3 4; do
		printf '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"to-%s","labels":{"team":"x","keep":"y"}}}\n' "$n"
	done >"$BATS_TEST_TMPDIR/kubectl.json"
	kc_kubectl "$NODE" apply -f "$BATS_TEST_TMPDIR/kubectl.json" >/dev/null
	kc_kubectl "$NODE" label namespace to-2 other=z >/dev/null
	jq -c 'del(.metadata.labels.team)' "$BATS_TEST_TMPDIR/kubectl.json" >"$BATS_TEST_TMPDIR/kc.json"
	run -0 --separate-stderr kc-apply -f "$BATS_TEST_TMPDIR/kc.json"
	[ "${lines[0]}" = "namespace/to-1 configured" ]
	[ "${lines[3]}" = "namespace/to-4 configured" ]
	run -0 kc_kubectl "$NODE" get namespace to-1 to-2 -o json
	jq -e '[.items[].metadata.labels | has("team")] == [false, false] and
		[.items[].metadata.labels.keep] == ["y", "y"] and .items[1].metadata.labels.other == "z"' <<<"$output"
}

@test "apply-takeover: a last-applied annotation that is not a JSON object is ignored" {
	local bad n=0
	kc_kubectl "$NODE" create namespace to-bad >/dev/null
	for bad in '{not json' '[1]' '"text"' 'null' '7' ''; do
		kc_kubectl "$NODE" annotate --overwrite namespace to-bad \
			"kubectl.kubernetes.io/last-applied-configuration=$bad" >/dev/null
		n=$((n + 1))
		run -0 --separate-stderr kc-apply <<<"{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"to-bad\",\"labels\":{\"l\":\"$n\"}}}"
		[ "$output" = "namespace/to-bad configured" ]
		[ -z "$stderr" ]
		[ "$(kc_kubectl "$NODE" get namespace to-bad -o 'jsonpath={.metadata.labels.l}')" = "$n" ]
		[ "$(last_applied namespace to-bad)" = "$bad" ]
	done
}

@test "apply-takeover: --dry-run and KC_APPLY=kubectl leave objects kubectl applied to kubectl" {
	KC_DRY_RUN=1 create_cluster_domain_route.sh alice erin http://5.5.5.5:1 |
		jq -c '.spec.transit = {"transitMethod":"THIRD-DOMAIN","domain":{"domainID":"carol"}}' |
		kc_kubectl "$NODE" apply -f - >/dev/null
	local before
	before=$(rv cdr alice-erin)
	KC_DRY_RUN=1 run -0 create_cluster_domain_route.sh alice erin http://5.5.5.5:1
	[ "$(rv cdr alice-erin)" = "$before" ]
	KC_APPLY=kubectl run -0 create_cluster_domain_route.sh alice erin http://5.5.5.5:1
	[[ $output == *"clusterdomainroute.kuscia.secretflow/alice-erin configured"* ]]
	# kubectl itself deleted the transit, from its annotation
	[ "$(stored cdr alice-erin)" = "$(KC_DRY_RUN=1 create_cluster_domain_route.sh alice erin http://5.5.5.5:1 | jq -cS .)" ]
}

# ---- against a scripted server: the requests -------------------------------------------------

reply() { # STATUS BODY: append a step answering that to the plan
	step "$(answer "$1" "$2")"
}
serve_api() { # start the scripted server and point KUBECONFIG at it
	serve
	kubeconfig "http://127.0.0.1:$PORT"
}
MERGE=application/merge-patch+json
APPLY=application/apply-patch+yaml
CONFLICT='{"kind":"Status","apiVersion":"v1","status":"Failure","message":"Operation cannot be fulfilled on domains.kuscia.secretflow \"d1\": the object has been modified; please apply your changes to the latest version and try again","reason":"Conflict","code":409}'
NOTFOUND='{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404}'
# what kc applies: Domain d1 without role, protocols, tokenGenMethod, label b, annotation old
WANT='{"apiVersion":"kuscia.secretflow/v1alpha1","kind":"Domain","metadata":{"name":"d1","labels":{"a":"1"},"annotations":{"keep":"k"}},"spec":{"master":"d1","authCenter":{"authenticationType":"Token"},"cert":"c2"}}'
# what kubectl applied before: all of the above, spec.gone and annotation gone (both since
# removed), and a status
LAST='{"apiVersion":"kuscia.secretflow/v1alpha1","kind":"Domain","metadata":{"name":"d1","labels":{"a":"1","b":"2"},"annotations":{"keep":"k","old":"o","gone":"g"}},"spec":{"role":"partner","master":"d1","authCenter":{"authenticationType":"Token","tokenGenMethod":"RSA-GEN"},"interConnProtocols":["kuscia"],"cert":"c","gone":1},"status":{"y":1}}'
live() { # RV [LAST-APPLIED]: the stored Domain d1 (with labels Kuscia's controllers add)
	jq -cn --arg rv "$1" --arg last "${2-$LAST}" '{apiVersion: "kuscia.secretflow/v1alpha1",
		kind: "Domain", metadata: {name: "d1", resourceVersion: $rv,
		labels: {a: "1", b: "2", ctl: "x"}, annotations: {keep: "k", old: "o",
		"kubectl.kubernetes.io/last-applied-configuration": $last}},
		spec: {role: "partner", master: "d1", authCenter: {authenticationType: "Token",
		tokenGenMethod: "RSA-GEN"}, interConnProtocols: ["kuscia"], cert: "c"}, status: {x: 1}}'
}

@test "apply-takeover: the merge patch nulls only what kubectl applied, kc leaves out and is still there" {
	reply '200 OK' "$(live 5)"
	reply '200 OK' "$(live 6)"
	reply '200 OK' "$(live 7)"
	serve_api
	run -0 --separate-stderr kc-apply <<<"$WANT"
	[ "$output" = "domain.kuscia.secretflow/d1 configured" ]
	[ -z "$stderr" ]
	[ "$(wc -l <"$LOG")" -eq 3 ]
	[[ $(req 2 .line) == "PATCH /apis/kuscia.secretflow/v1alpha1/domains/d1?fieldManager=kc HTTP/1.1" ]]
	[ "$(req 2 '.headers["content-type"]')" = "$MERGE" ]
	[ "$(req 2 '.body' | jq -cS .)" = "$(jq -cS . <<<'{"spec":{"role":null,"interConnProtocols":null,
		"authCenter":{"tokenGenMethod":null}},"metadata":{"resourceVersion":"5","labels":{"b":null},
		"annotations":{"old":null}}}')" ]
	[ "$(req 3 '.headers["content-type"]')" = "$APPLY" ]
	[[ $(req 3 .line) == *"fieldManager=kc&force=true"* ]]
}

@test "apply-takeover: nothing to delete sends no merge patch, and unchanged stays unchanged" {
	local want
	want=$(live 0 | jq -c 'del(.metadata.resourceVersion, .status,
		.metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"])')
	reply '200 OK' "$(live 5 "$want")"
	reply '200 OK' "$(live 5 "$want")"
	serve_api
	run -0 --separate-stderr kc-apply <<<"$want"
	[ "$output" = "domain.kuscia.secretflow/d1 unchanged" ]
	[ "$(wc -l <"$LOG")" -eq 2 ]
	[ "$(req 2 '.headers["content-type"]')" = "$APPLY" ]
}

@test "apply-takeover: a change in between (409) has the object read again and the patch recomputed" {
	reply '200 OK' "$(live 5)"
	reply '409 Conflict' "$CONFLICT"
	# someone removed the role meanwhile: the new patch leaves it out
	reply '200 OK' "$(live 6 | jq -c 'del(.spec.role)')"
	reply '200 OK' "$(live 7)"
	reply '200 OK' "$(live 8)"
	serve_api
	run -0 --separate-stderr kc-apply <<<"$WANT"
	[ "$output" = "domain.kuscia.secretflow/d1 configured" ]
	[ "$(req 2 '.body | fromjson | .metadata.resourceVersion')" = 5 ]
	[ "$(req 2 '.body | fromjson | .spec | has("role")')" = true ]
	[[ $(req 3 .line) == "GET /apis/kuscia.secretflow/v1alpha1/domains/d1 HTTP/1.1" ]]
	[ "$(req 4 '.headers["content-type"]')" = "$MERGE" ]
	[ "$(req 4 '.body | fromjson | .metadata.resourceVersion')" = 6 ]
	[ "$(req 4 '.body | fromjson | .spec | has("role")')" = false ]
	[ "$(req 5 '.headers["content-type"]')" = "$APPLY" ]
	[ "$(wc -l <"$LOG")" -eq 5 ]
}

@test "apply-takeover: three conflicts in a row are the server's error (6), and nothing is applied" {
	local i
	for i in 1 2 3; do
		reply '200 OK' "$(live "$i")"
		reply '409 Conflict' "$CONFLICT"
	done
	serve_api
	run -6 --separate-stderr kc-apply <<<"$WANT"
	[ -z "$output" ]
	[ "$stderr" = "kc-apply: domain.kuscia.secretflow/d1: Operation cannot be fulfilled on domains.kuscia.secretflow \"d1\": the object has been modified; please apply your changes to the latest version and try again (Conflict)" ]
	[ "$(wc -l <"$LOG")" -eq 6 ]
	[ "$(grep -c "$APPLY" "$LOG")" -eq 0 ]
}

@test "apply-takeover: a refused merge patch is the server's error (6), and nothing is applied" {
	reply '200 OK' "$(live 5)"
	reply '403 Forbidden' '{"kind":"Status","apiVersion":"v1","status":"Failure","message":"domains.kuscia.secretflow \"d1\" is forbidden: User \"u\" cannot patch resource","reason":"Forbidden","code":403}'
	serve_api
	run -6 --separate-stderr kc-apply <<<"$WANT"
	[ -z "$output" ]
	[[ $stderr == "kc-apply: domain.kuscia.secretflow/d1: forbidden: "*"cannot patch resource (Forbidden)" ]]
	[ "$(wc -l <"$LOG")" -eq 2 ]
}

@test "apply-takeover: a merge patch answered 200 without an object is a malformed answer (6)" {
	reply '200 OK' "$(live 5)"
	reply '200 OK' '{"kind":"Status"}'
	serve_api
	run -6 --separate-stderr kc-apply <<<"$WANT"
	[[ $stderr == "kc-apply: domain.kuscia.secretflow/d1: malformed answer to PATCH "*"?fieldManager=kc'"* ]]
	[ "$(wc -l <"$LOG")" -eq 2 ]
}

@test "apply-takeover: an object deleted before the merge patch is created" {
	reply '200 OK' "$(live 5)"
	reply '404 Not Found' "$NOTFOUND"
	reply '404 Not Found' "$NOTFOUND"
	reply '201 Created' "$(live 1 '{}')"
	serve_api
	run -0 --separate-stderr kc-apply <<<"$WANT"
	[ "$output" = "domain.kuscia.secretflow/d1 created" ]
	[ "$(req 4 '.headers["content-type"]')" = "$APPLY" ]
}
