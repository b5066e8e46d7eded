#!/usr/bin/env bats
# kc-route-check probe, status and the diagnosis of a route, against the node simulator
# shellcheck disable=SC2154 # stderr and stderr_lines are set by bats' run --separate-stderr
bats_require_minimum_version 1.5.0

# Nodes (--time-scale 50): alice and bob paired both ways by hand as the P2P guide does; carol
# is known to alice (route alice-carol) but does not know alice; alice holds a wrong
# certificate of erin (route alice-erin), erin knows alice; dave is paired by a test. Beside
# them a plain HTTP server (python -m http.server) and a self-signed TLS server (s_server).
setup_file() {
	load helper/common
	export BATS_NO_PARALLELIZE_WITHIN_FILE=true
	export PATH="$KC_SRC/bin:$KC_SRC/libexec:$PATH"
	local d=$BATS_FILE_TMPDIR n
	for n in alice bob carol dave erin; do
		sim_node "$n"
	done
	openssl genrsa -out "$d/other.key" 2048 2>/dev/null
	openssl req -new -x509 -key "$d/other.key" -subj /CN=erin -days 2 -out "$d/erin-wrong.crt"
	openssl req -new -x509 -key "$d/other.key" -subj /CN=localhost -days 2 -out "$d/self.crt"

	add_peer alice bob
	add_peer bob alice
	join alice bob
	join bob alice
	add_peer alice carol
	join alice carol
	add_peer alice erin "$d/erin-wrong.crt"
	add_peer erin alice
	join alice erin

	free_port >"$d/http.port"
	"$KC_PYTHON" -m http.server "$(cat "$d/http.port")" --bind 127.0.0.1 --directory "$d" \
		</dev/null >/dev/null 2>&1 &
	echo $! >"$d/http.pid"
	free_port >"$d/tls.port"
	openssl s_server -www -quiet -accept "127.0.0.1:$(cat "$d/tls.port")" -cert "$d/self.crt" \
		-key "$d/other.key" </dev/null >/dev/null 2>&1 &
	echo $! >"$d/tls.pid"

	KUSCIA_ROOT=$d/alice kc-route-check status alice-bob --wait 30s >/dev/null 2>&1
	poll_until 30 reason_is alice alice-carol DestinationIsNotAuthrized
	poll_until 10 listening "$(cat "$d/http.port")"
	poll_until 10 listening "$(cat "$d/tls.port")"
}

teardown_file() {
	load helper/common
	local f
	for f in http tls; do
		[ ! -f "$BATS_FILE_TMPDIR/$f.pid" ] || kill "$(cat "$BATS_FILE_TMPDIR/$f.pid")" 2>/dev/null || true
	done
	sim_stop_all
}

setup() {
	load helper/common
	common_setup
	D=$BATS_FILE_TMPDIR
	export KUSCIA_ROOT="$D/alice"
}

gw_port() { jq -r .gateway "$BATS_FILE_TMPDIR/$1/sim/ports.json"; }

free_port() {
	"$KC_PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

listening() { # PORT
	"$KC_PYTHON" -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$1" 2>/dev/null
}

# add_peer NODE PEER [CERT]: PEER's certificate as NODE/var/certs/PEER.domain.crt, then
# add_domain.sh PEER p2p on NODE (pairing is the fixture: never under valgrind)
add_peer() {
	local dir=$BATS_FILE_TMPDIR/$1
	cp "${3:-$BATS_FILE_TMPDIR/$2/var/certs/domain.crt}" "$dir/var/certs/$2.domain.crt"
	KC_LIBEXEC=$KC_SRC/libexec KUSCIA_ROOT=$dir add_domain.sh "$2" p2p >/dev/null
}

join() { # NODE PEER: the route NODE-PEER to PEER's gateway
	KC_LIBEXEC=$KC_SRC/libexec KUSCIA_ROOT=$BATS_FILE_TMPDIR/$1 \
		join_to_host.sh "$1" "$2" "https://127.0.0.1:$(gw_port "$2")" >/dev/null
}

reason_is() { # NODE ROUTE REASON
	[ "$(kc_kubectl "$BATS_FILE_TMPDIR/$1" get cdr "$2" \
		-o 'jsonpath={.status.conditions[?(@.type=="Ready")].reason}' 2>/dev/null)" = "$3" ]
}

# ---- probe ---------------------------------------------------------------------------------

@test "route-check probe: a healthy gateway, one ok line per stage, unverified without --expect" {
	run -0 --separate-stderr kc-route-check probe "https://127.0.0.1:$(gw_port bob)"
	[ "${#lines[@]}" -eq 5 ]
	[[ ${lines[0]} == "ok dns: 127.0.0.1 is an address, no lookup ("*" ms)" ]]
	[[ ${lines[1]} == "ok connect: connected to 127.0.0.1:$(gw_port bob) ("*" ms)" ]]
	[[ ${lines[2]} == "warn tls: TLSv1.3, subject CN=bob_ENVOY_EXTERNAL, issuer CN=bob, expires "*", not verified (no --expect PEER) ("*" ms) -- give --expect PEER to verify" ]]
	[[ ${lines[3]} == "ok http: HTTP 401, server 'kuscia-gateway' ("*" ms)" ]]
	[[ ${lines[4]} == "ok gateway: the Kuscia gateway of domain 'bob' (instance "*", Kuscia "*")" ]]
	[[ $stderr == "kc-route-check: warning: the certificate of 'https://127.0.0.1:$(gw_port bob)/' was not verified: no --expect PEER" ]]
}

@test "route-check probe: -o json is one document with every stage, the TLS details and the domain" {
	run -0 --separate-stderr kc-route-check probe -o json "https://127.0.0.1:$(gw_port bob)/" --expect bob
	[ "${#lines[@]}" -eq 1 ]
	[ -z "$stderr" ]
	jq -e --argjson p "$(gw_port bob)" '
		.url == "https://127.0.0.1:\($p)/" and .host == "127.0.0.1" and .port == $p and .isTLS
		and ([.stages[].check] == ["dns", "connect", "tls", "http", "gateway"])
		and ([.stages[].status] | all(. == "ok"))
		and (.stages[0:4] | all(.ms | type == "number"))
		and .tls.version == "TLSv1.3" and .tls.subject == "CN=bob_ENVOY_EXTERNAL"
		and .tls.issuer == "CN=bob" and .tls.verified and .tls.verifyError == null
		and (.tls.notAfter | test("^20[0-9][0-9]-"))
		and .httpStatus == 401 and .server == "kuscia-gateway" and .gateway.domain == "bob"
		and .handshakeState == null and .ok and .exitCode == 0' <<<"$output"
}

@test "route-check probe: --expect verifies TLS against var/certs/PEER.domain.crt and the CN" {
	run -0 --separate-stderr kc-route-check probe "https://127.0.0.1:$(gw_port bob)" --expect bob
	[ -z "$stderr" ]
	[[ ${lines[2]} == "ok tls: TLSv1.3, subject CN=bob_ENVOY_EXTERNAL, issuer CN=bob, expires "*", verified against var/certs/bob.domain.crt ("*" ms)" ]]
}

@test "route-check probe: --expect names another node: the wrong domain (8)" {
	local root=$BATS_TEST_TMPDIR/root	# holds no carol.domain.crt
	KUSCIA_ROOT=$root run -8 --separate-stderr kc-route-check probe "https://127.0.0.1:$(gw_port bob)" --expect carol
	[ "${lines[4]}" = "FAIL gateway: the Kuscia gateway of domain 'bob', not 'carol' -- the endpoint points at bob's gateway: use carol's endpoint" ]
	[[ $stderr == *"warning: the certificate of "*"was not verified: no '$root/var/certs/carol.domain.crt'" ]]
}

@test "route-check probe: --expect with the peer's certificate at hand: another gateway fails TLS (7)" {
	run -7 --separate-stderr kc-route-check probe "https://127.0.0.1:$(gw_port bob)" --expect carol
	[[ ${lines[2]} == "FAIL tls: TLSv1.3, subject CN=bob_ENVOY_EXTERNAL, issuer CN=bob: the certificate does not verify against '$D/alice/var/certs/carol.domain.crt': unable to get local issuer certificate ("*" ms) -- this is not carol's gateway, or var/certs/carol.domain.crt is not carol's current domain.crt: get it again from carol" ]]
	[ "${lines[3]}" = "skip http: an earlier stage failed" ]
	[ "${lines[4]}" = "skip gateway: an earlier stage failed" ]
}

@test "route-check probe: -k skips verification with a warning, the domain is still checked" {
	run -8 --separate-stderr kc-route-check probe -k "https://127.0.0.1:$(gw_port bob)" --expect carol
	[[ ${lines[2]} == "warn tls: "*"not verified (-k given)"* ]]
	[[ $stderr == *"was not verified: -k given" ]]
	[[ ${lines[4]} == "FAIL gateway: the Kuscia gateway of domain 'bob', not 'carol'"* ]]
}

@test "route-check probe: a closed port is unreachable (5)" {
	local port
	port=$(free_port)
	run -5 --separate-stderr kc-route-check probe "https://127.0.0.1:$port"
	[[ ${lines[1]} == "FAIL connect: cannot connect to 127.0.0.1:$port: "*" -- nothing listens on port $port there: is the Kuscia container running and its port 1080 mapped to $port?" ]]
	[ "${lines[2]}" = "skip tls: an earlier stage failed" ]
}

@test "route-check probe: a host that does not resolve fails at dns (5)" {
	run -5 --separate-stderr kc-route-check probe https://no-such-host.invalid:1080
	[[ ${lines[0]} == "FAIL dns: cannot resolve 'no-such-host.invalid' to an IPv4 address: "* ]]
}

@test "route-check probe: a web server answering 200 is not a Kuscia gateway (8)" {
	run -8 --separate-stderr kc-route-check probe "http://127.0.0.1:$(cat "$D/http.port")/"
	[ "${lines[2]}" = "skip tls: plain HTTP endpoint" ]
	[[ ${lines[3]} == "ok http: HTTP 200, server 'SimpleHTTP/"* ]]
	[[ ${lines[4]} == "FAIL gateway: not a Kuscia gateway: HTTP 200, server 'SimpleHTTP/"*"' -- something other than a Kuscia gateway answers"* ]]
}

@test "route-check probe: https to a plain HTTP port fails TLS (7) and says to use http://" {
	local port
	port=$(cat "$D/http.port")
	run -7 --separate-stderr kc-route-check probe "https://127.0.0.1:$port"
	[ "${lines[1]%% (*}" = "ok connect: connected to 127.0.0.1:$port" ]
	[[ ${lines[2]} == "FAIL tls: TLS handshake failed: "*"wrong version number -- the endpoint speaks plain HTTP: use http://127.0.0.1:$port (the peer runs protocol NOTLS)" ]]
}

@test "route-check probe: http to the TLS gateway (7) says to use https://" {
	run -7 --separate-stderr kc-route-check probe "http://127.0.0.1:$(gw_port bob)"
	[[ ${lines[3]} == "FAIL http: no HTTP answer "*" -- the endpoint speaks TLS: use https://127.0.0.1:$(gw_port bob)" ]]
	[ "${lines[4]}" = "skip gateway: an earlier stage failed" ]
}

@test "route-check probe: a self-signed server: unverified with a warning, then not a gateway (8)" {
	run -8 --separate-stderr kc-route-check probe "https://127.0.0.1:$(cat "$D/tls.port")"
	[[ ${lines[2]} == "warn tls: "*"subject CN=localhost, issuer CN=localhost, expires "*"not verified (no --expect PEER)"* ]]
	[[ $stderr == *"warning: the certificate of "*"was not verified"* ]]
	[[ ${lines[4]} == "FAIL gateway: not a Kuscia gateway: HTTP 200"* ]]
}

@test "route-check probe: a self-signed server with --expect fails TLS (7); with -k it is warned" {
	run -7 --separate-stderr kc-route-check probe "https://127.0.0.1:$(cat "$D/tls.port")" --expect bob
	[[ ${lines[2]} == "FAIL tls: "*"subject CN=localhost, issuer CN=localhost: the certificate does not verify against '$D/alice/var/certs/bob.domain.crt': "* ]]
	run -8 --separate-stderr kc-route-check probe -k "https://127.0.0.1:$(cat "$D/tls.port")"
	[[ ${lines[2]} == "warn tls: "*"(-k given)"* ]]
}

@test "route-check probe: a gateway that never answers runs into --timeout (5)" {
	"$KC_PYTHON" "$KC_SRC/test/sim/kc-sim" fault "$D/carol" gateway blackhole
	run -5 --separate-stderr kc-route-check probe --timeout 1 "https://127.0.0.1:$(gw_port carol)"
	"$KC_PYTHON" "$KC_SRC/test/sim/kc-sim" fault "$D/carol" gateway none
	[[ $output == *"FAIL "*": no "*"answer within 1 s -- something accepts connections but does not answer"* ]]
}

@test "route-check probe: connections reset at once, or cut mid-answer, are unreachable (5)" {
	"$KC_PYTHON" "$KC_SRC/test/sim/kc-sim" fault "$D/carol" gateway refuse
	run -5 --separate-stderr kc-route-check probe "https://127.0.0.1:$(gw_port carol)"
	"$KC_PYTHON" "$KC_SRC/test/sim/kc-sim" fault "$D/carol" gateway close-mid
	# the reset lands in the TLS handshake, or (slower client) already in connect
	[[ $output == *"FAIL tls: the connection was reset"* || $output == *"FAIL connect: cannot connect"* ]]
	run -5 --separate-stderr kc-route-check probe "https://127.0.0.1:$(gw_port carol)"
	"$KC_PYTHON" "$KC_SRC/test/sim/kc-sim" fault "$D/carol" gateway none
	[[ ${lines[3]} == "FAIL http: no complete HTTP answer: "*" -- check that the endpoint is the peer's gateway port and nothing in between cuts connections" ]]
}

@test "route-check probe: a proxy's 502 is not a Kuscia gateway (8)" {
	"$KC_PYTHON" "$KC_SRC/test/sim/kc-sim" fault "$D/carol" gateway status=502
	run -8 --separate-stderr kc-route-check probe "https://127.0.0.1:$(gw_port carol)"
	"$KC_PYTHON" "$KC_SRC/test/sim/kc-sim" fault "$D/carol" gateway none
	[[ ${lines[4]} == "FAIL gateway: not a Kuscia gateway: HTTP 502, "*" -- an intermediate gateway or proxy rejected or failed the request"* ]]
}

@test "route-check probe: --from after pairing: the peer has registered us (state 2)" {
	run -0 --separate-stderr kc-route-check probe "https://127.0.0.1:$(gw_port bob)" --expect bob --from alice
	[ "${lines[5]}" = "ok handshake: bob has registered alice (handshake probe state 2)" ]
	run -0 --separate-stderr kc-route-check probe -o json "https://127.0.0.1:$(gw_port bob)" --expect bob --from alice
	jq -e '.handshakeState == 2 and .stages[5].check == "handshake"' <<<"$output"
}

@test "route-check probe: --from a node the peer does not know: state 5, exit 1 with the fix" {
	run -1 --separate-stderr kc-route-check probe "https://127.0.0.1:$(gw_port carol)" --expect carol --from alice
	[ "${lines[5]}" = "FAIL handshake: carol has not registered alice (handshake probe state 5: no DomainRoute alice-carol there) -- on carol run: add_domain.sh alice p2p" ]
	run -1 --separate-stderr kc-route-check probe -o json "https://127.0.0.1:$(gw_port carol)" --from alice
	jq -e '.handshakeState == 5 and (.ok | not) and .exitCode == 1' <<<"$output"
}

@test "route-check probe: an invalid URL is bad input (3), nothing on stdout" {
	run -3 --separate-stderr kc-route-check probe ftp://127.0.0.1:1
	[ -z "$output" ]
	[[ $stderr == "kc-route-check: "* ]]
}

# ---- status --------------------------------------------------------------------------------

@test "route-check status: a Ready route (0) with its tokens" {
	run -0 --separate-stderr kc-route-check status alice-bob
	[ "${lines[0]}" = "route: alice-bob (alice -> bob, https://127.0.0.1:$(gw_port bob)/)" ]
	[ "${lines[1]}" = "ready: True" ]
	[ "${lines[2]}" = "reason: -" ]
	[ "${lines[3]}" = "explanation: OK" ]
	[[ ${lines[4]} == "sourceTokens: revision "[0-9]*", ready, expires 20"* ]]
	[ "${lines[5]}" = "destinationTokens: none" ]
	[ -z "$stderr" ]
}

@test "route-check status: -o json, and the reverse route's destination tokens" {
	run -0 --separate-stderr kc-route-check status -o json bob-alice
	jq -e '.route == "bob-alice" and .exists and .source == "bob" and .destination == "alice"
		and .endpoint == null and .ready and .status == "True" and .reason == null
		and .explanation == "OK" and .fix == null and .sourceTokens == null
		and .destinationTokens.ready and (.destinationTokens.revision >= 1)' <<<"$output"
}

@test "route-check status: not Ready (1) with its reason explained and the next step" {
	run -1 --separate-stderr kc-route-check status alice-carol
	[ "${lines[1]}" = "ready: False" ]
	[ "${lines[2]}" = "reason: DestinationIsNotAuthrized" ]
	[ "${lines[3]}" = "explanation: the handshake with carol never succeeded (peer unreachable, carol lacks our Domain, or a certificate mismatch)" ]
	[ "${lines[4]}" = "fix: run: kc route-check alice-carol; look for 'handshake fail' in var/logs/kuscia.log" ]
	run -1 --separate-stderr kc-route-check status -o json alice-carol
	jq -e '.ready == false and .status == "False" and .reason == "DestinationIsNotAuthrized"
		and .message == "TokenNotGenerate" and (.fix | startswith("run: kc route-check"))' <<<"$output"
}

@test "route-check status: a route that does not exist (1) says to run join_to_host.sh" {
	run -1 --separate-stderr kc-route-check status alice-zed
	[ "${lines[0]}" = "route: alice-zed (does not exist)" ]
	[ "${lines[3]}" = "explanation: no ClusterDomainRoute 'alice-zed'" ]
	[ "${lines[4]}" = "fix: run: join_to_host.sh alice zed https://HOST:PORT (zed's public gateway)" ]
	run -1 --separate-stderr kc-route-check status -o json alice-zed
	jq -e '.exists == false and .ready == false and (.fix | startswith("run: join_to_host.sh alice zed"))' <<<"$output"
}

@test "route-check status --wait: reaches Ready once both sides are paired, one line per change" {
	add_peer alice dave
	join alice dave
	add_peer dave alice
	run -0 --separate-stderr kc-route-check status alice-dave --wait 30s
	[ "${lines[1]}" = "ready: True" ]
	for l in "${stderr_lines[@]}"; do
		[[ $l == "kc-route-check: alice-dave: "*" after "*" s" ]]
	done
}

@test "route-check status --wait 1s: runs out (124) and says where it stands" {
	run -124 --separate-stderr kc-route-check status alice-carol --wait 1s
	[[ ${stderr_lines[0]} == "kc-route-check: alice-carol: Ready False (DestinationIsNotAuthrized) after "[0-9]*" s" ]]
	[ "${stderr_lines[-1]}" = "kc-route-check: route 'alice-carol' is not Ready after 1.0 s: Ready False, DestinationIsNotAuthrized" ]
	[ "${lines[2]}" = "reason: DestinationIsNotAuthrized" ]
}

@test "route-check status --wait: on a terminal one progress line is rewritten" {
	run -124 script -qec "kc-route-check status alice-carol --wait 500ms" /dev/null
	[[ $output == *$'\r'"kc-route-check: waiting for alice-carol: Ready False (DestinationIsNotAuthrized), "[0-9]" s"* ]]
}

@test "route-check status --explain: every Ready reason of troubleshooting §F in one line" {
	local r
	declare -A want=(
		[True]="OK"
		[none]="not processed yet: the Domain for PEER is missing or has no certificate -- run: add_domain.sh PEER p2p (with var/certs/PEER.domain.crt in place)"
		[DestinationIsNotAuthrized]="the handshake with PEER never succeeded (peer unreachable, PEER lacks our Domain, or a certificate mismatch) -- run: kc route-check SELF-PEER; look for 'handshake fail' in var/logs/kuscia.log"
		[DestinationIsNotAuthorized]="the handshake with PEER never succeeded (peer unreachable, PEER lacks our Domain, or a certificate mismatch) -- run: kc route-check SELF-PEER; look for 'handshake fail' in var/logs/kuscia.log"
		[TokenNotGenerate]="no valid token at the moment (cleared by PEER or not yet generated); a new handshake follows -- wait for it: kc route-check status SELF-PEER --wait 2m"
		[DestinationUnreachable]="tokens exist but PEER has not answered heartbeats for 45 s or more (network change, PEER down) -- check that PEER is up: kc route-check probe ENDPOINT --expect PEER"
		[HeartBeatTimeout]="PEER stopped sending heartbeats to us for more than 30 s -- check PEER's route to us: on PEER run: kc route-check PEER-SELF"
		[TokenRevisionNotMatch]="the two sides disagree about the token revision; usually transient during rotation -- check again in a minute: kc route-check status SELF-PEER --wait 2m"
	)
	local reasons=("${!want[@]}")
	# under valgrind two reasons exercise the same code (a table lookup)
	[ -z "${KC_VALGRIND:-}" ] || reasons=(DestinationIsNotAuthorized none)
	for r in "${reasons[@]}"; do
		run -0 --separate-stderr kc-route-check status --explain "$r"
		[ "$output" = "$r: ${want[$r]}" ]
	done
	run -1 --separate-stderr kc-route-check status --explain Whatever -o json
	jq -e '.known == false and .explanation == "not Ready for a reason kc does not know: '"'Whatever'"'"' <<<"$output"
}

@test "route-check status: no kubeconfig (4), an apiserver that is down (5)" {
	KUSCIA_ROOT=$BATS_TEST_TMPDIR/root run -4 --separate-stderr kc-route-check status alice-bob
	[ -z "$output" ]
	[[ $stderr == "kc-route-check: no kubeconfig found"* ]]
	sed "s#server: .*#server: https://127.0.0.1:$(free_port)#" "$D/alice/etc/kubeconfig" >"$BATS_TEST_TMPDIR/kc"
	run -5 --separate-stderr kc-route-check status alice-bob --kubeconfig "$BATS_TEST_TMPDIR/kc"
	[ -z "$output" ]
	[[ $stderr == "kc-route-check: cannot reach "* ]]
}

@test "route-check list: every route, one line each, and -o json" {
	run -0 --separate-stderr kc-route-check list
	[[ $'\n'$output$'\n' == *$'\n'"alice-bob alice bob True - https://127.0.0.1:$(gw_port bob)/"$'\n'* ]]
	[[ $'\n'$output$'\n' == *$'\n'"alice-carol alice carol False DestinationIsNotAuthrized https://127.0.0.1:$(gw_port carol)/"$'\n'* ]]
	[[ $'\n'$output$'\n' == *$'\n'"bob-alice bob alice True - -"$'\n'* ]]
	run -0 --separate-stderr kc-route-check list -o json
	jq -e '(.routes | length) >= 4
		and (.routes[] | select(.route == "alice-bob") | .ready and .endpoint != null)
		and (.routes[] | select(.route == "alice-carol") | .reason == "DestinationIsNotAuthrized"
			and (.fix | startswith("run: kc route-check alice-carol")))' <<<"$output"
}

# ---- the diagnosis -------------------------------------------------------------------------

@test "route-check: a healthy route passes every check (0)" {
	run -0 --separate-stderr kc-route-check alice-bob
	[ "${#lines[@]}" -eq 7 ]
	[ "${lines[0]}" = "ok route: alice -> bob, https://127.0.0.1:$(gw_port bob)/" ]
	[ "${lines[1]}" = "ok peer-domain: Domain 'bob' is a partner with a certificate" ]
	[ "${lines[2]}" = "ok peer-cert: the certificate in Domain 'bob' has CN bob and the key of var/certs/bob.domain.crt" ]
	[ "${lines[3]}" = "ok own-cert: var/certs/domain.crt matches domain.key, and so does the certificate in our Domain" ]
	[ "${lines[4]}" = "ok endpoint: https://127.0.0.1:$(gw_port bob)/ answers as bob's Kuscia gateway (TLS, certificate verified)" ]
	[ "${lines[5]}" = "ok peer-registration: bob has registered alice (handshake probe state 2)" ]
	[[ ${lines[6]} == "ok ready: Ready True, token revision "[0-9]*", expires 20"* ]]
	[ -z "$stderr" ]
}

@test "route-check: the peer lacks our Domain: the first FAIL is peer-registration, with its fix" {
	run -1 --separate-stderr kc-route-check alice-carol
	[ "${lines[4]}" = "ok endpoint: https://127.0.0.1:$(gw_port carol)/ answers as carol's Kuscia gateway (TLS, certificate verified)" ]
	[ "${lines[5]}" = "FAIL peer-registration: carol has not registered alice (handshake probe state 5: no DomainRoute alice-carol there) -- on carol run: add_domain.sh alice p2p" ]
	[[ ${lines[6]} == "FAIL ready: Ready False (DestinationIsNotAuthrized): the handshake with carol never succeeded"* ]]
	[ "$(grep -c '^ok ' <<<"$output")" -eq 5 ]
}

@test "route-check: our certificate for the peer is a wrong one: the endpoint fails TLS" {
	run -1 --separate-stderr kc-route-check alice-erin
	[ "${lines[2]}" = "ok peer-cert: the certificate in Domain 'erin' has CN erin and the key of var/certs/erin.domain.crt" ]
	[[ ${lines[4]} == "FAIL endpoint: https://127.0.0.1:$(gw_port erin)/: tls: "*"the certificate does not verify against '$D/alice/var/certs/erin.domain.crt'"*" -- this is not erin's gateway, or var/certs/erin.domain.crt is not erin's current domain.crt: get it again from erin" ]]
	[ "${lines[5]}" = "skip peer-registration: the endpoint check failed" ]
	[[ ${lines[6]} == "FAIL ready: "* ]]
}

@test "route-check: the Domain holds another key than var/certs/PEER.domain.crt: peer-cert fails" {
	local root=$BATS_TEST_TMPDIR/alice
	mkdir -p "$root/var"
	cp -R "$D/alice/etc" "$root/etc"
	cp -R "$D/alice/var/certs" "$root/var/certs"
	cp "$D/erin-wrong.crt" "$root/var/certs/bob.domain.crt"
	KUSCIA_ROOT=$root run -1 --separate-stderr kc-route-check alice-bob
	[ "${lines[2]}" = "FAIL peer-cert: Domain 'bob' holds another key than var/certs/bob.domain.crt -- if var/certs/bob.domain.crt is bob's current domain.crt, run: add_domain.sh bob p2p; else get it again from bob" ]
}

@test "route-check: our own Domain carries another key's certificate: own-cert fails" {
	# dave's routes are no longer used after this: its own Domain gets bob's certificate
	kc_kubectl "$D/dave" patch domain dave --type merge \
		-p "{\"spec\":{\"cert\":\"$(base64 -w0 "$D/bob/var/certs/domain.crt")\"}}" >/dev/null
	KUSCIA_ROOT=$D/dave run -1 --separate-stderr kc-route-check dave-alice
	[ "${lines[3]}" = "FAIL own-cert: Domain 'dave' carries the certificate of another key than domain.key: its routes log 'mismatch source public key' -- restart the node: Kuscia writes domain.crt into Domain 'dave' at start" ]
}

@test "route-check: a route that does not exist: the first FAIL is route, with join_to_host.sh" {
	run -1 --separate-stderr kc-route-check alice-zed
	[ "${lines[0]}" = "FAIL route: no ClusterDomainRoute 'alice-zed' -- run: join_to_host.sh alice zed https://HOST:PORT (zed's public gateway)" ]
	[ "${lines[1]}" = "FAIL peer-domain: no Domain 'zed' -- copy zed's var/certs/domain.crt to var/certs/zed.domain.crt, then run: add_domain.sh zed p2p" ]
	[ "${lines[4]}" = "skip endpoint: no endpoint to probe" ]
	[ "${lines[6]}" = "skip ready: an earlier check failed" ]
}

@test "route-check: -o json lists every check whatever the outcome" {
	run -1 --separate-stderr kc-route-check -o json alice-carol
	[ "${#lines[@]}" -eq 1 ]
	jq -e '.route == "alice-carol" and .source == "alice" and .destination == "carol"
		and ([.checks[].check] == ["route", "peer-domain", "peer-cert", "own-cert", "endpoint",
			"peer-registration", "ready"])
		and (.checks | all(keys == ["check", "finding", "fix", "status"]))
		and .checks[5].status == "FAIL" and .checks[5].fix == "on carol run: add_domain.sh alice p2p"
		and .firstFailure == "peer-registration" and .ok == false' <<<"$output"
	run -0 --separate-stderr kc-route-check -o json alice-bob
	jq -e '.ok and .firstFailure == null and ([.checks[].status] | all(. == "ok"))' <<<"$output"
}

@test "route-check: the reverse route is checked without an endpoint" {
	run -0 --separate-stderr kc-route-check bob-alice
	[ "${lines[0]}" = "ok route: bob -> alice, no endpoint (the reverse route, made by Kuscia)" ]
	[ "${lines[4]}" = "skip endpoint: the reverse route has no endpoint" ]
}

@test "route-check: not a Kuscia node folder, or no kubeconfig: cannot run (4)" {
	local root=$BATS_TEST_TMPDIR/root
	KUSCIA_ROOT=$root run -4 --separate-stderr kc-route-check alice-bob
	[ -z "$output" ]
	[[ $stderr == "kc-route-check: '$root' is not a Kuscia node folder: no etc/conf/kuscia.yaml -- set KUSCIA_ROOT" ]]
	cp "$D/alice/etc/conf/kuscia.yaml" "$root/etc/conf/"
	KUSCIA_ROOT=$root run -4 --separate-stderr kc-route-check -o json alice-bob
	[ -z "$output" ]
	[[ $stderr == "kc-route-check: no kubeconfig found"* ]]
}

@test "route-check: an unreachable apiserver is a FAIL of the route check; local checks still run" {
	sed "s#server: .*#server: https://127.0.0.1:$(free_port)#" "$D/alice/etc/kubeconfig" >"$BATS_TEST_TMPDIR/kc"
	run -1 --separate-stderr kc-route-check alice-bob --kubeconfig "$BATS_TEST_TMPDIR/kc"
	[ "${lines[0]}" = "FAIL route: cannot read ClusterDomainRoute 'alice-bob': the apiserver is unreachable -- is the node running? check the kubeconfig (see the message above)" ]
	[ "${lines[1]}" = "skip peer-domain: an earlier check failed" ]
	[ "${lines[3]}" = "ok own-cert: var/certs/domain.crt matches domain.key" ]
	[[ $stderr == "kc-route-check: cannot reach "* ]]
}

@test "route-check: also through kc" {
	run -0 --separate-stderr kc route-check status alice-bob -o json
	jq -e .ready <<<"$output"
}

# ---- the command line ----------------------------------------------------------------------

@test "route-check: bad command lines are usage errors (2)" {
	run -2 --separate-stderr kc-route-check
	[[ $stderr == *"missing subcommand or route NAME"*"Usage: kc route-check NAME"* ]]
	run -2 --separate-stderr kc-route-check probe
	[[ $stderr == "kc-route-check: missing URL"* ]]
	run -2 --separate-stderr kc-route-check status
	[[ $stderr == "kc-route-check: missing route NAME"* ]]
	run -2 --separate-stderr kc-route-check status alice-bob --expect bob
	[[ $stderr == "kc-route-check: option --expect does not apply to status"* ]]
	run -2 --separate-stderr kc-route-check alice-bob --wait 1s
	run -2 --separate-stderr kc-route-check status alice-bob --wait soon
	[[ $stderr == "kc-route-check: invalid --wait 'soon'"* ]]
	run -2 --separate-stderr kc-route-check probe https://h --timeout 0
	run -3 --separate-stderr kc-route-check probe https://h --expect Not_An_Id
	[ "${#stderr_lines[@]}" -eq 1 ]
	run -2 --separate-stderr kc-route-check probe https://h -k -k
	[[ $stderr == "kc-route-check: option -k given twice"* ]]
	run -2 --separate-stderr kc-route-check status a-b c-d
	run -2 --separate-stderr kc-route-check status --explain X a-b
	[ -z "$output" ]
	# a reason is a word: bytes that are not UTF-8 or spaces are a usage error, not exit 4
	run -2 --separate-stderr kc-route-check status --explain $'X\377' -o json
	[ -z "$output" ]
	[ "${stderr_lines[0]}" = "kc-route-check: invalid reason '"$'X\377'"': give a Ready reason word, e.g. DestinationIsNotAuthorized, True or none" ]
	run -2 --separate-stderr kc-route-check status --explain ''
}
