#!/usr/bin/env bats
# Faults: what kc does when the apiserver, the KusciaAPI or the peer's gateway misbehave
# (kc-sim fault), when var/certs is full or read-only, when an import is killed at any step,
# and when many runs race. Every run is bounded by timeout(1): a hang fails the test (124)
# instead of blocking it, and no run may crash (exit >= 128) unless a test kills it on purpose.
# shellcheck disable=SC2154 # stderr and stderr_lines are set by bats' run --separate-stderr
# shellcheck disable=SC2016 # the mount namespace's setups are shell text for its inner sh
bats_require_minimum_version 1.5.0

# alice (MTLS, holds the demo table alice-table and bob's certificate) and bob; a second
# certificate for bob (bob2.crt) to replace the first; the kill shim
setup_file() {
	load helper/common
	export BATS_NO_PARALLELIZE_WITHIN_FILE=true
	local d=$BATS_FILE_TMPDIR
	sim_node alice
	sim_node bob
	KUSCIA_ROOT=$d/alice PATH=$KC_SRC/bin:$PATH KC_LIBEXEC=$KC_SRC/libexec \
		create_domaindata_alice_table.sh alice >/dev/null
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/bob2.key" -out "$d/bob2.crt" \
		-subj /CN=bob -days 2 2>/dev/null
	cc -shared -fPIC -o "$d/kc-killshim.so" "$KC_SRC/test/shim/kc-killshim.c" -ldl
	# an ASan build wants its runtime first in the preload list
	SHIM=$d/kc-killshim.so
	if ldd "$KC_SRC/libexec/kc-cert" | grep -q libasan; then
		SHIM="$(cc -print-file-name=libasan.so):$SHIM"
	fi
	export SHIM
}

teardown_file() {
	load helper/common
	sim_stop_all
}

setup() {
	load helper/common
	common_setup
	A=$BATS_FILE_TMPDIR/alice B=$BATS_FILE_TMPDIR/bob
	export KUSCIA_ROOT=$A
	CERTS=$KUSCIA_ROOT/var/certs
	BGW="https://127.0.0.1:$(jq .gateway "$B/sim/ports.json")"
	API="https://127.0.0.1:$(jq .api "$A/sim/ports.json")"
	KAPI="https://127.0.0.1:$(jq .kusciaapi "$A/sim/ports.json")"
	cp "$B/var/certs/domain.crt" "$CERTS/bob.domain.crt"
	FAULTED=()
}

teardown() {
	local f
	for f in "${FAULTED[@]}"; do
		# shellcheck disable=SC2086 # NODE TARGET
		"$KC_PYTHON" "$KC_SRC/test/sim/kc-sim" fault $f none
	done
}

fault() { # NODE TARGET SPEC: a fault on alice's or bob's api, kusciaapi or gateway, undone after the test
	FAULTED+=("$BATS_FILE_TMPDIR/$1 $2")
	"$KC_PYTHON" "$KC_SRC/test/sim/kc-sim" fault "$BATS_FILE_TMPDIR/$1" "$2" "$3"
}

# bounded CODE CMD...: run CMD under timeout 20, expect CODE, one line on stderr naming the
# program, nothing on stdout
bounded() {
	local code=$1
	shift
	run "-$code" --separate-stderr timeout 20 "$@"
	[ -z "$output" ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ ${stderr_lines[0]} == "${1##*/}: "* || ${stderr_lines[0]} == "kc-"*": "* ]]
}

domain_json() { # the Domain bob as add_domain.sh bob p2p applies it
	KC_DRY_RUN=1 add_domain.sh bob p2p
}

no_domain_bob() { ! kc_kubectl "$A" get domain bob >/dev/null 2>&1; }
delete_domain_bob() { kc_kubectl "$A" delete domain bob --ignore-not-found >/dev/null; }
# alice's grants to carol (the fault tests that check nothing was granted grant to carol; a
# slow server may still create what an earlier test's client gave up on, to bob)
grants() {
	kc_kubectl "$A" get ddg -n alice -l kuscia.secretflow/domaindatagrant-domain=carol -o name | wc -l
}
# a cut answer: inside its body, or (a short one) inside its headers
CUT_HEAD="the connection closed inside the answer's headers"

no_tmp_left() { ! compgen -G "$CERTS/.kc-tmp.*" >/dev/null; }

# ---- the apiserver -------------------------------------------------------------------------

@test "faults: apiserver down: add_domain.sh, kc apply, route-check status, create_token.sh exit 5 at once" {
	delete_domain_bob
	fault alice api down
	SECONDS=0
	bounded 5 add_domain.sh bob p2p
	[[ $stderr == "add_domain.sh: cannot reach '$API/apis/kuscia.secretflow/v1alpha1/domains/bob': "*"port "*": Connection refused" ]]
	domain_json >"$BATS_TEST_TMPDIR/d.json"
	bounded 5 kc apply -f "$BATS_TEST_TMPDIR/d.json"
	[[ $stderr == "kc-apply: cannot reach '$API/"* ]]
	bounded 5 kc-route-check status alice-bob
	[[ $stderr == "kc-route-check: cannot reach '$API/"* ]]
	bounded 5 create_token.sh bob
	[[ $stderr == "create_token.sh: cannot reach '$API/api/v1/namespaces/bob/serviceaccounts/bob/token': "* ]]
	[ "$SECONDS" -lt 5 ]
	fault alice api none
	no_domain_bob
}

@test "faults: apiserver resetting every connection is unreachable (5), not a TLS failure" {
	fault alice api refuse
	bounded 5 add_domain.sh bob p2p
	# the reset lands in the TLS handshake, or already in connect
	[[ $stderr == "add_domain.sh: cannot reach '$API/"*"': "@(the connection was reset (*)|connect to * port *: Connection @(refused|reset by peer)) ]]
	bounded 5 kc-route-check status alice-bob
	[[ $stderr == "kc-route-check: cannot reach '$API/"* ]]
	bounded 5 create_token.sh bob
	[[ $stderr == "create_token.sh: cannot reach '$API/"* ]]
}

@test "faults: apiserver black-holed: each runs into its timeout (5), KC_TIMEOUT bounds the drop-ins" {
	# an object of its own: a server may still apply what the client gave up on
	printf '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"late"}}' >"$BATS_TEST_TMPDIR/d.json"
	fault alice api blackhole
	SECONDS=0
	bounded 5 kc-apply --timeout 1 -f "$BATS_TEST_TMPDIR/d.json"
	[[ $stderr == "kc-apply: no answer from '$API/"*"' in time: "* ]]
	KC_TIMEOUT=500ms bounded 5 add_domain.sh bob p2p
	[[ $stderr == "add_domain.sh: no answer from '$API/"*"' in time: "* ]]
	bounded 5 kc-route-check status alice-bob --timeout 500ms
	[[ $stderr == "kc-route-check: no answer from '$API/"*"' in time: "* ]]
	KC_TIMEOUT=500ms bounded 5 create_token.sh bob
	[[ $stderr == "create_token.sh: no answer from '$API/"*"' in time: "* ]]
	[ "$SECONDS" -le 6 ]
}

@test "faults: apiserver slower than the timeout (5); kc-apply's --timeout is for the whole run" {
	printf '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"late"}}' >"$BATS_TEST_TMPDIR/d.json"
	fault alice api slow=3
	SECONDS=0
	bounded 5 kc-apply --timeout 1 -f "$BATS_TEST_TMPDIR/d.json"
	[[ $stderr == "kc-apply: no answer from '$API/"*"' in time: timed out after "* ]]
	KC_TIMEOUT=500ms bounded 5 add_domain.sh bob p2p
	bounded 5 kc-route-check status alice-bob --timeout 500ms
	KC_TIMEOUT=500ms bounded 5 create_token.sh bob
	[ "$SECONDS" -le 6 ]
	# each answer within the limit, but a GET and a PATCH: 2 s in all, past 1.5 s
	fault alice api slow=1
	SECONDS=0
	KC_TIMEOUT=1500ms bounded 5 kc-apply -f "$BATS_TEST_TMPDIR/d.json"
	[[ $stderr == "kc-apply: no answer from '$API/api/v1/namespaces/late?"*"' in time: "* ]]
	[ "$SECONDS" -le 4 ]
}

@test "faults: KC_TIMEOUT must be a duration (2)" {
	KC_TIMEOUT=soon run -2 --separate-stderr add_domain.sh bob p2p
	[ "${stderr_lines[0]}" = "add_domain.sh: invalid KC_TIMEOUT 'soon': give seconds, e.g. 30, 30s, 500ms" ]
	[ -z "$output" ]
	KC_TIMEOUT=0 run -2 --separate-stderr kc-grant list
	[ "${stderr_lines[0]}" = "kc-grant: invalid KC_TIMEOUT '0': give seconds, e.g. 30, 30s, 500ms" ]
	KC_TIMEOUT=-1 bounded 2 create_token.sh bob
}

@test "faults: apiserver answering 500: exit 6 with its message, nothing applied" {
	delete_domain_bob
	fault alice api status=500
	bounded 6 add_domain.sh bob p2p
	[ "$stderr" = "add_domain.sh: domain.kuscia.secretflow/bob: fault injected: status=500 (InternalServerError)" ]
	bounded 6 kc-route-check status alice-bob
	[[ $stderr == "kc-route-check: GET '$API/"*"': fault injected: status=500 (InternalServerError)" ]]
	bounded 6 create_token.sh bob
	[ "$stderr" = "create_token.sh: cannot create a token for serviceaccount 'bob' in namespace 'bob': fault injected: status=500 (InternalServerError)" ]
	fault alice api none
	no_domain_bob
}

@test "faults: apiserver closing mid-answer: the connection is lost (5), never success" {
	fault alice api close-mid
	bounded 5 add_domain.sh bob p2p
	[[ $stderr == "add_domain.sh: request to '$API/"*"' failed: "@(transfer closed with * bytes remaining to read|$CUT_HEAD) ]]
	bounded 5 kc-route-check status alice-bob
	bounded 5 create_token.sh bob
	[[ $stderr == "create_token.sh: request to '$API/"*"' failed: "@(transfer closed with *|$CUT_HEAD) ]]
}

@test "faults: apiserver sending malformed JSON: exit 6, never 'created'" {
	delete_domain_bob
	fault alice api bad-json
	# GET: a cut 404 is still a 404; the PATCH's cut answer confirms nothing
	bounded 6 add_domain.sh bob p2p
	[[ $stderr == "add_domain.sh: domain.kuscia.secretflow/bob: malformed answer to PATCH '$API/apis/kuscia.secretflow/v1alpha1/domains/bob?"*"': not an object with a resourceVersion" ]]
	# now that bob exists: a cut 200 to the GET
	bounded 6 add_domain.sh bob p2p
	[[ $stderr == "add_domain.sh: domain.kuscia.secretflow/bob: malformed answer to GET '$API/apis/kuscia.secretflow/v1alpha1/domains/bob': "* ]]
	bounded 6 create_token.sh bob
	[ "$stderr" = "create_token.sh: the apiserver answered the TokenRequest without a token" ]
	fault alice api none
	KUSCIA_ROOT=$A join_to_host.sh alice bob "$BGW" >/dev/null
	fault alice api bad-json
	bounded 6 kc-route-check status alice-bob
	[[ $stderr == "kc-route-check: GET '$API/"*"': the answer is not a JSON object" ]]
}

# ---- the KusciaAPI -------------------------------------------------------------------------

@test "faults: KusciaAPI down or resetting: kc-grant and create_domaindatagrant.sh exit 5, nothing granted" {
	local before
	before=$(grants)
	fault alice kusciaapi down
	bounded 5 kc-grant create --data alice-table --to carol
	[[ $stderr == "kc-grant: cannot reach '$KAPI/api/v1/domaindatagrant/"* ]]
	bounded 5 create_domaindatagrant.sh alice alice-table carol
	[[ $stderr == "create_domaindatagrant.sh: cannot reach '$KAPI/"* ]]
	fault alice kusciaapi refuse
	bounded 5 kc-grant list
	[[ $stderr == "kc-grant: cannot reach '$KAPI/"* ]]
	bounded 5 create_domaindatagrant.sh alice alice-table carol
	[ "$(grants)" = "$before" ]
}

@test "faults: KusciaAPI black-holed or slow: the timeout bounds the whole run (5)" {
	fault alice kusciaapi blackhole
	SECONDS=0
	bounded 5 kc-grant list --timeout 1
	[[ $stderr == "kc-grant: no answer from '$KAPI/api/v1/domaindatagrant/list' in time: "* ]]
	KC_TIMEOUT=500ms bounded 5 create_domaindatagrant.sh alice alice-table bob
	[ "$SECONDS" -le 4 ]
	# each answer in 1 s, two requests (list, then create) for the drop-in: 2 s > 1.5 s
	fault alice kusciaapi slow=1
	SECONDS=0
	KC_TIMEOUT=1500ms bounded 5 create_domaindatagrant.sh alice alice-table bob
	[[ $stderr == "create_domaindatagrant.sh: no answer from '$KAPI/api/v1/domaindatagrant/create' in time: "* ]]
	[ "$SECONDS" -le 4 ]
}

@test "faults: KusciaAPI answering 500, cut or malformed: 6 or 5, nothing granted" {
	local before
	before=$(grants)
	fault alice kusciaapi status=500
	bounded 6 create_domaindatagrant.sh alice alice-table carol
	[ "$stderr" = "create_domaindatagrant.sh: the KusciaAPI at '$KAPI/api/v1/domaindatagrant/list' answered HTTP 500 with an empty body" ]
	fault alice kusciaapi close-mid
	bounded 5 create_domaindatagrant.sh alice alice-table carol
	[[ $stderr == "create_domaindatagrant.sh: request to '$KAPI/"*"' failed: "@(transfer closed with *|$CUT_HEAD) ]]
	bounded 5 kc-grant create --data alice-table --to carol --id fault-cut
	fault alice kusciaapi bad-json
	bounded 6 create_domaindatagrant.sh alice alice-table carol
	[[ $stderr == "create_domaindatagrant.sh: the answer of '$KAPI/api/v1/domaindatagrant/list' is not JSON: "* ]]
	bounded 6 kc-grant query fault-cut
	fault alice kusciaapi none
	[ "$(grants)" = "$before" ]
}

# ---- the peer's gateway --------------------------------------------------------------------

@test "faults: bob's gateway black-holed: probe and kc peer add end within their limits (5)" {
	fault bob gateway blackhole
	SECONDS=0
	run -5 --separate-stderr timeout 20 kc-route-check probe --timeout 1 "$BGW" --expect bob
	[[ $output == *"FAIL tls: no TLS answer within 1 s -- something accepts connections but does not answer"* ]]
	run -5 --separate-stderr timeout 20 kc peer add bob "$BGW" --cert "$B/var/certs/domain.crt" --wait 1s
	[ "${stderr_lines[-1]}" = "kc-peer: route alice-bob is not Ready after 1s: bob's gateway '$BGW' cannot be reached or does not answer -- run 'kc route-check probe $BGW --expect bob' to see where" ]
	[ "$SECONDS" -le 8 ]
	cmp "$B/var/certs/domain.crt" "$CERTS/bob.domain.crt"
}

# ---- var/certs full or read-only (root: a private mount namespace) -------------------------

# in_ns SETUP CMD...: in a private mount namespace, run the shell text SETUP (with $C =
# var/certs), then CMD; prints CMD's stderr, then '--rc N', then var/certs' listing
in_ns() {
	[ "$(id -u)" = 0 ] || skip "needs root for mount"
	unshare -m true 2>/dev/null || skip "unshare -m is not available here"
	local setup=$1
	shift
	unshare -m sh -c 'C=$1 setup=$2; shift 2; eval "$setup" || exit 99
		rc=0; timeout 20 "$@" 2>&1 >/dev/null || rc=$?
		echo "--rc $rc"; ls -A "$C"; cat "$C/bob.domain.crt" 2>/dev/null | sha256sum' \
		sh "$CERTS" "$setup" "$@"
}

# a tmpfs of two pages over var/certs, holding bob's first certificate, filled up
FULL='mount -t tmpfs -o size=8k tmpfs "$C" && cp "$KUSCIA_ROOT/../bob/var/certs/domain.crt" "$C/bob.domain.crt" && { dd if=/dev/zero of="$C/fill" bs=4k count=4 2>/dev/null; true; }'

@test "faults: disk full while replacing a cert: 4, the old cert intact, no temp file" {
	local old
	old=$(sha256sum <"$B/var/certs/domain.crt")
	run -0 in_ns "$FULL" kc-cert import --force bob "$BATS_FILE_TMPDIR/bob2.crt"
	[ "${lines[0]}" = "kc-cert: cannot write '$CERTS/bob.domain.crt': No space left on device" ]
	[ "${lines[1]}" = "--rc 4" ]
	[ "${lines[2]}" = bob.domain.crt ]
	[ "${lines[3]}" = fill ]
	[ "${lines[4]}" = "$old" ]
	[ "${#lines[@]}" -eq 5 ]
}

@test "faults: disk full on a first import: 4, no file, no temp file" {
	run -0 in_ns "$FULL && rm \"\$C/bob.domain.crt\" && dd if=/dev/zero of=\"\$C/fill2\" bs=4k count=1 2>/dev/null; true" \
		kc-cert import bob "$BATS_FILE_TMPDIR/bob2.crt"
	[ "${lines[0]}" = "kc-cert: cannot write '$CERTS/bob.domain.crt': No space left on device" ]
	[ "${lines[1]}" = "--rc 4" ]
	[ "${lines[2]}" = fill ]
	[ "${lines[3]}" = fill2 ]
}

@test "faults: no inode left in var/certs: 4, the old cert intact" {
	local old
	old=$(sha256sum <"$B/var/certs/domain.crt")
	run -0 in_ns 'mount -t tmpfs -o size=64k,nr_inodes=2 tmpfs "$C" && cp "$KUSCIA_ROOT/../bob/var/certs/domain.crt" "$C/bob.domain.crt"' \
		kc-cert import --force bob "$BATS_FILE_TMPDIR/bob2.crt"
	[ "${lines[0]}" = "kc-cert: cannot create a file in '$CERTS': No space left on device" ]
	[ "${lines[1]}" = "--rc 4" ]
	[ "${lines[2]}" = bob.domain.crt ]
	[ "${lines[3]}" = "$old" ]
}

@test "faults: kc peer add with a read-only var/certs: 4 and nothing applied to the cluster" {
	delete_domain_bob
	kc_kubectl "$A" delete cdr alice-bob --ignore-not-found >/dev/null
	rm "$CERTS/bob.domain.crt"
	run -0 in_ns 'mount --bind "$C" "$C" && mount -o remount,ro,bind "$C"' \
		kc peer add bob "$BGW" --cert "$BATS_FILE_TMPDIR/bob2.crt" --wait 1s
	[[ ${lines[0]} == kc-@(peer|cert)": cannot create a file in '$CERTS': Read-only file system" ]]
	[ "${lines[1]}" = "--rc 4" ]
	[ ! -e "$CERTS/bob.domain.crt" ]
	no_domain_bob
	run -1 kc_kubectl "$A" get cdr alice-bob
}

# ---- kill -9 inside an import (test/shim/kc-killshim.c) ------------------------------------

# killed AT ARGS...: kc-cert import ARGS..., SIGKILLed by the shim at AT (e.g. before-rename)
killed() {
	local at=$1
	shift
	[ -z "${KC_VALGRIND:-}" ] || skip "the kill shim does not run under valgrind"
	run -137 timeout 20 env KC_KILLSHIM="$at" LD_PRELOAD="$SHIM" kc-cert import "$@"
}

@test "faults: kill -9 at each step of replacing a cert: the old one intact; the next import sweeps the temp file" {
	local at
	for at in before-write mid-write after-write before-fsync after-fsync before-rename; do
		killed "$at" --force bob "$BATS_FILE_TMPDIR/bob2.crt"
		cmp "$B/var/certs/domain.crt" "$CERTS/bob.domain.crt"
		# the killed run could not clean up: one temp file, named after its dead pid
		compgen -G "$CERTS/.kc-tmp.[0-9]*.??????" >/dev/null
		[ "$(compgen -G "$CERTS/.kc-tmp.*" | wc -l)" -eq 1 ]
		# the next import removes it, even one that writes nothing
		run -0 kc-cert import -q bob "$B/var/certs/domain.crt"
		no_tmp_left
	done
	killed after-rename --force bob "$BATS_FILE_TMPDIR/bob2.crt"
	cmp "$BATS_FILE_TMPDIR/bob2.crt" "$CERTS/bob.domain.crt"
	no_tmp_left
}

@test "faults: kill -9 around the link of a first import: no cert or the whole cert; then swept" {
	rm "$CERTS/bob.domain.crt"
	killed before-link bob "$BATS_FILE_TMPDIR/bob2.crt"
	[ ! -e "$CERTS/bob.domain.crt" ]
	run -0 kc-cert import bob "$BATS_FILE_TMPDIR/bob2.crt"
	no_tmp_left
	rm "$CERTS/bob.domain.crt"
	killed after-link bob "$BATS_FILE_TMPDIR/bob2.crt"
	cmp "$BATS_FILE_TMPDIR/bob2.crt" "$CERTS/bob.domain.crt"
	run -0 --separate-stderr kc-cert import bob "$BATS_FILE_TMPDIR/bob2.crt"
	[ "$stderr" = "kc-cert: '$CERTS/bob.domain.crt' already holds this certificate" ]
	no_tmp_left
}

@test "faults: the sweep leaves a running writer's temp file, and other files, alone" {
	local dead
	dead=$(sh -c 'echo $$')
	: >"$CERTS/.kc-tmp.$$.abcdef"          # this shell: alive
	: >"$CERTS/.kc-tmp.$dead.abcdef"       # gone
	: >"$CERTS/.kc-tmp.notapid"
	ln -s /etc/hostname "$CERTS/.kc-tmp.$dead.link00"
	run -0 kc-cert import -q --force bob "$BATS_FILE_TMPDIR/bob2.crt"
	[ -e "$CERTS/.kc-tmp.$$.abcdef" ]
	[ ! -e "$CERTS/.kc-tmp.$dead.abcdef" ]
	[ -e "$CERTS/.kc-tmp.notapid" ]
	[ -L "$CERTS/.kc-tmp.$dead.link00" ]
	rm "$CERTS"/.kc-tmp.*
}

# ---- eight runs at once ----------------------------------------------------------------------

# parallel N CMD...: N copies of CMD at once; each one's exit code in $BATS_TEST_TMPDIR/rc.I,
# its stderr in err.I
parallel() {
	local n=$1 i
	shift
	for ((i = 1; i <= n; i++)); do
		{
			local rc=0
			timeout 20 "$@" >"$BATS_TEST_TMPDIR/out.$i" 2>"$BATS_TEST_TMPDIR/err.$i" || rc=$?
			echo "$rc" >"$BATS_TEST_TMPDIR/rc.$i"
		} &
	done
	wait
}

# the Domain bob in alice's cluster: the spec add_domain.sh applies, and only one
domain_is_expected() {
	local want got
	want=$(domain_json | jq -cS .spec)
	got=$(kc_kubectl "$A" get domain bob -o json | jq -cS .spec)
	[ "$got" = "$want" ]
	[ "$(kc_kubectl "$A" get domain -o name | grep -c '/bob$')" -eq 1 ]
}

@test "faults: eight add_domain.sh bob p2p at once: all succeed, one Domain as expected" {
	delete_domain_bob
	parallel 8 add_domain.sh bob p2p
	[ "$(cat "$BATS_TEST_TMPDIR"/rc.* | sort -u)" = 0 ]
	[ -z "$(cat "$BATS_TEST_TMPDIR"/err.*)" ]
	domain_is_expected
	# the reverse route Kuscia makes for a partner, once
	[ "$(kc_kubectl "$A" get cdr -o name | grep -c '/bob-alice$')" -eq 1 ]
	cmp "$B/var/certs/domain.crt" "$CERTS/bob.domain.crt"
	no_tmp_left
}

@test "faults: eight kc apply of a new Domain at once, five rounds: every run succeeds" {
	local r cert
	cert=$(base64 -w0 "$B/var/certs/domain.crt")
	for r in 1 2 3 4 5; do
		kc-render domain.json DOMAIN_ID="race-$r" CERT="$cert" ROLE=partner MASTER="race-$r" \
			INTERCONN_PROTOCOL=kuscia >"$BATS_TEST_TMPDIR/d.json"
		parallel 8 kc-apply -f "$BATS_TEST_TMPDIR/d.json"
		[ "$(cat "$BATS_TEST_TMPDIR"/rc.* | sort -u)" = 0 ]
		[ -z "$(cat "$BATS_TEST_TMPDIR"/err.*)" ]
	done
	[ "$(kc_kubectl "$A" get domain -o name | grep -c /race-)" -eq 5 ]
}

@test "faults: eight kc peer add bob at once: one result for all, the cert and objects intact" {
	delete_domain_bob
	rm "$CERTS/bob.domain.crt"
	kc_kubectl "$A" delete cdr alice-bob --ignore-not-found >/dev/null
	parallel 8 kc peer add bob "$BGW" --cert "$B/var/certs/domain.crt" --wait 2s
	# bob has not registered alice: every run says so and exits 1
	[ "$(cat "$BATS_TEST_TMPDIR"/rc.* | sort -u)" = 1 ]
	[ "$(grep -l "bob has not registered alice yet" "$BATS_TEST_TMPDIR"/err.* | wc -l)" -eq 8 ]
	run -1 grep -q "different certificate" "$BATS_TEST_TMPDIR"/err.*
	cmp "$B/var/certs/domain.crt" "$CERTS/bob.domain.crt"
	no_tmp_left
	domain_is_expected
	run -0 kc_kubectl "$A" get cdr alice-bob -o json
	jq -e --arg port "$(jq .gateway "$B/sim/ports.json")" '.spec.source == "alice" and
		.spec.destination == "bob" and (.spec.endpoint.ports[0].port | tostring) == $port' <<<"$output"
}

@test "faults: eight first imports at once: the same cert all succeed; of two, one wins, the other is refused (3)" {
	rm "$CERTS/bob.domain.crt"
	parallel 8 kc-cert import -q bob "$B/var/certs/domain.crt"
	[ "$(cat "$BATS_TEST_TMPDIR"/rc.* | sort -u)" = 0 ]
	cmp "$B/var/certs/domain.crt" "$CERTS/bob.domain.crt"
	no_tmp_left
	rm "$CERTS/bob.domain.crt"
	local i crt=("$B/var/certs/domain.crt" "$BATS_FILE_TMPDIR/bob2.crt") won lost
	for i in 0 1 2 3 4 5 6 7; do
		{
			local rc=0
			timeout 20 kc-cert import -q bob "${crt[i % 2]}" 2>"$BATS_TEST_TMPDIR/err.$i" || rc=$?
			echo "$rc" >"$BATS_TEST_TMPDIR/rc.$((i % 2)).$i"
		} &
	done
	wait
	if cmp -s "${crt[0]}" "$CERTS/bob.domain.crt"; then won=0 lost=1; else won=1 lost=0; fi
	cmp "${crt[won]}" "$CERTS/bob.domain.crt"
	[ "$(cat "$BATS_TEST_TMPDIR"/rc.$won.* | sort -u)" = 0 ]
	[ "$(cat "$BATS_TEST_TMPDIR"/rc.$lost.* | sort -u)" = 3 ]
	no_tmp_left
}
