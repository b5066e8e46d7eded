#!/usr/bin/env bats
# kc-grant against the node simulator's KusciaAPI (spec/kusciaapi.md section 4.2)
# shellcheck disable=SC2154 # stderr is set by bats' run --separate-stderr
bats_require_minimum_version 1.5.0

# alice: protocol MTLS (the default), carol: NOTLS; both hold the demo table alice-table
setup_file() {
	load helper/common
	grant_nodes carol
}

teardown_file() {
	load helper/common
	sim_stop_all
}

setup() {
	load helper/common
	common_setup
	NODE=$BATS_FILE_TMPDIR/alice
	export KUSCIA_ROOT=$NODE
}

teardown() {
	if [ -n "${FAULTED:-}" ]; then
		"$KC_PYTHON" "$KC_SRC/test/sim/kc-sim" fault "$NODE" kusciaapi none
	fi
}

fault() { # SPEC: a KusciaAPI fault on alice, undone after the test
	FAULTED=1
	"$KC_PYTHON" "$KC_SRC/test/sim/kc-sim" fault "$NODE" kusciaapi "$1"
}

# a copy of alice's folder (same KusciaAPI) to spoil: prints its path
node_copy() {
	local c=$BATS_TEST_TMPDIR/copy
	mkdir -p "$c"
	cp -R "$NODE/etc" "$NODE/var" "$c/"
	printf '%s\n' "$c"
}

# grants of alice-table to GRANTEE in alice, counted with kubectl
grants_to() {
	kc_kubectl "$NODE" get ddg -n alice -l "kuscia.secretflow/domaindatagrant-domain=$1" -o json |
		jq '.items | length'
}

token() { cat "$NODE/var/certs/token"; }

# ---- happy path ------------------------------------------------------------------------------

@test "grant: create, query, list and delete a grant" {
	run -0 --separate-stderr kc-grant create --data alice-table --to bob
	[ -z "$stderr" ]
	[[ $output =~ ^domaindatagrant\ (domaindatagrant-[0-9a-f]{32})\ created$ ]]
	id=${BASH_REMATCH[1]}
	run -0 kc_kubectl "$NODE" get ddg -n alice "$id" -o json
	jq -e '.spec.grantDomain == "bob" and .spec.domainDataID == "alice-table" and .spec.author == "alice"' <<<"$output"
	run -0 --separate-stderr kc-grant query "$id"
	[ "$output" = "$id alice-table bob Ready" ]
	run -0 --separate-stderr kc-grant list
	[[ $output == *"$id alice-table bob Ready"* ]]
	run -0 --separate-stderr kc-grant delete "$id"
	[ "$output" = "domaindatagrant $id deleted" ]
	[ -z "$stderr" ]
	run -1 kc_kubectl "$NODE" get ddg -n alice "$id"
}

@test "grant: kc grant runs it through the dispatcher" {
	run -0 --separate-stderr kc grant create --data alice-table --to dan --id via-kc
	[ "$output" = "domaindatagrant via-kc created" ]
	run -0 --separate-stderr kc grant query via-kc --domain alice
	[ "$output" = "via-kc alice-table dan Ready" ]
	run -0 kc grant delete via-kc
	run -0 kc help
	[[ $output == *"  grant        Grant a node's DomainData to other domains through its KusciaAPI; query, list, delete."* ]]
}

@test "grant: --desc is stored in the grant, in order" {
	run -0 kc-grant create --data alice-table --to bob --id with-desc --desc a=1 --desc b=x=y
	run -0 kc_kubectl "$NODE" get ddg -n alice with-desc -o json
	jq -e '.spec.description == {"a":"1","b":"x=y"}' <<<"$output"
	kc-grant delete with-desc
}

@test "grant: -o json prints the KusciaAPI data objects" {
	run -0 --separate-stderr kc-grant create --data alice-table --to erin --id j1 -o json
	[ "$output" = '{"domaindatagrant_id":"j1"}' ]
	kc-grant create --data alice-table --to erin --id j2
	run -0 --separate-stderr kc-grant query j1 -o json
	jq -e '.data.domaindatagrant_id == "j1" and .data.grant_domain == "erin" and .data.domaindata_id == "alice-table" and .status.phase == "Ready"' <<<"$output"
	run -0 --separate-stderr kc-grant query j1 j2 -o json
	jq -e 'length == 2 and .[0].data.domaindatagrant_id == "j1" and .[1].data.domaindatagrant_id == "j2"' <<<"$output"
	run -0 --separate-stderr kc-grant list --to erin -o json
	jq -e 'length == 2 and all(.data.grant_domain == "erin")' <<<"$output"
	[ "${#lines[@]}" -eq 1 ]
	kc-grant delete j1 j2
	run -0 --separate-stderr kc-grant list --to erin -o json
	[ "$output" = "[]" ]
}

@test "grant: query of several IDs is one batch, one line each" {
	kc-grant create --data alice-table --to fay --id b1
	kc-grant create --data alice-table --to fay --id b2
	run -0 --separate-stderr kc-grant query b2 b1
	[ "${lines[0]}" = "b2 alice-table fay Ready" ]
	[ "${lines[1]}" = "b1 alice-table fay Ready" ]
	grep -q 'POST /api/v1/domaindatagrant/batchQuery 200' "$NODE/var/logs/kusciaapi.log"
	kc-grant delete b1 b2
}

@test "grant: list filters by --data and --to" {
	kc-grant create --data alice-table --to gus --id l1
	run -0 --separate-stderr kc-grant list --to gus
	[ "$output" = "l1 alice-table gus Ready" ]
	run -0 --separate-stderr kc-grant list --to gus --data alice-table
	[ "$output" = "l1 alice-table gus Ready" ]
	run -0 --separate-stderr kc-grant list --to gus --data other-table
	[ -z "$output" ]
	[ -z "$stderr" ]
	kc-grant delete l1
}

@test "grant: --domain defaults to kuscia.yaml's domainID" {
	run -0 --separate-stderr kc-grant create --dry-run --data alice-table --to bob
	[ "$output" = '{"grant_domain":"bob","domain_id":"alice","domaindata_id":"alice-table"}' ]
}

@test "grant: without kuscia.yaml --domain is needed, else a local failure (4)" {
	e=$BATS_TEST_TMPDIR/empty
	mkdir -p "$e"
	KUSCIA_ROOT=$e run -4 --separate-stderr kc-grant list
	[ -z "$output" ]
	[[ $stderr == "kc-grant: cannot read '$e/etc/conf/kuscia.yaml': No such file or directory -- set KUSCIA_ROOT to the node's Kuscia home" ]]
	KUSCIA_ROOT=$e run -0 kc-grant create --domain alice --data alice-table --to bob --dry-run
}

# ---- idempotence and duplicates ---------------------------------------------------------------

@test "grant: create --id twice is unchanged, and creates no second grant" {
	run -0 --separate-stderr kc-grant create --data alice-table --to hal --id dup
	[ "$output" = "domaindatagrant dup created" ]
	[ -z "$stderr" ]
	run -0 --separate-stderr kc-grant create --data alice-table --to hal --id dup
	[ "$output" = "domaindatagrant dup unchanged" ]
	[ -z "$stderr" ]
	run -0 --separate-stderr kc-grant create --data alice-table --to hal --id dup -o json
	[ "$output" = '{"domaindatagrant_id":"dup"}' ]
	[ "$(grants_to hal)" -eq 1 ]
	kc-grant delete dup
}

@test "grant: parallel create --id runs make one grant, each run succeeds" {
	for i in 1 2 3 4 5 6; do
		kc-grant create --data alice-table --to ned --id race >"$BATS_TEST_TMPDIR/out.$i" 2>&1 &
	done
	for i in 1 2 3 4 5 6; do
		wait -n
	done
	run -0 cat "$BATS_TEST_TMPDIR"/out.*
	[ "$(grep -c '^domaindatagrant race created$' <<<"$output")" -eq 1 ]
	[ "$(grep -c '^domaindatagrant race unchanged$' <<<"$output")" -eq 5 ]
	[ "$(grants_to ned)" -eq 1 ]
	kc-grant delete race
}

@test "grant: create --id of an existing grant that differs names the difference (6)" {
	kc-grant create --data alice-table --to ian --id diff
	run -6 --separate-stderr kc-grant create --data alice-table --to jan --id diff
	[ -z "$output" ]
	[ "$stderr" = "kc-grant: grant 'diff' of domain 'alice' already exists and differs: grantee 'ian', not 'jan' -- choose another --id, or delete it first" ]
	[ "$(grants_to jan)" -eq 0 ]
	kc-grant delete diff
}

@test "grant: create without --id makes a new grant each time, --if-absent reuses one" {
	run -0 kc-grant create --data alice-table --to kim
	first=${output#domaindatagrant }
	first=${first% created}
	run -0 kc-grant create --data alice-table --to kim
	[ "$(grants_to kim)" -eq 2 ]
	run -0 --separate-stderr kc-grant create --data alice-table --to lea --if-absent
	[[ $output == "domaindatagrant "*" created" ]]
	id=${output#domaindatagrant }
	id=${id% created}
	run -0 --separate-stderr kc-grant create --data alice-table --to lea --if-absent
	[ "$output" = "domaindatagrant $id unchanged" ]
	[ "$(grants_to lea)" -eq 1 ]
	[ -n "$first" ]
}

# ---- KusciaAPI errors -------------------------------------------------------------------------

@test "grant: unknown DomainData is the KusciaAPI's error with its code (6)" {
	run -6 --separate-stderr kc-grant create --data no-such-table --to bob
	[ -z "$output" ]
	[ "$stderr" = "kc-grant: cannot grant 'no-such-table' of domain 'alice' to 'bob': domaindata [no-such-table] not exists (KusciaAPI code 11100) -- create DomainData 'no-such-table' in domain 'alice' first" ]
}

@test "grant: query or delete of a missing grant is a no (1)" {
	run -1 --separate-stderr kc-grant query missing-grant
	[ -z "$output" ]
	[[ $stderr == "kc-grant: no grant 'missing-grant' in domain 'alice': "*"not found (KusciaAPI code 11705)" ]]
	run -1 --separate-stderr kc-grant delete missing-grant
	[ -z "$output" ]
	[[ $stderr == *"(KusciaAPI code 11705)" ]]
	kc-grant create --data alice-table --to max --id present
	run -1 --separate-stderr kc-grant query present missing-grant
	[ -z "$output" ]
	[[ $stderr == *'"missing-grant" not found (KusciaAPI code 11705)' ]]
	kc-grant delete present
}

@test "grant: a wrong token is HTTP 401, a clear error (6), the token never shown" {
	c=$(node_copy)
	printf 'WrongTokenWrongTokenWrongToken12' >"$c/var/certs/token"
	KUSCIA_ROOT=$c run -6 --separate-stderr kc-grant create --data alice-table --to bob
	[ -z "$output" ]
	[[ $stderr == "kc-grant: the KusciaAPI at 'https://127.0.0.1:"*"' refused the token (HTTP 401)"* ]]
	[[ $stderr != *WrongToken* ]]
	[[ $stderr != *"$(token)"* ]]
}

@test "grant: a token file with a line break or empty is bad input (3), a missing one local (4)" {
	c=$(node_copy)
	printf '%s\n' "$(token)" >"$c/var/certs/token"
	KUSCIA_ROOT=$c run -3 --separate-stderr kc-grant list
	[[ $stderr == *"holds a space, line break or control character at byte 33"* ]]
	[[ $stderr != *"$(token)"* ]]
	: >"$c/var/certs/token"
	KUSCIA_ROOT=$c run -3 --separate-stderr kc-grant list
	[[ $stderr == "kc-grant: the KusciaAPI token '$c/var/certs/token' is empty" ]]
	rm "$c/var/certs/token"
	KUSCIA_ROOT=$c run -4 --separate-stderr kc-grant list
	[[ $stderr == "kc-grant: cannot read the KusciaAPI token '$c/var/certs/token': No such file or directory" ]]
}

@test "grant: no client certificate fails TLS (7) and says why" {
	c=$(node_copy)
	rm "$c"/var/certs/kusciaapi-client.* "$c/var/certs/ca.key"
	KUSCIA_ROOT=$c run -7 --separate-stderr kc-grant list
	[ -z "$output" ]
	[[ ${stderr_lines[0]} == "kc-grant: TLS with 'https://127.0.0.1:"* ]]
	[ "${stderr_lines[1]}" = "kc-grant: no client certificate was sent: '$c/var/certs' has neither kusciaapi-client.crt/.key nor ca.crt/.key, and an MTLS KusciaAPI requires one" ]
}

@test "grant: the KusciaAPI client pair is used, else the guide's ca.crt and ca.key" {
	c=$(node_copy)
	rm "$c/var/certs/ca.key"
	KUSCIA_ROOT=$c run -0 --separate-stderr kc-grant list --to nobody
	[ -z "$stderr" ]
	c2=$BATS_TEST_TMPDIR/copy2
	mkdir -p "$c2" && cp -R "$NODE/etc" "$NODE/var" "$c2/"
	rm "$c2"/var/certs/kusciaapi-client.*
	KUSCIA_ROOT=$c2 run -0 --separate-stderr kc-grant list --to nobody
	[ -z "$stderr" ]
}

@test "grant: the server is verified against ca.crt; -k skips that with a warning" {
	c=$(node_copy)
	cp "$BATS_FILE_TMPDIR/carol/var/certs/ca.crt" "$c/var/certs/ca.crt"
	KUSCIA_ROOT=$c run -7 --separate-stderr kc-grant list
	[[ $stderr == "kc-grant: TLS with "*"certificate"* ]]
	KUSCIA_ROOT=$c run -0 --separate-stderr kc-grant list -k --to nobody
	[ "$stderr" = "kc-grant: warning: -k: the KusciaAPI server's certificate is not verified" ]
	rm "$c/var/certs/ca.crt"
	KUSCIA_ROOT=$c run -4 --separate-stderr kc-grant list
	[[ $stderr == "kc-grant: cannot read the node CA '$c/var/certs/ca.crt' to verify the KusciaAPI: No such file or directory" ]]
}

@test "grant: a NOTLS node is spoken to over plain HTTP, without a token" {
	carol=$BATS_FILE_TMPDIR/carol
	KUSCIA_ROOT=$carol run -0 --separate-stderr kc-grant create --data alice-table --to bob --id plain
	[ "$output" = "domaindatagrant plain created" ]
	[ -z "$stderr" ]
	c=$(NODE=$carol node_copy)
	rm "$c/var/certs/token"
	KUSCIA_ROOT=$c run -0 --separate-stderr kc-grant query plain
	[ "$output" = "plain alice-table bob Ready" ]
	KUSCIA_ROOT=$carol run -0 kc-grant delete plain
}

@test "grant: plain http to an HTTPS KusciaAPI says to use https (6)" {
	port=$(jq .kusciaapi "$NODE/sim/ports.json")
	run -6 --separate-stderr kc-grant list --endpoint "http://127.0.0.1:$port"
	[ -z "$output" ]
	[[ $stderr == *"speaks HTTPS (HTTP 400: Client sent an HTTP request to an HTTPS server.) -- use https://" ]]
}

# one_shot_server FILE: a plain HTTP server that records one request in FILE and answers an
# empty grant list; prints its port
one_shot_server() {
	"$KC_PYTHON" - "$1" >"$BATS_TEST_TMPDIR/port" <<-'PY' &
		import socket, sys
		s = socket.socket()
		s.bind(("127.0.0.1", 0))
		s.listen(1)
		print(s.getsockname()[1], flush=True)
		c, _ = s.accept()
		req = b""
		while b"\r\n\r\n" not in req:
		    req += c.recv(65536)
		head, _, body = req.partition(b"\r\n\r\n")
		n = int([l.split(b":")[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")][0])
		while len(body) < n:
		    body += c.recv(65536)
		open(sys.argv[1], "wb").write(head + b"\r\n\r\n" + body)
		out = b'{"status":{"code":0,"message":"success","details":[]},"data":{"domaindatagrant_list":[]}}'
		c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(out), out))
		c.close()
	PY
	poll_until 5 test -s "$BATS_TEST_TMPDIR/port"
	cat "$BATS_TEST_TMPDIR/port"
}

@test "grant: no Token header is ever sent over plain http" {
	port=$(one_shot_server "$BATS_TEST_TMPDIR/req")
	run -0 --separate-stderr kc-grant list --endpoint "http://127.0.0.1:$port"
	[ -z "$output" ]
	[ -z "$stderr" ]
	grep -q '^POST /api/v1/domaindatagrant/list HTTP/1.1' "$BATS_TEST_TMPDIR/req"
	run -1 grep -ai '^token:' "$BATS_TEST_TMPDIR/req"
	run -1 grep -aF "$(token)" "$BATS_TEST_TMPDIR/req"
	grep -aq 'Content-Type: application/json' "$BATS_TEST_TMPDIR/req"
	grep -aq '{"data":{"domain_id":"alice"}}$' "$BATS_TEST_TMPDIR/req"
}

@test "grant: --endpoint and KC_KUSCIAAPI choose the KusciaAPI" {
	port=$(jq .kusciaapi "$NODE/sim/ports.json")
	run -0 --separate-stderr kc-grant list --to nobody --endpoint "https://localhost:$port/"
	[ -z "$stderr" ]
	KC_KUSCIAAPI=https://127.0.0.1:1 run -5 --separate-stderr kc-grant list
	[[ $stderr == "kc-grant: cannot reach 'https://127.0.0.1:1/api/v1/domaindatagrant/list': "* ]]
	KC_KUSCIAAPI=https://127.0.0.1:1 run -0 kc-grant list --to nobody --endpoint "https://127.0.0.1:$port"
}

@test "grant: an unreachable KusciaAPI is exit 5, a bad endpoint 3" {
	run -5 --separate-stderr kc-grant create --data alice-table --to bob --endpoint https://127.0.0.1:1
	[ -z "$output" ]
	[[ $stderr == "kc-grant: cannot reach 'https://127.0.0.1:1/api/v1/domaindatagrant/create': "* ]]
	run -3 --separate-stderr kc-grant list --endpoint ftp://127.0.0.1:1
	[[ $stderr == "kc-grant: invalid endpoint 'ftp://127.0.0.1:1': unknown scheme 'ftp'"* ]]
}

@test "grant: a server fault (HTTP 500, a cut body) is an error (6), never success" {
	fault status=500
	run -6 --separate-stderr kc-grant create --data alice-table --to bob --id fault-1
	[ -z "$output" ]
	[[ $stderr == "kc-grant: the KusciaAPI at 'https://127.0.0.1:"*"/api/v1/domaindatagrant/query' answered HTTP 500 with an empty body" ]]
	fault bad-json
	run -6 --separate-stderr kc-grant list
	[ -z "$output" ]
	[[ $stderr == "kc-grant: the answer of '"*"' is not JSON: "* ]]
	fault none
	run -1 kc-grant query fault-1
}

@test "grant: the token is never in argv: /proc/PID/cmdline of a running kc-grant" {
	fault slow=1
	kc-grant list --to nobody >"$BATS_TEST_TMPDIR/out" 2>&1 &
	pid=$!
	poll_until 5 grep -q "list" "/proc/$pid/cmdline"
	args=$(tr '\0' ' ' <"/proc/$pid/cmdline")
	env=$(tr '\0' '\n' <"/proc/$pid/environ")
	wait "$pid"
	[[ $args == *"kc-grant list --to nobody"* ]]
	[[ $args != *"$(token)"* ]]
	[[ $env != *"$(token)"* ]]
	[ ! -s "$BATS_TEST_TMPDIR/out" ]
}

@test "grant: --timeout bounds a request (5)" {
	fault slow=2
	run -5 --separate-stderr kc-grant list --timeout 1
	[[ $stderr == "kc-grant: no answer from "*" in time: "* ]]
}

# ---- input checks: before any request --------------------------------------------------------

@test "grant: invalid IDs are bad input (3), checked before any request" {
	ep=(--endpoint https://127.0.0.1:1)
	run -3 --separate-stderr kc-grant create "${ep[@]}" --domain Alice --data alice-table --to bob
	[ "$stderr" = "kc-grant: invalid domain 'Alice': use only lower-case letters, digits and '-'" ]
	[ -z "$output" ]
	run -3 --separate-stderr kc-grant create "${ep[@]}" --data alice-table --to master
	[ "$stderr" = "kc-grant: invalid grantee domain 'master': it is reserved by Kuscia" ]
	run -3 --separate-stderr kc-grant create "${ep[@]}" --data -table --to bob
	[ "$stderr" = "kc-grant: invalid DomainData ID '-table': it must start and end with a lower-case letter or digit" ]
	run -3 --separate-stderr kc-grant create "${ep[@]}" --data alice_table --to bob
	[[ $stderr == "kc-grant: invalid DomainData ID 'alice_table': "* ]]
	run -3 --separate-stderr kc-grant create "${ep[@]}" --data alice-table --to bob --id "$(printf 'g%.0s' {1..64})"
	[[ $stderr == *"it is longer than 63 characters" ]]
	run -3 --separate-stderr kc-grant create "${ep[@]}" --data alice-table --to alice
	[ "$stderr" = "kc-grant: cannot grant 'alice' data to itself -- --to names another domain" ]
	run -3 --separate-stderr kc-grant query "${ep[@]}" ok.id Bad
	[ "$stderr" = "kc-grant: invalid grant ID 'Bad': use only lower-case letters, digits, '-' and '.'" ]
	run -3 kc-grant delete "${ep[@]}" ''
	run -0 --separate-stderr kc-grant create --dry-run --data a.b-c --to bob --id x.y
	[ "$output" = '{"grant_domain":"bob","domain_id":"alice","domaindata_id":"a.b-c","domaindatagrant_id":"x.y"}' ]
}

@test "grant: --dry-run and KC_DRY_RUN print the request body and contact nothing" {
	ep=(--endpoint https://127.0.0.1:1)
	run -0 --separate-stderr kc-grant create "${ep[@]}" --dry-run --data alice-table --to bob --desc domaindatagrant=alice-bob
	[ "$output" = '{"grant_domain":"bob","description":{"domaindatagrant":"alice-bob"},"domain_id":"alice","domaindata_id":"alice-table"}' ]
	[ -z "$stderr" ]
	KC_DRY_RUN=1 run -0 --separate-stderr kc-grant delete "${ep[@]}" g1 g2
	[ "${lines[0]}" = '{"domain_id":"alice","domaindatagrant_id":"g1"}' ]
	[ "${lines[1]}" = '{"domain_id":"alice","domaindatagrant_id":"g2"}' ]
	[ "${#lines[@]}" -eq 2 ]
	KC_DRY_RUN=1 run -0 kc-grant list "${ep[@]}" --to bob
	[ "$output" = '{"data":{"domain_id":"alice","grant_domain":"bob"}}' ]
	KC_DRY_RUN=1 run -0 kc-grant query "${ep[@]}" g1 g2
	[ "$output" = '{"data":[{"domain_id":"alice","domaindatagrant_id":"g1"},{"domain_id":"alice","domaindatagrant_id":"g2"}]}' ]
	KC_DRY_RUN=0 run -5 kc-grant list "${ep[@]}"
}

@test "grant: usage errors exit 2 with the Usage line" {
	run -2 --separate-stderr kc-grant
	[ "${stderr_lines[0]}" = "kc-grant: missing subcommand: create, query, list or delete" ]
	[ "${stderr_lines[1]}" = "Usage: kc grant create|query|list|delete [OPTIONS] [ID...]" ]
	[ -z "$output" ]
	run -2 --separate-stderr kc-grant grant
	[ "${stderr_lines[0]}" = "kc-grant: unknown subcommand 'grant': use create, query, list or delete" ]
	run -2 --separate-stderr kc-grant create --to bob
	[ "${stderr_lines[0]}" = "kc-grant: missing --data: create needs --data ID and --to GRANTEE" ]
	run -2 --separate-stderr kc-grant create --data x
	[ "${stderr_lines[0]}" = "kc-grant: missing --to: create needs --data ID and --to GRANTEE" ]
	run -2 --separate-stderr kc-grant create --data x --to bob extra
	[ "${stderr_lines[0]}" = "kc-grant: unexpected operand 'extra'" ]
	run -2 --separate-stderr kc-grant create --data x --data y --to bob
	[ "${stderr_lines[0]}" = "kc-grant: --data is given twice" ]
	run -2 --separate-stderr kc-grant query
	[ "${stderr_lines[0]}" = "kc-grant: missing GRANT_ID" ]
	run -2 --separate-stderr kc-grant delete g1 -o json
	[ "${stderr_lines[0]}" = "kc-grant: -o does not apply here" ]
	run -2 --separate-stderr kc-grant query g1 --to bob
	[ "${stderr_lines[0]}" = "kc-grant: --to does not apply here" ]
	run -2 --separate-stderr kc-grant list -o yaml
	[ "${stderr_lines[0]}" = "kc-grant: invalid output format 'yaml': use text or json" ]
	run -2 --separate-stderr kc-grant create --data x --to bob --id g --if-absent
	[ "${stderr_lines[0]}" = "kc-grant: --if-absent and --id conflict: --id already makes create idempotent" ]
	run -2 --separate-stderr kc-grant create --data x --to bob --desc novalue
	[ "${stderr_lines[0]}" = "kc-grant: bad --desc 'novalue': use KEY=VALUE" ]
	run -2 --separate-stderr kc-grant create --data x --to bob --desc k=1 --desc k=2
	[ "${stderr_lines[0]}" = "kc-grant: --desc key 'k' is given twice" ]
	run -3 --separate-stderr kc-grant create --dry-run --data x --to bob --desc "k=$(printf '\377')"
	[[ ${stderr_lines[0]} == "kc-grant: bad --desc 'k="*"': not UTF-8 text" ]]
	run -2 --separate-stderr kc-grant list --timeout 0
	[ "${stderr_lines[0]}" = "kc-grant: bad --timeout '0': give whole seconds, 1 to 3600" ]
	run -2 --separate-stderr kc-grant list --nope
	[[ ${stderr_lines[0]} == *"unrecognized option '--nope'" ]]
	run -2 --separate-stderr kc-grant list --endpoint ''
	[ "${stderr_lines[0]}" = "kc-grant: --endpoint needs a URL" ]
}

@test "grant: --help prints the help on stdout, --version one line" {
	run -0 --separate-stderr kc-grant --help
	[ "${lines[0]}" = "Usage: kc grant create|query|list|delete [OPTIONS] [ID...]" ]
	[[ $output == *"Exit status:"* ]]
	[ -z "$stderr" ]
	run -0 kc-grant list --help
	[ "${lines[0]}" = "Usage: kc grant create|query|list|delete [OPTIONS] [ID...]" ]
	run -0 kc-grant --version
	[[ $output =~ ^kc-grant\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
}
