#!/usr/bin/env bats
# secrets.bats - issue 6, "Secrets and trust": tokens and keys never in argv, messages or logs;
# secret files 0600; TLS verified by default, -k warns; domain IDs never escape var/certs;
# symlinks in var/certs are never written through. What other files already show is cited in
# README's Security table instead of repeated here.
# shellcheck disable=SC2154 # stderr is set by bats' run --separate-stderr
bats_require_minimum_version 1.5.0

setup_file() {
	load helper/common
	export BATS_NO_PARALLELIZE_WITHIN_FILE=true
	sim_node alice
	local f=$BATS_FILE_TMPDIR/f n=$BATS_FILE_TMPDIR/alice
	mkdir -p "$f"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$f/bob.key" -out "$f/bob.crt" \
		-subj /CN=bob -days 30 2>/dev/null
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$f/other.key" -out "$f/bob2.crt" \
		-subj /CN=bob -days 30 2>/dev/null
	openssl ecparam -genkey -name prime256v1 -noout -out "$f/ec.key" 2>/dev/null
	# a kubeconfig that authenticates with a service-account token of the node
	KUSCIA_ROOT=$n "$KC_SRC/libexec/kc-token" sa default -n alice --duration 1h >"$f/sa.token"
	sed -e "/client-certificate-data/d" -e "s|client-key-data: .*|token: $(cat "$f/sa.token")|" \
		"$n/etc/kubeconfig" >"$f/kube-token"
	sed "s|certificate-authority-data: .*|certificate-authority-data: $(base64 -w0 "$f/bob.crt")|" \
		"$n/etc/kubeconfig" >"$f/kube-otherca"
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
	export TMPDIR=$BATS_TEST_TMPDIR/tmp KC_DATADIR=$KC_SRC/share/kc
	mkdir -p "$TMPDIR" "$BATS_TEST_TMPDIR/work"
	cd "$BATS_TEST_TMPDIR/work" || return 1
	KEY=$(base64 -w0 "$F/bob.key")
	TOKEN=$(cat "$NODE/var/certs/token")
	SATOKEN=$(cat "$F/sa.token")
}

teardown() {
	local l
	if [ -n "${FAULTED:-}" ]; then
		for l in api kusciaapi gateway; do
			"$KC_PYTHON" "$KC_SRC/test/sim/kc-sim" fault "$NODE" "$l" none
		done
	fi
}

sim_fault() { # LISTENER SPEC
	FAULTED=1
	"$KC_PYTHON" "$KC_SRC/test/sim/kc-sim" fault "$NODE" "$1" "$2"
}

# a copy of alice's folder (same simulator) to spoil: prints its path
node_copy() {
	local c=$BATS_TEST_TMPDIR/copy
	mkdir -p "$c"
	cp -R "$NODE/etc" "$NODE/var" "$c/"
	printf '%s\n' "$c"
}

# a copy of KC_LIBEXEC in which helper NAME first sleeps SECONDS, so that the argv kc hands it
# can be sampled while it runs (the helper reads its stdin or files only after the pause)
slow_helper() { # NAME SECONDS
	local dir=$BATS_TEST_TMPDIR/libexec f
	if [ ! -d "$dir" ]; then
		mkdir -p "$dir"
		for f in "$KC_LIBEXEC"/*; do
			ln -s "$f" "$dir/${f##*/}"
		done
	fi
	rm -f "$dir/$1"
	printf '#!/bin/sh\nsleep %s\nexec "%s/%s" "$@"\n' "$2" "$KC_LIBEXEC" "$1" >"$dir/$1"
	chmod +x "$dir/$1"
	export KC_LIBEXEC=$dir
}

# sampled CMD...: run CMD (stdout, stderr to files out, err) while `ps -eo args` (every
# process's /proc/PID/cmdline) is sampled into 'args' every 20 ms; sets rc
sampled() {
	rm -f stop args
	(while [ ! -e stop ]; do ps -eo pid,args >>args; sleep 0.02; done) &
	local sampler=$!
	rc=0
	"$@" >out 2>err || rc=$?
	: >stop
	wait "$sampler"
}

# no_secret TEXT-FILE... : none of the files holds the secret $SECRET (nor a 24-character
# piece of it, for a long key: from its middle, as the start of a base64 PEM key is the same
# for every key, and other processes on the machine may hold other keys); the drop-in's own
# command line (which upstream's interface puts the secret in, CONTRACTS.md section 9) is
# left out
no_secret() {
	local f piece=$SECRET
	[ "${#SECRET}" -lt 44 ] || piece=${SECRET:$((${#SECRET} / 2)):24}
	for f in "$@"; do
		if grep -v -e "${DROPIN:-^$}" "$f" | grep -q -F -e "$SECRET" -e "$piece"; then
			echo "the secret is in $f:"
			grep -v -e "${DROPIN:-^$}" "$f" | grep -F -e "$SECRET" -e "$piece" | cut -c1-200
			return 1
		fi
	done
}

# ---- argv: /proc/PID/cmdline of the running helpers -------------------------------------------

@test "secrets: gen_kusciaapi_token.sh hands the key to kc-token on stdin: no process's argv holds it" {
	slow_helper kc-token 0.5
	DROPIN=gen_kusciaapi_token.sh SECRET=$KEY
	sampled gen_kusciaapi_token.sh alice "$KEY"
	[ "$rc" -eq 0 ]
	grep -q 'kc-token lite -- alice' args
	no_secret args err
}

@test "secrets: generate_cert.sh hands the key to kc-cert as a 0600 file: no process's argv holds it" {
	slow_helper kc-cert 0.5
	DROPIN=generate_cert.sh SECRET=$KEY
	sampled generate_cert.sh bob "$KEY"
	[ "$rc" -eq 0 ]
	grep -q 'kc-cert gen bob --key' args
	no_secret args err
}

@test "secrets: join_to_host.sh -t hands the token to kc-render and kc-apply as a file: no argv holds it" {
	slow_helper kc-render 0.5
	sim_fault api slow=1
	DROPIN=join_to_host.sh SECRET=s3cr3t-$RANDOM-token-$RANDOM
	sampled join_to_host.sh alice bob https://127.0.0.1:1 -t "$SECRET"
	[ "$rc" -eq 0 ]
	grep -q 'kc-render cluster_domain_route.json' args
	grep -q 'kc-apply -f' args
	no_secret args err out
	# the token reached the route, and nowhere in the node's log
	kc_kubectl "$NODE" get cdr alice-bob -o json | grep -q -F "Bearer $SECRET"
	no_secret "$NODE/var/logs/kuscia.log"
	kc_kubectl "$NODE" delete cdr alice-bob >/dev/null
}

@test "secrets: kc-apply with a token kubeconfig: the token is in no argv, message or log" {
	sim_fault api slow=1
	SECRET=$SATOKEN
	printf '{"apiVersion":"kuscia.secretflow/v1alpha1","kind":"DomainData","metadata":{"name":"s-1","namespace":"alice"},"spec":{"relativeURI":"a.csv","name":"a","type":"table","dataSource":"default-data-source","author":"alice"}}\n' >obj.json
	sampled kc-apply --kubeconfig "$F/kube-token" -f obj.json
	# the token may read (get, list) but not write in its namespace: refused, one line
	[ "$rc" -eq 6 ]
	grep -q 'kc-apply --kubeconfig' args
	[ "$(wc -l <err)" -eq 1 ]
	no_secret args err out "$NODE/var/logs/kuscia.log"
}

@test "secrets: kc-grant and create_domaindatagrant.sh: the KusciaAPI token is in no argv, message or log" {
	sim_fault kusciaapi slow=1
	SECRET=$TOKEN
	sampled create_domaindatagrant.sh alice alice-table bob
	grep -q 'kc-grant create --domain alice' args
	no_secret args err out "$NODE/var/logs/kuscia.log"
	# a wrong token: refused, and neither token is shown
	local c
	c=$(node_copy)
	printf 'Wr0ngWr0ngWr0ngWr0ngWr0ngWr0ng12' >"$c/var/certs/token"
	KUSCIA_ROOT=$c run -6 --separate-stderr kc-grant list
	[ -z "$output" ]
	SECRET=Wr0ngWr0ngWr0ngWr0ngWr0ngWr0ng12
	printf '%s\n' "$stderr" >err
	no_secret err "$NODE/var/logs/kuscia.log"
}

@test "secrets: kc-token sa: the kubeconfig's client key and the new token are in no argv or log" {
	sim_fault api slow=1
	sampled kc-token sa default -n alice
	[ "$rc" -eq 0 ]
	grep -q 'kc-token sa default -n alice' args
	SECRET=$(cat out)
	no_secret args err "$NODE/var/logs/kuscia.log"
	SECRET=$(sed -n 's/ *client-key-data: //p' "$NODE/etc/kubeconfig")
	no_secret args err
}

# ---- messages, traces and logs ----------------------------------------------------------------

@test "secrets: a bad key is never echoed by gen_kusciaapi_token.sh, generate_cert.sh, kc cert, kc token" {
	local ec b64garbage
	ec=$(base64 -w0 "$F/ec.key")
	b64garbage=$(head -c 900 /dev/urandom | base64 -w0)
	for SECRET in "$ec" "$b64garbage" "${KEY:0:600}"; do
		run ! --separate-stderr gen_kusciaapi_token.sh alice "$SECRET"
		printf '%s\n' "$stderr" >err
		[ -z "$output" ]
		no_secret err
		run ! --separate-stderr generate_cert.sh bob "$SECRET"
		printf '%s\n' "$stderr" >err
		no_secret err
		printf '%s' "$SECRET" >key.b64
		run ! --separate-stderr kc-token lite alice --key key.b64
		printf '%s\n' "$stderr" >err
		no_secret err
		run ! --separate-stderr kc-cert gen bob --key key.b64
		printf '%s\n' "$stderr" >err
		no_secret err
	done
	[ -z "$(find . -name '*.domain.*')" ]
}

@test "secrets: KC_DEBUG traces of join_to_host.sh -t do not show the token" {
	SECRET=tr4ced-$RANDOM-token
	KC_DEBUG=1 KC_DRY_RUN=1 run -0 --separate-stderr join_to_host.sh alice bob https://127.0.0.1:1 -t "$SECRET"
	[[ $output == *"Bearer $SECRET"* ]]
	[[ $stderr == *"+ "* ]] # traced
	printf '%s\n' "$stderr" >err
	DROPIN='^+ .*join_to_host.sh ' no_secret err
}

@test "secrets: a value in a failing kc-apply or kc-render is not echoed" {
	# a Secret-like value inside an object the server refuses: only the object's name is shown
	SECRET=v4lue-$RANDOM-secret
	printf '{"apiVersion":"kuscia.secretflow/v1alpha1","kind":"Domain","metadata":{"name":"s-rej"},"spec":{"cert":"%s","bogus":1}}\n' "$SECRET" >obj.json
	run -6 --separate-stderr kc-apply -f obj.json
	printf '%s\n' "$stderr" >err
	no_secret err "$NODE/var/logs/kuscia.log"
	printf '%s' "$SECRET" >secret
	run -2 --separate-stderr kc-render object_ref.json API_VERSION@=secret KIND=X NAME=n NAMESPACE= BOGUS@=secret
	printf '%s\n' "$stderr" >err
	no_secret err
}

# ---- files that hold secrets are 0600 ---------------------------------------------------------

@test "secrets: keys kc writes are 0600 even with umask 000 (keygen --out, client, generate_cert.sh, init_kusciaapi_client_certs.sh)" {
	local c
	c=$(node_copy)
	umask 000
	kc-cert keygen --out k.pem
	[ "$(stat -c %a k.pem)" = 600 ]
	KUSCIA_ROOT=$c kc-cert client --force 2>/dev/null
	[ "$(stat -c %a "$c/var/certs/kusciaapi-client.key")" = 600 ]
	[ "$(stat -c %a "$c/var/certs/kusciaapi-client.crt")" = 644 ]
	rm "$c/var/certs/kusciaapi-client.key"
	KUSCIA_ROOT=$c init_kusciaapi_client_certs.sh
	[ "$(stat -c %a "$c/var/certs/kusciaapi-client.key")" = 600 ]
	generate_cert.sh bob "$KEY" >/dev/null
	[ "$(stat -c %a bob.domain.key)" = 600 ]
	[ "$(stat -c %a bob.domain.crt)" = 644 ]
}

@test "secrets: temporary files holding a key or token are 0600 in a 0700 folder, and removed" {
	local dir=$BATS_TEST_TMPDIR/libexec f
	mkdir -p "$dir"
	for f in "$KC_LIBEXEC"/*; do
		ln -s "$f" "$dir/${f##*/}"
	done
	# each stub records the mode of the secret file it was handed and of its folder
	rm "$dir/kc-render" "$dir/kc-cert"
	# shellcheck disable=SC2016 # the stubs' own expansions
	printf '#!/bin/sh\nfor a; do case $a in *@=*) p=${a#*@=}; stat -c "%%a %%n" "$p" "${p%%/*}" >>"%s/modes";; esac; done\nexec "%s/kc-render" "$@"\n' \
		"$BATS_TEST_TMPDIR" "$KC_LIBEXEC" >"$dir/kc-render"
	# shellcheck disable=SC2016 # the stubs' own expansions
	printf '#!/bin/sh\nwhile [ $# -gt 0 ]; do [ "$1" != --key ] || stat -c "%%a %%n" "$2" "${2%%/*}" >>"%s/modes"; shift; done\n' \
		"$BATS_TEST_TMPDIR" >"$dir/kc-cert"
	printf 'exec "%s/kc-cert" "$@"\n' "$KC_LIBEXEC" >>"$dir/kc-cert"
	chmod +x "$dir/kc-render" "$dir/kc-cert"
	# kc-cert's stub loses the arguments it shifted: it only records, generate_cert.sh fails after
	umask 022
	KC_LIBEXEC=$dir KC_DRY_RUN=1 run -0 join_to_host.sh alice bob https://127.0.0.1:1 -t tok-$RANDOM
	KC_LIBEXEC=$dir run generate_cert.sh bob "$KEY"
	run -0 cat "$BATS_TEST_TMPDIR/modes"
	[ "${#lines[@]}" -eq 4 ]
	[[ ${lines[0]} == "600 $TMPDIR/"*/authorization ]]
	[[ ${lines[1]} == "700 $TMPDIR/"* ]]
	[[ ${lines[2]} == "600 ./.generate_cert."*/key ]]
	[[ ${lines[3]} == "700 ./.generate_cert."* ]]
	[ -z "$(ls -A "$TMPDIR")" ]
	[ -z "$(find . -name '.generate_cert.*')" ]
}

# ---- TLS is verified by default ---------------------------------------------------------------

@test "secrets: TLS is verified by default: a server certificate of another CA fails (7) everywhere" {
	local c
	printf '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"s-tls"}}\n' >ns.json
	run -7 --separate-stderr kc-apply --kubeconfig "$F/kube-otherca" -f ns.json
	KUBECONFIG=$F/kube-otherca run -7 --separate-stderr create_domaindata_alice_table.sh alice
	[ "${#stderr_lines[@]}" -eq 1 ]
	KUBECONFIG=$F/kube-otherca run -7 --separate-stderr kc-token sa default -n alice
	KUBECONFIG=$F/kube-otherca run -7 --separate-stderr kc-route-check list
	KUBECONFIG=$F/kube-otherca run -7 --separate-stderr kc peer list
	c=$(node_copy)
	cp "$F/bob.crt" "$c/var/certs/ca.crt"
	KUSCIA_ROOT=$c run -7 --separate-stderr kc-grant list
	[ -z "$output" ]
	KUSCIA_ROOT=$c run -7 --separate-stderr create_domaindatagrant.sh alice alice-table bob
	[ "${#stderr_lines[@]}" -eq 1 ]
}

@test "secrets: -k skips verification only with a warning (kc grant, kc route-check probe, a kubeconfig)" {
	local c gw
	sed "s|certificate-authority-data: .*|insecure-skip-tls-verify: true|" "$F/kube-otherca" >kube-insecure
	run -0 --separate-stderr kc-route-check list --kubeconfig kube-insecure
	[[ $stderr == "kc-route-check: warning: kubeconfig "*"insecure-skip-tls-verify"* ]]
	KUBECONFIG=$PWD/kube-insecure run -0 --separate-stderr kc token sa default -n alice
	[[ $stderr == "kc-token: warning: kubeconfig "*"not verified" ]]
	c=$(node_copy)
	# ca.crt of another CA: only -k lets kc-grant through, and it says so
	cp "$F/bob.crt" "$c/var/certs/ca.crt"
	cp "$NODE/var/certs/ca.crt" "$c/var/certs/kusciaapi-client-ca.crt"
	KUSCIA_ROOT=$c run -0 --separate-stderr kc-grant list -k
	[[ $stderr == *"warning: "*"not verified"* || $stderr == *"warning: "*"-k"* ]]
	gw=https://127.0.0.1:$(jq .gateway "$NODE/sim/ports.json")
	run -0 --separate-stderr kc-route-check probe "$gw" -k
	[[ $stderr == *"warning: "* ]]
	# with --expect the gateway's certificate is checked against var/certs/alice.domain.crt
	cp "$F/bob.crt" "$c/var/certs/alice.domain.crt"
	KUSCIA_ROOT=$c run -7 --separate-stderr kc-route-check probe "$gw" --expect alice
	KUSCIA_ROOT=$c run -0 --separate-stderr kc-route-check probe "$gw" --expect alice -k
	[[ $stderr == *"warning: "* ]]
}

# ---- domain IDs never escape var/certs ------------------------------------------------------

# every file and folder under the test's folder and the node (bats' own files, folder mtimes
# and the node's logs aside)
tree_state() {
	find "$BATS_TEST_TMPDIR" "$KUSCIA_ROOT" \( -name 'separate-stderr-*' -o -path '*/var/logs' \
		-o -path "$KUSCIA_ROOT/sim" \) -prune -o -type d -printf '%p\n' -o -printf '%p %T@\n' | sort
}

@test "secrets: no domain ID makes kc write outside var/certs" {
	local id before
	mkdir -p deep/er
	cd deep/er || return 1
	before=$(tree_state)
	for id in ../x ../../x a/b /tmp/x . .. '' x/../y ..x $'x\ny' 'x y' '*' '-x' "$(printf 'a%.0s' {1..64})"; do
		run ! --separate-stderr kc-cert import "$id" "$F/bob.crt"
		run ! --separate-stderr kc cert gen "$id" --key "$F/bob.key"
		run ! --separate-stderr add_domain.sh "$id" p2p
		run ! --separate-stderr generate_cert.sh "$id" "$KEY"
		run ! --separate-stderr kc peer add "$id" https://127.0.0.1:1 --cert "$F/bob.crt"
		run ! --separate-stderr kc peer rm "$id"
	done
	diff <(printf '%s\n' "$before") <(tree_state)
}

# ---- symlinks in var/certs are never written through ------------------------------------------

@test "secrets: kc cert import and kc peer add refuse a symlink at var/certs/PEER.domain.crt" {
	local c
	c=$(node_copy)
	printf 'elsewhere\n' >"$BATS_TEST_TMPDIR/elsewhere"
	ln -s "$BATS_TEST_TMPDIR/elsewhere" "$c/var/certs/bob.domain.crt"
	ln -s "$BATS_TEST_TMPDIR/nowhere" "$c/var/certs/carol.domain.crt"
	KUSCIA_ROOT=$c run -4 --separate-stderr kc-cert import bob "$F/bob.crt"
	[[ $stderr == *"symbolic link"* ]]
	KUSCIA_ROOT=$c run -4 --separate-stderr kc-cert import bob "$F/bob.crt" --force
	KUSCIA_ROOT=$c run -4 --separate-stderr kc peer add bob https://127.0.0.1:1 --cert "$F/bob.crt"
	KUSCIA_ROOT=$c run -4 --separate-stderr kc peer add bob https://127.0.0.1:1 --cert "$F/bob.crt" --force
	[ "$(cat "$BATS_TEST_TMPDIR/elsewhere")" = elsewhere ]
	[ -L "$c/var/certs/bob.domain.crt" ]
	openssl req -x509 -key "$F/bob.key" -out carol.crt -subj /CN=carol -days 2 2>/dev/null
	KUSCIA_ROOT=$c run -4 --separate-stderr kc-cert import carol carol.crt
	[ ! -e "$BATS_TEST_TMPDIR/nowhere" ]
	run -1 kc_kubectl "$NODE" get domain bob
}

@test "secrets: a symlinked client key, --out or --csr is replaced, never written through" {
	local c t=$BATS_TEST_TMPDIR/target
	c=$(node_copy)
	printf 'target\n' >"$t"
	ln -sf "$t" "$c/var/certs/kusciaapi-client.key"
	KUSCIA_ROOT=$c run -3 --separate-stderr kc-cert client
	KUSCIA_ROOT=$c run -0 --separate-stderr kc-cert client --force
	[ ! -L "$c/var/certs/kusciaapi-client.key" ]
	[ "$(stat -c %a "$c/var/certs/kusciaapi-client.key")" = 600 ]
	ln -sf "$t" "$c/var/certs/kusciaapi-client.key"
	KUSCIA_ROOT=$c run -0 --separate-stderr init_kusciaapi_client_certs.sh
	[ ! -L "$c/var/certs/kusciaapi-client.key" ]
	ln -s "$t" out.pem
	run -3 --separate-stderr kc-cert keygen --out out.pem
	run -0 --separate-stderr kc-cert keygen --out out.pem --force
	[ ! -L out.pem ]
	ln -s "$t" req.csr
	run -0 --separate-stderr kc-cert gen bob --key "$F/bob.key" --csr req.csr
	[ ! -L req.csr ]
	[ "$(cat "$t")" = target ]
}

@test "secrets: generate_cert.sh where ID.domain.key is a symlink: refused or replaced, never written through" {
	local t=$BATS_TEST_TMPDIR/target
	printf 'target\n' >"$t"
	# to another file, to nothing, and to the same key: never written through
	ln -s "$t" bob.domain.key
	run -3 --separate-stderr generate_cert.sh bob "$KEY"
	[[ $stderr == *"bob.domain.key"* ]]
	[ -L bob.domain.key ] && [ ! -e bob.domain.crt ]
	ln -sf "$BATS_TEST_TMPDIR/nowhere" bob.domain.key
	run -3 --separate-stderr generate_cert.sh bob "$KEY"
	[ ! -e "$BATS_TEST_TMPDIR/nowhere" ]
	cp "$F/bob.key" "$BATS_TEST_TMPDIR/same.key"
	ln -sf "$BATS_TEST_TMPDIR/same.key" bob.domain.key
	ln -s "$t" bob.domain.crt
	ln -s "$t" bob.domain.csr
	run -0 --separate-stderr generate_cert.sh bob "$KEY"
	[ ! -L bob.domain.key ] && [ ! -L bob.domain.crt ] && [ ! -L bob.domain.csr ]
	[ "$(stat -c %a bob.domain.key)" = 600 ]
	cmp "$F/bob.key" "$BATS_TEST_TMPDIR/same.key"
	[ "$(cat "$t")" = target ]
}
