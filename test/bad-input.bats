#!/usr/bin/env bats
# bad-input.bats - the malformed-input table (issue 6, "Bad-input suite"): arguments, files,
# environment and server answers for every kc command and drop-in. Each row must exit with
# its code, print one line on stderr ('PROG: ...') holding its word, print nothing on stdout,
# and leave the cluster (every Kuscia object, namespace and service account, with its
# resourceVersion) and the files (the node folder but its logs, the fixtures, the working
# folder, TMPDIR and HOME) as they were: the files are compared after every row, the cluster
# (kubectl, the slow part) after every table and after each row under an API fault. A row
# that fails is reported with all it broke, and the table goes on. Behaviours tested in
# depth elsewhere are only
# sampled here; the other files are named in README's Security table.
#
# Row: CODE|FLAGS|WORD|COMMAND. COMMAND is bash, run with `eval` (so VAR=value prefixes and
# <FILE redirections work), stdin /dev/null unless redirected. FLAGS ('-' for none):
#   u  a C helper's usage error (kc cert, token, conf, render, apply, grant, route-check): the
#      message, then that helper's first 'Usage:' line (STYLE.md section 4;
#      doc/contracts-settled.md: the C helpers keep STYLE's message + Usage line). The only
#      second line a failure may print; shell commands and drop-ins print one line.
#   o  the result goes to stdout whatever the outcome (kc route-check probe, status and the
#      diagnosis: doc/contracts-settled.md; CONTRACTS.md section 8)
# Every other row has exactly one line on stderr. Words are matched case-sensitively.
# shellcheck disable=SC2154 # stderr, stderr_lines and status are set by bats' run
bats_require_minimum_version 1.5.0

setup_file() {
	load helper/common
	export BATS_NO_PARALLELIZE_WITHIN_FILE=true
	sim_node alice
	local f=$BATS_FILE_TMPDIR/f n=$BATS_FILE_TMPDIR/alice c
	mkdir -p "$f/dir"
	# certificates and keys
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$f/bob.key" -out "$f/bob.crt" \
		-subj /CN=bob -days 30 2>/dev/null
	openssl req -x509 -key "$f/bob.key" -out "$f/mallory.crt" -subj /CN=mallory -days 30
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$f/other.key" -out "$f/bob2.crt" \
		-subj /CN=bob -days 30 2>/dev/null
	openssl req -x509 -key "$f/other.key" -out "$f/dave.crt" -subj /CN=dave -days 30
	openssl req -x509 -key "$f/other.key" -out "$f/ivan.crt" -subj /CN=ivan -days 30
	openssl x509 -in "$f/bob.crt" -outform DER -out "$f/bob.der"
	openssl ecparam -genkey -name prime256v1 -noout -out "$f/ec.key" 2>/dev/null
	openssl req -x509 -key "$f/ec.key" -out "$f/ec.crt" -subj /CN=bob -days 30
	base64 -w0 "$f/ec.key" >"$f/ec.key.b64"
	head -c 600 /dev/urandom >"$f/garbage"
	: >"$f/empty"
	truncate -s 17M "$f/huge" # past KC_MAX_FILE (16 MiB)
	ln -s loop "$f/loop"
	ln -s "$f/nowhere" "$f/dangling"
	printf 'not: [yaml\n' >"$f/bad.yaml"
	# objects for kc apply
	printf '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"bi-ok"}}\n' >"$f/ns.json"
	printf '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"alice"}}\n' >"$f/ns-alice.json"
	printf '{"apiVersion":"kuscia.secretflow/v1alpha1","kind":"Domain","metadata":{"name":"bi-rej"},"spec":{"bogusField":1}}\n' >"$f/rejected.json"
	printf '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"bi-1"}}\n{"kind":' >"$f/cut.json"
	printf '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"../x"}}\n' >"$f/escape.json"
	printf '{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"}}\n' >"$f/unknown-kind.json"
	printf '%*s' 100000 '' | tr ' ' '[' >"$f/deep.json"
	printf '{"a":"\377"}\n' >"$f/latin1.json"
	# kubeconfigs
	sed "s|server: .*|server: https://127.0.0.1:1|" "$n/etc/kubeconfig" >"$f/kube-down"
	sed "s|server: .*|server: ftp://127.0.0.1:1|" "$n/etc/kubeconfig" >"$f/kube-ftp"
	sed "s|current-context: .*|current-context: nowhere|" "$n/etc/kubeconfig" >"$f/kube-noctx"
	sed "s|certificate-authority-data: .*|certificate-authority-data: $(base64 -w0 "$f/bob.crt")|" \
		"$n/etc/kubeconfig" >"$f/kube-otherca"
	sed "s|client-key-data: .*|client-key: $f/nowhere|" "$n/etc/kubeconfig" >"$f/kube-nokey"
	# node copies with one thing broken (same simulator behind them)
	for c in token yaml kube noca mismatch; do
		mkdir -p "$f/node-$c"
		cp -R "$n/etc" "$n/var" "$f/node-$c/"
	done
	printf 'not a token\n' >"$f/node-token/var/certs/token"
	printf 'domainID: [alice\n' >"$f/node-yaml/etc/conf/kuscia.yaml"
	rm "$f/node-kube/etc/kubeconfig"
	rm "$f/node-noca/var/certs/ca.key"
	cp "$f/bob.key" "$f/node-mismatch/var/certs/ca.key"
	# peer certificates in the node: bob's is right, the others broken each in one way
	cp "$f/bob.crt" "$n/var/certs/bob.domain.crt"
	cp "$f/mallory.crt" "$n/var/certs/carol.domain.crt"
	openssl req -x509 -key "$f/ec.key" -out "$n/var/certs/erin.domain.crt" -subj /CN=erin -days 30
	openssl req -x509 -key "$f/bob.key" -outform DER -out "$n/var/certs/frank.domain.crt" \
		-subj /CN=frank -days 30
	: >"$n/var/certs/gina.domain.crt"
	mkdir "$n/var/certs/hank.domain.crt"
	ln -s ivan.domain.crt "$n/var/certs/ivan.domain.crt"
	cp "$f/bob.key" "$n/var/certs/judy.domain.crt"
}

teardown_file() {
	load helper/common
	sim_stop_all
}

setup() {
	load helper/common
	common_setup
	NODE=$BATS_FILE_TMPDIR/alice
	F=$BATS_FILE_TMPDIR/f
	export KUSCIA_ROOT=$NODE
	export TMPDIR=$BATS_TEST_TMPDIR/tmp
	mkdir -p "$TMPDIR" "$BATS_TEST_TMPDIR/work"
	cd "$BATS_TEST_TMPDIR/work" || return 1
	# shellcheck disable=SC2034 # the rows use them, through eval
	{
		GW=https://127.0.0.1:$(jq .gateway "$NODE/sim/ports.json")
		ID64=$(printf 'a%.0s' {1..64})
		KEY=$(base64 -w0 "$F/bob.key")
	}
}

teardown() {
	local l
	if [ -n "${FAULTED:-}" ]; then
		for l in api kusciaapi gateway; do
			"$KC_PYTHON" "$KC_SRC/test/sim/kc-sim" fault "$NODE" "$l" none
		done
	fi
}

# every file under the file's and the test's folders (node logs, the simulator's own files and
# kubectl's cache aside): name, type, mode, and for all but folders (a temporary folder made and
# removed changes its parent's mtime) size, mtime, link target
files_state() {
	find "$BATS_FILE_TMPDIR" "$BATS_TEST_TMPDIR/work" "$TMPDIR" "$HOME" \
		\( -path '*/var/logs' -o -path "$BATS_FILE_TMPDIR/*/sim" -o -path "$BATS_FILE_TMPDIR/kube" \) \
		-prune -o -type d -printf '%p %y %m\n' -o -printf '%p %y %m %s %T@ %l\n' | sort
}

# every Kuscia object, namespace and service account with its resourceVersion
cluster_state() {
	kc_kubectl "$NODE" get domain,cdr,dr,kdd,ddg,kj,ns,sa -A --no-headers \
		-o custom-columns=K:.kind,NS:.metadata.namespace,N:.metadata.name,RV:.metadata.resourceVersion
}

# sim_fault LISTENER SPEC: a simulator fault switch on the node
sim_fault() {
	FAULTED=1
	"$KC_PYTHON" "$KC_SRC/test/sim/kc-sim" fault "$NODE" "$1" "$2"
}

# prog_of COMMAND: the name its messages must start with: kc-SUB for 'kc SUB' (kc for the
# dispatcher's own errors), the script's name for a drop-in (helpers speak under it: KC_PROG)
prog_of() {
	local w
	for w in $1; do
		[[ $w == *=* ]] && continue
		if [ "$w" = kc ]; then
			w=${1#*kc }
			w=kc-${w%% *}
			[ -x "$KC_LIBEXEC/$w" ] || w=kc
		fi
		printf '%s\n' "$w"
		return
	done
}

# check_rows [LISTENER SPEC]: run every row on stdin (under the fault, when given); report
# every row that breaks a rule, then fail
check_rows() {
	local code flags word cmd files cluster now why bad=0 n=0 lines
	cluster=$(cluster_state)
	files=$(files_state)
	[ $# -eq 0 ] || [ "$1" = api ] || sim_fault "$1" "$2"
	while IFS='|' read -r code flags word cmd; do
		[ -n "$code" ] || continue
		n=$((n + 1))
		# kubectl reads the cluster's state through the API: an API fault is on for the row only
		[ "${1:-}" != api ] || sim_fault api "$2"
		run --separate-stderr eval "$cmd" </dev/null
		[ "${1:-}" != api ] || sim_fault api none
		why=
		lines=${#stderr_lines[@]}
		[ "$status" -eq "$code" ] || why+=" exit $status, not $code;"
		[[ $flags == *o* || -z $output ]] || why+=" stdout: ${output:0:200};"
		[[ $stderr$output == *"$word"* ]] || why+=" no '$word' in the message;"
		if [[ $flags == *o* ]]; then
			[ "$lines" -le 1 ] || why+=" $lines lines on stderr;"
		elif [[ $flags == *u* && $lines -eq 2 ]]; then
			[[ ${stderr_lines[1]} == 'Usage: '* ]] || why+=" the second line is not 'Usage: ...';"
		else
			[ "$lines" -eq 1 ] || why+=" $lines lines on stderr;"
		fi
		[ "$lines" -eq 0 ] || [[ ${stderr_lines[0]} == "$(prog_of "$cmd"): "* ]] ||
			why+=" the message is not '$(prog_of "$cmd"): ...';"
		now=$(files_state)
		[ "$now" = "$files" ] ||
			why+=" files changed: $(diff <(printf '%s\n' "$files") <(printf '%s\n' "$now") | grep '^[<>]' | head -4);"
		files=$now
		# an API fault is on for its row only: the cluster is read after each such row
		if [ "${1:-}" = api ]; then
			now=$(cluster_state)
			[ "$now" = "$cluster" ] ||
				why+=" cluster changed: $(diff <(printf '%s\n' "$cluster") <(printf '%s\n' "$now") | grep '^[<>]' | head -4);"
			cluster=$now
		fi
		if [ -n "$why" ]; then
			bad=$((bad + 1))
			printf '# %s\n#  ->%s\n#   stderr: %s\n' "$cmd" "$why" "${stderr//$'\n'/ \\n }" >&3
		fi
	done
	[ $# -eq 0 ] || [ "$1" = api ] || sim_fault "$1" none
	# the cluster, once for the whole table (kubectl is the slow part of a row)
	now=$(cluster_state)
	if [ "$now" != "$cluster" ]; then
		bad=$((bad + 1))
		printf '# the cluster changed during this table:\n%s\n' \
			"$(diff <(printf '%s\n' "$cluster") <(printf '%s\n' "$now") | grep '^[<>]' | sed 's/^/#   /')" >&3
	fi
	printf '# %d rows\n' "$n" >&3
	[ "$bad" -eq 0 ]
}

# ---- arguments --------------------------------------------------------------------------------

@test "bad input: kc, kc help, kc version, kc commands" {
	check_rows <<-'EOF'
		2|-|no such command|kc nosuch
		2|-|invalid command name|kc Cert
		2|-|invalid command name|kc ../kc-cert
		2|-|invalid command name|kc -x
		2|-|invalid command name|kc ''
		2|-|no such command|kc help nosuch
		2|-|invalid command name|kc help a/b
		2|-|unexpected|kc version extra
		2|-|unexpected|kc commands extra
	EOF
}

@test "bad input: kc cert" {
	check_rows <<-'EOF'
		2|u|command|kc cert
		2|u|unknown command|kc cert bogus
		2|u|operand|kc cert inspect
		2|u|operand|kc cert inspect "$F/bob.crt" "$F/bob.crt"
		2|u|yaml|kc cert inspect -o yaml "$F/bob.crt"
		2|u|option|kc cert inspect --bogus "$F/bob.crt"
		3|-|empty|kc cert inspect "$F/empty"
		3|-|PEM|kc cert inspect "$F/garbage"
		3|-|PEM|kc cert inspect "$F/bob.der"
		3|-|directory|kc cert inspect "$F/dir"
		3|-|symbolic links|kc cert inspect "$F/loop"
		3|-|large|kc cert inspect "$F/huge"
		3|-|No such file|kc cert inspect "$F/nowhere"
		3|-|PEM|kc cert inspect "$F/bob.key"
		2|u|--domain|kc cert verify "$F/bob.crt"
		3|-|mallory|kc cert verify "$F/mallory.crt" --domain bob
		3|-|RSA|kc cert verify "$F/ec.crt" --domain bob
		3|-|CN|kc cert verify "$F/bob.crt" --domain Bob
		3|-|key|kc cert verify "$F/bob.crt" --domain bob --key "$F/ec.key"
		3|o|"reason":"cn-mismatch"|kc cert verify -o json "$F/mallory.crt" --domain bob
		2|u|--domain|kc cert b64 "$F/bob.crt"
		3|-|PEM|kc cert b64 --domain bob "$F/bob.der"
		3|-|invalid domain id|kc cert import ../x "$F/bob.crt"
		3|-|invalid domain id|kc cert import a/b "$F/bob.crt"
		3|-|invalid domain id|kc cert import Bob "$F/bob.crt"
		3|-|invalid domain id|kc cert import "$ID64" "$F/bob.crt"
		3|-|reserved|kc cert import kube-system "$F/bob.crt"
		3|-|mallory|kc cert import dave "$F/mallory.crt"
		3|-|PEM|kc cert import dave "$F/bob.der"
		3|-|RSA|kc cert import bob "$F/ec.crt"
		3|-|PEM|kc cert import dave "$F/bob.key"
		3|-|empty|kc cert import dave "$F/empty"
		3|-|directory|kc cert import dave "$F/dir"
		3|-|symbolic links|kc cert import dave "$F/loop"
		3|-|large|kc cert import dave "$F/huge"
		3|-|PEM|kc cert import dave
		3|-|different|kc cert import bob "$F/bob2.crt"
		4|-|symbolic link|kc cert import ivan "$F/ivan.crt"
		2|u|operand|kc cert import
		2|u|operand|kc cert import bob "$F/bob.crt" extra
		2|u|option|kc cert import bob "$F/bob.crt" --bogus
		2|u|operand|kc cert export extra
		2|u|--key|kc cert gen bob
		3|-|RSA|kc cert gen bob --key "$F/ec.key"
		3|-|invalid domain id|kc cert gen ../x --key "$F/bob.key"
		3|-|key|kc cert gen bob --key "$F/bob.crt"
		2|u|days|kc cert gen bob --key "$F/bob.key" --days abc
		2|u|days|kc cert gen bob --key "$F/bob.key" --days -1
		2|u|--out|kc cert keygen --force
		3|-|exists|kc cert keygen --out "$F/bob.key"
		3|-|exists|kc cert keygen --out "$F/dangling"
		2|u|operand|kc cert keygen extra
		3|-|exists|kc cert client
		2|u|days|kc cert client --days 1x
	EOF
}

@test "bad input: kc token" {
	check_rows <<-'EOF'
		2|u|subcommand|kc token bogus
		2|u|operand|kc token kusciaapi extra
		2|u|--key|kc token kusciaapi --key "$F/bob.key"
		2|u|ID|kc token lite
		2|u|ID|kc token lite ''
		2|u|too|kc token lite a b
		3|-|RSA|kc token lite alice --key "$F/ec.key"
		3|-|RSA|kc token lite alice <"$F/ec.key.b64"
		3|-|empty|kc token lite alice --key "$F/empty"
		3|-|key|kc token lite alice --key "$F/garbage"
		3|-|key|kc token lite alice --key "$F/bob.crt"
		3|-|No such file|kc token lite alice --key "$F/nowhere"
		3|-|directory|kc token lite alice --key "$F/dir"
		4|-|symbolic links|kc token lite alice --key "$F/loop"
		3|-|large|kc token lite alice --key "$F/huge"
		3|-|not a private key|kc token lite alice
		2|u|ID|kc token sa
		3|-|invalid|kc token sa ../x
		3|-|invalid|kc token sa Bob
		2|u|--duration|kc token sa bob --duration abc
		2|u|--duration|kc token sa bob --duration 1s
		2|u|--duration|kc token sa bob --duration -1h
		2|u|'-n'|kc token sa bob -n
		3|-|invalid|kc token sa bob -n a/b
		2|u|sa only|kc token lite alice --duration 1h
	EOF
}

@test "bad input: kc conf and kc render" {
	check_rows <<-'EOF'
		2|u|KEY|kc conf
		2|u|operand|kc conf domainID protocol
		2|u|KEY|kc conf 'a..b'
		2|u|KEY|kc conf '../x'
		2|u|option|kc conf domainID --bogus
		1|-|nosuch|kc conf nosuch
		4|-|No such file|kc conf domainID -f "$F/nowhere"
		3|-|YAML|kc conf domainID -f "$F/bad.yaml"
		3|-|YAML|kc conf domainID -f "$F/garbage"
		4|-|directory|kc conf domainID -f "$F/dir"
		4|-|symbolic links|kc conf domainID -f "$F/loop"
		4|-|large|kc conf domainID -f "$F/huge"
		2|u|TEMPLATE|kc render
		4|-|nosuch.json|kc render nosuch.json
		4|-|nosuch.json|kc render ../nosuch.json
		2|u|DOMAIN_ID|kc render domain.json
		2|u|twice|kc render object_ref.json API_VERSION=v1 KIND=Namespace NAME=a NAME=b
		2|u|BOGUS|kc render object_ref.json API_VERSION=v1 KIND=Namespace NAME=a BOGUS=1
		2|u|NAME=VALUE|kc render object_ref.json API_VERSION=v1 KIND=Namespace NAME
		4|-|nowhere|kc render object_ref.json API_VERSION=v1 KIND=Namespace NAME@="$F/nowhere"
		3|-|JSON|kc render "$F/garbage"
		3|-|JSON|kc render "$F/bad.yaml"
		4|-|directory|kc render "$F/dir"
		3|-|UTF-8|kc render object_ref.json API_VERSION=v1 KIND=Namespace NAME=$'\377'
	EOF
}

@test "bad input: kc apply" {
	check_rows <<-'EOF'
		3|-|JSON|kc apply -f "$F/garbage"
		3|-|no objects|kc apply -f "$F/empty"
		3|-|JSON|kc apply -f "$F/cut.json"
		3|-|JSON|kc apply -f "$F/deep.json"
		3|-|0xff|kc apply -f "$F/latin1.json"
		3|-|../x|kc apply -f "$F/escape.json"
		3|-|Secret|kc apply -f "$F/unknown-kind.json"
		3|-|No such file|kc apply -f "$F/nowhere"
		3|-|directory|kc apply -f "$F/dir"
		4|-|symbolic links|kc apply -f "$F/loop"
		3|-|large|kc apply -f "$F/huge"
		2|u|yaml|kc apply -f "$F/ns.json" -o yaml
		2|u|option|kc apply -f "$F/ns.json" --bogus
		2|u|--delete|kc apply -f "$F/ns.json" --ignore-not-found
		2|u|--timeout|kc apply -f "$F/ns.json" --timeout abc
		2|u|--timeout|kc apply -f "$F/ns.json" --timeout 0
		2|u|operand|kc apply -f "$F/ns.json" extra
		6|-|bogusField|kc apply -f "$F/rejected.json"
		4|-|nowhere|kc apply -f "$F/ns.json" --kubeconfig "$F/nowhere"
		3|-|kubeconfig|kc apply -f "$F/ns.json" --kubeconfig "$F/garbage"
		3|-|kubeconfig|kc apply -f "$F/ns.json" --kubeconfig "$F/bad.yaml"
		3|-|context|kc apply -f "$F/ns.json" --kubeconfig "$F/kube-noctx"
		3|-|ftp|kc apply -f "$F/ns.json" --kubeconfig "$F/kube-ftp"
		5|-|127.0.0.1:1|kc apply -f "$F/ns.json" --kubeconfig "$F/kube-down"
		7|-|certificate|kc apply -f "$F/ns.json" --kubeconfig "$F/kube-otherca"
		4|-|client-key|kc apply -f "$F/ns.json" --kubeconfig "$F/kube-nokey"
	EOF
}

@test "bad input: kc grant" {
	check_rows <<-'EOF'
		2|u|subcommand|kc grant
		2|u|subcommand|kc grant bogus
		2|u|--data|kc grant create --to bob
		2|u|--to|kc grant create --data alice-table
		3|-|DomainData ID|kc grant create --data ../x --to bob
		3|-|grantee|kc grant create --data alice-table --to a/b
		3|-|grantee|kc grant create --data alice-table --to Bob
		3|-|reserved|kc grant create --data alice-table --to master
		3|-|longer than 63|kc grant create --data alice-table --to bob --id "$ID64"
		3|-|itself|kc grant create --data alice-table --to alice
		3|-|domain|kc grant create --data alice-table --to bob --domain ../x
		2|u|KEY=VALUE|kc grant create --data alice-table --to bob --desc novalue
		3|-|UTF-8|kc grant create --data alice-table --to bob --desc k=$'\377'
		2|u|--timeout|kc grant list --timeout abc
		2|u|yaml|kc grant list -o yaml
		2|u|option|kc grant list --bogus
		3|-|ftp|kc grant list --endpoint ftp://127.0.0.1:1
		3|-|endpoint|kc grant list --endpoint 'https://127.0.0.1:99999'
		5|-|cannot reach|kc grant list --endpoint https://127.0.0.1:1
		2|u|GRANT_ID|kc grant query
		3|-|grant ID|kc grant query a/b
		3|-|grant ID|kc grant delete ../x
		1|-|no-such-grant|kc grant query no-such-grant
	EOF
}

@test "bad input: kc route-check" {
	check_rows <<-'EOF'
		2|u|subcommand|kc route-check
		2|u|subcommand|kc route-check bogus
		2|u|URL|kc route-check endpoint
		2|u|operand|kc route-check endpoint http://a http://b
		3|-|scheme|kc route-check endpoint ftp://1.2.3.4
		3|-|port|kc route-check endpoint https://1.2.3.4:99999
		3|-|port|kc route-check endpoint https://1.2.3.4:0
		3|-|IPv6|kc route-check endpoint 'https://[::1]:1'
		3|-|space|kc route-check endpoint 'https://a b:1'
		3|-|empty|kc route-check endpoint ''
		3|-|host|kc route-check endpoint https://:1
		2|u|yaml|kc route-check endpoint http://a -o yaml
		2|u|URL|kc route-check probe
		3|-|scheme|kc route-check probe ftp://127.0.0.1:1
		2|u|--timeout|kc route-check probe "$GW" --timeout abc
		2|u|--timeout|kc route-check probe "$GW" --timeout -1
		3|-|--expect|kc route-check probe "$GW" --expect ../x
		3|-|--from|kc route-check probe "$GW" --from Alice
		3|-|lower case|kc route-check Alice-bob
		2|u|NAME|kc route-check status
		2|u|--wait|kc route-check status alice-bob --wait abc
		2|u|--wait|kc route-check status alice-bob --wait 1x
		3|-|lower case|kc route-check status alice_bob
		4|-|nowhere|kc route-check status alice-bob --kubeconfig "$F/nowhere"
		2|u|yaml|kc route-check list -o yaml
		2|u|operand|kc route-check list extra
		3|-|kubeconfig|kc route-check list --kubeconfig "$F/garbage"
		5|-|127.0.0.1:1|kc route-check list --kubeconfig "$F/kube-down"
		7|-|certificate|kc route-check list --kubeconfig "$F/kube-otherca"
		1|o|join_to_host.sh|kc route-check status alice-bob
		1|o|FAIL route|kc route-check alice-bob
		1|o|"ok":false|kc route-check alice-bob -o json
	EOF
}

@test "bad input: kc peer and kc doctor" {
	check_rows <<-'EOF'
		2|-|subcommand|kc peer
		2|-|subcommand|kc peer bogus
		2|-|missing operands|kc peer add
		2|-|missing operands|kc peer add bob
		2|-|--cert|kc peer add bob https://127.0.0.1:1
		2|-|--cert|kc peer add bob https://127.0.0.1:1 --cert
		2|-|unexpected operand|kc peer add bob https://127.0.0.1:1 extra --cert "$F/bob.crt"
		2|-|--bogus|kc peer add bob https://127.0.0.1:1 --cert "$F/bob.crt" --bogus
		3|-|invalid PEER|kc peer add ../x https://127.0.0.1:1 --cert "$F/bob.crt"
		3|-|invalid PEER|kc peer add a/b https://127.0.0.1:1 --cert "$F/bob.crt"
		3|-|invalid PEER|kc peer add Bob https://127.0.0.1:1 --cert "$F/bob.crt"
		3|-|invalid PEER|kc peer add "$ID64" https://127.0.0.1:1 --cert "$F/bob.crt"
		3|-|reserved|kc peer add cross-domain https://127.0.0.1:1 --cert "$F/bob.crt"
		3|-|own domain|kc peer add alice https://127.0.0.1:1 --cert "$NODE/var/certs/domain.crt"
		3|-|scheme|kc peer add bob ftp://127.0.0.1:1 --cert "$F/bob.crt"
		3|-|port|kc peer add bob https://127.0.0.1:0 --cert "$F/bob.crt"
		3|-|scheme|kc peer add bob https://127.0.0.1:1 --cert "$F/bob.crt" --self-endpoint ftp://x
		2|-|--wait|kc peer add dave https://127.0.0.1:1 --cert "$F/dave.crt" --wait abc
		2|-|--wait|kc peer add dave https://127.0.0.1:1 --cert "$F/dave.crt" --wait 1x
		2|-|--wait|kc peer add dave https://127.0.0.1:1 --cert "$F/dave.crt" --wait 169h
		3|-|mallory|kc peer add dave https://127.0.0.1:1 --cert "$F/mallory.crt"
		3|-|RSA|kc peer add bob https://127.0.0.1:1 --cert "$F/ec.crt"
		3|-|PEM|kc peer add dave https://127.0.0.1:1 --cert "$F/bob.der"
		3|-|PEM|kc peer add dave https://127.0.0.1:1 --cert "$F/bob.key"
		3|-|No such file|kc peer add dave https://127.0.0.1:1 --cert "$F/nowhere"
		3|-|different|kc peer add bob https://127.0.0.1:1 --cert "$F/bob2.crt"
		4|-|symbolic link|kc peer add ivan https://127.0.0.1:1 --cert "$F/ivan.crt"
		2|-|one PEER|kc peer rm
		2|-|one PEER|kc peer rm a b
		3|-|invalid PEER|kc peer rm ../x
		2|-|yaml|kc peer list -o yaml
		2|-|unexpected|kc peer list extra
		2|-|yaml|kc doctor -o yaml
		2|-|unexpected|kc doctor extra
		1|o|FAIL kusciaapi|KUSCIA_ROOT="$F/node-token" kc doctor
		1|o|"ok":false|KUSCIA_ROOT="$F/node-token" kc doctor -o json
	EOF
}

@test "bad input: add_domain.sh, join_to_host.sh, create_cluster_domain_route.sh" {
	check_rows <<-'EOF'
		2|-|DOMAIN_ID|add_domain.sh
		3|-|invalid DOMAIN_ID|add_domain.sh ../x p2p
		3|-|invalid DOMAIN_ID|add_domain.sh a/b p2p
		3|-|invalid DOMAIN_ID|add_domain.sh Bob p2p
		3|-|longer than 63|add_domain.sh "$ID64" p2p
		3|-|reserved|add_domain.sh kube-system p2p
		3|-|INTERCONN_PROTOCOL|add_domain.sh bob p2p 'kuscia;rm'
		3|-|MASTER_DOMAIN_ID|add_domain.sh bob p2p kuscia ../x
		3|-|does not exist|add_domain.sh zoe p2p
		3|-|mallory|add_domain.sh carol p2p
		3|-|RSA|add_domain.sh erin p2p
		3|-|PEM|add_domain.sh frank p2p
		3|-|PEM|add_domain.sh gina p2p
		3|-|directory|add_domain.sh hank p2p
		3|-|does not exist|add_domain.sh ivan p2p
		3|-|PEM|add_domain.sh judy p2p
		2|-|missing arguments|join_to_host.sh alice bob
		2|-|illegal option|join_to_host.sh alice bob https://127.0.0.1:1 -z
		2|-|requires an argument|join_to_host.sh alice bob https://127.0.0.1:1 -t
		2|-|-a|join_to_host.sh alice bob https://127.0.0.1:1 -a Bogus
		3|-|invalid SELF_DOMAIN_ID|join_to_host.sh ../x bob https://127.0.0.1:1
		3|-|invalid HOST_DOMAIN_ID|join_to_host.sh alice a/b https://127.0.0.1:1
		3|-|reserved|join_to_host.sh alice master https://127.0.0.1:1
		3|-|empty|join_to_host.sh alice bob ''
		3|-|port|join_to_host.sh alice bob https://127.0.0.1:65536
		3|-|-t|join_to_host.sh alice bob https://127.0.0.1:1 -t 'a b'
		3|-|-t|join_to_host.sh alice bob https://127.0.0.1:1 -t $'tok\nen'
		3|-|-x|join_to_host.sh alice bob https://127.0.0.1:1 -x ../x
		3|-|-p|join_to_host.sh alice bob https://127.0.0.1:1 -p 'a/b'
		3|-|invalid endpoint '-h'|join_to_host.sh alice bob -h
		3|-|leading zero|join_to_host.sh alice bob https://127.0.0.1:0100
		3|-|UTF-8|join_to_host.sh alice bob $'https://127.0.0.1:1/\377'
		2|-|missing argument|create_cluster_domain_route.sh alice bob
		3|-|invalid DEST_DOMAIN|create_cluster_domain_route.sh alice ../x https://127.0.0.1:1
		3|-|invalid TRANSIT_DOMAIN|create_cluster_domain_route.sh alice bob https://127.0.0.1:1 Carol
		3|-|scheme|create_cluster_domain_route.sh alice bob grpc://127.0.0.1:1
		3|-|invalid endpoint '-k'|create_cluster_domain_route.sh alice bob -k
	EOF
}

@test "bad input: the table, grant, token and job drop-ins" {
	check_rows <<-'EOF'
		2|-|DOMAIN_ID|create_domaindata_alice_table.sh
		3|-|invalid DOMAIN_ID|create_domaindata_alice_table.sh ../x
		3|-|reserved|create_domaindata_bob_table.sh cross-domain
		3|-|invalid DOMAIN_ID|create_domaindata_bob_table.sh 'bob '
		6|-|nosuchns|create_domaindata_alice_table.sh nosuchns
		2|-|DOMAIN_ID|create_domaindatagrant.sh
		2|-|GRANT_DOMAIN|create_domaindatagrant.sh alice alice-table
		2|-|too many|create_domaindatagrant.sh alice alice-table bob extra
		3|-|invalid DOMAIN_ID|create_domaindatagrant.sh ../x alice-table bob
		3|-|DomainData ID|create_domaindatagrant.sh alice a/b bob
		3|-|invalid GRANT_DOMAIN|create_domaindatagrant.sh alice alice-table Bob
		2|-|DOMAIN_ID|create_token.sh
		3|-|invalid DOMAIN_ID|create_token.sh ../x
		6|-|nosuch|create_token.sh nosuch
		2|-|JOB_EXAMPLE|create_example_job.sh BOGUS
		3|-|JOB_NAME|create_example_job.sh PSI Bad_Name
		3|-|JOB_NAME|create_example_job.sh PSI "$ID64"
		3|-|JOB_NAME|create_example_job.sh PSI ../x
		3|-|JOB_NAME|create_example_job.sh PSI $'a\nb'
		3|-|itself|create_domaindatagrant.sh alice alice-table alice
		6|-|create_domaindata_bob_table.sh alice|create_domaindatagrant.sh alice bob-table bob
		2|-|DOMAIN_ID|generate_cert.sh
		2|-|DOMAIN_KEY_DATA|generate_cert.sh bob
		2|-|DOMAIN_KEY_DATA|generate_cert.sh bob ''
		3|-|invalid DOMAIN_ID|generate_cert.sh ../x "$KEY"
		3|-|invalid DOMAIN_ID|generate_cert.sh a/b "$KEY"
		3|-|DOMAIN_KEY_DATA|generate_cert.sh bob garbage
		3|-|DOMAIN_KEY_DATA|generate_cert.sh bob "$(cat "$F/ec.key.b64")"
		3|-|DOMAIN_KEY_DATA|generate_cert.sh bob "$(base64 -w0 "$F/bob.crt")"
		2|-|need 2 arguments|gen_kusciaapi_token.sh
		2|-|need 2 arguments|gen_kusciaapi_token.sh alice
		2|-|need 2 arguments|gen_kusciaapi_token.sh alice "$KEY" extra
		2|-|DOMAIN_ID is empty|gen_kusciaapi_token.sh '' "$KEY"
		3|-|DOMAIN_KEY_DATA|gen_kusciaapi_token.sh alice garbage
		3|-|not base64|gen_kusciaapi_token.sh alice "$(cat "$F/bob.key")"
		3|-|not base64|gen_kusciaapi_token.sh alice "$KEY"$'\r'
		3|-|RSA|gen_kusciaapi_token.sh alice "$(cat "$F/ec.key.b64")"
		4|-|TMPDIR|TMPDIR="$F/nowhere" generate_rsa_key.sh
		4|-|ca.key|KUSCIA_ROOT="$F/node-noca" init_kusciaapi_client_certs.sh
		3|-|does not match|KUSCIA_ROOT="$F/node-mismatch" init_kusciaapi_client_certs.sh
	EOF
}

@test "bad input: the environment: KUSCIA_ROOT, kuscia.yaml, kubeconfig, KC_DRY_RUN" {
	check_rows <<-'EOF'
		4|-|nowhere|KUSCIA_ROOT="$F/nowhere" kc token
		4|-|/home/kuscia|KUSCIA_ROOT= kc token
		4|-|f/bob.crt|KUSCIA_ROOT="$F/bob.crt" kc token
		4|-|nowhere|KUSCIA_ROOT="$F/nowhere" kc conf domainID
		4|-|nowhere|KUSCIA_ROOT="$F/nowhere" kc grant list
		4|-|nowhere|KUSCIA_ROOT="$F/nowhere" kc route-check list
		4|-|nowhere|KUSCIA_ROOT="$F/nowhere" kc peer list
		4|-|nowhere|KUSCIA_ROOT="$F/nowhere" kc doctor
		4|-|nowhere|KUSCIA_ROOT="$F/nowhere" init_kusciaapi_client_certs.sh
		4|-|kubeconfig|KUSCIA_ROOT="$F/nowhere" create_domaindata_alice_table.sh alice
		4|-|var/certs|KUSCIA_ROOT="$F/nowhere" kc cert import bob "$F/bob.crt"
		4|-|domain.crt|KUSCIA_ROOT="$F/bob.crt" kc cert export
		3|-|YAML|KUSCIA_ROOT="$F/node-yaml" kc conf domainID
		3|-|YAML|KUSCIA_ROOT="$F/node-yaml" kc peer list
		3|-|YAML|KUSCIA_ROOT="$F/node-yaml" kc grant list
		3|-|YAML|KUSCIA_ROOT="$F/node-yaml" kc peer add bob https://127.0.0.1:1 --cert "$F/bob.crt"
		3|-|token|KUSCIA_ROOT="$F/node-token" kc token
		3|-|token|KUSCIA_ROOT="$F/node-token" kc grant list
		3|-|token|KUSCIA_ROOT="$F/node-token" create_domaindatagrant.sh alice alice-table bob
		4|-|kubeconfig|KUSCIA_ROOT="$F/node-kube" kc route-check list
		4|-|kubeconfig|KUSCIA_ROOT="$F/node-kube" create_token.sh bob
		4|-|kubeconfig|KUSCIA_ROOT="$F/node-kube" join_to_host.sh alice bob https://127.0.0.1:1
		4|-|KUBECONFIG|KUBECONFIG="$F/nowhere" kc apply -f "$F/ns.json"
		4|-|KUBECONFIG|KUBECONFIG="$F/nowhere" kc token sa alice
		4|-|KUBECONFIG|KUBECONFIG="$F/nowhere" kc route-check list
		4|-|KUBECONFIG|KUBECONFIG="$F/nowhere:$F/nowhere2" add_domain.sh bob p2p
		4|-|client-key|KUBECONFIG="$F/kube-nokey" create_domaindata_alice_table.sh alice
		3|-|kubeconfig|KUBECONFIG="$F/garbage" kc apply -f "$F/ns.json"
		3|-|kubeconfig|KUBECONFIG="$F/bad.yaml" create_domaindata_alice_table.sh alice
		3|-|context|KUBECONFIG="$F/kube-noctx" kc route-check list
		5|-|127.0.0.1:1|KUBECONFIG="$F/kube-down" create_token.sh bob
		7|-|certificate|KUBECONFIG="$F/kube-otherca" add_domain.sh bob p2p
		3|-|invalid DOMAIN_ID|KC_DRY_RUN=yes add_domain.sh ../x p2p
		3|-|invalid DOMAIN_ID|KC_DRY_RUN=off add_domain.sh Bob p2p
		3|-|mallory|KC_DRY_RUN=false add_domain.sh carol p2p
		3|-|invalid SELF_DOMAIN_ID|KC_DRY_RUN=0 join_to_host.sh ../x bob https://127.0.0.1:1
		3|-|port|KC_DRY_RUN=$'1\n' join_to_host.sh alice bob https://127.0.0.1:0
		3|-|JSON|KC_DRY_RUN=1 kc apply -f "$F/garbage"
		3|-|invalid DOMAIN_ID|KC_DRY_RUN=-1 create_token.sh a/b
		3|-|mallory|KC_DRY_RUN=1 kc peer add dave https://127.0.0.1:1 --cert "$F/mallory.crt"
		3|-|JOB_NAME|KC_DRY_RUN=1 create_example_job.sh PSI ../x
	EOF
}

@test "bad input: server answers: the apiserver answers 500" {
	check_rows api status=500 <<-'EOF'
		6|-|500|kc apply -f "$F/ns.json"
		6|-|500|kc apply --delete -f "$F/ns.json"
		6|-|500|kc route-check list
		6|-|500|kc token sa alice
		6|-|500|create_token.sh alice
		6|-|500|add_domain.sh bob p2p
		6|-|500|join_to_host.sh alice bob https://127.0.0.1:1
		6|-|500|create_domaindata_alice_table.sh alice
		6|-|500|create_example_job.sh PSI bi-job
		6|-|500|kc peer add bob https://127.0.0.1:1 --cert "$F/bob.crt"
		6|-|500|kc peer add dave https://127.0.0.1:1 --cert "$F/dave.crt"
		6|-|500|kc peer add bob https://127.0.0.1:1 --cert "$F/bob2.crt" --force
		6|-|500|kc peer rm bob
		6|-|500|kc peer list
	EOF
}

@test "bad input: server answers: the apiserver sends malformed JSON" {
	# only requests whose first answer is spoilt: a write the server made before its answer was
	# spoilt stays made (the simulator's bad-json cuts the body of a request it has served)
	check_rows api bad-json <<-'EOF'
		6|-|JSON|kc route-check list
		6|-|malformed answer|kc apply -f "$F/ns-alice.json"
		6|-|malformed answer|kc apply --delete -f "$F/ns-alice.json"
		6|-|token|kc token sa default -n alice
		6|-|JSON|kc peer list
	EOF
}

@test "bad input: server answers: the apiserver closes the connection mid-answer" {
	check_rows api close-mid <<-'EOF'
		5|-|transfer closed|kc route-check list
		5|-|transfer closed|kc apply -f "$F/ns.json"
		5|-|transfer closed|add_domain.sh bob p2p
		5|-|transfer closed|create_cluster_domain_route.sh alice bob https://127.0.0.1:1
		5|-|transfer closed|create_token.sh alice
		5|-|transfer closed|kc token sa alice
		5|-|transfer closed|kc peer rm bob
	EOF
}

@test "bad input: server answers: KusciaAPI answers 500, malformed JSON, or closes mid-answer" {
	check_rows kusciaapi status=500 <<-'EOF'
		6|-|HTTP 500|kc grant list
		6|-|HTTP 500|kc grant create --data alice-table --to bob
		6|-|HTTP 500|kc grant query some-grant
		6|-|HTTP 500|kc grant delete some-grant
		6|-|HTTP 500|create_domaindatagrant.sh alice alice-table bob
	EOF
	check_rows kusciaapi bad-json <<-'EOF'
		6|-|not JSON|kc grant list --to bob
		6|-|not JSON|kc grant create --data alice-table --to bob --id g-1
		6|-|not JSON|create_domaindatagrant.sh alice alice-table bob
	EOF
	# cut after half its bytes: inside the headers of a short answer, inside the body of a long one
	check_rows kusciaapi close-mid <<-'EOF'
		5|-|closed|kc grant list
		5|-|closed|kc grant query some-grant
		5|-|closed|kc grant delete some-grant
		5|-|closed|create_domaindatagrant.sh alice alice-table bob
	EOF
}

@test "bad input: server answers: the gateway answers 500 or closes mid-answer" {
	check_rows gateway status=500 <<-'EOF'
		8|o|not a Kuscia gateway|kc route-check probe "$GW" --timeout 2
		8|o|not a Kuscia gateway|kc route-check probe "$GW" --expect alice --timeout 2
	EOF
	check_rows gateway close-mid <<-'EOF'
		5|o|no complete HTTP answer|kc route-check probe "$GW" --timeout 2
		5|o|no complete HTTP answer|kc route-check probe "$GW" --expect alice --timeout 2
	EOF
}
