#!/usr/bin/env bats
# test/sim: the KusciaAPI of the node simulator (spec/kusciaapi.md), with curl, jq and kubectl
bats_require_minimum_version 1.5.0

# alice: protocol MTLS (the default), tom: TLS, nora: NOTLS
setup_file() {
	load helper/common
	export BATS_NO_PARALLELIZE_WITHIN_FILE=true
	sim_node alice
	sim_node tom --protocol TLS
	sim_node nora --protocol NOTLS
	local d=$BATS_FILE_TMPDIR
	# a CA that is not alice's, and a client pair it issued
	openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=other -days 1 \
		-keyout "$d/other-ca.key" -out "$d/other-ca.crt" 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -subj /CN=KusciaAPIClient \
		-keyout "$d/other.key" -out "$d/other.csr" 2>/dev/null
	openssl x509 -req -in "$d/other.csr" -CA "$d/other-ca.crt" -CAkey "$d/other-ca.key" \
		-CAcreateserial -days 1 -out "$d/other.crt" 2>/dev/null
}

teardown_file() {
	load helper/common
	sim_stop_all
}

setup() {
	load helper/common
	D=$BATS_FILE_TMPDIR
	A=$D/alice/var/certs
}

ka_port() { jq -r .kusciaapi "$BATS_FILE_TMPDIR/$1/sim/ports.json"; }

# api PATH BODY: a POST to alice's KusciaAPI with mTLS and the token; prints the body
api() {
	curl -sS --cacert "$A/ca.crt" --cert "$A/kusciaapi-client.crt" --key "$A/kusciaapi-client.key" \
		-H "Token: $(cat "$A/token")" -H 'Content-Type: application/json' \
		"https://127.0.0.1:$(ka_port alice)$1" -d "$2"
}

# tls_refused: the server ended the TLS handshake (curl 35 or 56 with the alert; 55 when the
# alert arrives while curl is still sending, as TLS 1.3 lets the client send first)
tls_refused() {
	case $status in
	35 | 56) [[ $output == *alert* || $output == *certificate* ]] ;;
	55) [[ $output == *"curl: (55)"* ]] ;;
	*) return 1 ;;
	esac
}

# code: .status.code of the envelope in $output
code() { jq -r .status.code <<<"$output"; }

table() { # NAME: DomainData NAME in namespace alice through the API
	api /api/v1/domaindata/create "{\"domain_id\":\"alice\",\"domaindata_id\":\"$1\",\"type\":\"table\",
		\"relative_uri\":\"/$1.csv\",\"columns\":[{\"name\":\"id1\",\"type\":\"str\"}],\"file_format\":\"CSV\"}" >/dev/null
}

# ---- transport and authentication ------------------------------------------------------------

@test "sim kusciaapi: healthZ with mTLS and the token answers ready" {
	run -0 api /healthZ '{}'
	jq -e '.status == {"code":0,"message":"success","details":[]} and .data == {"ready":true}' <<<"$output"
}

@test "sim kusciaapi: every client pair that chains to ca.crt works (ca, server, client)" {
	local pair
	for pair in ca kusciaapi-server kusciaapi-client; do
		run -0 curl -sS --cacert "$A/ca.crt" --cert "$A/$pair.crt" --key "$A/$pair.key" \
			-H "Token: $(cat "$A/token")" "https://localhost:$(ka_port alice)/healthZ" -d '{}'
		jq -e '.data.ready' <<<"$output"
	done
}

@test "sim kusciaapi: a wrong token is 401 with an empty body and no Content-Type" {
	run -0 curl -sS -D "$BATS_TEST_TMPDIR/h" --cacert "$A/ca.crt" --cert "$A/ca.crt" --key "$A/ca.key" \
		-H "Token: wrong" "https://127.0.0.1:$(ka_port alice)/healthZ" -d '{}'
	[ -z "$output" ]
	grep -q '^HTTP/1.1 401 ' "$BATS_TEST_TMPDIR/h"
	grep -qi '^content-length: 0' "$BATS_TEST_TMPDIR/h"
	run ! grep -qi '^content-type:' "$BATS_TEST_TMPDIR/h"
}

@test "sim kusciaapi: a missing token is 401, also on unknown paths" {
	run -0 curl -sS -o /dev/null -w '%{http_code}' --cacert "$A/ca.crt" --cert "$A/ca.crt" --key "$A/ca.key" \
		"https://127.0.0.1:$(ka_port alice)/api/v1/domaindatagrant/create" -d '{}'
	[ "$output" = 401 ]
	run -0 curl -sS -o /dev/null -w '%{http_code}' --cacert "$A/ca.crt" --cert "$A/ca.crt" --key "$A/ca.key" \
		"https://127.0.0.1:$(ka_port alice)/no/such/path" -d '{}'
	[ "$output" = 401 ]
}

@test "sim kusciaapi: MTLS without a client certificate fails the TLS handshake" {
	run curl -sS --cacert "$A/ca.crt" -H "Token: $(cat "$A/token")" \
		"https://127.0.0.1:$(ka_port alice)/healthZ" -d '{}'
	tls_refused
}

@test "sim kusciaapi: MTLS with a client certificate of another CA fails the TLS handshake" {
	run curl -sS --cacert "$A/ca.crt" --cert "$D/other.crt" --key "$D/other.key" \
		-H "Token: $(cat "$A/token")" "https://127.0.0.1:$(ka_port alice)/healthZ" -d '{}'
	tls_refused
}

@test "sim kusciaapi: TLS asks for no client certificate but checks the token" {
	local t=$D/tom/var/certs
	run -0 curl -sS --cacert "$t/ca.crt" -H "Token: $(cat "$t/token")" \
		"https://127.0.0.1:$(ka_port tom)/healthZ" -d '{}'
	jq -e '.data.ready' <<<"$output"
	run -0 curl -sS -o /dev/null -w '%{http_code}' --cacert "$t/ca.crt" -H "Token: x" \
		"https://127.0.0.1:$(ka_port tom)/healthZ" -d '{}'
	[ "$output" = 401 ]
}

@test "sim kusciaapi: NOTLS is plain HTTP and checks no token" {
	run -0 curl -sS "http://127.0.0.1:$(ka_port nora)/healthZ" -d '{}'
	jq -e '.status.code == 0 and .data.ready' <<<"$output"
	run -0 curl -sS -H "Token: anything" "http://127.0.0.1:$(ka_port nora)/healthZ" -d '{}'
	jq -e '.data.ready' <<<"$output"
}

@test "sim kusciaapi: http to the https port is refused with Go's 400" {
	run -0 curl -sS -w '\n%{http_code}' "http://127.0.0.1:$(ka_port alice)/healthZ" -d '{}'
	[ "${lines[-1]}" = 400 ]
	[[ $output == *"Client sent an HTTP request to an HTTPS server"* ]]
}

@test "sim kusciaapi: unknown paths, /healthz and GET on a POST route are 404 page not found" {
	local p
	for p in /healthz /api/v1/nothing; do
		run -0 api "$p" '{}'
		[ "$output" = "404 page not found" ]
	done
	run -0 curl -sS -w '\n%{http_code}' --cacert "$A/ca.crt" --cert "$A/ca.crt" --key "$A/ca.key" \
		-H "Token: $(cat "$A/token")" "https://127.0.0.1:$(ka_port alice)/healthZ"
	[ "${lines[0]}" = "404 page not found" ]
	[ "${lines[1]}" = 404 ]
}

@test "sim kusciaapi: /probe and /version answer without a token" {
	run -0 curl -sS --cacert "$A/ca.crt" --cert "$A/ca.crt" --key "$A/ca.key" \
		"https://127.0.0.1:$(ka_port alice)/probe"
	[[ $output == "ServiceName: KusciaAPI, Host: "* ]]
	run -0 curl -sS --cacert "$A/ca.crt" --cert "$A/ca.crt" --key "$A/ca.key" \
		"https://127.0.0.1:$(ka_port alice)/version"
	[ -n "$output" ]
}

@test "sim kusciaapi: an unparsable or empty body is 11101 without details and data" {
	local b
	for b in '{' '' '{"domain_id":1}'; do
		run -0 api /api/v1/domaindatagrant/create "$b"
		jq -e '.status.code == 11101 and (.status.message | length) > 0 and (.status | has("details") | not)
			and (has("data") | not)' <<<"$output"
	done
}

# ---- DomainData ------------------------------------------------------------------------------

@test "sim kusciaapi: domaindata create and query; kubectl sees the DomainData" {
	run -0 api /api/v1/domaindata/create '{"domain_id":"alice","domaindata_id":"alice-table","type":"table",
		"relative_uri":"/alice.csv","columns":[{"name":"id1","type":"str","comment":""}],"vendor":"manual",
		"datasource_id":"default-data-source","attributes":{"description":"alice demo data"}}'
	jq -e '.status.code == 0 and .data.domaindata_id == "alice-table"' <<<"$output"
	run -0 api /api/v1/domaindata/query '{"data":{"domain_id":"alice","domaindata_id":"alice-table"}}'
	jq -e '.data | .domaindata_id == "alice-table" and .name == "alice.csv" and .relative_uri == "alice.csv"
		and .domain_id == "alice" and .datasource_id == "default-data-source" and .status == "Available"
		and .author == "alice" and .columns == [{"name":"id1","type":"str","comment":"","not_nullable":false}]
		and .file_format == "UNKNOWN" and .partition == null' <<<"$output"
	run -0 kc_kubectl "$D/alice" get domaindata -n alice alice-table -o json
	jq -e '.metadata.annotations["kuscia.secretflow/initiator"] == "alice"
		and .metadata.labels["kuscia.secretflow/domaindata-type"] == "table" and .spec.author == "alice"' <<<"$output"
}

@test "sim kusciaapi: domaindata create without an ID generates one from the name" {
	run -0 api /api/v1/domaindata/create '{"domain_id":"alice","type":"table","relative_uri":"data/bob.csv"}'
	jq -e '.status.code == 0 and (.data.domaindata_id | test("^bobcsv-[0-9a-f]{32}$"))' <<<"$output"
}

@test "sim kusciaapi: domaindata errors: validation 11100, missing data source 11806, not found 11506" {
	run -0 api /api/v1/domaindata/create '{"domain_id":"alice","relative_uri":"x.csv"}'
	jq -e '.status.code == 11100 and .status.message == "request type can not be empty"' <<<"$output"
	run -0 api /api/v1/domaindata/create '{"domain_id":"alice","type":"table","relative_uri":"x","datasource_id":"nope"}'
	jq -e '.status.code == 11806 and (.status.message | startswith("domain data source `nope` is not exists"))' <<<"$output"
	run -0 api /api/v1/domaindata/query '{"data":{"domain_id":"alice","domaindata_id":"nope"}}'
	jq -e '.status.code == 11506 and .data == null' <<<"$output"
	run -0 api /api/v1/domaindata/query '{"domain_id":"alice","domaindata_id":"alice-table"}'
	jq -e '.status.code == 11100 and .status.message == "domain id and domaindata id can not be empty"' <<<"$output"
}

# ---- DomainDataGrant ---------------------------------------------------------------------------

@test "sim kusciaapi: grant create (the P2P guide's body) generates an ID; kubectl sees the grant" {
	table alice-table
	run -0 api /api/v1/domaindatagrant/create \
		'{"grant_domain":"bob","description":{"domaindatagrant":"alice-bob"},"domain_id":"alice","domaindata_id":"alice-table"}'
	jq -e '.status.code == 0 and (.data.domaindatagrant_id | test("^domaindatagrant-[0-9a-f]{32}$"))' <<<"$output"
	local id
	id=$(jq -r .data.domaindatagrant_id <<<"$output")
	run -0 kc_kubectl "$D/alice" get domaindatagrant -n alice "$id" -o json
	jq -e '.metadata.labels["kuscia.secretflow/domaindatagrant-domain"] == "bob"
		and .metadata.ownerReferences[0].kind == "DomainData" and .metadata.ownerReferences[0].name == "alice-table"
		and .spec == {"author":"alice","domainDataID":"alice-table","grantDomain":"bob",
			"description":{"domaindatagrant":"alice-bob"}}' <<<"$output"
}

@test "sim kusciaapi: grant query returns the nested data/status, with upstream's blanks" {
	table alice-table
	run -0 api /api/v1/domaindatagrant/create '{"domain_id":"alice","domaindata_id":"alice-table","grant_domain":"bob",
		"domaindatagrant_id":"g-query","description":{"k":"v"},"limit":{"use_count":3,"initiator":"alice"}}'
	[ "$(code)" = 0 ]
	run -0 api /api/v1/domaindatagrant/query '{"domain_id":"alice","domaindatagrant_id":"g-query"}'
	jq -e '.status.code == 0 and .data.data == {"domaindatagrant_id":"g-query","author":"alice",
		"domaindata_id":"alice-table","grant_domain":"bob","limit":{"expiration_time":"0","use_count":3,"flow_id":"",
		"components":[],"initiator":"","input_config":""},"description":{},"signature":"","domain_id":""}
		and (.data.status | has("phase") and has("message") and .records == [])' <<<"$output"
}

@test "sim kusciaapi: grant batchQuery and list" {
	table alice-table
	api /api/v1/domaindatagrant/create '{"domain_id":"alice","domaindata_id":"alice-table","grant_domain":"carol",
		"domaindatagrant_id":"g-list"}' >/dev/null
	run -0 api /api/v1/domaindatagrant/batchQuery '{"data":[{"domain_id":"alice","domaindatagrant_id":"g-list"}]}'
	jq -e '.status.code == 0 and (.data | length) == 1 and .data[0].data.grant_domain == "carol"' <<<"$output"
	run -0 api /api/v1/domaindatagrant/batchQuery '{"data":[]}'
	jq -e '.status.code == 11100 and .status.message == "BatchQueryDomainDataGrant.data can'"'"'t be null"' <<<"$output"
	run -0 api /api/v1/domaindatagrant/list '{"data":{"domain_id":"alice","grant_domain":"carol"}}'
	jq -e '.status.code == 0 and ([.data.domaindatagrant_list[].data.domaindatagrant_id] | index("g-list") != null)
		and all(.data.domaindatagrant_list[]; .data.grant_domain == "carol")' <<<"$output"
	run -0 api /api/v1/domaindatagrant/list '{"data":{}}'
	jq -e '.status.code == 11100 and .status.message == "domain id can not be empty"' <<<"$output"
}

@test "sim kusciaapi: grant delete, then query and delete again are 11705" {
	table alice-table
	api /api/v1/domaindatagrant/create '{"domain_id":"alice","domaindata_id":"alice-table","grant_domain":"bob",
		"domaindatagrant_id":"g-del"}' >/dev/null
	run -0 api /api/v1/domaindatagrant/delete '{"domain_id":"alice","domaindatagrant_id":"g-del"}'
	jq -e '. == {"status":{"code":0,"message":"success","details":[]}}' <<<"$output"
	run -0 api /api/v1/domaindatagrant/query '{"domain_id":"alice","domaindatagrant_id":"g-del"}'
	jq -e '.status.code == 11705 and .status.message == "domaindatagrants.kuscia.secretflow \"g-del\" not found"
		and .data == null' <<<"$output"
	run -0 api /api/v1/domaindatagrant/delete '{"domain_id":"alice","domaindatagrant_id":"g-del"}'
	[ "$(code)" = 11705 ]
	run -1 kc_kubectl "$D/alice" get domaindatagrant -n alice g-del
}

@test "sim kusciaapi: grant update of a grant made by create fails 11701 (two controller references)" {
	table alice-table
	api /api/v1/domaindatagrant/create '{"domain_id":"alice","domaindata_id":"alice-table","grant_domain":"bob",
		"domaindatagrant_id":"g-upd"}' >/dev/null
	run -0 api /api/v1/domaindatagrant/update '{"domain_id":"alice","domaindata_id":"alice-table","grant_domain":"carol",
		"domaindatagrant_id":"g-upd"}'
	[ "$(code)" = 11701 ]
	run -0 api /api/v1/domaindatagrant/update '{"domain_id":"alice","domaindata_id":"alice-table","grant_domain":"carol",
		"domaindatagrant_id":"g-none"}'
	[ "$(code)" = 11705 ]
}

@test "sim kusciaapi: grant create business errors carry upstream's codes and messages" {
	table alice-table
	run -0 api /api/v1/domaindatagrant/create '{"domain_id":"alice","domaindata_id":"alice-table"}'
	jq -e '.status.code == 11100 and .status.message == "grantdomain can'"'"'t be null"' <<<"$output"
	run -0 api /api/v1/domaindatagrant/create '{"domain_id":"alice","domaindata_id":"alice-table","grant_domain":"alice"}'
	jq -e '.status.code == 11100 and .status.message == "grantdomain can'"'"'t be self"' <<<"$output"
	run -0 api /api/v1/domaindatagrant/create '{"domain_id":"alice","grant_domain":"bob"}'
	jq -e '.status.code == 11100 and .status.message == "domaindata can'"'"'t be null"' <<<"$output"
	run -0 api /api/v1/domaindatagrant/create '{"domain_id":"alice","domaindata_id":"nope","grant_domain":"bob"}'
	jq -e '.status.code == 11100 and .status.message == "domaindata [nope] not exists"' <<<"$output"
	run -0 api /api/v1/domaindatagrant/create '{"domain_id":"Alice","domaindata_id":"alice-table","grant_domain":"bob"}'
	jq -e '.status.code == 11100 and (.status.message | startswith("Field \"domain_id\" is invalid, invalid value: \"Alice\""))' <<<"$output"
	api /api/v1/domaindatagrant/create '{"domain_id":"alice","domaindata_id":"alice-table","grant_domain":"bob",
		"domaindatagrant_id":"g-dup"}' >/dev/null
	run -0 api /api/v1/domaindatagrant/create '{"domain_id":"alice","domaindata_id":"alice-table","grant_domain":"bob",
		"domaindatagrant_id":"g-dup"}'
	jq -e '.status.code == 11700 and .status.message == "CreateDomainDataGrant failed, because domaindatagrant g-dup is exist"' <<<"$output"
}

@test "sim kusciaapi: lowerCamel field names are accepted, other spellings ignored" {
	table alice-table
	run -0 api /api/v1/domaindatagrant/create '{"domainId":"alice","domaindataId":"alice-table","grantDomain":"bob"}'
	[ "$(code)" = 0 ]
	run -0 api /api/v1/domaindatagrant/create '{"domainID":"alice","domaindata_id":"alice-table","grant_domain":"bob"}'
	jq -e '.status.code == 11100 and (.status.message | startswith("Field \"domain_id\" is invalid"))' <<<"$output"
}

# ---- Domain, routes, jobs ---------------------------------------------------------------------

@test "sim kusciaapi: domain query returns the Domain; master returns ca.crt" {
	run -0 api /api/v1/domain/query '{"domain_id":"alice"}'
	jq -e --arg c "$(base64 -w0 "$A/domain.crt")" '.status.code == 0 and .data.domain_id == "alice"
		and .data.cert == $c and .data.role == "" and .data.node_statuses == []' <<<"$output"
	run -0 api /api/v1/domain/query '{"domain_id":"master"}'
	jq -e --arg c "$(base64 -w0 "$A/ca.crt")" '.data.domain_id == "master" and .data.cert == $c' <<<"$output"
	run -0 api /api/v1/domain/query '{"domain_id":"nope"}'
	jq -e '.status.code == 11305 and .data == null' <<<"$output"
	run -0 api /api/v1/domain/query '{}'
	jq -e '.status.code == 11100 and .status.message == "domain id can not be empty"' <<<"$output"
}

@test "sim kusciaapi: route status batchQuery maps the Ready condition" {
	jq -n --arg c "$(base64 -w0 "$D/tom/var/certs/domain.crt")" '{apiVersion: "kuscia.secretflow/v1alpha1",
		kind: "Domain", metadata: {name: "tom"}, spec: {cert: $c, role: "partner", master: "tom",
		authCenter: {authenticationType: "Token", tokenGenMethod: "RSA-GEN"}, interConnProtocols: ["kuscia"]}}' |
		kc_kubectl "$D/alice" apply -f -
	jq -n --argjson p "$("$KC_PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')" '{
		apiVersion: "kuscia.secretflow/v1alpha1", kind: "ClusterDomainRoute", metadata: {name: "alice-tom"},
		spec: {source: "alice", destination: "tom", interConnProtocol: "kuscia", authenticationType: "Token",
			endpoint: {host: "127.0.0.1", ports: [{name: "http", protocol: "HTTP", pathPrefix: "/", isTLS: true, port: $p}]},
			tokenConfig: {tokenGenMethod: "RSA-GEN", rollingUpdatePeriod: 86400}}}' | kc_kubectl "$D/alice" apply -f -
	failed() {
		run -0 api /api/v1/route/status/batchQuery '{"route_keys":[{"source":"alice","destination":"tom"}]}'
		jq -e '.data.routes[0].status.status == "Failed"
			and (.data.routes[0].status.reason | test("^LastUpdateAt=.*, Message=TokenNotGenerate, Reason:DestinationIsNotAuthrized$"))' <<<"$output"
	}
	poll_until 5 failed
	jq -e '.status.code == 0 and .data.routes[0].name == "alice-tom" and .data.routes[0].source == "alice"' <<<"$output"
	run -0 api /api/v1/route/status/batchQuery '{"route_keys":[{"source":"tom","destination":"alice"}]}'
	jq -e '.data.routes[0].status == {"status":"Failed","reason":""}' <<<"$output"
	run -0 api /api/v1/route/status/batchQuery '{"route_keys":[{"source":"alice","destination":"zed"}]}'
	jq -e '.status.code == 11404' <<<"$output"
	run -0 api /api/v1/route/status/batchQuery '{"route_keys":[]}'
	jq -e '.status.code == 11100 and .status.message == "DomainRoute keys can not be empty"' <<<"$output"
}

@test "sim kusciaapi: job query reads the KusciaJob; a missing job is 11202" {
	kc_kubectl "$D/alice" apply -f - <<-'EOF'
		{"apiVersion":"kuscia.secretflow/v1alpha1","kind":"KusciaJob",
		 "metadata":{"namespace":"cross-domain","name":"job-psi"},
		 "spec":{"initiator":"alice","scheduleMode":"BestEffort","maxParallelism":2,
		   "tasks":[{"taskID":"job-psi-single-psi","alias":"single-psi","priority":100,"taskInputConfig":"{}",
		     "appImage":"secretflow-image","parties":[{"domainID":"alice"},{"domainID":"bob"}]}]}}
	EOF
	run -0 api /api/v1/job/query '{"job_id":"job-psi"}'
	jq -e '.status.code == 0 and .data.job_id == "job-psi" and .data.initiator == "alice" and .data.max_parallelism == 2
		and .data.tasks[0].alias == "single-psi" and .data.tasks[0].task_id == "job-psi-single-psi"
		and ([.data.tasks[0].parties[].domain_id] == ["alice","bob"]) and (.data.status.state | length) > 0' <<<"$output"
	run -0 api /api/v1/job/query '{"job_id":"nope"}'
	jq -e '.status.code == 11202' <<<"$output"
	run -0 api /api/v1/job/query '{}'
	jq -e '.status.code == 11100 and .status.message == "job id can not be empty"' <<<"$output"
}
