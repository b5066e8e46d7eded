#!/usr/bin/env bats
# kc-apply against the node simulator, read back with real kubectl
# shellcheck disable=SC2154 # stderr_lines is set by bats' run --separate-stderr
bats_require_minimum_version 1.5.0

setup_file() {
	load helper/common
	sim_node alice
}

teardown_file() {
	load helper/common
	sim_stop_all
}

setup() {
	load helper/common
	common_setup
	NODE="$BATS_FILE_TMPDIR/alice"
	export KUSCIA_ROOT="$NODE"
}

ns() { # NAME: a Namespace object
	printf '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"%s"}}\n' "$1"
}
cdr() { # NAME HOST
	printf '{"apiVersion":"kuscia.secretflow/v1alpha1","kind":"ClusterDomainRoute","metadata":{"name":"%s"},"spec":{"source":"alice","destination":"x%s","endpoint":{"host":"%s","ports":[{"name":"http","protocol":"HTTP","port":1080}]},"authenticationType":"Token","tokenConfig":{"tokenGenMethod":"RSA-GEN"}}}\n' "$1" "$1" "$2"
}

# a kubeconfig like the node's with FIELD=VALUE lines changed (python: yaml is not in the stdlib)
kubeconfig_variant() { # OUT MODE
	"$KC_PYTHON" - "$NODE/etc/kubeconfig" "$1" "$2" "$BATS_TEST_TMPDIR" <<-'PY'
		import base64, re, sys
		src, out, mode, tmp = sys.argv[1:5]
		text = open(src).read()
		def field(name):
		    return re.search(r"^\s*" + name + r": (\S+)$", text, re.M).group(1)
		def to_file(name, fname):
		    global text
		    data = base64.b64decode(field(name + "-data"))
		    open(tmp + "/" + fname, "wb").write(data)
		    text = re.sub(r"^(\s*)" + name + r"-data: \S+$", r"\1" + name + ": " + fname, text, flags=re.M)
		if mode == "files":      # relative paths, resolved against the kubeconfig's folder
		    to_file("certificate-authority", "ca.crt")
		    to_file("client-certificate", "client.crt")
		    to_file("client-key", "client.key")
		elif mode == "insecure":
		    text = re.sub(r"^(\s*)certificate-authority-data: \S+$", r"\1insecure-skip-tls-verify: true", text, flags=re.M)
		elif mode == "no-client-cert":
		    text = re.sub(r"^\s*client-(certificate|key)-data: \S+\n", "", text, flags=re.M)
		    text = re.sub(r"^(\s*)user:\s*$", r"\1user: {}", text, flags=re.M)
		elif mode.startswith("token="):
		    text = re.sub(r"^\s*client-(certificate|key)-data: \S+\n", "", text, flags=re.M)
		    text = re.sub(r"^(\s*)user:\s*$", r"\1user:\n\1  token: " + mode[6:], text, flags=re.M)
		elif mode.startswith("ca="):
		    ca = base64.b64encode(open(mode[3:], "rb").read()).decode()
		    text = re.sub(r"^(\s*)certificate-authority-data: \S+$", r"\1certificate-authority-data: " + ca, text, flags=re.M)
		elif mode.startswith("server="):
		    text = re.sub(r"^(\s*)server: \S+$", r"\1server: " + mode[7:], text, flags=re.M)
		open(out, "w").write(text)
	PY
}

@test "apply: a new object is created, the same again unchanged, a change configured" {
	run -0 --separate-stderr kc-apply <<<"$(ns apply-a)"
	[ "$output" = "namespace/apply-a created" ]
	[ -z "$stderr" ]
	kc_kubectl "$NODE" get namespace apply-a
	run -0 kc-apply <<<"$(ns apply-a)"
	[ "$output" = "namespace/apply-a unchanged" ]
	run -0 kc-apply <<<"$(cdr r-a 1.1.1.1)"
	[ "$output" = "clusterdomainroute.kuscia.secretflow/r-a created" ]
	run -0 kc-apply <<<"$(cdr r-a 1.1.1.2)"
	[ "$output" = "clusterdomainroute.kuscia.secretflow/r-a configured" ]
	run -0 kc_kubectl "$NODE" get cdr r-a -o 'jsonpath={.spec.endpoint.host}'
	[ "$output" = 1.1.1.2 ]
}

@test "apply: a stream of objects and a List, one line each, in order" {
	run -0 kc-apply <<<"$(ns s-1)$(ns s-2)
$(cdr s-3 2.2.2.2)"
	[ "${lines[*]}" = "namespace/s-1 created namespace/s-2 created clusterdomainroute.kuscia.secretflow/s-3 created" ]
	run -0 kc-apply <<<"{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[$(ns l-1),$(ns l-2)]}"
	[ "${lines[*]}" = "namespace/l-1 created namespace/l-2 created" ]
	kc_kubectl "$NODE" get namespace l-2
}

@test "apply: -o json prints the objects as the server returned them" {
	run -0 kc-apply -o json <<<"$(ns j-1)"
	jq -e '.metadata.name == "j-1" and (.metadata.resourceVersion | length) > 0 and (.metadata.uid | length) > 0' <<<"$output"
}

@test "apply: --dry-run and KC_DRY_RUN print compact JSON and contact nothing" {
	run -0 --separate-stderr kc-apply --dry-run --kubeconfig /nonexistent <<<"$(ns d-1)  $(ns d-2)"
	[ "${#lines[@]}" -eq 2 ]
	[ "${lines[0]}" = '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"d-1"}}' ]
	KC_DRY_RUN=1 run -0 kc-apply --kubeconfig /nonexistent <<<"$(ns d-1)"
	[ "$output" = '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"d-1"}}' ]
	run -1 kc_kubectl "$NODE" get namespace d-1
}

@test "apply: the object the server rejects stops the run with its message (6)" {
	local bad='{"apiVersion":"kuscia.secretflow/v1alpha1","kind":"Domain","metadata":{"name":"rej"},"spec":{"bogusField":1}}'
	run -6 --separate-stderr kc-apply <<<"$(ns rej-1)$bad$(ns rej-2)"
	[ "$output" = "namespace/rej-1 created" ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ $stderr == "kc-apply: domain.kuscia.secretflow/rej: "*"bogusField"* ]]
	run -1 kc_kubectl "$NODE" get namespace rej-2
}

@test "apply: bad input is refused before anything is sent (3)" {
	local input
	for input in 'not json' '{"kind":"Namespace"}' '[1,2]' \
		'{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"}}' \
		'{"apiVersion":"v1","kind":"Namespace","metadata":{}}' \
		'{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"Bad_Name"}}' \
		'{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"a/b"}}' \
		'{"apiVersion":"v1","kind":"List"}'; do
		run -3 --separate-stderr kc-apply <<<"$(ns first-ok)$input"
		[ -z "$output" ] || { echo "$input: $output"; return 1; }
		[ "${#stderr_lines[@]}" -eq 1 ]
		[[ $stderr == "kc-apply: "* ]]
	done
	run -1 kc_kubectl "$NODE" get namespace first-ok
	run -3 --separate-stderr kc-apply </dev/null
	[[ $stderr == *"no objects"* ]]
}

@test "apply: kubeconfig from --kubeconfig, KUBECONFIG, KUSCIA_ROOT, then ~/.kube/config" {
	run -0 kc-apply --kubeconfig "$NODE/etc/kubeconfig" <<<"$(ns k-1)"
	KUSCIA_ROOT=/nonexistent KUBECONFIG="/none:$NODE/etc/kubeconfig" run -0 kc-apply <<<"$(ns k-2)"
	mkdir -p "$HOME/.kube" && cp "$NODE/etc/kubeconfig" "$HOME/.kube/config"
	KUSCIA_ROOT=/nonexistent run -0 kc-apply <<<"$(ns k-3)"
	[ "$output" = "namespace/k-3 created" ]
	rm "$HOME/.kube/config"
	KUSCIA_ROOT=/nonexistent run -4 --separate-stderr kc-apply <<<"$(ns k-4)"
	[ -z "$output" ]
	[[ $stderr == "kc-apply: no kubeconfig found"* ]]
}

@test "apply: kubeconfig with file paths (relative) instead of -data fields" {
	kubeconfig_variant "$BATS_TEST_TMPDIR/kubeconfig" files
	cd /
	run -0 kc-apply --kubeconfig "$BATS_TEST_TMPDIR/kubeconfig" <<<"$(ns f-1)"
	[ "$output" = "namespace/f-1 created" ]
}

@test "apply: a token user authenticates with Authorization: Bearer" {
	# the service account is authenticated (403 names it, as RBAC would), a bad token is not (401)
	local token
	kc_kubectl "$NODE" create namespace tok 2>/dev/null || true
	kc_kubectl "$NODE" create serviceaccount tok -n tok 2>/dev/null || true
	token=$(kc_kubectl "$NODE" create token tok -n tok)
	kubeconfig_variant "$BATS_TEST_TMPDIR/kubeconfig" "token=$token"
	run -6 --separate-stderr kc-apply --kubeconfig "$BATS_TEST_TMPDIR/kubeconfig" <<<"$(ns t-1)"
	[[ $stderr == "kc-apply: namespace/t-1: forbidden: "*"system:serviceaccount:tok:tok"* ]]
	kubeconfig_variant "$BATS_TEST_TMPDIR/kubeconfig" "token=not-a-token"
	run -6 --separate-stderr kc-apply --kubeconfig "$BATS_TEST_TMPDIR/kubeconfig" <<<"$(ns t-2)"
	[[ $stderr == *"refused our credentials"* ]]
}

@test "apply: no client certificate is refused by the apiserver (6)" {
	kubeconfig_variant "$BATS_TEST_TMPDIR/kubeconfig" no-client-cert
	run -6 --separate-stderr kc-apply --kubeconfig "$BATS_TEST_TMPDIR/kubeconfig" <<<"$(ns n-1)"
	[ -z "$output" ]
	[[ $stderr == "kc-apply: namespace/n-1: the apiserver refused our credentials"* ]]
}

@test "apply: a server cert from another CA fails TLS (7); insecure-skip-tls-verify accepts it" {
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$BATS_TEST_TMPDIR/o.key" \
		-out "$BATS_TEST_TMPDIR/other-ca.crt" -subj /CN=other -days 2 2>/dev/null
	kubeconfig_variant "$BATS_TEST_TMPDIR/kubeconfig" "ca=$BATS_TEST_TMPDIR/other-ca.crt"
	run -7 --separate-stderr kc-apply --kubeconfig "$BATS_TEST_TMPDIR/kubeconfig" <<<"$(ns c-1)"
	[ -z "$output" ]
	[[ $stderr == "kc-apply: TLS with 'https://127.0.0.1:"* ]]
	kubeconfig_variant "$BATS_TEST_TMPDIR/kubeconfig" insecure
	run -0 kc-apply --kubeconfig "$BATS_TEST_TMPDIR/kubeconfig" <<<"$(ns c-2)"
}

@test "apply: an apiserver that is down is unreachable (5)" {
	local port
	port=$("$KC_PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	kubeconfig_variant "$BATS_TEST_TMPDIR/kubeconfig" "server=https://127.0.0.1:$port"
	run -5 --separate-stderr kc-apply --kubeconfig "$BATS_TEST_TMPDIR/kubeconfig" <<<"$(ns down-1)"
	[ -z "$output" ]
	[[ $stderr == "kc-apply: cannot reach 'https://127.0.0.1:$port/api/v1/namespaces/down-1'"* ]]
	# a long stream (one LIST first) says it once
	run -5 --separate-stderr kc-apply --kubeconfig "$BATS_TEST_TMPDIR/kubeconfig" \
		<<<"$(ns down-1)$(ns down-2)$(ns down-3)$(ns down-4)"
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ $stderr == "kc-apply: cannot reach 'https://127.0.0.1:$port/api/v1/namespaces'"* ]]
}

@test "apply: a malformed kubeconfig is bad input (3)" {
	printf 'current-context: [\n' >"$BATS_TEST_TMPDIR/kubeconfig"
	run -3 --separate-stderr kc-apply --kubeconfig "$BATS_TEST_TMPDIR/kubeconfig" <<<"$(ns m-1)"
	[[ $stderr == *"not valid YAML"* ]]
	printf 'current-context: nowhere\ncontexts: []\n' >"$BATS_TEST_TMPDIR/kubeconfig"
	run -3 --separate-stderr kc-apply --kubeconfig "$BATS_TEST_TMPDIR/kubeconfig" <<<"$(ns m-1)"
	[[ $stderr == *"context 'nowhere' not found"* ]]
}

@test "apply: --delete removes the named objects; a missing one is an error unless ignored" {
	kc-apply <<<"$(ns del-1)"
	run -0 kc-apply --delete <<<"$(ns del-1)"
	[ "$output" = "namespace/del-1 deleted" ]
	run -6 --separate-stderr kc-apply --delete <<<"$(ns del-1)"
	[[ $stderr == *"not found"* ]]
	run -0 kc-apply --delete --ignore-not-found <<<"$(ns del-1)"
	[ -z "$output" ]
}

@test "apply: KC_APPLY=kubectl hands the stream to kubectl apply" {
	KC_APPLY=kubectl run -0 kc-apply <<<"$(ns kk-1)$(ns kk-2)"
	[[ $output == *"namespace/kk-1 created"*"namespace/kk-2 created"* ]]
	kc_kubectl "$NODE" get namespace kk-2
}

@test "apply: usage errors (2)" {
	run -2 --separate-stderr kc-apply extra
	[ -z "$output" ]
	run -2 --separate-stderr kc-apply -o yaml
	run -2 --separate-stderr kc-apply --timeout 0
	run -2 --separate-stderr kc-apply --ignore-not-found
	run -0 kc-apply --help
	[[ ${lines[0]} == "Usage: kc apply"* ]]
}

@test "apply: a long stream is read with one LIST per kind and still says created/unchanged/configured" {
	kc-apply <<<"$(ns long-1)$(ns long-2)$(cdr long-r1 1.1.1.1)"
	run -0 kc-apply <<<"$(ns long-1)$(ns long-2)$(ns long-3)$(ns long-4)$(ns long-5)
$(cdr long-r1 1.1.1.9)$(cdr long-r2 1.1.1.1)$(cdr long-r3 1.1.1.1)$(cdr long-r4 1.1.1.1)"
	[ "${lines[*]}" = "namespace/long-1 unchanged namespace/long-2 unchanged namespace/long-3 created namespace/long-4 created namespace/long-5 created clusterdomainroute.kuscia.secretflow/long-r1 configured clusterdomainroute.kuscia.secretflow/long-r2 created clusterdomainroute.kuscia.secretflow/long-r3 created clusterdomainroute.kuscia.secretflow/long-r4 created" ]
	run -0 kc-apply --delete <<<"$(ns long-2)$(ns long-3)$(ns long-4)$(ns long-5)"
	[ "${#lines[@]}" -eq 4 ]
	[ "${lines[3]}" = "namespace/long-5 deleted" ]
	run -6 --separate-stderr kc-apply --delete <<<"$(ns long-2)$(ns long-3)$(ns long-4)$(ns long-5)"
	[[ $stderr == "kc-apply: namespace/long-2: not found" ]]
}

# a server that takes TCP connections and never answers the TLS handshake; its port on stdout
hanging_server() {
	"$KC_PYTHON" -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
print(s.getsockname()[1], flush=True); time.sleep(120)' >"$BATS_TEST_TMPDIR/hang.port" 3>&- &
	HANG_PID=$!
	poll_until 10 test -s "$BATS_TEST_TMPDIR/hang.port"
	kubeconfig_variant "$BATS_TEST_TMPDIR/kubeconfig" "server=https://127.0.0.1:$(cat "$BATS_TEST_TMPDIR/hang.port")"
}

teardown() {
	[ -z "${HANG_PID:-}" ] || kill "$HANG_PID" 2>/dev/null || true
}

@test "apply: --allow-empty: no object is no error and says nothing; objects still apply" {
	run -0 --separate-stderr kc-apply --allow-empty </dev/null
	[ -z "$output" ] && [ -z "$stderr" ]
	KUBECONFIG=/nonexistent run -0 --separate-stderr kc-apply --allow-empty <<<$'  \n\t'
	[ -z "$output" ] && [ -z "$stderr" ]
	run -0 kc-apply --allow-empty <<<"$(ns ae-1)"
	[ "$output" = "namespace/ae-1 created" ]
	run -3 --separate-stderr kc-apply --allow-empty <<<'not json'
	[[ $stderr == "kc-apply: the input is not a stream of JSON objects"* ]]
}

@test "apply: a closed standard input is a read error (4), never a wait" {
	run -4 --separate-stderr timeout 20 sh -c 'exec kc-apply <&-'
	[ "$stderr" = "kc-apply: cannot read '-': Bad file descriptor" ]
}

@test "apply: the kubeconfig's problems are said only when there is something to apply" {
	# kc-apply reads the kubeconfig and connects while its input is still coming
	KUBECONFIG=/nonexistent run -3 --separate-stderr kc-apply <<<'not json'
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ $stderr == "kc-apply: the input is not a stream of JSON objects"* ]]
	KUBECONFIG=/nonexistent run -4 --separate-stderr kc-apply < <(sleep 0.3; ns late-1)
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ $stderr == "kc-apply: no kubeconfig found"* ]]
	run -0 kc-apply < <(sleep 0.3; ns late-2)
	[ "$output" = "namespace/late-2 created" ]
}

@test "apply: a handshake still going when the input turns out empty or bad is dropped at once" {
	hanging_server
	# `timeout` only guards the run: without the drop, kc-apply would wait KC_TIMEOUT (60 s)
	KC_TIMEOUT=60 run -0 --separate-stderr timeout 20 kc-apply --allow-empty \
		--kubeconfig "$BATS_TEST_TMPDIR/kubeconfig" < <(sleep 0.3)
	[ -z "$output" ] && [ -z "$stderr" ]
	KC_TIMEOUT=60 run -3 --separate-stderr timeout 20 kc-apply \
		--kubeconfig "$BATS_TEST_TMPDIR/kubeconfig" <<<'not json'
	[ "${#stderr_lines[@]}" -eq 1 ]
	# with an object, the handshake's own failure is the request's, once
	KC_TIMEOUT=1 run -5 --separate-stderr kc-apply --kubeconfig "$BATS_TEST_TMPDIR/kubeconfig" \
		< <(sleep 0.3; ns hang-1)
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ $stderr == "kc-apply: no answer from 'https://127.0.0.1:"*"/api/v1/namespaces/hang-1' in time: timed out after "*" ms in the TLS handshake" ]]
}
