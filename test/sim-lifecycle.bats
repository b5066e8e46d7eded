#!/usr/bin/env bats
# The simulator's node folder, start/stop/restart and fault switches (curl, openssl, jq, kubectl).
# shellcheck disable=SC2154 # stderr is set by bats' run --separate-stderr
bats_require_minimum_version 1.5.0

setup_file() {
	load helper/common
	sim_node alice
	sim_node rs
	sim_node plain --protocol NOTLS
	export A="$BATS_FILE_TMPDIR/alice"
}

teardown_file() {
	load helper/common
	sim_stop_all
}

setup() {
	load helper/common
	common_setup
	SIM=("$KC_PYTHON" "$KC_SRC/test/sim/kc-sim")
}

# api DIR PATH [CURL ARGS...]: the node's API with the kubeconfig's client certificate
api() {
	local dir=$1 path=$2
	shift 2
	curl -sS --cacert "$dir/var/certs/ca.crt" --cert "$dir/sim/certs/admin.crt" --key "$dir/sim/certs/admin.key" \
		"$@" "https://127.0.0.1:$(jq .api "$dir/sim/ports.json")$path"
}

port() { jq ".$2" "$1/sim/ports.json"; }

@test "lifecycle: init lays the node folder out like /home/kuscia" {
	for f in var/certs/{ca.key,ca.crt,domain.key,domain.crt,token,kusciaapi-server.key,kusciaapi-server.crt,kusciaapi-client.key,kusciaapi-client.crt} \
		etc/conf/kuscia.yaml etc/kubeconfig var/logs/kuscia.log var/storage/data sim/store.sqlite; do
		[ -e "$A/$f" ]
	done
	for k in ca.key domain.key kusciaapi-server.key kusciaapi-client.key; do
		[ "$(stat -c %a "$A/var/certs/$k")" = 600 ]
	done
	run -0 openssl x509 -in "$A/var/certs/domain.crt" -noout -subject -ext basicConstraints
	[[ $output == *"CN = alice"* && $output == *"CA:TRUE"* ]]
	cmp "$A/var/certs/domain.key" "$A/var/certs/ca.key"
	run -0 openssl verify -CAfile "$A/var/certs/ca.crt" "$A/var/certs/kusciaapi-server.crt" "$A/var/certs/kusciaapi-client.crt" "$A/sim/certs/external_tls.crt"
	run -0 openssl x509 -in "$A/var/certs/kusciaapi-client.crt" -noout -subject
	[[ $output == *"CN = KusciaAPIClient" ]]
	run -0 openssl x509 -in "$A/sim/certs/external_tls.crt" -noout -subject -ext subjectAltName
	[[ $output == *"CN = alice_ENVOY_EXTERNAL"* && $output == *"IP Address:127.0.0.1"* ]]
}

@test "lifecycle: the token is Kuscia's: 32 characters of the signed domain ID, no newline" {
	[ "$(stat -c %s "$A/var/certs/token")" = 32 ]
	want=$(printf alice | openssl dgst -sha256 -sign "$A/var/certs/domain.key" | base64 -w0 | head -c 32)
	[ "$(cat "$A/var/certs/token")" = "$want" ]
}

@test "lifecycle: kuscia.yaml holds domainID, mode, domainKeyData, protocol and the KusciaAPI port" {
	y="$A/etc/conf/kuscia.yaml"
	grep -qx 'domainID: alice' "$y"
	grep -qx 'mode: autonomy' "$y"
	grep -qx 'protocol: MTLS' "$y"
	grep -qx "  HTTPPort: $(port "$A" kusciaapi)" "$y"
	key=$(sed -n 's/^domainKeyData: //p' "$y" | base64 -d)
	[ "$key" = "$(cat "$A/var/certs/domain.key")" ]
}

@test "lifecycle: start writes ports.json and points the kubeconfig at the API" {
	run -0 jq -e '(.api|type) == "number" and (.kusciaapi|type) == "number" and (.gateway|type) == "number" and (.pid|type) == "number"' "$A/sim/ports.json"
	kill -0 "$(jq .pid "$A/sim/ports.json")"
	[ "$(cat "$A/sim/kc-sim.pid")" = "$(jq .pid "$A/sim/ports.json")" ]
	grep -q "server: https://127.0.0.1:$(port "$A" api)$" "$A/etc/kubeconfig"
	run -0 kc_kubectl "$A" get domain alice -o name
	[ "$output" = domain.kuscia.secretflow/alice ]
	grep -q ' INFO kc-sim node alice started' "$A/var/logs/kuscia.log"
}

@test "lifecycle: a second start of a running node fails and changes nothing" {
	before=$(cat "$A/sim/ports.json")
	run -1 --separate-stderr "${SIM[@]}" start "$A"
	[[ $stderr == "kc-sim: "*"already running"* ]]
	[ -z "$output" ]
	[ "$(cat "$A/sim/ports.json")" = "$before" ]
}

@test "lifecycle: stop, restart on given ports, data kept" {
	d="$BATS_FILE_TMPDIR/rs"
	obj='{"apiVersion":"kuscia.secretflow/v1alpha1","kind":"DomainData","metadata":{"name":"kept","namespace":"rs"},"spec":{"author":"rs","dataSource":"default-data-source","name":"k","relativeURI":"k.csv","type":"table"}}'
	run -0 kc_kubectl "$d" create -f - <<<"$obj"
	pid=$(jq .pid "$d/sim/ports.json")
	api_port=$(port "$d" api)
	run -0 "${SIM[@]}" stop "$d"
	[ -z "$output" ]
	# gone, or a zombie waiting for its parent (this test) to reap it
	[ ! -e "/proc/$pid" ] || [ "$(awk '{ print $3 }' "/proc/$pid/stat")" = Z ]
	[ ! -e "$d/sim/ports.json" ]
	run -0 "${SIM[@]}" stop "$d"
	run -0 "${SIM[@]}" start "$d" --api-port "$api_port"
	[ "$(port "$d" api)" = "$api_port" ]
	run -0 kc_kubectl "$d" get kdd kept -n rs -o jsonpath='{.spec.relativeURI}'
	[ "$output" = k.csv ]
}

@test "lifecycle: init refuses a bad domain ID (2) and an existing node (1)" {
	run -2 --separate-stderr "${SIM[@]}" init "$BATS_TEST_TMPDIR/x" --domain Bad_ID
	[[ $stderr == "kc-sim: invalid domain ID"* ]]
	[ ! -e "$BATS_TEST_TMPDIR/x/etc" ]
	run -2 --separate-stderr "${SIM[@]}" init "$BATS_TEST_TMPDIR/x" --domain cross-domain
	run -1 --separate-stderr "${SIM[@]}" init "$A" --domain alice
	[[ $stderr == "kc-sim: "*"already holds a node"* ]]
}

@test "lifecycle: start of a folder that is no node fails with a hint" {
	run -1 --separate-stderr "${SIM[@]}" start "$BATS_TEST_TMPDIR/none"
	[[ $stderr == "kc-sim: "*"not a node folder -- run: kc-sim init"* ]]
}

@test "lifecycle: the gateway answers an anonymous request with 401 from kuscia-gateway" {
	run -0 curl -sS -k -D "$BATS_TEST_TMPDIR/h" "https://127.0.0.1:$(port "$A" gateway)/"
	jq -e '.domain == "alice" and .reason == "unauthorized."' <<<"$output"
	grep -qi '^server: kuscia-gateway' "$BATS_TEST_TMPDIR/h"
	grep -qi '^kuscia-error-message: .' "$BATS_TEST_TMPDIR/h"
	run -0 openssl s_client -connect "127.0.0.1:$(port "$A" gateway)" -CAfile "$A/var/certs/ca.crt" </dev/null
	[[ $output == *"CN = alice_ENVOY_EXTERNAL"* && $output == *"Verify return code: 0 (ok)"* ]]
}

@test "lifecycle: a NOTLS node serves its gateway as plain HTTP" {
	d="$BATS_FILE_TMPDIR/plain"
	grep -qx 'protocol: NOTLS' "$d/etc/conf/kuscia.yaml"
	run -0 curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$(port "$d" gateway)/"
	[ "$output" = 401 ]
}

@test "lifecycle: fault down refuses connections, none restores the listener" {
	run -0 "${SIM[@]}" fault "$A" api down
	run -7 api "$A" /version
	run -0 "${SIM[@]}" fault "$A" api none
	run -0 api "$A" /version
	jq -e .gitVersion <<<"$output"
}

@test "lifecycle: fault refuse resets connections, blackhole never answers" {
	run -0 "${SIM[@]}" fault "$A" api refuse
	run api "$A" /version
	# a reset before or during the TLS handshake: curl says 7, 35 or 56 depending on timing
	[[ " 7 35 56 " == *" $status "* ]]
	[ -z "$output" ] || [[ $output == curl:* ]]
	run -0 "${SIM[@]}" fault "$A" api blackhole
	run -28 api "$A" /version --max-time 0.3
	run -0 "${SIM[@]}" fault "$A" api none
}

@test "lifecycle: fault status=N answers N with a Status, slow=S delays" {
	run -0 "${SIM[@]}" fault "$A" api status=503
	run -0 api "$A" /version -w '\n%{http_code}'
	[ "${lines[1]}" = 503 ]
	jq -e '.kind == "Status" and .code == 503' <<<"${lines[0]}"
	run -0 "${SIM[@]}" fault "$A" api slow=0.2
	run -0 api "$A" /version -o /dev/null -w '%{time_total}'
	awk -v t="$output" 'BEGIN { exit !(t >= 0.2) }'
	run -0 "${SIM[@]}" fault "$A" api none
}

@test "lifecycle: fault close-mid cuts the answer, bad-json truncates the body" {
	run -0 "${SIM[@]}" fault "$A" api close-mid
	run -18 api "$A" /version
	run -0 "${SIM[@]}" fault "$A" api bad-json
	run -0 api "$A" /version
	run ! jq . <<<"$output"
	run -0 "${SIM[@]}" fault "$A" api none
	run -0 api "$A" /version
	jq -e .gitVersion <<<"$output"
}

@test "lifecycle: faults are per listener" {
	run -0 "${SIM[@]}" fault "$A" gateway status=500
	run -0 curl -sS -k -o /dev/null -w '%{http_code}' "https://127.0.0.1:$(port "$A" gateway)/"
	[ "$output" = 500 ]
	run -0 api "$A" /version
	run -0 "${SIM[@]}" fault "$A" gateway none
	run -0 curl -sS -k -o /dev/null -w '%{http_code}' "https://127.0.0.1:$(port "$A" gateway)/"
	[ "$output" = 401 ]
}

@test "lifecycle: fault rejects an unknown listener or fault (2)" {
	run -2 --separate-stderr "${SIM[@]}" fault "$A" web down
	[[ $stderr == "kc-sim: unknown listener 'web'"* ]]
	run -2 --separate-stderr "${SIM[@]}" fault "$A" api slow=fast
	[[ $stderr == "kc-sim: unknown fault 'slow=fast'"* ]]
}

@test "lifecycle: keep-alive: several requests on one connection" {
	p=$(port "$A" api)
	run -0 curl -sS --cacert "$A/var/certs/ca.crt" --cert "$A/sim/certs/admin.crt" --key "$A/sim/certs/admin.key" \
		-w '%{num_connects}\n' -o /dev/null "https://127.0.0.1:$p/version" -o /dev/null "https://127.0.0.1:$p/api"
	[ "$output" = $'1\n0' ]
}

@test "lifecycle: usage errors exit 2; status prints ports.json or exits 3" {
	run -2 --separate-stderr "${SIM[@]}"
	[[ $stderr == *"kc-sim: a command is required" ]]
	run -2 --separate-stderr "${SIM[@]}" start "$A" --api-port 99999
	[[ $stderr == *"kc-sim: argument --api-port: invalid port '99999'" ]]
	run -2 --separate-stderr "${SIM[@]}" start "$A" --time-scale 0
	run -0 "${SIM[@]}" status "$A"
	[ "$output" = "$(jq -c . "$A/sim/ports.json" | sed 's/,/, /g; s/:/: /g')" ]
	run -3 "${SIM[@]}" status "$BATS_TEST_TMPDIR"
	[ "$output" = stopped ]
}
