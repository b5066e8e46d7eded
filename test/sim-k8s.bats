#!/usr/bin/env bats
# The simulator's Kubernetes API, driven by real kubectl, curl and jq only (not kc).
# shellcheck disable=SC2154 # stderr is set by bats' run --separate-stderr
bats_require_minimum_version 1.5.0

setup_file() {
	load helper/common
	sim_node alice
	sim_node bob
	export A="$BATS_FILE_TMPDIR/alice" B="$BATS_FILE_TMPDIR/bob"
}

teardown_file() {
	load helper/common
	sim_stop_all
}

setup() {
	load helper/common
	common_setup
}

# api DIR PATH [CURL ARGS...]: the node's API with the kubeconfig's client certificate
api() {
	local dir=$1 path=$2
	shift 2
	curl -sS --cacert "$dir/var/certs/ca.crt" --cert "$dir/sim/certs/admin.crt" --key "$dir/sim/certs/admin.key" \
		"$@" "https://127.0.0.1:$(jq .api "$dir/sim/ports.json")$path"
}

domain_json() { # domain_json ID CERTFILE [ROLE]
	jq -nc --arg id "$1" --arg cert "$(base64 -w0 "$2")" --arg role "${3-partner}" \
		'{apiVersion:"kuscia.secretflow/v1alpha1",kind:"Domain",
		  metadata:{name:$id,annotations:{("domain/"+$id):"kuscia.secretflow/domain-type=embedded"}},
		  spec:{cert:$cert,role:(if $role=="" then null else $role end),master:$id,
		        authCenter:{authenticationType:"Token",tokenGenMethod:"RSA-GEN"},interConnProtocols:["kuscia"]}}'
}

cdr_json() { # cdr_json SRC DST HOST
	jq -nc --arg s "$1" --arg d "$2" --arg h "$3" \
		'{apiVersion:"kuscia.secretflow/v1alpha1",kind:"ClusterDomainRoute",metadata:{name:($s+"-"+$d)},
		  spec:{source:$s,destination:$d,interConnProtocol:"kuscia",
		        endpoint:{host:$h,ports:[{name:"http",protocol:"HTTP",pathPrefix:"/",isTLS:true,port:21080}]},
		        authenticationType:"Token",tokenConfig:{tokenGenMethod:"RSA-GEN",rollingUpdatePeriod:86400},
		        requestHeadersToAdd:{Authorization:"Bearer"}}}'
}

domaindata_json() { # domaindata_json NS NAME
	jq -nc --arg ns "$1" --arg n "$2" \
		'{apiVersion:"kuscia.secretflow/v1alpha1",kind:"DomainData",
		  metadata:{name:$n,namespace:$ns,labels:{"kuscia.secretflow/domaindata-type":"table"}},
		  spec:{attributes:{description:"demo"},columns:[{comment:"",name:"id1",type:"str"}],
		        dataSource:"default-data-source",name:"alice.csv",type:"table",relativeURI:"alice.csv",
		        vendor:"manual",author:$ns}}'
}

@test "k8s: an anonymous request gets 401 Unauthorized as a Status" {
	run -0 curl -sS --cacert "$A/var/certs/ca.crt" -w '\n%{http_code}' "https://127.0.0.1:$(jq .api "$A/sim/ports.json")/version"
	[ "${lines[1]}" = 401 ]
	jq -e '.kind == "Status" and .code == 401 and .reason == "Unauthorized" and .message == "Unauthorized"' <<<"${lines[0]}"
}

@test "k8s: plain HTTP to the API port gets Go's 400 answer" {
	run -0 curl -sS -w '%{http_code}' "http://127.0.0.1:$(jq .api "$A/sim/ports.json")/version"
	[[ $output == *"Client sent an HTTP request to an HTTPS server."*400 ]]
}

@test "k8s: a client certificate of the node CA without system:masters gets 403" {
	run -0 curl -sS --cacert "$A/var/certs/ca.crt" --cert "$A/var/certs/kusciaapi-client.crt" \
		--key "$A/var/certs/kusciaapi-client.key" "https://127.0.0.1:$(jq .api "$A/sim/ports.json")/apis/kuscia.secretflow/v1alpha1/domains"
	jq -e '.code == 403 and .reason == "Forbidden" and (.message | contains("User \"KusciaAPIClient\" cannot list resource \"domains\""))' <<<"$output"
}

@test "k8s: /version reports v1.32 and kubectl sees it" {
	run -0 api "$A" /version
	jq -e '.gitVersion | startswith("v1.32.")' <<<"$output"
	run -0 kc_kubectl "$A" version -o json
	jq -e '.serverVersion.minor == "32"' <<<"$output"
}

@test "k8s: discovery lists the Kuscia kinds with their short names and verbs" {
	run -0 kc_kubectl "$A" api-resources --api-group kuscia.secretflow -o name
	for r in domains clusterdomainroutes domainroutes domaindatas domaindatagrants domaindatasources kusciajobs kusciatasks; do
		[[ $output == *"$r.kuscia.secretflow"* ]]
	done
	run -0 api "$A" /apis/kuscia.secretflow/v1alpha1
	jq -e '[.resources[] | select(.shortNames) | .shortNames[0]] | sort == ["cdr","ddg","dds","dr","gw","kdd","kj","kt"]' <<<"$output"
	jq -e '.resources[] | select(.name == "clusterdomainroutes/status") | .verbs == ["get","patch","update"]' <<<"$output"
	run -0 api "$A" /openapi/v3
	url=$(jq -r '.paths["apis/kuscia.secretflow/v1alpha1"].serverRelativeURL' <<<"$output")
	run -0 api "$A" "$url"
	jq -e '.paths["/apis/kuscia.secretflow/v1alpha1/domains/{name}"].patch.parameters | map(.name) | index("fieldValidation")' <<<"$output"
}

@test "k8s: init created the node's namespaces, Domain and default data source" {
	run -0 kc_kubectl "$A" get ns alice cross-domain -o name
	[ "$output" = $'namespace/alice\nnamespace/cross-domain' ]
	run -0 kc_kubectl "$A" get domain alice -o jsonpath='{.spec.cert}'
	[ "$output" = "$(base64 -w0 "$A/var/certs/domain.crt")" ]
	run -0 kc_kubectl "$A" get dds default-data-source -n alice -o json
	jq -e '.spec.type == "localfs" and (.spec.data.path | endswith("/var/storage/data"))' <<<"$output"
}

@test "k8s: a partner Domain brings namespace, ServiceAccount and the reverse route" {
	run -0 kc_kubectl "$A" apply -f - <<<"$(domain_json bob "$B/var/certs/domain.crt")"
	[ "$output" = "domain.kuscia.secretflow/bob created" ]
	run -0 api "$A" /api/v1/namespaces/bob/serviceaccounts/bob -f
	run -0 api "$A" /apis/kuscia.secretflow/v1alpha1/clusterdomainroutes/bob-alice -f
	jq -e '.spec.source == "bob" and .spec.destination == "alice" and (.spec.endpoint == null)
		and .spec.authenticationType == "Token" and .spec.tokenConfig.tokenGenMethod == "RSA-GEN"
		and .spec.tokenConfig.rollingUpdatePeriod == 86400
		and (.spec.requestHeadersToAdd.Authorization | startswith("Bearer ey"))
		and .metadata.labels["kuscia.secretflow/clusterdomainroute-source"] == "bob"
		and .metadata.labels["kuscia.secretflow/clusterdomainroute-destination"] == "alice"
		and .metadata.ownerReferences[0].kind == "Domain" and .metadata.ownerReferences[0].name == "bob"' <<<"$output"
	jwt=$(jq -r '.spec.requestHeadersToAdd.Authorization | ltrimstr("Bearer ") | split(".")[1]' <<<"$output")
	pad=$(( (4 - ${#jwt} % 4) % 4 ))
	payload=$(printf '%s%s' "$jwt" "$(head -c "$pad" /dev/zero | tr '\0' '=')" | tr '_-' '/+' | base64 -d)
	jq -e '.sub == "system:serviceaccount:bob:bob"' <<<"$payload"
	run -0 api "$A" /apis/kuscia.secretflow/v1alpha1/domains/bob
	jq -e '.metadata.labels["kuscia.secretflow/domain-auth"] == "completed"' <<<"$output"
}

@test "k8s: a null role is dropped and makes no reverse route" {
	run -0 kc_kubectl "$A" apply -f - <<<"$(domain_json carol "$B/var/certs/domain.crt" "")"
	run -0 api "$A" /apis/kuscia.secretflow/v1alpha1/domains/carol
	jq -e '(.spec | has("role") | not) and .spec.master == "carol"' <<<"$output"
	run -0 api "$A" /apis/kuscia.secretflow/v1alpha1/clusterdomainroutes/carol-alice
	jq -e '.code == 404' <<<"$output"
	run -0 api "$A" /api/v1/namespaces/carol
	jq -e '.metadata.labels["kuscia.secretflow/domain-name"] == "carol" and (.metadata.labels | has("kuscia.secretflow/role") | not)' <<<"$output"
	run -0 api "$A" /apis/kuscia.secretflow/v1alpha1/domains/carol -X DELETE -f
}

@test "k8s: get cdr prints the printer columns; -o jsonpath the plain object" {
	run -0 kc_kubectl "$A" apply -f - <<<"$(cdr_json alice dave 2.2.2.2)"
	run -0 kc_kubectl "$A" get cdr alice-dave
	[[ ${lines[0]} =~ ^NAME\ +SOURCE\ +DESTINATION\ +HOST\ +AUTHENTICATION\ +READY$ ]]
	[[ ${lines[1]} =~ ^alice-dave\ +alice\ +dave\ +2\.2\.2\.2\ +Token ]]
	run -0 kc_kubectl "$A" get cdr alice-dave -o jsonpath='{.spec.endpoint.ports[0].port}'
	[ "$output" = 21080 ]
	run -0 kc_kubectl "$A" apply -f - <<<"$(cdr_json alice dave 2.2.2.2)"
	[ "$output" = "clusterdomainroute.kuscia.secretflow/alice-dave unchanged" ]
	run -0 kc_kubectl "$A" apply -f - <<<"$(cdr_json alice dave 3.3.3.3)"
	[ "$output" = "clusterdomainroute.kuscia.secretflow/alice-dave configured" ]
	run -0 api "$A" /apis/kuscia.secretflow/v1alpha1/clusterdomainroutes/alice-dave
	jq -e '.spec.endpoint.host == "3.3.3.3" and .metadata.generation == 2' <<<"$output"
	run -0 kc_kubectl "$A" delete cdr alice-dave
	[ "$output" = 'clusterdomainroute.kuscia.secretflow "alice-dave" deleted' ]
}

@test "k8s: get of a missing object is a 404 Status naming it" {
	run -1 --separate-stderr kc_kubectl "$A" get cdr nope
	[ "$stderr" = 'Error from server (NotFound): clusterdomainroutes.kuscia.secretflow "nope" not found' ]
	run -0 api "$A" /apis/kuscia.secretflow/v1alpha1/namespaces/alice/domaindatas/nope
	jq -e '.code == 404 and .reason == "NotFound" and .details == {"name":"nope","group":"kuscia.secretflow","kind":"domaindatas"}' <<<"$output"
	run -0 api "$A" /apis/kuscia.secretflow/v1alpha1/nothings
	jq -e '.code == 404 and .message == "the server could not find the requested resource"' <<<"$output"
}

@test "k8s: creating an existing object is a 409 AlreadyExists" {
	run -0 kc_kubectl "$A" create -f - <<<"$(domaindata_json alice t409)"
	run -1 --separate-stderr kc_kubectl "$A" create -f - <<<"$(domaindata_json alice t409)"
	[[ $stderr == *'(AlreadyExists)'*'domaindatas.kuscia.secretflow "t409" already exists' ]]
}

@test "k8s: an update with a stale resourceVersion is a 409 Conflict" {
	run -0 kc_kubectl "$A" create -f - <<<"$(domaindata_json alice t-rv)"
	run -0 api "$A" /apis/kuscia.secretflow/v1alpha1/namespaces/alice/domaindatas/t-rv
	stale=$(jq -c '.metadata.resourceVersion = "1"' <<<"$output")
	run -0 api "$A" /apis/kuscia.secretflow/v1alpha1/namespaces/alice/domaindatas/t-rv -X PUT -H 'Content-Type: application/json' -d "$stale"
	jq -e '.code == 409 and .reason == "Conflict" and (.message | contains("the object has been modified"))' <<<"$output"
}

@test "k8s: an unknown field is a 422 naming it" {
	obj=$(cdr_json alice erin 2.2.2.2 | jq -c '.spec.endpoint.colour = "red"')
	run -1 --separate-stderr kc_kubectl "$A" apply -f - <<<"$obj"
	[[ $stderr == *'is invalid'*'spec.endpoint.colour'* ]]
	run -0 api "$A" '/apis/kuscia.secretflow/v1alpha1/clusterdomainroutes?fieldValidation=Strict' -H 'Content-Type: application/json' -d "$obj"
	jq -e '.code == 422 and .reason == "Invalid" and .details.causes[0].field == "spec.endpoint.colour"
		and (.message | contains("unknown field \"spec.endpoint.colour\""))' <<<"$output"
	dup=$(cdr_json alice erin 2.2.2.2 | sed 's/"source":"alice"/"source":"alice","source":"bob"/')
	run -0 api "$A" '/apis/kuscia.secretflow/v1alpha1/clusterdomainroutes?fieldValidation=Strict' -H 'Content-Type: application/json' -d "$dup"
	jq -e '.code == 422 and .details.causes[0].field == "spec.source" and (.message | contains("duplicate field \"spec.source\""))' <<<"$output"
	run -1 kc_kubectl "$A" get cdr alice-erin
}

@test "k8s: a bad enum or pattern is a 422 naming the field" {
	run -1 --separate-stderr kc_kubectl "$A" apply -f - <<<"$(cdr_json alice erin 2.2.2.2 | jq -c '.spec.endpoint.ports[0].protocol = "TCP"')"
	[[ $stderr == *'spec.endpoint.ports[0].protocol: Unsupported value: "TCP": supported values: "HTTP", "GRPC"'* ]]
	run -1 --separate-stderr kc_kubectl "$A" apply -f - <<<"$(cdr_json alice erin 'bad_host!')"
	[[ $stderr == *'spec.endpoint.host: Invalid value: "bad_host!"'*'should match'* ]]
}

@test "k8s: a wrong type, a missing field or a bad name is a 422 naming the field" {
	run -1 --separate-stderr kc_kubectl "$A" apply -f - <<<"$(cdr_json alice erin 2.2.2.2 | jq -c '.spec.endpoint.ports[0].port = "21080"')"
	[[ $stderr == *'spec.endpoint.ports[0].port in body must be of type integer'* ]]
	run -0 api "$A" /apis/kuscia.secretflow/v1alpha1/clusterdomainroutes -H 'Content-Type: application/json' -d "$(cdr_json alice erin 2.2.2.2 | jq -c 'del(.spec.source)')"
	jq -e '.code == 422 and .details.causes == [{"reason":"FieldValueRequired","message":"Required value","field":"spec.source"}]' <<<"$output"
	run -0 api "$A" /apis/kuscia.secretflow/v1alpha1/clusterdomainroutes -H 'Content-Type: application/json' -d "$(cdr_json alice Erin 2.2.2.2)"
	jq -e '.code == 422 and (.message | contains("metadata.name: Invalid value: \"alice-Erin\""))' <<<"$output"
}

@test "k8s: labelSelector filters lists (kubectl -l and the query parameter)" {
	for n in l1 l2; do
		run -0 kc_kubectl "$A" create -f - <<<"$(domaindata_json alice "$n" | jq -c --arg n "$n" '.metadata.labels.pick = $n')"
	done
	run -0 kc_kubectl "$A" get kdd -n alice -l pick=l2 -o name
	[ "$output" = domaindata.kuscia.secretflow/l2 ]
	run -0 kc_kubectl "$A" get kdd -n alice -l 'pick in (l1,l2),pick!=l1' -o name
	[ "$output" = domaindata.kuscia.secretflow/l2 ]
	run -0 api "$A" '/apis/kuscia.secretflow/v1alpha1/domaindatas?labelSelector=pick' -G
	jq -e '.kind == "DomainDataList" and ([.items[].metadata.name] == ["l1","l2"])' <<<"$output"
}

@test "k8s: apply, get and delete each namespaced kind" {
	grant='{"apiVersion":"kuscia.secretflow/v1alpha1","kind":"DomainDataGrant","metadata":{"name":"g1","namespace":"alice"},"spec":{"author":"alice","domainDataID":"d1","grantDomain":"bob","limit":{"grantMode":["normal"]}}}'
	dds='{"apiVersion":"kuscia.secretflow/v1alpha1","kind":"DomainDataSource","metadata":{"name":"s1","namespace":"alice"},"spec":{"name":"s1","type":"localfs","data":{"path":"/tmp"}}}'
	dr='{"apiVersion":"kuscia.secretflow/v1alpha1","kind":"DomainRoute","metadata":{"name":"alice-zoe","namespace":"alice"},"spec":{"source":"alice","destination":"zoe","authenticationType":"Token"}}'
	job='{"apiVersion":"kuscia.secretflow/v1alpha1","kind":"KusciaJob","metadata":{"name":"j1","namespace":"cross-domain"},"spec":{"initiator":"alice","tasks":[{"alias":"psi","appImage":"img","taskInputConfig":"{}","parties":[{"domainID":"alice"}]}]}}'
	task='{"apiVersion":"kuscia.secretflow/v1alpha1","kind":"KusciaTask","metadata":{"name":"t1","namespace":"cross-domain"},"spec":{"initiator":"alice"}}'
	run -0 kc_kubectl "$A" apply -f - <<<"$(domaindata_json alice d1)$grant$dds$dr$job$task"
	[ "${#lines[@]}" = 6 ]
	[[ ${lines[*]} == *"domaindatagrant.kuscia.secretflow/g1 created"*"kusciajob.kuscia.secretflow/j1 created"*"kusciatask.kuscia.secretflow/t1 created" ]]
	run -0 kc_kubectl "$A" get kdd/d1 ddg/g1 dds/s1 dr/alice-zoe -n alice -o jsonpath='{.items[*].metadata.name}'
	[ "$output" = "d1 g1 s1 alice-zoe" ]
	run -0 kc_kubectl "$A" get kj -n cross-domain
	[[ ${lines[0]} =~ ^NAME\ +STARTTIME\ +COMPLETIONTIME\ +LASTRECONCILETIME\ +PHASE$ ]]
	[[ ${lines[1]} =~ ^j1\ + ]]
	run -0 api "$A" /apis/kuscia.secretflow/v1alpha1/namespaces/cross-domain/kusciajobs/j1
	jq -e '.spec.maxParallelism == 1 and .spec.scheduleMode == "Strict" and .spec.tasks[0].tolerable == false' <<<"$output"
	run -0 kc_kubectl "$A" delete kdd/d1 ddg/g1 dds/s1 dr/alice-zoe -n alice
	[ "${#lines[@]}" = 4 ]
	run -0 kc_kubectl "$A" get kt -n cross-domain
	[[ ${lines[0]} =~ ^NAME\ +STARTTIME\ +COMPLETIONTIME\ +LASTRECONCILETIME\ +PHASE$ ]]
	run -0 kc_kubectl "$A" delete kj/j1 kt/t1 -n cross-domain
	run -0 api "$A" /apis/kuscia.secretflow/v1alpha1/namespaces/alice/domaindatagrants
	jq -e '.items == []' <<<"$output"
}

@test "k8s: an object in a missing namespace is a 404 naming the namespace" {
	run -1 --separate-stderr kc_kubectl "$A" apply -f - <<<"$(domaindata_json nowhere d1)"
	[[ $stderr == *'namespaces "nowhere" not found'* ]]
}

@test "k8s: kubectl create token prints a service-account JWT that the API accepts" {
	run -0 api "$A" /api/v1/namespaces -H 'Content-Type: application/json' -d '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"tok"}}' -f
	run -0 api "$A" /api/v1/namespaces/tok/serviceaccounts -H 'Content-Type: application/json' -d '{"metadata":{"name":"tok"}}' -f
	run -0 --separate-stderr kc_kubectl "$A" create token tok --duration 87600h -n tok
	[[ $output =~ ^eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$ ]]
	tok=$output
	run -0 curl -sS --cacert "$A/var/certs/ca.crt" -H "Authorization: Bearer $tok" \
		"https://127.0.0.1:$(jq .api "$A/sim/ports.json")/api/v1/namespaces/tok/serviceaccounts"
	jq -e '.kind == "ServiceAccountList"' <<<"$output"
	run -0 curl -sS --cacert "$A/var/certs/ca.crt" -H "Authorization: Bearer $tok" \
		"https://127.0.0.1:$(jq .api "$A/sim/ports.json")/apis/kuscia.secretflow/v1alpha1/domains"
	jq -e '.code == 403' <<<"$output"
	run -1 --separate-stderr kc_kubectl "$A" create token nobody -n tok
	[[ $stderr == *'serviceaccounts "nobody" not found'* ]]
	run -0 kc_kubectl "$A" delete ns tok
	run -0 api "$A" /api/v1/namespaces/tok/serviceaccounts
	jq -e '.items == []' <<<"$output"
}

@test "k8s: merge patch, status subresource, resourceVersion and generation" {
	run -0 kc_kubectl "$A" create -f - <<<"$(domaindata_json alice p1)"
	run -0 api "$A" /apis/kuscia.secretflow/v1alpha1/namespaces/alice/domaindatas/p1
	rv1=$(jq -r .metadata.resourceVersion <<<"$output")
	run -0 kc_kubectl "$A" patch kdd p1 -n alice --type merge -p '{"spec":{"vendor":"kc"},"status":{"x":1}}'
	run -0 api "$A" /apis/kuscia.secretflow/v1alpha1/namespaces/alice/domaindatas/p1
	jq -e --arg rv "$rv1" '.spec.vendor == "kc" and .metadata.generation == 2 and .metadata.resourceVersion != $rv and (has("status") | not)' <<<"$output"
	run -0 api "$A" /apis/kuscia.secretflow/v1alpha1/namespaces/alice/domaindatas/p1/status -X PATCH \
		-H 'Content-Type: application/merge-patch+json' -d '{"status":{"phase":"ok"}}'
	jq -e '.status.phase == "ok" and .metadata.generation == 2' <<<"$output"
	run -0 kc_kubectl "$A" patch kdd p1 -n alice --type json -p '[{"op":"replace","path":"/spec/vendor","value":"json"}]'
	run -0 kc_kubectl "$A" get kdd p1 -n alice -o jsonpath='{.spec.vendor} {.status.phase}'
	[ "$output" = "json ok" ]
}

@test "k8s: server-side apply creates, updates, reports conflicts and forces" {
	url='/apis/kuscia.secretflow/v1alpha1/clusterdomainroutes/alice-frank'
	run -0 api "$A" "$url?fieldManager=kc&force=true&fieldValidation=Strict" -X PATCH \
		-H 'Content-Type: application/apply-patch+yaml' --data-binary "$(cdr_json alice frank 2.2.2.2)" -w '\n%{http_code}'
	[ "${lines[1]}" = 201 ]
	run -0 api "$A" "$url?fieldManager=other&fieldValidation=Strict" -X PATCH \
		-H 'Content-Type: application/apply-patch+yaml' --data-binary "$(cdr_json alice frank 3.3.3.3)"
	jq -e '.code == 409 and .reason == "Conflict" and (.message | contains("conflict with \"kc\"")) and (.message | contains(".spec.endpoint.host"))' <<<"$output"
	yaml=$'apiVersion: kuscia.secretflow/v1alpha1\nkind: ClusterDomainRoute\nmetadata:\n  name: alice-frank\nspec:\n  source: alice\n  destination: frank\n  authenticationType: Token\n  endpoint:\n    host: 4.4.4.4\n    ports:\n    - name: http\n      protocol: HTTP\n      port: 80\n'
	run -0 api "$A" "$url?fieldManager=kc&force=true" -X PATCH -H 'Content-Type: application/apply-patch+yaml' --data-binary "$yaml"
	jq -e '.spec.endpoint.host == "4.4.4.4" and .spec.endpoint.ports[0].port == 80 and (.spec | has("tokenConfig") | not)' <<<"$output"
	run -0 kc_kubectl "$A" delete cdr alice-frank
}

@test "k8s: deleting a partner Domain deletes what it owns and marks its namespace" {
	run -0 kc_kubectl "$A" apply -f - <<<"$(domain_json gina "$B/var/certs/domain.crt")"
	run -0 api "$A" /api/v1/namespaces/gina
	jq -e '.metadata.labels["kuscia.secretflow/domain-name"] == "gina" and .metadata.labels["kuscia.secretflow/role"] == "partner"
		and .metadata.labels["kuscia.secretflow/interconn-protocols"] == "kuscia"' <<<"$output"
	run -0 kc_kubectl "$A" delete domain gina
	run -0 api "$A" /apis/kuscia.secretflow/v1alpha1/clusterdomainroutes/gina-alice
	jq -e '.code == 404' <<<"$output"
	run -0 api "$A" /api/v1/namespaces/gina/serviceaccounts
	jq -e '[.items[].metadata.name] == ["default"]' <<<"$output"
	run -0 api "$A" /api/v1/namespaces/gina
	jq -e '.metadata.labels["kuscia.secretflow/deleted"] == "true"' <<<"$output"
	run -0 api "$A" /apis/kuscia.secretflow/v1alpha1/domains -H 'Content-Type: application/json' -d "$(domain_json gina "$B/var/certs/domain.crt")" -f
	run -0 api "$A" /api/v1/namespaces/gina
	jq -e '.metadata.labels | has("kuscia.secretflow/deleted") | not' <<<"$output"
	run -0 api "$A" /apis/kuscia.secretflow/v1alpha1/clusterdomainroutes/gina-alice -f
}

@test "k8s: watch streams the changes after a resourceVersion; kubectl wait works" {
	run -0 api "$A" /apis/kuscia.secretflow/v1alpha1/namespaces/alice/domaindatas -H 'Content-Type: application/json' -d "$(domaindata_json alice w1)"
	rv=$(jq -r .metadata.resourceVersion <<<"$output")
	kc_kubectl "$A" wait --for=jsonpath='{.spec.vendor}'=w kdd/w1 -n alice --timeout=10s >"$BATS_TEST_TMPDIR/wait" 2>&1 &
	pid=$!
	run -0 kc_kubectl "$A" patch kdd w1 -n alice --type merge -p '{"spec":{"vendor":"w"}}'
	wait "$pid"
	run -0 api "$A" /apis/kuscia.secretflow/v1alpha1/namespaces/alice/domaindatas/w1 -X DELETE -f
	[ "$(cat "$BATS_TEST_TMPDIR/wait")" = "domaindata.kuscia.secretflow/w1 condition met" ]
	run -0 api "$A" "/apis/kuscia.secretflow/v1alpha1/namespaces/alice/domaindatas?watch=true&resourceVersion=$rv&timeoutSeconds=0.2&fieldSelector=metadata.name=w1"
	[ "$(jq -sc 'map([.type, .object.spec.vendor])' <<<"$output")" = '[["MODIFIED","w"],["DELETED","w"]]' ]
}

@test "k8s: a body that is no object, or names another namespace, is a 400 BadRequest" {
	run -0 api "$A" /apis/kuscia.secretflow/v1alpha1/namespaces/alice/domaindatas -H 'Content-Type: application/json' -d '{"kind":'
	jq -e '.code == 400 and .reason == "BadRequest" and .status == "Failure"' <<<"$output"
	run -0 api "$A" /apis/kuscia.secretflow/v1alpha1/namespaces/alice/domaindatas -H 'Content-Type: application/json' \
		-d "$(domaindata_json bob x400)"
	jq -e '.code == 400 and .message == "the namespace of the provided object does not match the namespace sent on the request"' <<<"$output"
	run -0 api "$A" /apis/kuscia.secretflow/v1alpha1/namespaces/alice/domaindatas/x400 -X PATCH -H 'Content-Type: application/strategic-merge-patch+json' -d '{}'
	jq -e '.code == 415 and .reason == "UnsupportedMediaType"' <<<"$output"
}
