# common.bash - shared setup of kc's bats files: `load helper/common` then `common_setup`.
# shellcheck shell=bash

KC_SRC=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
export KC_SRC
# Debian's python3 (the first python3 on PATH may be a slow shim) and the real kubectl, once
KC_PYTHON=/usr/bin/python3
KC_KUBECTL=$(command -v kubectl || echo /usr/bin/kubectl)
export KC_PYTHON KC_KUBECTL

# a private HOME and KUSCIA_ROOT per test, a short PATH, no variables leaking in
common_setup() {
	unset KC_DEBUG KC_DRY_RUN KC_APPLY KC_KUSCIAAPI KC_DATADIR KUBECONFIG NO_COLOR
	export HOME="$BATS_TEST_TMPDIR/home"
	export KUSCIA_ROOT="$BATS_TEST_TMPDIR/root"
	mkdir -p "$HOME" "$KUSCIA_ROOT/var/certs" "$KUSCIA_ROOT/etc/conf"
	export TERM=dumb
	KC_LIBEXEC=$KC_SRC/libexec
	if [ -n "${KC_VALGRIND:-}" ]; then
		KC_LIBEXEC=$(valgrind_libexec)
	fi
	export KC_LIBEXEC
	export PATH="$KC_SRC/bin:$KC_LIBEXEC:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"
	cd "$BATS_TEST_TMPDIR" || return 1
}

# A copy of libexec whose C helpers run under valgrind (make check-valgrind): a leak or an
# error makes the helper exit 99, which no test expects, and leaves its report in a log file
# under KC_VALGRIND_LOGS (make check-valgrind fails on any non-empty one, so a test that only
# expects "some failure" cannot hide a report). valgrind finds the helper by name on a PATH
# whose first folder holds the real binaries, so argv[0] stays 'kc-NAME' as when bin/kc runs
# it. --read-inline-info=no only shortens stack traces; it cuts valgrind's start-up by a fifth.
valgrind_libexec() {
	local dir="$BATS_RUN_TMPDIR/valgrind-libexec" real="$BATS_RUN_TMPDIR/valgrind-real" f n
	local logs=${KC_VALGRIND_LOGS:-$BATS_RUN_TMPDIR/valgrind-logs}
	if [ ! -d "$dir" ]; then
		mkdir -p "$dir.tmp" "$real" "$logs"
		for f in "$KC_SRC"/libexec/kc-*; do
			n=${f##*/}
			if head -c 4 "$f" | grep -q ELF; then
				ln -sf "$f" "$real/$n"
				# shellcheck disable=SC2016 # $PATH, $@ and the file name expand in the wrapper
				printf '#!/bin/sh\nPATH="%s:$PATH" exec valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect --read-inline-info=no --log-file="%s/${BATS_TEST_FILENAME##*/}.%s.%%p" %s "$@"\n' \
					"$real" "$logs" "$n" "$n" >"$dir.tmp/$n"
				chmod +x "$dir.tmp/$n"
			else
				ln -s "$f" "$dir.tmp/$n"
			fi
		done
		ln -s "$KC_SRC/share" "$dir.tmp/../share" 2>/dev/null || true
		mv "$dir.tmp" "$dir" 2>/dev/null || rm -rf "$dir.tmp"
	fi
	printf '%s\n' "$dir"
}

# ---- node simulator (test/sim) ----------------------------------------------------------

# sim_node NAME [INIT ARGS...]: init and start a simulated node NAME under $BATS_FILE_TMPDIR
# (--time-scale 50); its folder is $BATS_FILE_TMPDIR/NAME. Call from setup_file.
sim_node() {
	local name=$1 dir="$BATS_FILE_TMPDIR/$1"
	shift
	"$KC_PYTHON" "$KC_SRC/test/sim/kc-sim" init "$dir" --domain "$name" "$@" >/dev/null
	"$KC_PYTHON" "$KC_SRC/test/sim/kc-sim" start "$dir" --time-scale "${SIM_TIME_SCALE:-50}" >/dev/null
	printf '%s\n' "$dir" >>"$BATS_FILE_TMPDIR/.sim-nodes"
}

# sim_stop_all: stop every node this file started. Call from teardown_file.
sim_stop_all() {
	local dir
	[ -f "$BATS_FILE_TMPDIR/.sim-nodes" ] || return 0
	while read -r dir; do
		"$KC_PYTHON" "$KC_SRC/test/sim/kc-sim" stop "$dir" >/dev/null 2>&1 || true
	done <"$BATS_FILE_TMPDIR/.sim-nodes"
	rm -f "$BATS_FILE_TMPDIR/.sim-nodes"
}

# kc_kubectl DIR ARGS...: real kubectl against the node in DIR
kc_kubectl() {
	local dir=$1
	shift
	"$KC_KUBECTL" --kubeconfig "$dir/etc/kubeconfig" --cache-dir "$BATS_FILE_TMPDIR/kube" "$@"
}

# the object as stored, without what the server adds (CONTRACTS.md section 3), nor what
# Kuscia's controllers add (labels, the routes' public keys) and the CRD defaults (tolerable)
stored() { # KUBECTL-GET-ARGS...: of the node $NODE
	kc_kubectl "$NODE" get "$@" -o json | jq -cS 'del(.status) | del(.metadata.uid, .metadata.resourceVersion,
		.metadata.creationTimestamp, .metadata.generation, .metadata.managedFields, .metadata.labels,
		.metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"],
		.spec.tokenConfig.sourcePublicKey, .spec.tokenConfig.destinationPublicKey, .spec.tasks[]?.tolerable)
		| if .metadata.annotations == {} then del(.metadata.annotations) else . end'
}

# poll_until SECONDS COMMAND...: run COMMAND until it succeeds or SECONDS pass (a functional
# deadline, not a speed assertion)
poll_until() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

# grant_nodes NOTLS_NAME: nodes alice (MTLS) and NOTLS_NAME (NOTLS), each holding the demo table
# alice-table, for the grant tests. Call from setup_file.
grant_nodes() {
	local n
	export BATS_NO_PARALLELIZE_WITHIN_FILE=true
	sim_node alice
	sim_node "$1" --protocol NOTLS
	for n in alice "$1"; do
		KUSCIA_ROOT=$BATS_FILE_TMPDIR/$n PATH=$KC_SRC/bin:$PATH KC_LIBEXEC=$KC_SRC/libexec \
			create_domaindata_alice_table.sh "$n" >/dev/null
	done
}
