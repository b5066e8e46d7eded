#!/usr/bin/env bats
# the object drop-ins with KC_DRY_RUN: upstream's objects field by field (spec/scripts.md),
# and every bad input refused before anything is applied
# shellcheck disable=SC2154 # stderr_lines is set by bats' run --separate-stderr
bats_require_minimum_version 1.5.0

setup_file() {
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$BATS_FILE_TMPDIR/bob.key" \
		-out "$BATS_FILE_TMPDIR/bob.crt" -subj /CN=bob -days 30 2>/dev/null
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$BATS_FILE_TMPDIR/x.key" \
		-out "$BATS_FILE_TMPDIR/alice.crt" -subj /CN=alice -days 30 2>/dev/null
}

setup() {
	load helper/common
	common_setup
	export KC_DRY_RUN=1
	cp "$BATS_FILE_TMPDIR/bob.crt" "$KUSCIA_ROOT/var/certs/bob.domain.crt"
	CERT=$(base64 -w0 "$BATS_FILE_TMPDIR/bob.crt")
}

# same JSON, keys in any order
same() { # GOT WANT
	[ "$(jq -cS . <<<"$1")" = "$(jq -cS . <<<"$2")" ] || {
		echo "got:  $1"
		echo "want: $2"
		return 1
	}
}

domain() { # ROLE-JSON MASTER [PROTOCOLS-JSON]
	local extra=''
	[ -z "${3:-}" ] || extra=",\"interConnProtocols\":$3"
	printf '{"apiVersion":"kuscia.secretflow/v1alpha1","kind":"Domain","metadata":{"annotations":{"domain/bob":"kuscia.secretflow/domain-type=embedded"},"name":"bob"},"spec":{"cert":"%s"%s,"master":"%s","authCenter":{"authenticationType":"Token","tokenGenMethod":"RSA-GEN"}%s}}' \
		"$CERT" "$1" "$2" "$extra"
}

@test "add_domain.sh: 'bob p2p' is upstream's partner Domain" {
	run -0 --separate-stderr add_domain.sh bob p2p
	same "$output" "$(domain ',"role":"partner"' bob '["kuscia"]')"
	[ -z "$stderr" ]
	[ "${#lines[@]}" -eq 1 ]
}

@test "add_domain.sh: 'bob p2p bfia' and 'bob p2p kuscia alice-master'" {
	run -0 add_domain.sh bob p2p bfia
	same "$output" "$(domain ',"role":"partner"' bob '["bfia"]')"
	run -0 add_domain.sh bob p2p kuscia alice-master
	same "$output" "$(domain ',"role":"partner"' alice-master '["kuscia"]')"
	run -0 add_domain.sh bob p2p '' ''
	same "$output" "$(domain ',"role":"partner"' bob '["kuscia"]')"
}

@test "add_domain.sh: without p2p the Domain is embedded (no role), with a warning" {
	run -0 --separate-stderr add_domain.sh bob
	same "$output" "$(domain '' bob)"
	[[ $stderr == "add_domain.sh: warning: no ROLE given: 'bob' is registered as an embedded domain"* ]]
	run -0 --separate-stderr add_domain.sh bob xx bfia alice-master
	same "$output" "$(domain '' alice-master)"
	run -0 --separate-stderr add_domain.sh bob partner
	same "$output" "$(domain '' bob)"
	[[ $stderr == *"ROLE is 'partner', not p2p"* ]]
}

@test "add_domain.sh: an expired peer cert is only a warning" {
	/usr/bin/python3 - "$BATS_TEST_TMPDIR" <<-'PY'
		import datetime, sys
		from cryptography import x509
		from cryptography.x509.oid import NameOID
		from cryptography.hazmat.primitives import hashes, serialization
		from cryptography.hazmat.primitives.asymmetric import rsa
		k = rsa.generate_private_key(public_exponent=65537, key_size=2048)
		n = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bob")])
		now = datetime.datetime.utcnow()
		c = (x509.CertificateBuilder().subject_name(n).issuer_name(n).public_key(k.public_key())
		     .serial_number(1).not_valid_before(now - datetime.timedelta(days=10))
		     .not_valid_after(now - datetime.timedelta(days=1)).sign(k, hashes.SHA256()))
		open(sys.argv[1] + "/root/var/certs/bob.domain.crt", "wb").write(c.public_bytes(serialization.Encoding.PEM))
	PY
	run -0 --separate-stderr add_domain.sh bob p2p
	[[ $stderr == *"warning"*"expired"* ]]
	[ "$(jq -r .spec.cert <<<"$output" | base64 -d | openssl x509 -noout -subject)" = "subject=CN = bob" ]
}

@test "add_domain.sh: bad input exits non-zero with one line and prints nothing" {
	local args code
	while IFS='|' read -r code args; do
		# shellcheck disable=SC2086 # args is a word list
		run -"$code" --separate-stderr add_domain.sh $args
		[ -z "$output" ]
		[ "${#stderr_lines[@]}" -eq 1 ] || { echo "$args: $stderr"; return 1; }
		[[ $stderr == "add_domain.sh: "* ]]
	done <<-'EOF'
		2|
		3|Bob p2p
		3|bob_1 p2p
		3|-bob p2p
		3|default p2p
		3|cross-domain p2p
		3|carol p2p
		3|bob p2p kus'cia
		3|bob p2p kuscia Master
	EOF
	run -2 --separate-stderr add_domain.sh ''
	[ -z "$output" ]
}

@test "add_domain.sh: a cert that is not for the peer is refused" {
	cp "$BATS_FILE_TMPDIR/alice.crt" "$KUSCIA_ROOT/var/certs/bob.domain.crt"
	run -3 --separate-stderr add_domain.sh bob p2p
	[ -z "$output" ]
	[[ $stderr == "add_domain.sh: "*"alice"* ]]
	cp "$BATS_FILE_TMPDIR/bob.key" "$KUSCIA_ROOT/var/certs/bob.domain.crt"
	run -3 --separate-stderr add_domain.sh bob p2p
	[ -z "$output" ]
	: >"$KUSCIA_ROOT/var/certs/bob.domain.crt"
	run -3 --separate-stderr add_domain.sh bob p2p
	[ -z "$output" ]
}

@test "add_domain.sh: a cert file that also holds a key, or does not start with the cert, is refused" {
	local f=$KUSCIA_ROOT/var/certs/bob.domain.crt
	cat "$BATS_FILE_TMPDIR/bob.crt" "$BATS_FILE_TMPDIR/bob.key" >"$f"
	run -3 --separate-stderr add_domain.sh bob p2p
	[ -z "$output" ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ $stderr == "add_domain.sh: '$f' also holds a private key"*" -- keep only bob's certificate in it" ]]
	[[ $stderr != *MII* ]]
	openssl rsa -in "$BATS_FILE_TMPDIR/bob.key" -pubout 2>/dev/null | cat - "$BATS_FILE_TMPDIR/bob.crt" >"$f"
	run -3 --separate-stderr add_domain.sh bob p2p
	[ -z "$output" ]
	[[ $stderr == "add_domain.sh: '$f' does not start with its certificate"* ]]
	# text before the first block and a second certificate are fine, as Kuscia reads them
	{ echo "bob's cert"; cat "$BATS_FILE_TMPDIR/bob.crt" "$BATS_FILE_TMPDIR/alice.crt"; } >"$f"
	run -0 add_domain.sh bob p2p
	[ "$(jq -r .spec.cert <<<"$output" | base64 -d | cmp - "$f" && echo same)" = same ]
}

route() { # PORT-JSON [TRANSIT-JSON] [HEADERS-JSON] [PROTOCOL]
	printf '{"apiVersion":"kuscia.secretflow/v1alpha1","kind":"ClusterDomainRoute","metadata":{"name":"alice-bob"},"spec":{"source":"alice","destination":"bob","interConnProtocol":"%s","endpoint":{"host":"%s","ports":[%s]}%s,"authenticationType":"Token","tokenConfig":{"tokenGenMethod":"RSA-GEN","rollingUpdatePeriod":86400}%s}}' \
		"${4:-kuscia}" "${HOST:-2.2.2.2}" "$1" "${2:+,\"transit\":$2}" "${3:+,\"requestHeadersToAdd\":$3}"
}
port() { # PATH ISTLS PORT
	printf '{"name":"http","protocol":"HTTP","pathPrefix":"%s","isTLS":%s,"port":%s}' "$1" "$2" "$3"
}

@test "join_to_host.sh: the P2P guide's route, as upstream writes it" {
	run -0 --separate-stderr join_to_host.sh alice bob https://2.2.2.2:21080
	same "$output" "$(route "$(port / true 21080)" '' '{"Authorization":"Bearer"}')"
	[ -z "$stderr" ]
}

@test "join_to_host.sh: endpoint forms and options as upstream" {
	local b='{"Authorization":"Bearer"}' t='{"transitMethod":"THIRD-DOMAIN","domain":{"domainID":"carol"}}'
	run -0 join_to_host.sh alice bob http://2.2.2.2
	same "$output" "$(route "$(port / false 80)" '' "$b")"
	run -0 join_to_host.sh alice bob https://2.2.2.2
	same "$output" "$(route "$(port / true 443)" '' "$b")"
	run -0 join_to_host.sh alice bob 2.2.2.2:8080
	same "$output" "$(route "$(port / false 8080)" '' "$b")"
	run -0 join_to_host.sh alice bob https://2.2.2.2:21080/foo/bar
	same "$output" "$(route "$(port /foo/bar true 21080)" '' "$b")"
	run -0 join_to_host.sh alice bob https://2.2.2.2:21080 -p bfia
	same "$output" "$(route "$(port / true 21080)" '' "$b" bfia)"
	run -0 join_to_host.sh alice bob https://2.2.2.2:21080 -p ' kuscia'
	same "$output" "$(route "$(port / true 21080)" '' "$b")"
	run -0 join_to_host.sh alice bob https://2.2.2.2:21080 -a Token -t abc123
	same "$output" "$(route "$(port / true 21080)" '' '{"Authorization":"Bearer abc123"}')"
	run -0 join_to_host.sh alice bob https://2.2.2.2:21080 -t abc123
	same "$output" "$(route "$(port / true 21080)" '' '{"Authorization":"Bearer abc123"}')"
	run -0 join_to_host.sh alice bob https://2.2.2.2:21080 -a MTLS
	same "$output" "$(route "$(port / true 21080)" '' "$b")"
	run -0 join_to_host.sh alice bob https://2.2.2.2:21080 -a None
	same "$output" "$(route "$(port / true 21080)" '' "$b")"
	run -0 join_to_host.sh alice bob https://2.2.2.2:21080 -x carol
	same "$output" "$(route "$(port / true 21080)" "$t" "$b")"
	run -0 --separate-stderr join_to_host.sh alice bob https://2.2.2.2:21080 -x carol -p bfia -t tok
	same "$output" "$(route "$(port / true 21080)" "$t" '{"Authorization":"Bearer tok"}')"
	run -0 --separate-stderr join_to_host.sh alice bob https://2.2.2.2:21080 -k yes -i false
	same "$output" "$(route "$(port / true 21080)" '' "$b")"
	[[ $stderr == *"-k 'yes' is ignored"*"-i 'false' is ignored"* ]]
}

@test "join_to_host.sh: an empty -p leaves interConnProtocol out, as upstream's YAML did" {
	local b='{"Authorization":"Bearer"}' want
	want=$(route "$(port / true 21080)" '' "$b" | jq -c 'del(.spec.interConnProtocol)')
	run -0 --separate-stderr join_to_host.sh alice bob https://2.2.2.2:21080 -p ''
	same "$output" "$want"
	[ -z "$stderr" ]
	run -0 join_to_host.sh alice bob https://2.2.2.2:21080 -p '  '
	same "$output" "$want"
}

@test "join_to_host.sh: -p is ignored with -x, whatever its value, with a warning" {
	local t='{"transitMethod":"THIRD-DOMAIN","domain":{"domainID":"carol"}}'
	run -0 --separate-stderr join_to_host.sh alice bob https://2.2.2.2:21080 -x carol -p "bf'ia"
	same "$output" "$(route "$(port / true 21080)" "$t" '{"Authorization":"Bearer"}')"
	[ "$stderr" = "join_to_host.sh: warning: -p 'bf'ia' is ignored with -x: a transit route uses kuscia" ]
	run -0 --separate-stderr join_to_host.sh alice bob https://2.2.2.2:21080 -p '' -x carol
	same "$output" "$(route "$(port / true 21080)" "$t" '{"Authorization":"Bearer"}')"
	run -0 --separate-stderr join_to_host.sh alice bob https://2.2.2.2:21080 -x carol
	[ -z "$stderr" ]
}

@test "join_to_host.sh: a token may hold any character but spaces and control characters" {
	run -0 join_to_host.sh alice bob https://2.2.2.2:21080 -t 'é#x;"'
	same "$output" "$(route "$(port / true 21080)" '' '{"Authorization":"Bearer é#x;\""}')"
	# but bytes that are not UTF-8 cannot go into the route: named as -t, the token not shown
	run -3 --separate-stderr join_to_host.sh alice bob https://2.2.2.2:21080 -t $'ab\xffc'
	[ -z "$output" ]
	[ "$stderr" = "join_to_host.sh: invalid value for -t: the token is not valid UTF-8 -- give the token as its issuer printed it" ]
}

@test "join_to_host.sh, create_cluster_domain_route.sh: an endpoint that looks like an option is an endpoint" {
	local e s
	for s in join_to_host.sh create_cluster_domain_route.sh; do
		for e in -h --help -o -k --version -- -x; do
			run -3 --separate-stderr "$s" alice bob "$e"
			[ -z "$output" ] || { echo "$s $e: $output"; return 1; }
			[ "${#stderr_lines[@]}" -eq 1 ]
			[[ $stderr == "$s: invalid endpoint '$e': "* ]] || { echo "$s $e: $stderr"; return 1; }
		done
	done
}

@test "join_to_host.sh: sed-breaking characters cannot corrupt the route" {
	run -0 join_to_host.sh alice bob 'https://2.2.2.2:21080/p@th&x' -t 'ab&c/d\e'
	same "$output" "$(route "$(port '/p@th&x' true 21080)" '' '{"Authorization":"Bearer ab&c/d\\e"}')"
}

@test "join_to_host.sh: a token never reaches the helpers' argv" {
	# kc-render gets the header as AUTHORIZATION@=FILE; record every helper's argv
	mkdir -p "$BATS_TEST_TMPDIR/spy"
	local h
	for h in kc-render kc-apply kc-route-check; do
		printf '#!/bin/sh\nprintf "%%s\\n" "$*" >>"%s/argv"\nexec "%s/%s" "$@"\n' \
			"$BATS_TEST_TMPDIR" "$KC_LIBEXEC" "$h" >"$BATS_TEST_TMPDIR/spy/$h"
		chmod +x "$BATS_TEST_TMPDIR/spy/$h"
	done
	cp "$KC_LIBEXEC/kc-lib.sh" "$BATS_TEST_TMPDIR/spy/"
	KC_LIBEXEC="$BATS_TEST_TMPDIR/spy" KC_DATADIR="$KC_SRC/share/kc" run -0 \
		join_to_host.sh alice bob https://2.2.2.2:21080 -t s3cr3t-token
	[[ $output == *"Bearer s3cr3t-token"* ]]
	run ! grep -q s3cr3t "$BATS_TEST_TMPDIR/argv"
}

@test "join_to_host.sh: the token's temporary folder goes on TERM, and an unusable TMPDIR is 4" {
	# a kc-apply that waits on a fifo: the script is killed while it runs
	mkdir -p "$BATS_TEST_TMPDIR/spy" "$BATS_TEST_TMPDIR/t"
	mkfifo "$BATS_TEST_TMPDIR/go"
	printf '#!/bin/sh\n: >"%s/ready"\nread -r x <"%s/go"\n' "$BATS_TEST_TMPDIR" "$BATS_TEST_TMPDIR" \
		>"$BATS_TEST_TMPDIR/spy/kc-apply"
	chmod +x "$BATS_TEST_TMPDIR/spy/kc-apply"
	ln -s "$KC_LIBEXEC"/kc-lib.sh "$KC_LIBEXEC"/kc-render "$KC_LIBEXEC"/kc-route-check "$BATS_TEST_TMPDIR/spy/"
	KC_LIBEXEC="$BATS_TEST_TMPDIR/spy" KC_DATADIR="$KC_SRC/share/kc" TMPDIR="$BATS_TEST_TMPDIR/t" \
		join_to_host.sh alice bob https://2.2.2.2:21080 -t s3cr3t 3>&- &
	local pid=$! rc=0
	poll_until 10 test -e "$BATS_TEST_TMPDIR/ready"
	[ -n "$(ls -A "$BATS_TEST_TMPDIR/t")" ]
	kill -TERM "$pid"
	echo >"$BATS_TEST_TMPDIR/go"
	wait "$pid" || rc=$?
	[ "$rc" -eq 143 ]
	[ -z "$(ls -A "$BATS_TEST_TMPDIR/t")" ]
	# valgrind (make check-valgrind) needs a usable TMPDIR itself: the helpers here run plain
	KC_LIBEXEC=$KC_SRC/libexec PATH="$KC_SRC/libexec:$PATH" TMPDIR=$BATS_TEST_TMPDIR/nowhere \
		run -4 --separate-stderr join_to_host.sh alice bob https://2.2.2.2:21080
	[ -z "$output" ]
	[[ $stderr == "join_to_host.sh: cannot create a temporary folder in '$BATS_TEST_TMPDIR/nowhere' -- check TMPDIR" ]]
}

@test "join_to_host.sh: bad input exits non-zero with one line and prints nothing" {
	local code args
	while IFS='|' read -r code args; do
		# shellcheck disable=SC2086 # args is a word list
		run -"$code" --separate-stderr join_to_host.sh $args
		[ -z "$output" ] || { echo "$args: $output"; return 1; }
		[ "${#stderr_lines[@]}" -eq 1 ] || { echo "$args: $stderr"; return 1; }
		[[ $stderr == "join_to_host.sh: "* ]]
	done <<-'EOF'
		2|
		2|alice
		2|alice bob
		2|alice bob https://2.2.2.2:21080 -z
		2|alice bob https://2.2.2.2:21080 -k
		2|alice bob https://2.2.2.2:21080 -p
		2|alice bob https://2.2.2.2:21080 -a Bogus
		2|alice bob https://2.2.2.2:21080 -a Token
		3|Alice bob https://2.2.2.2:21080
		3|alice bo_b https://2.2.2.2:21080
		3|alice bob https://:21080
		3|alice bob https://2.2.2.2:99999
		3|alice bob https://2.2.2.2:abc
		3|alice bob grpc://2.2.2.2:1
		3|alice bob https://[::1]:8080
		3|alice bob https://2.2.2.2:21080 -x Carol
		3|alice bob https://2.2.2.2:21080 -p bf'ia
		3|alice bob https://2.2.2.2:0100
		3|alice bob ://2.2.2.2:1
		2|Alice bob https://2.2.2.2:21080 -a Bogus
		2|Alice bob https://2.2.2.2:21080 -a Token
	EOF
	run -3 --separate-stderr join_to_host.sh alice bob 'https://h:1 #x'
	[ -z "$output" ]
}

@test "join_to_host.sh: -h after the operands shows the help on stdout" {
	run -0 --separate-stderr join_to_host.sh alice bob https://2.2.2.2:21080 -h
	[[ ${lines[0]} == "Usage: join_to_host.sh "* ]]
	[ -z "$stderr" ]
	run -0 join_to_host.sh --help
	[[ ${lines[0]} == "Usage: join_to_host.sh "* ]]
}

@test "create_cluster_domain_route.sh: upstream's route without the unfilled token header" {
	HOST=3.3.3.3
	run -0 create_cluster_domain_route.sh alice bob http://3.3.3.3:38080
	same "$output" "$(route "$(port / false 38080)")"
	run -0 create_cluster_domain_route.sh alice bob https://3.3.3.3
	same "$output" "$(route "$(port / true 443)")"
	run -0 create_cluster_domain_route.sh alice bob 3.3.3.3
	same "$output" "$(route "$(port / false 80)")"
	run -0 create_cluster_domain_route.sh alice bob 3.3.3.3:1080/foo
	same "$output" "$(route "$(port /foo false 1080)")"
	run -0 create_cluster_domain_route.sh alice bob http://3.3.3.3:38080 carol
	same "$output" "$(route "$(port / false 38080)" '{"transitMethod":"THIRD-DOMAIN","domain":{"domainID":"carol"}}')"
}

@test "create_cluster_domain_route.sh: bad input exits non-zero with one line" {
	run -2 --separate-stderr create_cluster_domain_route.sh alice bob
	[ -z "$output" ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	run -2 --separate-stderr create_cluster_domain_route.sh alice '' http://h:1
	run -3 --separate-stderr create_cluster_domain_route.sh alice bob https://:1
	[ -z "$output" ]
	[[ $stderr == "create_cluster_domain_route.sh: invalid endpoint"* ]]
	run -3 --separate-stderr create_cluster_domain_route.sh alice bob http://h:1 Carol
	[ -z "$output" ]
	run -3 --separate-stderr create_cluster_domain_route.sh alice bob http://h:080
	[ -z "$output" ]
	[[ $stderr == "create_cluster_domain_route.sh: invalid endpoint 'http://h:080': port '080' has a leading zero -- write it as 80" ]]
}

@test "create_domaindata_*_table.sh: upstream's tables, every column in order" {
	run -0 create_domaindata_alice_table.sh alice
	jq -e '.kind == "DomainData" and .metadata.name == "alice-table" and .metadata.namespace == "alice"
		and .spec.author == "alice" and .spec.name == "alice.csv" and .spec.relativeURI == "alice.csv"
		and .spec.dataSource == "default-data-source" and .spec.type == "table" and .spec.vendor == "manual"
		and .spec.attributes == {"description":"alice demo data"}
		and .metadata.labels["kuscia.secretflow/initiator"] == "alice"
		and (.spec.columns | length) == 25 and .spec.columns[0] == {"comment":"","name":"id1","type":"str"}
		and ([.spec.columns[1:][].type] | unique) == ["float"]
		and .spec.columns[24].name == "marital_single"' <<<"$output"
	run -0 create_domaindata_bob_table.sh bob
	jq -e '.metadata.name == "bob-table" and .metadata.namespace == "bob" and (.spec.columns | length) == 21
		and .spec.columns[0].name == "id2" and .spec.columns[20] == {"comment":"","name":"y","type":"int"}' <<<"$output"
}

@test "create_domaindata_*_table.sh: bad or missing DOMAIN_ID exits non-zero with one line" {
	run -2 --separate-stderr create_domaindata_alice_table.sh
	[ -z "$output" ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	run -3 --separate-stderr create_domaindata_bob_table.sh 'a/b'
	[ -z "$output" ]
	[[ $stderr == "create_domaindata_bob_table.sh: invalid DOMAIN_ID 'a/b'"* ]]
	run -3 --separate-stderr create_domaindata_alice_table.sh 'a&b'
	[ -z "$output" ]
}

@test "create_example_job.sh: the PSI job with alice as initiator" {
	printf 'domainID: alice\n' >"$KUSCIA_ROOT/etc/conf/kuscia.yaml"
	run -0 --separate-stderr create_example_job.sh PSI job-1
	[ -z "$stderr" ]
	jq -e '.kind == "KusciaJob" and .metadata == {"namespace":"cross-domain","name":"job-1"}
		and .spec.initiator == "alice" and .spec.scheduleMode == "BestEffort" and .spec.maxParallelism == 2
		and .spec.tasks[0].taskID == "job-1-single-psi" and .spec.tasks[0].alias == "single-psi"
		and .spec.tasks[0].priority == 100 and .spec.tasks[0].appImage == "secretflow-image"
		and .spec.tasks[0].parties == [{"domainID":"alice","bandwidthLimits":[{"destinationID":"bob","limitKBps":100}]},{"domainID":"bob","bandwidthLimits":[{"destinationID":"alice","limitKBps":100}]}]' <<<"$output"
	[ "$(jq -r '.spec.tasks[0].taskInputConfig' <<<"$output")" = "$(cat "$KC_SRC/share/kc/task_input_config.2pc_balanced_psi.json")" ]
}

@test "create_example_job.sh: bob's node initiates; a commented domainID does not confuse it" {
	printf '# domainID: alice\ndomainID: "bob"\n' >"$KUSCIA_ROOT/etc/conf/kuscia.yaml"
	run -0 create_example_job.sh NSJAIL_PSI job-2
	jq -e '.spec.initiator == "bob" and .spec.tasks[0].appImage == "secretflow-nsjail-image"' <<<"$output"
	printf 'domainID: carol\n' >"$KUSCIA_ROOT/etc/conf/kuscia.yaml"
	run -0 create_example_job.sh PSI_WITH_DP job-3
	jq -e '.spec.initiator == "alice" and (.spec.tasks[0].taskInputConfig | fromjson | .sf_input_ids) == ["alice-dp-table","bob-dp-table"]' <<<"$output"
}

@test "values YAML would read as numbers, booleans or null stay strings (upstream's kubectl refused them)" {
	printf 'domainID: alice\n' >"$KUSCIA_ROOT/etc/conf/kuscia.yaml"
	local v
	for v in 123 1e5 yes null; do
		run -0 create_example_job.sh PSI "$v"
		jq -e --arg v "$v" '.metadata.name == $v' <<<"$output"
		run -0 create_domaindata_bob_table.sh "$v"
		jq -e --arg v "$v" '.metadata.namespace == $v and .spec.author == $v' <<<"$output"
	done
}

@test "create_example_job.sh: the default name is secretflow-task-<timestamp>" {
	printf 'domainID: alice\n' >"$KUSCIA_ROOT/etc/conf/kuscia.yaml"
	run -0 create_example_job.sh
	[[ $(jq -r .metadata.name <<<"$output") =~ ^secretflow-task-[0-9]{14}$ ]]
}

@test "create_example_job.sh: bad example, bad name, missing kuscia.yaml" {
	printf 'domainID: alice\n' >"$KUSCIA_ROOT/etc/conf/kuscia.yaml"
	run -2 --separate-stderr create_example_job.sh psi
	[ -z "$output" ]
	[[ $stderr == "create_example_job.sh: invalid arguments: JOB_EXAMPLE=psi"* ]]
	run -3 --separate-stderr create_example_job.sh PSI Job_1
	[ -z "$output" ]
	[[ $stderr == "create_example_job.sh: invalid JOB_NAME 'Job_1'"* ]]
	run -3 --separate-stderr create_example_job.sh PSI "$(printf 'a%.0s' {1..64})"
	[ -z "$output" ]
	run -3 --separate-stderr create_example_job.sh PSI "$(printf 'a\nb')"
	[ -z "$output" ]
}

@test "create_example_job.sh: without a domainID alice initiates, as upstream" {
	run -0 --separate-stderr create_example_job.sh PSI job-1
	jq -e '.spec.initiator == "alice"' <<<"$output"
	[[ $stderr == "create_example_job.sh: warning: cannot read domainID"* ]]
	printf 'mode: autonomy\n' >"$KUSCIA_ROOT/etc/conf/kuscia.yaml"
	run -0 --separate-stderr create_example_job.sh PSI job-1
	jq -e '.spec.initiator == "alice"' <<<"$output"
	[ -z "$stderr" ]
}
