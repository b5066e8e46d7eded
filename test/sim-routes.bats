#!/usr/bin/env bats
# test/sim: the public gateway, the RSA-GEN handshake and the route controller of the node
# simulator, with only curl, openssl, jq and real kubectl (spec/routes-and-tokens.md §3-§6)
bats_require_minimum_version 1.5.0

# Nodes (all at --time-scale 50): alice (MTLS) and bob (NOTLS) pair by hand; carol (TLS) owns
# one broken route per failure class; erin and frank are the peers of some of them; dave and
# ivan are only initialised (a certificate, no listener).
setup_file() {
	load helper/common
	export BATS_NO_PARALLELIZE_WITHIN_FILE=true
	local d=$BATS_FILE_TMPDIR n
	sim_node alice
	sim_node bob --protocol NOTLS
	sim_node carol --protocol TLS
	sim_node erin
	sim_node frank
	for n in dave ivan; do
		"$KC_PYTHON" "$KC_SRC/test/sim/kc-sim" init "$d/$n" --domain "$n" >/dev/null
	done

	# peer unreachable: nothing listens on dave's port
	add_peer carol dave
	route carol dave "$(free_port)" false
	# https to a plain-HTTP gateway, http to a TLS gateway
	add_peer carol bob
	route carol bob "$(gw_port bob)" true
	add_peer carol alice
	route carol alice "$(gw_port alice)" false
	# the peer has no Domain for us
	add_peer carol erin
	route carol erin "$(gw_port erin)" true
	# carol holds a wrong certificate of frank (bob's); frank holds carol's right one:
	# carol->frank "may be not correct", frank->carol "publickey hash mismatch"
	add_peer carol frank "$d/bob/var/certs/domain.crt"
	add_peer frank carol
	route carol frank "$(gw_port frank)" true
	route frank carol "$(gw_port carol)" true
	# the endpoint of ivan's route is alice's gateway
	add_peer carol ivan
	route carol ivan "$(gw_port alice)" true
	# erin's own Domain carries another key's certificate
	kc_kubectl "$d/erin" patch domain erin --type merge \
		-p "{\"spec\":{\"cert\":\"$(base64 -w0 "$d/bob/var/certs/domain.crt")\"}}" >/dev/null
	add_peer erin alice
	route erin alice "$(gw_port alice)" true
	# a path prefix that no proxy strips
	add_peer frank alice
	route frank alice "$(gw_port alice)" true /kuscia/

	# alice and bob, paired by hand as the P2P guide does
	add_peer alice bob
	add_peer bob alice
	route alice bob "$(gw_port bob)" false
	route bob alice "$(gw_port alice)" true
}

teardown_file() {
	load helper/common
	sim_stop_all
}

setup() {
	load helper/common
	D=$BATS_FILE_TMPDIR
}

gw_port() { jq -r .gateway "$BATS_FILE_TMPDIR/$1/sim/ports.json"; }

free_port() {
	"$KC_PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# add_peer NODE PEER [CERT]: PEER's certificate into NODE/var/certs/PEER.domain.crt and the
# Domain add_domain.sh PEER p2p applies
add_peer() {
	local peer=$2 cert=${3:-$BATS_FILE_TMPDIR/$2/var/certs/domain.crt} dir=$BATS_FILE_TMPDIR/$1
	cp "$cert" "$dir/var/certs/$peer.domain.crt"
	jq -n --arg p "$peer" --arg c "$(base64 -w0 "$dir/var/certs/$peer.domain.crt")" '{
		apiVersion: "kuscia.secretflow/v1alpha1", kind: "Domain",
		metadata: {annotations: {("domain/" + $p): "kuscia.secretflow/domain-type=embedded"}, name: $p},
		spec: {cert: $c, role: "partner", master: $p,
			authCenter: {authenticationType: "Token", tokenGenMethod: "RSA-GEN"},
			interConnProtocols: ["kuscia"]}}' | kc_kubectl "$dir" apply -f - >/dev/null
}

# route NODE PEER PORT ISTLS [PREFIX]: the ClusterDomainRoute join_to_host.sh NODE PEER URL applies
route() {
	jq -n --arg s "$1" --arg d "$2" --argjson port "$3" --argjson tls "$4" --arg prefix "${5:-/}" '{
		apiVersion: "kuscia.secretflow/v1alpha1", kind: "ClusterDomainRoute",
		metadata: {name: ($s + "-" + $d)},
		spec: {source: $s, destination: $d, interConnProtocol: "kuscia",
			endpoint: {host: "127.0.0.1",
				ports: [{name: "http", protocol: "HTTP", pathPrefix: $prefix, isTLS: $tls, port: $port}]},
			authenticationType: "Token",
			tokenConfig: {tokenGenMethod: "RSA-GEN", rollingUpdatePeriod: 86400},
			requestHeadersToAdd: {Authorization: "Bearer"}}}' |
		kc_kubectl "$BATS_FILE_TMPDIR/$1" apply -f - >/dev/null
}

# ready NODE CDR: "<status> <reason>" of the Ready condition
ready() {
	kc_kubectl "$BATS_FILE_TMPDIR/$1" get cdr "$2" -o json |
		jq -r '(.status.conditions // [])[] | select(.type == "Ready") | "\(.status) \(.reason // "")"'
}

is_ready() { [ "$(ready "$1" "$2")" = "$3" ]; }

logged() { grep -qF -- "$2" "$BATS_FILE_TMPDIR/$1/var/logs/kuscia.log"; }

# failure NODE CDR LINE: the route turns False DestinationIsNotAuthrized and LINE is logged
failure() {
	poll_until 15 logged "$1" "$3"
	poll_until 10 is_ready "$1" "$2" "False DestinationIsNotAuthrized"
	run -0 kc_kubectl "$BATS_FILE_TMPDIR/$1" get cdr "$2" -o jsonpath='{.status.conditions[?(@.type=="Ready")].message}'
	[ "$output" = TokenNotGenerate ]
}

# ---- pairing ---------------------------------------------------------------------------------

@test "sim routes: two nodes paired by hand reach READY True within 5 s, both ways on both sides" {
	poll_until 5 is_ready alice alice-bob "True "
	poll_until 5 is_ready alice bob-alice "True "
	poll_until 5 is_ready bob bob-alice "True "
	poll_until 5 is_ready bob alice-bob "True "
	run -0 kc_kubectl "$D/alice" get cdr alice-bob
	[[ ${lines[1]} =~ ^alice-bob\ +alice\ +bob\ +127\.0\.0\.1\ +Token\ +True$ ]]
}

@test "sim routes: the source side holds sourceTokens, the destination side destinationTokens" {
	poll_until 5 is_ready alice alice-bob "True "
	run -0 kc_kubectl "$D/alice" get cdr alice-bob -o json
	jq -e '.status.tokenStatus.sourceTokens | length == 1 and (.[0] | .isReady and .revision >= 1
		and (.token | length) == 344 and (.expirationTime | length) > 0)' <<<"$output"
	jq -e '.spec.tokenConfig | (.sourcePublicKey | length) > 0 and (.destinationPublicKey | length) > 0' <<<"$output"
	jq -e '.metadata.labels["kuscia.secretflow/clusterdomainroute-source"] == "alice"' <<<"$output"
	poll_until 5 is_ready bob alice-bob "True "
	run -0 kc_kubectl "$D/bob" get cdr alice-bob -o json
	jq -e '.status.tokenStatus.destinationTokens | length == 1 and .[0].isReady' <<<"$output"
	run -0 kc_kubectl "$D/alice" get domainroute -n alice alice-bob -o json
	jq -e '.status.isDestinationAuthorized == true and .status.tokenStatus.revisionToken.isReady' <<<"$output"
}

@test "sim routes: the public keys in the route are the canonical PKCS#1 strings of the certificates" {
	run -0 kc_kubectl "$D/alice" get cdr alice-bob -o jsonpath='{.spec.tokenConfig.destinationPublicKey}'
	[ "$(base64 -d <<<"$output")" = "$(openssl x509 -in "$D/bob/var/certs/domain.crt" -noout -pubkey |
		openssl rsa -pubin -RSAPublicKey_out 2>/dev/null)" ]
}

@test "sim routes: the heartbeat keeps the destination's heartBeatTime fresh" {
	poll_until 5 is_ready bob alice-bob "True "
	hb() {
		kc_kubectl "$D/bob" get cdr alice-bob -o jsonpath='{.status.tokenStatus.destinationTokens[0].heartBeatTime}'
	}
	has_hb() { [ -n "$(hb)" ]; }
	poll_until 5 has_hb
	local first
	first=$(hb)
	changed() { [ "$(hb)" != "$first" ]; }
	poll_until 5 changed
}

@test "sim routes: the handshake's token opens the peer's gateway, a wrong one does not" {
	poll_until 5 is_ready alice alice-bob "True "
	run -0 kc_kubectl "$D/alice" get domainroute -n alice alice-bob \
		-o jsonpath='{.status.tokenStatus.tokens[0].token}'
	local tok
	tok=$(base64 -d <<<"$output" | openssl pkeyutl -decrypt -inkey "$D/alice/var/certs/domain.key" \
		-pkeyopt rsa_padding_mode:pkcs1 | base64 -w0)
	[ "${#tok}" -eq 44 ]
	run -0 curl -sS "http://127.0.0.1:$(gw_port bob)/kcsim/v1/ping" -H "Kuscia-Source: alice" \
		-H "Kuscia-Token: $tok" -w '\n%{http_code}'
	[ "${lines[1]}" = 200 ]
	jq -e '.source == "alice" and .domain == "bob"' <<<"${lines[0]}"
	run -0 curl -sS -o /dev/null "http://127.0.0.1:$(gw_port bob)/kcsim/v1/ping" -H "Kuscia-Source: alice" \
		-H "Kuscia-Token: AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" -w '%{http_code}'
	[ "$output" = 401 ]
}

@test "sim routes: with the route token a party asks the peer to check its party of a job" {
	poll_until 5 is_ready alice alice-bob "True "
	poll_until 5 is_ready alice bob-alice "True "
	local tok job
	tok=$(kc_kubectl "$D/alice" get domainroute -n alice alice-bob -o jsonpath='{.status.tokenStatus.tokens[0].token}' |
		base64 -d | openssl pkeyutl -decrypt -inkey "$D/alice/var/certs/domain.key" -pkeyopt rsa_padding_mode:pkcs1 |
		base64 -w0)
	job=$(jq -nc '{job: {metadata: {name: "j"}, spec: {initiator: "alice", tasks: [{alias: "psi",
		parties: [{domainID: "alice"}, {domainID: "bob"}],
		taskInputConfig: ({sf_cluster_desc: {parties: ["alice", "bob"]}, sf_input_ids: ["alice-table", "bob-table"]} | tojson)}]}}}')
	run -0 curl -sS "http://127.0.0.1:$(gw_port bob)/kcsim/v1/job/party-check" -H "Kuscia-Source: alice" \
		-H "Kuscia-Token: $tok" -H 'Content-Type: application/json' -d "$job"
	jq -e '.domain == "bob" and .ok == false and .missing == ["DomainData bob-table does not exist in bob"]' <<<"$output"
	run -0 curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$(gw_port bob)/kcsim/v1/job/party-check" \
		-H "Kuscia-Source: alice" -d "$job"
	[ "$output" = 401 ]
}

# ---- the gateway port --------------------------------------------------------------------------

@test "sim gateway: an anonymous request over TLS gets 401 from kuscia-gateway naming the node" {
	run -0 curl -sSk -D "$BATS_TEST_TMPDIR/h" "https://127.0.0.1:$(gw_port alice)/any/path"
	jq -e '.domain == "alice" and .reason == "unauthorized." and (.instance | length) > 0
		and (.kuscia | length) > 0' <<<"$output"
	grep -q '^HTTP/1.1 401 ' "$BATS_TEST_TMPDIR/h"
	grep -qi '^server: kuscia-gateway' "$BATS_TEST_TMPDIR/h"
	grep -qiE '^kuscia-error-message: .+' "$BATS_TEST_TMPDIR/h"
}

@test "sim gateway: the TLS certificate is CN=<domain>_ENVOY_EXTERNAL issued by the node CA" {
	openssl s_client -connect "127.0.0.1:$(gw_port alice)" </dev/null 2>/dev/null |
		openssl x509 -out "$BATS_TEST_TMPDIR/gw.crt"
	run -0 openssl x509 -in "$BATS_TEST_TMPDIR/gw.crt" -noout -subject -issuer -nameopt RFC2253
	[ "${lines[0]}" = "subject=CN=alice_ENVOY_EXTERNAL" ]
	[ "${lines[1]}" = "issuer=CN=alice" ]
	run -0 openssl verify -CAfile "$D/alice/var/certs/ca.crt" "$BATS_TEST_TMPDIR/gw.crt"
}

@test "sim gateway: a NOTLS node answers the same 401 over plain HTTP" {
	run -0 curl -sS -D "$BATS_TEST_TMPDIR/h" "http://127.0.0.1:$(gw_port bob)/"
	jq -e '.domain == "bob" and .reason == "unauthorized."' <<<"$output"
	grep -q '^HTTP/1.1 401 ' "$BATS_TEST_TMPDIR/h"
	grep -qi '^server: kuscia-gateway' "$BATS_TEST_TMPDIR/h"
	grep -qiE '^kuscia-error-message: .+' "$BATS_TEST_TMPDIR/h"
	run -35 curl -sSk "https://127.0.0.1:$(gw_port bob)/"
}

@test "sim gateway: the handshake probe answers state 2 to a registered peer" {
	poll_until 5 is_ready alice bob-alice "True "
	run -0 curl -sSk "https://127.0.0.1:$(gw_port alice)/handshake" \
		-H "Kuscia-Host: kuscia-handshake.alice.svc" -H "Kuscia-Source: bob"
	[ "$output" = '{"namespace":"alice","state":2}' ]
}

@test "sim gateway: the handshake probe answers state 5 to a peer it does not know" {
	run -0 curl -sSk "https://127.0.0.1:$(gw_port alice)/handshake" \
		-H "Kuscia-Host: kuscia-handshake.alice.svc" -H "Kuscia-Source: carol"
	[ "$output" = '{"namespace":"alice","state":5}' ]
}

@test "sim gateway: the handshake server serves only /handshake; another node's name gets 401" {
	run -0 curl -sSk -w '\n%{http_code}' "https://127.0.0.1:$(gw_port alice)/foo/handshake" \
		-H "Kuscia-Host: kuscia-handshake.alice.svc" -H "Kuscia-Source: bob"
	[ "${lines[0]}" = "404 page not found" ]
	[ "${lines[1]}" = 404 ]
	run -0 curl -sSk -w '\n%{http_code}' "https://127.0.0.1:$(gw_port alice)/handshake" \
		-H "Kuscia-Host: kuscia-handshake.bob.svc" -H "Kuscia-Source: bob"
	[ "${lines[1]}" = 401 ]
	jq -e '.domain == "alice"' <<<"${lines[0]}"
}

@test "sim gateway: an undecodable handshake body is 400 text/plain" {
	run -0 curl -sSk -D "$BATS_TEST_TMPDIR/h" "https://127.0.0.1:$(gw_port alice)/handshake" \
		-H "Kuscia-Host: kuscia-handshake.alice.svc" -H "Content-Type: application/json" \
		-d '{"domain_id":"bob","token_config":{"revision":"0"}}'
	grep -q '^HTTP/1.1 400 ' "$BATS_TEST_TMPDIR/h"
	grep -qi '^content-type: text/plain' "$BATS_TEST_TMPDIR/h"
	[[ $output == *"cannot unmarshal string"* ]]
}

@test "sim gateway: a handshake from an unknown domain is refused with status 500 in a 200" {
	run -0 curl -sSk "https://127.0.0.1:$(gw_port alice)/handshake" \
		-H "Kuscia-Host: kuscia-handshake.alice.svc" -H "Content-Type: application/json" \
		-d '{"domain_id":"zed","type":"RSA","token_config":{"token":"x","pubhash":"y"}}'
	jq -e '.status.code == 500 and .status.message == "domainRoute [zed-alice] not found in dest domain [alice]"' \
		<<<"$output"
	poll_until 5 logged alice "DestReplyHandshake for [zed-alice] failed, detail-> domainRoute [zed-alice] not found"
}

# ---- failure classes: each with its own log line ------------------------------------------

@test "sim routes: peer unreachable: 503 connection failure, DestinationIsNotAuthrized" {
	failure carol carol-dave "DomainRoute carol-dave: handshake fail:response status code [503], detail -> upstream connect error or disconnect/reset before headers. reset reason: connection failure"
}

@test "sim routes: https to a plain-HTTP gateway: a TLS error" {
	failure carol carol-bob "DomainRoute carol-bob: handshake fail:response status code [503], detail -> upstream connect error or disconnect/reset before headers. reset reason: connection failure, transport failure reason: TLS error"
	logged carol WRONG_VERSION_NUMBER
}

@test "sim routes: http to a TLS gateway: connection termination" {
	failure carol carol-alice "DomainRoute carol-alice: handshake fail:response status code [503], detail -> upstream connect error or disconnect/reset before headers. reset reason: connection termination"
}

@test "sim routes: the peer has no Domain for us: not found in dest domain, on both sides" {
	failure carol carol-erin "DomainRoute carol-erin: handshake fail, return error:domainRoute [carol-erin] not found in dest domain [erin]"
	poll_until 5 logged erin "DestReplyHandshake for [carol-erin] failed, detail-> domainRoute [carol-erin] not found in dest domain [erin]"
}

@test "sim routes: we hold a wrong certificate of the peer: may be not correct, on both sides" {
	failure carol carol-frank "DomainRoute carol-frank: handshake fail, return error:dest domain [frank] publickey in source domain [carol] may be not correct"
	poll_until 5 logged frank "dest domain [frank] publickey in source domain [carol] may be not correct, error: "
}

@test "sim routes: the peer holds a wrong certificate of ours: publickey hash mismatch" {
	failure frank frank-carol "DomainRoute frank-carol: handshake fail, return error:source domain [frank] publickey hash mismatch in domainroute [frank-carol]"
	poll_until 5 logged carol "DestReplyHandshake for [frank-carol] failed, detail-> source domain [frank] publickey hash mismatch in domainroute [frank-carol]"
}

@test "sim routes: our own Domain certificate does not match our key: mismatch source public key" {
	failure erin erin-alice "ERROR DomainRoute erin-alice: mismatch source public key"
	run ! logged erin "DomainRoute erin-alice: handshake fail"
}

@test "sim routes: the endpoint is another node's gateway: 401 naming that node" {
	failure carol carol-ivan 'DomainRoute carol-ivan: handshake fail:response status code [401], detail -> {"domain":"alice",'
}

@test "sim routes: a path prefix no proxy strips: 404 page not found" {
	failure frank frank-alice "DomainRoute frank-alice: handshake fail:response status code [404], detail -> 404 page not found"
}

@test "sim routes: a Domain without a certificate leaves the keys empty and the route waiting" {
	run -0 kc_kubectl "$D/carol" apply -f - <<-'EOF'
		{"apiVersion":"kuscia.secretflow/v1alpha1","kind":"Domain","metadata":{"name":"nocert"},
		 "spec":{"role":"partner","master":"nocert","interConnProtocols":["kuscia"],
		         "authCenter":{"authenticationType":"Token","tokenGenMethod":"RSA-GEN"}}}
	EOF
	route carol nocert 1 false
	poll_until 5 logged carol "Domain nocert cert is nil"
	poll_until 5 logged carol "domainroute carol/carol-nocert select initializer failed, because source or destination pub is null, wait domain update"
	poll_until 5 is_ready carol carol-nocert "False DestinationIsNotAuthrized"
}

@test "sim routes: a route whose destination Domain is missing gets no status" {
	route carol nobody 1 false
	poll_until 5 logged carol 'get Domain nobody fail: domains.kuscia.secretflow "nobody" not found'
	run -0 kc_kubectl "$D/carol" get cdr carol-nobody -o json
	jq -e '.status == null or (.status.conditions // []) == []' <<<"$output"
}

@test "sim routes: the peer deletes our Domain: state 5 deauthorises the route; re-adding it heals" {
	poll_until 5 is_ready alice alice-bob "True "
	kc_kubectl "$D/bob" delete domain alice >/dev/null
	poll_until 10 logged alice "alice-bob can't contact destination because destination authentication is false"
	poll_until 10 is_ready alice alice-bob "False DestinationIsNotAuthrized"
	add_peer bob alice
	poll_until 15 is_ready alice alice-bob "True "
	poll_until 15 is_ready bob alice-bob "True "
}

@test "sim routes: a peer that never answers: Client.Timeout exceeded; other routes stay Ready" {
	"$KC_PYTHON" "$KC_SRC/test/sim/kc-sim" fault "$D/carol" gateway blackhole
	add_peer alice carol
	route alice carol "$(gw_port carol)" true
	failure alice alice-carol 'DomainRoute alice-carol: handshake fail:send request error, detail -> Post "http://127.0.0.1:80/handshake": context deadline exceeded (Client.Timeout exceeded while awaiting headers)'
	"$KC_PYTHON" "$KC_SRC/test/sim/kc-sim" fault "$D/carol" gateway none
	is_ready alice alice-bob "True "
	run ! logged alice "markDestUnreachable of dr(alice-bob)"
}

@test "sim routes: the in-process self-test of the handshake and the controller passes" {
	cd "$KC_SRC/test/sim"
	run -0 "$KC_PYTHON" -B -m kcsim.route_selftest
	[ "${lines[-1]}" = "route self-test: ok" ]
}

# ---- heartbeat loss (runs last: it stops bob) -------------------------------------------------

@test "sim routes: with bob stopped, alice-bob turns DestinationUnreachable and bob-alice HeartBeatTimeout" {
	poll_until 5 is_ready alice alice-bob "True "
	poll_until 5 is_ready alice bob-alice "True "
	"$KC_PYTHON" "$KC_SRC/test/sim/kc-sim" stop "$D/bob"
	poll_until 15 is_ready alice alice-bob "False DestinationUnreachable"
	poll_until 15 is_ready alice bob-alice "False HeartBeatTimeout"
	logged alice "markDestUnreachable of dr(alice-bob)"
}
