#!/usr/bin/env bats
# kc-render: JSON templates with {{.NAME}} slots (CONTRACTS.md section 5), and kc's templates
# shellcheck disable=SC2154 # stderr is set by bats' run --separate-stderr
bats_require_minimum_version 1.5.0

setup() {
	load helper/common
	common_setup
}

# same_json EXPECTED ACTUAL: equal as `jq -S`, and ACTUAL is EXPECTED's compact form byte for
# byte (so the members are in the same order)
same_json() {
	if [ "$(jq -S . <<<"$1")" != "$(jq -S . <<<"$2")" ]; then
		diff <(jq -S . <<<"$1") <(jq -S . <<<"$2") || true
		return 1
	fi
	[ "$(jq -c . <<<"$1")" = "$2" ]
}

# tmpl NAME JSON: write a template into the test's folder
tmpl() {
	printf '%s\n' "$2" >"$BATS_TEST_TMPDIR/$1"
}

# ---- kc's templates against the objects upstream's scripts apply (spec/scripts.md) ----

domain_bob='{"apiVersion":"kuscia.secretflow/v1alpha1","kind":"Domain",
 "metadata":{"annotations":{"domain/bob":"kuscia.secretflow/domain-type=embedded"},"name":"bob"},
 "spec":{"cert":"CERT","role":"partner","master":"bob",
         "authCenter":{"authenticationType":"Token","tokenGenMethod":"RSA-GEN"},
         "interConnProtocols":["kuscia"]}}'

@test "render: domain.json for 'add_domain.sh bob' equals upstream's object (role null = omitted)" {
	run -0 --separate-stderr kc-render domain.json DOMAIN_ID=bob CERT=CERT MASTER=bob
	[ -z "$stderr" ]
	# upstream writes role: null, which the API server drops: the stored objects are equal
	same_json "$(jq -c 'del(.spec.role | nulls)' <<<'{"apiVersion":"kuscia.secretflow/v1alpha1","kind":"Domain",
 "metadata":{"annotations":{"domain/bob":"kuscia.secretflow/domain-type=embedded"},"name":"bob"},
 "spec":{"cert":"CERT","role":null,"master":"bob",
         "authCenter":{"authenticationType":"Token","tokenGenMethod":"RSA-GEN"}}}')" "$output"
	run -0 --separate-stderr kc-render domain.json DOMAIN_ID=bob CERT=CERT MASTER=bob ROLE= \
		INTERCONN_PROTOCOL=
	jq -e '.spec | has("role") or has("interConnProtocols") | not' <<<"$output"
}

@test "render: domain.json for 'add_domain.sh bob p2p' equals upstream's object" {
	run -0 --separate-stderr kc-render domain.json DOMAIN_ID=bob CERT=CERT ROLE=partner \
		MASTER=bob INTERCONN_PROTOCOL=kuscia
	[ -z "$stderr" ]
	same_json "$domain_bob" "$output"
}

@test "render: domain.json for 'add_domain.sh bob p2p bfia' equals upstream's object" {
	run -0 --separate-stderr kc-render domain.json DOMAIN_ID=bob CERT=CERT ROLE=partner \
		MASTER=bob INTERCONN_PROTOCOL=bfia
	same_json "$(jq -c '.spec.interConnProtocols = ["bfia"]' <<<"$domain_bob")" "$output"
}

@test "render: domain.json for 'add_domain.sh bob p2p kuscia alice-master' equals upstream's object" {
	run -0 --separate-stderr kc-render domain.json DOMAIN_ID=bob CERT=CERT ROLE=partner \
		MASTER=alice-master INTERCONN_PROTOCOL=kuscia
	same_json "$(jq -c '.spec.master = "alice-master"' <<<"$domain_bob")" "$output"
}

cdr_default='{"apiVersion":"kuscia.secretflow/v1alpha1","kind":"ClusterDomainRoute",
 "metadata":{"name":"alice-bob"},
 "spec":{"source":"alice","destination":"bob","interConnProtocol":"kuscia",
   "endpoint":{"host":"2.2.2.2","ports":[{"name":"http","protocol":"HTTP","pathPrefix":"/","isTLS":true,"port":21080}]},
   "authenticationType":"Token",
   "tokenConfig":{"tokenGenMethod":"RSA-GEN","rollingUpdatePeriod":86400},
   "requestHeadersToAdd":{"Authorization":"Bearer"}}}'

cdr_transit='{"apiVersion":"kuscia.secretflow/v1alpha1","kind":"ClusterDomainRoute",
 "metadata":{"name":"alice-bob"},
 "spec":{"source":"alice","destination":"bob","interConnProtocol":"kuscia",
   "endpoint":{"host":"2.2.2.2","ports":[{"name":"http","protocol":"HTTP","pathPrefix":"/","isTLS":true,"port":21080}]},
   "transit":{"transitMethod":"THIRD-DOMAIN","domain":{"domainID":"carol"}},
   "authenticationType":"Token",
   "tokenConfig":{"tokenGenMethod":"RSA-GEN","rollingUpdatePeriod":86400},
   "requestHeadersToAdd":{"Authorization":"Bearer"}}}'

# cdr [NAME=VALUE...]: the join_to_host.sh alice bob https://2.2.2.2:21080 route, overridable
cdr() {
	local -A v=([SRC_DOMAIN]=alice [DEST_DOMAIN]=bob [INTERCONN_PROTOCOL]=kuscia [HOST]=2.2.2.2
		[PORT]=21080 [PATH]=/ [ISTLS]=true [AUTHORIZATION]=Bearer)
	local a k args=()
	for a in "$@"; do v[${a%%=*}]=${a#*=}; done
	for k in "${!v[@]}"; do args+=("$k=${v[$k]}"); done
	run -0 --separate-stderr kc-render cluster_domain_route.json "${args[@]}"
	[ -z "$stderr" ]
}

# cdr_transit [NAME=VALUE...]: the same with -x carol
cdr_transit() {
	local -A v=([SRC_DOMAIN]=alice [DEST_DOMAIN]=bob [TRANSIT_DOMAIN]=carol [HOST]=2.2.2.2
		[PORT]=21080 [PATH]=/ [ISTLS]=true [AUTHORIZATION]=Bearer)
	local a k args=()
	for a in "$@"; do v[${a%%=*}]=${a#*=}; done
	for k in "${!v[@]}"; do args+=("$k=${v[$k]}"); done
	run -0 --separate-stderr kc-render cluster_domain_route_transit.json "${args[@]}"
	[ -z "$stderr" ]
}

@test "render: cluster_domain_route.json for 'join_to_host.sh alice bob https://2.2.2.2:21080'" {
	cdr
	same_json "$cdr_default" "$output"
}

@test "render: cluster_domain_route.json for the endpoint forms of join_to_host.sh" {
	cdr PORT=80 ISTLS=false
	same_json "$(jq -c '.spec.endpoint.ports[0] |= (.isTLS = false | .port = 80)' <<<"$cdr_default")" "$output"
	cdr PORT=443
	same_json "$(jq -c '.spec.endpoint.ports[0].port = 443' <<<"$cdr_default")" "$output"
	cdr PORT=8080 ISTLS=false
	same_json "$(jq -c '.spec.endpoint.ports[0] |= (.isTLS = false | .port = 8080)' <<<"$cdr_default")" "$output"
	cdr PATH=/foo/bar
	same_json "$(jq -c '.spec.endpoint.ports[0].pathPrefix = "/foo/bar"' <<<"$cdr_default")" "$output"
}

@test "render: cluster_domain_route.json for 'join_to_host.sh ... -p bfia'" {
	cdr INTERCONN_PROTOCOL=bfia
	same_json "$(jq -c '.spec.interConnProtocol = "bfia"' <<<"$cdr_default")" "$output"
}

@test "render: cluster_domain_route.json for 'join_to_host.sh ... -t abc123'" {
	cdr 'AUTHORIZATION=Bearer abc123'
	same_json "$(jq -c '.spec.requestHeadersToAdd.Authorization = "Bearer abc123"' <<<"$cdr_default")" "$output"
}

@test "render: cluster_domain_route_transit.json for 'join_to_host.sh ... -x carol'" {
	cdr_transit
	same_json "$cdr_transit" "$output"
}

@test "render: cluster_domain_route_transit.json for 'join_to_host.sh ... -x carol -t tok'" {
	cdr_transit 'AUTHORIZATION=Bearer tok'
	same_json "$(jq -c '.spec.requestHeadersToAdd.Authorization = "Bearer tok"' <<<"$cdr_transit")" "$output"
}

@test "render: the route templates for create_cluster_domain_route.sh, without the header" {
	local expected='{"apiVersion":"kuscia.secretflow/v1alpha1","kind":"ClusterDomainRoute",
 "metadata":{"name":"alice-bob"},
 "spec":{"source":"alice","destination":"bob","interConnProtocol":"kuscia",
   "endpoint":{"host":"3.3.3.3","ports":[{"name":"http","protocol":"HTTP","pathPrefix":"/","isTLS":false,"port":38080}]},
   "authenticationType":"Token",
   "tokenConfig":{"tokenGenMethod":"RSA-GEN","rollingUpdatePeriod":86400},
   "requestHeadersToAdd":{"Authorization":"Bearer {{.TOKEN}}"}}}'
	expected=$(jq -c 'del(.spec.requestHeadersToAdd)' <<<"$expected")
	cdr HOST=3.3.3.3 PORT=38080 ISTLS=false AUTHORIZATION=
	same_json "$expected" "$output"
	cdr HOST=3.3.3.3 PORT=1080 ISTLS=false PATH=/foo AUTHORIZATION=
	same_json "$(jq -c '.spec.endpoint.ports[0] |= (.pathPrefix = "/foo" | .port = 1080)' <<<"$expected")" "$output"
	cdr_transit HOST=3.3.3.3 PORT=38080 ISTLS=false AUTHORIZATION=
	same_json "$(jq -c '.spec |= (to_entries | .[:4] + [{key: "transit",
		value: {transitMethod: "THIRD-DOMAIN", domain: {domainID: "carol"}}}] + .[4:] | from_entries)' \
		<<<"$expected")" "$output"
	# no AUTHORIZATION at all is the same as an empty one
	run -0 --separate-stderr kc-render cluster_domain_route.json SRC_DOMAIN=alice DEST_DOMAIN=bob \
		INTERCONN_PROTOCOL=kuscia HOST=3.3.3.3 PORT=38080 PATH=/ ISTLS=false
	same_json "$expected" "$output"
}

# table WHO DOMAIN_ID COLUMNS: the DomainData of scripts.md section 4
table() {
	jq -cn --arg who "$1" --arg id "$2" --arg cols "$3" '{
		apiVersion: "kuscia.secretflow/v1alpha1", kind: "DomainData",
		metadata: {labels: {"kuscia.secretflow/domaindata-type": "table",
				"kuscia.secretflow/domaindata-vendor": "manual",
				"kuscia.secretflow/interconn-protocol-type": "kuscia",
				"kuscia.secretflow/initiator": $id},
			name: "\($who)-table", namespace: $id},
		spec: {attributes: {description: "\($id) demo data"},
			columns: [$cols | gsub("\\s"; "") | split(",")[] | split(":")
				| {comment: "", name: .[0], type: .[1]}],
			dataSource: "default-data-source", name: "\($who).csv", type: "table",
			relativeURI: "\($who).csv", vendor: "manual", author: $id}}'
}

@test "render: domaindata_alice_table.json has upstream's 25 columns and fields" {
	run -0 --separate-stderr kc-render domaindata_alice_table.json DOMAIN_ID=alice
	[ -z "$stderr" ]
	same_json "$(table alice alice 'id1:str, age:float, education:float, default:float, balance:float, housing:float, loan:float,
day:float, duration:float, campaign:float, pdays:float, previous:float, job_blue-collar:float,
job_entrepreneur:float, job_housemaid:float, job_management:float, job_retired:float,
job_self-employed:float, job_services:float, job_student:float, job_technician:float,
job_unemployed:float, marital_divorced:float, marital_married:float, marital_single:float')" "$output"
	jq -e '.spec.columns | length == 25' <<<"$output"
}

@test "render: domaindata_bob_table.json has upstream's 21 columns, 'y' a string" {
	run -0 --separate-stderr kc-render domaindata_bob_table.json DOMAIN_ID=bob
	[ -z "$stderr" ]
	same_json "$(table bob bob 'id2:str, contact_cellular:float, contact_telephone:float, contact_unknown:float,
month_apr:float, month_aug:float, month_dec:float, month_feb:float, month_jan:float,
month_jul:float, month_jun:float, month_mar:float, month_may:float, month_nov:float,
month_oct:float, month_sep:float, poutcome_failure:float, poutcome_other:float,
poutcome_success:float, poutcome_unknown:float, y:int')" "$output"
	jq -e '.spec.columns | length == 21 and .[20] == {comment: "", name: "y", type: "int"}' <<<"$output"
}

@test "render: the DomainData templates put the domain ID everywhere upstream does" {
	run -0 --separate-stderr kc-render domaindata_alice_table.json DOMAIN_ID=bob
	jq -e '.metadata.name == "alice-table" and .metadata.namespace == "bob" and .spec.author == "bob"
		and .metadata.labels["kuscia.secretflow/initiator"] == "bob"
		and .spec.attributes.description == "bob demo data"' <<<"$output"
	run -0 kc-render --list domaindata_bob_table.json
	[ "$output" = DOMAIN_ID ]
}

psi='{"sf_datasource_config":{"alice":{"id":"default-data-source"},"bob":{"id":"default-data-source"}},"sf_cluster_desc":{"parties":["alice","bob"],"devices":[{"name":"spu","type":"spu","parties":["alice","bob"],"config":"{\"runtime_config\":{\"protocol\":\"SEMI2K\",\"field\":\"FM128\"},\"link_desc\":{\"connect_retry_times\":60,\"connect_retry_interval_ms\":1000,\"brpc_channel_protocol\":\"http\",\"brpc_channel_connection_type\":\"pooled\",\"recv_timeout_ms\":1200000,\"http_timeout_ms\":1200000}}"},{"name":"heu","type":"heu","parties":["alice","bob"],"config":"{\"mode\": \"PHEU\", \"schema\": \"paillier\", \"key_size\": 2048}"}],"ray_fed_config":{"cross_silo_comm_backend":"brpc_link"}},"sf_node_eval_param":{"domain":"data_prep","name":"psi","version":"1.0.0","attr_paths":["input/input_ds1/keys","input/input_ds2/keys","protocol","sort_result","receiver_parties","allow_empty_result","join_type","input_ds1_keys_duplicated","input_ds2_keys_duplicated"],"attrs":[{"is_na":false,"ss":["id1"]},{"is_na":false,"ss":["id2"]},{"is_na":false,"s":"PROTOCOL_RR22"},{"b":true,"is_na":false},{"is_na":false,"ss":["alice","bob"]},{"is_na":true},{"is_na":false,"s":"inner_join"},{"b":true,"is_na":false},{"b":true,"is_na":false}]},"sf_input_ids":["alice-table","bob-table"],"sf_output_ids":["psi-output","psi-output"],"sf_output_uris":["psi-output.csv","psi-output.csv"]}'

@test "render: the PSI task input config is upstream's compact string byte for byte" {
	printf '%s\n' "$psi" >expected
	cmp expected "$KC_SRC/share/kc/task_input_config.2pc_balanced_psi.json"
}

@test "render: the DP task input config differs from PSI only in the DP values" {
	local f=$KC_SRC/share/kc/task_input_config.2pc_balanced_psi_dp.json
	[ "$(wc -l <"$f")" -eq 1 ]
	[ "$(tail -c 1 "$f" | od -An -c | tr -d ' ')" = '\n' ]
	run -1 grep -q ' $' "$f"
	# compact as jq -c prints it, key order kept
	[ "$(jq -c . "$f")" = "$(cat "$f")" ]
	[ "$(jq -c '.sf_datasource_config[].id = "default-data-source"
		| .sf_input_ids = ["alice-table", "bob-table"]
		| .sf_output_ids = ["psi-output", "psi-output"]
		| .sf_output_uris = ["psi-output.csv", "psi-output.csv"]' "$f")" = "$psi" ]
	jq -e '.sf_datasource_config == {alice: {id: "default-dp-data-source"}, bob: {id: "default-dp-data-source"}}
		and .sf_input_ids == ["alice-dp-table", "bob-dp-table"]
		and .sf_output_ids == ["psi-dp-output", "psi-dp-output"]
		and .sf_output_uris == ["psi-dp-output-dp.csv", "psi-dp-output-dp.csv"]' "$f"
}

@test "render: kusciajob_psi.json with the PSI config equals upstream's KusciaJob" {
	run -0 --separate-stderr kc-render kusciajob_psi.json JOB_NAME=secretflow-task-20250101120000 \
		INITIATOR=alice APP_IMAGE=secretflow-image \
		TASK_INPUT_CONFIG@="$KC_SRC/share/kc/task_input_config.2pc_balanced_psi.json"
	[ -z "$stderr" ]
	same_json "$(jq -cn --arg tic "$psi" '{"apiVersion":"kuscia.secretflow/v1alpha1","kind":"KusciaJob",
 "metadata":{"namespace":"cross-domain","name":"secretflow-task-20250101120000"},
 "spec":{"initiator":"alice","scheduleMode":"BestEffort","maxParallelism":2,
   "tasks":[{"taskID":"secretflow-task-20250101120000-single-psi","alias":"single-psi","priority":100,
     "taskInputConfig":$tic,
     "appImage":"secretflow-image",
     "parties":[
       {"domainID":"alice","bandwidthLimits":[{"destinationID":"bob","limitKBps":100}]},
       {"domainID":"bob","bandwidthLimits":[{"destinationID":"alice","limitKBps":100}]}]}]}}')" "$output"
	# the string inside is exactly the file's line
	[ "$(jq -r '.spec.tasks[0].taskInputConfig' <<<"$output")" = "$psi" ]
}

@test "render: kusciajob_psi.json takes the DP config, the initiator and the image" {
	run -0 --separate-stderr kc-render kusciajob_psi.json JOB_NAME=a.b INITIATOR=bob \
		APP_IMAGE=secretflow-nsjail-image \
		TASK_INPUT_CONFIG@="$KC_SRC/share/kc/task_input_config.2pc_balanced_psi_dp.json"
	jq -e '.metadata.name == "a.b" and .spec.initiator == "bob"
		and .spec.tasks[0].taskID == "a.b-single-psi"
		and .spec.tasks[0].appImage == "secretflow-nsjail-image"
		and (.spec.tasks[0].taskInputConfig | fromjson | .sf_input_ids == ["alice-dp-table", "bob-dp-table"])' \
		<<<"$output"
}

@test "render: --list prints every template's slots in order of first use" {
	run -0 --separate-stderr kc-render --list domain.json
	[ "$output" = "$(printf '%s\n' DOMAIN_ID CERT ROLE MASTER INTERCONN_PROTOCOL)" ]
	run -0 kc-render --list cluster_domain_route.json
	[ "$output" = "$(printf '%s\n' SRC_DOMAIN DEST_DOMAIN INTERCONN_PROTOCOL HOST PATH ISTLS PORT AUTHORIZATION)" ]
	run -0 kc-render --list cluster_domain_route_transit.json
	[ "$output" = "$(printf '%s\n' SRC_DOMAIN DEST_DOMAIN HOST PATH ISTLS PORT TRANSIT_DOMAIN AUTHORIZATION)" ]
	run -0 kc-render --list kusciajob_psi.json
	[ "$output" = "$(printf '%s\n' JOB_NAME INITIATOR TASK_INPUT_CONFIG APP_IMAGE)" ]
}

@test "render: every shipped template is valid JSON with only well-formed slots" {
	local f
	for f in "$KC_SRC"/share/kc/templates/*.json; do
		jq -e . "$f" >/dev/null
		run -0 --separate-stderr kc-render --list "$f"
		[ -n "$output" ] && [ -z "$stderr" ]
	done
}

# ---- the rules of section 5 ----

@test "render: a plain slot fills a longer string and a key, as escaped text" {
	tmpl t.json '{"k-{{.A}}": "x{{.A}}y{{.B}}", "{{.B}}": ["{{.A}}"]}'
	run -0 --separate-stderr kc-render ./t.json A=1 B=two
	[ "$output" = '{"k-1":"x1ytwo","two":["1"]}' ]
	[ -z "$stderr" ]
}

@test "render: the output is one line of compact JSON in template order" {
	tmpl t.json '{
	  "z": "{{.A}}",
	  "a": [1, 2.5, true, null, {"m": "n", "b": "c"}]
	}'
	run -0 --separate-stderr kc-render ./t.json A=v
	[ "$output" = '{"z":"v","a":[1,2.5,true,null,{"m":"n","b":"c"}]}' ]
	[ "${#lines[@]}" -eq 1 ]
}

@test "render: |int becomes a number, |bool a boolean" {
	tmpl t.json '{"p": "{{.P|int}}", "n": "{{.N|int}}", "t": "{{.T|bool}}", "f": "{{.F|bool}}"}'
	run -0 --separate-stderr kc-render ./t.json P=21080 N=-7 T=true F=false
	[ "$output" = '{"p":21080,"n":-7,"t":true,"f":false}' ]
	run -0 kc-render ./t.json P=9223372036854775807 N=0 T=true F=false
	[ "$output" = '{"p":9223372036854775807,"n":0,"t":true,"f":false}' ]
}

@test "render: |int refuses anything but an integer (3)" {
	tmpl t.json '{"p": "{{.P|int}}"}'
	local v
	for v in abc 1.5 ' 1' '1 ' +1 0x10 1e3 - 9223372036854775808 '1
'; do
		run -3 --separate-stderr kc-render ./t.json P="$v"
		[ -z "$output" ]
		[ "$stderr" = "kc-render: the value of 'P' is not an integer" ] ||
			[ "$stderr" = "kc-render: the value of 'P' is out of range" ]
	done
}

@test "render: |bool accepts only true and false (3)" {
	tmpl t.json '{"b": "{{.B|bool}}"}'
	local v
	for v in TRUE True yes 1 0 'true ' f; do
		run -3 --separate-stderr kc-render ./t.json B="$v"
		[ -z "$output" ]
		[ "$stderr" = "kc-render: the value of 'B' is not true or false" ]
	done
}

@test "render: an optional slot given a value is a string" {
	tmpl t.json '{"r": "{{.R|optional}}", "l": ["{{.L|optional}}"]}'
	run -0 --separate-stderr kc-render ./t.json R=123 L=true
	[ "$output" = '{"r":"123","l":["true"]}' ]
}

@test "render: an optional slot left empty drops its member" {
	tmpl t.json '{"a": "x", "r": "{{.R|optional}}", "b": "y"}'
	run -0 --separate-stderr kc-render ./t.json R=
	[ "$output" = '{"a":"x","b":"y"}' ]
	[ -z "$stderr" ]
}

@test "render: an optional slot not given at all is empty" {
	tmpl t.json '{"a": "x", "r": "{{.R|optional}}"}'
	run -0 --separate-stderr kc-render ./t.json
	[ "$output" = '{"a":"x"}' ]
}

@test "render: an optional slot left empty drops its array element, keeping the others" {
	tmpl t.json '{"l": ["a", "{{.R|optional}}", "b", "{{.S|optional}}"]}'
	run -0 --separate-stderr kc-render ./t.json R= S=c
	[ "$output" = '{"l":["a","b","c"]}' ]
}

@test "render: a container emptied by optional slots goes too, recursively" {
	tmpl t.json '{"keep": 1, "a": {"b": [{"c": "{{.R|optional}}"}], "d": {"e": "{{.S|optional}}"}}}'
	run -0 --separate-stderr kc-render ./t.json R= S=
	[ "$output" = '{"keep":1}' ]
	run -0 kc-render ./t.json R= S=s
	[ "$output" = '{"keep":1,"a":{"d":{"e":"s"}}}' ]
	run -0 kc-render ./t.json R=r S=
	[ "$output" = '{"keep":1,"a":{"b":[{"c":"r"}]}}' ]
}

@test "render: containers that are empty in the template itself stay" {
	tmpl t.json '{"o": {}, "l": [], "r": "{{.R|optional}}"}'
	run -0 --separate-stderr kc-render ./t.json R=
	[ "$output" = '{"o":{},"l":[]}' ]
}

@test "render: a template that renders to nothing is bad input (3)" {
	tmpl t.json '["{{.R|optional}}"]'
	run -3 --separate-stderr kc-render ./t.json R=
	[ -z "$output" ]
	[ "$stderr" = "kc-render: template './t.json' renders to nothing" ]
}

@test "render: a top-level array template works" {
	tmpl t.json '[{"a": "{{.A}}"}, "{{.R|optional}}"]'
	run -0 --separate-stderr kc-render ./t.json A=1
	[ "$output" = '[{"a":"1"}]' ]
}

@test "render: a required slot without a value is a usage error naming the slot (2)" {
	tmpl t.json '{"a": "{{.A}}", "b": "{{.B}}"}'
	run -2 --separate-stderr kc-render ./t.json A=1
	[ -z "$output" ]
	[ "$stderr" = "kc-render: slot 'B' needs a value (B=VALUE)" ]
}

@test "render: a required slot given an empty value is a usage error (2)" {
	tmpl t.json '{"a": "{{.A}}", "p": "{{.P|int}}"}'
	run -2 --separate-stderr kc-render ./t.json A= P=1
	[ -z "$output" ]
	[ "$stderr" = "kc-render: slot 'A' needs a value: it is empty" ]
	run -2 --separate-stderr kc-render ./t.json A=a P=
	[ "$stderr" = "kc-render: slot 'P' needs a value: it is empty" ]
	: >empty
	run -2 --separate-stderr kc-render ./t.json A@=empty P=1
	[ "$stderr" = "kc-render: slot 'A' needs a value: it is empty" ]
}

@test "render: a NAME given twice is a usage error (2)" {
	tmpl t.json '{"a": "{{.A}}"}'
	printf 'x\n' >f
	run -2 --separate-stderr kc-render ./t.json A=1 A=1
	[ -z "$output" ]
	[ "$stderr" = "kc-render: 'A' is given twice" ]
	run -2 --separate-stderr kc-render ./t.json A=1 A@=f
	[ "$stderr" = "kc-render: 'A' is given twice" ]
}

@test "render: a NAME unknown to the template is a usage error (2)" {
	tmpl t.json '{"a": "{{.A}}"}'
	run -2 --separate-stderr kc-render ./t.json A=1 B=2
	[ -z "$output" ]
	[ "$stderr" = "kc-render: 'B' is not a slot of template './t.json'" ]
}

@test "render: an argument that is not NAME=VALUE is a usage error (2)" {
	tmpl t.json '{"a": "{{.A}}"}'
	local a
	for a in A a=1 =1 @=f 1A=2 A-B=1 'A B=1' ' A=1'; do
		run -2 --separate-stderr kc-render ./t.json "$a"
		[ -z "$output" ]
		[ "${stderr%%$'\n'*}" = "kc-render: bad argument '$a': use NAME=VALUE or NAME@=PATH" ]
		[[ $stderr == *$'\n'"Usage: kc render "* ]]
	done
}

@test "render: a value is split at the first '='" {
	tmpl t.json '{"a": "{{.A}}"}'
	run -0 --separate-stderr kc-render ./t.json 'A=b=c@=d'
	[ "$output" = '{"a":"b=c@=d"}' ]
}

@test "render: NAME@=PATH reads the value from a file, one final newline removed" {
	tmpl t.json '{"a": "{{.A}}", "p": "{{.P|int}}"}'
	printf 'Bearer s3cr3t\n' >tok
	printf '8080' >port
	run -0 --separate-stderr kc-render ./t.json A@=tok P@=port
	[ "$output" = '{"a":"Bearer s3cr3t","p":8080}' ]
	printf 'two\n\n' >tok
	run -0 kc-render ./t.json A@=tok P=1
	[ "$output" = '{"a":"two\n","p":1}' ]
	printf 'crlf\r\n' >tok
	run -0 kc-render ./t.json A@=tok P=1
	[ "$output" = '{"a":"crlf\r","p":1}' ]
}

@test "render: NAME@=PATH with a missing file is a system error (4)" {
	tmpl t.json '{"a": "{{.A}}"}'
	run -4 --separate-stderr kc-render ./t.json A@=nope
	[ -z "$output" ]
	[ "$stderr" = "kc-render: cannot read the value of 'A' from 'nope': No such file or directory" ]
	mkdir d
	run -4 --separate-stderr kc-render ./t.json A@=d
	[ "$stderr" = "kc-render: cannot read the value of 'A' from 'd': Is a directory" ]
}

@test "render: a value from a file never shows in an error message" {
	tmpl t.json '{"a": "{{.A|int}}", "b": "{{.B|bool}}"}'
	printf 'SECRET-TOKEN\n' >tok
	run -3 --separate-stderr kc-render ./t.json A@=tok B=true
	[ "$stderr" = "kc-render: the value of 'A' is not an integer" ]
	run -3 --separate-stderr kc-render ./t.json A=1 B@=tok
	[[ $stderr != *SECRET* ]]
	printf 'SECRET\377\n' >tok
	run -3 --separate-stderr kc-render ./t.json A=1 B@=tok
	[[ $stderr != *SECRET* ]]
}

@test "render: characters that break sed templates stay inside the string" {
	tmpl t.json '{"{{.K}}": "<{{.V}}>", "s": "{{.V}}"}'
	local v k
	for v in 'a/b' 'a&b' 'a\b' 'a"b' $'a\nb' $'a\tb' "a'b" 'a@b~c' '}}{{' 'a: b # c' \
		'[1]' '{"x":1}' 'ü€𝄞' $'\x01\x1f' 'true' '12'; do
		k="key $v"
		run -0 --separate-stderr kc-render ./t.json K="$k" V="$v"
		[ "${#lines[@]}" -eq 1 ]
		[ "$(jq -r --arg k "$k" '.[$k]' <<<"$output")" = "<$v>" ]
		[ "$(jq -r '.s' <<<"$output")" = "$v" ]
		jq -e '.s | type == "string"' <<<"$output"
		jq -e 'keys | length == 2' <<<"$output"
	done
}

@test "render: a slot written inside a value is not expanded again" {
	tmpl t.json '{"a": "{{.A}}", "b": "{{.B}}"}'
	run -0 --separate-stderr kc-render ./t.json 'A={{.B}}' 'B={{.A}}{{.NOPE|int}}'
	[ "$output" = '{"a":"{{.B}}","b":"{{.A}}{{.NOPE|int}}"}' ]
	printf '{{.B}}' >f
	run -0 kc-render ./t.json A@=f B=x
	[ "$output" = '{"a":"{{.B}}","b":"x"}' ]
}

@test "render: a value that is not valid UTF-8 is bad input (3)" {
	tmpl t.json '{"a": "{{.A}}"}'
	local v
	for v in $'\xff' $'a\xc3' $'\xc0\xaf' $'\xed\xa0\x80' $'\xf4\x90\x80\x80'; do
		run -3 --separate-stderr kc-render ./t.json A="$v"
		[ -z "$output" ]
		[ "$stderr" = "kc-render: the value of 'A' is not valid UTF-8" ]
	done
}

@test "render: a value with a NUL byte is bad input (3)" {
	tmpl t.json '{"a": "{{.A}}"}'
	printf 'a\0b' >f
	run -3 --separate-stderr kc-render ./t.json A@=f
	[ -z "$output" ]
	[ "$stderr" = "kc-render: the value of 'A' contains a NUL byte" ]
}

@test "render: two keys rendered equal are bad input (3)" {
	tmpl t.json '{"{{.A}}": 1, "{{.B}}": 2}'
	run -3 --separate-stderr kc-render ./t.json A=x B=x
	[ -z "$output" ]
	[ "$stderr" = "kc-render: the rendered object has the key 'x' twice" ]
}

# ---- templates ----

@test "render: a missing template is a system error (4)" {
	run -4 --separate-stderr kc-render ./nope.json A=1
	[ -z "$output" ]
	[ "$stderr" = "kc-render: cannot read template './nope.json': No such file or directory" ]
	run -4 --separate-stderr kc-render nope.json
	[ "$stderr" = "kc-render: cannot read template '$KC_SRC/libexec/../share/kc/templates/nope.json': No such file or directory" ] ||
		[[ $stderr == "kc-render: cannot read template '"*"/share/kc/templates/nope.json': No such file or directory" ]]
}

@test "render: a template that is not JSON is bad input (3) with line and column" {
	printf '{\n  "a": "x",\n  "b": \n}\n' >t.json
	run -3 --separate-stderr kc-render ./t.json
	[ -z "$output" ]
	[[ $stderr == "kc-render: template './t.json' is not valid JSON: "*" at line 4 column 1" ]]
	[ "${#stderr_lines[@]}" -eq 1 ]
	tmpl t.json '"just a string"'
	run -3 --separate-stderr kc-render ./t.json
	[[ $stderr == "kc-render: template './t.json' is not valid JSON: "* ]]
	: >t.json
	run -3 --separate-stderr kc-render ./t.json
}

@test "render: a template with a key twice is bad input (3)" {
	tmpl t.json '{"a": 1, "a": 2}'
	run -3 --separate-stderr kc-render ./t.json
	[ -z "$output" ]
	[[ $stderr == "kc-render: template './t.json' is not valid JSON: "*"duplicate"* ]]
}

@test "render: a malformed slot in the template is bad input (3)" {
	local s
	for s in '{{.a}}' '{{.A' '{{.A|num}}' '{{.A|}}' '{{. A}}' '{{.A }}' '{{.1A}}'; do
		tmpl t.json "{\"a\": \"$s\"}"
		run -3 --separate-stderr kc-render ./t.json A=1
		[ -z "$output" ]
		[[ $stderr == "kc-render: './t.json': bad slot '"* ]]
	done
	# braces without the dot are plain text
	tmpl t.json '{"a": "{{A}} {x} {{"}'
	run -0 kc-render ./t.json
	[ "$output" = '{"a":"{{A}} {x} {{"}' ]
}

@test "render: a typed or optional slot must be a whole string value (3)" {
	local t
	for t in '{"a": "x{{.A|int}}"}' '{"a": "{{.A|bool}} "}' '{"{{.A|optional}}": 1}' \
		'{"a": "{{.A|optional}}{{.A|optional}}"}'; do
		tmpl t.json "$t"
		run -3 --separate-stderr kc-render ./t.json A=1
		[ -z "$output" ]
		[[ $stderr == "kc-render: './t.json': slot 'A|"*"' must be a whole string value" ]]
	done
}

@test "render: a slot used with two kinds is bad input (3)" {
	tmpl t.json '{"a": "{{.A|int}}", "b": "{{.A}}"}'
	run -3 --separate-stderr kc-render ./t.json A=1
	[ -z "$output" ]
	[ "$stderr" = "kc-render: './t.json': slot 'A' is used with two kinds" ]
}

@test "render: TEMPLATE without '/' is looked up in \$KC_DATADIR/templates" {
	mkdir -p data/templates
	tmpl data/templates/x.json '{"x": "{{.X}}"}'
	KC_DATADIR=$BATS_TEST_TMPDIR/data run -0 --separate-stderr kc-render x.json X=1
	[ "$output" = '{"x":"1"}' ]
	# a name with '/' is a path, relative to the current folder
	mkdir sub
	tmpl sub/x.json '{"y": "{{.X}}"}'
	KC_DATADIR=$BATS_TEST_TMPDIR/data run -0 kc-render sub/x.json X=2
	[ "$output" = '{"y":"2"}' ]
	KC_DATADIR=$BATS_TEST_TMPDIR/data run -4 --separate-stderr kc-render domain.json
	[ "$stderr" = "kc-render: cannot read template '$BATS_TEST_TMPDIR/data/templates/domain.json': No such file or directory" ]
}

@test "render: without KC_DATADIR the installed layout's share/kc is found" {
	mkdir -p prefix/libexec/kc prefix/share/kc/templates
	cp "$KC_SRC/libexec/kc-render" prefix/libexec/kc/
	tmpl prefix/share/kc/templates/x.json '{"installed": "{{.X}}"}'
	run -0 --separate-stderr prefix/libexec/kc/kc-render x.json X=1
	[ "$output" = '{"installed":"1"}' ]
	# and the source tree's, next to libexec/
	run -0 kc-render --list domain.json
}

# ---- command line ----

@test "render: --help prints the usage on stdout" {
	run -0 --separate-stderr kc-render --help
	[ "${lines[0]}" = "Usage: kc render [--list] TEMPLATE [NAME=VALUE | NAME@=PATH]..." ]
	[ -z "${lines[1]}" ] || [ "${#lines[@]}" -gt 2 ]
	[[ $output == *$'\n\nFill the slots of a JSON template and print the object as one line of JSON.\n'* ]]
	[ -z "$stderr" ]
	run -0 kc-render -h
	[ "${lines[0]}" = "Usage: kc render [--list] TEMPLATE [NAME=VALUE | NAME@=PATH]..." ]
}

@test "render: --version prints one line" {
	run -0 --separate-stderr kc-render --version
	[ "$output" = "kc-render $(cat "$KC_SRC/VERSION")" ]
}

@test "render: no TEMPLATE is a usage error (2)" {
	run -2 --separate-stderr kc-render
	[ -z "$output" ]
	[ "${stderr_lines[0]}" = "kc-render: missing TEMPLATE" ]
	[[ ${stderr_lines[1]} == "Usage: kc render "* ]]
}

@test "render: an unknown option is a usage error (2)" {
	run -2 --separate-stderr kc-render --frob domain.json
	[ -z "$output" ]
	[[ $stderr == *"Usage: kc render "* ]]
	run -2 --separate-stderr kc-render --list domain.json extra
	[[ ${stderr_lines[0]} == "kc-render: --list takes no other operand" ]]
	run -2 --separate-stderr kc-render --list
}

@test "render: kc render runs it through the dispatcher" {
	run -0 --separate-stderr kc render domaindata_bob_table.json DOMAIN_ID=bob
	jq -e '.metadata.name == "bob-table"' <<<"$output"
}
